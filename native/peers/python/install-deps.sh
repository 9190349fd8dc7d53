#!/bin/sh
# Installs what sleap_peer.py needs: Debian's python3, python3-zmq and python3-numpy.
# Idempotent and non-interactive: does nothing when both modules already import with /usr/bin/python3.
set -eu

PY=/usr/bin/python3
missing=""
if [ ! -x "$PY" ]; then
    missing="python3 python3-zmq python3-numpy"
else
    "$PY" -c "import zmq" 2>/dev/null || missing="$missing python3-zmq"
    "$PY" -c "import numpy" 2>/dev/null || missing="$missing python3-numpy"
fi

if [ -z "$missing" ]; then
    echo "python3-zmq and python3-numpy are already installed."
    exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    SUDO="sudo"
fi

export DEBIAN_FRONTEND=noninteractive
echo "Installing:$missing"
$SUDO apt-get update -q
# shellcheck disable=SC2086
$SUDO apt-get install -y -q --no-install-recommends $missing
"$PY" -c "import zmq, numpy; print('pyzmq', zmq.__version__, 'libzmq', zmq.zmq_version(), 'numpy', numpy.__version__)"
