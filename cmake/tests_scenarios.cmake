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
