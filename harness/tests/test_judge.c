/* test_judge.c - the golden-path rules over transcripts built in code from compact specs: for
 * every rule a passing case and a case that fails exactly that rule, plus the protocol's
 * variations, leaks across users, connection and auth outcomes, bookkeeping, and timing
 * verdicts made inconclusive by stalls of the harness. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "judge.h"

#define MS 1000
#define MAX_USERS 3
#define MAX_LINES 48

/* Step ids of the scenario every case runs against. */
enum {
    STEP_CONNECT = 0,
    STEP_SEND = 1,
    STEP_RUN = 2,
    STEP_CLOSE = 3,
    STEP_CONNECT_NONE = 4, /* expect_refused, credential none */
    STEP_EXPECT = 5,
    STEP_RUN_GAP = 6,     /* max_gap 2 s */
    STEP_RUN_REPEATS = 7, /* allow_repeats */
    STEP_RUN_DEADLINE = 8 /* deadline 5 s */
};

static gp_scenario *scenario_new(void)
{
    gp_scenario *s = calloc(1, sizeof *s);
    gp_step *st;
    int i;

    gp_profile_init_default(&s->profile);
    s->timeouts.connect_us = 10000 * MS;
    s->timeouts.first_event_us = 10000 * MS;
    s->timeouts.run_us = 60000 * MS;
    s->timeouts.expect_us = 10000 * MS;
    s->nsteps = 9;
    s->steps = st = calloc(s->nsteps, sizeof *st);
    for (i = 0; i < 9; i++)
        st[i].id = i;
    st[STEP_CONNECT].kind = GP_STEP_CONNECT;
    st[STEP_SEND].kind = GP_STEP_SEND;
    st[STEP_RUN].kind = GP_STEP_EXPECT_RUN;
    st[STEP_RUN].u.expect_run.required = GP_EV_GOLDEN_MASK;
    st[STEP_CLOSE].kind = GP_STEP_CLOSE;
    st[STEP_CONNECT_NONE].kind = GP_STEP_CONNECT;
    st[STEP_CONNECT_NONE].u.connect.credential = GP_CRED_NONE;
    st[STEP_CONNECT_NONE].u.connect.expect_refused = true;
    st[STEP_EXPECT].kind = GP_STEP_EXPECT;
    st[STEP_EXPECT].label = strdup("handshake");
    st[STEP_RUN_GAP].kind = GP_STEP_EXPECT_RUN;
    st[STEP_RUN_GAP].u.expect_run.required = GP_EV_GOLDEN_MASK;
    st[STEP_RUN_GAP].u.expect_run.max_gap_us = 2000 * MS;
    st[STEP_RUN_REPEATS].kind = GP_STEP_EXPECT_RUN;
    st[STEP_RUN_REPEATS].u.expect_run.required = GP_EV_GOLDEN_MASK;
    st[STEP_RUN_REPEATS].u.expect_run.allow_repeats = true;
    st[STEP_RUN_DEADLINE].kind = GP_STEP_EXPECT_RUN;
    st[STEP_RUN_DEADLINE].u.expect_run.required = GP_EV_GOLDEN_MASK;
    st[STEP_RUN_DEADLINE].u.expect_run.deadline_us = 5000 * MS;
    return s;
}

/* ---- transcripts from specs ----
 * One line per frame or marker; every line advances the clock by 10 ms.
 *   connect                  CONNECT(step 0), CONNECTED, connection_established
 *   send [STEP]              SENT user_message with thread-<uid> and the nonce, RUN_BEGIN(STEP)
 *   ev TYPE [k=v|-k ...]     a run event of this user (run-<uid>, thread-<uid>) with its
 *                            required fields; v is JSON if it parses, else a string
 *   evp/evd/evw TYPE ...     the same with fields under payload / data / a system_message wrapper
 *   raw TEXT                 RECV_TEXT as given
 *   bin N | over N           a binary / oversize frame of N bytes
 *   wait MS                  advance the clock
 *   end DATA                 RUN_END(2) with DATA
 *   closed CODE [TEXT]       CLOSED with the runner's wording ("closed by server: 1011 ...")
 *   conn STEP                CONNECT(STEP) alone
 *   connected                CONNECTED
 *   timeout [TEXT]           TIMEOUT
 *   connerr CODE TEXT        CONN_ERROR
 *   expect_ok | expect_fail TEXT   markers for step 5
 */
typedef struct builder {
    gp_transcript *t;
    int64_t now;
    char uid[32];
} builder;

static void add(builder *b, gp_frame_kind kind, int code, const char *data, size_t len)
{
    b->now += 10 * MS;
    gp_transcript_add(b->t, kind, b->now, code, data, data ? strlen(data) : len);
}

static void add_json(builder *b, json_t *o)
{
    char *s = json_dumps(o, JSON_COMPACT);

    add(b, GP_FR_RECV_TEXT, 0, s, 0);
    free(s);
    json_decref(o);
}

static json_t *default_event(const char *type, const char *uid)
{
    char run[64], thread[64];
    json_t *o;

    snprintf(run, sizeof run, "run-%s", uid);
    snprintf(thread, sizeof thread, "thread-%s", uid);
    o = json_pack("{s:s, s:f, s:s, s:s, s:s}", "type", type, "timestamp", 1758204000.5, "user_id",
                  uid, "thread_id", thread, "run_id", run);
    if (strcmp(type, "agent_started") == 0)
        json_object_set_new(o, "agent_name", json_string("supervisor"));
    else if (strcmp(type, "agent_thinking") == 0)
        json_object_set_new(o, "reasoning", json_string("Looking at the costs"));
    else if (strcmp(type, "tool_executing") == 0)
        json_object_set_new(o, "tool_name", json_string("cost_analyzer")),
            json_object_set_new(o, "parameters", json_pack("{s:i}", "months", 3));
    else if (strcmp(type, "tool_completed") == 0)
        json_object_set_new(o, "tool_name", json_string("cost_analyzer")),
            json_object_set_new(o, "results", json_pack("{s:i}", "rows", 12)),
            json_object_set_new(o, "duration", json_integer(41));
    else if (strcmp(type, "agent_completed") == 0)
        json_object_set_new(o, "status", json_string("success")),
            json_object_set_new(o, "final_response", json_string("You spend 12k a month."));
    else if (strcmp(type, "agent_error") == 0 || strcmp(type, "agent_death") == 0)
        json_object_set_new(o, "error", json_string("model overloaded"));
    return o;
}

static void apply_overrides(json_t *o, char *rest)
{
    char *tok, *save = NULL;

    for (tok = strtok_r(rest, " ", &save); tok; tok = strtok_r(NULL, " ", &save)) {
        char *eq = strchr(tok, '=');
        json_t *v;

        if (tok[0] == '-') {
            json_object_del(o, tok + 1);
            continue;
        }
        if (!eq)
            continue;
        *eq = '\0';
        v = json_loads(eq + 1, JSON_DECODE_ANY, NULL);
        json_object_set_new(o, tok, v ? v : json_string(eq + 1));
    }
}

/* Moves every field but type under key (payload/data), or wraps as system_message. */
static json_t *envelope(json_t *o, char how)
{
    json_t *out = json_object(), *inner = json_object(), *v;
    const char *k;
    const char *type = json_string_value(json_object_get(o, "type"));

    json_object_foreach(o, k, v)
    {
        if (strcmp(k, "type") != 0)
            json_object_set(inner, k, v);
    }
    if (how == 'w') {
        json_object_set_new(out, "type", json_string("system_message"));
        json_object_set_new(out, "event", json_string(type));
        json_object_set_new(out, "payload", inner);
    } else {
        json_object_set_new(out, "type", json_string(type));
        json_object_set_new(out, how == 'p' ? "payload" : "data", inner);
    }
    json_decref(o);
    return out;
}

static void build_line(builder *b, const char *line)
{
    char cmd[16] = "", arg[256] = "", *rest;
    char buf[512];
    int n = 0;

    snprintf(buf, sizeof buf, "%s", line);
    sscanf(buf, "%15s %n", cmd, &n);
    rest = buf + n;
    if (strcmp(cmd, "connect") == 0) {
        add(b, GP_FR_CONNECT, STEP_CONNECT, "ws://127.0.0.1:8765/ws", 0);
        add(b, GP_FR_CONNECTED, 0, NULL, 0);
        add(b, GP_FR_RECV_TEXT, 0,
            "{\"type\":\"connection_established\",\"data\":{\"user_id\":\"x\",\"connection_id\":"
            "\"main_17\"},\"timestamp\":1758204000.0}",
            0);
    } else if (strcmp(cmd, "send") == 0 || strcmp(cmd, "sendonly") == 0) {
        json_t *m;
        char *s, thread[64];

        snprintf(thread, sizeof thread, "thread-%s", b->uid);
        m = json_pack("{s:s, s:{s:s, s:s}}", "type", "user_message", "payload", "content",
                      b->t->nonce, "thread_id", thread);
        s = json_dumps(m, JSON_COMPACT);
        add(b, GP_FR_SENT, 0, s, 0);
        free(s);
        json_decref(m);
        if (strcmp(cmd, "send") == 0) /* "sendonly": followed by expect steps, no expect_run */
            add(b, GP_FR_RUN_BEGIN, *rest ? atoi(rest) : STEP_RUN, NULL, 0);
    } else if (strncmp(cmd, "ev", 2) == 0) {
        json_t *o;

        sscanf(rest, "%255s %n", arg, &n);
        o = default_event(arg, b->uid);
        apply_overrides(o, rest + n);
        if (cmd[2])
            o = envelope(o, cmd[2]);
        add_json(b, o);
    } else if (strcmp(cmd, "raw") == 0) {
        add(b, GP_FR_RECV_TEXT, 0, rest, 0);
    } else if (strcmp(cmd, "bin") == 0) {
        add(b, GP_FR_RECV_BINARY, 0, NULL, (size_t)atoi(rest));
    } else if (strcmp(cmd, "over") == 0) {
        add(b, GP_FR_OVERSIZE, 0, NULL, (size_t)atoi(rest));
    } else if (strcmp(cmd, "wait") == 0) {
        b->now += (int64_t)atoi(rest) * MS;
    } else if (strcmp(cmd, "end") == 0) {
        add(b, GP_FR_RUN_END, STEP_RUN, rest, 0);
    } else if (strcmp(cmd, "closed") == 0) {
        sscanf(rest, "%255s %n", arg, &n);
        add(b, GP_FR_CLOSED, atoi(arg), rest + n, 0);
    } else if (strcmp(cmd, "conn") == 0) {
        add(b, GP_FR_CONNECT, atoi(rest), "ws://127.0.0.1:8765/ws", 0);
    } else if (strcmp(cmd, "connected") == 0) {
        add(b, GP_FR_CONNECTED, 0, NULL, 0);
    } else if (strcmp(cmd, "timeout") == 0) {
        add(b, GP_FR_TIMEOUT, STEP_CONNECT, *rest ? rest : NULL, 0);
    } else if (strcmp(cmd, "connerr") == 0) {
        sscanf(rest, "%255s %n", arg, &n);
        add(b, GP_FR_CONN_ERROR, atoi(arg), rest + n, 0);
    } else if (strcmp(cmd, "plainmsg") == 0) {
        add(b, GP_FR_NOTE, -1, GP_NOTE_UNCOMPRESSED, 0);
    } else if (strcmp(cmd, "expect_ok") == 0) {
        add(b, GP_FR_EXPECT_OK, STEP_EXPECT, "3", 0);
    } else if (strcmp(cmd, "expect_fail") == 0) {
        add(b, GP_FR_EXPECT_FAIL, STEP_EXPECT, rest, 0);
    } else {
        fail_msg("unknown spec line: %s", line);
    }
}

static gp_transcript *build(size_t index, const char *const *lines)
{
    builder b = {0};
    char nonce[64];

    snprintf(b.uid, sizeof b.uid, "gp-user-%zu", index);
    snprintf(nonce, sizeof nonce, "nonce-%zu-5f3a9c0d", index);
    b.t = gp_transcript_new(index, b.uid, nonce);
    for (; *lines; lines++)
        build_line(&b, *lines);
    return b.t;
}

#define GOLDEN                                                                                     \
    "ev agent_started", "ev agent_thinking", "ev tool_executing", "ev tool_completed",             \
        "ev agent_completed"
#define OPEN "connect", "send"
#define SHUT "end completed", "closed 1000 closed by us: 1000 done"
#define GOOD OPEN, GOLDEN, SHUT
#define R(rule) (1u << (rule))

struct jcase {
    const char *name;
    const char *users[MAX_USERS][MAX_LINES]; /* users with an empty spec are left out */
    uint32_t fails;                          /* exactly the rules that must fail */
    gp_rule rule;        /* the rule whose example is checked (the lowest failing one if 0) */
    size_t user;         /* the user the example names */
    const char *exp_sub; /* substrings of the example's expected/received text */
    const char *recv_sub;
    const char *cause;  /* a cause that must be counted, or NULL */
    uint32_t checked;   /* rules that must have been checked */
    uint32_t unchecked; /* rules that must not have been checked */
    int outcome;        /* the scenario's protocol.outcome: OUTCOME_* */
};

/* protocol.outcome variants a case can run with. */
enum {
    OUTCOME_DEFAULT,
    OUTCOME_CUSTOM,       /* status: state, success: [finished],
                             failure: [{path: result.outcome, in: [broken, aborted]}] */
    OUTCOME_SUCCESS_DONE, /* the defaults with success: [done] */
    OUTCOME_NO_STATUS     /* the defaults with status: ~ */
};

static void set_outcome(gp_scenario *sc, int which)
{
    gp_outcome *o = &sc->outcome;

    if (which == OUTCOME_DEFAULT)
        return;
    gp_outcome_init_default(o);
    if (which == OUTCOME_CUSTOM) {
        free(o->status_path);
        o->status_path = strdup("state");
        json_decref(o->success);
        o->success = json_pack("[s]", "finished");
        gp_outcome_signals_free(o->failure, o->nfailure);
        o->nfailure = 1;
        o->failure = calloc(1, sizeof *o->failure);
        o->failure[0].path = strdup("result.outcome");
        o->failure[0].op = GP_OUTCOME_IN;
        o->failure[0].values = json_pack("[s, s]", "broken", "aborted");
    } else if (which == OUTCOME_SUCCESS_DONE) {
        json_decref(o->success);
        o->success = json_pack("[s]", "done");
    } else {
        free(o->status_path);
        o->status_path = NULL;
    }
}

static const struct jcase cases[] = {
    /* ---- passing runs ---- */
    {"golden path",
     {{GOOD, NULL}},
     0,
     .checked = 0x3fff & ~(R(GP_RULE_AUTH) | R(GP_RULE_GAP) | R(GP_RULE_EXPECT)),
     .unchecked = R(GP_RULE_AUTH) | R(GP_RULE_GAP) | R(GP_RULE_EXPECT)},
    {"noise frames interleaved",
     {{OPEN, "raw {\"type\":\"heartbeat\"}", "ev agent_started",
       "raw {\"type\":\"ack\","
       "\"received_type\":\"x\"}",
       "ev agent_thinking", "raw {\"type\":\"pong\"}",
       "raw {\"type\":\"system_message\",\"payload\":{\"text\":\"hi\"}}", "ev tool_executing",
       "raw {\"type\":\"custom_progress\",\"pct\":50}", "raw {\"type\":\"heartbeat_ack\"}",
       "ev tool_completed", "raw {\"type\":\"handshake_response\",\"thread_id\":\"t\"}",
       "raw {\"type\":\"connection_established\"}", "ev agent_completed",
       "raw {\"type\":"
       "\"heartbeat\"}",
       SHUT, NULL}},
     .fails = 0},
    {"envelope variations",
     {{OPEN, "evp agent_started timestamp=\"2025-09-18T14:00:00.250Z\"",
       "evd agent_thinking timestamp=\"2025-09-18T16:00:00+02:00\"", "evw tool_executing",
       "evw tool_completed", "ev agent_thinking type=reasoning",
       "raw {\"type\":\"system_message\",\"event\":\"heartbeat\"}",
       "ev agent_completed event=agent_completed", SHUT, NULL}},
     .fails = 0},
    {"wrapped ready frame",
     {{"conn 0", "connected",
       "raw {\"type\":\"system_message\",\"event\":"
       "\"connection_established\",\"payload\":{}}",
       "send", GOLDEN, SHUT, NULL}},
     0,
     .checked = R(GP_RULE_CONNECT)},
    {"repeats allowed",
     {{OPEN " 7", "ev agent_started", "ev agent_thinking", "ev agent_started", "ev tool_executing",
       "ev tool_completed", "ev agent_completed", "ev agent_completed", SHUT, NULL}},
     .fails = 0},
    {"think and call tools several times",
     {{OPEN, "ev agent_started", "ev agent_thinking", "ev tool_executing tool_name=a",
       "ev tool_executing tool_name=b", "ev tool_completed tool_name=b",
       "ev tool_completed tool_name=a", "ev agent_thinking", "ev tool_executing tool_name=a",
       "ev tool_completed tool_name=a", "ev agent_completed", SHUT, NULL}},
     .fails = 0},
    {"two users, no leak", {{GOOD, NULL}, {GOOD, NULL}}, 0, .checked = R(GP_RULE_R6_ISOLATION)},

    /* ---- R1 ---- */
    {"missing agent_started",
     {{OPEN, "ev agent_thinking", "ev tool_executing", "ev tool_completed", "ev agent_completed",
       SHUT, NULL}},
     R(GP_RULE_R1_START),
     .exp_sub = "agent_started as the first event",
     .recv_sub = "no agent_started: agent_thinking, tool_executing"},
    {"thinking before started",
     {{OPEN, "ev agent_thinking", "ev agent_started", "ev tool_executing", "ev tool_completed",
       "ev agent_completed", SHUT, NULL}},
     R(GP_RULE_R1_START),
     .exp_sub = "agent_started as the first event",
     .recv_sub = "agent_thinking, agent_started, tool_executing"},
    {"agent_started twice",
     {{OPEN, "ev agent_started", "ev agent_thinking", "ev agent_started", "ev tool_executing",
       "ev tool_completed", "ev agent_completed", SHUT, NULL}},
     R(GP_RULE_R1_START),
     .exp_sub = "exactly once",
     .recv_sub = "2 agent_started"},

    /* ---- R2 ---- */
    {"duplicate agent_completed",
     {{OPEN, GOLDEN, "ev agent_completed", SHUT, NULL}},
     R(GP_RULE_R2_END),
     .exp_sub = "agent_completed exactly once",
     .recv_sub = "2 agent_completed: agent_started"},
    {"event after completion",
     {{OPEN, GOLDEN, "end completed", "ev agent_thinking", NULL}},
     R(GP_RULE_R2_END),
     .exp_sub = "nothing of the run after agent_completed",
     .recv_sub = "agent_thinking 20 ms after agent_completed"},
    {"straggler in the next run",
     {{OPEN, GOLDEN, "end completed", "send", "ev agent_thinking", "ev agent_started run_id=run-2",
       "ev agent_thinking run_id=run-2", "ev tool_executing run_id=run-2",
       "ev tool_completed run_id=run-2", "ev agent_completed run_id=run-2", SHUT, NULL}},
     R(GP_RULE_R2_END),
     .recv_sub = "agent_thinking of run run-gp-user-0 arrived after its "
                 "agent_completed, during a later run"},

    /* ---- R3 ---- */
    {"tool before thinking",
     {{OPEN, "ev agent_started", "ev tool_executing", "ev tool_completed", "ev agent_thinking",
       "ev agent_completed", SHUT, NULL}},
     R(GP_RULE_R3_ALL),
     .exp_sub = "agent_thinking before the first tool_executing",
     .recv_sub = "agent_started, tool_executing, tool_completed, agent_thinking"},
    {"no tools at all",
     {{OPEN, "ev agent_started", "ev agent_thinking", "ev agent_completed", SHUT, NULL}},
     R(GP_RULE_R3_ALL),
     .exp_sub = "every required event type",
     .recv_sub = "no tool_executing, tool_completed: agent_started"},

    /* ---- R4 ---- */
    {"unclosed tool",
     {{OPEN, "ev agent_started", "ev agent_thinking", "ev tool_executing tool_name=a",
       "ev tool_executing tool_name=b", "ev tool_completed tool_name=a", "ev agent_completed", SHUT,
       NULL}},
     R(GP_RULE_R4_TOOLS),
     .exp_sub = "no tool_executing left open at agent_completed",
     .recv_sub = "tool_executing \"b\""},
    {"mismatched tool name",
     {{OPEN, "ev agent_started", "ev agent_thinking", "ev tool_executing tool_name=a",
       "ev tool_completed tool_name=b", "ev agent_completed", SHUT, NULL}},
     R(GP_RULE_R4_TOOLS),
     .exp_sub = "same tool_name",
     .recv_sub = "tool_completed \"b\""},

    /* ---- R5 ---- */
    {"wrong run_id",
     {{OPEN, "ev agent_started", "ev agent_thinking", "ev tool_executing run_id=run-zz",
       "ev tool_completed", "ev agent_completed", SHUT, NULL}},
     R(GP_RULE_R5_IDS),
     .exp_sub = "run_id run-gp-user-0",
     .recv_sub = "tool_executing (frame 7) with run_id run-zz"},
    {"missing user_id",
     {{OPEN, "ev agent_started", "ev agent_thinking -user_id", "ev tool_executing",
       "ev tool_completed", "ev agent_completed", SHUT, NULL}},
     R(GP_RULE_R5_IDS),
     .exp_sub = "user_id gp-user-0",
     .recv_sub = "without user_id"},
    {"wrong thread_id",
     {{OPEN, "ev agent_started", "ev agent_thinking thread_id=thread-other", "ev tool_executing",
       "ev tool_completed", "ev agent_completed", SHUT, NULL}},
     R(GP_RULE_R5_IDS),
     .recv_sub = "agent_thinking (frame 6) with thread_id thread-other"},
    {"missing run_id everywhere",
     {{OPEN, "ev agent_started -run_id", "ev agent_thinking -run_id", "ev tool_executing -run_id",
       "ev tool_completed -run_id", "ev agent_completed -run_id", SHUT, NULL}},
     R(GP_RULE_R5_IDS),
     .recv_sub = "agent_started (frame 5) without run_id"},

    /* ---- R6 ---- */
    {"leak with the owner's user_id",
     {{GOOD, NULL},
      {OPEN, "ev agent_started", "ev agent_thinking",
       "ev tool_executing run_id=run-gp-user-0 thread_id=thread-gp-user-0 user_id=gp-user-0",
       "ev tool_executing", "ev tool_completed", "ev agent_completed", SHUT, NULL}},
     R(GP_RULE_R6_ISOLATION),
     .user = 1,
     .exp_sub = "only events of gp-user-1's own runs",
     .recv_sub = "tool_executing of user gp-user-0's run run-gp-user-0 (thread thread-gp-user-0) "
                 "with user_id gp-user-0",
     .cause = "leak"},
    {"leak with user_id rewritten",
     {{GOOD, NULL},
      {OPEN, "ev agent_started", "ev agent_thinking",
       "ev agent_thinking run_id=run-gp-user-0 thread_id=thread-gp-user-0", "ev tool_executing",
       "ev tool_completed", "ev agent_completed", SHUT, NULL}},
     R(GP_RULE_R6_ISOLATION),
     .user = 1,
     .recv_sub = "agent_thinking of user gp-user-0's run run-gp-user-0 (thread thread-gp-user-0) "
                 "with user_id rewritten to gp-user-1"},
    {"leak by run_id only",
     {{GOOD, NULL},
      {OPEN, "ev agent_started", "ev agent_thinking", "ev tool_executing",
       "ev tool_completed run_id=run-gp-user-0", "ev tool_completed", "ev agent_completed", SHUT,
       NULL}},
     R(GP_RULE_R6_ISOLATION),
     .user = 1,
     .recv_sub = "user gp-user-0's run run-gp-user-0"},
    {"leak outside any run",
     {{GOOD, NULL},
      {"connect", "ev agent_started run_id=run-gp-user-0 thread_id=thread-gp-user-0", "send",
       GOLDEN, SHUT, NULL}},
     R(GP_RULE_R6_ISOLATION),
     .user = 1,
     .recv_sub = "agent_started of user gp-user-0's run"},
    {"own run followed by expect steps, no expect_run",
     {{"connect", "sendonly", GOLDEN, SHUT, NULL}},
     0,
     .checked = R(GP_RULE_R6_ISOLATION)},
    {"leak to a user whose run is followed by expect steps",
     {{GOOD, NULL},
      {"connect", "sendonly", "ev agent_started run_id=run-gp-user-0 thread_id=thread-gp-user-0",
       SHUT, NULL}},
     R(GP_RULE_R6_ISOLATION),
     .user = 1,
     .recv_sub = "agent_started of user gp-user-0's run"},
    {"nonce leak",
     {{GOOD, NULL},
      {OPEN, "ev agent_started", "ev agent_thinking", "ev tool_executing", "ev tool_completed",
       "ev agent_completed final_response=\"About_nonce-0-5f3a9c0d\"", SHUT, NULL}},
     R(GP_RULE_R6_ISOLATION),
     .user = 1,
     .recv_sub = "agent_completed containing the nonce of user gp-user-0"},
    {"two runs in one window",
     {{OPEN, "ev agent_started", "ev agent_thinking", "ev agent_started run_id=run-b",
       "ev agent_thinking run_id=run-b", "ev tool_executing", "ev tool_completed",
       "ev agent_completed", "ev agent_completed run_id=run-b", SHUT, NULL}},
     R(GP_RULE_R6_ISOLATION),
     .exp_sub = "events of one run",
     .recv_sub = "events of 2 runs: run-gp-user-0, run-b"},

    /* ---- R7 ---- */
    {"invalid JSON",
     {{OPEN, "ev agent_started", "raw {\"type\": oops", "ev agent_thinking", "ev tool_executing",
       "ev tool_completed", "ev agent_completed", SHUT, NULL}},
     R(GP_RULE_R7_FRAMES),
     .exp_sub = "well-formed JSON",
     .recv_sub = "invalid JSON at 1:",
     .cause = "invalid_json"},
    {"binary frame",
     {{OPEN, "ev agent_started", "bin 12", "ev agent_thinking", "ev tool_executing",
       "ev tool_completed", "ev agent_completed", SHUT, NULL}},
     R(GP_RULE_R7_FRAMES),
     .recv_sub = "a binary frame of 12 bytes",
     .cause = "binary_frame"},
    {"oversize frame",
     {{OPEN, "ev agent_started", "over 2000000", "ev agent_thinking", "ev tool_executing",
       "ev tool_completed", "ev agent_completed", SHUT, NULL}},
     R(GP_RULE_R7_FRAMES),
     .recv_sub = "a frame of 2000000 bytes, over the 1048576-byte limit",
     .cause = "oversize_frame"},
    {"frame without type",
     {{OPEN, "ev agent_started", "raw {\"run_id\":\"x\"}", "ev agent_thinking", "ev tool_executing",
       "ev tool_completed", "ev agent_completed", SHUT, NULL}},
     R(GP_RULE_R7_FRAMES),
     .recv_sub = "frame has no \"type\""},
    {"JSON that is not an object",
     {{GOOD, "raw [1,2,3]", NULL}},
     R(GP_RULE_R7_FRAMES),
     .recv_sub = "frame is not a JSON object: [1,2,3]"},

    /* ---- FIELDS ---- */
    {"empty reasoning",
     {{OPEN, "ev agent_started", "ev agent_thinking reasoning=\"\"", "ev tool_executing",
       "ev tool_completed", "ev agent_completed", SHUT, NULL}},
     R(GP_RULE_FIELDS),
     .exp_sub = "agent_thinking with reasoning (a non-empty string)",
     .recv_sub = "with reasoning an empty string",
     .cause = "missing_field"},
    {"missing parameters",
     {{OPEN, "ev agent_started", "ev agent_thinking", "ev tool_executing -parameters",
       "ev tool_completed", "ev agent_completed", SHUT, NULL}},
     R(GP_RULE_FIELDS),
     .exp_sub = "tool_executing with parameters (an object)",
     .recv_sub = "tool_executing (frame 7) without parameters"},
    {"duration as a string",
     {{OPEN, "ev agent_started", "ev agent_thinking", "ev tool_executing",
       "ev tool_completed duration=\"41ms\"", "ev agent_completed", SHUT, NULL}},
     R(GP_RULE_FIELDS),
     .recv_sub = "with duration a string"},
    {"missing agent_name",
     {{OPEN, "ev agent_started -agent_name", "ev agent_thinking", "ev tool_executing",
       "ev tool_completed", "ev agent_completed", SHUT, NULL}},
     R(GP_RULE_FIELDS),
     .recv_sub = "agent_started (frame 5) without agent_name"},

    /* ---- COMPLETION ---- */
    {"closed 1011 mid-run",
     {{OPEN, "ev agent_started", "ev agent_thinking",
       "closed 1011 closed by server: 1011 internal error", "end closed", NULL}},
     R(GP_RULE_COMPLETION),
     .recv_sub = "closed by server: 1011 internal error",
     .cause = "closed_mid_run"},
    {"timeout with no event",
     {{OPEN, "wait 10000", "end timeout", "closed 1000 closed by us: 1000 done", NULL}},
     R(GP_RULE_COMPLETION),
     .recv_sub = "no event within 10 s of the message",
     .cause = "run_timeout"},
    {"timeout without completion",
     {{OPEN, "ev agent_started", "ev agent_thinking", "ev tool_executing", "wait 60000",
       "end timeout", NULL}},
     R(GP_RULE_COMPLETION),
     .recv_sub = "no agent_completed within 60 s (last event: "
                 "tool_executing at 40 ms)",
     .cause = "run_timeout"},
    {"timeout cut short by the runner",
     {{OPEN, "ev agent_started", "wait 2970", "end timeout", NULL}},
     R(GP_RULE_COMPLETION),
     .recv_sub = "no agent_completed within 3 s (last event: agent_started at 20 ms)"},
    {"completion after the deadline",
     {{OPEN " 8", "ev agent_started", "ev agent_thinking", "ev tool_executing", "ev tool_completed",
       "wait 6450", "ev agent_completed", SHUT, NULL}},
     R(GP_RULE_COMPLETION),
     .exp_sub = "within 5 s",
     .recv_sub = "agent_completed after 6.5 s",
     .cause = "run_timeout"},
    {"interrupted by the harness",
     {{OPEN, "ev agent_started", "end interrupted", NULL}},
     R(GP_RULE_COMPLETION),
     .recv_sub = "interrupted before the run ended"},
    {"closed by the server without a reason",
     {{OPEN, "ev agent_started", "closed 1006 ", "end closed", NULL}},
     R(GP_RULE_COMPLETION),
     .recv_sub = "closed by server: 1006",
     .cause = "closed_mid_run"},
    {"error_message mid-run",
     {{OPEN, "ev agent_started",
       "raw {\"type\":\"error_message\",\"error_code\":\"INTERNAL\","
       "\"error_message\":\"boom\"}",
       "end timeout", NULL}},
     R(GP_RULE_COMPLETION),
     .recv_sub = "error_message INTERNAL boom"},

    /* ---- OUTCOME ---- */
    {"agent_error ends the run",
     {{OPEN, "ev agent_started", "ev agent_thinking", "ev agent_error", "end agent_error", NULL}},
     R(GP_RULE_OUTCOME),
     .exp_sub = "a successful run: no agent_error or agent_death",
     .recv_sub = "gp-user-0's run run-gp-user-0 ended in agent_error (frame 7): model overloaded",
     .cause = "agent_error",
     .checked = R(GP_RULE_COMPLETION)},
    {"agent_death ends the run",
     {{OPEN, "ev agent_started", "ev agent_thinking", "ev tool_executing",
       "ev agent_death error={\"code\":\"OOM\"}", "end agent_death", NULL}},
     R(GP_RULE_OUTCOME),
     .recv_sub = "ended in agent_death (frame 8): {\"code\":\"OOM\"}",
     .cause = "agent_death"},
    {"agent_error, then agent_completed",
     {{OPEN, "ev agent_started", "ev agent_thinking", "ev tool_executing", "ev tool_completed",
       "ev agent_error", "ev agent_completed", SHUT, NULL}},
     R(GP_RULE_OUTCOME),
     .recv_sub = "ended in agent_error (frame 9), agent_completed came after it: model overloaded",
     .cause = "agent_error"},
    {"agent_error after the deadline",
     {{OPEN " 8", "ev agent_started", "wait 6000", "ev agent_error", "end agent_error", NULL}},
     R(GP_RULE_COMPLETION) | R(GP_RULE_OUTCOME),
     .rule = GP_RULE_COMPLETION,
     .recv_sub = "agent_error after 6.0 s"},
    {"failed run: metadata.success false",
     {{OPEN,
       GOLDEN " status=completed metadata={\"success\":false,\"status\":\"failed\"} "
              "final_response=\"Sorry,_the_cost_tool_failed.\"",
       SHUT, NULL}},
     R(GP_RULE_OUTCOME),
     .exp_sub = "a successful run: metadata.success not false; metadata.status none of "
                "\"failed\", \"failure\", \"error\"",
     .recv_sub = "gp-user-0's run run-gp-user-0: agent_completed (frame 9) with metadata.success "
                 "false, metadata.status \"failed\"; the user saw final_response "
                 "\"Sorry,_the_cost_tool_failed.\"",
     .cause = "run_failed"},
    {"failed run: metadata.status alone, any case",
     {{OPEN, GOLDEN " metadata={\"status\":\"FAILED\"}", SHUT, NULL}},
     R(GP_RULE_OUTCOME),
     .exp_sub = "metadata.status none of",
     .recv_sub = "with metadata.status \"FAILED\""},
    {"failed run: top-level status outside the success set",
     {{OPEN, GOLDEN " status=error", SHUT, NULL}},
     R(GP_RULE_OUTCOME),
     .exp_sub = "a successful run: status one of \"completed\", \"complete\", \"success\", "
                "\"succeeded\", \"ok\", \"done\"",
     .recv_sub = "agent_completed (frame 9) with status \"error\""},
    {"failed run: top-level success false",
     {{OPEN, GOLDEN " success=false", SHUT, NULL}},
     R(GP_RULE_OUTCOME),
     .recv_sub = "with success false"},
    {"failed run: an error text",
     {{OPEN, GOLDEN " error=\"LLM_quota_exceeded\"", SHUT, NULL}},
     R(GP_RULE_OUTCOME),
     .exp_sub = "error absent or empty",
     .recv_sub = "with error \"LLM_quota_exceeded\""},
    {"failed run: metadata.error",
     {{OPEN, GOLDEN " metadata={\"error\":{\"code\":500}}", SHUT, NULL}},
     R(GP_RULE_OUTCOME),
     .recv_sub = "with metadata.error {\"code\":500}"},
    {"failed run under payload",
     {{OPEN, "ev agent_started", "ev agent_thinking", "ev tool_executing", "ev tool_completed",
       "evp agent_completed metadata={\"success\":false}", SHUT, NULL}},
     R(GP_RULE_OUTCOME),
     .recv_sub = "with metadata.success false"},
    {"successful run with metadata",
     {{OPEN,
       GOLDEN " status=COMPLETED metadata={\"success\":true,\"status\":\"completed\","
              "\"error\":null} error=\"\"",
       SHUT, NULL}},
     0,
     .checked = R(GP_RULE_OUTCOME)},
    {"a run that never ended has no outcome",
     {{OPEN, "ev agent_started", "ev agent_thinking", "wait 60000", "end timeout", NULL}},
     R(GP_RULE_COMPLETION),
     .unchecked = R(GP_RULE_OUTCOME)},
    {"custom outcome: a configured path and value",
     {{OPEN, GOLDEN " -status state=finished result={\"outcome\":\"broken\"}", SHUT, NULL}},
     R(GP_RULE_OUTCOME),
     .exp_sub = "a successful run: result.outcome none of \"broken\", \"aborted\"",
     .recv_sub = "with result.outcome \"broken\"",
     .outcome = OUTCOME_CUSTOM},
    {"custom outcome: its own status and success set",
     {{OPEN, GOLDEN " -status state=running", SHUT, NULL}},
     R(GP_RULE_OUTCOME),
     .exp_sub = "a successful run: state one of \"finished\"",
     .recv_sub = "with state \"running\"",
     .outcome = OUTCOME_CUSTOM},
    {"custom outcome: the default signals replaced",
     {{OPEN, GOLDEN " -status state=finished metadata={\"success\":false}", SHUT, NULL}},
     0,
     .checked = R(GP_RULE_OUTCOME),
     .outcome = OUTCOME_CUSTOM},
    {"success set overridden: success is no longer a success",
     {{OPEN, GOLDEN, SHUT, NULL}},
     R(GP_RULE_OUTCOME),
     .exp_sub = "a successful run: status one of \"done\"",
     .recv_sub = "with status \"success\"",
     .outcome = OUTCOME_SUCCESS_DONE},
    {"success set overridden: done passes",
     {{OPEN, GOLDEN " status=done", SHUT, NULL}},
     0,
     .checked = R(GP_RULE_OUTCOME),
     .outcome = OUTCOME_SUCCESS_DONE},
    {"status check turned off",
     {{OPEN, GOLDEN " -status", SHUT, NULL}},
     0,
     .checked = R(GP_RULE_OUTCOME),
     .outcome = OUTCOME_NO_STATUS},

    /* ---- GAP ---- */
    {"gaps within the bound", {{OPEN " 6", GOLDEN, SHUT, NULL}}, 0, .checked = R(GP_RULE_GAP)},
    {"gap too long",
     {{OPEN " 6", "ev agent_started", "ev agent_thinking", "wait 5000", "ev tool_executing",
       "ev tool_completed", "ev agent_completed", SHUT, NULL}},
     R(GP_RULE_GAP),
     .exp_sub = "at most 2 s between consecutive events",
     .recv_sub = "5.0 s between agent_thinking and tool_executing"},

    /* ---- CONNECT ---- */
    {"connect refused, runner skipped the run",
     {{"conn 0", "connerr 0 connection refused", NULL}},
     R(GP_RULE_CONNECT) | R(GP_RULE_COMPLETION),
     .exp_sub = "ready frame",
     .recv_sub = "connection refused",
     .cause = "conn_refused",
     .unchecked = R(GP_RULE_R1_START) | R(GP_RULE_R5_IDS) | R(GP_RULE_R7_FRAMES)},
    {"connect refused, run attempted",
     {{"conn 0", "connerr 0 connection refused", "send", "end timeout", NULL}},
     R(GP_RULE_CONNECT) | R(GP_RULE_COMPLETION),
     .rule = GP_RULE_COMPLETION,
     .recv_sub = "connection failed: connection refused",
     .unchecked = R(GP_RULE_R1_START) | R(GP_RULE_R3_ALL) | R(GP_RULE_FIELDS)},
    {"upgrade refused with 401",
     {{"conn 0", "connerr 401 upgrade refused: HTTP 401", NULL}},
     R(GP_RULE_CONNECT) | R(GP_RULE_COMPLETION),
     .recv_sub = "upgrade refused: HTTP 401",
     .cause = "upgrade_refused"},
    {"libwebsockets' unable to connect",
     {{"conn 0", "connerr 0 connect failed: Unable to connect", NULL}},
     R(GP_RULE_CONNECT) | R(GP_RULE_COMPLETION),
     .recv_sub = "connect failed: Unable to connect",
     .cause = "conn_refused"},
    {"proxy refused the tunnel",
     {{"conn 0",
       "connerr 0 connect failed: the proxy http://127.0.0.1:3128 (from https_proxy) refused "
       "the tunnel to staging:443 with \"HTTP/1.1 403 Forbidden\"; the target was not reached",
       NULL}},
     R(GP_RULE_CONNECT) | R(GP_RULE_COMPLETION),
     .recv_sub = "HTTP/1.1 403 Forbidden",
     .cause = "proxy"},
    {"proxy unreachable",
     {{"conn 0",
       "connerr 0 connect failed: no TCP connection to the proxy http://127.0.0.1:1 (from "
       "http_proxy): Connection refused",
       NULL}},
     R(GP_RULE_CONNECT) | R(GP_RULE_COMPLETION),
     .recv_sub = "to the proxy",
     .cause = "proxy"},
    {"TLS failure",
     {{"conn 0", "connerr 0 tls: certificate verify failed", NULL}},
     R(GP_RULE_CONNECT) | R(GP_RULE_COMPLETION),
     .recv_sub = "tls: certificate",
     .cause = "tls"},
    {"no ready frame",
     {{"conn 0", "connected", "timeout connected, but no ready frame within 10 s",
       "closed 1000 closed by us: 1000 connect timeout", NULL}},
     R(GP_RULE_CONNECT) | R(GP_RULE_COMPLETION),
     .recv_sub = "connected, but no ready frame within 10 s",
     .cause = "connect_timeout"},
    {"upgrade timeout",
     {{"conn 0", "timeout connect timeout: no WebSocket upgrade within 10 s", NULL}},
     R(GP_RULE_CONNECT) | R(GP_RULE_COMPLETION),
     .recv_sub = "no WebSocket upgrade within 10 s",
     .cause = "connect_timeout"},
    {"closed before the ready frame",
     {{"conn 0", "connected", "closed 1011 closed by server: 1011 overloaded", NULL}},
     R(GP_RULE_CONNECT) | R(GP_RULE_COMPLETION),
     .recv_sub = "closed by server: 1011 overloaded before a ready frame"},

    /* ---- AUTH ---- */
    {"auth refused by 401",
     {{"conn 4", "connerr 401 upgrade refused: HTTP 401", GOOD, NULL}},
     0,
     .checked = R(GP_RULE_AUTH)},
    {"auth refused by an unauthorized handshake",
     {{"conn 4", "connerr 0 HS: ws upgrade unauthorized", NULL}},
     0,
     .checked = R(GP_RULE_AUTH),
     .unchecked = R(GP_RULE_CONNECT)},
    {"auth refused by error_message and 1008",
     {{"conn 4", "connected", "raw {\"type\":\"error_message\",\"error_code\":\"AUTH_FAILED\"}",
       "closed 1008 closed by server: 1008 auth failed", GOOD, NULL}},
     0,
     .checked = R(GP_RULE_AUTH)},
    {"auth accepted",
     {{"conn 4", "connected",
       "raw {\"type\":\"connection_established\",\"data\":{\"user_id\":"
       "\"demo\"}}",
       "closed 1000 closed by us: 1000 done", NULL}},
     R(GP_RULE_AUTH),
     .exp_sub = "refuses credential \"none\"",
     .recv_sub = "credential \"none\" was accepted: connection_established arrived",
     .cause = "auth_accepted"},
    {"auth left open",
     {{"conn 4", "connected", "timeout connected, but no ready frame within 10 s",
       "closed 1000 closed by us: 1000 connect timeout", NULL}},
     R(GP_RULE_AUTH),
     .recv_sub = "stayed open without an error"},
    {"auth left open until the runner closed",
     {{"conn 4", "connected", "closed 1000 closed by us: 1000 done", NULL}},
     R(GP_RULE_AUTH),
     .recv_sub = "stayed open without an error"},
    {"auth check timing out before the upgrade",
     {{"conn 4", "timeout connect timeout: no WebSocket upgrade within 10 s", NULL}},
     R(GP_RULE_CONNECT),
     .cause = "connect_timeout",
     .unchecked = R(GP_RULE_AUTH)},
    {"auth check against a server that is down",
     {{"conn 4", "connerr 0 connection refused", NULL}},
     R(GP_RULE_CONNECT),
     .recv_sub = "connection refused",
     .cause = "conn_refused",
     .unchecked = R(GP_RULE_AUTH)},

    /* ---- EXPECT ---- */
    {"expect matched", {{GOOD, "expect_ok", NULL}}, 0, .checked = R(GP_RULE_EXPECT)},
    {"expect failed",
     {{GOOD, "expect_fail no frame matched type=pong within 10 s", NULL}},
     R(GP_RULE_EXPECT),
     .exp_sub = "expect step 5 (handshake) to match in time",
     .recv_sub = "no frame matched type=pong within 10 s"},

    /* ---- robustness ---- */
    {"empty transcript", {{NULL}}, 0, .unchecked = 0x3fff},
    {"markers without frames",
     {{"send", "end completed", "closed 1000 closed by us: 1000 done", "expect_ok", "timeout",
       NULL}},
     R(GP_RULE_COMPLETION),
     .recv_sub = "no event within 10 s"},
};

static uint32_t failed_mask(const gp_results *r)
{
    uint32_t m = 0;
    int i;

    for (i = 0; i < GP_RULE__COUNT; i++)
        if (r->rules[i].failed)
            m |= 1u << i;
    return m;
}

static void run_case(const struct jcase *c)
{
    gp_scenario *sc = scenario_new();
    gp_transcript *ts[MAX_USERS];
    size_t n = 0, i;
    gp_results *r;
    uint32_t m;
    int rule;

    print_message("case: %s\n", c->name);
    set_outcome(sc, c->outcome);
    for (i = 0; i < MAX_USERS && (i == 0 || c->users[i][0]); i++)
        ts[n++] = build(i, c->users[i]);
    r = gp_judge_run(sc, ts, n);
    m = failed_mask(r);
    if (m != c->fails) {
        for (i = 0; i < GP_RULE__COUNT; i++)
            if (r->rules[i].nexamples)
                print_message("  %s: expected %s | received %s\n", gp_rule_id((gp_rule)i),
                              r->rules[i].examples[0].expected, r->rules[i].examples[0].received);
        fail_msg("%s: failed rules 0x%x, expected 0x%x", c->name, m, c->fails);
    }
    assert_int_equal(gp_results_passed(r), c->fails == 0);
    if (c->fails) {
        const gp_failure *f;

        rule = c->rule ? (int)c->rule : __builtin_ctz(c->fails);
        assert_true(r->rules[rule].nexamples > 0);
        f = &r->rules[rule].examples[0];
        print_message("  %s: expected %s | received %s\n", gp_rule_id((gp_rule)rule), f->expected,
                      f->received);
        assert_int_equal(f->user, c->user);
        assert_false(r->users[c->user].passed);
        assert_true(r->users[c->user].failed_rules & (1u << rule));
        assert_non_null(r->users[c->user].cause);
        if (c->exp_sub && !strstr(f->expected, c->exp_sub))
            fail_msg("expected text \"%s\" lacks \"%s\"", f->expected, c->exp_sub);
        if (c->recv_sub && !strstr(f->received, c->recv_sub))
            fail_msg("received text \"%s\" lacks \"%s\"", f->received, c->recv_sub);
    }
    if (c->cause) {
        int cause = gp_cause_from_name(c->cause);

        assert_true(cause >= 0);
        if (r->causes[cause] == 0)
            fail_msg("cause %s not counted", c->cause);
    }
    for (rule = 0; rule < GP_RULE__COUNT; rule++) {
        const gp_rule_result *rr = &r->rules[rule];

        assert_int_equal(rr->checked, rr->passed + rr->failed + rr->inconclusive);
        assert_int_equal(rr->inconclusive, 0);
        if ((c->checked & (1u << rule)) && rr->checked == 0)
            fail_msg("%s was not checked", gp_rule_id((gp_rule)rule));
        if ((c->unchecked & (1u << rule)) && rr->checked != 0)
            fail_msg("%s was checked", gp_rule_id((gp_rule)rule));
    }
    for (i = 0; i < n; i++) {
        assert_string_equal(r->users[i].user_id, ts[i]->user_id);
        gp_transcript_free(ts[i]);
    }
    gp_results_free(r);
    gp_scenario_free(sc);
}

static void test_judge_cases(void **state)
{
    size_t i;

    (void)state;
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++)
        run_case(&cases[i]);
}

/* Every table entry that expects a failure must fail when judged, and every entry that
 * expects a pass must not: the table cannot silently go vacuous. */
static void test_judge_cases_cover_every_rule(void **state)
{
    uint32_t failing = 0, passing_checked = 0;
    size_t i;

    (void)state;
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        failing |= cases[i].fails;
        if (!cases[i].fails)
            passing_checked |= cases[i].checked;
    }
    assert_int_equal(failing, (1u << GP_RULE__COUNT) - 1);
    assert_int_equal(passing_checked | R(GP_RULE_R6_ISOLATION), (1u << GP_RULE__COUNT) - 1);
}

static void test_judge_bookkeeping(void **state)
{
    static const char *const u0[] = {OPEN,
                                     GOLDEN,
                                     "end completed",
                                     "send",
                                     "ev agent_started run_id=run-2",
                                     "ev agent_thinking run_id=run-2",
                                     "ev tool_executing run_id=run-2 tool_name=search",
                                     "wait 100",
                                     "ev tool_completed run_id=run-2 tool_name=search",
                                     "ev agent_completed run_id=run-2",
                                     SHUT,
                                     NULL};
    static const char *const u1[] = {OPEN, "ev agent_started", "end timeout", NULL};
    gp_scenario *sc = scenario_new();
    gp_transcript *ts[2] = {build(0, u0), build(1, u1)};
    gp_results *r = gp_judge_run(sc, ts, 2);
    size_t i;

    (void)state;
    assert_int_equal(r->runs_total, 3);
    assert_int_equal(r->runs_passed, 2);
    assert_int_equal(r->users[0].runs_expected, 2);
    assert_int_equal(r->users[0].runs_completed, 2);
    assert_true(r->users[0].passed);
    assert_int_equal(r->users[1].runs_expected, 1);
    assert_int_equal(r->users[1].runs_completed, 0);
    assert_false(r->users[1].passed);
    assert_int_equal(r->rules[GP_RULE_COMPLETION].checked, 2);
    assert_int_equal(r->rules[GP_RULE_COMPLETION].passed, 1);
    assert_int_equal(r->rules[GP_RULE_COMPLETION].failed, 1);
    assert_int_equal(r->causes[GP_CAUSE_RUN_TIMEOUT], 1);
    /* Frames are 10 ms apart and RUN_BEGIN follows the message: agent_started is 20 ms late. */
    assert_int_equal(r->latency[GP_EV_AGENT_STARTED].count, 3);
    assert_int_equal(r->latency[GP_EV_AGENT_STARTED].min, 20 * MS);
    assert_int_equal(r->latency[GP_EV_AGENT_COMPLETED].count, 2);
    assert_int_equal(r->latency[GP_EV_AGENT_COMPLETED].max, 160 * MS);
    assert_int_equal(r->run_duration.count, 2);
    assert_int_equal(r->tool_duration.count, 2);
    assert_int_equal(r->tool_duration.max, 110 * MS);
    assert_int_equal(r->gaps.count, 8);
    assert_int_equal(r->event_counts[GP_EV_AGENT_STARTED], 3);
    assert_int_equal(r->event_counts[GP_EV_READY], 2);
    assert_int_equal(r->ntools, 2);
    for (i = 0; i < r->ntools; i++)
        assert_int_equal(r->tools[i].count, 1);
    gp_results_free(r);
    gp_transcript_free(ts[0]);
    gp_transcript_free(ts[1]);
    gp_scenario_free(sc);
}

/* A user an interrupted run never started is "not started": no rule checked, never passed. */
static void test_judge_not_started_is_not_passed(void **state)
{
    static const char *const u0[] = {OPEN, GOLDEN, "end completed", SHUT, NULL};
    gp_scenario *sc = scenario_new();
    gp_transcript *ts[2] = {build(0, u0), gp_transcript_new(1, "u1", "n1")};
    gp_results *r;
    size_t i;

    (void)state;
    gp_transcript_add(ts[1], GP_FR_NOTE, 5 * MS, -1, GP_NOTE_NOT_STARTED,
                      strlen(GP_NOTE_NOT_STARTED));
    r = gp_judge_run(sc, ts, 2);
    assert_true(r->users[0].passed);
    assert_false(r->users[1].passed);
    assert_true(r->users[1].not_started);
    assert_int_equal(gp_user_status(&r->users[1]), GP_STATUS_NOT_STARTED);
    assert_string_equal(gp_status_name(GP_STATUS_NOT_STARTED), "not_started");
    assert_int_equal(gp_results_count_users(r, GP_STATUS_PASSED), 1);
    assert_int_equal(gp_results_count_users(r, GP_STATUS_NOT_STARTED), 1);
    assert_int_equal(r->runs_total, 1);
    for (i = 0; i < GP_RULE__COUNT; i++)
        assert_true(r->rules[i].checked <= 1);
    gp_results_free(r);
    gp_transcript_free(ts[0]);
    gp_transcript_free(ts[1]);
    gp_scenario_free(sc);
}

/* One user's leak is that user's failure only; the owner of the leaked run passes. */
static void test_judge_leak_blames_the_receiver(void **state)
{
    static const char *const owner[] = {GOOD, NULL};
    static const char *const victim[] = {OPEN, GOLDEN,
                                         "ev agent_thinking run_id=run-gp-user-0 "
                                         "thread_id=thread-gp-user-0",
                                         SHUT, NULL};
    gp_scenario *sc = scenario_new();
    gp_transcript *ts[3] = {build(0, owner), build(1, victim), build(2, owner)};
    gp_results *r;

    (void)state;
    /* User 2 replays user 0's spec under its own ids: no leak there. */
    r = gp_judge_run(sc, ts, 3);
    assert_true(r->users[0].passed);
    assert_false(r->users[1].passed);
    assert_true(r->users[2].passed);
    assert_int_equal(r->users[1].failed_rules, R(GP_RULE_R6_ISOLATION));
    assert_int_equal(r->rules[GP_RULE_R6_ISOLATION].checked, 3);
    assert_int_equal(r->rules[GP_RULE_R6_ISOLATION].failed, 1);
    assert_int_equal(r->causes[GP_CAUSE_LEAK], 1);
    gp_results_free(r);
    gp_transcript_free(ts[0]);
    gp_transcript_free(ts[1]);
    gp_transcript_free(ts[2]);
    gp_scenario_free(sc);
}

/* Transcripts recorded from gp-refserver (golden_path.yaml, 3 users; ids of steps 0-3 match
 * scenario_new) judged offline: the injected defect is found, and only it. */
struct recorded_case {
    const char *file;
    uint32_t fails;
    gp_cause cause;
};

static const struct recorded_case recorded[] = {
    {"golden.json", 0, GP_CAUSE__COUNT},
    {"duplicate_completed.json", R(GP_RULE_R2_END), GP_CAUSE__COUNT},
    {"close_1011.json", R(GP_RULE_COMPLETION), GP_CAUSE_CLOSED_MID_RUN},
    /* Events go to the latest sender: the leak, and the runs it starved. */
    {"shared_notifier.json", R(GP_RULE_R6_ISOLATION) | R(GP_RULE_COMPLETION), GP_CAUSE_LEAK},
};

static void test_judge_recorded_transcripts(void **state)
{
    size_t c, i;

    (void)state;
    for (c = 0; c < sizeof recorded / sizeof recorded[0]; c++) {
        char path[512];
        gp_transcript **ts = NULL;
        size_t n = 0;
        gp_err err = {0};
        gp_scenario *sc = scenario_new();
        gp_results *r;

        snprintf(path, sizeof path, "%s/fixtures/transcripts/%s", GP_SOURCE_DIR, recorded[c].file);
        print_message("case: %s\n", recorded[c].file);
        if (gp_transcripts_load(path, &ts, &n, &err) != 0)
            fail_msg("%s: %s", path, err.msg);
        assert_int_equal(n, 3);
        r = gp_judge_run(sc, ts, n);
        for (i = 0; i < GP_RULE__COUNT; i++)
            if (r->rules[i].nexamples)
                print_message("  %s: %s | %s\n", gp_rule_id((gp_rule)i),
                              r->rules[i].examples[0].expected, r->rules[i].examples[0].received);
        assert_int_equal(failed_mask(r), recorded[c].fails);
        assert_int_equal(r->rules[GP_RULE_CONNECT].passed, 3);
        assert_int_equal(r->runs_total, 3);
        if (recorded[c].cause != GP_CAUSE__COUNT)
            assert_true(r->causes[recorded[c].cause] > 0);
        if (!recorded[c].fails) {
            assert_int_equal(r->runs_passed, 3);
            assert_int_equal(r->latency[GP_EV_AGENT_COMPLETED].count, 3);
        }
        gp_results_free(r);
        for (i = 0; i < n; i++)
            gp_transcript_free(ts[i]);
        free(ts);
        gp_scenario_free(sc);
    }
}

/* Garbage in any field of any frame never crashes the judge. */
static void test_judge_survives_garbage(void **state)
{
    static const char *const texts[] = {
        "",
        "{",
        "null",
        "{\"type\":null}",
        "{\"type\":\"agent_started\",\"run_id\":{}}",
        "{\"type\":\"tool_completed\",\"tool_name\":5}",
        "{\"type\":\"system_message\",\"event\":7,\"payload\":[]}",
        "{\"type\":\"agent_completed\",\"data\":\"x\",\"payload\":null}"};
    gp_scenario *sc = scenario_new();
    gp_transcript *t = gp_transcript_new(0, "u", "n");
    gp_results *r;
    unsigned seed = 12345;
    int i;

    (void)state;
    for (i = 0; i < 2000; i++) {
        gp_frame_kind kind;
        const char *d;

        seed = seed * 1103515245u + 12345u;
        kind = (gp_frame_kind)((seed >> 16) % (GP_FR_NOTE + 1));
        d = texts[(seed >> 8) % (sizeof texts / sizeof texts[0])];
        gp_transcript_add(t, kind, i, (int)(seed % 12) - 1, (seed & 1) ? d : NULL,
                          (seed & 1) ? strlen(d) : seed % 100);
    }
    r = gp_judge_run(sc, &t, 1);
    assert_non_null(r);
    gp_results_free(r);
    r = gp_judge_run(NULL, &t, 1);
    assert_non_null(r);
    gp_results_free(r);
    r = gp_judge_run(sc, NULL, 0);
    assert_int_equal(r->nusers, 0);
    gp_results_free(r);
    gp_transcript_free(t);
    gp_scenario_free(sc);
}

/* ---- stalls of the harness ----
 * Each timing verdict is judged three times: with a stall inside its wait (inconclusive, not
 * failed), with a stall elsewhere (failed), and without health (failed). Times follow the
 * builder: 10 ms per line, "wait" to skip. */
#define S_ (int64_t)1000000
struct stall_case {
    const char *name;
    const char *lines[MAX_LINES];
    int64_t in_from, in_to;   /* a stall inside the wait */
    int64_t out_from, out_to; /* a stall that misses it */
    uint32_t rules;           /* the timing rules at stake */
};

static const struct stall_case stall_cases[] = {
    {"connect timeout",
     {"conn 0", "wait 10000", "timeout connect timeout: no WebSocket upgrade within 10 s", NULL},
     5 * S_,
     6 * S_,
     20 * S_,
     21 * S_,
     /* the runs never begun fail (or not) with the connect */
     R(GP_RULE_CONNECT) | R(GP_RULE_COMPLETION)},
    {"run timeout",
     {OPEN, "ev agent_started", "wait 30000", "end timeout", NULL},
     5 * S_,
     6 * S_,
     0,
     5 * MS, /* over before the message was sent */
     R(GP_RULE_COMPLETION)},
    {"first-event timeout",
     {OPEN, "wait 10000", "end timeout", NULL},
     9 * S_,
     12 * S_,
     11 * S_,
     12 * S_,
     R(GP_RULE_COMPLETION)},
    {"completion after the deadline",
     {"connect", "send 8", "ev agent_started", "ev agent_thinking", "ev tool_executing",
      "ev tool_completed", "wait 6000", "ev agent_completed", "end completed", NULL},
     3 * S_,
     4 * S_,
     7 * S_,
     8 * S_,
     R(GP_RULE_COMPLETION)},
    {"max gap",
     {"connect", "send 6", "ev agent_started", "ev agent_thinking", "wait 5000",
      "ev tool_executing", "ev tool_completed", "ev agent_completed", SHUT, NULL},
     1 * S_,
     2 * S_,
     6 * S_,
     7 * S_,
     R(GP_RULE_GAP)},
    {"expect timeout",
     {"connect", "wait 10000", "expect_fail no matching frame within 10 s", NULL},
     5 * S_,
     6 * S_,
     0,
     15 * MS, /* before the ready frame at 30 ms: the wait had not begun */
     R(GP_RULE_EXPECT)},
    {"pong timeout",
     {"connect", "expect_ok", "wait 10000", "expect_fail no pong within 10 s", NULL},
     5 * S_,
     6 * S_,
     0,
     35 * MS, /* before the previous step matched at 40 ms */
     R(GP_RULE_EXPECT)},
};

static gp_results *judge_with_stall(gp_transcript *t, int64_t from, int64_t to, bool with_health)
{
    gp_scenario *sc = scenario_new();
    gp_health h = {0};
    gp_results *r;

    h.measured = true;
    gp_health_add_stall(&h, from, to, to - from);
    r = gp_judge_run_health(sc, &t, 1, with_health ? &h : NULL);
    gp_health_cleanup(&h);
    gp_scenario_free(sc);
    return r;
}

static uint32_t inconclusive_mask(const gp_results *r)
{
    uint32_t m = 0;
    int i;

    for (i = 0; i < GP_RULE__COUNT; i++)
        if (r->rules[i].inconclusive)
            m |= 1u << i;
    return m;
}

static void assert_counts_add_up(const gp_results *r)
{
    int i;

    for (i = 0; i < GP_RULE__COUNT; i++)
        assert_int_equal(r->rules[i].checked,
                         r->rules[i].passed + r->rules[i].failed + r->rules[i].inconclusive);
}

static void test_judge_stall_makes_timing_inconclusive(void **state)
{
    size_t c;

    (void)state;
    for (c = 0; c < sizeof stall_cases / sizeof stall_cases[0]; c++) {
        const struct stall_case *sc = &stall_cases[c];
        gp_transcript *t = build(0, sc->lines);
        gp_results *r;
        int rule = __builtin_ctz(sc->rules);
        const gp_failure *f;

        print_message("case: %s\n", sc->name);
        /* A stall inside the wait: no verdict, and no cause blamed on the server. */
        r = judge_with_stall(t, sc->in_from, sc->in_to, true);
        assert_int_equal(failed_mask(r), 0);
        assert_int_equal(inconclusive_mask(r), sc->rules);
        assert_true(gp_results_passed(r));
        assert_true(gp_results_inconclusive(r));
        assert_false(r->users[0].passed);
        assert_int_equal(r->users[0].failed_rules, 0);
        assert_int_equal(r->users[0].inconclusive_rules, sc->rules);
        assert_int_equal(gp_user_status(&r->users[0]), GP_STATUS_INCONCLUSIVE);
        assert_int_equal(r->causes[GP_CAUSE_CONNECT_TIMEOUT] + r->causes[GP_CAUSE_RUN_TIMEOUT], 0);
        assert_int_equal(r->runs_passed, 0);
        f = &r->rules[rule].inconclusive_examples[0];
        assert_int_equal(r->rules[rule].ninconclusive, 1);
        assert_non_null(f->cause);
        assert_non_null(strstr(f->cause, "the harness's event loop stalled"));
        assert_non_null(strstr(f->cause, "not a server verdict"));
        assert_true(*f->expected && *f->received);
        assert_counts_add_up(r);
        gp_results_free(r);

        /* The same wait with the stall elsewhere, or no health at all: the server's failure. */
        r = judge_with_stall(t, sc->out_from, sc->out_to, true);
        assert_int_equal(failed_mask(r), sc->rules);
        assert_int_equal(inconclusive_mask(r), 0);
        assert_int_equal(gp_user_status(&r->users[0]), GP_STATUS_FAILED);
        assert_counts_add_up(r);
        gp_results_free(r);
        r = judge_with_stall(t, sc->in_from, sc->in_to, false);
        assert_int_equal(failed_mask(r), sc->rules);
        assert_false(gp_results_inconclusive(r));
        gp_results_free(r);
        gp_transcript_free(t);
    }
}

/* Order, isolation and field rules are not about time: a stall over the whole run excuses
 * none of them. */
static void test_judge_stall_excuses_no_order_fault(void **state)
{
    static const char *const dup[] = {OPEN, GOLDEN, "ev agent_completed", SHUT, NULL};
    static const char *const nofield[] = {OPEN,
                                          "ev agent_started",
                                          "ev agent_thinking -reasoning",
                                          "ev tool_executing",
                                          "ev tool_completed",
                                          "ev agent_completed",
                                          SHUT,
                                          NULL};
    gp_transcript *t = build(0, dup);
    gp_results *r = judge_with_stall(t, 0, 60 * S_, true);

    (void)state;
    assert_int_equal(failed_mask(r), R(GP_RULE_R2_END));
    assert_false(gp_results_inconclusive(r));
    assert_int_equal(gp_user_status(&r->users[0]), GP_STATUS_FAILED);
    gp_results_free(r);
    gp_transcript_free(t);
    t = build(0, nofield);
    r = judge_with_stall(t, 0, 60 * S_, true);
    assert_int_equal(failed_mask(r), R(GP_RULE_FIELDS));
    assert_false(gp_results_inconclusive(r));
    gp_results_free(r);
    gp_transcript_free(t);
}

/* A user whose gap in a stall is followed by a gap of the server's own fails, once; and two
 * users judged together get their own verdicts. */
static void test_judge_stall_only_excuses_its_own_window(void **state)
{
    static const char *const gaps[] = {"connect",
                                       "send 6",
                                       "ev agent_started",
                                       "ev agent_thinking",
                                       "wait 5000",
                                       "ev tool_executing",
                                       "wait 5000",
                                       "ev tool_completed",
                                       "ev agent_completed",
                                       SHUT,
                                       NULL};
    static const char *const late[] = {OPEN, "ev agent_started", "wait 30000", "end timeout", NULL};
    gp_scenario *sc = scenario_new();
    gp_transcript *ts[2] = {build(0, gaps), build(1, late)};
    gp_health h = {0};
    gp_results *r;

    (void)state;
    /* The first gap (70 ms .. 5.08 s) holds the stall; the second (5.08 .. 10.09 s) does not,
     * and neither does user 1's 30 s wait, which ends before it. */
    h.measured = true;
    gp_health_add_stall(&h, 1 * S_, 2 * S_, 1 * S_);
    ts[1]->frames[ts[1]->nframes - 1].t_us = 900 * MS;
    r = gp_judge_run_health(sc, ts, 2, &h);
    assert_int_equal(r->users[0].failed_rules, R(GP_RULE_GAP));
    assert_int_equal(r->users[0].inconclusive_rules, 0);
    assert_int_equal(r->rules[GP_RULE_GAP].failed, 1);
    assert_int_equal(r->rules[GP_RULE_GAP].inconclusive, 0);
    assert_int_equal(r->rules[GP_RULE_GAP].ninconclusive, 0);
    assert_non_null(strstr(r->rules[GP_RULE_GAP].examples[0].received, "tool_completed"));
    assert_int_equal(r->users[1].failed_rules, R(GP_RULE_COMPLETION));
    assert_counts_add_up(r);
    gp_results_free(r);
    gp_health_cleanup(&h);
    gp_transcript_free(ts[0]);
    gp_transcript_free(ts[1]);
    gp_scenario_free(sc);
}

/* libwebsockets 4.1.6 cannot read on past an uncompressed message on a deflate connection,
 * so the runner closes it: what follows is the harness's doing, inconclusive, never failed;
 * what the server did wrong before it still fails. */
static void test_judge_harness_cut_is_inconclusive(void **state)
{
    static const char *const cut[] = {"connect", "send", "ev agent_started", "ev agent_thinking",
                                       "plainmsg", "end timeout",
                                       "closed 1011 closed by us: 1011 uncompressed", NULL};
    static const char *const bad_then_cut[] = {
        "connect", "send", "ev agent_thinking", "ev agent_started", "plainmsg",
        "end timeout", "closed 1011 closed by us: 1011 uncompressed", NULL};
    gp_scenario *sc = scenario_new();
    gp_transcript *t = build(0, cut);
    gp_results *r = gp_judge_run(sc, &t, 1);

    (void)state;
    assert_int_equal(failed_mask(r), 0);
    assert_true(inconclusive_mask(r) & R(GP_RULE_R7_FRAMES));
    assert_true(inconclusive_mask(r) & R(GP_RULE_COMPLETION));
    assert_true(gp_results_passed(r));
    assert_true(gp_results_inconclusive(r));
    assert_non_null(strstr(r->rules[GP_RULE_COMPLETION].inconclusive_examples[0].cause,
                           "set target.compression: none"));
    assert_counts_add_up(r);
    gp_results_free(r);
    gp_transcript_free(t);

    t = build(0, bad_then_cut);
    r = gp_judge_run(sc, &t, 1);
    assert_true(failed_mask(r) & R(GP_RULE_R1_START));
    assert_false(gp_results_passed(r));
    gp_results_free(r);
    gp_transcript_free(t);
    gp_scenario_free(sc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_judge_cases),
        cmocka_unit_test(test_judge_cases_cover_every_rule),
        cmocka_unit_test(test_judge_bookkeeping),
        cmocka_unit_test(test_judge_not_started_is_not_passed),
        cmocka_unit_test(test_judge_leak_blames_the_receiver),
        cmocka_unit_test(test_judge_recorded_transcripts),
        cmocka_unit_test(test_judge_survives_garbage),
        cmocka_unit_test(test_judge_stall_makes_timing_inconclusive),
        cmocka_unit_test(test_judge_stall_excuses_no_order_fault),
        cmocka_unit_test(test_judge_stall_only_excuses_its_own_window),
        cmocka_unit_test(test_judge_harness_cut_is_inconclusive),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
