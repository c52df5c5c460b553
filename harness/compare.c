/* compare.c - "goldenpath compare BASE.json HEAD.json": finds regressions between two JSON
 * reports (rules that passed and now fail, latency percentiles over their thresholds, a
 * higher share of failing users, lost coverage) and writes a table, JUnit and JSON. It never
 * runs anything; merge.c holds the merge subcommand. */
#include <stdlib.h>
#include <string.h>

#include "compare.h"
#include "report.h"
#include "report_read.h"
#include "report_util.h"

#define MAX_LIMITS 32

static const char usage[] =
    "usage: goldenpath compare BASE.json HEAD.json [options]\n"
    "\n"
    "Compares two JSON reports of the same scenarios (written with --json) and exits 1 when\n"
    "HEAD regressed against BASE:\n"
    "  - a rule that passed in BASE fails in HEAD;\n"
    "  - a latency percentile grew beyond a --max-regression limit;\n"
    "  - the share of failing users grew beyond the error_rate limit (default: any growth);\n"
    "  - coverage shrank: an event type, rule or tool exercised in BASE is missing in HEAD;\n"
    "  - HEAD did less: it was interrupted, or ran fewer users or runs than BASE.\n"
    "\n"
    "options:\n"
    "  --max-regression KEY=LIMIT  may repeat. KEY is p50, p90, p95, p99 or max (applied to the\n"
    "                              latency of every event type, run_duration, tool_duration and\n"
    "                              gaps) or error_rate. LIMIT is relative (p95=20%: HEAD may be\n"
    "                              at most 20% above BASE) or absolute (p99=+50ms; a duration\n"
    "                              such as 250ms, 1.5s). error_rate takes percentage points\n"
    "                              (error_rate=+2%).\n"
    "  --junit FILE                write the checks as JUnit XML\n"
    "  --json FILE                 write the checks as JSON (format goldenpath-compare)\n"
    "  --help                      show this help\n"
    "\n"
    "A scenario whose file changed between BASE and HEAD (another digest) is still compared,\n"
    "with a WARNING on stderr, in the table and in --junit/--json: a difference may then come\n"
    "from the scenario rather than the server.\n"
    "\n"
    "exit status: 0 no regression, 1 regression, 2 bad usage or reports that cannot be\n"
    "compared (unreadable, wrong format or version, different scenario names or count),\n"
    "3 an output file could not be written.\n";

typedef enum { LIM_P50, LIM_P90, LIM_P95, LIM_P99, LIM_MAX, LIM_ERROR_RATE } limit_key;

static const char *const limit_names[] = {"p50", "p90", "p95", "p99", "max", "error_rate"};
static const double limit_q[] = {50, 90, 95, 99, 100, 0};

typedef struct limit {
    limit_key key;
    bool relative; /* value is a fraction of BASE (0.2 = 20%) */
    double value;  /* relative fraction, µs, or percentage points for error_rate */
    char text[64]; /* as given */
} limit;

typedef struct cmp {
    limit limits[MAX_LIMITS];
    size_t nlimits;
    bool has_error_limit;
    json_t *scenarios; /* [{"name","checks":[...]}] */
    size_t regressions;
    size_t changed; /* scenarios whose file changed between BASE and HEAD */
} cmp;

static int parse_limit(const char *spec, limit *l, char *why, size_t whysize)
{
    const char *eq = strchr(spec, '=');
    char key[16], *end;
    const char *v;
    size_t k, klen;
    int64_t us;

    if (!eq || eq == spec || (klen = (size_t)(eq - spec)) >= sizeof key) {
        snprintf(why, whysize, "expected KEY=LIMIT such as p95=20%% or p99=+50ms");
        return -1;
    }
    memcpy(key, spec, klen);
    key[klen] = '\0';
    for (k = 0; k < sizeof limit_names / sizeof limit_names[0]; k++)
        if (strcmp(key, limit_names[k]) == 0)
            break;
    if (k == sizeof limit_names / sizeof limit_names[0]) {
        snprintf(why, whysize, "unknown key \"%s\" (known: p50, p90, p95, p99, max, error_rate)",
                 key);
        return -1;
    }
    l->key = (limit_key)k;
    snprintf(l->text, sizeof l->text, "%s", spec);
    v = eq + 1;
    if (*v == '+')
        v++;
    if (*v && v[strlen(v) - 1] == '%') {
        double pct = strtod(v, &end);

        if (end == v || *end != '%' || pct < 0) {
            snprintf(why, whysize, "\"%s\" is not a percentage", eq + 1);
            return -1;
        }
        l->relative = l->key != LIM_ERROR_RATE;
        l->value = l->key == LIM_ERROR_RATE ? pct : pct / 100.0;
        return 0;
    }
    if (l->key == LIM_ERROR_RATE) {
        snprintf(why, whysize, "error_rate takes percentage points, such as error_rate=+2%%");
        return -1;
    }
    if (gp_duration_parse(v, &us) != 0 || us < 0) {
        snprintf(why, whysize, "\"%s\" is neither a percentage nor a duration", eq + 1);
        return -1;
    }
    l->relative = false;
    l->value = (double)us;
    return 0;
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

static void compare_hist(cmp *c, json_t *checks, const char *name, const gp_hist *b,
                         const gp_hist *h)
{
    size_t i;
    json_t *jb = json_object(), *jh = json_object();
    gp_rep detail;
    bool reg = false;
    char lims[512] = "";

    if (b->count == 0 || h->count == 0) {
        json_decref(jb);
        json_decref(jh);
        return; /* missing samples are a coverage question, checked by event types */
    }
    for (i = 0; i < 5; i++) {
        json_object_set_new(jb, limit_names[i], json_integer(gp_hist_percentile(b, limit_q[i])));
        json_object_set_new(jh, limit_names[i], json_integer(gp_hist_percentile(h, limit_q[i])));
    }
    json_object_set_new(jb, "count", json_integer((json_int_t)b->count));
    json_object_set_new(jh, "count", json_integer((json_int_t)h->count));
    gp_rep_init(&detail, 4096);
    for (i = 0; i < c->nlimits; i++) {
        const limit *l = &c->limits[i];
        double vb, vh, allowed;

        if (l->key == LIM_ERROR_RATE)
            continue;
        vb = (double)gp_hist_percentile(b, limit_q[l->key]);
        vh = (double)gp_hist_percentile(h, limit_q[l->key]);
        allowed = l->relative ? vb * (1.0 + l->value) : vb + l->value;
        snprintf(lims + strlen(lims), sizeof lims - strlen(lims), "%s%s", lims[0] ? "," : "",
                 l->text);
        if (vh > allowed) {
            reg = true;
            gp_rep_printf(&detail, "%s%s %.1f ms -> %.1f ms exceeds %s", detail.b.len ? "; " : "",
                          limit_names[l->key], vb / 1000.0, vh / 1000.0, l->text);
        }
    }
    if (!reg) {
        for (i = 0; i < 5; i++) {
            double vb = (double)gp_hist_percentile(b, limit_q[i]);
            double vh = (double)gp_hist_percentile(h, limit_q[i]);

            if (i == LIM_P50 || i == LIM_P95 || i == LIM_P99)
                gp_rep_printf(&detail, "%s %+.0f%%, ", limit_names[i],
                              vb > 0 ? 100.0 * (vh - vb) / vb : 0.0);
        }
        gp_rep_puts(&detail, lims[0] ? "within limits" : "no limit set");
    }
    add_check(c, checks, "latency", name, jb, jh, lims[0] ? lims : NULL, reg,
              detail.b.data ? detail.b.data : "");
    gp_rep_cleanup(&detail);
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
    char detail[256], lim[64] = "error_rate=+0%";
    size_t i;

    for (i = 0; i < c->nlimits; i++) {
        if (c->limits[i].key == LIM_ERROR_RATE) {
            allowed = c->limits[i].value;
            snprintf(lim, sizeof lim, "%s", c->limits[i].text);
        }
    }
    snprintf(detail, sizeof detail, "failing users %.1f%% -> %.1f%% (%+.1f points)", eb, eh,
             eh - eb);
    add_check(c, checks, "error_rate", "failed_users", json_real(eb), json_real(eh), lim,
              eh - eb > allowed + 1e-9, detail);
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

static void compare_scenario(cmp *c, const gp_report_scenario *sb, const gp_report_scenario *sh,
                             const char *pb, const char *ph)
{
    json_t *checks = json_array(), *o;
    const gp_results *b = sb->results, *h = sh->results;
    bool changed = strcmp(sb->digest, sh->digest) != 0;
    size_t i;

    if (changed) {
        char detail[512];
        /* A digest read from a file may be anything: cut it on a character boundary (a cut
         * mid-character made the detail invalid UTF-8, and the warning was lost) and keep
         * control characters away from the terminal. */
        char *db = gp_term_safe(sb->digest, 12), *dh = gp_term_safe(sh->digest, 12),
             *name = gp_term_safe(sb->name, 200);

        /* Scenario files evolve between releases; refusing to compare would leave a release
         * unchecked. Compare, but say loudly that a difference may be the scenario's. */
        snprintf(detail, sizeof detail,
                 "WARNING: the scenario file changed between BASE and HEAD (digest %s -> "
                 "%s); a difference below may come from the scenario, not the server",
                 db, dh);
        add_check(c, checks, "scenario", "changed", json_string(sb->digest),
                  json_string(sh->digest), NULL, false, detail);
        fprintf(stderr,
                "goldenpath compare: WARNING: scenario \"%s\" was run from a changed file "
                "(digest %s in %s, %s in %s); its results are compared, but a difference "
                "may come from the scenario, not the server\n",
                name, db, pb, dh, ph);
        free(db);
        free(dh);
        free(name);
        c->changed++;
    }
    compare_run(c, checks, sb, sh);
    compare_harness(c, checks, &sb->health, &sh->health);
    compare_rules(c, checks, b, h);
    for (i = 0; i < GP_EV_GOLDEN_COUNT; i++)
        compare_hist(c, checks, gp_event_type_name((gp_event_type)i), &b->latency[i],
                     &h->latency[i]);
    compare_hist(c, checks, "run_duration", &b->run_duration, &h->run_duration);
    compare_hist(c, checks, "tool_duration", &b->tool_duration, &h->tool_duration);
    compare_hist(c, checks, "gaps", &b->gaps, &h->gaps);
    compare_errors(c, checks, b, h);
    compare_coverage(c, checks, b, h);
    o = json_pack("{s:s,s:s,s:s,s:b,s:o}", "name", sb->name, "digest", sb->digest, "head_digest",
                  sh->digest, "scenario_changed", changed, "checks", checks);
    json_array_append_new(c->scenarios, o);
}

/* Reports are comparable when they hold the same scenarios (by name), in the same order. The
 * scenario files may differ (see compare_scenario). */
static int comparable(const gp_report_doc *b, const gp_report_doc *h, const char *pb,
                      const char *ph)
{
    size_t i;

    if (b->n != h->n) {
        fprintf(stderr,
                "goldenpath compare: %s holds %zu scenarios and %s holds %zu: reports of "
                "different scenario sets cannot be compared\n",
                pb, b->n, ph, h->n);
        return -1;
    }
    for (i = 0; i < b->n; i++) {
        if (strcmp(b->scenarios[i].name, h->scenarios[i].name) != 0) {
            char *nb = gp_term_safe(b->scenarios[i].name, 200),
                 *nh = gp_term_safe(h->scenarios[i].name, 200);

            fprintf(stderr,
                    "goldenpath compare: scenario %zu is \"%s\" in %s but \"%s\" in %s: reports "
                    "of different scenarios cannot be compared\n",
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
    else if (strcmp(kind, "harness") == 0)
        snprintf(buf, size, "-");
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

static void print_table(const cmp *c, const gp_report_doc *b, const gp_report_doc *h,
                        const char *pb, const char *ph)
{
    size_t i, j;
    json_t *s, *chk;
    char lb[256], lh[256], *sb, *sh;

    labels_text(b, lb, sizeof lb);
    labels_text(h, lh, sizeof lh);
    sb = gp_term_safe(lb, sizeof lb);
    sh = gp_term_safe(lh, sizeof lh);
    printf("goldenpath compare: BASE %s%s  vs  HEAD %s%s\n", pb, sb, ph, sh);
    free(sb);
    free(sh);
    json_array_foreach(c->scenarios, i, s)
    {
        char *sname = gp_term_safe(json_string_value(json_object_get(s, "name")), 200);

        /* Names and details come from the report files: escaped for the terminal. */
        printf("\n== %s ==\n  %-10s %-10s %-22s %-14s %-14s %s\n", sname, "verdict", "kind", "name",
               "base", "head", "detail");
        free(sname);
        json_array_foreach(json_object_get(s, "checks"), j, chk)
        {
            const char *kind = json_string_value(json_object_get(chk, "kind"));
            char vb[64], vh[64];
            char *cname = gp_term_safe(json_string_value(json_object_get(chk, "name")), 200),
                 *detail = gp_term_safe(json_string_value(json_object_get(chk, "detail")), 600);

            value_text(kind, json_object_get(chk, "base"), vb, sizeof vb);
            value_text(kind, json_object_get(chk, "head"), vh, sizeof vh);
            printf("  %-10s %-10s %-22s %-14s %-14s %s\n",
                   json_is_true(json_object_get(chk, "regression")) ? "REGRESSION"
                   : strcmp(kind, "scenario") == 0                  ? "WARNING"
                                                                    : "ok",
                   kind, cname, vb, vh, detail);
            free(cname);
            free(detail);
        }
    }
    printf("\ncompare: %zu regression%s", c->regressions, c->regressions == 1 ? "" : "s");
    if (c->changed)
        printf("; WARNING: %zu scenario%s changed between BASE and HEAD (digests differ), so a "
               "difference may be the scenario's",
               c->changed, c->changed == 1 ? "" : "s");
    putchar('\n');
}

static int write_junit(const cmp *c, const char *path, gp_err *err)
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

static int write_json(const cmp *c, const gp_report_doc *b, const gp_report_doc *h, const char *pb,
                      const char *ph, const char *path, gp_err *err)
{
    json_t *lims = json_array(), *root;
    char *s;
    size_t i;
    int rc;

    for (i = 0; i < c->nlimits; i++)
        json_array_append_new(lims, json_string(c->limits[i].text));
    root = json_pack("{s:s,s:i,s:{s:s,s:s,s:s},s:{s:s,s:s,s:s},s:o,s:I,s:b,s:O}", "format",
                     "goldenpath-compare", "version", 1, "base", "path", pb, "harness_version",
                     b->harness_version, "generated_at", b->generated_at, "head", "path", ph,
                     "harness_version", h->harness_version, "generated_at", h->generated_at,
                     "limits", lims, "regressions", (json_int_t)c->regressions, "regressed",
                     c->regressions > 0, "scenarios", c->scenarios);
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

int gp_compare_main(int argc, char **argv)
{
    cmp c;
    const char *paths[2] = {NULL, NULL}, *junit = NULL, *jsonp = NULL;
    size_t npaths = 0, i;
    gp_report_doc *b = NULL, *h = NULL;
    gp_err err = {0};
    char ebuf[1200];
    int rc = GP_EXIT_USAGE, a;

    memset(&c, 0, sizeof c);
    for (a = 1; a < argc; a++) {
        const char *arg = argv[a], *val = NULL;

        if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
            fputs(usage, stdout);
            return GP_EXIT_OK;
        }
        if (strncmp(arg, "--max-regression", 16) == 0 || strncmp(arg, "--junit", 7) == 0 ||
            strncmp(arg, "--json", 6) == 0) {
            const char *eq = strchr(arg, '=');
            size_t nlen = eq ? (size_t)(eq - arg) : strlen(arg);
            char why[160];

            if (eq) {
                val = eq + 1;
            } else if (a + 1 < argc) {
                val = argv[++a];
            } else {
                fprintf(stderr, "goldenpath compare: %s needs a value\n", arg);
                return GP_EXIT_USAGE;
            }
            if (nlen == 16 && strncmp(arg, "--max-regression", 16) == 0) {
                if (c.nlimits == MAX_LIMITS) {
                    fprintf(stderr, "goldenpath compare: at most %d --max-regression\n",
                            MAX_LIMITS);
                    return GP_EXIT_USAGE;
                }
                if (parse_limit(val, &c.limits[c.nlimits], why, sizeof why) != 0) {
                    fprintf(stderr, "goldenpath compare: --max-regression %s: %s\n", val, why);
                    return GP_EXIT_USAGE;
                }
                c.nlimits++;
            } else if (nlen == 7 && strncmp(arg, "--junit", 7) == 0) {
                junit = val;
            } else if (nlen == 6 && strncmp(arg, "--json", 6) == 0) {
                jsonp = val;
            } else {
                fprintf(stderr, "goldenpath compare: unknown option %s (see --help)\n", arg);
                return GP_EXIT_USAGE;
            }
            continue;
        }
        if (arg[0] == '-' && arg[1]) {
            fprintf(stderr, "goldenpath compare: unknown option %s (see --help)\n", arg);
            return GP_EXIT_USAGE;
        }
        if (npaths == 2) {
            fprintf(stderr, "goldenpath compare: expected two reports, got a third: %s\n", arg);
            return GP_EXIT_USAGE;
        }
        paths[npaths++] = arg;
    }
    if (npaths != 2) {
        fputs("goldenpath compare: expected BASE.json and HEAD.json (see --help)\n", stderr);
        return GP_EXIT_USAGE;
    }
    b = gp_report_read(paths[0], &err);
    if (b)
        h = gp_report_read(paths[1], &err);
    if (!b || !h) {
        gp_err_format(&err, ebuf, sizeof ebuf);
        fprintf(stderr, "goldenpath compare: %s\n", ebuf);
        goto out;
    }
    if (comparable(b, h, paths[0], paths[1]) != 0)
        goto out;
    c.scenarios = json_array();
    for (i = 0; i < b->n; i++)
        compare_scenario(&c, &b->scenarios[i], &h->scenarios[i], paths[0], paths[1]);
    print_table(&c, b, h, paths[0], paths[1]);
    rc = c.regressions ? GP_EXIT_FAILED : GP_EXIT_OK;
    if ((junit && write_junit(&c, junit, &err) != 0) ||
        (jsonp && write_json(&c, b, h, paths[0], paths[1], jsonp, &err) != 0)) {
        gp_err_format(&err, ebuf, sizeof ebuf);
        fprintf(stderr, "goldenpath compare: %s\n", ebuf[0] ? ebuf : "cannot write output");
        rc = GP_EXIT_INTERNAL;
    }
out:
    json_decref(c.scenarios);
    gp_report_doc_free(b);
    gp_report_doc_free(h);
    return rc;
}
