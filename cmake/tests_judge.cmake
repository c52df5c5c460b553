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
              GP-COMPLETION)
gp_judge_case(auth_not_refused auth_required.yaml auth_not_refused.json GP-AUTH)
# A clean recording passes offline, without the secret.
add_test(NAME judge.golden_offline COMMAND ${CMAKE_COMMAND} -E env --unset=GOLDENPATH_JWT_SECRET
  ${GP_BIN} judge ${PROJECT_SOURCE_DIR}/scenarios/golden_path.yaml ${GP_TR}/golden.json)
set_tests_properties(judge.golden_offline PROPERTIES LABELS unit TIMEOUT 30)
