#!/usr/bin/env bash
# The whole pipeline on bundled frames, as separate processes: ladon-ingest -> ladon-encoder run ->
# ladon-edge serve (2 workers) -> ladon-sink serve, launched by ladon-launch from compose/local.json with
# the demo's model and an output folder. Results (JSON + segmentation label maps) and annotated frames
# (boxes with tags, the outlined mask overlay with a legend of its classes, the top class, drawn on each
# source frame) land in out/demo.
# Usage: tools/demo.sh [model file] [frames folder]   (run `swift build -c release` first)
set -euo pipefail
cd "$(dirname "$0")/.."

trained="models/default-beta0.32.safetensors"   # the more accurate of the shipped betas
model="${1:-}"
frames="${2:-}"
if [ -z "$model" ]; then
    if [ -f "$trained" ]; then
        model="$trained"
        frames="${frames:-samples/eval/images}"
    else
        echo "no trained default model at $trained: using the tiny random-initialised test model (answers are not meaningful)" >&2
        model="Tests/Fixtures/model/tiny.safetensors"
    fi
fi
frames="${frames:-samples/frames}"
# The sink finds each result's frame by file name in this folder (ingest also takes one file or a glob).
frames_folder="$frames"
[ -d "$frames_folder" ] || frames_folder=$(dirname "$frames")
bin=".build/release"
out="out/demo"
rm -rf "$out"
mkdir -p "$out"

# The local topology with this model, these frames and the sink writing results and annotated frames into out/demo.
topology="$out/topology.json"
sed -e "s#Tests/Fixtures/model/tiny.safetensors#$model#g" \
    -e "s#\"--source\", \"samples/frames\"#\"--source\", \"$frames\"#" \
    -e "s#\"--summary-every\", \"5\"#\"--summary-every\", \"5\", \"--out\", \"$out\", \"--frames\", \"$frames_folder\"#" \
    compose/local.json >"$topology"

echo "model: $model; frames: $frames" >&2
"$bin/ladon-launch" "$topology" 2>"$out/stages.log" | tee "$out/summary.txt"

# Accuracy where the frames have labels (the held-out shapes-world set).
if [ "$frames" = "samples/eval/images" ]; then
    "$bin/ladon-eval" --model "$model" --annotations samples/eval/annotations.json --images samples/eval/images \
        --masks samples/eval/masks --quiet | tee -a "$out/summary.txt"
fi
annotated=$(find "$out" -name '*-annotated.png' | wc -l)
echo "results, label maps and logs in $out/; $annotated annotated frames: $out/*-annotated.png"
