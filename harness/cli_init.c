/* cli_init.c - goldenpath init: a first scenario inferred from one live user (--target) or
 * from a browser's capture (--har). */
#include "cli.h"

#include <getopt.h>
#include <stdio.h>

#include "har.h"
#include "infer.h"
#include "init_probe.h"

static const char usage_init[] =
    "usage: goldenpath init --target URL [--carrier C] [--message JSON] [--timeout D] > my.yaml\n"
    "       goldenpath init --har FILE.har > my.yaml\n"
    "\n"
    "Writes a complete, commented scenario inferred from what one user saw: the type key,\n"
    "wrappers, where the ids sit, the ready frame, aliases (reasoning -> agent_thinking...),\n"
    "noise types, the timestamp format, the message sent. Comments say what was inferred\n"
    "from which frame and mark with CHECK what could not be (e.g. a tool pair not seen).\n"
    "\n"
    "options:\n"
    "  --target URL     probe a live server with one user: connect, read the greeting, send\n"
    "                   one message, read until the run ends or --timeout passes\n"
    "  --carrier C      bearer (default), subprotocol, query, ticket or none; a JWT is\n"
    "                   minted from GOLDENPATH_JWT_SECRET unless none\n"
    "  --message JSON   the message to send (default a user_message with {{nonce}})\n"
    "  --timeout D      bound on the connect, the first event and the run (default 10s)\n"
    "  --har FILE.har   infer from a browser's capture instead; never connects\n"
    "  -h, --help       show this help\n"
    "\n"
    "exit status: 0 written; 2 usage, capture or probe error; 3 the harness failed.\n";

int cmd_init(int argc, char **argv)
{
    static const struct option opts[] = {
        {"har", required_argument, NULL, O_HAR},
        {"target", required_argument, NULL, O_TARGET},
        {"carrier", required_argument, NULL, O_CARRIER},
        {"message", required_argument, NULL, O_MESSAGE},
        {"timeout", required_argument, NULL, O_TIMEOUT},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *har_path = NULL;
    gp_init_probe_opts po = {.bound_us = 10000000, .note = stderr};
    gp_err err = {0};
    gp_profile p;
    gp_har *har = NULL;
    int opt, rc = GP_EXIT_USAGE;

    optind = 1;
    while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (opt) {
        case O_HAR:
            har_path = optarg;
            break;
        case O_TARGET:
            po.url = optarg;
            break;
        case O_CARRIER:
            po.carrier = optarg;
            break;
        case O_MESSAGE:
            po.message = optarg;
            break;
        case O_TIMEOUT:
            if (gp_duration_parse(optarg, &po.bound_us) != 0 || po.bound_us <= 0) {
                fprintf(stderr, "goldenpath: --timeout: not a duration: %s\n", optarg);
                return GP_EXIT_USAGE;
            }
            break;
        case 'h':
            fputs(usage_init, stdout);
            return GP_EXIT_OK;
        default:
            fputs(usage_init, stderr);
            return GP_EXIT_USAGE;
        }
    }
    if (!har_path == !po.url || optind != argc) {
        fputs(usage_init, stderr);
        return GP_EXIT_USAGE;
    }
    if (po.url) {
        if (gp_init_probe(&po, stdout, &err) == 0)
            return GP_EXIT_OK;
        print_err(&err);
        return err.code ? err.code : GP_EXIT_USAGE;
    }
    gp_profile_init_default(&p);
    har = gp_har_load(har_path, &p, NULL, &err);
    if (!har || gp_infer_scenario(stdout, har->ts, har->n, har_path, &err) != 0)
        print_err(&err);
    else
        rc = GP_EXIT_OK;
    gp_har_free(har);
    gp_profile_cleanup(&p);
    return rc;
}
