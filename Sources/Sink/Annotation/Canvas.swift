import Shared

/// An 8-bit RGB colour.
public struct RGBColour: Sendable, Equatable {
    public var r: UInt8, g: UInt8, b: UInt8

    public init(r: UInt8, g: UInt8, b: UInt8) {
        (self.r, self.g, self.b) = (r, g, b)
    }

    public static let white = RGBColour(r: 255, g: 255, b: 255)
    public static let black = RGBColour(r: 0, g: 0, b: 0)

    /// `self · (1 − alpha) + colour · alpha`, per channel, rounded.
    func blended(toward colour: RGBColour, alpha: Float) -> RGBColour {
        func mix(_ a: UInt8, _ b: UInt8) -> UInt8 {
            UInt8((Float(a) * (1 - alpha) + Float(b) * alpha).rounded())
        }
        return RGBColour(r: mix(r, colour.r), g: mix(g, colour.g), b: mix(b, colour.b))
    }
}

/// An RGB image to draw on. Every operation clips to the image, so callers may pass rectangles and
/// text positions partly or wholly outside it.
struct Canvas {
    private(set) var image: PixelImage
    var width: Int { image.size.width }
    var height: Int { image.size.height }

    /// Takes grey (expanded to RGB) or RGB pixels.
    init(_ image: PixelImage) {
        precondition(image.channels == 1 || image.channels == 3, "a canvas takes grey or RGB pixels")
        if image.channels == 3 {
            self.image = image
        } else {
            self.image = PixelImage(size: image.size, channels: 3, pixels: image.pixels.flatMap { [$0, $0, $0] })
        }
    }

    subscript(x: Int, y: Int) -> RGBColour {
        get {
            let base = (y * width + x) * 3
            return RGBColour(r: image.pixels[base], g: image.pixels[base + 1], b: image.pixels[base + 2])
        }
        set {
            let base = (y * width + x) * 3
            (image.pixels[base], image.pixels[base + 1], image.pixels[base + 2]) = (newValue.r, newValue.g, newValue.b)
        }
    }

    /// Fills columns `x0 ..< x1` of rows `y0 ..< y1`, blending by `alpha` (1 paints over).
    mutating func fill(x0: Int, y0: Int, x1: Int, y1: Int, _ colour: RGBColour, alpha: Float = 1) {
        let (left, right) = (max(x0, 0), min(x1, width))
        let (top, bottom) = (max(y0, 0), min(y1, height))
        guard left < right, top < bottom else { return }
        for y in top..<bottom {
            for x in left..<right {
                self[x, y] = alpha >= 1 ? colour : self[x, y].blended(toward: colour, alpha: alpha)
            }
        }
    }

    mutating func fill(_ rect: PixelRect, _ colour: RGBColour, alpha: Float = 1) {
        fill(x0: rect.x0, y0: rect.y0, x1: rect.x1, y1: rect.y1, colour, alpha: alpha)
    }

    /// The outline of columns `x0 ..< x1`, rows `y0 ..< y1`, `thickness` pixels wide, drawn inward.
    mutating func stroke(x0: Int, y0: Int, x1: Int, y1: Int, thickness: Int, _ colour: RGBColour) {
        fill(x0: x0, y0: y0, x1: x1, y1: min(y0 + thickness, y1), colour)
        fill(x0: x0, y0: max(y1 - thickness, y0), x1: x1, y1: y1, colour)
        fill(x0: x0, y0: y0, x1: min(x0 + thickness, x1), y1: y1, colour)
        fill(x0: max(x1 - thickness, x0), y0: y0, x1: x1, y1: y1, colour)
    }

    /// `text` in the built-in font with its cell's top-left corner at (`x`, `y`), each font pixel a
    /// `scale` x `scale` square.
    mutating func draw(_ text: String, x: Int, y: Int, scale: Int, _ colour: RGBColour) {
        for (index, character) in text.enumerated() {
            let left = x + index * BitmapFont.advance * scale
            guard left < width else { return }
            guard left + BitmapFont.glyphWidth * scale > 0 else { continue }
            for row in 0..<BitmapFont.glyphHeight {
                for column in 0..<BitmapFont.glyphWidth where BitmapFont.isInk(character, column: column, row: row) {
                    let (px, py) = (left + column * scale, y + row * scale)
                    fill(x0: px, y0: py, x1: px + scale, y1: py + scale, colour)
                }
            }
        }
    }
}
