/* test_template.c - {{...}} expansion: built-ins, captured variables, fresh uuids per
 * occurrence and per user, unknown variables, JSON templates, and the variable walker. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "template.h"

static void test_template_builtins(void **state)
{
    gp_vars v = {"gp-user-3", 3, "n0nce", NULL, NULL};
    gp_err err = {0};
    char *s;

    (void)state;
    s = gp_template_expand("{{user.id}}/{{ user.index }}/{{nonce}}-x", &v, &err);
    assert_non_null(s);
    assert_string_equal(s, "gp-user-3/3/n0nce-x");
    free(s);
    s = gp_template_expand("no variables, {single} braces and }} stray", &v, &err);
    assert_string_equal(s, "no variables, {single} braces and }} stray");
    free(s);
    s = gp_template_expand("unterminated {{nonce", &v, &err);
    assert_string_equal(s, "unterminated {{nonce");
    free(s);
    assert_true(gp_template_is_builtin("user.id"));
    assert_true(gp_template_is_builtin("uuid"));
    assert_false(gp_template_is_builtin("thread"));
}

static void test_template_captured(void **state)
{
    json_t *cap = json_pack("{s:s, s:i}", "thread", "thread-9", "n", 4);
    gp_vars v = {"u", 0, "n", cap, NULL};
    gp_err err = {0};
    char *s;

    (void)state;
    s = gp_template_expand("on {{thread}} #{{n}}", &v, &err);
    assert_string_equal(s, "on thread-9 #4");
    free(s);
    assert_null(gp_template_expand("{{missing}}", &v, &err));
    assert_int_equal(err.code, GP_EXIT_USAGE);
    assert_non_null(strstr(err.msg, "unknown variable 'missing'"));
    json_decref(cap);
}

static int is_uuid4(const char *s)
{
    size_t i;

    if (strlen(s) != 36 || s[14] != '4' || !strchr("89ab", s[19]))
        return 0;
    for (i = 0; i < 36; i++)
        if ((i == 8 || i == 13 || i == 18 || i == 23) ? s[i] != '-'
                                                      : !strchr("0123456789abcdef", s[i]))
            return 0;
    return 1;
}

/* Every occurrence of {{uuid}} is a new v4 uuid, for every user. */
static void test_template_uuid_unique(void **state)
{
    enum { USERS = 50, PER = 20 };
    static char seen[USERS * PER][37];
    size_t n = 0, i, j, u;

    (void)state;
    for (u = 0; u < USERS; u++) {
        uint64_t st = (uint64_t)u << 32;
        gp_vars v = {"u", u, "n", NULL, &st};

        for (i = 0; i < PER / 2; i++) {
            char *s = gp_template_expand("{{uuid}} {{uuid}}", &v, NULL);

            assert_non_null(s);
            assert_int_equal(strlen(s), 73);
            memcpy(seen[n], s, 36);
            seen[n++][36] = '\0';
            memcpy(seen[n], s + 37, 36);
            seen[n++][36] = '\0';
            free(s);
        }
        assert_int_equal(st, ((uint64_t)u << 32) + PER);
    }
    for (i = 0; i < n; i++) {
        assert_true(is_uuid4(seen[i]));
        for (j = i + 1; j < n; j++)
            assert_string_not_equal(seen[i], seen[j]);
    }
}

static void test_template_json(void **state)
{
    json_t *cap = json_pack("{s:s}", "thread", "t-1");
    gp_vars v = {"alice", 1, "nn", cap, NULL};
    json_t *tmpl =
        json_pack("{s:s, s:{s:s, s:[s, i, b, n]}, s:f}", "type", "user_message", "payload",
                  "thread_id", "{{thread}}", "list", "{{user.id}}", 5, 1, "x", 1.5);
    json_t *bad = json_pack("{s:[s]}", "a", "{{nope}}");
    gp_err err = {0};
    json_t *out;

    (void)state;
    out = gp_template_expand_json(tmpl, &v, &err);
    assert_non_null(out);
    assert_string_equal(json_string_value(json_object_get(out, "type")), "user_message");
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(out, "payload"), "thread_id")), "t-1");
    assert_string_equal(json_string_value(json_array_get(
                            json_object_get(json_object_get(out, "payload"), "list"), 0)),
                        "alice");
    assert_int_equal(json_integer_value(json_array_get(
                         json_object_get(json_object_get(out, "payload"), "list"), 1)),
                     5);
    assert_true(json_is_real(json_object_get(out, "x")));
    /* The template is untouched. */
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(tmpl, "payload"), "thread_id")),
        "{{thread}}");
    json_decref(out);
    assert_null(gp_template_expand_json(bad, &v, &err));
    assert_non_null(strstr(err.msg, "nope"));
    json_decref(bad);
    json_decref(tmpl);
    json_decref(cap);
}

struct seen {
    char names[8][32];
    size_t offsets[8];
    size_t n;
};

/* gp_template_dump writes json_dumps(gp_template_expand_json(t), JSON_COMPACT) byte for byte,
 * or declines (0) and the caller asks jansson. */
static void test_template_dump_matches_jansson(void **state)
{
    static const char *const tmpls[] = {
        "{\"type\":\"user_message\",\"payload\":{\"content\":\"Analyze ({{nonce}})\","
        "\"thread_id\":\"thread-{{user.id}}-{{user.index}}\"}}",
        "{}",
        "[]",
        "\"\"",
        "\"plain\"",
        "[\"a\",[],{},[\"b\",{\"c\":\"d\"}]]",
        "{\"q\":\"\\\" \\\\ / \\b \\f \\n \\r \\t \\u0001 \\u001f \\u007f {{user.id}}\"}",
        "{\"k\\\"ey\":\"v\",\"k\\nx\":\"{{captured}}\",\"e\":\"\"}",
        /* declined: left to jansson */
        "{\"n\":1}",
        "{\"r\":1.5}",
        "[true]",
        "[null]",
        "{\"u\":\"caf\\u00e9\"}",
        "{\"{{user.id}}\":\"v\"}",
        "{\"x\":\"{{missing}}\"}",
    };
    static const int want[] = {1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0};
    json_t *cap = json_pack("{s:s}", "captured", "q\"uo\\te\x01\x1f/");
    gp_vars v = {"gp-user-\"7\"\t", 7, "0123abcd", cap, NULL};
    size_t i;

    (void)state;
    for (i = 0; i < sizeof tmpls / sizeof tmpls[0]; i++) {
        json_t *t = json_loads(tmpls[i], JSON_DECODE_ANY, NULL);
        char *text = NULL, *mark = NULL;
        int rc;

        assert_non_null(t);
        rc = gp_template_dump(t, &v, NULL, &mark, &text);
        assert_int_equal(rc, want[i]);
        if (rc) {
            gp_err err = {0};
            json_t *e = gp_template_expand_json(t, &v, &err);
            char *ref;

            assert_non_null(e);
            ref = json_dumps(e, JSON_COMPACT | JSON_ENCODE_ANY);
            assert_string_equal(text, ref);
            free(ref);
            json_decref(e);
        } else {
            assert_null(text);
        }
        assert_null(mark);
        free(text);
        json_decref(t);
    }
    /* The marked node's expanded value comes back. */
    {
        json_t *t = json_loads(tmpls[0], 0, NULL);
        json_t *node = json_object_get(json_object_get(t, "payload"), "thread_id");
        char *text = NULL, *mark = NULL;

        assert_int_equal(gp_template_dump(t, &v, node, &mark, &text), 1);
        assert_string_equal(mark, "thread-gp-user-\"7\"\t-7");
        free(text);
        free(mark);
        json_decref(t);
    }
    json_decref(cap);
}

static void collect(const char *name, size_t len, size_t offset, void *ud)
{
    struct seen *s = ud;

    snprintf(s->names[s->n], sizeof s->names[0], "%.*s", (int)len, name);
    s->offsets[s->n++] = offset;
}

static void test_template_each_var(void **state)
{
    struct seen s = {0};

    (void)state;
    gp_template_each_var("a {{x}} b {{ user.id }}{{uuid}} {{open", collect, &s);
    assert_int_equal(s.n, 3);
    assert_string_equal(s.names[0], "x");
    assert_int_equal(s.offsets[0], 2);
    assert_string_equal(s.names[1], "user.id");
    assert_int_equal(s.offsets[1], 10);
    assert_string_equal(s.names[2], "uuid");
    gp_template_each_var(NULL, collect, &s);
    assert_int_equal(s.n, 3);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_template_builtins),
        cmocka_unit_test(test_template_captured),
        cmocka_unit_test(test_template_uuid_unique),
        cmocka_unit_test(test_template_json),
        cmocka_unit_test(test_template_each_var),
        cmocka_unit_test(test_template_dump_matches_jansson),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
