# Results over time (issue 9): a 4 s soak with --interval 1s against the reference server with
# every 3rd run faulted; the series sums to the totals, survives a shard merge with the same
# sums, validates against the schema, and the console table shows for a run over a minute.
gp_it(series.soak_sums_to_totals 120
  --server-arg --fault --server-arg drop_event --server-arg --fault-every --server-arg 3
  --expect-exit 0 --expect-line "^series-check: ok"
  -- ${PROJECT_SOURCE_DIR}/ci/series-check ${GP_BIN} @URL@ ${CMAKE_BINARY_DIR}/it-series)
