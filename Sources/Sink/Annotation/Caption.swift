/// One line of annotation text after a swatch of its class colour, in white on a dark backing: each
/// detection's tag and each row of the legend. In font pixels (each `scale` x `scale` image pixels):
///
///     | 1 | swatch 7 | 2 | text | 1 |     10 rows: 1 above the 9-row glyph cell, whose last two hold descenders
///
/// The swatch spans the capitals' height, rows 1 ..< 8.
public enum Caption {
    /// Font pixels from the caption's left edge to the text.
    static let textOffset = 10

    public static func width(of text: String, scale: Int) -> Int {
        (textOffset + BitmapFont.width(of: text) + 1) * scale
    }

    public static func height(scale: Int) -> Int {
        (BitmapFont.glyphHeight + 1) * scale
    }

    /// The swatch of a caption whose top-left corner is (`x`, `y`).
    public static func swatch(x: Int, y: Int, scale: Int) -> PixelRect {
        PixelRect(x: x + scale, y: y + scale, width: 7 * scale, height: BitmapFont.baseline * scale)
    }

    /// `name` followed by `suffix` (BitmapFont.fitting), the name cut short so that the caption is at most
    /// `width` pixels wide.
    public static func fitting(_ name: String, suffix: String = "", width: Int, scale: Int) -> String {
        BitmapFont.fitting(name, suffix: suffix, width: width / scale - textOffset - 1)
    }
}

extension Canvas {
    /// The caption's swatch in `colour` and its `text` in white, with the caption's top-left at (`x`, `y`);
    /// the caller fills the backing.
    mutating func drawCaption(_ text: String, swatch colour: RGBColour, x: Int, y: Int, scale: Int) {
        let swatch = Caption.swatch(x: x, y: y, scale: scale)
        fill(swatch, colour)
        draw(text, x: x + Caption.textOffset * scale, y: y + scale, scale: scale, .white)
    }
}
