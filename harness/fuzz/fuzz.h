/* fuzz.h - the one entry point every fuzz target defines. Built with -fsanitize=fuzzer it is
 * libFuzzer's; built with replay.c it is called once per file of a corpus, so the normal build
 * replays the seeds and every kept regression input as a plain test. */
#ifndef GP_FUZZ_H
#define GP_FUZZ_H

#include <stddef.h>
#include <stdint.h>

/* Runs one input (size bytes at data, not NUL-terminated). Returns 0; a bug aborts. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A target's own invariant failed: says which on stderr and aborts, as a sanitizer would. */
#define GP_FUZZ_CHECK(cond)                                                                        \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "%s:%d: fuzz invariant failed: %s\n", __FILE__, __LINE__, #cond);      \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

#endif
