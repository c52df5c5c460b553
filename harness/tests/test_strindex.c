/* test_strindex.c - the judge's string indexes: owner maps (claim, shared, absent) and the
 * Rabin-Karp nonce index (found at any position, self and own skipped, short nonces ignored,
 * many users, hash collisions of equal strings, the bound on distinct lengths). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "strindex.h"

static void test_strindex_owners(void **state)
{
    gp_strmap m = {0};

    (void)state;
    assert_int_equal(gp_owners_get(&m, "t1"), GP_OWNER_NONE);
    gp_owners_claim(&m, "t1", 3);
    gp_owners_claim(&m, "t1", 3);
    assert_int_equal(gp_owners_get(&m, "t1"), 3);
    gp_owners_claim(&m, "t2", 0);
    gp_owners_claim(&m, "t2", 1);
    assert_int_equal(gp_owners_get(&m, "t2"), GP_OWNER_SHARED);
    gp_owners_claim(&m, "t2", 0);
    assert_int_equal(gp_owners_get(&m, "t2"), GP_OWNER_SHARED);
    gp_owners_claim(&m, NULL, 4);
    gp_owners_claim(&m, "", 4);
    assert_int_equal(gp_owners_get(&m, ""), GP_OWNER_NONE);
    assert_int_equal(gp_owners_get(&m, NULL), GP_OWNER_NONE);
    gp_strmap_cleanup(&m);
    gp_strmap_cleanup(NULL);
}

static int find(const gp_nonce_index *ix, const char *text, int self, const char *own)
{
    return gp_nonce_index_find(ix, text, strlen(text), self, own);
}

static void test_strindex_nonce_find(void **state)
{
    const char *nonces[] = {"aaaa1111bbbb2222", NULL, "short", "cccc3333dddd4444",
                            "0123456789abcdef0123"};
    gp_nonce_index ix;

    (void)state;
    gp_nonce_index_build(&ix, nonces, 5);
    /* Table-driven: text, receiving user, its own nonce, the owner expected. */
    static const struct {
        const char *text;
        int self;
        int want;
    } cases[] = {
        {"{\"content\":\"hello (aaaa1111bbbb2222)\"}", 3, 0},
        {"aaaa1111bbbb2222", 3, 0},   /* the whole text */
        {"xxcccc3333dddd4444", 0, 3}, /* at the end */
        {"aaaa1111bbbb2222", 0, -1},  /* one's own nonce */
        {"aaaa1111bbbb222", 3, -1},   /* one byte short */
        {"short short short", 0, -1}, /* < 8 characters: not indexed */
        {"", 0, -1},
        {"..0123456789abcdef0123..cccc3333dddd4444", 0, 3}, /* two lengths: first length first */
        {"..0123456789abcdef0123..", 0, 4},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        assert_int_equal(find(&ix, cases[i].text, cases[i].self, NULL), cases[i].want);
    gp_nonce_index_cleanup(&ix);
    gp_nonce_index_cleanup(NULL);
}

static void test_strindex_nonce_shared_own(void **state)
{
    /* Users 0 and 2 were given the same nonce: for user 0 it is its own and proves nothing. */
    const char *nonces[] = {"samesamesame", "otherotherother", "samesamesame"};
    gp_nonce_index ix;

    (void)state;
    gp_nonce_index_build(&ix, nonces, 3);
    assert_int_equal(find(&ix, "samesamesame", 0, "samesamesame"), -1);
    assert_int_equal(find(&ix, "samesamesame", 1, "otherotherother"), 0);
    assert_int_equal(find(&ix, "..otherotherother", 2, "samesamesame"), 1);
    gp_nonce_index_cleanup(&ix);
}

static void test_strindex_nonce_many_users(void **state)
{
    enum { N = 5000 };
    char **buf = calloc(N, sizeof *buf);
    const char **nonces = calloc(N, sizeof *nonces);
    gp_nonce_index ix;
    char text[128];

    (void)state;
    for (int i = 0; i < N; i++) {
        buf[i] = malloc(33);
        snprintf(buf[i], 33, "%032x", (unsigned)(i * 2654435761u));
        nonces[i] = buf[i];
    }
    gp_nonce_index_build(&ix, nonces, N);
    free(nonces); /* the array may go; the strings stay */
    for (int i = 0; i < N; i += 499) {
        snprintf(text, sizeof text, "{\"content\":\"x %s y\"}", buf[i]);
        assert_int_equal(gp_nonce_index_find(&ix, text, strlen(text), (i + 1) % N, NULL), i);
        assert_int_equal(gp_nonce_index_find(&ix, text, strlen(text), i, buf[i]), -1);
    }
    gp_nonce_index_cleanup(&ix);
    for (int i = 0; i < N; i++)
        free(buf[i]);
    free(buf);
}

static void test_strindex_nonce_length_bound(void **state)
{
    /* One nonce per length 8..8+GP_NONCE_MAX_LENGTHS: the last length is not indexed. */
    enum { N = GP_NONCE_MAX_LENGTHS + 1 };
    char store[N][64];
    const char *nonces[N];
    gp_nonce_index ix;

    (void)state;
    for (int i = 0; i < N; i++) {
        memset(store[i], 'a' + i, (size_t)(8 + i));
        store[i][8 + i] = '\0';
        nonces[i] = store[i];
    }
    gp_nonce_index_build(&ix, nonces, N);
    assert_int_equal(ix.nlens, GP_NONCE_MAX_LENGTHS);
    assert_int_equal(find(&ix, store[0], N - 1, NULL), 0);
    assert_int_equal(find(&ix, store[N - 2], 0, NULL), N - 2);
    assert_int_equal(find(&ix, store[N - 1], 0, NULL), -1);
    gp_nonce_index_cleanup(&ix);
}

static void test_strindex_nonce_empty(void **state)
{
    gp_nonce_index ix;

    (void)state;
    gp_nonce_index_build(&ix, NULL, 0);
    assert_int_equal(find(&ix, "aaaa1111bbbb2222", 0, NULL), -1);
    gp_nonce_index_cleanup(&ix);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_strindex_owners),
        cmocka_unit_test(test_strindex_nonce_find),
        cmocka_unit_test(test_strindex_nonce_shared_own),
        cmocka_unit_test(test_strindex_nonce_many_users),
        cmocka_unit_test(test_strindex_nonce_length_bound),
        cmocka_unit_test(test_strindex_nonce_empty),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
