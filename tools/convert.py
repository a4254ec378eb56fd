"""Writes a Ladon model file (docs/model-format.md) from the official checkpoints, a state dict or a seeded init.

  python tools/convert.py --official CLS.pt DET.pt SEG.pt --beta 1.28 --out ladon-beta1.28.safetensors
  python tools/convert.py --official CLS.pt DET.pt SEG.pt --backbone resnest269e --beta 1.28 --out F
  python tools/convert.py --state-dict three_headed.pt --preset official --beta 1.28 --out model.safetensors
  python tools/convert.py --random-init --seed 0 --preset tiny --out tiny.safetensors

The official release has one checkpoint per task (torchdistill `{'model': state_dict}`): the ImageNet one
holds the encoder, entropy bottleneck, decoder, layer2..4 and fc; the COCO and VOC ones hold the same shared
body (frozen in Ladon's training steps 2 and 3) plus their heads. The shared part is taken from the ImageNet
checkpoint; each head from its own. The ResNet-50 and ResNeSt-269e releases share this layout (only the keys
inside layer2..4's blocks and the shapes differ), so one table serves both; `--backbone` picks the preset the
checkpoints are read into (`official` or `official-resnest`). The file format itself (writing, and reading
back into the PyTorch module) is tools/model_file.py.
"""
import argparse
import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402
import torch  # noqa: E402
from compressai.layers import GDN  # noqa: E402
from torch import nn  # noqa: E402

import ladon_torch  # noqa: E402
import model_file  # noqa: E402

# The one renaming table: official checkpoint prefix → three-headed module prefix, per checkpoint.
OFFICIAL_PREFIXES = {
    "classification": [("bottleneck_layer.encoder.", "encoder.encoder."),
                       ("bottleneck_layer.entropy_bottleneck.", "encoder.entropy_bottleneck."),
                       ("bottleneck_layer.decoder.", "shared_body.decoder."),
                       ("layer2.", "shared_body.layer2."), ("layer3.", "shared_body.layer3."),
                       ("layer4.", "shared_body.layer4."), ("fc.", "classification_head.fc.")],
    "detection": [("backbone.fpn.", "detection_head.fpn."), ("rpn.", "detection_head.rpn."),
                  ("roi_heads.", "detection_head.roi_heads.")],
    "segmentation": [("classifier.", "segmentation_head.classifier.")],
}
# The shared body as each head's checkpoint stores it (checked against the classification checkpoint).
OFFICIAL_SHARED = {"detection": "backbone.body.", "segmentation": "backbone."}
BACKBONE_NAMES = {"resnet50": "ResNet-50", "resnest269e": "ResNeSt-269e"}


# MARK: official checkpoints

def load_checkpoint(path):
    checkpoint = torch.load(path, map_location="cpu", weights_only=False)
    return checkpoint.get("model", checkpoint) if isinstance(checkpoint, dict) else checkpoint.state_dict()


def from_official(cls_path, det_path, seg_path, beta, preset="official"):
    model = ladon_torch.build(ladon_torch.preset(preset, beta))
    wanted = {}
    shared = {}
    for task, path in (("classification", cls_path), ("detection", det_path), ("segmentation", seg_path)):
        checkpoint = load_checkpoint(path)
        for key, value in checkpoint.items():
            for old, new in OFFICIAL_PREFIXES[task]:
                if key.startswith(old):
                    wanted[new + key[len(old):]] = value
            if task == "classification":
                shared[key] = value
        if task in OFFICIAL_SHARED:  # the heads were trained on this same (frozen) shared body: say if not
            prefix = OFFICIAL_SHARED[task]
            differing = [k for k, v in checkpoint.items() if k.startswith(prefix) and k[len(prefix):] in shared
                         and not k.endswith("num_batches_tracked")
                         and not torch.equal(v, shared[k[len(prefix):]])]
            if differing:
                print(f"note: {path} differs from the classification checkpoint in {len(differing)} shared tensors,"
                      f" e.g. {differing[0]}; the classification one is used")
    eb = model.encoder.entropy_bottleneck
    for key in list(wanted):
        if key.rsplit(".", 1)[1] in model_file.ENTROPY_TABLES:
            del wanted[key]  # recomputed by update() below, exactly as the reference runtime does
    resnest_blocks = any(".conv2.fc1." in key for key in wanted)  # split attention: a ResNeSt release
    if resnest_blocks != (model.architecture["trunk"].get("block") == "resnest"):
        found, backbone = ("ResNeSt", "resnest269e") if resnest_blocks else ("ResNet", "resnet50")
        raise SystemExit(f"the official checkpoints hold {found} blocks, preset {preset} does not: "
                         f"--backbone {backbone}")
    try:
        missing, unexpected = model.load_state_dict(wanted, strict=False)
    except RuntimeError as error:  # shape mismatches
        raise SystemExit(f"official checkpoints do not fit preset {preset}: {error}") from None
    missing = [k for k in missing if not k.startswith("shared_body.entropy_bottleneck.")
               and not k.endswith("num_batches_tracked") and k.rsplit(".", 1)[1] not in model_file.ENTROPY_TABLES]
    if missing or unexpected:
        raise SystemExit(f"official checkpoints do not fit: missing {missing[:8]}, unexpected {unexpected[:8]}")
    eb.update(force=True)
    return model.eval()


# MARK: seeded random initialisation

def calibration_images(count=6):
    """scikit-image's bundled public-domain photos as [3,H,W] floats in [0,1]."""
    from skimage import data
    names = ["astronaut", "chelsea", "coffee", "rocket", "immunohistochemistry", "hubble_deep_field"]
    images = []
    for name in names[:count]:
        array = getattr(data, name)()
        images.append(torch.from_numpy(np.ascontiguousarray(array)).permute(2, 0, 1).float() / 255)
    return images


def _normalised_batch(model, images, side):
    pre = model.architecture["preprocess"]
    mean = torch.tensor(pre["mean"]).view(3, 1, 1)
    std = torch.tensor(pre["std"]).view(3, 1, 1)
    resized = [nn.functional.interpolate(((im - mean) / std)[None], size=(side, side), mode="bilinear",
                                         align_corners=False)[0] for im in images]
    return torch.stack(resized)


def randomise(model, seed, latent_std=4.0):
    """Seeded weights with trained-looking statistics: GDN parameters spread around their init, batch-norm
    affine terms spread around identity, the latent scaled to a few quantisation steps, the entropy model fitted
    to the latents of the calibration photos and every batch norm's running statistics measured on them."""
    g = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    fresh = ladon_torch.build(model.architecture)  # default init under the seed
    model.load_state_dict(fresh.state_dict())
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, GDN):
                c = module.beta.numel()
                beta = 0.5 + torch.rand(c, generator=g)
                gamma = 0.1 * torch.eye(c) + 0.02 * torch.rand(c, c, generator=g)
                module.beta.copy_(module.beta_reparam.init(beta))
                module.gamma.copy_(module.gamma_reparam.init(gamma))
            elif isinstance(module, nn.BatchNorm2d):
                module.weight.copy_(0.5 + torch.rand(module.weight.shape, generator=g))
                module.bias.copy_(0.2 * torch.randn(module.bias.shape, generator=g))
    side = model.architecture["preprocess"]["min_size"]
    batch = _normalised_batch(model, calibration_images(), side)
    with torch.no_grad():
        last = model.encoder.encoder[4]
        latent = model.encoder.encoder(batch)
        last.weight.mul_(latent_std / latent.std())
        latent = model.encoder.encoder(batch)
    fit_entropy_bottleneck(model.encoder.entropy_bottleneck, latent, seed)
    calibrate_batch_norms(model, latent)


def fit_entropy_bottleneck(eb, latent, seed, steps=300):
    """A short maximum-likelihood fit of compressai's factorized density, then `update()` for the tables."""
    torch.manual_seed(seed)
    eb.train()
    main = [p for n, p in eb.named_parameters() if not n.endswith("quantiles")]
    optimizer = torch.optim.Adam([{"params": main, "lr": 1e-2}, {"params": [eb.quantiles], "lr": 5e-2}])
    for _ in range(steps):
        optimizer.zero_grad()
        _, likelihoods = eb(latent)
        loss = -torch.log2(likelihoods).mean() + eb.loss()
        loss.backward()
        optimizer.step()
    eb.eval()
    eb.update(force=True)


def calibrate_batch_norms(model, latent):
    """One pass in training mode with cumulative averaging: running stats become the batch statistics."""
    norms = [m for m in model.modules() if isinstance(m, nn.BatchNorm2d)]
    for m in norms:
        m.reset_running_stats()
        m.momentum = None
        m.train()
    with torch.no_grad():
        latent_hat = ladon_torch.quantize(model, latent)
        features = ladon_torch.trunk(model, latent_hat)
        model.segmentation_head.classifier(features["3"])
    for m in norms:
        m.momentum = 0.1
        m.eval()


def sharpen_detection(model, rpn_scale, class_scale):
    """Spreads the RPN objectness and the class scores so that boxes survive the score threshold and their
    ranks do not hinge on rounding (the seeded init gives near-uniform scores)."""
    with torch.no_grad():
        rpn = model.detection_head.rpn.head.cls_logits
        rpn.weight.mul_(rpn_scale)
        rpn.bias.mul_(rpn_scale)
        cls = model.detection_head.roi_heads.box_predictor.cls_score
        cls.weight.mul_(class_scale)  # the biases stay: scaled, they would pick the label on their own


def tame_box_regression(model, scale):
    """Shrinks the RPN's and the box predictor's regression (seeded weights give deltas of several units, so
    exp() makes hairline boxes a fraction of a pixel wide, whose IoU swings on rounding); trained models
    regress small deltas."""
    head = model.detection_head
    with torch.no_grad():
        for regression in (head.rpn.head.bbox_pred, head.roi_heads.box_predictor.bbox_pred):
            regression.weight.mul_(scale)
            regression.bias.mul_(scale)


def sharpen_dense_heads(model, scale):
    """Widens the classification and segmentation logits (seeded heads give nearly flat ones, so label maps
    would be one or two classes and top-5 ranks would hinge on rounding)."""
    with torch.no_grad():
        model.classification_head.fc.weight.mul_(scale)
        model.segmentation_head.classifier[4].weight.mul_(scale)


def class_logit_spread(model, images):
    """Standard deviation of the box predictor's class logits (less each box's mean) over the RPN's
    proposals on `images`: what `sharpen_detection`'s class scale multiplies."""
    spreads = [(logits - logits.mean(1, keepdim=True)).std().item() for logits in proposal_class_logits(model, images)]
    return sum(spreads) / len(spreads)


def proposal_class_logits(model, images):
    """The box predictor's class logits [proposals, classes] over the RPN's proposals, per image."""
    head = model.detection_head
    with torch.no_grad():
        for image in images:
            batch, _ = ladon_torch.preprocess(model, image)
            features = ladon_torch.trunk(model, ladon_torch.quantize(model, ladon_torch.encode(model, batch.tensors)))
            pyramid = head.fpn(features)
            proposals, _ = head.rpn(batch, pyramid)
            pooled = head.roi_heads.box_roi_pool(pyramid, proposals, batch.image_sizes)
            logits, _ = head.roi_heads.box_predictor(head.roi_heads.box_head(pooled))
            yield logits


def balance_classes(model, images):
    """Shifts the foreground classes' biases so that their mean logits over the RPN's proposals on `images` are
    equal (a seeded box predictor on positive ReLU features favours one class for every box, which would leave
    the per-class NMS with one class to sort)."""
    mean = torch.stack([logits.mean(0) for logits in proposal_class_logits(model, images)]).mean(0)
    with torch.no_grad():
        model.detection_head.roi_heads.box_predictor.cls_score.bias[1:] -= mean[1:] - mean[1:].mean()


def tune_background(model, images, least, most, steps=40, margin=0.5):
    """Moves the background logit's bias until every image gives between `least` and `most` detections
    (bisection on the bias; only the RoI heads rerun); returns the smallest count."""
    bias = model.detection_head.roi_heads.box_predictor.cls_score.bias
    low, high = -20.0, 20.0
    base = bias[0].item()
    head = model.detection_head
    cached = []
    with torch.no_grad():
        for image in images:
            batch, original = ladon_torch.preprocess(model, image)
            features = ladon_torch.trunk(model, ladon_torch.quantize(model, ladon_torch.encode(model, batch.tensors)))
            pyramid = head.fpn(features)
            proposals, _ = head.rpn(batch, pyramid)
            cached.append((batch, pyramid, proposals))

    def counts(shift):
        found = []
        with torch.no_grad():
            bias[0] = base + shift
            for batch, pyramid, proposals in cached:
                detections, _ = head.roi_heads(pyramid, proposals, batch.image_sizes)
                found.append(len(detections[0]["boxes"]))
        return found

    for _ in range(steps):
        middle = (low + high) / 2
        found = counts(middle)
        if min(found) < least:
            high = middle
        elif max(found) > most:
            low = middle
        else:
            return min(found)
    # No bias suits every image: favour `least`, and step back from the boundary, where a score sits on the
    # threshold and rounding would decide whether it is kept.
    return min(counts((low + high) / 2 - margin))


def random_init(preset, seed, beta=1.28):
    model = ladon_torch.build(ladon_torch.preset(preset, beta))
    randomise(model, seed)
    return model.eval()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--official", nargs=3, metavar=("CLS.pt", "DET.pt", "SEG.pt"))
    source.add_argument("--state-dict", metavar="FILE", help="torch.save of the three-headed module's state_dict")
    source.add_argument("--random-init", action="store_true")
    parser.add_argument("--preset", choices=ladon_torch.PRESETS,
                        help="architecture (default: the official preset of --backbone)")
    parser.add_argument("--backbone", choices=sorted(ladon_torch.OFFICIAL_PRESETS),
                        help="resnet50 (default) or resnest269e: the release the checkpoints come from")
    parser.add_argument("--beta", type=float, default=1.28)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    preset = args.preset or ladon_torch.OFFICIAL_PRESETS[args.backbone or "resnet50"]
    if args.backbone and ladon_torch.preset(preset)["backbone"] != args.backbone:
        parser.error(f"preset {preset} is not a {args.backbone} model")
    torch.set_num_threads(1)
    if args.official:
        model = from_official(*args.official, args.beta, preset)
        source_text = f"official Ladon {BACKBONE_NAMES[model.architecture['backbone']]} release checkpoints, " \
            f"beta {args.beta}: " + ", ".join(os.path.basename(p) for p in args.official)
    elif args.state_dict:
        model = ladon_torch.build(ladon_torch.preset(preset, args.beta))
        state = load_checkpoint(args.state_dict)
        state = {k: v for k, v in state.items() if k.rsplit(".", 1)[1] not in model_file.ENTROPY_TABLES}
        missing, unexpected = model.load_state_dict(state, strict=False)
        missing = [k for k in missing if not k.startswith("shared_body.entropy_bottleneck.")
                   and k.rsplit(".", 1)[1] not in model_file.ENTROPY_TABLES and not k.endswith("num_batches_tracked")]
        if missing or unexpected:
            raise SystemExit(f"{args.state_dict} does not fit preset {preset}: missing {missing[:8]}, "
                             f"unexpected {unexpected[:8]}")
        model.encoder.entropy_bottleneck.update(force=True)
        source_text = f"state dict {os.path.basename(args.state_dict)}"
    else:
        model = random_init(preset, args.seed, args.beta)
        source_text = f"seeded random initialisation (seed {args.seed}, preset {preset}), batch norms " \
                      "calibrated on scikit-image sample photos; not a trained model"
    model_file.write_model_file(model, args.out, source_text)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
