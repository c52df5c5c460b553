/* test_results.c - results bookkeeping: stable rule and cause names, one failure per user per
 * rule with the first one kept as the example, the example cap, and tool counting. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "results.h"

static void test_results_names_round_trip(void **state)
{
    int i;

    (void)state;
    for (i = 0; i < GP_RULE__COUNT; i++) {
        assert_int_equal(gp_rule_from_id(gp_rule_id((gp_rule)i)), i);
        assert_true(strncmp(gp_rule_id((gp_rule)i), "GP-", 3) == 0);
        assert_true(strlen(gp_rule_title((gp_rule)i)) > 10);
    }
    for (i = 0; i < GP_CAUSE__COUNT; i++)
        assert_int_equal(gp_cause_from_name(gp_cause_name((gp_cause)i)), i);
    /* Ids that reports and users rely on. */
    assert_string_equal(gp_rule_id(GP_RULE_R1_START), "GP-R1-STARTED-FIRST");
    assert_string_equal(gp_rule_id(GP_RULE_R6_ISOLATION), "GP-R6-ISOLATION");
    assert_string_equal(gp_cause_name(GP_CAUSE_LEAK), "leak");
    assert_int_equal(gp_rule_from_id("GP-NOPE"), -1);
    assert_int_equal(gp_cause_from_name("nope"), -1);
    assert_string_equal(gp_rule_id(GP_RULE__COUNT), "GP-UNKNOWN");
}

static void test_results_fail_once_per_user(void **state)
{
    gp_results *r = gp_results_new(3);

    (void)state;
    assert_true(gp_results_passed(r));
    gp_results_fail(r, GP_RULE_R2_END, 1, 2, 9, "agent_completed exactly once",
                    "2 agent_completed");
    gp_results_fail(r, GP_RULE_R2_END, 1, 2, 12, "second", "violation");
    gp_results_fail(r, GP_RULE_R5_IDS, 1, 2, 4, "ids", "without user_id");
    gp_results_fail(r, GP_RULE_R2_END, 2, 2, GP_NO_FRAME, NULL, NULL);
    assert_false(gp_results_passed(r));
    assert_int_equal(r->rules[GP_RULE_R2_END].failed, 2);
    assert_int_equal(r->rules[GP_RULE_R2_END].nexamples, 2);
    assert_int_equal(r->rules[GP_RULE_R2_END].examples[0].frame, 9);
    assert_string_equal(r->rules[GP_RULE_R2_END].examples[0].received, "2 agent_completed");
    assert_string_equal(r->rules[GP_RULE_R2_END].examples[1].expected, "");
    assert_true(r->users[0].passed);
    assert_false(r->users[1].passed);
    assert_int_equal(r->users[1].failed_rules, (1u << GP_RULE_R2_END) | (1u << GP_RULE_R5_IDS));
    /* The user's cause is its first failure. */
    assert_non_null(strstr(r->users[1].cause, "GP-R2-COMPLETED-LAST"));
    assert_non_null(strstr(r->users[1].cause, "2 agent_completed"));
    gp_results_free(r);
    gp_results_free(NULL);
}

static void test_results_examples_capped(void **state)
{
    gp_results *r = gp_results_new(GP_MAX_EXAMPLES + 5);
    size_t i;

    (void)state;
    for (i = 0; i < GP_MAX_EXAMPLES + 5; i++)
        gp_results_fail(r, GP_RULE_R7_FRAMES, i, -1, i, "e", "r");
    /* A user index out of range still counts, without touching users[]. */
    gp_results_fail(r, GP_RULE_R7_FRAMES, 1000, -1, 0, "e", "r");
    assert_int_equal(r->rules[GP_RULE_R7_FRAMES].failed, GP_MAX_EXAMPLES + 6);
    assert_int_equal(r->rules[GP_RULE_R7_FRAMES].nexamples, GP_MAX_EXAMPLES);
    gp_results_free(r);
}

/* Each user has one verdict per rule, and a failure outweighs an inconclusive one whichever
 * came first; inconclusive users are neither passed nor failed. */
static void test_results_inconclusive_verdicts(void **state)
{
    gp_results *r = gp_results_new(4);
    const gp_rule_result *rr = &r->rules[GP_RULE_COMPLETION];

    (void)state;
    assert_false(gp_results_inconclusive(r));
    gp_results_mark_inconclusive(r, GP_RULE_COMPLETION, 1, 2, 5, "exp", "no event", "stalled");
    gp_results_mark_inconclusive(r, GP_RULE_COMPLETION, 1, 2, 7, "exp", "again", "stalled");
    gp_results_mark_inconclusive(r, GP_RULE_COMPLETION, 2, 2, 5, "exp", "no event", "stalled");
    gp_results_mark_inconclusive(r, GP_RULE_COMPLETION, 3, 2, 5, "exp", "no event", NULL);
    assert_int_equal(rr->inconclusive, 3);
    assert_int_equal(rr->ninconclusive, 3);
    assert_string_equal(rr->inconclusive_examples[0].cause, "stalled");
    assert_null(rr->inconclusive_examples[2].cause);
    assert_true(gp_results_passed(r));
    assert_true(gp_results_inconclusive(r));
    assert_false(r->users[1].passed);
    assert_int_equal(gp_user_status(&r->users[1]), GP_STATUS_INCONCLUSIVE);
    assert_non_null(strstr(r->users[1].cause, "GP-COMPLETION inconclusive"));

    /* A later failure of the same user and rule replaces the inconclusive verdict. */
    gp_results_fail(r, GP_RULE_COMPLETION, 1, 2, 9, "exp", "closed by server");
    assert_int_equal(rr->inconclusive, 2);
    assert_int_equal(rr->ninconclusive, 2);
    assert_int_equal(rr->inconclusive_examples[0].user, 2);
    assert_int_equal(rr->failed, 1);
    assert_int_equal(r->users[1].inconclusive_rules, 0);
    assert_int_equal(gp_user_status(&r->users[1]), GP_STATUS_FAILED);
    assert_non_null(strstr(r->users[1].cause, "closed by server"));
    /* ... and an inconclusive verdict after a failure changes nothing. */
    gp_results_mark_inconclusive(r, GP_RULE_COMPLETION, 1, 2, 9, "exp", "late", "stalled");
    assert_int_equal(rr->inconclusive, 2);
    assert_int_equal(r->users[1].inconclusive_rules, 0);
    /* Another rule's failure makes user 2 failed, though its GP-COMPLETION stays open. */
    gp_results_fail(r, GP_RULE_R2_END, 2, 2, 3, "once", "twice");
    assert_int_equal(r->users[2].inconclusive_rules, 1u << GP_RULE_COMPLETION);
    assert_int_equal(gp_user_status(&r->users[2]), GP_STATUS_FAILED);

    assert_false(gp_results_passed(r));
    assert_int_equal(gp_results_count_users(r, GP_STATUS_PASSED), 1);
    assert_int_equal(gp_results_count_users(r, GP_STATUS_FAILED), 2);
    assert_int_equal(gp_results_count_users(r, GP_STATUS_INCONCLUSIVE), 1);
    assert_string_equal(gp_status_name(GP_STATUS_INCONCLUSIVE), "inconclusive");
    assert_string_equal(gp_status_name(GP_STATUS_FAILED), "failed");
    assert_string_equal(gp_status_name(GP_STATUS_PASSED), "passed");
    gp_results_free(r);
}

static void test_results_count_tools(void **state)
{
    static const char *const names[] = {"search", "cost_analyzer", "search", "search", "x"};
    gp_results *r = gp_results_new(0);
    size_t i;

    (void)state;
    for (i = 0; i < sizeof names / sizeof names[0]; i++)
        gp_results_count_tool(r, names[i]);
    assert_int_equal(r->ntools, 3);
    assert_string_equal(r->tools[0].name, "search");
    assert_int_equal(r->tools[0].count, 3);
    assert_int_equal(r->tools[1].count, 1);
    gp_results_free(r);
}

/* A server naming a tool per user: the list stops growing, the rest still count. */
static void test_results_tools_bounded(void **state)
{
    gp_results *r = gp_results_new(0);
    uint64_t total = 0;
    size_t i;
    char name[32];

    (void)state;
    for (i = 0; i < 1000; i++) {
        snprintf(name, sizeof name, "tool_for_user_%zu", i);
        gp_results_count_tool(r, name);
    }
    gp_results_add_tool(r, "tool_for_user_3", 2); /* a known name still counts as itself */
    assert_int_equal(r->ntools, GP_MAX_TOOLS + 1);
    assert_string_equal(r->tools[GP_MAX_TOOLS].name, GP_OTHER_TOOLS);
    assert_int_equal(r->tools[GP_MAX_TOOLS].count, 1000 - GP_MAX_TOOLS);
    assert_int_equal(r->tools[3].count, 3);
    for (i = 0; i < r->ntools; i++)
        total += r->tools[i].count;
    assert_int_equal(total, 1002);
    gp_results_free(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_results_names_round_trip),
        cmocka_unit_test(test_results_fail_once_per_user),
        cmocka_unit_test(test_results_examples_capped),
        cmocka_unit_test(test_results_count_tools),
        cmocka_unit_test(test_results_tools_bounded),
        cmocka_unit_test(test_results_inconclusive_verdicts),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
