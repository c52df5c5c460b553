/* outcome.h - what a failed agent run looks like inside its agent_completed: the status and
 * its success set, and the failure signals (a path and the values that mean failure). Pure:
 * judges one parsed event; the judge decides which runs to ask about (GP-OUTCOME). */
#ifndef GP_OUTCOME_H
#define GP_OUTCOME_H

#include <jansson.h>

#include "event.h"

/* How a failure signal tests the value at its path. */
typedef enum gp_outcome_op {
    GP_OUTCOME_EQUALS,  /* fires when the value equals values[0] */
    GP_OUTCOME_IN,      /* fires when the value equals one of values */
    GP_OUTCOME_NOT_IN,  /* fires when the value is present and equals none of values */
    GP_OUTCOME_NONEMPTY /* values[0] true: fires when the value is present and not empty
                           (not null, false, 0, "", {} or []); false: when it is absent or empty */
} gp_outcome_op;

typedef struct gp_outcome_signal {
    char *path; /* dotted; the first name is looked up like an event field (top level, then
                   each container), the rest descend into objects (or arrays by index) */
    gp_outcome_op op;
    json_t *values; /* a JSON array of scalars, owned; strings compare case-insensitively */
} gp_outcome_signal;

typedef struct gp_outcome {
    bool set;                   /* false in a zeroed struct: the judge then uses the defaults */
    char *status_path;          /* the run's status; NULL: no status check */
    json_t *success;            /* array of the status values that mean success, owned */
    gp_outcome_signal *failure; /* further signals, any of which fails the run */
    size_t nfailure;
} gp_outcome;

/* Fills o with the defaults: status in [completed, complete, success, succeeded, ok, done];
 * failure when success or metadata.success is false, metadata.status is one of failed,
 * failure, error, errored, cancelled, canceled, aborted, timeout, timed_out, or error or
 * metadata.error is not empty. Free with gp_outcome_cleanup. */
void gp_outcome_init_default(gp_outcome *o);
/* Frees what o owns and zeroes it. NULL is a no-op. */
void gp_outcome_cleanup(gp_outcome *o);
/* Frees the signals of an array of n and the array. NULL is a no-op. */
void gp_outcome_signals_free(gp_outcome_signal *s, size_t n);

/* Returns the value at a dotted path in ev (borrowed) or NULL. */
json_t *gp_outcome_lookup(const gp_event *ev, const gp_profile *p, const char *path);

/* Judges one agent_completed event ev (parsed with profile p) against o. Returns 0 when no
 * failure signal fires. Returns 1 when at least one does, with *expected set to what success
 * would have shown ("status one of \"completed\", ..."), *received to what arrived, every
 * signal that fired with its path and value, then the final_response the user saw; both new
 * strings the caller frees. */
int gp_outcome_check(const gp_outcome *o, const gp_event *ev, const gp_profile *p, char **expected,
                     char **received);

#endif
