import Foundation
import LadonEdge
import Shared
import TestSupport
import Testing

/// imagezmq #27 made impossible: a subscriber that prints 4 Results a second from a pipeline answering
/// 16 a second always prints fresh ones (each line's age from capture under a second) and counts what it
/// skipped, instead of working through a growing backlog. A short run of the real edge, sink and
/// `ladon-sink subscribe`, the node played by the test.
@Suite(.serialized) struct FreshSubscriberTests {
    @Test func aSubscriberReadingFourASecondFromSixteenASecondPrintsOnlyResultsUnderASecondOld() throws {
        let latent = try MobileEncoder(LadonModelFile(path: EdgeHarness.model))
            .encode(jpeg: try FileIO.read(Fixtures.path("model/tiny-input.jpg"))).message
        let edge = try EdgeHarness()
        defer { edge.stop() }
        _ = try edge.start("ladon-sink", ["serve", "--results", edge.results, "--publish", edge.publish])
        let subscriber = try edge.start(
            "ladon-sink", ["subscribe", "--connect", edge.publish, "--topic", "cam-f/all", "--max-rate", "4"])
        _ = try edge.broker(workers: 2)
        let node = try FakeNode(edge.context, id: "cam-f", window: 4, frontend: edge.frontend, model: latent.model)
        #expect(try node.join(), "no credit arrived\n\(edge.logs)")

        // 16 frames a second for 12 s, each sent when its turn comes and a credit is there.
        let start = Date()
        let seconds = 12.0
        while Date().timeIntervalSince(start) < seconds {
            if node.credits > 0 && Double(node.sent) < Date().timeIntervalSince(start) * 16 {
                try node.send(latent, sequence: UInt64(node.sent + 1))
            }
            try node.pump(milliseconds: 5)
        }
        #expect(try node.drain(), "credits not returned\n\(edge.logs)")
        subscriber.stop()
        #expect(node.returned >= Int(seconds * 14), "the pipeline answered only \(node.returned) in \(seconds) s")

        let lines = try subscriber.standardOutput.split(separator: "\n").map { line in
            try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        }
        let ages = lines.compactMap { $0["age_ms"] as? Int }
        let skipped = lines.compactMap { $0["skipped"] as? Int }.reduce(0, +)
        // At most 4 a second; the subscription takes a moment to reach the sink.
        #expect(lines.count >= Int(seconds * 4) - 12 && lines.count <= Int(seconds * 4) + 2, "\(lines.count) lines")
        #expect(ages.count == lines.count)
        #expect(ages.allSatisfy { $0 < 1_000 }, "ages (ms): \(ages)")
        // Every Result that reached the subscriber was printed or counted as skipped.
        #expect(skipped >= node.returned / 2, "skipped \(skipped) of \(node.returned)")
        let sequences = lines.compactMap { ($0["frame"] as? [String: Any])?["sequence"] as? Int }
        #expect(sequences == sequences.sorted(), "printed out of order: \(sequences)")
    }
}
