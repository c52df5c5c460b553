/* shape.c - arrival schedules and iteration pauses of the load shapes (see shape.h). Only
 * arithmetic: the loader validates, the runner keeps the users. */
#include "shape.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "gp_common.h"

bool gp_shape_open(const gp_shape *sh)
{
    return sh && (sh->rate_per_s > 0 || sh->rate_stages);
}

bool gp_shape_soak(const gp_shape *sh)
{
    return sh && !gp_shape_open(sh) && (sh->duration_us > 0 || sh->nstages > 0);
}

int gp_shape_parse_rate(const char *text, double *per_s)
{
    char *end = NULL;
    double v;

    /* digits and one point only: no sign, exponent, hex, inf or nan (as the schema says) */
    if (!text || strspn(text, "0123456789.") == 0 || strchr(text, '.') != strrchr(text, '.'))
        return -1;
    v = strtod(text, &end);
    if ((size_t)(end - text) != strspn(text, "0123456789."))
        return -1;
    if (end == text || !isfinite(v) || v < 0)
        return -1;
    while (*end == ' ')
        end++;
    if (*end++ != '/')
        return -1;
    while (*end == ' ')
        end++;
    if (!strcmp(end, "s"))
        *per_s = v;
    else if (!strcmp(end, "m"))
        *per_s = v / 60.0;
    else
        return -1;
    return 0;
}

double gp_shape_planned(const gp_shape *sh, int64_t duration_us)
{
    return gp_shape_open(sh) ? ceil(gp_shape_expected(sh, duration_us) - 1e-9) : 0;
}

double gp_shape_rate_at(const gp_shape *sh, int64_t t_us)
{
    double from;
    int64_t start = 0;
    size_t k;

    if (!gp_shape_open(sh))
        return 0;
    from = sh->rate_per_s;
    if (!sh->rate_stages)
        return from;
    for (k = 0; k < sh->nstages; k++) {
        const gp_stage *st = &sh->stages[k];

        if (t_us < start + st->duration_us)
            return from +
                   (st->rate_per_s - from) * (double)(t_us - start) / (double)st->duration_us;
        from = st->rate_per_s;
        start += st->duration_us;
    }
    return from;
}

double gp_shape_expected(const gp_shape *sh, int64_t t_us)
{
    double from, acc = 0;
    int64_t start = 0;
    size_t k;

    if (!gp_shape_open(sh) || t_us <= 0)
        return 0;
    from = sh->rate_per_s;
    if (!sh->rate_stages)
        return from * (double)t_us / 1e6;
    for (k = 0; k < sh->nstages; k++) {
        const gp_stage *st = &sh->stages[k];
        double d = (double)st->duration_us / 1e6, to = st->rate_per_s;

        if (t_us < start + st->duration_us) {
            double x = (double)(t_us - start) / 1e6;

            return acc + from * x + (to - from) * x * x / (2 * d);
        }
        acc += (from + to) / 2 * d;
        from = to;
        start += st->duration_us;
    }
    return acc + from * (double)(t_us - start) / 1e6;
}

int64_t gp_shape_arrival_at(const gp_shape *sh, double m)
{
    double from, acc = 0;
    int64_t start = 0;
    size_t k;

    if (!gp_shape_open(sh))
        return INT64_MAX;
    if (m < 0)
        m = 0;
    from = sh->rate_per_s;
    if (!sh->rate_stages)
        return (int64_t)(m * (1e6 / from)); /* k / rate: as a constant rate always planned */
    for (k = 0; k < sh->nstages; k++) {
        const gp_stage *st = &sh->stages[k];
        double d = (double)st->duration_us / 1e6, to = st->rate_per_s, total = (from + to) / 2 * d;
        double left = m - acc;

        if (left <= 0)
            return start;
        if (left <= total) {
            /* from * x + (to - from) * x^2 / (2d) = left, solved in the form that stays exact
             * when to == from (no division by to - from) */
            double disc = from * from + 2 * (to - from) * left / d, x;

            x = 2 * left / (from + sqrt(disc > 0 ? disc : 0));
            if (!(x >= 0))
                x = 0;
            if (x > d)
                x = d;
            return start + (int64_t)(x * 1e6);
        }
        acc += total;
        from = to;
        start += st->duration_us;
    }
    if (m <= acc)
        return start;
    if (from <= 0)
        return INT64_MAX;
    return start + (int64_t)((m - acc) / from * 1e6);
}

size_t gp_shape_stage_at(const gp_shape *sh, int64_t t_us)
{
    int64_t start = 0;
    size_t k;

    if (!sh)
        return 0;
    for (k = 0; k < sh->nstages; k++) {
        start += sh->stages[k].duration_us;
        if (t_us < start)
            return k;
    }
    return sh->nstages;
}

int64_t gp_shape_stage_start(const gp_shape *sh, size_t k)
{
    int64_t start = 0;
    size_t j;

    for (j = 0; sh && j < k && j < sh->nstages; j++)
        start += sh->stages[j].duration_us;
    return start;
}

/* splitmix64: a small, seedable generator; the plan must be reproducible from its seed. */
static uint64_t next_rand(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

size_t gp_shape_schedule(const gp_shape *sh, int64_t duration_us, uint64_t seed, size_t max,
                         int64_t **out)
{
    int64_t *at = NULL, t;
    size_t n = 0, cap = 0;
    double m = 0, end;

    *out = NULL;
    if (!gp_shape_open(sh) || duration_us <= 0)
        return 0;
    end = gp_shape_expected(sh, duration_us);
    for (;;) {
        if (sh->arrivals == GP_ARRIVALS_POISSON) {
            /* uniform in (0, 1]: never log(0) */
            double u = ((double)(next_rand(&seed) >> 11) + 1.0) / 9007199254740992.0;

            m += -log(u);
        } else {
            m = (double)n;
        }
        /* m below Lambda(duration): where the rate ends at 0, no arrival at its very end */
        if (m >= end - 1e-9 || n >= max)
            break;
        t = gp_shape_arrival_at(sh, m);
        if (t >= duration_us)
            break;
        if (n == cap) {
            cap = cap ? cap * 2 : 64;
            at = gp_realloc(at, cap * sizeof *at);
        }
        at[n++] = t;
    }
    *out = at;
    return n;
}

int64_t gp_shape_pause(const gp_shape *sh, uint32_t rnd)
{
    int64_t lo = sh->pause_min_us, hi = sh->pause_max_us;

    if (hi <= lo)
        return lo;
    return lo + (int64_t)((double)rnd / 4294967296.0 * (double)(hi - lo));
}

const char *gp_shape_model_name(const gp_shape *sh)
{
    return gp_shape_open(sh)   ? "open"
           : sh && sh->nstages ? "stages"
           : gp_shape_soak(sh) ? "soak"
                               : "closed";
}

void gp_shape_cleanup(gp_shape *sh)
{
    if (!sh)
        return;
    free(sh->stages);
    sh->stages = NULL;
    sh->nstages = 0;
}

double gp_shape_target_at(const gp_shape *sh, int64_t t_us)
{
    double from = 0;
    int64_t start = 0;
    size_t k;

    if (!sh || !sh->nstages || sh->rate_stages)
        return 0;
    for (k = 0; k < sh->nstages; k++) {
        const gp_stage *st = &sh->stages[k];

        if (t_us < start + st->duration_us)
            return from +
                   ((double)st->target - from) * (double)(t_us - start) / (double)st->duration_us;
        from = st->target;
        start += st->duration_us;
    }
    return from;
}

int64_t gp_shape_next_wanted(const gp_shape *sh, unsigned index, int64_t t_us)
{
    double from = 0, want = (double)index;
    int64_t start = 0;
    size_t k;

    if (!sh || !sh->nstages || sh->rate_stages)
        return -1;
    for (k = 0; k < sh->nstages; k++) {
        const gp_stage *st = &sh->stages[k];
        int64_t end = start + st->duration_us, at = t_us > start ? t_us : start;
        double to = st->target;

        if (at < end) {
            double v = from + (to - from) * (double)(at - start) / (double)st->duration_us;

            if (v > want)
                return at;
            if (to > want) {
                /* rising through index: the first microsecond above it */
                int64_t x = start +
                            (int64_t)floor((want - from) * (double)st->duration_us / (to - from)) +
                            1;

                return x > at ? x : at;
            }
        }
        from = to;
        start = end;
    }
    return -1;
}
