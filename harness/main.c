/* main.c - the goldenpath command line: a thin layer over the modules. It dispatches to the
 * commands (cli_run.c, cli_judge.c, cli_check.c, cli_init.c, compare_cli.c), answers --help
 * and --version, and keeps the option and output helpers the commands share (cli.h). Results
 * go to stdout, errors and the live progress line to stderr. */
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "compare_cli.h"
#include "push.h"
#include "report_ci.h"
#include "version.h"

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

static bool want_color(FILE *f)
{
    const char *term = getenv("TERM");

    if (getenv("NO_COLOR") && *getenv("NO_COLOR"))
        return false;
    if (term && strcmp(term, "dumb") == 0)
        return false;
    return isatty(fileno(f));
}

void print_err(const gp_err *err)
{
    char buf[GP_ERR_MSG_MAX + GP_ERR_SRC_MAX + 64];

    gp_err_format(err, buf, sizeof buf);
    fprintf(stderr, "goldenpath: %s\n", buf);
}

/* For a command that takes no arguments but --help: prints usage on stdout for -h/--help
 * (exit 0), else on stderr (exit 2). */
int help_or_usage(const char *arg, const char *usage)
{
    bool help = strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0;

    fputs(usage, help ? stdout : stderr);
    return help ? GP_EXIT_OK : GP_EXIT_USAGE;
}

/* --interval D: the time series' interval (timeseries.h). Returns 0, or -1 after an error. */
int parse_interval(const char *arg, int64_t *out)
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

/* Takes --junit/--json/--html/--markdown/--metrics; returns false for any other option. */
bool output_option(int opt, const char *arg, outputs *out)
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

gp_console_opts console_opts(void)
{
    gp_console_opts co = {0};

    co.color = want_color(stdout);
    co.max_users_per_rule = 3;
    co.tail_frames = 8;
    return co;
}

int write_reports(const outputs *out, const gp_suite *suites, size_t n, const gp_report_ctx *ctx)
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

void ci_outputs(const gp_suite *suites, size_t n, const char *push_url)
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
