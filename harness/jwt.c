/* jwt.c - HS256 minting: base64url(header) "." base64url(claims) "." base64url(HMAC). */
#include "jwt.h"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/params.h>
#include <stdlib.h>
#include <string.h>

char *gp_base64url_encode(const unsigned char *in, size_t len)
{
    static const char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    char *out = gp_malloc(len / 3 * 4 + 5), *p = out;
    size_t i;

    for (i = 0; i + 2 < len; i += 3) {
        uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];

        *p++ = alphabet[v >> 18 & 63];
        *p++ = alphabet[v >> 12 & 63];
        *p++ = alphabet[v >> 6 & 63];
        *p++ = alphabet[v & 63];
    }
    if (len - i == 1) {
        uint32_t v = (uint32_t)in[i] << 16;

        *p++ = alphabet[v >> 18 & 63];
        *p++ = alphabet[v >> 12 & 63];
    } else if (len - i == 2) {
        uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8;

        *p++ = alphabet[v >> 18 & 63];
        *p++ = alphabet[v >> 12 & 63];
        *p++ = alphabet[v >> 6 & 63];
    }
    *p = '\0';
    return out;
}

struct gp_jwt_key {
    EVP_MAC *mac;
    EVP_MAC_CTX *ctx; /* keyed once; each token signs with a copy */
};

gp_jwt_key *gp_jwt_key_new(const char *secret, size_t secret_len, gp_err *err)
{
    gp_jwt_key *k;
    OSSL_PARAM params[2];
    char digest[] = "SHA256";

    if (!secret || secret_len == 0) {
        gp_err_set(err, GP_EXIT_USAGE, NULL, 0, 0, "the JWT secret is empty");
        return NULL;
    }
    k = gp_calloc(1, sizeof *k);
    params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0);
    params[1] = OSSL_PARAM_construct_end();
    k->mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
    k->ctx = k->mac ? EVP_MAC_CTX_new(k->mac) : NULL;
    if (!k->ctx || !EVP_MAC_init(k->ctx, (const unsigned char *)secret, secret_len, params)) {
        gp_err_set(err, GP_EXIT_INTERNAL, NULL, 0, 0, "HMAC-SHA256 is not available");
        gp_jwt_key_free(k);
        return NULL;
    }
    return k;
}

void gp_jwt_key_free(gp_jwt_key *k)
{
    if (!k)
        return;
    EVP_MAC_CTX_free(k->ctx);
    EVP_MAC_free(k->mac);
    free(k);
}

/* a "." b, in a new string: a token is built for every user, and printf's %s costs more
 * than the copy. */
static char *dot_join(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    char *out = gp_malloc(la + lb + 2);

    memcpy(out, a, la);
    out[la] = '.';
    memcpy(out + la + 1, b, lb + 1);
    return out;
}

char *gp_jwt_sign(const gp_jwt_key *k, const json_t *claims, gp_err *err)
{
    static const char header[] = "{\"alg\":\"HS256\",\"typ\":\"JWT\"}";
    unsigned char mac[EVP_MAX_MD_SIZE];
    size_t maclen = 0;
    char *body, *h64, *b64, *s64 = NULL, *signing, *out = NULL;
    EVP_MAC_CTX *c;

    if (!json_is_object(claims)) {
        gp_err_set(err, GP_EXIT_USAGE, NULL, 0, 0, "JWT claims must be an object");
        return NULL;
    }
    body = json_dumps(claims, JSON_COMPACT);
    if (!body) {
        gp_err_set(err, GP_EXIT_INTERNAL, NULL, 0, 0, "cannot encode JWT claims");
        return NULL;
    }
    h64 = gp_base64url_encode((const unsigned char *)header, sizeof header - 1);
    b64 = gp_base64url_encode((const unsigned char *)body, strlen(body));
    signing = dot_join(h64, b64);
    c = EVP_MAC_CTX_dup(k->ctx);
    if (!c || !EVP_MAC_update(c, (const unsigned char *)signing, strlen(signing)) ||
        !EVP_MAC_final(c, mac, &maclen, sizeof mac)) {
        gp_err_set(err, GP_EXIT_INTERNAL, NULL, 0, 0, "HMAC-SHA256 failed");
        goto out;
    }
    s64 = gp_base64url_encode(mac, maclen);
    out = dot_join(signing, s64);
out:
    EVP_MAC_CTX_free(c);
    free(body);
    free(h64);
    free(b64);
    free(s64);
    free(signing);
    return out;
}

bool gp_jwt_key_signed(const gp_jwt_key *k, const char *tok, size_t len)
{
    unsigned char mac[EVP_MAX_MD_SIZE];
    size_t maclen = 0, n;
    const char *dot;
    char *s64;
    EVP_MAC_CTX *c;
    bool ok = false;

    if (!k || !tok)
        return false;
    for (dot = tok + len; dot > tok && dot[-1] != '.'; dot--)
        ;
    if (dot == tok)
        return false;
    n = (size_t)(dot - 1 - tok); /* the signing input: "<a>.<b>" */
    c = EVP_MAC_CTX_dup(k->ctx);
    if (c && EVP_MAC_update(c, (const unsigned char *)tok, n) &&
        EVP_MAC_final(c, mac, &maclen, sizeof mac)) {
        s64 = gp_base64url_encode(mac, maclen);
        ok = strlen(s64) == len - n - 1 && memcmp(s64, dot, len - n - 1) == 0;
        free(s64);
    }
    EVP_MAC_CTX_free(c);
    return ok;
}

char *gp_jwt_mint(const char *secret, size_t secret_len, const json_t *claims, gp_err *err)
{
    gp_jwt_key *k;
    char *out;

    if (!json_is_object(claims)) {
        gp_err_set(err, GP_EXIT_USAGE, NULL, 0, 0, "JWT claims must be an object");
        return NULL;
    }
    k = gp_jwt_key_new(secret, secret_len, err);
    if (!k)
        return NULL;
    out = gp_jwt_sign(k, claims, err);
    gp_jwt_key_free(k);
    return out;
}
