/* json_fast.h - a loader that builds the same jansson tree as json_loadb(JSON_DECODE_ANY) for
 * the frames a server sends, in a fraction of the instructions. It is an accelerator, not a
 * parser of record: when it cannot be certain of jansson's answer it says so, and the caller
 * asks jansson. It reports no error text; jansson's own is what users see. */
#ifndef GP_JSON_FAST_H
#define GP_JSON_FAST_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "gp_common.h"

/* Parses text (len bytes, need not be NUL-terminated; any bytes are safe) as jansson 2.14's
 * json_loadb(text, len, JSON_DECODE_ANY, ...) would. Returns a new reference the caller
 * json_decref()s: a tree equal to jansson's in values, integer-versus-real typing, string bytes
 * and object key order. Returns NULL with *fallback = 0 when jansson would certainly refuse the
 * text, and NULL with *fallback = 1 when unsure (a NUL byte outside a string, nesting deeper
 * than 128, a number token longer than 255 bytes, a real under a locale whose decimal point is
 * not '.', or an allocation failure); the caller then calls json_loadb. fallback may be NULL
 * for a caller that calls json_loadb either way. Iterative and bounded: its stack use is fixed,
 * its heap use proportional to len. Reentrant; it keeps no state. */
json_t *gp_json_load_fast(const char *text, size_t len, int *fallback);

/* The scanner's pieces, shared with event.c's peek so both follow jansson 2.14 exactly. */
/* The byte at or after *pos that is not JSON whitespace (jansson's four), moving *pos to it,
 * or -1 at the end (n bytes in all). */
int gp_json_next_byte(const unsigned char *s, size_t n, size_t *pos);
/* Strict UTF-8 as jansson's utf8_check_full: the length of the sequence at s (avail bytes), or
 * 0 when it is not one (overlong, surrogate, past U+10FFFF, truncated). */
size_t gp_json_utf8_len(const unsigned char *s, size_t avail);
/* Four hex digits at s (avail bytes) as a code unit, or -1. */
long gp_json_hex4(const unsigned char *s, size_t avail);
/* Validates a JSON string from s[*pos], just after its opening quote, up to n: returns 1 and
 * moves *pos past the closing quote, or 0 for what jansson refuses (control bytes, bad
 * escapes, \u0000, unpaired surrogates, invalid UTF-8, no closing quote). *esc tells whether
 * the raw bytes need decoding. */
int gp_json_scan_string(const unsigned char *s, size_t n, size_t *pos, bool *esc);

/* A number token's parts, as gp_json_scan_number found them (offsets into s). */
typedef struct gp_json_number {
    size_t start, end;   /* the token */
    size_t int0, nint;   /* the integer digits, no sign */
    size_t frac0, nfrac; /* the fraction's digits; nfrac is 0 without a '.' */
    bool neg;            /* a leading '-' */
    bool point;          /* a '.' */
    bool real;           /* a '.' or an exponent: jansson makes a real of it */
    bool eneg;           /* a negative exponent */
    long long exp;       /* the exponent's magnitude, held at 10^9 at most */
} gp_json_number;
/* Scans a number per the JSON grammar from s[*pos] (n bytes in all): returns 1, fills num and
 * moves *pos past it, or 0 when the grammar refuses it. Range checks are the caller's. */
int gp_json_scan_number(const unsigned char *s, size_t n, size_t *pos, gp_json_number *num);

/* Appends s (len bytes) to out as a JSON string, byte for byte as jansson 2.14's dump_string
 * writes it without flags (\" \\ \b \f \n \r \t, other bytes under 0x20 as \u00XX, the rest
 * as they are). s must be valid UTF-8 (gp_utf8_clean makes it so). With ascii_only, a byte past
 * ASCII returns -1 instead (the caller leaves the string to jansson, which checks its UTF-8).
 * Returns 0, or -1 when out refuses the bytes. */
int gp_json_quote(gp_buf *out, const char *s, size_t len, bool ascii_only);

#endif
