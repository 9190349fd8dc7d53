#!/usr/bin/env python3
"""Same-host frames through shared memory vs the socket, in one interleaved run.

Rows per size (6,220,800 B and 24,883,200 B, dealer -> router, payload checked by sampling like
`zmq_baseline --verify sample`):
  c-zerocopy-ipc   native/baseline zmq_baseline --mode zerocopy (raw libzmq C, the two-copy ceiling)
  savant-plain     Savant writer/reader over ipc, payload through the socket (bench shm-worker --transport plain)
  savant-shm       Savant writer/reader with WithSharedMemory (bench shm-worker --transport shm)
  binding-shm      the bare binding: SharedFramePool + TrySendShared + SharedFrameReceiver
  binding-plain    (latency only, 1,024 B) the bare binding over plain ipc: the small-message floor

Throughput runs are unpaced; latency runs are paced (--rate) so that the p50 is one-way latency, not queueing.
Kernel bytes: /proc/<pid>/io rchar+wchar as reported by the workers (they do not count socket send/recv), and the
bytes through the socket system calls (sendto/sendmsg, recvfrom/recvmsg: the payload path) counted with strace in
a short extra run per row.

Usage: bench/scripts/shm-bench.py [--rounds N] [--out results.jsonl] [--latency-only | --strace-only]
Build first: dotnet build bench/Savant.Native.Bench -c Release; make -C native/baseline
"""
import argparse, json, os, re, subprocess, sys, tempfile, time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BENCH = os.path.join(ROOT, "bench/Savant.Native.Bench/bin/Release/net10.0/Savant.Native.Bench")
CBASE = os.path.join(ROOT, "native/baseline/build/zmq_baseline")
SIZES = [6_220_800, 24_883_200]
COUNT = {6_220_800: 400, 24_883_200: 120}
RING = 8


def worker_cmd(row, role, ep, size, count, rate=0):
    if row == "c-zerocopy-ipc":
        cmd = [CBASE, "--role", role, "--pattern", "dealer-router", "--endpoint", ep, "--count", str(count),
               "--timeout-ms", "20000", "--json", "--verify", "sample"]
        if role == "writer":
            cmd += ["--size", str(size), "--mode", "zerocopy", "--ring", str(RING)]
        return cmd
    layer, transport = {"savant-plain": ("savant", "plain"), "savant-shm": ("savant", "shm"),
                        "binding-shm": ("binding", "shm"), "binding-plain": ("binding", "plain")}[row]
    cmd = [BENCH, "shm-worker", "--layer", layer, "--transport", transport, "--role", role, "--endpoint", ep,
           "--size", str(size), "--count", str(count), "--verify", "sample", "--views", "pooled", "--timeout-ms", "20000"]
    if role == "writer":
        cmd += ["--ring", str(RING)]
        if rate:
            cmd += ["--rate", str(rate)]
    return cmd


def last_json(text):
    for line in reversed(text.strip().splitlines()):
        line = line.strip()
        if line.startswith("{"):
            return json.loads(line)
    raise ValueError("no JSON in output: " + text[-500:])


def run(row, size, count, tmp, rate=0, strace=False):
    ep = f"ipc://{tmp}/s.sock"
    if os.path.exists(f"{tmp}/s.sock"):
        os.unlink(f"{tmp}/s.sock")
    rcmd = worker_cmd(row, "reader", ep, size, count)
    wcmd = worker_cmd(row, "writer", ep, size, count, rate)
    if strace:
        rcmd = ["strace", "--seccomp-bpf", "-f", "-qq", "-s", "0", "-o", f"{tmp}/r.trace", "-e",
                "trace=recvfrom,recvmsg,sendto,sendmsg"] + rcmd
        wcmd = ["strace", "--seccomp-bpf", "-f", "-qq", "-s", "0", "-o", f"{tmp}/w.trace", "-e",
                "trace=recvfrom,recvmsg,sendto,sendmsg"] + wcmd
    reader = subprocess.Popen(rcmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(1.0 if not row.startswith("c-") else 0.3)
    writer = subprocess.run(wcmd, capture_output=True, text=True, timeout=300)
    rout, rerr = reader.communicate(timeout=300)
    r, w = last_json(rout), last_json(writer.stdout)
    out = {"row": row, "size": size, "count": count, "rate": rate,
           "msgs_per_s": r["msgs_per_s"], "gb_per_s": r["gb_per_s"], "lost": r["lost"], "corrupt": r["corrupt"],
           "latency_p50_us": r.get("latency_p50_us"), "latency_p99_us": r.get("latency_p99_us"),
           "writer_kernel_io_per_msg": w.get("kernel_bytes_per_msg"), "reader_kernel_io_per_msg": r.get("kernel_bytes_per_msg"),
           "writer_faults_per_msg": w.get("steady_minor_faults_per_msg", w.get("minor_faults_per_msg")),
           "reader_faults_per_msg": r.get("steady_minor_faults_per_msg", r.get("minor_faults_per_msg")),
           "writer_managed_bytes_per_msg": w.get("managed_bytes_per_msg"),
           "reader_managed_bytes_per_msg": r.get("managed_bytes_per_msg"),
           "error": r.get("error") or w.get("error")}
    if strace:
        def total(path):
            n = 0
            for line in open(path):
                m = re.search(r"\b(recvfrom|recvmsg|sendto|sendmsg)\(.*= (\d+)\s*$", line)
                if m:
                    n += int(m.group(2))
            return n
        out["writer_syscall_bytes_per_msg"] = round(total(f"{tmp}/w.trace") / count, 1)
        out["reader_syscall_bytes_per_msg"] = round(total(f"{tmp}/r.trace") / count, 1)
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--out", default=None)
    ap.add_argument("--strace-only", action="store_true", help="only the socket-byte count runs")
    ap.add_argument("--latency-only", action="store_true",
                    help="only the paced latency rows at 6,220,800 B (Savant shm, binding shm) and the 1 KiB floor, per round")
    a = ap.parse_args()
    rows = ["c-zerocopy-ipc", "savant-plain", "savant-shm", "binding-shm"]
    results = []
    sink = open(a.out, "w") if a.out else None

    def emit(res):
        results.append(res)
        line = json.dumps(res)
        print(line, flush=True)
        if sink:
            sink.write(line + "\n")
            sink.flush()

    with tempfile.TemporaryDirectory(prefix="shm-bench.") as tmp:
        if a.latency_only:
            for rnd in range(1, a.rounds + 1):
                for row, size in (("savant-shm", SIZES[0]), ("binding-shm", SIZES[0]), ("binding-plain", 1024)):
                    res = run(row, size, 200, tmp, rate=100)
                    res.update(kind="latency", round=rnd, loadavg=os.getloadavg()[0])
                    emit(res)
            return 0
        for rnd in range(1, 0 if a.strace_only else a.rounds + 1):
            for size in SIZES:
                for row in rows:
                    res = run(row, size, COUNT[size], tmp)
                    res.update(kind="throughput", round=rnd)
                    emit(res)
                for row in rows[1:]:
                    res = run(row, size, 200, tmp, rate=100)
                    res.update(kind="latency", round=rnd)
                    emit(res)
            # The floor any descriptor meets: a 1 KiB message over plain ipc through the binding, paced the same way.
            res = run("binding-plain", 1024, 200, tmp, rate=100)
            res.update(kind="latency", round=rnd)
            emit(res)
        for size in SIZES:
            for row in rows:
                res = run(row, size, 100, tmp, strace=True)
                res.update(kind="strace", round=0)
                emit(res)
    return 0


if __name__ == "__main__":
    sys.exit(main())
