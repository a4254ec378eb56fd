import Shared

/// Target `jpeg`: what the encoder does with a Frame's JPEG before the network: `JPEG.decode` under the
/// default scan limit, then the tiny model's preprocessing. The pixel limit is 2^20 instead of the
/// default 50 M, so that an input claiming a large image costs milliseconds, not a second (the default's
/// check is the same code, tested in ImageTests).
///
/// Invariants: the pixels fill the decoded size; the network input is the resized image padded to
/// multiples of the model's divisor, and the resized image is not empty.
enum JPEGTarget {
    static let maximumPixels = 1 << 20
    static let preprocess = Preprocessor(FuzzFixtures.model.architecture.preprocess)

    static func run(_ bytes: [UInt8]) -> FuzzOutcome {
        do throws(ImageError) {
            let image = try JPEG.decode(bytes, maximumPixels: maximumPixels)
            check(image.channels == 3 && image.pixels.count == image.size.height * image.size.width * 3, "pixels do not fill \(image.size)")
            let prepared = try preprocess(image)
            let (input, resized, divisor) = (prepared.inputSize, prepared.resizedSize, preprocess.config.sizeDivisible)
            check(prepared.originalSize == image.size, "preprocessing lost the original size")
            check(resized.height >= 1 && resized.width >= 1, "\(image.size) resized to an empty \(resized)")
            check(
                input.height % divisor == 0 && input.width % divisor == 0 && input.height >= resized.height && input.width >= resized.width,
                "input \(input) does not pad \(resized)")
            return .accepted
        } catch {
            return refusal(error)
        }
    }
}
