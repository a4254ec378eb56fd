/// A dotted prefix into a model file (`shared_body.layer2.0`), so layer loaders name keys as PyTorch does.
struct WeightScope {
    let reader: WeightReader
    let prefix: String

    init(_ reader: WeightReader, _ prefix: String) {
        self.reader = reader
        self.prefix = prefix
    }

    func child(_ name: String) -> WeightScope { WeightScope(reader, key(name)) }

    func key(_ name: String) -> String { prefix.isEmpty ? name : "\(prefix).\(name)" }

    func tensor(_ name: String, shape: [Int]) throws(WeightsError) -> Tensor {
        try reader.tensor(key(name), shape: shape)
    }

    /// `nn.Conv2d` weights (and bias when `hasBias`) under `name`.
    func conv(
        _ name: String, in cin: Int, out cout: Int, kernel: Int, geometry: ConvGeometry = .init(),
        hasBias: Bool = false, activation: Activation = .none
    ) throws(WeightsError) -> Conv2d {
        let scope = child(name)
        let weight = try scope.tensor("weight", shape: [cout, cin / geometry.groups, kernel, kernel])
        let bias = hasBias ? try scope.tensor("bias", shape: [cout]) : nil
        return Conv2d(weight: weight, bias: bias, geometry: geometry, activation: activation)
    }

    /// `nn.BatchNorm2d` statistics under `name`.
    func batchNorm(_ name: String, channels: Int, eps: Float) throws(WeightsError) -> BatchNormParameters {
        let scope = child(name)
        return BatchNormParameters(
            weight: try scope.tensor("weight", shape: [channels]),
            bias: try scope.tensor("bias", shape: [channels]),
            runningMean: try scope.tensor("running_mean", shape: [channels]),
            runningVar: try scope.tensor("running_var", shape: [channels]),
            eps: eps)
    }

    /// A convolution followed by a batch norm (folded into it) and an optional ReLU.
    func convBatchNorm(
        conv convName: String, norm normName: String, in cin: Int, out cout: Int, kernel: Int,
        geometry: ConvGeometry = .init(), eps: Float, activation: Activation
    ) throws(WeightsError) -> Conv2d {
        let conv = try self.conv(convName, in: cin, out: cout, kernel: kernel, geometry: geometry)
        return conv.foldingBatchNorm(try batchNorm(normName, channels: cout, eps: eps)).with(activation: activation)
    }

    /// compressai GDN1 with effective `beta` [C] and `gamma` [C, C] under `name`.
    func gdn(_ name: String, channels: Int, inverse: Bool) throws(WeightsError) -> GDN {
        let scope = child(name)
        return GDN(
            beta: try scope.tensor("beta", shape: [channels]),
            gamma: try scope.tensor("gamma", shape: [channels, channels]),
            inverse: inverse)
    }
}
