/* judge.h - the golden-path rules over transcripts. Pure: takes transcripts and the scenario,
 * returns results; never touches the network, so a recorded transcript can be judged offline. */
#ifndef GP_JUDGE_H
#define GP_JUDGE_H

#include "results.h"
#include "scenario.h"
#include "transcript.h"

/* Judges every user's transcript and the isolation registry across users.
 * scenario supplies the steps (markers in the transcripts carry step ids), the timeouts and
 * the profile. Returns new results (free with gp_results_free); never NULL. */
gp_results *gp_judge_run(const gp_scenario *scenario, gp_transcript *const *ts, size_t n);

#endif
