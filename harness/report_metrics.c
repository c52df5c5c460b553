/* report_metrics.c - OpenMetrics text for dashboards and GitLab's metrics report: per-rule user
 * counts, the latency summaries of the five golden events, runs, users, causes and the harness's
 * own loop lag, each sample labelled with the scenario and the run's --labels. Only gauges and
 * summaries, so a Pushgateway (Prometheus text format 0.0.4, where "# UNIT" and "# EOF" are
 * comments) reads the same bytes. */
#include <stdlib.h>
#include <string.h>

#include "report_ci.h"
#include "report_util.h"

/* Label names of our own, and the Pushgateway's grouping labels (job, instance); a --label key
 * equal to one of them (or starting with "__", which Prometheus reserves) is written as
 * label_<key>. */
static const char *const own_labels[] = {"scenario", "rule",     "result", "event",
                                         "quantile", "status",   "stat",   "cause",
                                         "job",      "instance", NULL};

static void label_value(gp_buf *b, const char *v)
{
    char *clean = gp_utf8_clean(v ? v : "", v ? strlen(v) : 0, 256, NULL);
    const char *p;

    for (p = clean; *p; p++) {
        if (*p == '\\')
            gp_buf_append(b, "\\\\", 2);
        else if (*p == '"')
            gp_buf_append(b, "\\\"", 2);
        else if (*p == '\n')
            gp_buf_append(b, "\\n", 2);
        else
            gp_buf_append(b, p, 1);
    }
    free(clean);
}

/* [a-zA-Z_][a-zA-Z0-9_]*: other characters become '_'. Returns a new string. */
static char *label_name(const char *key)
{
    char *n = gp_strdup(key), *p;
    size_t i;

    for (p = n; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || *p == '_' ||
              (p > n && *p >= '0' && *p <= '9')))
            *p = '_';
    for (i = 0; own_labels[i]; i++)
        if (strcmp(n, own_labels[i]) == 0)
            break;
    if (own_labels[i] || strncmp(n, "__", 2) == 0 || (n[0] >= '0' && n[0] <= '9')) {
        char *pre = gp_asprintf("label_%s", n);

        free(n);
        return pre;
    }
    return n;
}

/* `scenario="...",k="v",...` for a suite: the labels every sample of it carries. Later
 * --labels with a name already used are left out (a sample may not repeat a label). */
static char *base_labels(const gp_suite *s)
{
    gp_buf b;
    char **seen = gp_calloc(s->meta.nlabels + 1, sizeof *seen);
    size_t i, k, nseen = 0;

    gp_buf_init(&b, 64 * 1024);
    gp_buf_append(&b, "scenario=\"", 10);
    label_value(&b,
                s->meta.scenario && s->meta.scenario->name ? s->meta.scenario->name : "unnamed");
    gp_buf_append(&b, "\"", 1);
    for (i = 0; i < s->meta.nlabels; i++) {
        char *name = label_name(s->meta.labels[i].key);

        for (k = 0; k < nseen; k++)
            if (strcmp(seen[k], name) == 0)
                break;
        if (k < nseen) {
            free(name);
            continue;
        }
        gp_buf_printf(&b, ",%s=\"", name);
        label_value(&b, s->meta.labels[i].value);
        gp_buf_append(&b, "\"", 1);
        seen[nseen++] = name;
    }
    for (k = 0; k < nseen; k++)
        free(seen[k]);
    free(seen);
    return gp_buf_steal(&b);
}

static void family(gp_rep *r, const char *name, const char *type, const char *unit,
                   const char *help)
{
    gp_rep_printf(r, "# TYPE %s %s\n", name, type);
    if (unit)
        gp_rep_printf(r, "# UNIT %s %s\n", name, unit);
    gp_rep_printf(r, "# HELP %s %s\n", name, help);
}

static double secs(int64_t us)
{
    return (double)us / 1e6;
}

static void metrics(gp_rep *r, const gp_suite *suites, size_t n)
{
    char **lab = gp_calloc(n ? n : 1, sizeof *lab);
    static const double qs[] = {0.5, 0.9, 0.95, 0.99};
    size_t i, k, q;

    for (i = 0; i < n; i++)
        lab[i] = base_labels(&suites[i]);

    family(r, "goldenpath_passed", "gauge", NULL,
           "1 when every check of the scenario passed, else 0 (failed, inconclusive or "
           "interrupted).");
    for (i = 0; i < n; i++)
        gp_rep_printf(r, "goldenpath_passed{%s} %d\n", lab[i],
                      gp_results_passed(suites[i].results) &&
                          !gp_results_inconclusive(suites[i].results) &&
                          !suites[i].meta.interrupted);

    family(r, "goldenpath_duration_seconds", "gauge", "seconds", "Wall time of the run.");
    for (i = 0; i < n; i++)
        gp_rep_printf(r, "goldenpath_duration_seconds{%s} %.6f\n", lab[i],
                      secs(suites[i].meta.duration_us));

    family(r, "goldenpath_rule_users", "gauge", NULL,
           "Users a rule checked, by result: passed, failed, inconclusive.");
    for (i = 0; i < n; i++)
        for (k = 0; k < GP_RULE__COUNT; k++) {
            const gp_rule_result *rr = &suites[i].results->rules[k];
            const char *id = gp_rule_id((gp_rule)k);

            gp_rep_printf(r, "goldenpath_rule_users{%s,rule=\"%s\",result=\"passed\"} %zu\n",
                          lab[i], id, rr->passed);
            gp_rep_printf(r, "goldenpath_rule_users{%s,rule=\"%s\",result=\"failed\"} %zu\n",
                          lab[i], id, rr->failed);
            gp_rep_printf(r, "goldenpath_rule_users{%s,rule=\"%s\",result=\"inconclusive\"} %zu\n",
                          lab[i], id, rr->inconclusive);
        }

    family(r, "goldenpath_users", "gauge", NULL,
           "Simulated users by outcome: passed, failed, inconclusive, not_started.");
    for (i = 0; i < n; i++)
        for (k = GP_STATUS_PASSED; k <= GP_STATUS_NOT_STARTED; k++)
            gp_rep_printf(r, "goldenpath_users{%s,status=\"%s\"} %zu\n", lab[i],
                          gp_status_name((gp_status)k),
                          gp_results_count_users(suites[i].results, (gp_status)k));

    family(r, "goldenpath_runs", "gauge", NULL, "Agent runs by result: passed, failed.");
    for (i = 0; i < n; i++) {
        const gp_results *res = suites[i].results;

        gp_rep_printf(r, "goldenpath_runs{%s,result=\"passed\"} %zu\n", lab[i], res->runs_passed);
        gp_rep_printf(r, "goldenpath_runs{%s,result=\"failed\"} %zu\n", lab[i],
                      res->runs_total - res->runs_passed);
    }

    family(r, "goldenpath_causes", "gauge", NULL,
           "Connection, transport and protocol troubles by class.");
    for (i = 0; i < n; i++)
        for (k = 0; k < GP_CAUSE__COUNT; k++)
            gp_rep_printf(r, "goldenpath_causes{%s,cause=\"%s\"} %llu\n", lab[i],
                          gp_cause_name((gp_cause)k),
                          (unsigned long long)suites[i].results->causes[k]);

    family(r, "goldenpath_event_latency_seconds", "summary", "seconds",
           "Time from the user's message to the first event of each golden type.");
    for (i = 0; i < n; i++)
        for (k = 0; k < GP_EV_GOLDEN_COUNT; k++) {
            const gp_hist *h = &suites[i].results->latency[k];
            const char *ev = gp_event_type_name((gp_event_type)k);

            for (q = 0; h->count && q < sizeof qs / sizeof qs[0]; q++)
                gp_rep_printf(r,
                              "goldenpath_event_latency_seconds{%s,event=\"%s\",quantile=\"%g\"} "
                              "%.6f\n",
                              lab[i], ev, qs[q], secs(gp_hist_percentile(h, qs[q] * 100)));
            gp_rep_printf(r, "goldenpath_event_latency_seconds_sum{%s,event=\"%s\"} %.6f\n", lab[i],
                          ev, secs(h->sum));
            gp_rep_printf(r, "goldenpath_event_latency_seconds_count{%s,event=\"%s\"} %llu\n",
                          lab[i], ev, (unsigned long long)h->count);
        }

    family(r, "goldenpath_harness_loop_lag_seconds", "gauge", "seconds",
           "How late the harness's own event loop ran (p50, p99, max): high values make timing "
           "verdicts inconclusive.");
    for (i = 0; i < n; i++) {
        const gp_health *h = suites[i].meta.health;

        if (!gp_rep_health_known(h))
            continue;
        gp_rep_printf(r, "goldenpath_harness_loop_lag_seconds{%s,stat=\"p50\"} %.6f\n", lab[i],
                      secs(h->lag_p50_us));
        gp_rep_printf(r, "goldenpath_harness_loop_lag_seconds{%s,stat=\"p99\"} %.6f\n", lab[i],
                      secs(h->lag_p99_us));
        gp_rep_printf(r, "goldenpath_harness_loop_lag_seconds{%s,stat=\"max\"} %.6f\n", lab[i],
                      secs(h->lag_max_us));
    }
    family(r, "goldenpath_harness_stalls", "gauge", NULL,
           "Windows in which the harness's loop fell behind.");
    for (i = 0; i < n; i++)
        if (gp_rep_health_known(suites[i].meta.health))
            gp_rep_printf(r, "goldenpath_harness_stalls{%s} %zu\n", lab[i],
                          suites[i].meta.health->nstalls);

    gp_rep_puts(r, "# EOF\n");
    for (i = 0; i < n; i++)
        free(lab[i]);
    free(lab);
}

char *gp_report_metrics(const gp_suite *suites, size_t n, size_t *len)
{
    gp_rep r;

    gp_rep_init(&r, GP_REPORT_MAX_BYTES);
    metrics(&r, suites, n);
    return gp_rep_steal(&r, len);
}

char *gp_report_metrics_interim(const gp_run_meta *meta, const gp_interim *s, size_t *len)
{
    gp_suite one;
    gp_rep r;
    char *lab;

    memset(&one, 0, sizeof one);
    one.meta = *meta;
    lab = base_labels(&one);
    gp_rep_init(&r, 64 * 1024);
    family(&r, "goldenpath_running", "gauge", NULL,
           "1 while the run goes on (interim push); the final push replaces every interim "
           "figure.");
    gp_rep_printf(&r, "goldenpath_running{%s} 1\n", lab);
    family(&r, "goldenpath_elapsed_seconds", "gauge", "seconds", "Wall time since the run began.");
    gp_rep_printf(&r, "goldenpath_elapsed_seconds{%s} %.6f\n", lab, secs(s->elapsed_us));
    family(&r, "goldenpath_users_connected", "gauge", NULL, "Connections open right now.");
    gp_rep_printf(&r, "goldenpath_users_connected{%s} %u\n", lab, s->connected);
    family(&r, "goldenpath_users_finished", "gauge", NULL,
           "Users that ran all their steps (or gave up) so far, of goldenpath_users_total.");
    gp_rep_printf(&r, "goldenpath_users_finished{%s} %u\n", lab, s->finished);
    family(&r, "goldenpath_users_total", "gauge", NULL, "Simulated users of the run.");
    gp_rep_printf(&r, "goldenpath_users_total{%s} %u\n", lab, s->users);
    family(&r, "goldenpath_runs_done", "gauge", NULL, "Agent runs that ended so far.");
    gp_rep_printf(&r, "goldenpath_runs_done{%s} %zu\n", lab, s->runs_done);
    family(&r, "goldenpath_problems", "gauge", NULL,
           "Runs or connections that ended badly so far (before judging).");
    gp_rep_printf(&r, "goldenpath_problems{%s} %zu\n", lab, s->problems);
    if (s->lag_p99_us >= 0) {
        family(&r, "goldenpath_harness_loop_lag_seconds", "gauge", "seconds",
               "How late the harness's own event loop ran so far (p99).");
        gp_rep_printf(&r, "goldenpath_harness_loop_lag_seconds{%s,stat=\"p99\"} %.6f\n", lab,
                      secs(s->lag_p99_us));
    }
    gp_rep_puts(&r, "# EOF\n");
    free(lab);
    return gp_rep_steal(&r, len);
}

int gp_report_write_metrics(const char *path, const gp_suite *suites, size_t n, gp_err *err)
{
    gp_rep r;

    gp_rep_init(&r, GP_REPORT_MAX_BYTES);
    metrics(&r, suites, n);
    return gp_rep_save(&r, path, "OpenMetrics", err);
}
