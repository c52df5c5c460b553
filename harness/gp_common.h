/* gp_common.h - errors, bounded buffers and clocks shared by every goldenpath module.
 * Nothing here touches the network, YAML or JSON; it is safe to include anywhere. */
#ifndef GP_COMMON_H
#define GP_COMMON_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Exit statuses of the goldenpath tool; each means one thing. */
enum {
    GP_EXIT_OK = 0,       /* every check passed */
    GP_EXIT_FAILED = 1,   /* a check failed (including an unreachable target) */
    GP_EXIT_USAGE = 2,    /* usage or scenario error, or reports that cannot be compared */
    GP_EXIT_INTERNAL = 3, /* the harness itself failed */
    /* The harness fell behind: some verdicts are inconclusive and nothing failed. The same
     * status as GP_EXIT_INTERNAL, because the harness, not the server, is in question. */
    GP_EXIT_INCONCLUSIVE = 3
};

#define GP_ERR_MSG_MAX 512
#define GP_ERR_SRC_MAX 512

/* An error with a position. The first error set wins: gp_err_set() on an error that already
 * holds a message does nothing, so the root cause is what the user sees. line/col are 1-based
 * and 0 when unknown. */
typedef struct gp_err {
    int code; /* GP_EXIT_* the caller should end with, 0 when unset */
    char src[GP_ERR_SRC_MAX];
    int line;
    int col;
    char msg[GP_ERR_MSG_MAX];
} gp_err;

/* Sets err (if non-NULL and not yet set). src may be NULL. */
void gp_err_set(gp_err *err, int code, const char *src, int line, int col, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));
bool gp_err_isset(const gp_err *err);
/* Writes "src:line:col: msg" (parts that are unknown are left out) into buf. */
void gp_err_format(const gp_err *err, char *buf, size_t size);

/* A growable byte buffer with a hard maximum; data is always NUL-terminated. */
typedef struct gp_buf {
    char *data;
    size_t len;
    size_t cap;
    size_t max; /* appends that would exceed max fail and leave the buffer unchanged */
} gp_buf;

void gp_buf_init(gp_buf *b, size_t max);
/* Returns 0, or -1 when the append would exceed max or memory ran out. */
int gp_buf_append(gp_buf *b, const void *data, size_t len);
int gp_buf_printf(gp_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void gp_buf_reset(gp_buf *b);
/* Hands the data to the caller (free() it) and leaves b empty. */
char *gp_buf_steal(gp_buf *b);
void gp_buf_cleanup(gp_buf *b);

/* Monotonic clock in microseconds. */
int64_t gp_now_us(void);
/* Wall clock in microseconds since the epoch. */
int64_t gp_wall_us(void);

/* The longest duration a scenario or option may give: 168 hours. Every deadline is a clock
 * reading plus at most this, and a ramp multiplies it by a user's number (at most 100000),
 * so the runner's arithmetic stays far inside int64_t. */
#define GP_DURATION_MAX_US ((int64_t)168 * 3600 * 1000000)

/* Parses a duration such as "250ms", "30s", "2m", "1.5s", "100us", or a bare number of
 * seconds. Returns 0 and sets *out_us, or -1 on a malformed value. It does not apply
 * GP_DURATION_MAX_US: callers check it and say so. */
int gp_duration_parse(const char *s, int64_t *out_us);

/* A file written atomically: gp_afile_open creates a temporary file beside path with mkstemp
 * (O_EXCL: unpredictable, never a symlink planted there), gp_afile_commit flushes, syncs and
 * renames it over path, so readers see the old file or the whole new one. A path that exists
 * and is not a regular file (a symlink such as /dev/stderr, a device, a FIFO) is written
 * directly, through the link: renaming over it would replace the link itself. */
typedef struct gp_afile {
    FILE *f;   /* write here between open and commit */
    char *tmp; /* the temporary file, NULL when writing directly */
    char *path;
} gp_afile;

/* Returns 0 (a->f open) or -1 with err set (GP_EXIT_INTERNAL; GP_EXIT_USAGE for no path). */
int gp_afile_open(gp_afile *a, const char *path, gp_err *err);
/* Completes the file: 0, or -1 with err set, the temporary file removed and path untouched.
 * Frees a's members either way. */
int gp_afile_commit(gp_afile *a, gp_err *err);
/* Gives up: closes and removes the temporary file; path is untouched. NULL-safe. */
void gp_afile_abort(gp_afile *a);
/* Writes data (len bytes) to path atomically with the above. Returns 0 or -1 with err. */
int gp_write_file_atomic(const char *path, const char *data, size_t len, gp_err *err);

/* malloc wrappers that abort on out-of-memory: the harness cannot judge without memory. */
void *gp_malloc(size_t n);
void *gp_calloc(size_t n, size_t size);
void *gp_realloc(void *p, size_t n);
char *gp_strdup(const char *s);
char *gp_strndup(const char *s, size_t n);
char *gp_asprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
