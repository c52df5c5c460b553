# Scale and harness honesty (issue 7): the harness's own stalls never become server failures,
# workers judge every pair of users together, users connect from chosen source addresses,
# and one process holds 19,000 users. Timings here are bounds, never expectations.

# A run stopped for 5 s (SIGSTOP, then SIGCONT) against a correct server, default timeouts:
# the stall is measured and reported, nothing is blamed on the server.
gp_it(scale.sigstop_never_blames_server 120
  --server-arg --think-ms --server-arg 300 --stop-after 1 --stop-for 5
  --expect-exit 0 --expect-line "stalls: [0-9.]+-[0-9.]+ ms" --reject-text "FAIL "
  -- ${GP_BIN} run ${GP_SCN}/golden_path.yaml --target @URL@ --users 400 --workers 1
     --no-progress)

# The same stall with deadlines shorter than it: inconclusive (exit 3), never failed (exit 1).
gp_it(scale.sigstop_short_deadline_inconclusive 120
  --server-arg --think-ms --server-arg 300 --stop-after 1 --stop-for 5
  --expect-exit 3 --expect-text "INCONCLUSIVE" --expect-text "fewer users per process"
  --reject-text "FAIL "
  -- ${GP_BIN} run ${GP_SCN}/golden_path.yaml --target @URL@ --users 400 --workers 1
     --timeout 3s --no-progress)

# Stopping every worker process gives the same verdict.
gp_it(scale.sigstop_workers_inconclusive 120
  --server-arg --think-ms --server-arg 300 --stop-after 1 --stop-for 5
  --expect-exit 3 --expect-text "INCONCLUSIVE" --reject-text "FAIL "
  -- ${GP_BIN} run ${GP_SCN}/golden_path.yaml --target @URL@ --users 400 --workers 2
     --timeout 3s --no-progress)

# Workers: a correct server passes and the report says how many processes ran the users.
gp_it(scale.workers_pass 120
  --expect-exit 0 --expect-text "300 of 300 users passed" --expect-text "3 workers"
  -- ${GP_BIN} run ${GP_SCN}/golden_path.yaml --target @URL@ --users 300 --workers 3
     --no-progress)

# Workers: a leak between users run by different processes is still a leak.
gp_it(scale.workers_cross_process_leak 120
  --server-arg --fault --server-arg shared_notifier
  --expect-exit 1 --expect-text "GP-R6-ISOLATION"
  -- ${GP_BIN} run ${GP_SCN}/concurrent_isolation.yaml --target @URL@ --users 40 --workers 2
     --no-progress)

# Source addresses: users connect from 127.0.0.2 (seen by ss while the runs are open).
gp_it(scale.source_address_used 120
  --server-arg --think-ms --server-arg 400 --expect-exit 0
  -- sh -c "${GP_BIN} run ${GP_SCN}/golden_path.yaml --target @URL@ --users 20 \
            --source-address 127.0.0.2 --no-progress >/dev/null & gp=\$!; sleep 1.2; \
            ss -Htn state established dst 127.0.0.1:@PORT@ | grep -q ' 127.0.0.2:' ; seen=\$?; \
            wait \$gp; rc=\$?; echo seen=\$seen rc=\$rc; test \$seen -eq 0 -a \$rc -eq 0")

# A source address this host does not have: a failed connect that says why, not a crash.
gp_it(scale.source_address_unusable 60
  --expect-exit 1 --expect-text "GP-CONNECT"
  --expect-text "cannot connect from the source address 192.0.2.1"
  -- ${GP_BIN} run ${GP_SCN}/golden_path.yaml --target @URL@ --users 2
     --source-address 192.0.2.1 --no-progress)

gp_it(scale.bad_source_address_exit2 30 --expect-exit 2 --expect-text "--source-address"
  -- ${GP_BIN} run ${GP_SCN}/golden_path.yaml --target @URL@ --source-address not-an-ip)
gp_it(scale.bad_workers_exit2 30 --expect-exit 2 --expect-text "--workers"
  -- ${GP_BIN} run ${GP_SCN}/golden_path.yaml --target @URL@ --workers 0)

# 19,000 users in one process (the fd limit here is 20,000) pass with the default timeouts.
gp_it(scale.19000_users_one_process 900
  --limit 600 --server-arg --think-ms --server-arg 0 --server-arg --steps-max --server-arg 1
  --server-arg --tools-max --server-arg 1
  --expect-exit 0 --expect-text "19000 of 19000 users passed"
  -- ${GP_BIN} run ${GP_SCN}/golden_path.yaml --target @URL@ --users 19000 --workers 1
     --no-progress)
set_tests_properties(it.scale.19000_users_one_process PROPERTIES LABELS "integration;slow"
                     RUN_SERIAL TRUE)
