import Foundation
import Shared
import TestSupport
import Testing

/// The tiny models' segmentation and detection heads and their entropy symbols against the PyTorch
/// reference run on Tests/Fixtures/model/tiny-input.jpg (tools/make_model_fixtures.py): on the ResNet
/// trunk's features (`tiny`) and on the ResNeSt trunk's (`tiny-resnest`).
@Suite struct TinyModelHeadParityTests {
    /// One tiny model with its reference outputs.
    struct Variant {
        let reference: SafeTensorsFile
        let model: LadonModelFile
        let sizes: [String: [Int]]

        init(_ name: String) throws {
            reference = try SafeTensorsFile(path: Fixtures.path("model/\(name)-reference.safetensors"))
            model = try LadonModelFile(path: Fixtures.path("model/\(name).safetensors"))
            let json = try #require(reference.metadata["reference"])
            let object = try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any] ?? [:]
            sizes = object.compactMapValues { $0 as? [Int] }
        }

        func size(_ name: String) throws -> ImageSize {
            let pair = try #require(sizes["\(name)_size"], "metadata has no \(name)_size")
            return ImageSize(height: pair[0], width: pair[1])
        }

        var pair: (LadonModelFile, SafeTensorsFile) { (model, reference) }

        func boxes(_ key: String) throws -> [Box] {
            let values = try reference.tensor(key).scalars
            return stride(from: 0, to: values.count, by: 4).map {
                Box(x1: values[$0], y1: values[$0 + 1], x2: values[$0 + 2], y2: values[$0 + 3])
            }
        }
    }

    static let variants = TinyModelParityTests.variants

    @Test(arguments: variants)
    func segmentationLogitsBeforeUpsamplingMatchPyTorch(_ name: String) throws {
        let (model, reference) = try Variant(name).pair
        let head = try #require(try EdgeModel(model).segmentation)
        let logits = head(try reference.tensor("feature3"))
        expectClose(logits, try reference.tensor("seg_logits_low"), atol: 1e-4, rtol: 1e-3, "segmentation logits")
    }

    @Test(arguments: variants)
    func latentSymbolsAreTheRoundedDistanceFromEachChannelMedian(_ name: String) throws {
        let (model, reference) = try Variant(name).pair
        let entropy = try MobileModel(model).entropy
        let latent = try reference.tensor("latent")
        let quantized = entropy.quantizeDequantize(latent).scalars
        let symbols = try reference.int32s("latent_symbols")
        let plane = latent.dim(2) * latent.dim(3)
        let ours = quantized.indices.map { Int32((quantized[$0] - entropy.medians[$0 / plane]).rounded()) }
        #expect(ours == symbols, "first difference at \(firstMismatch(ours, symbols))")
        #expect(Set(symbols).count > 4, "the fixture's latent spans too few symbols to test rounding")
    }

    @Test(arguments: variants)
    func detectionHeadOnTheReferenceFeaturesFindsTheReferenceBoxes(_ name: String) throws {
        let variant = try Variant(name)
        let (model, reference) = variant.pair
        let head = try #require(try EdgeModel(model).detection)
        let features = try (0..<4).map { try reference.tensor("feature\($0)") }
        let trace = try head.trace(
            features, paddedSize: try variant.size("padded"), resizedSize: try variant.size("resized"),
            originalSize: try variant.size("original"))
        for (index, name) in ["0", "1", "2", "3", "pool"].enumerated() {
            expectClose(trace.pyramid[index], try reference.tensor("fpn_\(name)"), atol: 1e-4, rtol: 1e-4, "FPN '\(name)'")
        }
        let proposals = try variant.boxes("rpn_proposals")
        #expect(trace.proposals.count == proposals.count, "\(trace.proposals.count) proposals vs \(proposals.count)")
        let scores = try reference.tensor("detection_scores").scalars
        let labels = try reference.int32s("detection_labels")
        let expected = try variant.boxes("detection_boxes").enumerated().map { index, box in
            Detection(box: box, label: Int(labels[index]), score: scores[index])
        }
        #expect(expected.count >= 5, "the fixture should hold at least 5 detections")
        let ours = matched(trace.detections, expected)
        let theirs = matched(expected, trace.detections)
        #expect(
            ours == trace.detections.count && theirs == expected.count,
            "\(trace.detections.count) detections vs \(expected.count); matched \(ours) / \(theirs)")
    }

    /// How many of `a` have a partner in `b` with the same label, IoU ≥ 0.99 and a score within 1e-3.
    func matched(_ a: [Detection], _ b: [Detection]) -> Int {
        a.filter { d in
            b.contains { e in
                e.label == d.label && abs(e.score - d.score) <= 1e-3 && intersectionOverUnion(d.box, e.box) >= 0.99
            }
        }.count
    }

    func intersectionOverUnion(_ a: Box, _ b: Box) -> Float {
        let w = max(0, min(a.x2, b.x2) - max(a.x1, b.x1))
        let h = max(0, min(a.y2, b.y2) - max(a.y1, b.y1))
        let union = a.area + b.area - w * h
        return union > 0 ? w * h / union : (a == b ? 1 : 0)
    }

    func firstMismatch(_ a: [Int32], _ b: [Int32]) -> String {
        guard let index = zip(a, b).enumerated().first(where: { $0.element.0 != $0.element.1 })?.offset else {
            return a.count == b.count ? "none" : "length \(a.count) vs \(b.count)"
        }
        return "\(index): \(a[index]) vs \(b[index])"
    }
}
