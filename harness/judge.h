/* judge.h - the golden-path rules over transcripts. Pure: takes transcripts and the scenario,
 * returns results; never touches the network, so a recorded transcript can be judged offline. */
#ifndef GP_JUDGE_H
#define GP_JUDGE_H

#include "health.h"
#include "results.h"
#include "scenario.h"
#include "transcript.h"

/* Judges every user's transcript and the isolation registry across users.
 * scenario supplies the steps (markers in the transcripts carry step ids), the timeouts and
 * the profile. health (borrowed, may be NULL) holds the windows in which the harness itself
 * stalled: a timing verdict (a connect, run, gap or expect wait that ran out) whose wait
 * overlaps one is recorded as inconclusive rather than failed, because a late harness, not
 * the server, may have missed the deadline; order, isolation and field rules are judged as
 * always. Returns new results (free with gp_results_free); never NULL. */
gp_results *gp_judge_run_health(const gp_scenario *scenario, gp_transcript *const *ts, size_t n,
                                const gp_health *health);
/* gp_judge_run_health for one shard of a run over shards processes or machines (0: not
 * sharded): when shards > 0 the results also carry the shard's isolation digest
 * (results->iso, isolation.h) from which merge re-judges isolation across all shards; when
 * shards > 1, a run event that names none of the user's own runs or threads but an id no user
 * of this shard owns is held out of its run (as a leak is in one process) and left to merge;
 * a user that held events of 1 to GP_ISO_MAX_HELD identities also gets its verdicts with each
 * subset of them judged inside the run ("alt"), for merge to apply when nobody owns them. */
gp_results *gp_judge_run_shard(const gp_scenario *scenario, gp_transcript *const *ts, size_t n,
                               const gp_health *health, unsigned shards);
/* gp_judge_run_health without health: every timing verdict stands. */
gp_results *gp_judge_run(const gp_scenario *scenario, gp_transcript *const *ts, size_t n);

#endif
