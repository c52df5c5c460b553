/* runner_int.h - internal to the runner (runner.c, runner_http.c): how a connection leaves
 * this host (route), an HTTP endpoint the runner POSTs to, and one HTTP request in the event
 * loop. Not an interface: the runner's is runner.h. */
#ifndef GP_RUNNER_INT_H
#define GP_RUNNER_INT_H

#include <libwebsockets.h>
#include <stdbool.h>
#include <stdint.h>

#include "gp_common.h"
#include "proxy.h"

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

/* runner.c: resolving, routes, TLS */
char *gp_rn_resolve_host(const char *host, char *addr, size_t size);
int gp_rn_route_init(route *rt, const char *configured, bool tls, const char *host, char **why);
void gp_rn_route_cleanup(route *rt);
const char *gp_rn_route_explain(route *rt, const char *host, int port, const char *in);
void gp_rn_host_header(const char *host, char *out, size_t size);
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

#endif
