# The benchmark runs: ci/bench with this build's binaries (no rebuild), one run of 20 users,
# goldenpath, the Node ws peer and the floor peer (floorclient, built into this build directory
# on first use) all printing a 20/20 row (--check). Never a timing. On a fresh machine ci/bench
# installs nodejs/npm and the peer's ws package (npm ci) first.
add_test(NAME it.bench.runs
  COMMAND ${PROJECT_SOURCE_DIR}/ci/bench --runs 1 --build-dir ${CMAKE_BINARY_DIR} --check 20)
set_tests_properties(it.bench.runs PROPERTIES LABELS slow TIMEOUT 300 ENVIRONMENT "NO_COLOR=1")

# The floor peer can fail: a missing event and a cross-user leak from gp-refserver's faults end
# in exit 1 with the matching reason in its JSON, a correct run in exit 0 (a few seconds).
add_test(NAME it.bench.floorclient_fails
  COMMAND ${PROJECT_SOURCE_DIR}/ci/floorclient-check ${CMAKE_BINARY_DIR})
set_tests_properties(it.bench.floorclient_fails PROPERTIES LABELS integration TIMEOUT 120
  ENVIRONMENT "NO_COLOR=1")
