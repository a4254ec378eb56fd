/// torchvision `RoIHeads.postprocess_detections` and `GeneralizedRCNNTransform.postprocess` for one image:
/// softmax over classes, decode each class's box against its proposal (weights 10, 10, 5, 5), clip to
/// the resized image, drop background, keep scores > `scoreThreshold`, drop boxes under 1e−2, NMS per
/// class, keep the best `detectionsPerImage`, then scale the boxes to the original image.
public struct DetectionPostprocess: Sendable {
    public let scoreThreshold: Float
    public let nmsThreshold: Double
    public let detectionsPerImage: Int
    public let minSize: Float = 1e-2

    public init(scoreThreshold: Float, nmsThreshold: Double, detectionsPerImage: Int) {
        self.scoreThreshold = scoreThreshold
        self.nmsThreshold = nmsThreshold
        self.detectionsPerImage = detectionsPerImage
    }

    /// `predictions` is [R, classes + 4·classes] (logits, then deltas), row r for `proposals[r]`.
    public func callAsFunction(
        _ predictions: Tensor, proposals: [Box], classes: Int, resized: ImageSize,
        original: ImageSize
    ) -> [Detection] {
        guard !proposals.isEmpty else { return [] }
        precondition(predictions.shape == [proposals.count, 5 * classes], "predictions \(predictions.shape)")
        var boxes: [Box] = []
        var scores: [Float] = []
        var labels: [Int] = []
        predictions.withUnsafeBufferPointer { values in
            for (r, proposal) in proposals.enumerated() {
                let row = r * 5 * classes
                let probabilities = softmax(Array(values[row..<row + classes]))
                for label in 1..<classes where probabilities[label] > scoreThreshold {
                    let d = row + classes + 4 * label
                    let box = BoxCoder.detections.decode(
                        dx: values[d], dy: values[d + 1], dw: values[d + 2],
                        dh: values[d + 3], proposal
                    ).clipped(to: resized)
                    guard box.isAtLeast(minSize) else { continue }
                    boxes.append(box)
                    scores.append(probabilities[label])
                    labels.append(label)
                }
            }
        }
        let keep = NonMaximumSuppression.batched(boxes, scores: scores, groups: labels, threshold: nmsThreshold)
        let ratioH = Float(original.height) / Float(resized.height)
        let ratioW = Float(original.width) / Float(resized.width)
        return keep.prefix(detectionsPerImage).map { index in
            let box = boxes[index]
            return Detection(
                box: Box(x1: box.x1 * ratioW, y1: box.y1 * ratioH, x2: box.x2 * ratioW, y2: box.y2 * ratioH),
                label: labels[index], score: scores[index])
        }
    }
}
