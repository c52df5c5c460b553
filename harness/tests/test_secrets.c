/* test_secrets.c - redaction by value: echoed credentials in every form are replaced, texts
 * without any are not copied, and many tokens sharing one header are told apart by their end. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "jwt.h"
#include "secrets.h"

static char *redact(const gp_secrets *s, const char *text)
{
    size_t len = 0;
    char *out = gp_secrets_redact(s, text, strlen(text), &len);

    if (out)
        assert_int_equal(len, strlen(out));
    return out;
}

static void test_secrets_table(void **state)
{
    static const struct {
        const char *text, *want; /* want NULL: no copy */
    } cases[] = {
        {"{\"credential\":\"tok-AAAA-1234567\"}", "{\"credential\":\"REDACTED\"}"},
        {"{\"jwt\":\"tok-AAAA-1234567\"}", "{\"jwt\":\"REDACTED\"}"},
        {"bad credential tok-AAAA-1234567", "bad credential REDACTED"},
        {"xxtok-AAAA-1234567yy", "xxREDACTEDyy"},
        {"tok-AAAA-1234567", "REDACTED"},
        {"tok-AAAA-1234567tok-AAAA-1234567", "REDACTEDREDACTED"},
        {"a tok-BBBB-7654321 and tok-AAAA-1234567", "a REDACTED and REDACTED"},
        {"tok-AAAA-123456 is one short", NULL},
        {"nothing here", NULL},
        {"short", NULL},
        {"", NULL},
        /* one value inside another: the longer one goes whole */
        {"key:0123456789abcdef!", "key:REDACTED!"},
    };
    gp_secrets *s = gp_secrets_new();
    size_t i;

    gp_secrets_add(s, "tok-AAAA-1234567", 16);
    gp_secrets_add(s, "tok-BBBB-7654321", 16);
    gp_secrets_add(s, "0123456789abcdef", 16);
    gp_secrets_add(s, "456789ab", 8);
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *got = redact(s, cases[i].text);

        if (!cases[i].want) {
            assert_null(got);
        } else {
            assert_non_null(got);
            assert_string_equal(got, cases[i].want);
        }
        free(got);
    }
    gp_secrets_free(s);
}

static void test_secrets_short_and_duplicate_ignored(void **state)
{
    gp_secrets *s = gp_secrets_new();

    gp_secrets_add(s, "abc", 3);
    gp_secrets_add(s, "", 0);
    gp_secrets_add(s, NULL, 0);
    assert_int_equal(gp_secrets_count(s), 0);
    assert_null(redact(s, "abc abc abc"));
    gp_secrets_add(s, "same-value-1", 12);
    gp_secrets_add(s, "same-value-1", 12);
    gp_secrets_add(s, "other-value-1", 13); /* the same last 8 bytes, another value */
    assert_int_equal(gp_secrets_count(s), 2);
    gp_secrets_free(s);
    gp_secrets_free(NULL);
    assert_null(gp_secrets_redact(NULL, "text text", 9, NULL));
}

static void test_secrets_same_tail_both_found(void **state)
{
    gp_secrets *s = gp_secrets_new();
    char *got;

    gp_secrets_add(s, "first-value-1", 13);
    gp_secrets_add(s, "second-value-1", 14);
    got = redact(s, "[first-value-1|second-value-1]");
    assert_string_equal(got, "[REDACTED|REDACTED]");
    free(got);
    gp_secrets_free(s);
}

/* Thousands of users' tokens share the header; each one is found, on any connection. */
/* The strided scan against a plain search: every value length from the minimum up, at every
 * offset in a text, alone and with neighbours, with and without a value short enough to make
 * the scan look at every position. */
static void test_secrets_every_length_and_offset(void **state)
{
    int with_short;

    (void)state;
    for (with_short = 0; with_short < 2; with_short++) {
        gp_secrets *s = gp_secrets_new();
        char vals[40][48];
        /* Without short values: 11 bytes and up, so the scan strides. */
        size_t L, off, lmin = with_short ? GP_SECRET_MIN_LEN : 11;

        for (L = lmin; L < 40; L++) {
            size_t i;

            for (i = 0; i < L; i++)
                vals[L][i] = (char)('A' + (L * 7 + i * 3) % 26);
            vals[L][L] = '\0';
            gp_secrets_add(s, vals[L], L);
        }
        for (L = lmin; L < 40; L++) {
            for (off = 0; off < 12; off++) {
                char text[128], want[128];
                char *out;

                memset(text, '.', off);
                snprintf(text + off, sizeof text - off, "%s..", vals[L]);
                memset(want, '.', off);
                snprintf(want + off, sizeof want - off, "REDACTED..");
                out = redact(s, text);
                assert_non_null(out);
                assert_string_equal(out, want);
                free(out);
            }
        }
        gp_secrets_free(s);
    }
}

static void test_secrets_many_jwts(void **state)
{
    enum { N = 5000 };
    gp_jwt_key *k = gp_jwt_key_new("test-secret-0123", 16, NULL);
    char **tok = calloc(N, sizeof *tok);
    gp_secrets *s = gp_secrets_new();
    size_t i;

    assert_non_null(k);
    for (i = 0; i < N; i++) {
        json_t *claims = json_pack("{sssi}", "sub", "user", "n", (int)i);

        tok[i] = gp_jwt_sign(k, claims, NULL);
        json_decref(claims);
        gp_secrets_add(s, tok[i], strlen(tok[i]));
    }
    assert_int_equal(gp_secrets_count(s), N);
    for (i = 0; i < N; i += 997) {
        char *text = gp_asprintf("{\"type\":\"error\",\"message\":\"bad credential %s\"}", tok[i]);
        char *got = redact(s, text);

        assert_non_null(got);
        assert_string_equal(got, "{\"type\":\"error\",\"message\":\"bad credential REDACTED\"}");
        free(got);
        free(text);
    }
    /* The header alone is no token. */
    assert_null(redact(s, "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9"));
    for (i = 0; i < N; i++)
        free(tok[i]);
    free(tok);
    gp_secrets_free(s);
    gp_jwt_key_free(k);
}

/* A token another worker minted is in no set: its signature under the run's key finds it. */
static void test_secrets_signed_jwt_found_by_key(void **state)
{
    gp_jwt_key *k = gp_jwt_key_new("test-secret-0123", 16, NULL);
    json_t *claims = json_pack("{ss}", "sub", "gp-user-7");
    char *ours = gp_jwt_sign(k, claims, NULL);
    char *theirs = gp_jwt_mint("another-secret-1", 16, claims, NULL);
    gp_secrets *s = gp_secrets_new();
    char *text, *got;

    assert_null(redact(s, ours)); /* no key yet, no value: nothing to find */
    gp_secrets_set_jwt_key(s, k);
    text = gp_asprintf("{\"jwt\":\"%s\",\"other\":\"%s\"}", ours, theirs);
    got = redact(s, text);
    assert_non_null(got);
    assert_non_null(strstr(got, "{\"jwt\":\"REDACTED\""));
    assert_non_null(strstr(got, theirs)); /* not ours: a server's own token stays */
    free(got);
    free(text);
    /* Inside a longer word, or with a fourth part, it is not a token. */
    text = gp_asprintf("x%s", ours);
    assert_null(redact(s, text));
    free(text);
    text = gp_asprintf("%s.abc", ours);
    assert_null(redact(s, text));
    free(text);
    text = gp_asprintf("bad credential %s!", ours);
    got = redact(s, text);
    assert_string_equal(got, "bad credential REDACTED!");
    free(got);
    free(text);
    gp_secrets_free(s);
    free(ours);
    free(theirs);
    json_decref(claims);
    gp_jwt_key_free(k);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_secrets_table),
        cmocka_unit_test(test_secrets_short_and_duplicate_ignored),
        cmocka_unit_test(test_secrets_same_tail_both_found),
        cmocka_unit_test(test_secrets_every_length_and_offset),
        cmocka_unit_test(test_secrets_many_jwts),
        cmocka_unit_test(test_secrets_signed_jwt_found_by_key),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
