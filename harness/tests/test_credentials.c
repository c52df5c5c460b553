/* test_credentials.c - minting the users' JWTs: claims expanded per user, defaults for sub,
 * iat and exp, expired tokens, signing with a prepared key, and a failure that is reported
 * (NULL with the reason), never a silent "no credential". */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "credentials.h"

/* The claims (payload) of a JWT, decoded. */
static json_t *payload_of(const char *tok)
{
    static const char *const alpha =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    const char *p = strchr(tok, '.') + 1, *end = strchr(p, '.');
    char out[2048];
    size_t n = 0, bits = 0;
    uint32_t acc = 0;

    assert_non_null(end);
    for (; p < end; p++) {
        acc = acc << 6 | (uint32_t)(strchr(alpha, *p) - alpha);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[n++] = (char)(acc >> bits & 0xff);
        }
    }
    out[n] = '\0';
    return json_loads(out, 0, NULL);
}

static gp_vars vars_for(const char *user_id)
{
    static uint64_t uuid_state;
    gp_vars v = {.user_id = user_id,
                 .user_index = 4,
                 .nonce = "n0nce0123456789",
                 .captured = NULL,
                 .uuid_state = &uuid_state};

    return v;
}

static void test_credentials_mint_claims_expanded(void **state)
{
    gp_auth a = {.kind = GP_AUTH_JWT, .ttl_us = 60 * 1000000LL};
    gp_vars v = vars_for("gp-user-4");
    gp_err err = {0};
    char *tok;
    json_t *c;

    (void)state;
    a.claims = json_pack("{ss ss}", "iss", "test-issuer", "idx", "u{{user.index}}");
    tok = gp_credential_mint(&a, &v, "s3cret", NULL, false, 1000000, &err);
    assert_non_null(tok);
    assert_int_equal(err.code, 0);
    c = payload_of(tok);
    assert_string_equal(json_string_value(json_object_get(c, "sub")), "gp-user-4");
    assert_string_equal(json_string_value(json_object_get(c, "idx")), "u4");
    assert_int_equal(json_integer_value(json_object_get(c, "iat")), 1000000);
    assert_int_equal(json_integer_value(json_object_get(c, "exp")), 1000060);
    json_decref(c);
    free(tok);
    json_decref(a.claims);
}

/* With a prepared key and claims that name their own sub, the token is built from the
 * template's text: byte-equal to the token signed over jansson's dump of the same claims. */
static void test_credentials_key_text_equals_jansson(void **state)
{
    gp_auth a = {.kind = GP_AUTH_JWT, .ttl_us = 900 * 1000000LL};
    gp_vars v = vars_for("gp-user-\"4\"");
    gp_jwt_key *key = gp_jwt_key_new("s3cret", 6, NULL);
    char *fast, *slow;

    (void)state;
    a.claims =
        json_pack("{ss ss ss}", "sub", "{{user.id}}", "iss", "netra/auth\t", "type", "access");
    fast = gp_credential_mint(&a, &v, "s3cret", key, false, 1796277015, NULL);
    slow = gp_credential_mint(&a, &v, "s3cret", NULL, false, 1796277015, NULL);
    assert_non_null(fast);
    assert_non_null(slow);
    assert_string_equal(fast, slow);
    free(fast);
    free(slow);
    json_decref(a.claims);
    gp_jwt_key_free(key);
}

static void test_credentials_mint_expired_and_key(void **state)
{
    gp_auth a = {.kind = GP_AUTH_JWT};
    gp_vars v = vars_for("gp-user-4");
    gp_err err = {0};
    gp_jwt_key *key = gp_jwt_key_new("s3cret", 6, &err);
    char *tok;
    json_t *c;

    (void)state;
    a.claims = json_pack("{ss}", "exp", "never");
    tok = gp_credential_mint(&a, &v, "ignored", key, true, 1000000, &err);
    assert_non_null(tok);
    assert_true(gp_jwt_key_signed(key, tok, strlen(tok)));
    c = payload_of(tok);
    assert_int_equal(json_integer_value(json_object_get(c, "exp")), 1000000 - 3600);
    assert_int_equal(json_integer_value(json_object_get(c, "iat")), 1000000 - 7200);
    json_decref(c);
    free(tok);
    /* Signed with another secret: the run's key does not recognise it. */
    tok = gp_credential_mint(&a, &v, "wrong-0123456789abcdef", NULL, false, 1000000, &err);
    assert_non_null(tok);
    assert_false(gp_jwt_key_signed(key, tok, strlen(tok)));
    free(tok);
    json_decref(a.claims);
    gp_jwt_key_free(key);
}

static void test_credentials_mint_failure_reported(void **state)
{
    gp_auth a = {.kind = GP_AUTH_JWT};
    gp_vars v = vars_for("gp-user-4");
    gp_err err = {0};

    (void)state;
    /* A claim that does not expand for this user: NULL, and err says why. */
    a.claims = json_pack("{ss}", "sub", "{{session_id}}");
    assert_null(gp_credential_mint(&a, &v, "s3cret", NULL, true, 1000000, &err));
    assert_int_not_equal(err.code, 0);
    assert_non_null(strstr(err.msg, "session_id"));
    json_decref(a.claims);
    /* An empty secret cannot sign. */
    memset(&err, 0, sizeof err);
    a.claims = NULL;
    assert_null(gp_credential_mint(&a, &v, "", NULL, false, 1000000, &err));
    assert_int_not_equal(err.code, 0);
    assert_non_null(strstr(err.msg, "secret"));
}

static void test_credentials_mint_model_defaults(void **state)
{
    gp_scenario s = {0};
    gp_vars v = vars_for("gp-user-4");
    gp_err err = {0};
    char *tok;
    json_t *c;

    (void)state;
    /* The defaults are the model's: the runner and this file add none of their own. */
    gp_scenario_set_defaults(&s);
    assert_string_equal(s.auth.secret_env, "GOLDENPATH_JWT_SECRET");
    assert_string_equal(s.users.id_template, "gp-user-{{user.index}}");
    tok = gp_credential_mint(&s.auth, &v, "s3cret", NULL, false, 1000000, &err);
    assert_non_null(tok);
    c = payload_of(tok);
    assert_string_equal(json_string_value(json_object_get(c, "sub")), "gp-user-4");
    assert_string_equal(json_string_value(json_object_get(c, "iss")), "netra-auth-service");
    assert_string_equal(json_string_value(json_object_get(c, "type")), "access");
    assert_int_equal(json_integer_value(json_object_get(c, "exp")), 1000000 + 900);
    json_decref(c);
    free(tok);
    gp_profile_cleanup(&s.profile);
    gp_outcome_cleanup(&s.outcome);
    json_decref(s.auth.claims);
    free(s.auth.secret_env);
    free(s.auth.bypass_key_env);
    free(s.auth.email);
    free(s.auth.name);
    free(s.users.id_template);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_credentials_mint_claims_expanded),
        cmocka_unit_test(test_credentials_key_text_equals_jansson),
        cmocka_unit_test(test_credentials_mint_expired_and_key),
        cmocka_unit_test(test_credentials_mint_failure_reported),
        cmocka_unit_test(test_credentials_mint_model_defaults),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
