#!/usr/bin/env python3
"""Markdown tables from a bench/scripts/shm-bench.py JSON-lines file: per-round throughput with ratios to the same
round's C zero-copy ipc row, paced latency, and per-frame kernel bytes, faults and managed bytes (medians).
Usage: bench/scripts/shm-report.py results.jsonl"""
import json, statistics, sys

rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
SIZES = [6_220_800, 24_883_200]
NAMES = {"c-zerocopy-ipc": "C zero-copy ipc", "savant-plain": "Savant plain ipc", "savant-shm": "Savant shm", "binding-shm": "binding shm"}


def med(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def fmt(v, digits=0):
    if v is None:
        return "—"
    return f"{v:,.{digits}f}"


def pick(kind, size, row, rnd=None):
    return [r for r in rows if r["kind"] == kind and r["size"] == size and r["row"] == row and (rnd is None or r["round"] == rnd)]


rounds = sorted({r["round"] for r in rows if r["kind"] == "throughput"})
print("### Throughput (unpaced), messages/s at the reader\n")
print("| size | round | C zero-copy ipc | Savant plain ipc | Savant shm | shm ÷ C | binding shm | binding ÷ C |")
print("|---|---|---|---|---|---|---|---|")
for size in SIZES:
    ratios = {"savant-shm": [], "binding-shm": []}
    for rnd in rounds:
        g = {row: pick("throughput", size, row, rnd)[0]["msgs_per_s"] for row in NAMES}
        c = g["c-zerocopy-ipc"]
        for k in ratios:
            ratios[k].append(g[k] / c)
        print(f"| {size:,} B | {rnd} | {fmt(c)} | {fmt(g['savant-plain'])} | {fmt(g['savant-shm'])} | {g['savant-shm'] / c:.1f}× | {fmt(g['binding-shm'])} | {g['binding-shm'] / c:.1f}× |")
    m = {row: med([r["msgs_per_s"] for r in pick("throughput", size, row)]) for row in NAMES}
    print(f"| {size:,} B | median | **{fmt(m['c-zerocopy-ipc'])}** | **{fmt(m['savant-plain'])}** | **{fmt(m['savant-shm'])}** | "
          f"**{med(ratios['savant-shm']):.1f}×** | **{fmt(m['binding-shm'])}** | **{med(ratios['binding-shm']):.1f}×** |")
lost = sum(r["lost"] for r in rows)
corrupt = sum(r["corrupt"] for r in rows)
print(f"\nLost: {lost}, corrupt: {corrupt} (all runs).\n")

print("### One-way latency, paced at 100 messages/s (µs)\n")
print("| size | row | p50 per round | p50 median | p99 median |")
print("|---|---|---|---|---|")
for size in SIZES:
    for row in ["savant-plain", "savant-shm", "binding-shm"]:
        rs = sorted(pick("latency", size, row), key=lambda r: r["round"])
        if rs:
            print(f"| {size:,} B | {NAMES[row]} | {' / '.join(fmt(r['latency_p50_us']) for r in rs)} | **{fmt(med([r['latency_p50_us'] for r in rs]))}** | {fmt(med([r['latency_p99_us'] for r in rs]))} |")
rs = sorted(pick("latency", 1024, "binding-plain"), key=lambda r: r["round"])
if rs:
    print(f"| 1,024 B | binding plain ipc (floor) | {' / '.join(fmt(r['latency_p50_us']) for r in rs)} | **{fmt(med([r['latency_p50_us'] for r in rs]))}** | {fmt(med([r['latency_p99_us'] for r in rs]))} |")

print("\n### Per frame: socket bytes (strace), /proc io, minor faults, managed bytes (medians of the throughput rounds)\n")
print("| size | row | socket bytes writer / reader | /proc io writer / reader | minor faults writer / reader | managed B writer / reader |")
print("|---|---|---|---|---|---|")
for size in SIZES:
    for row in NAMES:
        rs = pick("throughput", size, row)
        st = pick("strace", size, row)
        sock = f"{fmt(st[0]['writer_syscall_bytes_per_msg'])} / {fmt(st[0]['reader_syscall_bytes_per_msg'])}" if st else "—"
        f = lambda k, d=1: fmt(med([r[k] for r in rs]), d)
        print(f"| {size:,} B | {NAMES[row]} | {sock} | {f('writer_kernel_io_per_msg')} / {f('reader_kernel_io_per_msg')} | "
              f"{f('writer_faults_per_msg', 2)} / {f('reader_faults_per_msg', 2)} | {f('writer_managed_bytes_per_msg')} / {f('reader_managed_bytes_per_msg')} |")
