/* judge.c - the golden-path rules over recorded transcripts. It first builds an isolation
 * registry across users (who owns which thread_id, run_id, user_id and nonce), then judges each
 * user alone: connects and auth refusals, frame hygiene, leaks, each run window, expect steps.
 * A timing verdict whose wait overlaps a stall of the harness is inconclusive, not failed.
 * It never touches the network and never prints; everything it concludes goes into gp_results. */
#include "judge.h"
#include "isolation.h"
#include "strindex.h"
#include "strmap.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


#define SEQ_HEAD 8 /* a long sequence shows its head and tail, where the trouble usually is */
#define SEQ_TAIL 4
#define SNIPPET_MAX 80


typedef gp_strmap strmap;

/* ---- the judge's state ---- */

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

static void ufail(ujudge *U, gp_rule rule, int run, int step, size_t frame, const char *expected,
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
static void ucause(ujudge *U, int run, gp_cause c)
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
static int64_t stall_lag(const judge *j, int64_t from, int64_t to)
{
    return gp_health_worst_lag(j->h, from, to);
}

static void uinconclusive(ujudge *U, gp_rule rule, int run, int step, size_t frame,
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
static bool ufail_timed(ujudge *U, gp_rule rule, int run, int step, size_t frame,
                        const char *expected, const char *received, int64_t from, int64_t to)
{
    int64_t lag = stall_lag(U->j, from, to);

    if (lag > 0) {
        uinconclusive(U, rule, run, step, frame, expected, received, lag, "during this wait");
        return false;
    }
    ufail(U, rule, run, step, frame, expected, received);
    return true;
}

static int run_step(const ujudge *U, int run)
{
    return run >= 0 && (size_t)run < U->nruns ? U->runs[run].step : -1;
}

static void fmt_dur(char *buf, size_t size, int64_t us)
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
static char *seq_text(const ujudge *U, const size_t *idx, size_t n)
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

static json_t *field(const ujudge *U, size_t i, const char *name)
{
    return gp_event_field(&U->f[i].ev, U->j->p, name);
}

static bool is_run_event(const finfo *fi)
{
    return fi->parsed && fi->ev.type < GP_EV_READY;
}

/* The thread_id a sent message carries (top level or a container), or NULL. */
static char *sent_thread(const judge *j, const gp_frame *fr)
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

            if (t->frames[i].kind != GP_FR_SENT || !(th = sent_thread(j, &t->frames[i])))
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

            /* Only a user that has started a run can claim one: a run that reached a user
             * before it sent anything is not its own, whatever user_id the events carry. */
            if (fr->kind == GP_FR_RUN_BEGIN)
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
static char *close_text(const gp_frame *fr)
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
static char *error_text(const ujudge *U, size_t i)
{
    static const char *const keys[] = {"error_message", "error", "message", "reason", "details"};
    json_t *code = field(U, i, "error_code");
    size_t k;

    for (k = 0; k < sizeof keys / sizeof keys[0]; k++) {
        json_t *v = field(U, i, keys[k]);
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
typedef enum outcome {
    OUT_NONE,     /* nothing recorded */
    OUT_READY,    /* a ready frame arrived */
    OUT_ERROR,    /* CONN_ERROR */
    OUT_REJECTED, /* connected, then error_message or close before any ready frame */
    OUT_OPEN,     /* connected, and nothing more until a timeout or the end */
    OUT_TIMEOUT   /* the upgrade itself timed out */
} outcome;

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
                    if (ufail_timed(U, GP_RULE_CONNECT, -1, fr->code, at, exp, why, fr->t_us,
                                    t->frames[at].t_us))
                        U->j->r->causes[cause]++;
                } else {
                    ufail(U, GP_RULE_CONNECT, -1, fr->code, at, exp, why);
                    U->j->r->causes[cause]++;
                }
            } else if (out == OUT_ERROR || out == OUT_REJECTED) {
                /* Only a refusal that is about credentials proves they are checked: HTTP
                 * 401/403, error_message AUTH_FAILED, or close 1008. A 404, a 502 or a
                 * crash-close 1011 says nothing about authentication. */
                const gp_frame *af = &t->frames[at];
                json_t *ec = errmsg != GP_NO_FRAME ? field(U, errmsg, "error_code") : NULL;
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
                    char *ct = af->kind == GP_FR_CLOSED ? close_text(af) : NULL;
                    char *et = errmsg != GP_NO_FRAME ? error_text(U, errmsg) : NULL;

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
                    ufail(U, GP_RULE_AUTH, -1, fr->code, at, exp, why);
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
                ufail(U, GP_RULE_AUTH, -1, fr->code, at, exp, why);
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
            char *ct = t->frames[at].kind == GP_FR_CLOSED ? close_text(&t->frames[at]) : NULL;
            char *et = errmsg != GP_NO_FRAME ? error_text(U, errmsg) : NULL;

            why = gp_asprintf("%s%s%s%s before a ready frame", et ? "error_message " : "",
                              et ? et : "", et && ct ? ", then " : "", ct ? ct : "");
            cause = (ct && t->frames[at].code == 1008) || (et && strstr(et, "AUTH"))
                        ? GP_CAUSE_UPGRADE_REFUSED
                        : GP_CAUSE_OTHER;
            free(ct);
            free(et);
        } else if (t->frames[at].kind == GP_FR_TIMEOUT) {
            const char *exp_c = "a connection and a ready frame (connection_established)";
            int64_t lag = stall_lag(U->j, fr->t_us, t->frames[at].t_us);

            why = timeout_text(&t->frames[at]);
            if (lag > 0) {
                /* Not the server's fault, as far as anyone can tell: no cause is counted, and
                 * the runs this connection would have carried are inconclusive too. */
                uinconclusive(U, GP_RULE_CONNECT, -1, fr->code, at, exp_c, why, lag,
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
        ufail(U, GP_RULE_CONNECT, -1, fr->code, at,
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
            char *c = close_text(fr);

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
            ufail(U, GP_RULE_R7_FRAMES, fi->run, run_step(U, fi->run), i,
                  "well-formed JSON object text frames with a \"type\"", why);
            ucause(U, fi->run, cause);
            free(why);
        }
        if (fr->kind != GP_FR_RECV_TEXT || fi->oversize)
            continue;

        if (fi->parsed) {
            int ro = gp_owners_get(&j->runs, fi->ev.run_id), to = gp_owners_get(&j->threads, fi->ev.thread_id);
            int uo = GP_OWNER_NONE;

            if (is_run_event(fi))
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
                ufail(U, GP_RULE_R6_ISOLATION, fi->run, run_step(U, fi->run), i, exp6, why);
                ucause(U, fi->run, GP_CAUSE_LEAK);
                free(why);
                why = NULL;
                continue;
            }
            /* Ids no user of this shard owns may be another shard's: the digest keeps them. */
            if (j->iso) {
                bool other_uid =
                    fi->ev.user_id && strcmp(fi->ev.user_id, t->user_id) != 0 && uo == GP_OWNER_NONE;

                if ((fi->ev.run_id && ro == GP_OWNER_NONE) || (fi->ev.thread_id && to == GP_OWNER_NONE) ||
                    other_uid)
                    gp_iso_unattributed(j->iso, U->u, i, fi->run, run_step(U, fi->run),
                                        fi->ev.type_name, fi->ev.run_id, fi->ev.thread_id,
                                        other_uid ? fi->ev.user_id : NULL);
            }
            if (fi->ev.type == GP_EV_TOOL_EXECUTING) {
                const char *tn = json_string_value(field(U, i, "tool_name"));

                if (tn)
                    gp_results_count_tool(U->j->r, tn);
            }
        }
        if (fr->data &&
            (owner = gp_nonce_index_find(&j->nonces, fr->data, fr->len, (int)U->u, t->nonce)) >= 0) {
            why = gp_asprintf("%s containing the nonce of user %s", kind_of(fi), uid_of(j, owner));
            ufail(U, GP_RULE_R6_ISOLATION, fi->run, run_step(U, fi->run), i, exp6, why);
            ucause(U, fi->run, GP_CAUSE_LEAK);
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
        ufail(U, GP_RULE_R7_FRAMES, -1, -1, GP_NO_FRAME, "a bounded number of frames", why);
        ucause(U, -1, GP_CAUSE_OTHER);
        free(why);
    }
    free(exp6);
}

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
            json_t *ts = field(U, S[a], "timestamp");
            char *exp = gp_asprintf("%s with timestamp (epoch seconds or an ISO 8601 string)",
                                    fi->ev.type_name);
            char *why =
                ts ? gp_asprintf("%s (frame %zu) with an unreadable timestamp", fi->ev.type_name,
                                 S[a])
                   : gp_asprintf("%s (frame %zu) without timestamp", fi->ev.type_name, S[a]);

            ufail(U, GP_RULE_FIELDS, k, U->runs[k].step, S[a], exp, why);
            ucause(U, k, GP_CAUSE_MISSING_FIELD);
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
                v = field(U, S[a], name);
            }
            if (field_ok(v, fq->req))
                continue;
            exp = gp_asprintf("%s with %s%s", fi->ev.type_name, name, req_text[fq->req]);
            why = v ? gp_asprintf("%s (frame %zu) with %s %s", fi->ev.type_name, S[a], name,
                                  json_kind(v))
                    : gp_asprintf("%s (frame %zu) without %s", fi->ev.type_name, S[a], name);
            ufail(U, GP_RULE_FIELDS, k, U->runs[k].step, S[a], exp, why);
            ucause(U, k, GP_CAUSE_MISSING_FIELD);
            free(exp);
            free(why);
        }
    }
}

static void check_ids(ujudge *U, int k, const size_t *S, size_t n, const char *thread)
{
    const urun *run = &U->runs[k];
    const char *uid = U->t->user_id;
    char *exp = gp_asprintf("run_id %s, thread_id %s and user_id %s on every event",
                            run->run_id ? run->run_id : "(none)", thread ? thread : "(none)", uid);
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
            ufail(U, GP_RULE_R5_IDS, k, run->step, S[a], exp, why);
            free(why);
            break;
        }
    }
    free(exp);
}

static void check_order(ujudge *U, int k, const size_t *S, size_t n, size_t c, uint32_t required,
                        bool repeats)
{
    const urun *run = &U->runs[k];
    size_t a, nstarted = 0, ncompleted = 0, second_started = 0, second_completed = 0;
    size_t first_think = n, first_tool = n, last_completed = n;
    uint32_t seen = 0;
    char *seq = seq_text(U, S, n), *why;

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
        ufail(U, GP_RULE_R1_START, k, run->step, S[0], "agent_started as the first event", seq);
    } else if (nstarted > 1 && !repeats) {
        why = gp_asprintf("%zu agent_started: %s", nstarted, seq);
        ufail(U, GP_RULE_R1_START, k, run->step, S[second_started], "agent_started exactly once",
              why);
        free(why);
    } else if (!nstarted && (required & GP_EV_MASK(GP_EV_AGENT_STARTED)) && n) {
        why = gp_asprintf("no agent_started: %s", seq);
        ufail(U, GP_RULE_R1_START, k, run->step, S[0], "agent_started as the first event", why);
        free(why);
    }

    /* R2: judged only when agent_completed came; a run without one fails GP-COMPLETION. */
    if (c < n) {
        size_t last = repeats ? last_completed : c;

        if (ncompleted > 1 && !repeats) {
            why = gp_asprintf("%zu agent_completed: %s", ncompleted, seq);
            ufail(U, GP_RULE_R2_END, k, run->step, S[second_completed],
                  "agent_completed exactly once", why);
            free(why);
        } else if (last + 1 < n) {
            char d[48];

            fmt_dur(d, sizeof d, U->t->frames[S[last + 1]].t_us - U->t->frames[S[last]].t_us);
            why = gp_asprintf("%s %s after agent_completed: %s", U->f[S[last + 1]].ev.type_name, d,
                              seq);
            ufail(U, GP_RULE_R2_END, k, run->step, S[last + 1],
                  "nothing of the run after agent_completed", why);
            free(why);
        }
    }

    /* R3: the order always; presence only for a completed run (else GP-COMPLETION says why).
     * agent_started and agent_completed presence belong to R1 and R2/GP-COMPLETION. */
    if (first_tool < n && (required & GP_EV_MASK(GP_EV_AGENT_THINKING)) &&
        first_think > first_tool) {
        ufail(U, GP_RULE_R3_ALL, k, run->step, S[first_tool],
              "agent_thinking before the first tool_executing", seq);
    } else if (c < n) {
        static const gp_event_type middle[] = {GP_EV_AGENT_THINKING, GP_EV_TOOL_EXECUTING,
                                               GP_EV_TOOL_COMPLETED};
        gp_buf miss;

        gp_buf_init(&miss, 256);
        for (a = 0; a < 3; a++)
            if ((required & GP_EV_MASK(middle[a])) && !(seen & GP_EV_MASK(middle[a])))
                gp_buf_printf(&miss, "%s%s", miss.len ? ", " : "", gp_event_type_name(middle[a]));
        if (miss.len) {
            why = gp_asprintf("no %s: %s", miss.data, seq);
            ufail(U, GP_RULE_R3_ALL, k, run->step, S[c], "every required event type at least once",
                  why);
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
        const char *name = json_string_value(field(U, S[a], "tool_name"));

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

                    ufail(U, GP_RULE_R4_TOOLS, k, run->step, S[a],
                          "tool_completed closing an open tool_executing of the same tool_name",
                          why);
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

        ufail(U, GP_RULE_R4_TOOLS, k, run->step, o.v[o.head].frame,
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

    fmt_dur(d, sizeof d, deadline);
    exp = deadline > 0 ? gp_asprintf("agent_completed within %s of the message", d)
                       : gp_strdup("agent_completed");
    /* A run ended by agent_error or agent_death ended: whether it succeeded is GP-OUTCOME's
     * alone, so one failure is reported once. Only its timing is judged here. */
    if (c >= n)
        c = first_failure_event(U, S, n);
    if (c < n) {
        int64_t took = t->frames[S[c]].t_us - run->t0;

        if (deadline > 0 && took > deadline) {
            fmt_dur(d, sizeof d, took);
            why = gp_asprintf("%s after %s", U->f[S[c]].ev.type_name, d);
            /* A stalled harness reads, and so timestamps, the completion late. */
            if (ufail_timed(U, GP_RULE_COMPLETION, k, run->step, S[c], exp, why, run->t0,
                            t->frames[S[c]].t_us))
                ucause(U, k, GP_CAUSE_RUN_TIMEOUT);
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
        char *et = error_text(U, errmsg);

        why = gp_asprintf("error_message %s", et);
        free(et);
        cause = GP_CAUSE_OTHER;
        at = errmsg;
    }
    if (!why && (closed != GP_NO_FRAME || (run_end != GP_NO_FRAME && t->frames[run_end].data &&
                                           strcmp(t->frames[run_end].data, "closed") == 0))) {
        char *ct = closed != GP_NO_FRAME ? close_text(&t->frames[closed]) : NULL;
        char *et = errmsg != GP_NO_FRAME ? error_text(U, errmsg) : NULL;
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

        fmt_dur(d, sizeof d, wait);
        why = gp_asprintf("no event within %s of the message", d);
    }
    if (!why && waited >= 0 && waited < deadline)
        fmt_dur(d, sizeof d, waited);
    if (!why) {
        char last[48];
        const char *stalled = run_end != GP_NO_FRAME && t->frames[run_end].data &&
                                      strcmp(t->frames[run_end].data, "gap") == 0
                                  ? "the run stalled; "
                                  : "";

        fmt_dur(last, sizeof last, t->frames[S[n - 1]].t_us - run->t0);
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
        if (ufail_timed(U, GP_RULE_COMPLETION, k, run->step, at, exp, why,
                        t->frames[run->begin].t_us, t->frames[run_end].t_us))
            ucause(U, k, cause);
    } else {
        ufail(U, GP_RULE_COMPLETION, k, run->step, at, exp, why);
        ucause(U, k, cause);
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
        char *et = error_text(U, S[a]);

        why = gp_asprintf("%s's run %s ended in %s (frame %zu)%s: %s", U->t->user_id, rid,
                          U->f[S[a]].ev.type_name, S[a],
                          c < n ? ", agent_completed came after it" : "", et);
        ufail(U, GP_RULE_OUTCOME, k, run->step, S[a],
              "a successful run: no agent_error or agent_death", why);
        ucause(U, k, ty == GP_EV_AGENT_ERROR ? GP_CAUSE_AGENT_ERROR : GP_CAUSE_AGENT_DEATH);
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
        ufail(U, GP_RULE_OUTCOME, k, run->step, S[a], want, why);
        ucause(U, k, GP_CAUSE_RUN_FAILED);
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

            lag = stall_lag(U->j, t0, t1);
            if (lag > 0 && inconclusive)
                continue;
            fmt_dur(g, sizeof g, gap);
            fmt_dur(m, sizeof m, max_gap);
            exp = gp_asprintf("at most %s between consecutive events", m);
            why = gp_asprintf("%s between %s and %s (frame %zu)", g, U->f[S[a - 1]].ev.type_name,
                              U->f[S[a]].ev.type_name, S[a]);
            if (lag > 0) {
                uinconclusive(U, GP_RULE_GAP, k, U->runs[k].step, S[a], exp, why, lag,
                              "during this gap");
                inconclusive = true;
            } else {
                ufail(U, GP_RULE_GAP, k, U->runs[k].step, S[a], exp, why);
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

static void judge_run(ujudge *U, int k)
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
        if (U->f[a].run == k && is_run_event(&U->f[a]) && !U->f[a].claimed)
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
        fmt_dur(d, sizeof d, deadline);
        exp = gp_asprintf("agent_completed within %s of the message", d);
        if (lag > 0)
            uinconclusive(U, GP_RULE_COMPLETION, k, run->step, run->begin, exp, why, lag,
                          "while this user connected");
        else
            ufail(U, GP_RULE_COMPLETION, k, run->step, run->begin, exp, why);
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

            ufail(U, GP_RULE_R2_END, q, U->runs[q].step, W[a],
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

        ufail(U, GP_RULE_R6_ISOLATION, k, run->step, other_frame, exp, why);
        ucause(U, k, GP_CAUSE_LEAK);
        free(why);
        free(exp);
    }
    for (a = 0; a < nw; a++)
        if (!U->f[W[a]].claimed)
            S[n++] = W[a];

    if (run->sent != GP_NO_FRAME)
        sent_th = sent_thread(j, &U->t->frames[run->sent]);
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
            }
        }
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
        if (fi->run >= 0 || fi->claimed || !is_run_event(fi) || !fi->ev.run_id)
            continue;
        q = gp_owners_get(&begun, fi->ev.run_id);
        if (q >= 0 && U->runs[q].completed) {
            char *why = gp_asprintf("%s of run %s arrived after its agent_completed (frame %zu)",
                                    fi->ev.type_name, fi->ev.run_id, i);

            ufail(U, GP_RULE_R2_END, q, U->runs[q].step, i,
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

        if (fi->run >= 0 || fi->claimed || !is_run_event(fi))
            continue;
        q = fi->ev.run_id ? gp_owners_get(&U->run_ids, fi->ev.run_id) : -1;
        if (fi->ev.run_id && q >= 0)
            continue; /* one of its own runs: late events are R2's business above */
        exp = gp_asprintf("only events of %s's own runs", U->t->user_id);
        why = gp_asprintf("%s (frame %zu) of run %s, which this user never started%s",
                          fi->ev.type_name, i, fi->ev.run_id ? fi->ev.run_id : "(no run_id)",
                          U->nruns == 0 || i < U->runs[0].begin ? ", before it sent any message"
                                                                : ", outside its runs");
        U->applicable |= 1u << GP_RULE_R6_ISOLATION;
        ufail(U, GP_RULE_R6_ISOLATION, -1, -1, i, exp, why);
        ucause(U, -1, GP_CAUSE_LEAK);
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
            ufail_timed(U, GP_RULE_EXPECT, -1, fr->code, i, exp, fr->data, wait_began(U, i),
                        fr->t_us);
        else
            ufail(U, GP_RULE_EXPECT, -1, fr->code, i, exp,
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
    ur->user_id = gp_strdup(U.t->user_id ? U.t->user_id : "");
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
    U.f = gp_calloc(U.t->nframes ? U.t->nframes : 1, sizeof *U.f);
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
        judge_run(&U, (int)k);
    check_late(&U);
    check_expects(&U);
    for (i = 0; i < U.t->nframes; i++) {
        const gp_frame *fr = &U.t->frames[i];

        if (fr->kind == GP_FR_CONNECT && fr->data && strncmp(fr->data, "wss://", 6) == 0)
            j->r->tls = true;
        else if (fr->kind == GP_FR_CONNECTED)
            j->r->connections++;
        else if (fr->kind == GP_FR_NOTE && fr->data && i && U.t->frames[i - 1].kind == GP_FR_CONNECTED) {
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
            fmt_dur(d, sizeof d, j->sc->timeouts.run_us);
            exp = gp_asprintf("agent_completed within %s of the message", d);
            if (!U.conn_real_failure && U.conn_stall_lag > 0)
                uinconclusive(&U, GP_RULE_COMPLETION, -1, first, GP_NO_FRAME, exp, U.conn_why,
                              U.conn_stall_lag, "while this user connected");
            else
                ufail(&U, GP_RULE_COMPLETION, -1, first, GP_NO_FRAME, exp, U.conn_why);
            free(exp);
            ur->runs_expected = want;
            j->r->runs_total += want;
        }
    }
    for (k = 0; k < U.nruns; k++) {
        j->r->runs_total++;
        if (U.runs[k].completed)
            ur->runs_completed++;
        if (!U.runs[k].failed && !U.runs[k].inconclusive)
            j->r->runs_passed++;
        gp_iso_run(j->iso, u, !U.runs[k].failed && !U.runs[k].inconclusive,
                   U.runs[k].causes & 1u << GP_CAUSE_LEAK);
    }
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
    free(U.f);
    free(U.conn_why);
    gp_strmap_cleanup(&U.run_ids);
}

gp_results *gp_judge_run(const gp_scenario *scenario, gp_transcript *const *ts, size_t n)
{
    return gp_judge_run_health(scenario, ts, n, NULL);
}

gp_results *gp_judge_run_health(const gp_scenario *scenario, gp_transcript *const *ts, size_t n,
                                const gp_health *health)
{
    return gp_judge_run_shard(scenario, ts, n, health, false);
}

gp_results *gp_judge_run_shard(const gp_scenario *scenario, gp_transcript *const *ts, size_t n,
                               const gp_health *health, bool digest)
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
    if (digest)
        j.iso = r->iso = gp_iso_new(ts, n);
    build_registry(&j);
    nonces = gp_calloc(n ? n : 1, sizeof *nonces);
    for (u = 0; u < n; u++)
        nonces[u] = ts[u] ? ts[u]->nonce : NULL;
    gp_nonce_index_build(&j.nonces, (const char *const *)nonces, n);
    for (u = 0; u < n; u++)
        judge_user(&j, u);
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
