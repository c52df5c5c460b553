/* scenario.h - the scenario model: what a scenario file describes, after validation.
 * Only the loader (scenario.c) sees YAML; the runner and the judge read these structs.
 * ${ENV} references are resolved at load time; {{...}} templates are kept and expanded per
 * user at run time by template.h. */
#ifndef GP_SCENARIO_H
#define GP_SCENARIO_H

#include <jansson.h>

#include "event.h"
#include "gp_common.h"
#include "outcome.h"
#include "shape.h"

/* Where a user's credential travels. */
typedef enum gp_compression {
    GP_COMPRESSION_DEFLATE, /* offer permessage-deflate with client_max_window_bits (default) */
    GP_COMPRESSION_NONE     /* offer no extension */
} gp_compression;

typedef enum gp_carrier {
    GP_CARRIER_BEARER,      /* Authorization: Bearer <token> (default) */
    GP_CARRIER_SUBPROTOCOL, /* Sec-WebSocket-Protocol: jwt-auth, jwt.<token> */
    GP_CARRIER_QUERY,       /* ?token=<token> */
    GP_CARRIER_NONE,        /* send no credential */
    GP_CARRIER_TICKET       /* POST the token to target.ticket_url for a ticket_id, then
                               connect with ?ticket=<ticket_id> */
} gp_carrier;

typedef enum gp_auth_kind {
    GP_AUTH_JWT,        /* mint HS256 per user from a secret in an environment variable */
    GP_AUTH_ENV_TOKEN,  /* one fixed token from an environment variable */
    GP_AUTH_TOKEN_FILE, /* one token per line; user i takes line i (mod line count) */
    GP_AUTH_NONE,
    GP_AUTH_E2E /* ask an auth service per user: POST {url}/auth/e2e/test-auth with the
                   bypass key; the answer's access_token and user.id are the user's */
} gp_auth_kind;

/* Which credential a connect step presents; the non-valid ones exist to prove refusal. */
typedef enum gp_credential {
    GP_CRED_VALID,        /* the user's own token */
    GP_CRED_NONE,         /* no credential at all */
    GP_CRED_GARBAGE,      /* a token that is not a JWT */
    GP_CRED_WRONG_SECRET, /* a JWT signed with another secret */
    GP_CRED_EXPIRED       /* a JWT whose exp is in the past */
} gp_credential;

typedef struct gp_kv {
    char *key;
    char *value; /* may hold {{...}} templates */
} gp_kv;

typedef struct gp_target {
    char *url;      /* ws:// or wss://, after ${ENV} resolution */
    gp_kv *headers; /* extra handshake headers */
    size_t nheaders;
    char **subprotocols; /* extra offered subprotocols */
    size_t nsubprotocols;
    gp_carrier carrier;
    bool subprotocol_base64; /* encode the token base64url inside jwt.<token> */
    char *ca_file;           /* extra CA for wss, or NULL */
    bool insecure;           /* accept certificates that do not verify (lab only) */
    char *client_cert;       /* PEM client certificate for mutual TLS, or NULL; with client_key */
    char *client_key;        /* its PEM private key, or NULL */
    gp_compression compression; /* what the upgrade offers (default permessage-deflate) */
    char *ticket_url;        /* TICKET: http(s) URL of the ticket endpoint; NULL means the
                                target's host with /api/websocket/ticket */
    char *proxy;             /* http:// proxy URL, "none", or NULL for the environment's
                                (https_proxy, http_proxy, no_proxy...; see proxy.h) */
} gp_target;

typedef struct gp_auth {
    gp_auth_kind kind;
    char *secret_env;     /* JWT: name of the variable holding the secret (never the secret) */
    json_t *claims;       /* JWT: claims template object; strings may hold {{...}};
                             iat/exp are added unless present */
    int64_t ttl_us;       /* JWT: exp = iat + ttl (default 15 min) */
    char *token_env;      /* ENV_TOKEN: name of the variable */
    char *token_file;     /* TOKEN_FILE: path, relative paths resolved against the scenario dir */
    char *url;            /* E2E: base URL of the auth service (http or https) */
    char *bypass_key_env; /* E2E: variable holding the X-E2E-Bypass-Key (never the key) */
    char *email;          /* E2E: template of the user's email, e.g. {{user.id}}@example.test */
    char *name;           /* E2E: template of the user's display name */
} gp_auth;

typedef struct gp_users {
    unsigned count;     /* default 1 */
    int64_t ramp_up_us; /* connections are spread evenly over this time (default 0) */
    char *id_template;  /* default "gp-user-{{user.index}}" */
    gp_shape shape;     /* duration, pause, arrival_rate, arrivals, max_active (shape.h) */
} gp_users;

typedef struct gp_timeouts {
    int64_t connect_us;     /* TCP + TLS + upgrade + ready frame (default 10 s) */
    int64_t first_event_us; /* message sent -> first run event (default 10 s) */
    int64_t run_us;         /* message sent -> run end (default 60 s) */
    int64_t expect_us;      /* default for expect steps (default 10 s) */
    int64_t linger_us;      /* how long to keep reading after a run ends, to catch
                               events after completion (default 250 ms) */
    int64_t close_us;       /* bound on the closing handshake (default 2 s) */
} gp_timeouts;

typedef enum gp_step_kind {
    GP_STEP_CONNECT,
    GP_STEP_SEND,
    GP_STEP_EXPECT,
    GP_STEP_EXPECT_RUN,
    GP_STEP_THINK,
    GP_STEP_REPEAT,
    GP_STEP_PING,
    GP_STEP_CLOSE,
    GP_STEP_RECONNECT
} gp_step_kind;

typedef enum gp_pred_op {
    GP_PRED_EQUALS,   /* value: any JSON */
    GP_PRED_CONTAINS, /* value: string contained in a string field */
    GP_PRED_EXISTS,   /* value: true or false */
    GP_PRED_TYPE,     /* value: "string" | "number" | "object" | "array" | "boolean" | "null" */
    GP_PRED_NONEMPTY  /* value: true: a non-empty string, array or object */
} gp_pred_op;

typedef struct gp_pred {
    char *path; /* dotted path from the frame root, e.g. "payload.thread_id"; a bare
                   name is looked up like an event field (top level, then containers) */
    gp_pred_op op;
    json_t *value; /* owned; strings may hold {{...}} */
} gp_pred;

typedef struct gp_capture {
    char *var;  /* variable name, then usable as {{var}} */
    char *path; /* same lookup as gp_pred.path */
} gp_capture;

typedef struct gp_step gp_step;

struct gp_step {
    gp_step_kind kind;
    int id;   /* unique within the scenario, in document order; markers carry it */
    int line; /* position in the file, 1-based, for messages */
    int col;
    char *label; /* optional "name:" of the step, else NULL */
    union {
        struct {
            gp_credential credential;
            bool expect_refused; /* the server must refuse (auth checks) */
        } connect;
        struct {
            json_t *message; /* JSON template, owned */
        } send;
        struct {
            json_t *match; /* JSON subset the frame must contain, or NULL; owned */
            gp_pred *preds;
            size_t npreds;
            gp_capture *captures;
            size_t ncaptures;
            int64_t timeout_us; /* 0 = timeouts.expect_us */
            bool skip_noise;    /* default true: noise frames never match nor fail */
        } expect;
        struct {
            uint32_t required;    /* GP_EV_MASK bits that must occur (default all five) */
            bool allow_repeats;   /* may agent_started/agent_completed repeat (default false) */
            int64_t max_gap_us;   /* 0 = no bound on the gap between events */
            int64_t deadline_us;  /* 0 = timeouts.run_us */
            gp_capture *captures; /* taken from the run's agent_started, e.g. thread_id */
            size_t ncaptures;
        } expect_run;
        struct {
            int64_t min_us; /* fixed when min == max */
            int64_t max_us;
        } think;
        struct {
            unsigned count;
            gp_step *steps;
            size_t nsteps;
        } repeat;
        struct {
            int64_t timeout_us; /* 0 = timeouts.expect_us; a PONG must arrive within */
        } ping;
        struct {
            int code;     /* default 1000 */
            char *reason; /* default "done" */
        } close;
        struct {
            int64_t delay_us; /* pause between the close and the new connect */
        } reconnect;
    } u;
};

typedef struct gp_scenario {
    char *path; /* as given on the command line */
    char *name;
    char *description;
    char digest[65]; /* sha256 hex of the file's bytes */
    gp_target target;
    gp_auth auth;
    gp_users users;
    gp_timeouts timeouts;
    gp_profile profile;
    gp_outcome outcome; /* protocol.outcome: what a failed run looks like (GP-OUTCOME) */
    gp_step *steps;
    size_t nsteps;
    int nstep_ids; /* number of ids handed out (nested steps included) */
} gp_scenario;

/* Loads and validates a scenario file. Returns a new scenario (free with gp_scenario_free) or
 * NULL with err set: err->src = path, line/col of the offending node, a message that says what
 * is wrong (and suggests the nearest known key for unknown keys), err->code = GP_EXIT_USAGE.
 * Environment references are resolved here; a required one that is missing is an error. */
gp_scenario *gp_scenario_load(const char *path, gp_err *err);
/* Fills a zeroed s with every default a scenario file may leave out (carrier bearer, auth jwt
 * with GOLDENPATH_JWT_SECRET and the netra-auth-service claims, a 15 min token lifetime, one
 * user named gp-user-{{user.index}}, the timeouts, the reference protocol profile and
 * outcome). The loader starts from these; the runner reads them from the model only, so this
 * is their one owner. Free with gp_scenario_free. */
void gp_scenario_set_defaults(gp_scenario *s);
void gp_scenario_free(gp_scenario *s);

/* The most steps one user may run once repeats are expanded (a bound on a run's length). */
#define GP_MAX_EXPANDED_STEPS 100000

/* Flags for gp_scenario_load_flags. */
#define GP_LOAD_OFFLINE 1u /* for judging recordings: credentials need not be available */

/* gp_scenario_load with flags: GP_LOAD_OFFLINE skips the checks that the auth section's
 * secrets and tokens are set in the environment (nothing will connect). */
gp_scenario *gp_scenario_load_flags(const char *path, unsigned flags, gp_err *err);
/* gp_scenario_load_flags over the len bytes at text (any bytes) instead of a file's; path
 * names the source in messages and anchors relative paths (a token file). For tests and the
 * fuzz targets. */
gp_scenario *gp_scenario_load_mem(const char *path, const char *text, size_t len, unsigned flags,
                                  gp_err *err);

/* Frees n key/value pairs and the array. NULL is a no-op. */
void gp_kvs_free(gp_kv *kv, size_t n);

/* Finds a step by id anywhere in the tree; NULL when none. */
const gp_step *gp_scenario_step(const gp_scenario *s, int id);

/* Stable lowercase names ("connect", "expect_run", ...). */
const char *gp_step_kind_name(gp_step_kind k);
const char *gp_carrier_name(gp_carrier c);
const char *gp_credential_name(gp_credential c);

/* The version of libyaml this binary runs with (for `goldenpath --version`): the loader is the
 * one place that names the library. */
const char *gp_scenario_yaml_version(void);

#endif
