/* report_util.h - helpers the reporters, compare and merge share: a bounded text sink that
 * remembers overflow, XML/HTML escaping, ISO 8601 times and the short description of a
 * transcript frame (UTF-8 cleaning and redaction are in redact.h). No file here knows any
 * report format. */
#ifndef GP_REPORT_UTIL_H
#define GP_REPORT_UTIL_H

#include <stdio.h>

#include "gp_common.h"
#include "redact.h"
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
/* Writes r's text to path atomically and cleans r up, whatever happens. A text that overflowed
 * its bound is not written: err says "the WHAT report exceeds N bytes". Returns 0 or -1. */
int gp_rep_save(gp_rep *r, const char *path, const char *what, gp_err *err);
/* Returns r's text (free()) with its length in *len (when len is non-NULL), or NULL when it
 * overflowed its bound; r is cleaned up either way. */
char *gp_rep_steal(gp_rep *r, size_t *len);
void gp_rep_puts(gp_rep *r, const char *s);
void gp_rep_write(gp_rep *r, const char *s, size_t len);
void gp_rep_printf(gp_rep *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Appends s (len bytes) escaped for XML 1.0 text and attribute values (the same escaping is
 * right for HTML): & < > " ' become entities, invalid UTF-8 bytes become U+FFFD, and
 * characters XML forbids (C0 controls but tab/newline/CR, U+FFFE, U+FFFF) are shown as
 * "\xNN" so a reader still sees that they were there. */
void gp_rep_xml(gp_rep *r, const char *s, size_t len);

/* Formats epoch µs as "2025-09-18T14:00:00.250Z" (with_ms) or "2025-09-18T14:00:00" (UTC,
 * without zone, the form the JUnit schema wants). */
void gp_iso8601_format(int64_t wall_us, bool with_ms, char *buf, size_t size);

/* The latest SOURCE_DATE_EPOCH accepted: 9999-12-31T23:59:59Z, the last second ISO 8601's
 * four-digit years can write. */
#define GP_SOURCE_DATE_EPOCH_MAX 253402300799LL

/* Parses a SOURCE_DATE_EPOCH value (https://reproducible-builds.org/specs/source-date-epoch/):
 * whole seconds since 1970-01-01T00:00:00Z in ASCII digits, as `date +%s` prints them, and
 * nothing else (no sign, space, fraction or unit), at most GP_SOURCE_DATE_EPOCH_MAX. Sets
 * *us to it in epoch µs. Returns 0, or -1 with err (GP_EXIT_USAGE) saying what is wrong. */
int gp_source_date_epoch_parse(const char *s, int64_t *us, gp_err *err);

/* For the front ends (main's commands, merge), never the reporters: fills ctx the way every
 * command does. The time is SOURCE_DATE_EPOCH when that variable is set and not empty, else
 * the clock now. The host is run_host when given (where a recorded run happened), else
 * "localhost" when SOURCE_DATE_EPOCH is set (a reproducible report must not depend on the
 * machine that wrote it), else this machine's name. host_buf (size bytes, at least 2) holds
 * the host ctx->host points to. Returns 0, or -1 with err (GP_EXIT_USAGE) when
 * SOURCE_DATE_EPOCH is not a valid value. */
int gp_report_ctx_from_env(gp_report_ctx *ctx, const char *run_host, char *host_buf, size_t size,
                           gp_err *err);

/* The transcript of user index user in suite, or NULL. Borrowed. */
const gp_transcript *gp_suite_transcript(const gp_suite *s, size_t user);

/* One-line description of a frame for people: for received/sent JSON its "type" (and the
 * wrapped "event", as "system_message/agent_started"), for markers the kind and code.
 * Writes into buf (always terminated). */
void gp_frame_label(const gp_frame *f, char *buf, size_t size);

/* Returns a new string (free()): the frame's text redacted, cleaned to UTF-8 and cut to max
 * bytes with "…" appended when cut; "" for frames without text. */
char *gp_frame_text(const gp_frame *f, size_t max);

/* The earliest frame where user went wrong, over every rule's kept examples (failures first,
 * then inconclusive ones); GP_NO_FRAME when none is known. */
size_t gp_results_user_frame(const gp_results *r, size_t user);

/* "wss, certificates NOT verified (target.insecure); permessage-deflate on 10 of 10
 * connections": how the users were connected, in one line, for every human-readable report.
 * An insecure run always says so. Writes into buf (always terminated). */
void gp_rep_connection_line(const gp_results *r, char *buf, size_t size);

/* True when h holds the harness's measurements (a run, or transcripts saved with them). */
bool gp_rep_health_known(const gp_health *h);
/* A merged report's shards: the earliest start of a shard's first user (epoch µs, 0 when no
 * shard knows its own), and in *spread_us how much later the latest one started. */
int64_t gp_rep_shards_start(const gp_run_meta *m, int64_t *spread_us);
/* "loop lag p50 0.4 ms, p99 2.1 ms, max 5020.0 ms; CPU user 1.20 s, sys 0.31 s (38% busy);
 * 1 stall" (then "; 3 workers" when several processes ran users): the harness's own health in
 * one line, for every human-readable report. */
void gp_rep_health_line(const gp_health *h, char *buf, size_t size);

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

/* A time axis for one user's swimlane that keeps bursts of activity legible: long idle gaps
 * (a gap of at least GP_AXIS_MIN_BREAK_US and over 8 times the median gap between frames; at
 * most GP_AXIS_MAX_SEG - 1 of them, the longest) are cut out and drawn as fixed-width breaks,
 * so a run's events spread over the lane while a timeout or close marker seconds later still
 * shows, after a break labelled with the time skipped. Each segment is scaled linearly.
 * A gap that is cut out is therefore never drawn to scale: the labels give the times. */
#define GP_AXIS_MAX_SEG 6
#define GP_AXIS_MIN_BREAK_US 20000
#define GP_AXIS_BREAK_PX 44.0
#define GP_AXIS_MIN_SEG_PX 32.0
typedef struct gp_axis {
    size_t nseg;
    int64_t a[GP_AXIS_MAX_SEG], b[GP_AXIS_MAX_SEG]; /* segment k spans [a, b] (µs) */
    double x[GP_AXIS_MAX_SEG], w[GP_AXIS_MAX_SEG];  /* ... drawn over [x, x + w] (px) */
} gp_axis;

/* Builds the axis for the n times t (µs, any order) drawn from x0 over width px. pivot (the
 * time of the user's first message, or INT64_MIN for none) starts a segment of its own when
 * the frames before it (connecting, the greeting) would take over a fifth of the lane; that
 * part is then drawn in a fifth of the width, so the run events after the message spread. */
void gp_axis_build(gp_axis *ax, const int64_t *t, size_t n, int64_t pivot, double x0, double width);
/* The x (px) of time t: inside its segment, or at the nearest segment edge when outside all. */
double gp_axis_x(const gp_axis *ax, int64_t t);

#endif
