/* Compiled (never linked) by the layers.* CTests: must fail outside gp_net. */
#include <libwebsockets.h>

int gp_layer_probe(void);
int gp_layer_probe(void)
{
    return LWS_PRE;
}
