import Foundation

extension FrameResult {
    /// The JSON document `ladon-edge infer --json` writes (README, "Result JSON"); keys in a fixed order.
    public func jsonData() -> Data {
        ResultDocument(self).jsonData()
    }
}

extension ResultMessage {
    /// The same document for a Result from the pipeline (`ladon-sink subscribe`, `ladon-sink serve --out`):
    /// no logits (the wire carries the top-5 only), plus the capture time, the frame's source name when
    /// known, the latent size, the drops before the frame, the error when there is one, and the topic it
    /// arrived under when given.
    public func jsonData(topic: String? = nil) -> Data {
        ResultDocument(self, topic: topic).jsonData()
    }
}

/// The wire shape of a result: snake-free keys the reference scripts and users read. Optional members
/// are left out when absent, so `infer`'s document keeps its exact keys.
private struct ResultDocument: Encodable {
    struct Frame: Encodable {
        let width: Int, height: Int, node: String, sequence: UInt64
        /// Capture time, microseconds since the Unix epoch.
        var captured: Int64?
        /// The frame's source name (a file's base name), when known.
        var source: String?
    }
    struct Score: Encodable {
        let `class`: Int, name: String, prob: Float
    }
    struct Classification: Encodable { let logits: [Float]?, top5: [Score] }
    struct ClassArea: Encodable { let label: Int, name: String, pixels: Int }
    struct Segmentation: Encodable {
        let width: Int, height: Int, classes: [String], present: [ClassArea]
    }
    struct Detection: Encodable { let box: [Float], label: Int, name: String, score: Float }
    struct Timing: Encodable { let stage: String, ms: Double }

    var topic: String?
    let frame: Frame
    let classification: Classification?
    let segmentation: Segmentation?
    let detection: [Detection]?
    let timings: [Timing]
    /// Size of the coded latent that crossed the link, frames the node dropped before this one.
    var bytes: UInt64?
    var dropped: UInt64?
    var error: String?

    init(_ result: FrameResult) {
        frame = Frame(
            width: result.originalSize.width, height: result.originalSize.height,
            node: result.nodeID, sequence: result.sequence)
        classification = result.classification.map { head in
            Classification(
                logits: head.logits,
                top5: head.top5.map { Score(class: $0.index, name: $0.name, prob: $0.probability) })
        }
        segmentation = result.segmentation.map { Self.segmentation($0.labels, size: $0.size, classNames: $0.classNames) }
        detection = result.detections?.map { Detection(box: $0.box, label: $0.label, name: $0.name, score: $0.score) }
        timings = result.timings.stages.map { Timing(stage: $0.name, ms: $0.milliseconds) }
    }

    init(_ result: ResultMessage, topic: String?) {
        self.topic = topic
        frame = Frame(
            width: result.originalSize.width, height: result.originalSize.height, node: result.nodeID,
            sequence: result.sequence, captured: result.captureTimeMicroseconds,
            source: result.source.isEmpty ? nil : result.source)
        classification = result.classification.map { top in
            Classification(logits: nil, top5: top.map { Score(class: $0.classIndex, name: $0.name, prob: $0.probability) })
        }
        segmentation = result.segmentation.map { Self.segmentation($0.labels, size: $0.size, classNames: $0.classNames) }
        detection = result.detections?.map { object in
            Detection(
                box: [object.box.x1, object.box.y1, object.box.x2, object.box.y2], label: object.label,
                name: object.name, score: object.score)
        }
        timings = result.timings.map { Timing(stage: $0.stage, ms: $0.milliseconds) }
        bytes = result.latentBytes
        dropped = result.droppedBefore
        error = result.error
    }

    /// Which labels the map holds and over how many pixels.
    private static func segmentation(_ labels: [UInt8], size: ImageSize, classNames: [String]) -> Segmentation {
        var counts = [Int](repeating: 0, count: max(classNames.count, 256))
        for label in labels { counts[Int(label)] += 1 }
        let present = counts.indices.filter { counts[$0] > 0 }.map { label in
            ClassArea(label: label, name: label < classNames.count ? classNames[label] : "\(label)", pixels: counts[label])
        }
        return Segmentation(width: size.width, height: size.height, classes: classNames, present: present)
    }

    func jsonData() -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        // Every member is a plain number, string or array of them, so encoding cannot fail.
        return (try? encoder.encode(self)) ?? Data("{}".utf8)
    }
}
