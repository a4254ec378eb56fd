import Foundation
import Shared

/// Draws one frame's results onto the frame, in layers, each on the ones before:
/// 1. the segmentation map as a translucent overlay in the ClassPalette colours with a 1-pixel outline
///    along each class region's boundary (MaskOverlay; background left clear);
/// 2. each detection's box in its class colour;
/// 3. each box's tag, a Caption (swatch + "name 0.87" in white on a dark backing) that TagPlacement keeps
///    on the frame, the name shortened when the frame is too narrow for it;
/// 4. the Legend of the overlay's classes, in the corner where it covers the least;
/// 5. a banner "top: name 0.91" across the top on the same dark backing.
/// Text scales with the frame (`Style.textScale`). Everything is clipped to the image: boxes partly
/// outside keep their visible edges, and empty, inverted, non-finite or wholly outside boxes draw nothing.
public struct AnnotationRenderer: Sendable {
    public struct Style: Sendable {
        /// Weight of the class colour in a masked pixel (the outline is opaque).
        public var overlayAlpha: Float = 0.5
        /// Detections below this score are not drawn (the edge keeps low-scoring ones for mAP).
        public var minimumScore: Float = 0.5
        /// At most this many detections are drawn, the most confident, so a frame stays readable.
        public var maximumObjects = 20
        /// Box outline width at text scale 1, in pixels.
        public var lineWidth = 2
        /// Font pixels per image pixel; `nil` picks 1 up to 720-pixel short sides, more above.
        public var textScale: Int?
        /// Weight of the black behind text: the tags, the legend and the banner.
        public var backingAlpha: Float = 0.75

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
        let size = image.size
        let scale = textScale(for: size)
        let colours = ClassColours(segmentationClasses: annotations.classNames)
        if let labels = annotations.labels { canvas.overlay(labels, colours: colours, alpha: style.overlayAlpha) }
        let bannerBottom = annotations.top == nil ? 0 : min(Caption.height(scale: scale), size.height)
        let shown = annotations.objects.compactMap { object in
            object.score >= style.minimumScore ? pixelBox(object.box, in: size).map { (object, $0) } : nil
        }.sorted { $0.0.score > $1.0.score }.prefix(style.maximumObjects)
        for (object, box) in shown {
            canvas.stroke(x0: box.x0, y0: box.y0, x1: box.x1, y1: box.y1, thickness: style.lineWidth * scale, colours.detection(object))
        }
        // The most confident tags choose their places first and are drawn last, on top of any overlap.
        var tags: [(text: String, place: PixelRect)] = []
        for (object, box) in shown {
            let text = tagText(for: object, width: size.width, scale: scale)
            let place = TagPlacement.rectangle(
                width: Caption.width(of: text, scale: scale), height: Caption.height(scale: scale), for: box, in: size,
                below: bannerBottom, avoiding: tags.map(\.place))
            tags.append((text, place))
        }
        for ((object, _), tag) in zip(shown, tags).reversed() {
            canvas.fill(tag.place, .black, alpha: style.backingAlpha)
            canvas.drawCaption(tag.text, swatch: colours.detection(object), x: tag.place.x0, y: tag.place.y0, scale: scale)
        }
        if let labels = annotations.labels {
            let legend = Legend(labels: labels, classNames: annotations.classNames)
                .fitting(width: size.width, height: size.height - bannerBottom, scale: scale)
            if !legend.entries.isEmpty {
                let (width, height) = legend.size(scale: scale)
                let boxes = shown.map(\.1) + tags.map(\.place)
                let place = Legend.place(width: width, height: height, in: size, below: bannerBottom) { x, y in
                    labels[y * size.width + x] != 0 || boxes.contains { $0.contains(x: x, y: y) }
                }
                canvas.draw(legend, in: place, scale: scale, colours: colours, backingAlpha: style.backingAlpha)
            }
        }
        if let top = annotations.top {
            canvas.fill(x0: 0, y0: 0, x1: canvas.width, y1: bannerBottom, .black, alpha: style.backingAlpha)
            canvas.draw(bannerText(for: top, width: size.width, scale: scale), x: scale, y: scale, scale: scale, .white)
        }
        return canvas.image
    }

    /// Font pixels per image pixel on a frame of `size`.
    func textScale(for size: ImageSize) -> Int {
        style.textScale ?? max(1, min(size.width, size.height) / 360)
    }

    /// The tag's text: class name (or its index when unnamed) and score to two decimals, the name
    /// shortened so that the tag fits a frame `width` pixels wide.
    func tagText(for object: DetectedObject, width: Int, scale: Int) -> String {
        let name = object.name.isEmpty ? "class \(object.label)" : object.name
        return Caption.fitting(name, suffix: " " + String(format: "%.2f", object.score), width: width, scale: scale)
    }

    /// "top: name 0.91", the name shortened to fit the banner (one font pixel of margin either side).
    func bannerText(for top: ClassScore, width: Int, scale: Int) -> String {
        let (prefix, name) = ("top: ", top.name.isEmpty ? "class \(top.classIndex)" : top.name)
        let room = width / scale - 2 - prefix.count * BitmapFont.advance
        return prefix + BitmapFont.fitting(name, suffix: " " + String(format: "%.2f", top.probability), width: room)
    }

    // MARK: boxes

    /// Columns `x0 ..< x1`, rows `y0 ..< y1` the box covers (corners floored and ceiled to whole pixels),
    /// or `nil` when it covers no pixel of the image.
    private func pixelBox(_ box: Box, in size: ImageSize) -> PixelRect? {
        guard [box.x1, box.y1, box.x2, box.y2].allSatisfy(\.isFinite), box.x2 > box.x1, box.y2 > box.y1 else { return nil }
        // Clamp before converting, far enough out that an outside edge stays outside: far-off corners
        // would not fit an Int.
        func pixel(_ value: Float, _ rounding: FloatingPointRoundingRule) -> Int {
            Int(min(max(value, -1e7), 1e7).rounded(rounding))
        }
        let result = PixelRect(x0: pixel(box.x1, .down), y0: pixel(box.y1, .down), x1: pixel(box.x2, .up), y1: pixel(box.y2, .up))
        guard result.x1 > 0, result.y1 > 0, result.x0 < size.width, result.y0 < size.height else { return nil }
        return result
    }
}
