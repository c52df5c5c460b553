/* test_url.c - the one URL parser: ws/wss and http/https, host (IPv6 too), default and given
 * ports, path and query, and each error it reports, table-driven. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "url.h"

static void test_url_parse_table(void **state)
{
    static const struct {
        const char *url;
        bool http;
        gp_url_error want;
        bool tls;
        const char *host;
        int port;
        const char *path;
    } cases[] = {
        {"ws://127.0.0.1:8765/ws", false, GP_URL_OK, false, "127.0.0.1", 8765, "/ws"},
        {"wss://example.test/a/b?x=1", false, GP_URL_OK, true, "example.test", 443, "/a/b?x=1"},
        {"ws://h", false, GP_URL_OK, false, "h", 80, "/"},
        {"ws://h?token=1", false, GP_URL_OK, false, "h", 80, "/?token=1"},
        {"ws://[::1]:9/ws", false, GP_URL_OK, false, "::1", 9, "/ws"},
        {"https://auth.test:8443/api", true, GP_URL_OK, true, "auth.test", 8443, "/api"},
        {"http://auth.test", true, GP_URL_OK, false, "auth.test", 80, "/"},
        {"http://h/", false, GP_URL_BAD_SCHEME, false, NULL, 0, NULL},
        {"ws://h/", true, GP_URL_BAD_SCHEME, false, NULL, 0, NULL},
        {"h:80/ws", false, GP_URL_NO_SCHEME, false, NULL, 0, NULL},
        {"ws://h/a b", false, GP_URL_BAD_CHARS, false, NULL, 0, NULL},
        {"ws://h/#frag", false, GP_URL_BAD_CHARS, false, NULL, 0, NULL},
        {"ws://u:p@h/ws", false, GP_URL_USERINFO, false, NULL, 0, NULL},
        {"ws://[::g]/ws", false, GP_URL_BAD_IPV6, false, NULL, 0, NULL},
        {"ws://[]/ws", false, GP_URL_BAD_IPV6, false, NULL, 0, NULL},
        {"ws://h!/ws", false, GP_URL_BAD_HOST_CHAR, false, NULL, 0, NULL},
        {"ws:///ws", false, GP_URL_NO_HOST, false, NULL, 0, NULL},
        {"ws://h:0/ws", false, GP_URL_BAD_PORT, false, NULL, 0, NULL},
        {"ws://h:65536/ws", false, GP_URL_BAD_PORT, false, NULL, 0, NULL},
        {"ws://h:/ws", false, GP_URL_BAD_PORT, false, NULL, 0, NULL},
        {"ws://[::1]x/ws", false, GP_URL_MALFORMED, false, NULL, 0, NULL},
    };

    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        gp_url u;
        gp_url_error e = gp_url_parse(cases[i].url, cases[i].http, &u);

        if (e != cases[i].want)
            fail_msg("%s: got error %d, want %d", cases[i].url, (int)e, (int)cases[i].want);
        if (e == GP_URL_OK) {
            assert_int_equal(u.tls, cases[i].tls);
            assert_string_equal(u.host, cases[i].host);
            assert_int_equal(u.port, cases[i].port);
            assert_string_equal(u.path, cases[i].path);
        } else {
            assert_null(u.path);
        }
        gp_url_cleanup(&u);
    }
    gp_url_cleanup(NULL);
}

static void test_url_parse_error_details(void **state)
{
    gp_url u;

    (void)state;
    assert_int_equal(gp_url_parse("ftp://h/", false, &u), GP_URL_BAD_SCHEME);
    assert_int_equal(u.scheme_len, 3);
    assert_int_equal(gp_url_parse("ws://a*b/", false, &u), GP_URL_BAD_HOST_CHAR);
    assert_int_equal(u.bad_char, '*');
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_url_parse_table),
        cmocka_unit_test(test_url_parse_error_details),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
