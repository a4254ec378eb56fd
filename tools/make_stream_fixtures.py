"""Writes Tests/Fixtures/stream: small JPEGs for the streaming-pipeline tests.

strip-24x480.jpg is a narrow vertical strip (a grey ramp): the tiny model's latent for it is about a
fifth of the bytes of a 640x480 frame's, so the message-size tests can set an edge limit that passes
the strip and cuts off a sample frame. Baseline JPEG, quality 85, no optimised Huffman tables.
Usage: python tools/make_stream_fixtures.py [--out Tests/Fixtures/stream]
"""
import argparse
import pathlib

import numpy as np
from PIL import Image


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="Tests/Fixtures/stream")
    args = parser.parse_args()
    out = pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    ramp = np.linspace(40, 215, 480, dtype=np.float32)[:, None].repeat(24, axis=1)
    pixels = np.stack([ramp, ramp * 0.9, ramp * 0.8], axis=-1).round().astype(np.uint8)
    Image.fromarray(pixels).save(out / "strip-24x480.jpg", quality=85)


if __name__ == "__main__":
    main()
