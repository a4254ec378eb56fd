"""Trains the `default` Ladon model on shapes world with the paper's three-step recipe, scaled down.

Ladon (Matsubara et al., WACV 2025) starts from an ImageNet ResNet-50 teacher, which cannot be downloaded
here, so a step 0 trains a narrow teacher of the same family on shapes world first:

  step 0  teacher: ResNet stem (conv1, bn1, relu, maxpool, layer1) + layer2..4 + classification head, with a
          DeepLab head beside it so the trunk also learns where things are (the ImageNet teacher's
          features come from far more data); shared by every beta.
  step 1  bottleneck: encoder, entropy bottleneck and decoder replace the stem; layer2..4 start as the
          teacher's and stay frozen. Loss = (w * sum of squared errors between student and teacher features
          after the stem, layer2, layer3 and layer4 + beta * bits) / input pixels, i.e. the reference's
          MSE(sum) + beta * BppLoss(sum) per pixel, with w = official width / our width (5.33) so the
          distortion counts as many feature channels as the reference's and its betas mean about the same;
          the entropy bottleneck's quantiles follow its aux loss (finished alone at the end of the step).
  step 2  encoder and entropy bottleneck frozen (latent rounded around the medians as at inference);
          decoder + layer2..4 + fc fine-tuned by feature distillation from the teacher's layer2..4,
          cross-entropy on the image class and the teacher's soft labels.
  step 3  trunk frozen; Faster R-CNN (FPN, RPN, RoI heads) and the DeepLabv3 head trained on the boxes
          and masks (the DeepLab head starts from the teacher's).

Then `entropy_bottleneck.update()` builds the coding tables and the model file is written with
tools/model_file.py to OUT/default-beta<B>.safetensors.

    python tools/train.py --beta 0.32 --beta 5.12 --steps-per-stage 1500 --data-count 3000 --work train-out
    python tools/train.py --finetune models/default-beta0.32.safetensors --trunk-steps 2000 --heads-steps 3000 \
        --classifier-in-heads --data-count 12000 --out train-ft/models
    python tools/train.py --evaluate models/default-beta0.32.safetensors

`--finetune` runs steps 2 (labels and masks, no teacher) and 3 again on finished model files.

Runs are deterministic for a given seed, device and thread count.
"""
import argparse
import io
import json
import math
import os
import time

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402
import torch  # noqa: E402
from PIL import Image  # noqa: E402
from torch import nn  # noqa: E402
from torch.nn import functional  # noqa: E402
from torchvision.models.resnet import Bottleneck, ResNet  # noqa: E402

import ladon_torch  # noqa: E402
import model_file  # noqa: E402
import shapes_world  # noqa: E402

IGNORE = 255
STAGE_SEEDS = {"teacher": 10, "bottleneck": 11, "trunk": 12, "heads": 13}


# MARK: data

def render_training_set(count, seed, width, height, quality):
    """`count` shapes-world training images (same stream as `shapes_world.py --split train`), JPEG round
    tripped at the held-out set's quality so training sees the same artefacts."""
    samples = []
    for i in range(count):
        rng = np.random.default_rng([seed, shapes_world.SPLIT_OFFSET["train"], i])
        pixels, labels, instances = shapes_world.render(rng, width, height)
        buffer = io.BytesIO()
        Image.fromarray(pixels, "RGB").save(buffer, format="JPEG", quality=quality)
        pixels = np.asarray(Image.open(io.BytesIO(buffer.getvalue())).convert("RGB"))
        largest = max(instances, key=lambda a: a["area"]) if instances else None
        boxes = [[x, y, x + w, y + h] for x, y, w, h in (a["bbox"] for a in instances)]
        samples.append({
            "image": torch.from_numpy(pixels.copy()).permute(2, 0, 1).contiguous(),
            "mask": torch.from_numpy(labels.copy()),  # uint8: a quarter of int64's memory for large sets
            "boxes": torch.tensor(boxes, dtype=torch.float32).reshape(-1, 4),
            "labels": torch.tensor([a["category_id"] for a in instances], dtype=torch.int64),
            "class": (largest["category_id"] - 1) if largest else -1,  # classifier index; -1 = no label
        })
    return samples


def load_training_set(args):
    path = os.path.join(args.work, f"shapes-train-seed{args.seed}-n{args.data_count}-{args.size}.pt")
    if os.path.exists(path):
        return torch.load(path, weights_only=False)
    start = time.time()
    width, height = (int(v) for v in args.size.lower().split("x"))
    samples = render_training_set(args.data_count, args.seed, width, height, args.quality)
    torch.save(samples, path)
    print(f"rendered {len(samples)} training images in {time.time() - start:.1f} s -> {path}", flush=True)
    return samples


class Batches:
    """Seeded random batches with horizontal flips, preprocessed by the model's own transform (normalise,
    resize, pad to a multiple of 32) so training sees exactly what inference sees."""

    def __init__(self, samples, batch_size, seed, device):
        self.samples, self.batch_size, self.device = samples, batch_size, device
        self.generator = torch.Generator().manual_seed(seed)

    def next(self, transform):
        picks = torch.randint(len(self.samples), (self.batch_size,), generator=self.generator).tolist()
        flips = torch.rand(self.batch_size, generator=self.generator).lt(0.5).tolist()
        images, targets, masks, classes = [], [], [], []
        for index, flip in zip(picks, flips):
            s = self.samples[index]
            image, mask, boxes = s["image"].float() / 255, s["mask"].long(), s["boxes"].clone()
            if flip:
                width = image.shape[-1]
                image, mask = image.flip(-1), mask.flip(-1)
                boxes[:, [0, 2]] = width - boxes[:, [2, 0]]
            images.append(image.to(self.device))
            targets.append({"boxes": boxes.to(self.device), "labels": s["labels"].to(self.device)})
            masks.append(mask)
            classes.append(s["class"])
        batch, targets = transform(images, targets)
        # channels-last: oneDNN's convolutions train about 20 % faster so (the values are the same).
        batch.tensors = batch.tensors.contiguous(memory_format=torch.channels_last)
        padded = batch.tensors.shape[-2:]
        full = torch.full((len(masks), *padded), IGNORE, dtype=torch.int64)
        for k, (mask, (h, w)) in enumerate(zip(masks, batch.image_sizes)):
            if mask.shape != (h, w):  # resized by the transform: nearest, as labels must be
                mask = functional.interpolate(mask[None, None].float(), size=(h, w), mode="nearest")[0, 0].long()
            full[k, :h, :w] = mask
        return batch, targets, full.to(self.device), torch.tensor(classes, device=self.device)


def stage_batches(samples, stage, args):
    """Each step draws its own seeded stream, so resuming from a step's checkpoint gives the same model as
    an uninterrupted run, and every beta sees the same batches."""
    return Batches(samples, args.batch_size, args.seed * 1000 + STAGE_SEEDS[stage], args.device)


# MARK: teacher

class Teacher(nn.Module):
    """A narrow torchvision ResNet (Bottleneck blocks) whose stem output has the decoder's width, plus the
    classification and DeepLab heads of the architecture document."""

    def __init__(self, arch):
        super().__init__()
        t, heads = arch["trunk"], arch["heads"]
        width = t["inplanes"]
        resnet = ResNet(Bottleneck, [1, 1, 1, 1])
        resnet.inplanes = width // 2
        self.stem = nn.Sequential(
            nn.Conv2d(3, width // 2, 7, stride=2, padding=3, bias=False), nn.BatchNorm2d(width // 2),
            nn.ReLU(inplace=True), nn.MaxPool2d(3, stride=2, padding=1),
            resnet._make_layer(Bottleneck, width // t["expansion"], 1))
        self.layer2, self.layer3, self.layer4 = ladon_torch.resnet_layers(width, t["planes"], t["blocks"])
        self.fc = nn.Linear(t["planes"][2] * t["expansion"], heads["classification"]["num_classes"])
        seg = heads["segmentation"]
        self.segmentation = ladon_torch.deeplab_head(t["planes"][2] * t["expansion"], seg["num_classes"],
                                                     seg["aspp_channels"], seg["atrous_rates"])

    def forward(self, x):
        f0 = self.stem(x)
        f1 = self.layer2(f0)
        f2 = self.layer3(f1)
        f3 = self.layer4(f2)
        return [f0, f1, f2, f3], self.fc(torch.flatten(functional.adaptive_avg_pool2d(f3, 1), 1))


# MARK: training helpers

def trainable(model, train, frozen_all=True):
    """Everything in eval mode without gradients, then `train` modules in train mode with gradients; frozen
    batch norms keep their statistics (torchdistill's frozen modules would keep updating them)."""
    if frozen_all:
        model.eval()
        for p in model.parameters():
            p.requires_grad_(False)
    params = []
    for module in train:
        module.train()
        for p in module.parameters():
            p.requires_grad_(True)
            params.append(p)
    return params


def cosine(optimizer, steps, warmup=0.05):
    warm = max(1, int(steps * warmup))

    def factor(step):
        if step < warm:
            return (step + 1) / warm
        return 0.5 * (1 + math.cos(math.pi * (step - warm) / max(1, steps - warm)))
    return torch.optim.lr_scheduler.LambdaLR(optimizer, factor)


class Log:
    def __init__(self, path, every):
        self.file, self.every = open(path, "a"), every

    def step(self, stage, beta, step, steps, losses, started, force=False):
        if step % self.every and step != steps - 1 and not force:
            return
        seconds = time.time() - started
        rate = (step + 1) / seconds if seconds > 0 else 0.0
        record = {"stage": stage, "beta": beta, "step": step, "steps": steps, "seconds": round(seconds, 2),
                  "steps_per_second": round(rate, 2), "eta_seconds": round((steps - step - 1) / rate) if rate else None,
                  **{k: round(float(v), 5) for k, v in losses.items()}}
        self.file.write(json.dumps(record) + "\n")
        self.file.flush()
        print(" ".join(f"{k}={v}" for k, v in record.items()), flush=True)


def squared_error_per_pixel(student, teacher, pixels):
    return sum(functional.mse_loss(s, t.detach(), reduction="sum") for s, t in zip(student, teacher)) / pixels


def segmentation_loss(logits, masks):
    logits = functional.interpolate(logits, size=masks.shape[-2:], mode="bilinear", align_corners=False)
    return functional.cross_entropy(logits, masks, ignore_index=IGNORE)


def student_features(model, latent_hat):
    return list(ladon_torch.trunk(model, latent_hat).values())


def classify(model, features):
    return ladon_torch.classify(model, {"3": features[3]})


def run_stage(name, beta, steps, params, loss_fn, args, log, lr, extra=None):
    """One optimisation loop: Adam with warm-up and cosine decay; `extra` is an (optimizer, loss) pair
    stepped beside it (the entropy bottleneck's aux loss)."""
    torch.manual_seed(args.seed + STAGE_SEEDS[name])
    optimizer = torch.optim.Adam(params, lr=lr)
    schedule = cosine(optimizer, steps)
    started = time.time()
    for step in range(steps):
        optimizer.zero_grad(set_to_none=True)
        loss, parts = loss_fn()
        loss.backward()
        nn.utils.clip_grad_norm_(params, 10.0)
        optimizer.step()
        schedule.step()
        if extra is not None:
            aux_optimizer, aux_loss = extra
            aux_optimizer.zero_grad(set_to_none=True)
            aux = aux_loss()
            aux.backward()
            aux_optimizer.step()
            parts["aux"] = aux.detach()
        log.step(name, beta, step, steps, {"loss": loss.detach(), **parts}, started)
    elapsed = time.time() - started
    print(f"{name}: {steps} steps in {elapsed:.1f} s ({elapsed / max(1, steps):.3f} s/step)", flush=True)
    return elapsed / max(1, steps)


def checkpointed(path, args, module_or_modules, make):
    """Loads `path` into the module(s) when resuming and it exists; otherwise runs `make` and saves."""
    if args.resume and os.path.exists(path):
        module_or_modules.load_state_dict(torch.load(path, map_location=args.device))
        print(f"resumed from {path}", flush=True)
        return None
    seconds = make()
    torch.save(module_or_modules.state_dict(), path)
    return seconds


# MARK: the steps

def train_teacher(teacher, arch, samples, args, log, timings):
    def make():
        batches = stage_batches(samples, "teacher", args)
        params = trainable(teacher, [teacher])
        transform = ladon_torch.build(arch).detection_head.transform.to(args.device)

        def loss_fn():
            batch, _, masks, classes = batches.next(transform)
            features, logits = teacher(batch.tensors)
            cls = functional.cross_entropy(logits, classes, ignore_index=-1)
            seg = segmentation_loss(teacher.segmentation(features[3]), masks)
            return cls + seg, {"cls": cls.detach(), "seg": seg.detach()}
        return run_stage("teacher", None, args.teacher_steps, params, loss_fn, args, log, args.lr)
    timings["teacher"] = checkpointed(os.path.join(args.work, "teacher.pt"), args, teacher, make)
    teacher.eval()
    for p in teacher.parameters():
        p.requires_grad_(False)


def train_bottleneck(model, teacher, samples, beta, args, log, folder, timings):
    body, eb = model.shared_body, model.encoder.entropy_bottleneck
    transform = model.detection_head.transform
    for name in ("layer2", "layer3", "layer4"):  # the student's trunk starts as the teacher's
        getattr(body, name).load_state_dict(getattr(teacher, name).state_dict())
    model.classification_head.fc.load_state_dict(teacher.fc.state_dict())
    model.segmentation_head.classifier.load_state_dict(teacher.segmentation.state_dict())

    def make():
        batches = stage_batches(samples, "bottleneck", args)
        params = trainable(model, [model.encoder.encoder, body.decoder, eb])
        main_params = [p for p in params if p is not eb.quantiles]
        aux_optimizer = torch.optim.Adam([eb.quantiles], lr=args.aux_lr)

        def loss_fn():
            batch, _, _, _ = batches.next(transform)
            x = batch.tensors
            with torch.no_grad():
                targets, _ = teacher(x)
            latent_tilde, likelihoods = eb(model.encoder.encoder(x))
            features = student_features(model, latent_tilde)
            pixels = x.shape[0] * x.shape[2] * x.shape[3]
            distortion = args.distortion_weight * squared_error_per_pixel(features, targets, pixels)
            bpp = -torch.log2(likelihoods).sum() / pixels
            return distortion + beta * bpp, {"distortion": distortion.detach(), "bpp": bpp.detach()}
        seconds = run_stage("bottleneck", beta, args.steps_per_stage, main_params, loss_fn, args, log, args.lr,
                            extra=(aux_optimizer, eb.loss))
        fit_quantiles(model, args, log, beta)
        return seconds
    timings["bottleneck"] = checkpointed(os.path.join(folder, "step1.pt"), args, model, make)


def fit_quantiles(model, args, log, beta):
    """Finishes the aux loss once the density is fixed, so the medians (which set the rounding at inference)
    stop moving before steps 2 and 3 train on rounded latents. The aux loss reads only the density model,
    not the data, so these steps are cheap."""
    eb = model.encoder.entropy_bottleneck
    trainable(model, [])
    eb.quantiles.requires_grad_(True)
    steps = 5000  # about 0.3 ms each: Adam moves a quantile about lr per step, and an untrained density is wide
    optimizer = torch.optim.Adam([eb.quantiles], lr=0.5)
    schedule = cosine(optimizer, steps, warmup=0.0)
    started = time.time()
    for step in range(steps):
        optimizer.zero_grad(set_to_none=True)
        aux = eb.loss()
        aux.backward()
        optimizer.step()
        schedule.step()
        if step % 1000 == 0 or step == steps - 1:
            log.step("quantiles", beta, step, steps, {"aux": aux.detach()}, started, force=True)


def train_trunk(model, teacher, samples, beta, args, log, folder, timings, steps=None):
    body, transform = model.shared_body, model.detection_head.transform
    steps = steps or args.steps_per_stage

    def make():
        batches = stage_batches(samples, "trunk", args)
        # Optionally the DeepLab head trains beside the trunk, so the trunk's layer4 also learns where shapes
        # end, not only what the teacher's features say.
        modules = [body.decoder, body.layer2, body.layer3, body.layer4, model.classification_head]
        params = trainable(model, modules + ([model.segmentation_head] if args.segmentation_in_trunk else []))

        def loss_fn():
            batch, _, masks, classes = batches.next(transform)
            x = batch.tensors
            with torch.no_grad():
                latent_hat = ladon_torch.quantize(model, ladon_torch.encode(model, x))
            features = student_features(model, latent_hat)
            logits = classify(model, features)
            cls = functional.cross_entropy(logits, classes, ignore_index=-1)
            if teacher is None:  # fine-tuning a finished model: the labels alone
                parts = {"cls": cls}
            else:
                with torch.no_grad():
                    targets, teacher_logits = teacher(x)
                pixels = x.shape[0] * x.shape[2] * x.shape[3]
                distortion = args.distortion_weight * squared_error_per_pixel(features[1:], targets[1:], pixels)
                kd = functional.kl_div(functional.log_softmax(logits, 1), functional.softmax(teacher_logits, 1),
                                       reduction="batchmean")
                parts = {"distortion": distortion, "cls": 0.5 * cls, "kd": 0.5 * kd}
            if args.segmentation_in_trunk:
                parts["seg"] = segmentation_loss(model.segmentation_head.classifier(features[3]), masks)
            return sum(parts.values()), {k: v.detach() for k, v in parts.items()}
        return run_stage("trunk", beta, steps, params, loss_fn, args, log, args.lr * 0.3)
    timings["trunk"] = checkpointed(os.path.join(folder, "step2.pt"), args, model, make)


def train_heads(model, samples, beta, args, log, folder, timings):
    head, seg = model.detection_head, model.segmentation_head
    transform = head.transform
    # Training-only sampling settings (not part of the file): fewer proposals and RoIs per image than
    # torchvision's 2000 / 512, enough for a few shapes per frame and much cheaper.
    head.rpn._pre_nms_top_n["training"], head.rpn._post_nms_top_n["training"] = 600, 300
    head.roi_heads.fg_bg_sampler.batch_size_per_image = 128

    def make():
        batches = stage_batches(samples, "heads", args)
        # Optionally the classifier keeps learning on the frozen trunk: its features are computed here anyway.
        modules = [head.fpn, head.rpn, head.roi_heads, seg]
        params = trainable(model, modules + ([model.classification_head] if args.classifier_in_heads else []))

        def loss_fn():
            batch, targets, masks, classes = batches.next(transform)
            x = batch.tensors
            with torch.no_grad():
                features = ladon_torch.trunk(model, ladon_torch.quantize(model, ladon_torch.encode(model, x)))
            pyramid = head.fpn(features)
            proposals, rpn_losses = head.rpn(batch, pyramid, targets)
            _, roi_losses = head.roi_heads(pyramid, proposals, batch.image_sizes, targets)
            seg_loss = segmentation_loss(seg.classifier(features["3"]), masks)
            parts = {**rpn_losses, **roi_losses, "seg": seg_loss}
            if args.classifier_in_heads:
                logits = ladon_torch.classify(model, features)
                parts["cls"] = functional.cross_entropy(logits, classes, ignore_index=-1)
            return sum(parts.values()), {k: v.detach() for k, v in parts.items()}
        return run_stage("heads", beta, args.heads_steps, params, loss_fn, args, log, args.lr)
    timings["heads"] = checkpointed(os.path.join(folder, "step3.pt"), args, model, make)


def train_beta(beta, arch_name, teacher, samples, args, log):
    torch.manual_seed(args.seed)
    arch = ladon_torch.preset(arch_name, beta)
    model = ladon_torch.build(arch).to(args.device, memory_format=torch.channels_last)
    folder = os.path.join(args.work, f"beta{beta:g}")
    os.makedirs(folder, exist_ok=True)
    timings = {}
    train_bottleneck(model, teacher, samples, beta, args, log, folder, timings)
    train_trunk(model, teacher, samples, beta, args, log, folder, timings)
    train_heads(model, samples, beta, args, log, folder, timings)
    model = model.cpu().eval()
    model.encoder.entropy_bottleneck.update(force=True)
    path = os.path.join(args.out, f"{arch_name}-beta{beta:g}.safetensors")
    source = (f"trained on shapes world by tools/train.py: seed {args.seed}, {args.data_count} images, "
              f"teacher {args.teacher_steps} steps, {args.steps_per_stage} steps per stage, heads {args.heads_steps}{' with classifier' if args.classifier_in_heads else ''}"
              f"{', segmentation in trunk' if args.segmentation_in_trunk else ''}, batch {args.batch_size}, beta {beta:g}, "
              f"distortion weight {args.distortion_weight:g}")
    write(model, path, source)
    return path, timings


def write(model, path, source):
    """The model file, its tensors back in plain row-major order (training kept them channels-last)."""
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    model_file.write_model_file(model.cpu().to(memory_format=torch.contiguous_format).eval(), path, source)
    print(f"wrote {path} ({os.path.getsize(path) / 1e6:.2f} MB)", flush=True)


def finetune(path, samples, args, log):
    """Steps 2 and 3 again on a finished model file: encoder and entropy bottleneck stay as they are (so its
    latents and their coding do not change), the trunk learns from the class labels and the masks
    (`--trunk-steps`), then the heads as in step 3. The file's entropy tables are kept, not rebuilt."""
    model = model_file.read_model_file(path).to(args.device, memory_format=torch.channels_last)
    beta = model.architecture["beta"]
    stem = os.path.splitext(os.path.basename(path))[0]
    folder = os.path.join(args.work, f"finetune-{stem}")
    os.makedirs(folder, exist_ok=True)
    timings = {}
    train_trunk(model, None, samples, beta, args, log, folder, timings, steps=args.trunk_steps)
    train_heads(model, samples, beta, args, log, folder, timings)
    earlier = model.architecture.get("source", stem)
    model.architecture = {k: v for k, v in model.architecture.items() if k != "source"}
    out = os.path.join(args.out, f"{stem}.safetensors")
    source = (f"{earlier}; then fine-tuned by tools/train.py --finetune: seed {args.seed}, {args.data_count} images, "
              f"trunk {args.trunk_steps} steps on classes and masks, heads {args.heads_steps}"
              f"{' with classifier' if args.classifier_in_heads else ''}, batch {args.batch_size}")
    write(model, out, source)
    return out, timings


# MARK: evaluation

def normalised(name):
    return name.lower().replace(" ", "").replace("_", "").replace("-", "")


@torch.no_grad()
def evaluate(path, annotations, images_dir, masks_dir, limit=None):
    """The PyTorch model's scores on a labelled set, by the rules `ladon-eval` states (classes matched by
    name; mIoU from one confusion matrix, classes absent from both ground truth and prediction left out)."""
    model = model_file.read_model_file(path)
    scores = score(model.architecture["heads"], lambda image: ladon_torch.run_all(model, image),
                   annotations, images_dir, masks_dir, limit)
    return {"model": path, **scores}


@torch.no_grad()
def evaluate_teacher(teacher, arch, eval_set, device):
    """The teacher's top-1 and mIoU on the held-out set (it has no detection head): the ceiling the students
    distil towards, worth knowing before a longer recipe is paid for."""
    transform = ladon_torch.build(arch).detection_head.transform.to(device)

    def predict(image):
        images, _ = transform([image.to(device)], None)
        features, logits = teacher(images.tensors)
        seg = functional.interpolate(teacher.segmentation(features[3]), size=tuple(images.tensors.shape[-2:]),
                                     mode="bilinear", align_corners=False)
        labels = ladon_torch.segmentation_labels(seg, images.image_sizes[0], tuple(image.shape[-2:]))
        return {"class_logits": logits.cpu(), "seg_labels": labels.cpu()}

    scores = score(arch["heads"], predict, os.path.join(eval_set, "annotations.json"),
                   os.path.join(eval_set, "images"), os.path.join(eval_set, "masks"))
    return {"top1": scores["top1"], "mIoU": scores["mIoU"]}


def score(heads, predict, annotations, images_dir, masks_dir, limit=None):
    """Top-1, box mAP (when `predict` returns detections) and mIoU of `predict` ([3,H,W] in [0,1] -> a dict
    like `ladon_torch.run_all`'s) on a labelled set."""
    with open(annotations) as f:
        document = json.load(f)
    by_name = {normalised(c["name"]): c["id"] for c in document["categories"]}
    cls_ids = [by_name.get(normalised(n), -1) for n in heads["classification"]["class_names"]]
    det_ids = [by_name.get(normalised(n), -1) for n in heads["detection"]["class_names"]]
    seg_ids = [0 if normalised(n) == "background" else by_name.get(normalised(n), -1)
               for n in heads["segmentation"]["class_names"]]
    size = max(max(by_name.values()), max(seg_ids)) + 1
    confusion = np.zeros((size, size), np.int64)
    correct, detections, images = 0, [], document["images"][:limit] if limit else document["images"]
    detecting = False
    for info in images:
        image = np.asarray(Image.open(os.path.join(images_dir, info["file_name"])).convert("RGB"))
        out = predict(torch.from_numpy(image.copy()).permute(2, 0, 1).float() / 255)
        correct += int(cls_ids[int(out["class_logits"].argmax())] == info["class"])
        if "detections" in out:
            detecting = True
            det = out["detections"]
            for box, label, score_ in zip(det["boxes"].tolist(), det["labels"].tolist(), det["scores"].tolist()):
                if det_ids[label] > 0:
                    detections.append({"image_id": info["id"], "category_id": det_ids[label], "score": score_,
                                       "bbox": [box[0], box[1], box[2] - box[0], box[3] - box[1]]})
        predicted = np.asarray(seg_ids)[out["seg_labels"].numpy()]
        stem = os.path.splitext(info["file_name"])[0]
        truth = np.asarray(Image.open(os.path.join(masks_dir, stem + ".png")), dtype=np.int64)
        keep = (truth != IGNORE) & (predicted >= 0)
        confusion += np.bincount(truth[keep] * size + predicted[keep], minlength=size * size).reshape(size, size)
    present = (confusion.sum(0) + confusion.sum(1)) > 0
    inter = np.diag(confusion)
    union = confusion.sum(0) + confusion.sum(1) - inter
    miou = float(np.mean(inter[present] / union[present]))
    scores = {"images": len(images), "top1": correct / len(images)}
    if detecting:
        subset = {**document, "images": images,
                  "annotations": [a for a in document["annotations"] if a["image_id"] in {i["id"] for i in images}]}
        scores["mAP"], scores["mAP50"] = box_map(subset, detections)
    return {**scores, "mIoU": miou}


def box_map(document, detections):
    try:
        from pycocotools.coco import COCO
        from pycocotools.cocoeval import COCOeval
    except ImportError:
        return own_box_map(document, detections)
    import contextlib
    with contextlib.redirect_stdout(io.StringIO()):
        truth = COCO()
        truth.dataset = document
        truth.createIndex()
        if not detections:
            return 0.0, 0.0
        found = truth.loadRes(detections)
        evaluation = COCOeval(truth, found, "bbox")
        evaluation.evaluate()
        evaluation.accumulate()
        evaluation.summarize()
    return float(evaluation.stats[0]), float(evaluation.stats[1])


def iou_matrix(a, b):
    """IoU of [x, y, w, h] boxes, COCO style (no +1)."""
    a, b = np.asarray(a, float).reshape(-1, 4), np.asarray(b, float).reshape(-1, 4)
    ax2, ay2, bx2, by2 = a[:, 0] + a[:, 2], a[:, 1] + a[:, 3], b[:, 0] + b[:, 2], b[:, 1] + b[:, 3]
    w = np.clip(np.minimum(ax2[:, None], bx2[None]) - np.maximum(a[:, 0:1], b[None, :, 0]), 0, None)
    h = np.clip(np.minimum(ay2[:, None], by2[None]) - np.maximum(a[:, 1:2], b[None, :, 1]), 0, None)
    inter = w * h
    return inter / (a[:, 2:3] * a[:, 3:4] + (b[:, 2] * b[:, 3])[None] - inter)


def own_box_map(document, detections):
    """COCOeval's bbox AP without pycocotools: greedy matching by score per image and category, 101-point
    interpolated precision, categories with ground truth, 100 detections per image, no crowd."""
    thresholds = np.linspace(0.5, 0.95, 10)
    recall_points = np.linspace(0, 1, 101)
    truths = [a for a in document["annotations"] if not a.get("iscrowd")]
    per_category = []
    for category in sorted({a["category_id"] for a in truths}):
        gts = {}
        for a in truths:
            if a["category_id"] == category:
                gts.setdefault(a["image_id"], []).append(a["bbox"])
        dts = {}
        for d in detections:
            if d["category_id"] == category:
                dts.setdefault(d["image_id"], []).append(d)
        total = sum(len(v) for v in gts.values())
        scores, matched = [], [[] for _ in thresholds]
        for image_id, found in dts.items():
            found = sorted(found, key=lambda d: -d["score"])[:100]
            boxes = gts.get(image_id, [])
            ious = iou_matrix([d["bbox"] for d in found], boxes) if boxes else np.zeros((len(found), 0))
            scores += [d["score"] for d in found]
            for t, threshold in enumerate(thresholds):
                used = set()
                for i in range(len(found)):
                    best, best_iou = -1, min(threshold, 1 - 1e-10)
                    for j in range(len(boxes)):
                        if j not in used and ious[i, j] >= best_iou:
                            best, best_iou = j, ious[i, j]
                    if best >= 0:
                        used.add(best)
                    matched[t].append(best >= 0)
        order = np.argsort(-np.asarray(scores), kind="mergesort")
        row = []
        for t in range(len(thresholds)):
            tp = np.cumsum(np.asarray(matched[t], bool)[order]) if scores else np.zeros(0)
            fp = np.cumsum(~np.asarray(matched[t], bool)[order]) if scores else np.zeros(0)
            recall = tp / total
            precision = tp / np.maximum(tp + fp, np.spacing(1))
            for k in range(len(precision) - 1, 0, -1):
                precision[k - 1] = max(precision[k - 1], precision[k])
            indices = np.searchsorted(recall, recall_points, side="left")
            sampled = [precision[i] if i < len(precision) else 0.0 for i in indices]
            row.append(float(np.mean(sampled)))
        per_category.append(row)
    if not per_category:
        return 0.0, 0.0
    table = np.asarray(per_category)
    return float(table.mean()), float(table[:, 0].mean())


# MARK: command line

def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--beta", type=float, action="append", help="rate weight; repeat for several models")
    parser.add_argument("--preset", default="default", choices=["default"])
    parser.add_argument("--steps-per-stage", type=int, default=1500)
    parser.add_argument("--teacher-steps", type=int, help="steps of the teacher (step 0); default: --steps-per-stage")
    parser.add_argument("--heads-steps", type=int, help="steps of the heads (step 3); default: --steps-per-stage")
    parser.add_argument("--classifier-in-heads", action="store_true",
                        help="train the classification head again in step 3, on the frozen trunk")
    parser.add_argument("--segmentation-in-trunk", action="store_true",
                        help="train the DeepLab head beside the trunk in step 2 (its loss on the masks)")
    parser.add_argument("--data-count", type=int, default=3000, help="training images rendered")
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--distortion-weight", type=float,
                        help="multiplies the feature distortion; default: official stem width / this preset's "
                             "(256/48 for default), as if the features had the reference's channel count")
    parser.add_argument("--aux-lr", type=float, default=1e-2)
    parser.add_argument("--size", default="320x240", help="training image WIDTHxHEIGHT")
    parser.add_argument("--quality", type=int, default=90, help="JPEG quality of the training images")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads")
    parser.add_argument("--work", default="train-out", help="checkpoints, logs and the rendered training set")
    parser.add_argument("--out", default="models", help="where the model files go")
    parser.add_argument("--resume", action="store_true", help="reuse the checkpoints of finished steps")
    parser.add_argument("--log-every", type=int, default=20)
    parser.add_argument("--finetune", nargs="+", metavar="MODEL",
                        help="run steps 2 (labels and masks only, no teacher) and 3 again on finished model files")
    parser.add_argument("--trunk-steps", type=int, default=1500, help="steps of the trunk in --finetune")
    parser.add_argument("--evaluate", nargs="+", metavar="MODEL", help="score model files instead of training")
    parser.add_argument("--eval-set", default="samples/eval", help="folder with annotations.json, images/, masks/")
    parser.add_argument("--eval-limit", type=int, help="score only the first N images")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    if args.evaluate:
        for path in args.evaluate:
            scores = evaluate(path, os.path.join(args.eval_set, "annotations.json"),
                              os.path.join(args.eval_set, "images"), os.path.join(args.eval_set, "masks"),
                              args.eval_limit)
            print(json.dumps(scores), flush=True)
        return
    if not args.beta and not args.finetune:
        parser.error("give at least one --beta (or --finetune MODEL)")
    if args.device == "cuda" and not torch.cuda.is_available():
        parser.error("--device cuda but torch sees no GPU")
    os.makedirs(args.work, exist_ok=True)
    torch.manual_seed(args.seed)
    np.random.seed(args.seed)
    if args.teacher_steps is None:
        args.teacher_steps = args.steps_per_stage
    if args.heads_steps is None:
        args.heads_steps = args.steps_per_stage
    if args.distortion_weight is None:
        official = ladon_torch.preset("official")["trunk"]["inplanes"]
        args.distortion_weight = official / ladon_torch.preset(args.preset)["trunk"]["inplanes"]
    log = Log(os.path.join(args.work, "log.jsonl"), args.log_every)
    samples = load_training_set(args)
    if args.finetune:
        args.segmentation_in_trunk = True
        summary = {"models": {}}
        for path in args.finetune:
            out, step_timings = finetune(path, samples, args, log)
            summary["models"][out] = {f"{k}_s_per_step": v for k, v in step_timings.items()}
        with open(os.path.join(args.work, "summary.json"), "w") as f:
            json.dump(summary, f, indent=1)
        print(json.dumps(summary), flush=True)
        return
    arch = ladon_torch.preset(args.preset)
    torch.manual_seed(args.seed)
    teacher = Teacher(arch).to(args.device, memory_format=torch.channels_last)
    timings = {}
    train_teacher(teacher, arch, samples, args, log, timings)
    teacher_scores = evaluate_teacher(teacher, arch, args.eval_set, args.device)
    print(f"teacher on {args.eval_set}: top-1 {teacher_scores['top1']:.3f}, mIoU {teacher_scores['mIoU']:.3f}", flush=True)
    summary = {"teacher_s_per_step": timings.get("teacher"), "teacher_scores": teacher_scores, "models": {}}
    for beta in args.beta:
        path, step_timings = train_beta(beta, args.preset, teacher, samples, args, log)
        summary["models"][path] = {f"{k}_s_per_step": v for k, v in step_timings.items()}
    with open(os.path.join(args.work, "summary.json"), "w") as f:
        json.dump(summary, f, indent=1)
    print(json.dumps(summary), flush=True)


if __name__ == "__main__":
    main()
