# Hostile-server tests: goldenpath against gp-hostile (fixtures/hostile.c), a plain-socket server
# that breaks HTTP and WebSocket framing in ways a WebSocket library would not let a server do.
# The standard: a hostile or broken server is a failed check (exit 1) that names the rule and a
# cause a person can act on, never a crash, a hang or a harness error (exit 3). --limit bounds
# each run far below the CTest TIMEOUT, so a hang fails the test (timeout(1) exits 124).
set(GP_HOSTILE ${CMAKE_BINARY_DIR}/gp-hostile)
set(GP_HOSTILE_SECRET "ctest-secret-7f3a9c1e5b")
set(GP_HOSTILE_ENV "GOLDENPATH_JWT_SECRET=${GP_HOSTILE_SECRET};GP_REFSERVER=${GP_REFSERVER};NO_COLOR=1")

# Each triple: mode | rule id | text of the cause the console must show.
set(GP_HOSTILE_MODES
  "silent|GP-CONNECT|accepted the connection and the upgrade request, but sent no complete HTTP response"
  "close_on_accept|GP-CONNECT|the server closed the connection before completing the WebSocket upgrade"
  "garbage|GP-CONNECT|sent no complete HTTP response"
  "http_500|GP-CONNECT|upgrade refused: HTTP 500"
  "http_404|GP-CONNECT|upgrade refused: HTTP 404"
  "http_302|GP-CONNECT|upgrade refused: HTTP 302"
  "bad_accept_key|GP-CONNECT|Sec-WebSocket-Accept does not match the key"
  "no_close_reply|GP-COMPLETION|no event within 2 s of the message"
  "half_frame|GP-COMPLETION|stalled mid-frame: a frame header promised 990 more payload bytes"
  "drip|GP-CONNECT|sent no complete HTTP response"
  "flood|GP-R7-FRAMES|frames beyond the transcript bound"
  "huge_length|GP-COMPLETION|stalled mid-frame: a frame header promised"
  "close_after_ready|GP-COMPLETION|connection lost without a close frame (1006)"
  "deflate_bomb|GP-R7-FRAMES|inflated past the limit from a permessage-deflate message")

foreach(entry ${GP_HOSTILE_MODES})
  string(REPLACE "|" ";" parts "${entry}")
  list(GET parts 0 mode)
  list(GET parts 1 rule)
  list(GET parts 2 cause)
  add_test(NAME it.hostile.${mode}
    COMMAND ${PROJECT_SOURCE_DIR}/ci/with-refserver --server ${GP_HOSTILE}
      --server-arg --mode --server-arg ${mode}
      --limit 20 --expect-exit 1 --expect-line "FAIL.*${rule}|${rule}.*FAIL"
      --expect-text "${cause}" --reject-text ${GP_HOSTILE_SECRET}
      -- ${GP_BIN} run ${PROJECT_SOURCE_DIR}/scenarios/golden_path.yaml --target @URL@
         --users 5 --timeout 2s --no-progress)
  set_tests_properties(it.hostile.${mode} PROPERTIES LABELS integration TIMEOUT 60
                       ENVIRONMENT "${GP_HOSTILE_ENV}")
endforeach()

# An uncompressed message on a permessage-deflate connection is allowed (RFC 7692), but
# libwebsockets 4.1.6 cannot read on past it, so the harness closes the connection: that is
# the harness's limit, not the server's fault. Inconclusive (exit 3) with the way out, never
# a failed check.
add_test(NAME it.hostile.deflate_plain
  COMMAND ${PROJECT_SOURCE_DIR}/ci/with-refserver --server ${GP_HOSTILE}
    --server-arg --mode --server-arg deflate_plain
    --limit 20 --expect-exit 3 --expect-line "INC\\? GP-R7-FRAMES"
    --expect-text "set target.compression: none for this server"
    --expect-text "the harness could not judge these users" --reject-text "FAIL GP-"
    --reject-text "fewer users per process"
    -- ${GP_BIN} run ${PROJECT_SOURCE_DIR}/scenarios/golden_path.yaml --target @URL@
       --users 5 --timeout 2s --no-progress)
set_tests_properties(it.hostile.deflate_plain PROPERTIES LABELS integration TIMEOUT 60
                     ENVIRONMENT "${GP_HOSTILE_ENV}")

# The fixture itself: --help works and an unknown mode is a usage error.
add_test(NAME it.hostile.fixture_help COMMAND ${GP_HOSTILE} --help)
add_test(NAME it.hostile.fixture_bad_mode
  COMMAND ${PROJECT_SOURCE_DIR}/ci/expect-exit 2 ${GP_HOSTILE} --mode nonsense)
set_tests_properties(it.hostile.fixture_help it.hostile.fixture_bad_mode PROPERTIES
  LABELS integration TIMEOUT 10)

# Issue 11 finding 1: a server that echoes credentials (the user's own, and another user's)
# inside frames must not get them into any output; ci/leak-check greps every output for them.
add_test(NAME it.hostile.echo_token_redacted
  COMMAND ${PROJECT_SOURCE_DIR}/ci/leak-check ${GP_BIN} ${GP_HOSTILE}
          ${PROJECT_SOURCE_DIR}/scenarios/golden_path.yaml)
# With two worker processes another user's token was minted elsewhere: found by its signature.
add_test(NAME it.hostile.echo_token_redacted_workers
  COMMAND ${PROJECT_SOURCE_DIR}/ci/leak-check ${GP_BIN} ${GP_HOSTILE}
          ${PROJECT_SOURCE_DIR}/scenarios/golden_path.yaml --workers 2)
set_tests_properties(it.hostile.echo_token_redacted it.hostile.echo_token_redacted_workers
                     PROPERTIES LABELS integration TIMEOUT 60 ENVIRONMENT "${GP_HOSTILE_ENV}")
# A ticket is read, not minted: a worker cannot know another worker's. Echoed to the next user
# (the other worker's, with two), it is redacted by the parent, which holds every worker's.
add_test(NAME it.hostile.echo_ticket_redacted_workers
  COMMAND ${PROJECT_SOURCE_DIR}/ci/leak-check ${GP_BIN} ${GP_HOSTILE}
          ${PROJECT_SOURCE_DIR}/scenarios/netra_staging.yaml --workers 2)
set_tests_properties(it.hostile.echo_ticket_redacted_workers PROPERTIES LABELS integration
                     TIMEOUT 60 ENVIRONMENT "${GP_HOSTILE_ENV};NETRA_CARRIER=ticket")

# Issue 11, finding 4: an expect waiting while a flood fills the transcript fails GP-EXPECT at
# the first frame that cannot be kept, instead of matching it (index (size_t)-1) and then
# re-matching old frames from the start.
add_test(NAME it.hostile.expect_past_bound
  COMMAND ${PROJECT_SOURCE_DIR}/ci/with-refserver --server ${GP_HOSTILE}
    --server-arg --mode --server-arg flood
    --limit 30 --expect-exit 1 --expect-line "FAIL.*GP-EXPECT"
    --expect-text "could not be kept, so no later frame can be judged to match"
    -- ${GP_BIN} run ${PROJECT_SOURCE_DIR}/fixtures/scenarios/hostile/expect_past_bound.yaml
       --target @URL@ --no-progress)
set_tests_properties(it.hostile.expect_past_bound PROPERTIES LABELS integration TIMEOUT 60
                     ENVIRONMENT "${GP_HOSTILE_ENV}")

# Issue 11, finding 3: 1,500 users each receive one 1,000,000-byte frame. The transcripts'
# bound is 1 GiB for the whole run, so peak RSS stays under 1.2 GB (1.5 GB before: a floor of
# 1 MiB per user overrode the bound above 1,024 users). The frames do not fit the users'
# shares, so they are counted as dropped and fail GP-R7-FRAMES.
# The figure is the plain build's: AddressSanitizer's shadow memory and quarantine would
# measure the sanitizer, not the bound.
if(NOT GP_SANITIZE)
  add_test(NAME it.hostile.memory_bound
    COMMAND ${PROJECT_SOURCE_DIR}/ci/with-refserver --server ${GP_HOSTILE}
      --server-arg --mode --server-arg big_frame
      --limit 240 --expect-exit 1 --expect-line "^peak_kb ([0-9]{1,6}|1[01][0-9]{5})$"
      -- /usr/bin/time -f "peak_kb %M"
         ${GP_BIN} run ${PROJECT_SOURCE_DIR}/fixtures/scenarios/hostile/big_frames.yaml
         --target @URL@ --no-progress --workers 1)
  set_tests_properties(it.hostile.memory_bound PROPERTIES LABELS "integration;slow" TIMEOUT 300
                       ENVIRONMENT "${GP_HOSTILE_ENV}")
endif()
