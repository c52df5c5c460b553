/* runner_int.h - internal to the runner (runner*.c): how a connection leaves this host
 * (route), an HTTP endpoint the runner POSTs to, one HTTP request in the event loop, a
 * simulated user (conn) and the run (runner), and what the runner's files call of each
 * other. Not an interface: the runner's is runner.h. */
#ifndef GP_RUNNER_INT_H
#define GP_RUNNER_INT_H

#include <ev.h>
#include <libwebsockets.h>
#include <stdbool.h>
#include <stdint.h>

#include "credentials.h"
#include "gp_common.h"
#include "hist.h"
#include "jwt.h"
#include "proxy.h"
#include "runner.h"
#include "secrets.h"
#include "timerheap.h"

/* How connections to one destination leave this host: directly, or through an HTTP proxy's
 * CONNECT tunnel. libwebsockets keeps the proxy per vhost, so a proxied destination gets a
 * vhost of its own; the context's default vhost stays direct. */
typedef struct route {
    bool proxied;
    gp_proxy proxy;
    char ip[64];          /* the proxy's address, resolved once */
    char lws_proxy[400];  /* "user:pw@ip:port" as lws_set_proxy reads it: a secret */
    struct lws_vhost *vh; /* NULL: the default vhost */
    char *err;            /* why the proxy cannot be reached (unresolvable), or NULL */
    char why[600];        /* why a tunnel failed, found once by gp_proxy_probe */
    bool probed;
} route;

/* An HTTP endpoint the runner POSTs to (tickets, test-auth), resolved once at start. */
typedef struct endpoint {
    bool tls;
    char host[256];
    char host_hdr[260]; /* host as the Host header writes it: an IPv6 literal in brackets */
    char addr[256];
    int port;
    char *path;
    char *err; /* why it cannot be used (bad URL, unresolvable host), or NULL */
    route route;
} endpoint;

#define CONN_MAGIC 0x676f6c64u /* "gold" */
#define HTTP_MAGIC 0x68747470u /* "http" */

struct http_req;

/* Called once when a request ends (answer, error or close), unless it was abandoned first:
 * err is NULL on an answer (h->status, h->resp), else why it failed. It may be called from
 * inside gp_rn_http_send. */
typedef void (*gp_rn_http_done_fn)(struct http_req *h, const char *err);

/* One HTTP request in the event loop (a POST of JSON unless the caller says otherwise before
 * sending). Owned by the list it was made on until the end of the run (gp_rn_http_free_all), so
 * a late callback never touches freed memory; `live` says whether its caller still waits. */
typedef struct http_req {
    uint32_t magic; /* first, like conn's: lws may hand either to either callback */
    struct http_req *next;
    gp_rn_http_done_fn done_fn;
    void *arg;    /* the caller's, for done_fn */
    int kind;     /* the caller's, for done_fn */
    endpoint *ep; /* where it goes; the caller's, outlives the request */
    struct lws *wsi;
    const char *method;       /* "POST" */
    const char *content_type; /* "application/json" */
    char *auth;               /* the Authorization header's value, or NULL; a secret */
    const char *hdr_name;     /* one more header ("name:"), its value read from the */
    const char *hdr_env;      /* environment variable hdr_env when sent; both outlive it */
    char *body;
    size_t body_len, body_sent;
    bool resp_truncate; /* an answer beyond resp.max is cut there, not a failure */
    bool explain_tls;   /* a TLS failure is told with gp_rn_tls_explain (true) */
    gp_buf resp;        /* the answer's body, at most 64 KiB unless the caller says less */
    int status;
    bool live;
    bool done;
} http_req;

/* runner_target.c: resolving, routes */
char *gp_rn_resolve_host(const char *host, char *addr, size_t size);
int gp_rn_route_init(route *rt, const char *configured, bool tls, const char *host, char **why);
void gp_rn_route_cleanup(route *rt);
const char *gp_rn_route_explain(route *rt, const char *host, int port, const char *in);
void gp_rn_host_header(const char *host, char *out, size_t size);
/* runner_connect.c: TLS */
const char *gp_rn_tls_explain(char *buf, size_t size, const char *in);
extern const lws_retry_bo_t gp_rn_no_keepalive;

/* runner_http.c: the HTTP client */
void gp_rn_endpoint_init(endpoint *ep, const char *url, const char *proxy);
void gp_rn_endpoint_cleanup(endpoint *ep);
/* A POST of body (taken, len bytes) to ep, put on *all. Nothing is sent before
 * gp_rn_http_send, so the caller can note the request, or change its fields, first. */
http_req *gp_rn_http_new(http_req **all, endpoint *ep, char *body, size_t len,
                         gp_rn_http_done_fn done_fn, void *arg, int kind);
/* Starts the request on ctx with the TLS flags ssl (0 for plain HTTP); a request that cannot
 * start ends at once. */
void gp_rn_http_send(http_req *h, struct lws_context *ctx, int ssl);
/* The caller no longer waits (a timeout): done_fn is not called, the request dies on its own. */
void gp_rn_http_abandon(http_req *h);
void gp_rn_http_free_all(http_req **all);
/* The "goldenpath-http" protocol's callback: a context that sends requests lists it. */
int gp_rn_http_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                        size_t len);

/* ---- a simulated user and the run (runner*.c) ---- */

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
#define SHAPE_USERS_MAX GP_SHAPE_ARRIVALS_MAX /* open model: arrivals of one run at most */
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
    bool request_sent;    /* the upgrade request went out: TCP (and TLS) were up */
    char *subproto;       /* the selected subprotocol, or NULL; a jwt.<token> echo is long */
    char deflate[128];    /* the permessage-deflate the server accepted (with its parameters),
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
    char *conn_record; /* "ws://host:port/path", redacted: every CONNECT frame's URL, built once */
    bool tls;
    char host[256];
    char host_hdr[260]; /* host as the Host header and URLs write it: IPv6 in brackets */
    char addr[256];     /* an IP literal, or the host when it did not resolve */
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

    /* load shapes (issue 9): see runner_shape.c */
    gp_shape shape;        /* the scenario's, with --duration applied */
    int64_t shape_end;     /* soak: no iteration begins after this (gp_now_us clock) */
    gp_transcript **iters; /* soak: transcripts of finished iterations, owned */
    size_t niters, iters_cap;
    size_t iter_bytes; /* soak: what they keep, bounded with the users' own budgets */
    unsigned active;   /* open model: users started and not finished */
    size_t dropped;    /* open model: arrivals that found max_active users in flight */
    int64_t *dropped_at; /* open model: when each came (µs since t0), for the time series */
    size_t dropped_cap;
} runner;

static inline int64_t gp_rn_now_rel(const runner *r)
{
    return gp_now_us() - r->t0;
}

/* runner_connect.c */
const char *gp_rn_http_what(const http_req *h);
void gp_rn_conn_http_abandon(conn *c);
void gp_rn_kill_wsi(conn *c);
void gp_rn_release_slot(conn *c);
void gp_rn_start_connect(conn *c, gp_credential cred, bool expect_refused, int step_id);
void gp_rn_connect_failed(conn *c);
void gp_rn_became_ready(conn *c);

/* runner_lws.c */
const char *gp_rn_source_problem(conn *c);

/* runner_shape.c */
bool gp_rn_shape_arrive(conn *c);
bool gp_rn_shape_user_done(conn *c);

/* runner_target.c */
char *gp_rn_url_encode(const char *s);
int gp_rn_route_vhost(runner *r, route *rt, struct lws_context_creation_info *info,
                      const char *name);
int gp_rn_parse_target(runner *r, const char *url, gp_err *err);
void gp_rn_random_hex(char *out, size_t nbytes);
void gp_rn_make_vars(conn *c, gp_vars *v);
char *gp_rn_mint(conn *c, const char *secret, bool expired, gp_err *err);
char *gp_rn_remember(runner *r, char *v);
char *gp_rn_credential_token(conn *c, gp_credential cred, gp_err *err);

/* runner_user.c */
const char *gp_rn_scrub(const runner *r, const char *text, size_t *len, char **owned);
size_t gp_rn_record(conn *c, gp_frame_kind kind, int code, const char *data);
void gp_rn_recordf(conn *c, gp_frame_kind kind, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
void gp_rn_timer_arm(runner *r, gp_timer *t, int64_t us, gp_timer_fn fn);
void gp_rn_cancel_timeout(conn *c);
void gp_rn_cancel_timers(conn *c);
void gp_rn_arm_timeout(conn *c, int64_t us);
void gp_rn_arm_delay(conn *c, int64_t us);
void gp_rn_on_wake(struct ev_loop *loop, ev_timer *w, int revents);
void gp_rn_queue_clear(conn *c);
void gp_rn_begin_close(conn *c, int code, const char *reason);
void gp_rn_run_steps(conn *c);
void gp_rn_finish_user(conn *c);
void gp_rn_on_frame(conn *c, size_t idx, const char *text, size_t len);
void gp_rn_on_text(conn *c, const char *text, size_t len);
void gp_rn_on_closed(conn *c);

/* runner_lws.c: the "goldenpath" protocol and the extensions its upgrade offers */
extern const struct lws_extension gp_rn_deflate_exts[];
extern const struct lws_protocols gp_rn_protocols[];

#endif
