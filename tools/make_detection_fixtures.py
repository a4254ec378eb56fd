"""Writes the detection parity fixtures (Tests/Fixtures/detection/*.safetensors) from torchvision.

Each file holds one case: operands, torchvision's results and a "case" metadata entry (a JSON object
naming the op and its parameters) that Tests/DetectionTests reads. Unit cases cover anchors, the box
coder, NMS (ties, empty boxes, both batched paths), RoIAlign at borders and the FPN level mapping; the
"head" case is a small Faster R-CNN head (narrow FPN, few classes, seeded random weights, the predictor
sharpened so that many boxes survive) with its FPN outputs, proposals and detections.
Usage: python tools/make_detection_fixtures.py [--out Tests/Fixtures/detection]
"""
import argparse
import json
import os
import pathlib
from collections import OrderedDict

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import torch  # noqa: E402
from safetensors.torch import save_file  # noqa: E402
from torchvision.models.detection import _utils as det_utils  # noqa: E402
from torchvision.models.detection.anchor_utils import AnchorGenerator  # noqa: E402
from torchvision.models.detection.faster_rcnn import FastRCNNPredictor, TwoMLPHead  # noqa: E402
from torchvision.models.detection.image_list import ImageList  # noqa: E402
from torchvision.models.detection.roi_heads import RoIHeads  # noqa: E402
from torchvision.models.detection.rpn import RegionProposalNetwork, RPNHead  # noqa: E402
from torchvision.models.detection.transform import resize_boxes  # noqa: E402
from torchvision.ops import FeaturePyramidNetwork, MultiScaleRoIAlign, batched_nms, nms, roi_align  # noqa: E402
from torchvision.ops.feature_pyramid_network import LastLevelMaxPool  # noqa: E402
from torchvision.ops.poolers import _setup_scales  # noqa: E402

CASES = {}
SIZES = ((32,), (64,), (128,), (256,), (512,))
RATIOS = ((0.5, 1.0, 2.0),) * 5


def case(function):
    CASES[function.__name__] = function
    return function


def random_boxes(g, n, extent, min_side=1.0, max_side=40.0):
    xy = torch.rand(n, 2, generator=g) * extent
    wh = min_side + torch.rand(n, 2, generator=g) * (max_side - min_side)
    return torch.cat([xy, xy + wh], dim=1)


# MARK: anchors

def anchor_case(padded, grids):
    generator = AnchorGenerator(SIZES, RATIOS)
    images = ImageList(torch.zeros(1, 3, *padded), [tuple(padded)])
    features = [torch.zeros(1, 1, h, w) for h, w in grids]
    anchors = generator(images, features)[0]
    counts = [h * w * 3 for h, w in grids]
    return {"anchors": anchors}, {"op": "anchors", "padded": list(padded), "grids": [list(g) for g in grids],
                                  "counts": counts}


@case
def anchors_small_frame():  # a 160x120 frame resized to 160x120 and padded to 160x128
    return anchor_case((128, 160), [(32, 40), (16, 20), (8, 10), (4, 5), (2, 3)])


@case
def anchors_odd_padding():  # strides from integer division of a size that is not a multiple
    return anchor_case((100, 70), [(25, 18), (13, 9), (7, 5), (4, 3), (2, 2)])


@case
def anchors_image_smaller_than_anchors():
    return anchor_case((32, 32), [(8, 8), (4, 4), (2, 2), (1, 1), (1, 1)])


# MARK: box coder

def coder_case(seed, weights):
    g = torch.Generator().manual_seed(seed)
    reference = random_boxes(g, 40, 200.0, min_side=0.5, max_side=120.0)
    deltas = torch.randn(40, 4, generator=g) * 2
    deltas[:6, 2:] = torch.tensor([[5.0, 9.0], [-7.0, 4.2], [4.1352, 4.1353], [30.0, -30.0], [0.0, 50.0], [45.0, 0.0]])
    coder = det_utils.BoxCoder(weights)
    decoded = coder.decode_single(deltas, reference)
    targets = random_boxes(g, 40, 200.0, min_side=0.5, max_side=120.0)
    encoded = coder.encode_single(targets, reference)
    return ({"reference": reference, "deltas": deltas, "decoded": decoded, "targets": targets, "encoded": encoded},
            {"op": "box_coder", "weights": list(weights)})


@case
def box_coder_rpn():
    return coder_case(11, (1.0, 1.0, 1.0, 1.0))


@case
def box_coder_detections():
    return coder_case(12, (10.0, 10.0, 5.0, 5.0))


# MARK: NMS

@case
def nms_ties_and_degenerate():
    g = torch.Generator().manual_seed(21)
    boxes = random_boxes(g, 60, 50.0, min_side=0.0, max_side=30.0)
    boxes[5] = boxes[4]  # identical boxes with identical scores
    boxes[10:14] = torch.tensor([[3.0, 3.0, 3.0, 3.0], [3.0, 3.0, 3.0, 3.0], [5.0, 5.0, 5.0, 9.0], [1, 1, 2, 2]])
    scores = (torch.rand(60, generator=g) * 8).floor() / 8  # many equal scores
    scores[5] = scores[4]
    keep = nms(boxes, scores, 0.5)
    return {"boxes": boxes, "scores": scores, "keep": keep.to(torch.int32)}, {"op": "nms", "threshold": 0.5}


@case
def nms_threshold_boundary():  # IoU exactly 0.5 is kept (strictly greater suppresses)
    boxes = torch.tensor([[0.0, 0.0, 10.0, 10.0], [0.0, 0.0, 10.0, 5.0], [0.0, 0.0, 10.0, 5.0001], [20, 20, 30, 30]])
    scores = torch.tensor([0.9, 0.8, 0.7, 0.6])
    keep = nms(boxes, scores, 0.5)
    return {"boxes": boxes, "scores": scores, "keep": keep.to(torch.int32)}, {"op": "nms", "threshold": 0.5}


def batched_case(seed, n, groups, threshold):
    g = torch.Generator().manual_seed(seed)
    boxes = random_boxes(g, n, 300.0, min_side=1.0, max_side=80.0)
    scores = torch.rand(n, generator=g)
    scores[n // 2:n // 2 + 20] = 0.5  # ties across groups
    idxs = torch.randint(0, groups, (n,), generator=g)
    keep = batched_nms(boxes, scores, idxs, threshold)
    return ({"boxes": boxes, "scores": scores, "groups": idxs.to(torch.int32), "keep": keep.to(torch.int32)},
            {"op": "batched_nms", "threshold": threshold})


@case
def batched_nms_coordinate_trick():  # <= 1000 boxes: one NMS on shifted boxes
    return batched_case(31, 700, 7, 0.5)


@case
def batched_nms_per_group():  # > 1000 boxes: one NMS per group, merged by score
    return batched_case(32, 1400, 5, 0.7)


# MARK: RoIAlign and level mapping

def roi_case(seed, shape, scale, sampling_ratio, boxes):
    g = torch.Generator().manual_seed(seed)
    feature = torch.randn(*shape, generator=g)
    rois = torch.cat([torch.zeros(len(boxes), 1), boxes], dim=1)
    expected = roi_align(feature, rois, output_size=7, spatial_scale=scale, sampling_ratio=sampling_ratio, aligned=False)
    return ({"feature": feature, "boxes": boxes, "expected": expected},
            {"op": "roi_align", "spatial_scale": scale, "sampling_ratio": sampling_ratio, "bins": 7})


def border_boxes(g, extent_h, extent_w):
    special = torch.tensor([
        [0.0, 0.0, extent_w, extent_h],            # whole image
        [extent_w - 2, extent_h - 2, extent_w, extent_h],  # bottom-right corner
        [-30.0, -30.0, 5.0, 5.0],                  # hanging off the top-left
        [extent_w - 1, 3.0, extent_w + 40, 9.0],   # hanging off the right
        [extent_w + 10, extent_h + 10, extent_w + 50, extent_h + 30],  # entirely outside
        [10.0, 10.0, 10.2, 10.1],                  # tiny (below one feature pixel)
        [7.0, 7.0, 7.0, 7.0],                      # empty
        [12.3, 4.7, 55.1, 38.9],
    ])
    return torch.cat([special, random_boxes(g, 24, max(extent_w, extent_h), 0.5, 60.0)])


@case
def roi_align_level0_borders():
    g = torch.Generator().manual_seed(41)
    return roi_case(42, (1, 5, 13, 17), 0.25, 2, border_boxes(g, 52.0, 68.0))


@case
def roi_align_coarse_level():
    g = torch.Generator().manual_seed(43)
    return roi_case(44, (1, 3, 4, 5), 0.0625, 2, border_boxes(g, 64.0, 80.0))


@case
def roi_align_adaptive_sampling():
    g = torch.Generator().manual_seed(45)
    return roi_case(46, (1, 4, 9, 11), 0.5, 0, border_boxes(g, 18.0, 22.0))


@case
def level_mapping():
    g = torch.Generator().manual_seed(51)
    padded, resized = (96, 128), (90, 121)
    features = [torch.zeros(1, 1, padded[0] // s, padded[1] // s) for s in (4, 8, 16, 32)]
    scales, mapper = _setup_scales(features, [resized], 224, 4)
    sides = torch.tensor([0.5, 1.0, 55.9, 56.0, 111.99, 112.0, 223.9, 224.0, 447.9, 448.0, 1000.0])
    boxes = torch.cat([torch.stack([torch.zeros_like(sides), torch.zeros_like(sides), sides, sides], 1),
                       random_boxes(g, 40, 100.0, 0.1, 500.0)])
    levels = mapper([boxes])
    return ({"boxes": boxes, "levels": levels.to(torch.int32), "scales": torch.tensor(scales)},
            {"op": "level_mapping", "padded": list(padded), "resized": list(resized),
             "feature_heights": [f.shape[2] for f in features], "k_min": mapper.k_min, "k_max": mapper.k_max})


# MARK: the whole head

@case
def head_small():
    return head_case((96, 128), (90, 121), (150, 201), min_detections=20)


@case
def head_image_smaller_than_anchors():  # a 25x30 image: every anchor is larger than the image
    return head_case((32, 32), (25, 30), (50, 60), min_detections=0)


def head_case(padded, resized, original, min_detections):
    torch.manual_seed(61)
    in_channels, channels, classes, representation = [8, 12, 16, 20], 16, 6, 32
    fpn = FeaturePyramidNetwork(in_channels, channels, extra_blocks=LastLevelMaxPool())
    for name, p in fpn.named_parameters():
        torch.nn.init.normal_(p, std=0.3 if "weight" in name else 0.1)
    anchor_generator = AnchorGenerator(SIZES, RATIOS)
    rpn_head = RPNHead(channels, 3)
    for p in rpn_head.parameters():
        torch.nn.init.normal_(p, std=0.2)
    with torch.no_grad():  # moderate deltas: slivers from huge dw/dh make IoU matching ill-conditioned
        rpn_head.bbox_pred.weight.mul_(0.2)
    rpn = RegionProposalNetwork(anchor_generator, rpn_head, 0.7, 0.3, 256, 0.5,
                                dict(training=2000, testing=1000), dict(training=2000, testing=1000), 0.7)
    pooler = MultiScaleRoIAlign(["0", "1", "2", "3"], 7, 2)
    box_head = TwoMLPHead(channels * 49, representation)
    predictor = FastRCNNPredictor(representation, classes)
    for p in list(box_head.parameters()) + list(predictor.parameters()):
        torch.nn.init.normal_(p, std=0.05)
    with torch.no_grad():
        predictor.cls_score.weight.mul_(40.0)  # sharpened: confident classes survive the 0.05 threshold
        predictor.cls_score.bias.copy_(torch.tensor([-3.0] + [0.0] * (classes - 1)))
    roi_heads = RoIHeads(pooler, box_head, predictor, 0.5, 0.5, 512, 0.25, None, 0.05, 0.5, 100)
    for module in (fpn, rpn, roi_heads):
        module.eval()

    g = torch.Generator().manual_seed(62)
    features = OrderedDict((str(i), torch.randn(1, c, padded[0] // s, padded[1] // s, generator=g).relu())
                           for i, (c, s) in enumerate(zip(in_channels, (4, 8, 16, 32))))
    images = ImageList(torch.zeros(1, 3, *padded), [resized])
    with torch.no_grad():
        pyramid = fpn(features)
        proposals, _ = rpn(images, pyramid)
        detections, _ = roi_heads(pyramid, proposals, images.image_sizes)
    det = detections[0]
    boxes = resize_boxes(det["boxes"], resized, original)
    print(f"head {padded}: {len(proposals[0])} proposals, {len(boxes)} detections, labels {det['labels'].tolist()[:12]}")
    tensors = {f"feature{i}": v for i, v in enumerate(features.values())}
    tensors.update({f"pyramid{i}": v for i, v in enumerate(pyramid.values())})
    tensors.update({"proposals": proposals[0], "boxes": boxes, "labels": det["labels"].to(torch.int32),
                    "scores": det["scores"]})
    weights = {}
    for prefix, module in (("fpn", fpn), ("rpn", rpn), ("roi_heads", roi_heads)):
        for key, value in module.state_dict().items():
            weights[f"detection_head.{prefix}.{key}"] = value
    tensors.update(weights)
    params = {"op": "head", "padded": list(padded), "resized": list(resized), "original": list(original),
              "in_channels": in_channels, "fpn_channels": channels, "num_classes": classes,
              "representation_size": representation, "weights": sorted(weights), "min_detections": min_detections}
    return tensors, params


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="Tests/Fixtures/detection")
    args = parser.parse_args()
    torch.set_num_threads(1)
    out = pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    for name, function in CASES.items():
        tensors, params = function()
        tensors = {k: v.detach().contiguous() for k, v in tensors.items()}
        save_file(tensors, str(out / f"{name}.safetensors"), metadata={"case": json.dumps(params)})
    print(f"wrote {len(CASES)} cases to {out}")


if __name__ == "__main__":
    main()
