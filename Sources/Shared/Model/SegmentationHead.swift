/// Semantic segmentation head: torchvision `DeepLabHead` (DeepLabv3, Chen et al. 2017) on layer4.
///
/// ASPP = [1x1 conv, three dilated 3x3 convs, image pooling → 1x1 conv → upsample] → concat →
/// 1x1 projection (dropout is the identity at inference) → 3x3 conv → 1x1 classifier. Every conv but
/// the classifier is followed by a batch norm (folded) and ReLU. The four convolution branches run together
/// (`AtrousBranches`), written straight into the concatenation.
/// Layout: layer4 features [1, Cin, h, w] → logits [1, classes, h, w] (the caller upsamples).
public struct SegmentationHead: Sendable {
    let branches: AtrousBranches
    let poolingConv: Conv2d
    let project: Conv2d
    let refine: Conv2d
    let classifier: Conv2d

    init(_ scope: WeightScope, inChannels: Int, head: LadonArchitecture.Segmentation, eps: Float) throws(WeightsError) {
        let width = head.asppChannels
        let aspp = scope.child("0")
        var branches = [
            try aspp.convBatchNorm(
                conv: "convs.0.0", norm: "convs.0.1", in: inChannels, out: width,
                kernel: 1, eps: eps, activation: .relu)
        ]
        for (index, rate) in head.atrousRates.enumerated() {
            branches.append(
                try aspp.convBatchNorm(
                    conv: "convs.\(index + 1).0", norm: "convs.\(index + 1).1", in: inChannels, out: width, kernel: 3,
                    geometry: .init(padding: rate, dilation: rate), eps: eps, activation: .relu))
        }
        self.branches = AtrousBranches(branches)
        let poolingIndex = head.atrousRates.count + 1
        poolingConv = try aspp.convBatchNorm(
            conv: "convs.\(poolingIndex).1", norm: "convs.\(poolingIndex).2",
            in: inChannels, out: width, kernel: 1, eps: eps, activation: .relu)
        project = try aspp.convBatchNorm(
            conv: "project.0", norm: "project.1", in: width * (poolingIndex + 1),
            out: width, kernel: 1, eps: eps, activation: .relu)
        refine = try scope.convBatchNorm(
            conv: "1", norm: "2", in: width, out: width, kernel: 3,
            geometry: .init(padding: 1), eps: eps, activation: .relu)
        classifier = try scope.conv("4", in: width, out: head.numClasses, kernel: 1, hasBias: true)
    }

    public func callAsFunction(_ features: Tensor) -> Tensor {
        classifier(refine(aspp(features)))
    }

    /// The ASPP module alone (branches, image pooling, concatenation, projection): [1, Cin, h, w] → [1, width, h, w].
    /// The benchmark times it as its own dense stage.
    public func aspp(_ features: Tensor) -> Tensor {
        let pooled = Pooling.adaptiveAvgPool(features, outputHeight: 1, outputWidth: 1)
        return project(branches(features, followedBy: poolingConv(pooled)))
    }
}
