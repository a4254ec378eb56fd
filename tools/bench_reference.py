"""Times the PyTorch reference per stage on one 640x480 frame at the official preset (or official-resnest).

  python tools/bench_reference.py --threads 2 --runs 10 --json > reference-timings.json
  .build/release/ladon-bench --model M --threads 2 --reference reference-timings.json

Medians of N runs after a warm-up, in milliseconds, for: preprocess, encoder, entropy_compress,
entropy_decompress, decoder, layers (layer2..4), classification, segmentation (head + upsampling), fpn, rpn,
roi_align (MultiScaleRoIAlign), box_head (two-layer MLP + predictor), box_postprocess, detection (FPN to boxes)
and edge_frame (decompress, trunk and all three heads). `--json` prints {"threads", "stages": {name: {"ms"}}},
the shape ladon-bench reads. Without --model the weights are a seeded random init (tools/convert.py).
"""
import argparse
import json
import statistics
import time

import numpy as np
import torch
from PIL import Image

import convert
import ladon_torch
import model_file


def frame(path):
    if path:
        picture = Image.open(path).convert("RGB")
    else:
        from skimage import data
        picture = Image.fromarray(data.astronaut()).resize((640, 480), Image.BILINEAR)
    rgb = np.asarray(picture)
    return torch.from_numpy(rgb.copy()).permute(2, 0, 1).float() / 255


def median_ms(runs, body):
    body()  # warm-up
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        body()
        samples.append((time.perf_counter() - start) * 1e3)
    return statistics.median(samples)


@torch.no_grad()
def bench(model, image, runs):
    head = model.detection_head
    roi = head.roi_heads
    images, original = ladon_torch.preprocess(model, image)
    x = images.tensors
    padded = tuple(x.shape[-2:])
    latent = ladon_torch.encode(model, x)
    strings = ladon_torch.compress(model, latent)
    latent_hat = ladon_torch.decompress(model, strings, latent.shape[-2:])
    decoded = model.shared_body.decoder(latent_hat)
    features = ladon_torch.trunk(model, latent_hat)
    pyramid = head.fpn(features)
    proposals, _ = head.rpn(images, pyramid)
    pooled = roi.box_roi_pool(pyramid, proposals, images.image_sizes)
    class_logits, box_regression = roi.box_predictor(roi.box_head(pooled))

    def layers():
        z = model.shared_body.layer2(decoded)
        z = model.shared_body.layer3(z)
        model.shared_body.layer4(z)

    def box_postprocess():
        boxes, scores, labels = roi.postprocess_detections(class_logits, box_regression, proposals, images.image_sizes)
        result = [{"boxes": boxes[0], "scores": scores[0], "labels": labels[0]}]
        head.transform.postprocess(result, images.image_sizes, [original])

    def edge_frame():
        z = ladon_torch.decompress(model, strings, latent.shape[-2:])
        f = ladon_torch.trunk(model, z)
        ladon_torch.classify(model, f)
        ladon_torch.segment(model, f, padded)
        ladon_torch.detect(model, images, f, original)

    stages = {
        "preprocess": lambda: ladon_torch.preprocess(model, image),
        "encoder": lambda: ladon_torch.encode(model, x),
        "entropy_compress": lambda: ladon_torch.compress(model, latent),
        "entropy_decompress": lambda: ladon_torch.decompress(model, strings, latent.shape[-2:]),
        "decoder": lambda: model.shared_body.decoder(latent_hat),
        "layers": layers,
        "classification": lambda: ladon_torch.classify(model, features),
        "segmentation": lambda: ladon_torch.segment(model, features, padded),
        "fpn": lambda: head.fpn(features),
        "rpn": lambda: head.rpn(images, pyramid),
        "roi_align": lambda: roi.box_roi_pool(pyramid, proposals, images.image_sizes),
        "box_head": lambda: roi.box_predictor(roi.box_head(pooled)),
        "box_postprocess": box_postprocess,
        "detection": lambda: ladon_torch.detect(model, images, features, original),
        "edge_frame": edge_frame,
    }
    return {name: {"ms": round(median_ms(runs, body), 3)} for name, body in stages.items()}, {
        "original_size": list(original), "padded_size": list(padded), "latent_shape": list(latent.shape),
        "coded_bytes": len(strings[0]), "proposals": int(proposals[0].shape[0])}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--model", help="model file (default: seeded random init of --preset)")
    parser.add_argument("--preset", default="official", choices=["official", "official-resnest"])
    parser.add_argument("--image", help="JPEG (default: scikit-image's astronaut resized to 640x480)")
    parser.add_argument("--json", action="store_true", help="print JSON for ladon-bench --reference")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    model = model_file.read_model_file(args.model) if args.model else convert.random_init(args.preset, seed=0)
    stages, shapes = bench(model, frame(args.image), args.runs)
    if args.json:
        print(json.dumps({"threads": args.threads, "runs": args.runs, "torch": torch.__version__, **shapes,
                          "stages": stages}, indent=2))
    else:
        for name, value in stages.items():
            print(f"{name:20} {value['ms']:10.2f} ms")


if __name__ == "__main__":
    main()
