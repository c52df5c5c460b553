/* http_answer.c - the ticket and test-auth answers: status, JSON body, the member wanted. No
 * network and no state; the runner records what this returns. */
#include "http_answer.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "redact.h"

const char *gp_http_purpose_what(gp_http_purpose purpose)
{
    return purpose == GP_HTTP_TICKET ? "ticket request" : "test-auth token request";
}

/* A string member at the top level or under data/payload: servers nest differently. */
static const char *json_member(json_t *root, const char *a, const char *b)
{
    static const char *const nests[] = {NULL, "data", "payload"};
    size_t i;

    for (i = 0; i < 3; i++) {
        json_t *o = nests[i] ? json_object_get(root, nests[i]) : root;
        json_t *v = json_object_get(o, a);

        if (b)
            v = json_object_get(v, b);
        if (json_is_string(v))
            return json_string_value(v);
    }
    return NULL;
}

int gp_http_answer_parse(gp_http_purpose purpose, int status, const char *body, size_t len,
                         gp_http_answer *out)
{
    json_t *root;
    const char *val;

    memset(out, 0, sizeof *out);
    if (!body)
        len = 0;
    if (status < 200 || status > 299) {
        /* The first line of the body, cut and redacted: it may echo the credential sent. */
        size_t n = len < 120 ? len : 120;
        char *snippet = gp_strndup(body ? body : "", n), *red;

        snippet[strcspn(snippet, "\r\n")] = '\0';
        red = gp_redact(snippet, strlen(snippet));
        out->code = status;
        snprintf(out->why, sizeof out->why, "upgrade refused: the %s got HTTP %d (%s)",
                 gp_http_purpose_what(purpose), status, red);
        free(red);
        free(snippet);
        return -1;
    }
    root = json_loadb(body ? body : "", len, 0, NULL);
    val = json_member(root, purpose == GP_HTTP_TICKET ? "ticket_id" : "access_token", NULL);
    if (!val) {
        snprintf(out->why, sizeof out->why, "connect failed: the %s (HTTP %d) has no %s",
                 purpose == GP_HTTP_TICKET ? "ticket response" : "test-auth response", status,
                 purpose == GP_HTTP_TICKET ? "ticket_id" : "access_token");
        json_decref(root);
        return -1;
    }
    out->value = gp_strdup(val);
    if (purpose == GP_HTTP_E2E) {
        const char *uid = json_member(root, "user", "id");

        if (uid && *uid)
            out->user_id = gp_strdup(uid);
    }
    json_decref(root);
    return 0;
}

void gp_http_answer_cleanup(gp_http_answer *a)
{
    if (!a)
        return;
    free(a->value);
    free(a->user_id);
    a->value = a->user_id = NULL;
}
