#!/usr/bin/env bash
# Installs what the native peers need to build (C baseline, Rust Savant peer) and
# to run their interop check, from Debian packages only (no crates.io access needed):
#   build-essential libzmq3-dev pkg-config protobuf-compiler python3-zmq iproute2 (multi-host tests)
#   librust-zmq-dev librust-prost-dev librust-prost-build-dev librust-libc-dev
#   cargo (+ rustc) only when no cargo is found (e.g. a rustup toolchain counts).
# Idempotent: installs only what is missing; runs apt-get update only then.
# Non-interactive (DEBIAN_FRONTEND=noninteractive); as root, or via `sudo -n`.
# Recommends are installed on purpose: several librust-*-dev packages pull the
# crate-feature packages that cargo needs through Recommends.
# On a system without apt it prints the commands to run and exits 1.
set -euo pipefail

SYSTEM_PKGS=(build-essential libzmq3-dev pkg-config protobuf-compiler python3-zmq iproute2)
RUST_CRATE_PKGS=(librust-zmq-dev librust-prost-dev librust-prost-build-dev librust-libc-dev)

log() { echo "install-peer-deps: $*"; }

want=("${SYSTEM_PKGS[@]}" "${RUST_CRATE_PKGS[@]}")
if ! command -v cargo >/dev/null 2>&1 && [ ! -x "${CARGO_HOME:-$HOME/.cargo}/bin/cargo" ]; then
    want+=(cargo rustc)
fi

if ! command -v apt-get >/dev/null 2>&1 || ! command -v dpkg-query >/dev/null 2>&1; then
    log "this is not a Debian/apt system; install the equivalents of these Debian 12 packages:"
    echo "  sudo apt-get update"
    echo "  sudo DEBIAN_FRONTEND=noninteractive apt-get install -y ${want[*]}"
    log "the Rust peer builds offline from Debian's crate sources in /usr/share/cargo/registry"
    log "(see native/peers/rust/.cargo/config.toml); elsewhere, vendor zmq 0.9, prost 0.11, prost-build 0.11, libc 0.2."
    exit 1
fi

missing=()
for p in "${want[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$p")
    fi
done

if [ ${#missing[@]} -eq 0 ]; then
    log "all packages present: ${want[*]}"
    exit 0
fi

SUDO=()
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
        SUDO=(sudo -n)
    else
        log "missing packages: ${missing[*]}"
        log "not root and no password-less sudo; run:"
        echo "  sudo apt-get update"
        echo "  sudo DEBIAN_FRONTEND=noninteractive apt-get install -y ${missing[*]}"
        exit 1
    fi
fi

export DEBIAN_FRONTEND=noninteractive
log "missing packages: ${missing[*]}"
log "running: ${SUDO[*]} apt-get update"
"${SUDO[@]}" apt-get update -q
log "running: ${SUDO[*]} apt-get install -y ${missing[*]}"
"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
    -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold "${missing[@]}"
log "done"
