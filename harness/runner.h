/* runner.h - the network side: drives every simulated user through the scenario's steps over
 * real WebSocket connections in one libwebsockets event loop (no thread per user), and
 * records each user's transcript. It judges nothing: that is judge.h's job. */
#ifndef GP_RUNNER_H
#define GP_RUNNER_H

#include <signal.h>

#include "health.h"
#include "scenario.h"
#include "transcript.h"

typedef struct gp_progress {
    unsigned users;     /* simulated users in this run */
    unsigned connected; /* connections open right now */
    unsigned finished;  /* users that ran all their steps (or gave up) */
    size_t runs_done;   /* expect_run steps that ended */
    size_t problems;    /* runs or connections that ended badly so far */
    int64_t lag_p99_us; /* the harness loop's lag p99 so far (worst worker's), µs */
    /* load shapes (issue 9): the live line's stage and rate come from elapsed_us */
    unsigned active;    /* open model: users started and not finished; else connected */
    int64_t elapsed_us; /* since the run's clock zero (negative before --start-at) */
} gp_progress;

typedef void (*gp_progress_fn)(const gp_progress *p, void *ud);

typedef struct gp_runner_opts {
    const gp_scenario *scenario; /* borrowed */
    const char *url;             /* overrides target.url when non-NULL */
    unsigned users;              /* overrides users.count when > 0 */
    int64_t timeout_us; /* when > 0, bounds every wait: connect, first event, run, expect */
    const volatile sig_atomic_t *interrupt; /* when it becomes nonzero the run stops early */
    gp_progress_fn progress;                /* called about five times a second, may be NULL */
    void *progress_ud;
    bool verbose; /* libwebsockets warnings and errors to stderr */
    unsigned max_connecting; /* upgrades in flight at once; 0 = the default (128) */
    const char *const *source_addrs; /* local addresses to connect from, by user index in
                                        turn (--source-address); NULL = the kernel's choice */
    size_t nsource_addrs;
    unsigned workers; /* processes for gp_runner_run_workers; 0 or 1 = this one */
    /* Set by main for a shard of a run over several machines (--shard), and narrowed by
     * gp_runner_run_workers for each worker (worker w of W runs index % (count * W) ==
     * index + count * w): */
    unsigned shard_index; /* run only the users with index % shard_count == shard_index */
    unsigned shard_count; /* 0 or 1 = every user */
    int64_t t0_us;        /* > 0: when the run begins (--start-at holds every user until then), on
                             gp_now_us's clock (shared by workers); the ramp counts from it */
    uint64_t shape_seed;  /* open model: the arrival plan's seed, the same in every part of a
                             split run (workers, shards) so that each part takes its arrivals
                             (index % shard_count) from one plan; 0 = from the clock */
} gp_runner_opts;

typedef struct gp_run_output {
    gp_transcript **ts; /* one per user, owned */
    size_t n;
    char *target; /* the URL used, with credentials redacted; owned */
    char *proxy;  /* the proxy the target was reached through (gp_runner_proxy), or NULL */
    int64_t started_wall_us;
    int64_t duration_us;
    bool interrupted;
    gp_health health; /* the harness's own lag, CPU and stalls during the run; owned */
    struct gp_secrets *secrets; /* every credential the run minted or read, for a parent
                                   process to redact the other workers' transcripts; owned */
    /* Load shapes (users.duration, users.arrival_rate): ts holds one transcript per user and,
     * in a soak, per iteration (user then iteration order, transcript.iteration set). */
    size_t arrivals;         /* open model: users that arrived (started or dropped) */
    size_t dropped_arrivals; /* open model: arrivals that found max_active users in flight */
    int64_t *dropped_at_us;  /* open model: when each of them came, µs since the run's start
                                (dropped_arrivals entries, in order; NULL when none); owned */
} gp_run_output;

/* Runs the scenario. Returns 0 when the run took place (whatever the server did: an
 * unreachable target is a transcript full of connection errors, not a runner failure), or -1
 * with err set when the harness could not run at all (bad URL, missing secret, out of fds).
 * out is filled on success; release it with gp_run_output_cleanup. */
int gp_runner_run(const gp_runner_opts *o, gp_run_output *out, gp_err *err);

/* The version of libwebsockets this binary runs with (for `goldenpath --version`): the network
 * layer is the one place that names the library. */
const char *gp_net_lws_version(void);
void gp_run_output_cleanup(gp_run_output *out);

/* Runs the scenario over o->workers processes (each one event loop, every Nth user; see
 * workers.c) and gathers their transcripts in user order, so that the judge checks every
 * pair of users as if one process had run them. With workers <= 1 it is gp_runner_run.
 * Returns and fills out as gp_runner_run does; a worker that dies is a harness failure. */
int gp_runner_run_workers(const gp_runner_opts *o, gp_run_output *out, gp_err *err);

/* A split run's share of an open model's users.max_active: part index of count (shards times
 * workers) holds cap / count, and the first cap % count parts one more, so the shares sum to
 * cap. 0 when cap is below count (the part could hold no user). */
unsigned gp_runner_part_cap(unsigned cap, unsigned index, unsigned count);

/* Returns a copy of url with the values of query parameters that carry credentials (token,
 * ticket, key, secret, password, access_token) replaced by "REDACTED", and any userinfo
 * removed. free() it. */
char *gp_url_redact(const char *url);

/* The proxy that connections to url (ws:// or wss://) go through under the scenario's
 * target.proxy and the environment, said as "http://host:port (from https_proxy)" without
 * credentials, or NULL when they go directly. free() it. */
char *gp_runner_proxy(const gp_scenario *s, const char *url);

#endif
