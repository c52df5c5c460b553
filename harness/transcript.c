/* transcript.c - the per-user record of frames and markers, and its JSON form (with the
 * harness's health beside it, when it was measured). */
#include "transcript.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

static const char *const kind_names[] = {
    [GP_FR_SENT] = "sent",
    [GP_FR_RECV_TEXT] = "recv",
    [GP_FR_RECV_BINARY] = "binary",
    [GP_FR_OVERSIZE] = "oversize",
    [GP_FR_CONNECT] = "connect",
    [GP_FR_CONNECTED] = "connected",
    [GP_FR_CONN_ERROR] = "conn_error",
    [GP_FR_CLOSED] = "closed",
    [GP_FR_TIMEOUT] = "timeout",
    [GP_FR_RUN_BEGIN] = "run_begin",
    [GP_FR_RUN_END] = "run_end",
    [GP_FR_EXPECT_OK] = "expect_ok",
    [GP_FR_EXPECT_FAIL] = "expect_fail",
    [GP_FR_PING_SENT] = "ping",
    [GP_FR_PONG] = "pong",
    [GP_FR_NOTE] = "note",
};

const char *gp_frame_kind_name(gp_frame_kind kind)
{
    if ((size_t)kind < sizeof kind_names / sizeof kind_names[0] && kind_names[kind])
        return kind_names[kind];
    return "unknown";
}

static int kind_from_name(const char *s)
{
    size_t i;

    for (i = 0; i < sizeof kind_names / sizeof kind_names[0]; i++)
        if (kind_names[i] && strcmp(kind_names[i], s) == 0)
            return (int)i;
    return -1;
}

gp_transcript *gp_transcript_new(size_t user_index, const char *user_id, const char *nonce)
{
    gp_transcript *t = gp_calloc(1, sizeof *t);

    t->user_index = user_index;
    t->user_id = gp_strdup(user_id ? user_id : "");
    t->nonce = gp_strdup(nonce ? nonce : "");
    t->max_frames = GP_TRANSCRIPT_DEFAULT_MAX_FRAMES;
    t->max_bytes = GP_TRANSCRIPT_DEFAULT_MAX_BYTES;
    return t;
}

void gp_transcript_free(gp_transcript *t)
{
    size_t i;

    if (!t)
        return;
    for (i = 0; i < t->nframes; i++)
        free(t->frames[i].data);
    free(t->frames);
    free(t->user_id);
    free(t->nonce);
    free(t);
}

size_t gp_transcript_budget(size_t total_users)
{
    size_t b = GP_TRANSCRIPTS_RUN_MAX_BYTES / (total_users ? total_users : 1);

    return b < GP_TRANSCRIPT_USER_MAX_BYTES ? b : GP_TRANSCRIPT_USER_MAX_BYTES;
}

/* What the server sent obeys the bound; the runner's own records may go a little past it, so
 * that the verdict on a flooded user (a failed expect, the close) is still kept. */
static bool from_server(gp_frame_kind kind)
{
    return kind == GP_FR_RECV_TEXT || kind == GP_FR_RECV_BINARY || kind == GP_FR_OVERSIZE ||
           kind == GP_FR_PONG;
}

static bool fits(const gp_transcript *t, gp_frame_kind kind, size_t len)
{
    bool server = from_server(kind);
    size_t max_frames = t->max_frames + (server ? 0 : GP_TRANSCRIPT_MARKER_FRAMES);
    size_t max_bytes = t->max_bytes + (server ? 0 : GP_TRANSCRIPT_MARKER_BYTES);
    size_t cost = len + t->frame_cost;

    return t->nframes < max_frames && cost >= len && cost <= max_bytes &&
           t->bytes <= max_bytes - cost;
}

size_t gp_transcript_room(const gp_transcript *t)
{
    if (t->nframes >= t->max_frames || t->bytes + t->frame_cost >= t->max_bytes)
        return 0;
    return t->max_bytes - t->bytes - t->frame_cost;
}

void gp_transcript_drop(gp_transcript *t)
{
    t->dropped++;
}

size_t gp_transcript_add_owned(gp_transcript *t, gp_frame_kind kind, int64_t t_us, int code,
                               char *data, size_t len)
{
    gp_frame *f;

    if (!fits(t, kind, data ? len : 0)) {
        free(data);
        t->dropped++;
        return (size_t)-1;
    }
    if (t->nframes == t->cap) {
        t->cap = t->cap ? t->cap * 2 : 16; /* a golden-path user records about 13 */
        t->frames = gp_realloc(t->frames, t->cap * sizeof *t->frames);
    }
    f = &t->frames[t->nframes];
    f->kind = kind;
    f->t_us = t_us;
    f->code = code;
    f->data = data;
    f->len = len;
    t->bytes += (data ? len : 0) + t->frame_cost;
    return t->nframes++;
}

size_t gp_transcript_add(gp_transcript *t, gp_frame_kind kind, int64_t t_us, int code,
                         const char *data, size_t len)
{
    if (!fits(t, kind, data ? len : 0)) {
        t->dropped++;
        return (size_t)-1;
    }
    return gp_transcript_add_owned(t, kind, t_us, code, data ? gp_strndup(data, len) : NULL, len);
}

/* A frame's data as JSON: "data" when it is valid UTF-8 without NUL bytes, else "data_hex"
 * (JSON strings cannot hold the bytes), so offline judging sees exactly what the run saw. */
static void data_to_json(json_t *o, const char *data, size_t len)
{
    static const char hex[] = "0123456789abcdef";
    json_t *s = memchr(data, '\0', len) ? NULL : json_stringn(data, len);
    char *h;
    size_t i;

    if (s) {
        json_object_set_new(o, "data", s);
        return;
    }
    h = gp_malloc(2 * len + 1);
    for (i = 0; i < len; i++) {
        h[2 * i] = hex[(unsigned char)data[i] >> 4];
        h[2 * i + 1] = hex[(unsigned char)data[i] & 15];
    }
    h[2 * len] = '\0';
    json_object_set_new(o, "data_hex", json_stringn(h, 2 * len));
    free(h);
}

static int hex_val(char c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Decodes "data_hex" into a new buffer (NUL-terminated) and its length. Returns NULL when it
 * is not an even run of lowercase hex digits. */
static char *data_from_hex(const char *h, size_t hlen, size_t *len)
{
    char *d;
    size_t i;

    if (hlen % 2)
        return NULL;
    d = gp_malloc(hlen / 2 + 1);
    for (i = 0; i < hlen / 2; i++) {
        int a = hex_val(h[2 * i]), b = hex_val(h[2 * i + 1]);

        if (a < 0 || b < 0) {
            free(d);
            return NULL;
        }
        d[i] = (char)(a << 4 | b);
    }
    d[hlen / 2] = '\0';
    *len = hlen / 2;
    return d;
}

/* A host name a report can print as one word: printable ASCII without spaces. */
static bool host_ok(const char *h)
{
    for (; *h; h++)
        if (*h <= ' ' || *h > '~')
            return false;
    return true;
}

static json_t *health_json(const gp_health *h)
{
    json_t *stalls = json_array();
    size_t i;

    for (i = 0; i < h->nstalls; i++)
        json_array_append_new(stalls, json_pack("{s:I,s:I,s:I}", "from_us",
                                                (json_int_t)h->stalls[i].from_us, "to_us",
                                                (json_int_t)h->stalls[i].to_us, "lag_us",
                                                (json_int_t)h->stalls[i].lag_us));
    return json_pack("{s:I,s:I,s:I,s:I,s:f,s:f,s:f,s:o}", "workers", (json_int_t)h->workers,
                     "lag_p50_us", (json_int_t)h->lag_p50_us, "lag_p99_us",
                     (json_int_t)h->lag_p99_us, "lag_max_us", (json_int_t)h->lag_max_us,
                     "cpu_user_s", h->cpu_user_s, "cpu_sys_s", h->cpu_sys_s, "cpu_busy",
                     h->cpu_busy, "stalls", stalls);
}

/* A time of the harness object: an integer a run can produce, as for frames' t_us. */
static bool health_time(json_t *o, const char *key, int64_t *out)
{
    json_t *v = json_object_get(o, key);

    if (!json_is_integer(v) || json_integer_value(v) < 0 ||
        json_integer_value(v) > ((json_int_t)1 << 53))
        return false;
    *out = (int64_t)json_integer_value(v);
    return true;
}

static int cmp_stall(const void *a, const void *b)
{
    const gp_stall *x = a, *y = b;

    return x->from_us < y->from_us ? -1 : x->from_us > y->from_us;
}

/* Reads "harness" into h. Returns 0, or -1 with err naming what is wrong. */
static int health_from_json(json_t *hj, const char *path, gp_health *h, gp_err *err)
{
    json_t *stalls = json_object_get(hj, "stalls"), *st;
    gp_stall *v = NULL;
    size_t i, n;
    int64_t workers = 1;

    if (!json_is_object(hj) || !json_is_array(stalls) ||
        (json_object_get(hj, "workers") && !health_time(hj, "workers", &workers)) ||
        !health_time(hj, "lag_p50_us", &h->lag_p50_us) ||
        !health_time(hj, "lag_p99_us", &h->lag_p99_us) ||
        !health_time(hj, "lag_max_us", &h->lag_max_us)) {
        gp_err_set(err, GP_EXIT_USAGE, path, 0, 0,
                   "\"harness\": lag_p50_us, lag_p99_us, lag_max_us and a \"stalls\" array are "
                   "required, as non-negative integers");
        return -1;
    }
    h->measured = true;
    h->workers = workers > 0 && workers < 1000000 ? (unsigned)workers : 1;
    h->cpu_user_s = json_number_value(json_object_get(hj, "cpu_user_s"));
    h->cpu_sys_s = json_number_value(json_object_get(hj, "cpu_sys_s"));
    h->cpu_busy = json_number_value(json_object_get(hj, "cpu_busy"));
    n = json_array_size(stalls);
    v = gp_calloc(n ? n : 1, sizeof *v);
    json_array_foreach(stalls, i, st)
    {
        if (!health_time(st, "from_us", &v[i].from_us) || !health_time(st, "to_us", &v[i].to_us) ||
            !health_time(st, "lag_us", &v[i].lag_us) || v[i].to_us < v[i].from_us) {
            gp_err_set(err, GP_EXIT_USAGE, path, 0, 0,
                       "\"harness\": stall %zu needs integers from_us <= to_us and lag_us", i);
            free(v);
            return -1;
        }
    }
    /* The judge's binary search needs the windows sorted; a hand-written file may not be. */
    qsort(v, n, sizeof *v, cmp_stall);
    for (i = 0; i < n; i++)
        gp_health_add_stall(h, v[i].from_us, v[i].to_us, v[i].lag_us);
    free(v);
    return 0;
}

int gp_transcripts_save(const char *path, gp_transcript *const *ts, size_t count, gp_err *err)
{
    return gp_transcripts_save_health(path, ts, count, NULL, err);
}

int gp_transcripts_save_health(const char *path, gp_transcript *const *ts, size_t count,
                               const gp_health *health, gp_err *err)
{
    return gp_transcripts_save_origin(path, ts, count, health, NULL, err);
}

int gp_transcripts_save_origin(const char *path, gp_transcript *const *ts, size_t count,
                               const gp_health *health, const gp_run_origin *origin, gp_err *err)
{
    json_t *root = json_object(), *users = json_array();
    size_t i, j;
    int rc;
    gp_afile af;

    /* Only what the loader takes back: a host it would refuse is left out, not the file. */
    if (origin && (origin->host[0] || origin->started_wall_us)) {
        json_t *o = json_object();

        if (origin->host[0] && host_ok(origin->host))
            json_object_set_new(o, "host", json_string(origin->host));
        if (origin->started_wall_us)
            json_object_set_new(o, "started_at_us", json_integer(origin->started_wall_us));
        json_object_set_new(root, "run", o);
    }
    if (health && health->measured)
        json_object_set_new(root, "harness", health_json(health));
    json_object_set_new(root, "users", users);
    for (i = 0; i < count; i++) {
        const gp_transcript *t = ts[i];
        json_t *u = json_object(), *frames = json_array();

        json_object_set_new(u, "index", json_integer((json_int_t)t->user_index));
        json_object_set_new(u, "user_id", json_string(t->user_id));
        json_object_set_new(u, "nonce", json_string(t->nonce));
        if (t->iteration)
            json_object_set_new(u, "iteration", json_integer((json_int_t)t->iteration));
        for (j = 0; j < t->nframes; j++) {
            const gp_frame *f = &t->frames[j];
            json_t *o = json_object();

            json_object_set_new(o, "kind", json_string(gp_frame_kind_name(f->kind)));
            json_object_set_new(o, "t_us", json_integer(f->t_us));
            json_object_set_new(o, "code", json_integer(f->code));
            if (f->data)
                data_to_json(o, f->data, f->len);
            json_object_set_new(o, "len", json_integer((json_int_t)f->len));
            json_array_append_new(frames, o);
        }
        json_object_set_new(u, "frames", frames);
        json_array_append_new(users, u);
    }
    /* Atomic: a failed or interrupted save never leaves half a file where a good one was. */
    if (gp_afile_open(&af, path, err) != 0) {
        json_decref(root);
        return -1;
    }
    rc = json_dumpf(root, af.f, JSON_INDENT(1));
    json_decref(root);
    if (rc != 0) {
        gp_err_set(err, GP_EXIT_INTERNAL, path, 0, 0, "cannot write transcripts");
        gp_afile_abort(&af);
        return -1;
    }
    return gp_afile_commit(&af, err);
}

int gp_transcripts_load(const char *path, gp_transcript ***out, size_t *count, gp_err *err)
{
    gp_health h;
    int rc = gp_transcripts_load_health(path, out, count, &h, err);

    gp_health_cleanup(&h);
    return rc;
}

/* 9999-12-31T23:59:59Z in µs: the last instant a report's four-digit years can write. */
#define ORIGIN_AT_MAX (253402300799LL * 1000000)

/* Reads "run" into o. Returns 0, or -1 with err naming what is wrong. */
static int origin_from_json(json_t *rj, const char *path, gp_run_origin *o, gp_err *err)
{
    json_t *host = json_object_get(rj, "host"), *at = json_object_get(rj, "started_at_us");
    const char *h = json_string_value(host);

    if (!json_is_object(rj) || (host && (!h || !h[0] || strlen(h) >= sizeof o->host)) ||
        (at && (!json_is_integer(at) || json_integer_value(at) < 0 ||
                json_integer_value(at) > ORIGIN_AT_MAX))) {
        gp_err_set(err, GP_EXIT_USAGE, path, 0, 0,
                   "\"run\": \"host\" must be a name of 1 to %zu characters and "
                   "\"started_at_us\" an integer from 0 to %lld",
                   sizeof o->host - 1, (long long)ORIGIN_AT_MAX);
        return -1;
    }
    if (h && !host_ok(h)) {
        gp_err_set(err, GP_EXIT_USAGE, path, 0, 0,
                   "\"run\": \"host\" must be printable ASCII without spaces");
        return -1;
    }
    snprintf(o->host, sizeof o->host, "%s", h ? h : "");
    o->started_wall_us = at ? (int64_t)json_integer_value(at) : 0;
    return 0;
}

int gp_transcripts_load_health(const char *path, gp_transcript ***out, size_t *count,
                               gp_health *health, gp_err *err)
{
    return gp_transcripts_load_origin(path, out, count, health, NULL, err);
}

int gp_transcripts_load_origin(const char *path, gp_transcript ***out, size_t *count,
                               gp_health *health, gp_run_origin *origin, gp_err *err)
{
    json_error_t jerr;
    json_t *root, *users;
    gp_transcript **ts = NULL;
    size_t i, j, n = 0;

    memset(health, 0, sizeof *health);
    if (origin)
        memset(origin, 0, sizeof *origin);
    root = json_load_file(path, 0, &jerr);
    if (!root) {
        gp_err_set(err, GP_EXIT_USAGE, path, jerr.line, jerr.column, "%s", jerr.text);
        return -1;
    }
    users = json_object_get(root, "users");
    if (!json_is_array(users)) {
        gp_err_set(err, GP_EXIT_USAGE, path, 0, 0, "no \"users\" array");
        json_decref(root);
        return -1;
    }
    if (origin) {
        if (json_object_get(root, "run") &&
            origin_from_json(json_object_get(root, "run"), path, origin, err) != 0) {
            json_decref(root);
            return -1;
        }
    }
    if (json_object_get(root, "harness") &&
        health_from_json(json_object_get(root, "harness"), path, health, err) != 0) {
        gp_health_cleanup(health);
        json_decref(root);
        return -1;
    }
    n = json_array_size(users);
    ts = gp_calloc(n, sizeof *ts);
    for (i = 0; i < n; i++) {
        json_t *u = json_array_get(users, i), *frames = json_object_get(u, "frames");

        ts[i] = gp_transcript_new((size_t)json_integer_value(json_object_get(u, "index")),
                                  json_string_value(json_object_get(u, "user_id")),
                                  json_string_value(json_object_get(u, "nonce")));
        {
            json_int_t it = json_integer_value(json_object_get(u, "iteration"));

            ts[i]->iteration = it > 0 && it <= 0x7fffffff ? (unsigned)it : 0;
        }
        for (j = 0; j < json_array_size(frames); j++) {
            json_t *f = json_array_get(frames, j), *d = json_object_get(f, "data"),
                   *dh = json_object_get(f, "data_hex");
            int kind = kind_from_name(json_string_value(json_object_get(f, "kind")) ?: "");

            if (kind < 0) {
                gp_err_set(err, GP_EXIT_USAGE, path, 0, 0, "user %zu frame %zu: unknown kind", i,
                           j);
                goto fail;
            }
            /* Times and codes feed arithmetic in the judge: refuse what no run can produce. */
            if (!json_is_integer(json_object_get(f, "t_us")) ||
                json_integer_value(json_object_get(f, "t_us")) < 0 ||
                json_integer_value(json_object_get(f, "t_us")) > ((json_int_t)1 << 53) ||
                json_integer_value(json_object_get(f, "code")) < INT32_MIN ||
                json_integer_value(json_object_get(f, "code")) > INT32_MAX ||
                json_integer_value(json_object_get(f, "len")) < 0) {
                gp_err_set(err, GP_EXIT_USAGE, path, 0, 0,
                           "user %zu frame %zu: t_us, code or len out of range", i, j);
                goto fail;
            }
            if (!d && json_is_string(dh)) {
                size_t dlen;
                char *raw = data_from_hex(json_string_value(dh), json_string_length(dh), &dlen);

                if (!raw) {
                    gp_err_set(err, GP_EXIT_USAGE, path, 0, 0,
                               "user %zu frame %zu: data_hex is not hexadecimal", i, j);
                    goto fail;
                }
                gp_transcript_add_owned(
                    ts[i], (gp_frame_kind)kind, json_integer_value(json_object_get(f, "t_us")),
                    (int)json_integer_value(json_object_get(f, "code")), raw, dlen);
                continue;
            }
            gp_transcript_add(
                ts[i], (gp_frame_kind)kind, json_integer_value(json_object_get(f, "t_us")),
                (int)json_integer_value(json_object_get(f, "code")),
                d ? json_string_value(d) : NULL,
                d ? json_string_length(d) : (size_t)json_integer_value(json_object_get(f, "len")));
        }
    }
    json_decref(root);
    *out = ts;
    *count = n;
    return 0;
fail:
    for (j = 0; j <= i && j < n; j++)
        gp_transcript_free(ts[j]);
    free(ts);
    json_decref(root);
    gp_health_cleanup(health);
    return -1;
}

int gp_transcript_cmp_user_iteration(const void *a, const void *b)
{
    const gp_transcript *x = *(const gp_transcript *const *)a;
    const gp_transcript *y = *(const gp_transcript *const *)b;

    if (x->user_index != y->user_index)
        return x->user_index < y->user_index ? -1 : 1;
    return x->iteration < y->iteration ? -1 : x->iteration > y->iteration;
}
