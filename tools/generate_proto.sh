#!/usr/bin/env bash
# Regenerates the protobuf-c sources in Sources/CLadonProto from proto/ladon.proto.
#   tools/generate_proto.sh           rewrite the generated files
#   tools/generate_proto.sh --check   fail if the committed files differ from freshly generated ones
set -euo pipefail
cd "$(dirname "$0")/.."
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
protoc-c --proto_path=proto --c_out="$out" proto/ladon.proto
if [ "${1:-}" = "--check" ]; then
    if diff -u Sources/CLadonProto/include/ladon.pb-c.h "$out/ladon.pb-c.h" >&2 &&
        diff -u Sources/CLadonProto/ladon.pb-c.c "$out/ladon.pb-c.c" >&2; then
        echo "protobuf-c sources match proto/"
    else
        echo "generated protobuf-c sources are stale: run tools/generate_proto.sh" >&2
        exit 1
    fi
else
    cp "$out/ladon.pb-c.h" Sources/CLadonProto/include/
    cp "$out/ladon.pb-c.c" Sources/CLadonProto/
fi
