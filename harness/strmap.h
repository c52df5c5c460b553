/* strmap.h - a string -> int hash map (open addressing, keys copied), so that the judge,
 * compare and merge look names up in constant time instead of scanning lists a server or a
 * report file can make as long as it likes. Not thread-safe; no removal. */
#ifndef GP_STRMAP_H
#define GP_STRMAP_H

#include <stdbool.h>
#include <stddef.h>

typedef struct gp_strmap_entry {
    char *key; /* owned; NULL for an empty slot */
    int value;
} gp_strmap_entry;

/* Zero-initialise (= {0}) before use; release with gp_strmap_cleanup. */
typedef struct gp_strmap {
    gp_strmap_entry *v;
    size_t cap; /* a power of two, or 0 */
    size_t n;   /* keys held */
} gp_strmap;

/* Returns the value slot of key, inserting key (copied) with value init when absent, and sets
 * *created (may be NULL) to whether it was inserted. The pointer is valid until the next
 * insertion. key must not be NULL. */
int *gp_strmap_put(gp_strmap *m, const char *key, int init, bool *created);
/* Returns the value slot of key, or NULL when absent (or key is NULL). */
int *gp_strmap_get(const gp_strmap *m, const char *key);
/* Frees the keys and the table and leaves m empty; NULL is a no-op. */
void gp_strmap_cleanup(gp_strmap *m);

#endif
