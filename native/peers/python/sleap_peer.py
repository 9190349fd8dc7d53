#!/usr/bin/python3
"""A SLEAP messaging peer: the protocol of SLEAP's ``sleap.message`` module, written from the project's spec
(``sleap-messaging.md``), on Debian's python3-zmq and python3-numpy.

Wire format (spec section 2): a dictionary message is one frame holding ``json.dumps(dict)``; an array message is
the header dict with ``dtype`` (``str(A.dtype)``) and ``shape`` (``A.shape``) added, sent with SNDMORE, followed by
the raw array bytes. PUB connects, SUB binds and subscribes to everything. The paired classes add the handshake
(``{"type": "handshake request"}`` / ``{"type": "handshake reply"}``).

Command line (one JSON object per line on stdout, final line a summary)::

    sleap_peer.py send --address ADDR --count N --shape 1080,1920,3 --dtype uint8 [--paired --reply-address ADDR]
                       [--rate MSGS_PER_S] [--lead-in-ms MS]
    sleap_peer.py recv --address ADDR --max N --json [--paired --reply-address ADDR]

Paced sending (``--rate``) follows an absolute schedule (message i is due i/rate seconds after the start; a sender that
fell behind catches up without sleeping). ``--lead-in-ms`` first sends uncounted warm-up messages for that long, at the
same rate, with ``warmup_id`` in the header instead of ``message_id``: receivers skip them, so counting starts with
the subscription in place and both sides running. The receiver reports where messages went missing (before the
first one it got, in gaps during the run, after the last one) and the longest pause between two messages.

Run ``sleap_peer.py send --help`` / ``recv --help`` for all options.
"""

import argparse
import base64
import hashlib
import json
import sys
import time

import numpy as np
import zmq

DEFAULT_ADDRESS = "tcp://127.0.0.1:9001"
HANDSHAKE_REQUEST = "handshake request"
HANDSHAKE_REPLY = "handshake reply"


# --------------------------------------------------------------------------- protocol


class Sender:
    """PUB socket that connects to ``address``; sends dicts and arrays as SLEAP does."""

    def __init__(self, address=DEFAULT_ADDRESS, context=None, socket_type=zmq.PUB):
        self.address = address
        self.owns_context = context is None
        self.context = context if context is not None else zmq.Context()
        self.socket_type = socket_type
        self.socket = None

    def setup(self):
        if self.socket is None:
            self.socket = self.context.socket(self.socket_type)
            self.socket.connect(self.address)

    def send_dict(self, data):
        self.setup()
        self.socket.send_json(data)

    def send_array(self, header_data, array):
        """Like SLEAP: writes dtype and shape into the caller's dict, then header frame + raw array frame."""
        self.setup()
        header_data["dtype"] = str(array.dtype)
        header_data["shape"] = array.shape
        self.socket.send_json(header_data, zmq.SNDMORE)
        self.socket.send(array, copy=False)

    def wait_for_subscriber(self, timeout_s):
        """Only for an XPUB socket: block until a subscription arrives (the wire to the SUB is the same as PUB)."""
        self.setup()
        if self.socket_type != zmq.XPUB:
            return True
        poller = zmq.Poller()
        poller.register(self.socket, zmq.POLLIN)
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if poller.poll(50):
                frame = self.socket.recv()
                if frame[:1] == b"\x01":
                    return True
        return False

    def close(self, linger_ms=0):
        if self.socket is not None:
            self.socket.setsockopt(zmq.LINGER, linger_ms)
            self.socket.close()
            self.socket = None
        if self.owns_context:
            self.context.term()


class Receiver:
    """SUB socket that binds ``address`` lazily, subscribes to everything; SLEAP's check/push-back semantics."""

    def __init__(self, address=DEFAULT_ADDRESS, context=None):
        self.address = address
        self.owns_context = context is None
        self.context = context if context is not None else zmq.Context()
        self.socket = None
        self.poller = None
        self.queue = []

    def setup(self):
        if self.socket is None:
            self.socket = self.context.socket(zmq.SUB)
            self.socket.setsockopt(zmq.SUBSCRIBE, b"")
            self.socket.bind(self.address)
            self.poller = zmq.Poller()
            self.poller.register(self.socket, zmq.POLLIN)

    @property
    def endpoint(self):
        self.setup()
        return self.socket.getsockopt_string(zmq.LAST_ENDPOINT)

    def _recv(self):
        raw = self.socket.recv()
        message = json.loads(raw.decode("utf8"))  # what pyzmq's recv_json does
        if isinstance(message, dict):
            # The header frame's bytes as they arrived (this peer reports them; SLEAP keeps only the decoded dict).
            message[RAW_HEADER] = raw
        if isinstance(message, dict) and "dtype" in message and "shape" in message:
            frame = self.socket.recv(copy=False)
            message["ndarray"] = np.frombuffer(frame.buffer, dtype=message["dtype"]).reshape(message["shape"])
        return message

    def check_message(self, timeout=10, fresh=False):
        if self.queue and not fresh:
            return self.queue.pop(0)
        self.setup()
        if self.poller.poll(timeout):
            return self._recv()
        return None

    def check_messages(self, timeout=10, times_to_check=10):
        messages = []
        while True:
            message = self.check_message(timeout)
            if message is None:
                return messages
            messages.append(message)
            if times_to_check <= 0:
                return messages
            times_to_check -= 1

    def push_back_message(self, message):
        self.queue.append(message)

    def close(self):
        if self.socket is not None:
            self.socket.setsockopt(zmq.LINGER, 0)
            self.socket.close()
            self.socket = None
        if self.owns_context:
            self.context.term()


def _is_type(message, wanted):
    return bool(message) and isinstance(message, dict) and message.get("type") == wanted


class PairedParticipant:
    def __init__(self, sender_address, receiver_address, context=None):
        self.sender_address = sender_address
        self.receiver_address = receiver_address
        self.context = context
        self.sender = None
        self.receiver = None
        self.connected = False

    @classmethod
    def from_tcp_ports(cls, send_port, rec_port):
        return cls("tcp://127.0.0.1:%d" % send_port, "tcp://127.0.0.1:%d" % rec_port)

    def setup(self):
        self.sender = Sender(self.sender_address, self.context)
        self.receiver = Receiver(self.receiver_address, self.context)
        self.sender.setup()
        self.receiver.setup()

    def close(self, linger_ms=0):
        if self.sender is not None:
            self.sender.close(linger_ms)
        if self.receiver is not None:
            self.receiver.close()
        self.sender = self.receiver = None


class PairedSender(PairedParticipant):
    @classmethod
    def from_defaults(cls):
        return cls.from_tcp_ports(9001, 9002)

    def send_handshake(self, timeout_sec=30):
        deadline = time.monotonic() + timeout_sec
        while time.monotonic() < deadline:
            self.sender.send_dict({"type": HANDSHAKE_REQUEST})
            reply = self.receiver.check_message()
            if _is_type(reply, HANDSHAKE_REPLY):
                return True
            time.sleep(0.1)
        return False

    def send_dict(self, data):
        self.sender.send_dict(data)

    def send_array(self, header_data, array):
        self.sender.send_array(header_data, array)


class PairedReceiver(PairedParticipant):
    @classmethod
    def from_defaults(cls):
        return cls.from_tcp_ports(9002, 9001)

    def receive_handshake(self, timeout_sec=30):
        deadline = time.monotonic() + timeout_sec
        while time.monotonic() < deadline and not self.connected:
            message = self.receiver.check_message(fresh=True)
            if message is None:
                continue
            if _is_type(message, HANDSHAKE_REQUEST):
                self.sender.send_dict({"type": HANDSHAKE_REPLY})
                self.connected = True
                return True
            self.receiver.push_back_message(message)
            return True
        return False

    def check_messages(self, ack_handshakes=True, *args, **kwargs):
        messages = self.receiver.check_messages(*args, **kwargs)
        if ack_handshakes:
            kept = [m for m in messages if not _is_type(m, HANDSHAKE_REQUEST)]
            if len(kept) != len(messages):
                self.sender.send_dict({"type": HANDSHAKE_REPLY})
                self.connected = True
            messages = kept
        return messages


# --------------------------------------------------------------------------- test data and reporting


def parse_shape(text):
    text = text.strip()
    if text in ("", "()", "[]", "scalar"):
        return ()
    return tuple(int(part) for part in text.split(","))


def base_array(shape, dtype):
    """Element k holds k % 251 (cast to dtype); message i then sets element 0 to i (see make_array)."""
    count = int(np.prod(shape, dtype=np.int64)) if shape else 1
    return (np.arange(count, dtype=np.int64) % 251).astype(dtype).reshape(shape)


def make_array(base, index):
    array = base.copy()  # a fresh buffer per message: a zero-copy send must not see later writes
    if array.size:
        array.reshape(-1)[0] = index % 251
    return array


RAW_HEADER = "__raw_header__"


def wire_json(obj):
    """The bytes pyzmq's send_json puts on the wire for obj (zmq.utils.jsonapi.dumps)."""
    return zmq.utils.jsonapi.dumps(obj)


def b64(data):
    return base64.b64encode(bytes(data)).decode("ascii")


def checksum(buffer):
    return hashlib.sha256(buffer).hexdigest()


def emit(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def describe(index, message):
    """One output line for a received message (the header without the ndarray, and the array's dtype/shape/checksum)."""
    header = {k: v for k, v in message.items() if k not in ("ndarray", RAW_HEADER)} if isinstance(message, dict) else message
    line = {"index": index, "header": header}
    if isinstance(message, dict) and RAW_HEADER in message:
        # The raw header bytes received, and the bytes Python itself sends for the header it decoded from them.
        line["header_raw_b64"] = b64(message[RAW_HEADER])
        line["header_python_b64"] = b64(wire_json(header))
    array = message.get("ndarray") if isinstance(message, dict) else None
    if array is not None:
        line["dtype"] = str(array.dtype)
        line["shape"] = list(array.shape)
        line["nbytes"] = int(array.nbytes)
        line["sha256"] = checksum(np.ascontiguousarray(array).view(np.uint8).reshape(-1).data if array.size else b"")
    return line


class Pacer:
    """Absolute schedule: message i is due i / rate seconds after start (rate 0: no pacing)."""

    def __init__(self, rate):
        self.rate = rate
        self.start = time.perf_counter()

    def wait(self, index):
        if self.rate <= 0:
            return
        delay = self.start + index / self.rate - time.perf_counter()
        if delay > 0:
            time.sleep(delay)


class LossTracker:
    """Where a PUB/SUB receiver lost messages, from the message_id values it saw (same fields as the C# worker)."""

    MAX_GAPS = 32

    def __init__(self):
        self.created = time.perf_counter()
        self.first = self.last = -1
        self.first_at = self.last_at = None
        self.lost_mid = 0
        self.gap_count = 0
        self.gaps = []
        self.max_pause = 0.0
        self.max_pause_after = -1

    def seen(self, message_id):
        now = time.perf_counter()
        if self.first < 0:
            self.first = self.last = message_id
            self.first_at = self.last_at = now
            return
        pause = now - self.last_at
        if pause > self.max_pause:
            self.max_pause, self.max_pause_after = pause, self.last
        self.last_at = now
        if message_id > self.last + 1:
            missing = message_id - self.last - 1
            self.lost_mid += missing
            self.gap_count += 1
            if len(self.gaps) < self.MAX_GAPS:
                self.gaps.append({"after_id": self.last, "missing": missing,
                                  "at_ms": round((now - self.first_at) * 1000, 1), "pause_ms": round(pause * 1000, 1)})
        if message_id > self.last:
            self.last = message_id

    def fields(self, expected):
        return {
            "first_id": self.first,
            "lost_at_start": max(0, self.first),
            "lost_mid": self.lost_mid,
            "lost_at_end": 0 if self.last < 0 else max(0, expected - 1 - self.last),
            "gap_count": self.gap_count,
            "gaps": self.gaps,
            "max_pause_ms": round(self.max_pause * 1000, 1),
            "max_pause_after_id": self.max_pause_after,
            "first_message_after_ms": None if self.first_at is None else round((self.first_at - self.created) * 1000, 1),
        }


def summary(role, count, nbytes, seconds, lost):
    seconds = max(seconds, 1e-9)
    return {
        "summary": True,
        "role": role,
        "messages": count,
        "bytes": nbytes,
        "seconds": round(seconds, 6),
        "msgs_per_s": round(count / seconds, 3),
        "gb_per_s": round(nbytes / seconds / 1e9, 6),
        "lost": lost,
    }


# --------------------------------------------------------------------------- commands


def cmd_send(args):
    shape = parse_shape(args.shape)
    dtype = np.dtype(args.dtype)
    extra = json.loads(args.header) if args.header else {}
    if args.paired:
        if not args.reply_address:
            sys.exit("send --paired needs --reply-address (where this side's SUB binds for handshake replies)")
        peer = PairedSender(args.address, args.reply_address)
        peer.setup()
        emit({"event": "ready", "reply_endpoint": peer.receiver.endpoint})
        ok = peer.send_handshake(timeout_sec=args.handshake_timeout)
        emit({"event": "handshake", "ok": ok})
        if not ok:
            peer.close()
            return 2
        sender = peer.sender
    else:
        sender = Sender(args.address, socket_type=zmq.XPUB if args.wait_subscriber else zmq.PUB)
        sender.setup()
        emit({"event": "ready"})
        if args.wait_subscriber and not sender.wait_for_subscriber(args.wait_subscriber):
            emit({"event": "no-subscriber"})
            sender.close()
            return 2
        peer = None

    base = None if args.dict else base_array(shape, dtype)
    warmup = 0
    if args.lead_in_ms > 0:
        # Uncounted warm-up messages at the same rate: receivers skip headers with warmup_id.
        pacer = Pacer(args.rate)
        end = time.perf_counter() + args.lead_in_ms / 1000.0
        while time.perf_counter() < end:
            pacer.wait(warmup)
            header = dict(extra)
            header["warmup_id"] = warmup
            if args.dict:
                sender.send_dict(header)
            else:
                sender.send_array(header, make_array(base, warmup))
            warmup += 1
    total = 0
    pacer = Pacer(args.rate)
    start = time.perf_counter()
    for i in range(args.count):
        pacer.wait(i)
        header = dict(extra)
        header["message_id"] = i
        if args.dict:
            sender.send_dict(header)
            if args.json:
                emit({"index": i, "header": header, "header_raw_b64": b64(wire_json(header))})
        else:
            array = make_array(base, i)
            sender.send_array(header, array)  # adds dtype and shape to header, as SLEAP does
            total += array.nbytes
            if args.json:
                emit({"index": i, "header": {k: (list(v) if k == "shape" else v) for k, v in header.items()},
                      "header_raw_b64": b64(wire_json(header)),
                      "dtype": str(array.dtype), "shape": list(array.shape), "nbytes": int(array.nbytes),
                      "sha256": checksum(array.reshape(-1).view(np.uint8).data if array.size else b"")})
        if args.interval:
            time.sleep(args.interval)
    seconds = time.perf_counter() - start
    # Unlike SLEAP (linger 0), give queued messages time to leave before the process exits.
    if peer is not None:
        peer.close(linger_ms=args.linger)
    else:
        sender.close(linger_ms=args.linger)
    result = summary("send", args.count, total, seconds, 0)
    result["rate"] = args.rate
    result["warmup_messages"] = warmup
    emit(result)
    return 0


def cmd_recv(args):
    if args.paired:
        if not args.reply_address:
            sys.exit("recv --paired needs --reply-address (where the peer's SUB binds for handshake replies)")
        peer = PairedReceiver(args.reply_address, args.address)
        peer.setup()
        receiver = peer.receiver
        emit({"event": "ready", "endpoint": receiver.endpoint})
        ok = peer.receive_handshake(timeout_sec=args.handshake_timeout)
        emit({"event": "handshake", "ok": ok, "connected": peer.connected})
        if not ok:
            peer.close()
            return 2

        def check():
            return peer.check_messages(True, args.poll_ms, 20)
    else:
        peer = None
        receiver = Receiver(args.address)
        receiver.setup()
        emit({"event": "ready", "endpoint": receiver.endpoint})

        def check():
            return receiver.check_messages(args.poll_ms, 20)

    count = 0
    nbytes = 0
    warmup = 0
    ids = set()
    losses = LossTracker()
    first = last = None
    idle_since = time.monotonic()
    while args.max <= 0 or count < args.max:
        messages = check()
        now = time.monotonic()
        if not messages:
            if now - idle_since > args.timeout:
                break
            continue
        idle_since = now
        for message in messages:
            if isinstance(message, dict) and message.get("probe"):
                emit({"event": "probe"})
                continue
            if isinstance(message, dict) and "warmup_id" in message:
                warmup += 1
                continue
            if first is None:
                first = time.perf_counter()
            last = time.perf_counter()
            if isinstance(message, dict) and isinstance(message.get("message_id"), int):
                ids.add(message["message_id"])
                losses.seen(message["message_id"])
            array = message.get("ndarray") if isinstance(message, dict) else None
            if array is not None:
                nbytes += array.nbytes
            if args.json:
                emit(describe(count, message))
            count += 1
    expected = max(ids) + 1 if ids else count
    if args.max > 0:
        expected = max(expected, args.max)
    lost = max(0, expected - count)
    seconds = (last - first) if (first is not None and last is not None and last > first) else 0.0
    if peer is not None:
        peer.close()
    else:
        receiver.close()
    result = summary("recv", count, nbytes, seconds, lost)
    result.update(losses.fields(expected))
    result["warmup_messages"] = warmup
    emit(result)
    return 0 if (args.max <= 0 or count >= args.max) else 1


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)

    send = commands.add_parser("send", help="send arrays (or dicts) as a SLEAP Sender / PairedSender")
    send.add_argument("--address", default=DEFAULT_ADDRESS, help="where the receiver binds (PUB connects here)")
    send.add_argument("--count", type=int, default=1)
    send.add_argument("--shape", default="2,3", help="comma-separated dimensions; '' for a 0-d array")
    send.add_argument("--dtype", default="uint8", help="any numpy dtype string (uint8, float32, >i4, <U3, ...)")
    send.add_argument("--dict", action="store_true", help="send dictionary messages instead of arrays")
    send.add_argument("--header", default="", help="JSON object merged into every header")
    send.add_argument("--paired", action="store_true", help="PairedSender: handshake first")
    send.add_argument("--reply-address", default="", help="paired: where this side's SUB binds")
    send.add_argument("--handshake-timeout", type=float, default=30.0)
    send.add_argument("--wait-subscriber", type=float, default=0.0,
                      help="unpaired: use XPUB and wait up to this many seconds for the subscription before sending")
    send.add_argument("--interval", type=float, default=0.0, help="seconds between messages")
    send.add_argument("--rate", type=float, default=0.0,
                      help="messages per second on an absolute schedule (0: as fast as possible)")
    send.add_argument("--lead-in-ms", type=float, default=0.0,
                      help="first send uncounted warm-up messages (header warmup_id) for this long, at --rate")
    send.add_argument("--linger", type=int, default=5000, help="ms to let queued messages leave on close")
    send.add_argument("--json", action="store_true", help="print one JSON line per message sent")

    recv = commands.add_parser("recv", help="receive as a SLEAP Receiver / PairedReceiver")
    recv.add_argument("--address", default=DEFAULT_ADDRESS, help="where the SUB binds")
    recv.add_argument("--max", type=int, default=0, help="stop after this many messages (0: until idle timeout)")
    recv.add_argument("--timeout", type=float, default=10.0, help="stop after this many idle seconds")
    recv.add_argument("--poll-ms", type=int, default=30)
    recv.add_argument("--paired", action="store_true", help="PairedReceiver: answer the handshake")
    recv.add_argument("--reply-address", default="", help="paired: where the peer's SUB binds")
    recv.add_argument("--handshake-timeout", type=float, default=30.0)
    recv.add_argument("--json", action="store_true", help="print one JSON line per message received")

    args = parser.parse_args(argv)
    return cmd_send(args) if args.command == "send" else cmd_recv(args)


if __name__ == "__main__":
    sys.exit(main())
