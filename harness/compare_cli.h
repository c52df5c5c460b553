/* compare_cli.h - the "compare" and "merge" commands: argv in, the pure functions of
 * compare.h and merge.h, then the table on stdout, errors on stderr and an exit status. */
#ifndef GP_COMPARE_CLI_H
#define GP_COMPARE_CLI_H

/* goldenpath compare BASE.json HEAD.json [--max-regression KEY=LIMIT]... [--no-default-limits]
 *                    [--junit FILE] [--json FILE] [--markdown FILE] [--help]
 * argv[0] is the subcommand name ("compare"). Returns GP_EXIT_OK (no regression),
 * GP_EXIT_FAILED (a regression), GP_EXIT_USAGE (bad arguments, or reports that cannot be
 * compared) or GP_EXIT_INTERNAL (an output file failed). */
int gp_compare_main(int argc, char **argv);

/* goldenpath merge A.json B.json... -o ALL.json [--junit F] [--html F] [--help]
 * argv[0] is "merge". Returns the merged run's verdict (GP_EXIT_OK, GP_EXIT_FAILED,
 * GP_EXIT_INCONCLUSIVE), GP_EXIT_USAGE (bad arguments, unreadable reports or reports that do
 * not merge) or GP_EXIT_INTERNAL (an output could not be written). */
int gp_merge_main(int argc, char **argv);

#endif
