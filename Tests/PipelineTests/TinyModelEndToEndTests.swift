import Foundation
import Shared
import TestSupport
import Testing

/// The whole split on the tiny model: JPEG → MobileEncoder → Latent message → EdgeInference, against
/// what PyTorch computed for the same JPEG (tools/make_model_fixtures.py).
@Suite struct TinyModelEndToEndTests {
    let reference: SafeTensorsFile
    let file: LadonModelFile
    let jpeg: [UInt8]

    init() throws {
        reference = try SafeTensorsFile(path: Fixtures.path("model/tiny-reference.safetensors"))
        file = try LadonModelFile(path: Fixtures.path("model/tiny.safetensors"))
        jpeg = try FileIO.read(Fixtures.path("model/tiny-input.jpg"))
    }

    @Test func encoderInputAndLatentMatchPyTorch() throws {
        let output = try MobileEncoder(file).encode(jpeg: jpeg)
        expectClose(output.input, try reference.tensor("input"), atol: 1e-5, rtol: 0, "preprocessed input")
        expectClose(output.latent, try reference.tensor("latent"), atol: 1e-5, rtol: 1e-4, "latent")
    }

    @Test func codedLatentIsCompressaisBytes() throws {
        let output = try MobileEncoder(file).encode(jpeg: jpeg)
        #expect(output.message.coded == (try reference.uint8s("latent_bytes")))
    }

    @Test func edgeAnswersMatchPyTorchOnTheEncodedFrame() throws {
        let message = try MobileEncoder(file).encode(jpeg: jpeg).message
        let result = try EdgeInference(file).infer(message)

        let classification = try #require(result.tasks.classification)
        let expectedLogits = try reference.tensor("class_logits")
        expectClose(
            Tensor(shape: expectedLogits.shape, scalars: try #require(classification.logits)), expectedLogits,
            atol: 1e-4, rtol: 1e-3, "class logits")
        let expectedTop = topK(expectedLogits.scalars, k: classification.top.count)
        #expect(classification.top.map(\.classIndex) == expectedTop)

        let segmentation = try #require(result.tasks.segmentation)
        let expectedLabels = try reference.uint8s("seg_labels")
        #expect(segmentation.labels.count == expectedLabels.count)
        let equal = zip(segmentation.labels, expectedLabels).filter { $0 == $1 }.count
        #expect(Double(equal) >= 0.995 * Double(expectedLabels.count), "\(equal) of \(expectedLabels.count) labels equal")

        let detections = try #require(result.tasks.detections)
        let boxes = try reference.tensor("detection_boxes").scalars
        let labels = try reference.int32s("detection_labels")
        let scores = try reference.tensor("detection_scores").scalars
        let expected = labels.indices.map { index in
            DetectedObject(
                box: Box(x1: boxes[4 * index], y1: boxes[4 * index + 1], x2: boxes[4 * index + 2], y2: boxes[4 * index + 3]),
                label: Int(labels[index]), name: "", score: scores[index])
        }
        #expect(!expected.isEmpty, "the fixture model should detect something")
        #expect(matchedFraction(detections, in: expected) >= 0.99)
        #expect(matchedFraction(expected, in: detections) >= 0.99)
    }

    @Test func edgeAnswersALatentCodedByCompressaiLikeTheReference() throws {
        var message = try MobileEncoder(file).encode(jpeg: jpeg).message
        message.coded = try reference.uint8s("latent_bytes")
        let result = try EdgeInference(file).infer(message)
        let logits = try #require(result.tasks.classification?.logits)
        let expected = try reference.tensor("class_logits")
        expectClose(Tensor(shape: expected.shape, scalars: logits), expected, atol: 1e-4, rtol: 1e-3, "class logits")
        #expect(try #require(result.tasks.segmentation).labels == (try reference.uint8s("seg_labels")))
    }

    @Test func latentFromAnotherModelIsRefusedNamingBothModels() throws {
        var message = try MobileEncoder(file).encode(jpeg: jpeg).message
        message.model.weightsHash ^= 1
        #expect {
            try EdgeInference(file).infer(message)
        } throws: { error in
            "\(error)".contains("latent was made by model")
        }
    }

    @Test func latentWhoseShapeDisagreesWithItsSizesIsRefused() throws {
        var message = try MobileEncoder(file).encode(jpeg: jpeg).message
        message.latentShape[1] += 1
        #expect(throws: FrameError.self) { try EdgeInference(file).infer(message) }
    }

    @Test func garbledCodedBytesNeverCrashTheEdge() throws {
        let message = try MobileEncoder(file).encode(jpeg: jpeg).message
        let edge = try EdgeInference(file)
        var generator = SplitMix64(seed: 7)
        for round in 0..<200 {
            var garbled = message
            if round % 3 == 0 {
                garbled.coded = Array(garbled.coded.prefix(Int(generator.next() % UInt64(garbled.coded.count + 1))))
            } else {
                for _ in 0..<1 + round % 5 where !garbled.coded.isEmpty {
                    let index = Int(generator.next() % UInt64(garbled.coded.count))
                    garbled.coded[index] ^= UInt8(truncatingIfNeeded: generator.next() | 1)
                }
            }
            _ = try? edge.infer(garbled)
        }
    }
}

/// Fraction of `found` that has a partner in `expected`: same label, IoU ≥ 0.99, |Δscore| ≤ 1e-3.
func matchedFraction(_ found: [DetectedObject], in expected: [DetectedObject]) -> Double {
    guard !found.isEmpty else { return expected.isEmpty ? 1 : 0 }
    let matched = found.filter { candidate in
        expected.contains { other in
            other.label == candidate.label && abs(other.score - candidate.score) <= 1e-3
                && intersectionOverUnion(other.box, candidate.box) >= 0.99
        }
    }
    return Double(matched.count) / Double(found.count)
}

func intersectionOverUnion(_ a: Box, _ b: Box) -> Float {
    let width = max(0, min(a.x2, b.x2) - max(a.x1, b.x1))
    let height = max(0, min(a.y2, b.y2) - max(a.y1, b.y1))
    let intersection = width * height
    let union = a.area + b.area - intersection
    return union > 0 ? intersection / union : (a == b ? 1 : 0)
}
