/* runner_user.c - each simulated user's state machine: the transcript it records, its timers,
 * its send queue, the scenario's steps it walks, the run it waits on (expect steps, captures,
 * stalls, timeouts) and its end. */
#include <ev.h>
#include <libwebsockets.h>
#include <openssl/rand.h>
#include <stdlib.h>
#include <string.h>

#include "match.h"
#include "runner_int.h"

static bool expect_backlog(conn *c);

/* Every text kept in a transcript passes through here first: a credential of the run (any
 * user's, a server may echo one on another user's connection) becomes GP_SECRET_MARKER, so
 * nothing downstream (judge, reporters, saved transcripts) ever holds one, and offline judging
 * sees what the live run saw. Returns text, or the redacted copy, also in *owned (free()). */
const char *gp_rn_scrub(const runner *r, const char *text, size_t *len, char **owned)
{
    *owned = text ? gp_secrets_redact(r->secrets, text, *len, len) : NULL;
    return *owned ? *owned : text;
}

size_t gp_rn_record(conn *c, gp_frame_kind kind, int code, const char *data)
{
    size_t len = data ? strlen(data) : 0, idx;
    char *owned;

    data = gp_rn_scrub(c->r, data, &len, &owned);
    idx = gp_transcript_add(c->t, kind, gp_rn_now_rel(c->r), code, data, len);
    free(owned);
    return idx;
}

void gp_rn_recordf(conn *c, gp_frame_kind kind, int code, const char *fmt, ...)
{
    char buf[512];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    gp_rn_record(c, kind, code, buf);
}

static void fmt_secs(int64_t us, char *buf, size_t size)
{
    if (us % 1000000 == 0)
        snprintf(buf, size, "%llds", (long long)(us / 1000000));
    else
        snprintf(buf, size, "%.3gs", (double)us / 1e6);
}

/* ---- timers ---- */

/* Every deadline lives in the runner's heap; the loop has one timer, for the earliest. The
 * heap is O(log n) per change, where libwebsockets' own sorted list would be O(n). */

static void wake_update(runner *r)
{
    int64_t next = gp_timerheap_next(&r->timers);

    if (next == INT64_MAX) {
        ev_timer_stop(r->loop, &r->wake);
        r->wake_at = 0;
        return;
    }
    if (r->wake_at && next >= r->wake_at)
        return; /* it fires first anyway and re-arms for what is left */
    ev_timer_stop(r->loop, &r->wake);
    {
        int64_t now = gp_now_us(), d = next - now;

        ev_timer_set(&r->wake, d > 0 ? (double)d / 1e6 : 0.0, 0.0);
        /* lateness is measured from when it can fire, not from a deadline already past */
        r->wake_at = d > 0 ? next : now;
    }
    ev_now_update(r->loop);
    ev_timer_start(r->loop, &r->wake);
}

void gp_rn_timer_arm(runner *r, gp_timer *t, int64_t us, gp_timer_fn fn)
{
    gp_timer_arm(&r->timers, t, gp_now_us() + (us > 0 ? us : 0), fn);
    wake_update(r);
}

void gp_rn_cancel_timeout(conn *c)
{
    gp_timer_cancel(&c->r->timers, &c->tm_timeout);
}

void gp_rn_cancel_timers(conn *c)
{
    gp_timer_cancel(&c->r->timers, &c->tm_timeout);
    gp_timer_cancel(&c->r->timers, &c->tm_delay);
}

static void on_timeout(gp_timer *t);
static void on_delay(gp_timer *t);

void gp_rn_arm_timeout(conn *c, int64_t us)
{
    c->timeout_deferred = false;
    gp_rn_timer_arm(c->r, &c->tm_timeout, us, on_timeout);
}

void gp_rn_arm_delay(conn *c, int64_t us)
{
    gp_rn_timer_arm(c->r, &c->tm_delay, us, on_delay);
}

/* The loop woke at the earliest deadline. When it woke much later than asked, the harness
 * itself was held up (a CPU it could not get, a process stopped): that window is a stall,
 * recorded for the judge, and waits that came due in it get a grace to read what piled up. */
void gp_rn_on_wake(struct ev_loop *loop, ev_timer *w, int revents)
{
    runner *r = lws_container_of(w, runner, wake);
    int64_t now = gp_now_us(), late = r->wake_at ? now - r->wake_at : 0;
    gp_timer *t;
    unsigned budget = 0;

    (void)loop;
    (void)revents;
    r->wake_at = 0;
    if (late > GP_STALL_THRESHOLD_US) {
        gp_health_add_stall(&r->health, now - late - r->t0, now - r->t0, late);
        r->grace_until = now + STALL_GRACE_US;
    }
    /* A bounded batch per wakeup, so I/O that is ready gets its turn between batches. */
    while (budget++ < 4096 && (t = gp_timerheap_pop_due(&r->timers, now)) != NULL)
        t->fn(t);
    wake_update(r);
}

/* ---- the send queue ---- */

static int queue_text(conn *c, const char *text, size_t len)
{
    qmsg *m;

    if (c->qlen >= MAX_QUEUE)
        return -1;
    m = gp_malloc(sizeof *m + LWS_PRE + len);
    m->next = NULL;
    m->len = len;
    memcpy(m->buf + LWS_PRE, text, len);
    if (c->qtail)
        c->qtail->next = m;
    else
        c->qhead = m;
    c->qtail = m;
    c->qlen++;
    if (c->wsi)
        lws_callback_on_writable(c->wsi);
    return 0;
}

void gp_rn_queue_clear(conn *c)
{
    while (c->qhead) {
        qmsg *m = c->qhead;

        c->qhead = m->next;
        free(m);
    }
    c->qtail = NULL;
    c->qlen = 0;
}

/* ---- steps ---- */

static const gp_step *next_step(conn *c)
{
    while (c->depth > 0) {
        frame_pos *f = &c->stack[c->depth - 1];

        if (f->pos < f->n) {
            const gp_step *s = &f->steps[f->pos++];

            if (s->kind == GP_STEP_REPEAT) {
                if (s->u.repeat.count > 0 && s->u.repeat.nsteps > 0) {
                    if (c->depth == MAX_DEPTH) {
                        gp_rn_record(c, GP_FR_NOTE, s->id,
                                     "repeat nested too deeply; steps skipped");
                        continue;
                    }
                    c->stack[c->depth].steps = s->u.repeat.steps;
                    c->stack[c->depth].n = s->u.repeat.nsteps;
                    c->stack[c->depth].pos = 0;
                    c->stack[c->depth].remaining = s->u.repeat.count - 1;
                    c->depth++;
                }
                continue;
            }
            return s;
        }
        if (f->remaining > 0) {
            f->remaining--;
            f->pos = 0;
            continue;
        }
        c->depth--;
    }
    return NULL;
}

/* Ends the user's steps early: closes what is open, then the user is done. */
static void abort_user(conn *c)
{
    c->depth = 0;
    gp_rn_finish_user(c);
}

void gp_rn_begin_close(conn *c, int code, const char *reason)
{
    gp_rn_cancel_timeout(c);
    if (!c->wsi) {
        c->state = CS_READY;
        return;
    }
    c->state = CS_CLOSING;
    if (!c->established) {
        gp_rn_kill_wsi(c);
    } else {
        c->want_close = true;
        c->close_code = code;
        c->close_reason = reason ? reason : "";
        lws_callback_on_writable(c->wsi);
    }
    gp_rn_arm_timeout(c, c->r->to.close_us);
}

static int64_t think_us(const gp_step *s)
{
    int64_t lo = s->u.think.min_us, hi = s->u.think.max_us;
    uint32_t rnd = 0;

    if (hi <= lo)
        return lo;
    if (RAND_bytes((unsigned char *)&rnd, sizeof rnd) != 1)
        rnd = (uint32_t)gp_now_us();
    return lo + (int64_t)((double)rnd / 4294967296.0 * (double)(hi - lo));
}

static void do_send(conn *c, const gp_step *s)
{
    gp_err err = {0};
    gp_vars v;
    json_t *msg, *tid;
    gp_event ev;
    char *text;

    if (!c->wsi || !c->established) {
        gp_rn_record(c, GP_FR_NOTE, s->id, "send step without an open connection; steps stopped");
        abort_user(c);
        return;
    }
    gp_rn_make_vars(c, &v);
    /* Remember the thread this message names: the run it starts must stay on it. */
    free(c->run_thread);
    c->run_thread = NULL;
    /* The message's text straight from its template, and the thread id from the template's
     * node for it; jansson builds and dumps the message when the writer leaves it to it. */
    memset(&ev, 0, sizeof ev);
    ev.root = ev.body = s->u.send.message;
    tid = gp_event_field(&ev, &c->r->s->profile, c->r->s->profile.thread_id_key);
    if (!gp_template_dump(s->u.send.message, &v, json_is_string(tid) ? tid : NULL, &c->run_thread,
                          &text)) {
        msg = gp_template_expand_json(s->u.send.message, &v, &err);
        if (!msg) {
            gp_rn_recordf(c, GP_FR_NOTE, s->id, "cannot build the message: %s", err.msg);
            abort_user(c);
            return;
        }
        text = json_dumps(msg, JSON_COMPACT);
        memset(&ev, 0, sizeof ev);
        ev.root = msg;
        ev.body = msg;
        tid = gp_event_field(&ev, &c->r->s->profile, c->r->s->profile.thread_id_key);
        if (json_is_string(tid))
            c->run_thread = gp_strdup(json_string_value(tid));
        json_decref(msg);
    }
    if (!text || queue_text(c, text, strlen(text)) != 0) {
        gp_rn_record(c, GP_FR_NOTE, s->id, "send queue full; steps stopped");
        free(text);
        abort_user(c);
        return;
    }
    free(text);
    c->state = CS_WAIT_WRITE;
}

void gp_rn_run_steps(conn *c)
{
    runner *r = c->r;
    const gp_step *s;

    if (r->stopping || c->state == CS_DONE)
        return;
    s = next_step(c);
    if (!s) {
        gp_rn_finish_user(c);
        return;
    }
    c->step = s;
    switch (s->kind) {
    case GP_STEP_CONNECT:
        if (c->wsi) {
            gp_rn_record(c, GP_FR_NOTE, s->id, "connect step while connected; closing first");
            c->reconnect_after_close = false;
            c->stack[c->depth - 1].pos--; /* run this connect again once closed */
            gp_rn_begin_close(c, 1000, "reconnect");
            return;
        }
        gp_rn_start_connect(c, s->u.connect.credential, s->u.connect.expect_refused, s->id);
        return;
    case GP_STEP_SEND:
        do_send(c, s);
        return;
    case GP_STEP_EXPECT:
        if (!c->wsi) {
            gp_rn_record(c, GP_FR_EXPECT_FAIL, s->id, "no open connection to expect a frame on");
            abort_user(c);
            return;
        }
        c->state = CS_WAIT_EXPECT;
        free(c->last_mismatch);
        c->last_mismatch = NULL;
        gp_rn_arm_timeout(c, s->u.expect.timeout_us > 0 ? s->u.expect.timeout_us : r->to.expect_us);
        if (expect_backlog(c)) {
            c->state = CS_READY;
            break; /* to the next step */
        }
        return;
    case GP_STEP_EXPECT_RUN:
        c->run_begin_us = gp_rn_now_rel(r);
        c->run_any_event = false;
        c->run_started_frame = GP_NO_FRAME_INDEX;
        gp_rn_record(c, GP_FR_RUN_BEGIN, s->id, c->run_thread);
        if (!c->wsi) {
            gp_rn_record(c, GP_FR_RUN_END, s->id, "closed");
            r->runs_done++;
            r->problems++;
            abort_user(c);
            return;
        }
        c->state = CS_WAIT_RUN;
        {
            int64_t deadline =
                s->u.expect_run.deadline_us > 0 ? s->u.expect_run.deadline_us : r->to.run_us;

            gp_rn_arm_timeout(c, r->to.first_event_us < deadline ? r->to.first_event_us : deadline);
        }
        return;
    case GP_STEP_THINK:
        c->state = CS_THINK;
        gp_rn_arm_delay(c, think_us(s));
        return;
    case GP_STEP_PING:
        if (!c->wsi || !c->established) {
            gp_rn_record(c, GP_FR_EXPECT_FAIL, s->id, "no open connection to ping on");
            abort_user(c);
            return;
        }
        c->state = CS_WAIT_PONG;
        c->ping_pending = true;
        lws_callback_on_writable(c->wsi);
        gp_rn_arm_timeout(c, s->u.ping.timeout_us > 0 ? s->u.ping.timeout_us : r->to.expect_us);
        return;
    case GP_STEP_CLOSE:
        if (!c->wsi) {
            gp_rn_run_steps(c);
            return;
        }
        gp_rn_begin_close(c, s->u.close.code ? s->u.close.code : 1000,
                          s->u.close.reason ? s->u.close.reason : "done");
        return;
    case GP_STEP_RECONNECT:
        if (!c->wsi) {
            c->state = CS_RECONNECT_DELAY;
            gp_rn_arm_delay(c, s->u.reconnect.delay_us);
            return;
        }
        c->reconnect_after_close = true;
        gp_rn_begin_close(c, 1000, "reconnect");
        return;
    case GP_STEP_REPEAT:
        break; /* next_step never returns one */
    }
    gp_rn_run_steps(c);
}

void gp_rn_finish_user(conn *c)
{
    runner *r = c->r;

    if (c->state == CS_DONE)
        return;
    c->depth = 0;
    if (c->wsi) {
        /* Close politely first; the CLOSED callback comes back here. */
        c->abort_after_close = true;
        if (c->state != CS_CLOSING)
            gp_rn_begin_close(c, 1000, "done");
        return;
    }
    gp_rn_cancel_timers(c);
    gp_rn_queue_clear(c);
    gp_rn_release_slot(c);
    if (gp_rn_shape_user_done(c))
        return; /* a soak: the user's next iteration begins after its pause */
    /* A finished user keeps only its transcript: 19,000 of them must fit in little memory. */
    free(c->token);
    free(c->cur_token);
    free(c->subproto);
    free(c->last_mismatch);
    free(c->run_thread);
    c->token = c->cur_token = c->subproto = c->last_mismatch = c->run_thread = NULL;
    json_decref(c->captured);
    c->captured = NULL;
    gp_buf_cleanup(&c->rx);
    c->state = CS_DONE;
    r->finished++;
    if (r->finished == r->nusers)
        r->stop = true;
}

/* ---- the run ---- */

static void end_run(conn *c, const char *why)
{
    runner *r = c->r;
    const gp_step *s = c->step;

    gp_rn_cancel_timeout(c);
    gp_rn_record(c, GP_FR_RUN_END, s ? s->id : -1, why);
    r->runs_done++;
    if (strcmp(why, "completed") != 0)
        r->problems++;
}

static void run_captures(conn *c)
{
    const gp_step *s = c->step;
    const gp_frame *f;
    gp_event ev;

    if (!s || s->kind != GP_STEP_EXPECT_RUN || !s->u.expect_run.ncaptures)
        return;
    if (c->run_started_frame == GP_NO_FRAME_INDEX) {
        gp_rn_record(c, GP_FR_NOTE, s->id, "no agent_started to capture from");
        return;
    }
    f = &c->t->frames[c->run_started_frame];
    if (gp_event_parse(f->data, f->len, &c->r->s->profile, &ev, NULL) == 0) {
        size_t missing = gp_match_capture(s->u.expect_run.captures, s->u.expect_run.ncaptures,
                                          ev.root, &c->r->s->profile, c->captured);

        if (missing)
            gp_rn_recordf(c, GP_FR_NOTE, s->id, "%zu capture(s) found nothing in agent_started",
                          missing);
        json_decref(ev.root);
    }
}

static bool event_is_ours(const conn *c, const char *thread_id)
{
    /* With a thread to follow, only that thread's terminal event ends the wait: another
     * user's leaked agent_completed must not end ours (the judge reports the leak). */
    return !c->run_thread || !thread_id || strcmp(thread_id, c->run_thread) == 0;
}

static void on_run_frame(conn *c, gp_event_type type, const char *thread_id, size_t idx)
{
    runner *r = c->r;
    const gp_step *s = c->step;
    int64_t deadline;

    if (type > GP_EV_AGENT_DEATH)
        return; /* noise, ready, errors and other types never move a run */
    if (!c->run_any_event) {
        c->run_any_event = true;
        deadline = s->u.expect_run.deadline_us > 0 ? s->u.expect_run.deadline_us : r->to.run_us;
        gp_rn_arm_timeout(c, deadline - (gp_rn_now_rel(r) - c->run_begin_us));
    }
    if (type == GP_EV_AGENT_STARTED && c->run_started_frame == GP_NO_FRAME_INDEX &&
        event_is_ours(c, thread_id))
        c->run_started_frame = idx;
    if (!event_is_ours(c, thread_id))
        return;
    if (type == GP_EV_AGENT_COMPLETED || type == GP_EV_AGENT_ERROR || type == GP_EV_AGENT_DEATH) {
        end_run(c, type == GP_EV_AGENT_COMPLETED ? "completed"
                   : type == GP_EV_AGENT_ERROR   ? "agent_error"
                                                 : "agent_death");
        c->state = CS_LINGER;
        gp_rn_arm_delay(c, r->to.linger_us);
    }
}

/* Offers one received frame to the expect step being waited on. On a match: captures,
 * records EXPECT_OK, marks the frames up to it consumed, and returns true. */
static bool expect_frame(conn *c, const gp_event *ev, size_t idx)
{
    char why[256], num[32];
    gp_vars v;

    if (c->step->u.expect.skip_noise && ev->type == GP_EV_NOISE)
        return false;
    gp_rn_make_vars(c, &v);
    if (!gp_match_expect(c->step, ev->root, &c->r->s->profile, &v, why, sizeof why)) {
        free(c->last_mismatch);
        c->last_mismatch = gp_strdup(why);
        return false;
    }
    gp_match_capture(c->step->u.expect.captures, c->step->u.expect.ncaptures, ev->root,
                     &c->r->s->profile, c->captured);
    snprintf(num, sizeof num, "%zu", idx);
    gp_rn_cancel_timeout(c);
    gp_rn_record(c, GP_FR_EXPECT_OK, c->step->id, num);
    c->scan_from = idx + 1;
    return true;
}

/* An expect step first looks at what already arrived and no step consumed (the ready frame
 * after a connect, a heartbeat during a think), then waits for new frames. */
static bool expect_backlog(conn *c)
{
    size_t i, n = c->t->nframes;

    for (i = c->scan_from; i < n; i++) {
        const gp_frame *f = &c->t->frames[i];
        gp_event ev;
        bool hit;

        if (f->kind != GP_FR_RECV_TEXT || !f->data)
            continue;
        if (gp_event_parse(f->data, f->len, &c->r->s->profile, &ev, NULL) != 0)
            continue;
        hit = expect_frame(c, &ev, i);
        json_decref(ev.root);
        if (hit)
            return true;
    }
    return false;
}

/* Acts on a received text frame the caller has offered to the transcript: idx is its index,
 * or GP_NO_FRAME_INDEX when it was not kept; text is NULL when its data is gone too. */
void gp_rn_on_frame(conn *c, size_t idx, const char *text, size_t len)
{
    gp_event ev;

    if (!text && c->state != CS_WAIT_EXPECT)
        return; /* not kept and not readable: the judge reports the dropped frame */
    switch (c->state) {
    case CS_CONNECTING:
    case CS_WAIT_RUN: {
        /* Most frames only move a run along: their type and thread, found without building
         * a JSON tree (the judge parses every frame anyway). */
        char tid[512];
        gp_event_peek pk;
        int k = gp_event_peek_frame(text, len, &c->r->s->profile, &pk, tid, sizeof tid);

        if (k == 0)
            return; /* not an event: recorded, the judge reports it */
        if (k == 1) {
            if (c->state == CS_CONNECTING) {
                if (pk.type == GP_EV_READY && c->established)
                    gp_rn_became_ready(c);
            } else {
                on_run_frame(c, pk.type, pk.thread_id, idx);
            }
            return;
        }
        break; /* the peek cannot tell: parse it */
    }
    case CS_WAIT_EXPECT:
        if (idx == GP_NO_FRAME_INDEX) {
            /* The transcript is full: a match on this frame could not be shown to the judge,
             * and nothing after the bound can be vouched for. */
            gp_rn_recordf(
                c, GP_FR_EXPECT_FAIL, c->step->id,
                "a frame arrived past the transcript bound (%zu frames, %zu KiB) and could "
                "not be kept, so no later frame can be judged to match",
                c->t->max_frames, c->t->max_bytes >> 10);
            c->r->problems++;
            abort_user(c);
            return;
        }
        break;
    default:
        return; /* nothing waits on a frame now: recorded, judged later */
    }
    if (gp_event_parse(text, len, &c->r->s->profile, &ev, NULL) != 0)
        return; /* recorded; the judge reports it */
    switch (c->state) {
    case CS_CONNECTING:
        if (ev.type == GP_EV_READY && c->established)
            gp_rn_became_ready(c);
        break;
    case CS_WAIT_EXPECT:
        if (expect_frame(c, &ev, idx)) {
            c->state = CS_READY;
            gp_rn_run_steps(c);
        }
        break;
    case CS_WAIT_RUN:
        on_run_frame(c, ev.type, ev.thread_id, idx);
        break;
    default:
        break;
    }
    json_decref(ev.root);
}

/* A received text frame in one piece: kept and acted on redacted, so the live steps match
 * what the saved transcript will show. */
void gp_rn_on_text(conn *c, const char *text, size_t len)
{
    char *owned;

    text = gp_rn_scrub(c->r, text, &len, &owned);
    gp_rn_on_frame(c, gp_transcript_add(c->t, GP_FR_RECV_TEXT, gp_rn_now_rel(c->r), 0, text, len),
                   text, len);
    free(owned);
}

/* A wait that expires while a frame is half received is a server that stalled mid-frame (a
 * header promising more than it sends, or a message whose final fragment never comes): say
 * so, it is the actionable cause. lws buffers a frame's payload until rx_buffer_size bytes or
 * the frame's end, so the promised remainder is asked of the wsi (a plain field read, safe
 * outside a callback on the service thread). Returns false when nothing is pending. */
static bool describe_stall(conn *c, char *buf, size_t size)
{
    size_t rem = c->wsi && c->established ? lws_remaining_packet_payload(c->wsi) : 0;

    if (rem) {
        snprintf(buf, size,
                 "stalled mid-frame: a frame header promised %zu more payload bytes that never "
                 "came",
                 rem);
        return true;
    }
    if (c->rx_partial && c->wsi) {
        snprintf(buf, size,
                 "stalled mid-message: %zu bytes of a fragmented message arrived, its final "
                 "fragment never came",
                 c->rx_seen);
        return true;
    }
    return false;
}

static void note_stall(conn *c, int step_id)
{
    char why[160];

    if (describe_stall(c, why, sizeof why))
        gp_rn_record(c, GP_FR_NOTE, step_id, why);
}

static void on_timeout(gp_timer *t)
{
    conn *c = lws_container_of(t, conn, tm_timeout);
    runner *r = c->r;
    char secs[32], why[160];

    if (r->stopping)
        return;
    if (gp_now_us() < r->grace_until && !c->timeout_deferred) {
        /* Due while the harness itself was held up: first read what arrived meanwhile. */
        c->timeout_deferred = true;
        gp_timer_arm(&r->timers, &c->tm_timeout, r->grace_until, on_timeout);
        return;
    }
    switch (c->state) {
    case CS_CONNECTING:
        fmt_secs(r->to.connect_us, secs, sizeof secs);
        if (c->http) {
            gp_rn_recordf(c, GP_FR_TIMEOUT, c->connect_step,
                          "connect timeout: the %s got no answer within %s",
                          gp_rn_http_what(c->http), secs);
            gp_rn_conn_http_abandon(c);
            c->attempt_over = true;
            gp_rn_connect_failed(c);
            break;
        }
        if (c->established && describe_stall(c, why, sizeof why))
            gp_rn_recordf(c, GP_FR_TIMEOUT, c->step ? c->step->id : -1,
                          "connected, but no ready frame within %s: the server %s", secs, why);
        else if (c->established)
            gp_rn_recordf(c, GP_FR_TIMEOUT, c->step ? c->step->id : -1,
                          "connected, but no ready frame within %s", secs);
        else if (c->request_sent)
            gp_rn_recordf(
                c, GP_FR_TIMEOUT, c->step ? c->step->id : -1,
                "connect timeout: no WebSocket upgrade within %s (the server accepted the "
                "connection and the upgrade request, but sent no complete HTTP response)",
                secs);
        else
            gp_rn_recordf(c, GP_FR_TIMEOUT, c->step ? c->step->id : -1,
                          "connect timeout: no WebSocket upgrade within %s (no %s connection "
                          "was made)",
                          secs, r->tls ? "TCP/TLS" : "TCP");
        if (!c->expect_refused)
            c->abort_after_close = true;
        c->r->problems += !c->expect_refused;
        gp_rn_begin_close(c, 1000, "connect timeout");
        break;
    case CS_WAIT_EXPECT:
        note_stall(c, c->step->id);
        fmt_secs(c->step->u.expect.timeout_us > 0 ? c->step->u.expect.timeout_us : r->to.expect_us,
                 secs, sizeof secs);
        gp_rn_recordf(c, GP_FR_EXPECT_FAIL, c->step->id, "no matching frame within %s%s%s", secs,
                      c->last_mismatch ? "; last mismatch: " : "",
                      c->last_mismatch ? c->last_mismatch : "");
        r->problems++;
        abort_user(c);
        break;
    case CS_WAIT_RUN:
        note_stall(c, c->step ? c->step->id : -1);
        end_run(c, "timeout");
        abort_user(c);
        break;
    case CS_WAIT_PONG:
        fmt_secs(c->step->u.ping.timeout_us > 0 ? c->step->u.ping.timeout_us : r->to.expect_us,
                 secs, sizeof secs);
        gp_rn_recordf(c, GP_FR_EXPECT_FAIL, c->step->id, "no pong within %s", secs);
        r->problems++;
        abort_user(c);
        break;
    case CS_CLOSING:
        gp_rn_record(c, GP_FR_NOTE, -1, "closing handshake timed out; dropping the connection");
        gp_rn_kill_wsi(c);
        break;
    default:
        break;
    }
}

static void on_delay(gp_timer *t)
{
    conn *c = lws_container_of(t, conn, tm_delay);

    if (c->r->stopping)
        return;
    switch (c->state) {
    case CS_IDLE: /* the user's start in the ramp */
        if (gp_rn_shape_arrive(c))
            break; /* dropped: max_active users were in flight */
        c->state = CS_READY;
        gp_rn_run_steps(c);
        break;
    case CS_THINK:
        c->state = CS_READY;
        gp_rn_run_steps(c);
        break;
    case CS_LINGER:
        run_captures(c);
        c->scan_from = c->t->nframes;
        c->state = CS_READY;
        gp_rn_run_steps(c);
        break;
    case CS_RECONNECT_DELAY:
        gp_rn_start_connect(c, GP_CRED_VALID, false, c->step ? c->step->id : -1);
        break;
    case CS_CONNECT_FAILED:
        gp_rn_connect_failed(c);
        break;
    default:
        break;
    }
}

/* The connection is gone (CLOSED after ESTABLISHED). */
void gp_rn_on_closed(conn *c)
{
    runner *r = c->r;

    c->wsi = NULL;
    gp_rn_release_slot(c);
    if (c->established && r->connected)
        r->connected--;
    c->established = false;
    gp_rn_queue_clear(c);
    if (r->stopping)
        return;
    switch (c->state) {
    case CS_CONNECTING:
        gp_rn_cancel_timeout(c);
        if (c->expect_refused) {
            c->state = CS_READY;
            gp_rn_run_steps(c);
        } else {
            r->problems++;
            gp_rn_finish_user(c);
        }
        break;
    case CS_CLOSING:
        gp_rn_cancel_timeout(c);
        if (c->abort_after_close) {
            gp_rn_finish_user(c);
        } else if (c->reconnect_after_close) {
            c->reconnect_after_close = false;
            c->state = CS_RECONNECT_DELAY;
            gp_rn_arm_delay(c, c->step && c->step->kind == GP_STEP_RECONNECT
                                   ? c->step->u.reconnect.delay_us
                                   : 0);
        } else {
            c->state = CS_READY;
            gp_rn_run_steps(c);
        }
        break;
    case CS_WAIT_RUN:
        end_run(c, "closed");
        abort_user(c);
        break;
    case CS_LINGER:
        /* The run is over; what follows finds no connection and says so. */
        gp_timer_cancel(&c->r->timers, &c->tm_delay);
        run_captures(c);
        c->state = CS_READY;
        gp_rn_run_steps(c);
        break;
    case CS_WAIT_EXPECT:
    case CS_WAIT_PONG:
        gp_rn_record(c, GP_FR_EXPECT_FAIL, c->step ? c->step->id : -1,
                     "the server closed the connection while waiting");
        r->problems++;
        abort_user(c);
        break;
    default:
        if (c->state != CS_DONE) {
            r->problems++;
            abort_user(c);
        }
        break;
    }
}
