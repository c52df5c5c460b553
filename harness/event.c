/* event.c - parses a received text frame into a typed agent event under a protocol profile:
 * unwraps wrapper frames, applies type aliases, classifies noise and ready frames, and finds the
 * id fields wherever the profile says they may live. For the runner's hot path it also peeks at
 * a frame's type and thread id straight from the bytes, agreeing with the full parse whenever it
 * answers. It judges nothing; judge.c does. */
#define _DEFAULT_SOURCE /* timegm */
#include "event.h"

#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "json_fast.h"

const char *const gp_event_type_names[GP_EV__COUNT] = {
    [GP_EV_AGENT_STARTED] = "agent_started",
    [GP_EV_AGENT_THINKING] = "agent_thinking",
    [GP_EV_TOOL_EXECUTING] = "tool_executing",
    [GP_EV_TOOL_COMPLETED] = "tool_completed",
    [GP_EV_AGENT_COMPLETED] = "agent_completed",
    [GP_EV_AGENT_ERROR] = "agent_error",
    [GP_EV_AGENT_DEATH] = "agent_death",
    [GP_EV_READY] = "connection_established",
    [GP_EV_ERROR_MESSAGE] = "error_message",
    [GP_EV_NOISE] = "noise",
    [GP_EV_OTHER] = "other",
};

const char *gp_event_type_name(gp_event_type t)
{
    return (unsigned)t < GP_EV__COUNT ? gp_event_type_names[t] : "other";
}

int gp_event_type_from_name(const char *name)
{
    int i;

    if (!name)
        return -1;
    for (i = 0; i < GP_EV__COUNT; i++)
        if (strcmp(gp_event_type_names[i], name) == 0)
            return i;
    return -1;
}

static char **strv_dup(const char *const *src, size_t n)
{
    char **v = gp_calloc(n ? n : 1, sizeof *v);
    size_t i;

    for (i = 0; i < n; i++)
        v[i] = gp_strdup(src[i]);
    return v;
}

static void strv_free(char **v, size_t n)
{
    size_t i;

    for (i = 0; v && i < n; i++)
        free(v[i]);
    free(v);
}

void gp_profile_init_default(gp_profile *p)
{
    static const char *const wrappers[] = {"system_message"};
    static const char *const containers[] = {"payload", "data"};
    /* handshake_response is noise here: a server that wants it acknowledged is handled by an
     * expect step in the scenario, and it never belongs to a run. */
    static const char *const noise[] = {"heartbeat", "heartbeat_ack",  "pong",
                                        "ack",       "system_message", "handshake_response"};
    static const char *const ready[] = {"connection_established", "connection_ready"};

    memset(p, 0, sizeof *p);
    p->type_key = gp_strdup("type");
    p->event_key = gp_strdup("event");
    p->nwrapper_types = sizeof wrappers / sizeof wrappers[0];
    p->wrapper_types = strv_dup(wrappers, p->nwrapper_types);
    p->ncontainers = sizeof containers / sizeof containers[0];
    p->containers = strv_dup(containers, p->ncontainers);
    p->run_id_key = gp_strdup("run_id");
    p->thread_id_key = gp_strdup("thread_id");
    p->user_id_key = gp_strdup("user_id");
    p->nnoise_types = sizeof noise / sizeof noise[0];
    p->noise_types = strv_dup(noise, p->nnoise_types);
    p->nready_types = sizeof ready / sizeof ready[0];
    p->ready_types = strv_dup(ready, p->nready_types);
    p->naliases = 1;
    p->aliases = gp_calloc(1, sizeof *p->aliases);
    p->aliases[0].from = gp_strdup("reasoning");
    p->aliases[0].to = gp_strdup("agent_thinking");
    p->max_frame_bytes = 1024 * 1024;
}

void gp_profile_cleanup(gp_profile *p)
{
    size_t i;

    if (!p)
        return;
    free(p->type_key);
    free(p->event_key);
    strv_free(p->wrapper_types, p->nwrapper_types);
    strv_free(p->containers, p->ncontainers);
    free(p->run_id_key);
    free(p->thread_id_key);
    free(p->user_id_key);
    strv_free(p->noise_types, p->nnoise_types);
    strv_free(p->ready_types, p->nready_types);
    for (i = 0; p->aliases && i < p->naliases; i++) {
        free(p->aliases[i].from);
        free(p->aliases[i].to);
    }
    free(p->aliases);
    memset(p, 0, sizeof *p);
}

static char *dup_or_null(const char *s)
{
    return s ? gp_strdup(s) : NULL;
}

void gp_profile_copy(gp_profile *dst, const gp_profile *src)
{
    size_t i;

    memset(dst, 0, sizeof *dst);
    dst->type_key = dup_or_null(src->type_key);
    dst->event_key = dup_or_null(src->event_key);
    dst->nwrapper_types = src->nwrapper_types;
    dst->wrapper_types = strv_dup((const char *const *)src->wrapper_types, src->nwrapper_types);
    dst->ncontainers = src->ncontainers;
    dst->containers = strv_dup((const char *const *)src->containers, src->ncontainers);
    dst->run_id_key = dup_or_null(src->run_id_key);
    dst->thread_id_key = dup_or_null(src->thread_id_key);
    dst->user_id_key = dup_or_null(src->user_id_key);
    dst->nnoise_types = src->nnoise_types;
    dst->noise_types = strv_dup((const char *const *)src->noise_types, src->nnoise_types);
    dst->nready_types = src->nready_types;
    dst->ready_types = strv_dup((const char *const *)src->ready_types, src->nready_types);
    dst->naliases = src->naliases;
    dst->aliases = gp_calloc(src->naliases ? src->naliases : 1, sizeof *dst->aliases);
    for (i = 0; i < src->naliases; i++) {
        dst->aliases[i].from = gp_strdup(src->aliases[i].from);
        dst->aliases[i].to = gp_strdup(src->aliases[i].to);
    }
    dst->max_frame_bytes = src->max_frame_bytes;
}

/* Names are compared as (pointer, length) so that the peek can match bytes inside a frame;
 * for a NUL-terminated s this is exactly strcmp(v[i], s) == 0. */
static bool same_name(const char *a, const char *s, size_t len)
{
    return strncmp(a, s, len) == 0 && a[len] == '\0';
}

static bool in_list_n(char *const *v, size_t n, const char *s, size_t len)
{
    size_t i;

    for (i = 0; v && i < n; i++)
        if (v[i] && same_name(v[i], s, len))
            return true;
    return false;
}

static bool in_list(char *const *v, size_t n, const char *s)
{
    return in_list_n(v, n, s, strlen(s));
}

/* Fields are looked up the same way for every frame: the top level first, because a flat frame
 * is today's main shape, then each container in the profile's order. */
static json_t *lookup(const json_t *obj, const gp_profile *p, const char *name)
{
    json_t *v;
    size_t i;

    if (!json_is_object(obj) || !name)
        return NULL;
    if ((v = json_object_get(obj, name)) != NULL)
        return v;
    for (i = 0; i < p->ncontainers; i++) {
        json_t *c = json_object_get(obj, p->containers[i]);

        if (json_is_object(c) && (v = json_object_get(c, name)) != NULL)
            return v;
    }
    return NULL;
}

static bool is_wrapped(const json_t *root, const gp_profile *p)
{
    const char *type = json_string_value(json_object_get(root, p->type_key));

    return type && p->event_key && in_list(p->wrapper_types, p->nwrapper_types, type) &&
           json_is_string(json_object_get(root, p->event_key));
}

json_t *gp_event_field(const gp_event *ev, const gp_profile *p, const char *name)
{
    json_t *v;
    size_t i;

    if (!ev || !p)
        return NULL;
    if ((v = lookup(ev->body, p, name)) != NULL)
        return v;
    /* A wrapper may nest a flat event or another container inside its payload. */
    if (ev->root && is_wrapped(ev->root, p)) {
        for (i = 0; i < p->ncontainers; i++) {
            json_t *c = json_object_get(ev->root, p->containers[i]);

            if (c != ev->body && (v = lookup(c, p, name)) != NULL)
                return v;
        }
    }
    return NULL;
}

static const char *string_field(const gp_event *ev, const gp_profile *p, const char *name)
{
    return json_string_value(gp_event_field(ev, p, name));
}

static int digits(const char **s, int n, int *out)
{
    int v = 0, i;

    for (i = 0; i < n; i++) {
        if (!isdigit((unsigned char)(*s)[i]))
            return -1;
        v = v * 10 + ((*s)[i] - '0');
    }
    *s += n;
    *out = v;
    return 0;
}

/* A timestamp's pieces, as iso_parse reads them. */
typedef struct iso_time {
    time_t t; /* the date and time as written, taken as UTC; the offset is not applied */
    int sign, off_h, off_m;
    double frac;     /* the fraction of a second */
    int64_t frac_us; /* the same in whole microseconds (digits past the sixth ignored) */
} iso_time;

/* The one reader of timestamps, for events (strict false: ISO 8601 as servers write it, the
 * time, its seconds and the offset optional, ',' for '.', offsets as +hh, +hhmm or +hh:mm) and
 * --start-at (strict true: RFC 3339 only, YYYY-MM-DD(T|t| )hh:mm:ss(.frac)?(Z|z|+hh:mm|-hh:mm)). */
static int iso_parse(const char *s, bool strict, iso_time *it)
{
    int year, mon, day, hour = 0, min = 0, sec = 0;
    int64_t scale_us = 100000;
    struct tm tm;

    memset(it, 0, sizeof *it);
    if (!s)
        return -1;
    if (digits(&s, 4, &year) || *s++ != '-' || digits(&s, 2, &mon) || *s++ != '-' ||
        digits(&s, 2, &day))
        return -1;
    if (*s == 'T' || *s == 't' || *s == ' ') {
        s++;
        if (digits(&s, 2, &hour) || *s++ != ':' || digits(&s, 2, &min))
            return -1;
        if (*s == ':') {
            s++;
            if (digits(&s, 2, &sec))
                return -1;
            if (*s == '.' || (!strict && *s == ',')) {
                double scale = 0.1;

                s++;
                if (!isdigit((unsigned char)*s))
                    return -1;
                while (isdigit((unsigned char)*s)) {
                    it->frac_us += (*s - '0') * scale_us;
                    scale_us /= 10;
                    it->frac += (*s++ - '0') * scale;
                    scale /= 10;
                }
            }
        } else if (strict) {
            return -1;
        }
        if (*s == 'Z' || *s == 'z') {
            s++;
        } else if (*s == '+' || *s == '-') {
            it->sign = *s++ == '-' ? -1 : 1;
            if (digits(&s, 2, &it->off_h))
                return -1;
            if (*s == ':')
                s++;
            else if (strict)
                return -1;
            if ((strict || *s) && digits(&s, 2, &it->off_m))
                return -1;
        } else if (strict) {
            return -1;
        }
    } else if (strict) {
        return -1;
    }
    if (*s)
        return -1;
    /* Leap second 60 is allowed; timegm normalises it into the next minute. */
    if (mon < 1 || mon > 12 || day < 1 || day > 31 || hour > 23 || min > 59 || sec > 60 ||
        it->off_h > 23 || it->off_m > 59)
        return -1;
    memset(&tm, 0, sizeof tm);
    tm.tm_year = year - 1900;
    tm.tm_mon = mon - 1;
    tm.tm_mday = day;
    tm.tm_hour = hour;
    tm.tm_min = min;
    tm.tm_sec = sec;
    it->t = timegm(&tm);
    /* -1 is also 1969-12-31T23:59:59, which an event may carry; --start-at never does. */
    if (it->t == (time_t)-1 && (strict || !(year == 1969 && mon == 12 && day == 31)))
        return -1;
    /* timegm silently rolls 31 February into March; a real timestamp never does that. */
    if (tm.tm_mday != day || tm.tm_mon != mon - 1)
        return -1;
    return 0;
}

int gp_iso8601_parse(const char *s, double *out)
{
    iso_time it;

    if (!s || !out || iso_parse(s, false, &it) != 0)
        return -1;
    *out = (double)it.t + it.frac - it.sign * (it.off_h * 3600.0 + it.off_m * 60.0);
    return 0;
}

int gp_rfc3339_parse(const char *s, int64_t *out_us)
{
    iso_time it;

    if (!s || !out_us || iso_parse(s, true, &it) != 0)
        return -1;
    *out_us = ((int64_t)it.t - it.sign * (int64_t)(it.off_h * 3600 + it.off_m * 60)) * 1000000 +
              it.frac_us;
    return 0;
}

/* Both take the raw type as (pointer, length) so gp_event_parse and gp_event_peek_frame share
 * one definition of aliasing and classification. The alias target is NUL-terminated. */
static const char *canonical_type(const char *raw, size_t *len, const gp_profile *p)
{
    size_t i;

    for (i = 0; p->aliases && i < p->naliases; i++)
        if (p->aliases[i].from && same_name(p->aliases[i].from, raw, *len)) {
            *len = p->aliases[i].to ? strlen(p->aliases[i].to) : 0;
            return p->aliases[i].to;
        }
    return raw;
}

static gp_event_type classify(const char *name, size_t len, const gp_profile *p)
{
    int t;

    if (in_list_n(p->ready_types, p->nready_types, name, len))
        return GP_EV_READY;
    for (t = 0; t < GP_EV_READY; t++)
        if (same_name(gp_event_type_names[t], name, len))
            return (gp_event_type)t;
    if (same_name("error_message", name, len))
        return GP_EV_ERROR_MESSAGE;
    if (in_list_n(p->noise_types, p->nnoise_types, name, len))
        return GP_EV_NOISE;
    return GP_EV_OTHER;
}

int gp_event_parse(const char *text, size_t len, const gp_profile *p, gp_event *ev, gp_err *err)
{
    json_error_t jerr;
    json_t *root, *tv, *ts;
    const char *raw, *name;
    size_t len_name;

    memset(ev, 0, sizeof *ev);
    if (!text || !p || !p->type_key) {
        gp_err_set(err, GP_EXIT_FAILED, NULL, 0, 0, "empty frame");
        return -1;
    }
    /* The fast loader builds jansson's own tree for valid frames. Whether it gives up or finds
     * the frame invalid, jansson then parses it, so errors keep jansson's exact text. */
    root = gp_json_load_fast(text, len, NULL);
    if (!root)
        root = json_loadb(text, len, JSON_DECODE_ANY, &jerr);
    if (!root) {
        gp_err_set(err, GP_EXIT_FAILED, NULL, jerr.line, jerr.column, "invalid JSON at %d:%d: %s",
                   jerr.line, jerr.column, jerr.text);
        return -1;
    }
    if (!json_is_object(root)) {
        json_decref(root);
        gp_err_set(err, GP_EXIT_FAILED, NULL, 0, 0, "frame is not a JSON object");
        return -1;
    }
    tv = json_object_get(root, p->type_key);
    if (!json_is_string(tv) || json_string_length(tv) == 0) {
        json_decref(root);
        gp_err_set(err, GP_EXIT_FAILED, NULL, 0, 0,
                   tv ? "frame's \"%s\" is not a non-empty string" : "frame has no \"%s\"",
                   p->type_key);
        return -1;
    }
    raw = json_string_value(tv);
    ev->root = root;
    ev->body = root;
    if (is_wrapped(root, p))
        raw = json_string_value(json_object_get(root, p->event_key));
    len_name = strlen(raw);
    name = canonical_type(raw, &len_name, p);
    ev->type = classify(name, len_name, p);
    ev->type_name = ev->type < GP_EV_NOISE ? gp_event_type_name(ev->type) : name;
    ev->run_id = string_field(ev, p, p->run_id_key);
    ev->thread_id = string_field(ev, p, p->thread_id_key);
    ev->user_id = string_field(ev, p, p->user_id_key);
    ts = gp_event_field(ev, p, "timestamp");
    if (json_is_number(ts)) {
        ev->has_timestamp = true;
        ev->timestamp = json_number_value(ts);
    } else if (json_is_string(ts) && gp_iso8601_parse(json_string_value(ts), &ev->timestamp) == 0) {
        ev->has_timestamp = true;
    }
    return 0;
}

/* ---- peek: a frame's type and thread id without building a JSON tree ---- */

/* The scanner keeps its whole state on the stack: frames nested deeper than PEEK_MAX_DEPTH,
 * and profiles with more containers than PEEK_MAX_CONTAINERS, are left to gp_event_parse. */
#define PEEK_MAX_DEPTH 32
#define PEEK_MAX_CONTAINERS 4
#define PEEK_MAX_WATCHES                                                                           \
    (3 + 2 * PEEK_MAX_CONTAINERS + 2 * PEEK_MAX_CONTAINERS * PEEK_MAX_CONTAINERS)

enum { PEEK_UNSURE = -1, PEEK_BAD = 0, PEEK_OK = 1 };
enum { VAL_ABSENT, VAL_STRING, VAL_OBJECT, VAL_OTHER };

/* One path whose value the peek needs (type, payload.thread_id, payload.data.thread_id...). The
 * value is overwritten by each occurrence of the path, and cleared when an enclosing key
 * repeats, so what is left is what jansson keeps: the last value of a duplicated key. */
typedef struct peek_watch {
    int kind;
    bool esc;                 /* the raw bytes hold an escape, so they are not the value's bytes */
    const unsigned char *str; /* a string's raw bytes between the quotes */
    size_t slen;
} peek_watch;

/* The names a watched path is made of: type, event and thread id keys, then the containers. */
#define N_TYPE 0
#define N_EVENT 1
#define N_THREAD 2
#define N_C(i) (3 + (i))
#define PEEK_MAX_NAMES (3 + PEEK_MAX_CONTAINERS)

typedef struct peek_scan {
    const unsigned char *s;
    size_t len, pos;
    size_t nc, nw;
    const char *name[PEEK_MAX_NAMES];
    size_t nlen[PEEK_MAX_NAMES];
    /* named[d][n]: the watches whose key at depth d (1 = top level) is name n. A key is
     * compared once per name rather than once per watch. */
    uint64_t named[4][PEEK_MAX_NAMES];
    uint64_t at_depth[4]; /* watches whose path has exactly d keys */
    peek_watch w[PEEK_MAX_WATCHES];
} peek_scan;

/* Watch indices: the three top-level keys, then per container i its presence and its
 * thread id, then (for wrapped frames) container j inside container i and its thread id. */
#define W_TYPE 0
#define W_EVENT 1
#define W_THREAD 2
#define W_C(ps, i) (3 + (i))
#define W_CK(ps, i) (3 + (ps)->nc + (i))
#define W_CC(ps, i, j) (3 + 2 * (ps)->nc + (i) * (ps)->nc + (j))
#define W_CCK(ps, i, j) (3 + 2 * (ps)->nc + (ps)->nc * (ps)->nc + (i) * (ps)->nc + (j))

/* Adds watch i for the path of names n[0..depth-1] (-1: unused); returns its bit for the root's
 * live set, or 0 when a name is missing from the profile and the path can never match. */
static uint64_t watch_add(peek_scan *ps, size_t i, size_t depth, int n0, int n1, int n2)
{
    const int n[3] = {n0, n1, n2};
    size_t d;

    ps->w[i].kind = VAL_ABSENT;
    for (d = 0; d < depth; d++)
        if (n[d] < 0 || !ps->name[n[d]])
            return 0;
    for (d = 0; d < depth; d++)
        ps->named[d + 1][n[d]] |= 1ull << i;
    ps->at_depth[depth] |= 1ull << i;
    return 1ull << i;
}

/* Sets up the watches for profile p; returns the set live at the top level. */
static uint64_t watch_init(peek_scan *ps, const gp_profile *p)
{
    /* Only a wrapper's lookup reaches the event key or a container inside a container. */
    bool wraps = p->event_key && p->nwrapper_types > 0;
    uint64_t live = 0;
    size_t i, j, nc = p->ncontainers;

    ps->nc = nc;
    ps->nw = 3 + 2 * nc + 2 * nc * nc;
    ps->name[N_TYPE] = p->type_key;
    ps->name[N_EVENT] = p->event_key;
    ps->name[N_THREAD] = p->thread_id_key;
    for (i = 0; i < nc; i++)
        ps->name[N_C(i)] = p->containers[i];
    for (i = 0; i < 3 + nc; i++)
        ps->nlen[i] = ps->name[i] ? strlen(ps->name[i]) : 0;
    memset(ps->named, 0, sizeof ps->named);
    memset(ps->at_depth, 0, sizeof ps->at_depth);
    live |= watch_add(ps, W_TYPE, 1, N_TYPE, -1, -1);
    live |= watch_add(ps, W_EVENT, 1, wraps ? N_EVENT : -1, -1, -1);
    live |= watch_add(ps, W_THREAD, 1, N_THREAD, -1, -1);
    for (i = 0; i < nc; i++) {
        int ci = (int)N_C(i), wci = wraps ? ci : -1;

        live |= watch_add(ps, W_C(ps, i), 1, ci, -1, -1);
        live |= watch_add(ps, W_CK(ps, i), 2, ci, N_THREAD, -1);
        for (j = 0; j < nc; j++) {
            live |= watch_add(ps, W_CC(ps, i, j), 2, wci, (int)N_C(j), -1);
            live |= watch_add(ps, W_CCK(ps, i, j), 3, wci, (int)N_C(j), N_THREAD);
        }
    }
    return live;
}

/* The watches in live whose key at this depth (1 = top level, at most 3) is key; their old
 * values go, since a repeated key replaces everything jansson held under it. */
static uint64_t watch_match(peek_scan *ps, uint64_t live, size_t depth, const unsigned char *key,
                            size_t klen)
{
    uint64_t m = 0;
    size_t n, i;

    for (n = 0; n < 3 + ps->nc; n++)
        if ((ps->named[depth][n] & live) && ps->nlen[n] == klen &&
            memcmp(ps->name[n], key, klen) == 0)
            m |= ps->named[depth][n] & live;
    for (i = 0; m >> i; i++)
        if (m >> i & 1)
            ps->w[i].kind = VAL_ABSENT;
    return m;
}

static void watch_set(peek_scan *ps, uint64_t set, int kind, const unsigned char *str, size_t slen,
                      bool esc)
{
    size_t i;

    for (i = 0; set >> i; i++) {
        if (set >> i & 1) {
            ps->w[i].kind = kind;
            ps->w[i].str = str;
            ps->w[i].slen = slen;
            ps->w[i].esc = esc;
        }
    }
}

static int peek_next(peek_scan *ps)
{
    return gp_json_next_byte(ps->s, ps->len, &ps->pos);
}

/* An unexpected byte ends the scan. A NUL is unsure rather than bad: jansson 2.14 drops a NUL
 * right after a number or a literal when it puts its lookahead back, and a later version may
 * not, so the parser decides. */
static int unexpected(int c)
{
    return c == 0 ? PEEK_UNSURE : PEEK_BAD;
}

/* A string from just after its opening quote; on success pos is past the closing quote. The
 * fast loader's scanner: it refuses exactly what jansson refuses. */
static int scan_string(peek_scan *ps, bool *esc)
{
    return gp_json_scan_string(ps->s, ps->len, &ps->pos, esc) ? PEEK_OK : PEEK_BAD;
}

/* A number per the JSON grammar, with jansson's range checks: an integer must fit json_int_t
 * (strtoll's ERANGE is an error), a real must not overflow to infinity (underflow is fine).
 * A real within a factor of ten of DBL_MAX is unsure. */
static int scan_number(peek_scan *ps)
{
    const unsigned char *s = ps->s;
    gp_json_number num;
    size_t int0, nint, frac0, nfrac, lead = 0;
    long long e10;

    if (!gp_json_scan_number(s, ps->len, &ps->pos, &num))
        return PEEK_BAD;
    int0 = num.int0;
    nint = num.nint;
    frac0 = num.frac0;
    nfrac = num.nfrac;
    if (!num.real) {
        if (sizeof(json_int_t) != 8)
            return nint < 10 ? PEEK_OK : PEEK_UNSURE;
        if (nint != 19)
            return nint < 19 ? PEEK_OK : PEEK_BAD;
        return memcmp(s + int0, num.neg ? "9223372036854775808" : "9223372036854775807", 19) > 0
                   ? PEEK_BAD
                   : PEEK_OK;
    }
    /* The value lies in [10^e10, 10^(e10+1)) where e10 is the power of its first nonzero
     * digit; DBL_MAX is about 1.8e308. */
    if (s[int0] != '0') {
        e10 = (long long)nint - 1;
    } else {
        while (lead < nfrac && s[frac0 + lead] == '0')
            lead++;
        if (lead == nfrac)
            return PEEK_OK; /* zero */
        e10 = -(long long)lead - 1;
    }
    e10 += num.eneg ? -num.exp : num.exp;
    return e10 <= 307 ? PEEK_OK : e10 >= 309 ? PEEK_BAD : PEEK_UNSURE;
}

/* jansson reads a whole run of letters before it compares it with the three literals. */
static int scan_literal(peek_scan *ps)
{
    const unsigned char *s = ps->s + ps->pos;
    size_t i = 0, n = ps->len - ps->pos;

    while (i < n && ((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z')))
        i++;
    ps->pos += i;
    if ((i == 4 && memcmp(s, "true", 4) == 0) || (i == 5 && memcmp(s, "false", 5) == 0) ||
        (i == 4 && memcmp(s, "null", 4) == 0))
        return PEEK_OK;
    return PEEK_BAD;
}

/* Validates the whole frame as jansson would (the caller has seen its first byte is '{') and
 * records the watched values. Iterative, with an explicit stack of open containers. */
static int scan_frame(peek_scan *ps, uint64_t root_live)
{
    struct {
        bool obj;
        uint64_t live; /* watches that may match a key of this object */
    } st[PEEK_MAX_DEPTH];
    enum { KEY_OR_END, KEY, VALUE_OR_END, VALUE, AFTER } state = KEY_OR_END;
    uint64_t vset = 0, child = 0; /* watches the next value sets, and those live inside it */
    size_t top = 1;
    int c, r;

    st[0].obj = true;
    st[0].live = root_live;
    ps->pos++;
    for (;;) {
        c = peek_next(ps);
        if (state == AFTER) {
            if (top == 0)
                return c < 0 ? PEEK_OK : unexpected(c);
            if (c == (st[top - 1].obj ? '}' : ']')) {
                ps->pos++;
                top--;
            } else if (c == ',') {
                ps->pos++;
                state = st[top - 1].obj ? KEY : VALUE;
            } else {
                return unexpected(c);
            }
        } else if (state == KEY_OR_END || state == KEY) {
            size_t k0;
            bool esc;

            if (state == KEY_OR_END && c == '}') {
                ps->pos++;
                top--;
                state = AFTER;
                continue;
            }
            if (c != '"')
                return unexpected(c);
            k0 = ++ps->pos;
            if ((r = scan_string(ps, &esc)) != PEEK_OK)
                return r;
            vset = child = 0;
            /* Watches are at most three keys deep, so nothing is live below that. */
            if (st[top - 1].live && top <= 3) {
                uint64_t m;

                /* An escaped key may spell a watched one; only the parser can tell. */
                if (esc)
                    return PEEK_UNSURE;
                m = watch_match(ps, st[top - 1].live, top, ps->s + k0, ps->pos - 1 - k0);
                vset = m & ps->at_depth[top];
                child = m & ~vset;
            }
            if ((c = peek_next(ps)) != ':')
                return unexpected(c);
            ps->pos++;
            state = VALUE;
        } else {
            if (state == VALUE_OR_END && c == ']') {
                ps->pos++;
                top--;
                state = AFTER;
                continue;
            }
            if (c == '{' || c == '[') {
                if (top == PEEK_MAX_DEPTH)
                    return PEEK_UNSURE;
                watch_set(ps, vset, c == '{' ? VAL_OBJECT : VAL_OTHER, NULL, 0, false);
                st[top].obj = c == '{';
                st[top].live = c == '{' ? child : 0;
                top++;
                ps->pos++;
                state = c == '{' ? KEY_OR_END : VALUE_OR_END;
                vset = child = 0;
                continue;
            }
            if (c == '"') {
                size_t s0 = ++ps->pos;
                bool esc;

                if ((r = scan_string(ps, &esc)) != PEEK_OK)
                    return r;
                watch_set(ps, vset, VAL_STRING, ps->s + s0, ps->pos - 1 - s0, esc);
            } else if (c == '-' || (c >= '0' && c <= '9')) {
                if ((r = scan_number(ps)) != PEEK_OK)
                    return r;
                watch_set(ps, vset, VAL_OTHER, NULL, 0, false);
            } else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) {
                if ((r = scan_literal(ps)) != PEEK_OK)
                    return r;
                watch_set(ps, vset, VAL_OTHER, NULL, 0, false);
            } else {
                return unexpected(c);
            }
            vset = child = 0;
            state = AFTER;
        }
    }
}

/* gp_event_field's order for the thread id: the top level, each container, and for a wrapped
 * frame each container's containers. The first key present wins, whatever its value. */
static const peek_watch *peek_thread(const peek_scan *ps, bool wrapped)
{
    size_t i, j;

    if (ps->w[W_THREAD].kind != VAL_ABSENT)
        return &ps->w[W_THREAD];
    for (i = 0; i < ps->nc; i++)
        if (ps->w[W_C(ps, i)].kind == VAL_OBJECT && ps->w[W_CK(ps, i)].kind != VAL_ABSENT)
            return &ps->w[W_CK(ps, i)];
    for (i = 0; wrapped && i < ps->nc; i++) {
        if (ps->w[W_C(ps, i)].kind != VAL_OBJECT)
            continue;
        for (j = 0; j < ps->nc; j++)
            if (ps->w[W_CC(ps, i, j)].kind == VAL_OBJECT &&
                ps->w[W_CCK(ps, i, j)].kind != VAL_ABSENT)
                return &ps->w[W_CCK(ps, i, j)];
    }
    return NULL;
}

int gp_event_peek_frame(const char *text, size_t len, const gp_profile *p, gp_event_peek *pk,
                        char *buf, size_t size)
{
    peek_scan ps;
    const peek_watch *tw, *ew, *kw;
    const char *name;
    size_t nlen;
    bool wrapped;
    int r;

    if (!pk)
        return -1;
    pk->type = GP_EV_OTHER;
    pk->thread_id = NULL;
    if (!text || !p || !p->type_key)
        return 0;
    ps.s = (const unsigned char *)text;
    ps.len = len;
    ps.pos = 0;
    /* Whatever follows, a frame that does not open with '{' is not an object. */
    if (peek_next(&ps) != '{')
        return 0;
    if (p->ncontainers > PEEK_MAX_CONTAINERS)
        return -1;
    if ((r = scan_frame(&ps, watch_init(&ps, p))) != PEEK_OK)
        return r;

    tw = &ps.w[W_TYPE];
    ew = &ps.w[W_EVENT];
    if (tw->kind != VAL_STRING || tw->slen == 0)
        return 0;
    if (tw->esc)
        return -1;
    wrapped = ew->kind == VAL_STRING &&
              in_list_n(p->wrapper_types, p->nwrapper_types, (const char *)tw->str, tw->slen);
    if (wrapped)
        tw = ew;
    if (tw->esc)
        return -1;
    nlen = tw->slen;
    name = canonical_type((const char *)tw->str, &nlen, p);
    if (!name)
        return -1; /* an alias without a target: gp_event_parse has nothing to classify */
    pk->type = classify(name, nlen, p);

    kw = peek_thread(&ps, wrapped);
    if (kw && kw->kind == VAL_STRING) {
        if (kw->esc || !buf || kw->slen >= size) {
            pk->type = GP_EV_OTHER;
            return -1;
        }
        memcpy(buf, kw->str, kw->slen);
        buf[kw->slen] = '\0';
        pk->thread_id = buf;
    }
    return 1;
}
