/* timeseries.h - results over time: per interval, the runs started and completed, failures
 * per rule, active users and latency histograms of the five golden events. Built after
 * judging from the transcripts and the judge's per-run samples; merged exactly (counts add,
 * histograms merge). The open model's dropped arrivals per interval and the stages' start
 * times come from the runner and the scenario (gp_series_add_dropped, gp_series_set_stages). */
#ifndef GP_TIMESERIES_H
#define GP_TIMESERIES_H

#include <stdio.h>

#include "results.h"
#include "shape.h"

#define GP_SERIES_DEFAULT_INTERVAL_US 10000000LL /* 10 s */
#define GP_SERIES_MIN_INTERVALS 5
#define GP_SERIES_MAX_INTERVALS 100000 /* bounds memory: a longer run gets wider intervals */
#define GP_SERIES_VERSION 2            /* 2: dropped_arrivals per interval and stage_starts_us */
#define GP_SERIES_MAX_STAGES 10000

typedef struct gp_series_point {
    uint64_t runs_started;   /* runs whose message was sent in the interval */
    uint64_t runs_completed; /* runs whose agent_completed arrived in the interval */
    uint64_t active_users;   /* users with a transcript (any iteration) spanning into it */
    uint64_t dropped_arrivals; /* open model: arrivals that found max_active users in flight */
    uint64_t failures[GP_RULE__COUNT];   /* users failing the rule, at the user's start */
    gp_hist latency[GP_EV_GOLDEN_COUNT]; /* latencies of runs started in the interval */
} gp_series_point;

typedef struct gp_series {
    int64_t interval_us;
    int64_t start_wall_us; /* epoch µs of the first interval's start */
    size_t n;
    gp_series_point *p; /* n points, owned */
    int64_t *stage_start_us; /* stages: each stage's start from start_wall_us; owned or NULL */
    size_t nstages;
} gp_series;

/* The interval for a run of duration_us when the user asked for requested_us (0: not asked):
 * what was asked, else 10 s, shortened for runs under 50 s to duration/5 rounded up to a
 * whole 100 ms (at least 100 ms) so a short run still has about 5 intervals; then widened if
 * needed so there are at most GP_SERIES_MAX_INTERVALS. */
int64_t gp_series_interval(int64_t duration_us, int64_t requested_us);

/* Builds the series of judged results r over transcripts ts (n, the ones r was judged
 * from), starting at start_wall_us, covering duration_us (and any later frame). Returns a
 * new series (gp_series_free); never NULL. */
gp_series *gp_series_build(const gp_results *r, gp_transcript *const *ts, size_t n,
                           int64_t start_wall_us, int64_t duration_us, int64_t interval_us);
void gp_series_free(gp_series *s);

/* Counts n dropped arrivals at t_us (µs since the run's start, each) in their intervals (one
 * past the end in the last). */
void gp_series_add_dropped(gp_series *s, const int64_t *t_us, size_t n);

/* Records the start of each of sh's stages (from the run's start) that begins before
 * duration_us, the run's planned length; none without stages. */
void gp_series_set_stages(gp_series *s, const gp_shape *sh, int64_t duration_us);

/* Adds src into *dst exactly, aligning by wall-clock start (to the nearest interval); *dst
 * NULL takes a copy. Returns 0, or -1 when the intervals differ or the parts lie so far apart
 * in time that the merged series would pass 2 * GP_SERIES_MAX_INTERVALS (dst left unchanged). */
int gp_series_merge(gp_series **dst, const gp_series *src);

/* JSON form (reports/README.md "series"). Returns a new reference. */
json_t *gp_series_to_json(const gp_series *s);
/* Reads it back; NULL when j is malformed. */
gp_series *gp_series_from_json(const json_t *j);

/* Sums over the series, for checks against the totals. */
uint64_t gp_series_sum_started(const gp_series *s);
uint64_t gp_series_sum_failures(const gp_series *s, gp_rule rule);
uint64_t gp_series_sum_dropped(const gp_series *s);

/* The intervals a drift is judged over. The run spans the intervals [*lo, *hi) from the
 * first to the last one in which a run started (latencies belong to the interval their run
 * started in; later intervals hold only late frames). Of its n = *hi - *lo intervals, each
 * fifth is k = n / 5 whole intervals: the first fifth [*lo, *lo + k), the last fifth
 * [*hi - k, *hi). Returns k, or 0 when n < GP_SERIES_MIN_INTERVALS (or s is NULL): drift
 * cannot be judged. lo and hi are set in every case (0 and 0 for no runs). */
size_t gp_series_fifths(const gp_series *s, size_t *lo, size_t *hi);

/* Merges into out (initialised by the caller) the latency histograms of event ev (a golden
 * event index) of intervals [from, to) exactly. Out-of-range intervals are ignored. */
void gp_series_latency_range(const gp_series *s, size_t from, size_t to, size_t ev, gp_hist *out);

/* The console prints the table for runs longer than this, in at most this many rows. */
#define GP_SERIES_CONSOLE_MIN_US 60000000LL
#define GP_SERIES_CONSOLE_ROWS 12

/* Writes the compact over-time table (one row per interval, at most max_rows rows: wider
 * rows merge adjacent intervals). */
void gp_series_print(FILE *out, const gp_series *s, size_t max_rows);

#endif
