/* test_shard.c - --shard parsing, the shard an engine's environment names (Kubernetes Indexed
 * Job, GitLab parallel, Slurm array), --start-at parsing against a fixed clock, and the
 * isolation digest's nonce-like words, and the slot that holds a run's next scenario.
 * Table-driven. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "isolation.h"
#include "shard.h"

static void test_shard_parse(void **state)
{
    static const struct {
        const char *arg;
        int rc;
        unsigned index, count;
        const char *msg; /* part of the error */
    } cases[] = {
        {"0/1", 0, 0, 1, NULL},
        {"3/8", 0, 3, 8, NULL},
        {"99999/100000", 0, 99999, 100000, NULL},
        {"8/8", -1, 0, 0, "must be below COUNT (the last of 8 shards is 7/8)"},
        {"1/0", -1, 0, 0, "COUNT from 1"},
        {"-1/4", -1, 0, 0, "0-based INDEX"},
        {"1/4x", -1, 0, 0, "got '1/4x'"},
        {"1", -1, 0, 0, "INDEX/COUNT"},
        {"/4", -1, 0, 0, "INDEX/COUNT"},
        {"1/", -1, 0, 0, "INDEX/COUNT"},
        {" 1/4", -1, 0, 0, "INDEX/COUNT"},
        {"1/100001", -1, 0, 0, "COUNT from 1 to 100000"},
        {"", -1, 0, 0, "INDEX/COUNT"},
    };
    size_t i;

    (void)state;
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        gp_shard sh;
        gp_err err = {0};
        int rc = gp_shard_parse(cases[i].arg, &sh, &err);

        assert_int_equal(rc, cases[i].rc);
        if (rc == 0) {
            assert_int_equal(sh.index, cases[i].index);
            assert_int_equal(sh.count, cases[i].count);
            assert_string_equal(sh.source, "--shard");
        } else {
            assert_int_equal(err.code, GP_EXIT_USAGE);
            if (!strstr(err.msg, cases[i].msg))
                fail_msg("'%s': '%s' lacks '%s'", cases[i].arg, err.msg, cases[i].msg);
        }
    }
}

/* An environment as "NAME=VALUE" strings, NULL-terminated. */
static const char *table_getenv(const char *name, void *ud)
{
    const char *const *env = ud;
    size_t len = strlen(name);

    for (; *env; env++)
        if (strncmp(*env, name, len) == 0 && (*env)[len] == '=')
            return *env + len + 1;
    return NULL;
}

static void test_shard_from_env(void **state)
{
    static const struct {
        const char *env[5];
        int rc;
        unsigned index, count;
        const char *source_or_msg;
    } cases[] = {
        {{NULL}, 0, 0, 0, ""},
        {{"JOB_COMPLETION_INDEX=3", "GOLDENPATH_SHARDS=8", NULL}, 0, 3, 8, "JOB_COMPLETION_INDEX"},
        {{"JOB_COMPLETION_INDEX=0", "GOLDENPATH_SHARDS=1", NULL}, 0, 0, 1, "JOB_COMPLETION_INDEX"},
        {{"JOB_COMPLETION_INDEX=3", NULL}, -1, 0, 0, "GOLDENPATH_SHARDS is not"},
        {{"GOLDENPATH_SHARDS=4", NULL}, -1, 0, 0, "JOB_COMPLETION_INDEX is not"},
        {{"JOB_COMPLETION_INDEX=8", "GOLDENPATH_SHARDS=8", NULL}, -1, 0, 0, "from 0 to 7"},
        {{"JOB_COMPLETION_INDEX=1", "GOLDENPATH_SHARDS=zero", NULL}, -1, 0, 0, "got 'zero'"},
        /* GitLab counts from 1. */
        {{"CI_NODE_INDEX=1", "CI_NODE_TOTAL=4", NULL}, 0, 0, 4, "CI_NODE_INDEX"},
        {{"CI_NODE_INDEX=4", "CI_NODE_TOTAL=4", NULL}, 0, 3, 4, "CI_NODE_INDEX"},
        {{"CI_NODE_INDEX=0", "CI_NODE_TOTAL=4", NULL}, -1, 0, 0, "1-based index from 1 to 4"},
        {{"CI_NODE_INDEX=5", "CI_NODE_TOTAL=4", NULL}, -1, 0, 0, "1-based index from 1 to 4"},
        {{"CI_NODE_TOTAL=4", NULL}, -1, 0, 0, "CI_NODE_INDEX is not"},
        {{"SLURM_ARRAY_TASK_ID=2", "SLURM_ARRAY_TASK_COUNT=4", NULL},
         0,
         2,
         4,
         "SLURM_ARRAY_TASK_ID"},
        {{"SLURM_ARRAY_TASK_ID=3", "SLURM_ARRAY_TASK_COUNT=4", "SLURM_ARRAY_TASK_MIN=1", NULL},
         0,
         2,
         4,
         "SLURM_ARRAY_TASK_ID"},
        {{"SLURM_ARRAY_TASK_ID=4", "SLURM_ARRAY_TASK_COUNT=4", NULL}, -1, 0, 0, "from 0 to 3"},
        {{"SLURM_ARRAY_TASK_ID=1", NULL}, -1, 0, 0, "SLURM_ARRAY_TASK_COUNT is not"},
        /* The Indexed Job wins over a CI variable that happens to be set as well. */
        {{"CI_NODE_INDEX=2", "CI_NODE_TOTAL=2", "JOB_COMPLETION_INDEX=0", "GOLDENPATH_SHARDS=2",
          NULL},
         0,
         0,
         2,
         "JOB_COMPLETION_INDEX"},
    };
    size_t i;

    (void)state;
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        gp_shard sh;
        gp_err err = {0};
        int rc = gp_shard_from_env(table_getenv, (void *)cases[i].env, &sh, &err);

        if (rc != cases[i].rc)
            fail_msg("case %zu: rc %d, want %d (%s)", i, rc, cases[i].rc, err.msg);
        if (rc == 0) {
            assert_int_equal(sh.index, cases[i].index);
            assert_int_equal(sh.count, cases[i].count);
            assert_string_equal(sh.source, cases[i].source_or_msg);
        } else {
            assert_int_equal(err.code, GP_EXIT_USAGE);
            if (!strstr(err.msg, cases[i].source_or_msg))
                fail_msg("case %zu: '%s' lacks '%s'", i, err.msg, cases[i].source_or_msg);
        }
    }
}

static void test_shard_start_at(void **state)
{
    /* 2026-12-02T10:00:00Z */
    const int64_t now = (int64_t)1796205600 * 1000000;
    static const struct {
        const char *arg;
        int rc;
        int64_t offset_us; /* from now */
        const char *msg;
    } cases[] = {
        {"2026-12-02T10:00:00Z", 0, 0, NULL},
        {"2026-12-02T10:00:30Z", 0, 30000000, NULL},
        {"2026-12-02t10:00:30.25z", 0, 30250000, NULL},
        {"2026-12-02 10:00:30Z", 0, 30000000, NULL},
        {"2026-12-02T11:00:30+01:00", 0, 30000000, NULL},
        {"2026-12-02T09:30:30-00:30", 0, 30000000, NULL},
        {"2026-12-02T09:59:56Z", 0, -4000000, NULL},
        {"+30s", 0, 30000000, NULL},
        {"+2m", 0, 120000000, NULL},
        {"+0s", 0, 0, NULL},
        {"2026-12-02T09:59:50Z", -1, 0, "passed 10.0 s ago"},
        {"2026-12-01T10:00:00Z", -1, 0, "passed 86400.0 s ago"},
        {"2026-12-04T10:00:00Z", -1, 0, "48.0 h ahead"},
        {"2026-12-02T10:00:30", -1, 0, "RFC 3339"},
        {"2026-02-31T10:00:30Z", -1, 0, "RFC 3339"},
        {"2026-12-02T25:00:30Z", -1, 0, "RFC 3339"},
        {"2026-12-02T10:00:30Zjunk", -1, 0, "RFC 3339"},
        {"tomorrow", -1, 0, "RFC 3339"},
        {"+", -1, 0, "+DURATION"},
        {"+soon", -1, 0, "+DURATION"},
        {"", -1, 0, "RFC 3339"},
    };
    size_t i;

    (void)state;
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        gp_err err = {0};
        int64_t at = 0;
        int rc = gp_start_at_parse(cases[i].arg, now, &at, &err);

        if (rc != cases[i].rc)
            fail_msg("'%s': rc %d, want %d (%s)", cases[i].arg, rc, cases[i].rc, err.msg);
        if (rc == 0) {
            assert_int_equal(at - now, cases[i].offset_us);
        } else {
            assert_int_equal(err.code, GP_EXIT_USAGE);
            if (!strstr(err.msg, cases[i].msg))
                fail_msg("'%s': '%s' lacks '%s'", cases[i].arg, err.msg, cases[i].msg);
        }
    }
}

/* The digest keeps other nonce-like words once each, never the user's own, within bounds. */
static void test_shard_digest_tokens(void **state)
{
    const char *own = "0123456789abcdef0123456789abcdef";
    const char *text = "{\"content\":\"check 0123456789abcdef0123456789abcdef and "
                       "ffffffffffffffffffffffffffffffff, ffffffffffffffffffffffffffffffff, "
                       "deadbeef, 0123456789abcdef0123456789abcdef00\"}";
    gp_transcript *t = gp_transcript_new(7, "u7", own);
    gp_iso *iso = gp_iso_new(&t, 1);
    json_t *tokens;
    size_t i;

    (void)state;
    gp_iso_tokens(iso, 0, 3, 0, 2, text, strlen(text), own);
    tokens = json_object_get(json_array_get(iso->users, 0), "nonce_tokens");
    assert_int_equal(json_array_size(tokens), 1);
    assert_string_equal(json_string_value(json_object_get(json_array_get(tokens, 0), "token")),
                        "ffffffffffffffffffffffffffffffff");
    assert_int_equal(json_integer_value(json_object_get(json_array_get(iso->users, 0), "index")),
                     7);
    for (i = 0; i < 40; i++) {
        char th[32];

        snprintf(th, sizeof th, "thread-%zu", i % 70 + i);
        gp_iso_thread(iso, 0, th);
        gp_iso_thread(iso, 0, th);
    }
    assert_int_equal(json_array_size(json_object_get(json_array_get(iso->users, 0), "threads")),
                     40);
    for (i = 0; i < 100; i++) {
        char th[32];

        snprintf(th, sizeof th, "t-%zu", i);
        gp_iso_thread(iso, 0, th);
    }
    assert_int_equal(json_array_size(json_object_get(json_array_get(iso->users, 0), "threads")),
                     GP_ISO_MAX_THREADS);
    assert_true(json_is_true(json_object_get(json_array_get(iso->users, 0), "truncated")));
    gp_iso_free(iso);
    gp_transcript_free(t);
}

/* A scenario's slot: ramp, then each step's bound (repeats multiplied), plus the margin. */
static void test_shard_slot(void **state)
{
    static const char yaml[] =
        "name: slot\n"
        "target: {url: ws://127.0.0.1:1/ws}\n"
        "auth: {kind: none}\n"
        "users: {count: 4, ramp_up: 2s}\n"
        "timeouts: {connect: 3s, run: 20s, expect: 4s, linger: 500ms, close: 1s}\n"
        "steps:\n"
        "  - connect: {}\n"
        "  - repeat:\n"
        "      count: 3\n"
        "      steps:\n"
        "        - send: {type: ping}\n"
        "        - expect: {match: {type: pong}, timeout: 2s}\n"
        "        - think: {min: 1s, max: 1500ms}\n"
        "  - send: {type: user_message, payload: {content: hi}}\n"
        "  - expect_run: {deadline: 10s}\n"
        "  - close: {}\n";
    gp_err err = {0};
    gp_scenario *s =
        gp_scenario_load_mem("slot.yaml", yaml, sizeof yaml - 1, GP_LOAD_OFFLINE, &err);

    (void)state;
    if (!s)
        fail_msg("%s:%d:%d %s", err.src ? err.src : "", err.line, err.col, err.msg);
    /* 2 ramp + (1 close + 3 connect) + 3 * (2 + 1.5) + (10 + 0.5) + 1 close + 5 margin */
    assert_int_equal(gp_shard_slot_us(s),
                     2000000 + 4000000 + 10500000 + 10500000 + 1000000 + GP_SHARD_SLOT_MARGIN_US);
    gp_scenario_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_shard_parse),
        cmocka_unit_test(test_shard_from_env),
        cmocka_unit_test(test_shard_start_at),
        cmocka_unit_test(test_shard_digest_tokens),
        cmocka_unit_test(test_shard_slot),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
