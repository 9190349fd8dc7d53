#!/usr/bin/env bash
# Builds the non-.NET programs of native/:
#   native/baseline/build/zmq_baseline            (C11, libzmq via pkg-config)
#   native/peers/rust/target/release/savant-peer  (Rust, offline from Debian crates)
# Usage: native/build-peers.sh [--test] [--skip-deps]
#   --test       also run `cargo test --offline`, a short C baseline smoke run and
#                the pyzmq interop check of savant-peer
#   --skip-deps  do not run install-peer-deps.sh (also: SKIP_DEPS=1)
# Environment: CARGO=/path/to/cargo to force a cargo binary.
# Idempotent; exits non-zero with a message on failure.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
RUN_TESTS=0
SKIP_DEPS="${SKIP_DEPS:-0}"
for a in "$@"; do
    case "$a" in
        --test) RUN_TESTS=1 ;;
        --skip-deps) SKIP_DEPS=1 ;;
        -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
        *) echo "build-peers: unknown argument '$a'" >&2; exit 2 ;;
    esac
done

fail() { echo "build-peers: FAILED: $*" >&2; exit 1; }
log() { echo "build-peers: $*"; }

if [ "$SKIP_DEPS" != 1 ]; then
    "$HERE/install-peer-deps.sh" || fail "dependency installation (native/install-peer-deps.sh)"
    "$HERE/peers/python/install-deps.sh" || fail "Python peer dependencies (native/peers/python/install-deps.sh)"
fi

# ---- C baseline
log "building C baseline: make -C native/baseline"
make -C "$HERE/baseline" || fail "C baseline build (make -C native/baseline)"
BASELINE="$HERE/baseline/build/zmq_baseline"
[ -x "$BASELINE" ] || fail "C baseline binary missing at $BASELINE"

# ---- Rust peer (cargo reads native/peers/rust/.cargo/config.toml only when run inside the crate)
CRATE="$HERE/peers/rust"
candidates=()
[ -n "${CARGO:-}" ] && candidates+=("$CARGO")
command -v cargo >/dev/null 2>&1 && candidates+=("$(command -v cargo)")
[ -x "${CARGO_HOME:-$HOME/.cargo}/bin/cargo" ] && candidates+=("${CARGO_HOME:-$HOME/.cargo}/bin/cargo")
[ -x /usr/bin/cargo ] && candidates+=(/usr/bin/cargo)
[ ${#candidates[@]} -gt 0 ] || fail "no cargo found (run native/install-peer-deps.sh)"

CARGO_OK=""
tried=""
for c in "${candidates[@]}"; do
    case " $tried " in *" $c "*) continue ;; esac
    tried="$tried $c"
    log "building Rust peer with $c ($("$c" --version 2>/dev/null || echo '?')): cargo build --release --offline"
    if (cd "$CRATE" && "$c" build --release --offline); then
        CARGO_OK="$c"
        break
    fi
    log "build with $c failed; trying the next cargo if there is one"
done
[ -n "$CARGO_OK" ] || fail "Rust peer build (cd native/peers/rust && cargo build --release --offline); tried:$tried"
PEER="$CRATE/target/release/savant-peer"
[ -x "$PEER" ] || fail "Rust peer binary missing at $PEER"

if [ "$RUN_TESTS" = 1 ]; then
    log "cargo test --release --offline"
    (cd "$CRATE" && "$CARGO_OK" test --release --offline) || fail "cargo test"
    log "C baseline smoke run (inproc pair, 200 x 64 KiB, full verification)"
    "$BASELINE" --inproc-pair --pattern dealer-router --endpoint inproc://smoke --size 65536 --count 200 \
        --mode zerocopy --verify full --json || fail "C baseline smoke run"
    PY=/usr/bin/python3
    [ -x "$PY" ] || PY=python3
    log "pyzmq interop check of savant-peer"
    "$PY" "$CRATE/interop/pyzmq_check.py" "$PEER" >/tmp/savant-peer-interop.log 2>&1 \
        || { tail -30 /tmp/savant-peer-interop.log >&2; fail "pyzmq interop check (log: /tmp/savant-peer-interop.log)"; }
    tail -1 /tmp/savant-peer-interop.log
fi

log "built:"
echo "$BASELINE"
echo "$PEER"
