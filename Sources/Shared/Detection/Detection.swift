import Foundation

/// One detected object in original-image pixels.
public struct Detection: Sendable, Equatable {
    public var box: Box
    /// Class index into the head's class names (0 is background and never reported).
    public var label: Int
    public var score: Float

    public init(box: Box, label: Int, score: Float) {
        self.box = box
        self.label = label
        self.score = score
    }
}

/// Why the detection head could not run on the features it was given. Each description is one line.
public enum DetectionError: Error, Equatable, CustomStringConvertible {
    case featureChannels(name: String, expected: Int, actual: Int)
    case featureShape(name: String, shape: [Int])
    case badImageSize(what: String, size: ImageSize)

    public var description: String {
        switch self {
        case let .featureChannels(name, expected, actual):
            return "detection feature '\(name)' has \(actual) channels, expected \(expected)"
        case let .featureShape(name, shape):
            return "detection feature '\(name)' has shape \(shape), expected [1, C, H, W] with H, W > 0 halving per level"
        case let .badImageSize(what, size):
            return "detection \(what) size \(size.width)x\(size.height) is not positive"
        }
    }
}
