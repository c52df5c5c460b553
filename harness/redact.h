/* redact.h - text made safe to show: UTF-8 decoding and cleaning, terminal-safe strings, and
 * gp_redact, the project's one redaction policy for credentials. Below the reporters, so the
 * runner and the scenario loader use it without depending on the reporting layer. */
#ifndef GP_REDACT_H
#define GP_REDACT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gp_common.h"

/* Decodes one UTF-8 character at s (n bytes available). Returns its length and sets *cp, or 0
 * when the bytes are not a valid, shortest-form encoding of a scalar value. */
size_t gp_utf8_decode(const unsigned char *s, size_t n, uint32_t *cp);

/* Returns a new string (free()) holding s (len bytes) as valid UTF-8: invalid bytes become
 * U+FFFD. At most max bytes of the result are kept, cut on a character boundary; *truncated
 * (if non-NULL) tells whether anything was cut. */
char *gp_utf8_clean(const char *s, size_t len, size_t max, bool *truncated);

/* Returns a new string (free()) that is safe to print to a terminal: s (NULL reads as "")
 * as valid UTF-8 cut to at most max bytes on a character boundary, then every control
 * character (C0, DEL, C1) written as \xNN or \u00NN, so a report file cannot send escape
 * sequences to the terminal. */
char *gp_term_safe(const char *s, size_t max);

/* Returns a new string (free()) with credentials blanked: the values of credential
 * parameters (token=, ticket=, access_token=, key=, secret=, password=, ...), a URL's
 * user:password@, whatever follows "Bearer ", the token of a "jwt.<token>" subprotocol entry
 * and JSON "...token" members become "REDACTED". Reporters, log lines and error messages
 * pass through this; it is the one redaction policy of the project. */
char *gp_redact(const char *s, size_t len);

#endif
