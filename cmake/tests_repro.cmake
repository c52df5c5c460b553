# Reproducible reports (issue 12): `goldenpath judge` of saved transcripts, run twice with
# SOURCE_DATE_EPOCH set, writes byte-identical JSON, JUnit and HTML (ci/repro-check runs the
# live run against the reference server itself, through ci/with-refserver).
add_test(NAME it.repro.judge_reports
         COMMAND ${PROJECT_SOURCE_DIR}/ci/repro-check ${GP_BIN}
                 ${PROJECT_SOURCE_DIR}/scenarios/golden_path.yaml)
set_tests_properties(it.repro.judge_reports PROPERTIES LABELS integration TIMEOUT 120
                     ENVIRONMENT "GOLDENPATH_JWT_SECRET=ctest-secret-7f3a9c1e5b;GP_REFSERVER=${GP_REFSERVER};NO_COLOR=1")
