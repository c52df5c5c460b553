/* init_probe.h - one probing user against a live server, for 'goldenpath init --target': it
 * connects, records the greeting, sends one message, reads until the run ends or a bound
 * passes, and hands its transcript to infer.h. Uses the runner (the network). */
#ifndef GP_INIT_PROBE_H
#define GP_INIT_PROBE_H

#include <stdio.h>

#include "gp_common.h"

typedef struct gp_init_probe_opts {
    const char *url;     /* ws:// or wss:// */
    const char *carrier; /* bearer (default), subprotocol, query, ticket or none */
    const char *message; /* JSON object to send (templates allowed), or NULL for a default */
    int64_t bound_us;    /* bounds the connect, the first event and the whole run */
    FILE *note;          /* where to say why nothing arrived (stderr), or NULL */
} gp_init_probe_opts;

/* Probes o->url and writes the inferred scenario to out. A JWT for the probe is minted from
 * GOLDENPATH_JWT_SECRET unless the carrier is none. Returns 0, or -1 with err set (a bad URL or
 * message, a missing secret, nothing to infer from). */
int gp_init_probe(const gp_init_probe_opts *o, FILE *out, gp_err *err);

#endif
