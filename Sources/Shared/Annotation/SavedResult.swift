import Foundation

/// A result file as `ladon-sink serve --out` writes it (`<node>-<sequence>.json`, beside it
/// `<node>-<sequence>-labels.png` when segmentation ran), read back to annotate frames after the fact.
/// Only the members annotations need are read; the top-5 carries the top class, so logits are not needed.
public struct SavedResult: Sendable {
    /// The frame's source name, `nil` when the file has none (a stream, or a file from before the field).
    public let source: String?
    /// Why the edge could not answer the frame, for an error result (which has nothing to draw).
    public let error: String?
    public let annotations: FrameAnnotations

    /// `labels`: the 8-bit label map PNG's pixels, when there is one.
    public init(json: Data, labels: PixelImage?, path: String) throws(AnnotationError) {
        let document: ResultFile
        do {
            document = try JSONDecoder().decode(ResultFile.self, from: json)
        } catch {
            throw .badResultFile(path: path, reason: "not a result document (\(Self.reason(error)))")
        }
        guard let frame = document.frame else { throw .badResultFile(path: path, reason: "not a result document (no 'frame')") }
        let size = ImageSize(height: frame.height, width: frame.width)
        if let labels, labels.channels != 1 || labels.size != size {
            throw .badResultFile(
                path: path,
                reason: "label map is \(labels.size.width)x\(labels.size.height)x\(labels.channels), "
                    + "expected \(size.width)x\(size.height)x1")
        }
        if let length = document.malformedBoxLength { throw .badResultFile(path: path, reason: "a box has \(length) numbers") }
        let objects = (document.detection ?? []).map {
            DetectedObject(
                box: Box(x1: $0.box[0], y1: $0.box[1], x2: $0.box[2], y2: $0.box[3]),
                label: $0.label, name: $0.name, score: $0.score)
        }
        source = frame.source
        error = document.error
        annotations = FrameAnnotations(
            size: size,
            top: document.classification?.top5.first.map { ClassScore(classIndex: $0.class, name: $0.name, probability: $0.prob) },
            objects: objects, labels: labels?.pixels)
    }

    /// DecodingError's descriptions span lines; keep the first clause.
    private static func reason(_ error: Error) -> String {
        switch error {
        case let DecodingError.keyNotFound(key, _): return "no '\(key.stringValue)'"
        case let DecodingError.typeMismatch(_, context), let DecodingError.valueNotFound(_, context):
            return "wrong type at '\(context.codingPath.map(\.stringValue).joined(separator: "."))'"
        case DecodingError.dataCorrupted: return "invalid JSON"
        default: return "\(error)"
        }
    }
}
