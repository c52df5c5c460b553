/* judge_int.h - internal to the judge (judge.c, judge_run.c): the judge's state for a run and
 * for one user, and the helpers both halves use to record verdicts. Not an interface: the
 * judge's is judge.h. */
#ifndef GP_JUDGE_INT_H
#define GP_JUDGE_INT_H

#include "isolation.h"
#include "judge.h"
#include "strindex.h"
#include "strmap.h"

#define SEQ_HEAD 8 /* a long sequence shows its head and tail, where the trouble usually is */
#define SEQ_TAIL 4
#define SNIPPET_MAX 80

typedef gp_strmap strmap;

typedef struct judge {
    const gp_scenario *sc;
    const gp_profile *p;
    const gp_outcome *o; /* what a failed run looks like (GP-OUTCOME) */
    const gp_health *h;  /* the harness's stalls, or NULL */
    gp_transcript *const *ts;
    size_t n;
    gp_results *r;
    strmap threads; /* thread_id -> the user that sent it */
    strmap runs;    /* run_id -> the user whose thread it runs in */
    strmap users;   /* user_id -> user index */
    gp_nonce_index nonces;
    gp_iso *iso; /* a shard's isolation digest, filled when non-NULL (isolation.h) */
    bool hold_foreign; /* one of several shards: other users' ids are out of sight */
    /* Alternative verdicts of a user that held events (judge.c, held_alts): the identities
     * ([run_id, thread_id, user_id] JSON arrays of the digest's held entries) whose bit is set
     * in release_mask are judged inside the run instead of held; what the verdict needs
     * beyond the results is kept in the last_* members. */
    json_t *const *release;
    size_t nrelease;
    unsigned release_mask;
    bool held_lost;           /* a held identity found no digest entry (the list was full) */
    gp_results *scratch;      /* the alternatives' results, owned, NULL until needed */
    uint32_t last_applicable; /* the rules the user was checked for */
    bool last_leak_out;       /* the leak cause counted outside any run */
    json_t *last_runs;        /* [passed, leak] per run window, or NULL */
    struct finfo *fbuf; /* the frames' infos, reused user after user (a fresh calloc of that
                           size made glibc consolidate its free chunks every time) */
    size_t fcap;
} judge;
typedef struct finfo {
    bool parsed;
    bool oversize;
    gp_event ev;
    char *err;         /* why a text frame did not parse */
    int foreign;       /* owner of the leaked event, GP_OWNER_NONE when it is the user's own */
    int run;           /* the run window holding the frame, or -1 */
    bool claimed;      /* taken out of its window's sequence (a leak, another run, a straggler) */
    int64_t stall_lag; /* on a CONNECT marker: the lag of the stall that made its timeout
                          inconclusive, else 0 */
} finfo;
typedef struct urun {
    int step;
    size_t begin;       /* the RUN_BEGIN marker */
    size_t sent;        /* the SENT frame, or GP_NO_FRAME */
    size_t start, end;  /* the window [start, end) */
    int64_t t0;         /* latencies count from here */
    int64_t lat[GP_EV_GOLDEN_COUNT]; /* first arrival of each golden event after t0, or -1 */
    int64_t done_us;    /* when agent_completed arrived, or -1 */
    bool conn_ok;       /* the connection was up when the run began */
    char *conn_why;     /* why it was not */
    const char *run_id; /* borrowed from a parsed frame */
    bool completed;
    bool failed;
    bool inconclusive; /* a timing verdict of the run fell in a stall of the harness */
    uint32_t causes;   /* gp_cause bits counted for this run */
} urun;
typedef struct ujudge {
    judge *j;
    size_t u;
    gp_transcript *t;
    finfo *f;
    urun *runs;
    size_t nruns;
    uint32_t applicable; /* bit per gp_rule the user was checked for */
    uint32_t out_causes; /* gp_cause bits counted outside any run */
    bool conn_failed;    /* a connect meant to succeed failed */
    bool conn_succeeded;
    bool conn_real_failure; /* ... and not only by a timeout during a stall of the harness */
    int64_t conn_stall_lag; /* the lag of such a stall */
    char *conn_why;
    /* The frame (a GP_NOTE_UNCOMPRESSED note) from which the harness itself, not the server,
     * cut the connection: libwebsockets 4.1.6 cannot read on past an uncompressed message
     * on a permessage-deflate connection. GP_NO_FRAME when it did not. Every verdict from
     * there on (or without a frame of its own) is inconclusive: not the server's doing. */
    size_t harness_cut;
    strmap run_ids; /* run_id -> the latest run judged so far that has it */
} ujudge;
typedef enum outcome {
    OUT_NONE,     /* nothing recorded */
    OUT_READY,    /* a ready frame arrived */
    OUT_ERROR,    /* CONN_ERROR */
    OUT_REJECTED, /* connected, then error_message or close before any ready frame */
    OUT_OPEN,     /* connected, and nothing more until a timeout or the end */
    OUT_TIMEOUT   /* the upgrade itself timed out */
} outcome;

/* Shared by judge.c and judge_run.c; each is documented where it is defined (judge.c, but
 * gp_jg_judge_run in judge_run.c). */
void gp_jg_ufail(ujudge *U, gp_rule rule, int run, int step, size_t frame, const char *expected,
                 const char *received);
void gp_jg_ucause(ujudge *U, int run, gp_cause c);
int64_t gp_jg_stall_lag(const judge *j, int64_t from, int64_t to);
void gp_jg_uinconclusive(ujudge *U, gp_rule rule, int run, int step, size_t frame,
                         const char *expected, const char *received, int64_t lag,
                         const char *during);
bool gp_jg_ufail_timed(ujudge *U, gp_rule rule, int run, int step, size_t frame,
                       const char *expected, const char *received, int64_t from, int64_t to);
void gp_jg_fmt_dur(char *buf, size_t size, int64_t us);
char *gp_jg_seq_text(const ujudge *U, const size_t *idx, size_t n);
json_t *gp_jg_field(const ujudge *U, size_t i, const char *name);
bool gp_jg_is_run_event(const finfo *fi);
char *gp_jg_sent_thread(const judge *j, const gp_frame *fr);
char *gp_jg_close_text(const gp_frame *fr);
char *gp_jg_error_text(const ujudge *U, size_t i);
void gp_jg_judge_run(ujudge *U, int k);

#endif
