/* fuzz_template.c - the {{...}} expander over any text: as a string, variable by variable,
 * and (when the bytes are JSON) as a JSON template, whose direct dump (gp_template_dump) must
 * be jansson's dump of the expanded tree. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "gp_common.h"
#include "template.h"

static void on_var(const char *name, size_t len, size_t offset, void *ud)
{
    size_t size = *(size_t *)ud;

    GP_FUZZ_CHECK(name && offset < size && len <= size);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = gp_strndup((const char *)data, size); /* a template is a C string */
    json_t *captured = json_pack("{ss ss}", "run", "r-1", "captured_run", "r-2");
    uint64_t uuid = 7;
    gp_vars v = {"gp-user-1", 3, "0123456789abcdef", captured, &uuid};
    size_t tlen = strlen(text);
    char *out;
    json_t *tmpl, *exp;

    out = gp_template_expand(text, &v, NULL);
    free(out);
    gp_template_each_var(text, on_var, &tlen);
    tmpl = json_loadb((const char *)data, size, JSON_DECODE_ANY, NULL);
    if (tmpl) {
        char *dump = NULL;
        /* gp_template_dump's promise: json_dumps's compact text of the expanded tree, or 0.
         * {{uuid}} is fresh per expansion, so such a template cannot be compared. */
        int rc = gp_template_dump(tmpl, &v, NULL, NULL, &dump);

        exp = gp_template_expand_json(tmpl, &v, NULL);
        if (rc == 1 && !strstr(text, "uuid")) {
            char *ref = exp ? json_dumps(exp, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;

            GP_FUZZ_CHECK(ref && strcmp(ref, dump) == 0);
            free(ref);
        }
        free(dump);
        json_decref(exp);
        json_decref(tmpl);
    }
    json_decref(captured);
    free(text);
    return 0;
}
