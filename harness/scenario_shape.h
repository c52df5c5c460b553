/* scenario_shape.h - the loader's hooks for the load shapes (issue 9), inside gp_scenario:
 * scenario_load.c's users mapping hands the shape keys here and checks the keys together once
 * the mapping is read. Loader-internal (needs scenario_yaml.h's loader). */
#ifndef GP_SCENARIO_SHAPE_H
#define GP_SCENARIO_SHAPE_H

#include "scenario_yaml.h"

/* Where each users key sits (NULL when absent), for the checks across keys and their messages. */
typedef struct gp_ld_users_ctx {
    yaml_node_t *count, *ramp_up, *duration, *pause, *rate, *arrivals, *max_active, *stages;
} gp_ld_users_ctx;

/* Reads one shape key of users (duration, pause, arrival_rate, arrivals, max_active, stages)
 * from v into ld->s->users.shape, remembering k in uc. Returns 0 or -1 with ld's error set. */
int gp_ld_shape_pair(loader *ld, const char *key, yaml_node_t *k, yaml_node_t *v,
                     gp_ld_users_ctx *uc);

/* The checks across the users keys once the mapping is read: which model, and what each key
 * needs or excludes beside it. Returns 0 or -1 with ld's error set at the offending key. */
int gp_ld_shape_check(loader *ld, const gp_ld_users_ctx *uc);

#endif
