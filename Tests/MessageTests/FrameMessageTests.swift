import Shared
import Testing

@Suite struct FrameMessageTests {
    static let sample = FrameMessage(
        header: FrameHeader(nodeID: "cam-01", sequence: 9, captureTimeMicroseconds: 1_790_000_000_000_001, droppedBefore: 3),
        jpeg: [0xFF, 0xD8, 0xFF, 0xE0] + (0..<500).map { UInt8(truncatingIfNeeded: $0 &* 13) } + [0xFF, 0xD9])

    @Test func serialisedFrameParsesBackToTheSameMessage() throws {
        #expect(try FrameMessage(serialized: Self.sample.serialized()) == Self.sample)
    }

    @Test func frameWithoutJPEGBytesIsRejectedNamingTheField() {
        // Field 1 (header), empty: a frame that says who took it but carries no picture.
        #expect(throws: WireError.missingField(message: "Frame", field: "jpeg")) {
            try FrameMessage(serialized: [0x0A, 0x00])
        }
        #expect(throws: WireError.missingField(message: "Frame", field: "header")) {
            try FrameMessage(serialized: [0x12, 0x01, 0xFF])
        }
    }

    @Test func inputOverTheSizeLimitIsRefusedBeforeParsing() {
        let size = FrameMessage.maximumSize + 1
        #expect(throws: WireError.tooLarge(message: "Frame", size: size, limit: FrameMessage.maximumSize)) {
            try FrameMessage(serialized: [UInt8](repeating: 0, count: size))
        }
    }

    @Test func mutatedFramesParseToStableMessagesOrOneLineErrors() {
        let outcomes = fuzzParser(FrameMessage.self, Self.sample.serialized(), seed: 11)
        #expect(outcomes.unstable == 0 && outcomes.badErrors == 0, "\(outcomes)")
        #expect(outcomes.rejected > 1_000, "most corruptions must be detected, got \(outcomes)")
    }

    @Test func kindTagsRoundTripAndUnknownTagsAreNil() {
        for kind in MessageKind.allCases { #expect(MessageKind(tag: kind.tag) == kind) }
        #expect(MessageKind(tag: Array("telemetry".utf8)) == nil)
        #expect(MessageKind(tag: []) == nil)
    }
}
