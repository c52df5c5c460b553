/* version.c - the release, build revision and run-time library versions behind
 * `goldenpath --version`. libwebsockets' and libyaml's versions come from their own layers
 * (runner.h, scenario.h), the only ones that may name those libraries. */
#include "version.h"

#include <jansson.h>
#include <openssl/crypto.h>

/* gp_revision.h is written at build time (cmake/revision.cmake) and defines GP_REVISION. */
#include "gp_revision.h"
#include "runner.h"
#include "scenario.h"

static const char *or_unknown(const char *s)
{
    return s && *s ? s : "unknown";
}

void gp_version_get(gp_version_info *info)
{
    info->version = GP_VERSION;
    info->revision = or_unknown(GP_REVISION);
    info->lws = or_unknown(gp_net_lws_version());
    info->jansson = or_unknown(jansson_version_str());
    info->yaml = or_unknown(gp_scenario_yaml_version());
    info->openssl = or_unknown(OpenSSL_version(OPENSSL_VERSION));
}
