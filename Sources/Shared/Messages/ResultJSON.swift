import Foundation

/// A Result as a JSON document (`ladon-edge infer --json`, `ladon-sink subscribe`, `ladon-sink serve --out`;
/// README "Result JSON") and back. The document carries everything but the segmentation's pixels, which
/// go beside it as an 8-bit label PNG; reading a document back takes those labels again.
extension ResultMessage {
    /// The document, keys sorted; `topic` names the topic it arrived under, when it did.
    public func jsonData(topic: String? = nil) -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        // Every member is a plain number, string or array of them, so encoding cannot fail.
        return (try? encoder.encode(ResultDocument(self, topic: topic))) ?? Data("{}".utf8)
    }

    /// Reads a document back; `labels` is the label map saved beside it, if any (the document has no pixels,
    /// so without one the segmentation is left out). Fails with one line naming what is wrong.
    public init(json: Data, labels: (labels: [UInt8], size: ImageSize)?) throws(ResultDocumentError) {
        let document: ResultDocument
        do {
            document = try JSONDecoder().decode(ResultDocument.self, from: json)
        } catch {
            throw ResultDocumentError.from(error)
        }
        self = try document.result(labels: labels)
    }
}

/// Why a JSON document could not be read as a result; one line.
public enum ResultDocumentError: Error, Equatable, CustomStringConvertible {
    /// The JSON has no `frame` member: some other document (a topology, scores), not a result.
    case notAResult
    case invalid(reason: String)

    public var description: String {
        switch self {
        case .notAResult: "not a result document (no 'frame')"
        case let .invalid(reason): "not a usable result document: \(reason)"
        }
    }

    /// DecodingError's descriptions span lines; keep the first clause.
    static func from(_ error: Error) -> ResultDocumentError {
        switch error {
        case let DecodingError.keyNotFound(key, context) where key.stringValue == "frame" && context.codingPath.isEmpty:
            return .notAResult
        case let DecodingError.keyNotFound(key, _): return .invalid(reason: "no '\(key.stringValue)'")
        case let DecodingError.typeMismatch(_, context), let DecodingError.valueNotFound(_, context):
            return .invalid(reason: "wrong type at '\(context.codingPath.map(\.stringValue).joined(separator: "."))'")
        case DecodingError.dataCorrupted: return .invalid(reason: "invalid JSON")
        default: return .invalid(reason: "\(error)")
        }
    }
}

/// The document's shape: short keys the reference scripts and users read; optional members are left out
/// when absent.
private struct ResultDocument: Codable {
    struct Frame: Codable {
        let width: Int, height: Int, node: String, sequence: UInt64
        /// Capture time, microseconds since the Unix epoch.
        var captured: Int64?
        /// The frame's source name (a file's base name), when known.
        var source: String?
    }
    struct Model: Codable { let backbone: String, beta: Double, weights: String }
    struct Score: Codable { let `class`: Int, name: String, prob: Float }
    struct Classification: Codable { let logits: [Float]?, top5: [Score] }
    struct ClassArea: Codable { let label: Int, name: String, pixels: Int }
    struct Segmentation: Codable { let width: Int, height: Int, classes: [String], present: [ClassArea] }
    struct Detection: Codable { let box: [Float], label: Int, name: String, score: Float }
    struct Timing: Codable { let stage: String, ms: Double }

    var topic: String?
    let frame: Frame
    var model: Model?
    let classification: Classification?
    let segmentation: Segmentation?
    let detection: [Detection]?
    let timings: [Timing]
    /// Size of the coded latent that crossed the link, frames the node dropped before this one.
    var bytes: UInt64?
    var dropped: UInt64?
    var error: String?

    init(_ result: ResultMessage, topic: String?) {
        self.topic = topic
        let header = result.header
        frame = Frame(
            width: result.originalSize.width, height: result.originalSize.height, node: header.nodeID,
            sequence: header.sequence, captured: header.captureTimeMicroseconds,
            source: header.source.isEmpty ? nil : header.source)
        model = Model(backbone: result.model.backbone, beta: result.model.beta, weights: String(result.model.weightsHash, radix: 16))
        classification = result.tasks.classification.map { head in
            Classification(logits: head.logits, top5: head.top.map { Score(class: $0.classIndex, name: $0.name, prob: $0.probability) })
        }
        segmentation = result.tasks.segmentation.map(Self.segmentation)
        detection = result.tasks.detections?.map { object in
            Detection(
                box: [object.box.x1, object.box.y1, object.box.x2, object.box.y2], label: object.label,
                name: object.name, score: object.score)
        }
        timings = result.timings.map { Timing(stage: $0.stage, ms: $0.milliseconds) }
        bytes = result.latentBytes
        dropped = header.droppedBefore
        error = result.error
    }

    /// Which labels the map holds and over how many pixels.
    private static func segmentation(_ map: SegmentationMap) -> Segmentation {
        var counts = [Int](repeating: 0, count: max(map.classNames.count, 256))
        for label in map.labels { counts[Int(label)] += 1 }
        let present = counts.indices.filter { counts[$0] > 0 }.map { label in
            ClassArea(label: label, name: label < map.classNames.count ? map.classNames[label] : "\(label)", pixels: counts[label])
        }
        return Segmentation(width: map.size.width, height: map.size.height, classes: map.classNames, present: present)
    }

    func result(labels: (labels: [UInt8], size: ImageSize)?) throws(ResultDocumentError) -> ResultMessage {
        let size = ImageSize(height: frame.height, width: frame.width)
        if let length = detection?.first(where: { $0.box.count != 4 })?.box.count {
            throw ResultDocumentError.invalid(reason: "a detection box has \(length) numbers")
        }
        var map: SegmentationMap?
        if let labels, let segmentation {
            let expected = ImageSize(height: segmentation.height, width: segmentation.width)
            guard labels.size == expected, labels.labels.count == expected.height * expected.width else {
                throw ResultDocumentError.invalid(
                    reason: "label map is \(labels.size.width)x\(labels.size.height), expected \(expected.width)x\(expected.height)")
            }
            map = SegmentationMap(size: expected, labels: labels.labels, classNames: segmentation.classes)
        }
        return ResultMessage(
            header: FrameHeader(
                nodeID: frame.node, sequence: frame.sequence, captureTimeMicroseconds: frame.captured ?? 0,
                source: frame.source ?? "", droppedBefore: dropped ?? 0),
            model: ModelIdentity(
                backbone: model?.backbone ?? "", beta: model?.beta ?? 0, weightsHash: model.flatMap { UInt64($0.weights, radix: 16) } ?? 0),
            originalSize: size,
            tasks: TaskResults(
                classification: classification.map { head in
                    Shared.Classification(
                        top: head.top5.map { ClassScore(classIndex: $0.class, name: $0.name, probability: $0.prob) }, logits: head.logits)
                },
                detections: detection?.map {
                    DetectedObject(
                        box: Box(x1: $0.box[0], y1: $0.box[1], x2: $0.box[2], y2: $0.box[3]), label: $0.label, name: $0.name, score: $0.score)
                },
                segmentation: map),
            timings: timings.map { StageTiming(stage: $0.stage, milliseconds: $0.ms) },
            latentBytes: bytes ?? 0, error: error)
    }
}
