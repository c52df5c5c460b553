/* fuzz_scenario.c - the scenario loader over any bytes: YAML syntax, the prepass, every
 * section's validation, ${VAR} resolution and repeat expansion. Offline flags, so no
 * credential need be set. */
#include <stdio.h>
#include <stdlib.h>

#include "fuzz.h"
#include "scenario.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    gp_err err = {0};
    gp_scenario *s =
        gp_scenario_load_mem("fuzz.yaml", (const char *)data, size, GP_LOAD_OFFLINE, &err);

    /* Either a scenario or an error that says something. */
    GP_FUZZ_CHECK(s || err.msg[0]);
    if (s)
        GP_FUZZ_CHECK(s->nsteps == 0 || s->steps);
    gp_scenario_free(s);
    return 0;
}
