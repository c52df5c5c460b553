/* Compiled (never linked) by the layers.* CTests: must fail outside gp_scenario. */
#include <yaml.h>

int gp_layer_probe(void);
int gp_layer_probe(void)
{
    return (int)YAML_NO_ERROR;
}
