/* init_probe.c - 'goldenpath init --target': one probing user connects with the given carrier,
 * records the greeting, sends one message and reads until the run ends or the bound passes;
 * then infer.c writes the scenario. The probe is an ordinary one-user run of the runner. */
#include "init_probe.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "infer.h"
#include "runner.h"
#include "scenario.h"

#define DEFAULT_MESSAGE                                                                            \
    "{\"type\":\"user_message\",\"payload\":{\"content\":\"Hello ({{nonce}})\","                   \
    "\"thread_id\":\"thread-{{user.id}}-{{uuid}}\"}}"

/* What arrived after the message, said for the user when no run event did. */
static const char *why_nothing(const gp_transcript *t)
{
    size_t i;
    bool sent = false, connected = false;

    for (i = 0; i < t->nframes; i++) {
        gp_frame_kind k = t->frames[i].kind;

        connected = connected || k == GP_FR_CONNECTED;
        sent = sent || k == GP_FR_SENT;
        if (sent && k == GP_FR_RECV_TEXT)
            return NULL;
    }
    if (!connected)
        return "the probe could not connect";
    if (!sent)
        return "the probe connected but never sent its message (no ready frame arrived?)";
    return "nothing arrived after the message";
}

int gp_init_probe(const gp_init_probe_opts *o, FILE *out, gp_err *err)
{
    json_t *url = json_string(o->url), *msg;
    char *qurl = json_dumps(url, JSON_ENCODE_ANY), *yaml, *mtext;
    json_error_t jerr;
    gp_scenario *s;
    gp_runner_opts ro = {0};
    gp_run_output ro_out = {0};
    int rc = -1;
    char d[32];

    json_decref(url);
    msg = json_loads(o->message ? o->message : DEFAULT_MESSAGE, 0, &jerr);
    if (!json_is_object(msg)) {
        gp_err_set(err, GP_EXIT_USAGE, "--message", 0, 0, "not a JSON object: %s",
                   msg ? "a JSON value of another kind" : jerr.text);
        json_decref(msg);
        free(qurl);
        return -1;
    }
    mtext = json_dumps(msg, JSON_COMPACT);
    json_decref(msg);
    snprintf(d, sizeof d, "%lldms", (long long)(o->bound_us / 1000));
    yaml = gp_asprintf(
        "name: init-probe\ntarget:\n  url: %s\n  carrier: %s\nauth:\n%s\nusers:\n  count: 1\n"
        "timeouts:\n  connect: %s\n  first_event: %s\n  run: %s\n  linger: 500ms\nsteps:\n"
        "  - connect: {}\n  - send: %s\n  - expect_run: {}\n  - close: {}\n",
        qurl, o->carrier ? o->carrier : "bearer",
        o->carrier && strcmp(o->carrier, "none") == 0
            ? "  kind: none"
            : "  kind: jwt\n  secret_env: GOLDENPATH_JWT_SECRET\n  claims:\n    sub: "
              "\"{{user.id}}\"",
        d, d, d, mtext);
    free(qurl);
    free(mtext);
    s = gp_scenario_load_mem("init-probe", yaml, strlen(yaml), 0, err);
    free(yaml);
    if (!s)
        return -1;
    ro.scenario = s;
    ro.users = 1;
    if (gp_runner_run(&ro, &ro_out, err) != 0)
        goto out;
    if (ro_out.n == 0) {
        gp_err_set(err, GP_EXIT_INTERNAL, o->url, 0, 0, "the probe ran no user");
        goto out;
    }
    if (why_nothing(ro_out.ts[0]) && o->note)
        fprintf(o->note,
                "goldenpath: init: %s within %s; the scenario below is from the "
                "greeting alone\n",
                why_nothing(ro_out.ts[0]), d);
    rc = gp_infer_scenario(out, ro_out.ts, ro_out.n, o->url, err);
out:
    gp_run_output_cleanup(&ro_out);
    gp_scenario_free(s);
    return rc;
}
