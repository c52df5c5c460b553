/* jwt.h - minting HS256 JSON Web Tokens for simulated users (OpenSSL HMAC). Only minting:
 * goldenpath never needs to verify a token. Tokens are secrets: callers never print them. */
#ifndef GP_JWT_H
#define GP_JWT_H

#include <jansson.h>
#include <stdbool.h>

#include "gp_common.h"

/* Encodes len bytes of in as unpadded base64url into a new string (free() it). */
char *gp_base64url_encode(const unsigned char *in, size_t len);

/* Mints header {"alg":"HS256","typ":"JWT"} . claims, signed with secret. claims is dumped
 * compactly in its own key order and is not modified. Returns a new string (free() it) or
 * NULL with err set. */
char *gp_jwt_mint(const char *secret, size_t secret_len, const json_t *claims, gp_err *err);

/* A signing key made once and used for many tokens: OpenSSL 3 looks the HMAC and SHA-256
 * implementations up again on every one-shot HMAC() call, which cost more than the signing;
 * the key also holds HMAC's inner and outer SHA-256 states, hashed once. */
typedef struct gp_jwt_key gp_jwt_key;

/* Returns a new key (free with gp_jwt_key_free) or NULL with err set. secret is copied into
 * OpenSSL's context only. */
gp_jwt_key *gp_jwt_key_new(const char *secret, size_t secret_len, gp_err *err);
void gp_jwt_key_free(gp_jwt_key *k);
/* As gp_jwt_mint, with a key from gp_jwt_key_new; the same token for the same inputs. */
char *gp_jwt_sign(const gp_jwt_key *k, const json_t *claims, gp_err *err);
/* The same, for claims already dumped: body is their compact JSON text (len bytes). */
char *gp_jwt_sign_text(const gp_jwt_key *k, const char *body, size_t len, gp_err *err);
/* True when the len bytes at tok are "<a>.<b>.<sig>" and sig is the base64url HS256 signature
 * k makes over "<a>.<b>": a token this key minted, whichever process minted it. */
bool gp_jwt_key_signed(const gp_jwt_key *k, const char *tok, size_t len);

#endif
