import Foundation

/// torchvision `det_utils.BoxCoder`: box regression deltas (dx, dy, dw, dh) relative to reference boxes,
/// each divided by its weight; dw, dh clamped at log(1000/16) before `exp` so no box explodes.
/// The arithmetic follows torchvision's float32 order exactly (widths, centres, then scaled deltas).
public struct BoxCoder: Sendable {
    public let weights: (Float, Float, Float, Float)
    public let clip: Float

    /// The RPN's coder.
    public static let proposals = BoxCoder(weights: (1, 1, 1, 1))
    /// The box predictor's coder.
    public static let detections = BoxCoder(weights: (10, 10, 5, 5))

    public init(weights: (Float, Float, Float, Float), clip: Float = Float(Foundation.log(1000.0 / 16.0))) {
        self.weights = weights
        self.clip = clip
    }

    /// Applies the deltas to `reference`.
    @inline(__always)
    public func decode(dx rawDx: Float, dy rawDy: Float, dw rawDw: Float, dh rawDh: Float, _ reference: Box) -> Box {
        let widths = reference.x2 - reference.x1
        let heights = reference.y2 - reference.y1
        let centreX = reference.x1 + 0.5 * widths
        let centreY = reference.y1 + 0.5 * heights
        let dx = rawDx / weights.0
        let dy = rawDy / weights.1
        // torch.clamp(max:) keeps NaN.
        let dw = rawDw / weights.2
        let dh = rawDh / weights.3
        let clampedW = dw > clip ? clip : dw
        let clampedH = dh > clip ? clip : dh
        let predictedX = dx * widths + centreX
        let predictedY = dy * heights + centreY
        let halfW = 0.5 * (Foundation.exp(clampedW) * widths)
        let halfH = 0.5 * (Foundation.exp(clampedH) * heights)
        return Box(x1: predictedX - halfW, y1: predictedY - halfH, x2: predictedX + halfW, y2: predictedY + halfH)
    }

    /// `BoxCoder.encode_single`: the deltas that turn `reference` into `target` (used by training; kept
    /// here so the coder is testable both ways).
    public func encode(_ target: Box, reference: Box) -> (Float, Float, Float, Float) {
        let exWidths = reference.x2 - reference.x1
        let exHeights = reference.y2 - reference.y1
        let exX = reference.x1 + 0.5 * exWidths
        let exY = reference.y1 + 0.5 * exHeights
        let gtWidths = target.x2 - target.x1
        let gtHeights = target.y2 - target.y1
        let gtX = target.x1 + 0.5 * gtWidths
        let gtY = target.y1 + 0.5 * gtHeights
        return (
            weights.0 * (gtX - exX) / exWidths, weights.1 * (gtY - exY) / exHeights,
            weights.2 * Foundation.log(gtWidths / exWidths), weights.3 * Foundation.log(gtHeights / exHeights)
        )
    }
}
