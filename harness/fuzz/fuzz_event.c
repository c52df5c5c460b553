/* fuzz_event.c - a frame as the runner and the judge read it: the fast JSON loader against
 * jansson, the tree-free peek against the full parse, then field lookup and matching over
 * whatever parsed. The differential checks are the documented promises of json_fast.h and
 * event.h. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "event.h"
#include "fuzz.h"
#include "json_fast.h"
#include "match.h"

static void check_fast_loader(const char *text, size_t len)
{
    int fallback = 0;
    json_t *fast = gp_json_load_fast(text, len, &fallback);
    json_t *ref = json_loadb(text, len, JSON_DECODE_ANY, NULL);

    if (fast)
        GP_FUZZ_CHECK(ref && json_equal(fast, ref));
    else if (!fallback)
        GP_FUZZ_CHECK(!ref);
    json_decref(fast);
    json_decref(ref);
}

static void lookups(gp_event *ev, const gp_profile *p)
{
    static const char *const paths[] = {"type",      "thread_id",  "run_id",  "payload.thread_id",
                                        "data.0",    "items.1.id", "a.b.c.d", "payload",
                                        "tool_name", "",           ".",       "0"};
    uint64_t uuid = 0;
    gp_vars v = {"gp-user-1", 1, "nonce", NULL, &uuid};
    size_t i;

    for (i = 0; i < sizeof paths / sizeof paths[0]; i++) {
        gp_event_field(ev, p, paths[i]);
        gp_match_lookup(ev->root, p, paths[i]);
    }
    gp_match_subset(ev->root, ev->root, &v);
    gp_match_subset(ev->body, ev->root, &v);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text = (const char *)data;
    gp_profile p;
    gp_event_peek pk;
    gp_event ev;
    char tid[64];
    int peek, parsed;

    check_fast_loader(text, size);
    gp_profile_init_default(&p);
    peek = gp_event_peek_frame(text, size, &p, &pk, tid, sizeof tid);
    parsed = gp_event_parse(text, size, &p, &ev, NULL);
    if (peek == 0)
        GP_FUZZ_CHECK(parsed != 0);
    if (peek == 1) {
        GP_FUZZ_CHECK(parsed == 0);
        GP_FUZZ_CHECK(pk.type == ev.type);
        GP_FUZZ_CHECK(!pk.thread_id == !ev.thread_id);
        if (pk.thread_id)
            GP_FUZZ_CHECK(strcmp(pk.thread_id, ev.thread_id) == 0);
    }
    if (parsed == 0) {
        lookups(&ev, &p);
        json_decref(ev.root);
    }
    gp_profile_cleanup(&p);
    return 0;
}
