import Foundation

/// An axis-aligned box in (x1, y1, x2, y2) pixel corners, torchvision's "xyxy" format.
public struct Box: Sendable, Equatable {
    public var x1: Float, y1: Float, x2: Float, y2: Float

    public init(x1: Float, y1: Float, x2: Float, y2: Float) {
        (self.x1, self.y1, self.x2, self.y2) = (x1, y1, x2, y2)
    }

    public var width: Float { x2 - x1 }
    public var height: Float { y2 - y1 }
    /// `box_area`: (x2 − x1)·(y2 − y1), negative for inverted boxes as in torchvision.
    public var area: Float { (x2 - x1) * (y2 - y1) }

    /// `clip_boxes_to_image`: x clamped to [0, width], y to [0, height] (NaN stays NaN, as `clamp` keeps it).
    public func clipped(to size: ImageSize) -> Box {
        func clamp(_ v: Float, _ upper: Float) -> Float { v.isNaN ? v : min(max(v, 0), upper) }
        let (w, h) = (Float(size.width), Float(size.height))
        return Box(x1: clamp(x1, w), y1: clamp(y1, h), x2: clamp(x2, w), y2: clamp(y2, h))
    }

    /// `remove_small_boxes` keeps a box when both sides are at least `minSize`.
    public func isAtLeast(_ minSize: Float) -> Bool { width >= minSize && height >= minSize }

    /// Intersection over union as torchvision's CPU NMS computes it (areas passed in, NaN when both are empty).
    @inline(__always)
    public static func overlap(_ a: Box, _ areaA: Float, _ b: Box, _ areaB: Float) -> Float {
        let w = max(0, min(a.x2, b.x2) - max(a.x1, b.x1))
        let h = max(0, min(a.y2, b.y2) - max(a.y1, b.y1))
        let intersection = w * h
        return intersection / (areaA + areaB - intersection)
    }
}
