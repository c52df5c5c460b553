/* jwt.c - HS256 minting: base64url(header) "." base64url(claims) "." base64url(HMAC). */
#include "jwt.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
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

char *gp_jwt_mint(const char *secret, size_t secret_len, const json_t *claims, gp_err *err)
{
    static const char header[] = "{\"alg\":\"HS256\",\"typ\":\"JWT\"}";
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int maclen = 0;
    char *body = NULL, *h64 = NULL, *b64 = NULL, *s64 = NULL, *signing = NULL, *out = NULL;

    if (!secret || secret_len == 0) {
        gp_err_set(err, GP_EXIT_USAGE, NULL, 0, 0, "the JWT secret is empty");
        return NULL;
    }
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
    signing = gp_asprintf("%s.%s", h64, b64);
    if (!HMAC(EVP_sha256(), secret, (int)secret_len, (const unsigned char *)signing,
              strlen(signing), mac, &maclen)) {
        gp_err_set(err, GP_EXIT_INTERNAL, NULL, 0, 0, "HMAC-SHA256 failed");
        goto out;
    }
    s64 = gp_base64url_encode(mac, maclen);
    out = gp_asprintf("%s.%s", signing, s64);
out:
    free(body);
    free(h64);
    free(b64);
    free(s64);
    free(signing);
    return out;
}
