/* noise.c - bootstrap intervals of percentile differences between two histograms. Each
 * resample draws a run's sample count (at most GP_NOISE_MAX_DRAWS) from its own buckets with
 * replacement; the percentile of a resample is read the way gp_hist_percentile reads it, so an
 * unchanged run's interval is centred on zero. It never reads or writes anything but memory. */
#include "noise.h"

#include <stdlib.h>
#include <string.h>

/* A histogram's non-empty buckets with cumulative counts, for drawing by binary search. */
typedef struct sparse {
    size_t n;
    size_t *idx;
    uint64_t *cum;
    uint32_t *tally; /* one resample's counts per non-empty bucket */
    const gp_hist *h;
} sparse;

static void sparse_init(sparse *s, const gp_hist *h)
{
    size_t i;
    uint64_t c = 0;

    memset(s, 0, sizeof *s);
    s->h = h;
    if (h->count == 0 || !h->buckets)
        return;
    for (i = 0; i < GP_HIST_BUCKETS; i++)
        s->n += h->buckets[i] != 0;
    s->idx = gp_calloc(s->n, sizeof *s->idx);
    s->cum = gp_calloc(s->n, sizeof *s->cum);
    s->tally = gp_calloc(s->n, sizeof *s->tally);
    s->n = 0;
    for (i = 0; i < GP_HIST_BUCKETS; i++) {
        if (!h->buckets[i])
            continue;
        c += h->buckets[i];
        s->idx[s->n] = i;
        s->cum[s->n++] = c;
    }
}

static void sparse_cleanup(sparse *s)
{
    free(s->idx);
    free(s->cum);
    free(s->tally);
}

/* splitmix64: small, fast, and the same sequence everywhere for a seed. */
static uint64_t next_rand(uint64_t *st)
{
    uint64_t z = (*st += 0x9E3779B97F4A7C15ULL);

    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

/* Draws n samples of s into s->tally. */
static void resample(sparse *s, uint64_t n, uint64_t *st)
{
    uint64_t total = s->cum[s->n - 1], k;

    memset(s->tally, 0, s->n * sizeof *s->tally);
    for (k = 0; k < n; k++) {
        /* The modulo bias is below 2^-30 for any run a report can hold. */
        uint64_t r = next_rand(st) % total;
        size_t lo = 0, hi = s->n - 1;

        while (lo < hi) {
            size_t mid = lo + (hi - lo) / 2;

            if (s->cum[mid] > r)
                hi = mid;
            else
                lo = mid + 1;
        }
        s->tally[lo]++;
    }
}

/* The percentile q of the resample in s->tally (n samples), as gp_hist_percentile reads it. */
static int64_t tally_percentile(const sparse *s, uint64_t n, double q)
{
    uint64_t rank = (uint64_t)((q / 100.0) * (double)n + 0.999999999), seen = 0;
    size_t i;

    if (rank == 0)
        rank = 1;
    for (i = 0; i < s->n; i++) {
        seen += s->tally[i];
        if (seen >= rank) {
            int64_t v = gp_hist_bucket_upper(s->idx[i]);

            return v > s->h->max ? s->h->max : v < s->h->min ? s->h->min : v;
        }
    }
    return s->h->max;
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

    return x < y ? -1 : x > y;
}

int gp_noise_shift(const gp_hist *base, const gp_hist *head, const double *qs, size_t nq,
                   int64_t lag_us, uint64_t seed, gp_shift *out)
{
    sparse sb, sh;
    int64_t *diffs;
    uint64_t st = seed, nb, nh;
    size_t i, r;

    if (!base || !head || !qs || !out || nq == 0 || nq > GP_NOISE_MAX_Q)
        return -1;
    for (i = 0; i < nq; i++)
        if (!(qs[i] > 0 && qs[i] < 100))
            return -1;
    for (i = 0; i < nq; i++) {
        gp_shift *s = &out[i];

        memset(s, 0, sizeof *s);
        s->q = qs[i];
        s->base = gp_hist_percentile(base, qs[i]);
        s->head = gp_hist_percentile(head, qs[i]);
        s->lo = s->hi = s->head - s->base;
        s->floor = (int64_t)((double)s->base * GP_NOISE_FLOOR_REL);
        if (s->floor < GP_NOISE_FLOOR_US)
            s->floor = GP_NOISE_FLOOR_US;
        if (s->floor < lag_us)
            s->floor = lag_us;
    }
    if (base->count == 0 || head->count == 0 || !base->buckets || !head->buckets)
        return 0;
    sparse_init(&sb, base);
    sparse_init(&sh, head);
    nb = base->count < GP_NOISE_MAX_DRAWS ? base->count : GP_NOISE_MAX_DRAWS;
    nh = head->count < GP_NOISE_MAX_DRAWS ? head->count : GP_NOISE_MAX_DRAWS;
    diffs = gp_calloc(nq * GP_NOISE_REPLICATES, sizeof *diffs);
    for (r = 0; r < GP_NOISE_REPLICATES; r++) {
        resample(&sb, nb, &st);
        resample(&sh, nh, &st);
        for (i = 0; i < nq; i++)
            diffs[i * GP_NOISE_REPLICATES + r] =
                tally_percentile(&sh, nh, qs[i]) - tally_percentile(&sb, nb, qs[i]);
    }
    for (i = 0; i < nq; i++) {
        int64_t *d = &diffs[i * GP_NOISE_REPLICATES];
        gp_shift *s = &out[i];

        qsort(d, GP_NOISE_REPLICATES, sizeof *d, cmp_i64);
        /* The 2.5th and 97.5th percentiles of the replicate differences. */
        s->lo = d[GP_NOISE_REPLICATES * 25 / 1000];
        s->hi = d[GP_NOISE_REPLICATES - 1 - GP_NOISE_REPLICATES * 25 / 1000];
        s->beyond = s->head - s->base > s->floor && s->lo > 0;
    }
    free(diffs);
    sparse_cleanup(&sb);
    sparse_cleanup(&sh);
    return 0;
}
