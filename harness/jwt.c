/* jwt.c - HS256 minting: base64url(header) "." base64url(claims) "." base64url(HMAC). */
#include "jwt.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
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

/* HMAC-SHA256 (RFC 2104) with the key's two padded blocks hashed once: each token copies the
 * inner and outer SHA-256 states, so a signature costs the message's blocks and one more. */
#define HMAC_BLOCK 64
#define SHA256_LEN 32

struct gp_jwt_key {
    EVP_MD *md;
    EVP_MD_CTX *inner; /* SHA-256 after (key ^ ipad) */
    EVP_MD_CTX *outer; /* SHA-256 after (key ^ opad) */
};

gp_jwt_key *gp_jwt_key_new(const char *secret, size_t secret_len, gp_err *err)
{
    gp_jwt_key *k;
    unsigned char key[HMAC_BLOCK] = {0}, pad[HMAC_BLOCK];
    unsigned int n = 0;
    size_t i;
    bool ok;

    if (!secret || secret_len == 0) {
        gp_err_set(err, GP_EXIT_USAGE, NULL, 0, 0, "the JWT secret is empty");
        return NULL;
    }
    k = gp_calloc(1, sizeof *k);
    k->md = EVP_MD_fetch(NULL, "SHA256", NULL);
    k->inner = EVP_MD_CTX_new();
    k->outer = EVP_MD_CTX_new();
    ok = k->md && k->inner && k->outer;
    if (ok && secret_len > HMAC_BLOCK) /* a long key is its digest */
        ok = EVP_Digest(secret, secret_len, key, &n, k->md, NULL) == 1;
    else if (ok)
        memcpy(key, secret, secret_len);
    for (i = 0; i < HMAC_BLOCK; i++)
        pad[i] = key[i] ^ 0x36;
    ok = ok && EVP_DigestInit_ex(k->inner, k->md, NULL) &&
         EVP_DigestUpdate(k->inner, pad, HMAC_BLOCK);
    for (i = 0; i < HMAC_BLOCK; i++)
        pad[i] = key[i] ^ 0x5c;
    ok = ok && EVP_DigestInit_ex(k->outer, k->md, NULL) &&
         EVP_DigestUpdate(k->outer, pad, HMAC_BLOCK);
    OPENSSL_cleanse(key, sizeof key);
    OPENSSL_cleanse(pad, sizeof pad);
    if (!ok) {
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
    EVP_MD_CTX_free(k->inner);
    EVP_MD_CTX_free(k->outer);
    EVP_MD_free(k->md);
    free(k);
}

/* HMAC-SHA256 of the len bytes at data into mac; false when OpenSSL fails. */
static bool hmac(const gp_jwt_key *k, const void *data, size_t len, unsigned char mac[SHA256_LEN])
{
    EVP_MD_CTX *c = EVP_MD_CTX_new();
    unsigned char ih[SHA256_LEN];
    bool ok = c && EVP_MD_CTX_copy_ex(c, k->inner) && EVP_DigestUpdate(c, data, len) &&
              EVP_DigestFinal_ex(c, ih, NULL) && EVP_MD_CTX_copy_ex(c, k->outer) &&
              EVP_DigestUpdate(c, ih, sizeof ih) && EVP_DigestFinal_ex(c, mac, NULL);

    EVP_MD_CTX_free(c);
    return ok;
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

char *gp_jwt_sign_text(const gp_jwt_key *k, const char *body, size_t len, gp_err *err)
{
    /* base64url of {"alg":"HS256","typ":"JWT"} (test_jwt checks it) */
    static const char h64[] = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9";
    unsigned char mac[SHA256_LEN];
    char *b64, *s64, *signing, *out;

    b64 = gp_base64url_encode((const unsigned char *)body, len);
    signing = dot_join(h64, b64);
    free(b64);
    if (!hmac(k, signing, strlen(signing), mac)) {
        gp_err_set(err, GP_EXIT_INTERNAL, NULL, 0, 0, "HMAC-SHA256 failed");
        free(signing);
        return NULL;
    }
    s64 = gp_base64url_encode(mac, sizeof mac);
    out = dot_join(signing, s64);
    free(s64);
    free(signing);
    return out;
}

char *gp_jwt_sign(const gp_jwt_key *k, const json_t *claims, gp_err *err)
{
    char *body, *out;

    if (!json_is_object(claims)) {
        gp_err_set(err, GP_EXIT_USAGE, NULL, 0, 0, "JWT claims must be an object");
        return NULL;
    }
    body = json_dumps(claims, JSON_COMPACT);
    if (!body) {
        gp_err_set(err, GP_EXIT_INTERNAL, NULL, 0, 0, "cannot encode JWT claims");
        return NULL;
    }
    out = gp_jwt_sign_text(k, body, strlen(body), err);
    free(body);
    return out;
}

bool gp_jwt_key_signed(const gp_jwt_key *k, const char *tok, size_t len)
{
    unsigned char mac[SHA256_LEN];
    size_t n;
    const char *dot;
    char *s64;
    bool ok = false;

    if (!k || !tok)
        return false;
    for (dot = tok + len; dot > tok && dot[-1] != '.'; dot--)
        ;
    if (dot == tok)
        return false;
    n = (size_t)(dot - 1 - tok); /* the signing input: "<a>.<b>" */
    if (hmac(k, tok, n, mac)) {
        s64 = gp_base64url_encode(mac, sizeof mac);
        ok = strlen(s64) == len - n - 1 && memcmp(s64, dot, len - n - 1) == 0;
        free(s64);
    }
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
