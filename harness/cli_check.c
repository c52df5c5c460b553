/* cli_check.c - the offline listings: goldenpath check (scenario files validated) and
 * goldenpath rules (every rule the judge applies). */
#include "cli.h"

#include <stdio.h>
#include <string.h>

#include "judge.h"
#include "scenario.h"

static const char usage_check[] =
    "usage: goldenpath check SCENARIO.yaml...\n"
    "\n"
    "Validates scenario files without connecting. Every error names file, line and column.\n"
    "\n"
    "options:\n"
    "  -h, --help            show this help\n"
    "\n"
    "exit status: 0 all files are valid; 2 any file has an error.\n";

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

int cmd_check(int argc, char **argv)
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

int cmd_rules(int argc, char **argv)
{
    int i;

    if (argc > 1)
        return help_or_usage(argv[1], usage_rules);
    for (i = 0; i < GP_RULE__COUNT; i++)
        printf("%-22s %s\n", gp_rule_id((gp_rule)i), gp_rule_title((gp_rule)i));
    return GP_EXIT_OK;
}
