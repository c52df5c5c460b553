/* test_hist.c - histogram accuracy against exact percentiles of random data, exact merging
 * (the merge of two equals the histogram of the union) and the JSON round trip. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "hist.h"

static uint64_t rng_next(uint64_t *s)
{
    /* xorshift64*: deterministic, so a failure reproduces. */
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return *s * 2685821657736338717ull;
}

/* Log-uniform over [0, 2^max_bits): every bucket region gets samples. */
static int64_t rng_value(uint64_t *s, int max_bits)
{
    int bits = (int)(rng_next(s) % (uint64_t)max_bits) + 1;

    return (int64_t)(rng_next(s) & ((1ull << bits) - 1));
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

    return x < y ? -1 : x > y;
}

static void assert_hist_equal(const gp_hist *a, const gp_hist *b)
{
    assert_int_equal(a->count, b->count);
    assert_int_equal(a->sum, b->sum);
    if (a->count) {
        assert_int_equal(a->min, b->min);
        assert_int_equal(a->max, b->max);
        assert_non_null(a->buckets);
        assert_non_null(b->buckets);
        assert_memory_equal(a->buckets, b->buckets, GP_HIST_BUCKETS * sizeof *a->buckets);
    }
}

struct accuracy_case {
    uint64_t seed;
    size_t n;
    int max_bits;
};

static const struct accuracy_case accuracy_cases[] = {
    {1, 10000, 36}, {42, 10000, 20}, {7, 10000, 6}, {99, 1000, 40}, {12345, 10000, 30},
};

static void test_hist_percentile_accuracy(void **state)
{
    static const double qs[] = {1, 10, 25, 50, 75, 90, 95, 99};
    size_t c, i, k;

    (void)state;
    for (c = 0; c < sizeof accuracy_cases / sizeof accuracy_cases[0]; c++) {
        const struct accuracy_case *ac = &accuracy_cases[c];
        uint64_t s = ac->seed;
        int64_t *v = malloc(ac->n * sizeof *v);
        gp_hist h;

        gp_hist_init(&h);
        for (i = 0; i < ac->n; i++) {
            v[i] = rng_value(&s, ac->max_bits);
            gp_hist_record(&h, v[i]);
        }
        qsort(v, ac->n, sizeof *v, cmp_i64);
        assert_int_equal(h.count, ac->n);
        assert_int_equal(h.min, v[0]);
        assert_int_equal(h.max, v[ac->n - 1]);
        for (k = 0; k < sizeof qs / sizeof qs[0]; k++) {
            /* The exact percentile: the smallest sample with q% of the samples at or below. */
            size_t rank = (size_t)llround(qs[k] * (double)ac->n / 100.0);
            int64_t exact = v[rank - 1], got = gp_hist_percentile(&h, qs[k]);

            print_message("seed %llu q%g: exact %lld, histogram %lld\n",
                          (unsigned long long)ac->seed, qs[k], (long long)exact, (long long)got);
            /* The upper bucket edge is never below the sample and at most 1/32 above it. */
            assert_true(got >= exact);
            assert_true((double)(got - exact) <= (double)exact / 32.0);
        }
        assert_int_equal(gp_hist_percentile(&h, 0), v[0]);
        assert_int_equal(gp_hist_percentile(&h, 100), v[ac->n - 1]);
        gp_hist_cleanup(&h);
        free(v);
    }
}

static void test_hist_small_values_exact(void **state)
{
    gp_hist h;
    int64_t i;

    (void)state;
    gp_hist_init(&h);
    assert_int_equal(gp_hist_percentile(&h, 50), 0);
    for (i = 1; i <= 60; i++)
        gp_hist_record(&h, i);
    /* Below GP_HIST_SUB every value has its own bucket. */
    assert_int_equal(gp_hist_percentile(&h, 50), 30);
    assert_int_equal(gp_hist_percentile(&h, 10), 6);
    assert_int_equal(h.sum, 60 * 61 / 2);
    gp_hist_record(&h, -5); /* negative counts as 0 */
    assert_int_equal(h.min, 0);
    gp_hist_record(&h, INT64_MAX); /* clamped to the top of the layout */
    assert_int_equal(h.max, ((int64_t)1 << GP_HIST_MAX_EXP) - 1);
    assert_int_equal(h.count, 62);
    gp_hist_cleanup(&h);
    gp_hist_cleanup(&h); /* cleanup twice is harmless */
}

static void test_hist_merge_exact(void **state)
{
    uint64_t s = 2024;
    gp_hist a, b, u, empty;
    size_t i;

    (void)state;
    gp_hist_init(&a);
    gp_hist_init(&b);
    gp_hist_init(&u);
    gp_hist_init(&empty);
    for (i = 0; i < 5000; i++) {
        int64_t v = rng_value(&s, 34);

        gp_hist_record(i % 3 ? &a : &b, v);
        gp_hist_record(&u, v);
    }
    /* b holds smaller and larger extremes than a, so min/max come from both sides. */
    gp_hist_record(&b, 0);
    gp_hist_record(&u, 0);
    gp_hist_record(&a, (int64_t)1 << 35);
    gp_hist_record(&u, (int64_t)1 << 35);

    gp_hist_merge(&empty, &a);
    assert_hist_equal(&empty, &a);
    gp_hist_merge(&empty, &b);
    assert_hist_equal(&empty, &u);
    assert_int_equal(gp_hist_percentile(&empty, 90), gp_hist_percentile(&u, 90));

    /* Merging an empty histogram changes nothing. */
    gp_hist_cleanup(&b);
    gp_hist_merge(&empty, &b);
    assert_hist_equal(&empty, &u);
    gp_hist_cleanup(&a);
    gp_hist_cleanup(&b);
    gp_hist_cleanup(&u);
    gp_hist_cleanup(&empty);
}

static void test_hist_json_round_trip(void **state)
{
    uint64_t s = 77;
    gp_hist h, back, none;
    json_t *j, *loaded;
    char *text;
    size_t i;

    (void)state;
    gp_hist_init(&h);
    for (i = 0; i < 3000; i++)
        gp_hist_record(&h, rng_value(&s, 28));
    j = gp_hist_to_json(&h);
    assert_int_equal(json_integer_value(json_object_get(j, "count")), 3000);
    assert_int_equal(json_integer_value(json_object_get(j, "p50")), gp_hist_percentile(&h, 50));
    assert_int_equal(json_integer_value(json_object_get(j, "p99")), gp_hist_percentile(&h, 99));
    /* Through text, as reports travel. */
    text = json_dumps(j, JSON_COMPACT);
    loaded = json_loads(text, 0, NULL);
    assert_int_equal(gp_hist_from_json(&back, loaded), 0);
    assert_hist_equal(&back, &h);
    free(text);
    json_decref(loaded);
    json_decref(j);
    gp_hist_cleanup(&back);

    /* An empty histogram round-trips too. */
    gp_hist_init(&none);
    j = gp_hist_to_json(&none);
    assert_int_equal(gp_hist_from_json(&back, j), 0);
    assert_int_equal(back.count, 0);
    json_decref(j);
    gp_hist_cleanup(&back);
    gp_hist_cleanup(&h);
}

static const char *const bad_json[] = {
    "[]",
    "{\"count\":1}",
    "{\"count\":2,\"buckets\":[[3,1]]}",
    "{\"count\":1,\"buckets\":[[-1,1]]}",
    "{\"count\":1,\"buckets\":[[99999999,1]]}",
    "{\"count\":0,\"buckets\":[[3,1]]}",
    "{\"count\":1,\"buckets\":[[3,-1]]}",
};

static void test_hist_json_rejects_bad_input(void **state)
{
    size_t i;

    (void)state;
    for (i = 0; i < sizeof bad_json / sizeof bad_json[0]; i++) {
        json_t *j = json_loads(bad_json[i], 0, NULL);
        gp_hist h;

        print_message("case: %s\n", bad_json[i]);
        assert_non_null(j);
        assert_int_equal(gp_hist_from_json(&h, j), -1);
        assert_null(h.buckets);
        json_decref(j);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hist_percentile_accuracy),
        cmocka_unit_test(test_hist_small_values_exact),
        cmocka_unit_test(test_hist_merge_exact),
        cmocka_unit_test(test_hist_json_round_trip),
        cmocka_unit_test(test_hist_json_rejects_bad_input),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
