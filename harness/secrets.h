/* secrets.h - redaction by value: the set of credentials a run minted or read (users' tokens,
 * tickets, keys, the signing secret), and a scan that replaces any of them inside a text by a
 * fixed marker. gp_redact (report_util.h) blanks what looks like a credential; this blanks what
 * is one, wherever a server echoes it. It knows nothing of frames, users or reports. */
#ifndef GP_SECRETS_H
#define GP_SECRETS_H

#include "gp_common.h"
#include "jwt.h"

/* What a redacted value becomes: the marker gp_redact writes too, valid inside a JSON string. */
#define GP_SECRET_MARKER "REDACTED"
/* Values shorter than this are not added: too short to be a credential, and a scan keyed on
 * the last GP_SECRET_MIN_LEN bytes of each value needs that many. */
#define GP_SECRET_MIN_LEN 8

typedef struct gp_secrets gp_secrets;

/* Returns a new, empty set (free with gp_secrets_free). Not thread-safe; one per event loop. */
gp_secrets *gp_secrets_new(void);
void gp_secrets_free(gp_secrets *s);

/* Adds a copy of the len bytes at v. A value already held, or shorter than GP_SECRET_MIN_LEN,
 * is ignored. Amortised O(1). */
void gp_secrets_add(gp_secrets *s, const char *v, size_t len);

/* Also finds, by shape, every HS256 token ("eyJ...", three base64url parts, a 43-character
 * signature) that k signs: a token another worker process of the same run minted, which this
 * set never held. Costs one HMAC per token-shaped word in a text. k is borrowed and must
 * outlive s; NULL (the default) turns this off. */
void gp_secrets_set_jwt_key(gp_secrets *s, const gp_jwt_key *k);

/* Number of distinct values held. */
size_t gp_secrets_count(const gp_secrets *s);
/* The i-th value held (i < gp_secrets_count), its length in *len; borrowed. */
const char *gp_secrets_at(const gp_secrets *s, size_t i, size_t *len);

/* Scans the len bytes at text for every value in s (anywhere, also inside longer words) and
 * (and for tokens signed by the key of gp_secrets_set_jwt_key) and
 * returns a new NUL-terminated string (free()) with each occurrence replaced by
 * GP_SECRET_MARKER, its length in *out_len; returns NULL when text holds none (the common
 * case, no copy made). The cost is linear in len and independent of how many values s holds:
 * every 4th position is looked up by the 8 bytes starting there in a hash table keyed on the
 * 8-byte windows among each value's last 11 bytes (every position while s holds a value
 * shorter than 11 bytes). s may be NULL (nothing to find). */
char *gp_secrets_redact(const gp_secrets *s, const char *text, size_t len, size_t *out_len);

#endif
