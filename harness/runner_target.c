/* runner_target.c - URLs and credentials: the target URL, how connections leave this host
 * (routes, proxies), and each user's credential (minted, from a file, or none). */
#include <arpa/inet.h>
#include <ctype.h>
#include <libwebsockets.h>
#include <netdb.h>
#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>

#include "redact.h"
#include "runner_int.h"
#include "url.h"

/* ---- URLs and credentials ---- */

char *gp_url_redact(const char *url)
{
    return gp_redact(url, strlen(url));
}

char *gp_rn_url_encode(const char *s)
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
int gp_rn_route_vhost(runner *r, route *rt, struct lws_context_creation_info *info,
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

int gp_rn_parse_target(runner *r, const char *url, gp_err *err)
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

void gp_rn_random_hex(char *out, size_t nbytes)
{
    unsigned char raw[32];
    size_t i;

    if (nbytes > sizeof raw)
        nbytes = sizeof raw;
    if (gp_random_bytes(raw, nbytes) != 0) {
        for (i = 0; i < nbytes; i++)
            raw[i] = (unsigned char)(gp_now_us() >> (i % 8));
    }
    gp_hex_encode(out, raw, nbytes);
}

void gp_rn_make_vars(conn *c, gp_vars *v)
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
char *gp_rn_mint(conn *c, const char *secret, bool expired, gp_err *err)
{
    gp_vars v;

    gp_rn_make_vars(c, &v);
    return gp_credential_mint(&c->r->s->auth, &v, secret,
                              c->r->jwt_key && secret == c->r->secret ? c->r->jwt_key : NULL,
                              expired, time(NULL), err);
}

/* Adds a credential to the run's set (redacted from every frame from now on); returns it. */
char *gp_rn_remember(runner *r, char *v)
{
    if (v)
        gp_secrets_add(r->secrets, v, strlen(v));
    return v;
}

/* The token a connect step presents; NULL for none. */
/* The token a connect with credential cred presents: a new string, or NULL for none. NULL
 * with err set when a token could not be minted (the harness's failure, not the server's). */
char *gp_rn_credential_token(conn *c, gp_credential cred, gp_err *err)
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
        gp_rn_random_hex(wrong + 6, 16);
        return gp_rn_remember(c->r, gp_rn_mint(c, wrong, false, err));
    case GP_CRED_EXPIRED:
        return gp_rn_remember(c->r,
                              gp_rn_mint(c, c->r->secret ? c->r->secret : "unset", true, err));
    }
    return NULL;
}
