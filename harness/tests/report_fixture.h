/* report_fixture.h - a small synthetic run for the reporter tests and the sample generator:
 * a scenario, FX_USERS transcripts and hand-built results. Variants choose which users fail
 * and how slow the server was. Header-only so each test executable stays one source file. */
#ifndef GP_REPORT_FIXTURE_H
#define GP_REPORT_FIXTURE_H

#include <stdlib.h>
#include <string.h>

#include "report.h"
#include "results.h"

#define FX_USERS 6
#define FX_TRICKY_ID "gp-user-<2>&\"'"

enum { FX_PASS = 0, FX_FAIL = 1 };

/* The reports' generation time and host in every test: fixed, so reports are comparable. */
#define FX_GENERATED_US ((int64_t)1758204000 * 1000000 + 250000)
#define FX_HOST "fx-host"
#define FX_CTX (&(const gp_report_ctx){FX_GENERATED_US, FX_HOST})

typedef struct fixture {
    gp_scenario sc;
    gp_results *res;
    gp_transcript *ts[FX_USERS];
    gp_kv labels[2];
    gp_health health;
    gp_suite suite;
} fixture;

static inline void fx_frame(gp_transcript *t, gp_frame_kind k, int64_t us, int code,
                            const char *text)
{
    gp_transcript_add(t, k, us, code, text, text ? strlen(text) : 0);
}

static inline void fx_event(gp_transcript *t, int64_t us, const char *type, const char *extra)
{
    char *s = gp_asprintf("{\"type\":\"%s\",\"user_id\":\"%s\",\"run_id\":\"run-%zu\","
                          "\"thread_id\":\"th-%zu\"%s%s}",
                          type, t->user_index == 2 ? "u2" : t->user_id, t->user_index,
                          t->user_index, extra ? "," : "", extra ? extra : "");

    fx_frame(t, GP_FR_RECV_TEXT, us, 0, s);
    free(s);
}

/* variant: FX_PASS or FX_FAIL; scale multiplies every latency (1 = baseline);
 * name: the scenario name (NULL = "golden_path"). */
static inline void fixture_init(fixture *fx, int variant, int64_t scale, const char *name)
{
    size_t u, k;
    gp_results *r;

    memset(fx, 0, sizeof *fx);
    fx->sc.name = gp_strdup(name ? name : "golden_path");
    fx->sc.path = gp_strdup("scenarios/golden_path.yaml");
    snprintf(fx->sc.digest, sizeof fx->sc.digest, "%064d", 7);
    fx->labels[0].key = "release";
    fx->labels[0].value = "v1.2.3";
    fx->labels[1].key = "env";
    fx->labels[1].value = "staging";
    fx->res = r = gp_results_new(FX_USERS);
    for (u = 0; u < FX_USERS; u++) {
        char id[64];
        gp_transcript *t;
        int64_t base = (int64_t)u * 10000;

        snprintf(id, sizeof id, u == 2 ? FX_TRICKY_ID : "gp-user-%zu", u);
        r->users[u].user_id = gp_strdup(id);
        r->users[u].runs_expected = 1;
        r->users[u].runs_completed = 1;
        fx->ts[u] = t = gp_transcript_new(u, id, "nonce");
        fx_frame(t, GP_FR_CONNECT, base, 1, "ws://127.0.0.1:8765/ws?token=supersecret&x=1");
        fx_frame(t, GP_FR_CONNECTED, base + 900, 0, NULL);
        fx_frame(t, GP_FR_RECV_TEXT, base + 1000, 0,
                 "{\"type\":\"connection_established\",\"data\":{\"user_id\":\"u\"}}");
        fx_frame(t, GP_FR_SENT, base + 1100, 0,
                 "{\"type\":\"user_message\",\"payload\":{\"content\":\"Analyze <my> costs & "
                 "\\\"more\\\" 'now'\",\"auth\":\"Bearer sekret.jwt.value\"}}");
        fx_frame(t, GP_FR_RUN_BEGIN, base + 1100, 3, NULL);
        if (variant == FX_FAIL && u == 1) {
            fx_event(t, base + 1100 + 20000 * scale, "agent_thinking", "\"reasoning\":\"hmm\"");
            fx_event(t, base + 1100 + 21000 * scale, "agent_started", "\"agent_name\":\"a\"");
        } else {
            fx_event(t, base + 1100 + 20000 * scale, "agent_started", "\"agent_name\":\"a\"");
            fx_event(t, base + 1100 + 25000 * scale, "agent_thinking",
                     "\"reasoning\":\"<b>bold</b> & \\u0001 ctl\"");
        }
        fx_event(t, base + 1100 + 40000 * scale, "tool_executing",
                 "\"tool_name\":\"cost_analyzer\",\"parameters\":{}");
        fx_event(t, base + 1100 + 80000 * scale, "tool_completed",
                 "\"tool_name\":\"cost_analyzer\",\"results\":{},\"duration\":40");
        fx_event(t, base + 1100 + 90000 * scale, "agent_completed",
                 "\"status\":\"ok\",\"final_response\":\"done\"");
        if (variant == FX_FAIL && u == 2)
            fx_event(t, base + 1100 + 91000 * scale, "agent_completed",
                     "\"status\":\"ok\",\"final_response\":\"done again\"");
        fx_frame(t, GP_FR_RUN_END, base + 1100 + 95000 * scale, 3, "completed");
        fx_frame(t, GP_FR_CLOSED, base + 1100 + 96000 * scale, 1000, "done");

        gp_hist_record(&r->latency[GP_EV_AGENT_STARTED], 20000 * scale + (int64_t)u * 100);
        gp_hist_record(&r->latency[GP_EV_AGENT_THINKING], 25000 * scale + (int64_t)u * 100);
        gp_hist_record(&r->latency[GP_EV_TOOL_EXECUTING], 40000 * scale + (int64_t)u * 100);
        gp_hist_record(&r->latency[GP_EV_TOOL_COMPLETED], 80000 * scale + (int64_t)u * 100);
        gp_hist_record(&r->latency[GP_EV_AGENT_COMPLETED], 90000 * scale + (int64_t)u * 100);
        gp_hist_record(&r->gaps, 5000 * scale);
        gp_hist_record(&r->gaps, 15000 * scale + (int64_t)u);
        gp_hist_record(&r->tool_duration, 40000 * scale);
        gp_hist_record(&r->run_duration, 90000 * scale + (int64_t)u * 100);
        for (k = 0; k < GP_EV_GOLDEN_COUNT; k++)
            r->event_counts[k]++;
        r->event_counts[GP_EV_READY]++;
        gp_results_count_tool(r, "cost_analyzer");
    }
    for (k = 0; k < GP_RULE__COUNT; k++) {
        if (k == GP_RULE_AUTH)
            continue; /* no auth step: the rule is not exercised */
        r->rules[k].checked = FX_USERS;
    }
    r->runs_total = FX_USERS;
    r->runs_passed = FX_USERS;
    if (variant == FX_FAIL) {
        gp_results_fail(r, GP_RULE_R1_START, 1, 3, 5, "agent_started as the first event",
                        "agent_thinking, agent_started, tool_executing, tool_completed, "
                        "agent_completed");
        gp_results_fail(r, GP_RULE_R2_END, 2, 3, 10, "agent_completed once, as the last event",
                        "agent_completed, agent_completed <dup> & \"x\"");
        r->causes[GP_CAUSE_OTHER] = 2;
        r->runs_passed = FX_USERS - 2;
    }
    for (k = 0; k < GP_RULE__COUNT; k++)
        r->rules[k].passed = r->rules[k].checked - r->rules[k].failed;

    fx->suite.meta.harness_version = "0.1.0-test";
    fx->suite.meta.scenario = &fx->sc;
    fx->suite.meta.target = "ws://127.0.0.1:8765/ws?token=supersecret";
    fx->suite.meta.labels = fx->labels;
    fx->suite.meta.nlabels = 2;
    fx->suite.meta.started_wall_us = (int64_t)1758204000 * 1000000 + 250000;
    fx->suite.meta.duration_us = 1234567;
    fx->suite.meta.users = FX_USERS;
    fx->suite.results = r;
    fx->suite.ts = fx->ts;
    fx->suite.nts = FX_USERS;
}

/* The user FX_INCONCLUSIVE_USER (passing in both variants) waited for its run while the
 * harness stalled: its GP-COMPLETION verdict becomes inconclusive, and the suite carries the
 * harness's health with that stall. */
#define FX_INCONCLUSIVE_USER 4
#define FX_STALL_CAUSE                                                                             \
    "the harness's event loop stalled 5.02 s (lag) during this wait; not a server verdict"

static inline void fx_add_inconclusive(fixture *fx)
{
    gp_results *r = fx->res;

    fx->health.measured = true;
    fx->health.workers = 1;
    fx->health.lag_p50_us = 400;
    fx->health.lag_p99_us = 2100;
    fx->health.lag_max_us = 5020000;
    fx->health.cpu_user_s = 1.25;
    fx->health.cpu_sys_s = 0.5;
    fx->health.cpu_busy = 0.75;
    gp_health_add_stall(&fx->health, 40000, 5060000, 5020000);
    fx->suite.meta.health = &fx->health;
    gp_results_mark_inconclusive(r, GP_RULE_COMPLETION, FX_INCONCLUSIVE_USER, 3, 9,
                                 "agent_completed within 5 s of the message",
                                 "no agent_completed within 5 s", FX_STALL_CAUSE);
    r->rules[GP_RULE_COMPLETION].passed--;
    r->runs_passed--;
}

static inline void fixture_cleanup(fixture *fx)
{
    size_t u;

    for (u = 0; u < FX_USERS; u++)
        gp_transcript_free(fx->ts[u]);
    gp_results_free(fx->res);
    gp_health_cleanup(&fx->health);
    free(fx->sc.name);
    free(fx->sc.path);
}

/* How many times needle occurs in hay, without overlaps. */
static inline size_t fx_count(const char *hay, const char *needle)
{
    size_t n = 0;

    while ((hay = strstr(hay, needle)) != NULL) {
        n++;
        hay += strlen(needle);
    }
    return n;
}

static inline char *fx_slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    gp_buf b;
    char chunk[4096];
    size_t n;

    if (!f)
        return NULL;
    gp_buf_init(&b, (size_t)64 << 20);
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        gp_buf_append(&b, chunk, n);
    fclose(f);
    return gp_buf_steal(&b);
}

#endif
