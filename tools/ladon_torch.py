"""The three-headed Ladon model in PyTorch, assembled from the real sc2bench / compressai / torchvision parts.

Module tree and state-dict keys follow the reference runtime's `ThreeHeadedLadonResNet` (reference repository
`scripts/modules/ladon.py`): `encoder.{encoder,entropy_bottleneck}`, `shared_body.{entropy_bottleneck,decoder,
layer2..4}`, `classification_head.fc`, `detection_head.{transform,fpn,rpn,roi_heads}`,
`segmentation_head.classifier`. Widths are configurable so that a narrow `tiny` preset keeps the official
topology for small test fixtures and a `default` preset is the small model tools/train.py trains.

Two trunks: torchvision's ResNet `Bottleneck` (the ResNet-50 backbone, presets `official`, `default`, `tiny`)
and timm's `ResNestBottleneck` (the ResNeSt-269e backbone, presets `official-resnest`, `tiny-resnest`: radix-2
split attention, the stride on an average pool after the 3x3 (avd), average-pool shortcuts (avg_down)), each
built by its library's own layer factory so that the reference is torchvision or timm, not a re-implementation.

Per-stage forward functions mirror what the reference runtime runs for one image (batch of one).
`python tools/self_check.py` compares this module with the reference's own classes.
"""
import os
from collections import OrderedDict

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import torch  # noqa: E402
from sc2bench.models.layer import FPBasedResNetBottleneck  # noqa: E402
from timm.models import resnest  # noqa: E402
from torch import nn  # noqa: E402
from torch.nn import functional  # noqa: E402
from torchvision.models.detection.faster_rcnn import FasterRCNN, FastRCNNPredictor, TwoMLPHead  # noqa: E402
from torchvision.models.resnet import Bottleneck, ResNet  # noqa: E402
from torchvision.models.segmentation.deeplabv3 import ASPP, DeepLabHead  # noqa: E402
from torchvision.ops.feature_pyramid_network import FeaturePyramidNetwork, LastLevelMaxPool  # noqa: E402

IMAGENET_MEAN = [0.485, 0.456, 0.406]
IMAGENET_STD = [0.229, 0.224, 0.225]

VOC_CLASSES = ["background", "aeroplane", "bicycle", "bird", "boat", "bottle", "bus", "car", "cat", "chair", "cow",
               "diningtable", "dog", "horse", "motorbike", "person", "pottedplant", "sheep", "sofa", "train",
               "tvmonitor"]


def coco_category_names():
    """torchvision's 91 COCO category names (background first, 'N/A' for unused ids)."""
    from torchvision.models.detection import FasterRCNN_ResNet50_FPN_Weights
    return list(FasterRCNN_ResNet50_FPN_Weights.COCO_V1.meta["categories"])


def imagenet_class_names():
    from torchvision.models import ResNet50_Weights
    return list(ResNet50_Weights.IMAGENET1K_V1.meta["categories"])


DETECTION_DEFAULTS = {
    "roi_output_size": 7, "sampling_ratio": 2,
    "anchor_sizes": [[32], [64], [128], [256], [512]],
    "aspect_ratios": [[0.5, 1.0, 2.0]] * 5,
    "rpn_pre_nms_top_n": 1000, "rpn_post_nms_top_n": 1000, "rpn_nms_threshold": 0.7,
    "box_score_threshold": 0.05, "box_nms_threshold": 0.5, "box_detections_per_img": 100,
}


PRESETS = ("official", "default", "tiny", "official-resnest", "tiny-resnest")
# The official preset of each backbone (what tools/convert.py --official reads the release checkpoints into).
OFFICIAL_PRESETS = {"resnet50": "official", "resnest269e": "official-resnest"}


def preset(name, beta=1.28):
    """The architecture document (docs/model-format.md) of a named preset."""
    if name.endswith("-resnest"):
        return resnest_preset(name, beta)
    if name == "official":
        preprocess = {"min_size": 416, "max_size": 416}
        bottleneck = {"encoder_channels": [3, 96, 48, 24], "decoder_channels": [24, 512, 256, 256]}
        trunk = {"planes": [128, 256, 512], "blocks": [4, 6, 3]}
        classification = {"num_classes": 1000, "class_names": imagenet_class_names()}
        segmentation = {"num_classes": 21, "aspp_channels": 256, "atrous_rates": [12, 24, 36],
                        "class_names": VOC_CLASSES}
        coco = coco_category_names()
        detection = {"num_classes": len(coco), "fpn_channels": 256, "representation_size": 1024, "class_names": coco}
    elif name == "tiny":
        # Same topology, narrow. The ASPP rates are small so that dilation and its zero padding matter on the
        # few-pixel layer4 map of a 112-pixel input (rates 12..36 would reduce every 3x3 to its centre tap).
        preprocess = {"min_size": 112, "max_size": 112}
        bottleneck = {"encoder_channels": [3, 8, 8, 4], "decoder_channels": [4, 16, 16, 16]}
        trunk = {"planes": [8, 16, 32], "blocks": [1, 1, 1]}
        classification = {"num_classes": 7, "class_names": [f"class{i}" for i in range(7)]}
        segmentation = {"num_classes": 5, "aspp_channels": 8, "atrous_rates": [1, 2, 3],
                        "class_names": ["background", "sky", "ground", "animal", "thing"]}
        detection = {"num_classes": 6, "fpn_channels": 16, "representation_size": 32,
                     "class_names": ["__background__", "person", "cat", "dog", "car", "cup"]}
    elif name == "default":
        # The shipped model, trained by tools/train.py on shapes world: the official topology at a width that
        # trains on a CPU. Frames of 320x240 keep their size (padded to 320x256); layer4 is 10x8 there, so the
        # ASPP rates are small for the same reason as in `tiny`.
        from shapes_world import CLASSES
        preprocess = {"min_size": 240, "max_size": 320}
        bottleneck = {"encoder_channels": [3, 48, 24, 12], "decoder_channels": [12, 96, 48, 48]}
        trunk = {"planes": [24, 48, 96], "blocks": [2, 2, 2]}
        classification = {"num_classes": len(CLASSES), "class_names": list(CLASSES)}
        segmentation = {"num_classes": len(CLASSES) + 1, "aspp_channels": 64, "atrous_rates": [2, 4, 6],
                        "class_names": ["background"] + list(CLASSES)}
        detection = {"num_classes": len(CLASSES) + 1, "fpn_channels": 32, "representation_size": 128,
                     "class_names": ["__background__"] + list(CLASSES)}
    else:
        raise ValueError(f"unknown preset '{name}' ({', '.join(PRESETS)})")
    return {
        "format_version": 1, "family": "ladon", "backbone": "resnet50", "beta": beta,
        "preprocess": {**preprocess, "size_divisible": 32, "mean": IMAGENET_MEAN, "std": IMAGENET_STD},
        "bottleneck": bottleneck,
        "trunk": {"inplanes": bottleneck["decoder_channels"][3], **trunk, "expansion": 4, "batch_norm_eps": 1e-5},
        "heads": {"classification": classification, "segmentation": segmentation,
                  "detection": {**detection, **DETECTION_DEFAULTS}},
    }


def resnest_preset(name, beta):
    """Ladon with the ResNeSt-269e backbone (reference configs `*splittable_resnest269e-fp-beta*`): a wider
    bottleneck (32 latent channels against ResNet-50's 24) and timm's `resnest269e` layer2..4 (30, 48 and 8
    ResNeSt blocks, radix 2) in the official variant; `tiny-resnest` is `tiny` with ResNeSt blocks, two in
    layer2 so that a block without a shortcut projection runs too. The heads are those of the ResNet-50
    presets: layer2..4 have the same widths."""
    if name == "official-resnest":
        arch = preset("official", beta)
        arch["bottleneck"] = {"encoder_channels": [3, 128, 64, 32], "decoder_channels": [32, 512, 256, 256]}
        blocks = [30, 48, 8]
    elif name == "tiny-resnest":
        arch = preset("tiny", beta)
        blocks = [2, 1, 1]
    else:
        raise ValueError(f"unknown preset '{name}' ({', '.join(PRESETS)})")
    arch["backbone"] = "resnest269e"
    arch["trunk"].update({"blocks": blocks, "block": "resnest", "radix": 2})
    return arch


# MARK: modules with the reference's attribute names

class LadonEncoder(nn.Module):
    """Reference `RuntimeEntropicEncoder`: the bottleneck's encoder and its entropy bottleneck."""

    def __init__(self, bottleneck):
        super().__init__()
        self.encoder = bottleneck.encoder
        self.entropy_bottleneck = bottleneck.entropy_bottleneck


class LadonSharedBody(nn.Module):
    """Reference `RuntimeEntropicSharedBody`: entropy bottleneck (shared), decoder, ResNet/ResNeSt layer2..4."""

    def __init__(self, bottleneck, layer2, layer3, layer4):
        super().__init__()
        self.entropy_bottleneck = bottleneck.entropy_bottleneck
        self.decoder = bottleneck.decoder
        self.layer2, self.layer3, self.layer4 = layer2, layer3, layer4


class LadonClassificationHead(nn.Module):
    def __init__(self, in_features, num_classes):
        super().__init__()
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(in_features, num_classes)


class LadonDetectionHead(nn.Module):
    """Reference `LadonRCNNDetectionHead`: torchvision Faster R-CNN's transform, FPN, RPN and RoI heads."""

    def __init__(self, transform, fpn, rpn, roi_heads):
        super().__init__()
        self.transform, self.fpn, self.rpn, self.roi_heads = transform, fpn, rpn, roi_heads


class LadonSegmentationHead(nn.Module):
    def __init__(self, classifier):
        super().__init__()
        self.classifier = classifier


class ThreeHeadedLadon(nn.Module):
    def __init__(self, encoder, shared_body, classification_head, detection_head, segmentation_head):
        super().__init__()
        self.encoder = encoder
        self.shared_body = shared_body
        self.classification_head = classification_head
        self.detection_head = detection_head
        self.segmentation_head = segmentation_head


def resnet_layers(inplanes, planes, blocks):
    """layer2..layer4 made by torchvision's own `ResNet._make_layer` (Bottleneck, stride 2 on each first block)."""
    resnet = ResNet(Bottleneck, [1, 1, 1, 1])
    resnet.inplanes = inplanes
    return [resnet._make_layer(Bottleneck, p, b, stride=2) for p, b in zip(planes, blocks)]


def resnest_layers(inplanes, planes, blocks, radix, expansion=4):
    """layer2..layer4 of timm's own `resnest269e` (ResNestBottleneck: cardinality 1, base width 64, avd after
    the split-attention 3x3, average-pool shortcuts; its `make_blocks` puts stride 2 on each first block) with
    the given widths and depths. timm builds the stem and layer1 too; layer1 gets one block of
    `inplanes / expansion` planes so that layer2 sees `inplanes` channels, and both are dropped, as the
    reference's `SplittableResNet` drops them."""
    if inplanes % expansion:
        raise ValueError(f"trunk inplanes {inplanes} is not a multiple of the expansion {expansion}")
    model = resnest.resnest269e(pretrained=False, layers=[1, *blocks], channels=(inplanes // expansion, *planes),
                                num_classes=0, block_args={"radix": radix, "avd": True, "avd_first": False})
    return [model.layer2, model.layer3, model.layer4]


def deeplab_head(in_channels, num_classes, width, rates):
    """torchvision `DeepLabHead` (ASPP, 3x3 conv, BN, ReLU, 1x1 classifier) with a configurable width."""
    if width == 256:
        return DeepLabHead(in_channels, num_classes, atrous_rates=rates)
    head = DeepLabHead.__new__(DeepLabHead)
    nn.Sequential.__init__(head, ASPP(in_channels, rates, width), nn.Conv2d(width, width, 3, padding=1, bias=False),
                           nn.BatchNorm2d(width), nn.ReLU(), nn.Conv2d(width, num_classes, 1))
    return head


class _FeatureWidth(nn.Module):
    """Stands in for a backbone when asking torchvision's FasterRCNN for its transform, RPN and RoI heads."""

    def __init__(self, out_channels):
        super().__init__()
        self.out_channels = out_channels


def detection_parts(arch, in_channels_list):
    head = arch["heads"]["detection"]
    pre = arch["preprocess"]
    fpn_width, rep = head["fpn_channels"], head["representation_size"]
    from torchvision.models.detection.anchor_utils import AnchorGenerator
    from torchvision.ops import MultiScaleRoIAlign
    anchors = AnchorGenerator(tuple(tuple(s) for s in head["anchor_sizes"]),
                              tuple(tuple(r) for r in head["aspect_ratios"]))
    pooler = MultiScaleRoIAlign(["0", "1", "2", "3"], head["roi_output_size"], head["sampling_ratio"])
    size = head["roi_output_size"]
    model = FasterRCNN(
        _FeatureWidth(fpn_width), num_classes=None, min_size=pre["min_size"], max_size=pre["max_size"],
        image_mean=pre["mean"], image_std=pre["std"], size_divisible=pre["size_divisible"],
        rpn_anchor_generator=anchors, box_roi_pool=pooler,
        box_head=TwoMLPHead(fpn_width * size * size, rep), box_predictor=FastRCNNPredictor(rep, head["num_classes"]),
        rpn_pre_nms_top_n_test=head["rpn_pre_nms_top_n"], rpn_post_nms_top_n_test=head["rpn_post_nms_top_n"],
        rpn_nms_thresh=head["rpn_nms_threshold"], box_score_thresh=head["box_score_threshold"],
        box_nms_thresh=head["box_nms_threshold"], box_detections_per_img=head["box_detections_per_img"])
    fpn = FeaturePyramidNetwork(in_channels_list, fpn_width, extra_blocks=LastLevelMaxPool())
    return LadonDetectionHead(model.transform, fpn, model.rpn, model.roi_heads)


def build(arch):
    """A fresh (default-initialised) three-headed Ladon for an architecture document, in eval mode."""
    b, t, heads = arch["bottleneck"], arch["trunk"], arch["heads"]
    bottleneck = FPBasedResNetBottleneck(num_bottleneck_channels=b["encoder_channels"][3],
                                         num_target_channels=b["decoder_channels"][3],
                                         encoder_channel_sizes=b["encoder_channels"],
                                         decoder_channel_sizes=b["decoder_channels"])
    if t.get("block", "resnet") == "resnest":
        layers = resnest_layers(t["inplanes"], t["planes"], t["blocks"], t["radix"], t["expansion"])
    elif t.get("block", "resnet") == "resnet":
        layers = resnet_layers(t["inplanes"], t["planes"], t["blocks"])
    else:
        raise ValueError(f"unknown trunk block '{t['block']}' (resnet or resnest)")
    widths = [t["inplanes"]] + [p * t["expansion"] for p in t["planes"]]
    seg = heads["segmentation"]
    model = ThreeHeadedLadon(
        LadonEncoder(bottleneck), LadonSharedBody(bottleneck, *layers),
        LadonClassificationHead(widths[3], heads["classification"]["num_classes"]),
        detection_parts(arch, widths),
        LadonSegmentationHead(deeplab_head(widths[3], seg["num_classes"], seg["aspp_channels"], seg["atrous_rates"])))
    model.architecture = arch
    return model.eval()


# MARK: per-stage forward passes (batch of one, inference)

def preprocess(model, image):
    """[3,H,W] floats in [0,1] → (ImageList with the padded [1,3,h,w] batch and the resized size, (H, W))."""
    images, _ = model.detection_head.transform([image], None)
    return images, tuple(image.shape[-2:])


def encode(model, x):
    return model.encoder.encoder(x)


def quantize(model, latent):
    """What the edge decodes: round(y − median) + median (compressai `dequantize(quantize(y, 'symbols'))`)."""
    eb = model.encoder.entropy_bottleneck
    medians = eb._get_medians()
    return eb.dequantize(eb.quantize(latent, "symbols", medians), medians)


def symbols(model, latent):
    eb = model.encoder.entropy_bottleneck
    return eb.quantize(latent, "symbols", eb._get_medians())


def compress(model, latent):
    return model.encoder.entropy_bottleneck.compress(latent)


def decompress(model, strings, size):
    return model.shared_body.entropy_bottleneck.decompress(strings, size)


def trunk(model, latent_hat):
    body = model.shared_body
    features = OrderedDict()
    z = features["0"] = body.decoder(latent_hat)
    z = features["1"] = body.layer2(z)
    z = features["2"] = body.layer3(z)
    features["3"] = body.layer4(z)
    return features


def classify(model, features):
    head = model.classification_head
    return head.fc(torch.flatten(head.avgpool(features["3"]), 1))


def segment(model, features, padded_size):
    """DeepLab logits upsampled (bilinear, align_corners=False) to the padded input, as the reference does."""
    logits = model.segmentation_head.classifier(features["3"])
    return functional.interpolate(logits, size=padded_size, mode="bilinear", align_corners=False)


def segmentation_labels(seg_logits, resized_size, original_size):
    """Label map at the original size: crop to the resized area, resize bilinearly, argmax."""
    h, w = resized_size
    cropped = seg_logits[:, :, :h, :w]
    return functional.interpolate(cropped, size=original_size, mode="bilinear", align_corners=False).argmax(1)[0]


def detect(model, images, features, original_size, keep=None):
    """FPN → RPN → RoI heads → boxes in original-image pixels; `keep` collects intermediate results."""
    head = model.detection_head
    pyramid = head.fpn(features)
    proposals, _ = head.rpn(images, pyramid)
    detections, _ = head.roi_heads(pyramid, proposals, images.image_sizes)
    detections = head.transform.postprocess(detections, images.image_sizes, [original_size])
    if keep is not None:
        keep["fpn"], keep["proposals"] = pyramid, proposals[0]
    return detections[0]


@torch.no_grad()
def run_all(model, image):
    """Every stage of the reference on one [3,H,W] image in [0,1]; returns a dict of results."""
    images, original = preprocess(model, image)
    x = images.tensors
    latent = encode(model, x)
    latent_hat = quantize(model, latent)
    features = trunk(model, latent_hat)
    keep = {}
    det = detect(model, images, features, original, keep)
    seg_low = model.segmentation_head.classifier(features["3"])
    seg = functional.interpolate(seg_low, size=tuple(x.shape[-2:]), mode="bilinear", align_corners=False)
    return {
        "input": x, "latent": latent, "latent_quantized": latent_hat, "latent_symbols": symbols(model, latent),
        "latent_strings": compress(model, latent), "features": features, "class_logits": classify(model, features),
        "seg_logits_low": seg_low, "seg_logits": seg, "seg_labels": segmentation_labels(seg, images.image_sizes[0], original),
        "fpn": keep["fpn"], "proposals": keep["proposals"], "detections": det,
        "original_size": list(original), "resized_size": list(images.image_sizes[0]),
        "padded_size": list(x.shape[-2:]),
    }
