/* credentials.c - mints the users' JWTs (see credentials.h). The runner decides which
 * credential a connect uses and where it travels; this file only builds and signs it. */
#include "credentials.h"

#include <string.h>

char *gp_credential_mint(const gp_auth *a, const gp_vars *v, const char *secret,
                         const gp_jwt_key *key, bool expired, time_t now, gp_err *err)
{
    json_t *claims;
    char *tok;

    /* The common case without a jansson tree: the template has its own sub and no iat or exp,
     * so the claims' text is the template's compact dump with iat and exp appended, as
     * json_object_set_new appends them below. */
    if (key && !expired && json_is_object(a->claims) && json_object_get(a->claims, "sub") &&
        !json_object_get(a->claims, "iat") && !json_object_get(a->claims, "exp")) {
        char *text;
        gp_buf b;
        bool ok;

        if (gp_template_dump(a->claims, v, NULL, NULL, &text)) {
            gp_buf_init(&b, (size_t)1 << 20);
            /* over the buffer's bound, the jansson path below says so */
            ok = gp_buf_append(&b, text, strlen(text) - 1) == 0; /* without its '}' */
            ok = ok && gp_buf_printf(&b,
                                     ",\"iat\":%" JSON_INTEGER_FORMAT
                                     ",\"exp\":%" JSON_INTEGER_FORMAT "}",
                                     (json_int_t)now, (json_int_t)(now + a->ttl_us / 1000000)) == 0;
            tok = ok && b.data ? gp_jwt_sign_text(key, b.data, b.len, err) : NULL;
            free(text);
            gp_buf_cleanup(&b);
            if (tok)
                return tok;
        }
    }
    /* The default claims are the model's (gp_scenario_set_defaults); NULL means none. */
    claims = a->claims ? gp_template_expand_json(a->claims, v, err) : json_object();
    if (!claims)
        return NULL;
    if (!json_object_get(claims, "sub"))
        json_object_set_new(claims, "sub", json_string(v->user_id));
    if (expired) {
        json_object_set_new(claims, "iat", json_integer((json_int_t)(now - 7200)));
        json_object_set_new(claims, "exp", json_integer((json_int_t)(now - 3600)));
    }
    if (!json_object_get(claims, "iat"))
        json_object_set_new(claims, "iat", json_integer((json_int_t)now));
    if (!json_object_get(claims, "exp"))
        json_object_set_new(claims, "exp", json_integer((json_int_t)(now + a->ttl_us / 1000000)));
    tok = key ? gp_jwt_sign(key, claims, err) : gp_jwt_mint(secret, strlen(secret), claims, err);
    json_decref(claims);
    return tok;
}
