/* hist.c - fixed-layout log-linear histograms. Values below GP_HIST_SUB are exact; above, a
 * value v with highest bit m falls in region r = m - GP_HIST_SUB_BITS + 1 at sub-bucket v >> r,
 * which is always in [GP_HIST_SUB/2, GP_HIST_SUB). The layout never depends on the data, which
 * is what makes merging exact. */
#include "hist.h"

#include <stdlib.h>
#include <string.h>

static const int64_t max_value = ((int64_t)1 << GP_HIST_MAX_EXP) - 1;

static size_t bucket_of(int64_t v)
{
    int msb, r;

    if (v < GP_HIST_SUB)
        return (size_t)v;
    msb = 63 - __builtin_clzll((unsigned long long)v);
    r = msb - GP_HIST_SUB_BITS + 1;
    return (size_t)r * GP_HIST_SUB + (size_t)(v >> r);
}

int64_t gp_hist_bucket_upper(size_t i)
{
    size_t r = i / GP_HIST_SUB, sub = i % GP_HIST_SUB;

    if (r == 0)
        return (int64_t)sub;
    return (((int64_t)sub + 1) << r) - 1;
}

void gp_hist_init(gp_hist *h)
{
    memset(h, 0, sizeof *h);
}

void gp_hist_cleanup(gp_hist *h)
{
    free(h->buckets);
    memset(h, 0, sizeof *h);
}

void gp_hist_record(gp_hist *h, int64_t v)
{
    if (v < 0)
        v = 0;
    if (v > max_value)
        v = max_value;
    if (!h->buckets)
        h->buckets = gp_calloc(GP_HIST_BUCKETS, sizeof *h->buckets);
    h->buckets[bucket_of(v)]++;
    if (h->count == 0 || v < h->min)
        h->min = v;
    if (h->count == 0 || v > h->max)
        h->max = v;
    h->count++;
    h->sum += v;
}

void gp_hist_merge(gp_hist *dst, const gp_hist *src)
{
    size_t i;

    if (src->count == 0)
        return;
    if (!dst->buckets)
        dst->buckets = gp_calloc(GP_HIST_BUCKETS, sizeof *dst->buckets);
    for (i = 0; i < GP_HIST_BUCKETS; i++)
        dst->buckets[i] += src->buckets[i];
    if (dst->count == 0 || src->min < dst->min)
        dst->min = src->min;
    if (dst->count == 0 || src->max > dst->max)
        dst->max = src->max;
    dst->count += src->count;
    /* Saturate rather than overflow: sums of hostile or huge reports stay defined. */
    dst->sum = src->sum > INT64_MAX - dst->sum ? INT64_MAX : dst->sum + src->sum;
}

int64_t gp_hist_percentile(const gp_hist *h, double q)
{
    uint64_t rank, seen = 0;
    size_t i;

    if (h->count == 0)
        return 0;
    if (q <= 0)
        return h->min;
    if (q >= 100)
        return h->max;
    /* The smallest value with at least q% of the samples at or below it. */
    rank = (uint64_t)((q / 100.0) * (double)h->count + 0.999999999);
    if (rank == 0)
        rank = 1;
    for (i = 0; i < GP_HIST_BUCKETS; i++) {
        seen += h->buckets[i];
        if (seen >= rank) {
            int64_t v = gp_hist_bucket_upper(i);

            if (v > h->max)
                v = h->max;
            if (v < h->min)
                v = h->min;
            return v;
        }
    }
    return h->max;
}

json_t *gp_hist_to_json(const gp_hist *h)
{
    json_t *o = json_object(), *b = json_array();
    size_t i;

    json_object_set_new(o, "count", json_integer((json_int_t)h->count));
    json_object_set_new(o, "min", json_integer(h->count ? h->min : 0));
    json_object_set_new(o, "max", json_integer(h->count ? h->max : 0));
    json_object_set_new(o, "sum", json_integer(h->sum));
    json_object_set_new(o, "p50", json_integer(gp_hist_percentile(h, 50)));
    json_object_set_new(o, "p90", json_integer(gp_hist_percentile(h, 90)));
    json_object_set_new(o, "p95", json_integer(gp_hist_percentile(h, 95)));
    json_object_set_new(o, "p99", json_integer(gp_hist_percentile(h, 99)));
    for (i = 0; h->buckets && i < GP_HIST_BUCKETS; i++)
        if (h->buckets[i])
            json_array_append_new(b, json_pack("[II]", (json_int_t)i, (json_int_t)h->buckets[i]));
    json_object_set_new(o, "buckets", b);
    return o;
}

int gp_hist_from_json(gp_hist *h, const json_t *j)
{
    json_t *b = json_object_get(j, "buckets"), *pair;
    uint64_t total = 0;
    size_t i;

    gp_hist_init(h);
    if (!json_is_object(j) || !json_is_array(b))
        return -1;
    if (json_integer_value(json_object_get(j, "count")) < 0 ||
        json_integer_value(json_object_get(j, "sum")) < 0 ||
        json_integer_value(json_object_get(j, "min")) < 0 ||
        json_integer_value(json_object_get(j, "max")) <
            json_integer_value(json_object_get(j, "min")))
        return -1;
    h->count = (uint64_t)json_integer_value(json_object_get(j, "count"));
    h->min = json_integer_value(json_object_get(j, "min"));
    h->max = json_integer_value(json_object_get(j, "max"));
    h->sum = json_integer_value(json_object_get(j, "sum"));
    if (h->count)
        h->buckets = gp_calloc(GP_HIST_BUCKETS, sizeof *h->buckets);
    json_array_foreach(b, i, pair)
    {
        json_int_t idx = json_integer_value(json_array_get(pair, 0));
        json_int_t n = json_integer_value(json_array_get(pair, 1));

        if (!h->buckets || idx < 0 || idx >= GP_HIST_BUCKETS || n < 0 ||
            (uint64_t)n > UINT32_MAX - h->buckets[idx]) {
            gp_hist_cleanup(h);
            return -1;
        }
        h->buckets[idx] += (uint32_t)n;
        total += (uint64_t)n;
    }
    if (total != h->count) {
        gp_hist_cleanup(h);
        return -1;
    }
    return 0;
}
