# Sharded runs (issue 8): the same scenario as one process and as 4 local shards of 2 workers
# each, started together (--start-at) against one reference server, merges into the single
# run's users and verdicts; a
# leaking server's cross-shard leak is found by merge, and one recording of a leaking run judged
# as 4 shards (judge --shard) merges into exactly the single run's report; every merge refusal
# exits 2, named.
set(GP_SHD ${CMAKE_BINARY_DIR}/it-shard)
set(GP_SHD_LEAK ${CMAKE_BINARY_DIR}/it-shard-leak)
set(GP_SHARD_CHECK ${PROJECT_SOURCE_DIR}/ci/shard-check)

gp_it(shard.equal_to_single_run 90 --expect-exit 0 --expect-line "^shard-check: ok"
  -- ${GP_SHARD_CHECK} equal ${GP_BIN} ${GP_SCN}/concurrent_isolation.yaml @URL@ ${GP_SHD} 24 4 2)
set_tests_properties(it.shard.equal_to_single_run PROPERTIES FIXTURES_SETUP it_shards)
gp_it(shard.cross_shard_leak 90
  --server-arg --fault --server-arg shared_notifier --server-arg --think-ms --server-arg 20
  --expect-exit 0 --expect-line "^shard-check: live: leak from .* across shards"
  --expect-line "^shard-check: recorded: leak from .* across shards"
  --expect-line "^shard-check: recorded: [0-9]+ foreign ids inside runs"
  -- ${GP_SHARD_CHECK} leak ${GP_BIN} ${GP_SCN}/concurrent_isolation.yaml @URL@ ${GP_SHD_LEAK} 20 4)
# A recording in which users receive events whose ids NO user of the run owns (crafted from
# fixtures/transcripts/golden.json), judged as one process and as 4 shards: each shard holds
# those events out of the run and stores the alternative verdicts; merge applies the one for the
# identities nobody owns, so users, causes, rule counts and examples equal the single judge's.
add_test(NAME it.shard.nobody_owns_the_run COMMAND ${PROJECT_SOURCE_DIR}/ci/shard-nobody-check
  ${GP_BIN} ${GP_SCN}/golden_path.yaml ${PROJECT_SOURCE_DIR}/fixtures/transcripts/golden.json
  ${CMAKE_BINARY_DIR}/it-shard-nobody 4)
set_tests_properties(it.shard.nobody_owns_the_run PROPERTIES LABELS integration TIMEOUT 60)
# --start-at holds every scenario of a multi-scenario run: each shard holds scenario k+1 until
# the same slot after scenario k's start, so the shards start every scenario together.
gp_it(shard.start_at_every_scenario 90 --expect-exit 0 --expect-line "^shard-start-check: ok"
  -- ${PROJECT_SOURCE_DIR}/ci/shard-start-check ${GP_BIN} @URL@ ${CMAKE_BINARY_DIR}/it-shard-start 4 2
     ${GP_SCN}/concurrent_isolation.yaml ${GP_SCN}/golden_path.yaml)
# A shard of another scenario, of another shard count and of a run of another size.
gp_it(shard.other_reports 90 --expect-exit 0
  -- sh -c "mkdir -p ${GP_SHD}/other && \"$0\" run ${GP_SCN}/golden_path.yaml --target \"$1\" --users 4 --shard 0/4 --no-progress --json ${GP_SHD}/other/scenario.json >/dev/null && \"$0\" run ${GP_SCN}/concurrent_isolation.yaml --target \"$1\" --users 24 --shard 1/2 --no-progress --json ${GP_SHD}/other/count2.json >/dev/null && \"$0\" run ${GP_SCN}/concurrent_isolation.yaml --target \"$1\" --users 12 --shard 1/4 --no-progress --json ${GP_SHD}/other/users12.json >/dev/null" ${GP_BIN} @URL@)
set_tests_properties(it.shard.other_reports PROPERTIES FIXTURES_SETUP it_shards_other)

# A shard report that lost a user (hand-edited, or cut short by a tool): merge must not
# invent or shift users.
add_test(NAME it.shard.doctored_reports COMMAND ${Python3_EXECUTABLE} -c
  "import json; d=json.load(open('${GP_SHD}/shard-1.json')); s=d['scenarios'][0]; s['user_results'].pop(); json.dump(d, open('${GP_SHD}/short.json', 'w'))")
set_tests_properties(it.shard.doctored_reports PROPERTIES LABELS integration TIMEOUT 30
                     FIXTURES_REQUIRED it_shards FIXTURES_SETUP it_shards_other)

# merge refusals: name, the reports (relative to GP_SHD), the message.
function(gp_merge_refuses name msg)
  add_test(NAME it.shard.merge_refuses_${name}
    COMMAND ${PROJECT_SOURCE_DIR}/ci/expect-exit 2 sh -c
      "cd ${GP_SHD} && \"$0\" merge \"$@\" -o refused-${name}.json 2>err-${name}.txt; rc=$?; cat err-${name}.txt; grep -q -- \"${msg}\" err-${name}.txt || exit 99; exit $rc" ${GP_BIN} ${ARGN})
  set_tests_properties(it.shard.merge_refuses_${name} PROPERTIES LABELS integration TIMEOUT 30
                       FIXTURES_REQUIRED "it_shards;it_shards_other")
endfunction()
gp_merge_refuses(missing "shard 2/4 missing"
  shard-0.json shard-1.json shard-3.json)
gp_merge_refuses(duplicate "shard 1/4 twice: shard-1.json and shard-1.json"
  shard-0.json shard-1.json shard-1.json shard-2.json shard-3.json)
gp_merge_refuses(mixed_counts "mixed shard counts: shard-0.json is shard 0/4 but other/count2.json is shard 1/2"
  shard-0.json other/count2.json shard-2.json shard-3.json)
gp_merge_refuses(other_scenario "only parts of the same scenario merge"
  other/scenario.json shard-1.json shard-2.json shard-3.json)
gp_merge_refuses(other_run_size "a run of 24 users but other/users12.json of a run of 12"
  shard-0.json other/users12.json shard-2.json shard-3.json)
gp_merge_refuses(lost_user "short.json (shard 1/4 of a run of 24 users) holds 5 users of \\\"concurrent_isolation\\\" where that shard has 6"
  shard-0.json short.json shard-2.json shard-3.json)
gp_merge_refuses(plain_among_shards "single.json is not a shard's report"
  single.json shard-0.json shard-1.json shard-2.json shard-3.json)

# Usage errors of run: bad shards and start times exit 2 with the reason on stderr. Arguments
# of the form NAME=VALUE go to the environment.
function(gp_shard_usage name msg)
  add_test(NAME cli.shard.${name}_exit2
    COMMAND sh -c "env_=''; for a; do case $a in *=*) export \"$a\" ;; *) env_=\"$env_ $a\" ;; esac; done; \"$0\" run ${GP_SCN}/golden_path.yaml $env_ 2>err.$$ >/dev/null; rc=$?; cat err.$$; grep -q -- \"${msg}\" err.$$; found=$?; rm -f err.$$; test $rc -eq 2 && test $found -eq 0" ${GP_BIN} ${ARGN})
  set_tests_properties(cli.shard.${name}_exit2 PROPERTIES LABELS unit ENVIRONMENT "${GP_IT_ENV}"
                       WORKING_DIRECTORY ${CMAKE_BINARY_DIR})
endfunction()
foreach(case "--shard;4/4;must be below COUNT" "--shard;x;INDEX/COUNT"
             "--start-at;2020-01-01T00:00:00Z;passed" "--start-at;soon;RFC 3339")
  list(GET case 0 opt)
  list(GET case 1 val)
  list(GET case 2 msg)
  string(MAKE_C_IDENTIFIER "${opt}${val}" id)
  gp_shard_usage(${id} "${msg}" ${opt} ${val})
endforeach()
gp_shard_usage(gitlab_index_is_1_based "1-based index from 1 to 4" CI_NODE_INDEX=0 CI_NODE_TOTAL=4)
gp_shard_usage(more_shards_than_users "would run no user" --users 2 --shard 3/4)

# The merged JUnit is valid against the XSD; the merged HTML (with its shard table) loads in
# headless chromium without errors or external references.
add_test(NAME it.shard.merged_junit_xsd COMMAND ${GP_XMLLINT} --noout --schema
  ${PROJECT_SOURCE_DIR}/reports/schema/junit.xsd ${GP_SHD}/merged.xml)
add_test(NAME it.shard.merged_html_chromium COMMAND ${PROJECT_SOURCE_DIR}/ci/html-check
  ${GP_SHD}/merged.html)
set_tests_properties(it.shard.merged_junit_xsd it.shard.merged_html_chromium PROPERTIES
                     LABELS integration TIMEOUT 60 FIXTURES_REQUIRED it_shards)

# judge --shard: a bad shard is a usage error (2), named, before any file is read.
add_test(NAME cli.judge.shard_bad_exit2
  COMMAND sh -c "\"$0\" judge none.yaml none.json --shard 4/4 2>err-judge.$$ >/dev/null; rc=$?; cat err-judge.$$; grep -q 'must be below COUNT' err-judge.$$; found=$?; rm -f err-judge.$$; test $rc -eq 2 && test $found -eq 0" ${GP_BIN})
set_tests_properties(cli.judge.shard_bad_exit2 PROPERTIES LABELS unit WORKING_DIRECTORY ${CMAKE_BINARY_DIR})
