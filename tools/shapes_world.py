"""Shapes world: a deterministic synthetic data set with labels for all three Ladon tasks.

Each image shows a textured, noisy background under uneven lighting and 2-6 filled shapes of six
classes (circle, square, triangle, star, ring, cross) with random size, colour, rotation and shading;
later shapes partly occlude earlier ones. Labels:
  - image-level class: the class of the largest visible object (images[].class, a category id);
  - boxes: one COCO instance per object, bbox [x, y, w, h] tight around its visible pixels;
  - segmentation: a VOC-style palette PNG per image, 0 = background, k = category id k.

Image i of a split depends only on (seed, split, i), so `--count` only adds or removes images at the end.

    python tools/shapes_world.py --out samples/eval --split val --count 60 --size 320x240 --quality 90

writes OUT/images/*.jpg, OUT/masks/*.png and OUT/annotations.json (COCO-JSON).
"""
import argparse
import json
import math
import os

import numpy as np
from PIL import Image, ImageDraw

CLASSES = ["circle", "square", "triangle", "star", "ring", "cross"]
SPLIT_OFFSET = {"train": 0, "val": 1_000_003}
MIN_VISIBLE_FRACTION = 0.4   # a new shape may not hide more than 60 % of an earlier one
MIN_VISIBLE_PIXELS = 40


def voc_palette():
    """The PASCAL VOC colour map (label k -> RGB from k's bits), 255 -> (224, 224, 192)."""
    palette = []
    for label in range(256):
        r = g = b = 0
        c = label
        for j in range(8):
            r |= ((c >> 0) & 1) << (7 - j)
            g |= ((c >> 1) & 1) << (7 - j)
            b |= ((c >> 2) & 1) << (7 - j)
            c >>= 3
        palette += [r, g, b]
    return palette


def shape_polygons(kind, cx, cy, radius, angle):
    """Outline(s) of a shape as polygons; the ring returns (outer, inner)."""
    def rotated(points):
        ca, sa = math.cos(angle), math.sin(angle)
        return [(cx + x * ca - y * sa, cy + x * sa + y * ca) for x, y in points]

    def regular(n, r, phase=0.0):
        return [(r * math.cos(phase + 2 * math.pi * k / n), r * math.sin(phase + 2 * math.pi * k / n)) for k in range(n)]

    if kind == "circle":
        return [rotated(regular(64, radius))], None
    if kind == "square":
        return [rotated(regular(4, radius, math.pi / 4))], None
    if kind == "triangle":
        return [rotated(regular(3, radius * 1.15, -math.pi / 2))], None
    if kind == "star":
        points = []
        for k in range(10):
            r = radius * (1.0 if k % 2 == 0 else 0.42)
            a = -math.pi / 2 + math.pi * k / 5
            points.append((r * math.cos(a), r * math.sin(a)))
        return [rotated(points)], None
    if kind == "ring":
        return [rotated(regular(64, radius))], [rotated(regular(64, radius * 0.55))]
    if kind == "cross":
        a, b = radius, radius * 0.33
        arm = [(-b, -a), (b, -a), (b, -b), (a, -b), (a, b), (b, b), (b, a), (-b, a), (-b, b), (-a, b), (-a, -b), (-b, -b)]
        return [rotated(arm)], None
    raise ValueError(kind)


def shape_mask(kind, cx, cy, radius, angle, width, height):
    canvas = Image.new("L", (width, height), 0)
    draw = ImageDraw.Draw(canvas)
    outer, inner = shape_polygons(kind, cx, cy, radius, angle)
    for polygon in outer:
        draw.polygon(polygon, fill=1)
    for polygon in inner or []:
        draw.polygon(polygon, fill=0)
    return np.asarray(canvas, dtype=bool)


def smooth_noise(rng, height, width, cells):
    """Bilinearly upsampled random grid: low-frequency texture in [0, 1]."""
    grid = rng.random((cells + 1, cells + 1)).astype(np.float32)
    image = Image.fromarray((grid * 255).astype(np.uint8)).resize((width, height), Image.BILINEAR)
    return np.asarray(image, dtype=np.float32) / 255.0


def background(rng, height, width):
    base = rng.uniform(0.2, 0.8, size=3).astype(np.float32)
    tint = rng.uniform(-0.25, 0.25, size=3).astype(np.float32)
    texture = 0.6 * smooth_noise(rng, height, width, int(rng.integers(3, 8))) \
        + 0.4 * smooth_noise(rng, height, width, int(rng.integers(12, 30)))
    image = base[None, None, :] + (texture[..., None] - 0.5) * tint[None, None, :] * 2 + (texture[..., None] - 0.5) * 0.3
    if rng.random() < 0.5:  # faint stripes
        yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
        theta = rng.uniform(0, math.pi)
        period = rng.uniform(8, 40)
        stripes = np.sin((xx * math.cos(theta) + yy * math.sin(theta)) * 2 * math.pi / period)
        image += stripes[..., None] * rng.uniform(0.02, 0.08)
    return image


def render(rng, width, height):
    image = background(rng, height, width)
    labels = np.zeros((height, width), np.uint8)
    owner = np.full((height, width), -1, np.int32)
    objects = []
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    for _ in range(int(rng.integers(2, 7))):
        for _attempt in range(20):
            kind = CLASSES[int(rng.integers(len(CLASSES)))]
            radius = rng.uniform(0.07, 0.28) * min(width, height)
            cx, cy = rng.uniform(0.05, 0.95) * width, rng.uniform(0.05, 0.95) * height
            mask = shape_mask(kind, cx, cy, radius, rng.uniform(0, 2 * math.pi), width, height)
            if mask.sum() < MIN_VISIBLE_PIXELS * 2:
                continue
            # Reject placements that would hide too much of an earlier object.
            if all(((owner == o["index"]) & ~mask).sum() >= MIN_VISIBLE_FRACTION * o["full"] for o in objects):
                break
        else:
            continue
        colour = rng.uniform(0.0, 1.0, size=3).astype(np.float32)
        colour[int(rng.integers(3))] = rng.uniform(0.75, 1.0)  # keep shapes saturated against the background
        gx, gy = rng.uniform(-1, 1, size=2)
        shade = 1.0 + 0.35 * ((xx - cx) * gx + (yy - cy) * gy) / max(radius, 1.0) / 1.5
        image[mask] = (colour[None, :] * np.clip(shade[mask], 0.5, 1.5)[:, None])
        index = len(objects)
        objects.append({"index": index, "class": CLASSES.index(kind) + 1, "full": int(mask.sum())})
        owner[mask] = index
        labels[mask] = CLASSES.index(kind) + 1

    # Global lighting: gain, contrast, a linear illumination gradient; then sensor noise.
    angle = rng.uniform(0, 2 * math.pi)
    ramp = ((xx / width - 0.5) * math.cos(angle) + (yy / height - 0.5) * math.sin(angle))
    gain = rng.uniform(0.7, 1.2) * (1.0 + rng.uniform(0.1, 0.5) * ramp)
    image = (image - 0.5) * rng.uniform(0.8, 1.2) + 0.5
    image = image * gain[..., None] + rng.normal(0, rng.uniform(0.02, 0.06), size=image.shape)
    pixels = (np.clip(image, 0, 1) * 255 + 0.5).astype(np.uint8)

    instances = []
    for o in objects:
        visible = owner == o["index"]
        area = int(visible.sum())
        if area < MIN_VISIBLE_PIXELS:
            continue
        rows, cols = np.nonzero(visible)
        x0, y0 = int(cols.min()), int(rows.min())
        instances.append({"category_id": o["class"], "area": area,
                          "bbox": [x0, y0, int(cols.max()) + 1 - x0, int(rows.max()) + 1 - y0]})
    return pixels, labels, instances


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", required=True)
    parser.add_argument("--split", choices=sorted(SPLIT_OFFSET), default="train")
    parser.add_argument("--count", type=int, default=100)
    parser.add_argument("--size", default="320x240", help="WIDTHxHEIGHT")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--quality", type=int, default=90, help="JPEG quality")
    args = parser.parse_args()
    width, height = (int(v) for v in args.size.lower().split("x"))

    os.makedirs(os.path.join(args.out, "images"), exist_ok=True)
    os.makedirs(os.path.join(args.out, "masks"), exist_ok=True)
    palette = voc_palette()
    images, annotations = [], []
    for i in range(args.count):
        rng = np.random.default_rng([args.seed, SPLIT_OFFSET[args.split], i])
        pixels, labels, instances = render(rng, width, height)
        stem = f"{args.split}-{i:05d}"
        Image.fromarray(pixels, "RGB").save(os.path.join(args.out, "images", stem + ".jpg"), quality=args.quality)
        mask = Image.fromarray(labels, "P")
        mask.putpalette(palette)
        mask.save(os.path.join(args.out, "masks", stem + ".png"), optimize=True)
        largest = max(instances, key=lambda a: a["area"]) if instances else None
        image_id = i + 1
        images.append({"id": image_id, "file_name": stem + ".jpg", "width": width, "height": height,
                       "class": largest["category_id"] if largest else 0})
        for instance in instances:
            annotations.append({"id": len(annotations) + 1, "image_id": image_id, "iscrowd": 0, **instance})
    document = {
        "info": {"description": "shapes world", "split": args.split, "seed": args.seed,
                 "size": [width, height], "generator": "tools/shapes_world.py"},
        "images": images,
        "annotations": annotations,
        "categories": [{"id": k + 1, "name": name, "supercategory": "shape"} for k, name in enumerate(CLASSES)],
    }
    with open(os.path.join(args.out, "annotations.json"), "w") as f:
        json.dump(document, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
