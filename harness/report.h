/* report.h - the reporters: console summary, JUnit XML, JSON report, HTML report. They read
 * results and transcripts and never touch the network. Files are written atomically (a temp
 * file in the same directory, then rename). Secrets never reach a report: the runner stores
 * redacted URLs and the reporters print no handshake headers. */
#ifndef GP_REPORT_H
#define GP_REPORT_H

#include <stdio.h>

#include "health.h"
#include "results.h"
#include "scenario.h"
#include "shard.h"
#include "transcript.h"

typedef struct gp_run_meta {
    const char *harness_version;
    const gp_scenario *scenario; /* borrowed */
    const char *target;          /* the URL actually used, credentials redacted; borrowed */
    const char *proxy;           /* the proxy it was reached through, or NULL; borrowed */
    const gp_kv *labels;         /* --label key=value pairs; borrowed */
    size_t nlabels;
    int64_t started_wall_us; /* epoch µs */
    int64_t duration_us;
    unsigned users;
    bool interrupted;        /* stopped by SIGINT/SIGTERM before it finished */
    const gp_health *health; /* the harness's own lag, CPU and stalls; borrowed, NULL or
                                not measured when unknown (then not reported) */
    const gp_shard_info *shard; /* this run is one shard of a larger one; borrowed, or NULL */
    const gp_shard_row *shards; /* a merged report's shards, in index order; borrowed */
    size_t nshards;
    const gp_shard_leaks *shard_leaks; /* leaks between users of different shards, found by
                                          merge; borrowed, NULL unless nshards */
    /* Load shapes (scenario->users.shape): open model's arrivals and dropped arrivals. */
    size_t arrivals;
    size_t dropped_arrivals;
} gp_run_meta;

/* What a report says about its own making, chosen by the front end (main.c, merge) and passed
 * in, so that the same results always render the same bytes: no reporter reads the clock or
 * the host name itself. gp_report_ctx_from_env (report_util.h) fills one the usual way. */
typedef struct gp_report_ctx {
    int64_t generated_us; /* epoch µs the report says it was generated at ("generated_at") */
    const char *host;     /* the host the report names (JUnit's hostname: where the run
                             happened); borrowed; NULL or "" reads "localhost" */
} gp_report_ctx;

/* One scenario's run: what every reporter takes. All borrowed. */
typedef struct gp_suite {
    gp_run_meta meta;
    const gp_results *results;
    gp_transcript *const *ts;
    size_t nts;
} gp_suite;

typedef struct gp_console_opts {
    bool color;
    size_t max_users_per_rule; /* failing users shown per rule (default 3) */
    size_t tail_frames;        /* transcript frames shown per failing user (default 8) */
} gp_console_opts;

/* What the reports advise when the harness fell behind and verdicts are inconclusive. */
#define GP_INCONCLUSIVE_HINT "fewer users per process, or more --workers"

/* Writes the human summary to out. */
void gp_report_console(FILE *out, const gp_suite *suites, size_t n, const gp_console_opts *o);
/* The file reporters below are pure over their inputs: the same suites and ctx (borrowed,
 * not NULL) give the same bytes. */
/* JUnit XML: a testsuite per scenario, a testcase per rule. Returns 0 or -1 with err. */
int gp_report_write_junit(const char *path, const gp_suite *suites, size_t n,
                          const gp_report_ctx *ctx, gp_err *err);
/* The versioned JSON report (schema in reports/schema/). Returns 0 or -1 with err. */
int gp_report_write_json(const char *path, const gp_suite *suites, size_t n,
                         const gp_report_ctx *ctx, gp_err *err);
/* Self-contained HTML report. Returns 0 or -1 with err. */
int gp_report_write_html(const char *path, const gp_suite *suites, size_t n,
                         const gp_report_ctx *ctx, gp_err *err);

/* Bounds of the JSON and HTML reports: transcripts of at most this many failing users, this
 * many frames each (a window around the first failure), each frame text cut to this many
 * bytes and marked "truncated". */
#define GP_REPORT_MAX_TRANSCRIPTS 20
#define GP_REPORT_MAX_FRAMES 200
#define GP_REPORT_FRAME_TEXT_MAX 2048

/* The JSON report's "format" and "version" values; readers refuse anything else. */
#define GP_REPORT_FORMAT "goldenpath-report"
#define GP_REPORT_VERSION 1

/* Builds the JSON report document that gp_report_write_json writes (layout documented in
 * reports/README.md and reports/schema/report.schema.json). Returns a new reference. */
json_t *gp_report_to_json(const gp_suite *suites, size_t n, const gp_report_ctx *ctx);

#endif
