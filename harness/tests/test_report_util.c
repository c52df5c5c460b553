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
        {"ws://admin:hunter2@h:9/ws?api_key=k1&Password=p&x=1",
         "ws://REDACTED@h:9/ws?api_key=REDACTED&Password=REDACTED&x=1"},
        {"https://h/a?access_token=abc#frag", "https://h/a?access_token=REDACTED#frag"},
        {"monkey=1&donkey=2", "monkey=1&donkey=2"},
        {"see http://h/x@y", "see http://h/x@y"},
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

/* SOURCE_DATE_EPOCH is whole seconds as `date +%s` prints them, nothing else. */
static const struct {
    const char *s;
    int ok;
    int64_t secs;
} sde_cases[] = {
    {"0", 0, 0},
    {"1700000000", 0, 1700000000},
    {"253402300799", 0, 253402300799LL},
    {"0001700000000", 0, 1700000000},
    {"", -1, 0},
    {"-1", -1, 0},
    {"+1", -1, 0},
    {" 1", -1, 0},
    {"1 ", -1, 0},
    {"1.5", -1, 0},
    {"17e8", -1, 0},
    {"0x10", -1, 0},
    {"1s", -1, 0},
    {"253402300800", -1, 0},
    {"99999999999999999999999", -1, 0},
};

static void test_report_util_source_date_epoch(void **state)
{
    size_t i;

    (void)state;
    for (i = 0; i < sizeof sde_cases / sizeof sde_cases[0]; i++) {
        gp_err err = {0};
        int64_t us = -7;

        assert_int_equal(gp_source_date_epoch_parse(sde_cases[i].s, &us, &err), sde_cases[i].ok);
        if (sde_cases[i].ok == 0) {
            assert_int_equal(us, sde_cases[i].secs * 1000000);
        } else {
            assert_int_equal(us, -7);
            assert_int_equal(err.code, GP_EXIT_USAGE);
            assert_string_equal(err.src, "SOURCE_DATE_EPOCH");
            assert_non_null(strstr(err.msg, "whole seconds"));
        }
    }
}

/* The front ends' context: SOURCE_DATE_EPOCH fixes the time; the run's host wins; without a
 * run's host a reproducible report names "localhost", not the machine that wrote it. */
static void test_report_util_ctx_from_env(void **state)
{
    gp_report_ctx ctx;
    char host[64];
    gp_err err = {0};
    int64_t before;

    (void)state;
    setenv("SOURCE_DATE_EPOCH", "1700000000", 1);
    assert_int_equal(gp_report_ctx_from_env(&ctx, "runner-7", host, sizeof host, &err), 0);
    assert_int_equal(ctx.generated_us, (int64_t)1700000000 * 1000000);
    assert_string_equal(ctx.host, "runner-7");
    assert_int_equal(gp_report_ctx_from_env(&ctx, NULL, host, sizeof host, &err), 0);
    assert_string_equal(ctx.host, "localhost");
    setenv("SOURCE_DATE_EPOCH", "yesterday", 1);
    assert_int_equal(gp_report_ctx_from_env(&ctx, NULL, host, sizeof host, &err), -1);
    assert_int_equal(err.code, GP_EXIT_USAGE);
    assert_non_null(strstr(err.msg, "'yesterday'"));
    /* Empty is unset: the clock, and this machine's name. */
    setenv("SOURCE_DATE_EPOCH", "", 1);
    before = gp_wall_us();
    memset(&err, 0, sizeof err);
    assert_int_equal(gp_report_ctx_from_env(&ctx, "", host, sizeof host, &err), 0);
    assert_true(ctx.generated_us >= before && ctx.generated_us <= gp_wall_us());
    assert_true(ctx.host[0] != '\0');
    unsetenv("SOURCE_DATE_EPOCH");
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

/* The temporary file is unpredictable and made with O_EXCL: a symlink planted at the old
 * predictable name PATH.tmp.PID is never followed, the target gets the data, and nothing is
 * left beside it. A symlink the user named as the target is written through, never replaced
 * (renaming over /dev/stderr once replaced the link itself). */
static void test_report_util_atomic_write_no_symlink_follow(void **state)
{
    char dir[] = "/tmp/gp-rutil-XXXXXX", *path, *victim, *planted, *back, *cmd;
    gp_err err = {0};
    int n = 0;
    FILE *ls;
    char line[512];

    (void)state;
    assert_non_null(mkdtemp(dir));
    path = gp_asprintf("%s/report.json", dir);
    victim = gp_asprintf("%s/victim", dir);
    planted = gp_asprintf("%s.tmp.%ld", path, (long)getpid());
    assert_int_equal(gp_write_file_atomic(victim, "precious", 8, &err), 0);
    assert_int_equal(symlink(victim, planted), 0);
    assert_int_equal(gp_write_file_atomic(path, "report", 6, &err), 0);
    back = fx_slurp(victim);
    assert_string_equal(back, "precious");
    free(back);
    back = fx_slurp(path);
    assert_string_equal(back, "report");
    free(back);
    /* The target a symlink the user named: written through, the link stays a link. */
    unlink(path);
    assert_int_equal(symlink(victim, path), 0);
    assert_int_equal(gp_write_file_atomic(path, "again", 5, &err), 0);
    back = fx_slurp(victim);
    assert_string_equal(back, "again");
    free(back);
    {
        char target[512];
        ssize_t k = readlink(path, target, sizeof target - 1);

        assert_true(k > 0);
    }
    cmd = gp_asprintf("ls -A %s", dir);
    ls = popen(cmd, "r");
    assert_non_null(ls);
    while (fgets(line, sizeof line, ls))
        n++;
    pclose(ls);
    assert_int_equal(n, 3); /* report.json, victim, the planted link: no temporary left */
    unlink(planted);
    unlink(path);
    unlink(victim);
    rmdir(dir);
    free(cmd);
    free(planted);
    free(victim);
    free(path);
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

/* A fast run then a timeout 2 s later: the timeout is cut off by a break, so the run's events
 * spread over most of the lane instead of its first 2 %. */
static void test_report_util_axis_breaks_long_idle(void **state)
{
    const int64_t t[] = {0, 1000, 1700, 1800, 2000, 7000, 12000, 17000, 2002000, 2002100};
    gp_axis ax;

    (void)state;
    gp_axis_build(&ax, t, 10, INT64_MIN, 10, 880);
    assert_int_equal(ax.nseg, 2);
    assert_true(ax.b[0] == 17000 && ax.a[1] == 2002000);
    assert_true(gp_axis_x(&ax, 17000) - gp_axis_x(&ax, 0) > 0.6 * 880);
    assert_true(gp_axis_x(&ax, 2002100) <= 10 + 880 + 1e-9);
    assert_true(gp_axis_x(&ax, 2002000) >= gp_axis_x(&ax, 17000) + GP_AXIS_BREAK_PX);
    /* monotonic */
    for (size_t i = 1; i < 10; i++)
        assert_true(gp_axis_x(&ax, t[i]) >= gp_axis_x(&ax, t[i - 1]));
}

/* Even spacing, no idle gap: one linear axis over the whole width, input order irrelevant. */
static void test_report_util_axis_linear_without_gaps(void **state)
{
    const int64_t t[] = {30000, 0, 10000, 20000, 5000};
    gp_axis ax;

    (void)state;
    gp_axis_build(&ax, t, 5, INT64_MIN, 0, 100);
    assert_int_equal(ax.nseg, 1);
    assert_true(gp_axis_x(&ax, 0) == 0 && gp_axis_x(&ax, 30000) == 100);
    assert_true(gp_axis_x(&ax, 15000) > 49.9 && gp_axis_x(&ax, 15000) < 50.1);
    gp_axis_build(&ax, t, 0, INT64_MIN, 0, 100); /* no frames: harmless */
    assert_int_equal(ax.nseg, 1);
}

/* A slow handshake (10 ms) then a run of 1 ms: the message starts its own segment and what
 * precedes it gets at most a fifth of the lane. Without a pivot it would take 90 %. */
static void test_report_util_axis_pivot_caps_handshake(void **state)
{
    const int64_t t[] = {0, 9000, 10000, 10000, 10200, 10400, 10600, 10800, 11000};
    gp_axis ax;

    (void)state;
    gp_axis_build(&ax, t, 9, INT64_MIN, 0, 900);
    assert_int_equal(ax.nseg, 1);
    gp_axis_build(&ax, t, 9, 10000, 0, 900);
    assert_int_equal(ax.nseg, 2);
    assert_true(ax.b[0] == 9000 && ax.a[1] == 10000);
    assert_true(ax.w[0] <= (900 - GP_AXIS_BREAK_PX) / 5 + 1e-6);
    assert_true(gp_axis_x(&ax, 11000) - gp_axis_x(&ax, 10000) > 0.7 * 900);
}

/* Many idle gaps: only the longest GP_AXIS_MAX_SEG - 1 are cut; too narrow a lane: none. */
static void test_report_util_axis_bounds_breaks(void **state)
{
    int64_t t[40], at = 0;
    gp_axis ax;
    size_t i;

    (void)state;
    /* bursts of 5 frames 1 ms apart, separated by 7 idle gaps of 1 s, 2 s, ... 7 s */
    for (i = 0; i < 40; i++) {
        if (i > 0 && i % 5 == 0)
            at += (int64_t)(i / 5) * 1000000;
        t[i] = at;
        at += 1000;
    }
    gp_axis_build(&ax, t, 40, INT64_MIN, 0, 900);
    assert_int_equal(ax.nseg, GP_AXIS_MAX_SEG);
    assert_true(ax.b[0] == t[14] && ax.a[1] == t[15]); /* 1 s and 2 s stay on the axis */
    assert_true(gp_axis_x(&ax, t[39]) <= 900 + 1e-9);
    for (i = 1; i < 40; i++)
        assert_true(gp_axis_x(&ax, t[i]) >= gp_axis_x(&ax, t[i - 1]));
    gp_axis_build(&ax, t, 40, INT64_MIN, 0, 100);
    assert_int_equal(ax.nseg, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_report_util_xml_escapes_specials),
        cmocka_unit_test(test_report_util_redacts_credentials),
        cmocka_unit_test(test_report_util_utf8_clean_cuts_on_boundary),
        cmocka_unit_test(test_report_util_iso8601),
        cmocka_unit_test(test_report_util_source_date_epoch),
        cmocka_unit_test(test_report_util_ctx_from_env),
        cmocka_unit_test(test_report_util_atomic_write),
        cmocka_unit_test(test_report_util_atomic_write_no_symlink_follow),
        cmocka_unit_test(test_report_util_frame_window),
        cmocka_unit_test(test_report_util_axis_breaks_long_idle),
        cmocka_unit_test(test_report_util_axis_linear_without_gaps),
        cmocka_unit_test(test_report_util_axis_pivot_caps_handshake),
        cmocka_unit_test(test_report_util_axis_bounds_breaks),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
