/// torchvision's ResNet `Bottleneck` block (v1.5: the stride sits on the 3x3 convolution), with each
/// batch norm folded into its convolution: relu(conv3(relu(conv2(relu(conv1(x))))) + shortcut(x)).
struct ResNetBottleneckBlock: Sendable {
    let conv1: Conv2d, conv2: Conv2d, conv3: Conv2d
    let downsample: Conv2d?

    init(_ scope: WeightScope, inplanes: Int, planes: Int, expansion: Int, stride: Int, eps: Float) throws(WeightsError) {
        let width = planes
        let outChannels = planes * expansion
        conv1 = try scope.convBatchNorm(
            conv: "conv1", norm: "bn1", in: inplanes, out: width, kernel: 1,
            eps: eps, activation: .relu)
        conv2 = try scope.convBatchNorm(
            conv: "conv2", norm: "bn2", in: width, out: width, kernel: 3,
            geometry: .init(stride: stride, padding: 1), eps: eps, activation: .relu)
        conv3 = try scope.convBatchNorm(
            conv: "conv3", norm: "bn3", in: width, out: outChannels, kernel: 1,
            eps: eps, activation: .relu)
        if stride != 1 || inplanes != outChannels {
            downsample = try scope.child("downsample").convBatchNorm(
                conv: "0", norm: "1", in: inplanes, out: outChannels, kernel: 1,
                geometry: .init(stride: stride), eps: eps, activation: .none)
        } else {
            downsample = nil
        }
    }

    func callAsFunction(_ x: Tensor) -> Tensor {
        let shortcut = downsample?(x) ?? x
        return conv3(conv2(conv1(x)), adding: shortcut)
    }
}

/// One stage of the trunk (`layer2`, `layer3`, `layer4`), whatever its blocks.
protocol TrunkStage: Sendable {
    func callAsFunction(_ x: Tensor) -> Tensor
}

/// One torchvision ResNet stage (`layer2`, `layer3`, `layer4`): the first block strides by 2.
struct ResNetLayer: TrunkStage {
    let blocks: [ResNetBottleneckBlock]

    init(_ scope: WeightScope, inplanes: Int, planes: Int, blocks count: Int, expansion: Int, eps: Float) throws(WeightsError) {
        var blocks: [ResNetBottleneckBlock] = []
        var inputChannels = inplanes
        for index in 0..<count {
            blocks.append(
                try ResNetBottleneckBlock(
                    scope.child("\(index)"), inplanes: inputChannels, planes: planes,
                    expansion: expansion, stride: index == 0 ? 2 : 1, eps: eps))
            inputChannels = planes * expansion
        }
        self.blocks = blocks
    }

    func callAsFunction(_ x: Tensor) -> Tensor {
        blocks.reduce(x) { features, block in block(features) }
    }
}
