/* cli.h - what the goldenpath commands (main.c, cli_*.c) share: the option ids and output
 * files of the commands that write reports, and the helpers main.c keeps for them. Internal
 * to the executable. */
#ifndef GP_CLI_H
#define GP_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gp_common.h"
#include "report.h"

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

/* The report files a command writes (--junit, --json, ...), NULL when not asked for. */
typedef struct outputs {
    const char *junit;
    const char *json;
    const char *html;
    const char *markdown;
    const char *metrics;
    const char *transcripts;
} outputs;

/* main.c: errors and usage */
void print_err(const gp_err *err);
/* For a command that takes no arguments but --help: prints usage on stdout for -h/--help
 * (exit 0), else on stderr (exit 2). */
int help_or_usage(const char *arg, const char *usage);

/* main.c: the options and outputs of the commands that write reports (run, judge) */
/* --interval D: the time series' interval (timeseries.h). Returns 0, or -1 after an error. */
int parse_interval(const char *arg, int64_t *out);
/* Takes --junit/--json/--html/--markdown/--metrics; returns false for any other option. */
bool output_option(int opt, const char *arg, outputs *out);
gp_console_opts console_opts(void);
int write_reports(const outputs *out, const gp_suite *suites, size_t n, const gp_report_ctx *ctx);
/* The GitHub Actions summary and annotations, and the push to a Pushgateway (push_url). */
void ci_outputs(const gp_suite *suites, size_t n, const char *push_url);

/* The commands: argv[0] is the command's name. Each returns the exit status. */
int cmd_run(int argc, char **argv);   /* cli_run.c */
int cmd_judge(int argc, char **argv); /* cli_judge.c */
int cmd_check(int argc, char **argv); /* cli_check.c */
int cmd_rules(int argc, char **argv); /* cli_check.c */
int cmd_init(int argc, char **argv);  /* cli_init.c */

#endif
