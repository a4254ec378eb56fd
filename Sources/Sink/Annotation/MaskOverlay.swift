extension Canvas {
    /// The segmentation map over the frame: every pixel of a class other than background blended
    /// toward the class's colour by `alpha`, and the class's boundary pixels (those with a 4-neighbour
    /// of another label, background included; the frame's edge is no boundary) painted in its colour, a
    /// 1-pixel outline that shows even a region of a pixel or two. Background (0) is left clear.
    /// `labels`: row-major, one per pixel of the canvas.
    mutating func overlay(_ labels: [UInt8], colours: ClassColours, alpha: Float) {
        precondition(labels.count == width * height, "a label map must cover the canvas")
        let palette = (0..<256).map { colours.mask($0) }
        for y in 0..<height {
            for x in 0..<width {
                let label = labels[y * width + x]
                guard label != 0 else { continue }
                func differs(_ nx: Int, _ ny: Int) -> Bool {
                    nx >= 0 && nx < width && ny >= 0 && ny < height && labels[ny * width + nx] != label
                }
                let colour = palette[Int(label)]
                let boundary = differs(x - 1, y) || differs(x + 1, y) || differs(x, y - 1) || differs(x, y + 1)
                self[x, y] = boundary ? colour : self[x, y].blended(toward: colour, alpha: alpha)
            }
        }
    }
}
