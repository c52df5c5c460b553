/* test_shape.c - the load shapes' arithmetic: arrival rates parsed, even and Poisson arrival
 * schedules (count, spacing, bounds, reproducibility), pauses between soak iterations. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <math.h>
#include <stdlib.h>

#include "shape.h"

static void test_shape_parse_rate(void **state)
{
    static const struct {
        const char *text;
        int rc;
        double per_s;
    } cases[] = {
        {"20/s", 0, 20},    {"600/m", 0, 10}, {"0.5/s", 0, 0.5}, {"20 / s", 0, 20},
        {"0/s", 0, 0},      {"20", -1, 0},    {"20/h", -1, 0},   {"/s", -1, 0},
        {"-1/s", -1, 0},    {"20/ss", -1, 0}, {"", -1, 0},       {"nan/s", -1, 0},
        {"inf/s", -1, 0},   {"+5/s", -1, 0},  {"1e2/s", -1, 0},  {"0x10/s", -1, 0},
        {"1.2.3/s", -1, 0}, {".5/s", 0, 0.5},
    };
    size_t i;

    (void)state;
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        double v = -1;

        assert_int_equal(gp_shape_parse_rate(cases[i].text, &v), cases[i].rc);
        if (cases[i].rc == 0)
            assert_true(fabs(v - cases[i].per_s) < 1e-9);
    }
}

static void test_shape_models(void **state)
{
    gp_shape sh = {0};

    (void)state;
    assert_false(gp_shape_open(&sh));
    assert_false(gp_shape_soak(&sh));
    assert_string_equal(gp_shape_model_name(&sh), "closed");
    sh.duration_us = 1000000;
    assert_true(gp_shape_soak(&sh));
    assert_string_equal(gp_shape_model_name(&sh), "soak");
    sh.rate_per_s = 5;
    assert_true(gp_shape_open(&sh));
    assert_false(gp_shape_soak(&sh));
    assert_string_equal(gp_shape_model_name(&sh), "open");
}

static void test_shape_schedule_even(void **state)
{
    gp_shape sh = {.rate_per_s = 20, .arrivals = GP_ARRIVALS_EVEN};
    int64_t *at = NULL;
    size_t n, i;

    (void)state;
    n = gp_shape_schedule(&sh, 10000000, 1, 100000, &at);
    assert_int_equal(n, 200);
    assert_true(gp_shape_planned(&sh, 10000000) == 200);
    for (i = 0; i < n; i++)
        assert_true(llabs(at[i] - (int64_t)i * 50000) <= 1);
    assert_true(at[n - 1] < 10000000);
    free(at);
    /* a bound on the count, and nothing for no rate or no duration */
    assert_int_equal(gp_shape_schedule(&sh, 10000000, 1, 7, &at), 7);
    free(at);
    assert_int_equal(gp_shape_schedule(&sh, 0, 1, 100, &at), 0);
    assert_null(at);
    sh.rate_per_s = 0;
    assert_int_equal(gp_shape_schedule(&sh, 1000000, 1, 100, &at), 0);
    assert_null(at);
    /* 600/m over 1.5 s: 0, 0.1, ... 1.4 */
    sh.rate_per_s = 10;
    assert_int_equal(gp_shape_schedule(&sh, 1500000, 1, 100, &at), 15);
    free(at);
}

static void test_shape_schedule_poisson(void **state)
{
    gp_shape sh = {.rate_per_s = 100, .arrivals = GP_ARRIVALS_POISSON};
    int64_t *a = NULL, *b = NULL;
    size_t na, nb, i, under_mean = 0;
    double mean;

    (void)state;
    na = gp_shape_schedule(&sh, 100000000, 42, 100000, &a); /* 100 s: about 10000 */
    nb = gp_shape_schedule(&sh, 100000000, 42, 100000, &b);
    assert_int_equal(na, nb);
    for (i = 0; i < na; i++)
        assert_true(a[i] == b[i]);
    /* 10000 expected, standard deviation 100: 5 of them is far outside chance */
    assert_in_range(na, 9500, 10500);
    for (i = 1; i < na; i++) {
        assert_true(a[i] >= a[i - 1]);
        under_mean += a[i] - a[i - 1] < 10000;
    }
    assert_true(a[na - 1] < 100000000);
    mean = (double)a[na - 1] / (double)(na - 1);
    assert_true(fabs(mean - 10000) < 500);
    /* exponential gaps: P(gap < mean) = 1 - 1/e = 0.632 */
    assert_true(fabs((double)under_mean / (double)(na - 1) - 0.632) < 0.03);
    free(a);
    free(b);
    /* another seed, another plan */
    na = gp_shape_schedule(&sh, 1000000, 1, 1000, &a);
    nb = gp_shape_schedule(&sh, 1000000, 2, 1000, &b);
    assert_true(na != nb || (na > 0 && a[0] != b[0]));
    free(a);
    free(b);
}

static void test_shape_pause(void **state)
{
    gp_shape sh = {.pause_min_us = 500000, .pause_max_us = 500000};

    (void)state;
    assert_int_equal(gp_shape_pause(&sh, 0), 500000);
    assert_int_equal(gp_shape_pause(&sh, 0xffffffffu), 500000);
    sh.pause_max_us = 1500000;
    assert_int_equal(gp_shape_pause(&sh, 0), 500000);
    assert_in_range(gp_shape_pause(&sh, 0x80000000u), 999999, 1000001);
    assert_in_range(gp_shape_pause(&sh, 0xffffffffu), 1499000, 1499999);
}

/* 0 -> 4 users over 1 s, 4 for 1 s, 4 -> 0 over 1 s */
static void test_shape_stages(void **state)
{
    gp_stage st[] = {{1000000, 4, 0}, {1000000, 4, 0}, {1000000, 0, 0}};
    gp_shape sh = {.stages = st, .nstages = 3, .duration_us = 3000000};
    unsigned i;

    (void)state;
    assert_true(gp_shape_soak(&sh));
    assert_string_equal(gp_shape_model_name(&sh), "stages");
    assert_true(fabs(gp_shape_target_at(&sh, 0) - 0) < 1e-9);
    assert_true(fabs(gp_shape_target_at(&sh, 500000) - 2) < 1e-9);
    assert_true(fabs(gp_shape_target_at(&sh, 1500000) - 4) < 1e-9);
    assert_true(fabs(gp_shape_target_at(&sh, 2750000) - 1) < 1e-9);
    assert_true(fabs(gp_shape_target_at(&sh, 9000000) - 0) < 1e-9);
    /* user i starts as the target passes i: 0 at once, 1 at 250 ms, ... */
    for (i = 0; i < 4; i++)
        assert_in_range(gp_shape_next_wanted(&sh, i, 0), (int64_t)i * 250000,
                        (int64_t)i * 250000 + 2);
    /* nobody above the highest target */
    assert_int_equal(gp_shape_next_wanted(&sh, 4, 0), -1);
    /* while wanted: now; on the way down user 3 goes first (target 3 at 2.25 s) */
    assert_int_equal(gp_shape_next_wanted(&sh, 3, 1500000), 1500000);
    assert_int_equal(gp_shape_next_wanted(&sh, 3, 2200000), 2200000);
    assert_int_equal(gp_shape_next_wanted(&sh, 3, 2300000), -1);
    assert_int_equal(gp_shape_next_wanted(&sh, 0, 2900000), 2900000);
    assert_int_equal(gp_shape_next_wanted(&sh, 0, 3000000), -1);
    /* a dip and a second rise: 2 -> 0 -> 2 */
    {
        gp_stage dip[] = {{1000000, 2, 0}, {1000000, 0, 0}, {1000000, 2, 0}};
        gp_shape d = {.stages = dip, .nstages = 3, .duration_us = 3000000};

        assert_in_range(gp_shape_next_wanted(&d, 1, 1600000), 2500000, 2500002);
    }
    assert_int_equal(gp_shape_next_wanted(NULL, 0, 0), -1);
    gp_shape_cleanup(NULL);
}

/* Stages of rates: 0 -> 100/s over 2 s, then 100/s for 1 s: Lambda(t) = 25 t^2 on the ramp,
 * 200 arrivals in all, 25 in the ramp's first half and 75 in its second. */
static void test_shape_rate_stages(void **state)
{
    gp_stage st[] = {{2000000, 0, 100}, {1000000, 0, 100}};
    gp_shape sh = {.stages = st, .nstages = 2, .duration_us = 3000000, .rate_stages = true};
    int64_t *at = NULL;
    size_t n, k, first = 0, second = 0;

    (void)state;
    assert_true(gp_shape_open(&sh));
    assert_false(gp_shape_soak(&sh));
    assert_string_equal(gp_shape_model_name(&sh), "open");
    assert_true(fabs(gp_shape_rate_at(&sh, 500000) - 25) < 1e-9);
    assert_true(fabs(gp_shape_rate_at(&sh, 2500000) - 100) < 1e-9);
    assert_true(fabs(gp_shape_expected(&sh, 1000000) - 25) < 1e-9);
    assert_true(fabs(gp_shape_expected(&sh, 3000000) - 200) < 1e-9);
    assert_true(fabs(gp_shape_planned(&sh, 3000000) - 200) < 1e-9);
    /* the inverse: arrival k at sqrt(k / 25) s on the ramp, 2 s + (k - 100) / 100 after */
    assert_int_equal(gp_shape_arrival_at(&sh, 0), 0);
    assert_in_range(gp_shape_arrival_at(&sh, 25), 999999, 1000001);
    assert_in_range(gp_shape_arrival_at(&sh, 100), 1999999, 2000001);
    assert_in_range(gp_shape_arrival_at(&sh, 150), 2499999, 2500001);
    /* after the stages the last rate holds (a longer --duration) */
    assert_in_range(gp_shape_arrival_at(&sh, 300), 3999999, 4000001);
    assert_int_equal(gp_shape_stage_at(&sh, 0), 0);
    assert_int_equal(gp_shape_stage_at(&sh, 1999999), 0);
    assert_int_equal(gp_shape_stage_at(&sh, 2000000), 1);
    assert_int_equal(gp_shape_stage_at(&sh, 3000000), 2);
    assert_int_equal(gp_shape_stage_start(&sh, 1), 2000000);
    assert_int_equal(gp_shape_stage_start(&sh, 2), 3000000);
    /* target stages' functions do not apply */
    assert_int_equal(gp_shape_next_wanted(&sh, 0, 0), -1);
    n = gp_shape_schedule(&sh, sh.duration_us, 1, 100000, &at);
    assert_int_equal(n, 200);
    for (k = 0; k < n; k++) {
        if (k)
            assert_true(at[k] >= at[k - 1]);
        first += at[k] < 1000000;
        second += at[k] >= 1000000 && at[k] < 2000000;
    }
    assert_int_equal(first, 25);
    assert_int_equal(second, 75);
    free(at);
    /* Poisson: the same seed, the same plan; the count near 200 */
    sh.arrivals = GP_ARRIVALS_POISSON;
    n = gp_shape_schedule(&sh, sh.duration_us, 42, 100000, &at);
    assert_in_range(n, 150, 250);
    for (k = 1; k < n; k++)
        assert_true(at[k] >= at[k - 1]);
    free(at);
    /* starting from arrival_rate: 50/s -> 0 over 2 s is 50 arrivals, the rate then stays 0 */
    {
        gp_stage down[] = {{2000000, 0, 0}};
        gp_shape d = {.rate_per_s = 50,
                      .stages = down,
                      .nstages = 1,
                      .duration_us = 2000000,
                      .rate_stages = true};

        assert_true(fabs(gp_shape_expected(&d, 2000000) - 50) < 1e-9);
        assert_true(fabs(gp_shape_expected(&d, 1000000) - 37.5) < 1e-9);
        assert_int_equal(gp_shape_arrival_at(&d, 50.5), INT64_MAX);
        n = gp_shape_schedule(&d, 5000000, 1, 100000, &at);
        assert_int_equal(n, 50);
        free(at);
    }
    /* a constant rate keeps its plan: k / rate */
    {
        gp_shape c = {.rate_per_s = 50, .duration_us = 2000000};

        assert_int_equal(gp_shape_arrival_at(&c, 3), 60000);
        assert_int_equal(gp_shape_stage_at(&c, 5), 0);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_shape_parse_rate),    cmocka_unit_test(test_shape_models),
        cmocka_unit_test(test_shape_schedule_even), cmocka_unit_test(test_shape_schedule_poisson),
        cmocka_unit_test(test_shape_pause),         cmocka_unit_test(test_shape_stages),
        cmocka_unit_test(test_shape_rate_stages),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
