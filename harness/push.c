/* push.c - one HTTP PUT of the metrics to a Pushgateway, through libwebsockets' HTTP client (as
 * the runner's ticket requests) on a short-lived context and its own poll loop, bounded by a
 * timer. It reads nothing back but the status and the start of an error body. */
#include <libwebsockets.h>
#include <stdlib.h>
#include <string.h>

#include "push.h"
#include "redact.h"

#define PUSH_CHUNK 4096

typedef struct push_req {
    struct lws_context *ctx;
    const char *body;
    size_t len, sent;
    int status;
    bool done;
    bool timed_out;
    char why[300];
    gp_buf resp;
    char *auth; /* "Basic ..." from the URL's user:password@, or NULL; a secret */
    lws_sorted_usec_list_t deadline;
} push_req;

static const lws_retry_bo_t no_keepalive = {0};

static void finish(push_req *p, const char *why)
{
    if (p->done)
        return;
    p->done = true;
    if (why)
        snprintf(p->why, sizeof p->why, "%s", why);
    lws_cancel_service(p->ctx);
}

static void on_deadline(lws_sorted_usec_list_t *sul)
{
    push_req *p = lws_container_of(sul, push_req, deadline);

    p->timed_out = true;
    finish(p, "no answer in time");
}

static int push_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                         size_t len)
{
    push_req *p = user;

    if (!p)
        return 0;
    switch (reason) {
    case LWS_CALLBACK_CLIENT_APPEND_HANDSHAKE_HEADER: {
        unsigned char **pp = in, *end = *pp + len;
        static const char ct[] = "text/plain; version=0.0.4; charset=utf-8";
        char cl[24];

        snprintf(cl, sizeof cl, "%zu", p->len);
        if (p->auth && lws_add_http_header_by_token(wsi, WSI_TOKEN_HTTP_AUTHORIZATION,
                                                    (const unsigned char *)p->auth,
                                                    (int)strlen(p->auth), pp, end))
            return -1;
        if (lws_add_http_header_by_token(wsi, WSI_TOKEN_HTTP_CONTENT_TYPE,
                                         (const unsigned char *)ct, (int)strlen(ct), pp, end) ||
            lws_add_http_header_by_token(wsi, WSI_TOKEN_HTTP_CONTENT_LENGTH,
                                         (const unsigned char *)cl, (int)strlen(cl), pp, end))
            return -1;
        lws_client_http_body_pending(wsi, 1);
        lws_callback_on_writable(wsi);
        break;
    }
    case LWS_CALLBACK_CLIENT_HTTP_WRITEABLE: {
        size_t n = p->len - p->sent;
        unsigned char *buf;
        bool last;
        int rc;

        if (p->sent == p->len && p->len)
            break;
        if (n > PUSH_CHUNK)
            n = PUSH_CHUNK;
        last = p->sent + n == p->len;
        buf = gp_malloc(LWS_PRE + n + 1);
        memcpy(buf + LWS_PRE, p->body + p->sent, n);
        if (last)
            lws_client_http_body_pending(wsi, 0);
        rc = lws_write(wsi, buf + LWS_PRE, n, last ? LWS_WRITE_HTTP_FINAL : LWS_WRITE_HTTP);
        free(buf);
        if (rc < (int)n)
            return -1;
        p->sent += n;
        if (!last)
            lws_callback_on_writable(wsi);
        break;
    }
    case LWS_CALLBACK_ESTABLISHED_CLIENT_HTTP:
        p->status = (int)lws_http_client_http_response(wsi);
        break;
    case LWS_CALLBACK_RECEIVE_CLIENT_HTTP: {
        char buf[LWS_PRE + 4096], *px = buf + LWS_PRE;
        int n = (int)sizeof buf - LWS_PRE;

        if (lws_http_client_read(wsi, &px, &n) < 0)
            return -1;
        break;
    }
    case LWS_CALLBACK_RECEIVE_CLIENT_HTTP_READ:
        (void)gp_buf_append(&p->resp, in, len); /* the start is enough for a message */
        break;
    case LWS_CALLBACK_COMPLETED_CLIENT_HTTP:
        finish(p, NULL);
        break;
    case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
        finish(p, in ? (const char *)in : "connection failed");
        break;
    case LWS_CALLBACK_CLOSED_CLIENT_HTTP:
        finish(p, p->status ? NULL : "the connection closed before an answer");
        break;
    default:
        break;
    }
    return 0;
}

char *gp_push_path(const char *url_path)
{
    const char *path = url_path ? url_path : "";
    size_t n;

    while (*path == '/')
        path++;
    if (strstr(path, "metrics/job/"))
        return gp_asprintf("/%s", path);
    n = strlen(path);
    while (n && path[n - 1] == '/')
        n--;
    return gp_asprintf("/%.*s%smetrics/job/goldenpath", (int)n, path, n ? "/" : "");
}

int gp_push_metrics(const char *url, const char *body, size_t len, int64_t timeout_us, gp_err *err)
{
    static const struct lws_protocols protocols[] = {
        {"goldenpath-push", push_callback, 0, 0, 0, NULL, 0},
        {NULL, NULL, 0, 0, 0, NULL, 0},
    };
    struct lws_context_creation_info info;
    struct lws_client_connect_info ci;
    char *copy = gp_strdup(url), *red = gp_redact(url, strlen(url)), *path = NULL, host[300];
    const char *prot = NULL, *address = NULL, *upath = NULL;
    int port = 0, rc = -1;
    push_req p;

    memset(&p, 0, sizeof p);
    p.body = body;
    p.len = len;
    gp_buf_init(&p.resp, 1024);
    /* A Pushgateway behind basic auth: user:password@ becomes the Authorization header, and
     * leaves the URL before lws_parse_uri reads it (which would take "user" for the host). */
    {
        char *hs = strstr(copy, "://"), *slash, *at;

        hs = hs ? hs + 3 : copy;
        slash = strchr(hs, '/');
        at = memchr(hs, '@', slash ? (size_t)(slash - hs) : strlen(hs));
        if (at) {
            char b64[512];
            size_t ulen = (size_t)(at - hs);

            if (ulen * 4 / 3 + 4 >= sizeof b64 ||
                lws_b64_encode_string(hs, (int)ulen, b64, (int)sizeof b64) < 0) {
                gp_err_set(err, GP_EXIT_USAGE, NULL, 0, 0,
                           "--push: the credentials in '%s' are too long", red);
                goto out;
            }
            p.auth = gp_asprintf("Basic %s", b64);
            memmove(hs, at + 1, strlen(at + 1) + 1);
        }
    }
    if (lws_parse_uri(copy, &prot, &address, &port, &upath) || !address || !*address ||
        (strcmp(prot, "http") != 0 && strcmp(prot, "https") != 0)) {
        gp_err_set(err, GP_EXIT_USAGE, NULL, 0, 0,
                   "--push wants an http:// or https:// URL, got '%s'", red);
        goto out;
    }
    path = gp_push_path(upath);
    snprintf(host, sizeof host, strchr(address, ':') ? "[%s]" : "%s", address);
    lws_set_log_level(0, NULL);
    memset(&info, 0, sizeof info);
    info.port = CONTEXT_PORT_NO_LISTEN;
    info.protocols = protocols;
    info.http_proxy_address = ":0"; /* no proxy from the environment behind the user's back */
    if (strcmp(prot, "https") == 0)
        info.options |= LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
    info.timeout_secs = (unsigned)(timeout_us / LWS_US_PER_SEC + 1);
    p.ctx = lws_create_context(&info);
    if (!p.ctx) {
        gp_err_set(err, GP_EXIT_INTERNAL, NULL, 0, 0, "cannot create the libwebsockets context");
        goto out;
    }
    lws_sul_schedule(p.ctx, 0, &p.deadline, on_deadline, timeout_us);
    memset(&ci, 0, sizeof ci);
    ci.context = p.ctx;
    ci.address = address;
    ci.port = port;
    ci.path = path;
    ci.host = host;
    ci.origin = host;
    ci.method = "PUT";
    ci.alpn = "http/1.1";
    ci.protocol = "goldenpath-push";
    ci.local_protocol_name = "goldenpath-push";
    ci.userdata = &p;
    ci.retry_and_idle_policy = &no_keepalive;
    if (strcmp(prot, "https") == 0)
        ci.ssl_connection = LCCSCF_USE_SSL;
    if (!lws_client_connect_via_info(&ci) && !p.done)
        finish(&p, "could not start the connection");
    while (!p.done && lws_service(p.ctx, 0) >= 0)
        ;
    lws_sul_cancel(&p.deadline);
    if (p.why[0]) {
        gp_err_set(err, GP_EXIT_INTERNAL, NULL, 0, 0, "pushing the metrics to %s failed: %s", red,
                   p.why);
    } else if (p.status < 200 || p.status > 299) {
        char *ans;

        while (p.resp.len && strchr(" \t\r\n", p.resp.data[p.resp.len - 1]))
            p.resp.data[--p.resp.len] = '\0';
        ans = gp_term_safe(p.resp.data ? p.resp.data : "", 200);

        gp_err_set(err, GP_EXIT_INTERNAL, NULL, 0, 0,
                   "pushing the metrics to %s failed: HTTP %d%s%s", red, p.status,
                   ans[0] ? ": " : "", ans);
        free(ans);
    } else {
        rc = 0;
    }
out:
    if (p.ctx)
        lws_context_destroy(p.ctx);
    gp_buf_cleanup(&p.resp);
    free(p.auth);
    free(path);
    free(copy);
    free(red);
    return rc;
}
