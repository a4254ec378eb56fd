import Shared
import TestSupport
import Testing

@Suite struct LatentMessageTests {
    static let sample = LatentMessage(
        nodeID: "cam-01", sequence: 42, captureTimeMicroseconds: 1_790_000_000_123_456,
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
        message.nodeID = ""
        #expect(try LatentMessage(serialized: message.serialized()) == message)
    }

    @Test func garbageIsRejectedAsMalformed() {
        #expect(throws: WireError.malformed(message: "Latent", size: 4)) {
            try LatentMessage(serialized: [0xFF, 0xFF, 0xFF, 0xFF])
        }
    }

    @Test func messageWithoutModelIdentityIsRejectedNamingTheField() {
        // Field 1 (node_id) only: a valid protobuf that lacks everything else.
        #expect(throws: WireError.missingField(message: "Latent", field: "model")) {
            try LatentMessage(serialized: [0x0A, 0x01, 0x41])
        }
    }

    @Test func truncatedAndMutatedMessagesNeverCrashTheParser() {
        let valid = Self.sample.serialized()
        var generator = SplitMix64(seed: 7)
        var outcomes = (parsed: 0, rejected: 0)
        for round in 0..<20_000 {
            var bytes = valid
            switch round % 3 {
            case 0: bytes = Array(bytes.prefix(Int(generator.next() % UInt64(bytes.count))))
            case 1:
                for _ in 0..<1 + Int(generator.next() % 4) {
                    let index = Int(generator.next() % UInt64(bytes.count))
                    bytes[index] ^= UInt8(truncatingIfNeeded: generator.next() | 1)
                }
            default: bytes = (0..<Int(generator.next() % 64)).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
            }
            if (try? LatentMessage(serialized: bytes)) != nil { outcomes.parsed += 1 } else { outcomes.rejected += 1 }
        }
        #expect(outcomes.parsed + outcomes.rejected == 20_000)
        #expect(outcomes.rejected > 1_000, "most corruptions must be detected, got \(outcomes)")
    }
}
