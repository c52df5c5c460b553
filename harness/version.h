/* version.h - what this goldenpath binary is: its release, the git revision it was built from,
 * and the versions of the four libraries it runs with (read at run time, not from the headers
 * it was compiled against). It does not print: main does. */
#ifndef GP_VERSION_H
#define GP_VERSION_H

typedef struct gp_version_info {
    const char *version;  /* the release, GP_VERSION (CMake's project version) */
    const char *revision; /* `git describe --always --dirty` at build time, or "unknown" */
    const char *lws;      /* lws_get_library_version() */
    const char *jansson;  /* jansson_version_str() */
    const char *yaml;     /* yaml_get_version_string() */
    const char *openssl;  /* OpenSSL_version(OPENSSL_VERSION) */
} gp_version_info;

/* Fills *info. Every string is static and borrowed: never NULL, never to be freed. */
void gp_version_get(gp_version_info *info);

#endif
