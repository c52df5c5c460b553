/* main.c - the goldenpath command line (placeholder while modules land). */
#include <stdio.h>

int main(void)
{
    fputs("goldenpath: under construction\n", stderr);
    return 3;
}
