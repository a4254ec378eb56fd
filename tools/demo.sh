#!/usr/bin/env bash
# Runs the Ladon split on the bundled frames: each JPEG is encoded by the mobile stage into a Latent
# message, the edge stage answers it, and the answers land in out/demo (JSON + segmentation mask).
# Usage: tools/demo.sh [model file] [frames folder]   (run `swift build -c release` first)
set -euo pipefail
cd "$(dirname "$0")/.."

model="${1:-models/default.safetensors}"
frames="${2:-samples/frames}"
if [ ! -f "$model" ]; then
    echo "no trained default model at $model yet: using the tiny random-initialised test model (answers are not meaningful)" >&2
    model="Tests/Fixtures/model/tiny.safetensors"
fi
bin=".build/release"
out="out/demo"
mkdir -p "$out"

frames_done=0
latent_bytes=0
for image in "$frames"/*.jpg; do
    name="$(basename "$image" .jpg)"
    "$bin/ladon-encoder" encode --model "$model" --image "$image" --out "$out/$name.latent" --node-id demo 2>"$out/$name.encode.log"
    "$bin/ladon-edge" infer --model "$model" --latent "$out/$name.latent" --json "$out/$name.json" --mask "$out/$name.mask.png"
    size=$(wc -c <"$out/$name.latent")
    latent_bytes=$((latent_bytes + size))
    frames_done=$((frames_done + 1))
    printf '%-28s %6d bytes on the wire  %s\n' "$name" "$size" "$(cat "$out/$name.encode.log")"
done
[ "$frames_done" -gt 0 ] || { echo "no JPEG frames in $frames" >&2; exit 1; }
echo "$frames_done frames, $((latent_bytes / frames_done)) bytes per frame on average; results in $out/"
