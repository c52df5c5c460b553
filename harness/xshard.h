/* xshard.h - putting the shards of one run back together: checks that a set of JSON reports is
 * exactly the shards of one run (each index once, one count, one run size), re-judges
 * GP-R6-ISOLATION across shards from their isolation digests (a leak between users that ran on
 * different machines, which no shard alone could attribute), and builds the per-shard table.
 * merge.c does the rest of the merging; this file never reads transcripts or the network. */
#ifndef GP_XSHARD_H
#define GP_XSHARD_H

#include "report_read.h"
#include "shard.h"

/* Sorts out docs (n reports, paths naming them in messages). Returns 0 when no report is a
 * shard's (a plain merge of parts), 1 when they are the shards of one run, with order[k] the
 * doc holding shard k (order has room for n), or -1 with err (GP_EXIT_USAGE) naming the
 * trouble: a shard report among plain ones, mixed shard counts, different run sizes, a
 * duplicate shard ("shard 2/8 twice: a.json and b.json") or a missing one ("shard 5/8
 * missing"). */
int gp_xshard_order(gp_report_doc **docs, const char *const *paths, size_t n, size_t *order,
                    gp_err *err);

/* Re-judges isolation across the n shards of one run: res holds the merged results in global
 * user index order (a soak's iterations in order, an open model's dropped arrivals absent) and
 * digest[g] the isolation digest of res->users[g] (NULL when missing); user (run) g ran in shard
 * res->users[g].index % n. Every run that received an event of a run, thread or user id owned
 * by another user's run, or a frame with another user's nonce, fails GP-R6-ISOLATION in res
 * (rule counts, user verdict and cause adjusted; the received text names both users and their
 * shards). Hash maps over all users' ids: linear in the digests' size. Every leak between users
 * of different shards is also counted in leaks (zeroed first; clean up with
 * gp_shard_leaks_cleanup), whether or not the user had failed the rule in its own shard
 * already. Returns the number of users newly failed. */
size_t gp_xshard_judge(gp_results *res, json_t **digest, size_t n, gp_shard_leaks *leaks);

/* A shard's judge holds out of a user's run an event whose ids no user of the shard owns, and
 * for a user that held 1 to 3 such identities its digest du carries "alt": the user's verdict
 * for each subset of them judged inside the run (isolation.h, GP_ISO_MAX_HELD). Given the bits
 * (in the order of du's held "unattributed" entries) of the identities nobody in any shard
 * owns, returns the verdict one process would reach (borrowed), or NULL when there is none to
 * apply: nobody == 0 (every held identity is another user's: the shard's verdict stands), or
 * du has no alternatives (beyond the limit, or an older shard). */
json_t *gp_xshard_alt(json_t *du, unsigned nobody);
/* Replaces user g's verdict in res (users in global index order) by alt, taking out the
 * shard's own (du's "alt"[0]): rule counts and examples, causes, runs passed, the user's
 * rules, cause and runs completed, and du's "runs" and "leak_outside" (for the leaks merge
 * adds afterwards). */
void gp_xshard_apply_alt(gp_results *res, size_t g, json_t *du, json_t *alt);

/* The per-shard table of scenario si (rows[k] for shard k; rows has room for n), with the
 * users and passed users counted from the merged res. */
void gp_xshard_rows(gp_shard_row *rows, const gp_results *res, gp_report_doc **docs,
                    const size_t *order, size_t n, size_t si);

#endif
