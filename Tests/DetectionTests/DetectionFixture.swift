import Foundation
import Shared
import TestSupport

/// One case from tools/make_detection_fixtures.py: tensors plus the "case" parameters.
struct DetectionFixture {
    struct BadCase: Error, CustomStringConvertible {
        let description: String
    }

    let name: String
    let file: SafeTensorsFile
    let parameters: [String: Any]

    init(_ name: String) throws {
        (file, parameters) = try Fixtures.open("detection", name)
        self.name = name
    }

    var op: String { parameters["op"] as? String ?? "?" }

    func tensor(_ key: String) throws -> Tensor { try file.tensor(key) }

    func ints(_ key: String) throws -> [Int] { try file.int32s(key).map(Int.init) }

    func boxes(_ key: String) throws -> [Box] { Self.boxes(try tensor(key)) }

    func parameter<T>(_ key: String, as type: T.Type = T.self) throws -> T {
        guard let value = parameters[key] as? T else { throw BadCase(description: "\(name): no '\(key)' of type \(T.self)") }
        return value
    }

    func size(_ key: String) throws -> ImageSize {
        let pair: [Int] = try parameter(key)
        return ImageSize(height: pair[0], width: pair[1])
    }

    static func boxes(_ tensor: Tensor) -> [Box] {
        let v = tensor.scalars
        return stride(from: 0, to: v.count, by: 4).map { Box(x1: v[$0], y1: v[$0 + 1], x2: v[$0 + 2], y2: v[$0 + 3]) }
    }

    static func tensor(_ boxes: [Box]) -> Tensor {
        Tensor(shape: [boxes.count, 4], scalars: boxes.flatMap { [$0.x1, $0.y1, $0.x2, $0.y2] })
    }
}

extension Box {
    /// Plain IoU for matching detections.
    func iou(_ other: Box) -> Float {
        let w = max(0, min(x2, other.x2) - max(x1, other.x1))
        let h = max(0, min(y2, other.y2) - max(y1, other.y1))
        let union = area + other.area - w * h
        return union > 0 ? w * h / union : (self == other ? 1 : 0)
    }
}

/// Fraction of `ours` with a partner in `theirs` of the same label, IoU ≥ 0.99 and |score Δ| ≤ 1e−3.
func matchedFraction(_ ours: [Detection], _ theirs: [Detection]) -> Double {
    guard !ours.isEmpty else { return theirs.isEmpty ? 1 : 0 }
    let matched = ours.filter { a in
        theirs.contains { b in a.label == b.label && a.box.iou(b.box) >= 0.99 && abs(a.score - b.score) <= 1e-3 }
    }
    return Double(matched.count) / Double(ours.count)
}
