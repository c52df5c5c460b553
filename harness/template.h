/* template.h - per-user expansion of {{...}} variables in strings and JSON templates:
 * {{user.id}}, {{user.index}}, {{nonce}}, {{uuid}} (fresh per occurrence) and variables
 * captured by earlier steps. ${ENV} is not handled here: the loader resolves it. */
#ifndef GP_TEMPLATE_H
#define GP_TEMPLATE_H

#include <jansson.h>

#include "gp_common.h"

typedef struct gp_vars {
    const char *user_id;
    size_t user_index;
    const char *nonce;
    json_t *captured;     /* object: name -> string; borrowed, may be NULL */
    uint64_t *uuid_state; /* per-user counter/seed so {{uuid}} is unique; borrowed */
} gp_vars;

/* The built-in variable names, for validation ("user.id", "user.index", "nonce", "uuid"). */
bool gp_template_is_builtin(const char *name);

/* Expands tmpl into a new string (free() it). Returns NULL with err set when a variable is
 * unknown at run time. */
char *gp_template_expand(const char *tmpl, const gp_vars *vars, gp_err *err);
/* Deep copy of tmpl with every string expanded. Returns a new reference or NULL with err. */
json_t *gp_template_expand_json(const json_t *tmpl, const gp_vars *vars, gp_err *err);

/* The compact JSON text of gp_template_expand_json(tmpl) as json_dumps(JSON_COMPACT) writes it,
 * built without a jansson tree: *text (free() it). When mark is a string node of tmpl, its
 * expanded value is put in *mark_out (free() it; else NULL). Returns 1, or 0 when tmpl holds
 * what this writer leaves to jansson (a number, true, false or null, a templated key, a byte
 * past ASCII) or a variable does not expand: the caller then takes the jansson path, which
 * gives the same text or the error. */
int gp_template_dump(const json_t *tmpl, const gp_vars *vars, const json_t *mark, char **mark_out,
                     char **text);

/* n bytes from the OpenSSL generator, drawn from a per-process pool refilled 512 bytes at a
 * time (one RAND_bytes call per about 30 users instead of one per value); a child process
 * drops what it inherited at fork. Returns 0, or -1 when the generator fails. */
int gp_random_bytes(unsigned char *out, size_t n);
/* Writes n bytes as 2n lowercase hex digits and a NUL at out (2n + 1 bytes). */
void gp_hex_encode(char *out, const unsigned char *in, size_t n);

/* Calls fn for every {{name}} in tmpl (used by the validator to find unknown variables).
 * offset is the byte offset of the "{{" in tmpl. */
void gp_template_each_var(const char *tmpl,
                          void (*fn)(const char *name, size_t len, size_t offset, void *ud),
                          void *ud);

#endif
