/* proxy.h - which HTTP proxy a connection goes through, decided as curl decides it.
 *
 * A scenario's target.proxy wins; without it the environment is read: https_proxy or
 * HTTPS_PROXY for wss:// and https://, http_proxy for ws:// and http:// (curl ignores the
 * upper-case HTTP_PROXY, and so do we), then all_proxy or ALL_PROXY. no_proxy or NO_PROXY
 * lists the hosts that bypass any proxy: "*" (all), host names that match themselves and
 * their subdomains ("example.com" and ".example.com" both match "api.example.com"), IP
 * addresses, and CIDR ranges ("10.0.0.0/8", "::1/128").
 *
 * Connections through a proxy are HTTP CONNECT tunnels (libwebsockets' own client proxying),
 * so only http:// proxies are supported. Nothing here touches the network except
 * gp_proxy_probe, which a failed tunnel calls once to say why. */
#ifndef GP_PROXY_H
#define GP_PROXY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct gp_proxy {
    char host[256]; /* as written, without IPv6 brackets */
    int port;       /* 1080 when the URL names none, as curl */
    char *userinfo; /* "user:password" for Proxy-Authorization, or NULL; a secret */
    char *display;  /* "http://host:port (from https_proxy)": no userinfo; safe to print */
} gp_proxy;

/* Chooses the proxy for a connection to host (a name or an IP literal, without brackets)
 * over TLS or not. configured is the scenario's target.proxy: NULL to read the environment,
 * "none" for never, or a proxy URL. Returns 1 with p filled (release it with
 * gp_proxy_cleanup), 0 for a direct connection, or -1 with *why set (free() it) when the
 * proxy setting cannot be used. */
int gp_proxy_for(const char *configured, bool tls, const char *host, gp_proxy *p, char **why);

/* Parses a proxy URL ("http://user:pw@host:port", the scheme optional) into p; source names
 * where it came from, for p->display. Returns 0, or -1 with *why set. */
int gp_proxy_parse(const char *url, const char *source, gp_proxy *p, char **why);

/* true when host is listed in a no_proxy value (see above). */
bool gp_no_proxy_match(const char *list, const char *host);

/* libwebsockets reports a refused tunnel only as "proxy not h1". This asks the proxy at ip
 * (p's host, resolved) for a tunnel to host:port once, blocking for at most timeout_ms, and
 * writes what happened into out: its refusal with the status line, no TCP connection to it,
 * or that it grants the tunnel now. Returns 1 when the proxy refused or was unreachable,
 * 0 when it granted the tunnel. */
int gp_proxy_probe(const gp_proxy *p, const char *ip, const char *host, int port, int timeout_ms,
                   char *out, size_t size);

/* One blocking TCP connect to the IP literal ip, port, given up at deadline (gp_now_us
 * clock): the connected socket (non-blocking; the caller closes it), or -1 with *err the
 * reason (ETIMEDOUT at the deadline), or 0 when ip is no IP literal. The network layer's, as
 * gp_proxy_probe, which uses it, and so does the runner's probe of an unreachable target. */
int gp_tcp_connect(const char *ip, int port, int64_t deadline, int *err);

void gp_proxy_cleanup(gp_proxy *p);

#endif
