# 'goldenpath judge --har': captures recorded by headless Chromium (ci/har-record.js) against
# gp-refserver, each judged with the verdict its fault mode must give; hand-edited captures for
# the errors (fixtures/har/invalid/<case>/{input.har,error}, one CTest each), the size bound and
# the redaction of credentials. None needs a secret or the network, except har.live.
set(GP_HAR ${PROJECT_SOURCE_DIR}/fixtures/har)
function(gp_har_case name code regex)
  add_test(NAME har.${name} COMMAND ${PROJECT_SOURCE_DIR}/ci/expect-exit ${code}
    ${CMAKE_COMMAND} -E env --unset=GOLDENPATH_JWT_SECRET NO_COLOR=1
    ${GP_BIN} judge --har ${GP_HAR}/${name}.har ${ARGN})
  set_tests_properties(har.${name} PROPERTIES LABELS unit TIMEOUT 30
    PASS_REGULAR_EXPRESSION "${regex}.*expect-exit: ok")
endfunction()
gp_har_case(golden 0 "target: +browser capture .*golden.har \\(1 WebSocket entry of 3\\).*1 of 1 users passed; 0 failed")
gp_har_case(drop_event 1 "0 of 1 users passed; 1 failed \\(GP-R3-ALL-EVENTS, GP-R4-TOOL-PAIRS\\)")
gp_har_case(binary_frame 1 "received: a binary frame of 16 bytes.*1 failed \\(GP-R7-FRAMES\\)")
gp_har_case(never_complete 1 "received: no agent_completed within 1\\.[0-9] s.*1 failed \\(GP-COMPLETION\\)")
gp_har_case(close_1011 1 "1 failed \\(GP-COMPLETION\\)")
gp_har_case(refuse_upgrade 1 "Unexpected response code: 403.*1 failed \\(GP-CONNECT\\)")
gp_har_case(two_users_two_runs 0 "2 of 2 users passed; 0 failed")
# With a scenario: its protocol, timeouts and expect_run apply (no secret needed).
add_test(NAME har.with_scenario COMMAND ${CMAKE_COMMAND} -E env --unset=GOLDENPATH_JWT_SECRET
  ${GP_BIN} judge --har ${GP_HAR}/golden.har ${PROJECT_SOURCE_DIR}/scenarios/golden_path.yaml)
set_tests_properties(har.with_scenario PROPERTIES LABELS unit TIMEOUT 30
  PASS_REGULAR_EXPRESSION "== golden_path ==.*1 of 1 users passed")
add_test(NAME har.scenario_protocol COMMAND ${PROJECT_SOURCE_DIR}/ci/expect-exit 1
  ${GP_BIN} judge --har ${GP_HAR}/golden.har ${GP_HAR}/kind_key.yaml)
set_tests_properties(har.scenario_protocol PROPERTIES LABELS unit TIMEOUT 30
  PASS_REGULAR_EXPRESSION "failed \\(GP-CONNECT.*expect-exit: ok")
file(GLOB GP_HAR_INVALID LIST_DIRECTORIES true ${GP_HAR}/invalid/*)
foreach(dir ${GP_HAR_INVALID})
  get_filename_component(case ${dir} NAME)
  add_test(NAME har.invalid.${case} COMMAND ${PROJECT_SOURCE_DIR}/ci/har-check ${GP_BIN} invalid
    ${dir})
  set_tests_properties(har.invalid.${case} PROPERTIES LABELS unit TIMEOUT 30)
endforeach()
add_test(NAME har.too_large COMMAND ${PROJECT_SOURCE_DIR}/ci/har-check ${GP_BIN} too-large
  ${CMAKE_BINARY_DIR}/har-out)
set_tests_properties(har.too_large PROPERTIES LABELS unit TIMEOUT 60)
add_test(NAME har.secrets COMMAND ${PROJECT_SOURCE_DIR}/ci/har-check ${GP_BIN} secrets
  ${GP_HAR}/secrets.har ${GP_HAR}/secrets.expect ${CMAKE_BINARY_DIR}/har-out)
set_tests_properties(har.secrets PROPERTIES LABELS unit TIMEOUT 30)
# The reports of a capture are the reports of a run: valid against their schemas.
add_test(NAME har.reports_valid COMMAND sh -c
  "mkdir -p '${CMAKE_BINARY_DIR}/har-out' && '${GP_BIN}' judge --har '${GP_HAR}/binary_frame.har' --json '${CMAKE_BINARY_DIR}/har-out/r.json' --junit '${CMAKE_BINARY_DIR}/har-out/r.xml' --html '${CMAKE_BINARY_DIR}/har-out/r.html' >/dev/null; rc=$?; [ $rc -eq 1 ] || { echo \"exit $rc, want 1\"; exit 1; }; '${Python3_EXECUTABLE}' '${PROJECT_SOURCE_DIR}/ci/json-schema-check' '${PROJECT_SOURCE_DIR}/reports/schema/report.schema.json' '${CMAKE_BINARY_DIR}/har-out/r.json' && '${GP_XMLLINT}' --noout --schema '${PROJECT_SOURCE_DIR}/reports/schema/junit.xsd' '${CMAKE_BINARY_DIR}/har-out/r.xml' && grep -q 'browser capture' '${CMAKE_BINARY_DIR}/har-out/r.json'")
set_tests_properties(har.reports_valid PROPERTIES LABELS unit TIMEOUT 60)
# A real browser, live: headless Chromium records the reference server, the capture is judged.
add_test(NAME har.live COMMAND ${PROJECT_SOURCE_DIR}/ci/har-check ${GP_BIN} live
  ${CMAKE_BINARY_DIR} ${CMAKE_BINARY_DIR}/har-out/live)
set_tests_properties(har.live PROPERTIES LABELS integration TIMEOUT 150
  ENVIRONMENT "GP_REFSERVER=${GP_REFSERVER}")

# 'goldenpath init --har': a scenario inferred from a capture passes 'check' and judges the
# capture; from Chromium's captures of each envelope gp-refserver can send, the inferred
# scenario passes against that server and fails against it with a fault.
add_test(NAME har.init.kind_body COMMAND ${PROJECT_SOURCE_DIR}/ci/har-check ${GP_BIN} init-judge
  ${GP_HAR}/kind_body.har ${CMAKE_BINARY_DIR}/har-out/init)
set_tests_properties(har.init.kind_body PROPERTIES LABELS unit TIMEOUT 30)
add_test(NAME har.init.nothing_to_infer COMMAND ${PROJECT_SOURCE_DIR}/ci/expect-exit 2
  ${GP_BIN} init --har ${GP_HAR}/refuse_upgrade.har)
set_tests_properties(har.init.nothing_to_infer PROPERTIES LABELS unit TIMEOUT 30
  PASS_REGULAR_EXPRESSION "nothing to infer from: no received frame is a JSON object")
foreach(v envelope:payload envelope:data envelope:system_message timestamp:iso
          thinking-type:reasoning)
  string(REPLACE ":" ";" kv ${v})
  list(GET kv 0 opt)
  list(GET kv 1 val)
  add_test(NAME har.init.${opt}_${val} COMMAND ${PROJECT_SOURCE_DIR}/ci/har-check ${GP_BIN}
    init-live ${GP_HAR}/envelope/${opt}-${val}.har ${CMAKE_BINARY_DIR}/har-out/init --${opt}
    ${val})
  set_tests_properties(har.init.${opt}_${val} PROPERTIES LABELS integration TIMEOUT 120
    ENVIRONMENT "GP_REFSERVER=${GP_REFSERVER}")
endforeach()

# 'goldenpath init --target': one probing user against gp-refserver in each envelope variation
# writes a scenario that passes against that server and fails against its fault; against a
# server that sends nothing after the message, init stops within its bound and says why.
foreach(v none:none envelope:payload envelope:data envelope:system_message timestamp:iso
          thinking-type:reasoning ready-type:connection_ready)
  string(REPLACE ":" ";" kv ${v})
  list(GET kv 0 opt)
  list(GET kv 1 val)
  if(opt STREQUAL "none")
    set(args "")
  else()
    set(args --${opt} ${val})
  endif()
  add_test(NAME init.probe.${opt}_${val} COMMAND ${PROJECT_SOURCE_DIR}/ci/har-check ${GP_BIN}
    probe ${CMAKE_BINARY_DIR}/har-out/probe ${args})
  set_tests_properties(init.probe.${opt}_${val} PROPERTIES LABELS integration TIMEOUT 120
    ENVIRONMENT "GP_REFSERVER=${GP_REFSERVER}")
endforeach()
add_test(NAME init.probe.silent COMMAND ${PROJECT_SOURCE_DIR}/ci/har-check ${GP_BIN}
  probe-silent ${CMAKE_BINARY_DIR}/har-out/probe)
set_tests_properties(init.probe.silent PROPERTIES LABELS integration TIMEOUT 120
  ENVIRONMENT "GP_REFSERVER=${GP_REFSERVER}")

# The command line of init and judge --har: --help (exit 0), usage errors (exit 2).
add_test(NAME cli.help.init COMMAND ${GP_BIN} init --help)
set_tests_properties(cli.help.init PROPERTIES LABELS unit
  PASS_REGULAR_EXPRESSION "usage: goldenpath init --target URL.*--har FILE.har")
add_test(NAME cli.help.judge_har COMMAND ${GP_BIN} judge --help)
set_tests_properties(cli.help.judge_har PROPERTIES LABELS unit
  PASS_REGULAR_EXPRESSION "--har FILE.har +judge a browser's capture")
foreach(args "init" "init;--har;a.har;--target;ws://127.0.0.1:1/ws" "init;--target;ws://x/ws;--timeout;soon"
        "judge;--har;${GP_HAR}/golden.har;a.yaml;b.json")
  string(REPLACE ";" "_" n "${args}")
  string(REGEX REPLACE "[^A-Za-z0-9_.-]" "" n "${n}")
  string(SUBSTRING "${n}" 0 40 n)
  add_test(NAME cli.usage.${n} COMMAND ${PROJECT_SOURCE_DIR}/ci/expect-exit 2 ${GP_BIN} ${args})
  set_tests_properties(cli.usage.${n} PROPERTIES LABELS unit TIMEOUT 30)
endforeach()
