# Reports: schema validity of the JSON and JUnit outputs, the HTML report in headless chromium,
# and the compare/merge subcommands through the real binary. A sample generator writes the
# reports of a synthetic run (harness/tests/report_fixture.h) once, as a fixture.
add_executable(gp-report-sample ${PROJECT_SOURCE_DIR}/harness/tests/report_sample.c)
target_link_libraries(gp-report-sample PRIVATE gpcore)
set_target_properties(gp-report-sample PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/tests)

set(GP_REPORT_SAMPLES ${CMAKE_BINARY_DIR}/reports-sample)
set(GP_REPORT_DATA ${PROJECT_SOURCE_DIR}/harness/tests/data/reports)
set(GP_REPORT_SCHEMA ${PROJECT_SOURCE_DIR}/reports/schema/report.schema.json)
set(GP_JUNIT_XSD ${PROJECT_SOURCE_DIR}/reports/schema/junit.xsd)
find_program(GP_XMLLINT xmllint REQUIRED)
find_package(Python3 COMPONENTS Interpreter REQUIRED)

add_test(NAME reports.sample
         COMMAND ${CMAKE_COMMAND} -E env sh -c
                 "rm -rf '${GP_REPORT_SAMPLES}' && mkdir -p '${GP_REPORT_SAMPLES}' && '$<TARGET_FILE:gp-report-sample>' '${GP_REPORT_SAMPLES}'")
set_tests_properties(reports.sample PROPERTIES FIXTURES_SETUP reports_sample LABELS unit TIMEOUT 30)

function(gp_report_test name)
  add_test(NAME reports.${name} COMMAND ${ARGN})
  set_tests_properties(reports.${name} PROPERTIES FIXTURES_REQUIRED reports_sample LABELS unit
                       TIMEOUT 60)
endfunction()

# An exit status that must be exactly `code`.
function(gp_report_exit_test name code)
  add_test(NAME reports.${name} COMMAND sh -c "\"$@\"; rc=$?; [ $rc -eq ${code} ] || { echo \"exit $rc, want ${code}\" >&2; exit 1; }" sh ${ARGN})
  set_tests_properties(reports.${name} PROPERTIES FIXTURES_REQUIRED reports_sample LABELS unit
                       TIMEOUT 60)
endfunction()

gp_report_test(junit_xsd ${GP_XMLLINT} --noout --schema ${GP_JUNIT_XSD} ${GP_REPORT_SAMPLES}/report.xml)
gp_report_exit_test(junit_xsd_rejects_invalid 3
  ${GP_XMLLINT} --noout --schema ${GP_JUNIT_XSD} ${GP_REPORT_DATA}/invalid-junit.xml)
gp_report_test(json_schema ${Python3_EXECUTABLE} ${PROJECT_SOURCE_DIR}/ci/json-schema-check
  ${GP_REPORT_SCHEMA} ${GP_REPORT_SAMPLES}/report.json ${GP_REPORT_SAMPLES}/base.json
  ${GP_REPORT_SAMPLES}/head-regressed.json)
gp_report_exit_test(json_schema_rejects_invalid 1
  ${Python3_EXECUTABLE} ${PROJECT_SOURCE_DIR}/ci/json-schema-check ${GP_REPORT_SCHEMA}
  ${GP_REPORT_DATA}/invalid-report.json)

# The HTML report must load in chromium with no console error. ci/test installs chromium; this
# test fails (it is not skipped) where it is missing.
add_test(NAME reports.html_chromium
         COMMAND ${PROJECT_SOURCE_DIR}/ci/html-check ${GP_REPORT_SAMPLES}/report.html
                 ${GP_REPORT_SAMPLES}/report.png)
set_tests_properties(reports.html_chromium PROPERTIES FIXTURES_REQUIRED reports_sample
                     LABELS integration TIMEOUT 120)

# compare and merge through the binary (argv[0] is the subcommand).
gp_report_exit_test(cli_compare_same 0
  ${GP_BIN} compare ${GP_REPORT_SAMPLES}/base.json ${GP_REPORT_SAMPLES}/base.json)
gp_report_exit_test(cli_compare_regressed 1
  ${GP_BIN} compare ${GP_REPORT_SAMPLES}/base.json ${GP_REPORT_SAMPLES}/head-regressed.json
  --max-regression p95=20% --junit ${GP_REPORT_SAMPLES}/compare.xml
  --json ${GP_REPORT_SAMPLES}/compare.json)
gp_report_exit_test(cli_compare_other_scenario 2
  ${GP_BIN} compare ${GP_REPORT_SAMPLES}/base.json ${GP_REPORT_SAMPLES}/other-scenario.json)
gp_report_exit_test(cli_compare_unreadable 2
  ${GP_BIN} compare ${GP_REPORT_SAMPLES}/base.json ${GP_REPORT_DATA}/invalid-junit.xml)
gp_report_exit_test(cli_compare_help 0 ${GP_BIN} compare --help)
gp_report_test(cli_merge sh -c
  "'${GP_BIN}' merge '${GP_REPORT_SAMPLES}/base.json' '${GP_REPORT_SAMPLES}/head-regressed.json' -o '${GP_REPORT_SAMPLES}/merged.json' || [ $? -eq 1 ] && '${Python3_EXECUTABLE}' '${PROJECT_SOURCE_DIR}/ci/json-schema-check' '${GP_REPORT_SCHEMA}' '${GP_REPORT_SAMPLES}/merged.json'")
gp_report_exit_test(cli_merge_other_scenario 2
  ${GP_BIN} merge ${GP_REPORT_SAMPLES}/base.json ${GP_REPORT_SAMPLES}/other-scenario.json
  -o ${GP_REPORT_SAMPLES}/never.json)

# Issue 11, finding 7: compare and merge print what report files say. A multibyte digest is cut
# on a character boundary (a cut mid-character made the warning invalid UTF-8 and it was lost),
# and scenario names with escape sequences reach the terminal escaped, never raw (od shows a
# raw ESC as 033).
set(GP_HR ${CMAKE_BINARY_DIR}/hostile-reports)
add_test(NAME reports.hostile_names_setup COMMAND sh -c
  "mkdir -p '${GP_HR}' && '${PROJECT_SOURCE_DIR}/ci/expect-exit' 0 '${GP_BIN}' judge '${PROJECT_SOURCE_DIR}/scenarios/golden_path.yaml' '${PROJECT_SOURCE_DIR}/fixtures/transcripts/golden.json' --json '${GP_HR}/base.json' >/dev/null && '${PROJECT_SOURCE_DIR}/fixtures/transcripts/gen-hostile' names-report 0 '${GP_HR}/r' '${GP_HR}/base.json'")
set_tests_properties(reports.hostile_names_setup PROPERTIES LABELS unit TIMEOUT 30
                     FIXTURES_SETUP gp_hostile_reports)
add_test(NAME reports.compare_multibyte_digest
  COMMAND ${GP_BIN} compare ${GP_HR}/base.json ${GP_HR}/r.digest.json)
set_tests_properties(reports.compare_multibyte_digest PROPERTIES LABELS unit TIMEOUT 30
  FIXTURES_REQUIRED gp_hostile_reports
  PASS_REGULAR_EXPRESSION "WARNING: the scenario file changed between BASE and HEAD \\(digest [0-9a-f]+ -> [^ ]+\\); a difference below")
add_test(NAME reports.compare_names_escaped COMMAND sh -c
  "'${GP_BIN}' compare '${GP_HR}/r.esc-base.json' '${GP_HR}/r.esc-head.json' >'${GP_HR}/compare.out' 2>&1; grep -q 'evil.x1b' '${GP_HR}/compare.out' && ! od -An -c '${GP_HR}/compare.out' | grep -q 033")
add_test(NAME reports.merge_names_escaped COMMAND sh -c
  "'${GP_BIN}' merge '${GP_HR}/r.esc-base.json' '${GP_HR}/r.esc-head.json' -o '${GP_HR}/m.json' >'${GP_HR}/merge.out' 2>&1; grep -q 'evil.x1b' '${GP_HR}/merge.out' && ! od -An -c '${GP_HR}/merge.out' | grep -q 033")
set_tests_properties(reports.compare_names_escaped reports.merge_names_escaped PROPERTIES
  LABELS unit TIMEOUT 30 FIXTURES_REQUIRED gp_hostile_reports)
