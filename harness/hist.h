/* hist.h - latency histograms with a fixed log-linear bucket layout, so two histograms merge
 * exactly (counts add) and percentiles stay within 1/32 relative error. Values are µs. */
#ifndef GP_HIST_H
#define GP_HIST_H

#include <jansson.h>

#include "gp_common.h"

#define GP_HIST_SUB_BITS 6 /* 64 linear sub-buckets per power of two */
#define GP_HIST_SUB (1 << GP_HIST_SUB_BITS)
#define GP_HIST_MAX_EXP 40 /* values up to 2^40 µs (about 12.7 days); larger are clamped */
#define GP_HIST_BUCKETS ((GP_HIST_MAX_EXP + 1) * GP_HIST_SUB)

typedef struct gp_hist {
    uint64_t count;
    int64_t min; /* valid when count > 0 */
    int64_t max;
    int64_t sum;
    uint32_t *buckets; /* GP_HIST_BUCKETS counts, allocated on the first record */
} gp_hist;

void gp_hist_init(gp_hist *h);
void gp_hist_cleanup(gp_hist *h);
/* Records v (negative values count as 0). */
void gp_hist_record(gp_hist *h, int64_t v);
/* Adds src into dst exactly. */
void gp_hist_merge(gp_hist *dst, const gp_hist *src);
/* The value at percentile q (0..100): the upper edge of the bucket holding it, clamped to
 * [min, max]. 0 when empty. */
int64_t gp_hist_percentile(const gp_hist *h, double q);
/* The largest value bucket i holds (i < GP_HIST_BUCKETS): the value percentiles report. */
int64_t gp_hist_bucket_upper(size_t i);
/* JSON form: {"count","min","max","sum","p50","p90","p95","p99","buckets":[[i,n],...]}
 * where buckets is sparse and holds the layout-exact counts. Returns a new reference. */
json_t *gp_hist_to_json(const gp_hist *h);
/* Reads the form above back (percentile keys are ignored). Returns 0 or -1. */
int gp_hist_from_json(gp_hist *h, const json_t *j);

#endif
