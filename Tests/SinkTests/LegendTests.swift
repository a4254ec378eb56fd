import LadonSink
import Shared
import Testing

/// The legend naming the overlay's classes: its entries, its corner, its swatches.
@Suite struct LegendTests {
    static let names = ["background", "circle", "square", "triangle", "star", "ring", "cross"]

    @Test("the legend lists the classes the label map holds other than background, in label order, by name")
    func entries() {
        let legend = Legend(labels: [0, 5, 2, 0, 2, 9, 5, 0], classNames: Self.names)
        #expect(
            legend.entries == [
                Legend.Entry(label: 2, name: "square"), Legend.Entry(label: 5, name: "ring"), Legend.Entry(label: 9, name: "class 9"),
            ])
        #expect(Legend(labels: [0, 0, 0], classNames: Self.names).entries.isEmpty)
        #expect(Legend(labels: [3], classNames: ["background", "a", "b", ""]).entries == [Legend.Entry(label: 3, name: "class 3")])
    }

    @Test("a background-only label map draws no legend")
    func noLegendForBackground() throws {
        let frame = AnnotationRendererTests.frame
        let labels = [UInt8](repeating: 0, count: frame.size.height * frame.size.width)
        let out = try AnnotationRenderer().render(FrameAnnotations(size: frame.size, labels: labels, classNames: Self.names), on: frame)
        #expect(out == frame)
    }

    @Test("the panel is one caption per class, one font pixel more below, scaled with the text")
    func size() {
        let legend = Legend(entries: [Legend.Entry(label: 1, name: "circle"), Legend.Entry(label: 3, name: "triangle")])
        // 1 + 7 swatch + 2 + 47 ("triangle") + 1 columns; 2 rows of 10, then 1.
        #expect(legend.size(scale: 1) == (58, 21))
        #expect(legend.size(scale: 3) == (174, 63))
        #expect(Legend(entries: []).size(scale: 2) == (0, 0))
    }

    @Test("a legend too large for the frame keeps the rows that fit and shortens names to the width")
    func fitting() {
        let legend = Legend(labels: [1, 2, 3, 4, 5, 6], classNames: Self.names)
        let fitted = legend.fitting(width: 40, height: 35, scale: 1)
        // (35 - 1) / 10 = 3 rows; 40 - 11 = 29 pixels of text: 5 characters.
        #expect(
            fitted.entries == [Legend.Entry(label: 1, name: "circl"), Legend.Entry(label: 2, name: "squar"), Legend.Entry(label: 3, name: "trian")])
        #expect(legend.fitting(width: 320, height: 240, scale: 1) == legend)
        #expect(legend.fitting(width: 320, height: 10, scale: 1).entries.isEmpty)
        let (width, height) = fitted.size(scale: 1)
        #expect(width <= 40 && height <= 35)
    }

    static let frame = ImageSize(height: 80, width: 160)

    @Test("the panel takes the bottom-right corner unless another corner covers less of the segmentation and the boxes")
    func corner() {
        func place(below top: Int = 0, _ covered: @escaping (Int, Int) -> Bool) -> PixelRect {
            Legend.place(width: 58, height: 21, in: Self.frame, below: top, covered: covered)
        }
        #expect(place { _, _ in false } == PixelRect(x0: 102, y0: 59, x1: 160, y1: 80))
        #expect(place { _, _ in true } == PixelRect(x0: 102, y0: 59, x1: 160, y1: 80), "a tie keeps bottom-right")
        #expect(place { x, _ in x >= 100 } == PixelRect(x0: 0, y0: 59, x1: 58, y1: 80))
        #expect(place(below: 10) { _, y in y >= 40 } == PixelRect(x0: 102, y0: 10, x1: 160, y1: 31), "the top corners sit under the banner")
        #expect(place(below: 10) { x, y in y >= 40 || x >= 100 } == PixelRect(x0: 0, y0: 10, x1: 58, y1: 31))
        #expect(place { x, y in x == 150 && y == 70 } == PixelRect(x0: 0, y0: 59, x1: 58, y1: 80), "one covered pixel counts")
    }

    @Test(
        "the panel lies wholly on the frame and below the banner, whatever the frame",
        arguments: [ImageSize(height: 80, width: 160), ImageSize(height: 22, width: 58), ImageSize(height: 1000, width: 64)])
    func onTheFrame(_ frame: ImageSize) {
        for top in [0, 1] {
            for cornerCovered in 0..<4 {
                let place = Legend.place(width: 58, height: 21, in: frame, below: top) { x, y in
                    (x < frame.width / 2) == (cornerCovered % 2 == 0) && (y < frame.height / 2) == (cornerCovered < 2)
                }
                #expect(place.isInside(frame) && place.y0 >= top && place.width == 58 && place.height == 21, "\(place) on \(frame)")
            }
        }
    }

    @Test("each row's swatch has its class's colour and its name is written in white, at every text scale", arguments: [1, 2])
    func swatches(scale: Int) throws {
        let size = ImageSize(height: 80, width: 160)
        let frame = AnnotationRendererTests.gradient(size)
        // Circle (1) and triangle (3) in the top-left corner; the legend goes to the bottom-right.
        let labels = (0..<size.height * size.width).map { index -> UInt8 in
            let (x, y) = (index % size.width, index / size.width)
            return x < 20 && y < 20 ? (x < 10 ? 1 : 3) : 0
        }
        var style = AnnotationRenderer.Style()
        style.textScale = scale
        let out = try AnnotationRenderer(style: style).render(
            FrameAnnotations(size: size, labels: labels, classNames: Self.names), on: frame)
        let pixel = AnnotationRendererTests.pixel
        let panel = PixelRect(x0: 160 - 58 * scale, y0: 80 - 21 * scale, x1: 160, y1: 80)
        for (row, label) in [(0, 1), (1, 3)] {
            let top = panel.y0 + row * 10 * scale
            let swatch = PixelRect(x0: panel.x0 + scale, y0: top + scale, x1: panel.x0 + 8 * scale, y1: top + 8 * scale)
            for y in swatch.y0..<swatch.y1 {
                for x in swatch.x0..<swatch.x1 {
                    #expect(pixel(out, x, y) == ClassPalette.colour(label), "row \(row) swatch pixel (\(x), \(y))")
                }
            }
            let text = (top..<top + 10 * scale).flatMap { y in (panel.x0 + 10 * scale..<panel.x1).map { pixel(out, $0, y) } }
            let name = Self.names[label]
            #expect(text.filter { $0 == .white }.count == TagPlacementTests.ink(name) * scale * scale, "'\(name)' in white")
        }
        let backing = (panel.x1 - 1, panel.y0)
        #expect(pixel(out, backing.0, backing.1) == pixel(frame, backing.0, backing.1).blendedTowardBlack(0.75))
        #expect(pixel(out, panel.x0 - 1, panel.y0) == pixel(frame, panel.x0 - 1, panel.y0), "left of the panel is untouched")
        #expect(pixel(out, panel.x0, panel.y0 - 1) == pixel(frame, panel.x0, panel.y0 - 1), "above the panel is untouched")
    }
}
