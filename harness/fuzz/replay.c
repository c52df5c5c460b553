/* replay.c - main() for a fuzz target built without libFuzzer: runs every file named, and
 * every file under every directory named (recursively, in name order), through
 * LLVMFuzzerTestOneInput once. A crash, a sanitizer report or an invariant abort fails the
 * test; an empty corpus is an error too, so a wrong path cannot pass silently. */
#define _DEFAULT_SOURCE
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"
#include "gp_common.h"

#define REPLAY_MAX ((size_t)16 << 20)

static int run_file(const char *path, size_t *count)
{
    FILE *f = fopen(path, "rb");
    gp_buf b;
    char chunk[65536];
    size_t n;

    if (!f) {
        fprintf(stderr, "replay: cannot open %s\n", path);
        return -1;
    }
    gp_buf_init(&b, REPLAY_MAX);
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) {
        if (gp_buf_append(&b, chunk, n) != 0) {
            fprintf(stderr, "replay: %s is larger than %zu bytes\n", path, REPLAY_MAX);
            fclose(f);
            gp_buf_cleanup(&b);
            return -1;
        }
    }
    fclose(f);
    /* A copy of exactly the input's size, so ASan sees a read past its end. */
    {
        uint8_t *in = gp_malloc(b.len ? b.len : 1);

        memcpy(in, b.data ? b.data : "", b.len);
        LLVMFuzzerTestOneInput(in, b.len);
        free(in);
    }
    gp_buf_cleanup(&b);
    (*count)++;
    return 0;
}

static int run_path(const char *path, size_t *count)
{
    struct stat st;
    struct dirent **names = NULL;
    int n, i, rc = 0;

    if (stat(path, &st) != 0) {
        fprintf(stderr, "replay: cannot find %s\n", path);
        return -1;
    }
    if (!S_ISDIR(st.st_mode))
        return run_file(path, count);
    n = scandir(path, &names, NULL, alphasort);
    if (n < 0) {
        fprintf(stderr, "replay: cannot list %s\n", path);
        return -1;
    }
    for (i = 0; i < n; i++) {
        if (names[i]->d_name[0] != '.' && rc == 0) {
            char *sub = gp_asprintf("%s/%s", path, names[i]->d_name);

            rc = run_path(sub, count);
            free(sub);
        }
        free(names[i]);
    }
    free(names);
    return rc;
}

int main(int argc, char **argv)
{
    size_t count = 0;
    int i;

    if (argc < 2) {
        fprintf(stderr, "usage: %s FILE|DIR...\nRuns each input through the fuzz target once.\n",
                argv[0]);
        return 2;
    }
    for (i = 1; i < argc; i++)
        if (run_path(argv[i], &count) != 0)
            return 1;
    if (count == 0) {
        fprintf(stderr, "replay: no inputs found\n");
        return 1;
    }
    printf("replayed %zu inputs\n", count);
    return 0;
}
