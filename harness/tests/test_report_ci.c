/* test_report_ci.c - the Markdown summary's code spans and tables, GitHub's workflow-command
 * escaping and annotations, the OpenMetrics text and the Pushgateway path. The real parsers
 * (markdown-it, the OpenMetrics parser) check the same outputs in ci/ci-output-check. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "push.h"
#include "report_ci.h"
#include "report_fixture.h"
#include "report_util.h"

static char *code(const char *s, size_t max, bool in_table)
{
    gp_rep r;

    gp_rep_init(&r, 8192);
    gp_md_code(&r, s, max, in_table);
    return gp_buf_steal(&r.b);
}

static void test_report_ci_code_span_fence_outgrows_backticks(void **state)
{
    static const struct {
        const char *in;
        bool table;
        const char *out;
    } cases[] = {
        {"plain", false, "` plain `"},
        {"a`b", false, "`` a`b ``"},
        {"```x``", false, "```` ```x`` ````"},
        {"`", false, "`` ` ``"},
        {"a|b", true, "` a\\|b `"},
        {"a|b", false, "` a|b `"},
        {"line1\nline2\r\n", false, "` line1\\x0aline2\\x0d\\x0a `"},
        {"</code><script>", false, "` </code><script> `"},
        {"", false, "*(empty)*"},
        {"token=abc123 rest", false, "` token=REDACTED rest `"},
    };
    size_t i;

    (void)state;
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *got = code(cases[i].in, 100, cases[i].table);

        assert_string_equal(got, cases[i].out);
        free(got);
    }
}

static void test_report_ci_code_span_cut_is_marked(void **state)
{
    char *got = code("abcdefghij", 4, false);

    (void)state;
    assert_string_equal(got, "` abcd… `");
    free(got);
}

static void test_report_ci_github_escape(void **state)
{
    gp_buf b;

    (void)state;
    gp_buf_init(&b, 1024);
    gp_gh_escape(&b, "50% a:b,c\r\nd", false);
    assert_string_equal(b.data, "50%25 a:b,c%0D%0Ad");
    gp_buf_reset(&b);
    gp_gh_escape(&b, "50% a:b,c\r\nd", true);
    assert_string_equal(b.data, "50%25 a%3Ab%2Cc%0D%0Ad");
    gp_buf_cleanup(&b);
}

static char *annotations(const gp_suite *s, size_t n)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);

    assert_non_null(f);
    gp_report_github_annotations(f, s, n);
    fclose(f);
    return buf;
}

static void test_report_ci_annotations_one_per_failed_rule(void **state)
{
    fixture fx;
    char *out;

    (void)state;
    fixture_init(&fx, FX_FAIL, 1, NULL);
    gp_results_fail(fx.res, GP_RULE_R1_START, 3, 3, 5, "first\nline",
                    "got 100% `x`\r\n::warning::");
    out = annotations(&fx.suite, 1);
    assert_int_equal(fx_count(out, "::error title="), 2);
    assert_int_equal(fx_count(out, "\n"), 2); /* one line each: nothing from the data breaks one */
    assert_non_null(strstr(out, "::error title=GP-R1-STARTED-FIRST::golden_path: 2 of 6 users "
                                "failed GP-R1-STARTED-FIRST: "));
    assert_non_null(strstr(out, "::error title=GP-R2-COMPLETED-LAST::"));
    assert_null(strstr(out, "\n::warning"));
    free(out);
    fixture_cleanup(&fx);

    fixture_init(&fx, FX_PASS, 1, NULL);
    out = annotations(&fx.suite, 1);
    assert_string_equal(out, "");
    free(out);
    fixture_cleanup(&fx);
}

static void test_report_ci_markdown_tables(void **state)
{
    fixture fx;
    size_t len = 0;
    char *md;

    (void)state;
    fixture_init(&fx, FX_FAIL, 1, NULL);
    md = gp_report_markdown(&fx.suite, 1, &len);
    assert_non_null(md);
    assert_int_equal(strlen(md), len);
    assert_non_null(strstr(md, "## goldenpath: ❌ FAILED"));
    assert_non_null(strstr(md, "| Rule | User | Step | Expected | Received |"));
    assert_non_null(strstr(md, "| ❌ | `GP-R1-STARTED-FIRST` |"));
    assert_non_null(strstr(md, "| Event | Count | p50 | p95 | p99 | max |"));
    assert_non_null(strstr(md, "| `agent_completed` |"));
    /* The tricky user id keeps its markup characters as text inside a code span. */
    assert_non_null(strstr(md, "` gp-user-<2>&\"' ` (#2)"));
    assert_non_null(strstr(md, "` release=v1.2.3 `"));
    free(md);
    fixture_cleanup(&fx);
}

static void test_report_ci_metrics_text(void **state)
{
    fixture fx;
    gp_kv odd[3] = {{"odd key", "a\"b\\c\nd"}, {"rule", "x"}, {"odd-key", "dup"}};
    char *m;

    (void)state;
    fixture_init(&fx, FX_FAIL, 1, "multi \"name\"");
    fx.suite.meta.labels = odd;
    fx.suite.meta.nlabels = 3;
    fx.health.measured = true;
    fx.health.lag_max_us = 5020000;
    fx.suite.meta.health = &fx.health;
    m = gp_report_metrics(&fx.suite, 1, NULL);
    assert_non_null(m);
    assert_non_null(strstr(m, "# TYPE goldenpath_event_latency_seconds summary\n"
                              "# UNIT goldenpath_event_latency_seconds seconds\n"));
    assert_non_null(strstr(m, "goldenpath_passed{scenario=\"multi \\\"name\\\"\","
                              "odd_key=\"a\\\"b\\\\c\\nd\",label_rule=\"x\"} 0\n"));
    assert_null(strstr(m, "dup")); /* a second label of the same name is left out */
    assert_non_null(strstr(m, "rule=\"GP-R1-STARTED-FIRST\",result=\"failed\"} 1\n"));
    assert_non_null(strstr(m, "event=\"agent_started\",quantile=\"0.99\"}"));
    assert_non_null(strstr(m, ",stat=\"max\"} 5.020000\n"));
    assert_int_equal(strcmp(m + strlen(m) - 6, "# EOF\n"), 0);
    free(m);
    fixture_cleanup(&fx);
}

static void test_report_ci_push_path(void **state)
{
    static const struct {
        const char *in, *out;
    } cases[] = {
        {"", "/metrics/job/goldenpath"},
        {"/", "/metrics/job/goldenpath"},
        {"/gw/", "/gw/metrics/job/goldenpath"},
        {"gw", "/gw/metrics/job/goldenpath"},
        {"/metrics/job/ci/branch/main", "/metrics/job/ci/branch/main"},
    };
    size_t i;

    (void)state;
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *got = gp_push_path(cases[i].in);

        assert_string_equal(got, cases[i].out);
        free(got);
    }
}

static void test_report_ci_push_refuses_bad_urls(void **state)
{
    gp_err err = {0};

    (void)state;
    assert_int_equal(gp_push_metrics("ftp://x/", "a", 1, 1000000, &err), -1);
    assert_int_equal(err.code, GP_EXIT_USAGE);
    memset(&err, 0, sizeof err);
    /* Nothing listens on port 1: refused quickly, a message, the password never shown. */
    assert_int_equal(gp_push_metrics("http://u:hunter2@127.0.0.1:1/", "a", 1, 2000000, &err), -1);
    assert_non_null(strstr(err.msg, "pushing the metrics to"));
    assert_null(strstr(err.msg, "hunter2"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_report_ci_code_span_fence_outgrows_backticks),
        cmocka_unit_test(test_report_ci_code_span_cut_is_marked),
        cmocka_unit_test(test_report_ci_github_escape),
        cmocka_unit_test(test_report_ci_annotations_one_per_failed_rule),
        cmocka_unit_test(test_report_ci_markdown_tables),
        cmocka_unit_test(test_report_ci_metrics_text),
        cmocka_unit_test(test_report_ci_push_path),
        cmocka_unit_test(test_report_ci_push_refuses_bad_urls),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
