import Foundation
import Shared
import TestSupport
import Testing

/// The frame path around the tiny model against the PyTorch reference on Tests/Fixtures/model/tiny-input.jpg
/// (tools/make_model_fixtures.py): JPEG decoding, preprocessing, the entropy-coded bytes and the label map.
@Suite struct TinyPipelineParityTests {
    let reference: SafeTensorsFile
    let model: LadonModelFile

    init() throws {
        reference = try SafeTensorsFile(path: Fixtures.path("model/tiny-reference.safetensors"))
        model = try LadonModelFile(path: Fixtures.path("model/tiny.safetensors"))
    }

    func decodedFixtureImage() throws -> PixelImage {
        let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: Fixtures.path("model/tiny-input.jpg"))))
        return try JPEG.decode(bytes)
    }

    @Test func fixtureJPEGDecodesToThePixelsPILGives() throws {
        let image = try decodedFixtureImage()
        #expect(image.size == ImageSize(height: 97, width: 131) && image.channels == 3)
        #expect(image.pixels == (try reference.uint8s("image_rgb")))
    }

    @Test func preprocessedInputMatchesGeneralizedRCNNTransform() throws {
        let preprocessed = try Preprocessor(model.architecture.preprocess)(try decodedFixtureImage())
        expectClose(preprocessed.input, try reference.tensor("input"), atol: 1e-5, rtol: 0, "preprocessed input")
        #expect(preprocessed.resizedSize == ImageSize(height: 82, width: 112))
    }

    @Test func codedLatentIsByteForByteWhatCompressaiWrites() throws {
        let bottleneck = try EntropyBottleneck(try MobileModel(model).entropy)
        let latent = try reference.tensor("latent")
        #expect(try bottleneck.compress(latent) == (try reference.uint8s("latent_bytes")))
        let decoded = try bottleneck.decompress(
            try reference.uint8s("latent_bytes"), height: latent.dim(2),
            width: latent.dim(3))
        expectClose(decoded, try reference.tensor("latent_quantized"), atol: 0, rtol: 0, "decompressed latent")
    }

    @Test func labelMapFromTheReferenceLogitsMatchesPyTorch() throws {
        let labels = LabelMap.labels(
            try reference.tensor("seg_logits"), resized: ImageSize(height: 82, width: 112),
            original: ImageSize(height: 97, width: 131))
        let expected = try reference.uint8s("seg_labels")
        let equal = zip(labels, expected).filter { $0 == $1 }.count
        #expect(
            labels.count == expected.count && equal == expected.count,
            "\(equal) of \(expected.count) labels equal")
        #expect(Set(expected).count >= 3, "the fixture's label map should show several classes")
    }
}
