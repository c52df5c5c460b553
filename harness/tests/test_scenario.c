/* test_scenario.c - the scenario loader: every invalid fixture fails with its expected
 * position and message, the shipped and valid scenarios load, and the model holds what the
 * file says (defaults, typing, ids, captures, environment references). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "scenario.h"

#define INVALID_DIR GP_SOURCE_DIR "/fixtures/scenarios/invalid"
#define VALID_DIR GP_SOURCE_DIR "/fixtures/scenarios/valid"
#define SHIPPED_DIR GP_SOURCE_DIR "/scenarios"

static int env_setup(void **state)
{
    (void)state;
    setenv("GOLDENPATH_JWT_SECRET", "test-secret-for-unit-tests", 1);
    setenv("GOLDENPATH_BYPASS_KEY", "test-bypass-key-for-unit-tests", 1);
    unsetenv("GP_TEST_SURELY_UNSET_URL");
    unsetenv("GP_TEST_SURELY_UNSET_SECRET");
    unsetenv("GP_TEST_SURELY_UNSET_SECRET2");
    return 0;
}

/* Writes text to a fresh temporary .yaml file and returns its path (free() it). */
static char *write_temp(const char *text)
{
    char tmpl[] = "/tmp/gp-test-scenario-XXXXXX.yaml";
    int fd = mkstemps(tmpl, 5);
    FILE *fp;

    assert_true(fd >= 0);
    fp = fdopen(fd, "w");
    assert_non_null(fp);
    fputs(text, fp);
    fclose(fp);
    return strdup(tmpl);
}

static gp_scenario *load_text(const char *text, gp_err *err)
{
    char *path = write_temp(text);
    gp_scenario *s = gp_scenario_load(path, err);

    unlink(path);
    free(path);
    return s;
}

static int ends_with(const char *s, const char *suffix)
{
    size_t a = strlen(s), b = strlen(suffix);

    return a >= b && strcmp(s + a - b, suffix) == 0;
}

/* Lists dir's *.yaml files, sorted, into names (free each and the array). */
static size_t list_yaml(const char *dir, char ***names)
{
    DIR *d = opendir(dir);
    struct dirent *de;
    size_t n = 0, i, j;

    *names = NULL;
    if (!d)
        return 0;
    while ((de = readdir(d)) != NULL) {
        if (!ends_with(de->d_name, ".yaml"))
            continue;
        *names = realloc(*names, (n + 1) * sizeof **names);
        (*names)[n++] = strdup(de->d_name);
    }
    closedir(d);
    for (i = 1; i < n; i++)
        for (j = i; j > 0 && strcmp((*names)[j - 1], (*names)[j]) > 0; j--) {
            char *t = (*names)[j];

            (*names)[j] = (*names)[j - 1];
            (*names)[j - 1] = t;
        }
    return n;
}

/* Every fixtures/scenarios/invalid/<case>.yaml fails with <case>.err: "LINE:COL: text",
 * text being a substring of the message. */
static void test_scenario_invalid_fixtures(void **state)
{
    char **names;
    size_t n = list_yaml(INVALID_DIR, &names), i, failures = 0;

    (void)state;
    assert_true(n >= 30);
    for (i = 0; i < n; i++) {
        char path[1024], errpath[1024], want[1024], got[1024];
        int line = 0, col = 0, off = 0;
        gp_err err = {0};
        gp_scenario *s;
        FILE *fp;

        snprintf(path, sizeof path, "%s/%s", INVALID_DIR, names[i]);
        snprintf(errpath, sizeof errpath, "%.*s.err", (int)(strlen(path) - 5), path);
        fp = fopen(errpath, "r");
        if (!fp || !fgets(want, sizeof want, fp) ||
            sscanf(want, "%d:%d: %n", &line, &col, &off) != 2 || off == 0) {
            print_error("%s: missing or malformed .err file\n", names[i]);
            failures++;
            if (fp)
                fclose(fp);
            continue;
        }
        fclose(fp);
        want[strcspn(want, "\n")] = '\0';
        s = gp_scenario_load(path, &err);
        gp_err_format(&err, got, sizeof got);
        if (s) {
            print_error("%s: loaded, expected %s\n", names[i], want);
            gp_scenario_free(s);
            failures++;
        } else if (err.line != line || err.col != col || !strstr(err.msg, want + off) ||
                   strcmp(err.src, path) != 0 || err.code != GP_EXIT_USAGE) {
            print_error("%s: got '%s', expected '%s'\n", names[i], got, want);
            failures++;
        }
        free(names[i]);
    }
    free(names);
    assert_int_equal(failures, 0);
}

/* The shipped scenarios and the valid fixtures load. */
static void load_all(const char *dir, size_t min)
{
    char **names;
    size_t n = list_yaml(dir, &names), i, failures = 0;

    assert_true(n >= min);
    for (i = 0; i < n; i++) {
        char path[1024], got[1024];
        gp_err err = {0};
        gp_scenario *s;

        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        s = gp_scenario_load(path, &err);
        if (!s) {
            gp_err_format(&err, got, sizeof got);
            print_error("%s\n", got);
            failures++;
        } else {
            assert_int_equal(strlen(s->digest), 64);
            assert_true(s->nsteps > 0);
        }
        gp_scenario_free(s);
        free(names[i]);
    }
    free(names);
    assert_int_equal(failures, 0);
}

static void test_scenario_shipped_load(void **state)
{
    (void)state;
    load_all(SHIPPED_DIR, 7);
}

static void test_scenario_valid_fixtures(void **state)
{
    (void)state;
    load_all(VALID_DIR, 1);
}

static void test_scenario_golden_path_model(void **state)
{
    gp_err err = {0};
    gp_scenario *s = gp_scenario_load(SHIPPED_DIR "/golden_path.yaml", &err);
    const gp_step *st;
    json_t *payload;

    (void)state;
    assert_non_null(s);
    assert_string_equal(s->name, "golden_path");
    assert_string_equal(s->target.url, "ws://127.0.0.1:8765/ws");
    assert_int_equal(s->target.carrier, GP_CARRIER_BEARER);
    assert_int_equal(s->auth.kind, GP_AUTH_JWT);
    assert_string_equal(s->auth.secret_env, "GOLDENPATH_JWT_SECRET");
    assert_string_equal(json_string_value(json_object_get(s->auth.claims, "sub")), "{{user.id}}");
    assert_int_equal(s->auth.ttl_us, 15 * 60 * 1000000LL);
    assert_int_equal(s->users.count, 50);
    assert_int_equal(s->users.ramp_up_us, 500000);
    assert_int_equal(s->timeouts.run_us, 30000000);
    assert_int_equal(s->timeouts.linger_us, 250000);
    assert_int_equal(s->nsteps, 4);
    assert_int_equal(s->nstep_ids, 4);
    assert_int_equal(s->steps[0].kind, GP_STEP_CONNECT);
    assert_int_equal(s->steps[0].id, 0);
    assert_int_equal(s->steps[0].u.connect.credential, GP_CRED_VALID);
    st = &s->steps[1];
    assert_int_equal(st->kind, GP_STEP_SEND);
    assert_true(st->line > 1);
    assert_int_equal(st->col, 5);
    payload = json_object_get(st->u.send.message, "payload");
    assert_string_equal(json_string_value(json_object_get(payload, "thread_id")),
                        "thread-{{user.id}}-{{uuid}}");
    assert_int_equal(s->steps[2].u.expect_run.required, GP_EV_GOLDEN_MASK);
    assert_false(s->steps[2].u.expect_run.allow_repeats);
    assert_int_equal(s->steps[3].u.close.code, 1000);
    assert_string_equal(s->steps[3].u.close.reason, "done");
    assert_ptr_equal(gp_scenario_step(s, 2), &s->steps[2]);
    gp_scenario_free(s);
}

static void test_scenario_defaults(void **state)
{
    gp_err err = {0};
    gp_scenario *s = load_text("name: d\ntarget: {url: 'wss://example.com'}\nsteps:\n"
                               "  - connect\n  - expect:\n  - close\n",
                               &err);

    (void)state;
    assert_non_null(s);
    assert_int_equal(s->users.count, 1);
    assert_string_equal(s->users.id_template, "gp-user-{{user.index}}");
    assert_int_equal(s->timeouts.connect_us, 10000000);
    assert_int_equal(s->timeouts.first_event_us, 10000000);
    assert_int_equal(s->timeouts.run_us, 60000000);
    assert_int_equal(s->timeouts.expect_us, 10000000);
    assert_int_equal(s->timeouts.close_us, 2000000);
    assert_string_equal(s->profile.type_key, "type");
    assert_int_equal(s->profile.max_frame_bytes, 1024 * 1024);
    assert_true(s->outcome.set);
    assert_string_equal(s->outcome.status_path, "status");
    assert_string_equal(json_string_value(json_array_get(s->outcome.success, 0)), "completed");
    assert_int_equal(s->outcome.nfailure, 5);
    assert_string_equal(s->outcome.failure[1].path, "metadata.success");
    assert_true(json_is_false(json_array_get(s->outcome.failure[1].values, 0)));
    assert_true(s->steps[1].u.expect.skip_noise);
    assert_int_equal(s->steps[1].u.expect.timeout_us, 0);
    assert_string_equal(s->steps[2].u.close.reason, "done");
    assert_null(s->description);
    gp_scenario_free(s);
}

/* Plain scalars are typed, quoted ones stay strings. */
static void test_scenario_send_typing(void **state)
{
    gp_err err = {0};
    gp_scenario *s = load_text("name: t\ntarget: {url: ws://h/ws}\nauth: {kind: none}\nsteps:\n"
                               "  - send:\n      a: true\n      b: 'true'\n      c: 12\n"
                               "      d: \"12\"\n      e: 1.5\n      f: ~\n      g: [1, x]\n"
                               "      h: 0x10\n      i: 1e3\n      j: yes\n",
                               &err);
    json_t *m;

    (void)state;
    assert_non_null(s);
    m = s->steps[0].u.send.message;
    assert_true(json_is_true(json_object_get(m, "a")));
    assert_string_equal(json_string_value(json_object_get(m, "b")), "true");
    assert_int_equal(json_integer_value(json_object_get(m, "c")), 12);
    assert_string_equal(json_string_value(json_object_get(m, "d")), "12");
    assert_true(json_is_real(json_object_get(m, "e")));
    assert_true(json_is_null(json_object_get(m, "f")));
    assert_int_equal(json_array_size(json_object_get(m, "g")), 2);
    assert_int_equal(json_integer_value(json_object_get(m, "h")), 16);
    assert_true(json_is_real(json_object_get(m, "i")));
    assert_string_equal(json_string_value(json_object_get(m, "j")), "yes");
    gp_scenario_free(s);
}

static void test_scenario_env_resolution(void **state)
{
    gp_err err = {0};
    gp_scenario *s;

    (void)state;
    setenv("GP_TEST_HOST", "example.org", 1);
    setenv("GP_TEST_CARRIER", "query", 1);
    setenv("GP_TEST_USERS", "7", 1);
    unsetenv("GP_TEST_NOPE");
    s = load_text("name: t\ntarget:\n  url: wss://${GP_TEST_HOST}:${GP_TEST_NOPE:-9443}/ws\n"
                  "  carrier: ${GP_TEST_CARRIER}\nauth: {kind: none}\nusers:\n  count: "
                  "${GP_TEST_USERS}\n"
                  "steps:\n  - send: {literal: \"$${NOT_RESOLVED}\"}\n",
                  &err);
    assert_non_null(s);
    assert_string_equal(s->target.url, "wss://example.org:9443/ws");
    assert_int_equal(s->target.carrier, GP_CARRIER_QUERY);
    assert_int_equal(s->users.count, 7);
    assert_string_equal(json_string_value(json_object_get(s->steps[0].u.send.message, "literal")),
                        "${NOT_RESOLVED}");
    gp_scenario_free(s);
}

/* Ids run in document order through nested repeats; captures flow forward. */
static void test_scenario_ids_and_captures(void **state)
{
    gp_err err = {0};
    gp_scenario *s =
        load_text("name: t\ntarget: {url: ws://h/ws}\nauth: {kind: none}\nsteps:\n"
                  "  - connect: {name: first}\n"
                  "  - repeat:\n      count: 3\n      steps:\n"
                  "        - send: {type: user_message, payload: {thread_id: \"t-{{user.id}}\"}}\n"
                  "        - expect_run: {capture: {thread: thread_id}, require: [agent_started]}\n"
                  "        - repeat: {count: 2, steps: [{think: {min: 10ms, max: 20ms}}]}\n"
                  "  - send: {type: user_message, payload: {thread_id: \"{{thread}}\"}}\n"
                  "  - name: last\n    close: {code: 4000, reason: bye}\n",
                  &err);
    const gp_step *r;

    (void)state;
    assert_non_null(s);
    assert_int_equal(s->nstep_ids, 8);
    assert_string_equal(s->steps[0].label, "first");
    r = &s->steps[1];
    assert_int_equal(r->kind, GP_STEP_REPEAT);
    assert_int_equal(r->id, 1);
    assert_int_equal(r->u.repeat.count, 3);
    assert_int_equal(r->u.repeat.steps[0].id, 2);
    assert_int_equal(r->u.repeat.steps[1].u.expect_run.required, GP_EV_MASK(GP_EV_AGENT_STARTED));
    assert_string_equal(r->u.repeat.steps[1].u.expect_run.captures[0].var, "thread");
    assert_int_equal(r->u.repeat.steps[2].u.repeat.steps[0].id, 5);
    assert_int_equal(r->u.repeat.steps[2].u.repeat.steps[0].u.think.min_us, 10000);
    assert_int_equal(r->u.repeat.steps[2].u.repeat.steps[0].u.think.max_us, 20000);
    assert_int_equal(s->steps[2].id, 6);
    assert_int_equal(s->steps[3].id, 7);
    assert_string_equal(s->steps[3].label, "last");
    assert_int_equal(s->steps[3].u.close.code, 4000);
    assert_ptr_equal(gp_scenario_step(s, 5), &r->u.repeat.steps[2].u.repeat.steps[0]);
    assert_null(gp_scenario_step(s, 8));
    gp_scenario_free(s);
}

static void test_scenario_expect_predicates(void **state)
{
    gp_err err = {0};
    gp_scenario *s = load_text("name: t\ntarget: {url: ws://h/ws}\nauth: {kind: none}\nsteps:\n"
                               "  - expect:\n      match: {type: pong}\n      where:\n"
                               "        - {path: a, equals: 3}\n"
                               "        - {path: b, contains: x}\n"
                               "        - {path: c, exists: false}\n"
                               "        - {path: d, type: object}\n"
                               "        - {path: e, nonempty: true}\n"
                               "      capture: {v: payload.v}\n      timeout: 2s\n"
                               "      skip_noise: false\n",
                               &err);
    const gp_step *st;

    (void)state;
    assert_non_null(s);
    st = &s->steps[0];
    assert_int_equal(st->u.expect.npreds, 5);
    assert_int_equal(st->u.expect.preds[0].op, GP_PRED_EQUALS);
    assert_int_equal(json_integer_value(st->u.expect.preds[0].value), 3);
    assert_int_equal(st->u.expect.preds[1].op, GP_PRED_CONTAINS);
    assert_int_equal(st->u.expect.preds[2].op, GP_PRED_EXISTS);
    assert_true(json_is_false(st->u.expect.preds[2].value));
    assert_string_equal(json_string_value(st->u.expect.preds[3].value), "object");
    assert_int_equal(st->u.expect.preds[4].op, GP_PRED_NONEMPTY);
    assert_string_equal(st->u.expect.captures[0].path, "payload.v");
    assert_int_equal(st->u.expect.timeout_us, 2000000);
    assert_false(st->u.expect.skip_noise);
    gp_scenario_free(s);
}

static void test_scenario_protocol(void **state)
{
    gp_err err = {0};
    gp_scenario *s =
        load_text("name: t\ntarget:\n  url: ws://h/ws\n  carrier: subprotocol\n"
                  "  subprotocol_encoding: base64url\n  headers: {X-Trace: \"{{user.id}}\"}\n"
                  "  subprotocols: [chat]\n  insecure: true\nauth: {kind: none}\n"
                  "protocol:\n  containers: [data]\n  wrappers: []\n  ids: {run: rid}\n"
                  "  aliases: {reasoning: agent_thinking, ready: connection_established}\n"
                  "  max_frame: 512KiB\nsteps: [connect]\n",
                  &err);

    (void)state;
    assert_non_null(s);
    assert_int_equal(s->target.carrier, GP_CARRIER_SUBPROTOCOL);
    assert_true(s->target.subprotocol_base64);
    assert_true(s->target.insecure);
    assert_string_equal(s->target.headers[0].key, "X-Trace");
    assert_string_equal(s->target.subprotocols[0], "chat");
    assert_int_equal(s->profile.ncontainers, 1);
    assert_int_equal(s->profile.nwrapper_types, 0);
    assert_string_equal(s->profile.run_id_key, "rid");
    assert_string_equal(s->profile.thread_id_key, "thread_id");
    assert_int_equal(s->profile.naliases, 2);
    assert_int_equal(s->profile.max_frame_bytes, 512 * 1024);
    gp_scenario_free(s);
}

/* protocol.outcome: each key replaces its default; plain scalars are typed, quoted ones stay
 * strings; status ~ turns the status check off. */
static void test_scenario_outcome(void **state)
{
    gp_err err = {0};
    gp_scenario *s = load_text("name: t\ntarget: {url: ws://h/ws}\nauth: {kind: none}\n"
                               "protocol:\n  outcome:\n    status: result.state\n"
                               "    success: [finished, \"true\", 0]\n    failure:\n"
                               "      - {path: result.ok, equals: false}\n"
                               "      - {path: result.state, in: [broken]}\n"
                               "      - {path: result.kind, not_in: [answer, clarification]}\n"
                               "      - {path: answer, nonempty: false}\n"
                               "steps: [connect]\n",
                               &err);
    const gp_outcome *o;

    (void)state;
    assert_non_null(s);
    o = &s->outcome;
    assert_string_equal(o->status_path, "result.state");
    assert_int_equal(json_array_size(o->success), 3);
    assert_string_equal(json_string_value(json_array_get(o->success, 1)), "true");
    assert_true(json_is_integer(json_array_get(o->success, 2)));
    assert_int_equal(o->nfailure, 4);
    assert_int_equal(o->failure[0].op, GP_OUTCOME_EQUALS);
    assert_true(json_is_false(json_array_get(o->failure[0].values, 0)));
    assert_int_equal(o->failure[1].op, GP_OUTCOME_IN);
    assert_int_equal(o->failure[2].op, GP_OUTCOME_NOT_IN);
    assert_int_equal(json_array_size(o->failure[2].values), 2);
    assert_int_equal(o->failure[3].op, GP_OUTCOME_NONEMPTY);
    assert_true(json_is_false(json_array_get(o->failure[3].values, 0)));
    gp_scenario_free(s);

    s = load_text("name: t\ntarget: {url: ws://h/ws}\nauth: {kind: none}\n"
                  "protocol:\n  outcome: {status: ~, failure: []}\nsteps: [connect]\n",
                  &err);
    assert_non_null(s);
    assert_null(s->outcome.status_path);
    assert_int_equal(s->outcome.nfailure, 0);
    assert_int_equal(json_array_size(s->outcome.success), 6);
    gp_scenario_free(s);
}

static void test_scenario_claims_merge(void **state)
{
    gp_err err = {0};
    gp_scenario *s = load_text("name: t\ntarget: {url: ws://h/ws}\nauth:\n  claims:\n"
                               "    iss: other\n    type: ~\n    role: admin\n  ttl: 1m\n"
                               "steps: [connect]\n",
                               &err);

    (void)state;
    assert_non_null(s);
    assert_string_equal(json_string_value(json_object_get(s->auth.claims, "sub")), "{{user.id}}");
    assert_string_equal(json_string_value(json_object_get(s->auth.claims, "iss")), "other");
    assert_null(json_object_get(s->auth.claims, "type"));
    assert_string_equal(json_string_value(json_object_get(s->auth.claims, "role")), "admin");
    assert_int_equal(s->auth.ttl_us, 60000000);
    gp_scenario_free(s);
}

static void test_scenario_missing_file(void **state)
{
    gp_err err = {0};

    (void)state;
    assert_null(gp_scenario_load("/nonexistent/gp.yaml", &err));
    assert_int_equal(err.code, GP_EXIT_USAGE);
    assert_string_equal(err.src, "/nonexistent/gp.yaml");
    assert_non_null(strstr(err.msg, "cannot open"));
    assert_null(gp_scenario_load("/nonexistent/gp.yaml", NULL));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_scenario_invalid_fixtures),
        cmocka_unit_test(test_scenario_outcome),
        cmocka_unit_test(test_scenario_shipped_load),
        cmocka_unit_test(test_scenario_valid_fixtures),
        cmocka_unit_test(test_scenario_golden_path_model),
        cmocka_unit_test(test_scenario_defaults),
        cmocka_unit_test(test_scenario_send_typing),
        cmocka_unit_test(test_scenario_env_resolution),
        cmocka_unit_test(test_scenario_ids_and_captures),
        cmocka_unit_test(test_scenario_expect_predicates),
        cmocka_unit_test(test_scenario_protocol),
        cmocka_unit_test(test_scenario_claims_merge),
        cmocka_unit_test(test_scenario_missing_file),
    };

    return cmocka_run_group_tests(tests, env_setup, NULL);
}
