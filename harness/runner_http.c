/* runner_http.c - the harness's HTTP client over libwebsockets: the runner's requests (tickets,
 * test-auth tokens) in its own event loop, and the Pushgateway's PUT (push.c). It knows nothing
 * of users or connects: each request ends by calling the function its caller gave it. */
#include <stdlib.h>
#include <string.h>

#include "runner_int.h"
#include "url.h"

#define HTTP_CHUNK 4096 /* a body is written in pieces of this size */

/* Parses an http(s) URL and resolves its host once. Problems are kept in ep->err and
 * reported per user as a failed connect, like an unreachable target. */
void gp_rn_endpoint_init(endpoint *ep, const char *url, const char *proxy)
{
    gp_url u;

    memset(ep, 0, sizeof *ep);
    if (gp_url_parse(url, true, &u) != GP_URL_OK) {
        ep->err = gp_asprintf("malformed HTTP URL '%s'", url);
        gp_url_cleanup(&u);
        return;
    }
    ep->tls = u.tls;
    ep->port = u.port;
    snprintf(ep->host, sizeof ep->host, "%s", u.host);
    gp_rn_host_header(ep->host, ep->host_hdr, sizeof ep->host_hdr);
    ep->path = u.path; /* taken */
    u.path = NULL;
    if (gp_rn_route_init(&ep->route, proxy, ep->tls, ep->host, &ep->err) < 0)
        return;
    if (ep->route.proxied) {
        snprintf(ep->addr, sizeof ep->addr, strchr(ep->host, ':') ? "[%s]" : "%s", ep->host);
        ep->err = ep->route.err ? gp_strdup(ep->route.err) : NULL;
    } else {
        ep->err = gp_rn_resolve_host(ep->host, ep->addr, sizeof ep->addr);
    }
}

void gp_rn_endpoint_cleanup(endpoint *ep)
{
    free(ep->path);
    free(ep->err);
    gp_rn_route_cleanup(&ep->route);
    memset(ep, 0, sizeof *ep);
}

/* The request ended (answer, error or close). Idempotent; the caller hears of it once, and
 * not at all once it stopped waiting. */
static void http_finish(http_req *h, const char *err)
{
    if (h->done)
        return;
    h->done = true;
    if (h->live)
        h->done_fn(h, err);
}

http_req *gp_rn_http_new(http_req **all, endpoint *ep, char *body, size_t len,
                         gp_rn_http_done_fn done_fn, void *arg, int kind)
{
    http_req *h = gp_calloc(1, sizeof *h);

    h->magic = HTTP_MAGIC;
    h->done_fn = done_fn;
    h->arg = arg;
    h->kind = kind;
    h->ep = ep;
    h->method = "POST";
    h->content_type = "application/json";
    h->explain_tls = true;
    h->live = true;
    gp_buf_init(&h->resp, 64 * 1024);
    h->body = body;
    h->body_len = len;
    h->next = *all;
    *all = h;
    return h;
}

void gp_rn_http_send(http_req *h, struct lws_context *ctx, int ssl)
{
    endpoint *ep = h->ep;
    struct lws_client_connect_info ci;
    struct lws *w;

    if (ep->err) {
        http_finish(h, ep->err);
        return;
    }
    memset(&ci, 0, sizeof ci);
    ci.context = ctx;
    ci.address = ep->addr;
    ci.vhost = ep->route.vh;
    ci.port = ep->port;
    ci.path = ep->path;
    ci.host = ep->host_hdr;
    ci.origin = ep->host_hdr;
    ci.method = h->method;
    ci.alpn = "http/1.1";
    ci.protocol = "goldenpath-http";
    ci.userdata = h;
    ci.pwsi = &h->wsi;
    ci.retry_and_idle_policy = &gp_rn_no_keepalive;
    if (ep->tls)
        ci.ssl_connection = ssl;
    w = lws_client_connect_via_info(&ci);
    if (!w && !h->done)
        http_finish(h, "could not start the connection");
}

void gp_rn_http_abandon(http_req *h)
{
    if (!h)
        return;
    h->live = false;
    if (h->wsi && !h->done)
        lws_set_timeout(h->wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
}

void gp_rn_http_free_all(http_req **all)
{
    while (*all) {
        http_req *h = *all;

        *all = h->next;
        free(h->auth);
        free(h->body);
        gp_buf_cleanup(&h->resp);
        free(h);
    }
}

int gp_rn_http_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                        size_t len)
{
    http_req *h = user;

    /* lws may deliver a wsi's last callbacks (WSI_DESTROY) to another protocol's handler. */
    if (!h || h->magic != HTTP_MAGIC)
        return 0;
    switch (reason) {
    case LWS_CALLBACK_CLIENT_APPEND_HANDSHAKE_HEADER: {
        unsigned char **p = in, *end = *p + len;
        char cl[24];
        int rc = 0;

        if (h->auth)
            rc |= lws_add_http_header_by_token(wsi, WSI_TOKEN_HTTP_AUTHORIZATION,
                                               (const unsigned char *)h->auth, (int)strlen(h->auth),
                                               p, end);
        if (h->hdr_name) {
            const char *key = h->hdr_env ? getenv(h->hdr_env) : NULL;

            rc |= lws_add_http_header_by_name(wsi, (const unsigned char *)h->hdr_name,
                                              (const unsigned char *)(key ? key : ""),
                                              key ? (int)strlen(key) : 0, p, end);
        }
        snprintf(cl, sizeof cl, "%zu", h->body_len);
        rc |= lws_add_http_header_by_token(wsi, WSI_TOKEN_HTTP_CONTENT_TYPE,
                                           (const unsigned char *)h->content_type,
                                           (int)strlen(h->content_type), p, end);
        rc |= lws_add_http_header_by_token(wsi, WSI_TOKEN_HTTP_CONTENT_LENGTH,
                                           (const unsigned char *)cl, (int)strlen(cl), p, end);
        if (rc)
            return -1;
        lws_client_http_body_pending(wsi, 1);
        lws_callback_on_writable(wsi);
        break;
    }
    case LWS_CALLBACK_CLIENT_HTTP_WRITEABLE: {
        /* In pieces of HTTP_CHUNK: a Pushgateway's metrics may be long. */
        size_t n = h->body_len - h->body_sent;
        unsigned char *buf;
        bool last;
        int rc;

        if (h->body_sent == h->body_len && h->body_len)
            break;
        if (n > HTTP_CHUNK)
            n = HTTP_CHUNK;
        last = h->body_sent + n == h->body_len;
        buf = gp_malloc(LWS_PRE + n + 1);
        memcpy(buf + LWS_PRE, h->body + h->body_sent, n);
        if (last)
            lws_client_http_body_pending(wsi, 0);
        rc = lws_write(wsi, buf + LWS_PRE, n, last ? LWS_WRITE_HTTP_FINAL : LWS_WRITE_HTTP);
        free(buf);
        if (rc < (int)n)
            return -1;
        h->body_sent += n;
        if (!last)
            lws_callback_on_writable(wsi);
        break;
    }
    case LWS_CALLBACK_ESTABLISHED_CLIENT_HTTP:
        h->status = (int)lws_http_client_http_response(wsi);
        break;
    case LWS_CALLBACK_RECEIVE_CLIENT_HTTP: {
        char buf[LWS_PRE + 4096], *px = buf + LWS_PRE;
        int n = (int)sizeof buf - LWS_PRE;

        if (lws_http_client_read(wsi, &px, &n) < 0)
            return -1;
        break;
    }
    case LWS_CALLBACK_RECEIVE_CLIENT_HTTP_READ:
        if (gp_buf_append(&h->resp, in, len) != 0 && !h->resp_truncate) {
            http_finish(h, "the response is larger than 64 KiB");
            return -1;
        }
        break;
    case LWS_CALLBACK_COMPLETED_CLIENT_HTTP:
        http_finish(h, NULL);
        break;
    case LWS_CALLBACK_CLIENT_CONNECTION_ERROR: {
        char why[600];

        h->wsi = NULL;
        if (h->explain_tls && in && strncmp(in, "connect SSL err", 15) == 0)
            http_finish(h, gp_rn_tls_explain(why, sizeof why, in));
        else if (h->ep->route.proxied)
            http_finish(h, gp_rn_route_explain(&h->ep->route, h->ep->host, h->ep->port, in));
        else
            http_finish(h, in ? (const char *)in : "connection failed");
        break;
    }
    case LWS_CALLBACK_CLOSED_CLIENT_HTTP:
        h->wsi = NULL;
        http_finish(h, h->status ? NULL : "the connection closed before an answer");
        break;
    case LWS_CALLBACK_WSI_DESTROY:
        if (h->wsi == wsi)
            h->wsi = NULL;
        http_finish(h, "the connection ended before an answer");
        break;
    default:
        break;
    }
    return 0;
}
