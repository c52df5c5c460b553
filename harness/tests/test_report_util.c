/* test_report_util.c - escaping, UTF-8 cleaning, redaction, times and atomic writes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "report_fixture.h"
#include "report_util.h"

static char *xml(const char *s, size_t len)
{
    gp_rep r;

    gp_rep_init(&r, 4096);
    gp_rep_xml(&r, s, len);
    return gp_buf_steal(&r.b);
}

static void test_report_util_xml_escapes_specials(void **state)
{
    static const struct {
        const char *in;
        size_t len;
        const char *out;
    } cases[] = {
        {"a<b>&\"c'", 8, "a&lt;b&gt;&amp;&quot;c&#39;"},
        {"tab\tnl\ncr\r", 10, "tab\tnl\ncr\r"},
        {"ctl\x01x\x1f", 6, "ctl\\x01x\\x1F"},
        {"nul\0end", 7, "nul\\x00end"},
        {"bad\xff\xfe", 5, "bad\xef\xbf\xbd\xef\xbf\xbd"},
        {"over\xc0\xaf", 6, "over\xef\xbf\xbd\xef\xbf\xbd"},
        {"euro \xe2\x82\xac ok", 11, "euro \xe2\x82\xac ok"},
        {"nonchar \xef\xbf\xbe", 11, "nonchar \xef\xbf\xbd"},
    };
    size_t i;

    (void)state;
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *got = xml(cases[i].in, cases[i].len);

        assert_string_equal(got, cases[i].out);
        free(got);
    }
}

static void test_report_util_redacts_credentials(void **state)
{
    static const struct {
        const char *in;
        const char *out;
    } cases[] = {
        {"wss://h/ws?token=abc.def&x=1", "wss://h/ws?token=REDACTED&x=1"},
        {"wss://h/ws?ticket=T-123", "wss://h/ws?ticket=REDACTED"},
        {"{\"auth\":\"Bearer eyJ.x.y\"}", "{\"auth\":\"Bearer REDACTED\"}"},
        {"authorization: bearer abc def", "authorization: bearer REDACTED def"},
        {"jwt-auth, jwt.eyJhbGciOiJIUzI1NiJ9.e30.sig", "jwt-auth, jwt.REDACTED"},
        {"{\"access_token\": \"s3cr\\\"et\", \"n\":1}",
         "{\"access_token\": \"REDACTED\", \"n\":1}"},
        {"nothing to hide", "nothing to hide"},
        {"token=", "token="},
    };
    size_t i;

    (void)state;
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *got = gp_redact(cases[i].in, strlen(cases[i].in));

        assert_string_equal(got, cases[i].out);
        free(got);
    }
}

static void test_report_util_utf8_clean_cuts_on_boundary(void **state)
{
    bool cut = false;
    char *s = gp_utf8_clean("ab\xe2\x82\xac", 5, 4, &cut);

    (void)state;
    assert_true(cut);
    assert_string_equal(s, "ab");
    free(s);
    s = gp_utf8_clean("ab\xe2\x82\xac", 5, 5, &cut);
    assert_false(cut);
    assert_string_equal(s, "ab\xe2\x82\xac");
    free(s);
}

static void test_report_util_iso8601(void **state)
{
    char buf[40];

    (void)state;
    gp_iso8601_format((int64_t)1758204000 * 1000000 + 250000, true, buf, sizeof buf);
    assert_string_equal(buf, "2025-09-18T14:00:00.250Z");
    gp_iso8601_format((int64_t)1758204000 * 1000000 + 250000, false, buf, sizeof buf);
    assert_string_equal(buf, "2025-09-18T14:00:00");
}

static void test_report_util_atomic_write(void **state)
{
    char dir[] = "/tmp/gp-rutil-XXXXXX", *path, *back;
    gp_err err = {0};

    (void)state;
    assert_non_null(mkdtemp(dir));
    path = gp_asprintf("%s/out.txt", dir);
    assert_int_equal(gp_write_file_atomic(path, "one", 3, &err), 0);
    assert_int_equal(gp_write_file_atomic(path, "two!", 4, &err), 0);
    back = fx_slurp(path);
    assert_string_equal(back, "two!");
    free(back);
    unlink(path);
    free(path);
    path = gp_asprintf("%s/missing/out.txt", dir);
    assert_int_equal(gp_write_file_atomic(path, "x", 1, &err), -1);
    assert_true(gp_err_isset(&err));
    free(path);
    rmdir(dir);
}

static void test_report_util_frame_window(void **state)
{
    gp_transcript *t = gp_transcript_new(0, "u", "n");
    size_t i, start, end;

    (void)state;
    for (i = 0; i < 100; i++)
        gp_transcript_add(t, GP_FR_NOTE, (int64_t)i, 0, "x", 1);
    gp_frame_window(t, 50, 8, &start, &end);
    assert_int_equal(start, 45);
    assert_int_equal(end, 53);
    gp_frame_window(t, GP_NO_FRAME, 8, &start, &end);
    assert_int_equal(start, 92);
    assert_int_equal(end, 100);
    gp_frame_window(t, 2, 8, &start, &end);
    assert_int_equal(start, 0);
    assert_int_equal(end, 8);
    gp_frame_window(t, 99, 8, &start, &end);
    assert_int_equal(start, 92);
    assert_int_equal(end, 100);
    gp_transcript_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_report_util_xml_escapes_specials),
        cmocka_unit_test(test_report_util_redacts_credentials),
        cmocka_unit_test(test_report_util_utf8_clean_cuts_on_boundary),
        cmocka_unit_test(test_report_util_iso8601),
        cmocka_unit_test(test_report_util_atomic_write),
        cmocka_unit_test(test_report_util_frame_window),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
