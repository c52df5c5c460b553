/* json_fast.c - builds jansson trees straight from a frame's bytes, with jansson's public API,
 * refusing exactly what jansson 2.14 refuses. Where jansson's answer depends on something this
 * loader does not model (its NUL-dropping lookahead, the locale, its depth limit), it gives up
 * and leaves the frame to json_loadb. */
#include "json_fast.h"

#include <errno.h>
#include <float.h>
#include <locale.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* jansson's limit is JSON_PARSER_MAX_DEPTH (2048); frames never come close, and a small fixed
 * stack keeps this loader's footprint bounded whatever the input. */
#define FAST_MAX_DEPTH 128
/* Reals are copied to a NUL-terminated buffer for strtod; longer tokens go to jansson. */
#define FAST_MAX_NUMBER 255
#define FAST_SCRATCH 256

enum { FAST_UNSURE = -1, FAST_BAD = 0, FAST_OK = 1 };

/* Room for one decoded string: on the stack when it is short, else on the heap (kept for the
 * next string, freed at the end). */
typedef struct scratch {
    char stack[FAST_SCRATCH];
    char *heap;
    size_t cap;
} scratch;

typedef struct fast {
    const unsigned char *s;
    size_t len, pos;
    scratch key, val; /* a key's bytes must outlive its value's decoding */
} fast;

static char *scratch_get(scratch *sc, size_t n)
{
    char *p;

    if (n <= sizeof sc->stack)
        return sc->stack;
    if (n <= sc->cap)
        return sc->heap;
    p = realloc(sc->heap, n);
    if (!p)
        return NULL;
    sc->heap = p;
    sc->cap = n;
    return p;
}

int gp_json_next_byte(const unsigned char *s, size_t n, size_t *pos)
{
    while (*pos < n) {
        unsigned char c = s[*pos];

        if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
            return c;
        (*pos)++;
    }
    return -1;
}

static int next(fast *f)
{
    return gp_json_next_byte(f->s, f->len, &f->pos);
}

/* An unexpected byte (or the end) is an error for jansson too, except a NUL: jansson 2.14
 * drops a NUL right after a token it read one byte past, so only it can say. */
static int unexpected(int c)
{
    return c == 0 ? FAST_UNSURE : FAST_BAD;
}

/* Strict UTF-8 as jansson's utf8_check_full: no overlong forms, no surrogates, nothing past
 * U+10FFFF. Returns the sequence's length, or 0 when s (avail bytes) does not start one. */
size_t gp_json_utf8_len(const unsigned char *s, size_t avail)
{
    uint32_t v;
    size_t n, i;

    if (s[0] < 0x80)
        return 1;
    if (s[0] < 0xc2)
        return 0;
    if (s[0] < 0xe0) {
        n = 2;
        v = s[0] & 0x1f;
    } else if (s[0] < 0xf0) {
        n = 3;
        v = s[0] & 0x0f;
    } else if (s[0] < 0xf5) {
        n = 4;
        v = s[0] & 0x07;
    } else {
        return 0;
    }
    if (avail < n)
        return 0;
    for (i = 1; i < n; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        v = v << 6 | (s[i] & 0x3f);
    }
    if ((n == 3 && v < 0x800) || (n == 4 && v < 0x10000) || v > 0x10ffff ||
        (v >= 0xd800 && v <= 0xdfff))
        return 0;
    return n;
}

/* Four hex digits at s (avail bytes) as a code unit, or -1. */
long gp_json_hex4(const unsigned char *s, size_t avail)
{
    long v = 0;
    size_t i;

    if (avail < 4)
        return -1;
    for (i = 0; i < 4; i++) {
        unsigned char c = s[i];

        if (c >= '0' && c <= '9')
            v = v * 16 + (c - '0');
        else if (c >= 'a' && c <= 'f')
            v = v * 16 + (c - 'a' + 10);
        else if (c >= 'A' && c <= 'F')
            v = v * 16 + (c - 'A' + 10);
        else
            return -1;
    }
    return v;
}

/* Validates a string from just after its opening quote and leaves pos past the closing quote.
 * It refuses what jansson refuses: control bytes (NUL included), bad escapes, \u0000 (jansson
 * refuses it in a key always, in a value without JSON_ALLOW_NUL), unpaired surrogates and
 * invalid UTF-8. *esc tells whether the raw bytes need decoding. */
int gp_json_scan_string(const unsigned char *s, size_t n, size_t *pos, bool *esc)
{
    const uint64_t ones = 0x0101010101010101ull, highs = 0x8080808080808080ull;
    size_t i = *pos;

    *esc = false;
    while (i < n) {
        unsigned char c;
        long u;
        uint64_t v;

        /* Most of a frame is plain ASCII inside strings: skip it eight bytes at a time. With
         * no high bit set, subtracting 0x01 (or 0x20) from every byte borrows into a byte's
         * high bit exactly when that byte is a quote or backslash (or a control byte). */
        while (i + 8 <= n) {
            memcpy(&v, s + i, 8);
            if ((v & highs) ||
                (((v - 0x20 * ones) | ((v ^ '"' * ones) - ones) | ((v ^ '\\' * ones) - ones)) &
                 highs))
                break;
            i += 8;
        }
        while (i < n && s[i] >= 0x20 && s[i] < 0x80 && s[i] != '"' && s[i] != '\\')
            i++;
        if (i >= n)
            break;
        c = s[i];
        if (c == '"') {
            *pos = i + 1;
            return 1;
        } else if (c >= 0x80) {
            size_t k = gp_json_utf8_len(s + i, n - i);

            if (!k)
                return 0;
            i += k;
        } else if (c != '\\' || i + 1 >= n) {
            return 0;
        } else if (s[i + 1] != 'u') {
            if (s[i + 1] == '\0' || !strchr("\"\\/bfnrt", s[i + 1]))
                return 0;
            *esc = true;
            i += 2;
        } else {
            *esc = true;
            u = gp_json_hex4(s + i + 2, n - i - 2);
            if (u <= 0 || (u >= 0xdc00 && u <= 0xdfff))
                return 0;
            i += 6;
            if (u >= 0xd800 && u <= 0xdbff) {
                if (i + 1 >= n || s[i] != '\\' || s[i + 1] != 'u')
                    return 0;
                u = gp_json_hex4(s + i + 2, n - i - 2);
                if (u < 0xdc00 || u > 0xdfff)
                    return 0;
                i += 6;
            }
        }
    }
    return 0;
}

static int scan_string(fast *f, bool *esc)
{
    return gp_json_scan_string(f->s, f->len, &f->pos, esc) ? FAST_OK : FAST_BAD;
}

/* Decodes n raw bytes that scan_string accepted into t (room for n bytes: no escape decodes
 * to more bytes than it is spelt with); returns the decoded length. */
static size_t decode_string(const unsigned char *s, size_t n, char *t)
{
    size_t i = 0, o = 0;

    while (i < n) {
        const unsigned char *bs = memchr(s + i, '\\', n - i);
        size_t run = bs ? (size_t)(bs - (s + i)) : n - i;
        uint32_t u;

        memcpy(t + o, s + i, run);
        o += run;
        i += run;
        if (i >= n)
            break;
        switch (s[i + 1]) {
        case 'u':
            u = (uint32_t)gp_json_hex4(s + i + 2, 4);
            i += 6;
            if (u >= 0xd800 && u <= 0xdbff) {
                u = ((u - 0xd800) << 10) + ((uint32_t)gp_json_hex4(s + i + 2, 4) - 0xdc00) +
                    0x10000;
                i += 6;
            }
            if (u < 0x80) {
                t[o++] = (char)u;
            } else if (u < 0x800) {
                t[o++] = (char)(0xc0 | (u >> 6));
                t[o++] = (char)(0x80 | (u & 0x3f));
            } else if (u < 0x10000) {
                t[o++] = (char)(0xe0 | (u >> 12));
                t[o++] = (char)(0x80 | ((u >> 6) & 0x3f));
                t[o++] = (char)(0x80 | (u & 0x3f));
            } else {
                t[o++] = (char)(0xf0 | (u >> 18));
                t[o++] = (char)(0x80 | ((u >> 12) & 0x3f));
                t[o++] = (char)(0x80 | ((u >> 6) & 0x3f));
                t[o++] = (char)(0x80 | (u & 0x3f));
            }
            continue;
        case 'b':
            t[o++] = '\b';
            break;
        case 'f':
            t[o++] = '\f';
            break;
        case 'n':
            t[o++] = '\n';
            break;
        case 'r':
            t[o++] = '\r';
            break;
        case 't':
            t[o++] = '\t';
            break;
        default: /* '"', '\\' and '/' stand for themselves */
            t[o++] = (char)s[i + 1];
            break;
        }
        i += 2;
    }
    return o;
}

/* A string from just after its opening quote: its bytes, pointing into the text when it has
 * no escape, else decoded into sc. */
static int read_string(fast *f, scratch *sc, const char **out, size_t *outlen)
{
    size_t s0 = f->pos;
    bool esc;
    int r;
    char *t;

    if ((r = scan_string(f, &esc)) != FAST_OK)
        return r;
    if (!esc) {
        *out = (const char *)f->s + s0;
        *outlen = f->pos - 1 - s0;
        return FAST_OK;
    }
    if (!(t = scratch_get(sc, f->pos - 1 - s0)))
        return FAST_UNSURE;
    *outlen = decode_string(f->s + s0, f->pos - 1 - s0, t);
    *out = t;
    return FAST_OK;
}

static bool is_digit(int c)
{
    return c >= '0' && c <= '9';
}

int gp_json_scan_number(const unsigned char *s, size_t n, size_t *pos, gp_json_number *num)
{
    size_t i = *pos;

    memset(num, 0, sizeof *num);
    num->start = i;
    num->neg = i < n && s[i] == '-';
    if (num->neg)
        i++;
    num->int0 = i;
    if (i >= n || !is_digit(s[i]))
        return 0;
    if (s[i] == '0') {
        i++;
        if (i < n && is_digit(s[i]))
            return 0;
    } else {
        while (i < n && is_digit(s[i]))
            i++;
    }
    num->nint = i - num->int0;
    num->frac0 = i + 1;
    if (i < n && s[i] == '.') {
        num->real = num->point = true;
        i++;
        if (i >= n || !is_digit(s[i]))
            return 0;
        while (i < n && is_digit(s[i]))
            i++;
        num->nfrac = i - num->frac0;
    }
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        num->real = true;
        i++;
        if (i < n && (s[i] == '+' || s[i] == '-'))
            num->eneg = s[i++] == '-';
        if (i >= n || !is_digit(s[i]))
            return 0;
        for (; i < n && is_digit(s[i]); i++)
            if (num->exp < 1000000000)
                num->exp = num->exp * 10 + (s[i] - '0');
    }
    num->end = *pos = i;
    return 1;
}

/* A real token's value by Clinger's fast path (see read_number); false when strtod must
 * decide. */
static bool exact_real(const gp_json_number *num, const unsigned char *s, double *out)
{
    static const double pow10[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                   1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                   1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
    uint64_t m = 0;
    long long e;
    size_t k;
    double d;

#if !defined(FLT_EVAL_METHOD) || FLT_EVAL_METHOD != 0
    return false; /* doubles evaluated wider: two roundings */
#endif
    if (num->nint + num->nfrac > 19 || num->exp > 1000)
        return false;
    for (k = 0; k < num->nint; k++)
        m = m * 10 + (uint64_t)(s[num->int0 + k] - '0');
    for (k = 0; k < num->nfrac; k++)
        m = m * 10 + (uint64_t)(s[num->frac0 + k] - '0');
    if (m > (uint64_t)1 << 53)
        return false;
    e = (num->eneg ? -num->exp : num->exp) - (long long)num->nfrac;
    if (e < -22 || e > 22)
        return false;
    d = (double)m;
    d = e >= 0 ? d * pow10[e] : d / pow10[-e];
    *out = num->neg ? -d : d;
    return true;
}

/* A number per the JSON grammar, typed as jansson types it: without '.', 'e' or 'E' an integer
 * that must fit json_int_t (strtoll's ERANGE is jansson's error), else a real from strtod that
 * must not overflow (underflow is fine). */
static int read_number(fast *f, json_t **out)
{
    const unsigned char *s = f->s;
    gp_json_number num;
    size_t i, start = f->pos, int0, nint;
    bool neg;
    char buf[FAST_MAX_NUMBER + 1], *end;
    double d;

    if (!gp_json_scan_number(s, f->len, &f->pos, &num))
        return FAST_BAD;
    i = num.end;
    int0 = num.int0;
    nint = num.nint;
    neg = num.neg;
    if (!num.real) {
        uint64_t mag = 0;
        size_t k;

        if (sizeof(json_int_t) != sizeof(int64_t))
            return FAST_UNSURE;
        /* No leading zeros, so more than 19 digits is past INT64 either way. */
        if (nint > 19)
            return FAST_BAD;
        for (k = int0; k < i; k++)
            mag = mag * 10 + (uint64_t)(s[k] - '0');
        if (mag > (uint64_t)INT64_MAX + (neg ? 1 : 0))
            return FAST_BAD;
        *out = json_integer(neg ? (json_int_t)(0 - mag) : (json_int_t)mag);
        return *out ? FAST_OK : FAST_UNSURE;
    }
    if (i - start > FAST_MAX_NUMBER)
        return FAST_UNSURE;
    /* jansson swaps '.' for the locale's decimal point before strtod; under a locale where
     * that is not '.', leave the subtleties to it. */
    if (num.point && strcmp(localeconv()->decimal_point, ".") != 0)
        return FAST_UNSURE;
    /* Clinger's fast path: a significand below 2^53 times or over a power of ten up to 10^22
     * takes one IEEE rounding, so it is the correctly rounded value strtod gives too. */
    if (exact_real(&num, s, &d)) {
        *out = json_real(d);
        return *out ? FAST_OK : FAST_UNSURE;
    }
    memcpy(buf, s + start, i - start);
    buf[i - start] = '\0';
    errno = 0;
    d = strtod(buf, &end);
    if (end != buf + (i - start))
        return FAST_UNSURE;
    if ((d == HUGE_VAL || d == -HUGE_VAL) && errno == ERANGE)
        return FAST_BAD;
    *out = json_real(d);
    return *out ? FAST_OK : FAST_UNSURE;
}

/* jansson reads a whole run of letters before it compares it with the three literals. */
static int read_literal(fast *f, json_t **out)
{
    const unsigned char *s = f->s + f->pos;
    size_t i = 0, n = f->len - f->pos;

    while (i < n && ((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z')))
        i++;
    f->pos += i;
    if (i == 4 && memcmp(s, "true", 4) == 0)
        *out = json_true();
    else if (i == 5 && memcmp(s, "false", 5) == 0)
        *out = json_false();
    else if (i == 4 && memcmp(s, "null", 4) == 0)
        *out = json_null();
    else
        return FAST_BAD;
    return FAST_OK;
}

/* The whole text as one value. Containers join their parent as soon as they open, so *root
 * holds everything built so far and one json_decref frees it on any failure. Objects get their
 * members through json_object_setn_new_nocheck in text order, as jansson's parser does, so a
 * repeated key replaces the value in place exactly as it does there. */
static int parse(fast *f, json_t **root)
{
    struct {
        json_t *c;
        bool obj;
    } st[FAST_MAX_DEPTH];
    enum { KEY_OR_END, KEY, VALUE_OR_END, VALUE, AFTER } state = VALUE;
    const char *key = NULL;
    size_t klen = 0, top = 0;
    int c, r;

    for (;;) {
        json_t *v = NULL;
        const char *str;
        size_t slen;

        c = next(f);
        if (state == AFTER) {
            if (top == 0)
                return c < 0 ? FAST_OK : unexpected(c);
            if (c == (st[top - 1].obj ? '}' : ']')) {
                f->pos++;
                top--;
            } else if (c == ',') {
                f->pos++;
                state = st[top - 1].obj ? KEY : VALUE;
            } else {
                return unexpected(c);
            }
            continue;
        }
        if (state == KEY_OR_END || state == KEY) {
            if (state == KEY_OR_END && c == '}') {
                f->pos++;
                top--;
                state = AFTER;
                continue;
            }
            if (c != '"')
                return unexpected(c);
            f->pos++;
            if ((r = read_string(f, &f->key, &key, &klen)) != FAST_OK)
                return r;
            if ((c = next(f)) != ':')
                return unexpected(c);
            f->pos++;
            state = VALUE;
            continue;
        }
        if (state == VALUE_OR_END && c == ']') {
            f->pos++;
            top--;
            state = AFTER;
            continue;
        }
        if (c == '{' || c == '[') {
            if (top == FAST_MAX_DEPTH)
                return FAST_UNSURE;
            f->pos++;
            v = c == '{' ? json_object() : json_array();
        } else if (c == '"') {
            f->pos++;
            if ((r = read_string(f, &f->val, &str, &slen)) != FAST_OK)
                return r;
            v = json_stringn_nocheck(str, slen);
        } else if (c == '-' || is_digit(c)) {
            if ((r = read_number(f, &v)) != FAST_OK)
                return r;
        } else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) {
            if ((r = read_literal(f, &v)) != FAST_OK)
                return r;
        } else {
            return unexpected(c);
        }
        if (!v)
            return FAST_UNSURE;
        /* Both setters take the reference, and drop it when they fail. */
        if (top == 0)
            *root = v;
        else if (st[top - 1].obj ? json_object_setn_new_nocheck(st[top - 1].c, key, klen, v)
                                 : json_array_append_new(st[top - 1].c, v))
            return FAST_UNSURE;
        if (c == '{' || c == '[') {
            st[top].c = v;
            st[top].obj = c == '{';
            top++;
            state = c == '{' ? KEY_OR_END : VALUE_OR_END;
        } else {
            state = AFTER;
        }
    }
}

json_t *gp_json_load_fast(const char *text, size_t len, int *fallback)
{
    fast f;
    json_t *root = NULL;
    int r, dummy;

    if (!fallback)
        fallback = &dummy;
    /* json_loadb refuses a NULL buffer ("wrong arguments"). */
    if (!text) {
        *fallback = 0;
        return NULL;
    }
    f.s = (const unsigned char *)text;
    f.len = len;
    f.pos = 0;
    f.key.heap = f.val.heap = NULL;
    f.key.cap = f.val.cap = 0;
    r = parse(&f, &root);
    free(f.key.heap);
    free(f.val.heap);
    if (r != FAST_OK) {
        json_decref(root);
        *fallback = r == FAST_UNSURE;
        return NULL;
    }
    *fallback = 0;
    return root;
}

int gp_json_quote(gp_buf *out, const char *s, size_t len, bool ascii_only)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t i, from = 0;

    if (gp_buf_append(out, "\"", 1) < 0)
        return -1;
    for (i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)s[i];
        char esc[6] = {'\\', 0, '0', '0', 0, 0};
        size_t n = 2;

        if (ch >= 0x80 && ascii_only)
            return -1;
        if (ch >= 0x20 && ch != '"' && ch != '\\')
            continue;
        switch (ch) {
        case '"':
        case '\\':
            esc[1] = (char)ch;
            break;
        case '\b':
            esc[1] = 'b';
            break;
        case '\f':
            esc[1] = 'f';
            break;
        case '\n':
            esc[1] = 'n';
            break;
        case '\r':
            esc[1] = 'r';
            break;
        case '\t':
            esc[1] = 't';
            break;
        default:
            esc[1] = 'u';
            esc[4] = hex[ch >> 4];
            esc[5] = hex[ch & 15];
            n = 6;
        }
        if (gp_buf_append(out, s + from, i - from) < 0 || gp_buf_append(out, esc, n) < 0)
            return -1;
        from = i + 1;
    }
    if (gp_buf_append(out, s + from, len - from) < 0 || gp_buf_append(out, "\"", 1) < 0)
        return -1;
    return 0;
}
