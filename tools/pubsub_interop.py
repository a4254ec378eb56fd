#!/usr/bin/env python3
"""Subscribes to a Ladon result topic with pyzmq and decodes each Result with the standard protobuf runtime.

Proves the wire format is plain protobuf over plain ZeroMQ: the message classes are built from
proto/ladon.proto by a protobuf compiler (tools/ladon_proto.py), and the
run-length segmentation map is decoded here from its documented layout.

    python tools/pubsub_interop.py --connect tcp://127.0.0.1:5560 --topic cam-01/ [--count 1] [--timeout 20]

Prints one JSON object per message on stdout. Exit status: 0 after --count messages, 1 on timeout,
2 when pyzmq or protobuf is missing, 3 when no protobuf compiler is found.
"""
import argparse
import json
import sys

import ladon_proto


def result_class():
    """The `ladon.Result` message class, compiled from proto/ladon.proto."""
    try:
        return ladon_proto.message_class("Result")
    except ladon_proto.NoProtobufCompiler as error:
        print(error, file=sys.stderr)
        sys.exit(3)


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
    parser.add_argument("--connect", required=True, help="the sink's PUB endpoint")
    parser.add_argument("--topic", default="", help="topic prefix, e.g. cam-01/ or cam-01/detection")
    parser.add_argument("--count", type=int, default=1, help="messages to print before exiting (0: forever)")
    parser.add_argument("--timeout", type=float, default=20, help="seconds to wait for each message")
    args = parser.parse_args()
    try:
        import zmq
        import google.protobuf  # noqa: F401
    except ImportError as error:
        print(f"missing Python package: {error.name} (needs pyzmq and protobuf)", file=sys.stderr)
        return 2
    Result = result_class()

    context = zmq.Context()
    socket = context.socket(zmq.SUB)
    socket.setsockopt(zmq.LINGER, 0)
    socket.setsockopt(zmq.SUBSCRIBE, args.topic.encode())
    socket.connect(args.connect)
    printed = 0
    try:
        while args.count == 0 or printed < args.count:
            if not socket.poll(int(args.timeout * 1000)):
                print(f"no message on {args.connect} topic '{args.topic}' within {args.timeout} s", file=sys.stderr)
                return 1
            frames = socket.recv_multipart()
            if len(frames) != 2:
                print(f"skipping a message of {len(frames)} frames", file=sys.stderr)
                continue
            print(json.dumps(as_json(frames[0], Result.FromString(frames[1]))), flush=True)
            printed += 1
    finally:
        socket.close()
        context.term()
    return 0


if __name__ == "__main__":
    sys.exit(main())
