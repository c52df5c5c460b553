/* isolation.h - a shard's isolation digest: per user what the cross-shard judge needs to find a
 * leak between users that ran in different processes or machines (the thread ids it sent, the
 * runs whose agent_started it saw, its nonce, and what it received that no user of its own
 * shard owns). The judge fills it while judging a shard; report_json.c writes it; xshard.c
 * re-judges isolation over the digests of all shards. It never holds whole transcripts. */
#ifndef GP_ISOLATION_H
#define GP_ISOLATION_H

#include <jansson.h>

#include "transcript.h"

/* Bounds per user, so a flooded user cannot grow the report without limit; a user that hit
 * one is marked "truncated". */
#define GP_ISO_MAX_THREADS 64
#define GP_ISO_MAX_STARTED 64
#define GP_ISO_MAX_UNATTRIBUTED 32
#define GP_ISO_MAX_TOKENS 16
#define GP_ISO_MAX_RUNS 64
/* A user that held events of at most this many distinct identities gets its alternative
 * verdicts ("alt", one per subset of them); beyond it, none (merge keeps the shard's). */
#define GP_ISO_MAX_HELD 3

typedef struct gp_iso {
    json_t *users; /* array, one object per transcript position (layout in reports/README.md) */
} gp_iso;

/* A digest for the users of ts (borrowed; index, id and nonce are copied). Free with
 * gp_iso_free; gp_iso_free(NULL) is a no-op. */
gp_iso *gp_iso_new(gp_transcript *const *ts, size_t n);
void gp_iso_free(gp_iso *iso);

/* User u (a position in ts) sent thread_id. All recorders ignore iso == NULL and NULL ids,
 * keep each distinct value once and stop at their bound. */
void gp_iso_thread(gp_iso *iso, size_t u, const char *thread_id);
/* User u received agent_started of run_id in thread_id after it began a run; own_user is true
 * when the event's user_id is missing or u's own (the judge's fallback claim). */
void gp_iso_started(gp_iso *iso, size_t u, const char *run_id, const char *thread_id,
                    bool own_user);
/* User u received, in frame (of run window run, step step), an event of type whose run_id,
 * thread_id or user_id (NULL when it is u's own) no user of this shard owns. */
void gp_iso_unattributed(gp_iso *iso, size_t u, size_t frame, int run, int step, const char *type,
                         const char *run_id, const char *thread_id, const char *user_id);
/* The event of that identity (as given to gp_iso_unattributed) was held out of user u's run:
 * its entry is marked "held". False when no entry has it (the user's list was full). */
bool gp_iso_held(gp_iso *iso, size_t u, const char *run_id, const char *thread_id,
                 const char *user_id);
/* User u's next run window: whether it passed, and whether the leak cause was counted for it
 * (so that merge counts a run and a cause once, as one process would). */
void gp_iso_run(gp_iso *iso, size_t u, bool passed, bool leak);
/* The leak cause was counted for user u outside any run window. */
void gp_iso_leak_outside(gp_iso *iso, size_t u);
/* Records the nonce-like words (runs of exactly as many hex digits as own_nonce has) of frame
 * text data that are not own_nonce: the cross-shard judge looks them up among every user's
 * nonce. */
void gp_iso_tokens(gp_iso *iso, size_t u, size_t frame, int run, int step, const char *data,
                   size_t len, const char *own_nonce);

#endif
