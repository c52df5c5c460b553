/* fuzz_report.c - reading a JSON report back, as compare and merge do: any bytes, then
 * whatever JSON the reader is handed. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>

#include "fuzz.h"
#include "report_read.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_t *root = json_loadb((const char *)data, size, 0, NULL);
    gp_report_doc *d;
    gp_err err = {0};

    if (!root)
        return 0;
    d = gp_report_from_json(root, "fuzz.json", &err);
    GP_FUZZ_CHECK(d || err.msg[0]);
    gp_report_doc_free(d);
    json_decref(root);
    return 0;
}
