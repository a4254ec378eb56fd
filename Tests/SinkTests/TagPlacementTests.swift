import LadonSink
import Shared
import Testing

/// Where a detection's tag goes (TagPlacement, apart from drawing), and how a placed tag is drawn.
@Suite struct TagPlacementTests {
    static let frame = ImageSize(height: 120, width: 160)

    static func place(_ box: PixelRect, width: Int = 50, banner: Int = 0, avoiding placed: [PixelRect] = []) -> PixelRect {
        TagPlacement.rectangle(width: width, height: 10, for: box, in: frame, below: banner, avoiding: placed)
    }

    @Test("a tag sits on top of its box, from the box's left edge, when there is room above")
    func above() {
        #expect(Self.place(PixelRect(x0: 30, y0: 40, x1: 90, y1: 80)) == PixelRect(x0: 30, y0: 30, x1: 80, y1: 40))
        #expect(Self.place(PixelRect(x0: 30, y0: 20, x1: 90, y1: 80), banner: 10) == PixelRect(x0: 30, y0: 10, x1: 80, y1: 20))
    }

    @Test("a box touching the top edge gets its tag inside its top edge")
    func touchingTheTop() {
        #expect(Self.place(PixelRect(x0: 30, y0: 0, x1: 90, y1: 50)) == PixelRect(x0: 30, y0: 0, x1: 80, y1: 10))
        #expect(Self.place(PixelRect(x0: 30, y0: -25, x1: 90, y1: 50)) == PixelRect(x0: 30, y0: 0, x1: 80, y1: 10))
    }

    @Test("a box too close to the banner gets its tag inside its top edge, below the banner")
    func underTheBanner() {
        #expect(Self.place(PixelRect(x0: 30, y0: 15, x1: 90, y1: 50), banner: 10) == PixelRect(x0: 30, y0: 15, x1: 80, y1: 25))
        #expect(Self.place(PixelRect(x0: 30, y0: 4, x1: 90, y1: 50), banner: 10) == PixelRect(x0: 30, y0: 10, x1: 80, y1: 20))
    }

    @Test("a box touching the right edge gets its tag pushed left to end at the edge")
    func touchingTheRight() {
        #expect(Self.place(PixelRect(x0: 140, y0: 50, x1: 160, y1: 80)) == PixelRect(x0: 110, y0: 40, x1: 160, y1: 50))
        #expect(Self.place(PixelRect(x0: 150, y0: 50, x1: 190, y1: 80)) == PixelRect(x0: 110, y0: 40, x1: 160, y1: 50))
    }

    @Test("a box touching or crossing the left edge gets its tag at column 0")
    func touchingTheLeft() {
        #expect(Self.place(PixelRect(x0: 0, y0: 50, x1: 30, y1: 80)) == PixelRect(x0: 0, y0: 40, x1: 50, y1: 50))
        #expect(Self.place(PixelRect(x0: -20, y0: 50, x1: 30, y1: 80)) == PixelRect(x0: 0, y0: 40, x1: 50, y1: 50))
    }

    @Test("a box touching the bottom edge keeps its tag above it")
    func touchingTheBottom() {
        #expect(Self.place(PixelRect(x0: 30, y0: 100, x1: 90, y1: 120)) == PixelRect(x0: 30, y0: 90, x1: 80, y1: 100))
        #expect(Self.place(PixelRect(x0: 30, y0: 115, x1: 90, y1: 140)) == PixelRect(x0: 30, y0: 105, x1: 80, y1: 115))
    }

    @Test("a box wider and taller than the frame gets its tag in the frame's top-left corner")
    func widerThanTheFrame() {
        #expect(Self.place(PixelRect(x0: -40, y0: -10, x1: 200, y1: 130)) == PixelRect(x0: 0, y0: 0, x1: 50, y1: 10))
        #expect(Self.place(PixelRect(x0: -40, y0: 30, x1: 200, y1: 100)) == PixelRect(x0: 0, y0: 20, x1: 50, y1: 30))
    }

    @Test("a tag wider than the frame is cut to the frame")
    func tagWiderThanTheFrame() {
        #expect(Self.place(PixelRect(x0: 30, y0: 40, x1: 90, y1: 80), width: 200) == PixelRect(x0: 0, y0: 30, x1: 160, y1: 40))
    }

    @Test("a tag overlapping an earlier one tries inside the top, then below, then inside the bottom edge")
    func avoidingEarlierTags() {
        let box = PixelRect(x0: 30, y0: 40, x1: 90, y1: 80)
        let (above, insideTop) = (PixelRect(x0: 30, y0: 30, x1: 80, y1: 40), PixelRect(x0: 30, y0: 40, x1: 80, y1: 50))
        let (below, insideBottom) = (PixelRect(x0: 30, y0: 80, x1: 80, y1: 90), PixelRect(x0: 30, y0: 70, x1: 80, y1: 80))
        #expect(Self.place(box, avoiding: [above]) == insideTop)
        #expect(Self.place(box, avoiding: [above, insideTop]) == below)
        #expect(Self.place(box, avoiding: [above, insideTop, below]) == insideBottom)
        #expect(Self.place(box, avoiding: [PixelRect(x0: 0, y0: 0, x1: 160, y1: 120)]) == above, "nowhere clear: the first place")
        #expect(Self.place(box, avoiding: [PixelRect(x0: 100, y0: 30, x1: 150, y1: 40)]) == above, "a tag beside it is no overlap")
    }

    @Test(
        "every tag lies wholly on the frame, below the banner, at its full size",
        arguments: [
            PixelRect(x0: 0, y0: 0, x1: 160, y1: 120), PixelRect(x0: -5, y0: -5, x1: 3, y1: 3), PixelRect(x0: 157, y0: 117, x1: 170, y1: 130),
            PixelRect(x0: 159, y0: 0, x1: 160, y1: 1), PixelRect(x0: 0, y0: 119, x1: 1, y1: 120), PixelRect(x0: 60, y0: 5, x1: 61, y1: 6),
            PixelRect(x0: -1000, y0: 60, x1: 1000, y1: 61), PixelRect(x0: 80, y0: 12, x1: 120, y1: 118),
        ])
    func alwaysOnTheFrame(_ box: PixelRect) {
        for banner in [0, 10] {
            for width in [1, 50, 159, 160] {
                let tag = Self.place(box, width: width, banner: banner)
                #expect(tag.isInside(Self.frame) && tag.y0 >= banner, "\(tag) for \(box) under a \(banner)-row banner")
                #expect(tag.width == width && tag.height == 10)
            }
        }
    }

    // MARK: drawing

    /// A 160x60 gradient.
    static let wide: PixelImage = {
        let size = ImageSize(height: 60, width: 160)
        var pixels: [UInt8] = []
        for y in 0..<size.height {
            for x in 0..<size.width { pixels += [UInt8(x + 40), UInt8(y * 3 + 30), 200] }
        }
        return PixelImage(size: size, channels: 3, pixels: pixels)
    }()

    static func object(_ box: Box, label: Int = 2, name: String = "square", score: Float = 0.9) -> DetectedObject {
        DetectedObject(box: box, label: label, name: name, score: score)
    }

    /// Ink pixels of `text` in the built-in font at scale 1.
    static func ink(_ text: String) -> Int {
        text.map { character in
            (0..<BitmapFont.glyphHeight).map { row in
                (0..<BitmapFont.glyphWidth).filter { BitmapFont.isInk(character, column: $0, row: row) }.count
            }.reduce(0, +)
        }.reduce(0, +)
    }

    @Test("a tag is a dark backing holding a swatch of the box's colour and the text in white")
    func tagLooks() throws {
        let annotations = FrameAnnotations(size: Self.wide.size, objects: [Self.object(Box(x1: 20, y1: 24, x2: 100, y2: 50))])
        let out = try AnnotationRenderer().render(annotations, on: Self.wide)
        let pixel = AnnotationRendererTests.pixel
        // Above the box: rows 14 ..< 24, columns 20 ..< 20 + 10 + width("square 0.90") + 1 = 96.
        let tag = PixelRect(x0: 20, y0: 14, x1: 96, y1: 24)
        let swatch = PixelRect(x0: 21, y0: 15, x1: 28, y1: 22)
        var white = 0
        for y in tag.y0..<tag.y1 {
            for x in tag.x0..<tag.x1 {
                let (shown, original) = (pixel(out, x, y), pixel(Self.wide, x, y))
                if swatch.contains(x: x, y: y) {
                    #expect(shown == ClassPalette.colour(2), "swatch pixel (\(x), \(y))")
                } else if shown == .white {
                    white += 1
                } else {
                    #expect(shown == original.blendedTowardBlack(0.75), "backing pixel (\(x), \(y))")
                }
            }
        }
        #expect(white == Self.ink("square 0.90"), "all of the text's ink, in white")
        for (x, y) in [(19, 20), (96, 20), (50, 13)] {
            #expect(pixel(out, x, y) == pixel(Self.wide, x, y), "(\(x), \(y)) beside the tag is untouched")
        }
    }

    @Test("a tag too long for the frame shortens the name, keeps the score and draws all of its text on the frame")
    func tagFitsANarrowFrame() throws {
        #expect(Caption.fitting("triangle", suffix: " 0.95", width: 64, scale: 1) == "tria 0.95")
        #expect(Caption.fitting("triangle", suffix: " 0.95", width: 200, scale: 1) == "triangle 0.95")
        #expect(Caption.fitting("triangle", suffix: " 0.95", width: 40, scale: 1) == "0.95")
        #expect(Caption.fitting("triangle", suffix: " 0.95", width: 128, scale: 2) == "tria 0.95")

        let frame = AnnotationRendererTests.frame
        let annotations = FrameAnnotations(
            size: frame.size, objects: [Self.object(Box(x1: 40, y1: 24, x2: 64, y2: 40), label: 3, name: "triangle", score: 0.95)])
        let out = try AnnotationRenderer().render(annotations, on: frame)
        let pixel = AnnotationRendererTests.pixel
        let white = (14..<24).flatMap { y in (0..<64).filter { pixel(out, $0, y) == .white } }.count
        #expect(white == Self.ink("tria 0.95"), "every glyph of the shortened tag is drawn whole")
        #expect(pixel(out, 63, 18) != .white && pixel(out, 63, 18) != pixel(frame, 63, 18), "the backing's padding ends at the edge")
    }
}
