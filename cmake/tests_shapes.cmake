# Load shapes (issue 9) against the reference server, each a few seconds: open-model arrivals
# (count within 5%, spacing within tolerances), Poisson arrivals, max_active's counted dropped
# arrivals, a soak whose every 3rd run is faulted (the right rules fail, iterations named in
# the evidence), stages reaching their targets, stages of rates (counts and the ramp's split
# within tolerances), and --duration. ci/shape-check holds the checks.
set(GP_SHAPE_CHECK ${PROJECT_SOURCE_DIR}/ci/shape-check)
foreach(mode open poisson stages ratestages ratepoisson override)
  gp_it(shape.${mode} 60 --expect-exit 0 --expect-line "^shape-check: ok"
    -- ${GP_SHAPE_CHECK} ${mode} ${GP_BIN} @URL@ ${CMAKE_BINARY_DIR}/it-shape-${mode})
endforeach()
gp_it(shape.max_active_drops 60 --server-arg --think-ms --server-arg 100
  --expect-exit 0 --expect-line "^shape-check: ok"
  -- ${GP_SHAPE_CHECK} cap ${GP_BIN} @URL@ ${CMAKE_BINARY_DIR}/it-shape-cap)
# The HTML report's over-time charts mark the stages and draw the dropped arrivals, and load in
# headless chromium without console errors (a slow server makes max_active drop arrivals).
gp_it(shape.html_stages_drops 120 --server-arg --think-ms --server-arg 100
  --expect-exit 0 --expect-line "^shape-check: ok"
  -- ${GP_SHAPE_CHECK} html ${GP_BIN} @URL@ ${CMAKE_BINARY_DIR}/it-shape-html)
gp_it(shape.soak_fault_every_3 60
  --server-arg --fault --server-arg drop_event --server-arg --fault-every --server-arg 3
  --expect-exit 0 --expect-line "^shape-check: ok"
  -- ${GP_SHAPE_CHECK} soak ${GP_BIN} @URL@ ${CMAKE_BINARY_DIR}/it-shape-soak)
# Load shapes split over processes and shards (issues 7, 8, 9): an open model as 1 process, as
# --workers 2 and as 2 merged shards writes the same 80 arrivals and runs; a soak whose every
# 3rd run is faulted fails the same number of runs with --workers 2 as in one process, with
# iterations named; 2 soak shards merge with their runs and series; max_active split over
# workers and shards counts every arrival as started or dropped; a leaking server's soak
# leak across shards is named by merge. ci/shape-split-check holds the checks.
set(GP_SHAPE_SPLIT_CHECK ${PROJECT_SOURCE_DIR}/ci/shape-split-check)
gp_it(shape.split_open 90 --expect-exit 0 --expect-line "^shape-split-check: ok"
  -- ${GP_SHAPE_SPLIT_CHECK} open ${GP_BIN} @URL@ ${CMAKE_BINARY_DIR}/it-shape-split-open)
gp_it(shape.split_soak_fault_every_3 90
  --server-arg --fault --server-arg drop_event --server-arg --fault-every --server-arg 3
  --expect-exit 0 --expect-line "^shape-split-check: ok"
  -- ${GP_SHAPE_SPLIT_CHECK} soak ${GP_BIN} @URL@ ${CMAKE_BINARY_DIR}/it-shape-split-soak)
gp_it(shape.split_max_active 90 --server-arg --think-ms --server-arg 100
  --expect-exit 0 --expect-line "^shape-split-check: ok"
  -- ${GP_SHAPE_SPLIT_CHECK} cap ${GP_BIN} @URL@ ${CMAKE_BINARY_DIR}/it-shape-split-cap)
gp_it(shape.split_shard_leak 90
  --server-arg --fault --server-arg shared_notifier --server-arg --think-ms --server-arg 20
  --expect-exit 0 --expect-line "^shape-split-check: leak from .* across shards"
  --expect-line "^shape-split-check: ok"
  -- ${GP_SHAPE_SPLIT_CHECK} leak ${GP_BIN} @URL@ ${CMAKE_BINARY_DIR}/it-shape-split-leak)
# The live progress line of a shaped run on a pseudo-terminal shows the stage, the active users
# and the arrival rate; never with CI set or with stderr not a terminal.
gp_it(progress.shape_line 120 --expect-exit 0 --expect-line "^progress-check: ok"
  -- ${PROJECT_SOURCE_DIR}/ci/progress-check ${GP_BIN} @URL@ ${CMAKE_BINARY_DIR}/it-progress)
