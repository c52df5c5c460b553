# TLS (wss://) integration tests: the goldenpath binary against gp-refserver started with
# --tls-cert/--tls-key. The certificates are made at test time, into the build directory, by
# ci/make-test-cert (a throwaway CA with a server certificate it signed, and a self-signed one);
# nothing of them is committed. Needs the openssl command.
find_program(GP_OPENSSL openssl REQUIRED)
set(GP_TLS_WITH ${PROJECT_SOURCE_DIR}/ci/with-refserver)
set(GP_TLS_DIR ${CMAKE_BINARY_DIR}/tls-test-pki)
set(GP_TLS_SECRET "ctest-tls-secret-2b8d4e6a")
set(GP_TLS_ENV "GOLDENPATH_JWT_SECRET=${GP_TLS_SECRET};GP_REFSERVER=${CMAKE_BINARY_DIR}/gp-refserver;NO_COLOR=1")
set(GP_TLS_VALID ${PROJECT_SOURCE_DIR}/fixtures/scenarios/valid)
set(GP_TLS_GOLDEN ${PROJECT_SOURCE_DIR}/scenarios/golden_path.yaml)
# Server arguments: the CA-signed certificate, and the self-signed one.
set(GP_TLS_CA_SERVER --server-arg --tls-cert --server-arg ${GP_TLS_DIR}/server.pem
                     --server-arg --tls-key --server-arg ${GP_TLS_DIR}/server.key)
set(GP_TLS_SELF_SERVER --server-arg --tls-cert --server-arg ${GP_TLS_DIR}/self.pem
                       --server-arg --tls-key --server-arg ${GP_TLS_DIR}/self.key)

add_test(NAME it.tls.make_cert COMMAND ${PROJECT_SOURCE_DIR}/ci/make-test-cert ${GP_TLS_DIR})
set_tests_properties(it.tls.make_cert PROPERTIES LABELS integration TIMEOUT 60
                     FIXTURES_SETUP gp_tls_pki)

# gp_tls(NAME ARGS...) - one TLS integration test; it needs the certificates.
function(gp_tls name)
  add_test(NAME it.tls.${name} COMMAND ${GP_TLS_WITH} --limit 60 ${ARGN})
  set_tests_properties(it.tls.${name} PROPERTIES LABELS integration TIMEOUT 90
                       FIXTURES_REQUIRED gp_tls_pki
                       ENVIRONMENT "${GP_TLS_ENV};GOLDENPATH_CA_FILE=${GP_TLS_DIR}/ca.pem")
endfunction()

# (a) The server certificate verified against the test CA, hostname checked: 10 users pass.
gp_tls(ca_verified ${GP_TLS_CA_SERVER}
  --expect-exit 0 --expect-line "10 of 10 users passed" --reject-text ${GP_TLS_SECRET}
  -- ${GP_BIN} run ${GP_TLS_VALID}/tls_ca.yaml --target @WSS_URL@ --no-progress)

# (b) insecure: true accepts the self-signed certificate.
gp_tls(insecure_self_signed ${GP_TLS_SELF_SERVER}
  --expect-exit 0 --expect-line "10 of 10 users passed"
  -- ${GP_BIN} run ${GP_TLS_VALID}/tls_insecure.yaml --target @WSS_URL@ --no-progress)

# (c) No CA for the self-signed certificate: GP-CONNECT fails, said to be TLS, cause tls.
gp_tls(untrusted_self_signed ${GP_TLS_SELF_SERVER}
  --expect-exit 1 --expect-line "FAIL.*GP-CONNECT"
  --expect-text "TLS handshake failed" --expect-line "^causes: +tls 3$"
  -- ${GP_BIN} run ${GP_TLS_GOLDEN} --target @WSS_URL@ --users 3 --timeout 5s
     --no-progress)

# (d) A ws:// client against the TLS server fails GP-CONNECT and does not hang: a hang would be
# killed at --limit 20 s and exit 124, not 1.
gp_tls(plain_client ${GP_TLS_SELF_SERVER} --limit 20
  --expect-exit 1 --expect-line "FAIL.*GP-CONNECT"
  -- ${GP_BIN} run ${GP_TLS_GOLDEN} --target @URL@ --users 3 --timeout 5s --no-progress)

# Behind a real TLS terminator: Debian's nginx (started by ci/with-refserver --nginx in the
# foreground, with its own config, pid and logs in a temp dir, on a free loopback port, and
# stopped with the test) in front of the plaintext reference server, with the certificate
# the throwaway CA issued. This also reaches the server's HTTP endpoints (test-auth, ticket)
# over https:// and the long jwt.<token> subprotocol over wss://.
find_program(GP_NGINX nginx PATHS /usr/sbin)
if(GP_NGINX)
  set(GP_NGINX_ENV "${GP_TLS_ENV};GP_NGINX=${GP_NGINX};GOLDENPATH_BYPASS_KEY=ctest-bypass-5d1f")
  # gp_nginx(NAME ENV ARGS...) - one test behind nginx; ENV is a ;-list added to the test's.
  function(gp_nginx name env)
    add_test(NAME it.tls.nginx.${name}
             COMMAND ${GP_TLS_WITH} --limit 60 --nginx ${GP_TLS_DIR} ${ARGN})
    set_tests_properties(it.tls.nginx.${name} PROPERTIES LABELS integration TIMEOUT 90
                         FIXTURES_REQUIRED gp_tls_pki ENVIRONMENT "${GP_NGINX_ENV};${env}")
  endfunction()
  set(GP_NGINX_CA GOLDENPATH_CA_FILE=${GP_TLS_DIR}/ca.pem)

  # (e) insecure: true accepts a certificate from a private CA ("unable to get local issuer").
  gp_nginx(insecure_private_ca "NO_COLOR=1"
    --expect-exit 0 --expect-line "10 of 10 users passed"
    -- ${GP_BIN} run ${GP_TLS_VALID}/tls_insecure.yaml --target @WSS_URL@ --no-progress)
  # (f) Neither insecure nor ca_file: every user fails GP-CONNECT, and the cause says TLS.
  gp_nginx(untrusted_private_ca "NO_COLOR=1"
    --expect-exit 1 --expect-line "FAIL.*GP-CONNECT" --expect-text "TLS handshake failed"
    --expect-line "^causes: +tls 3$"
    -- ${GP_BIN} run ${GP_TLS_GOLDEN} --target @WSS_URL@ --users 3 --timeout 5s --no-progress)
  # (g) ca_file: the private CA, full verification with hostname checks.
  gp_nginx(ca_file "${GP_NGINX_CA}"
    --expect-exit 0 --expect-line "10 of 10 users passed" --reject-text ${GP_TLS_SECRET}
    -- ${GP_BIN} run ${GP_TLS_VALID}/tls_ca.yaml --target @WSS_URL@ --no-progress)
  # (h) test-auth and tickets over https://, and the jwt.<token> subprotocol over wss://: with
  # the CA, and with insecure. The bypass key, tokens and tickets never reach the output.
  foreach(carrier ticket subprotocol)
    gp_nginx(${carrier}_ca_file "${GP_NGINX_CA};GOLDENPATH_CARRIER=${carrier}"
      --expect-exit 0 --expect-line "10 of 10 users passed" --reject-text ctest-bypass-5d1f
      --reject-text "Bearer ey" --reject-text "ticket=tk_" --reject-text "jwt.ey"
      -- env GOLDENPATH_AUTH_URL=@HTTPS_URL@
         ${GP_BIN} run ${GP_TLS_VALID}/tls_nginx.yaml --target @WSS_URL@ --no-progress)
    gp_nginx(${carrier}_insecure "GOLDENPATH_INSECURE=true;GOLDENPATH_CARRIER=${carrier}"
      --expect-exit 0 --expect-line "10 of 10 users passed" --reject-text ctest-bypass-5d1f
      -- env GOLDENPATH_AUTH_URL=@HTTPS_URL@
         ${GP_BIN} run ${GP_TLS_VALID}/tls_nginx.yaml --target @WSS_URL@ --no-progress)
  endforeach()
  # (i) The test-auth request over https:// without the CA fails with a TLS cause, not a hang.
  gp_nginx(http_untrusted "GOLDENPATH_CARRIER=ticket"
    --expect-exit 1 --expect-text "the test-auth token request failed: TLS handshake failed"
    --expect-line "^causes: +tls 10$" --reject-text ctest-bypass-5d1f
    -- env GOLDENPATH_AUTH_URL=@HTTPS_URL@
       ${GP_BIN} run ${GP_TLS_VALID}/tls_nginx.yaml --target @WSS_URL@ --timeout 5s --no-progress)
else()
  message(STATUS "nginx not found: the TLS tests behind nginx are skipped (apt-get install nginx-light)")
endif()

if(GP_NGINX)
  # IPv6 over TLS: wss://[::1]:PORT/ws through nginx, the chain verified against the CA (lws
  # 4.1.6 cannot check an IPv6 literal against the certificate's name: see runner_connect.c).
  gp_nginx(ipv6_ca_file "${GP_NGINX_CA}"
    --expect-exit 0 --expect-line "10 of 10 users passed"
    --expect-line "^target: +wss://\\[::1\\]:[0-9]+/ws$"
    -- ${GP_BIN} run ${GP_TLS_VALID}/tls_ca.yaml --target @WSS6_URL@ --no-progress)
endif()

if(GP_NGINX)
  # Mutual TLS: nginx requires a client certificate issued by the throwaway CA (ssl_verify_client
  # on). With target.client_cert/client_key every user passes; without, every upgrade gets
  # nginx's HTTP 400 and the cause points at target.client_cert. The key never reaches output.
  set(GP_MTLS --nginx-client-ca ${GP_TLS_DIR}/ca.pem)
  gp_nginx(mtls_client_cert
    "${GP_NGINX_CA};GOLDENPATH_CLIENT_CERT=${GP_TLS_DIR}/client.pem;GOLDENPATH_CLIENT_KEY=${GP_TLS_DIR}/client.key"
    ${GP_MTLS} --expect-exit 0 --expect-line "10 of 10 users passed"
    --expect-text "certificates verified, client certificate" --reject-text "PRIVATE KEY"
    -- ${GP_BIN} run ${GP_TLS_VALID}/tls_mtls.yaml --target @WSS_URL@ --no-progress)
  gp_nginx(mtls_no_client_cert "${GP_NGINX_CA}"
    ${GP_MTLS} --expect-exit 1 --expect-line "FAIL.*GP-CONNECT"
    --expect-text "upgrade refused: HTTP 400"
    --expect-text "requires a client certificate answers 400 when none is sent: see target.client_cert"
    -- ${GP_BIN} run ${GP_TLS_VALID}/tls_ca.yaml --target @WSS_URL@ --users 3 --timeout 5s
       --no-progress)
endif()
