/* runner_lws.c - the libwebsockets callback of the "goldenpath" protocol: writing queued
 * frames, receiving (and joining) frames, explaining connection errors, and the protocols and
 * extensions the context lists. */
#include <arpa/inet.h>
#include <errno.h>
#include <libwebsockets.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "runner_int.h"

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
        gp_rn_record(c, GP_FR_PING_SENT, c->step ? c->step->id : -1, NULL);
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
        const char *text = gp_rn_scrub(c->r, (const char *)m->buf + LWS_PRE, &len, &owned);

        gp_transcript_add(c->t, GP_FR_SENT, gp_rn_now_rel(c->r), 0, text, len);
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
        gp_rn_run_steps(c);
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
        gp_rn_on_text(c, len ? in : "", len);
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
        gp_transcript_add(c->t, GP_FR_OVERSIZE, gp_rn_now_rel(c->r),
                          (int)(max > INT32_MAX ? 0 : max), NULL, c->rx_seen);
        gp_rn_record(c, GP_FR_NOTE, -1, GP_NOTE_INFLATE_STOPPED);
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
        gp_transcript_add(c->t, GP_FR_RECV_BINARY, gp_rn_now_rel(c->r), 0, NULL, c->rx_seen);
    } else if (c->rx_seen > max) {
        gp_transcript_add(c->t, GP_FR_OVERSIZE, gp_rn_now_rel(c->r),
                          (int)(max > INT32_MAX ? 0 : max), NULL, c->rx_seen);
    } else if (c->rx_unkept) {
        gp_transcript_drop(c->t);
        gp_rn_on_frame(c, GP_NO_FRAME_INDEX, NULL, 0);
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
        idx = gp_transcript_add_owned(c->t, GP_FR_RECV_TEXT, gp_rn_now_rel(c->r), 0, data, n);
        gp_rn_on_frame(c, idx, idx != GP_NO_FRAME_INDEX ? c->t->frames[idx].data : NULL, n);
    }
    gp_buf_cleanup(&c->rx);
    gp_buf_init(&c->rx, max);
}

/* libwebsockets says only "Unable to connect"; one plain TCP connect (bounded to a second,
 * done once per run) finds the reason a person can act on, such as "Connection refused". */
static const char *tcp_probe(runner *r)
{
    int fd, err;

    if (r->probed)
        return r->probe;
    r->probed = true;
    fd = gp_tcp_connect(r->addr, r->port, gp_now_us() + 1000 * 1000, &err);
    if (fd >= 0)
        snprintf(r->probe, sizeof r->probe,
                 "a TCP connection to %s:%d was refused or dropped (it succeeds now)", r->addr,
                 r->port);
    else if (err)
        snprintf(r->probe, sizeof r->probe, "no TCP connection to %s:%d: %s", r->addr, r->port,
                 strerror(err));
    else
        snprintf(r->probe, sizeof r->probe, "no TCP connection to %s:%d", r->addr, r->port);
    if (fd >= 0)
        close(fd);
    return r->probe;
}

/* A connect that could not even start, with a source address set: can this host bind it?
 * Returns a sentence when it cannot, else NULL. */
const char *gp_rn_source_problem(conn *c)
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
        if (gp_rn_source_problem(c))
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
            /* "Bearer " and the token, copied: printf's %s costs more than the copy. */
            size_t tl = strlen(c->cur_token);
            char *v = gp_malloc(tl + 8);
            int rc;

            memcpy(v, "Bearer ", 7);
            memcpy(v + 7, c->cur_token, tl + 1);
            rc = lws_add_http_header_by_token(wsi, WSI_TOKEN_HTTP_AUTHORIZATION, (unsigned char *)v,
                                              (int)(tl + 7), p, end);

            free(v);
            if (rc)
                return -1;
        }
        for (i = 0; i < tg->nheaders; i++) {
            gp_vars v;
            char *name = gp_asprintf("%s:", tg->headers[i].key), *val;

            gp_rn_make_vars(c, &v);
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
        gp_rn_release_slot(c);
        free(c->cur_token); /* presented in the upgrade request; not needed any more */
        c->cur_token = NULL;
        if (c->subproto && strncmp(c->subproto, "jwt.", 4) == 0)
            gp_rn_record(c, GP_FR_CONNECTED, 0, "jwt.<redacted>");
        else
            gp_rn_record(c, GP_FR_CONNECTED, 0, c->subproto && c->subproto[0] ? c->subproto : NULL);
        if (c->deflate[0])
            gp_rn_recordf(c, GP_FR_NOTE, -1, "%s %s", GP_NOTE_DEFLATE, c->deflate);
        else if (c->r->s->target.compression == GP_COMPRESSION_DEFLATE)
            gp_rn_record(c, GP_FR_NOTE, -1, GP_NOTE_NO_DEFLATE);
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
            gp_rn_recordf(c, GP_FR_CONN_ERROR, status, "upgrade refused: HTTP %d (%s)%s", status,
                          in ? (const char *)in : "no detail",
                          /* nginx's answer to a missing client certificate, among others */
                          status == 400 && c->r->tls && !c->r->s->target.client_cert
                              ? "; a server that requires a client certificate answers 400 when "
                                "none is sent: see target.client_cert"
                              : "");
        else
            gp_rn_recordf(c, GP_FR_CONN_ERROR, 0, "connect failed: %s",
                          explain_conn_error(c, in ? (const char *)in : NULL));
        c->wsi = NULL;
        gp_rn_release_slot(c);
        if (c->in_connect)
            c->failed_in_connect = true;
        else if (!c->r->stopping)
            gp_rn_connect_failed(c);
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
        plain = c->deflate[0] && lws_is_first_fragment(wsi) && !(lws_get_reserved_bits(wsi) & 0x40);
        on_receive(c, wsi, in, len);
        if (plain && !c->inflate_stopped) {
            gp_rn_record(c, GP_FR_NOTE, -1, GP_NOTE_UNCOMPRESSED);
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
        gp_rn_record(c, GP_FR_PONG, 0, NULL);
        if (c->state == CS_WAIT_PONG) {
            gp_rn_cancel_timeout(c);
            gp_rn_record(c, GP_FR_EXPECT_OK, c->step->id, "pong");
            c->state = CS_READY;
            gp_rn_run_steps(c);
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
        gp_rn_release_slot(c);
        if (c->attempt_over)
            break;
        c->attempt_over = true;
        if (c->established) {
            gp_rn_record(c, GP_FR_CLOSED, 1006,
                         c->r->stopping ? "closed: the run was stopped"
                                        : "connection lost without a close frame (1006)");
            gp_rn_on_closed(c);
        } else if (c->state == CS_CLOSING || c->r->stopping) {
            gp_rn_on_closed(c); /* we dropped it ourselves, after recording why */
        } else {
            gp_rn_record(c, GP_FR_CONN_ERROR, 0,
                         "connect failed: the connection ended before the WebSocket upgrade");
            if (c->in_connect)
                c->failed_in_connect = true;
            else
                gp_rn_connect_failed(c);
        }
        break;
    case LWS_CALLBACK_CLIENT_CLOSED:
        if (!c || c->attempt_over)
            break;
        c->attempt_over = true;
        if (c->peer_close_code)
            gp_rn_recordf(c, GP_FR_CLOSED, c->peer_close_code, "closed by server: %d%s%s",
                          c->peer_close_code, c->peer_close_reason[0] ? " " : "",
                          c->peer_close_reason);
        else if (c->want_close)
            gp_rn_recordf(c, GP_FR_CLOSED, c->close_code, "closed by us: %d %s", c->close_code,
                          c->close_reason);
        else
            gp_rn_record(c, GP_FR_CLOSED, 1006,
                         c->r->stopping ? "closed: the run was stopped"
                                        : "connection lost without a close frame (1006)");
        gp_rn_on_closed(c);
        break;
    default:
        break;
    }
    return 0;
}

/* What the upgrade offers when target.compression is deflate, as a browser does: lws's own
 * permessage-deflate, which inflates into a bounded buffer (1 KiB, capped by RX_CHUNK) and
 * hands us the inflated message in pieces. */
const struct lws_extension gp_rn_deflate_exts[] = {
    {"permessage-deflate", lws_extension_callback_pm_deflate,
     "permessage-deflate; client_max_window_bits"},
    {NULL, NULL, NULL},
};

const struct lws_protocols gp_rn_protocols[] = {
    {"goldenpath", callback, 0, RX_CHUNK, 0, NULL, 0},
    {"goldenpath-http", gp_rn_http_callback, 0, 4096, 0, NULL, 0},
    {NULL, NULL, 0, 0, 0, NULL, 0},
};
