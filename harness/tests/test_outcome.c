/* test_outcome.c - the outcome signals over single agent_completed frames: path lookup through
 * containers and lists, each test (equals, in, not_in, nonempty both ways), case-insensitive
 * strings, and evidence that stays bounded. The judge's use of them is in test_judge.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "outcome.h"

static gp_profile profile;

static int setup(void **state)
{
    (void)state;
    gp_profile_init_default(&profile);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    gp_profile_cleanup(&profile);
    return 0;
}

/* Judges text with o; returns 1 when a signal fired, with the evidence in exp/got. */
static int check(const gp_outcome *o, const char *text, char **exp, char **got)
{
    gp_event ev;
    int rc;

    *exp = *got = NULL;
    assert_int_equal(gp_event_parse(text, strlen(text), &profile, &ev, NULL), 0);
    rc = gp_outcome_check(o, &ev, &profile, exp, got);
    json_decref(ev.root);
    return rc;
}

static void test_outcome_lookup(void **state)
{
    static const char text[] = "{\"type\":\"agent_completed\",\"data\":{\"status\":\"completed\","
                               "\"metadata\":{\"steps\":[{\"ok\":false}],\"n\":0}}}";
    gp_event ev;

    (void)state;
    assert_int_equal(gp_event_parse(text, strlen(text), &profile, &ev, NULL), 0);
    assert_string_equal(json_string_value(gp_outcome_lookup(&ev, &profile, "status")), "completed");
    assert_true(json_is_false(gp_outcome_lookup(&ev, &profile, "metadata.steps.0.ok")));
    assert_null(gp_outcome_lookup(&ev, &profile, "metadata.steps.1.ok"));
    assert_null(gp_outcome_lookup(&ev, &profile, "metadata.n.x"));
    assert_null(gp_outcome_lookup(&ev, &profile, "metadata..n"));
    assert_null(gp_outcome_lookup(&ev, &profile, ""));
    assert_null(gp_outcome_lookup(&ev, &profile, "nothing"));
    json_decref(ev.root);
}

struct ocase {
    const char *frame;
    int fires;
    const char *exp_sub, *got_sub;
};

static void test_outcome_default_signals(void **state)
{
    static const struct ocase cases[] = {
        {"{\"type\":\"agent_completed\",\"status\":\"Completed\",\"final_response\":\"ok\"}", 0,
         NULL, NULL},
        {"{\"type\":\"agent_completed\",\"final_response\":\"no status: GP-FIELDS says so\"}", 0,
         NULL, NULL},
        {"{\"type\":\"agent_completed\",\"status\":\"completed\",\"error\":null,"
         "\"metadata\":{\"success\":true,\"error\":\"\",\"status\":\"done\"}}",
         0, NULL, NULL},
        {"{\"type\":\"agent_completed\",\"status\":true}", 1, "status one of \"completed\"",
         "status true"},
        {"{\"type\":\"agent_completed\",\"status\":\"completed\",\"metadata\":{\"success\":false}}",
         1, "metadata.success not false", "metadata.success false"},
        {"{\"type\":\"agent_completed\",\"status\":\"completed\",\"metadata\":{\"success\":"
         "\"false\"}}",
         0, NULL, NULL},
        {"{\"type\":\"agent_completed\",\"status\":\"ok\",\"metadata\":{\"status\":\"Timed_Out\"}}",
         1, "metadata.status none of", "metadata.status \"Timed_Out\""},
        {"{\"type\":\"agent_completed\",\"status\":\"ok\",\"error\":{\"code\":7}}", 1,
         "error absent or empty", "error {\"code\":7}"},
        {"{\"type\":\"agent_completed\",\"status\":\"ok\",\"success\":false,"
         "\"final_response\":\"Sorry\"}",
         1, "success not false", "success false; the user saw final_response \"Sorry\""},
    };
    gp_outcome o;
    size_t i;

    (void)state;
    gp_outcome_init_default(&o);
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *exp, *got;
        int rc = check(&o, cases[i].frame, &exp, &got);

        print_message("%s -> %d %s | %s\n", cases[i].frame, rc, exp ? exp : "", got ? got : "");
        assert_int_equal(rc, cases[i].fires);
        if (rc) {
            assert_non_null(strstr(exp, cases[i].exp_sub));
            assert_non_null(strstr(got, cases[i].got_sub));
        } else {
            assert_null(exp);
            assert_null(got);
        }
        free(exp);
        free(got);
    }
    gp_outcome_cleanup(&o);
    gp_outcome_cleanup(&o); /* a cleaned outcome cleans again */
    gp_outcome_cleanup(NULL);
}

/* not_in fires only on a present value; nonempty: false fires on an absent or empty one. */
static void test_outcome_configured_tests(void **state)
{
    gp_outcome o = {0};
    gp_outcome_signal sig[2];
    char *exp, *got;

    (void)state;
    o.set = true;
    sig[0].path = "result.kind";
    sig[0].op = GP_OUTCOME_NOT_IN;
    sig[0].values = json_pack("[s, s]", "answer", "clarification");
    sig[1].path = "answer";
    sig[1].op = GP_OUTCOME_NONEMPTY;
    sig[1].values = json_pack("[b]", 0);
    o.failure = sig;
    o.nfailure = 2;
    assert_int_equal(check(&o, "{\"type\":\"agent_completed\",\"answer\":\"x\"}", &exp, &got), 0);
    assert_int_equal(
        check(&o,
              "{\"type\":\"agent_completed\",\"answer\":\"x\",\"result\":{\"kind\":\"ANSWER\"}}",
              &exp, &got),
        0);
    assert_int_equal(check(&o,
                           "{\"type\":\"agent_completed\",\"answer\":\"\",\"result\":{\"kind\":"
                           "\"refusal\"}}",
                           &exp, &got),
                     1);
    assert_string_equal(exp, "result.kind one of \"answer\", \"clarification\"; answer not empty");
    assert_string_equal(got, "result.kind \"refusal\", answer \"\"");
    free(exp);
    free(got);
    assert_int_equal(check(&o, "{\"type\":\"agent_completed\"}", &exp, &got), 1);
    assert_string_equal(got, "no answer");
    free(exp);
    free(got);
    json_decref(sig[0].values);
    json_decref(sig[1].values);
}

/* A long value or answer is cut, and bytes that are not printable never reach the evidence. */
static void test_outcome_evidence_bounded(void **state)
{
    gp_outcome o;
    char frame[4096], *exp, *got;

    (void)state;
    gp_outcome_init_default(&o);
    snprintf(frame, sizeof frame,
             "{\"type\":\"agent_completed\",\"status\":\"%0500d\",\"final_response\":"
             "\"caf\\u00e9 %0500d\"}",
             1, 2);
    assert_int_equal(check(&o, frame, &exp, &got), 1);
    assert_true(strlen(got) < 300);
    assert_non_null(strstr(got, "...; the user saw final_response \"caf??"));
    free(exp);
    free(got);
    gp_outcome_cleanup(&o);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_outcome_lookup),
        cmocka_unit_test(test_outcome_default_signals),
        cmocka_unit_test(test_outcome_configured_tests),
        cmocka_unit_test(test_outcome_evidence_bounded),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
