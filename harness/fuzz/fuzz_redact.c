/* fuzz_redact.c - what a frame's text goes through before anyone sees it: redaction by value
 * (secrets.c: a few known values, and tokens signed by the run's key), then by pattern
 * (gp_redact) and UTF-8 cleaning. Checks that no known value survives. */
#define _GNU_SOURCE /* memmem */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "jwt.h"
#include "redact.h"
#include "secrets.h"

static const char *const values[] = {"tok-AAAA-1234567", "0123456789abcdef", "456789ab",
                                     "ticket-0000000001", "ticket-0000000002"};

static gp_secrets *secrets(void)
{
    static gp_secrets *s;
    static gp_jwt_key *k;
    size_t i;

    if (!s) {
        s = gp_secrets_new();
        for (i = 0; i < sizeof values / sizeof values[0]; i++)
            gp_secrets_add(s, values[i], strlen(values[i]));
        k = gp_jwt_key_new("fuzz-secret-0123", 16, NULL);
        GP_FUZZ_CHECK(k != NULL);
        gp_secrets_set_jwt_key(s, k);
    }
    return s;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text = (const char *)data;
    size_t len = size, i;
    char *red = gp_secrets_redact(secrets(), text, size, &len), *pat, *clean;

    if (red) {
        GP_FUZZ_CHECK(len == strlen(red) || memchr(text, '\0', size));
        text = red;
    }
    for (i = 0; i < sizeof values / sizeof values[0]; i++)
        GP_FUZZ_CHECK(!memmem(text, len, values[i], strlen(values[i])));
    pat = gp_redact(text, len);
    clean = gp_utf8_clean(pat, strlen(pat), 4096, NULL);
    free(clean);
    free(pat);
    free(red);
    return 0;
}
