/* judge.c - the golden-path rules over recorded transcripts. It first builds an isolation
 * registry across users (who owns which thread_id, run_id, user_id and nonce), then judges each
 * user alone: connects and auth refusals, frame hygiene, leaks, each run window, expect steps.
 * A timing verdict whose wait overlaps a stall of the harness is inconclusive, not failed.
 * It never touches the network and never prints; everything it concludes goes into gp_results.
 * The rules over one run window are in judge_run.c. Above 1,000 lines: the registry, the
 * per-user pass and the connect, frame, late-event and expect rules share one state. */
#include "judge_int.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- the judge's state ---- */

static const char *uid_of(const judge *j, int owner)
{
    if (owner >= 0 && (size_t)owner < j->n && j->ts[owner] && j->ts[owner]->user_id)
        return j->ts[owner]->user_id;
    return "another user";
}

/* A verdict the harness, not the server, stands in the way of: cause says why. */
static void uinconclusive_because(ujudge *U, gp_rule rule, int run, int step, size_t frame,
                                  const char *expected, const char *received, const char *cause)
{
    U->applicable |= 1u << rule;
    if (run >= 0 && (size_t)run < U->nruns)
        U->runs[run].inconclusive = true;
    gp_results_mark_inconclusive(U->j->r, rule, U->u, step, frame, expected, received, cause);
}

void gp_jg_ufail(ujudge *U, gp_rule rule, int run, int step, size_t frame, const char *expected,
                  const char *received)
{
    if (U->harness_cut != GP_NO_FRAME && (frame == GP_NO_FRAME || frame >= U->harness_cut)) {
        uinconclusive_because(
            U, rule, run, step, frame, expected, received,
            "the harness closed the connection: libwebsockets 4.1.6 cannot read on past an "
            "uncompressed message on a permessage-deflate connection (RFC 7692 allows it); not "
            "a server verdict: set target.compression: none for this server");
        return;
    }
    U->applicable |= 1u << rule;
    if (run >= 0 && (size_t)run < U->nruns)
        U->runs[run].failed = true;
    gp_results_fail(U->j->r, rule, U->u, step, frame, expected, received);
}

/* A cause counts once per class per run, or per user outside runs. */
void gp_jg_ucause(ujudge *U, int run, gp_cause c)
{
    uint32_t *mask = run >= 0 && (size_t)run < U->nruns ? &U->runs[run].causes : &U->out_causes;

    if (!(*mask & (1u << c))) {
        *mask |= 1u << c;
        U->j->r->causes[c]++;
    }
}

/* "5.02 s" or "480 ms": the harness's lag, as people compare it with the timeouts. */
static void fmt_lag(char *buf, size_t size, int64_t us)
{
    if (us >= 1000000)
        snprintf(buf, size, "%.2f s", (double)us / 1e6);
    else
        snprintf(buf, size, "%lld ms", (long long)(us / 1000));
}

/* The worst lag of the stalls that overlap [from, to], or 0 when none does. */
int64_t gp_jg_stall_lag(const judge *j, int64_t from, int64_t to)
{
    return gp_health_worst_lag(j->h, from, to);
}

void gp_jg_uinconclusive(ujudge *U, gp_rule rule, int run, int step, size_t frame,
                          const char *expected, const char *received, int64_t lag,
                          const char *during)
{
    char l[48], *cause;

    fmt_lag(l, sizeof l, lag);
    cause = gp_asprintf("the harness's event loop stalled %s (lag) %s; not a server verdict", l,
                        during);
    uinconclusive_because(U, rule, run, step, frame, expected, received, cause);
    free(cause);
}

/* A timing verdict: the rule broke when a wait from..to ran out. When the harness itself
 * stalled during the wait it may have been too late to see what the server sent in time, so
 * the verdict is inconclusive. Returns true when it is a failure (the caller counts causes). */
bool gp_jg_ufail_timed(ujudge *U, gp_rule rule, int run, int step, size_t frame,
                        const char *expected, const char *received, int64_t from, int64_t to)
{
    int64_t lag = gp_jg_stall_lag(U->j, from, to);

    if (lag > 0) {
        gp_jg_uinconclusive(U, rule, run, step, frame, expected, received, lag, "during this wait");
        return false;
    }
    gp_jg_ufail(U, rule, run, step, frame, expected, received);
    return true;
}

static bool same_id(const char *a, const json_t *b)
{
    return a ? json_is_string(b) && strcmp(a, json_string_value(b)) == 0 : json_is_null(b) || !b;
}

/* True when an alternative verdict judges this held identity inside the run (held_alts). */
static bool released(const judge *j, const char *run_id, const char *thread_id, const char *user_id)
{
    size_t i;

    for (i = 0; i < j->nrelease; i++)
        if ((j->release_mask & (1u << i)) &&
            same_id(run_id, json_object_get(j->release[i], "run_id")) &&
            same_id(thread_id, json_object_get(j->release[i], "thread_id")) &&
            same_id(user_id, json_object_get(j->release[i], "user_id")))
            return true;
    return false;
}

static int run_step(const ujudge *U, int run)
{
    return run >= 0 && (size_t)run < U->nruns ? U->runs[run].step : -1;
}

void gp_jg_fmt_dur(char *buf, size_t size, int64_t us)
{
    if (us < 0)
        us = 0;
    if (us >= 1000000 && us % 1000000 == 0)
        snprintf(buf, size, "%lld s", (long long)(us / 1000000));
    else if (us >= 1000000)
        snprintf(buf, size, "%.1f s", (double)us / 1e6);
    else if (us >= 1000)
        snprintf(buf, size, "%lld ms", (long long)(us / 1000));
    else
        snprintf(buf, size, "%lld us", (long long)us);
}

static const char *kind_of(const finfo *fi)
{
    return fi->parsed ? fi->ev.type_name : "frame";
}

/* The first bytes of a frame, printable, for a person to recognise it. */
static char *snippet(const gp_frame *fr)
{
    gp_buf b;
    size_t i;

    gp_buf_init(&b, SNIPPET_MAX + 8);
    for (i = 0; fr->data && i < fr->len && i < SNIPPET_MAX; i++) {
        char c = isprint((unsigned char)fr->data[i]) ? fr->data[i] : '?';

        gp_buf_append(&b, &c, 1);
    }
    if (fr->data && fr->len > SNIPPET_MAX)
        gp_buf_append(&b, "...", 3);
    if (!b.data)
        gp_buf_append(&b, "", 0);
    return gp_buf_steal(&b);
}

/* "agent_started, agent_thinking, ..." over the listed frames. */
char *gp_jg_seq_text(const ujudge *U, const size_t *idx, size_t n)
{
    gp_buf b;
    size_t i;

    gp_buf_init(&b, 4096);
    if (n == 0)
        gp_buf_printf(&b, "no run event");
    for (i = 0; i < n; i++) {
        if (n > SEQ_HEAD + SEQ_TAIL + 1 && i == SEQ_HEAD) {
            gp_buf_printf(&b, ", ... (%zu more) ...", n - SEQ_HEAD - SEQ_TAIL);
            i = n - SEQ_TAIL - 1;
            continue;
        }
        gp_buf_printf(&b, "%s%s", i ? ", " : "", U->f[idx[i]].ev.type_name);
    }
    return gp_buf_steal(&b);
}

json_t *gp_jg_field(const ujudge *U, size_t i, const char *name)
{
    return gp_event_field(&U->f[i].ev, U->j->p, name);
}

bool gp_jg_is_run_event(const finfo *fi)
{
    return fi->parsed && fi->ev.type < GP_EV_READY;
}

/* The thread_id a sent message carries (top level or a container), or NULL. */
char *gp_jg_sent_thread(const judge *j, const gp_frame *fr)
{
    json_t *root, *v;
    char *out = NULL;
    size_t i;

    if (!fr->data)
        return NULL;
    {
        /* The common case without building a JSON tree (the peek agrees with the parser
         * whenever it answers 1). */
        char buf[512];
        gp_event_peek pk;

        if (gp_event_peek_frame(fr->data, fr->len, j->p, &pk, buf, sizeof buf) == 1 &&
            pk.thread_id && *pk.thread_id)
            return gp_strdup(pk.thread_id);
    }
    root = json_loadb(fr->data, fr->len, 0, NULL);
    if (!json_is_object(root)) {
        json_decref(root);
        return NULL;
    }
    v = json_object_get(root, j->p->thread_id_key);
    for (i = 0; !json_is_string(v) && i < j->p->ncontainers; i++)
        v = json_object_get(json_object_get(root, j->p->containers[i]), j->p->thread_id_key);
    if (json_is_string(v) && json_string_length(v) > 0)
        out = gp_strdup(json_string_value(v));
    json_decref(root);
    return out;
}

/* ---- pass 1: the isolation registry ---- */

static bool may_be_started(const judge *j, const gp_frame *fr)
{
    size_t i;

    if (!fr->data)
        return false;
    if (strstr(fr->data, "agent_started"))
        return true;
    for (i = 0; i < j->p->naliases; i++)
        if (j->p->aliases[i].to && strcmp(j->p->aliases[i].to, "agent_started") == 0)
            return true;
    return false;
}

static void build_registry(judge *j)
{
    strmap fb_runs = {0}, fb_threads = {0};
    size_t u, i;

    for (u = 0; u < j->n; u++) {
        const gp_transcript *t = j->ts[u];

        if (!t)
            continue;
        gp_owners_claim(&j->users, t->user_id, (int)u);
        for (i = 0; i < t->nframes; i++) {
            char *th;

            if (t->frames[i].kind != GP_FR_SENT || !(th = gp_jg_sent_thread(j, &t->frames[i])))
                continue;
            gp_owners_claim(&j->threads, th, (int)u);
            gp_iso_thread(j->iso, u, th);
            free(th);
        }
    }
    /* A run belongs to whoever owns its thread, whoever received its agent_started. When the
     * server picked the thread, the receiver claims it, unless the event names another user;
     * two claimants make the run shared and prove nothing. */
    for (u = 0; u < j->n; u++) {
        const gp_transcript *t = j->ts[u];
        bool began = false;

        for (i = 0; t && i < t->nframes; i++) {
            const gp_frame *fr = &t->frames[i];
            gp_event ev;
            int owner;

            /* Only a user that has sent something (a message, whether an expect_run step
             * follows it or plain expect steps do) can claim a run: a run that reached a
             * user before it sent anything is not its own, whatever user_id it carries. */
            if (fr->kind == GP_FR_RUN_BEGIN || fr->kind == GP_FR_SENT)
                began = true;
            if (!began || fr->kind != GP_FR_RECV_TEXT || !may_be_started(j, fr) ||
                (j->p->max_frame_bytes && fr->len > j->p->max_frame_bytes))
                continue;
            if (gp_event_parse(fr->data, fr->len, j->p, &ev, NULL) != 0)
                continue;
            if (ev.type == GP_EV_AGENT_STARTED && ev.run_id) {
                gp_iso_started(j->iso, u, ev.run_id, ev.thread_id,
                               !ev.user_id || strcmp(ev.user_id, t->user_id) == 0);
                owner = gp_owners_get(&j->threads, ev.thread_id);
                if (owner >= 0) {
                    gp_owners_claim(&j->runs, ev.run_id, owner);
                } else if (owner == GP_OWNER_NONE &&
                           (!ev.user_id || strcmp(ev.user_id, t->user_id) == 0)) {
                    gp_owners_claim(&fb_runs, ev.run_id, (int)u);
                    gp_owners_claim(&fb_threads, ev.thread_id, (int)u);
                }
            }
            json_decref(ev.root);
        }
    }
    for (i = 0; i < fb_runs.cap; i++)
        if (fb_runs.v[i].key && gp_owners_get(&j->runs, fb_runs.v[i].key) == GP_OWNER_NONE)
            gp_owners_claim(&j->runs, fb_runs.v[i].key, fb_runs.v[i].value);
    for (i = 0; i < fb_threads.cap; i++)
        if (fb_threads.v[i].key && gp_owners_get(&j->threads, fb_threads.v[i].key) == GP_OWNER_NONE)
            gp_owners_claim(&j->threads, fb_threads.v[i].key, fb_threads.v[i].value);
    gp_strmap_cleanup(&fb_runs);
    gp_strmap_cleanup(&fb_threads);
}

/* ---- pass 2: one user ---- */

static void parse_frames(ujudge *U)
{
    const gp_profile *p = U->j->p;
    size_t i;

    for (i = 0; i < U->t->nframes; i++) {
        const gp_frame *fr = &U->t->frames[i];
        finfo *fi = &U->f[i];
        gp_err err = {0};

        fi->foreign = GP_OWNER_NONE;
        fi->run = -1;
        if (fr->kind != GP_FR_RECV_TEXT)
            continue;
        if (p->max_frame_bytes && fr->len > p->max_frame_bytes) {
            fi->oversize = true;
            continue;
        }
        if (gp_event_parse(fr->data, fr->data ? fr->len : 0, p, &fi->ev, &err) == 0) {
            fi->parsed = true;
            U->j->r->event_counts[fi->ev.type]++;
        } else {
            fi->err = gp_strdup(err.msg[0] ? err.msg : "unparseable frame");
        }
    }
}

/* Run windows: a run's events are what arrived after its message and before the next thing
 * the user sent or the next connect, so events during the runner's linger stay in it. */
static void find_windows(ujudge *U)
{
    const gp_transcript *t = U->t;
    size_t i, k, prev_begin = GP_NO_FRAME;

    for (i = 0; i < t->nframes; i++)
        if (t->frames[i].kind == GP_FR_RUN_BEGIN)
            U->nruns++;
    U->runs = gp_calloc(U->nruns ? U->nruns : 1, sizeof *U->runs);
    for (i = 0, k = 0; i < t->nframes; i++) {
        urun *run;
        size_t s, e;

        if (t->frames[i].kind != GP_FR_RUN_BEGIN)
            continue;
        run = &U->runs[k];
        run->step = t->frames[i].code;
        run->begin = i;
        run->sent = GP_NO_FRAME;
        for (s = i; s-- > 0 && (prev_begin == GP_NO_FRAME || s > prev_begin);) {
            if (t->frames[s].kind == GP_FR_SENT) {
                run->sent = s;
                break;
            }
        }
        run->start = run->sent != GP_NO_FRAME ? run->sent + 1 : i + 1;
        run->t0 = run->sent != GP_NO_FRAME ? t->frames[run->sent].t_us : t->frames[i].t_us;
        run->done_us = -1;
        for (s = 0; s < GP_EV_GOLDEN_COUNT; s++)
            run->lat[s] = -1;
        for (e = i + 1; e < t->nframes; e++) {
            gp_frame_kind kd = t->frames[e].kind;

            if (kd == GP_FR_SENT || kd == GP_FR_RUN_BEGIN || kd == GP_FR_CONNECT)
                break;
        }
        run->end = e;
        for (s = run->start; s < run->end; s++)
            if (U->f[s].run < 0)
                U->f[s].run = (int)k;
        prev_begin = i;
        k++;
    }
}

static gp_cause classify_conn_error(int code, const char *data)
{
    char low[256];
    size_t i;

    /* The runner says "the proxy ..." when a tunnel failed: the target was never reached. */
    if (data && (strstr(data, "the proxy ") || strstr(data, "to the proxy ")))
        return GP_CAUSE_PROXY;
    if (code >= 100)
        return GP_CAUSE_UPGRADE_REFUSED;
    for (i = 0; data && data[i] && i + 1 < sizeof low; i++)
        low[i] = (char)tolower((unsigned char)data[i]);
    low[i] = '\0';
    if (strstr(low, "tls") || strstr(low, "ssl") || strstr(low, "certificate"))
        return GP_CAUSE_TLS;
    if (strstr(low, "timeout") || strstr(low, "timed out"))
        return GP_CAUSE_CONNECT_TIMEOUT;
    if (strstr(low, "upgrade") || strstr(low, "unauthorized") || strstr(low, "forbidden") ||
        strstr(low, "http") || strstr(low, "hs:"))
        return GP_CAUSE_UPGRADE_REFUSED;
    if (strstr(low, "could not start"))
        return GP_CAUSE_OTHER; /* the harness failed to begin, the server was never tried */
    /* Anything else without an HTTP status failed below WebSocket: refused, unreachable,
     * unresolvable ("connection refused", libwebsockets' "Unable to connect"). */
    return GP_CAUSE_CONN_REFUSED;
}

static char *conn_error_text(const gp_frame *fr)
{
    const char *d = fr->data && *fr->data ? fr->data : "connection failed";
    char code[16];

    snprintf(code, sizeof code, "%d", fr->code);
    if (fr->code > 0 && !strstr(d, code))
        return gp_asprintf("%s (HTTP %d)", d, fr->code);
    return gp_strdup(d);
}

/* The runner words closes itself ("closed by server: 1011 internal error"); a bare reason
 * gets the code put in front. */
char *gp_jg_close_text(const gp_frame *fr)
{
    char code[16];

    snprintf(code, sizeof code, "%d", fr->code);
    if (fr->data && strstr(fr->data, code))
        return gp_strdup(fr->data);
    if (fr->data && *fr->data)
        return gp_asprintf("%d %s", fr->code, fr->data);
    return gp_strdup(code);
}

static bool closed_by_us(const gp_frame *fr)
{
    return fr->data && strncmp(fr->data, "closed by us", 12) == 0;
}

/* The error text an error-ish frame carries, wherever the server put it. */
char *gp_jg_error_text(const ujudge *U, size_t i)
{
    static const char *const keys[] = {"error_message", "error", "message", "reason", "details"};
    json_t *code = gp_jg_field(U, i, "error_code");
    size_t k;

    for (k = 0; k < sizeof keys / sizeof keys[0]; k++) {
        json_t *v = gp_jg_field(U, i, keys[k]);
        char *dump, *out;

        if (!v || json_is_null(v))
            continue;
        if (json_is_string(v))
            dump = gp_strdup(json_string_value(v));
        else if (!(dump = json_dumps(v, JSON_COMPACT)))
            continue;
        if (strlen(dump) > 200)
            strcpy(dump + 197, "...");
        out = json_is_string(code) ? gp_asprintf("%s %s", json_string_value(code), dump)
                                   : gp_strdup(dump);
        free(dump);
        return out;
    }
    return gp_strdup(json_is_string(code) ? json_string_value(code) : "no error text");
}

static char *timeout_text(const gp_frame *fr)
{
    return gp_strdup(fr->kind == GP_FR_TIMEOUT && fr->data && *fr->data ? fr->data
                                                                        : "connect timeout");
}

/* What a connect attempt ended in, scanning up to the next connect marker. */

static outcome connect_outcome(const ujudge *U, size_t i, size_t *at, bool *connected,
                               size_t *errmsg)
{
    const gp_transcript *t = U->t;
    size_t j;

    *connected = false;
    *errmsg = GP_NO_FRAME;
    for (j = i + 1; j < t->nframes && t->frames[j].kind != GP_FR_CONNECT; j++) {
        const gp_frame *fr = &t->frames[j];
        const finfo *fi = &U->f[j];

        *at = j;
        switch (fr->kind) {
        case GP_FR_CONN_ERROR:
            return OUT_ERROR;
        case GP_FR_CONNECTED:
            *connected = true;
            break;
        case GP_FR_CLOSED:
            /* The runner closing after its own timeout is no refusal by the server. */
            if (closed_by_us(fr))
                return *connected ? OUT_OPEN : OUT_TIMEOUT;
            return OUT_REJECTED;
        case GP_FR_TIMEOUT:
            return *connected ? OUT_OPEN : OUT_TIMEOUT;
        case GP_FR_RECV_TEXT:
        case GP_FR_RECV_BINARY:
        case GP_FR_OVERSIZE:
            *connected = true;
            if (fi->parsed && fi->ev.type == GP_EV_READY)
                return OUT_READY;
            if (fi->parsed && fi->ev.type == GP_EV_ERROR_MESSAGE && *errmsg == GP_NO_FRAME)
                *errmsg = j;
            break;
        default:
            break;
        }
    }
    if (*errmsg != GP_NO_FRAME) {
        *at = *errmsg;
        return OUT_REJECTED;
    }
    *at = j > i + 1 ? j - 1 : i;
    return *connected ? OUT_OPEN : OUT_NONE;
}

/* "prefix: text", unless text already says it ("connect failed: ..."): no stutter. */
static char *prefixed(const char *prefix, const char *text)
{
    if (strncmp(text, "connect failed", 14) == 0 || strncmp(text, "connection failed", 17) == 0)
        return gp_strdup(text);
    return gp_asprintf("%s: %s", prefix, text);
}

static void check_connects(ujudge *U)
{
    const gp_transcript *t = U->t;
    size_t i;

    for (i = 0; i < t->nframes; i++) {
        const gp_frame *fr = &t->frames[i];
        const gp_step *st;
        bool refused, connected;
        gp_credential cred = GP_CRED_VALID;
        size_t at = i, errmsg;
        outcome out;
        char *why = NULL, *exp = NULL;
        gp_cause cause = GP_CAUSE_OTHER;

        if (fr->kind != GP_FR_CONNECT)
            continue;
        st = gp_scenario_step(U->j->sc, fr->code);
        refused = st && st->kind == GP_STEP_CONNECT && st->u.connect.expect_refused;
        if (st && st->kind == GP_STEP_CONNECT)
            cred = st->u.connect.credential;
        out = connect_outcome(U, i, &at, &connected, &errmsg);
        if (out == OUT_ERROR)
            cause = classify_conn_error(t->frames[at].code, t->frames[at].data);
        else if (out == OUT_TIMEOUT)
            cause = GP_CAUSE_CONNECT_TIMEOUT;

        if (refused) {
            const char *cn = gp_credential_name(cred);

            if (out == OUT_NONE)
                continue;
            if ((out == OUT_ERROR && cause != GP_CAUSE_UPGRADE_REFUSED) || out == OUT_TIMEOUT) {
                /* The server was not reached, so nothing was proved about credentials. */
                why = out == OUT_ERROR ? conn_error_text(&t->frames[at])
                                       : timeout_text(&t->frames[at]);
                exp =
                    gp_asprintf("a connection to the server, which refuses credential \"%s\"", cn);
                if (out == OUT_TIMEOUT && t->frames[at].kind == GP_FR_TIMEOUT) {
                    if (gp_jg_ufail_timed(U, GP_RULE_CONNECT, -1, fr->code, at, exp, why, fr->t_us,
                                    t->frames[at].t_us))
                        U->j->r->causes[cause]++;
                } else {
                    gp_jg_ufail(U, GP_RULE_CONNECT, -1, fr->code, at, exp, why);
                    U->j->r->causes[cause]++;
                }
            } else if (out == OUT_ERROR || out == OUT_REJECTED) {
                /* Only a refusal that is about credentials proves they are checked: HTTP
                 * 401/403, error_message AUTH_FAILED, or close 1008. A 404, a 502 or a
                 * crash-close 1011 says nothing about authentication. */
                const gp_frame *af = &t->frames[at];
                json_t *ec = errmsg != GP_NO_FRAME ? gp_jg_field(U, errmsg, "error_code") : NULL;
                bool proper =
                    out == OUT_ERROR
                        ? af->code == 401 || af->code == 403 ||
                              (af->code == 0 && af->data &&
                               (strstr(af->data, "unauthorized") || strstr(af->data, "forbidden")))
                        : (json_is_string(ec) &&
                           strcmp(json_string_value(ec), "AUTH_FAILED") == 0) ||
                              (af->kind == GP_FR_CLOSED && af->code == 1008);

                U->applicable |= 1u << GP_RULE_AUTH;
                if (!proper) {
                    char *ct = af->kind == GP_FR_CLOSED ? gp_jg_close_text(af) : NULL;
                    char *et = errmsg != GP_NO_FRAME ? gp_jg_error_text(U, errmsg) : NULL;

                    exp = gp_asprintf("the server refuses credential \"%s\" (HTTP 401/403, or "
                                      "error_message AUTH_FAILED and close 1008)",
                                      cn);
                    if (out == OUT_ERROR) {
                        char *cet = conn_error_text(af);

                        why = gp_asprintf("not an authentication refusal: %s", cet);
                        free(cet);
                    } else {
                        why = gp_asprintf("not an authentication refusal: %s%s%s%s",
                                          et ? "error_message " : "", et ? et : "",
                                          et && ct ? ", then " : "", ct ? ct : "");
                    }
                    gp_jg_ufail(U, GP_RULE_AUTH, -1, fr->code, at, exp, why);
                    U->j->r->causes[GP_CAUSE_OTHER]++;
                    free(ct);
                    free(et);
                }
            } else {
                exp = gp_asprintf("the server refuses credential \"%s\" (HTTP 401/403, or "
                                  "error_message AUTH_FAILED and close 1008)",
                                  cn);
                why = out == OUT_READY
                          ? gp_asprintf("credential \"%s\" was accepted: %s arrived", cn,
                                        U->f[at].ev.type_name)
                          : gp_asprintf("credential \"%s\" was accepted: the connection stayed "
                                        "open without an error",
                                        cn);
                gp_jg_ufail(U, GP_RULE_AUTH, -1, fr->code, at, exp, why);
                U->j->r->causes[GP_CAUSE_AUTH_ACCEPTED]++;
            }
            free(why);
            free(exp);
            continue;
        }

        U->applicable |= 1u << GP_RULE_CONNECT;
        if (out == OUT_READY) {
            U->conn_succeeded = true;
            continue;
        }
        if (out == OUT_ERROR) {
            why = conn_error_text(&t->frames[at]);
        } else if (out == OUT_REJECTED) {
            char *ct = t->frames[at].kind == GP_FR_CLOSED ? gp_jg_close_text(&t->frames[at]) : NULL;
            char *et = errmsg != GP_NO_FRAME ? gp_jg_error_text(U, errmsg) : NULL;

            why = gp_asprintf("%s%s%s%s before a ready frame", et ? "error_message " : "",
                              et ? et : "", et && ct ? ", then " : "", ct ? ct : "");
            cause = (ct && t->frames[at].code == 1008) || (et && strstr(et, "AUTH"))
                        ? GP_CAUSE_UPGRADE_REFUSED
                        : GP_CAUSE_OTHER;
            free(ct);
            free(et);
        } else if (t->frames[at].kind == GP_FR_TIMEOUT) {
            const char *exp_c = "a connection and a ready frame (connection_established)";
            int64_t lag = gp_jg_stall_lag(U->j, fr->t_us, t->frames[at].t_us);

            why = timeout_text(&t->frames[at]);
            if (lag > 0) {
                /* Not the server's fault, as far as anyone can tell: no cause is counted, and
                 * the runs this connection would have carried are inconclusive too. */
                gp_jg_uinconclusive(U, GP_RULE_CONNECT, -1, fr->code, at, exp_c, why, lag,
                              "during this wait");
                U->f[i].stall_lag = lag;
                U->conn_failed = true;
                if (!U->conn_stall_lag)
                    U->conn_stall_lag = lag;
                if (!U->conn_why)
                    U->conn_why = prefixed("connection failed", why);
                free(why);
                continue;
            }
            cause = GP_CAUSE_CONNECT_TIMEOUT;
        } else {
            why = gp_strdup(connected ? "connected, but no ready frame arrived"
                                      : "no connection was established");
            cause = GP_CAUSE_CONNECT_TIMEOUT;
        }
        gp_jg_ufail(U, GP_RULE_CONNECT, -1, fr->code, at,
              "a connection and a ready frame (connection_established)", why);
        U->j->r->causes[cause]++;
        U->conn_failed = true;
        U->conn_real_failure = true;
        if (!U->conn_why)
            U->conn_why = prefixed("connection failed", why);
        free(why);
    }
}

/* Whether the connection was up when each run began, and if not, why. */
static void track_connection(ujudge *U)
{
    const gp_transcript *t = U->t;
    enum { ST_NONE, ST_PENDING, ST_OPEN, ST_DOWN } st = ST_NONE;
    char *why = NULL;
    size_t i, k = 0;

    for (i = 0; i < t->nframes; i++) {
        const gp_frame *fr = &t->frames[i];

        switch (fr->kind) {
        case GP_FR_CONNECT:
            st = ST_PENDING;
            break;
        case GP_FR_CONNECTED:
        case GP_FR_RECV_TEXT:
        case GP_FR_RECV_BINARY:
        case GP_FR_OVERSIZE:
            if (st != ST_DOWN || fr->kind == GP_FR_CONNECTED)
                st = ST_OPEN;
            break;
        case GP_FR_CONN_ERROR: {
            char *e = conn_error_text(fr);

            free(why);
            why = prefixed("connection failed", e);
            free(e);
            st = ST_DOWN;
            break;
        }
        case GP_FR_CLOSED: {
            char *c = gp_jg_close_text(fr);

            free(why);
            why = gp_asprintf("the connection was closed before the message: %s", c);
            free(c);
            st = ST_DOWN;
            break;
        }
        case GP_FR_RUN_BEGIN:
            if (k < U->nruns) {
                U->runs[k].conn_ok = st == ST_NONE || st == ST_OPEN;
                if (!U->runs[k].conn_ok)
                    U->runs[k].conn_why =
                        gp_strdup(st == ST_PENDING ? "the connection was never established"
                                  : why            ? why
                                                   : "no connection");
                k++;
            }
            break;
        default:
            break;
        }
    }
    free(why);
}

static void describe_leak(const ujudge *U, size_t i, int owner, char **out)
{
    const finfo *fi = &U->f[i];
    const char *who = uid_of(U->j, owner);
    const char *uid = fi->ev.user_id;
    char *uidtxt;

    if (!uid)
        uidtxt = gp_strdup("without user_id");
    else if (strcmp(uid, U->t->user_id) == 0)
        uidtxt = gp_asprintf("with user_id rewritten to %s", uid);
    else
        uidtxt = gp_asprintf("with user_id %s", uid);
    *out = gp_asprintf("%s of user %s's run %s (thread %s) %s", fi->ev.type_name, who,
                       fi->ev.run_id ? fi->ev.run_id : "(no run_id)",
                       fi->ev.thread_id ? fi->ev.thread_id : "(none)", uidtxt);
    free(uidtxt);
}

static void check_frames(ujudge *U)
{
    const judge *j = U->j;
    const gp_transcript *t = U->t;
    size_t i;
    char *exp6 = gp_asprintf("only events of %s's own runs", t->user_id);

    for (i = 0; i < t->nframes; i++) {
        const gp_frame *fr = &t->frames[i];
        finfo *fi = &U->f[i];
        char *why = NULL;
        gp_cause cause = GP_CAUSE__COUNT;
        int owner;

        switch (fr->kind) {
        case GP_FR_CONNECTED:
            U->applicable |= 1u << GP_RULE_R7_FRAMES;
            break;
        case GP_FR_RECV_BINARY:
            why = gp_asprintf("a binary frame of %zu bytes", fr->len);
            cause = GP_CAUSE_BINARY_FRAME;
            break;
        case GP_FR_NOTE:
            /* Not the server's fault (RFC 7692 allows it), but the run cannot be judged:
             * an inconclusive verdict (see ufail) that says why and what to do, never a
             * silent pass. */
            if (fr->data && strcmp(fr->data, GP_NOTE_UNCOMPRESSED) == 0) {
                why = gp_strdup(fr->data);
                cause = GP_CAUSE_OTHER;
            }
            break;
        case GP_FR_OVERSIZE: {
            const gp_frame *nx = i + 1 < t->nframes ? &t->frames[i + 1] : NULL;
            bool bomb = nx && nx->kind == GP_FR_NOTE && nx->data &&
                        strcmp(nx->data, GP_NOTE_INFLATE_STOPPED) == 0;

            why = gp_asprintf("a frame of %s%zu bytes, over the %zu-byte limit%s%s",
                              bomb ? "at least " : "", fr->len,
                              fr->code > 0 ? (size_t)fr->code : j->p->max_frame_bytes,
                              bomb ? ": " : "", bomb ? nx->data : "");
            cause = GP_CAUSE_OVERSIZE_FRAME;
            break;
        }
        case GP_FR_RECV_TEXT:
            U->applicable |= 1u << GP_RULE_R7_FRAMES;
            if (fi->oversize) {
                why = gp_asprintf("a frame of %zu bytes, over the %zu-byte limit", fr->len,
                                  j->p->max_frame_bytes);
                cause = GP_CAUSE_OVERSIZE_FRAME;
            } else if (!fi->parsed) {
                char *sn = snippet(fr);

                why = gp_asprintf("%s: %s", fi->err, sn);
                free(sn);
                cause = strncmp(fi->err, "invalid JSON", 12) == 0 ||
                                strcmp(fi->err, "frame is not a JSON object") == 0
                            ? GP_CAUSE_INVALID_JSON
                            : GP_CAUSE_OTHER;
            }
            break;
        default:
            break;
        }
        if (why) {
            gp_jg_ufail(U, GP_RULE_R7_FRAMES, fi->run, run_step(U, fi->run), i,
                  "well-formed JSON object text frames with a \"type\"", why);
            gp_jg_ucause(U, fi->run, cause);
            free(why);
        }
        if (fr->kind != GP_FR_RECV_TEXT || fi->oversize)
            continue;

        if (fi->parsed) {
            int ro = gp_owners_get(&j->runs, fi->ev.run_id),
                to = gp_owners_get(&j->threads, fi->ev.thread_id);
            int uo = GP_OWNER_NONE;

            if (gp_jg_is_run_event(fi))
                U->applicable |= 1u << GP_RULE_R6_ISOLATION;
            if (fi->ev.user_id && strcmp(fi->ev.user_id, t->user_id) != 0) {
                uo = gp_owners_get(&j->users, fi->ev.user_id);
                if (uo == GP_OWNER_SHARED)
                    uo = INT32_MAX; /* some other users' id: a leak whose owner is ambiguous */
            }
            owner = ro >= 0 && (size_t)ro != U->u   ? ro
                    : to >= 0 && (size_t)to != U->u ? to
                    : uo >= 0 && (size_t)uo != U->u ? uo
                                                    : GP_OWNER_NONE;
            if (owner != GP_OWNER_NONE) {
                fi->foreign = owner;
                fi->claimed = true;
                describe_leak(U, i, owner, &why);
                gp_jg_ufail(U, GP_RULE_R6_ISOLATION, fi->run, run_step(U, fi->run), i, exp6, why);
                gp_jg_ucause(U, fi->run, GP_CAUSE_LEAK);
                free(why);
                why = NULL;
                continue;
            }
            /* Ids no user of this shard owns may be another shard's: the digest keeps them. */
            if (j->iso || j->hold_foreign) {
                bool other_uid = fi->ev.user_id && strcmp(fi->ev.user_id, t->user_id) != 0 &&
                                 uo == GP_OWNER_NONE;

                if ((fi->ev.run_id && ro == GP_OWNER_NONE) ||
                    (fi->ev.thread_id && to == GP_OWNER_NONE) || other_uid) {
                    gp_iso_unattributed(j->iso, U->u, i, fi->run, run_step(U, fi->run),
                                        fi->ev.type_name, fi->ev.run_id, fi->ev.thread_id,
                                        other_uid ? fi->ev.user_id : NULL);
                    /* Held: a run event in a run window that names neither a run nor a thread
                     * of this user's is, in one process, another user's (claimed above, so
                     * not judged as part of the run) whenever one of its ids is. A shard
                     * cannot see that owner, so it takes the frame out of the window's
                     * sequence as one process would take out the leak, and merge fails
                     * GP-R6-ISOLATION once the digest names the owner: the order, id,
                     * completion and field rules then judge what a single run judges. */
                    if (j->hold_foreign && fi->run >= 0 && gp_jg_is_run_event(fi) &&
                        ro != (int)U->u && to != (int)U->u &&
                        !released(j, fi->ev.run_id, fi->ev.thread_id,
                                  other_uid ? fi->ev.user_id : NULL)) {
                        if (j->iso && !gp_iso_held(j->iso, U->u, fi->ev.run_id, fi->ev.thread_id,
                                                   other_uid ? fi->ev.user_id : NULL))
                            U->j->held_lost = true;
                        fi->claimed = true;
                        continue;
                    }
                }
            }
            if (fi->ev.type == GP_EV_TOOL_EXECUTING) {
                const char *tn = json_string_value(gp_jg_field(U, i, "tool_name"));

                if (tn)
                    gp_results_count_tool(U->j->r, tn);
            }
        }
        if (fr->data && (owner = gp_nonce_index_find(&j->nonces, fr->data, fr->len, (int)U->u,
                                                     t->nonce)) >= 0) {
            why = gp_asprintf("%s containing the nonce of user %s", kind_of(fi), uid_of(j, owner));
            gp_jg_ufail(U, GP_RULE_R6_ISOLATION, fi->run, run_step(U, fi->run), i, exp6, why);
            gp_jg_ucause(U, fi->run, GP_CAUSE_LEAK);
            free(why);
        } else if (fr->data) {
            gp_iso_tokens(j->iso, U->u, i, fi->run, run_step(U, fi->run), fr->data, fr->len,
                          t->nonce);
        }
    }
    if (t->dropped) {
        /* A server that floods a user past the transcript bound is judged on what was kept,
         * and the flood itself is a failure: nothing after the bound can be vouched for. */
        char *why = gp_asprintf("%zu frames beyond the transcript bound (%zu frames, %zu KiB) "
                                "that could not be kept",
                                t->dropped, t->max_frames, t->max_bytes >> 10);

        U->applicable |= 1u << GP_RULE_R7_FRAMES;
        gp_jg_ufail(U, GP_RULE_R7_FRAMES, -1, -1, GP_NO_FRAME, "a bounded number of frames", why);
        gp_jg_ucause(U, -1, GP_CAUSE_OTHER);
        free(why);
    }
    free(exp6);
}

/* Events of a completed run that arrive after its window (after a later send) break R2. */
static void check_late(ujudge *U)
{
    strmap begun = {0}; /* run_id -> the latest run that began before frame i */
    size_t i, next = 0;

    for (i = 0; i < U->t->nframes; i++) {
        finfo *fi = &U->f[i];
        int q;

        /* Runs begin in frame order: add each once, as the sweep passes its begin. */
        for (; next < U->nruns && U->runs[next].begin < i; next++)
            if (U->runs[next].run_id)
                *gp_strmap_put(&begun, U->runs[next].run_id, (int)next, NULL) = (int)next;
        if (fi->run >= 0 || fi->claimed || !gp_jg_is_run_event(fi) || !fi->ev.run_id)
            continue;
        q = gp_owners_get(&begun, fi->ev.run_id);
        if (q >= 0 && U->runs[q].completed) {
            char *why = gp_asprintf("%s of run %s arrived after its agent_completed (frame %zu)",
                                    fi->ev.type_name, fi->ev.run_id, i);

            gp_jg_ufail(U, GP_RULE_R2_END, q, U->runs[q].step, i,
                  "nothing of the run after agent_completed", why);
            free(why);
        }
    }
    gp_strmap_cleanup(&begun);
    /* Run events outside all of the user's runs, of a run it never started, are another
     * user's: a leak even when nothing in them names the other user (a rewritten user_id, a
     * server-picked thread, a message not echoed). */
    for (i = 0; i < U->t->nframes; i++) {
        finfo *fi = &U->f[i];
        char *exp, *why;
        int q = -1;

        if (fi->run >= 0 || fi->claimed || !gp_jg_is_run_event(fi))
            continue;
        q = fi->ev.run_id ? gp_owners_get(&U->run_ids, fi->ev.run_id) : -1;
        if (fi->ev.run_id && q >= 0)
            continue; /* one of its own runs: late events are R2's business above */
        /* A run the user claimed after it sent a message, followed with expect steps rather
         * than expect_run: its own, judged by those steps, not a leak. */
        if (fi->ev.run_id && gp_owners_get(&U->j->runs, fi->ev.run_id) == (int)U->u)
            continue;
        exp = gp_asprintf("only events of %s's own runs", U->t->user_id);
        why = gp_asprintf("%s (frame %zu) of run %s, which this user never started%s",
                          fi->ev.type_name, i, fi->ev.run_id ? fi->ev.run_id : "(no run_id)",
                          U->nruns == 0 || i < U->runs[0].begin ? ", before it sent any message"
                                                                : ", outside its runs");
        U->applicable |= 1u << GP_RULE_R6_ISOLATION;
        gp_jg_ufail(U, GP_RULE_R6_ISOLATION, -1, -1, i, exp, why);
        gp_jg_ucause(U, -1, GP_CAUSE_LEAK);
        free(exp);
        free(why);
    }
}

/* When the expect or ping step failing at frame i began to wait. The runner records no
 * marker of its own there, so this is the latest frame that ends a step or is the runner's
 * own act (a send, a match, a run's end, a connect, the ready frame): the wait began at it or
 * after it, and the window from it covers the whole wait. */
static int64_t wait_began(const ujudge *U, size_t i)
{
    const gp_frame *fail = &U->t->frames[i];
    size_t a;

    for (a = i; a-- > 0;) {
        const gp_frame *fr = &U->t->frames[a];

        switch (fr->kind) {
        case GP_FR_PING_SENT:
            if (fr->code == fail->code)
                break; /* the step's own ping: its wait had already begun */
            return fr->t_us;
        case GP_FR_SENT:
        case GP_FR_EXPECT_OK:
        case GP_FR_EXPECT_FAIL:
        case GP_FR_RUN_END:
        case GP_FR_CONNECT:
        case GP_FR_CONNECTED:
        case GP_FR_PONG:
            return fr->t_us;
        case GP_FR_RECV_TEXT:
            if (U->f[a].parsed && U->f[a].ev.type == GP_EV_READY)
                return fr->t_us;
            break;
        default:
            break;
        }
    }
    return U->t->nframes ? U->t->frames[0].t_us : 0;
}

/* The runner's words for an expect or ping step whose wait ran out. */
static bool expect_timed_out(const gp_frame *fr)
{
    return fr->data && (strncmp(fr->data, "no matching frame within", 24) == 0 ||
                        strncmp(fr->data, "no pong within", 14) == 0);
}

static void check_expects(ujudge *U)
{
    size_t i;

    for (i = 0; i < U->t->nframes; i++) {
        const gp_frame *fr = &U->t->frames[i];
        const gp_step *st;
        char *exp;

        if (fr->kind == GP_FR_EXPECT_OK) {
            U->applicable |= 1u << GP_RULE_EXPECT;
            continue;
        }
        if (fr->kind != GP_FR_EXPECT_FAIL)
            continue;
        st = gp_scenario_step(U->j->sc, fr->code);
        if (st && st->kind == GP_STEP_PING)
            exp = gp_asprintf("a PONG for ping step %d%s%s%s in time", fr->code,
                              st->label ? " (" : "", st->label ? st->label : "",
                              st->label ? ")" : "");
        else
            exp = gp_asprintf("expect step %d%s%s%s to match in time", fr->code,
                              st && st->label ? " (" : "", st && st->label ? st->label : "",
                              st && st->label ? ")" : "");
        if (expect_timed_out(fr))
            gp_jg_ufail_timed(U, GP_RULE_EXPECT, -1, fr->code, i, exp, fr->data, wait_began(U, i),
                        fr->t_us);
        else
            gp_jg_ufail(U, GP_RULE_EXPECT, -1, fr->code, i, exp,
                  fr->data && *fr->data ? fr->data : "no frame matched");
        free(exp);
    }
}

static size_t count_runs(const gp_step *steps, size_t n, int *first)
{
    size_t i, total = 0;

    for (i = 0; i < n; i++) {
        if (steps[i].kind == GP_STEP_EXPECT_RUN) {
            total++;
            if (*first < 0)
                *first = steps[i].id;
        } else if (steps[i].kind == GP_STEP_REPEAT) {
            total += steps[i].u.repeat.count *
                     count_runs(steps[i].u.repeat.steps, steps[i].u.repeat.nsteps, first);
        }
    }
    return total;
}

/* True when the runner recorded that an interrupted run never started this user, and the
 * transcript holds nothing but notes. */
static bool never_started(const gp_transcript *t)
{
    bool marked = false;
    size_t i;

    for (i = 0; i < t->nframes; i++) {
        if (t->frames[i].kind != GP_FR_NOTE)
            return false;
        marked =
            marked || (t->frames[i].data && strcmp(t->frames[i].data, GP_NOTE_NOT_STARTED) == 0);
    }
    return marked;
}

static void judge_user(judge *j, size_t u)
{
    ujudge U = {.j = j, .u = u, .t = j->ts[u]};
    gp_user_result *ur = &j->r->users[u];
    size_t i, k;
    int r;

    if (!U.t)
        return;
    ur->index = U.t->user_index;
    /* An iteration of a soak is a run of its own: its label names it (issue 9). */
    ur->user_id = U.t->iteration
                      ? gp_asprintf("%s iteration %u", U.t->user_id ? U.t->user_id : "",
                                    U.t->iteration)
                      : gp_strdup(U.t->user_id ? U.t->user_id : "");
    if (never_started(U.t)) {
        /* Nothing was checked: no rule applies, and the user has not passed either. */
        int first = -1;

        ur->not_started = true;
        ur->passed = false;
        ur->cause = gp_strdup("not started: the run was interrupted before this user's turn "
                              "in the ramp");
        ur->runs_expected = j->sc ? count_runs(j->sc->steps, j->sc->nsteps, &first) : 0;
        return;
    }
    if (j->fcap < U.t->nframes || !j->fbuf) {
        free(j->fbuf);
        j->fcap = U.t->nframes > 2 * j->fcap ? U.t->nframes : 2 * j->fcap;
        j->fbuf = gp_calloc(j->fcap ? j->fcap : 1, sizeof *j->fbuf);
    }
    U.f = j->fbuf;
    memset(U.f, 0, (U.t->nframes ? U.t->nframes : 1) * sizeof *U.f);
    U.harness_cut = GP_NO_FRAME;
    for (i = 0; i < U.t->nframes; i++)
        if (U.t->frames[i].kind == GP_FR_NOTE && U.t->frames[i].data &&
            strcmp(U.t->frames[i].data, GP_NOTE_UNCOMPRESSED) == 0) {
            U.harness_cut = i;
            break;
        }
    parse_frames(&U);
    find_windows(&U);
    track_connection(&U);
    check_connects(&U);
    check_frames(&U);
    for (k = 0; k < U.nruns; k++)
        gp_jg_judge_run(&U, (int)k);
    check_late(&U);
    check_expects(&U);
    for (i = 0; i < U.t->nframes; i++) {
        const gp_frame *fr = &U.t->frames[i];

        if (fr->kind == GP_FR_CONNECT && fr->data && strncmp(fr->data, "wss://", 6) == 0)
            j->r->tls = true;
        else if (fr->kind == GP_FR_CONNECTED)
            j->r->connections++;
        else if (fr->kind == GP_FR_NOTE && fr->data && i &&
                 U.t->frames[i - 1].kind == GP_FR_CONNECTED) {
            bool yes = strncmp(fr->data, GP_NOTE_DEFLATE, strlen(GP_NOTE_DEFLATE)) == 0;

            if (yes || strcmp(fr->data, GP_NOTE_NO_DEFLATE) == 0)
                j->r->deflate_offered++;
            if (yes)
                j->r->deflate_negotiated++;
        }
    }

    ur->runs_expected = U.nruns;
    if (U.nruns == 0 && U.conn_failed && !U.conn_succeeded && j->sc) {
        int first = -1;
        size_t want = count_runs(j->sc->steps, j->sc->nsteps, &first);

        if (want) {
            char d[48], *exp;

            /* The runner never began the runs: they fail for the connection's reason. */
            gp_jg_fmt_dur(d, sizeof d, j->sc->timeouts.run_us);
            exp = gp_asprintf("agent_completed within %s of the message", d);
            if (!U.conn_real_failure && U.conn_stall_lag > 0)
                gp_jg_uinconclusive(&U, GP_RULE_COMPLETION, -1, first, GP_NO_FRAME, exp, U.conn_why,
                              U.conn_stall_lag, "while this user connected");
            else
                gp_jg_ufail(&U, GP_RULE_COMPLETION, -1, first, GP_NO_FRAME, exp, U.conn_why);
            free(exp);
            ur->runs_expected = want;
            j->r->runs_total += want;
            {
                gp_run_sample smp;
                size_t w;

                memset(&smp, 0, sizeof smp);
                smp.user = u;
                smp.t0_us = U.t->nframes ? U.t->frames[0].t_us : 0;
                smp.end_us = -1;
                for (w = 0; w < GP_EV_GOLDEN_COUNT; w++)
                    smp.lat_us[w] = -1;
                for (w = 0; w < want; w++)
                    gp_results_add_sample(j->r, &smp);
            }
        }
    }
    for (k = 0; k < U.nruns; k++) {
        gp_run_sample smp;

        smp.user = u;
        smp.t0_us = U.runs[k].t0;
        smp.end_us = U.runs[k].done_us;
        memcpy(smp.lat_us, U.runs[k].lat, sizeof smp.lat_us);
        gp_results_add_sample(j->r, &smp);
        j->r->runs_total++;
        if (U.runs[k].completed)
            ur->runs_completed++;
        if (!U.runs[k].failed && !U.runs[k].inconclusive)
            j->r->runs_passed++;
        gp_iso_run(j->iso, u, !U.runs[k].failed && !U.runs[k].inconclusive,
                   U.runs[k].causes & 1u << GP_CAUSE_LEAK);
        if (j->last_runs && json_array_size(j->last_runs) < GP_ISO_MAX_RUNS)
            json_array_append_new(j->last_runs,
                                  json_pack("[b,b]", !U.runs[k].failed && !U.runs[k].inconclusive,
                                            (U.runs[k].causes & 1u << GP_CAUSE_LEAK) != 0));
    }
    j->last_applicable = U.applicable;
    j->last_leak_out = (U.out_causes & 1u << GP_CAUSE_LEAK) != 0;
    if (j->iso && U.out_causes & 1u << GP_CAUSE_LEAK)
        gp_iso_leak_outside(j->iso, u);
    for (r = 0; r < GP_RULE__COUNT; r++) {
        if (!(U.applicable & (1u << r)))
            continue;
        j->r->rules[r].checked++;
        if (!((ur->failed_rules | ur->inconclusive_rules) & (1u << r)))
            j->r->rules[r].passed++;
    }

    for (i = 0; i < U.t->nframes; i++) {
        if (U.f[i].parsed)
            json_decref(U.f[i].ev.root);
        free(U.f[i].err);
    }
    for (k = 0; k < U.nruns; k++)
        free(U.runs[k].conn_why);
    free(U.runs);
    free(U.conn_why);
    gp_strmap_cleanup(&U.run_ids);
}

/* ---- a shard's alternative verdicts ---- */

/* Empties what judging user u put into the scratch results. */
static void scratch_reset(gp_results *r, size_t u)
{
    size_t i, k;

    for (i = 0; i < GP_RULE__COUNT; i++) {
        gp_rule_result *rr = &r->rules[i];

        for (k = 0; k < rr->nexamples; k++) {
            free(rr->examples[k].expected);
            free(rr->examples[k].received);
            free(rr->examples[k].cause);
        }
        for (k = 0; k < rr->ninconclusive; k++) {
            free(rr->inconclusive_examples[k].expected);
            free(rr->inconclusive_examples[k].received);
            free(rr->inconclusive_examples[k].cause);
        }
        memset(rr, 0, sizeof *rr);
    }
    memset(r->causes, 0, sizeof r->causes);
    r->runs_total = r->runs_passed = 0;
    r->nsamples = 0;
    for (i = 0; i < r->ntools; i++)
        free(r->tools[i].name);
    r->ntools = 0;
    free(r->users[u].user_id);
    free(r->users[u].cause);
    memset(&r->users[u], 0, sizeof r->users[u]);
    r->users[u].index = u;
    r->users[u].passed = true;
}

static json_t *rule_ids(uint32_t mask)
{
    json_t *a = json_array();
    int i;

    for (i = 0; i < GP_RULE__COUNT; i++)
        if (mask & (1u << i))
            json_array_append_new(a, json_string(gp_rule_id((gp_rule)i)));
    return a;
}

static json_t *alt_example(gp_rule rule, const gp_failure *f)
{
    json_t *o =
        json_pack("{s:s,s:i,s:s,s:s}", "rule", gp_rule_id(rule), "step", f->step, "expected",
                  f->expected ? f->expected : "", "received", f->received ? f->received : "");

    json_object_set_new(o, "frame",
                        f->frame == GP_NO_FRAME ? json_null() : json_integer((json_int_t)f->frame));
    if (f->cause)
        json_object_set_new(o, "cause", json_string(f->cause));
    return o;
}

/* User u's verdict in the scratch results: what merge swaps in (full) or takes out (the
 * shard's own, !full: its counts only). */
static json_t *alt_verdict(const judge *a, size_t u, bool full)
{
    const gp_results *r = a->scratch;
    const gp_user_result *ur = &r->users[u];
    json_t *o = json_object(), *causes = json_object(), *ex;
    size_t i, k;

    json_object_set_new(o, "checked", rule_ids(a->last_applicable));
    json_object_set_new(o, "failed", rule_ids(ur->failed_rules));
    json_object_set_new(o, "inconclusive", rule_ids(ur->inconclusive_rules));
    for (i = 0; i < GP_CAUSE__COUNT; i++)
        if (r->causes[i])
            json_object_set_new(causes, gp_cause_name((gp_cause)i),
                                json_integer((json_int_t)r->causes[i]));
    json_object_set_new(o, "causes", causes);
    json_object_set_new(o, "runs_passed", json_integer((json_int_t)r->runs_passed));
    if (r->ntools) {
        json_t *tools = json_object();

        for (i = 0; i < r->ntools; i++)
            json_object_set_new(tools, r->tools[i].name,
                                json_integer((json_int_t)r->tools[i].count));
        json_object_set_new(o, "tools", tools);
    }
    if (!full)
        return o;
    json_object_set_new(o, "runs_completed", json_integer((json_int_t)ur->runs_completed));
    json_object_set_new(o, "runs", json_incref(a->last_runs));
    json_object_set_new(o, "leak_outside", json_boolean(a->last_leak_out));
    json_object_set_new(o, "cause", ur->cause ? json_string(ur->cause) : json_null());
    ex = json_array();
    for (i = 0; i < GP_RULE__COUNT; i++) {
        for (k = 0; k < r->rules[i].nexamples; k++)
            json_array_append_new(ex, alt_example((gp_rule)i, &r->rules[i].examples[k]));
        for (k = 0; k < r->rules[i].ninconclusive; k++)
            json_array_append_new(ex,
                                  alt_example((gp_rule)i, &r->rules[i].inconclusive_examples[k]));
    }
    json_object_set_new(o, "examples", ex);
    return o;
}

/* A shard cannot know whether a held identity is another shard's user's (a leak: the shard's
 * verdict stands and merge adds GP-R6-ISOLATION) or nobody's in the whole run (one process
 * then judges the event inside the run). So for a user that held events of k <= 3 identities
 * the digest gets "alt": 2^k verdicts, entry m judged with the identities of the bits of m
 * (in the order of the held entries of "unattributed") left in the run; entry 0 is the
 * shard's own verdict, for merge to take out. Costs 2^k judgings of that user only. */
static void held_alts(judge *j, size_t u)
{
    json_t *du = json_array_get(j->iso->users, u), *e, *held[GP_ISO_MAX_HELD], *alts;
    size_t i, k = 0;
    unsigned m;
    judge a;

    json_array_foreach(json_object_get(du, "unattributed"), i, e)
    {
        if (!json_is_true(json_object_get(e, "held")))
            continue;
        if (k == GP_ISO_MAX_HELD)
            return; /* beyond the limit: no alternatives, merge keeps the shard's verdict */
        held[k++] = e;
    }
    if (!k || j->held_lost)
        return;
    if (!j->scratch)
        j->scratch = gp_results_new(j->n);
    a = *j;
    a.iso = NULL;
    a.r = j->scratch;
    a.release = held;
    a.nrelease = k;
    alts = json_array();
    for (m = 0; m < 1u << k; m++) {
        scratch_reset(a.r, u);
        a.release_mask = m;
        a.last_runs = json_array();
        judge_user(&a, u);
        json_array_append_new(alts, alt_verdict(&a, u, m != 0));
        json_decref(a.last_runs);
    }
    json_object_set_new(du, "alt", alts);
}

gp_results *gp_judge_run(const gp_scenario *scenario, gp_transcript *const *ts, size_t n)
{
    return gp_judge_run_health(scenario, ts, n, NULL);
}

gp_results *gp_judge_run_health(const gp_scenario *scenario, gp_transcript *const *ts, size_t n,
                                const gp_health *health)
{
    return gp_judge_run_shard(scenario, ts, n, health, 0);
}

gp_results *gp_judge_run_shard(const gp_scenario *scenario, gp_transcript *const *ts, size_t n,
                               const gp_health *health, unsigned shards)
{
    gp_results *r = gp_results_new(ts ? n : 0);
    gp_profile fallback;
    gp_outcome fallback_outcome = {0};
    judge j;
    const char **nonces = NULL;
    size_t u;

    if (!ts)
        return r;
    memset(&j, 0, sizeof j);
    if (!scenario || !scenario->profile.type_key) {
        gp_profile_init_default(&fallback);
        j.p = &fallback;
    } else {
        j.p = &scenario->profile;
    }
    if (!scenario || !scenario->outcome.set) {
        gp_outcome_init_default(&fallback_outcome);
        j.o = &fallback_outcome;
    } else {
        j.o = &scenario->outcome;
    }
    j.sc = scenario;
    j.h = health;
    if (scenario) {
        r->tls_insecure = scenario->target.insecure;
        r->tls_client_cert = scenario->target.client_cert != NULL;
    }
    j.ts = ts;
    j.n = n;
    j.r = r;
    if (shards)
        j.iso = r->iso = gp_iso_new(ts, n);
    j.hold_foreign = shards > 1;
    build_registry(&j);
    nonces = gp_calloc(n ? n : 1, sizeof *nonces);
    for (u = 0; u < n; u++)
        nonces[u] = ts[u] ? ts[u]->nonce : NULL;
    gp_nonce_index_build(&j.nonces, (const char *const *)nonces, n);
    for (u = 0; u < n; u++) {
        j.held_lost = false;
        judge_user(&j, u);
        if (j.iso)
            held_alts(&j, u);
    }
    gp_results_free(j.scratch);
    free(j.fbuf);
    gp_strmap_cleanup(&j.threads);
    gp_strmap_cleanup(&j.runs);
    gp_strmap_cleanup(&j.users);
    gp_nonce_index_cleanup(&j.nonces);
    free(nonces);
    if (j.p == &fallback)
        gp_profile_cleanup(&fallback);
    gp_outcome_cleanup(&fallback_outcome);
    return r;
}
