#!/usr/bin/env bash
# Refreshes PublicAPI.Unshipped.txt of every library that tracks its public API (Microsoft.CodeAnalysis.PublicApiAnalyzers,
# set up in build/Shipped.props): rebuilds the libraries, adds the symbols reported as undeclared (RS0016), drops the
# declared ones that no longer exist (RS0017; a symbol listed in PublicAPI.Shipped.txt is marked *REMOVED* in the
# Unshipped file instead), sorts the files and builds again to check that nothing is left.
#   build/update-public-api.sh              all libraries
#   build/update-public-api.sh src/Foo      only the library in that folder
set -euo pipefail
cd "$(dirname "$0")/.."
root="$PWD"

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

if [ $# -gt 0 ]; then
    dirs=("$@")
else
    mapfile -t dirs < <(find . -name PublicAPI.Unshipped.txt -not -path '*/bin/*' -not -path '*/obj/*' \
        -printf '%h\n' | sed 's|^\./||' | sort -u)
fi

projects=()
for dir in "${dirs[@]}"; do
    dir="${dir%/}"
    proj=$(ls "$dir"/*.csproj 2>/dev/null | head -n1 || true)
    if [ -z "$proj" ] || [ ! -f "$dir/PublicAPI.Unshipped.txt" ]; then
        echo "update-public-api: $dir has no project with a PublicAPI.Unshipped.txt" >&2
        exit 2
    fi
    projects+=("$proj")
done

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# One solution filter for the libraries, so each is compiled once.
python3 - "$root" "$work/libs.slnf" "${projects[@]}" <<'PY'
import json, sys
root, out, projects = sys.argv[1], sys.argv[2], sys.argv[3:]
json.dump({"solution": {"path": f"{root}/Savant.Native.sln", "projects": projects}}, open(out, "w"))
PY

build() {
    # A full rebuild reports every diagnostic; warnings stay warnings so that all of them are listed.
    dotnet build "$work/libs.slnf" -c Release --no-incremental -p:TreatWarningsAsErrors=false \
        -consoleLoggerParameters:NoSummary -nologo > "$work/build.log" 2>&1 || true
}

echo "update-public-api: building ${#projects[@]} project(s)"
build

python3 - "$work/build.log" "${projects[@]}" <<'PY'
import os, re, sys
log, projects = sys.argv[1], sys.argv[2:]
added = re.compile(r"(?:warning|error) RS0016: Symbol '(.*)' is not part of the declared public API.*\[(.+?\.csproj)")
removed = re.compile(r"(?:warning|error) RS0017: Symbol '(.*)' is part of the declared (?:public )?API, but is either not public or could not be found.*\[(.+?\.csproj)")
per_project = {os.path.realpath(p): (set(), set()) for p in projects}
for line in open(log, encoding="utf-8", errors="replace"):
    for pattern, index in ((added, 0), (removed, 1)):
        m = pattern.search(line)
        if m and os.path.realpath(m.group(2)) in per_project:
            per_project[os.path.realpath(m.group(2))][index].add(m.group(1))

def read(path):
    return [l.rstrip("\n") for l in open(path, encoding="utf-8")] if os.path.exists(path) else []

for project, (new, gone) in sorted(per_project.items()):
    folder = os.path.dirname(project)
    shipped_path = os.path.join(folder, "PublicAPI.Shipped.txt")
    unshipped_path = os.path.join(folder, "PublicAPI.Unshipped.txt")
    shipped = set(read(shipped_path))
    lines = [l for l in read(unshipped_path) if l.strip() and l.strip() != "#nullable enable"]
    kept = [l for l in lines if l not in gone]
    marked = [f"*REMOVED*{s}" for s in sorted(gone) if s in shipped and f"*REMOVED*{s}" not in kept]
    result = sorted(set(kept) | new | set(marked), key=lambda l: (l.removeprefix("*REMOVED*"), l))
    with open(unshipped_path, "w", encoding="utf-8", newline="\n") as f:
        f.write("#nullable enable\n")
        for l in result:
            f.write(l + "\n")
    name = os.path.relpath(unshipped_path)
    print(f"update-public-api: {name}: {len(new)} added, {len(lines) - len(kept)} removed, {len(marked)} marked removed from shipped")
PY

echo "update-public-api: checking"
build
if grep -E "(warning|error) RS00[0-9]+" "$work/build.log" | sort -u | grep .; then
    echo "update-public-api: the public API diagnostics above are left (not RS0016/RS0017: fix them in code)" >&2
    exit 1
fi
if grep -qE "error [A-Z]+[0-9]+" "$work/build.log"; then
    grep -E "error [A-Z]+[0-9]+" "$work/build.log" | sort -u >&2
    echo "update-public-api: the libraries do not build" >&2
    exit 1
fi
echo "update-public-api: done (review the changes with: git diff -- '*PublicAPI.*.txt')"
