/* report_console.c - the human summary printed at the end of a run: per scenario the harness's
 * own health, a rule table, the first failing users of each failing rule with the tail of their
 * transcripts, the inconclusive verdicts, latency percentiles, causes, and one closing line a
 * person can act on. Plain ASCII unless color. */
#include <stdlib.h>
#include <string.h>

#include "report.h"
#include "report_util.h"
#include "timeseries.h"

#define CONSOLE_TEXT_MAX 160

typedef struct style {
    const char *pass, *fail, *skip, *inconclusive, *bold, *dim, *off;
} style;

static const style plain = {"PASS", "FAIL", "SKIP", "INC?", "", "", ""};
static const style color = {"\033[32m\xe2\x9c\x93\033[0m   ",
                            "\033[31m\xe2\x9c\x97\033[0m   ",
                            "\033[33m-\033[0m   ",
                            "\033[33m?\033[0m   ",
                            "\033[1m",
                            "\033[2m",
                            "\033[0m"};

#define CONSOLE_STALLS_SHOWN 5

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

/* Per user, the rule and frame of the last transcript excerpt printed, so a user failing
 * several rules at the same frame (a refused connection fails GP-CONNECT and GP-COMPLETION)
 * has its transcript printed once. */
typedef struct shown_tail {
    int rule; /* -1: none yet */
    size_t frame;
} shown_tail;

/* "user ID (#n), step s, frame f", then what was expected and what arrived. */
static void example_head(FILE *out, const gp_results *r, const gp_failure *f)
{
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
}

static void failing_rule(FILE *out, const gp_suite *s, gp_rule rule, const gp_console_opts *o,
                         const style *st, shown_tail *shown_tails)
{
    const gp_results *r = s->results;
    const gp_rule_result *rr = &r->rules[rule];
    size_t i, shown = rr->nexamples < o->max_users_per_rule ? rr->nexamples : o->max_users_per_rule;

    fprintf(out, "\n%s%s%s  %zu of %zu users failed: %s\n", st->bold, gp_rule_id(rule), st->off,
            rr->failed, rr->checked, gp_rule_title(rule));
    for (i = 0; i < shown; i++) {
        const gp_failure *f = &rr->examples[i];
        gp_rep tail;

        example_head(out, r, f);
        fputc('\n', out);
        if (o->tail_frames == 0)
            continue;
        if (shown_tails && f->user < r->nusers && shown_tails[f->user].rule >= 0) {
            const gp_transcript *t = gp_suite_transcript(s, f->user);
            size_t last = shown_tails[f->user].frame;

            /* The same excerpt as before: same focus, or a whole short transcript. */
            if (last == f->frame || (t && t->nframes <= o->tail_frames)) {
                fprintf(out, "    %stranscript as above under %s%s\n", st->dim,
                        gp_rule_id((gp_rule)shown_tails[f->user].rule), st->off);
                continue;
            }
        }
        if (shown_tails && f->user < r->nusers) {
            shown_tails[f->user].rule = (int)rule;
            shown_tails[f->user].frame = f->frame;
        }
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

/* A rule with no verdict for some users: the harness stalled while they waited, so the server
 * is not blamed; what a person can do about it, then the first users with the would-be
 * failure and its cause. */
static void inconclusive_rule(FILE *out, const gp_suite *s, gp_rule rule, const gp_console_opts *o,
                              const style *st)
{
    const gp_results *r = s->results;
    const gp_rule_result *rr = &r->rules[rule];
    size_t i, shown = rr->ninconclusive < o->max_users_per_rule ? rr->ninconclusive
                                                                : o->max_users_per_rule;

    fprintf(out, "\n%s%s%s  INCONCLUSIVE for %zu of %zu users: %s\n", st->bold, gp_rule_id(rule),
            st->off, rr->inconclusive, rr->checked, gp_rule_title(rule));
    /* A stall of the harness's loop is the usual reason, with its own hint; a connection the
     * harness had to cut (see each cause) is the other. */
    for (i = 0; i < rr->ninconclusive; i++)
        if (!rr->inconclusive_examples[i].cause ||
            strstr(rr->inconclusive_examples[i].cause, "stalled"))
            break;
    if (i < rr->ninconclusive || !rr->ninconclusive) {
        fprintf(out, "  the harness itself fell behind while these users waited: no verdict on "
                     "the server\n");
        fprintf(out, "  %shint:%s %s\n", st->bold, st->off, GP_INCONCLUSIVE_HINT);
    } else {
        fprintf(out, "  the harness could not judge these users (the cause says why): no verdict "
                     "on the server\n");
    }
    for (i = 0; i < shown; i++) {
        const gp_failure *f = &rr->inconclusive_examples[i];

        example_head(out, r, f);
        fputs("\n    cause:    ", out);
        safe(out, f->cause ? f->cause : "the harness fell behind");
        fputc('\n', out);
    }
    if (rr->inconclusive > shown)
        fprintf(out, "  ... and %zu more users\n", rr->inconclusive - shown);
}

/* The harness's own lag and CPU, and its first stall windows (ms since the run began). */
/* The load shape (issue 9): what a soak iterated, what an open model's arrivals became. */
static void load_line(FILE *out, const gp_suite *s)
{
    const gp_shape *sh = &s->meta.scenario->users.shape;

    if (gp_shape_open(sh) && sh->rate_stages) {
        size_t k;

        fprintf(out, "load:     open model, rate stages from %.3g/s", sh->rate_per_s);
        for (k = 0; k < sh->nstages; k++)
            fprintf(out, "%s%.1f s to %.3g/s", k ? ", " : " then ",
                    (double)sh->stages[k].duration_us / 1e6, sh->stages[k].rate_per_s);
        fprintf(out, " (%s)", sh->arrivals == GP_ARRIVALS_POISSON ? "poisson" : "even");
        if (sh->max_active)
            fprintf(out, ", max_active %u", sh->max_active);
        fprintf(out, ": %zu arrivals, %zu dropped arrivals\n", s->meta.arrivals,
                s->meta.dropped_arrivals);
    } else if (gp_shape_open(sh)) {
        fprintf(out, "load:     open model, %.3g/s (%s) for %.1f s", sh->rate_per_s,
                sh->arrivals == GP_ARRIVALS_POISSON ? "poisson" : "even",
                (double)sh->duration_us / 1e6);
        if (sh->max_active)
            fprintf(out, ", max_active %u", sh->max_active);
        fprintf(out, ": %zu arrivals, %zu dropped arrivals\n", s->meta.arrivals,
                s->meta.dropped_arrivals);
    } else if (sh->nstages) {
        size_t k;

        fputs("load:     stages", out);
        for (k = 0; k < sh->nstages; k++)
            fprintf(out, "%s%.1f s to %u", k ? ", " : " ", (double)sh->stages[k].duration_us / 1e6,
                    sh->stages[k].target);
        fprintf(out, " users: %zu iterations judged\n", s->nts);
    } else if (gp_shape_soak(sh)) {
        fprintf(out, "load:     soak for %.1f s, pause %.1f", (double)sh->duration_us / 1e6,
                (double)sh->pause_min_us / 1e6);
        if (sh->pause_max_us > sh->pause_min_us)
            fprintf(out, "-%.1f", (double)sh->pause_max_us / 1e6);
        fprintf(out, " s: %zu iterations judged\n", s->nts);
    }
}

static void harness_line(FILE *out, const gp_health *h)
{
    char line[256];
    size_t i;

    gp_rep_health_line(h, line, sizeof line);
    fprintf(out, "harness:  %s\n", line);
    for (i = 0; i < h->nstalls && i < CONSOLE_STALLS_SHOWN; i++)
        fprintf(out, "%s%.1f-%.1f ms (lag %.1f ms)",
                i ? ", " : "          stalls: ", (double)h->stalls[i].from_us / 1000.0,
                (double)h->stalls[i].to_us / 1000.0, (double)h->stalls[i].lag_us / 1000.0);
    if (h->nstalls > CONSOLE_STALLS_SHOWN)
        fprintf(out, ", ... %zu more", h->nstalls - CONSOLE_STALLS_SHOWN);
    if (h->nstalls)
        fputc('\n', out);
}

/* Which request got the first refusal: the upgrade, or one of the runner's HTTP requests
 * before it (its error text names them: "the ticket request got HTTP 401"). */
enum refused_by { BY_UPGRADE, BY_TICKET, BY_TEST_AUTH };

/* Users whose connect with a valid credential was answered with HTTP 401/403; *status gets
 * the first such status and *by the request that got it. The runner's connect marker says
 * which credential it presented. */
static size_t auth_refusals(const gp_suite *s, int *status, enum refused_by *by)
{
    size_t u, i, n = 0;

    for (u = 0; u < s->nts; u++) {
        const gp_transcript *t = s->ts[u];
        bool valid = false;

        for (i = 0; t && i < t->nframes; i++) {
            const gp_frame *f = &t->frames[i];

            if (f->kind == GP_FR_CONNECT)
                valid = f->data && strstr(f->data, "credential: valid") != NULL;
            else if (f->kind == GP_FR_CONN_ERROR && valid && (f->code == 401 || f->code == 403)) {
                if (!n) {
                    *status = f->code;
                    *by = f->data && strstr(f->data, "the ticket request got HTTP") ? BY_TICKET
                          : f->data && strstr(f->data, "the test-auth token request got HTTP")
                              ? BY_TEST_AUTH
                              : BY_UPGRADE;
                }
                n++;
                break;
            }
        }
    }
    return n;
}

/* Real servers refuse tokens that lack claims they need: the real ticket route answers 401
 * to a token without email (docs/scenarios.md lists the common ones). */
#define CLAIMS_ADVICE                                                                              \
    "the claims the server requires (commonly sub, email, iss, exp and iat; some servers also "    \
    "want roles or permissions, jti or type)"

/* The hint for a valid credential refused with HTTP 401/403 by the upgrade, the ticket
 * endpoint or the test-auth endpoint. */
static void auth_hint(FILE *out, const gp_suite *s, const style *st, int status, size_t nauth,
                      enum refused_by by)
{
    const gp_scenario *sc = s->meta.scenario;
    const char *secret = sc && sc->auth.secret_env ? sc->auth.secret_env : "GOLDENPATH_JWT_SECRET";

    if (by == BY_TEST_AUTH) {
        fprintf(out,
                "\n%shint:%s the test-auth endpoint (auth.url) answered HTTP %d for %zu of %zu "
                "users: check that %s holds its bypass key, and that it accepts the user's "
                "auth.email and auth.name (the token it returns carries them as claims; servers "
                "commonly require an email)\n",
                st->bold, st->off, status, nauth, s->results->nusers,
                sc && sc->auth.bypass_key_env ? sc->auth.bypass_key_env : "GOLDENPATH_BYPASS_KEY");
        return;
    }
    if (by == BY_TICKET)
        fprintf(out,
                "\n%shint:%s the ticket endpoint (target.ticket_url) answered HTTP %d to the valid "
                "token of %zu of %zu users: ",
                st->bold, st->off, status, nauth, s->results->nusers);
    else
        fprintf(out,
                "\n%shint:%s the server answered HTTP %d to the valid credential of %zu of %zu "
                "users: ",
                st->bold, st->off, status, nauth, s->results->nusers);
    if (!sc || sc->auth.kind == GP_AUTH_JWT)
        fprintf(out,
                "check that %s holds the secret the server validates with, that auth.claims "
                "carries " CLAIMS_ADVICE,
                secret);
    else if (sc->auth.kind == GP_AUTH_ENV_TOKEN)
        fprintf(out, "check the token in %s (valid, not expired, with " CLAIMS_ADVICE ")",
                sc->auth.token_env ? sc->auth.token_env : "auth.token_env");
    else if (sc->auth.kind == GP_AUTH_TOKEN_FILE)
        fputs("check the tokens in auth.file (valid, not expired, with " CLAIMS_ADVICE ")", out);
    else if (sc->auth.kind == GP_AUTH_E2E)
        fputs("the token from the test-auth endpoint may lack " CLAIMS_ADVICE
              "; check the user's auth.email",
              out);
    else
        fputs("the scenario sends no credential (auth: {kind: none})", out);
    if (sc && by == BY_UPGRADE) {
        static const gp_carrier others[] = {GP_CARRIER_BEARER, GP_CARRIER_SUBPROTOCOL,
                                            GP_CARRIER_QUERY};
        size_t k, m = 0;

        fprintf(out, ", and that the server takes it where target.carrier puts it (%s; or ",
                gp_carrier_name(sc->target.carrier));
        for (k = 0; k < 3; k++)
            if (others[k] != sc->target.carrier)
                fprintf(out, "%s%s", m++ ? ", " : "", gp_carrier_name(others[k]));
        fputc(')', out);
    }
    fputs("\n", out);
}

/* One line per likely cause a person can fix on their side: the credential, the address, the
 * ready frame. Names variables and keys, never their values. */
static void hints(FILE *out, const gp_suite *s, const style *st)
{
    const gp_results *r = s->results;
    int status = 0;
    enum refused_by by = BY_UPGRADE;
    size_t nauth = auth_refusals(s, &status, &by);
    uint64_t refused = r->causes[GP_CAUSE_CONN_REFUSED],
             noready = r->causes[GP_CAUSE_CONNECT_TIMEOUT];

    if (nauth)
        auth_hint(out, s, st, status, nauth, by);
    if (refused) {
        fprintf(out, "\n%shint:%s %llu of %zu users could not open a connection to ", st->bold,
                st->off, (unsigned long long)refused, r->nusers);
        safe(out, s->meta.target ? s->meta.target : "?");
        fputs(": is the server running there, and is the URL (--target or target.url) right?\n",
              out);
    }
    if (noready)
        fprintf(out,
                "\n%shint:%s %llu users connected but got no ready frame in time: if the server "
                "greets with another type, list it under protocol.ready\n",
                st->bold, st->off, (unsigned long long)noready);
}

/* A merged report's shards: one line each, and the leaks only the merge could see. */
static void shards_console(FILE *out, const gp_suite *s)
{
    const gp_run_meta *m = &s->meta;
    int64_t spread, lo = gp_rep_shards_start(m, &spread);
    size_t i;

    fprintf(out, "shards:   %zu (from %s); first users started within %.1f ms of each other\n",
            m->nshards, m->shards[0].shard.source, (double)spread / 1000.0);
    fprintf(out, "  %-9s %7s %7s  %-24s %9s %9s %9s\n", "shard", "users", "passed",
            "first user started", "offset", "lag p99", "lag max");
    for (i = 0; i < m->nshards; i++) {
        const gp_shard_row *r = &m->shards[i];
        char when[40] = "-", idx[32], off[32] = "-", p99[32] = "-", max[32] = "-";

        snprintf(idx, sizeof idx, "%u/%u", r->shard.index, r->shard.count);
        if (r->first_user_at_us) {
            gp_iso8601_format(r->first_user_at_us, true, when, sizeof when);
            snprintf(off, sizeof off, "+%.1f ms", (double)(r->first_user_at_us - lo) / 1000.0);
        }
        if (r->lag_known) {
            snprintf(p99, sizeof p99, "%.1f ms", (double)r->lag_p99_us / 1000.0);
            snprintf(max, sizeof max, "%.1f ms", (double)r->lag_max_us / 1000.0);
        }
        fprintf(out, "  %-9s %7zu %7zu  %-24s %9s %9s %9s\n", idx, r->users, r->users_passed, when,
                off, p99, max);
    }
    if (m->shard_leaks && m->shard_leaks->total) {
        fprintf(out, "cross-shard leaks: %zu (a user received what a user of another shard owns)\n",
                m->shard_leaks->total);
        for (i = 0; i < m->shard_leaks->n && i < 3; i++) {
            const gp_failure *f = &m->shard_leaks->examples[i];

            fputs("  ", out);
            safe(out, f->user < s->results->nusers ? s->results->users[f->user].user_id : "?");
            fputs(" received ", out);
            safe(out, f->received);
            fputc('\n', out);
        }
    }
}

static void suite_console(FILE *out, const gp_suite *s, const gp_console_opts *o, const style *st)
{
    const gp_results *r = s->results;
    const char *name =
        s->meta.scenario && s->meta.scenario->name ? s->meta.scenario->name : "unnamed";
    size_t i, upassed, ufailed, uinconclusive, unot, nfailed_rules = 0, ninc_rules = 0;
    char when[40];
    bool any_cause = false, inc = gp_results_inconclusive(r);

    gp_iso8601_format(s->meta.started_wall_us, false, when, sizeof when);
    fprintf(out, "%s== %s ==%s\n", st->bold, name, st->off);
    fputs("target:   ", out);
    safe(out, s->meta.target ? s->meta.target : "?");
    if (s->meta.proxy) {
        fputs("    through the proxy ", out);
        safe(out, s->meta.proxy);
    }
    fprintf(out, "\nusers:    %u    duration: %.1f s    started: %sZ%s\n", s->meta.users,
            (double)s->meta.duration_us / 1e6, when,
            s->meta.interrupted ? "    INTERRUPTED before the end" : "");
    {
        char link[200];

        gp_rep_connection_line(r, link, sizeof link);
        fprintf(out, "link:     %s\n", link);
    }
    if (gp_rep_health_known(s->meta.health))
        harness_line(out, s->meta.health);
    if (s->meta.scenario)
        load_line(out, s);
    if (s->meta.nshards)
        shards_console(out, s);
    /* The inconclusive column appears only when there is something in it, so the table of an
     * ordinary run reads as it always did. */
    if (inc)
        fprintf(out, "\n       %-22s %7s %7s %8s %7s  %s\n", "rule", "passed", "failed", "inconcl.",
                "checked", "title");
    else
        fprintf(out, "\n       %-22s %7s %7s %7s  %s\n", "rule", "passed", "failed", "checked",
                "title");
    for (i = 0; i < GP_RULE__COUNT; i++) {
        const gp_rule_result *rr = &r->rules[i];
        const char *mark = rr->checked == 0   ? st->skip
                           : rr->failed       ? st->fail
                           : rr->inconclusive ? st->inconclusive
                                              : st->pass;

        if (inc)
            fprintf(out, "  %s %-22s %7zu %7zu %8zu %7zu  %s\n", mark, gp_rule_id((gp_rule)i),
                    rr->passed, rr->failed, rr->inconclusive, rr->checked,
                    gp_rule_title((gp_rule)i));
        else
            fprintf(out, "  %s %-22s %7zu %7zu %7zu  %s\n", mark, gp_rule_id((gp_rule)i),
                    rr->passed, rr->failed, rr->checked, gp_rule_title((gp_rule)i));
    }
    {
        shown_tail *tails = gp_calloc(r->nusers ? r->nusers : 1, sizeof *tails);

        for (i = 0; i < r->nusers; i++)
            tails[i].rule = -1;
        for (i = 0; i < GP_RULE__COUNT; i++)
            if (r->rules[i].failed)
                failing_rule(out, s, (gp_rule)i, o, st, tails);
        free(tails);
    }
    for (i = 0; i < GP_RULE__COUNT; i++)
        if (r->rules[i].inconclusive)
            inconclusive_rule(out, s, (gp_rule)i, o, st);
    fprintf(out, "\nlatency (ms)       %8s %10s %10s %10s %10s\n", "count", "p50", "p95", "p99",
            "max");
    for (i = 0; i < GP_EV_GOLDEN_COUNT; i++)
        hist_row(out, gp_event_type_name((gp_event_type)i), &r->latency[i]);
    hist_row(out, "run_duration", &r->run_duration);
    hist_row(out, "tool_duration", &r->tool_duration);
    hist_row(out, "gaps", &r->gaps);
    if (r->series && s->meta.duration_us > GP_SERIES_CONSOLE_MIN_US) {
        fputc('\n', out);
        gp_series_print(out, r->series, GP_SERIES_CONSOLE_ROWS);
    }
    fputs("\ncauses:  ", out);
    for (i = 0; i < GP_CAUSE__COUNT; i++) {
        if (!r->causes[i])
            continue;
        fprintf(out, "%s%s %llu", any_cause ? ", " : "", gp_cause_name((gp_cause)i),
                (unsigned long long)r->causes[i]);
        any_cause = true;
    }
    fputs(any_cause ? "\n" : "none\n", out);
    hints(out, s, st);
    upassed = gp_results_count_users(r, GP_STATUS_PASSED);
    ufailed = gp_results_count_users(r, GP_STATUS_FAILED);
    uinconclusive = gp_results_count_users(r, GP_STATUS_INCONCLUSIVE);
    fprintf(out, "\n%s%s: %zu of %zu users passed; %zu failed", st->bold, name, upassed, r->nusers,
            ufailed);
    unot = gp_results_count_users(r, GP_STATUS_NOT_STARTED);
    for (i = 0; i < GP_RULE__COUNT; i++) {
        if (!r->rules[i].failed)
            continue;
        fprintf(out, "%s%s", nfailed_rules ? ", " : " (", gp_rule_id((gp_rule)i));
        nfailed_rules++;
    }
    if (nfailed_rules)
        fputc(')', out);
    if (inc) {
        fprintf(out, "; %zu inconclusive", uinconclusive);
        for (i = 0; i < GP_RULE__COUNT; i++) {
            if (!r->rules[i].inconclusive)
                continue;
            fprintf(out, "%s%s", ninc_rules ? ", " : " (", gp_rule_id((gp_rule)i));
            ninc_rules++;
        }
        fputs(": the harness fell behind)", out);
    }
    if (unot)
        fprintf(out, "; %zu not started", unot);
    fprintf(out, "%s%s\n", s->meta.interrupted ? "; interrupted" : "", st->off);
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
