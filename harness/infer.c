/* infer.c - a first scenario from one user's frames. Counts what the received JSON objects
 * look like (which key holds a type, which object holds the ids, which types arrive before
 * the message) and writes YAML whose comments say so. It guesses, and says where it guessed;
 * it never connects. */
#include "infer.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "event.h"
#include "report_util.h"

#define MAX_TYPES 64

static const char *const type_keys[] = {"type",     "event",        "kind",   "event_type",
                                        "msg_type", "message_type", "action", "op"};
static const char *const event_keys[] = {"event", "event_type", "name"};
static const char *const canonical[] = {
    "agent_started",  "agent_thinking",         "tool_executing",
    "tool_completed", "agent_completed",        "agent_error",
    "agent_death",    "connection_established", "error_message"};
/* Names servers are known to use for the canonical events. */
static const struct {
    const char *from, *to;
} known_aliases[] = {
    {"reasoning", "agent_thinking"},       {"thinking", "agent_thinking"},
    {"agent_thought", "agent_thinking"},   {"run_started", "agent_started"},
    {"agent_start", "agent_started"},      {"tool_call", "tool_executing"},
    {"tool_start", "tool_executing"},      {"tool_started", "tool_executing"},
    {"tool_result", "tool_completed"},     {"tool_end", "tool_completed"},
    {"tool_finished", "tool_completed"},   {"run_completed", "agent_completed"},
    {"agent_finished", "agent_completed"}, {"agent_done", "agent_completed"},
    {"run_failed", "agent_error"},         {"connection_ready", "connection_established"},
};
static const char *const noise_names[] = {"heartbeat", "heartbeat_ack",     "pong", "ack", "ping",
                                          "keepalive", "handshake_response"};
static const char *const containers_seen[] = {"payload", "data",    "body",
                                              "content", "message", "detail"};

typedef struct tstat {
    char *name;   /* the type (or wrapped event) as the server sends it */
    size_t count; /* frames */
    size_t first_user, first_frame;
    bool before_message; /* arrived before the user's first message */
    bool wrapped;        /* seen inside a wrapper */
} tstat;

typedef struct infer {
    size_t objects;     /* received JSON objects */
    size_t key_hits[8]; /* per type_keys[i]: objects with a string there */
    const char *type_key;
    const char *event_key; /* for wrappers, or NULL */
    char *wrapper;         /* a wrapper type, or NULL */
    tstat types[MAX_TYPES];
    size_t ntypes;
    size_t cont_hits[6]; /* per containers_seen[i]: events with run_id inside */
    size_t top_hits;     /* events with run_id at the top level */
    size_t ts_number, ts_iso, ts_none;
    size_t max_len;
    const gp_frame *message; /* the first message any user sent */
    const char *nonce;       /* that user's nonce (a probe's), or "" */
    const char *url;         /* CONNECT data of the first user */
} infer;

static const char *canon_of(const char *name)
{
    size_t i;

    for (i = 0; i < sizeof canonical / sizeof canonical[0]; i++)
        if (strcmp(name, canonical[i]) == 0)
            return canonical[i];
    for (i = 0; i < sizeof known_aliases / sizeof known_aliases[0]; i++)
        if (strcmp(name, known_aliases[i].from) == 0)
            return known_aliases[i].to;
    return NULL;
}

static bool is_noise_name(const char *name)
{
    size_t i;

    for (i = 0; i < sizeof noise_names / sizeof noise_names[0]; i++)
        if (strcmp(name, noise_names[i]) == 0)
            return true;
    return false;
}

static tstat *type_stat(infer *I, const char *name, size_t u, size_t f)
{
    size_t i;

    for (i = 0; i < I->ntypes; i++)
        if (strcmp(I->types[i].name, name) == 0)
            return &I->types[i];
    if (I->ntypes == MAX_TYPES)
        return NULL;
    I->types[I->ntypes] = (tstat){.name = gp_strdup(name), .first_user = u, .first_frame = f};
    return &I->types[I->ntypes++];
}

/* The event name of an object: the wrapped event when it is a wrapper, else its type. */
static const char *event_name(const infer *I, json_t *o, bool *wrapped)
{
    const char *t = json_string_value(json_object_get(o, I->type_key));

    *wrapped = false;
    if (t && I->wrapper && I->event_key && strcmp(t, I->wrapper) == 0 &&
        json_is_string(json_object_get(o, I->event_key))) {
        *wrapped = true;
        return json_string_value(json_object_get(o, I->event_key));
    }
    return t;
}

/* Pass one: the type key, and a wrapper (a type whose frames name a known event in another
 * key). */
static void pass_keys(infer *I, gp_transcript *const *ts, size_t n)
{
    size_t u, f, k, best = 0;

    for (u = 0; u < n; u++)
        for (f = 0; f < ts[u]->nframes; f++) {
            const gp_frame *fr = &ts[u]->frames[f];
            json_t *o;

            if (fr->kind != GP_FR_RECV_TEXT || !fr->data)
                continue;
            o = json_loadb(fr->data, fr->len, 0, NULL);
            if (json_is_object(o)) {
                I->objects++;
                for (k = 0; k < 8; k++)
                    I->key_hits[k] += json_is_string(json_object_get(o, type_keys[k]));
            }
            json_decref(o);
        }
    I->type_key = "type";
    for (k = 0; k < 8; k++)
        if (I->key_hits[k] > best) {
            best = I->key_hits[k];
            I->type_key = type_keys[k];
        }
    for (u = 0; u < n && !I->wrapper; u++)
        for (f = 0; f < ts[u]->nframes && !I->wrapper; f++) {
            const gp_frame *fr = &ts[u]->frames[f];
            json_t *o;
            const char *t;

            if (fr->kind != GP_FR_RECV_TEXT || !fr->data)
                continue;
            o = json_loadb(fr->data, fr->len, 0, NULL);
            t = json_string_value(json_object_get(o, I->type_key));
            for (k = 0; t && !canon_of(t) && k < sizeof event_keys / sizeof event_keys[0]; k++) {
                const char *ev = json_string_value(json_object_get(o, event_keys[k]));

                if (ev && strcmp(event_keys[k], I->type_key) != 0 && canon_of(ev)) {
                    I->wrapper = gp_strdup(t);
                    I->event_key = event_keys[k];
                    break;
                }
            }
            json_decref(o);
        }
}

static json_t *id_holder(json_t *o, size_t *which, bool *top)
{
    size_t k;

    *top = json_object_get(o, "run_id") != NULL;
    for (k = 0; k < sizeof containers_seen / sizeof containers_seen[0]; k++) {
        json_t *c = json_object_get(o, containers_seen[k]);

        if (json_is_object(c) && json_object_get(c, "run_id")) {
            *which = k;
            return c;
        }
    }
    return NULL;
}

/* Pass two: the types, where run_id sits, the timestamps, sizes, the first message. */
static void pass_frames(infer *I, gp_transcript *const *ts, size_t n)
{
    size_t u, f;

    for (u = 0; u < n; u++) {
        bool sent = false;

        for (f = 0; f < ts[u]->nframes; f++) {
            const gp_frame *fr = &ts[u]->frames[f];
            json_t *o, *tsv, *holder;
            const char *name;
            bool wrapped, top;
            size_t which = 0;
            tstat *st;

            if (fr->kind == GP_FR_CONNECT && !I->url)
                I->url = fr->data;
            if (fr->kind == GP_FR_SENT) {
                sent = true;
                if (!I->message) {
                    I->message = fr;
                    I->nonce = ts[u]->nonce;
                }
            }
            if (fr->kind != GP_FR_RECV_TEXT || !fr->data)
                continue;
            if (fr->len > I->max_len)
                I->max_len = fr->len;
            o = json_loadb(fr->data, fr->len, 0, NULL);
            name = json_is_object(o) ? event_name(I, o, &wrapped) : NULL;
            if (!name || !(st = type_stat(I, name, u, f))) {
                json_decref(o);
                continue;
            }
            st->count++;
            st->before_message = st->before_message || !sent;
            st->wrapped = st->wrapped || wrapped;
            if (canon_of(name) && strncmp(canon_of(name), "connection", 10) != 0) {
                json_t *body = wrapped ? json_object_get(o, "payload") : o;

                if (!json_is_object(body))
                    body = o;
                holder = id_holder(body, &which, &top);
                if (top && body != o)
                    I->cont_hits[0]++; /* the wrapper's payload holds the ids */
                else if (top)
                    I->top_hits++;
                else if (holder)
                    I->cont_hits[which]++;
                tsv = json_object_get(o, "timestamp");
                if (!tsv && holder)
                    tsv = json_object_get(holder, "timestamp");
                if (json_is_number(tsv))
                    I->ts_number++;
                else if (json_is_string(tsv))
                    I->ts_iso++;
                else
                    I->ts_none++;
            }
            json_decref(o);
        }
    }
}

/* The message as a send step: its thread id made per user and run, its text carrying the
 * user's nonce (so a leak of it to another user is found). */
static char *message_json(const infer *I, const char *type_key)
{
    json_t *m = I->message ? json_loadb(I->message->data, I->message->len, 0, NULL) : NULL;
    json_t *holders[3];
    size_t h, k;
    char *s;

    if (!json_is_object(m)) {
        json_decref(m);
        m = json_pack("{s:s,s:{s:s}}", type_key, "user_message", "payload", "content", "");
    }
    holders[0] = m;
    holders[1] = json_object_get(m, "payload");
    holders[2] = json_object_get(m, "data");
    for (h = 0; h < 3; h++) {
        static const char *const texts[] = {"content", "message", "text", "prompt"};

        if (!json_is_object(holders[h]))
            continue;
        if (json_is_string(json_object_get(holders[h], "thread_id")))
            json_object_set_new(holders[h], "thread_id",
                                json_string("thread-{{user.id}}-{{uuid}}"));
        for (k = 0; k < 4; k++) {
            json_t *t = json_object_get(holders[h], texts[k]);

            if (json_is_string(t)) {
                const char *tv = json_string_value(t);
                const char *at = I->nonce && strlen(I->nonce) >= 8 ? strstr(tv, I->nonce) : NULL;
                char *v =
                    at ? gp_asprintf("%.*s{{nonce}}%s", (int)(at - tv), tv, at + strlen(I->nonce))
                       : gp_asprintf("%s ({{nonce}})", tv);

                json_object_set_new(holders[h], texts[k], json_string(v));
                free(v);
            }
        }
    }
    s = json_dumps(m, JSON_COMPACT | JSON_ENSURE_ASCII);
    json_decref(m);
    return s;
}

static void yaml_str(FILE *out, const char *s)
{
    json_t *j = json_string(s);
    char *q = json_dumps(j, JSON_ENCODE_ANY | JSON_ENSURE_ASCII);

    fputs(q ? q : "\"\"", out);
    free(q);
    json_decref(j);
}

int gp_infer_scenario(FILE *out, gp_transcript *const *ts, size_t n, const char *source,
                      gp_err *err)
{
    infer I = {0};
    const char *carrier = "bearer";
    char *url = NULL, *msg, *cut;
    size_t i, k, golden_seen = 0;
    bool seen[GP_EV_GOLDEN_COUNT] = {false};
    bool any_alias = false, any_noise = false, any_cont = false;

    pass_keys(&I, ts, n);
    if (I.objects == 0) {
        gp_err_set(err, GP_EXIT_USAGE, source, 0, 0,
                   "nothing to infer from: no received frame is a JSON object");
        return -1;
    }
    pass_frames(&I, ts, n);
    /* The URL as the transcript keeps it: redacted, with a note after it. */
    url = gp_strdup(I.url ? I.url : "ws://127.0.0.1:8765/ws");
    if ((cut = strstr(url, " (")))
        *cut = '\0';
    if ((cut = strstr(url, "token=REDACTED"))) {
        carrier = "query";
        cut[-1] = cut[-1] == '?' ? '\0' : cut[-1];
        *cut = '\0';
        if (cut[-1] == '&')
            cut[-1] = '\0';
    } else if ((cut = strstr(url, "ticket=REDACTED"))) {
        carrier = "ticket";
        *(cut - 1) = '\0';
    }
    /* A live probe's connect marker names its carrier: "URL (credential: valid, carrier: X)". */
    if (I.url && (cut = strstr(I.url, "carrier: "))) {
        static const char *const carriers[] = {"bearer", "subprotocol", "query", "ticket", "none"};

        for (k = 0; k < 5; k++)
            if (strncmp(cut + 9, carriers[k], strlen(carriers[k])) == 0)
                carrier = carriers[k];
    }
    fprintf(out, "# A first scenario inferred by 'goldenpath init' from %s.\n", source);
    fputs("# Every inference says which frame it came from; check the ones marked CHECK.\n", out);
    fputs("name: inferred\n", out);
    fputs("description: inferred from one user's traffic; edit before relying on it\n", out);
    fputs("target:\n  url: ", out);
    yaml_str(out, url);
    fprintf(out, "\n  carrier: %s", carrier);
    if (I.url && strstr(I.url, "carrier: "))
        fputs("   # as the probe connected", out);
    else if (strcmp(carrier, "bearer") == 0)
        fputs("   # CHECK: no credential was seen in the URL; a browser cannot send\n"
              "                     # Authorization, so the page may use a cookie or a ticket",
              out);
    else
        fprintf(out, "   # as the %s connected",
                I.url && strstr(I.url, "browser capture") ? "capture's page" : "probe");
    fputs("\nauth:\n  kind: jwt\n  secret_env: GOLDENPATH_JWT_SECRET   # CHECK: how your users "
          "get a token\n  claims:\n    sub: \"{{user.id}}\"\nusers:\n  count: 1\n",
          out);
    fputs("protocol:\n", out);
    for (k = 0; k < 8; k++)
        if (strcmp(type_keys[k], I.type_key) == 0)
            fprintf(out, "  type_key: %s   # a string in %zu of %zu received JSON objects\n",
                    I.type_key, I.key_hits[k], I.objects);
    if (I.wrapper) {
        fprintf(out, "  event_key: %s\n  wrappers: [", I.event_key);
        yaml_str(out, I.wrapper);
        fputs("]   # frames of this type carry the event name in event_key\n", out);
    }
    fputs("  containers: [", out);
    for (k = 0; k < sizeof containers_seen / sizeof containers_seen[0]; k++)
        if (I.cont_hits[k]) {
            fprintf(out, "%s%s", any_cont ? ", " : "", containers_seen[k]);
            any_cont = true;
        }
    if (!any_cont)
        fputs("payload, data", out);
    fprintf(out, "]   # run_id at the top level in %zu events", I.top_hits);
    for (k = 0; k < sizeof containers_seen / sizeof containers_seen[0]; k++)
        if (I.cont_hits[k])
            fprintf(out, ", in %s in %zu", containers_seen[k], I.cont_hits[k]);
    fputs("\n", out);
    fputs("  ready: [", out);
    for (i = 0, k = 0; i < I.ntypes; i++) {
        const char *c = canon_of(I.types[i].name);

        if (I.types[i].before_message && (!c || strncmp(c, "connection", 10) == 0) &&
            !is_noise_name(I.types[i].name) &&
            (!I.wrapper || strcmp(I.types[i].name, I.wrapper) != 0)) {
            fprintf(out, "%s", k++ ? ", " : "");
            yaml_str(out, I.types[i].name);
        }
    }
    fputs(k ? "]   # arrived before the user's message\n"
            : "connection_established]   # CHECK: nothing arrived before the message\n",
          out);
    for (i = 0; i < I.ntypes; i++) {
        const char *c = canon_of(I.types[i].name);

        if (c && strcmp(c, I.types[i].name) != 0 && strncmp(c, "connection", 10) != 0) {
            if (!any_alias)
                fputs("  aliases:\n", out);
            any_alias = true;
            fputs("    ", out);
            yaml_str(out, I.types[i].name);
            fprintf(out, ": %s   # seen %zu times (user %zu, frame %zu)\n", c, I.types[i].count,
                    I.types[i].first_user, I.types[i].first_frame);
        }
        for (k = 0; c && k < GP_EV_GOLDEN_COUNT; k++)
            if (strcmp(c, canonical[k]) == 0 && !seen[k]) {
                seen[k] = true;
                golden_seen++;
            }
    }
    for (i = 0; i < I.ntypes; i++) {
        if (canon_of(I.types[i].name) || (I.wrapper && strcmp(I.types[i].name, I.wrapper) == 0))
            continue;
        if (I.types[i].before_message && !is_noise_name(I.types[i].name))
            continue; /* listed as ready */
        if (!any_noise)
            fputs("  noise:   # types that belong to no run (CHECK: an unknown run event would "
                  "hide here)\n",
                  out);
        any_noise = true;
        fputs("    - ", out);
        yaml_str(out, I.types[i].name);
        fprintf(out, "   # seen %zu times\n", I.types[i].count);
    }
    if (I.max_len > ((size_t)1 << 20))
        fprintf(out, "  max_frame: %zuMiB   # the largest frame seen was %zu bytes\n",
                (I.max_len >> 20) * 2 + 1, I.max_len);
    else
        fprintf(out, "  # max_frame: the largest frame seen was %zu bytes (default 1MiB)\n",
                I.max_len);
    fprintf(out,
            "# timestamps: %zu events with a number (epoch seconds), %zu with a string "
            "(ISO 8601), %zu without one\n",
            I.ts_number, I.ts_iso, I.ts_none);
    msg = message_json(&I, I.type_key);
    fputs("steps:\n  - connect: {}\n", out);
    fprintf(out, "  - send: %s%s\n", msg ? msg : "{}",
            I.message ? "   # the first message the user sent"
                      : "   # CHECK: the user sent no message; this is a guess");
    free(msg);
    if (golden_seen == 0) {
        fputs("  - expect_run: {}   # CHECK: no golden event was seen at all\n", out);
    } else if (golden_seen < GP_EV_GOLDEN_COUNT) {
        fputs("  # not seen:", out);
        for (k = 0; k < GP_EV_GOLDEN_COUNT; k++)
            if (!seen[k])
                fprintf(out, " %s", canonical[k]);
        if (!seen[GP_EV_TOOL_EXECUTING] || !seen[GP_EV_TOOL_COMPLETED])
            fputs(" (tool pair not seen; check that the message triggers a tool)", out);
        fputs("\n  - expect_run:\n      require: [", out);
        for (k = 0, i = 0; k < GP_EV_GOLDEN_COUNT; k++)
            if (seen[k])
                fprintf(out, "%s%s", i++ ? ", " : "", canonical[k]);
        fputs("]\n", out);
    } else {
        fputs("  - expect_run: {}   # all five golden events were seen\n", out);
    }
    fputs("  - close: {code: 1000, reason: done}\n", out);
    for (i = 0; i < I.ntypes; i++)
        free(I.types[i].name);
    free(I.wrapper);
    free(url);
    return 0;
}
