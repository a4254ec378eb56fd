import Foundation
import Shared

/// The scores of an `Evaluation` as a printed summary and as JSON (`ladon-eval --json`).
public struct EvaluationReport: Encodable, Sendable {
    public struct Classification: Encodable, Sendable { public let top1: Double?, images: Int, correct: Int }
    public struct CategoryAP: Encodable, Sendable {
        public let id: Int, name: String, groundTruth: Int, detections: Int, ap: Double, ap50: Double
    }
    public struct Detection: Encodable, Sendable {
        public let map: Double?, map50: Double?, images: Int, detections: Int, categories: [CategoryAP]
    }
    public struct ClassIoU: Encodable, Sendable { public let label: Int, name: String, iou: Double }
    public struct Segmentation: Encodable, Sendable {
        public let miou: Double?, pixelAccuracy: Double?, images: Int, classes: [ClassIoU]
    }
    /// What the latents cost on the link: the entropy-coded bytes (the `Latent` message's `coded` field)
    /// per image and per original image pixel, the other half of a rate/accuracy trade-off.
    public struct Rate: Encodable, Sendable { public let meanLatentBytes: Double, bitsPerPixel: Double, images: Int }

    /// Sums the coded bytes and pixels of each latent an evaluation ran.
    struct RateTally {
        private var bytes = 0, pixels = 0, images = 0

        mutating func add(_ latent: LatentMessage) {
            bytes += latent.coded.count
            pixels += latent.originalSize.width * latent.originalSize.height
            images += 1
        }

        var rate: Rate? {
            guard images > 0, pixels > 0 else { return nil }
            return Rate(
                meanLatentBytes: Double(bytes) / Double(images), bitsPerPixel: Double(bytes * 8) / Double(pixels),
                images: images)
        }
    }

    public let images: Int
    public let labelMatching: String
    public let classification: Classification?
    public let detection: Detection?
    public let segmentation: Segmentation?
    /// Present when the model ran in process (not when scoring saved result files).
    public let rate: Rate?
    /// Model class names that matched no data-set class, per task.
    public let unmatchedModelClasses: [String: [String]]

    public init(_ evaluation: Evaluation, images: Int, matching: LabelMatching, rate: Rate? = nil) {
        self.images = images
        self.rate = rate
        labelMatching = matching.rawValue
        classification =
            evaluation.classified == 0
            ? nil
            : Classification(top1: evaluation.topOneAccuracy, images: evaluation.classified, correct: evaluation.correct)
        if evaluation.detectionImages > 0 {
            let ap = evaluation.boxAveragePrecision
            let names = evaluation.dataset.categories
            let counted = Dictionary(grouping: evaluation.detections, by: \.category).mapValues(\.count)
            detection = Detection(
                map: ap.map, map50: ap.map50, images: evaluation.detectionImages, detections: evaluation.detections.count,
                categories: ap.categories.map {
                    CategoryAP(
                        id: $0.id, name: names[$0.id] ?? "\($0.id)", groundTruth: $0.groundTruth,
                        detections: counted[$0.id] ?? 0, ap: $0.ap, ap50: $0.ap50)
                })
        } else {
            detection = nil
        }
        if evaluation.segmentedImages > 0 {
            let names = evaluation.dataset.maskClassNames
            segmentation = Segmentation(
                miou: evaluation.confusion.meanIntersectionOverUnion, pixelAccuracy: evaluation.confusion.pixelAccuracy,
                images: evaluation.segmentedImages,
                classes: evaluation.confusion.intersectionOverUnion.map {
                    ClassIoU(label: $0.label, name: names[$0.label] ?? "\($0.label)", iou: $0.iou)
                })
        } else {
            segmentation = nil
        }
        unmatchedModelClasses = evaluation.unmatched.mapValues { $0.sorted() }
    }

    public func jsonData() -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        encoder.keyEncodingStrategy = .convertToSnakeCase
        // Plain numbers, strings and arrays only; non-finite values cannot occur (all are ratios of counts).
        return (try? encoder.encode(self)) ?? Data("{}".utf8)
    }

    public var summary: String {
        func padded(_ name: String) -> String { name.padding(toLength: max(name.count + 1, 15), withPad: " ", startingAt: 0) }
        func percent(_ value: Double?) -> String { value.map { String(format: "%.2f %%", $0 * 100) } ?? "n/a" }
        var lines = ["images: \(images), labels matched by \(labelMatching)"]
        if let c = classification {
            lines.append("classification  top-1 \(percent(c.top1))  (\(c.correct)/\(c.images) images)")
        }
        if let d = detection {
            lines.append(
                "detection       mAP@[.5:.95] \(percent(d.map))  mAP@.5 \(percent(d.map50))  (\(d.detections) detections, \(d.categories.count) categories with ground truth)"
            )
            for c in d.categories {
                lines.append(
                    "  " + padded(c.name)
                        + String(
                            format: "AP %6.2f  AP50 %6.2f  (%d gt, %d det)", c.ap * 100,
                            c.ap50 * 100, c.groundTruth, c.detections))
            }
        }
        if let s = segmentation {
            lines.append(
                "segmentation    mIoU \(percent(s.miou))  pixel accuracy \(percent(s.pixelAccuracy))  (\(s.images) images, \(s.classes.count) classes)"
            )
            for c in s.classes {
                lines.append("  " + padded(c.name) + String(format: "IoU %6.2f", c.iou * 100))
            }
        }
        if let r = rate {
            lines.append(
                String(
                    format: "rate            %.0f bytes per frame  %.3f bits per pixel  (%d coded latents)",
                    r.meanLatentBytes, r.bitsPerPixel, r.images))
        }
        for (task, names) in unmatchedModelClasses.sorted(by: { $0.key < $1.key }) {
            lines.append(
                "warning: \(task) classes that match no data-set class (counted wrong): \(names.prefix(8).joined(separator: ", "))\(names.count > 8 ? ", ..." : "")"
            )
        }
        return lines.joined(separator: "\n")
    }
}
