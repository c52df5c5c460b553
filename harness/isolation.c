/* isolation.c - the isolation digest a shard's judge fills and its JSON report carries. Per
 * user work is bounded by the GP_ISO_MAX_* caps, whatever the number of users. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "isolation.h"

gp_iso *gp_iso_new(gp_transcript *const *ts, size_t n)
{
    gp_iso *iso = gp_calloc(1, sizeof *iso);
    size_t i;

    iso->users = json_array();
    for (i = 0; i < n; i++) {
        const gp_transcript *t = ts[i];

        json_array_append_new(iso->users,
                              json_pack("{s:I,s:s?,s:s?,s:[],s:[],s:[],s:[],s:[],s:b,s:b}", "index",
                                        (json_int_t)(t ? t->user_index : i), "id",
                                        t ? t->user_id : NULL, "nonce", t ? t->nonce : NULL,
                                        "threads", "started", "unattributed", "nonce_tokens",
                                        "runs", "leak_outside", 0, "truncated", 0));
    }
    return iso;
}

void gp_iso_free(gp_iso *iso)
{
    if (!iso)
        return;
    json_decref(iso->users);
    free(iso);
}

/* The user's array named key, or NULL when it is full (the user is then marked truncated). */
static json_t *slot(gp_iso *iso, size_t u, const char *key, size_t max)
{
    json_t *o = json_array_get(iso ? iso->users : NULL, u), *a = json_object_get(o, key);

    if (!a)
        return NULL;
    if (json_array_size(a) >= max) {
        json_object_set_new(o, "truncated", json_true());
        return NULL;
    }
    return a;
}

static bool has_string(const json_t *a, const char *s)
{
    size_t i;
    json_t *v;

    json_array_foreach(a, i, v) if (json_is_string(v) &&
                                    strcmp(json_string_value(v), s) == 0) return true;
    return false;
}

void gp_iso_thread(gp_iso *iso, size_t u, const char *thread_id)
{
    json_t *a;

    if (!iso || !thread_id ||
        has_string(json_object_get(json_array_get(iso->users, u), "threads"), thread_id))
        return;
    if ((a = slot(iso, u, "threads", GP_ISO_MAX_THREADS)))
        json_array_append_new(a, json_string(thread_id));
}

void gp_iso_started(gp_iso *iso, size_t u, const char *run_id, const char *thread_id, bool own_user)
{
    json_t *a, *e;
    size_t i;

    if (!iso || !run_id)
        return;
    json_array_foreach(json_object_get(json_array_get(iso->users, u), "started"), i, e)
    {
        const char *r = json_string_value(json_array_get(e, 0)),
                   *t = json_string_value(json_array_get(e, 1));

        if (r && strcmp(r, run_id) == 0 &&
            ((!t && !thread_id) || (t && thread_id && strcmp(t, thread_id) == 0)))
            return;
    }
    if ((a = slot(iso, u, "started", GP_ISO_MAX_STARTED)))
        json_array_append_new(a, json_pack("[s,s?,b]", run_id, thread_id, own_user));
}

static bool same(const char *a, const json_t *b)
{
    return a ? json_is_string(b) && strcmp(a, json_string_value(b)) == 0 : json_is_null(b);
}

void gp_iso_unattributed(gp_iso *iso, size_t u, size_t frame, int run, int step, const char *type,
                         const char *run_id, const char *thread_id, const char *user_id)
{
    json_t *a, *e;
    size_t i;

    if (!iso)
        return;
    /* One entry per distinct foreign identity: the first frame is the evidence. */
    json_array_foreach(json_object_get(json_array_get(iso->users, u), "unattributed"), i, e)
    {
        if (same(run_id, json_object_get(e, "run_id")) &&
            same(thread_id, json_object_get(e, "thread_id")) &&
            same(user_id, json_object_get(e, "user_id")))
            return;
    }
    if ((a = slot(iso, u, "unattributed", GP_ISO_MAX_UNATTRIBUTED)))
        json_array_append_new(a, json_pack("{s:I,s:i,s:i,s:s?,s:s?,s:s?,s:s?}", "frame",
                                           (json_int_t)frame, "run", run, "step", step, "type",
                                           type, "run_id", run_id, "thread_id", thread_id,
                                           "user_id", user_id));
}

bool gp_iso_held(gp_iso *iso, size_t u, const char *run_id, const char *thread_id,
                 const char *user_id)
{
    json_t *e;
    size_t i;

    if (!iso)
        return false;
    json_array_foreach(json_object_get(json_array_get(iso->users, u), "unattributed"), i, e)
    {
        if (same(run_id, json_object_get(e, "run_id")) &&
            same(thread_id, json_object_get(e, "thread_id")) &&
            same(user_id, json_object_get(e, "user_id"))) {
            json_object_set_new(e, "held", json_true());
            return true;
        }
    }
    return false;
}

void gp_iso_tokens(gp_iso *iso, size_t u, size_t frame, int run, int step, const char *data,
                   size_t len, const char *own_nonce)
{
    size_t want = own_nonce ? strlen(own_nonce) : 0, i = 0, j, k;
    json_t *a, *e;

    if (!iso || !data || want < 8)
        return;
    while (i < len) {
        if (!isxdigit((unsigned char)data[i])) {
            i++;
            continue;
        }
        for (j = i; j < len && isxdigit((unsigned char)data[j]); j++)
            ;
        if (j - i == want && memcmp(data + i, own_nonce, want) != 0) {
            bool seen = false;

            json_array_foreach(json_object_get(json_array_get(iso->users, u), "nonce_tokens"), k, e)
            {
                const char *s = json_string_value(json_object_get(e, "token"));

                if (s && strlen(s) == want && memcmp(s, data + i, want) == 0)
                    seen = true;
            }
            if (!seen && (a = slot(iso, u, "nonce_tokens", GP_ISO_MAX_TOKENS)))
                json_array_append_new(a,
                                      json_pack("{s:I,s:i,s:i,s:s%}", "frame", (json_int_t)frame,
                                                "run", run, "step", step, "token", data + i, want));
        }
        i = j;
    }
}

void gp_iso_run(gp_iso *iso, size_t u, bool passed, bool leak)
{
    json_t *a = iso ? slot(iso, u, "runs", GP_ISO_MAX_RUNS) : NULL;

    if (a)
        json_array_append_new(a, json_pack("[b,b]", passed, leak));
}

void gp_iso_leak_outside(gp_iso *iso, size_t u)
{
    json_t *o = json_array_get(iso ? iso->users : NULL, u);

    if (o)
        json_object_set_new(o, "leak_outside", json_true());
}
