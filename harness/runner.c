/* runner.c - simulated users over libwebsockets, the run as a whole: one client context, one
 * event loop, its tick (loop lag, progress, interrupt), each user's setup and credential, and
 * the results handed back. The rest of the runner (runner_int.h): the target and credentials
 * (runner_target.c), connecting (runner_connect.c), each user's state machine (runner_user.c),
 * the libwebsockets callback (runner_lws.c), load shapes (runner_shape.c) and the HTTP requests
 * of a connect (runner_http.c). Every wait has a timer; a broken server ends a user's steps,
 * never the run. */
#include "runner.h"

#include <errno.h>
#include <ev.h>
#include <libwebsockets.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "redact.h"
#include "runner_int.h"

/* ---- the run as a whole ---- */

/* Every TICK_US: how late the loop ran this tick (its lag), the interrupt flag, and the
 * progress line every PROGRESS_US. Nothing here depends on the number of users. */
static void on_tick(gp_timer *t)
{
    runner *r = lws_container_of(t, runner, tick);
    int64_t now = gp_now_us(), lag = now - t->at_us;

    gp_hist_record(&r->lag, lag > 0 ? lag : 0);
    if (r->o->interrupt && *r->o->interrupt) {
        r->interrupted = true;
        r->stop = true;
        return;
    }
    if (r->o->progress && now >= r->next_progress) {
        gp_progress p = {.users = r->nusers,
                         .connected = r->connected,
                         .finished = r->finished,
                         .runs_done = r->runs_done,
                         .problems = r->problems,
                         .lag_p99_us = gp_hist_percentile(&r->lag, 99),
                         .active = gp_shape_open(&r->shape) ? r->active : r->connected,
                         .elapsed_us = now - r->t0};

        r->o->progress(&p, r->o->progress_ud);
        r->next_progress = now + PROGRESS_US;
    }
    /* From the deadline, not from now: a late tick does not drift the probe. */
    gp_timer_arm(&r->timers, &r->tick,
                 t->at_us + TICK_US > now ? t->at_us + TICK_US : now + TICK_US, on_tick);
}

static void lws_log_emit(int level, const char *line)
{
    /* libwebsockets may log a URL or header; credentials must not reach stderr. */
    char *safe = gp_redact(line, strlen(line));

    fprintf(stderr, "goldenpath: lws: %s", safe);
    free(safe);
}

static int load_credentials(runner *r, gp_err *err)
{
    const gp_auth *a = &r->s->auth;

    switch (a->kind) {
    case GP_AUTH_JWT: {
        const char *name = a->secret_env; /* the model's default when the file names none */

        r->secret = getenv(name);
        if (!r->secret || !*r->secret) {
            gp_err_set(err, GP_EXIT_USAGE, r->s->path, 0, 0,
                       "environment variable %s (the JWT secret) is not set", name);
            return -1;
        }
        gp_secrets_add(r->secrets, r->secret, strlen(r->secret));
        r->jwt_key = gp_jwt_key_new(r->secret, strlen(r->secret), err);
        /* Other workers' users' tokens are not in this process's set: known by signature. */
        gp_secrets_set_jwt_key(r->secrets, r->jwt_key);
        return r->jwt_key ? 0 : -1;
    }
    case GP_AUTH_ENV_TOKEN:
        if (!a->token_env || !getenv(a->token_env) || !*getenv(a->token_env)) {
            gp_err_set(err, GP_EXIT_USAGE, r->s->path, 0, 0,
                       "environment variable %s (the token) is not set",
                       a->token_env ? a->token_env : "(none)");
            return -1;
        }
        gp_secrets_add(r->secrets, getenv(a->token_env), strlen(getenv(a->token_env)));
        return 0;
    case GP_AUTH_TOKEN_FILE: {
        FILE *f = a->token_file ? fopen(a->token_file, "r") : NULL;
        char line[16384];

        if (!f) {
            gp_err_set(err, GP_EXIT_USAGE, a->token_file, 0, 0, "cannot open token file: %s",
                       strerror(errno));
            return -1;
        }
        while (fgets(line, sizeof line, f)) {
            line[strcspn(line, "\r\n")] = '\0';
            if (!line[0] || line[0] == '#')
                continue;
            r->file_tokens =
                gp_realloc(r->file_tokens, (r->nfile_tokens + 1) * sizeof *r->file_tokens);
            r->file_tokens[r->nfile_tokens++] = gp_rn_remember(r, gp_strdup(line));
        }
        fclose(f);
        if (!r->nfile_tokens) {
            gp_err_set(err, GP_EXIT_USAGE, a->token_file, 0, 0, "the token file has no tokens");
            return -1;
        }
        return 0;
    }
    case GP_AUTH_NONE:
        return 0;
    case GP_AUTH_E2E: {
        const char *name = a->bypass_key_env ? a->bypass_key_env : "GOLDENPATH_BYPASS_KEY";

        if (!getenv(name) || !*getenv(name)) {
            gp_err_set(err, GP_EXIT_USAGE, r->s->path, 0, 0,
                       "environment variable %s (the test-auth bypass key) is not set", name);
            return -1;
        }
        gp_secrets_add(r->secrets, getenv(name), strlen(getenv(name)));
        return 0;
    }
    }
    return 0;
}

static int init_user(runner *r, conn *c, size_t i, gp_err *err)
{
    gp_vars v;
    char nonce[33];

    c->magic = CONN_MAGIC;
    c->r = r;
    c->index = i;
    gp_rn_random_hex(nonce, 16);
    c->nonce = gp_strdup(nonce);
    c->uuid_state = (uint64_t)i << 32;
    gp_buf_init(&c->rx,
                r->s->profile.max_frame_bytes ? r->s->profile.max_frame_bytes : (size_t)1 << 20);
    memset(&v, 0, sizeof v);
    v.user_index = i;
    v.nonce = c->nonce;
    v.user_id = "";
    v.uuid_state = &c->uuid_state;
    c->user_id = gp_template_expand(r->s->users.id_template, &v, err);
    if (!c->user_id)
        return -1;
    c->t = gp_transcript_new(i, c->user_id, c->nonce);
    /* Bounded memory: per user 20000 frames, and an equal share of the run's bound on
     * transcript bytes (data and records, across every worker), with no floor. */
    c->t->max_frames = 20000;
    c->t->max_bytes = gp_transcript_budget(r->total);
    c->t->frame_cost = GP_TRANSCRIPT_FRAME_COST;
    if (gp_shape_soak(&r->shape))
        c->t->iteration = 1;
    switch (r->s->auth.kind) {
    case GP_AUTH_JWT:
        c->token = gp_rn_remember(r, gp_rn_mint(c, r->secret, false, err));
        if (!c->token)
            return -1;
        break;
    case GP_AUTH_ENV_TOKEN:
        c->token = gp_strdup(getenv(r->s->auth.token_env));
        break;
    case GP_AUTH_TOKEN_FILE:
        c->token = gp_strdup(r->file_tokens[i % r->nfile_tokens]);
        break;
    case GP_AUTH_NONE:
    case GP_AUTH_E2E: /* fetched from the auth service at the first connect */
        break;
    }
    c->stack[0].steps = r->s->steps;
    c->stack[0].n = r->s->nsteps;
    c->depth = 1;
    return 0;
}

/* Hands the run's transcripts to out: every user's, and in a soak every iteration's, in user
 * then iteration order; an open model's dropped arrivals are counted, not judged. */
static void shape_output(runner *r, gp_run_output *out)
{
    size_t i, n = 0;

    out->ts = gp_calloc(r->nusers + r->niters + 1, sizeof *out->ts);
    for (i = 0; i < r->nusers; i++) {
        if (!r->conns[i].dropped)
            out->ts[n++] = r->conns[i].t;
        else
            gp_transcript_free(r->conns[i].t);
        r->conns[i].t = NULL;
    }
    for (i = 0; i < r->niters; i++)
        out->ts[n++] = r->iters[i];
    r->niters = 0;
    if (r->iters_cap)
        qsort(out->ts, n, sizeof *out->ts, gp_transcript_cmp_user_iteration);
    out->n = n;
    out->arrivals = gp_shape_open(&r->shape) ? r->nusers : 0;
    out->dropped_arrivals = r->dropped;
    out->dropped_at_us = r->dropped_at;
    r->dropped_at = NULL;
}

/* Sets the soft fd limit to what the users need (two sockets each at most, a WebSocket and an
 * HTTP request, and a margin), up to the hard limit. Not more: libwebsockets sizes its fd table
 * from it and scans the whole table once per closed connection. */
static void set_fd_limit(unsigned users)
{
    struct rlimit rl;
    rlim_t want = (rlim_t)users * 2 + 64;

    if (want < 1024)
        want = 1024;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
        return;
    if (rl.rlim_max != RLIM_INFINITY && want > rl.rlim_max)
        want = rl.rlim_max;
    if (rl.rlim_cur != want) {
        rl.rlim_cur = want;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
}

int gp_runner_run(const gp_runner_opts *o, gp_run_output *out, gp_err *err)
{
    struct lws_context_creation_info info;
    runner r;
    unsigned i;
    int rc = -1;
    int64_t ramp, *arrivals = NULL;
    struct rlimit rl;
    struct rusage ru0, ru1;
    void *loops[1];

    memset(out, 0, sizeof *out);
    memset(&r, 0, sizeof r);
    r.o = o;
    r.s = o->scenario;
    r.to = r.s->timeouts;
    if (o->timeout_us > 0) {
        r.to.connect_us = r.to.first_event_us = r.to.run_us = r.to.expect_us = o->timeout_us;
    }
    /* The defaults are the model's (gp_scenario_set_defaults); the loader allows no zero. */
    r.total = o->users ? o->users : (r.s->users.count ? r.s->users.count : 1);
    r.shape = r.s->users.shape;
    if (gp_shape_open(&r.shape)) {
        /* the open model: one user per planned arrival (--users does not apply) */
        r.total = (unsigned)gp_shape_schedule(
            &r.shape, r.shape.duration_us, o->shape_seed ? o->shape_seed : (uint64_t)gp_wall_us(),
            SHAPE_USERS_MAX, &arrivals);
    }
    r.shard_count = o->shard_count ? o->shard_count : 1;
    r.shard_index = o->shard_index < r.shard_count ? o->shard_index : 0;
    r.max_connecting = o->max_connecting ? o->max_connecting : DEFAULT_MAX_CONNECTING;
    gp_timerheap_init(&r.timers);
    gp_hist_init(&r.lag);
    r.secrets = gp_secrets_new();
    r.url = gp_strdup(o->url ? o->url : (r.s->target.url ? r.s->target.url : ""));
    r.url_redacted = gp_url_redact(r.url);
    if (gp_shape_open(&r.shape) && r.shape.max_active && r.shard_count > 1) {
        /* A split run (workers, shards): each part holds its share of max_active, the shares
         * summing to the scenario's cap (gp_runner_part_cap). */
        unsigned cap = gp_runner_part_cap(r.shape.max_active, r.shard_index, r.shard_count);

        if (!cap) {
            gp_err_set(err, GP_EXIT_USAGE, NULL, 0, 0,
                       "users.max_active %u is split over %u processes (shards times workers), "
                       "so part %u would hold no user: use at most %u shards times workers",
                       r.shape.max_active, r.shard_count, r.shard_index, r.shape.max_active);
            goto out;
        }
        r.shape.max_active = cap;
    }
    r.nusers =
        r.total > r.shard_index ? (r.total - r.shard_index + r.shard_count - 1) / r.shard_count : 0;
    if (gp_rn_parse_target(&r, r.url, err) != 0 || load_credentials(&r, err) != 0)
        goto out;
    r.src = o->source_addrs;
    r.nsrc = o->nsource_addrs;
    if (!r.nsrc && r.total > USERS_PER_SOURCE && strncmp(r.addr, "127.", 4) == 0) {
        size_t k, want = (r.total + USERS_PER_SOURCE - 1) / USERS_PER_SOURCE;

        for (k = 0; k < want && k < AUTO_SRC_MAX; k++) {
            snprintf(r.auto_src[k], sizeof r.auto_src[k], "127.0.0.%zu", k + 1);
            r.auto_src_p[k] = r.auto_src[k];
        }
        r.src = r.auto_src_p;
        r.nsrc = k;
    }
    if (r.s->target.carrier == GP_CARRIER_TICKET) {
        char *u = r.s->target.ticket_url
                      ? gp_strdup(r.s->target.ticket_url)
                      : gp_asprintf("%s://%s:%d/api/websocket/ticket", r.tls ? "https" : "http",
                                    r.host_hdr, r.port);

        gp_rn_endpoint_init(&r.ticket_ep, u, r.s->target.proxy);
        free(u);
    }
    if (r.s->auth.kind == GP_AUTH_E2E) {
        const char *base = r.s->auth.url ? r.s->auth.url : "";
        size_t blen = strlen(base);
        char *u;

        while (blen && base[blen - 1] == '/')
            blen--;
        u = gp_asprintf("%.*s/auth/e2e/test-auth", (int)blen, base);
        gp_rn_endpoint_init(&r.auth_ep, u, r.s->target.proxy);
        free(u);
    }

    set_fd_limit(r.nusers);
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < (rlim_t)r.nusers + 32) {
        gp_err_set(err, GP_EXIT_USAGE, NULL, 0, 0,
                   "%u users need %u open files, but this process may open only %llu "
                   "(ulimit -n)",
                   r.nusers, r.nusers + 32, (unsigned long long)rl.rlim_cur);
        goto out;
    }

    lws_set_log_level(o->verbose ? (LLL_ERR | LLL_WARN) : 0, lws_log_emit);
    r.loop = ev_loop_new(EVBACKEND_EPOLL | EVFLAG_NOSIGMASK);
    if (!r.loop) {
        gp_err_set(err, GP_EXIT_INTERNAL, NULL, 0, 0, "cannot create the event loop (epoll)");
        goto out;
    }
    ev_init(&r.wake, gp_rn_on_wake);
    loops[0] = r.loop;
    memset(&info, 0, sizeof info);
    info.port = CONTEXT_PORT_NO_LISTEN;
    info.options = LWS_SERVER_OPTION_LIBEV;
    /* TLS only when something is reached over it: loading the system's CA store costs about
     * 0.1 s of CPU per process, more than a thousand plain sessions. */
    if (r.tls || (r.ticket_ep.tls && r.s->target.carrier == GP_CARRIER_TICKET) ||
        (r.auth_ep.tls && r.s->auth.kind == GP_AUTH_E2E))
        info.options |= LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
    info.foreign_loops = loops;
    info.protocols = gp_rn_protocols;
    /* fd_limit_per_thread stays 0: libwebsockets then sizes its fd table from the (raised)
     * fd limit and finds a wsi by indexing it, instead of scanning every slot. */
    info.client_ssl_ca_filepath = r.s->target.ca_file;
    info.client_ssl_cert_filepath = r.s->target.client_cert;
    info.client_ssl_private_key_filepath = r.s->target.client_key;
    if (r.s->target.compression == GP_COMPRESSION_DEFLATE)
        info.extensions = gp_rn_deflate_exts;
    /* Our own timers bound every wait; libwebsockets' connect timeout is only a backstop,
     * long enough that a stalled harness does not turn into a connect failure. */
    info.timeout_secs = (unsigned)(r.to.connect_us / LWS_US_PER_SEC + 60);
    /* The default vhost is direct: without this, libwebsockets would read http_proxy itself
     * (and nothing else: no https_proxy, no no_proxy). Port 0 means no proxy. */
    info.http_proxy_address = ":0";
    r.ctx = lws_create_context(&info);
    if (!r.ctx) {
        gp_err_set(err, GP_EXIT_INTERNAL, NULL, 0, 0, "cannot create the libwebsockets context");
        goto out;
    }
    if (gp_rn_route_vhost(&r, &r.troute, &info, "gp-target") < 0 ||
        gp_rn_route_vhost(&r, &r.ticket_ep.route, &info, "gp-ticket") < 0 ||
        gp_rn_route_vhost(&r, &r.auth_ep.route, &info, "gp-test-auth") < 0) {
        gp_err_set(err, GP_EXIT_INTERNAL, NULL, 0, 0,
                   "cannot create the libwebsockets vhost for a proxy");
        goto out;
    }

    r.conns = gp_calloc(r.nusers, sizeof *r.conns);
    for (i = 0; i < r.nusers; i++)
        if (init_user(&r, &r.conns[i], r.shard_index + (size_t)i * r.shard_count, err) != 0)
            goto out;

    getrusage(RUSAGE_SELF, &ru0);
    r.t0 = o->t0_us > 0 ? o->t0_us : gp_now_us();
    /* The wall time of the run's clock zero, which --start-at may put in the future. */
    out->started_wall_us = gp_wall_us() + (r.t0 - gp_now_us());
    ramp = r.s->users.ramp_up_us;
    r.shape_end = r.t0 + r.shape.duration_us;
    for (i = 0; i < r.nusers; i++) {
        /* the whole run's ramp: a user starts at the same moment whichever worker runs it */
        int64_t g = (int64_t)r.conns[i].index, n = (int64_t)r.total,
                at = r.t0 + (n > 1 ? ramp / n * g + ramp % n * g / n : 0);

        if (arrivals)
            at = r.t0 + arrivals[g];
        if (r.shape.nstages && !r.shape.rate_stages) /* when the target first passes the index */
            at = r.t0 + gp_shape_next_wanted(&r.shape, (unsigned)g, 0);
        gp_rn_arm_delay(&r.conns[i], at - gp_now_us());
    }
    gp_rn_timer_arm(&r, &r.tick, TICK_US, on_tick);

    while (!r.stop)
        ev_run(r.loop, EVRUN_ONCE);

    r.stopping = true;
    getrusage(RUSAGE_SELF, &ru1);
    if (o->progress) {
        gp_progress p = {.users = r.nusers,
                         .connected = r.connected,
                         .finished = r.finished,
                         .runs_done = r.runs_done,
                         .problems = r.problems,
                         .lag_p99_us = gp_hist_percentile(&r.lag, 99),
                         .active = gp_shape_open(&r.shape) ? r.active : r.connected,
                         .elapsed_us = gp_now_us() - r.t0};

        o->progress(&p, o->progress_ud);
    }
    for (i = 0; i < r.nusers; i++) {
        conn *c = &r.conns[i];

        if (c->state == CS_IDLE) {
            gp_rn_record(c, GP_FR_NOTE, -1, GP_NOTE_NOT_STARTED);
        } else if (c->state != CS_DONE) {
            if (c->state == CS_WAIT_RUN)
                gp_rn_record(c, GP_FR_RUN_END, c->step ? c->step->id : -1, "interrupted");
            gp_rn_record(c, GP_FR_NOTE, -1, "the run was interrupted before this user finished");
        }
        gp_rn_cancel_timers(c);
    }
    gp_timer_cancel(&r.timers, &r.tick);
    gp_timer_cancel(&r.timers, &r.pump);
    ev_timer_stop(r.loop, &r.wake);
    lws_context_destroy(r.ctx);
    r.ctx = NULL;
    if (r.failure.code) {
        if (err)
            *err = r.failure;
        goto out;
    }
    out->duration_us = gp_now_us() - r.t0;
    r.health.measured = true;
    r.health.workers = 1;
    r.health.lag_p50_us = gp_hist_percentile(&r.lag, 50);
    r.health.lag_p99_us = gp_hist_percentile(&r.lag, 99);
    r.health.lag_max_us = r.lag.count ? r.lag.max : 0;
    r.health.cpu_user_s = (double)(ru1.ru_utime.tv_sec - ru0.ru_utime.tv_sec) +
                          (double)(ru1.ru_utime.tv_usec - ru0.ru_utime.tv_usec) / 1e6;
    r.health.cpu_sys_s = (double)(ru1.ru_stime.tv_sec - ru0.ru_stime.tv_sec) +
                         (double)(ru1.ru_stime.tv_usec - ru0.ru_stime.tv_usec) / 1e6;
    r.health.cpu_busy = out->duration_us > 0 ? (r.health.cpu_user_s + r.health.cpu_sys_s) /
                                                   ((double)out->duration_us / 1e6)
                                             : 0;
    out->health = r.health;
    memset(&r.health, 0, sizeof r.health);
    out->interrupted = r.interrupted;
    shape_output(&r, out);
    out->target = r.url_redacted;
    out->proxy = r.troute.proxied ? gp_strdup(r.troute.proxy.display) : NULL;
    r.url_redacted = NULL;
    /* The key is freed below; the values go on (a worker hands them to the parent). */
    gp_secrets_set_jwt_key(r.secrets, NULL);
    out->secrets = r.secrets;
    r.secrets = NULL;
    rc = 0;
out:
    if (r.ctx)
        lws_context_destroy(r.ctx);
    if (r.loop)
        ev_loop_destroy(r.loop);
    gp_timerheap_cleanup(&r.timers);
    gp_hist_cleanup(&r.lag);
    gp_health_cleanup(&r.health);
    for (i = 0; r.conns && i < r.nusers; i++) {
        conn *c = &r.conns[i];

        gp_rn_queue_clear(c);
        free(c->subproto);
        free(c->last_mismatch);
        gp_transcript_free(c->t);
        free(c->user_id);
        free(c->nonce);
        free(c->token);
        free(c->cur_token);
        free(c->run_thread);
        free(c->ticket);
        json_decref(c->captured);
        gp_buf_cleanup(&c->rx);
    }
    free(r.conns);
    free(arrivals);
    for (i = 0; (size_t)i < r.niters; i++)
        gp_transcript_free(r.iters[i]);
    free(r.iters);
    free(r.dropped_at);
    for (i = 0; i < r.nfile_tokens; i++)
        free(r.file_tokens[i]);
    free(r.file_tokens);
    free(r.url);
    free(r.url_redacted);
    free(r.conn_record);
    free(r.path);
    free(r.resolve_err);
    gp_rn_endpoint_cleanup(&r.ticket_ep);
    gp_rn_endpoint_cleanup(&r.auth_ep);
    gp_rn_route_cleanup(&r.troute);
    gp_jwt_key_free(r.jwt_key);
    gp_secrets_free(r.secrets);
    gp_rn_http_free_all(&r.http_reqs);
    return rc;
}

void gp_run_output_cleanup(gp_run_output *out)
{
    size_t i;

    for (i = 0; i < out->n; i++)
        gp_transcript_free(out->ts[i]);
    free(out->ts);
    free(out->dropped_at_us);
    gp_health_cleanup(&out->health);
    free(out->target);
    free(out->proxy);
    gp_secrets_free(out->secrets);
    memset(out, 0, sizeof *out);
}

const char *gp_net_lws_version(void)
{
    return lws_get_library_version();
}
