/* scenario_load.c - reads a scenario file (YAML) into the scenario model and validates it: keys,
 * types, ranges, durations, URLs, ${ENV} references and {{variables}}. It never connects
 * anywhere. Values are checked in document order and the first error found is the one
 * reported, with the 1-based line and column of the offending node. */
#include "proxy.h"
#include "redact.h"
#include "scenario.h"
#include "strmap.h"
#include "template.h"
#include "url.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml.h>

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

/* ---- errors and node access ------------------------------------------------------------ */

static int fail_at(loader *ld, int line, int col, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int fail(loader *ld, const yaml_node_t *n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fail_at(loader *ld, int line, int col, const char *fmt, ...)
{
    char msg[GP_ERR_MSG_MAX];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    gp_err_set(ld->err, GP_EXIT_USAGE, ld->path, line, col, "%s", msg);
    return -1;
}

static int fail(loader *ld, const yaml_node_t *n, const char *fmt, ...)
{
    char msg[GP_ERR_MSG_MAX];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    gp_err_set(ld->err, GP_EXIT_USAGE, ld->path, n ? (int)n->start_mark.line + 1 : 1,
               n ? (int)n->start_mark.column + 1 : 1, "%s", msg);
    return -1;
}

static yaml_node_t *node_at(loader *ld, int idx)
{
    return yaml_document_get_node(&ld->doc, idx);
}

static const char *raw(const yaml_node_t *n)
{
    return (const char *)n->data.scalar.value;
}

static bool is_scalar(const yaml_node_t *n)
{
    return n->type == YAML_SCALAR_NODE;
}

static bool is_plain(const yaml_node_t *n)
{
    return is_scalar(n) && n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
}

static bool null_text(const char *s)
{
    return !*s || strcmp(s, "~") == 0 || strcmp(s, "null") == 0 || strcmp(s, "Null") == 0 ||
           strcmp(s, "NULL") == 0;
}

/* A plain empty or null scalar: "key:" with nothing after it. */
static bool is_null(const yaml_node_t *n)
{
    return is_plain(n) && null_text(raw(n));
}

/* Describes a node for "got ..." in messages. */
static const char *describe(const yaml_node_t *n, char *buf, size_t size)
{
    if (n->type == YAML_MAPPING_NODE)
        return "a mapping";
    if (n->type == YAML_SEQUENCE_NODE)
        return "a list";
    if (is_null(n))
        return "nothing";
    if (n->data.scalar.length > 60)
        snprintf(buf, size, "'%.57s...'", raw(n));
    else
        snprintf(buf, size, "'%s'", raw(n));
    return buf;
}

/* ---- nearest-key suggestions ----------------------------------------------------------- */

static size_t levenshtein(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b), i, j, prev, cur, tmp;
    size_t row[64];

    if (la >= COUNT(row) || lb >= COUNT(row))
        return SIZE_MAX;
    for (j = 0; j <= lb; j++)
        row[j] = j;
    for (i = 1; i <= la; i++) {
        prev = row[0];
        row[0] = i;
        for (j = 1; j <= lb; j++) {
            cur = row[j];
            tmp = prev + (tolower((unsigned char)a[i - 1]) != tolower((unsigned char)b[j - 1]));
            if (row[j] + 1 < tmp)
                tmp = row[j] + 1;
            if (row[j - 1] + 1 < tmp)
                tmp = row[j - 1] + 1;
            row[j] = tmp;
            prev = cur;
        }
    }
    return row[lb];
}

/* The known name closest to word, or NULL when none is close: an edit distance of at most
 * a third of the word (two at least), or else the same first two letters. */
static const char *suggest(const char *word, const char *const *known, size_t n)
{
    const char *best = NULL, *prefix = NULL;
    size_t bestd = SIZE_MAX, prefixd = SIZE_MAX, i, limit = strlen(word) / 3;

    if (limit < 2)
        limit = 2;
    for (i = 0; i < n; i++) {
        size_t d = levenshtein(word, known[i]);

        if (d < bestd) {
            bestd = d;
            best = known[i];
        }
        if (strlen(word) >= 2 && strncasecmp(word, known[i], 2) == 0 && d < prefixd) {
            prefixd = d;
            prefix = known[i];
        }
    }
    if (best && bestd <= limit && bestd < strlen(word))
        return best;
    return prefix;
}

static void join_names(const char *const *names, size_t n, char *buf, size_t size)
{
    size_t i, len = 0;

    buf[0] = '\0';
    for (i = 0; i < n && len < size; i++) {
        int w = snprintf(buf + len, size - len, "%s%s", i ? ", " : "", names[i]);

        if (w < 0)
            break;
        len += (size_t)w;
    }
}

/* ---- ${ENV} resolution and scalar typing ----------------------------------------------- */

static bool env_name_ok(const char *s, size_t n)
{
    size_t i;

    if (n == 0 || !(isalpha((unsigned char)s[0]) || s[0] == '_'))
        return false;
    for (i = 1; i < n; i++)
        if (!(isalnum((unsigned char)s[i]) || s[i] == '_'))
            return false;
    return true;
}

/* Resolves ${VAR} and ${VAR:-default} in a scalar's text; "$${" stands for a literal "${".
 * Returns a new string or NULL with the error set at the node. */
static char *resolve_env(loader *ld, const yaml_node_t *n)
{
    const char *p = raw(n), *close, *sep, *plain;
    gp_buf out;

    gp_buf_init(&out, FILE_MAX);
    while (*p) {
        if (p[0] == '$' && p[1] == '$' && p[2] == '{') {
            if (gp_buf_append(&out, "${", 2) != 0)
                goto too_long;
            p += 3;
            continue;
        }
        if (p[0] != '$' || p[1] != '{') {
            /* Copy up to the next '$' in one append. */
            plain = strchr(p + 1, '$');
            if (!plain)
                plain = p + strlen(p);
            if (gp_buf_append(&out, p, (size_t)(plain - p)) != 0)
                goto too_long;
            p = plain;
            continue;
        }
        close = strchr(p + 2, '}');
        if (!close) {
            fail(ld, n, "unterminated '${' in '%s' (write $${ for a literal ${)", raw(n));
            goto fail;
        }
        /* The default separator only counts inside this reference: searching the rest of the
         * value for it made every reference rescan the whole value. */
        for (sep = p + 2; sep + 1 < close && !(sep[0] == ':' && sep[1] == '-'); sep++)
            ;
        if (sep + 1 >= close)
            sep = NULL;
        {
            size_t nlen = (size_t)((sep ? sep : close) - (p + 2));
            char name[256];
            const char *val;

            if (!env_name_ok(p + 2, nlen) || nlen >= sizeof name) {
                fail(ld, n,
                     "malformed environment reference '%.*s' (use ${NAME} or "
                     "${NAME:-default})",
                     (int)(close - p + 1), p);
                goto fail;
            }
            memcpy(name, p + 2, nlen);
            name[nlen] = '\0';
            val = getenv(name);
            if (val && *val) {
                if (gp_buf_append(&out, val, strlen(val)) != 0)
                    goto too_long;
            } else if (sep) {
                if (gp_buf_append(&out, sep + 2, (size_t)(close - (sep + 2))) != 0)
                    goto too_long;
            } else if (val)
                ; /* set but empty: an empty value is what the user asked for */
            else {
                fail(ld, n,
                     "environment variable %s is not set (write ${%s:-default} to "
                     "give a default)",
                     name, name);
                goto fail;
            }
        }
        p = close + 1;
    }
    return gp_buf_steal(&out);
too_long:
    /* Never a silent cut: a truncated value would be checked and sent as if whole. */
    fail(ld, n, "the value expands past %d bytes once its ${...} references are resolved",
         (int)FILE_MAX);
fail:
    gp_buf_cleanup(&out);
    return NULL;
}

typedef enum { T_NULL, T_BOOL, T_INT, T_REAL, T_STR } scalar_type;

static bool int_text(const char *s)
{
    const char *p = s;

    if (*p == '-' || *p == '+')
        p++;
    if (!*p)
        return false;
    if (p == s && p[0] == '0' && (p[1] == 'x' || p[1] == 'o') && p[2]) {
        int base = p[1] == 'x' ? 16 : 8;

        for (p += 2; *p; p++)
            if (base == 16 ? !isxdigit((unsigned char)*p) : (*p < '0' || *p > '7'))
                return false;
        return true;
    }
    for (; *p; p++)
        if (!isdigit((unsigned char)*p))
            return false;
    return true;
}

static bool real_text(const char *s)
{
    const char *p = s;
    bool digits = false;

    if (*p == '-' || *p == '+')
        p++;
    while (isdigit((unsigned char)*p)) {
        p++;
        digits = true;
    }
    if (*p == '.') {
        p++;
        while (isdigit((unsigned char)*p)) {
            p++;
            digits = true;
        }
    }
    if (!digits)
        return false;
    if (*p == 'e' || *p == 'E') {
        p++;
        if (*p == '-' || *p == '+')
            p++;
        if (!isdigit((unsigned char)*p))
            return false;
        while (isdigit((unsigned char)*p))
            p++;
    }
    return *p == '\0';
}

/* YAML 1.2 core-schema typing, applied only to plain scalars (libyaml types nothing). */
static scalar_type type_of(const yaml_node_t *n, const char *text)
{
    if (!is_plain(n))
        return T_STR;
    if (null_text(text))
        return T_NULL;
    if (!strcmp(text, "true") || !strcmp(text, "True") || !strcmp(text, "TRUE") ||
        !strcmp(text, "false") || !strcmp(text, "False") || !strcmp(text, "FALSE"))
        return T_BOOL;
    if (int_text(text))
        return T_INT;
    if (real_text(text))
        return T_REAL;
    return T_STR;
}

static bool parse_int(const char *text, long long *out)
{
    const char *p = text;
    bool neg = false;
    unsigned long long v;
    char *end;
    int base = 10;

    if (*p == '-' || *p == '+')
        neg = *p++ == '-';
    if (p[0] == '0' && (p[1] == 'x' || p[1] == 'o') && p == text) {
        base = p[1] == 'x' ? 16 : 8;
        p += 2;
    }
    errno = 0;
    v = strtoull(p, &end, base);
    if (errno || *end || v > (unsigned long long)LLONG_MAX)
        return false;
    *out = neg ? -(long long)v : (long long)v;
    return true;
}

/* ---- typed getters: each returns 0, or -1 with the error set --------------------------- */

static int get_string(loader *ld, const yaml_node_t *n, const char *what, char **out)
{
    char buf[80];
    char *s;

    if (!is_scalar(n) || is_null(n))
        return fail(ld, n, "%s: expected a string, got %s", what, describe(n, buf, sizeof buf));
    if (!(s = resolve_env(ld, n)))
        return -1;
    free(*out);
    *out = s;
    return 0;
}

static int get_nonempty(loader *ld, const yaml_node_t *n, const char *what, char **out)
{
    if (get_string(ld, n, what, out) < 0)
        return -1;
    if (!**out)
        return fail(ld, n, "%s: must not be empty", what);
    return 0;
}

static int get_int(loader *ld, const yaml_node_t *n, const char *what, long long min, long long max,
                   long long *out)
{
    char buf[80];
    char *s;
    long long v;

    if (!is_scalar(n) || is_null(n))
        return fail(ld, n, "%s: expected an integer, got %s", what, describe(n, buf, sizeof buf));
    if (!(s = resolve_env(ld, n)))
        return -1;
    if (type_of(n, s) != T_INT || !parse_int(s, &v)) {
        fail(ld, n, "%s: expected an integer, got '%s'%s", what, s,
             int_text(s) ? " (quoted, so a string)" : "");
        free(s);
        return -1;
    }
    free(s);
    if (v < min || v > max)
        return fail(ld, n, "%s: %lld is out of range (%lld..%lld)", what, v, min, max);
    *out = v;
    return 0;
}

static int get_bool(loader *ld, const yaml_node_t *n, const char *what, bool *out)
{
    char buf[80];
    char *s;

    if (!is_scalar(n) || is_null(n))
        return fail(ld, n, "%s: expected true or false, got %s", what,
                    describe(n, buf, sizeof buf));
    if (!(s = resolve_env(ld, n)))
        return -1;
    if (type_of(n, s) != T_BOOL) {
        fail(ld, n, "%s: expected true or false, got '%s'", what, s);
        free(s);
        return -1;
    }
    *out = s[0] == 't' || s[0] == 'T';
    free(s);
    return 0;
}

static int get_duration(loader *ld, const yaml_node_t *n, const char *what, int64_t *out)
{
    char buf[80];
    char *s;

    if (!is_scalar(n) || is_null(n))
        return fail(ld, n, "%s: expected a duration such as 500ms, 30s or 2m, got %s", what,
                    describe(n, buf, sizeof buf));
    if (!(s = resolve_env(ld, n)))
        return -1;
    if (gp_duration_parse(s, out) < 0) {
        fail(ld, n, "%s: malformed duration '%s' (use e.g. 500ms, 30s, 2m)", what, s);
        free(s);
        return -1;
    }
    if (*out > GP_DURATION_MAX_US) {
        fail(ld, n, "%s: %s is longer than the longest duration goldenpath accepts (%lldh)", what,
             s, (long long)(GP_DURATION_MAX_US / 3600000000LL));
        free(s);
        return -1;
    }
    free(s);
    return 0;
}

static int get_positive_duration(loader *ld, const yaml_node_t *n, const char *what, int64_t *out)
{
    if (get_duration(ld, n, what, out) < 0)
        return -1;
    if (*out <= 0)
        return fail(ld, n, "%s: must be longer than 0", what);
    return 0;
}

static int get_enum(loader *ld, const yaml_node_t *n, const char *what, const char *const *names,
                    size_t count, int *out)
{
    char buf[80], list[256];
    char *s;
    size_t i;

    join_names(names, count, list, sizeof list);
    if (!is_scalar(n) || is_null(n))
        return fail(ld, n, "%s: expected one of %s, got %s", what, list,
                    describe(n, buf, sizeof buf));
    if (!(s = resolve_env(ld, n)))
        return -1;
    for (i = 0; i < count; i++) {
        if (strcmp(s, names[i]) == 0) {
            *out = (int)i;
            free(s);
            return 0;
        }
    }
    fail(ld, n, "%s: unknown value '%s' (allowed: %s)", what, s, list);
    free(s);
    return -1;
}

/* Sizes: a byte count, or a number with B, KiB, MiB, GiB, kB, KB, MB or GB. */
static int get_size(loader *ld, const yaml_node_t *n, const char *what, size_t min, size_t max,
                    size_t *out)
{
    static const struct {
        const char *unit;
        double scale;
    } units[] = {{"", 1},     {"B", 1},    {"KiB", 1024}, {"MiB", 1048576}, {"GiB", 1073741824.0},
                 {"kB", 1e3}, {"KB", 1e3}, {"MB", 1e6},   {"GB", 1e9}};
    char buf[80];
    char *s, *end;
    double v;
    size_t i;

    if (!is_scalar(n) || is_null(n))
        return fail(ld, n, "%s: expected a size such as 1MiB, got %s", what,
                    describe(n, buf, sizeof buf));
    if (!(s = resolve_env(ld, n)))
        return -1;
    errno = 0;
    v = strtod(s, &end);
    if (end != s && !errno && v >= 0 && isdigit((unsigned char)s[0])) {
        while (*end == ' ')
            end++;
        for (i = 0; i < COUNT(units); i++) {
            if (strcmp(end, units[i].unit) == 0) {
                double bytes = v * units[i].scale;

                if (bytes < (double)min || bytes > (double)max) {
                    fail(ld, n, "%s: %s is out of range (%zu..%zu bytes)", what, s, min, max);
                    free(s);
                    return -1;
                }
                *out = (size_t)bytes;
                free(s);
                return 0;
            }
        }
    }
    fail(ld, n, "%s: malformed size '%s' (use e.g. 65536, 512KiB, 1MiB)", what, s);
    free(s);
    return -1;
}

static int get_string_list(loader *ld, const yaml_node_t *n, const char *what, char ***out,
                           size_t *nout)
{
    char buf[80];
    yaml_node_item_t *it;
    size_t i, count;
    char **list;

    if (n->type != YAML_SEQUENCE_NODE)
        return fail(ld, n, "%s: expected a list of strings, got %s", what,
                    describe(n, buf, sizeof buf));
    for (i = 0; i < *nout; i++)
        free((*out)[i]);
    free(*out);
    count = (size_t)(n->data.sequence.items.top - n->data.sequence.items.start);
    list = gp_calloc(count ? count : 1, sizeof *list);
    *out = list;
    *nout = count;
    for (i = 0, it = n->data.sequence.items.start; it < n->data.sequence.items.top; it++, i++) {
        char *item = gp_asprintf("%s[%zu]", what, i);
        int rc = get_nonempty(ld, node_at(ld, *it), item, &list[i]);

        free(item);
        if (rc < 0)
            return -1;
    }
    return 0;
}

/* ---- mappings -------------------------------------------------------------------------- */

/* The first pair of map whose scalar key repeats an earlier one (compared without case when
 * nocase), or NULL; *first is then the earlier key. One pass with a hash map: the loops that
 * walk a mapping fail at that pair, in document order, instead of rescanning every earlier
 * key per key (200k keys under send: took minutes). */
static yaml_node_pair_t *first_duplicate(loader *ld, yaml_node_t *map, bool nocase,
                                         yaml_node_t **first)
{
    gp_strmap seen = {0};
    yaml_node_pair_t *kv, *dup = NULL;

    for (kv = map->data.mapping.pairs.start; kv < map->data.mapping.pairs.top && !dup; kv++) {
        yaml_node_t *k = node_at(ld, kv->key);
        char *key;
        bool created;
        int *at;

        if (!is_scalar(k))
            continue;
        key = gp_strdup(raw(k));
        if (nocase)
            for (char *c = key; *c; c++)
                *c = (char)tolower((unsigned char)*c);
        at = gp_strmap_put(&seen, key, (int)(kv - map->data.mapping.pairs.start), &created);
        if (!created) {
            dup = kv;
            *first = node_at(ld, map->data.mapping.pairs.start[*at].key);
        }
        free(key);
    }
    gp_strmap_cleanup(&seen);
    return dup;
}

static int fail_duplicate(loader *ld, yaml_node_t *k, const yaml_node_t *first)
{
    return fail(ld, k, "duplicate key '%s' (first at %d:%d)", raw(k),
                (int)first->start_mark.line + 1, (int)first->start_mark.column + 1);
}

typedef int (*pair_fn)(loader *ld, const char *key, yaml_node_t *k, yaml_node_t *v, void *ctx);

/* Calls fn for each pair of map in document order after checking that the key is a string,
 * is not a repeat of an earlier key, and (when known is given) is one of known. where names
 * the mapping in messages ("users", "the connect step"). */
static int each_pair(loader *ld, yaml_node_t *map, const char *where, const char *const *known,
                     size_t nknown, pair_fn fn, void *ctx)
{
    yaml_node_pair_t *kv;
    yaml_node_t *first = NULL;
    yaml_node_pair_t *dup = first_duplicate(ld, map, false, &first);

    for (kv = map->data.mapping.pairs.start; kv < map->data.mapping.pairs.top; kv++) {
        yaml_node_t *k = node_at(ld, kv->key), *v = node_at(ld, kv->value);
        const char *key;

        if (!is_scalar(k))
            return fail(ld, k, "keys in %s must be plain strings", where);
        key = raw(k);
        if (kv == dup)
            return fail_duplicate(ld, k, first);
        if (known) {
            size_t i;

            for (i = 0; i < nknown && strcmp(known[i], key) != 0; i++)
                ;
            if (i == nknown) {
                const char *near = suggest(key, known, nknown);
                char list[256];

                if (near)
                    return fail(ld, k, "unknown key '%s' in %s; did you mean '%s'?", key, where,
                                near);
                join_names(known, nknown, list, sizeof list);
                return fail(ld, k, "unknown key '%s' in %s (known keys: %s)", key, where, list);
            }
        }
        if (fn && fn(ld, key, k, v, ctx) < 0)
            return -1;
    }
    return 0;
}

/* Accepts a mapping, or nothing at all (meaning every default). */
static int want_map(loader *ld, yaml_node_t *n, const char *what, bool *empty)
{
    char buf[80];

    *empty = is_null(n);
    if (*empty || n->type == YAML_MAPPING_NODE)
        return 0;
    return fail(ld, n, "%s: expected a mapping, got %s", what, describe(n, buf, sizeof buf));
}

/* ---- templates ------------------------------------------------------------------------- */

struct var_check {
    loader *ld;
    int allow;
    char bad[128];
    const char *reason;
};

static bool captured(const loader *ld, const char *name)
{
    size_t i;

    for (i = 0; i < ld->nvars; i++)
        if (strcmp(ld->vars[i], name) == 0)
            return true;
    return false;
}

static void var_seen(const char *name, size_t len, size_t offset, void *ud)
{
    struct var_check *vc = ud;
    char v[128];

    (void)offset;
    if (vc->bad[0])
        return;
    snprintf(v, sizeof v, "%.*s", (int)(len < sizeof v ? len : sizeof v - 1), name);
    if ((vc->allow & VARS_NO_USER_ID) && strcmp(v, "user.id") == 0) {
        snprintf(vc->bad, sizeof vc->bad, "%s", v);
        vc->reason = "users.id defines {{user.id}} and cannot use it; use {{user.index}}";
        return;
    }
    if (gp_template_is_builtin(v) && (vc->allow & VARS_BUILTIN))
        return;
    if ((vc->allow & VARS_CAPTURED) && captured(vc->ld, v))
        return;
    snprintf(vc->bad, sizeof vc->bad, "%s", v);
    vc->reason = NULL;
}

/* Checks every {{name}} in text against what this place may use. */
static int check_template(loader *ld, const yaml_node_t *n, const char *text, int allow)
{
    static const char *const builtins[] = {"user.id", "user.index", "nonce", "uuid"};
    struct var_check vc = {ld, allow, "", NULL};
    const char *open = strstr(text, "{{");

    gp_template_each_var(text, var_seen, &vc);
    if (vc.bad[0]) {
        const char *near;

        if (vc.reason)
            return fail(ld, n, "%s", vc.reason);
        if (strchr(vc.bad, '.') || !(allow & VARS_CAPTURED)) {
            near = suggest(vc.bad, builtins, COUNT(builtins));
            if (near && !((allow & VARS_NO_USER_ID) && strcmp(near, "user.id") == 0))
                return fail(ld, n, "unknown variable '%s'; did you mean '%s'?", vc.bad, near);
            if (!(allow & VARS_CAPTURED))
                return fail(ld, n, "unknown variable '%s' (only %s can be used here)", vc.bad,
                            (allow & VARS_NO_USER_ID) ? "user.index, nonce and uuid"
                                                      : "user.id, user.index, nonce and uuid");
        }
        return fail(ld, n, "unknown variable '%s' (not captured by any earlier step)", vc.bad);
    }
    while (open) {
        const char *close = strstr(open + 2, "}}");

        if (!close)
            return fail(ld, n, "unterminated '{{' in '%s'", text);
        if (close == open + 2)
            return fail(ld, n, "empty variable '{{}}' in '%s'", text);
        open = strstr(close + 2, "{{");
    }
    return 0;
}

/* A template string: resolves ${ENV}, then checks the {{variables}}. */
static int get_template(loader *ld, const yaml_node_t *n, const char *what, int allow, char **out)
{
    if (get_string(ld, n, what, out) < 0)
        return -1;
    return check_template(ld, n, *out, allow);
}

/* Converts a YAML node to JSON: plain scalars are typed, quoted ones stay strings, strings
 * are checked as templates. Returns a new reference or NULL with the error set. */
static json_t *to_json(loader *ld, yaml_node_t *n, const char *what, int allow, int depth)
{
    json_t *out;

    if (depth > DEPTH_MAX) {
        fail(ld, n, "%s: nested deeper than %d levels", what, DEPTH_MAX);
        return NULL;
    }
    if (is_scalar(n)) {
        char *s = resolve_env(ld, n);
        long long i;

        if (!s)
            return NULL;
        switch (type_of(n, s)) {
        case T_NULL:
            out = json_null();
            break;
        case T_BOOL:
            out = json_boolean(s[0] == 't' || s[0] == 'T');
            break;
        case T_INT:
            if (!parse_int(s, &i)) {
                fail(ld, n,
                     "%s: integer '%.40s%s' does not fit in 64 bits; quote it to send it as a "
                     "string",
                     what, s, strlen(s) > 40 ? "..." : "");
                free(s);
                return NULL;
            }
            out = json_integer(i);
            break;
        case T_REAL: {
            double d = strtod(s, NULL);

            /* JSON has no infinity: jansson refuses it, and the load once failed with an
             * empty message. */
            if (!isfinite(d)) {
                fail(ld, n,
                     "%s: number '%.40s%s' is out of range (a JSON number must be finite); quote "
                     "it to send it as a string",
                     what, s, strlen(s) > 40 ? "..." : "");
                free(s);
                return NULL;
            }
            out = json_real(d);
            break;
        }
        default:
            if (check_template(ld, n, s, allow) < 0) {
                free(s);
                return NULL;
            }
            out = json_string(s);
            if (!out)
                fail(ld, n, "%s: not valid UTF-8", what);
            break;
        }
        free(s);
        return out;
    }
    if (n->type == YAML_SEQUENCE_NODE) {
        yaml_node_item_t *it;

        out = json_array();
        for (it = n->data.sequence.items.start; it < n->data.sequence.items.top; it++) {
            json_t *e = to_json(ld, node_at(ld, *it), what, allow, depth + 1);

            if (!e) {
                json_decref(out);
                return NULL;
            }
            json_array_append_new(out, e);
        }
        return out;
    }
    {
        yaml_node_pair_t *kv;
        yaml_node_t *first = NULL;
        yaml_node_pair_t *dup = first_duplicate(ld, n, false, &first);

        out = json_object();
        for (kv = n->data.mapping.pairs.start; kv < n->data.mapping.pairs.top; kv++) {
            yaml_node_t *k = node_at(ld, kv->key);
            json_t *e;

            if (!is_scalar(k)) {
                fail(ld, k, "%s: keys must be plain strings", what);
                goto fail;
            }
            if (kv == dup) {
                fail_duplicate(ld, k, first);
                goto fail;
            }
            if (check_template(ld, k, raw(k), allow) < 0)
                goto fail;
            e = to_json(ld, node_at(ld, kv->value), what, allow, depth + 1);
            if (!e)
                goto fail;
            json_object_set_new(out, raw(k), e);
        }
        return out;
    fail:
        json_decref(out);
        return NULL;
    }
}

/* ---- target ---------------------------------------------------------------------------- */

static int check_url_shown(loader *ld, const yaml_node_t *n, const char *url, const char *shown)
{
    gp_url u;
    gp_url_error e = gp_url_parse(url, false, &u);

    gp_url_cleanup(&u);
    switch (e) {
    case GP_URL_OK:
        return 0;
    case GP_URL_NO_SCHEME:
        return fail(ld, n, "target.url: malformed URL '%s' (expected ws://HOST[:PORT]/PATH)",
                    shown);
    case GP_URL_BAD_SCHEME:
        return fail(ld, n, "target.url: unsupported scheme '%.*s' (use ws:// or wss://)",
                    (int)u.scheme_len, shown);
    case GP_URL_BAD_CHARS:
        return fail(ld, n,
                    "target.url: malformed URL '%s' (spaces, '#' and control or "
                    "non-ASCII characters are not allowed)",
                    shown);
    case GP_URL_USERINFO:
        return fail(ld, n,
                    "target.url: credentials in the URL ('%s') are not supported; put "
                    "them in auth",
                    shown);
    case GP_URL_BAD_IPV6:
        return fail(ld, n, "target.url: malformed IPv6 host in '%s'", shown);
    case GP_URL_BAD_HOST_CHAR:
        return fail(ld, n, "target.url: bad character '%c' in host of '%s'", u.bad_char, shown);
    case GP_URL_NO_HOST:
        return fail(ld, n, "target.url: missing host in '%s'", shown);
    case GP_URL_BAD_PORT:
        return fail(ld, n, "target.url: bad port in '%s' (expected 1..65535)", shown);
    case GP_URL_MALFORMED:
        break;
    }
    return fail(ld, n, "target.url: malformed URL '%s'", shown);
}

/* Messages show the URL with its credentials (token=, user:password@) redacted. */
static int check_url(loader *ld, const yaml_node_t *n, const char *url)
{
    char *shown = gp_redact(url, strlen(url));
    int rc = check_url_shown(ld, n, url, shown);

    free(shown);
    return rc;
}

/* A file name relative to the scenario's directory, which must exist. */
static int get_file(loader *ld, const yaml_node_t *n, const char *what, char **out)
{
    char *name = NULL, *full;
    struct stat st;

    if (get_nonempty(ld, n, what, &name) < 0) {
        free(name);
        return -1;
    }
    full = name[0] == '/' ? gp_strdup(name) : gp_asprintf("%s/%s", ld->dir, name);
    if (stat(full, &st) != 0 || !S_ISREG(st.st_mode) || access(full, R_OK) != 0) {
        fail(ld, n, "%s: cannot read '%s' (%s)", what, full,
             stat(full, &st) != 0 ? strerror(errno) : "not a readable file");
        free(name);
        free(full);
        return -1;
    }
    free(name);
    free(*out);
    *out = full;
    return 0;
}

/* An http:// or https:// URL with a host, for the HTTP endpoints (tickets, test-auth). */
static int check_http_url(loader *ld, const yaml_node_t *n, const char *what, const char *url)
{
    char *shown = gp_redact(url, strlen(url));
    const char *host = NULL;
    int rc = 0;
    size_t i;

    if (strncmp(url, "http://", 7) == 0)
        host = url + 7;
    else if (strncmp(url, "https://", 8) == 0)
        host = url + 8;
    if (!host)
        rc = fail(ld, n, "%s: '%s' is not an http:// or https:// URL", what, shown);
    else if (!*host || *host == '/' || *host == ':')
        rc = fail(ld, n, "%s: missing host in '%s'", what, shown);
    for (i = 0; rc == 0 && url[i]; i++)
        if ((unsigned char)url[i] <= ' ' || url[i] == '#' || (unsigned char)url[i] >= 0x7f)
            rc = fail(ld, n,
                      "%s: malformed URL '%s' (spaces, '#' and control or non-ASCII "
                      "characters are not allowed)",
                      what, shown);
    free(shown);
    return rc;
}

static int target_pair(loader *ld, const char *key, yaml_node_t *k, yaml_node_t *v, void *ctx)
{
    static const char *const carriers[] = {"bearer", "subprotocol", "query", "none", "ticket"};
    static const char *const encodings[] = {"raw", "base64url"};
    static const char *const compressions[] = {"deflate", "none"};
    gp_target *t = &ld->s->target;
    char buf[80];
    int e;

    (void)ctx;
    (void)k;
    if (!strcmp(key, "url")) {
        if (get_nonempty(ld, v, "target.url", &t->url) < 0)
            return -1;
        return check_url(ld, v, t->url);
    }
    if (!strcmp(key, "headers")) {
        yaml_node_pair_t *kv, *dup = NULL;
        yaml_node_t *first = NULL;
        size_t i = 0;

        if (is_null(v))
            return 0;
        if (v->type != YAML_MAPPING_NODE)
            return fail(ld, v,
                        "target.headers: expected a mapping of header names to values, "
                        "got %s",
                        describe(v, buf, sizeof buf));
        t->nheaders = (size_t)(v->data.mapping.pairs.top - v->data.mapping.pairs.start);
        t->headers = gp_calloc(t->nheaders ? t->nheaders : 1, sizeof *t->headers);
        dup = first_duplicate(ld, v, true, &first);
        for (kv = v->data.mapping.pairs.start; kv < v->data.mapping.pairs.top; kv++, i++) {
            yaml_node_t *hk = node_at(ld, kv->key), *hv = node_at(ld, kv->value);
            const char *c;

            if (!is_scalar(hk) || !*raw(hk))
                return fail(ld, hk, "target.headers: header names must be strings");
            for (c = raw(hk); *c; c++)
                if (!isalnum((unsigned char)*c) && !strchr("!#$%&'*+-.^_`|~", *c))
                    return fail(ld, hk, "target.headers: '%s' is not a valid header name", raw(hk));
            if (kv == dup)
                return fail_duplicate(ld, hk, first);
            t->headers[i].key = gp_strdup(raw(hk));
            if (get_template(ld, hv, "target.headers", VARS_BUILTIN, &t->headers[i].value) < 0)
                return -1;
            if (strpbrk(t->headers[i].value, "\r\n"))
                return fail(ld, hv, "target.headers: header values cannot hold line breaks");
        }
        return 0;
    }
    if (!strcmp(key, "subprotocols"))
        return get_string_list(ld, v, "target.subprotocols", &t->subprotocols, &t->nsubprotocols);
    if (!strcmp(key, "carrier")) {
        if (get_enum(ld, v, "target.carrier", carriers, COUNT(carriers), &e) < 0)
            return -1;
        t->carrier = (gp_carrier)e;
        return 0;
    }
    if (!strcmp(key, "subprotocol_encoding")) {
        if (get_enum(ld, v, "target.subprotocol_encoding", encodings, COUNT(encodings), &e) < 0)
            return -1;
        t->subprotocol_base64 = e == 1;
        return 0;
    }
    if (!strcmp(key, "ca_file"))
        return get_file(ld, v, "target.ca_file", &t->ca_file);
    if (!strcmp(key, "client_cert"))
        return get_file(ld, v, "target.client_cert", &t->client_cert);
    if (!strcmp(key, "client_key"))
        return get_file(ld, v, "target.client_key", &t->client_key);
    if (!strcmp(key, "compression")) {
        if (get_enum(ld, v, "target.compression", compressions, COUNT(compressions), &e) < 0)
            return -1;
        t->compression = (gp_compression)e;
        return 0;
    }
    if (!strcmp(key, "ticket_url")) {
        if (get_nonempty(ld, v, "target.ticket_url", &t->ticket_url) < 0)
            return -1;
        return check_http_url(ld, v, "target.ticket_url", t->ticket_url);
    }
    if (!strcmp(key, "proxy")) {
        gp_proxy px;
        char *why = NULL;

        if (get_nonempty(ld, v, "target.proxy", &t->proxy) < 0)
            return -1;
        if (strcasecmp(t->proxy, "none") == 0)
            return 0;
        if (gp_proxy_parse(t->proxy, "target.proxy", &px, &why) < 0) {
            int rc = fail(ld, v, "%s", why);

            free(why);
            return rc;
        }
        gp_proxy_cleanup(&px);
        return 0;
    }
    return get_bool(ld, v, "target.insecure", &t->insecure);
}

static int load_target(loader *ld, yaml_node_t *k, yaml_node_t *v)
{
    static const char *const keys[] = {
        "url",     "headers",  "subprotocols", "carrier", "subprotocol_encoding",
        "ca_file", "insecure", "ticket_url",   "client_cert", "client_key",
        "compression", "proxy"};
    gp_target *t = &ld->s->target;
    char buf[80];

    if (v->type != YAML_MAPPING_NODE)
        return fail(ld, v, "target: expected a mapping with at least 'url', got %s",
                    describe(v, buf, sizeof buf));
    if (each_pair(ld, v, "target", keys, COUNT(keys), target_pair, NULL) < 0)
        return -1;
    if (!t->url)
        return fail(ld, k, "missing required key 'url' in target");
    if (!t->client_cert != !t->client_key)
        return fail(ld, k, "target: give both client_cert and client_key, or neither");
    return 0;
}

/* ---- auth ------------------------------------------------------------------------------ */

struct auth_ctx {
    yaml_node_t *kind, *secret_env, *claims, *ttl, *token_env, *file, *url, *bypass_key_env, *email,
        *name;
};

static int env_var_name(loader *ld, yaml_node_t *v, const char *what, char **out)
{
    if (get_nonempty(ld, v, what, out) < 0)
        return -1;
    if (!env_name_ok(*out, strlen(*out)))
        return fail(ld, v, "%s: '%s' is not an environment variable name", what, *out);
    return 0;
}

static const char *const auth_kind_names[] = {"jwt", "env_token", "token_file", "none", "e2e"};

static int auth_pair(loader *ld, const char *key, yaml_node_t *k, yaml_node_t *v, void *ctx)
{
    const char *const *kinds = auth_kind_names;
    struct auth_ctx *ac = ctx;
    gp_auth *a = &ld->s->auth;
    char buf[80];
    int e;

    (void)k;
    if (!strcmp(key, "kind")) {
        ac->kind = v;
        if (get_enum(ld, v, "auth.kind", kinds, COUNT(auth_kind_names), &e) < 0)
            return -1;
        a->kind = (gp_auth_kind)e;
        return 0;
    }
    if (!strcmp(key, "secret_env")) {
        ac->secret_env = v;
        return env_var_name(ld, v, "auth.secret_env", &a->secret_env);
    }
    if (!strcmp(key, "claims")) {
        json_t *c;

        ac->claims = v;
        if (is_null(v))
            return 0;
        if (v->type != YAML_MAPPING_NODE)
            return fail(ld, v, "auth.claims: expected a mapping of claim names to values, got %s",
                        describe(v, buf, sizeof buf));
        c = to_json(ld, v, "auth.claims", VARS_BUILTIN, 0);
        if (!c)
            return -1;
        {
            const char *ck;
            json_t *cv;
            void *tmp;

            /* Given claims override the defaults; a null removes one. */
            json_object_foreach_safe(c, tmp, ck, cv)
            {
                if (json_is_null(cv))
                    json_object_del(a->claims, ck);
                else
                    json_object_set(a->claims, ck, cv);
            }
        }
        json_decref(c);
        return 0;
    }
    if (!strcmp(key, "ttl")) {
        ac->ttl = v;
        return get_positive_duration(ld, v, "auth.ttl", &a->ttl_us);
    }
    if (!strcmp(key, "token_env")) {
        ac->token_env = v;
        return env_var_name(ld, v, "auth.token_env", &a->token_env);
    }
    if (!strcmp(key, "url")) {
        ac->url = v;
        if (get_nonempty(ld, v, "auth.url", &a->url) < 0)
            return -1;
        return check_http_url(ld, v, "auth.url", a->url);
    }
    if (!strcmp(key, "bypass_key_env")) {
        ac->bypass_key_env = v;
        free(a->bypass_key_env);
        a->bypass_key_env = NULL;
        return env_var_name(ld, v, "auth.bypass_key_env", &a->bypass_key_env);
    }
    if (!strcmp(key, "email")) {
        ac->email = v;
        free(a->email);
        a->email = NULL;
        return get_template(ld, v, "auth.email", VARS_BUILTIN, &a->email);
    }
    if (!strcmp(key, "name")) {
        ac->name = v;
        free(a->name);
        a->name = NULL;
        return get_template(ld, v, "auth.name", VARS_BUILTIN, &a->name);
    }
    ac->file = v;
    return get_file(ld, v, "auth.file", &a->token_file);
}

/* A key that belongs to another kind is a mistake worth naming. */
static int auth_misplaced(loader *ld, yaml_node_t *v, const char *key, const char *kind)
{
    if (!v)
        return 0;
    return fail(ld, v, "auth.%s: only used with kind %s (this auth has kind %s)", key, kind,
                auth_kind_names[ld->s->auth.kind]);
}

static int load_auth(loader *ld, yaml_node_t *k, yaml_node_t *v)
{
    static const char *const keys[] = {"kind", "secret_env", "claims",         "ttl",   "token_env",
                                       "file", "url",        "bypass_key_env", "email", "name"};
    struct auth_ctx ac = {0};
    gp_auth *a = &ld->s->auth;
    bool empty;

    if (want_map(ld, v, "auth", &empty) < 0)
        return -1;
    if (!empty && each_pair(ld, v, "auth", keys, COUNT(keys), auth_pair, &ac) < 0)
        return -1;
    if (a->kind != GP_AUTH_JWT && (auth_misplaced(ld, ac.secret_env, "secret_env", "jwt") < 0 ||
                                   auth_misplaced(ld, ac.claims, "claims", "jwt") < 0 ||
                                   auth_misplaced(ld, ac.ttl, "ttl", "jwt") < 0))
        return -1;
    if (a->kind != GP_AUTH_ENV_TOKEN &&
        auth_misplaced(ld, ac.token_env, "token_env", "env_token") < 0)
        return -1;
    if (a->kind != GP_AUTH_TOKEN_FILE && auth_misplaced(ld, ac.file, "file", "token_file") < 0)
        return -1;
    if (a->kind != GP_AUTH_E2E &&
        (auth_misplaced(ld, ac.url, "url", "e2e") < 0 ||
         auth_misplaced(ld, ac.bypass_key_env, "bypass_key_env", "e2e") < 0 ||
         auth_misplaced(ld, ac.email, "email", "e2e") < 0 ||
         auth_misplaced(ld, ac.name, "name", "e2e") < 0))
        return -1;
    if (ld->flags & GP_LOAD_OFFLINE)
        return 0; /* judging a recording signs nothing and asks no one for tokens */
    switch (a->kind) {
    case GP_AUTH_JWT:
        if (!getenv(a->secret_env) || !*getenv(a->secret_env))
            return fail(ld, ac.secret_env ? ac.secret_env : k,
                        "environment variable %s is not set (auth kind jwt signs tokens with "
                        "it)",
                        a->secret_env);
        return 0;
    case GP_AUTH_ENV_TOKEN:
        if (!a->token_env)
            return fail(ld, k, "missing required key 'token_env' in auth (kind env_token)");
        if (!getenv(a->token_env))
            return fail(ld, ac.token_env, "environment variable %s is not set", a->token_env);
        return 0;
    case GP_AUTH_TOKEN_FILE:
        if (!a->token_file)
            return fail(ld, k, "missing required key 'file' in auth (kind token_file)");
        return 0;
    case GP_AUTH_E2E:
        if (!a->url)
            return fail(ld, k, "missing required key 'url' in auth (kind e2e)");
        if (!getenv(a->bypass_key_env) || !*getenv(a->bypass_key_env))
            return fail(ld, ac.bypass_key_env ? ac.bypass_key_env : k,
                        "environment variable %s is not set (auth kind e2e sends it as "
                        "X-E2E-Bypass-Key)",
                        a->bypass_key_env);
        return 0;
    default:
        return 0;
    }
}

/* ---- users, timeouts ------------------------------------------------------------------- */

static int users_pair(loader *ld, const char *key, yaml_node_t *k, yaml_node_t *v, void *ctx)
{
    gp_users *u = &ld->s->users;
    long long n;

    (void)k;
    (void)ctx;
    if (!strcmp(key, "count")) {
        if (get_int(ld, v, "users.count", 1, USERS_MAX, &n) < 0)
            return -1;
        u->count = (unsigned)n;
        return 0;
    }
    if (!strcmp(key, "ramp_up"))
        return get_duration(ld, v, "users.ramp_up", &u->ramp_up_us);
    if (get_template(ld, v, "users.id", VARS_BUILTIN | VARS_NO_USER_ID, &u->id_template) < 0)
        return -1;
    if (!*u->id_template)
        return fail(ld, v, "users.id: must not be empty");
    return 0;
}

static int timeouts_pair(loader *ld, const char *key, yaml_node_t *k, yaml_node_t *v, void *ctx)
{
    gp_timeouts *t = &ld->s->timeouts;
    char *what = gp_asprintf("timeouts.%s", key);
    int64_t *slot = !strcmp(key, "connect")       ? &t->connect_us
                    : !strcmp(key, "first_event") ? &t->first_event_us
                    : !strcmp(key, "run")         ? &t->run_us
                    : !strcmp(key, "expect")      ? &t->expect_us
                    : !strcmp(key, "linger")      ? &t->linger_us
                                                  : &t->close_us;
    int rc;

    (void)k;
    (void)ctx;
    rc = slot == &t->linger_us ? get_duration(ld, v, what, slot)
                               : get_positive_duration(ld, v, what, slot);
    free(what);
    return rc;
}

/* ---- protocol -------------------------------------------------------------------------- */

static int ids_pair(loader *ld, const char *key, yaml_node_t *k, yaml_node_t *v, void *ctx)
{
    gp_profile *p = &ld->s->profile;
    char *what = gp_asprintf("protocol.ids.%s", key);
    int rc = get_nonempty(ld, v, what,
                          !strcmp(key, "run")      ? &p->run_id_key
                          : !strcmp(key, "thread") ? &p->thread_id_key
                                                   : &p->user_id_key);

    (void)k;
    (void)ctx;
    free(what);
    return rc;
}

static int load_aliases(loader *ld, yaml_node_t *v)
{
    gp_profile *p = &ld->s->profile;
    yaml_node_pair_t *kv, *dup = NULL;
    yaml_node_t *first = NULL;
    char buf[80];
    size_t i;

    if (v->type != YAML_MAPPING_NODE)
        return fail(ld, v,
                    "protocol.aliases: expected a mapping from a server's type name to a "
                    "canonical one, got %s",
                    describe(v, buf, sizeof buf));
    for (i = 0; i < p->naliases; i++) {
        free(p->aliases[i].from);
        free(p->aliases[i].to);
    }
    free(p->aliases);
    p->naliases = (size_t)(v->data.mapping.pairs.top - v->data.mapping.pairs.start);
    p->aliases = gp_calloc(p->naliases ? p->naliases : 1, sizeof *p->aliases);
    dup = first_duplicate(ld, v, false, &first);
    for (i = 0, kv = v->data.mapping.pairs.start; kv < v->data.mapping.pairs.top; kv++, i++) {
        yaml_node_t *ak = node_at(ld, kv->key), *av = node_at(ld, kv->value);
        size_t j;

        if (!is_scalar(ak) || !*raw(ak))
            return fail(ld, ak, "protocol.aliases: names must be strings");
        if (kv == dup)
            return fail_duplicate(ld, ak, first);
        p->aliases[i].from = gp_strdup(raw(ak));
        if (get_nonempty(ld, av, "protocol.aliases", &p->aliases[i].to) < 0)
            return -1;
        for (j = 0; j < GP_EV_CANONICAL_COUNT; j++)
            if (strcmp(p->aliases[i].to, gp_event_type_names[j]) == 0)
                break;
        if (j == GP_EV_CANONICAL_COUNT) {
            const char *near =
                suggest(p->aliases[i].to, gp_event_type_names, GP_EV_CANONICAL_COUNT);
            char list[400];

            join_names(gp_event_type_names, GP_EV_CANONICAL_COUNT, list, sizeof list);
            if (near)
                return fail(ld, av,
                            "protocol.aliases: '%s' is not a canonical event name; did "
                            "you mean '%s'?",
                            p->aliases[i].to, near);
            return fail(ld, av,
                        "protocol.aliases: '%s' is not a canonical event name (allowed: "
                        "%s)",
                        p->aliases[i].to, list);
        }
    }
    return 0;
}

/* ---- protocol.outcome ------------------------------------------------------------------ */

/* A path is names separated by single dots: "status", "metadata.status". */
static int get_path(loader *ld, const yaml_node_t *n, const char *what, char **out)
{
    const char *p;

    if (get_nonempty(ld, n, what, out) < 0)
        return -1;
    p = *out;
    if (p[0] == '.' || p[strlen(p) - 1] == '.' || strstr(p, "..") || strpbrk(p, " \t"))
        return fail(ld, n, "%s: malformed path '%s' (names joined by dots, e.g. metadata.status)",
                    what, p);
    return 0;
}

/* One value to compare with: typed like a sent message (plain false is a boolean, quoted
 * "false" a string). Returns a new reference or NULL with the error set. */
static json_t *get_value(loader *ld, yaml_node_t *n, const char *what)
{
    char buf[80];

    if (!is_scalar(n)) {
        fail(ld, n, "%s: expected a value such as failed, false or 0, got %s", what,
             describe(n, buf, sizeof buf));
        return NULL;
    }
    return to_json(ld, n, what, 0, 0);
}

/* A non-empty list of values; a new array in *out, or -1 with the error set. */
static int get_values(loader *ld, yaml_node_t *n, const char *what, json_t **out)
{
    yaml_node_item_t *it;
    char buf[80];
    size_t i = 0;

    if (n->type != YAML_SEQUENCE_NODE)
        return fail(ld, n, "%s: expected a list of values such as [failed, error], got %s", what,
                    describe(n, buf, sizeof buf));
    if (n->data.sequence.items.top == n->data.sequence.items.start)
        return fail(ld, n, "%s: must list at least one value", what);
    json_decref(*out);
    *out = json_array();
    for (it = n->data.sequence.items.start; it < n->data.sequence.items.top; it++, i++) {
        char *item = gp_asprintf("%s[%zu]", what, i);
        json_t *v = get_value(ld, node_at(ld, *it), item);

        free(item);
        if (!v)
            return -1;
        json_array_append_new(*out, v);
    }
    return 0;
}

/* An entry of the form {path: P, TEST: V} with exactly one TEST among keys (which lists
 * "path" first): sets *path, *op and *opk (the TEST's key), or fails with what a person
 * should write (example) and the tests there are (tests). */
static int path_and_test(loader *ld, yaml_node_t *item, const char *what,
                         const char *const *keys, size_t nkeys, const char *example,
                         const char *tests, yaml_node_t **path, yaml_node_t **op,
                         yaml_node_t **opk)
{
    yaml_node_pair_t *kv;
    char buf[80];

    *path = *op = *opk = NULL;
    if (item->type != YAML_MAPPING_NODE)
        return fail(ld, item, "%s: expected a mapping such as %s, got %s", what, example,
                    describe(item, buf, sizeof buf));
    if (each_pair(ld, item, what, keys, nkeys, NULL, NULL) < 0)
        return -1;
    for (kv = item->data.mapping.pairs.start; kv < item->data.mapping.pairs.top; kv++) {
        yaml_node_t *k = node_at(ld, kv->key);

        if (!strcmp(raw(k), "path")) {
            *path = node_at(ld, kv->value);
            continue;
        }
        if (*op)
            return fail(ld, k, "%s: one test per entry; found both '%s' and '%s'", what,
                        raw(*opk), raw(k));
        *op = node_at(ld, kv->value);
        *opk = k;
    }
    if (!*path)
        return fail(ld, item, "missing required key 'path' in %s", what);
    if (!*op)
        return fail(ld, item, "%s: needs one of %s", what, tests);
    return 0;
}

static int load_signal(loader *ld, yaml_node_t *item, gp_outcome_signal *sg, size_t index)
{
    static const char *const keys[] = {"path", "equals", "in", "not_in", "nonempty"};
    yaml_node_t *path, *op, *opk;
    char *w = NULL;
    char *what = gp_asprintf("protocol.outcome.failure[%zu]", index);
    int rc = -1;

    if (path_and_test(ld, item, what, keys, COUNT(keys), "{path: metadata.success, equals: false}",
                      "equals, in, not_in, nonempty", &path, &op, &opk) < 0)
        goto out;
    w = gp_asprintf("%s.path", what);
    if (get_path(ld, path, w, &sg->path) < 0)
        goto out;
    free(w);
    w = gp_asprintf("%s.%s", what, raw(opk));
    if (!strcmp(raw(opk), "equals")) {
        json_t *v = get_value(ld, op, w);

        sg->op = GP_OUTCOME_EQUALS;
        if (!v)
            goto out;
        sg->values = json_array();
        json_array_append_new(sg->values, v);
    } else if (!strcmp(raw(opk), "nonempty")) {
        bool b;

        sg->op = GP_OUTCOME_NONEMPTY;
        if (get_bool(ld, op, w, &b) < 0)
            goto out;
        sg->values = json_pack("[b]", b);
    } else {
        sg->op = !strcmp(raw(opk), "in") ? GP_OUTCOME_IN : GP_OUTCOME_NOT_IN;
        if (get_values(ld, op, w, &sg->values) < 0)
            goto out;
    }
    rc = 0;
out:
    free(w);
    free(what);
    return rc;
}

static int load_failure_signals(loader *ld, yaml_node_t *v)
{
    gp_outcome *o = &ld->s->outcome;
    yaml_node_item_t *it;
    char buf[80];
    size_t i = 0;

    if (!is_null(v) && v->type != YAML_SEQUENCE_NODE)
        return fail(ld, v,
                    "protocol.outcome.failure: expected a list of signals such as "
                    "[{path: metadata.success, equals: false}], got %s",
                    describe(v, buf, sizeof buf));
    gp_outcome_signals_free(o->failure, o->nfailure);
    o->failure = NULL;
    o->nfailure = 0;
    if (is_null(v))
        return 0;
    o->nfailure = (size_t)(v->data.sequence.items.top - v->data.sequence.items.start);
    o->failure = gp_calloc(o->nfailure ? o->nfailure : 1, sizeof *o->failure);
    for (it = v->data.sequence.items.start; it < v->data.sequence.items.top; it++, i++)
        if (load_signal(ld, node_at(ld, *it), &o->failure[i], i) < 0)
            return -1;
    return 0;
}

static int outcome_pair(loader *ld, const char *key, yaml_node_t *k, yaml_node_t *v, void *ctx)
{
    gp_outcome *o = &ld->s->outcome;

    (void)k;
    (void)ctx;
    if (!strcmp(key, "status")) {
        if (is_null(v)) {
            free(o->status_path);
            o->status_path = NULL;
            return 0;
        }
        return get_path(ld, v, "protocol.outcome.status", &o->status_path);
    }
    if (!strcmp(key, "success"))
        return get_values(ld, v, "protocol.outcome.success", &o->success);
    return load_failure_signals(ld, v);
}

static int load_outcome(loader *ld, yaml_node_t *v)
{
    static const char *const keys[] = {"status", "success", "failure"};
    bool empty;

    if (want_map(ld, v, "protocol.outcome", &empty) < 0)
        return -1;
    return empty ? 0 : each_pair(ld, v, "protocol.outcome", keys, COUNT(keys), outcome_pair, NULL);
}

static int protocol_pair(loader *ld, const char *key, yaml_node_t *k, yaml_node_t *v, void *ctx)
{
    static const char *const id_keys[] = {"run", "thread", "user"};
    gp_profile *p = &ld->s->profile;
    bool empty;

    (void)k;
    (void)ctx;
    if (!strcmp(key, "type_key"))
        return get_nonempty(ld, v, "protocol.type_key", &p->type_key);
    if (!strcmp(key, "event_key"))
        return get_nonempty(ld, v, "protocol.event_key", &p->event_key);
    if (!strcmp(key, "wrappers"))
        return get_string_list(ld, v, "protocol.wrappers", &p->wrapper_types, &p->nwrapper_types);
    if (!strcmp(key, "containers"))
        return get_string_list(ld, v, "protocol.containers", &p->containers, &p->ncontainers);
    if (!strcmp(key, "noise"))
        return get_string_list(ld, v, "protocol.noise", &p->noise_types, &p->nnoise_types);
    if (!strcmp(key, "ready"))
        return get_string_list(ld, v, "protocol.ready", &p->ready_types, &p->nready_types);
    if (!strcmp(key, "aliases"))
        return is_null(v) ? 0 : load_aliases(ld, v);
    if (!strcmp(key, "max_frame"))
        return get_size(ld, v, "protocol.max_frame", 1024, (size_t)1 << 30, &p->max_frame_bytes);
    if (!strcmp(key, "outcome"))
        return load_outcome(ld, v);
    if (want_map(ld, v, "protocol.ids", &empty) < 0)
        return -1;
    return empty ? 0 : each_pair(ld, v, "protocol.ids", id_keys, COUNT(id_keys), ids_pair, NULL);
}

/* ---- steps ----------------------------------------------------------------------------- */

static const char *const step_kinds[] = {"connect", "send", "expect", "expect_run", "think",
                                         "repeat",  "ping", "close",  "reconnect"};

static int load_steps(loader *ld, yaml_node_t *seq, const char *what, gp_step **out, size_t *nout,
                      int depth);

struct step_ctx {
    gp_step *st;
    yaml_node_t *min, *max;
    yaml_node_t *count, *steps;
};

static int take_label(loader *ld, gp_step *st, yaml_node_t *v, const char *what)
{
    char *w = gp_asprintf("%s.name", what);
    int rc = get_nonempty(ld, v, w, &st->label);

    free(w);
    return rc;
}

static int var_name_ok(loader *ld, yaml_node_t *k, const char *name)
{
    if (!env_name_ok(name, strlen(name)))
        return fail(ld, k, "capture: '%s' is not a valid variable name (letters, digits and _)",
                    name);
    if (!strcmp(name, "nonce") || !strcmp(name, "uuid") || !strcmp(name, "user"))
        return fail(ld, k, "capture: '%s' is a built-in variable and cannot be captured", name);
    return 0;
}

static int load_captures(loader *ld, yaml_node_t *v, const char *what, gp_capture **out,
                         size_t *nout)
{
    yaml_node_pair_t *kv, *dup = NULL;
    yaml_node_t *first = NULL;
    char buf[80];
    size_t i;

    if (is_null(v))
        return 0;
    if (v->type != YAML_MAPPING_NODE)
        return fail(ld, v, "%s.capture: expected a mapping of variable names to paths, got %s",
                    what, describe(v, buf, sizeof buf));
    *nout = (size_t)(v->data.mapping.pairs.top - v->data.mapping.pairs.start);
    *out = gp_calloc(*nout ? *nout : 1, sizeof **out);
    dup = first_duplicate(ld, v, false, &first);
    for (i = 0, kv = v->data.mapping.pairs.start; kv < v->data.mapping.pairs.top; kv++, i++) {
        yaml_node_t *ck = node_at(ld, kv->key), *cv = node_at(ld, kv->value);
        char *w;
        int rc;

        if (!is_scalar(ck))
            return fail(ld, ck, "%s.capture: variable names must be strings", what);
        if (kv == dup)
            return fail_duplicate(ld, ck, first);
        if (var_name_ok(ld, ck, raw(ck)) < 0)
            return -1;
        (*out)[i].var = gp_strdup(raw(ck));
        w = gp_asprintf("%s.capture.%s", what, raw(ck));
        rc = get_nonempty(ld, cv, w, &(*out)[i].path);
        free(w);
        if (rc < 0)
            return -1;
    }
    return 0;
}

/* Captured names become usable only after the step that captures them. */
static void publish_captures(loader *ld, const gp_capture *c, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        if (captured(ld, c[i].var))
            continue;
        ld->vars = gp_realloc(ld->vars, (ld->nvars + 1) * sizeof *ld->vars);
        ld->vars[ld->nvars++] = gp_strdup(c[i].var);
    }
}

static int connect_pair(loader *ld, const char *key, yaml_node_t *k, yaml_node_t *v, void *ctx)
{
    static const char *const creds[] = {"valid", "none", "garbage", "wrong_secret", "expired"};
    static const char *const outcomes[] = {"accepted", "refused"};
    struct step_ctx *sc = ctx;
    int e;

    (void)k;
    if (!strcmp(key, "name"))
        return take_label(ld, sc->st, v, "connect");
    if (!strcmp(key, "credential")) {
        if (get_enum(ld, v, "connect.credential", creds, COUNT(creds), &e) < 0)
            return -1;
        sc->st->u.connect.credential = (gp_credential)e;
        return 0;
    }
    if (get_enum(ld, v, "connect.expect", outcomes, COUNT(outcomes), &e) < 0)
        return -1;
    sc->st->u.connect.expect_refused = e == 1;
    return 0;
}

static int load_pred(loader *ld, yaml_node_t *item, gp_pred *pr, size_t index)
{
    static const char *const keys[] = {"path", "equals", "contains", "exists", "type", "nonempty"};
    static const char *const types[] = {"string", "number", "object", "array", "boolean", "null"};
    yaml_node_t *path, *op, *opk;
    char *what = gp_asprintf("expect.where[%zu]", index);
    int rc = -1;

    if (path_and_test(ld, item, what, keys, COUNT(keys), "{path: run_id, exists: true}",
                      "equals, contains, exists, type, nonempty", &path, &op, &opk) < 0)
        goto out;
    {
        char *w = gp_asprintf("%s.path", what);

        rc = get_nonempty(ld, path, w, &pr->path);
        free(w);
        if (rc < 0)
            goto out;
        rc = -1;
    }
    if (!strcmp(raw(opk), "equals")) {
        pr->op = GP_PRED_EQUALS;
        pr->value = to_json(ld, op, what, VARS_BUILTIN | VARS_CAPTURED, 0);
    } else if (!strcmp(raw(opk), "contains")) {
        char *s = NULL;

        pr->op = GP_PRED_CONTAINS;
        if (get_template(ld, op, "expect.where.contains", VARS_BUILTIN | VARS_CAPTURED, &s) == 0)
            pr->value = json_string(s);
        free(s);
    } else if (!strcmp(raw(opk), "type")) {
        int e = 0;

        pr->op = GP_PRED_TYPE;
        if (get_enum(ld, op, "expect.where.type", types, COUNT(types), &e) == 0)
            pr->value = json_string(types[e]);
    } else {
        bool b;

        pr->op = !strcmp(raw(opk), "exists") ? GP_PRED_EXISTS : GP_PRED_NONEMPTY;
        if (get_bool(ld, op,
                     pr->op == GP_PRED_EXISTS ? "expect.where.exists" : "expect.where.nonempty",
                     &b) == 0)
            pr->value = json_boolean(b);
    }
    rc = pr->value ? 0 : -1;
out:
    free(what);
    return rc;
}

static int expect_pair(loader *ld, const char *key, yaml_node_t *k, yaml_node_t *v, void *ctx)
{
    struct step_ctx *sc = ctx;
    gp_step *st = sc->st;
    char buf[80];

    (void)k;
    if (!strcmp(key, "name"))
        return take_label(ld, st, v, "expect");
    if (!strcmp(key, "match")) {
        if (v->type != YAML_MAPPING_NODE)
            return fail(ld, v, "expect.match: expected a mapping (a part of the frame), got %s",
                        describe(v, buf, sizeof buf));
        st->u.expect.match = to_json(ld, v, "expect.match", VARS_BUILTIN | VARS_CAPTURED, 0);
        return st->u.expect.match ? 0 : -1;
    }
    if (!strcmp(key, "where")) {
        yaml_node_item_t *it;
        size_t i = 0;

        if (v->type != YAML_SEQUENCE_NODE)
            return fail(ld, v, "expect.where: expected a list of tests, got %s",
                        describe(v, buf, sizeof buf));
        st->u.expect.npreds = (size_t)(v->data.sequence.items.top - v->data.sequence.items.start);
        st->u.expect.preds =
            gp_calloc(st->u.expect.npreds ? st->u.expect.npreds : 1, sizeof *st->u.expect.preds);
        for (it = v->data.sequence.items.start; it < v->data.sequence.items.top; it++, i++)
            if (load_pred(ld, node_at(ld, *it), &st->u.expect.preds[i], i) < 0)
                return -1;
        return 0;
    }
    if (!strcmp(key, "capture"))
        return load_captures(ld, v, "expect", &st->u.expect.captures, &st->u.expect.ncaptures);
    if (!strcmp(key, "timeout"))
        return get_positive_duration(ld, v, "expect.timeout", &st->u.expect.timeout_us);
    return get_bool(ld, v, "expect.skip_noise", &st->u.expect.skip_noise);
}

static int expect_run_pair(loader *ld, const char *key, yaml_node_t *k, yaml_node_t *v, void *ctx)
{
    struct step_ctx *sc = ctx;
    gp_step *st = sc->st;
    char buf[80];

    (void)k;
    if (!strcmp(key, "name"))
        return take_label(ld, st, v, "expect_run");
    if (!strcmp(key, "require")) {
        yaml_node_item_t *it;

        if (v->type != YAML_SEQUENCE_NODE)
            return fail(ld, v, "expect_run.require: expected a list of event names, got %s",
                        describe(v, buf, sizeof buf));
        st->u.expect_run.required = 0;
        for (it = v->data.sequence.items.start; it < v->data.sequence.items.top; it++) {
            yaml_node_t *e = node_at(ld, *it);
            char *name = NULL;
            size_t j;

            if (get_nonempty(ld, e, "expect_run.require", &name) < 0) {
                free(name);
                return -1;
            }
            for (j = 0; j < GP_EV_GOLDEN_COUNT && strcmp(gp_event_type_names[j], name); j++)
                ;
            if (j == GP_EV_GOLDEN_COUNT) {
                const char *near = suggest(name, gp_event_type_names, GP_EV_GOLDEN_COUNT);
                char list[256];

                join_names(gp_event_type_names, GP_EV_GOLDEN_COUNT, list, sizeof list);
                if (near)
                    fail(ld, e, "expect_run.require: unknown event '%s'; did you mean '%s'?", name,
                         near);
                else
                    fail(ld, e, "expect_run.require: unknown event '%s' (allowed: %s)", name, list);
                free(name);
                return -1;
            }
            free(name);
            st->u.expect_run.required |= GP_EV_MASK(j);
        }
        if (!st->u.expect_run.required)
            return fail(ld, v, "expect_run.require: must name at least one event");
        return 0;
    }
    if (!strcmp(key, "allow_repeats"))
        return get_bool(ld, v, "expect_run.allow_repeats", &st->u.expect_run.allow_repeats);
    if (!strcmp(key, "max_gap"))
        return get_positive_duration(ld, v, "expect_run.max_gap", &st->u.expect_run.max_gap_us);
    if (!strcmp(key, "deadline"))
        return get_positive_duration(ld, v, "expect_run.deadline", &st->u.expect_run.deadline_us);
    return load_captures(ld, v, "expect_run", &st->u.expect_run.captures,
                         &st->u.expect_run.ncaptures);
}

static int think_pair(loader *ld, const char *key, yaml_node_t *k, yaml_node_t *v, void *ctx)
{
    struct step_ctx *sc = ctx;

    (void)k;
    if (!strcmp(key, "name"))
        return take_label(ld, sc->st, v, "think");
    if (!strcmp(key, "min")) {
        sc->min = v;
        return get_duration(ld, v, "think.min", &sc->st->u.think.min_us);
    }
    sc->max = v;
    return get_duration(ld, v, "think.max", &sc->st->u.think.max_us);
}

static int repeat_pair(loader *ld, const char *key, yaml_node_t *k, yaml_node_t *v, void *ctx)
{
    struct step_ctx *sc = ctx;
    long long n;

    (void)k;
    if (!strcmp(key, "name"))
        return take_label(ld, sc->st, v, "repeat");
    if (!strcmp(key, "count")) {
        sc->count = v;
        if (get_int(ld, v, "repeat.count", 1, REPEAT_MAX, &n) < 0)
            return -1;
        sc->st->u.repeat.count = (unsigned)n;
        return 0;
    }
    sc->steps = v;
    return 0;
}

static int ping_pair(loader *ld, const char *key, yaml_node_t *k, yaml_node_t *v, void *ctx)
{
    struct step_ctx *sc = ctx;

    (void)k;
    if (!strcmp(key, "name"))
        return take_label(ld, sc->st, v, "ping");
    return get_positive_duration(ld, v, "ping.timeout", &sc->st->u.ping.timeout_us);
}

static int close_pair(loader *ld, const char *key, yaml_node_t *k, yaml_node_t *v, void *ctx)
{
    struct step_ctx *sc = ctx;
    gp_step *st = sc->st;
    long long code;

    (void)k;
    if (!strcmp(key, "name"))
        return take_label(ld, st, v, "close");
    if (!strcmp(key, "code")) {
        if (get_int(ld, v, "close.code", 1000, 4999, &code) < 0)
            return -1;
        if (code == 1004 || code == 1005 || code == 1006 || code == 1015 ||
            (code > 1015 && code < 3000))
            return fail(ld, v,
                        "close.code: %lld cannot be sent in a close frame (use 1000, "
                        "1001, 1002, 1003, 1007..1014, or 3000..4999)",
                        code);
        st->u.close.code = (int)code;
        return 0;
    }
    {
        char *reason = NULL;

        if (is_null(v))
            reason = gp_strdup("");
        else if (get_string(ld, v, "close.reason", &reason) < 0)
            return -1;
        free(st->u.close.reason);
        st->u.close.reason = reason;
        if (strlen(reason) > 123)
            return fail(ld, v,
                        "close.reason: %zu bytes is too long (a close frame holds at "
                        "most 123)",
                        strlen(reason));
        return 0;
    }
}

static int reconnect_pair(loader *ld, const char *key, yaml_node_t *k, yaml_node_t *v, void *ctx)
{
    struct step_ctx *sc = ctx;

    (void)k;
    if (!strcmp(key, "name"))
        return take_label(ld, sc->st, v, "reconnect");
    return get_duration(ld, v, "reconnect.delay", &sc->st->u.reconnect.delay_us);
}

/* Fills st (kind, id and position already set) from the value v of its kind key. */
static int load_step_body(loader *ld, gp_step *st, yaml_node_t *k, yaml_node_t *v, int depth)
{
    static const char *const connect_keys[] = {"name", "credential", "expect"};
    static const char *const expect_keys[] = {"name",    "match",   "where",
                                              "capture", "timeout", "skip_noise"};
    static const char *const expect_run_keys[] = {"name",    "require",  "allow_repeats",
                                                  "max_gap", "deadline", "capture"};
    static const char *const think_keys[] = {"name", "min", "max"};
    static const char *const repeat_keys[] = {"name", "count", "steps"};
    static const char *const ping_keys[] = {"name", "timeout"};
    static const char *const close_keys[] = {"name", "code", "reason"};
    static const char *const reconnect_keys[] = {"name", "delay"};
    struct step_ctx sc = {0};
    const char *kind = gp_step_kind_name(st->kind);
    char where[64], buf[80];
    bool empty = false;

    sc.st = st;
    snprintf(where, sizeof where, "the %s step", kind);
    switch (st->kind) {
    case GP_STEP_SEND:
        if (v->type != YAML_MAPPING_NODE)
            return fail(ld, v, "send: expected a mapping (the JSON message to send), got %s",
                        describe(v, buf, sizeof buf));
        st->u.send.message = to_json(ld, v, "send", VARS_BUILTIN | VARS_CAPTURED, 0);
        return st->u.send.message ? 0 : -1;
    case GP_STEP_THINK:
        if (is_scalar(v) && !is_null(v)) {
            if (get_duration(ld, v, "think", &st->u.think.min_us) < 0)
                return -1;
            st->u.think.max_us = st->u.think.min_us;
            return 0;
        }
        if (v->type != YAML_MAPPING_NODE)
            return fail(ld, v, "think: expected a duration or {min, max}, got %s",
                        describe(v, buf, sizeof buf));
        if (each_pair(ld, v, where, think_keys, COUNT(think_keys), think_pair, &sc) < 0)
            return -1;
        if (!sc.min && !sc.max)
            return fail(ld, v, "think: needs a duration, or min and max");
        if (!sc.max)
            st->u.think.max_us = st->u.think.min_us;
        if (!sc.min)
            st->u.think.min_us = 0;
        if (st->u.think.min_us > st->u.think.max_us)
            return fail(ld, sc.max, "think.max: shorter than think.min");
        return 0;
    case GP_STEP_REPEAT:
        if (v->type != YAML_MAPPING_NODE)
            return fail(ld, v, "repeat: expected a mapping with count and steps, got %s",
                        describe(v, buf, sizeof buf));
        if (each_pair(ld, v, where, repeat_keys, COUNT(repeat_keys), repeat_pair, &sc) < 0)
            return -1;
        if (!sc.count)
            return fail(ld, k, "missing required key 'count' in repeat");
        if (!sc.steps)
            return fail(ld, k, "missing required key 'steps' in repeat");
        return load_steps(ld, sc.steps, "repeat.steps", &st->u.repeat.steps, &st->u.repeat.nsteps,
                          depth + 1);
    default:
        break;
    }
    if (want_map(ld, v, kind, &empty) < 0)
        return -1;
    switch (st->kind) {
    case GP_STEP_CONNECT:
        return empty
                   ? 0
                   : each_pair(ld, v, where, connect_keys, COUNT(connect_keys), connect_pair, &sc);
    case GP_STEP_EXPECT:
        st->u.expect.skip_noise = true;
        if (!empty &&
            each_pair(ld, v, where, expect_keys, COUNT(expect_keys), expect_pair, &sc) < 0)
            return -1;
        publish_captures(ld, st->u.expect.captures, st->u.expect.ncaptures);
        return 0;
    case GP_STEP_EXPECT_RUN:
        st->u.expect_run.required = GP_EV_GOLDEN_MASK;
        if (!empty && each_pair(ld, v, where, expect_run_keys, COUNT(expect_run_keys),
                                expect_run_pair, &sc) < 0)
            return -1;
        publish_captures(ld, st->u.expect_run.captures, st->u.expect_run.ncaptures);
        return 0;
    case GP_STEP_PING:
        return empty ? 0 : each_pair(ld, v, where, ping_keys, COUNT(ping_keys), ping_pair, &sc);
    case GP_STEP_CLOSE:
        st->u.close.code = 1000;
        if (!empty && each_pair(ld, v, where, close_keys, COUNT(close_keys), close_pair, &sc) < 0)
            return -1;
        if (!st->u.close.reason)
            st->u.close.reason = gp_strdup("done");
        return 0;
    case GP_STEP_RECONNECT:
        return empty ? 0
                     : each_pair(ld, v, where, reconnect_keys, COUNT(reconnect_keys),
                                 reconnect_pair, &sc);
    default:
        return 0;
    }
}

static int step_kind_of(loader *ld, yaml_node_t *k, gp_step_kind *out)
{
    size_t i;
    const char *near;
    char list[256];

    for (i = 0; i < COUNT(step_kinds); i++) {
        if (strcmp(raw(k), step_kinds[i]) == 0) {
            *out = (gp_step_kind)i;
            return 0;
        }
    }
    near = suggest(raw(k), step_kinds, COUNT(step_kinds));
    if (near)
        return fail(ld, k, "unknown step kind '%s'; did you mean '%s'?", raw(k), near);
    join_names(step_kinds, COUNT(step_kinds), list, sizeof list);
    return fail(ld, k, "unknown step kind '%s' (allowed: %s)", raw(k), list);
}

static int load_step(loader *ld, yaml_node_t *item, gp_step *st, int depth)
{
    yaml_node_t *k = NULL, *v = NULL, *label = NULL;
    yaml_node_pair_t *kv, *dup = NULL;
    yaml_node_t *first = NULL;
    char buf[80];
    static const char bare_null[] = "";

    if (is_scalar(item) && !is_null(item)) {
        k = item;
    } else if (item->type == YAML_MAPPING_NODE) {
        dup = first_duplicate(ld, item, false, &first);
        for (kv = item->data.mapping.pairs.start; kv < item->data.mapping.pairs.top; kv++) {
            yaml_node_t *kk = node_at(ld, kv->key);

            if (!is_scalar(kk))
                return fail(ld, kk, "step keys must be plain strings");
            if (kv == dup)
                return fail_duplicate(ld, kk, first);
            if (!strcmp(raw(kk), "name")) {
                label = node_at(ld, kv->value);
                continue;
            }
            if (k)
                return fail(ld, kk,
                            "a step has one kind; found both '%s' and '%s' (start "
                            "another list item with '-')",
                            raw(k), raw(kk));
            {
                gp_step_kind kind;

                if (step_kind_of(ld, kk, &kind) < 0)
                    return -1;
            }
            k = kk;
            v = node_at(ld, kv->value);
        }
        if (!k)
            return fail(ld, item,
                        "a step needs a kind: one of connect, send, expect, "
                        "expect_run, think, repeat, ping, close, reconnect");
    } else {
        return fail(ld, item,
                    "a step must be a kind name or a mapping such as "
                    "'- connect: {}', got %s",
                    describe(item, buf, sizeof buf));
    }
    if (step_kind_of(ld, k, &st->kind) < 0)
        return -1;
    st->id = ld->next_id++;
    st->line = (int)k->start_mark.line + 1;
    st->col = (int)k->start_mark.column + 1;
    if (label && take_label(ld, st, label, gp_step_kind_name(st->kind)) < 0)
        return -1;
    if (!v) {
        /* A bare "- connect" means every default; only send and repeat need a body. */
        yaml_node_t empty;

        memset(&empty, 0, sizeof empty);
        empty.type = YAML_SCALAR_NODE;
        empty.data.scalar.value = (yaml_char_t *)bare_null;
        empty.data.scalar.style = YAML_PLAIN_SCALAR_STYLE;
        empty.start_mark = k->start_mark;
        if (st->kind == GP_STEP_SEND || st->kind == GP_STEP_REPEAT || st->kind == GP_STEP_THINK)
            return fail(ld, k, "%s: needs a value", gp_step_kind_name(st->kind));
        return load_step_body(ld, st, k, &empty, depth);
    }
    if (label && v->type == YAML_MAPPING_NODE && st->kind != GP_STEP_SEND) {
        for (kv = v->data.mapping.pairs.start; kv < v->data.mapping.pairs.top; kv++) {
            yaml_node_t *kk = node_at(ld, kv->key);

            if (is_scalar(kk) && !strcmp(raw(kk), "name"))
                return fail(ld, kk, "the step is named twice (here and at %d:%d)",
                            (int)label->start_mark.line + 1, (int)label->start_mark.column + 1);
        }
    }
    return load_step_body(ld, st, k, v, depth);
}

static int load_steps(loader *ld, yaml_node_t *seq, const char *what, gp_step **out, size_t *nout,
                      int depth)
{
    yaml_node_item_t *it;
    char buf[80];
    size_t i = 0, n;

    if (depth > DEPTH_MAX)
        return fail(ld, seq, "%s: repeats nested deeper than %d levels", what, DEPTH_MAX);
    if (seq->type != YAML_SEQUENCE_NODE)
        return fail(ld, seq, "%s: expected a list of steps, got %s", what,
                    describe(seq, buf, sizeof buf));
    n = (size_t)(seq->data.sequence.items.top - seq->data.sequence.items.start);
    if (n == 0)
        return fail(ld, seq, "%s: must hold at least one step", what);
    *out = gp_calloc(n, sizeof **out);
    *nout = n;
    for (it = seq->data.sequence.items.start; it < seq->data.sequence.items.top; it++, i++)
        if (load_step(ld, node_at(ld, *it), &(*out)[i], depth) < 0)
            return -1;
    return 0;
}

/* ---- the top level --------------------------------------------------------------------- */

struct top_ctx {
    yaml_node_t *name, *target, *auth, *steps;
};

static int top_pair(loader *ld, const char *key, yaml_node_t *k, yaml_node_t *v, void *ctx)
{
    static const char *const users_keys[] = {"count", "ramp_up", "id"};
    static const char *const timeout_keys[] = {"connect", "first_event", "run",
                                               "expect",  "linger",      "close"};
    static const char *const protocol_keys[] = {"type_key",  "event_key", "wrappers", "containers",
                                                "ids",       "noise",     "ready",    "aliases",
                                                "max_frame", "outcome"};
    struct top_ctx *tc = ctx;
    bool empty;

    if (!strcmp(key, "name")) {
        tc->name = k;
        return get_nonempty(ld, v, "name", &ld->s->name);
    }
    if (!strcmp(key, "description"))
        return is_null(v) ? 0 : get_string(ld, v, "description", &ld->s->description);
    if (!strcmp(key, "target")) {
        tc->target = k;
        return load_target(ld, k, v);
    }
    if (!strcmp(key, "auth")) {
        tc->auth = k;
        return load_auth(ld, k, v);
    }
    if (!strcmp(key, "steps")) {
        tc->steps = k;
        if (is_null(v))
            return fail(ld, v, "steps: must hold at least one step");
        return load_steps(ld, v, "steps", &ld->s->steps, &ld->s->nsteps, 0);
    }
    if (want_map(ld, v, key, &empty) < 0 || empty)
        return empty ? 0 : -1;
    if (!strcmp(key, "users"))
        return each_pair(ld, v, "users", users_keys, COUNT(users_keys), users_pair, NULL);
    if (!strcmp(key, "timeouts"))
        return each_pair(ld, v, "timeouts", timeout_keys, COUNT(timeout_keys), timeouts_pair, NULL);
    return each_pair(ld, v, "protocol", protocol_keys, COUNT(protocol_keys), protocol_pair, NULL);
}

static int load_root(loader *ld, yaml_node_t *root)
{
    static const char *const keys[] = {"name",  "description", "target",   "auth",
                                       "users", "timeouts",    "protocol", "steps"};
    struct top_ctx tc = {0};
    char buf[80];

    if (is_null(root))
        return fail(ld, root,
                    "the file holds no scenario (expected a mapping with name, "
                    "target and steps)");
    if (root->type != YAML_MAPPING_NODE)
        return fail(ld, root, "the top level must be a mapping (name, target, steps, ...), got %s",
                    describe(root, buf, sizeof buf));
    if (each_pair(ld, root, "the top level", keys, COUNT(keys), top_pair, &tc) < 0)
        return -1;
    if (!tc.name)
        return fail(ld, root, "missing required key 'name' at the top level");
    if (!tc.target)
        return fail(ld, root, "missing required key 'target' at the top level");
    if (!tc.steps)
        return fail(ld, root, "missing required key 'steps' at the top level");
    if (!tc.auth && (!getenv(ld->s->auth.secret_env) || !*getenv(ld->s->auth.secret_env)))
        return fail(ld, root,
                    "environment variable %s is not set (auth defaults to kind jwt; "
                    "set it, or add auth: {kind: none})",
                    ld->s->auth.secret_env);
    return 0;
}

/* ---- reading, syntax pre-pass, digest -------------------------------------------------- */

static char *read_file(loader *ld, size_t *len)
{
    FILE *fp = fopen(ld->path, "rb");
    gp_buf b;
    char chunk[65536];
    size_t n;

    if (!fp) {
        gp_err_set(ld->err, GP_EXIT_USAGE, ld->path, 0, 0, "cannot open: %s", strerror(errno));
        return NULL;
    }
    gp_buf_init(&b, FILE_MAX);
    while ((n = fread(chunk, 1, sizeof chunk, fp)) > 0) {
        if (gp_buf_append(&b, chunk, n) < 0) {
            gp_err_set(ld->err, GP_EXIT_USAGE, ld->path, 0, 0,
                       "file is larger than %u bytes; a scenario should be much smaller", FILE_MAX);
            goto fail;
        }
    }
    if (ferror(fp)) {
        gp_err_set(ld->err, GP_EXIT_USAGE, ld->path, 0, 0, "cannot read: %s", strerror(errno));
        goto fail;
    }
    fclose(fp);
    *len = b.len;
    return gp_buf_steal(&b);
fail:
    fclose(fp);
    gp_buf_cleanup(&b);
    return NULL;
}

/* Line and column (1-based) of a byte offset, for reader errors that only give an offset. */
static void offset_pos(const char *text, size_t len, size_t off, int *line, int *col)
{
    size_t i;

    *line = 1;
    *col = 1;
    for (i = 0; i < off && i < len; i++) {
        if (text[i] == '\n') {
            (*line)++;
            *col = 1;
        } else if (((unsigned char)text[i] & 0xc0) != 0x80) {
            (*col)++;
        }
    }
}

static int syntax_error(loader *ld, yaml_parser_t *p, const char *text, size_t len)
{
    int line = (int)p->problem_mark.line + 1, col = (int)p->problem_mark.column + 1;

    switch (p->error) {
    case YAML_MEMORY_ERROR:
        return fail_at(ld, 0, 0, "out of memory while parsing YAML");
    case YAML_READER_ERROR:
        offset_pos(text, len, p->problem_offset, &line, &col);
        if (p->problem_value != -1)
            return fail_at(ld, line, col, "YAML: %s (byte 0x%02x)", p->problem,
                           (unsigned)p->problem_value);
        return fail_at(ld, line, col, "YAML: %s", p->problem);
    default:
        if (p->context)
            return fail_at(ld, line, col, "YAML: %s (%s at %d:%d)",
                           p->problem ? p->problem : "syntax error", p->context,
                           (int)p->context_mark.line + 1, (int)p->context_mark.column + 1);
        return fail_at(ld, line, col, "YAML: %s", p->problem ? p->problem : "syntax error");
    }
}

/* Walks the event stream once to catch what the document API hides or mishandles: syntax
 * errors with their context, anchors and aliases (a self-referencing anchor makes a cyclic
 * tree), empty files and second documents. */
static int prepass(loader *ld, const char *text, size_t len)
{
    yaml_parser_t p;
    yaml_event_t ev;
    int docs = 0, rc = 0, depth = 0;
    bool done = false;

    if (!yaml_parser_initialize(&p))
        return fail_at(ld, 0, 0, "out of memory while parsing YAML");
    yaml_parser_set_input_string(&p, (const unsigned char *)text, len);
    while (!done) {
        const char *anchor = NULL;

        if (!yaml_parser_parse(&p, &ev)) {
            rc = syntax_error(ld, &p, text, len);
            break;
        }
        switch (ev.type) {
        case YAML_STREAM_END_EVENT:
            done = true;
            break;
        case YAML_DOCUMENT_START_EVENT:
            if (++docs > 1)
                rc = fail_at(ld, (int)ev.start_mark.line + 1, (int)ev.start_mark.column + 1,
                             "multiple documents in one file ('---'); a scenario file holds "
                             "one document");
            break;
        case YAML_ALIAS_EVENT:
            anchor = (const char *)ev.data.alias.anchor;
            break;
        case YAML_SCALAR_EVENT:
            anchor = (const char *)ev.data.scalar.anchor;
            break;
        case YAML_SEQUENCE_START_EVENT:
            anchor = (const char *)ev.data.sequence_start.anchor;
            break;
        case YAML_MAPPING_START_EVENT:
            anchor = (const char *)ev.data.mapping_start.anchor;
            break;
        case YAML_SEQUENCE_END_EVENT:
        case YAML_MAPPING_END_EVENT:
            depth--;
            break;
        default:
            break;
        }
        if ((ev.type == YAML_SEQUENCE_START_EVENT || ev.type == YAML_MAPPING_START_EVENT) &&
            ++depth > DOC_DEPTH_MAX && rc == 0)
            rc = fail_at(ld, (int)ev.start_mark.line + 1, (int)ev.start_mark.column + 1,
                         "nested deeper than %d levels", DOC_DEPTH_MAX);
        if (anchor && rc == 0)
            rc = fail_at(ld, (int)ev.start_mark.line + 1, (int)ev.start_mark.column + 1,
                         "anchors and aliases are not supported ('%s%s'); write the value out",
                         ev.type == YAML_ALIAS_EVENT ? "*" : "&", anchor);
        yaml_event_delete(&ev);
        if (rc < 0)
            break;
    }
    yaml_parser_delete(&p);
    if (rc == 0 && docs == 0)
        rc = fail_at(ld, 1, 1,
                     "empty file: expected a scenario (a mapping with name, target "
                     "and steps)");
    return rc;
}

static void digest(const char *text, size_t len, char out[65])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int n = 0, i;

    out[0] = '\0';
    if (EVP_Digest(text, len, md, &n, EVP_sha256(), NULL) != 1)
        return;
    for (i = 0; i < n && i < 32; i++)
        snprintf(out + 2 * i, 3, "%02x", md[i]);
}

static char *dir_of(const char *path)
{
    const char *slash = strrchr(path, '/');

    if (!slash)
        return gp_strdup(".");
    if (slash == path)
        return gp_strdup("/");
    return gp_strndup(path, (size_t)(slash - path));
}

/* Steps one user runs once repeats are expanded, saturating at limit + 1. */
static uint64_t expanded_steps(const gp_step *steps, size_t n, uint64_t limit)
{
    uint64_t total = 0;
    size_t i;

    for (i = 0; i < n && total <= limit; i++) {
        const gp_step *st = &steps[i];
        uint64_t k = 1;

        if (st->kind == GP_STEP_REPEAT) {
            k = expanded_steps(st->u.repeat.steps, st->u.repeat.nsteps, limit);
            k = st->u.repeat.count && k > (limit + 1) / st->u.repeat.count ? limit + 1
                                                                           : k * st->u.repeat.count;
        }
        total += k;
    }
    return total > limit ? limit + 1 : total;
}

/* Every wait has a bound, and so must their number: nested repeats could otherwise make a
 * scenario that runs for days. */
static int check_expansion(loader *ld)
{
    const gp_scenario *s = ld->s;
    uint64_t total = 0;
    size_t i;

    for (i = 0; i < s->nsteps; i++) {
        total += expanded_steps(&s->steps[i], 1, GP_MAX_EXPANDED_STEPS);
        if (total > GP_MAX_EXPANDED_STEPS)
            return fail_at(ld, s->steps[i].line, s->steps[i].col,
                           "steps: repeats expand to more than %d steps per user; use fewer "
                           "or smaller repeats",
                           GP_MAX_EXPANDED_STEPS);
    }
    return 0;
}

gp_scenario *gp_scenario_load(const char *path, gp_err *err)
{
    return gp_scenario_load_flags(path, 0, err);
}

/* Loads from the file at path, or from the mlen bytes at mem when mem is non-NULL (path then
 * only names the source, in messages and for relative paths). */
static gp_scenario *load(const char *path, const char *mem, size_t mlen, unsigned flags,
                         gp_err *err)
{
    loader ld;
    yaml_parser_t p;
    char *text = NULL;
    size_t len = 0, i;
    bool have_doc = false;
    gp_scenario *s = NULL;
    gp_err local;

    memset(&ld, 0, sizeof ld);
    if (!err) {
        memset(&local, 0, sizeof local);
        err = &local;
    }
    ld.path = path ? path : "";
    ld.err = err;
    ld.flags = flags;
    if (!path) {
        gp_err_set(err, GP_EXIT_USAGE, NULL, 0, 0, "no scenario file given");
        return NULL;
    }
    if (mem && mlen > FILE_MAX) {
        gp_err_set(err, GP_EXIT_USAGE, path, 0, 0,
                   "file is larger than %u bytes; a scenario should be much smaller", FILE_MAX);
        return NULL;
    }
    if (mem) {
        text = gp_malloc(mlen + 1);
        memcpy(text, mem, mlen);
        text[mlen] = '\0';
        len = mlen;
    } else if (!(text = read_file(&ld, &len))) {
        return NULL;
    }
    if (prepass(&ld, text, len) < 0)
        goto fail;
    if (!yaml_parser_initialize(&p)) {
        fail_at(&ld, 0, 0, "out of memory while parsing YAML");
        goto fail;
    }
    yaml_parser_set_input_string(&p, (const unsigned char *)text, len);
    if (!yaml_parser_load(&p, &ld.doc)) {
        syntax_error(&ld, &p, text, len);
        yaml_parser_delete(&p);
        goto fail;
    }
    yaml_parser_delete(&p);
    have_doc = true;

    s = gp_calloc(1, sizeof *s);
    s->path = gp_strdup(path);
    digest(text, len, s->digest);
    gp_scenario_set_defaults(s);
    ld.s = s;
    ld.dir = dir_of(path);
    if (load_root(&ld, yaml_document_get_root_node(&ld.doc)) < 0 || check_expansion(&ld) < 0)
        goto fail;
    s->nstep_ids = ld.next_id;
    goto out;
fail:
    gp_scenario_free(s);
    s = NULL;
out:
    if (have_doc)
        yaml_document_delete(&ld.doc);
    for (i = 0; i < ld.nvars; i++)
        free(ld.vars[i]);
    free(ld.vars);
    free(ld.dir);
    free(text);
    return s;
}

gp_scenario *gp_scenario_load_flags(const char *path, unsigned flags, gp_err *err)
{
    return load(path, NULL, 0, flags, err);
}

gp_scenario *gp_scenario_load_mem(const char *path, const char *text, size_t len, unsigned flags,
                                  gp_err *err)
{
    return load(path, text ? text : "", text ? len : 0, flags, err);
}
