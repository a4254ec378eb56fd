import Foundation
import LadonIngest
import Shared
import TestSupport
import Testing

/// `ladon-ingest` as a process, with the test's ROUTER socket standing in for the encoder.
@Suite struct IngestStageTests {
    let frames = Fixtures.path("../../samples/frames")

    /// Frames until ingest's Bye, which is answered as the encoder does.
    func collect(from router: Socket, until timeout: Double) throws -> (frames: [FrameMessage], bye: ControlMessage.Bye?) {
        var received: [FrameMessage] = []
        while let message = try receive(router, timeout: timeout) {
            let (route, envelope) = try Envelope.routed(message)
            switch envelope.kind {
            case .frame: received.append(try envelope.decode(FrameMessage.self))
            case .control:
                if case let .bye(bye) = try envelope.decode(ControlMessage.self) {
                    try router.send(Envelope(ControlMessage.bye(.init(peerID: "encoder", reason: "end of stream received"))).frames(to: route))
                    return (received, bye)
                }
            default: break
            }
        }
        return (received, nil)
    }

    @Test func anMJPEGStreamOnStdinArrivesAsTheOriginalFilesThenBye() throws {
        let folder = try Executables.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let files = try FileSequenceSource.expand(frames).map { try FileIO.read($0) }
        let stream = folder.appendingPathComponent("stream.mjpeg")
        try Data(files.flatMap { [0x00, 0x0A] + $0 }).write(to: stream)  // a little junk between frames

        let context = try Context()
        defer { context.close() }
        let router = try context.socket(.router, lingerMilliseconds: 1000)
        defer { router.close() }
        let endpoint = try router.bind("ipc://\(folder.path)/ingest")

        let ingest = Executables.process("ladon-ingest", ["--source", "-", "--connect", endpoint, "--node-id", "cam-m"])
        ingest.standardInput = try FileHandle(forReadingFrom: stream)
        ingest.standardOutput = FileHandle.nullDevice
        ingest.standardError = FileHandle.nullDevice
        try ingest.run()
        defer {
            if ingest.isRunning { kill(ingest.processIdentifier, SIGKILL) }
            ingest.waitUntilExit()
        }

        let (received, bye) = try collect(from: router, until: 20)
        #expect(bye?.peerID == "cam-m" && bye?.reason == "end of stream")
        // Every frame is either delivered intact, in order, or counted as dropped before a delivered one.
        let delivered = received.map(\.jpeg)
        #expect(delivered.allSatisfy { files.contains($0) })
        #expect(received.map(\.header.sequence) == received.map(\.header.sequence).sorted())
        #expect(received.count + Int(received.map(\.header.droppedBefore).reduce(0, +)) == files.count)
        #expect(received.allSatisfy { $0.header.nodeID == "cam-m" && $0.header.source.isEmpty })
    }

    @Test func aDirectoryIsSentInSortedOrderAndCountStopsIt() throws {
        let folder = try Executables.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let context = try Context()
        defer { context.close() }
        let router = try context.socket(.router, lingerMilliseconds: 1000)
        defer { router.close() }
        let endpoint = try router.bind("ipc://\(folder.path)/ingest")
        // Files without --fps wait for the consumer, so none is dropped.
        let ingest = try ChildProcess("ladon-ingest", ["--source", frames, "--loop", "--count", "8", "--connect", endpoint])
        defer { ingest.stop() }
        let (received, bye) = try collect(from: router, until: 20)
        let outcome = ingest.wait()
        #expect(outcome.status == 0, "\(outcome.error)")
        #expect(bye != nil)
        #expect(outcome.output.contains("bye=answered"), "ingest saw the answer to its Bye: \(outcome.output)")
        let names = try FileSequenceSource.expand(frames)
        let expected = try (0..<8).map { try FileIO.read(names[$0 % names.count]) }
        let sameBytes = received.map(\.jpeg) == expected
        #expect(sameBytes, "the frames arrive as the files' bytes, in order")
        #expect(received.map(\.header.sequence) == Array(0..<8))
        #expect(received.map(\.header.source) == (0..<8).map { URL(fileURLWithPath: names[$0 % names.count]).lastPathComponent })
        #expect(received.allSatisfy { $0.header.droppedBefore == 0 })
    }
}
