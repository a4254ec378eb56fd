"""The Ladon model file (docs/model-format.md): one safetensors file with every tensor the runtime uses and the
architecture document as JSON in its `ladon.architecture` metadata entry.

`write_model_file(model, path, source)` writes a three-headed module of tools/ladon_torch.py (the `source` text
is recorded in the architecture document); `read_model_file(path)` loads a file back into a fresh module.
tools/convert.py makes the modules to write (official checkpoints, a state dict or a seeded init).
"""
import json
import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import torch  # noqa: E402
from compressai.layers import GDN  # noqa: E402
from safetensors import safe_open  # noqa: E402
from safetensors.numpy import save_file  # noqa: E402

import ladon_torch  # noqa: E402

ARCHITECTURE_KEY = "ladon.architecture"
# compressai's entropy-table buffers: stored as I32, recomputed by update() wherever weights are converted.
ENTROPY_TABLES = ("_quantized_cdf", "_cdf_length", "_offset")


def file_tensors(model):
    """The tensors our format stores: GDN beta/gamma as effective values, entropy tables as I32, no
    reparametrisation buffers, no `num_batches_tracked`, the shared entropy bottleneck once."""
    out = {}
    gdn_prefixes = {}
    for name, module in model.named_modules():
        if isinstance(module, GDN):
            gdn_prefixes[name + "."] = module
    for key, value in model.state_dict().items():
        if key.endswith("num_batches_tracked") or key.startswith("shared_body.entropy_bottleneck."):
            continue
        if key.startswith("detection_head.transform."):
            continue
        prefix = next((p for p in gdn_prefixes if key.startswith(p)), None)
        if prefix is not None:
            gdn, leaf = gdn_prefixes[prefix], key[len(prefix):]
            if leaf == "beta":
                value = gdn.beta_reparam(gdn.beta)
            elif leaf == "gamma":
                value = gdn.gamma_reparam(gdn.gamma)
            else:
                continue
        if key.startswith("encoder.entropy_bottleneck."):
            leaf = key.rsplit(".", 1)[1]
            if leaf in ENTROPY_TABLES:
                out[key] = value.detach().to(torch.int32).numpy().copy()
                continue
            if leaf != "quantiles":
                continue
        out[key] = value.detach().to(torch.float32).contiguous().numpy().copy()
    return out


def write_model_file(model, path, source):
    arch = dict(model.architecture)
    arch["source"] = source
    save_file(file_tensors(model), path, metadata={ARCHITECTURE_KEY: json.dumps(arch)})


def read_model_file(path):
    """Loads one of our files back into a fresh three-headed module (eval mode, entropy tables installed)."""
    with safe_open(path, framework="pt") as f:
        arch = json.loads(f.metadata()[ARCHITECTURE_KEY])
        tensors = {key: f.get_tensor(key) for key in f.keys()}
    model = ladon_torch.build(arch)
    eb = model.encoder.entropy_bottleneck
    state = {}
    gdns = {name + ".": m for name, m in model.named_modules() if isinstance(m, GDN)}
    for key, value in tensors.items():
        prefix = next((p for p in gdns if key.startswith(p)), None)
        if prefix is not None:  # invert compressai's reparametrisation: raw = sqrt(max(x + pedestal, pedestal))
            reparam = getattr(gdns[prefix], key[len(prefix):] + "_reparam")
            value = reparam.init(value)
        if key.rsplit(".", 1)[1] in ENTROPY_TABLES:
            setattr(eb, key.rsplit(".", 1)[1], value.to(torch.int32))
            continue
        state[key] = value
    missing, unexpected = model.load_state_dict(state, strict=False)
    allowed = ("num_batches_tracked", "_reparam.", "entropy_bottleneck.")
    missing = [k for k in missing if not any(a in k for a in allowed)]
    if missing or unexpected:
        raise ValueError(f"{path}: missing {missing[:5]}, unexpected {unexpected[:5]}")
    return model.eval()
