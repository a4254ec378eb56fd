"""Writes the entropy coder fixtures (Tests/Fixtures/codec/*.safetensors) from compressai 1.2.8 itself.

Each file holds one case: the tables of an `EntropyBottleneck` after `update()` (`quantized_cdf` [C, L],
`cdf_length` [C], `offset` [C], `medians` [C] = quantiles[:, 0, 1]), a latent [1, C, h, w], the symbols
compressai codes for it (`symbols`, int32 [1, C, h, w]), its bytes (`bytes`, uint8) and what
`decompress` returns (`decoded`), plus a "case" metadata entry with the shape and what the case covers.
Tables are fitted to Laplacian latents with per-channel scales, as a trained bottleneck's would be.
Usage: python tools/make_codec_fixtures.py [--out Tests/Fixtures/codec]
"""
import argparse
import json
import os
import pathlib

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import torch  # noqa: E402
from compressai.entropy_models import EntropyBottleneck  # noqa: E402
from safetensors.torch import save_file  # noqa: E402


def laplacian_statistics(channels, seed):
    """Per-channel Laplacian scales (log-uniform in [0.05, 3]) and centres (near zero)."""
    generator = torch.Generator().manual_seed(seed)
    scales = torch.exp(torch.empty(channels).uniform_(-3.0, 1.1, generator=generator))
    centres = torch.randn(channels, generator=generator) * 0.3
    return scales, centres


def laplacian(shape, scales, centres, generator):
    uniform = torch.rand(shape, generator=generator, dtype=torch.float64) - 0.5
    sample = -torch.sign(uniform) * torch.log1p(-2 * uniform.abs())
    return (sample * scales.view(1, -1, 1, 1) + centres.view(1, -1, 1, 1)).float()


def fitted_bottleneck(channels, seed, steps=150):
    """An EntropyBottleneck whose density is fitted to Laplacian latents, then update()d."""
    torch.manual_seed(seed)
    bottleneck = EntropyBottleneck(channels)
    scales, centres = laplacian_statistics(channels, seed)
    generator = torch.Generator().manual_seed(seed + 1000)
    density = [p for name, p in bottleneck.named_parameters() if not name.endswith("quantiles")]
    optimizer = torch.optim.Adam(density, lr=2e-2)
    bottleneck.train()
    for _ in range(steps):
        _, likelihoods = bottleneck(laplacian((4, channels, 8, 8), scales, centres, generator))
        loss = -torch.log2(likelihoods).mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    bottleneck.eval()
    bottleneck.update(force=True, update_quantiles=True)
    return bottleneck, scales, centres


def default_bottleneck(channels, seed):
    """An untrained bottleneck: the tables a freshly initialised model file carries."""
    torch.manual_seed(seed)
    bottleneck = EntropyBottleneck(channels)
    bottleneck.update(force=True)
    return bottleneck


def record(bottleneck, latent, what):
    """Compresses `latent` with compressai and returns the fixture tensors and metadata."""
    with torch.no_grad():
        medians = bottleneck.quantiles[:, 0, 1].detach().clone()
        strings = bottleneck.compress(latent)
        decoded = bottleneck.decompress(strings, latent.shape[2:])
        symbols = bottleneck.quantize(latent, "symbols", medians.view(1, -1, 1, 1))
    assert torch.equal(decoded, symbols.float() + medians.view(1, -1, 1, 1)), what
    tensors = {
        "quantized_cdf": bottleneck._quantized_cdf.int().contiguous(),
        "cdf_length": bottleneck._cdf_length.int().contiguous(),
        "offset": bottleneck._offset.int().contiguous(),
        "medians": medians.float().contiguous(),
        "latent": latent.contiguous(),
        "symbols": symbols.int().contiguous(),
        "bytes": torch.frombuffer(bytearray(strings[0]), dtype=torch.uint8).clone(),
        "decoded": decoded.float().contiguous(),
    }
    _, channels, height, width = latent.shape
    metadata = {"channels": channels, "height": height, "width": width, "what": what}
    return tensors, metadata


def ordinary(channels, height, width, seed):
    bottleneck, scales, centres = fitted_bottleneck(channels, seed)
    generator = torch.Generator().manual_seed(seed + 2000)
    latent = laplacian((1, channels, height, width), scales, centres, generator)
    return record(bottleneck, latent, f"Laplacian latent, {channels} channels, fitted tables")


def untrained(channels, height, width, seed):
    bottleneck = default_bottleneck(channels, seed)
    generator = torch.Generator().manual_seed(seed)
    latent = torch.randn((1, channels, height, width), generator=generator) * 4
    return record(bottleneck, latent, "Gaussian latent, untrained tables (cdf_length 23)")


def all_zero(channels, height, width, seed):
    bottleneck, _, _ = fitted_bottleneck(channels, seed)
    latent = torch.zeros((1, channels, height, width))
    return record(bottleneck, latent, "all-zero latent (symbols are -round(median))")


def ties(channels, height, width, seed):
    """Medians on eighths and latents exactly half-way between integers: torch.round rounds to even."""
    bottleneck = default_bottleneck(channels, seed)
    with torch.no_grad():
        bottleneck.quantiles[:, 0, 1] = torch.arange(channels, dtype=torch.float32) / 8 - 0.25
    bottleneck.update(force=True)
    generator = torch.Generator().manual_seed(seed)
    integers = torch.randint(-6, 7, (1, channels, height, width), generator=generator).float()
    latent = integers + 0.5 + bottleneck.quantiles[:, 0, 1].detach().view(1, -1, 1, 1)
    return record(bottleneck, latent, "values half-way between integers after subtracting the median")


def bypass(channels, height, width, seed):
    """Values outside the tables take the escape; compressai's encoder handles |v| < 2^27."""
    bottleneck, scales, centres = fitted_bottleneck(channels, seed)
    generator = torch.Generator().manual_seed(seed + 2000)
    latent = laplacian((1, channels, height, width), scales, centres, generator).view(-1)
    medians = bottleneck.quantiles[:, 0, 1].detach()
    plane = height * width
    large = [3e1, -3e1, 1e3, -1e3, 7.5e4, -7.5e4, 1e6, -1e6, 3.3e7, -3.3e7, 1.3e8, -1.3e8]
    for k, value in enumerate(large):
        latent[(k * 7) % latent.numel()] = value
    # The escape boundaries: index escape (raw 0, no nibbles), escape - 1 (last in-table), -1 (raw 1), 0.
    for channel in range(channels):
        escape = int(bottleneck._cdf_length[channel]) - 2
        offset = int(bottleneck._offset[channel])
        for j, index in enumerate([escape, escape - 1, -1, 0, escape + 1, -2]):
            latent[channel * plane + plane - 1 - j] = float(index + offset) + float(medians[channel])
    latent = latent.view(1, channels, height, width)
    return record(bottleneck, latent, "large values of both signs and the escape boundaries")


def tiny(channels, values, seed):
    """A 1x1 latent. One element that is not escaped is absent: compressai 1.2.8's encoder then writes
    its 2-word final state into a 1-word buffer and corrupts the heap (`BufferedRansEncoder::flush`)."""
    bottleneck, _, _ = fitted_bottleneck(channels, seed)
    latent = torch.tensor(values, dtype=torch.float32).view(1, channels, 1, 1)
    return record(bottleneck, latent, f"a 1x1 latent {values}")


CASES = {
    "ordinary_c4_7x5": lambda: ordinary(4, 7, 5, 1),
    "ordinary_c24_9x11": lambda: ordinary(24, 9, 11, 2),
    "ordinary_c3_13x6": lambda: ordinary(3, 13, 6, 3),
    "ordinary_c5_1x17": lambda: ordinary(5, 1, 17, 4),
    "ordinary_c11_4x3": lambda: ordinary(11, 4, 3, 5),
    "untrained_c6_5x5": lambda: untrained(6, 5, 5, 6),
    "all_zero_c24_6x6": lambda: all_zero(24, 6, 6, 7),
    "ties_c4_6x6": lambda: ties(4, 6, 6, 8),
    "bypass_c4_6x7": lambda: bypass(4, 6, 7, 9),
    "bypass_c24_5x5": lambda: bypass(24, 5, 5, 10),
    "two_elements_c2_1x1": lambda: tiny(2, [0.3, -1.7], 11),
    "single_element_bypass": lambda: tiny(1, [-5.0e4], 12),
}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="Tests/Fixtures/codec")
    arguments = parser.parse_args()
    torch.set_num_threads(1)
    out = pathlib.Path(arguments.out)
    out.mkdir(parents=True, exist_ok=True)
    for name, make in CASES.items():
        tensors, metadata = make()
        save_file(tensors, str(out / f"{name}.safetensors"), metadata={"case": json.dumps(metadata)})
        print(f"{name}: {metadata['what']}, {tensors['bytes'].numel()} bytes")


if __name__ == "__main__":
    main()
