"""Checks tools/ladon_torch.py against the reference's own classes, and the model-file round trip.

  LADON_REFERENCE=DIR python tools/self_check.py [--preset tiny|default|official]

With LADON_REFERENCE naming a checkout of the reference repository, its `scripts/modules/ladon.py`
(`RuntimeEntropicEncoder`, `RuntimeEntropicSharedBody`, the three heads, `ThreeHeadedLadonResNet`) is loaded
from that file and run on our module's parts; without it only the sc2bench/compressai checks and the round
trip through tools/model_file.py run. With --preset official it also builds sc2bench's own classification,
detection and segmentation models, saves them as the official checkpoints are saved, converts them with
tools/convert.py and compares logits end to end. Exits 1 if any check fails.
"""
import argparse
import importlib.util
import json
import os
import sys
import tempfile

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import torch  # noqa: E402
from sc2bench.models.layer import FPBasedResNetBottleneck  # noqa: E402
from torch import nn  # noqa: E402

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

    def check(name, a, b, tol=1e-5):
        err = (a - b).abs().max().item() if a.numel() else 0.0
        status = "ok" if err <= tol else "FAIL"
        if err > tol:
            failures.append(name)
        print(f"{status:4} {name}: max abs diff {err:.3g}")

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
    keys = model.state_dict().keys()
    for expected in ("encoder.encoder.0.weight", "encoder.entropy_bottleneck._quantized_cdf",
                     "shared_body.decoder.0.weight", "shared_body.layer2.0.conv1.weight",
                     "classification_head.fc.weight", "detection_head.fpn.inner_blocks.0.0.weight",
                     "detection_head.rpn.head.conv.0.0.weight", "detection_head.roi_heads.box_head.fc6.weight",
                     "segmentation_head.classifier.0.convs.0.0.weight"):
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
    with tempfile.TemporaryDirectory() as folder:
        paths = []
        for name, module in (("cls", classification), ("det", detection), ("seg", segmentation)):
            paths.append(os.path.join(folder, f"{name}.pt"))
            torch.save({"model": module.state_dict()}, paths[-1])
        ours = convert.from_official(*paths, beta=1.28)
    for module in (classification, detection, segmentation):
        module.eval()
    images, _ = ladon_torch.preprocess(ours, image)
    x = images.tensors
    features = ladon_torch.trunk(ours, ladon_torch.quantize(ours, ladon_torch.encode(ours, x)))
    check("sc2bench SplittableResNet (compress, decompress, layers, fc) vs converted model",
          classification(x), ladon_torch.classify(ours, features), 1e-4)
    check("sc2bench DeepLabv3 segmentation vs converted model",
          segmentation(x)["out"], ladon_torch.segment(ours, features, tuple(x.shape[-2:])), 1e-4)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="tiny", choices=["tiny", "default", "official"])
    args = parser.parse_args()
    torch.set_num_threads(1)
    sys.exit(0 if self_check(args.preset) else 1)


if __name__ == "__main__":
    main()
