/* url.c - see url.h. The checks and their order are the loader's long-standing ones, so its
 * messages did not change when the runner began to share them. */
#include "url.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gp_common.h"

gp_url_error gp_url_parse(const char *url, bool http, gp_url *u)
{
    const char *p, *host, *hend, *port = NULL;
    const char *plain = http ? "http://" : "ws://", *secure = http ? "https://" : "wss://";
    size_t i;

    memset(u, 0, sizeof *u);
    if (strncmp(url, plain, strlen(plain)) == 0) {
        host = url + strlen(plain);
    } else if (strncmp(url, secure, strlen(secure)) == 0) {
        host = url + strlen(secure);
        u->tls = true;
    } else {
        const char *colon = strstr(url, "://");

        if (!colon)
            return GP_URL_NO_SCHEME;
        u->scheme_len = (size_t)(colon - url);
        return GP_URL_BAD_SCHEME;
    }
    for (i = 0; url[i]; i++)
        if ((unsigned char)url[i] <= ' ' || url[i] == '#' || (unsigned char)url[i] >= 0x7f)
            return GP_URL_BAD_CHARS;
    for (p = host; *p && *p != '/' && *p != '?' && *p != '@'; p++)
        ;
    if (*p == '@')
        return GP_URL_USERINFO;
    if (*host == '[') {
        hend = strchr(host, ']');
        if (!hend || hend == host + 1 || (size_t)(hend - host - 1) >= sizeof u->host)
            return GP_URL_BAD_IPV6;
        for (p = host + 1; p < hend; p++)
            if (!isxdigit((unsigned char)*p) && *p != ':' && *p != '.')
                return GP_URL_BAD_IPV6;
        snprintf(u->host, sizeof u->host, "%.*s", (int)(hend - host - 1), host + 1);
        p = hend + 1;
    } else {
        for (p = host; *p && *p != ':' && *p != '/' && *p != '?'; p++)
            if (!isalnum((unsigned char)*p) && *p != '.' && *p != '-' && *p != '_') {
                u->bad_char = *p;
                return GP_URL_BAD_HOST_CHAR;
            }
        if (p == host)
            return GP_URL_NO_HOST;
        if ((size_t)(p - host) >= sizeof u->host)
            return GP_URL_MALFORMED;
        snprintf(u->host, sizeof u->host, "%.*s", (int)(p - host), host);
    }
    u->port = u->tls ? 443 : 80;
    if (*p == ':') {
        long v = 0;

        port = ++p;
        while (isdigit((unsigned char)*p) && v <= 65535)
            v = v * 10 + (*p++ - '0');
        if (p == port || (*p && *p != '/' && *p != '?') || v < 1 || v > 65535)
            return GP_URL_BAD_PORT;
        u->port = (int)v;
    }
    if (*p && *p != '/' && *p != '?')
        return GP_URL_MALFORMED;
    u->path = *p == '/' ? gp_strdup(p) : gp_asprintf("/%s", p);
    return GP_URL_OK;
}

void gp_url_cleanup(gp_url *u)
{
    if (!u)
        return;
    free(u->path);
    u->path = NULL;
}
