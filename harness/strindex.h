/* strindex.h - the string indexes the judge's isolation checks use: a map from a string to the
 * one user who claims it (or "shared"), and a Rabin-Karp index that finds, in a frame, the
 * nonce of a user other than the receiver. Pure data structures: no rules, no I/O. Not
 * thread-safe. */
#ifndef GP_STRINDEX_H
#define GP_STRINDEX_H

#include <stddef.h>
#include <stdint.h>

#include "strmap.h"

#define GP_OWNER_NONE (-1)   /* nobody claims the string */
#define GP_OWNER_SHARED (-2) /* claimed by more than one user: proves nothing about a leak */

/* Records in m that owner (>= 0) claims key: a second, different owner makes the key
 * GP_OWNER_SHARED. A NULL or empty key is ignored. key is copied. */
void gp_owners_claim(gp_strmap *m, const char *key, int owner);
/* The owner of key in m: a user index, GP_OWNER_SHARED, or GP_OWNER_NONE (absent or NULL). */
int gp_owners_get(const gp_strmap *m, const char *key);

/* At most this many distinct nonce lengths are indexed (bounds the search per frame); nonces
 * of further lengths are left out. */
#define GP_NONCE_MAX_LENGTHS 16

typedef struct gp_nonce_entry {
    uint64_t h;
    size_t len;
    const char *s; /* borrowed from the caller's array */
    int owner;
} gp_nonce_entry;

/* Zero-initialise or build with gp_nonce_index_build; release with gp_nonce_index_cleanup. */
typedef struct gp_nonce_index {
    gp_nonce_entry *v; /* sorted by h */
    size_t n;
    size_t lens[GP_NONCE_MAX_LENGTHS];
    size_t nlens;
    size_t *tab; /* open addressing on h: 1 + index of the first entry with that h, 0 empty */
    size_t mask;
    /* 1 for every byte some nonce holds: a nonce can only occur inside a run of such bytes at
     * least as long as it, so the search hashes those runs only (nonces are hex: most of a
     * frame is skipped at one table look-up per byte). */
    unsigned char alpha[256];
} gp_nonce_index;

/* Builds ix over nonces[0..n): nonces[i] belongs to user i; NULL entries and nonces shorter
 * than 8 characters (too likely to occur by chance to prove a leak) are left out. The strings
 * are borrowed and must outlive ix; the array itself may be freed after the call. */
void gp_nonce_index_build(gp_nonce_index *ix, const char *const *nonces, size_t n);
/* Returns the index of a user other than self whose nonce occurs in text (tlen bytes), or -1.
 * A nonce equal to own (self's own nonce, may be NULL) proves nothing and is skipped. */
int gp_nonce_index_find(const gp_nonce_index *ix, const char *text, size_t tlen, int self,
                        const char *own);
/* Frees what ix holds and zeroes it; NULL is a no-op. */
void gp_nonce_index_cleanup(gp_nonce_index *ix);

#endif
