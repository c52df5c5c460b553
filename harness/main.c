/* main.c - the goldenpath command line: a thin layer over the modules. It parses options,
 * loads scenarios, runs them, judges, and hands results to the reporters. Results go to
 * stdout, errors and the live progress line to stderr. */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "compare_cli.h"
#include "har.h"
#include "infer.h"
#include "init_probe.h"
#include "judge.h"
#include "push.h"
#include "report.h"
#include "report_ci.h"
#include "report_util.h"
#include "runner.h"
#include "scenario.h"
#include "shard.h"
#include "timeseries.h"
#include "version.h"

static volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
    (void)sig;
    interrupted = 1;
}

static const char usage_main[] =
    "usage: goldenpath COMMAND [OPTIONS] [ARGS]\n"
    "       goldenpath --version | --help\n"
    "\n"
    "A conformance judge for servers that stream an AI agent's work over WebSockets.\n"
    "\n"
    "commands:\n"
    "  run SCENARIO.yaml...     drive simulated users through scenarios and judge them\n"
    "  check SCENARIO.yaml...   validate scenario files without connecting\n"
    "  judge SCENARIO.yaml TRANSCRIPTS.json\n"
    "                           judge recorded transcripts offline\n"
    "  judge --har FILE.har [SCENARIO.yaml]\n"
    "                           judge a browser's capture (DevTools \"Save all as HAR\")\n"
    "  init --target URL | --har FILE.har\n"
    "                           write a first scenario inferred from a live server or a capture\n"
    "  compare BASE.json HEAD.json\n"
    "                           compare two JSON reports; exit 1 on regression\n"
    "  merge A.json B.json... -o OUT.json\n"
    "                           merge reports of one scenario run in parts\n"
    "  rules                    list the rules and their stable ids\n"
    "  version                  print the version, the git revision it was built from and\n"
    "                           the libraries it runs with (also: goldenpath --version)\n"
    "\n"
    "Run 'goldenpath COMMAND --help' for a command's options.\n"
    "\n"
    "exit status: 0 every check passed; 1 a check failed (or the target was unreachable);\n"
    "             2 usage or scenario error; 3 the harness itself failed, or fell behind so\n"
    "             that some verdicts are inconclusive and none failed.\n";

static const char usage_run[] =
    "usage: goldenpath run SCENARIO.yaml... [options]\n"
    "\n"
    "Drives every simulated user of each scenario through its steps against the target, then\n"
    "judges every user's transcript against the golden-path rules.\n"
    "\n"
    "options:\n"
    "  --target URL          override the scenario's target URL (ws:// or wss://)\n"
    "  --users N             override the number of simulated users\n"
    "  --interval D          the JSON report's time series interval (default 10s, shorter\n"
    "                        for runs under 50s so there are about 5 intervals)\n"
    "  --duration DURATION   override the scenario's users.duration (a soak, or how long an\n"
    "                        open model's users arrive), e.g. 5s for a smoke of a soak; on a\n"
    "                        scenario without one, each of its users repeats its steps\n"
    "  --timeout DURATION    bound every wait (connect, first event, run completion),\n"
    "                        e.g. 10s, 500ms\n"
    "  --junit FILE          write JUnit XML (a testsuite per scenario, a testcase per rule)\n"
    "  --json FILE           write the full JSON report (atomically)\n"
    "  --html FILE           write a self-contained HTML report\n"
    "  --markdown FILE       write a Markdown summary (verdict, rules, failing users,\n"
    "                        latency), e.g. for a pull-request comment\n"
    "  --metrics FILE        write OpenMetrics text (rule counts, latency summaries, runs,\n"
    "                        users, harness lag) for GitLab's metrics report or a scraper\n"
    "  --push URL            at the end, PUT the metrics to a Prometheus Pushgateway\n"
    "                        (URL/metrics/job/goldenpath unless URL names a group); waits\n"
    "                        at most 10 s, and a failed push is only a warning\n"
    "  --label KEY=VALUE     attach a label to the reports (repeatable), e.g. release=2.4.1\n"
    "  --save-transcripts FILE\n"
    "                        write every user's transcript as JSON (for 'goldenpath judge')\n"
    "  --no-progress         no live progress line (it is shown only on a terminal, never\n"
    "                        when CI is set)\n"
    "  --workers N           split the users over N processes, one event loop each (default:\n"
    "                        one per core, at most one per 2000 users); the judge still\n"
    "                        checks isolation across every pair of users\n"
    "  --source-address ADDR connect from this local IPv4 address (repeatable: users take\n"
    "                        them in turn); past ~28000 users per address, or on a\n"
    "                        127.x target with more than 25000 users, several are needed\n"
    "                        (127.0.0.x work on loopback without set-up)\n"
    "  --max-connecting N    upgrades in flight at once (default 128); later users wait\n"
    "                        for a slot, and their connect timeout starts with their attempt\n"
    "  --shard INDEX/COUNT   run only the users whose index % COUNT == INDEX (0-based), as\n"
    "                        one of COUNT machines or jobs; user indexes, ids and nonces stay\n"
    "                        those of the whole run, and 'goldenpath merge' joins the shards'\n"
    "                        JSON reports (and judges isolation across them). Without it the\n"
    "                        shard comes from the environment, when set: JOB_COMPLETION_INDEX\n"
    "                        with GOLDENPATH_SHARDS (Kubernetes Indexed Job), CI_NODE_INDEX\n"
    "                        (1-based) with CI_NODE_TOTAL (GitLab parallel), or\n"
    "                        SLURM_ARRAY_TASK_ID with SLURM_ARRAY_TASK_COUNT (from\n"
    "                        SLURM_ARRAY_TASK_MIN); the report records which\n"
    "  --start-at TIME       hold every user until TIME, an RFC 3339 time such as\n"
    "                        2026-12-02T10:00:00Z or +30s from now, so that shards started\n"
    "                        apart ramp up together (at most 5 s in the past). With several\n"
    "                        scenarios, each next one is held until the previous one's\n"
    "                        start plus its longest possible duration (ramp, every step's\n"
    "                        timeout, linger) plus 5 s, the same time in every shard\n"
    "  --verbose             show libwebsockets warnings on stderr\n"
    "  -h, --help            show this help\n"
    "\n"
    "environment: GOLDENPATH_JWT_SECRET (the HS256 secret, never printed), NO_COLOR, CI,\n"
    "             the shard variables above, and SOURCE_DATE_EPOCH: whole seconds since the\n"
    "             epoch (as 'date +%s' prints them), the reports' generation time instead of\n"
    "             now (an invalid value is a usage error, exit 2). GITHUB_ACTIONS=true (set\n"
    "             by GitHub Actions): the Markdown summary is appended to\n"
    "             $GITHUB_STEP_SUMMARY, and each failed rule is printed as an\n"
    "             '::error title=RULE-ID::' annotation on stdout.\n"
    "exit status: 0 all checks passed; 1 a check failed; 2 usage or scenario error;\n"
    "             3 the harness itself failed, or no check failed but some are inconclusive:\n"
    "             the harness's own event loop stalled during a timed wait (see the harness\n"
    "             line of the summary; use fewer users per process, or more --workers).\n";

static const char usage_check[] =
    "usage: goldenpath check SCENARIO.yaml...\n"
    "\n"
    "Validates scenario files without connecting. Every error names file, line and column.\n"
    "\n"
    "options:\n"
    "  -h, --help            show this help\n"
    "\n"
    "exit status: 0 all files are valid; 2 any file has an error.\n";

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

static const char usage_rules[] =
    "usage: goldenpath rules\n"
    "\n"
    "Lists every rule the judge applies: its stable id (used in every report) and what it\n"
    "checks.\n"
    "\n"
    "options:\n"
    "  -h, --help            show this help\n"
    "\n"
    "exit status: 0; 2 any other argument.\n";

static const char usage_version[] =
    "usage: goldenpath version   (or: goldenpath --version)\n"
    "\n"
    "Prints the version of goldenpath, the git revision it was built from ('unknown' when\n"
    "built outside a git checkout; '-dirty' when the checkout had changes), and the versions\n"
    "of libwebsockets, jansson, libyaml and OpenSSL it runs with.\n"
    "\n"
    "options:\n"
    "  -h, --help            show this help\n"
    "\n"
    "exit status: 0; 2 any other argument.\n";

static const char usage_init[] =
    "usage: goldenpath init --target URL [--carrier C] [--message JSON] [--timeout D] > my.yaml\n"
    "       goldenpath init --har FILE.har > my.yaml\n"
    "\n"
    "Writes a complete, commented scenario inferred from what one user saw: the type key,\n"
    "wrappers, where the ids sit, the ready frame, aliases (reasoning -> agent_thinking...),\n"
    "noise types, the timestamp format, the message sent. Comments say what was inferred\n"
    "from which frame and mark with CHECK what could not be (e.g. a tool pair not seen).\n"
    "\n"
    "options:\n"
    "  --target URL     probe a live server with one user: connect, read the greeting, send\n"
    "                   one message, read until the run ends or --timeout passes\n"
    "  --carrier C      bearer (default), subprotocol, query, ticket or none; a JWT is\n"
    "                   minted from GOLDENPATH_JWT_SECRET unless none\n"
    "  --message JSON   the message to send (default a user_message with {{nonce}})\n"
    "  --timeout D      bound on the connect, the first event and the run (default 10s)\n"
    "  --har FILE.har   infer from a browser's capture instead; never connects\n"
    "  -h, --help       show this help\n"
    "\n"
    "exit status: 0 written; 2 usage, capture or probe error; 3 the harness failed.\n";

static bool want_color(FILE *f)
{
    const char *term = getenv("TERM");

    if (getenv("NO_COLOR") && *getenv("NO_COLOR"))
        return false;
    if (term && strcmp(term, "dumb") == 0)
        return false;
    return isatty(fileno(f));
}

static bool want_progress(void)
{
    const char *ci = getenv("CI");

    if (ci && *ci && strcmp(ci, "0") != 0 && strcmp(ci, "false") != 0)
        return false;
    return isatty(STDERR_FILENO);
}

typedef struct progress_ctx {
    const char *name;
    bool shown;
} progress_ctx;

static void show_progress(const gp_progress *p, void *ud)
{
    progress_ctx *pc = ud;

    fprintf(stderr, "\r\033[K%s: users connected %u/%u, finished %u, runs done %zu, problems %zu",
            pc->name, p->connected, p->users, p->finished, p->runs_done, p->problems);
    fflush(stderr);
    pc->shown = true;
}

/* --workers' default: every core, but no more than one worker per WORKER_MIN_USERS users,
 * so a small run stays in one process. */
#define WORKER_MIN_USERS 2000

static unsigned auto_workers(unsigned users)
{
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    unsigned n = cores > 0 ? (unsigned)cores : 1, by_users = users / WORKER_MIN_USERS;

    if (by_users < 1)
        by_users = 1;
    return n < by_users ? n : by_users;
}

static void print_err(const gp_err *err)
{
    char buf[GP_ERR_MSG_MAX + GP_ERR_SRC_MAX + 64];

    gp_err_format(err, buf, sizeof buf);
    fprintf(stderr, "goldenpath: %s\n", buf);
}

static int cmd_check(int argc, char **argv)
{
    int i, rc = GP_EXIT_OK;

    if (argc < 2) {
        fputs(usage_check, stderr);
        return GP_EXIT_USAGE;
    }
    for (i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            fputs(usage_check, stdout);
            return GP_EXIT_OK;
        }
    }
    for (i = 1; i < argc; i++) {
        gp_err err = {0};
        gp_scenario *s = gp_scenario_load(argv[i], &err);

        if (!s) {
            print_err(&err);
            rc = GP_EXIT_USAGE;
            continue;
        }
        if (gp_shape_open(&s->users.shape))
            printf("%s: ok (%s, open model: %.0f arrivals, %zu steps)\n", argv[i], s->name,
                   gp_shape_planned(&s->users.shape, s->users.shape.duration_us), s->nsteps);
        else if (gp_shape_soak(&s->users.shape))
            printf("%s: ok (%s, %u users repeating for %.1f s, %zu steps)\n", argv[i], s->name,
                   s->users.count, (double)s->users.shape.duration_us / 1e6, s->nsteps);
        else
            printf("%s: ok (%s, %u users, %zu steps)\n", argv[i], s->name, s->users.count,
                   s->nsteps);
        gp_scenario_free(s);
    }
    return rc;
}

/* For a command that takes no arguments but --help: prints usage on stdout for -h/--help
 * (exit 0), else on stderr (exit 2). */
static int help_or_usage(const char *arg, const char *usage)
{
    bool help = strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0;

    fputs(usage, help ? stdout : stderr);
    return help ? GP_EXIT_OK : GP_EXIT_USAGE;
}

static int cmd_rules(int argc, char **argv)
{
    int i;

    if (argc > 1)
        return help_or_usage(argv[1], usage_rules);
    for (i = 0; i < GP_RULE__COUNT; i++)
        printf("%-22s %s\n", gp_rule_id((gp_rule)i), gp_rule_title((gp_rule)i));
    return GP_EXIT_OK;
}

/* Option ids shared by the commands that write reports. */
enum {
    O_JUNIT = 256,
    O_JSON,
    O_HTML,
    O_TARGET,
    O_USERS,
    O_DURATION,
    O_TIMEOUT,
    O_LABEL,
    O_SAVE,
    O_NOPROG,
    O_VERBOSE,
    O_WORKERS,
    O_SOURCE,
    O_MAXCONN,
    O_SHARD,
    O_START_AT,
    O_HAR,
    O_CARRIER,
    O_MESSAGE,
    O_MARKDOWN,
    O_METRICS,
    O_PUSH,
    O_INTERVAL
};

/* --interval D: the time series' interval (timeseries.h). Returns 0, or -1 after an error. */
static int parse_interval(const char *arg, int64_t *out)
{
    if (gp_duration_parse(arg, out) != 0 || *out < 1000 || *out > GP_DURATION_MAX_US) {
        fprintf(stderr,
                "goldenpath: --interval wants a duration of at least 1ms such as 1s or 10s, got "
                "'%s'\n",
                arg);
        return -1;
    }
    return 0;
}

typedef struct outputs {
    const char *junit;
    const char *json;
    const char *html;
    const char *markdown;
    const char *metrics;
    const char *transcripts;
} outputs;

/* Takes --junit/--json/--html/--markdown/--metrics; returns false for any other option. */
static bool output_option(int opt, const char *arg, outputs *out)
{
    switch (opt) {
    case O_JUNIT:
        out->junit = arg;
        return true;
    case O_JSON:
        out->json = arg;
        return true;
    case O_HTML:
        out->html = arg;
        return true;
    case O_MARKDOWN:
        out->markdown = arg;
        return true;
    case O_METRICS:
        out->metrics = arg;
        return true;
    default:
        return false;
    }
}

static gp_console_opts console_opts(void)
{
    gp_console_opts co = {0};

    co.color = want_color(stdout);
    co.max_users_per_rule = 3;
    co.tail_frames = 8;
    return co;
}

static int write_reports(const outputs *out, const gp_suite *suites, size_t n,
                         const gp_report_ctx *ctx)
{
    gp_err err = {0};
    int rc = 0;

    if (out->junit && gp_report_write_junit(out->junit, suites, n, ctx, &err) != 0)
        rc = -1;
    if (out->json && gp_report_write_json(out->json, suites, n, ctx, &err) != 0)
        rc = -1;
    if (out->html && gp_report_write_html(out->html, suites, n, ctx, &err) != 0)
        rc = -1;
    if (out->markdown && gp_report_write_markdown(out->markdown, suites, n, &err) != 0)
        rc = -1;
    if (out->metrics && gp_report_write_metrics(out->metrics, suites, n, &err) != 0)
        rc = -1;
    if (rc != 0)
        print_err(&err);
    return rc;
}

/* In a GitHub Actions job: the summary appended to the job's step summary and an ::error
 * annotation per failed rule (on stdout, where the runner reads workflow commands). Then the
 * metrics pushed to a Pushgateway when asked. Neither changes the exit status: a summary or a
 * push that fails is a warning, and the reports written above stand. */
static void print_warning(const gp_err *err)
{
    char buf[GP_ERR_MSG_MAX + GP_ERR_SRC_MAX + 64];

    gp_err_format(err, buf, sizeof buf);
    fprintf(stderr, "goldenpath: warning: %s\n", buf);
}

static void ci_outputs(const gp_suite *suites, size_t n, const char *push_url)
{
    const char *gha = getenv("GITHUB_ACTIONS"), *summary = getenv("GITHUB_STEP_SUMMARY");
    gp_err err = {0};

    if (gha && strcmp(gha, "true") == 0) {
        if (summary && *summary && gp_report_append_markdown(summary, suites, n, &err) != 0)
            print_warning(&err);
        gp_report_github_annotations(stdout, suites, n);
    }
    if (push_url) {
        size_t len = 0;
        char *body = gp_report_metrics(suites, n, &len);

        memset(&err, 0, sizeof err);
        if (!body)
            fputs("goldenpath: warning: the metrics are too large to push\n", stderr);
        else if (gp_push_metrics(push_url, body, len, GP_PUSH_TIMEOUT_US, &err) != 0)
            print_warning(&err);
        free(body);
    }
}

static int parse_label(const char *arg, gp_kv **labels, size_t *n)
{
    const char *eq = strchr(arg, '=');

    if (!eq || eq == arg) {
        fprintf(stderr, "goldenpath: --label wants KEY=VALUE, got '%s'\n", arg);
        return -1;
    }
    *labels = gp_realloc(*labels, (*n + 1) * sizeof **labels);
    (*labels)[*n].key = gp_strndup(arg, (size_t)(eq - arg));
    (*labels)[*n].value = gp_strdup(eq + 1);
    (*n)++;
    return 0;
}

/* This machine's name, where a run happens; "localhost" when it has none. */
static void this_host(char *buf, size_t size)
{
    if (gethostname(buf, size - 1) != 0 || !buf[0])
        snprintf(buf, size, "localhost");
    buf[size - 1] = '\0';
}

static const char *real_getenv(const char *name, void *ud)
{
    (void)ud;
    return getenv(name);
}

static int cmd_run(int argc, char **argv)
{
    static const struct option opts[] = {
        {"target", required_argument, NULL, O_TARGET},
        {"users", required_argument, NULL, O_USERS},
        {"duration", required_argument, NULL, O_DURATION},
        {"interval", required_argument, NULL, O_INTERVAL},
        {"timeout", required_argument, NULL, O_TIMEOUT},
        {"junit", required_argument, NULL, O_JUNIT},
        {"json", required_argument, NULL, O_JSON},
        {"html", required_argument, NULL, O_HTML},
        {"markdown", required_argument, NULL, O_MARKDOWN},
        {"metrics", required_argument, NULL, O_METRICS},
        {"push", required_argument, NULL, O_PUSH},
        {"label", required_argument, NULL, O_LABEL},
        {"save-transcripts", required_argument, NULL, O_SAVE},
        {"no-progress", no_argument, NULL, O_NOPROG},
        {"verbose", no_argument, NULL, O_VERBOSE},
        {"workers", required_argument, NULL, O_WORKERS},
        {"source-address", required_argument, NULL, O_SOURCE},
        {"max-connecting", required_argument, NULL, O_MAXCONN},
        {"shard", required_argument, NULL, O_SHARD},
        {"start-at", required_argument, NULL, O_START_AT},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    gp_runner_opts ro;
    gp_shard shard = {0};
    gp_shard_info *shard_info = NULL;
    const char *start_at = NULL, *push_url = NULL;
    int64_t start_at_us = 0, scenario_at_us = 0; /* the current scenario's start, epoch µs */
    outputs out = {0};
    gp_kv *labels = NULL;
    size_t nlabels = 0, nsc = 0, i;
    gp_scenario **sc = NULL;
    gp_run_output *runs = NULL;
    gp_results **results = NULL;
    gp_suite *suites = NULL;
    bool progress = want_progress(), any_failed = false, any_inconclusive = false,
         save_failed = false;
    int opt, rc = GP_EXIT_USAGE;
    gp_console_opts co = {0};
    struct sigaction sa;
    unsigned workers = 0;
    int64_t duration_us = 0; /* --duration: overrides users.duration */
    int64_t interval_us = 0; /* --interval: the time series' */
    const char **sources = NULL;
    size_t nsources = 0;
    gp_report_ctx ctx;
    char run_host[GP_ORIGIN_HOST_MAX], rep_host[GP_ORIGIN_HOST_MAX];

    memset(&ro, 0, sizeof ro);
    optind = 1;
    while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        if (output_option(opt, optarg, &out))
            continue;
        switch (opt) {
        case O_TARGET:
            ro.url = optarg;
            break;
        case O_USERS: {
            char *end;
            long v;

            errno = 0;
            v = strtol(optarg, &end, 10);
            if (errno || *end || v < 1 || v > 100000) {
                fprintf(stderr, "goldenpath: --users wants a number from 1 to 100000, got '%s'\n",
                        optarg);
                goto out;
            }
            ro.users = (unsigned)v;
            break;
        }
        case O_INTERVAL:
            if (parse_interval(optarg, &interval_us) != 0)
                goto out;
            break;
        case O_DURATION:
            if (gp_duration_parse(optarg, &duration_us) != 0 || duration_us <= 0 ||
                duration_us > GP_DURATION_MAX_US) {
                fprintf(stderr,
                        "goldenpath: --duration wants a duration above 0 such as 30s or 10m, at "
                        "most %lldh, got '%s'\n",
                        (long long)(GP_DURATION_MAX_US / 3600000000LL), optarg);
                goto out;
            }
            break;
        case O_TIMEOUT:
            if (gp_duration_parse(optarg, &ro.timeout_us) != 0 || ro.timeout_us <= 0 ||
                ro.timeout_us > GP_DURATION_MAX_US) {
                fprintf(stderr,
                        "goldenpath: --timeout wants a duration such as 10s or 500ms, at most "
                        "%lldh, got '%s'\n",
                        (long long)(GP_DURATION_MAX_US / 3600000000LL), optarg);
                goto out;
            }
            break;
        case O_LABEL:
            if (parse_label(optarg, &labels, &nlabels) != 0)
                goto out;
            break;
        case O_SAVE:
            out.transcripts = optarg;
            break;
        case O_NOPROG:
            progress = false;
            break;
        case O_WORKERS:
        case O_MAXCONN: {
            char *end;
            long v;

            errno = 0;
            v = strtol(optarg, &end, 10);
            if (errno || *end || v < 1 || v > (opt == O_WORKERS ? 64 : 100000)) {
                fprintf(stderr, "goldenpath: --%s wants a number from 1 to %d, got '%s'\n",
                        opt == O_WORKERS ? "workers" : "max-connecting",
                        opt == O_WORKERS ? 64 : 100000, optarg);
                goto out;
            }
            if (opt == O_WORKERS)
                workers = (unsigned)v;
            else
                ro.max_connecting = (unsigned)v;
            break;
        }
        case O_SOURCE: {
            struct in_addr a;

            if (inet_pton(AF_INET, optarg, &a) != 1) {
                fprintf(stderr,
                        "goldenpath: --source-address wants an IPv4 address such as 127.0.0.2, "
                        "got '%s'\n",
                        optarg);
                goto out;
            }
            sources = gp_realloc(sources, (nsources + 1) * sizeof *sources);
            sources[nsources++] = optarg;
            break;
        }
        case O_SHARD: {
            gp_err err = {0};

            if (gp_shard_parse(optarg, &shard, &err) != 0) {
                print_err(&err);
                goto out;
            }
            break;
        }
        case O_START_AT:
            start_at = optarg;
            break;
        case O_PUSH:
            if (strncmp(optarg, "http://", 7) != 0 && strncmp(optarg, "https://", 8) != 0) {
                fprintf(stderr, "goldenpath: --push wants an http:// or https:// URL, got '%s'\n",
                        optarg);
                goto out;
            }
            push_url = optarg;
            break;
        case O_VERBOSE:
            ro.verbose = true;
            break;
        case 'h':
            fputs(usage_run, stdout);
            rc = GP_EXIT_OK;
            goto out;
        default:
            fputs("Run 'goldenpath run --help' for the options.\n", stderr);
            goto out;
        }
    }
    if (optind >= argc) {
        fputs("goldenpath: run needs at least one scenario file\n", stderr);
        fputs(usage_run, stderr);
        goto out;
    }
    if (out.transcripts && argc - optind > 1) {
        fputs("goldenpath: --save-transcripts takes a single scenario\n", stderr);
        goto out;
    }
    if (!shard.count) {
        gp_err err = {0};

        if (gp_shard_from_env(real_getenv, NULL, &shard, &err) != 0) {
            print_err(&err);
            goto out;
        }
    }
    this_host(run_host, sizeof run_host);
    {
        gp_err err = {0};

        /* A bad SOURCE_DATE_EPOCH is a usage error before anything connects. */
        if (gp_report_ctx_from_env(&ctx, run_host, rep_host, sizeof rep_host, &err) != 0) {
            print_err(&err);
            goto out;
        }
    }
    if (start_at) {
        gp_err err = {0};

        if (gp_start_at_parse(start_at, gp_wall_us(), &start_at_us, &err) != 0) {
            print_err(&err);
            goto out;
        }
    }

    /* Validate every scenario before anything connects. */
    nsc = (size_t)(argc - optind);
    sc = gp_calloc(nsc, sizeof *sc);
    for (i = 0; i < nsc; i++) {
        gp_err err = {0};

        sc[i] = gp_scenario_load(argv[optind + (int)i], &err);
        if (!sc[i]) {
            print_err(&err);
            rc = GP_EXIT_USAGE;
            goto out;
        }
        /* --timeout bounds every wait; the judge must quote the same bounds the runner used. */
        if (ro.timeout_us > 0) {
            gp_timeouts *t = &sc[i]->timeouts;

            t->connect_us = t->first_event_us = t->run_us = t->expect_us = ro.timeout_us;
        }
        /* Load shapes (issue 9): --duration overrides; shapes run in one process for now. */
        if (duration_us > 0)
            sc[i]->users.shape.duration_us = duration_us;
        if (gp_shape_open(&sc[i]->users.shape) || gp_shape_soak(&sc[i]->users.shape)) {
            if (ro.users && gp_shape_open(&sc[i]->users.shape)) {
                fprintf(stderr,
                        "goldenpath: %s: --users does not apply to users.arrival_rate (the rate "
                        "and the duration set the users)\n",
                        sc[i]->path);
                goto out;
            }
            if (shard.count || workers > 1) {
                fprintf(stderr,
                        "goldenpath: %s: a load shape (users.duration, users.arrival_rate) runs "
                        "in one process: --shard and --workers are not supported with it yet\n",
                        sc[i]->path);
                goto out;
            }
        }
        if (shard.count) {
            unsigned total = ro.users ? ro.users : sc[i]->users.count ? sc[i]->users.count : 1;

            if (shard.index >= total) {
                fprintf(stderr,
                        "goldenpath: shard %u/%u (from %s) would run no user: %s has %u users; "
                        "use at most %u shards\n",
                        shard.index, shard.count, shard.source, sc[i]->name, total, total);
                goto out;
            }
        }
    }
    shard_info = gp_calloc(nsc, sizeof *shard_info);

    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    scenario_at_us = start_at_us;
    runs = gp_calloc(nsc, sizeof *runs);
    results = gp_calloc(nsc, sizeof *results);
    suites = gp_calloc(nsc, sizeof *suites);
    for (i = 0; i < nsc; i++) {
        progress_ctx pc = {sc[i]->name, false};
        gp_err err = {0};

        if (interrupted)
            break;
        ro.scenario = sc[i];
        ro.interrupt = &interrupted;
        ro.progress = progress ? show_progress : NULL;
        ro.progress_ud = &pc;
        ro.source_addrs = sources;
        ro.nsource_addrs = nsources;
        ro.shard_index = shard.index;
        ro.shard_count = shard.count;
        /* --start-at holds every scenario's users: the first scenario's until then, scenario
         * i's until scenario i-1's start plus that scenario's slot (gp_shard_slot_us), a time
         * every shard computes alike, so the shards start each scenario together. A shard
         * already past it starts at once (its report shows how late). */
        if (start_at_us && i > 0)
            scenario_at_us += gp_shard_slot_us(sc[i - 1]);
        ro.t0_us = scenario_at_us && (i == 0 || scenario_at_us > gp_wall_us())
                       ? gp_now_us() + (scenario_at_us - gp_wall_us())
                       : 0;
        {
            unsigned total = ro.users ? ro.users : sc[i]->users.count;

            if (shard.count)
                total = (total - shard.index + shard.count - 1) / shard.count;
            ro.workers = workers ? workers : auto_workers(total);
            if (gp_shape_open(&sc[i]->users.shape) || gp_shape_soak(&sc[i]->users.shape))
                ro.workers = 1;
        }
        if (gp_runner_run_workers(&ro, &runs[i], &err) != 0) {
            if (pc.shown)
                fputs("\r\033[K", stderr);
            print_err(&err);
            rc = err.code ? err.code : GP_EXIT_INTERNAL;
            goto out;
        }
        if (pc.shown)
            fputs("\r\033[K", stderr);
        results[i] = gp_judge_run_shard(sc[i], runs[i].ts, runs[i].n, &runs[i].health, shard.count);
        if (shard.count) {
            shard_info[i].shard = shard;
            shard_info[i].users_total = ro.users ? ro.users : sc[i]->users.count;
            shard_info[i].start_at_us = scenario_at_us;
            shard_info[i].first_user_at_us =
                gp_shard_first_start(runs[i].ts, runs[i].n, runs[i].started_wall_us);
            suites[i].meta.shard = &shard_info[i];
        }
        suites[i].meta.harness_version = GP_VERSION;
        suites[i].meta.scenario = sc[i];
        suites[i].meta.target = runs[i].target;
        suites[i].meta.proxy = runs[i].proxy;
        suites[i].meta.labels = labels;
        suites[i].meta.nlabels = nlabels;
        suites[i].meta.started_wall_us = runs[i].started_wall_us;
        suites[i].meta.duration_us = runs[i].duration_us;
        suites[i].meta.users = (unsigned)runs[i].n;
        suites[i].meta.interrupted = runs[i].interrupted;
        suites[i].meta.health = &runs[i].health;
        suites[i].meta.arrivals = runs[i].arrivals;
        suites[i].meta.dropped_arrivals = runs[i].dropped_arrivals;
        results[i]->series = gp_series_build(
            results[i], runs[i].ts, runs[i].n, runs[i].started_wall_us, runs[i].duration_us,
            gp_series_interval(runs[i].duration_us, interval_us));
        suites[i].results = results[i];
        suites[i].ts = runs[i].ts;
        suites[i].nts = runs[i].n;
        if (!gp_results_passed(results[i]) || runs[i].interrupted)
            any_failed = true;
        if (gp_results_inconclusive(results[i]))
            any_inconclusive = true;
        if (out.transcripts) {
            gp_err terr = {0};
            gp_run_origin origin;

            snprintf(origin.host, sizeof origin.host, "%s", run_host);
            origin.started_wall_us = runs[i].started_wall_us;
            if (gp_transcripts_save_origin(out.transcripts, runs[i].ts, runs[i].n,
                                           &runs[i].health, &origin, &terr) != 0) {
                print_err(&terr);
                save_failed = true;
            }
        }
    }
    co = console_opts();
    /* Report what ran, even when a signal cut the run short. */
    {
        size_t ran = 0;

        while (ran < nsc && results[ran])
            ran++;
        gp_report_console(stdout, suites, ran, &co);
        fflush(stdout);
        /* The reports are generated now (checked above, so this cannot fail). */
        gp_report_ctx_from_env(&ctx, run_host, rep_host, sizeof rep_host, NULL);
        if (write_reports(&out, suites, ran, &ctx) != 0) {
            rc = GP_EXIT_INTERNAL;
            goto out;
        }
        ci_outputs(suites, ran, push_url);
        if (interrupted) {
            fputs("goldenpath: interrupted; the reports hold what was observed\n", stderr);
            any_failed = true;
        }
    }
    /* Transcripts that could not be saved are the harness's failure (3), as a report that
     * could not be written is above; otherwise a real failure outweighs the harness's own
     * trouble. */
    rc = save_failed        ? GP_EXIT_INTERNAL
         : any_failed       ? GP_EXIT_FAILED
         : any_inconclusive ? GP_EXIT_INCONCLUSIVE
                            : GP_EXIT_OK;
out:
    for (i = 0; i < nsc; i++) {
        if (runs)
            gp_run_output_cleanup(&runs[i]);
        if (results)
            gp_results_free(results[i]);
        gp_scenario_free(sc ? sc[i] : NULL);
    }
    free(runs);
    free(results);
    free(suites);
    free(sc);
    free(sources);
    free(shard_info);
    gp_kvs_free(labels, nlabels);
    return rc;
}

static int cmd_judge(int argc, char **argv)
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
    res->series = gp_series_build(res, mine, nmine, suite.meta.started_wall_us,
                                  suite.meta.duration_us,
                                  gp_series_interval(suite.meta.duration_us, interval_us));
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

static int cmd_init(int argc, char **argv)
{
    static const struct option opts[] = {
        {"har", required_argument, NULL, O_HAR},
        {"target", required_argument, NULL, O_TARGET},
        {"carrier", required_argument, NULL, O_CARRIER},
        {"message", required_argument, NULL, O_MESSAGE},
        {"timeout", required_argument, NULL, O_TIMEOUT},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *har_path = NULL;
    gp_init_probe_opts po = {.bound_us = 10000000, .note = stderr};
    gp_err err = {0};
    gp_profile p;
    gp_har *har = NULL;
    int opt, rc = GP_EXIT_USAGE;

    optind = 1;
    while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (opt) {
        case O_HAR:
            har_path = optarg;
            break;
        case O_TARGET:
            po.url = optarg;
            break;
        case O_CARRIER:
            po.carrier = optarg;
            break;
        case O_MESSAGE:
            po.message = optarg;
            break;
        case O_TIMEOUT:
            if (gp_duration_parse(optarg, &po.bound_us) != 0 || po.bound_us <= 0) {
                fprintf(stderr, "goldenpath: --timeout: not a duration: %s\n", optarg);
                return GP_EXIT_USAGE;
            }
            break;
        case 'h':
            fputs(usage_init, stdout);
            return GP_EXIT_OK;
        default:
            fputs(usage_init, stderr);
            return GP_EXIT_USAGE;
        }
    }
    if (!har_path == !po.url || optind != argc) {
        fputs(usage_init, stderr);
        return GP_EXIT_USAGE;
    }
    if (po.url) {
        if (gp_init_probe(&po, stdout, &err) == 0)
            return GP_EXIT_OK;
        print_err(&err);
        return err.code ? err.code : GP_EXIT_USAGE;
    }
    gp_profile_init_default(&p);
    har = gp_har_load(har_path, &p, NULL, &err);
    if (!har || gp_infer_scenario(stdout, har->ts, har->n, har_path, &err) != 0)
        print_err(&err);
    else
        rc = GP_EXIT_OK;
    gp_har_free(har);
    gp_profile_cleanup(&p);
    return rc;
}

static int cmd_version(int argc, char **argv)
{
    gp_version_info v;

    if (argc > 1)
        return help_or_usage(argv[1], usage_version);
    gp_version_get(&v);
    printf("goldenpath %s\n"
           "revision       %s\n"
           "libwebsockets  %s\n"
           "jansson        %s\n"
           "libyaml        %s\n"
           "openssl        %s\n",
           v.version, v.revision, v.lws, v.jansson, v.yaml, v.openssl);
    return GP_EXIT_OK;
}

int main(int argc, char **argv)
{
    const char *cmd;

    if (argc < 2) {
        fputs(usage_main, stderr);
        return GP_EXIT_USAGE;
    }
    cmd = argv[1];
    if (strcmp(cmd, "-h") == 0 || strcmp(cmd, "--help") == 0 || strcmp(cmd, "help") == 0) {
        fputs(usage_main, stdout);
        return GP_EXIT_OK;
    }
    if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "version") == 0)
        return cmd_version(argc - 1, argv + 1);
    if (strcmp(cmd, "run") == 0)
        return cmd_run(argc - 1, argv + 1);
    if (strcmp(cmd, "check") == 0)
        return cmd_check(argc - 1, argv + 1);
    if (strcmp(cmd, "judge") == 0)
        return cmd_judge(argc - 1, argv + 1);
    if (strcmp(cmd, "init") == 0)
        return cmd_init(argc - 1, argv + 1);
    if (strcmp(cmd, "compare") == 0)
        return gp_compare_main(argc - 1, argv + 1);
    if (strcmp(cmd, "merge") == 0)
        return gp_merge_main(argc - 1, argv + 1);
    if (strcmp(cmd, "rules") == 0)
        return cmd_rules(argc - 1, argv + 1);
    fprintf(stderr, "goldenpath: unknown command '%s'\n\n%s", cmd, usage_main);
    return GP_EXIT_USAGE;
}
