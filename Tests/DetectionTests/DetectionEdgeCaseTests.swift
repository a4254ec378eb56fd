import Foundation
import Shared
import TestSupport
import Testing

/// Inputs the parity fixtures do not reach: empty and degenerate sets, bad sizes, bad metadata.
@Suite struct DetectionEdgeCaseTests {
    let fixture: DetectionFixture
    let head: DetectionHead
    let features: [Tensor]

    init() throws {
        let fixture = try DetectionFixture("head_small")
        self.fixture = fixture
        head = try DetectionParityTests.smallHead(fixture)
        features = try (0..<4).map { try fixture.tensor("feature\($0)") }
    }

    func sizes() throws -> (ImageSize, ImageSize, ImageSize) {
        (try fixture.size("padded"), try fixture.size("resized"), try fixture.size("original"))
    }

    @Test func nanFeaturesGiveNoProposalsAndNoDetections() throws {
        let poisoned = features.map { Tensor(repeating: .nan, shape: $0.shape) }
        let (padded, resized, original) = try sizes()
        let trace = try head.trace(poisoned, paddedSize: padded, resizedSize: resized, originalSize: original)
        #expect(trace.proposals.isEmpty)
        #expect(trace.detections.isEmpty)
    }

    @Test func detectionsLieInsideTheOriginalImageWithScoresAboveTheThreshold() throws {
        let (padded, resized, original) = try sizes()
        let detections = try head.trace(features, paddedSize: padded, resizedSize: resized, originalSize: original).detections
        #expect(!detections.isEmpty)
        for d in detections {
            // Boxes are clipped to the resized image and scaled by original/resized, so allow one float rounding.
            let inside =
                d.box.x1 >= 0 && d.box.y1 >= 0 && d.box.x2 <= Float(original.width) * (1 + 1e-6)
                && d.box.y2 <= Float(original.height) * (1 + 1e-6)
            #expect(inside && d.score > 0.05 && d.label >= 1 && d.label < 6, "\(d)")
        }
    }

    @Test func onlyBackgroundScoresGiveAnEmptyList() {
        let classes = 4
        let proposals = [Box(x1: 1, y1: 1, x2: 20, y2: 20), Box(x1: 5, y1: 5, x2: 9, y2: 30)]
        let row: [Float] = [30, 0, 0, 0] + [Float](repeating: 0.1, count: 4 * classes)
        let predictions = Tensor(shape: [2, 5 * classes], scalars: row + row)
        let postprocess = DetectionPostprocess(scoreThreshold: 0.05, nmsThreshold: 0.5, detectionsPerImage: 100)
        let size = ImageSize(height: 40, width: 40)
        #expect(postprocess(predictions, proposals: proposals, classes: classes, resized: size, original: size).isEmpty)
    }

    @Test func noProposalsGiveAnEmptyList() {
        let postprocess = DetectionPostprocess(scoreThreshold: 0.05, nmsThreshold: 0.5, detectionsPerImage: 100)
        let size = ImageSize(height: 40, width: 40)
        #expect(postprocess(Tensor(zeros: [0, 20]), proposals: [], classes: 4, resized: size, original: size).isEmpty)
    }

    @Test func emptyBoxesNeverSuppressEachOther() {
        // Two empty boxes have IoU 0/0 = NaN, which is not above any threshold (torchvision keeps both).
        let boxes = [Box(x1: 3, y1: 3, x2: 3, y2: 3), Box(x1: 3, y1: 3, x2: 3, y2: 3), Box(x1: 0, y1: 0, x2: 4, y2: 4)]
        #expect(NonMaximumSuppression.nms(boxes, scores: [0.9, 0.8, 0.7], threshold: 0.5) == [0, 1, 2])
        #expect(NonMaximumSuppression.batched([], scores: [], groups: [], threshold: 0.5).isEmpty)
    }

    @Test func featuresWithTheWrongChannelCountThrow() throws {
        var wrong = features
        wrong[2] = Tensor(zeros: [1, 5, wrong[2].dim(2), wrong[2].dim(3)])
        let (padded, resized, original) = try sizes()
        #expect(throws: DetectionError.featureChannels(name: "2", expected: 16, actual: 5)) {
            _ = try head.trace(wrong, paddedSize: padded, resizedSize: resized, originalSize: original)
        }
    }

    @Test func anEmptyImageSizeThrows() throws {
        let (padded, _, original) = try sizes()
        let empty = ImageSize(height: 0, width: 121)
        #expect(throws: DetectionError.badImageSize(what: "resized", size: empty)) {
            _ = try head.trace(features, paddedSize: padded, resizedSize: empty, originalSize: original)
        }
    }

    @Test(arguments: [
        (#""num_classes": 3, "class_names": ["a", "b"]"#, "3 classes but 2 names"),
        (#""num_classes": 2, "class_names": ["a", "b"], "anchor_sizes": [[32], [64]]"#, "5 levels"),
        (
            #""num_classes": 2, "class_names": ["a", "b"], "aspect_ratios": [[1.0], [1.0], [1.0], [1.0], [0.5, 2.0]]"#,
            "different anchor counts"
        ),
    ])
    func inconsistentDetectionMetadataIsRejected(_ fields: String, _ reason: String) {
        let json = Self.architecture(detection: fields)
        #expect {
            _ = try LadonArchitecture.parse(json)
        } throws: { error in
            "\(error)".contains(reason)
        }
    }

    @Test func officialDetectionMetadataParses() throws {
        let architecture = try LadonArchitecture.parse(Self.architecture(detection: #""num_classes": 2, "class_names": ["a", "b"]"#))
        #expect(architecture.heads.detection?.rpnPostNmsTopN == 1000)
        #expect(architecture.heads.detection?.aspectRatios.count == 5)
    }

    /// A whole architecture document whose detection head has the official values except `fields`.
    static func architecture(detection fields: String) -> String {
        var detection = [
            "\"fpn_channels\": 256", "\"representation_size\": 1024", "\"roi_output_size\": 7", "\"sampling_ratio\": 2",
            "\"rpn_pre_nms_top_n\": 1000", "\"rpn_post_nms_top_n\": 1000", "\"rpn_nms_threshold\": 0.7",
            "\"box_score_threshold\": 0.05", "\"box_nms_threshold\": 0.5", "\"box_detections_per_img\": 100",
        ]
        if !fields.contains("anchor_sizes") { detection.append("\"anchor_sizes\": [[32], [64], [128], [256], [512]]") }
        if !fields.contains("aspect_ratios") { detection.append("\"aspect_ratios\": " + String(repeating: "[0.5, 1.0, 2.0], ", count: 4).wrapped) }
        detection.append(fields)
        return """
            {"format_version": 1, "family": "ladon", "backbone": "resnet50", "beta": 1.28,
             "preprocess": {"min_size": 416, "max_size": 416, "size_divisible": 32, "mean": [0.485, 0.456, 0.406], "std": [0.229, 0.224, 0.225]},
             "bottleneck": {"encoder_channels": [3, 96, 48, 24], "decoder_channels": [24, 512, 256, 256]},
             "trunk": {"inplanes": 256, "planes": [128, 256, 512], "blocks": [4, 6, 3], "expansion": 4, "batch_norm_eps": 1e-05},
             "heads": {"detection": {\(detection.joined(separator: ", "))}}}
            """
    }
}

extension String {
    /// "[a], [b], " → "[[a], [b], [0.5, 1.0, 2.0]]".
    fileprivate var wrapped: String { "[" + self + "[0.5, 1.0, 2.0]]" }
}
