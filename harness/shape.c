/* shape.c - arrival schedules and iteration pauses of the load shapes (see shape.h). Only
 * arithmetic: the loader validates, the runner keeps the users. */
#include "shape.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "gp_common.h"

bool gp_shape_open(const gp_shape *sh)
{
    return sh && sh->rate_per_s > 0;
}

bool gp_shape_soak(const gp_shape *sh)
{
    return sh && sh->rate_per_s <= 0 && (sh->duration_us > 0 || sh->nstages > 0);
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
    return sh->rate_per_s > 0 ? ceil(sh->rate_per_s * (double)duration_us / 1e6 - 1e-9) : 0;
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
    int64_t *at = NULL;
    size_t n = 0, cap = 0;
    double t = 0, gap;

    *out = NULL;
    if (!sh || sh->rate_per_s <= 0 || duration_us <= 0)
        return 0;
    gap = 1e6 / sh->rate_per_s;
    for (;;) {
        if (sh->arrivals == GP_ARRIVALS_POISSON) {
            /* uniform in (0, 1]: never log(0) */
            double u = ((double)(next_rand(&seed) >> 11) + 1.0) / 9007199254740992.0;

            t += -log(u) * gap;
        } else {
            t = (double)n * gap;
        }
        if (t >= (double)duration_us || n >= max)
            break;
        if (n == cap) {
            cap = cap ? cap * 2 : 64;
            at = gp_realloc(at, cap * sizeof *at);
        }
        at[n++] = (int64_t)t;
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

    if (!sh || !sh->nstages)
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

    if (!sh || !sh->nstages)
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
