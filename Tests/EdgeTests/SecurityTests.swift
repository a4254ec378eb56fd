import Foundation
import LadonEdge
import Shared
import TestSupport
import Testing

/// `ladon-edge serve` in CURVE mode on a loopback TCP frontend, with nodes played by the test: who is let
/// in, who is refused, and that each refusal is counted in the broker's summary.
@Suite(.serialized) struct SecurityTests {
    /// Keys for an edge, a sink and nodes; the allow-list folder holds the nodes named in `allowed`.
    final class Keys {
        let folder: URL
        let allowNodes: URL
        init(nodes: [String], allowed: [String]) throws {
            folder = try Executables.temporaryFolder()
            allowNodes = folder.appendingPathComponent("allow-nodes")
            try FileManager.default.createDirectory(at: allowNodes, withIntermediateDirectories: true)
            for name in ["edge", "sink"] + nodes { _ = try KeyFile.generate(name: name, in: folder.path) }
            for name in allowed { try FileManager.default.copyItem(at: publicFile(name), to: allowNodes.appendingPathComponent("\(name).key")) }
        }
        func publicFile(_ name: String) -> URL { folder.appendingPathComponent("\(name).key") }
        func secretFile(_ name: String) -> URL { folder.appendingPathComponent("\(name).key_secret") }
        func node(_ name: String) throws -> KeyFile { try KeyFile.readSecret(secretFile(name).path) }
        var edgeKey: CurveKey { get throws { try KeyFile.read(publicFile("edge").path).publicKey } }
        deinit { try? FileManager.default.removeItem(at: folder) }
    }

    let latent: LatentMessage

    init() throws {
        latent = try MobileEncoder(LadonModelFile(path: EdgeHarness.model)).encode(jpeg: try FileIO.read(Fixtures.path("model/tiny-input.jpg")))
            .message
    }

    /// A CURVE broker on a free loopback port, its sink over ipc (plaintext there: a local endpoint).
    func secureBroker(_ edge: EdgeHarness, _ keys: Keys) throws -> (ChildProcess, frontend: String) {
        let port = try freePort()
        let frontend = "tcp://127.0.0.1:\(port)"
        let broker = try edge.start(
            "ladon-edge",
            [
                "serve", "--model", EdgeHarness.model, "--frontend", frontend, "--sink", edge.results, "--workers", "1",
                "--secret-key", keys.secretFile("edge").path, "--allow-nodes", keys.allowNodes.path,
                "--sink-key", keys.publicFile("sink").path,
            ])
        return (broker, frontend)
    }

    func summary(_ broker: ChildProcess) -> String {
        broker.stop()
        return broker.standardOutput
    }

    @Test func aListedNodeIsServedAndAnUnlistedKeyAndAPlaintextPeerAreRefusedAndCounted() throws {
        let keys = try Keys(nodes: ["cam-a", "cam-x"], allowed: ["cam-a"])
        let edge = try EdgeHarness()
        defer { edge.stop() }
        _ = try edge.start(
            "ladon-sink",
            [
                "serve", "--results", edge.results, "--publish", edge.publish, "--secret-key", keys.secretFile("sink").path,
                "--allow-edges", keys.folder.path,
            ])
        let (broker, frontend) = try secureBroker(edge, keys)
        let listed = try FakeNode(
            edge.context, id: "cam-a", window: 1, frontend: frontend, model: latent.model, keys: (try keys.node("cam-a"), try keys.edgeKey))
        #expect(try listed.join(), "the listed node got no credit\n\(edge.logs)")
        try listed.send(latent, sequence: 1)
        #expect(try listed.drain(), "the listed node's latent was not answered\n\(edge.logs)")

        let unlisted = try FakeNode(
            edge.context, id: "cam-x", window: 1, frontend: frontend, model: latent.model, keys: (try keys.node("cam-x"), try keys.edgeKey))
        let plaintext = try FakeNode(edge.context, id: "cam-p", window: 1, frontend: frontend, model: latent.model)
        #expect(try !unlisted.join(timeout: 4), "an unlisted key got credit")
        #expect(try !plaintext.join(timeout: 2), "a plaintext peer got credit")
        let line = summary(broker)
        #expect((number("auth_refused", in: line, line: "ladon-edge serve:") ?? 0) >= 1, "\(line)")
        #expect((number("handshake_failures", in: line, line: "ladon-edge serve:") ?? 0) >= 1, "\(line)")
        #expect(field("nodes", in: line, line: "ladon-edge serve:") == "cam-a:1/0", "\(line)")
    }

    @Test func aNodeWhoseKeySpeaksForAnotherIDIsRefusedAndCounted() throws {
        let keys = try Keys(nodes: ["cam-a", "cam-b"], allowed: ["cam-a", "cam-b"])
        let edge = try EdgeHarness()
        defer { edge.stop() }
        let (broker, frontend) = try secureBroker(edge, keys)
        // The key of cam-b, claiming to be cam-a.
        let impostor = try FakeNode(
            edge.context, id: "cam-a", window: 1, frontend: frontend, model: latent.model, keys: (try keys.node("cam-b"), try keys.edgeKey))
        #expect(try !impostor.join(timeout: 4), "an impersonating node got credit")
        #expect(impostor.byes.contains { $0.contains("cannot speak for node 'cam-a'") }, "\(impostor.byes)")
        let line = summary(broker)
        #expect((number("impersonations", in: line, line: "ladon-edge serve:") ?? 0) >= 1, "\(line)")
    }

    @Test func removingAKeyFromTheAllowListCutsThatNodesLiveSessionWithinASecondOrTwo() throws {
        let keys = try Keys(nodes: ["cam-a"], allowed: ["cam-a"])
        let edge = try EdgeHarness()
        defer { edge.stop() }
        let (broker, frontend) = try secureBroker(edge, keys)
        let node = try FakeNode(
            edge.context, id: "cam-a", window: 1, frontend: frontend, model: latent.model, keys: (try keys.node("cam-a"), try keys.edgeKey))
        #expect(try node.join(), "no credit before the revocation\n\(edge.logs)")
        try FileManager.default.removeItem(at: keys.allowNodes.appendingPathComponent("cam-a.key"))
        let revokedAt = Date()
        while !node.byes.contains(where: { $0.contains("revoked") }) && Date().timeIntervalSince(revokedAt) < 10 {
            try node.pump(milliseconds: 100)
        }
        let took = Date().timeIntervalSince(revokedAt)
        #expect(node.byes.contains { $0.contains("revoked") }, "no Bye for the revoked key\n\(edge.logs)")
        #expect(took < 3, "the session was cut \(took) s after the key left the list")
        // What the revoked node sends now is not served.
        try node.send(latent, sequence: 2)
        #expect(try !node.drain(timeout: 3), "a latent under a revoked key was answered")
        let line = summary(broker)
        #expect(number("revoked_sessions", in: line, line: "ladon-edge serve:") == 1, "\(line)")
        #expect(field("nodes", in: line, line: "ladon-edge serve:") == "cam-a:0/0", "\(line)")
    }

    @Test func aSecretKeyFileOthersCanReadIsRefusedWithOneLine() throws {
        let keys = try Keys(nodes: [], allowed: [])
        chmod(keys.secretFile("edge").path, 0o644)
        let outcome = try Executables.run(
            "ladon-edge",
            [
                "serve", "--model", EdgeHarness.model, "--frontend", "tcp://127.0.0.1:0", "--sink", "ipc:///nonexistent/results",
                "--secret-key", keys.secretFile("edge").path, "--allow-nodes", keys.allowNodes.path,
                "--sink-key", keys.publicFile("sink").path,
            ])
        #expect(outcome.status == 1)
        #expect(outcome.standardError.contains("is readable by group or others (mode 644); chmod 600 it"), "\(outcome.standardError)")
        #expect(outcome.standardError.split(separator: "\n").count == 1, "\(outcome.standardError)")
    }

    @Test func plaintextOnATCPEndpointNeedsInsecureOrKeys() throws {
        let outcome = try Executables.run(
            "ladon-edge", ["serve", "--model", EdgeHarness.model, "--frontend", "tcp://127.0.0.1:0", "--sink", "ipc:///nonexistent/results"])
        #expect(outcome.status == 1)
        #expect(outcome.standardError.contains("tcp://127.0.0.1:0 would carry plaintext"), "\(outcome.standardError)")
    }
}
