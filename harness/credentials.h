/* credentials.h - the JWTs a simulated user presents: its own, and the bad ones an auth check
 * step asks for (signed with another secret, or expired). Pure: no network, no runner state;
 * the runner passes in the user's template variables, the secret and the time. */
#ifndef GP_CREDENTIALS_H
#define GP_CREDENTIALS_H

#include <stdbool.h>
#include <time.h>

#include "gp_common.h"
#include "jwt.h"
#include "scenario.h"
#include "template.h"

/* Mints an HS256 token from a's claims template expanded with v (no claims when NULL; the
 * defaults are the scenario model's). "sub" defaults to v->user_id, "iat" to now and "exp"
 * to now + a->ttl_us; an expired token has iat two hours and exp one hour
 * before now, whatever the template says. Signs with key when non-NULL (the run's own
 * secret, prepared once), else with secret. Returns a new string (free()), or NULL with err
 * set when the claims do not expand or cannot be signed: the caller must report that, never
 * treat it as "no credential". */
char *gp_credential_mint(const gp_auth *a, const gp_vars *v, const char *secret,
                         const gp_jwt_key *key, bool expired, time_t now, gp_err *err);

#endif
