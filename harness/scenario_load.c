/* scenario_load.c - reads a scenario file (YAML) into the scenario model and validates it: keys,
 * types, ranges, durations, URLs, ${ENV} references and {{variables}}. It never connects
 * anywhere. Values are checked in document order and the first error found is the one
 * reported, with the 1-based line and column of the offending node. */
#include "proxy.h"
#include "redact.h"
#include "url.h"

#include <ctype.h>
#include <errno.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml.h>

#include "scenario_shape.h"
#include "scenario_yaml.h"

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
        return gp_ld_fail(ld, n, "target.url: malformed URL '%s' (expected ws://HOST[:PORT]/PATH)",
                    shown);
    case GP_URL_BAD_SCHEME:
        return gp_ld_fail(ld, n, "target.url: unsupported scheme '%.*s' (use ws:// or wss://)",
                    (int)u.scheme_len, shown);
    case GP_URL_BAD_CHARS:
        return gp_ld_fail(ld, n,
                    "target.url: malformed URL '%s' (spaces, '#' and control or "
                    "non-ASCII characters are not allowed)",
                    shown);
    case GP_URL_USERINFO:
        return gp_ld_fail(ld, n,
                    "target.url: credentials in the URL ('%s') are not supported; put "
                    "them in auth",
                    shown);
    case GP_URL_BAD_IPV6:
        return gp_ld_fail(ld, n, "target.url: malformed IPv6 host in '%s'", shown);
    case GP_URL_BAD_HOST_CHAR:
        return gp_ld_fail(ld, n, "target.url: bad character '%c' in host of '%s'", u.bad_char,
                          shown);
    case GP_URL_NO_HOST:
        return gp_ld_fail(ld, n, "target.url: missing host in '%s'", shown);
    case GP_URL_BAD_PORT:
        return gp_ld_fail(ld, n, "target.url: bad port in '%s' (expected 1..65535)", shown);
    case GP_URL_MALFORMED:
        break;
    }
    return gp_ld_fail(ld, n, "target.url: malformed URL '%s'", shown);
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

    if (gp_ld_get_nonempty(ld, n, what, &name) < 0) {
        free(name);
        return -1;
    }
    full = name[0] == '/' ? gp_strdup(name) : gp_asprintf("%s/%s", ld->dir, name);
    if (stat(full, &st) != 0 || !S_ISREG(st.st_mode) || access(full, R_OK) != 0) {
        gp_ld_fail(ld, n, "%s: cannot read '%s' (%s)", what, full,
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
        rc = gp_ld_fail(ld, n, "%s: '%s' is not an http:// or https:// URL", what, shown);
    else if (!*host || *host == '/' || *host == ':')
        rc = gp_ld_fail(ld, n, "%s: missing host in '%s'", what, shown);
    for (i = 0; rc == 0 && url[i]; i++)
        if ((unsigned char)url[i] <= ' ' || url[i] == '#' || (unsigned char)url[i] >= 0x7f)
            rc = gp_ld_fail(ld, n,
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
        if (gp_ld_get_nonempty(ld, v, "target.url", &t->url) < 0)
            return -1;
        return check_url(ld, v, t->url);
    }
    if (!strcmp(key, "headers")) {
        yaml_node_pair_t *kv, *dup = NULL;
        yaml_node_t *first = NULL;
        size_t i = 0;

        if (gp_ld_is_null(v))
            return 0;
        if (v->type != YAML_MAPPING_NODE)
            return gp_ld_fail(ld, v,
                        "target.headers: expected a mapping of header names to values, "
                        "got %s",
                        gp_ld_describe(v, buf, sizeof buf));
        t->nheaders = (size_t)(v->data.mapping.pairs.top - v->data.mapping.pairs.start);
        t->headers = gp_calloc(t->nheaders ? t->nheaders : 1, sizeof *t->headers);
        dup = gp_ld_first_duplicate(ld, v, true, &first);
        for (kv = v->data.mapping.pairs.start; kv < v->data.mapping.pairs.top; kv++, i++) {
            yaml_node_t *hk = gp_ld_node_at(ld, kv->key), *hv = gp_ld_node_at(ld, kv->value);
            const char *c;

            if (!gp_ld_is_scalar(hk) || !*gp_ld_raw(hk))
                return gp_ld_fail(ld, hk, "target.headers: header names must be strings");
            for (c = gp_ld_raw(hk); *c; c++)
                if (!isalnum((unsigned char)*c) && !strchr("!#$%&'*+-.^_`|~", *c))
                    return gp_ld_fail(ld, hk, "target.headers: '%s' is not a valid header name",
                                      gp_ld_raw(hk));
            if (kv == dup)
                return gp_ld_fail_duplicate(ld, hk, first);
            t->headers[i].key = gp_strdup(gp_ld_raw(hk));
            if (gp_ld_get_template(ld, hv, "target.headers", VARS_BUILTIN, &t->headers[i].value) <
                0)
                return -1;
            if (strpbrk(t->headers[i].value, "\r\n"))
                return gp_ld_fail(ld, hv, "target.headers: header values cannot hold line breaks");
        }
        return 0;
    }
    if (!strcmp(key, "subprotocols"))
        return gp_ld_get_string_list(ld, v, "target.subprotocols", &t->subprotocols,
                                     &t->nsubprotocols);
    if (!strcmp(key, "carrier")) {
        if (gp_ld_get_enum(ld, v, "target.carrier", carriers, COUNT(carriers), &e) < 0)
            return -1;
        t->carrier = (gp_carrier)e;
        return 0;
    }
    if (!strcmp(key, "subprotocol_encoding")) {
        if (gp_ld_get_enum(ld, v, "target.subprotocol_encoding", encodings, COUNT(encodings), &e) <
            0)
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
        if (gp_ld_get_enum(ld, v, "target.compression", compressions, COUNT(compressions), &e) < 0)
            return -1;
        t->compression = (gp_compression)e;
        return 0;
    }
    if (!strcmp(key, "ticket_url")) {
        if (gp_ld_get_nonempty(ld, v, "target.ticket_url", &t->ticket_url) < 0)
            return -1;
        return check_http_url(ld, v, "target.ticket_url", t->ticket_url);
    }
    if (!strcmp(key, "proxy")) {
        gp_proxy px;
        char *why = NULL;

        if (gp_ld_get_nonempty(ld, v, "target.proxy", &t->proxy) < 0)
            return -1;
        if (strcasecmp(t->proxy, "none") == 0)
            return 0;
        if (gp_proxy_parse(t->proxy, "target.proxy", &px, &why) < 0) {
            int rc = gp_ld_fail(ld, v, "%s", why);

            free(why);
            return rc;
        }
        gp_proxy_cleanup(&px);
        return 0;
    }
    return gp_ld_get_bool(ld, v, "target.insecure", &t->insecure);
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
        return gp_ld_fail(ld, v, "target: expected a mapping with at least 'url', got %s",
                    gp_ld_describe(v, buf, sizeof buf));
    if (gp_ld_each_pair(ld, v, "target", keys, COUNT(keys), target_pair, NULL) < 0)
        return -1;
    if (!t->url)
        return gp_ld_fail(ld, k, "missing required key 'url' in target");
    if (!t->client_cert != !t->client_key)
        return gp_ld_fail(ld, k, "target: give both client_cert and client_key, or neither");
    return 0;
}

/* ---- auth ------------------------------------------------------------------------------ */

struct auth_ctx {
    yaml_node_t *kind, *secret_env, *claims, *ttl, *token_env, *file, *url, *bypass_key_env, *email,
        *name;
};

static int env_var_name(loader *ld, yaml_node_t *v, const char *what, char **out)
{
    if (gp_ld_get_nonempty(ld, v, what, out) < 0)
        return -1;
    if (!gp_ld_env_name_ok(*out, strlen(*out)))
        return gp_ld_fail(ld, v, "%s: '%s' is not an environment variable name", what, *out);
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
        if (gp_ld_get_enum(ld, v, "auth.kind", kinds, COUNT(auth_kind_names), &e) < 0)
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
        if (gp_ld_is_null(v))
            return 0;
        if (v->type != YAML_MAPPING_NODE)
            return gp_ld_fail(ld, v,
                              "auth.claims: expected a mapping of claim names to values, got %s",
                              gp_ld_describe(v, buf, sizeof buf));
        c = gp_ld_to_json(ld, v, "auth.claims", VARS_BUILTIN, 0);
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
        return gp_ld_get_positive_duration(ld, v, "auth.ttl", &a->ttl_us);
    }
    if (!strcmp(key, "token_env")) {
        ac->token_env = v;
        return env_var_name(ld, v, "auth.token_env", &a->token_env);
    }
    if (!strcmp(key, "url")) {
        ac->url = v;
        if (gp_ld_get_nonempty(ld, v, "auth.url", &a->url) < 0)
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
        return gp_ld_get_template(ld, v, "auth.email", VARS_BUILTIN, &a->email);
    }
    if (!strcmp(key, "name")) {
        ac->name = v;
        free(a->name);
        a->name = NULL;
        return gp_ld_get_template(ld, v, "auth.name", VARS_BUILTIN, &a->name);
    }
    ac->file = v;
    return get_file(ld, v, "auth.file", &a->token_file);
}

/* A key that belongs to another kind is a mistake worth naming. */
static int auth_misplaced(loader *ld, yaml_node_t *v, const char *key, const char *kind)
{
    if (!v)
        return 0;
    return gp_ld_fail(ld, v, "auth.%s: only used with kind %s (this auth has kind %s)", key, kind,
                auth_kind_names[ld->s->auth.kind]);
}

static int load_auth(loader *ld, yaml_node_t *k, yaml_node_t *v)
{
    static const char *const keys[] = {"kind", "secret_env", "claims",         "ttl",   "token_env",
                                       "file", "url",        "bypass_key_env", "email", "name"};
    struct auth_ctx ac = {0};
    gp_auth *a = &ld->s->auth;
    bool empty;

    if (gp_ld_want_map(ld, v, "auth", &empty) < 0)
        return -1;
    if (!empty && gp_ld_each_pair(ld, v, "auth", keys, COUNT(keys), auth_pair, &ac) < 0)
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
            return gp_ld_fail(ld, ac.secret_env ? ac.secret_env : k,
                        "environment variable %s is not set (auth kind jwt signs tokens with "
                        "it)",
                        a->secret_env);
        return 0;
    case GP_AUTH_ENV_TOKEN:
        if (!a->token_env)
            return gp_ld_fail(ld, k, "missing required key 'token_env' in auth (kind env_token)");
        if (!getenv(a->token_env))
            return gp_ld_fail(ld, ac.token_env, "environment variable %s is not set", a->token_env);
        return 0;
    case GP_AUTH_TOKEN_FILE:
        if (!a->token_file)
            return gp_ld_fail(ld, k, "missing required key 'file' in auth (kind token_file)");
        return 0;
    case GP_AUTH_E2E:
        if (!a->url)
            return gp_ld_fail(ld, k, "missing required key 'url' in auth (kind e2e)");
        if (!getenv(a->bypass_key_env) || !*getenv(a->bypass_key_env))
            return gp_ld_fail(ld, ac.bypass_key_env ? ac.bypass_key_env : k,
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
    gp_ld_users_ctx *uc = ctx;
    long long n;

    /* load shapes (issue 9): scenario_shape.c */
    if (!strcmp(key, "duration") || !strcmp(key, "pause") || !strcmp(key, "arrival_rate") ||
        !strcmp(key, "arrivals") || !strcmp(key, "max_active") || !strcmp(key, "stages"))
        return gp_ld_shape_pair(ld, key, k, v, uc);
    if (!strcmp(key, "count"))
        uc->count = k;
    if (!strcmp(key, "ramp_up"))
        uc->ramp_up = k;
    if (!strcmp(key, "count")) {
        if (gp_ld_get_int(ld, v, "users.count", 1, USERS_MAX, &n) < 0)
            return -1;
        u->count = (unsigned)n;
        return 0;
    }
    if (!strcmp(key, "ramp_up"))
        return gp_ld_get_duration(ld, v, "users.ramp_up", &u->ramp_up_us);
    if (gp_ld_get_template(ld, v, "users.id", VARS_BUILTIN | VARS_NO_USER_ID, &u->id_template) < 0)
        return -1;
    if (!*u->id_template)
        return gp_ld_fail(ld, v, "users.id: must not be empty");
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
    rc = slot == &t->linger_us ? gp_ld_get_duration(ld, v, what, slot)
                               : gp_ld_get_positive_duration(ld, v, what, slot);
    free(what);
    return rc;
}

/* ---- the top level --------------------------------------------------------------------- */

struct top_ctx {
    yaml_node_t *name, *target, *auth, *steps;
};

static int top_pair(loader *ld, const char *key, yaml_node_t *k, yaml_node_t *v, void *ctx)
{
    static const char *const users_keys[] = {"count",        "ramp_up",  "id",        "duration",
                                             "pause",        "arrival_rate", "arrivals",
                                             "max_active", "stages"};
    static const char *const timeout_keys[] = {"connect", "first_event", "run",
                                               "expect",  "linger",      "close"};
    static const char *const protocol_keys[] = {"type_key",  "event_key", "wrappers", "containers",
                                                "ids",       "noise",     "ready",    "aliases",
                                                "max_frame", "outcome"};
    struct top_ctx *tc = ctx;
    bool empty;

    if (!strcmp(key, "name")) {
        tc->name = k;
        return gp_ld_get_nonempty(ld, v, "name", &ld->s->name);
    }
    if (!strcmp(key, "description"))
        return gp_ld_is_null(v) ? 0 : gp_ld_get_string(ld, v, "description", &ld->s->description);
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
        if (gp_ld_is_null(v))
            return gp_ld_fail(ld, v, "steps: must hold at least one step");
        return gp_ld_load_steps(ld, v, "steps", &ld->s->steps, &ld->s->nsteps, 0);
    }
    if (gp_ld_want_map(ld, v, key, &empty) < 0 || empty)
        return empty ? 0 : -1;
    if (!strcmp(key, "users")) {
        gp_ld_users_ctx uc = {0};

        if (gp_ld_each_pair(ld, v, "users", users_keys, COUNT(users_keys), users_pair, &uc) < 0)
            return -1;
        return gp_ld_shape_check(ld, &uc);
    }
    if (!strcmp(key, "timeouts"))
        return gp_ld_each_pair(ld, v, "timeouts", timeout_keys, COUNT(timeout_keys), timeouts_pair,
                               NULL);
    return gp_ld_each_pair(ld, v, "protocol", protocol_keys, COUNT(protocol_keys),
                           gp_ld_protocol_pair, NULL);
}

static int load_root(loader *ld, yaml_node_t *root)
{
    static const char *const keys[] = {"name",  "description", "target",   "auth",
                                       "users", "timeouts",    "protocol", "steps"};
    struct top_ctx tc = {0};
    char buf[80];

    if (gp_ld_is_null(root))
        return gp_ld_fail(ld, root,
                    "the file holds no scenario (expected a mapping with name, "
                    "target and steps)");
    if (root->type != YAML_MAPPING_NODE)
        return gp_ld_fail(ld, root,
                          "the top level must be a mapping (name, target, steps, ...), got %s",
                          gp_ld_describe(root, buf, sizeof buf));
    if (gp_ld_each_pair(ld, root, "the top level", keys, COUNT(keys), top_pair, &tc) < 0)
        return -1;
    if (!tc.name)
        return gp_ld_fail(ld, root, "missing required key 'name' at the top level");
    if (!tc.target)
        return gp_ld_fail(ld, root, "missing required key 'target' at the top level");
    if (!tc.steps)
        return gp_ld_fail(ld, root, "missing required key 'steps' at the top level");
    if (!tc.auth && (!getenv(ld->s->auth.secret_env) || !*getenv(ld->s->auth.secret_env)))
        return gp_ld_fail(ld, root,
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
        return gp_ld_fail_at(ld, 0, 0, "out of memory while parsing YAML");
    case YAML_READER_ERROR:
        offset_pos(text, len, p->problem_offset, &line, &col);
        if (p->problem_value != -1)
            return gp_ld_fail_at(ld, line, col, "YAML: %s (byte 0x%02x)", p->problem,
                           (unsigned)p->problem_value);
        return gp_ld_fail_at(ld, line, col, "YAML: %s", p->problem);
    default:
        if (p->context)
            return gp_ld_fail_at(ld, line, col, "YAML: %s (%s at %d:%d)",
                           p->problem ? p->problem : "syntax error", p->context,
                           (int)p->context_mark.line + 1, (int)p->context_mark.column + 1);
        return gp_ld_fail_at(ld, line, col, "YAML: %s", p->problem ? p->problem : "syntax error");
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
        return gp_ld_fail_at(ld, 0, 0, "out of memory while parsing YAML");
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
                rc = gp_ld_fail_at(ld, (int)ev.start_mark.line + 1, (int)ev.start_mark.column + 1,
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
            rc = gp_ld_fail_at(ld, (int)ev.start_mark.line + 1, (int)ev.start_mark.column + 1,
                         "nested deeper than %d levels", DOC_DEPTH_MAX);
        if (anchor && rc == 0)
            rc = gp_ld_fail_at(ld, (int)ev.start_mark.line + 1, (int)ev.start_mark.column + 1,
                         "anchors and aliases are not supported ('%s%s'); write the value out",
                         ev.type == YAML_ALIAS_EVENT ? "*" : "&", anchor);
        yaml_event_delete(&ev);
        if (rc < 0)
            break;
    }
    yaml_parser_delete(&p);
    if (rc == 0 && docs == 0)
        rc = gp_ld_fail_at(ld, 1, 1,
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
            return gp_ld_fail_at(ld, s->steps[i].line, s->steps[i].col,
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
        gp_ld_fail_at(&ld, 0, 0, "out of memory while parsing YAML");
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
