/* test_transcript.c - transcript bounds, the JSON round trip (with the harness's health), and
 * the judge's verdict on a transcript that overflowed its bound. */
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
    assert_int_equal(gp_transcript_add(t, GP_FR_RECV_TEXT, 5, 0, NULL, 0), (size_t)-1);
    assert_int_equal(gp_transcript_add(t, GP_FR_PONG, 5, 0, NULL, 0), (size_t)-1);
    assert_int_equal(t->nframes, 3);
    assert_int_equal(t->dropped, 3);
    assert_int_equal(t->bytes, 10);
    gp_transcript_free(t);
}

/* Issue 11, finding 3: the users' shares never add up to more than the run's bound (a floor
 * of 1 MiB per user once broke it above 1,024 users). */
static void test_transcript_budget_holds_for_any_users(void **state)
{
    static const size_t users[] = {0, 1, 2, 63, 64, 65, 1000, 1024, 1025, 1500, 19000, 100000};
    size_t i;

    (void)state;
    for (i = 0; i < sizeof users / sizeof users[0]; i++) {
        size_t n = users[i] ? users[i] : 1, b = gp_transcript_budget(users[i]);

        assert_true(b <= GP_TRANSCRIPT_USER_MAX_BYTES);
        assert_true(b * n <= GP_TRANSCRIPTS_RUN_MAX_BYTES);
        assert_true(b > 0);
    }
    assert_int_equal(gp_transcript_budget(1), GP_TRANSCRIPT_USER_MAX_BYTES);
    assert_int_equal(gp_transcript_budget(2048), GP_TRANSCRIPTS_RUN_MAX_BYTES / 2048);
}

/* Each kept frame's record counts against the bytes (frame_cost), so many tiny frames cannot
 * exceed the bound either; room says how far a frame being received may grow. */
static void test_transcript_frame_cost_and_room(void **state)
{
    gp_transcript *t = gp_transcript_new(0, "u0", "n0");
    char *owned = malloc(4);

    (void)state;
    t->max_bytes = 100;
    t->frame_cost = 40;
    assert_int_equal(gp_transcript_room(t), 60);
    assert_int_equal(gp_transcript_add(t, GP_FR_RECV_TEXT, 1, 0, NULL, 0), 0);
    assert_int_equal(t->bytes, 40);
    assert_int_equal(gp_transcript_room(t), 20);
    assert_int_equal(gp_transcript_add(t, GP_FR_RECV_TEXT, 2, 0, "123456789012345678901", 21),
                     (size_t)-1);
    memcpy(owned, "abc", 4);
    assert_int_equal(gp_transcript_add_owned(t, GP_FR_RECV_TEXT, 3, 0, owned, 3), 1);
    assert_string_equal(t->frames[1].data, "abc");
    assert_int_equal(t->bytes, 83);
    assert_int_equal(gp_transcript_room(t), 0);
    owned = malloc(2);
    memcpy(owned, "z", 2);
    assert_int_equal(gp_transcript_add_owned(t, GP_FR_RECV_TEXT, 4, 0, owned, 1), (size_t)-1);
    gp_transcript_drop(t);
    assert_int_equal(t->dropped, 3);
    gp_transcript_free(t);
}

/* Past the bound, the runner's own records (a failed expect, a close) still have a small
 * reserve, so a flooded user's verdict is kept; what the server sent never does. */
static void test_transcript_marker_reserve(void **state)
{
    gp_transcript *t = gp_transcript_new(0, "u0", "n0");
    size_t i;

    t->max_frames = 2;
    t->max_bytes = 4;
    assert_int_equal(gp_transcript_add(t, GP_FR_RECV_TEXT, 1, 0, "1234", 4), 0);
    assert_int_equal(gp_transcript_add(t, GP_FR_RECV_TEXT, 2, 0, "x", 1), (size_t)-1);
    assert_int_equal(gp_transcript_add(t, GP_FR_EXPECT_FAIL, 3, 1, "why", 3), 1);
    assert_int_equal(gp_transcript_add(t, GP_FR_RECV_TEXT, 4, 0, NULL, 0), (size_t)-1);
    for (i = 2; i < 2 + GP_TRANSCRIPT_MARKER_FRAMES; i++)
        assert_int_equal(gp_transcript_add(t, GP_FR_NOTE, 6, 0, NULL, 0), i);
    assert_int_equal(gp_transcript_add(t, GP_FR_NOTE, 7, 0, NULL, 0), (size_t)-1);
    assert_int_equal(t->dropped, 3);
    gp_transcript_free(t);
    gp_transcript_free(NULL);
}

/* A frame with invalid UTF-8 (or a NUL byte) is saved with its bytes, so judging the saved
 * file offline reaches the live run's verdict (it was saved without data, issue 11). */
static void test_transcript_round_trip_raw_bytes(void **state)
{
    static const char bad[] = "{\"type\":\"heartbeat\",\"x\":\"\xff\xfe\"}";
    static const char nul[] = "a\0b";
    char path[] = "/tmp/gp-transcript-XXXXXX";
    int fd = mkstemp(path);
    gp_transcript *t = gp_transcript_new(0, "u", "n"), **back = NULL;
    size_t n = 0;
    gp_err err = {0};

    (void)state;
    assert_true(fd >= 0);
    close(fd);
    gp_transcript_add(t, GP_FR_RECV_TEXT, 10, 0, bad, sizeof bad - 1);
    gp_transcript_add(t, GP_FR_RECV_TEXT, 20, 0, nul, 3);
    assert_int_equal(gp_transcripts_save(path, &t, 1, &err), 0);
    assert_int_equal(gp_transcripts_load(path, &back, &n, &err), 0);
    assert_int_equal(back[0]->nframes, 2);
    assert_non_null(back[0]->frames[0].data);
    assert_int_equal(back[0]->frames[0].len, sizeof bad - 1);
    assert_memory_equal(back[0]->frames[0].data, bad, sizeof bad - 1);
    assert_int_equal(back[0]->frames[1].len, 3);
    assert_memory_equal(back[0]->frames[1].data, nul, 3);
    gp_transcript_free(back[0]);
    free(back);
    gp_transcript_free(t);
    unlink(path);
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

static void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");

    assert_non_null(f);
    assert_int_equal(fputs(text, f) >= 0, 1);
    assert_int_equal(fclose(f), 0);
}

/* The harness's stalls travel with the transcripts, so offline judging reaches the run's
 * verdict; files without them, from before, load as unmeasured. */
static void test_transcript_health_round_trip(void **state)
{
    char path[] = "/tmp/gp-transcript-XXXXXX";
    int fd = mkstemp(path);
    gp_transcript *t = gp_transcript_new(0, "user-0", "nonce-0"), **back = NULL;
    gp_health h = {0}, got;
    size_t n = 0;
    gp_err err = {0};

    (void)state;
    assert_true(fd >= 0);
    close(fd);
    gp_transcript_add(t, GP_FR_CONNECT, 10, 0, "ws://x", 6);
    h.measured = true;
    h.workers = 2;
    h.lag_p50_us = 300;
    h.lag_p99_us = 4000;
    h.lag_max_us = 5020000;
    h.cpu_user_s = 1.5;
    h.cpu_sys_s = 0.25;
    h.cpu_busy = 0.875;
    gp_health_add_stall(&h, 1000, 2000, 900);
    gp_health_add_stall(&h, 5000000, 10020000, 5020000);
    assert_int_equal(gp_transcripts_save_health(path, &t, 1, &h, &err), 0);
    assert_int_equal(gp_transcripts_load_health(path, &back, &n, &got, &err), 0);
    assert_int_equal(n, 1);
    assert_true(got.measured);
    assert_int_equal(got.workers, 2);
    assert_int_equal(got.lag_p50_us, 300);
    assert_int_equal(got.lag_p99_us, 4000);
    assert_int_equal(got.lag_max_us, 5020000);
    assert_true(got.cpu_user_s == 1.5 && got.cpu_sys_s == 0.25 && got.cpu_busy == 0.875);
    assert_int_equal(got.nstalls, 2);
    assert_int_equal(got.stalls[1].from_us, 5000000);
    assert_int_equal(got.stalls[1].to_us, 10020000);
    assert_int_equal(got.stalls[1].lag_us, 5020000);
    gp_health_cleanup(&got);
    gp_transcript_free(back[0]);
    free(back);

    /* Saved without health (or unmeasured): no "harness", and it loads unmeasured. */
    h.measured = false;
    assert_int_equal(gp_transcripts_save_health(path, &t, 1, &h, &err), 0);
    assert_int_equal(gp_transcripts_load_health(path, &back, &n, &got, &err), 0);
    assert_false(got.measured);
    assert_int_equal(got.nstalls, 0);
    gp_transcript_free(back[0]);
    free(back);

    /* Stalls written out of order are sorted; a window ending before it begins is refused. */
    write_text(path, "{\"harness\":{\"lag_p50_us\":1,\"lag_p99_us\":2,\"lag_max_us\":900,"
                     "\"stalls\":[{\"from_us\":5000,\"to_us\":6000,\"lag_us\":900},"
                     "{\"from_us\":10,\"to_us\":20,\"lag_us\":10}]},\"users\":[]}");
    assert_int_equal(gp_transcripts_load_health(path, &back, &n, &got, &err), 0);
    assert_int_equal(got.nstalls, 2);
    assert_int_equal(got.stalls[0].from_us, 10);
    assert_true(gp_health_overlaps(&got, 5500, 7000));
    gp_health_cleanup(&got);
    free(back);
    write_text(path, "{\"harness\":{\"lag_p50_us\":1,\"lag_p99_us\":2,\"lag_max_us\":3,"
                     "\"stalls\":[{\"from_us\":50,\"to_us\":20,\"lag_us\":10}]},\"users\":[]}");
    assert_int_equal(gp_transcripts_load_health(path, &back, &n, &got, &err), -1);
    assert_non_null(strstr(err.msg, "stall 0"));
    assert_false(got.measured);
    memset(&err, 0, sizeof err);
    write_text(path, "{\"harness\":{\"stalls\":{}},\"users\":[]}");
    assert_int_equal(gp_transcripts_load(path, &back, &n, &err), -1);
    assert_non_null(strstr(err.msg, "harness"));

    gp_health_cleanup(&h);
    gp_transcript_free(t);
    unlink(path);
}

/* Where and when the run happened travels with its transcripts, so a report judged later
 * names the run's host and start; files from before load as unknown. */
static void test_transcript_origin_round_trip(void **state)
{
    char path[] = "/tmp/gp-transcript-XXXXXX";
    int fd = mkstemp(path);
    gp_transcript *t = gp_transcript_new(0, "user-0", "nonce-0"), **back = NULL;
    gp_health h = {0}, got;
    gp_run_origin o = {"ci-runner-3", 1758204000250000LL}, in;
    size_t n = 0;
    gp_err err = {0};

    (void)state;
    assert_true(fd >= 0);
    close(fd);
    gp_transcript_add(t, GP_FR_CONNECT, 10, 0, "ws://x", 6);
    assert_int_equal(gp_transcripts_save_origin(path, &t, 1, &h, &o, &err), 0);
    assert_int_equal(gp_transcripts_load_origin(path, &back, &n, &got, &in, &err), 0);
    assert_int_equal(n, 1);
    assert_string_equal(in.host, "ci-runner-3");
    assert_int_equal(in.started_wall_us, 1758204000250000LL);
    gp_health_cleanup(&got);
    gp_transcript_free(back[0]);
    free(back);

    /* Without an origin (an older file): unknown, and it still loads. */
    assert_int_equal(gp_transcripts_save_health(path, &t, 1, &h, &err), 0);
    assert_int_equal(gp_transcripts_load_origin(path, &back, &n, &got, &in, &err), 0);
    assert_string_equal(in.host, "");
    assert_int_equal(in.started_wall_us, 0);
    gp_health_cleanup(&got);
    gp_transcript_free(back[0]);
    free(back);

    /* A host that is not a plain name, or a start no report can write, is refused. */
    write_text(path, "{\"run\":{\"host\":\"a b\"},\"users\":[]}");
    assert_int_equal(gp_transcripts_load_origin(path, &back, &n, &got, &in, &err), -1);
    assert_non_null(strstr(err.msg, "printable"));
    assert_string_equal(in.host, "");
    memset(&err, 0, sizeof err);
    write_text(path, "{\"run\":{\"started_at_us\":-5},\"users\":[]}");
    assert_int_equal(gp_transcripts_load_origin(path, &back, &n, &got, &in, &err), -1);
    assert_non_null(strstr(err.msg, "started_at_us"));
    memset(&err, 0, sizeof err);
    write_text(path, "{\"run\":\"here\",\"users\":[]}");
    assert_int_equal(gp_transcripts_load_origin(path, &back, &n, &got, &in, &err), -1);
    /* The plain loaders ignore "run". */
    assert_int_equal(gp_transcripts_load(path, &back, &n, &err), 0);
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
        cmocka_unit_test(test_transcript_marker_reserve),
        cmocka_unit_test(test_transcript_budget_holds_for_any_users),
        cmocka_unit_test(test_transcript_frame_cost_and_room),
        cmocka_unit_test(test_transcript_round_trip),
        cmocka_unit_test(test_transcript_round_trip_raw_bytes),
        cmocka_unit_test(test_transcript_load_errors),
        cmocka_unit_test(test_transcript_health_round_trip),
        cmocka_unit_test(test_transcript_origin_round_trip),
        cmocka_unit_test(test_transcript_overflow_fails_r7),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
