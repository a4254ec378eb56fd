"""Writes the op parity fixtures (Tests/Fixtures/ops/*.safetensors) from PyTorch, torchvision, compressai and timm.

Each file holds one case: its operands (`input`, `weight`, `bias`, ...), the reference result
`expected`, and a "case" metadata entry, a JSON object naming the op and its parameters, which
Tests/OpsTests reads to run the same computation through our ops. Shapes are small and odd so that
off-by-one indexing shows; every tensor is float32 (indices int32); seeds are fixed.
Usage: python tools/make_op_fixtures.py [--out Tests/Fixtures/ops]
"""
import argparse
import json
import os
import pathlib

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from compressai.layers import GDN1  # noqa: E402
from safetensors.torch import save_file  # noqa: E402
from timm.layers import SplitAttn  # noqa: E402

CASES = {}


def case(function):
    CASES[function.__name__] = function
    return function


def randn(generator, *shape, scale=1.0):
    return torch.randn(*shape, generator=generator, dtype=torch.float32) * scale


def conv_case(seed, op_params, input_shape, out_channels, kernel, bias=True, activation="none", residual=False):
    """One nn.Conv2d (plus optional residual add and ReLU, as a ResNet bottleneck ends)."""
    g = torch.Generator().manual_seed(seed)
    stride, padding = op_params.get("stride", 1), op_params.get("padding", 0)
    dilation, groups = op_params.get("dilation", 1), op_params.get("groups", 1)
    kh, kw = kernel if isinstance(kernel, tuple) else (kernel, kernel)
    tensors = {
        "input": randn(g, *input_shape),
        "weight": randn(g, out_channels, input_shape[1] // groups, kh, kw, scale=0.3),
    }
    if bias:
        tensors["bias"] = randn(g, out_channels)
    y = F.conv2d(tensors["input"], tensors["weight"], tensors.get("bias"), stride, padding, dilation, groups)
    if residual:
        tensors["residual"] = randn(g, *y.shape)
        y = y + tensors["residual"]
    if activation == "relu":
        y = torch.relu(y)
    tensors["expected"] = y
    params = {"op": "conv2d", "stride": pair(stride), "padding": pair(padding), "dilation": pair(dilation),
              "groups": groups, "activation": activation}
    return tensors, params


def pair(value):
    return list(value) if isinstance(value, tuple) else [value, value]


# MARK: convolutions

@case
def conv_1x1_direct():  # stride 1, no padding: our GEMM reads the input as it is
    return conv_case(1, {}, (1, 5, 7, 9), 6, 1)


@case
def conv_1x1_stride2_no_bias():  # ResNet downsample shortcut: 1x1 stride 2 goes through im2col
    return conv_case(2, {"stride": 2}, (1, 6, 9, 11), 4, 1, bias=False)


@case
def conv_3x3_pad1():
    return conv_case(3, {"padding": 1}, (1, 4, 9, 9), 5, 3)


@case
def conv_3x3_pad1_batch2():
    return conv_case(4, {"padding": 1}, (2, 3, 7, 6), 4, 3)


@case
def conv_5x5_stride2_pad2():  # the Ladon encoder's down-sampling convolutions
    return conv_case(5, {"stride": 2, "padding": 2}, (1, 3, 11, 13), 4, 5)


@case
def conv_5x5_stride2_no_bias():
    return conv_case(6, {"stride": 2}, (1, 2, 12, 9), 3, 5, bias=False)


@case
def conv_2x2_pad1():
    return conv_case(7, {"padding": 1}, (1, 3, 6, 7), 4, 2)


@case
def conv_2x2_residual_relu():  # the decoder's unpadded 2x2 convolution, odd sizes so tiles overhang
    return conv_case(20, {}, (1, 6, 8, 11), 5, 2, activation="relu", residual=True)


@case
def conv_3x3_wide_residual_relu():  # wide enough that Winograd transforms runs of eight tiles at once
    return conv_case(102, {"padding": 1}, (1, 5, 13, 45), 6, 3, activation="relu", residual=True)


@case
def conv_2x2_wide_pad1_residual_relu():  # the same for F(3x3, 2x2): 17 tile columns, borders on both sides
    return conv_case(103, {"padding": 1}, (1, 4, 11, 50), 5, 2, activation="relu", residual=True)


@case
def conv_3x3_wide_inner_tiles():  # wide enough that F(4x4, 3x3) reads runs of eight patches inside the image
    return conv_case(109, {"padding": 1}, (1, 3, 14, 75), 4, 3, activation="relu", residual=True)


@case
def conv_2x2_wide_inner_tiles():  # wide enough that F(5x5, 2x2) reads runs of eight patches inside the image
    return conv_case(110, {"padding": 1}, (1, 3, 17, 95), 4, 2, activation="relu", residual=True)


@case
def conv_3x3_more_channels_than_tiles():  # Winograd's threads then share output channels, not rows of tiles
    return conv_case(104, {"padding": 1}, (1, 6, 9, 10), 32, 3, activation="relu", residual=True)


@case
def conv_3x3_dilation2():
    return conv_case(8, {"padding": 2, "dilation": 2}, (1, 4, 9, 11), 3, 3)


@case
def conv_aspp_rate12():  # DeepLabv3 ASPP on a 13x13 layer4 map: most off-centre taps read only padding
    return conv_case(9, {"padding": 12, "dilation": 12}, (1, 6, 13, 13), 4, 3, bias=False)


@case
def conv_aspp_rate24():  # every off-centre tap reads only padding
    return conv_case(10, {"padding": 24, "dilation": 24}, (1, 6, 13, 13), 4, 3, bias=False)


@case
def conv_aspp_rate36_relu():
    return conv_case(11, {"padding": 36, "dilation": 36}, (1, 6, 13, 13), 4, 3, activation="relu")


@case
def conv_groups3():
    return conv_case(12, {"padding": 1, "groups": 3}, (1, 6, 7, 9), 9, 3)


@case
def conv_depthwise_stride2():
    return conv_case(13, {"stride": 2, "padding": 1, "groups": 5}, (1, 5, 9, 8), 5, 3, bias=False)


@case
def conv_1x1_groups2_direct():
    return conv_case(14, {"groups": 2}, (1, 4, 5, 7), 6, 1)


@case
def conv_3x3_relu():
    return conv_case(15, {"padding": 1}, (1, 4, 7, 9), 6, 3, activation="relu")


@case
def conv_1x1_more_channels_than_pixels():  # layer4's 1x1s: the threads share output channels, not pixels
    return conv_case(105, {}, (1, 8, 4, 5), 40, 1, activation="relu", residual=True)


@case
def conv_1x1_residual_relu():  # bottleneck conv3 + identity shortcut + ReLU
    return conv_case(16, {}, (1, 5, 7, 9), 6, 1, activation="relu", residual=True)


@case
def conv_3x3_residual_no_bias():
    return conv_case(17, {"stride": 2, "padding": 1}, (2, 3, 9, 7), 4, 3, bias=False, residual=True)


@case
def conv_3x3_stride2_more_channels_than_pixels():  # layer4's first block: its GEMMs split by output channels
    return conv_case(106, {"stride": 2, "padding": 1}, (1, 16, 6, 7), 40, 3, activation="relu", residual=True)


@case
def conv_3x3_wide_stride2():  # enough channels and planes for the unfold to split across threads
    return conv_case(19, {"stride": 2, "padding": 1}, (1, 16, 9, 11), 8, 3)


@case
def conv_5x4_stride_2x3_residual_relu():  # polyphase with unequal strides: 2x3 phases, partial shifts on both axes
    return conv_case(24, {"stride": (2, 3), "padding": (2, 1)}, (1, 5, 13, 17), 4, (5, 4), activation="relu",
                     residual=True)


@case
def conv_rectangular():  # per-axis stride, padding and dilation, a 3x2 kernel
    return conv_case(18, {"stride": (1, 2), "padding": (0, 1), "dilation": (2, 1)}, (1, 3, 9, 11), 4, (3, 2))


# MARK: convolution with eval-mode batch norm folded in

def conv_bn_case(seed, conv_params, input_shape, out_channels, kernel, eps, bias=False, relu=False):
    g = torch.Generator().manual_seed(seed)
    padding = conv_params.get("padding", 0)
    stride = conv_params.get("stride", 1)
    conv = torch.nn.Conv2d(input_shape[1], out_channels, kernel, stride, padding, bias=bias)
    norm = torch.nn.BatchNorm2d(out_channels, eps=eps)
    with torch.no_grad():
        conv.weight.copy_(randn(g, *conv.weight.shape, scale=0.3))
        if bias:
            conv.bias.copy_(randn(g, out_channels))
        norm.weight.copy_(randn(g, out_channels))
        norm.bias.copy_(randn(g, out_channels))
        norm.running_mean.copy_(randn(g, out_channels))
        # Tiny variances make eps matter.
        norm.running_var.copy_(torch.rand(out_channels, generator=g) * 2 + torch.tensor([1e-4] + [0.0] * (out_channels - 1)))
    norm.eval()
    x = randn(g, *input_shape)
    with torch.no_grad():
        y = norm(conv(x))
        if relu:
            y = torch.relu(y)
    tensors = {"input": x, "weight": conv.weight.detach().clone(), "bn_weight": norm.weight.detach().clone(),
               "bn_bias": norm.bias.detach().clone(), "running_mean": norm.running_mean.clone(),
               "running_var": norm.running_var.clone(), "expected": y}
    if bias:
        tensors["bias"] = conv.bias.detach().clone()
    params = {"op": "conv2d_batchnorm", "stride": pair(stride), "padding": pair(padding), "dilation": [1, 1],
              "groups": 1, "activation": "relu" if relu else "none", "eps": eps}
    return tensors, params


@case
def conv_bn_3x3_relu():  # torchvision ResNet: conv without bias, BatchNorm2d(eps=1e-5), ReLU
    return conv_bn_case(21, {"padding": 1}, (1, 4, 7, 9), 5, 3, eps=1e-5, relu=True)


@case
def conv_bn_1x1_stride2_eps1e3():
    return conv_bn_case(22, {"stride": 2}, (1, 6, 9, 7), 4, 1, eps=1e-3)


@case
def conv_bn_with_conv_bias():
    return conv_bn_case(23, {"padding": 2, "stride": 2}, (1, 3, 11, 9), 4, 5, eps=1e-5, bias=True)


# MARK: generalized divisive normalisation (compressai GDN1, as the Ladon encoder and decoder use)

def gdn_layer(g, channels, inverse):
    layer = GDN1(channels, inverse=inverse)
    with torch.no_grad():
        # Trained-looking raw parameters: positive diagonal, small non-negative couplings, some below
        # the reparametrisation's floor so the lower bound is exercised.
        layer.beta.copy_(layer.beta_reparam.init(torch.rand(channels, generator=g) + 0.5))
        gamma = torch.rand(channels, channels, generator=g) * 0.2 + torch.eye(channels) * 0.5
        gamma[0, 1] = 0.0
        layer.gamma.copy_(layer.gamma_reparam.init(gamma))
        layer.gamma[1, 2] = -0.3  # reparametrised to the floor, then squared
    return layer


def effective_gdn_parameters(layer):
    """β and γ after compressai's reparametrisation, as the model file stores them."""
    with torch.no_grad():
        return layer.beta_reparam(layer.beta).clone(), layer.gamma_reparam(layer.gamma).clone()


def gdn_case(seed, inverse):
    g = torch.Generator().manual_seed(seed)
    channels = 5
    layer = gdn_layer(g, channels, inverse)
    x = randn(g, 1, channels, 7, 9, scale=2.0)
    with torch.no_grad():
        y = layer(x)
    beta, gamma = effective_gdn_parameters(layer)
    return {"input": x, "beta": beta, "gamma": gamma, "expected": y}, {"op": "gdn", "inverse": inverse}


@case
def gdn_forward():
    return gdn_case(31, inverse=False)


@case
def gdn_inverse():
    return gdn_case(32, inverse=True)


@case
def gdn_then_conv_5x5_stride2():  # the Ladon encoder's GDN → 5x5/2 convolution, which our runtime fuses
    g = torch.Generator().manual_seed(33)
    channels = 6
    layer = gdn_layer(g, channels, inverse=False)
    x = randn(g, 2, channels, 13, 11, scale=2.0)
    weight = randn(g, 4, channels, 5, 5, scale=0.3)
    bias = randn(g, 4)
    with torch.no_grad():
        y = F.conv2d(layer(x), weight, bias, stride=2, padding=2)
    beta, gamma = effective_gdn_parameters(layer)
    tensors = {"input": x, "beta": beta, "gamma": gamma, "weight": weight, "bias": bias, "expected": y}
    return tensors, {"op": "gdn_conv2d", "stride": [2, 2], "padding": [2, 2], "dilation": [1, 1], "groups": 1,
                     "activation": "none"}


def conv_gdn_conv_case(seed, first_kernel, first_stride, first_padding, first_bias, first_activation):
    """conv → GDN → 5x5/2 conv, which our runtime runs a panel of rows at a time."""
    g = torch.Generator().manual_seed(seed)
    channels = 6
    x = randn(g, 1, 3, 26, 21)
    first_weight = randn(g, channels, 3, first_kernel, first_kernel, scale=0.3)
    first_b = randn(g, channels) if first_bias else None
    layer = gdn_layer(g, channels, inverse=False)
    weight = randn(g, 4, channels, 5, 5, scale=0.3)
    bias = randn(g, 4)
    with torch.no_grad():
        hidden = F.conv2d(x, first_weight, first_b, stride=first_stride, padding=first_padding)
        if first_activation == "relu":
            hidden = torch.relu(hidden)
        y = F.conv2d(layer(hidden), weight, bias, stride=2, padding=2)
    beta, gamma = effective_gdn_parameters(layer)
    tensors = {"input": x, "first_weight": first_weight, "beta": beta, "gamma": gamma, "weight": weight,
               "bias": bias, "expected": y}
    if first_bias:
        tensors["first_bias"] = first_b
    return tensors, {"op": "conv_gdn_conv2d", "first_stride": first_stride, "first_padding": first_padding,
                     "first_activation": first_activation, "stride": [2, 2], "padding": [2, 2],
                     "dilation": [1, 1], "groups": 1, "activation": "none"}


@case
def conv_gdn_conv_5x5_stride2():  # the Ladon encoder's front: convolutions without bias
    return conv_gdn_conv_case(35, 5, 2, 2, first_bias=False, first_activation="none")


@case
def conv_relu_gdn_conv_with_biases():  # a first convolution with bias and ReLU, at stride 1
    return conv_gdn_conv_case(36, 3, 1, 1, first_bias=True, first_activation="relu")


# MARK: pointwise, pooling, softmax, linear, concatenation

@case
def relu_with_nan_and_zeros():
    g = torch.Generator().manual_seed(41)
    x = randn(g, 1, 3, 5, 7)
    x[0, 0, 0, :3] = torch.tensor([0.0, -0.0, float("nan")])
    return {"input": x, "expected": torch.relu(x)}, {"op": "relu"}


def pool_case(seed, op, input_shape, kernel, stride, padding, shift=0.0, ceil_mode=False, count_include_pad=True):
    g = torch.Generator().manual_seed(seed)
    x = randn(g, *input_shape) + shift
    params = {"op": op, "kernel": kernel, "stride": stride, "padding": padding}
    if op == "max_pool":
        y = F.max_pool2d(x, kernel, stride, padding)
    else:
        y = F.avg_pool2d(x, kernel, stride, padding, ceil_mode=ceil_mode, count_include_pad=count_include_pad)
        params.update({"ceil_mode": ceil_mode, "count_include_pad": count_include_pad})
    return {"input": x, "expected": y}, params


@case
def max_pool_resnet_stem():  # torchvision ResNet: MaxPool2d(3, 2, 1)
    return pool_case(51, "max_pool", (1, 3, 11, 13), 3, 2, 1)


@case
def max_pool_padding_never_wins():  # all inputs negative: a zero pad would show up at the borders
    return pool_case(52, "max_pool", (1, 2, 8, 9), 3, 2, 1, shift=-10.0)


@case
def max_pool_fpn_last_level():  # torchvision LastLevelMaxPool: F.max_pool2d(x, 1, 2, 0)
    return pool_case(53, "max_pool", (1, 4, 7, 9), 1, 2, 0)


@case
def max_pool_many_planes():  # enough planes for the pooling loop to split across threads
    return pool_case(57, "max_pool", (2, 20, 5, 7), 3, 2, 1)


@case
def max_pool_nan_propagates():
    tensors, params = pool_case(54, "max_pool", (1, 1, 5, 6), 2, 2, 0)
    tensors["input"][0, 0, 2, 3] = float("nan")
    tensors["expected"] = F.max_pool2d(tensors["input"], 2, 2, 0)
    return tensors, params


@case
def avg_pool_3x3_stride2_pad1():  # padded zeros count towards the mean
    return pool_case(55, "avg_pool", (1, 3, 9, 11), 3, 2, 1)


@case
def avg_pool_2x2():
    return pool_case(56, "avg_pool", (2, 2, 7, 9), 2, 2, 0)


@case
def avg_pool_2x2_ceil_exclude_pad():  # timm's avg_down shortcut: the last row and column average one pixel
    return pool_case(58, "avg_pool", (1, 3, 7, 9), 2, 2, 0, ceil_mode=True, count_include_pad=False)


def adaptive_case(seed, input_shape, size):
    g = torch.Generator().manual_seed(seed)
    x = randn(g, *input_shape)
    return ({"input": x, "expected": F.adaptive_avg_pool2d(x, size)},
            {"op": "adaptive_avg_pool", "output": list(size)})


@case
def adaptive_avg_pool_1x1():  # classification head and ASPP image pooling
    return adaptive_case(61, (1, 6, 7, 11), (1, 1))


@case
def adaptive_avg_pool_3x5_from_7x11():  # overlapping, unequal windows
    return adaptive_case(62, (2, 3, 7, 11), (3, 5))


@case
def adaptive_avg_pool_many_planes():
    return adaptive_case(64, (1, 130, 3, 5), (2, 2))


@case
def adaptive_avg_pool_upsampling():  # more outputs than inputs: windows repeat pixels
    return adaptive_case(63, (1, 2, 4, 5), (6, 7))


def softmax_case(logits):
    return {"input": logits, "expected": torch.softmax(logits, dim=1)}, {"op": "softmax"}


@case
def softmax_rows():
    g = torch.Generator().manual_seed(71)
    return softmax_case(randn(g, 3, 11, scale=3.0))


@case
def softmax_large_logits():  # exp would overflow without subtracting the maximum
    logits = torch.tensor([[1000.0, 999.0, -1000.0, 998.5, 1000.0],
                           [-5000.0, -5001.0, -5003.0, -4999.5, -5000.0],
                           [88.0, 89.0, 90.0, 3e4, -3e4],
                           [0.0, 0.0, 0.0, 0.0, 0.0]])
    return softmax_case(logits)


def linear_case(seed, rows, in_features, out_features, bias):
    g = torch.Generator().manual_seed(seed)
    tensors = {"input": randn(g, rows, in_features), "weight": randn(g, out_features, in_features, scale=0.3)}
    if bias:
        tensors["bias"] = randn(g, out_features)
    tensors["expected"] = F.linear(tensors["input"], tensors["weight"], tensors.get("bias"))
    return tensors, {"op": "linear"}


@case
def linear_with_bias():
    return linear_case(81, 3, 17, 5, bias=True)


@case
def linear_without_bias():
    return linear_case(82, 1, 33, 7, bias=False)


@case
def concatenate_channels():
    g = torch.Generator().manual_seed(91)
    parts = [randn(g, 2, c, 5, 7) for c in (2, 3, 1)]
    tensors = {f"part{i}": p for i, p in enumerate(parts)}
    tensors["expected"] = torch.cat(parts, dim=1)
    return tensors, {"op": "concatenate", "parts": len(parts)}


@case
def broadcast_single_pixel():  # DeepLab's ASPP pooling branch: bilinear upsampling of a 1x1 map
    g = torch.Generator().manual_seed(92)
    x = randn(g, 1, 4, 1, 1)
    y = F.interpolate(x, size=(5, 7), mode="bilinear", align_corners=False)
    return {"input": x, "expected": y}, {"op": "broadcast", "output": [5, 7]}


# MARK: split attention (timm SplitAttn, the ResNeSt block's 3x3 stage)

def split_attention_case(seed, input_shape):
    """timm `SplitAttn` (radix 2, cardinality 1, eval-mode batch norms) with random weights and batch-norm
    statistics. fc2's split-0 bias is shifted and its weights and biases scaled so that the two splits' attention
    logits differ by -2.2 to 2.2 on this input (softmax weights from about 0.1 to 0.9): neither flat nor
    saturated."""
    g = torch.Generator().manual_seed(seed)
    channels = input_shape[1]
    layer = SplitAttn(in_channels=channels, out_channels=channels, kernel_size=3, padding=1, radix=2,
                      rd_ratio=0.25, rd_divisor=8, norm_layer=torch.nn.BatchNorm2d)
    with torch.no_grad():
        for parameter in layer.parameters():
            parameter.copy_(randn(g, *parameter.shape, scale=0.3))
        for norm in (layer.bn0, layer.bn1):
            norm.weight.copy_(0.5 + torch.rand(norm.weight.shape, generator=g))
            norm.bias.copy_(randn(g, *norm.bias.shape, scale=0.2))
            norm.running_mean.copy_(randn(g, *norm.running_mean.shape, scale=0.5))
            norm.running_var.copy_(0.2 + 2 * torch.rand(norm.running_var.shape, generator=g))
    layer.eval()
    x = randn(g, *input_shape)

    def radix_logit_gap():
        """The two splits' attention logits (fc2's output, radix-major) minus each other."""
        hidden = layer.act0(layer.bn0(layer.conv(x))).reshape(x.shape[0], 2, channels, *x.shape[2:])
        z = layer.fc2(layer.act1(layer.bn1(layer.fc1(hidden.sum(1).mean((2, 3), keepdim=True)))))
        return z[:, :channels] - z[:, channels:]

    with torch.no_grad():
        gap = radix_logit_gap()
        layer.fc2.bias[:channels] -= (gap.max() + gap.min()) / 2
        scale = 2.2 / radix_logit_gap().abs().max()
        layer.fc2.weight.mul_(scale)
        layer.fc2.bias.mul_(scale)
        attention = torch.sigmoid(radix_logit_gap())  # = softmax over the radix axis, split 0
        assert attention.min() < 0.2 and attention.max() > 0.8, (attention.min(), attention.max())
        y = layer(x)
    tensors = {"input": x, "conv_weight": layer.conv.weight}
    for name in ("bn0", "bn1"):
        norm = getattr(layer, name)
        tensors.update({f"{name}_weight": norm.weight, f"{name}_bias": norm.bias,
                        f"{name}_running_mean": norm.running_mean, f"{name}_running_var": norm.running_var})
    tensors.update({"fc1_weight": layer.fc1.weight, "fc1_bias": layer.fc1.bias, "fc2_weight": layer.fc2.weight,
                    "fc2_bias": layer.fc2.bias, "expected": y})
    return {k: v.detach().clone() for k, v in tensors.items()}, {"op": "split_attention", "radix": 2,
                                                                    "eps": layer.bn0.eps}


@case
def split_attention_radix2():  # 8 channels: 16 after the grouped 3x3, 32 attention channels (timm's minimum)
    return split_attention_case(111, (1, 8, 9, 11))


@case
def split_attention_radix2_batch2():  # one attention vector per image
    return split_attention_case(112, (2, 12, 7, 5))


# MARK: ranking

def ranking_case(values, k):
    """torch.argmax takes the first maximal index. torch.topk's order among equal values is
    unspecified (on CPU it is not by index), so the index reference is a stable descending sort,
    whose values torch.topk's values must equal; NaN ranks above every number in all three."""
    top_values, _ = torch.topk(values, k)
    order = torch.sort(values, descending=True, stable=True).indices[:k]
    assert torch.equal(values[order], top_values) or torch.isnan(top_values).any()
    tensors = {"input": values, "expected": top_values,
               "expected_indices": order.to(torch.int32),
               "expected_argmax": torch.argmax(values).reshape(1).to(torch.int32)}
    return tensors, {"op": "topk", "k": k}


@case
def topk_ties():
    return ranking_case(torch.tensor([1.0, 3.0, 3.0, 2.0, 3.0, 0.0, 3.0, -1.0, 2.0]), 6)


@case
def topk_all_equal():
    return ranking_case(torch.zeros(13), 5)


@case
def topk_random():
    g = torch.Generator().manual_seed(101)
    return ranking_case(randn(g, 37), 5)


@case
def topk_nan_ranks_first():
    return ranking_case(torch.tensor([1.0, float("nan"), 3.0, -2.0, float("nan"), 3.0]), 4)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="Tests/Fixtures/ops")
    args = parser.parse_args()
    torch.set_num_threads(1)
    out = pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    for stale in out.glob("*.safetensors"):
        stale.unlink()
    for name, make in CASES.items():
        tensors, params = make()
        tensors = {key: value.detach().contiguous() for key, value in tensors.items()}
        for key, value in tensors.items():
            assert value.dtype in (torch.float32, torch.int32), f"{name}.{key} is {value.dtype}"
        save_file(tensors, str(out / f"{name}.safetensors"), metadata={"case": json.dumps(params, sort_keys=True)})
    total = sum(path.stat().st_size for path in out.glob("*.safetensors"))
    print(f"{len(CASES)} cases, {total / 1024:.0f} KiB in {out}")


if __name__ == "__main__":
    main()
