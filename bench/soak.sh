#!/usr/bin/env bash
# Soak test (not part of CI): a dealer writer and a router reader stream checksummed 1 MiB frames at full rate for
# 10 minutes (default), the writer reconnecting every 30 s; RSS, file descriptors, threads, managed heap and the
# library's native counters are sampled every 10 s and the run ends with a FLAT or LEAKING verdict.
#   bench/soak.sh                      # 10 minutes
#   bench/soak.sh --minutes 2          # a short proof run
#   bench/soak.sh --transport tcp --size 6220800
# Exit code: 0 flat, 3 leaking, 1 failure (corruption or a stuck writer).
set -euo pipefail
cd "$(dirname "$0")/.."
dotnet build src/Savant.Native.Cli -c Release -nologo -v quiet >/dev/null
exec dotnet src/Savant.Native.Cli/bin/Release/net10.0/savant-zmq.dll soak "$@"
