"""Fixtures for Tests/EvaluationTests: expected scores computed by pycocotools (box mAP) and numpy (mIoU).

    python tools/make_evaluation_fixtures.py

Tests/Fixtures/evaluation/
  boxes/ground-truth.json, detections.json, expected.json
      COCO ground truth and detections with the awkward cases (non-contiguous category ids, a category
      with detections but no ground truth, one with neither, an image with no objects, tied scores,
      more than 100 detections of one class in one image) and pycocotools' mAP@[.5:.95], mAP@.5 and
      per-category AP.
  run/annotations.json, masks/*.png, results/*.json, results/*.mask.png, expected.json
      A small labelled set and `ladon-edge infer`-shaped results whose model class names differ from the
      data set's in case, separators and order (one matches nothing), with top-1, mAP and mIoU computed
      by matching names as ladon-eval documents.
"""
import contextlib
import io
import json
import os

import numpy as np
from PIL import Image
from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval

from shapes_world import voc_palette

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Tests", "Fixtures", "evaluation")



def coco_scores(ground_truth, detections):
    """pycocotools' bbox mAP@[.5:.95], mAP@.5 and per-category AP ("all" areas, maxDets 100)."""
    with contextlib.redirect_stdout(io.StringIO()):
        gt = COCO()
        gt.dataset = json.loads(json.dumps(ground_truth))
        gt.createIndex()
        dt = gt.loadRes(json.loads(json.dumps(detections)))
        evaluation = COCOeval(gt, dt, "bbox")
        evaluation.evaluate()
        evaluation.accumulate()
        evaluation.summarize()
    precision = evaluation.eval["precision"]  # [T, R, K, A, M]
    per_category = {}
    for k, category in enumerate(evaluation.params.catIds):
        p = precision[:, :, k, 0, -1]
        if (p > -1).any():
            per_category[str(category)] = {"ap": float(p[p > -1].mean()), "ap50": float(p[0][p[0] > -1].mean())}
    return {"map": float(evaluation.stats[0]), "map50": float(evaluation.stats[1]), "categories": per_category}


def random_box(rng, width, height):
    w, h = rng.uniform(4, width / 2), rng.uniform(4, height / 2)
    return [round(float(rng.uniform(0, width - w)), 2), round(float(rng.uniform(0, height - h)), 2), round(float(w), 2), round(float(h), 2)]


def box_fixture(rng):
    width, height = 97, 61
    categories = [{"id": i, "name": f"c{i}"} for i in (1, 2, 3, 4, 7)]  # 4: nothing at all; 7: detections only
    images, annotations, detections = [], [], []
    for image_id in (3, 5, 8, 13, 21, 34):
        images.append({"id": image_id, "file_name": f"{image_id}.jpg", "width": width, "height": height})
        count = 0 if image_id == 13 else int(rng.integers(1, 6))
        for _ in range(count):
            category = int(rng.choice([1, 2, 3]))
            box = random_box(rng, width, height)
            annotations.append({"id": len(annotations) + 1, "image_id": image_id, "category_id": category, "bbox": box,
                                "area": box[2] * box[3], "iscrowd": 0})
            for _ in range(int(rng.integers(0, 3))):  # jittered hits, some duplicates
                jitter = rng.normal(0, 2.5, size=4)
                found = [round(float(box[0] + jitter[0]), 2), round(float(box[1] + jitter[1]), 2),
                         round(float(max(1, box[2] + jitter[2])), 2), round(float(max(1, box[3] + jitter[3])), 2)]
                detections.append({"image_id": image_id, "category_id": category, "bbox": found,
                                   "score": round(float(rng.uniform(0.3, 1.0)), 1)})  # coarse scores: ties
        for _ in range(int(rng.integers(0, 4))):  # false positives, including category 7
            detections.append({"image_id": image_id, "category_id": int(rng.choice([1, 2, 3, 7])),
                               "bbox": random_box(rng, width, height), "score": round(float(rng.uniform(0, 0.8)), 1)})
    # One image with 120 detections of category 1: only the best 100 count, so the exact hit (6th lowest) is dropped.
    target = next(a for a in annotations if a["category_id"] == 1)
    for i in range(120):
        box = target["bbox"] if i == 5 else random_box(rng, width, height)
        detections.append({"image_id": target["image_id"], "category_id": 1, "bbox": box, "score": round(0.05 + 0.9 * i / 119, 4)})
    ground_truth = {"images": images, "annotations": annotations, "categories": categories}
    return ground_truth, detections


def run_fixture(rng, folder):
    """A labelled set plus ladon-edge-shaped results, with the expected scores."""
    width, height = 40, 30
    dataset_names = {1: "circle", 2: "square", 3: "traffic light"}
    model_seg = ["__background__", "Square", "blob", "circle", "Traffic_Light"]  # model label -> name
    model_det = ["__background__", "circle", "Square", "blob", "traffic-light"]
    model_cls = ["square", "traffic light", "circle", "blob"]
    norm = lambda s: "".join(ch for ch in s.lower() if ch not in " _-")
    by_name = {norm(n): i for i, n in dataset_names.items()}
    by_name["background"] = 0
    os.makedirs(os.path.join(folder, "masks"), exist_ok=True)
    os.makedirs(os.path.join(folder, "results"), exist_ok=True)
    palette = voc_palette()
    images, annotations, detections = [], [], []
    correct = classified = 0
    confusion = np.zeros((256, 257), np.int64)
    for i in range(5):
        image_id, stem = i + 1, f"img-{i}"
        truth = rng.integers(0, 4, size=(height, width)).astype(np.uint8)
        truth[rng.random((height, width)) < 0.05] = 255  # VOC ignore
        predicted = rng.integers(0, len(model_seg), size=(height, width)).astype(np.uint8)
        predicted[truth == 1] = 3  # model's "circle" is label 3: good on circles
        mask = Image.fromarray(truth, "P")
        mask.putpalette(palette)
        mask.save(os.path.join(folder, "masks", stem + ".png"))
        Image.fromarray(predicted, "L").save(os.path.join(folder, "results", stem + ".mask.png"))
        lookup = np.array([by_name.get(norm(n), 256) for n in model_seg] + [256] * (256 - len(model_seg)))
        valid = truth != 255
        confusion += np.bincount(truth[valid].astype(np.int64) * 257 + lookup[predicted[valid]],
                                 minlength=256 * 257).reshape(256, 257)

        image_class = int(rng.integers(1, 4))
        top = int(rng.integers(0, len(model_cls)))
        classified += 1
        correct += by_name.get(norm(model_cls[top])) == image_class
        images.append({"id": image_id, "file_name": stem + ".jpg", "width": width, "height": height,
                       "class": image_class if i != 2 else dataset_names[image_class]})
        found = []
        for _ in range(int(rng.integers(0, 4)) if i != 4 else 0):  # image 4: no objects, no detections
            category = int(rng.integers(1, 4))
            box = random_box(rng, width, height)
            annotations.append({"id": len(annotations) + 1, "image_id": image_id, "category_id": category, "bbox": box,
                                "area": box[2] * box[3], "iscrowd": 0})
            label = next(k for k, n in enumerate(model_det) if by_name.get(norm(n)) == category)
            shift = float(rng.normal(0, 1.5))
            x1, y1 = box[0] + shift, box[1] - shift / 2
            found.append({"box": [x1, y1, x1 + box[2], y1 + box[3]], "label": label, "name": model_det[label],
                          "score": float(np.float32(rng.uniform(0.2, 1)))})
        if i == 1:  # a crowd region: dropped from the ground truth
            annotations.append({"id": len(annotations) + 1, "image_id": image_id, "category_id": 1,
                                "bbox": [1, 1, 10, 10], "area": 100, "iscrowd": 1})
        found.append({"box": [2.0, 3.0, 20.0, 25.0], "label": 3, "name": "blob", "score": 0.9})  # matches nothing
        found.append({"box": [5.0, 5.0, 15.0, 12.0], "label": 1, "name": "circle", "score": float(np.float32(0.4))})
        for f in found:
            if by_name.get(norm(f["name"])) is not None:
                x1, y1, x2, y2 = (float(np.float32(v)) for v in f["box"])
                detections.append({"image_id": image_id, "category_id": by_name[norm(f["name"])],
                                   "bbox": [x1, y1, x2 - x1, y2 - y1], "score": float(np.float32(f["score"]))})
        result = {
            "frame": {"width": width, "height": height, "node": "fixture", "sequence": i},
            "classification": {"logits": [0.0] * len(model_cls),
                               "top5": [{"class": top, "name": model_cls[top], "prob": 0.5}]},
            "segmentation": {"width": width, "height": height, "classes": model_seg, "present": []},
            "detection": found,
            "timings": [],
        }
        with open(os.path.join(folder, "results", stem + ".json"), "w") as f:
            json.dump(result, f)
    categories = [{"id": k, "name": n} for k, n in dataset_names.items()]
    ground_truth = {"images": images, "annotations": annotations, "categories": categories}
    with open(os.path.join(folder, "annotations.json"), "w") as f:
        json.dump(ground_truth, f, indent=1)
    no_crowd = dict(ground_truth, annotations=[a for a in annotations if not a["iscrowd"]])
    boxes = coco_scores(no_crowd, detections)
    rows, columns, diagonal = confusion.sum(1), confusion.sum(0)[:256], np.diag(confusion[:, :256])
    union = rows + columns - diagonal
    present = [k for k in range(255) if union[k] > 0]
    ious = {str(k): float(diagonal[k] / union[k]) for k in present}
    expected = {"top1": correct / classified, "map": boxes["map"], "map50": boxes["map50"],
                "miou": float(np.mean([ious[str(k)] for k in present])), "iou": ious,
                "pixel_accuracy": float(diagonal[:255].sum() / confusion.sum())}
    with open(os.path.join(folder, "expected.json"), "w") as f:
        json.dump(expected, f, indent=1)


def main():
    rng = np.random.default_rng(20251)
    folder = os.path.join(ROOT, "boxes")
    os.makedirs(folder, exist_ok=True)
    ground_truth, detections = box_fixture(rng)
    expected = coco_scores(ground_truth, detections)
    for name, value in (("ground-truth", ground_truth), ("detections", detections), ("expected", expected)):
        with open(os.path.join(folder, name + ".json"), "w") as f:
            json.dump(value, f, indent=1)
    run_fixture(rng, os.path.join(ROOT, "run"))


if __name__ == "__main__":
    main()
