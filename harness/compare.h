/* compare.h - the "compare" and "merge" subcommands over JSON reports. They read reports
 * written by gp_report_write_json, never run scenarios, and print to stdout/stderr themselves
 * because they are command front ends (main.c only dispatches to them). */
#ifndef GP_COMPARE_H
#define GP_COMPARE_H

/* goldenpath compare BASE.json HEAD.json [--max-regression KEY=LIMIT]... [--junit FILE]
 *                    [--json FILE] [--help]
 * argv[0] is the subcommand name ("compare"). Prints a table to stdout and errors to stderr.
 * Returns GP_EXIT_OK (no regression), GP_EXIT_FAILED (a regression), GP_EXIT_USAGE (bad
 * arguments, or reports that cannot be compared: unreadable, wrong format or version,
 * different scenario names or digests) or GP_EXIT_INTERNAL (an output file failed). */
int gp_compare_main(int argc, char **argv);

/* goldenpath merge A.json B.json... -o ALL.json [--help]
 * Merges reports of the same scenarios run in parts: counts add, histograms merge exactly,
 * users and failure examples are concatenated (examples up to GP_MAX_EXAMPLES per rule).
 * argv[0] is "merge". Returns GP_EXIT_OK, GP_EXIT_USAGE (bad arguments, unreadable reports or
 * reports of different scenarios) or GP_EXIT_INTERNAL. */
int gp_merge_main(int argc, char **argv);

#endif
