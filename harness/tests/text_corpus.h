/* text_corpus.h - what the JSON scanner tests share: a corpus of texts (the frames of every
 * recorded transcript), a seeded generator's buffer and random numbers, and the mutator of the
 * randomized differential tests. Header-only so each test executable stays one source file. */
#ifndef GP_TEXT_CORPUS_H
#define GP_TEXT_CORPUS_H

#include <dirent.h>
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Prints what (a "frame", a "text") escaped, for the test log of a failure. */
static inline void dump_text(const char *what, const char *text, size_t len)
{
    char out[1024];
    size_t i, o = 0;

    for (i = 0; i < len && o + 5 < sizeof out; i++) {
        unsigned char c = (unsigned char)text[i];

        if (c >= 0x20 && c < 0x7f && c != '\\')
            out[o++] = (char)c;
        else
            o += (size_t)snprintf(out + o, sizeof out - o, "\\x%02x", c);
    }
    out[o] = '\0';
    print_message("%s (%zu bytes): %s%s\n", what, len, out, i < len ? "..." : "");
}

/* ---- a growable corpus of texts ---- */

struct corpus {
    char **text;
    size_t *len;
    size_t n, cap;
};

static inline void corpus_add(struct corpus *c, const char *text, size_t len)
{
    if (c->n == c->cap) {
        c->cap = c->cap ? 2 * c->cap : 64;
        c->text = realloc(c->text, c->cap * sizeof *c->text);
        c->len = realloc(c->len, c->cap * sizeof *c->len);
        assert_non_null(c->text);
        assert_non_null(c->len);
    }
    c->text[c->n] = malloc(len ? len : 1);
    assert_non_null(c->text[c->n]);
    memcpy(c->text[c->n], text, len);
    c->len[c->n++] = len;
}

static inline void corpus_free(struct corpus *c)
{
    size_t i;

    for (i = 0; i < c->n; i++)
        free(c->text[i]);
    free(c->text);
    free(c->len);
}

/* Every frame sent or received in the recorded transcripts under fixtures/transcripts. */
static inline void corpus_add_fixtures(struct corpus *c)
{
    const char *dir = GP_SOURCE_DIR "/fixtures/transcripts";
    DIR *d = opendir(dir);
    struct dirent *de;
    size_t files = 0;

    assert_non_null(d);
    while ((de = readdir(d)) != NULL) {
        char path[1024];
        json_t *root, *users, *u, *frames, *f;
        size_t i, j, n = strlen(de->d_name);

        if (n < 5 || strcmp(de->d_name + n - 5, ".json") != 0)
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
        root = json_load_file(path, 0, NULL);
        assert_non_null(root);
        users = json_object_get(root, "users");
        json_array_foreach(users, i, u)
        {
            frames = json_object_get(u, "frames");
            json_array_foreach(frames, j, f)
            {
                const char *kind = json_string_value(json_object_get(f, "kind"));
                json_t *data = json_object_get(f, "data");

                if (kind && json_is_string(data) &&
                    (strcmp(kind, "recv") == 0 || strcmp(kind, "sent") == 0))
                    corpus_add(c, json_string_value(data), json_string_length(data));
            }
        }
        json_decref(root);
        files++;
    }
    closedir(d);
    assert_true(files >= 5);
}

/* xorshift64*: a fixed seed makes every failure reproducible. */
static inline uint64_t rnd_next(uint64_t *s)
{
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return *s * 2685821657736338717ull;
}

static inline size_t rnd(uint64_t *s, size_t n)
{
    return (size_t)(rnd_next(s) >> 33) % n;
}

struct gen {
    char buf[4096];
    size_t len;
    uint64_t *seed;
};

static inline void put(struct gen *g, const char *s)
{
    size_t n = strlen(s);

    if (g->len + n < sizeof g->buf) {
        memcpy(g->buf + g->len, s, n);
        g->len += n;
    }
}

static inline void put_ws(struct gen *g)
{
    static const char *const ws[] = {"", "", "", " ", "\n", "\t", "\r\n  "};

    put(g, ws[rnd(g->seed, sizeof ws / sizeof ws[0])]);
}

/* Flips, deletes, inserts (mostly bytes of interesting[], a string literal), truncates or
 * duplicates a few times in buf (len bytes, room for cap). */
#define mutate(seed, buf, len, cap, interesting)                                                   \
    mutate_with(seed, buf, len, cap, interesting, sizeof(interesting) - 1)

static inline void mutate_with(uint64_t *seed, char *buf, size_t *len, size_t cap,
                               const char *interesting, size_t ninteresting)
{
    size_t ops = 1 + rnd(seed, 3), i;

    for (i = 0; i < ops; i++) {
        size_t at = *len ? rnd(seed, *len) : 0;

        switch (rnd(seed, 6)) {
        case 0: /* flip a bit */
            if (*len)
                buf[at] = (char)(buf[at] ^ (1 << rnd(seed, 8)));
            break;
        case 1: /* delete a byte */
            if (*len) {
                memmove(buf + at, buf + at + 1, *len - at - 1);
                (*len)--;
            }
            break;
        case 2: /* insert a byte */
        case 3:
            if (*len < cap) {
                memmove(buf + at + 1, buf + at, *len - at);
                buf[at] =
                    rnd(seed, 4) ? interesting[rnd(seed, ninteresting)] : (char)rnd(seed, 256);
                (*len)++;
            }
            break;
        case 4: /* truncate */
            *len = at;
            break;
        default: { /* duplicate a run, which often repeats a key */
            size_t n = 1 + rnd(seed, 40);

            if (at + n <= *len && *len + n <= cap) {
                memmove(buf + at + n, buf + at, *len - at);
                (*len) += n;
            }
            break;
        }
        }
    }
}

#endif
