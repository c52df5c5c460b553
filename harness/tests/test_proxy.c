/* test_proxy.c - choosing a proxy as curl does: which variable for which scheme, no_proxy
 * names, suffixes, addresses and CIDR ranges, and proxy URLs good and bad. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "proxy.h"

static void clear_env(void)
{
    static const char *const names[] = {"http_proxy", "HTTP_PROXY",  "https_proxy", "HTTPS_PROXY",
                                        "all_proxy",  "ALL_PROXY",   "no_proxy",    "NO_PROXY"};

    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        unsetenv(names[i]);
}

static int pick(const char *configured, int tls, const char *host, gp_proxy *p)
{
    char *why = NULL;
    int rc = gp_proxy_for(configured, tls, host, p, &why);

    if (rc < 0) {
        assert_non_null(why);
        free(why);
    } else {
        assert_null(why);
    }
    return rc;
}

static void test_no_proxy_matching(void **state)
{
    (void)state;
    assert_true(gp_no_proxy_match("*", "anything.example"));
    assert_true(gp_no_proxy_match("example.com", "example.com"));
    assert_true(gp_no_proxy_match("example.com", "api.example.com"));
    assert_true(gp_no_proxy_match(".example.com", "api.example.com"));
    assert_true(gp_no_proxy_match("EXAMPLE.com", "Api.Example.COM."));
    assert_false(gp_no_proxy_match("example.com", "badexample.com"));
    assert_false(gp_no_proxy_match("api.example.com", "example.com"));
    assert_true(gp_no_proxy_match("localhost, 127.0.0.1 ,internal", "127.0.0.1"));
    assert_true(gp_no_proxy_match("foo,internal", "svc.internal"));
    assert_false(gp_no_proxy_match("127.0.0.1", "127.0.0.2"));
    assert_true(gp_no_proxy_match("10.0.0.0/8", "10.20.30.40"));
    assert_false(gp_no_proxy_match("10.0.0.0/8", "11.0.0.1"));
    assert_true(gp_no_proxy_match("127.0.0.0/30", "127.0.0.3"));
    assert_false(gp_no_proxy_match("127.0.0.0/30", "127.0.0.4"));
    assert_true(gp_no_proxy_match("::1", "::1"));
    assert_true(gp_no_proxy_match("[::1]", "::1"));
    assert_true(gp_no_proxy_match("fd00::/8", "fd12::5"));
    assert_false(gp_no_proxy_match("fd00::/8", "fe80::1"));
    assert_false(gp_no_proxy_match("10.0.0.0/8", "::1"));
    assert_false(gp_no_proxy_match("10.0.0.0/99", "10.0.0.1"));
    assert_false(gp_no_proxy_match("", "example.com"));
    assert_false(gp_no_proxy_match(" , ,", "example.com"));
    assert_false(gp_no_proxy_match(NULL, "example.com"));
}

static void test_parse_urls(void **state)
{
    gp_proxy p;
    char *why = NULL;

    (void)state;
    assert_int_equal(gp_proxy_parse("http://proxy.corp:3128", "https_proxy", &p, &why), 0);
    assert_string_equal(p.host, "proxy.corp");
    assert_int_equal(p.port, 3128);
    assert_null(p.userinfo);
    assert_string_equal(p.display, "http://proxy.corp:3128 (from https_proxy)");
    gp_proxy_cleanup(&p);

    assert_int_equal(gp_proxy_parse("proxy.corp", "http_proxy", &p, &why), 0);
    assert_int_equal(p.port, 1080);
    gp_proxy_cleanup(&p);

    assert_int_equal(gp_proxy_parse("http://me:p@ss@[::1]:8080/", "target.proxy", &p, &why), 0);
    assert_string_equal(p.host, "::1");
    assert_int_equal(p.port, 8080);
    assert_string_equal(p.userinfo, "me:p@ss");
    assert_string_equal(p.display, "http://[::1]:8080 (from target.proxy)");
    assert_null(strstr(p.display, "ss"));
    gp_proxy_cleanup(&p);

    static const char *const bad[] = {"https://proxy:443", "socks5://proxy:1080", "http://:80",
                                      "http://proxy:0",    "http://proxy:70000",  "http://[::1",
                                      "http://proxy:12x",  "http://user:secret@"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(gp_proxy_parse(bad[i], "http_proxy", &p, &why), -1);
        assert_non_null(why);
        assert_non_null(strstr(why, "http_proxy"));
        assert_null(strstr(why, "secret")); /* a password is never echoed */
        free(why);
        why = NULL;
    }
}

static void test_env_precedence(void **state)
{
    gp_proxy p;

    (void)state;
    clear_env();
    assert_int_equal(pick(NULL, 1, "example.com", &p), 0);

    setenv("HTTP_PROXY", "http://upper:1", 1); /* ignored, as curl ignores it */
    assert_int_equal(pick(NULL, 0, "example.com", &p), 0);
    setenv("http_proxy", "http://plain:2", 1);
    setenv("HTTPS_PROXY", "http://secure-upper:3", 1);
    assert_int_equal(pick(NULL, 0, "example.com", &p), 1);
    assert_string_equal(p.host, "plain");
    gp_proxy_cleanup(&p);
    assert_int_equal(pick(NULL, 1, "example.com", &p), 1);
    assert_string_equal(p.host, "secure-upper");
    gp_proxy_cleanup(&p);
    setenv("https_proxy", "http://secure:4", 1);
    assert_int_equal(pick(NULL, 1, "example.com", &p), 1);
    assert_string_equal(p.host, "secure");
    assert_non_null(strstr(p.display, "(from https_proxy)"));
    gp_proxy_cleanup(&p);

    /* all_proxy is the fallback for either scheme */
    clear_env();
    setenv("ALL_PROXY", "http://every:5", 1);
    assert_int_equal(pick(NULL, 1, "example.com", &p), 1);
    assert_string_equal(p.host, "every");
    gp_proxy_cleanup(&p);

    /* no_proxy bypasses the environment's proxy and the scenario's */
    setenv("NO_PROXY", "example.com", 1);
    assert_int_equal(pick(NULL, 1, "api.example.com", &p), 0);
    assert_int_equal(pick("http://scenario:6", 1, "api.example.com", &p), 0);
    assert_int_equal(pick("http://scenario:6", 1, "other.org", &p), 1);
    assert_string_equal(p.host, "scenario");
    assert_non_null(strstr(p.display, "(from target.proxy)"));
    gp_proxy_cleanup(&p);

    /* "none" in the scenario means direct, whatever the environment says */
    assert_int_equal(pick("none", 1, "other.org", &p), 0);

    /* an unusable environment value is an error, not a silent direct connection */
    clear_env();
    setenv("https_proxy", "socks5://x:1", 1);
    assert_int_equal(pick(NULL, 1, "example.com", &p), -1);
    clear_env();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_no_proxy_matching),
        cmocka_unit_test(test_parse_urls),
        cmocka_unit_test(test_env_precedence),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
