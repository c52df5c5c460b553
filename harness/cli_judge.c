/* cli_judge.c - goldenpath judge: recorded transcripts or a browser capture judged offline,
 * without touching the network, and reported as a run is. */
#include "cli.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "har.h"
#include "judge.h"
#include "report_util.h"
#include "scenario.h"
#include "shard.h"
#include "timeseries.h"

static const char usage_judge[] =
    "usage: goldenpath judge SCENARIO.yaml TRANSCRIPTS.json [options]\n"
    "       goldenpath judge --har FILE.har [SCENARIO.yaml] [options]\n"
    "\n"
    "Judges transcripts recorded with 'goldenpath run --save-transcripts' without touching\n"
    "the network. Stalls of the harness saved with them make timing verdicts inconclusive,\n"
    "as in the run. The reports name the host and start time the run recorded (older\n"
    "recordings: this machine, and the file's modification time).\n"
    "\n"
    "options:\n"
    "  --junit FILE          write JUnit XML (a testcase per rule)\n"
    "  --json FILE           write the full JSON report (atomically)\n"
    "  --html FILE           write a self-contained HTML report\n"
    "  --markdown FILE       write the Markdown summary, as 'goldenpath run' does\n"
    "  --metrics FILE        write the OpenMetrics text, as 'goldenpath run' does\n"
    "  --interval D          the JSON report's time series interval (default 10s, shorter\n"
    "                        for runs under 50s so there are about 5 intervals)\n"
    "  --shard INDEX/COUNT   judge only the users whose index % COUNT == INDEX, as that shard\n"
    "                        of a run would have: its --json report carries the isolation\n"
    "                        digest that 'goldenpath merge' re-judges across shards. Judging a\n"
    "                        recording as every shard and merging shows, for exactly the same\n"
    "                        frames, what a sharded run reports against one process.\n"
    "  --har FILE.har        judge a browser's capture instead: every WebSocket entry\n"
    "                        (Chromium's _webSocketMessages) is one user; each message the\n"
    "                        page sent begins a run. The scenario's protocol section, timeouts\n"
    "                        and first expect_run apply; without one, the default protocol\n"
    "                        profile. Cookies, Authorization and token/ticket values are\n"
    "                        redacted as it is read. Captures above 64 MiB are refused.\n"
    "  -h, --help            show this help\n"
    "\n"
    "environment: SOURCE_DATE_EPOCH: whole seconds since the epoch (as 'date +%s' prints\n"
    "             them), the reports' generation time instead of now; an older recording's\n"
    "             host is then \"localhost\" and its start time at most this. The same\n"
    "             transcripts then give byte-identical JSON, JUnit and HTML reports. An\n"
    "             invalid value is a usage error (exit 2). Also NO_COLOR, and\n"
    "             GITHUB_ACTIONS=true: the summary is also appended to $GITHUB_STEP_SUMMARY\n"
    "             and failed rules are printed as ::error annotations.\n"
    "\n"
    "exit status: 0 all checks passed; 1 a check failed; 2 usage or input error;\n"
    "             3 no check failed but some are inconclusive.\n";

int cmd_judge(int argc, char **argv)
{
    static const struct option opts[] = {
        {"junit", required_argument, NULL, O_JUNIT},
        {"json", required_argument, NULL, O_JSON},
        {"html", required_argument, NULL, O_HTML},
        {"shard", required_argument, NULL, O_SHARD},
        {"har", required_argument, NULL, O_HAR},
        {"markdown", required_argument, NULL, O_MARKDOWN},
        {"metrics", required_argument, NULL, O_METRICS},
        {"interval", required_argument, NULL, O_INTERVAL},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    outputs out = {0};
    gp_err err = {0};
    int64_t interval_us = 0;
    gp_scenario *s = NULL;
    gp_shard shard = {0};
    gp_shard_info shard_info;
    gp_har *har = NULL;
    const char *har_path = NULL;
    char *har_source = NULL;
    gp_transcript **ts = NULL, **mine = NULL;
    size_t nmine = 0;
    gp_results *res = NULL;
    gp_suite suite;
    gp_console_opts co = {0};
    gp_health health = {0};
    gp_run_origin origin = {{0}, 0};
    gp_report_ctx ctx;
    char rep_host[GP_ORIGIN_HOST_MAX];
    size_t n = 0, i;
    int opt, rc = GP_EXIT_USAGE;

    optind = 1;
    while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        if (output_option(opt, optarg, &out))
            continue;
        switch (opt) {
        case 'h':
            fputs(usage_judge, stdout);
            return GP_EXIT_OK;
        case O_SHARD:
            if (gp_shard_parse(optarg, &shard, &err) != 0) {
                print_err(&err);
                return GP_EXIT_USAGE;
            }
            break;
        case O_HAR:
            har_path = optarg;
            break;
        case O_INTERVAL:
            if (parse_interval(optarg, &interval_us) != 0)
                return GP_EXIT_USAGE;
            break;
        default:
            fputs(usage_judge, stderr);
            return GP_EXIT_USAGE;
        }
    }
    if (har_path ? argc - optind > 1 : argc - optind != 2) {
        fputs(usage_judge, stderr);
        return GP_EXIT_USAGE;
    }
    if (har_path) {
        /* A capture: its WebSocket entries are the users, its messages the scenario's runs. */
        s = argc - optind == 1 ? gp_scenario_load_flags(argv[optind], GP_LOAD_OFFLINE, &err)
                               : gp_har_default_scenario(har_path, &err);
        if (!s ||
            !(har = gp_har_load(har_path, &s->profile,
                                argc - optind == 1 ? gp_har_message_type(s) : NULL, &err)) ||
            gp_har_scenario(s, har, &err) != 0 ||
            gp_report_ctx_from_env(&ctx, NULL, rep_host, sizeof rep_host, &err) != 0) {
            print_err(&err);
            goto out;
        }
        ts = har->ts;
        n = har->n;
        har->ts = NULL;
        har->n = 0;
    } else {
        s = gp_scenario_load_flags(argv[optind], GP_LOAD_OFFLINE, &err);
        if (!s ||
            gp_transcripts_load_origin(argv[optind + 1], &ts, &n, &health, &origin, &err) != 0 ||
            gp_report_ctx_from_env(&ctx, origin.host, rep_host, sizeof rep_host, &err) != 0) {
            print_err(&err);
            goto out;
        }
    }
    mine = gp_calloc(n ? n : 1, sizeof *mine);
    for (i = 0; i < n; i++)
        if (!shard.count || ts[i]->user_index % shard.count == shard.index)
            mine[nmine++] = ts[i];
    if (shard.count && !nmine) {
        fprintf(stderr, "goldenpath: shard %u/%u of %zu recorded users holds no user\n",
                shard.index, shard.count, n);
        goto out;
    }
    res = gp_judge_run_shard(s, mine, nmine, &health, shard.count);
    if (har)
        har_source = gp_asprintf("browser capture %s (%zu WebSocket entr%s of %zu)", har_path, n,
                                 n == 1 ? "y" : "ies", har->nentries);
    memset(&suite, 0, sizeof suite);
    suite.meta.harness_version = GP_VERSION;
    suite.meta.scenario = s;
    suite.meta.target = har ? har_source : "(recorded transcripts)";
    suite.meta.users = (unsigned)nmine;
    suite.meta.health = &health;
    if (shard.count) {
        memset(&shard_info, 0, sizeof shard_info);
        shard_info.shard = shard;
        shard_info.users_total = (unsigned)n;
        suite.meta.shard = &shard_info;
    }
    /* A capture has its start and duration. A recording has the run's start as recorded; an
     * older recording has none, so its file's time stands in (clamped to SOURCE_DATE_EPOCH,
     * as reproducible builds clamp file times, since a copy or checkout of the file changes
     * it), and its longest transcript for the duration, rather than 1970 and zero. */
    if (har) {
        suite.meta.started_wall_us = har->started_wall_us;
        suite.meta.duration_us = har->duration_us;
    } else {
        struct stat st;
        size_t u;
        const char *sde = getenv("SOURCE_DATE_EPOCH");

        suite.meta.started_wall_us = origin.started_wall_us;
        if (!suite.meta.started_wall_us && stat(argv[optind + 1], &st) == 0) {
            suite.meta.started_wall_us = (int64_t)st.st_mtime * 1000000;
            if (sde && *sde && suite.meta.started_wall_us > ctx.generated_us)
                suite.meta.started_wall_us = ctx.generated_us;
        }
        for (u = 0; u < n; u++)
            if (ts[u]->nframes && ts[u]->frames[ts[u]->nframes - 1].t_us > suite.meta.duration_us)
                suite.meta.duration_us = ts[u]->frames[ts[u]->nframes - 1].t_us;
    }
    res->series =
        gp_series_build(res, mine, nmine, suite.meta.started_wall_us, suite.meta.duration_us,
                        gp_series_interval(suite.meta.duration_us, interval_us));
    gp_series_set_stages(res->series, &s->users.shape, s->users.shape.duration_us);
    suite.results = res;
    suite.ts = mine;
    suite.nts = nmine;
    co = console_opts();
    gp_report_console(stdout, &suite, 1, &co);
    if (write_reports(&out, &suite, 1, &ctx) != 0) {
        rc = GP_EXIT_INTERNAL;
        goto out;
    }
    ci_outputs(&suite, 1, NULL);
    rc = !gp_results_passed(res)        ? GP_EXIT_FAILED
         : gp_results_inconclusive(res) ? GP_EXIT_INCONCLUSIVE
                                        : GP_EXIT_OK;
out:
    gp_results_free(res);
    gp_health_cleanup(&health);
    for (i = 0; i < n; i++)
        gp_transcript_free(ts[i]);
    free(ts);
    free(mine);
    gp_scenario_free(s);
    gp_har_free(har);
    free(har_source);
    return rc;
}
