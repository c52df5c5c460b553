# Architecture guards (issue 12): the verdicts on the reference server's fault matrix do not
# change across refactors, and the layers' libraries stay contained.
add_test(NAME it.fault_matrix COMMAND ${PROJECT_SOURCE_DIR}/ci/fault-matrix)
set_tests_properties(it.fault_matrix PROPERTIES LABELS integration TIMEOUT 240
  ENVIRONMENT "GOLDENPATH_JWT_SECRET=ctest-secret-7f3a9c1e5b;GP_REFSERVER=${GP_REFSERVER};GP_BIN=${GP_BIN};NO_COLOR=1")
