import LadonSink
import Shared
import Testing

/// The class colours and the mask overlay drawn in them: every class must show on any background.
@Suite struct ClassPaletteTests {
    /// The largest difference in any one channel.
    static func difference(_ a: RGBColour, _ b: RGBColour) -> Int {
        max(abs(Int(a.r) - Int(b.r)), abs(Int(a.g) - Int(b.g)), abs(Int(a.b) - Int(b.b)))
    }

    static func spread(_ colour: RGBColour) -> Int {
        Int(max(colour.r, colour.g, colour.b)) - Int(min(colour.r, colour.g, colour.b))
    }

    @Test("every class colour is saturated: its channels span at least the palette's minimum spread")
    func saturated() {
        for label in 1...255 {
            let colour = ClassPalette.colour(label)
            #expect(Self.spread(colour) >= ClassPalette.minimumSpread, "label \(label): \(colour)")
        }
        #expect(Float(ClassPalette.minimumSpread) * AnnotationRenderer.Style().overlayAlpha / 2 >= 40)
    }

    @Test("the first eleven class colours are far apart from each other, the shapes-world six farther")
    func distinct() {
        let colours = (1...11).map(ClassPalette.colour)
        for i in colours.indices {
            for j in colours.indices where j > i {
                let apart = Self.difference(colours[i], colours[j])
                #expect(apart >= (j < 6 ? 100 : 70), "labels \(i + 1) and \(j + 1) differ by \(apart)")
            }
        }
    }

    /// Nine bands of grey from black to white, `width` pixels wide and 4 rows each.
    static func greys(width: Int) -> PixelImage {
        let levels: [UInt8] = [0, 32, 64, 96, 128, 160, 192, 224, 255]
        let pixels = levels.flatMap { level in [UInt8](repeating: level, count: width * 4 * 3) }
        return PixelImage(size: ImageSize(height: levels.count * 4, width: width), channels: 3, pixels: pixels)
    }

    @Test("each class's overlay changes every pixel of its region visibly, on black, white and every grey between", arguments: 1...12)
    func visibleOnAnyGrey(label: Int) throws {
        let frame = Self.greys(width: 100)
        let size = frame.size
        // The region: columns 5 ..< 25 of every row; its interior (not the outline) is columns 6 ..< 24.
        // The legend takes the bottom-right corner, clear of it.
        let labels = (0..<size.height * size.width).map { (5..<25).contains($0 % size.width) ? UInt8(label) : 0 }
        let out = try AnnotationRenderer().render(FrameAnnotations(size: size, labels: labels), on: frame)
        for y in 0..<size.height {
            for x in 6..<24 {
                let change = Self.difference(AnnotationRendererTests.pixel(out, x, y), AnnotationRendererTests.pixel(frame, x, y))
                #expect(change >= 40, "label \(label) at (\(x), \(y)) moves the pixel by \(change)")
            }
        }
    }

    @Test("a region's boundary is outlined in its opaque class colour, so a single pixel shows, and background stays clear")
    func outline() throws {
        // 120x80: the legend takes the bottom-right corner, clear of the pixels checked.
        let size = ImageSize(height: 80, width: 120)
        let frame = AnnotationRendererTests.gradient(size)
        var labels = [UInt8](repeating: 0, count: size.height * size.width)
        labels[10 * 120 + 5] = 4  // one pixel of class 4
        for y in 20..<30 {  // class 1 at columns 10 ..< 20 beside class 2 at columns 20 ..< 30
            for x in 10..<30 { labels[y * 120 + x] = x < 20 ? 1 : 2 }
        }
        let out = try AnnotationRenderer().render(FrameAnnotations(size: size, labels: labels), on: frame)
        let pixel = AnnotationRendererTests.pixel
        #expect(pixel(out, 5, 10) == ClassPalette.colour(4), "the single pixel")
        for (x, y, label) in [(10, 25, 1), (19, 25, 1), (15, 20, 1), (15, 29, 1), (20, 25, 2), (29, 25, 2), (25, 20, 2)] {
            #expect(pixel(out, x, y) == ClassPalette.colour(label), "outline pixel (\(x), \(y)) of class \(label)")
        }
        for (x, y) in [(15, 25), (25, 25)] {
            #expect(pixel(out, x, y) != pixel(frame, x, y) && pixel(out, x, y) != ClassPalette.colour(Int(labels[y * 120 + x])))
        }
        for (x, y) in [(4, 10), (6, 10), (5, 9), (5, 11), (9, 25), (30, 25), (15, 19), (15, 30)] {
            #expect(pixel(out, x, y) == pixel(frame, x, y), "background pixel (\(x), \(y))")
        }
    }

    @Test("a box takes the colour of the segmentation class of its name, else its own label's")
    func detectionColours() throws {
        let frame = AnnotationRendererTests.frame
        let size = frame.size
        let named = DetectedObject(box: Box(x1: 10, y1: 20, x2: 30, y2: 40), label: 1, name: "person", score: 0.9)
        let unnamed = DetectedObject(box: Box(x1: 40, y1: 20, x2: 60, y2: 40), label: 3, name: "kite", score: 0.8)
        let annotations = FrameAnnotations(
            size: size, objects: [named, unnamed], labels: [UInt8](repeating: 0, count: size.height * size.width),
            classNames: ["background", "aeroplane", "bicycle", "bird", "boat", "bottle", "person"])
        let out = try AnnotationRenderer().render(annotations, on: frame)
        #expect(AnnotationRendererTests.pixel(out, 10, 30) == ClassPalette.colour(6))
        #expect(AnnotationRendererTests.pixel(out, 40, 30) == ClassPalette.colour(3))
    }
}
