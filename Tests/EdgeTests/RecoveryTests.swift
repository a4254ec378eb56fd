import Foundation
import LadonEdge
import Shared
import TestSupport
import Testing

/// Stages restarted mid-stream and messages over the edge's size limit, with every stage a real process
/// on ipc:// endpoints (docs/pipeline.md, "Sessions and restarts"). Each test ends the stream with the
/// ingest's end of stream and checks the encoder got every credit back: nothing starved, nothing owed.
@Suite(.serialized) struct RecoveryTests {
    static let model = EdgeHarness.model
    static let frames = Fixtures.root.deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("samples/frames").path

    /// One mobile node (ingest at 5 fps looping over the sample frames, encoder) on `edge`.
    struct Node {
        let id: String
        let ingestEndpoint: String
        let encoderArguments: [String]

        init(_ id: String, edge: EdgeHarness, window: Int = 2, extra: [String] = [], ingestName: String? = nil) {
            self.id = id
            ingestEndpoint = "ipc://\(edge.folder.path)/\(ingestName ?? "ingest-\(id)")"
            encoderArguments =
                [
                    "run", "--model", RecoveryTests.model, "--ingest", ingestEndpoint, "--edge", edge.frontend,
                    "--node-id", id, "--window", "\(window)",
                ] + extra
        }

        func startEncoder(_ edge: EdgeHarness) throws -> ChildProcess {
            try edge.start("ladon-encoder", encoderArguments)
        }

        func startIngest(_ edge: EdgeHarness, source: String = RecoveryTests.frames, extra: [String] = ["--loop", "--fps", "5"]) throws
            -> ChildProcess
        {
            // A generous finish timeout: the last frame and the end-of-stream Bye wait for a loaded machine.
            try edge.start(
                "ladon-ingest",
                [
                    "--source", source, "--connect", ingestEndpoint, "--node-id", id,
                    "--finish-timeout", "30",
                ] + extra)
        }
    }

    /// Results of `node` the sink has logged (one `frame node=...` line each; error Results log differently).
    static func answered(_ node: String, by sink: ChildProcess) -> Int {
        sink.standardError.split(separator: "\n").filter { $0.contains(" frame node=\(node) ") }.count
    }

    /// Ends the node's stream (SIGTERM to ingest: last frame, then Bye) and returns the encoder's summary
    /// once it has drained and exited.
    static func finish(_ ingest: ChildProcess, _ encoder: ChildProcess, _ edge: EdgeHarness) -> String {
        ingest.process.terminate()
        #expect(ingest.waitForExit(timeout: 30), "ingest did not stop\n\(edge.logs)")
        #expect(encoder.waitForExit(timeout: 60), "encoder did not drain\n\(edge.logs)")
        #expect(encoder.process.terminationStatus == 0, "\(edge.logs)")
        return encoder.standardOutput
    }

    @Test func anEncoderKilledMidStreamAndStartedAgainGetsFreshCreditAndItsFramesAnswered() throws {
        let edge = try EdgeHarness()
        defer { edge.stop() }
        let node = Node("cam-r", edge: edge)
        let sink = try edge.start("ladon-sink", ["serve", "--results", edge.results, "--publish", edge.publish])
        let broker = try edge.broker()
        let first = try node.startEncoder(edge)
        let ingest = try node.startIngest(edge)
        #expect(waitUntil(60) { Self.answered("cam-r", by: sink) >= 3 }, "no results before the restart\n\(edge.logs)")

        kill(first.pid, SIGKILL)
        #expect(first.waitForExit(timeout: 10))
        let before = Self.answered("cam-r", by: sink)
        let second = try node.startEncoder(edge)
        // At most a window's worth of Results of the killed process may still arrive; more come from the new one.
        #expect(waitUntil(60) { Self.answered("cam-r", by: sink) >= before + 2 + 3 }, "the restarted node was not served\n\(edge.logs)")

        let summary = Self.finish(ingest, second, edge)
        #expect(number("in_flight_at_exit", in: summary) == 0, "\(summary)")
        #expect((number("sent", in: summary) ?? 0) >= 3, "\(summary)")
        #expect(broker.isRunning && sink.isRunning, "\(edge.logs)")
        broker.stop()
        let line = "ladon-edge serve:"
        // The new process is a new route taking the id over (its old connection closed), not a reconnection.
        #expect(number("node_restarts", in: broker.standardOutput, line: line) == 1, "\(broker.standardOutput)")
        #expect(number("node_reconnects", in: broker.standardOutput, line: line) == 0, "\(broker.standardOutput)")
        #expect(number("duplicate_node_ids", in: broker.standardOutput, line: line) == 0, "\(broker.standardOutput)")
        #expect(broker.process.terminationStatus == 0)
    }

    @Test func aSecondEncoderStartedWithATakenNodeIDIsRefusedAndTakesTheIDOverWhenTheFirstEnds() throws {
        let edge = try EdgeHarness()
        defer { edge.stop() }
        let node = Node("cam-d", edge: edge)
        let sink = try edge.start("ladon-sink", ["serve", "--results", edge.results, "--publish", edge.publish])
        let broker = try edge.broker(workers: 1)
        let first = try node.startEncoder(edge)
        let ingest = try node.startIngest(edge)
        #expect(waitUntil(60) { Self.answered("cam-d", by: sink) >= 2 }, "no results from the first encoder\n\(edge.logs)")

        let twin = Node("cam-d", edge: edge, ingestName: "ingest-twin")
        let second = try twin.startEncoder(edge)
        #expect(
            waitUntil(30) { second.standardError.contains("the edge has not taken this node on") },
            "the second encoder did not report the refusal\n\(edge.logs)")
        #expect(waitUntil(30) { Self.answered("cam-d", by: sink) >= 4 }, "the first encoder stopped being served\n\(edge.logs)")

        let summary = Self.finish(ingest, first, edge)
        #expect(number("in_flight_at_exit", in: summary) == 0, "\(summary)")
        #expect(
            waitUntil(30) { broker.standardError.contains("node id taken over by a new process node=cam-d ") },
            "the second encoder did not get the id after the first left\n\(edge.logs)")
        second.stop()
        #expect((number("refusals", in: second.standardOutput) ?? 0) >= 1, "\(second.standardOutput)")
        broker.stop()
        #expect(number("duplicate_node_ids", in: broker.standardOutput, line: "ladon-edge serve:") == 1, "\(broker.standardOutput)")
    }

    @Test func aSinkRestartedMidRunGetsTheResultsThatFollowAndTheEdgeKeepsServing() throws {
        let edge = try EdgeHarness()
        defer { edge.stop() }
        let node = Node("cam-s", edge: edge)
        let sinkArguments = ["serve", "--results", edge.results, "--publish", edge.publish]
        let first = try edge.start("ladon-sink", sinkArguments)
        let broker = try edge.broker()
        let encoder = try node.startEncoder(edge)
        let ingest = try node.startIngest(edge)
        #expect(waitUntil(60) { Self.answered("cam-s", by: first) >= 3 }, "no results before the restart\n\(edge.logs)")

        kill(first.pid, SIGKILL)
        #expect(first.waitForExit(timeout: 10))
        Thread.sleep(forTimeInterval: 2)  // the edge goes on answering while no sink is there
        let second = try edge.start("ladon-sink", sinkArguments)
        #expect(waitUntil(60) { Self.answered("cam-s", by: second) >= 5 }, "the new sink got no results\n\(edge.logs)")

        let summary = Self.finish(ingest, encoder, edge)
        #expect(number("in_flight_at_exit", in: summary) == 0, "\(summary)")
        #expect(broker.isRunning, "\(edge.logs)")
        broker.stop()
        let line = "ladon-edge serve:"
        #expect(number("sink_disconnects", in: broker.standardOutput, line: line) == 1, "\(broker.standardOutput)")
        #expect(number("sink_dropped", in: broker.standardOutput, line: line) == 0, "\(broker.standardOutput)")
        #expect(broker.standardError.contains("sink connection lost"), "\(broker.standardError)")
    }

    @Test func anEdgeBrokerRestartedMidRunGivesItsNodeANewSession() throws {
        let edge = try EdgeHarness()
        defer { edge.stop() }
        let node = Node("cam-b", edge: edge)
        let sink = try edge.start("ladon-sink", ["serve", "--results", edge.results, "--publish", edge.publish])
        let first = try edge.broker(workers: 1)
        let encoder = try node.startEncoder(edge)
        let ingest = try node.startIngest(edge)
        #expect(waitUntil(60) { Self.answered("cam-b", by: sink) >= 3 }, "no results before the restart\n\(edge.logs)")

        let orphans = ChildProcess.children(of: first.pid)
        defer { for pid in orphans where Self.isAlive(pid) { kill(pid, SIGKILL) } }
        kill(first.pid, SIGKILL)
        #expect(first.waitForExit(timeout: 10))
        let before = Self.answered("cam-b", by: sink)
        let second = try edge.broker(workers: 1)
        #expect(waitUntil(60) { Self.answered("cam-b", by: sink) >= before + 3 }, "the node was not served by the new broker\n\(edge.logs)")
        #expect(waitUntil(10) { orphans.allSatisfy { !Self.isAlive($0) } }, "the dead broker's workers kept running: \(orphans)")

        let summary = Self.finish(ingest, encoder, edge)
        #expect(number("in_flight_at_exit", in: summary) == 0, "\(summary)")
        #expect((number("sessions_ended", in: summary) ?? 0) >= 1, "\(summary)")
        #expect(second.isRunning && sink.isRunning, "\(edge.logs)")
    }

    /// Ingest over `mixedFrames` at 4 fps, started once the encoder has said hello to the broker (so it
    /// is bound and takes every frame).
    static func startPacedIngest(_ node: Node, edge: EdgeHarness, broker: ChildProcess) throws -> ChildProcess {
        #expect(waitUntil(60) { broker.standardError.contains("node joined node=\(node.id) ") }, "\(edge.logs)")
        return try node.startIngest(edge, source: try mixedFrames(in: edge.folder), extra: ["--fps", "4"])
    }

    /// A directory of frames whose latents are small (the strip) except one 640x480 frame's.
    static func mixedFrames(in folder: URL) throws -> String {
        let images = folder.appendingPathComponent("mixed")
        try FileManager.default.createDirectory(at: images, withIntermediateDirectories: true)
        let names = ["0-strip", "1-strip", "2-strip", "3-astronaut", "4-strip", "5-strip", "6-strip"]
        for name in names {
            let source = name.hasSuffix("strip") ? Fixtures.path("stream/strip-24x480.jpg") : "\(frames)/000-astronaut.jpg"
            try FileManager.default.copyItem(atPath: source, toPath: images.appendingPathComponent("\(name).jpg").path)
        }
        return images.path
    }

    @Test func aNodeCutOffForALatentOverTheEdgesMessageLimitStartsANewSessionAndKeepsItsCredit() throws {
        let edge = try EdgeHarness()
        defer { edge.stop() }
        let node = Node("cam-o", edge: edge, extra: ["--policy", "queue"])
        let sink = try edge.start("ladon-sink", ["serve", "--results", edge.results, "--publish", edge.publish])
        // Latents up to 700 bytes pass (the strip's ~430), over 1400 (ZMQ_MAXMSGSIZE) the node is cut off.
        let broker = try edge.broker(extra: ["--max-latent-bytes", "700"])
        let encoder = try node.startEncoder(edge)
        let ingest = try Self.startPacedIngest(node, edge: edge, broker: broker)
        #expect(ingest.waitForExit(timeout: 60), "ingest did not finish\n\(edge.logs)")
        #expect(encoder.waitForExit(timeout: 60), "encoder did not drain\n\(edge.logs)")
        let summary = encoder.standardOutput
        #expect(encoder.process.terminationStatus == 0, "\(edge.logs)")
        #expect(number("in_flight_at_exit", in: summary) == 0, "\(summary)")
        #expect(number("sessions_ended", in: summary) == 1, "\(summary)")
        let sent = number("sent", in: summary) ?? 0
        let writtenOff = number("written_off", in: summary) ?? 0
        #expect(sent == 7, "\(summary)")

        Thread.sleep(forTimeInterval: 1)
        sink.stop()
        broker.stop()
        // The cut-off latent never reached the broker; latents written off with it may or may not have.
        let answered = number("frames", in: sink.standardOutput, line: "sink final: node=cam-o") ?? 0
        #expect(
            writtenOff >= 1 && answered >= sent - writtenOff && answered <= sent - 1,
            "sent \(sent), written off \(writtenOff), answered \(answered)\n\(edge.logs)")
        let line = "ladon-edge serve:"
        #expect(number("node_reconnects", in: broker.standardOutput, line: line) == 1, "\(broker.standardOutput)")
        #expect(number("node_restarts", in: broker.standardOutput, line: line) == 1, "\(broker.standardOutput)")
        #expect(number("oversized", in: broker.standardOutput, line: line) == 0, "\(broker.standardOutput)")
    }

    @Test func aLatentOverTheLimitTheEncoderKnowsIsDroppedBeforeSendingAndReportedOnTheSink() throws {
        let edge = try EdgeHarness()
        defer { edge.stop() }
        let node = Node("cam-d", edge: edge, extra: ["--policy", "queue", "--max-latent-bytes", "700"])
        let sink = try edge.sink(expect: 6)
        let broker = try edge.broker()
        let encoder = try node.startEncoder(edge)
        let ingest = try Self.startPacedIngest(node, edge: edge, broker: broker)
        #expect(ingest.waitForExit(timeout: 60), "ingest did not finish\n\(edge.logs)")
        #expect(encoder.waitForExit(timeout: 60), "encoder did not drain\n\(edge.logs)")
        let summary = encoder.standardOutput
        for (key, value) in [("sent", 6), ("oversized", 1), ("dropped", 1), ("in_flight_at_exit", 0), ("sessions_ended", 0)] {
            #expect(number(key, in: summary) == value, "\(key) in \(summary)")
        }
        #expect(sink.waitForExit(timeout: 30), "sink did not get 6 results\n\(edge.logs)")
        #expect(number("drops", in: sink.standardOutput, line: "sink final: node=cam-d") == 1, "\(sink.standardOutput)")
        #expect(number("errors", in: sink.standardOutput, line: "sink final: node=cam-d") == 0, "\(sink.standardOutput)")
        broker.stop()
    }

    /// Alive and not a zombie (Linux /proc).
    static func isAlive(_ pid: Int32) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        else { return false }
        return stat[stat.index(after: close)...].split(separator: " ").first != "Z"
    }
}
