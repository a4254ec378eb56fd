/// Why an image could not be decoded or encoded. Each description is one line naming the problem.
public enum ImageError: Error, Equatable, CustomStringConvertible {
    /// libjpeg rejected the bytes (its own message), or they end before the image data does.
    case corruptJPEG(reason: String)
    case corruptPNG(reason: String)
    /// A valid file of a kind we do not decode, e.g. a CMYK JPEG.
    case unsupported(reason: String)
    case tooLarge(width: Int, height: Int, limit: Int)
    /// A (progressive) JPEG reached scan `reached` and the limit is `limit`: a decompression bomb.
    case tooManyScans(reached: Int, limit: Int)
    case outOfMemory(width: Int, height: Int)
    /// Pixels handed to an encoder do not fit their stated size or channel count.
    case badPixels(reason: String)

    public var description: String {
        switch self {
        case let .corruptJPEG(reason): return "corrupt JPEG: \(reason)"
        case let .corruptPNG(reason): return "corrupt PNG: \(reason)"
        case let .unsupported(reason): return "unsupported image: \(reason)"
        case let .tooLarge(width, height, limit): return "image \(width)x\(height) exceeds the limit of \(limit) pixels"
        case let .tooManyScans(reached, limit): return "JPEG reaches scan \(reached), over the limit of \(limit) scans"
        case let .outOfMemory(width, height): return "out of memory decoding a \(width)x\(height) image"
        case let .badPixels(reason): return "cannot encode pixels: \(reason)"
        }
    }
}
