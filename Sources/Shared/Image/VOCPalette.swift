/// The PASCAL VOC colour map: the colours VOC label masks are drawn in, used to draw segmentation
/// overlays and to read palette-PNG masks back as labels.
public enum VOCPalette {
    /// Label k's colour takes k's bits three at a time, most significant colour bit first (VOC devkit).
    public static func colour(_ label: UInt8) -> (r: UInt8, g: UInt8, b: UInt8) {
        var (r, g, b) = (0, 0, 0)
        var bits = Int(label)
        for shift in 0..<8 {
            r |= (bits & 1) << (7 - shift)
            g |= ((bits >> 1) & 1) << (7 - shift)
            b |= ((bits >> 2) & 1) << (7 - shift)
            bits >>= 3
        }
        return (UInt8(r), UInt8(g), UInt8(b))
    }

    /// The label drawn in a colour, `nil` for a colour outside the map.
    public static func label(r: UInt8, g: UInt8, b: UInt8) -> UInt8? {
        labels[UInt32(r) << 16 | UInt32(g) << 8 | UInt32(b)]
    }

    private static let labels: [UInt32: UInt8] = {
        var table: [UInt32: UInt8] = [:]
        for label in (0...255).reversed() {
            let c = colour(UInt8(label))
            table[UInt32(c.r) << 16 | UInt32(c.g) << 8 | UInt32(c.b)] = UInt8(label)
        }
        return table
    }()
}
