/// VOC-style label masks: an 8-bit PNG whose pixel values are labels (0 background, 255 ignore), or a
/// palette PNG with the PASCAL VOC colour map, which libpng expands to RGB and we map back to labels.
public enum LabelMask {
    public static func decode(_ bytes: [UInt8], path: String) throws(EvaluationError) -> (labels: [UInt8], size: ImageSize) {
        let image: PixelImage
        do throws(ImageError) {
            image = try PNG.decode(bytes)
        } catch {
            throw .badMask(path: path, reason: "\(error)")
        }
        let pixels = image.size.width * image.size.height
        switch image.channels {
        case 1, 2:
            return ((0..<pixels).map { image.pixels[$0 * image.channels] }, image.size)
        default:
            var labels = [UInt8](repeating: 0, count: pixels)
            for i in 0..<pixels {
                let base = i * image.channels
                let (r, g, b) = (image.pixels[base], image.pixels[base + 1], image.pixels[base + 2])
                guard let label = vocLabels[UInt32(r) << 16 | UInt32(g) << 8 | UInt32(b)] else {
                    throw .badMask(
                        path: path,
                        reason: "colour (\(r), \(g), \(b)) at pixel \(i % image.size.width), \(i / image.size.width) is not in the VOC colour map")
                }
                labels[i] = label
            }
            return (labels, image.size)
        }
    }

    /// Label k's colour takes k's bits three at a time, most significant colour bit first (VOC devkit).
    public static func vocColour(_ label: UInt8) -> (r: UInt8, g: UInt8, b: UInt8) {
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

    static let vocLabels: [UInt32: UInt8] = {
        var table: [UInt32: UInt8] = [:]
        for label in (0...255).reversed() {
            let c = vocColour(UInt8(label))
            table[UInt32(c.r) << 16 | UInt32(c.g) << 8 | UInt32(c.b)] = UInt8(label)
        }
        return table
    }()
}
