/* shape.h - load shapes: how many users run, when they start and how often they repeat
 * (issue 9). The closed model (count users, each repeating until a duration is over, with a
 * pause between iterations) and the open model (users arriving at a rate, even or Poisson,
 * capped by max_active). Pure arithmetic: no YAML, no sockets; the loader fills gp_shape
 * and the runner asks it when users start and whether another iteration begins. */
#ifndef GP_SHAPE_H
#define GP_SHAPE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum gp_arrivals {
    GP_ARRIVALS_EVEN,   /* one arrival every 1/rate seconds (default) */
    GP_ARRIVALS_POISSON /* exponential gaps with mean 1/rate */
} gp_arrivals;

/* One stage of users.stages: the number of active users moves linearly to target over
 * duration (from the previous stage's target, 0 before the first). */
typedef struct gp_stage {
    int64_t duration_us; /* > 0 */
    unsigned target;     /* active users at the stage's end */
} gp_stage;

typedef struct gp_shape {
    int64_t duration_us;  /* 0: every user runs its steps once (no soak, no open model) */
    int64_t pause_min_us; /* closed model: pause between a user's iterations */
    int64_t pause_max_us; /* uniform in [min, max]; fixed when equal */
    double rate_per_s;    /* > 0: the open model, users.arrival_rate */
    gp_arrivals arrivals;
    unsigned max_active; /* open model: users in flight at most; 0 = no cap */
    gp_stage *stages;    /* closed model with stages: owned (gp_shape_cleanup), or NULL; then
                            duration_us is their total and users.count the highest target */
    size_t nstages;
} gp_shape;

/* Frees the stages. */
void gp_shape_cleanup(gp_shape *sh);

/* Stages: the active users wanted at t_us after the run's start (linear within a stage; the
 * last target after the end). 0 without stages. */
double gp_shape_target_at(const gp_shape *sh, int64_t t_us);

/* Stages: the earliest time >= t_us at which user index (0-based) is wanted, that is the
 * target is above index, or -1 when it never is again before the stages end. A user is wanted
 * while target > index, so users start in index order as the target rises and stop (after
 * their iteration) in reverse order as it falls. */
int64_t gp_shape_next_wanted(const gp_shape *sh, unsigned index, int64_t t_us);

/* True when the shape is the open model (arrival_rate set). */
bool gp_shape_open(const gp_shape *sh);
/* True when each user of the closed model repeats its steps (a duration or stages are set). */
bool gp_shape_soak(const gp_shape *sh);

/* Parses an arrival rate "20/s", "600/m", "0.5/s" (digits with at most one point, '/', s or m) into
 * arrivals per second. Returns 0, or -1 when text is not a rate (a rate of 0 parses: the
 * caller refuses it with its own message). */
int gp_shape_parse_rate(const char *text, double *per_s);

/* The arrivals planned for an open-model run of duration_us: their start offsets from the run's
 * start, in increasing order, all below duration_us. Even: k / rate for k = 0, 1, ... ;
 * Poisson: cumulative exponential gaps drawn from seed (the same seed gives the same plan).
 * Returns the count and sets *out to a new array (free() it; NULL when the count is 0), at
 * most max arrivals. */
size_t gp_shape_schedule(const gp_shape *sh, int64_t duration_us, uint64_t seed, size_t max,
                         int64_t **out);

/* The count gp_shape_schedule plans for even arrivals (a bound the loader checks). */
double gp_shape_planned(const gp_shape *sh, int64_t duration_us);

/* A pause between iterations: min, or uniform in [min, max] from rnd (any 32-bit value). */
int64_t gp_shape_pause(const gp_shape *sh, uint32_t rnd);

/* "closed", "soak" or "open": stable, used in reports. */
const char *gp_shape_model_name(const gp_shape *sh);

#endif
