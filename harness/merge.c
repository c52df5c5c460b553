/* merge.c - one report from reports of the same scenarios run in parts (CI shards), as a pure
 * function: counts add, histograms merge exactly, users and failure examples are concatenated
 * with their indices shifted; the harness's health keeps the worst lag, adds CPU and keeps
 * every stall. It does not judge again (except isolation across shards) and prints nothing
 * but the summary it is asked for; compare_cli.c is the command. */
#include <stdlib.h>
#include <string.h>

#include "merge.h"
#include "report.h"
#include "report_read.h"
#include "report_util.h"
#include "timeseries.h"
#include "xshard.h"

static void copy_example(gp_failure *f, const gp_failure *src, size_t user)
{
    *f = *src;
    f->user = user;
    f->expected = gp_strdup(src->expected ? src->expected : "");
    f->received = gp_strdup(src->received ? src->received : "");
    f->cause = src->cause ? gp_strdup(src->cause) : NULL;
}

/* Parts: src's users follow dst's (offset). Shards (pos non-NULL): src's user j lands at
 * pos[j] among the merged users (global index order, a soak's iterations in order), and the
 * examples kept are those of the lowest users, as one run keeps them. */
static void copy_examples(gp_failure *dst, size_t *nd, const gp_failure *src, size_t ns,
                          size_t offset, const size_t *pos, size_t nusers)
{
    size_t j, k, worst;
    const size_t *users = pos;

    for (j = 0; j < ns; j++) {
        size_t user = offset + src[j].user;

        if (users)
            user = src[j].user < nusers ? pos[src[j].user] : src[j].user;
        if (*nd < GP_MAX_EXAMPLES) {
            copy_example(&dst[(*nd)++], &src[j], user);
            continue;
        }
        if (!users)
            break;
        for (k = 1, worst = 0; k < *nd; k++)
            if (dst[k].user > dst[worst].user)
                worst = k;
        if (dst[worst].user > user) {
            free(dst[worst].expected);
            free(dst[worst].received);
            free(dst[worst].cause);
            copy_example(&dst[worst], &src[j], user);
        }
    }
}

/* Adds src into dst; src's users become dst's users offset.., or (shards: pos non-NULL, dst's
 * users allocated for every shard's) keep their global indexes and land at pos[i]. */
static void merge_results(gp_results *dst, const gp_results *src, size_t offset, const size_t *pos)
{
    size_t i;
    bool global = pos != NULL;

    if (!global)
        dst->users = gp_realloc(dst->users, (dst->nusers + src->nusers + 1) * sizeof *dst->users);
    for (i = 0; i < src->nusers; i++) {
        gp_user_result *u = &dst->users[global ? pos[i] : dst->nusers + i];

        *u = src->users[i];
        u->index = global ? src->users[i].index : offset + src->users[i].index;
        u->user_id = src->users[i].user_id ? gp_strdup(src->users[i].user_id) : NULL;
        u->cause = src->users[i].cause ? gp_strdup(src->users[i].cause) : NULL;
    }
    dst->nusers += src->nusers;
    for (i = 0; i < GP_RULE__COUNT; i++) {
        gp_rule_result *d = &dst->rules[i];
        const gp_rule_result *s = &src->rules[i];

        d->checked += s->checked;
        d->passed += s->passed;
        d->failed += s->failed;
        d->inconclusive += s->inconclusive;
        copy_examples(d->examples, &d->nexamples, s->examples, s->nexamples, offset, pos,
                      src->nusers);
        copy_examples(d->inconclusive_examples, &d->ninconclusive, s->inconclusive_examples,
                      s->ninconclusive, offset, pos, src->nusers);
    }
    for (i = 0; i < GP_CAUSE__COUNT; i++)
        dst->causes[i] += src->causes[i];
    for (i = 0; i < GP_EV_GOLDEN_COUNT; i++)
        gp_hist_merge(&dst->latency[i], &src->latency[i]);
    gp_hist_merge(&dst->gaps, &src->gaps);
    gp_hist_merge(&dst->tool_duration, &src->tool_duration);
    gp_hist_merge(&dst->run_duration, &src->run_duration);
    for (i = 0; i < GP_EV__COUNT; i++)
        dst->event_counts[i] += src->event_counts[i];
    for (i = 0; i < src->ntools; i++)
        gp_results_add_tool(dst, src->tools[i].name, src->tools[i].count);
    /* Series of different intervals, or a part without one, cannot be added exactly: the
     * merged report then has none. dst starts empty (no runs) before the first part. */
    if (!dst->series_mismatch && ((!src->series && (dst->series || dst->runs_total)) ||
                                  (src->series && !dst->series && dst->runs_total) ||
                                  gp_series_merge(&dst->series, src->series) != 0)) {
        gp_series_free(dst->series);
        dst->series = NULL;
        dst->series_mismatch = true;
    }
    dst->runs_total += src->runs_total;
    dst->runs_passed += src->runs_passed;
    dst->connections += src->connections;
    dst->deflate_offered += src->deflate_offered;
    dst->deflate_negotiated += src->deflate_negotiated;
    dst->tls |= src->tls;
    dst->tls_insecure |= src->tls_insecure;
    dst->tls_client_cert |= src->tls_client_cert;
}

/* Appends src's transcripts (users shifted by offset, or given their global index from
 * shard's results) to dst, within the report's bound (shards: sort_transcripts bounds them).
 * dst's failing_users already counts the merged users; truncated is settled by the caller. */
static bool merge_transcripts(json_t *dst, json_t *src, size_t offset, const size_t *pos,
                              size_t npos)
{
    json_t *du = json_object_get(dst, "users"), *su = json_object_get(src, "users"), *t;
    size_t i;
    bool cut = json_is_true(json_object_get(src, "truncated"));

    json_array_foreach(su, i, t)
    {
        json_t *copy;
        size_t user = (size_t)json_integer_value(json_object_get(t, "user"));

        if (!pos && json_array_size(du) >= GP_REPORT_MAX_TRANSCRIPTS)
            return true;
        copy = json_deep_copy(t);
        /* a shard's user is its merged position (the global index, or for a load shape the
         * place of that run among all the runs, as one process numbers them) */
        user = pos ? (user < npos ? pos[user] : user) : offset + user;
        json_object_set_new(copy, "user", json_integer((json_int_t)user));
        json_array_append_new(du, copy);
    }
    return cut;
}

static int cmp_transcript(const void *a, const void *b)
{
    json_int_t x = json_integer_value(json_object_get(*(json_t *const *)a, "user")),
               y = json_integer_value(json_object_get(*(json_t *const *)b, "user"));

    return x < y ? -1 : x > y;
}

/* Shards: the transcripts of the lowest failing users, in user order, as one run keeps them. */
static bool sort_transcripts(json_t *tr)
{
    json_t *du = json_object_get(tr, "users"), **v, *sorted = json_array();
    size_t n = json_array_size(du), i;

    v = gp_calloc(n ? n : 1, sizeof *v);
    for (i = 0; i < n; i++)
        v[i] = json_array_get(du, i);
    qsort(v, n, sizeof *v, cmp_transcript);
    for (i = 0; i < n && i < GP_REPORT_MAX_TRANSCRIPTS; i++)
        json_array_append(sorted, v[i]);
    free(v);
    json_object_set_new(tr, "users", sorted);
    return n > GP_REPORT_MAX_TRANSCRIPTS;
}

/* A shard's user (a soak: an iteration) before the merge places it. */
typedef struct shard_user {
    size_t index, shard, pos;
} shard_user;

static int cmp_shard_user(const void *a, const void *b)
{
    const shard_user *x = a, *y = b;

    /* A user runs in one shard, its iterations there in order: ties keep their shard order. */
    if (x->index != y->index)
        return x->index < y->index ? -1 : 1;
    if (x->shard != y->shard)
        return x->shard < y->shard ? -1 : 1;
    return x->pos < y->pos ? -1 : x->pos > y->pos;
}

/* Shards: where each shard's users (runs) land among the merged ones, in global index then
 * iteration order as one process has them: pos[d][j] for shard d's user j. Also the shards'
 * isolation digests, aligned with the merged users (*digest, borrowed; NULL where missing). */
static size_t **shard_positions(gp_report_doc **docs, size_t n, size_t si, size_t *total,
                                json_t ***digest)
{
    size_t d, j, k = 0, all = 0;
    shard_user *v;
    size_t **pos = gp_calloc(n, sizeof *pos);

    for (d = 0; d < n; d++)
        all += docs[d]->scenarios[si].results->nusers;
    v = gp_calloc(all ? all : 1, sizeof *v);
    for (d = 0; d < n; d++) {
        const gp_results *r = docs[d]->scenarios[si].results;

        pos[d] = gp_calloc(r->nusers ? r->nusers : 1, sizeof **pos);
        for (j = 0; j < r->nusers; j++, k++) {
            v[k].index = r->users[j].index;
            v[k].shard = d;
            v[k].pos = j;
        }
    }
    qsort(v, all, sizeof *v, cmp_shard_user);
    *digest = gp_calloc(all ? all : 1, sizeof **digest);
    for (k = 0; k < all; k++) {
        json_t *users = json_object_get(
            json_object_get(docs[v[k].shard]->scenarios[si].json, "isolation"), "users");

        pos[v[k].shard][v[k].pos] = k;
        /* a shard's digest holds its users in the order of its results */
        (*digest)[k] = json_array_get(users, v[k].pos);
    }
    free(v);
    *total = all;
    return pos;
}

static int cmp_example(const void *a, const void *b)
{
    const gp_failure *x = a, *y = b;

    return x->user < y->user ? -1 : x->user > y->user;
}

/* Shards: examples by user, as one run has them (the users are in place already). */
static void sort_shard_results(gp_results *r)
{
    size_t i;

    for (i = 0; i < GP_RULE__COUNT; i++) {
        qsort(r->rules[i].examples, r->rules[i].nexamples, sizeof(gp_failure), cmp_example);
        qsort(r->rules[i].inconclusive_examples, r->rules[i].ninconclusive, sizeof(gp_failure),
              cmp_example);
    }
}

static int cmp_stall(const void *a, const void *b)
{
    const gp_stall *x = a, *y = b;

    return x->from_us < y->from_us ? -1 : x->from_us > y->from_us;
}

/* The health of scenario i over all parts: the worst lag of any part, CPU time and workers
 * added, busy as total CPU over the workers' total wall time, and every part's stalls moved
 * onto the merged run's clock (which starts at the earliest part). Unmeasured when no part
 * was measured. */
static void merge_health(gp_health *h, gp_report_doc **docs, size_t n, size_t i, int64_t start)
{
    gp_stall *all = NULL;
    size_t nall = 0, d, k;
    double capacity = 0;

    memset(h, 0, sizeof *h);
    for (d = 0; d < n; d++) {
        const gp_report_scenario *s = &docs[d]->scenarios[i];
        const gp_health *p = &s->health;
        int64_t shift = s->started_wall_us - start;

        if (!p->measured)
            continue;
        h->measured = true;
        h->workers += p->workers;
        if (p->lag_p50_us > h->lag_p50_us)
            h->lag_p50_us = p->lag_p50_us;
        if (p->lag_p99_us > h->lag_p99_us)
            h->lag_p99_us = p->lag_p99_us;
        if (p->lag_max_us > h->lag_max_us)
            h->lag_max_us = p->lag_max_us;
        h->cpu_user_s += p->cpu_user_s;
        h->cpu_sys_s += p->cpu_sys_s;
        if (p->cpu_busy > h->cpu_busy)
            h->cpu_busy = p->cpu_busy;
        capacity += (double)s->duration_us / 1e6 * (p->workers ? p->workers : 1);
        all = gp_realloc(all, (nall + p->nstalls + 1) * sizeof *all);
        for (k = 0; k < p->nstalls; k++) {
            all[nall] = p->stalls[k];
            all[nall].from_us += shift;
            all[nall].to_us += shift;
            nall++;
        }
    }
    if (capacity > 0)
        h->cpu_busy = (h->cpu_user_s + h->cpu_sys_s) / capacity;
    if (nall)
        qsort(all, nall, sizeof *all, cmp_stall);
    for (k = 0; k < nall; k++)
        gp_health_add_stall(h, all[k].from_us, all[k].to_us, all[k].lag_us);
    free(all);
}

static int same_scenarios(gp_report_doc *const *docs, const char *const *paths, size_t n,
                          gp_err *err)
{
    size_t d, i;

    for (d = 1; d < n; d++) {
        if (docs[d]->n != docs[0]->n) {
            gp_err_set(err, GP_EXIT_USAGE, NULL, 0, 0,
                       "%s holds %zu scenarios and %s holds %zu: only reports of the same "
                       "scenarios merge",
                       paths[0], docs[0]->n, paths[d], docs[d]->n);
            return -1;
        }
        for (i = 0; i < docs[0]->n; i++) {
            const gp_report_scenario *a = &docs[0]->scenarios[i], *b = &docs[d]->scenarios[i];

            if (strcmp(a->name, b->name) != 0 || strcmp(a->digest, b->digest) != 0) {
                /* Names and digests come from the files: escaped for the terminal, cut on a
                 * character boundary. */
                char *na = gp_term_safe(a->name, 200), *da = gp_term_safe(a->digest, 12),
                     *nb = gp_term_safe(b->name, 200), *db = gp_term_safe(b->digest, 12);

                gp_err_set(err, GP_EXIT_USAGE, NULL, 0, 0,
                           "scenario %zu is \"%s\" (digest %s) in %s but \"%s\" (digest %s) "
                           "in %s: only parts of the same scenario merge",
                           i + 1, na, da, paths[0], nb, db, paths[d]);
                free(na);
                free(da);
                free(nb);
                free(db);
                return -1;
            }
        }
    }
    return 0;
}

struct gp_merge_state {
    size_t ns; /* scenarios */
    gp_suite *suites;
    gp_scenario *scs;
    gp_kv **labels;
    gp_results **res;
    gp_health *health;
    gp_shard_row **rows;
    gp_shard_leaks *leaks;
};

static void state_free(gp_merge_state *st)
{
    size_t i;

    if (!st)
        return;
    for (i = 0; i < st->ns; i++) {
        gp_results_free(st->res[i]);
        gp_health_cleanup(&st->health[i]);
        free(st->labels[i]);
        free(st->rows[i]);
        gp_shard_leaks_cleanup(&st->leaks[i]);
    }
    free(st->rows);
    free(st->leaks);
    free(st->health);
    free(st->res);
    free(st->labels);
    free(st->scs);
    free(st->suites);
    free(st);
}

/* The load shape (issue 9) of the parts, kept: its settings are the first part's, what the run
 * made of them (arrivals, dropped arrivals, iterations) the parts' sums. */
static void merge_load(json_t *dst, gp_report_doc **docs, size_t n, size_t si)
{
    static const char *const sums[] = {"arrivals_total", "dropped_arrivals", "iterations"};
    json_t *load = json_object_get(docs[0]->scenarios[si].json, "load");
    size_t d, k;

    if (!json_is_object(load) || !dst)
        return;
    load = json_deep_copy(load);
    for (k = 0; k < sizeof sums / sizeof *sums; k++) {
        json_int_t sum = 0;

        if (!json_object_get(load, sums[k]))
            continue;
        for (d = 0; d < n; d++)
            sum += json_integer_value(
                json_object_get(json_object_get(docs[d]->scenarios[si].json, "load"), sums[k]));
        json_object_set_new(load, sums[k], json_integer(sum));
    }
    json_object_set_new(dst, "load", load);
}

/* Builds m's suites from docs (in shard order when sharded) and the merged JSON report. */
static void merge_docs(gp_merged *m, gp_report_doc **docs, const char *const *paths, size_t n)
{
    size_t ns = docs[0]->n, i, d;
    gp_merge_state *st = gp_calloc(1, sizeof *st);
    size_t *order = gp_calloc(n, sizeof *order);
    /* per scenario, where each shard's users land (sharded only): for the results, then for
     * the transcripts */
    size_t ***spos = gp_calloc(ns ? ns : 1, sizeof *spos);
    json_t *root, *from = json_array();
    bool sharded = m->sharded;

    m->st = st;
    st->ns = ns;
    st->suites = gp_calloc(ns ? ns : 1, sizeof *st->suites);
    st->scs = gp_calloc(ns ? ns : 1, sizeof *st->scs);
    st->labels = gp_calloc(ns ? ns : 1, sizeof *st->labels);
    st->res = gp_calloc(ns ? ns : 1, sizeof *st->res);
    st->health = gp_calloc(ns ? ns : 1, sizeof *st->health);
    st->rows = gp_calloc(ns ? ns : 1, sizeof *st->rows);
    st->leaks = gp_calloc(ns ? ns : 1, sizeof *st->leaks);
    for (i = 0; i < ns; i++) {
        const gp_report_scenario *first = &docs[0]->scenarios[i];
        json_t *lj = json_object_get(first->json, "labels"), *v;
        int64_t start = first->started_wall_us, end = start + first->duration_us;
        unsigned users = 0;
        bool interrupted = false;
        size_t offset = 0, k = 0, all = 0, **pos = NULL;
        json_t **digest = NULL;
        const char *key;
        gp_suite *su = &st->suites[i];

        st->scs[i].name = first->name;
        st->scs[i].path = first->path;
        snprintf(st->scs[i].digest, sizeof st->scs[i].digest, "%s", first->digest);
        st->res[i] = gp_results_new(0);
        if (sharded) {
            pos = spos[i] = shard_positions(docs, n, i, &all, &digest);
            free(st->res[i]->users);
            st->res[i]->users = gp_calloc(all + 1, sizeof *st->res[i]->users);
        }
        for (d = 0; d < n; d++) {
            const gp_report_scenario *s = &docs[d]->scenarios[i];

            merge_results(st->res[i], s->results, offset, sharded ? pos[d] : NULL);
            offset += s->results->nusers;
            users += s->users;
            interrupted = interrupted || s->interrupted;
            if (s->started_wall_us < start)
                start = s->started_wall_us;
            if (s->started_wall_us + s->duration_us > end)
                end = s->started_wall_us + s->duration_us;
        }
        if (sharded) {
            for (d = 0; d < n; d++)
                order[d] = d;
            sort_shard_results(st->res[i]);
            gp_xshard_judge(st->res[i], digest, n, &st->leaks[i]);
            su->meta.shard_leaks = &st->leaks[i];
            st->rows[i] = gp_calloc(n, sizeof **st->rows);
            gp_xshard_rows(st->rows[i], st->res[i], docs, order, n, i);
            su->meta.shards = st->rows[i];
            su->meta.nshards = n;
            free(digest);
        }
        st->labels[i] = gp_calloc(json_object_size(lj) + 1, sizeof **st->labels);
        json_object_foreach(lj, key, v)
        {
            st->labels[i][k].key = (char *)key;
            st->labels[i][k].value = (char *)(json_is_string(v) ? json_string_value(v) : "");
            k++;
        }
        su->meta.harness_version = docs[0]->harness_version;
        su->meta.scenario = &st->scs[i];
        su->meta.target = first->target;
        su->meta.labels = st->labels[i];
        su->meta.nlabels = k;
        su->meta.started_wall_us = start;
        su->meta.duration_us = end - start;
        su->meta.users = users;
        su->meta.interrupted = interrupted;
        merge_health(&st->health[i], docs, n, i, start);
        su->meta.health = &st->health[i];
        su->results = st->res[i];
    }
    for (i = 0; i < ns; i++) {
        m->failed |= !gp_results_passed(st->res[i]) || st->suites[i].meta.interrupted;
        m->inconclusive |= gp_results_inconclusive(st->res[i]);
    }
    root = gp_report_to_json(st->suites, ns, &m->ctx);
    for (i = 0; i < ns; i++)
        merge_load(json_array_get(json_object_get(root, "scenarios"), i), docs, n, i);
    for (i = 0; i < ns; i++) {
        json_t *tr =
            json_object_get(json_array_get(json_object_get(root, "scenarios"), i), "transcripts");
        size_t offset = 0, **pos = spos[i];
        bool cut = false;

        for (d = 0; d < n; d++) {
            cut |= merge_transcripts(tr, json_object_get(docs[d]->scenarios[i].json, "transcripts"),
                                     offset, sharded ? pos[d] : NULL,
                                     docs[d]->scenarios[i].results->nusers);
            offset += docs[d]->scenarios[i].results->nusers;
        }
        if (sharded) {
            cut |= sort_transcripts(tr);
            for (d = 0; d < n; d++)
                free(pos[d]);
            free(pos);
        }
        cut |= json_integer_value(json_object_get(tr, "failing_users")) >
               (json_int_t)json_array_size(json_object_get(tr, "users"));
        json_object_set_new(tr, "truncated", json_boolean(cut));
    }
    for (d = 0; d < n; d++)
        json_array_append_new(from, json_string(paths[d]));
    json_object_set_new(root, "merged_from", from);
    m->report = root;
    free(spos);
    free(order);
}

gp_merged *gp_merge(gp_report_doc *const *docs, const char *const *paths, size_t n,
                    const gp_report_ctx *ctx, gp_err *err)
{
    gp_report_doc **sd = NULL;
    const char **sp = NULL;
    size_t *order = NULL, d;
    gp_merged *m = NULL;
    int sharded;

    if (!docs || !paths || n == 0) {
        gp_err_set(err, GP_EXIT_USAGE, NULL, 0, 0, "no reports to merge");
        return NULL;
    }
    if (same_scenarios(docs, paths, n, err) != 0)
        return NULL;
    sd = gp_calloc(n, sizeof *sd);
    sp = gp_calloc(n, sizeof *sp);
    order = gp_calloc(n, sizeof *order);
    memcpy(sd, docs, n * sizeof *sd);
    memcpy(sp, paths, n * sizeof *sp);
    sharded = gp_xshard_order(sd, sp, n, order, err);
    if (sharded < 0)
        goto out;
    if (sharded) {
        /* In shard order, so that the merged report reads as one run's. */
        for (d = 0; d < n; d++) {
            sd[d] = docs[order[d]];
            sp[d] = paths[order[d]];
        }
    }
    m = gp_calloc(1, sizeof *m);
    m->nparts = n;
    m->sharded = sharded > 0;
    if (ctx) {
        m->ctx = *ctx;
        if (ctx->host) {
            snprintf(m->host, sizeof m->host, "%s", ctx->host);
            m->ctx.host = m->host;
        }
    } else {
        m->ctx.generated_us = gp_wall_us();
    }
    merge_docs(m, sd, sp, n);
out:
    free(sd);
    free(sp);
    free(order);
    return m;
}

void gp_merged_free(gp_merged *m)
{
    if (!m)
        return;
    json_decref(m->report);
    state_free(m->st);
    free(m);
}

int gp_merged_exit(const gp_merged *m)
{
    return m->failed ? GP_EXIT_FAILED : m->inconclusive ? GP_EXIT_INCONCLUSIVE : GP_EXIT_OK;
}

int gp_merged_write(const gp_merged *m, const char *json_path, const char *junit_path,
                    const char *html_path, gp_err *err)
{
    char *text = json_dumps(m->report, JSON_INDENT(1) | JSON_PRESERVE_ORDER);
    int rc = -1;

    if (text) {
        rc = gp_write_file_atomic(json_path, text, strlen(text), err);
        free(text);
    } else {
        gp_err_set(err, GP_EXIT_INTERNAL, json_path, 0, 0, "cannot serialise the merged report");
    }
    if (rc == 0 && junit_path &&
        gp_report_write_junit(junit_path, m->st->suites, m->st->ns, &m->ctx, err) != 0)
        rc = -1;
    if (rc == 0 && html_path &&
        gp_report_write_html(html_path, m->st->suites, m->st->ns, &m->ctx, err) != 0)
        rc = -1;
    return rc;
}

void gp_merged_print_summary(FILE *out, const gp_merged *m)
{
    gp_console_opts co = {0};

    if (!m->sharded)
        return;
    co.max_users_per_rule = 3;
    co.tail_frames = 8;
    gp_report_console(out, m->st->suites, m->st->ns, &co);
}
