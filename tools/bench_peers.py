"""Swift beside its peers in one invocation: PyTorch, ONNX Runtime and OpenVINO on the same weights.

    python tools/bench_peers.py --quick                       # a few minutes: 1 round, 3 runs per stage
    python tools/bench_peers.py --rounds 3 --runs 5 --threads 1 2 --json peers.json

Without --model the weights are tools/convert.py's seeded random init of the official architecture (the
file is written under --work so Swift reads the same weights). The script
  1. exports the PyTorch reference (tools/ladon_torch.py) to ONNX at the frame's fixed shapes: the mobile
     encoder, the whole edge graph (latent to class logits, segmentation logits at the padded input, and
     detections in original pixels, RoIAlign and NMS included) and each edge stage on its own (decoder,
     layer2..4, classification, segmentation, FPN, RPN with anchors and NMS, RoIAlign, box head, detection);
  2. checks every peer's outputs against PyTorch's in this run (class logits, segmentation labels,
     detections matched by label and IoU);
  3. times Swift (`ladon-bench --json`), PyTorch (tools/bench_reference.py), ONNX Runtime and OpenVINO, each
     in its own process so that its thread setting holds, in interleaved rounds (the order rotates each
     round) at every thread count, and the peak resident memory of one edge frame in a fresh process each;
  4. prints per stage and for the whole frame the median ms of each runtime and Swift's ratio against the
     best peer (the median of the per-round ratios: only ratios from the same round are compared).

Entropy coding is compressai's for every peer (ONNX has no rANS): a peer's `edge_frame` is compressai's
decompress plus its edge graph, its `encoder_coding` its encoder plus compressai's compress.
"""
import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time

import numpy as np

TOOLS = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(TOOLS)
PEERS = ("pytorch", "onnxruntime", "openvino")
RUNTIMES = ("swift",) + PEERS
# Stages every runtime reports, in the table's order; composite rows are sums of these.
STAGES = ("encoder", "entropy_compress", "entropy_decompress", "decoder", "layers", "classification",
          "segmentation", "fpn", "rpn", "roi_align", "box_head", "detection", "edge_frame")
DENSE = ("decoder", "layers", "fpn", "rpn", "box_head", "aspp", "segmentation")


# MARK: the frame and the reference's tensors

def load_model(args):
    import convert
    import model_file
    if args.model:
        return model_file.read_model_file(args.model), args.model
    path = os.path.join(args.work, f"{args.preset}-random-seed0.safetensors")
    model = convert.random_init(args.preset, seed=0)
    if not os.path.exists(path):
        model_file.write_model_file(model, path, f"tools/convert.py --random-init --seed 0 --preset {args.preset}")
    return model, path


def coded_frame(model, image_path):
    """The frame as the mobile side leaves it: the preprocessed batch, the original size, the latent and its
    compressai strings."""
    import torch
    from PIL import Image

    import ladon_torch
    rgb = np.asarray(Image.open(image_path).convert("RGB"))
    image = torch.from_numpy(rgb.copy()).permute(2, 0, 1).float() / 255
    with torch.no_grad():
        images, original = ladon_torch.preprocess(model, image)
        latent = ladon_torch.encode(model, images.tensors)
        strings = ladon_torch.compress(model, latent)
    return {"images": images, "original": original, "x": images.tensors, "latent": latent, "strings": strings}


def reference_tensors(model, image_path):
    """The frame through the reference: everything the stages take as input, and their outputs."""
    import torch

    import ladon_torch
    ref = coded_frame(model, image_path)
    images = ref["images"]
    with torch.no_grad():
        latent_hat = ladon_torch.decompress(model, ref["strings"], ref["latent"].shape[-2:])
        features = ladon_torch.trunk(model, latent_hat)
        head = model.detection_head
        pyramid = head.fpn(features)
        proposals, _ = head.rpn(images, pyramid)
        pooled = head.roi_heads.box_roi_pool(pyramid, proposals, images.image_sizes)
    return {**ref, "latent_hat": latent_hat, "features": features, "pyramid": pyramid, "proposals": proposals[0],
            "pooled": pooled}


# MARK: the ONNX graphs

def stage_modules(model, ref):
    """name -> (module, example inputs, input names, output names), every shape fixed to this frame."""
    import torch
    from torch import nn
    from torchvision.models.detection.image_list import ImageList

    import ladon_torch
    padded = tuple(ref["x"].shape[-2:])
    sizes = [tuple(s) for s in ref["images"].image_sizes]
    original = ref["original"]
    head = model.detection_head
    levels = list(ref["pyramid"].keys())

    def image_list():
        return ImageList(torch.zeros(1, 3, *padded), sizes)

    class Encoder(nn.Module):
        def forward(self, x):
            return ladon_torch.encode(model, x)

    class Decoder(nn.Module):
        def forward(self, latent):
            return model.shared_body.decoder(latent)

    class Layers(nn.Module):
        def forward(self, decoded):
            body = model.shared_body
            f1 = body.layer2(decoded)
            f2 = body.layer3(f1)
            return f1, f2, body.layer4(f2)

    def trunk_dict(f0, f1, f2, f3):
        return {"0": f0, "1": f1, "2": f2, "3": f3}

    class Classification(nn.Module):
        def forward(self, f3):
            return ladon_torch.classify(model, {"3": f3})

    class Segmentation(nn.Module):
        def forward(self, f3):
            return ladon_torch.segment(model, {"3": f3}, padded)

    class FPN(nn.Module):
        def forward(self, f0, f1, f2, f3):
            return tuple(head.fpn(trunk_dict(f0, f1, f2, f3)).values())

    class RPN(nn.Module):
        def forward(self, *pyramid):
            proposals, _ = head.rpn(image_list(), dict(zip(levels, pyramid)))
            return proposals[0]

    class RoIAlign(nn.Module):
        def forward(self, proposals, *pyramid):
            return head.roi_heads.box_roi_pool(dict(zip(levels, pyramid)), [proposals], sizes)

    class BoxHead(nn.Module):
        def forward(self, pooled):
            return head.roi_heads.box_predictor(head.roi_heads.box_head(pooled))

    class Detection(nn.Module):
        def forward(self, f0, f1, f2, f3):
            found = ladon_torch.detect(model, image_list(), trunk_dict(f0, f1, f2, f3), original)
            return found["boxes"], found["scores"], found["labels"]

    class Edge(nn.Module):
        """The whole edge graph after entropy decoding: trunk and the three heads."""

        def forward(self, latent):
            features = ladon_torch.trunk(model, latent)
            found = ladon_torch.detect(model, image_list(), features, original)
            return (ladon_torch.classify(model, features), ladon_torch.segment(model, features, padded),
                    found["boxes"], found["scores"], found["labels"])

    f = ref["features"]
    trunk_inputs = (f["0"], f["1"], f["2"], f["3"])
    pyramid = tuple(ref["pyramid"].values())
    level_names = [f"p{k}" for k in range(len(pyramid))]
    return {
        "encoder": (Encoder(), (ref["x"],), ["x"], ["latent"]),
        "decoder": (Decoder(), (ref["latent_hat"],), ["latent"], ["f0"]),
        "layers": (Layers(), (f["0"],), ["f0"], ["f1", "f2", "f3"]),
        "classification": (Classification(), (f["3"],), ["f3"], ["logits"]),
        "segmentation": (Segmentation(), (f["3"],), ["f3"], ["seg_logits"]),
        "fpn": (FPN(), trunk_inputs, ["f0", "f1", "f2", "f3"], level_names),
        "rpn": (RPN(), pyramid, level_names, ["proposals"]),
        "roi_align": (RoIAlign(), (ref["proposals"],) + pyramid[:4], ["proposals"] + level_names[:4], ["pooled"]),
        "box_head": (BoxHead(), (ref["pooled"],), ["pooled"], ["class_logits", "box_regression"]),
        "detection": (Detection(), trunk_inputs, ["f0", "f1", "f2", "f3"], ["boxes", "scores", "labels"]),
        "edge": (Edge(), (ref["latent_hat"],), ["latent"], ["logits", "seg_logits", "boxes", "scores", "labels"]),
    }


def export_all(model, ref, folder):
    """Writes folder/NAME.onnx and folder/NAME.npz (the inputs, and PyTorch's outputs) for every graph."""
    import warnings

    import torch
    os.makedirs(folder, exist_ok=True)
    model.eval()
    for parameter in model.parameters():  # the wrappers hold the weights as graph constants
        parameter.requires_grad_(False)
    modules = stage_modules(model, ref)
    for name, (module, inputs, input_names, output_names) in modules.items():
        path = os.path.join(folder, name + ".onnx")
        with torch.no_grad():
            outputs = module(*inputs)
        outputs = outputs if isinstance(outputs, tuple) else (outputs,)
        np.savez(os.path.join(folder, name + ".npz"),
                 **{f"in_{n}": t.numpy() for n, t in zip(input_names, inputs)},
                 **{f"out_{n}": t.numpy() for n, t in zip(output_names, outputs)})
        if os.path.exists(path):
            continue
        started = time.time()
        with warnings.catch_warnings(), torch.no_grad():
            warnings.simplefilter("ignore")
            torch.onnx.export(module, inputs, path, input_names=input_names, output_names=output_names,
                              opset_version=17, dynamo=False, do_constant_folding=True)
        print(f"exported {name}.onnx ({os.path.getsize(path) / 1e6:.1f} MB) in {time.time() - started:.1f} s",
              flush=True)
    return list(modules)


# MARK: the peers

class Peer:
    """One ONNX runtime at a thread count: load a graph, run it on named numpy inputs."""

    def __init__(self, name, threads):
        self.name, self.threads = name, threads
        if name == "onnxruntime":
            import onnxruntime
            self.options = onnxruntime.SessionOptions()
            self.options.intra_op_num_threads = threads
            self.options.inter_op_num_threads = 1
            self.options.execution_mode = onnxruntime.ExecutionMode.ORT_SEQUENTIAL
            self.options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
        else:
            import openvino
            self.core = openvino.Core()

    def load(self, path):
        if self.name == "onnxruntime":
            import onnxruntime
            session = onnxruntime.InferenceSession(path, self.options, providers=["CPUExecutionProvider"])
            return lambda feeds: session.run(None, feeds)
        compiled = self.core.compile_model(self.core.read_model(path), "CPU", {
            "INFERENCE_NUM_THREADS": self.threads, "PERFORMANCE_HINT": "LATENCY", "NUM_STREAMS": 1,
            "INFERENCE_PRECISION_HINT": "f32"})
        request = compiled.create_infer_request()

        def run(feeds):
            request.infer(feeds)
            return [request.get_output_tensor(k).data.copy() for k in range(len(compiled.outputs))]
        return run


def inputs_of(folder, name):
    data = np.load(os.path.join(folder, name + ".npz"))
    return ({k[3:]: data[k] for k in data.files if k.startswith("in_")},
            [data[k] for k in data.files if k.startswith("out_")])


def median_ms(runs, body):
    body()
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        body()
        samples.append((time.perf_counter() - start) * 1e3)
    return statistics.median(samples)


def compressai_coding(model, ref, runs):
    import ladon_torch
    latent, strings = ref["latent"], ref["strings"]
    return (median_ms(runs, lambda: ladon_torch.compress(model, latent)),
            median_ms(runs, lambda: ladon_torch.decompress(model, strings, latent.shape[-2:])))


def time_peer(args):
    """Child process: one peer's stage timings at one thread count (JSON on stdout)."""
    import torch
    torch.set_num_threads(args.threads)
    model, _ = load_model(args)
    ref = coded_frame(model, args.image)
    folder = os.path.join(args.work, "onnx")
    peer = Peer(args.peer, args.threads)
    stages = {}
    for name in ("encoder", "decoder", "layers", "classification", "segmentation", "fpn", "rpn", "roi_align",
                 "box_head", "detection", "edge"):
        feeds, _ = inputs_of(folder, name)
        run = peer.load(os.path.join(folder, name + ".onnx"))
        stages[name] = median_ms(args.runs, lambda: run(feeds))
    compress_ms, decompress_ms = compressai_coding(model, ref, args.runs)
    stages["entropy_compress"], stages["entropy_decompress"] = compress_ms, decompress_ms
    stages["edge_frame"] = stages.pop("edge") + decompress_ms
    print(json.dumps({"runtime": args.peer, "threads": args.threads, "stages": stages}))


def own_peak_rss_mb():
    """VmHWM: the peak of this process image only. (ru_maxrss would carry over the spawning benchmark's
    own peak, which holds the PyTorch model, through fork and exec.)"""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def edge_frame_rss(args):
    """Child process: two edge frames in a fresh process, for its peak resident memory, loading only what an
    edge worker needs: a peer its edge graph (without torch: compressai's decoding state is a few KB), PyTorch
    the model file, the frame's coded latent, and the edge half."""
    if args.peer != "pytorch":
        folder = os.path.join(args.work, "onnx")
        feeds, _ = inputs_of(folder, "edge")
        run = Peer(args.peer, args.threads).load(os.path.join(folder, "edge.onnx"))
        for _ in range(2):
            run(feeds)
    else:
        import torch

        import ladon_torch
        torch.set_num_threads(args.threads)
        model, _ = load_model(args)
        frame = coded_frame(model, args.image)
        images, original = frame["images"], frame["original"]
        latent_size, padded = frame["latent"].shape[-2:], tuple(images.tensors.shape[-2:])
        with torch.no_grad():
            for _ in range(2):
                z = ladon_torch.decompress(model, frame["strings"], latent_size)
                features = ladon_torch.trunk(model, z)
                ladon_torch.classify(model, features)
                ladon_torch.segment(model, features, padded)
                ladon_torch.detect(model, images, features, original)
    print(json.dumps({"runtime": args.peer, "peak_rss_mb": own_peak_rss_mb()}))


# MARK: checking the peers' answers

def box_iou(a, b):
    x1, y1 = np.maximum(a[:, None, 0], b[None, :, 0]), np.maximum(a[:, None, 1], b[None, :, 1])
    x2, y2 = np.minimum(a[:, None, 2], b[None, :, 2]), np.minimum(a[:, None, 3], b[None, :, 3])
    inter = np.clip(x2 - x1, 0, None) * np.clip(y2 - y1, 0, None)
    area = lambda z: (z[:, 2] - z[:, 0]) * (z[:, 3] - z[:, 1])  # noqa: E731
    return inter / (area(a)[:, None] + area(b)[None, :] - inter + 1e-12)


def detections_matched(expected, found):
    """The share of PyTorch's detections a peer reports too: same label, IoU >= 0.9."""
    boxes, _, labels = expected
    p_boxes, _, p_labels = found
    if not len(boxes):
        return 1.0
    if not len(p_boxes):
        return 0.0
    same = labels[:, None] == p_labels[None, :]
    return float(((box_iou(boxes, p_boxes) >= 0.9) & same).any(1).mean())


def compare_edge(expected, found):
    """PyTorch's edge outputs against a peer's: class logits error, label agreement, detections matched."""
    logits, seg = expected[:2]
    p_logits, p_seg = found[:2]
    return {
        "class_rel_error": float(np.abs(p_logits - logits).max() / max(np.abs(logits).max(), 1e-12)),
        "top5_same": bool((np.argsort(-p_logits[0])[:5] == np.argsort(-logits[0])[:5]).all()),
        "segmentation_equal": float((p_seg.argmax(1) == seg.argmax(1)).mean()),
        "detections": [int(len(expected[2])), int(len(found[2]))],
        "detections_matched": detections_matched(expected[2:], found[2:]),
    }


def check_peers(args):
    """Child process: every peer's edge graph and encoder against PyTorch's outputs (JSON on stdout)."""
    folder = os.path.join(args.work, "onnx")
    report = {}
    for name in ("onnxruntime", "openvino"):
        peer = Peer(name, args.threads)
        feeds, expected = inputs_of(folder, "edge")
        checks = compare_edge(expected, peer.load(os.path.join(folder, "edge.onnx"))(feeds))
        # From the same trunk features: a random model's detections are near ties, so the trunk's last-bit
        # differences reorder some of them in the whole graph; on equal features they must agree.
        feeds, expected = inputs_of(folder, "detection")
        found = peer.load(os.path.join(folder, "detection.onnx"))(feeds)
        checks["detection_stage_matched"] = detections_matched(expected, found)
        feeds, (latent,) = inputs_of(folder, "encoder")
        (found,) = peer.load(os.path.join(folder, "encoder.onnx"))(feeds)
        checks["latent_rel_error"] = float(np.abs(found - latent).max() / max(np.abs(latent).max(), 1e-12))
        report[name] = checks
    print(json.dumps(report))


# MARK: the rounds

def child(args, mode, peer, threads, runs):
    command = [sys.executable, os.path.abspath(__file__), "--child", mode, "--peer", peer, "--threads", str(threads),
               "--runs", str(runs), "--work", args.work, "--image", args.image, "--preset", args.preset]
    if args.model:
        command += ["--model", args.model]
    environment = {**os.environ, "OMP_NUM_THREADS": str(threads), "OPENBLAS_NUM_THREADS": str(threads)}
    output = subprocess.run(command, check=True, capture_output=True, text=True, env=environment, cwd=TOOLS).stdout
    return json.loads(output.strip().splitlines()[-1])


def time_swift(args, model_path, threads, runs):
    command = [args.swift, "--model", model_path, "--image", args.image, "--threads", str(threads), "--runs",
               str(runs), "--json"]
    output = subprocess.run(command, check=True, capture_output=True, text=True, cwd=ROOT).stdout
    document = json.loads(output.strip().splitlines()[-1])
    stages = {name: value["ms"] for name, value in document["stages"].items()}
    gflops = {name: value["gflops"] for name, value in document["stages"].items()}
    effective = {name: value["effective_gflops"] for name, value in document["stages"].items()}
    return {"runtime": "swift", "threads": threads, "stages": stages, "gflops": gflops, "effective_gflops": effective,
            "fma_peak": document["fma_peak"], "fresh_buffers": document["fresh_buffers"]}


def time_pytorch(args, model_path, threads, runs):
    command = [sys.executable, os.path.join(TOOLS, "bench_reference.py"), "--threads", str(threads), "--runs",
               str(runs), "--model", model_path, "--image", args.image, "--json"]
    environment = {**os.environ, "OMP_NUM_THREADS": str(threads)}
    document = json.loads(subprocess.run(command, check=True, capture_output=True, text=True, env=environment,
                                         cwd=TOOLS).stdout)
    return {"runtime": "pytorch", "threads": threads,
            "stages": {name: value["ms"] for name, value in document["stages"].items()}}


def swift_rss(args, model_path, threads):
    """Peak RSS of `ladon-edge infer` on this frame's Latent message."""
    folder = os.path.join(args.work, "swift")
    os.makedirs(folder, exist_ok=True)
    latent = os.path.join(folder, "frame.latent")
    encoder = os.path.join(os.path.dirname(args.swift), "ladon-encoder")
    subprocess.run([encoder, "encode", "--model", model_path, "--image", args.image, "--out", latent], check=True,
                   capture_output=True, cwd=ROOT)
    edge = os.path.join(os.path.dirname(args.swift), "ladon-edge")
    command = [edge, "infer", "--model", model_path, "--latent", latent, "--json", "-", "--threads",
               str(threads)]
    if os.path.exists("/usr/bin/time"):  # GNU time: a small parent, so ru_maxrss is the child's own peak
        report = os.path.join(folder, "time.txt")
        subprocess.run(["/usr/bin/time", "-f", "%M", "-o", report] + command, check=True, cwd=ROOT,
                       stdout=subprocess.DEVNULL)
        with open(report) as f:
            return int(f.read().split()[-1]) / 1024
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL)
    # Without GNU time: VmHWM polled until exit (it only grows; the last reading may miss the last few ms).
    peak = 0.0
    while process.poll() is None:
        try:
            with open(f"/proc/{process.pid}/status") as f:
                for line in f:
                    if line.startswith("VmHWM:"):
                        peak = max(peak, int(line.split()[1]) / 1024)
        except OSError:
            pass
        time.sleep(0.01)
    if process.returncode != 0:
        raise RuntimeError(f"ladon-edge infer failed ({process.returncode})")
    return peak


def with_composites(stages):
    stages = dict(stages)
    if "encoder" in stages and "entropy_compress" in stages:
        stages["encoder_coding"] = stages["encoder"] + stages["entropy_compress"]
    return stages


def run_rounds(args, model_path):
    records = []
    for round_index in range(args.rounds):
        for threads in args.threads:
            order = RUNTIMES[round_index % len(RUNTIMES):] + RUNTIMES[:round_index % len(RUNTIMES)]
            for runtime in order:
                started = time.time()
                if runtime == "swift":
                    record = time_swift(args, model_path, threads, args.runs)
                elif runtime == "pytorch":
                    record = time_pytorch(args, model_path, threads, args.runs)
                else:
                    record = child(args, "time", runtime, threads, args.runs)
                record["stages"] = with_composites(record["stages"])
                record["round"] = round_index
                records.append(record)
                print(f"round {round_index + 1}/{args.rounds}, {threads} thread(s): {runtime:12} edge frame "
                      f"{record['stages']['edge_frame']:8.1f} ms ({time.time() - started:.0f} s)", flush=True)
    return records


def summarise(records, threads_list):
    """Per thread count and stage: median ms per runtime, and Swift / best peer (median of per-round ratios)."""
    summary = {}
    for threads in threads_list:
        rows = {}
        for stage in ("encoder_coding",) + STAGES:
            per_round = {}
            for record in records:
                if record["threads"] == threads and stage in record["stages"]:
                    per_round.setdefault(record["round"], {})[record["runtime"]] = record["stages"][stage]
            medians = {runtime: statistics.median([r[runtime] for r in per_round.values() if runtime in r])
                       for runtime in RUNTIMES if any(runtime in r for r in per_round.values())}
            ratios = []
            for values in per_round.values():
                peers = [values[p] for p in PEERS if p in values]
                if "swift" in values and peers:
                    ratios.append(values["swift"] / min(peers))
            best = min((p for p in PEERS if p in medians), key=lambda p: medians[p], default=None)
            rows[stage] = {"ms": medians, "best_peer": best,
                           "ratio_rounds": [round(r, 3) for r in ratios],
                           "swift_over_best_peer": statistics.median(ratios) if ratios else None}
        swift = [r for r in records if r["runtime"] == "swift" and r["threads"] == threads]
        peak = statistics.median(
            r["fma_peak"]["gflops_all_threads" if threads > 1 else "gflops_one_thread"] for r in swift) if swift else None
        dense = {}
        for stage in DENSE:
            rates = [r["gflops"][stage] for r in swift if stage in r.get("gflops", {})]
            effective = [r["effective_gflops"][stage] for r in swift if stage in r.get("effective_gflops", {})]
            if rates and peak:
                dense[stage] = {"gflops": statistics.median(rates), "of_peak": statistics.median(rates) / peak}
            if effective and stage in dense:
                dense[stage]["effective_of_peak"] = statistics.median(effective) / peak
        summary[threads] = {"stages": rows, "dense": dense, "fma_peak_gflops": peak}
    if 1 in summary and len(summary) > 1:
        for threads in summary:
            if threads == 1:
                continue
            one = [r["stages"]["edge_frame"] for r in records if r["runtime"] == "swift" and r["threads"] == 1]
            many = [r["stages"]["edge_frame"] for r in records if r["runtime"] == "swift" and r["threads"] == threads]
            summary[threads]["swift_speedup_over_one_thread"] = statistics.median(one) / statistics.median(many)
    return summary


def print_summary(summary, checks, rss):
    for threads, part in summary.items():
        print(f"\n{threads} thread(s); FMA peak {part['fma_peak_gflops'] or 0:.1f} GFLOP/s" + (
            f"; Swift {part['swift_speedup_over_one_thread']:.2f}x its one-thread edge frame"
            if "swift_speedup_over_one_thread" in part else ""))
        print(f"{'stage':20}" + "".join(f"{r:>13}" for r in RUNTIMES) + f"{'best peer':>13}{'swift/best':>12}  rounds")
        for stage, row in part["stages"].items():
            if not row["ms"]:
                continue
            cells = "".join(f"{row['ms'][r]:13.1f}" if r in row["ms"] else f"{'-':>13}" for r in RUNTIMES)
            ratio = row["swift_over_best_peer"]
            print(f"{stage:20}{cells}{row['best_peer'] or '-':>13}{ratio if ratio is not None else float('nan'):12.2f}  "
                  + ", ".join(f"{r:.2f}" for r in row["ratio_rounds"]))
        if part["dense"]:
            print("Swift dense stages, share of the FMA peak: " + ", ".join(
                f"{stage} {value['gflops']:.0f} GFLOP/s ({100 * value['of_peak']:.0f} %)"
                for stage, value in part["dense"].items()))
            effective = [(stage, value["effective_of_peak"]) for stage, value in part["dense"].items()
                         if "effective_of_peak" in value]
            if effective:
                print("the same, each Winograd convolution counted as the direct convolution's work: " + ", ".join(
                    f"{stage} {100 * share:.0f} %" for stage, share in effective))
    print("\npeak RSS of one edge frame in a fresh process, MB: " + ", ".join(
        f"{threads} thread(s): " + ", ".join(f"{r} {v:.0f}" for r, v in values.items())
        for threads, values in rss.items()))
    print("peers against PyTorch (edge graph and encoder): " + json.dumps(checks))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", help="model file (default: seeded random init of --preset, written under --work)")
    parser.add_argument("--preset", default="official", choices=["official"])
    parser.add_argument("--image", default=os.path.join(ROOT, "samples/bench/astronaut-640x480.jpg"))
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--runs", type=int, default=5, help="timed runs per stage and round (median)")
    parser.add_argument("--quick", action="store_true", help="1 round of 3 runs: the whole comparison in minutes")
    parser.add_argument("--work", default=os.path.join(ROOT, "bench-peers-out"), help="ONNX files and the model")
    parser.add_argument("--swift", default=os.path.join(ROOT, ".build/release/ladon-bench"))
    parser.add_argument("--json", help="write every round's timings and the summary here")
    parser.add_argument("--child", choices=["time", "rss", "check"], help=argparse.SUPPRESS)
    parser.add_argument("--peer", choices=PEERS, help=argparse.SUPPRESS)
    args = parser.parse_args()
    args.work, args.image = os.path.abspath(args.work), os.path.abspath(args.image)
    if args.model:
        args.model = os.path.abspath(args.model)
    sys.path.insert(0, TOOLS)
    if args.child:
        args.threads = args.threads[0]
        {"time": time_peer, "rss": edge_frame_rss, "check": check_peers}[args.child](args)
        return
    if args.quick:
        args.rounds, args.runs = 1, 3
    os.makedirs(args.work, exist_ok=True)
    import torch
    torch.set_num_threads(max(args.threads))
    model, model_path = load_model(args)
    export_all(model, reference_tensors(model, args.image), os.path.join(args.work, "onnx"))
    del model
    checks = child(args, "check", "onnxruntime", max(args.threads), 1)
    records = run_rounds(args, model_path)
    rss = {}
    for threads in args.threads:
        rss[threads] = {"swift": swift_rss(args, model_path, threads)}
        for peer in PEERS:
            rss[threads][peer] = child(args, "rss", peer, threads, 1)["peak_rss_mb"]
    summary = summarise(records, args.threads)
    print_summary(summary, checks, rss)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"model": model_path, "image": args.image, "checks": checks, "peak_rss_mb": rss,
                       "summary": summary, "records": records}, f, indent=1)


if __name__ == "__main__":
    main()
