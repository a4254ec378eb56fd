import Foundation
import Shared
import TestSupport
import Testing

/// `Preprocessor` against torchvision's `GeneralizedRCNNTransform` on generated frames.
@Suite struct PreprocessTests {
    @Test(arguments: ImageFixture.names("preprocess").filter { $0 != "preprocess_every_byte_16x16" })
    func preprocessingMatchesGeneralizedRCNNTransform(_ name: String) throws {
        let fixture = try ImageFixture(name)
        let frame = syntheticPixels(height: try fixture.int("height"), width: try fixture.int("width"))
        let result = try Preprocessor(try fixture.preprocessConfig())(frame)
        let padded = try fixture.size("padded")
        #expect(result.originalSize == frame.size)
        #expect(result.resizedSize == (try fixture.size("resized")))
        #expect(result.inputSize == padded && result.input.shape == [1, 3, padded.height, padded.width])
        guard result.input.shape == [1, 3, padded.height, padded.width] else { return }
        if fixture.file.entries["expected"] != nil {
            expectClose(result.input, try fixture.tensor("expected"), atol: 1e-5, rtol: 0, name)
        } else {
            let indices = try fixture.file.int32s("sample_index")
            let values = try fixture.tensor("sample_value").scalars
            let scalars = result.input.scalars
            let worst = zip(indices, values).map { abs(scalars[Int($0)] - $1) }.max() ?? .infinity
            #expect(worst <= 1e-5, "\(name): max difference \(worst) over \(indices.count) samples")
        }
    }

    /// A 1x2000 strip scales its long side to 416 and its short side to 0.2: nothing to resize to. It
    /// trapped in the resize before; now it is an error the encoder logs and counts.
    @Test func anImageTooNarrowToResizeIsRefusedNotATrap() throws {
        let config = LadonArchitecture.Preprocess(
            minSize: 416, maxSize: 416, sizeDivisible: 32,
            mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225])
        #expect(throws: ImageError.unsupported(reason: "a 2000x1 image resizes to 416x0 for this model (too narrow)")) {
            try Preprocessor(config)(PixelImage(size: ImageSize(height: 1, width: 2000), channels: 1, pixels: [UInt8](repeating: 9, count: 2000)))
        }
        #expect(try Preprocessor(config)(syntheticPixels(height: 5, width: 416)).resizedSize == ImageSize(height: 5, width: 416))
    }

    @Test func aVGAFrameBecomesA416By320Input() throws {
        let config = LadonArchitecture.Preprocess(
            minSize: 416, maxSize: 416, sizeDivisible: 32,
            mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225])
        let result = try Preprocessor(config)(syntheticPixels(height: 480, width: 640))
        #expect(result.input.shape == [1, 3, 320, 416])
        #expect(result.resizedSize == ImageSize(height: 312, width: 416))
    }

    /// Each byte value through to_tensor and normalize, with a resize by exactly 1: bit-identical.
    @Test func everyByteValueNormalizesExactlyAsPyTorch() throws {
        let fixture = try ImageFixture("preprocess_every_byte_16x16")
        let frame = PixelImage(size: ImageSize(height: 16, width: 16), channels: 3, pixels: try fixture.bytes("pixels"))
        let result = try Preprocessor(try fixture.preprocessConfig())(frame)
        expectClose(result.input, try fixture.tensor("expected"), atol: 0, rtol: 0, "every byte")
    }

    @Test func greyPixelsAreReadAsRGB() throws {
        let config = LadonArchitecture.Preprocess(
            minSize: 20, maxSize: 40, sizeDivisible: 32,
            mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225])
        let grey = PixelImage(size: ImageSize(height: 9, width: 13), channels: 1, pixels: (0..<117).map { UInt8($0 * 2) })
        let rgb = PixelImage(size: grey.size, channels: 3, pixels: grey.pixels.flatMap { [$0, $0, $0] })
        let preprocessor = Preprocessor(config)
        #expect(try preprocessor(grey).input.scalars == preprocessor(rgb).input.scalars)
    }

    @Test func fourChannelOrEmptyImagesAreRejected() {
        let config = LadonArchitecture.Preprocess(
            minSize: 20, maxSize: 40, sizeDivisible: 32,
            mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225])
        let rgba = PixelImage(size: ImageSize(height: 2, width: 2), channels: 4, pixels: [UInt8](repeating: 9, count: 16))
        #expect(throws: ImageError.self) { try Preprocessor(config)(rgba) }
        #expect(throws: ImageError.self) {
            try Preprocessor(config)(PixelImage(size: ImageSize(height: 0, width: 5), channels: 3, pixels: []))
        }
    }
}
