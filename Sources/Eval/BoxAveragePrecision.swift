import Shared

/// COCO box average precision as pycocotools' `COCOeval` (iouType "bbox") computes it, restricted to
/// the "all" area range: for each category and IoU threshold 0.50:0.05:0.95, each image's detections
/// (best score first, at most `maxDetections`) greedily take the unmatched ground truth with the highest
/// IoU at or above the threshold; the matches of all images, sorted by score, give a precision/recall
/// curve whose precision envelope is read at the 101 recall points 0:0.01:1 (0 past the last recall
/// reached). A category's AP is the mean over those points; mAP averages over the categories that
/// have ground truth (a category with detections but no ground truth is undefined and left out).
public struct BoxAveragePrecision: Sendable {
    public struct Detection: Sendable {
        public var image: Int
        public var category: Int
        public var box: EvaluationDataset.Box
        public var score: Double

        public init(image: Int, category: Int, box: EvaluationDataset.Box, score: Double) {
            (self.image, self.category, self.box, self.score) = (image, category, box, score)
        }
    }

    public struct Category: Sendable {
        public let id: Int
        public let groundTruth: Int
        public let detections: Int
        /// AP at each IoU threshold (index 0 is IoU 0.5).
        public let precisionAtThresholds: [Double]
        public var ap: Double { precisionAtThresholds.reduce(0, +) / Double(precisionAtThresholds.count) }
        public var ap50: Double { precisionAtThresholds[0] }
    }

    /// The categories with ground truth, in ascending id order.
    public let categories: [Category]
    /// mAP@[.5:.95] and mAP@.5; nil when no category has ground truth.
    public var map: Double? { categories.isEmpty ? nil : categories.map(\.ap).reduce(0, +) / Double(categories.count) }
    public var map50: Double? { categories.isEmpty ? nil : categories.map(\.ap50).reduce(0, +) / Double(categories.count) }

    /// numpy's `linspace(.5, 0.95, 10)` and `linspace(0, 1, 101)` bit for bit, so recall ties break as in pycocotools.
    static let iouThresholds: [Double] = linspace(0.5, 0.95, 10)
    static let recallThresholds: [Double] = linspace(0, 1, 101)

    /// `groundTruth`: image id → its objects, in annotation order. Detections of images absent from
    /// `groundTruth` are ignored, as are categories absent from `categoryIDs`.
    public init(
        groundTruth: [Int: [EvaluationDataset.Object]], detections: [Detection], categoryIDs: [Int],
        maxDetections: Int = 100
    ) {
        let imageIDs = groundTruth.keys.sorted()
        var detectionsByKey: [Key: [Detection]] = [:]
        for detection in detections where groundTruth[detection.image] != nil {
            detectionsByKey[Key(image: detection.image, category: detection.category), default: []].append(detection)
        }
        var result: [Category] = []
        for category in Set(categoryIDs).sorted() {
            var matches: [(score: Double, matched: [Bool])] = []
            var truthCount = 0
            for image in imageIDs {
                let truths = groundTruth[image, default: []].filter { $0.category == category }.map(\.box)
                truthCount += truths.count
                let found = Self.stableSortedByScore(detectionsByKey[Key(image: image, category: category)] ?? [])
                    .prefix(maxDetections)
                matches += Self.match(Array(found), truths)
            }
            guard truthCount > 0 else { continue }
            let ordered = Self.stableSortedByScore(matches)
            let precisions = Self.iouThresholds.indices.map { t in
                Self.interpolatedPrecision(ordered.map { $0.matched[t] }, truthCount: truthCount)
            }
            result.append(
                Category(
                    id: category, groundTruth: truthCount, detections: ordered.count,
                    precisionAtThresholds: precisions))
        }
        categories = result
    }

    struct Key: Hashable { let image: Int, category: Int }

    /// Per detection (in the given order): its score and, per IoU threshold, whether it matched.
    static func match(_ detections: [Detection], _ truths: [EvaluationDataset.Box]) -> [(score: Double, matched: [Bool])] {
        let ious = detections.map { d in truths.map { iou(d.box, $0) } }
        var matched = detections.map { ($0.score, [Bool](repeating: false, count: iouThresholds.count)) }
        for (t, threshold) in iouThresholds.enumerated() {
            var taken = [Bool](repeating: false, count: truths.count)
            for d in detections.indices {
                var best = min(threshold, 1 - 1e-10)
                var chosen = -1
                for g in truths.indices where !taken[g] {
                    // pycocotools keeps a later ground truth on an exact tie (`<` skips, `>=` replaces).
                    if ious[d][g] < best { continue }
                    best = ious[d][g]
                    chosen = g
                }
                if chosen >= 0 {
                    taken[chosen] = true
                    matched[d].1[t] = true
                }
            }
        }
        return matched
    }

    /// IoU of two [x, y, w, h] boxes in doubles, as pycocotools' `bbIou` (no +1 on widths).
    static func iou(_ a: EvaluationDataset.Box, _ b: EvaluationDataset.Box) -> Double {
        let w = min(a.x + a.width, b.x + b.width) - max(a.x, b.x)
        guard w > 0 else { return 0 }
        let h = min(a.y + a.height, b.y + b.height) - max(a.y, b.y)
        guard h > 0 else { return 0 }
        let intersection = w * h
        return intersection / (a.width * a.height + b.width * b.height - intersection)
    }

    /// The mean of the precision envelope at the 101 recall thresholds.
    static func interpolatedPrecision(_ truePositives: [Bool], truthCount: Int) -> Double {
        var tp = 0.0
        var fp = 0.0
        var recall: [Double] = []
        var precision: [Double] = []
        for hit in truePositives {
            if hit { tp += 1 } else { fp += 1 }
            recall.append(tp / Double(truthCount))
            precision.append(tp / (tp + fp + Double.ulpOfOne))
        }
        for i in stride(from: precision.count - 1, to: 0, by: -1) where precision[i] > precision[i - 1] {
            precision[i - 1] = precision[i]
        }
        var sum = 0.0
        var index = 0
        for threshold in recallThresholds {
            // numpy searchsorted(side="left"): the first recall at or above the threshold.
            while index < recall.count && recall[index] < threshold { index += 1 }
            guard index < recall.count else { break }
            sum += precision[index]
        }
        return sum / Double(recallThresholds.count)
    }

    static func stableSortedByScore<T>(_ items: [T], score: (T) -> Double) -> [T] {
        items.enumerated().sorted { a, b in
            let (sa, sb) = (score(a.element), score(b.element))
            return sa != sb ? sa > sb : a.offset < b.offset
        }.map(\.element)
    }

    static func stableSortedByScore(_ items: [Detection]) -> [Detection] { stableSortedByScore(items) { $0.score } }

    static func stableSortedByScore(_ items: [(score: Double, matched: [Bool])]) -> [(score: Double, matched: [Bool])] {
        stableSortedByScore(items) { $0.score }
    }

    static func linspace(_ start: Double, _ stop: Double, _ count: Int) -> [Double] {
        let step = (stop - start) / Double(count - 1)
        return (0..<count).map { $0 == count - 1 ? stop : Double($0) * step + start }
    }
}
