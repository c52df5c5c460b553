/* test_compare.c - compare and merge over crafted reports: gp_compare and gp_merge called
 * directly on in-memory reports (verdicts, rows, default limits, noise, refusals, Markdown
 * escaping), and the commands through argv (exit statuses 0/1/2, thresholds, JUnit/JSON
 * outputs, merge exactness, the harness's health and inconclusive verdicts). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "compare.h"
#include "compare_cli.h"
#include "merge.h"
#include "report_fixture.h"
#include "report_read.h"

typedef struct env {
    char dir[32];
} env;

static int setup(void **state)
{
    env *e = gp_calloc(1, sizeof *e);

    snprintf(e->dir, sizeof e->dir, "/tmp/gp-cmp-XXXXXX");
    if (!mkdtemp(e->dir))
        return -1;
    *state = e;
    return 0;
}

static int teardown(void **state)
{
    env *e = *state;
    char *cmd = gp_asprintf("rm -rf '%s'", e->dir);
    int rc = system(cmd);

    free(cmd);
    free(e);
    return rc == 0 ? 0 : -1;
}

/* Writes a fixture report to dir/name and returns the path (free()). */
static char *report(env *e, const char *name, int variant, int64_t scale, const char *scenario)
{
    fixture fx;
    gp_err err = {0};
    char *path = gp_asprintf("%s/%s", e->dir, name);

    fixture_init(&fx, variant, scale, scenario);
    assert_int_equal(gp_report_write_json(path, &fx.suite, 1, FX_CTX, &err), 0);
    fixture_cleanup(&fx);
    return path;
}

static int run_compare(const char *a, const char *b, const char *x1, const char *x2)
{
    char *argv[8];
    int argc = 0;

    argv[argc++] = "compare";
    argv[argc++] = (char *)a;
    argv[argc++] = (char *)b;
    if (x1)
        argv[argc++] = (char *)x1;
    if (x2)
        argv[argc++] = (char *)x2;
    argv[argc] = NULL;
    return gp_compare_main(argc, argv);
}

static void test_compare_identical_is_ok(void **state)
{
    char *base = report(*state, "base.json", FX_PASS, 1, NULL);

    assert_int_equal(run_compare(base, base, NULL, NULL), GP_EXIT_OK);
    assert_int_equal(run_compare(base, base, "--max-regression", "p99=0%"), GP_EXIT_OK);
    free(base);
}

static void test_compare_rule_regression(void **state)
{
    env *e = *state;
    char *base = report(e, "base.json", FX_PASS, 1, NULL);
    char *head = report(e, "head.json", FX_FAIL, 1, NULL);
    char *out = gp_asprintf("%s/cmp.json", e->dir), *opt = gp_asprintf("--json=%s", out);
    json_t *j, *checks, *c;
    size_t i, rule_regs = 0;
    bool error_rate_reg = false;

    assert_int_equal(run_compare(base, head, opt, NULL), GP_EXIT_FAILED);
    j = json_load_file(out, 0, NULL);
    assert_non_null(j);
    assert_string_equal(json_string_value(json_object_get(j, "format")), "goldenpath-compare");
    assert_true(json_is_true(json_object_get(j, "regressed")));
    checks = json_object_get(json_array_get(json_object_get(j, "scenarios"), 0), "checks");
    json_array_foreach(checks, i, c)
    {
        const char *kind = json_string_value(json_object_get(c, "kind"));
        const char *name = json_string_value(json_object_get(c, "name"));

        if (!json_is_true(json_object_get(c, "regression")))
            continue;
        if (strcmp(kind, "rule") == 0) {
            assert_true(strcmp(name, "GP-R1-STARTED-FIRST") == 0 ||
                        strcmp(name, "GP-R2-COMPLETED-LAST") == 0);
            rule_regs++;
        }
        if (strcmp(kind, "error_rate") == 0)
            error_rate_reg = true;
    }
    assert_int_equal(rule_regs, 2);
    assert_true(error_rate_reg);
    /* The other way round is a fix, not a regression. */
    assert_int_equal(run_compare(head, base, NULL, NULL), GP_EXIT_OK);
    json_decref(j);
    free(base);
    free(head);
    free(out);
    free(opt);
}

static void test_compare_latency_limits(void **state)
{
    static const struct {
        const char *limit;
        int want;
    } cases[] = {
        {NULL, GP_EXIT_FAILED},      /* the default limits: p95 at most 50% above */
        {"--no-default-limits", GP_EXIT_OK}, /* no limit: reported, not judged */
        {"p95=20%", GP_EXIT_FAILED}, /* doubled */
        {"p95=150%", GP_EXIT_OK},
        {"p99=+50ms", GP_EXIT_FAILED}, /* agent_completed grew by 90 ms */
        {"p99=+200ms", GP_EXIT_OK},
        {"max=1s", GP_EXIT_OK},
        {"p50=+0us", GP_EXIT_FAILED},
        {"p97=20%", GP_EXIT_USAGE},
        {"p95=fast", GP_EXIT_USAGE},
        {"error_rate=5ms", GP_EXIT_USAGE},
    };
    env *e = *state;
    char *base = report(e, "base.json", FX_PASS, 1, NULL);
    char *head = report(e, "slow.json", FX_PASS, 2, NULL);
    size_t i;

    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int rc = !cases[i].limit                 ? run_compare(base, head, NULL, NULL)
                 : cases[i].limit[0] == '-' ? run_compare(base, head, cases[i].limit, NULL)
                                            : run_compare(base, head, "--max-regression",
                                                          cases[i].limit);

        if (rc != cases[i].want)
            fail_msg("limit %s: exit %d, want %d", cases[i].limit ? cases[i].limit : "(none)", rc,
                     cases[i].want);
    }
    free(base);
    free(head);
}

static void test_compare_error_rate_limit(void **state)
{
    env *e = *state;
    char *base = report(e, "base.json", FX_FAIL, 1, NULL);
    fixture fx;
    gp_err err = {0};
    char *head = gp_asprintf("%s/worse.json", e->dir);

    /* Same failing rules, one more failing user: only the error rate moves. */
    fixture_init(&fx, FX_FAIL, 1, NULL);
    gp_results_fail(fx.res, GP_RULE_R1_START, 4, 3, 5, "agent_started first", "x");
    fx.res->rules[GP_RULE_R1_START].passed--;
    assert_int_equal(gp_report_write_json(head, &fx.suite, 1, FX_CTX, &err), 0);
    fixture_cleanup(&fx);
    assert_int_equal(run_compare(base, head, NULL, NULL), GP_EXIT_FAILED);
    assert_int_equal(run_compare(base, head, "--max-regression", "error_rate=+20%"), GP_EXIT_OK);
    free(base);
    free(head);
}

static void test_compare_coverage_loss(void **state)
{
    env *e = *state;
    char *base = report(e, "base.json", FX_PASS, 1, NULL);
    char *head = gp_asprintf("%s/notools.json", e->dir);
    fixture fx;
    gp_err err = {0};

    fixture_init(&fx, FX_PASS, 1, NULL);
    free(fx.res->tools[0].name);
    fx.res->tools[0].name = gp_strdup("other_tool");
    assert_int_equal(gp_report_write_json(head, &fx.suite, 1, FX_CTX, &err), 0);
    fixture_cleanup(&fx);
    assert_int_equal(run_compare(base, head, NULL, NULL), GP_EXIT_FAILED);
    free(base);
    free(head);
}

static void test_compare_not_comparable(void **state)
{
    env *e = *state;
    char *base = report(e, "base.json", FX_PASS, 1, NULL);
    char *other = report(e, "other.json", FX_PASS, 1, "another_scenario");
    char *bad = gp_asprintf("%s/v2.json", e->dir);
    char *missing = gp_asprintf("%s/missing.json", e->dir);
    FILE *f;

    f = fopen(bad, "w");
    fputs("{\"format\":\"goldenpath-report\",\"version\":2,\"scenarios\":[]}", f);
    fclose(f);
    assert_int_equal(run_compare(base, other, NULL, NULL), GP_EXIT_USAGE);
    assert_int_equal(run_compare(base, bad, NULL, NULL), GP_EXIT_USAGE);
    assert_int_equal(run_compare(missing, base, NULL, NULL), GP_EXIT_USAGE);
    {
        char *one[] = {"compare", base, NULL};

        assert_int_equal(gp_compare_main(2, one), GP_EXIT_USAGE);
    }
    assert_int_equal(run_compare(base, base, "--bogus", NULL), GP_EXIT_USAGE);
    assert_int_equal(run_compare(base, base, "--help", NULL), GP_EXIT_OK);
    free(base);
    free(other);
    free(bad);
    free(missing);
}

static void test_compare_junit_output_is_valid(void **state)
{
    env *e = *state;
    char *base = report(e, "base.json", FX_PASS, 1, NULL);
    char *head = report(e, "head.json", FX_FAIL, 2, NULL);
    char *out = gp_asprintf("%s/cmp.xml", e->dir), *cmd;

    assert_int_equal(run_compare(base, head, "--junit", out), GP_EXIT_FAILED);
    if (system("command -v xmllint >/dev/null 2>&1") == 0) {
        cmd = gp_asprintf("xmllint --noout --schema %s/reports/schema/junit.xsd %s", GP_SOURCE_DIR,
                          out);
        assert_int_equal(system(cmd), 0);
        free(cmd);
    }
    free(base);
    free(head);
    free(out);
}

static void record_all(gp_hist *h, int64_t base, int64_t step)
{
    static const int64_t scales[] = {1, 3};
    size_t s, u;

    for (s = 0; s < 2; s++)
        for (u = 0; u < FX_USERS; u++)
            gp_hist_record(h, base * scales[s] + (int64_t)u * step);
}

static void assert_hist_identical(const gp_hist *a, const gp_hist *b)
{
    assert_int_equal(a->count, b->count);
    assert_int_equal(a->min, b->min);
    assert_int_equal(a->max, b->max);
    assert_int_equal(a->sum, b->sum);
    assert_non_null(a->buckets);
    assert_non_null(b->buckets);
    assert_memory_equal(a->buckets, b->buckets, GP_HIST_BUCKETS * sizeof *a->buckets);
}

static void test_merge_is_exact(void **state)
{
    env *e = *state;
    char *a = report(e, "a.json", FX_PASS, 1, NULL);
    char *b = report(e, "b.json", FX_FAIL, 3, NULL);
    char *out = gp_asprintf("%s/all.json", e->dir);
    char *argv[] = {"merge", a, b, "-o", out, NULL};
    char *pass_only[] = {"merge", a, a, "-o", out, NULL};
    gp_report_doc *d;
    gp_err err = {0};
    const gp_results *r;
    gp_hist all;
    json_t *tr;

    /* merge's exit status is the merged run's verdict, as run's is */
    assert_int_equal(gp_merge_main(5, pass_only), GP_EXIT_OK);
    assert_int_equal(gp_merge_main(5, argv), GP_EXIT_FAILED);
    d = gp_report_read(out, &err);
    assert_non_null(d);
    r = d->scenarios[0].results;
    assert_int_equal(d->scenarios[0].users, 2 * FX_USERS);
    assert_int_equal(r->nusers, 2 * FX_USERS);
    assert_int_equal(r->users[FX_USERS + 1].index, FX_USERS + 1);
    assert_false(r->users[FX_USERS + 1].passed);
    assert_int_equal(r->rules[GP_RULE_R1_START].checked, 2 * FX_USERS);
    assert_int_equal(r->rules[GP_RULE_R1_START].failed, 1);
    assert_int_equal(r->rules[GP_RULE_R1_START].examples[0].user, FX_USERS + 1);
    assert_int_equal(r->rules[GP_RULE_AUTH].checked, 0);
    assert_int_equal(r->tools[0].count, 2 * FX_USERS);
    assert_int_equal(r->runs_total, 2 * FX_USERS);
    gp_hist_init(&all);
    record_all(&all, 20000, 100);
    assert_hist_identical(&r->latency[GP_EV_AGENT_STARTED], &all);
    gp_hist_cleanup(&all);
    gp_hist_init(&all);
    record_all(&all, 90000, 100);
    assert_hist_identical(&r->latency[GP_EV_AGENT_COMPLETED], &all);
    assert_hist_identical(&r->run_duration, &all);
    gp_hist_cleanup(&all);
    tr = json_object_get(d->scenarios[0].json, "transcripts");
    assert_int_equal(json_integer_value(json_object_get(tr, "failing_users")), 2);
    assert_int_equal(json_integer_value(
                         json_object_get(json_array_get(json_object_get(tr, "users"), 0), "user")),
                     FX_USERS + 1);
    assert_int_equal(json_array_size(json_object_get(d->root, "merged_from")), 2);
    gp_report_doc_free(d);
    free(a);
    free(b);
    free(out);
}

/* A fixture report with one user inconclusive and the harness's health; the part starts
 * shift_us after the fixture's start, and its stall and lag scale with lag. */
static char *inconclusive_report(env *e, const char *name, int64_t shift_us, int64_t lag)
{
    fixture fx;
    gp_err err = {0};
    char *path = gp_asprintf("%s/%s", e->dir, name);

    fixture_init(&fx, FX_PASS, 1, NULL);
    fx_add_inconclusive(&fx);
    fx.suite.meta.started_wall_us += shift_us;
    fx.health.lag_p99_us = lag / 1000;
    fx.health.lag_max_us = lag;
    fx.health.stalls[0].lag_us = lag;
    assert_int_equal(gp_report_write_json(path, &fx.suite, 1, FX_CTX, &err), 0);
    fixture_cleanup(&fx);
    return path;
}

static json_t *find_check(json_t *cmp, const char *kind, const char *name)
{
    json_t *checks =
        json_object_get(json_array_get(json_object_get(cmp, "scenarios"), 0), "checks");
    json_t *c;
    size_t i;

    json_array_foreach(checks, i, c)
    {
        if (strcmp(json_string_value(json_object_get(c, "kind")), kind) == 0 &&
            strcmp(json_string_value(json_object_get(c, "name")), name) == 0)
            return c;
    }
    return NULL;
}

/* More inconclusive users is the harness's lag, not the server's regression: compare shows the
 * change and the harness's lag, and exits 0. */
static void test_compare_shows_inconclusive(void **state)
{
    env *e = *state;
    char *base = report(e, "base.json", FX_PASS, 1, NULL);
    char *head = inconclusive_report(e, "head.json", 0, 5020000);
    char *out = gp_asprintf("%s/cmp.json", e->dir);
    json_t *cmp, *c;

    assert_int_equal(run_compare(base, head, "--json", out), GP_EXIT_OK);
    cmp = json_load_file(out, 0, NULL);
    assert_non_null(cmp);
    c = find_check(cmp, "rule", "GP-COMPLETION");
    assert_non_null(c);
    assert_false(json_is_true(json_object_get(c, "regression")));
    assert_int_equal(
        json_integer_value(json_object_get(json_object_get(c, "head"), "inconclusive")), 1);
    assert_non_null(
        strstr(json_string_value(json_object_get(c, "detail")), "inconclusive 0 -> 1 users"));
    c = find_check(cmp, "harness", "lag_p99_ms");
    assert_non_null(c);
    assert_true(json_is_null(json_object_get(c, "base")));
    assert_true(json_real_value(json_object_get(c, "head")) == 5.02);
    assert_non_null(strstr(json_string_value(json_object_get(c, "detail")),
                           "not measured -> p99 5.0 ms, max 5020.0 ms, 1 stall"));
    json_decref(cmp);
    /* Both ways round: fewer inconclusive users is shown too. */
    assert_int_equal(run_compare(head, base, "--json", out), GP_EXIT_OK);
    cmp = json_load_file(out, 0, NULL);
    assert_non_null(strstr(
        json_string_value(json_object_get(find_check(cmp, "rule", "GP-COMPLETION"), "detail")),
        "inconclusive 1 -> 0 users"));
    json_decref(cmp);
    free(base);
    free(head);
    free(out);
}

/* merge adds inconclusive counts and CPU, keeps the worst lag, and keeps every part's stalls
 * on the merged run's clock. */
static void test_merge_keeps_harness_health(void **state)
{
    env *e = *state;
    char *a = inconclusive_report(e, "a.json", 0, 5020000);
    char *b = inconclusive_report(e, "b.json", 10000000, 7000000);
    char *c = report(e, "c.json", FX_PASS, 1, NULL);
    char *out = gp_asprintf("%s/all.json", e->dir);
    char *argv[] = {"merge", a, b, c, "-o", out, NULL};
    gp_report_doc *d;
    gp_err err = {0};
    const gp_health *h;
    const gp_results *r;

    assert_int_equal(gp_merge_main(6, argv), GP_EXIT_INCONCLUSIVE);
    d = gp_report_read(out, &err);
    assert_non_null(d);
    h = &d->scenarios[0].health;
    r = d->scenarios[0].results;
    assert_true(h->measured);
    assert_int_equal(h->workers, 2);
    assert_int_equal(h->lag_max_us, 7000000);
    assert_int_equal(h->lag_p99_us, 7000);
    assert_true(h->cpu_user_s == 2.5 && h->cpu_sys_s == 1.0);
    assert_int_equal(h->nstalls, 2);
    assert_int_equal(h->stalls[0].from_us, 40000);
    assert_int_equal(h->stalls[1].from_us, 10040000);
    assert_int_equal(h->stalls[1].lag_us, 7000000);
    assert_int_equal(r->rules[GP_RULE_COMPLETION].inconclusive, 2);
    assert_int_equal(r->rules[GP_RULE_COMPLETION].ninconclusive, 2);
    assert_int_equal(r->rules[GP_RULE_COMPLETION].inconclusive_examples[1].user,
                     FX_USERS + FX_INCONCLUSIVE_USER);
    assert_int_equal(r->rules[GP_RULE_COMPLETION].checked,
                     r->rules[GP_RULE_COMPLETION].passed + r->rules[GP_RULE_COMPLETION].failed +
                         r->rules[GP_RULE_COMPLETION].inconclusive);
    assert_int_equal(gp_results_count_users(r, GP_STATUS_INCONCLUSIVE), 2);
    assert_int_equal(gp_results_count_users(r, GP_STATUS_FAILED), 0);
    gp_report_doc_free(d);
    free(a);
    free(b);
    free(c);
    free(out);
}

static void test_merge_refuses_different_scenarios(void **state)
{
    env *e = *state;
    char *a = report(e, "a.json", FX_PASS, 1, NULL);
    char *b = report(e, "b.json", FX_PASS, 1, "another_scenario");
    char *out = gp_asprintf("%s/all.json", e->dir);
    char *argv[] = {"merge", a, b, "-o", out, NULL};
    char *noout[] = {"merge", a, b, NULL};
    char *help[] = {"merge", "--help", NULL};

    assert_int_equal(gp_merge_main(5, argv), GP_EXIT_USAGE);
    assert_int_not_equal(access(out, F_OK), 0);
    assert_int_equal(gp_merge_main(3, noout), GP_EXIT_USAGE);
    assert_int_equal(gp_merge_main(2, help), GP_EXIT_OK);
    free(a);
    free(b);
    free(out);
}

/* A scenario file that changed between releases (another digest, same name) is compared, not
 * refused: the verdict stands on the checks, and the change is flagged in every output. */
static void test_compare_changed_scenario_warns(void **state)
{
    env *e = *state;
    char *base = report(e, "base.json", FX_PASS, 1, NULL);
    char *changed = gp_asprintf("%s/changed.json", e->dir);
    char *failing = gp_asprintf("%s/changed-fail.json", e->dir);
    char *jpath = gp_asprintf("%s/cmp.json", e->dir), *xpath = gp_asprintf("%s/cmp.xml", e->dir);
    char *xml;
    fixture fx;
    gp_err err = {0};
    json_t *root, *sc, *chk;

    fixture_init(&fx, FX_PASS, 1, NULL);
    fx.sc.digest[0] = 'f';
    assert_int_equal(gp_report_write_json(changed, &fx.suite, 1, FX_CTX, &err), 0);
    fixture_cleanup(&fx);
    fixture_init(&fx, FX_FAIL, 1, NULL);
    fx.sc.digest[0] = 'f';
    assert_int_equal(gp_report_write_json(failing, &fx.suite, 1, FX_CTX, &err), 0);
    fixture_cleanup(&fx);

    assert_int_equal(run_compare(base, changed, "--json", jpath), GP_EXIT_OK);
    root = json_load_file(jpath, 0, NULL);
    assert_non_null(root);
    assert_int_equal(json_integer_value(json_object_get(root, "scenarios_changed")), 1);
    assert_false(json_is_true(json_object_get(root, "regressed")));
    sc = json_array_get(json_object_get(root, "scenarios"), 0);
    assert_true(json_is_true(json_object_get(sc, "scenario_changed")));
    assert_string_equal(json_string_value(json_object_get(sc, "head_digest")), fx.sc.digest);
    chk = json_array_get(json_object_get(sc, "checks"), 0);
    assert_string_equal(json_string_value(json_object_get(chk, "kind")), "scenario");
    assert_false(json_is_true(json_object_get(chk, "regression")));
    assert_non_null(strstr(json_string_value(json_object_get(chk, "detail")), "WARNING"));
    json_decref(root);

    /* a regression still fails the comparison; the JUnit carries the warning */
    assert_int_equal(run_compare(base, failing, "--junit", xpath), GP_EXIT_FAILED);
    xml = fx_slurp(xpath);
    assert_non_null(xml);
    assert_non_null(strstr(xml, "<system-out>WARNING: the scenario file changed"));
    free(xml);

    /* identical files: no warning anywhere */
    assert_int_equal(run_compare(base, base, "--json", jpath), GP_EXIT_OK);
    root = json_load_file(jpath, 0, NULL);
    assert_int_equal(json_integer_value(json_object_get(root, "scenarios_changed")), 0);
    sc = json_array_get(json_object_get(root, "scenarios"), 0);
    assert_false(json_is_true(json_object_get(sc, "scenario_changed")));
    json_decref(root);
    free(base);
    free(changed);
    free(failing);
    free(jpath);
    free(xpath);
}

/* An in-memory report (no file): the fixture as gp_report_write_json would write it, read
 * back. Free with gp_report_doc_free. */
static gp_report_doc *doc_of(fixture *fx)
{
    json_t *root = gp_report_to_json(&fx->suite, 1, FX_CTX);
    gp_err err = {0};
    gp_report_doc *d = gp_report_from_json(root, "memory", &err);

    json_decref(root);
    assert_non_null(d);
    return d;
}

static gp_report_doc *fixture_doc(int variant, int64_t scale, const char *name)
{
    fixture fx;
    gp_report_doc *d;

    fixture_init(&fx, variant, scale, name);
    d = doc_of(&fx);
    fixture_cleanup(&fx);
    return d;
}

static json_t *check_of(const gp_comparison *c, const char *kind, const char *name)
{
    json_t *chk, *checks = json_object_get(json_array_get(c->scenarios, 0), "checks");
    size_t i;

    json_array_foreach(checks, i, chk)
    {
        if (strcmp(json_string_value(json_object_get(chk, "kind")), kind) == 0 &&
            strcmp(json_string_value(json_object_get(chk, "name")), name) == 0)
            return chk;
    }
    return NULL;
}

/* gp_compare over two in-memory reports: the verdict, the rows, the default limits and the
 * noise estimate, with no file and no argv. */
static void test_compare_function_in_memory(void **state)
{
    gp_report_doc *base = fixture_doc(FX_PASS, 1, NULL), *slow = fixture_doc(FX_PASS, 2, NULL);
    gp_report_doc *fail = fixture_doc(FX_FAIL, 1, NULL);
    gp_compare_opts o;
    gp_comparison *c;
    gp_err err = {0};
    json_t *chk;

    (void)state;
    memset(&o, 0, sizeof o);
    o.base_name = "base";
    o.head_name = "head";
    /* the same report: no regression, every latency within noise, the defaults applied */
    c = gp_compare(base, base, &o, &err);
    assert_non_null(c);
    assert_int_equal(c->regressions, 0);
    assert_int_equal(gp_comparison_exit(c), GP_EXIT_OK);
    assert_int_equal(json_array_size(c->limits), 3);
    assert_string_equal(json_string_value(json_array_get(c->limits, 1)), "p95=50%");
    chk = check_of(c, "latency", "agent_completed");
    assert_non_null(chk);
    assert_false(json_is_true(json_object_get(chk, "regression")));
    assert_non_null(strstr(json_string_value(json_object_get(chk, "detail")),
                           "p50 within noise; p95 within noise; p99 within noise"));
    assert_false(json_is_true(
        json_object_get(json_object_get(json_object_get(chk, "noise"), "p95"), "beyond_noise")));
    gp_comparison_free(c);

    /* twice as slow: a latency regression beyond noise under the default limits */
    c = gp_compare(base, slow, &o, &err);
    assert_non_null(c);
    assert_int_equal(gp_comparison_exit(c), GP_EXIT_FAILED);
    chk = check_of(c, "latency", "agent_completed");
    assert_true(json_is_true(json_object_get(chk, "regression")));
    assert_string_equal(json_string_value(json_object_get(chk, "limit")), "p50=25%,p95=50%");
    assert_non_null(strstr(json_string_value(json_object_get(chk, "detail")), "beyond noise"));
    assert_true(json_integer_value(json_object_get(
                    json_object_get(json_object_get(chk, "noise"), "p50"), "low_us")) > 80000);
    gp_comparison_free(c);

    /* ... shown, not judged, without the defaults */
    o.no_default_limits = true;
    c = gp_compare(base, slow, &o, &err);
    assert_non_null(c);
    assert_int_equal(c->regressions, 0);
    assert_int_equal(json_array_size(c->limits), 0);
    chk = check_of(c, "latency", "agent_completed");
    assert_non_null(strstr(json_string_value(json_object_get(chk, "detail")), "no limit set"));
    assert_non_null(strstr(json_string_value(json_object_get(chk, "detail")), "p50 +99%"));
    assert_null(json_object_get(chk, "limit"));
    gp_comparison_free(c);

    /* a latency limit of the caller's replaces the latency defaults, not error_rate's */
    o.no_default_limits = false;
    assert_int_equal(gp_compare_parse_limit("p95=150%", &o.limits[0], &err), 0);
    o.nlimits = 1;
    c = gp_compare(base, slow, &o, &err);
    assert_non_null(c);
    assert_int_equal(c->regressions, 0);
    assert_int_equal(json_array_size(c->limits), 2);
    assert_string_equal(json_string_value(json_array_get(c->limits, 1)), "error_rate=+1%");
    gp_comparison_free(c);
    o.nlimits = 0;

    /* rules that passed and now fail: two rule rows and the error rate regress */
    c = gp_compare(base, fail, &o, &err);
    assert_non_null(c);
    assert_int_equal(c->regressions, 3);
    assert_true(json_is_true(json_object_get(check_of(c, "rule", "GP-R1-STARTED-FIRST"),
                                             "regression")));
    assert_true(json_is_true(json_object_get(check_of(c, "error_rate", "failed_users"),
                                             "regression")));
    gp_comparison_free(c);
    gp_report_doc_free(base);
    gp_report_doc_free(slow);
    gp_report_doc_free(fail);
}

static void test_compare_function_refusals(void **state)
{
    gp_report_doc *base = fixture_doc(FX_PASS, 1, NULL);
    gp_report_doc *other = fixture_doc(FX_PASS, 1, "another_scenario");
    gp_compare_opts o;
    gp_err err = {0};
    gp_limit l;
    static const char *const bad_limits[] = {"p97=20%", "p95=fast", "error_rate=5ms", "p95",
                                             "=5%", "p95=-3%"};
    size_t i;

    (void)state;
    memset(&o, 0, sizeof o);
    o.base_name = "a.json";
    o.head_name = "b.json";
    assert_null(gp_compare(base, other, &o, &err));
    assert_int_equal(err.code, GP_EXIT_USAGE);
    assert_non_null(strstr(err.msg, "\"golden_path\" in a.json but \"another_scenario\""));
    for (i = 0; i < sizeof bad_limits / sizeof *bad_limits; i++) {
        memset(&err, 0, sizeof err);
        if (gp_compare_parse_limit(bad_limits[i], &l, &err) != -1)
            fail_msg("limit %s was accepted", bad_limits[i]);
        assert_int_equal(err.code, GP_EXIT_USAGE);
        assert_non_null(strstr(err.msg, "--max-regression"));
    }
    assert_int_equal(gp_compare_parse_limit("p99=+50ms", &l, NULL), 0);
    assert_int_equal(l.key, GP_LIM_P99);
    assert_false(l.relative);
    assert_true(l.value == 50000);
    assert_int_equal(gp_compare_parse_limit("error_rate=+2.5%", &l, NULL), 0);
    assert_true(l.value == 2.5 && !l.relative);
    gp_report_doc_free(base);
    gp_report_doc_free(other);
}

/* Markdown: text from a report can neither add a table cell, end the row, nor open HTML, a
 * link, an image or a code span. */
static void test_compare_markdown_escapes(void **state)
{
    static const struct {
        const char *in, *out;
    } cases[] = {
        {"plain text 1.5 ms", "plain text 1.5 ms"},
        {"a|b", "a\\|b"},
        {"<script>alert(1)</script>", "&lt;script&gt;alert\\(1\\)&lt;/script&gt;"},
        {"x & y", "x &amp; y"},
        {"line\nbreak\r\tend", "line break  end"},
        {"`code` *em* _u_", "\\`code\\` \\*em\\* \\_u\\_"},
        {"[a](http://x) ![i](y)", "\\[a\\]\\(http\\://x\\) \\!\\[i\\]\\(y\\)"},
        {"\\| escaped", "\\\\\\| escaped"},
        {"@team $x$ ~~s~~", "\\@team \\$x\\$ \\~\\~s\\~\\~"},
        {"caf\xc3\xa9", "caf\xc3\xa9"},
    };
    size_t i;

    (void)state;
    for (i = 0; i < sizeof cases / sizeof *cases; i++) {
        gp_rep r;

        gp_rep_init(&r, 4096);
        gp_compare_md_escape(&r, cases[i].in, 200);
        if (strcmp(r.b.data ? r.b.data : "", cases[i].out) != 0)
            fail_msg("escape(%s) = %s, want %s", cases[i].in, r.b.data, cases[i].out);
        gp_rep_cleanup(&r);
    }
}

/* The whole Markdown file of a comparison whose scenario name and labels are hostile: every
 * table row keeps six cells, and no "<" reaches the file. */
static void test_compare_markdown_file(void **state)
{
    env *e = *state;
    fixture fx;
    gp_report_doc *base, *head;
    gp_compare_opts o;
    gp_comparison *c;
    gp_err err = {0};
    char *path = gp_asprintf("%s/cmp.md", e->dir), *md, *line, *save = NULL;
    size_t rows = 0;

    fixture_init(&fx, FX_PASS, 1, "evil|<img src=x onerror=alert(1)>`");
    fx.labels[0].value = "v1|<b>2</b>";
    base = doc_of(&fx);
    fixture_cleanup(&fx);
    fixture_init(&fx, FX_FAIL, 2, "evil|<img src=x onerror=alert(1)>`");
    head = doc_of(&fx);
    fixture_cleanup(&fx);
    memset(&o, 0, sizeof o);
    o.base_name = "base|<i>.json";
    o.head_name = "head.json";
    c = gp_compare(base, head, &o, &err);
    assert_non_null(c);
    assert_int_equal(gp_compare_write_markdown(c, path, &err), 0);
    md = fx_slurp(path);
    assert_non_null(md);
    assert_non_null(strstr(md, "## goldenpath compare: **regression**"));
    assert_null(strchr(md, '<'));
    assert_non_null(strstr(md, "### evil\\|&lt;img src=x onerror=alert\\(1\\)&gt;\\`"));
    for (line = strtok_r(md, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        size_t cells = 0, k;

        if (line[0] != '|')
            continue;
        for (k = 0; line[k]; k++) {
            if (line[k] == '\\' && line[k + 1]) {
                k++;
                continue;
            }
            cells += line[k] == '|';
        }
        if (cells != 7)
            fail_msg("row with %zu separators: %s", cells, line);
        rows++;
    }
    assert_true(rows > 10);
    free(md);
    free(path);
    gp_comparison_free(c);
    gp_report_doc_free(base);
    gp_report_doc_free(head);
}

/* gp_merge refuses, with GP_EXIT_USAGE and a message naming both files, reports of different
 * scenarios or scenario files, and merges in memory otherwise. */
static void test_merge_function(void **state)
{
    gp_report_doc *a = fixture_doc(FX_PASS, 1, NULL), *b = fixture_doc(FX_FAIL, 3, NULL);
    gp_report_doc *other = fixture_doc(FX_PASS, 1, "another_scenario"), *changed;
    gp_report_doc *docs[2];
    const char *paths[] = {"a.json", "b.json"};
    gp_merged *m;
    gp_err err = {0};
    fixture fx;
    json_t *sc;

    (void)state;
    fixture_init(&fx, FX_PASS, 1, NULL);
    fx.sc.digest[0] = 'f';
    changed = doc_of(&fx);
    fixture_cleanup(&fx);

    docs[0] = a;
    docs[1] = other;
    assert_null(gp_merge(docs, paths, 2, NULL, &err));
    assert_int_equal(err.code, GP_EXIT_USAGE);
    assert_non_null(strstr(err.msg, "in a.json but \"another_scenario\""));
    assert_non_null(strstr(err.msg, "in b.json"));
    memset(&err, 0, sizeof err);
    docs[1] = changed;
    assert_null(gp_merge(docs, paths, 2, NULL, &err));
    assert_int_equal(err.code, GP_EXIT_USAGE);
    assert_non_null(strstr(err.msg, "only parts of the same scenario merge"));
    memset(&err, 0, sizeof err);
    assert_null(gp_merge(docs, paths, 0, NULL, &err));
    assert_int_equal(err.code, GP_EXIT_USAGE);

    docs[1] = b;
    m = gp_merge(docs, paths, 2, NULL, &err);
    assert_non_null(m);
    assert_int_equal(m->nparts, 2);
    assert_false(m->sharded);
    assert_true(m->failed);
    assert_int_equal(gp_merged_exit(m), GP_EXIT_FAILED);
    sc = json_array_get(json_object_get(m->report, "scenarios"), 0);
    assert_int_equal(json_integer_value(json_object_get(sc, "users")), 2 * FX_USERS);
    assert_string_equal(
        json_string_value(json_array_get(json_object_get(m->report, "merged_from"), 1)),
        "b.json");
    gp_merged_free(m);
    docs[1] = a;
    m = gp_merge(docs, paths, 2, NULL, &err);
    assert_non_null(m);
    assert_int_equal(gp_merged_exit(m), GP_EXIT_OK);
    gp_merged_free(m);
    gp_report_doc_free(a);
    gp_report_doc_free(b);
    gp_report_doc_free(other);
    gp_report_doc_free(changed);
}

static void test_compare_parse_drift(void **state)
{
    static const struct {
        const char *spec;
        int rc;
        gp_limit_key key;
        bool relative;
        double value;
        const char *msg; /* a part of the error message */
    } cases[] = {
        {"p95=25%", 0, GP_LIM_P95, true, 0.25, NULL},
        {"p99=+40ms", 0, GP_LIM_P99, false, 40000, NULL},
        {"p50=1.5s", 0, GP_LIM_P50, false, 1500000, NULL},
        {"max=+0%", 0, GP_LIM_MAX, true, 0, NULL},
        {"p90=+12.5%", 0, GP_LIM_P90, true, 0.125, NULL},
        {"p95=25", -1, 0, 0, 0, "\"25\" is neither a percentage nor a duration"},
        {"p95", -1, 0, 0, 0, "expected METRIC=LIMIT"},
        {"=25%", -1, 0, 0, 0, "expected METRIC=LIMIT"},
        {"error_rate=+1%", -1, 0, 0, 0, "unknown metric \"error_rate\""},
        {"p999=5%", -1, 0, 0, 0, "unknown metric \"p999\""},
        {"p95=-5%", -1, 0, 0, 0, "is not a percentage"},
        {"p95=x%", -1, 0, 0, 0, "is not a percentage"},
        {"p95=fast", -1, 0, 0, 0, "neither a percentage nor a duration"},
        {"p95=-40ms", -1, 0, 0, 0, "neither a percentage nor a duration"},
    };
    size_t i;

    (void)state;
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        gp_limit l;
        gp_err err = {0};
        char buf[512];

        assert_int_equal(gp_compare_parse_drift(cases[i].spec, &l, &err), cases[i].rc);
        if (cases[i].rc == 0) {
            assert_int_equal(l.key, cases[i].key);
            assert_int_equal(l.relative, cases[i].relative);
            assert_true(l.value > cases[i].value - 1e-9 && l.value < cases[i].value + 1e-9);
            assert_string_equal(l.text, cases[i].spec);
            continue;
        }
        assert_int_equal(err.code, GP_EXIT_USAGE);
        gp_err_format(&err, buf, sizeof buf);
        assert_non_null(strstr(buf, "--max-drift"));
        assert_non_null(strstr(buf, cases[i].msg));
    }
    /* --max-regression keeps its keys and its bare seconds */
    {
        gp_limit l;

        assert_int_equal(gp_compare_parse_limit("error_rate=+1%", &l, NULL), 0);
        assert_int_equal(gp_compare_parse_limit("p95=2", &l, NULL), 0);
        assert_true(l.value > 1999999 && l.value < 2000001);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_compare_identical_is_ok, setup, teardown),
        cmocka_unit_test_setup_teardown(test_compare_rule_regression, setup, teardown),
        cmocka_unit_test_setup_teardown(test_compare_latency_limits, setup, teardown),
        cmocka_unit_test_setup_teardown(test_compare_error_rate_limit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_compare_coverage_loss, setup, teardown),
        cmocka_unit_test_setup_teardown(test_compare_not_comparable, setup, teardown),
        cmocka_unit_test_setup_teardown(test_compare_changed_scenario_warns, setup, teardown),
        cmocka_unit_test_setup_teardown(test_compare_junit_output_is_valid, setup, teardown),
        cmocka_unit_test_setup_teardown(test_merge_is_exact, setup, teardown),
        cmocka_unit_test_setup_teardown(test_merge_refuses_different_scenarios, setup, teardown),
        cmocka_unit_test_setup_teardown(test_compare_shows_inconclusive, setup, teardown),
        cmocka_unit_test_setup_teardown(test_merge_keeps_harness_health, setup, teardown),
        cmocka_unit_test(test_compare_function_in_memory),
        cmocka_unit_test(test_compare_function_refusals),
        cmocka_unit_test(test_compare_markdown_escapes),
        cmocka_unit_test_setup_teardown(test_compare_markdown_file, setup, teardown),
        cmocka_unit_test(test_merge_function),
        cmocka_unit_test(test_compare_parse_drift),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
