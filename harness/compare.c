/* compare.c - placeholder until the comparison lands. */
#include <stdio.h>

#include "compare.h"
#include "gp_common.h"

int gp_compare_main(int argc, char **argv)
{
    fputs("goldenpath compare: not implemented yet\n", stderr);
    return GP_EXIT_INTERNAL;
}

int gp_merge_main(int argc, char **argv)
{
    fputs("goldenpath merge: not implemented yet\n", stderr);
    return GP_EXIT_INTERNAL;
}
