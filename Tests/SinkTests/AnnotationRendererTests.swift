import Foundation
import LadonSink
import Shared
import Testing

/// The annotation renderer on small synthetic frames, checked pixel by pixel.
@Suite struct AnnotationRendererTests {
    static let size = ImageSize(height: 48, width: 64)
    /// A gradient, so "keeps the original" cannot pass by accident on a flat colour.
    static let frame = gradient(size)

    /// A gradient of `size` (wrapping past 64 columns or 61 rows), never white, so white is text.
    static func gradient(_ size: ImageSize) -> PixelImage {
        var pixels: [UInt8] = []
        for y in 0..<size.height {
            for x in 0..<size.width { pixels += [UInt8(truncatingIfNeeded: x * 3 + 20), UInt8(truncatingIfNeeded: y * 4 + 10), 90] }
        }
        return PixelImage(size: size, channels: 3, pixels: pixels)
    }
    static let renderer = AnnotationRenderer()

    static func pixel(_ image: PixelImage, _ x: Int, _ y: Int) -> RGBColour {
        let base = (y * image.size.width + x) * 3
        return RGBColour(r: image.pixels[base], g: image.pixels[base + 1], b: image.pixels[base + 2])
    }

    static func object(_ x1: Float, _ y1: Float, _ x2: Float, _ y2: Float, label: Int = 2, score: Float = 0.9) -> DetectedObject {
        DetectedObject(box: Box(x1: x1, y1: y1, x2: x2, y2: y2), label: label, name: "square", score: score)
    }

    @Test func aBoxsEdgesTakeItsClassColourWhilePixelsInsideAndAwayKeepTheOriginal() throws {
        let annotations = FrameAnnotations(size: Self.size, objects: [Self.object(20, 24, 40, 40)])
        let out = try Self.renderer.render(annotations, on: Self.frame)
        let green = ClassPalette.colour(2)
        for (x, y) in [(20, 32), (21, 32), (38, 32), (39, 32), (30, 38), (30, 39)] {
            #expect(Self.pixel(out, x, y) == green, "edge pixel (\(x), \(y))")
        }
        for (x, y) in [(22, 32), (37, 32), (30, 37), (30, 30), (40, 32), (30, 40), (5, 45), (60, 5)] {
            #expect(Self.pixel(out, x, y) == Self.pixel(Self.frame, x, y), "pixel (\(x), \(y)) should be untouched")
        }
    }

    @Test func theOverlayBlendsMaskedPixelsTowardTheClassColourOutlinesTheRegionAndLeavesBackgroundClear() throws {
        // Label 1 in a block, 0 elsewhere; the legend takes the top-right corner, clear of the block.
        let labels = (0..<Self.size.height * Self.size.width).map { index -> UInt8 in
            let (x, y) = (index % 64, index / 64)
            return (10..<30).contains(x) && (20..<40).contains(y) ? 1 : 0
        }
        let out = try Self.renderer.render(FrameAnnotations(size: Self.size, labels: labels), on: Self.frame)
        let red = ClassPalette.colour(1)
        for (x, y) in [(11, 21), (28, 38), (15, 30)] {
            let original = Self.pixel(Self.frame, x, y)
            let alpha: Float = 0.5
            func mix(_ a: UInt8, _ b: UInt8) -> UInt8 { UInt8((Float(a) * (1 - alpha) + Float(b) * alpha).rounded()) }
            let expected = RGBColour(r: mix(original.r, red.r), g: mix(original.g, red.g), b: mix(original.b, red.b))
            #expect(Self.pixel(out, x, y) == expected, "masked pixel (\(x), \(y))")
            #expect(Self.pixel(out, x, y) != original)
        }
        for (x, y) in [(10, 20), (29, 39), (20, 20), (10, 30)] {
            #expect(Self.pixel(out, x, y) == red, "outline pixel (\(x), \(y))")
        }
        for (x, y) in [(9, 20), (30, 39), (50, 20)] {
            #expect(Self.pixel(out, x, y) == Self.pixel(Self.frame, x, y), "background pixel (\(x), \(y))")
        }
    }

    @Test func theBannerWritesTheTopClassOverADarkenedStrip() throws {
        let top = ClassScore(classIndex: 4, name: "circle", probability: 0.91)
        let out = try Self.renderer.render(FrameAnnotations(size: Self.size, top: top), on: Self.frame)
        let banner = (0..<10).flatMap { y in (0..<64).map { x in Self.pixel(out, x, y) } }
        #expect(banner.filter { $0 == RGBColour.white }.count > 60, "'top: circle 0.91' is written in white")
        // The strip's last row holds no ink at columns 0 and 63: the frame shows through, darkened.
        for x in [0, 63] {
            let (original, shown) = (Self.pixel(Self.frame, x, 9), Self.pixel(out, x, 9))
            #expect(shown == original.blendedTowardBlack(0.75), "banner pixel (\(x), 9)")
        }
        #expect(Self.pixel(out, 30, 10) == Self.pixel(Self.frame, 30, 10), "below the banner is untouched")
    }

    @Test(arguments: [
        Box(x1: -50, y1: -50, x2: -10, y2: -10), Box(x1: 70, y1: 10, x2: 90, y2: 20), Box(x1: 10, y1: 50, x2: 20, y2: 60),
        Box(x1: 10, y1: 10, x2: 10, y2: 30), Box(x1: 30, y1: 20, x2: 10, y2: 10), Box(x1: .nan, y1: 0, x2: 10, y2: 10),
        Box(x1: 0, y1: 0, x2: .infinity, y2: 10), Box(x1: -1e30, y1: -1e30, x2: -1e29, y2: 5),
    ])
    func boxesOutsideTheFrameOrWithoutAreaDrawNothing(_ box: Box) throws {
        let object = DetectedObject(box: box, label: 3, name: "triangle", score: 0.99)
        let out = try Self.renderer.render(FrameAnnotations(size: Self.size, objects: [object]), on: Self.frame)
        #expect(out == Self.frame)
    }

    @Test func aBoxPartlyOutsideKeepsItsVisibleEdgesAndASubPixelBoxMarksItsPixel() throws {
        let annotations = FrameAnnotations(
            size: Self.size,
            objects: [
                Self.object(-10, 20, 30, 70, label: 2), Self.object(50.2, 40.3, 50.6, 40.7, label: 1, score: 0.8),
            ])
        let out = try Self.renderer.render(annotations, on: Self.frame)
        #expect(Self.pixel(out, 28, 40) == ClassPalette.colour(2) && Self.pixel(out, 29, 40) == ClassPalette.colour(2))
        // The left and bottom edges lie outside: column 0 and the last row inside the box keep the frame.
        #expect(Self.pixel(out, 0, 40) == Self.pixel(Self.frame, 0, 40))
        #expect(Self.pixel(out, 10, 47) == Self.pixel(Self.frame, 10, 47))
        #expect(Self.pixel(out, 50, 40) == ClassPalette.colour(1))
    }

    @Test func detectionsBelowTheMinimumScoreAreLeftOut() throws {
        let faint = FrameAnnotations(size: Self.size, objects: [Self.object(20, 24, 40, 40, score: 0.3)])
        #expect(try Self.renderer.render(faint, on: Self.frame) == Self.frame)
        var style = AnnotationRenderer.Style()
        style.minimumScore = 0.25
        #expect(try AnnotationRenderer(style: style).render(faint, on: Self.frame) != Self.frame)
    }

    @Test func onlyTheMostConfidentDetectionsUpToTheLimitAreDrawn() throws {
        var style = AnnotationRenderer.Style()
        style.maximumObjects = 1
        let annotations = FrameAnnotations(
            size: Self.size,
            objects: [
                Self.object(2, 30, 12, 40, label: 1, score: 0.6), Self.object(40, 30, 50, 40, label: 2, score: 0.9),
            ])
        let out = try AnnotationRenderer(style: style).render(annotations, on: Self.frame)
        #expect(Self.pixel(out, 40, 35) == ClassPalette.colour(2))
        #expect(Self.pixel(out, 2, 35) == Self.pixel(Self.frame, 2, 35), "the less confident box is left out")
    }

    @Test func aGreyFrameIsDrawnOnInRGB() throws {
        let grey = PixelImage(size: Self.size, channels: 1, pixels: [UInt8](repeating: 77, count: 64 * 48))
        let out = try Self.renderer.render(FrameAnnotations(size: Self.size, objects: [Self.object(20, 24, 40, 40)]), on: grey)
        #expect(out.channels == 3)
        #expect(Self.pixel(out, 30, 30) == RGBColour(r: 77, g: 77, b: 77))
        #expect(Self.pixel(out, 20, 30) == ClassPalette.colour(2))
    }

    @Test func aFrameOfAnotherSizeThanTheResultIsRefused() {
        let annotations = FrameAnnotations(size: ImageSize(height: 48, width: 65))
        #expect(throws: AnnotationError.sizeMismatch(image: Self.size, result: ImageSize(height: 48, width: 65))) {
            try Self.renderer.render(annotations, on: Self.frame)
        }
    }
}

@Suite struct BitmapFontTests {
    static let printable = (32...126).map { Character(UnicodeScalar(UInt8($0))) }

    static func ink(_ character: Character) -> [[Bool]] {
        (0..<BitmapFont.glyphHeight).map { row in
            (0..<BitmapFont.glyphWidth).map { BitmapFont.isInk(character, column: $0, row: row) }
        }
    }

    @Test func everyPrintableCharacterButSpaceHasInkAndNoTwoGlyphsAreAlike() {
        let glyphs = Self.printable.map(Self.ink)
        #expect(glyphs[0].joined().allSatisfy { !$0 }, "space is blank")
        for (character, glyph) in zip(Self.printable, glyphs).dropFirst() {
            #expect(glyph.joined().contains(true), "'\(character)' has no ink")
        }
        #expect(Set(glyphs.map { $0.map { $0.map { $0 ? "#" : "." }.joined() }.joined(separator: "/") }).count == glyphs.count)
    }

    @Test func capitalsSitOnTheBaselineAndDescendersReachBelowIt() {
        let below = BitmapFont.baseline..<BitmapFont.glyphHeight
        for character in "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789acemnorsuvwxz" {
            #expect(Self.ink(character)[below].joined().allSatisfy { !$0 }, "'\(character)' reaches below the baseline")
            #expect(Self.ink(character)[BitmapFont.baseline - 1].contains(true), "'\(character)' does not reach the baseline")
        }
        for character in "gjpqy" {
            #expect(Self.ink(character)[below].joined().contains(true), "'\(character)' has no descender")
        }
        // 'L': a full left column over the cap height and a full bottom row.
        #expect((0..<BitmapFont.baseline).allSatisfy { BitmapFont.isInk("L", column: 0, row: $0) })
        #expect((0..<BitmapFont.glyphWidth).allSatisfy { BitmapFont.isInk("L", column: $0, row: BitmapFont.baseline - 1) })
    }

    @Test func charactersOutsidePrintableASCIIDrawAsAQuestionMark() {
        #expect(Self.ink("é") == Self.ink("?"))
        #expect(Self.ink("\u{7F}") == Self.ink("?"))
        #expect(BitmapFont.width(of: "ab") == 11)
    }
}

extension RGBColour {
    /// The dark backing's darkening, computed the way the tests expect it: each channel times (1 − alpha), rounded.
    func blendedTowardBlack(_ alpha: Float) -> RGBColour {
        func dark(_ value: UInt8) -> UInt8 { UInt8((Float(value) * (1 - alpha)).rounded()) }
        return RGBColour(r: dark(r), g: dark(g), b: dark(b))
    }
}
