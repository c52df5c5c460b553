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

static int stage_pair(loader *ld, const char *key, yaml_node_t *k, yaml_node_t *v, void *ctx)
{
    gp_stage *st = ctx;
    long long n;

    if (!strcmp(key, "duration"))
        return gp_ld_get_positive_duration(ld, v, "users.stages.duration", &st->duration_us);
    if (!strcmp(key, "rate"))
        return gp_ld_fail(ld, k,
                          "users.stages.rate: stages of arrival rates (the open model) are not "
                          "supported yet; use target (active users)");
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
                          "users.stages: expected a non-empty list of {duration, target}, got %s",
                          gp_ld_describe(v, buf, sizeof buf));
    sh->nstages = (size_t)(v->data.sequence.items.top - v->data.sequence.items.start);
    sh->stages = gp_calloc(sh->nstages, sizeof *sh->stages);
    sh->duration_us = 0;
    for (it = v->data.sequence.items.start; it < v->data.sequence.items.top; it++) {
        yaml_node_t *e = gp_ld_node_at(ld, *it);
        gp_stage *st = &sh->stages[it - v->data.sequence.items.start];
        bool empty;

        st->target = UINT32_MAX;
        if (gp_ld_want_map(ld, e, "users.stages", &empty) < 0)
            return -1;
        if (empty || gp_ld_each_pair(ld, e, "users.stages", stage_keys, COUNT(stage_keys),
                                     stage_pair, st) < 0)
            return empty ? gp_ld_fail(ld, e, "users.stages: a stage needs duration and target")
                         : -1;
        if (!st->duration_us)
            return gp_ld_fail(ld, e, "users.stages: missing required key 'duration' in a stage");
        if (st->target == UINT32_MAX)
            return gp_ld_fail(ld, e, "users.stages: missing required key 'target' in a stage");
        if (sh->duration_us > GP_DURATION_MAX_US - st->duration_us)
            return gp_ld_fail(ld, e,
                              "users.stages: the stages last longer than goldenpath accepts");
        sh->duration_us += st->duration_us;
        if (st->target > top)
            top = st->target;
    }
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

    if (uc->stages && (uc->count || uc->duration || uc->ramp_up || uc->rate)) {
        yaml_node_t *k = uc->count      ? uc->count
                         : uc->duration ? uc->duration
                         : uc->ramp_up  ? uc->ramp_up
                                        : uc->rate;

        return gp_ld_fail(ld, k,
                          "users.%s: does not go with users.stages (the stages set the users "
                          "and how long they run)",
                          (const char *)k->data.scalar.value);
    }
    if (uc->rate && uc->count)
        return gp_ld_fail(ld, uc->count,
                          "users.count: the open model (arrival_rate) starts users at a rate; "
                          "remove count, or arrival_rate for the closed model");
    if (uc->rate && uc->ramp_up)
        return gp_ld_fail(ld, uc->ramp_up,
                          "users.ramp_up: does not apply to arrival_rate (the rate "
                          "spreads the starts)");
    if (uc->rate && !uc->duration)
        return gp_ld_fail(ld, uc->rate,
                          "users.arrival_rate: needs users.duration (how long users "
                          "arrive)");
    if (uc->rate && uc->pause)
        return gp_ld_fail(ld, uc->pause,
                          "users.pause: applies to the closed model (count with "
                          "duration); an arriving user runs once");
    if (!uc->rate && uc->max_active)
        return gp_ld_fail(ld, uc->max_active,
                          "users.max_active: needs users.arrival_rate (the open "
                          "model)");
    if (!uc->rate && uc->arrivals)
        return gp_ld_fail(ld, uc->arrivals,
                          "users.arrivals: needs users.arrival_rate (the open model)");
    if (uc->pause && !uc->duration && !uc->stages)
        return gp_ld_fail(ld, uc->pause,
                          "users.pause: needs users.duration (each user repeats its "
                          "steps until it is over)");
    if (uc->rate && gp_shape_planned(sh, sh->duration_us) > USERS_MAX)
        return gp_ld_fail(ld, uc->rate,
                          "users.arrival_rate: %.0f arrivals over users.duration, more than %d",
                          gp_shape_planned(sh, sh->duration_us), USERS_MAX);
    return 0;
}
