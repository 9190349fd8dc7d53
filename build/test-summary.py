#!/usr/bin/env python3
"""Prints the one-line test summary, "N passed, N failed" (", N skipped" when any), totalled over every .trx file under
a results directory (default: artifacts/test-results): the unit project's and the functional project's results, one
file each. The per-file counts go to stderr first. Exits 1, printing nothing on stdout, when there are no results.

The build script's Test task and .ci/run both call this, so the line is computed in one place.
"""
import glob
import os
import sys
import xml.etree.ElementTree as ET


def line_of(passed: int, failed: int, skipped: int) -> str:
    line = f"{passed} passed, {failed} failed"
    if skipped:
        line += f", {skipped} skipped"
    return line


def summarize(directory: str) -> str | None:
    passed = failed = skipped = 0
    files = sorted(glob.glob(os.path.join(directory, "**", "*.trx"), recursive=True))
    if not files:
        return None
    for path in files:
        counters = next(e for e in ET.parse(path).iter() if e.tag.endswith("Counters"))

        def get(key: str) -> int:
            return int(counters.get(key, "0"))

        file_passed = get("passed")
        file_failed = get("failed") + get("error") + get("timeout") + get("aborted")
        file_skipped = get("notExecuted") + get("inconclusive")
        print(f"{os.path.relpath(path, directory)}: {line_of(file_passed, file_failed, file_skipped)}", file=sys.stderr)
        passed += file_passed
        failed += file_failed
        skipped += file_skipped
    sys.stderr.flush()
    return line_of(passed, failed, skipped)


def main() -> int:
    directory = sys.argv[1] if len(sys.argv) > 1 else os.path.join("artifacts", "test-results")
    line = summarize(directory)
    if line is None:
        print(f"no test results were produced under {directory}", file=sys.stderr)
        return 1
    print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
