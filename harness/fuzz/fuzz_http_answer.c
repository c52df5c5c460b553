/* fuzz_http_answer.c - the ticket and test-auth answer parser. Input: one byte whose low bit
 * picks the purpose, two bytes of HTTP status (big-endian), then the body. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "http_answer.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    gp_http_answer a;
    gp_http_purpose purpose;
    int status, rc;

    if (size < 3)
        return 0;
    purpose = data[0] & 1 ? GP_HTTP_E2E : GP_HTTP_TICKET;
    status = data[1] << 8 | data[2];
    rc = gp_http_answer_parse(purpose, status, (const char *)data + 3, size - 3, &a);
    if (rc == 0)
        GP_FUZZ_CHECK(a.value && status >= 200 && status <= 299);
    else
        GP_FUZZ_CHECK(!a.value && a.why[0] && memchr(a.why, '\0', sizeof a.why));
    gp_http_answer_cleanup(&a);
    return 0;
}
