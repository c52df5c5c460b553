/* match.h - matching a received frame against an expect step: JSON subset, path predicates,
 * and captures into variables. Pure functions over jansson values. */
#ifndef GP_MATCH_H
#define GP_MATCH_H

#include <jansson.h>

#include "event.h"
#include "scenario.h"
#include "template.h"

/* Resolves path against frame: a dotted path ("payload.thread_id", "items.0.id") from the
 * root, or for a bare name the event-field lookup of the profile (top level, then each
 * container, after unwrapping wrappers). Returns a borrowed reference or NULL. */
json_t *gp_match_lookup(json_t *frame, const gp_profile *p, const char *path);

/* True when every key of subset is in frame with an equal value (recursively; arrays must be
 * equal element by element; strings in subset are template-expanded with vars first). */
bool gp_match_subset(const json_t *subset, const json_t *frame, const gp_vars *vars);

/* Checks step (GP_STEP_EXPECT) against frame. Returns true on a match. On a mismatch, if why
 * is non-NULL, writes a one-line reason ("payload.status: expected \"ok\", got \"err\"") into
 * why (size bytes). */
bool gp_match_expect(const gp_step *step, json_t *frame, const gp_profile *p, const gp_vars *vars,
                     char *why, size_t size);

/* Copies each capture's value (strings as-is, other values as compact JSON text) into
 * captured (an object). Returns the number of captures that found nothing. */
size_t gp_match_capture(const gp_capture *caps, size_t n, json_t *frame, const gp_profile *p,
                        json_t *captured);

#endif
