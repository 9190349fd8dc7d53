#!/usr/bin/env bash
# Coverage-guided fuzzing with SharpFuzz + AFL++ (Debian afl++).
#
#   bench/fuzz.sh TARGET MINUTES     build, instrument and fuzz one target (stops after MINUTES or 5,000,000 execs)
#   bench/fuzz.sh all MINUTES        every target in turn, then a report in bench/results/<date>-fuzz.md
#   bench/fuzz.sh minimize TARGET    replace fuzz/corpus/TARGET by afl-cmin -e (edge coverage) of it plus the last queue
#                                    (files named by content hash; crash-* reproducers are kept as they are)
#   bench/fuzz.sh report MINUTES     (re)write the report from the last run of each target
#   bench/fuzz.sh list               the targets
#
# Seeds: fuzz/corpus/<target>/ (committed). Output: artifacts/fuzz/out/<target>/ (AFL's queue, crashes, hangs,
# fuzzer_stats). Crashes and hangs are copied to artifacts/fuzz/findings/<target>/; once fixed, commit each reproducer
# as fuzz/corpus/<target>/crash-<what> (Fuzz/CorpusReplayTests replays it in every test run).
# Environment: FUZZ_EXECS (default 5000000), FUZZ_NICE (default 19), FUZZ_TIMEOUT_MS (per input, default 10000),
# FUZZ_SKIP_BUILD=1 reuses the instrumented build.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
ART=$ROOT/artifacts/fuzz
BIN=$ART/bin
EXECS=${FUZZ_EXECS:-5000000}
NICE=${FUZZ_NICE:-19}
TIMEOUT_MS=${FUZZ_TIMEOUT_MS:-10000}
TARGETS=(envelope reader sleap-json sleap-dtype-shape sleap-message config shm-descriptor)

usage() { sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; exit 2; }

build() {
    [[ "${FUZZ_SKIP_BUILD:-0}" == 1 && -f $BIN/.instrumented ]] && return
    command -v afl-fuzz >/dev/null || { echo "afl-fuzz not found: apt-get install afl++" >&2; exit 1; }
    dotnet tool restore >/dev/null
    rm -rf "$BIN"
    dotnet publish fuzz/Savant.Native.Fuzz/Savant.Native.Fuzz.csproj -c Release -o "$BIN" --nologo -v quiet
    # Instrument the library and the protobuf runtime it parses with (coverage of both guides the envelope targets).
    for dll in Savant.Native.Zmq.dll Savant.Native.Transport.dll Savant.Native.Sleap.dll Google.Protobuf.dll; do
        dotnet sharpfuzz "$BIN/$dll" >/dev/null
    done
    touch "$BIN/.instrumented"
}

run() {
    local target=$1 minutes=$2 out=$ART/out/$1
    [[ -d fuzz/corpus/$target ]] || { echo "no corpus fuzz/corpus/$target" >&2; exit 1; }
    rm -rf "$out"
    mkdir -p "$out"
    echo "== $target: up to $minutes min or $EXECS execs (nice $NICE)"
    # SharpFuzz runs the inputs in one .NET process (persistent mode) and speaks AFL's fork-server protocol itself.
    AFL_SKIP_BIN_CHECK=1 AFL_NO_UI=1 AFL_NO_AFFINITY=1 AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 FUZZ_LOG="$out/findings.log" \
        nice -n "$NICE" afl-fuzz -i "fuzz/corpus/$target" -o "$out" -t "$TIMEOUT_MS" -m none \
        -V "$((minutes * 60))" -E "$EXECS" -- dotnet "$BIN/Savant.Native.Fuzz.dll" "$target" > "$out/afl.log" 2>&1 || {
        echo "afl-fuzz failed for $target; tail of $out/afl.log:" >&2
        tail -20 "$out/afl.log" >&2
        return 1
    }
    local findings=$ART/findings/$target
    rm -rf "$findings"
    mkdir -p "$findings"
    find "$out/default/crashes" "$out/default/hangs" -type f -name 'id:*' -exec cp {} "$findings/" \; 2>/dev/null || true
    summary "$target"
}

stat() { grep -E "^$2 +:" "$ART/out/$1/default/fuzzer_stats" | sed 's/^[^:]*: *//'; }

summary() {
    local t=$1
    printf '%-18s execs %-10s execs/s %-8s edges %-12s run %-6s s  crashes %s  hangs %s  corpus %s\n' "$t" \
        "$(stat "$t" execs_done)" "$(stat "$t" execs_per_sec)" "$(stat "$t" edges_found)/$(stat "$t" total_edges)" \
        "$(stat "$t" run_time)" "$(stat "$t" saved_crashes)" "$(stat "$t" saved_hangs)" "$(stat "$t" corpus_count)"
}

report() {
    local minutes=$1 file=bench/results/$(date -u +%Y-%m-%d)-fuzz.md
    mkdir -p bench/results
    {
        echo "# Fuzzing: the last run of each target (written $(date -u '+%Y-%m-%d %H:%M UTC'), budget $minutes min per target)"
        echo
        echo "SharpFuzz $(grep -o 'SharpFuzz" Version="[^"]*' Directory.Packages.props | sed 's/.*"//') + $(afl-fuzz -h 2>&1 | grep -o 'afl-fuzz++[0-9.a-z]*' | head -1), nice -n $NICE, $(nproc) cores (shared); each target up to $minutes min or $EXECS execs."
        echo "Edges: AFL map entries hit by the instrumented Savant.Native.Zmq, .Transport, .Sleap and Google.Protobuf assemblies (of the 65,536-entry map)."
        echo
        echo "| target | started (UTC) | execs | execs/s | edges | run time (s) | crashes | hangs | queue |"
        echo "|---|---|---:|---:|---:|---:|---:|---:|---:|"
        for t in "${TARGETS[@]}"; do
            [[ -f $ART/out/$t/default/fuzzer_stats ]] || { echo "| $t | not run | | | | | | | |"; continue; }
            echo "| $t | $(date -u -d "@$(stat "$t" start_time)" '+%H:%M') | $(stat "$t" execs_done) | $(stat "$t" execs_per_sec) | $(stat "$t" edges_found) | $(stat "$t" run_time) | $(stat "$t" saved_crashes) | $(stat "$t" saved_hangs) | $(stat "$t" corpus_count) |"
        done
    } > "$file"
    echo "report: $file"
}

minimize() {
    local target=$1 corpus=fuzz/corpus/$1 work=$ART/cmin/$1
    rm -rf "$work"
    mkdir -p "$work/in"
    find "$corpus" -type f ! -name 'crash-*' -exec cp {} "$work/in/" \;
    [[ -d $ART/out/$target/default/queue ]] && find "$ART/out/$target/default/queue" -maxdepth 1 -type f -name 'id:*' \
        -exec sh -c 'for f; do cp "$f" "$0/in/q-$(sha1sum "$f" | cut -c1-16)"; done' "$work" {} +
    AFL_SKIP_BIN_CHECK=1 nice -n "$NICE" afl-cmin -e -i "$work/in" -o "$work/out" -t "$TIMEOUT_MS" -m none -- \
        "$(command -v dotnet)" "$BIN/Savant.Native.Fuzz.dll" "$target" > "$work/cmin.log" 2>&1 || { tail -20 "$work/cmin.log" >&2; return 1; }
    find "$corpus" -type f ! -name 'crash-*' -delete
    for f in "$work/out"/*; do cp "$f" "$corpus/cov-$(sha1sum "$f" | cut -c1-16)"; done
    echo "$target: $(find "$work/in" -type f | wc -l) inputs minimized to $(find "$corpus" -type f ! -name 'crash-*' | wc -l) (+ $(find "$corpus" -type f -name 'crash-*' | wc -l) reproducers) in $corpus"
}

case "${1:-}" in
    report)
        [[ $# -eq 2 ]] || usage
        report "$2"
        ;;
    minimize)
        [[ $# -eq 2 ]] || usage
        FUZZ_SKIP_BUILD=1 build
        minimize "$2"
        ;;
    list) printf '%s\n' "${TARGETS[@]}" ;;
    all)
        [[ $# -eq 2 ]] || usage
        build
        for t in "${TARGETS[@]}"; do run "$t" "$2" || true; done
        report "$2"
        ;;
    "" | -h | --help) usage ;;
    *)
        [[ $# -eq 2 ]] || usage
        [[ " ${TARGETS[*]} " == *" $1 "* ]] || { echo "unknown target '$1' (bench/fuzz.sh list)" >&2; exit 2; }
        build
        run "$1" "$2"
        ;;
esac
