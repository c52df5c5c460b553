# Reports for CI systems and dashboards (issue 13): the Markdown summary, GitHub's step summary and
# ::error annotations, OpenMetrics (--metrics) and --push to a Pushgateway, each checked with the
# consumer's real parser by ci/ci-output-check (markdown-it and parse-prometheus-text-format from
# npm, pinned in ci/md; the Prometheus Python client's OpenMetrics parser from Debian). Setup
# installs the npm packages once, so the checks never run `npm ci` side by side.
set(GP_CIOUT ${PROJECT_SOURCE_DIR}/ci/ci-output-check)
set(GP_CIOUT_ENV "GOLDENPATH_JWT_SECRET=ctest-ciout-secret;GP_REFSERVER=${GP_REFSERVER};NO_COLOR=1")
add_test(NAME ciout.setup COMMAND ${GP_CIOUT} setup ${CMAKE_BINARY_DIR})
set_tests_properties(ciout.setup PROPERTIES FIXTURES_SETUP ciout_deps LABELS integration
                     TIMEOUT 300)
foreach(mode judge hostile push push-fail push-interval)
  add_test(NAME ciout.${mode} COMMAND ${GP_CIOUT} ${mode} ${CMAKE_BINARY_DIR})
  set_tests_properties(ciout.${mode} PROPERTIES FIXTURES_REQUIRED ciout_deps LABELS integration
                       TIMEOUT 120 ENVIRONMENT "${GP_CIOUT_ENV}")
endforeach()
