/* secrets.c - a hash set of credentials keyed on the 8-byte windows near each value's end, and
 * a linear scan that finds any of them in a text. Keyed on the end, not the start: every HS256
 * token of a run begins with the same header, while its signature, at the end, is random. */
#include "secrets.h"

#include <stdlib.h>
#include <string.h>

#define TAIL 8 /* == GP_SECRET_MIN_LEN */
/* The scan looks at every STRIDE-th position only. Each value is keyed on the STRIDE windows of
 * TAIL bytes that end 0..STRIDE-1 bytes before its end, so wherever it lies, exactly one of them
 * starts at a looked-at position. Values shorter than TAIL + STRIDE - 1 have fewer such windows:
 * while the set holds one, the scan looks at every position (and only at the windows that end
 * a value). */
#define STRIDE 4
#define SHORT_LEN (TAIL + STRIDE - 1)
#define FILTER_MIN_BITS 65536

typedef struct entry {
    char *v;
    size_t len;
} entry;

/* One window of a value: its TAIL bytes, which value, and how many bytes of it follow. */
typedef struct key {
    uint64_t tail;
    uint32_t value;
    uint32_t after;
    uint32_t next; /* index + 1 of another key with the same tail, 0 for none */
} key;

struct gp_secrets {
    entry *e;
    size_t n, cap;
    key *k;
    size_t nk, kcap;
    size_t nshort;   /* values shorter than SHORT_LEN */
    uint32_t *slots; /* open addressing by tail: index + 1 of the first key, 0 empty */
    size_t nslots;   /* a power of two, at least twice the distinct tails */
    size_t tails;
    /* One bit per hashed tail, at least 16 bits per key: most positions of a text are rejected
     * here, at a rate that does not grow with the number of values. */
    uint64_t *filter;
    size_t filter_bits;        /* a power of two */
    const gp_jwt_key *jwt_key; /* borrowed, may be NULL */
};

typedef struct span {
    size_t a, b;
} span;

static uint64_t load8(const char *p)
{
    uint64_t v;

    memcpy(&v, p, sizeof v);
    return v;
}

static uint64_t mix(uint64_t k)
{
    k ^= k >> 33;
    k *= 0xff51afd7ed558ccdULL;
    k ^= k >> 33;
    return k;
}

/* The slot holding tail, or the empty slot where it would go. */
static size_t find_slot(const gp_secrets *s, uint64_t tail, uint64_t h)
{
    size_t mask = s->nslots - 1, i = (size_t)(h >> 16) & mask;

    while (s->slots[i] && s->k[s->slots[i] - 1].tail != tail)
        i = (i + 1) & mask;
    return i;
}

static void filter_set(gp_secrets *s, uint64_t h)
{
    size_t bit = (size_t)h & (s->filter_bits - 1);

    s->filter[bit / 64] |= (uint64_t)1 << (bit & 63);
}

static bool filter_has(const gp_secrets *s, uint64_t h)
{
    size_t bit = (size_t)h & (s->filter_bits - 1);

    return s->filter[bit / 64] >> (bit & 63) & 1;
}

static void link_key(gp_secrets *s, size_t idx)
{
    key *kk = &s->k[idx];
    uint64_t h = mix(kk->tail);
    size_t i = find_slot(s, kk->tail, h);

    if (!s->slots[i])
        s->tails++;
    kk->next = s->slots[i];
    s->slots[i] = (uint32_t)(idx + 1);
    filter_set(s, h);
}

static void rehash(gp_secrets *s, size_t nslots)
{
    size_t i;

    free(s->slots);
    s->slots = gp_calloc(nslots, sizeof *s->slots);
    s->nslots = nslots;
    s->tails = 0;
    if (s->filter_bits < 16 * s->nk) {
        while (s->filter_bits < 16 * s->nk)
            s->filter_bits *= 2;
        free(s->filter);
        s->filter = gp_calloc(s->filter_bits / 64, sizeof *s->filter);
    } else {
        memset(s->filter, 0, s->filter_bits / 8);
    }
    for (i = 0; i < s->nk; i++)
        link_key(s, i);
}

gp_secrets *gp_secrets_new(void)
{
    gp_secrets *s = gp_calloc(1, sizeof *s);

    s->nslots = 64;
    s->slots = gp_calloc(s->nslots, sizeof *s->slots);
    s->filter_bits = FILTER_MIN_BITS;
    s->filter = gp_calloc(s->filter_bits / 64, sizeof *s->filter);
    return s;
}

void gp_secrets_free(gp_secrets *s)
{
    size_t i;

    if (!s)
        return;
    for (i = 0; i < s->n; i++)
        free(s->e[i].v);
    free(s->e);
    free(s->k);
    free(s->slots);
    free(s->filter);
    free(s);
}

size_t gp_secrets_count(const gp_secrets *s)
{
    return s ? s->n : 0;
}

static void add_key(gp_secrets *s, uint64_t tail, size_t value, size_t after)
{
    if (s->nk == s->kcap) {
        s->kcap = s->kcap ? 2 * s->kcap : 64;
        s->k = gp_realloc(s->k, s->kcap * sizeof *s->k);
    }
    s->k[s->nk].tail = tail;
    s->k[s->nk].value = (uint32_t)value;
    s->k[s->nk].after = (uint32_t)after;
    s->nk++;
    if (2 * (s->tails + 1) > s->nslots || s->filter_bits < 16 * s->nk)
        rehash(s, 2 * (s->tails + 1) > s->nslots ? 2 * s->nslots : s->nslots); /* links it too */
    else
        link_key(s, s->nk - 1);
}

void gp_secrets_add(gp_secrets *s, const char *v, size_t len)
{
    uint64_t tail;
    size_t i, d;
    uint32_t k;

    if (!s || !v || len < GP_SECRET_MIN_LEN || s->n >= UINT32_MAX / STRIDE - 1)
        return;
    tail = load8(v + len - TAIL);
    i = find_slot(s, tail, mix(tail));
    for (k = s->slots[i]; k; k = s->k[k - 1].next) {
        const entry *en = &s->e[s->k[k - 1].value];

        if (s->k[k - 1].after == 0 && en->len == len && memcmp(en->v, v, len) == 0)
            return;
    }
    if (s->n == s->cap) {
        s->cap = s->cap ? 2 * s->cap : 16;
        s->e = gp_realloc(s->e, s->cap * sizeof *s->e);
    }
    s->e[s->n].v = gp_strndup(v, len);
    s->e[s->n].len = len;
    s->n++;
    if (len < SHORT_LEN)
        s->nshort++;
    for (d = 0; d < STRIDE && d + TAIL <= len; d++)
        add_key(s, load8(v + len - TAIL - d), s->n - 1, d);
}

void gp_secrets_set_jwt_key(gp_secrets *s, const gp_jwt_key *k)
{
    if (s)
        s->jwt_key = k;
}

static bool b64url(char ch)
{
    return (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
           ch == '-' || ch == '_';
}

/* The length of the HS256-shaped token at p ("eyJ" a "." b "." a 43-character signature, not
 * inside a longer base64url word), or 0. */
static size_t jwt_shape(const char *text, const char *p, const char *end)
{
    const char *q = p + 3;
    int dots = 0;
    size_t sig = 0;

    if (p > text && (b64url(p[-1]) || p[-1] == '.'))
        return 0;
    for (; q < end && (b64url(*q) || (*q == '.' && dots < 2)); q++) {
        if (*q == '.') {
            if (q[-1] == '.')
                return 0;
            dots++;
            sig = 0;
        } else {
            sig++;
        }
    }
    if (dots != 2 || sig != 43 || (q < end && *q == '.'))
        return 0;
    return (size_t)(q - p);
}

static void span_add(span **sp, size_t *nsp, size_t *cap, size_t a, size_t b)
{
    if (*nsp == *cap) {
        *cap = *cap ? 2 * *cap : 8;
        *sp = gp_realloc(*sp, *cap * sizeof **sp);
    }
    (*sp)[*nsp].a = a;
    (*sp)[*nsp].b = b;
    (*nsp)++;
}

static int span_cmp(const void *x, const void *y)
{
    const span *a = x, *b = y;

    return a->a < b->a ? -1 : a->a > b->a;
}

char *gp_secrets_redact(const gp_secrets *s, const char *text, size_t len, size_t *out_len)
{
    span *sp = NULL;
    size_t nsp = 0, cap = 0, pos, step, i, from, marker = strlen(GP_SECRET_MARKER);
    gp_buf b;

    if (!s || (!s->n && !s->jwt_key) || !text || len < TAIL)
        return NULL;
    step = s->nshort ? 1 : STRIDE;
    for (pos = 0; s->n && pos + TAIL <= len; pos += step) {
        uint64_t tail = load8(text + pos), h = mix(tail);
        uint32_t k;

        if (!filter_has(s, h))
            continue;
        for (k = s->slots[find_slot(s, tail, h)]; k; k = s->k[k - 1].next) {
            const key *kk = &s->k[k - 1];
            const entry *en = &s->e[kk->value];
            size_t end = pos + TAIL + kk->after;

            if (step == 1 && kk->after)
                continue; /* every position is looked at: the window at the end will do */
            if (en->len <= end && end <= len && memcmp(text + end - en->len, en->v, en->len) == 0)
                span_add(&sp, &nsp, &cap, end - en->len, end);
        }
    }
    if (s->jwt_key) {
        /* Tokens start "eyJ" (base64url of '{"'); 'J' is rare in frames, so look for it. */
        const char *p = text + 2, *stop = text + len;

        while (p < stop && (p = memchr(p, 'J', (size_t)(stop - p))) != NULL) {
            size_t n = p[-2] == 'e' && p[-1] == 'y' ? jwt_shape(text, p - 2, stop) : 0;

            if (n && gp_jwt_key_signed(s->jwt_key, p - 2, n)) {
                span_add(&sp, &nsp, &cap, (size_t)(p - 2 - text), (size_t)(p - 2 - text) + n);
                p += n - 2;
            } else {
                p++;
            }
        }
    }
    if (!nsp)
        return NULL;
    /* Found by where they end; one value may hold another, so merge by where they start. */
    qsort(sp, nsp, sizeof *sp, span_cmp);
    gp_buf_init(&b, len + nsp * marker + 1);
    for (i = 0, from = 0; i < nsp; i++) {
        size_t a = sp[i].a, z = sp[i].b;

        while (i + 1 < nsp && sp[i + 1].a < z) {
            if (sp[i + 1].b > z)
                z = sp[i + 1].b;
            i++;
        }
        gp_buf_append(&b, text + from, a - from);
        gp_buf_append(&b, GP_SECRET_MARKER, marker);
        from = z;
    }
    gp_buf_append(&b, text + from, len - from);
    free(sp);
    if (out_len)
        *out_len = b.len;
    return gp_buf_steal(&b);
}

const char *gp_secrets_at(const gp_secrets *s, size_t i, size_t *len)
{
    *len = s->e[i].len;
    return s->e[i].v;
}
