/* compare_cli.c - the thin "compare" and "merge" commands: parse argv, read the reports, call
 * gp_compare or gp_merge, and print (results on stdout, errors on stderr). Everything they
 * decide lives in compare.c and merge.c. */
#include <stdlib.h>
#include <string.h>

#include "compare.h"
#include "compare_cli.h"
#include "merge.h"
#include "report_read.h"

static const char compare_usage[] =
    "usage: goldenpath compare BASE.json HEAD.json [options]\n"
    "\n"
    "Compares two JSON reports of the same scenarios (written with --json) and exits 1 when\n"
    "HEAD regressed against BASE:\n"
    "  - a rule that passed in BASE fails in HEAD;\n"
    "  - a latency percentile grew beyond its limit AND beyond run-to-run noise;\n"
    "  - the share of failing users grew beyond the error_rate limit;\n"
    "  - coverage shrank: an event type, rule or tool exercised in BASE is missing in HEAD;\n"
    "  - HEAD did less: it was interrupted, or ran fewer users or runs than BASE;\n"
    "  - with --max-drift, a latency drifted up within HEAD's own run.\n"
    "\n"
    "options:\n"
    "  --max-regression KEY=LIMIT  may repeat. KEY is p50, p90, p95, p99 or max (applied to the\n"
    "                              latency of every event type, run_duration, tool_duration and\n"
    "                              gaps) or error_rate. LIMIT is relative (p95=20%: HEAD may be\n"
    "                              at most 20% above BASE) or absolute (p99=+50ms; a duration\n"
    "                              such as 250ms, 1.5s). error_rate takes percentage points\n"
    "                              (error_rate=+2%).\n"
    "  --max-drift METRIC=LIMIT    may repeat. Flags a drift within HEAD: METRIC (p50, p90,\n"
    "                              p95, p99 or max) of each event type's latency over the last\n"
    "                              fifth of HEAD's run may exceed the first fifth by at most\n"
    "                              LIMIT, a percentage (p95=25%) or an increase (p95=+40ms).\n"
    "                              Each fifth merges n/5 whole intervals of the report's series\n"
    "                              (n intervals, --interval of run); below 5 intervals a NOTE\n"
    "                              says drift cannot be judged (exit 0). No default; noise as\n"
    "                              below, between the two fifths\n"
    "  --no-default-limits         apply only the --max-regression limits given (without any,\n"
    "                              latencies and the error rate are shown, not judged)\n"
    "  --junit FILE                write the checks as JUnit XML\n"
    "  --json FILE                 write the checks as JSON (format goldenpath-compare)\n"
    "  --markdown FILE             write the table as Markdown, e.g. for a pull-request\n"
    "                              comment (text from the reports is escaped)\n"
    "  --help                      show this help\n"
    "\n"
    "default limits: p50=25% and p95=50% for every latency, and error_rate=+1%. Any latency\n"
    "--max-regression replaces both latency defaults, an error_rate one the error_rate\n"
    "default; --no-default-limits drops them all.\n"
    "\n"
    "noise: two runs of the same release differ. For p50, p90, p95 and p99 compare resamples\n"
    "both runs from their histograms (a bootstrap, 200 resamples, fixed seed) and takes the\n"
    "95% interval of the difference; a shift whose interval reaches zero, or below 1 ms,\n"
    "6.25% of BASE or the harness's own loop lag p99 in either run, is printed \"within\n"
    "noise\" and is never a regression, whatever the limit. max is one sample and is judged\n"
    "on its limit alone.\n"
    "\n"
    "A scenario whose file changed between BASE and HEAD (another digest) is still compared,\n"
    "with a WARNING on stderr, in the table and in --junit/--json: a difference may then come\n"
    "from the scenario rather than the server.\n"
    "\n"
    "exit status: 0 no regression, 1 regression, 2 bad usage or reports that cannot be\n"
    "compared (unreadable, wrong format or version, different scenario names or count),\n"
    "3 an output file could not be written.\n";

static const char merge_usage[] =
    "usage: goldenpath merge A.json B.json... -o ALL.json [--junit F] [--html F]\n"
    "\n"
    "Merges JSON reports of the same scenarios run in parts (for example CI shards) into one:\n"
    "rule and cause counts add, latency histograms merge exactly, users are concatenated\n"
    "(indices of later parts shift past earlier ones) and failure examples and transcripts\n"
    "are concatenated up to the report's bounds. The harness's health takes the worst loop\n"
    "lag, adds CPU time and workers, and keeps every stall (on the merged run's clock).\n"
    "\n"
    "Reports of 'goldenpath run --shard' must be all the shards of one run, each once (any\n"
    "order): users keep their indexes, and isolation is judged again across shards, so a\n"
    "user that received an event of another shard's user fails GP-R6-ISOLATION. The summary\n"
    "(printed for shards) and the reports add a per-shard table.\n"
    "\n"
    "options:\n"
    "  -o, --output FILE  the merged report (required)\n"
    "  --junit FILE       also write the merged JUnit XML\n"
    "  --html FILE        also write the merged HTML report\n"
    "  --help             show this help\n"
    "\n"
    "environment: SOURCE_DATE_EPOCH (whole seconds since the epoch) is the merged reports'\n"
    "generation time instead of now, and their host is then \"localhost\" (reproducible\n"
    "reports); an invalid value is a usage error (exit 2).\n"
    "\n"
    "exit status (the merged run's verdict, as run gives it): 0 merged and every check passed;\n"
    "1 merged, and a check failed (or a part was interrupted); 2 bad usage, unreadable reports,\n"
    "reports of different scenarios, or shards that are not exactly the shards of one run\n"
    "(duplicate, missing, mixed counts); 3 the output could not be written, or merged with\n"
    "inconclusive verdicts and no failure.\n";

/* Prints err for command cmd on stderr and returns code, the exit status. */
static int fail(const char *cmd, const gp_err *err, int code)
{
    char buf[1200];

    gp_err_format(err, buf, sizeof buf);
    fprintf(stderr, "goldenpath %s: %s\n", cmd, buf[0] ? buf : "failed");
    return code;
}

int gp_compare_main(int argc, char **argv)
{
    gp_compare_opts o;
    const char *paths[2] = {NULL, NULL}, *junit = NULL, *jsonp = NULL, *md = NULL;
    size_t npaths = 0, i;
    gp_report_doc *b = NULL, *h = NULL;
    gp_comparison *c = NULL;
    gp_err err = {0};
    json_t *w;
    int rc = GP_EXIT_USAGE, a;

    memset(&o, 0, sizeof o);
    for (a = 1; a < argc; a++) {
        static const char *const valued[] = {"--max-regression", "--junit", "--json", "--markdown",
                                             "--max-drift"};
        const char *arg = argv[a], *val = NULL;
        size_t k, nlen;

        if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
            fputs(compare_usage, stdout);
            return GP_EXIT_OK;
        }
        if (strcmp(arg, "--no-default-limits") == 0) {
            o.no_default_limits = true;
            continue;
        }
        nlen = strchr(arg, '=') ? (size_t)(strchr(arg, '=') - arg) : strlen(arg);
        for (k = 0; k < sizeof valued / sizeof *valued; k++)
            if (strlen(valued[k]) == nlen && strncmp(arg, valued[k], nlen) == 0)
                break;
        if (k < sizeof valued / sizeof *valued) {
            if (arg[nlen] == '=') {
                val = arg + nlen + 1;
            } else if (a + 1 < argc) {
                val = argv[++a];
            } else {
                fprintf(stderr, "goldenpath compare: %s needs a value\n", arg);
                return GP_EXIT_USAGE;
            }
            if (k == 0) {
                if (o.nlimits == GP_COMPARE_MAX_LIMITS) {
                    fprintf(stderr, "goldenpath compare: at most %d --max-regression\n",
                            GP_COMPARE_MAX_LIMITS);
                    return GP_EXIT_USAGE;
                }
                if (gp_compare_parse_limit(val, &o.limits[o.nlimits], &err) != 0)
                    return fail("compare", &err, GP_EXIT_USAGE);
                o.nlimits++;
            } else if (k == 4) {
                if (o.ndrifts == GP_COMPARE_MAX_LIMITS) {
                    fprintf(stderr, "goldenpath compare: at most %d --max-drift\n",
                            GP_COMPARE_MAX_LIMITS);
                    return GP_EXIT_USAGE;
                }
                if (gp_compare_parse_drift(val, &o.drifts[o.ndrifts], &err) != 0)
                    return fail("compare", &err, GP_EXIT_USAGE);
                o.ndrifts++;
            } else {
                *(k == 1 ? &junit : k == 2 ? &jsonp : &md) = val;
            }
            continue;
        }
        if (arg[0] == '-' && arg[1]) {
            fprintf(stderr, "goldenpath compare: unknown option %s (see --help)\n", arg);
            return GP_EXIT_USAGE;
        }
        if (npaths == 2) {
            fprintf(stderr, "goldenpath compare: expected two reports, got a third: %s\n", arg);
            return GP_EXIT_USAGE;
        }
        paths[npaths++] = arg;
    }
    if (npaths != 2) {
        fputs("goldenpath compare: expected BASE.json and HEAD.json (see --help)\n", stderr);
        return GP_EXIT_USAGE;
    }
    o.base_name = paths[0];
    o.head_name = paths[1];
    b = gp_report_read(paths[0], &err);
    if (b)
        h = gp_report_read(paths[1], &err);
    if (b && h)
        c = gp_compare(b, h, &o, &err);
    if (!c) {
        rc = fail("compare", &err, GP_EXIT_USAGE);
        goto out;
    }
    json_array_foreach(c->warnings, i, w)
        fprintf(stderr, "goldenpath compare: %s\n", json_string_value(w));
    gp_compare_print(stdout, c);
    rc = gp_comparison_exit(c);
    if ((junit && gp_compare_write_junit(c, junit, &err) != 0) ||
        (jsonp && gp_compare_write_json(c, jsonp, &err) != 0) ||
        (md && gp_compare_write_markdown(c, md, &err) != 0))
        rc = fail("compare", &err, GP_EXIT_INTERNAL);
out:
    gp_comparison_free(c);
    gp_report_doc_free(b);
    gp_report_doc_free(h);
    return rc;
}

int gp_merge_main(int argc, char **argv)
{
    const char **paths = gp_calloc((size_t)(argc > 0 ? argc : 1), sizeof *paths);
    const char *out = NULL, *junit = NULL, *html = NULL;
    gp_report_doc **docs = NULL;
    gp_merged *m = NULL;
    gp_report_ctx ctx;
    char host[256];
    gp_err err = {0};
    size_t n = 0, d;
    int a, rc = GP_EXIT_USAGE;

    for (a = 1; a < argc; a++) {
        if (strcmp(argv[a], "--help") == 0 || strcmp(argv[a], "-h") == 0) {
            fputs(merge_usage, stdout);
            free(paths);
            return GP_EXIT_OK;
        } else if (strcmp(argv[a], "-o") == 0 || strcmp(argv[a], "--output") == 0) {
            if (a + 1 >= argc) {
                fprintf(stderr, "goldenpath merge: %s needs a file\n", argv[a]);
                goto out;
            }
            out = argv[++a];
        } else if (strncmp(argv[a], "--output=", 9) == 0) {
            out = argv[a] + 9;
        } else if (strcmp(argv[a], "--junit") == 0 || strcmp(argv[a], "--html") == 0) {
            if (a + 1 >= argc) {
                fprintf(stderr, "goldenpath merge: %s needs a file\n", argv[a]);
                goto out;
            }
            *(argv[a][2] == 'j' ? &junit : &html) = argv[a + 1];
            a++;
        } else if (argv[a][0] == '-' && argv[a][1]) {
            fprintf(stderr, "goldenpath merge: unknown option %s (see --help)\n", argv[a]);
            goto out;
        } else {
            paths[n++] = argv[a];
        }
    }
    if (!out || n == 0) {
        fputs("goldenpath merge: expected reports to merge and -o FILE (see --help)\n", stderr);
        goto out;
    }
    if (gp_report_ctx_from_env(&ctx, NULL, host, sizeof host, &err) != 0) {
        rc = fail("merge", &err, GP_EXIT_USAGE);
        goto out;
    }
    docs = gp_calloc(n, sizeof *docs);
    for (d = 0; d < n; d++) {
        docs[d] = gp_report_read(paths[d], &err);
        if (!docs[d]) {
            rc = fail("merge", &err, GP_EXIT_USAGE);
            goto out;
        }
    }
    m = gp_merge(docs, paths, n, &ctx, &err);
    if (!m) {
        rc = fail("merge", &err, GP_EXIT_USAGE);
        goto out;
    }
    if (gp_merged_write(m, out, junit, html, &err) != 0) {
        rc = fail("merge", &err, GP_EXIT_INTERNAL);
        goto out;
    }
    gp_merged_print_summary(stdout, m);
    printf("goldenpath merge: %zu %s merged into %s%s\n", n, m->sharded ? "shards" : "reports", out,
           m->failed         ? "; a check failed"
           : m->inconclusive ? "; some verdicts are inconclusive"
                             : "; every check passed");
    /* The merged run's verdict, as `run` would give it: CI gates on this. */
    rc = gp_merged_exit(m);
out:
    gp_merged_free(m);
    for (d = 0; docs && d < n; d++)
        gp_report_doc_free(docs[d]);
    free(docs);
    free(paths);
    return rc;
}
