import Shared
import Testing

/// `NonMaximumSuppression` compares eight boxes at a time; these hold it to the plain greedy loop, one box
/// at a time, that torchvision's CPU kernel runs.
@Suite struct SuppressionLaneTests {
    /// The greedy loop box by box: IoU by `Box.overlap` in float, compared with the threshold in double.
    static func greedy(_ boxes: [Box], scores: [Float], threshold: Double) -> [Int] {
        let order = boxes.indices.sorted { scores[$0] != scores[$1] ? scores[$0] > scores[$1] : $0 < $1 }
        var gone = [Bool](repeating: false, count: boxes.count)
        var kept: [Int] = []
        for (rank, i) in order.enumerated() where !gone[rank] {
            kept.append(i)
            for later in (rank + 1)..<order.count where !gone[later] {
                let j = order[later]
                if Double(Box.overlap(boxes[i], boxes[i].area, boxes[j], boxes[j].area)) > threshold { gone[later] = true }
            }
        }
        return kept
    }

    /// Boxes on a coarse grid, so that many overlap, some coincide (IoU exactly 1) and some are empty; a few
    /// corners are NaN. 203 boxes: the last group of eight lanes is partly padding.
    static func gridBoxes(seed: UInt64, count: Int = 203) -> (boxes: [Box], scores: [Float]) {
        var random = SplitMix64(seed: seed)
        var boxes: [Box] = []
        var scores: [Float] = []
        for index in 0..<count {
            let (x, y) = (Float(random.next() % 12), Float(random.next() % 12))
            let (w, h) = (Float(random.next() % 6), Float(random.next() % 6))
            var box = Box(x1: x, y1: y, x2: x + w, y2: y + h)
            if index % 37 == 5 { box.x2 = .nan }
            boxes.append(box)
            // Few distinct scores, so that ties keep their input order.
            scores.append(Float(random.next() % 16) / 16)
        }
        return (boxes, scores)
    }

    @Test(arguments: [0.3, 0.5, 0.7, 1.0 / 3.0])
    func crowdedBoxesKeepWhatTheBoxByBoxLoopKeeps(threshold: Double) {
        for seed: UInt64 in 1...6 {
            let (boxes, scores) = Self.gridBoxes(seed: seed)
            let kept = NonMaximumSuppression.nms(boxes, scores: scores, threshold: threshold)
            #expect(kept == Self.greedy(boxes, scores: scores, threshold: threshold), "seed \(seed)")
            #expect(kept.count > 8 && kept.count < boxes.count, "seed \(seed): the case suppresses something")
        }
    }

    @Test func theThresholdIsComparedWithTheFloatIoUInDouble() {
        // IoU 1/3 in float, which is not 1/3 in double: thresholds on either side of it, and at it.
        let boxes = [Box(x1: 0, y1: 0, x2: 2, y2: 1), Box(x1: 1, y1: 0, x2: 3, y2: 1)]
        let iou = Box.overlap(boxes[0], boxes[0].area, boxes[1], boxes[1].area)
        #expect(Double(iou) != 1.0 / 3.0)
        for threshold in [Double(iou), Double(iou).nextDown, Double(iou).nextUp, Double(iou.nextDown), Double(iou.nextUp), 1.0 / 3.0] {
            let kept = NonMaximumSuppression.nms(boxes, scores: [0.9, 0.8], threshold: threshold)
            #expect(kept == (Double(iou) > threshold ? [0] : [0, 1]), "threshold \(threshold)")
        }
    }
}
