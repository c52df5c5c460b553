/* url.h - the one parser of the URLs the harness connects to: ws:// and wss:// targets, and
 * http:// and https:// endpoints. The loader turns its errors into messages with the YAML
 * position; the runner takes host, port and path from it. No I/O, no allocation but path. */
#ifndef GP_URL_H
#define GP_URL_H

#include <stdbool.h>
#include <stddef.h>

typedef enum gp_url_error {
    GP_URL_OK = 0,
    GP_URL_NO_SCHEME,     /* no "scheme://" at all */
    GP_URL_BAD_SCHEME,    /* another scheme; gp_url.scheme_len says how long it is */
    GP_URL_BAD_CHARS,     /* spaces, '#', control or non-ASCII characters */
    GP_URL_USERINFO,      /* user:password@ in the authority */
    GP_URL_BAD_IPV6,      /* a malformed [IPv6] host */
    GP_URL_BAD_HOST_CHAR, /* gp_url.bad_char is the character */
    GP_URL_NO_HOST,
    GP_URL_BAD_PORT, /* not 1..65535 */
    GP_URL_MALFORMED /* anything else after the host */
} gp_url_error;

typedef struct gp_url {
    bool tls;          /* wss:// or https:// */
    char host[256];    /* as written, without IPv6 brackets */
    int port;          /* as written, else the scheme's (80 or 443) */
    char *path;        /* "/" and what follows the authority (path and query); owned */
    size_t scheme_len; /* the scheme's length, set on GP_URL_BAD_SCHEME */
    char bad_char;     /* set on GP_URL_BAD_HOST_CHAR */
} gp_url;

/* Parses url as a ws:// or wss:// URL (http false) or an http:// or https:// one (http true)
 * into u. Returns GP_URL_OK, or the first problem found (u->path is then NULL). Release u
 * with gp_url_cleanup either way. */
gp_url_error gp_url_parse(const char *url, bool http, gp_url *u);
/* Frees u->path; NULL is a no-op. */
void gp_url_cleanup(gp_url *u);

#endif
