import Foundation

extension FrameResult {
    /// The JSON document `ladon-edge infer --json` writes (README, "Result JSON"); keys in a fixed order.
    public func jsonData() -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        // Every member is a plain number, string or array of them, so encoding cannot fail.
        return (try? encoder.encode(ResultDocument(self))) ?? Data("{}".utf8)
    }
}

/// The wire shape of a result: snake-free keys the reference scripts and users read.
private struct ResultDocument: Encodable {
    struct Frame: Encodable { let width: Int, height: Int, node: String, sequence: UInt64 }
    struct Score: Encodable {
        let `class`: Int, name: String, prob: Float
    }
    struct Classification: Encodable { let logits: [Float], top5: [Score] }
    struct ClassArea: Encodable { let label: Int, name: String, pixels: Int }
    struct Segmentation: Encodable {
        let width: Int, height: Int, classes: [String], present: [ClassArea]
    }
    struct Detection: Encodable { let box: [Float], label: Int, name: String, score: Float }
    struct Timing: Encodable { let stage: String, ms: Double }

    let frame: Frame
    let classification: Classification?
    let segmentation: Segmentation?
    let detection: [Detection]?
    let timings: [Timing]

    init(_ result: FrameResult) {
        frame = Frame(width: result.originalSize.width, height: result.originalSize.height,
                      node: result.nodeID, sequence: result.sequence)
        classification = result.classification.map { head in
            Classification(logits: head.logits,
                           top5: head.top5.map { Score(class: $0.index, name: $0.name, prob: $0.probability) })
        }
        segmentation = result.segmentation.map { map in
            var counts = [Int](repeating: 0, count: max(map.classNames.count, 256))
            for label in map.labels { counts[Int(label)] += 1 }
            let present = counts.indices.filter { counts[$0] > 0 }.map { label in
                ClassArea(label: label, name: label < map.classNames.count ? map.classNames[label] : "\(label)",
                          pixels: counts[label])
            }
            return Segmentation(width: map.size.width, height: map.size.height, classes: map.classNames, present: present)
        }
        detection = result.detections?.map { Detection(box: $0.box, label: $0.label, name: $0.name, score: $0.score) }
        timings = result.timings.stages.map { Timing(stage: $0.name, ms: $0.milliseconds) }
    }
}
