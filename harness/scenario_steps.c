/* scenario_steps.c - the loader's step lists: connect, send, expect, expect_run (with its
 * captures and predicates), think, repeat, ping, close and reconnect, each checked as it is
 * read. Reads YAML only through scenario_yaml.h. */

#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "scenario_yaml.h"

/* ---- steps ----------------------------------------------------------------------------- */

static const char *const step_kinds[] = {"connect", "send", "expect", "expect_run", "think",
                                         "repeat",  "ping", "close",  "reconnect"};

int gp_ld_load_steps(loader *ld, yaml_node_t *seq, const char *what, gp_step **out, size_t *nout,
                     int depth);

struct step_ctx {
    gp_step *st;
    yaml_node_t *min, *max;
    yaml_node_t *count, *steps;
};

static int take_label(loader *ld, gp_step *st, yaml_node_t *v, const char *what)
{
    char *w = gp_asprintf("%s.name", what);
    int rc = gp_ld_get_nonempty(ld, v, w, &st->label);

    free(w);
    return rc;
}

static int var_name_ok(loader *ld, yaml_node_t *k, const char *name)
{
    if (!gp_ld_env_name_ok(name, strlen(name)))
        return gp_ld_fail(
            ld, k, "capture: '%s' is not a valid variable name (letters, digits and _)", name);
    if (!strcmp(name, "nonce") || !strcmp(name, "uuid") || !strcmp(name, "user"))
        return gp_ld_fail(ld, k, "capture: '%s' is a built-in variable and cannot be captured",
                          name);
    return 0;
}

static int load_captures(loader *ld, yaml_node_t *v, const char *what, gp_capture **out,
                         size_t *nout)
{
    yaml_node_pair_t *kv, *dup = NULL;
    yaml_node_t *first = NULL;
    char buf[80];
    size_t i;

    if (gp_ld_is_null(v))
        return 0;
    if (v->type != YAML_MAPPING_NODE)
        return gp_ld_fail(ld, v,
                          "%s.capture: expected a mapping of variable names to paths, got %s", what,
                          gp_ld_describe(v, buf, sizeof buf));
    *nout = (size_t)(v->data.mapping.pairs.top - v->data.mapping.pairs.start);
    *out = gp_calloc(*nout ? *nout : 1, sizeof **out);
    dup = gp_ld_first_duplicate(ld, v, false, &first);
    for (i = 0, kv = v->data.mapping.pairs.start; kv < v->data.mapping.pairs.top; kv++, i++) {
        yaml_node_t *ck = gp_ld_node_at(ld, kv->key), *cv = gp_ld_node_at(ld, kv->value);
        char *w;
        int rc;

        if (!gp_ld_is_scalar(ck))
            return gp_ld_fail(ld, ck, "%s.capture: variable names must be strings", what);
        if (kv == dup)
            return gp_ld_fail_duplicate(ld, ck, first);
        if (var_name_ok(ld, ck, gp_ld_raw(ck)) < 0)
            return -1;
        (*out)[i].var = gp_strdup(gp_ld_raw(ck));
        w = gp_asprintf("%s.capture.%s", what, gp_ld_raw(ck));
        rc = gp_ld_get_nonempty(ld, cv, w, &(*out)[i].path);
        free(w);
        if (rc < 0)
            return -1;
    }
    return 0;
}

/* Captured names become usable only after the step that captures them. */
static void publish_captures(loader *ld, const gp_capture *c, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        if (gp_ld_captured(ld, c[i].var))
            continue;
        ld->vars = gp_realloc(ld->vars, (ld->nvars + 1) * sizeof *ld->vars);
        ld->vars[ld->nvars++] = gp_strdup(c[i].var);
    }
}

static int connect_pair(loader *ld, const char *key, yaml_node_t *k, yaml_node_t *v, void *ctx)
{
    static const char *const creds[] = {"valid", "none", "garbage", "wrong_secret", "expired"};
    static const char *const outcomes[] = {"accepted", "refused"};
    struct step_ctx *sc = ctx;
    int e;

    (void)k;
    if (!strcmp(key, "name"))
        return take_label(ld, sc->st, v, "connect");
    if (!strcmp(key, "credential")) {
        if (gp_ld_get_enum(ld, v, "connect.credential", creds, COUNT(creds), &e) < 0)
            return -1;
        sc->st->u.connect.credential = (gp_credential)e;
        return 0;
    }
    if (gp_ld_get_enum(ld, v, "connect.expect", outcomes, COUNT(outcomes), &e) < 0)
        return -1;
    sc->st->u.connect.expect_refused = e == 1;
    return 0;
}

static int load_pred(loader *ld, yaml_node_t *item, gp_pred *pr, size_t index)
{
    static const char *const keys[] = {"path", "equals", "contains", "exists", "type", "nonempty"};
    static const char *const types[] = {"string", "number", "object", "array", "boolean", "null"};
    yaml_node_t *path, *op, *opk;
    char *what = gp_asprintf("expect.where[%zu]", index);
    int rc = -1;

    if (gp_ld_path_and_test(ld, item, what, keys, COUNT(keys), "{path: run_id, exists: true}",
                            "equals, contains, exists, type, nonempty", &path, &op, &opk) < 0)
        goto out;
    {
        char *w = gp_asprintf("%s.path", what);

        rc = gp_ld_get_nonempty(ld, path, w, &pr->path);
        free(w);
        if (rc < 0)
            goto out;
        rc = -1;
    }
    if (!strcmp(gp_ld_raw(opk), "equals")) {
        pr->op = GP_PRED_EQUALS;
        pr->value = gp_ld_to_json(ld, op, what, VARS_BUILTIN | VARS_CAPTURED, 0);
    } else if (!strcmp(gp_ld_raw(opk), "contains")) {
        char *s = NULL;

        pr->op = GP_PRED_CONTAINS;
        if (gp_ld_get_template(ld, op, "expect.where.contains", VARS_BUILTIN | VARS_CAPTURED, &s) ==
            0)
            pr->value = json_string(s);
        free(s);
    } else if (!strcmp(gp_ld_raw(opk), "type")) {
        int e = 0;

        pr->op = GP_PRED_TYPE;
        if (gp_ld_get_enum(ld, op, "expect.where.type", types, COUNT(types), &e) == 0)
            pr->value = json_string(types[e]);
    } else {
        bool b;

        pr->op = !strcmp(gp_ld_raw(opk), "exists") ? GP_PRED_EXISTS : GP_PRED_NONEMPTY;
        if (gp_ld_get_bool(
                ld, op, pr->op == GP_PRED_EXISTS ? "expect.where.exists" : "expect.where.nonempty",
                &b) == 0)
            pr->value = json_boolean(b);
    }
    rc = pr->value ? 0 : -1;
out:
    free(what);
    return rc;
}

static int expect_pair(loader *ld, const char *key, yaml_node_t *k, yaml_node_t *v, void *ctx)
{
    struct step_ctx *sc = ctx;
    gp_step *st = sc->st;
    char buf[80];

    (void)k;
    if (!strcmp(key, "name"))
        return take_label(ld, st, v, "expect");
    if (!strcmp(key, "match")) {
        if (v->type != YAML_MAPPING_NODE)
            return gp_ld_fail(ld, v,
                              "expect.match: expected a mapping (a part of the frame), got %s",
                              gp_ld_describe(v, buf, sizeof buf));
        st->u.expect.match = gp_ld_to_json(ld, v, "expect.match", VARS_BUILTIN | VARS_CAPTURED, 0);
        return st->u.expect.match ? 0 : -1;
    }
    if (!strcmp(key, "where")) {
        yaml_node_item_t *it;
        size_t i = 0;

        if (v->type != YAML_SEQUENCE_NODE)
            return gp_ld_fail(ld, v, "expect.where: expected a list of tests, got %s",
                              gp_ld_describe(v, buf, sizeof buf));
        st->u.expect.npreds = (size_t)(v->data.sequence.items.top - v->data.sequence.items.start);
        st->u.expect.preds =
            gp_calloc(st->u.expect.npreds ? st->u.expect.npreds : 1, sizeof *st->u.expect.preds);
        for (it = v->data.sequence.items.start; it < v->data.sequence.items.top; it++, i++)
            if (load_pred(ld, gp_ld_node_at(ld, *it), &st->u.expect.preds[i], i) < 0)
                return -1;
        return 0;
    }
    if (!strcmp(key, "capture"))
        return load_captures(ld, v, "expect", &st->u.expect.captures, &st->u.expect.ncaptures);
    if (!strcmp(key, "timeout"))
        return gp_ld_get_positive_duration(ld, v, "expect.timeout", &st->u.expect.timeout_us);
    return gp_ld_get_bool(ld, v, "expect.skip_noise", &st->u.expect.skip_noise);
}

static int expect_run_pair(loader *ld, const char *key, yaml_node_t *k, yaml_node_t *v, void *ctx)
{
    struct step_ctx *sc = ctx;
    gp_step *st = sc->st;
    char buf[80];

    (void)k;
    if (!strcmp(key, "name"))
        return take_label(ld, st, v, "expect_run");
    if (!strcmp(key, "require")) {
        yaml_node_item_t *it;

        if (v->type != YAML_SEQUENCE_NODE)
            return gp_ld_fail(ld, v, "expect_run.require: expected a list of event names, got %s",
                              gp_ld_describe(v, buf, sizeof buf));
        st->u.expect_run.required = 0;
        for (it = v->data.sequence.items.start; it < v->data.sequence.items.top; it++) {
            yaml_node_t *e = gp_ld_node_at(ld, *it);
            char *name = NULL;
            size_t j;

            if (gp_ld_get_nonempty(ld, e, "expect_run.require", &name) < 0) {
                free(name);
                return -1;
            }
            for (j = 0; j < GP_EV_GOLDEN_COUNT && strcmp(gp_event_type_names[j], name); j++)
                ;
            if (j == GP_EV_GOLDEN_COUNT) {
                const char *near = gp_ld_suggest(name, gp_event_type_names, GP_EV_GOLDEN_COUNT);
                char list[256];

                gp_ld_join_names(gp_event_type_names, GP_EV_GOLDEN_COUNT, list, sizeof list);
                if (near)
                    gp_ld_fail(ld, e, "expect_run.require: unknown event '%s'; did you mean '%s'?",
                               name, near);
                else
                    gp_ld_fail(ld, e, "expect_run.require: unknown event '%s' (allowed: %s)", name,
                               list);
                free(name);
                return -1;
            }
            free(name);
            st->u.expect_run.required |= GP_EV_MASK(j);
        }
        if (!st->u.expect_run.required)
            return gp_ld_fail(ld, v, "expect_run.require: must name at least one event");
        return 0;
    }
    if (!strcmp(key, "allow_repeats"))
        return gp_ld_get_bool(ld, v, "expect_run.allow_repeats", &st->u.expect_run.allow_repeats);
    if (!strcmp(key, "max_gap"))
        return gp_ld_get_positive_duration(ld, v, "expect_run.max_gap",
                                           &st->u.expect_run.max_gap_us);
    if (!strcmp(key, "deadline"))
        return gp_ld_get_positive_duration(ld, v, "expect_run.deadline",
                                           &st->u.expect_run.deadline_us);
    return load_captures(ld, v, "expect_run", &st->u.expect_run.captures,
                         &st->u.expect_run.ncaptures);
}

static int think_pair(loader *ld, const char *key, yaml_node_t *k, yaml_node_t *v, void *ctx)
{
    struct step_ctx *sc = ctx;

    (void)k;
    if (!strcmp(key, "name"))
        return take_label(ld, sc->st, v, "think");
    if (!strcmp(key, "min")) {
        sc->min = v;
        return gp_ld_get_duration(ld, v, "think.min", &sc->st->u.think.min_us);
    }
    sc->max = v;
    return gp_ld_get_duration(ld, v, "think.max", &sc->st->u.think.max_us);
}

static int repeat_pair(loader *ld, const char *key, yaml_node_t *k, yaml_node_t *v, void *ctx)
{
    struct step_ctx *sc = ctx;
    long long n;

    (void)k;
    if (!strcmp(key, "name"))
        return take_label(ld, sc->st, v, "repeat");
    if (!strcmp(key, "count")) {
        sc->count = v;
        if (gp_ld_get_int(ld, v, "repeat.count", 1, REPEAT_MAX, &n) < 0)
            return -1;
        sc->st->u.repeat.count = (unsigned)n;
        return 0;
    }
    sc->steps = v;
    return 0;
}

static int ping_pair(loader *ld, const char *key, yaml_node_t *k, yaml_node_t *v, void *ctx)
{
    struct step_ctx *sc = ctx;

    (void)k;
    if (!strcmp(key, "name"))
        return take_label(ld, sc->st, v, "ping");
    return gp_ld_get_positive_duration(ld, v, "ping.timeout", &sc->st->u.ping.timeout_us);
}

static int close_pair(loader *ld, const char *key, yaml_node_t *k, yaml_node_t *v, void *ctx)
{
    struct step_ctx *sc = ctx;
    gp_step *st = sc->st;
    long long code;

    (void)k;
    if (!strcmp(key, "name"))
        return take_label(ld, st, v, "close");
    if (!strcmp(key, "code")) {
        if (gp_ld_get_int(ld, v, "close.code", 1000, 4999, &code) < 0)
            return -1;
        if (code == 1004 || code == 1005 || code == 1006 || code == 1015 ||
            (code > 1015 && code < 3000))
            return gp_ld_fail(ld, v,
                              "close.code: %lld cannot be sent in a close frame (use 1000, "
                              "1001, 1002, 1003, 1007..1014, or 3000..4999)",
                              code);
        st->u.close.code = (int)code;
        return 0;
    }
    {
        char *reason = NULL;

        if (gp_ld_is_null(v))
            reason = gp_strdup("");
        else if (gp_ld_get_string(ld, v, "close.reason", &reason) < 0)
            return -1;
        free(st->u.close.reason);
        st->u.close.reason = reason;
        if (strlen(reason) > 123)
            return gp_ld_fail(ld, v,
                              "close.reason: %zu bytes is too long (a close frame holds at "
                              "most 123)",
                              strlen(reason));
        return 0;
    }
}

static int reconnect_pair(loader *ld, const char *key, yaml_node_t *k, yaml_node_t *v, void *ctx)
{
    struct step_ctx *sc = ctx;

    (void)k;
    if (!strcmp(key, "name"))
        return take_label(ld, sc->st, v, "reconnect");
    return gp_ld_get_duration(ld, v, "reconnect.delay", &sc->st->u.reconnect.delay_us);
}

/* Fills st (kind, id and position already set) from the value v of its kind key. */
static int load_step_body(loader *ld, gp_step *st, yaml_node_t *k, yaml_node_t *v, int depth)
{
    static const char *const connect_keys[] = {"name", "credential", "expect"};
    static const char *const expect_keys[] = {"name",    "match",   "where",
                                              "capture", "timeout", "skip_noise"};
    static const char *const expect_run_keys[] = {"name",    "require",  "allow_repeats",
                                                  "max_gap", "deadline", "capture"};
    static const char *const think_keys[] = {"name", "min", "max"};
    static const char *const repeat_keys[] = {"name", "count", "steps"};
    static const char *const ping_keys[] = {"name", "timeout"};
    static const char *const close_keys[] = {"name", "code", "reason"};
    static const char *const reconnect_keys[] = {"name", "delay"};
    struct step_ctx sc = {0};
    const char *kind = gp_step_kind_name(st->kind);
    char where[64], buf[80];
    bool empty = false;

    sc.st = st;
    snprintf(where, sizeof where, "the %s step", kind);
    switch (st->kind) {
    case GP_STEP_SEND:
        if (v->type != YAML_MAPPING_NODE)
            return gp_ld_fail(ld, v, "send: expected a mapping (the JSON message to send), got %s",
                              gp_ld_describe(v, buf, sizeof buf));
        st->u.send.message = gp_ld_to_json(ld, v, "send", VARS_BUILTIN | VARS_CAPTURED, 0);
        return st->u.send.message ? 0 : -1;
    case GP_STEP_THINK:
        if (gp_ld_is_scalar(v) && !gp_ld_is_null(v)) {
            if (gp_ld_get_duration(ld, v, "think", &st->u.think.min_us) < 0)
                return -1;
            st->u.think.max_us = st->u.think.min_us;
            return 0;
        }
        if (v->type != YAML_MAPPING_NODE)
            return gp_ld_fail(ld, v, "think: expected a duration or {min, max}, got %s",
                              gp_ld_describe(v, buf, sizeof buf));
        if (gp_ld_each_pair(ld, v, where, think_keys, COUNT(think_keys), think_pair, &sc) < 0)
            return -1;
        if (!sc.min && !sc.max)
            return gp_ld_fail(ld, v, "think: needs a duration, or min and max");
        if (!sc.max)
            st->u.think.max_us = st->u.think.min_us;
        if (!sc.min)
            st->u.think.min_us = 0;
        if (st->u.think.min_us > st->u.think.max_us)
            return gp_ld_fail(ld, sc.max, "think.max: shorter than think.min");
        return 0;
    case GP_STEP_REPEAT:
        if (v->type != YAML_MAPPING_NODE)
            return gp_ld_fail(ld, v, "repeat: expected a mapping with count and steps, got %s",
                              gp_ld_describe(v, buf, sizeof buf));
        if (gp_ld_each_pair(ld, v, where, repeat_keys, COUNT(repeat_keys), repeat_pair, &sc) < 0)
            return -1;
        if (!sc.count)
            return gp_ld_fail(ld, k, "missing required key 'count' in repeat");
        if (!sc.steps)
            return gp_ld_fail(ld, k, "missing required key 'steps' in repeat");
        return gp_ld_load_steps(ld, sc.steps, "repeat.steps", &st->u.repeat.steps,
                                &st->u.repeat.nsteps, depth + 1);
    default:
        break;
    }
    if (gp_ld_want_map(ld, v, kind, &empty) < 0)
        return -1;
    switch (st->kind) {
    case GP_STEP_CONNECT:
        return empty ? 0
                     : gp_ld_each_pair(ld, v, where, connect_keys, COUNT(connect_keys),
                                       connect_pair, &sc);
    case GP_STEP_EXPECT:
        st->u.expect.skip_noise = true;
        if (!empty &&
            gp_ld_each_pair(ld, v, where, expect_keys, COUNT(expect_keys), expect_pair, &sc) < 0)
            return -1;
        publish_captures(ld, st->u.expect.captures, st->u.expect.ncaptures);
        return 0;
    case GP_STEP_EXPECT_RUN:
        st->u.expect_run.required = GP_EV_GOLDEN_MASK;
        if (!empty && gp_ld_each_pair(ld, v, where, expect_run_keys, COUNT(expect_run_keys),
                                      expect_run_pair, &sc) < 0)
            return -1;
        publish_captures(ld, st->u.expect_run.captures, st->u.expect_run.ncaptures);
        return 0;
    case GP_STEP_PING:
        return empty ? 0
                     : gp_ld_each_pair(ld, v, where, ping_keys, COUNT(ping_keys), ping_pair, &sc);
    case GP_STEP_CLOSE:
        st->u.close.code = 1000;
        if (!empty &&
            gp_ld_each_pair(ld, v, where, close_keys, COUNT(close_keys), close_pair, &sc) < 0)
            return -1;
        if (!st->u.close.reason)
            st->u.close.reason = gp_strdup("done");
        return 0;
    case GP_STEP_RECONNECT:
        return empty ? 0
                     : gp_ld_each_pair(ld, v, where, reconnect_keys, COUNT(reconnect_keys),
                                       reconnect_pair, &sc);
    default:
        return 0;
    }
}

static int step_kind_of(loader *ld, yaml_node_t *k, gp_step_kind *out)
{
    size_t i;
    const char *near;
    char list[256];

    for (i = 0; i < COUNT(step_kinds); i++) {
        if (strcmp(gp_ld_raw(k), step_kinds[i]) == 0) {
            *out = (gp_step_kind)i;
            return 0;
        }
    }
    near = gp_ld_suggest(gp_ld_raw(k), step_kinds, COUNT(step_kinds));
    if (near)
        return gp_ld_fail(ld, k, "unknown step kind '%s'; did you mean '%s'?", gp_ld_raw(k), near);
    gp_ld_join_names(step_kinds, COUNT(step_kinds), list, sizeof list);
    return gp_ld_fail(ld, k, "unknown step kind '%s' (allowed: %s)", gp_ld_raw(k), list);
}

static int load_step(loader *ld, yaml_node_t *item, gp_step *st, int depth)
{
    yaml_node_t *k = NULL, *v = NULL, *label = NULL;
    yaml_node_pair_t *kv, *dup = NULL;
    yaml_node_t *first = NULL;
    char buf[80];
    static const char bare_null[] = "";

    if (gp_ld_is_scalar(item) && !gp_ld_is_null(item)) {
        k = item;
    } else if (item->type == YAML_MAPPING_NODE) {
        dup = gp_ld_first_duplicate(ld, item, false, &first);
        for (kv = item->data.mapping.pairs.start; kv < item->data.mapping.pairs.top; kv++) {
            yaml_node_t *kk = gp_ld_node_at(ld, kv->key);

            if (!gp_ld_is_scalar(kk))
                return gp_ld_fail(ld, kk, "step keys must be plain strings");
            if (kv == dup)
                return gp_ld_fail_duplicate(ld, kk, first);
            if (!strcmp(gp_ld_raw(kk), "name")) {
                label = gp_ld_node_at(ld, kv->value);
                continue;
            }
            if (k)
                return gp_ld_fail(ld, kk,
                                  "a step has one kind; found both '%s' and '%s' (start "
                                  "another list item with '-')",
                                  gp_ld_raw(k), gp_ld_raw(kk));
            {
                gp_step_kind kind;

                if (step_kind_of(ld, kk, &kind) < 0)
                    return -1;
            }
            k = kk;
            v = gp_ld_node_at(ld, kv->value);
        }
        if (!k)
            return gp_ld_fail(ld, item,
                              "a step needs a kind: one of connect, send, expect, "
                              "expect_run, think, repeat, ping, close, reconnect");
    } else {
        return gp_ld_fail(ld, item,
                          "a step must be a kind name or a mapping such as "
                          "'- connect: {}', got %s",
                          gp_ld_describe(item, buf, sizeof buf));
    }
    if (step_kind_of(ld, k, &st->kind) < 0)
        return -1;
    st->id = ld->next_id++;
    st->line = (int)k->start_mark.line + 1;
    st->col = (int)k->start_mark.column + 1;
    if (label && take_label(ld, st, label, gp_step_kind_name(st->kind)) < 0)
        return -1;
    if (!v) {
        /* A bare "- connect" means every default; only send and repeat need a body. */
        yaml_node_t empty;

        memset(&empty, 0, sizeof empty);
        empty.type = YAML_SCALAR_NODE;
        empty.data.scalar.value = (yaml_char_t *)bare_null;
        empty.data.scalar.style = YAML_PLAIN_SCALAR_STYLE;
        empty.start_mark = k->start_mark;
        if (st->kind == GP_STEP_SEND || st->kind == GP_STEP_REPEAT || st->kind == GP_STEP_THINK)
            return gp_ld_fail(ld, k, "%s: needs a value", gp_step_kind_name(st->kind));
        return load_step_body(ld, st, k, &empty, depth);
    }
    if (label && v->type == YAML_MAPPING_NODE && st->kind != GP_STEP_SEND) {
        for (kv = v->data.mapping.pairs.start; kv < v->data.mapping.pairs.top; kv++) {
            yaml_node_t *kk = gp_ld_node_at(ld, kv->key);

            if (gp_ld_is_scalar(kk) && !strcmp(gp_ld_raw(kk), "name"))
                return gp_ld_fail(ld, kk, "the step is named twice (here and at %d:%d)",
                                  (int)label->start_mark.line + 1,
                                  (int)label->start_mark.column + 1);
        }
    }
    return load_step_body(ld, st, k, v, depth);
}

int gp_ld_load_steps(loader *ld, yaml_node_t *seq, const char *what, gp_step **out, size_t *nout,
                     int depth)
{
    yaml_node_item_t *it;
    char buf[80];
    size_t i = 0, n;

    if (depth > DEPTH_MAX)
        return gp_ld_fail(ld, seq, "%s: repeats nested deeper than %d levels", what, DEPTH_MAX);
    if (seq->type != YAML_SEQUENCE_NODE)
        return gp_ld_fail(ld, seq, "%s: expected a list of steps, got %s", what,
                          gp_ld_describe(seq, buf, sizeof buf));
    n = (size_t)(seq->data.sequence.items.top - seq->data.sequence.items.start);
    if (n == 0)
        return gp_ld_fail(ld, seq, "%s: must hold at least one step", what);
    *out = gp_calloc(n, sizeof **out);
    *nout = n;
    for (it = seq->data.sequence.items.start; it < seq->data.sequence.items.top; it++, i++)
        if (load_step(ld, gp_ld_node_at(ld, *it), &(*out)[i], depth) < 0)
            return -1;
    return 0;
}
