/* test_event.c - frame parsing under the reference profile: unwrapping, aliases, field lookup
 * order, ISO 8601 timestamps and the errors for frames that are not typed JSON objects. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "event.h"

struct parse_case {
    const char *name;
    const char *text;
    gp_event_type type;
    const char *type_name;
    const char *run_id; /* NULL: expected absent */
    const char *thread_id;
    const char *user_id;
    bool has_ts;
    double ts;
};

static const struct parse_case parse_cases[] = {
    {"flat",
     "{\"type\":\"agent_started\",\"run_id\":\"r1\",\"thread_id\":\"t1\",\"user_id\":\"u1\","
     "\"timestamp\":1758204000.5,\"agent_name\":\"a\"}",
     GP_EV_AGENT_STARTED, "agent_started", "r1", "t1", "u1", true, 1758204000.5},
    {"payload-nested",
     "{\"type\":\"tool_executing\",\"payload\":{\"run_id\":\"r2\",\"thread_id\":\"t2\","
     "\"user_id\":\"u2\",\"timestamp\":\"2025-09-18T14:00:00.250Z\"}}",
     GP_EV_TOOL_EXECUTING, "tool_executing", "r2", "t2", "u2", true, 1758204000.25},
    {"data-nested",
     "{\"type\":\"agent_completed\",\"data\":{\"run_id\":\"r3\",\"user_id\":\"u3\"}}",
     GP_EV_AGENT_COMPLETED, "agent_completed", "r3", NULL, "u3", false, 0},
    {"event key duplicates type",
     "{\"type\":\"agent_started\",\"event\":\"agent_started\",\"run_id\":\"r4\"}",
     GP_EV_AGENT_STARTED, "agent_started", "r4", NULL, NULL, false, 0},
    {"system_message wrapper",
     "{\"type\":\"system_message\",\"event\":\"tool_completed\",\"payload\":{\"run_id\":\"r5\","
     "\"thread_id\":\"t5\",\"user_id\":\"u5\"}}",
     GP_EV_TOOL_COMPLETED, "tool_completed", "r5", "t5", "u5", false, 0},
    {"wrapper nesting a data container",
     "{\"type\":\"system_message\",\"event\":\"agent_thinking\",\"payload\":{\"data\":"
     "{\"run_id\":\"r6\"}}}",
     GP_EV_AGENT_THINKING, "agent_thinking", "r6", NULL, NULL, false, 0},
    {"wrapped ready frame",
     "{\"type\":\"system_message\",\"event\":\"connection_established\",\"data\":"
     "{\"user_id\":\"u7\"}}",
     GP_EV_READY, "connection_established", NULL, NULL, "u7", false, 0},
    {"wrapper without event is noise", "{\"type\":\"system_message\",\"payload\":{}}", GP_EV_NOISE,
     "system_message", NULL, NULL, NULL, false, 0},
    {"reasoning alias", "{\"type\":\"reasoning\",\"run_id\":\"r8\"}", GP_EV_AGENT_THINKING,
     "agent_thinking", "r8", NULL, NULL, false, 0},
    {"connection_ready", "{\"type\":\"connection_ready\"}", GP_EV_READY, "connection_established",
     NULL, NULL, NULL, false, 0},
    {"heartbeat", "{\"type\":\"heartbeat\",\"timestamp\":12}", GP_EV_NOISE, "heartbeat", NULL, NULL,
     NULL, true, 12},
    {"handshake_response", "{\"type\":\"handshake_response\",\"thread_id\":\"t9\"}", GP_EV_NOISE,
     "handshake_response", NULL, "t9", NULL, false, 0},
    {"error_message", "{\"type\":\"error_message\",\"error_code\":\"AUTH_FAILED\"}",
     GP_EV_ERROR_MESSAGE, "error_message", NULL, NULL, NULL, false, 0},
    {"agent_error", "{\"type\":\"agent_error\",\"run_id\":\"r10\"}", GP_EV_AGENT_ERROR,
     "agent_error", "r10", NULL, NULL, false, 0},
    {"agent_death", "{\"type\":\"agent_death\"}", GP_EV_AGENT_DEATH, "agent_death", NULL, NULL,
     NULL, false, 0},
    {"unknown type", "{\"type\":\"custom_thing\"}", GP_EV_OTHER, "custom_thing", NULL, NULL, NULL,
     false, 0},
    {"non-string ids ignored", "{\"type\":\"agent_started\",\"run_id\":17,\"user_id\":null}",
     GP_EV_AGENT_STARTED, "agent_started", NULL, NULL, NULL, false, 0},
    {"ISO timestamp with offset", "{\"type\":\"ack\",\"timestamp\":\"2025-09-18T16:00:00+02:00\"}",
     GP_EV_NOISE, "ack", NULL, NULL, NULL, true, 1758204000.0},
};

static void test_event_parse_table(void **state)
{
    gp_profile p;
    size_t i;

    (void)state;
    gp_profile_init_default(&p);
    for (i = 0; i < sizeof parse_cases / sizeof parse_cases[0]; i++) {
        const struct parse_case *c = &parse_cases[i];
        gp_event ev;
        gp_err err = {0};

        print_message("case: %s\n", c->name);
        assert_int_equal(gp_event_parse(c->text, strlen(c->text), &p, &ev, &err), 0);
        assert_int_equal(ev.type, c->type);
        assert_string_equal(ev.type_name, c->type_name);
        if (c->run_id)
            assert_string_equal(ev.run_id, c->run_id);
        else
            assert_null(ev.run_id);
        if (c->thread_id)
            assert_string_equal(ev.thread_id, c->thread_id);
        else
            assert_null(ev.thread_id);
        if (c->user_id)
            assert_string_equal(ev.user_id, c->user_id);
        else
            assert_null(ev.user_id);
        assert_int_equal(ev.has_timestamp, c->has_ts);
        if (c->has_ts)
            assert_true(fabs(ev.timestamp - c->ts) < 1e-6);
        json_decref(ev.root);
    }
    gp_profile_cleanup(&p);
}

struct error_case {
    const char *text;
    const char *message_prefix;
    int line, col;
};

static const struct error_case error_cases[] = {
    {"{\"type\": oops}", "invalid JSON at 1:", 1, 0},
    {"", "invalid JSON at ", 0, 0},
    {"[1,2]", "frame is not a JSON object", 0, 0},
    {"\"agent_started\"", "frame is not a JSON object", 0, 0},
    {"{\"run_id\":\"r\"}", "frame has no \"type\"", 0, 0},
    {"{\"type\":5}", "frame's \"type\" is not a non-empty string", 0, 0},
    {"{\"type\":\"\"}", "frame's \"type\" is not a non-empty string", 0, 0},
};

static void test_event_parse_errors(void **state)
{
    gp_profile p;
    size_t i;

    (void)state;
    gp_profile_init_default(&p);
    for (i = 0; i < sizeof error_cases / sizeof error_cases[0]; i++) {
        const struct error_case *c = &error_cases[i];
        gp_event ev;
        gp_err err = {0};

        print_message("case: %s\n", c->text);
        assert_int_equal(gp_event_parse(c->text, strlen(c->text), &p, &ev, &err), -1);
        assert_null(ev.root);
        assert_true(gp_err_isset(&err));
        assert_memory_equal(err.msg, c->message_prefix, strlen(c->message_prefix));
        if (c->line)
            assert_int_equal(err.line, c->line);
    }
    {
        gp_event ev;
        gp_err err = {0};

        assert_int_equal(gp_event_parse(NULL, 0, &p, &ev, &err), -1);
        /* A NULL error struct is allowed. */
        assert_int_equal(gp_event_parse("nope", 4, &p, &ev, NULL), -1);
    }
    gp_profile_cleanup(&p);
}

static void test_event_field_lookup_order(void **state)
{
    static const char text[] = "{\"type\":\"tool_executing\",\"tool_name\":\"top\","
                               "\"payload\":{\"tool_name\":\"payload\",\"a\":1},"
                               "\"data\":{\"tool_name\":\"data\",\"a\":2,\"b\":3},"
                               "\"c\":{\"not\":\"a container\"}}";
    gp_profile p;
    gp_event ev;

    (void)state;
    gp_profile_init_default(&p);
    assert_int_equal(gp_event_parse(text, strlen(text), &p, &ev, NULL), 0);
    assert_string_equal(json_string_value(gp_event_field(&ev, &p, "tool_name")), "top");
    assert_int_equal(json_integer_value(gp_event_field(&ev, &p, "a")), 1);
    assert_int_equal(json_integer_value(gp_event_field(&ev, &p, "b")), 3);
    assert_null(gp_event_field(&ev, &p, "not"));
    assert_null(gp_event_field(&ev, &p, "missing"));
    json_decref(ev.root);

    /* A container that is not an object is skipped, not an error. */
    {
        static const char t2[] = "{\"type\":\"x\",\"payload\":\"str\",\"data\":{\"k\":\"v\"}}";

        assert_int_equal(gp_event_parse(t2, strlen(t2), &p, &ev, NULL), 0);
        assert_string_equal(json_string_value(gp_event_field(&ev, &p, "k")), "v");
        json_decref(ev.root);
    }
    gp_profile_cleanup(&p);
}

static void test_event_profile_copy_and_custom(void **state)
{
    gp_profile p, q;
    gp_event ev;
    static const char text[] = "{\"kind\":\"thought\",\"body\":{\"rid\":\"r\"}}";

    (void)state;
    gp_profile_init_default(&p);
    assert_int_equal(p.max_frame_bytes, 1024 * 1024);
    assert_int_equal(p.nnoise_types, 6);
    gp_profile_copy(&q, &p);
    gp_profile_cleanup(&p);
    /* The copy is deep: it outlives the original. */
    assert_string_equal(q.type_key, "type");
    assert_string_equal(q.aliases[0].from, "reasoning");

    free(q.type_key);
    q.type_key = strdup("kind");
    free(q.run_id_key);
    q.run_id_key = strdup("rid");
    free(q.containers[0]);
    q.containers[0] = strdup("body");
    free(q.aliases[0].from);
    q.aliases[0].from = strdup("thought");
    assert_int_equal(gp_event_parse(text, strlen(text), &q, &ev, NULL), 0);
    assert_int_equal(ev.type, GP_EV_AGENT_THINKING);
    assert_string_equal(ev.run_id, "r");
    json_decref(ev.root);
    gp_profile_cleanup(&q);
    gp_profile_cleanup(NULL);
}

struct iso_case {
    const char *s;
    int ok;
    double v;
};

static const struct iso_case iso_cases[] = {
    {"2025-09-18T14:00:00Z", 0, 1758204000.0},
    {"2025-09-18T14:00:00.250Z", 0, 1758204000.25},
    {"2025-09-18T14:00:00.123456Z", 0, 1758204000.123456},
    {"2025-09-18T16:00:00+02:00", 0, 1758204000.0},
    {"2025-09-18T09:30:00-04:30", 0, 1758204000.0},
    {"2025-09-18T16:00:00+0200", 0, 1758204000.0},
    {"2025-09-18 14:00:00", 0, 1758204000.0},
    {"2025-09-18T14:00Z", 0, 1758204000.0},
    {"2025-09-18", 0, 1758153600.0},
    {"1970-01-01T00:00:00Z", 0, 0.0},
    {"2024-02-29T00:00:00Z", 0, 1709164800.0},
    {"2025-02-29T00:00:00Z", -1, 0},
    {"2025-13-01T00:00:00Z", -1, 0},
    {"2025-09-18T24:00:00Z", -1, 0},
    {"2025-09-18T14:00:00.Z", -1, 0},
    {"2025-09-18T14:00:00Zjunk", -1, 0},
    {"20250918T140000Z", -1, 0},
    {"yesterday", -1, 0},
    {"", -1, 0},
};

static void test_event_iso8601(void **state)
{
    size_t i;

    (void)state;
    for (i = 0; i < sizeof iso_cases / sizeof iso_cases[0]; i++) {
        double v = -1;

        print_message("case: %s\n", iso_cases[i].s);
        assert_int_equal(gp_iso8601_parse(iso_cases[i].s, &v), iso_cases[i].ok);
        if (iso_cases[i].ok == 0)
            assert_true(fabs(v - iso_cases[i].v) < 1e-6);
    }
    assert_int_equal(gp_iso8601_parse(NULL, NULL), -1);
}

/* The strict reader of --start-at shares gp_iso8601_parse's: what only the lenient one takes
 * is refused here, and the microseconds are exact. */
static void test_event_rfc3339(void **state)
{
    static const struct {
        const char *s;
        int ok;
        int64_t us;
    } cases[] = {
        {"2025-09-18T14:00:00Z", 0, 1758204000000000},
        {"2025-09-18t14:00:00.25z", 0, 1758204000250000},
        {"2025-09-18 14:00:00.1234567Z", 0, 1758204000123456},
        {"2025-09-18T16:00:00+02:00", 0, 1758204000000000},
        {"2025-09-18T09:30:00-04:30", 0, 1758204000000000},
        {"2025-09-18T16:00:00+0200", -1, 0},
        {"2025-09-18T16:00:00+02", -1, 0},
        {"2025-09-18 14:00:00", -1, 0},
        {"2025-09-18T14:00Z", -1, 0},
        {"2025-09-18T14:00:00,5Z", -1, 0},
        {"2025-09-18", -1, 0},
        {"1969-12-31T23:59:59Z", -1, 0},
        {"2025-02-29T00:00:00Z", -1, 0},
        {"2025-09-18T14:00:00+24:00", -1, 0},
        {"", -1, 0},
    };
    size_t i;
    double v;

    (void)state;
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int64_t us = -1;

        print_message("case: %s\n", cases[i].s);
        assert_int_equal(gp_rfc3339_parse(cases[i].s, &us), cases[i].ok);
        if (cases[i].ok == 0)
            assert_int_equal(us, cases[i].us);
    }
    assert_int_equal(gp_rfc3339_parse(NULL, NULL), -1);
    /* the lenient reader still takes what the strict one refuses */
    assert_int_equal(gp_iso8601_parse("2025-09-18T16:00:00+02", &v), 0);
    assert_int_equal(gp_iso8601_parse("1969-12-31T23:59:59Z", &v), 0);
    assert_true(fabs(v - -1.0) < 1e-9);
}

static void test_event_type_names(void **state)
{
    int t;

    (void)state;
    for (t = 0; t < GP_EV__COUNT; t++)
        assert_int_equal(gp_event_type_from_name(gp_event_type_name((gp_event_type)t)), t);
    assert_int_equal(gp_event_type_from_name("reasoning"), -1);
    assert_int_equal(gp_event_type_from_name(NULL), -1);
    assert_string_equal(gp_event_type_name(GP_EV__COUNT), "other");
    assert_int_equal(GP_EV_GOLDEN_MASK, GP_EV_MASK(GP_EV_GOLDEN_COUNT) - 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_event_parse_table),
        cmocka_unit_test(test_event_parse_errors),
        cmocka_unit_test(test_event_field_lookup_order),
        cmocka_unit_test(test_event_profile_copy_and_custom),
        cmocka_unit_test(test_event_iso8601),
        cmocka_unit_test(test_event_rfc3339),
        cmocka_unit_test(test_event_type_names),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
