/* report_ci.h - the reports CI systems and dashboards read: a Markdown summary (GitHub's step
 * summary, a pull-request comment, any file), GitHub workflow annotations, and OpenMetrics text
 * (GitLab's metrics report, a Prometheus Pushgateway). Like the other reporters they read results
 * and never touch the network; pushing the metrics is push.h's. Text from the server is
 * redacted, cut, and kept inside its code span, so a hostile server cannot inject markup. */
#ifndef GP_REPORT_CI_H
#define GP_REPORT_CI_H

#include <stdio.h>

#include "report.h"
#include "report_util.h"

/* GitHub caps a step summary at 1 MiB; the Markdown summary stays well inside it. */
#define GP_MD_MAX_BYTES ((size_t)512 << 10)
/* Failing users listed per rule, and bytes of server text shown per cell. */
#define GP_MD_USERS_PER_RULE 5
#define GP_MD_TEXT_MAX 240

/* Returns a new string (free()): the Markdown summary of the suites (verdict, rule table,
 * failing users with expected versus received, latency table), or NULL when it would exceed
 * GP_MD_MAX_BYTES. *len (if non-NULL) gets its length. */
char *gp_report_markdown(const gp_suite *suites, size_t n, size_t *len);
/* Writes the summary to path atomically. Returns 0 or -1 with err. */
int gp_report_write_markdown(const char *path, const gp_suite *suites, size_t n, gp_err *err);
/* Appends the summary to path (GitHub's $GITHUB_STEP_SUMMARY, which other steps share: never
 * replaced). Returns 0 or -1 with err. */
int gp_report_append_markdown(const char *path, const gp_suite *suites, size_t n, gp_err *err);

/* Appends to r the text s as one Markdown code span that nothing in s can leave: s is redacted,
 * cleaned to UTF-8, cut to max bytes ("…" when cut), its control characters (newlines too)
 * shown as \xNN, and the fence is one backtick longer than the longest run of backticks in it.
 * in_table: also writes '|' as "\|", which a GFM table cell needs even inside a code span. */
void gp_md_code(gp_rep *r, const char *s, size_t max, bool in_table);

/* Writes to out one GitHub workflow command per failed rule of each suite:
 * "::error title=<RULE-ID>::<scenario>: N of M users failed: <title>; e.g. user U: expected E,
 * received R", with data and property values escaped as GitHub reads them (% \r \n, and : , in
 * properties). */
void gp_report_github_annotations(FILE *out, const gp_suite *suites, size_t n);
/* Appends s escaped as GitHub workflow command data (property: as a property value) to buf. */
void gp_gh_escape(gp_buf *buf, const char *s, bool property);

/* Returns a new string (free()): OpenMetrics text (ending "# EOF\n") with the per-rule user
 * counts, the latency summaries of the five golden events, runs, users and the harness's
 * loop lag, labelled with the scenario and the --labels. Only gauges and summaries, so the
 * same text is also valid Prometheus text format 0.0.4 (what a Pushgateway reads). */
char *gp_report_metrics(const gp_suite *suites, size_t n, size_t *len);
/* The figures of a run still going, for the interim pushes of --push (every --interval). */
typedef struct gp_interim {
    int64_t elapsed_us;
    unsigned users, connected, finished;
    size_t runs_done, problems;
    int64_t lag_p99_us; /* the harness's loop lag p99 so far; < 0 when not known */
} gp_interim;

/* Returns a new string (free()): OpenMetrics text of a run in progress, labelled as
 * gp_report_metrics labels meta's scenario: goldenpath_running 1, the elapsed time, users
 * connected and finished, runs done, problems so far and the loop lag p99. Per-rule figures
 * are only in the final metrics, which replace these. NULL only when over the bound. */
char *gp_report_metrics_interim(const gp_run_meta *meta, const gp_interim *s, size_t *len);
/* Writes the metrics to path atomically. Returns 0 or -1 with err. */
int gp_report_write_metrics(const char *path, const gp_suite *suites, size_t n, gp_err *err);

#endif
