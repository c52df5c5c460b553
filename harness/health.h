/* health.h - how the harness itself fared during a run: its event loop's lag, its CPU use,
 * and the windows in which it fell behind (stalls). The runner measures it; the judge calls a
 * timing verdict whose wait overlaps a stall inconclusive instead of blaming the server; the
 * reporters print it. Plain data: no library types. */
#ifndef GP_HEALTH_H
#define GP_HEALTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A stall: from_us..to_us (monotonic µs since the run began, the clock of gp_frame.t_us) the
 * harness could not react in time; lag_us is the worst lateness of its loop in that window. */
typedef struct gp_stall {
    int64_t from_us;
    int64_t to_us;
    int64_t lag_us;
} gp_stall;

/* The loop counts as stalled when a timer fires this late (or the loop sees no turn this
 * long); a deadline miss is then possible without any fault of the server. */
#define GP_STALL_THRESHOLD_US 250000
/* At most this many stall windows are kept; later ones widen the last. */
#define GP_HEALTH_MAX_STALLS 256

typedef struct gp_health {
    bool measured;      /* false for offline judging of transcripts saved without it */
    unsigned workers;   /* processes that ran users (1 without --workers) */
    int64_t lag_p50_us; /* event-loop lag: how late the loop's 10 ms tick ran */
    int64_t lag_p99_us;
    int64_t lag_max_us;
    double cpu_user_s; /* CPU time of the harness process(es) during the run */
    double cpu_sys_s;
    double cpu_busy;  /* (user+sys) / (wall time x workers): 1.0 = every loop saturated */
    gp_stall *stalls; /* owned; sorted by from_us, not overlapping */
    size_t nstalls;
} gp_health;

/* Releases stalls and zeroes h. Safe on a zeroed struct. */
void gp_health_cleanup(gp_health *h);
/* Deep copy of src into dst (dst is overwritten, not freed first). */
void gp_health_copy(gp_health *dst, const gp_health *src);
/* Adds a stall window, merging it with the last one when they touch or overlap; beyond
 * GP_HEALTH_MAX_STALLS the last window is widened instead. Windows must come in order. */
void gp_health_add_stall(gp_health *h, int64_t from_us, int64_t to_us, int64_t lag_us);
/* True when [from_us, to_us] overlaps a stall window. Stalls are sorted: a binary search. */
bool gp_health_overlaps(const gp_health *h, int64_t from_us, int64_t to_us);
/* The worst lag of the stalls that overlap [from_us, to_us] (at least 1 when one does), or 0
 * when none does. A binary search, then only the overlapping windows. */
int64_t gp_health_worst_lag(const gp_health *h, int64_t from_us, int64_t to_us);

#endif
