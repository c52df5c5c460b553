/* report_read.h - reading a JSON report (written by gp_report_write_json) back into memory:
 * per scenario its identity, its run facts and a gp_results rebuilt from the counts and exact
 * histograms. Used by compare and merge; never touches the network. */
#ifndef GP_REPORT_READ_H
#define GP_REPORT_READ_H

#include <jansson.h>

#include "gp_common.h"
#include "health.h"
#include "results.h"

typedef struct gp_report_scenario {
    char *name;
    char *digest; /* "" when the report holds none */
    char *path;
    char *target;
    int64_t started_wall_us;
    int64_t duration_us;
    unsigned users;
    bool interrupted;
    gp_results *results; /* owned */
    gp_health health;    /* owned; measured is false when the report holds no "harness" */
    json_t *json;        /* the scenario's object, borrowed from the document */
} gp_report_scenario;

typedef struct gp_report_doc {
    json_t *root; /* owned */
    char *harness_version;
    char *generated_at;
    gp_report_scenario *scenarios;
    size_t n;
} gp_report_doc;

/* Reads the report at path. Returns a new document (free with gp_report_doc_free) or NULL
 * with err set (code GP_EXIT_USAGE): unreadable file, not JSON, wrong "format" or an
 * unsupported "version", or a member missing or of the wrong type (the message names it). */
gp_report_doc *gp_report_read(const char *path, gp_err *err);
/* Same over a parsed document; root is borrowed (the document takes its own reference).
 * src names the input in messages. */
gp_report_doc *gp_report_from_json(json_t *root, const char *src, gp_err *err);
void gp_report_doc_free(gp_report_doc *d);

#endif
