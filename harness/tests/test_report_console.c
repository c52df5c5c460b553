/* test_report_console.c - the human summary: rule lines, failing users with expected and
 * received, transcript tails, the closing line, ASCII without color, and no secrets. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report_fixture.h"

static char *render(const fixture *fx, const gp_console_opts *o)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);

    assert_non_null(f);
    gp_report_console(f, &fx->suite, 1, o);
    fclose(f);
    return buf;
}

static void test_report_console_failing_run(void **state)
{
    fixture fx;
    gp_console_opts o = {false, 3, 8};
    char *s;
    const char *p;

    (void)state;
    fixture_init(&fx, FX_FAIL, 1, NULL);
    s = render(&fx, &o);
    assert_non_null(strstr(s, "== golden_path =="));
    assert_non_null(strstr(s, "users:    6"));
    assert_non_null(strstr(s, "  FAIL GP-R1-STARTED-FIRST          5       1       6  "));
    assert_non_null(strstr(s, "  PASS GP-CONNECT                   6       0       6  "));
    assert_non_null(strstr(s, "  SKIP GP-AUTH                      0       0       0  "));
    assert_non_null(strstr(s, "GP-R1-STARTED-FIRST  1 of 6 users failed"));
    assert_non_null(strstr(s, "  user gp-user-1 (#1), step 3, frame 5\n"
                              "    expected: agent_started as the first event\n"
                              "    received: agent_thinking, agent_started,"));
    assert_non_null(strstr(s, "  user gp-user-<2>&\"' (#2)"));
    assert_non_null(strstr(s, "! "));
    assert_non_null(strstr(s, "< agent_thinking"));
    assert_non_null(strstr(s, "golden_path: 4 of 6 users passed; 2 failed "
                              "(GP-R1-STARTED-FIRST, GP-R2-COMPLETED-LAST)\n"));
    assert_non_null(strstr(s, "causes:  other 2"));
    assert_non_null(strstr(s, "  agent_started             6"));
    assert_null(strstr(s, "supersecret"));
    assert_null(strstr(s, "sekret"));
    assert_null(strstr(s, "\033["));
    for (p = s; *p; p++)
        assert_true((unsigned char)*p >= 0x20 || *p == '\n');
    free(s);
    fixture_cleanup(&fx);
}

static void test_report_console_limits_users_and_frames(void **state)
{
    fixture fx;
    gp_console_opts o = {true, 1, 2};
    char *s;
    size_t i;

    (void)state;
    fixture_init(&fx, FX_PASS, 1, NULL);
    for (i = 0; i < 4; i++)
        gp_results_fail(fx.res, GP_RULE_GAP, i, 3, 6, "gaps under 1 s", "a 2 s gap");
    s = render(&fx, &o);
    assert_non_null(strstr(s, "\033[31m"));
    assert_non_null(strstr(s, "user gp-user-0 (#0)"));
    assert_null(strstr(s, "user gp-user-1 (#1)"));
    assert_non_null(strstr(s, "... and 3 more users"));
    assert_non_null(strstr(s, "... 5 earlier frames"));
    assert_non_null(strstr(s, "golden_path: 2 of 6 users passed; 4 failed (GP-MAX-GAP)"));
    free(s);
    fixture_cleanup(&fx);
}

static void test_report_console_passing_run(void **state)
{
    fixture fx;
    char *s;

    (void)state;
    fixture_init(&fx, FX_PASS, 1, NULL);
    fx.suite.meta.interrupted = true;
    s = render(&fx, NULL);
    assert_null(strstr(s, "FAIL "));
    assert_non_null(strstr(s, "causes:  none"));
    assert_non_null(strstr(s, "golden_path: 6 of 6 users passed; 0 failed; interrupted\n"));
    free(s);
    fixture_cleanup(&fx);
}

/* Every user refused with HTTP 401 on a valid credential: the summary says so and names the
 * secret's variable and the carrier (never a value); a user failing two rules at the same
 * frame gets its transcript once. */
static void test_report_console_auth_hint_and_one_tail(void **state)
{
    fixture fx;
    gp_console_opts o = {false, 3, 8};
    gp_results *r;
    char *s;
    size_t u;

    (void)state;
    fixture_init(&fx, FX_PASS, 1, NULL);
    r = fx.res;
    for (u = 0; u < FX_USERS; u++) {
        gp_transcript_free(fx.ts[u]);
        fx.ts[u] = gp_transcript_new(u, r->users[u].user_id, "n");
        fx_frame(fx.ts[u], GP_FR_CONNECT, 0, 0,
                 "ws://127.0.0.1:8765/ws (credential: valid, carrier: bearer)");
        fx_frame(fx.ts[u], GP_FR_CONN_ERROR, 500, 401, "upgrade refused: HTTP 401");
        gp_results_fail(r, GP_RULE_CONNECT, u, 0, 1, "a connection and a ready frame",
                        "upgrade refused: HTTP 401");
        gp_results_fail(r, GP_RULE_COMPLETION, u, 2, 1, "agent_completed within 20 s",
                        "connection failed: upgrade refused: HTTP 401");
    }
    r->causes[GP_CAUSE_UPGRADE_REFUSED] = FX_USERS;
    s = render(&fx, &o);
    assert_non_null(strstr(s, "hint: the server answered HTTP 401 to the valid credential of 6 "
                              "of 6 users: check that GOLDENPATH_JWT_SECRET holds the secret"));
    assert_non_null(strstr(s, "that auth.claims carries the claims the server requires (commonly "
                              "sub, email, iss, exp and iat;"));
    assert_non_null(strstr(s, "target.carrier puts it (bearer; or subprotocol, query)"));
    /* 3 users shown per rule: 3 excerpts under GP-CONNECT, 3 references under GP-COMPLETION */
    assert_int_equal(fx_count(s, "conn_error 401"), 3);
    assert_int_equal(fx_count(s, "transcript as above under GP-CONNECT"), 3);
    free(s);

    /* a refusal the step asked for is no hint */
    for (u = 0; u < FX_USERS; u++)
        fx.ts[u]->frames[0].data[strlen("ws://127.0.0.1:8765/ws (credential: ")] = 'X';
    s = render(&fx, &o);
    assert_null(strstr(s, "hint:"));
    free(s);
    fixture_cleanup(&fx);
}

/* A 401 from the ticket endpoint or the test-auth endpoint, before any upgrade: the hint names
 * that endpoint and the claims real servers commonly require (the real ticket route refuses a
 * token without email), never the carrier, which the request did not use. */
static void test_report_console_auth_hint_endpoints(void **state)
{
    static const struct {
        const char *error;
        gp_auth_kind kind;
        const char *hint;
    } cases[] = {
        {"upgrade refused: the ticket request got HTTP 401 ({\"error\":\"unauthorized\"})",
         GP_AUTH_JWT,
         "hint: the ticket endpoint (target.ticket_url) answered HTTP 401 to the valid token of 6 "
         "of 6 users: check that GP_SECRET holds the secret the server validates with, that "
         "auth.claims carries the claims the server requires (commonly sub, email, iss, exp and "
         "iat; some servers also want roles or permissions, jti or type)\n"},
        {"upgrade refused: the ticket request got HTTP 401 ()", GP_AUTH_ENV_TOKEN,
         "hint: the ticket endpoint (target.ticket_url) answered HTTP 401 to the valid token of 6 "
         "of 6 users: check the token in GP_TOKEN (valid, not expired, with the claims the server "
         "requires (commonly sub, email,"},
        {"upgrade refused: the test-auth token request got HTTP 401 ({})", GP_AUTH_E2E,
         "hint: the test-auth endpoint (auth.url) answered HTTP 401 for 6 of 6 users: check that "
         "GP_BYPASS holds its bypass key, and that it accepts the user's auth.email and auth.name "
         "(the token it returns carries them as claims; servers commonly require an email)\n"},
    };
    gp_console_opts o = {false, 3, 8};
    size_t c, u;

    (void)state;
    for (c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        char secret[] = "GP_SECRET", token[] = "GP_TOKEN", bypass[] = "GP_BYPASS";
        fixture fx;
        char *s;

        fixture_init(&fx, FX_PASS, 1, NULL);
        fx.sc.auth.kind = cases[c].kind;
        fx.sc.auth.secret_env = secret;
        fx.sc.auth.token_env = token;
        fx.sc.auth.bypass_key_env = bypass;
        fx.sc.target.carrier = GP_CARRIER_TICKET;
        for (u = 0; u < FX_USERS; u++) {
            gp_transcript_free(fx.ts[u]);
            fx.ts[u] = gp_transcript_new(u, fx.res->users[u].user_id, "n");
            fx_frame(fx.ts[u], GP_FR_CONNECT, 0, 0,
                     "ws://127.0.0.1:8765/ws (credential: valid, carrier: ticket)");
            fx_frame(fx.ts[u], GP_FR_CONN_ERROR, 500, 401, cases[c].error);
            gp_results_fail(fx.res, GP_RULE_CONNECT, u, 0, 1, "a connection and a ready frame",
                            cases[c].error);
        }
        s = render(&fx, &o);
        if (!strstr(s, cases[c].hint))
            fail_msg("case %zu: no \"%s\" in:\n%s", c, cases[c].hint, s);
        assert_null(strstr(s, "target.carrier puts it"));
        free(s);
        fixture_cleanup(&fx);
    }
}

/* The harness's own health heads the summary; inconclusive users get a section of their own
 * with the hint, and the closing line counts them apart from failures. */
static void test_report_console_harness_and_inconclusive(void **state)
{
    fixture fx;
    gp_console_opts o = {false, 3, 8};
    char *s;

    (void)state;
    fixture_init(&fx, FX_FAIL, 1, NULL);
    s = render(&fx, &o);
    assert_null(strstr(s, "harness:"));
    assert_null(strstr(s, "INCONCLUSIVE"));
    free(s);
    fx_add_inconclusive(&fx);
    s = render(&fx, &o);
    assert_non_null(strstr(s, "harness:  loop lag p50 0.4 ms, p99 2.1 ms, max 5020.0 ms; CPU user "
                              "1.25 s, sys 0.50 s (75% busy); 1 stall\n"));
    assert_non_null(strstr(s, "stalls: 40.0-5060.0 ms (lag 5020.0 ms)"));
    assert_non_null(strstr(s, "  FAIL GP-R1-STARTED-FIRST          5       1        0       6  "));
    assert_non_null(strstr(s, "  INC? GP-COMPLETION                5       0        1       6  "));
    assert_non_null(strstr(s, "GP-COMPLETION  INCONCLUSIVE for 1 of 6 users"));
    assert_non_null(strstr(s, "  hint: fewer users per process, or more --workers\n"));
    assert_non_null(strstr(s, "  user gp-user-4 (#4), step 3, frame 9\n"
                              "    expected: agent_completed within 5 s of the message\n"
                              "    received: no agent_completed within 5 s\n"
                              "    cause:    " FX_STALL_CAUSE "\n"));
    assert_non_null(strstr(s, "golden_path: 3 of 6 users passed; 2 failed (GP-R1-STARTED-FIRST, "
                              "GP-R2-COMPLETED-LAST); 1 inconclusive (GP-COMPLETION: the harness "
                              "fell behind)\n"));
    free(s);
    fixture_cleanup(&fx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_report_console_failing_run),
        cmocka_unit_test(test_report_console_limits_users_and_frames),
        cmocka_unit_test(test_report_console_passing_run),
        cmocka_unit_test(test_report_console_auth_hint_and_one_tail),
        cmocka_unit_test(test_report_console_auth_hint_endpoints),
        cmocka_unit_test(test_report_console_harness_and_inconclusive),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
