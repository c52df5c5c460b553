/* results.h - what the judge concludes: per rule, per user, latencies, causes and coverage.
 * Produced by judge.c from transcripts, read by the reporters, rebuilt from JSON by merge.
 * A verdict is passed, failed, or inconclusive: a timing rule broken only while the harness
 * itself stalled says nothing about the server, so it is kept apart from failures. */
#ifndef GP_RESULTS_H
#define GP_RESULTS_H

#include "event.h"
#include "hist.h"
#include "transcript.h"

/* Rules, with stable ids that reports and users rely on. Never renumber or rename. */
typedef enum gp_rule {
    GP_RULE_CONNECT,      /* GP-CONNECT: the user connects and gets its ready frame */
    GP_RULE_AUTH,         /* GP-AUTH: a connection without a valid credential is refused */
    GP_RULE_R1_START,     /* GP-R1-STARTED-FIRST: agent_started first, exactly once */
    GP_RULE_R2_END,       /* GP-R2-COMPLETED-LAST: agent_completed last, once, nothing after */
    GP_RULE_R3_ALL,       /* GP-R3-ALL-EVENTS: all five types; thinking before tools */
    GP_RULE_R4_TOOLS,     /* GP-R4-TOOL-PAIRS: every tool_completed closes its tool_executing */
    GP_RULE_R5_IDS,       /* GP-R5-IDS: run_id, thread_id, user_id on every event */
    GP_RULE_R6_ISOLATION, /* GP-R6-ISOLATION: only the user's own runs' events */
    GP_RULE_R7_FRAMES,    /* GP-R7-FRAMES: noise tolerated; every frame well-formed */
    GP_RULE_FIELDS,       /* GP-FIELDS: required fields of each event type, with their types */
    GP_RULE_COMPLETION,   /* GP-COMPLETION: the run ends in agent_completed within its deadline */
    GP_RULE_GAP,          /* GP-MAX-GAP: no gap between events longer than the step allows */
    GP_RULE_EXPECT,       /* GP-EXPECT: every expect/ping step matched in time */
    GP_RULE_OUTCOME,      /* GP-OUTCOME: the run succeeded: no agent_error/agent_death, and
                             its agent_completed shows no failure (scenario protocol.outcome) */
    GP_RULE__COUNT
} gp_rule;

/* "GP-R1-STARTED-FIRST" etc. */
const char *gp_rule_id(gp_rule r);
/* One sentence a person understands. */
const char *gp_rule_title(gp_rule r);
/* -1 when id names no rule. */
int gp_rule_from_id(const char *id);

/* Classes of trouble, counted in reports ("connection and transport errors by class"). */
typedef enum gp_cause {
    GP_CAUSE_CONN_REFUSED,    /* TCP connect refused or unreachable */
    GP_CAUSE_UPGRADE_REFUSED, /* HTTP status other than 101 */
    GP_CAUSE_TLS,             /* TLS handshake or verification failed */
    GP_CAUSE_CONNECT_TIMEOUT, /* no ready frame in time */
    GP_CAUSE_CLOSED_MID_RUN,  /* the server closed while a run was open */
    GP_CAUSE_INVALID_JSON,
    GP_CAUSE_BINARY_FRAME,
    GP_CAUSE_OVERSIZE_FRAME,
    GP_CAUSE_MISSING_FIELD,
    GP_CAUSE_AGENT_ERROR,
    GP_CAUSE_AGENT_DEATH,
    GP_CAUSE_RUN_TIMEOUT,   /* no event, or no completion, before the deadline */
    GP_CAUSE_AUTH_ACCEPTED, /* a bad credential was let in */
    GP_CAUSE_LEAK,          /* another user's event arrived */
    GP_CAUSE_OTHER,
    GP_CAUSE_RUN_FAILED, /* agent_completed reporting a failed run (status, metadata, error) */
    GP_CAUSE_PROXY,      /* the proxy refused the tunnel or was unreachable */
    GP_CAUSE__COUNT
} gp_cause;

const char *gp_cause_name(gp_cause c); /* "conn_refused", ... stable */
int gp_cause_from_name(const char *name);

#define GP_NO_FRAME ((size_t)-1)
#define GP_MAX_EXAMPLES 20 /* failures kept per rule */

typedef struct gp_failure {
    size_t user;    /* index into the transcripts / users */
    int step;       /* step id of the run or check, or -1 */
    size_t frame;   /* frame index in the user's transcript where it went wrong, or GP_NO_FRAME */
    char *expected; /* e.g. "agent_started as the first event" */
    char *received; /* e.g. "agent_thinking, agent_started, agent_thinking, ..." */
    char *cause;    /* inconclusive examples only: why there is no verdict (the harness's own
                       lag during the wait); NULL for failures */
} gp_failure;

typedef struct gp_rule_result {
    size_t checked; /* users the rule applied to: passed + failed + inconclusive */
    size_t passed;
    size_t failed;                        /* users with at least one violation */
    size_t inconclusive;                  /* users whose only violations fell in a stall of the
                                             harness: no verdict either way */
    gp_failure examples[GP_MAX_EXAMPLES]; /* the first violations, one per user at most */
    size_t nexamples;
    gp_failure inconclusive_examples[GP_MAX_EXAMPLES]; /* the same, with a cause, for the
                                                          inconclusive users */
    size_t ninconclusive;
} gp_rule_result;

/* A user's (or a scenario's) outcome. A failure outweighs an inconclusive verdict. */
/* GP_STATUS_NOT_STARTED is a user's only: an interrupted run never started it, so nothing
 * about it was checked (a scenario with such users is failed, being interrupted). */
typedef enum gp_status {
    GP_STATUS_PASSED,
    GP_STATUS_FAILED,
    GP_STATUS_INCONCLUSIVE,
    GP_STATUS_NOT_STARTED
} gp_status;

/* "passed", "failed", "inconclusive", "not_started": stable, used in reports. */
const char *gp_status_name(gp_status s);

typedef struct gp_user_result {
    size_t index;
    char *user_id;
    bool passed;                 /* no failed and no inconclusive rule, and it started */
    bool not_started;            /* an interrupted run never started it: nothing checked */
    uint32_t failed_rules;       /* bit (1u << gp_rule) per failed rule */
    uint32_t inconclusive_rules; /* bit per rule with no verdict (never also in failed_rules) */
    size_t runs_expected;
    size_t runs_completed;
    char *cause; /* one line on the first failure, or NULL */
} gp_user_result;

typedef struct gp_tool_count {
    char *name;
    uint64_t count;
} gp_tool_count;

/* One run as the judge saw it, for the time series (timeseries.h). */
typedef struct gp_run_sample {
    size_t user;      /* index into the results' users and the transcripts */
    int64_t t0_us;    /* when the run began, on the transcripts' clock */
    int64_t end_us;   /* when agent_completed arrived, or -1 */
    int64_t lat_us[GP_EV_GOLDEN_COUNT]; /* latency of each golden event, or -1 */
} gp_run_sample;

typedef struct gp_results {
    gp_rule_result rules[GP_RULE__COUNT];
    gp_user_result *users;
    size_t nusers;
    uint64_t causes[GP_CAUSE__COUNT];
    /* Latency from the user's message to the first event of each golden type. */
    gp_hist latency[GP_EV_GOLDEN_COUNT];
    gp_hist gaps;          /* between consecutive run events */
    gp_hist tool_duration; /* tool_executing -> matching tool_completed, as received */
    gp_hist run_duration;  /* message -> agent_completed */
    uint64_t event_counts[GP_EV__COUNT];
    gp_tool_count *tools;
    size_t ntools;
    size_t runs_total;
    size_t runs_passed;
    /* How the users were connected, from the transcripts (and the scenario's TLS settings):
     * upgrades that succeeded, those that offered permessage-deflate and those where the
     * server accepted it; whether any went over TLS, with certificate checks off
     * (target.insecure), or with a client certificate. */
    size_t connections;
    size_t deflate_offered;
    size_t deflate_negotiated;
    bool tls;
    bool tls_insecure;
    bool tls_client_cert;
    gp_run_sample *samples; /* one per run counted in runs_total, owned */
    size_t nsamples;
    size_t csamples;
    struct gp_series *series; /* results over time (timeseries.h), owned, or NULL */
    bool series_mismatch;     /* merge met parts with different intervals: no series */
    struct gp_iso *iso; /* a shard's isolation digest (isolation.h), owned; NULL unless the
                           judge was asked for one (gp_judge_run_shard) */
} gp_results;

gp_results *gp_results_new(size_t nusers);
void gp_results_free(gp_results *r);
/* Records a failure of rule for user (counts the user once per rule; keeps the first
 * GP_MAX_EXAMPLES examples). expected/received are copied. A failure replaces an inconclusive
 * verdict of the same user and rule (count and example), whichever was recorded first. */
void gp_results_fail(gp_results *r, gp_rule rule, size_t user, int step, size_t frame,
                     const char *expected, const char *received);
/* Records that rule would have failed for user but the wait overlapped a stall of the harness:
 * no verdict. Counts the user once per rule, unless it already failed the rule; keeps the
 * first GP_MAX_EXAMPLES examples. expected/received/cause are copied. */
void gp_results_mark_inconclusive(gp_results *r, gp_rule rule, size_t user, int step, size_t frame,
                                  const char *expected, const char *received, const char *cause);
/* Appends a run sample (copied). */
void gp_results_add_sample(gp_results *r, const gp_run_sample *s);
/* Tool names counted one by one; beyond this many, the rest count as GP_OTHER_TOOLS, so a
 * server that names a tool per user costs the judge no more per event, and the reports stay
 * readable. */
#define GP_MAX_TOOLS 64
#define GP_OTHER_TOOLS "(other tools)"
/* Counts a tool name seen in the run. */
void gp_results_count_tool(gp_results *r, const char *name);
/* Adds count uses of the tool name (merging reports), with the same bound. */
void gp_results_add_tool(gp_results *r, const char *name, uint64_t count);
/* True when no rule failed for any user (inconclusive verdicts are no failure). */
bool gp_results_passed(const gp_results *r);
/* True when some rule is inconclusive for some user. */
bool gp_results_inconclusive(const gp_results *r);
/* The user's outcome: not started if the run never started it, else failed if any rule
 * failed, else inconclusive if any rule is, else passed. */
gp_status gp_user_status(const gp_user_result *u);
/* Users of r with status s. */
size_t gp_results_count_users(const gp_results *r, gp_status s);

#endif
