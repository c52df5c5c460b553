/* event.c - parses a received text frame into a typed agent event under a protocol profile:
 * unwraps wrapper frames, applies type aliases, classifies noise and ready frames, and finds the
 * id fields wherever the profile says they may live. It judges nothing; judge.c does. */
#define _DEFAULT_SOURCE /* timegm */
#include "event.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *const type_names[GP_EV__COUNT] = {
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
    return (unsigned)t < GP_EV__COUNT ? type_names[t] : "other";
}

int gp_event_type_from_name(const char *name)
{
    int i;

    if (!name)
        return -1;
    for (i = 0; i < GP_EV__COUNT; i++)
        if (strcmp(type_names[i], name) == 0)
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

static bool in_list(char *const *v, size_t n, const char *s)
{
    size_t i;

    for (i = 0; v && i < n; i++)
        if (v[i] && strcmp(v[i], s) == 0)
            return true;
    return false;
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

int gp_iso8601_parse(const char *s, double *out)
{
    int year, mon, day, hour = 0, min = 0, sec = 0, off_h = 0, off_m = 0, sign = 0;
    double frac = 0;
    struct tm tm;
    time_t t;

    if (!s || !out)
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
            if (*s == '.' || *s == ',') {
                double scale = 0.1;

                s++;
                if (!isdigit((unsigned char)*s))
                    return -1;
                while (isdigit((unsigned char)*s)) {
                    frac += (*s++ - '0') * scale;
                    scale /= 10;
                }
            }
        }
        if (*s == 'Z' || *s == 'z') {
            s++;
        } else if (*s == '+' || *s == '-') {
            sign = *s++ == '-' ? -1 : 1;
            if (digits(&s, 2, &off_h))
                return -1;
            if (*s == ':')
                s++;
            if (*s && digits(&s, 2, &off_m))
                return -1;
        }
    }
    if (*s)
        return -1;
    /* Leap second 60 is allowed; timegm normalises it into the next minute. */
    if (mon < 1 || mon > 12 || day < 1 || day > 31 || hour > 23 || min > 59 || sec > 60 ||
        off_h > 23 || off_m > 59)
        return -1;
    memset(&tm, 0, sizeof tm);
    tm.tm_year = year - 1900;
    tm.tm_mon = mon - 1;
    tm.tm_mday = day;
    tm.tm_hour = hour;
    tm.tm_min = min;
    tm.tm_sec = sec;
    t = timegm(&tm);
    if (t == (time_t)-1 && !(year == 1969 && mon == 12 && day == 31))
        return -1;
    /* timegm silently rolls 31 February into March; a real timestamp never does that. */
    if (tm.tm_mday != day || tm.tm_mon != mon - 1)
        return -1;
    *out = (double)t + frac - sign * (off_h * 3600.0 + off_m * 60.0);
    return 0;
}

static const char *canonical_type(const char *raw, const gp_profile *p)
{
    size_t i;

    for (i = 0; p->aliases && i < p->naliases; i++)
        if (p->aliases[i].from && strcmp(p->aliases[i].from, raw) == 0)
            return p->aliases[i].to;
    return raw;
}

static gp_event_type classify(const char *name, const gp_profile *p)
{
    int t;

    if (in_list(p->ready_types, p->nready_types, name))
        return GP_EV_READY;
    t = gp_event_type_from_name(name);
    if (t >= 0 && t < GP_EV_READY)
        return (gp_event_type)t;
    if (strcmp(name, "error_message") == 0)
        return GP_EV_ERROR_MESSAGE;
    if (in_list(p->noise_types, p->nnoise_types, name))
        return GP_EV_NOISE;
    return GP_EV_OTHER;
}

int gp_event_parse(const char *text, size_t len, const gp_profile *p, gp_event *ev, gp_err *err)
{
    json_error_t jerr;
    json_t *root, *tv, *ts;
    const char *raw, *name;

    memset(ev, 0, sizeof *ev);
    if (!text || !p || !p->type_key) {
        gp_err_set(err, GP_EXIT_FAILED, NULL, 0, 0, "empty frame");
        return -1;
    }
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
    name = canonical_type(raw, p);
    ev->type = classify(name, p);
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
