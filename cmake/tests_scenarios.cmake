# Scenario language tests: one CTest per invalid scenario (its expected error beside it in
# <case>.err), `goldenpath check` over every shipped and valid scenario, and the YAML examples
# in docs/*.md. None of them needs a server.
set(GP_SCN_SECRET "ctest-scenario-secret")
set(GP_SCN_ENV "GOLDENPATH_JWT_SECRET=${GP_SCN_SECRET};GOLDENPATH_BYPASS_KEY=ctest-bypass-key")

file(GLOB GP_INVALID_SCENARIOS CONFIGURE_DEPENDS
     ${PROJECT_SOURCE_DIR}/fixtures/scenarios/invalid/*.yaml)
foreach(case ${GP_INVALID_SCENARIOS})
  get_filename_component(name ${case} NAME_WE)
  add_test(NAME scenario.invalid.${name}
           COMMAND ${PROJECT_SOURCE_DIR}/fixtures/scenarios/check-invalid ${GP_BIN} ${case})
  set_tests_properties(scenario.invalid.${name} PROPERTIES LABELS unit TIMEOUT 20
                       ENVIRONMENT "${GP_SCN_ENV}")
endforeach()

file(GLOB GP_VALID_SCENARIOS CONFIGURE_DEPENDS
     ${PROJECT_SOURCE_DIR}/scenarios/*.yaml
     ${PROJECT_SOURCE_DIR}/fixtures/scenarios/valid/*.yaml)
foreach(file ${GP_VALID_SCENARIOS})
  get_filename_component(name ${file} NAME_WE)
  get_filename_component(dir ${file} DIRECTORY)
  get_filename_component(dir ${dir} NAME)
  add_test(NAME scenario.check.${dir}.${name} COMMAND ${GP_BIN} check ${file})
  set_tests_properties(scenario.check.${dir}.${name} PROPERTIES LABELS unit TIMEOUT 20
                       ENVIRONMENT "${GP_SCN_ENV}")
endforeach()

add_test(NAME docs.yaml_blocks
         COMMAND ${PROJECT_SOURCE_DIR}/ci/check-docs ${GP_BIN} ${PROJECT_SOURCE_DIR}/docs)
set_tests_properties(docs.yaml_blocks PROPERTIES LABELS unit TIMEOUT 60
                     ENVIRONMENT "${GP_SCN_ENV}")

# Issue 11, finding 7: what a scenario file can make the loader do is linear. 100,000-deep
# flow nesting took a minute before the prepass refused it (libyaml's scanner is O(depth) per
# token), 200,000 keys under send: ran past 5 minutes of duplicate-key checks; each now takes
# well under a second or two. The TIMEOUT is the assertion.
set(GP_BIG ${CMAKE_BINARY_DIR}/big-scenarios)
set(GP_GEN ${PROJECT_SOURCE_DIR}/fixtures/scenarios/gen-big)
set(GP_EE ${PROJECT_SOURCE_DIR}/ci/expect-exit)
add_test(NAME scenario.scale.deep_nesting COMMAND sh -c
  "mkdir -p '${GP_BIG}' && '${GP_GEN}' deep '${GP_BIG}/deep.yaml' && '${GP_EE}' 2 '${GP_BIN}' check '${GP_BIG}/deep.yaml'")
add_test(NAME scenario.scale.many_keys COMMAND sh -c
  "mkdir -p '${GP_BIG}' && '${GP_GEN}' keys '${GP_BIG}/keys.yaml' && '${GP_EE}' 2 '${GP_BIN}' check '${GP_BIG}/keys.yaml'")
set_tests_properties(scenario.scale.deep_nesting scenario.scale.many_keys PROPERTIES LABELS unit
                     TIMEOUT 30)
set_tests_properties(scenario.scale.deep_nesting PROPERTIES
                     PASS_REGULAR_EXPRESSION "deep.yaml:6:[0-9]+: nested deeper than 40 levels")
set_tests_properties(scenario.scale.many_keys PROPERTIES
                     PASS_REGULAR_EXPRESSION "keys.yaml:200008:7: duplicate key 'k5' \\(first at 13:7\\)")

# ${VAR} references: 300,000 in one value resolve without rescanning the value per reference
# (15 s before, quadratic), and a value that expands past 4 MiB is an error that check
# reports, never a silent cut.
add_test(NAME scenario.scale.env_refs COMMAND sh -c
  "mkdir -p '${GP_BIG}' && '${GP_GEN}' refs '${GP_BIG}/refs.yaml' && GP_ENV_REF=z '${GP_EE}' 0 '${GP_BIN}' check '${GP_BIG}/refs.yaml'")
add_test(NAME scenario.env_expansion_too_long COMMAND sh -c
  "mkdir -p '${GP_BIG}' && '${GP_GEN}' bigref '${GP_BIG}/big.yaml' && GP_ENV_BIG=$(python3 -c 'print(100000 * chr(97))') '${GP_EE}' 2 '${GP_BIN}' check '${GP_BIG}/big.yaml'")
set_tests_properties(scenario.scale.env_refs scenario.env_expansion_too_long PROPERTIES
                     LABELS unit TIMEOUT 30)
set_tests_properties(scenario.env_expansion_too_long PROPERTIES PASS_REGULAR_EXPRESSION
  "big.yaml:8:10: the value expands past 4194304 bytes once its")
