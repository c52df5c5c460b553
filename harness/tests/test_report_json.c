/* test_report_json.c - the JSON report: layout, redaction, bounds and the round trip through
 * report_read (write -> read back -> same counts and percentiles). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "report_fixture.h"
#include "report_read.h"

static char *tmp_path(const char *name)
{
    char dir[] = "/tmp/gp-rjson-XXXXXX";

    assert_non_null(mkdtemp(dir));
    return gp_asprintf("%s/%s", dir, name);
}

static void remove_tmp(char *path)
{
    char *slash;

    unlink(path);
    slash = strrchr(path, '/');
    *slash = '\0';
    rmdir(path);
    free(path);
}

static void assert_hist_equal(const gp_hist *a, const gp_hist *b)
{
    static const double qs[] = {50, 90, 95, 99, 100};
    size_t i;

    assert_int_equal(a->count, b->count);
    assert_int_equal(a->min, b->min);
    assert_int_equal(a->max, b->max);
    assert_int_equal(a->sum, b->sum);
    for (i = 0; i < sizeof qs / sizeof qs[0]; i++)
        assert_int_equal(gp_hist_percentile(a, qs[i]), gp_hist_percentile(b, qs[i]));
}

static void test_report_json_round_trip(void **state)
{
    fixture fx;
    char *path = tmp_path("r.json");
    gp_err err = {0};
    gp_report_doc *d;
    const gp_results *a, *b;
    size_t i, j;

    (void)state;
    fixture_init(&fx, FX_FAIL, 1, NULL);
    assert_int_equal(gp_report_write_json(path, &fx.suite, 1, &err), 0);
    d = gp_report_read(path, &err);
    assert_non_null(d);
    assert_int_equal(d->n, 1);
    assert_string_equal(d->scenarios[0].name, "golden_path");
    assert_string_equal(d->scenarios[0].digest, fx.sc.digest);
    assert_int_equal(d->scenarios[0].users, FX_USERS);
    assert_int_equal(d->scenarios[0].started_wall_us, fx.suite.meta.started_wall_us);
    a = fx.res;
    b = d->scenarios[0].results;
    for (i = 0; i < GP_RULE__COUNT; i++) {
        assert_int_equal(a->rules[i].checked, b->rules[i].checked);
        assert_int_equal(a->rules[i].passed, b->rules[i].passed);
        assert_int_equal(a->rules[i].failed, b->rules[i].failed);
        assert_int_equal(a->rules[i].nexamples, b->rules[i].nexamples);
        for (j = 0; j < a->rules[i].nexamples; j++) {
            assert_int_equal(a->rules[i].examples[j].user, b->rules[i].examples[j].user);
            assert_int_equal(a->rules[i].examples[j].frame, b->rules[i].examples[j].frame);
            assert_string_equal(a->rules[i].examples[j].received, b->rules[i].examples[j].received);
        }
    }
    assert_int_equal(a->nusers, b->nusers);
    for (i = 0; i < a->nusers; i++) {
        assert_string_equal(a->users[i].user_id, b->users[i].user_id);
        assert_int_equal(a->users[i].passed, b->users[i].passed);
        assert_int_equal(a->users[i].failed_rules, b->users[i].failed_rules);
    }
    for (i = 0; i < GP_EV_GOLDEN_COUNT; i++)
        assert_hist_equal(&a->latency[i], &b->latency[i]);
    assert_hist_equal(&a->gaps, &b->gaps);
    assert_hist_equal(&a->tool_duration, &b->tool_duration);
    assert_hist_equal(&a->run_duration, &b->run_duration);
    for (i = 0; i < GP_CAUSE__COUNT; i++)
        assert_int_equal(a->causes[i], b->causes[i]);
    for (i = 0; i < GP_EV__COUNT; i++)
        assert_int_equal(a->event_counts[i], b->event_counts[i]);
    assert_int_equal(b->ntools, 1);
    assert_int_equal(b->tools[0].count, FX_USERS);
    assert_int_equal(b->runs_passed, a->runs_passed);
    gp_report_doc_free(d);
    fixture_cleanup(&fx);
    remove_tmp(path);
}

static void test_report_json_layout_and_redaction(void **state)
{
    fixture fx;
    json_t *root, *sc, *tr, *cov;
    char *dump;

    (void)state;
    fixture_init(&fx, FX_FAIL, 1, NULL);
    root = gp_report_to_json(&fx.suite, 1);
    assert_string_equal(json_string_value(json_object_get(root, "format")), "goldenpath-report");
    assert_int_equal(json_integer_value(json_object_get(root, "version")), 1);
    assert_false(json_is_true(json_object_get(root, "passed")));
    sc = json_array_get(json_object_get(root, "scenarios"), 0);
    assert_string_equal(json_string_value(json_object_get(sc, "started_at")),
                        "2025-09-18T14:00:00.250Z");
    assert_string_equal(json_string_value(json_object_get(sc, "target")),
                        "ws://127.0.0.1:8765/ws?token=REDACTED");
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(sc, "labels"), "release")), "v1.2.3");
    tr = json_object_get(sc, "transcripts");
    assert_int_equal(json_integer_value(json_object_get(tr, "failing_users")), 2);
    assert_int_equal(json_array_size(json_object_get(tr, "users")), 2);
    cov = json_object_get(sc, "coverage");
    assert_int_equal(json_array_size(json_object_get(cov, "rules_exercised")), GP_RULE__COUNT - 1);
    assert_int_equal(
        json_integer_value(json_object_get(json_object_get(cov, "tools"), "cost_analyzer")),
        FX_USERS);
    dump = json_dumps(root, 0);
    assert_null(strstr(dump, "supersecret"));
    assert_null(strstr(dump, "sekret"));
    assert_non_null(strstr(dump, "Bearer REDACTED"));
    free(dump);
    json_decref(root);
    fixture_cleanup(&fx);
}

static void test_report_json_bounds_transcripts(void **state)
{
    fixture fx;
    json_t *root, *users, *frames, *big;
    char *huge = gp_malloc(10000);
    size_t i;

    (void)state;
    fixture_init(&fx, FX_FAIL, 1, NULL);
    memset(huge, 'x', 9999);
    huge[0] = '"';
    huge[9999] = '\0';
    for (i = 0; i < 500; i++)
        gp_transcript_add(fx.ts[1], GP_FR_RECV_TEXT, 200000 + (int64_t)i, 0, huge, 9999);
    /* Every user fails something, more than the bound. */
    for (i = 0; i < GP_MAX_EXAMPLES + 5 && i < FX_USERS; i++)
        gp_results_fail(fx.res, GP_RULE_GAP, i, 3, GP_NO_FRAME, "a gap under 1 s", "2 s");
    root = gp_report_to_json(&fx.suite, 1);
    users = json_object_get(
        json_object_get(json_array_get(json_object_get(root, "scenarios"), 0), "transcripts"),
        "users");
    assert_true(json_array_size(users) <= GP_REPORT_MAX_TRANSCRIPTS);
    for (i = 0; i < json_array_size(users); i++) {
        json_t *u = json_array_get(users, i);

        if (json_integer_value(json_object_get(u, "user")) != 1)
            continue;
        frames = json_object_get(u, "frames");
        assert_int_equal(json_array_size(frames), GP_REPORT_MAX_FRAMES);
        assert_true(json_is_true(json_object_get(u, "truncated")));
        big = json_array_get(frames, GP_REPORT_MAX_FRAMES - 1);
        assert_true(json_is_true(json_object_get(big, "truncated")));
        assert_true(strlen(json_string_value(json_object_get(big, "data"))) <=
                    GP_REPORT_FRAME_TEXT_MAX + 3);
    }
    json_decref(root);
    free(huge);
    fixture_cleanup(&fx);
}

static void test_report_json_read_rejects(void **state)
{
    static const char *const docs[] = {
        "not json",
        "{\"format\":\"other\",\"version\":1,\"scenarios\":[]}",
        "{\"format\":\"goldenpath-report\",\"version\":2,\"scenarios\":[]}",
        "{\"format\":\"goldenpath-report\",\"version\":1,\"harness_version\":\"x\","
        "\"generated_at\":\"y\",\"scenarios\":[{\"name\":\"s\"}]}",
    };
    size_t i;

    (void)state;
    for (i = 0; i < sizeof docs / sizeof docs[0]; i++) {
        char *path = tmp_path("bad.json");
        FILE *f = fopen(path, "w");
        gp_err err = {0};

        fputs(docs[i], f);
        fclose(f);
        assert_null(gp_report_read(path, &err));
        assert_int_equal(err.code, GP_EXIT_USAGE);
        assert_true(err.msg[0] != '\0');
        remove_tmp(path);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_report_json_round_trip),
        cmocka_unit_test(test_report_json_layout_and_redaction),
        cmocka_unit_test(test_report_json_bounds_transcripts),
        cmocka_unit_test(test_report_json_read_rejects),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
