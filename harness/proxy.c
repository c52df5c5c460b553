/* proxy.c - see proxy.h: which proxy a connection uses (parsing, no_proxy, the environment).
 * No socket here; gp_proxy_probe lives in proxy_probe.c, in the network layer. */
#include "proxy.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "gp_common.h"

void gp_proxy_cleanup(gp_proxy *p)
{
    free(p->userinfo);
    free(p->display);
    memset(p, 0, sizeof *p);
}

int gp_proxy_parse(const char *url, const char *source, gp_proxy *p, char **why)
{
    const char *s = url, *at, *end, *hp, *colon = NULL;
    size_t hlen;

    memset(p, 0, sizeof *p);
    *why = NULL;
    if (strstr(s, "://")) {
        if (strncasecmp(s, "http://", 7) != 0) {
            *why = gp_asprintf("%s: only http:// proxies are supported (an HTTP CONNECT "
                               "tunnel), not '%.*s'",
                               source, (int)(strstr(s, "://") - s + 3), s);
            return -1;
        }
        s += 7;
    }
    end = s + strcspn(s, "/?#");
    at = NULL; /* the last '@' before the host: a password may hold one */
    for (const char *q = s; q < end; q++)
        if (*q == '@')
            at = q;
    if (at) {
        if ((size_t)(at - s) > 95) {
            *why = gp_asprintf("%s: proxy credentials longer than 95 characters are not "
                               "supported",
                               source);
            return -1;
        }
        p->userinfo = gp_asprintf("%.*s", (int)(at - s), s);
        s = at + 1;
    }
    hp = s;
    if (*hp == '[') {
        const char *rb = memchr(hp, ']', (size_t)(end - hp));

        if (!rb)
            goto bad;
        hlen = (size_t)(rb - hp - 1);
        if (hlen == 0 || hlen >= sizeof p->host)
            goto bad;
        memcpy(p->host, hp + 1, hlen);
        if (rb + 1 < end) {
            if (rb[1] != ':')
                goto bad;
            colon = rb + 1;
        }
    } else {
        colon = memchr(hp, ':', (size_t)(end - hp));
        hlen = (size_t)((colon ? colon : end) - hp);
        if (hlen == 0 || hlen >= sizeof p->host)
            goto bad;
        memcpy(p->host, hp, hlen);
    }
    p->port = 1080;
    if (colon) {
        char *e;
        long v = strtol(colon + 1, &e, 10);

        if (e == colon + 1 || e != end || v <= 0 || v > 65535)
            goto bad;
        p->port = (int)v;
    }
    p->display = gp_asprintf(strchr(p->host, ':') ? "http://[%s]:%d (from %s)"
                                                   : "http://%s:%d (from %s)",
                             p->host, p->port, source);
    return 0;
bad:
    gp_proxy_cleanup(p);
    /* Never echo the URL: it may carry a password. */
    *why = gp_asprintf("%s: not a proxy URL (expected http://host:port)", source);
    return -1;
}

/* ip (an IP literal) inside entry ("addr" or "addr/bits")? -1 when entry is no address. */
static int cidr_match(const char *entry, size_t elen, const char *ip)
{
    unsigned char a[16], b[16];
    char buf[64];
    const char *slash = memchr(entry, '/', elen);
    size_t alen = slash ? (size_t)(slash - entry) : elen;
    int fa, fb, bits, max;

    if (alen == 0 || alen >= sizeof buf)
        return -1;
    memcpy(buf, entry, alen);
    buf[alen] = '\0';
    fa = strchr(buf, ':') ? AF_INET6 : AF_INET;
    if (inet_pton(fa, buf, a) != 1)
        return -1;
    fb = strchr(ip, ':') ? AF_INET6 : AF_INET;
    if (fa != fb || inet_pton(fb, ip, b) != 1)
        return 0;
    max = fa == AF_INET ? 32 : 128;
    bits = max;
    if (slash) {
        char *e;
        long v = strtol(slash + 1, &e, 10);

        if (e == slash + 1 || e != entry + elen || v < 0 || v > max)
            return 0;
        bits = (int)v;
    }
    for (int i = 0; i < bits / 8; i++)
        if (a[i] != b[i])
            return 0;
    if (bits % 8) {
        unsigned char m = (unsigned char)(0xff << (8 - bits % 8));

        if ((a[bits / 8] & m) != (b[bits / 8] & m))
            return 0;
    }
    return 1;
}

bool gp_no_proxy_match(const char *list, const char *host)
{
    unsigned char probe[16];
    size_t hlen = strlen(host);
    bool host_is_ip;
    const char *s = list;

    if (!list || !*host)
        return false;
    while (hlen && host[hlen - 1] == '.')
        hlen--;
    host_is_ip = inet_pton(AF_INET, host, probe) == 1 || inet_pton(AF_INET6, host, probe) == 1;
    while (*s) {
        const char *e;
        size_t elen;

        while (*s == ',' || isspace((unsigned char)*s))
            s++;
        e = s;
        while (*e && *e != ',' && !isspace((unsigned char)*e))
            e++;
        elen = (size_t)(e - s);
        if (elen == 1 && *s == '*')
            return true;
        if (elen) {
            int m = host_is_ip ? cidr_match(s, elen, host) : -1;

            if (m == 1)
                return true;
            if (m == -1) {
                const char *n = s;
                size_t nlen = elen;

                if (*n == '[' && nlen > 2 && n[nlen - 1] == ']') { /* [::1] as written */
                    n++;
                    nlen -= 2;
                }
                while (nlen && *n == '.') {
                    n++;
                    nlen--;
                }
                while (nlen && n[nlen - 1] == '.')
                    nlen--;
                if (nlen && nlen <= hlen && strncasecmp(host + hlen - nlen, n, nlen) == 0 &&
                    (nlen == hlen || host[hlen - nlen - 1] == '.'))
                    return true;
            }
        }
        s = e;
    }
    return false;
}

static const char *env_first(const char *const *names, size_t n, const char **which)
{
    for (size_t i = 0; i < n; i++) {
        const char *v = getenv(names[i]);

        if (v && *v) {
            *which = names[i];
            return v;
        }
    }
    return NULL;
}

int gp_proxy_for(const char *configured, bool tls, const char *host, gp_proxy *p, char **why)
{
    static const char *const https_names[] = {"https_proxy", "HTTPS_PROXY", "all_proxy",
                                              "ALL_PROXY"};
    static const char *const http_names[] = {"http_proxy", "all_proxy", "ALL_PROXY"};
    static const char *const no_names[] = {"no_proxy", "NO_PROXY"};
    const char *url, *source = "target.proxy", *no, *no_src;

    memset(p, 0, sizeof *p);
    *why = NULL;
    if (configured && strcasecmp(configured, "none") == 0)
        return 0;
    url = configured;
    if (!url)
        url = tls ? env_first(https_names, 4, &source) : env_first(http_names, 3, &source);
    if (!url)
        return 0;
    no = env_first(no_names, 2, &no_src);
    if (no && gp_no_proxy_match(no, host))
        return 0;
    return gp_proxy_parse(url, source, p, why) < 0 ? -1 : 1;
}
