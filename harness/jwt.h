/* jwt.h - minting HS256 JSON Web Tokens for simulated users (OpenSSL HMAC). Only minting:
 * goldenpath never needs to verify a token. Tokens are secrets: callers never print them. */
#ifndef GP_JWT_H
#define GP_JWT_H

#include <jansson.h>

#include "gp_common.h"

/* Encodes len bytes of in as unpadded base64url into a new string (free() it). */
char *gp_base64url_encode(const unsigned char *in, size_t len);

/* Mints header {"alg":"HS256","typ":"JWT"} . claims, signed with secret. claims is dumped
 * compactly in its own key order and is not modified. Returns a new string (free() it) or
 * NULL with err set. */
char *gp_jwt_mint(const char *secret, size_t secret_len, const json_t *claims, gp_err *err);

#endif
