/* test_version.c - gp_version_get: every field is set, the release is GP_VERSION, and each
 * library's run-time version has the shape its library gives it. The values themselves are
 * checked against the installed Debian packages by ci/version-check. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <ctype.h>
#include <string.h>

#include "version.h"

static void test_version_fields_set(void **state)
{
    gp_version_info v;

    (void)state;
    memset(&v, 0, sizeof v);
    gp_version_get(&v);
    assert_string_equal(v.version, GP_VERSION);
    assert_non_null(v.revision);
    assert_true(strlen(v.revision) > 0);
    assert_true(isdigit((unsigned char)v.lws[0]));
    assert_true(isdigit((unsigned char)v.jansson[0]));
    assert_true(isdigit((unsigned char)v.yaml[0]));
    assert_non_null(strstr(v.openssl, "OpenSSL"));
}

static void test_version_stable(void **state)
{
    gp_version_info a, b;

    (void)state;
    gp_version_get(&a);
    gp_version_get(&b);
    assert_ptr_equal(a.revision, b.revision);
    assert_string_equal(a.lws, b.lws);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_version_fields_set),
        cmocka_unit_test(test_version_stable),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
