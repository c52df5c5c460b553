# Offline judging of recorded transcripts: each recording holds one defect that once passed
# (a run leaked before the victim sent anything, events without a readable timestamp, an
# agent_error followed by agent_completed, refusals that are not about credentials). The judge
# must fail exactly the named rule, and needs no secret to judge.
set(GP_TR ${PROJECT_SOURCE_DIR}/fixtures/transcripts)
function(gp_judge_case name scenario transcript rule)
  add_test(NAME judge.${name} COMMAND ${PROJECT_SOURCE_DIR}/ci/expect-exit 1
    ${CMAKE_COMMAND} -E env --unset=GOLDENPATH_JWT_SECRET
    ${GP_BIN} judge ${PROJECT_SOURCE_DIR}/scenarios/${scenario} ${GP_TR}/${transcript})
  set_tests_properties(judge.${name} PROPERTIES LABELS unit TIMEOUT 30
    PASS_REGULAR_EXPRESSION "failed \\(${rule}\\).*expect-exit: ok")
endfunction()
gp_judge_case(leak_before_send golden_path.yaml leak_before_send.json GP-R6-ISOLATION)
gp_judge_case(no_timestamp golden_path.yaml no_timestamp.json GP-FIELDS)
gp_judge_case(bad_timestamp golden_path.yaml bad_timestamp.json GP-FIELDS)
gp_judge_case(agent_error_then_completed golden_path.yaml agent_error_then_completed.json
              GP-OUTCOME)
gp_judge_case(auth_not_refused auth_required.yaml auth_not_refused.json GP-AUTH)
# A failed run that says "completed" at the top (gp-refserver --fault failed_run, users 0 and
# 2): GP-OUTCOME fails offline with the evidence; a scenario whose protocol.outcome ignores
# metadata passes the same recording, so the section reaches the offline judge.
gp_judge_case(failed_run golden_path.yaml failed_run.json GP-OUTCOME)
add_test(NAME judge.failed_run_evidence COMMAND ${GP_BIN} judge
  ${PROJECT_SOURCE_DIR}/scenarios/golden_path.yaml ${GP_TR}/failed_run.json)
set_tests_properties(judge.failed_run_evidence PROPERTIES LABELS unit TIMEOUT 30
  ENVIRONMENT "NO_COLOR=1"
  PASS_REGULAR_EXPRESSION "received: gp-user-2's run run_3_[0-9a-f]+: agent_completed \\(frame [0-9]+\\) with metadata.success false, metadata.status \"failed\"")
add_test(NAME judge.failed_run_outcome_configured COMMAND ${CMAKE_COMMAND} -E env
  --unset=GOLDENPATH_JWT_SECRET ${GP_BIN} judge
  ${PROJECT_SOURCE_DIR}/fixtures/scenarios/valid/outcome_metadata_ignored.yaml
  ${GP_TR}/failed_run.json)
set_tests_properties(judge.failed_run_outcome_configured PROPERTIES LABELS unit TIMEOUT 30)
# A clean recording passes offline, without the secret.
add_test(NAME judge.golden_offline COMMAND ${CMAKE_COMMAND} -E env --unset=GOLDENPATH_JWT_SECRET
  ${GP_BIN} judge ${PROJECT_SOURCE_DIR}/scenarios/golden_path.yaml ${GP_TR}/golden.json)
set_tests_properties(judge.golden_offline PROPERTIES LABELS unit TIMEOUT 30)

# Stalls of the harness saved with the transcripts ("harness" in the file): a timing verdict
# whose wait overlaps one is inconclusive (exit 3 when nothing else failed), a real failure
# still fails (exit 1), and the same recording stalled only after its waits fails as usual.
function(gp_judge_exit_case name transcript code pass_regex)
  add_test(NAME judge.${name} COMMAND ${PROJECT_SOURCE_DIR}/ci/expect-exit ${code}
    ${CMAKE_COMMAND} -E env --unset=GOLDENPATH_JWT_SECRET
    ${GP_BIN} judge ${PROJECT_SOURCE_DIR}/scenarios/golden_path.yaml ${GP_TR}/${transcript})
  set_tests_properties(judge.${name} PROPERTIES LABELS unit TIMEOUT 30
    PASS_REGULAR_EXPRESSION "${pass_regex}.*expect-exit: ok" ${ARGN})
endfunction()
gp_judge_exit_case(stall_inconclusive harness_stall_inconclusive.json 3
  "harness: +loop lag p50 0.4 ms, p99 2.1 ms, max 5020.0 ms.*1 of 3 users passed; 0 failed; 2 inconclusive \\(GP-CONNECT, GP-COMPLETION: the harness fell behind\\)")
gp_judge_exit_case(stall_and_real_failure harness_stall_and_failure.json 1
  "1 failed \\(GP-R2-COMPLETED-LAST\\); 1 inconclusive \\(GP-CONNECT, GP-COMPLETION")
gp_judge_exit_case(stall_elsewhere harness_stall_elsewhere.json 1
  "2 failed \\(GP-CONNECT, GP-COMPLETION\\)\n" FAIL_REGULAR_EXPRESSION "inconclusive|INCONCLUSIVE")
# The reports of an inconclusive judgement carry the harness and stay valid.
set(GP_JUDGE_OUT ${CMAKE_BINARY_DIR}/judge-out)
add_test(NAME judge.stall_reports_valid COMMAND sh -c
  "mkdir -p '${GP_JUDGE_OUT}' && '${GP_BIN}' judge '${PROJECT_SOURCE_DIR}/scenarios/golden_path.yaml' '${GP_TR}/harness_stall_inconclusive.json' --json '${GP_JUDGE_OUT}/stall.json' --junit '${GP_JUDGE_OUT}/stall.xml' >/dev/null; rc=$?; [ $rc -eq 3 ] || { echo \"exit $rc, want 3\"; exit 1; }; '${Python3_EXECUTABLE}' '${PROJECT_SOURCE_DIR}/ci/json-schema-check' '${PROJECT_SOURCE_DIR}/reports/schema/report.schema.json' '${GP_JUDGE_OUT}/stall.json' && '${GP_XMLLINT}' --noout --schema '${PROJECT_SOURCE_DIR}/reports/schema/junit.xsd' '${GP_JUDGE_OUT}/stall.xml' && grep -q '\"lag_max_ms\": 5020' '${GP_JUDGE_OUT}/stall.json' && grep -q 'type=\"inconclusive\"' '${GP_JUDGE_OUT}/stall.xml'")
set_tests_properties(judge.stall_reports_valid PROPERTIES LABELS unit TIMEOUT 60)
# The failed runs' report names the new cause and stays valid against the schema.
add_test(NAME judge.failed_run_reports_valid COMMAND sh -c
  "mkdir -p '${GP_JUDGE_OUT}' && '${GP_BIN}' judge '${PROJECT_SOURCE_DIR}/scenarios/golden_path.yaml' '${GP_TR}/failed_run.json' --json '${GP_JUDGE_OUT}/failed_run.json' --junit '${GP_JUDGE_OUT}/failed_run.xml' >/dev/null; rc=$?; [ $rc -eq 1 ] || { echo \"exit $rc, want 1\"; exit 1; }; '${Python3_EXECUTABLE}' '${PROJECT_SOURCE_DIR}/ci/json-schema-check' '${PROJECT_SOURCE_DIR}/reports/schema/report.schema.json' '${GP_JUDGE_OUT}/failed_run.json' && '${GP_XMLLINT}' --noout --schema '${PROJECT_SOURCE_DIR}/reports/schema/junit.xsd' '${GP_JUDGE_OUT}/failed_run.xml' && grep -q '\"run_failed\": 2' '${GP_JUDGE_OUT}/failed_run.json' && grep -q 'GP-OUTCOME' '${GP_JUDGE_OUT}/failed_run.xml'")
set_tests_properties(judge.failed_run_reports_valid PROPERTIES LABELS unit TIMEOUT 60)

# Issue 11, finding 2: what a server or a report file chooses to send must not make judge,
# compare or merge quadratic. Each size below took minutes before (80,000 agent_started with
# their own run_ids: 100 s; 80,000 distinct tool names open at once, or 80,000 stragglers of
# 199 earlier runs: 85 and 97 s; compare of two 200,000-tool reports: about 5 minutes) and
# takes a few seconds now (about 12 s under ASan). The TIMEOUT is the assertion, generous for
# a loaded machine and still below every time before the fix.
set(GP_SCALE_DIR ${CMAKE_BINARY_DIR}/scale)
# (The tools case passes the transcript bound of 100,000 frames, so it fails GP-R7-FRAMES.)
foreach(mode starts tools late)
  set(code 1)
  add_test(NAME judge.scale.${mode} COMMAND sh -c
    "mkdir -p '${GP_SCALE_DIR}' && '${GP_TR}/gen-hostile' ${mode} 80000 '${GP_SCALE_DIR}/${mode}.json' && '${PROJECT_SOURCE_DIR}/ci/expect-exit' ${code} '${GP_BIN}' judge '${PROJECT_SOURCE_DIR}/scenarios/golden_path.yaml' '${GP_SCALE_DIR}/${mode}.json' >/dev/null")
  set_tests_properties(judge.scale.${mode} PROPERTIES LABELS unit TIMEOUT 60)
endforeach()
add_test(NAME judge.scale.reports_setup COMMAND sh -c
  "mkdir -p '${GP_SCALE_DIR}' && '${PROJECT_SOURCE_DIR}/ci/expect-exit' 0 '${GP_BIN}' judge '${PROJECT_SOURCE_DIR}/scenarios/golden_path.yaml' '${GP_TR}/golden.json' --json '${GP_SCALE_DIR}/golden.json' >/dev/null && '${GP_TR}/gen-hostile' tools-report 200000 '${GP_SCALE_DIR}/base' '${GP_SCALE_DIR}/golden.json' && '${GP_TR}/gen-hostile' tools-report 200000 '${GP_SCALE_DIR}/head' '${GP_SCALE_DIR}/golden.json'")
set_tests_properties(judge.scale.reports_setup PROPERTIES LABELS unit TIMEOUT 60
                     FIXTURES_SETUP gp_scale_reports)
add_test(NAME judge.scale.compare_tools COMMAND ${PROJECT_SOURCE_DIR}/ci/expect-exit 1
  ${GP_BIN} compare ${GP_SCALE_DIR}/base ${GP_SCALE_DIR}/head)
add_test(NAME judge.scale.merge_tools COMMAND ${PROJECT_SOURCE_DIR}/ci/expect-exit 0
  ${GP_BIN} merge ${GP_SCALE_DIR}/base ${GP_SCALE_DIR}/head -o ${GP_SCALE_DIR}/merged.json)
set_tests_properties(judge.scale.compare_tools judge.scale.merge_tools PROPERTIES LABELS unit
                     TIMEOUT 30 FIXTURES_REQUIRED gp_scale_reports)
