/* strindex.c - the judge's string indexes: who owns a string (over gp_strmap) and the
 * Rabin-Karp search for other users' nonces in a frame. Data structures only: no rules here. */
#include "strindex.h"

#include <stdlib.h>
#include <string.h>

#include "gp_common.h"

void gp_owners_claim(gp_strmap *m, const char *key, int owner)
{
    bool created;
    int *v;

    if (!key || !*key)
        return;
    v = gp_strmap_put(m, key, owner, &created);
    if (!created && *v != owner)
        *v = GP_OWNER_SHARED;
}

int gp_owners_get(const gp_strmap *m, const char *key)
{
    const int *v = gp_strmap_get(m, key);

    return v ? *v : GP_OWNER_NONE;
}

#define RK_BASE 1099511628211ull

static uint64_t rk_hash(const char *s, size_t len)
{
    uint64_t h = 0;
    size_t i;

    for (i = 0; i < len; i++)
        h = h * RK_BASE + (unsigned char)s[i];
    return h;
}

static int cmp_nonce(const void *a, const void *b)
{
    const gp_nonce_entry *x = a, *y = b;

    return x->h < y->h ? -1 : x->h > y->h;
}

void gp_nonce_index_build(gp_nonce_index *ix, const char *const *nonces, size_t n)
{
    size_t i, j;

    memset(ix, 0, sizeof *ix);
    ix->v = gp_calloc(n ? n : 1, sizeof *ix->v);
    for (i = 0; i < n; i++) {
        size_t len;

        if (!nonces[i] || (len = strlen(nonces[i])) < 8)
            continue;
        for (j = 0; j < ix->nlens && ix->lens[j] != len; j++)
            ;
        if (j == ix->nlens) {
            if (ix->nlens == GP_NONCE_MAX_LENGTHS)
                continue;
            ix->lens[ix->nlens++] = len;
        }
        for (j = 0; j < len; j++)
            ix->alpha[(unsigned char)nonces[i][j]] = 1;
        ix->v[ix->n].h = rk_hash(nonces[i], len);
        ix->v[ix->n].len = len;
        ix->v[ix->n].s = nonces[i];
        ix->v[ix->n].owner = (int)i;
        ix->n++;
    }
    qsort(ix->v, ix->n, sizeof *ix->v, cmp_nonce);
    /* A hash table over the sorted entries: one probe per text position, whatever the
     * number of users (a binary search there made the judge O(bytes x log users)). */
    for (ix->mask = 63; ix->mask < 2 * ix->n; ix->mask = ix->mask * 2 + 1)
        ;
    ix->tab = gp_calloc(ix->mask + 1, sizeof *ix->tab);
    for (i = 0; i < ix->n; i++) {
        size_t k = (size_t)(ix->v[i].h ^ ix->v[i].h >> 29) & ix->mask;

        if (i > 0 && ix->v[i - 1].h == ix->v[i].h)
            continue;
        while (ix->tab[k])
            k = (k + 1) & ix->mask;
        ix->tab[k] = i + 1;
    }
}

static const gp_nonce_entry *nonce_lookup(const gp_nonce_index *ix, uint64_t h)
{
    size_t k = (size_t)(h ^ h >> 29) & ix->mask;

    for (; ix->tab[k]; k = (k + 1) & ix->mask)
        if (ix->v[ix->tab[k] - 1].h == h)
            return &ix->v[ix->tab[k] - 1];
    return NULL;
}

/* The first other user's nonce of length len in text[a, b), every byte of which is in the
 * nonces' alphabet; -1 when none. */
static int find_in_run(const gp_nonce_index *ix, const char *text, size_t a, size_t b, size_t len,
                       uint64_t top, int self, const char *own)
{
    uint64_t h = rk_hash(text + a, len);
    size_t i;

    for (i = a;; i++) {
        const gp_nonce_entry *e = nonce_lookup(ix, h);

        if (e) {
            for (; e < ix->v + ix->n && e->h == h; e++)
                if (e->len == len && e->owner != self && memcmp(e->s, text + i, len) == 0 &&
                    !(own && strcmp(e->s, own) == 0))
                    return e->owner;
        }
        if (i + len >= b)
            break;
        h = (h - (unsigned char)text[i] * top) * RK_BASE + (unsigned char)text[i + len];
    }
    return -1;
}

int gp_nonce_index_find(const gp_nonce_index *ix, const char *text, size_t tlen, int self,
                        const char *own)
{
    size_t l;

    for (l = 0; l < ix->nlens; l++) {
        size_t len = ix->lens[l], i, a;
        uint64_t top = 1;
        int owner;

        if (tlen < len)
            continue;
        for (i = 1; i < len; i++)
            top *= RK_BASE;
        /* Positions in order, as a plain rolling hash over the text would visit them. */
        for (i = 0; i < tlen;) {
            while (i < tlen && !ix->alpha[(unsigned char)text[i]])
                i++;
            for (a = i; i < tlen && ix->alpha[(unsigned char)text[i]]; i++)
                ;
            if (i - a >= len && (owner = find_in_run(ix, text, a, i, len, top, self, own)) >= 0)
                return owner;
        }
    }
    return -1;
}
void gp_nonce_index_cleanup(gp_nonce_index *ix)
{
    if (!ix)
        return;
    free(ix->v);
    free(ix->tab);
    memset(ix, 0, sizeof *ix);
}
