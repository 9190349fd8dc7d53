#!/usr/bin/env bash
# Interleaved A/B of the dealer->router worker pairs (Savant by default; SYSTEMS="savant raw" adds the raw socket pair) between two builds of the bench project (e.g. a base commit
# checked out and built elsewhere, and this checkout), over ipc, at the given sizes. Prints one JSON line per run
# (reader side) with the build label, so that ratios come from runs measured side by side.
#   bench/scripts/ab-savant-pair.sh OLD_BENCH_BINARY NEW_BENCH_BINARY [rounds] [extra reader args for a third row, NEW+args...]
# With extra arguments (e.g. --views pooled) each round also runs NEW with them, labelled "new+args".
set -euo pipefail
old=$1; new=$2; rounds=${3:-3}; shift 3 || true
extra=("$@")
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
count_for() { case $1 in 1024) echo 200000;; 131072) echo 20000;; *) echo 400;; esac; }
run() { # label binary system size [extra...]
  local label=$1 bin=$2 system=$3 size=$4; shift 4
  local ep="ipc://$dir/s.sock" count; count=$(count_for "$size")
  rm -f "$dir/s.sock"
  "$bin" worker --system "$system" --role reader --endpoint "$ep" --size "$size" --count "$count" --json "$@" > "$dir/r.json" &
  local rp=$!
  sleep 0.5
  "$bin" worker --system "$system" --role writer --endpoint "$ep" --size "$size" --count "$count" --json > /dev/null
  wait "$rp"
  python3 -c "import json,sys; d=json.load(open('$dir/r.json')); print(json.dumps({'build':'$label','system':'$system','size':$size,'msgs_per_s':d['msgs_per_s'],'lost':d['lost'],'corrupt':d['corrupt'],'managed_bytes_per_msg':d['managed_bytes_per_msg'],'steady_minor_faults_per_msg':d['steady_minor_faults_per_msg'],'mallopt':d['mallopt']}))"
}
for r in $(seq "$rounds"); do
  for system in ${SYSTEMS:-savant}; do
  for size in ${SIZES:-1024 6220800}; do
    # Alternate which build runs first, so that an order effect (caches, page cache, the other build's exit) falls
    # on both builds equally.
    if (( r % 2 )); then run old "$old" "$system" "$size"; run new "$new" "$system" "$size";
    else run new "$new" "$system" "$size"; run old "$old" "$system" "$size"; fi
    if [ ${#extra[@]} -gt 0 ]; then run "new+args" "$new" "$system" "$size" "${extra[@]}"; fi
  done
  done
done
