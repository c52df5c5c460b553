/* runner_shape.c - load shapes (issue 9): open-model arrivals and soak iterations. */
#include <openssl/rand.h>
#include <stdlib.h>
#include <string.h>

#include "runner_int.h"

/* ---- load shapes (issue 9): open-model arrivals and soak iterations ---- */

/* An open-model user arrives: it starts, or, when max_active users are in flight, it is a
 * dropped arrival, counted and never judged. Returns true when it was dropped. */
bool gp_rn_shape_arrive(conn *c)
{
    runner *r = c->r;

    if (!gp_shape_open(&r->shape))
        return false;
    if (r->shape.max_active && r->active >= r->shape.max_active) {
        c->dropped = true;
        if (r->dropped == r->dropped_cap) {
            r->dropped_cap = r->dropped_cap ? r->dropped_cap * 2 : 64;
            r->dropped_at = gp_realloc(r->dropped_at, r->dropped_cap * sizeof *r->dropped_at);
        }
        r->dropped_at[r->dropped++] = gp_now_us() - r->t0;
        gp_rn_finish_user(c);
        return true;
    }
    r->active++;
    return false;
}

/* The user's steps are over and its connection closed. In a soak whose duration leaves room,
 * its finished iteration is kept and the next one begins after the pause, with a fresh
 * transcript, nonce and credential; returns true then. Otherwise false: the user is done. */
bool gp_rn_shape_user_done(conn *c)
{
    runner *r = c->r;
    gp_transcript *t;
    gp_err err = {0};
    char nonce[33];
    uint32_t rnd = 0;
    int64_t pause;

    if (gp_shape_open(&r->shape) && !c->dropped && r->active)
        r->active--;
    if (!gp_shape_soak(&r->shape) || r->stopping || r->stop)
        return false;
    if (RAND_bytes((unsigned char *)&rnd, sizeof rnd) != 1)
        rnd = (uint32_t)gp_now_us();
    pause = gp_shape_pause(&r->shape, rnd);
    if (r->shape.nstages) {
        /* stages: the next iteration waits until the target wants this user again */
        int64_t at =
            gp_shape_next_wanted(&r->shape, (unsigned)c->index, gp_now_us() + pause - r->t0);

        if (at < 0)
            return false;
        pause = r->t0 + at - gp_now_us();
    }
    if (gp_now_us() + pause >= r->shape_end)
        return false;
    /* A soak's transcripts together stay within the run's bound on transcript memory. */
    if (r->iter_bytes + c->t->bytes + (size_t)r->nusers * c->t->max_bytes >
        GP_TRANSCRIPTS_RUN_MAX_BYTES) {
        gp_rn_record(
            c, GP_FR_NOTE, -1,
            "soak: no further iteration for this user: the run's transcripts reached their "
            "memory bound");
        return false;
    }
    r->iter_bytes += c->t->bytes;
    if (r->niters == r->iters_cap) {
        r->iters_cap = r->iters_cap ? r->iters_cap * 2 : 64;
        r->iters = gp_realloc(r->iters, r->iters_cap * sizeof *r->iters);
    }
    r->iters[r->niters++] = c->t;
    gp_rn_random_hex(nonce, 16);
    free(c->nonce);
    c->nonce = gp_strdup(nonce);
    t = gp_transcript_new(c->index, c->user_id, c->nonce);
    t->iteration = c->t->iteration + 1;
    t->max_frames = c->t->max_frames;
    t->max_bytes = c->t->max_bytes;
    t->frame_cost = c->t->frame_cost;
    c->t = t;
    if (r->s->auth.kind == GP_AUTH_JWT) {
        char *tok = gp_rn_mint(c, r->secret, false, &err);

        /* a long soak outlives one token's lifetime: each iteration gets a new one */
        if (tok) {
            free(c->token);
            c->token = gp_rn_remember(r, tok);
        }
    }
    free(c->cur_token);
    free(c->last_mismatch);
    free(c->run_thread);
    c->cur_token = c->last_mismatch = c->run_thread = NULL;
    json_decref(c->captured);
    c->captured = NULL;
    c->stack[0].steps = r->s->steps;
    c->stack[0].n = r->s->nsteps;
    c->stack[0].pos = 0;
    c->stack[0].remaining = 0;
    c->depth = 1;
    c->step = NULL;
    c->scan_from = 0;
    c->abort_after_close = c->reconnect_after_close = false;
    c->timeout_deferred = false;
    c->state = CS_IDLE;
    gp_rn_arm_delay(c, pause);
    return true;
}

/* ---- split runs (workers, shards): each part's share of the open model's cap ---- */

unsigned gp_runner_part_cap(unsigned cap, unsigned index, unsigned count)
{
    if (count <= 1)
        return cap;
    return cap / count + (index % count < cap % count ? 1 : 0);
}
