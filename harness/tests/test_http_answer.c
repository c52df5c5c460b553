/* test_http_answer.c - the ticket and test-auth answers: where the member may sit, and what a
 * refusal or a malformed body records (an echoed credential redacted). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "http_answer.h"

static void test_http_answer_table(void **state)
{
    static const struct {
        gp_http_purpose purpose;
        int status;
        const char *body;
        int rc;
        const char *value, *user_id, *why;
        int code;
    } cases[] = {
        {GP_HTTP_TICKET, 200, "{\"ticket_id\":\"t-1\"}", 0, "t-1", NULL, NULL, 0},
        {GP_HTTP_TICKET, 201, "{\"data\":{\"ticket_id\":\"t-2\"}}", 0, "t-2", NULL, NULL, 0},
        {GP_HTTP_TICKET, 200, "{\"payload\":{\"ticket_id\":\"t-3\"}}", 0, "t-3", NULL, NULL, 0},
        {GP_HTTP_TICKET, 200, "{\"ticket_id\":3}", -1, NULL, NULL,
         "connect failed: the ticket response (HTTP 200) has no ticket_id", 0},
        {GP_HTTP_TICKET, 200, "not json", -1, NULL, NULL,
         "connect failed: the ticket response (HTTP 200) has no ticket_id", 0},
        {GP_HTTP_TICKET, 401, "bad token=abc123\r\nmore", -1, NULL, NULL,
         "upgrade refused: the ticket request got HTTP 401 (bad token=REDACTED)", 401},
        {GP_HTTP_E2E, 200, "{\"access_token\":\"a-1\",\"user\":{\"id\":\"u-9\"}}", 0, "a-1", "u-9",
         NULL, 0},
        {GP_HTTP_E2E, 200, "{\"data\":{\"access_token\":\"a-2\",\"user\":{\"id\":\"\"}}}", 0, "a-2",
         NULL, NULL, 0},
        {GP_HTTP_E2E, 200, "{}", -1, NULL, NULL,
         "connect failed: the test-auth response (HTTP 200) has no access_token", 0},
        {GP_HTTP_E2E, 500, NULL, -1, NULL, NULL,
         "upgrade refused: the test-auth token request got HTTP 500 ()", 500},
    };
    size_t i;

    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        gp_http_answer a;
        int rc = gp_http_answer_parse(cases[i].purpose, cases[i].status, cases[i].body,
                                      cases[i].body ? strlen(cases[i].body) : 0, &a);

        assert_int_equal(rc, cases[i].rc);
        if (cases[i].value)
            assert_string_equal(a.value, cases[i].value);
        else
            assert_null(a.value);
        if (cases[i].user_id)
            assert_string_equal(a.user_id, cases[i].user_id);
        else
            assert_null(a.user_id);
        if (cases[i].why) {
            assert_string_equal(a.why, cases[i].why);
            assert_int_equal(a.code, cases[i].code);
        }
        gp_http_answer_cleanup(&a);
    }
    gp_http_answer_cleanup(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_http_answer_table),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
