/* test_xshard.c - merge's choice among a shard's alternative verdicts for a user that held
 * events (the held identities nobody in any shard owns pick the entry), and the swap of the
 * shard's own verdict for it in the merged results. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "xshard.h"

/* A digest whose unattributed entries are held (1) or not (0), as given, with nalt
 * alternatives whose runs_passed is their index. */
static json_t *digest(const char *held, size_t nalt)
{
    json_t *du = json_pack("{s:I,s:s,s:[],s:[[b,b]],s:b}", "index", (json_int_t)1, "id", "u1",
                           "unattributed", "runs", 0, 0, "leak_outside", 0);
    json_t *alt = json_array();
    size_t i;

    for (i = 0; held[i]; i++) {
        json_t *e = json_pack("{s:I,s:i,s:i,s:s,s:s,s:s,s:n}", "frame", (json_int_t)(5 + i),
                              "run", 0, "step", 2, "type", "agent_thinking", "run_id", "r",
                              "thread_id", "t", "user_id");

        if (held[i] == '1')
            json_object_set_new(e, "held", json_true());
        json_array_append_new(json_object_get(du, "unattributed"), e);
    }
    for (i = 0; i < nalt; i++)
        json_array_append_new(alt, json_pack("{s:[],s:[],s:[],s:{},s:I}", "checked", "failed",
                                             "inconclusive", "causes", "runs_passed",
                                             (json_int_t)i));
    if (nalt)
        json_object_set_new(du, "alt", alt);
    else
        json_decref(alt);
    return du;
}

static json_int_t picked(json_t *du, unsigned nobody)
{
    json_t *a = gp_xshard_alt(du, nobody);

    return a ? json_integer_value(json_object_get(a, "runs_passed")) : -1;
}

/* Bit b of the mask is the b-th HELD entry; entry 0 (all held) is never applied. */
static void test_xshard_alt_select(void **state)
{
    json_t *du = digest("101", 4);

    (void)state;
    assert_int_equal(picked(du, 0), -1); /* every held identity is another user's */
    assert_int_equal(picked(du, 1), 1);
    assert_int_equal(picked(du, 2), 2);
    assert_int_equal(picked(du, 3), 3);
    assert_int_equal(picked(du, 4), -1); /* no third held identity */
    json_decref(du);
    du = digest("11", 3); /* not 2^k alternatives: none is trusted */
    assert_int_equal(picked(du, 1), -1);
    json_decref(du);
    du = digest("1111", 0); /* beyond GP_ISO_MAX_HELD: the shard wrote none */
    assert_int_equal(picked(du, 1), -1);
    json_decref(du);
    du = digest("1", 2);
    assert_int_equal(picked(du, 1), 1);
    json_decref(du);
}

/* User 1 failed GP-R5-IDS with the nobody's event held; judged inside the run it fails
 * GP-R3-ALL-EVENTS instead: counts, examples, causes and the user follow. */
static void test_xshard_apply_alt(void **state)
{
    gp_results *res = gp_results_new(3);
    json_t *du = digest("1", 0), *alt, *base;
    gp_rule_result *r5 = &res->rules[GP_RULE_R5_IDS], *r3 = &res->rules[GP_RULE_R3_ALL];
    size_t u;

    (void)state;
    base = json_pack("{s:[s,s],s:[s],s:[],s:{s:i},s:i}", "checked", "GP-R3-ALL-EVENTS",
                     "GP-R5-IDS", "failed", "GP-R5-IDS", "inconclusive", "causes", "other", 1,
                     "runs_passed", 0);
    alt = json_pack("{s:[s,s],s:[s],s:[],s:{s:i},s:i,s:i,s:[[b,b]],s:b,s:s,s:[{s:s,s:i,s:i,"
                    "s:s,s:s}]}",
                    "checked", "GP-R3-ALL-EVENTS", "GP-R5-IDS", "failed", "GP-R3-ALL-EVENTS",
                    "inconclusive", "causes", "missing_field", 1, "runs_passed", 0,
                    "runs_completed", 1, "runs", 0, 1, "leak_outside", 0, "cause",
                    "GP-R3-ALL-EVENTS: expected all, received some", "examples", "rule",
                    "GP-R3-ALL-EVENTS", "step", 2, "frame", 6, "expected", "all", "received",
                    "some");
    json_object_set_new(du, "alt", json_pack("[o,o]", base, alt));
    for (u = 0; u < 3; u++) {
        res->rules[GP_RULE_R3_ALL].checked++;
        res->rules[GP_RULE_R3_ALL].passed++;
        res->rules[GP_RULE_R5_IDS].checked++;
        if (u == 0)
            res->rules[GP_RULE_R5_IDS].passed++;
        else
            gp_results_fail(res, GP_RULE_R5_IDS, u, 2, 6, "ids", "other ids");
    }
    res->causes[GP_CAUSE_OTHER] = 2;
    res->runs_passed = 1;
    gp_xshard_apply_alt(res, 1, du, gp_xshard_alt(du, 1));
    assert_int_equal(r5->checked, 3);
    assert_int_equal(r5->failed, 1);
    assert_int_equal(r5->passed, 2);
    assert_int_equal(r5->nexamples, 1);
    assert_int_equal(r5->examples[0].user, 2);
    assert_int_equal(r3->checked, 3);
    assert_int_equal(r3->failed, 1);
    assert_int_equal(r3->passed, 2);
    assert_int_equal(r3->nexamples, 1);
    assert_int_equal(r3->examples[0].user, 1);
    assert_int_equal(r3->examples[0].frame, 6);
    assert_string_equal(r3->examples[0].received, "some");
    assert_int_equal(res->causes[GP_CAUSE_OTHER], 1);
    assert_int_equal(res->causes[GP_CAUSE_MISSING_FIELD], 1);
    assert_int_equal(res->runs_passed, 1);
    assert_int_equal(res->users[1].failed_rules, 1u << GP_RULE_R3_ALL);
    assert_false(res->users[1].passed);
    assert_string_equal(res->users[1].cause, "GP-R3-ALL-EVENTS: expected all, received some");
    assert_true(json_is_true(json_array_get(json_array_get(json_object_get(du, "runs"), 0), 1)));
    json_decref(du);
    gp_results_free(res);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_xshard_alt_select),
        cmocka_unit_test(test_xshard_apply_alt),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
