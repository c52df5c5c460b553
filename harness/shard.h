/* shard.h - one run split over machines: which part of the users this process runs
 * (--shard INDEX/COUNT, or the index and count an Indexed Job, a CI matrix or a Slurm array
 * put in the environment) and when every shard starts (--start-at). It parses and describes;
 * the runner runs the users and merge.c/xshard.c put the shards back together. */
#ifndef GP_SHARD_H
#define GP_SHARD_H

#include "gp_common.h"
#include "results.h"
#include "scenario.h"
#include "transcript.h"

#define GP_SHARD_MAX 100000
/* --start-at may lie this far in the past (shards whose pods start a little late). */
#define GP_START_AT_MAX_PAST_US 5000000
/* ... and no further ahead than this, so a typo does not hold a job for a year. */
#define GP_START_AT_MAX_AHEAD_US ((int64_t)24 * 3600 * 1000000)

typedef struct gp_shard {
    unsigned index;  /* 0-based: the users with index % count == index */
    unsigned count;  /* 0 = not sharded */
    char source[64]; /* where index and count came from: "--shard", "JOB_COMPLETION_INDEX",
                        "CI_NODE_INDEX", "SLURM_ARRAY_TASK_ID" */
} gp_shard;

/* What a shard's report says about itself; see reports/README.md ("shard"). */
typedef struct gp_shard_info {
    gp_shard shard;
    unsigned users_total;     /* the users of the whole run, all shards together */
    int64_t start_at_us;      /* when --start-at held this scenario's users (the next scenario's
                                 is the previous one's plus its slot), epoch µs; 0 without it */
    int64_t first_user_at_us; /* epoch µs at which this shard's first user started, 0 if none */
} gp_shard_info;

/* One line of a merged report's per-shard table. */
typedef struct gp_shard_row {
    gp_shard shard;
    size_t users, users_passed;
    int64_t first_user_at_us; /* 0 when unknown */
    int64_t lag_p99_us, lag_max_us;
    bool lag_known;
} gp_shard_row;

/* The leaks a merge found between users of different shards: what no shard alone could see.
 * examples are the first GP_MAX_EXAMPLES in user order (user is the global index), each
 * received text naming both users and their shards. Owned strings: gp_shard_leaks_cleanup. */
typedef struct gp_shard_leaks {
    size_t total; /* (user, foreign run/thread/user/nonce) pairs across shards */
    gp_failure examples[GP_MAX_EXAMPLES];
    size_t n;
} gp_shard_leaks;

void gp_shard_leaks_cleanup(gp_shard_leaks *l);

/* Parses "INDEX/COUNT" (0 <= INDEX < COUNT <= GP_SHARD_MAX) into out, source "--shard".
 * Returns 0, or -1 with err (GP_EXIT_USAGE) naming what is wrong. */
int gp_shard_parse(const char *arg, gp_shard *out, gp_err *err);

/* Looks up an environment variable: getenv, or a table in tests. */
typedef const char *(*gp_getenv_fn)(const char *name, void *ud);

/* The shard from the environment, in this order: JOB_COMPLETION_INDEX with GOLDENPATH_SHARDS
 * (a Kubernetes Indexed Job); CI_NODE_INDEX/CI_NODE_TOTAL (GitLab parallel jobs; 1-based
 * index); SLURM_ARRAY_TASK_ID/SLURM_ARRAY_TASK_COUNT (a Slurm job array, the index counted from
 * SLURM_ARRAY_TASK_MIN when set). Returns 0 with out->count 0 when none is set, 0 with out
 * filled, or -1 with err (GP_EXIT_USAGE) when a variable is malformed or its partner is
 * missing. */
int gp_shard_from_env(gp_getenv_fn get, void *ud, gp_shard *out, gp_err *err);

/* Parses --start-at: an RFC 3339 time ("2026-12-02T10:00:00Z", fractions and offsets allowed)
 * or "+DURATION" from now_wall_us ("+30s"). A time more than GP_START_AT_MAX_PAST_US before
 * now_wall_us, or more than GP_START_AT_MAX_AHEAD_US after it, is an error that says by how
 * much. Returns 0 with *at_wall_us (epoch µs), or -1 with err (GP_EXIT_USAGE). */
int gp_start_at_parse(const char *arg, int64_t now_wall_us, int64_t *at_wall_us, gp_err *err);

/* Between two scenarios of one sharded run, beyond the scenario's own bound: the judging and
 * reports of the scenario that ended, and a shard whose job started a little late. */
#define GP_SHARD_SLOT_MARGIN_US ((int64_t)5 * 1000000)

/* How long scenario s may hold its users at most once they start: the ramp (a load shape:
 * its duration when longer), then every step's
 * bound (a connect or close timeout, an expect or ping timeout, a run's deadline plus the
 * linger, a think's longest pause, a reconnect's close, delay and connect; repeats multiplied),
 * plus GP_SHARD_SLOT_MARGIN_US. Defaults are the runner's where the scenario sets none. With
 * --start-at, every shard holds scenario k+1 until scenario k's start plus this slot, so the
 * shards start each scenario together without talking to each other (a shard that runs past
 * the slot starts the next scenario at once, and its report shows how late). A connect that
 * waited for one of --max-connecting's slots is counted once. */
int64_t gp_shard_slot_us(const gp_scenario *s);

/* The epoch µs at which the first of ts's users did anything (its first frame), given the
 * epoch µs at which the run's clock (frame t_us 0) began; 0 when no user has a frame. */
int64_t gp_shard_first_start(gp_transcript *const *ts, size_t n, int64_t run_t0_wall_us);

#endif
