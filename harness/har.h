/* har.h - a browser's HAR capture read as transcripts: every WebSocket entry (Chromium's
 * _webSocketMessages) becomes one user's transcript, with credentials redacted on the way in,
 * and a scenario whose steps match what the page did, so the judge can check the capture
 * offline. No network, no libwebsockets; the judge and the reporters are unchanged. */
#ifndef GP_HAR_H
#define GP_HAR_H

#include "gp_common.h"
#include "scenario.h"
#include "transcript.h"

/* Captures above this size are refused before they are read (a HAR holds every body of the
 * page's traffic; the judge needs only the WebSocket frames). */
#define GP_HAR_MAX_BYTES ((size_t)64 << 20)

typedef struct gp_har {
    char *path;              /* as given */
    gp_transcript **ts;      /* one per WebSocket entry, in file order; owned */
    size_t n;                /* WebSocket entries */
    size_t nentries;         /* all entries of the file */
    size_t max_runs;         /* most messages one WebSocket entry sent */
    int64_t started_wall_us; /* epoch µs of the earliest WebSocket entry (0 when unknown) */
    int64_t duration_us;     /* from then to the last frame */
} gp_har;

/* Reads the capture at path. p (borrowed) is the protocol profile the frames are read with
 * (which sent frames are messages, where a ready frame carries the user_id); message_type, when
 * not NULL, is the type a sent frame must have to count as a message (the scenario's send
 * step), else every sent JSON frame whose type is not noise counts. Each message begins a run
 * (a run_begin marker whose code is the run's ordinal until gp_har_scenario binds it). Cookies,
 * Authorization, Sec-WebSocket-Protocol tokens and credential query values found anywhere in
 * the file are redacted from URLs and frames. Returns a new capture (gp_har_free) or NULL with
 * err set (code GP_EXIT_USAGE): too large, not JSON, truncated, not a HAR, no WebSocket entry,
 * a frame without type, time or data. */
gp_har *gp_har_load(const char *path, const gp_profile *p, const char *message_type, gp_err *err);
/* gp_har_load over the len bytes at text; path names the source in messages. */
gp_har *gp_har_load_mem(const char *path, const char *text, size_t len, const gp_profile *p,
                        const char *message_type, gp_err *err);
/* Frees h and the transcripts it still owns. NULL is a no-op. */
void gp_har_free(gp_har *h);

/* The type a scenario's first send step sends (borrowed from s), or NULL. */
const char *gp_har_message_type(const gp_scenario *s);

/* Replaces the steps of s (from the scenario given on the command line, or from
 * gp_har_default_scenario) with the capture's: a connect, then a send and an expect_run per
 * message of the busiest entry; each expect_run takes the settings of the first expect_run of
 * s (events required, gap, deadline). Then binds h's markers to those step ids. The protocol,
 * timeouts and outcome of s are kept. Returns 0 or -1 with err set. */
int gp_har_scenario(gp_scenario *s, gp_har *h, gp_err *err);

/* A scenario with the default protocol profile, for judging a capture without one; named
 * after the capture. Returns a new scenario (gp_scenario_free) or NULL with err set. */
gp_scenario *gp_har_default_scenario(const char *har_path, gp_err *err);

#endif
