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

#endif
