import Shared

/// The key to the mask overlay: one caption per class the frame's label map shows (a swatch in the
/// class's overlay colour, then its name), in label order, on a dark panel in a corner of the frame.
///
/// It lists the classes this frame shows rather than every class the model knows: the panel stays a few
/// rows high (shapes world shows one to six classes; a VOC model knows 20 and a full list would cover
/// most of a 320x240 frame), and every row names a colour that is on the image. Boxes need no entry:
/// their tags name them.
public struct Legend: Sendable, Equatable {
    public struct Entry: Sendable, Equatable {
        public var label: Int
        public var name: String

        public init(label: Int, name: String) {
            self.label = label
            self.name = name
        }
    }

    public var entries: [Entry]

    public init(entries: [Entry]) {
        self.entries = entries
    }

    /// The classes other than background (0) that `labels` holds, named by `classNames[label]`, or
    /// "class k" where the map has no name for k.
    public init(labels: [UInt8], classNames: [String]) {
        var present = [Bool](repeating: false, count: 256)
        for label in labels { present[Int(label)] = true }
        entries = (1..<256).filter { present[$0] }.map { label in
            let name = label < classNames.count ? classNames[label] : ""
            return Entry(label: label, name: name.isEmpty ? "class \(label)" : name)
        }
    }

    /// The panel's width and height at text scale `scale`: one caption per entry, and one font pixel
    /// below the last so its descenders keep off the panel's edge.
    public func size(scale: Int) -> (width: Int, height: Int) {
        guard !entries.isEmpty else { return (0, 0) }
        let width = entries.map { Caption.width(of: $0.name, scale: scale) }.max() ?? 0
        return (width, entries.count * Caption.height(scale: scale) + scale)
    }

    /// The entries a `width` x `height` panel holds: names shortened to the width, and the rows that
    /// do not fit below it left out.
    public func fitting(width: Int, height: Int, scale: Int) -> Legend {
        let rows = max(0, (height - scale) / Caption.height(scale: scale))
        return Legend(
            entries: entries.prefix(rows).compactMap { entry in
                let name = Caption.fitting(entry.name, width: width, scale: scale)
                return name.isEmpty ? nil : Entry(label: entry.label, name: name)
            })
    }

    /// Where a `width` x `height` panel goes on a frame of `frame` whose rows above `top` are the banner's:
    /// of the four corners (the top ones just below the banner) the one covering the fewest pixels for
    /// which `covered(x, y)` holds, the first of bottom-right, bottom-left, top-right, top-left on a tie.
    /// The panel should fit below the banner (`fitting` sees to it); `covered` is asked only about pixels on the frame.
    public static func place(
        width: Int, height: Int, in frame: ImageSize, below top: Int, covered: (_ x: Int, _ y: Int) -> Bool
    ) -> PixelRect {
        let (left, right) = (0, frame.width - width)
        let (upper, lower) = (top, frame.height - height)
        let corners = [(right, lower), (left, lower), (right, upper), (left, upper)].map { x, y in
            PixelRect(x: x, y: y, width: width, height: height)
        }
        func cost(_ rect: PixelRect) -> Int {
            let (x0, x1, y0, y1) = (max(rect.x0, 0), min(rect.x1, frame.width), max(rect.y0, 0), min(rect.y1, frame.height))
            guard x0 < x1, y0 < y1 else { return 0 }
            var count = 0
            for y in y0..<y1 {
                for x in x0..<x1 where covered(x, y) { count += 1 }
            }
            return count
        }
        let costs = corners.map(cost)
        let best = costs.indices.min { costs[$0] < costs[$1] } ?? 0
        return corners[best]
    }
}

extension Canvas {
    /// `legend` on its dark panel `rect`, its rows' swatches in each class's overlay colour.
    mutating func draw(_ legend: Legend, in rect: PixelRect, scale: Int, colours: ClassColours, backingAlpha: Float) {
        fill(rect, .black, alpha: backingAlpha)
        for (row, entry) in legend.entries.enumerated() {
            drawCaption(
                entry.name, swatch: colours.mask(entry.label), x: rect.x0, y: rect.y0 + row * Caption.height(scale: scale), scale: scale)
        }
    }
}
