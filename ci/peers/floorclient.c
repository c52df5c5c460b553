// ci/peers/floorclient.c - the floor peer of ci/bench: the flow and the checks of
// ci/peers/nodeclient.js in the cheapest client we can write, so the CPU per session that any
// WebSocket client pays on this machine (mostly the kernel's loopback TCP work) can be measured.
// One process, one epoll loop (edge-triggered), non-blocking sockets, one timer per session in an
// indexed binary heap keyed by deadline; OpenSSL libcrypto for HMAC-SHA256 (the JWT), SHA-1 (the
// Sec-WebSocket-Accept check) and random bytes (drawn from a pool refilled in 4 KiB blocks);
// jansson parses every received text message (a real JSON parser, escapes included), as Node's
// JSON.parse does for the Node peer (it differs only on lone surrogate escapes and numbers
// beyond a double's range, which JSON.parse takes and jansson refuses as invalid_json).
// It does NOT speak TLS, extensions or subprotocols.
//
//   GOLDENPATH_JWT_SECRET=... floorclient --port PORT --sessions N --rate R
//
// Per session i (open model: session i starts i/R s after the first, until N have started):
// an HS256 JWT (sub gp-user-<i>, iss netra-auth-service, type access, 15 min) as
// `Authorization: Bearer`, an RFC 6455 upgrade (the 101 status and Sec-WebSocket-Accept checked),
// wait for connection_established, send one user_message with thread_id
// thread-gp-user-<i>-<uuid>, then check the run exactly as nodeclient.js does (same states, same
// failure reasons, the frame errors named after ws's error codes), linger, close 1000; a closing
// handshake over 2 s is counted (close_timeouts), not failed.
//
// Prints one JSON line, the keys of nodeclient.js's (its "node" and "ws" versions replaced by
// "openssl" and "jansson"). Exit 0 when every session passed, 1 otherwise, 2 on usage errors,
// 3 when the client itself cannot run (no memory, no epoll). Never prints the secret or a token.
//
// Build: gcc -O2 -std=c11 -Wall -Wextra -Werror floorclient.c -o floorclient -ljansson -lcrypto -lm
#define _GNU_SOURCE
#include <errno.h>
#include <math.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/opensslv.h>
#include <openssl/params.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#define MAX_FRAME (1u << 20)
#define CLOSE_MS 2000
#define MAX_HTTP_HEAD 16384
#define RBUF_MIN 4096
#define POOL_SIZE 4096
#define WS_GUID "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

enum state { CONNECTING, READY_WAIT, IN_RUN, LINGER, CLOSING, OVER };
static const char *const state_names[] = {"connect", "ready", "run", "linger", "close", "over"};
enum result { RES_NONE, RES_OK, RES_FAILED };

struct tool {
    char *name;
    size_t len;
};

struct session {
    int fd;
    unsigned idx;
    uint8_t state, result, done, upgraded, connecting, thinking, frag_op;
    int heap_pos; // -1: no timer armed
    int64_t deadline;
    int tools_done;
    char user[24];
    size_t user_len;
    char thread[80];
    size_t thread_len;
    char key[25]; // Sec-WebSocket-Key, base64 of 16 random bytes
    char *run_id; // kept until exit: the run-owner table points at it
    size_t run_id_len;
    struct tool *tools; // open tool_executing names, oldest first
    size_t ntools, captools;
    char *rbuf; // received bytes, [rpos, rlen) not parsed yet
    size_t rcap, rlen, rpos, want;
    char *wbuf; // bytes the kernel did not take yet
    size_t wlen, wcap;
    char *frag; // a fragmented message being reassembled
    size_t flen, fcap;
};

// An open-addressing table from an id string to the session that owns it.
struct owner_slot {
    const char *key;
    size_t len;
    int owner;
};
struct owner_table {
    struct owner_slot *slots;
    size_t mask;
};

struct reason {
    char name[64];
    long count;
};

struct client {
    // options
    char host[64], hostport[80], path[512];
    int family, port;
    long sessions;
    double rate, timeout_ms, linger_ms, max_seconds;
    const char *json_path;
    const char *secret;
    // run
    int ep;
    int64_t t0;
    long started, finished, ok, failed, close_timeouts;
    struct reason *reasons;
    size_t nreasons, capreasons;
    struct session *s;
    int *heap; // session indices, min-heap on deadline
    size_t nheap;
    struct owner_table runs, threads;
    unsigned char pool[POOL_SIZE];
    size_t pool_pos;
    struct sockaddr_storage addr;
    socklen_t addrlen;
    char jwt_head[64];
    EVP_MAC_CTX *hmac; // HMAC-SHA256 keyed with the secret once, copied for each token
};

static void report(struct client *c, const char *end);
static void add_reason_count(struct client *c, const char *name, long n);

static void die(const char *what)
{
    fprintf(stderr, "floorclient: %s\n", what);
    exit(3);
}

static void *xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n);
    if (!q)
        die("out of memory");
    return q;
}

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void usage(const char *msg)
{
    if (msg && *msg)
        fprintf(stderr, "floorclient: %s\n", msg);
    fprintf(stderr,
            "usage: floorclient (--port PORT | --url ws://127.0.0.1:PORT/ws) [--sessions N] "
            "[--rate R] [--timeout-ms MS] [--linger-ms MS] [--max-seconds S] [--json "
            "FILE]\n");
    exit(2);
}

// ---- random bytes, base64, crypto ----

static void random_bytes(struct client *c, unsigned char *out, size_t n)
{
    if (c->pool_pos + n > POOL_SIZE) {
        if (RAND_bytes(c->pool, POOL_SIZE) != 1)
            die("RAND_bytes failed");
        c->pool_pos = 0;
    }
    memcpy(out, c->pool + c->pool_pos, n);
    c->pool_pos += n;
}

// base64 of IN into OUT (NUL-terminated); URL-safe without padding when URL is set.
static size_t b64(const unsigned char *in, size_t n, char *out, int url)
{
    static const char std[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    static const char web[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    const char *t = url ? web : std;
    size_t o = 0, i = 0;
    for (; i + 2 < n; i += 3) {
        uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
        out[o++] = t[v >> 18];
        out[o++] = t[(v >> 12) & 63];
        out[o++] = t[(v >> 6) & 63];
        out[o++] = t[v & 63];
    }
    if (i < n) {
        uint32_t v = (uint32_t)in[i] << 16 | (i + 1 < n ? (uint32_t)in[i + 1] << 8 : 0);
        out[o++] = t[v >> 18];
        out[o++] = t[(v >> 12) & 63];
        if (i + 1 < n)
            out[o++] = t[(v >> 6) & 63];
        else if (!url)
            out[o++] = '=';
        if (!url)
            out[o++] = '=';
    }
    out[o] = '\0';
    return o;
}

// Lower-case hex of IN into OUT (NUL-terminated); returns 2 * N.
static size_t hex(const unsigned char *in, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[in[i] >> 4];
        out[2 * i + 1] = digits[in[i] & 15];
    }
    out[2 * n] = '\0';
    return 2 * n;
}

// The token of user USER into OUT (at least 512 bytes): HS256 over head.body.
static void mint_jwt(struct client *c, const char *user, char *out, size_t cap)
{
    char claims[256], body[384];
    long long iat = (long long)time(NULL);
    int n = snprintf(claims, sizeof claims,
                     "{\"sub\":\"%s\",\"iss\":\"netra-auth-service\",\"type\":\"access\","
                     "\"iat\":%lld,\"exp\":%lld}",
                     user, iat, iat + 15 * 60);
    b64((const unsigned char *)claims, (size_t)n, body, 1);
    int len = snprintf(out, cap, "%s.%s", c->jwt_head, body);
    unsigned char mac[EVP_MAX_MD_SIZE];
    size_t maclen = 0;
    EVP_MAC_CTX *ctx = EVP_MAC_CTX_dup(c->hmac);
    if (!ctx || !EVP_MAC_update(ctx, (const unsigned char *)out, (size_t)len) ||
        !EVP_MAC_final(ctx, mac, &maclen, sizeof mac))
        die("HMAC failed");
    EVP_MAC_CTX_free(ctx);
    out[len++] = '.';
    b64(mac, maclen, out + len, 1);
}

// ---- timers: an indexed min-heap of sessions keyed by deadline ----

static int heap_less(struct client *c, size_t a, size_t b)
{
    return c->s[c->heap[a]].deadline < c->s[c->heap[b]].deadline;
}

static void heap_swap(struct client *c, size_t a, size_t b)
{
    int t = c->heap[a];
    c->heap[a] = c->heap[b];
    c->heap[b] = t;
    c->s[c->heap[a]].heap_pos = (int)a;
    c->s[c->heap[b]].heap_pos = (int)b;
}

static void heap_up(struct client *c, size_t i)
{
    while (i > 0 && heap_less(c, i, (i - 1) / 2)) {
        heap_swap(c, i, (i - 1) / 2);
        i = (i - 1) / 2;
    }
}

static void heap_down(struct client *c, size_t i)
{
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < c->nheap && heap_less(c, l, m))
            m = l;
        if (r < c->nheap && heap_less(c, r, m))
            m = r;
        if (m == i)
            return;
        heap_swap(c, i, m);
        i = m;
    }
}

static void timer_clear(struct client *c, struct session *s)
{
    if (s->heap_pos < 0)
        return;
    size_t i = (size_t)s->heap_pos;
    s->heap_pos = -1;
    c->nheap--;
    if (i == c->nheap)
        return;
    c->heap[i] = c->heap[c->nheap];
    c->s[c->heap[i]].heap_pos = (int)i;
    heap_up(c, i);
    heap_down(c, (size_t)c->s[c->heap[i]].heap_pos);
}

static void timer_arm(struct client *c, struct session *s, double ms)
{
    s->deadline = now_ns() + (int64_t)(ms * 1e6);
    if (s->heap_pos < 0) {
        s->heap_pos = (int)c->nheap;
        c->heap[c->nheap++] = (int)s->idx;
        heap_up(c, (size_t)s->heap_pos);
    } else {
        size_t i = (size_t)s->heap_pos;
        heap_up(c, i);
        heap_down(c, (size_t)s->heap_pos);
    }
}

// ---- owner tables ----

static uint64_t hash(const char *p, size_t n)
{
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)p[i]) * 1099511628211ull;
    return h;
}

static void owner_init(struct owner_table *t, long entries)
{
    size_t cap = 16;
    while (cap < (size_t)entries * 2)
        cap *= 2;
    t->slots = calloc(cap, sizeof *t->slots);
    if (!t->slots)
        die("out of memory");
    t->mask = cap - 1;
}

// The owner of KEY, or -1.
static int owner_get(const struct owner_table *t, const char *key, size_t len)
{
    for (size_t i = hash(key, len) & t->mask;; i = (i + 1) & t->mask) {
        const struct owner_slot *e = &t->slots[i];
        if (!e->key)
            return -1;
        if (e->len == len && memcmp(e->key, key, len) == 0)
            return e->owner;
    }
}

// KEY is borrowed and must outlive the table.
static void owner_set(struct owner_table *t, const char *key, size_t len, int owner)
{
    for (size_t i = hash(key, len) & t->mask;; i = (i + 1) & t->mask) {
        struct owner_slot *e = &t->slots[i];
        if (!e->key || (e->len == len && memcmp(e->key, key, len) == 0)) {
            e->key = key;
            e->len = len;
            e->owner = owner;
            return;
        }
    }
}

// ---- session end ----

static void close_session(struct client *c, struct session *s)
{
    if (s->done)
        return;
    s->done = 1;
    timer_clear(c, s);
    if (s->fd >= 0)
        close(s->fd);
    s->fd = -1;
    s->state = OVER;
    free(s->rbuf);
    free(s->wbuf);
    free(s->frag);
    for (size_t i = 0; i < s->ntools; i++)
        free(s->tools[i].name);
    free(s->tools);
    s->rbuf = s->wbuf = s->frag = NULL;
    s->tools = NULL;
    s->rcap = s->rlen = s->rpos = s->wlen = s->wcap = s->flen = s->fcap = 0;
    s->ntools = s->captools = 0;
    if (++c->finished == c->sessions)
        report(c, "done");
}

static void fail(struct client *c, struct session *s, const char *reason)
{
    if (s->result == RES_FAILED)
        return;
    if (s->result == RES_OK)
        c->ok--; // a violation after agent_completed (before close)
    s->result = RES_FAILED;
    c->failed++;
    add_reason_count(c, reason, 1);
    close_session(c, s);
}

static const char *errno_name(int e)
{
    switch (e) {
    case ECONNREFUSED:
        return "error_ECONNREFUSED";
    case ECONNRESET:
        return "error_ECONNRESET";
    case ETIMEDOUT:
        return "error_ETIMEDOUT";
    case EPIPE:
        return "error_EPIPE";
    case EADDRNOTAVAIL:
        return "error_EADDRNOTAVAIL";
    case EADDRINUSE:
        return "error_EADDRINUSE";
    case EMFILE:
        return "error_EMFILE";
    case ENFILE:
        return "error_ENFILE";
    case ENOBUFS:
        return "error_ENOBUFS";
    case ENOMEM:
        return "error_ENOMEM";
    case EHOSTUNREACH:
        return "error_EHOSTUNREACH";
    case ENETUNREACH:
        return "error_ENETUNREACH";
    default:
        return "error_socket";
    }
}

// ---- writing ----

static void session_write(struct session *s, const void *p, size_t n)
{
    if (s->fd < 0)
        return;
    if (s->wlen == 0 && !s->connecting) {
        ssize_t k = send(s->fd, p, n, MSG_NOSIGNAL);
        if (k < 0 && errno != EAGAIN && errno != EINTR)
            return; // the read side sees the reset or the end
        if (k > 0) {
            p = (const char *)p + k;
            n -= (size_t)k;
        }
    }
    if (n == 0)
        return;
    if (s->wlen + n > s->wcap) {
        s->wcap = s->wlen + n + 256;
        s->wbuf = xrealloc(s->wbuf, s->wcap);
    }
    memcpy(s->wbuf + s->wlen, p, n);
    s->wlen += n;
}

static void session_flush(struct session *s)
{
    size_t off = 0;
    while (off < s->wlen) {
        ssize_t k = send(s->fd, s->wbuf + off, s->wlen - off, MSG_NOSIGNAL);
        if (k <= 0)
            break;
        off += (size_t)k;
    }
    memmove(s->wbuf, s->wbuf + off, s->wlen - off);
    s->wlen -= off;
}

// One masked client frame (FIN set), a fresh mask each.
static void send_frame(struct client *c, struct session *s, int opcode, const void *payload,
                       size_t n)
{
    unsigned char stackbuf[512], *f = stackbuf;
    if (n + 14 > sizeof stackbuf)
        f = xrealloc(NULL, n + 14);
    size_t h = 0;
    f[h++] = (unsigned char)(0x80 | opcode);
    if (n < 126) {
        f[h++] = (unsigned char)(0x80 | n);
    } else if (n < 65536) {
        f[h++] = 0x80 | 126;
        f[h++] = (unsigned char)(n >> 8);
        f[h++] = (unsigned char)n;
    } else {
        f[h++] = 0x80 | 127;
        for (int i = 7; i >= 0; i--)
            f[h++] = (unsigned char)((uint64_t)n >> (8 * i));
    }
    unsigned char *mask = f + h;
    random_bytes(c, mask, 4);
    h += 4;
    const unsigned char *p = payload;
    for (size_t i = 0; i < n; i++)
        f[h + i] = p[i] ^ mask[i & 3];
    session_write(s, f, h + n);
    if (f != stackbuf)
        free(f);
}

static void send_close(struct client *c, struct session *s, unsigned code, const char *reason)
{
    unsigned char p[125];
    size_t n = strlen(reason);
    p[0] = (unsigned char)(code >> 8);
    p[1] = (unsigned char)code;
    memcpy(p + 2, reason, n);
    send_frame(c, s, 0x8, p, n + 2);
}

// ---- starting a session ----

static void start_session(struct client *c, long i)
{
    struct session *s = &c->s[i];
    char jwt[600], req[1400];
    unsigned char raw[16];

    s->idx = (unsigned)i;
    s->fd = -1;
    s->heap_pos = -1;
    s->state = CONNECTING;
    s->user_len = (size_t)snprintf(s->user, sizeof s->user, "gp-user-%ld", i);
    random_bytes(c, raw, 16);
    raw[6] = (raw[6] & 0x0f) | 0x40;
    raw[8] = (raw[8] & 0x3f) | 0x80;
    char uuid[37];
    size_t u = 0;
    for (int k = 0; k < 16; k++) {
        if (k == 4 || k == 6 || k == 8 || k == 10)
            uuid[u++] = '-';
        u += hex(raw + k, 1, uuid + u);
    }
    s->thread_len = (size_t)snprintf(s->thread, sizeof s->thread, "thread-%s-%s", s->user, uuid);
    owner_set(&c->threads, s->thread, s->thread_len, (int)i);

    mint_jwt(c, s->user, jwt, sizeof jwt);
    random_bytes(c, raw, 16);
    b64(raw, 16, s->key, 0);
    int n = snprintf(req, sizeof req,
                     "GET %s HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                     "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n"
                     "Authorization: Bearer %s\r\n\r\n",
                     c->path, c->hostport, s->key, jwt);
    if (n < 0 || (size_t)n >= sizeof req)
        die("the upgrade request is too long");

    timer_arm(c, s, c->timeout_ms);
    int fd = socket(c->family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        fail(c, s, errno_name(errno));
        return;
    }
    s->fd = fd;
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET,
                             .data.u32 = (uint32_t)i};
    if (epoll_ctl(c->ep, EPOLL_CTL_ADD, fd, &ev) < 0)
        die("epoll_ctl failed");
    if (connect(fd, (struct sockaddr *)&c->addr, c->addrlen) < 0) {
        if (errno != EINPROGRESS) {
            fail(c, s, errno_name(errno));
            return;
        }
        s->connecting = 1;
    }
    session_write(s, req, (size_t)n);
}

// ---- the run's checks (the order and the reasons of nodeclient.js's onFrame and onEvent) ----

enum run_event {
    EV_STARTED,
    EV_THINKING,
    EV_EXECUTING,
    EV_COMPLETED_TOOL,
    EV_COMPLETED,
    EV_ERROR,
    EV_DEATH,
    EV_NONE
};
static const char *const run_events[] = {"agent_started",  "agent_thinking",  "tool_executing",
                                         "tool_completed", "agent_completed", "agent_error",
                                         "agent_death"};

static int str_eq(const json_t *v, const char *p, size_t n)
{
    return json_is_string(v) && json_string_length(v) == n &&
           memcmp(json_string_value(v), p, n) == 0;
}

static int nonempty(const json_t *v)
{
    return json_is_string(v) && json_string_length(v) > 0;
}

static int failed_status(const json_t *v)
{
    return str_eq(v, "failed", 6) || str_eq(v, "error", 5) || str_eq(v, "failure", 7);
}

static enum run_event run_event_of(const json_t *type)
{
    for (int e = 0; e < EV_NONE; e++)
        if (str_eq(type, run_events[e], strlen(run_events[e])))
            return (enum run_event)e;
    return EV_NONE;
}

static void pass(struct client *c, struct session *s)
{
    s->result = RES_OK;
    c->ok++;
    s->state = LINGER; // keep reading a while: nothing of the run may follow
    timer_arm(c, s, c->linger_ms);
}

static void on_event(struct client *c, struct session *s, json_t *m, enum run_event ev)
{
    json_t *run = json_object_get(m, "run_id"), *thread = json_object_get(m, "thread_id");
    // Isolation first: an id owned by another session is a leak, whatever user_id says.
    int rown = json_is_string(run)
                   ? owner_get(&c->runs, json_string_value(run), json_string_length(run))
                   : -1;
    int town = json_is_string(thread)
                   ? owner_get(&c->threads, json_string_value(thread), json_string_length(thread))
                   : -1;
    if ((rown >= 0 && rown != (int)s->idx) || (town >= 0 && town != (int)s->idx)) {
        fail(c, s, "leak");
        return;
    }
    if (!str_eq(json_object_get(m, "user_id"), s->user, s->user_len)) {
        fail(c, s, "user_id");
        return;
    }
    if (!str_eq(thread, s->thread, s->thread_len)) {
        fail(c, s, "thread_id");
        return;
    }
    if (!s->run_id) {
        if (ev != EV_STARTED) {
            char r[64];
            snprintf(r, sizeof r, "first_event_%s", run_events[ev]);
            {
                fail(c, s, r);
                return;
            }
        }
        if (!nonempty(run)) {
            fail(c, s, "run_id");
            return;
        }
        if (!nonempty(json_object_get(m, "agent_name"))) {
            fail(c, s, "fields_agent_started");
            return;
        }
        s->run_id_len = json_string_length(run);
        s->run_id = xrealloc(NULL, s->run_id_len + 1);
        memcpy(s->run_id, json_string_value(run), s->run_id_len + 1);
        owner_set(&c->runs, s->run_id, s->run_id_len, (int)s->idx);
        return;
    }
    if (!str_eq(run, s->run_id, s->run_id_len)) {
        fail(c, s, "run_id");
        return;
    }
    switch (ev) {
    case EV_STARTED: {
        fail(c, s, "agent_started_twice");
        return;
    }
    case EV_THINKING:
        if (!nonempty(json_object_get(m, "reasoning"))) {
            fail(c, s, "fields_agent_thinking");
            return;
        }
        s->thinking = 1;
        return;
    case EV_EXECUTING: {
        if (!s->thinking) {
            fail(c, s, "tool_before_thinking");
            return;
        }
        json_t *name = json_object_get(m, "tool_name");
        if (!nonempty(name) || !json_is_object(json_object_get(m, "parameters"))) {
            fail(c, s, "fields_tool_executing");
            return;
        }
        if (s->ntools == s->captools) {
            s->captools = s->captools ? 2 * s->captools : 4;
            s->tools = xrealloc(s->tools, s->captools * sizeof *s->tools);
        }
        struct tool *t = &s->tools[s->ntools++];
        t->len = json_string_length(name);
        t->name = xrealloc(NULL, t->len);
        memcpy(t->name, json_string_value(name), t->len);
        return;
    }
    case EV_COMPLETED_TOOL: {
        json_t *name = json_object_get(m, "tool_name");
        if (!nonempty(name) || !json_object_get(m, "results") ||
            !json_is_number(json_object_get(m, "duration"))) {
            fail(c, s, "fields_tool_completed");
            return;
        }
        size_t k = s->ntools;
        while (k > 0 && !str_eq(name, s->tools[k - 1].name, s->tools[k - 1].len))
            k--;
        if (k == 0) {
            fail(c, s, "tool_completed_unopened");
            return;
        }
        free(s->tools[k - 1].name);
        memmove(&s->tools[k - 1], &s->tools[k], (s->ntools - k) * sizeof *s->tools);
        s->ntools--;
        s->tools_done++;
        return;
    }
    case EV_COMPLETED: {
        if (!s->thinking || s->tools_done == 0) {
            fail(c, s, "events_missing");
            return;
        }
        if (s->ntools) {
            fail(c, s, "tool_left_open");
            return;
        }
        json_t *status = json_object_get(m, "status");
        if (!nonempty(json_object_get(m, "final_response")) || !status) {
            fail(c, s, "fields_agent_completed");
            return;
        }
        json_t *md = json_object_get(m, "metadata");
        if (!json_is_object(md))
            md = NULL;
        if (failed_status(status) || (md && json_is_false(json_object_get(md, "success"))) ||
            (md && failed_status(json_object_get(md, "status")))) {
            fail(c, s, "run_failed");
            return;
        }
        {
            pass(c, s);
            return;
        }
    }
    default: // agent_error, agent_death
    {
        fail(c, s, run_events[ev]);
        return;
    }
    }
}

static void send_user_message(struct client *c, struct session *s)
{
    unsigned char r[8];
    char msg[320], rhex[17];
    random_bytes(c, r, 8);
    hex(r, 8, rhex);
    int n = snprintf(msg, sizeof msg,
                     "{\"type\":\"user_message\",\"payload\":{\"content\":\"Analyze my costs "
                     "(%s)\",\"thread_id\":\"%s\"}}",
                     rhex, s->thread);
    send_frame(c, s, 0x1, msg, (size_t)n);
}

// A whole text message (UTF-8 checked already).
static void on_message(struct client *c, struct session *s, const char *data, size_t n)
{
    json_t *m =
        json_loadb(data, n, JSON_DECODE_ANY | JSON_ALLOW_NUL | JSON_DECODE_INT_AS_REAL, NULL);
    if (!m) {
        fail(c, s, "invalid_json");
        return;
    }
    json_t *type = json_object_get(m, "type");
    if (!json_is_object(m) || !json_is_string(type)) {
        fail(c, s, "not_an_object");
    } else if (s->state == READY_WAIT) {
        if (str_eq(type, "connection_established", 22)) { // else noise before the ready frame
            json_t *d = json_object_get(m, "data");
            if (!json_is_object(d))
                d = m;
            json_t *user = json_object_get(d, "user_id");
            if (user && !str_eq(user, s->user, s->user_len)) {
                fail(c, s, "ready_user_id");
            } else {
                s->state = IN_RUN;
                timer_arm(c, s, c->timeout_ms);
                send_user_message(c, s);
            }
        }
    } else {
        enum run_event ev = run_event_of(type);
        if (ev == EV_NONE) {
            // heartbeat, ack, pong, ...
        } else if (s->state == LINGER || s->state == CLOSING) {
            fail(c, s, "event_after_completed");
        } else {
            timer_arm(c, s, c->timeout_ms);
            on_event(c, s, m, ev);
        }
    }
    json_decref(m);
}

static void on_timer(struct client *c, struct session *s)
{
    if (s->state == LINGER) {
        s->state = CLOSING;
        timer_arm(c, s, CLOSE_MS);
        send_close(c, s, 1000, "done");
    } else if (s->state == CLOSING) {
        // The run was judged already; like goldenpath, a slow closing handshake is not a failure.
        c->close_timeouts++;
        close_session(c, s);
    } else {
        char r[32];
        snprintf(r, sizeof r, "timeout_%s", state_names[s->state]);
        fail(c, s, r);
    }
}

// ---- frames ----

static int utf8_valid(const unsigned char *p, size_t n)
{
    size_t i = 0;
    while (i < n) {
        if (p[i] < 0x80) {
            i++;
            continue;
        }
        size_t len;
        uint32_t cp, min;
        if ((p[i] & 0xe0) == 0xc0) {
            len = 2, cp = p[i] & 0x1f, min = 0x80;
        } else if ((p[i] & 0xf0) == 0xe0) {
            len = 3, cp = p[i] & 0x0f, min = 0x800;
        } else if ((p[i] & 0xf8) == 0xf0) {
            len = 4, cp = p[i] & 0x07, min = 0x10000;
        } else {
            return 0;
        }
        if (i + len > n)
            return 0;
        for (size_t k = 1; k < len; k++) {
            if ((p[i + k] & 0xc0) != 0x80)
                return 0;
            cp = cp << 6 | (p[i + k] & 0x3f);
        }
        if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
            return 0;
        i += len;
    }
    return 1;
}

static int close_code_valid(unsigned code)
{
    return (code >= 1000 && code <= 1014 && code != 1004 && code != 1005 && code != 1006) ||
           (code >= 3000 && code <= 4999);
}

static void deliver(struct client *c, struct session *s, int op, const char *p, size_t n)
{
    if (op == 0x2) {
        fail(c, s, "binary_frame");
        return;
    }
    if (!utf8_valid((const unsigned char *)p, n)) {
        fail(c, s, "error_WS_ERR_INVALID_UTF8");
        return;
    }
    on_message(c, s, p, n);
}

static void frag_append(struct session *s, const char *p, size_t n)
{
    if (s->flen + n > s->fcap) {
        s->fcap = s->flen + n > 2 * s->fcap ? s->flen + n : 2 * s->fcap;
        s->frag = xrealloc(s->frag, s->fcap);
    }
    memcpy(s->frag + s->flen, p, n);
    s->flen += n;
}

static void on_frame(struct client *c, struct session *s, int fin, int op, const char *p, size_t n)
{
    switch (op) {
    case 0x9: // ping: ws answers while open, not once it has sent its close
        if (s->state != CLOSING)
            send_frame(c, s, 0xA, p, n);
        return;
    case 0xA:
        return;
    case 0x8: {
        unsigned code = 1005;
        if (n == 1) {
            fail(c, s, "error_WS_ERR_INVALID_CONTROL_PAYLOAD_LENGTH");
            return;
        }
        if (n >= 2) {
            code = (unsigned)(unsigned char)p[0] << 8 | (unsigned char)p[1];
            if (!close_code_valid(code)) {
                fail(c, s, "error_WS_ERR_INVALID_CLOSE_CODE");
                return;
            }
            if (!utf8_valid((const unsigned char *)p + 2, n - 2)) {
                fail(c, s, "error_WS_ERR_INVALID_UTF8");
                return;
            }
        }
        if (s->result == RES_NONE) {
            char r[32];
            snprintf(r, sizeof r, "closed_%u", code);
            {
                fail(c, s, r);
                return;
            }
        }
        if (s->state == LINGER) { // the server closes first: answer its close
            unsigned char echo[2] = {(unsigned char)(code >> 8), (unsigned char)code};
            send_frame(c, s, 0x8, echo, code == 1005 ? 0 : 2);
        }
        {
            close_session(c, s);
            return;
        }
    }
    case 0x0:
        frag_append(s, p, n);
        if (fin) {
            int fop = s->frag_op;
            s->frag_op = 0;
            deliver(c, s, fop, s->frag, s->flen);
            s->flen = 0;
        }
        return;
    default: // 0x1, 0x2
        if (fin) {
            deliver(c, s, op, p, n);
            return;
        }
        s->frag_op = (uint8_t)op;
        s->flen = 0;
        frag_append(s, p, n);
        return;
    }
}

// Parses every whole frame in [rpos, rlen); a partial frame waits, its size noted in want.
static void parse_frames(struct client *c, struct session *s)
{
    while (!s->done) {
        size_t avail = s->rlen - s->rpos;
        if (avail < 2)
            break;
        const unsigned char *b = (const unsigned char *)s->rbuf + s->rpos;
        int fin = b[0] & 0x80, op = b[0] & 0x0f;
        uint64_t plen = b[1] & 0x7f;
        size_t h = 2;
        if (b[0] & 0x40) {
            fail(c, s, "error_WS_ERR_UNEXPECTED_RSV_1");
            return;
        }
        if (b[0] & 0x30) {
            fail(c, s, "error_WS_ERR_UNEXPECTED_RSV_2_3");
            return;
        }
        if ((op > 0x2 && op < 0x8) || op > 0xA || (op == 0 && !s->frag_op) ||
            ((op == 0x1 || op == 0x2) && s->frag_op)) {
            fail(c, s, "error_WS_ERR_INVALID_OPCODE");
            return;
        }
        if (op >= 0x8 && !fin) {
            fail(c, s, "error_WS_ERR_EXPECTED_FIN");
            return;
        }
        if (op >= 0x8 && plen > 125) {
            fail(c, s, "error_WS_ERR_INVALID_CONTROL_PAYLOAD_LENGTH");
            return;
        }
        if (b[1] & 0x80) {
            fail(c, s, "error_WS_ERR_UNEXPECTED_MASK");
            return;
        }
        if (plen == 126) {
            if (avail < 4)
                break;
            plen = (uint64_t)b[2] << 8 | b[3];
            h = 4;
        } else if (plen == 127) {
            if (avail < 10)
                break;
            plen = 0;
            for (int i = 2; i < 10; i++)
                plen = plen << 8 | b[i];
            h = 10;
            if (plen >> 53) {
                fail(c, s, "error_WS_ERR_UNSUPPORTED_DATA_PAYLOAD_LENGTH");
                return;
            }
        }
        if (op < 0x8 && plen + (op == 0 ? s->flen : 0) > MAX_FRAME) {
            fail(c, s, "oversize_frame");
            return;
        }
        if (avail < h + plen) {
            s->want = h + (size_t)plen;
            break;
        }
        s->want = 0;
        const char *p = s->rbuf + s->rpos + h;
        s->rpos += h + (size_t)plen;
        on_frame(c, s, fin, op, p, (size_t)plen);
    }
    if (!s->done && s->rpos == s->rlen)
        s->rpos = s->rlen = 0;
}

static int has_token(const char *v, size_t n, const char *tok)
{
    size_t t = strlen(tok);
    for (size_t i = 0; i + t <= n; i++)
        if (strncasecmp(v + i, tok, t) == 0)
            return 1;
    return 0;
}

// The server's answer to the upgrade: the 101 status, Upgrade, Connection and the accept key.
static void parse_handshake(struct client *c, struct session *s)
{
    const char *end = memmem(s->rbuf, s->rlen, "\r\n\r\n", 4);
    if (!end) {
        if (s->rlen > MAX_HTTP_HEAD)
            fail(c, s, "error_socket");
        return;
    }
    size_t head = (size_t)(end - s->rbuf) + 4;
    if (head < 16 || memcmp(s->rbuf, "HTTP/1.", 7) != 0 || s->rbuf[8] != ' ') {
        fail(c, s, "error_socket");
        return;
    }
    int status = 0;
    for (int i = 9; i < 12; i++) {
        if (s->rbuf[i] < '0' || s->rbuf[i] > '9') {
            fail(c, s, "error_socket");
            return;
        }
        status = status * 10 + (s->rbuf[i] - '0');
    }
    if (status != 101) {
        char r[32];
        snprintf(r, sizeof r, "http_%d", status);
        {
            fail(c, s, r);
            return;
        }
    }
    unsigned char sha[SHA_DIGEST_LENGTH];
    char keyguid[64], accept[32];
    int kl = snprintf(keyguid, sizeof keyguid, "%s%s", s->key, WS_GUID);
    SHA1((const unsigned char *)keyguid, (size_t)kl, sha);
    size_t al = b64(sha, sizeof sha, accept, 0);

    int upgrade = 0, connection = 0, accepted = 0, extra = 0;
    const char *line = (const char *)memchr(s->rbuf, '\n', head) + 1;
    while (line < s->rbuf + head - 2) {
        const char *eol = memchr(line, '\n', (size_t)(s->rbuf + head - line));
        const char *colon = memchr(line, ':', (size_t)(eol - line));
        if (colon) {
            size_t nl = (size_t)(colon - line);
            const char *v = colon + 1, *ve = eol;
            while (v < ve && (*v == ' ' || *v == '\t'))
                v++;
            while (ve > v && (ve[-1] == '\r' || ve[-1] == ' ' || ve[-1] == '\t'))
                ve--;
            size_t vl = (size_t)(ve - v);
#define IS(name) (nl == sizeof name - 1 && strncasecmp(line, name, nl) == 0)
            if (IS("Upgrade"))
                upgrade = vl == 9 && strncasecmp(v, "websocket", 9) == 0;
            else if (IS("Connection"))
                connection = has_token(v, vl, "upgrade");
            else if (IS("Sec-WebSocket-Accept"))
                accepted = vl == al && memcmp(v, accept, al) == 0;
            else if (IS("Sec-WebSocket-Protocol") || IS("Sec-WebSocket-Extensions"))
                extra = 1; // none was offered
#undef IS
        }
        line = eol + 1;
    }
    if (!upgrade || !connection || !accepted || extra) {
        fail(c, s, "error_socket");
        return;
    }
    s->upgraded = 1;
    s->rpos = head;
    s->state = READY_WAIT;
    timer_arm(c, s, c->timeout_ms);
}

// The connection ended (E = 0) or failed (errno E) before the session closed it.
static void on_end(struct client *c, struct session *s, int e)
{
    if (!s->upgraded) { // a hang-up, as Node says
        fail(c, s, e ? errno_name(e) : "error_ECONNRESET");
        return;
    }
    if (s->result == RES_NONE) {
        fail(c, s, "closed_1006");
        return;
    }
    close_session(c, s);
}

// Reads what the socket holds. A short read drained it: edge-triggered epoll reports what comes
// next, except an end that came with the data (DRAIN set: read on until the end or EAGAIN).
static void session_read(struct client *c, struct session *s, int drain)
{
    for (;;) {
        if (s->rpos == s->rlen) {
            s->rpos = s->rlen = 0;
        } else if (s->rpos > 0) {
            memmove(s->rbuf, s->rbuf + s->rpos, s->rlen - s->rpos);
            s->rlen -= s->rpos;
            s->rpos = 0;
        }
        size_t need = s->rlen + 1024;
        if (need < s->want)
            need = s->want;
        if (need < RBUF_MIN)
            need = RBUF_MIN;
        if (s->rcap < need) {
            s->rcap = need < 2 * s->rcap ? 2 * s->rcap : need;
            s->rbuf = xrealloc(s->rbuf, s->rcap);
        }
        size_t space = s->rcap - s->rlen;
        ssize_t k = recv(s->fd, s->rbuf + s->rlen, space, 0);
        if (k > 0) {
            s->rlen += (size_t)k;
            if (!s->upgraded)
                parse_handshake(c, s);
            if (!s->done && s->upgraded)
                parse_frames(c, s);
            if (s->done || ((size_t)k < space && !drain))
                return;
        } else if (k == 0) {
            {
                on_end(c, s, 0);
                return;
            }
        } else if (errno != EINTR) {
            if (errno != EAGAIN)
                on_end(c, s, errno);
            return;
        }
    }
}

static void on_io(struct client *c, struct session *s, uint32_t events)
{
    if (s->done)
        return;
    if (s->connecting) {
        int err = 0;
        socklen_t len = sizeof err;
        if (getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
            err = errno;
        if (err) {
            fail(c, s, errno_name(err));
            return;
        }
        if (!(events & EPOLLOUT))
            return;
        s->connecting = 0;
    }
    if (s->wlen && (events & EPOLLOUT))
        session_flush(s);
    if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))
        session_read(c, s, (events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR)) != 0);
}

// ---- report, options, main ----

static void add_reason_count(struct client *c, const char *name, long n)
{
    size_t i = 0;
    while (i < c->nreasons && strcmp(c->reasons[i].name, name) != 0)
        i++;
    if (i == c->nreasons) {
        if (c->nreasons == c->capreasons) {
            c->capreasons = c->capreasons ? 2 * c->capreasons : 16;
            c->reasons = xrealloc(c->reasons, c->capreasons * sizeof *c->reasons);
        }
        snprintf(c->reasons[i].name, sizeof c->reasons[i].name, "%s", name);
        c->reasons[i].count = 0;
        c->nreasons++;
    }
    c->reasons[i].count += n;
}

static void report(struct client *c, const char *end)
{
    long unfinished = c->sessions - c->ok - c->failed;
    if (unfinished > 0) {
        c->failed += unfinished;
        add_reason_count(c, "unfinished", unfinished);
    }
    double wall = (double)(now_ns() - c->t0) / 1e9;
    json_t *reasons = json_object();
    for (size_t i = 0; i < c->nreasons; i++)
        json_object_set_new(reasons, c->reasons[i].name, json_integer(c->reasons[i].count));
    json_t *o =
        json_pack("{s:s, s:s, s:s, s:I, s:o, s:I, s:I, s:o, s:I, s:s, s:f, s:f}", "tool",
                  "floorclient", "openssl", OPENSSL_VERSION_STR, "jansson", JANSSON_VERSION,
                  "sessions", (json_int_t)c->sessions, "rate",
                  c->rate == floor(c->rate) && c->rate < 9e15 ? json_integer((json_int_t)c->rate)
                                                              : json_real(c->rate),
                  "ok", (json_int_t)c->ok, "failed", (json_int_t)c->failed, "reasons", reasons,
                  "close_timeouts", (json_int_t)c->close_timeouts, "end", end, "wall_s",
                  round(wall * 1000) / 1000, "sessions_per_s",
                  wall > 0 ? round(c->ok / wall * 10) / 10 : 0.0);
    char *line = o ? json_dumps(o, JSON_COMPACT | JSON_REAL_PRECISION(15)) : NULL;
    if (!line)
        die("cannot write the result");
    printf("%s\n", line);
    fflush(stdout);
    if (c->json_path) {
        FILE *f = fopen(c->json_path, "w");
        if (!f || fprintf(f, "%s\n", line) < 0 || fclose(f) != 0) {
            fprintf(stderr, "floorclient: cannot write %s: %s\n", c->json_path, strerror(errno));
            exit(3);
        }
    }
    exit(c->failed ? 1 : 0);
}

__attribute__((format(printf, 1, 2))) static void usagef(const char *fmt, ...)
{
    char msg[600];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    usage(msg);
}

static double num(const char *k, const char *v)
{
    char *e;
    double n = strtod(v, &e);
    if (e == v || *e || !isfinite(n) || n < 0 || (n == 0 && strcmp(k, "--linger-ms") != 0))
        usagef("%s needs a positive number", k);
    return n;
}

// ws://HOST[:PORT][/PATH]: HOST one of 127.x.y.z, localhost, [::1] - a load generator is only
// ever aimed at this machine.
static void parse_url(struct client *c, const char *url)
{
    if (strncmp(url, "ws://", 5) != 0)
        usagef("bad url %s (ws://127.0.0.1:PORT/PATH)", url);
    const char *h = url + 5, *he;
    if (*h == '[') {
        he = strchr(h, ']');
        if (!he)
            usagef("bad url %s", url);
        he++;
    } else {
        he = h + strcspn(h, ":/?#");
    }
    size_t hl = (size_t)(he - h);
    if (hl == 0 || hl >= sizeof c->host)
        usagef("bad url %s", url);
    memcpy(c->host, h, hl);
    c->host[hl] = '\0';
    long port = 80;
    const char *p = he;
    if (*p == ':') {
        char *e;
        port = strtol(p + 1, &e, 10);
        if (e == p + 1 || port < 1 || port > 65535)
            usagef("bad url %s", url);
        p = e;
    }
    if (*p && *p != '/' && *p != '?')
        usagef("bad url %s", url);
    snprintf(c->path, sizeof c->path, "%s%s", *p == '/' ? "" : "/", p);
    if (strchr(c->path, '#') || strpbrk(c->path, " \r\n"))
        usagef("bad url %s", url);
    c->port = (int)port;

    memset(&c->addr, 0, sizeof c->addr);
    struct sockaddr_in *a4 = (struct sockaddr_in *)&c->addr;
    struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&c->addr;
    if (strcmp(c->host, "[::1]") == 0) {
        c->family = AF_INET6;
        a6->sin6_family = AF_INET6;
        a6->sin6_port = htons((uint16_t)port);
        a6->sin6_addr = in6addr_loopback;
        c->addrlen = sizeof *a6;
    } else {
        c->family = AF_INET;
        a4->sin_family = AF_INET;
        a4->sin_port = htons((uint16_t)port);
        c->addrlen = sizeof *a4;
        const char *ip = strcasecmp(c->host, "localhost") == 0 ? "127.0.0.1" : c->host;
        if (inet_pton(AF_INET, ip, &a4->sin_addr) != 1 || (ntohl(a4->sin_addr.s_addr) >> 24) != 127)
            usagef("refusing non-loopback %s", c->host);
    }
    if (port == 80)
        snprintf(c->hostport, sizeof c->hostport, "%s", c->host);
    else
        snprintf(c->hostport, sizeof c->hostport, "%s:%ld", c->host, port);
}

static void parse_args(struct client *c, int argc, char **argv)
{
    const char *url = NULL;
    char portbuf[40];
    c->sessions = 100;
    c->rate = 2000;
    c->timeout_ms = 10000;
    c->linger_ms = 250;
    c->max_seconds = 600;
    for (int i = 1; i < argc; i++) {
        const char *k = argv[i];
        if (strcmp(k, "-h") == 0 || strcmp(k, "--help") == 0)
            usage("");
        if (i + 1 >= argc)
            usagef("%s needs a value", k);
        const char *v = argv[++i];
        if (strcmp(k, "--port") == 0) {
            double port = num(k, v);
            if (port != floor(port) || port > 65535)
                usagef("%s needs a port number", k);
            snprintf(portbuf, sizeof portbuf, "ws://127.0.0.1:%.0f/ws", port);
            url = portbuf;
        } else if (strcmp(k, "--url") == 0) {
            url = v;
        } else if (strcmp(k, "--sessions") == 0) {
            double n = floor(num(k, v));
            if (n < 1 || n > 1e8)
                usagef("%s needs a positive number", k);
            c->sessions = (long)n;
        } else if (strcmp(k, "--rate") == 0) {
            c->rate = num(k, v);
        } else if (strcmp(k, "--timeout-ms") == 0) {
            c->timeout_ms = num(k, v);
        } else if (strcmp(k, "--linger-ms") == 0) {
            c->linger_ms = num(k, v);
        } else if (strcmp(k, "--max-seconds") == 0) {
            c->max_seconds = num(k, v);
        } else if (strcmp(k, "--json") == 0) {
            c->json_path = v;
        } else {
            usagef("unknown option %s", k);
        }
    }
    if (!url)
        usage("--port or --url is required");
    parse_url(c, url);
    c->secret = getenv("GOLDENPATH_JWT_SECRET");
    if (!c->secret || !*c->secret)
        usage("GOLDENPATH_JWT_SECRET must be set");
}

int main(int argc, char **argv)
{
    static struct client client;
    struct client *c = &client;
    parse_args(c, argc, argv);

    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    static const char head[] = "{\"alg\":\"HS256\",\"typ\":\"JWT\"}";
    b64((const unsigned char *)head, sizeof head - 1, c->jwt_head, 1);
    EVP_MAC *mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
    OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string("digest", "SHA256", 0),
                           OSSL_PARAM_construct_end()};
    c->hmac = mac ? EVP_MAC_CTX_new(mac) : NULL;
    if (!c->hmac ||
        !EVP_MAC_init(c->hmac, (const unsigned char *)c->secret, strlen(c->secret), params))
        die("HMAC-SHA256 is not available");
    EVP_MAC_free(mac);
    c->pool_pos = POOL_SIZE;
    c->s = calloc((size_t)c->sessions, sizeof *c->s);
    c->heap = calloc((size_t)c->sessions, sizeof *c->heap);
    if (!c->s || !c->heap)
        die("out of memory");
    owner_init(&c->runs, c->sessions);
    owner_init(&c->threads, c->sessions);
    c->ep = epoll_create1(EPOLL_CLOEXEC);
    if (c->ep < 0)
        die("epoll_create1 failed");

    struct epoll_event evs[256];
    c->t0 = now_ns();
    int64_t t_max = c->t0 + (int64_t)(c->max_seconds * 1e9);
    for (;;) {
        int64_t now = now_ns();
        // Open model: session i is due at i/rate seconds; every wake-up starts all the due ones.
        if (c->started < c->sessions) {
            double due = floor((double)(now - c->t0) / 1e9 * c->rate) + 1;
            while (c->started < c->sessions && c->started < due)
                start_session(c, c->started++);
        }
        while (c->nheap > 0 && c->s[c->heap[0]].deadline <= now) {
            struct session *s = &c->s[c->heap[0]];
            timer_clear(c, s);
            on_timer(c, s);
        }
        if (now >= t_max)
            report(c, "max_seconds");
        int64_t next = t_max;
        if (c->nheap > 0 && c->s[c->heap[0]].deadline < next)
            next = c->s[c->heap[0]].deadline;
        if (c->started < c->sessions) {
            int64_t arrival = c->t0 + (int64_t)((double)c->started * 1e9 / c->rate);
            if (arrival < next)
                next = arrival;
        }
        int64_t wait = next > now ? (next - now + 999999) / 1000000 : 0;
        int n = epoll_wait(c->ep, evs, 256, (int)(wait > 60000 ? 60000 : wait));
        if (n < 0 && errno != EINTR)
            die("epoll_wait failed");
        for (int i = 0; i < n; i++)
            on_io(c, &c->s[evs[i].data.u32], evs[i].events);
    }
}
