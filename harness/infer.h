/* infer.h - writing a first scenario from what one user saw: the protocol profile (type key,
 * wrappers, where the ids sit, the ready frame, aliases, noise), the timestamp format and the
 * message the user sent, read from transcripts (a browser's capture, for now). Pure: no
 * network; the caller loads the transcripts. */
#ifndef GP_INFER_H
#define GP_INFER_H

#include <stdio.h>

#include "transcript.h"

/* Writes to out a complete, commented scenario inferred from the n transcripts ts (borrowed):
 * comments say what was inferred from which frame and what could not be (events never seen).
 * source names where the transcripts came from (for the comments). The scenario authenticates
 * with an HS256 JWT from GOLDENPATH_JWT_SECRET, carried as the capture's URL suggests. Returns
 * 0, or -1 with err set when no transcript holds a received JSON object to infer from. */
int gp_infer_scenario(FILE *out, gp_transcript *const *ts, size_t n, const char *source,
                      gp_err *err);

#endif
