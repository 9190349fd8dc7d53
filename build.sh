#!/usr/bin/env bash
# Entry point: restores the local dotnet tools (Cake) and runs build.cake with the given arguments.
#   ./build.sh                     same as --target=Demo (installs libzmq if needed, builds, runs the demo)
#   ./build.sh --target=Test       installs what the tests need, builds and runs every test
#   ./build.sh --target=Bench      side-by-side throughput harness (long; not part of CI)
set -euo pipefail
cd "$(dirname "$0")"

if ! command -v dotnet >/dev/null 2>&1; then
  echo "build.sh: the .NET 10 SDK is required (https://dotnet.microsoft.com/download); 'dotnet' is not on PATH." >&2
  exit 1
fi

export DOTNET_CLI_TELEMETRY_OPTOUT=1
export DOTNET_NOLOGO=1
export DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

dotnet tool restore >/dev/null
exec dotnet tool run dotnet-cake build.cake "$@"
