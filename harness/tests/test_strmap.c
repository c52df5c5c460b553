/* test_strmap.c - the string -> int map: insert, find, growth past many keys, cleanup. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cmocka.h>

#include "strmap.h"

static void test_strmap_put_get(void **state)
{
    gp_strmap m = {0};
    bool created;
    int *v;

    (void)state;
    assert_null(gp_strmap_get(&m, "a"));
    assert_null(gp_strmap_get(&m, NULL));
    v = gp_strmap_put(&m, "a", 7, &created);
    assert_true(created);
    assert_int_equal(*v, 7);
    *v = 9;
    v = gp_strmap_put(&m, "a", 1, &created);
    assert_false(created);
    assert_int_equal(*v, 9);
    assert_int_equal(*gp_strmap_get(&m, "a"), 9);
    assert_non_null(gp_strmap_put(&m, "", 3, NULL));
    assert_int_equal(*gp_strmap_get(&m, ""), 3);
    assert_null(gp_strmap_get(&m, "b"));
    assert_int_equal(m.n, 2);
    gp_strmap_cleanup(&m);
    assert_int_equal(m.n, 0);
    gp_strmap_cleanup(&m);
    gp_strmap_cleanup(NULL);
}

static void test_strmap_many_keys(void **state)
{
    gp_strmap m = {0};
    char key[32];
    int i;

    (void)state;
    for (i = 0; i < 100000; i++) {
        snprintf(key, sizeof key, "run-%d", i);
        *gp_strmap_put(&m, key, 0, NULL) = i;
    }
    assert_int_equal(m.n, 100000);
    assert_true(m.cap >= 2 * m.n);
    for (i = 0; i < 100000; i++) {
        snprintf(key, sizeof key, "run-%d", i);
        assert_int_equal(*gp_strmap_get(&m, key), i);
    }
    assert_null(gp_strmap_get(&m, "run-100000"));
    gp_strmap_cleanup(&m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_strmap_put_get),
        cmocka_unit_test(test_strmap_many_keys),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
