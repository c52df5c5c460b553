/* template.c - expands {{...}} variables in strings and JSON templates for one user.
 * It never resolves ${ENV} (the loader did that) and never decides which variables a scenario
 * may use (the loader validates that against gp_template_each_var). */
#include "template.h"

#include <openssl/rand.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json_fast.h"

/* An expanded string never grows past this; a bigger one is a scenario bug, not a frame. */
#define EXPAND_MAX (1u << 20)

bool gp_template_is_builtin(const char *name)
{
    return strcmp(name, "user.id") == 0 || strcmp(name, "user.index") == 0 ||
           strcmp(name, "nonce") == 0 || strcmp(name, "uuid") == 0;
}

/* Finds the next {{name}} at or after s. Returns a pointer to the "{{" or NULL; sets the
 * trimmed name span and the end (just past "}}"). An unterminated "{{" is no variable. */
static const char *next_var(const char *s, const char **name, size_t *len, const char **end)
{
    const char *open, *close, *a, *b;

    for (open = strstr(s, "{{"); open; open = strstr(open + 1, "{{")) {
        close = strstr(open + 2, "}}");
        if (!close)
            return NULL;
        a = open + 2;
        b = close;
        while (a < b && (*a == ' ' || *a == '\t'))
            a++;
        while (b > a && (b[-1] == ' ' || b[-1] == '\t'))
            b--;
        *name = a;
        *len = (size_t)(b - a);
        *end = close + 2;
        return open;
    }
    return NULL;
}

void gp_template_each_var(const char *tmpl,
                          void (*fn)(const char *name, size_t len, size_t offset, void *ud),
                          void *ud)
{
    const char *p = tmpl, *at, *name, *end;
    size_t len;

    if (!tmpl || !fn)
        return;
    while ((at = next_var(p, &name, &len, &end)) != NULL) {
        fn(name, len, (size_t)(at - tmpl), ud);
        p = end;
    }
}

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ull);

    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

#define POOL_BYTES 512

static unsigned char pool[POOL_BYTES];
static size_t pool_left; /* the unused bytes are the last pool_left of pool */
static pthread_once_t pool_once = PTHREAD_ONCE_INIT;

static void pool_drop(void)
{
    pool_left = 0; /* a forked worker draws its own bytes, never its parent's */
}

static void pool_init(void)
{
    pthread_atfork(NULL, NULL, pool_drop);
}

int gp_random_bytes(unsigned char *out, size_t n)
{
    pthread_once(&pool_once, pool_init);
    if (n > POOL_BYTES / 4)
        return RAND_bytes(out, (int)n) == 1 ? 0 : -1;
    if (pool_left < n) {
        if (RAND_bytes(pool, POOL_BYTES) != 1) {
            pool_left = 0;
            return -1;
        }
        pool_left = POOL_BYTES;
    }
    memcpy(out, pool + POOL_BYTES - pool_left, n);
    /* Used bytes are wiped: no value is ever handed out twice or left behind. */
    memset(pool + POOL_BYTES - pool_left, 0, n);
    pool_left -= n;
    return 0;
}

void gp_hex_encode(char *out, const unsigned char *in, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    size_t i;

    for (i = 0; i < n; i++) {
        out[2 * i] = hex[in[i] >> 4];
        out[2 * i + 1] = hex[in[i] & 15];
    }
    out[2 * n] = '\0';
}

/* A version 4 UUID. The bytes come from the OpenSSL generator; should it fail, the per-user
 * counter mixed with the user index and the clock still keeps ids apart across users. */
static void make_uuid(const gp_vars *vars, char out[37])
{
    unsigned char b[16];
    uint64_t seed;
    int i;

    if (vars->uuid_state)
        (*vars->uuid_state)++;
    if (gp_random_bytes(b, sizeof b) != 0) {
        seed = (vars->uuid_state ? *vars->uuid_state : 0) ^ ((uint64_t)vars->user_index << 40) ^
               (uint64_t)gp_wall_us();
        for (i = 0; i < 2; i++) {
            uint64_t r = splitmix64(&seed);

            memcpy(b + 8 * i, &r, 8);
        }
    }
    b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
    b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
    {
        char h[33];

        gp_hex_encode(h, b, sizeof b);
        memcpy(out, h, 8);
        out[8] = '-';
        memcpy(out + 9, h + 8, 4);
        out[13] = '-';
        memcpy(out + 14, h + 12, 4);
        out[18] = '-';
        memcpy(out + 19, h + 16, 4);
        out[23] = '-';
        memcpy(out + 24, h + 20, 12);
        out[36] = '\0';
    }
}

/* Appends the value of one variable; -1 with err when it is unknown or unset. */
static int append_var(gp_buf *out, const char *name, size_t len, const gp_vars *vars, gp_err *err)
{
    char key[128];
    json_t *v;

    if (len >= sizeof key) {
        gp_err_set(err, GP_EXIT_USAGE, NULL, 0, 0, "variable name too long: '%.*s...'", 40, name);
        return -1;
    }
    memcpy(key, name, len);
    key[len] = '\0';
    if (strcmp(key, "user.id") == 0 && vars->user_id)
        return gp_buf_append(out, vars->user_id, strlen(vars->user_id));
    if (strcmp(key, "user.index") == 0)
        return gp_buf_printf(out, "%zu", vars->user_index);
    if (strcmp(key, "nonce") == 0 && vars->nonce)
        return gp_buf_append(out, vars->nonce, strlen(vars->nonce));
    if (strcmp(key, "uuid") == 0) {
        char u[37];

        make_uuid(vars, u);
        return gp_buf_append(out, u, 36);
    }
    v = vars->captured ? json_object_get(vars->captured, key) : NULL;
    if (v && json_is_string(v))
        return gp_buf_append(out, json_string_value(v), json_string_length(v));
    if (v) {
        char *text = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
        int rc = text ? gp_buf_append(out, text, strlen(text)) : -1;

        free(text);
        return rc;
    }
    gp_err_set(err, GP_EXIT_USAGE, NULL, 0, 0, "unknown variable '%s' (not set for this user)",
               key);
    return -1;
}

/* Appends tmpl expanded to out; -1 with err set. */
static int expand_into(gp_buf *out, const char *tmpl, const gp_vars *vars, gp_err *err)
{
    const char *p = tmpl, *at, *name, *end;
    size_t len;

    while ((at = next_var(p, &name, &len, &end)) != NULL) {
        if (gp_buf_append(out, p, (size_t)(at - p)) < 0 ||
            append_var(out, name, len, vars, err) < 0)
            return -1;
        p = end;
    }
    return gp_buf_append(out, p, strlen(p));
}

char *gp_template_expand(const char *tmpl, const gp_vars *vars, gp_err *err)
{
    static const gp_vars none = {0};
    gp_buf out;

    if (!tmpl) {
        gp_err_set(err, GP_EXIT_INTERNAL, NULL, 0, 0, "no template to expand");
        return NULL;
    }
    if (!vars)
        vars = &none;
    gp_buf_init(&out, EXPAND_MAX);
    if (expand_into(&out, tmpl, vars, err) < 0)
        goto fail;
    return gp_buf_steal(&out);
fail:
    gp_err_set(err, GP_EXIT_USAGE, NULL, 0, 0, "template expands past %u bytes", EXPAND_MAX);
    gp_buf_cleanup(&out);
    return NULL;
}

static int dump_value(gp_buf *out, gp_buf *tmp, const json_t *t, const gp_vars *vars,
                      const json_t *mark, char **mark_out)
{
    gp_err err = {0};

    if (json_is_string(t)) {
        gp_buf_reset(tmp);
        if (expand_into(tmp, json_string_value(t), vars, &err) < 0 ||
            gp_json_quote(out, tmp->data ? tmp->data : "", tmp->len, true) < 0)
            return -1;
        if (t == mark && mark_out && !*mark_out)
            *mark_out = gp_strdup(tmp->data ? tmp->data : "");
        return 0;
    }
    if (json_is_object(t)) {
        const char *key;
        json_t *v;
        bool first = true;

        if (gp_buf_append(out, "{", 1) < 0)
            return -1;
        json_object_foreach((json_t *)t, key, v)
        {
            if (strstr(key, "{{") || (!first && gp_buf_append(out, ",", 1) < 0) ||
                gp_json_quote(out, key, strlen(key), true) < 0 || gp_buf_append(out, ":", 1) < 0 ||
                dump_value(out, tmp, v, vars, mark, mark_out) < 0)
                return -1;
            first = false;
        }
        return gp_buf_append(out, "}", 1);
    }
    if (json_is_array(t)) {
        size_t i;
        json_t *v;

        if (gp_buf_append(out, "[", 1) < 0)
            return -1;
        json_array_foreach((json_t *)t, i, v)
        {
            if ((i && gp_buf_append(out, ",", 1) < 0) ||
                dump_value(out, tmp, v, vars, mark, mark_out) < 0)
                return -1;
        }
        return gp_buf_append(out, "]", 1);
    }
    return -1;
}

int gp_template_dump(const json_t *tmpl, const gp_vars *vars, const json_t *mark, char **mark_out,
                     char **text)
{
    static const gp_vars none = {0};
    gp_buf out, tmp;
    int ok;

    *text = NULL;
    if (mark_out)
        *mark_out = NULL;
    if (!tmpl)
        return 0;
    gp_buf_init(&out, EXPAND_MAX);
    gp_buf_init(&tmp, EXPAND_MAX);
    ok = dump_value(&out, &tmp, tmpl, vars ? vars : &none, mark, mark_out) == 0;
    gp_buf_cleanup(&tmp);
    if (!ok) {
        gp_buf_cleanup(&out);
        if (mark_out) {
            free(*mark_out);
            *mark_out = NULL;
        }
        return 0;
    }
    *text = gp_buf_steal(&out);
    return 1;
}

json_t *gp_template_expand_json(const json_t *tmpl, const gp_vars *vars, gp_err *err)
{
    json_t *out = NULL;

    if (!tmpl) {
        gp_err_set(err, GP_EXIT_INTERNAL, NULL, 0, 0, "no template to expand");
        return NULL;
    }
    if (json_is_string(tmpl)) {
        char *s = gp_template_expand(json_string_value(tmpl), vars, err);

        if (!s)
            return NULL;
        out = json_string(s);
        free(s);
        return out;
    }
    if (json_is_object(tmpl)) {
        const char *key;
        json_t *v;

        out = json_object();
        json_object_foreach((json_t *)tmpl, key, v)
        {
            char *k = gp_template_expand(key, vars, err);
            json_t *e = k ? gp_template_expand_json(v, vars, err) : NULL;

            if (!e) {
                free(k);
                json_decref(out);
                return NULL;
            }
            json_object_set_new(out, k, e);
            free(k);
        }
        return out;
    }
    if (json_is_array(tmpl)) {
        size_t i;
        json_t *v;

        out = json_array();
        json_array_foreach((json_t *)tmpl, i, v)
        {
            json_t *e = gp_template_expand_json(v, vars, err);

            if (!e) {
                json_decref(out);
                return NULL;
            }
            json_array_append_new(out, e);
        }
        return out;
    }
    return json_deep_copy(tmpl);
}
