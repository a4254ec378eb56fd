import Foundation
import Shared

/// Draws one frame's results onto the frame: the segmentation map as a translucent overlay in the
/// PASCAL VOC colours (background left clear), each detection's box in its class colour with a filled
/// tag "name 0.87", and a banner "top: name 0.91" across the top. Layers go in that order, so tags sit
/// on boxes and the banner on everything. Everything is clipped to the image: boxes partly outside
/// keep their visible edges, and empty, inverted, non-finite or wholly outside boxes draw nothing.
public struct AnnotationRenderer: Sendable {
    public struct Style: Sendable {
        /// Weight of the class colour in a masked pixel.
        public var overlayAlpha: Float = 0.45
        /// Detections below this score are not drawn (the edge keeps low-scoring ones for mAP).
        public var minimumScore: Float = 0.5
        /// At most this many detections are drawn, the most confident, so a frame stays readable.
        public var maximumObjects = 20
        /// Box outline width at text scale 1, in pixels.
        public var lineWidth = 2
        /// Font pixels per image pixel; `nil` picks 1 up to 720-pixel short sides, more above.
        public var textScale: Int?
        /// Weight of the dark banner behind the top class.
        public var bannerAlpha: Float = 0.7

        public init() {}
    }

    public var style: Style

    public init(style: Style = Style()) {
        self.style = style
    }

    /// The annotated copy of `image` (grey or RGB, at the frame's size), always RGB.
    public func render(_ annotations: FrameAnnotations, on image: PixelImage) throws(AnnotationError) -> PixelImage {
        guard image.channels == 1 || image.channels == 3 else { throw .unsupportedChannels(image.channels) }
        guard image.size == annotations.size else { throw .sizeMismatch(image: image.size, result: annotations.size) }
        var canvas = Canvas(image)
        let scale = style.textScale ?? max(1, min(image.size.width, image.size.height) / 360)
        if let labels = annotations.labels { overlay(labels, on: &canvas) }
        let banner = annotations.top.map { bannerText(for: $0) }
        let bannerBottom = banner == nil ? 0 : tagHeight(scale: scale)
        let shown = annotations.objects.compactMap { object in
            object.score >= style.minimumScore ? pixelBox(object.box, in: image.size).map { (object, $0) } : nil
        }.sorted { $0.0.score > $1.0.score }.prefix(style.maximumObjects)
        for (object, box) in shown {
            canvas.stroke(
                x0: box.x0, y0: box.y0, x1: box.x1, y1: box.y1, thickness: style.lineWidth * scale,
                RGBColour(vocLabel: object.label))
        }
        // The most confident tags choose their places first and are drawn last, on top of any overlap.
        var placed: [PixelBox] = []
        for (object, box) in shown {
            placed.append(
                tagPlace(
                    for: tagText(for: object), at: box, avoiding: placed, below: bannerBottom, scale: scale,
                    in: image.size))
        }
        for ((object, _), tag) in zip(shown, placed).reversed() {
            let colour = RGBColour(vocLabel: object.label)
            canvas.fill(x0: tag.x0, y0: tag.y0, x1: tag.x1, y1: tag.y1, colour)
            canvas.draw(tagText(for: object), x: tag.x0 + scale, y: tag.y0 + scale, scale: scale, colour.contrastingText)
        }
        if let banner {
            canvas.fill(x0: 0, y0: 0, x1: canvas.width, y1: bannerBottom, .black, alpha: style.bannerAlpha)
            canvas.draw(banner, x: scale, y: scale, scale: scale, .white)
        }
        return canvas.image
    }

    /// The tag's text: class name (or its index when unnamed) and score to two decimals.
    func tagText(for object: DetectedObject) -> String {
        "\(object.name.isEmpty ? "class \(object.label)" : object.name) \(String(format: "%.2f", object.score))"
    }

    func bannerText(for top: ClassScore) -> String {
        "top: \(top.name.isEmpty ? "class \(top.classIndex)" : top.name) \(String(format: "%.2f", top.probability))"
    }

    /// A text line's height with one font pixel of padding above and below.
    func tagHeight(scale: Int) -> Int { (BitmapFont.glyphHeight + 1) * scale }

    // MARK: layers

    private func overlay(_ labels: [UInt8], on canvas: inout Canvas) {
        let colours = (0..<256).map { RGBColour(vocLabel: $0) }
        for y in 0..<canvas.height {
            for x in 0..<canvas.width {
                let label = Int(labels[y * canvas.width + x])
                if label != 0 { canvas[x, y] = canvas[x, y].blended(toward: colours[label], alpha: style.overlayAlpha) }
            }
        }
    }

    /// Where a box's tag goes: the first of above the top-left corner, inside the top edge, below the
    /// bottom edge and inside the bottom edge that stays clear of the banner and of tags already placed
    /// (else the first clear of the banner), moved to stay on the image.
    private func tagPlace(
        for text: String, at box: PixelBox, avoiding placed: [PixelBox], below bannerBottom: Int,
        scale: Int, in size: ImageSize
    ) -> PixelBox {
        let (width, height) = ((BitmapFont.width(of: text) + 2) * scale, tagHeight(scale: scale))
        let x = max(0, min(box.x0, size.width - width))
        let candidates = [box.y0 - height, box.y0, box.y1, box.y1 - height].map { y in
            let top = max(0, min(y, size.height - height))
            return PixelBox(x0: x, y0: top, x1: x + width, y1: top + height)
        }
        let belowBanner = candidates.filter { $0.y0 >= bannerBottom }
        return belowBanner.first { candidate in !placed.contains { $0.overlaps(candidate) } } ?? belowBanner.first ?? candidates[0]
    }

    /// Columns `x0 ..< x1`, rows `y0 ..< y1` the box covers (corners floored and ceiled to whole pixels),
    /// or `nil` when it covers no pixel of the image.
    private func pixelBox(_ box: Box, in size: ImageSize) -> PixelBox? {
        guard [box.x1, box.y1, box.x2, box.y2].allSatisfy(\.isFinite), box.x2 > box.x1, box.y2 > box.y1 else { return nil }
        // Clamp before converting, far enough out that an outside edge stays outside: far-off corners
        // would not fit an Int.
        func pixel(_ value: Float, _ rounding: FloatingPointRoundingRule) -> Int {
            Int(min(max(value, -1e7), 1e7).rounded(rounding))
        }
        let result = PixelBox(x0: pixel(box.x1, .down), y0: pixel(box.y1, .down), x1: pixel(box.x2, .up), y1: pixel(box.y2, .up))
        guard result.x1 > 0, result.y1 > 0, result.x0 < size.width, result.y0 < size.height else { return nil }
        return result
    }

    private struct PixelBox {
        let x0: Int, y0: Int, x1: Int, y1: Int

        func overlaps(_ other: PixelBox) -> Bool {
            x0 < other.x1 && other.x0 < x1 && y0 < other.y1 && other.y0 < y1
        }
    }
}
