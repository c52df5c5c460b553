/* test_jwt.c - HS256 minting against the well-known jwt.io vector and base64url edges. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "jwt.h"

static void test_jwt_known_vector(void **state)
{
    /* Header {"alg":"HS256","typ":"JWT"}, the jwt.io example claims and secret. */
    json_t *claims = json_object();
    gp_err err = {0};
    char *tok;

    json_object_set_new(claims, "sub", json_string("1234567890"));
    json_object_set_new(claims, "name", json_string("John Doe"));
    json_object_set_new(claims, "iat", json_integer(1516239022));
    tok = gp_jwt_mint("your-256-bit-secret", 19, claims, &err);
    assert_non_null(tok);
    assert_string_equal(
        tok, "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9."
             "eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ."
             "SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c");
    free(tok);
    json_decref(claims);
}

static void test_jwt_wrong_secret_differs(void **state)
{
    json_t *claims = json_pack("{ss}", "sub", "u1");
    char *a = gp_jwt_mint("secret-a", 8, claims, NULL);
    char *b = gp_jwt_mint("secret-b", 8, claims, NULL);

    assert_non_null(a);
    assert_non_null(b);
    assert_string_not_equal(a, b);
    free(a);
    free(b);
    json_decref(claims);
}

static void test_jwt_rejects_bad_input(void **state)
{
    json_t *arr = json_array();
    gp_err err = {0};

    assert_null(gp_jwt_mint("", 0, arr, &err));
    assert_true(gp_err_isset(&err));
    memset(&err, 0, sizeof err);
    assert_null(gp_jwt_mint("s", 1, arr, &err));
    assert_non_null(strstr(err.msg, "object"));
    json_decref(arr);
}

static void test_jwt_base64url_edges(void **state)
{
    static const struct {
        const char *in;
        const char *out;
    } cases[] = {{"", ""},        {"f", "Zg"},        {"fo", "Zm8"},
                 {"foo", "Zm9v"}, {"foob", "Zm9vYg"}, {"\xfb\xff", "-_8"}};
    size_t i;

    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *s = gp_base64url_encode((const unsigned char *)cases[i].in, strlen(cases[i].in));

        assert_string_equal(s, cases[i].out);
        free(s);
    }
}

/* A key made once signs every token exactly as the one-shot mint does. */
/* The precomputed inner and outer states give OpenSSL's one-shot HMAC for every key length
 * about the 64-byte block (a longer key is its digest), via the signature's check. */
static void test_jwt_key_lengths_match_hmac(void **state)
{
    static const char body[] = "{\"sub\":\"u\",\"iat\":1}";
    char secret[200];
    size_t n;

    (void)state;
    for (n = 0; n < sizeof secret; n++)
        secret[n] = (char)('a' + n % 26);
    for (n = 1; n < sizeof secret; n += (n < 60 || n > 70) ? 13 : 1) {
        gp_jwt_key *k = gp_jwt_key_new(secret, n, NULL);
        unsigned char mac[EVP_MAX_MD_SIZE];
        unsigned int maclen = 0;
        char *tok, *want64, *dot;

        assert_non_null(k);
        tok = gp_jwt_sign_text(k, body, strlen(body), NULL);
        assert_non_null(tok);
        dot = strrchr(tok, '.');
        assert_non_null(HMAC(EVP_sha256(), secret, (int)n, (const unsigned char *)tok,
                             (size_t)(dot - tok), mac, &maclen));
        want64 = gp_base64url_encode(mac, maclen);
        assert_string_equal(dot + 1, want64);
        assert_true(gp_jwt_key_signed(k, tok, strlen(tok)));
        free(want64);
        free(tok);
        gp_jwt_key_free(k);
    }
}

static void test_jwt_key_signs_like_mint(void **state)
{
    json_t *claims = json_pack("{ss si}", "sub", "gp-user-7", "iat", 1700000000);
    gp_jwt_key *k = gp_jwt_key_new("shared-secret", 13, NULL);
    char *once = gp_jwt_mint("shared-secret", 13, claims, NULL);
    char *a = gp_jwt_sign(k, claims, NULL), *b = gp_jwt_sign(k, claims, NULL);

    (void)state;
    assert_non_null(k);
    assert_non_null(once);
    assert_string_equal(a, once);
    assert_string_equal(b, once);
    assert_null(gp_jwt_key_new("", 0, NULL));
    free(once);
    free(a);
    free(b);
    gp_jwt_key_free(k);
    gp_jwt_key_free(NULL);
    json_decref(claims);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_jwt_known_vector),
        cmocka_unit_test(test_jwt_wrong_secret_differs),
        cmocka_unit_test(test_jwt_key_lengths_match_hmac),
        cmocka_unit_test(test_jwt_rejects_bad_input),
        cmocka_unit_test(test_jwt_base64url_edges),
        cmocka_unit_test(test_jwt_key_signs_like_mint),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
