/* runner.c - simulated users over libwebsockets: one client context, one event loop, a
 * per-user state machine that walks the scenario's steps, and a transcript per user.
 * Every wait has a timer; a broken server ends a user's steps, never the run. The HTTP
 * requests of a connect (tickets, test-auth tokens) go through runner_http.c. */
#include "runner.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <ev.h>
#include <libwebsockets.h>
#include <netdb.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <unistd.h>

#include "event.h"
#include "hist.h"
#include "http_answer.h"
#include "credentials.h"
#include "jwt.h"
#include "match.h"
#include "proxy.h"
#include "redact.h"
#include "runner_int.h"
#include "secrets.h"
#include "template.h"
#include "timerheap.h"
#include "url.h"

#define MAX_DEPTH 16 /* nesting of repeat steps */
#define MAX_QUEUE 64 /* messages waiting to be written, per user */
/* libwebsockets gives every connection a receive buffer of this size: small, so a connected
 * user costs little memory; longer frames arrive in pieces and are joined here. */
#define RX_CHUNK 1024
#define PROGRESS_US (200 * LWS_US_PER_MS)
#define TICK_US (10 * LWS_US_PER_MS) /* the lag probe; also bounds how late a stall is seen */
/* After a stall, a wait that came due during it gets this long for the I/O that piled up in
 * the meantime to be read before it counts as expired (once per wait: bounded). */
#define STALL_GRACE_US (1000 * LWS_US_PER_MS)
/* Upgrades in flight at once. libwebsockets keeps each connecting wsi's own timeout in one
 * sorted list, so the number in flight bounds the cost of every insert; users beyond it
 * wait for a slot, and their connect timeout starts when their attempt does. */
#define DEFAULT_MAX_CONNECTING 128
/* One source address serves about 28,000 connections to one destination (the ephemeral
 * ports); on a loopback target, bigger runs spread over 127.0.0.1, .2, ... by themselves. */
#define USERS_PER_SOURCE 25000
#define AUTO_SRC_MAX 16
#define SHAPE_USERS_MAX 100000 /* open model: arrivals of one run at most (as users.count) */
#define GP_NO_FRAME_INDEX ((size_t)-1)

typedef enum cstate {
    CS_IDLE,       /* not started yet */
    CS_CONNECTING, /* upgrade in flight or waiting for the ready frame */
    CS_READY,      /* connected, between steps */
    CS_WAIT_WRITE, /* a send step waits for its frame to be written */
    CS_WAIT_EXPECT,
    CS_WAIT_RUN,
    CS_LINGER, /* the run ended; still reading to catch events after completion */
    CS_THINK,
    CS_WAIT_PONG,
    CS_CLOSING,
    CS_RECONNECT_DELAY,
    CS_CONNECT_FAILED, /* a failure reported inside the connect call, handled from a timer */
    CS_CONNECT_QUEUED, /* waits for a connect slot */
    CS_DONE
} cstate;

typedef struct qmsg {
    struct qmsg *next;
    size_t len;
    unsigned char buf[]; /* LWS_PRE bytes of headroom, then the text */
} qmsg;

typedef struct frame_pos {
    const gp_step *steps;
    size_t n;
    size_t pos;
    unsigned remaining; /* further iterations of a repeat */
} frame_pos;

struct runner;
struct conn;

typedef enum http_purpose { HTTP_TICKET, HTTP_E2E } http_purpose;

typedef struct conn {
    uint32_t magic;        /* first: tells a conn from an http_req behind a callback's user */
    gp_timer tm_timeout;   /* the bound on the current wait */
    gp_timer tm_delay;     /* start, think, linger, reconnect delay */
    bool timeout_deferred; /* the current wait already had its grace after a stall */
    struct runner *r;
    struct lws *wsi;
    size_t index;
    cstate state;
    gp_transcript *t;
    char *user_id;
    char *nonce;
    char *token;     /* the user's own credential; never recorded */
    char *cur_token; /* what the current attempt presents; never recorded */
    json_t *captured;
    uint64_t uuid_state;

    frame_pos stack[MAX_DEPTH];
    int depth;
    const gp_step *step; /* the step being waited on */

    /* the connection attempt */
    gp_credential cred;
    bool expect_refused;
    bool attempt_over; /* CONNECTION_ERROR or CLOSED seen for this attempt */
    bool established;
    bool request_sent; /* the upgrade request went out: TCP (and TLS) were up */
    char *subproto;    /* the selected subprotocol, or NULL; a jwt.<token> echo is long */
    char deflate[128]; /* the permessage-deflate the server accepted (with its parameters),
                          or empty: this attempt's frames arrive compressed */
    bool inflate_stopped; /* a compressed message inflated past the cap: closing */
    int peer_close_code;
    char peer_close_reason[124];
    bool want_close;
    int close_code;
    const char *close_reason; /* a literal or the scenario's text: outlives the run */
    bool reconnect_after_close;
    bool abort_after_close;
    bool ping_pending;

    /* the send queue */
    qmsg *qhead, *qtail;
    size_t qlen;

    /* receiving */
    gp_buf rx;
    bool rx_binary;
    bool rx_oversize;
    bool rx_unkept; /* longer than the transcript has room for: not buffered, counted dropped */
    size_t rx_seen;
    bool rx_partial; /* a message has begun but not ended */

    /* the current run */
    char *run_thread; /* thread_id of the message that started it, or NULL */
    bool run_any_event;
    int64_t run_begin_us;
    size_t run_started_frame;
    char *last_mismatch;    /* why the last frame offered to an expect step did not match */
    size_t scan_from;       /* frames before this index were consumed by an earlier step */
    http_req *http;         /* the HTTP request this user waits on, or NULL */
    char *ticket;           /* a ticket for the next upgrade (single use); never recorded */
    int connect_step;       /* step id of the connect in progress */
    bool in_connect;        /* inside lws_client_connect_via_info */
    bool failed_in_connect; /* its attempt failed before it returned */
    bool holds_slot;        /* counts against max_connecting */
    bool dropped;           /* open model: arrived when max_active users were in flight */
    struct conn *cq_next;   /* in the queue of users waiting for a connect slot */
} conn;

typedef struct runner {
    const gp_runner_opts *o;
    const gp_scenario *s;
    struct lws_context *ctx;
    struct ev_loop *loop; /* ours, handed to libwebsockets: epoll, so a wakeup costs O(ready) */
    ev_timer wake;        /* fires at the earliest deadline in timers */
    int64_t wake_at;      /* when wake is due (gp_now_us clock); 0 when it is stopped */
    gp_timerheap timers;  /* every per-user deadline, the tick and the connect pump */
    gp_timer tick;        /* every TICK_US: loop lag, progress, interrupt */
    gp_timer pump;        /* starts queued connects outside lws callbacks */
    int64_t next_progress;
    int64_t grace_until; /* waits due before this get STALL_GRACE_US after a stall */
    gp_hist lag;
    gp_health health;
    char explained[512]; /* scratch for explain_conn_error: one loop, used at once */
    conn *conns;
    unsigned nusers;      /* users this process runs */
    unsigned total;       /* users of the whole run, across workers */
    unsigned shard_index; /* this process runs the users with index % shard_count == it */
    unsigned shard_count;
    const char *const *src; /* local addresses to connect from, by user index in turn */
    size_t nsrc;
    char auto_src[AUTO_SRC_MAX][16];
    const char *auto_src_p[AUTO_SRC_MAX];
    int64_t t0;
    bool stop;
    gp_err failure; /* the harness failed mid-run (a credential it could not mint): the run
                       stops and gp_runner_run returns it; the first failure wins */
    bool stopping;
    bool interrupted;
    gp_timeouts to;

    /* the target */
    char *url;
    char *url_redacted;
    bool tls;
    char host[256];
    char host_hdr[260]; /* host as the Host header and URLs write it: IPv6 in brackets */
    char addr[256]; /* an IP literal, or the host when it did not resolve */
    int port;
    char *path;          /* with leading '/', query included */
    char *resolve_err;   /* why the host did not resolve, or NULL */
    route troute;        /* directly or through a proxy */
    endpoint ticket_ep;  /* carrier ticket */
    endpoint auth_ep;    /* auth kind e2e */
    http_req *http_reqs; /* every HTTP request of the run, freed at the end */
    char probe[400];     /* why a plain TCP connect fails, found once on the first failure */
    bool probed;

    const char *secret;  /* from the environment; never recorded */
    gp_jwt_key *jwt_key; /* the secret, keyed once for minting every user's token */
    gp_secrets *secrets; /* every credential of the run, redacted by value from every frame */
    char **file_tokens;
    size_t nfile_tokens;

    unsigned connected;
    unsigned finished;
    unsigned connecting; /* attempts holding a slot */
    unsigned max_connecting;
    conn *cq_head, *cq_tail; /* users waiting for a slot, in order */
    size_t runs_done;
    size_t problems;

    /* load shapes (issue 9): see the block "load shapes" below */
    gp_shape shape;        /* the scenario's, with --duration applied */
    int64_t shape_end;     /* soak: no iteration begins after this (gp_now_us clock) */
    gp_transcript **iters; /* soak: transcripts of finished iterations, owned */
    size_t niters, iters_cap;
    size_t iter_bytes;     /* soak: what they keep, bounded with the users' own budgets */
    unsigned active;       /* open model: users started and not finished */
    size_t dropped;        /* open model: arrivals that found max_active users in flight */
} runner;

static void run_steps(conn *c);
static bool expect_backlog(conn *c);
static void connect_next(conn *c);
static const char *source_problem(conn *c);
static void connect_failed(conn *c);
static void http_start(conn *c, http_purpose purpose, const char *bearer);
static void finish_user(conn *c);
static void begin_close(conn *c, int code, const char *reason);

static int64_t now_rel(const runner *r)
{
    return gp_now_us() - r->t0;
}

/* Every text kept in a transcript passes through here first: a credential of the run (any
 * user's, a server may echo one on another user's connection) becomes GP_SECRET_MARKER, so
 * nothing downstream (judge, reporters, saved transcripts) ever holds one, and offline judging
 * sees what the live run saw. Returns text, or the redacted copy, also in *owned (free()). */
static const char *scrub(const runner *r, const char *text, size_t *len, char **owned)
{
    *owned = text ? gp_secrets_redact(r->secrets, text, *len, len) : NULL;
    return *owned ? *owned : text;
}

static size_t record(conn *c, gp_frame_kind kind, int code, const char *data)
{
    size_t len = data ? strlen(data) : 0, idx;
    char *owned;

    data = scrub(c->r, data, &len, &owned);
    idx = gp_transcript_add(c->t, kind, now_rel(c->r), code, data, len);
    free(owned);
    return idx;
}

static void recordf(conn *c, gp_frame_kind kind, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void recordf(conn *c, gp_frame_kind kind, int code, const char *fmt, ...)
{
    char buf[512];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    record(c, kind, code, buf);
}

static void fmt_secs(int64_t us, char *buf, size_t size)
{
    if (us % 1000000 == 0)
        snprintf(buf, size, "%llds", (long long)(us / 1000000));
    else
        snprintf(buf, size, "%.3gs", (double)us / 1e6);
}

/* ---- URLs and credentials ---- */

char *gp_url_redact(const char *url)
{
    return gp_redact(url, strlen(url));
}

static char *url_encode(const char *s)
{
    gp_buf b;

    gp_buf_init(&b, strlen(s) * 3 + 1);
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;

        if (isalnum(ch) || ch == '-' || ch == '_' || ch == '.' || ch == '~')
            gp_buf_append(&b, s, 1);
        else
            gp_buf_printf(&b, "%%%02X", ch);
    }
    return gp_buf_steal(&b);
}

/* Resolves host once into an IP literal: without async DNS, a getaddrinfo inside lws would
 * block the whole loop. Returns NULL, or why it failed (free() it). */
char *gp_rn_resolve_host(const char *host, char *addr, size_t size)
{
    struct addrinfo hints, *res = NULL;
    int rc;

    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    rc = getaddrinfo(host, NULL, &hints, &res);
    if (rc != 0 || !res) {
        if (res)
            freeaddrinfo(res);
        return gp_asprintf("cannot resolve host '%s': %s", host,
                           rc ? gai_strerror(rc) : "no address");
    }
    inet_ntop(res->ai_family,
              res->ai_family == AF_INET ? (void *)&((struct sockaddr_in *)res->ai_addr)->sin_addr
                                        : (void *)&((struct sockaddr_in6 *)res->ai_addr)->sin6_addr,
              addr, (socklen_t)size);
    freeaddrinfo(res);
    return NULL;
}

/* Decides how connections to host leave (see proxy.h), resolving the proxy's name once.
 * Returns -1 with *why set (free() it) when the proxy setting is unusable; an unresolvable
 * proxy is kept in rt->err, a failed connect for every user like an unresolvable target. */
int gp_rn_route_init(route *rt, const char *configured, bool tls, const char *host, char **why)
{
    int rc;

    memset(rt, 0, sizeof *rt);
    rc = gp_proxy_for(configured, tls, host, &rt->proxy, why);
    if (rc <= 0)
        return rc;
    rt->proxied = true;
    rt->err = gp_rn_resolve_host(rt->proxy.host, rt->ip, sizeof rt->ip);
    if (rt->err) {
        char *e = gp_asprintf("the proxy %s: %s", rt->proxy.display, rt->err);

        free(rt->err);
        rt->err = e;
        return 0;
    }
    snprintf(rt->lws_proxy, sizeof rt->lws_proxy, strchr(rt->ip, ':') ? "%s%s[%s]:%d" : "%s%s%s:%d",
             rt->proxy.userinfo ? rt->proxy.userinfo : "", rt->proxy.userinfo ? "@" : "", rt->ip,
             rt->proxy.port);
    return 0;
}

void gp_rn_route_cleanup(route *rt)
{
    gp_proxy_cleanup(&rt->proxy);
    free(rt->err);
    OPENSSL_cleanse(rt->lws_proxy, sizeof rt->lws_proxy);
    memset(rt, 0, sizeof *rt);
}

/* The vhost a proxied route connects from: the context's settings, with its proxy. */
static int route_vhost(runner *r, route *rt, struct lws_context_creation_info *info,
                       const char *name)
{
    const char *saved = info->http_proxy_address;

    if (!rt->proxied || rt->err)
        return 0;
    info->vhost_name = name;
    info->http_proxy_address = rt->lws_proxy;
    rt->vh = lws_create_vhost(r->ctx, info);
    info->http_proxy_address = saved;
    return rt->vh ? 0 : -1;
}

/* A connect through a proxy failed: says why, asking the proxy itself once. */
const char *gp_rn_route_explain(route *rt, const char *host, int port, const char *in)
{
    if (!rt->probed) {
        rt->probed = true;
        if (!gp_proxy_probe(&rt->proxy, rt->ip, host, port, 2000, rt->why, sizeof rt->why))
            snprintf(rt->why + strlen(rt->why), sizeof rt->why - strlen(rt->why),
                     " (it failed then: %s)", in ? in : "no detail");
    }
    return rt->why;
}

char *gp_runner_proxy(const gp_scenario *s, const char *url)
{
    char *why = NULL, *d = NULL;
    gp_url u;
    gp_proxy p;

    if (gp_url_parse(url, false, &u) == GP_URL_OK &&
        gp_proxy_for(s->target.proxy, u.tls, u.host, &p, &why) == 1) {
        d = gp_strdup(p.display);
        gp_proxy_cleanup(&p);
    }
    gp_url_cleanup(&u);
    free(why);
    return d;
}

/* Writes host as a Host header (and a URL) needs it: an IPv6 literal in brackets. */
void gp_rn_host_header(const char *host, char *out, size_t size)
{
    if (strchr(host, ':'))
        snprintf(out, size, "[%s]", host);
    else
        snprintf(out, size, "%s", host);
}

static int parse_target(runner *r, const char *url, gp_err *err)
{
    gp_url u;

    switch (gp_url_parse(url, false, &u)) {
    case GP_URL_OK:
        break;
    case GP_URL_USERINFO:
        gp_err_set(err, GP_EXIT_USAGE, NULL, 0, 0,
                   "target URL '%s' carries user:password@; put credentials in the "
                   "scenario's auth",
                   r->url_redacted);
        gp_url_cleanup(&u);
        return -1;
    case GP_URL_NO_SCHEME:
    case GP_URL_BAD_SCHEME:
        gp_err_set(err, GP_EXIT_USAGE, NULL, 0, 0,
                   "target URL '%s' must start with ws:// or wss://", r->url_redacted);
        gp_url_cleanup(&u);
        return -1;
    case GP_URL_BAD_PORT:
        gp_err_set(err, GP_EXIT_USAGE, NULL, 0, 0, "target URL '%s' has a bad port",
                   r->url_redacted);
        gp_url_cleanup(&u);
        return -1;
    default:
        gp_err_set(err, GP_EXIT_USAGE, NULL, 0, 0, "malformed target URL '%s'", r->url_redacted);
        gp_url_cleanup(&u);
        return -1;
    }
    r->tls = u.tls;
    snprintf(r->host, sizeof r->host, "%s", u.host);
    gp_rn_host_header(r->host, r->host_hdr, sizeof r->host_hdr);
    r->port = u.port;
    r->path = u.path; /* taken */
    u.path = NULL;

    {
        char *why = NULL;

        if (gp_rn_route_init(&r->troute, r->s->target.proxy, r->tls, r->host, &why) < 0) {
            gp_err_set(err, GP_EXIT_USAGE, NULL, 0, 0, "%s", why);
            free(why);
            return -1;
        }
    }
    if (r->troute.proxied) {
        /* The proxy resolves the target's name: CONNECT names the host as written. */
        snprintf(r->addr, sizeof r->addr, strchr(r->host, ':') ? "[%s]" : "%s", r->host);
        r->resolve_err = r->troute.err ? gp_strdup(r->troute.err) : NULL;
        return 0;
    }
    /* An unresolvable host is a failed check for every user, not a harness failure. */
    r->resolve_err = gp_rn_resolve_host(r->host, r->addr, sizeof r->addr);
    if (r->resolve_err)
        snprintf(r->addr, sizeof r->addr, "%s", r->host);
    return 0;
}

static void random_hex(char *out, size_t nbytes)
{
    unsigned char raw[32];
    size_t i;

    if (nbytes > sizeof raw)
        nbytes = sizeof raw;
    if (RAND_bytes(raw, (int)nbytes) != 1) {
        for (i = 0; i < nbytes; i++)
            raw[i] = (unsigned char)(gp_now_us() >> (i % 8));
    }
    for (i = 0; i < nbytes; i++)
        sprintf(out + 2 * i, "%02x", raw[i]);
}

static void make_vars(conn *c, gp_vars *v)
{
    v->user_id = c->user_id ? c->user_id : "";
    v->user_index = c->index;
    v->nonce = c->nonce;
    if (!c->captured)
        c->captured = json_object(); /* lazily: most users capture nothing */
    v->captured = c->captured;
    v->uuid_state = &c->uuid_state;
}

/* Mints the user's HS256 token (credentials.c); the run's prepared key signs with its own
 * secret. NULL with err set when it cannot be minted. */
static char *mint(conn *c, const char *secret, bool expired, gp_err *err)
{
    gp_vars v;

    make_vars(c, &v);
    return gp_credential_mint(&c->r->s->auth, &v, secret,
                              c->r->jwt_key && secret == c->r->secret ? c->r->jwt_key : NULL,
                              expired, time(NULL), err);
}

/* Adds a credential to the run's set (redacted from every frame from now on); returns it. */
static char *remember(runner *r, char *v)
{
    if (v)
        gp_secrets_add(r->secrets, v, strlen(v));
    return v;
}

/* The token a connect step presents; NULL for none. */
/* The token a connect with credential cred presents: a new string, or NULL for none. NULL
 * with err set when a token could not be minted (the harness's failure, not the server's). */
static char *credential_token(conn *c, gp_credential cred, gp_err *err)
{
    char wrong[40];

    switch (cred) {
    case GP_CRED_VALID:
        return c->token ? gp_strdup(c->token) : NULL;
    case GP_CRED_NONE:
        return NULL;
    case GP_CRED_GARBAGE:
        return gp_strdup("not-a-jwt");
    case GP_CRED_WRONG_SECRET:
        memcpy(wrong, "wrong-", 6);
        random_hex(wrong + 6, 16);
        return remember(c->r, mint(c, wrong, false, err));
    case GP_CRED_EXPIRED:
        return remember(c->r, mint(c, c->r->secret ? c->r->secret : "unset", true, err));
    }
    return NULL;
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

static void timer_arm(runner *r, gp_timer *t, int64_t us, gp_timer_fn fn)
{
    gp_timer_arm(&r->timers, t, gp_now_us() + (us > 0 ? us : 0), fn);
    wake_update(r);
}

static void cancel_timeout(conn *c)
{
    gp_timer_cancel(&c->r->timers, &c->tm_timeout);
}

static void cancel_timers(conn *c)
{
    gp_timer_cancel(&c->r->timers, &c->tm_timeout);
    gp_timer_cancel(&c->r->timers, &c->tm_delay);
}

static void on_timeout(gp_timer *t);
static void on_delay(gp_timer *t);

static void arm_timeout(conn *c, int64_t us)
{
    c->timeout_deferred = false;
    timer_arm(c->r, &c->tm_timeout, us, on_timeout);
}

static void arm_delay(conn *c, int64_t us)
{
    timer_arm(c->r, &c->tm_delay, us, on_delay);
}

/* The loop woke at the earliest deadline. When it woke much later than asked, the harness
 * itself was held up (a CPU it could not get, a process stopped): that window is a stall,
 * recorded for the judge, and waits that came due in it get a grace to read what piled up. */
static void on_wake(struct ev_loop *loop, ev_timer *w, int revents)
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

static void queue_clear(conn *c)
{
    while (c->qhead) {
        qmsg *m = c->qhead;

        c->qhead = m->next;
        free(m);
    }
    c->qtail = NULL;
    c->qlen = 0;
}

/* ---- connecting ---- */

/* No keepalive ping or idle hangup: a validity timer per connection would sit in
 * libwebsockets' sorted timer list, making every connect O(connections). The scenario's own
 * ping steps and timeouts are what a run needs. */
const lws_retry_bo_t gp_rn_no_keepalive = {0};

/* The client TLS flags for a target, shared by the WebSocket and the HTTP requests. With
 * insecure, libwebsockets 4.1 needs ALLOW_INSECURE besides SELFSIGNED for a leaf issued by a
 * CA it does not know ("unable to get local issuer certificate"): a lab's private CA. */
static int tls_flags(const gp_target *tg, const char *host)
{
    int f = LCCSCF_USE_SSL;

    /* lws 4.1.6 cuts the TLS host name at its first ':' (to drop a port), so it cannot check
     * an IPv6 literal against the certificate: the chain is verified, the name is not. */
    if (strchr(host, ':'))
        f |= LCCSCF_SKIP_SERVER_CERT_HOSTNAME_CHECK;
    if (tg->insecure)
        f |= LCCSCF_ALLOW_SELFSIGNED | LCCSCF_SKIP_SERVER_CERT_HOSTNAME_CHECK |
             LCCSCF_ALLOW_EXPIRED | LCCSCF_ALLOW_INSECURE;
    return f;
}

/* OpenSSL's verify failures reach us only as "connect SSL err 1: error:00000001:...": say
 * what to do about it, keeping the original. Writes buf and returns it. */
const char *gp_rn_tls_explain(char *buf, size_t size, const char *in)
{
    snprintf(buf, size,
             "TLS handshake failed (server certificate not trusted? see target.ca_file): %s", in);
    return buf;
}

/* ---- HTTP requests in the loop (tickets, test-auth tokens) ---- */

static const char *http_what(const http_req *h)
{
    return h->kind == HTTP_TICKET ? "ticket request" : "test-auth token request";
}

/* A user's HTTP request ended (runner_http.c calls this once, unless the user abandoned it).
 * On success the connect moves to its next phase; on failure the attempt failed. */
static void http_done(http_req *h, const char *err)
{
    conn *c = h->arg;
    gp_http_answer a;

    if (!c || c->http != h || c->r->stopping)
        return;
    c->http = NULL;
    if (err) {
        recordf(c, GP_FR_CONN_ERROR, 0, "connect failed: the %s failed: %s", http_what(h), err);
        goto failed;
    }
    if (gp_http_answer_parse(h->kind == HTTP_TICKET ? GP_HTTP_TICKET : GP_HTTP_E2E, h->status,
                             h->resp.data, h->resp.len, &a) != 0) {
        record(c, GP_FR_CONN_ERROR, a.code, a.why);
        goto failed;
    }
    if (h->kind == HTTP_TICKET) {
        free(c->ticket);
        c->ticket = remember(c->r, a.value);
        record(c, GP_FR_NOTE, c->connect_step, "ticket obtained");
    } else {
        free(c->token);
        c->token = remember(c->r, a.value);
        if (a.user_id) {
            /* The server's id for this user is what its events must carry (GP-R5). */
            free(c->user_id);
            c->user_id = gp_strdup(a.user_id);
            free(c->t->user_id);
            c->t->user_id = gp_strdup(a.user_id);
        }
        recordf(c, GP_FR_NOTE, c->connect_step, "token obtained from the auth service for %s",
                c->user_id);
    }
    a.value = NULL; /* kept above */
    gp_http_answer_cleanup(&a);
    connect_next(c);
    return;
failed:
    c->attempt_over = true;
    connect_failed(c);
}

/* The user no longer waits for its request (a timeout): let the request die on its own. */
static void http_abandon(conn *c)
{
    http_req *h = c->http;

    if (!h)
        return;
    c->http = NULL;
    gp_rn_http_abandon(h);
}

static void http_start(conn *c, http_purpose purpose, const char *bearer)
{
    runner *r = c->r;
    endpoint *ep = purpose == HTTP_TICKET ? &r->ticket_ep : &r->auth_ep;
    char *body;
    http_req *h;

    if (purpose == HTTP_TICKET) {
        body = gp_strdup("{}");
    } else {
        gp_vars v;
        char *email, *name;
        json_t *j;

        make_vars(c, &v);
        email = gp_template_expand(r->s->auth.email, &v, NULL);
        name = gp_template_expand(r->s->auth.name, &v, NULL);
        j = json_pack("{ss ss}", "email", email ? email : "", "name", name ? name : "");
        body = json_dumps(j, JSON_COMPACT);
        json_decref(j);
        free(email);
        free(name);
    }
    h = gp_rn_http_new(&r->http_reqs, ep, body, strlen(body), http_done, c, purpose);
    if (purpose == HTTP_TICKET) {
        h->auth = gp_asprintf("Bearer %s", bearer);
    } else {
        h->hdr_name = "x-e2e-bypass-key:";
        h->hdr_env = r->s->auth.bypass_key_env;
    }
    c->http = h;
    gp_rn_http_send(h, r->ctx, ep->tls ? tls_flags(&r->s->target, ep->host) : 0);
}

static void kill_wsi(conn *c)
{
    if (c->wsi) {
        lws_set_timeout(c->wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
        /* libwebsockets runs its own timers after I/O; a wakeup makes sure one comes. */
        lws_cancel_service(c->r->ctx);
    }
}

static void connect_failed(conn *c);
static void begin_connect(conn *c);

/* ---- connect slots ---- */

static void on_pump(gp_timer *t)
{
    runner *r = lws_container_of(t, runner, pump);

    while (!r->stopping && r->cq_head && r->connecting < r->max_connecting) {
        conn *c = r->cq_head;

        r->cq_head = c->cq_next;
        if (!r->cq_head)
            r->cq_tail = NULL;
        c->cq_next = NULL;
        if (c->state == CS_CONNECT_QUEUED)
            begin_connect(c);
    }
}

/* The attempt no longer counts against max_connecting; a queued user may start (from a timer,
 * not from inside the libwebsockets callback that got here). */
static void release_slot(conn *c)
{
    runner *r = c->r;

    if (!c->holds_slot)
        return;
    c->holds_slot = false;
    r->connecting--;
    if (r->cq_head && !gp_timer_armed(&r->pump))
        timer_arm(r, &r->pump, 0, on_pump);
}

static void start_connect(conn *c, gp_credential cred, bool expect_refused, int step_id)
{
    runner *r = c->r;

    c->cred = cred;
    c->expect_refused = expect_refused;
    c->connect_step = step_id;
    if (r->connecting >= r->max_connecting || r->cq_head) {
        c->state = CS_CONNECT_QUEUED;
        c->cq_next = NULL;
        if (r->cq_tail)
            r->cq_tail->cq_next = c;
        else
            r->cq_head = c;
        r->cq_tail = c;
        return;
    }
    begin_connect(c);
}

static void begin_connect(conn *c)
{
    runner *r = c->r;
    const gp_target *tg = &r->s->target;
    char *url_rec;
    int step_id = c->connect_step;
    gp_credential cred = c->cred;

    c->holds_slot = true;
    r->connecting++;
    c->attempt_over = false;
    c->established = false;
    c->request_sent = false;
    c->rx_partial = false;
    free(c->subproto);
    c->subproto = NULL;
    c->deflate[0] = '\0';
    c->inflate_stopped = false;
    c->peer_close_code = 0;
    c->peer_close_reason[0] = '\0';
    c->want_close = false;
    c->ping_pending = false;
    c->state = CS_CONNECTING;
    c->scan_from = c->t->nframes;
    free(c->ticket);
    c->ticket = NULL;

    url_rec = gp_asprintf("%s://%s:%d%s", r->tls ? "wss" : "ws", r->host_hdr, r->port, r->path);
    {
        char *red = gp_url_redact(url_rec);

        recordf(c, GP_FR_CONNECT, step_id, "%s (credential: %s, carrier: %s)", red,
                gp_credential_name(cred), gp_carrier_name(tg->carrier));
        free(red);
    }
    free(url_rec);
    arm_timeout(c, r->to.connect_us);
    connect_next(c);
}

/* The phases of a connect: a token from the auth service (auth kind e2e), a ticket for it
 * (carrier ticket), then the WebSocket upgrade. Each HTTP answer calls back here. */
static void connect_next(conn *c)
{
    runner *r = c->r;
    const gp_target *tg = &r->s->target;
    struct lws_client_connect_info ci;
    char *tok, *path = NULL, *proto = NULL;
    struct lws *w;
    gp_err merr = {0};

    if (r->s->auth.kind == GP_AUTH_E2E && c->cred == GP_CRED_VALID && !c->token) {
        http_start(c, HTTP_E2E, NULL);
        return;
    }
    tok = credential_token(c, c->cred, &merr);
    if (!tok && merr.code) {
        /* Never "no credential": that would let an auth check pass or fail on our account. */
        recordf(c, GP_FR_CONN_ERROR, 0,
                "connect failed: the harness could not mint the %s credential: %s",
                gp_credential_name(c->cred), merr.msg);
        gp_err_set(&r->failure, GP_EXIT_INTERNAL, NULL, 0, 0,
                   "user %s: cannot mint the %s credential: %s", c->user_id,
                   gp_credential_name(c->cred), merr.msg);
        r->stop = true;
        c->attempt_over = true;
        r->problems++;
        finish_user(c);
        return;
    }
    if (tg->carrier == GP_CARRIER_TICKET && tok && !c->ticket) {
        http_start(c, HTTP_TICKET, tok);
        free(tok);
        return;
    }
    if (tok && tg->carrier == GP_CARRIER_QUERY) {
        char *enc = url_encode(tok);

        path = gp_asprintf("%s%stoken=%s", r->path, strchr(r->path, '?') ? "&" : "?", enc);
        free(enc);
    } else if (c->ticket) {
        char *enc = url_encode(c->ticket);

        path = gp_asprintf("%s%sticket=%s", r->path, strchr(r->path, '?') ? "&" : "?", enc);
        free(enc);
        free(c->ticket); /* single use */
        c->ticket = NULL;
    } else {
        path = gp_strdup(r->path);
    }
    if (tg->carrier == GP_CARRIER_SUBPROTOCOL || tg->nsubprotocols) {
        gp_buf b;
        size_t i;

        gp_buf_init(&b, 16384);
        for (i = 0; i < tg->nsubprotocols; i++)
            gp_buf_printf(&b, "%s%s", b.len ? ", " : "", tg->subprotocols[i]);
        if (tg->carrier == GP_CARRIER_SUBPROTOCOL) {
            if (!tg->nsubprotocols)
                gp_buf_printf(&b, "%sjwt-auth", b.len ? ", " : "");
            if (tok) {
                char *t = tg->subprotocol_base64
                              ? gp_base64url_encode((const unsigned char *)tok, strlen(tok))
                              : gp_strdup(tok);

                gp_buf_printf(&b, ", jwt.%s", t);
                free(t);
            }
        }
        proto = gp_buf_steal(&b);
    }
    free(c->cur_token);
    c->cur_token = tg->carrier == GP_CARRIER_TICKET ? NULL : tok;
    if (tg->carrier == GP_CARRIER_TICKET)
        free(tok);

    memset(&ci, 0, sizeof ci);
    ci.context = r->ctx;
    ci.address = r->addr;
    ci.vhost = r->troute.vh;
    ci.port = r->port;
    ci.path = path;
    ci.host = r->host_hdr;
    ci.origin = r->host_hdr;
    ci.protocol = proto;
    ci.local_protocol_name = "goldenpath";
    ci.userdata = c;
    ci.pwsi = &c->wsi;
    ci.retry_and_idle_policy = &gp_rn_no_keepalive;
    if (r->nsrc)
        ci.iface = r->src[c->index % r->nsrc];
    if (r->tls)
        ci.ssl_connection = tls_flags(tg, r->host);
    if (r->resolve_err) {
        free(path);
        free(proto);
        c->attempt_over = true;
        recordf(c, GP_FR_CONN_ERROR, 0, "connect failed: %s", r->resolve_err);
        connect_failed(c);
        return;
    }
    c->in_connect = true;
    w = lws_client_connect_via_info(&ci);
    c->in_connect = false;
    free(path);
    free(proto);
    if (!w && !c->attempt_over) {
        const char *why = source_problem(c);

        c->wsi = NULL;
        c->attempt_over = true;
        recordf(c, GP_FR_CONN_ERROR, 0, "connect failed: %s",
                why ? why : "could not start the connection");
        connect_failed(c);
    } else if (c->failed_in_connect) {
        /* The attempt failed inside lws_client_connect_via_info: move on from a fresh timer,
         * not from inside that call. */
        c->failed_in_connect = false;
        c->state = CS_CONNECT_FAILED;
        arm_delay(c, 0);
    }
}

/* The attempt ended without a usable connection (refused, upgrade failed, dropped). */
static void connect_failed(conn *c)
{
    cancel_timeout(c);
    release_slot(c);
    if (c->expect_refused) {
        /* A refusal is what the step asked for; the judge reads the details. */
        c->state = CS_READY;
        run_steps(c);
        return;
    }
    c->r->problems++;
    finish_user(c);
}

static void became_ready(conn *c)
{
    cancel_timeout(c);
    if (c->expect_refused) {
        /* Let in without a valid credential: recorded, the judge fails GP-AUTH. */
        c->r->problems++;
        begin_close(c, 1000, "auth check done");
        return;
    }
    c->state = CS_READY;
    run_steps(c);
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
                        record(c, GP_FR_NOTE, s->id, "repeat nested too deeply; steps skipped");
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
    finish_user(c);
}

static void begin_close(conn *c, int code, const char *reason)
{
    cancel_timeout(c);
    if (!c->wsi) {
        c->state = CS_READY;
        return;
    }
    c->state = CS_CLOSING;
    if (!c->established) {
        kill_wsi(c);
    } else {
        c->want_close = true;
        c->close_code = code;
        c->close_reason = reason ? reason : "";
        lws_callback_on_writable(c->wsi);
    }
    arm_timeout(c, c->r->to.close_us);
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
        record(c, GP_FR_NOTE, s->id, "send step without an open connection; steps stopped");
        abort_user(c);
        return;
    }
    make_vars(c, &v);
    msg = gp_template_expand_json(s->u.send.message, &v, &err);
    if (!msg) {
        recordf(c, GP_FR_NOTE, s->id, "cannot build the message: %s", err.msg);
        abort_user(c);
        return;
    }
    text = json_dumps(msg, JSON_COMPACT);
    /* Remember the thread this message names: the run it starts must stay on it. */
    free(c->run_thread);
    c->run_thread = NULL;
    memset(&ev, 0, sizeof ev);
    ev.root = msg;
    ev.body = msg;
    tid = gp_event_field(&ev, &c->r->s->profile, c->r->s->profile.thread_id_key);
    if (json_is_string(tid))
        c->run_thread = gp_strdup(json_string_value(tid));
    json_decref(msg);
    if (!text || queue_text(c, text, strlen(text)) != 0) {
        record(c, GP_FR_NOTE, s->id, "send queue full; steps stopped");
        free(text);
        abort_user(c);
        return;
    }
    free(text);
    c->state = CS_WAIT_WRITE;
}

static void run_steps(conn *c)
{
    runner *r = c->r;
    const gp_step *s;

    if (r->stopping || c->state == CS_DONE)
        return;
    s = next_step(c);
    if (!s) {
        finish_user(c);
        return;
    }
    c->step = s;
    switch (s->kind) {
    case GP_STEP_CONNECT:
        if (c->wsi) {
            record(c, GP_FR_NOTE, s->id, "connect step while connected; closing first");
            c->reconnect_after_close = false;
            c->stack[c->depth - 1].pos--; /* run this connect again once closed */
            begin_close(c, 1000, "reconnect");
            return;
        }
        start_connect(c, s->u.connect.credential, s->u.connect.expect_refused, s->id);
        return;
    case GP_STEP_SEND:
        do_send(c, s);
        return;
    case GP_STEP_EXPECT:
        if (!c->wsi) {
            record(c, GP_FR_EXPECT_FAIL, s->id, "no open connection to expect a frame on");
            abort_user(c);
            return;
        }
        c->state = CS_WAIT_EXPECT;
        free(c->last_mismatch);
        c->last_mismatch = NULL;
        arm_timeout(c, s->u.expect.timeout_us > 0 ? s->u.expect.timeout_us : r->to.expect_us);
        if (expect_backlog(c)) {
            c->state = CS_READY;
            break; /* to the next step */
        }
        return;
    case GP_STEP_EXPECT_RUN:
        c->run_begin_us = now_rel(r);
        c->run_any_event = false;
        c->run_started_frame = GP_NO_FRAME_INDEX;
        record(c, GP_FR_RUN_BEGIN, s->id, c->run_thread);
        if (!c->wsi) {
            record(c, GP_FR_RUN_END, s->id, "closed");
            r->runs_done++;
            r->problems++;
            abort_user(c);
            return;
        }
        c->state = CS_WAIT_RUN;
        {
            int64_t deadline =
                s->u.expect_run.deadline_us > 0 ? s->u.expect_run.deadline_us : r->to.run_us;

            arm_timeout(c, r->to.first_event_us < deadline ? r->to.first_event_us : deadline);
        }
        return;
    case GP_STEP_THINK:
        c->state = CS_THINK;
        arm_delay(c, think_us(s));
        return;
    case GP_STEP_PING:
        if (!c->wsi || !c->established) {
            record(c, GP_FR_EXPECT_FAIL, s->id, "no open connection to ping on");
            abort_user(c);
            return;
        }
        c->state = CS_WAIT_PONG;
        c->ping_pending = true;
        lws_callback_on_writable(c->wsi);
        arm_timeout(c, s->u.ping.timeout_us > 0 ? s->u.ping.timeout_us : r->to.expect_us);
        return;
    case GP_STEP_CLOSE:
        if (!c->wsi) {
            run_steps(c);
            return;
        }
        begin_close(c, s->u.close.code ? s->u.close.code : 1000,
                    s->u.close.reason ? s->u.close.reason : "done");
        return;
    case GP_STEP_RECONNECT:
        if (!c->wsi) {
            c->state = CS_RECONNECT_DELAY;
            arm_delay(c, s->u.reconnect.delay_us);
            return;
        }
        c->reconnect_after_close = true;
        begin_close(c, 1000, "reconnect");
        return;
    case GP_STEP_REPEAT:
        break; /* next_step never returns one */
    }
    run_steps(c);
}

/* ---- load shapes (issue 9): open-model arrivals and soak iterations ---- */

/* An open-model user arrives: it starts, or, when max_active users are in flight, it is a
 * dropped arrival, counted and never judged. Returns true when it was dropped. */
static bool shape_arrive(conn *c)
{
    runner *r = c->r;

    if (!gp_shape_open(&r->shape))
        return false;
    if (r->shape.max_active && r->active >= r->shape.max_active) {
        c->dropped = true;
        r->dropped++;
        finish_user(c);
        return true;
    }
    r->active++;
    return false;
}

/* The user's steps are over and its connection closed. In a soak whose duration leaves room,
 * its finished iteration is kept and the next one begins after the pause, with a fresh
 * transcript, nonce and credential; returns true then. Otherwise false: the user is done. */
static bool shape_user_done(conn *c)
{
    runner *r = c->r;
    gp_transcript *t;
    gp_err err = {0};
    char nonce[33];
    uint32_t rnd = 0;
    int64_t pause;

    if (gp_shape_open(&r->shape) && !c->dropped && r->active)
        r->active--;
    if (!gp_shape_soak(&r->shape) || r->stopping || r->stop)
        return false;
    if (RAND_bytes((unsigned char *)&rnd, sizeof rnd) != 1)
        rnd = (uint32_t)gp_now_us();
    pause = gp_shape_pause(&r->shape, rnd);
    if (r->shape.nstages) {
        /* stages: the next iteration waits until the target wants this user again */
        int64_t at = gp_shape_next_wanted(&r->shape, (unsigned)c->index,
                                          gp_now_us() + pause - r->t0);

        if (at < 0)
            return false;
        pause = r->t0 + at - gp_now_us();
    }
    if (gp_now_us() + pause >= r->shape_end)
        return false;
    /* A soak's transcripts together stay within the run's bound on transcript memory. */
    if (r->iter_bytes + c->t->bytes + (size_t)r->nusers * c->t->max_bytes >
        GP_TRANSCRIPTS_RUN_MAX_BYTES) {
        record(c, GP_FR_NOTE, -1,
               "soak: no further iteration for this user: the run's transcripts reached their "
               "memory bound");
        return false;
    }
    r->iter_bytes += c->t->bytes;
    if (r->niters == r->iters_cap) {
        r->iters_cap = r->iters_cap ? r->iters_cap * 2 : 64;
        r->iters = gp_realloc(r->iters, r->iters_cap * sizeof *r->iters);
    }
    r->iters[r->niters++] = c->t;
    random_hex(nonce, 16);
    free(c->nonce);
    c->nonce = gp_strdup(nonce);
    t = gp_transcript_new(c->index, c->user_id, c->nonce);
    t->iteration = c->t->iteration + 1;
    t->max_frames = c->t->max_frames;
    t->max_bytes = c->t->max_bytes;
    t->frame_cost = c->t->frame_cost;
    c->t = t;
    if (r->s->auth.kind == GP_AUTH_JWT) {
        char *tok = mint(c, r->secret, false, &err);

        /* a long soak outlives one token's lifetime: each iteration gets a new one */
        if (tok) {
            free(c->token);
            c->token = remember(r, tok);
        }
    }
    free(c->cur_token);
    free(c->last_mismatch);
    free(c->run_thread);
    c->cur_token = c->last_mismatch = c->run_thread = NULL;
    json_decref(c->captured);
    c->captured = NULL;
    c->stack[0].steps = r->s->steps;
    c->stack[0].n = r->s->nsteps;
    c->stack[0].pos = 0;
    c->stack[0].remaining = 0;
    c->depth = 1;
    c->step = NULL;
    c->scan_from = 0;
    c->abort_after_close = c->reconnect_after_close = false;
    c->timeout_deferred = false;
    c->state = CS_IDLE;
    arm_delay(c, pause);
    return true;
}

/* ---- end of load shapes ---- */

static void finish_user(conn *c)
{
    runner *r = c->r;

    if (c->state == CS_DONE)
        return;
    c->depth = 0;
    if (c->wsi) {
        /* Close politely first; the CLOSED callback comes back here. */
        c->abort_after_close = true;
        if (c->state != CS_CLOSING)
            begin_close(c, 1000, "done");
        return;
    }
    cancel_timers(c);
    queue_clear(c);
    release_slot(c);
    if (shape_user_done(c))
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

    cancel_timeout(c);
    record(c, GP_FR_RUN_END, s ? s->id : -1, why);
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
        record(c, GP_FR_NOTE, s->id, "no agent_started to capture from");
        return;
    }
    f = &c->t->frames[c->run_started_frame];
    if (gp_event_parse(f->data, f->len, &c->r->s->profile, &ev, NULL) == 0) {
        size_t missing = gp_match_capture(s->u.expect_run.captures, s->u.expect_run.ncaptures,
                                          ev.root, &c->r->s->profile, c->captured);

        if (missing)
            recordf(c, GP_FR_NOTE, s->id, "%zu capture(s) found nothing in agent_started", missing);
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
        arm_timeout(c, deadline - (now_rel(r) - c->run_begin_us));
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
        arm_delay(c, r->to.linger_us);
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
    make_vars(c, &v);
    if (!gp_match_expect(c->step, ev->root, &c->r->s->profile, &v, why, sizeof why)) {
        free(c->last_mismatch);
        c->last_mismatch = gp_strdup(why);
        return false;
    }
    gp_match_capture(c->step->u.expect.captures, c->step->u.expect.ncaptures, ev->root,
                     &c->r->s->profile, c->captured);
    snprintf(num, sizeof num, "%zu", idx);
    cancel_timeout(c);
    record(c, GP_FR_EXPECT_OK, c->step->id, num);
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
static void on_frame(conn *c, size_t idx, const char *text, size_t len)
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
                    became_ready(c);
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
            recordf(c, GP_FR_EXPECT_FAIL, c->step->id,
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
            became_ready(c);
        break;
    case CS_WAIT_EXPECT:
        if (expect_frame(c, &ev, idx)) {
            c->state = CS_READY;
            run_steps(c);
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
static void on_text(conn *c, const char *text, size_t len)
{
    char *owned;

    text = scrub(c->r, text, &len, &owned);
    on_frame(c, gp_transcript_add(c->t, GP_FR_RECV_TEXT, now_rel(c->r), 0, text, len), text, len);
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
        record(c, GP_FR_NOTE, step_id, why);
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
            recordf(c, GP_FR_TIMEOUT, c->connect_step,
                    "connect timeout: the %s got no answer within %s", http_what(c->http), secs);
            http_abandon(c);
            c->attempt_over = true;
            connect_failed(c);
            break;
        }
        if (c->established && describe_stall(c, why, sizeof why))
            recordf(c, GP_FR_TIMEOUT, c->step ? c->step->id : -1,
                    "connected, but no ready frame within %s: the server %s", secs, why);
        else if (c->established)
            recordf(c, GP_FR_TIMEOUT, c->step ? c->step->id : -1,
                    "connected, but no ready frame within %s", secs);
        else if (c->request_sent)
            recordf(c, GP_FR_TIMEOUT, c->step ? c->step->id : -1,
                    "connect timeout: no WebSocket upgrade within %s (the server accepted the "
                    "connection and the upgrade request, but sent no complete HTTP response)",
                    secs);
        else
            recordf(c, GP_FR_TIMEOUT, c->step ? c->step->id : -1,
                    "connect timeout: no WebSocket upgrade within %s (no %s connection "
                    "was made)",
                    secs, r->tls ? "TCP/TLS" : "TCP");
        if (!c->expect_refused)
            c->abort_after_close = true;
        c->r->problems += !c->expect_refused;
        begin_close(c, 1000, "connect timeout");
        break;
    case CS_WAIT_EXPECT:
        note_stall(c, c->step->id);
        fmt_secs(c->step->u.expect.timeout_us > 0 ? c->step->u.expect.timeout_us : r->to.expect_us,
                 secs, sizeof secs);
        recordf(c, GP_FR_EXPECT_FAIL, c->step->id, "no matching frame within %s%s%s", secs,
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
        recordf(c, GP_FR_EXPECT_FAIL, c->step->id, "no pong within %s", secs);
        r->problems++;
        abort_user(c);
        break;
    case CS_CLOSING:
        record(c, GP_FR_NOTE, -1, "closing handshake timed out; dropping the connection");
        kill_wsi(c);
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
        if (shape_arrive(c))
            break; /* dropped: max_active users were in flight */
        c->state = CS_READY;
        run_steps(c);
        break;
    case CS_THINK:
        c->state = CS_READY;
        run_steps(c);
        break;
    case CS_LINGER:
        run_captures(c);
        c->scan_from = c->t->nframes;
        c->state = CS_READY;
        run_steps(c);
        break;
    case CS_RECONNECT_DELAY:
        start_connect(c, GP_CRED_VALID, false, c->step ? c->step->id : -1);
        break;
    case CS_CONNECT_FAILED:
        connect_failed(c);
        break;
    default:
        break;
    }
}

/* The connection is gone (CLOSED after ESTABLISHED). */
static void on_closed(conn *c)
{
    runner *r = c->r;

    c->wsi = NULL;
    release_slot(c);
    if (c->established && r->connected)
        r->connected--;
    c->established = false;
    queue_clear(c);
    if (r->stopping)
        return;
    switch (c->state) {
    case CS_CONNECTING:
        cancel_timeout(c);
        if (c->expect_refused) {
            c->state = CS_READY;
            run_steps(c);
        } else {
            r->problems++;
            finish_user(c);
        }
        break;
    case CS_CLOSING:
        cancel_timeout(c);
        if (c->abort_after_close) {
            finish_user(c);
        } else if (c->reconnect_after_close) {
            c->reconnect_after_close = false;
            c->state = CS_RECONNECT_DELAY;
            arm_delay(c, c->step && c->step->kind == GP_STEP_RECONNECT
                             ? c->step->u.reconnect.delay_us
                             : 0);
        } else {
            c->state = CS_READY;
            run_steps(c);
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
        run_steps(c);
        break;
    case CS_WAIT_EXPECT:
    case CS_WAIT_PONG:
        record(c, GP_FR_EXPECT_FAIL, c->step ? c->step->id : -1,
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

/* ---- the libwebsockets callback ---- */

static int write_next(conn *c, struct lws *wsi)
{
    qmsg *m;
    int n;

    if (c->want_close) {
        lws_close_reason(wsi, (enum lws_close_status)c->close_code,
                         (unsigned char *)c->close_reason, strlen(c->close_reason));
        return -1;
    }
    if (c->ping_pending) {
        unsigned char b[LWS_PRE + 8];

        c->ping_pending = false;
        if (lws_write(wsi, b + LWS_PRE, 0, LWS_WRITE_PING) < 0)
            return -1;
        record(c, GP_FR_PING_SENT, c->step ? c->step->id : -1, NULL);
        if (c->qhead)
            lws_callback_on_writable(wsi);
        return 0;
    }
    m = c->qhead;
    if (!m)
        return 0;
    /* Record first: lws_write masks a client frame's payload in place. */
    {
        size_t len = m->len;
        char *owned;
        const char *text = scrub(c->r, (const char *)m->buf + LWS_PRE, &len, &owned);

        gp_transcript_add(c->t, GP_FR_SENT, now_rel(c->r), 0, text, len);
        free(owned);
    }
    n = lws_write(wsi, m->buf + LWS_PRE, m->len, LWS_WRITE_TEXT);
    if (n < (int)m->len)
        return -1;
    c->qhead = m->next;
    if (!c->qhead)
        c->qtail = NULL;
    c->qlen--;
    free(m);
    if (c->qhead) {
        lws_callback_on_writable(wsi);
    } else if (c->state == CS_WAIT_WRITE) {
        c->state = CS_READY;
        run_steps(c);
    }
    return 0;
}

static void on_receive(conn *c, struct lws *wsi, const void *in, size_t len)
{
    size_t max =
        c->r->s->profile.max_frame_bytes ? c->r->s->profile.max_frame_bytes : (size_t)1 << 20;

    if (lws_is_first_fragment(wsi) && lws_is_final_fragment(wsi) &&
        !lws_remaining_packet_payload(wsi) && !lws_frame_is_binary(wsi) && len <= max) {
        /* The whole message in one piece, the common case: no buffer of ours. */
        c->rx_partial = false;
        c->rx_seen = len;
        on_text(c, len ? in : "", len);
        return;
    }
    if (c->inflate_stopped)
        return;
    if (lws_is_first_fragment(wsi)) {
        /* A joined message may grow only as far as the transcript could keep it: the user's
         * share of the run's memory bound holds while frames arrive, not only once kept. */
        size_t room = gp_transcript_room(c->t);

        gp_buf_reset(&c->rx);
        c->rx.max = room < max ? room : max;
        c->rx_binary = lws_frame_is_binary(wsi);
        c->rx_oversize = false;
        c->rx_unkept = false;
        c->rx_seen = 0;
    }
    c->rx_seen += len;
    if (!c->rx_binary && !c->rx_oversize && !c->rx_unkept && gp_buf_append(&c->rx, in, len) != 0) {
        if (c->rx_seen > max)
            c->rx_oversize = true;
        else
            c->rx_unkept = true;
        gp_buf_cleanup(&c->rx);
        gp_buf_init(&c->rx, max);
    }
    /* Compressed, the sizes that count are inflated ones, and a small frame can inflate
     * without end (a decompression bomb): stop at the cap instead of inflating the rest.
     * Returning nonzero here would not do: lws 4.1.6 ignores it while it drains inflated
     * data and then spins in that drain loop for ever (lib/roles/ws/client-ws.c). Killing
     * the connection from the next service pass stops it after the bytes already read. */
    if (c->deflate[0] && (c->rx_oversize || (c->rx_binary && c->rx_seen > max))) {
        gp_transcript_add(c->t, GP_FR_OVERSIZE, now_rel(c->r), (int)(max > INT32_MAX ? 0 : max),
                          NULL, c->rx_seen);
        record(c, GP_FR_NOTE, -1, GP_NOTE_INFLATE_STOPPED);
        gp_buf_cleanup(&c->rx);
        gp_buf_init(&c->rx, max);
        c->rx_partial = false;
        c->inflate_stopped = true;
        c->want_close = true;
        c->close_code = LWS_CLOSE_STATUS_MESSAGE_TOO_LARGE;
        c->close_reason = "message too big";
        lws_close_reason(wsi, LWS_CLOSE_STATUS_MESSAGE_TOO_LARGE,
                         (unsigned char *)"message too big", 15);
        lws_set_timeout(wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
        return;
    }
    if (!lws_is_final_fragment(wsi) || lws_remaining_packet_payload(wsi)) {
        c->rx_partial = true;
        return;
    }
    c->rx_partial = false;
    if (c->rx_binary) {
        gp_transcript_add(c->t, GP_FR_RECV_BINARY, now_rel(c->r), 0, NULL, c->rx_seen);
    } else if (c->rx_seen > max) {
        gp_transcript_add(c->t, GP_FR_OVERSIZE, now_rel(c->r), (int)(max > INT32_MAX ? 0 : max),
                          NULL, c->rx_seen);
    } else if (c->rx_unkept) {
        gp_transcript_drop(c->t);
        on_frame(c, GP_NO_FRAME_INDEX, NULL, 0);
    } else {
        /* The joined buffer becomes the transcript's copy, cut to its length: no second copy
         * of a big frame, and no buffer kept at its peak size between messages. */
        size_t n = c->rx.len, cap = c->rx.cap, idx;
        char *data = gp_buf_steal(&c->rx), *red = gp_secrets_redact(c->r->secrets, data, n, &n);

        if (red) { /* a credential of the run was in it: keep only the redacted copy */
            free(data);
            data = red;
            cap = n + 1;
        }

        if (cap > n + 1)
            data = gp_realloc(data, n + 1);
        idx = gp_transcript_add_owned(c->t, GP_FR_RECV_TEXT, now_rel(c->r), 0, data, n);
        on_frame(c, idx, idx != GP_NO_FRAME_INDEX ? c->t->frames[idx].data : NULL, n);
    }
    gp_buf_cleanup(&c->rx);
    gp_buf_init(&c->rx, max);
}

/* libwebsockets says only "Unable to connect"; one plain TCP connect (bounded to a second,
 * done once per run) finds the reason a person can act on, such as "Connection refused". */
static const char *tcp_probe(runner *r)
{
    struct addrinfo hints, *res = NULL;
    char port[16];
    int fd = -1, err = 0;
    socklen_t len = sizeof err;
    struct pollfd pfd;

    if (r->probed)
        return r->probe;
    r->probed = true;
    snprintf(port, sizeof port, "%d", r->port);
    memset(&hints, 0, sizeof hints);
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICHOST;
    if (getaddrinfo(r->addr, port, &hints, &res) != 0 || !res) {
        snprintf(r->probe, sizeof r->probe, "no TCP connection to %s:%d", r->addr, r->port);
        goto out;
    }
    fd = socket(res->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        err = errno;
    } else if (connect(fd, res->ai_addr, res->ai_addrlen) != 0) {
        err = errno;
        if (err == EINPROGRESS) {
            pfd.fd = fd;
            pfd.events = POLLOUT;
            pfd.revents = 0;
            if (poll(&pfd, 1, 1000) <= 0)
                err = ETIMEDOUT;
            else if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0)
                err = errno;
        }
    }
    if (err)
        snprintf(r->probe, sizeof r->probe, "no TCP connection to %s:%d: %s", r->addr, r->port,
                 strerror(err));
    else
        snprintf(r->probe, sizeof r->probe,
                 "a TCP connection to %s:%d was refused or dropped (it succeeds now)", r->addr,
                 r->port);
out:
    if (fd >= 0)
        close(fd);
    if (res)
        freeaddrinfo(res);
    return r->probe;
}

/* A connect that could not even start, with a source address set: can this host bind it?
 * Returns a sentence when it cannot, else NULL. */
static const char *source_problem(conn *c)
{
    runner *r = c->r;
    const char *addr;
    struct sockaddr_in sa;
    int fd, e = 0;

    if (!r->nsrc)
        return NULL;
    addr = r->src[c->index % r->nsrc];
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    if (inet_pton(AF_INET, addr, &sa.sin_addr) != 1) {
        snprintf(r->explained, sizeof r->explained,
                 "the source address %s is not an IPv4 "
                 "address",
                 addr);
        return r->explained;
    }
    fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0)
        e = errno;
    if (fd >= 0)
        close(fd);
    if (!e)
        return NULL;
    snprintf(r->explained, sizeof r->explained,
             "cannot connect from the source address %s: %s (is it an address of this host? "
             "see --source-address)",
             addr, strerror(e));
    return r->explained;
}

/* libwebsockets' terse handshake errors, said so a person can act on them; the original
 * stays in parentheses, where the judge finds "HS:" (a failed upgrade). */
static const char *explain_conn_error(conn *c, const char *in)
{
    static const struct {
        const char *lws, *says;
    } known[] = {
        {"HS: Accept hash wrong", "the server's Sec-WebSocket-Accept does not match the key "
                                  "(HS: Accept hash wrong)"},
        {"HS: UPGRADE missing", "the 101 response has no Upgrade header (HS: UPGRADE missing)"},
        {"HS: CONNECTION missing",
         "the 101 response has no Connection header (HS: CONNECTION missing)"},
        {"HS: ACCEPT missing", "no Sec-WebSocket-Accept in the 101 response (HS: ACCEPT missing)"},
    };
    size_t i;

    /* Through a proxy, a failure before the upgrade request is the proxy's until the proxy
     * says it grants the tunnel; TLS with the target comes after the tunnel. */
    if (c->r->troute.proxied && !c->request_sent && !(in && strncmp(in, "connect SSL", 11) == 0))
        return gp_rn_route_explain(&c->r->troute, c->r->host, c->r->port, in);
    if (!in)
        return "no detail";
    for (i = 0; i < sizeof known / sizeof known[0]; i++)
        if (strcmp(in, known[i].lws) == 0)
            return known[i].says;
    if (strcmp(in, "read failed") == 0 && c->request_sent)
        return "the server closed the connection before completing the WebSocket upgrade "
               "(read failed)";
    /* OpenSSL's verify failures reach us only as "connect SSL err 1: error:00000001:..." */
    if (strncmp(in, "connect SSL err", 15) == 0)
        return gp_rn_tls_explain(c->r->explained, sizeof c->r->explained, in);
    if (strcmp(in, "Unable to connect") == 0 && !c->request_sent) {
        if (source_problem(c))
            return c->r->explained;
        snprintf(c->r->explained, sizeof c->r->explained, "%s (%s)", tcp_probe(c->r), in);
        return c->r->explained;
    }
    return in;
}

static int classify_status(const char *in)
{
    if (!in)
        return 0;
    if (strstr(in, "unauthorized"))
        return 401;
    if (strstr(in, "forbidden"))
        return 403;
    return 0;
}

/* Our side of permessage-deflate, set before the server's answer is applied: our few small
 * messages need no 32 KiB window, and a smaller one than agreed is always allowed (RFC 7692
 * 7.1.2.2), so deflating costs a few KiB per user instead of about 256 KiB. Inflating uses
 * the window the server chose. */
static int ext_defaults(const char *ext, char *buf, size_t size)
{
    if (ext && buf && strcmp(ext, "permessage-deflate") == 0)
        snprintf(buf, size, "client_max_window_bits=9; mem_level=1");
    return 0;
}

static int callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                    size_t len)
{
    conn *c;

    /* Here user is the extension's name, not our conn. */
    if (reason == LWS_CALLBACK_WS_EXT_DEFAULTS)
        return ext_defaults(user, in, len);
    c = user && *(const uint32_t *)user == CONN_MAGIC ? user : NULL;
    /* lws may deliver an HTTP request's wsi callbacks (WSI_DESTROY) here: hand them over. */
    if (user && *(const uint32_t *)user == HTTP_MAGIC)
        return gp_rn_http_callback(wsi, reason, user, in, len);
    switch (reason) {
    case LWS_CALLBACK_CLIENT_APPEND_HANDSHAKE_HEADER: {
        unsigned char **p = in, *end = *p + len;
        const gp_target *tg;
        size_t i;

        if (!c)
            break;
        c->request_sent = true;
        tg = &c->r->s->target;
        if (c->cur_token && tg->carrier == GP_CARRIER_BEARER) {
            char *v = gp_asprintf("Bearer %s", c->cur_token);
            int rc = lws_add_http_header_by_token(wsi, WSI_TOKEN_HTTP_AUTHORIZATION,
                                                  (unsigned char *)v, (int)strlen(v), p, end);

            free(v);
            if (rc)
                return -1;
        }
        for (i = 0; i < tg->nheaders; i++) {
            gp_vars v;
            char *name = gp_asprintf("%s:", tg->headers[i].key), *val;

            make_vars(c, &v);
            val = gp_template_expand(tg->headers[i].value, &v, NULL);
            if (val && lws_add_http_header_by_name(wsi, (unsigned char *)name, (unsigned char *)val,
                                                   (int)strlen(val), p, end)) {
                free(name);
                free(val);
                return -1;
            }
            free(name);
            free(val);
        }
        break;
    }
    case LWS_CALLBACK_CLIENT_FILTER_PRE_ESTABLISH:
        if (c && lws_hdr_total_length(wsi, WSI_TOKEN_EXTENSIONS) > 0 &&
            lws_hdr_copy(wsi, c->deflate, sizeof c->deflate, WSI_TOKEN_EXTENSIONS) > 0 &&
            strncmp(c->deflate, "permessage-deflate", 18) != 0)
            c->deflate[0] = '\0';
        if (c && lws_hdr_total_length(wsi, WSI_TOKEN_PROTOCOL) > 0) {
            int n = lws_hdr_total_length(wsi, WSI_TOKEN_PROTOCOL) + 1;

            free(c->subproto);
            c->subproto = gp_malloc((size_t)n);
            if (lws_hdr_copy(wsi, c->subproto, n, WSI_TOKEN_PROTOCOL) < 0) {
                free(c->subproto);
                c->subproto = NULL;
            }
        }
        break;
    case LWS_CALLBACK_CLIENT_ESTABLISHED:
        if (!c)
            break;
        c->established = true;
        c->r->connected++;
        release_slot(c);
        free(c->cur_token); /* presented in the upgrade request; not needed any more */
        c->cur_token = NULL;
        if (c->subproto && strncmp(c->subproto, "jwt.", 4) == 0)
            record(c, GP_FR_CONNECTED, 0, "jwt.<redacted>");
        else
            record(c, GP_FR_CONNECTED, 0, c->subproto && c->subproto[0] ? c->subproto : NULL);
        if (c->deflate[0])
            recordf(c, GP_FR_NOTE, -1, "%s %s", GP_NOTE_DEFLATE, c->deflate);
        else if (c->r->s->target.compression == GP_COMPRESSION_DEFLATE)
            record(c, GP_FR_NOTE, -1, GP_NOTE_NO_DEFLATE);
        break;
    case LWS_CALLBACK_CLIENT_CONNECTION_ERROR: {
        int status;

        if (!c || c->attempt_over)
            break;
        c->attempt_over = true;
        status = lws_http_client_http_response(wsi);
        if (status == 0 || status == 101)
            status = classify_status(in);
        if (status > 0)
            recordf(c, GP_FR_CONN_ERROR, status, "upgrade refused: HTTP %d (%s)%s", status,
                    in ? (const char *)in : "no detail",
                    /* nginx's answer to a missing client certificate, among others */
                    status == 400 && c->r->tls && !c->r->s->target.client_cert
                        ? "; a server that requires a client certificate answers 400 when "
                          "none is sent: see target.client_cert"
                        : "");
        else
            recordf(c, GP_FR_CONN_ERROR, 0, "connect failed: %s",
                    explain_conn_error(c, in ? (const char *)in : NULL));
        c->wsi = NULL;
        release_slot(c);
        if (c->in_connect)
            c->failed_in_connect = true;
        else if (!c->r->stopping)
            connect_failed(c);
        break;
    }
    case LWS_CALLBACK_CLIENT_RECEIVE: {
        /* lws 4.1.6's client, with permessage-deflate active, hands an uncompressed data
         * message (RSV1 clear, which RFC 7692 allows) to us again and again for ever
         * (lib/roles/ws/client-parser-ws.c ignores PMDR_NOTHING_WE_SHOULD_DO). Take it once,
         * then close: a bounded, explained failure instead of a hang. */
        bool plain;

        if (!c)
            break;
        plain = c->deflate[0] && lws_is_first_fragment(wsi) &&
                !(lws_get_reserved_bits(wsi) & 0x40);
        on_receive(c, wsi, in, len);
        if (plain && !c->inflate_stopped) {
            record(c, GP_FR_NOTE, -1, GP_NOTE_UNCOMPRESSED);
            c->inflate_stopped = true;
            c->want_close = true;
            c->close_code = LWS_CLOSE_STATUS_UNEXPECTED_CONDITION;
            c->close_reason = "uncompressed message with permessage-deflate";
            lws_close_reason(wsi, LWS_CLOSE_STATUS_UNEXPECTED_CONDITION,
                             (unsigned char *)c->close_reason, strlen(c->close_reason));
            return -1;
        }
        break;
    }
    case LWS_CALLBACK_CLIENT_RECEIVE_PONG:
        if (!c)
            break;
        record(c, GP_FR_PONG, 0, NULL);
        if (c->state == CS_WAIT_PONG) {
            cancel_timeout(c);
            record(c, GP_FR_EXPECT_OK, c->step->id, "pong");
            c->state = CS_READY;
            run_steps(c);
        }
        break;
    case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE:
        if (c && len >= 2) {
            const unsigned char *b = in;
            size_t rl = len - 2 < sizeof c->peer_close_reason - 1 ? len - 2
                                                                  : sizeof c->peer_close_reason - 1;

            c->peer_close_code = b[0] << 8 | b[1];
            memcpy(c->peer_close_reason, b + 2, rl);
            c->peer_close_reason[rl] = '\0';
        } else if (c) {
            c->peer_close_code = 1005;
        }
        break;
    case LWS_CALLBACK_CLIENT_WRITEABLE:
        if (c)
            return write_next(c, wsi);
        break;
    case LWS_CALLBACK_WSI_DESTROY:
        /* The backstop: a wsi we killed before its upgrade finished (a connect timeout) is
         * destroyed with only CLOSED_CLIENT_HTTP, neither CONNECTION_ERROR nor
         * CLIENT_CLOSED. Whatever ends this attempt, c->wsi must not outlive its wsi. */
        if (!c || c->wsi != wsi)
            break;
        c->wsi = NULL;
        release_slot(c);
        if (c->attempt_over)
            break;
        c->attempt_over = true;
        if (c->established) {
            record(c, GP_FR_CLOSED, 1006,
                   c->r->stopping ? "closed: the run was stopped"
                                  : "connection lost without a close frame (1006)");
            on_closed(c);
        } else if (c->state == CS_CLOSING || c->r->stopping) {
            on_closed(c); /* we dropped it ourselves, after recording why */
        } else {
            record(c, GP_FR_CONN_ERROR, 0,
                   "connect failed: the connection ended before the WebSocket upgrade");
            if (c->in_connect)
                c->failed_in_connect = true;
            else
                connect_failed(c);
        }
        break;
    case LWS_CALLBACK_CLIENT_CLOSED:
        if (!c || c->attempt_over)
            break;
        c->attempt_over = true;
        if (c->peer_close_code)
            recordf(c, GP_FR_CLOSED, c->peer_close_code, "closed by server: %d%s%s",
                    c->peer_close_code, c->peer_close_reason[0] ? " " : "", c->peer_close_reason);
        else if (c->want_close)
            recordf(c, GP_FR_CLOSED, c->close_code, "closed by us: %d %s", c->close_code,
                    c->close_reason);
        else
            record(c, GP_FR_CLOSED, 1006,
                   c->r->stopping ? "closed: the run was stopped"
                                  : "connection lost without a close frame (1006)");
        on_closed(c);
        break;
    default:
        break;
    }
    return 0;
}

/* What the upgrade offers when target.compression is deflate, as a browser does: lws's own
 * permessage-deflate, which inflates into a bounded buffer (1 KiB, capped by RX_CHUNK) and
 * hands us the inflated message in pieces. */
static const struct lws_extension deflate_exts[] = {
    {"permessage-deflate", lws_extension_callback_pm_deflate,
     "permessage-deflate; client_max_window_bits"},
    {NULL, NULL, NULL},
};

static const struct lws_protocols protocols[] = {
    {"goldenpath", callback, 0, RX_CHUNK, 0, NULL, 0},
    {"goldenpath-http", gp_rn_http_callback, 0, 4096, 0, NULL, 0},
    {NULL, NULL, 0, 0, 0, NULL, 0},
};

/* ---- the run as a whole ---- */

/* Every TICK_US: how late the loop ran this tick (its lag), the interrupt flag, and the
 * progress line every PROGRESS_US. Nothing here depends on the number of users. */
static void on_tick(gp_timer *t)
{
    runner *r = lws_container_of(t, runner, tick);
    int64_t now = gp_now_us(), lag = now - t->at_us;

    gp_hist_record(&r->lag, lag > 0 ? lag : 0);
    if (r->o->interrupt && *r->o->interrupt) {
        r->interrupted = true;
        r->stop = true;
        return;
    }
    if (r->o->progress && now >= r->next_progress) {
        gp_progress p = {r->nusers, r->connected, r->finished, r->runs_done, r->problems};

        r->o->progress(&p, r->o->progress_ud);
        r->next_progress = now + PROGRESS_US;
    }
    /* From the deadline, not from now: a late tick does not drift the probe. */
    gp_timer_arm(&r->timers, &r->tick,
                 t->at_us + TICK_US > now ? t->at_us + TICK_US : now + TICK_US, on_tick);
}

static void lws_log_emit(int level, const char *line)
{
    /* libwebsockets may log a URL or header; credentials must not reach stderr. */
    char *safe = gp_redact(line, strlen(line));

    fprintf(stderr, "goldenpath: lws: %s", safe);
    free(safe);
}

static int load_credentials(runner *r, gp_err *err)
{
    const gp_auth *a = &r->s->auth;

    switch (a->kind) {
    case GP_AUTH_JWT: {
        const char *name = a->secret_env; /* the model's default when the file names none */

        r->secret = getenv(name);
        if (!r->secret || !*r->secret) {
            gp_err_set(err, GP_EXIT_USAGE, r->s->path, 0, 0,
                       "environment variable %s (the JWT secret) is not set", name);
            return -1;
        }
        gp_secrets_add(r->secrets, r->secret, strlen(r->secret));
        r->jwt_key = gp_jwt_key_new(r->secret, strlen(r->secret), err);
        /* Other workers' users' tokens are not in this process's set: known by signature. */
        gp_secrets_set_jwt_key(r->secrets, r->jwt_key);
        return r->jwt_key ? 0 : -1;
    }
    case GP_AUTH_ENV_TOKEN:
        if (!a->token_env || !getenv(a->token_env) || !*getenv(a->token_env)) {
            gp_err_set(err, GP_EXIT_USAGE, r->s->path, 0, 0,
                       "environment variable %s (the token) is not set",
                       a->token_env ? a->token_env : "(none)");
            return -1;
        }
        gp_secrets_add(r->secrets, getenv(a->token_env), strlen(getenv(a->token_env)));
        return 0;
    case GP_AUTH_TOKEN_FILE: {
        FILE *f = a->token_file ? fopen(a->token_file, "r") : NULL;
        char line[16384];

        if (!f) {
            gp_err_set(err, GP_EXIT_USAGE, a->token_file, 0, 0, "cannot open token file: %s",
                       strerror(errno));
            return -1;
        }
        while (fgets(line, sizeof line, f)) {
            line[strcspn(line, "\r\n")] = '\0';
            if (!line[0] || line[0] == '#')
                continue;
            r->file_tokens =
                gp_realloc(r->file_tokens, (r->nfile_tokens + 1) * sizeof *r->file_tokens);
            r->file_tokens[r->nfile_tokens++] = remember(r, gp_strdup(line));
        }
        fclose(f);
        if (!r->nfile_tokens) {
            gp_err_set(err, GP_EXIT_USAGE, a->token_file, 0, 0, "the token file has no tokens");
            return -1;
        }
        return 0;
    }
    case GP_AUTH_NONE:
        return 0;
    case GP_AUTH_E2E: {
        const char *name = a->bypass_key_env ? a->bypass_key_env : "GOLDENPATH_BYPASS_KEY";

        if (!getenv(name) || !*getenv(name)) {
            gp_err_set(err, GP_EXIT_USAGE, r->s->path, 0, 0,
                       "environment variable %s (the test-auth bypass key) is not set", name);
            return -1;
        }
        gp_secrets_add(r->secrets, getenv(name), strlen(getenv(name)));
        return 0;
    }
    }
    return 0;
}

static int init_user(runner *r, conn *c, size_t i, gp_err *err)
{
    gp_vars v;
    char nonce[33];

    c->magic = CONN_MAGIC;
    c->r = r;
    c->index = i;
    random_hex(nonce, 16);
    c->nonce = gp_strdup(nonce);
    c->uuid_state = (uint64_t)i << 32;
    gp_buf_init(&c->rx,
                r->s->profile.max_frame_bytes ? r->s->profile.max_frame_bytes : (size_t)1 << 20);
    memset(&v, 0, sizeof v);
    v.user_index = i;
    v.nonce = c->nonce;
    v.user_id = "";
    v.uuid_state = &c->uuid_state;
    c->user_id = gp_template_expand(
        r->s->users.id_template, &v, err);
    if (!c->user_id)
        return -1;
    c->t = gp_transcript_new(i, c->user_id, c->nonce);
    /* Bounded memory: per user 20000 frames, and an equal share of the run's bound on
     * transcript bytes (data and records, across every worker), with no floor. */
    c->t->max_frames = 20000;
    c->t->max_bytes = gp_transcript_budget(r->total);
    c->t->frame_cost = GP_TRANSCRIPT_FRAME_COST;
    if (gp_shape_soak(&r->shape))
        c->t->iteration = 1;
    switch (r->s->auth.kind) {
    case GP_AUTH_JWT:
        c->token = remember(r, mint(c, r->secret, false, err));
        if (!c->token)
            return -1;
        break;
    case GP_AUTH_ENV_TOKEN:
        c->token = gp_strdup(getenv(r->s->auth.token_env));
        break;
    case GP_AUTH_TOKEN_FILE:
        c->token = gp_strdup(r->file_tokens[i % r->nfile_tokens]);
        break;
    case GP_AUTH_NONE:
    case GP_AUTH_E2E: /* fetched from the auth service at the first connect */
        break;
    }
    c->stack[0].steps = r->s->steps;
    c->stack[0].n = r->s->nsteps;
    c->depth = 1;
    return 0;
}

/* Hands the run's transcripts to out: every user's, and in a soak every iteration's, in user
 * then iteration order; an open model's dropped arrivals are counted, not judged. */
static int by_user_iteration(const void *a, const void *b)
{
    const gp_transcript *x = *(const gp_transcript *const *)a;
    const gp_transcript *y = *(const gp_transcript *const *)b;

    if (x->user_index != y->user_index)
        return x->user_index < y->user_index ? -1 : 1;
    return x->iteration < y->iteration ? -1 : x->iteration > y->iteration;
}

static void shape_output(runner *r, gp_run_output *out)
{
    size_t i, n = 0;

    out->ts = gp_calloc(r->nusers + r->niters + 1, sizeof *out->ts);
    for (i = 0; i < r->nusers; i++) {
        if (!r->conns[i].dropped)
            out->ts[n++] = r->conns[i].t;
        else
            gp_transcript_free(r->conns[i].t);
        r->conns[i].t = NULL;
    }
    for (i = 0; i < r->niters; i++)
        out->ts[n++] = r->iters[i];
    r->niters = 0;
    if (r->iters_cap)
        qsort(out->ts, n, sizeof *out->ts, by_user_iteration);
    out->n = n;
    out->arrivals = gp_shape_open(&r->shape) ? r->nusers : 0;
    out->dropped_arrivals = r->dropped;
}

/* Sets the soft fd limit to what the users need (two sockets each at most, a WebSocket and an
 * HTTP request, and a margin), up to the hard limit. Not more: libwebsockets sizes its fd table
 * from it and scans the whole table once per closed connection. */
static void set_fd_limit(unsigned users)
{
    struct rlimit rl;
    rlim_t want = (rlim_t)users * 2 + 64;

    if (want < 1024)
        want = 1024;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
        return;
    if (rl.rlim_max != RLIM_INFINITY && want > rl.rlim_max)
        want = rl.rlim_max;
    if (rl.rlim_cur != want) {
        rl.rlim_cur = want;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
}

int gp_runner_run(const gp_runner_opts *o, gp_run_output *out, gp_err *err)
{
    struct lws_context_creation_info info;
    runner r;
    unsigned i;
    int rc = -1;
    int64_t ramp, *arrivals = NULL;
    struct rlimit rl;
    struct rusage ru0, ru1;
    void *loops[1];

    memset(out, 0, sizeof *out);
    memset(&r, 0, sizeof r);
    r.o = o;
    r.s = o->scenario;
    r.to = r.s->timeouts;
    if (o->timeout_us > 0) {
        r.to.connect_us = r.to.first_event_us = r.to.run_us = r.to.expect_us = o->timeout_us;
    }
    /* The defaults are the model's (gp_scenario_set_defaults); the loader allows no zero. */
    r.total = o->users ? o->users : (r.s->users.count ? r.s->users.count : 1);
    r.shape = r.s->users.shape;
    if (gp_shape_open(&r.shape)) {
        /* the open model: one user per planned arrival (--users does not apply) */
        r.total = (unsigned)gp_shape_schedule(&r.shape, r.shape.duration_us, (uint64_t)gp_wall_us(),
                                              SHAPE_USERS_MAX, &arrivals);
    }
    r.shard_count = o->shard_count ? o->shard_count : 1;
    r.shard_index = o->shard_index < r.shard_count ? o->shard_index : 0;
    r.nusers =
        r.total > r.shard_index ? (r.total - r.shard_index + r.shard_count - 1) / r.shard_count : 0;
    r.max_connecting = o->max_connecting ? o->max_connecting : DEFAULT_MAX_CONNECTING;
    gp_timerheap_init(&r.timers);
    gp_hist_init(&r.lag);
    r.secrets = gp_secrets_new();
    r.url = gp_strdup(o->url ? o->url : (r.s->target.url ? r.s->target.url : ""));
    r.url_redacted = gp_url_redact(r.url);
    if (parse_target(&r, r.url, err) != 0 || load_credentials(&r, err) != 0)
        goto out;
    r.src = o->source_addrs;
    r.nsrc = o->nsource_addrs;
    if (!r.nsrc && r.total > USERS_PER_SOURCE && strncmp(r.addr, "127.", 4) == 0) {
        size_t k, want = (r.total + USERS_PER_SOURCE - 1) / USERS_PER_SOURCE;

        for (k = 0; k < want && k < AUTO_SRC_MAX; k++) {
            snprintf(r.auto_src[k], sizeof r.auto_src[k], "127.0.0.%zu", k + 1);
            r.auto_src_p[k] = r.auto_src[k];
        }
        r.src = r.auto_src_p;
        r.nsrc = k;
    }
    if (r.s->target.carrier == GP_CARRIER_TICKET) {
        char *u = r.s->target.ticket_url
                      ? gp_strdup(r.s->target.ticket_url)
                      : gp_asprintf("%s://%s:%d/api/websocket/ticket", r.tls ? "https" : "http",
                                    r.host_hdr, r.port);

        gp_rn_endpoint_init(&r.ticket_ep, u, r.s->target.proxy);
        free(u);
    }
    if (r.s->auth.kind == GP_AUTH_E2E) {
        const char *base = r.s->auth.url ? r.s->auth.url : "";
        size_t blen = strlen(base);
        char *u;

        while (blen && base[blen - 1] == '/')
            blen--;
        u = gp_asprintf("%.*s/auth/e2e/test-auth", (int)blen, base);
        gp_rn_endpoint_init(&r.auth_ep, u, r.s->target.proxy);
        free(u);
    }

    set_fd_limit(r.nusers);
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < (rlim_t)r.nusers + 32) {
        gp_err_set(err, GP_EXIT_USAGE, NULL, 0, 0,
                   "%u users need %u open files, but this process may open only %llu "
                   "(ulimit -n)",
                   r.nusers, r.nusers + 32, (unsigned long long)rl.rlim_cur);
        goto out;
    }

    lws_set_log_level(o->verbose ? (LLL_ERR | LLL_WARN) : 0, lws_log_emit);
    r.loop = ev_loop_new(EVBACKEND_EPOLL | EVFLAG_NOSIGMASK);
    if (!r.loop) {
        gp_err_set(err, GP_EXIT_INTERNAL, NULL, 0, 0, "cannot create the event loop (epoll)");
        goto out;
    }
    ev_init(&r.wake, on_wake);
    loops[0] = r.loop;
    memset(&info, 0, sizeof info);
    info.port = CONTEXT_PORT_NO_LISTEN;
    info.options = LWS_SERVER_OPTION_LIBEV;
    /* TLS only when something is reached over it: loading the system's CA store costs about
     * 0.1 s of CPU per process, more than a thousand plain sessions. */
    if (r.tls || (r.ticket_ep.tls && r.s->target.carrier == GP_CARRIER_TICKET) ||
        (r.auth_ep.tls && r.s->auth.kind == GP_AUTH_E2E))
        info.options |= LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
    info.foreign_loops = loops;
    info.protocols = protocols;
    /* fd_limit_per_thread stays 0: libwebsockets then sizes its fd table from the (raised)
     * fd limit and finds a wsi by indexing it, instead of scanning every slot. */
    info.client_ssl_ca_filepath = r.s->target.ca_file;
    info.client_ssl_cert_filepath = r.s->target.client_cert;
    info.client_ssl_private_key_filepath = r.s->target.client_key;
    if (r.s->target.compression == GP_COMPRESSION_DEFLATE)
        info.extensions = deflate_exts;
    /* Our own timers bound every wait; libwebsockets' connect timeout is only a backstop,
     * long enough that a stalled harness does not turn into a connect failure. */
    info.timeout_secs = (unsigned)(r.to.connect_us / LWS_US_PER_SEC + 60);
    /* The default vhost is direct: without this, libwebsockets would read http_proxy itself
     * (and nothing else: no https_proxy, no no_proxy). Port 0 means no proxy. */
    info.http_proxy_address = ":0";
    r.ctx = lws_create_context(&info);
    if (!r.ctx) {
        gp_err_set(err, GP_EXIT_INTERNAL, NULL, 0, 0, "cannot create the libwebsockets context");
        goto out;
    }
    if (route_vhost(&r, &r.troute, &info, "gp-target") < 0 ||
        route_vhost(&r, &r.ticket_ep.route, &info, "gp-ticket") < 0 ||
        route_vhost(&r, &r.auth_ep.route, &info, "gp-test-auth") < 0) {
        gp_err_set(err, GP_EXIT_INTERNAL, NULL, 0, 0,
                   "cannot create the libwebsockets vhost for a proxy");
        goto out;
    }

    r.conns = gp_calloc(r.nusers, sizeof *r.conns);
    for (i = 0; i < r.nusers; i++)
        if (init_user(&r, &r.conns[i], r.shard_index + (size_t)i * r.shard_count, err) != 0)
            goto out;

    getrusage(RUSAGE_SELF, &ru0);
    r.t0 = o->t0_us > 0 ? o->t0_us : gp_now_us();
    /* The wall time of the run's clock zero, which --start-at may put in the future. */
    out->started_wall_us = gp_wall_us() + (r.t0 - gp_now_us());
    ramp = r.s->users.ramp_up_us;
    r.shape_end = r.t0 + r.shape.duration_us;
    for (i = 0; i < r.nusers; i++) {
        /* the whole run's ramp: a user starts at the same moment whichever worker runs it */
        int64_t g = (int64_t)r.conns[i].index, n = (int64_t)r.total,
                at = r.t0 + (n > 1 ? ramp / n * g + ramp % n * g / n : 0);

        if (arrivals)
            at = r.t0 + arrivals[g];
        if (r.shape.nstages) /* stages: when the target first rises above the user's index */
            at = r.t0 + gp_shape_next_wanted(&r.shape, (unsigned)g, 0);
        arm_delay(&r.conns[i], at - gp_now_us());
    }
    timer_arm(&r, &r.tick, TICK_US, on_tick);

    while (!r.stop)
        ev_run(r.loop, EVRUN_ONCE);

    r.stopping = true;
    getrusage(RUSAGE_SELF, &ru1);
    if (o->progress) {
        gp_progress p = {r.nusers, r.connected, r.finished, r.runs_done, r.problems};

        o->progress(&p, o->progress_ud);
    }
    for (i = 0; i < r.nusers; i++) {
        conn *c = &r.conns[i];

        if (c->state == CS_IDLE) {
            record(c, GP_FR_NOTE, -1, GP_NOTE_NOT_STARTED);
        } else if (c->state != CS_DONE) {
            if (c->state == CS_WAIT_RUN)
                record(c, GP_FR_RUN_END, c->step ? c->step->id : -1, "interrupted");
            record(c, GP_FR_NOTE, -1, "the run was interrupted before this user finished");
        }
        cancel_timers(c);
    }
    gp_timer_cancel(&r.timers, &r.tick);
    gp_timer_cancel(&r.timers, &r.pump);
    ev_timer_stop(r.loop, &r.wake);
    lws_context_destroy(r.ctx);
    r.ctx = NULL;
    if (r.failure.code) {
        if (err)
            *err = r.failure;
        goto out;
    }
    out->duration_us = gp_now_us() - r.t0;
    r.health.measured = true;
    r.health.workers = 1;
    r.health.lag_p50_us = gp_hist_percentile(&r.lag, 50);
    r.health.lag_p99_us = gp_hist_percentile(&r.lag, 99);
    r.health.lag_max_us = r.lag.count ? r.lag.max : 0;
    r.health.cpu_user_s = (double)(ru1.ru_utime.tv_sec - ru0.ru_utime.tv_sec) +
                          (double)(ru1.ru_utime.tv_usec - ru0.ru_utime.tv_usec) / 1e6;
    r.health.cpu_sys_s = (double)(ru1.ru_stime.tv_sec - ru0.ru_stime.tv_sec) +
                         (double)(ru1.ru_stime.tv_usec - ru0.ru_stime.tv_usec) / 1e6;
    r.health.cpu_busy = out->duration_us > 0 ? (r.health.cpu_user_s + r.health.cpu_sys_s) /
                                                   ((double)out->duration_us / 1e6)
                                             : 0;
    out->health = r.health;
    memset(&r.health, 0, sizeof r.health);
    out->interrupted = r.interrupted;
    shape_output(&r, out);
    out->target = r.url_redacted;
    out->proxy = r.troute.proxied ? gp_strdup(r.troute.proxy.display) : NULL;
    r.url_redacted = NULL;
    /* The key is freed below; the values go on (a worker hands them to the parent). */
    gp_secrets_set_jwt_key(r.secrets, NULL);
    out->secrets = r.secrets;
    r.secrets = NULL;
    rc = 0;
out:
    if (r.ctx)
        lws_context_destroy(r.ctx);
    if (r.loop)
        ev_loop_destroy(r.loop);
    gp_timerheap_cleanup(&r.timers);
    gp_hist_cleanup(&r.lag);
    gp_health_cleanup(&r.health);
    for (i = 0; r.conns && i < r.nusers; i++) {
        conn *c = &r.conns[i];

        queue_clear(c);
        free(c->subproto);
        free(c->last_mismatch);
        gp_transcript_free(c->t);
        free(c->user_id);
        free(c->nonce);
        free(c->token);
        free(c->cur_token);
        free(c->run_thread);
        free(c->ticket);
        json_decref(c->captured);
        gp_buf_cleanup(&c->rx);
    }
    free(r.conns);
    free(arrivals);
    for (i = 0; (size_t)i < r.niters; i++)
        gp_transcript_free(r.iters[i]);
    free(r.iters);
    for (i = 0; i < r.nfile_tokens; i++)
        free(r.file_tokens[i]);
    free(r.file_tokens);
    free(r.url);
    free(r.url_redacted);
    free(r.path);
    free(r.resolve_err);
    gp_rn_endpoint_cleanup(&r.ticket_ep);
    gp_rn_endpoint_cleanup(&r.auth_ep);
    gp_rn_route_cleanup(&r.troute);
    gp_jwt_key_free(r.jwt_key);
    gp_secrets_free(r.secrets);
    gp_rn_http_free_all(&r.http_reqs);
    return rc;
}

void gp_run_output_cleanup(gp_run_output *out)
{
    size_t i;

    for (i = 0; i < out->n; i++)
        gp_transcript_free(out->ts[i]);
    free(out->ts);
    gp_health_cleanup(&out->health);
    free(out->target);
    free(out->proxy);
    gp_secrets_free(out->secrets);
    memset(out, 0, sizeof *out);
}

const char *gp_net_lws_version(void)
{
    return lws_get_library_version();
}
