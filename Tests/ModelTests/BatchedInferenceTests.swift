import Shared
import TestSupport
import Testing

/// `EdgeInference.infer(batch:)` on the tiny models: frames of one latent shape run as one stacked
/// batch, and every frame's Result must be the one it gets alone, bit for bit (the kernels compute each
/// image of a batch exactly as they compute it alone).
@Suite struct BatchedInferenceTests {
    static let variants = ["tiny", "tiny-resnest"]

    /// Four frames of the fixture's size (the JPEG, mirrored, inverted, darkened) and one square crop,
    /// whose latent has another shape.
    static func frames(_ model: LadonModelFile) throws -> [LatentMessage] {
        let image = try JPEG.decode(try FileIO.read(Fixtures.path("model/tiny-input.jpg")))
        let (height, width, channels) = (image.size.height, image.size.width, image.channels)
        func pixel(_ y: Int, _ x: Int) -> ArraySlice<UInt8> { image.pixels[(y * width + x) * channels..<(y * width + x + 1) * channels] }
        let mirrored = (0..<height).flatMap { y in (0..<width).flatMap { x in pixel(y, width - 1 - x) } }
        let side = min(height, width)
        let square = (0..<side).flatMap { y in (0..<side).flatMap { x in pixel(y, x) } }
        let images = [
            image,
            PixelImage(size: image.size, channels: channels, pixels: mirrored),
            PixelImage(size: image.size, channels: channels, pixels: image.pixels.map { 255 - $0 }),
            PixelImage(size: ImageSize(height: side, width: side), channels: channels, pixels: square),
            PixelImage(size: image.size, channels: channels, pixels: image.pixels.map { $0 / 2 }),
        ]
        let encoder = try MobileEncoder(model)
        return try images.enumerated().map { index, image in
            try encoder.encode(image: image, header: FrameHeader(nodeID: "cam-\(index)", sequence: UInt64(index + 1))).message
        }
    }

    /// The Result without its timings, which differ from run to run.
    static func answer(_ result: ResultMessage) -> ResultMessage {
        var answer = result
        answer.timings = []
        return answer
    }

    @Test(arguments: variants)
    func everyBatchedResultIsTheUnbatchedOneBitForBit(_ variant: String) throws {
        let model = try LadonModelFile(path: Fixtures.path("model/\(variant).safetensors"))
        let inference = try EdgeInference(model)
        let frames = try Self.frames(model)
        #expect(Set(frames.map(\.latentShape)).count == 2, "the square crop makes a second latent shape")
        let batched = inference.infer(batch: frames)
        #expect(batched.count == frames.count)
        for (frame, outcome) in zip(frames, batched) {
            let alone = try inference.infer(frame)
            let together = try outcome.get()
            #expect(together.header == frame.header)
            #expect(Self.answer(together) == Self.answer(alone), "\(variant) frame \(frame.header.sequence)")
            #expect(together.tasks.classification?.logits == alone.tasks.classification?.logits)
            #expect(together.timings.map(\.stage) == alone.timings.map(\.stage))
        }
        let detected = try batched.map { try $0.get().tasks.detections?.count ?? 0 }
        #expect(detected.contains { $0 > 0 }, "the comparison covers detections")
    }

    @Test func aFailingFrameFailsAloneAndTheOthersMatchTheirUnbatchedResults() throws {
        let model = try LadonModelFile(path: Fixtures.path("model/tiny.safetensors"))
        let inference = try EdgeInference(model)
        var frames = try Self.frames(model)
        frames[1].latentShape = [frames[1].latentShape[0], 1, 1]
        frames[2].model = ModelIdentity(backbone: "another", beta: 1, weightsHash: 1)
        let batched = inference.infer(batch: frames)
        #expect(throws: FrameError.self) { try batched[1].get() }
        #expect(throws: FrameError.self) { try batched[2].get() }
        for index in [0, 3, 4] {
            #expect(Self.answer(try batched[index].get()) == Self.answer(try inference.infer(frames[index])))
        }
    }
}
