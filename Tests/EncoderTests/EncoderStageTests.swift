import Foundation
import LadonEncoder
import LadonIngest
import Shared
import TestSupport
import Testing

/// `ladon-encoder run` against a fake broker in the test process (a ROUTER speaking the contract), fed
/// by a real `ladon-ingest`.
@Suite(.serialized) struct EncoderStageTests {
    let model = Fixtures.path("model/tiny.safetensors")
    let frames = Fixtures.path("../../samples/frames")

    @Test func theEncoderSendsNoMoreThanItsCreditAndCountsEveryDrop() throws {
        let folder = try Executables.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let broker = try FakeBroker(endpoint: "ipc://\(folder.path)/edge")
        defer { broker.close() }
        let encoder = try ChildProcess(
            "ladon-encoder",
            [
                "run", "--model", model, "--ingest", "ipc://\(folder.path)/ingest",
                "--edge", broker.endpoint, "--node-id", "cam-t", "--window", "2",
                "--drain-timeout", "20",
            ])
        defer { encoder.stop() }

        guard case let .control(node, .hello(hello))? = try broker.next(timeout: 20) else {
            Issue.record("no Hello from the encoder: \(encoder.wait(timeout: 1).error)")
            return
        }
        #expect(node == "cam-t" && hello.peerID == "cam-t" && hello.role == .node && hello.window == 2)
        try broker.grant("cam-t", 2)

        let ingest = try ChildProcess(
            "ladon-ingest",
            [
                "--source", frames, "--loop", "--fps", "25", "--count", "15",
                "--connect", "ipc://\(folder.path)/ingest", "--node-id", "cam-t",
            ])
        defer { ingest.stop() }
        var latents: [LatentMessage] = []
        // Everything the encoder sends until ingest is done and a second has passed.
        var ingestDone: Double?
        while ingestDone.map({ PipelineClock.seconds() < $0 + 1 }) ?? true {
            if ingestDone == nil && !ingest.process.isRunning { ingestDone = PipelineClock.seconds() }
            if case let .latent(_, latent, _, _)? = try broker.next(timeout: 0.1) { latents.append(latent) }
            if latents.count > 2 { break }
        }
        let ingestOutcome = ingest.wait()
        #expect(ingestOutcome.status == 0, "\(ingestOutcome.error)")
        #expect(latents.count == 2, "two credits, two latents")

        // One more credit: the freshest frame (the last one) goes, carrying the drops since.
        try broker.grant("cam-t", 1)
        latents += try broker.latents(1, within: 10)
        try #require(latents.count == 3)
        #expect(latents[2].header.sequence == 14, "the held frame is the freshest")
        #expect(latents.map(\.header.droppedBefore).reduce(0, +) == 12, "15 frames, 3 sent: 12 drops reported on the latents")
        #expect(latents.allSatisfy { $0.header.nodeID == "cam-t" })
        // Each latent names the file its frame came from (ingest loops over the sorted folder).
        let names = try FileSequenceSource.expand(frames).map { URL(fileURLWithPath: $0).lastPathComponent }
        #expect(latents.map(\.header.source) == latents.map { names[Int($0.header.sequence) % names.count] })

        // Return every credit: the encoder has nothing in flight, ends its drain and exits cleanly.
        try broker.grant("cam-t", 3)
        let outcome = encoder.wait()
        #expect(outcome.status == 0, "\(outcome.error)")
        #expect(outcome.output.contains("sent=3") && outcome.output.contains("dropped=12"), "\(outcome.output)")
    }

    @Test func aCorruptFrameIsCountedAndTheStageGoesOn() throws {
        let folder = try Executables.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let images = folder.appendingPathComponent("images")
        try FileManager.default.createDirectory(at: images, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: Fixtures.path("model/tiny-input.jpg"), toPath: images.appendingPathComponent("1.jpg").path)
        try Data([0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10] + Array(repeating: 0x41, count: 64)).write(to: images.appendingPathComponent("2.jpg"))
        try FileManager.default.copyItem(atPath: Fixtures.path("model/tiny-input.jpg"), toPath: images.appendingPathComponent("3.jpg").path)

        let broker = try FakeBroker(endpoint: "ipc://\(folder.path)/edge")
        defer { broker.close() }
        let encoder = try ChildProcess(
            "ladon-encoder",
            [
                "run", "--model", model, "--ingest", "ipc://\(folder.path)/ingest",
                "--edge", broker.endpoint, "--node-id", "cam-c", "--window", "8",
                "--policy", "queue", "--drain-timeout", "20",
            ])
        defer { encoder.stop() }
        guard case .control(_, .hello)? = try broker.next(timeout: 20) else {
            Issue.record("no Hello from the encoder")
            return
        }
        try broker.grant("cam-c", 8)
        let ingest = try ChildProcess("ladon-ingest", ["--source", images.path, "--connect", "ipc://\(folder.path)/ingest", "--node-id", "cam-c"])
        defer { ingest.stop() }
        let latents = try broker.latents(2, within: 20)
        #expect(latents.map(\.header.sequence) == [0, 2])
        #expect(latents.map(\.header.droppedBefore) == [0, 1], "the corrupt frame is reported as a drop on the next latent")
        try broker.grant("cam-c", 2)
        let outcome = encoder.wait()
        #expect(outcome.status == 0)
        #expect(outcome.output.contains("bad=1"), "\(outcome.output) \(outcome.error)")
    }

    /// The shaper's promise checked by bytes over a window: what reaches the broker after the first
    /// latent never exceeds the rate times the elapsed time (plus a scheduling allowance), and the link
    /// is kept busy (at least a third of the rate: the tiny model encodes in milliseconds).
    @Test func sigtermEndsTheEncoderWithByeAndItsSummary() throws {
        let folder = try Executables.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let broker = try FakeBroker(endpoint: "ipc://\(folder.path)/edge")
        defer { broker.close() }
        let encoder = try ChildProcess(
            "ladon-encoder",
            [
                "run", "--model", model, "--ingest", "ipc://\(folder.path)/ingest",
                "--edge", broker.endpoint, "--node-id", "cam-q",
            ])
        defer { encoder.stop() }
        guard case .control(_, .hello)? = try broker.next(timeout: 20) else {
            Issue.record("no Hello from the encoder")
            return
        }
        try broker.grant("cam-q", 2)
        encoder.signal(SIGTERM)
        let bye = try broker.control(within: 10) { message -> ControlMessage.Bye? in
            if case let .bye(bye) = message { return bye }
            return nil
        }
        #expect(bye?.peerID == "cam-q")
        let outcome = encoder.wait()
        #expect(outcome.status == 0, "\(outcome.error)")
        #expect(outcome.output.contains("frames received=0 encoded=0 sent=0"), "\(outcome.output)")
    }
}

/// The node's side of a new session (docs/pipeline.md, "Sessions and restarts"), against the fake broker.
@Suite(.serialized) struct EncoderSessionTests {
    let model = Fixtures.path("model/tiny.safetensors")
    let frames = Fixtures.path("../../samples/frames")

    func nextHello(_ broker: FakeBroker) throws -> ControlMessage.Hello? {
        try broker.control(within: 20) { message -> ControlMessage.Hello? in
            if case let .hello(hello) = message { return hello }
            return nil
        }
    }

    func nextLatents(_ count: Int, _ broker: FakeBroker) throws -> [LatentMessage] {
        try broker.latents(count, within: 20)
    }

    @Test func aByeFromTheBrokerStartsANewSessionWritingOffWhatWasInFlight() throws {
        let folder = try Executables.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let broker = try FakeBroker(endpoint: "ipc://\(folder.path)/edge")
        defer { broker.close() }
        let encoder = try ChildProcess(
            "ladon-encoder",
            [
                "run", "--model", model, "--ingest", "ipc://\(folder.path)/ingest",
                "--edge", broker.endpoint, "--node-id", "cam-n", "--window", "2",
                "--policy", "queue", "--drain-timeout", "20",
            ])
        defer { encoder.stop() }
        let first = try #require(try nextHello(broker), "no Hello")
        // Before its first Credit a node ignores a Bye: the Hello it repeats starts the session.
        try broker.bye("cam-n")
        let repeated = try #require(try nextHello(broker), "no repeated Hello")
        #expect(repeated.incarnation == first.incarnation)
        try broker.grant("cam-n", 2)

        let ingest = try ChildProcess(
            "ladon-ingest", ["--source", frames, "--fps", "10", "--connect", "ipc://\(folder.path)/ingest", "--node-id", "cam-n"])
        defer { ingest.stop() }
        let old = try nextLatents(2, broker)
        #expect(old.map(\.header.sequence) == [0, 1])
        try broker.bye("cam-n")
        let second = try #require(try nextHello(broker), "no Hello for the new session")
        #expect(second.incarnation != first.incarnation, "a new session has a new incarnation")
        try broker.grant("cam-n", 2)
        let fresh = try nextLatents(2, broker)
        #expect(fresh.map(\.header.sequence) == [2, 3], "the node sends on the new session's credit")
        try broker.grant("cam-n", 2)
        #expect(try nextLatents(2, broker).map(\.header.sequence) == [4, 5])
        try broker.grant("cam-n", 2)

        let outcome = encoder.wait()
        #expect(outcome.status == 0, "\(outcome.error)")
        for field in ["sent=6", "sessions_ended=1", "written_off=2", "in_flight_at_exit=0"] {
            #expect(outcome.output.contains(field), "\(field) in \(outcome.output)")
        }
    }

    @Test func aLatentLargerThanTheEdgeAcceptsIsDroppedBeforeSendingAndItsCreditKept() throws {
        let folder = try Executables.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let images = folder.appendingPathComponent("images")
        try FileManager.default.createDirectory(at: images, withIntermediateDirectories: true)
        // The strip's latent is about 430 bytes, a 640x480 sample frame's over 1300.
        for (index, source) in ["stream/strip-24x480.jpg", "../../samples/frames/000-astronaut.jpg", "stream/strip-24x480.jpg"].enumerated() {
            try FileManager.default.copyItem(atPath: Fixtures.path(source), toPath: images.appendingPathComponent("\(index).jpg").path)
        }
        let broker = try FakeBroker(endpoint: "ipc://\(folder.path)/edge")
        defer { broker.close() }
        let encoder = try ChildProcess(
            "ladon-encoder",
            [
                "run", "--model", model, "--ingest", "ipc://\(folder.path)/ingest",
                "--edge", broker.endpoint, "--node-id", "cam-z", "--window", "1",
                "--policy", "queue", "--max-latent-bytes", "700", "--drain-timeout", "20",
            ])
        defer { encoder.stop() }
        _ = try #require(try nextHello(broker), "no Hello")
        try broker.grant("cam-z", 1)
        let ingest = try ChildProcess(
            "ladon-ingest", ["--source", images.path, "--fps", "10", "--connect", "ipc://\(folder.path)/ingest", "--node-id", "cam-z"])
        defer { ingest.stop() }
        #expect(try nextLatents(1, broker).map(\.header.sequence) == [0])
        // One credit back: with window 1 the next latent can only go if the refused one kept its credit.
        try broker.grant("cam-z", 1)
        let next = try nextLatents(1, broker)
        #expect(next.map(\.header.sequence) == [2])
        #expect(next.map(\.header.droppedBefore) == [1], "the refused frame is reported as a drop on the next latent")
        try broker.grant("cam-z", 1)
        let outcome = encoder.wait()
        #expect(outcome.status == 0, "\(outcome.error)")
        for field in ["sent=2", "oversized=1", "dropped=1", "in_flight_at_exit=0"] {
            #expect(outcome.output.contains(field), "\(field) in \(outcome.output)")
        }
    }
}
