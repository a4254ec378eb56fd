import Foundation

/// torchvision `RegionProposalNetwork` at inference (Ren et al., 2015): `RPNHead` (3x3 conv + ReLU, then
/// 1x1 objectness and 1x1 box deltas, shared by all levels) and `filter_proposals`: per level the
/// `preNMSTopN` highest logits, decode against the anchors, sigmoid, clip to the resized image, drop
/// boxes under `minSize`, drop scores under `scoreThreshold`, NMS per level, keep `postNMSTopN`.
///
/// The two 1x1 convolutions run as one (their weights stacked), the head reading the shared 3x3 output once.
public struct RegionProposalNetwork: Sendable {
    let conv: Conv2d
    let predictor: Conv2d
    public let anchors: AnchorGenerator
    public let preNMSTopN: Int
    public let postNMSTopN: Int
    public let nmsThreshold: Double
    public let scoreThreshold: Float = 0
    public let minSize: Float = 1e-3

    init(
        _ scope: WeightScope, channels: Int, anchors: AnchorGenerator, preNMSTopN: Int, postNMSTopN: Int,
        nmsThreshold: Double
    ) throws(WeightsError) {
        let perLocation = anchors.anchorsPerLocation[0]
        conv = try scope.conv(
            "head.conv.0.0", in: channels, out: channels, kernel: 3, geometry: .init(padding: 1),
            hasBias: true, activation: .relu)
        let logits = try scope.conv("head.cls_logits", in: channels, out: perLocation, kernel: 1, hasBias: true)
        let deltas = try scope.conv("head.bbox_pred", in: channels, out: 4 * perLocation, kernel: 1, hasBias: true)
        predictor = Conv2d(
            weight: Tensor(shape: [5 * perLocation, channels, 1, 1], scalars: logits.weight.scalars + deltas.weight.scalars),
            bias: Tensor(shape: [5 * perLocation], scalars: (logits.bias?.scalars ?? []) + (deltas.bias?.scalars ?? [])))
        self.anchors = anchors
        self.preNMSTopN = preNMSTopN
        self.postNMSTopN = postNMSTopN
        self.nmsThreshold = nmsThreshold
    }

    /// The head's raw output per level: [1, A + 4A, H, W] (objectness for anchor a in channel a, its
    /// deltas in channels A + 4a ..< A + 4a + 4).
    func headOutputs(_ levels: [Tensor]) -> [Tensor] {
        levels.map { predictor(conv($0)) }
    }

    /// Proposals for FPN levels `levels` ([1, C, H, W] each), best first.
    public func callAsFunction(_ levels: [Tensor], padded: ImageSize, resized: ImageSize) -> [Box] {
        proposals(headOutputs: headOutputs(levels), padded: padded, resized: resized)
    }

    func proposals(headOutputs: [Tensor], padded: ImageSize, resized: ImageSize) -> [Box] {
        // The levels are independent until the NMS. Threads take contiguous runs of this order: the finest level
        // (about three quarters of the anchors), then the rest coarsest first; at two threads one takes the
        // finest and the coarsest level, the other the three between.
        var perLevel = [(boxes: [Box], scores: [Float])](repeating: ([], []), count: headOutputs.count)
        let order = Array(headOutputs.indices.prefix(1)) + headOutputs.indices.dropFirst().reversed()
        perLevel.withUnsafeMutableBufferPointer { slots in
            Compute.parallelFor(order.count) { positions in
                for position in positions {
                    let level = order[position]
                    slots[level] = candidates(level: level, output: headOutputs[level], padded: padded, resized: resized)
                }
            }
        }
        let boxes = perLevel.flatMap(\.boxes)
        let scores = perLevel.flatMap(\.scores)
        let levelOf = perLevel.indices.flatMap { [Int](repeating: $0, count: perLevel[$0].boxes.count) }
        let keep = NonMaximumSuppression.batched(boxes, scores: scores, groups: levelOf, threshold: nmsThreshold)
        return keep.prefix(postNMSTopN).map { boxes[$0] }
    }

    /// One level's `preNMSTopN` best anchors, decoded, clipped and filtered, best first.
    private func candidates(level: Int, output: Tensor, padded: ImageSize, resized: ImageSize) -> (boxes: [Box], scores: [Float]) {
        var boxes: [Box] = []
        var scores: [Float] = []
        let (height, width) = (output.dim(2), output.dim(3))
        let perLocation = anchors.anchorsPerLocation[level]
        let plane = height * width
        let values = output.scalars
        // Objectness in the (y, x, anchor) order torchvision flattens in.
        var objectness = [Float](repeating: 0, count: plane * perLocation)
        for a in 0..<perLocation {
            for p in 0..<plane { objectness[p * perLocation + a] = values[a * plane + p] }
        }
        let chosen = topK(objectness, k: min(preNMSTopN, objectness.count))
        let levelAnchors = anchors.anchors(level: level, grid: (height, width), padded: padded)
        for index in chosen {
            let (p, a) = index.quotientAndRemainder(dividingBy: perLocation)
            let channel = (perLocation + 4 * a) * plane + p
            let box = BoxCoder.proposals.decode(
                dx: values[channel], dy: values[channel + plane], dw: values[channel + 2 * plane],
                dh: values[channel + 3 * plane], levelAnchors[index]
            ).clipped(to: resized)
            let score = 1 / (1 + Foundation.exp(-objectness[index]))
            guard box.isAtLeast(minSize), score >= scoreThreshold else { continue }
            boxes.append(box)
            scores.append(score)
        }
        return (boxes, scores)
    }
}
