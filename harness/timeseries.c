/* timeseries.c - results over time, built from the judge's run samples and the transcripts,
 * merged exactly and written as JSON. It judges nothing itself and never reads the clock. */
#include "timeseries.h"

#include <stdlib.h>
#include <string.h>

int64_t gp_series_interval(int64_t duration_us, int64_t requested_us)
{
    int64_t iv = requested_us > 0 ? requested_us : GP_SERIES_DEFAULT_INTERVAL_US;

    if (requested_us <= 0 && duration_us < GP_SERIES_MIN_INTERVALS * iv) {
        iv = (duration_us / GP_SERIES_MIN_INTERVALS + 99999) / 100000 * 100000;
        if (iv < 100000)
            iv = 100000;
    }
    if (duration_us / iv >= GP_SERIES_MAX_INTERVALS)
        iv = duration_us / (GP_SERIES_MAX_INTERVALS - 1) + 1;
    return iv;
}

static size_t slot(const gp_series *s, int64_t t_us);

static gp_series *series_new(int64_t interval_us, int64_t start_wall_us, size_t n)
{
    gp_series *s = gp_calloc(1, sizeof *s);
    size_t i, k;

    s->interval_us = interval_us;
    s->start_wall_us = start_wall_us;
    s->n = n;
    s->p = gp_calloc(n ? n : 1, sizeof *s->p);
    for (i = 0; i < n; i++)
        for (k = 0; k < GP_EV_GOLDEN_COUNT; k++)
            gp_hist_init(&s->p[i].latency[k]);
    return s;
}

void gp_series_free(gp_series *s)
{
    size_t i, k;

    if (!s)
        return;
    for (i = 0; i < s->n; i++)
        for (k = 0; k < GP_EV_GOLDEN_COUNT; k++)
            gp_hist_cleanup(&s->p[i].latency[k]);
    free(s->p);
    free(s->stage_start_us);
    free(s);
}

void gp_series_add_dropped(gp_series *s, const int64_t *t_us, size_t n)
{
    size_t i;

    for (i = 0; s && s->n && i < n; i++)
        s->p[slot(s, t_us[i])].dropped_arrivals++;
}

void gp_series_set_stages(gp_series *s, const gp_shape *sh, int64_t duration_us)
{
    size_t k;

    if (!s)
        return;
    free(s->stage_start_us);
    s->stage_start_us = NULL;
    s->nstages = 0;
    if (!sh || !sh->nstages)
        return;
    s->stage_start_us = gp_calloc(sh->nstages, sizeof *s->stage_start_us);
    for (k = 0; k < sh->nstages && k < GP_SERIES_MAX_STAGES; k++) {
        int64_t at = gp_shape_stage_start(sh, k);

        if (k && duration_us > 0 && at >= duration_us)
            break;
        s->stage_start_us[s->nstages++] = at;
    }
}

static size_t slot(const gp_series *s, int64_t t_us)
{
    size_t i = t_us > 0 ? (size_t)(t_us / s->interval_us) : 0;

    return i < s->n ? i : s->n - 1;
}

typedef struct span {
    size_t user;
    size_t a, b; /* first and last interval */
} span;

static int span_cmp(const void *x, const void *y)
{
    const span *p = x, *q = y;

    if (p->user != q->user)
        return p->user < q->user ? -1 : 1;
    return p->a < q->a ? -1 : p->a > q->a;
}

gp_series *gp_series_build(const gp_results *r, gp_transcript *const *ts, size_t n,
                           int64_t start_wall_us, int64_t duration_us, int64_t interval_us)
{
    int64_t last = duration_us > 0 ? duration_us : 0;
    gp_series *s;
    span *spans;
    size_t i, k, np, nspans = 0;

    if (interval_us <= 0)
        interval_us = GP_SERIES_DEFAULT_INTERVAL_US;
    for (i = 0; i < n; i++)
        if (ts[i]->nframes && ts[i]->frames[ts[i]->nframes - 1].t_us > last)
            last = ts[i]->frames[ts[i]->nframes - 1].t_us;
    for (i = 0; i < r->nsamples; i++)
        if (r->samples[i].end_us > last)
            last = r->samples[i].end_us;
    np = (size_t)(last / interval_us) + 1;
    if (np > GP_SERIES_MAX_INTERVALS) {
        interval_us = last / (GP_SERIES_MAX_INTERVALS - 1) + 1;
        np = (size_t)(last / interval_us) + 1;
    }
    s = series_new(interval_us, start_wall_us, np);
    for (i = 0; i < r->nsamples; i++) {
        const gp_run_sample *m = &r->samples[i];
        gp_series_point *p = &s->p[slot(s, m->t0_us)];

        p->runs_started++;
        if (m->end_us >= 0)
            s->p[slot(s, m->end_us)].runs_completed++;
        for (k = 0; k < GP_EV_GOLDEN_COUNT; k++)
            if (m->lat_us[k] >= 0)
                gp_hist_record(&p->latency[k], m->lat_us[k]);
    }
    spans = gp_calloc(n ? n : 1, sizeof *spans);
    for (i = 0; i < n && i < r->nusers; i++) {
        const gp_user_result *u = &r->users[i];

        if (!ts[i]->nframes || u->not_started)
            continue;
        spans[nspans].user = ts[i]->user_index;
        spans[nspans].a = slot(s, ts[i]->frames[0].t_us);
        spans[nspans].b = slot(s, ts[i]->frames[ts[i]->nframes - 1].t_us);
        for (k = 0; k < GP_RULE__COUNT; k++)
            if (u->failed_rules & (1u << k))
                s->p[spans[nspans].a].failures[k]++;
        nspans++;
    }
    /* A soak's iterations share their user: count each user once per interval. */
    qsort(spans, nspans, sizeof *spans, span_cmp);
    for (i = 0; i < nspans; i++) {
        size_t from = spans[i].a;

        if (i && spans[i - 1].user == spans[i].user && spans[i - 1].b >= from)
            from = spans[i - 1].b + 1;
        for (k = from; k <= spans[i].b; k++)
            s->p[k].active_users++;
        if (i && spans[i - 1].user == spans[i].user && spans[i - 1].b > spans[i].b)
            spans[i].b = spans[i - 1].b;
    }
    free(spans);
    return s;
}

static void point_add(gp_series_point *d, const gp_series_point *p)
{
    size_t k;

    d->runs_started += p->runs_started;
    d->runs_completed += p->runs_completed;
    d->dropped_arrivals += p->dropped_arrivals;
    d->active_users += p->active_users;
    for (k = 0; k < GP_RULE__COUNT; k++)
        d->failures[k] += p->failures[k];
    for (k = 0; k < GP_EV_GOLDEN_COUNT; k++)
        gp_hist_merge(&d->latency[k], &p->latency[k]);
}

int gp_series_merge(gp_series **dst, const gp_series *src)
{
    gp_series *d = *dst, *m;
    int64_t start, diff, end_d, end_s;
    size_t i, od, os, np;

    if (!src)
        return 0;
    if (d && d->interval_us != src->interval_us)
        return -1;
    start = d && d->start_wall_us < src->start_wall_us ? d->start_wall_us : src->start_wall_us;
    /* Offsets rounded to the nearest interval: shards start within moments of each other. */
    diff = d ? d->start_wall_us - start : 0;
    od = (size_t)((diff + src->interval_us / 2) / src->interval_us);
    diff = src->start_wall_us - start;
    os = (size_t)((diff + src->interval_us / 2) / src->interval_us);
    end_d = d ? (int64_t)(od + d->n) : 0;
    end_s = (int64_t)(os + src->n);
    np = (size_t)(end_d > end_s ? end_d : end_s);
    if (np > 2 * (size_t)GP_SERIES_MAX_INTERVALS) /* parts that never overlapped in time */
        return -1;
    m = series_new(src->interval_us, start, np);
    for (i = 0; d && i < d->n; i++)
        point_add(&m->p[od + i], &d->p[i]);
    for (i = 0; i < src->n; i++)
        point_add(&m->p[os + i], &src->p[i]);
    /* The stages are the scenario's: the first part's, moved to the merged start (exactly) */
    {
        const gp_series *from = d && d->nstages ? d : src;

        if (from->nstages) {
            m->stage_start_us = gp_calloc(from->nstages, sizeof *m->stage_start_us);
            for (i = 0; i < from->nstages; i++)
                m->stage_start_us[i] = from->stage_start_us[i] + (from->start_wall_us - start);
            m->nstages = from->nstages;
        }
    }
    gp_series_free(d);
    *dst = m;
    return 0;
}

json_t *gp_series_to_json(const gp_series *s)
{
    json_t *pts = json_array(), *o;
    size_t i, k;

    for (i = 0; i < s->n; i++) {
        const gp_series_point *p = &s->p[i];
        json_t *f = json_object(), *lat = json_object();

        for (k = 0; k < GP_RULE__COUNT; k++)
            if (p->failures[k])
                json_object_set_new(f, gp_rule_id((gp_rule)k),
                                    json_integer((json_int_t)p->failures[k]));
        for (k = 0; k < GP_EV_GOLDEN_COUNT; k++)
            json_object_set_new(lat, gp_event_type_name((gp_event_type)k),
                                gp_hist_to_json(&p->latency[k]));
        json_array_append_new(pts, json_pack("{s:I,s:I,s:I,s:I,s:I,s:o,s:o}", "offset_us",
                                             (json_int_t)((int64_t)i * s->interval_us),
                                             "runs_started", (json_int_t)p->runs_started,
                                             "runs_completed", (json_int_t)p->runs_completed,
                                             "active_users", (json_int_t)p->active_users,
                                             "dropped_arrivals", (json_int_t)p->dropped_arrivals,
                                             "failures", f, "latency", lat));
    }
    o = json_pack("{s:i,s:I,s:I,s:o}", "version", GP_SERIES_VERSION, "interval_us",
                  (json_int_t)s->interval_us, "start_us", (json_int_t)s->start_wall_us, "intervals",
                  pts);
    if (s->nstages) {
        json_t *st = json_array();

        for (i = 0; i < s->nstages; i++)
            json_array_append_new(st, json_integer((json_int_t)s->stage_start_us[i]));
        json_object_set_new(o, "stage_starts_us", st);
    }
    return o;
}

static int get_u64(const json_t *o, const char *key, uint64_t *out)
{
    const json_t *v = json_object_get(o, key);

    if (!json_is_integer(v) || json_integer_value(v) < 0)
        return -1;
    *out = (uint64_t)json_integer_value(v);
    return 0;
}

#define SERIES_T_MAX ((json_int_t)1 << 53)

gp_series *gp_series_from_json(const json_t *j)
{
    const json_t *iv = json_object_get(j, "interval_us"), *st = json_object_get(j, "start_us");
    const json_t *pts = json_object_get(j, "intervals"), *ver = json_object_get(j, "version");
    const json_t *stages = json_object_get(j, "stage_starts_us");
    gp_series *s;
    size_t i, k;

    /* version 1 (before dropped arrivals and stages) still reads: it has neither */
    /* times within 2^53 µs (285 years) either way: sums and differences of them never
     * overflow, whatever a doctored report says */
    if (!json_is_integer(iv) || json_integer_value(iv) <= 0 || json_integer_value(iv) > SERIES_T_MAX ||
        !json_is_integer(st) || json_integer_value(st) > SERIES_T_MAX ||
        json_integer_value(st) < -SERIES_T_MAX ||
        !json_is_array(pts) || json_array_size(pts) > GP_SERIES_MAX_INTERVALS ||
        (ver && (!json_is_integer(ver) || json_integer_value(ver) < 1 ||
                 json_integer_value(ver) > GP_SERIES_VERSION)) ||
        (stages && (!json_is_array(stages) || json_array_size(stages) > GP_SERIES_MAX_STAGES)))
        return NULL;
    s = series_new(json_integer_value(iv), json_integer_value(st), json_array_size(pts));
    if (stages && json_array_size(stages)) {
        s->stage_start_us = gp_calloc(json_array_size(stages), sizeof *s->stage_start_us);
        for (i = 0; i < json_array_size(stages); i++) {
            const json_t *v = json_array_get(stages, i);

            if (!json_is_integer(v) || json_integer_value(v) < 0 ||
                json_integer_value(v) > SERIES_T_MAX)
                goto bad;
            s->stage_start_us[s->nstages++] = json_integer_value(v);
        }
    }
    for (i = 0; i < s->n; i++) {
        const json_t *p = json_array_get(pts, i), *f, *lat, *v;
        const char *key;
        gp_series_point *q = &s->p[i];

        if (get_u64(p, "runs_started", &q->runs_started) ||
            get_u64(p, "runs_completed", &q->runs_completed) ||
            get_u64(p, "active_users", &q->active_users) ||
            (json_object_get(p, "dropped_arrivals") &&
             get_u64(p, "dropped_arrivals", &q->dropped_arrivals)))
            goto bad;
        f = json_object_get(p, "failures");
        lat = json_object_get(p, "latency");
        if (!json_is_object(f) || !json_is_object(lat))
            goto bad;
        json_object_foreach((json_t *)f, key, v)
        {
            int r = gp_rule_from_id(key);

            if (r < 0 || !json_is_integer(v) || json_integer_value(v) < 0)
                goto bad;
            q->failures[r] = (uint64_t)json_integer_value(v);
        }
        for (k = 0; k < GP_EV_GOLDEN_COUNT; k++) {
            v = json_object_get(lat, gp_event_type_name((gp_event_type)k));
            if (v && gp_hist_from_json(&q->latency[k], v) != 0)
                goto bad;
        }
    }
    return s;
bad:
    gp_series_free(s);
    return NULL;
}

size_t gp_series_fifths(const gp_series *s, size_t *lo, size_t *hi)
{
    size_t i;

    *lo = *hi = 0;
    for (i = 0; s && i < s->n; i++) {
        if (!s->p[i].runs_started)
            continue;
        if (*hi == 0)
            *lo = i;
        *hi = i + 1;
    }
    /* Whole intervals only, so each fifth is an exact merge; a remainder (n not a multiple
     * of 5) stays in the middle, unjudged. */
    return *hi - *lo >= GP_SERIES_MIN_INTERVALS ? (*hi - *lo) / 5 : 0;
}

void gp_series_latency_range(const gp_series *s, size_t from, size_t to, size_t ev, gp_hist *out)
{
    size_t i;

    if (!s || ev >= GP_EV_GOLDEN_COUNT)
        return;
    for (i = from; i < to && i < s->n; i++)
        gp_hist_merge(out, &s->p[i].latency[ev]);
}

uint64_t gp_series_sum_started(const gp_series *s)
{
    uint64_t t = 0;
    size_t i;

    for (i = 0; s && i < s->n; i++)
        t += s->p[i].runs_started;
    return t;
}

uint64_t gp_series_sum_dropped(const gp_series *s)
{
    uint64_t t = 0;
    size_t i;

    for (i = 0; s && i < s->n; i++)
        t += s->p[i].dropped_arrivals;
    return t;
}

uint64_t gp_series_sum_failures(const gp_series *s, gp_rule rule)
{
    uint64_t t = 0;
    size_t i;

    for (i = 0; s && i < s->n; i++)
        t += s->p[i].failures[rule];
    return t;
}

void gp_series_print(FILE *out, const gp_series *s, size_t max_rows)
{
    size_t per, i, k, r;

    if (!s || !s->n)
        return;
    per = max_rows && s->n > max_rows ? (s->n + max_rows - 1) / max_rows : 1;
    fprintf(out, "Over time (every %.1f s):\n", (double)s->interval_us * (double)per / 1e6);
    fprintf(out, "  %8s %7s %7s %6s %6s %10s %10s\n", "from", "started", "done", "users", "failed",
            "p50 done", "p95 done");
    for (i = 0; i < s->n; i += per) {
        gp_series_point acc;
        uint64_t fails = 0, users = 0;

        memset(&acc, 0, sizeof acc);
        for (k = 0; k < GP_EV_GOLDEN_COUNT; k++)
            gp_hist_init(&acc.latency[k]);
        for (r = i; r < i + per && r < s->n; r++) {
            point_add(&acc, &s->p[r]);
            if (s->p[r].active_users > users)
                users = s->p[r].active_users; /* the most at once, not a sum */
        }
        for (k = 0; k < GP_RULE__COUNT; k++)
            fails += acc.failures[k];
        fprintf(out, "  %7.0fs %7llu %7llu %6llu %6llu",
                (double)((int64_t)i * s->interval_us) / 1e6, (unsigned long long)acc.runs_started,
                (unsigned long long)acc.runs_completed, (unsigned long long)users,
                (unsigned long long)fails);
        if (acc.latency[GP_EV_AGENT_COMPLETED].count)
            fprintf(out, " %8.0fms %8.0fms\n",
                    (double)gp_hist_percentile(&acc.latency[GP_EV_AGENT_COMPLETED], 50) / 1e3,
                    (double)gp_hist_percentile(&acc.latency[GP_EV_AGENT_COMPLETED], 95) / 1e3);
        else
            fprintf(out, " %10s %10s\n", "-", "-");
        for (k = 0; k < GP_EV_GOLDEN_COUNT; k++)
            gp_hist_cleanup(&acc.latency[k]);
    }
}
