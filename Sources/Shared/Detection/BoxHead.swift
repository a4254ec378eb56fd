/// torchvision `TwoMLPHead` + `FastRCNNPredictor`: flatten the pooled RoI, fc6 + ReLU, fc7 + ReLU, then
/// class logits and per-class box deltas.
///
/// The pooled RoIs arrive channels-last ([R, bins, bins, C]), so fc6's columns are permuted once at load
/// from PyTorch's (C, bins, bins) order; the product is the same, as one GEMM of R x (C·bins²) x width.
/// The two predictor layers run as one GEMM (weights stacked).
/// Layout: [R, bins·bins·C] → logits [R, classes] and deltas [R, 4·classes].
public struct BoxHead: Sendable {
    let fc6: Linear
    let fc7: Linear
    let predictor: Linear
    public let classes: Int

    init(_ scope: WeightScope, channels: Int, bins: Int, representation: Int, classes: Int) throws(WeightsError) {
        let inputs = channels * bins * bins
        let fc6Weight = try scope.tensor("box_head.fc6.weight", shape: [representation, inputs])
        fc6 = Linear(
            weight: Self.channelsLastColumns(fc6Weight, channels: channels, plane: bins * bins),
            bias: try scope.tensor("box_head.fc6.bias", shape: [representation]))
        fc7 = Linear(
            weight: try scope.tensor("box_head.fc7.weight", shape: [representation, representation]),
            bias: try scope.tensor("box_head.fc7.bias", shape: [representation]))
        let scoreWeight = try scope.tensor("box_predictor.cls_score.weight", shape: [classes, representation])
        let scoreBias = try scope.tensor("box_predictor.cls_score.bias", shape: [classes])
        let deltaWeight = try scope.tensor("box_predictor.bbox_pred.weight", shape: [4 * classes, representation])
        let deltaBias = try scope.tensor("box_predictor.bbox_pred.bias", shape: [4 * classes])
        predictor = Linear(
            weight: Tensor(shape: [5 * classes, representation], scalars: scoreWeight.scalars + deltaWeight.scalars),
            bias: Tensor(shape: [5 * classes], scalars: scoreBias.scalars + deltaBias.scalars))
        self.classes = classes
    }

    /// [out, C·plane] in (c, p) column order → (p, c) order.
    static func channelsLastColumns(_ weight: Tensor, channels: Int, plane: Int) -> Tensor {
        let rows = weight.dim(0)
        let columns = weight.dim(1)
        let source = weight.scalars
        var target = [Float](repeating: 0, count: source.count)
        for r in 0..<rows {
            let base = r * columns
            for c in 0..<channels {
                for p in 0..<plane { target[base + p * channels + c] = source[base + c * plane + p] }
            }
        }
        return Tensor(shape: [rows, columns], scalars: target)
    }

    /// The MLP: pooled RoIs → [R, representation].
    func features(_ pooled: Tensor) -> Tensor { fc7(fc6(pooled).relu()).relu() }

    /// Class logits and box deltas side by side: [R, classes + 4·classes].
    func predictions(_ features: Tensor) -> Tensor { predictor(features) }
}
