# Proxy integration tests: goldenpath reaching gp-refserver through a real HTTP proxy (Debian's
# tinyproxy, started on loopback by ci/with-proxy), chosen as curl chooses one: https_proxy for
# wss://, http_proxy for ws:// and the HTTP endpoints, no_proxy to bypass, target.proxy in the
# scenario. A refusing or unreachable proxy is a failed check whose cause is the proxy, never
# blamed on the target. ci/with-proxy --expect-tunnels proves the traffic went through it.
find_program(GP_TINYPROXY tinyproxy REQUIRED)
set(GP_PX ${PROJECT_SOURCE_DIR}/ci/with-proxy)
set(GP_PX_SECRET "ctest-proxy-secret-5e1f0a")
set(GP_PX_ENV "GOLDENPATH_JWT_SECRET=${GP_PX_SECRET};GP_REFSERVER=${GP_REFSERVER};NO_COLOR=1")

# gp_px(NAME ARGS...) - one proxy test: ARGS go to ci/with-refserver.
function(gp_px name)
  add_test(NAME it.proxy.${name} COMMAND ${GP_WITH} --limit 60 ${ARGN})
  set_tests_properties(it.proxy.${name} PROPERTIES LABELS integration TIMEOUT 90
                       ENVIRONMENT "${GP_PX_ENV}")
endfunction()

# http_proxy carries ws://; the report names the proxy; its password is never printed.
gp_px(http_proxy_env --expect-exit 0 --expect-line "10 of 10 users passed"
  --expect-line "^target: .* through the proxy http://127\\.0\\.0\\.1:[0-9]+ \\(from http_proxy\\)$"
  --reject-text pr0xy-pa55 --reject-text ${GP_PX_SECRET}
  -- ${GP_PX} --auth gpuser:pr0xy-pa55 --expect-tunnels 10
  -- env http_proxy=@PROXY@ ${GP_BIN} run ${GP_SCN}/golden_path.yaml --target @URL@ --users 10
     --no-progress --json ${CMAKE_BINARY_DIR}/it-proxy.json --junit ${CMAKE_BINARY_DIR}/it-proxy.xml)
# ...nor written into the reports.
add_test(NAME it.proxy.reports_name_it_without_password
  COMMAND sh -c "grep -q '\"proxy\": \"http://127.0.0.1:' '${CMAKE_BINARY_DIR}/it-proxy.json' && grep -q 'name=\"proxy\"' '${CMAKE_BINARY_DIR}/it-proxy.xml' && ! grep -q pr0xy-pa55 '${CMAKE_BINARY_DIR}/it-proxy.json' '${CMAKE_BINARY_DIR}/it-proxy.xml'")
set_tests_properties(it.proxy.reports_name_it_without_password PROPERTIES LABELS integration
                     TIMEOUT 10 DEPENDS it.proxy.http_proxy_env)

# The ticket carrier: the HTTP ticket request and the upgrade both tunnel (2 per user).
add_test(NAME it.proxy.ticket_carrier COMMAND ${GP_WITH} --limit 60 --expect-exit 0
  --expect-line "5 of 5 users passed"
  -- ${GP_PX} --expect-tunnels 10
  -- env http_proxy=@PROXY@ ${GP_BIN} run ${GP_SCN}/netra_staging.yaml --target @URL@ --users 5
     --no-progress)
set_tests_properties(it.proxy.ticket_carrier PROPERTIES LABELS integration TIMEOUT 90
                     ENVIRONMENT "${GP_PX_ENV};NETRA_CARRIER=ticket")

# target.proxy in the scenario, with no proxy variable set.
add_test(NAME it.proxy.scenario_key COMMAND ${GP_WITH} --limit 60 --expect-exit 0
  --expect-line "5 of 5 users passed" --expect-text "(from target.proxy)"
  -- ${GP_PX} --expect-tunnels 5
  -- env GOLDENPATH_PROXY=@PROXY@ ${GP_BIN} run
     ${PROJECT_SOURCE_DIR}/fixtures/scenarios/valid/proxy.yaml --target @URL@ --no-progress)
set_tests_properties(it.proxy.scenario_key PROPERTIES LABELS integration TIMEOUT 90
                     ENVIRONMENT "${GP_PX_ENV}")

# no_proxy bypasses a proxy that would fail: nothing reaches the proxy, and all pass.
gp_px(no_proxy_bypass --expect-exit 0 --expect-line "5 of 5 users passed"
  --reject-text "(from http_proxy)"
  -- ${GP_PX} --refuse --expect-tunnels 0
  -- env http_proxy=@PROXY@ no_proxy=localhost,127.0.0.1 ${GP_BIN} run ${GP_SCN}/golden_path.yaml
     --target @URL@ --users 5 --no-progress)

# target.proxy: none wins over the environment.
add_test(NAME it.proxy.scenario_none COMMAND ${GP_WITH} --limit 60 --expect-exit 0
  --expect-line "5 of 5 users passed"
  -- ${GP_PX} --refuse --expect-tunnels 0
  -- env http_proxy=@PROXY@ GOLDENPATH_PROXY=none ${GP_BIN} run
     ${PROJECT_SOURCE_DIR}/fixtures/scenarios/valid/proxy.yaml --target @URL@ --no-progress)
set_tests_properties(it.proxy.scenario_none PROPERTIES LABELS integration TIMEOUT 90
                     ENVIRONMENT "${GP_PX_ENV}")

# A proxy that refuses the tunnel: GP-CONNECT fails with the proxy's own status line as the
# cause, and the cause class is "proxy", not the target's.
gp_px(refused --expect-exit 1 --expect-line "FAIL.*GP-CONNECT"
  --expect-text "refused the tunnel to 127.0.0.1:"
  --expect-text "HTTP/1.1 403" --expect-text "the target was not reached"
  --expect-line "^causes: +proxy 3$"
  -- ${GP_PX} --refuse
  -- env http_proxy=@PROXY@ ${GP_BIN} run ${GP_SCN}/golden_path.yaml --target @URL@ --users 3
     --timeout 5s --no-progress)

# A proxy that wants credentials it was not given: its 407 is the cause.
gp_px(auth_required --expect-exit 1 --expect-line "FAIL.*GP-CONNECT"
  --expect-text "407 Proxy Authentication Required" --expect-line "^causes: +proxy 2$"
  -- ${GP_PX} --auth gpuser:pr0xy-pa55
  -- env http_proxy=@PROXY_NOAUTH@ ${GP_BIN} run ${GP_SCN}/golden_path.yaml --target @URL@
     --users 2 --timeout 5s --no-progress)

# Nothing listens where the proxy should be: said so, and the cause is the proxy.
gp_px(unreachable --expect-exit 1 --expect-line "FAIL.*GP-CONNECT"
  --expect-text "no TCP connection to the proxy http://127.0.0.1:1 (from http_proxy)"
  --expect-line "^causes: +proxy 2$"
  -- env http_proxy=http://127.0.0.1:1 ${GP_BIN} run ${GP_SCN}/golden_path.yaml --target @URL@
     --users 2 --timeout 5s --no-progress)

# An unusable proxy variable is a usage error (exit 2) that never echoes its password.
gp_px(unusable_variable --expect-exit 2 --expect-text "https_proxy: only http:// proxies are supported"
  --reject-text pr0xy-pa55
  -- env https_proxy=socks5://user:pr0xy-pa55@127.0.0.1:1080 ${GP_BIN} run
     ${GP_SCN}/golden_path.yaml --target wss://staging.example.com/ws --no-progress)

# wss:// through https_proxy: TLS with the target inside the tunnel, the certificate verified
# against the test CA for the name "localhost" (which the proxy resolves, not goldenpath).
set(GP_PX_PKI ${CMAKE_BINARY_DIR}/tls-test-pki)
add_test(NAME it.proxy.wss_https_proxy COMMAND ${GP_WITH} --limit 60
  --server-arg --tls-cert --server-arg ${GP_PX_PKI}/server.pem
  --server-arg --tls-key --server-arg ${GP_PX_PKI}/server.key
  --expect-exit 0 --expect-line "10 of 10 users passed" --expect-text "(from https_proxy)"
  -- ${GP_PX} --expect-tunnels 10
  -- env https_proxy=@PROXY@ http_proxy=http://127.0.0.1:1 ${GP_BIN} run
     ${PROJECT_SOURCE_DIR}/fixtures/scenarios/valid/tls_ca.yaml --target @WSS_URL@ --no-progress)
set_tests_properties(it.proxy.wss_https_proxy PROPERTIES LABELS integration TIMEOUT 90
  FIXTURES_REQUIRED gp_tls_pki
  ENVIRONMENT "${GP_PX_ENV};GOLDENPATH_CA_FILE=${GP_PX_PKI}/ca.pem")
