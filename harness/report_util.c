/* report_util.c - text helpers shared by the reporters, compare and merge: bounded sinks,
 * escaping, times, frame labels and atomic file writes. It knows
 * no report format; each reporter decides what to write. */
#include "report_util.h"

#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

void gp_rep_init(gp_rep *r, size_t max)
{
    gp_buf_init(&r->b, max);
    r->overflow = false;
}

void gp_rep_cleanup(gp_rep *r)
{
    gp_buf_cleanup(&r->b);
}

int gp_rep_save(gp_rep *r, const char *path, const char *what, gp_err *err)
{
    int rc;

    if (r->overflow) {
        gp_err_set(err, GP_EXIT_INTERNAL, path, 0, 0, "the %s report exceeds %zu bytes", what,
                   r->b.max);
        gp_rep_cleanup(r);
        return -1;
    }
    rc = gp_write_file_atomic(path, r->b.data, r->b.len, err);
    gp_rep_cleanup(r);
    return rc;
}

char *gp_rep_steal(gp_rep *r, size_t *len)
{
    if (r->overflow) {
        gp_rep_cleanup(r);
        return NULL;
    }
    if (len)
        *len = r->b.len;
    return gp_buf_steal(&r->b);
}

void gp_rep_write(gp_rep *r, const char *s, size_t len)
{
    if (!r->overflow && gp_buf_append(&r->b, s, len) != 0)
        r->overflow = true;
}

void gp_rep_puts(gp_rep *r, const char *s)
{
    gp_rep_write(r, s, strlen(s));
}

void gp_rep_printf(gp_rep *r, const char *fmt, ...)
{
    va_list ap;
    char small[512], *big;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0) {
        r->overflow = true;
        return;
    }
    if ((size_t)n < sizeof small) {
        gp_rep_write(r, small, (size_t)n);
        return;
    }
    big = gp_malloc((size_t)n + 1);
    va_start(ap, fmt);
    vsnprintf(big, (size_t)n + 1, fmt, ap);
    va_end(ap);
    gp_rep_write(r, big, (size_t)n);
    free(big);
}

static const char replacement[] = "\xef\xbf\xbd"; /* U+FFFD */

void gp_rep_xml(gp_rep *r, const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0, start = 0;

    if (!s)
        return;
    while (i < len) {
        uint32_t cp = 0;
        size_t n = gp_utf8_decode(p + i, len - i, &cp);
        const char *rep = NULL;
        char hex[8];

        if (n == 0) {
            rep = replacement;
            n = 1;
        } else if (cp == '&') {
            rep = "&amp;";
        } else if (cp == '<') {
            rep = "&lt;";
        } else if (cp == '>') {
            rep = "&gt;";
        } else if (cp == '"') {
            rep = "&quot;";
        } else if (cp == '\'') {
            rep = "&#39;";
        } else if ((cp < 0x20 && cp != '\t' && cp != '\n' && cp != '\r') || cp == 0xfffe ||
                   cp == 0xffff) {
            snprintf(hex, sizeof hex, "\\x%02X", (unsigned)(cp & 0xff));
            rep = cp < 0x20 ? hex : replacement;
        }
        if (rep) {
            gp_rep_write(r, s + start, i - start);
            gp_rep_puts(r, rep);
            start = i + n;
        }
        i += n;
    }
    gp_rep_write(r, s + start, len - start);
}


void gp_iso8601_format(int64_t wall_us, bool with_ms, char *buf, size_t size)
{
    time_t secs = (time_t)(wall_us / 1000000);
    struct tm tm;
    char base[32];

    if (wall_us < 0)
        secs = 0;
    gmtime_r(&secs, &tm);
    strftime(base, sizeof base, "%Y-%m-%dT%H:%M:%S", &tm);
    if (with_ms)
        snprintf(buf, size, "%s.%03dZ", base, (int)((wall_us % 1000000) / 1000));
    else
        snprintf(buf, size, "%s", base);
}

int gp_source_date_epoch_parse(const char *s, int64_t *us, gp_err *err)
{
    int64_t v = 0;
    const char *p;

    for (p = s; p && *p >= '0' && *p <= '9'; p++) {
        v = v * 10 + (*p - '0');
        if (v > GP_SOURCE_DATE_EPOCH_MAX)
            break;
    }
    if (!s || !*s || *p || v > GP_SOURCE_DATE_EPOCH_MAX) {
        char *shown = gp_term_safe(s, 64);

        gp_err_set(err, GP_EXIT_USAGE, "SOURCE_DATE_EPOCH", 0, 0,
                   "wants whole seconds since 1970-01-01T00:00:00Z (as 'date +%%s' prints them, "
                   "at most %lld), got '%s'",
                   GP_SOURCE_DATE_EPOCH_MAX, shown);
        free(shown);
        return -1;
    }
    *us = v * 1000000;
    return 0;
}

int gp_report_ctx_from_env(gp_report_ctx *ctx, const char *run_host, char *host_buf, size_t size,
                           gp_err *err)
{
    const char *sde = getenv("SOURCE_DATE_EPOCH");

    if (sde && !*sde) /* an empty variable is an unset one, as in most build tools */
        sde = NULL;
    ctx->generated_us = gp_wall_us();
    if (sde && gp_source_date_epoch_parse(sde, &ctx->generated_us, err) != 0)
        return -1;
    if (run_host && run_host[0])
        snprintf(host_buf, size, "%s", run_host);
    else if (sde || gethostname(host_buf, size - 1) != 0 || !host_buf[0])
        snprintf(host_buf, size, "localhost");
    host_buf[size - 1] = '\0';
    ctx->host = host_buf;
    return 0;
}

const gp_transcript *gp_suite_transcript(const gp_suite *s, size_t user)
{
    size_t i;

    /* Results index users by their place in ts; a shard's users keep their global index. */
    if (user < s->nts && s->ts[user])
        return s->ts[user];
    for (i = 0; i < s->nts; i++)
        if (s->ts[i] && s->ts[i]->user_index == user)
            return s->ts[i];
    return NULL;
}

void gp_frame_label(const gp_frame *f, char *buf, size_t size)
{
    json_t *root, *type, *event;

    switch (f->kind) {
    case GP_FR_SENT:
    case GP_FR_RECV_TEXT:
        root = f->data ? json_loadb(f->data, f->len, 0, NULL) : NULL;
        type = json_object_get(root, "type");
        event = json_object_get(root, "event");
        if (!root)
            snprintf(buf, size, "(invalid JSON)");
        else if (!json_is_string(type))
            snprintf(buf, size, "(no type)");
        else if (json_is_string(event) &&
                 strcmp(json_string_value(event), json_string_value(type)) != 0)
            snprintf(buf, size, "%s/%s", json_string_value(type), json_string_value(event));
        else
            snprintf(buf, size, "%s", json_string_value(type));
        json_decref(root);
        break;
    case GP_FR_RECV_BINARY:
    case GP_FR_OVERSIZE:
        snprintf(buf, size, "%s %zu bytes", gp_frame_kind_name(f->kind), f->len);
        break;
    case GP_FR_CLOSED:
    case GP_FR_CONN_ERROR:
        snprintf(buf, size, "%s %d", gp_frame_kind_name(f->kind), f->code);
        break;
    case GP_FR_CONNECTED:
    case GP_FR_PONG:
    case GP_FR_NOTE:
        snprintf(buf, size, "%s", gp_frame_kind_name(f->kind));
        break;
    default:
        snprintf(buf, size, "%s step %d", gp_frame_kind_name(f->kind), f->code);
        break;
    }
}

char *gp_frame_text(const gp_frame *f, size_t max)
{
    char *red, *clean;
    bool cut = false;

    if (!f->data || f->kind == GP_FR_RECV_BINARY || f->kind == GP_FR_OVERSIZE)
        return gp_strdup("");
    red = gp_redact(f->data, strlen(f->data));
    clean = gp_utf8_clean(red, strlen(red), max, &cut);
    free(red);
    if (cut) {
        char *t = gp_asprintf("%s\xe2\x80\xa6", clean);

        free(clean);
        return t;
    }
    return clean;
}

size_t gp_results_user_frame(const gp_results *r, size_t user)
{
    size_t best = GP_NO_FRAME, i, j;

    for (i = 0; i < GP_RULE__COUNT; i++)
        for (j = 0; j < r->rules[i].nexamples; j++)
            if (r->rules[i].examples[j].user == user && r->rules[i].examples[j].frame < best)
                best = r->rules[i].examples[j].frame;
    /* A user with no failure is shown around where its verdict became inconclusive. */
    for (i = 0; best == GP_NO_FRAME && i < GP_RULE__COUNT; i++)
        for (j = 0; j < r->rules[i].ninconclusive; j++)
            if (r->rules[i].inconclusive_examples[j].user == user &&
                r->rules[i].inconclusive_examples[j].frame < best)
                best = r->rules[i].inconclusive_examples[j].frame;
    return best;
}

void gp_rep_connection_line(const gp_results *r, char *buf, size_t size)
{
    int n;

    n = snprintf(buf, size, "%s%s%s", r->tls ? "wss" : "ws",
                 !r->tls               ? ""
                 : r->tls_insecure     ? ", certificates NOT verified (target.insecure)"
                                       : ", certificates verified",
                 r->tls && r->tls_client_cert ? ", client certificate" : "");
    if (n < 0 || (size_t)n >= size)
        return;
    if (r->deflate_offered)
        snprintf(buf + n, size - (size_t)n, "; permessage-deflate on %zu of %zu connections",
                 r->deflate_negotiated, r->deflate_offered);
    else if (r->connections)
        snprintf(buf + n, size - (size_t)n, "; compression off");
}

bool gp_rep_health_known(const gp_health *h)
{
    return h && h->measured;
}

void gp_rep_health_line(const gp_health *h, char *buf, size_t size)
{
    int n = snprintf(buf, size,
                     "loop lag p50 %.1f ms, p99 %.1f ms, max %.1f ms; CPU user %.2f s, sys %.2f s "
                     "(%.0f%% busy); %zu stall%s",
                     (double)h->lag_p50_us / 1000.0, (double)h->lag_p99_us / 1000.0,
                     (double)h->lag_max_us / 1000.0, h->cpu_user_s, h->cpu_sys_s,
                     h->cpu_busy * 100.0, h->nstalls, h->nstalls == 1 ? "" : "s");

    /* CPU and busy add up over the processes that ran users: say how many there were. */
    if (h->workers > 1 && n > 0 && (size_t)n < size)
        snprintf(buf + n, size - (size_t)n, "; %u workers", h->workers);
}

void gp_frame_window(const gp_transcript *t, size_t focus, size_t max, size_t *start, size_t *end)
{
    size_t n = t ? t->nframes : 0, before = max - max / 4;

    if (focus == GP_NO_FRAME || focus >= n)
        focus = n ? n - 1 : 0;
    *start = focus >= before ? focus - before + 1 : 0;
    *end = *start + max < n ? *start + max : n;
    if (*end - *start < max && n > max)
        *start = *end - max;
    if (n <= max)
        *start = 0;
}

void gp_rep_transcript_excerpt(gp_rep *r, const gp_transcript *t, size_t focus, size_t nframes,
                               size_t text_max, const char *indent)
{
    size_t start, end, i;
    int64_t t0;

    if (!t || t->nframes == 0) {
        gp_rep_printf(r, "%s(no frames recorded)\n", indent);
        return;
    }
    t0 = t->frames[0].t_us;
    gp_frame_window(t, focus, nframes ? nframes : 1, &start, &end);
    if (start > 0)
        gp_rep_printf(r, "%s  ... %zu earlier frames\n", indent, start);
    for (i = start; i < end; i++) {
        const gp_frame *f = &t->frames[i];
        const char *dir = f->kind == GP_FR_SENT ? ">"
                          : (f->kind == GP_FR_RECV_TEXT || f->kind == GP_FR_RECV_BINARY ||
                             f->kind == GP_FR_OVERSIZE || f->kind == GP_FR_PONG)
                              ? "<"
                              : "*";
        char label[128], *txt = gp_frame_text(f, text_max);

        gp_frame_label(f, label, sizeof label);
        gp_rep_printf(r, "%s%s%+10.1f ms %s %-22s %s\n", indent, i == focus ? "!" : " ",
                      (double)(f->t_us - t0) / 1000.0, dir, label, txt);
        free(txt);
    }
    if (end < t->nframes)
        gp_rep_printf(r, "%s  ... %zu later frames\n", indent, t->nframes - end);
    if (t->dropped)
        gp_rep_printf(r, "%s  ... %zu frames not kept (transcript full)\n", indent, t->dropped);
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

    return x < y ? -1 : x > y;
}

typedef struct axis_gap {
    size_t i; /* the gap is between sorted times i - 1 and i */
    int64_t len;
} axis_gap;

static int cmp_gap_desc(const void *a, const void *b)
{
    const axis_gap *x = a, *y = b;

    return x->len > y->len ? -1 : x->len < y->len ? 1 : (x->i > y->i) - (x->i < y->i);
}

static int cmp_size(const void *a, const void *b)
{
    size_t x = *(const size_t *)a, y = *(const size_t *)b;

    return (x > y) - (x < y);
}

void gp_axis_build(gp_axis *ax, const int64_t *t, size_t n, int64_t pivot, double x0, double width)
{
    int64_t *ts, *gaps, threshold, total = 0;
    axis_gap *cand;
    size_t brk[GP_AXIS_MAX_SEG], ncand = 0, ngaps = 0, i, k, nbreak = 0, capped = (size_t)-1;
    double avail, extra, excess = 0;

    memset(ax, 0, sizeof *ax);
    ax->nseg = 1;
    ax->x[0] = x0;
    ax->w[0] = width;
    if (n == 0)
        return;
    ts = gp_calloc(n, sizeof *ts);
    gaps = gp_calloc(n, sizeof *gaps);
    cand = gp_calloc(n, sizeof *cand);
    memcpy(ts, t, n * sizeof *ts);
    qsort(ts, n, sizeof *ts, cmp_i64);
    for (i = 1; i < n; i++)
        if (ts[i] > ts[i - 1])
            gaps[ngaps++] = ts[i] - ts[i - 1];
    if (ngaps > 0) {
        qsort(gaps, ngaps, sizeof *gaps, cmp_i64);
        threshold = gaps[ngaps / 2] * 8;
        if (threshold < GP_AXIS_MIN_BREAK_US)
            threshold = GP_AXIS_MIN_BREAK_US;
        for (i = 1; i < n; i++)
            if (ts[i] - ts[i - 1] >= threshold) {
                cand[ncand].i = i;
                cand[ncand++].len = ts[i] - ts[i - 1];
            }
        /* Keep the longest gaps as breaks, then put them back in time order. */
        qsort(cand, ncand, sizeof *cand, cmp_gap_desc);
        nbreak = ncand < GP_AXIS_MAX_SEG - 1 ? ncand : GP_AXIS_MAX_SEG - 1;
        for (k = 0; k < nbreak; k++)
            brk[k] = cand[k].i;
        qsort(brk, nbreak, sizeof *brk, cmp_size);
    }
    /* The pivot (the message) starts a segment of its own when what precedes it in its
     * segment (connecting, the greeting) would take over a fifth of that segment: the part
     * before is then capped to a fifth of the lane, so the run after it stays legible. */
    if (nbreak < GP_AXIS_MAX_SEG - 1 && pivot > ts[0] && pivot <= ts[n - 1]) {
        size_t ip = 0, s0 = 0, s1 = n - 1;

        while (ip < n && ts[ip] < pivot)
            ip++;
        for (k = 0; k < nbreak; k++) {
            if (brk[k] <= ip)
                s0 = brk[k];
            else if (s1 == n - 1)
                s1 = brk[k] - 1;
        }
        size_t later = 0; /* frames after the message's instant, up to the segment's end */

        for (i = ip; i <= s1 && i < n; i++)
            later += ts[i] > ts[ip];
        if (ip > s0 && ip <= s1 && later >= 2 && (ts[ip] - ts[s0]) * 4 > ts[s1] - ts[ip]) {
            for (k = nbreak; k > 0 && brk[k - 1] > ip; k--)
                brk[k] = brk[k - 1];
            brk[k] = ip;
            capped = k;
            nbreak++;
        }
    }
    if (width < (double)nbreak * GP_AXIS_BREAK_PX + (double)(nbreak + 1) * GP_AXIS_MIN_SEG_PX) {
        nbreak = 0; /* too narrow to draw breaks: one linear axis */
        capped = (size_t)-1;
    }
    ax->a[0] = ts[0];
    for (k = 0; k < nbreak; k++) {
        ax->b[k] = ts[brk[k] - 1];
        ax->a[k + 1] = ts[brk[k]];
    }
    ax->b[nbreak] = ts[n - 1];
    ax->nseg = nbreak + 1;
    for (k = 0; k < ax->nseg; k++)
        total += ax->b[k] - ax->a[k];
    avail = width - (double)(ax->nseg - 1) * GP_AXIS_BREAK_PX;
    extra = avail - (double)ax->nseg * GP_AXIS_MIN_SEG_PX;
    /* Beyond its minimum, a segment's width is half by its share of the time drawn, half by
     * its share of the frames: a burst of events is not starved by a slow handshake, and a
     * lone close marker gets little. */
    for (k = 0, i = 0; k < ax->nseg; k++) {
        size_t nk = 0;
        double share;

        for (; i < n && ts[i] <= ax->b[k]; i++)
            nk++;
        share = total > 0 ? 0.5 * (double)(ax->b[k] - ax->a[k]) / (double)total +
                                0.5 * (double)nk / (double)n
                          : (double)nk / (double)n;
        ax->w[k] = ax->nseg == 1 ? width : GP_AXIS_MIN_SEG_PX + extra * share;
    }
    if (capped < ax->nseg && ax->w[capped] > avail / 5 && avail / 5 > GP_AXIS_MIN_SEG_PX) {
        double rest = avail - ax->w[capped];

        excess = ax->w[capped] - avail / 5;
        ax->w[capped] = avail / 5;
        for (k = 0; k < ax->nseg; k++)
            if (k != capped)
                ax->w[k] += excess * ax->w[k] / rest;
    }
    for (k = 0; k < ax->nseg; k++)
        ax->x[k] = k == 0 ? x0 : ax->x[k - 1] + ax->w[k - 1] + GP_AXIS_BREAK_PX;
    free(ts);
    free(gaps);
    free(cand);
}

double gp_axis_x(const gp_axis *ax, int64_t t)
{
    size_t k;

    for (k = 0; k < ax->nseg; k++) {
        /* Segments of more than one instant fill their width; a single instant sits in the
         * middle of its (minimum) width. */
        if (t < ax->a[k])
            return ax->x[k];
        if (t <= ax->b[k])
            return ax->b[k] > ax->a[k] ? ax->x[k] + ax->w[k] * (double)(t - ax->a[k]) /
                                                        (double)(ax->b[k] - ax->a[k])
                   : ax->nseg > 1 ? ax->x[k] + ax->w[k] / 2
                                  : ax->x[k];
    }
    return ax->x[ax->nseg - 1] + ax->w[ax->nseg - 1];
}

int64_t gp_rep_shards_start(const gp_run_meta *m, int64_t *spread_us)
{
    int64_t lo = 0, hi = 0;
    size_t i;

    for (i = 0; i < m->nshards; i++) {
        int64_t t = m->shards[i].first_user_at_us;

        if (t && (!lo || t < lo))
            lo = t;
        if (t > hi)
            hi = t;
    }
    *spread_us = lo ? hi - lo : 0;
    return lo;
}
