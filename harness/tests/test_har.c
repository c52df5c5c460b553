/* test_har.c - reading HAR captures into transcripts: markers, times, binary frames, messages
 * versus noise, redaction by value, the errors, and the scenario built for a capture. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "har.h"
#include "judge.h"

/* One WebSocket entry at 2026-01-01T00:00:00Z (epoch 1767225600) with frames F (JSON). */
#define ENTRY(URL, STATUS, HEADERS, FRAMES)                                                        \
    "{\"startedDateTime\":\"2026-01-01T00:00:00.000Z\",\"time\":2000,"                             \
    "\"_resourceType\":\"websocket\",\"request\":{\"method\":\"GET\",\"url\":\"" URL "\","         \
    "\"headers\":[" HEADERS "]},\"response\":{\"status\":" STATUS "},"                             \
    "\"timings\":{\"wait\":1},\"_webSocketMessages\":[" FRAMES "]}"
#define HAR(E) "{\"log\":{\"version\":\"1.2\",\"entries\":[" E "]}}"
#define RECV(T, D) "{\"type\":\"receive\",\"time\":" T ",\"opcode\":1,\"data\":\"" D "\"}"
#define SEND(T, D) "{\"type\":\"send\",\"time\":" T ",\"opcode\":1,\"data\":\"" D "\"}"
#define Q "\\\""

#define READY                                                                                      \
    RECV("1767225600.010", "{" Q "type" Q ":" Q "connection_established" Q "," Q "data" Q ":{" Q   \
                           "user_id" Q ":" Q "u-7" Q "}}")
#define MSG(T)                                                                                     \
    SEND(T, "{" Q "type" Q ":" Q "user_message" Q "," Q "payload" Q ":{" Q "thread_id" Q ":" Q     \
            "th-1" Q "}}")
#define EV(T, TYPE) RECV(T, "{" Q "type" Q ":" Q TYPE Q "}")

static gp_har *load(const char *text, const char *mtype, gp_err *err)
{
    gp_profile p;
    gp_har *h;

    gp_profile_init_default(&p);
    h = gp_har_load_mem("t.har", text, strlen(text), &p, mtype, err);
    gp_profile_cleanup(&p);
    return h;
}

static size_t count_kind(const gp_transcript *t, gp_frame_kind k)
{
    size_t i, n = 0;

    for (i = 0; i < t->nframes; i++)
        n += t->frames[i].kind == k;
    return n;
}

static void test_har_markers_and_times(void **state)
{
    static const char text[] =
        HAR(ENTRY("ws://h/ws", "101", "",
                  READY "," MSG("1767225600.020") "," EV("1767225600.030", "agent_started") "," EV(
                      "1767225600.530", "agent_completed")));
    gp_err err = {0};
    gp_har *h = load(text, NULL, &err);
    const gp_transcript *t;

    (void)state;
    assert_non_null(h);
    assert_int_equal(h->n, 1);
    assert_int_equal(h->nentries, 1);
    assert_int_equal(h->max_runs, 1);
    assert_int_equal(h->started_wall_us, 1767225600LL * 1000000);
    t = h->ts[0];
    assert_string_equal(t->user_id, "u-7"); /* from the ready frame */
    assert_int_equal(t->frames[0].kind, GP_FR_CONNECT);
    assert_non_null(strstr(t->frames[0].data, "ws://h/ws (browser capture, entry 1)"));
    assert_int_equal(t->frames[1].kind, GP_FR_CONNECTED);
    assert_int_equal(t->frames[1].t_us, 1000); /* timings.wait */
    assert_int_equal(t->frames[2].kind, GP_FR_RECV_TEXT);
    assert_true(t->frames[2].t_us >= 9000 && t->frames[2].t_us <= 11000);
    assert_int_equal(t->frames[3].kind, GP_FR_SENT);
    assert_int_equal(t->frames[4].kind, GP_FR_RUN_BEGIN);
    assert_string_equal(t->frames[4].data, "th-1");
    assert_int_equal(t->frames[4].code, 0); /* the run's ordinal until bound */
    assert_int_equal(t->frames[t->nframes - 1].kind, GP_FR_RUN_END);
    assert_string_equal(t->frames[t->nframes - 1].data, "completed");
    assert_true(t->frames[6].t_us >= 529000 && t->frames[6].t_us <= 531000);
    gp_har_free(h);
}

static void test_har_noise_sent_is_a_note_and_open_run_times_out(void **state)
{
    static const char text[] =
        HAR(ENTRY("ws://h/ws", "101", "",
                  READY "," MSG("1767225600.020") "," SEND(
                      "1767225600.025", "{" Q "type" Q ":" Q "heartbeat" Q
                                        "}") "," EV("1767225600.030", "agent_started")));
    gp_err err = {0};
    gp_har *h = load(text, NULL, &err);
    const gp_transcript *t;

    (void)state;
    assert_non_null(h);
    t = h->ts[0];
    assert_int_equal(count_kind(t, GP_FR_SENT), 1);
    assert_int_equal(count_kind(t, GP_FR_NOTE), 2); /* the heartbeat, the end of the capture */
    assert_int_equal(t->frames[t->nframes - 1].kind, GP_FR_RUN_END);
    assert_string_equal(t->frames[t->nframes - 1].data, "timeout");
    /* Waited until the entry ended: its time, 2 s after it started. */
    assert_int_equal(t->frames[t->nframes - 1].t_us, 2000000);
    gp_har_free(h);
}

static void test_har_message_type_filters(void **state)
{
    static const char text[] = HAR(ENTRY("ws://h/ws", "101", "", READY "," MSG("1767225600.020")));
    gp_err err = {0};
    gp_har *h = load(text, "chat", &err);

    (void)state;
    assert_non_null(h);
    assert_int_equal(h->max_runs, 0);
    assert_int_equal(count_kind(h->ts[0], GP_FR_SENT), 0);
    gp_har_free(h);
}

static void test_har_binary_and_refused(void **state)
{
    static const char text[] = HAR(ENTRY("ws://h/ws", "101", "",
                                         "{\"type\":\"receive\",\"time\":1767225600.1,\"opcode\":2,"
                                         "\"data\":\"AAECAw==\"}") "," ENTRY("ws://h/ws", "403", "",
                                                                             ""));
    gp_err err = {0};
    gp_har *h = load(text, NULL, &err);

    (void)state;
    assert_non_null(h);
    assert_int_equal(h->n, 2);
    assert_int_equal(h->ts[0]->frames[2].kind, GP_FR_RECV_BINARY);
    assert_int_equal(h->ts[0]->frames[2].len, 4);
    assert_null(h->ts[0]->frames[2].data);
    assert_int_equal(h->ts[1]->frames[1].kind, GP_FR_CONN_ERROR);
    assert_int_equal(h->ts[1]->frames[1].code, 403);
    assert_string_equal(h->ts[1]->user_id, "capture-user-2");
    gp_har_free(h);
}

static void test_har_redacts_credentials(void **state)
{
    static const char text[] =
        HAR(ENTRY("ws://h/ws?token=tok-secret-123456&x=1", "101",
                  "{\"name\":\"Cookie\",\"value\":\"sid=cookie-secret-999; a=b\"},"
                  "{\"name\":\"Authorization\",\"value\":\"Bearer bearer-secret-42\"}",
                  READY "," RECV("1767225600.1",
                                 "{" Q "type" Q ":" Q "x" Q "," Q "echo" Q ":" Q
                                 "cookie-secret-999 tok-secret-123456 bearer-secret-42" Q "}")));
    gp_err err = {0};
    gp_har *h = load(text, NULL, &err);
    const gp_transcript *t;
    size_t i;

    (void)state;
    assert_non_null(h);
    t = h->ts[0];
    for (i = 0; i < t->nframes; i++) {
        if (!t->frames[i].data)
            continue;
        assert_null(strstr(t->frames[i].data, "cookie-secret-999"));
        assert_null(strstr(t->frames[i].data, "tok-secret-123456"));
        assert_null(strstr(t->frames[i].data, "bearer-secret-42"));
    }
    assert_non_null(strstr(t->frames[0].data, "token=REDACTED"));
    assert_non_null(strstr(t->frames[3].data, "REDACTED REDACTED REDACTED"));
    gp_har_free(h);
}

static const struct {
    const char *text;
    const char *error;
} bad[] = {
    {"", "the file is empty"},
    {"<html>", "not JSON"},
    {"{\"log\":{\"entries\":[", "truncated capture"},
    {"{\"log\":{}}", "not a HAR file"},
    {"[1,2]", "not a HAR file"},
    {HAR("{\"request\":{\"method\":\"GET\",\"url\":\"https://a/?token=zzzzzzzzzz\"}},"
         "{\"request\":{\"method\":\"POST\",\"url\":\"https://b/\"}}"),
     "2 entries, none a WebSocket: GET https://a/?token=REDACTED, POST https://b/"},
    {HAR(ENTRY("ws://h/ws", "101", "", "{\"type\":\"receive\",\"time\":1.5,\"opcode\":1}")),
     "frame 1 is truncated"},
    {HAR(ENTRY("ws://h/ws", "101", "",
               "{\"type\":\"sideways\",\"time\":1.5,\"opcode\":1,"
               "\"data\":\"{}\"}")),
     "frame 1 is truncated"},
};

static void test_har_errors(void **state)
{
    size_t i;

    (void)state;
    for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        gp_err err = {0};
        gp_har *h = load(bad[i].text, NULL, &err);

        if (h || !strstr(err.msg, bad[i].error))
            fail_msg("case %zu: got \"%s\", want \"%s\"", i, err.msg, bad[i].error);
        assert_int_equal(err.code, GP_EXIT_USAGE);
    }
}

static void test_har_size_bound(void **state)
{
    gp_err err = {0};
    gp_profile p;

    (void)state;
    gp_profile_init_default(&p);
    assert_null(gp_har_load_mem("big.har", "{}", GP_HAR_MAX_BYTES + 1, &p, NULL, &err));
    assert_non_null(strstr(err.msg, "captures above 64 MiB are refused"));
    gp_profile_cleanup(&p);
}

/* The built scenario has a connect and a send/expect_run pair per run; the markers carry its
 * ids, and the judge passes a complete run and fails an open one. */
static void test_har_scenario_and_judge(void **state)
{
    static const char text[] =
        HAR(ENTRY("ws://h/ws", "101", "",
                  READY "," MSG("1767225600.020") "," RECV(
                      "1767225600.03", "{" Q "type" Q ":" Q "agent_started" Q "," Q "run_id" Q ":" Q
                                       "r1" Q "," Q "thread_id" Q ":" Q "th-1" Q "," Q "user_id" Q
                                       ":" Q "u-7" Q "," Q "timestamp" Q ":1767225600.03," Q
                                       "agent_name" Q ":" Q "a" Q "}") "," MSG("1767225600.5")));
    gp_err err = {0};
    gp_har *h = load(text, NULL, &err);
    gp_scenario *s = gp_har_default_scenario("dir/t.har", &err);
    gp_results *r;
    const gp_transcript *t;
    size_t i;

    (void)state;
    assert_non_null(h);
    assert_non_null(s);
    assert_string_equal(s->name, "t.har");
    assert_int_equal(h->max_runs, 2);
    assert_int_equal(gp_har_scenario(s, h, &err), 0);
    assert_int_equal(s->nsteps, 5);
    assert_int_equal(s->steps[0].kind, GP_STEP_CONNECT);
    assert_int_equal(s->steps[4].kind, GP_STEP_EXPECT_RUN);
    t = h->ts[0];
    for (i = 0; i < t->nframes; i++)
        if (t->frames[i].kind == GP_FR_RUN_BEGIN)
            assert_int_equal(gp_scenario_step(s, t->frames[i].code)->kind, GP_STEP_EXPECT_RUN);
    r = gp_judge_run(s, h->ts, h->n);
    assert_false(gp_results_passed(r));
    gp_results_free(r);
    gp_scenario_free(s);
    gp_har_free(h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_har_markers_and_times),
        cmocka_unit_test(test_har_noise_sent_is_a_note_and_open_run_times_out),
        cmocka_unit_test(test_har_message_type_filters),
        cmocka_unit_test(test_har_binary_and_refused),
        cmocka_unit_test(test_har_redacts_credentials),
        cmocka_unit_test(test_har_errors),
        cmocka_unit_test(test_har_size_bound),
        cmocka_unit_test(test_har_scenario_and_judge),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
