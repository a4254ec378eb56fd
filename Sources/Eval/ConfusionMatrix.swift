import Shared

/// Pixel counts of (ground-truth label, predicted label) over every evaluated pixel, for mIoU.
/// Labels are bytes; ground truth 255 is VOC's "ignore" (object borders, unlabelled) and is skipped.
/// A prediction that matches no data-set class is counted in a column of its own, `unmatched`.
public struct ConfusionMatrix: Sendable, Equatable {
    public static let ignore: UInt8 = 255
    public static let unmatched = 256
    static let columns = 257

    /// Row-major 256 ground-truth rows × 257 prediction columns.
    public private(set) var counts = [Int](repeating: 0, count: 256 * 257)

    public init() {}

    /// `predicted[i]` is a data-set label (0...255) or `unmatched`.
    public mutating func add(truth: [UInt8], predicted: [Int]) {
        precondition(truth.count == predicted.count, "label maps differ in size")
        for i in truth.indices where truth[i] != Self.ignore {
            counts[Int(truth[i]) * Self.columns + predicted[i]] += 1
        }
    }

    public func count(truth: Int, predicted: Int) -> Int { counts[truth * Self.columns + predicted] }

    /// IoU = TP / (TP + FP + FN) for each class (0...254) that occurs in the ground truth or the prediction.
    public var intersectionOverUnion: [(label: Int, iou: Double)] {
        var rows = [Int](repeating: 0, count: 256)
        var columns = [Int](repeating: 0, count: Self.columns)
        for truth in 0..<256 {
            for predicted in 0..<Self.columns {
                let n = counts[truth * Self.columns + predicted]
                rows[truth] += n
                columns[predicted] += n
            }
        }
        return (0..<255).compactMap { label in
            let tp = count(truth: label, predicted: label)
            let union = rows[label] + columns[label] - tp
            return union > 0 ? (label, Double(tp) / Double(union)) : nil
        }
    }

    /// Mean IoU over the classes that occur; nil when no pixel was evaluated.
    public var meanIntersectionOverUnion: Double? {
        let ious = intersectionOverUnion
        return ious.isEmpty ? nil : ious.map(\.iou).reduce(0, +) / Double(ious.count)
    }

    public var pixelAccuracy: Double? {
        let total = counts.reduce(0, +)
        return total == 0 ? nil : Double((0..<255).map { count(truth: $0, predicted: $0) }.reduce(0, +)) / Double(total)
    }
}
