/* fuzz_transcript.c - what `goldenpath judge` does with a transcripts file: load it (with the
 * harness's health) and judge it against the golden-path scenario. The loader reads a path,
 * so each input goes through a private temporary file. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "fuzz.h"
#include "judge.h"
#include "scenario.h"
#include "transcript.h"

#ifndef GP_SOURCE_DIR
#error GP_SOURCE_DIR must name the source tree
#endif

static const gp_scenario *scenario(void)
{
    static gp_scenario *s;

    if (!s) {
        gp_err err = {0};

        s = gp_scenario_load_flags(GP_SOURCE_DIR "/scenarios/golden_path.yaml", GP_LOAD_OFFLINE,
                                   &err);
        if (!s) {
            fprintf(stderr, "fuzz_transcript: %s\n", err.msg);
            abort();
        }
    }
    return s;
}

static const char *temp_path(void)
{
    static char path[64];

    if (!path[0]) {
        int fd;

        snprintf(path, sizeof path, "/tmp/gp-fuzz-transcript-XXXXXX");
        fd = mkstemp(path);
        if (fd < 0) {
            perror("fuzz_transcript: mkstemp");
            abort();
        }
        close(fd);
    }
    return path;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = temp_path();
    FILE *f = fopen(path, "wb");
    gp_transcript **ts = NULL;
    size_t n = 0, i;
    gp_health h;
    gp_run_origin o;
    gp_err err = {0};

    if (!f || (size && fwrite(data, 1, size, f) != size) || fclose(f) != 0) {
        perror("fuzz_transcript: temporary file");
        abort();
    }
    if (gp_transcripts_load_origin(path, &ts, &n, &h, &o, &err) == 0) {
        gp_results *r = gp_judge_run_health(scenario(), ts, n, &h);

        GP_FUZZ_CHECK(r != NULL);
        /* A kept host is one printable word a report can name. */
        for (i = 0; o.host[i]; i++)
            GP_FUZZ_CHECK(o.host[i] > ' ' && o.host[i] <= '~');
        gp_results_free(r);
        for (i = 0; i < n; i++)
            gp_transcript_free(ts[i]);
        free(ts);
        gp_health_cleanup(&h);
    } else {
        GP_FUZZ_CHECK(err.msg[0]);
    }
    unlink(path); /* recreated by the next fopen; gone when the process ends */
    return 0;
}
