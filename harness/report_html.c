/* report_html.c - one self-contained HTML file (inline CSS, SVG and a few lines of JS, no
 * external resources): summary with the harness's own health, rule table (failed and
 * inconclusive users), latency histograms drawn from the exact buckets, and a swimlane timeline
 * per failing or inconclusive user plus a sample of passing ones. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"
#include "report_util.h"
#include "timeseries.h"

#define HTML_PASSING_SAMPLE 10
#define HTML_BINS 32
#define HTML_TEXT_MAX 400
#define HTML_STALLS_SHOWN 20

static const char css[] =
    "body{font:14px/1.4 system-ui,sans-serif;margin:0;color:#1d2330;background:#f6f7f9}"
    "header{background:#1d2330;color:#fff;padding:14px 24px}header h1{margin:0;font-size:20px}"
    "main{padding:8px 24px 40px}section.scenario{background:#fff;border:1px solid #dde;"
    "border-radius:8px;padding:12px 20px;margin:16px 0}"
    ".cards{display:flex;gap:12px;flex-wrap:wrap}.card{border:1px solid #dde;border-radius:6px;"
    "padding:6px 12px;min-width:110px}.card b{display:block;font-size:20px}"
    ".ok{color:#177245}.bad{color:#b3261e}.skip{color:#8a6d00}"
    "table{border-collapse:collapse;margin:8px 0;width:100%}td,th{padding:4px 8px;"
    "border-bottom:1px solid #eee;text-align:left;vertical-align:top}th{background:#f0f2f5}"
    "td.n{text-align:right;font-variant-numeric:tabular-nums}"
    "code,pre{font:12px/1.35 ui-monospace,monospace}pre{white-space:pre-wrap;word-break:break-all;"
    "background:#f6f7f9;padding:6px;margin:4px 0}"
    ".hists{display:flex;flex-wrap:wrap;gap:16px}.hist{border:1px solid #eee;padding:6px}"
    ".lane{margin:6px 0;border-top:1px solid #eee;padding-top:4px}"
    ".who{display:-webkit-box;-webkit-line-clamp:2;-webkit-box-orient:vertical;overflow:hidden}"
    ".lane svg{display:block}.lane details{margin:0}.brk text{font-size:9px}"
    "svg text{font:10px sans-serif;fill:#333}details{margin:4px 0}"
    ".legend span{display:inline-block;margin-right:12px}"
    ".sw{display:inline-block;width:10px;height:10px;margin-right:4px;border-radius:2px}";

static const char js[] =
    "window.addEventListener('error',function(e){document.documentElement.setAttribute("
    "'data-gp-error',String(e.message||e));});"
    "document.addEventListener('DOMContentLoaded',function(){"
    "var n=document.querySelectorAll('svg').length;"
    "document.documentElement.setAttribute('data-gp-ready',String(n));"
    "document.querySelectorAll('button[data-toggle]').forEach(function(b){"
    "b.addEventListener('click',function(){var open=b.getAttribute('aria-expanded')!=='true';"
    "b.setAttribute('aria-expanded',String(open));document.querySelectorAll('details.'+"
    "b.getAttribute('data-toggle')).forEach(function(d){d.open=open;});});});});";

typedef struct kind_style {
    const char *name;
    const char *color;
} kind_style;

static const kind_style event_colors[] = {
    {"agent_started", "#2b6cb0"},   {"agent_thinking", "#805ad5"},
    {"tool_executing", "#dd6b20"},  {"tool_completed", "#d69e2e"},
    {"agent_completed", "#2f855a"}, {"agent_error", "#c53030"},
    {"agent_death", "#9b2c2c"},     {"sent", "#4a5568"},
    {"marker", "#a0aec0"},          {"other", "#718096"},
};

static const char *color_of(const char *label, gp_frame_kind kind)
{
    size_t i;

    if (kind == GP_FR_SENT)
        return "#4a5568";
    if (kind != GP_FR_RECV_TEXT)
        return "#a0aec0";
    for (i = 0; i < sizeof event_colors / sizeof event_colors[0]; i++)
        if (strstr(label, event_colors[i].name))
            return event_colors[i].color;
    return "#718096";
}

static void esc(gp_rep *r, const char *s)
{
    if (s)
        gp_rep_xml(r, s, strlen(s));
}

static void esc_redacted(gp_rep *r, const char *s)
{
    char *red;

    if (!s)
        return;
    red = gp_redact(s, strlen(s));
    gp_rep_xml(r, red, strlen(red));
    free(red);
}

/* Upper edge of bucket i in hist.h's fixed layout. */
static int64_t bucket_upper(size_t i)
{
    size_t reg = i / GP_HIST_SUB, sub = i % GP_HIST_SUB;

    return reg == 0 ? (int64_t)sub : (((int64_t)sub + 1) << reg) - 1;
}

static void hist_svg(gp_rep *r, const char *name, const gp_hist *h)
{
    uint64_t bins[HTML_BINS] = {0}, top = 0;
    double lo, hi, span;
    size_t i, b;
    const int W = 320, H = 120, PAD = 18;
    static const double qs[] = {50, 95, 99};
    static const char *const qn[] = {"p50", "p95", "p99"};

    gp_rep_puts(r, "<div class=\"hist\"><b>");
    esc(r, name);
    if (h->count == 0) {
        gp_rep_puts(r, "</b><br><i>no samples</i></div>\n");
        return;
    }
    gp_rep_printf(r,
                  "</b> <small>n=%llu p50 %.1f ms, p95 %.1f ms, p99 %.1f ms, max %.1f ms"
                  "</small><br>\n",
                  (unsigned long long)h->count, (double)gp_hist_percentile(h, 50) / 1000.0,
                  (double)gp_hist_percentile(h, 95) / 1000.0,
                  (double)gp_hist_percentile(h, 99) / 1000.0, (double)h->max / 1000.0);
    /* Log-spaced bins between min and max; each exact bucket lands in the bin of its edge. */
    lo = log((double)(h->min > 0 ? h->min : 1));
    hi = log((double)(h->max > 1 ? h->max : 2));
    span = hi - lo > 1e-9 ? hi - lo : 1.0;
    for (i = 0; h->buckets && i < GP_HIST_BUCKETS; i++) {
        int64_t v;

        if (!h->buckets[i])
            continue;
        v = bucket_upper(i);
        if (v > h->max)
            v = h->max;
        if (v < 1)
            v = 1;
        {
            /* A read report's buckets may lie below its min: clamp before the cast, since a
             * negative double converted to size_t is undefined. */
            double x = (log((double)v) - lo) / span * (HTML_BINS - 1) + 0.5;

            b = !(x >= 0) ? 0 : x >= HTML_BINS ? HTML_BINS - 1 : (size_t)x;
        }
        bins[b] += h->buckets[i];
    }
    for (b = 0; b < HTML_BINS; b++)
        if (bins[b] > top)
            top = bins[b];
    gp_rep_printf(r, "<svg width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" role=\"img\">", W,
                  H + PAD, W, H + PAD);
    for (b = 0; b < HTML_BINS; b++) {
        double bh = top ? (double)bins[b] / (double)top * (H - 14) : 0;
        double x = (double)b * W / HTML_BINS;

        if (!bins[b])
            continue;
        gp_rep_printf(r,
                      "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" "
                      "fill=\"#4c78a8\"><title>%llu samples near %.1f ms</title></rect>",
                      x + 1, H - bh, (double)W / HTML_BINS - 2, bh, (unsigned long long)bins[b],
                      exp(lo + span * (double)b / (HTML_BINS - 1)) / 1000.0);
    }
    for (i = 0; i < 3; i++) {
        double v = (double)gp_hist_percentile(h, qs[i]);
        double x = ((log(v > 1 ? v : 1) - lo) / span) * (W - W / HTML_BINS) + W / HTML_BINS / 2.0;

        gp_rep_printf(r,
                      "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"10\" y2=\"%d\" stroke=\"#b3261e\" "
                      "stroke-dasharray=\"3,2\"/><text x=\"%.1f\" y=\"%d\">%s</text>",
                      x, x, H, x + 2, 9 + (int)i * 10, qn[i]);
    }
    gp_rep_printf(r,
                  "<text x=\"0\" y=\"%d\">%.1f ms</text><text x=\"%d\" y=\"%d\" "
                  "text-anchor=\"end\">%.1f ms</text></svg></div>\n",
                  H + 13, (double)h->min / 1000.0, W, H + 13, (double)h->max / 1000.0);
}

/* One chart of the run over time: up to four lines of n values each (NAN: no value), with the
 * stages' starts (se->stage_start_us) marked by dashed vertical lines labelled "stage k". */
static void over_time_svg(gp_rep *r, const char *title, const char *unit, const gp_series *se,
                          const double *const *lines, const char *const *names, size_t nlines)
{
    static const char *const colors[] = {"#4c78a8", "#f58518", "#b3261e", "#7a5195"};
    size_t n = se->n;
    int64_t interval_us = se->interval_us;
    const int W = 480, H = 120, PAD = 18;
    double top = 0;
    size_t i, k;

    for (k = 0; k < nlines; k++)
        for (i = 0; i < n; i++)
            if (lines[k][i] == lines[k][i] && lines[k][i] > top)
                top = lines[k][i];
    if (top <= 0)
        top = 1;
    gp_rep_puts(r, "<div class=\"hist\"><b>");
    esc(r, title);
    gp_rep_puts(r, "</b> <small>");
    for (k = 0; k < nlines; k++)
        gp_rep_printf(r, "<span style=\"color:%s\">&#9644; %s</span> ", colors[k], names[k]);
    gp_rep_printf(r,
                  "</small><br>\n<svg width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" "
                  "role=\"img\">",
                  W, H + PAD, W, H + PAD);
    for (k = 0; k < nlines; k++) {
        gp_rep_printf(r, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"1.5\" points=\"",
                      colors[k]);
        for (i = 0; i < n; i++) {
            double v = lines[k][i];

            if (v == v)
                gp_rep_printf(r, "%.1f,%.1f ",
                              n > 1 ? (double)i * (W - 2) / (double)(n - 1) + 1 : W / 2.0,
                              H - v / top * (H - 14));
        }
        gp_rep_puts(r, "\"/>");
    }
    /* the stages: x as the points', time i * interval at point i */
    for (k = 0; k < se->nstages && n > 1; k++) {
        double x =
            (double)se->stage_start_us[k] / ((double)(n - 1) * (double)interval_us) * (W - 2) + 1;

        if (x > W)
            continue;
        gp_rep_printf(r,
                      "<g class=\"stage\"><title>stage %zu starts at %.1f s</title>"
                      "<line x1=\"%.1f\" y1=\"12\" x2=\"%.1f\" y2=\"%d\" stroke=\"#888\" "
                      "stroke-dasharray=\"3,3\"/><text x=\"%.1f\" y=\"%d\" font-size=\"9\" "
                      "fill=\"#555\">stage %zu</text></g>",
                      k + 1, (double)se->stage_start_us[k] / 1e6, x, x, H, x + 2,
                      22 + (int)(k % 3) * 10, k + 1);
    }
    gp_rep_printf(r,
                  "<text x=\"0\" y=\"10\">%.4g %s</text><text x=\"0\" y=\"%d\">0 s</text>"
                  "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">%.1f s</text></svg></div>\n",
                  top, unit, H + 13, W, H + 13,
                  (double)(n ? (int64_t)(n - 1) * interval_us : 0) / 1e6);
}

/* The series drawn: agent_completed latency percentiles, runs and failures, active users. */
static void series_html(gp_rep *r, const gp_series *se)
{
    static const char *const pn[] = {"p50", "p95", "p99"};
    static const char *const rn[] = {"runs started", "runs completed", "failures",
                                     "dropped arrivals"};
    static const char *const un[] = {"active users"};
    static const double qs[] = {50, 95, 99};
    double *v = gp_calloc(8 * se->n, sizeof *v);
    const double *lat[3] = {v, v + se->n, v + 2 * se->n};
    const double *runs[4] = {v + 3 * se->n, v + 4 * se->n, v + 5 * se->n, v + 7 * se->n};
    const double *users[1] = {v + 6 * se->n};
    size_t i, k;
    uint64_t dropped = 0;

    for (i = 0; i < se->n; i++) {
        const gp_series_point *p = &se->p[i];
        const gp_hist *h = &p->latency[GP_EV_AGENT_COMPLETED];
        uint64_t f = 0;

        for (k = 0; k < 3; k++)
            v[k * se->n + i] = h->count ? (double)gp_hist_percentile(h, qs[k]) / 1000.0 : NAN;
        for (k = 0; k < GP_RULE__COUNT; k++)
            f += p->failures[k];
        v[3 * se->n + i] = (double)p->runs_started;
        v[4 * se->n + i] = (double)p->runs_completed;
        v[5 * se->n + i] = (double)f;
        v[6 * se->n + i] = (double)p->active_users;
        v[7 * se->n + i] = (double)p->dropped_arrivals;
        dropped += p->dropped_arrivals;
    }
    gp_rep_printf(r, "<h3>Over time</h3><p><small>every %.1f s</small></p><div class=\"hists\">\n",
                  (double)se->interval_us / 1e6);
    over_time_svg(r, "agent_completed latency", "ms", se, lat, pn, 3);
    /* dropped arrivals (the open model's max_active) drawn only when there are any */
    over_time_svg(r, dropped ? "runs, failures and dropped arrivals" : "runs and failures",
                  "per interval", se, runs, rn, dropped ? 4 : 3);
    over_time_svg(r, "active users", "users", se, users, un, 1);
    gp_rep_puts(r, "</div>\n");
    free(v);
}

/* "12.5 ms" below 10 s, "42.17 s" above: short enough for a tick label. */
static void fmt_time(char *buf, size_t size, int64_t us)
{
    if (us < 10000000 && us > -10000000)
        snprintf(buf, size, "%.1f ms", (double)us / 1000.0);
    else
        snprintf(buf, size, "%.2f s", (double)us / 1e6);
}

static void tick(gp_rep *r, double x, int y, const char *anchor, int64_t us)
{
    char when[32];

    fmt_time(when, sizeof when, us);
    gp_rep_printf(r,
                  "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"28\" y2=\"36\" stroke=\"#999\"/>"
                  "<text x=\"%.1f\" y=\"%d\" text-anchor=\"%s\">%s</text>",
                  x, x, x, y, anchor, when);
}

/* The lane's axis: per segment a solid line with ticks (times since the user's first frame),
 * per break a dashed stretch marked // and labelled with the time it skips. */
static void axis_svg(gp_rep *r, const gp_axis *ax, int64_t t0, int W, int H)
{
    size_t k;

    for (k = 0; k < ax->nseg; k++) {
        double x = ax->x[k], w = ax->w[k];
        bool last = k + 1 == ax->nseg;

        gp_rep_printf(r, "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"32\" y2=\"32\" stroke=\"#ccc\"/>", x,
                      x + w);
        if (ax->b[k] == ax->a[k] && ax->nseg > 1)
            tick(r, x + w / 2, H - 4, "middle", ax->a[k] - t0); /* one instant, centred */
        else
            tick(r, x, H - 4, x > W - 60 ? "end" : "start", ax->a[k] - t0);
        /* An end tick and quarter ticks only where their labels differ (0.1 ms below 10 s,
         * 10 ms above). */
        if (ax->b[k] - ax->a[k] >= (ax->b[k] - t0 < 10000000 ? 100 : 10000) && w >= 120)
            tick(r, x + w, H - 4, "end", ax->b[k] - t0);
        if (ax->b[k] - ax->a[k] >= (ax->b[k] - t0 < 10000000 ? 400 : 40000) && w >= 400) {
            int q;

            for (q = 1; q < 4; q++)
                tick(r, x + w * q / 4.0, H - 4, "middle",
                     ax->a[k] - t0 + (ax->b[k] - ax->a[k]) * q / 4);
        }
        if (!last) {
            double bx = x + w, mid = bx + GP_AXIS_BREAK_PX / 2;
            char gap[32];

            fmt_time(gap, sizeof gap, ax->a[k + 1] - ax->b[k]);
            gp_rep_printf(r,
                          "<g class=\"brk\"><line x1=\"%.1f\" x2=\"%.1f\" y1=\"32\" y2=\"32\" "
                          "stroke=\"#bbb\" stroke-dasharray=\"2,3\"/>"
                          "<path d=\"M%.1f 37 l4 -10 M%.1f 37 l4 -10\" stroke=\"#777\"/>"
                          "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\" fill=\"#777\">"
                          "+%s</text><title>%s with no frame, not drawn to scale</title></g>",
                          bx + 2, bx + GP_AXIS_BREAK_PX - 2, mid - 5, mid + 1, mid, 10, gap, gap);
        }
    }
}

static void timeline(gp_rep *r, const gp_suite *s, size_t user, gp_status status)
{
    bool failed = status != GP_STATUS_PASSED;
    static const char *const cls[] = {
        [GP_STATUS_PASSED] = "ok", [GP_STATUS_FAILED] = "bad", [GP_STATUS_INCONCLUSIVE] = "skip"};
    static const char *const word[] = {[GP_STATUS_PASSED] = "PASS",
                                       [GP_STATUS_FAILED] = "FAIL",
                                       [GP_STATUS_INCONCLUSIVE] = "INCONCLUSIVE"};
    const gp_results *res = s->results;
    const gp_transcript *t = gp_suite_transcript(s, user);
    size_t focus = gp_results_user_frame(res, user), start, end, i;
    const int W = 900, H = 64, X0 = 10;
    int64_t t0, *times, pivot = INT64_MIN;
    gp_axis ax;

    gp_rep_printf(r, "<div class=\"lane\"><div class=\"who\"><b class=\"%s\">%s</b> user ",
                  cls[status], word[status]);
    esc(r, user < res->nusers ? res->users[user].user_id : "?");
    gp_rep_printf(r, " (#%zu)", user);
    if (failed && user < res->nusers && res->users[user].cause) {
        gp_rep_puts(r, ": <code>");
        esc_redacted(r, res->users[user].cause);
        gp_rep_puts(r, "</code>");
    }
    gp_rep_puts(r, "</div>");
    if (!t || t->nframes == 0) {
        gp_rep_puts(r, "<i>no transcript</i></div>\n");
        return;
    }
    gp_frame_window(t, focus, GP_REPORT_MAX_FRAMES, &start, &end);
    /* Times are since the user's first frame, as in the frame list below. */
    t0 = t->frames[0].t_us;
    times = gp_calloc(end - start, sizeof *times);
    for (i = start; i < end; i++) {
        times[i - start] = t->frames[i].t_us;
        if (pivot == INT64_MIN && t->frames[i].kind == GP_FR_SENT)
            pivot = t->frames[i].t_us; /* the first message: the run starts here */
    }
    gp_axis_build(&ax, times, end - start, pivot, X0, W - 2 * X0);
    free(times);
    gp_rep_printf(r, "<svg width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" role=\"img\">", W, H, W,
                  H);
    axis_svg(r, &ax, t0, W, H);
    for (i = start; i < end; i++) {
        const gp_frame *f = &t->frames[i];
        char label[128], *txt;
        double x = gp_axis_x(&ax, f->t_us);
        int y = f->kind == GP_FR_SENT ? 14 : f->kind == GP_FR_RECV_TEXT ? 24 : 44;

        gp_frame_label(f, label, sizeof label);
        txt = gp_frame_text(f, HTML_TEXT_MAX);
        if (i == focus)
            gp_rep_printf(r,
                          "<circle cx=\"%.1f\" cy=\"%d\" r=\"8\" fill=\"none\" "
                          "stroke=\"#b3261e\" stroke-width=\"2\"/>",
                          x, y + 4);
        gp_rep_printf(r,
                      "<rect x=\"%.1f\" y=\"%d\" width=\"4\" height=\"8\" fill=\"%s\">"
                      "<title>#%zu +%.1f ms ",
                      x - 2, y, color_of(label, f->kind), i, (double)(f->t_us - t0) / 1000.0);
        esc(r, label);
        gp_rep_puts(r, " ");
        esc(r, txt);
        gp_rep_puts(r, "</title></rect>");
        free(txt);
    }
    gp_rep_puts(r, "</svg>\n");
    gp_rep_printf(r, "<details class=\"frames\"><summary>%zu frames</summary><pre>", end - start);
    {
        gp_rep ex;

        gp_rep_init(&ex, (size_t)8 << 20);
        gp_rep_transcript_excerpt(&ex, t, focus, GP_REPORT_MAX_FRAMES, HTML_TEXT_MAX, "");
        if (ex.b.data)
            gp_rep_xml(r, ex.b.data, ex.b.len);
        gp_rep_cleanup(&ex);
    }
    gp_rep_puts(r, "</pre></details></div>\n");
}

/* The harness's own lag and CPU, and its stall windows: whether the run can be trusted. */
static void harness_html(gp_rep *r, const gp_health *h)
{
    char line[256];
    size_t i;

    gp_rep_health_line(h, line, sizeof line);
    gp_rep_puts(r, "<p class=\"harness\">harness: ");
    esc(r, line);
    for (i = 0; i < h->nstalls && i < HTML_STALLS_SHOWN; i++)
        gp_rep_printf(r, "%s%.1f&ndash;%.1f ms (lag %.1f ms)",
                      i ? ", " : "<br>stalls: ", (double)h->stalls[i].from_us / 1000.0,
                      (double)h->stalls[i].to_us / 1000.0, (double)h->stalls[i].lag_us / 1000.0);
    if (h->nstalls > HTML_STALLS_SHOWN)
        gp_rep_printf(r, ", &hellip; %zu more", h->nstalls - HTML_STALLS_SHOWN);
    gp_rep_puts(r, "</p>\n");
}

static void examples_html(gp_rep *r, const gp_results *res, const gp_failure *fs, size_t n);

/* A merged report's shards, and the leaks between users of different shards. */
static void shards_html(gp_rep *r, const gp_suite *s)
{
    const gp_run_meta *m = &s->meta;
    int64_t spread, lo = gp_rep_shards_start(m, &spread);
    size_t i;

    gp_rep_printf(r, "<h3>Shards</h3><p>%zu shards (from ", m->nshards);
    esc(r, m->shards[0].shard.source);
    gp_rep_printf(r, "); first users started within %.1f ms of each other</p>\n",
                  (double)spread / 1000.0);
    gp_rep_puts(r, "<table class=\"shards\"><tr><th>shard</th><th>users</th><th>passed</th>"
                   "<th>first user started</th><th>offset</th><th>lag p99</th><th>lag max</th>"
                   "</tr>\n");
    for (i = 0; i < m->nshards; i++) {
        const gp_shard_row *row = &m->shards[i];
        char when[40] = "-";

        if (row->first_user_at_us)
            gp_iso8601_format(row->first_user_at_us, true, when, sizeof when);
        gp_rep_printf(r, "<tr><td>%u/%u</td><td>%zu</td><td>%zu</td><td>%s</td>", row->shard.index,
                      row->shard.count, row->users, row->users_passed, when);
        if (row->first_user_at_us)
            gp_rep_printf(r, "<td>+%.1f ms</td>", (double)(row->first_user_at_us - lo) / 1000.0);
        else
            gp_rep_puts(r, "<td>-</td>");
        if (row->lag_known)
            gp_rep_printf(r, "<td>%.1f ms</td><td>%.1f ms</td></tr>\n",
                          (double)row->lag_p99_us / 1000.0, (double)row->lag_max_us / 1000.0);
        else
            gp_rep_puts(r, "<td>-</td><td>-</td></tr>\n");
    }
    gp_rep_puts(r, "</table>\n");
    if (m->shard_leaks && m->shard_leaks->total) {
        gp_rep_printf(r,
                      "<p class=\"bad\">%zu cross-shard leaks: a user received what a user of "
                      "another shard owns</p>\n",
                      m->shard_leaks->total);
        examples_html(r, s->results, m->shard_leaks->examples, m->shard_leaks->n);
    }
}

static void examples_html(gp_rep *r, const gp_results *res, const gp_failure *fs, size_t n)
{
    size_t j;

    for (j = 0; j < n; j++) {
        const gp_failure *f = &fs[j];

        gp_rep_printf(r, "<details class=\"ex\"><summary>%suser ",
                      f->cause ? "<b class=\"skip\">inconclusive</b> " : "");
        esc(r, f->user < res->nusers ? res->users[f->user].user_id : "?");
        gp_rep_printf(r, " (#%zu)</summary>expected <code>", f->user);
        esc_redacted(r, f->expected);
        gp_rep_puts(r, "</code><br>received <code>");
        esc_redacted(r, f->received);
        if (f->cause) {
            gp_rep_puts(r, "</code><br>cause <code>");
            esc_redacted(r, f->cause);
        }
        gp_rep_puts(r, "</code></details>");
    }
}

static void suite_html(gp_rep *r, const gp_suite *s, size_t idx)
{
    const gp_results *res = s->results;
    const char *name =
        s->meta.scenario && s->meta.scenario->name ? s->meta.scenario->name : "unnamed";
    size_t i, j, upassed, shown_fail = 0, shown_pass = 0, nfail, ninc, nnot;
    char when[40];
    bool failed = !gp_results_passed(res) || s->meta.interrupted;
    bool inc = !failed && gp_results_inconclusive(res);

    upassed = gp_results_count_users(res, GP_STATUS_PASSED);
    nfail = gp_results_count_users(res, GP_STATUS_FAILED);
    ninc = gp_results_count_users(res, GP_STATUS_INCONCLUSIVE);
    nnot = gp_results_count_users(res, GP_STATUS_NOT_STARTED);
    gp_iso8601_format(s->meta.started_wall_us, true, when, sizeof when);
    gp_rep_printf(r, "<section class=\"scenario\" id=\"s%zu\"><h2 class=\"%s\">%s ", idx,
                  failed ? "bad"
                  : inc  ? "skip"
                         : "ok",
                  failed ? "FAIL"
                  : inc  ? "INCONCLUSIVE"
                         : "PASS");
    esc(r, name);
    gp_rep_puts(r, "</h2>\n<p>target <code>");
    esc_redacted(r, s->meta.target ? s->meta.target : "?");
    if (s->meta.proxy) {
        gp_rep_puts(r, "</code> through the proxy <code>");
        esc(r, s->meta.proxy);
    }
    gp_rep_printf(r, "</code> &middot; started %s &middot; digest <code>", when);
    esc(r, s->meta.scenario ? s->meta.scenario->digest : "");
    gp_rep_puts(r, "</code>");
    for (i = 0; i < s->meta.nlabels; i++) {
        gp_rep_puts(r, " &middot; ");
        esc(r, s->meta.labels[i].key);
        gp_rep_puts(r, "=");
        esc(r, s->meta.labels[i].value);
    }
    gp_rep_puts(r, s->meta.interrupted ? " &middot; <b class=\"bad\">interrupted</b></p>\n"
                                       : "</p>\n");
    if (gp_rep_health_known(s->meta.health))
        harness_html(r, s->meta.health);
    if (s->meta.nshards)
        shards_html(r, s);
    gp_rep_printf(r,
                  "<div class=\"cards\"><div class=\"card\"><b>%u</b>users</div>"
                  "<div class=\"card ok\"><b>%zu</b>passed</div><div class=\"card %s\"><b>"
                  "%zu</b>failed</div>",
                  s->meta.users, upassed, nfail ? "bad" : "ok", nfail);
    if (ninc)
        gp_rep_printf(r, "<div class=\"card skip\"><b>%zu</b>inconclusive</div>", ninc);
    if (nnot)
        gp_rep_printf(r, "<div class=\"card bad\"><b>%zu</b>not started</div>", nnot);
    gp_rep_printf(r,
                  "<div class=\"card\"><b>%.1f s</b>duration</div>"
                  "<div class=\"card\"><b>%zu/%zu</b>runs passed</div></div>\n",
                  (double)s->meta.duration_us / 1e6, res->runs_passed, res->runs_total);
    {
        char link[200];

        gp_rep_connection_line(res, link, sizeof link);
        gp_rep_puts(r, "<p>Connection: ");
        esc(r, link);
        gp_rep_puts(r, "</p>\n");
    }
    if (gp_results_inconclusive(res))
        gp_rep_puts(r, "<p class=\"skip\">Some verdicts are inconclusive: the harness itself fell "
                       "behind while users waited, so those waits say nothing about the server. "
                       "Hint: " GP_INCONCLUSIVE_HINT ".</p>\n");
    gp_rep_puts(r, "<h3>Rules</h3><table><tr><th></th><th>rule</th><th>title</th><th>passed</th>"
                   "<th>failed</th><th>inconclusive</th><th>checked</th></tr>\n");
    for (i = 0; i < GP_RULE__COUNT; i++) {
        const gp_rule_result *rr = &res->rules[i];
        const char *cls = rr->checked == 0 ? "skip" : rr->failed ? "bad" : "ok";
        const char *mark = rr->checked == 0 ? "&ndash;" : rr->failed ? "&#10007;" : "&#10003;";

        if (rr->checked && !rr->failed && rr->inconclusive) {
            cls = "skip";
            mark = "?";
        }
        gp_rep_printf(r, "<tr><td class=\"%s\">%s</td><td><code>%s</code></td><td>", cls, mark,
                      gp_rule_id((gp_rule)i));
        esc(r, gp_rule_title((gp_rule)i));
        examples_html(r, res, rr->examples, rr->nexamples);
        if (rr->failed > rr->nexamples)
            gp_rep_printf(r, "<br><small>and %zu more users</small>", rr->failed - rr->nexamples);
        examples_html(r, res, rr->inconclusive_examples, rr->ninconclusive);
        if (rr->inconclusive > rr->ninconclusive)
            gp_rep_printf(r, "<br><small>and %zu more inconclusive users</small>",
                          rr->inconclusive - rr->ninconclusive);
        gp_rep_printf(r,
                      "</td><td class=\"n\">%zu</td><td class=\"n\">%zu</td>"
                      "<td class=\"n\">%zu</td><td class=\"n\">%zu</td></tr>\n",
                      rr->passed, rr->failed, rr->inconclusive, rr->checked);
    }
    gp_rep_puts(r, "</table>\n<h3>Latency</h3><div class=\"hists\">\n");
    for (i = 0; i < GP_EV_GOLDEN_COUNT; i++)
        hist_svg(r, gp_event_type_name((gp_event_type)i), &res->latency[i]);
    hist_svg(r, "run_duration", &res->run_duration);
    hist_svg(r, "tool_duration", &res->tool_duration);
    hist_svg(r, "gaps", &res->gaps);
    gp_rep_puts(r, "</div>\n");
    if (res->series && res->series->n > 1)
        series_html(r, res->series);
    gp_rep_puts(r, "<h3>Causes</h3><p>");
    for (i = 0, j = 0; i < GP_CAUSE__COUNT; i++)
        if (res->causes[i])
            gp_rep_printf(r, "%s<code>%s</code> %llu", j++ ? ", " : "", gp_cause_name((gp_cause)i),
                          (unsigned long long)res->causes[i]);
    gp_rep_puts(r, j ? "</p>\n" : "none</p>\n");
    gp_rep_puts(r, "<h3>Timelines</h3><p class=\"legend\">");
    for (i = 0; i < sizeof event_colors / sizeof event_colors[0]; i++)
        gp_rep_printf(r, "<span><i class=\"sw\" style=\"background:%s\"></i>%s</span>",
                      event_colors[i].color, event_colors[i].name);
    gp_rep_puts(r, "<span>&#9711; first failure</span><span>// idle time cut out (not to "
                   "scale)</span> <button data-toggle=\"frames\" "
                   "aria-expanded=\"false\">expand all frames</button></p>\n");
    for (i = 0; i < res->nusers && shown_fail < GP_REPORT_MAX_TRANSCRIPTS; i++) {
        if (res->users[i].passed || res->users[i].not_started)
            continue;
        timeline(r, s, i, gp_user_status(&res->users[i]));
        shown_fail++;
    }
    if (nfail + ninc > shown_fail)
        gp_rep_printf(r, "<p>%zu more failing or inconclusive users not drawn.</p>\n",
                      nfail + ninc - shown_fail);
    /* A sample of passing users spread over the whole ramp (first, last and evenly between),
     * not just the first ones to connect. */
    for (i = 0, j = 0; i < res->nusers && shown_pass < HTML_PASSING_SAMPLE; i++) {
        if (!res->users[i].passed)
            continue;
        if (upassed <= HTML_PASSING_SAMPLE ||
            j == (shown_pass * (upassed - 1) + HTML_PASSING_SAMPLE - 2) /
                     (HTML_PASSING_SAMPLE - 1)) {
            timeline(r, s, i, GP_STATUS_PASSED);
            shown_pass++;
        }
        j++;
    }
    if (upassed > shown_pass)
        gp_rep_printf(r, "<p>%zu passing users drawn of %zu.</p>\n", shown_pass, upassed);
    gp_rep_puts(r, "</section>\n");
}

int gp_report_write_html(const char *path, const gp_suite *suites, size_t n,
                         const gp_report_ctx *ctx, gp_err *err)
{
    gp_rep r;
    char now[40];
    size_t i;

    gp_iso8601_format(ctx->generated_us, true, now, sizeof now);
    gp_rep_init(&r, GP_REPORT_MAX_BYTES);
    gp_rep_printf(&r,
                  "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
                  "<meta name=\"viewport\" content=\"width=device-width\">"
                  "<title>goldenpath report</title><style>%s</style><script>%s</script>"
                  "</head><body>\n<header><h1>goldenpath report</h1>generated %s by "
                  "goldenpath ",
                  css, js, now);
    esc(&r, n && suites[0].meta.harness_version ? suites[0].meta.harness_version : GP_VERSION);
    gp_rep_puts(&r, "</header><main>\n");
    for (i = 0; i < n; i++)
        suite_html(&r, &suites[i], i);
    gp_rep_puts(&r, "</main></body></html>\n");
    return gp_rep_save(&r, path, "HTML", err);
}
