/* push.c - one HTTP PUT of the metrics to a Pushgateway, through the harness's HTTP client
 * (runner_http.c, as the runner's ticket requests) on a short-lived context and its own poll
 * loop, bounded by a timer. It reads nothing back but the status and the start of an error
 * body. */
#include <libwebsockets.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "push.h"
#include "redact.h"
#include "runner_int.h"

typedef struct push_req {
    struct lws_context *ctx;
    http_req *h;
    bool done;
    bool timed_out;
    char why[300];
    lws_sorted_usec_list_t deadline;
} push_req;

static void finish(push_req *p, const char *why)
{
    if (p->done)
        return;
    p->done = true;
    if (why)
        snprintf(p->why, sizeof p->why, "%s", why);
    lws_cancel_service(p->ctx);
}

/* The request ended (runner_http.c). */
static void on_done(http_req *h, const char *err)
{
    finish(h->arg, err);
}

static void on_deadline(lws_sorted_usec_list_t *sul)
{
    push_req *p = lws_container_of(sul, push_req, deadline);

    p->timed_out = true;
    finish(p, "no answer in time");
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

static int push_once(const char *url, const char *body, size_t len, int64_t timeout_us,
                     bool set_log, gp_err *err);

int gp_push_metrics(const char *url, const char *body, size_t len, int64_t timeout_us, gp_err *err)
{
    return push_once(url, body, len, timeout_us, true, err);
}

/* set_log: the log level is process-wide in libwebsockets; the pusher thread leaves it to the
 * runner (which set it before starting) rather than change it under the runner's feet. */
static int push_once(const char *url, const char *body, size_t len, int64_t timeout_us,
                     bool set_log, gp_err *err)
{
    static const struct lws_protocols protocols[] = {
        {"goldenpath-http", gp_rn_http_callback, 0, 0, 0, NULL, 0},
        {NULL, NULL, 0, 0, 0, NULL, 0},
    };
    struct lws_context_creation_info info;
    http_req *all = NULL;
    endpoint ep;
    char *copy = gp_strdup(url), *red = gp_redact(url, strlen(url)), *path = NULL;
    const char *prot = NULL, *address = NULL, *upath = NULL;
    int port = 0, rc = -1;
    char *auth = NULL;
    push_req p;

    memset(&p, 0, sizeof p);
    memset(&ep, 0, sizeof ep);
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
            auth = gp_asprintf("Basic %s", b64);
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
    if (set_log)
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
    ep.tls = strcmp(prot, "https") == 0;
    snprintf(ep.addr, sizeof ep.addr, "%s", address);
    gp_rn_host_header(address, ep.host_hdr, sizeof ep.host_hdr);
    snprintf(ep.host, sizeof ep.host, "%s", address);
    ep.port = port;
    ep.path = path;
    {
        char *b = gp_malloc(len + 1);

        memcpy(b, body, len);
        b[len] = '\0';
        p.h = gp_rn_http_new(&all, &ep, b, len, on_done, &p, 0);
    }
    p.h->method = "PUT";
    p.h->content_type = "text/plain; version=0.0.4; charset=utf-8";
    p.h->auth = auth; /* taken */
    auth = NULL;
    p.h->resp.max = 1024; /* the start is enough for a message */
    p.h->resp_truncate = true;
    p.h->explain_tls = false;
    gp_rn_http_send(p.h, p.ctx, LCCSCF_USE_SSL);
    while (!p.done && lws_service(p.ctx, 0) >= 0)
        ;
    lws_sul_cancel(&p.deadline);
    if (p.why[0]) {
        gp_err_set(err, GP_EXIT_INTERNAL, NULL, 0, 0, "pushing the metrics to %s failed: %s", red,
                   p.why);
    } else if (p.h->status < 200 || p.h->status > 299) {
        gp_buf *resp = &p.h->resp;
        char *ans;

        while (resp->len && strchr(" \t\r\n", resp->data[resp->len - 1]))
            resp->data[--resp->len] = '\0';
        ans = gp_term_safe(resp->data ? resp->data : "", 200);

        gp_err_set(err, GP_EXIT_INTERNAL, NULL, 0, 0,
                   "pushing the metrics to %s failed: HTTP %d%s%s", red, p.h->status,
                   ans[0] ? ": " : "", ans);
        free(ans);
    } else {
        rc = 0;
    }
out:
    if (p.ctx)
        lws_context_destroy(p.ctx);
    gp_rn_http_free_all(&all);
    free(auth);
    free(path);
    free(copy);
    free(red);
    return rc;
}

struct gp_pusher {
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    char *url;
    int64_t timeout_us;
    char *body; /* the next body to PUT, or NULL; guarded by mu */
    size_t len;
    bool stop; /* guarded by mu */
    size_t pushed, failed;
    gp_err first; /* the first failure */
};

/* Held by a pusher's thread while it PUTs, and by fork() (pthread_atfork) in between: a
 * worker forked while a PUT is in flight would inherit the locks the thread holds inside
 * libwebsockets or the resolver and could hang on its first use of them. A fork waits for the
 * PUT in flight, at most its timeout. */
static pthread_mutex_t push_io = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t push_atfork_once = PTHREAD_ONCE_INIT;

static void io_lock(void)
{
    pthread_mutex_lock(&push_io);
}

static void io_unlock(void)
{
    pthread_mutex_unlock(&push_io);
}

static void push_atfork(void)
{
    pthread_atfork(io_lock, io_unlock, io_unlock);
}

static void *pusher_main(void *arg)
{
    gp_pusher *p = arg;

    pthread_mutex_lock(&p->mu);
    for (;;) {
        char *body;
        size_t len;
        gp_err err = {0};

        while (!p->body && !p->stop)
            pthread_cond_wait(&p->cv, &p->mu);
        if (p->stop)
            break;
        body = p->body;
        len = p->len;
        p->body = NULL;
        pthread_mutex_unlock(&p->mu);
        /* The network, outside the lock: the runner's offers never wait for it. */
        io_lock();
        if (push_once(p->url, body, len, p->timeout_us, false, &err) != 0 && p->failed++ == 0)
            p->first = err;
        io_unlock();
        p->pushed++;
        free(body);
        pthread_mutex_lock(&p->mu);
    }
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

bool gp_push_interim_ok(const char *url)
{
    return strncasecmp(url, "https:", 6) != 0;
}

gp_pusher *gp_pusher_start(const char *url, int64_t timeout_us)
{
    gp_pusher *p;

    /* A libwebsockets context made with TLS redoes OpenSSL's global set-up (new ex_data
     * indexes for lws's SSL and SSL_CTX private data, no run-once guard in 4.1.6): made on
     * this thread while the runner's TLS connections live, it would break their handshakes.
     * So an https:// gateway gets the final push only. */
    if (!gp_push_interim_ok(url))
        return NULL;
    /* The thread never sets the (process-wide) log level itself; set it here, on the
     * caller's thread, so that lws's start-up notices never reach stderr from the pusher. */
    lws_set_log_level(0, NULL);
    pthread_once(&push_atfork_once, push_atfork);
    p = gp_calloc(1, sizeof *p);

    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->cv, NULL);
    p->url = gp_strdup(url);
    p->timeout_us = timeout_us;
    if (pthread_create(&p->thread, NULL, pusher_main, p) != 0) {
        pthread_mutex_destroy(&p->mu);
        pthread_cond_destroy(&p->cv);
        free(p->url);
        free(p);
        return NULL;
    }
    return p;
}

void gp_pusher_offer(gp_pusher *p, char *body, size_t len)
{
    char *old;

    if (!p) {
        free(body);
        return;
    }
    pthread_mutex_lock(&p->mu);
    old = p->body;
    p->body = body;
    p->len = len;
    pthread_cond_signal(&p->cv);
    pthread_mutex_unlock(&p->mu);
    free(old);
}

void gp_pusher_stop(gp_pusher *p, size_t *pushed, size_t *failed, gp_err *err)
{
    *pushed = *failed = 0;
    if (!p)
        return;
    pthread_mutex_lock(&p->mu);
    p->stop = true;
    pthread_cond_signal(&p->cv);
    pthread_mutex_unlock(&p->mu);
    pthread_join(p->thread, NULL);
    *pushed = p->pushed;
    *failed = p->failed;
    if (p->failed && err)
        *err = p->first;
    pthread_mutex_destroy(&p->mu);
    pthread_cond_destroy(&p->cv);
    free(p->body);
    free(p->url);
    free(p);
}
