import Foundation
import LadonSink
import Shared
import TestSupport
import Testing

/// `ladon-sink serve` in CURVE mode on loopback TCP, behind a CURVE `ladon-edge serve`: listed subscribers
/// and edges are served, others refused, and a subscriber whose key leaves the list is cut off.
@Suite(.serialized) struct SinkSecurityTests {
    @Test func onlyListedSubscribersAndEdgesAreHeardAndARevokedSubscriberIsCutOff() throws {
        let edge = try EdgeHarness()
        defer { edge.stop() }
        let keys = edge.folder.appendingPathComponent("keys")
        let (allowEdges, allowSubscribers, allowNodes) = ("allow-edges", "allow-subscribers", "allow-nodes")
        for folder in [keys.path] + [allowEdges, allowSubscribers, allowNodes].map({ edge.folder.appendingPathComponent($0).path }) {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        }
        for name in ["edge", "sink", "cam-a", "viewer", "stranger", "rogue"] { _ = try KeyFile.generate(name: name, in: keys.path) }
        func key(_ name: String, _ secret: Bool = false) -> String { keys.appendingPathComponent(name + (secret ? ".key_secret" : ".key")).path }
        func allow(_ name: String, in folder: String) throws {
            try FileManager.default.copyItem(
                atPath: key(name), toPath: edge.folder.appendingPathComponent(folder).appendingPathComponent(name + ".key").path)
        }
        try allow("edge", in: allowEdges)
        try allow("viewer", in: allowSubscribers)
        try allow("cam-a", in: allowNodes)
        let (results, publish) = ("tcp://127.0.0.1:\(try freePort())", "tcp://127.0.0.1:\(try freePort())")
        let sink = try edge.start(
            "ladon-sink",
            [
                "serve", "--results", results, "--publish", publish, "--secret-key", key("sink", true),
                "--allow-edges", edge.folder.appendingPathComponent(allowEdges).path,
                "--allow-subscribers", edge.folder.appendingPathComponent(allowSubscribers).path,
            ])
        _ = try edge.start(
            "ladon-edge",
            [
                "serve", "--model", EdgeHarness.model, "--frontend", edge.frontend, "--sink", results, "--workers", "1",
                "--secret-key", key("edge", true), "--allow-nodes", edge.folder.appendingPathComponent(allowNodes).path,
                "--sink-key", key("sink"),
            ])
        let subscribe = { (name: String) throws -> ChildProcess in
            try edge.start(
                "ladon-sink", ["subscribe", "--connect", publish, "--topic", "cam-a/all", "--secret-key", key(name, true), "--sink-key", key("sink")])
        }
        let viewer = try subscribe("viewer")
        let stranger = try subscribe("stranger")
        let latent = try MobileEncoder(LadonModelFile(path: EdgeHarness.model)).encode(jpeg: try FileIO.read(Fixtures.path("model/tiny-input.jpg")))
            .message
        let node = try FakeNode(
            edge.context, id: "cam-a", window: 1, frontend: edge.frontend, model: latent.model,
            keys: (try KeyFile.readSecret(key("cam-a", true)), try KeyFile.read(key("edge")).publicKey))
        try #require(try node.join(), "no credit\n\(edge.logs)")
        func lines(_ process: ChildProcess) -> Int { process.standardOutput.split(separator: "\n").count }
        func sendUntil(_ condition: () -> Bool, timeout: Double = 30) throws -> Bool {
            let deadline = Date().addingTimeInterval(timeout)
            while !condition() && Date() < deadline {
                try node.send(latent, sequence: UInt64(node.sent + 1))
                _ = try node.drain(timeout: 10)
                try node.pump(milliseconds: 200)
            }
            return condition()
        }
        #expect(try sendUntil { lines(viewer) > 0 }, "the listed subscriber got nothing\n\(edge.logs)")
        #expect(lines(stranger) == 0, "an unlisted subscriber got results")

        // A rogue edge with a key the sink does not list: its Results are never heard.
        let rogue = try edge.context.socket(.push)
        defer { rogue.close() }
        let rogueKey = try KeyFile.readSecret(key("rogue", true))
        try rogue.set(
            .curveClient(
                publicKey: rogueKey.publicKey, secretKey: try #require(rogueKey.secretKey), serverKey: try KeyFile.read(key("sink")).publicKey))
        try rogue.connect(results)
        _ = try rogue.trySend(
            Envelope(ResultMessage(header: FrameHeader(nodeID: "cam-a", sequence: 999), model: latent.model, originalSize: latent.originalSize))
                .frames())

        try FileManager.default.removeItem(atPath: edge.folder.appendingPathComponent(allowSubscribers).appendingPathComponent("viewer.key").path)
        Thread.sleep(forTimeInterval: 3)  // the sink reads its lists every second and rebinds
        let before = lines(viewer)
        for _ in 0..<5 {
            try node.send(latent, sequence: UInt64(node.sent + 1))
            _ = try node.drain(timeout: 10)
        }
        Thread.sleep(forTimeInterval: 1)
        #expect(lines(viewer) == before, "a revoked subscriber still gets results")
        sink.stop()
        let summary = sink.standardOutput
        #expect((number("auth_refused", in: summary, line: "sink security:") ?? 0) >= 2, "stranger and rogue refused: \(summary)")
        #expect(number("revoked_subscribers", in: summary, line: "sink security:") == 1, "\(summary)")
        #expect(!viewer.standardOutput.contains("\"sequence\":999"), "the rogue edge's Result reached a subscriber")
    }
}
