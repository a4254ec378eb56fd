internal import CImageCodecs

/// JPEG decoding (libjpeg) and PNG encoding/decoding (libpng) through the C shim in
/// Sources/CImageCodecs, the only place that touches those libraries.
public enum JPEG {
    /// Default scan limit. libjpeg's progressive scripts use about 10 scans and encoders that search
    /// for the best script stay in the tens; a crafted file can hold thousands of scans of a few bytes
    /// each, and every scan costs a pass over all the image's blocks.
    public static let defaultMaximumScans = 256

    /// Decodes a baseline or progressive, greyscale or YCbCr JPEG to RGB with libjpeg's default integer
    /// DCT and fancy upsampling: the pixels PIL's `Image.open(...).convert("RGB")` gives. The header's
    /// size is checked against `maximumPixels` before anything of the image's size is allocated, and a
    /// file is refused as soon as it reaches scan `maximumScans + 1`.
    public static func decode(
        _ bytes: [UInt8], maximumPixels: Int = PixelImage.defaultMaximumPixels, maximumScans: Int = defaultMaximumScans
    ) throws(ImageError) -> PixelImage {
        let scans = Int32(clamping: maximumScans)
        return try CodecCall.decode(bytes, maximumPixels: maximumPixels, maximumScans: maximumScans, corrupt: ImageError.corruptJPEG) {
            ladon_jpeg_decode($0, $1, $2, scans, $3, $4)
        }
    }
}

public enum PNG {
    /// Decodes a PNG to 8-bit pixels with the file's channels (1 grey, 2 grey+alpha, 3 RGB, 4 RGBA).
    public static func decode(_ bytes: [UInt8], maximumPixels: Int = PixelImage.defaultMaximumPixels)
        throws(ImageError) -> PixelImage
    {
        try CodecCall.decode(bytes, maximumPixels: maximumPixels, maximumScans: 0, corrupt: ImageError.corruptPNG) {
            ladon_png_decode($0, $1, $2, $3, $4)
        }
    }

    /// Encodes a grey (1 channel) or RGB (3 channels) image.
    public static func encode(_ image: PixelImage) throws(ImageError) -> [UInt8] {
        guard image.channels == 1 || image.channels == 3, image.size.width > 0, image.size.height > 0,
            image.size.width <= Int(Int32.max), image.size.height <= Int(Int32.max)
        else {
            throw .badPixels(reason: "PNG needs a non-empty grey or RGB image, got \(image.size.width)x\(image.size.height)x\(image.channels)")
        }
        var message = [CChar](repeating: 0, count: Int(LADON_IMAGE_MESSAGE_LENGTH))
        var output: UnsafeMutablePointer<UInt8>?
        var count = 0
        let status = image.pixels.withUnsafeBufferPointer { pixels in
            message.withUnsafeMutableBufferPointer { text in
                ladon_png_encode(
                    pixels.baseAddress, Int32(image.size.width), Int32(image.size.height),
                    Int32(image.channels), &output, &count, text.baseAddress)
            }
        }
        defer { ladon_image_free(output) }
        guard status == LADON_IMAGE_OK, let output else {
            if status == LADON_IMAGE_NO_MEMORY { throw .outOfMemory(width: image.size.width, height: image.size.height) }
            throw .badPixels(reason: CodecCall.text(message))
        }
        return Array(UnsafeBufferPointer(start: output, count: count))
    }
}

/// The one funnel for the shim's decoders: status code → typed error, C buffer → Swift array.
private enum CodecCall {
    typealias Decoder = (
        UnsafePointer<UInt8>?, Int, Int64, UnsafeMutablePointer<ladon_image>,
        UnsafeMutablePointer<CChar>?
    ) -> ladon_image_status

    static func decode(
        _ bytes: [UInt8], maximumPixels: Int, maximumScans: Int, corrupt: (String) -> ImageError,
        _ decoder: Decoder
    ) throws(ImageError) -> PixelImage {
        var image = ladon_image()
        var message = [CChar](repeating: 0, count: Int(LADON_IMAGE_MESSAGE_LENGTH))
        let status = bytes.withUnsafeBufferPointer { data in
            message.withUnsafeMutableBufferPointer { text in
                decoder(data.baseAddress, data.count, Int64(maximumPixels), &image, text.baseAddress)
            }
        }
        defer { ladon_image_free(image.pixels) }
        let (width, height, channels) = (Int(image.width), Int(image.height), Int(image.channels))
        switch status {
        case LADON_IMAGE_OK:
            guard let pixels = image.pixels else { throw corrupt("decoder returned no pixels") }
            let buffer = UnsafeBufferPointer(start: pixels, count: width * height * channels)
            return PixelImage(size: ImageSize(height: height, width: width), channels: channels, pixels: Array(buffer))
        case LADON_IMAGE_UNSUPPORTED: throw .unsupported(reason: text(message))
        case LADON_IMAGE_TOO_LARGE: throw .tooLarge(width: width, height: height, limit: maximumPixels)
        case LADON_IMAGE_TOO_MANY_SCANS: throw .tooManyScans(reached: Int(image.scans), limit: maximumScans)
        case LADON_IMAGE_NO_MEMORY: throw .outOfMemory(width: width, height: height)
        default: throw corrupt(text(message))
        }
    }

    static func text(_ message: [CChar]) -> String {
        let bytes = message.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
        return String(decoding: bytes, as: UTF8.self)
    }
}
