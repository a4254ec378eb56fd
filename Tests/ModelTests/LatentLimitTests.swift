import Shared
import TestSupport
import Testing

/// The sizes a Latent claims decide what the edge allocates (the decoded latent, the trunk's maps, the
/// segmentation at the original size); each is capped before anything is decoded or made.
@Suite struct LatentLimitTests {
    let file: LadonModelFile
    let message: LatentMessage

    init() throws {
        file = try LadonModelFile(path: Fixtures.path("model/tiny.safetensors"))
        message = try MobileEncoder(file).encode(jpeg: try FileIO.read(Fixtures.path("model/tiny-input.jpg"))).message
    }

    /// The edge's refusal of `latent`, `nil` when it answered.
    func refusal(_ latent: LatentMessage) throws -> InferenceError? {
        let edge = try EdgeInference(file)
        do throws(FrameError) {
            _ = try edge.infer(latent)
            return nil
        } catch {
            guard case let .inference(reason) = error else {
                Issue.record("refused as \(error), not by the size checks")
                return nil
            }
            return reason
        }
    }

    @Test func theUntouchedLatentIsAnswered() throws {
        #expect(try refusal(message) == nil)
    }

    @Test func aLatentClaimingA60000x60000InputIsRefusedBeforeDecoding() throws {
        var latent = message
        // 60000 is a multiple of 32 and the latent shape agrees with it: only the size cap can refuse it
        // (decoding it would make a 4x14999x14999 latent, 3.6 GB, and the trunk's maps after it).
        latent.inputSize = ImageSize(height: 60000, width: 60000)
        latent.resizedSize = latent.inputSize
        latent.latentShape = [latent.latentShape[0], 60000 / 4 - 1, 60000 / 4 - 1]
        #expect(try refusal(latent) == .implausibleSize(what: "network input", size: latent.inputSize))
    }

    @Test func aLatentWithAHugeChannelCountIsRefusedBeforeDecoding() throws {
        var latent = message
        latent.latentShape[0] = 1 << 30
        let expected = message.latentShape
        #expect(try refusal(latent) == .latentShape(found: latent.latentShape, expected: expected))
    }

    /// The segmentation head resizes every class's logits to the original size (4 bytes per class and
    /// pixel): 60000x60000 asked for 72 GB with the tiny model's 5 classes, and sides up to 65535 passed.
    @Test(arguments: [ImageSize(height: 60000, width: 60000), ImageSize(height: 7072, width: 7072), ImageSize(height: 65535, width: 800)])
    func aLatentClaimingAnOriginalImageOverThePixelLimitIsRefusedBeforeTheSegmentationIsMade(original: ImageSize) throws {
        #expect(original.height * original.width > PixelImage.defaultMaximumPixels)
        var latent = message
        latent.originalSize = original
        #expect(try refusal(latent) == .implausibleSize(what: "original image", size: original))
    }
}
