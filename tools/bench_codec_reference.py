"""Times compressai 1.2.8's EntropyBottleneck.compress / decompress on one frame's latent, one thread.

The latent is the official architecture's for a 640x480 frame (24 x 79 x 103), Laplacian with per-channel
scales, coded with tables fitted to that distribution (as tools/make_codec_fixtures.py fits them). Writes
the tables, the latent, compressai's bytes and its timings (metadata "reference") to --out, which the
benchmark's codec timing reads to time our coder on the same latent and check the bytes match.
Usage: python tools/bench_codec_reference.py --out codec-frame.safetensors [--runs 7]
"""
import argparse
import json
import os
import statistics
import time

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import torch  # noqa: E402
from safetensors.torch import save_file  # noqa: E402

from make_codec_fixtures import fitted_bottleneck, laplacian, record  # noqa: E402


def median_ms(function, runs):
    function()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        function()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True)
    parser.add_argument("--runs", type=int, default=7)
    arguments = parser.parse_args()
    torch.set_num_threads(1)
    bottleneck, scales, centres = fitted_bottleneck(24, seed=2024)
    latent = laplacian((1, 24, 79, 103), scales, centres, torch.Generator().manual_seed(7))
    tensors, metadata = record(bottleneck, latent, "one 640x480 frame's latent at the official architecture")
    strings = bottleneck.compress(latent)
    with torch.no_grad():
        compress_ms = median_ms(lambda: bottleneck.compress(latent), arguments.runs)
        decompress_ms = median_ms(lambda: bottleneck.decompress(strings, latent.shape[2:]), arguments.runs)
    metadata["reference"] = {"compress_ms": compress_ms, "decompress_ms": decompress_ms, "threads": 1,
                             "library": "compressai 1.2.8"}
    save_file(tensors, arguments.out, metadata={"case": json.dumps(metadata)})
    size = tensors["bytes"].numel()
    megabytes = latent.numel() * 4 / 1e6
    print(f"compressai compress   {compress_ms:8.2f} ms  {size} bytes  {megabytes / compress_ms * 1e3:7.1f} MB/s of float latent")
    print(f"compressai decompress {decompress_ms:8.2f} ms  {size} bytes  {megabytes / decompress_ms * 1e3:7.1f} MB/s of float latent")


if __name__ == "__main__":
    main()
