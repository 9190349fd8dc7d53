#!/usr/bin/env bash
# Short sample runs of the native programs (a few seconds each) on this machine.
# Prints one table row per run (reader-side figures; writer faults alongside).
# Usage: native/quick-bench.sh [COUNT_6MB]   (default 200 messages of 6,220,800 B)
# Build first: native/build-peers.sh
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
B="$HERE/baseline/build/zmq_baseline"
P="$HERE/peers/rust/target/release/savant-peer"
N="${1:-200}"
SIZE=6220800
TMP="$(mktemp -d /tmp/native-bench.XXXXXX)"
trap 'rm -rf "$TMP"' EXIT
[ -x "$B" ] && [ -x "$P" ] || { echo "quick-bench: build first (native/build-peers.sh)" >&2; exit 1; }

row() { # label reader.json writer.json
    /usr/bin/python3 - "$@" <<'PY'
import json, sys
label, rf, wf = sys.argv[1:4]
r = json.loads(open(rf).read().strip().splitlines()[-1])
w = json.loads(open(wf).read().strip().splitlines()[-1])
print(f"{label:<52} {r['messages']:>7} {r['msgs_per_s']:>10.1f} {r['gb_per_s']:>7.3f} "
      f"{w['minor_faults_per_msg']:>9.2f} {r['minor_faults_per_msg']:>9.2f} {r['lost']:>5} {r['corrupt']:>5}")
PY
}

c_run() { # label pattern endpoint size count mode [env...]
    local label="$1" pat="$2" ep="$3" size="$4" count="$5" mode="$6"; shift 6
    env "$@" "$B" --role reader --pattern "$pat" --endpoint "$ep" --count "$count" --timeout-ms 10000 --json >"$TMP/r.json" &
    local rp=$!
    sleep 0.3
    env "$@" "$B" --role writer --pattern "$pat" --endpoint "$ep" --size "$size" --count "$count" --mode "$mode" --json >"$TMP/w.json" || true
    wait "$rp" || true
    row "$label" "$TMP/r.json" "$TMP/w.json"
}

rust_run() { # label wtype rtype endpoint size count
    local label="$1" wt="$2" rt="$3" ep="$4" size="$5" count="$6"
    "$P" reader --url "$rt+bind:$ep" --count "$count" --timeout-ms 10000 --json >"$TMP/r.json" &
    local rp=$!
    sleep 0.3
    "$P" writer --url "$wt+connect:$ep" --size "$size" --count "$count" --eos --json >"$TMP/w.json" || true
    wait "$rp" || true
    row "$label" "$TMP/r.json" "$TMP/w.json"
}

printf "%-52s %7s %10s %7s %9s %9s %5s %5s\n" "run (reader side)" "msgs" "msg/s" "GB/s" "w flt/msg" "r flt/msg" "lost" "corr"
c_run "C dealer->router ipc 6220800 copy" dealer-router "ipc://$TMP/a" $SIZE "$N" copy
c_run "C dealer->router ipc 6220800 zerocopy ring 8" dealer-router "ipc://$TMP/b" $SIZE "$N" zerocopy
c_run "C dealer->router tcp 6220800 copy" dealer-router "tcp://127.0.0.1:47811" $SIZE "$N" copy
c_run "C dealer->router tcp 6220800 zerocopy ring 8" dealer-router "tcp://127.0.0.1:47812" $SIZE "$N" zerocopy
c_run "C dealer->router ipc 6220800 copy MMAP_THRESHOLD=64M" dealer-router "ipc://$TMP/c" $SIZE "$N" copy \
    MALLOC_MMAP_THRESHOLD_=67108864 MALLOC_TRIM_THRESHOLD_=268435456
c_run "C dealer->router ipc 1024 copy" dealer-router "ipc://$TMP/d" 1024 100000 copy
c_run "C dealer->router ipc 1024 zerocopy ring 8" dealer-router "ipc://$TMP/e" 1024 100000 zerocopy
rust_run "savant-peer dealer->router ipc 6220800" dealer router "ipc://$TMP/f" $SIZE "$N"
rust_run "savant-peer req->rep ipc 6220800" req rep "ipc://$TMP/g" $SIZE "$N"
rust_run "savant-peer dealer->router ipc 1024" dealer router "ipc://$TMP/h" 1024 20000
