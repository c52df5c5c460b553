/* results.c - rule and cause names, and the bookkeeping of gp_results: failures and
 * inconclusive verdicts per rule and user, a failure always outweighing an inconclusive one. */
#include "results.h"
#include "isolation.h"
#include "timeseries.h"

#include <stdlib.h>
#include <string.h>

static const struct {
    const char *id;
    const char *title;
} rules[GP_RULE__COUNT] = {
    [GP_RULE_CONNECT] = {"GP-CONNECT", "The user connects and receives its ready frame"},
    [GP_RULE_AUTH] = {"GP-AUTH", "A connection without a valid credential is refused"},
    [GP_RULE_R1_START] = {"GP-R1-STARTED-FIRST",
                          "agent_started is the run's first event, exactly once"},
    [GP_RULE_R2_END] = {"GP-R2-COMPLETED-LAST",
                        "agent_completed is the run's last event, exactly once, nothing after"},
    [GP_RULE_R3_ALL] = {"GP-R3-ALL-EVENTS", "All five event types arrive; the first "
                                            "agent_thinking precedes the first tool_executing"},
    [GP_RULE_R4_TOOLS] = {"GP-R4-TOOL-PAIRS",
                          "Every tool_completed closes the open tool_executing of the same "
                          "tool_name; none is left open"},
    [GP_RULE_R5_IDS] =
        {"GP-R5-IDS", "Every event carries the run's run_id and thread_id and the user's user_id"},
    [GP_RULE_R6_ISOLATION] = {"GP-R6-ISOLATION", "A user receives only its own runs' events"},
    [GP_RULE_R7_FRAMES] = {"GP-R7-FRAMES", "Every frame is a well-formed JSON object; noise "
                                           "frames never break a sequence"},
    [GP_RULE_FIELDS] = {"GP-FIELDS", "Every event carries the fields its type requires"},
    [GP_RULE_COMPLETION] = {"GP-COMPLETION", "The run ends (in agent_completed, agent_error or "
                                             "agent_death) within its deadline"},
    [GP_RULE_GAP] = {"GP-MAX-GAP", "No gap between a run's events exceeds the allowed maximum"},
    [GP_RULE_EXPECT] = {"GP-EXPECT", "Every expected frame arrives in time"},
    [GP_RULE_OUTCOME] = {"GP-OUTCOME", "The run succeeded: no agent_error or agent_death, and its "
                                       "agent_completed shows no failure"},
};

static const char *const causes[GP_CAUSE__COUNT] = {
    [GP_CAUSE_CONN_REFUSED] = "conn_refused",
    [GP_CAUSE_UPGRADE_REFUSED] = "upgrade_refused",
    [GP_CAUSE_TLS] = "tls",
    [GP_CAUSE_CONNECT_TIMEOUT] = "connect_timeout",
    [GP_CAUSE_CLOSED_MID_RUN] = "closed_mid_run",
    [GP_CAUSE_INVALID_JSON] = "invalid_json",
    [GP_CAUSE_BINARY_FRAME] = "binary_frame",
    [GP_CAUSE_OVERSIZE_FRAME] = "oversize_frame",
    [GP_CAUSE_MISSING_FIELD] = "missing_field",
    [GP_CAUSE_AGENT_ERROR] = "agent_error",
    [GP_CAUSE_AGENT_DEATH] = "agent_death",
    [GP_CAUSE_RUN_TIMEOUT] = "run_timeout",
    [GP_CAUSE_AUTH_ACCEPTED] = "auth_accepted",
    [GP_CAUSE_LEAK] = "leak",
    [GP_CAUSE_OTHER] = "other",
    [GP_CAUSE_RUN_FAILED] = "run_failed",
    [GP_CAUSE_PROXY] = "proxy",
};

const char *gp_status_name(gp_status s)
{
    switch (s) {
    case GP_STATUS_FAILED:
        return "failed";
    case GP_STATUS_INCONCLUSIVE:
        return "inconclusive";
    case GP_STATUS_NOT_STARTED:
        return "not_started";
    default:
        return "passed";
    }
}

const char *gp_rule_id(gp_rule r)
{
    return (unsigned)r < GP_RULE__COUNT ? rules[r].id : "GP-UNKNOWN";
}

const char *gp_rule_title(gp_rule r)
{
    return (unsigned)r < GP_RULE__COUNT ? rules[r].title : "";
}

int gp_rule_from_id(const char *id)
{
    int i;

    for (i = 0; i < GP_RULE__COUNT; i++)
        if (strcmp(rules[i].id, id) == 0)
            return i;
    return -1;
}

const char *gp_cause_name(gp_cause c)
{
    return (unsigned)c < GP_CAUSE__COUNT ? causes[c] : "other";
}

int gp_cause_from_name(const char *name)
{
    int i;

    for (i = 0; i < GP_CAUSE__COUNT; i++)
        if (strcmp(causes[i], name) == 0)
            return i;
    return -1;
}

gp_results *gp_results_new(size_t nusers)
{
    gp_results *r = gp_calloc(1, sizeof *r);
    size_t i;

    r->nusers = nusers;
    r->users = gp_calloc(nusers, sizeof *r->users);
    for (i = 0; i < nusers; i++) {
        r->users[i].index = i;
        r->users[i].passed = true;
    }
    for (i = 0; i < GP_EV_GOLDEN_COUNT; i++)
        gp_hist_init(&r->latency[i]);
    gp_hist_init(&r->gaps);
    gp_hist_init(&r->tool_duration);
    gp_hist_init(&r->run_duration);
    return r;
}

void gp_results_add_sample(gp_results *r, const gp_run_sample *s)
{
    if (r->nsamples == r->csamples) {
        r->csamples = r->csamples ? 2 * r->csamples : 16;
        r->samples = gp_realloc(r->samples, r->csamples * sizeof *r->samples);
    }
    r->samples[r->nsamples++] = *s;
}

static void failure_cleanup(gp_failure *f)
{
    free(f->expected);
    free(f->received);
    free(f->cause);
}

static void failure_set(gp_failure *f, size_t user, int step, size_t frame, const char *expected,
                        const char *received, const char *cause)
{
    f->user = user;
    f->step = step;
    f->frame = frame;
    f->expected = gp_strdup(expected ? expected : "");
    f->received = gp_strdup(received ? received : "");
    f->cause = cause ? gp_strdup(cause) : NULL;
}

/* A user that fails a rule it was inconclusive for leaves the inconclusive count and examples:
 * each user has one verdict per rule. */
static void drop_inconclusive(gp_rule_result *rr, size_t user)
{
    size_t i;

    if (rr->inconclusive)
        rr->inconclusive--;
    for (i = 0; i < rr->ninconclusive; i++) {
        if (rr->inconclusive_examples[i].user != user)
            continue;
        failure_cleanup(&rr->inconclusive_examples[i]);
        memmove(&rr->inconclusive_examples[i], &rr->inconclusive_examples[i + 1],
                (rr->ninconclusive - i - 1) * sizeof *rr->inconclusive_examples);
        rr->ninconclusive--;
        break;
    }
}

void gp_results_free(gp_results *r)
{
    size_t i, j;

    if (!r)
        return;
    for (i = 0; i < GP_RULE__COUNT; i++) {
        for (j = 0; j < r->rules[i].nexamples; j++)
            failure_cleanup(&r->rules[i].examples[j]);
        for (j = 0; j < r->rules[i].ninconclusive; j++)
            failure_cleanup(&r->rules[i].inconclusive_examples[j]);
    }
    for (i = 0; i < r->nusers; i++) {
        free(r->users[i].user_id);
        free(r->users[i].cause);
    }
    free(r->users);
    for (i = 0; i < GP_EV_GOLDEN_COUNT; i++)
        gp_hist_cleanup(&r->latency[i]);
    gp_hist_cleanup(&r->gaps);
    gp_hist_cleanup(&r->tool_duration);
    gp_hist_cleanup(&r->run_duration);
    for (i = 0; i < r->ntools; i++)
        free(r->tools[i].name);
    free(r->tools);
    gp_iso_free(r->iso);
    free(r->samples);
    gp_series_free(r->series);
    free(r);
}

void gp_results_fail(gp_results *r, gp_rule rule, size_t user, int step, size_t frame,
                     const char *expected, const char *received)
{
    gp_rule_result *rr = &r->rules[rule];
    uint32_t bit = 1u << rule;

    if (user < r->nusers) {
        gp_user_result *u = &r->users[user];

        if (u->failed_rules & bit)
            return; /* a user counts once per rule; its first violation is the example */
        if (u->inconclusive_rules & bit) {
            u->inconclusive_rules &= ~bit;
            drop_inconclusive(rr, user);
        }
        /* The first failure is the user's cause, even over an earlier inconclusive one. */
        if (!u->failed_rules) {
            free(u->cause);
            u->cause = gp_asprintf("%s: expected %s, received %s", gp_rule_id(rule),
                                   expected ? expected : "?", received ? received : "?");
        }
        u->failed_rules |= bit;
        u->passed = false;
    }
    rr->failed++;
    if (rr->nexamples < GP_MAX_EXAMPLES)
        failure_set(&rr->examples[rr->nexamples++], user, step, frame, expected, received, NULL);
}

void gp_results_mark_inconclusive(gp_results *r, gp_rule rule, size_t user, int step, size_t frame,
                                  const char *expected, const char *received, const char *cause)
{
    gp_rule_result *rr = &r->rules[rule];
    uint32_t bit = 1u << rule;

    if (user < r->nusers) {
        gp_user_result *u = &r->users[user];

        if ((u->failed_rules | u->inconclusive_rules) & bit)
            return;
        u->inconclusive_rules |= bit;
        u->passed = false;
        if (!u->cause)
            u->cause = gp_asprintf("%s inconclusive: expected %s, received %s; %s",
                                   gp_rule_id(rule), expected ? expected : "?",
                                   received ? received : "?", cause ? cause : "");
    }
    rr->inconclusive++;
    if (rr->ninconclusive < GP_MAX_EXAMPLES)
        failure_set(&rr->inconclusive_examples[rr->ninconclusive++], user, step, frame, expected,
                    received, cause);
}

void gp_results_add_tool(gp_results *r, const char *name, uint64_t count)
{
    size_t i;

    for (;;) {
        for (i = 0; i < r->ntools; i++) {
            if (strcmp(r->tools[i].name, name) == 0) {
                r->tools[i].count += count;
                return;
            }
        }
        if (r->ntools < GP_MAX_TOOLS || strcmp(name, GP_OTHER_TOOLS) == 0)
            break;
        name = GP_OTHER_TOOLS;
    }
    r->tools = gp_realloc(r->tools, (r->ntools + 1) * sizeof *r->tools);
    r->tools[r->ntools].name = gp_strdup(name);
    r->tools[r->ntools].count = count;
    r->ntools++;
}

void gp_results_count_tool(gp_results *r, const char *name)
{
    gp_results_add_tool(r, name, 1);
}

bool gp_results_passed(const gp_results *r)
{
    size_t i;

    for (i = 0; i < GP_RULE__COUNT; i++)
        if (r->rules[i].failed)
            return false;
    return true;
}

bool gp_results_inconclusive(const gp_results *r)
{
    size_t i;

    for (i = 0; i < GP_RULE__COUNT; i++)
        if (r->rules[i].inconclusive)
            return true;
    return false;
}

gp_status gp_user_status(const gp_user_result *u)
{
    if (u->not_started)
        return GP_STATUS_NOT_STARTED;
    /* A report from before inconclusive verdicts marks a failing user by passed alone. */
    if (u->failed_rules || (!u->passed && !u->inconclusive_rules))
        return GP_STATUS_FAILED;
    return u->inconclusive_rules ? GP_STATUS_INCONCLUSIVE : GP_STATUS_PASSED;
}

size_t gp_results_count_users(const gp_results *r, gp_status s)
{
    size_t i, n = 0;

    for (i = 0; i < r->nusers; i++)
        n += gp_user_status(&r->users[i]) == s;
    return n;
}
