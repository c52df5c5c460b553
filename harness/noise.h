/* noise.h - is a latency shift between two runs larger than run-to-run noise? A bootstrap over
 * the histograms both reports carry: each run is resampled from its own buckets, percentiles
 * are taken of each resample, and the spread of their differences is the noise. Pure
 * computation over gp_hist; deterministic (fixed seed), no I/O. */
#ifndef GP_NOISE_H
#define GP_NOISE_H

#include <stdbool.h>
#include <stdint.h>

#include "hist.h"

/* Bootstrap resamples of each run. */
#define GP_NOISE_REPLICATES 200
/* Samples drawn per resample; a larger run is drawn at this size, which widens its interval
 * (never narrows it) and bounds the time. */
#define GP_NOISE_MAX_DRAWS 10000
/* Shifts below 1 ms are timer and scheduler jitter, and below two histogram bucket widths
 * (2/32 of the value) they are the histogram's resolution. */
#define GP_NOISE_FLOOR_US 1000
#define GP_NOISE_FLOOR_REL 0.0625
#define GP_NOISE_MAX_Q 8

/* One percentile's shift from BASE to HEAD. Values are µs. */
typedef struct gp_shift {
    double q;     /* percentile, 0 < q < 100 */
    int64_t base; /* gp_hist_percentile of each run */
    int64_t head;
    int64_t lo, hi; /* 95% bootstrap interval of head - base */
    int64_t floor;  /* the smallest shift that counts: GP_NOISE_FLOOR_US, _REL of base, or the
                     * harness's loop lag, whichever is largest */
    bool beyond;    /* head - base > floor and lo > 0: larger than the noise */
} gp_shift;

/* Estimates, for each of the nq (<= GP_NOISE_MAX_Q) percentiles qs, whether HEAD's value is
 * above BASE's by more than noise; out[i] describes qs[i]. lag_us is the harness's own loop
 * lag during the runs (the larger p99 of the two, 0 when unknown): a shift no larger than it
 * cannot be told from the harness reading its clock late, so it raises the floor. seed makes
 * the resampling deterministic (the same inputs and seed give the same answer). A run with no
 * samples gives lo = hi = head - base and beyond false. Returns 0, or -1 on bad arguments. */
int gp_noise_shift(const gp_hist *base, const gp_hist *head, const double *qs, size_t nq,
                   int64_t lag_us, uint64_t seed, gp_shift *out);

#endif
