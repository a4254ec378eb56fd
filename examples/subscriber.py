#!/usr/bin/env python3
"""Subscribes to a Ladon sink's result topics with pyzmq and prints the newest Result of each topic.

A reader thread takes every message off the socket as it arrives into a mailbox that keeps only the newest
Result per topic (or every one, with --every); the printing loop takes from the mailbox at most --max-rate
times a second. A slow application therefore always sees fresh Results and counts what it skipped, never a
backlog (the sink also bounds what it queues per subscriber). The messages are decoded with the standard
protobuf runtime from classes compiled from proto/ladon.proto (tools/ladon_proto.py).

    python3 examples/subscriber.py --connect tcp://127.0.0.1:5558 --topic cam-01/ [--max-rate 4] \\
        [--secret-key subscriber.key_secret --sink-key sink.key] [--count N] [--timeout S]

One JSON object per Result on stdout, with `skipped` (Results of its topic replaced unread since the previous
line) and `age_ms` (capture to print). Needs pyzmq and protobuf (Debian: python3-zmq python3-protobuf) and
protoc or protoc-c. Exit status: 0 after --count Results or on Ctrl-C, 1 when nothing arrives within --timeout,
2 when a package is missing, 3 when no protobuf compiler is found.
"""
import argparse
import collections
import importlib.util
import json
import sys
import threading
import time
from pathlib import Path

TOOLS = Path(__file__).resolve().parent.parent / "tools"


def load_tool(name):
    """A module of tools/ by file (examples/ is not a package and sys.path stays as it is)."""
    spec = importlib.util.spec_from_file_location(name, TOOLS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class Mailbox:
    """The newest `depth` Results per topic not yet taken; what newer ones push out is counted as skipped."""

    def __init__(self, depth=1):
        self.depth = depth
        self.lock = threading.Lock()
        self.waiting = {}
        self.skipped_since_taken = collections.Counter()
        self.arrivals = 0
        self.skipped = 0

    def offer(self, topic, payload):
        with self.lock:
            self.arrivals += 1
            queue = self.waiting.setdefault(topic, collections.deque())
            if len(queue) == self.depth:
                queue.popleft()
                self.skipped_since_taken[topic] += 1
                self.skipped += 1
            queue.append((self.arrivals, payload))

    def take(self, limit=None):
        """Up to `limit` waiting Results, oldest arrival first, as (topic, payload, skipped)."""
        with self.lock:
            oldest = sorted((arrival, topic) for topic, queue in self.waiting.items() for arrival, _ in queue)
            taken = []
            for _, topic in oldest[:limit]:
                _, payload = self.waiting[topic].popleft()
                if not self.waiting[topic]:
                    del self.waiting[topic]
                taken.append((topic, payload, self.skipped_since_taken.pop(topic, 0)))
            return taken


def read_certificate(path):
    """A ladon-keygen (czmq zcert) certificate's `public-key` and `secret-key` (Z85 text)."""
    fields = {}
    for line in Path(path).read_text().splitlines():
        key, equals, value = line.strip().partition("=")
        if equals:
            fields[key.strip()] = value.strip().strip('"')
    return fields


def reader(zmq, context, args, mailbox, stopping, ready):
    """The SUB socket lives on this thread only (ZeroMQ sockets are not thread-safe)."""
    socket = context.socket(zmq.SUB)
    socket.setsockopt(zmq.LINGER, 0)
    socket.setsockopt(zmq.RCVHWM, 64)
    socket.setsockopt(zmq.MAXMSGSIZE, 64 << 20)
    if args.secret_key:
        own = read_certificate(args.secret_key)
        socket.curve_secretkey = own["secret-key"].encode()
        socket.curve_publickey = own["public-key"].encode()
        socket.curve_serverkey = read_certificate(args.sink_key)["public-key"].encode()
    socket.setsockopt(zmq.SUBSCRIBE, args.topic.encode())
    socket.connect(args.connect)
    ready.set()
    try:
        while not stopping.is_set():
            if not socket.poll(50):
                continue
            while True:
                try:
                    frames = socket.recv_multipart(zmq.NOBLOCK)
                except zmq.Again:
                    break
                if len(frames) == 2:
                    mailbox.offer(frames[0].decode(errors="replace"), frames[1])
                else:
                    print(f"skipping a message of {len(frames)} frames", file=sys.stderr)
    finally:
        socket.close()


def decode_runs(data: bytes, height: int, width: int) -> list:
    """ENCODING_RLE: row-major runs of (label byte, varint run length)."""
    labels, position = [], 0
    while position < len(data):
        label, run, shift = data[position], 0, 0
        position += 1
        while True:
            byte = data[position]
            position += 1
            run |= (byte & 0x7F) << shift
            shift += 7
            if byte < 0x80:
                break
        labels.extend([label] * run)
    if len(labels) != height * width:
        raise ValueError(f"runs cover {len(labels)} of {height * width} pixels")
    return labels


def as_json(topic: bytes, result) -> dict:
    out = {
        "topic": topic.decode(),
        "node_id": result.header.node_id,
        "sequence": result.header.sequence,
        "capture_time_us": result.header.capture_time_us,
        "source": result.header.source,
        "model": {"backbone": result.model.backbone, "beta": result.model.beta,
                  "weights_hash": f"{result.model.weights_hash:016x}"},
        "original_size": [result.original_size.height, result.original_size.width],
        "timings": [[t.stage, t.milliseconds] for t in result.timings],
        "latent_bytes": result.latent_bytes,
        "dropped_before": result.header.dropped_before,
        "error": result.error,
    }
    if result.HasField("classification"):
        out["classification"] = [[c.class_index, c.name, c.probability] for c in result.classification.top]
    if result.HasField("detections"):
        out["detections"] = [{"box": [d.x1, d.y1, d.x2, d.y2], "label": d.label, "name": d.name, "score": d.score}
                             for d in result.detections.objects]
    if result.HasField("segmentation"):
        s = result.segmentation
        out["segmentation"] = {"height": s.height, "width": s.width, "class_names": list(s.class_names),
                               "labels": decode_runs(s.data, s.height, s.width)}
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--connect", required=True, help="the sink's publish endpoint")
    parser.add_argument("--topic", default="", help="topic prefix, e.g. cam-01/ or cam-01/detection")
    parser.add_argument("--count", type=int, default=0, help="Results to print before exiting (0: until Ctrl-C)")
    parser.add_argument("--timeout", type=float, default=0, help="exit 1 when no Result arrives for this many seconds")
    parser.add_argument("--max-rate", type=float, default=0, help="print at most this many Results a second")
    parser.add_argument("--every", action="store_true", help="print every Result in order, not the newest per topic")
    parser.add_argument("--secret-key", help="this subscriber's secret certificate (CURVE)")
    parser.add_argument("--sink-key", help="the sink's public certificate (CURVE)")
    args = parser.parse_args()
    if bool(args.secret_key) != bool(args.sink_key):
        parser.error("--secret-key and --sink-key go together")
    try:
        import zmq

        importlib.import_module("google.protobuf")
    except ImportError as error:
        print(f"missing Python package: {error.name} (needs pyzmq and protobuf)", file=sys.stderr)
        return 2
    ladon_proto = load_tool("ladon_proto")
    try:
        Result = ladon_proto.message_class("Result")
    except ladon_proto.NoProtobufCompiler as error:
        print(error, file=sys.stderr)
        return 3

    context = zmq.Context()
    mailbox = Mailbox(depth=4096 if args.every else 1)
    stopping, ready = threading.Event(), threading.Event()
    thread = threading.Thread(target=reader, args=(zmq, context, args, mailbox, stopping, ready), daemon=True)
    thread.start()
    ready.wait()
    printed, last_arrival = 0, time.monotonic()
    interval = 1 / args.max_rate if args.max_rate > 0 else 0
    try:
        while args.count == 0 or printed < args.count:
            taken = mailbox.take(1 if interval else None)
            if not taken:
                if args.timeout and time.monotonic() - last_arrival > args.timeout:
                    print(f"no Result on {args.connect} topic '{args.topic}' within {args.timeout} s", file=sys.stderr)
                    return 1
                time.sleep(0.005)
                continue
            last_arrival = time.monotonic()
            for topic, payload, skipped in taken:
                if args.count and printed >= args.count:
                    break
                try:
                    result = Result.FromString(payload)
                except Exception as error:  # the protobuf runtime's DecodeError, named per version
                    print(f"skipping a malformed Result on '{topic}': {error}", file=sys.stderr)
                    continue
                line = as_json(topic.encode(), result)
                line["skipped"] = skipped
                line["age_ms"] = round(time.time() * 1000 - result.header.capture_time_us / 1000)
                print(json.dumps(line), flush=True)
                printed += 1
            if interval:
                time.sleep(interval)
    except KeyboardInterrupt:
        pass
    finally:
        stopping.set()
        thread.join()
        context.term()
    return 0


if __name__ == "__main__":
    sys.exit(main())
