/* judge_run.c - the rules over one run window: fields (GP-FIELDS), ids (GP-R5), order and
 * completeness (GP-R1..R3), tool pairs (GP-R4), completion (GP-COMPLETION), outcome
 * (GP-OUTCOME) and gaps (GP-MAX-GAP), then judge_run, which applies them to a window. Pure:
 * no I/O; verdicts go through the helpers in judge_int.h. */
#include "judge_int.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct field_req {
    gp_event_type type;
    const char *name;
    enum { REQ_PRESENT, REQ_STRING, REQ_NONEMPTY, REQ_OBJECT, REQ_NUMBER } req;
};

static const struct field_req field_reqs[] = {
    {GP_EV_AGENT_STARTED, "agent_name", REQ_STRING},
    {GP_EV_AGENT_THINKING, "reasoning", REQ_NONEMPTY},
    {GP_EV_TOOL_EXECUTING, "tool_name", REQ_NONEMPTY},
    {GP_EV_TOOL_EXECUTING, "parameters", REQ_OBJECT},
    {GP_EV_TOOL_COMPLETED, "tool_name", REQ_NONEMPTY},
    {GP_EV_TOOL_COMPLETED, "results", REQ_PRESENT},
    {GP_EV_TOOL_COMPLETED, "duration", REQ_NUMBER},
    {GP_EV_AGENT_COMPLETED, "status", REQ_PRESENT},
    {GP_EV_AGENT_COMPLETED, "final_response", REQ_NONEMPTY},
};

static const char *json_kind(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT:
        return "an object";
    case JSON_ARRAY:
        return "an array";
    case JSON_STRING:
        return json_string_length(v) ? "a string" : "an empty string";
    case JSON_INTEGER:
    case JSON_REAL:
        return "a number";
    case JSON_TRUE:
    case JSON_FALSE:
        return "a boolean";
    default:
        return "null";
    }
}

static bool field_ok(const json_t *v, int req)
{
    switch (req) {
    case REQ_PRESENT:
        return v != NULL;
    case REQ_STRING:
        return json_is_string(v);
    case REQ_NONEMPTY:
        return json_is_string(v) && json_string_length(v) > 0;
    case REQ_OBJECT:
        return json_is_object(v);
    default:
        return json_is_number(v);
    }
}

static void check_fields(ujudge *U, int k, const size_t *S, size_t n)
{
    static const char *const req_text[] = {"", " (a string)", " (a non-empty string)",
                                           " (an object)", " (a number)"};
    size_t a, q;

    for (a = 0; a < n; a++) {
        const finfo *fi = &U->f[S[a]];

        /* PROTOCOL.md: every event carries a timestamp, epoch seconds or ISO 8601. */
        if (!fi->ev.has_timestamp) {
            json_t *ts = gp_jg_field(U, S[a], "timestamp");
            char *exp = gp_asprintf("%s with timestamp (epoch seconds or an ISO 8601 string)",
                                    fi->ev.type_name);
            char *why =
                ts ? gp_asprintf("%s (frame %zu) with an unreadable timestamp", fi->ev.type_name,
                                 S[a])
                   : gp_asprintf("%s (frame %zu) without timestamp", fi->ev.type_name, S[a]);

            gp_jg_ufail(U, GP_RULE_FIELDS, k, U->runs[k].step, S[a], exp, why);
            gp_jg_ucause(U, k, GP_CAUSE_MISSING_FIELD);
            free(exp);
            free(why);
        }

        for (q = 0; q < sizeof field_reqs / sizeof field_reqs[0]; q++) {
            const struct field_req *fq = &field_reqs[q];
            const char *name = fq->name;
            json_t *v;
            char *exp, *why;

            if (fq->type != fi->ev.type)
                continue;
            /* The run's status lives where protocol.outcome.status says; ~ requires none. */
            if (fq->type == GP_EV_AGENT_COMPLETED && strcmp(name, "status") == 0) {
                if (!(name = U->j->o->status_path))
                    continue;
                v = gp_outcome_lookup(&fi->ev, U->j->p, name);
            } else {
                v = gp_jg_field(U, S[a], name);
            }
            if (field_ok(v, fq->req))
                continue;
            exp = gp_asprintf("%s with %s%s", fi->ev.type_name, name, req_text[fq->req]);
            why = v ? gp_asprintf("%s (frame %zu) with %s %s", fi->ev.type_name, S[a], name,
                                  json_kind(v))
                    : gp_asprintf("%s (frame %zu) without %s", fi->ev.type_name, S[a], name);
            gp_jg_ufail(U, GP_RULE_FIELDS, k, U->runs[k].step, S[a], exp, why);
            gp_jg_ucause(U, k, GP_CAUSE_MISSING_FIELD);
            free(exp);
            free(why);
        }
    }
}

static void check_ids(ujudge *U, int k, const size_t *S, size_t n, const char *thread)
{
    const urun *run = &U->runs[k];
    const char *uid = U->t->user_id;
    size_t a;

    for (a = 0; a < n; a++) {
        const gp_event *ev = &U->f[S[a]].ev;
        char *why = NULL;

        if (!ev->run_id)
            why = gp_asprintf("%s (frame %zu) without run_id", ev->type_name, S[a]);
        else if (run->run_id && strcmp(ev->run_id, run->run_id) != 0)
            why = gp_asprintf("%s (frame %zu) with run_id %s", ev->type_name, S[a], ev->run_id);
        else if (!ev->thread_id)
            why = gp_asprintf("%s (frame %zu) without thread_id", ev->type_name, S[a]);
        else if (thread && strcmp(ev->thread_id, thread) != 0)
            why =
                gp_asprintf("%s (frame %zu) with thread_id %s", ev->type_name, S[a], ev->thread_id);
        else if (!ev->user_id)
            why = gp_asprintf("%s (frame %zu) without user_id", ev->type_name, S[a]);
        else if (strcmp(ev->user_id, uid) != 0)
            why = gp_asprintf("%s (frame %zu) with user_id %s", ev->type_name, S[a], ev->user_id);
        if (why) {
            /* Written only for a failure: a passing run costs no text. */
            char *exp =
                gp_asprintf("run_id %s, thread_id %s and user_id %s on every event",
                            run->run_id ? run->run_id : "(none)", thread ? thread : "(none)", uid);

            gp_jg_ufail(U, GP_RULE_R5_IDS, k, run->step, S[a], exp, why);
            free(exp);
            free(why);
            break;
        }
    }
}

/* The run's sequence as text, written on first use (a passing run needs none) into *seq. */
static const char *seq_once(const ujudge *U, const size_t *S, size_t n, char **seq)
{
    if (!*seq)
        *seq = gp_jg_seq_text(U, S, n);
    return *seq;
}

static void check_order(ujudge *U, int k, const size_t *S, size_t n, size_t c, uint32_t required,
                        bool repeats)
{
    const urun *run = &U->runs[k];
    size_t a, nstarted = 0, ncompleted = 0, second_started = 0, second_completed = 0;
    size_t first_think = n, first_tool = n, last_completed = n;
    uint32_t seen = 0;
    char *seq = NULL, *why; /* the sequence as text, written for the first failure only */

    for (a = 0; a < n; a++) {
        gp_event_type ty = U->f[S[a]].ev.type;

        seen |= GP_EV_MASK(ty);
        if (ty == GP_EV_AGENT_STARTED && nstarted++ == 1)
            second_started = a;
        if (ty == GP_EV_AGENT_COMPLETED) {
            if (ncompleted++ == 1)
                second_completed = a;
            last_completed = a;
        }
        if (ty == GP_EV_AGENT_THINKING && first_think == n)
            first_think = a;
        if (ty == GP_EV_TOOL_EXECUTING && first_tool == n)
            first_tool = a;
    }

    /* R1 */
    if (nstarted && U->f[S[0]].ev.type != GP_EV_AGENT_STARTED) {
        gp_jg_ufail(U, GP_RULE_R1_START, k, run->step, S[0], "agent_started as the first event",
                    seq_once(U, S, n, &seq));
    } else if (nstarted > 1 && !repeats) {
        why = gp_asprintf("%zu agent_started: %s", nstarted, seq_once(U, S, n, &seq));
        gp_jg_ufail(U, GP_RULE_R1_START, k, run->step, S[second_started],
                    "agent_started exactly once", why);
        free(why);
    } else if (!nstarted && (required & GP_EV_MASK(GP_EV_AGENT_STARTED)) && n) {
        why = gp_asprintf("no agent_started: %s", seq_once(U, S, n, &seq));
        gp_jg_ufail(U, GP_RULE_R1_START, k, run->step, S[0], "agent_started as the first event",
                    why);
        free(why);
    }

    /* R2: judged only when agent_completed came; a run without one fails GP-COMPLETION. */
    if (c < n) {
        size_t last = repeats ? last_completed : c;

        if (ncompleted > 1 && !repeats) {
            why = gp_asprintf("%zu agent_completed: %s", ncompleted, seq_once(U, S, n, &seq));
            gp_jg_ufail(U, GP_RULE_R2_END, k, run->step, S[second_completed],
                        "agent_completed exactly once", why);
            free(why);
        } else if (last + 1 < n) {
            char d[48];

            gp_jg_fmt_dur(d, sizeof d, U->t->frames[S[last + 1]].t_us - U->t->frames[S[last]].t_us);
            why = gp_asprintf("%s %s after agent_completed: %s", U->f[S[last + 1]].ev.type_name, d,
                              seq_once(U, S, n, &seq));
            gp_jg_ufail(U, GP_RULE_R2_END, k, run->step, S[last + 1],
                        "nothing of the run after agent_completed", why);
            free(why);
        }
    }

    /* R3: the order always; presence only for a completed run (else GP-COMPLETION says why).
     * agent_started and agent_completed presence belong to R1 and R2/GP-COMPLETION. */
    if (first_tool < n && (required & GP_EV_MASK(GP_EV_AGENT_THINKING)) &&
        first_think > first_tool) {
        gp_jg_ufail(U, GP_RULE_R3_ALL, k, run->step, S[first_tool],
                    "agent_thinking before the first tool_executing", seq_once(U, S, n, &seq));
    } else if (c < n) {
        static const gp_event_type middle[] = {GP_EV_AGENT_THINKING, GP_EV_TOOL_EXECUTING,
                                               GP_EV_TOOL_COMPLETED};
        gp_buf miss;

        gp_buf_init(&miss, 256);
        for (a = 0; a < 3; a++)
            if ((required & GP_EV_MASK(middle[a])) && !(seen & GP_EV_MASK(middle[a])))
                gp_buf_printf(&miss, "%s%s", miss.len ? ", " : "", gp_event_type_name(middle[a]));
        if (miss.len) {
            why = gp_asprintf("no %s: %s", miss.data, seq_once(U, S, n, &seq));
            gp_jg_ufail(U, GP_RULE_R3_ALL, k, run->step, S[c],
                        "every required event type at least once", why);
            free(why);
        }
        gp_buf_cleanup(&miss);
    }
    free(seq);
}

/* The open tool_executing events of a run: a list in arrival order (prev/next) and, per
 * tool_name, a stack (below), so closing one costs the same however many are open. */
typedef struct open_tool {
    const char *name;
    size_t frame;
    int prev, next, below; /* indices into the array, -1 for none */
} open_tool;

typedef struct open_tools {
    open_tool *v;
    size_t n;
    int head, tail; /* the oldest and the newest still open */
    size_t nopen;
    strmap top; /* tool_name -> its newest open entry, -1 when none */
} open_tools;

static void tools_push(open_tools *o, const char *name, size_t frame)
{
    int i = (int)o->n++, *top = gp_strmap_put(&o->top, name, -1, NULL);

    o->v[i] = (open_tool){name, frame, o->tail, -1, *top};
    *top = i;
    if (o->tail >= 0)
        o->v[o->tail].next = i;
    else
        o->head = i;
    o->tail = i;
    o->nopen++;
}

static void tools_remove(open_tools *o, int i)
{
    open_tool *e = &o->v[i];

    /* The entry taken is always the newest open one of its name. */
    *gp_strmap_get(&o->top, e->name) = e->below;
    if (e->prev >= 0)
        o->v[e->prev].next = e->next;
    else
        o->head = e->next;
    if (e->next >= 0)
        o->v[e->next].prev = e->prev;
    else
        o->tail = e->prev;
    o->nopen--;
}

/* The newest open entry a tool_completed of name closes: one of the same name or one
 * without a name; any open one when name is empty. -1 when none. */
static int tools_match(const open_tools *o, const char *name)
{
    const int *same, *blank;
    int a, b;

    if (!*name)
        return o->tail;
    same = gp_strmap_get(&o->top, name);
    blank = gp_strmap_get(&o->top, "");
    a = same ? *same : -1;
    b = blank ? *blank : -1;
    return a > b ? a : b;
}

static void check_tools(ujudge *U, int k, const size_t *S, size_t n, size_t c)
{
    const urun *run = &U->runs[k];
    open_tools o = {gp_calloc(n ? n : 1, sizeof *o.v), 0, -1, -1, 0, {0}};
    size_t a;
    int q;
    bool failed = false;

    for (a = 0; a < c && a < n; a++) {
        const gp_event *ev = &U->f[S[a]].ev;
        const char *name = json_string_value(gp_jg_field(U, S[a], "tool_name"));

        if (!name)
            name = "";
        if (ev->type == GP_EV_TOOL_EXECUTING) {
            tools_push(&o, name, S[a]);
        } else if (ev->type == GP_EV_TOOL_COMPLETED) {
            /* A missing tool_name already fails GP-FIELDS; it matches any name here so one
             * defect is not reported twice. */
            q = tools_match(&o, name);
            if (q >= 0) {
                gp_hist_record(&U->j->r->tool_duration,
                               U->t->frames[S[a]].t_us - U->t->frames[o.v[q].frame].t_us);
                tools_remove(&o, q);
            } else if (!failed) {
                gp_buf b;

                /* The list is bounded (1 KiB): appends past it fail and are left out. */
                gp_buf_init(&b, 1024);
                for (q = o.head; q >= 0 && b.len < b.max; q = o.v[q].next)
                    gp_buf_printf(&b, "%s\"%s\"", q != o.head ? ", " : "", o.v[q].name);
                {
                    char *why =
                        gp_asprintf("tool_completed \"%s\" (frame %zu) while %s%s", name, S[a],
                                    o.nopen ? "open: " : "no tool was open", o.nopen ? b.data : "");

                    gp_jg_ufail(
                        U, GP_RULE_R4_TOOLS, k, run->step, S[a],
                        "tool_completed closing an open tool_executing of the same tool_name", why);
                    free(why);
                }
                gp_buf_cleanup(&b);
                failed = true;
            }
        }
    }
    if (c < n && o.nopen && !failed) {
        char *why = gp_asprintf("tool_executing \"%s\" (frame %zu) still open at agent_completed",
                                o.v[o.head].name, o.v[o.head].frame);

        gp_jg_ufail(U, GP_RULE_R4_TOOLS, k, run->step, o.v[o.head].frame,
                    "no tool_executing left open at agent_completed", why);
        free(why);
    }
    gp_strmap_cleanup(&o.top);
    free(o.v);
}

/* The index in S of the run's first agent_error or agent_death, or n. */
static size_t first_failure_event(const ujudge *U, const size_t *S, size_t n)
{
    size_t a;

    for (a = 0; a < n; a++)
        if (U->f[S[a]].ev.type == GP_EV_AGENT_ERROR || U->f[S[a]].ev.type == GP_EV_AGENT_DEATH)
            break;
    return a;
}

static void check_completion(ujudge *U, int k, const size_t *S, size_t n, size_t c,
                             int64_t deadline)
{
    const judge *j = U->j;
    const urun *run = &U->runs[k];
    const gp_transcript *t = U->t;
    char d[48], *exp, *why = NULL;
    size_t a, at = run->end > run->begin ? run->end - 1 : run->begin;
    size_t run_end = GP_NO_FRAME, closed = GP_NO_FRAME, errmsg = GP_NO_FRAME;
    gp_cause cause = GP_CAUSE_RUN_TIMEOUT;
    int64_t waited = -1;

    gp_jg_fmt_dur(d, sizeof d, deadline);
    exp = deadline > 0 ? gp_asprintf("agent_completed within %s of the message", d)
                       : gp_strdup("agent_completed");
    /* A run ended by agent_error or agent_death ended: whether it succeeded is GP-OUTCOME's
     * alone, so one failure is reported once. Only its timing is judged here. */
    if (c >= n)
        c = first_failure_event(U, S, n);
    if (c < n) {
        int64_t took = t->frames[S[c]].t_us - run->t0;

        if (deadline > 0 && took > deadline) {
            gp_jg_fmt_dur(d, sizeof d, took);
            why = gp_asprintf("%s after %s", U->f[S[c]].ev.type_name, d);
            /* A stalled harness reads, and so timestamps, the completion late. */
            if (gp_jg_ufail_timed(U, GP_RULE_COMPLETION, k, run->step, S[c], exp, why, run->t0,
                                  t->frames[S[c]].t_us))
                gp_jg_ucause(U, k, GP_CAUSE_RUN_TIMEOUT);
            free(why);
        }
        free(exp);
        return;
    }
    /* What happened after the runner stopped waiting did not end the run. */
    for (a = run->start; a < run->end && run_end == GP_NO_FRAME; a++) {
        if (t->frames[a].kind == GP_FR_RUN_END && a > run->begin)
            run_end = a;
        if (t->frames[a].kind == GP_FR_CLOSED && closed == GP_NO_FRAME)
            closed = a;
        if (U->f[a].parsed && U->f[a].ev.type == GP_EV_ERROR_MESSAGE && !U->f[a].claimed &&
            errmsg == GP_NO_FRAME)
            errmsg = a;
    }
    if (run_end != GP_NO_FRAME && t->frames[run_end].data &&
        strcmp(t->frames[run_end].data, "timeout") == 0) /* rounded: "10 s", not "10.0 s" */
        waited = (t->frames[run_end].t_us - run->t0 + 50000) / 100000 * 100000;
    if (errmsg != GP_NO_FRAME && closed == GP_NO_FRAME) {
        char *et = gp_jg_error_text(U, errmsg);

        why = gp_asprintf("error_message %s", et);
        free(et);
        cause = GP_CAUSE_OTHER;
        at = errmsg;
    }
    if (!why && (closed != GP_NO_FRAME || (run_end != GP_NO_FRAME && t->frames[run_end].data &&
                                           strcmp(t->frames[run_end].data, "closed") == 0))) {
        char *ct = closed != GP_NO_FRAME ? gp_jg_close_text(&t->frames[closed]) : NULL;
        char *et = errmsg != GP_NO_FRAME ? gp_jg_error_text(U, errmsg) : NULL;
        gp_buf b;

        gp_buf_init(&b, 2048);
        if (!ct)
            gp_buf_printf(&b, "closed by server");
        else if (strncmp(ct, "closed", 6) == 0)
            gp_buf_printf(&b, "%s", ct);
        else
            gp_buf_printf(&b, "closed by server: %s", ct);
        if (et)
            gp_buf_printf(&b, ", after error_message %s", et);
        why = gp_buf_steal(&b);
        free(ct);
        free(et);
        cause = GP_CAUSE_CLOSED_MID_RUN;
        at = closed != GP_NO_FRAME ? closed : run_end;
    }
    if (!why && run_end != GP_NO_FRAME && t->frames[run_end].data &&
        strcmp(t->frames[run_end].data, "interrupted") == 0) {
        why = gp_strdup("the harness was interrupted before the run ended");
        cause = GP_CAUSE_OTHER;
        at = run_end;
    }
    if (!why && n == 0) {
        /* How long the runner actually waited, which --timeout may have cut short. */
        int64_t wait = waited >= 0                               ? waited
                       : j->sc && j->sc->timeouts.first_event_us ? j->sc->timeouts.first_event_us
                                                                 : deadline;

        gp_jg_fmt_dur(d, sizeof d, wait);
        why = gp_asprintf("no event within %s of the message", d);
    }
    if (!why && waited >= 0 && waited < deadline)
        gp_jg_fmt_dur(d, sizeof d, waited);
    if (!why) {
        char last[48];
        const char *stalled = run_end != GP_NO_FRAME && t->frames[run_end].data &&
                                      strcmp(t->frames[run_end].data, "gap") == 0
                                  ? "the run stalled; "
                                  : "";

        gp_jg_fmt_dur(last, sizeof last, t->frames[S[n - 1]].t_us - run->t0);
        why = gp_asprintf("%sno agent_completed%s%s (last event: %s at %s)", stalled,
                          deadline > 0 ? " within " : "", deadline > 0 ? d : "",
                          U->f[S[n - 1]].ev.type_name, last);
    }
    if (cause == GP_CAUSE_RUN_TIMEOUT) {
        /* The runner notes a frame left half sent when the wait expired: that is why. */
        for (a = run->start; a < run->end; a++)
            if (t->frames[a].kind == GP_FR_NOTE && t->frames[a].data &&
                strncmp(t->frames[a].data, "stalled mid-frame", 17) == 0) {
                char *w = gp_asprintf("%s; the server %s", why, t->frames[a].data);

                free(why);
                why = w;
                break;
            }
    }
    if (cause == GP_CAUSE_RUN_TIMEOUT && run_end != GP_NO_FRAME && t->frames[run_end].data &&
        strcmp(t->frames[run_end].data, "timeout") == 0) {
        /* The runner gave up waiting (first event or deadline): a timing verdict. */
        if (gp_jg_ufail_timed(U, GP_RULE_COMPLETION, k, run->step, at, exp, why,
                              t->frames[run->begin].t_us, t->frames[run_end].t_us))
            gp_jg_ucause(U, k, cause);
    } else {
        gp_jg_ufail(U, GP_RULE_COMPLETION, k, run->step, at, exp, why);
        gp_jg_ucause(U, k, cause);
    }
    free(why);
    free(exp);
}

/* GP-OUTCOME: the run the user waited for succeeded. Judged for a run that ended, in
 * agent_completed or in agent_error/agent_death (a run that never ended is GP-COMPLETION's). The
 * first agent_error or agent_death fails it, even when agent_completed follows; otherwise every
 * agent_completed is checked against the scenario's protocol.outcome. */
static void check_outcome(ujudge *U, int k, const size_t *S, size_t n, size_t c)
{
    const urun *run = &U->runs[k];
    const char *rid = run->run_id ? run->run_id : "(no run_id)";
    size_t a = first_failure_event(U, S, n);
    char *exp = NULL, *got = NULL, *want, *why;

    if (a == n && c >= n)
        return;
    U->applicable |= 1u << GP_RULE_OUTCOME;
    if (a < n) {
        gp_event_type ty = U->f[S[a]].ev.type;
        char *et = gp_jg_error_text(U, S[a]);

        why = gp_asprintf("%s's run %s ended in %s (frame %zu)%s: %s", U->t->user_id, rid,
                          U->f[S[a]].ev.type_name, S[a],
                          c < n ? ", agent_completed came after it" : "", et);
        gp_jg_ufail(U, GP_RULE_OUTCOME, k, run->step, S[a],
                    "a successful run: no agent_error or agent_death", why);
        gp_jg_ucause(U, k, ty == GP_EV_AGENT_ERROR ? GP_CAUSE_AGENT_ERROR : GP_CAUSE_AGENT_DEATH);
        free(et);
        free(why);
        return;
    }
    for (a = c; a < n; a++) {
        if (U->f[S[a]].ev.type != GP_EV_AGENT_COMPLETED ||
            !gp_outcome_check(U->j->o, &U->f[S[a]].ev, U->j->p, &exp, &got))
            continue;
        why = gp_asprintf("%s's run %s: agent_completed (frame %zu) with %s", U->t->user_id, rid,
                          S[a], got);
        want = gp_asprintf("a successful run: %s", exp);
        gp_jg_ufail(U, GP_RULE_OUTCOME, k, run->step, S[a], want, why);
        gp_jg_ucause(U, k, GP_CAUSE_RUN_FAILED);
        free(want);
        free(why);
        free(exp);
        free(got);
        return;
    }
}

/* A gap that overlaps a stall of the harness may be the harness's own: it is inconclusive,
 * and the search goes on for a gap that is the server's alone. */
static void check_gaps(ujudge *U, int k, const size_t *S, size_t n, int64_t max_gap)
{
    size_t a;
    bool failed = false, inconclusive = false;

    for (a = 1; a < n; a++) {
        int64_t t0 = U->t->frames[S[a - 1]].t_us, t1 = U->t->frames[S[a]].t_us, gap = t1 - t0, lag;

        gp_hist_record(&U->j->r->gaps, gap);
        if (max_gap > 0 && gap > max_gap && !failed) {
            char g[48], m[48], *exp, *why;

            lag = gp_jg_stall_lag(U->j, t0, t1);
            if (lag > 0 && inconclusive)
                continue;
            gp_jg_fmt_dur(g, sizeof g, gap);
            gp_jg_fmt_dur(m, sizeof m, max_gap);
            exp = gp_asprintf("at most %s between consecutive events", m);
            why = gp_asprintf("%s between %s and %s (frame %zu)", g, U->f[S[a - 1]].ev.type_name,
                              U->f[S[a]].ev.type_name, S[a]);
            if (lag > 0) {
                gp_jg_uinconclusive(U, GP_RULE_GAP, k, U->runs[k].step, S[a], exp, why, lag,
                                    "during this gap");
                inconclusive = true;
            } else {
                gp_jg_ufail(U, GP_RULE_GAP, k, U->runs[k].step, S[a], exp, why);
                failed = true;
            }
            free(exp);
            free(why);
        }
    }
}

/* Run ids that earlier runs used and this window does not start again: events carrying them
 * are stragglers of those runs, not part of this one. */
/* The earlier run an event of run_id belongs to, or -1: a run judged before this one with
 * that run_id, unless the window has an agent_started of it (then it is a run of its own).
 * started holds the run_ids of the window's agent_started events. Constant time: a server
 * choosing a new run_id per event must not make the judge rescan. */
static int straggler_of(const ujudge *U, const char *run_id, const strmap *started)
{
    int q = gp_owners_get(&U->run_ids, run_id);

    if (!run_id || q < 0 || gp_strmap_get(started, run_id))
        return -1;
    return q;
}

void gp_jg_judge_run(ujudge *U, int k)
{
    judge *j = U->j;
    urun *run = &U->runs[k];
    const gp_step *st = gp_scenario_step(j->sc, run->step);
    uint32_t required = GP_EV_GOLDEN_MASK;
    bool repeats = false;
    int64_t max_gap = 0, deadline = j->sc ? j->sc->timeouts.run_us : 0;
    size_t *W, *S, nw = 0, n = 0, a, c;
    const char *thread = NULL, *others[2] = {NULL, NULL};
    size_t nothers = 0, other_frame = GP_NO_FRAME;
    char *sent_th = NULL;
    strmap started = {0}, others_map = {0};

    if (st && st->kind == GP_STEP_EXPECT_RUN) {
        required = st->u.expect_run.required;
        repeats = st->u.expect_run.allow_repeats;
        max_gap = st->u.expect_run.max_gap_us;
        if (st->u.expect_run.deadline_us)
            deadline = st->u.expect_run.deadline_us;
    }
    W = gp_calloc(run->end - run->start + 1, sizeof *W);
    S = gp_calloc(run->end - run->start + 1, sizeof *S);
    for (a = run->start; a < run->end; a++)
        if (U->f[a].run == k && gp_jg_is_run_event(&U->f[a]) && !U->f[a].claimed)
            W[nw++] = a;

    if (nw == 0 && !run->conn_ok) {
        const char *why = run->conn_why ? run->conn_why : "no connection";
        char d[48], *exp;
        int64_t lag = 0;

        /* A run that never had its connection because the connect timed out in a stall of
         * the harness is as inconclusive as that connect. */
        for (a = run->begin; a-- > 0;) {
            if (U->t->frames[a].kind == GP_FR_CONNECT) {
                lag = U->f[a].stall_lag;
                break;
            }
        }
        gp_jg_fmt_dur(d, sizeof d, deadline);
        exp = gp_asprintf("agent_completed within %s of the message", d);
        if (lag > 0)
            gp_jg_uinconclusive(U, GP_RULE_COMPLETION, k, run->step, run->begin, exp, why, lag,
                                "while this user connected");
        else
            gp_jg_ufail(U, GP_RULE_COMPLETION, k, run->step, run->begin, exp, why);
        free(exp);
        goto out;
    }
    /* A run that received nothing of its own is judged by GP-COMPLETION alone: counting the
     * order, id and field rules as passed over no events would overstate them. */
    U->applicable |= 1u << GP_RULE_COMPLETION;
    if (nw > 0) {
        U->applicable |= 1u << GP_RULE_R1_START | 1u << GP_RULE_R2_END | 1u << GP_RULE_R3_ALL |
                         1u << GP_RULE_R4_TOOLS | 1u << GP_RULE_R5_IDS |
                         1u << GP_RULE_R6_ISOLATION | 1u << GP_RULE_FIELDS;
        if (max_gap > 0)
            U->applicable |= 1u << GP_RULE_GAP;
    }

    /* Stragglers of earlier runs leave the window; after a completion they break R2 there. */
    for (a = 0; a < nw; a++)
        if (U->f[W[a]].ev.type == GP_EV_AGENT_STARTED && U->f[W[a]].ev.run_id)
            gp_strmap_put(&started, U->f[W[a]].ev.run_id, 0, NULL);
    for (a = 0; a < nw; a++) {
        finfo *fi = &U->f[W[a]];
        int q = straggler_of(U, fi->ev.run_id, &started);

        if (q < 0)
            continue;
        fi->claimed = true;
        if (U->runs[q].completed) {
            char *why = gp_asprintf("%s of run %s arrived after its agent_completed, during a "
                                    "later run (frame %zu)",
                                    fi->ev.type_name, fi->ev.run_id, W[a]);

            gp_jg_ufail(U, GP_RULE_R2_END, q, U->runs[q].step, W[a],
                        "nothing of the run after agent_completed", why);
            free(why);
        }
    }
    for (a = 0; a < nw && !run->run_id; a++)
        if (!U->f[W[a]].claimed && U->f[W[a]].ev.type == GP_EV_AGENT_STARTED)
            run->run_id = U->f[W[a]].ev.run_id;
    for (a = 0; a < nw && !run->run_id; a++)
        if (!U->f[W[a]].claimed)
            run->run_id = U->f[W[a]].ev.run_id;

    /* A second run_id that has its own agent_started is another run in this window: number
     * those run_ids in the order of their first agent_started, then claim their events in
     * one pass (the frame shown is the first event of the first of them). */
    for (a = 0; a < nw; a++) {
        const gp_event *ev = &U->f[W[a]].ev;
        bool created;

        if (U->f[W[a]].claimed || ev->type != GP_EV_AGENT_STARTED || !ev->run_id || !run->run_id ||
            strcmp(ev->run_id, run->run_id) == 0)
            continue;
        gp_strmap_put(&others_map, ev->run_id, (int)nothers, &created);
        if (!created)
            continue;
        if (nothers < 2)
            others[nothers] = ev->run_id;
        nothers++;
    }
    for (a = 0; nothers && a < nw; a++) {
        const int *ord;

        if (U->f[W[a]].claimed || !(ord = gp_strmap_get(&others_map, U->f[W[a]].ev.run_id)))
            continue;
        U->f[W[a]].claimed = true;
        if (*ord == 0 && other_frame == GP_NO_FRAME)
            other_frame = W[a];
    }
    if (nothers) {
        char *why = gp_asprintf("events of %zu runs: %s, %s%s", nothers + 1, run->run_id, others[0],
                                nothers > 1 ? ", ..." : "");
        char *exp = gp_asprintf("events of one run (%s's message) in the run", U->t->user_id);

        gp_jg_ufail(U, GP_RULE_R6_ISOLATION, k, run->step, other_frame, exp, why);
        gp_jg_ucause(U, k, GP_CAUSE_LEAK);
        free(why);
        free(exp);
    }
    for (a = 0; a < nw; a++)
        if (!U->f[W[a]].claimed)
            S[n++] = W[a];

    if (run->sent != GP_NO_FRAME)
        sent_th = gp_jg_sent_thread(j, &U->t->frames[run->sent]);
    thread = sent_th;
    if (!thread && U->t->frames[run->begin].data && *U->t->frames[run->begin].data)
        thread = U->t->frames[run->begin].data; /* the runner notes the message's thread */
    for (a = 0; a < n && !thread; a++)
        if (U->f[S[a]].ev.type == GP_EV_AGENT_STARTED)
            thread = U->f[S[a]].ev.thread_id;
    for (a = 0; a < n && !thread; a++)
        thread = U->f[S[a]].ev.thread_id;

    for (c = 0; c < n && U->f[S[c]].ev.type != GP_EV_AGENT_COMPLETED; c++)
        ;
    run->completed = c < n;
    check_order(U, k, S, n, c, required, repeats);
    check_tools(U, k, S, n, c);
    check_ids(U, k, S, n, thread);
    check_fields(U, k, S, n);
    check_completion(U, k, S, n, c, deadline);
    check_outcome(U, k, S, n, c);
    check_gaps(U, k, S, n, max_gap);

    {
        uint32_t done = 0;

        for (a = 0; a < n; a++) {
            gp_event_type ty = U->f[S[a]].ev.type;

            if (ty < GP_EV_GOLDEN_COUNT && !(done & GP_EV_MASK(ty))) {
                done |= GP_EV_MASK(ty);
                gp_hist_record(&j->r->latency[ty], U->t->frames[S[a]].t_us - run->t0);
                run->lat[ty] = U->t->frames[S[a]].t_us - run->t0;
            }
        }
        if (c < n)
            run->done_us = U->t->frames[S[c]].t_us;
        if (c < n)
            gp_hist_record(&j->r->run_duration, U->t->frames[S[c]].t_us - run->t0);
    }
out:
    if (run->run_id)
        *gp_strmap_put(&U->run_ids, run->run_id, k, NULL) = k;
    gp_strmap_cleanup(&started);
    gp_strmap_cleanup(&others_map);
    free(sent_th);
    free(W);
    free(S);
}
