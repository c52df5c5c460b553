/* compare.c - regressions between two JSON reports (rules that passed and now fail, latency
 * percentiles beyond their limits and beyond run-to-run noise, a higher share of failing users,
 * lost coverage) as a pure function, and its writers: a table, JUnit, JSON and Markdown. It
 * never runs anything and never prints to stderr; compare_cli.c is the command. */
#include <stdlib.h>
#include <string.h>

#include "compare.h"
#include "noise.h"
#include "report.h"
#include "report_read.h"
#include "report_util.h"
#include "timeseries.h"

static const char *const limit_names[] = {"p50", "p90", "p95", "p99", "max", "error_rate"};
static const double limit_q[] = {50, 90, 95, 99, 100, 0};
static const char *const default_limits[] = GP_COMPARE_DEFAULT_LIMITS;

typedef struct cmp {
    gp_comparison *out;
    gp_limit limits[GP_COMPARE_MAX_LIMITS + GP_LIM__COUNT]; /* the caller's, then defaults */
    size_t nlimits;
    const gp_compare_opts *opts; /* the caller's, borrowed: drift limits */
    json_t *scenarios; /* out->scenarios, borrowed */
    size_t regressions;
} cmp;

/* Parses spec for option opt: --max-regression takes every key, --max-drift (drift) the
 * latency metrics only and no bare number (is "25" 25% or 25 s?). */
static int parse_limit(const char *spec, gp_limit *l, const char *opt, bool drift, gp_err *err)
{
    const char *eq = strchr(spec, '=');
    char key[16], *end;
    const char *v;
    size_t k, klen, nkeys = drift ? GP_LIM_ERROR_RATE : GP_LIM__COUNT;
    int64_t us;

    memset(l, 0, sizeof *l);
    if (!eq || eq == spec || (klen = (size_t)(eq - spec)) >= sizeof key) {
        gp_err_set(err, GP_EXIT_USAGE, NULL, 0, 0,
                   "%s %s: expected %s=LIMIT such as p95=%s or p99=+%s", opt, spec,
                   drift ? "METRIC" : "KEY", drift ? "25%" : "20%", drift ? "40ms" : "50ms");
        return -1;
    }
    memcpy(key, spec, klen);
    key[klen] = '\0';
    for (k = 0; k < nkeys; k++)
        if (strcmp(key, limit_names[k]) == 0)
            break;
    if (k == nkeys) {
        gp_err_set(err, GP_EXIT_USAGE, NULL, 0, 0,
                   "%s %s: unknown %s \"%s\" (known: p50, p90, "
                   "p95, p99, max%s)",
                   opt, spec, drift ? "metric" : "key", key, drift ? "" : ", error_rate");
        return -1;
    }
    l->key = (gp_limit_key)k;
    snprintf(l->text, sizeof l->text, "%s", spec);
    v = eq + 1;
    if (*v == '+')
        v++;
    if (*v && v[strlen(v) - 1] == '%') {
        double pct = strtod(v, &end);

        if (end == v || *end != '%' || pct < 0) {
            gp_err_set(err, GP_EXIT_USAGE, NULL, 0, 0, "%s %s: \"%s\" is not a percentage", opt,
                       spec, eq + 1);
            return -1;
        }
        l->relative = l->key != GP_LIM_ERROR_RATE;
        l->value = l->key == GP_LIM_ERROR_RATE ? pct : pct / 100.0;
        return 0;
    }
    if (l->key == GP_LIM_ERROR_RATE) {
        gp_err_set(err, GP_EXIT_USAGE, NULL, 0, 0,
                   "%s %s: error_rate takes percentage points, such as error_rate=+2%%", opt, spec);
        return -1;
    }
    if ((drift && *v && !strpbrk(v, "abcdefghijklmnopqrstuvwxyz")) ||
        gp_duration_parse(v, &us) != 0 || us < 0) {
        gp_err_set(err, GP_EXIT_USAGE, NULL, 0, 0,
                   "%s %s: \"%s\" is neither a percentage nor a duration%s", opt, spec, eq + 1,
                   drift ? " (such as 25% or +40ms)" : "");
        return -1;
    }
    l->relative = false;
    l->value = (double)us;
    return 0;
}

int gp_compare_parse_limit(const char *spec, gp_limit *l, gp_err *err)
{
    return parse_limit(spec, l, "--max-regression", false, err);
}

int gp_compare_parse_drift(const char *spec, gp_limit *l, gp_err *err)
{
    return parse_limit(spec, l, "--max-drift", true, err);
}

static json_t *add_check(cmp *c, json_t *checks, const char *kind, const char *name, json_t *base,
                         json_t *head, const char *lim, bool regression, const char *detail)
{
    json_t *o = json_pack("{s:s,s:s,s:o,s:o,s:b,s:s}", "kind", kind, "name", name, "base", base,
                          "head", head, "regression", regression, "detail", detail);

    if (lim)
        json_object_set_new(o, "limit", json_string(lim));
    json_array_append_new(checks, o);
    if (regression)
        c->regressions++;
    return o;
}

static bool rule_ok(const gp_rule_result *rr)
{
    return rr->checked > 0 && rr->failed == 0;
}

static void compare_rules(cmp *c, json_t *checks, const gp_results *b, const gp_results *h)
{
    size_t i;
    char detail[256];

    for (i = 0; i < GP_RULE__COUNT; i++) {
        const gp_rule_result *rb = &b->rules[i], *rh = &h->rules[i];
        const char *id = gp_rule_id((gp_rule)i);
        bool reg = false;

        if (rb->checked == 0 && rh->checked == 0)
            continue;
        if (rule_ok(rb) && rh->failed > 0) {
            reg = true;
            snprintf(detail, sizeof detail, "passed in BASE; fails in HEAD for %zu of %zu users",
                     rh->failed, rh->checked);
        } else if (rb->checked > 0 && rh->checked == 0) {
            reg = true;
            snprintf(detail, sizeof detail, "exercised in BASE; not checked in HEAD (coverage)");
        } else if (rb->failed > 0 && rh->failed > 0) {
            snprintf(detail, sizeof detail, "fails in both (%zu -> %zu users)", rb->failed,
                     rh->failed);
        } else if (rb->failed > 0) {
            snprintf(detail, sizeof detail, "fixed: failed for %zu users in BASE", rb->failed);
        } else {
            snprintf(detail, sizeof detail, "passes");
        }
        /* Inconclusive users are the harness's lag, not the server's: shown, never a
         * regression. */
        if (rb->inconclusive != rh->inconclusive)
            snprintf(detail + strlen(detail), sizeof detail - strlen(detail),
                     "; inconclusive %zu -> %zu users (the harness fell behind)", rb->inconclusive,
                     rh->inconclusive);
        else if (rh->inconclusive)
            snprintf(detail + strlen(detail), sizeof detail - strlen(detail),
                     "; inconclusive for %zu users in both", rh->inconclusive);
        add_check(c, checks, "rule", id,
                  json_pack("{s:I,s:I,s:I}", "checked", (json_int_t)rb->checked, "failed",
                            (json_int_t)rb->failed, "inconclusive", (json_int_t)rb->inconclusive),
                  json_pack("{s:I,s:I,s:I}", "checked", (json_int_t)rh->checked, "failed",
                            (json_int_t)rh->failed, "inconclusive", (json_int_t)rh->inconclusive),
                  NULL, reg, detail);
    }
}

/* FNV-1a of the check's name: each histogram gets its own, fixed, resampling sequence. */
static uint64_t seed_of(const char *name)
{
    uint64_t h = 0xcbf29ce484222325ULL;

    for (; *name; name++)
        h = (h ^ (unsigned char)*name) * 0x100000001b3ULL;
    return h;
}

static json_t *shift_json(const gp_shift *s)
{
    return json_pack("{s:I,s:I,s:I,s:I,s:b}", "shift_us", (json_int_t)(s->head - s->base),
                     "low_us", (json_int_t)s->lo, "high_us", (json_int_t)s->hi, "floor_us",
                     (json_int_t)s->floor, "beyond_noise", s->beyond);
}

/* A latency histogram: each limit on a percentile is a regression only when HEAD exceeds the
 * limit and the shift is larger than the noise (noise.h); max, one sample, has no noise
 * estimate and is judged on its limit alone. The detail says "within noise" for a shift the
 * bootstrap cannot tell from zero, and the percentage (with its interval) otherwise. */
static void compare_hist(cmp *c, json_t *checks, const char *name, const gp_hist *b,
                         const gp_hist *h, int64_t lag_us)
{
    static const gp_limit_key shown[] = {GP_LIM_P50, GP_LIM_P95, GP_LIM_P99};
    size_t i, k, nq = 0;
    double qs[GP_NOISE_MAX_Q];
    gp_shift sh[GP_NOISE_MAX_Q];
    json_t *jb = json_object(), *jh = json_object(), *noise = json_object(), *o;
    gp_rep detail;
    bool reg = false;
    char lims[512] = "";

    if (b->count == 0 || h->count == 0) {
        json_decref(jb);
        json_decref(jh);
        json_decref(noise);
        return; /* missing samples are a coverage question, checked by event types */
    }
    for (i = 0; i < 5; i++) {
        json_object_set_new(jb, limit_names[i], json_integer(gp_hist_percentile(b, limit_q[i])));
        json_object_set_new(jh, limit_names[i], json_integer(gp_hist_percentile(h, limit_q[i])));
    }
    json_object_set_new(jb, "count", json_integer((json_int_t)b->count));
    json_object_set_new(jh, "count", json_integer((json_int_t)h->count));
    /* The percentiles to estimate noise for: those shown, and those a limit names. */
    for (i = 0; i < GP_LIM_MAX; i++) {
        bool want = i == GP_LIM_P50 || i == GP_LIM_P95 || i == GP_LIM_P99;

        for (k = 0; k < c->nlimits && !want; k++)
            want = c->limits[k].key == (gp_limit_key)i;
        if (want)
            qs[nq++] = limit_q[i];
    }
    gp_noise_shift(b, h, qs, nq, lag_us, seed_of(name), sh);
    for (i = 0; i < nq; i++)
        for (k = 0; k < GP_LIM_MAX; k++)
            if (limit_q[k] == qs[i])
                json_object_set_new(noise, limit_names[k], shift_json(&sh[i]));
    gp_rep_init(&detail, 4096);
    for (i = 0; i < c->nlimits; i++) {
        const gp_limit *l = &c->limits[i];
        const gp_shift *s = NULL;
        double vb, vh, allowed;

        if (l->key == GP_LIM_ERROR_RATE)
            continue;
        for (k = 0; k < nq; k++)
            if (qs[k] == limit_q[l->key])
                s = &sh[k];
        vb = (double)gp_hist_percentile(b, limit_q[l->key]);
        vh = (double)gp_hist_percentile(h, limit_q[l->key]);
        allowed = l->relative ? vb * (1.0 + l->value) : vb + l->value;
        snprintf(lims + strlen(lims), sizeof lims - strlen(lims), "%s%s", lims[0] ? "," : "",
                 l->text);
        if (vh <= allowed)
            continue;
        if (s && !s->beyond) {
            gp_rep_printf(&detail,
                          "%s%s %.1f ms -> %.1f ms exceeds %s but is within noise (95%% "
                          "interval %+.1f..%+.1f ms, floor %.1f ms)",
                          detail.b.len ? "; " : "", limit_names[l->key], vb / 1000.0,
                          vh / 1000.0, l->text, (double)s->lo / 1000.0, (double)s->hi / 1000.0,
                          (double)s->floor / 1000.0);
            continue;
        }
        reg = true;
        gp_rep_printf(&detail, "%s%s %.1f ms -> %.1f ms exceeds %s", detail.b.len ? "; " : "",
                      limit_names[l->key], vb / 1000.0, vh / 1000.0, l->text);
        if (s)
            gp_rep_printf(&detail, " beyond noise (95%% interval %+.1f..%+.1f ms)",
                          (double)s->lo / 1000.0, (double)s->hi / 1000.0);
    }
    if (!reg) {
        for (i = 0; i < sizeof shown / sizeof shown[0]; i++) {
            const gp_shift *s = NULL;

            for (k = 0; k < nq; k++)
                if (qs[k] == limit_q[shown[i]])
                    s = &sh[k];
            if (!s)
                continue;
            gp_rep_printf(&detail, "%s%s ", detail.b.len ? "; " : "", limit_names[shown[i]]);
            if (s->beyond)
                gp_rep_printf(&detail, "%+.0f%% (%+.1f..%+.1f ms)",
                              s->base > 0 ? 100.0 * (double)(s->head - s->base) / (double)s->base
                                          : 0.0,
                              (double)s->lo / 1000.0, (double)s->hi / 1000.0);
            else
                gp_rep_puts(&detail, "within noise");
        }
        gp_rep_puts(&detail, lims[0] ? "; within limits" : "; no limit set");
    }
    o = add_check(c, checks, "latency", name, jb, jh, lims[0] ? lims : NULL, reg,
                  detail.b.data ? detail.b.data : "");
    json_object_set_new(o, "noise", noise);
    gp_rep_cleanup(&detail);
}

/* Drift within HEAD (--max-drift): per golden event and limit, the metric over the last
 * fifth of HEAD's series against the first fifth, each an exact merge of its intervals'
 * histograms. Without a series of at least 5 intervals, one note says drift cannot be
 * judged; it is never a regression. */
static void compare_drift(cmp *c, json_t *checks, const gp_report_scenario *sh, int64_t lag_us)
{
    const gp_series *s = sh->results->series;
    size_t lo, hi, k = gp_series_fifths(s, &lo, &hi), ev, i;
    char detail[512];

    if (!c->opts || !c->opts->ndrifts)
        return;
    if (!k) {
        json_t *o;
        char *name = gp_term_safe(sh->name, 200), *note;

        if (s)
            snprintf(detail, sizeof detail,
                     "drift cannot be judged: HEAD's run spans %zu interval%s of its series, "
                     "fewer than %d",
                     hi - lo, hi - lo == 1 ? "" : "s", GP_SERIES_MIN_INTERVALS);
        else
            snprintf(detail, sizeof detail,
                     "drift cannot be judged: HEAD's report holds no series (results over time)");
        o = add_check(c, checks, "drift", "series", json_null(), json_null(), NULL, false, detail);
        json_object_set_new(o, "note", json_true());
        note = gp_asprintf("NOTE: scenario \"%s\": %s", name, detail);
        json_array_append_new(c->out->warnings, json_string(note));
        free(note);
        free(name);
        return;
    }
    for (ev = 0; ev < GP_EV_GOLDEN_COUNT; ev++) {
        gp_hist first, last;

        gp_hist_init(&first);
        gp_hist_init(&last);
        gp_series_latency_range(s, lo, lo + k, ev, &first);
        gp_series_latency_range(s, hi - k, hi, ev, &last);
        for (i = 0; first.count && last.count && i < c->opts->ndrifts; i++) {
            const gp_limit *l = &c->opts->drifts[i];
            double q = limit_q[l->key];
            int64_t vf = gp_hist_percentile(&first, q), vl = gp_hist_percentile(&last, q);
            double allowed = l->relative ? (double)vf * (1.0 + l->value) : (double)vf + l->value;
            bool over = (double)vl > allowed, reg = over;
            char name[64], pct[32], noise[160] = "";
            gp_shift sft;
            json_t *o;

            snprintf(name, sizeof name, "%s %s", gp_event_type_name((gp_event_type)ev),
                     limit_names[l->key]);
            /* As between two runs, a shift over the limit but within the noise of the two
             * fifths (or below the floor of 1 ms, 6.25% or the loop lag) is no regression;
             * max, one sample, is judged on its limit alone. */
            snprintf(name, sizeof name, "%s %s", gp_event_type_name((gp_event_type)ev),
                     limit_names[l->key]);
            if (over && l->key != GP_LIM_MAX &&
                gp_noise_shift(&first, &last, &q, 1, lag_us, seed_of(name) ^ 0xd71f7ULL, &sft) ==
                    0) {
                reg = sft.beyond;
                snprintf(noise, sizeof noise, "%s (95%% interval %+.1f..%+.1f ms, floor %.1f ms)",
                         reg ? " beyond noise" : " but within noise", (double)sft.lo / 1000.0,
                         (double)sft.hi / 1000.0, (double)sft.floor / 1000.0);
            }
            pct[0] = '\0';
            if (vf) /* no percentage of a zero base */
                snprintf(pct, sizeof pct, ", %+.0f%%", 100.0 * (double)(vl - vf) / (double)vf);
            snprintf(detail, sizeof detail,
                     "%s first fifth %.1f ms -> last fifth %.1f ms (%+.1f ms%s) %s drift limit "
                     "%s%s (intervals %zu-%zu vs %zu-%zu of %zu)",
                     limit_names[l->key], (double)vf / 1000.0, (double)vl / 1000.0,
                     (double)(vl - vf) / 1000.0, pct, over ? "exceeds" : "within", l->text, noise,
                     lo + 1, lo + k, hi - k + 1, hi, s->n);
            o = add_check(c, checks, "drift", name, json_integer(vf), json_integer(vl), l->text,
                          reg, detail);
            json_object_set_new(o, "fifths",
                                json_pack("{s:I,s:[I,I],s:[I,I]}", "intervals", (json_int_t)s->n,
                                          "first", (json_int_t)lo, (json_int_t)(lo + k), "last",
                                          (json_int_t)(hi - k), (json_int_t)hi));
        }
        gp_hist_cleanup(&first);
        gp_hist_cleanup(&last);
    }
}

static double user_error_rate(const gp_results *r)
{
    size_t i, failed = 0;

    for (i = 0; i < r->nusers; i++)
        failed += gp_user_status(&r->users[i]) == GP_STATUS_FAILED;
    return r->nusers ? 100.0 * (double)failed / (double)r->nusers : 0.0;
}

static void compare_errors(cmp *c, json_t *checks, const gp_results *b, const gp_results *h)
{
    double eb = user_error_rate(b), eh = user_error_rate(h), allowed = 0;
    char detail[256], lim[64] = "";
    size_t i;

    for (i = 0; i < c->nlimits; i++) {
        if (c->limits[i].key == GP_LIM_ERROR_RATE && !lim[0]) {
            allowed = c->limits[i].value;
            snprintf(lim, sizeof lim, "%s", c->limits[i].text);
        }
    }
    snprintf(detail, sizeof detail, "failing users %.1f%% -> %.1f%% (%+.1f points)%s", eb, eh,
             eh - eb, lim[0] ? "" : "; no limit set");
    add_check(c, checks, "error_rate", "failed_users", json_real(eb), json_real(eh),
              lim[0] ? lim : NULL, lim[0] && eh - eb > allowed + 1e-9, detail);
    for (i = 0; i < GP_CAUSE__COUNT; i++) {
        double pb, ph;

        if (!b->causes[i] && !h->causes[i])
            continue;
        pb = b->runs_total ? (double)b->causes[i] / (double)b->runs_total : (double)b->causes[i];
        ph = h->runs_total ? (double)h->causes[i] / (double)h->runs_total : (double)h->causes[i];
        snprintf(detail, sizeof detail, "%llu -> %llu (%.3f -> %.3f per run)",
                 (unsigned long long)b->causes[i], (unsigned long long)h->causes[i], pb, ph);
        add_check(c, checks, "cause", gp_cause_name((gp_cause)i), json_real(pb), json_real(ph),
                  NULL, false, detail);
    }
}

static bool has_tool(const gp_results *r, const char *name)
{
    size_t i;

    for (i = 0; i < r->ntools; i++)
        if (strcmp(r->tools[i].name, name) == 0 && r->tools[i].count > 0)
            return true;
    return false;
}

static void compare_coverage(cmp *c, json_t *checks, const gp_results *b, const gp_results *h)
{
    size_t i;
    char detail[256];

    /* Losing error or noise types is good news; only types a healthy run produces count. */
    for (i = 0; i <= GP_EV_READY; i++) {
        if (i == GP_EV_AGENT_ERROR || i == GP_EV_AGENT_DEATH)
            continue;
        if (b->event_counts[i] && !h->event_counts[i]) {
            snprintf(detail, sizeof detail, "event type seen %llu times in BASE, never in HEAD",
                     (unsigned long long)b->event_counts[i]);
            add_check(c, checks, "coverage", gp_event_type_name((gp_event_type)i),
                      json_integer((json_int_t)b->event_counts[i]), json_integer(0), NULL, true,
                      detail);
        }
    }
    for (i = 0; i < b->ntools; i++) {
        if (b->tools[i].count && !has_tool(h, b->tools[i].name)) {
            char *name = gp_asprintf("tool %s", b->tools[i].name);

            snprintf(detail, sizeof detail, "tool called %llu times in BASE, never in HEAD",
                     (unsigned long long)b->tools[i].count);
            add_check(c, checks, "coverage", name, json_integer((json_int_t)b->tools[i].count),
                      json_integer(0), NULL, true, detail);
            free(name);
        }
    }
}

/* The harness's own loop lag in each run, for the reader: a slower harness explains
 * inconclusive verdicts and may colour latencies, but it is never the server's regression. */
static void compare_harness(cmp *c, json_t *checks, const gp_health *b, const gp_health *h)
{
    char detail[256], side[2][96];
    const gp_health *hs[2] = {b, h};
    size_t k;

    if (!b->measured && !h->measured)
        return;
    for (k = 0; k < 2; k++) {
        if (hs[k]->measured)
            snprintf(side[k], sizeof side[k], "p99 %.1f ms, max %.1f ms, %zu stall%s",
                     (double)hs[k]->lag_p99_us / 1000.0, (double)hs[k]->lag_max_us / 1000.0,
                     hs[k]->nstalls, hs[k]->nstalls == 1 ? "" : "s");
        else
            snprintf(side[k], sizeof side[k], "not measured");
    }
    snprintf(detail, sizeof detail, "harness loop lag %s -> %s", side[0], side[1]);
    add_check(c, checks, "harness", "lag_p99_ms",
              b->measured ? json_real((double)b->lag_p99_us / 1000.0) : json_null(),
              h->measured ? json_real((double)h->lag_p99_us / 1000.0) : json_null(), NULL, false,
              detail);
}

/* A HEAD that did less than BASE proves less: an interrupted run, fewer users or fewer runs
 * would otherwise read as "no regression" while most of the checks never happened. */
static void compare_run(cmp *c, json_t *checks, const gp_report_scenario *sb,
                        const gp_report_scenario *sh)
{
    char detail[256];

    if (sh->interrupted && !sb->interrupted)
        add_check(c, checks, "run", "interrupted", json_string("no"), json_string("yes"), NULL,
                  true, "HEAD was interrupted before it finished; BASE ran to the end");
    if (sh->users < sb->users) {
        snprintf(detail, sizeof detail, "HEAD ran %u users, BASE %u", sh->users, sb->users);
        add_check(c, checks, "run", "users", json_integer(sb->users), json_integer(sh->users), NULL,
                  true, detail);
    }
    if (sh->results->runs_total < sb->results->runs_total) {
        snprintf(detail, sizeof detail, "HEAD ran %zu runs, BASE %zu", sh->results->runs_total,
                 sb->results->runs_total);
        add_check(c, checks, "run", "runs", json_integer((json_int_t)sb->results->runs_total),
                  json_integer((json_int_t)sh->results->runs_total), NULL, true, detail);
    }
}

static void compare_scenario(cmp *c, const gp_report_scenario *sb, const gp_report_scenario *sh)
{
    json_t *checks = json_array(), *o;
    const gp_results *b = sb->results, *h = sh->results;
    bool changed = strcmp(sb->digest, sh->digest) != 0;
    int64_t lag;
    size_t i;

    if (changed) {
        char detail[512];
        /* A digest read from a file may be anything: cut it on a character boundary (a cut
         * mid-character made the detail invalid UTF-8, and the warning was lost) and keep
         * control characters away from the terminal. */
        char *db = gp_term_safe(sb->digest, 12), *dh = gp_term_safe(sh->digest, 12),
             *name = gp_term_safe(sb->name, 200), *warning;

        /* Scenario files evolve between releases; refusing to compare would leave a release
         * unchecked. Compare, but say loudly that a difference may be the scenario's. */
        snprintf(detail, sizeof detail,
                 "WARNING: the scenario file changed between BASE and HEAD (digest %s -> "
                 "%s); a difference below may come from the scenario, not the server",
                 db, dh);
        add_check(c, checks, "scenario", "changed", json_string(sb->digest),
                  json_string(sh->digest), NULL, false, detail);
        warning = gp_asprintf(
            "WARNING: scenario \"%s\" was run from a changed file (digest %s in %s, %s in %s); "
            "its results are compared, but a difference may come from the scenario, not the "
            "server",
            name, db, c->out->base_name, dh, c->out->head_name);
        json_array_append_new(c->out->warnings, json_string(warning));
        free(warning);
        free(db);
        free(dh);
        free(name);
        c->out->changed++;
    }
    /* The harness's own loop lag in either run: latencies cannot be read finer than it. */
    lag = sb->health.measured ? sb->health.lag_p99_us : 0;
    if (sh->health.measured && sh->health.lag_p99_us > lag)
        lag = sh->health.lag_p99_us;
    compare_run(c, checks, sb, sh);
    compare_harness(c, checks, &sb->health, &sh->health);
    compare_rules(c, checks, b, h);
    for (i = 0; i < GP_EV_GOLDEN_COUNT; i++)
        compare_hist(c, checks, gp_event_type_name((gp_event_type)i), &b->latency[i],
                     &h->latency[i], lag);
    compare_hist(c, checks, "run_duration", &b->run_duration, &h->run_duration, lag);
    compare_hist(c, checks, "tool_duration", &b->tool_duration, &h->tool_duration, lag);
    compare_hist(c, checks, "gaps", &b->gaps, &h->gaps, lag);
    compare_drift(c, checks, sh, sh->health.measured ? sh->health.lag_p99_us : 0);
    compare_errors(c, checks, b, h);
    compare_coverage(c, checks, b, h);
    o = json_pack("{s:s,s:s,s:s,s:b,s:o}", "name", sb->name, "digest", sb->digest, "head_digest",
                  sh->digest, "scenario_changed", changed, "checks", checks);
    json_array_append_new(c->scenarios, o);
}

/* Reports are comparable when they hold the same scenarios (by name), in the same order. The
 * scenario files may differ (see compare_scenario). */
static int comparable(const gp_report_doc *b, const gp_report_doc *h, const char *pb,
                      const char *ph, gp_err *err)
{
    size_t i;

    if (b->n != h->n) {
        gp_err_set(err, GP_EXIT_USAGE, NULL, 0, 0,
                   "%s holds %zu scenarios and %s holds %zu: reports of different scenario "
                   "sets cannot be compared",
                   pb, b->n, ph, h->n);
        return -1;
    }
    for (i = 0; i < b->n; i++) {
        if (strcmp(b->scenarios[i].name, h->scenarios[i].name) != 0) {
            char *nb = gp_term_safe(b->scenarios[i].name, 200),
                 *nh = gp_term_safe(h->scenarios[i].name, 200);

            gp_err_set(err, GP_EXIT_USAGE, NULL, 0, 0,
                       "scenario %zu is \"%s\" in %s but \"%s\" in %s: reports of different "
                       "scenarios cannot be compared",
                       i + 1, nb, pb, nh, ph);
            free(nb);
            free(nh);
            return -1;
        }
    }
    return 0;
}

static void value_text(const char *kind, json_t *v, char *buf, size_t size)
{
    if (strcmp(kind, "rule") == 0)
        snprintf(buf, size, "%s",
                 json_integer_value(json_object_get(v, "checked")) == 0   ? "-"
                 : json_integer_value(json_object_get(v, "failed"))       ? "FAIL"
                 : json_integer_value(json_object_get(v, "inconclusive")) ? "INC?"
                                                                          : "pass");
    else if (strcmp(kind, "harness") == 0 && json_is_number(v))
        snprintf(buf, size, "%.1f ms", json_number_value(v));
    else if (strcmp(kind, "harness") == 0 || (strcmp(kind, "drift") == 0 && !json_is_integer(v)))
        snprintf(buf, size, "-");
    else if (strcmp(kind, "drift") == 0)
        snprintf(buf, size, "%.1f ms", (double)json_integer_value(v) / 1000.0);
    else if (strcmp(kind, "latency") == 0)
        snprintf(buf, size, "p95 %.1f ms",
                 (double)json_integer_value(json_object_get(v, "p95")) / 1000.0);
    else if (strcmp(kind, "error_rate") == 0)
        snprintf(buf, size, "%.1f%%", json_number_value(v));
    else if (strcmp(kind, "scenario") == 0)
        snprintf(buf, size, "%.12s", json_string_value(v) ? json_string_value(v) : "?");
    else if (json_is_string(v))
        snprintf(buf, size, "%s", json_string_value(v));
    else if (strcmp(kind, "cause") == 0)
        snprintf(buf, size, "%.3f/run", json_number_value(v));
    else
        snprintf(buf, size, "%lld", (long long)json_integer_value(v));
}

/* " (release=2.4.1, env=staging)" from a report's first scenario's labels, or "". */
static void labels_text(const gp_report_doc *d, char *buf, size_t size)
{
    json_t *labels = d->n ? json_object_get(d->scenarios[0].json, "labels") : NULL, *v;
    const char *k;
    size_t used = 0;

    buf[0] = '\0';
    json_object_foreach(labels, k, v)
    {
        int n = snprintf(buf + used, size - used, "%s%s=%s", used ? ", " : " (", k,
                         json_is_string(v) ? json_string_value(v) : "?");

        if (n < 0 || (size_t)n >= size - used)
            break;
        used += (size_t)n;
    }
    if (used && used + 1 < size)
        strcat(buf, ")");
}

gp_comparison *gp_compare(const gp_report_doc *b, const gp_report_doc *h,
                          const gp_compare_opts *opts, gp_err *err)
{
    cmp c;
    gp_comparison *out;
    size_t i, k;
    char lb[256], lh[256];

    memset(&c, 0, sizeof c);
    c.opts = opts;
    for (i = 0; i < opts->nlimits && i < GP_COMPARE_MAX_LIMITS; i++)
        c.limits[c.nlimits++] = opts->limits[i];
    /* The defaults apply to what the caller set no limit for: any latency limit replaces the
     * latency defaults (a p95=150% beside a default p50=25% would surprise), an error_rate
     * limit the error_rate default. */
    for (i = 0; !opts->no_default_limits && i < sizeof default_limits / sizeof *default_limits;
         i++) {
        gp_limit d;
        bool given = false;

        if (gp_compare_parse_limit(default_limits[i], &d, NULL) != 0)
            continue;
        for (k = 0; k < opts->nlimits; k++)
            given = given || (opts->limits[k].key == GP_LIM_ERROR_RATE) ==
                                 (d.key == GP_LIM_ERROR_RATE);
        if (!given)
            c.limits[c.nlimits++] = d;
    }
    if (comparable(b, h, opts->base_name, opts->head_name, err) != 0)
        return NULL;
    c.out = out = gp_calloc(1, sizeof *out);
    out->scenarios = c.scenarios = json_array();
    out->limits = json_array();
    out->warnings = json_array();
    out->base_name = gp_strdup(opts->base_name ? opts->base_name : "BASE");
    out->head_name = gp_strdup(opts->head_name ? opts->head_name : "HEAD");
    out->base_version = gp_strdup(b->harness_version ? b->harness_version : "");
    out->head_version = gp_strdup(h->harness_version ? h->harness_version : "");
    out->base_generated = gp_strdup(b->generated_at ? b->generated_at : "");
    out->head_generated = gp_strdup(h->generated_at ? h->generated_at : "");
    labels_text(b, lb, sizeof lb);
    labels_text(h, lh, sizeof lh);
    out->base_labels = gp_strdup(lb);
    out->head_labels = gp_strdup(lh);
    for (i = 0; i < c.nlimits; i++)
        json_array_append_new(out->limits, json_string(c.limits[i].text));
    for (i = 0; i < opts->ndrifts && i < GP_COMPARE_MAX_LIMITS; i++) {
        char *t = gp_asprintf("drift %s", opts->drifts[i].text);

        json_array_append_new(out->limits, json_string(t));
        free(t);
    }
    for (i = 0; i < b->n; i++)
        compare_scenario(&c, &b->scenarios[i], &h->scenarios[i]);
    out->regressions = c.regressions;
    return out;
}

void gp_comparison_free(gp_comparison *c)
{
    if (!c)
        return;
    json_decref(c->scenarios);
    json_decref(c->limits);
    json_decref(c->warnings);
    free(c->base_name);
    free(c->head_name);
    free(c->base_labels);
    free(c->head_labels);
    free(c->base_version);
    free(c->head_version);
    free(c->base_generated);
    free(c->head_generated);
    free(c);
}

int gp_comparison_exit(const gp_comparison *c)
{
    return c->regressions ? GP_EXIT_FAILED : GP_EXIT_OK;
}

static const char *verdict_text(json_t *chk, const char *kind)
{
    return json_is_true(json_object_get(chk, "regression")) ? "REGRESSION"
           : json_is_true(json_object_get(chk, "note"))     ? "NOTE"
           : strcmp(kind, "scenario") == 0                  ? "WARNING"
                                                            : "ok";
}

void gp_compare_print(FILE *out, const gp_comparison *c)
{
    size_t i, j;
    json_t *s, *chk;
    char *pb = gp_term_safe(c->base_name, 300), *ph = gp_term_safe(c->head_name, 300),
         *sb = gp_term_safe(c->base_labels, 256), *sh = gp_term_safe(c->head_labels, 256);

    fprintf(out, "goldenpath compare: BASE %s%s  vs  HEAD %s%s\n", pb, sb, ph, sh);
    free(pb);
    free(ph);
    free(sb);
    free(sh);
    json_array_foreach(c->scenarios, i, s)
    {
        char *sname = gp_term_safe(json_string_value(json_object_get(s, "name")), 200);

        /* Names and details come from the report files: escaped for the terminal. */
        fprintf(out, "\n== %s ==\n  %-10s %-10s %-22s %-14s %-14s %s\n", sname, "verdict", "kind",
                "name", "base", "head", "detail");
        free(sname);
        json_array_foreach(json_object_get(s, "checks"), j, chk)
        {
            const char *kind = json_string_value(json_object_get(chk, "kind"));
            char vb[64], vh[64];
            char *cname = gp_term_safe(json_string_value(json_object_get(chk, "name")), 200),
                 *detail = gp_term_safe(json_string_value(json_object_get(chk, "detail")), 600);

            value_text(kind, json_object_get(chk, "base"), vb, sizeof vb);
            value_text(kind, json_object_get(chk, "head"), vh, sizeof vh);
            fprintf(out, "  %-10s %-10s %-22s %-14s %-14s %s\n", verdict_text(chk, kind), kind,
                    cname, vb, vh, detail);
            free(cname);
            free(detail);
        }
    }
    fprintf(out, "\ncompare: %zu regression%s", c->regressions, c->regressions == 1 ? "" : "s");
    if (c->changed)
        fprintf(out,
                "; WARNING: %zu scenario%s changed between BASE and HEAD (digests differ), so a "
                "difference may be the scenario's",
                c->changed, c->changed == 1 ? "" : "s");
    fputc('\n', out);
}

int gp_compare_write_junit(const gp_comparison *c, const char *path, gp_err *err)
{
    gp_rep r;
    size_t i, j, tests = 0;
    json_t *s, *chk;
    char when[40];

    json_array_foreach(c->scenarios, i, s) tests += json_array_size(json_object_get(s, "checks"));
    gp_iso8601_format(gp_wall_us(), false, when, sizeof when);
    gp_rep_init(&r, GP_REPORT_MAX_BYTES);
    gp_rep_printf(&r,
                  "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"goldenpath "
                  "compare\" tests=\"%zu\" failures=\"%zu\" errors=\"0\" time=\"0\">\n",
                  tests, c->regressions);
    json_array_foreach(c->scenarios, i, s)
    {
        json_t *checks = json_object_get(s, "checks");
        const char *name = json_string_value(json_object_get(s, "name"));
        size_t fails = 0;

        json_array_foreach(checks, j, chk) fails +=
            json_is_true(json_object_get(chk, "regression"));
        gp_rep_puts(&r, "  <testsuite name=\"goldenpath.compare.");
        gp_rep_xml(&r, name, strlen(name));
        gp_rep_printf(&r,
                      "\" tests=\"%zu\" failures=\"%zu\" errors=\"0\" skipped=\"0\" time=\"0\" "
                      "timestamp=\"%s\" hostname=\"localhost\">\n",
                      json_array_size(checks), fails, when);
        json_array_foreach(checks, j, chk)
        {
            const char *kind = json_string_value(json_object_get(chk, "kind"));
            const char *cname = json_string_value(json_object_get(chk, "name"));
            const char *detail = json_string_value(json_object_get(chk, "detail"));

            gp_rep_puts(&r, "    <testcase classname=\"goldenpath.compare.");
            gp_rep_xml(&r, name, strlen(name));
            gp_rep_printf(&r, ".%s\" name=\"", kind);
            gp_rep_xml(&r, cname, strlen(cname));
            gp_rep_puts(&r, "\" time=\"0\"");
            if (strcmp(kind, "scenario") == 0) {
                gp_rep_puts(&r, ">\n      <system-out>");
                gp_rep_xml(&r, detail, strlen(detail));
                gp_rep_puts(&r, "</system-out>\n    </testcase>\n");
                continue;
            }
            if (!json_is_true(json_object_get(chk, "regression"))) {
                gp_rep_puts(&r, "/>\n");
                continue;
            }
            gp_rep_puts(&r, ">\n      <failure message=\"");
            gp_rep_xml(&r, detail, strlen(detail));
            gp_rep_printf(&r, "\" type=\"regression.%s\">", kind);
            gp_rep_xml(&r, detail, strlen(detail));
            gp_rep_puts(&r, "</failure>\n    </testcase>\n");
        }
        gp_rep_puts(&r, "  </testsuite>\n");
    }
    gp_rep_puts(&r, "</testsuites>\n");
    return gp_rep_save(&r, path, "compare JUnit", err);
}

int gp_compare_write_json(const gp_comparison *c, const char *path, gp_err *err)
{
    json_t *root;
    char *s;
    int rc;

    root = json_pack("{s:s,s:i,s:{s:s,s:s,s:s},s:{s:s,s:s,s:s},s:O,s:I,s:b,s:O}", "format",
                     "goldenpath-compare", "version", 1, "base", "path", c->base_name,
                     "harness_version", c->base_version, "generated_at", c->base_generated,
                     "head", "path", c->head_name, "harness_version", c->head_version,
                     "generated_at", c->head_generated, "limits", c->limits, "regressions",
                     (json_int_t)c->regressions, "regressed", c->regressions > 0, "scenarios",
                     c->scenarios);
    if (root)
        json_object_set_new(root, "scenarios_changed", json_integer((json_int_t)c->changed));
    s = root ? json_dumps(root, JSON_INDENT(1) | JSON_PRESERVE_ORDER) : NULL;
    json_decref(root);
    if (!s) {
        gp_err_set(err, GP_EXIT_INTERNAL, path, 0, 0, "cannot serialise the comparison");
        return -1;
    }
    rc = gp_write_file_atomic(path, s, strlen(s), err);
    free(s);
    return rc;
}

/* A table cell holds inline Markdown only, so only what opens inline syntax is escaped: <, >
 * and & become entities (no HTML tag, autolink or entity survives); backslash, code span,
 * emphasis, link and image brackets, strikethrough, math ($), mentions (@), "|" (GFM's cell
 * separator) and ":" (URL autolinks) are backslash-escaped, which CommonMark allows for any
 * ASCII punctuation. Line breaks and other control characters would end the row, so they
 * become spaces. Text is cut at max bytes on a UTF-8 character boundary. */
void gp_compare_md_escape(gp_rep *r, const char *s, size_t max)
{
    size_t n, len;
    char *clean;

    if (!s)
        return;
    clean = gp_utf8_clean(s, strlen(s), max, NULL);
    len = strlen(clean);
    for (n = 0; n < len; n++) {
        unsigned char ch = (unsigned char)clean[n];

        if (ch == '<')
            gp_rep_puts(r, "&lt;");
        else if (ch == '>')
            gp_rep_puts(r, "&gt;");
        else if (ch == '&')
            gp_rep_puts(r, "&amp;");
        else if (ch < 0x20 || ch == 0x7f)
            gp_rep_puts(r, " ");
        else if (strchr("\\`*_[]()|~!:@#$", ch))
            gp_rep_printf(r, "\\%c", ch);
        else
            gp_rep_write(r, &clean[n], 1);
    }
    free(clean);
}

static void md_row(gp_rep *r, const char *const *cells, size_t n)
{
    size_t i;

    gp_rep_puts(r, "|");
    for (i = 0; i < n; i++) {
        gp_rep_puts(r, " ");
        gp_compare_md_escape(r, cells[i], 600);
        gp_rep_puts(r, " |");
    }
    gp_rep_puts(r, "\n");
}

int gp_compare_write_markdown(const gp_comparison *c, const char *path, gp_err *err)
{
    gp_rep r;
    size_t i, j;
    json_t *s, *chk, *w;

    gp_rep_init(&r, GP_REPORT_MAX_BYTES);
    gp_rep_puts(&r, "## goldenpath compare: ");
    gp_rep_puts(&r, c->regressions ? "**regression**" : "no regression");
    gp_rep_printf(&r, " (%zu regression%s)\n\n", c->regressions, c->regressions == 1 ? "" : "s");
    gp_rep_puts(&r, "BASE ");
    gp_compare_md_escape(&r, c->base_name, 300);
    gp_compare_md_escape(&r, c->base_labels, 256);
    gp_rep_puts(&r, " vs HEAD ");
    gp_compare_md_escape(&r, c->head_name, 300);
    gp_compare_md_escape(&r, c->head_labels, 256);
    gp_rep_puts(&r, "\n\nLimits: ");
    json_array_foreach(c->limits, i, w)
    {
        gp_rep_puts(&r, i ? ", " : "");
        gp_compare_md_escape(&r, json_string_value(w), 64);
    }
    gp_rep_puts(&r, json_array_size(c->limits) ? "\n" : "none\n");
    json_array_foreach(c->warnings, i, w)
    {
        gp_rep_puts(&r, "\n> ");
        gp_compare_md_escape(&r, json_string_value(w), 600);
        gp_rep_puts(&r, "\n");
    }
    json_array_foreach(c->scenarios, i, s)
    {
        static const char *const head[] = {"verdict", "kind", "name", "base", "head", "detail"};

        gp_rep_puts(&r, "\n### ");
        gp_compare_md_escape(&r, json_string_value(json_object_get(s, "name")), 200);
        gp_rep_puts(&r, "\n\n");
        md_row(&r, head, 6);
        gp_rep_puts(&r, "|---|---|---|---|---|---|\n");
        json_array_foreach(json_object_get(s, "checks"), j, chk)
        {
            const char *kind = json_string_value(json_object_get(chk, "kind"));
            char vb[64], vh[64];
            const char *cells[6];

            value_text(kind, json_object_get(chk, "base"), vb, sizeof vb);
            value_text(kind, json_object_get(chk, "head"), vh, sizeof vh);
            cells[0] = verdict_text(chk, kind);
            cells[1] = kind;
            cells[2] = json_string_value(json_object_get(chk, "name"));
            cells[3] = vb;
            cells[4] = vh;
            cells[5] = json_string_value(json_object_get(chk, "detail"));
            md_row(&r, cells, 6);
        }
    }
    return gp_rep_save(&r, path, "compare Markdown", err);
}
