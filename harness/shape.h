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

/* An open model's planned arrivals in one run at most: the loader refuses more, and the
 * runner and the shards plan no more (as users.count is at most 100000). */
#define GP_SHAPE_ARRIVALS_MAX 100000

typedef enum gp_arrivals {
    GP_ARRIVALS_EVEN,   /* one arrival every 1/rate seconds (default) */
    GP_ARRIVALS_POISSON /* exponential gaps with mean 1/rate */
} gp_arrivals;

/* One stage of users.stages: the number of active users (closed model) moves linearly to
 * target over duration (from the previous stage's target, 0 before the first), or, in stages of
 * rates (open model), the arrival rate moves linearly to rate_per_s (from the previous stage's
 * rate; before the first, users.arrival_rate when given, else 0). */
typedef struct gp_stage {
    int64_t duration_us; /* > 0 */
    unsigned target;     /* closed: active users at the stage's end */
    double rate_per_s;   /* open (gp_shape.rate_stages): arrivals per second at the stage's end */
} gp_stage;

typedef struct gp_shape {
    int64_t duration_us;  /* 0: every user runs its steps once (no soak, no open model) */
    int64_t pause_min_us; /* closed model: pause between a user's iterations */
    int64_t pause_max_us; /* uniform in [min, max]; fixed when equal */
    double rate_per_s;    /* > 0: the open model, users.arrival_rate (with rate stages: the rate
                             the first stage starts from; 0 there starts from 0) */
    gp_arrivals arrivals;
    unsigned max_active; /* open model: users in flight at most; 0 = no cap */
    gp_stage *stages;    /* stages: owned (gp_shape_cleanup), or NULL; then duration_us is their
                            total and (closed model) users.count the highest target */
    size_t nstages;
    bool rate_stages; /* the stages ramp the arrival rate (open model), not the active users */
} gp_shape;

/* Frees the stages. */
void gp_shape_cleanup(gp_shape *sh);

/* Stages of targets: the active users wanted at t_us after the run's start (linear within a
 * stage; the last target after the end). 0 without them. */
double gp_shape_target_at(const gp_shape *sh, int64_t t_us);

/* Stages of targets: the earliest time >= t_us at which user index (0-based) is wanted, that is
 * the target is above index, or -1 when it never is again before the stages end (and always -1
 * in stages of rates). A user is wanted
 * while target > index, so users start in index order as the target rises and stop (after
 * their iteration) in reverse order as it falls. */
int64_t gp_shape_next_wanted(const gp_shape *sh, unsigned index, int64_t t_us);

/* True when the shape is the open model (arrival_rate or stages of rates set). */
bool gp_shape_open(const gp_shape *sh);
/* True when each user of the closed model repeats its steps (a duration or stages are set). */
bool gp_shape_soak(const gp_shape *sh);

/* Parses an arrival rate "20/s", "600/m", "0.5/s" (digits with at most one point, '/', s or m) into
 * arrivals per second. Returns 0, or -1 when text is not a rate (a rate of 0 parses: the
 * caller refuses it with its own message). */
int gp_shape_parse_rate(const char *text, double *per_s);

/* ---- the arrival schedule of the open model. The rate is a function of time: constant
 * (arrival_rate), or piecewise linear (stages of rates; after the last stage it stays at the
 * last stage's rate, for a --duration longer than the stages). Everything below derives from
 * it exactly (no time steps), so every process computes the same plan. */

/* The arrival rate (per second) at t_us after the run's start; 0 for the closed model. */
double gp_shape_rate_at(const gp_shape *sh, int64_t t_us);

/* The expected arrivals in [0, t_us): the integral of the rate, Lambda(t). */
double gp_shape_expected(const gp_shape *sh, int64_t t_us);

/* The inverse of gp_shape_expected: the earliest offset (us) at which Lambda reaches m >= 0,
 * or INT64_MAX when it never does (the rate stays 0). Even arrivals: arrival k (from 0) is at
 * gp_shape_arrival_at(sh, k); Poisson: at gp_shape_arrival_at(sh, S_k), S_k the sum of k + 1
 * exponential gaps of mean 1 (time rescaling of a unit-rate process: exact for any rate). */
int64_t gp_shape_arrival_at(const gp_shape *sh, double m);

/* The stage (0-based) that t_us after the run's start falls in, nstages after the last, 0
 * without stages. */
size_t gp_shape_stage_at(const gp_shape *sh, int64_t t_us);

/* The offset (us) at which stage k (0-based) starts; k = nstages gives the stages' end. */
int64_t gp_shape_stage_start(const gp_shape *sh, size_t k);

/* The arrivals planned for an open-model run of duration_us: their start offsets from the run's
 * start, in increasing order, all below duration_us. Even: gp_shape_arrival_at(k) for k = 0,
 * 1, ... (k / rate at a constant rate); Poisson: cumulative exponential gaps drawn from seed,
 * rescaled by the rate (the same seed gives the same plan). Returns the count and sets *out to
 * a new array (free() it; NULL when the count is 0), at most max arrivals. */
size_t gp_shape_schedule(const gp_shape *sh, int64_t duration_us, uint64_t seed, size_t max,
                         int64_t **out);

/* The count gp_shape_schedule plans for even arrivals (a bound the loader checks). */
double gp_shape_planned(const gp_shape *sh, int64_t duration_us);

/* A pause between iterations: min, or uniform in [min, max] from rnd (any 32-bit value). */
int64_t gp_shape_pause(const gp_shape *sh, uint32_t rnd);

/* "closed", "soak" or "open": stable, used in reports. */
const char *gp_shape_model_name(const gp_shape *sh);

#endif
