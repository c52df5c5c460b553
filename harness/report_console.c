/* report_console.c - the human summary printed at the end of a run: per scenario a rule table,
 * the first failing users of each failing rule with the tail of their transcripts, latency
 * percentiles, causes, and one closing line a person can act on. Plain ASCII unless color. */
#include <stdlib.h>
#include <string.h>

#include "report.h"
#include "report_util.h"

#define CONSOLE_TEXT_MAX 160

typedef struct style {
    const char *pass, *fail, *skip, *bold, *dim, *off;
} style;

static const style plain = {"PASS", "FAIL", "SKIP", "", "", ""};
static const style color = {"\033[32m\xe2\x9c\x93\033[0m   ",
                            "\033[31m\xe2\x9c\x97\033[0m   ",
                            "\033[33m-\033[0m   ",
                            "\033[1m",
                            "\033[2m",
                            "\033[0m"};

static void ms(char *buf, size_t size, int64_t us)
{
    snprintf(buf, size, "%.1f", (double)us / 1000.0);
}

static void hist_row(FILE *out, const char *name, const gp_hist *h)
{
    char p50[32], p95[32], p99[32], max[32];

    if (h->count == 0) {
        fprintf(out, "  %-18s %8s\n", name, "-");
        return;
    }
    ms(p50, sizeof p50, gp_hist_percentile(h, 50));
    ms(p95, sizeof p95, gp_hist_percentile(h, 95));
    ms(p99, sizeof p99, gp_hist_percentile(h, 99));
    ms(max, sizeof max, h->max);
    fprintf(out, "  %-18s %8llu %10s %10s %10s %10s\n", name, (unsigned long long)h->count, p50,
            p95, p99, max);
}

/* Prints a string from the run (user ids, expectations) redacted, cleaned and bounded. */
static void safe(FILE *out, const char *s)
{
    char *red, *clean;
    bool cut = false;

    if (!s) {
        fputs("?", out);
        return;
    }
    red = gp_redact(s, strlen(s));
    clean = gp_utf8_clean(red, strlen(red), 400, &cut);
    for (char *p = clean; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            *p = '?';
    fprintf(out, "%s%s", clean, cut ? "\xe2\x80\xa6" : "");
    free(red);
    free(clean);
}

static void failing_rule(FILE *out, const gp_suite *s, gp_rule rule, const gp_console_opts *o,
                         const style *st)
{
    const gp_results *r = s->results;
    const gp_rule_result *rr = &r->rules[rule];
    size_t i, shown = rr->nexamples < o->max_users_per_rule ? rr->nexamples : o->max_users_per_rule;

    fprintf(out, "\n%s%s%s  %zu of %zu users failed: %s\n", st->bold, gp_rule_id(rule), st->off,
            rr->failed, rr->checked, gp_rule_title(rule));
    for (i = 0; i < shown; i++) {
        const gp_failure *f = &rr->examples[i];
        gp_rep tail;

        fputs("  user ", out);
        safe(out, f->user < r->nusers ? r->users[f->user].user_id : NULL);
        fprintf(out, " (#%zu)", f->user);
        if (f->step >= 0)
            fprintf(out, ", step %d", f->step);
        if (f->frame != GP_NO_FRAME)
            fprintf(out, ", frame %zu", f->frame);
        fputs("\n    expected: ", out);
        safe(out, f->expected);
        fputs("\n    received: ", out);
        safe(out, f->received);
        fputc('\n', out);
        if (o->tail_frames == 0)
            continue;
        gp_rep_init(&tail, (size_t)1 << 20);
        gp_rep_transcript_excerpt(&tail, gp_suite_transcript(s, f->user), f->frame, o->tail_frames,
                                  CONSOLE_TEXT_MAX, "      ");
        fprintf(out, "    %stranscript (ms since the user's first frame; ! marks the failure)%s\n",
                st->dim, st->off);
        if (tail.b.data) {
            for (char *p = tail.b.data; *p; p++)
                if (((unsigned char)*p < 0x20 && *p != '\n') || *p == 0x7f)
                    *p = '?'; /* never let a server's text drive the terminal */
            fputs(tail.b.data, out);
        }
        gp_rep_cleanup(&tail);
    }
    if (rr->failed > shown)
        fprintf(out, "  ... and %zu more users\n", rr->failed - shown);
}

static void suite_console(FILE *out, const gp_suite *s, const gp_console_opts *o, const style *st)
{
    const gp_results *r = s->results;
    const char *name =
        s->meta.scenario && s->meta.scenario->name ? s->meta.scenario->name : "unnamed";
    size_t i, upassed = 0, nfailed_rules = 0;
    char when[40];
    bool any_cause = false;

    gp_iso8601_format(s->meta.started_wall_us, false, when, sizeof when);
    fprintf(out, "%s== %s ==%s\n", st->bold, name, st->off);
    fputs("target:   ", out);
    safe(out, s->meta.target ? s->meta.target : "?");
    fprintf(out, "\nusers:    %u    duration: %.1f s    started: %sZ%s\n", s->meta.users,
            (double)s->meta.duration_us / 1e6, when,
            s->meta.interrupted ? "    INTERRUPTED before the end" : "");
    fprintf(out, "\n       %-22s %7s %7s %7s  %s\n", "rule", "passed", "failed", "checked",
            "title");
    for (i = 0; i < GP_RULE__COUNT; i++) {
        const gp_rule_result *rr = &r->rules[i];
        const char *mark = rr->checked == 0 ? st->skip : rr->failed ? st->fail : st->pass;

        fprintf(out, "  %s %-22s %7zu %7zu %7zu  %s\n", mark, gp_rule_id((gp_rule)i), rr->passed,
                rr->failed, rr->checked, gp_rule_title((gp_rule)i));
    }
    for (i = 0; i < GP_RULE__COUNT; i++)
        if (r->rules[i].failed)
            failing_rule(out, s, (gp_rule)i, o, st);
    fprintf(out, "\nlatency (ms)       %8s %10s %10s %10s %10s\n", "count", "p50", "p95", "p99",
            "max");
    for (i = 0; i < GP_EV_GOLDEN_COUNT; i++)
        hist_row(out, gp_event_type_name((gp_event_type)i), &r->latency[i]);
    hist_row(out, "run_duration", &r->run_duration);
    hist_row(out, "tool_duration", &r->tool_duration);
    hist_row(out, "gaps", &r->gaps);
    fputs("\ncauses:  ", out);
    for (i = 0; i < GP_CAUSE__COUNT; i++) {
        if (!r->causes[i])
            continue;
        fprintf(out, "%s%s %llu", any_cause ? ", " : "", gp_cause_name((gp_cause)i),
                (unsigned long long)r->causes[i]);
        any_cause = true;
    }
    fputs(any_cause ? "\n" : "none\n", out);
    for (i = 0; i < r->nusers; i++)
        upassed += r->users[i].passed;
    fprintf(out, "\n%s%s: %zu of %zu users passed; %zu failed", st->bold, name, upassed, r->nusers,
            r->nusers - upassed);
    for (i = 0; i < GP_RULE__COUNT; i++) {
        if (!r->rules[i].failed)
            continue;
        fprintf(out, "%s%s", nfailed_rules ? ", " : " (", gp_rule_id((gp_rule)i));
        nfailed_rules++;
    }
    fprintf(out, "%s%s%s\n", nfailed_rules ? ")" : "", s->meta.interrupted ? "; interrupted" : "",
            st->off);
}

void gp_report_console(FILE *out, const gp_suite *suites, size_t n, const gp_console_opts *o)
{
    gp_console_opts d = {false, 3, 8};
    size_t i;

    if (!o)
        o = &d;
    for (i = 0; i < n; i++) {
        if (i)
            fputc('\n', out);
        suite_console(out, &suites[i], o, o->color ? &color : &plain);
    }
    fflush(out);
}
