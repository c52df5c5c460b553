/* event.h - turning a received text frame into a typed agent event, following the protocol
 * profile: where the type and id fields live, which wrappers to unwrap, which types are noise.
 * Pure functions over jansson values, and a tree-free peek for the runner; no network. */
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
/* The one table of event type names, indexed by gp_event_type: the first GP_EV_GOLDEN_COUNT
 * are the golden-path events in their order, the first GP_EV_CANONICAL_COUNT the names a
 * server's type may be aliased to; the last two ("noise", "other") are the harness's own. */
#define GP_EV_CANONICAL_COUNT (GP_EV_ERROR_MESSAGE + 1)
extern const char *const gp_event_type_names[GP_EV__COUNT];
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

/* What the runner needs of a frame while it waits, found without building a JSON tree. */
typedef struct gp_event_peek {
    gp_event_type type;
    const char *thread_id; /* into the caller's buf (NUL-terminated copy), or NULL */
} gp_event_peek;
/* Fills pk from text (len bytes, not NUL-terminated) for profile p, copying the thread_id
 * string into buf (size bytes). Returns 1 when the frame is a JSON object whose type was
 * found and classified exactly as gp_event_parse would; 0 when the frame is not a valid event
 * (gp_event_parse would fail); -1 when the peek cannot tell cheaply (escapes in a key or a
 * value it needs, a wrapped frame, deep nesting, buf too small...): the caller then uses
 * gp_event_parse. Never allocates. */
int gp_event_peek_frame(const char *text, size_t len, const gp_profile *p, gp_event_peek *pk,
                        char *buf, size_t size);
/* As built: wrapped frames are read exactly (the event key's type, the lookup into a
 * container's containers), and so are duplicate keys (the last one counts). -1 comes from an
 * escape in a top-level or container key or in the type, event or thread id string used;
 * nesting deeper than 32; a number within a factor of ten of DBL_MAX; a NUL byte outside a
 * string; more than 4 containers in p; a thread id of size bytes or more; a NULL pk. On 0 and
 * -1 pk holds GP_EV_OTHER and NULL. Reentrant: its state (about 2 KiB) is on the stack. */

/* Looks a field up in the event's body: the top level, then each container in order.
 * Returns a borrowed reference or NULL. */
json_t *gp_event_field(const gp_event *ev, const gp_profile *p, const char *name);

/* Parses an ISO 8601 timestamp ("2025-09-18T14:00:00.250Z", offsets allowed) to epoch
 * seconds. Returns 0 or -1. */
int gp_iso8601_parse(const char *s, double *out);

/* Parses an RFC 3339 date-time strictly ("2026-12-02T10:00:00Z": seconds and the zone
 * required, '.' fractions, offsets as +hh:mm) to epoch microseconds (--start-at). Shares
 * gp_iso8601_parse's reader. Returns 0 or -1. */
int gp_rfc3339_parse(const char *s, int64_t *out_us);

#endif
