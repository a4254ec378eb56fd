import Shared
import Testing

@Suite struct ControlMessageTests {
    static let samples: [ControlMessage] = [
        .hello(
            .init(
                peerID: "cam-01", role: .node, model: ModelIdentity(backbone: "resnet50", beta: 2.56, weightsHash: 42),
                window: 3, incarnation: 0xFEED_FACE_0000_0001)),
        .hello(.init(peerID: "worker-2", role: .worker, incarnation: 7)),
        .hello(.init(peerID: "sink", role: .sink, incarnation: 0)),
        .bye(.init(peerID: "cam-01", reason: "shutting down")),
        .credit(.init(nodeID: "cam-03", grants: 2)),
        .ready(.init(workerID: "worker-1", capacity: 4)),
        .heartbeat(.init(peerID: "worker-1", sequence: 123_456, timeMicroseconds: -5)),
    ]

    @Test(arguments: samples)
    func controlMessageSurvivesTheRoundTrip(message: ControlMessage) throws {
        #expect(try ControlMessage(serialized: message.serialized()) == message)
    }

    @Test(
        arguments: [
            ([], WireError.missingField(message: "Control", field: "body")),
            ([0x0A, 0x00], WireError.missingField(message: "Hello", field: "peer_id")),
            ([0x0A, 0x03, 0x0A, 0x01, 0x41], WireError.missingField(message: "Hello", field: "role")),
            ([0x0A, 0x05, 0x0A, 0x01, 0x41, 0x10, 0x09], WireError.invalidField(message: "Hello", field: "role", reason: "unknown role 9")),
            ([0x12, 0x00], WireError.missingField(message: "Bye", field: "peer_id")),
            ([0x1A, 0x02, 0x10, 0x01], WireError.missingField(message: "Credit", field: "node_id")),
            ([0x22, 0x00], WireError.missingField(message: "Ready", field: "worker_id")),
            ([0x2A, 0x00], WireError.missingField(message: "Heartbeat", field: "peer_id")),
        ] as [([UInt8], WireError)])
    func incompleteControlMessageNamesTheMissingField(bytes: [UInt8], expected: WireError) {
        #expect(throws: expected) { try ControlMessage(serialized: bytes) }
    }

    @Test func mutatedControlMessagesParseToStableMessagesOrOneLineErrors() {
        for (index, sample) in Self.samples.enumerated() {
            let outcomes = fuzzParser(ControlMessage.self, sample.serialized(), seed: 100 + UInt64(index), rounds: 10_000)
            #expect(outcomes.unstable == 0 && outcomes.badErrors == 0, "\(sample): \(outcomes)")
            #expect(outcomes.rejected > 500, "\(sample): most corruptions must be detected, got \(outcomes)")
        }
    }
}
