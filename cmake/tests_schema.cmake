# The scenario JSON Schema (scenarios/schema.json) against the loader: ci/schema-check validates
# every shipped scenario, valid fixture and complete ```yaml block of docs/ with Ajv (they must
# pass), and every invalid fixture (each must be rejected, except the faults listed in
# ci/schema/check.mjs as inexpressible). Installs its npm packages (npm ci in ci/schema) on
# first use, so it is an integration test. The schema reads ${VAR} references unresolved; the
# environment is the one the scenario tests and ci/check-docs give the same files (the docs
# examples need the JWT secret and the e2e bypass key), so both checks judge the same inputs.
add_test(NAME schema.scenarios COMMAND ${PROJECT_SOURCE_DIR}/ci/schema-check)
set_tests_properties(schema.scenarios PROPERTIES LABELS integration TIMEOUT 300
                     ENVIRONMENT "GOLDENPATH_JWT_SECRET=ctest-scenario-secret;GOLDENPATH_BYPASS_KEY=ctest-bypass-key;NO_COLOR=1")
