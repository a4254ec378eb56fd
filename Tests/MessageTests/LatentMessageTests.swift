import Shared
import Testing

@Suite struct LatentMessageTests {
    static let sample = LatentMessage(
        header: FrameHeader(nodeID: "cam-01", sequence: 42, captureTimeMicroseconds: 1_790_000_000_123_456, droppedBefore: 17),
        model: ModelIdentity(backbone: "resnet50", beta: 1.28, weightsHash: 0xDEAD_BEEF_0123_4567),
        originalSize: ImageSize(height: 480, width: 640), inputSize: ImageSize(height: 320, width: 416),
        resizedSize: ImageSize(height: 312, width: 416), latentShape: [24, 79, 103],
        coded: (0..<300).map { UInt8(truncatingIfNeeded: $0 &* 37) })

    @Test func serialisedLatentParsesBackToTheSameMessage() throws {
        let parsed = try LatentMessage(serialized: Self.sample.serialized())
        #expect(parsed == Self.sample)
    }

    @Test func emptyCodedBytesAndEmptyNodeSurviveTheRoundTrip() throws {
        var message = Self.sample
        message.coded = []
        message.header.nodeID = ""
        #expect(try LatentMessage(serialized: message.serialized()) == message)
    }

    @Test func garbageIsRejectedAsMalformed() {
        #expect(throws: WireError.malformed(message: "Latent", size: 4)) {
            try LatentMessage(serialized: [0xFF, 0xFF, 0xFF, 0xFF])
        }
    }

    @Test func messageWithoutHeaderOrModelIdentityIsRejectedNamingTheField() {
        // Field 1 (header) only, empty: a valid protobuf that lacks everything else.
        #expect(throws: WireError.missingField(message: "Latent", field: "model")) {
            try LatentMessage(serialized: [0x0A, 0x00])
        }
        #expect(throws: WireError.missingField(message: "Latent", field: "header")) {
            try LatentMessage(serialized: [0x12, 0x00])
        }
    }

    @Test func aLatentShapeOfMoreThanEightDimensionsIsRefusedBeforeCopying() {
        var message = Self.sample
        message.latentShape = Array(repeating: 2, count: 9)
        #expect(throws: WireError.invalidField(message: "Latent", field: "latent_shape", reason: "9 entries, at most 8 allowed")) {
            try LatentMessage(serialized: message.serialized())
        }
    }

    @Test func mutatedLatentsParseToStableMessagesOrOneLineErrors() {
        let outcomes = fuzzParser(LatentMessage.self, Self.sample.serialized(), seed: 7, rounds: 20_000)
        #expect(outcomes.unstable == 0 && outcomes.badErrors == 0, "\(outcomes)")
        #expect(outcomes.rejected > 1_000, "most corruptions must be detected, got \(outcomes)")
    }
}
