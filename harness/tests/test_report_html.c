/* test_report_html.c - the HTML report is one self-contained file: no external resources,
 * an SVG per histogram and per drawn timeline, user text escaped, secrets redacted, and
 * failing users drawn before a bounded sample of passing ones. The chromium load check is
 * the CTest reports.html_chromium (ci/html-check). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "report_fixture.h"

static char *render(fixture *fx)
{
    char dir[] = "/tmp/gp-html-XXXXXX", *path, *html;
    gp_err err = {0};

    assert_non_null(mkdtemp(dir));
    path = gp_asprintf("%s/r.html", dir);
    assert_int_equal(gp_report_write_html(path, &fx->suite, 1, FX_CTX, &err), 0);
    html = fx_slurp(path);
    assert_non_null(html);
    unlink(path);
    rmdir(dir);
    free(path);
    return html;
}

static void test_report_html_self_contained(void **state)
{
    fixture fx;
    char *html;

    (void)state;
    fixture_init(&fx, FX_FAIL, 1, NULL);
    html = render(&fx);
    assert_true(strncmp(html, "<!DOCTYPE html>", 15) == 0);
    assert_null(strstr(html, "src="));
    assert_null(strstr(html, "href="));
    assert_null(strstr(html, "@import"));
    assert_null(strstr(html, "url("));
    /* 8 histograms + 6 timelines (2 failing, 4 passing). */
    assert_int_equal(fx_count(html, "<svg "), 8 + FX_USERS);
    assert_int_equal(fx_count(html, "<b class=\"bad\">FAIL</b> user"), 2);
    assert_true(strstr(html, "<b class=\"bad\">FAIL</b> user") <
                strstr(html, "<b class=\"ok\">PASS</b> user"));
    assert_non_null(strstr(html, "gp-user-&lt;2&gt;&amp;&quot;&#39;"));
    assert_null(strstr(html, "gp-user-<2>"));
    assert_null(strstr(html, "supersecret"));
    assert_null(strstr(html, "sekret"));
    assert_non_null(strstr(html, "&lt;b&gt;bold&lt;/b&gt;"));
    assert_null(strstr(html, "<b>bold</b>"));
    free(html);
    fixture_cleanup(&fx);
}

/* A histogram read from a report may hold buckets below its min (found by fuzzing): they are
 * drawn in the first bin, not cast from a negative double (undefined; it landed in the last). */
static void test_report_html_bucket_below_min(void **state)
{
    fixture fx;
    gp_hist *h;
    char *html;
    int i;

    (void)state;
    fixture_init(&fx, FX_FAIL, 1, NULL);
    h = &fx.res->latency[0];
    gp_hist_cleanup(h);
    gp_hist_init(h);
    for (i = 0; i < 5; i++)
        gp_hist_record(h, 10);
    gp_hist_record(h, 100000);
    h->min = 1000; /* inconsistent, as a hand-edited or fuzzed report can be */
    html = render(&fx);
    assert_non_null(strstr(html, "5 samples near 1.0 ms"));
    free(html);
    fixture_cleanup(&fx);
}

static void test_report_html_samples_passing_users(void **state)
{
    fixture fx;
    gp_transcript **many;
    gp_results *r;
    char *html;
    size_t i, n = 40;

    (void)state;
    fixture_init(&fx, FX_PASS, 1, NULL);
    r = gp_results_new(n);
    many = gp_calloc(n, sizeof *many);
    for (i = 0; i < n; i++) {
        r->users[i].user_id = gp_asprintf("u%zu", i);
        many[i] = gp_transcript_new(i, r->users[i].user_id, "n");
        gp_transcript_add(many[i], GP_FR_NOTE, (int64_t)i, 0, "x", 1);
    }
    fx.suite.results = r;
    fx.suite.ts = many;
    fx.suite.nts = n;
    html = render(&fx);
    assert_int_equal(fx_count(html, "<b class=\"ok\">PASS</b> user"), 10);
    /* spread over the ramp: the first, the last, and evenly between */
    assert_non_null(strstr(html, "</b> user u0 (#0)"));
    assert_non_null(strstr(html, "</b> user u39 (#39)"));
    assert_null(strstr(html, "</b> user u1 (#1)"));
    assert_non_null(strstr(html, "10 passing users drawn of 40"));
    free(html);
    for (i = 0; i < n; i++)
        gp_transcript_free(many[i]);
    free(many);
    gp_results_free(r);
    fixture_cleanup(&fx);
}

/* A run that ends 2 s before its close: the idle time is cut out of the lane and labelled, so
 * the run's events are not bunched into the lane's first pixels. */
static void test_report_html_lane_cuts_idle_time(void **state)
{
    fixture fx;
    char *html, *lane, *p;
    double first = -1, last = -1;

    (void)state;
    fixture_init(&fx, FX_FAIL, 1, NULL);
    fx_frame(fx.ts[1], GP_FR_CLOSED, 2000000, 1000, "late");
    html = render(&fx);
    lane = strstr(html, "FAIL</b> user gp-user-1 (#1)");
    assert_non_null(lane);
    p = strstr(lane, "</svg>");
    assert_non_null(p);
    *p = '\0';
    assert_non_null(strstr(lane, "<g class=\"brk\">"));
    assert_non_null(strstr(lane, ">+1892.9 ms<")); /* the time skipped, on the break */
    /* agent_thinking (first event) and agent_completed (last) lie far apart */
    for (p = lane; (p = strstr(p, "<rect x=\"")) != NULL; p++) {
        double x = strtod(p + 9, NULL);
        const char *title = strstr(p, "<title>");

        if (strncmp(strstr(title, " ms ") + 4, "agent_thinking", 14) == 0 && first < 0)
            first = x;
        if (strncmp(strstr(title, " ms ") + 4, "agent_completed", 15) == 0)
            last = x;
    }
    assert_true(first >= 0 && last > first + 400);
    free(html);
    fixture_cleanup(&fx);
}

/* A run the harness fell behind in: the harness line with its stalls, the inconclusive rule
 * and user, and the scenario headed INCONCLUSIVE rather than PASS or FAIL. */
static void test_report_html_harness_and_inconclusive(void **state)
{
    fixture fx;
    char *html;

    (void)state;
    fixture_init(&fx, FX_PASS, 1, NULL);
    html = render(&fx);
    assert_null(strstr(html, "harness: loop lag"));
    assert_null(strstr(html, "INCONCLUSIVE"));
    free(html);
    fx_add_inconclusive(&fx);
    html = render(&fx);
    assert_non_null(strstr(html, "<h2 class=\"skip\">INCONCLUSIVE golden_path"));
    assert_non_null(strstr(html, "harness: loop lag p50 0.4 ms, p99 2.1 ms, max 5020.0 ms; CPU "
                                 "user 1.25 s, sys 0.50 s (75% busy); 1 stall"));
    assert_non_null(strstr(html, "stalls: 40.0&ndash;5060.0 ms (lag 5020.0 ms)"));
    assert_non_null(strstr(html, "<b class=\"skip\">inconclusive</b> user gp-user-4 (#4)"));
    assert_non_null(strstr(html, "the harness&#39;s event loop stalled 5.02 s"));
    assert_non_null(strstr(html, "<b>1</b>inconclusive</div>"));
    assert_non_null(strstr(html, "Hint: fewer users per process, or more --workers"));
    /* Its lane comes with the failing ones, before the passing sample. */
    assert_int_equal(fx_count(html, "<b class=\"skip\">INCONCLUSIVE</b> user"), 1);
    assert_true(strstr(html, "INCONCLUSIVE</b> user") < strstr(html, "PASS</b> user"));
    free(html);
    fixture_cleanup(&fx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_report_html_self_contained),
        cmocka_unit_test(test_report_html_samples_passing_users),
        cmocka_unit_test(test_report_html_bucket_below_min),
        cmocka_unit_test(test_report_html_lane_cuts_idle_time),
        cmocka_unit_test(test_report_html_harness_and_inconclusive),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
