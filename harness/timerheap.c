/* timerheap.c - a binary min-heap ordered by (deadline, arming order). Each timer keeps its
 * slot so that cancelling or re-arming one is a sift, never a search. */
#include "timerheap.h"

#include <stdlib.h>

#include "gp_common.h"

void gp_timerheap_init(gp_timerheap *h)
{
    h->v = NULL;
    h->n = h->cap = 0;
    h->seq = 0;
}

void gp_timerheap_cleanup(gp_timerheap *h)
{
    size_t i;

    for (i = 0; i < h->n; i++)
        h->v[i]->slot = 0;
    free(h->v);
    gp_timerheap_init(h);
}

static bool before(const gp_timer *a, const gp_timer *b)
{
    return a->at_us < b->at_us || (a->at_us == b->at_us && a->seq < b->seq);
}

static void place(gp_timerheap *h, size_t i, gp_timer *t)
{
    h->v[i] = t;
    t->slot = i + 1;
}

static void sift_up(gp_timerheap *h, size_t i)
{
    gp_timer *t = h->v[i];

    while (i > 0) {
        size_t parent = (i - 1) / 2;

        if (!before(t, h->v[parent]))
            break;
        place(h, i, h->v[parent]);
        i = parent;
    }
    place(h, i, t);
}

static void sift_down(gp_timerheap *h, size_t i)
{
    gp_timer *t = h->v[i];

    for (;;) {
        size_t c = 2 * i + 1;

        if (c >= h->n)
            break;
        if (c + 1 < h->n && before(h->v[c + 1], h->v[c]))
            c++;
        if (!before(h->v[c], t))
            break;
        place(h, i, h->v[c]);
        i = c;
    }
    place(h, i, t);
}

static void remove_at(gp_timerheap *h, size_t i)
{
    gp_timer *t = h->v[i], *last = h->v[--h->n];

    t->slot = 0;
    if (i == h->n)
        return;
    place(h, i, last);
    if (i > 0 && before(last, h->v[(i - 1) / 2]))
        sift_up(h, i);
    else
        sift_down(h, i);
}

void gp_timer_arm(gp_timerheap *h, gp_timer *t, int64_t at_us, gp_timer_fn fn)
{
    if (t->slot)
        remove_at(h, t->slot - 1);
    t->at_us = at_us;
    t->seq = h->seq++;
    t->fn = fn;
    if (h->n == h->cap) {
        h->cap = h->cap ? h->cap * 2 : 64;
        h->v = gp_realloc(h->v, h->cap * sizeof *h->v);
    }
    place(h, h->n++, t);
    sift_up(h, h->n - 1);
}

void gp_timer_cancel(gp_timerheap *h, gp_timer *t)
{
    if (t->slot)
        remove_at(h, t->slot - 1);
}

int64_t gp_timerheap_next(const gp_timerheap *h)
{
    return h->n ? h->v[0]->at_us : INT64_MAX;
}

gp_timer *gp_timerheap_pop_due(gp_timerheap *h, int64_t now_us)
{
    gp_timer *t;

    if (!h->n || h->v[0]->at_us > now_us)
        return NULL;
    t = h->v[0];
    remove_at(h, 0);
    return t;
}
