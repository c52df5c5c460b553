/* report_util.h - helpers the reporters, compare and merge share: a bounded text sink that
 * remembers overflow, XML/HTML escaping, UTF-8 cleaning, secret redaction, ISO 8601 times and
 * the short description of a transcript frame. No file here knows any report format. */
#ifndef GP_REPORT_UTIL_H
#define GP_REPORT_UTIL_H

#include <stdio.h>

#include "gp_common.h"
#include "report.h"
#include "transcript.h"

/* Reports are built in memory and written atomically; none may exceed this. */
#define GP_REPORT_MAX_BYTES ((size_t)512 << 20)

/* A gp_buf whose first failed append is remembered, so writers check once at the end. */
typedef struct gp_rep {
    gp_buf b;
    bool overflow;
} gp_rep;

void gp_rep_init(gp_rep *r, size_t max);
void gp_rep_cleanup(gp_rep *r);
void gp_rep_puts(gp_rep *r, const char *s);
void gp_rep_write(gp_rep *r, const char *s, size_t len);
void gp_rep_printf(gp_rep *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Appends s (len bytes) escaped for XML 1.0 text and attribute values (the same escaping is
 * right for HTML): & < > " ' become entities, invalid UTF-8 bytes become U+FFFD, and
 * characters XML forbids (C0 controls but tab/newline/CR, U+FFFE, U+FFFF) are shown as
 * "\xNN" so a reader still sees that they were there. */
void gp_rep_xml(gp_rep *r, const char *s, size_t len);

/* Returns a new string (free()) holding s (len bytes) as valid UTF-8: invalid bytes become
 * U+FFFD. At most max bytes of the result are kept, cut on a character boundary; *truncated
 * (if non-NULL) tells whether anything was cut. */
char *gp_utf8_clean(const char *s, size_t len, size_t max, bool *truncated);

/* Returns a new string (free()) with credentials blanked: the values of token= and ticket=
 * query parameters, whatever follows "Bearer ", and the token of a "jwt.<token>" subprotocol
 * entry become "REDACTED". Reporters pass every transcript text through this. */
char *gp_redact(const char *s, size_t len);

/* Formats epoch µs as "2025-09-18T14:00:00.250Z" (with_ms) or "2025-09-18T14:00:00" (UTC,
 * without zone, the form the JUnit schema wants). */
void gp_iso8601_format(int64_t wall_us, bool with_ms, char *buf, size_t size);

/* The transcript of user index user in suite, or NULL. Borrowed. */
const gp_transcript *gp_suite_transcript(const gp_suite *s, size_t user);

/* One-line description of a frame for people: for received/sent JSON its "type" (and the
 * wrapped "event", as "system_message/agent_started"), for markers the kind and code.
 * Writes into buf (always terminated). */
void gp_frame_label(const gp_frame *f, char *buf, size_t size);

/* Returns a new string (free()): the frame's text redacted, cleaned to UTF-8 and cut to max
 * bytes with "…" appended when cut; "" for frames without text. */
char *gp_frame_text(const gp_frame *f, size_t max);

/* The earliest frame where user went wrong, over every rule's kept examples; GP_NO_FRAME when
 * none is known. */
size_t gp_results_user_frame(const gp_results *r, size_t user);

/* Chooses at most max frames of t to show around focus (a frame index, or GP_NO_FRAME for
 * "the end"): three quarters before it, a quarter after. Sets [*start, *end). */
void gp_frame_window(const gp_transcript *t, size_t focus, size_t max, size_t *start, size_t *end);

/* Appends to r, one line per frame, the frames of t around focus (see gp_frame_window; up to
 * nframes of them): "<indent><mark>+<ms> ms <dir> <label> <text>", where times are relative
 * to the user's first frame, dir is ">" sent, "<" received, "*" a runner marker, mark is "!"
 * on the focus frame, and text is redacted and cut to text_max bytes. Raw text: escape it
 * for the target format. */
void gp_rep_transcript_excerpt(gp_rep *r, const gp_transcript *t, size_t focus, size_t nframes,
                               size_t text_max, const char *indent);

#endif
