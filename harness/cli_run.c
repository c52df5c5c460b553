/* cli_run.c - goldenpath run: options, scenarios loaded, the runner (in this process or in
 * workers), the live progress line, the judge, and the reports. */
#include "cli.h"

#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "judge.h"
#include "push.h"
#include "report_ci.h"
#include "report_util.h"
#include "runner.h"
#include "scenario.h"
#include "shard.h"
#include "timeseries.h"

static volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
    (void)sig;
    interrupted = 1;
}

static const char usage_run[] =
    "usage: goldenpath run SCENARIO.yaml... [options]\n"
    "\n"
    "Drives every simulated user of each scenario through its steps against the target, then\n"
    "judges every user's transcript against the golden-path rules.\n"
    "\n"
    "options:\n"
    "  --target URL          override the scenario's target URL (ws:// or wss://)\n"
    "  --users N             override the number of simulated users\n"
    "  --interval D          the JSON report's time series interval (default 10s, shorter\n"
    "                        for runs under 50s so there are about 5 intervals)\n"
    "  --duration DURATION   override the scenario's users.duration (a soak, or how long an\n"
    "                        open model's users arrive), e.g. 5s for a smoke of a soak; on a\n"
    "                        scenario without one, each of its users repeats its steps\n"
    "  --timeout DURATION    bound every wait (connect, first event, run completion),\n"
    "                        e.g. 10s, 500ms\n"
    "  --junit FILE          write JUnit XML (a testsuite per scenario, a testcase per rule)\n"
    "  --json FILE           write the full JSON report (atomically)\n"
    "  --html FILE           write a self-contained HTML report\n"
    "  --markdown FILE       write a Markdown summary (verdict, rules, failing users,\n"
    "                        latency), e.g. for a pull-request comment\n"
    "  --metrics FILE        write OpenMetrics text (rule counts, latency summaries, runs,\n"
    "                        users, harness lag) for GitLab's metrics report or a scraper\n"
    "  --push URL            at the end, PUT the metrics to a Prometheus Pushgateway\n"
    "                        (URL/metrics/job/goldenpath unless URL names a group); waits\n"
    "                        at most 10 s, and a failed push is only a warning. During a\n"
    "                        run, every --interval (default 10s) it also PUTs the figures\n"
    "                        so far (goldenpath_running 1, elapsed, users, runs, problems,\n"
    "                        loop lag) from a thread of its own; the final push replaces\n"
    "                        them, and failed interim pushes are one warning at the end\n"
    "  --label KEY=VALUE     attach a label to the reports (repeatable), e.g. release=2.4.1\n"
    "  --save-transcripts FILE\n"
    "                        write every user's transcript as JSON (for 'goldenpath judge')\n"
    "  --no-progress         no live progress line (it is shown only on a terminal, never\n"
    "                        when CI is set)\n"
    "  --workers N           split the users over N processes, one event loop each (default:\n"
    "                        one per core, at most one per 2000 users); the judge still\n"
    "                        checks isolation across every pair of users\n"
    "  --source-address ADDR connect from this local IPv4 address (repeatable: users take\n"
    "                        them in turn); past ~28000 users per address, or on a\n"
    "                        127.x target with more than 25000 users, several are needed\n"
    "                        (127.0.0.x work on loopback without set-up)\n"
    "  --max-connecting N    upgrades in flight at once (default 128); later users wait\n"
    "                        for a slot, and their connect timeout starts with their attempt\n"
    "  --shard INDEX/COUNT   run only the users whose index % COUNT == INDEX (0-based), as\n"
    "                        one of COUNT machines or jobs; user indexes, ids and nonces stay\n"
    "                        those of the whole run, and 'goldenpath merge' joins the shards'\n"
    "                        JSON reports (and judges isolation across them). Without it the\n"
    "                        shard comes from the environment, when set: JOB_COMPLETION_INDEX\n"
    "                        with GOLDENPATH_SHARDS (Kubernetes Indexed Job), CI_NODE_INDEX\n"
    "                        (1-based) with CI_NODE_TOTAL (GitLab parallel), or\n"
    "                        SLURM_ARRAY_TASK_ID with SLURM_ARRAY_TASK_COUNT (from\n"
    "                        SLURM_ARRAY_TASK_MIN); the report records which\n"
    "  --start-at TIME       hold every user until TIME, an RFC 3339 time such as\n"
    "                        2026-12-02T10:00:00Z or +30s from now, so that shards started\n"
    "                        apart ramp up together (at most 5 s in the past). With several\n"
    "                        scenarios, each next one is held until the previous one's\n"
    "                        start plus its longest possible duration (ramp, every step's\n"
    "                        timeout, linger) plus 5 s, the same time in every shard\n"
    "  --verbose             show libwebsockets warnings on stderr\n"
    "  -h, --help            show this help\n"
    "\n"
    "environment: GOLDENPATH_JWT_SECRET (the HS256 secret, never printed), NO_COLOR, CI,\n"
    "             the shard variables above, and SOURCE_DATE_EPOCH: whole seconds since the\n"
    "             epoch (as 'date +%s' prints them), the reports' generation time instead of\n"
    "             now (an invalid value is a usage error, exit 2). GITHUB_ACTIONS=true (set\n"
    "             by GitHub Actions): the Markdown summary is appended to\n"
    "             $GITHUB_STEP_SUMMARY, and each failed rule is printed as an\n"
    "             '::error title=RULE-ID::' annotation on stdout.\n"
    "exit status: 0 all checks passed; 1 a check failed; 2 usage or scenario error;\n"
    "             3 the harness itself failed, or no check failed but some are inconclusive:\n"
    "             the harness's own event loop stalled during a timed wait (see the harness\n"
    "             line of the summary; use fewer users per process, or more --workers).\n";

static bool want_progress(void)
{
    const char *ci = getenv("CI");

    if (ci && *ci && strcmp(ci, "0") != 0 && strcmp(ci, "false") != 0)
        return false;
    return isatty(STDERR_FILENO);
}

typedef struct progress_ctx {
    const char *name;
    bool shown;
    bool show; /* the live progress line */
    const gp_shape *shape; /* the scenario's load shape (with --duration applied) */
    /* --push: every interval_us from t0_us, the figures so far go to the pusher thread. */
    gp_pusher *pusher;
    gp_run_meta meta; /* scenario and labels for the interim metrics' labels */
    int64_t t0_us, interval_us, next_push_us;
} progress_ctx;

static void show_progress(const gp_progress *p, void *ud)
{
    progress_ctx *pc = ud;
    const gp_shape *sh = pc->shape;

    if (sh && (gp_shape_open(sh) || gp_shape_soak(sh))) {
        /* a shaped run: where the shape is (stage, rate) and the users in flight */
        int64_t t = p->elapsed_us > 0 ? p->elapsed_us : 0;

        fprintf(stderr, "\r\033[K%s: ", pc->name);
        if (sh->nstages) {
            size_t k = gp_shape_stage_at(sh, t);

            fprintf(stderr, "stage %zu/%zu, ", k < sh->nstages ? k + 1 : sh->nstages, sh->nstages);
        } else {
            fprintf(stderr, "%.0f/%.0f s, ", (double)t / 1e6, (double)sh->duration_us / 1e6);
        }
        fprintf(stderr, "active users %u", p->active);
        if (gp_shape_open(sh))
            fprintf(stderr, ", rate %.3g/s", t < sh->duration_us ? gp_shape_rate_at(sh, t) : 0.0);
        fprintf(stderr, ", runs done %zu, problems %zu", p->runs_done, p->problems);
        fflush(stderr);
        pc->shown = true;
        return;
    }
    fprintf(stderr, "\r\033[K%s: users connected %u/%u, finished %u, runs done %zu, problems %zu",
            pc->name, p->connected, p->users, p->finished, p->runs_done, p->problems);
    fflush(stderr);
    pc->shown = true;
}

/* The runner's progress, about five times a second on its loop: the progress line, and every
 * interval an interim body for the pusher (rendered here, a few hundred bytes; sent by the
 * pusher's thread, so the loop never waits on the Pushgateway). */
static void on_progress(const gp_progress *p, void *ud)
{
    progress_ctx *pc = ud;
    int64_t now;

    if (pc->show)
        show_progress(p, ud);
    if (!pc->pusher || (now = gp_now_us()) < pc->next_push_us)
        return;
    {
        gp_interim in = {now - pc->t0_us, p->users,    p->connected, p->finished,
                         p->runs_done,    p->problems, p->lag_p99_us};
        size_t len = 0;
        char *body = gp_report_metrics_interim(&pc->meta, &in, &len);

        if (body)
            gp_pusher_offer(pc->pusher, body, len);
    }
    while (pc->next_push_us <= now)
        pc->next_push_us += pc->interval_us;
}

/* --workers' default: every core, but no more than one worker per WORKER_MIN_USERS users,
 * so a small run stays in one process. */
#define WORKER_MIN_USERS 2000

/* A shard's seed for an open model's Poisson arrivals: every shard must plan the same
 * arrivals without talking to the others, so the seed is what they share: the scenario's name,
 * rate and duration (FNV-1a). Not --start-at: "+30s" is a different time in every shard. */
static uint64_t shard_seed(const gp_scenario *s)
{
    uint64_t h = 1469598103934665603ull;
    const char *p = s->name ? s->name : "";

    while (*p)
        h = (h ^ (unsigned char)*p++) * 1099511628211ull;
    h = (h ^ (uint64_t)s->users.shape.duration_us) * 1099511628211ull;
    h = (h ^ (uint64_t)(s->users.shape.rate_per_s * 1000.0)) * 1099511628211ull;
    return h ? h : 1;
}

/* The users a shaped scenario splits over shards: the open model's planned arrivals (from the
 * shards' common seed), else the users. */
static unsigned shape_users(const gp_scenario *s, unsigned users, uint64_t seed)
{
    int64_t *plan = NULL;
    size_t n;

    if (!gp_shape_open(&s->users.shape))
        return users ? users : s->users.count ? s->users.count : 1;
    n = gp_shape_schedule(&s->users.shape, s->users.shape.duration_us, seed, GP_SHAPE_ARRIVALS_MAX,
                          &plan);
    free(plan);
    return (unsigned)n;
}

static unsigned auto_workers(unsigned users)
{
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    unsigned n = cores > 0 ? (unsigned)cores : 1, by_users = users / WORKER_MIN_USERS;

    if (by_users < 1)
        by_users = 1;
    return n < by_users ? n : by_users;
}

static int parse_label(const char *arg, gp_kv **labels, size_t *n)
{
    const char *eq = strchr(arg, '=');

    if (!eq || eq == arg) {
        fprintf(stderr, "goldenpath: --label wants KEY=VALUE, got '%s'\n", arg);
        return -1;
    }
    *labels = gp_realloc(*labels, (*n + 1) * sizeof **labels);
    (*labels)[*n].key = gp_strndup(arg, (size_t)(eq - arg));
    (*labels)[*n].value = gp_strdup(eq + 1);
    (*n)++;
    return 0;
}

/* This machine's name, where a run happens; "localhost" when it has none. */
static void this_host(char *buf, size_t size)
{
    if (gethostname(buf, size - 1) != 0 || !buf[0])
        snprintf(buf, size, "localhost");
    buf[size - 1] = '\0';
}

static const char *real_getenv(const char *name, void *ud)
{
    (void)ud;
    return getenv(name);
}

int cmd_run(int argc, char **argv)
{
    static const struct option opts[] = {
        {"target", required_argument, NULL, O_TARGET},
        {"users", required_argument, NULL, O_USERS},
        {"duration", required_argument, NULL, O_DURATION},
        {"interval", required_argument, NULL, O_INTERVAL},
        {"timeout", required_argument, NULL, O_TIMEOUT},
        {"junit", required_argument, NULL, O_JUNIT},
        {"json", required_argument, NULL, O_JSON},
        {"html", required_argument, NULL, O_HTML},
        {"markdown", required_argument, NULL, O_MARKDOWN},
        {"metrics", required_argument, NULL, O_METRICS},
        {"push", required_argument, NULL, O_PUSH},
        {"label", required_argument, NULL, O_LABEL},
        {"save-transcripts", required_argument, NULL, O_SAVE},
        {"no-progress", no_argument, NULL, O_NOPROG},
        {"verbose", no_argument, NULL, O_VERBOSE},
        {"workers", required_argument, NULL, O_WORKERS},
        {"source-address", required_argument, NULL, O_SOURCE},
        {"max-connecting", required_argument, NULL, O_MAXCONN},
        {"shard", required_argument, NULL, O_SHARD},
        {"start-at", required_argument, NULL, O_START_AT},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    gp_runner_opts ro;
    gp_shard shard = {0};
    gp_shard_info *shard_info = NULL;
    const char *start_at = NULL, *push_url = NULL;
    gp_pusher *pusher = NULL;
    int64_t push_every_us; /* --push's interim pushes: --interval, or the series' default */
    int64_t start_at_us = 0, scenario_at_us = 0; /* the current scenario's start, epoch µs */
    outputs out = {0};
    gp_kv *labels = NULL;
    size_t nlabels = 0, nsc = 0, i;
    gp_scenario **sc = NULL;
    gp_run_output *runs = NULL;
    gp_results **results = NULL;
    gp_suite *suites = NULL;
    bool progress = want_progress(), any_failed = false, any_inconclusive = false,
         save_failed = false;
    int opt, rc = GP_EXIT_USAGE;
    gp_console_opts co = {0};
    struct sigaction sa;
    unsigned workers = 0;
    int64_t duration_us = 0; /* --duration: overrides users.duration */
    int64_t interval_us = 0; /* --interval: the time series' */
    const char **sources = NULL;
    size_t nsources = 0;
    gp_report_ctx ctx;
    char run_host[GP_ORIGIN_HOST_MAX], rep_host[GP_ORIGIN_HOST_MAX];

    memset(&ro, 0, sizeof ro);
    optind = 1;
    while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        if (output_option(opt, optarg, &out))
            continue;
        switch (opt) {
        case O_TARGET:
            ro.url = optarg;
            break;
        case O_USERS: {
            char *end;
            long v;

            errno = 0;
            v = strtol(optarg, &end, 10);
            if (errno || *end || v < 1 || v > 100000) {
                fprintf(stderr, "goldenpath: --users wants a number from 1 to 100000, got '%s'\n",
                        optarg);
                goto out;
            }
            ro.users = (unsigned)v;
            break;
        }
        case O_INTERVAL:
            if (parse_interval(optarg, &interval_us) != 0)
                goto out;
            break;
        case O_DURATION:
            if (gp_duration_parse(optarg, &duration_us) != 0 || duration_us <= 0 ||
                duration_us > GP_DURATION_MAX_US) {
                fprintf(stderr,
                        "goldenpath: --duration wants a duration above 0 such as 30s or 10m, at "
                        "most %lldh, got '%s'\n",
                        (long long)(GP_DURATION_MAX_US / 3600000000LL), optarg);
                goto out;
            }
            break;
        case O_TIMEOUT:
            if (gp_duration_parse(optarg, &ro.timeout_us) != 0 || ro.timeout_us <= 0 ||
                ro.timeout_us > GP_DURATION_MAX_US) {
                fprintf(stderr,
                        "goldenpath: --timeout wants a duration such as 10s or 500ms, at most "
                        "%lldh, got '%s'\n",
                        (long long)(GP_DURATION_MAX_US / 3600000000LL), optarg);
                goto out;
            }
            break;
        case O_LABEL:
            if (parse_label(optarg, &labels, &nlabels) != 0)
                goto out;
            break;
        case O_SAVE:
            out.transcripts = optarg;
            break;
        case O_NOPROG:
            progress = false;
            break;
        case O_WORKERS:
        case O_MAXCONN: {
            char *end;
            long v;

            errno = 0;
            v = strtol(optarg, &end, 10);
            if (errno || *end || v < 1 || v > (opt == O_WORKERS ? 64 : 100000)) {
                fprintf(stderr, "goldenpath: --%s wants a number from 1 to %d, got '%s'\n",
                        opt == O_WORKERS ? "workers" : "max-connecting",
                        opt == O_WORKERS ? 64 : 100000, optarg);
                goto out;
            }
            if (opt == O_WORKERS)
                workers = (unsigned)v;
            else
                ro.max_connecting = (unsigned)v;
            break;
        }
        case O_SOURCE: {
            struct in_addr a;

            if (inet_pton(AF_INET, optarg, &a) != 1) {
                fprintf(stderr,
                        "goldenpath: --source-address wants an IPv4 address such as 127.0.0.2, "
                        "got '%s'\n",
                        optarg);
                goto out;
            }
            sources = gp_realloc(sources, (nsources + 1) * sizeof *sources);
            sources[nsources++] = optarg;
            break;
        }
        case O_SHARD: {
            gp_err err = {0};

            if (gp_shard_parse(optarg, &shard, &err) != 0) {
                print_err(&err);
                goto out;
            }
            break;
        }
        case O_START_AT:
            start_at = optarg;
            break;
        case O_PUSH:
            if (strncmp(optarg, "http://", 7) != 0 && strncmp(optarg, "https://", 8) != 0) {
                fprintf(stderr, "goldenpath: --push wants an http:// or https:// URL, got '%s'\n",
                        optarg);
                goto out;
            }
            push_url = optarg;
            break;
        case O_VERBOSE:
            ro.verbose = true;
            break;
        case 'h':
            fputs(usage_run, stdout);
            rc = GP_EXIT_OK;
            goto out;
        default:
            fputs("Run 'goldenpath run --help' for the options.\n", stderr);
            goto out;
        }
    }
    if (optind >= argc) {
        fputs("goldenpath: run needs at least one scenario file\n", stderr);
        fputs(usage_run, stderr);
        goto out;
    }
    if (out.transcripts && argc - optind > 1) {
        fputs("goldenpath: --save-transcripts takes a single scenario\n", stderr);
        goto out;
    }
    if (!shard.count) {
        gp_err err = {0};

        if (gp_shard_from_env(real_getenv, NULL, &shard, &err) != 0) {
            print_err(&err);
            goto out;
        }
    }
    this_host(run_host, sizeof run_host);
    {
        gp_err err = {0};

        /* A bad SOURCE_DATE_EPOCH is a usage error before anything connects. */
        if (gp_report_ctx_from_env(&ctx, run_host, rep_host, sizeof rep_host, &err) != 0) {
            print_err(&err);
            goto out;
        }
    }
    if (start_at) {
        gp_err err = {0};

        if (gp_start_at_parse(start_at, gp_wall_us(), &start_at_us, &err) != 0) {
            print_err(&err);
            goto out;
        }
    }

    /* Validate every scenario before anything connects. */
    nsc = (size_t)(argc - optind);
    sc = gp_calloc(nsc, sizeof *sc);
    for (i = 0; i < nsc; i++) {
        gp_err err = {0};

        sc[i] = gp_scenario_load(argv[optind + (int)i], &err);
        if (!sc[i]) {
            print_err(&err);
            rc = GP_EXIT_USAGE;
            goto out;
        }
        /* --timeout bounds every wait; the judge must quote the same bounds the runner used. */
        if (ro.timeout_us > 0) {
            gp_timeouts *t = &sc[i]->timeouts;

            t->connect_us = t->first_event_us = t->run_us = t->expect_us = ro.timeout_us;
        }
        /* Load shapes (issue 9): --duration overrides. Split runs (--workers, --shard) split
         * the users by global index; see docs/scenarios.md ("Load shapes over workers and
         * shards"). */
        if (duration_us > 0)
            sc[i]->users.shape.duration_us = duration_us;
        if (gp_shape_open(&sc[i]->users.shape) || gp_shape_soak(&sc[i]->users.shape)) {
            if (ro.users && gp_shape_open(&sc[i]->users.shape)) {
                fprintf(stderr,
                        "goldenpath: %s: --users does not apply to users.arrival_rate (the rate "
                        "and the duration set the users)\n",
                        sc[i]->path);
                goto out;
            }
            if (shard.count && gp_shape_open(&sc[i]->users.shape) &&
                sc[i]->users.shape.max_active && sc[i]->users.shape.max_active < shard.count) {
                fprintf(stderr,
                        "goldenpath: %s: users.max_active %u is split over the shards (each holds "
                        "its share of the cap), so %u shards would leave one without a user: use "
                        "at most %u shards\n",
                        sc[i]->path, sc[i]->users.shape.max_active, shard.count,
                        sc[i]->users.shape.max_active);
                goto out;
            }
        }
        if (shard.count) {
            unsigned total = shape_users(sc[i], ro.users, shard_seed(sc[i]));

            if (shard.index >= total) {
                fprintf(stderr,
                        "goldenpath: shard %u/%u (from %s) would run no user: %s has %u users; "
                        "use at most %u shards\n",
                        shard.index, shard.count, shard.source, sc[i]->name, total, total);
                goto out;
            }
        }
    }
    shard_info = gp_calloc(nsc, sizeof *shard_info);

    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    scenario_at_us = start_at_us;
    runs = gp_calloc(nsc, sizeof *runs);
    results = gp_calloc(nsc, sizeof *results);
    suites = gp_calloc(nsc, sizeof *suites);
    /* --push also pushes the figures so far every interval (--interval, default 10 s) of a
     * long run, each PUT bounded by the interval (at most the final push's 10 s). */
    push_every_us = interval_us > 0 ? interval_us : GP_SERIES_DEFAULT_INTERVAL_US;
    if (push_url) {
        pusher = gp_pusher_start(push_url, push_every_us < GP_PUSH_TIMEOUT_US ? push_every_us
                                                                              : GP_PUSH_TIMEOUT_US);
        if (!pusher && !gp_push_interim_ok(push_url))
            fprintf(stderr, "goldenpath: note: --push to an https:// gateway pushes once, at the "
                            "end of the run (interim pushes need http://)\n");
    }
    for (i = 0; i < nsc; i++) {
        progress_ctx pc;
        gp_err err = {0};
        unsigned all_users = 0; /* a shard's: the users (or planned arrivals) of all shards */

        if (interrupted)
            break;
        memset(&pc, 0, sizeof pc);
        pc.name = sc[i]->name;
        pc.shape = &sc[i]->users.shape;
        pc.show = progress;
        pc.pusher = pusher;
        pc.meta.scenario = sc[i];
        pc.meta.labels = labels;
        pc.meta.nlabels = nlabels;
        pc.interval_us = push_every_us;
        pc.t0_us = gp_now_us();
        pc.next_push_us = pc.t0_us + pc.interval_us;
        ro.scenario = sc[i];
        ro.interrupt = &interrupted;
        ro.progress = progress || pusher ? on_progress : NULL;
        ro.progress_ud = &pc;
        ro.source_addrs = sources;
        ro.nsource_addrs = nsources;
        ro.shard_index = shard.index;
        ro.shard_count = shard.count;
        /* --start-at holds every scenario's users: the first scenario's until then, scenario
         * i's until scenario i-1's start plus that scenario's slot (gp_shard_slot_us), a time
         * every shard computes alike, so the shards start each scenario together. A shard
         * already past it starts at once (its report shows how late). */
        if (start_at_us && i > 0)
            scenario_at_us += gp_shard_slot_us(sc[i - 1]);
        ro.t0_us = scenario_at_us && (i == 0 || scenario_at_us > gp_wall_us())
                       ? gp_now_us() + (scenario_at_us - gp_wall_us())
                       : 0;
        {
            unsigned total = ro.users ? ro.users : sc[i]->users.count;

            /* Shards plan an open model's arrivals from one seed (the same in every shard). */
            ro.shape_seed = shard.count ? shard_seed(sc[i]) : 0;
            if (shard.count) {
                all_users = shape_users(sc[i], ro.users, ro.shape_seed);
                total = all_users > shard.index
                            ? (all_users - shard.index + shard.count - 1) / shard.count
                            : 0;
            }
            ro.workers = workers ? workers : auto_workers(total);
            /* A load shape runs in one process unless --workers asks for more: max_active's
             * split and the time series are then exactly the one-process run's. */
            if ((gp_shape_open(&sc[i]->users.shape) || gp_shape_soak(&sc[i]->users.shape)) &&
                !workers)
                ro.workers = 1;
        }
        if (gp_runner_run_workers(&ro, &runs[i], &err) != 0) {
            if (pc.shown)
                fputs("\r\033[K", stderr);
            print_err(&err);
            rc = err.code ? err.code : GP_EXIT_INTERNAL;
            goto out;
        }
        if (pc.shown)
            fputs("\r\033[K", stderr);
        results[i] = gp_judge_run_shard(sc[i], runs[i].ts, runs[i].n, &runs[i].health, shard.count);
        if (shard.count) {
            shard_info[i].shard = shard;
            shard_info[i].users_total = all_users;
            shard_info[i].start_at_us = scenario_at_us;
            shard_info[i].first_user_at_us =
                gp_shard_first_start(runs[i].ts, runs[i].n, runs[i].started_wall_us);
            suites[i].meta.shard = &shard_info[i];
        }
        suites[i].meta.harness_version = GP_VERSION;
        suites[i].meta.scenario = sc[i];
        suites[i].meta.target = runs[i].target;
        suites[i].meta.proxy = runs[i].proxy;
        suites[i].meta.labels = labels;
        suites[i].meta.nlabels = nlabels;
        suites[i].meta.started_wall_us = runs[i].started_wall_us;
        suites[i].meta.duration_us = runs[i].duration_us;
        suites[i].meta.users = (unsigned)runs[i].n;
        suites[i].meta.interrupted = runs[i].interrupted;
        suites[i].meta.health = &runs[i].health;
        suites[i].meta.arrivals = runs[i].arrivals;
        suites[i].meta.dropped_arrivals = runs[i].dropped_arrivals;
        {
            /* Shards of a load shape size their intervals alike, from the shape's duration
             * rather than each shard's own, so that merge adds their series exactly. */
            int64_t span = runs[i].duration_us;

            if (shard.count &&
                (gp_shape_open(&sc[i]->users.shape) || gp_shape_soak(&sc[i]->users.shape)))
                span = sc[i]->users.shape.duration_us;
            results[i]->series =
                gp_series_build(results[i], runs[i].ts, runs[i].n, runs[i].started_wall_us,
                                runs[i].duration_us, gp_series_interval(span, interval_us));
        }
        if (runs[i].dropped_at_us)
            gp_series_add_dropped(results[i]->series, runs[i].dropped_at_us,
                                  runs[i].dropped_arrivals);
        gp_series_set_stages(results[i]->series, &sc[i]->users.shape,
                             sc[i]->users.shape.duration_us);
        suites[i].results = results[i];
        suites[i].ts = runs[i].ts;
        suites[i].nts = runs[i].n;
        if (!gp_results_passed(results[i]) || runs[i].interrupted)
            any_failed = true;
        if (gp_results_inconclusive(results[i]))
            any_inconclusive = true;
        if (out.transcripts) {
            gp_err terr = {0};
            gp_run_origin origin;

            snprintf(origin.host, sizeof origin.host, "%s", run_host);
            origin.started_wall_us = runs[i].started_wall_us;
            if (gp_transcripts_save_origin(out.transcripts, runs[i].ts, runs[i].n, &runs[i].health,
                                           &origin, &terr) != 0) {
                print_err(&terr);
                save_failed = true;
            }
        }
    }
    co = console_opts();
    /* Report what ran, even when a signal cut the run short. */
    {
        size_t ran = 0;

        while (ran < nsc && results[ran])
            ran++;
        gp_report_console(stdout, suites, ran, &co);
        fflush(stdout);
        /* The reports are generated now (checked above, so this cannot fail). */
        gp_report_ctx_from_env(&ctx, run_host, rep_host, sizeof rep_host, NULL);
        if (write_reports(&out, suites, ran, &ctx) != 0) {
            rc = GP_EXIT_INTERNAL;
            goto out;
        }
        if (pusher) {
            size_t pushed, failed;
            gp_err perr = {0};
            char buf[GP_ERR_MSG_MAX + GP_ERR_SRC_MAX + 64];

            gp_pusher_stop(pusher, &pushed, &failed, &perr);
            pusher = NULL;
            /* One line for all the interim pushes, however many failed. */
            if (failed) {
                gp_err_format(&perr, buf, sizeof buf);
                fprintf(stderr,
                        "goldenpath: warning: %zu of %zu interim pushes failed; first: %s\n",
                        failed, pushed, buf);
            }
        }
        ci_outputs(suites, ran, push_url);
        if (interrupted) {
            fputs("goldenpath: interrupted; the reports hold what was observed\n", stderr);
            any_failed = true;
        }
    }
    /* Transcripts that could not be saved are the harness's failure (3), as a report that
     * could not be written is above; otherwise a real failure outweighs the harness's own
     * trouble. */
    rc = save_failed        ? GP_EXIT_INTERNAL
         : any_failed       ? GP_EXIT_FAILED
         : any_inconclusive ? GP_EXIT_INCONCLUSIVE
                            : GP_EXIT_OK;
out:
    if (pusher) {
        size_t pushed, failed;

        gp_pusher_stop(pusher, &pushed, &failed, NULL);
    }
    for (i = 0; i < nsc; i++) {
        if (runs)
            gp_run_output_cleanup(&runs[i]);
        if (results)
            gp_results_free(results[i]);
        gp_scenario_free(sc ? sc[i] : NULL);
    }
    free(runs);
    free(results);
    free(suites);
    free(sc);
    free(sources);
    free(shard_info);
    gp_kvs_free(labels, nlabels);
    return rc;
}
