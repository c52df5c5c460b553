/* scenario_model.c - the scenario model's names, lookup and teardown. The YAML loader lives
 * in scenario_load.c; this file never sees YAML, so the judge can link it alone. */
#include "scenario.h"

#include <stdlib.h>

#include "gp_common.h"

const char *gp_step_kind_name(gp_step_kind k)
{
    static const char *const names[] = {
        [GP_STEP_CONNECT] = "connect",     [GP_STEP_SEND] = "send",
        [GP_STEP_EXPECT] = "expect",       [GP_STEP_EXPECT_RUN] = "expect_run",
        [GP_STEP_THINK] = "think",         [GP_STEP_REPEAT] = "repeat",
        [GP_STEP_PING] = "ping",           [GP_STEP_CLOSE] = "close",
        [GP_STEP_RECONNECT] = "reconnect",
    };
    return (unsigned)k < sizeof names / sizeof names[0] ? names[k] : "unknown";
}

const char *gp_carrier_name(gp_carrier c)
{
    static const char *const names[] = {[GP_CARRIER_BEARER] = "bearer",
                                        [GP_CARRIER_SUBPROTOCOL] = "subprotocol",
                                        [GP_CARRIER_QUERY] = "query",
                                        [GP_CARRIER_NONE] = "none",
                                        [GP_CARRIER_TICKET] = "ticket"};
    return (unsigned)c < sizeof names / sizeof names[0] ? names[c] : "unknown";
}

const char *gp_credential_name(gp_credential c)
{
    static const char *const names[] = {[GP_CRED_VALID] = "valid",
                                        [GP_CRED_NONE] = "none",
                                        [GP_CRED_GARBAGE] = "garbage",
                                        [GP_CRED_WRONG_SECRET] = "wrong_secret",
                                        [GP_CRED_EXPIRED] = "expired"};
    return (unsigned)c < sizeof names / sizeof names[0] ? names[c] : "unknown";
}

static const gp_step *find_step(const gp_step *steps, size_t n, int id)
{
    size_t i;

    for (i = 0; i < n; i++) {
        const gp_step *s = &steps[i], *hit;

        if (s->id == id)
            return s;
        if (s->kind == GP_STEP_REPEAT &&
            (hit = find_step(s->u.repeat.steps, s->u.repeat.nsteps, id)) != NULL)
            return hit;
    }
    return NULL;
}

const gp_step *gp_scenario_step(const gp_scenario *s, int id)
{
    return s ? find_step(s->steps, s->nsteps, id) : NULL;
}

static void free_preds(gp_pred *p, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        free(p[i].path);
        json_decref(p[i].value);
    }
    free(p);
}

static void free_captures(gp_capture *c, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        free(c[i].var);
        free(c[i].path);
    }
    free(c);
}

static void free_steps(gp_step *steps, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        gp_step *s = &steps[i];

        free(s->label);
        switch (s->kind) {
        case GP_STEP_SEND:
            json_decref(s->u.send.message);
            break;
        case GP_STEP_EXPECT:
            json_decref(s->u.expect.match);
            free_preds(s->u.expect.preds, s->u.expect.npreds);
            free_captures(s->u.expect.captures, s->u.expect.ncaptures);
            break;
        case GP_STEP_EXPECT_RUN:
            free_captures(s->u.expect_run.captures, s->u.expect_run.ncaptures);
            break;
        case GP_STEP_REPEAT:
            free_steps(s->u.repeat.steps, s->u.repeat.nsteps);
            break;
        case GP_STEP_CLOSE:
            free(s->u.close.reason);
            break;
        default:
            break;
        }
    }
    free(steps);
}

void gp_kvs_free(gp_kv *kv, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        free(kv[i].key);
        free(kv[i].value);
    }
    free(kv);
}

void gp_scenario_free(gp_scenario *s)
{
    size_t i;

    if (!s)
        return;
    free(s->path);
    free(s->name);
    free(s->description);
    gp_shape_cleanup(&s->users.shape);
    free(s->target.url);
    gp_kvs_free(s->target.headers, s->target.nheaders);
    for (i = 0; i < s->target.nsubprotocols; i++)
        free(s->target.subprotocols[i]);
    free(s->target.subprotocols);
    free(s->target.ca_file);
    free(s->target.client_cert);
    free(s->target.client_key);
    free(s->auth.secret_env);
    json_decref(s->auth.claims);
    free(s->auth.token_env);
    free(s->auth.token_file);
    free(s->auth.url);
    free(s->auth.bypass_key_env);
    free(s->auth.email);
    free(s->auth.name);
    free(s->target.ticket_url);
    free(s->target.proxy);
    free(s->users.id_template);
    gp_profile_cleanup(&s->profile);
    gp_outcome_cleanup(&s->outcome);
    free_steps(s->steps, s->nsteps);
    free(s);
}

void gp_scenario_set_defaults(gp_scenario *s)
{
    s->target.carrier = GP_CARRIER_BEARER;
    s->auth.kind = GP_AUTH_JWT;
    s->auth.secret_env = gp_strdup("GOLDENPATH_JWT_SECRET");
    s->auth.claims = json_pack("{s:s, s:s, s:s}", "sub", "{{user.id}}", "iss", "netra-auth-service",
                               "type", "access");
    s->auth.ttl_us = 15 * 60 * 1000000LL;
    s->auth.bypass_key_env = gp_strdup("GOLDENPATH_BYPASS_KEY");
    s->auth.email = gp_strdup("{{user.id}}@goldenpath.test");
    s->auth.name = gp_strdup("goldenpath {{user.id}}");
    s->users.count = 1;
    s->users.id_template = gp_strdup("gp-user-{{user.index}}");
    s->timeouts.connect_us = 10000000;
    s->timeouts.first_event_us = 10000000;
    s->timeouts.run_us = 60000000;
    s->timeouts.expect_us = 10000000;
    s->timeouts.linger_us = 250000;
    s->timeouts.close_us = 2000000;
    gp_profile_init_default(&s->profile);
    gp_outcome_init_default(&s->outcome);
}
