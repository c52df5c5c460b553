/* push.h - sending the OpenMetrics text to a Prometheus Pushgateway at the end of a run, with the
 * HTTP client the runner's ticket requests use (libwebsockets), on a context of its own so the
 * run's loop is not involved. One bounded request; a failure is the caller's warning, never a
 * lost report. */
#ifndef GP_PUSH_H
#define GP_PUSH_H

#include "gp_common.h"

/* How long a push may take, connect to answer. */
#define GP_PUSH_TIMEOUT_US ((int64_t)10 * 1000000)

/* The request path for url: its own path when it already names a group ("/metrics/job/..."),
 * else its path with "/metrics/job/goldenpath" appended. Returns a new string (free()). */
char *gp_push_path(const char *url_path);

/* PUTs body (len bytes, Prometheus text) to url (http:// or https://, a Pushgateway's base URL
 * or a full group URL), waiting at most timeout_us. Returns 0 on a 2xx answer, or -1 with err
 * set (the URL redacted in the message). */
int gp_push_metrics(const char *url, const char *body, size_t len, int64_t timeout_us, gp_err *err);

/* Interim pushes during a long run (--push with --interval): a thread of its own with its own
 * short-lived libwebsockets contexts (gp_push_metrics; a context is never shared between
 * threads), so the runner's loop never waits on the network. The runner hands over the latest
 * body under a mutex (gp_pusher_offer); the thread PUTs each body it finds, the newest only,
 * with a bounded wait. Failures are counted, never printed here. */
typedef struct gp_pusher gp_pusher;

/* Whether url can take interim pushes: not an https:// one (a TLS context made beside the
 * run's would redo OpenSSL's global set-up under its connections). */
bool gp_push_interim_ok(const char *url);

/* Starts the thread for url (copied). timeout_us bounds each PUT. Returns a new pusher, or
 * NULL when the thread cannot be started or !gp_push_interim_ok(url): the caller then pushes
 * only at the end. A fork() while a PUT is in flight waits for it (at most timeout_us). */
gp_pusher *gp_pusher_start(const char *url, int64_t timeout_us);

/* Hands body (len bytes; taken, free()d by the pusher) over to be PUT next, replacing a body
 * not yet sent. Safe to call from the runner's thread; never blocks on the network. */
void gp_pusher_offer(gp_pusher *p, char *body, size_t len);

/* Stops the thread after the PUT in flight (if any, at most its timeout), drops a body not
 * yet sent, and frees p. *pushed and *failed count the PUTs made and those that failed; err
 * gets the first failure (when *failed > 0). p NULL: counts 0. */
void gp_pusher_stop(gp_pusher *p, size_t *pushed, size_t *failed, gp_err *err);

#endif
