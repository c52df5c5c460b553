/* report_json.c - the versioned JSON report: everything a later compare or merge needs
 * (counts, exact histograms, coverage) plus bounded transcripts of failing users. It does not
 * read reports back; report_read.c does. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "isolation.h"
#include "json_fast.h"
#include "report.h"
#include "report_util.h"
#include "timeseries.h"

static json_t *str_or_null(const char *s)
{
    return s ? json_string(s) : json_null();
}

/* A string for a JSON value: texts from servers may hold invalid UTF-8, which jansson refuses. */
static json_t *text(const char *s)
{
    char *c;
    json_t *j;

    if (!s)
        return json_null();
    c = gp_utf8_clean(s, strlen(s), (size_t)-2, NULL);
    j = json_string(c);
    free(c);
    return j;
}

static json_t *examples_json(const gp_results *r, const gp_failure *fs, size_t n)
{
    json_t *ex = json_array();
    size_t j;

    for (j = 0; j < n; j++) {
        const gp_failure *f = &fs[j];
        const char *uid = f->user < r->nusers ? r->users[f->user].user_id : NULL;
        json_t *o =
            json_pack("{s:I,s:o,s:i,s:o,s:o,s:o}", "user", (json_int_t)f->user, "user_id",
                      text(uid), "step", f->step, "frame",
                      f->frame == GP_NO_FRAME ? json_null() : json_integer((json_int_t)f->frame),
                      "expected", text(f->expected), "received", text(f->received));

        if (f->cause)
            json_object_set_new(o, "cause", text(f->cause));
        json_array_append_new(ex, o);
    }
    return ex;
}

static json_t *rules_json(const gp_results *r)
{
    json_t *arr = json_array();
    size_t i;

    for (i = 0; i < GP_RULE__COUNT; i++) {
        const gp_rule_result *rr = &r->rules[i];

        json_array_append_new(
            arr, json_pack("{s:s,s:s,s:I,s:I,s:I,s:I,s:o,s:o}", "id", gp_rule_id((gp_rule)i),
                           "title", gp_rule_title((gp_rule)i), "checked", (json_int_t)rr->checked,
                           "passed", (json_int_t)rr->passed, "failed", (json_int_t)rr->failed,
                           "inconclusive", (json_int_t)rr->inconclusive, "examples",
                           examples_json(r, rr->examples, rr->nexamples), "inconclusive_examples",
                           examples_json(r, rr->inconclusive_examples, rr->ninconclusive)));
    }
    return arr;
}

/* The load shape (issue 9): the model, its settings, and what the run made of them: iterations
 * judged in a soak, arrivals and dropped arrivals in the open model. */
static json_t *load_json(const gp_suite *s, const gp_scenario *sc)
{
    const gp_shape *sh = &sc->users.shape;
    json_t *o = json_pack("{s:s,s:I}", "model", gp_shape_model_name(sh), "duration_ms",
                          (json_int_t)(sh->duration_us / 1000));

    if (gp_shape_open(sh)) {
        json_object_set_new(o, "arrival_rate_per_s", json_real(sh->rate_per_s));
        json_object_set_new(o, "arrivals",
                            json_string(sh->arrivals == GP_ARRIVALS_POISSON ? "poisson" : "even"));
        json_object_set_new(o, "max_active", json_integer((json_int_t)sh->max_active));
        json_object_set_new(o, "arrivals_total", json_integer((json_int_t)s->meta.arrivals));
        json_object_set_new(o, "dropped_arrivals",
                            json_integer((json_int_t)s->meta.dropped_arrivals));
    } else {
        json_object_set_new(o, "pause_min_ms", json_integer((json_int_t)(sh->pause_min_us / 1000)));
        json_object_set_new(o, "pause_max_ms", json_integer((json_int_t)(sh->pause_max_us / 1000)));
        json_object_set_new(o, "iterations", json_integer((json_int_t)s->nts));
    }
    if (sh->nstages) {
        json_t *a = json_array();
        size_t k;

        for (k = 0; k < sh->nstages; k++)
            json_array_append_new(a, sh->rate_stages
                                         ? json_pack("{s:I,s:f}", "duration_ms",
                                                     (json_int_t)(sh->stages[k].duration_us / 1000),
                                                     "rate_per_s", sh->stages[k].rate_per_s)
                                         : json_pack("{s:I,s:I}", "duration_ms",
                                                     (json_int_t)(sh->stages[k].duration_us / 1000),
                                                     "target", (json_int_t)sh->stages[k].target));
        json_object_set_new(o, "stages", a);
    }
    return o;
}

/* The harness's own health, in the units people read (ms, s); stalls in ms since the run
 * began. Benchmarks read lag_p99_ms and lag_max_ms: the names are stable. */
static json_t *harness_json(const gp_health *h)
{
    json_t *stalls = json_array();
    size_t i;

    for (i = 0; i < h->nstalls; i++)
        json_array_append_new(stalls, json_pack("{s:f,s:f,s:f}", "from_ms",
                                                (double)h->stalls[i].from_us / 1000.0, "to_ms",
                                                (double)h->stalls[i].to_us / 1000.0, "lag_ms",
                                                (double)h->stalls[i].lag_us / 1000.0));
    return json_pack("{s:I,s:f,s:f,s:f,s:f,s:f,s:f,s:o}", "workers", (json_int_t)h->workers,
                     "lag_p50_ms", (double)h->lag_p50_us / 1000.0, "lag_p99_ms",
                     (double)h->lag_p99_us / 1000.0, "lag_max_ms", (double)h->lag_max_us / 1000.0,
                     "cpu_user_s", h->cpu_user_s, "cpu_sys_s", h->cpu_sys_s, "cpu_busy",
                     h->cpu_busy, "stalls", stalls);
}

static json_t *users_json(const gp_results *r)
{
    json_t *arr = json_array();
    size_t i;
    int k;

    for (i = 0; i < r->nusers; i++) {
        const gp_user_result *u = &r->users[i];
        json_t *failed = json_array(), *inconclusive = json_array();

        for (k = 0; k < GP_RULE__COUNT; k++) {
            if (u->failed_rules & (1u << k))
                json_array_append_new(failed, json_string(gp_rule_id((gp_rule)k)));
            if (u->inconclusive_rules & (1u << k))
                json_array_append_new(inconclusive, json_string(gp_rule_id((gp_rule)k)));
        }
        json_array_append_new(
            arr, json_pack("{s:I,s:o,s:b,s:s,s:o,s:o,s:I,s:I,s:o}", "index", (json_int_t)u->index,
                           "id", text(u->user_id), "passed", u->passed, "status",
                           gp_status_name(gp_user_status(u)), "failed_rules", failed,
                           "inconclusive_rules", inconclusive, "runs_expected",
                           (json_int_t)u->runs_expected, "runs_completed",
                           (json_int_t)u->runs_completed, "cause", text(u->cause)));
    }
    return arr;
}

/* The user_results array as json_dumps(JSON_INDENT(1) | JSON_PRESERVE_ORDER) writes
 * users_json(r) at depth, byte for byte (test_report_json checks it), without building the
 * tree: at 16,000 users the tree and its dump were about 40,000 instructions per user. */
static void json_text(gp_buf *b, const char *s)
{
    char *c;

    if (!s) {
        gp_buf_append(b, "null", 4);
        return;
    }
    c = gp_utf8_clean(s, strlen(s), (size_t)-2, NULL);
    gp_json_quote(b, c, strlen(c), false);
    free(c);
}

/* A newline and depth spaces: jansson's indentation at JSON_INDENT(1). */
static void json_indent(gp_buf *b, int depth)
{
    static const char sp[] = "                                ";

    gp_buf_append(b, "\n", 1);
    for (; depth > 0; depth -= (int)(sizeof sp - 1))
        gp_buf_append(b, sp, depth < (int)(sizeof sp - 1) ? (size_t)depth : sizeof sp - 1);
}

/* A name of ours (a rule id, a status): ASCII, nothing to clean. */
static void json_name(gp_buf *b, const char *s)
{
    gp_json_quote(b, s, strlen(s), false);
}

/* An object member's start, as jansson writes it at depth: the comma after the previous
 * member, the indentation, the quoted key and ": ". */
static void json_member(gp_buf *b, int depth, bool first, const char *key)
{
    if (!first)
        gp_buf_append(b, ",", 1);
    json_indent(b, depth);
    json_name(b, key);
    gp_buf_append(b, ": ", 2);
}

static void rules_text(gp_buf *b, uint32_t set, int depth)
{
    bool any = false;
    int k;

    for (k = 0; k < GP_RULE__COUNT; k++) {
        if (!(set & (1u << k)))
            continue;
        gp_buf_append(b, any ? "," : "[", 1);
        json_indent(b, depth + 1);
        json_name(b, gp_rule_id((gp_rule)k));
        any = true;
    }
    if (!any) {
        gp_buf_append(b, "[]", 2);
        return;
    }
    json_indent(b, depth);
    gp_buf_append(b, "]", 1);
}

static void users_text(gp_buf *b, const gp_results *r, int depth)
{
    size_t i;

    if (!r->nusers) {
        gp_buf_append(b, "[]", 2);
        return;
    }
    gp_buf_append(b, "[", 1);
    for (i = 0; i < r->nusers; i++) {
        const gp_user_result *u = &r->users[i];
        int d = depth + 2;

        if (i)
            gp_buf_append(b, ",", 1);
        json_indent(b, depth + 1);
        gp_buf_append(b, "{", 1);
        json_member(b, d, true, "index");
        gp_buf_printf(b, "%lld", (long long)u->index);
        json_member(b, d, false, "id");
        json_text(b, u->user_id);
        json_member(b, d, false, "passed");
        gp_buf_printf(b, "%s", u->passed ? "true" : "false");
        json_member(b, d, false, "status");
        json_name(b, gp_status_name(gp_user_status(u)));
        json_member(b, d, false, "failed_rules");
        rules_text(b, u->failed_rules, d);
        json_member(b, d, false, "inconclusive_rules");
        rules_text(b, u->inconclusive_rules, d);
        json_member(b, d, false, "runs_expected");
        gp_buf_printf(b, "%lld", (long long)u->runs_expected);
        json_member(b, d, false, "runs_completed");
        gp_buf_printf(b, "%lld", (long long)u->runs_completed);
        json_member(b, d, false, "cause");
        json_text(b, u->cause);
        json_indent(b, depth + 1);
        gp_buf_append(b, "}", 1);
    }
    json_indent(b, depth);
    gp_buf_append(b, "]", 1);
}

static json_t *coverage_json(const gp_results *r)
{
    json_t *types = json_object(), *rules = json_array(), *tools = json_object(),
           *causes = json_array();
    size_t i;

    for (i = 0; i < GP_EV__COUNT; i++)
        if (r->event_counts[i])
            json_object_set_new(types, gp_event_type_name((gp_event_type)i),
                                json_integer((json_int_t)r->event_counts[i]));
    for (i = 0; i < GP_RULE__COUNT; i++)
        if (r->rules[i].checked)
            json_array_append_new(rules, json_string(gp_rule_id((gp_rule)i)));
    for (i = 0; i < r->ntools; i++) {
        const char *name = r->tools[i].name ? r->tools[i].name : "";
        char *key = gp_utf8_clean(name, strlen(name), (size_t)-2, NULL);

        json_object_set_new(tools, key, json_integer((json_int_t)r->tools[i].count));
        free(key);
    }
    for (i = 0; i < GP_CAUSE__COUNT; i++)
        if (r->causes[i])
            json_array_append_new(causes, json_string(gp_cause_name((gp_cause)i)));
    return json_pack("{s:o,s:o,s:o,s:o}", "event_types", types, "rules_exercised", rules, "tools",
                     tools, "causes_seen", causes);
}

static json_t *transcript_json(const gp_transcript *t, const gp_results *r, size_t user)
{
    json_t *frames = json_array();
    size_t start, end, i;

    gp_frame_window(t, gp_results_user_frame(r, user), GP_REPORT_MAX_FRAMES, &start, &end);
    for (i = start; i < end; i++) {
        const gp_frame *f = &t->frames[i];
        char *txt = gp_frame_text(f, GP_REPORT_FRAME_TEXT_MAX);
        bool cut = f->data && f->len > GP_REPORT_FRAME_TEXT_MAX;
        json_t *o = json_pack("{s:I,s:I,s:s,s:i,s:I}", "i", (json_int_t)i, "t_us",
                              (json_int_t)f->t_us, "kind", gp_frame_kind_name(f->kind), "code",
                              f->code, "len", (json_int_t)f->len);

        if (f->data && f->kind != GP_FR_RECV_BINARY && f->kind != GP_FR_OVERSIZE)
            json_object_set_new(o, "data", json_string(txt));
        if (cut)
            json_object_set_new(o, "truncated", json_true());
        json_array_append_new(frames, o);
        free(txt);
    }
    return json_pack("{s:I,s:o,s:I,s:I,s:I,s:b,s:o}", "user", (json_int_t)user, "user_id",
                     text(t->user_id), "frames_total", (json_int_t)(t->nframes + t->dropped),
                     "first_frame", (json_int_t)start, "dropped", (json_int_t)t->dropped,
                     "truncated", start > 0 || end < t->nframes || t->dropped > 0, "frames",
                     frames);
}

static json_t *transcripts_json(const gp_suite *s)
{
    const gp_results *r = s->results;
    json_t *users = json_array();
    size_t i, failing = 0;

    for (i = 0; i < r->nusers; i++) {
        const gp_transcript *t;

        if (r->users[i].passed || r->users[i].not_started)
            continue;
        failing++;
        t = gp_suite_transcript(s, i);
        if (t && json_array_size(users) < GP_REPORT_MAX_TRANSCRIPTS)
            json_array_append_new(users, transcript_json(t, r, i));
    }
    return json_pack("{s:I,s:b,s:o}", "failing_users", (json_int_t)failing, "truncated",
                     failing > json_array_size(users), "users", users);
}

static json_t *time_or_null(int64_t us)
{
    char when[40];

    if (!us)
        return json_null();
    gp_iso8601_format(us, true, when, sizeof when);
    return json_string(when);
}

static json_t *us_or_null(int64_t us)
{
    return us ? json_integer((json_int_t)us) : json_null();
}

/* A shard's own line: which part of the run it is and when its first user started. */
static json_t *shard_json(const gp_shard_info *si)
{
    return json_pack("{s:I,s:I,s:s,s:I,s:o,s:o,s:o,s:o}", "index", (json_int_t)si->shard.index,
                     "count", (json_int_t)si->shard.count, "source", si->shard.source,
                     "users_total", (json_int_t)si->users_total, "start_at",
                     time_or_null(si->start_at_us), "start_at_us", us_or_null(si->start_at_us),
                     "first_user_at", time_or_null(si->first_user_at_us), "first_user_at_us",
                     us_or_null(si->first_user_at_us));
}

/* A merged report's per-shard table; offsets from the earliest first user. */
static json_t *shards_json(const gp_run_meta *m, int64_t *spread_us)
{
    json_t *arr = json_array();
    int64_t lo = gp_rep_shards_start(m, spread_us);
    size_t i;

    for (i = 0; i < m->nshards; i++) {
        const gp_shard_row *r = &m->shards[i];
        json_t *o = json_pack(
            "{s:I,s:I,s:s,s:I,s:I,s:o,s:o,s:o}", "index", (json_int_t)r->shard.index, "count",
            (json_int_t)r->shard.count, "source", r->shard.source, "users", (json_int_t)r->users,
            "users_passed", (json_int_t)r->users_passed, "first_user_at",
            time_or_null(r->first_user_at_us), "first_user_at_us", us_or_null(r->first_user_at_us),
            "start_offset_ms",
            r->first_user_at_us && lo ? json_real((double)(r->first_user_at_us - lo) / 1000.0)
                                      : json_null());

        json_object_set_new(o, "lag_p99_ms",
                            r->lag_known ? json_real((double)r->lag_p99_us / 1000.0) : json_null());
        json_object_set_new(o, "lag_max_ms",
                            r->lag_known ? json_real((double)r->lag_max_us / 1000.0) : json_null());
        json_array_append_new(arr, o);
    }
    return arr;
}

/* The value gp_report_write_json puts in user_results, to write the array itself. */
#define USERS_MARK "\001gp-user-results\001"
#define USERS_MARK_DUMPED "\"user_results\": \"\\u0001gp-user-results\\u0001\""

static json_t *scenario_json(const gp_suite *s, bool users_later)
{
    const gp_results *r = s->results;
    const gp_scenario *sc = s->meta.scenario;
    json_t *o, *labels = json_object(), *latency = json_object(), *causes = json_object(),
               *counts = json_object();
    char when[40], *target;
    size_t i, upassed, ufailed, uinconclusive, unot;
    gp_status status;

    for (i = 0; i < s->meta.nlabels; i++)
        json_object_set_new(labels, s->meta.labels[i].key, text(s->meta.labels[i].value));
    for (i = 0; i < GP_EV_GOLDEN_COUNT; i++)
        json_object_set_new(latency, gp_event_type_name((gp_event_type)i),
                            gp_hist_to_json(&r->latency[i]));
    for (i = 0; i < GP_CAUSE__COUNT; i++)
        json_object_set_new(causes, gp_cause_name((gp_cause)i),
                            json_integer((json_int_t)r->causes[i]));
    for (i = 0; i < GP_EV__COUNT; i++)
        json_object_set_new(counts, gp_event_type_name((gp_event_type)i),
                            json_integer((json_int_t)r->event_counts[i]));
    upassed = gp_results_count_users(r, GP_STATUS_PASSED);
    ufailed = gp_results_count_users(r, GP_STATUS_FAILED);
    uinconclusive = gp_results_count_users(r, GP_STATUS_INCONCLUSIVE);
    unot = gp_results_count_users(r, GP_STATUS_NOT_STARTED);
    /* Inconclusive verdicts prove nothing either way: such a scenario has not passed. */
    status = !gp_results_passed(r) || s->meta.interrupted ? GP_STATUS_FAILED
             : gp_results_inconclusive(r)                 ? GP_STATUS_INCONCLUSIVE
                                                          : GP_STATUS_PASSED;
    gp_iso8601_format(s->meta.started_wall_us, true, when, sizeof when);
    target = s->meta.target ? gp_redact(s->meta.target, strlen(s->meta.target)) : NULL;
    o = json_pack("{s:o,s:o,s:o,s:o,s:o,s:s,s:I,s:I,s:I,s:b,s:b,s:s}", "name",
                  text(sc ? sc->name : "unnamed"), "digest", str_or_null(sc ? sc->digest : NULL),
                  "path", text(sc ? sc->path : NULL), "target", text(target), "labels", labels,
                  "started_at", when, "started_at_us", (json_int_t)s->meta.started_wall_us,
                  "duration_ms", (json_int_t)(s->meta.duration_us / 1000), "users",
                  (json_int_t)s->meta.users, "interrupted", s->meta.interrupted, "passed",
                  status == GP_STATUS_PASSED, "status", gp_status_name(status));
    free(target);
    if (s->meta.proxy)
        json_object_set_new(o, "proxy", text(s->meta.proxy));
    if (gp_rep_health_known(s->meta.health))
        json_object_set_new(o, "harness", harness_json(s->meta.health));
    if (sc && (gp_shape_open(&sc->users.shape) || gp_shape_soak(&sc->users.shape)))
        json_object_set_new(o, "load", load_json(s, sc));
    json_object_set_new(
        o, "summary",
        json_pack("{s:I,s:I,s:I,s:I,s:I,s:I,s:I}", "users", (json_int_t)r->nusers, "users_passed",
                  (json_int_t)upassed, "users_failed", (json_int_t)ufailed, "users_inconclusive",
                  (json_int_t)uinconclusive, "users_not_started", (json_int_t)unot, "runs_total",
                  (json_int_t)r->runs_total, "runs_passed", (json_int_t)r->runs_passed));
    json_object_set_new(
        o, "connection",
        json_pack("{s:b,s:b,s:b,s:I,s:I,s:I}", "tls", r->tls, "certificates_verified",
                  r->tls && !r->tls_insecure, "client_certificate", r->tls && r->tls_client_cert,
                  "connections", (json_int_t)r->connections, "deflate_offered",
                  (json_int_t)r->deflate_offered, "deflate_negotiated",
                  (json_int_t)r->deflate_negotiated));
    json_object_set_new(o, "rules", rules_json(r));
    json_object_set_new(o, "user_results",
                        users_later ? json_string(USERS_MARK) : users_json(r));
    json_object_set_new(o, "causes", causes);
    json_object_set_new(o, "latency", latency);
    json_object_set_new(o, "gaps", gp_hist_to_json(&r->gaps));
    json_object_set_new(o, "tool_duration", gp_hist_to_json(&r->tool_duration));
    json_object_set_new(o, "run_duration", gp_hist_to_json(&r->run_duration));
    json_object_set_new(o, "event_counts", counts);
    json_object_set_new(o, "coverage", coverage_json(r));
    json_object_set_new(o, "transcripts", transcripts_json(s));
    if (s->meta.shard)
        json_object_set_new(o, "shard", shard_json(s->meta.shard));
    if (s->meta.nshards) {
        int64_t spread;
        json_t *rows = shards_json(&s->meta, &spread);

        json_object_set_new(o, "shards", rows);
        json_object_set_new(o, "shard_start_spread_ms", json_real((double)spread / 1000.0));
        if (s->meta.shard_leaks)
            json_object_set_new(
                o, "cross_shard_leaks",
                json_pack("{s:I,s:o}", "total", (json_int_t)s->meta.shard_leaks->total, "examples",
                          examples_json(r, s->meta.shard_leaks->examples, s->meta.shard_leaks->n)));
    }
    if (r->series)
        json_object_set_new(o, "series", gp_series_to_json(r->series));
    if (r->iso)
        json_object_set_new(o, "isolation", json_pack("{s:O}", "users", r->iso->users));
    return o;
}

static json_t *report_json(const gp_suite *suites, size_t n, const gp_report_ctx *ctx,
                           bool users_later)
{
    json_t *root, *arr = json_array();
    char now[40];
    size_t i;
    bool passed = true;

    for (i = 0; i < n; i++) {
        json_t *sj = scenario_json(&suites[i], users_later);

        passed = passed && json_is_true(json_object_get(sj, "passed"));
        json_array_append_new(arr, sj);
    }
    gp_iso8601_format(ctx->generated_us, true, now, sizeof now);
    root =
        json_pack("{s:s,s:i,s:s,s:s,s:b,s:o}", "format", GP_REPORT_FORMAT, "version",
                  GP_REPORT_VERSION, "harness_version",
                  n && suites[0].meta.harness_version ? suites[0].meta.harness_version : GP_VERSION,
                  "generated_at", now, "passed", passed, "scenarios", arr);
    return root;
}

int gp_report_write_json(const char *path, const gp_suite *suites, size_t n,
                         const gp_report_ctx *ctx, gp_err *err)
{
    json_t *root = report_json(suites, n, ctx, true);
    gp_buf out;
    char *s;
    const char *p;
    size_t i, key = strlen("\"user_results\": ");
    int rc;

    s = json_dumps(root, JSON_INDENT(1) | JSON_PRESERVE_ORDER);
    json_decref(root);
    if (!s) {
        gp_err_set(err, GP_EXIT_INTERNAL, path, 0, 0, "cannot serialise the JSON report");
        return -1;
    }
    /* Each scenario's user_results in place of its mark, in order. The mark's dumped form,
     * with its key and unescaped quotes, can only be that member: a quote inside any string
     * is dumped escaped. */
    gp_buf_init(&out, SIZE_MAX / 2); /* unbounded (max + 1 must not wrap) */
    for (i = 0, p = s; i < n; i++) {
        const char *at = strstr(p, USERS_MARK_DUMPED), *line = at;

        if (!at)
            break;
        while (line > s && line[-1] == ' ')
            line--;
        gp_buf_append(&out, p, (size_t)(at - p) + key);
        users_text(&out, suites[i].results, (int)(at - line));
        p = at + strlen(USERS_MARK_DUMPED);
    }
    gp_buf_append(&out, p, strlen(p));
    free(s);
    if (i < n) {
        gp_buf_cleanup(&out);
        gp_err_set(err, GP_EXIT_INTERNAL, path, 0, 0, "cannot serialise the JSON report");
        return -1;
    }
    rc = gp_write_file_atomic(path, out.data, out.len, err);
    gp_buf_cleanup(&out);
    return rc;
}

json_t *gp_report_to_json(const gp_suite *suites, size_t n, const gp_report_ctx *ctx)
{
    return report_json(suites, n, ctx, false);
}
