"""Writes the bundled sample frames (samples/frames/*.jpg) from scikit-image's public-domain photos.

Each photo is fitted into 640x480 (aspect ratio kept) and saved as a baseline JPEG, quality 85. The
benchmark frame samples/bench/astronaut-640x480.jpg is the astronaut stretched to exactly 640x480, the
frame size the performance figures are quoted for.
Usage: python tools/make_sample_frames.py [--out samples/frames] [--bench samples/bench]
"""
import argparse
import pathlib

import numpy as np
from PIL import Image
from skimage import data

PHOTOS = ["astronaut", "coffee", "chelsea", "rocket", "stereo_motorcycle", "camera"]


def fitted(photo: np.ndarray, width: int = 640, height: int = 480) -> Image.Image:
    if isinstance(photo, tuple):  # stereo pairs: keep the left view
        photo = photo[0]
    image = Image.fromarray(photo if photo.ndim == 3 else np.stack([photo] * 3, axis=-1)).convert("RGB")
    scale = min(width / image.width, height / image.height)
    size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
    return image.resize(size, Image.BILINEAR)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="samples/frames")
    parser.add_argument("--bench", default="samples/bench")
    args = parser.parse_args()
    bench = pathlib.Path(args.bench)
    bench.mkdir(parents=True, exist_ok=True)
    Image.fromarray(data.astronaut()).resize((640, 480), Image.BILINEAR).save(bench / "astronaut-640x480.jpg", quality=85)
    out = pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    for index, name in enumerate(PHOTOS):
        fitted(getattr(data, name)()).save(out / f"{index:03d}-{name}.jpg", quality=85)


if __name__ == "__main__":
    main()
