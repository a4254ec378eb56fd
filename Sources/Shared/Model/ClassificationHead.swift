/// Image classification head (reference `LadonResNetClassificationHead`): global average pool + fc.
///
/// Layout: layer4 features [1, C, h, w] → logits [1, classes].
public struct ClassificationHead: Sendable {
    let fc: Linear

    init(_ scope: WeightScope, inFeatures: Int, classes: Int) throws(WeightsError) {
        fc = Linear(
            weight: try scope.tensor("fc.weight", shape: [classes, inFeatures]),
            bias: try scope.tensor("fc.bias", shape: [classes]))
    }

    public func callAsFunction(_ features: Tensor) -> Tensor {
        let pooled = Pooling.adaptiveAvgPool(features, outputHeight: 1, outputWidth: 1)
        return fc(pooled.reshaped([features.dim(0), features.dim(1)]))
    }
}
