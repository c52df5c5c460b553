/* fuzz_report.c - reading a JSON report back, as compare and merge do: the reader over any
 * bytes, then, for a report it accepts, `goldenpath compare R R` and `goldenpath merge R R`
 * over it (both read the file again and rebuild results from its counts and histograms).
 * Their files live in a private temporary directory, in /dev/shm when there is one: merge's
 * atomic write syncs to disk. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "compare_cli.h"
#include "fuzz.h"
#include "report_read.h"

static char dir[64];

static void remove_workdir(void)
{
    rmdir(dir);
}

static const char *workdir(void)
{
    if (!dir[0]) {
        snprintf(dir, sizeof dir, "%s/gp-fuzz-report-XXXXXX",
                 access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp");
        if (!mkdtemp(dir)) {
            perror("fuzz_report: mkdtemp");
            abort();
        }
        atexit(remove_workdir);
        /* compare's table and merge's line: not wanted, and not worth the time. */
        if (!freopen("/dev/null", "w", stdout))
            abort();
    }
    return dir;
}

static void run_tools(const uint8_t *data, size_t size)
{
    char in[96], out[96];
    char *cmp[] = {"compare", in, in, NULL};
    char *mrg[] = {"merge", in, in, "-o", out, NULL};
    FILE *f;

    snprintf(in, sizeof in, "%s/in.json", workdir());
    snprintf(out, sizeof out, "%s/out.json", workdir());
    f = fopen(in, "wb");
    if (!f || (size && fwrite(data, 1, size, f) != size) || fclose(f) != 0) {
        perror("fuzz_report: temporary file");
        abort();
    }
    gp_compare_main(3, cmp);
    gp_merge_main(5, mrg);
    unlink(in);
    unlink(out);
}

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
    if (d)
        run_tools(data, size);
    return 0;
}
