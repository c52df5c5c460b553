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
    gp_stage st[] = {{1000000, 4}, {1000000, 4}, {1000000, 0}};
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
        gp_stage dip[] = {{1000000, 2}, {1000000, 0}, {1000000, 2}};
        gp_shape d = {.stages = dip, .nstages = 3, .duration_us = 3000000};

        assert_in_range(gp_shape_next_wanted(&d, 1, 1600000), 2500000, 2500002);
    }
    assert_int_equal(gp_shape_next_wanted(NULL, 0, 0), -1);
    gp_shape_cleanup(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_shape_parse_rate),    cmocka_unit_test(test_shape_models),
        cmocka_unit_test(test_shape_schedule_even), cmocka_unit_test(test_shape_schedule_poisson),
        cmocka_unit_test(test_shape_pause),         cmocka_unit_test(test_shape_stages),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
