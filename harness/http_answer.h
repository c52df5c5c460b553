/* http_answer.h - reading the answer of the HTTP services a connect may need first: the
 * ticket endpoint (carrier ticket) and the test-auth endpoint (auth kind e2e). A pure function
 * over the status and body bytes, so it is tested and fuzzed without a network; the request
 * itself is runner_connect.c's. */
#ifndef GP_HTTP_ANSWER_H
#define GP_HTTP_ANSWER_H

#include "gp_common.h"

typedef enum gp_http_purpose { GP_HTTP_TICKET, GP_HTTP_E2E } gp_http_purpose;

typedef struct gp_http_answer {
    char *value;   /* the ticket_id (TICKET) or access_token (E2E): a credential; owned */
    char *user_id; /* E2E: the server's user.id when it sent one, else NULL; owned */
    int code;      /* on failure: the frame code to record (the HTTP status, or 0) */
    char why[512]; /* on failure: the cause, with any echoed body redacted and cut */
} gp_http_answer;

/* "ticket request" or "test-auth token request". */
const char *gp_http_purpose_what(gp_http_purpose purpose);

/* Reads an answer: status is the HTTP status, body the len bytes received (any bytes; need not
 * be NUL-terminated). The value is a string member at the top level or under "data" or
 * "payload" ("ticket_id"; "access_token" and "user": {"id"}). Returns 0 with out->value set,
 * or -1 with out->code and out->why set (a status outside 2xx, a body that is not JSON or
 * lacks the member). out is overwritten; release it with gp_http_answer_cleanup. */
int gp_http_answer_parse(gp_http_purpose purpose, int status, const char *body, size_t len,
                         gp_http_answer *out);
void gp_http_answer_cleanup(gp_http_answer *a);

#endif
