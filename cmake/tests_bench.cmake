# The benchmark runs: ci/bench with this build's binaries (no rebuild), one run of 20 users,
# goldenpath and the Node ws peer both printing a 20/20 row (--check). Never a timing. On a
# fresh machine ci/bench installs nodejs/npm and the peer's ws package (npm ci) first.
add_test(NAME it.bench.runs
  COMMAND ${PROJECT_SOURCE_DIR}/ci/bench --runs 1 --build-dir ${CMAKE_BINARY_DIR} --check 20)
set_tests_properties(it.bench.runs PROPERTIES LABELS slow TIMEOUT 300 ENVIRONMENT "NO_COLOR=1")
