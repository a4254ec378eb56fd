import Shared

/// A rectangle of whole pixels: columns `x0 ..< x1`, rows `y0 ..< y1` (empty when either range is).
/// Annotation layout (tags, the legend) is computed in these before anything is drawn.
public struct PixelRect: Sendable, Equatable, CustomStringConvertible {
    public var x0: Int, y0: Int, x1: Int, y1: Int

    public init(x0: Int, y0: Int, x1: Int, y1: Int) {
        (self.x0, self.y0, self.x1, self.y1) = (x0, y0, x1, y1)
    }

    /// `width` x `height` pixels with the top-left corner at (`x`, `y`).
    public init(x: Int, y: Int, width: Int, height: Int) {
        self.init(x0: x, y0: y, x1: x + width, y1: y + height)
    }

    public var width: Int { x1 - x0 }
    public var height: Int { y1 - y0 }

    public func overlaps(_ other: PixelRect) -> Bool {
        x0 < other.x1 && other.x0 < x1 && y0 < other.y1 && other.y0 < y1
    }

    public func contains(x: Int, y: Int) -> Bool {
        x >= x0 && x < x1 && y >= y0 && y < y1
    }

    /// Whether every pixel of the rectangle lies on a frame of `size`.
    public func isInside(_ size: ImageSize) -> Bool {
        x0 >= 0 && y0 >= 0 && x1 <= size.width && y1 <= size.height
    }

    public var description: String { "columns \(x0)..<\(x1), rows \(y0)..<\(y1)" }
}
