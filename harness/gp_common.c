/* gp_common.c - errors, bounded buffers, clocks and allocation helpers. */
#include "gp_common.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

void gp_err_set(gp_err *err, int code, const char *src, int line, int col, const char *fmt, ...)
{
    va_list ap;

    if (!err || gp_err_isset(err))
        return;
    err->code = code;
    snprintf(err->src, sizeof err->src, "%s", src ? src : "");
    err->line = line;
    err->col = col;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
}

bool gp_err_isset(const gp_err *err)
{
    return err && err->msg[0] != '\0';
}

void gp_err_format(const gp_err *err, char *buf, size_t size)
{
    if (err->src[0] && err->line > 0)
        snprintf(buf, size, "%s:%d:%d: %s", err->src, err->line, err->col, err->msg);
    else if (err->src[0])
        snprintf(buf, size, "%s: %s", err->src, err->msg);
    else
        snprintf(buf, size, "%s", err->msg);
}

void gp_buf_init(gp_buf *b, size_t max)
{
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
    b->max = max;
}

int gp_buf_append(gp_buf *b, const void *data, size_t len)
{
    size_t need = b->len + len + 1;

    if (len > b->max || b->len + len > b->max)
        return -1;
    if (need > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        char *p;

        while (cap < need)
            cap *= 2;
        if (cap > b->max + 1)
            cap = b->max + 1;
        p = realloc(b->data, cap);
        if (!p)
            return -1;
        b->data = p;
        b->cap = cap;
    }
    if (len)
        memcpy(b->data + b->len, data, len);
    b->len += len;
    b->data[b->len] = '\0';
    return 0;
}

int gp_buf_printf(gp_buf *b, const char *fmt, ...)
{
    va_list ap;
    char small[512];
    int n;

    va_start(ap, fmt);
    n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0)
        return -1;
    if ((size_t)n < sizeof small)
        return gp_buf_append(b, small, (size_t)n);
    {
        char *big = gp_malloc((size_t)n + 1);
        int rc;

        va_start(ap, fmt);
        vsnprintf(big, (size_t)n + 1, fmt, ap);
        va_end(ap);
        rc = gp_buf_append(b, big, (size_t)n);
        free(big);
        return rc;
    }
}

void gp_buf_reset(gp_buf *b)
{
    b->len = 0;
    if (b->data)
        b->data[0] = '\0';
}

char *gp_buf_steal(gp_buf *b)
{
    char *p = b->data ? b->data : gp_strdup("");

    b->data = NULL;
    b->len = b->cap = 0;
    return p;
}

void gp_buf_cleanup(gp_buf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

int64_t gp_now_us(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int64_t gp_wall_us(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int gp_duration_parse(const char *s, int64_t *out_us)
{
    static const struct {
        const char *suffix;
        double scale;
    } units[] = {{"us", 1.0}, {"ms", 1e3}, {"s", 1e6}, {"m", 60e6}, {"h", 3600e6}, {"", 1e6}};
    char *end;
    double v;
    size_t i;

    if (!s || !*s || isspace((unsigned char)*s) || *s == '-' || *s == '+')
        return -1;
    errno = 0;
    v = strtod(s, &end);
    if (end == s || errno || !isfinite(v) || v < 0)
        return -1;
    for (i = 0; i < sizeof units / sizeof units[0]; i++) {
        if (strcmp(end, units[i].suffix) == 0) {
            double us = v * units[i].scale;

            if (us > 9.0e15)
                return -1;
            *out_us = (int64_t)llround(us);
            return 0;
        }
    }
    return -1;
}

static void oom(void)
{
    fputs("goldenpath: out of memory\n", stderr);
    abort();
}

void *gp_malloc(size_t n)
{
    void *p = malloc(n ? n : 1);

    if (!p)
        oom();
    return p;
}

void *gp_calloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);

    if (!p)
        oom();
    return p;
}

void *gp_realloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);

    if (!q)
        oom();
    return q;
}

char *gp_strdup(const char *s)
{
    return gp_strndup(s, strlen(s));
}

char *gp_strndup(const char *s, size_t n)
{
    char *p = gp_malloc(n + 1);

    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

char *gp_asprintf(const char *fmt, ...)
{
    va_list ap;
    int n;
    char *p;

    va_start(ap, fmt);
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        oom();
    p = gp_malloc((size_t)n + 1);
    va_start(ap, fmt);
    vsnprintf(p, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return p;
}

int gp_afile_open(gp_afile *a, const char *path, gp_err *err)
{
    struct stat st;
    mode_t mask;
    int fd;

    memset(a, 0, sizeof *a);
    if (!path || !*path) {
        gp_err_set(err, GP_EXIT_USAGE, NULL, 0, 0, "no output path given");
        return -1;
    }
    a->path = gp_strdup(path);
    /* lstat: a symlink the user named (/dev/stderr -> /proc/self/fd/2) is written through,
     * never replaced by a rename; so are devices and FIFOs. */
    if (lstat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
        a->f = fopen(path, "wb");
        if (!a->f)
            goto fail;
        return 0;
    }
    /* Beside the target, so rename() stays within one file system. */
    a->tmp = gp_asprintf("%s.XXXXXX", path);
    fd = mkstemp(a->tmp);
    if (fd < 0) {
        gp_err_set(err, GP_EXIT_INTERNAL, path, 0, 0,
                   "cannot create a temporary file beside it: %s", strerror(errno));
        free(a->tmp);
        free(a->path);
        memset(a, 0, sizeof *a);
        return -1;
    }
    /* mkstemp makes 0600; a report gets what any new file would. */
    mask = umask(0);
    umask(mask);
    fchmod(fd, 0666 & ~mask);
    a->f = fdopen(fd, "wb");
    if (!a->f) {
        close(fd);
        unlink(a->tmp);
        goto fail;
    }
    return 0;
fail:
    gp_err_set(err, GP_EXIT_INTERNAL, path, 0, 0, "cannot write: %s", strerror(errno));
    free(a->tmp);
    free(a->path);
    memset(a, 0, sizeof *a);
    return -1;
}

int gp_afile_commit(gp_afile *a, gp_err *err)
{
    int rc = 0, e = 0;

    if (fflush(a->f) != 0 || ferror(a->f) || (a->tmp && fsync(fileno(a->f)) != 0))
        rc = -1, e = errno;
    if (fclose(a->f) != 0 && rc == 0)
        rc = -1, e = errno;
    a->f = NULL;
    if (rc == 0 && a->tmp && rename(a->tmp, a->path) != 0)
        rc = -1, e = errno;
    if (rc != 0) {
        gp_err_set(err, GP_EXIT_INTERNAL, a->path, 0, 0, "cannot write: %s",
                   e ? strerror(e) : "write error");
        if (a->tmp)
            unlink(a->tmp);
    }
    free(a->tmp);
    free(a->path);
    memset(a, 0, sizeof *a);
    return rc;
}

void gp_afile_abort(gp_afile *a)
{
    if (!a)
        return;
    if (a->f)
        fclose(a->f);
    if (a->tmp)
        unlink(a->tmp);
    free(a->tmp);
    free(a->path);
    memset(a, 0, sizeof *a);
}

int gp_write_file_atomic(const char *path, const char *data, size_t len, gp_err *err)
{
    gp_afile a;

    if (gp_afile_open(&a, path, err) != 0)
        return -1;
    if (len && fwrite(data, 1, len, a.f) != len) {
        gp_err_set(err, GP_EXIT_INTERNAL, path, 0, 0, "cannot write: %s", strerror(errno));
        gp_afile_abort(&a);
        return -1;
    }
    return gp_afile_commit(&a, err);
}
