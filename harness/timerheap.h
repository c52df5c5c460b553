/* timerheap.h - many deadlines, one wake-up: a binary min-heap of timers embedded in their
 * owners. Arming, re-arming and cancelling cost O(log n) whatever the number of users, so the
 * runner keeps every per-user deadline here and gives the event loop a single timer for the
 * earliest one. No clock of its own and no library types: the caller passes times in. */
#ifndef GP_TIMERHEAP_H
#define GP_TIMERHEAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct gp_timer;
typedef void (*gp_timer_fn)(struct gp_timer *t);

/* Embed in the owner and find the owner from the callback with a container_of. Zero it
 * before first use (a zeroed timer is not armed). */
typedef struct gp_timer {
    int64_t at_us; /* when it is due, on the caller's clock */
    uint64_t seq;  /* arming order: equal deadlines fire first-armed first */
    size_t slot;   /* 1 + its index in the heap, 0 when not armed */
    gp_timer_fn fn;
} gp_timer;

typedef struct gp_timerheap {
    gp_timer **v;
    size_t n;
    size_t cap;
    uint64_t seq;
} gp_timerheap;

void gp_timerheap_init(gp_timerheap *h);
/* Frees the heap's array; the timers themselves belong to their owners. */
void gp_timerheap_cleanup(gp_timerheap *h);
/* Arms t to call fn at at_us; an armed t is moved. */
void gp_timer_arm(gp_timerheap *h, gp_timer *t, int64_t at_us, gp_timer_fn fn);
/* Disarms t; safe on a timer that is not armed. */
void gp_timer_cancel(gp_timerheap *h, gp_timer *t);
static inline bool gp_timer_armed(const gp_timer *t)
{
    return t->slot != 0;
}
/* The earliest deadline, or INT64_MAX when nothing is armed. */
int64_t gp_timerheap_next(const gp_timerheap *h);
/* Disarms and returns the earliest timer due at or before now_us, or NULL. The caller calls
 * its fn (which may arm or cancel any timer, itself included). */
gp_timer *gp_timerheap_pop_due(gp_timerheap *h, int64_t now_us);

#endif
