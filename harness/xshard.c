/* xshard.c - the cross-shard checks of merge: is the set of reports the shards of one run, and
 * did any user receive what another shard's user owns. The registry is rebuilt exactly as the
 * judge builds it for one process (judge.c, build_registry), from the shards' digests. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xshard.h"

#define NONE (-1)
#define SHARED (-2)

/* ---- a string -> owner map over borrowed keys (open addressing) ---- */

typedef struct xentry {
    const char *key;
    long owner;
} xentry;

typedef struct xmap {
    xentry *v;
    size_t cap;
} xmap;

static uint64_t hash(const char *s)
{
    uint64_t h = 1469598103934665603ull;

    while (*s)
        h = (h ^ (unsigned char)*s++) * 1099511628211ull;
    return h;
}

static void xmap_init(xmap *m, size_t n)
{
    m->cap = 16;
    while (m->cap < n * 2)
        m->cap <<= 1;
    m->v = gp_calloc(m->cap, sizeof *m->v);
}

static xentry *xmap_slot(const xmap *m, const char *key)
{
    size_t i = (size_t)hash(key) & (m->cap - 1);

    while (m->v[i].key && strcmp(m->v[i].key, key) != 0)
        i = (i + 1) & (m->cap - 1);
    return &m->v[i];
}

/* Claims key for owner; a second, different owner makes it shared. The map never fills:
 * it is sized for every key the digests hold. */
static void xmap_claim(xmap *m, const char *key, long owner)
{
    xentry *e;

    if (!key)
        return;
    e = xmap_slot(m, key);
    if (!e->key) {
        e->key = key;
        e->owner = owner;
    } else if (e->owner != owner) {
        e->owner = SHARED;
    }
}

static long xmap_get(const xmap *m, const char *key)
{
    const xentry *e;

    if (!key)
        return NONE;
    e = xmap_slot(m, key);
    return e->key ? e->owner : NONE;
}

/* ---- the set of shards ---- */

static json_t *shard_of(const gp_report_doc *d)
{
    return d->n ? json_object_get(d->scenarios[0].json, "shard") : NULL;
}

static unsigned uint_of(json_t *o, const char *key)
{
    return (unsigned)json_integer_value(json_object_get(o, key));
}

int gp_xshard_order(gp_report_doc **docs, const char *const *paths, size_t n, size_t *order,
                    gp_err *err)
{
    size_t d, k, nsharded = 0, first = 0, nmissing = 0;
    unsigned count = 0, total = 0;
    char missing[400] = "";

    for (d = 0; d < n; d++)
        if (shard_of(docs[d]) && nsharded++ == 0)
            first = d;
    if (!nsharded)
        return 0;
    count = uint_of(shard_of(docs[first]), "count");
    total = uint_of(shard_of(docs[first]), "users_total");
    for (d = 0; d < n; d++) {
        json_t *s = shard_of(docs[d]);

        if (!s) {
            gp_err_set(err, GP_EXIT_USAGE, NULL, 0, 0,
                       "%s is not a shard's report (no \"shard\"), but %s is shard %u/%u: "
                       "merge the shards of one run only",
                       paths[d], paths[first], uint_of(shard_of(docs[first]), "index"), count);
            return -1;
        }
        if (uint_of(s, "count") != count) {
            gp_err_set(err, GP_EXIT_USAGE, NULL, 0, 0,
                       "mixed shard counts: %s is shard %u/%u but %s is shard %u/%u", paths[first],
                       uint_of(shard_of(docs[first]), "index"), count, paths[d],
                       uint_of(s, "index"), uint_of(s, "count"));
            return -1;
        }
        if (uint_of(s, "users_total") != total) {
            gp_err_set(err, GP_EXIT_USAGE, NULL, 0, 0,
                       "%s is a shard of a run of %u users but %s of a run of %u: shards of "
                       "different runs",
                       paths[first], total, paths[d], uint_of(s, "users_total"));
            return -1;
        }
        if (!json_is_array(json_object_get(json_object_get(docs[d]->scenarios[0].json, "isolation"),
                                           "users"))) {
            gp_err_set(err, GP_EXIT_USAGE, NULL, 0, 0,
                       "%s (shard %u/%u) holds no isolation digest (\"isolation\"), so isolation "
                       "across shards cannot be judged",
                       paths[d], uint_of(s, "index"), count);
            return -1;
        }
    }
    for (k = 0; k < count; k++) {
        size_t found = n;

        for (d = 0; d < n; d++) {
            if (uint_of(shard_of(docs[d]), "index") != k)
                continue;
            if (found < n) {
                gp_err_set(err, GP_EXIT_USAGE, NULL, 0, 0, "shard %zu/%u twice: %s and %s", k,
                           count, paths[found], paths[d]);
                return -1;
            }
            found = d;
        }
        if (found == n) {
            size_t len = strlen(missing);

            if (nmissing++ < 8)
                snprintf(missing + len, sizeof missing - len, "%sshard %zu/%u", len ? ", " : "", k,
                         count);
            continue;
        }
        if (k < n)
            order[k] = found;
        /* Every scenario of the shard holds exactly its users, so that the merged users are
         * 0..total-1, each once. */
        for (size_t i = 0; i < docs[found]->n; i++) {
            const gp_report_scenario *sc = &docs[found]->scenarios[i];
            unsigned all = uint_of(json_object_get(sc->json, "shard"), "users_total");
            size_t want = all > k ? (all - k + count - 1) / count : 0, have = sc->results->nusers;
            const char *model =
                json_string_value(json_object_get(json_object_get(sc->json, "load"), "model"));

            /* A load shape: a soak's users run several times, an open model's dropped arrivals
             * not at all; the runs are checked against the shard's users below. */
            if (model && strcmp(model, "closed") != 0) {
                size_t j;

                for (j = 0; j < have; j++)
                    if (sc->results->users[j].index % count != k ||
                        sc->results->users[j].index >= all)
                        break;
                if (j == have && (strcmp(model, "open") != 0 || have <= want))
                    continue;
                gp_err_set(err, GP_EXIT_USAGE, NULL, 0, 0,
                           "%s (shard %zu/%u of a run of %u users) holds runs of \"%s\" that are "
                           "not that shard's",
                           paths[found], k, count, all, sc->name);
                return -1;
            }
            if (have != want) {
                gp_err_set(err, GP_EXIT_USAGE, NULL, 0, 0,
                           "%s (shard %zu/%u of a run of %u users) holds %zu users of \"%s\" "
                           "where that shard has %zu",
                           paths[found], k, count, all, have, sc->name, want);
                return -1;
            }
        }
    }
    if (nmissing) {
        gp_err_set(err, GP_EXIT_USAGE, NULL, 0, 0, "%s%s missing: merge needs all %u shards",
                   missing, nmissing > 8 ? " and more" : "", count);
        return -1;
    }
    return 1;
}

/* ---- isolation across shards ---- */

typedef struct xjudge {
    gp_results *res;
    gp_shard_leaks *leaks;
    unsigned count; /* shards: user g ran in shard res->users[g].index % count */
    xmap users, nonces, threads, runs;
    json_t **digest; /* by global index, borrowed */
    size_t n;
} xjudge;

static unsigned long shard_of_user(const xjudge *x, long g)
{
    return (unsigned long)(g >= 0 && (size_t)g < x->res->nusers ? x->res->users[g].index : 0) %
           x->count;
}

static const char *uid(const xjudge *x, long g)
{
    return g >= 0 && (size_t)g < x->res->nusers && x->res->users[g].user_id
               ? x->res->users[g].user_id
               : "another user";
}

/* A leak in user g's run window run (-1: outside any): the run no longer passed, and the leak
 * cause counts once per run, as one process counts them. */
static void leak_run(xjudge *x, size_t g, int run)
{
    json_t *du = x->digest[g],
           *rs = run >= 0 ? json_array_get(json_object_get(du, "runs"), (size_t)run) : NULL;

    if (rs) {
        if (json_is_true(json_array_get(rs, 0)) && x->res->runs_passed) {
            x->res->runs_passed--;
            json_array_set_new(rs, 0, json_false());
        }
        if (!json_is_true(json_array_get(rs, 1))) {
            x->res->causes[GP_CAUSE_LEAK]++;
            json_array_set_new(rs, 1, json_true());
        }
    } else if (run >= 0 || !json_is_true(json_object_get(du, "leak_outside"))) {
        x->res->causes[GP_CAUSE_LEAK]++; /* a run beyond the digest's bound: counted each time */
        if (run < 0)
            json_object_set_new(du, "leak_outside", json_true());
    }
}

/* True when cause names a failure of a rule the judge checks after its pass over the frames
 * (judge.c: connects, then frames, then runs, late events and expect steps). */
static bool judged_later(const char *cause)
{
    static const gp_rule first[] = {GP_RULE_CONNECT, GP_RULE_AUTH, GP_RULE_R7_FRAMES,
                                    GP_RULE_R6_ISOLATION};
    size_t i, len;

    for (i = 0; i < sizeof first / sizeof first[0]; i++) {
        len = strlen(gp_rule_id(first[i]));
        if (strncmp(cause, gp_rule_id(first[i]), len) == 0 && cause[len] == ':')
            return false;
    }
    return strncmp(cause, "GP-", 3) == 0 && !strstr(cause, " inconclusive: ");
}

/* Fails user g for a leak from owner's run: the same verdict one process would reach. */
static bool leak(xjudge *x, size_t g, long owner, int run, int step, size_t frame, const char *what)
{
    gp_rule_result *rr = &x->res->rules[GP_RULE_R6_ISOLATION];
    gp_user_result *u = &x->res->users[g];
    uint32_t bit = 1u << GP_RULE_R6_ISOLATION;
    char *exp, *why;
    size_t i;

    why = gp_asprintf("%s (user %s ran in shard %lu/%u, user %s in shard %lu/%u)", what,
                      uid(x, owner), shard_of_user(x, owner), x->count,
                      u->user_id ? u->user_id : "?", shard_of_user(x, (long)g), x->count);
    if (shard_of_user(x, owner) != shard_of_user(x, (long)g)) {
        x->leaks->total++;
        if (x->leaks->n < GP_MAX_EXAMPLES) {
            gp_failure *f = &x->leaks->examples[x->leaks->n++];

            f->user = g;
            f->step = step;
            f->frame = frame;
            f->expected =
                gp_asprintf("only events of %s's own runs", u->user_id ? u->user_id : "the user");
            f->received = gp_strdup(why);
        }
    }
    leak_run(x, g, run);
    if (u->failed_rules & bit) {
        /* Failed in its own shard already: one run's example is the user's earliest leak. */
        for (i = 0; i < rr->nexamples; i++) {
            gp_failure *f = &rr->examples[i];

            if (f->user == g && (f->frame == GP_NO_FRAME || frame < f->frame)) {
                free(f->received);
                f->received = why;
                f->frame = frame;
                f->step = step;
                return false;
            }
        }
        free(why);
        return false;
    }
    if (!(u->inconclusive_rules & bit)) {
        if (rr->passed)
            rr->passed--;
        else
            rr->checked++;
    }
    exp = gp_asprintf("only events of %s's own runs", u->user_id ? u->user_id : "the user");
    gp_results_fail(x->res, GP_RULE_R6_ISOLATION, g, step, frame, exp, why);
    if (u->cause && judged_later(u->cause)) {
        /* One process finds a leak in its pass over the frames, before it judges the runs
         * and expect steps: the leak is the user's first failure. */
        free(u->cause);
        u->cause =
            gp_asprintf("%s: expected %s, received %s", gp_rule_id(GP_RULE_R6_ISOLATION), exp, why);
    }
    free(exp);
    free(why);
    return true;
}

static const char *str(json_t *o, const char *key)
{
    return json_string_value(json_object_get(o, key));
}

/* The user other than g who owns the identity of unattributed entry e, as judge.c finds it
 * in one process, or NONE. */
static long owner_of(const xjudge *x, size_t g, json_t *e)
{
    const char *own = str(x->digest[g], "id");
    const char *rid = str(e, "run_id"), *tid = str(e, "thread_id"), *ouid = str(e, "user_id");
    long ro = xmap_get(&x->runs, rid), to = xmap_get(&x->threads, tid),
         uo = ouid && (!own || strcmp(ouid, own) != 0) ? xmap_get(&x->users, ouid) : NONE;

    /* another iteration of the same user owns nothing foreign to it by user id */
    if (uo >= 0 && x->res->users[uo].index == x->res->users[g].index)
        uo = NONE;
    return ro >= 0 && (size_t)ro != g   ? ro
           : to >= 0 && (size_t)to != g ? to
           : uo >= 0 && (size_t)uo != g ? uo
                                        : NONE;
}

json_t *gp_xshard_alt(json_t *du, unsigned nobody)
{
    json_t *alt = json_object_get(du, "alt"), *e;
    size_t i, k = 0;

    json_array_foreach(json_object_get(du, "unattributed"), i, e) k +=
        json_is_true(json_object_get(e, "held"));
    if (!nobody || !json_is_array(alt) || k == 0 || k > 8 || json_array_size(alt) != (1u << k) ||
        nobody >= (1u << k))
        return NULL;
    return json_array_get(alt, nobody);
}

static uint32_t rule_mask(json_t *a)
{
    uint32_t m = 0;
    size_t i;
    json_t *v;

    json_array_foreach(a, i, v)
    {
        int r = gp_rule_from_id(json_string_value(v) ? json_string_value(v) : "");

        if (r >= 0)
            m |= 1u << r;
    }
    return m;
}

static size_t add(size_t v, long d)
{
    return d < 0 && (size_t)-d > v ? 0 : (size_t)((long)v + d);
}

/* Adds (sign 1) or takes out (-1) verdict v's counts. */
static void count_verdict(gp_results *res, json_t *v, long sign)
{
    uint32_t checked = rule_mask(json_object_get(v, "checked")),
             failed = rule_mask(json_object_get(v, "failed")),
             inconcl = rule_mask(json_object_get(v, "inconclusive"));
    const char *name;
    json_t *n;
    int r;

    for (r = 0; r < GP_RULE__COUNT; r++) {
        gp_rule_result *rr = &res->rules[r];
        uint32_t bit = 1u << r;

        if (!(checked & bit))
            continue;
        rr->checked = add(rr->checked, sign);
        if (failed & bit)
            rr->failed = add(rr->failed, sign);
        else if (inconcl & bit)
            rr->inconclusive = add(rr->inconclusive, sign);
        else
            rr->passed = add(rr->passed, sign);
    }
    json_object_foreach(json_object_get(v, "causes"), name, n)
    {
        int c = gp_cause_from_name(name);

        if (c >= 0)
            res->causes[c] = add((size_t)res->causes[c], sign * (long)json_integer_value(n));
    }
    res->runs_passed =
        add(res->runs_passed, sign * (long)json_integer_value(json_object_get(v, "runs_passed")));
    json_object_foreach(json_object_get(v, "tools"), name, n)
    {
        size_t i, k = res->ntools;

        if (sign > 0) {
            gp_results_add_tool(res, name, (uint64_t)json_integer_value(n));
            continue;
        }
        for (i = 0; i < res->ntools && k == res->ntools; i++)
            if (strcmp(res->tools[i].name, name) == 0)
                k = i;
        for (i = 0; i < res->ntools && k == res->ntools; i++)
            if (strcmp(res->tools[i].name, GP_OTHER_TOOLS) == 0)
                k = i;
        if (k == res->ntools)
            continue;
        res->tools[k].count = add((size_t)res->tools[k].count, -(long)json_integer_value(n));
        if (!res->tools[k].count) { /* one process never saw it */
            free(res->tools[k].name);
            memmove(&res->tools[k], &res->tools[k + 1], (res->ntools - k - 1) * sizeof *res->tools);
            res->ntools--;
        }
    }
}

/* Takes user g's examples out of a rule's list. */
static void drop_examples(gp_failure *ex, size_t *n, size_t g)
{
    size_t i, k = 0;

    for (i = 0; i < *n; i++) {
        if (ex[i].user == g) {
            free(ex[i].expected);
            free(ex[i].received);
            free(ex[i].cause);
            continue;
        }
        ex[k++] = ex[i];
    }
    *n = k;
}

static int cmp_example(const void *a, const void *b)
{
    const gp_failure *x = a, *y = b;

    return x->user < y->user ? -1 : x->user > y->user;
}

/* Adds user g's example e, keeping the examples of the lowest users, in user order (as one
 * run keeps them). */
static void put_example(gp_failure *ex, size_t *n, size_t g, json_t *e)
{
    gp_failure *f;
    size_t i, worst = 0;
    json_t *frame = json_object_get(e, "frame");

    if (*n < GP_MAX_EXAMPLES) {
        f = &ex[(*n)++];
    } else {
        for (i = 1; i < *n; i++)
            if (ex[i].user > ex[worst].user)
                worst = i;
        if (ex[worst].user < g)
            return;
        f = &ex[worst];
        free(f->expected);
        free(f->received);
        free(f->cause);
    }
    f->user = g;
    f->step = (int)json_integer_value(json_object_get(e, "step"));
    f->frame = json_is_integer(frame) ? (size_t)json_integer_value(frame) : GP_NO_FRAME;
    f->expected = gp_strdup(str(e, "expected") ? str(e, "expected") : "");
    f->received = gp_strdup(str(e, "received") ? str(e, "received") : "");
    f->cause = str(e, "cause") ? gp_strdup(str(e, "cause")) : NULL;
    qsort(ex, *n, sizeof *ex, cmp_example);
}

void gp_xshard_apply_alt(gp_results *res, size_t g, json_t *du, json_t *alt)
{
    gp_user_result *u = &res->users[g];
    json_t *e, *runs = json_object_get(alt, "runs");
    size_t i;
    int r;

    count_verdict(res, json_array_get(json_object_get(du, "alt"), 0), -1);
    count_verdict(res, alt, 1);
    for (r = 0; r < GP_RULE__COUNT; r++) {
        drop_examples(res->rules[r].examples, &res->rules[r].nexamples, g);
        drop_examples(res->rules[r].inconclusive_examples, &res->rules[r].ninconclusive, g);
    }
    json_array_foreach(json_object_get(alt, "examples"), i, e)
    {
        gp_rule_result *rr;

        if ((r = gp_rule_from_id(str(e, "rule") ? str(e, "rule") : "")) < 0)
            continue;
        rr = &res->rules[r];
        if (str(e, "cause"))
            put_example(rr->inconclusive_examples, &rr->ninconclusive, g, e);
        else
            put_example(rr->examples, &rr->nexamples, g, e);
    }
    u->failed_rules = rule_mask(json_object_get(alt, "failed"));
    u->inconclusive_rules = rule_mask(json_object_get(alt, "inconclusive")) & ~u->failed_rules;
    u->passed = !u->not_started && !u->failed_rules && !u->inconclusive_rules;
    u->runs_completed = (size_t)json_integer_value(json_object_get(alt, "runs_completed"));
    free(u->cause);
    u->cause = str(alt, "cause") ? gp_strdup(str(alt, "cause")) : NULL;
    if (json_is_array(runs))
        json_object_set_new(du, "runs", json_deep_copy(runs));
    json_object_set_new(du, "leak_outside",
                        json_boolean(json_is_true(json_object_get(alt, "leak_outside"))));
}

/* A user that held events some of whose identities nobody in the whole run owns: one process
 * judged those events inside the run, so the shard's alternative verdict for them replaces
 * its own before the leaks are added. */
static void apply_nobody(xjudge *x, size_t g)
{
    json_t *du = x->digest[g], *e, *alt;
    unsigned nobody = 0, bit = 0;
    size_t i;

    if (!json_object_get(du, "alt"))
        return;
    json_array_foreach(json_object_get(du, "unattributed"), i, e)
    {
        if (!json_is_true(json_object_get(e, "held")))
            continue;
        if (bit < 31 && owner_of(x, g, e) == NONE)
            nobody |= 1u << bit;
        bit++;
    }
    if ((alt = gp_xshard_alt(du, nobody)))
        gp_xshard_apply_alt(x->res, g, du, alt);
}

static size_t judge_user(xjudge *x, size_t g)
{
    json_t *du = x->digest[g], *e;
    size_t i, flagged = 0;

    json_array_foreach(json_object_get(du, "unattributed"), i, e)
    {
        const char *rid = str(e, "run_id"), *tid = str(e, "thread_id"), *ouid = str(e, "user_id");
        long owner = owner_of(x, g, e);
        char *what;

        if (owner == NONE)
            continue;
        what = gp_asprintf(
            "%s of user %s's run %s (thread %s) %s%s", str(e, "type") ? str(e, "type") : "an event",
            uid(x, owner), rid ? rid : "(no run_id)", tid ? tid : "(none)",
            ouid ? "with user_id " : "without another user's user_id", ouid ? ouid : "");
        flagged += leak(x, g, owner, (int)json_integer_value(json_object_get(e, "run")),
                        (int)json_integer_value(json_object_get(e, "step")),
                        (size_t)json_integer_value(json_object_get(e, "frame")), what);
        free(what);
    }
    json_array_foreach(json_object_get(du, "nonce_tokens"), i, e)
    {
        long owner = xmap_get(&x->nonces, str(e, "token"));
        char *what;

        if (owner < 0 || (size_t)owner == g)
            continue;
        what = gp_asprintf("a frame containing the nonce of user %s", uid(x, owner));
        flagged += leak(x, g, owner, (int)json_integer_value(json_object_get(e, "run")),
                        (int)json_integer_value(json_object_get(e, "step")),
                        (size_t)json_integer_value(json_object_get(e, "frame")), what);
        free(what);
    }
    return flagged;
}

size_t gp_xshard_judge(gp_results *res, json_t **digest, size_t n, gp_shard_leaks *leaks)
{
    xjudge x;
    xmap fb_runs, fb_threads;
    size_t g, i, keys = 0, flagged = 0;
    json_t *du, *e;

    memset(&x, 0, sizeof x);
    x.res = res;
    x.leaks = leaks;
    memset(leaks, 0, sizeof *leaks);
    x.count = (unsigned)n;
    x.n = res->nusers;
    x.digest = digest;
    for (g = 0; g < x.n; g++) {
        if (!(du = x.digest[g]))
            continue;
        keys += 2 + json_array_size(json_object_get(du, "threads")) +
                2 * json_array_size(json_object_get(du, "started"));
    }
    xmap_init(&x.users, keys);
    xmap_init(&x.nonces, keys);
    xmap_init(&x.threads, keys);
    xmap_init(&x.runs, keys);
    xmap_init(&fb_runs, keys);
    xmap_init(&fb_threads, keys);
    for (g = 0; g < x.n; g++) {
        if (!(du = x.digest[g]))
            continue;
        /* A soak's iterations share their user's id: its first iteration holds it. */
        if (g == 0 || res->users[g - 1].index != res->users[g].index)
            xmap_claim(&x.users, str(du, "id"), (long)g);
        if (str(du, "nonce") && strlen(str(du, "nonce")) >= 8)
            xmap_claim(&x.nonces, str(du, "nonce"), (long)g);
        json_array_foreach(json_object_get(du, "threads"), i, e)
            xmap_claim(&x.threads, json_string_value(e), (long)g);
    }
    /* Runs belong to their thread's owner; failing that, to the receiver that began a run and
     * got it under its own user_id (judge.c's fallback), unless two claim it. */
    for (g = 0; g < x.n; g++) {
        json_array_foreach(x.digest[g] ? json_object_get(x.digest[g], "started") : NULL, i, e)
        {
            const char *rid = json_string_value(json_array_get(e, 0)),
                       *tid = json_string_value(json_array_get(e, 1));
            long owner = xmap_get(&x.threads, tid);

            if (owner >= 0) {
                xmap_claim(&x.runs, rid, owner);
            } else if (owner == NONE && json_is_true(json_array_get(e, 2))) {
                xmap_claim(&fb_runs, rid, (long)g);
                xmap_claim(&fb_threads, tid, (long)g);
            }
        }
    }
    for (i = 0; i < fb_runs.cap; i++)
        if (fb_runs.v[i].key && xmap_get(&x.runs, fb_runs.v[i].key) == NONE)
            xmap_claim(&x.runs, fb_runs.v[i].key, fb_runs.v[i].owner);
    for (i = 0; i < fb_threads.cap; i++)
        if (fb_threads.v[i].key && xmap_get(&x.threads, fb_threads.v[i].key) == NONE)
            xmap_claim(&x.threads, fb_threads.v[i].key, fb_threads.v[i].owner);
    for (g = 0; g < x.n; g++)
        if (x.digest[g])
            apply_nobody(&x, g);
    for (g = 0; g < x.n; g++)
        if (x.digest[g])
            flagged += judge_user(&x, g);
    free(fb_runs.v);
    free(fb_threads.v);
    free(x.users.v);
    free(x.nonces.v);
    free(x.threads.v);
    free(x.runs.v);
    return flagged;
}

void gp_xshard_rows(gp_shard_row *rows, const gp_results *res, gp_report_doc **docs,
                    const size_t *order, size_t n, size_t si)
{
    size_t k, g;

    for (k = 0; k < n; k++) {
        const gp_report_scenario *s = &docs[order[k]]->scenarios[si];
        json_t *sj = json_object_get(s->json, "shard");
        gp_shard_row *r = &rows[k];

        memset(r, 0, sizeof *r);
        r->shard.index = (unsigned)k;
        r->shard.count = (unsigned)n;
        snprintf(r->shard.source, sizeof r->shard.source, "%s",
                 str(sj, "source") ? str(sj, "source") : "?");
        r->first_user_at_us = (int64_t)json_integer_value(json_object_get(sj, "first_user_at_us"));
        r->lag_known = s->health.measured;
        r->lag_p99_us = s->health.lag_p99_us;
        r->lag_max_us = s->health.lag_max_us;
    }
    for (g = 0; g < res->nusers; g++) {
        gp_shard_row *r = &rows[res->users[g].index % n];

        r->users++;
        if (gp_user_status(&res->users[g]) == GP_STATUS_PASSED)
            r->users_passed++;
    }
}
