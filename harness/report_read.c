/* report_read.c - JSON report -> gp_report_doc. Checks the format, version and the members
 * compare and merge depend on, and rebuilds gp_results and the harness's health; it keeps
 * transcripts as JSON. Members added later (inconclusive verdicts, "harness") are optional, so
 * older reports still load. */
#include "report_read.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"
#include "timeseries.h"

typedef struct reader {
    const char *src;
    gp_err *err;
    bool failed;
} reader;

/* The member key of obj with the given type (JSON_TRUE stands for any boolean, JSON_REAL for
 * any number), or NULL with the first error recorded. */
static json_t *member(reader *rd, json_t *obj, const char *where, const char *key, json_type type)
{
    json_t *v = json_object_get(obj, key);
    bool ok;

    if (rd->failed)
        return NULL;
    if (type == JSON_TRUE)
        ok = json_is_boolean(v);
    else if (type == JSON_REAL)
        ok = json_is_number(v);
    else
        ok = v && json_typeof(v) == type;
    if (!ok) {
        gp_err_set(rd->err, GP_EXIT_USAGE, rd->src, 0, 0, "%s%s%s: %s", where, *where ? "." : "",
                   key, v ? "has the wrong type" : "missing");
        rd->failed = true;
        return NULL;
    }
    return v;
}

static const char *mstr(reader *rd, json_t *obj, const char *where, const char *key)
{
    json_t *v = member(rd, obj, where, key, JSON_STRING);

    return v ? json_string_value(v) : "";
}

static int64_t mint(reader *rd, json_t *obj, const char *where, const char *key)
{
    json_t *v = member(rd, obj, where, key, JSON_INTEGER);
    json_int_t n = v ? json_integer_value(v) : 0;

    /* Beyond 2^53 no real report goes; refusing it keeps later arithmetic defined. */
    if (n > ((json_int_t)1 << 53) || n < -((json_int_t)1 << 53)) {
        gp_err_set(rd->err, GP_EXIT_USAGE, rd->src, 0, 0, "%s.%s: %lld is out of range", where, key,
                   (long long)n);
        rd->failed = true;
        return 0;
    }
    return (int64_t)n;
}

static bool mbool(reader *rd, json_t *obj, const char *where, const char *key)
{
    json_t *v = member(rd, obj, where, key, JSON_TRUE);

    return v && json_is_true(v);
}

static void read_hist(reader *rd, json_t *obj, const char *where, const char *key, gp_hist *h)
{
    json_t *v = member(rd, obj, where, key, JSON_OBJECT);

    gp_hist_cleanup(h);
    if (v && gp_hist_from_json(h, v) != 0) {
        gp_err_set(rd->err, GP_EXIT_USAGE, rd->src, 0, 0,
                   "%s.%s: not a histogram (bucket counts must add up to count)", where, key);
        rd->failed = true;
    }
}

/* An optional member: absent is fine (an older report), present with the wrong type is not. */
static json_t *optional(reader *rd, json_t *obj, const char *where, const char *key, json_type type)
{
    return json_object_get(obj, key) ? member(rd, obj, where, key, type) : NULL;
}

static void read_examples(reader *rd, json_t *ex, const char *w, gp_failure *fs, size_t *n)
{
    json_t *fj;
    size_t j;

    json_array_foreach(ex, j, fj)
    {
        gp_failure *f;
        json_t *frame = json_object_get(fj, "frame"), *cause = json_object_get(fj, "cause");

        if (*n >= GP_MAX_EXAMPLES || rd->failed)
            break;
        f = &fs[(*n)++];
        f->user = (size_t)mint(rd, fj, w, "user");
        f->step = (int)mint(rd, fj, w, "step");
        f->frame = json_is_integer(frame) ? (size_t)json_integer_value(frame) : GP_NO_FRAME;
        f->expected = gp_strdup(mstr(rd, fj, w, "expected"));
        f->received = gp_strdup(mstr(rd, fj, w, "received"));
        f->cause = json_is_string(cause) ? gp_strdup(json_string_value(cause)) : NULL;
    }
}

static void read_rules(reader *rd, json_t *sj, const char *where, gp_results *r)
{
    json_t *rules = member(rd, sj, where, "rules", JSON_ARRAY), *rj;
    size_t i;
    char w[192];

    json_array_foreach(rules, i, rj)
    {
        int id;
        gp_rule_result *rr;

        snprintf(w, sizeof w, "%s.rules[%zu]", where, i);
        id = gp_rule_from_id(mstr(rd, rj, w, "id"));
        if (rd->failed)
            return;
        if (id < 0)
            continue; /* a rule a newer harness knows: nothing to rebuild it into */
        rr = &r->rules[id];
        rr->checked = (size_t)mint(rd, rj, w, "checked");
        rr->passed = (size_t)mint(rd, rj, w, "passed");
        rr->failed = (size_t)mint(rd, rj, w, "failed");
        if (optional(rd, rj, w, "inconclusive", JSON_INTEGER))
            rr->inconclusive = (size_t)mint(rd, rj, w, "inconclusive");
        read_examples(rd, member(rd, rj, w, "examples", JSON_ARRAY), w, rr->examples,
                      &rr->nexamples);
        read_examples(rd, optional(rd, rj, w, "inconclusive_examples", JSON_ARRAY), w,
                      rr->inconclusive_examples, &rr->ninconclusive);
    }
}

static int64_t ms_to_us(reader *rd, json_t *obj, const char *where, const char *key)
{
    json_t *v = member(rd, obj, where, key, JSON_REAL);
    double ms = v ? json_number_value(v) : 0;

    if (!(ms >= 0 && ms < 9e12)) { /* also refuses NaN */
        gp_err_set(rd->err, GP_EXIT_USAGE, rd->src, 0, 0, "%s.%s: out of range", where, key);
        rd->failed = true;
        return 0;
    }
    return (int64_t)llround(ms * 1000.0);
}

static double mnum(reader *rd, json_t *obj, const char *where, const char *key)
{
    json_t *v = member(rd, obj, where, key, JSON_REAL);

    return v ? json_number_value(v) : 0;
}

/* "harness": the runner's own lag, CPU and stalls, absent in reports from before it. */
static void read_harness(reader *rd, json_t *sj, const char *where, gp_health *h)
{
    json_t *hj = optional(rd, sj, where, "harness", JSON_OBJECT), *stalls, *st;
    char w[192], sw[224];
    size_t i;

    if (!hj)
        return;
    snprintf(w, sizeof w, "%s.harness", where);
    h->measured = true;
    h->workers = (unsigned)mint(rd, hj, w, "workers");
    h->lag_p50_us = ms_to_us(rd, hj, w, "lag_p50_ms");
    h->lag_p99_us = ms_to_us(rd, hj, w, "lag_p99_ms");
    h->lag_max_us = ms_to_us(rd, hj, w, "lag_max_ms");
    h->cpu_user_s = mnum(rd, hj, w, "cpu_user_s");
    h->cpu_sys_s = mnum(rd, hj, w, "cpu_sys_s");
    h->cpu_busy = mnum(rd, hj, w, "cpu_busy");
    stalls = member(rd, hj, w, "stalls", JSON_ARRAY);
    json_array_foreach(stalls, i, st)
    {
        int64_t from, to, lag;

        snprintf(sw, sizeof sw, "%s.stalls[%zu]", w, i);
        from = ms_to_us(rd, st, sw, "from_ms");
        to = ms_to_us(rd, st, sw, "to_ms");
        lag = ms_to_us(rd, st, sw, "lag_ms");
        if (rd->failed)
            return;
        /* Written sorted; a hand-edited report out of order widens the last window rather
         * than breaking the order the binary search relies on. */
        gp_health_add_stall(h, from, to, lag);
    }
}

static void read_users(reader *rd, json_t *sj, const char *where, gp_results *r)
{
    json_t *users = member(rd, sj, where, "user_results", JSON_ARRAY), *uj, *fr, *cause;
    size_t i, j;
    char w[192];

    if (!users)
        return;
    free(r->users); /* gp_results_new(0) left an empty allocation */
    r->nusers = json_array_size(users);
    r->users = gp_calloc(r->nusers ? r->nusers : 1, sizeof *r->users);
    json_array_foreach(users, i, uj)
    {
        gp_user_result *u = &r->users[i];

        snprintf(w, sizeof w, "%s.user_results[%zu]", where, i);
        u->index = (size_t)mint(rd, uj, w, "index");
        u->user_id = gp_strdup(mstr(rd, uj, w, "id"));
        u->passed = mbool(rd, uj, w, "passed");
        u->not_started =
            json_is_string(json_object_get(uj, "status")) &&
            strcmp(json_string_value(json_object_get(uj, "status")), "not_started") == 0;
        if (u->not_started)
            u->passed = false;
        u->runs_expected = (size_t)mint(rd, uj, w, "runs_expected");
        u->runs_completed = (size_t)mint(rd, uj, w, "runs_completed");
        cause = json_object_get(uj, "cause");
        u->cause = json_is_string(cause) ? gp_strdup(json_string_value(cause)) : NULL;
        fr = member(rd, uj, w, "failed_rules", JSON_ARRAY);
        for (j = 0; fr && j < json_array_size(fr); j++) {
            const char *rid = json_string_value(json_array_get(fr, j));
            int id = rid ? gp_rule_from_id(rid) : -1;

            if (id >= 0)
                u->failed_rules |= 1u << id;
        }
        fr = optional(rd, uj, w, "inconclusive_rules", JSON_ARRAY);
        for (j = 0; fr && j < json_array_size(fr); j++) {
            const char *rid = json_string_value(json_array_get(fr, j));
            int id = rid ? gp_rule_from_id(rid) : -1;

            if (id >= 0)
                u->inconclusive_rules |= 1u << id;
        }
        if (rd->failed)
            return;
    }
}

static void read_scenario(reader *rd, json_t *sj, size_t idx, gp_report_scenario *s)
{
    char w[64];
    json_t *lat, *causes, *counts, *tools, *cov, *v, *summary, *digest;
    const char *key;
    gp_results *r;
    size_t i;

    snprintf(w, sizeof w, "scenarios[%zu]", idx);
    s->json = sj;
    if (!json_is_object(sj)) {
        gp_err_set(rd->err, GP_EXIT_USAGE, rd->src, 0, 0, "%s: not an object", w);
        rd->failed = true;
        return;
    }
    s->name = gp_strdup(mstr(rd, sj, w, "name"));
    digest = json_object_get(sj, "digest");
    s->digest = gp_strdup(json_is_string(digest) ? json_string_value(digest) : "");
    v = json_object_get(sj, "path");
    s->path = gp_strdup(json_is_string(v) ? json_string_value(v) : "");
    v = json_object_get(sj, "target");
    s->target = gp_strdup(json_is_string(v) ? json_string_value(v) : "");
    s->started_wall_us = mint(rd, sj, w, "started_at_us");
    s->duration_us = mint(rd, sj, w, "duration_ms") * 1000;
    s->users = (unsigned)mint(rd, sj, w, "users");
    s->interrupted = mbool(rd, sj, w, "interrupted");
    s->results = r = gp_results_new(0);
    summary = member(rd, sj, w, "summary", JSON_OBJECT);
    if (summary) {
        r->runs_total = (size_t)mint(rd, summary, w, "runs_total");
        r->runs_passed = (size_t)mint(rd, summary, w, "runs_passed");
    }
    v = json_object_get(sj, "connection"); /* optional: reports before it lack it */
    if (json_is_object(v)) {
        r->tls = json_is_true(json_object_get(v, "tls"));
        r->tls_insecure = r->tls && json_is_false(json_object_get(v, "certificates_verified"));
        r->tls_client_cert = json_is_true(json_object_get(v, "client_certificate"));
        r->connections = (size_t)json_integer_value(json_object_get(v, "connections"));
        r->deflate_offered = (size_t)json_integer_value(json_object_get(v, "deflate_offered"));
        r->deflate_negotiated =
            (size_t)json_integer_value(json_object_get(v, "deflate_negotiated"));
    }
    read_rules(rd, sj, w, r);
    read_users(rd, sj, w, r);
    read_harness(rd, sj, w, &s->health);
    causes = member(rd, sj, w, "causes", JSON_OBJECT);
    json_object_foreach(causes, key, v)
    {
        int c = gp_cause_from_name(key);

        if (c >= 0 && json_is_integer(v))
            r->causes[c] = (uint64_t)json_integer_value(v);
    }
    lat = member(rd, sj, w, "latency", JSON_OBJECT);
    for (i = 0; lat && i < GP_EV_GOLDEN_COUNT; i++) {
        char lw[160];

        snprintf(lw, sizeof lw, "%s.latency", w);
        read_hist(rd, lat, lw, gp_event_type_name((gp_event_type)i), &r->latency[i]);
    }
    if (json_object_get(sj, "series")) {
        r->series = gp_series_from_json(json_object_get(sj, "series"));
        if (!r->series && !rd->failed) {
            gp_err_set(rd->err, GP_EXIT_USAGE, rd->src, 0, 0, "%s.series: malformed", w);
            rd->failed = true;
        }
    }
    read_hist(rd, sj, w, "gaps", &r->gaps);
    read_hist(rd, sj, w, "tool_duration", &r->tool_duration);
    read_hist(rd, sj, w, "run_duration", &r->run_duration);
    counts = member(rd, sj, w, "event_counts", JSON_OBJECT);
    json_object_foreach(counts, key, v)
    {
        int t = gp_event_type_from_name(key);

        if (t >= 0 && json_is_integer(v))
            r->event_counts[t] = (uint64_t)json_integer_value(v);
    }
    cov = member(rd, sj, w, "coverage", JSON_OBJECT);
    tools = cov ? member(rd, cov, "coverage", "tools", JSON_OBJECT) : NULL;
    /* Under the same bound as a run's count (GP_MAX_TOOLS, the rest as GP_OTHER_TOOLS): a file
     * naming 200,000 tools must not make compare and merge scan a list per name. */
    json_object_foreach(tools, key, v) gp_results_add_tool(r, key, (uint64_t)json_integer_value(v));
    member(rd, sj, w, "transcripts", JSON_OBJECT);
}

gp_report_doc *gp_report_from_json(json_t *root, const char *src, gp_err *err)
{
    reader rd = {src, err, false};
    gp_report_doc *d;
    json_t *scen, *fmt, *ver;
    size_t i;

    fmt = json_object_get(root, "format");
    ver = json_object_get(root, "version");
    if (!json_is_object(root) || !json_is_string(fmt) ||
        strcmp(json_string_value(fmt), GP_REPORT_FORMAT) != 0) {
        gp_err_set(err, GP_EXIT_USAGE, src, 0, 0,
                   "not a goldenpath report (\"format\" is not \"%s\")", GP_REPORT_FORMAT);
        return NULL;
    }
    if (!json_is_integer(ver) || json_integer_value(ver) != GP_REPORT_VERSION) {
        gp_err_set(err, GP_EXIT_USAGE, src, 0, 0,
                   "report version %s is not supported (this harness reads version %d)",
                   json_is_integer(ver) ? "other than 1" : "missing", GP_REPORT_VERSION);
        return NULL;
    }
    d = gp_calloc(1, sizeof *d);
    d->root = json_incref(root);
    d->harness_version = gp_strdup(mstr(&rd, root, "", "harness_version"));
    d->generated_at = gp_strdup(mstr(&rd, root, "", "generated_at"));
    scen = member(&rd, root, "", "scenarios", JSON_ARRAY);
    if (scen) {
        d->n = json_array_size(scen);
        d->scenarios = gp_calloc(d->n ? d->n : 1, sizeof *d->scenarios);
        for (i = 0; i < d->n && !rd.failed; i++)
            read_scenario(&rd, json_array_get(scen, i), i, &d->scenarios[i]);
    }
    if (rd.failed) {
        gp_report_doc_free(d);
        return NULL;
    }
    return d;
}

gp_report_doc *gp_report_read(const char *path, gp_err *err)
{
    json_error_t je;
    json_t *root = json_load_file(path, 0, &je);
    gp_report_doc *d;

    if (!root) {
        gp_err_set(err, GP_EXIT_USAGE, path, je.line > 0 ? je.line : 0,
                   je.column > 0 ? je.column : 0, "cannot read report: %s", je.text);
        return NULL;
    }
    d = gp_report_from_json(root, path, err);
    json_decref(root);
    return d;
}

void gp_report_doc_free(gp_report_doc *d)
{
    size_t i;

    if (!d)
        return;
    for (i = 0; i < d->n; i++) {
        gp_report_scenario *s = &d->scenarios[i];

        free(s->name);
        free(s->digest);
        free(s->path);
        free(s->target);
        gp_results_free(s->results);
        gp_health_cleanup(&s->health);
    }
    free(d->scenarios);
    free(d->harness_version);
    free(d->generated_at);
    json_decref(d->root);
    free(d);
}
