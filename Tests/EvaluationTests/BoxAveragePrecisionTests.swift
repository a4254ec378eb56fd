import Foundation
import LadonEval
import Shared
import TestSupport
import Testing

/// Box mAP against pycocotools (tools/make_evaluation_fixtures.py) and hand-computed edge cases.
struct BoxAveragePrecisionTests {
    typealias Box = EvaluationDataset.Box

    static func load(_ name: String) throws -> Any {
        try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: Fixtures.path("evaluation/boxes/\(name).json"))))
    }

    @Test func mapAndPerCategoryAPEqualPycocotoolsOnTiesMissingClassesAndOverAHundredDetections() throws {
        let path = Fixtures.path("evaluation/boxes/ground-truth.json")
        let dataset = try EvaluationDataset(cocoJSON: Data(contentsOf: URL(fileURLWithPath: path)), path: path)
        let detections = try #require(try Self.load("detections") as? [[String: Any]]).map { entry in
            let box = (entry["bbox"] as? [NSNumber] ?? []).map(\.doubleValue)
            return BoxAveragePrecision.Detection(
                image: (entry["image_id"] as? NSNumber)?.intValue ?? -1, category: (entry["category_id"] as? NSNumber)?.intValue ?? -1,
                box: Box(x: box[0], y: box[1], width: box[2], height: box[3]), score: (entry["score"] as? NSNumber)?.doubleValue ?? 0)
        }
        let expected = try #require(try Self.load("expected") as? [String: Any])
        let ap = BoxAveragePrecision(
            groundTruth: Dictionary(uniqueKeysWithValues: dataset.images.map { ($0.id, $0.objects) }),
            detections: detections, categoryIDs: Array(dataset.categories.keys))
        let map = try #require(ap.map)
        let map50 = try #require(ap.map50)
        #expect(abs(map - ((expected["map"] as? Double) ?? -1)) < 1e-12)
        #expect(abs(map50 - ((expected["map50"] as? Double) ?? -1)) < 1e-12)
        let categories = try #require(expected["categories"] as? [String: [String: Double]])
        #expect(ap.categories.map { String($0.id) } == categories.keys.sorted())
        for category in ap.categories {
            #expect(abs(category.ap - (categories[String(category.id)]?["ap"] ?? -1)) < 1e-12, "category \(category.id)")
            #expect(abs(category.ap50 - (categories[String(category.id)]?["ap50"] ?? -1)) < 1e-12, "category \(category.id)")
        }
    }

    @Test func noDetectionsGiveAPZeroForEveryCategoryWithGroundTruth() {
        let truth = [1: [EvaluationDataset.Object(category: 2, box: Box(x: 0, y: 0, width: 10, height: 10))], 2: []]
        let ap = BoxAveragePrecision(groundTruth: truth, detections: [], categoryIDs: [1, 2])
        #expect(ap.categories.map(\.id) == [2])
        #expect(ap.map == 0 && ap.map50 == 0)
    }

    @Test func aCategoryWithoutGroundTruthIsLeftOutOfTheMeanNotCountedAsZero() {
        let box = Box(x: 10, y: 10, width: 20, height: 20)
        let truth = [7: [EvaluationDataset.Object(category: 1, box: box)]]
        let detections = [
            BoxAveragePrecision.Detection(image: 7, category: 1, box: box, score: 0.9),
            BoxAveragePrecision.Detection(image: 7, category: 3, box: box, score: 0.8),
        ]
        let ap = BoxAveragePrecision(groundTruth: truth, detections: detections, categoryIDs: [1, 3])
        #expect(ap.categories.map(\.id) == [1])
        // pycocotools divides by tp + fp + eps, so a perfect category scores 1 − 2.2e-16, not 1.
        #expect(abs((ap.map ?? -1) - 1) < 1e-12 && abs((ap.map50 ?? -1) - 1) < 1e-12)
    }

    @Test func noGroundTruthAnywhereLeavesMAPUndefinedRatherThanZero() {
        let detections = [BoxAveragePrecision.Detection(image: 1, category: 1, box: Box(x: 0, y: 0, width: 5, height: 5), score: 1)]
        let ap = BoxAveragePrecision(groundTruth: [1: []], detections: detections, categoryIDs: [1])
        #expect(ap.map == nil && ap.categories.isEmpty)
    }

    /// One object, a false positive scored above the hit: precision 1/2 at recall 1, so AP = 0.5 at every
    /// threshold the hit reaches. The hit, shifted 2 px, has IoU 360 / 440 = 0.818, so it counts at
    /// 0.50 ... 0.80 (7 of 10 thresholds): mAP = 0.5 · 7 / 10.
    @Test func anOverlapOf0818AndAHigherScoredFalsePositiveGiveAP50OneHalfAndMAP035() {
        let truth = [1: [EvaluationDataset.Object(category: 1, box: Box(x: 0, y: 0, width: 20, height: 20))]]
        let detections = [
            BoxAveragePrecision.Detection(image: 1, category: 1, box: Box(x: 2, y: 0, width: 20, height: 20), score: 0.5),
            BoxAveragePrecision.Detection(image: 1, category: 1, box: Box(x: 50, y: 50, width: 5, height: 5), score: 0.9),
        ]
        let ap = BoxAveragePrecision(groundTruth: truth, detections: detections, categoryIDs: [1])
        #expect(abs((ap.map50 ?? -1) - 0.5) < 1e-12)
        #expect(abs((ap.map ?? -1) - 0.35) < 1e-12)
    }
}
