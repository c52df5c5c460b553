/* merge.c - "goldenpath merge A.json B.json... -o ALL.json": one report from reports of the
 * same scenarios run in parts (CI shards). Counts add, histograms merge exactly, users and
 * failure examples are concatenated with their indices shifted; the harness's health keeps the
 * worst lag, adds CPU and keeps every stall. It does not judge again. */
#include <stdlib.h>
#include <string.h>

#include "compare.h"
#include "report.h"
#include "report_read.h"
#include "report_util.h"
#include "xshard.h"

static const char usage[] =
    "usage: goldenpath merge A.json B.json... -o ALL.json [--junit F] [--html F]\n"
    "\n"
    "Merges JSON reports of the same scenarios run in parts (for example CI shards) into one:\n"
    "rule and cause counts add, latency histograms merge exactly, users are concatenated\n"
    "(indices of later parts shift past earlier ones) and failure examples and transcripts\n"
    "are concatenated up to the report's bounds. The harness's health takes the worst loop\n"
    "lag, adds CPU time and workers, and keeps every stall (on the merged run's clock).\n"
    "\n"
    "Reports of 'goldenpath run --shard' must be all the shards of one run, each once (any\n"
    "order): users keep their indexes, and isolation is judged again across shards, so a\n"
    "user that received an event of another shard's user fails GP-R6-ISOLATION. The summary\n"
    "(printed for shards) and the reports add a per-shard table.\n"
    "\n"
    "options:\n"
    "  -o, --output FILE  the merged report (required)\n"
    "  --junit FILE       also write the merged JUnit XML\n"
    "  --html FILE        also write the merged HTML report\n"
    "  --help             show this help\n"
    "\n"
    "environment: SOURCE_DATE_EPOCH (whole seconds since the epoch) is the merged reports'\n"
    "generation time instead of now, and their host is then \"localhost\" (reproducible\n"
    "reports); an invalid value is a usage error (exit 2).\n"
    "\n"
    "exit status (the merged run's verdict, as run gives it): 0 merged and every check passed;\n"
    "1 merged, and a check failed (or a part was interrupted); 2 bad usage, unreadable reports,\n"
    "reports of different scenarios, or shards that are not exactly the shards of one run\n"
    "(duplicate, missing, mixed counts); 3 the output could not be written, or merged with\n"
    "inconclusive verdicts and no failure.\n";

static void copy_example(gp_failure *f, const gp_failure *src, size_t user)
{
    *f = *src;
    f->user = user;
    f->expected = gp_strdup(src->expected ? src->expected : "");
    f->received = gp_strdup(src->received ? src->received : "");
    f->cause = src->cause ? gp_strdup(src->cause) : NULL;
}

/* Parts: src's users follow dst's (offset). Shards (users non-NULL): src's users keep their
 * global index, and the examples kept are those of the lowest users, as one run keeps them. */
static void copy_examples(gp_failure *dst, size_t *nd, const gp_failure *src, size_t ns,
                          size_t offset, const gp_user_result *users, size_t nusers)
{
    size_t j, k, worst;

    for (j = 0; j < ns; j++) {
        size_t user = offset + src[j].user;

        if (users)
            user = src[j].user < nusers ? users[src[j].user].index : src[j].user;
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

/* Adds src into dst; src's users become dst's users offset.., or keep their global indexes
 * when global (shards; merge_sort_users then puts them in order). */
static void merge_results(gp_results *dst, const gp_results *src, size_t offset, bool global)
{
    size_t i;

    dst->users = gp_realloc(dst->users, (dst->nusers + src->nusers + 1) * sizeof *dst->users);
    for (i = 0; i < src->nusers; i++) {
        gp_user_result *u = &dst->users[dst->nusers + i];

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
        copy_examples(d->examples, &d->nexamples, s->examples, s->nexamples, offset,
                      global ? src->users : NULL, src->nusers);
        copy_examples(d->inconclusive_examples, &d->ninconclusive, s->inconclusive_examples,
                      s->ninconclusive, offset, global ? src->users : NULL, src->nusers);
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
static bool merge_transcripts(json_t *dst, json_t *src, size_t offset, const gp_results *shard)
{
    json_t *du = json_object_get(dst, "users"), *su = json_object_get(src, "users"), *t;
    size_t i;
    bool cut = json_is_true(json_object_get(src, "truncated"));

    json_array_foreach(su, i, t)
    {
        json_t *copy;
        size_t user = (size_t)json_integer_value(json_object_get(t, "user"));

        if (!shard && json_array_size(du) >= GP_REPORT_MAX_TRANSCRIPTS)
            return true;
        copy = json_deep_copy(t);
        user = shard ? (user < shard->nusers ? shard->users[user].index : user) : offset + user;
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

static int cmp_user(const void *a, const void *b)
{
    const gp_user_result *x = a, *y = b;

    return x->index < y->index ? -1 : x->index > y->index;
}

static int cmp_example(const void *a, const void *b)
{
    const gp_failure *x = a, *y = b;

    return x->user < y->user ? -1 : x->user > y->user;
}

/* Shards: users in global index order, examples by user, as one run has them. */
static void sort_shard_results(gp_results *r)
{
    size_t i;

    qsort(r->users, r->nusers, sizeof *r->users, cmp_user);
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

static int same_scenarios(gp_report_doc **docs, char **paths, size_t n)
{
    size_t d, i;

    for (d = 1; d < n; d++) {
        if (docs[d]->n != docs[0]->n) {
            fprintf(stderr,
                    "goldenpath merge: %s holds %zu scenarios and %s holds %zu: only reports of "
                    "the same scenarios merge\n",
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

                fprintf(stderr,
                        "goldenpath merge: scenario %zu is \"%s\" (digest %s) in %s but "
                        "\"%s\" (digest %s) in %s: only parts of the same scenario merge\n",
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

typedef struct merge_out {
    const char *json, *junit, *html;
    gp_report_ctx ctx; /* the reports' generation time and host (gp_report_ctx_from_env) */
    char host[256];
    bool failed;       /* set by merge_docs: a merged scenario failed a check, or was cut short */
    bool inconclusive; /* ... or only had inconclusive verdicts */
} merge_out;

static int merge_docs(gp_report_doc **docs, char **paths, size_t n, bool sharded, merge_out *mo,
                      gp_err *err)
{
    size_t ns = docs[0]->n, i, d;
    gp_suite *suites = gp_calloc(ns ? ns : 1, sizeof *suites);
    gp_scenario *scs = gp_calloc(ns ? ns : 1, sizeof *scs);
    gp_kv **labels = gp_calloc(ns ? ns : 1, sizeof *labels);
    gp_results **res = gp_calloc(ns ? ns : 1, sizeof *res);
    gp_health *health = gp_calloc(ns ? ns : 1, sizeof *health);
    gp_shard_row **rows = gp_calloc(ns ? ns : 1, sizeof *rows);
    gp_shard_leaks *leaks = gp_calloc(ns ? ns : 1, sizeof *leaks);
    size_t *order = gp_calloc(n, sizeof *order);
    json_t *root, *from = json_array();
    char *text;
    int rc = -1;

    for (i = 0; i < ns; i++) {
        const gp_report_scenario *first = &docs[0]->scenarios[i];
        json_t *lj = json_object_get(first->json, "labels"), *v;
        int64_t start = first->started_wall_us, end = start + first->duration_us;
        unsigned users = 0;
        bool interrupted = false;
        size_t offset = 0, k = 0;
        const char *key;

        scs[i].name = first->name;
        scs[i].path = first->path;
        snprintf(scs[i].digest, sizeof scs[i].digest, "%s", first->digest);
        res[i] = gp_results_new(0);
        for (d = 0; d < n; d++) {
            const gp_report_scenario *s = &docs[d]->scenarios[i];

            merge_results(res[i], s->results, offset, sharded);
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
            sort_shard_results(res[i]);
            gp_xshard_judge(res[i], docs, order, n, i, &leaks[i]);
            suites[i].meta.shard_leaks = &leaks[i];
            rows[i] = gp_calloc(n, sizeof **rows);
            gp_xshard_rows(rows[i], res[i], docs, order, n, i);
            suites[i].meta.shards = rows[i];
            suites[i].meta.nshards = n;
        }
        labels[i] = gp_calloc(json_object_size(lj) + 1, sizeof **labels);
        json_object_foreach(lj, key, v)
        {
            labels[i][k].key = (char *)key;
            labels[i][k].value = (char *)(json_is_string(v) ? json_string_value(v) : "");
            k++;
        }
        suites[i].meta.harness_version = docs[0]->harness_version;
        suites[i].meta.scenario = &scs[i];
        suites[i].meta.target = first->target;
        suites[i].meta.labels = labels[i];
        suites[i].meta.nlabels = k;
        suites[i].meta.started_wall_us = start;
        suites[i].meta.duration_us = end - start;
        suites[i].meta.users = users;
        suites[i].meta.interrupted = interrupted;
        merge_health(&health[i], docs, n, i, start);
        suites[i].meta.health = &health[i];
        suites[i].results = res[i];
    }
    for (i = 0; i < ns; i++) {
        mo->failed |= !gp_results_passed(res[i]) || suites[i].meta.interrupted;
        mo->inconclusive |= gp_results_inconclusive(res[i]);
    }
    root = gp_report_to_json(suites, ns, &mo->ctx);
    for (i = 0; i < ns; i++) {
        json_t *tr =
            json_object_get(json_array_get(json_object_get(root, "scenarios"), i), "transcripts");
        size_t offset = 0;
        bool cut = false;

        for (d = 0; d < n; d++) {
            cut |= merge_transcripts(tr, json_object_get(docs[d]->scenarios[i].json, "transcripts"),
                                     offset, sharded ? docs[d]->scenarios[i].results : NULL);
            offset += docs[d]->scenarios[i].results->nusers;
        }
        if (sharded)
            cut |= sort_transcripts(tr);
        cut |= json_integer_value(json_object_get(tr, "failing_users")) >
               (json_int_t)json_array_size(json_object_get(tr, "users"));
        json_object_set_new(tr, "truncated", json_boolean(cut));
    }
    for (d = 0; d < n; d++)
        json_array_append_new(from, json_string(paths[d]));
    json_object_set_new(root, "merged_from", from);
    text = json_dumps(root, JSON_INDENT(1) | JSON_PRESERVE_ORDER);
    json_decref(root);
    if (text) {
        rc = gp_write_file_atomic(mo->json, text, strlen(text), err);
        free(text);
    } else {
        gp_err_set(err, GP_EXIT_INTERNAL, mo->json, 0, 0, "cannot serialise the merged report");
    }
    if (rc == 0 && mo->junit && gp_report_write_junit(mo->junit, suites, ns, &mo->ctx, err) != 0)
        rc = -1;
    if (rc == 0 && mo->html && gp_report_write_html(mo->html, suites, ns, &mo->ctx, err) != 0)
        rc = -1;
    if (rc == 0 && sharded) {
        gp_console_opts co = {0};

        co.max_users_per_rule = 3;
        co.tail_frames = 8;
        gp_report_console(stdout, suites, ns, &co);
    }
    for (i = 0; i < ns; i++) {
        gp_results_free(res[i]);
        gp_health_cleanup(&health[i]);
        free(labels[i]);
        free(rows[i]);
        gp_shard_leaks_cleanup(&leaks[i]);
    }
    free(rows);
    free(leaks);
    free(order);
    free(health);
    free(res);
    free(labels);
    free(scs);
    free(suites);
    return rc;
}

int gp_merge_main(int argc, char **argv)
{
    char **paths = gp_calloc((size_t)(argc > 0 ? argc : 1), sizeof *paths), ebuf[1200];
    const char *out = NULL;
    merge_out mo = {0};
    size_t *order = NULL;
    int sharded;
    gp_report_doc **docs = NULL;
    gp_err err = {0};
    size_t n = 0, d;
    int a, rc = GP_EXIT_USAGE;

    for (a = 1; a < argc; a++) {
        if (strcmp(argv[a], "--help") == 0 || strcmp(argv[a], "-h") == 0) {
            fputs(usage, stdout);
            free(paths);
            return GP_EXIT_OK;
        } else if (strcmp(argv[a], "-o") == 0 || strcmp(argv[a], "--output") == 0) {
            if (a + 1 >= argc) {
                fprintf(stderr, "goldenpath merge: %s needs a file\n", argv[a]);
                goto out;
            }
            out = argv[++a];
        } else if (strncmp(argv[a], "--output=", 9) == 0) {
            out = argv[a] + 9;
        } else if (strcmp(argv[a], "--junit") == 0 || strcmp(argv[a], "--html") == 0) {
            if (a + 1 >= argc) {
                fprintf(stderr, "goldenpath merge: %s needs a file\n", argv[a]);
                goto out;
            }
            *(argv[a][2] == 'j' ? &mo.junit : &mo.html) = argv[a + 1];
            a++;
        } else if (argv[a][0] == '-' && argv[a][1]) {
            fprintf(stderr, "goldenpath merge: unknown option %s (see --help)\n", argv[a]);
            goto out;
        } else {
            paths[n++] = argv[a];
        }
    }
    if (!out || n == 0) {
        fputs("goldenpath merge: expected reports to merge and -o FILE (see --help)\n", stderr);
        goto out;
    }
    if (gp_report_ctx_from_env(&mo.ctx, NULL, mo.host, sizeof mo.host, &err) != 0) {
        gp_err_format(&err, ebuf, sizeof ebuf);
        fprintf(stderr, "goldenpath merge: %s\n", ebuf);
        goto out;
    }
    docs = gp_calloc(n, sizeof *docs);
    for (d = 0; d < n; d++) {
        docs[d] = gp_report_read(paths[d], &err);
        if (!docs[d]) {
            gp_err_format(&err, ebuf, sizeof ebuf);
            fprintf(stderr, "goldenpath merge: %s\n", ebuf);
            goto out;
        }
    }
    if (same_scenarios(docs, paths, n) != 0)
        goto out;
    order = gp_calloc(n, sizeof *order);
    sharded = gp_xshard_order(docs, paths, n, order, &err);
    if (sharded < 0) {
        gp_err_format(&err, ebuf, sizeof ebuf);
        fprintf(stderr, "goldenpath merge: %s\n", ebuf);
        goto out;
    }
    if (sharded) {
        /* In shard order, so that the merged report reads as one run's. */
        gp_report_doc **sd = gp_calloc(n, sizeof *sd);
        char **sp = gp_calloc(n, sizeof *sp);

        for (d = 0; d < n; d++) {
            sd[d] = docs[order[d]];
            sp[d] = paths[order[d]];
        }
        memcpy(docs, sd, n * sizeof *docs);
        memcpy(paths, sp, n * sizeof *paths);
        free(sd);
        free(sp);
    }
    mo.json = out;
    if (merge_docs(docs, paths, n, sharded > 0, &mo, &err) != 0) {
        gp_err_format(&err, ebuf, sizeof ebuf);
        fprintf(stderr, "goldenpath merge: %s\n", ebuf);
        rc = GP_EXIT_INTERNAL;
        goto out;
    }
    printf("goldenpath merge: %zu %s merged into %s%s\n", n, sharded ? "shards" : "reports", out,
           mo.failed         ? "; a check failed"
           : mo.inconclusive ? "; some verdicts are inconclusive"
                             : "; every check passed");
    /* The merged run's verdict, as `run` would give it: CI gates on this. */
    rc = mo.failed ? GP_EXIT_FAILED : mo.inconclusive ? GP_EXIT_INCONCLUSIVE : GP_EXIT_OK;
out:
    for (d = 0; docs && d < n; d++)
        gp_report_doc_free(docs[d]);
    free(docs);
    free(paths);
    free(order);
    return rc;
}
