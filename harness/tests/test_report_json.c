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

/* The reporters are pure over their inputs: the same suites and context give the same bytes
 * (JSON, JUnit, HTML), and what they say of their making (time, host) is the context's. */
static void test_report_json_same_inputs_same_bytes(void **state)
{
    static const char *const names[] = {"a.json", "a.xml", "a.html", "b.json", "b.xml", "b.html"};
    const gp_report_ctx other = {(int64_t)1700000000 * 1000000, "elsewhere"};
    fixture fx;
    gp_err err = {0};
    char *p[6], *text[6];
    size_t i;

    (void)state;
    fixture_init(&fx, FX_FAIL, 1, NULL);
    fx_add_inconclusive(&fx);
    for (i = 0; i < 6; i++)
        p[i] = tmp_path(names[i]);
    for (i = 0; i < 6; i += 3) {
        assert_int_equal(gp_report_write_json(p[i], &fx.suite, 1, FX_CTX, &err), 0);
        assert_int_equal(gp_report_write_junit(p[i + 1], &fx.suite, 1, FX_CTX, &err), 0);
        assert_int_equal(gp_report_write_html(p[i + 2], &fx.suite, 1, FX_CTX, &err), 0);
    }
    for (i = 0; i < 6; i++)
        text[i] = fx_slurp(p[i]);
    for (i = 0; i < 3; i++)
        assert_string_equal(text[i], text[i + 3]);
    assert_non_null(strstr(text[0], "\"generated_at\": \"2025-09-18T14:00:00.250Z\""));
    assert_non_null(strstr(text[1], "hostname=\"" FX_HOST "\""));
    assert_non_null(strstr(text[2], "generated 2025-09-18T14:00:00.250Z by"));
    for (i = 0; i < 6; i++)
        free(text[i]);
    /* Another context shows: nothing else decides these. */
    assert_int_equal(gp_report_write_json(p[0], &fx.suite, 1, &other, &err), 0);
    assert_int_equal(gp_report_write_junit(p[1], &fx.suite, 1, &other, &err), 0);
    text[0] = fx_slurp(p[0]);
    text[1] = fx_slurp(p[1]);
    assert_non_null(strstr(text[0], "\"generated_at\": \"2023-11-14T22:13:20.000Z\""));
    assert_non_null(strstr(text[1], "hostname=\"elsewhere\""));
    free(text[0]);
    free(text[1]);
    for (i = 0; i < 6; i++)
        remove_tmp(p[i]);
    fixture_cleanup(&fx);
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
    assert_int_equal(gp_report_write_json(path, &fx.suite, 1, FX_CTX, &err), 0);
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
    root = gp_report_to_json(&fx.suite, 1, FX_CTX);
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
    root = gp_report_to_json(&fx.suite, 1, FX_CTX);
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

/* The harness object under its stable names, inconclusive counts and statuses; they survive
 * the round trip through report_read, and a report from before them still loads. */
static void test_report_json_harness_and_inconclusive(void **state)
{
    static const char *const keys[] = {"workers",    "lag_p50_ms", "lag_p99_ms", "lag_max_ms",
                                       "cpu_user_s", "cpu_sys_s",  "cpu_busy",   "stalls"};
    fixture fx;
    json_t *root, *sc, *h, *st, *rule, *user, *v;
    gp_report_doc *d;
    const gp_report_scenario *rs;
    gp_err err = {0};
    size_t i;

    (void)state;
    fixture_init(&fx, FX_PASS, 1, NULL);
    root = gp_report_to_json(&fx.suite, 1, FX_CTX);
    sc = json_array_get(json_object_get(root, "scenarios"), 0);
    assert_null(json_object_get(sc, "harness")); /* not measured: not reported */
    assert_string_equal(json_string_value(json_object_get(sc, "status")), "passed");
    json_decref(root);

    fx_add_inconclusive(&fx);
    root = gp_report_to_json(&fx.suite, 1, FX_CTX);
    assert_false(json_is_true(json_object_get(root, "passed")));
    sc = json_array_get(json_object_get(root, "scenarios"), 0);
    assert_false(json_is_true(json_object_get(sc, "passed")));
    assert_string_equal(json_string_value(json_object_get(sc, "status")), "inconclusive");
    h = json_object_get(sc, "harness");
    assert_int_equal(json_object_size(h), sizeof keys / sizeof keys[0]);
    for (i = 0; i < sizeof keys / sizeof keys[0]; i++)
        assert_non_null(json_object_get(h, keys[i]));
    assert_int_equal(json_integer_value(json_object_get(h, "workers")), 1);
    assert_true(json_real_value(json_object_get(h, "lag_p99_ms")) == 2.1);
    assert_true(json_real_value(json_object_get(h, "lag_max_ms")) == 5020.0);
    assert_true(json_real_value(json_object_get(h, "cpu_busy")) == 0.75);
    st = json_array_get(json_object_get(h, "stalls"), 0);
    assert_true(json_real_value(json_object_get(st, "from_ms")) == 40.0);
    assert_true(json_real_value(json_object_get(st, "to_ms")) == 5060.0);
    assert_true(json_real_value(json_object_get(st, "lag_ms")) == 5020.0);
    v = json_object_get(sc, "summary");
    assert_int_equal(json_integer_value(json_object_get(v, "users_passed")), FX_USERS - 1);
    assert_int_equal(json_integer_value(json_object_get(v, "users_failed")), 0);
    assert_int_equal(json_integer_value(json_object_get(v, "users_inconclusive")), 1);
    rule = json_array_get(json_object_get(sc, "rules"), GP_RULE_COMPLETION);
    assert_int_equal(json_integer_value(json_object_get(rule, "inconclusive")), 1);
    assert_int_equal(json_integer_value(json_object_get(rule, "failed")), 0);
    assert_string_equal(
        json_string_value(json_object_get(
            json_array_get(json_object_get(rule, "inconclusive_examples"), 0), "cause")),
        FX_STALL_CAUSE);
    user = json_array_get(json_object_get(sc, "user_results"), FX_INCONCLUSIVE_USER);
    assert_string_equal(json_string_value(json_object_get(user, "status")), "inconclusive");
    assert_string_equal(
        json_string_value(json_array_get(json_object_get(user, "inconclusive_rules"), 0)),
        "GP-COMPLETION");
    assert_int_equal(
        json_integer_value(json_object_get(json_object_get(sc, "transcripts"), "failing_users")),
        1);

    d = gp_report_from_json(root, "mem", &err);
    assert_non_null(d);
    rs = &d->scenarios[0];
    assert_true(rs->health.measured);
    assert_int_equal(rs->health.lag_p99_us, 2100);
    assert_int_equal(rs->health.lag_max_us, 5020000);
    assert_int_equal(rs->health.nstalls, 1);
    assert_int_equal(rs->health.stalls[0].to_us, 5060000);
    assert_true(rs->health.cpu_user_s == 1.25 && rs->health.cpu_sys_s == 0.5);
    assert_int_equal(rs->results->rules[GP_RULE_COMPLETION].inconclusive, 1);
    assert_int_equal(rs->results->rules[GP_RULE_COMPLETION].ninconclusive, 1);
    assert_string_equal(rs->results->rules[GP_RULE_COMPLETION].inconclusive_examples[0].cause,
                        FX_STALL_CAUSE);
    assert_int_equal(gp_user_status(&rs->results->users[FX_INCONCLUSIVE_USER]),
                     GP_STATUS_INCONCLUSIVE);
    gp_report_doc_free(d);

    /* A report from before: none of the new members. */
    json_object_del(sc, "harness");
    json_object_del(sc, "status");
    json_object_del(v, "users_inconclusive");
    json_object_del(rule, "inconclusive");
    json_object_del(rule, "inconclusive_examples");
    json_object_del(user, "status");
    json_object_del(user, "inconclusive_rules");
    d = gp_report_from_json(root, "old", &err);
    assert_non_null(d);
    rs = &d->scenarios[0];
    assert_false(rs->health.measured);
    assert_false(gp_results_inconclusive(rs->results));
    gp_report_doc_free(d);

    /* A "harness" of the wrong shape is refused, naming it. */
    json_object_set_new(sc, "harness", json_pack("{s:i}", "workers", 1));
    assert_null(gp_report_from_json(root, "bad", &err));
    assert_non_null(strstr(err.msg, "harness"));
    json_decref(root);
    fixture_cleanup(&fx);
}

/* gp_report_write_json writes user_results itself, not through jansson: the file must be the
 * bytes json_dumps makes of gp_report_to_json's tree, whatever the ids and causes hold. */
static void test_report_json_users_as_jansson_writes_them(void **state)
{
    fixture fx;
    gp_suite two[2];
    gp_results *none = gp_results_new(0);
    gp_err err = {0};
    char *path = tmp_path("r.json"), *want, *got;
    json_t *root;
    int variant;

    (void)state;
    for (variant = FX_PASS; variant <= FX_FAIL; variant++) {
        fixture_init(&fx, variant, 1, NULL);
        free(fx.res->users[1].cause);
        fx.res->users[1].cause = gp_strdup("ctl \x01\x1f\x7f \"q\" \\ / \xff\xfe \xc3\xa9 \n\t\b\f\r");
        free(fx.res->users[0].user_id);
        fx.res->users[0].user_id = gp_strdup("id \"\\\x02\xe2\x80\xa8");
        fx.res->users[3].failed_rules = (1u << GP_RULE__COUNT) - 1;
        fx.res->users[4].inconclusive_rules = 1u << 1 | 1u << (GP_RULE__COUNT - 1);
        fx.res->users[5].index = 123456789012LL;
        two[0] = fx.suite;
        two[1] = fx.suite;
        two[1].results = none;
        for (size_t n = 0; n <= 2; n++) {
            assert_int_equal(gp_report_write_json(path, two, n, FX_CTX, &err), 0);
            root = gp_report_to_json(two, n, FX_CTX);
            want = json_dumps(root, JSON_INDENT(1) | JSON_PRESERVE_ORDER);
            json_decref(root);
            got = fx_slurp(path);
            assert_non_null(want);
            assert_non_null(got);
            assert_string_equal(got, want);
            free(want);
            free(got);
        }
        fixture_cleanup(&fx);
    }
    gp_results_free(none);
    remove_tmp(path);
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
        cmocka_unit_test(test_report_json_same_inputs_same_bytes),
        cmocka_unit_test(test_report_json_layout_and_redaction),
        cmocka_unit_test(test_report_json_bounds_transcripts),
        cmocka_unit_test(test_report_json_read_rejects),
        cmocka_unit_test(test_report_json_users_as_jansson_writes_them),
        cmocka_unit_test(test_report_json_harness_and_inconclusive),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
