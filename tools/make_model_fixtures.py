"""Writes the tiny-model fixtures under Tests/Fixtures/model from the PyTorch reference.

  python tools/make_model_fixtures.py [--out Tests/Fixtures/model]

- tiny.safetensors: the `tiny` preset (tools/ladon_torch.py), seeded random init with calibrated batch
  norms and a fitted entropy model (tools/convert.py), detection scores sharpened until the reference finds
  at least MIN_DETECTIONS boxes on the fixture image.
- tiny-input.jpg: a 131x97 crop of scikit-image's 'chelsea' photo, 4:4:4 chroma so every JPEG decoder agrees.
- tiny-reference.safetensors: everything the reference computes on that JPEG (names in `tensors_of`;
  `seg_logits_low` is the DeepLab head's output before the upsampling to the padded input), with a
  "reference" metadata entry holding the original, resized and padded sizes.
- tiny-resnest.safetensors, tiny-resnest-reference.safetensors: the same for the `tiny-resnest` preset
  (timm ResNeSt blocks in layer2..4), same seed, initialisation and batch-norm calibration, same JPEG; its
  detection scores are sharpened to a set class-logit spread with the foreground classes levelled.
"""
import argparse
import io
import json
import os
import pathlib

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402
import torch  # noqa: E402
from PIL import Image  # noqa: E402
from safetensors.numpy import save_file  # noqa: E402

import convert  # noqa: E402
import ladon_torch  # noqa: E402
import model_file  # noqa: E402

SEED = 7
MIN_DETECTIONS = 5
MAX_DETECTIONS = 60  # stay clear of box_detections_per_img, where a rank cut-off would decide membership
CLASS_LOGIT_SPREAD = 3.0  # tiny-resnest: standard deviation of the box predictor's class logits


def fixture_jpeg():
    from skimage import data
    photo = data.chelsea()  # 300x451 RGB
    crop = Image.fromarray(photo[60:157, 150:281])  # 97 rows x 131 columns
    buffer = io.BytesIO()
    crop.save(buffer, format="JPEG", quality=92, subsampling=0)
    return buffer.getvalue()


def decode(jpeg):
    """RGB bytes as PIL decodes them, and the [3,H,W] float image in [0,1] the reference consumes."""
    rgb = np.asarray(Image.open(io.BytesIO(jpeg)).convert("RGB"))
    return rgb, torch.from_numpy(rgb.copy()).permute(2, 0, 1).float() / 255


def tensors_of(result, rgb):
    f32 = lambda t: t.detach().to(torch.float32).contiguous().numpy()  # noqa: E731
    det = result["detections"]
    out = {
        "image_rgb": rgb.astype(np.uint8),
        "input": f32(result["input"]), "latent": f32(result["latent"]),
        "latent_quantized": f32(result["latent_quantized"]),
        "latent_symbols": result["latent_symbols"].to(torch.int32).numpy(),
        "latent_bytes": np.frombuffer(result["latent_strings"][0], dtype=np.uint8).copy(),
        "class_logits": f32(result["class_logits"]),
        "seg_logits_low": f32(result["seg_logits_low"]), "seg_logits": f32(result["seg_logits"]),
        "seg_labels": result["seg_labels"].to(torch.uint8).numpy(),
        "rpn_proposals": f32(result["proposals"]),
        "detection_boxes": f32(det["boxes"]), "detection_labels": det["labels"].to(torch.int32).numpy(),
        "detection_scores": f32(det["scores"]),
    }
    for index, feature in enumerate(result["features"].values()):
        out[f"feature{index}"] = f32(feature)
    for name, level in result["fpn"].items():
        out[f"fpn_{name}"] = f32(level)
    return out


def write_fixtures(out, preset, image, rgb):
    """`<preset>.safetensors` and `<preset>-reference.safetensors`; returns the reference metadata."""
    model = convert.random_init(preset, SEED)
    # Sharpen until the reference keeps enough boxes, with the score spread wide enough for stable ranks.
    convert.sharpen_dense_heads(model, 4.0)
    if preset == "tiny":
        convert.sharpen_detection(model, rpn_scale=20.0, class_scale=80.0)
    else:
        # At tiny's class scale the ResNeSt trunk's box features give every box a score of 1 for one class:
        # set the class-logit spread instead (as tools/parity.py does) and level the foreground classes.
        convert.sharpen_detection(model, rpn_scale=20.0, class_scale=1.0)
        convert.sharpen_detection(model, 1.0, CLASS_LOGIT_SPREAD / convert.class_logit_spread(model, [image]))
        convert.balance_classes(model, [image])
    count = convert.tune_background(model, [image], MIN_DETECTIONS, MAX_DETECTIONS)
    model_path = out / f"{preset}.safetensors"
    model_file.write_model_file(model, str(model_path),
                                f"tools/make_model_fixtures.py: {preset} preset, seed {SEED}, not a trained model")

    # The reference runs on the model as read back from the file, so the fixture checks the file too.
    model = model_file.read_model_file(str(model_path))
    result = ladon_torch.run_all(model, image)
    count = len(result["detections"]["boxes"])
    if count < MIN_DETECTIONS:
        raise SystemExit(f"only {count} detections on the fixture image")
    metadata = {"reference": json.dumps({
        "original_size": result["original_size"], "resized_size": result["resized_size"],
        "padded_size": result["padded_size"], "detections": count,
        "model": model_path.name, "image": "tiny-input.jpg"})}
    save_file(tensors_of(result, rgb), str(out / f"{preset}-reference.safetensors"), metadata=metadata)
    return json.loads(metadata["reference"])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="Tests/Fixtures/model")
    args = parser.parse_args()
    torch.set_num_threads(1)
    out = pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    jpeg = fixture_jpeg()
    (out / "tiny-input.jpg").write_bytes(jpeg)
    rgb, image = decode(jpeg)
    references = [write_fixtures(out, preset, image, rgb) for preset in ("tiny", "tiny-resnest")]
    sizes = {p.name: p.stat().st_size for p in sorted(out.iterdir())}
    print(json.dumps({"sizes": sizes, "references": references}))


if __name__ == "__main__":
    main()
