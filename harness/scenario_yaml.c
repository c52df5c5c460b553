/* scenario_yaml.c - the loader's typed YAML layer: errors that carry the node's line and
 * column, nearest-key suggestions, ${ENV} resolution and scalar typing, typed getters,
 * mappings, and {{variable}} checks. It knows no scenario section; see scenario_yaml.h. */
#include "strmap.h"
#include "template.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "scenario_yaml.h"

/* ---- errors and node access ------------------------------------------------------------ */

int gp_ld_fail_at(loader *ld, int line, int col, const char *fmt, ...)
{
    char msg[GP_ERR_MSG_MAX];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    gp_err_set(ld->err, GP_EXIT_USAGE, ld->path, line, col, "%s", msg);
    return -1;
}

int gp_ld_fail(loader *ld, const yaml_node_t *n, const char *fmt, ...)
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

yaml_node_t *gp_ld_node_at(loader *ld, int idx)
{
    return yaml_document_get_node(&ld->doc, idx);
}

const char *gp_ld_raw(const yaml_node_t *n)
{
    return (const char *)n->data.scalar.value;
}

bool gp_ld_is_scalar(const yaml_node_t *n)
{
    return n->type == YAML_SCALAR_NODE;
}

static bool is_plain(const yaml_node_t *n)
{
    return gp_ld_is_scalar(n) && n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
}

static bool null_text(const char *s)
{
    return !*s || strcmp(s, "~") == 0 || strcmp(s, "null") == 0 || strcmp(s, "Null") == 0 ||
           strcmp(s, "NULL") == 0;
}

/* A plain empty or null scalar: "key:" with nothing after it. */
bool gp_ld_is_null(const yaml_node_t *n)
{
    return is_plain(n) && null_text(gp_ld_raw(n));
}

/* Describes a node for "got ..." in messages. */
const char *gp_ld_describe(const yaml_node_t *n, char *buf, size_t size)
{
    if (n->type == YAML_MAPPING_NODE)
        return "a mapping";
    if (n->type == YAML_SEQUENCE_NODE)
        return "a list";
    if (gp_ld_is_null(n))
        return "nothing";
    if (n->data.scalar.length > 60)
        snprintf(buf, size, "'%.57s...'", gp_ld_raw(n));
    else
        snprintf(buf, size, "'%s'", gp_ld_raw(n));
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
const char *gp_ld_suggest(const char *word, const char *const *known, size_t n)
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

void gp_ld_join_names(const char *const *names, size_t n, char *buf, size_t size)
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

bool gp_ld_env_name_ok(const char *s, size_t n)
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
    const char *p = gp_ld_raw(n), *close, *sep, *plain;
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
            gp_ld_fail(ld, n, "unterminated '${' in '%s' (write $${ for a literal ${)",
                       gp_ld_raw(n));
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

            if (!gp_ld_env_name_ok(p + 2, nlen) || nlen >= sizeof name) {
                gp_ld_fail(ld, n,
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
                gp_ld_fail(ld, n,
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
    gp_ld_fail(ld, n, "the value expands past %d bytes once its ${...} references are resolved",
               (int)FILE_MAX);
fail:
    gp_buf_cleanup(&out);
    return NULL;
}

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

int gp_ld_get_string(loader *ld, const yaml_node_t *n, const char *what, char **out)
{
    char buf[80];
    char *s;

    if (!gp_ld_is_scalar(n) || gp_ld_is_null(n))
        return gp_ld_fail(ld, n, "%s: expected a string, got %s", what,
                          gp_ld_describe(n, buf, sizeof buf));
    if (!(s = resolve_env(ld, n)))
        return -1;
    free(*out);
    *out = s;
    return 0;
}

int gp_ld_get_nonempty(loader *ld, const yaml_node_t *n, const char *what, char **out)
{
    if (gp_ld_get_string(ld, n, what, out) < 0)
        return -1;
    if (!**out)
        return gp_ld_fail(ld, n, "%s: must not be empty", what);
    return 0;
}

int gp_ld_get_int(loader *ld, const yaml_node_t *n, const char *what, long long min, long long max,
                  long long *out)
{
    char buf[80];
    char *s;
    long long v;

    if (!gp_ld_is_scalar(n) || gp_ld_is_null(n))
        return gp_ld_fail(ld, n, "%s: expected an integer, got %s", what,
                          gp_ld_describe(n, buf, sizeof buf));
    if (!(s = resolve_env(ld, n)))
        return -1;
    if (type_of(n, s) != T_INT || !parse_int(s, &v)) {
        gp_ld_fail(ld, n, "%s: expected an integer, got '%s'%s", what, s,
                   int_text(s) ? " (quoted, so a string)" : "");
        free(s);
        return -1;
    }
    free(s);
    if (v < min || v > max)
        return gp_ld_fail(ld, n, "%s: %lld is out of range (%lld..%lld)", what, v, min, max);
    *out = v;
    return 0;
}

int gp_ld_get_bool(loader *ld, const yaml_node_t *n, const char *what, bool *out)
{
    char buf[80];
    char *s;

    if (!gp_ld_is_scalar(n) || gp_ld_is_null(n))
        return gp_ld_fail(ld, n, "%s: expected true or false, got %s", what,
                          gp_ld_describe(n, buf, sizeof buf));
    if (!(s = resolve_env(ld, n)))
        return -1;
    if (type_of(n, s) != T_BOOL) {
        gp_ld_fail(ld, n, "%s: expected true or false, got '%s'", what, s);
        free(s);
        return -1;
    }
    *out = s[0] == 't' || s[0] == 'T';
    free(s);
    return 0;
}

int gp_ld_get_duration(loader *ld, const yaml_node_t *n, const char *what, int64_t *out)
{
    char buf[80];
    char *s;

    if (!gp_ld_is_scalar(n) || gp_ld_is_null(n))
        return gp_ld_fail(ld, n, "%s: expected a duration such as 500ms, 30s or 2m, got %s", what,
                          gp_ld_describe(n, buf, sizeof buf));
    if (!(s = resolve_env(ld, n)))
        return -1;
    if (gp_duration_parse(s, out) < 0) {
        gp_ld_fail(ld, n, "%s: malformed duration '%s' (use e.g. 500ms, 30s, 2m)", what, s);
        free(s);
        return -1;
    }
    if (*out > GP_DURATION_MAX_US) {
        gp_ld_fail(ld, n, "%s: %s is longer than the longest duration goldenpath accepts (%lldh)",
                   what, s, (long long)(GP_DURATION_MAX_US / 3600000000LL));
        free(s);
        return -1;
    }
    free(s);
    return 0;
}

int gp_ld_get_positive_duration(loader *ld, const yaml_node_t *n, const char *what, int64_t *out)
{
    if (gp_ld_get_duration(ld, n, what, out) < 0)
        return -1;
    if (*out <= 0)
        return gp_ld_fail(ld, n, "%s: must be longer than 0", what);
    return 0;
}

int gp_ld_get_enum(loader *ld, const yaml_node_t *n, const char *what, const char *const *names,
                   size_t count, int *out)
{
    char buf[80], list[256];
    char *s;
    size_t i;

    gp_ld_join_names(names, count, list, sizeof list);
    if (!gp_ld_is_scalar(n) || gp_ld_is_null(n))
        return gp_ld_fail(ld, n, "%s: expected one of %s, got %s", what, list,
                          gp_ld_describe(n, buf, sizeof buf));
    if (!(s = resolve_env(ld, n)))
        return -1;
    for (i = 0; i < count; i++) {
        if (strcmp(s, names[i]) == 0) {
            *out = (int)i;
            free(s);
            return 0;
        }
    }
    gp_ld_fail(ld, n, "%s: unknown value '%s' (allowed: %s)", what, s, list);
    free(s);
    return -1;
}

/* Sizes: a byte count, or a number with B, KiB, MiB, GiB, kB, KB, MB or GB. */
int gp_ld_get_size(loader *ld, const yaml_node_t *n, const char *what, size_t min, size_t max,
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

    if (!gp_ld_is_scalar(n) || gp_ld_is_null(n))
        return gp_ld_fail(ld, n, "%s: expected a size such as 1MiB, got %s", what,
                          gp_ld_describe(n, buf, sizeof buf));
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
                    gp_ld_fail(ld, n, "%s: %s is out of range (%zu..%zu bytes)", what, s, min, max);
                    free(s);
                    return -1;
                }
                *out = (size_t)bytes;
                free(s);
                return 0;
            }
        }
    }
    gp_ld_fail(ld, n, "%s: malformed size '%s' (use e.g. 65536, 512KiB, 1MiB)", what, s);
    free(s);
    return -1;
}

int gp_ld_get_string_list(loader *ld, const yaml_node_t *n, const char *what, char ***out,
                          size_t *nout)
{
    char buf[80];
    yaml_node_item_t *it;
    size_t i, count;
    char **list;

    if (n->type != YAML_SEQUENCE_NODE)
        return gp_ld_fail(ld, n, "%s: expected a list of strings, got %s", what,
                          gp_ld_describe(n, buf, sizeof buf));
    for (i = 0; i < *nout; i++)
        free((*out)[i]);
    free(*out);
    count = (size_t)(n->data.sequence.items.top - n->data.sequence.items.start);
    list = gp_calloc(count ? count : 1, sizeof *list);
    *out = list;
    *nout = count;
    for (i = 0, it = n->data.sequence.items.start; it < n->data.sequence.items.top; it++, i++) {
        char *item = gp_asprintf("%s[%zu]", what, i);
        int rc = gp_ld_get_nonempty(ld, gp_ld_node_at(ld, *it), item, &list[i]);

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
yaml_node_pair_t *gp_ld_first_duplicate(loader *ld, yaml_node_t *map, bool nocase,
                                        yaml_node_t **first)
{
    gp_strmap seen = {0};
    yaml_node_pair_t *kv, *dup = NULL;

    for (kv = map->data.mapping.pairs.start; kv < map->data.mapping.pairs.top && !dup; kv++) {
        yaml_node_t *k = gp_ld_node_at(ld, kv->key);
        char *key;
        bool created;
        int *at;

        if (!gp_ld_is_scalar(k))
            continue;
        key = gp_strdup(gp_ld_raw(k));
        if (nocase)
            for (char *c = key; *c; c++)
                *c = (char)tolower((unsigned char)*c);
        at = gp_strmap_put(&seen, key, (int)(kv - map->data.mapping.pairs.start), &created);
        if (!created) {
            dup = kv;
            *first = gp_ld_node_at(ld, map->data.mapping.pairs.start[*at].key);
        }
        free(key);
    }
    gp_strmap_cleanup(&seen);
    return dup;
}

int gp_ld_fail_duplicate(loader *ld, yaml_node_t *k, const yaml_node_t *first)
{
    return gp_ld_fail(ld, k, "duplicate key '%s' (first at %d:%d)", gp_ld_raw(k),
                      (int)first->start_mark.line + 1, (int)first->start_mark.column + 1);
}

/* Calls fn for each pair of map in document order after checking that the key is a string,
 * is not a repeat of an earlier key, and (when known is given) is one of known. where names
 * the mapping in messages ("users", "the connect step"). */
int gp_ld_each_pair(loader *ld, yaml_node_t *map, const char *where, const char *const *known,
                    size_t nknown, pair_fn fn, void *ctx)
{
    yaml_node_pair_t *kv;
    yaml_node_t *first = NULL;
    yaml_node_pair_t *dup = gp_ld_first_duplicate(ld, map, false, &first);

    for (kv = map->data.mapping.pairs.start; kv < map->data.mapping.pairs.top; kv++) {
        yaml_node_t *k = gp_ld_node_at(ld, kv->key), *v = gp_ld_node_at(ld, kv->value);
        const char *key;

        if (!gp_ld_is_scalar(k))
            return gp_ld_fail(ld, k, "keys in %s must be plain strings", where);
        key = gp_ld_raw(k);
        if (kv == dup)
            return gp_ld_fail_duplicate(ld, k, first);
        if (known) {
            size_t i;

            for (i = 0; i < nknown && strcmp(known[i], key) != 0; i++)
                ;
            if (i == nknown) {
                const char *near = gp_ld_suggest(key, known, nknown);
                char list[256];

                if (near)
                    return gp_ld_fail(ld, k, "unknown key '%s' in %s; did you mean '%s'?", key,
                                      where, near);
                gp_ld_join_names(known, nknown, list, sizeof list);
                return gp_ld_fail(ld, k, "unknown key '%s' in %s (known keys: %s)", key, where,
                                  list);
            }
        }
        if (fn && fn(ld, key, k, v, ctx) < 0)
            return -1;
    }
    return 0;
}

/* Accepts a mapping, or nothing at all (meaning every default). */
int gp_ld_want_map(loader *ld, yaml_node_t *n, const char *what, bool *empty)
{
    char buf[80];

    *empty = gp_ld_is_null(n);
    if (*empty || n->type == YAML_MAPPING_NODE)
        return 0;
    return gp_ld_fail(ld, n, "%s: expected a mapping, got %s", what,
                      gp_ld_describe(n, buf, sizeof buf));
}

/* ---- templates ------------------------------------------------------------------------- */

struct var_check {
    loader *ld;
    int allow;
    char bad[128];
    const char *reason;
};

bool gp_ld_captured(const loader *ld, const char *name)
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
    if ((vc->allow & VARS_CAPTURED) && gp_ld_captured(vc->ld, v))
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
            return gp_ld_fail(ld, n, "%s", vc.reason);
        if (strchr(vc.bad, '.') || !(allow & VARS_CAPTURED)) {
            near = gp_ld_suggest(vc.bad, builtins, COUNT(builtins));
            if (near && !((allow & VARS_NO_USER_ID) && strcmp(near, "user.id") == 0))
                return gp_ld_fail(ld, n, "unknown variable '%s'; did you mean '%s'?", vc.bad, near);
            if (!(allow & VARS_CAPTURED))
                return gp_ld_fail(ld, n, "unknown variable '%s' (only %s can be used here)", vc.bad,
                                  (allow & VARS_NO_USER_ID)
                                      ? "user.index, nonce and uuid"
                                      : "user.id, user.index, nonce and uuid");
        }
        return gp_ld_fail(ld, n, "unknown variable '%s' (not captured by any earlier step)",
                          vc.bad);
    }
    while (open) {
        const char *close = strstr(open + 2, "}}");

        if (!close)
            return gp_ld_fail(ld, n, "unterminated '{{' in '%s'", text);
        if (close == open + 2)
            return gp_ld_fail(ld, n, "empty variable '{{}}' in '%s'", text);
        open = strstr(close + 2, "{{");
    }
    return 0;
}

/* A template string: resolves ${ENV}, then checks the {{variables}}. */
int gp_ld_get_template(loader *ld, const yaml_node_t *n, const char *what, int allow, char **out)
{
    if (gp_ld_get_string(ld, n, what, out) < 0)
        return -1;
    return check_template(ld, n, *out, allow);
}

/* Converts a YAML node to JSON: plain scalars are typed, quoted ones stay strings, strings
 * are checked as templates. Returns a new reference or NULL with the error set. */
json_t *gp_ld_to_json(loader *ld, yaml_node_t *n, const char *what, int allow, int depth)
{
    json_t *out;

    if (depth > DEPTH_MAX) {
        gp_ld_fail(ld, n, "%s: nested deeper than %d levels", what, DEPTH_MAX);
        return NULL;
    }
    if (gp_ld_is_scalar(n)) {
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
                gp_ld_fail(
                    ld, n,
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
                gp_ld_fail(
                    ld, n,
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
                gp_ld_fail(ld, n, "%s: not valid UTF-8", what);
            break;
        }
        free(s);
        return out;
    }
    if (n->type == YAML_SEQUENCE_NODE) {
        yaml_node_item_t *it;

        out = json_array();
        for (it = n->data.sequence.items.start; it < n->data.sequence.items.top; it++) {
            json_t *e = gp_ld_to_json(ld, gp_ld_node_at(ld, *it), what, allow, depth + 1);

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
        yaml_node_pair_t *dup = gp_ld_first_duplicate(ld, n, false, &first);

        out = json_object();
        for (kv = n->data.mapping.pairs.start; kv < n->data.mapping.pairs.top; kv++) {
            yaml_node_t *k = gp_ld_node_at(ld, kv->key);
            json_t *e;

            if (!gp_ld_is_scalar(k)) {
                gp_ld_fail(ld, k, "%s: keys must be plain strings", what);
                goto fail;
            }
            if (kv == dup) {
                gp_ld_fail_duplicate(ld, k, first);
                goto fail;
            }
            if (check_template(ld, k, gp_ld_raw(k), allow) < 0)
                goto fail;
            e = gp_ld_to_json(ld, gp_ld_node_at(ld, kv->value), what, allow, depth + 1);
            if (!e)
                goto fail;
            json_object_set_new(out, gp_ld_raw(k), e);
        }
        return out;
    fail:
        json_decref(out);
        return NULL;
    }
}

const char *gp_scenario_yaml_version(void)
{
    return yaml_get_version_string();
}
