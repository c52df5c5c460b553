/* test_timerheap.c - the runner's deadline heap: order, ties, re-arming and cancelling,
 * checked against a plain reference model over many random operations. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "timerheap.h"

#define N 500

typedef struct owner {
    gp_timer t;
    int id;
    int fired;
} owner;

static int fired_order[N * 4];
static int nfired;

static void on_fire(gp_timer *t)
{
    owner *o = (owner *)((char *)t - offsetof(owner, t));

    o->fired++;
    fired_order[nfired++] = o->id;
}

static void test_timerheap_fires_in_deadline_order(void **state)
{
    gp_timerheap h;
    owner o[5] = {{.id = 0}, {.id = 1}, {.id = 2}, {.id = 3}, {.id = 4}};
    const int64_t at[5] = {50, 10, 40, 10, 30};
    gp_timer *t;
    int i;

    (void)state;
    nfired = 0;
    gp_timerheap_init(&h);
    for (i = 0; i < 5; i++)
        gp_timer_arm(&h, &o[i].t, at[i], on_fire);
    assert_int_equal(gp_timerheap_next(&h), 10);
    assert_null(gp_timerheap_pop_due(&h, 9));
    while ((t = gp_timerheap_pop_due(&h, 45)) != NULL)
        t->fn(t);
    /* equal deadlines fire in arming order: 1 before 3 */
    assert_int_equal(nfired, 4);
    assert_int_equal(fired_order[0], 1);
    assert_int_equal(fired_order[1], 3);
    assert_int_equal(fired_order[2], 4);
    assert_int_equal(fired_order[3], 2);
    assert_true(gp_timer_armed(&o[0].t));
    assert_false(gp_timer_armed(&o[2].t));
    assert_int_equal(gp_timerheap_next(&h), 50);
    gp_timerheap_cleanup(&h);
    assert_false(gp_timer_armed(&o[0].t));
}

static void test_timerheap_rearm_and_cancel(void **state)
{
    gp_timerheap h;
    owner a = {.id = 1}, b = {.id = 2};
    gp_timer *t;

    (void)state;
    nfired = 0;
    gp_timerheap_init(&h);
    gp_timer_cancel(&h, &a.t); /* not armed: nothing happens */
    gp_timer_arm(&h, &a.t, 100, on_fire);
    gp_timer_arm(&h, &b.t, 200, on_fire);
    gp_timer_arm(&h, &a.t, 300, on_fire); /* moved, not duplicated */
    assert_int_equal(h.n, 2);
    assert_int_equal(gp_timerheap_next(&h), 200);
    gp_timer_cancel(&h, &b.t);
    assert_int_equal(gp_timerheap_next(&h), 300);
    while ((t = gp_timerheap_pop_due(&h, 1000)) != NULL)
        t->fn(t);
    assert_int_equal(nfired, 1);
    assert_int_equal(a.fired, 1);
    assert_int_equal(b.fired, 0);
    assert_int_equal(gp_timerheap_next(&h), INT64_MAX);
    gp_timerheap_cleanup(&h);
}

/* Random arms, re-arms and cancels; every pop must return the earliest armed deadline. */
static void test_timerheap_matches_reference(void **state)
{
    static owner o[N];
    gp_timerheap h;
    int64_t now = 0;
    int i, step;

    (void)state;
    srand(7);
    gp_timerheap_init(&h);
    for (i = 0; i < N; i++) {
        o[i].id = i;
        o[i].t.slot = 0;
    }
    for (step = 0; step < 20000; step++) {
        int k = rand() % N, op = rand() % 4;

        if (op < 2) {
            gp_timer_arm(&h, &o[k].t, now + rand() % 1000, on_fire);
        } else if (op == 2) {
            gp_timer_cancel(&h, &o[k].t);
        } else {
            int64_t best = INT64_MAX;
            gp_timer *t;

            for (i = 0; i < N; i++)
                if (gp_timer_armed(&o[i].t) && o[i].t.at_us < best)
                    best = o[i].t.at_us;
            assert_int_equal(gp_timerheap_next(&h), best);
            now += rand() % 50;
            t = gp_timerheap_pop_due(&h, now);
            if (best <= now) {
                assert_non_null(t);
                assert_int_equal(t->at_us, best);
                assert_false(gp_timer_armed(t));
            } else {
                assert_null(t);
            }
        }
    }
    gp_timerheap_cleanup(&h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_timerheap_fires_in_deadline_order),
        cmocka_unit_test(test_timerheap_rearm_and_cancel),
        cmocka_unit_test(test_timerheap_matches_reference),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
