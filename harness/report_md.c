/* report_md.c - the Markdown summary for CI (GitHub's step summary, a pull-request comment) and
 * GitHub workflow annotations for failed rules. Every text that is not the harness's own goes
 * through one code span (gp_md_code), so whatever a server sends shows as text: it cannot close
 * its span, split a table row, or reach the page as HTML. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "report_ci.h"
#include "report_util.h"

void gp_md_code(gp_rep *r, const char *s, size_t max, bool in_table)
{
    char *red = gp_redact(s ? s : "", s ? strlen(s) : 0);
    char *safe = gp_term_safe(red, max);
    bool cut = strlen(red) > max;
    size_t run = 0, longest = 0, i, fence;
    const char *p;

    for (p = safe; *p; p++) {
        run = *p == '`' ? run + 1 : 0;
        if (run > longest)
            longest = run;
    }
    fence = longest + 1;
    if (!*safe) {
        gp_rep_puts(r, "*(empty)*");
        goto out;
    }
    for (i = 0; i < fence; i++)
        gp_rep_puts(r, "`");
    /* A space on each side: CommonMark strips one of each, and a backtick at either end of
     * the text can then not join the fence. */
    gp_rep_puts(r, " ");
    for (p = safe; *p; p++) {
        if (*p == '|' && in_table)
            gp_rep_puts(r, "\\|");
        else
            gp_rep_write(r, p, 1);
    }
    if (cut)
        gp_rep_puts(r, "…");
    gp_rep_puts(r, " ");
    for (i = 0; i < fence; i++)
        gp_rep_puts(r, "`");
out:
    free(safe);
    free(red);
}

/* The harness's own prose (rule titles): ASCII punctuation that Markdown reads is escaped. */
static void md_text(gp_rep *r, const char *s)
{
    for (; *s; s++) {
        if (strchr("\\`*_{}[]<>()#+!|~&", *s))
            gp_rep_puts(r, "\\");
        gp_rep_write(r, s, 1);
    }
}

static gp_status suite_status(const gp_suite *s)
{
    return !gp_results_passed(s->results) || s->meta.interrupted ? GP_STATUS_FAILED
           : gp_results_inconclusive(s->results)                 ? GP_STATUS_INCONCLUSIVE
                                                                 : GP_STATUS_PASSED;
}

static const char *verdict_word(gp_status st)
{
    return st == GP_STATUS_FAILED         ? "❌ FAILED"
           : st == GP_STATUS_INCONCLUSIVE ? "⚠️ INCONCLUSIVE"
                                          : "✅ PASSED";
}

static const char *scenario_name(const gp_suite *s)
{
    return s->meta.scenario && s->meta.scenario->name ? s->meta.scenario->name : "unnamed";
}

static void ms_cell(gp_rep *r, int64_t us)
{
    gp_rep_printf(r, " %.1f |", (double)us / 1000.0);
}

static void latency_table(gp_rep *r, const gp_results *res)
{
    size_t i;

    gp_rep_puts(r, "\n#### Latency from the message (ms)\n\n"
                   "| Event | Count | p50 | p95 | p99 | max |\n"
                   "|---|---:|---:|---:|---:|---:|\n");
    for (i = 0; i < GP_EV_GOLDEN_COUNT; i++) {
        const gp_hist *h = &res->latency[i];

        gp_rep_printf(r, "| `%s` | %llu |", gp_event_type_name((gp_event_type)i),
                      (unsigned long long)h->count);
        if (h->count == 0) {
            gp_rep_puts(r, " – | – | – | – |\n");
            continue;
        }
        ms_cell(r, gp_hist_percentile(h, 50));
        ms_cell(r, gp_hist_percentile(h, 95));
        ms_cell(r, gp_hist_percentile(h, 99));
        ms_cell(r, h->max);
        gp_rep_puts(r, "\n");
    }
}

static void user_cell(gp_rep *r, const gp_results *res, size_t user)
{
    if (user < res->nusers && res->users[user].user_id) {
        gp_md_code(r, res->users[user].user_id, 80, true);
        gp_rep_printf(r, " (#%zu)", user);
    } else {
        gp_rep_printf(r, "#%zu", user);
    }
}

static void failing_users(gp_rep *r, const gp_results *res)
{
    size_t i, k, more = 0;
    bool any = false;

    for (i = 0; i < GP_RULE__COUNT; i++) {
        const gp_rule_result *rr = &res->rules[i];
        size_t shown = rr->nexamples < GP_MD_USERS_PER_RULE ? rr->nexamples : GP_MD_USERS_PER_RULE;

        if (!rr->failed)
            continue;
        if (!any)
            gp_rep_puts(r, "\n#### Failing users\n\n"
                           "| Rule | User | Step | Expected | Received |\n"
                           "|---|---|---:|---|---|\n");
        any = true;
        for (k = 0; k < shown; k++) {
            const gp_failure *f = &rr->examples[k];

            gp_rep_printf(r, "| `%s` | ", gp_rule_id((gp_rule)i));
            user_cell(r, res, f->user);
            if (f->step >= 0)
                gp_rep_printf(r, " | %d | ", f->step);
            else
                gp_rep_puts(r, " | – | ");
            gp_md_code(r, f->expected, GP_MD_TEXT_MAX, true);
            gp_rep_puts(r, " | ");
            gp_md_code(r, f->received, GP_MD_TEXT_MAX, true);
            gp_rep_puts(r, " |\n");
        }
        more += rr->failed - shown;
    }
    if (more)
        gp_rep_printf(r, "\n… and %zu more failing users (see the JSON or HTML report).\n", more);
}

static void suite_md(gp_rep *r, const gp_suite *s)
{
    const gp_results *res = s->results;
    gp_status st = suite_status(s);
    char when[40], line[256];
    size_t i, upassed, ufailed, uinc, unot;

    gp_rep_puts(r, "\n### ");
    gp_md_code(r, scenario_name(s), 120, false);
    gp_rep_printf(r, ": %s\n\n", verdict_word(st));
    upassed = gp_results_count_users(res, GP_STATUS_PASSED);
    ufailed = gp_results_count_users(res, GP_STATUS_FAILED);
    uinc = gp_results_count_users(res, GP_STATUS_INCONCLUSIVE);
    unot = gp_results_count_users(res, GP_STATUS_NOT_STARTED);
    gp_rep_printf(r, "**%zu of %zu users passed**; %zu failed", upassed, res->nusers, ufailed);
    if (uinc)
        gp_rep_printf(r, "; %zu inconclusive (the harness fell behind: %s)", uinc,
                      GP_INCONCLUSIVE_HINT);
    if (unot)
        gp_rep_printf(r, "; %zu not started", unot);
    if (s->meta.interrupted)
        gp_rep_puts(r, "; **interrupted** before the end");
    gp_rep_printf(r, ". Runs: %zu of %zu passed.\n\n", res->runs_passed, res->runs_total);
    gp_iso8601_format(s->meta.started_wall_us, false, when, sizeof when);
    gp_rep_puts(r, "Target ");
    gp_md_code(r, s->meta.target ? s->meta.target : "?", 200, false);
    gp_rep_printf(r, " · %u users · %.1f s · started %sZ", s->meta.users,
                  (double)s->meta.duration_us / 1e6, when);
    for (i = 0; i < s->meta.nlabels; i++) {
        char *kv = gp_asprintf("%s=%s", s->meta.labels[i].key, s->meta.labels[i].value);

        gp_rep_puts(r, i ? ", " : " · labels ");
        gp_md_code(r, kv, 120, false);
        free(kv);
    }
    gp_rep_puts(r, "\n");
    if (gp_rep_health_known(s->meta.health)) {
        gp_rep_health_line(s->meta.health, line, sizeof line);
        gp_rep_puts(r, "\nHarness: ");
        gp_md_code(r, line, sizeof line, false);
        gp_rep_puts(r, "\n");
    }
    gp_rep_puts(r, "\n| | Rule | Passed | Failed | Inconclusive | Checked | Title |\n"
                   "|---|---|---:|---:|---:|---:|---|\n");
    for (i = 0; i < GP_RULE__COUNT; i++) {
        const gp_rule_result *rr = &res->rules[i];
        const char *mark = rr->checked == 0   ? "➖"
                           : rr->failed       ? "❌"
                           : rr->inconclusive ? "⚠️"
                                              : "✅";

        gp_rep_printf(r, "| %s | `%s` | %zu | %zu | %zu | %zu | ", mark, gp_rule_id((gp_rule)i),
                      rr->passed, rr->failed, rr->inconclusive, rr->checked);
        md_text(r, gp_rule_title((gp_rule)i));
        gp_rep_puts(r, " |\n");
    }
    failing_users(r, res);
    latency_table(r, res);
}

static void summary(gp_rep *r, const gp_suite *suites, size_t n)
{
    gp_status all = GP_STATUS_PASSED;
    size_t i;

    for (i = 0; i < n; i++) {
        gp_status st = suite_status(&suites[i]);

        if (st == GP_STATUS_FAILED || (st == GP_STATUS_INCONCLUSIVE && all == GP_STATUS_PASSED))
            all = st;
    }
    gp_rep_printf(r, "## goldenpath: %s\n\n%zu scenario%s", verdict_word(all), n,
                  n == 1 ? "" : "s");
    if (n)
        gp_rep_printf(r, ", harness %s",
                      suites[0].meta.harness_version ? suites[0].meta.harness_version : GP_VERSION);
    gp_rep_puts(r, ".\n");
    for (i = 0; i < n; i++)
        suite_md(r, &suites[i]);
}

char *gp_report_markdown(const gp_suite *suites, size_t n, size_t *len)
{
    gp_rep r;

    gp_rep_init(&r, GP_MD_MAX_BYTES);
    summary(&r, suites, n);
    return gp_rep_steal(&r, len);
}

int gp_report_write_markdown(const char *path, const gp_suite *suites, size_t n, gp_err *err)
{
    gp_rep r;

    gp_rep_init(&r, GP_MD_MAX_BYTES);
    summary(&r, suites, n);
    return gp_rep_save(&r, path, "Markdown", err);
}

int gp_report_append_markdown(const char *path, const gp_suite *suites, size_t n, gp_err *err)
{
    size_t len = 0;
    char *md = gp_report_markdown(suites, n, &len);
    FILE *f;
    int rc = 0;

    if (!md) {
        gp_err_set(err, GP_EXIT_INTERNAL, path, 0, 0, "the Markdown report exceeds %zu bytes",
                   GP_MD_MAX_BYTES);
        return -1;
    }
    f = fopen(path, "a");
    if (!f) {
        gp_err_set(err, GP_EXIT_INTERNAL, path, 0, 0, "cannot append the step summary: %s",
                   strerror(errno));
        free(md);
        return -1;
    }
    if (fwrite(md, 1, len, f) != len || fputs("\n", f) == EOF)
        rc = -1;
    if (fclose(f) != 0)
        rc = -1;
    if (rc)
        gp_err_set(err, GP_EXIT_INTERNAL, path, 0, 0, "cannot append the step summary: %s",
                   strerror(errno));
    free(md);
    return rc;
}

void gp_gh_escape(gp_buf *buf, const char *s, bool property)
{
    for (; *s; s++) {
        switch (*s) {
        case '%':
            gp_buf_append(buf, "%25", 3);
            break;
        case '\r':
            gp_buf_append(buf, "%0D", 3);
            break;
        case '\n':
            gp_buf_append(buf, "%0A", 3);
            break;
        case ':':
            gp_buf_append(buf, property ? "%3A" : ":", property ? 3 : 1);
            break;
        case ',':
            gp_buf_append(buf, property ? "%2C" : ",", property ? 3 : 1);
            break;
        default:
            gp_buf_append(buf, s, 1);
        }
    }
}

/* Redacted, cut and with control characters shown as \xNN: safe for a terminal and a log. */
static char *plain(const char *s, size_t max)
{
    char *red = gp_redact(s ? s : "", s ? strlen(s) : 0);
    char *safe = gp_term_safe(red, max);

    free(red);
    return safe;
}

void gp_report_github_annotations(FILE *out, const gp_suite *suites, size_t n)
{
    size_t i, k;

    for (i = 0; i < n; i++) {
        const gp_results *res = suites[i].results;

        for (k = 0; k < GP_RULE__COUNT; k++) {
            const gp_rule_result *rr = &res->rules[k];
            char *name, *msg;
            gp_buf b;

            if (!rr->failed)
                continue;
            name = plain(scenario_name(&suites[i]), 120);
            msg = gp_asprintf("%s: %zu of %zu users failed %s: %s", name, rr->failed, rr->checked,
                              gp_rule_id((gp_rule)k), gp_rule_title((gp_rule)k));
            free(name);
            if (rr->nexamples) {
                const gp_failure *f = &rr->examples[0];
                const char *uid = f->user < res->nusers && res->users[f->user].user_id
                                      ? res->users[f->user].user_id
                                      : "";
                char *u = plain(uid, 80), *e = plain(f->expected, GP_MD_TEXT_MAX),
                     *g = plain(f->received, GP_MD_TEXT_MAX), *m2;

                m2 = gp_asprintf("%s; e.g. user %s (#%zu): expected %s, received %s", msg, u,
                                 f->user, e, g);
                free(msg);
                msg = m2;
                free(u);
                free(e);
                free(g);
            }
            gp_buf_init(&b, 64 * 1024);
            gp_buf_append(&b, "::error title=", 14);
            gp_gh_escape(&b, gp_rule_id((gp_rule)k), true);
            gp_buf_append(&b, "::", 2);
            gp_gh_escape(&b, msg, false);
            fprintf(out, "%s\n", b.data ? b.data : "");
            gp_buf_cleanup(&b);
            free(msg);
        }
    }
    fflush(out);
}
