/* event.h - turning a received text frame into a typed agent event, following the protocol
 * profile: where the type and id fields live, which wrappers to unwrap, which types are noise.
 * Pure functions over jansson values; no network. */
#ifndef GP_EVENT_H
#define GP_EVENT_H

#include <jansson.h>

#include "gp_common.h"

typedef enum gp_event_type {
    GP_EV_AGENT_STARTED,
    GP_EV_AGENT_THINKING,
    GP_EV_TOOL_EXECUTING,
    GP_EV_TOOL_COMPLETED,
    GP_EV_AGENT_COMPLETED,
    GP_EV_AGENT_ERROR,
    GP_EV_AGENT_DEATH,
    GP_EV_READY,         /* connection_established (or an alias such as connection_ready) */
    GP_EV_ERROR_MESSAGE, /* error_message */
    GP_EV_NOISE,         /* a type the profile lists as noise */
    GP_EV_OTHER,         /* any other type */
    GP_EV__COUNT
} gp_event_type;

/* The five golden-path events are the first five values. */
#define GP_EV_GOLDEN_COUNT 5
#define GP_EV_MASK(t) (1u << (t))
#define GP_EV_GOLDEN_MASK 0x1fu

/* Canonical wire name ("agent_started", ...; "noise"/"other" for those classes). */
const char *gp_event_type_name(gp_event_type t);
/* Canonical wire name to type; -1 when not one of the canonical names. */
int gp_event_type_from_name(const char *name);

typedef struct gp_alias {
    char *from; /* a type name as a server sends it, e.g. "reasoning" */
    char *to;   /* the canonical name, e.g. "agent_thinking" */
} gp_alias;

/* How a server lays out its frames. Every string is owned by the profile. */
typedef struct gp_profile {
    char *type_key;       /* default "type" */
    char *event_key;      /* default "event": holds the real type inside wrappers */
    char **wrapper_types; /* default {"system_message"}: unwrapped when event_key is present */
    size_t nwrapper_types;
    char **containers; /* default {"payload", "data"}: searched after the top level */
    size_t ncontainers;
    char *run_id_key;    /* default "run_id" */
    char *thread_id_key; /* default "thread_id" */
    char *user_id_key;   /* default "user_id" */
    char **noise_types;  /* default heartbeat, heartbeat_ack, pong, ack, system_message */
    size_t nnoise_types;
    char **ready_types; /* default connection_established, connection_ready */
    size_t nready_types;
    gp_alias *aliases; /* default reasoning -> agent_thinking */
    size_t naliases;
    size_t max_frame_bytes; /* default 1 MiB: larger frames are a failure, not a crash */
} gp_profile;

/* Fills p with PROTOCOL.md's reference layout. Free with gp_profile_cleanup. */
void gp_profile_init_default(gp_profile *p);
void gp_profile_cleanup(gp_profile *p);
/* Deep copy of src into dst (dst is overwritten, not cleaned). */
void gp_profile_copy(gp_profile *dst, const gp_profile *src);

/* One parsed frame. Pointers are borrowed from root, which the caller owns. */
typedef struct gp_event {
    gp_event_type type;
    const char *type_name; /* the canonical name for known types, else the raw type */
    json_t *root;          /* the whole frame */
    json_t *body;          /* the unwrapped object that fields are looked up in */
    const char *run_id;    /* NULL when absent or not a string */
    const char *thread_id;
    const char *user_id;
    bool has_timestamp;
    double timestamp; /* epoch seconds, from a number or an ISO 8601 string */
} gp_event;

/* Parses text as one frame. Returns 0 and fills ev (ev->root is a new reference the caller
 * must json_decref), or -1 with err set when the text is not a JSON object with a type. */
int gp_event_parse(const char *text, size_t len, const gp_profile *p, gp_event *ev, gp_err *err);

/* Looks a field up in the event's body: the top level, then each container in order.
 * Returns a borrowed reference or NULL. */
json_t *gp_event_field(const gp_event *ev, const gp_profile *p, const char *name);

/* Parses an ISO 8601 timestamp ("2025-09-18T14:00:00.250Z", offsets allowed) to epoch
 * seconds. Returns 0 or -1. */
int gp_iso8601_parse(const char *s, double *out);

#endif
