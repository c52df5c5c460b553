/* scenario_yaml.h - internal to the scenario loader (scenario_load.c, scenario_steps.c,
 * scenario_yaml.c): the loader's state and the typed YAML layer every section reads through
 * (errors with positions, ${ENV} resolution, typed getters, mappings with key suggestions,
 * {{variable}} checks). Not part of the model's interface: only gp_scenario it fills is. */
#ifndef GP_SCENARIO_YAML_H
#define GP_SCENARIO_YAML_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <yaml.h>

#include "scenario.h"

#define FILE_MAX (4u << 20)
#define DEPTH_MAX 32
/* The whole document's nesting: a value's DEPTH_MAX plus the levels above it (root, steps, a
 * step, its key). The prepass refuses deeper documents at once: libyaml's scanner costs
 * O(depth) per token inside flow collections, so 100k-deep nesting took a minute to reach the
 * later check. */
#define DOC_DEPTH_MAX (DEPTH_MAX + 8)
#define USERS_MAX 100000
#define REPEAT_MAX 100000

typedef struct loader {
    const char *path;
    char *dir; /* the scenario's directory, for relative file names */
    gp_err *err;
    yaml_document_t doc;
    gp_scenario *s;
    char **vars; /* variables captured so far, in document order */
    size_t nvars;
    int next_id;
    unsigned flags; /* GP_LOAD_* */
} loader;

/* What a template may refer to. */
enum { VARS_BUILTIN = 1, VARS_CAPTURED = 2, VARS_NO_USER_ID = 4 };

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

typedef enum { T_NULL, T_BOOL, T_INT, T_REAL, T_STR } scalar_type;

typedef int (*pair_fn)(loader *ld, const char *key, yaml_node_t *k, yaml_node_t *v, void *ctx);

/* Set the loader's error (the first wins) at a position, or at node n; return -1. */
int gp_ld_fail_at(loader *ld, int line, int col, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
int gp_ld_fail(loader *ld, const yaml_node_t *n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
yaml_node_t *gp_ld_node_at(loader *ld, int idx);
const char *gp_ld_raw(const yaml_node_t *n);
bool gp_ld_is_scalar(const yaml_node_t *n);
bool gp_ld_is_null(const yaml_node_t *n);
const char *gp_ld_describe(const yaml_node_t *n, char *buf, size_t size);
const char *gp_ld_suggest(const char *word, const char *const *known, size_t n);
void gp_ld_join_names(const char *const *names, size_t n, char *buf, size_t size);
bool gp_ld_env_name_ok(const char *s, size_t n);
int gp_ld_get_string(loader *ld, const yaml_node_t *n, const char *what, char **out);
int gp_ld_get_nonempty(loader *ld, const yaml_node_t *n, const char *what, char **out);
int gp_ld_get_int(loader *ld, const yaml_node_t *n, const char *what, long long min, long long max,
                  long long *out);
int gp_ld_get_bool(loader *ld, const yaml_node_t *n, const char *what, bool *out);
int gp_ld_get_duration(loader *ld, const yaml_node_t *n, const char *what, int64_t *out);
int gp_ld_get_positive_duration(loader *ld, const yaml_node_t *n, const char *what, int64_t *out);
int gp_ld_get_enum(loader *ld, const yaml_node_t *n, const char *what, const char *const *names,
                   size_t count, int *out);
int gp_ld_get_size(loader *ld, const yaml_node_t *n, const char *what, size_t min, size_t max,
                   size_t *out);
int gp_ld_get_string_list(loader *ld, const yaml_node_t *n, const char *what, char ***out,
                          size_t *nout);
yaml_node_pair_t *gp_ld_first_duplicate(loader *ld, yaml_node_t *map, bool nocase,
                                        yaml_node_t **first);
int gp_ld_fail_duplicate(loader *ld, yaml_node_t *k, const yaml_node_t *first);
int gp_ld_each_pair(loader *ld, yaml_node_t *map, const char *where, const char *const *known,
                    size_t nknown, pair_fn fn, void *ctx);
int gp_ld_want_map(loader *ld, yaml_node_t *n, const char *what, bool *empty);
bool gp_ld_captured(const loader *ld, const char *name);
int gp_ld_get_template(loader *ld, const yaml_node_t *n, const char *what, int allow, char **out);
json_t *gp_ld_to_json(loader *ld, yaml_node_t *n, const char *what, int allow, int depth);
int gp_ld_load_steps(loader *ld, yaml_node_t *seq, const char *what, gp_step **out, size_t *nout,
                     int depth);
int gp_ld_path_and_test(loader *ld, yaml_node_t *item, const char *what, const char *const *keys,
                        size_t nkeys, const char *example, const char *tests, yaml_node_t **path,
                        yaml_node_t **op, yaml_node_t **opk);
/* The protocol section, one key at a time (a pair_fn; scenario_protocol.c). */
int gp_ld_protocol_pair(loader *ld, const char *key, yaml_node_t *k, yaml_node_t *v, void *ctx);

#endif
