/* compare.h - regressions between two JSON reports of the same scenarios, as a pure function
 * over read reports (report_read.h) and writers of its result (a text table, JUnit, JSON,
 * Markdown). Nothing here prints to stderr or reads argv: compare_cli.c is the command. */
#ifndef GP_COMPARE_H
#define GP_COMPARE_H

#include <stdio.h>

#include <jansson.h>

#include "gp_common.h"
#include "report_read.h"
#include "report_util.h"

#define GP_COMPARE_MAX_LIMITS 32

typedef enum {
    GP_LIM_P50,
    GP_LIM_P90,
    GP_LIM_P95,
    GP_LIM_P99,
    GP_LIM_MAX,
    GP_LIM_ERROR_RATE,
    GP_LIM__COUNT
} gp_limit_key;

/* One --max-regression KEY=LIMIT. */
typedef struct gp_limit {
    gp_limit_key key;
    bool relative; /* value is a fraction of BASE (0.2 = 20%) */
    double value;  /* relative fraction, µs, or percentage points for error_rate */
    char text[64]; /* as given, e.g. "p95=20%" */
} gp_limit;

/* The default limits unless no_default_limits: a latency p50 at most 25% and a p95 at most
 * 50% above BASE, and at most one percentage point more failing users. Any latency limit the
 * caller gives replaces the latency defaults; an error_rate limit replaces the error_rate
 * default. Documented in `compare --help` and the README. */
#define GP_COMPARE_DEFAULT_LIMITS {"p50=25%", "p95=50%", "error_rate=+1%"}

typedef struct gp_compare_opts {
    gp_limit limits[GP_COMPARE_MAX_LIMITS];
    size_t nlimits;
    bool no_default_limits;
    gp_limit drifts[GP_COMPARE_MAX_LIMITS]; /* --max-drift: judged within HEAD's series */
    size_t ndrifts;
    const char *base_name; /* how BASE and HEAD are named in the outputs (their paths) */
    const char *head_name;
} gp_compare_opts;

/* Parses spec ("p95=20%", "p99=+50ms", "error_rate=+2%") into l. Returns 0, or -1 with err
 * (GP_EXIT_USAGE) naming what is wrong. */
int gp_compare_parse_limit(const char *spec, gp_limit *l, gp_err *err);

/* Parses a --max-drift spec ("p95=25%", "p99=+40ms"): METRIC is p50, p90, p95, p99 or max
 * and LIMIT a percentage or a duration with its unit. Returns 0, or -1 with err
 * (GP_EXIT_USAGE) naming what is wrong. */
int gp_compare_parse_drift(const char *spec, gp_limit *l, gp_err *err);

/* The result of a comparison. Every string in it came from the reports and is not escaped. */
typedef struct gp_comparison {
    json_t *scenarios;  /* [{"name","digest","head_digest","scenario_changed","checks":[...]}],
                         * each check {"kind","name","base","head","regression","detail",
                         * "limit"?, "noise"?, "note"?}; owned. A drift check ("kind":
                         * "drift") has HEAD's first fifth as "base", its last fifth as
                         * "head" (µs) and "fifths" {"intervals","first","last"} */
    json_t *limits;     /* the limits applied, as texts; owned */
    json_t *warnings;   /* texts for the user (scenario files that changed), already safe
                         * for a terminal; owned */
    size_t regressions; /* checks with "regression": true */
    size_t changed;     /* scenarios whose file changed between BASE and HEAD */
    char *base_name, *head_name;
    char *base_labels, *head_labels; /* " (release=2.4.1, env=staging)" or "" */
    char *base_version, *head_version, *base_generated, *head_generated;
} gp_comparison;

/* Compares HEAD h against BASE b. Reports are comparable when they hold the same scenarios (by
 * name) in the same order; scenario files may differ (a warning). Returns a new comparison
 * (free with gp_comparison_free; b and h may be freed afterwards), or NULL with err
 * (GP_EXIT_USAGE) when the reports cannot be compared. */
gp_comparison *gp_compare(const gp_report_doc *b, const gp_report_doc *h,
                          const gp_compare_opts *opts, gp_err *err);
void gp_comparison_free(gp_comparison *c);

/* GP_EXIT_FAILED when c holds a regression, else GP_EXIT_OK. */
int gp_comparison_exit(const gp_comparison *c);

/* The text table, names and details escaped for a terminal. */
void gp_compare_print(FILE *out, const gp_comparison *c);
/* The outputs, written atomically. Each returns 0, or -1 with err (GP_EXIT_INTERNAL). */
int gp_compare_write_junit(const gp_comparison *c, const char *path, gp_err *err);
int gp_compare_write_json(const gp_comparison *c, const char *path, gp_err *err);
/* Markdown for a pull-request comment: a table per scenario; every text from a report is
 * escaped so that it can neither end a table cell nor open HTML, a link or a code span. */
int gp_compare_write_markdown(const gp_comparison *c, const char *path, gp_err *err);
/* The Markdown escaping used above, appended to r: exposed for tests. */
void gp_compare_md_escape(gp_rep *r, const char *s, size_t max);

#endif
