/* health.c - the stall windows of a run: kept sorted and merged so that asking whether a
 * wait overlaps one costs a binary search, whatever the number of users. */
#include "health.h"

#include <stdlib.h>
#include <string.h>

#include "gp_common.h"

void gp_health_cleanup(gp_health *h)
{
    if (!h)
        return;
    free(h->stalls);
    memset(h, 0, sizeof *h);
}

void gp_health_copy(gp_health *dst, const gp_health *src)
{
    *dst = *src;
    dst->stalls = NULL;
    if (src->nstalls) {
        dst->stalls = gp_calloc(src->nstalls, sizeof *dst->stalls);
        memcpy(dst->stalls, src->stalls, src->nstalls * sizeof *dst->stalls);
    }
}

void gp_health_add_stall(gp_health *h, int64_t from_us, int64_t to_us, int64_t lag_us)
{
    gp_stall *last = h->nstalls ? &h->stalls[h->nstalls - 1] : NULL;

    if (to_us < from_us)
        to_us = from_us;
    if (last && (from_us <= last->to_us || h->nstalls >= GP_HEALTH_MAX_STALLS)) {
        if (from_us < last->from_us)
            last->from_us = from_us;
        if (to_us > last->to_us)
            last->to_us = to_us;
        if (lag_us > last->lag_us)
            last->lag_us = lag_us;
        return;
    }
    h->stalls = gp_realloc(h->stalls, (h->nstalls + 1) * sizeof *h->stalls);
    h->stalls[h->nstalls].from_us = from_us;
    h->stalls[h->nstalls].to_us = to_us;
    h->stalls[h->nstalls].lag_us = lag_us;
    h->nstalls++;
}

/* The first window that ends at or after from_us, or h->nstalls. Stalls are sorted. */
static size_t first_ending_after(const gp_health *h, int64_t from_us)
{
    size_t lo = 0, hi = h->nstalls;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;

        if (h->stalls[mid].to_us < from_us)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

bool gp_health_overlaps(const gp_health *h, int64_t from_us, int64_t to_us)
{
    return gp_health_worst_lag(h, from_us, to_us) > 0;
}

int64_t gp_health_worst_lag(const gp_health *h, int64_t from_us, int64_t to_us)
{
    size_t i;
    int64_t worst = 0;
    bool any = false;

    if (!h || !h->nstalls)
        return 0;
    if (to_us < from_us) {
        int64_t t = from_us;

        from_us = to_us;
        to_us = t;
    }
    for (i = first_ending_after(h, from_us); i < h->nstalls && h->stalls[i].from_us <= to_us; i++) {
        any = true;
        if (h->stalls[i].lag_us > worst)
            worst = h->stalls[i].lag_us;
    }
    /* A stall recorded without its lag still happened. */
    return any && worst <= 0 ? 1 : worst;
}
