/* test_report_junit.c - JUnit XML: a testcase per rule, skipped and failing cases, escaping of
 * user text (XML specials and control characters), redaction, and validity against
 * reports/schema/junit.xsd when xmllint is installed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "report_fixture.h"

typedef struct out {
    char dir[32];
    char *path;
    char *xml;
} out;

static void write_junit(out *o, fixture *fx, size_t n)
{
    gp_err err = {0};

    snprintf(o->dir, sizeof o->dir, "/tmp/gp-junit-XXXXXX");
    assert_non_null(mkdtemp(o->dir));
    o->path = gp_asprintf("%s/junit.xml", o->dir);
    assert_int_equal(gp_report_write_junit(o->path, &fx->suite, n, FX_CTX, &err), 0);
    o->xml = fx_slurp(o->path);
    assert_non_null(o->xml);
}

static void out_cleanup(out *o)
{
    unlink(o->path);
    rmdir(o->dir);
    free(o->path);
    free(o->xml);
}

static void test_report_junit_cases_and_failures(void **state)
{
    fixture fx;
    out o;

    (void)state;
    fixture_init(&fx, FX_FAIL, 1, NULL);
    write_junit(&o, &fx, 1);
    assert_int_equal(fx_count(o.xml, "<testcase "), GP_RULE__COUNT);
    assert_int_equal(fx_count(o.xml, "<skipped"), 1);
    assert_int_equal(fx_count(o.xml, "<failure "), 2);
    assert_non_null(strstr(o.xml, "<testsuites name=\"goldenpath\" tests=\"14\" failures=\"2\""));
    assert_non_null(strstr(o.xml,
                           "classname=\"goldenpath.golden_path\" name=\"GP-R1-STARTED-FIRST: "
                           "agent_started is the run&#39;s first event, exactly once\""));
    assert_non_null(strstr(o.xml, "message=\"1 of 6 users failed: expected agent_started as the "
                                  "first event\" type=\"GP-R1-STARTED-FIRST\""));
    assert_non_null(strstr(o.xml, "timestamp=\"2025-09-18T14:00:00\""));
    assert_non_null(strstr(o.xml, "user gp-user-1 (#1), step 3, frame 5"));
    assert_non_null(strstr(o.xml, "<system-out>"));
    out_cleanup(&o);
    fixture_cleanup(&fx);
}

static void test_report_junit_escapes_user_text(void **state)
{
    fixture fx;
    out o;
    const char *p;

    (void)state;
    fixture_init(&fx, FX_FAIL, 1, NULL);
    gp_transcript_add(fx.ts[2], GP_FR_NOTE, 999999, 0,
                      "raw\x01"
                      "ctl <&\"'> \xff",
                      15);
    fx.res->rules[GP_RULE_R2_END].examples[0].frame = fx.ts[2]->nframes - 1;
    write_junit(&o, &fx, 1);
    assert_non_null(strstr(o.xml, "gp-user-&lt;2&gt;&amp;&quot;&#39; (#2)"));
    assert_non_null(strstr(o.xml, "agent_completed &lt;dup&gt; &amp; &quot;x&quot;"));
    assert_non_null(strstr(o.xml, "raw\\x01ctl &lt;&amp;&quot;&#39;&gt; \xef\xbf\xbd"));
    for (p = o.xml; *p; p++)
        assert_true((unsigned char)*p >= 0x20 || *p == '\n' || *p == '\t' || *p == '\r');
    assert_null(strstr(o.xml, "supersecret"));
    assert_null(strstr(o.xml, "sekret"));
    out_cleanup(&o);
    fixture_cleanup(&fx);
}

/* A rule with inconclusive users and no failure is an error of type "inconclusive", never a
 * failure; a failing rule names its inconclusive users apart. */
static void test_report_junit_inconclusive_is_an_error(void **state)
{
    fixture fx;
    out o;

    (void)state;
    fixture_init(&fx, FX_PASS, 1, NULL);
    fx_add_inconclusive(&fx);
    write_junit(&o, &fx, 1);
    assert_int_equal(fx_count(o.xml, "<failure "), 0);
    assert_int_equal(fx_count(o.xml, "<error "), 1);
    assert_non_null(strstr(o.xml, "<testsuites name=\"goldenpath\" tests=\"14\" failures=\"0\" "
                                  "errors=\"1\""));
    assert_non_null(strstr(o.xml, "tests=\"14\" failures=\"0\" errors=\"1\" skipped=\"1\""));
    assert_non_null(strstr(o.xml, "<error message=\"1 of 6 users inconclusive: the harness&#39;s "
                                  "event loop stalled 5.02 s (lag) during this wait; not a server "
                                  "verdict; hint: fewer users per process, or more --workers\" "
                                  "type=\"inconclusive\">user gp-user-4 (#4), step 3, frame 9 "
                                  "(inconclusive)"));
    assert_non_null(strstr(o.xml, "<property name=\"harness\" value=\"loop lag p50 0.4 ms"));
    out_cleanup(&o);
    fixture_cleanup(&fx);

    fixture_init(&fx, FX_FAIL, 1, NULL);
    gp_results_mark_inconclusive(fx.res, GP_RULE_R1_START, 4, 3, 7, "first", "late", "stalled");
    write_junit(&o, &fx, 1);
    assert_int_equal(fx_count(o.xml, "<failure "), 2);
    assert_int_equal(fx_count(o.xml, "<error "), 0);
    assert_non_null(strstr(o.xml, "user gp-user-4 (#4), step 3, frame 7 (inconclusive)\n"
                                  "  expected: first\n  received: late\n  cause: stalled\n"));
    out_cleanup(&o);
    fixture_cleanup(&fx);
}

static void test_report_junit_validates_against_xsd(void **state)
{
    fixture fx[2];
    gp_suite suites[2];
    out o;
    char *cmd;
    int rc;

    (void)state;
    if (system("command -v xmllint >/dev/null 2>&1") != 0)
        skip();
    fixture_init(&fx[0], FX_FAIL, 1, NULL);
    fx_add_inconclusive(&fx[0]);
    fixture_init(&fx[1], FX_PASS, 1, "second <scenario>");
    fx[1].suite.meta.interrupted = true;
    suites[0] = fx[0].suite;
    suites[1] = fx[1].suite;
    {
        gp_err err = {0};

        snprintf(o.dir, sizeof o.dir, "/tmp/gp-junit-XXXXXX");
        assert_non_null(mkdtemp(o.dir));
        o.path = gp_asprintf("%s/junit.xml", o.dir);
        assert_int_equal(gp_report_write_junit(o.path, suites, 2, FX_CTX, &err), 0);
        o.xml = fx_slurp(o.path);
    }
    assert_non_null(strstr(o.xml, "<error "));
    assert_non_null(strstr(o.xml, "type=\"inconclusive\""));
    cmd = gp_asprintf("xmllint --noout --schema %s/reports/schema/junit.xsd %s", GP_SOURCE_DIR,
                      o.path);
    rc = system(cmd);
    assert_int_equal(rc, 0);
    free(cmd);
    out_cleanup(&o);
    fixture_cleanup(&fx[0]);
    fixture_cleanup(&fx[1]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_report_junit_cases_and_failures),
        cmocka_unit_test(test_report_junit_escapes_user_text),
        cmocka_unit_test(test_report_junit_inconclusive_is_an_error),
        cmocka_unit_test(test_report_junit_validates_against_xsd),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
