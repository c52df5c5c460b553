# Documentation that runs (issue 13): ci/run-docs runs every complete ```yaml example of docs/
# and README.md against a reference server of this build and holds it to the outcome its
# <!-- expect: --> comment states, checks every fragment in place, and checks README.md's
# command, exit-status and rules tables against the binary; ci/run-docs-selftest feeds it
# wrong docs (a missing or wrong expectation, an unmarked fragment, a table that drifted) and
# requires each to fail. Each takes about 15 s on an idle machine.
set(GP_DOCS_ENV "GOLDENPATH_JWT_SECRET=ctest-docs-secret;GOLDENPATH_BYPASS_KEY=ctest-docs-bypass;GP_REFSERVER=${GP_REFSERVER};NO_COLOR=1")
add_test(NAME docs.run_examples COMMAND ${PROJECT_SOURCE_DIR}/ci/run-docs ${GP_BIN} ${PROJECT_SOURCE_DIR})
add_test(NAME docs.run_examples_selftest COMMAND ${PROJECT_SOURCE_DIR}/ci/run-docs-selftest ${GP_BIN})
set_tests_properties(docs.run_examples docs.run_examples_selftest PROPERTIES LABELS integration
                     TIMEOUT 180 ENVIRONMENT "${GP_DOCS_ENV}")
