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
  agent_error GP-OUTCOME
  agent_death GP-OUTCOME
  binary_frame GP-R7-FRAMES
  oversize_frame GP-R7-FRAMES
  silent GP-COMPLETION
  refuse_upgrade GP-CONNECT
  failed_run GP-OUTCOME)
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

# A failed run that says "completed" at the top (the real backend's shape) fails GP-OUTCOME
# alone, and the evidence names the user, the run, each field path with the value received,
# what success looks like, and the error text the user saw. ("." stands for ";", which CMake
# would take for a list separator.)
gp_it(fault.failed_run.evidence 90
  --server-arg --fault --server-arg failed_run --server-arg --fault-every --server-arg 2
  --expect-exit 1
  --expect-line "^  FAIL GP-OUTCOME +3 +3 +6 "
  --expect-line "3 of 6 users passed. 3 failed \\(GP-OUTCOME\\)"
  --expect-line "expected: a successful run: metadata.success not false. metadata.status none of \"failed\""
  --expect-line "received: gp-user-0's run run_[0-9]+_[0-9a-f]+: agent_completed \\(frame [0-9]+\\) with metadata.success false, metadata.status \"failed\", metadata.error \"simulated tool failure\". the user saw final_response \"Sorry, I could not complete your request"
  --expect-line "causes: +run_failed 3"
  --reject-text ${GP_TEST_SECRET}
  -- ${GP_BIN} run ${GP_SCN}/golden_path.yaml --target @URL@ --users 6 --timeout 3s --no-progress)

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
set_tests_properties(it.scenario.all_in_one_invocation PROPERTIES FIXTURES_SETUP it_multi)
# One JUnit testsuite per scenario file, valid against the XSD.
add_test(NAME it.scenario.all_in_one_junit_count COMMAND ${GP_XMLLINT} --xpath
  "count(//testsuite)" ${CMAKE_BINARY_DIR}/it-multi.junit.xml)
set_tests_properties(it.scenario.all_in_one_junit_count PROPERTIES LABELS integration
  FIXTURES_REQUIRED it_multi PASS_REGULAR_EXPRESSION "^3[^0-9]*$")
add_test(NAME it.scenario.all_in_one_junit_xsd COMMAND ${GP_XMLLINT} --noout --schema
  ${PROJECT_SOURCE_DIR}/reports/schema/junit.xsd ${CMAKE_BINARY_DIR}/it-multi.junit.xml)
set_tests_properties(it.scenario.all_in_one_junit_xsd PROPERTIES LABELS integration
  FIXTURES_REQUIRED it_multi)

# A target that cannot be reached is a failed check (exit 1), named, never a hang.
add_test(NAME it.unreachable_target COMMAND ${GP_WITH} --expect-exit 1
  --expect-line "FAIL.*GP-CONNECT|GP-CONNECT.*FAIL" --expect-text "Connection refused"
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

# GP-MAX-GAP and GP-EXPECT proven against the server: pass when it is fast / heartbeats,
# fail when it is slow / silent.
set(GP_VALID ${PROJECT_SOURCE_DIR}/fixtures/scenarios/valid)
gp_it(max_gap.fast_server_passes 60 --expect-exit 0
  -- ${GP_BIN} run ${GP_VALID}/max_gap.yaml --target @URL@ --no-progress)
gp_it(max_gap.slow_server_fails 60 --server-arg --think-ms --server-arg 250 --expect-exit 1
  --expect-line "FAIL.*GP-MAX-GAP|GP-MAX-GAP.*FAIL"
  -- ${GP_BIN} run ${GP_VALID}/max_gap.yaml --target @URL@ --no-progress)
gp_it(expect.no_heartbeat_fails 60 --server-arg --heartbeat-ms --server-arg 0 --expect-exit 1
  --expect-line "FAIL.*GP-EXPECT|GP-EXPECT.*FAIL"
  -- ${GP_BIN} run ${GP_SCN}/heartbeat.yaml --target @URL@ --no-progress)

# Real reports (from a run with failures) validate: JSON against its schema, JUnit against
# the XSD, HTML in headless chromium. Then compare gates on them.
set(GP_ITR ${CMAKE_BINARY_DIR}/it-reports)
gp_it(reports.produce_base 60 --expect-exit 0
  -- sh -c "mkdir -p ${GP_ITR} && exec \"$@\"" sh
     ${GP_BIN} run ${GP_SCN}/golden_path.yaml --target @URL@ --users 20 --no-progress
     --label release=1.0.0 --json ${GP_ITR}/base.json --junit ${GP_ITR}/base.xml)
gp_it(reports.produce_faulted 60 --server-arg --fault --server-arg reorder
  --server-arg --fault-every --server-arg 3 --expect-exit 1
  -- sh -c "mkdir -p ${GP_ITR} && exec \"$@\"" sh
     ${GP_BIN} run ${GP_SCN}/golden_path.yaml --target @URL@ --users 20 --no-progress
     --label release=1.0.1 --json ${GP_ITR}/head.json --junit ${GP_ITR}/head.xml
     --html ${GP_ITR}/head.html)
set_tests_properties(it.reports.produce_base it.reports.produce_faulted PROPERTIES
                     FIXTURES_SETUP it_reports)
function(gp_it_report name)
  add_test(NAME it.reports.${name} COMMAND ${ARGN})
  set_tests_properties(it.reports.${name} PROPERTIES LABELS integration TIMEOUT 120
                       FIXTURES_REQUIRED it_reports)
endfunction()
gp_it_report(json_schema ${Python3_EXECUTABLE} ${PROJECT_SOURCE_DIR}/ci/json-schema-check
  ${PROJECT_SOURCE_DIR}/reports/schema/report.schema.json ${GP_ITR}/base.json ${GP_ITR}/head.json)
gp_it_report(junit_xsd ${GP_XMLLINT} --noout --schema
  ${PROJECT_SOURCE_DIR}/reports/schema/junit.xsd ${GP_ITR}/base.xml ${GP_ITR}/head.xml)
gp_it_report(html_chromium ${PROJECT_SOURCE_DIR}/ci/html-check ${GP_ITR}/head.html)
gp_it_report(compare_same ${PROJECT_SOURCE_DIR}/ci/expect-exit 0
  ${GP_BIN} compare ${GP_ITR}/base.json ${GP_ITR}/base.json)
gp_it_report(compare_regression ${PROJECT_SOURCE_DIR}/ci/expect-exit 1
  ${GP_BIN} compare ${GP_ITR}/base.json ${GP_ITR}/head.json --junit ${GP_ITR}/compare.xml)
# The merged run's verdict is merge's exit status: head failed a check, so 1.
gp_it_report(merge ${PROJECT_SOURCE_DIR}/ci/expect-exit 1
  ${GP_BIN} merge ${GP_ITR}/base.json ${GP_ITR}/head.json -o ${GP_ITR}/merged.json)
set_tests_properties(it.reports.merge PROPERTIES FIXTURES_SETUP it_merged)
add_test(NAME it.reports.merged_valid COMMAND ${Python3_EXECUTABLE}
  ${PROJECT_SOURCE_DIR}/ci/json-schema-check ${PROJECT_SOURCE_DIR}/reports/schema/report.schema.json
  ${GP_ITR}/merged.json)
set_tests_properties(it.reports.merged_valid PROPERTIES LABELS integration
                     FIXTURES_REQUIRED "it_reports;it_merged")
add_test(NAME it.reports.merged_40_users COMMAND grep -q "\"users\": 40" ${GP_ITR}/merged.json)
set_tests_properties(it.reports.merged_40_users PROPERTIES LABELS integration
                     FIXTURES_REQUIRED "it_reports;it_merged")

# Ctrl-C or SIGTERM mid-run: the report is still written, marked interrupted, exit 1.
gp_it(interrupt.run 60 --server-arg --fault --server-arg silent --interrupt-after 1
  --expect-exit 1 --expect-text "interrupted"
  -- ${GP_BIN} run ${GP_SCN}/golden_path.yaml --target @URL@ --users 5 --timeout 30s
     --no-progress --json ${CMAKE_BINARY_DIR}/it-interrupt.json)
set_tests_properties(it.interrupt.run PROPERTIES FIXTURES_SETUP it_interrupt)
add_test(NAME it.interrupt.report_marked
  COMMAND grep -q "\"interrupted\": true" ${CMAKE_BINARY_DIR}/it-interrupt.json)
set_tests_properties(it.interrupt.report_marked PROPERTIES LABELS integration
                     FIXTURES_REQUIRED it_interrupt)

# Interrupted during a 60 s ramp: the users that never started are reported as not started in
# every format, never as passed (issue 11, finding 6).
gp_it(interrupt.not_started 60 --interrupt-after 2
  --expect-exit 1 --expect-line "users passed. 0 failed. 1[0-9] not started. interrupted"
  --reject-text "20 of 20 users passed"
  -- ${GP_BIN} run ${PROJECT_SOURCE_DIR}/fixtures/scenarios/valid/long_ramp.yaml --target @URL@
     --no-progress --json ${CMAKE_BINARY_DIR}/it-not-started.json
     --junit ${CMAKE_BINARY_DIR}/it-not-started.xml --html ${CMAKE_BINARY_DIR}/it-not-started.html)
set_tests_properties(it.interrupt.not_started PROPERTIES FIXTURES_SETUP it_not_started)
add_test(NAME it.interrupt.not_started_reports
  COMMAND sh -c "grep -q '\"users_not_started\": 1[0-9]' '${CMAKE_BINARY_DIR}/it-not-started.json' &&
    grep -q '\"status\": \"not_started\"' '${CMAKE_BINARY_DIR}/it-not-started.json' &&
    grep -q 'users not started\" type=\"interrupted\"' '${CMAKE_BINARY_DIR}/it-not-started.xml' &&
    grep -q '</b>not started</div>' '${CMAKE_BINARY_DIR}/it-not-started.html' &&
    '${PROJECT_SOURCE_DIR}/ci/json-schema-check' '${PROJECT_SOURCE_DIR}/reports/schema/report.schema.json' '${CMAKE_BINARY_DIR}/it-not-started.json'")
set_tests_properties(it.interrupt.not_started_reports PROPERTIES LABELS integration TIMEOUT 20
                     FIXTURES_REQUIRED it_not_started)

# A server may echo the whole jwt.<token> subprotocol entry instead of jwt-auth; both work,
# and the token never reaches the transcript.
add_test(NAME it.carrier.subprotocol_entry_echo COMMAND ${GP_WITH}
  --server-arg --subprotocol-echo --server-arg entry --expect-exit 0
  --expect-text "jwt.<redacted>" --reject-text "jwt.ey"
  -- ${GP_BIN} run ${GP_SCN}/netra_staging.yaml --target @URL@ --users 5 --no-progress
     --save-transcripts /dev/stderr)
set_tests_properties(it.carrier.subprotocol_entry_echo PROPERTIES LABELS integration TIMEOUT 60
  ENVIRONMENT "${GP_IT_ENV};NETRA_CARRIER=subprotocol")

# An expect step sees frames that arrived before it and no earlier step consumed.
gp_it(expect.greeting_after_connect 60 --expect-exit 0
  -- ${GP_BIN} run ${GP_VALID}/greeting.yaml --target @URL@ --no-progress)

# PROTOCOL.md's ticket carrier and staging test-auth tokens, against the reference server.
foreach(carrier ticket)
  add_test(NAME it.carrier.${carrier} COMMAND ${GP_WITH} --expect-exit 0
    --reject-text ${GP_TEST_SECRET} --reject-text "ticket=tk_"
    -- ${GP_BIN} run ${GP_SCN}/netra_staging.yaml --target @URL@ --users 20 --no-progress)
  set_tests_properties(it.carrier.${carrier} PROPERTIES LABELS integration TIMEOUT 60
    ENVIRONMENT "${GP_IT_ENV};NETRA_CARRIER=${carrier}")
endforeach()
add_test(NAME it.auth.refused_ticket COMMAND ${GP_WITH} --expect-exit 0
  -- ${GP_BIN} run ${GP_SCN}/auth_required.yaml --target @URL@ --no-progress)
set_tests_properties(it.auth.refused_ticket PROPERTIES LABELS integration TIMEOUT 60
  ENVIRONMENT "${GP_IT_ENV};GOLDENPATH_CARRIER=ticket")
# A valid-looking token the ticket endpoint refuses (signed with another secret): every user
# fails GP-CONNECT, and the hint names the ticket endpoint and the claims servers commonly
# require, never the secret.
add_test(NAME it.carrier.ticket_refused_hint COMMAND ${GP_WITH} --expect-exit 1
  --expect-line "FAIL.*GP-CONNECT|GP-CONNECT.*FAIL"
  --expect-line "hint: the ticket endpoint \\(target.ticket_url\\) answered HTTP 401 to the valid token of 3 of 3 users: check that GP_OTHER_SECRET holds the secret the server validates with, that auth.claims carries the claims the server requires \\(commonly sub, email, iss, exp and iat"
  --reject-text ${GP_TEST_SECRET} --reject-text not-the-secret-5d1e
  -- ${GP_BIN} run ${GP_SCN}/netra_staging.yaml --target @URL@ --users 3 --no-progress)
set_tests_properties(it.carrier.ticket_refused_hint PROPERTIES LABELS integration TIMEOUT 60
  ENVIRONMENT "${GP_IT_ENV};NETRA_CARRIER=ticket;NETRA_JWT_SECRET_ENV=GP_OTHER_SECRET;GP_OTHER_SECRET=not-the-secret-5d1e")
set(GP_E2E_ENV "${GP_IT_ENV};GOLDENPATH_BYPASS_KEY=ctest-bypass-8c2e")
foreach(carrier ticket bearer)
  add_test(NAME it.e2e_auth.${carrier} COMMAND ${GP_WITH} --expect-exit 0
    --reject-text ctest-bypass-8c2e --reject-text "Bearer ey"
    -- env GOLDENPATH_AUTH_URL=http://127.0.0.1:@PORT@ GOLDENPATH_CARRIER=${carrier}
       ${GP_BIN} run ${GP_VALID}/e2e_auth.yaml --target @URL@ --no-progress)
  set_tests_properties(it.e2e_auth.${carrier} PROPERTIES LABELS integration TIMEOUT 60
    ENVIRONMENT "${GP_E2E_ENV}")
endforeach()
# A wrong bypass key: every user fails GP-CONNECT with the auth service's HTTP 401, and the
# key (right or wrong) never reaches the output.
add_test(NAME it.e2e_auth.wrong_key COMMAND ${GP_WITH} --expect-exit 1
  --expect-line "FAIL.*GP-CONNECT|GP-CONNECT.*FAIL" --expect-text "HTTP 401"
  --expect-line "hint: the test-auth endpoint \\(auth.url\\) answered HTTP 401 for 3 of 3 users: check that GOLDENPATH_BYPASS_KEY holds its bypass key.*servers commonly require an email"
  --reject-text ctest-bypass-8c2e --reject-text not-the-key
  -- env GOLDENPATH_AUTH_URL=http://127.0.0.1:@PORT@ GOLDENPATH_BYPASS_KEY=not-the-key
     ${GP_BIN} run ${GP_VALID}/e2e_auth.yaml --target @URL@ --users 3 --no-progress)
set_tests_properties(it.e2e_auth.wrong_key PROPERTIES LABELS integration TIMEOUT 60
  ENVIRONMENT "${GP_E2E_ENV}")

# compare: a HEAD that was interrupted (and ran fewer users) is a regression, not a pass.
add_test(NAME it.reports.compare_interrupted_head COMMAND ${PROJECT_SOURCE_DIR}/ci/expect-exit 1
  ${GP_BIN} compare ${GP_ITR}/base.json ${CMAKE_BINARY_DIR}/it-interrupt.json)
set_tests_properties(it.reports.compare_interrupted_head PROPERTIES LABELS integration
  FIXTURES_REQUIRED "it_reports;it_interrupt"
  PASS_REGULAR_EXPRESSION "REGRESSION +run +interrupted.*expect-exit: ok")

# permessage-deflate, offered by default as a browser does, against the reference server with
# compression on its side (--permessage-deflate): negotiated on every connection and said so;
# target.compression: none offers nothing; a server that declines leaves it off. The judge sees
# inflated messages, so the 2 MiB oversize fault still fails on the inflated size, and 200
# compressed users pass (lws 4.1.6's client loops on uncompressed frames with the extension
# active: see it.hostile.deflate_plain; the reference server compresses every frame).
set(GP_DEFLATE --server-arg --permessage-deflate)
gp_it(compression.negotiated 60 ${GP_DEFLATE} --expect-exit 0
  --expect-line "^link: +ws. permessage-deflate on 10 of 10 connections$"
  --expect-line "10 of 10 users passed"
  -- ${GP_BIN} run ${GP_VALID}/compression.yaml --target @URL@ --no-progress)
add_test(NAME it.compression.none COMMAND ${GP_WITH} ${GP_DEFLATE} --expect-exit 0
  --expect-line "^link: +ws. compression off$" --expect-line "10 of 10 users passed"
  -- ${GP_BIN} run ${GP_VALID}/compression.yaml --target @URL@ --no-progress)
set_tests_properties(it.compression.none PROPERTIES LABELS integration TIMEOUT 60
  ENVIRONMENT "${GP_IT_ENV};GOLDENPATH_COMPRESSION=none")
gp_it(compression.server_declines 60 --expect-exit 0
  --expect-line "^link: +ws. permessage-deflate on 0 of 10 connections$"
  -- ${GP_BIN} run ${GP_VALID}/compression.yaml --target @URL@ --no-progress)
gp_it(compression.oversize_inflated 60 ${GP_DEFLATE}
  --server-arg --fault --server-arg oversize_frame --expect-exit 1
  --expect-line "FAIL.*GP-R7-FRAMES" --expect-text "over the 1048576-byte limit"
  --expect-line "oversize_frame 3"
  -- ${GP_BIN} run ${GP_SCN}/golden_path.yaml --target @URL@ --users 3 --timeout 5s
     --no-progress)
gp_it(compression.users_200 120 ${GP_DEFLATE} --expect-exit 0
  --expect-line "permessage-deflate on 200 of 200 connections"
  --expect-line "200 of 200 users passed"
  -- ${GP_BIN} run ${GP_SCN}/golden_path.yaml --target @URL@ --users 200 --no-progress)
# The JSON report records it too, and stays valid against its schema.
gp_it(compression.json_report 60 ${GP_DEFLATE} --expect-exit 0
  -- sh -c "\"$0\" run \"$1\" --target \"$2\" --users 4 --no-progress --json \"$3\" >/dev/null && grep -q '\"deflate_negotiated\": 4' \"$3\" && \"$4\" \"$5\" \"$3\""
     ${GP_BIN} ${GP_SCN}/golden_path.yaml @URL@ ${CMAKE_BINARY_DIR}/it-compression.json
     ${PROJECT_SOURCE_DIR}/ci/json-schema-check ${PROJECT_SOURCE_DIR}/reports/schema/report.schema.json)

# IPv6: the reference server on ::1 (--listen ::1) and ws://[::1]:PORT/ws end to end; the
# transcript's URL keeps the brackets. (wss://[::1] through nginx: cmake/tests_tls.cmake.)
gp_it(ipv6.loopback 60 --server-arg --listen --server-arg ::1 --expect-exit 0
  --expect-line "^target: +ws://\\[::1\\]:[0-9]+/ws$" --expect-line "10 of 10 users passed"
  -- ${GP_BIN} run ${GP_SCN}/golden_path.yaml --target @URL6@ --users 10 --no-progress)
# A ticket over IPv6: the default ticket URL is http://[::1]:PORT/api/websocket/ticket.
add_test(NAME it.ipv6.ticket COMMAND ${GP_WITH} --server-arg --listen --server-arg ::1
  --expect-exit 0 --expect-line "20 of 20 users passed"
  -- ${GP_BIN} run ${GP_SCN}/netra_staging.yaml --target @URL6@ --users 20 --no-progress)
set_tests_properties(it.ipv6.ticket PROPERTIES LABELS integration TIMEOUT 60
  ENVIRONMENT "${GP_IT_ENV};NETRA_CARRIER=ticket")

# Issue 11, finding 7: --save-transcripts that cannot be written is the harness's failure
# (exit 3, with the reason on stderr), not a silent exit 0.
gp_it(save_transcripts.unwritable 60 --expect-exit 3
  --expect-text "cannot create a temporary file beside it"
  -- ${GP_BIN} run ${GP_SCN}/golden_path.yaml --target @URL@ --users 2 --no-progress
     --save-transcripts ${CMAKE_BINARY_DIR}/no-such-dir/transcripts.json)
