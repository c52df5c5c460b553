/* redact.c - text made safe to show: UTF-8 cleaning, terminal-safe strings, and the one
 * redaction policy for credentials. The reporters, the runner, the loader and error messages
 * all use it; it knows nothing of reports, transcripts or the network. */
#include "redact.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

size_t gp_utf8_decode(const unsigned char *s, size_t n, uint32_t *cp)
{
    uint32_t c;
    size_t len, i;

    if (s[0] < 0x80) {
        *cp = s[0];
        return 1;
    }
    if (s[0] >= 0xc2 && s[0] <= 0xdf) {
        len = 2;
        c = s[0] & 0x1f;
    } else if (s[0] >= 0xe0 && s[0] <= 0xef) {
        len = 3;
        c = s[0] & 0x0f;
    } else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
        len = 4;
        c = s[0] & 0x07;
    } else {
        return 0;
    }
    if (len > n)
        return 0;
    for (i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        c = (c << 6) | (s[i] & 0x3f);
    }
    if ((len == 3 && c < 0x800) || (len == 4 && c < 0x10000) || c > 0x10ffff ||
        (c >= 0xd800 && c <= 0xdfff))
        return 0;
    *cp = c;
    return len;
}

static const char replacement[] = "\xef\xbf\xbd"; /* U+FFFD */

char *gp_utf8_clean(const char *s, size_t len, size_t max, bool *truncated)
{
    const unsigned char *p = (const unsigned char *)s;
    gp_buf b;
    size_t i = 0;
    bool cut = false;

    gp_buf_init(&b, max);
    while (s && i < len) {
        uint32_t cp;
        size_t n = gp_utf8_decode(p + i, len - i, &cp);
        int rc;

        if (n == 0) {
            rc = gp_buf_append(&b, replacement, 3);
            n = 1;
        } else {
            rc = gp_buf_append(&b, s + i, n);
        }
        if (rc != 0) {
            cut = true;
            break;
        }
        i += n;
    }
    if (truncated)
        *truncated = cut;
    return gp_buf_steal(&b);
}

char *gp_term_safe(const char *s, size_t max)
{
    char *clean = gp_utf8_clean(s ? s : "", s ? strlen(s) : 0, max, NULL);
    const unsigned char *p = (const unsigned char *)clean;
    gp_buf b;

    gp_buf_init(&b, strlen(clean) * 6 + 1);
    for (; *p; p++) {
        if (*p < 0x20 || *p == 0x7f)
            gp_buf_printf(&b, "\\x%02x", *p);
        else if (*p == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f)
            gp_buf_printf(&b, "\\u%04x", *++p);
        else
            gp_buf_append(&b, p, 1);
    }
    free(clean);
    return gp_buf_steal(&b);
}

static bool is_value_end(char c)
{
    return c == '\0' || c == '&' || c == '"' || c == '\'' || c == ' ' || c == '\t' || c == '\n' ||
           c == '\r' || c == '#' || c == '\\' || c == '<' || c == '>' || c == ',';
}

static bool is_token_char(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_' || c == '.' || c == '=' || c == '+' || c == '/' || c == '~';
}

/* Length of the secret starting at s (up to end), per the rule of the matched pattern. */
static size_t secret_len(const char *s, const char *end, bool json_string)
{
    const char *p = s;

    if (json_string) {
        while (p < end && *p != '"') {
            if (*p == '\\' && p + 1 < end)
                p++;
            p++;
        }
        return (size_t)(p - s);
    }
    while (p < end && !is_value_end(*p))
        p++;
    return (size_t)(p - s);
}

/* Query parameters whose values are credentials. */
static size_t secret_param(const char *s, const char *p, const char *end)
{
    static const char *const names[] = {"access_token", "api_key", "apikey", "password", "secret",
                                        "ticket",       "token",   "jwt",    "key"};
    size_t i;

    if (p > s && !strchr("?&;,( \t\"'", p[-1]))
        return 0;
    for (i = 0; i < sizeof names / sizeof names[0]; i++) {
        size_t n = strlen(names[i]);

        if ((size_t)(end - p) > n && strncasecmp(p, names[i], n) == 0 && p[n] == '=')
            return n + 1;
    }
    return 0;
}

/* At "://": the length of a "user:password@" part of the authority, or 0. */
static size_t userinfo_len(const char *p, const char *end)
{
    const char *q = p + 3, *at = NULL;

    for (; q < end && !strchr("/?# \t\"'<>", *q); q++)
        if (*q == '@')
            at = q;
    return at ? (size_t)(at + 1 - (p + 3)) : 0;
}

char *gp_redact(const char *s, size_t len)
{
    gp_buf b;
    const char *end = s + len, *p = s;

    gp_buf_init(&b, 2 * len + 64); /* "token=a" grows to "token=REDACTED" */
    while (p < end) {
        size_t key = 0, skip = 0;
        bool json_string = false;

        if ((size_t)(end - p) >= 3 && strncmp(p, "://", 3) == 0 && (skip = userinfo_len(p, end))) {
            gp_buf_append(&b, "://REDACTED@", 12);
            p += 3 + skip;
            continue;
        } else if ((key = secret_param(s, p, end)) != 0) {
            /* key=value: the value goes */
        } else if ((size_t)(end - p) >= 7 && strncasecmp(p, "bearer ", 7) == 0) {
            key = 7;
        } else if ((size_t)(end - p) >= 4 && strncmp(p, "jwt.", 4) == 0 &&
                   (p == s || !is_token_char(p[-1]))) {
            const char *q = p + 4;

            while (q < end && is_token_char(*q))
                q++;
            if (q - p - 4 >= 8) {
                key = 4;
                skip = (size_t)(q - p - 4);
            }
        } else if ((size_t)(end - p) >= 6 && strncmp(p, "token\"", 6) == 0) {
            /* A JSON member named *token: "token":"…", "access_token": "…". */
            const char *q = p + 6;

            while (q < end && (*q == ' ' || *q == '\t'))
                q++;
            if (q < end && *q == ':') {
                q++;
                while (q < end && (*q == ' ' || *q == '\t'))
                    q++;
                if (q < end && *q == '"') {
                    key = (size_t)(q + 1 - p);
                    json_string = true;
                }
            }
        }
        if (key) {
            gp_buf_append(&b, p, key);
            p += key;
            if (!skip)
                skip = secret_len(p, end, json_string);
            if (skip)
                gp_buf_append(&b, "REDACTED", 8);
            p += skip;
            continue;
        }
        gp_buf_append(&b, p, 1);
        p++;
    }
    return gp_buf_steal(&b);
}
