# Integration tests: the goldenpath binary against the reference server, which
# ci/with-refserver starts on a free port (waiting for its port file) and stops.
set(GP_WITH ${PROJECT_SOURCE_DIR}/ci/with-refserver)
set(GP_SCN ${PROJECT_SOURCE_DIR}/scenarios)
set(GP_TEST_SECRET "ctest-secret-7f3a9c1e5b")
set(GP_IT_ENV "GOLDENPATH_JWT_SECRET=${GP_TEST_SECRET};GP_REFSERVER=${GP_REFSERVER};NO_COLOR=1")

# gp_it(NAME TIMEOUT [LABELS] ARGS...) - one integration test.
function(gp_it name timeout)
  add_test(NAME it.${name} COMMAND ${GP_WITH} ${ARGN})
  set_tests_properties(it.${name} PROPERTIES LABELS integration TIMEOUT ${timeout}
                       ENVIRONMENT "${GP_IT_ENV}")
endfunction()

# The correct server passes with 50 users, and the secret never reaches any output.
gp_it(golden_path.correct_50_users 120
  --expect-exit 0 --reject-text ${GP_TEST_SECRET} --reject-text "Bearer ey"
  -- ${GP_BIN} run ${GP_SCN}/golden_path.yaml --target @URL@ --users 50 --no-progress
     --junit ${CMAKE_BINARY_DIR}/it-golden.junit.xml --json ${CMAKE_BINARY_DIR}/it-golden.json)

# Every fault mode fails, naming the rule that fault breaks. Each pair: mode, rule id.
set(GP_FAULTS
  drop_event GP-R4-TOOL-PAIRS
  reorder GP-R3-ALL-EVENTS
  duplicate_completed GP-R2-COMPLETED-LAST
  never_complete GP-COMPLETION
  invalid_json GP-R7-FRAMES
  close_1011 GP-COMPLETION
  missing_field GP-FIELDS
  wrong_run_id GP-R5-IDS
  event_after_completion GP-R2-COMPLETED-LAST
  thinking_before_started GP-R1-STARTED-FIRST
  agent_error GP-COMPLETION
  agent_death GP-COMPLETION
  binary_frame GP-R7-FRAMES
  oversize_frame GP-R7-FRAMES
  silent GP-COMPLETION
  refuse_upgrade GP-CONNECT)
list(LENGTH GP_FAULTS n)
math(EXPR last "${n} - 1")
foreach(i RANGE 0 ${last} 2)
  math(EXPR j "${i} + 1")
  list(GET GP_FAULTS ${i} mode)
  list(GET GP_FAULTS ${j} rule)
  gp_it(fault.${mode} 90
    --server-arg --fault --server-arg ${mode} --server-arg --fault-every --server-arg 3
    --expect-exit 1 --expect-line "FAIL.*${rule}|${rule}.*FAIL"
    --reject-text ${GP_TEST_SECRET}
    -- ${GP_BIN} run ${GP_SCN}/golden_path.yaml --target @URL@ --users 20 --timeout 3s
       --no-progress)
endforeach()

# The shared-notifier leaks: correct with one user, caught with 20 concurrent users.
foreach(mode shared_notifier shared_notifier_rewrite)
  gp_it(leak.${mode}.one_user_passes 60
    --server-arg --fault --server-arg ${mode} --expect-exit 0
    -- ${GP_BIN} run ${GP_SCN}/concurrent_isolation.yaml --target @URL@ --users 1 --no-progress)
  gp_it(leak.${mode}.caught_20_users 90
    --server-arg --fault --server-arg ${mode} --server-arg --think-ms --server-arg 20
    --expect-exit 1 --expect-line "FAIL.*GP-R6-ISOLATION|GP-R6-ISOLATION.*FAIL"
    -- ${GP_BIN} run ${GP_SCN}/concurrent_isolation.yaml --target @URL@ --users 20 --timeout 5s
       --no-progress)
endforeach()

# Authentication: refused four ways (HTTP 401 and close 1008), and the fault is caught.
gp_it(auth.refused_http 60 --expect-exit 0
  -- ${GP_BIN} run ${GP_SCN}/auth_required.yaml --target @URL@ --no-progress)
gp_it(auth.refused_close 60 --server-arg --auth-refusal --server-arg close --expect-exit 0
  -- ${GP_BIN} run ${GP_SCN}/auth_required.yaml --target @URL@ --no-progress)
gp_it(auth.accept_unauthenticated 60
  --server-arg --fault --server-arg accept_unauthenticated
  --expect-exit 1 --expect-line "FAIL.*GP-AUTH|GP-AUTH.*FAIL"
  -- ${GP_BIN} run ${GP_SCN}/auth_required.yaml --target @URL@ --no-progress)

# Credential carriers: bearer (the scenario's), subprotocol and query via netra_staging.
foreach(carrier subprotocol query bearer)
  add_test(NAME it.carrier.${carrier} COMMAND ${GP_WITH} --expect-exit 0
    -- ${GP_BIN} run ${GP_SCN}/netra_staging.yaml --target @URL@ --users 10 --no-progress)
  set_tests_properties(it.carrier.${carrier} PROPERTIES LABELS integration TIMEOUT 60
    ENVIRONMENT "${GP_IT_ENV};NETRA_CARRIER=${carrier}")
endforeach()

# PROTOCOL.md's envelope variations, all accepted by the staging scenario's profile.
gp_it(variations.system_message_iso_reasoning 60
  --server-arg --envelope --server-arg system_message --server-arg --timestamp --server-arg iso
  --server-arg --thinking-type --server-arg reasoning --server-arg --ready-type
  --server-arg connection_ready --expect-exit 0
  -- ${GP_BIN} run ${GP_SCN}/netra_staging.yaml --target @URL@ --users 10 --no-progress)
foreach(env payload data)
  gp_it(variations.envelope_${env} 60 --server-arg --envelope --server-arg ${env}
    --server-arg --ready-type --server-arg system_message --expect-exit 0
    -- ${GP_BIN} run ${GP_SCN}/netra_staging.yaml --target @URL@ --users 10 --no-progress)
endforeach()

# Every shipped scenario runs green against the reference server.
foreach(scn golden_path multi_turn concurrent_isolation reconnect auth_required)
  gp_it(scenario.${scn} 120 --expect-exit 0
    -- ${GP_BIN} run ${GP_SCN}/${scn}.yaml --target @URL@ --no-progress)
endforeach()
gp_it(scenario.heartbeat 60 --server-arg --heartbeat-ms --server-arg 300 --expect-exit 0
  -- ${GP_BIN} run ${GP_SCN}/heartbeat.yaml --target @URL@ --no-progress)
gp_it(scenario.netra_staging 60 --expect-exit 0
  -- ${GP_BIN} run ${GP_SCN}/netra_staging.yaml --target @URL@ --no-progress)
gp_it(scenario.all_in_one_invocation 180 --expect-exit 0
  -- ${GP_BIN} run ${GP_SCN}/golden_path.yaml ${GP_SCN}/multi_turn.yaml
     ${GP_SCN}/concurrent_isolation.yaml --target @URL@ --no-progress
     --junit ${CMAKE_BINARY_DIR}/it-multi.junit.xml)

# A target that cannot be reached is a failed check (exit 1), named, never a hang.
add_test(NAME it.unreachable_target COMMAND ${GP_WITH} --expect-exit 1
  --expect-line "FAIL.*GP-CONNECT|GP-CONNECT.*FAIL"
  -- ${GP_BIN} run ${GP_SCN}/golden_path.yaml --target ws://127.0.0.1:9/ws --users 3
     --timeout 2s --no-progress)
set_tests_properties(it.unreachable_target PROPERTIES LABELS integration TIMEOUT 60
                     ENVIRONMENT "${GP_IT_ENV}")

# The command line: --help everywhere (exit 0), usage errors exit 2.
foreach(cmd run check judge compare merge)
  add_test(NAME cli.help.${cmd} COMMAND ${GP_BIN} ${cmd} --help)
  set_tests_properties(cli.help.${cmd} PROPERTIES LABELS unit PASS_REGULAR_EXPRESSION "usage:")
endforeach()
add_test(NAME cli.help COMMAND ${GP_BIN} --help)
set_tests_properties(cli.help PROPERTIES LABELS unit PASS_REGULAR_EXPRESSION "usage:")
add_test(NAME cli.no_args COMMAND ${GP_BIN})
set_tests_properties(cli.no_args PROPERTIES LABELS unit WILL_FAIL TRUE)
add_test(NAME cli.unknown_command_exit2 COMMAND sh -c "${GP_BIN} frobnicate; test $? -eq 2")
add_test(NAME cli.bad_users_exit2
  COMMAND sh -c "${GP_BIN} run ${GP_SCN}/golden_path.yaml --users zero; test $? -eq 2")
add_test(NAME cli.missing_scenario_exit2
  COMMAND sh -c "${GP_BIN} run /nonexistent.yaml; test $? -eq 2")
set_tests_properties(cli.unknown_command_exit2 cli.bad_users_exit2 cli.missing_scenario_exit2
                     PROPERTIES LABELS unit ENVIRONMENT "${GP_IT_ENV}")
