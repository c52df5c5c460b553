/* scenario_protocol.c - the loader's protocol section: where a server puts the type and ids
 * of its frames, its wrappers, aliases and noise, and protocol.outcome (what counts as a
 * failed run). Reads YAML only through scenario_yaml.h. */

#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "scenario_yaml.h"

/* ---- protocol -------------------------------------------------------------------------- */

static int ids_pair(loader *ld, const char *key, yaml_node_t *k, yaml_node_t *v, void *ctx)
{
    gp_profile *p = &ld->s->profile;
    char *what = gp_asprintf("protocol.ids.%s", key);
    int rc = gp_ld_get_nonempty(ld, v, what,
                                !strcmp(key, "run")      ? &p->run_id_key
                                : !strcmp(key, "thread") ? &p->thread_id_key
                                                         : &p->user_id_key);

    (void)k;
    (void)ctx;
    free(what);
    return rc;
}

static int load_aliases(loader *ld, yaml_node_t *v)
{
    gp_profile *p = &ld->s->profile;
    yaml_node_pair_t *kv, *dup = NULL;
    yaml_node_t *first = NULL;
    char buf[80];
    size_t i;

    if (v->type != YAML_MAPPING_NODE)
        return gp_ld_fail(ld, v,
                          "protocol.aliases: expected a mapping from a server's type name to a "
                          "canonical one, got %s",
                          gp_ld_describe(v, buf, sizeof buf));
    for (i = 0; i < p->naliases; i++) {
        free(p->aliases[i].from);
        free(p->aliases[i].to);
    }
    free(p->aliases);
    p->naliases = (size_t)(v->data.mapping.pairs.top - v->data.mapping.pairs.start);
    p->aliases = gp_calloc(p->naliases ? p->naliases : 1, sizeof *p->aliases);
    dup = gp_ld_first_duplicate(ld, v, false, &first);
    for (i = 0, kv = v->data.mapping.pairs.start; kv < v->data.mapping.pairs.top; kv++, i++) {
        yaml_node_t *ak = gp_ld_node_at(ld, kv->key), *av = gp_ld_node_at(ld, kv->value);
        size_t j;

        if (!gp_ld_is_scalar(ak) || !*gp_ld_raw(ak))
            return gp_ld_fail(ld, ak, "protocol.aliases: names must be strings");
        if (kv == dup)
            return gp_ld_fail_duplicate(ld, ak, first);
        p->aliases[i].from = gp_strdup(gp_ld_raw(ak));
        if (gp_ld_get_nonempty(ld, av, "protocol.aliases", &p->aliases[i].to) < 0)
            return -1;
        for (j = 0; j < GP_EV_CANONICAL_COUNT; j++)
            if (strcmp(p->aliases[i].to, gp_event_type_names[j]) == 0)
                break;
        if (j == GP_EV_CANONICAL_COUNT) {
            const char *near =
                gp_ld_suggest(p->aliases[i].to, gp_event_type_names, GP_EV_CANONICAL_COUNT);
            char list[400];

            gp_ld_join_names(gp_event_type_names, GP_EV_CANONICAL_COUNT, list, sizeof list);
            if (near)
                return gp_ld_fail(ld, av,
                                  "protocol.aliases: '%s' is not a canonical event name; did "
                                  "you mean '%s'?",
                                  p->aliases[i].to, near);
            return gp_ld_fail(ld, av,
                              "protocol.aliases: '%s' is not a canonical event name (allowed: "
                              "%s)",
                              p->aliases[i].to, list);
        }
    }
    return 0;
}

/* ---- protocol.outcome ------------------------------------------------------------------ */

/* A path is names separated by single dots: "status", "metadata.status". */
static int get_path(loader *ld, const yaml_node_t *n, const char *what, char **out)
{
    const char *p;

    if (gp_ld_get_nonempty(ld, n, what, out) < 0)
        return -1;
    p = *out;
    if (p[0] == '.' || p[strlen(p) - 1] == '.' || strstr(p, "..") || strpbrk(p, " \t"))
        return gp_ld_fail(
            ld, n, "%s: malformed path '%s' (names joined by dots, e.g. metadata.status)", what, p);
    return 0;
}

/* One value to compare with: typed like a sent message (plain false is a boolean, quoted
 * "false" a string). Returns a new reference or NULL with the error set. */
static json_t *get_value(loader *ld, yaml_node_t *n, const char *what)
{
    char buf[80];

    if (!gp_ld_is_scalar(n)) {
        gp_ld_fail(ld, n, "%s: expected a value such as failed, false or 0, got %s", what,
                   gp_ld_describe(n, buf, sizeof buf));
        return NULL;
    }
    return gp_ld_to_json(ld, n, what, 0, 0);
}

/* A non-empty list of values; a new array in *out, or -1 with the error set. */
static int get_values(loader *ld, yaml_node_t *n, const char *what, json_t **out)
{
    yaml_node_item_t *it;
    char buf[80];
    size_t i = 0;

    if (n->type != YAML_SEQUENCE_NODE)
        return gp_ld_fail(ld, n, "%s: expected a list of values such as [failed, error], got %s",
                          what, gp_ld_describe(n, buf, sizeof buf));
    if (n->data.sequence.items.top == n->data.sequence.items.start)
        return gp_ld_fail(ld, n, "%s: must list at least one value", what);
    json_decref(*out);
    *out = json_array();
    for (it = n->data.sequence.items.start; it < n->data.sequence.items.top; it++, i++) {
        char *item = gp_asprintf("%s[%zu]", what, i);
        json_t *v = get_value(ld, gp_ld_node_at(ld, *it), item);

        free(item);
        if (!v)
            return -1;
        json_array_append_new(*out, v);
    }
    return 0;
}

/* An entry of the form {path: P, TEST: V} with exactly one TEST among keys (which lists
 * "path" first): sets *path, *op and *opk (the TEST's key), or fails with what a person
 * should write (example) and the tests there are (tests). */
int gp_ld_path_and_test(loader *ld, yaml_node_t *item, const char *what, const char *const *keys,
                        size_t nkeys, const char *example, const char *tests, yaml_node_t **path,
                        yaml_node_t **op, yaml_node_t **opk)
{
    yaml_node_pair_t *kv;
    char buf[80];

    *path = *op = *opk = NULL;
    if (item->type != YAML_MAPPING_NODE)
        return gp_ld_fail(ld, item, "%s: expected a mapping such as %s, got %s", what, example,
                          gp_ld_describe(item, buf, sizeof buf));
    if (gp_ld_each_pair(ld, item, what, keys, nkeys, NULL, NULL) < 0)
        return -1;
    for (kv = item->data.mapping.pairs.start; kv < item->data.mapping.pairs.top; kv++) {
        yaml_node_t *k = gp_ld_node_at(ld, kv->key);

        if (!strcmp(gp_ld_raw(k), "path")) {
            *path = gp_ld_node_at(ld, kv->value);
            continue;
        }
        if (*op)
            return gp_ld_fail(ld, k, "%s: one test per entry; found both '%s' and '%s'", what,
                              gp_ld_raw(*opk), gp_ld_raw(k));
        *op = gp_ld_node_at(ld, kv->value);
        *opk = k;
    }
    if (!*path)
        return gp_ld_fail(ld, item, "missing required key 'path' in %s", what);
    if (!*op)
        return gp_ld_fail(ld, item, "%s: needs one of %s", what, tests);
    return 0;
}

static int load_signal(loader *ld, yaml_node_t *item, gp_outcome_signal *sg, size_t index)
{
    static const char *const keys[] = {"path", "equals", "in", "not_in", "nonempty"};
    yaml_node_t *path, *op, *opk;
    char *w = NULL;
    char *what = gp_asprintf("protocol.outcome.failure[%zu]", index);
    int rc = -1;

    if (gp_ld_path_and_test(ld, item, what, keys, COUNT(keys),
                            "{path: metadata.success, equals: false}",
                            "equals, in, not_in, nonempty", &path, &op, &opk) < 0)
        goto out;
    w = gp_asprintf("%s.path", what);
    if (get_path(ld, path, w, &sg->path) < 0)
        goto out;
    free(w);
    w = gp_asprintf("%s.%s", what, gp_ld_raw(opk));
    if (!strcmp(gp_ld_raw(opk), "equals")) {
        json_t *v = get_value(ld, op, w);

        sg->op = GP_OUTCOME_EQUALS;
        if (!v)
            goto out;
        sg->values = json_array();
        json_array_append_new(sg->values, v);
    } else if (!strcmp(gp_ld_raw(opk), "nonempty")) {
        bool b;

        sg->op = GP_OUTCOME_NONEMPTY;
        if (gp_ld_get_bool(ld, op, w, &b) < 0)
            goto out;
        sg->values = json_pack("[b]", b);
    } else {
        sg->op = !strcmp(gp_ld_raw(opk), "in") ? GP_OUTCOME_IN : GP_OUTCOME_NOT_IN;
        if (get_values(ld, op, w, &sg->values) < 0)
            goto out;
    }
    rc = 0;
out:
    free(w);
    free(what);
    return rc;
}

static int load_failure_signals(loader *ld, yaml_node_t *v)
{
    gp_outcome *o = &ld->s->outcome;
    yaml_node_item_t *it;
    char buf[80];
    size_t i = 0;

    if (!gp_ld_is_null(v) && v->type != YAML_SEQUENCE_NODE)
        return gp_ld_fail(ld, v,
                          "protocol.outcome.failure: expected a list of signals such as "
                          "[{path: metadata.success, equals: false}], got %s",
                          gp_ld_describe(v, buf, sizeof buf));
    gp_outcome_signals_free(o->failure, o->nfailure);
    o->failure = NULL;
    o->nfailure = 0;
    if (gp_ld_is_null(v))
        return 0;
    o->nfailure = (size_t)(v->data.sequence.items.top - v->data.sequence.items.start);
    o->failure = gp_calloc(o->nfailure ? o->nfailure : 1, sizeof *o->failure);
    for (it = v->data.sequence.items.start; it < v->data.sequence.items.top; it++, i++)
        if (load_signal(ld, gp_ld_node_at(ld, *it), &o->failure[i], i) < 0)
            return -1;
    return 0;
}

static int outcome_pair(loader *ld, const char *key, yaml_node_t *k, yaml_node_t *v, void *ctx)
{
    gp_outcome *o = &ld->s->outcome;

    (void)k;
    (void)ctx;
    if (!strcmp(key, "status")) {
        if (gp_ld_is_null(v)) {
            free(o->status_path);
            o->status_path = NULL;
            return 0;
        }
        return get_path(ld, v, "protocol.outcome.status", &o->status_path);
    }
    if (!strcmp(key, "success"))
        return get_values(ld, v, "protocol.outcome.success", &o->success);
    return load_failure_signals(ld, v);
}

static int load_outcome(loader *ld, yaml_node_t *v)
{
    static const char *const keys[] = {"status", "success", "failure"};
    bool empty;

    if (gp_ld_want_map(ld, v, "protocol.outcome", &empty) < 0)
        return -1;
    return empty
               ? 0
               : gp_ld_each_pair(ld, v, "protocol.outcome", keys, COUNT(keys), outcome_pair, NULL);
}

int gp_ld_protocol_pair(loader *ld, const char *key, yaml_node_t *k, yaml_node_t *v, void *ctx)
{
    static const char *const id_keys[] = {"run", "thread", "user"};
    gp_profile *p = &ld->s->profile;
    bool empty;

    (void)k;
    (void)ctx;
    if (!strcmp(key, "type_key"))
        return gp_ld_get_nonempty(ld, v, "protocol.type_key", &p->type_key);
    if (!strcmp(key, "event_key"))
        return gp_ld_get_nonempty(ld, v, "protocol.event_key", &p->event_key);
    if (!strcmp(key, "wrappers"))
        return gp_ld_get_string_list(ld, v, "protocol.wrappers", &p->wrapper_types,
                                     &p->nwrapper_types);
    if (!strcmp(key, "containers"))
        return gp_ld_get_string_list(ld, v, "protocol.containers", &p->containers, &p->ncontainers);
    if (!strcmp(key, "noise"))
        return gp_ld_get_string_list(ld, v, "protocol.noise", &p->noise_types, &p->nnoise_types);
    if (!strcmp(key, "ready"))
        return gp_ld_get_string_list(ld, v, "protocol.ready", &p->ready_types, &p->nready_types);
    if (!strcmp(key, "aliases"))
        return gp_ld_is_null(v) ? 0 : load_aliases(ld, v);
    if (!strcmp(key, "max_frame"))
        return gp_ld_get_size(ld, v, "protocol.max_frame", 1024, (size_t)1 << 30,
                              &p->max_frame_bytes);
    if (!strcmp(key, "outcome"))
        return load_outcome(ld, v);
    if (gp_ld_want_map(ld, v, "protocol.ids", &empty) < 0)
        return -1;
    return empty ? 0
                 : gp_ld_each_pair(ld, v, "protocol.ids", id_keys, COUNT(id_keys), ids_pair, NULL);
}
