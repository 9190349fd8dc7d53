#!/usr/bin/env bash
# Finds libzmq 4.x (libzmq.so.5); installs it with the system package manager when it is missing.
# Idempotent: prints what it found or did. Exit codes: 0 ok, 1 could not install (prints the command to run).
set -euo pipefail

log() { printf 'install-libzmq: %s\n' "$*"; }

find_libzmq() {
  if command -v ldconfig >/dev/null 2>&1; then
    local hit
    hit="$(ldconfig -p 2>/dev/null | awk '/libzmq\.so\.5 /{print $NF; exit}')"
    [ -n "$hit" ] && { echo "$hit"; return; }
  fi
  for d in /usr/lib/x86_64-linux-gnu /usr/lib/aarch64-linux-gnu /usr/lib64 /usr/lib /usr/local/lib /opt/homebrew/lib; do
    for f in "$d/libzmq.so.5" "$d/libzmq.5.dylib"; do
      [ -e "$f" ] && { echo "$f"; return; }
    done
  done
}

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"
  elif command -v sudo >/dev/null 2>&1; then sudo "$@"
  else log "need root to run: $*"; return 1
  fi
}

found="$(find_libzmq || true)"
if [ -n "$found" ]; then
  log "libzmq found at $found (nothing to do)"
  exit 0
fi

if command -v apt-get >/dev/null 2>&1; then
  log "libzmq missing; installing Debian/Ubuntu package libzmq5 with apt-get"
  export DEBIAN_FRONTEND=noninteractive
  as_root apt-get update -qq || true
  as_root apt-get install -y -qq libzmq5
elif command -v dnf >/dev/null 2>&1; then
  log "libzmq missing; installing zeromq with dnf"
  as_root dnf install -y zeromq
elif command -v yum >/dev/null 2>&1; then
  log "libzmq missing; installing zeromq with yum"
  as_root yum install -y zeromq
elif command -v apk >/dev/null 2>&1; then
  log "libzmq missing; installing zeromq with apk"
  as_root apk add --no-cache zeromq
elif command -v pacman >/dev/null 2>&1; then
  log "libzmq missing; installing zeromq with pacman"
  as_root pacman -S --noconfirm zeromq
elif command -v brew >/dev/null 2>&1; then
  log "libzmq missing; installing zeromq with Homebrew"
  brew install zeromq
else
  log "no supported package manager found. Install libzmq 4.x yourself, e.g.:"
  log "  Debian/Ubuntu: sudo apt-get install libzmq5"
  log "  Fedora/RHEL:   sudo dnf install zeromq"
  log "  Alpine:        apk add zeromq"
  log "  macOS:         brew install zeromq"
  log "or point SAVANT_NATIVE_LIBZMQ at a libzmq library file."
  exit 1
fi

found="$(find_libzmq || true)"
if [ -z "$found" ]; then
  log "the package was installed but libzmq.so.5 is still not found; set SAVANT_NATIVE_LIBZMQ to its path"
  exit 1
fi
log "installed libzmq at $found"
