/* har.c - reading a HAR capture (HTTP Archive 1.2 with Chromium's WebSocket extension) into
 * transcripts, and the scenario that judges them. Only WebSocket entries become transcripts;
 * every entry is searched for credentials to redact. The file is bounded before it is read. */
#define _GNU_SOURCE /* strcasestr */
#include "har.h"

#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "event.h"
#include "report_util.h"
#include "secrets.h"

#define LISTED_ENTRIES 4  /* non-WebSocket entries named in the "none a WebSocket" error */
#define NOTE_DATA_MAX 200 /* bytes of a frame the page sent quoted in a note */
#define MAX_RUNS ((GP_MAX_EXPANDED_STEPS - 1) / 2)

static const char *str_of(json_t *o, const char *key)
{
    return json_string_value(json_object_get(o, key));
}

static bool credential_name(const char *name)
{
    static const char *const names[] = {"token",   "access_token", "ticket", "jwt",      "auth",
                                        "key",     "api_key",      "apikey", "secret",   "password",
                                        "session", "sid",          "code",   "id_token", "bearer"};
    size_t i;

    for (i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcasecmp(name, names[i]) == 0)
            return true;
    return strcasestr(name, "token") || strcasestr(name, "secret");
}

/* Adds each "; "-separated value of a Cookie header (or "name=value; attrs" of Set-Cookie). */
static void add_cookie_values(gp_secrets *sec, const char *v)
{
    while (v && *v) {
        const char *eq = strchr(v, '='), *end;

        if (!eq)
            break;
        end = strchr(eq, ';');
        if (!end)
            end = eq + strlen(eq);
        gp_secrets_add(sec, eq + 1, (size_t)(end - eq - 1));
        v = *end ? end + 1 : end;
        while (*v == ' ')
            v++;
    }
}

/* Adds the values of credential-like parameters of a URL's query. */
static void add_query_values(gp_secrets *sec, const char *url)
{
    const char *q = url ? strchr(url, '?') : NULL;

    while (q && *q) {
        const char *name = q + 1, *eq, *end;
        char key[64];
        size_t klen;

        end = strpbrk(name, "&#");
        if (!end)
            end = name + strlen(name);
        eq = memchr(name, '=', (size_t)(end - name));
        if (eq && (klen = (size_t)(eq - name)) < sizeof key) {
            memcpy(key, name, klen);
            key[klen] = '\0';
            if (credential_name(key))
                gp_secrets_add(sec, eq + 1, (size_t)(end - eq - 1));
        }
        q = *end == '&' ? end : NULL;
    }
}

static void add_header_secrets(gp_secrets *sec, json_t *headers)
{
    size_t i;
    json_t *h;

    json_array_foreach(headers, i, h)
    {
        const char *name = str_of(h, "name"), *v = str_of(h, "value");

        if (!name || !v)
            continue;
        if (strcasecmp(name, "authorization") == 0 ||
            strcasecmp(name, "proxy-authorization") == 0) {
            const char *sp = strchr(v, ' ');

            gp_secrets_add(sec, v, strlen(v));
            if (sp)
                gp_secrets_add(sec, sp + 1, strlen(sp + 1));
        } else if (strcasecmp(name, "cookie") == 0 || strcasecmp(name, "set-cookie") == 0) {
            add_cookie_values(sec, v);
        } else if (strcasecmp(name, "sec-websocket-protocol") == 0) {
            const char *p = v;

            while ((p = strstr(p, "jwt.")) != NULL) {
                size_t l = strcspn(p + 4, ", ");

                gp_secrets_add(sec, p + 4, l);
                p += 4 + l;
            }
        } else if (credential_name(name) || strcasestr(name, "api-key") ||
                   strcasestr(name, "auth")) {
            gp_secrets_add(sec, v, strlen(v));
        }
    }
}

static void add_cookie_array(gp_secrets *sec, json_t *cookies)
{
    size_t i;
    json_t *c;

    json_array_foreach(cookies, i, c)
    {
        const char *v = str_of(c, "value");

        if (v)
            gp_secrets_add(sec, v, strlen(v));
    }
}

static void collect_secrets(gp_secrets *sec, json_t *entries)
{
    size_t i, k;
    json_t *e, *q;

    json_array_foreach(entries, i, e)
    {
        json_t *req = json_object_get(e, "request"), *resp = json_object_get(e, "response");

        add_header_secrets(sec, json_object_get(req, "headers"));
        add_header_secrets(sec, json_object_get(resp, "headers"));
        add_cookie_array(sec, json_object_get(req, "cookies"));
        add_cookie_array(sec, json_object_get(resp, "cookies"));
        add_query_values(sec, str_of(req, "url"));
        json_array_foreach(json_object_get(req, "queryString"), k, q)
        {
            const char *name = str_of(q, "name"), *v = str_of(q, "value");

            if (name && v && credential_name(name))
                gp_secrets_add(sec, v, strlen(v));
        }
    }
}

/* A new copy of the len bytes at s with every held secret replaced; *out_len its length. */
static char *redacted(const gp_secrets *sec, const char *s, size_t len, size_t *out_len)
{
    char *r = gp_secrets_redact(sec, s, len, out_len);

    if (r)
        return r;
    *out_len = len;
    return gp_strndup(s, len);
}

/* A URL fit for a report: secrets by value, then credential parameters by shape. */
static char *redacted_url(const gp_secrets *sec, const char *url)
{
    size_t l;
    char *a = redacted(sec, url, strlen(url), &l), *b = gp_redact(a, l);

    free(a);
    return b;
}

static bool is_websocket(json_t *e)
{
    const char *url = str_of(json_object_get(e, "request"), "url");
    const char *rt = str_of(e, "_resourceType");

    return json_is_array(json_object_get(e, "_webSocketMessages")) ||
           (rt && strcasecmp(rt, "websocket") == 0) ||
           (url && (strncasecmp(url, "ws://", 5) == 0 || strncasecmp(url, "wss://", 6) == 0));
}

/* Bytes a base64 text decodes to. */
static size_t base64_len(const char *s, size_t len)
{
    while (len && (s[len - 1] == '=' || s[len - 1] == '\n' || s[len - 1] == '\r'))
        len--;
    return len * 6 / 8;
}

typedef struct loader {
    const char *path;
    const gp_profile *p;
    const char *message_type;
    gp_secrets *sec;
    double origin; /* epoch s of the earliest WebSocket entry */
    gp_err *err;
} loader;

static double entry_start(json_t *e)
{
    const char *s = str_of(e, "startedDateTime");
    double t;

    if (s && gp_iso8601_parse(s, &t) == 0)
        return t;
    return NAN;
}

static int64_t to_us(const loader *L, double wall)
{
    double d = (wall - L->origin) * 1e6;

    if (!(d > 0))
        return 0;
    if (d > (double)((int64_t)1 << 52))
        return (int64_t)1 << 52;
    return (int64_t)d;
}

/* Whether a sent frame is a message that begins a run. *root is the parsed frame or NULL (the
 * caller releases it) and *thread its thread id (borrowed from *root), or NULL. */
static bool is_message(const loader *L, const char *data, size_t len, json_t **root,
                       const char **thread)
{
    gp_event ev;

    *root = NULL;
    *thread = NULL;
    if (gp_event_parse(data, len, L->p, &ev, NULL) != 0) {
        /* A JSON object without a type under this profile is still the page talking: without
         * a scenario's message type it begins a run (which the judge then reads), so a
         * capture judged with the wrong profile fails rather than passes with no run. */
        *root = json_loadb(data, len, 0, NULL);
        return !L->message_type && json_is_object(*root);
    }
    *root = ev.root;
    *thread = ev.thread_id;
    if (L->message_type)
        return ev.type_name && strcmp(ev.type_name, L->message_type) == 0;
    return ev.type != GP_EV_NOISE && ev.type != GP_EV_READY;
}

static void note(gp_transcript *t, int64_t at, const char *text)
{
    gp_transcript_add(t, GP_FR_NOTE, at, 0, text, strlen(text));
}

/* Builds the transcript of WebSocket entry e (the ws-th of them, the i-th entry). */
static gp_transcript *entry_transcript(loader *L, json_t *e, size_t i, size_t ws, size_t *runs,
                                       int64_t *last_us)
{
    json_t *req = json_object_get(e, "request"), *resp = json_object_get(e, "response");
    json_t *msgs = json_object_get(e, "_webSocketMessages"), *m;
    const char *url = str_of(req, "url");
    gp_transcript *t = gp_transcript_new(ws, NULL, "");
    char *user = NULL, *rurl, *d;
    double start = entry_start(e), first = NAN;
    int64_t now, connected_at;
    json_int_t status = json_integer_value(json_object_get(resp, "status"));
    bool run_open = false, run_done = false;
    size_t k, nruns = 0;

    if (status < 100 || status > 999)
        status = 0; /* what no upgrade answers: the browser has none to record */
    t->max_bytes = GP_HAR_MAX_BYTES * 2;
    t->max_frames = (size_t)-1 / 2;
    if (isnan(start))
        start = L->origin;
    now = to_us(L, start);
    rurl = redacted_url(L->sec, url ? url : "(no URL)");
    d = gp_asprintf("%s (browser capture, entry %zu)", rurl, i + 1);
    gp_transcript_add(t, GP_FR_CONNECT, now, 0, d, strlen(d));
    free(d);
    free(rurl);
    connected_at = now;
    {
        double wait = json_number_value(json_object_get(json_object_get(e, "timings"), "wait"));

        if (wait > 0 && wait < 3.6e6)
            connected_at = now + (int64_t)(wait * 1000);
    }
    {
        json_t *t0 = json_object_get(json_array_get(msgs, 0), "time");

        if (json_is_number(t0) && json_number_value(t0) >= 1e9 &&
            to_us(L, json_number_value(t0)) < connected_at)
            connected_at = to_us(L, json_number_value(t0));
        if (connected_at < now)
            connected_at = now;
    }
    if (status == 101) {
        gp_transcript_add(t, GP_FR_CONNECTED, connected_at, 0, NULL, 0);
    } else {
        const char *berr = str_of(resp, "_error");
        char *why =
            status > 0      ? gp_asprintf("HTTP %lld %s", (long long)status,
                                     str_of(resp, "statusText") ? str_of(resp, "statusText") : "")
            : berr && *berr ? gp_asprintf("the browser recorded no upgrade response: %s", berr)
                            : gp_strdup("the browser recorded no upgrade response "
                                        "(status 0: refused, unreachable or cancelled)");

        size_t wl;
        char *rwhy = redacted(L->sec, why, strlen(why), &wl);

        gp_transcript_add_owned(t, GP_FR_CONN_ERROR, connected_at, (int)status, rwhy, wl);
        free(why);
    }
    now = connected_at;
    json_array_foreach(msgs, k, m)
    {
        const char *type = str_of(m, "type"), *data = str_of(m, "data");
        json_t *tm = json_object_get(m, "time"), *op = json_object_get(m, "opcode");
        double wall;
        int64_t at;
        size_t len;

        if (!json_is_object(m) || !type || (strcmp(type, "send") && strcmp(type, "receive")) ||
            !json_is_number(tm) || !data || (op && !json_is_integer(op))) {
            gp_err_set(L->err, GP_EXIT_USAGE, L->path, 0, 0,
                       "entry %zu (WebSocket %zu) frame %zu is truncated: a frame needs "
                       "\"type\" (send or receive), \"time\" (seconds), \"opcode\" and \"data\"",
                       i + 1, ws + 1, k + 1);
            goto fail;
        }
        len = json_string_length(json_object_get(m, "data"));
        wall = json_number_value(tm);
        if (isnan(first))
            first = wall;
        /* Some tools record the monotonic clock, not the wall clock: keep the intervals. */
        if (wall < 1e9)
            wall = start + (wall - first);
        at = to_us(L, wall);
        if (at < now)
            at = now;
        now = at;
        if (op && json_integer_value(op) == 2) {
            size_t bl = base64_len(data, len);

            if (strcmp(type, "receive") == 0) {
                gp_transcript_add(t, GP_FR_RECV_BINARY, at, 0, NULL, bl);
            } else {
                char *n = gp_asprintf("the page sent a binary frame of %zu bytes", bl);

                note(t, at, n);
                free(n);
            }
            continue;
        }
        if (op && json_integer_value(op) != 1) {
            char *n = gp_asprintf("a frame with opcode %lld (%s)",
                                  (long long)json_integer_value(op), type);

            note(t, at, n);
            free(n);
            continue;
        }
        if (strcmp(type, "send") == 0) {
            json_t *root;
            const char *thread;
            size_t rl;
            char *r = redacted(L->sec, data, len, &rl);

            if (is_message(L, r, rl, &root, &thread)) {
                if (run_open && !run_done)
                    gp_transcript_add(t, GP_FR_RUN_END, now, (int)nruns - 1, "timeout", 7);
                gp_transcript_add_owned(t, GP_FR_SENT, at, 0, r, rl);
                gp_transcript_add(t, GP_FR_RUN_BEGIN, at, (int)nruns, thread,
                                  thread ? strlen(thread) : 0);
                nruns++;
                run_open = true;
                run_done = false;
            } else {
                char *n = gp_asprintf("the page sent: %.*s%s",
                                      (int)(rl > NOTE_DATA_MAX ? NOTE_DATA_MAX : rl), r,
                                      rl > NOTE_DATA_MAX ? "..." : "");

                note(t, at, n);
                free(n);
                free(r);
            }
            json_decref(root);
            continue;
        }
        if (L->p->max_frame_bytes && len > L->p->max_frame_bytes) {
            gp_transcript_add(t, GP_FR_OVERSIZE, at, 0, NULL, len);
            continue;
        }
        {
            size_t rl;
            char *r = redacted(L->sec, data, len, &rl);
            gp_event ev;

            if (gp_event_parse(r, rl, L->p, &ev, NULL) == 0) {
                if (!user && ev.user_id && (ev.type == GP_EV_READY || ev.type < GP_EV_GOLDEN_COUNT))
                    user = gp_strdup(ev.user_id);
                json_decref(ev.root);
                gp_transcript_add_owned(t, GP_FR_RECV_TEXT, at, 0, r, rl);
                /* As the runner does: a run ends at its first terminal event. */
                if (run_open && !run_done &&
                    (ev.type == GP_EV_AGENT_COMPLETED || ev.type == GP_EV_AGENT_ERROR ||
                     ev.type == GP_EV_AGENT_DEATH)) {
                    run_done = true;
                    gp_transcript_add(t, GP_FR_RUN_END, at, (int)nruns - 1,
                                      ev.type == GP_EV_AGENT_COMPLETED ? "completed"
                                      : ev.type == GP_EV_AGENT_ERROR   ? "agent_error"
                                                                       : "agent_death",
                                      ev.type == GP_EV_AGENT_COMPLETED ? 9 : 11);
                }
                continue;
            }
            gp_transcript_add_owned(t, GP_FR_RECV_TEXT, at, 0, r, rl);
        }
    }
    /* A WebSocket entry lasts until the socket closed or the recording stopped: a run still
     * open was waited for until then. */
    {
        double total = json_number_value(json_object_get(e, "time"));
        int64_t end = total > 0 && total < 1e10 ? to_us(L, start) + (int64_t)(total * 1000) : 0;

        if (end > now)
            now = end;
    }
    if (run_open && !run_done) {
        note(t, now,
             "the capture of this WebSocket ends here: the page closed it or the recording "
             "stopped (a HAR keeps no close frames)");
        gp_transcript_add(t, GP_FR_RUN_END, now, (int)nruns - 1, "timeout", 7);
    }
    free(t->user_id);
    t->user_id = user ? user : gp_asprintf("capture-user-%zu", ws + 1);
    *runs = nruns;
    *last_us = now;
    return t;
fail:
    free(user);
    gp_transcript_free(t);
    return NULL;
}

/* "3 entries, none a WebSocket: GET https://a, GET https://b, ..." */
static void no_websocket(loader *L, json_t *entries)
{
    gp_buf b;
    size_t i;
    json_t *e;
    char *s;

    gp_buf_init(&b, 400);
    gp_buf_printf(&b, "%zu entr%s, none a WebSocket", json_array_size(entries),
                  json_array_size(entries) == 1 ? "y" : "ies");
    json_array_foreach(entries, i, e)
    {
        json_t *req = json_object_get(e, "request");
        char *u;

        if (i == LISTED_ENTRIES) {
            gp_buf_printf(&b, " and %zu more", json_array_size(entries) - i);
            break;
        }
        u = redacted_url(L->sec, str_of(req, "url") ? str_of(req, "url") : "(no URL)");
        gp_buf_printf(&b, "%s%s %.120s", i ? ", " : ": ",
                      str_of(req, "method") ? str_of(req, "method") : "?", u);
        free(u);
    }
    s = gp_buf_steal(&b);
    gp_err_set(L->err, GP_EXIT_USAGE, L->path, 0, 0,
               "%s (record the capture while the page's WebSocket connects)", s ? s : "");
    free(s);
}

/* gp_har_load_mem; when owned, text (from malloc) is freed as soon as it is parsed, so the
 * file's bytes and its transcripts are never held at once. */
static gp_har *load_text(const char *path, char *text, bool owned, size_t len, const gp_profile *p,
                         const char *message_type, gp_err *err)
{
    loader L = {.path = path, .p = p, .message_type = message_type, .err = err};
    json_error_t jerr;
    json_t *root, *log, *entries, *e;
    gp_har *h = NULL;
    size_t i;

    if (len > GP_HAR_MAX_BYTES) {
        gp_err_set(err, GP_EXIT_USAGE, path, 0, 0,
                   "the capture is %zu MiB; captures above %zu MiB are refused (export only "
                   "the WebSocket, or filter the DevTools network log to WS first)",
                   len >> 20, GP_HAR_MAX_BYTES >> 20);
        if (owned)
            free(text);
        return NULL;
    }
    root = json_loadb(text, len, 0, &jerr);
    if (owned)
        free(text);
    if (!root) {
        if (len == 0)
            gp_err_set(err, GP_EXIT_USAGE, path, 0, 0, "the file is empty (a truncated capture?)");
        else if ((size_t)jerr.position >= len || strstr(jerr.text, "premature end"))
            gp_err_set(err, GP_EXIT_USAGE, path, jerr.line, jerr.column,
                       "not a complete JSON document: it ends after %zu bytes in the middle "
                       "of a value (a truncated capture?)",
                       len);
        else
            gp_err_set(err, GP_EXIT_USAGE, path, jerr.line, jerr.column,
                       "not JSON (a HAR file is JSON): %s", jerr.text);
        return NULL;
    }
    log = json_object_get(root, "log");
    entries = json_object_get(log, "entries");
    if (!json_is_object(log) || !json_is_array(entries)) {
        gp_err_set(err, GP_EXIT_USAGE, path, 0, 0,
                   "not a HAR file: no \"log\" object with an \"entries\" array (export it "
                   "from the browser's DevTools, Network tab, \"Save all as HAR\")");
        json_decref(root);
        return NULL;
    }
    L.sec = gp_secrets_new();
    collect_secrets(L.sec, entries);
    h = gp_calloc(1, sizeof *h);
    h->path = gp_strdup(path);
    h->nentries = json_array_size(entries);
    L.origin = INFINITY;
    json_array_foreach(entries, i, e)
    {
        double s = entry_start(e);

        if (is_websocket(e)) {
            h->n++;
            if (!isnan(s) && s < L.origin)
                L.origin = s;
        }
    }
    if (h->n == 0) {
        no_websocket(&L, entries);
        goto fail;
    }
    /* Without startedDateTime, the earliest frame stands in. */
    json_array_foreach(entries, i, e)
    {
        json_t *t0 =
            json_object_get(json_array_get(json_object_get(e, "_webSocketMessages"), 0), "time");

        if (isinf(L.origin) && is_websocket(e) && json_is_number(t0) &&
            json_number_value(t0) >= 1e9)
            L.origin = json_number_value(t0);
    }
    if (isinf(L.origin))
        L.origin = 0;
    h->started_wall_us = L.origin > 0 ? (int64_t)(L.origin * 1e6) : 0;
    h->ts = gp_calloc(h->n, sizeof *h->ts);
    h->n = 0;
    json_array_foreach(entries, i, e)
    {
        size_t runs = 0;
        int64_t last = 0;

        if (!is_websocket(e))
            continue;
        h->ts[h->n] = entry_transcript(&L, e, i, h->n, &runs, &last);
        if (!h->ts[h->n])
            goto fail;
        h->n++;
        if (runs > h->max_runs)
            h->max_runs = runs;
        if (last > h->duration_us)
            h->duration_us = last;
    }
    if (h->max_runs > MAX_RUNS) {
        gp_err_set(err, GP_EXIT_USAGE, path, 0, 0,
                   "one WebSocket of the capture sent %zu messages; at most %d can be judged",
                   h->max_runs, MAX_RUNS);
        goto fail;
    }
    gp_secrets_free(L.sec);
    json_decref(root);
    return h;
fail:
    gp_secrets_free(L.sec);
    json_decref(root);
    gp_har_free(h);
    return NULL;
}

gp_har *gp_har_load_mem(const char *path, const char *text, size_t len, const gp_profile *p,
                        const char *message_type, gp_err *err)
{
    return load_text(path, (char *)text, false, len, p, message_type, err);
}

gp_har *gp_har_load(const char *path, const gp_profile *p, const char *message_type, gp_err *err)
{
    struct stat st = {0};
    FILE *f;
    char *buf;
    size_t len, cap;

    f = fopen(path, "rb");
    if (!f) {
        gp_err_set(err, GP_EXIT_USAGE, path, 0, 0, "cannot open: %s", strerror(errno));
        return NULL;
    }
    if (fstat(fileno(f), &st) == 0 && S_ISREG(st.st_mode) &&
        (uint64_t)st.st_size > GP_HAR_MAX_BYTES) {
        gp_err_set(err, GP_EXIT_USAGE, path, 0, 0,
                   "the capture is %llu MiB; captures above %zu MiB are refused (export only "
                   "the WebSocket, or filter the DevTools network log to WS first)",
                   (unsigned long long)(st.st_size >> 20), GP_HAR_MAX_BYTES >> 20);
        fclose(f);
        return NULL;
    }
    /* Read at most one byte past the bound: a pipe has no size to check first. A regular
     * file's buffer is its size; a pipe's grows. */
    cap = S_ISREG(st.st_mode) ? (size_t)st.st_size + 1 : (size_t)1 << 20;
    buf = gp_malloc(cap + 1);
    len = 0;
    for (;;) {
        size_t got = fread(buf + len, 1, cap - len, f);

        len += got;
        if (got == 0 || len > GP_HAR_MAX_BYTES)
            break;
        if (len == cap) {
            cap = cap * 2 > GP_HAR_MAX_BYTES + 1 ? GP_HAR_MAX_BYTES + 1 : cap * 2;
            buf = gp_realloc(buf, cap + 1);
        }
    }
    if (ferror(f)) {
        gp_err_set(err, GP_EXIT_USAGE, path, 0, 0, "cannot read: %s", strerror(errno));
        fclose(f);
        free(buf);
        return NULL;
    }
    fclose(f);
    buf[len] = '\0';
    return load_text(path, buf, true, len, p, message_type, err);
}

void gp_har_free(gp_har *h)
{
    size_t i;

    if (!h)
        return;
    for (i = 0; h->ts && i < h->n; i++)
        gp_transcript_free(h->ts[i]);
    free(h->ts);
    free(h->path);
    free(h);
}

static const gp_step *first_step(const gp_step *steps, size_t n, gp_step_kind kind)
{
    size_t i;

    for (i = 0; i < n; i++) {
        const gp_step *s = NULL;

        if (steps[i].kind == kind)
            return &steps[i];
        if (steps[i].kind == GP_STEP_REPEAT)
            s = first_step(steps[i].u.repeat.steps, steps[i].u.repeat.nsteps, kind);
        if (s)
            return s;
    }
    return NULL;
}

const char *gp_har_message_type(const gp_scenario *s)
{
    const gp_step *st = s ? first_step(s->steps, s->nsteps, GP_STEP_SEND) : NULL;

    if (!st || !json_is_object(st->u.send.message))
        return NULL;
    return json_string_value(json_object_get(st->u.send.message, s->profile.type_key));
}

int gp_har_scenario(gp_scenario *s, gp_har *h, gp_err *err)
{
    const gp_step *tmpl = first_step(s->steps, s->nsteps, GP_STEP_EXPECT_RUN);
    const char *mtype = gp_har_message_type(s);
    char *qtype, *yaml;
    gp_buf b;
    gp_scenario *gen;
    gp_step *tmp_steps;
    size_t i, u, tmp_n;
    int tmp_ids;
    json_t *js = json_string(mtype ? mtype : "user_message");

    qtype = json_dumps(js, JSON_ENCODE_ANY);
    json_decref(js);
    gp_buf_init(&b, (size_t)1 << 30);
    gp_buf_printf(&b, "name: capture\ntarget:\n  url: ws://capture.invalid/\nauth:\n  kind: none\n"
                      "steps:\n  - connect: {}\n");
    for (i = 0; i < h->max_runs; i++)
        gp_buf_printf(&b, "  - send: {type: %s}\n  - expect_run: {}\n", qtype);
    free(qtype);
    yaml = gp_buf_steal(&b);
    gen = gp_scenario_load_mem(h->path, yaml, strlen(yaml), GP_LOAD_OFFLINE, err);
    free(yaml);
    if (!gen)
        return -1;
    for (i = 0; i < gen->nsteps; i++) {
        gp_step *st = &gen->steps[i];

        if (st->kind == GP_STEP_EXPECT_RUN && tmpl) {
            st->u.expect_run.required = tmpl->u.expect_run.required;
            st->u.expect_run.allow_repeats = tmpl->u.expect_run.allow_repeats;
            st->u.expect_run.max_gap_us = tmpl->u.expect_run.max_gap_us;
            st->u.expect_run.deadline_us = tmpl->u.expect_run.deadline_us;
        }
    }
    /* The scenario keeps its protocol, timeouts and outcome and takes the capture's steps; the
     * generated one takes the old steps to its grave. */
    tmp_steps = s->steps;
    tmp_n = s->nsteps;
    tmp_ids = s->nstep_ids;
    s->steps = gen->steps;
    s->nsteps = gen->nsteps;
    s->nstep_ids = gen->nstep_ids;
    gen->steps = tmp_steps;
    gen->nsteps = tmp_n;
    gen->nstep_ids = tmp_ids;
    gp_scenario_free(gen);
    for (u = 0; u < h->n; u++) {
        gp_transcript *t = h->ts[u];

        for (i = 0; i < t->nframes; i++) {
            gp_frame *f = &t->frames[i];

            if (f->kind == GP_FR_CONNECT)
                f->code = s->steps[0].id;
            else if (f->kind == GP_FR_RUN_BEGIN || f->kind == GP_FR_RUN_END)
                f->code = s->steps[2 + 2 * (size_t)f->code].id;
        }
    }
    return 0;
}

gp_scenario *gp_har_default_scenario(const char *har_path, gp_err *err)
{
    const char *base = strrchr(har_path, '/') ? strrchr(har_path, '/') + 1 : har_path;
    json_t *js = json_string(base);
    char *q = json_dumps(js ? js : json_string("capture"), JSON_ENCODE_ANY);
    char *yaml = gp_asprintf("name: %s\ndescription: a browser capture, judged with the default "
                             "protocol profile\ntarget:\n  url: ws://capture.invalid/\nauth:\n"
                             "  kind: none\nsteps:\n  - connect: {}\n  - send: {type: "
                             "user_message}\n  - expect_run: {}\n",
                             q ? q : "capture");
    gp_scenario *s = gp_scenario_load_mem(har_path, yaml, strlen(yaml), GP_LOAD_OFFLINE, err);

    json_decref(js);
    free(q);
    free(yaml);
    return s;
}
