/* report_junit.c - JUnit XML for CI dashboards: a testsuite per scenario, a testcase per rule,
 * failures naming each failing user with expected vs received, and the failing users'
 * transcript excerpts in system-out. A rule with no failure but inconclusive users (the harness
 * stalled) is an error of type "inconclusive", never a failure. Valid against
 * reports/schema/junit.xsd. */
#include <stdlib.h>
#include <string.h>

#include "report.h"
#include "report_util.h"

#define JUNIT_EXCERPT_USERS 5   /* transcripts shown per failing rule */
#define JUNIT_EXCERPT_FRAMES 12 /* frames per transcript */
#define JUNIT_TEXT_MAX 300      /* bytes of each frame's text */

static void attr(gp_rep *r, const char *name, const char *value)
{
    gp_rep_printf(r, " %s=\"", name);
    gp_rep_xml(r, value ? value : "", value ? strlen(value) : 0);
    gp_rep_puts(r, "\"");
}

static void text_elem(gp_rep *r, const char *indent, const char *tag, const gp_rep *body)
{
    gp_rep_printf(r, "%s<%s>", indent, tag);
    gp_rep_xml(r, body->b.data, body->b.len);
    gp_rep_printf(r, "</%s>\n", tag);
}

static const char *user_name(const gp_results *r, size_t user, char *buf, size_t size)
{
    if (user < r->nusers && r->users[user].user_id)
        snprintf(buf, size, "%s (#%zu)", r->users[user].user_id, user);
    else
        snprintf(buf, size, "#%zu", user);
    return buf;
}

/* A rule is an error rather than a failure when only the harness's stalls stand in its way. */
static bool rule_inconclusive(const gp_rule_result *rr)
{
    return rr->checked && !rr->failed && rr->inconclusive;
}

static void redacted_attr(gp_rep *r, const char *name, const gp_rep *text)
{
    char *m = gp_strndup(text->b.data ? text->b.data : "", text->b.len > 1000 ? 1000 : text->b.len);
    char *red = gp_redact(m, strlen(m));

    attr(r, name, red);
    free(red);
    free(m);
}

static void redacted_text(gp_rep *r, const gp_rep *text)
{
    char *red = gp_redact(text->b.data ? text->b.data : "", text->b.len);

    gp_rep_xml(r, red, strlen(red));
    free(red);
}

/* Appends the inconclusive users of a rule: who, the would-be failure, and why no verdict. */
static void inconclusive_body(gp_rep *body, const gp_results *res, const gp_rule_result *rr)
{
    char who[160];
    size_t i;

    for (i = 0; i < rr->ninconclusive; i++) {
        const gp_failure *f = &rr->inconclusive_examples[i];

        gp_rep_printf(body, "user %s", user_name(res, f->user, who, sizeof who));
        if (f->step >= 0)
            gp_rep_printf(body, ", step %d", f->step);
        if (f->frame != GP_NO_FRAME)
            gp_rep_printf(body, ", frame %zu", f->frame);
        gp_rep_printf(body, " (inconclusive)\n  expected: %s\n  received: %s\n  cause: %s\n",
                      f->expected, f->received, f->cause ? f->cause : "the harness fell behind");
    }
    if (rr->inconclusive > rr->ninconclusive)
        gp_rep_printf(body, "... and %zu more inconclusive users\n",
                      rr->inconclusive - rr->ninconclusive);
}

static void inconclusive_case(gp_rep *r, const gp_results *res, const gp_rule_result *rr)
{
    gp_rep msg, body;

    gp_rep_init(&msg, 4096);
    gp_rep_init(&body, GP_REPORT_MAX_BYTES);
    gp_rep_printf(
        &msg, "%zu of %zu users inconclusive: %s; hint: %s", rr->inconclusive, rr->checked,
        rr->ninconclusive && rr->inconclusive_examples[0].cause ? rr->inconclusive_examples[0].cause
                                                                : "the harness fell behind",
        GP_INCONCLUSIVE_HINT);
    inconclusive_body(&body, res, rr);
    gp_rep_puts(r, ">\n      <error");
    redacted_attr(r, "message", &msg);
    attr(r, "type", "inconclusive");
    gp_rep_puts(r, ">");
    redacted_text(r, &body);
    gp_rep_puts(r, "</error>\n    </testcase>\n");
    if (body.overflow)
        r->overflow = true;
    gp_rep_cleanup(&msg);
    gp_rep_cleanup(&body);
}

static void rule_case(gp_rep *r, const gp_suite *s, const char *classname, gp_rule rule)
{
    const gp_results *res = s->results;
    const gp_rule_result *rr = &res->rules[rule];
    char *name = gp_asprintf("%s: %s", gp_rule_id(rule), gp_rule_title(rule)), who[160];
    gp_rep msg, body, out;
    size_t i;

    gp_rep_printf(r, "    <testcase");
    attr(r, "classname", classname);
    attr(r, "name", name);
    gp_rep_puts(r, " time=\"0\"");
    free(name);
    if (rr->checked == 0) {
        gp_rep_puts(r, ">\n      <skipped message=\"no user was checked by this rule\"/>\n"
                       "    </testcase>\n");
        return;
    }
    if (rule_inconclusive(rr)) {
        inconclusive_case(r, res, rr);
        return;
    }
    if (rr->failed == 0) {
        gp_rep_puts(r, "/>\n");
        return;
    }
    gp_rep_init(&msg, 4096);
    gp_rep_init(&body, GP_REPORT_MAX_BYTES);
    gp_rep_init(&out, GP_REPORT_MAX_BYTES);
    gp_rep_printf(&msg, "%zu of %zu users failed", rr->failed, rr->checked);
    if (rr->nexamples)
        gp_rep_printf(&msg, ": expected %s", rr->examples[0].expected);
    for (i = 0; i < rr->nexamples; i++) {
        const gp_failure *f = &rr->examples[i];

        gp_rep_printf(&body, "user %s", user_name(res, f->user, who, sizeof who));
        if (f->step >= 0)
            gp_rep_printf(&body, ", step %d", f->step);
        if (f->frame != GP_NO_FRAME)
            gp_rep_printf(&body, ", frame %zu", f->frame);
        gp_rep_printf(&body, "\n  expected: %s\n  received: %s\n", f->expected, f->received);
        if (i < JUNIT_EXCERPT_USERS) {
            gp_rep_printf(&out, "user %s:\n", who);
            gp_rep_transcript_excerpt(&out, gp_suite_transcript(s, f->user), f->frame,
                                      JUNIT_EXCERPT_FRAMES, JUNIT_TEXT_MAX, "  ");
        }
    }
    if (rr->failed > rr->nexamples)
        gp_rep_printf(&body, "... and %zu more users\n", rr->failed - rr->nexamples);
    /* Users without a verdict are named too, apart, so no one reads them as failures. */
    if (rr->inconclusive)
        inconclusive_body(&body, res, rr);
    gp_rep_puts(r, ">\n      <failure");
    redacted_attr(r, "message", &msg);
    attr(r, "type", gp_rule_id(rule));
    gp_rep_puts(r, ">");
    redacted_text(r, &body);
    gp_rep_puts(r, "</failure>\n");
    if (out.b.len)
        text_elem(r, "      ", "system-out", &out);
    gp_rep_puts(r, "    </testcase>\n");
    if (body.overflow || out.overflow)
        r->overflow = true;
    gp_rep_cleanup(&msg);
    gp_rep_cleanup(&body);
    gp_rep_cleanup(&out);
}

static void suite_xml(gp_rep *r, const gp_suite *s, size_t id, const char *host)
{
    const gp_results *res = s->results;
    const char *name =
        s->meta.scenario && s->meta.scenario->name ? s->meta.scenario->name : "unnamed";
    char when[40], *classname = gp_asprintf("goldenpath.%s", name), num[32];
    size_t i, failures = 0, skipped = 0, inconclusive = 0;
    int errors;

    for (i = 0; i < GP_RULE__COUNT; i++) {
        failures += res->rules[i].checked && res->rules[i].failed;
        skipped += res->rules[i].checked == 0;
        inconclusive += rule_inconclusive(&res->rules[i]);
    }
    errors = (s->meta.interrupted ? 1 : 0) + (int)inconclusive;
    gp_iso8601_format(s->meta.started_wall_us, false, when, sizeof when);
    gp_rep_puts(r, "  <testsuite");
    attr(r, "name", name);
    gp_rep_printf(r, " tests=\"%d\" failures=\"%zu\" errors=\"%d\" skipped=\"%zu\"",
                  GP_RULE__COUNT + (s->meta.interrupted ? 1 : 0), failures, errors, skipped);
    gp_rep_printf(r, " time=\"%.3f\"", (double)s->meta.duration_us / 1e6);
    attr(r, "timestamp", when);
    attr(r, "hostname", host);
    gp_rep_printf(r, " id=\"%zu\" package=\"goldenpath\">\n    <properties>\n", id);
#define PROP(k, v)                                                                                 \
    do {                                                                                           \
        gp_rep_puts(r, "      <property");                                                         \
        attr(r, "name", k);                                                                        \
        attr(r, "value", v);                                                                       \
        gp_rep_puts(r, "/>\n");                                                                    \
    } while (0)
    if (s->meta.target) {
        char *red = gp_redact(s->meta.target, strlen(s->meta.target));

        PROP("target", red);
        free(red);
    }
    if (s->meta.proxy)
        PROP("proxy", s->meta.proxy);
    if (s->meta.scenario) {
        PROP("digest", s->meta.scenario->digest);
        PROP("path", s->meta.scenario->path);
    }
    snprintf(num, sizeof num, "%u", s->meta.users);
    PROP("users", num);
    PROP("harness_version", s->meta.harness_version ? s->meta.harness_version : GP_VERSION);
    if (gp_rep_health_known(s->meta.health)) {
        char line[256];

        gp_rep_health_line(s->meta.health, line, sizeof line);
        PROP("harness", line);
    }
    for (i = 0; i < s->meta.nlabels; i++) {
        char *k = gp_asprintf("label.%s", s->meta.labels[i].key);

        PROP(k, s->meta.labels[i].value);
        free(k);
    }
#undef PROP
    gp_rep_puts(r, "    </properties>\n");
    for (i = 0; i < GP_RULE__COUNT; i++)
        rule_case(r, s, classname, (gp_rule)i);
    if (s->meta.interrupted) {
        size_t nnot = gp_results_count_users(res, GP_STATUS_NOT_STARTED);

        gp_rep_puts(r, "    <testcase");
        attr(r, "classname", classname);
        gp_rep_printf(r,
                      " name=\"GP-RUN: the run finished\" time=\"0\">\n"
                      "      <error message=\"interrupted by a signal before the run finished; "
                      "%zu of %zu users not started\" type=\"interrupted\"/>\n    </testcase>\n",
                      nnot, res->nusers);
    }
    gp_rep_puts(r, "  </testsuite>\n");
    free(classname);
}

int gp_report_write_junit(const char *path, const gp_suite *suites, size_t n,
                          const gp_report_ctx *ctx, gp_err *err)
{
    gp_rep r;
    const char *host = ctx->host && ctx->host[0] ? ctx->host : "localhost";
    size_t i, tests = 0, failures = 0, errors = 0, skipped = 0;
    double time = 0;
    for (i = 0; i < n; i++) {
        size_t k;

        tests += GP_RULE__COUNT + (suites[i].meta.interrupted ? 1 : 0);
        errors += suites[i].meta.interrupted ? 1 : 0;
        for (k = 0; k < GP_RULE__COUNT; k++) {
            failures += suites[i].results->rules[k].checked && suites[i].results->rules[k].failed;
            skipped += suites[i].results->rules[k].checked == 0;
            errors += rule_inconclusive(&suites[i].results->rules[k]);
        }
        time += (double)suites[i].meta.duration_us / 1e6;
    }
    gp_rep_init(&r, GP_REPORT_MAX_BYTES);
    gp_rep_printf(&r,
                  "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                  "<testsuites name=\"goldenpath\" tests=\"%zu\" failures=\"%zu\" errors=\"%zu\""
                  " skipped=\"%zu\" time=\"%.3f\">\n",
                  tests, failures, errors, skipped, time);
    for (i = 0; i < n; i++)
        suite_xml(&r, &suites[i], i, host);
    gp_rep_puts(&r, "</testsuites>\n");
    return gp_rep_save(&r, path, "JUnit", err);
}
