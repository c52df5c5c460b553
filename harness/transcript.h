/* transcript.h - what one simulated user sent and received, in order, with monotonic times.
 * The runner appends; the judge and the reporters only read. Markers record what the runner
 * was doing (which step began, why a wait ended) so the judge can check offline. */
#ifndef GP_TRANSCRIPT_H
#define GP_TRANSCRIPT_H

#include "gp_common.h"
#include "health.h"

typedef enum gp_frame_kind {
    GP_FR_SENT,        /* a text frame we sent; data = the text */
    GP_FR_RECV_TEXT,   /* a text frame received; data = the text (always complete) */
    GP_FR_RECV_BINARY, /* a binary frame received; data = NULL, len = its size */
    GP_FR_OVERSIZE,    /* a frame over the size cap; data = NULL, len = bytes seen */
    GP_FR_CONNECT,     /* marker: a connect attempt began; code = step id, data = URL (redacted) */
    GP_FR_CONNECTED,   /* the upgrade succeeded; data = selected subprotocol (redacted) or NULL */
    GP_FR_CONN_ERROR,  /* the attempt failed; code = HTTP status or 0, data = cause */
    GP_FR_CLOSED,      /* closed; code = close code (1005 none, 1006 abnormal), data = reason */
    GP_FR_TIMEOUT,     /* marker: a wait expired; code = step id, data = what was awaited */
    GP_FR_RUN_BEGIN,   /* marker: an expect_run step began; code = step id */
    GP_FR_RUN_END,     /* marker: the runner stopped waiting for the run; code = step id,
                          data = "completed" | "agent_error" | "agent_death" | "timeout" |
                          "closed" | "gap" */
    GP_FR_EXPECT_OK,   /* marker: an expect step matched; code = step id, data = frame index */
    GP_FR_EXPECT_FAIL, /* marker: an expect step failed; code = step id, data = why */
    GP_FR_PING_SENT,   /* a WebSocket PING sent; code = step id */
    GP_FR_PONG,        /* a WebSocket PONG received */
    GP_FR_NOTE         /* free text from the runner, e.g. "reconnecting" */
} gp_frame_kind;

/* Notes the runner writes and the judge reads (prefixes of GP_FR_NOTE data). After a
 * GP_FR_CONNECTED, one of the first two when compression was offered; the third follows a
 * GP_FR_OVERSIZE when a compressed message inflated past the cap. */
#define GP_NOTE_DEFLATE "compression: negotiated"
#define GP_NOTE_NO_DEFLATE "compression: permessage-deflate offered; the server did not accept it"
#define GP_NOTE_UNCOMPRESSED                                                                    \
    "the server sent an uncompressed message on a permessage-deflate connection, which "      \
    "libwebsockets 4.1.6 cannot get past: the connection was closed (set "                    \
    "target.compression: none for this server)"
#define GP_NOTE_INFLATE_STOPPED                                                                 \
    "inflated past the limit from a permessage-deflate message (a decompression bomb?); "      \
    "inflating stopped and the connection closed"

typedef struct gp_frame {
    gp_frame_kind kind;
    int64_t t_us; /* monotonic, microseconds since the whole run began */
    int code;
    char *data; /* owned by the transcript, NUL-terminated, may be NULL */
    size_t len; /* length of data, or the frame size for BINARY/OVERSIZE */
} gp_frame;

/* Per-user variables the judge needs to attribute frames to users. */
typedef struct gp_transcript {
    size_t user_index; /* 0-based */
    char *user_id;     /* the id the credential carries (claim sub) */
    char *nonce;       /* the user's {{nonce}}: unique to this user, appears in its messages */
    unsigned iteration; /* 1-based iteration of a soak (users.duration), 0 when the user runs
                           once; saved as "iteration" when nonzero, named in the evidence */
    gp_frame *frames;
    size_t nframes;
    size_t cap;
    size_t max_frames; /* beyond this, frames are counted but not kept */
    size_t max_bytes;  /* bound on the bytes of frame data kept, so a flooding server
                          cannot exhaust memory */
    size_t bytes;      /* bytes kept: frame data, plus frame_cost per frame */
    size_t frame_cost; /* bytes charged per kept frame for its record (0: data only) */
    size_t dropped;    /* frames not kept because of max_frames or max_bytes */
} gp_transcript;

#define GP_TRANSCRIPT_DEFAULT_MAX_FRAMES 100000
#define GP_TRANSCRIPT_DEFAULT_MAX_BYTES ((size_t)64 << 20)
/* A run's transcripts keep at most GP_TRANSCRIPTS_RUN_MAX_BYTES together (all workers), one
 * user at most GP_TRANSCRIPT_USER_MAX_BYTES: see gp_transcript_budget. */
#define GP_TRANSCRIPTS_RUN_MAX_BYTES ((size_t)1 << 30)
#define GP_TRANSCRIPT_USER_MAX_BYTES ((size_t)16 << 20)
/* What one kept frame's record costs besides its data: the gp_frame (in an array that may be
 * up to twice the frames it holds) and the allocator's overhead of its data. */
#define GP_TRANSCRIPT_FRAME_COST (2 * sizeof(gp_frame) + 16)
/* How far past max_frames and max_bytes the runner's own records (markers, sent frames) may
 * go; frames the server sent (recv, binary, oversize, pong) never do. */
#define GP_TRANSCRIPT_MARKER_FRAMES 64
#define GP_TRANSCRIPT_MARKER_BYTES ((size_t)16 << 10)

/* The note the runner records for a user an interrupted run never started (still waiting for
 * its place in the ramp); the judge reports such a user as not started, never as passed. */
#define GP_NOTE_NOT_STARTED "the run was interrupted before this user started"

/* The max_bytes of each user of a run of total_users (0 counts as 1): an equal share of
 * GP_TRANSCRIPTS_RUN_MAX_BYTES, at most GP_TRANSCRIPT_USER_MAX_BYTES, with no floor, so that
 * total_users * budget never exceeds the run's bound, for any number of users. */
size_t gp_transcript_budget(size_t total_users);

/* Bytes a frame of len bytes of data would still fit (0 when none): what a receive buffer may
 * grow to before the frame could not be kept anyway. */
size_t gp_transcript_room(const gp_transcript *t);

/* Counts a received frame that was not kept (it could not fit), as gp_transcript_add does
 * when it drops one. */
void gp_transcript_drop(gp_transcript *t);

/* gp_transcript_add for a frame whose data the caller hands over: data (len bytes, NUL at
 * data[len], from malloc) is stolen, kept as is or freed when the frame is dropped. */
size_t gp_transcript_add_owned(gp_transcript *t, gp_frame_kind kind, int64_t t_us, int code,
                               char *data, size_t len);

/* Returns a new transcript (free with gp_transcript_free). user_id and nonce are copied. */
gp_transcript *gp_transcript_new(size_t user_index, const char *user_id, const char *nonce);
/* qsort comparator of gp_transcript pointers: by user index, then iteration (a load shape's
 * order, the same in one process and in the parent of workers). */
int gp_transcript_cmp_user_iteration(const void *a, const void *b);
void gp_transcript_free(gp_transcript *t);

/* Appends a frame; data (len bytes, may be NULL) is copied. Returns the frame index or
 * (size_t)-1 when the frame was dropped because the transcript is full (max_frames or
 * max_bytes, plus the marker reserve above for the runner's own records); dropped frames are
 * counted in t->dropped and the judge reports them. A dropped frame has no index: nothing
 * may refer to it. */
size_t gp_transcript_add(gp_transcript *t, gp_frame_kind kind, int64_t t_us, int code,
                         const char *data, size_t len);

/* Stable lowercase name of a frame kind ("sent", "recv", ...). */
const char *gp_frame_kind_name(gp_frame_kind kind);

/* Loads transcripts from the JSON written by gp_transcripts_save (see below). For offline
 * judging and tests. Returns 0 or -1 with err set; the caller frees each transcript and the
 * array. */
int gp_transcripts_load(const char *path, gp_transcript ***out, size_t *count, gp_err *err);
/* Saves transcripts as JSON ({"users":[{"index":..,"user_id":..,"nonce":..,"frames":
 * [{"kind":..,"t_us":..,"code":..,"data":..,"len":..}]}]}); data that is not valid UTF-8
 * or holds a NUL byte is saved as "data_hex" (lowercase hex of the bytes) instead of "data".
 * Written atomically (gp_afile). Returns 0 or -1. */
int gp_transcripts_save(const char *path, gp_transcript *const *ts, size_t count, gp_err *err);

/* gp_transcripts_save plus, when health is measured, a top-level "harness" object (workers,
 * lag_p50_us, lag_p99_us, lag_max_us, cpu_user_s, cpu_sys_s, cpu_busy and "stalls":
 * [{"from_us","to_us","lag_us"}] on the clock of the frames' t_us), so that judging the file
 * offline reaches the run's verdicts. health is borrowed and may be NULL. Returns 0 or -1. */
int gp_transcripts_save_health(const char *path, gp_transcript *const *ts, size_t count,
                               const gp_health *health, gp_err *err);
/* Where and when a recorded run happened, saved beside its transcripts (a top-level "run"
 * object: "host", "started_at_us") so that a report of them judged later, anywhere, names the
 * run's host and start rather than the judging machine's and the file's. */
#define GP_ORIGIN_HOST_MAX 256
typedef struct gp_run_origin {
    char host[GP_ORIGIN_HOST_MAX]; /* "" when unknown */
    int64_t started_wall_us;       /* epoch µs; 0 when unknown */
} gp_run_origin;

/* gp_transcripts_save_health plus origin (borrowed, may be NULL) as "run". Returns 0 or -1. */
int gp_transcripts_save_origin(const char *path, gp_transcript *const *ts, size_t count,
                               const gp_health *health, const gp_run_origin *origin, gp_err *err);
/* gp_transcripts_load_health that also fills origin (may be NULL) from "run"; a file without
 * one (saved before it existed) leaves origin unknown. A host that is not a printable ASCII
 * name is refused. Returns 0 or -1 with err set. */
int gp_transcripts_load_origin(const char *path, gp_transcript ***out, size_t *count,
                               gp_health *health, gp_run_origin *origin, gp_err *err);
/* gp_transcripts_load that also fills health (overwritten, not freed first; release it with
 * gp_health_cleanup) from the file's "harness" object; a file without one leaves health
 * zeroed, not measured. Returns 0 or -1 with err set (health then holds nothing). */
int gp_transcripts_load_health(const char *path, gp_transcript ***out, size_t *count,
                               gp_health *health, gp_err *err);

#endif
