/* test_timeseries.c - results over time: the interval rule, a series that sums to the
 * totals it was built from, exact merges aligned by wall clock, the JSON round trip and the
 * console table. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "timeseries.h"

#define S_US 1000000LL

static void test_timeseries_interval(void **state)
{
    static const struct {
        int64_t duration, requested, want;
    } cases[] = {
        {600 * S_US, 0, 10 * S_US}, /* long run: the default */
        {50 * S_US, 0, 10 * S_US},  /* exactly 5 intervals */
        {4 * S_US, 0, 800000},      /* short: duration/5 */
        {4100000, 0, 900000},       /* rounded up to 100 ms */
        {100000, 0, 100000},        /* never below 100 ms */
        {4 * S_US, S_US, S_US},     /* asked for */
        {600 * S_US, 1000, 6001},   /* widened: at most GP_SERIES_MAX_INTERVALS */
    };
    size_t i;

    (void)state;
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++)
        assert_int_equal(gp_series_interval(cases[i].duration, cases[i].requested), cases[i].want);
}

/* Seven users, one every 4 s, each with two runs 1 s apart; user 2 and 5 fail rules. */
static gp_results *sample_results(gp_transcript ***tsp, size_t *np)
{
    gp_results *r = gp_results_new(7);
    gp_transcript **ts = calloc(7, sizeof *ts);
    size_t u, k, e;

    for (u = 0; u < 7; u++) {
        int64_t t = (int64_t)u * 4 * S_US;

        ts[u] = gp_transcript_new(u, "user", "nonce");
        gp_transcript_add(ts[u], GP_FR_CONNECT, t, 0, NULL, 0);
        gp_transcript_add(ts[u], GP_FR_CLOSED, t + 3 * S_US, 1000, NULL, 0);
        for (k = 0; k < 2; k++) {
            gp_run_sample m;

            m.user = u;
            m.t0_us = t + (int64_t)k * S_US;
            m.end_us = u == 5 && k == 1 ? -1 : m.t0_us + 500000;
            for (e = 0; e < GP_EV_GOLDEN_COUNT; e++)
                m.lat_us[e] = m.end_us < 0 ? -1 : (int64_t)(e + 1) * 10000 * (int64_t)(u + 1);
            gp_results_add_sample(r, &m);
            r->runs_total++;
            if (m.end_us >= 0)
                r->users[u].runs_completed++;
        }
    }
    gp_results_fail(r, GP_RULE_R1_START, 2, 1, 0, "x", "y");
    gp_results_fail(r, GP_RULE_COMPLETION, 5, 1, 0, "x", "y");
    gp_results_fail(r, GP_RULE_R1_START, 5, 1, 0, "x", "y");
    r->users[2].failed_rules = 1u << GP_RULE_R1_START;
    r->users[5].failed_rules = 1u << GP_RULE_COMPLETION | 1u << GP_RULE_R1_START;
    *tsp = ts;
    *np = 7;
    return r;
}

static void free_ts(gp_transcript **ts, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++)
        gp_transcript_free(ts[i]);
    free(ts);
}

static void test_timeseries_sums_to_totals(void **state)
{
    gp_transcript **ts;
    size_t n, i, k, rule;
    gp_results *r = sample_results(&ts, &n);
    gp_series *s = gp_series_build(r, ts, n, 1700000000 * S_US, 28 * S_US, 5 * S_US);
    uint64_t completed = 0, lat[GP_EV_GOLDEN_COUNT] = {0}, completed_total = 0;

    (void)state;
    assert_int_equal(s->n, 6); /* 0..30 s in 5 s steps: the last frame is at 27 s */
    assert_int_equal(gp_series_sum_started(s), r->runs_total);
    for (rule = 0; rule < GP_RULE__COUNT; rule++)
        assert_int_equal(gp_series_sum_failures(s, (gp_rule)rule), r->rules[rule].failed);
    for (i = 0; i < s->n; i++) {
        completed += s->p[i].runs_completed;
        for (k = 0; k < GP_EV_GOLDEN_COUNT; k++)
            lat[k] += s->p[i].latency[k].count;
    }
    for (i = 0; i < r->nusers; i++)
        completed_total += r->users[i].runs_completed;
    assert_int_equal(completed, completed_total);
    assert_int_equal(completed, 13);
    for (k = 0; k < GP_EV_GOLDEN_COUNT; k++)
        assert_int_equal(lat[k], 13);
    /* users 0 (0-3 s) and 1 (4-7 s) are both in the first interval */
    assert_int_equal(s->p[0].active_users, 2);
    assert_int_equal(s->p[0].runs_started, 3); /* 0 s, 1 s, 4 s; 5 s is the next */
    /* user 2 starts at 8 s: its failure is in the second interval */
    assert_int_equal(s->p[1].failures[GP_RULE_R1_START], 1);
    gp_series_free(s);
    gp_results_free(r);
    free_ts(ts, n);
}

/* A soak: one user's iterations are transcripts of the same user index. */
static void test_timeseries_active_users_once(void **state)
{
    gp_results *r = gp_results_new(4);
    gp_transcript *ts[4];
    gp_series *s;
    size_t i;

    (void)state;
    for (i = 0; i < 4; i++) {
        int64_t t = (int64_t)(i % 2) * 1500000; /* users 0 and 1, two iterations each */

        ts[i] = gp_transcript_new(i / 2, "user", "nonce");
        gp_transcript_add(ts[i], GP_FR_CONNECT, t, 0, NULL, 0);
        gp_transcript_add(ts[i], GP_FR_CLOSED, t + 1200000, 1000, NULL, 0);
    }
    s = gp_series_build(r, ts, 4, 0, 3 * S_US, S_US);
    assert_int_equal(s->n, 4);
    assert_int_equal(s->p[0].active_users, 2);
    assert_int_equal(s->p[1].active_users, 2); /* both iterations of each user: once */
    assert_int_equal(s->p[2].active_users, 2);
    assert_int_equal(s->p[3].active_users, 0);
    gp_series_free(s);
    gp_results_free(r);
    for (i = 0; i < 4; i++)
        gp_transcript_free(ts[i]);
}

static void test_timeseries_merge_exact(void **state)
{
    gp_transcript **ts;
    size_t n, i, k;
    gp_results *r = sample_results(&ts, &n);
    int64_t t0 = 1700000000 * S_US;
    gp_series *a = gp_series_build(r, ts, n, t0, 28 * S_US, 5 * S_US);
    /* the same part again, started 10.2 s later: aligned two intervals on */
    gp_series *b = gp_series_build(r, ts, n, t0 + 10200000, 28 * S_US, 5 * S_US);
    gp_series *m = NULL, *odd = gp_series_build(r, ts, n, t0, 28 * S_US, S_US);

    (void)state;
    assert_int_equal(gp_series_merge(&m, a), 0);
    assert_int_equal(gp_series_merge(&m, b), 0);
    assert_int_equal(m->start_wall_us, t0);
    assert_int_equal(m->n, 8);
    assert_int_equal(gp_series_sum_started(m), 2 * r->runs_total);
    assert_int_equal(gp_series_sum_failures(m, GP_RULE_R1_START), 4);
    assert_int_equal(m->p[2].runs_started, a->p[2].runs_started + b->p[0].runs_started);
    for (k = 0; k < GP_EV_GOLDEN_COUNT; k++) {
        gp_hist h;

        gp_hist_init(&h);
        gp_hist_merge(&h, &a->p[3].latency[k]);
        gp_hist_merge(&h, &b->p[1].latency[k]);
        assert_int_equal(m->p[3].latency[k].count, h.count);
        for (i = 0; i < 100; i += 5)
            assert_int_equal(gp_hist_percentile(&m->p[3].latency[k], (double)i),
                             gp_hist_percentile(&h, (double)i));
        gp_hist_cleanup(&h);
    }
    assert_int_equal(gp_series_merge(&m, odd), -1); /* another interval */
    assert_int_equal(m->n, 8);
    gp_series_free(a);
    gp_series_free(b);
    gp_series_free(odd);
    gp_series_free(m);
    gp_results_free(r);
    free_ts(ts, n);
}

static void test_timeseries_json_round_trip(void **state)
{
    gp_transcript **ts;
    size_t n, i, k;
    gp_results *r = sample_results(&ts, &n);
    gp_series *s = gp_series_build(r, ts, n, 1700000000 * S_US, 28 * S_US, 5 * S_US), *back;
    json_t *j = gp_series_to_json(s), *j2, *bad;

    (void)state;
    back = gp_series_from_json(j);
    assert_non_null(back);
    assert_int_equal(back->n, s->n);
    assert_int_equal(back->interval_us, s->interval_us);
    for (i = 0; i < s->n; i++) {
        assert_memory_equal(back->p[i].failures, s->p[i].failures, sizeof s->p[i].failures);
        assert_int_equal(back->p[i].active_users, s->p[i].active_users);
        for (k = 0; k < GP_EV_GOLDEN_COUNT; k++)
            assert_int_equal(gp_hist_percentile(&back->p[i].latency[k], 95),
                             gp_hist_percentile(&s->p[i].latency[k], 95));
    }
    j2 = gp_series_to_json(back);
    assert_true(json_equal(j, j2));
    bad = json_deep_copy(j);
    json_object_set_new(json_array_get(json_object_get(bad, "intervals"), 0), "runs_started",
                        json_integer(-1));
    assert_null(gp_series_from_json(bad));
    json_object_set_new(bad, "interval_us", json_integer(0));
    assert_null(gp_series_from_json(bad));
    json_decref(bad);
    json_decref(j);
    json_decref(j2);
    gp_series_free(back);
    gp_series_free(s);
    gp_results_free(r);
    free_ts(ts, n);
}

/* Version 2: dropped arrivals per interval and the stages' starts, through JSON and a merge. */
static void test_timeseries_dropped_and_stages(void **state)
{
    gp_transcript **ts;
    size_t n;
    gp_results *r = sample_results(&ts, &n);
    int64_t t0 = 1700000000 * S_US, drops[] = {0, 4 * S_US, 6 * S_US, 99 * S_US};
    gp_stage st[] = {{10 * S_US, 0, 5}, {10 * S_US, 0, 5}, {20 * S_US, 0, 0}};
    gp_shape sh = {.stages = st, .nstages = 3, .duration_us = 40 * S_US, .rate_stages = true};
    gp_series *a = gp_series_build(r, ts, n, t0, 28 * S_US, 5 * S_US), *back, *m = NULL;
    gp_series *b = gp_series_build(r, ts, n, t0 + 10 * S_US, 28 * S_US, 5 * S_US);
    json_t *j, *v1;

    (void)state;
    gp_series_add_dropped(a, drops, 4);
    assert_int_equal(a->p[0].dropped_arrivals, 2);
    assert_int_equal(a->p[1].dropped_arrivals, 1);
    assert_int_equal(a->p[a->n - 1].dropped_arrivals, 1); /* past the end: the last */
    assert_int_equal(gp_series_sum_dropped(a), 4);
    /* a --duration of 15 s cuts the third stage */
    gp_series_set_stages(a, &sh, 15 * S_US);
    assert_int_equal(a->nstages, 2);
    gp_series_set_stages(a, &sh, sh.duration_us);
    assert_int_equal(a->nstages, 3);
    assert_int_equal(a->stage_start_us[1], 10 * S_US);
    assert_int_equal(a->stage_start_us[2], 20 * S_US);
    j = gp_series_to_json(a);
    assert_int_equal(json_integer_value(json_object_get(j, "version")), 2);
    back = gp_series_from_json(j);
    assert_non_null(back);
    assert_int_equal(back->nstages, 3);
    assert_int_equal(back->stage_start_us[2], 20 * S_US);
    assert_int_equal(gp_series_sum_dropped(back), 4);
    assert_int_equal(back->p[1].dropped_arrivals, 1);
    /* version 1 (no dropped arrivals, no stages) still reads; a version from the future not */
    v1 = json_deep_copy(j);
    json_object_set_new(v1, "version", json_integer(1));
    json_object_del(v1, "stage_starts_us");
    json_object_del(json_array_get(json_object_get(v1, "intervals"), 0), "dropped_arrivals");
    gp_series_free(back);
    back = gp_series_from_json(v1);
    assert_non_null(back);
    assert_int_equal(back->nstages, 0);
    assert_int_equal(back->p[0].dropped_arrivals, 0);
    gp_series_free(back);
    json_object_set_new(v1, "version", json_integer(3));
    assert_null(gp_series_from_json(v1));
    json_decref(v1);
    /* merged: drops add; the stages, the earliest part's, stay where they were in wall time */
    gp_series_add_dropped(b, drops, 2);
    assert_int_equal(gp_series_merge(&m, b), 0);
    assert_int_equal(gp_series_merge(&m, a), 0);
    assert_int_equal(gp_series_sum_dropped(m), 6);
    assert_int_equal(m->p[2].dropped_arrivals, 2); /* b's first interval, 10 s on */
    assert_int_equal(m->nstages, 3);
    assert_int_equal(m->stage_start_us[1], 10 * S_US);
    json_decref(j);
    gp_series_free(a);
    gp_series_free(b);
    gp_series_free(m);
    gp_results_free(r);
    free_ts(ts, n);
}

static void test_timeseries_print(void **state)
{
    gp_transcript **ts;
    size_t n, lines = 0;
    gp_results *r = sample_results(&ts, &n);
    gp_series *s = gp_series_build(r, ts, n, 0, 28 * S_US, S_US);
    char *buf = NULL, *p;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);

    (void)state;
    assert_int_equal(s->n, 29); /* 0..28 s */
    gp_series_print(f, s, 10);  /* 28 intervals in rows of 3 */
    fclose(f);
    assert_non_null(strstr(buf, "Over time (every 3.0 s):"));
    for (p = buf; *p; p++)
        lines += *p == '\n';
    assert_int_equal(lines, 2 + 10);
    assert_non_null(strstr(buf, "\n        0s       2       2      1      0       50ms"));
    assert_non_null(strstr(buf, "\n       18s       1       1      1      2      300ms"));
    assert_non_null(strstr(buf, "\n       27s       0       0      1      0          -"));
    free(buf);
    gp_series_free(s);
    gp_results_free(r);
    free_ts(ts, n);
}

/* A series of n intervals where interval i started started[i] runs, each with an
 * agent_completed latency of (i + 1) ms. */
static gp_series *series_of(const unsigned *started, size_t n)
{
    gp_series *s = gp_calloc(1, sizeof *s);
    size_t i, k;
    unsigned r;

    s->interval_us = S_US;
    s->n = n;
    s->p = gp_calloc(n ? n : 1, sizeof *s->p);
    for (i = 0; i < n; i++) {
        for (k = 0; k < GP_EV_GOLDEN_COUNT; k++)
            gp_hist_init(&s->p[i].latency[k]);
        s->p[i].runs_started = started[i];
        for (r = 0; r < started[i]; r++)
            gp_hist_record(&s->p[i].latency[GP_EV_AGENT_COMPLETED], (int64_t)(i + 1) * 1000);
    }
    return s;
}

static void test_timeseries_fifths(void **state)
{
    static const struct {
        unsigned started[13];
        size_t n, k, lo, hi;
    } cases[] = {
        {{1, 1, 1, 1}, 4, 0, 0, 4},                     /* too short to judge */
        {{1, 1, 1, 1, 1}, 5, 1, 0, 5},                  /* one interval a fifth */
        {{1, 1, 1, 1, 1, 1, 1, 1, 1}, 9, 1, 0, 9},      /* remainder in the middle */
        {{1, 1, 1, 1, 1, 1, 1, 1, 1, 1}, 10, 2, 0, 10}, /* exactly two each */
        {{1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1}, 13, 2, 0, 13},
        {{1, 1, 1, 1, 1, 0}, 6, 1, 0, 5},          /* a trailing late-frame interval */
        {{0, 1, 1, 1, 1, 0, 0}, 7, 0, 1, 5},       /* 4 of 7 hold runs: too short */
        {{0, 0, 1, 1, 0, 1, 1, 1, 0}, 9, 1, 2, 8}, /* an idle gap inside counts */
        {{0, 0, 0}, 3, 0, 0, 0},
    };
    size_t i, lo, hi;

    (void)state;
    assert_int_equal(gp_series_fifths(NULL, &lo, &hi), 0);
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        gp_series *s = series_of(cases[i].started, cases[i].n);

        assert_int_equal(gp_series_fifths(s, &lo, &hi), cases[i].k);
        assert_int_equal(lo, cases[i].lo);
        assert_int_equal(hi, cases[i].hi);
        gp_series_free(s);
    }
}

static void test_timeseries_latency_range_exact(void **state)
{
    static const unsigned started[10] = {2, 2, 2, 2, 2, 2, 2, 2, 3, 3};
    gp_series *s = series_of(started, 10);
    gp_hist first, last;
    size_t lo, hi, k = gp_series_fifths(s, &lo, &hi);

    (void)state;
    assert_int_equal(k, 2);
    gp_hist_init(&first);
    gp_hist_init(&last);
    gp_series_latency_range(s, lo, lo + k, GP_EV_AGENT_COMPLETED, &first);
    gp_series_latency_range(s, hi - k, hi + 3, GP_EV_AGENT_COMPLETED, &last); /* past n: ignored */
    gp_series_latency_range(s, 0, 10, GP_EV_GOLDEN_COUNT, &last);             /* no such event */
    assert_int_equal(first.count, 4);
    assert_int_equal(first.min, 1000);
    assert_int_equal(first.max, 2000);
    assert_int_equal(first.sum, 2 * 1000 + 2 * 2000);
    assert_int_equal(last.count, 6);
    assert_int_equal(last.min, 9000);
    assert_int_equal(last.sum, 3 * 9000 + 3 * 10000);
    assert_true(gp_hist_percentile(&last, 50) >= 9000 && gp_hist_percentile(&last, 50) < 10000);
    gp_hist_cleanup(&first);
    gp_hist_cleanup(&last);
    gp_series_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_timeseries_interval),
        cmocka_unit_test(test_timeseries_sums_to_totals),
        cmocka_unit_test(test_timeseries_active_users_once),
        cmocka_unit_test(test_timeseries_merge_exact),
        cmocka_unit_test(test_timeseries_json_round_trip),
        cmocka_unit_test(test_timeseries_print),
        cmocka_unit_test(test_timeseries_fifths),
        cmocka_unit_test(test_timeseries_latency_range_exact),
        cmocka_unit_test(test_timeseries_dropped_and_stages),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
