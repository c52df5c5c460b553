/* test_transcript.c - transcript bounds, the JSON round trip, and the judge's verdict on a
 * transcript that overflowed its bound. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "judge.h"
#include "transcript.h"

static void test_transcript_bounds(void **state)
{
    gp_transcript *t = gp_transcript_new(0, "u0", "n0");

    t->max_frames = 3;
    t->max_bytes = 10;
    assert_int_equal(gp_transcript_add(t, GP_FR_RECV_TEXT, 1, 0, "12345", 5), 0);
    assert_int_equal(gp_transcript_add(t, GP_FR_RECV_TEXT, 2, 0, "123456", 6), (size_t)-1);
    assert_int_equal(gp_transcript_add(t, GP_FR_NOTE, 3, 0, NULL, 0), 1);
    assert_int_equal(gp_transcript_add(t, GP_FR_RECV_TEXT, 4, 0, "12345", 5), 2);
    assert_int_equal(gp_transcript_add(t, GP_FR_NOTE, 5, 0, NULL, 0), (size_t)-1);
    assert_int_equal(t->nframes, 3);
    assert_int_equal(t->dropped, 2);
    assert_int_equal(t->bytes, 10);
    gp_transcript_free(t);
    gp_transcript_free(NULL);
}

static void test_transcript_round_trip(void **state)
{
    char path[] = "/tmp/gp-transcript-XXXXXX";
    int fd = mkstemp(path);
    gp_transcript *t = gp_transcript_new(4, "user-4", "nonce-4"), **back = NULL;
    size_t n = 0;
    gp_err err = {0};

    assert_true(fd >= 0);
    close(fd);
    gp_transcript_add(t, GP_FR_SENT, 10, 0, "{\"type\":\"user_message\"}", 23);
    gp_transcript_add(t, GP_FR_CLOSED, 20, 1011, "closed by server: 1011", 22);
    gp_transcript_add(t, GP_FR_RECV_BINARY, 30, 0, NULL, 99);
    assert_int_equal(gp_transcripts_save(path, &t, 1, &err), 0);
    assert_int_equal(gp_transcripts_load(path, &back, &n, &err), 0);
    assert_int_equal(n, 1);
    assert_string_equal(back[0]->user_id, "user-4");
    assert_string_equal(back[0]->nonce, "nonce-4");
    assert_int_equal(back[0]->user_index, 4);
    assert_int_equal(back[0]->nframes, 3);
    assert_int_equal(back[0]->frames[1].kind, GP_FR_CLOSED);
    assert_int_equal(back[0]->frames[1].code, 1011);
    assert_int_equal(back[0]->frames[2].len, 99);
    assert_null(back[0]->frames[2].data);
    gp_transcript_free(back[0]);
    free(back);
    gp_transcript_free(t);
    unlink(path);
}

static void test_transcript_load_errors(void **state)
{
    char path[] = "/tmp/gp-transcript-XXXXXX";
    int fd = mkstemp(path);
    gp_transcript **ts = NULL;
    size_t n = 0;
    gp_err err = {0};

    assert_true(fd >= 0);
    assert_true(write(fd, "{\"users\": [{\"frames\": [{\"kind\": \"bogus\"}]}]}", 44) == 44);
    close(fd);
    assert_int_equal(gp_transcripts_load(path, &ts, &n, &err), -1);
    assert_non_null(strstr(err.msg, "unknown kind"));
    memset(&err, 0, sizeof err);
    assert_int_equal(gp_transcripts_load("/nonexistent/t.json", &ts, &n, &err), -1);
    assert_true(gp_err_isset(&err));
    unlink(path);
}

/* A user whose transcript overflowed fails GP-R7-FRAMES, even if what was kept is clean. */
static void test_transcript_overflow_fails_r7(void **state)
{
    gp_scenario s;
    gp_step steps[1];
    gp_transcript *t = gp_transcript_new(0, "u0", "nonce-abcdefgh");
    gp_results *r;

    memset(&s, 0, sizeof s);
    memset(steps, 0, sizeof steps);
    gp_profile_init_default(&s.profile);
    steps[0].kind = GP_STEP_CONNECT;
    s.steps = steps;
    s.nsteps = 1;
    s.nstep_ids = 1;
    gp_transcript_add(t, GP_FR_CONNECT, 0, 0, "ws://x/ws", 9);
    gp_transcript_add(t, GP_FR_CONNECTED, 1, 0, NULL, 0);
    gp_transcript_add(t, GP_FR_RECV_TEXT, 2, 0, "{\"type\":\"connection_established\"}", 33);
    r = gp_judge_run(&s, &t, 1);
    assert_int_equal(r->rules[GP_RULE_R7_FRAMES].failed, 0);
    gp_results_free(r);

    t->dropped = 5000;
    r = gp_judge_run(&s, &t, 1);
    assert_int_equal(r->rules[GP_RULE_R7_FRAMES].failed, 1);
    assert_non_null(strstr(r->rules[GP_RULE_R7_FRAMES].examples[0].received, "5000 frames"));
    assert_false(r->users[0].passed);
    gp_results_free(r);
    gp_transcript_free(t);
    gp_profile_cleanup(&s.profile);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_transcript_bounds),
        cmocka_unit_test(test_transcript_round_trip),
        cmocka_unit_test(test_transcript_load_errors),
        cmocka_unit_test(test_transcript_overflow_fails_r7),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
