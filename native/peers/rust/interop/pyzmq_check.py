#!/usr/bin/python3
"""Interop check of savant-peer against plain pyzmq sockets (python3-zmq).

1. pyzmq sends the byte vectors of testdata/savant/ (dealer->router, req->rep,
   pub->sub) to `savant-peer reader --dump`; the dumped results must match the
   vectors (kind, seq_id, system_id, extra frame sizes, decode failures, the
   version mismatch) and EOS must be acknowledged with exactly [b"OK"].
2. `savant-peer writer` sends to pyzmq router / rep / sub sockets; the frames are
   checked with an independent decoder (`protoc --decode=protocol.Message`),
   the payload pattern is verified, and pyzmq acknowledges as a Savant reader does.

usage: /usr/bin/python3 pyzmq_check.py PATH/TO/savant-peer   (Debian python3-zmq; exit 0 = all passed)
"""
import json, os, subprocess, sys, tempfile, time, uuid
import zmq

HERE = os.path.dirname(os.path.abspath(__file__))
VEC = os.path.join(HERE, "..", "testdata", "savant")
PROTO_DIR = os.path.join(HERE, "..", "proto")
PEER = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "..", "target", "release", "savant-peer")
TMP = tempfile.mkdtemp(prefix="savant-peer-check-")
SYS = "00000000-0000-4000-8000-000000000000"
failures = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        failures.append(what)


def vec(name):
    with open(os.path.join(VEC, name), "rb") as f:
        return f.read()


def protoc_decode(b):
    r = subprocess.run(["protoc", "--proto_path=" + PROTO_DIR, "--decode=protocol.Message", "savant_rs.proto"],
                       input=b, capture_output=True, timeout=20)
    return r.returncode, r.stdout.decode()


def field(text, name):
    for line in text.splitlines():
        line = line.strip()
        if line.startswith(name + ":"):
            return line.split(":", 1)[1].strip().strip('"')
    return None


def pattern_ok(buf):
    if len(buf) < 16:
        return all(b == (i & 0xff) for i, b in enumerate(buf))
    seq = int.from_bytes(buf[0:8], "little")
    if int.from_bytes(buf[8:16], "little") != len(buf):
        return False
    return all(buf[i] == ((seq * 31 + i) & 0xff) for i in range(16, len(buf)))


# ---------------------------------------------------------------- part 1
SEQUENCE = [  # (topic, vector, extra frames)
    (b"cam-1", "video_frame.bin", [b"\x01\x02\x03", b""]),
    (b"cam-1", "user_data.bin", [b"extra"]),
    (b"cam-1", "video_frame_internal.bin", []),
    (b"cam-1", "shutdown.bin", [b"x"]),
    (b"cam-1", "invalid_no_content.bin", []),
    (b"cam-1", "invalid_video_frame_no_content.bin", []),
    (b"cam-1", "invalid_video_frame_bad_uuid.bin", []),
    (b"cam-1", "invalid_truncated_eos.bin", []),
    (b"old", "eos_version_1_14_0.bin", []),
    (b"old", "user_data.bin", []),  # topic now blacklisted
    (b"cam-1", "eos_labels_context.bin", []),  # EOS: acked, reader stops
]
EXPECT = [
    ("message", "video_frame", 7, [3, 0]),
    ("message", "user_data", 2, [5]),
    ("message", "video_frame", 8, []),
    ("message", "shutdown", 1, [1]),
    ("decode_failed", None, None, None),
    ("decode_failed", None, None, None),
    ("decode_failed", None, None, None),
    ("decode_failed", None, None, None),
    ("version_mismatch", None, None, None),
    ("blacklisted", None, None, None),
    ("message", "end_of_stream", 3, []),
]


def run_reader(url, extra=()):
    return subprocess.Popen([PEER, "reader", "--url", url, "--dump", "--json", "--verify", "none",
                             "--timeout-ms", "5000"] + list(extra), stdout=subprocess.PIPE, text=True)


def check_dump(label, out):
    lines = [json.loads(l) for l in out.splitlines() if l.strip()]
    summary, dumps = lines[-1], lines[:-1]
    check(len(dumps) == len(EXPECT), f"{label}: {len(dumps)} results (want {len(EXPECT)})")
    for d, (res, kind, seq, sizes) in zip(dumps, EXPECT):
        ok = d["result"] == res
        if res == "message":
            ok = ok and d["kind"] == kind and d["seq_id"] == seq and d["system_id"] == SYS \
                and d["protocol_version"] == "1.15.1" and d["extra_sizes"] == sizes and d["topic"] == "cam-1"
        if res == "version_mismatch":
            ok = ok and d["sender_version"] == "1.14.0"
        check(ok, f"{label}: {res} {kind or ''} {seq or ''} -> {json.dumps(d)[:160]}")
    check(summary["eos_received"] and summary["decode_failed"] == 4 and summary["version_mismatch"] == 1
          and summary["blacklisted"] == 1, f"{label}: summary counters")
    return dumps


ctx = zmq.Context()
for wtype, rtype in (("dealer", "router"), ("req", "rep"), ("pub", "sub")):
    ep = f"ipc://{TMP}/p1-{wtype}"
    p = run_reader(f"{rtype}+bind:{ep}")
    s = ctx.socket({"dealer": zmq.DEALER, "req": zmq.REQ, "pub": zmq.PUB}[wtype])
    s.setsockopt(zmq.LINGER, 1000)
    s.setsockopt(zmq.RCVTIMEO, 3000)
    s.connect(ep)
    time.sleep(0.5)  # reader binds; pub also needs the subscription to arrive
    acks = []
    for topic, name, extra in SEQUENCE:
        s.send_multipart([topic, vec(name)] + extra)
        if wtype == "req":
            acks.append(s.recv_multipart())
        elif wtype == "pub":
            time.sleep(0.01)
    if wtype == "dealer":
        acks.append(s.recv_multipart())
    out, _ = p.communicate(timeout=20)
    check_dump(f"pyzmq {wtype} -> savant-peer {rtype}", out)
    if wtype == "dealer":
        check(acks == [[b"OK"]], f"dealer receives exactly [b'OK'] for the EOS: {acks}")
    if wtype == "req":
        check(acks == [[b"OK"]] * len(SEQUENCE), f"req receives [b'OK'] for each of {len(SEQUENCE)} requests (D-7 included)")
    check(p.returncode == 0, f"reader exit code {p.returncode}")
    s.close()

# ---------------------------------------------------------------- part 2
N, SIZE = 5, 10000
for wtype, rtype in (("dealer", "router"), ("req", "rep"), ("pub", "sub")):
    ep = f"ipc://{TMP}/p2-{wtype}"
    r = ctx.socket({"router": zmq.ROUTER, "rep": zmq.REP, "sub": zmq.SUB}[rtype])
    r.setsockopt(zmq.RCVTIMEO, 5000)
    r.setsockopt(zmq.LINGER, 0)
    if rtype == "sub":
        r.setsockopt(zmq.SUBSCRIBE, b"")
    r.bind(ep)
    w = subprocess.Popen([PEER, "writer", "--url", f"{wtype}+connect:{ep}", "--count", str(N), "--size", str(SIZE),
                          "--source", "cam-9", "--eos", "--json", "--verify", "full", "--kind",
                          "user-data" if wtype == "req" else "video"], stdout=subprocess.PIPE, text=True)
    frames_seen, sys_ids, seqs, ok_payload, kinds = [], set(), [], True, []
    while True:
        try:
            f = r.recv_multipart()
        except zmq.Again:
            check(False, f"savant-peer {wtype} -> pyzmq {rtype}: timed out waiting")
            break
        rid, app = (f[0], f[1:]) if rtype == "router" else (None, f)
        frames_seen.append(len(app))
        rc, text = protoc_decode(app[1])
        check(rc == 0 and field(text, "protocol_version") == "1.15.1",
              f"savant-peer {wtype}: frame decodes with protoc, version 1.15.1")
        sys_ids.add(field(text, "system_id"))
        seqs.append(int(field(text, "seq_id") or 0))
        is_eos = "end_of_stream {" in text
        kinds.append("eos" if is_eos else ("video_frame" if "video_frame {" in text else "user_data" if "user_data {" in text else "?"))
        if not is_eos:
            ok_payload = ok_payload and len(app) == 3 and len(app[2]) == SIZE and pattern_ok(app[2]) \
                and int.from_bytes(app[2][0:8], "little") == seqs[-1]
            check(app[0] == b"cam-9", "topic is the source id")
        if rtype == "rep":
            r.send(b"OK")
        if is_eos:
            if rtype == "router":
                r.send_multipart([rid, b"OK"])
            break
    out, _ = w.communicate(timeout=30)
    summary = json.loads(out.strip().splitlines()[-1])
    label = f"savant-peer {wtype} -> pyzmq {rtype}"
    sid = next(iter(sys_ids)) if len(sys_ids) == 1 else None
    check(sid is not None and uuid.UUID(sid).version == 4 and sid == str(uuid.UUID(sid)),
          f"{label}: one lower-case UUIDv4 system_id ({sys_ids})")
    check(seqs == list(range(1, N + 2)), f"{label}: seq ids 1..{N} then EOS {N + 1}: {seqs}")
    check(frames_seen == [3] * N + [2], f"{label}: frame counts {frames_seen}")
    check(ok_payload, f"{label}: payload pattern and header seq match")
    want_ack = wtype != "pub"
    check(summary["eos_acked"] == want_ack and summary["error"] is None and w.returncode == 0,
          f"{label}: writer summary eos_acked={summary['eos_acked']} error={summary['error']} rc={w.returncode}")
    if wtype == "req":
        check(summary["acks"] == N, f"{label}: {summary['acks']} acks for {N} messages")
    r.close()

ctx.term()
print(f"\n{len(failures)} failure(s)")
sys.exit(1 if failures else 0)
