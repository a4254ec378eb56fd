import Shared

/// VOC-style label masks: an 8-bit PNG whose pixel values are labels (0 background, 255 ignore), or a
/// palette PNG with the PASCAL VOC colour map (VOCPalette), which libpng expands to RGB and we map back to labels.
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
                guard let label = VOCPalette.label(r: r, g: g, b: b) else {
                    throw .badMask(
                        path: path,
                        reason: "colour (\(r), \(g), \(b)) at pixel \(i % image.size.width), \(i / image.size.width) is not in the VOC colour map")
                }
                labels[i] = label
            }
            return (labels, image.size)
        }
    }
}
