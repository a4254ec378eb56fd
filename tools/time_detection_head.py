"""Times torchvision's Faster R-CNN FPN head at the official Ladon size and writes the same head for Swift.

The head (FPN 256 + LastLevelMaxPool, RPN, MultiScaleRoIAlign 7x7, TwoMLPHead 1024, 91 classes) gets
torchvision's default initialisation from a fixed seed, and the trunk features of a 640x480 frame
(resized 416x312, padded 416x320: '0' 256x80x104, '1' 512x40x52, '2' 1024x20x26, '3' 2048x10x13) are
seeded random non-negative values. Prints median ms per part at the given thread count and writes
--out, a safetensors file with `detection_head.*` weights, the features `feature0..3` and torchvision's
detections, which `ladon-bench --detection-head FILE` times and checks.
Usage: python tools/time_detection_head.py --out head.safetensors [--threads 2] [--runs 5]
"""
import argparse
import json
import os
import statistics
import time
from collections import OrderedDict

import torch
from safetensors.torch import save_file
from torchvision.models.detection.anchor_utils import AnchorGenerator
from torchvision.models.detection.faster_rcnn import FastRCNNPredictor, TwoMLPHead
from torchvision.models.detection.image_list import ImageList
from torchvision.models.detection.roi_heads import RoIHeads
from torchvision.models.detection.rpn import RegionProposalNetwork, RPNHead
from torchvision.models.detection.transform import resize_boxes
from torchvision.ops import FeaturePyramidNetwork, MultiScaleRoIAlign
from torchvision.ops.feature_pyramid_network import LastLevelMaxPool

PADDED, RESIZED, ORIGINAL = (320, 416), (312, 416), (480, 640)
IN_CHANNELS = [256, 512, 1024, 2048]


def build(seed):
    torch.manual_seed(seed)
    fpn = FeaturePyramidNetwork(IN_CHANNELS, 256, extra_blocks=LastLevelMaxPool())
    anchors = AnchorGenerator(((32,), (64,), (128,), (256,), (512,)), ((0.5, 1.0, 2.0),) * 5)
    rpn = RegionProposalNetwork(anchors, RPNHead(256, 3), 0.7, 0.3, 256, 0.5,
                                dict(training=2000, testing=1000), dict(training=2000, testing=1000), 0.7)
    roi_heads = RoIHeads(MultiScaleRoIAlign(["0", "1", "2", "3"], 7, 2), TwoMLPHead(256 * 49, 1024),
                         FastRCNNPredictor(1024, 91), 0.5, 0.5, 512, 0.25, None, 0.05, 0.5, 100)
    with torch.no_grad():  # a spread of confident classes, as a trained predictor gives
        roi_heads.box_predictor.cls_score.weight.mul_(30.0)
    for module in (fpn, rpn, roi_heads):
        module.eval()
    return fpn, rpn, roi_heads


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    fpn, rpn, roi_heads = build(7)
    g = torch.Generator().manual_seed(8)
    features = OrderedDict((str(i), torch.randn(1, c, PADDED[0] // s, PADDED[1] // s, generator=g).relu())
                           for i, (c, s) in enumerate(zip(IN_CHANNELS, (4, 8, 16, 32))))
    images = ImageList(torch.zeros(1, 3, *PADDED), [RESIZED])
    parts = {name: [] for name in ("fpn", "rpn", "roi_align", "box_head", "postprocess")}

    def run():
        clock = [time.perf_counter()]

        def lap(name):
            now = time.perf_counter()
            parts[name].append((now - clock[0]) * 1e3)
            clock[0] = now

        with torch.no_grad():
            pyramid = fpn(features)
            lap("fpn")
            proposals, _ = rpn(images, pyramid)
            lap("rpn")
            pooled = roi_heads.box_roi_pool(pyramid, proposals, images.image_sizes)
            lap("roi_align")
            logits, deltas = roi_heads.box_predictor(roi_heads.box_head(pooled))
            lap("box_head")
            boxes, scores, labels = roi_heads.postprocess_detections(logits, deltas, proposals, images.image_sizes)
            boxes = resize_boxes(boxes[0], RESIZED, ORIGINAL)
            lap("postprocess")
        return proposals[0], boxes, scores[0], labels[0]

    proposals, boxes, scores, labels = run()
    for values in parts.values():
        values.clear()
    for _ in range(args.runs):
        run()
    medians = {name: statistics.median(values) for name, values in parts.items()}
    medians["total"] = sum(medians.values())
    print(json.dumps({"threads": args.threads, "proposals": len(proposals), "detections": len(boxes),
                      "ms": {k: round(v, 1) for k, v in medians.items()}}))
    tensors = {f"feature{i}": v for i, v in enumerate(features.values())}
    tensors.update({"boxes": boxes, "scores": scores, "labels": labels.to(torch.int32)})
    for prefix, module in (("fpn", fpn), ("rpn", rpn), ("roi_heads", roi_heads)):
        for key, value in module.state_dict().items():
            tensors[f"detection_head.{prefix}.{key}"] = value
    save_file({k: v.contiguous() for k, v in tensors.items()}, args.out)


if __name__ == "__main__":
    os.environ.setdefault("OMP_NUM_THREADS", "2")
    main()
