import Foundation
import LadonEdge
import Shared
import TestSupport
import Testing

/// `ladon-edge serve --workers 2`, `ladon-sink serve` and `ladon-sink subscribe` as real processes on
/// ipc:// endpoints, with mobile nodes played by the test (FakeNode) and latents made by MobileEncoder.
@Suite(.serialized) struct EdgeServeTests {
    static let model = EdgeHarness.model
    let latent: LatentMessage

    init() throws {
        let encoder = try MobileEncoder(LadonModelFile(path: Self.model))
        latent = try encoder.encode(jpeg: try FileIO.read(Fixtures.path("model/tiny-input.jpg"))).message
    }

    @Test func everyCreditedLatentYieldsExactlyOneResultOnEachOfItsTopicsAndTheWindowHolds() throws {
        let edge = try EdgeHarness()
        defer { edge.stop() }
        let frames = 12
        let sink = try edge.start("ladon-sink", ["serve", "--results", edge.results, "--publish", edge.publish])
        let subscriber = try edge.start("ladon-sink", ["subscribe", "--connect", edge.publish, "--topic", "", "--every"])
        let broker = try edge.broker()
        let probes = try edge.awaitSubscriber(subscriber, latent: latent)
        let node = try FakeNode(edge.context, id: "cam-a", window: 2, frontend: edge.frontend, model: latent.model)
        #expect(try node.join(), "no credit arrived\n\(edge.logs)")
        var sequence: UInt64 = 0
        let deadline = Date().addingTimeInterval(60)
        while node.sent < frames && Date() < deadline {
            while node.credits > 0 && node.sent < frames {
                sequence += 1
                try node.send(latent, sequence: sequence)
            }
            try node.pump(milliseconds: 100)
        }
        #expect(try node.drain(), "credits not returned\n\(edge.logs)")
        #expect(node.returned == frames)
        #expect(node.mostHeld <= node.window, "the node held \(node.mostHeld) with window \(node.window)")

        // The sink has every Result once the node has every credit back; give the PUB a moment to deliver.
        Thread.sleep(forTimeInterval: 0.5)
        sink.stop()
        subscriber.stop()
        #expect(field("frames", in: sink.standardOutput, line: "sink final: node=cam-a") == "\(frames)", "\(sink.standardOutput)")
        #expect(field("frames", in: sink.standardOutput, line: "sink final:") == "\(frames + probes)", "\(sink.standardOutput)")
        #expect(field("errors", in: sink.standardOutput, line: "sink final:") == "0", "\(edge.logs)")
        var topics: [UInt64: [String]] = [:]
        for line in subscriber.standardOutput.split(separator: "\n") {
            let document = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            let frame = try #require(document["frame"] as? [String: Any])
            guard frame["node"] as? String == "cam-a" else { continue }
            let sequence = try #require(frame["sequence"] as? Int)
            topics[UInt64(sequence), default: []].append(try #require(document["topic"] as? String))
            #expect(document["error"] == nil)
            #expect((document["bytes"] as? Int) == latent.coded.count)
        }
        let expected = ["cam-a/all", "cam-a/classification", "cam-a/detection", "cam-a/segmentation"]
        #expect(topics.keys.sorted() == Array(1...UInt64(frames)))
        #expect(topics.values.allSatisfy { $0.sorted() == expected }, "\(topics)")

        broker.stop()
        #expect(broker.standardOutput.contains("results=\(frames + probes) errors=0"), "\(broker.standardOutput)")
        #expect(broker.standardOutput.contains("nodes=cam-a:\(frames)/0"), "\(broker.standardOutput)")
    }

    @Test func killingABusyWorkerLosesNoCreditedLatent() throws {
        let edge = try EdgeHarness()
        defer { edge.stop() }
        let frames = 10
        let sink = try edge.sink(expect: frames)
        let broker = try edge.broker(extra: ["--hold-ms", "400", "--heartbeat-timeout", "1"])
        let node = try FakeNode(edge.context, id: "cam-k", window: 4, frontend: edge.frontend, model: latent.model)
        #expect(try node.join(), "no credit arrived\n\(edge.logs)")
        var sequence: UInt64 = 0
        var killed = false
        let deadline = Date().addingTimeInterval(60)
        while node.sent < frames && Date() < deadline {
            while node.credits > 0 && node.sent < frames {
                sequence += 1
                try node.send(latent, sequence: sequence)
            }
            try node.pump(milliseconds: 100)
            // Both workers hold a frame once the first results are back and more are queued.
            if !killed && node.returned >= 2 {
                let workers = ChildProcess.children(of: broker.pid)
                #expect(workers.count == 2, "workers: \(workers)")
                if let victim = workers.first { kill(victim, SIGKILL) }
                killed = true
            }
        }
        #expect(killed)
        #expect(try node.drain(), "credits not returned\n\(edge.logs)")
        #expect(sink.waitForExit(timeout: 30), "sink did not get \(frames) results\n\(edge.logs)")
        #expect(field("frames", in: sink.standardOutput, line: "sink final:") == "\(frames)", "\(edge.logs)")
        broker.stop()
        #expect(field("results", in: broker.standardOutput, line: "ladon-edge serve:") == "\(frames)", "\(broker.standardOutput)")
        #expect(field("dead_workers", in: broker.standardOutput, line: "ladon-edge serve:") == "1", "\(edge.logs)")
        #expect(field("retries", in: broker.standardOutput, line: "ladon-edge serve:") == "1", "\(edge.logs)")
    }

    @Test func badLatentsAreAnsweredWithErrorResultsWhileTheBrokerKeepsServing() throws {
        let edge = try EdgeHarness()
        defer { edge.stop() }
        let sink = try edge.sink(expect: 5)
        let broker = try edge.broker()
        let node = try FakeNode(edge.context, id: "cam-b", window: 4, frontend: edge.frontend, model: latent.model)
        #expect(try node.join(), "no credit arrived\n\(edge.logs)")
        // The whole window arrives as workers announce themselves: on a busy machine that takes a while.
        let windowDeadline = Date().addingTimeInterval(20)
        while node.credits < 4 && Date() < windowDeadline { try node.pump(milliseconds: 100) }
        // A short window would trip the fake node's send precondition below: stop here instead.
        try #require(node.credits == 4, "\(edge.logs)")

        var foreign = latent
        foreign.model.weightsHash ^= 1
        try node.send(foreign, sequence: 1)
        try node.send((0..<300).map { UInt8(truncatingIfNeeded: $0 &* 37) })
        var huge = latent
        huge.coded = [UInt8](repeating: 7, count: LatentMessage.maximumSize + 1)
        try node.send(huge, sequence: 3)
        let stranger = try FakeNode(edge.context, id: "cam-x", window: 1, frontend: edge.frontend, model: latent.model)
        try stranger.socket.send([MessageKind.latent.tag, latent.serialized()])
        #expect(try node.drain(), "bad latents did not return their credit\n\(edge.logs)")
        try node.send(latent, sequence: 5)
        #expect(try node.drain(), "the good latent after bad ones was not answered\n\(edge.logs)")

        #expect(sink.waitForExit(timeout: 30), "sink did not get 5 results\n\(edge.logs)")
        #expect(field("errors", in: sink.standardOutput, line: "sink final:") == "4", "\(sink.standardOutput)")
        #expect(field("errors", in: sink.standardOutput, line: "sink final: node=cam-b") == "3", "\(sink.standardOutput)")
        #expect(field("frames", in: sink.standardOutput, line: "sink final: node=cam-x") == "1", "\(sink.standardOutput)")
        broker.stop()
        let summary = broker.standardOutput
        for (key, value) in [("model_mismatch", "1"), ("malformed", "1"), ("oversized", "1"), ("unknown_node", "1"), ("errors", "4")] {
            #expect(field(key, in: summary, line: "ladon-edge serve:") == value, "\(key) in \(summary)")
        }
    }

    @Test func twoNodesUnderOverloadBothMakeProgress() throws {
        let edge = try EdgeHarness()
        defer { edge.stop() }
        let total = 24
        let sink = try edge.sink(expect: total)
        _ = try edge.broker(extra: ["--hold-ms", "150"])
        let nodes = try ["cam-1", "cam-2"].map {
            try FakeNode(edge.context, id: $0, window: 4, frontend: edge.frontend, model: latent.model)
        }
        for node in nodes { #expect(try node.join(), "no credit for \(node.id)\n\(edge.logs)") }
        try FakeNode.drive(nodes, sending: latent, total: total, edge: edge, pumpMilliseconds: 20)
        #expect(sink.waitForExit(timeout: 30), "sink did not get \(total) results\n\(edge.logs)")
        let counts = nodes.map(\.returned)
        #expect(counts.reduce(0, +) == total)
        #expect(counts.allSatisfy { $0 >= total / 3 }, "unfair split \(counts)")
        #expect(nodes.allSatisfy { $0.mostHeld <= $0.window })
    }
}
