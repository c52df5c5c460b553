/* runner_connect.c - connecting a user: TLS flags, the HTTP requests a connect needs (tickets,
 * test-auth tokens), the connect slots that bound upgrades in flight, and the upgrade itself. */

#include <libwebsockets.h>
#include <stdlib.h>
#include <string.h>

#include "http_answer.h"
#include "runner_int.h"

static void connect_next(conn *c);

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

const char *gp_rn_http_what(const http_req *h)
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
        gp_rn_recordf(c, GP_FR_CONN_ERROR, 0, "connect failed: the %s failed: %s",
                      gp_rn_http_what(h), err);
        goto failed;
    }
    if (gp_http_answer_parse(h->kind == HTTP_TICKET ? GP_HTTP_TICKET : GP_HTTP_E2E, h->status,
                             h->resp.data, h->resp.len, &a) != 0) {
        gp_rn_record(c, GP_FR_CONN_ERROR, a.code, a.why);
        goto failed;
    }
    if (h->kind == HTTP_TICKET) {
        free(c->ticket);
        c->ticket = gp_rn_remember(c->r, a.value);
        gp_rn_record(c, GP_FR_NOTE, c->connect_step, "ticket obtained");
    } else {
        free(c->token);
        c->token = gp_rn_remember(c->r, a.value);
        if (a.user_id) {
            /* The server's id for this user is what its events must carry (GP-R5). */
            free(c->user_id);
            c->user_id = gp_strdup(a.user_id);
            free(c->t->user_id);
            c->t->user_id = gp_strdup(a.user_id);
        }
        gp_rn_recordf(c, GP_FR_NOTE, c->connect_step, "token obtained from the auth service for %s",
                      c->user_id);
    }
    a.value = NULL; /* kept above */
    gp_http_answer_cleanup(&a);
    connect_next(c);
    return;
failed:
    c->attempt_over = true;
    gp_rn_connect_failed(c);
}

/* The user no longer waits for its request (a timeout): let the request die on its own. */
void gp_rn_conn_http_abandon(conn *c)
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

        gp_rn_make_vars(c, &v);
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

void gp_rn_kill_wsi(conn *c)
{
    if (c->wsi) {
        lws_set_timeout(c->wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
        /* libwebsockets runs its own timers after I/O; a wakeup makes sure one comes. */
        lws_cancel_service(c->r->ctx);
    }
}

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
void gp_rn_release_slot(conn *c)
{
    runner *r = c->r;

    if (!c->holds_slot)
        return;
    c->holds_slot = false;
    r->connecting--;
    if (r->cq_head && !gp_timer_armed(&r->pump))
        gp_rn_timer_arm(r, &r->pump, 0, on_pump);
}

void gp_rn_start_connect(conn *c, gp_credential cred, bool expect_refused, int step_id)
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

    if (!r->conn_record) {
        url_rec = gp_asprintf("%s://%s:%d%s", r->tls ? "wss" : "ws", r->host_hdr, r->port, r->path);
        r->conn_record = gp_url_redact(url_rec);
        free(url_rec);
    }
    gp_rn_recordf(c, GP_FR_CONNECT, step_id, "%s (credential: %s, carrier: %s)", r->conn_record,
                  gp_credential_name(cred), gp_carrier_name(tg->carrier));
    gp_rn_arm_timeout(c, r->to.connect_us);
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
    tok = gp_rn_credential_token(c, c->cred, &merr);
    if (!tok && merr.code) {
        /* Never "no credential": that would let an auth check pass or fail on our account. */
        gp_rn_recordf(c, GP_FR_CONN_ERROR, 0,
                      "connect failed: the harness could not mint the %s credential: %s",
                      gp_credential_name(c->cred), merr.msg);
        gp_err_set(&r->failure, GP_EXIT_INTERNAL, NULL, 0, 0,
                   "user %s: cannot mint the %s credential: %s", c->user_id,
                   gp_credential_name(c->cred), merr.msg);
        r->stop = true;
        c->attempt_over = true;
        r->problems++;
        gp_rn_finish_user(c);
        return;
    }
    if (tg->carrier == GP_CARRIER_TICKET && tok && !c->ticket) {
        http_start(c, HTTP_TICKET, tok);
        free(tok);
        return;
    }
    if (tok && tg->carrier == GP_CARRIER_QUERY) {
        char *enc = gp_rn_url_encode(tok);

        path = gp_asprintf("%s%stoken=%s", r->path, strchr(r->path, '?') ? "&" : "?", enc);
        free(enc);
    } else if (c->ticket) {
        char *enc = gp_rn_url_encode(c->ticket);

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
        gp_rn_recordf(c, GP_FR_CONN_ERROR, 0, "connect failed: %s", r->resolve_err);
        gp_rn_connect_failed(c);
        return;
    }
    c->in_connect = true;
    w = lws_client_connect_via_info(&ci);
    c->in_connect = false;
    free(path);
    free(proto);
    if (!w && !c->attempt_over) {
        const char *why = gp_rn_source_problem(c);

        c->wsi = NULL;
        c->attempt_over = true;
        gp_rn_recordf(c, GP_FR_CONN_ERROR, 0, "connect failed: %s",
                      why ? why : "could not start the connection");
        gp_rn_connect_failed(c);
    } else if (c->failed_in_connect) {
        /* The attempt failed inside lws_client_connect_via_info: move on from a fresh timer,
         * not from inside that call. */
        c->failed_in_connect = false;
        c->state = CS_CONNECT_FAILED;
        gp_rn_arm_delay(c, 0);
    }
}

/* The attempt ended without a usable connection (refused, upgrade failed, dropped). */
void gp_rn_connect_failed(conn *c)
{
    gp_rn_cancel_timeout(c);
    gp_rn_release_slot(c);
    if (c->expect_refused) {
        /* A refusal is what the step asked for; the judge reads the details. */
        c->state = CS_READY;
        gp_rn_run_steps(c);
        return;
    }
    c->r->problems++;
    gp_rn_finish_user(c);
}

void gp_rn_became_ready(conn *c)
{
    gp_rn_cancel_timeout(c);
    if (c->expect_refused) {
        /* Let in without a valid credential: recorded, the judge fails GP-AUTH. */
        c->r->problems++;
        gp_rn_begin_close(c, 1000, "auth check done");
        return;
    }
    c->state = CS_READY;
    gp_rn_run_steps(c);
}
