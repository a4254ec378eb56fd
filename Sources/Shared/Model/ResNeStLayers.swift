/// ResNeSt's stages as timm builds them for `resnest269e` (Zhang et al., "ResNeSt: Split-Attention
/// Networks"; timm `models/resnest.py` `ResNestBottleneck`, `layers/split_attn.py`), reached through
/// sc2bench's `splittable_resnest` in the Ladon reference: cardinality 1, base width 64, avd without
/// avd_first, avg_down. Batch norms are folded into their convolutions.
///
///     relu(bn3(conv3(avd(splitAttention(relu(bn1(conv1(x)))))) + shortcut(x))
///
/// where avd is `AvgPool2d(3, stride, padding=1)` (padded zeros counted) in a block that strides, and
/// the shortcut of a block that changes shape is `AvgPool2d(2, 2, ceil_mode, count_include_pad=False)`
/// (when it strides) then a 1x1 convolution and batch norm (keys `downsample.1`, `downsample.2`).
struct ResNeStBottleneckBlock: Sendable {
    let conv1: Conv2d
    let splitAttention: SplitAttention
    let conv3: Conv2d
    let stride: Int
    let downsample: Conv2d?

    init(_ scope: WeightScope, inplanes: Int, planes: Int, expansion: Int, radix: Int, stride: Int, eps: Float) throws(WeightsError) {
        let width = planes
        let outChannels = planes * expansion
        conv1 = try scope.convBatchNorm(conv: "conv1", norm: "bn1", in: inplanes, out: width, kernel: 1, eps: eps, activation: .relu)
        let attention = scope.child("conv2")
        let attentionWidth = Self.attentionChannels(groupWidth: width, radix: radix)
        splitAttention = SplitAttention(
            conv: try attention.convBatchNorm(
                conv: "conv", norm: "bn0", in: width, out: width * radix, kernel: 3,
                geometry: .init(padding: 1, groups: radix), eps: eps, activation: .relu),
            fc1: try attention.conv("fc1", in: width, out: attentionWidth, kernel: 1, hasBias: true)
                .foldingBatchNorm(try attention.batchNorm("bn1", channels: attentionWidth, eps: eps)).with(activation: .relu),
            fc2: try attention.conv("fc2", in: attentionWidth, out: width * radix, kernel: 1, hasBias: true),
            radix: radix)
        conv3 = try scope.convBatchNorm(conv: "conv3", norm: "bn3", in: width, out: outChannels, kernel: 1, eps: eps, activation: .relu)
        self.stride = stride
        if stride != 1 || inplanes != outChannels {
            downsample = try scope.child("downsample").convBatchNorm(
                conv: "1", norm: "2", in: inplanes, out: outChannels, kernel: 1, eps: eps, activation: .none)
        } else {
            downsample = nil
        }
    }

    /// timm's `make_divisible(group_width · radix · 0.25, divisor 8, min_value 32)`: the attention's width.
    static func attentionChannels(groupWidth: Int, radix: Int) -> Int {
        let value = Double(groupWidth * radix) * 0.25
        var rounded = max(32, Int(value + 4) / 8 * 8)
        if Double(rounded) < 0.9 * value { rounded += 8 }
        return rounded
    }

    func callAsFunction(_ x: Tensor) -> Tensor {
        var out = splitAttention(conv1(x))
        if stride > 1 { out = Pooling.avgPool(out, kernel: 3, stride: stride, padding: 1) }
        let shortcut = downsample.map { conv in
            conv(stride > 1 ? Pooling.avgPool(x, kernel: 2, stride: stride, ceilMode: true, countIncludePad: false) : x)
        }
        return conv3(out, adding: shortcut ?? x)
    }
}

/// One ResNeSt stage (`layer2`, `layer3`, `layer4`): the first block strides by 2.
struct ResNeStLayer: TrunkStage {
    let blocks: [ResNeStBottleneckBlock]

    init(_ scope: WeightScope, inplanes: Int, planes: Int, blocks count: Int, expansion: Int, radix: Int, eps: Float) throws(WeightsError) {
        var blocks: [ResNeStBottleneckBlock] = []
        var inputChannels = inplanes
        for index in 0..<count {
            blocks.append(
                try ResNeStBottleneckBlock(
                    scope.child("\(index)"), inplanes: inputChannels, planes: planes, expansion: expansion, radix: radix,
                    stride: index == 0 ? 2 : 1, eps: eps))
            inputChannels = planes * expansion
        }
        self.blocks = blocks
    }

    func callAsFunction(_ x: Tensor) -> Tensor {
        blocks.reduce(x) { features, block in block(features) }
    }
}
