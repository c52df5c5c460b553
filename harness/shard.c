/* shard.c - parsing --shard, the shard an engine's environment names, and --start-at. Pure:
 * the clock and the environment are passed in, so every case is a table entry in the tests. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "event.h"
#include "shard.h"

/* A decimal number in [lo, hi] with nothing around it. */
static int parse_uint(const char *s, unsigned long lo, unsigned long hi, unsigned long *out)
{
    char *end;
    unsigned long v;

    if (!s || !isdigit((unsigned char)*s))
        return -1;
    errno = 0;
    v = strtoul(s, &end, 10);
    if (errno || *end || v < lo || v > hi)
        return -1;
    *out = v;
    return 0;
}

int gp_shard_parse(const char *arg, gp_shard *out, gp_err *err)
{
    const char *slash = arg ? strchr(arg, '/') : NULL;
    unsigned long idx, cnt;
    char head[32];

    memset(out, 0, sizeof *out);
    if (!slash || (size_t)(slash - arg) >= sizeof head) {
        gp_err_set(err, GP_EXIT_USAGE, NULL, 0, 0,
                   "--shard wants INDEX/COUNT with a 0-based INDEX, such as 0/4, got '%s'",
                   arg ? arg : "");
        return -1;
    }
    memcpy(head, arg, (size_t)(slash - arg));
    head[slash - arg] = '\0';
    if (parse_uint(slash + 1, 1, GP_SHARD_MAX, &cnt) != 0 ||
        parse_uint(head, 0, GP_SHARD_MAX, &idx) != 0) {
        gp_err_set(err, GP_EXIT_USAGE, NULL, 0, 0,
                   "--shard wants INDEX/COUNT with COUNT from 1 to %d and a 0-based INDEX, "
                   "got '%s'",
                   GP_SHARD_MAX, arg);
        return -1;
    }
    if (idx >= cnt) {
        gp_err_set(err, GP_EXIT_USAGE, NULL, 0, 0,
                   "--shard %s: INDEX is 0-based and must be below COUNT (the last of %lu "
                   "shards is %lu/%lu)",
                   arg, cnt, cnt - 1, cnt);
        return -1;
    }
    out->index = (unsigned)idx;
    out->count = (unsigned)cnt;
    snprintf(out->source, sizeof out->source, "--shard");
    return 0;
}

/* One engine's pair of variables. base is what the first index is (1 for GitLab). */
static int from_pair(gp_getenv_fn get, void *ud, const char *iname, const char *cname,
                     unsigned long base, gp_shard *out, gp_err *err)
{
    const char *is = get(iname, ud), *cs = get(cname, ud);
    unsigned long idx, cnt;

    if (!is && !cs)
        return 1;
    if (!is || !cs) {
        gp_err_set(err, GP_EXIT_USAGE, NULL, 0, 0,
                   "%s is set but %s is not: a shard needs both its index and the shard count "
                   "(or pass --shard INDEX/COUNT)",
                   is ? iname : cname, is ? cname : iname);
        return -1;
    }
    if (parse_uint(cs, 1, GP_SHARD_MAX, &cnt) != 0) {
        gp_err_set(err, GP_EXIT_USAGE, NULL, 0, 0, "%s wants a shard count from 1 to %d, got '%s'",
                   cname, GP_SHARD_MAX, cs);
        return -1;
    }
    if (parse_uint(is, base, GP_SHARD_MAX + base, &idx) != 0 || idx - base >= cnt) {
        gp_err_set(err, GP_EXIT_USAGE, NULL, 0, 0,
                   "%s wants a %s index from %lu to %lu (%s=%lu), got '%s'", iname,
                   base ? "1-based" : "0-based", base, cnt - 1 + base, cname, cnt, is);
        return -1;
    }
    out->index = (unsigned)(idx - base);
    out->count = (unsigned)cnt;
    snprintf(out->source, sizeof out->source, "%s", iname);
    return 0;
}

int gp_shard_from_env(gp_getenv_fn get, void *ud, gp_shard *out, gp_err *err)
{
    const char *min = get("SLURM_ARRAY_TASK_MIN", ud);
    unsigned long base = 0;
    int rc;

    memset(out, 0, sizeof *out);
    if ((rc = from_pair(get, ud, "JOB_COMPLETION_INDEX", "GOLDENPATH_SHARDS", 0, out, err)) <= 0)
        return rc;
    if ((rc = from_pair(get, ud, "CI_NODE_INDEX", "CI_NODE_TOTAL", 1, out, err)) <= 0)
        return rc;
    if (min && parse_uint(min, 0, GP_SHARD_MAX, &base) != 0) {
        gp_err_set(err, GP_EXIT_USAGE, NULL, 0, 0, "SLURM_ARRAY_TASK_MIN wants a number, got '%s'",
                   min);
        return -1;
    }
    if ((rc = from_pair(get, ud, "SLURM_ARRAY_TASK_ID", "SLURM_ARRAY_TASK_COUNT", base, out,
                        err)) <= 0)
        return rc;
    memset(out, 0, sizeof *out);
    return 0;
}

int gp_start_at_parse(const char *arg, int64_t now_wall_us, int64_t *at_wall_us, gp_err *err)
{
    int64_t at, d;

    if (arg && arg[0] == '+') {
        if (gp_duration_parse(arg + 1, &d) != 0 || d < 0) {
            gp_err_set(err, GP_EXIT_USAGE, NULL, 0, 0,
                       "--start-at +DURATION wants a duration such as +30s or +2m, got '%s'", arg);
            return -1;
        }
        at = now_wall_us + d;
    } else if (!arg || gp_rfc3339_parse(arg, &at) != 0) {
        gp_err_set(err, GP_EXIT_USAGE, NULL, 0, 0,
                   "--start-at wants an RFC 3339 time such as 2026-12-02T10:00:00Z, or +30s "
                   "from now, got '%s'",
                   arg ? arg : "");
        return -1;
    }
    if (at < now_wall_us - GP_START_AT_MAX_PAST_US) {
        gp_err_set(err, GP_EXIT_USAGE, NULL, 0, 0,
                   "--start-at %s passed %.1f s ago (at most %d s late is accepted): give the "
                   "shards a later start",
                   arg, (double)(now_wall_us - at) / 1e6, GP_START_AT_MAX_PAST_US / 1000000);
        return -1;
    }
    if (at > now_wall_us + GP_START_AT_MAX_AHEAD_US) {
        gp_err_set(err, GP_EXIT_USAGE, NULL, 0, 0,
                   "--start-at %s is %.1f h ahead (at most 24 h is accepted)", arg,
                   (double)(at - now_wall_us) / 3.6e9);
        return -1;
    }
    *at_wall_us = at;
    return 0;
}

int64_t gp_shard_first_start(gp_transcript *const *ts, size_t n, int64_t run_t0_wall_us)
{
    int64_t first = INT64_MAX;
    size_t i;

    for (i = 0; i < n; i++)
        if (ts[i] && ts[i]->nframes && ts[i]->frames[0].t_us < first)
            first = ts[i]->frames[0].t_us;
    return first == INT64_MAX ? 0 : run_t0_wall_us + first;
}

void gp_shard_leaks_cleanup(gp_shard_leaks *l)
{
    size_t i;

    for (i = 0; l && i < l->n; i++) {
        free(l->examples[i].expected);
        free(l->examples[i].received);
        free(l->examples[i].cause);
    }
    if (l)
        memset(l, 0, sizeof *l);
}

/* The bound of n steps (repeats expanded), saturating rather than overflowing. */
static int64_t steps_bound(const gp_scenario *s, const gp_step *st, size_t n, int64_t cap)
{
    const gp_timeouts *t = &s->timeouts;
    int64_t connect = t->connect_us > 0 ? t->connect_us : 10 * 1000000LL,
            run = t->run_us > 0 ? t->run_us : 60 * 1000000LL,
            expect = t->expect_us > 0 ? t->expect_us : 10 * 1000000LL,
            linger = t->linger_us > 0 ? t->linger_us : 0,
            close = t->close_us > 0 ? t->close_us : 2 * 1000000LL, sum = 0, b;
    size_t i;

    for (i = 0; i < n && sum < cap; i++) {
        switch (st[i].kind) {
        case GP_STEP_CONNECT:
            b = close + connect; /* a connect while connected closes first */
            break;
        case GP_STEP_EXPECT:
            b = st[i].u.expect.timeout_us > 0 ? st[i].u.expect.timeout_us : expect;
            break;
        case GP_STEP_EXPECT_RUN:
            b = (st[i].u.expect_run.deadline_us > 0 ? st[i].u.expect_run.deadline_us : run) +
                linger;
            break;
        case GP_STEP_THINK:
            b = st[i].u.think.max_us > st[i].u.think.min_us ? st[i].u.think.max_us
                                                            : st[i].u.think.min_us;
            break;
        case GP_STEP_PING:
            b = st[i].u.ping.timeout_us > 0 ? st[i].u.ping.timeout_us : expect;
            break;
        case GP_STEP_CLOSE:
            b = close;
            break;
        case GP_STEP_RECONNECT:
            b = close + st[i].u.reconnect.delay_us + connect;
            break;
        case GP_STEP_REPEAT:
            b = steps_bound(s, st[i].u.repeat.steps, st[i].u.repeat.nsteps, cap);
            b = st[i].u.repeat.count && b > cap / (int64_t)st[i].u.repeat.count
                    ? cap
                    : b * (int64_t)st[i].u.repeat.count;
            break;
        default:
            b = 0;
            break;
        }
        sum = b > cap - sum ? cap : sum + (b > 0 ? b : 0);
    }
    return sum;
}

int64_t gp_shard_slot_us(const gp_scenario *s)
{
    /* Far beyond any --start-at: a slot this long just means "not together". */
    const int64_t cap = (int64_t)365 * 24 * 3600 * 1000000;
    int64_t b = steps_bound(s, s->steps, s->nsteps, cap);

    int64_t start = s->users.ramp_up_us > 0 ? s->users.ramp_up_us : 0;

    /* A load shape starts users (or iterations) until its duration is over (stages: their
     * total); the last one then runs its steps. */
    if (s->users.shape.duration_us > start &&
        (gp_shape_open(&s->users.shape) || gp_shape_soak(&s->users.shape)))
        start = s->users.shape.duration_us;
    b += start;
    return (b < cap ? b : cap) + GP_SHARD_SLOT_MARGIN_US;
}
