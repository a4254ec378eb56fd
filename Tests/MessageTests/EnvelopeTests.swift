import Shared
import Testing

@Suite struct EnvelopeTests {
    static let control = ControlMessage.credit(.init(nodeID: "cam-01", grants: 2))

    @Test func aMessageTravelsAsItsKindTagThenItsBytesAndParsesBack() throws {
        let envelope = Envelope(Self.control)
        #expect(envelope.frames() == [Array("control".utf8), Self.control.serialized()])
        #expect(envelope.wireBytes == 7 + Self.control.serialized().count)
        #expect(try Envelope(frames: envelope.frames()).decode(ControlMessage.self) == Self.control)
    }

    @Test func aRouterMessageCarriesTheRouteFirst() throws {
        let route = Array("cam-01#1f".utf8)
        let (parsedRoute, envelope) = try Envelope.routed(Envelope(Self.control).frames(to: route))
        #expect(parsedRoute == route)
        #expect(try envelope.decode(ControlMessage.self) == Self.control)
    }

    @Test(arguments: [0, 1, 3, 4])
    func anotherFrameCountIsRefusedNamingBothCounts(frames: Int) {
        let message = [[UInt8]](repeating: Array("control".utf8), count: frames)
        #expect(throws: WireError.frameCount(expected: 2, actual: frames)) { try Envelope(frames: message) }
    }

    @Test func anUnknownTagIsRefusedWithoutEchoingItsBytes() {
        #expect(throws: WireError.unknownKind(tagBytes: 9)) { try Envelope(frames: [Array("telemetry".utf8), []]) }
        #expect(throws: WireError.unknownKind(tagBytes: 4096)) { try Envelope(frames: [[UInt8](repeating: 0x41, count: 4096), []]) }
    }

    @Test func aPayloadOverItsKindsLimitIsRefusedBeforeParsing() {
        let size = ControlMessage.maximumSize + 1
        #expect(throws: WireError.tooLarge(message: "Control", size: size, limit: ControlMessage.maximumSize)) {
            try Envelope(frames: [Array("control".utf8), [UInt8](repeating: 0, count: size)])
        }
    }

    @Test func decodingAsAnotherKindIsUnexpectedKind() throws {
        let envelope = Envelope(Self.control)
        #expect(throws: WireError.unexpectedKind("control", expected: "latent")) { try envelope.decode(LatentMessage.self) }
    }

    @Test func theReceiveLimitCoversTheLargestKindASocketCarries() {
        #expect(MessageKind.receiveLimit(.control) > ControlMessage.maximumSize)
        #expect(MessageKind.receiveLimit(.control, .frame) > FrameMessage.maximumSize)
        #expect(MessageKind.receiveLimit(.answer, .control) > ResultMessage.maximumSize)
    }
}

@Suite struct InputRejectionsTests {
    @Test func refusalsAreCountedPerSocketAndReasonEvenWhenNotLogged() {
        var rejections = InputRejections(log: Logger(label: "test"), logInterval: 3600)
        for _ in 0..<5 { _ = rejections.envelope([[1, 2, 3]], socket: "frontend") }
        _ = rejections.routed([Array("r".utf8), Array("nope".utf8), []], socket: "frontend")
        let envelope = Envelope(kind: .latent, payload: [0xFF, 0xFF])
        #expect(rejections.decode(LatentMessage.self, envelope, socket: "backend") == nil)
        #expect(rejections.count(socket: "frontend") == 6)
        #expect(rejections.count(socket: "backend") == 1)
        #expect(rejections.total == 7)
        #expect(rejections.summary == "backend/malformed:1,frontend/frame_count:5,frontend/unknown_kind:1")
    }

    @Test func aGoodMessagePassesThroughAndCountsNothing() {
        var rejections = InputRejections(log: Logger(label: "test"))
        let control = ControlMessage.bye(.init(peerID: "cam-01"))
        let envelope = rejections.envelope(Envelope(control).frames(), socket: "edge")
        #expect(envelope.flatMap { rejections.decode(ControlMessage.self, $0, socket: "edge") } == control)
        #expect(rejections.total == 0 && rejections.summary == "-")
    }
}
