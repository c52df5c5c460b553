/* test_match.c - frame matching: path lookup (dotted and profile fields, wrapped frames),
 * JSON subsets with templates, each predicate with its reason, and captures. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "match.h"

static json_t *frame(const char *text)
{
    json_error_t e;
    json_t *f = json_loads(text, 0, &e);

    assert_non_null(f);
    return f;
}

static void test_match_lookup(void **state)
{
    gp_profile p;
    json_t *flat = frame("{\"type\":\"agent_started\",\"run_id\":\"r1\",\"items\":[{\"id\":7}]}");
    json_t *nested = frame("{\"type\":\"agent_started\",\"data\":{\"run_id\":\"r2\"}}");
    json_t *wrapped = frame("{\"type\":\"system_message\",\"event\":\"agent_thinking\","
                            "\"payload\":{\"thread_id\":\"t3\"}}");

    (void)state;
    gp_profile_init_default(&p);
    assert_string_equal(json_string_value(gp_match_lookup(flat, &p, "run_id")), "r1");
    assert_int_equal(json_integer_value(gp_match_lookup(flat, &p, "items.0.id")), 7);
    assert_null(gp_match_lookup(flat, &p, "items.1.id"));
    assert_null(gp_match_lookup(flat, &p, "items."));
    assert_string_equal(json_string_value(gp_match_lookup(nested, &p, "run_id")), "r2");
    assert_string_equal(json_string_value(gp_match_lookup(nested, &p, "data.run_id")), "r2");
    assert_null(gp_match_lookup(nested, &p, "payload.run_id"));
    assert_string_equal(json_string_value(gp_match_lookup(wrapped, &p, "thread_id")), "t3");
    assert_string_equal(json_string_value(gp_match_lookup(wrapped, &p, "type")), "agent_thinking");
    assert_null(gp_match_lookup(flat, &p, ""));
    json_decref(flat);
    json_decref(nested);
    json_decref(wrapped);
    gp_profile_cleanup(&p);
}

static void test_match_subset(void **state)
{
    json_t *cap = json_pack("{s:s}", "thread", "t-1");
    gp_vars v = {"alice", 0, "n", cap, NULL};
    json_t *f = frame("{\"type\":\"pong\",\"n\":41.0,\"payload\":{\"thread_id\":\"t-1\","
                      "\"user\":\"alice\",\"tags\":[1,2]}}");
    json_t *ok = frame("{\"type\":\"pong\",\"n\":41,\"payload\":{\"thread_id\":\"{{thread}}\","
                       "\"tags\":[1,2]}}");
    json_t *bad_arr = frame("{\"payload\":{\"tags\":[1]}}");
    json_t *bad_val = frame("{\"payload\":{\"user\":\"bob\"}}");
    json_t *user = frame("{\"payload\":{\"user\":\"{{user.id}}\"}}");

    (void)state;
    assert_true(gp_match_subset(ok, f, &v));
    assert_true(gp_match_subset(user, f, &v));
    assert_false(gp_match_subset(bad_arr, f, &v));
    assert_false(gp_match_subset(bad_val, f, &v));
    assert_true(gp_match_subset(NULL, f, &v));
    json_decref(f);
    json_decref(ok);
    json_decref(bad_arr);
    json_decref(bad_val);
    json_decref(user);
    json_decref(cap);
}

/* A hand-built expect step; the predicates and captures are owned by the caller. */
static gp_step expect_step(json_t *match, gp_pred *preds, size_t n)
{
    gp_step s;

    memset(&s, 0, sizeof s);
    s.kind = GP_STEP_EXPECT;
    s.u.expect.match = match;
    s.u.expect.preds = preds;
    s.u.expect.npreds = n;
    s.u.expect.skip_noise = true;
    return s;
}

static void test_match_expect_reasons(void **state)
{
    static const struct {
        const char *path;
        gp_pred_op op;
        const char *value; /* JSON */
        bool holds;
        const char *why;
    } cases[] = {
        {"payload.status", GP_PRED_EQUALS, "\"ok\"", true, NULL},
        {"payload.status", GP_PRED_EQUALS, "\"err\"", false,
         "payload.status: expected \"err\", got \"ok\""},
        {"status", GP_PRED_EQUALS, "\"ok\"", true, NULL},
        {"duration", GP_PRED_EQUALS, "41", true, NULL},
        {"missing", GP_PRED_EQUALS, "1", false, "missing: missing"},
        {"final_response", GP_PRED_CONTAINS, "\"alice\"", true, NULL},
        {"final_response", GP_PRED_CONTAINS, "\"bob\"", false,
         "final_response: expected to contain \"bob\""},
        {"tags", GP_PRED_CONTAINS, "\"b\"", true, NULL},
        {"run_id", GP_PRED_EXISTS, "true", true, NULL},
        {"nothing", GP_PRED_EXISTS, "true", false, "nothing: missing"},
        {"nothing", GP_PRED_EXISTS, "false", true, NULL},
        {"run_id", GP_PRED_EXISTS, "false", false, "run_id: present"},
        {"payload", GP_PRED_TYPE, "\"object\"", true, NULL},
        {"duration", GP_PRED_TYPE, "\"number\"", true, NULL},
        {"tags", GP_PRED_TYPE, "\"array\"", true, NULL},
        {"flag", GP_PRED_TYPE, "\"boolean\"", true, NULL},
        {"nil", GP_PRED_TYPE, "\"null\"", true, NULL},
        {"run_id", GP_PRED_TYPE, "\"number\"", false, "run_id: expected a number, got string"},
        {"final_response", GP_PRED_NONEMPTY, "true", true, NULL},
        {"empty", GP_PRED_NONEMPTY, "true", false, "empty: expected a non-empty value"},
        {"empty", GP_PRED_NONEMPTY, "false", true, NULL},
        {"user", GP_PRED_EQUALS, "\"{{user.id}}\"", true, NULL},
    };
    json_t *f = frame("{\"type\":\"agent_completed\",\"run_id\":\"r1\",\"duration\":41.0,"
                      "\"flag\":true,\"nil\":null,\"empty\":\"\",\"tags\":[\"a\",\"b\"],"
                      "\"user\":\"alice\",\"payload\":{\"status\":\"ok\","
                      "\"final_response\":\"hello alice\"}}");
    gp_vars v = {"alice", 0, "n", NULL, NULL};
    gp_profile p;
    size_t i;

    (void)state;
    gp_profile_init_default(&p);
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        gp_pred pr = {(char *)cases[i].path, cases[i].op,
                      json_loads(cases[i].value, JSON_DECODE_ANY, NULL)};
        gp_step s = expect_step(NULL, &pr, 1);
        char why[256] = "unset";
        bool got = gp_match_expect(&s, f, &p, &v, why, sizeof why);

        if (got != cases[i].holds)
            print_error("case %zu (%s): got %d, why '%s'\n", i, cases[i].path, got, why);
        assert_int_equal(got, cases[i].holds);
        if (cases[i].why)
            assert_non_null(strstr(why, cases[i].why));
        else
            assert_string_equal(why, "");
        json_decref(pr.value);
    }
    gp_profile_cleanup(&p);
    json_decref(f);
}

static void test_match_expect_subset_reason(void **state)
{
    json_t *f = frame("{\"type\":\"agent_completed\",\"payload\":{\"status\":\"err\"}}");
    json_t *m = frame("{\"type\":\"agent_completed\",\"payload\":{\"status\":\"ok\"}}");
    json_t *m2 = frame("{\"payload\":{\"code\":1}}");
    gp_profile p;
    gp_step s = expect_step(m, NULL, 0);
    char why[256];

    (void)state;
    gp_profile_init_default(&p);
    assert_false(gp_match_expect(&s, f, &p, NULL, why, sizeof why));
    assert_string_equal(why, "payload.status: expected \"ok\", got \"err\"");
    s.u.expect.match = m2;
    assert_false(gp_match_expect(&s, f, &p, NULL, why, sizeof why));
    assert_string_equal(why, "payload.code: missing (expected 1)");
    s.kind = GP_STEP_SEND;
    assert_false(gp_match_expect(&s, f, &p, NULL, NULL, 0));
    gp_profile_cleanup(&p);
    json_decref(f);
    json_decref(m);
    json_decref(m2);
}

static void test_match_capture(void **state)
{
    json_t *f = frame("{\"type\":\"agent_started\",\"data\":{\"thread_id\":\"t-9\","
                      "\"n\":3,\"o\":{\"a\":1}}}");
    gp_capture caps[] = {{"thread", "thread_id"}, {"n", "data.n"}, {"o", "o"}, {"none", "nope"}};
    json_t *captured = json_object();
    gp_profile p;

    (void)state;
    gp_profile_init_default(&p);
    assert_int_equal(gp_match_capture(caps, 4, f, &p, captured), 1);
    assert_string_equal(json_string_value(json_object_get(captured, "thread")), "t-9");
    assert_string_equal(json_string_value(json_object_get(captured, "n")), "3");
    assert_string_equal(json_string_value(json_object_get(captured, "o")), "{\"a\":1}");
    assert_null(json_object_get(captured, "none"));
    gp_profile_cleanup(&p);
    json_decref(captured);
    json_decref(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_match_lookup),
        cmocka_unit_test(test_match_subset),
        cmocka_unit_test(test_match_expect_reasons),
        cmocka_unit_test(test_match_expect_subset_reason),
        cmocka_unit_test(test_match_capture),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
