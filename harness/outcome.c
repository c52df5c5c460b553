/* outcome.c - judges whether an agent_completed reports a run that succeeded: its status
 * against a success set, and failure signals (metadata.success false, a failed metadata.status,
 * an error text). It reads one parsed event; which runs to judge, and agent_error/agent_death,
 * are the judge's (GP-OUTCOME). Never prints, never touches the network. */
#include "outcome.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define VALUE_MAX 80 /* characters of a value shown in evidence (final_response included) */

static json_t *string_array(const char *const *v, size_t n)
{
    json_t *a = json_array();
    size_t i;

    for (i = 0; i < n; i++)
        json_array_append_new(a, json_string(v[i]));
    return a;
}

void gp_outcome_init_default(gp_outcome *o)
{
    static const char *const success[] = {"completed", "complete", "success",
                                          "succeeded", "ok",       "done"};
    static const char *const failed[] = {"failed",   "failure", "error",   "errored",  "cancelled",
                                         "canceled", "aborted", "timeout", "timed_out"};
    static const struct {
        const char *path;
        gp_outcome_op op;
    } defs[] = {{"success", GP_OUTCOME_EQUALS},
                {"metadata.success", GP_OUTCOME_EQUALS},
                {"metadata.status", GP_OUTCOME_IN},
                {"error", GP_OUTCOME_NONEMPTY},
                {"metadata.error", GP_OUTCOME_NONEMPTY}};
    size_t i;

    memset(o, 0, sizeof *o);
    o->set = true;
    o->status_path = gp_strdup("status");
    o->success = string_array(success, sizeof success / sizeof success[0]);
    o->nfailure = sizeof defs / sizeof defs[0];
    o->failure = gp_calloc(o->nfailure, sizeof *o->failure);
    for (i = 0; i < o->nfailure; i++) {
        o->failure[i].path = gp_strdup(defs[i].path);
        o->failure[i].op = defs[i].op;
        if (defs[i].op == GP_OUTCOME_IN)
            o->failure[i].values = string_array(failed, sizeof failed / sizeof failed[0]);
        else
            o->failure[i].values = json_pack("[b]", defs[i].op == GP_OUTCOME_NONEMPTY ? 1 : 0);
    }
}

void gp_outcome_signals_free(gp_outcome_signal *s, size_t n)
{
    size_t i;

    for (i = 0; s && i < n; i++) {
        free(s[i].path);
        json_decref(s[i].values);
    }
    free(s);
}

void gp_outcome_cleanup(gp_outcome *o)
{
    if (!o)
        return;
    free(o->status_path);
    json_decref(o->success);
    gp_outcome_signals_free(o->failure, o->nfailure);
    memset(o, 0, sizeof *o);
}

json_t *gp_outcome_lookup(const gp_event *ev, const gp_profile *p, const char *path)
{
    const char *seg = path, *dot;
    json_t *v = NULL;
    char name[256];

    if (!path || !*path)
        return NULL;
    for (; seg; seg = dot ? dot + 1 : NULL) {
        size_t len;

        dot = strchr(seg, '.');
        len = dot ? (size_t)(dot - seg) : strlen(seg);
        if (len == 0 || len >= sizeof name)
            return NULL;
        memcpy(name, seg, len);
        name[len] = '\0';
        if (seg == path) {
            v = gp_event_field(ev, p, name);
        } else if (json_is_object(v)) {
            v = json_object_get(v, name);
        } else if (json_is_array(v) && strspn(name, "0123456789") == len) {
            v = json_array_get(v, strtoul(name, NULL, 10));
        } else {
            return NULL;
        }
        if (!v)
            return NULL;
    }
    return v;
}

/* Strings compare case-insensitively ("FAILED" is "failed"); other values exactly. */
static bool same(const json_t *a, const json_t *b)
{
    if (json_is_string(a) && json_is_string(b))
        return strcasecmp(json_string_value(a), json_string_value(b)) == 0;
    return json_equal((json_t *)a, (json_t *)b);
}

static bool one_of(const json_t *v, const json_t *values)
{
    size_t i;

    for (i = 0; i < json_array_size(values); i++)
        if (same(v, json_array_get(values, i)))
            return true;
    return false;
}

static bool nonempty(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_STRING:
        return json_string_length(v) > 0;
    case JSON_OBJECT:
        return json_object_size(v) > 0;
    case JSON_ARRAY:
        return json_array_size(v) > 0;
    case JSON_TRUE:
        return true;
    case JSON_INTEGER:
        return json_integer_value(v) != 0;
    case JSON_REAL:
        return json_real_value(v) != 0;
    default:
        return false;
    }
}

/* Appends a JSON value, compact and cut at VALUE_MAX characters, unprintable bytes as '?'. */
static void put_value(gp_buf *b, const json_t *v)
{
    char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
    size_t i, len = s ? strlen(s) : 0;

    for (i = 0; i < len && i < VALUE_MAX; i++) {
        char c = isprint((unsigned char)s[i]) ? s[i] : '?';

        gp_buf_append(b, &c, 1);
    }
    if (len > VALUE_MAX)
        gp_buf_printf(b, "...");
    free(s);
}

static void put_values(gp_buf *b, const json_t *values)
{
    size_t i;

    for (i = 0; i < json_array_size(values); i++) {
        if (i)
            gp_buf_printf(b, ", ");
        put_value(b, json_array_get(values, i));
    }
}

/* Whether the signal fires for v (NULL when the path is absent). */
static bool fires(const gp_outcome_signal *s, const json_t *v)
{
    switch (s->op) {
    case GP_OUTCOME_EQUALS:
        return v && same(v, json_array_get(s->values, 0));
    case GP_OUTCOME_IN:
        return v && one_of(v, s->values);
    case GP_OUTCOME_NOT_IN:
        return v && !one_of(v, s->values);
    default:
        return json_is_true(json_array_get(s->values, 0)) ? v && nonempty(v) : !v || !nonempty(v);
    }
}

/* What success looks like for the signal: "metadata.status none of "failed", ...". */
static void put_expected(gp_buf *b, const gp_outcome_signal *s)
{
    switch (s->op) {
    case GP_OUTCOME_EQUALS:
        gp_buf_printf(b, "%s not ", s->path);
        put_value(b, json_array_get(s->values, 0));
        break;
    case GP_OUTCOME_IN:
        gp_buf_printf(b, "%s none of ", s->path);
        put_values(b, s->values);
        break;
    case GP_OUTCOME_NOT_IN:
        gp_buf_printf(b, "%s one of ", s->path);
        put_values(b, s->values);
        break;
    default:
        gp_buf_printf(
            b, json_is_true(json_array_get(s->values, 0)) ? "%s absent or empty" : "%s not empty",
            s->path);
        break;
    }
}

static void put_received(gp_buf *b, const gp_outcome_signal *s, const json_t *v)
{
    if (!v) {
        gp_buf_printf(b, "no %s", s->path);
        return;
    }
    gp_buf_printf(b, "%s ", s->path);
    put_value(b, v);
}

int gp_outcome_check(const gp_outcome *o, const gp_event *ev, const gp_profile *p, char **expected,
                     char **received)
{
    gp_buf exp, got;
    json_t *resp;
    size_t i, nfired = 0;

    if (!o || !ev || !expected || !received)
        return 0;
    gp_buf_init(&exp, 4096);
    gp_buf_init(&got, 4096);
    for (i = 0; i <= o->nfailure; i++) {
        gp_outcome_signal status = {o->status_path, GP_OUTCOME_NOT_IN, o->success};
        const gp_outcome_signal *s = i == 0 ? &status : &o->failure[i - 1];
        json_t *v;

        if (!s->path)
            continue;
        v = gp_outcome_lookup(ev, p, s->path);
        if (!fires(s, v))
            continue;
        gp_buf_printf(&exp, "%s", nfired ? "; " : "");
        put_expected(&exp, s);
        gp_buf_printf(&got, "%s", nfired ? ", " : "");
        put_received(&got, s, v);
        nfired++;
    }
    if (!nfired) {
        gp_buf_cleanup(&exp);
        gp_buf_cleanup(&got);
        return 0;
    }
    resp = gp_event_field(ev, p, "final_response");
    if (json_is_string(resp)) {
        gp_buf_printf(&got, "; the user saw final_response ");
        put_value(&got, resp);
    }
    *expected = gp_buf_steal(&exp);
    *received = gp_buf_steal(&got);
    return 1;
}
