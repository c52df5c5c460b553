/* scenario_shape.c - the loader's part of the load shapes (issue 9): the users keys duration,
 * pause, arrival_rate, arrivals, max_active and stages, read from the already-loaded YAML nodes
 * into gp_users.shape (shape.h), and the checks across them, each error at its key's
 * file:line:col. The arithmetic (schedules, stage targets) is shape.c's. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "scenario_shape.h"
#include "scenario_yaml.h"

/* One stage being read: where its target and rate keys sit (NULL when absent). */
typedef struct stage_ctx {
    gp_stage *st;
    yaml_node_t *target, *rate;
} stage_ctx;

static int stage_pair(loader *ld, const char *key, yaml_node_t *k, yaml_node_t *v, void *ctx)
{
    stage_ctx *sc = ctx;
    gp_stage *st = sc->st;
    long long n;
    char *text = NULL;
    int rc;

    if (!strcmp(key, "duration"))
        return gp_ld_get_positive_duration(ld, v, "users.stages.duration", &st->duration_us);
    if (!strcmp(key, "rate")) {
        sc->rate = k;
        if (gp_ld_get_string(ld, v, "users.stages.rate", &text) < 0)
            return -1;
        rc = gp_shape_parse_rate(text, &st->rate_per_s);
        if (rc < 0)
            gp_ld_fail(ld, v,
                       "users.stages.rate: malformed rate '%s' (use e.g. 20/s or 600/m; 0/s "
                       "ramps down to no arrivals)",
                       text);
        free(text);
        return rc;
    }
    sc->target = k;
    if (gp_ld_get_int(ld, v, "users.stages.target", 0, USERS_MAX, &n) < 0)
        return -1;
    st->target = (unsigned)n;
    return 0;
}

static int load_stages(loader *ld, yaml_node_t *v)
{
    static const char *const stage_keys[] = {"duration", "target", "rate"};
    gp_shape *sh = &ld->s->users.shape;
    yaml_node_item_t *it;
    unsigned top = 0;
    char buf[80];

    if (v->type != YAML_SEQUENCE_NODE || v->data.sequence.items.top == v->data.sequence.items.start)
        return gp_ld_fail(ld, v,
                          "users.stages: expected a non-empty list of {duration, target} or "
                          "{duration, rate}, got %s",
                          gp_ld_describe(v, buf, sizeof buf));
    sh->nstages = (size_t)(v->data.sequence.items.top - v->data.sequence.items.start);
    sh->stages = gp_calloc(sh->nstages, sizeof *sh->stages);
    sh->duration_us = 0;
    for (it = v->data.sequence.items.start; it < v->data.sequence.items.top; it++) {
        yaml_node_t *e = gp_ld_node_at(ld, *it);
        size_t idx = (size_t)(it - v->data.sequence.items.start);
        gp_stage *st = &sh->stages[idx];
        stage_ctx sc = {st, NULL, NULL};
        bool empty;

        if (gp_ld_want_map(ld, e, "users.stages", &empty) < 0)
            return -1;
        if (empty || gp_ld_each_pair(ld, e, "users.stages", stage_keys, COUNT(stage_keys),
                                     stage_pair, &sc) < 0)
            return empty ? gp_ld_fail(ld, e,
                                      "users.stages: a stage needs duration and target (active "
                                      "users) or rate (arrivals)")
                         : -1;
        if (sc.target && sc.rate)
            return gp_ld_fail(
                ld, sc.target->start_mark.index > sc.rate->start_mark.index ? sc.target : sc.rate,
                "users.stages: a stage has target (active users, the closed model) "
                "or rate (arrivals, the open model), not both");
        if (!st->duration_us)
            return gp_ld_fail(ld, e, "users.stages: missing required key 'duration' in a stage");
        if (!sc.target && !sc.rate)
            return gp_ld_fail(ld, e,
                              "users.stages: missing required key 'target' (active users) or "
                              "'rate' (arrivals) in a stage");
        if (idx == 0)
            sh->rate_stages = sc.rate != NULL;
        else if (sh->rate_stages != (sc.rate != NULL))
            return gp_ld_fail(ld, sc.rate ? sc.rate : sc.target,
                              "users.stages.%s: the stages before are of %s; all stages are of "
                              "target (active users, the closed model) or all of rate "
                              "(arrivals, the open model)",
                              sc.rate ? "rate" : "target", sc.rate ? "target" : "rate");
        if (sh->duration_us > GP_DURATION_MAX_US - st->duration_us)
            return gp_ld_fail(ld, e,
                              "users.stages: the stages last longer than goldenpath accepts");
        sh->duration_us += st->duration_us;
        if (st->target > top)
            top = st->target;
    }
    if (sh->rate_stages)
        return 0; /* the open model: gp_ld_shape_check sees the rates with arrival_rate */
    if (!top)
        return gp_ld_fail(ld, v, "users.stages: every target is 0, so no user would run");
    ld->s->users.count = top;
    return 0;
}

static int pause_pair(loader *ld, const char *key, yaml_node_t *k, yaml_node_t *v, void *ctx)
{
    gp_shape *sh = ctx;

    (void)k;
    return gp_ld_get_duration(ld, v, !strcmp(key, "min") ? "users.pause.min" : "users.pause.max",
                              !strcmp(key, "min") ? &sh->pause_min_us : &sh->pause_max_us);
}

int gp_ld_shape_pair(loader *ld, const char *key, yaml_node_t *k, yaml_node_t *v,
                     gp_ld_users_ctx *uc)
{
    static const char *const pause_keys[] = {"min", "max"};
    static const char *const arrivals[] = {"even", "poisson"};
    gp_shape *sh = &ld->s->users.shape;
    long long n;
    char *text = NULL;
    int e, rc;

    if (!strcmp(key, "stages")) {
        uc->stages = k;
        return load_stages(ld, v);
    }
    if (!strcmp(key, "duration")) {
        uc->duration = k;
        return gp_ld_get_positive_duration(ld, v, "users.duration", &sh->duration_us);
    }
    if (!strcmp(key, "pause")) {
        uc->pause = k;
        if (v->type == YAML_MAPPING_NODE) {
            if (gp_ld_each_pair(ld, v, "users.pause", pause_keys, COUNT(pause_keys), pause_pair,
                                sh) < 0)
                return -1;
            if (sh->pause_max_us < sh->pause_min_us)
                return gp_ld_fail(ld, v, "users.pause: max is shorter than min");
            return 0;
        }
        if (gp_ld_get_duration(ld, v, "users.pause", &sh->pause_min_us) < 0)
            return -1;
        sh->pause_max_us = sh->pause_min_us;
        return 0;
    }
    if (!strcmp(key, "arrival_rate")) {
        uc->rate = k;
        if (gp_ld_get_string(ld, v, "users.arrival_rate", &text) < 0)
            return -1;
        rc = gp_shape_parse_rate(text, &sh->rate_per_s);
        if (rc < 0)
            gp_ld_fail(ld, v, "users.arrival_rate: malformed rate '%s' (use e.g. 20/s or 600/m)",
                       text);
        else if (sh->rate_per_s <= 0)
            rc = gp_ld_fail(ld, v,
                            "users.arrival_rate: must be above 0 (users per second or minute)");
        free(text);
        return rc;
    }
    if (!strcmp(key, "arrivals")) {
        uc->arrivals = k;
        if (gp_ld_get_enum(ld, v, "users.arrivals", arrivals, COUNT(arrivals), &e) < 0)
            return -1;
        sh->arrivals = (gp_arrivals)e;
        return 0;
    }
    uc->max_active = k;
    if (gp_ld_get_int(ld, v, "users.max_active", 1, USERS_MAX, &n) < 0)
        return -1;
    sh->max_active = (unsigned)n;
    return 0;
}

int gp_ld_shape_check(loader *ld, const gp_ld_users_ctx *uc)
{
    const gp_shape *sh = &ld->s->users.shape;
    /* the open model: an arrival rate, constant or in stages of rates */
    bool open = uc->rate || (uc->stages && sh->rate_stages);
    yaml_node_t *openk = uc->stages ? uc->stages : uc->rate;

    if (uc->stages &&
        (uc->count || uc->duration || uc->ramp_up || (uc->rate && !sh->rate_stages))) {
        yaml_node_t *k = uc->count      ? uc->count
                         : uc->duration ? uc->duration
                         : uc->ramp_up  ? uc->ramp_up
                                        : uc->rate;

        return gp_ld_fail(ld, k,
                          "users.%s: does not go with users.stages (the stages set the users "
                          "and how long they run%s)",
                          (const char *)k->data.scalar.value,
                          k == uc->rate ? "; stages of rate start from arrival_rate" : "");
    }
    if (uc->stages && sh->rate_stages && !uc->rate) {
        size_t j;

        for (j = 0; j < sh->nstages && sh->stages[j].rate_per_s <= 0; j++)
            ;
        if (j == sh->nstages)
            return gp_ld_fail(ld, uc->stages,
                              "users.stages: every rate is 0 (and no users.arrival_rate to start "
                              "from), so no user would arrive");
    }
    if (uc->rate && uc->count)
        return gp_ld_fail(ld, uc->count,
                          "users.count: the open model (arrival_rate) starts users at a rate; "
                          "remove count, or arrival_rate for the closed model");
    if (uc->rate && uc->ramp_up)
        return gp_ld_fail(ld, uc->ramp_up,
                          "users.ramp_up: does not apply to arrival_rate (the rate "
                          "spreads the starts)");
    if (uc->rate && !uc->duration && !uc->stages)
        return gp_ld_fail(ld, uc->rate,
                          "users.arrival_rate: needs users.duration (how long users "
                          "arrive)");
    if (open && uc->pause)
        return gp_ld_fail(ld, uc->pause,
                          "users.pause: applies to the closed model (count with "
                          "duration, or stages of target); an arriving user runs once");
    if (!open && uc->max_active)
        return gp_ld_fail(ld, uc->max_active,
                          "users.max_active: needs users.arrival_rate or stages of rate (the "
                          "open model)");
    if (!open && uc->arrivals)
        return gp_ld_fail(ld, uc->arrivals,
                          "users.arrivals: needs users.arrival_rate or stages of rate (the open "
                          "model)");
    if (uc->pause && !uc->duration && !uc->stages)
        return gp_ld_fail(ld, uc->pause,
                          "users.pause: needs users.duration (each user repeats its "
                          "steps until it is over)");
    if (open && gp_shape_planned(sh, sh->duration_us) > GP_SHAPE_ARRIVALS_MAX)
        return gp_ld_fail(ld, openk, "users.%s: %.0f arrivals over %s, more than %d",
                          uc->stages ? "stages" : "arrival_rate",
                          gp_shape_planned(sh, sh->duration_us),
                          uc->stages ? "the stages" : "users.duration", USERS_MAX);
    return 0;
}
