# compare against the real reference server: two runs of the correct server are "within noise"
# (exit 0), and 50 ms more per event (--think-ms 55 against 5) is a latency regression (exit 1).
# Its Markdown is rendered with markdown-it (ci/md, installed by the ciout.setup fixture).
add_test(NAME it.compare.noise_vs_regression COMMAND ${PROJECT_SOURCE_DIR}/ci/compare-noise
  ${GP_BIN} ${PROJECT_SOURCE_DIR}/scenarios/golden_path.yaml ${CMAKE_BINARY_DIR}/it-compare 30)
set_tests_properties(it.compare.noise_vs_regression PROPERTIES LABELS integration TIMEOUT 180
  ENVIRONMENT "GOLDENPATH_JWT_SECRET=ctest-secret-7f3a9c1e5b;GP_REFSERVER=${GP_REFSERVER};NO_COLOR=1"
  PASS_REGULAR_EXPRESSION "compare-noise: ok" FIXTURES_REQUIRED ciout_deps)

# compare --max-drift (issue 9): saved reports with and without a drift, a NOTE below 5
# intervals, bad limits, and one live 5 s soak against gp-refserver --think-ramp-ms.
add_test(NAME it.compare.drift COMMAND ${PROJECT_SOURCE_DIR}/ci/compare-drift ${GP_BIN}
  ${PROJECT_SOURCE_DIR}/fixtures/reports/drift ${CMAKE_BINARY_DIR}/it-compare-drift)
set_tests_properties(it.compare.drift PROPERTIES LABELS integration TIMEOUT 90
  ENVIRONMENT "GOLDENPATH_JWT_SECRET=ctest-secret-7f3a9c1e5b;GP_REFSERVER=${GP_REFSERVER};NO_COLOR=1"
  PASS_REGULAR_EXPRESSION "compare-drift: ok")
