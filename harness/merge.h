/* merge.h - one report from reports of the same scenarios run in parts (CI shards), as a pure
 * function over read reports (report_read.h), and the writers of its result. Nothing here
 * reads argv or prints to stderr: compare_cli.c is the command. */
#ifndef GP_MERGE_H
#define GP_MERGE_H

#include <stdio.h>

#include <jansson.h>

#include "gp_common.h"
#include "report.h"
#include "report_read.h"

typedef struct gp_merge_state gp_merge_state;

/* A merged run. */
typedef struct gp_merged {
    json_t *report;     /* the merged JSON report (format goldenpath-report); owned */
    size_t nparts;      /* reports merged */
    bool sharded;       /* the parts were all the shards of one `run --shard` */
    bool failed;        /* a merged scenario failed a check, or a part was interrupted */
    bool inconclusive;  /* ... or has inconclusive verdicts */
    gp_merge_state *st; /* what the JUnit/HTML/console writers need; private */
    gp_report_ctx ctx;  /* the reports' generation time and host; ctx.host points to host */
    char host[256];
} gp_merged;

/* Merges docs[0..n-1] (n >= 1): counts add, histograms merge exactly, users and failure
 * examples are concatenated (shards: users keep their global index and isolation is judged
 * again across shards). paths name the parts in messages and in the report's "merged_from".
 * Returns a new gp_merged (free with gp_merged_free; it borrows from docs, which must outlive
 * it) or NULL with err (GP_EXIT_USAGE): reports of different scenarios (by name or digest),
 * or shards that are not exactly the shards of one run. ctx (copied; NULL: now, this host
 * unnamed) is the merged reports' generation time and host. */
gp_merged *gp_merge(gp_report_doc *const *docs, const char *const *paths, size_t n,
                    const gp_report_ctx *ctx, gp_err *err);
void gp_merged_free(gp_merged *m);

/* The merged run's exit status, as `run` gives it: GP_EXIT_FAILED, GP_EXIT_INCONCLUSIVE or
 * GP_EXIT_OK. */
int gp_merged_exit(const gp_merged *m);

/* Writes the merged report as JSON to json_path, and as JUnit / HTML when those paths are
 * non-NULL. Returns 0, or -1 with err (GP_EXIT_INTERNAL). */
int gp_merged_write(const gp_merged *m, const char *json_path, const char *junit_path,
                    const char *html_path, gp_err *err);

/* The console summary of a sharded merge (with its per-shard table); nothing otherwise. */
void gp_merged_print_summary(FILE *out, const gp_merged *m);

#endif
