/* workers.c - one run over several processes: each worker runs every Nth user in its own
 * event loop (gp_runner_run with a shard), writes its transcripts to a temporary file in a
 * compact binary form, and the parent puts them back in user order so that the judge sees
 * all users together, exactly as if one process had run them. Progress comes over pipes. */
#include <errno.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "runner.h"
#include "runner_int.h"
#include "secrets.h"
#include "shape.h"

#define WMAGIC 0x32575047u     /* "GPW2" */
#define WMAGIC_ERR 0x45575047u /* "GPWE" */
#define MAX_FIELD ((uint64_t)1 << 31)

typedef struct worker {
    pid_t pid;
    int progress_fd; /* read end; -1 once closed */
    FILE *out;       /* the temporary file it writes its output into */
    gp_progress last;
    bool exited;
    int status;
} worker;

/* ---- the binary form (same machine, same build: native byte order) ---- */

static void put(FILE *f, const void *p, size_t n)
{
    if (n)
        fwrite(p, 1, n, f);
}

static void put_u64(FILE *f, uint64_t v)
{
    put(f, &v, sizeof v);
}

static void put_str(FILE *f, const char *s, size_t len)
{
    put_u64(f, s ? (uint64_t)len + 1 : 0);
    put(f, s, s ? len : 0);
}

static int get(FILE *f, void *p, size_t n)
{
    return n == 0 || fread(p, 1, n, f) == n ? 0 : -1;
}

static int get_u64(FILE *f, uint64_t *v)
{
    return get(f, v, sizeof *v);
}

/* Reads a string written by put_str; *out is NULL for a NULL string. */
static int get_str(FILE *f, char **out, size_t *len)
{
    uint64_t n;

    *out = NULL;
    if (get_u64(f, &n) != 0 || n > MAX_FIELD)
        return -1;
    if (len)
        *len = n ? (size_t)n - 1 : 0;
    if (!n)
        return 0;
    *out = gp_malloc((size_t)n);
    if (get(f, *out, (size_t)n - 1) != 0) {
        free(*out);
        *out = NULL;
        return -1;
    }
    (*out)[n - 1] = '\0';
    return 0;
}

static void write_output(FILE *f, const gp_run_output *o)
{
    size_t i, k, n;

    put_u64(f, WMAGIC);
    put_u64(f, o->n);
    put_u64(f, (uint64_t)o->interrupted);
    put_u64(f, o->arrivals);
    put_u64(f, o->dropped_arrivals);
    /* when each dropped arrival came (the series' dropped arrivals per interval) */
    put_u64(f, o->dropped_at_us ? o->dropped_arrivals : 0);
    for (i = 0; o->dropped_at_us && i < o->dropped_arrivals; i++)
        put_u64(f, (uint64_t)o->dropped_at_us[i]);
    put(f, &o->health, sizeof o->health); /* the stalls pointer is rewritten on reading */
    put(f, o->health.stalls, o->health.nstalls * sizeof *o->health.stalls);
    for (i = 0; i < o->n; i++) {
        const gp_transcript *t = o->ts[i];

        put_u64(f, t->user_index);
        put_u64(f, t->iteration);
        put_str(f, t->user_id, t->user_id ? strlen(t->user_id) : 0);
        put_str(f, t->nonce, t->nonce ? strlen(t->nonce) : 0);
        put_u64(f, t->nframes);
        put_u64(f, t->max_frames);
        put_u64(f, t->max_bytes);
        put_u64(f, t->dropped);
        for (k = 0; k < t->nframes; k++) {
            const gp_frame *fr = &t->frames[k];

            put_u64(f, (uint64_t)fr->kind);
            put_u64(f, (uint64_t)fr->t_us);
            put_u64(f, (uint64_t)(int64_t)fr->code);
            put_u64(f, fr->len);
            put_str(f, fr->data, fr->data ? fr->len : 0);
        }
    }
    /* The worker's credentials (tokens it minted, tickets and test-auth tokens it read), so
     * the parent can redact one echoed to a user of another worker. The file is private to
     * the two processes (tmpfile) and gone when the parent closes it. */
    n = gp_secrets_count(o->secrets);
    put_u64(f, n);
    for (i = 0; i < n; i++) {
        size_t len;
        const char *v = gp_secrets_at(o->secrets, i, &len);

        put_str(f, v, len);
    }
}

static void write_error(FILE *f, const gp_err *err)
{
    put_u64(f, WMAGIC_ERR);
    put(f, err, sizeof *err);
}

/* Reads one worker's output; its transcripts are appended to out->ts (cap: its room), each a
 * user of this process (index % stride == base, below all_users). In a load shape a user may
 * have several (one per iteration) or none (a dropped arrival); the caller sorts them. */
static int read_output(FILE *f, gp_run_output *out, size_t *cap, unsigned base, unsigned stride,
                       size_t all_users, gp_health *h, gp_secrets *secrets, gp_err *err)
{
    uint64_t magic, n, flag, v, it;
    size_t i, k;

    if (get_u64(f, &magic) != 0)
        goto bad;
    if (magic == WMAGIC_ERR) {
        gp_err e;

        if (get(f, &e, sizeof e) != 0)
            goto bad;
        e.msg[sizeof e.msg - 1] = '\0';
        e.src[sizeof e.src - 1] = '\0';
        *err = e;
        if (!err->code)
            err->code = GP_EXIT_INTERNAL;
        return -1;
    }
    if (magic != WMAGIC || get_u64(f, &n) != 0 || n > MAX_FIELD || get_u64(f, &flag) != 0 ||
        get_u64(f, &v) != 0)
        goto bad;
    out->arrivals += (size_t)v;
    if (get_u64(f, &v) != 0)
        goto bad;
    /* the times of this worker's dropped arrivals, appended to the ones read so far: the
     * parent's array holds one time per dropped arrival of all workers (out->dropped_arrivals
     * before this worker's are added is its length) */
    if (v > MAX_FIELD || get_u64(f, &it) != 0 || it != v)
        goto bad;
    if (it) {
        out->dropped_at_us = gp_realloc(out->dropped_at_us,
                                        (out->dropped_arrivals + (size_t)it) *
                                            sizeof *out->dropped_at_us);
        for (i = 0; i < (size_t)it; i++) {
            uint64_t t;

            if (get_u64(f, &t) != 0)
                goto bad;
            out->dropped_at_us[out->dropped_arrivals + i] = (int64_t)t;
        }
    }
    out->dropped_arrivals += (size_t)v;
    if (get(f, h, sizeof *h) != 0 || h->nstalls > GP_HEALTH_MAX_STALLS)
        goto bad;
    out->interrupted |= flag != 0;
    h->stalls = h->nstalls ? gp_calloc(h->nstalls, sizeof *h->stalls) : NULL;
    if (get(f, h->stalls, h->nstalls * sizeof *h->stalls) != 0)
        goto bad;
    for (i = 0; i < n; i++) {
        gp_transcript *t;
        char *uid, *nonce;
        uint64_t idx, nframes;

        /* The user with global index idx is one of this process's users. */
        if (get_u64(f, &idx) != 0 || idx < base || (idx - base) % stride != 0 || idx >= all_users ||
            get_u64(f, &it) != 0 || it > 0xffffffffu || get_str(f, &uid, NULL) != 0)
            goto bad;
        if (get_str(f, &nonce, NULL) != 0) {
            free(uid);
            goto bad;
        }
        t = gp_transcript_new((size_t)idx, uid ? uid : "", nonce ? nonce : "");
        free(uid);
        free(nonce);
        t->iteration = (unsigned)it;
        if (out->n == *cap) {
            *cap = *cap ? *cap * 2 : 64;
            out->ts = gp_realloc(out->ts, *cap * sizeof *out->ts);
        }
        out->ts[out->n++] = t;
        if (get_u64(f, &nframes) != 0 || nframes > MAX_FIELD || get_u64(f, &v) != 0)
            goto bad;
        t->max_frames = (size_t)v;
        if (get_u64(f, &v) != 0)
            goto bad;
        t->max_bytes = (size_t)v;
        if (get_u64(f, &v) != 0)
            goto bad;
        t->dropped = (size_t)v;
        t->frames = nframes ? gp_calloc((size_t)nframes, sizeof *t->frames) : NULL;
        t->cap = (size_t)nframes;
        for (k = 0; k < nframes; k++) {
            gp_frame *fr = &t->frames[k];
            uint64_t kind, tus, code, len;
            size_t dlen;

            if (get_u64(f, &kind) != 0 || get_u64(f, &tus) != 0 || get_u64(f, &code) != 0 ||
                get_u64(f, &len) != 0 || get_str(f, &fr->data, &dlen) != 0)
                goto bad;
            t->nframes++;
            fr->kind = (gp_frame_kind)kind;
            fr->t_us = (int64_t)tus;
            fr->code = (int)(int64_t)code;
            fr->len = (size_t)len;
            if (fr->data)
                t->bytes += dlen;
        }
    }
    if (get_u64(f, &n) != 0 || n > MAX_FIELD)
        goto bad;
    for (i = 0; i < n; i++) {
        char *value;
        size_t len;

        if (get_str(f, &value, &len) != 0)
            goto bad;
        if (value) {
            gp_secrets_add(secrets, value, len);
            OPENSSL_cleanse(value, len);
        }
        free(value);
    }
    return 0;
bad:
    gp_err_set(err, GP_EXIT_INTERNAL, NULL, 0, 0, "a worker's output could not be read back");
    return -1;
}

/* A credential one worker read (a ticket, a test-auth token) is unknown to the others: a
 * server that echoed it to a user of another worker left it in that user's transcript. With
 * every worker's values in one set, each frame is scanned once more, in time linear in its
 * length whatever the number of values. */
static void redact_across_workers(gp_run_output *out, const gp_secrets *secrets)
{
    size_t i, k;

    for (i = 0; i < out->n; i++) {
        gp_transcript *t = out->ts[i];

        for (k = 0; t && k < t->nframes; k++) {
            gp_frame *fr = &t->frames[k];
            size_t len;
            char *red = fr->data ? gp_secrets_redact(secrets, fr->data, fr->len, &len) : NULL;

            if (!red)
                continue;
            t->bytes -= fr->len - len; /* never grows: a value is as long as the marker or longer */
            free(fr->data);
            fr->data = red;
            fr->len = len;
        }
    }
}

/* ---- the processes ---- */

typedef struct child_ctx {
    int fd;
} child_ctx;

static void child_progress(const gp_progress *p, void *ud)
{
    const child_ctx *cc = ud;

    /* Non-blocking: when the parent is slow to read, a snapshot is simply skipped. */
    if (write(cc->fd, p, sizeof *p) < 0) {
        /* nothing to do: the next snapshot supersedes this one */
    }
}

#ifdef GP_COVERAGE_BUILD
void __gcov_dump(void); /* libgcov: _exit skips the exit handlers that would write counters */
#endif

static void run_child(const gp_runner_opts *o, unsigned base, unsigned stride, unsigned k,
                      unsigned n, int64_t t0, uint64_t seed, int fd, FILE *out)
{
    gp_runner_opts co = *o;
    gp_run_output ro;
    gp_err err = {0};
    child_ctx cc = {fd};

    co.workers = 1;
    co.shard_index = base + stride * k;
    co.shard_count = stride * n;
    co.t0_us = t0;
    co.shape_seed = seed;
    co.progress = child_progress;
    co.progress_ud = &cc;
    if (gp_runner_run(&co, &ro, &err) != 0) {
        write_error(out, &err);
    } else {
        write_output(out, &ro);
        gp_run_output_cleanup(&ro);
    }
    fflush(out);
#ifdef GP_COVERAGE_BUILD
    __gcov_dump();
#endif
    _exit(ferror(out) ? 3 : 0);
}

/* Folds one worker's health into the run's: CPU adds up, lag is the worst worker's, stalls
 * are the union (merged in order afterwards). */
static void health_fold(gp_health *all, const gp_health *h)
{
    size_t i;

    all->lag_p50_us = h->lag_p50_us > all->lag_p50_us ? h->lag_p50_us : all->lag_p50_us;
    all->lag_p99_us = h->lag_p99_us > all->lag_p99_us ? h->lag_p99_us : all->lag_p99_us;
    all->lag_max_us = h->lag_max_us > all->lag_max_us ? h->lag_max_us : all->lag_max_us;
    all->cpu_user_s += h->cpu_user_s;
    all->cpu_sys_s += h->cpu_sys_s;
    for (i = 0; i < h->nstalls; i++) {
        all->stalls = gp_realloc(all->stalls, (all->nstalls + 1) * sizeof *all->stalls);
        all->stalls[all->nstalls++] = h->stalls[i];
    }
}

static int cmp_stall(const void *a, const void *b)
{
    const gp_stall *x = a, *y = b;

    return x->from_us < y->from_us ? -1 : x->from_us > y->from_us;
}

int gp_runner_run_workers(const gp_runner_opts *o, gp_run_output *out, gp_err *err)
{
    unsigned n = o->workers, k, total, alive, all_users, base, stride;
    worker *w = NULL;
    int64_t t0, started_wall, next_progress = 0;
    bool forwarded = false;
    gp_health all = {0};
    gp_secrets *secrets = NULL;
    const gp_shape *sh = &o->scenario->users.shape;
    bool shaped = gp_shape_open(sh) || gp_shape_soak(sh);
    uint64_t seed = o->shape_seed;
    size_t cap = 0;
    int rc = -1;

    if (n <= 1)
        return gp_runner_run(o, out, err);
    memset(out, 0, sizeof *out);
    all_users = o->users ? o->users : (o->scenario->users.count ? o->scenario->users.count : 1);
    if (gp_shape_open(sh)) {
        /* The open model: every worker plans the same arrivals from one seed and runs those
         * whose index falls to it, so together they run the one-process plan. */
        int64_t *plan = NULL;

        if (!seed)
            seed = (uint64_t)gp_wall_us();
        all_users = (unsigned)gp_shape_schedule(sh, sh->duration_us, seed, SHAPE_USERS_MAX, &plan);
        free(plan);
    }
    /* This process's users (a shard's, or all): index % stride == base. */
    stride = o->shard_count ? o->shard_count : 1;
    base = o->shard_index < stride ? o->shard_index : 0;
    total = all_users > base ? (all_users - base + stride - 1) / stride : 0;
    if (total == 0)
        return gp_runner_run(o, out, err);
    if (n > total)
        n = total;
    /* max_active is split over the parts (gp_runner_part_cap): no more parts than its cap. */
    if (gp_shape_open(sh) && sh->max_active && (uint64_t)n * stride > sh->max_active)
        n = sh->max_active / stride ? sh->max_active / stride : 1;
    if (n <= 1) {
        gp_runner_opts one = *o;

        one.shape_seed = seed;
        return gp_runner_run(&one, out, err);
    }
    w = gp_calloc(n, sizeof *w);
    fflush(stdout);
    fflush(stderr);
    /* Workers start their users on the parent's clock: the ramp spans every worker. A short
     * lead lets every worker build its event loop before the first user is due; --start-at
     * (o->t0_us) sets the clock's zero itself. */
    t0 = gp_now_us() + 50000;
    if (o->t0_us > t0)
        t0 = o->t0_us;
    started_wall = gp_wall_us() + (t0 - gp_now_us());
    for (k = 0; k < n; k++) {
        int fds[2];

        w[k].progress_fd = -1;
        w[k].out = tmpfile();
        if (!w[k].out || pipe(fds) != 0) {
            gp_err_set(err, GP_EXIT_INTERNAL, NULL, 0, 0, "cannot set up worker %u: %s", k,
                       strerror(errno));
            goto out;
        }
        fcntl(fds[1], F_SETFL, O_NONBLOCK);
        fcntl(fds[0], F_SETFL, O_NONBLOCK);
        w[k].pid = fork();
        if (w[k].pid < 0) {
            close(fds[0]);
            close(fds[1]);
            gp_err_set(err, GP_EXIT_INTERNAL, NULL, 0, 0, "cannot start worker %u: %s", k,
                       strerror(errno));
            goto out;
        }
        if (w[k].pid == 0) {
            unsigned j;

            close(fds[0]);
            for (j = 0; j < k; j++)
                if (w[j].progress_fd >= 0)
                    close(w[j].progress_fd);
            run_child(o, base, stride, k, n, t0, seed, fds[1], w[k].out);
        }
        close(fds[1]);
        w[k].progress_fd = fds[0];
    }

    /* Wait for the workers, drawing the progress of all of them, and pass an interrupt on. */
    alive = n;
    while (alive) {
        struct pollfd pfd[64];
        unsigned np = 0;

        for (k = 0; k < n && np < 64; k++)
            if (w[k].progress_fd >= 0) {
                pfd[np].fd = w[k].progress_fd;
                pfd[np].events = POLLIN;
                np++;
            }
        poll(pfd, np, 100);
        for (k = 0; k < n; k++) {
            gp_progress p;
            ssize_t got;

            while (w[k].progress_fd >= 0 &&
                   (got = read(w[k].progress_fd, &p, sizeof p)) == (ssize_t)sizeof p)
                w[k].last = p;
            if (!w[k].exited && waitpid(w[k].pid, &w[k].status, WNOHANG) == w[k].pid) {
                w[k].exited = true;
                alive--;
            }
        }
        if (o->interrupt && *o->interrupt && !forwarded) {
            for (k = 0; k < n; k++)
                if (!w[k].exited)
                    kill(w[k].pid, SIGTERM);
            forwarded = true;
        }
        if (o->progress && gp_now_us() >= next_progress) {
            gp_progress sum = {.users = total};

            for (k = 0; k < n; k++) {
                sum.active += w[k].last.active;
                if (w[k].last.elapsed_us > sum.elapsed_us)
                    sum.elapsed_us = w[k].last.elapsed_us;
                sum.connected += w[k].last.connected;
                sum.finished += w[k].last.finished;
                sum.runs_done += w[k].last.runs_done;
                sum.problems += w[k].last.problems;
                if (w[k].last.lag_p99_us > sum.lag_p99_us)
                    sum.lag_p99_us = w[k].last.lag_p99_us;
            }
            o->progress(&sum, o->progress_ud);
            next_progress = gp_now_us() + 200000;
        }
    }

    out->n = 0;
    cap = total;
    out->ts = gp_calloc(cap ? cap : 1, sizeof *out->ts);
    out->started_wall_us = started_wall;
    out->duration_us = gp_now_us() - t0;
    secrets = gp_secrets_new(); /* after the forks: the workers' values, gathered here */
    for (k = 0; k < n; k++) {
        gp_health h = {0};

        if (!WIFEXITED(w[k].status) || WEXITSTATUS(w[k].status) != 0) {
            gp_err_set(err, GP_EXIT_INTERNAL, NULL, 0, 0, "worker %u of %u %s %d", k + 1, n,
                       WIFSIGNALED(w[k].status) ? "was killed by signal" : "exited with status",
                       WIFSIGNALED(w[k].status) ? WTERMSIG(w[k].status) : WEXITSTATUS(w[k].status));
            goto out;
        }
        rewind(w[k].out);
        if (read_output(w[k].out, out, &cap, base, stride, all_users, &h, secrets, err) != 0) {
            gp_health_cleanup(&h);
            goto out;
        }
        health_fold(&all, &h);
        gp_health_cleanup(&h);
    }
    /* In user (then iteration) order, each user (iteration) once; without a load shape
     * every user of this process exactly once. */
    qsort(out->ts, out->n, sizeof *out->ts, gp_transcript_cmp_user_iteration);
    for (k = 0; k < out->n; k++)
        if (k && out->ts[k]->user_index == out->ts[k - 1]->user_index &&
            out->ts[k]->iteration == out->ts[k - 1]->iteration) {
            gp_err_set(err, GP_EXIT_INTERNAL, NULL, 0, 0, "two workers ran user %zu",
                       out->ts[k]->user_index);
            goto out;
        }
    for (k = 0; !shaped && k < total; k++)
        if (k >= out->n || out->ts[k]->user_index != base + (size_t)k * stride) {
            gp_err_set(err, GP_EXIT_INTERNAL, NULL, 0, 0, "no worker ran user %u",
                       base + k * stride);
            goto out;
        }
    redact_across_workers(out, secrets);
    out->target =
        gp_url_redact(o->url ? o->url : (o->scenario->target.url ? o->scenario->target.url : ""));
    out->proxy = gp_runner_proxy(o->scenario,
                                 o->url ? o->url : (o->scenario->target.url ? o->scenario->target.url : ""));
    /* The stalls of all workers, in time order and merged where they overlap. */
    if (all.nstalls > 1)
        qsort(all.stalls, all.nstalls, sizeof *all.stalls, cmp_stall);
    out->health.measured = true;
    out->health.workers = n;
    out->health.lag_p50_us = all.lag_p50_us;
    out->health.lag_p99_us = all.lag_p99_us;
    out->health.lag_max_us = all.lag_max_us;
    out->health.cpu_user_s = all.cpu_user_s;
    out->health.cpu_sys_s = all.cpu_sys_s;
    out->health.cpu_busy = out->duration_us > 0 ? (all.cpu_user_s + all.cpu_sys_s) /
                                                      ((double)out->duration_us / 1e6 * n)
                                                : 0;
    for (k = 0; k < all.nstalls; k++)
        gp_health_add_stall(&out->health, all.stalls[k].from_us, all.stalls[k].to_us,
                            all.stalls[k].lag_us);
    rc = 0;
out:
    for (k = 0; w && k < n; k++) {
        if (w[k].pid > 0 && !w[k].exited) {
            kill(w[k].pid, SIGTERM);
            waitpid(w[k].pid, NULL, 0);
        }
        if (w[k].progress_fd >= 0)
            close(w[k].progress_fd);
        if (w[k].out)
            fclose(w[k].out);
    }
    free(w);
    gp_health_cleanup(&all);
    gp_secrets_free(secrets);
    if (rc != 0)
        gp_run_output_cleanup(out);
    return rc;
}
