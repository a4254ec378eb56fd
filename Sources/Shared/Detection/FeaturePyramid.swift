/// torchvision `FeaturePyramidNetwork` with `LastLevelMaxPool` (Lin et al., 2017), as Faster R-CNN's
/// `BackboneWithFPN` builds it: a 1x1 lateral convolution per input level, a top-down pathway adding the
/// nearest-upsampled coarser level, a 3x3 output convolution per level, and a 'pool' level that is
/// the coarsest output subsampled by 2 (`max_pool2d(kernel 1, stride 2)`).
///
/// Layout: inputs [1, Cᵢ, Hᵢ, Wᵢ], finest first → outputs [1, C, Hᵢ, Wᵢ] plus the pool level, finest first.
public struct FeaturePyramid: Sendable {
    let inner: [Conv2d]
    let layer: [Conv2d]

    init(_ scope: WeightScope, inChannels: [Int], channels: Int) throws(WeightsError) {
        var inner: [Conv2d] = []
        var layer: [Conv2d] = []
        for (index, width) in inChannels.enumerated() {
            inner.append(try scope.conv("inner_blocks.\(index).0", in: width, out: channels, kernel: 1, hasBias: true))
            layer.append(
                try scope.conv(
                    "layer_blocks.\(index).0", in: channels, out: channels, kernel: 3,
                    geometry: .init(padding: 1), hasBias: true))
        }
        self.inner = inner
        self.layer = layer
    }

    public var inChannels: [Int] { inner.map(\.inChannels) }

    public func callAsFunction(_ features: [Tensor]) -> [Tensor] {
        precondition(features.count == inner.count, "FPN has \(inner.count) levels, got \(features.count) features")
        let last = features.count - 1
        var lastInner = inner[last](features[last])
        var results = [layer[last](lastInner)]
        for index in stride(from: last - 1, through: 0, by: -1) {
            let lateral = features[index]
            let topDown = Resize.nearest(lastInner, height: lateral.dim(2), width: lateral.dim(3))
            lastInner = inner[index](lateral, adding: topDown)
            results.insert(layer[index](lastInner), at: 0)
        }
        results.append(Pooling.maxPool(results[last], kernel: 1, stride: 2, padding: 0))
        return results
    }
}
