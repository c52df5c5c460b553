/* version.c - the release, build revision and run-time library versions behind
 * `goldenpath --version`. This is the one file outside the network and scenario layers that
 * names libwebsockets and libyaml, and only for their version functions. */
#include "version.h"

#include <jansson.h>
#include <libwebsockets.h>
#include <openssl/crypto.h>
#include <yaml.h>

/* gp_revision.h is written at build time (cmake/revision.cmake) and defines GP_REVISION. */
#include "gp_revision.h"

static const char *or_unknown(const char *s)
{
    return s && *s ? s : "unknown";
}

void gp_version_get(gp_version_info *info)
{
    info->version = GP_VERSION;
    info->revision = or_unknown(GP_REVISION);
    info->lws = or_unknown(lws_get_library_version());
    info->jansson = or_unknown(jansson_version_str());
    info->yaml = or_unknown(yaml_get_version_string());
    info->openssl = or_unknown(OpenSSL_version(OPENSSL_VERSION));
}
