/* test_infer.c - the scenario inferred from one user's frames: type key, wrapper, containers,
 * ready frame, aliases, noise, what was not seen, and that the result loads. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "infer.h"
#include "scenario.h"

static void add(gp_transcript *t, gp_frame_kind k, const char *s)
{
    gp_transcript_add(t, k, (int64_t)t->nframes * 1000, 0, s, s ? strlen(s) : 0);
}

/* Runs the inference over t and returns the YAML (free()). */
static char *infer_text(gp_transcript *t)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    gp_err err = {0};

    assert_non_null(f);
    assert_int_equal(gp_infer_scenario(f, &t, 1, "test", &err), 0);
    fclose(f);
    return buf;
}

static void test_infer_kind_key_body_container_alias_noise(void **state)
{
    gp_transcript *t = gp_transcript_new(0, "u", "");
    char *y;
    gp_scenario *s;
    gp_err err = {0};

    (void)state;
    add(t, GP_FR_CONNECT, "ws://h/ws?token=REDACTED (browser capture, entry 1)");
    add(t, GP_FR_CONNECTED, NULL);
    add(t, GP_FR_RECV_TEXT, "{\"kind\":\"hello\",\"body\":{\"user_id\":\"u\"}}");
    add(t, GP_FR_SENT, "{\"kind\":\"ask\",\"payload\":{\"text\":\"hi\",\"thread_id\":\"t1\"}}");
    add(t, GP_FR_RECV_TEXT, "{\"kind\":\"agent_started\",\"body\":{\"run_id\":\"r\"},"
                            "\"timestamp\":\"2026-01-01T00:00:00Z\"}");
    add(t, GP_FR_RECV_TEXT, "{\"kind\":\"reasoning\",\"body\":{\"run_id\":\"r\"}}");
    add(t, GP_FR_RECV_TEXT, "{\"kind\":\"keepalive\"}");
    add(t, GP_FR_RECV_TEXT, "{\"kind\":\"agent_completed\",\"body\":{\"run_id\":\"r\"}}");
    y = infer_text(t);
    assert_non_null(strstr(y, "type_key: kind"));
    assert_non_null(strstr(y, "containers: [body]"));
    assert_non_null(strstr(y, "ready: [\"hello\"]"));
    assert_non_null(strstr(y, "\"reasoning\": agent_thinking"));
    assert_non_null(strstr(y, "- \"keepalive\""));
    assert_non_null(strstr(y, "carrier: query"));
    assert_non_null(strstr(y, "url: \"ws://h/ws\""));
    assert_non_null(strstr(y, "tool pair not seen"));
    assert_non_null(strstr(y, "require: [agent_started, agent_thinking, agent_completed]"));
    assert_non_null(strstr(y, "hi ({{nonce}})"));
    assert_non_null(strstr(y, "thread-{{user.id}}-{{uuid}}"));
    assert_non_null(strstr(y, "1 with a string (ISO 8601)"));
    s = gp_scenario_load_mem("inferred.yaml", y, strlen(y), GP_LOAD_OFFLINE, &err);
    if (!s)
        fail_msg("the inferred scenario does not load: %s (line %d)\n%s", err.msg, err.line, y);
    assert_string_equal(s->profile.type_key, "kind");
    gp_scenario_free(s);
    free(y);
    gp_transcript_free(t);
}

static void test_infer_wrapper(void **state)
{
    gp_transcript *t = gp_transcript_new(0, "u", "");
    char *y;

    (void)state;
    add(t, GP_FR_RECV_TEXT, "{\"type\":\"envelope\",\"event\":\"connection_established\"}");
    add(t, GP_FR_SENT, "{\"type\":\"user_message\"}");
    add(t, GP_FR_RECV_TEXT,
        "{\"type\":\"envelope\",\"event\":\"agent_started\",\"payload\":{\"run_id\":\"r\"}}");
    y = infer_text(t);
    assert_non_null(strstr(y, "event_key: event"));
    assert_non_null(strstr(y, "wrappers: [\"envelope\"]"));
    assert_non_null(strstr(y, "containers: [payload]"));
    free(y);
    gp_transcript_free(t);
}

static void test_infer_nothing(void **state)
{
    gp_transcript *t = gp_transcript_new(0, "u", "");
    gp_err err = {0};
    FILE *f = fopen("/dev/null", "w");

    (void)state;
    add(t, GP_FR_RECV_TEXT, "not json");
    assert_int_equal(gp_infer_scenario(f, &t, 1, "test", &err), -1);
    assert_non_null(strstr(err.msg, "nothing to infer from"));
    fclose(f);
    gp_transcript_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_infer_kind_key_body_container_alias_noise),
        cmocka_unit_test(test_infer_wrapper),
        cmocka_unit_test(test_infer_nothing),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
