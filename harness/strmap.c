/* strmap.c - a string -> int hash map: FNV-1a, linear probing, kept at most half full. */
#include "strmap.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gp_common.h"

static size_t slot_of(const gp_strmap *m, const char *key)
{
    uint64_t h = 1469598103934665603ull;
    const unsigned char *p;
    size_t i;

    for (p = (const unsigned char *)key; *p; p++) {
        h ^= *p;
        h *= 1099511628211ull;
    }
    i = (size_t)h & (m->cap - 1);
    while (m->v[i].key && strcmp(m->v[i].key, key) != 0)
        i = (i + 1) & (m->cap - 1);
    return i;
}

static void grow(gp_strmap *m)
{
    gp_strmap bigger = {gp_calloc(m->cap ? m->cap * 2 : 64, sizeof(gp_strmap_entry)),
                        m->cap ? m->cap * 2 : 64, m->n};
    size_t i;

    for (i = 0; i < m->cap; i++)
        if (m->v[i].key)
            bigger.v[slot_of(&bigger, m->v[i].key)] = m->v[i];
    free(m->v);
    *m = bigger;
}

int *gp_strmap_put(gp_strmap *m, const char *key, int init, bool *created)
{
    size_t i;

    if ((m->n + 1) * 2 > m->cap)
        grow(m);
    i = slot_of(m, key);
    if (created)
        *created = !m->v[i].key;
    if (!m->v[i].key) {
        m->v[i].key = gp_strdup(key);
        m->v[i].value = init;
        m->n++;
    }
    return &m->v[i].value;
}

int *gp_strmap_get(const gp_strmap *m, const char *key)
{
    size_t i;

    if (!key || !m->cap)
        return NULL;
    i = slot_of(m, key);
    return m->v[i].key ? &m->v[i].value : NULL;
}

void gp_strmap_cleanup(gp_strmap *m)
{
    size_t i;

    if (!m)
        return;
    for (i = 0; i < m->cap; i++)
        free(m->v[i].key);
    free(m->v);
    memset(m, 0, sizeof *m);
}
