/* match.c - decides whether a received frame satisfies an expect step: a JSON subset, path
 * predicates, and captures into variables. Pure functions over jansson values; waiting,
 * timeouts and noise skipping belong to the runner. */
#include "match.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PATH_MAX_LEN 256

/* Walks a dotted path from the root: object keys, or array indexes written as digits. */
static json_t *walk(json_t *v, const char *path)
{
    const char *p = path;

    while (v && *p) {
        const char *dot = strchr(p, '.');
        size_t len = dot ? (size_t)(dot - p) : strlen(p);
        char seg[PATH_MAX_LEN];

        if (len == 0 || len >= sizeof seg)
            return NULL;
        memcpy(seg, p, len);
        seg[len] = '\0';
        if (json_is_object(v)) {
            v = json_object_get(v, seg);
        } else if (json_is_array(v)) {
            char *end;
            unsigned long i = strtoul(seg, &end, 10);

            v = *end ? NULL : json_array_get(v, i);
        } else {
            return NULL;
        }
        p = dot ? dot + 1 : p + len;
        if (dot && !*p)
            return NULL;
    }
    return v;
}

json_t *gp_match_lookup(json_t *frame, const gp_profile *p, const char *path)
{
    gp_event ev;

    if (!frame || !path || !*path)
        return NULL;
    if (strchr(path, '.') || !p)
        return walk(frame, path);
    /* A wrapped frame's type is the one it carries inside, as the runner classifies it. */
    if (p->type_key && p->event_key && strcmp(path, p->type_key) == 0) {
        const char *type = json_string_value(json_object_get(frame, p->type_key));
        json_t *inner = json_object_get(frame, p->event_key);
        size_t i;

        for (i = 0; type && json_is_string(inner) && i < p->nwrapper_types; i++)
            if (strcmp(p->wrapper_types[i], type) == 0)
                return inner;
    }
    memset(&ev, 0, sizeof ev);
    ev.root = frame;
    ev.body = frame;
    return gp_event_field(&ev, p, path);
}

static void dump(const json_t *v, char *buf, size_t size)
{
    char *s = v ? json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;

    if (!s) {
        snprintf(buf, size, "%s", v ? "?" : "nothing");
        return;
    }
    if (strlen(s) > 60)
        snprintf(buf, size, "%.57s...", s);
    else
        snprintf(buf, size, "%s", s);
    free(s);
}

/* Equality with numbers compared by value, so 41 equals 41.0. */
static bool values_equal(const json_t *a, const json_t *b)
{
    if (json_is_number(a) && json_is_number(b))
        return json_number_value(a) == json_number_value(b);
    return json_equal((json_t *)a, (json_t *)b);
}

/* Writes "path: expected W, got G", or "path: missing (expected W)" when got is NULL. */
static void why_set(char *why, size_t size, const char *path, const json_t *want, const json_t *got)
{
    char w[80], g[80];

    if (!why || !size)
        return;
    dump(want, w, sizeof w);
    dump(got, g, sizeof g);
    if (got)
        snprintf(why, size, "%s: expected %s, got %s", path[0] ? path : "(frame)", w, g);
    else
        snprintf(why, size, "%s: missing (expected %s)", path[0] ? path : "(frame)", w);
}

static bool subset(const json_t *sub, const json_t *frame, const gp_vars *vars, char *path,
                   size_t plen, char *why, size_t size)
{
    size_t base = strlen(path);

    if (json_is_object(sub)) {
        const char *key;
        json_t *v;

        if (!json_is_object(frame)) {
            why_set(why, size, path, sub, frame);
            return false;
        }
        json_object_foreach((json_t *)sub, key, v)
        {
            json_t *fv = json_object_get(frame, key);

            snprintf(path + base, plen - base, "%s%s", base ? "." : "", key);
            if (!fv) {
                why_set(why, size, path, v, NULL);
                return false;
            }
            if (!subset(v, fv, vars, path, plen, why, size))
                return false;
            path[base] = '\0';
        }
        return true;
    }
    if (json_is_array(sub)) {
        size_t i;
        json_t *v;

        if (!json_is_array(frame) || json_array_size(frame) != json_array_size(sub)) {
            why_set(why, size, path, sub, frame);
            return false;
        }
        json_array_foreach((json_t *)sub, i, v)
        {
            snprintf(path + base, plen - base, "%s%zu", base ? "." : "", i);
            if (!subset(v, json_array_get(frame, i), vars, path, plen, why, size))
                return false;
            path[base] = '\0';
        }
        return true;
    }
    if (json_is_string(sub)) {
        char *want = gp_template_expand(json_string_value(sub), vars, NULL);
        bool ok = want && json_is_string(frame) && strcmp(want, json_string_value(frame)) == 0;

        if (!ok && why && size) {
            json_t *w = json_string(want ? want : json_string_value(sub));

            why_set(why, size, path, w, frame);
            json_decref(w);
        }
        free(want);
        return ok;
    }
    if (!values_equal(sub, frame)) {
        why_set(why, size, path, sub, frame);
        return false;
    }
    return true;
}

bool gp_match_subset(const json_t *subset_, const json_t *frame, const gp_vars *vars)
{
    char path[PATH_MAX_LEN] = "";

    if (!subset_)
        return true;
    return frame && subset(subset_, frame, vars, path, sizeof path, NULL, 0);
}

static const char *type_name(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT:
        return "object";
    case JSON_ARRAY:
        return "array";
    case JSON_STRING:
        return "string";
    case JSON_INTEGER:
    case JSON_REAL:
        return "number";
    case JSON_TRUE:
    case JSON_FALSE:
        return "boolean";
    default:
        return "null";
    }
}

static bool nonempty(const json_t *v)
{
    return (json_is_string(v) && json_string_length(v) > 0) ||
           (json_is_array(v) && json_array_size(v) > 0) ||
           (json_is_object(v) && json_object_size(v) > 0);
}

/* Evaluates one predicate; on failure writes the reason. */
static bool pred_holds(const gp_pred *pr, json_t *frame, const gp_profile *p, const gp_vars *vars,
                       char *why, size_t size)
{
    json_t *v = gp_match_lookup(frame, p, pr->path);
    char g[80];
    bool ok = false;

    dump(v, g, sizeof g);
    switch (pr->op) {
    case GP_PRED_EQUALS: {
        json_t *want = gp_template_expand_json(pr->value, vars, NULL);

        ok = want && v && values_equal(want, v);
        if (!ok)
            why_set(why, size, pr->path, want ? want : pr->value, v);
        json_decref(want);
        return ok;
    }
    case GP_PRED_CONTAINS: {
        char *want = gp_template_expand(json_string_value(pr->value), vars, NULL);
        size_t i;
        json_t *e;

        if (want && json_is_string(v))
            ok = strstr(json_string_value(v), want) != NULL;
        else if (want && json_is_array(v))
            json_array_foreach(v, i, e)
            {
                if (json_is_string(e) && strcmp(json_string_value(e), want) == 0)
                    ok = true;
            }
        if (!ok && why && size)
            snprintf(why, size, "%s: expected to contain \"%s\", got %s", pr->path,
                     want ? want : "?", g);
        free(want);
        return ok;
    }
    case GP_PRED_EXISTS:
        ok = (v != NULL) == json_is_true(pr->value);
        if (!ok && why && size)
            snprintf(why, size, json_is_true(pr->value) ? "%s: missing" : "%s: present (%s)",
                     pr->path, g);
        return ok;
    case GP_PRED_TYPE:
        ok = v && strcmp(type_name(v), json_string_value(pr->value)) == 0;
        if (!ok && why && size)
            snprintf(why, size, "%s: expected a %s, got %s", pr->path, json_string_value(pr->value),
                     v ? type_name(v) : "nothing");
        return ok;
    case GP_PRED_NONEMPTY:
        ok = nonempty(v) == json_is_true(pr->value);
        if (!ok && why && size)
            snprintf(why, size, "%s: expected %s, got %s", pr->path,
                     json_is_true(pr->value) ? "a non-empty value" : "an empty value", g);
        return ok;
    }
    return false;
}

bool gp_match_expect(const gp_step *step, json_t *frame, const gp_profile *p, const gp_vars *vars,
                     char *why, size_t size)
{
    char path[PATH_MAX_LEN] = "";
    size_t i;

    if (why && size)
        why[0] = '\0';
    if (!step || step->kind != GP_STEP_EXPECT || !frame) {
        if (why && size)
            snprintf(why, size, "not an expect step or no frame");
        return false;
    }
    if (step->u.expect.match &&
        !subset(step->u.expect.match, frame, vars, path, sizeof path, why, size))
        return false;
    for (i = 0; i < step->u.expect.npreds; i++)
        if (!pred_holds(&step->u.expect.preds[i], frame, p, vars, why, size))
            return false;
    return true;
}

size_t gp_match_capture(const gp_capture *caps, size_t n, json_t *frame, const gp_profile *p,
                        json_t *captured)
{
    size_t i, missing = 0;

    for (i = 0; i < n; i++) {
        json_t *v = gp_match_lookup(frame, p, caps[i].path);

        if (!v || json_is_null(v)) {
            missing++;
            continue;
        }
        if (json_is_string(v)) {
            json_object_set(captured, caps[i].var, v);
        } else {
            char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);

            if (s)
                json_object_set_new(captured, caps[i].var, json_string(s));
            else
                missing++;
            free(s);
        }
    }
    return missing;
}
