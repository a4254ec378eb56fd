#!/usr/bin/env python3
"""Follows a Ladon sink's MQTT topics with paho-mqtt and prints one line per message.

The sink (`ladon-sink serve --mqtt HOST:PORT`) publishes `ladon/<node>/<task>` (the Result's JSON,
retained: a new client gets each node's latest at once) and `ladon/<node>/events` (Frigate-style
`new`/`update`/`end` when a detected class appears, changes count or leaves).

    python3 examples/mqtt_client.py --broker 127.0.0.1:1883 [--topic 'ladon/cam-01/#'] [--count N] [--json]

Without --json each line is a short summary (`cam-01 detection #42: car 0.91, person 0.88`,
`cam-01 event new car (1)`); with --json it is `{"topic": ..., "payload": {...}}`. Needs paho-mqtt
(Debian: python3-paho-mqtt; 1.6 and 2.x both work). Exit status: 0 after --count messages or on
Ctrl-C, 1 when nothing arrives within --timeout seconds, 2 when paho-mqtt is missing.
"""
import argparse
import json
import queue
import sys


def summary(topic, payload):
    """One readable line for a message on `ladon/<node>/<task>`."""
    parts = topic.split("/")
    node, task = (parts[1], parts[2]) if len(parts) >= 3 else (topic, "")
    if task == "events":
        return f"{node} event {payload.get('type')} {payload.get('label')} ({payload.get('count')})"
    frame = payload.get("frame", {})
    head = f"{node} {task} #{frame.get('sequence')}"
    if payload.get("error"):
        return f"{head}: error {payload['error']}"
    if task == "classification":
        top = payload.get("classification", {}).get("top5", [])[:3]
        return f"{head}: " + ", ".join(f"{t['name']} {t['prob']:.2f}" for t in top)
    if task == "detection":
        objects = sorted(payload.get("detection", []), key=lambda d: -d["score"])[:5]
        return f"{head}: " + (", ".join(f"{d['name']} {d['score']:.2f}" for d in objects) or "nothing")
    if task == "segmentation":
        present = payload.get("segmentation", {}).get("present", [])
        return f"{head}: " + ", ".join(f"{c['name']} {c['pixels']} px" for c in present)
    return f"{head}: {len(payload.get('detection', []))} objects"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--broker", default="127.0.0.1:1883", help="the MQTT broker, HOST:PORT")
    parser.add_argument("--topic", default="ladon/#", help="topic filter (default ladon/#)")
    parser.add_argument("--count", type=int, default=0, help="messages to print before exiting (0: until Ctrl-C)")
    parser.add_argument("--timeout", type=float, default=0, help="exit 1 when no message arrives for this many seconds")
    parser.add_argument("--json", action="store_true", help="print each message as JSON instead of a summary")
    args = parser.parse_args()
    try:
        import paho.mqtt.client as mqtt
    except ImportError:
        print("missing Python package: paho-mqtt", file=sys.stderr)
        return 2
    host, _, port = args.broker.rpartition(":")
    messages = queue.Queue()
    # paho-mqtt 2 asks which callback signatures the program uses; 1.x has only one.
    version = getattr(mqtt, "CallbackAPIVersion", None)
    client = mqtt.Client(version.VERSION2) if version else mqtt.Client()
    client.on_message = lambda _client, _userdata, message: messages.put((message.topic, message.payload))
    client.connect(host, int(port), keepalive=10)
    client.subscribe(args.topic, qos=1)
    client.loop_start()
    printed = 0
    try:
        while args.count == 0 or printed < args.count:
            try:
                topic, payload = messages.get(timeout=args.timeout or None)
            except queue.Empty:
                print(f"no message on {args.broker} '{args.topic}' within {args.timeout} s", file=sys.stderr)
                return 1
            try:
                document = json.loads(payload)
            except ValueError:
                print(f"skipping a message on {topic} that is not JSON", file=sys.stderr)
                continue
            print(json.dumps({"topic": topic, "payload": document}) if args.json else summary(topic, document), flush=True)
            printed += 1
    except KeyboardInterrupt:
        pass
    finally:
        client.loop_stop()
        client.disconnect()
    return 0


if __name__ == "__main__":
    sys.exit(main())
