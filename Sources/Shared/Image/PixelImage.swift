/// 8-bit pixels, row-major and interleaved: `channels` bytes per pixel (1 grey, 3 RGB).
public struct PixelImage: Sendable, Equatable {
    public var size: ImageSize
    public var channels: Int
    public var pixels: [UInt8]

    public init(size: ImageSize, channels: Int, pixels: [UInt8]) {
        precondition(
            pixels.count == size.height * size.width * channels,
            "\(pixels.count) bytes do not fill \(size.width)x\(size.height)x\(channels)")
        self.size = size
        self.channels = channels
        self.pixels = pixels
    }

    /// Default decode limit: larger than any camera frame, small enough that a forged header cannot make
    /// us allocate gigabytes.
    public static let defaultMaximumPixels = 50_000_000
}
