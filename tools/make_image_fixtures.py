"""Writes the image fixtures (Tests/Fixtures/image/*.safetensors) from PIL, torchvision and PyTorch.

One file per case, its parameters in a "case" metadata entry ({"kind": ..., ...}):
- jpeg_*: JPEG bytes made by PIL (`jpeg`, U8) and the RGB pixels PIL decodes from them (`pixels`, U8
  [H, W, 3], `Image.open(...).convert("RGB")`, the reference's loader); torchvision.io.decode_jpeg's
  agreement is recorded in the metadata.
- cmyk_jpeg_8x8: a CMYK JPEG, which the runtime rejects as unsupported.
- png_*: PNG bytes written by PIL and their pixels.
- bilinear_* / nearest_*: `F.interpolate` on a small random [1, C, h, w] (`input`, `expected`).
- preprocess_*: torchvision `GeneralizedRCNNTransform` on a generated RGB image (the Swift test makes the
  same pixels from `synthetic_pixels`'s formula); small outputs are stored whole, 416-wide ones as
  `sample_index` (I32 flat indices) and `sample_value`.
- labels_*: the reference's label map: logits at the padded size cropped to the resized size, resized
  bilinearly to the original size, argmax over classes (`logits`, `labels` U8).
Usage: python tools/make_image_fixtures.py [--out Tests/Fixtures/image]
"""
import argparse
import io
import json
import os
import pathlib

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402
import torchvision  # noqa: E402
from PIL import Image  # noqa: E402
from safetensors.torch import save_file  # noqa: E402
from torchvision.models.detection.transform import GeneralizedRCNNTransform  # noqa: E402
from torchvision.transforms import functional as TF  # noqa: E402

MEAN, STD = [0.485, 0.456, 0.406], [0.229, 0.224, 0.225]


def write(out, name, tensors, case):
    save_file({k: v.contiguous() for k, v in tensors.items()}, str(out / f"{name}.safetensors"),
              metadata={"case": json.dumps(case)})


def photo_like(height, width, seed):
    """Smooth gradients, a few hard edges and noise: what a JPEG encoder meets in a photo."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width].astype(np.float64)
    base = np.stack([128 + 90 * np.sin(x / (7 + c) + y / (11 - c)) for c in range(3)], axis=-1)
    base[(x - width / 2) ** 2 + (y - height / 3) ** 2 < (min(height, width) / 4) ** 2] = [230, 40, 60]
    base[: height // 5, width // 2:] = [20, 200, 90]
    base += rng.normal(0, 12, base.shape)
    return np.clip(base, 0, 255).astype(np.uint8)


def synthetic_pixels(height, width):
    """The generated frame for preprocessing cases; Tests/ImageTests mirrors this formula in UInt32."""
    y, x, c = np.meshgrid(np.arange(height, dtype=np.uint32), np.arange(width, dtype=np.uint32),
                          np.arange(3, dtype=np.uint32), indexing="ij")
    h = x * np.uint32(2654435761) + y * np.uint32(40503) + c * np.uint32(9973)
    return (((h >> np.uint32(13)) & np.uint32(63)) + (x + 2 * y + 50 * c) % np.uint32(192)).astype(np.uint8)


# MARK: codecs

def jpeg_cases(out):
    variants = [
        ("jpeg_420_odd_37x23", 23, 37, dict(quality=85, subsampling=2), "RGB"),
        ("jpeg_444_29x17", 17, 29, dict(quality=90, subsampling=0), "RGB"),
        ("jpeg_422_33x19", 19, 33, dict(quality=75, subsampling=1), "RGB"),
        ("jpeg_grey_31x21", 21, 31, dict(quality=85), "L"),
        ("jpeg_progressive_420_45x27", 27, 45, dict(quality=80, subsampling=2, progressive=True), "RGB"),
        ("jpeg_progressive_444_19x30", 30, 19, dict(quality=95, subsampling=0, progressive=True), "RGB"),
        ("jpeg_420_131x97", 97, 131, dict(quality=70, subsampling=2, optimize=True), "RGB"),
    ]
    report = []
    for seed, (name, height, width, options, mode) in enumerate(variants):
        image = Image.fromarray(photo_like(height, width, seed))
        if mode == "L":
            image = image.convert("L")
        buffer = io.BytesIO()
        image.save(buffer, format="JPEG", **options)
        data = buffer.getvalue()
        pixels = np.asarray(Image.open(io.BytesIO(data)).convert("RGB"))
        raw = torch.frombuffer(bytearray(data), dtype=torch.uint8)
        tv = torchvision.io.decode_jpeg(raw, mode=torchvision.io.ImageReadMode.RGB).permute(1, 2, 0).numpy()
        tv_diff = int(np.abs(tv.astype(int) - pixels.astype(int)).max())
        report.append((name, tv_diff))
        write(out, name, {"jpeg": raw.clone(), "pixels": torch.from_numpy(pixels.copy())},
              {"kind": "jpeg", "height": height, "width": width, "mode": mode, "options": options,
               "torchvision_max_difference": tv_diff})
    # A CMYK JPEG (Adobe-style): valid, but not a colour space the runtime decodes.
    buffer = io.BytesIO()
    Image.fromarray(photo_like(8, 8, 42)).convert("CMYK").save(buffer, format="JPEG", quality=90)
    write(out, "cmyk_jpeg_8x8", {"jpeg": torch.frombuffer(bytearray(buffer.getvalue()), dtype=torch.uint8).clone()},
          {"kind": "unsupported_jpeg", "height": 8, "width": 8})
    return report


def png_cases(out):
    for name, mode, height, width in [("png_rgb_13x9", "RGB", 9, 13), ("png_grey_7x11", "L", 11, 7)]:
        image = Image.fromarray(photo_like(height, width, 99))
        if mode == "L":
            image = image.convert("L")
        buffer = io.BytesIO()
        image.save(buffer, format="PNG")
        pixels = np.asarray(image)
        write(out, name, {"png": torch.frombuffer(bytearray(buffer.getvalue()), dtype=torch.uint8).clone(),
                          "pixels": torch.from_numpy(pixels.copy())},
              {"kind": "png", "height": height, "width": width, "channels": 1 if mode == "L" else 3})


# MARK: resize

def resize_cases(out):
    generator = torch.Generator().manual_seed(7)
    bilinear = [
        ("bilinear_down_3x17x23_to_7x10", (1, 3, 17, 23), dict(size=(7, 10))),
        ("bilinear_up_2x5x6_to_13x17", (1, 2, 5, 6), dict(size=(13, 17))),
        ("bilinear_mixed_4x9x11_to_14x5", (1, 4, 9, 11), dict(size=(14, 5))),
        ("bilinear_same_1x6x7", (1, 1, 6, 7), dict(size=(6, 7))),
        ("bilinear_from_1x1", (1, 2, 1, 1), dict(size=(4, 5))),
        ("bilinear_to_1x1", (1, 2, 7, 5), dict(size=(1, 1))),
        ("bilinear_logits_3x5x5_to_96x64", (1, 3, 5, 5), dict(size=(96, 64))),
        ("bilinear_separable_limit_2x9x7_to_64x64", (1, 2, 9, 7), dict(size=(64, 64))),
        ("bilinear_generic_limit_2x9x7_to_64x65", (1, 2, 9, 7), dict(size=(64, 65))),
        ("bilinear_far_coordinates_1x700x3_to_301x2", (1, 1, 700, 3), dict(size=(301, 2))),
        ("bilinear_scale_0.65_3x37x29", (1, 3, 37, 29), dict(scale_factor=0.65, recompute_scale_factor=True)),
        ("bilinear_scale_3.1755_2x13x9", (1, 2, 13, 9), dict(scale_factor=416 / 131, recompute_scale_factor=True)),
        ("bilinear_scale_0.416_1x50x41", (1, 1, 50, 41), dict(scale_factor=416 / 1000, recompute_scale_factor=True)),
    ]
    for name, shape, options in bilinear:
        x = torch.randn(shape, generator=generator) * 3
        y = F.interpolate(x, mode="bilinear", align_corners=False, **options)
        case = {"kind": "bilinear", "output": list(y.shape[-2:])}
        if "scale_factor" in options:
            case["scale"] = options["scale_factor"]
        write(out, name, {"input": x, "expected": y}, case)
    for name, shape, size in [("nearest_double_2x5x7", (1, 2, 5, 7), (10, 14)),
                              ("nearest_odd_2x5x7_to_9x13", (1, 2, 5, 7), (9, 13)),
                              ("nearest_3x4x4_to_7x7", (1, 3, 4, 4), (7, 7)),
                              ("nearest_down_1x9x8_to_4x3", (1, 1, 9, 8), (4, 3))]:
        x = torch.randn(shape, generator=generator)
        y = F.interpolate(x, size=size, mode="nearest")
        write(out, name, {"input": x, "expected": y}, {"kind": "nearest", "output": list(size)})


# MARK: preprocessing

def preprocess_cases(out):
    generator = torch.Generator().manual_seed(11)
    cases = [  # (name, height, width, min_size, max_size, stored whole)
        ("preprocess_640x480", 480, 640, 416, 416, False),
        ("preprocess_480x640", 640, 480, 416, 416, False),
        ("preprocess_131x97", 97, 131, 416, 416, False),
        ("preprocess_1000x200", 200, 1000, 416, 416, False),
        ("preprocess_416x416", 416, 416, 416, 416, False),
        ("preprocess_small_131x97_min40_max56", 97, 131, 40, 56, True),
        ("preprocess_small_1000x200_min64_max80", 200, 1000, 64, 80, True),
        ("preprocess_small_23x61_min48_max200", 61, 23, 48, 200, True),
    ]
    for name, height, width, min_size, max_size, whole in cases:
        transform = GeneralizedRCNNTransform(min_size, max_size, MEAN, STD).eval()
        image = TF.to_tensor(Image.fromarray(synthetic_pixels(height, width)))
        with torch.no_grad():
            images, _ = transform([image], None)
        x = images.tensors
        case = {"kind": "preprocess", "height": height, "width": width, "min_size": min_size, "max_size": max_size,
                "size_divisible": 32, "mean": MEAN, "std": STD, "resized": list(images.image_sizes[0]),
                "padded": list(x.shape[-2:])}
        if whole:
            tensors = {"expected": x}
        else:
            count = x.numel()
            index = torch.randperm(count, generator=generator)[:3000]
            # Also every pixel of the last resized row and column and the first padded ones, per channel.
            h, w = images.image_sizes[0]
            hp, wp = x.shape[-2:]
            edges = []
            for c in range(3):
                for col in range(wp):
                    edges += [c * hp * wp + r * wp + col for r in {h - 1, min(h, hp - 1)}]
                for row in range(hp):
                    edges += [c * hp * wp + row * wp + k for k in {w - 1, min(w, wp - 1)}]
            index = torch.unique(torch.cat([index, torch.tensor(edges)])).to(torch.int32)
            tensors = {"sample_index": index, "sample_value": x.flatten()[index.long()]}
        write(out, name, tensors, case)
    # Every byte value through to_tensor + normalize: a 16x16 image resized by exactly 1, padded to 32.
    values = np.arange(256, dtype=np.uint8).reshape(16, 16)
    pixels = np.stack([values, values[::-1], values.T], axis=-1)
    transform = GeneralizedRCNNTransform(16, 16, MEAN, STD).eval()
    with torch.no_grad():
        images, _ = transform([TF.to_tensor(Image.fromarray(pixels))], None)
    write(out, "preprocess_every_byte_16x16", {"pixels": torch.from_numpy(pixels.copy()), "expected": images.tensors},
          {"kind": "preprocess_pixels", "height": 16, "width": 16, "min_size": 16, "max_size": 16, "size_divisible": 32,
           "mean": MEAN, "std": STD, "resized": list(images.image_sizes[0]), "padded": list(images.tensors.shape[-2:])})


def label_cases(out):
    generator = torch.Generator().manual_seed(13)
    for name, classes, padded, resized, original, ties in [
        ("labels_up_c5", 5, (32, 32), (30, 25), (47, 39), False),
        ("labels_down_c21", 21, (32, 32), (29, 27), (20, 17), False),
        ("labels_ties_c6", 6, (32, 32), (29, 32), (41, 45), True),
        ("labels_same_size_c3", 3, (32, 64), (24, 64), (24, 64), True),
    ]:
        logits = torch.randn((1, classes) + padded, generator=generator)
        if ties:  # a later class copying an earlier one everywhere: argmax must keep the earlier
            logits[:, 3 % classes] = logits[:, 1]
            logits[:, 0, :4] = logits[:, 2, :4]
        h, w = resized
        labels = F.interpolate(logits[:, :, :h, :w], size=original, mode="bilinear", align_corners=False).argmax(1)[0]
        write(out, name, {"logits": logits, "labels": labels.to(torch.uint8)},
              {"kind": "labels", "resized": list(resized), "original": list(original)})


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="Tests/Fixtures/image")
    args = parser.parse_args()
    # Two threads: with one, PyTorch resizes 3-channel images by another kernel path than its default
    # multi-threaded one (see Sources/Shared/Ops/Resize.swift); the runtime follows the default.
    torch.set_num_threads(2)
    out = pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    for name, difference in jpeg_cases(out):
        print(f"{name}: torchvision.io.decode_jpeg vs PIL max difference {difference}")
    png_cases(out)
    resize_cases(out)
    preprocess_cases(out)
    label_cases(out)


if __name__ == "__main__":
    main()
