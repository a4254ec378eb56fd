"""Checks tools/ladon_torch.py against the reference's own classes, and the model-file round trip.

  LADON_REFERENCE=DIR python tools/self_check.py [--preset tiny|default|official|tiny-resnest|official-resnest]

With LADON_REFERENCE naming a checkout of the reference repository, its `scripts/modules/ladon.py`
(`RuntimeEntropicEncoder`, `RuntimeEntropicSharedBody`, the three heads, `ThreeHeadedLadonResNet`) is loaded
from that file and run on our module's parts; without it only the sc2bench/compressai checks and the round
trip through tools/model_file.py run. With --preset official, official-resnest or tiny-resnest it also builds
sc2bench's own classification, detection and segmentation models (`splittable_resnet` / `splittable_resnest`),
saves them as the official checkpoints are saved, converts them with tools/convert.py and compares the outputs
end to end. official-resnest builds the full ResNeSt-269e several times over (about 4.6 GB peak, a minute on two cores);
tiny-resnest is the same check on timm's `resnest269e` at the tiny preset's widths, in seconds. Exits 1 if any
check fails.
"""
import argparse
import importlib.util
import json
import os
import sys
import tempfile
from collections import OrderedDict

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import torch  # noqa: E402
from sc2bench.models.layer import FPBasedResNetBottleneck  # noqa: E402
from torch import nn  # noqa: E402
from torchvision.models.detection.faster_rcnn import FastRCNNPredictor, TwoMLPHead  # noqa: E402
from torchvision.ops.misc import FrozenBatchNorm2d  # noqa: E402

import convert  # noqa: E402
import ladon_torch  # noqa: E402
import model_file  # noqa: E402


def reference_ladon_module():
    """The reference repository's scripts/modules/ladon.py (LADON_REFERENCE=path/to/repo), loaded from its
    file; None when LADON_REFERENCE is not set or the file cannot be loaded."""
    root = os.environ.get("LADON_REFERENCE")
    try:
        if not root:
            raise ImportError("LADON_REFERENCE is not set")
        path = os.path.join(root, "scripts", "modules", "ladon.py")
        spec = importlib.util.spec_from_file_location("reference_ladon", path)
        ladon = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(ladon)
        return ladon
    except Exception as error:  # noqa: BLE001 - any import failure means "not available"
        print(f"reference ladon.py not importable ({error}); checking against sc2bench/torchvision parts only")
        return None


@torch.no_grad()
def self_check(preset_name):
    torch.manual_seed(0)
    arch = ladon_torch.preset(preset_name)
    model = ladon_torch.build(arch)
    eb = model.encoder.entropy_bottleneck
    eb.update(force=True)
    g = torch.Generator().manual_seed(1)
    image = torch.rand(3, 97, 131, generator=g)
    ours = ladon_torch.run_all(model, image)
    failures = []

    def check(name, a, b, tol=1e-5, relative=False):
        """Max abs difference, or with `relative` divided by the reference's max abs value (deep random-init
        trunks grow large activations, on which a fixed absolute bound would measure float noise)."""
        err = (a - b).abs().max().item() if a.numel() else 0.0
        if relative and a.numel():
            err /= max(b.abs().max().item(), 1e-12)
        status = "ok" if err <= tol else "FAIL"
        if err > tol:
            failures.append(name)
        print(f"{status:4} {name}: max {'relative' if relative else 'abs'} diff {err:.3g}")

    # The bottleneck's own forward path and its compress/decompress round trip.
    bottleneck = FPBasedResNetBottleneck.__new__(FPBasedResNetBottleneck)
    nn.Module.__init__(bottleneck)
    bottleneck.encoder, bottleneck.decoder = model.encoder.encoder, model.shared_body.decoder
    bottleneck.entropy_bottleneck = eb
    decoded = ladon_torch.decompress(model, ours["latent_strings"], ours["latent"].shape[-2:])
    check("entropy decompress(compress(latent)) == quantized latent", decoded, ours["latent_quantized"])
    check("decoder", bottleneck.decoder(decoded), ours["features"]["0"])

    ladon = reference_ladon_module()
    if ladon is not None:
        enc = ladon.RuntimeEntropicEncoder(bottleneck)
        z = enc(ours["input"])
        body = ladon.RuntimeEntropicSharedBody.__new__(ladon.RuntimeEntropicSharedBody)
        nn.Module.__init__(body)
        for name in ("entropy_bottleneck", "decoder", "layer2", "layer3", "layer4"):
            setattr(body, name, getattr(model.shared_body, name))
        feats = ladon.RuntimeEntropicSharedBody.forward(body, z)
        for key in feats:
            check(f"reference shared body feature {key}", feats[key], ours["features"][key])
        cls = ladon.LadonResNetClassificationHead(model.classification_head)
        check("reference classification head", cls(feats["3"]), ours["class_logits"])
        seg = ladon.LadonDeepLabSegmentationHead(model.segmentation_head)
        check("reference segmentation head", seg(feats["3"], tuple(ours["padded_size"])), ours["seg_logits"])
        images, original = ladon_torch.preprocess(model, image)
        det_model = nn.Module()  # shaped like the FasterRCNN the reference head reads its parts from
        for name in ("transform", "rpn", "roi_heads"):
            setattr(det_model, name, getattr(model.detection_head, name))
        det_model.backbone = nn.Module()
        det_model.backbone.fpn = model.detection_head.fpn
        det = ladon.LadonRCNNDetectionHead(det_model)(images, feats, [original])[0]
        check("reference detection boxes", det["boxes"], ours["detections"]["boxes"], 1e-4)
        whole = ladon.ThreeHeadedLadonResNet(enc, body, cls, ladon.LadonRCNNDetectionHead(det_model), seg).eval()
        out = whole([image])
        check("reference whole-model classification", out["classification"], ours["class_logits"])
        check("reference whole-model segmentation", out["segmentation"], ours["seg_logits"])
    # Our model file written and read back gives the same outputs (GDN reparametrisation inverted on load).
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "model.safetensors")
        model_file.write_model_file(model, path, "self-check")
        again = ladon_torch.run_all(model_file.read_model_file(path), image)
    check("model file round trip: latent", again["latent"], ours["latent"], 1e-5)
    check("model file round trip: class logits", again["class_logits"], ours["class_logits"], 1e-4)
    check("model file round trip: segmentation", again["seg_logits"], ours["seg_logits"], 1e-4)
    if len(again["detections"]["boxes"]) == len(ours["detections"]["boxes"]):
        check("model file round trip: boxes", again["detections"]["boxes"], ours["detections"]["boxes"], 1e-3)
    else:
        failures.append("round-trip detection count")
    if preset_name == "official":
        sc2bench_check(check, image)
    elif preset_name.endswith("-resnest"):
        sc2bench_resnest_check(check, image, preset_name)
    keys = model.state_dict().keys()
    expected_keys = ["encoder.encoder.0.weight", "encoder.entropy_bottleneck._quantized_cdf",
                     "shared_body.decoder.0.weight", "shared_body.layer2.0.conv1.weight",
                     "classification_head.fc.weight", "detection_head.fpn.inner_blocks.0.0.weight",
                     "detection_head.rpn.head.conv.0.0.weight", "detection_head.roi_heads.box_head.fc6.weight",
                     "segmentation_head.classifier.0.convs.0.0.weight"]
    if arch["trunk"].get("block") == "resnest":
        expected_keys += ["shared_body.layer2.0.conv2.conv.weight", "shared_body.layer2.0.conv2.bn0.running_var",
                          "shared_body.layer2.0.conv2.fc1.bias", "shared_body.layer2.0.conv2.bn1.weight",
                          "shared_body.layer2.0.conv2.fc2.weight", "shared_body.layer4.0.downsample.1.weight",
                          "shared_body.layer4.0.downsample.2.running_mean"]
    for expected in expected_keys:
        if expected not in keys:
            failures.append(f"missing key {expected}")
            print(f"FAIL missing state-dict key {expected}")
    print(json.dumps({"preset": preset_name, "detections": int(ours["detections"]["boxes"].shape[0]),
                      "failures": failures}))
    return not failures


def sc2bench_models():
    """The official-size models as sc2bench builds them from the reference's runtime configs (no weights)."""
    from sc2bench.models.backbone import FeatureExtractionBackbone, splittable_resnet
    from sc2bench.models.detection.rcnn import BaseRCNN, create_faster_rcnn_fpn
    from sc2bench.models.segmentation.deeplabv3 import create_deeplabv3
    bottleneck = {"key": "FPBasedResNetBottleneck", "kwargs": {"num_bottleneck_channels": 24, "num_target_channels": 256}}
    classification = splittable_resnet(bottleneck, resnet_name="resnet50", pre_transform=None, num_classes=1000,
                                       weights=None, skips_avgpool=False, skips_fc=False)
    detection = BaseRCNN(create_faster_rcnn_fpn(
        classification, return_layer_dict={"bottleneck_layer": "1", "layer2": "2", "layer3": "3", "layer4": "4"},
        in_channels_list=[256, 512, 1024, 2048], out_channels=256, analyzable_layer_key="bottleneck_layer",
        in_channels_stage2=256, num_classes=91, min_size=416, max_size=416))
    segmentation = create_deeplabv3(FeatureExtractionBackbone(
        classification, {"layer3": "aux", "layer4": "out"}, [], False, analyzable_layer_key="bottleneck_layer"),
        uses_aux=True)
    return classification, detection, segmentation


@torch.no_grad()
def sc2bench_check(check, image):
    """sc2bench's own classification and segmentation models, with seeded weights, saved as the official
    checkpoints are, converted by tools/convert.py and compared end to end (entropy coding included)."""
    torch.manual_seed(5)
    classification, detection, segmentation = sc2bench_models()
    for module in classification.modules():  # non-trivial batch-norm statistics
        if isinstance(module, nn.BatchNorm2d):
            module.running_mean.uniform_(-0.1, 0.1)
            module.running_var.uniform_(0.5, 1.5)
    classification.update()
    converted_as_released(check, (classification, detection, segmentation), image, "official",
                          "sc2bench SplittableResNet", relative=False)


def converted_as_released(check, modules, image, preset_name, classifier_name, relative):
    """Saves sc2bench's (classification, detection, segmentation) modules as the release saves its checkpoints,
    converts them with tools/convert.py and compares the classification and segmentation outputs end to end
    (entropy coding included). Returns the converted model, the preprocessed ImageList and the converted trunk's
    features."""
    classification, detection, segmentation = modules
    with tempfile.TemporaryDirectory() as folder:
        paths = []
        for name, module in (("cls", classification), ("det", detection), ("seg", segmentation)):
            paths.append(os.path.join(folder, f"{name}.pt"))
            torch.save({"model": module.state_dict()}, paths[-1])
        ours = convert.from_official(*paths, beta=1.28, preset=preset_name)
    for module in modules:
        module.eval()
    images, _ = ladon_torch.preprocess(ours, image)
    x = images.tensors
    features = ladon_torch.trunk(ours, ladon_torch.quantize(ours, ladon_torch.encode(ours, x)))
    check(f"{classifier_name} (compress, decompress, layers, fc) vs converted model",
          classification(x), ladon_torch.classify(ours, features), 1e-4, relative=relative)
    check("sc2bench DeepLabv3 segmentation vs converted model",
          segmentation(x)["out"], ladon_torch.segment(ours, features, tuple(x.shape[-2:])), 1e-4, relative=relative)
    return ours, images, features


class TimmFrozenBatchNorm2d(FrozenBatchNorm2d):
    """torchvision's FrozenBatchNorm2d, accepting the device/dtype keywords that timm >= 1.0.21 passes to every
    norm layer. sc2bench's `faster_rcnn_model` forces the plain class into the backbone, which timm 1.0.31's
    ResNeSt then fails to build; the release's detection checkpoint has this layout (frozen batch norms: no
    `num_batches_tracked`)."""

    def __init__(self, num_features, eps=1e-5, device=None, dtype=None):
        super().__init__(num_features, eps)


def sc2bench_resnest_models(arch):
    """The ResNeSt-269e models as the reference's configs build them (`splittable_resnest`, resnest_name
    'resnest269e'; for a narrow preset timm's `layers`/`channels` overrides), the detection backbone a copy
    of the classification one with frozen batch norms, as the release's detection training loads it."""
    from sc2bench.models.backbone import FeatureExtractionBackbone, splittable_resnest
    from sc2bench.models.detection.rcnn import BaseRCNN, create_faster_rcnn_fpn
    from sc2bench.models.segmentation.deeplabv3 import create_deeplabv3
    b, t, heads = arch["bottleneck"], arch["trunk"], arch["heads"]
    bottleneck = {"key": "FPBasedResNetBottleneck",
                  "kwargs": {"num_bottleneck_channels": b["encoder_channels"][3],
                             "num_target_channels": b["decoder_channels"][3],
                             "encoder_channel_sizes": b["encoder_channels"],
                             "decoder_channel_sizes": b["decoder_channels"]}}
    widths = [t["inplanes"]] + [p * t["expansion"] for p in t["planes"]]
    own_widths = t["inplanes"] == 256 and t["planes"] == [128, 256, 512] and t["blocks"] == [30, 48, 8]
    narrow = {} if own_widths else \
        {"layers": [1, *t["blocks"]], "channels": (t["inplanes"] // t["expansion"], *t["planes"])}

    def backbone(**norm):
        return splittable_resnest(bottleneck, resnest_name="resnest269e", inplanes=widths[3], pre_transform=None,
                                  num_classes=heads["classification"]["num_classes"], skips_avgpool=False,
                                  skips_fc=False, **narrow, **norm)

    classification = backbone()
    det_backbone = backbone(norm_layer=TimmFrozenBatchNorm2d)
    det, seg = heads["detection"], heads["segmentation"]
    box = {} if det["representation_size"] == 1024 and det["fpn_channels"] == 256 else {
        "box_head": TwoMLPHead(det["fpn_channels"] * det["roi_output_size"] ** 2, det["representation_size"]),
        "box_predictor": FastRCNNPredictor(det["representation_size"], det["num_classes"])}
    detection = BaseRCNN(create_faster_rcnn_fpn(
        det_backbone, return_layer_dict={"bottleneck_layer": "1", "layer2": "2", "layer3": "3", "layer4": "4"},
        in_channels_list=widths, out_channels=det["fpn_channels"], analyzable_layer_key="bottleneck_layer",
        in_channels_stage2=widths[0], num_classes=None if box else det["num_classes"],
        min_size=arch["preprocess"]["min_size"], max_size=arch["preprocess"]["max_size"], **box))
    segmentation = create_deeplabv3(FeatureExtractionBackbone(
        classification, {"layer3": "aux", "layer4": "out"}, [], False, analyzable_layer_key="bottleneck_layer"),
        num_input_channels=widths[3], uses_aux=True, num_aux_channels=widths[2], num_classes=seg["num_classes"])
    if seg["aspp_channels"] != 256 or seg["atrous_rates"] != [12, 24, 36]:
        segmentation.classifier = ladon_torch.deeplab_head(widths[3], seg["num_classes"], seg["aspp_channels"],
                                                           seg["atrous_rates"])
    return classification, detection, segmentation


@torch.no_grad()
def sc2bench_resnest_check(check, image, preset_name):
    """sc2bench's ResNeSt models with seeded weights and batch-norm statistics, saved as the release's
    checkpoints are, converted by tools/convert.py (`--official ... --backbone resnest269e`) and compared end to
    end: classification logits (compress, decompress, layer2..4, fc), DeepLab logits, the detection
    checkpoint's backbone features, and its FPN levels, RPN head outputs and box head outputs on our features.
    The detection comparison is by pyramid level, not by box: sc2bench's single-task model names the levels
    '1'..'4' and so pools RoIs from three of them, the Ladon runtime names them '0'..'3' (our model follows the
    runtime)."""
    torch.manual_seed(5)
    arch = ladon_torch.preset(preset_name)
    classification, detection, segmentation = sc2bench_resnest_models(arch)
    g = torch.Generator().manual_seed(6)
    for module in classification.modules():  # non-trivial batch norms (timm zero-initialises each bn3.weight)
        if isinstance(module, nn.BatchNorm2d):
            module.weight.copy_(0.5 + torch.rand(module.weight.shape, generator=g))
            module.bias.copy_(0.2 * torch.rand(module.bias.shape, generator=g) - 0.1)
            module.running_mean.uniform_(-0.1, 0.1, generator=g)
            module.running_var.uniform_(0.5, 1.5, generator=g)
    classification.update()
    # The detection backbone takes the classification weights (frozen in the release's detection training);
    # compressai's own load_state_dict resizes the entropy tables.
    body, state = detection.backbone.body, classification.state_dict()
    body.bottleneck_layer.load_state_dict({k[len("bottleneck_layer."):]: v for k, v in state.items()
                                           if k.startswith("bottleneck_layer.")})
    missing, _ = body.load_state_dict({k: v for k, v in state.items() if not k.startswith("bottleneck_layer.")},
                                      strict=False)
    check("detection backbone loads every layer2..4 tensor (count missing)",
          torch.tensor([float(sum(not k.startswith("bottleneck_layer.") for k in missing))]), torch.zeros(1), 0.0)
    detection.update()
    tracked = [k for k in detection.state_dict() if k.startswith("backbone.body.") and "num_batches_tracked" in k]
    check("detection checkpoint's backbone has frozen batch norms (count of num_batches_tracked)",
          torch.tensor([float(len(tracked))]), torch.zeros(1), 0.0)
    ours, images, features = converted_as_released(check, (classification, detection, segmentation), image, preset_name,
                                                   "sc2bench splittable_resnest", relative=True)
    head = ours.detection_head
    # The frozen batch norms compute the same affine map in another order (scale and shift precomputed): over
    # the 86 blocks of a random-init ResNeSt-269e the rounding grows to ~1e-4 of the features' range, hence the
    # looser bound on the backbone; the detection head's own tensors are checked on our features.
    body = detection.backbone.body(images.tensors)  # '1'..'4': bottleneck, layer2, layer3, layer4
    for (name, reference), feature in zip(body.items(), features.values()):
        check(f"sc2bench Faster R-CNN backbone (frozen batch norms) feature {name} vs converted trunk", reference,
              feature, 1e-3, relative=True)
    reference_pyramid = detection.backbone.fpn(OrderedDict(zip(body, features.values())))
    pyramid = head.fpn(features)  # levels '0'..'3', 'pool'
    for (name, reference), level in zip(reference_pyramid.items(), pyramid.values()):
        check(f"sc2bench FPN level {name} vs converted model", reference, level, 1e-5, relative=True)
    reference_rpn = detection.rpn.head(list(reference_pyramid.values()))
    rpn = head.rpn.head(list(pyramid.values()))
    for name, a, b in zip(("objectness", "box deltas"), reference_rpn, rpn):
        check(f"sc2bench RPN head {name} vs converted model", torch.cat([t.flatten() for t in a]),
              torch.cat([t.flatten() for t in b]), 1e-5, relative=True)
    proposals, _ = head.rpn(images, pyramid)
    pooled = head.roi_heads.box_roi_pool(pyramid, proposals, images.image_sizes)
    reference_logits, _ = detection.roi_heads.box_predictor(detection.roi_heads.box_head(pooled))
    logits, _ = head.roi_heads.box_predictor(head.roi_heads.box_head(pooled))
    check("sc2bench box head and predictor vs converted model", reference_logits, logits, 1e-5, relative=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="tiny", choices=ladon_torch.PRESETS)
    args = parser.parse_args()
    torch.set_num_threads(1)
    sys.exit(0 if self_check(args.preset) else 1)


if __name__ == "__main__":
    main()
