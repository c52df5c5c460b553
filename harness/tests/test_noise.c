/* test_noise.c - the bootstrap noise estimate: an unchanged run is within noise, a real shift
 * is beyond it with an interval that holds it, the floors (jitter, bucket width, the
 * harness's lag) hold, the answer is deterministic, and bad arguments are refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <string.h>

#include "noise.h"

static const double qs[] = {50, 95, 99};

/* n samples spread over [from, from + spread) by a fixed pseudo-random walk. */
static void fill(gp_hist *h, size_t n, int64_t from, int64_t spread, uint64_t salt)
{
    uint64_t x = 88172645463325252ULL ^ salt;
    size_t i;

    gp_hist_init(h);
    for (i = 0; i < n; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        gp_hist_record(h, from + (int64_t)(x % (uint64_t)spread));
    }
}

static void test_noise_same_run_is_within_noise(void **state)
{
    gp_hist a, b;
    gp_shift s[3];
    size_t i;

    (void)state;
    /* Two draws from the same distribution (different samples): a replay of one release. */
    fill(&a, 30, 5000, 3000, 1);
    fill(&b, 30, 5000, 3000, 2);
    assert_int_equal(gp_noise_shift(&a, &b, qs, 3, 0, 42, s), 0);
    for (i = 0; i < 3; i++) {
        assert_false(s[i].beyond);
        assert_true(s[i].lo <= s[i].head - s[i].base && s[i].head - s[i].base <= s[i].hi);
    }
    /* Identical histograms: the interval is centred on zero. */
    assert_int_equal(gp_noise_shift(&a, &a, qs, 3, 0, 42, s), 0);
    for (i = 0; i < 3; i++) {
        assert_false(s[i].beyond);
        assert_true(s[i].lo <= 0 && s[i].hi >= 0);
    }
    gp_hist_cleanup(&a);
    gp_hist_cleanup(&b);
}

static void test_noise_real_shift_is_beyond_noise(void **state)
{
    gp_hist a, b;
    gp_shift s[3];
    size_t i;

    (void)state;
    fill(&a, 30, 5000, 3000, 1);
    fill(&b, 30, 55000, 3000, 2); /* 50 ms more per event */
    assert_int_equal(gp_noise_shift(&a, &b, qs, 3, 0, 42, s), 0);
    for (i = 0; i < 3; i++) {
        assert_true(s[i].beyond);
        assert_true(s[i].lo > 40000 && s[i].hi < 60000);
        assert_true(s[i].lo <= s[i].head - s[i].base && s[i].head - s[i].base <= s[i].hi);
    }
    /* The other way round is faster, never a shift beyond noise upwards. */
    assert_int_equal(gp_noise_shift(&b, &a, qs, 3, 0, 42, s), 0);
    for (i = 0; i < 3; i++)
        assert_false(s[i].beyond);
    gp_hist_cleanup(&a);
    gp_hist_cleanup(&b);
}

/* Few samples make a wide interval: a shift of the tail seen in 5 samples is not proof. */
static void test_noise_few_samples_widen_the_interval(void **state)
{
    gp_hist a, b;
    gp_shift s[1];
    const double q95[] = {95};

    (void)state;
    gp_hist_init(&a);
    gp_hist_init(&b);
    gp_hist_record(&a, 5000);
    gp_hist_record(&a, 5100);
    gp_hist_record(&a, 5200);
    gp_hist_record(&a, 5300);
    gp_hist_record(&a, 30000); /* one slow event */
    gp_hist_record(&b, 5000);
    gp_hist_record(&b, 5100);
    gp_hist_record(&b, 5200);
    gp_hist_record(&b, 5300);
    gp_hist_record(&b, 60000);
    assert_int_equal(gp_noise_shift(&a, &b, q95, 1, 0, 7, s), 0);
    assert_int_equal(s[0].head - s[0].base, 30000);
    assert_false(s[0].beyond);
    assert_true(s[0].lo <= 0);
    gp_hist_cleanup(&a);
    gp_hist_cleanup(&b);
}

/* Shifts below the floors are noise however many samples say so. */
static void test_noise_floors(void **state)
{
    gp_hist a, b, c;
    gp_shift s[3];

    (void)state;
    fill(&a, 5000, 5000, 100, 1);
    fill(&b, 5000, 5600, 100, 2);  /* +0.6 ms: below the 1 ms jitter floor */
    fill(&c, 5000, 25000, 100, 3); /* +20 ms: beyond, unless the harness lagged more */
    assert_int_equal(gp_noise_shift(&a, &b, qs, 3, 0, 1, s), 0);
    assert_true(s[0].lo > 0);
    assert_int_equal(s[0].floor, GP_NOISE_FLOOR_US);
    assert_false(s[0].beyond);
    assert_int_equal(gp_noise_shift(&a, &c, qs, 3, 0, 1, s), 0);
    assert_true(s[0].beyond);
    assert_int_equal(gp_noise_shift(&a, &c, qs, 3, 30000, 1, s), 0);
    assert_int_equal(s[0].floor, 30000);
    assert_false(s[0].beyond);
    gp_hist_cleanup(&a);
    gp_hist_cleanup(&b);
    gp_hist_cleanup(&c);
}

static void test_noise_is_deterministic(void **state)
{
    gp_hist a, b;
    gp_shift s1[3], s2[3], s3[3];

    (void)state;
    fill(&a, 200, 5000, 20000, 1);
    fill(&b, 200, 7000, 20000, 2);
    assert_int_equal(gp_noise_shift(&a, &b, qs, 3, 0, 99, s1), 0);
    assert_int_equal(gp_noise_shift(&a, &b, qs, 3, 0, 99, s2), 0);
    assert_memory_equal(s1, s2, sizeof s1);
    /* another seed resamples differently, but reads the same percentiles */
    assert_int_equal(gp_noise_shift(&a, &b, qs, 3, 0, 100, s3), 0);
    assert_int_equal(s3[0].base, s1[0].base);
    assert_int_equal(s3[0].head, s1[0].head);
    gp_hist_cleanup(&a);
    gp_hist_cleanup(&b);
}

/* A big run is drawn at GP_NOISE_MAX_DRAWS per resample: bounded time, and still beyond. */
static void test_noise_large_runs(void **state)
{
    gp_hist a, b;
    gp_shift s[3];

    (void)state;
    fill(&a, 500000, 5000, 10000, 1);
    fill(&b, 500000, 8000, 10000, 2);
    assert_int_equal(gp_noise_shift(&a, &b, qs, 3, 0, 5, s), 0);
    assert_true(s[0].beyond);
    assert_true(s[0].lo > 2000 && s[0].hi < 4000);
    gp_hist_cleanup(&a);
    gp_hist_cleanup(&b);
}

static void test_noise_bad_arguments(void **state)
{
    gp_hist a, e;
    gp_shift s[GP_NOISE_MAX_Q + 1];
    const double bad[] = {100}, zero[] = {0};
    double many[GP_NOISE_MAX_Q + 1];
    size_t i;

    (void)state;
    for (i = 0; i <= GP_NOISE_MAX_Q; i++)
        many[i] = 50;
    fill(&a, 10, 5000, 100, 1);
    gp_hist_init(&e);
    assert_int_equal(gp_noise_shift(&a, &a, bad, 1, 0, 1, s), -1);
    assert_int_equal(gp_noise_shift(&a, &a, zero, 1, 0, 1, s), -1);
    assert_int_equal(gp_noise_shift(&a, &a, qs, 0, 0, 1, s), -1);
    assert_int_equal(gp_noise_shift(&a, &a, many, GP_NOISE_MAX_Q + 1, 0, 1, s), -1);
    assert_int_equal(gp_noise_shift(NULL, &a, qs, 1, 0, 1, s), -1);
    /* an empty run: no estimate, never beyond */
    assert_int_equal(gp_noise_shift(&e, &a, qs, 3, 0, 1, s), 0);
    assert_false(s[0].beyond);
    assert_int_equal(s[0].lo, s[0].head - s[0].base);
    gp_hist_cleanup(&a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_noise_same_run_is_within_noise),
        cmocka_unit_test(test_noise_real_shift_is_beyond_noise),
        cmocka_unit_test(test_noise_few_samples_widen_the_interval),
        cmocka_unit_test(test_noise_floors),
        cmocka_unit_test(test_noise_is_deterministic),
        cmocka_unit_test(test_noise_large_runs),
        cmocka_unit_test(test_noise_bad_arguments),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
