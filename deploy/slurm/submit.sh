#!/bin/bash
# deploy/slurm/submit.sh - runs a scenario as SHARDS Slurm array tasks and merges them.
#
# usage: deploy/slurm/submit.sh SHARDS SCENARIO TARGET USERS OUTDIR
# Needs GOLDENPATH_JWT_SECRET in the environment (passed to the jobs, never on a command line)
# and goldenpath on the nodes' PATH (or GOLDENPATH=/path/to/goldenpath). Prints the two job ids.
set -euo pipefail
[ $# -eq 5 ] || { sed -n '2,7p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
shards=$1 scenario=$2 target=$3 users=$4 out=$5
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$out"
out=$(cd "$out" && pwd)
# Every task waits for this moment, so tasks that start apart still ramp up together.
start_at=$(date -u -d "+${GOLDENPATH_START_DELAY:-60} seconds" +%Y-%m-%dT%H:%M:%SZ)
export SCENARIO=$scenario TARGET=$target USERS=$users START_AT=$start_at OUT=$out
array=$(sbatch --parsable --array=0-$((shards - 1)) --chdir="$out" --export=ALL \
    "$here/goldenpath-shard.sbatch")
merge=$(sbatch --parsable --dependency=afterany:"$array" --chdir="$out" --export=ALL \
    "$here/goldenpath-merge.sbatch")
echo "shards: job $array (tasks 0-$((shards - 1))), merge: job $merge"
