import Foundation
import Shared
import TestSupport
import Testing

/// The whole pipeline as separate processes: 3 mobile nodes (ladon-ingest + ladon-encoder run each),
/// ladon-edge serve with 2 workers, ladon-sink serve (saving results and annotated frames) and a
/// ladon-sink subscriber, on ipc:// endpoints.
@Suite(.serialized) struct WholeSystemTests {
    @Test func threeNodesTwoWorkersOneSinkAndASubscriberAnswerEverySentFrameOnItsTopics() throws {
        let edge = try EdgeHarness()
        defer { edge.stop() }
        let model = EdgeHarness.model
        let frames = Fixtures.root.deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("samples/frames").path
        let available = try FileManager.default.contentsOfDirectory(atPath: frames).filter { $0.hasSuffix(".jpg") }.count
        let nodes = ["cam-01", "cam-02", "cam-03"]

        let out = edge.folder.appendingPathComponent("out")
        let sink = try edge.start(
            "ladon-sink",
            [
                "serve", "--results", edge.results, "--publish", edge.publish,
                "--out", out.path, "--frames", frames,
            ])
        let subscriber = try edge.start("ladon-sink", ["subscribe", "--connect", edge.publish, "--topic", "", "--every"])
        let broker = try edge.broker()
        let encoders = try nodes.map { node in
            try edge.start(
                "ladon-encoder",
                [
                    "run", "--model", model, "--ingest", "ipc://\(edge.folder.path)/ingest-\(node)",
                    "--edge", edge.frontend, "--node-id", node, "--window", "2",
                ])
        }
        let probes = try edge.awaitSubscriber(
            subscriber,
            latent: try MobileEncoder(LadonModelFile(path: model))
                .encode(jpeg: try FileIO.read(Fixtures.path("model/tiny-input.jpg"))).message)
        #expect(probes >= 1, "the subscriber never saw a Result\n\(edge.logs)")
        let ingests = try nodes.map { node in
            try edge.start(
                "ladon-ingest",
                [
                    "--source", frames, "--fps", "4", "--connect",
                    "ipc://\(edge.folder.path)/ingest-\(node)", "--node-id", node,
                ])
        }
        for ingest in ingests { #expect(ingest.waitForExit(timeout: 60), "ingest did not finish\n\(edge.logs)") }
        for encoder in encoders { #expect(encoder.waitForExit(timeout: 60), "encoder did not drain\n\(edge.logs)") }
        Thread.sleep(forTimeInterval: 1)
        sink.stop()
        subscriber.stop()
        broker.stop()

        var sent: [String: Int] = [:]
        for (node, encoder) in zip(nodes, encoders) {
            let summary = encoder.standardOutput
            let number = { (key: String) in
                summary.split(whereSeparator: \.isWhitespace).first { $0.hasPrefix("\(key)=") }.flatMap { Int($0.dropFirst(key.count + 1)) }
            }
            let (count, dropped) = (try #require(number("sent"), "\(summary)"), try #require(number("dropped"), "\(summary)"))
            #expect(count >= 1 && count + dropped <= available, "\(node): \(summary)")
            #expect(number("in_flight_at_exit") == 0, "\(node): \(summary)")
            sent[node] = count
        }
        let total = sent.values.reduce(0, +)
        let final = sink.standardOutput
        func sinkField(_ key: String, _ line: String) -> String? {
            final.split(separator: "\n").first { $0.hasPrefix(line) }?
                .split(separator: " ").first { $0.hasPrefix("\(key)=") }.map { String($0.dropFirst(key.count + 1)) }
        }
        #expect(sinkField("frames", "sink final:") == "\(total + probes)", "\(final)\n\(edge.logs)")
        #expect(sinkField("errors", "sink final:") == "0", "\(final)")
        for node in nodes {
            #expect(sinkField("frames", "sink final: node=\(node) ") == "\(sent[node] ?? -1)", "\(node): \(final)")
        }

        var topics: [String: [String]] = [:]
        for line in subscriber.standardOutput.split(separator: "\n") {
            let document = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            let frame = try #require(document["frame"] as? [String: Any])
            guard frame["node"] as? String != "probe" else { continue }
            let key = "\(frame["node"] as? String ?? "?")#\(frame["sequence"] as? Int ?? -1)"
            topics[key, default: []].append(try #require(document["topic"] as? String))
        }
        #expect(topics.count == total, "subscriber saw \(topics.count) of \(total) results")
        for (key, seen) in topics {
            let node = String(key.prefix { $0 != "#" })
            #expect(seen.sorted() == ["all", "classification", "detection", "segmentation"].map { "\(node)/\($0)" }, "\(key): \(seen)")
        }

        // Every frame from ingest came back named by its file and drawn on it at its size; the
        // probes (latents with no source) were not.
        let saved = try FileManager.default.contentsOfDirectory(atPath: out.path)
        #expect(saved.filter { $0.hasSuffix("-annotated.png") }.count == total, "\(saved.sorted())")
        #expect(sink.standardOutput.contains("sink annotations: written=\(total) failed=0"), "\(final)")
        let node = try #require(nodes.first { (sent[$0] ?? 0) > 0 })
        let first = try #require(saved.filter { $0.hasPrefix("\(node)-") && $0.hasSuffix(".json") }.sorted().first)
        let stem = String(first.dropLast(5))
        let document = try JSONSerialization.jsonObject(with: Data(try FileIO.read(out.appendingPathComponent(first).path)))
        let source = try #require(((document as? [String: Any])?["frame"] as? [String: Any])?["source"] as? String)
        let frame = try JPEG.decode(try FileIO.read(URL(fileURLWithPath: frames).appendingPathComponent(source).path))
        let annotated = try PNG.decode(try FileIO.read(out.appendingPathComponent("\(stem)-annotated.png").path))
        #expect(annotated.size == frame.size && annotated != frame, "\(stem) drawn on \(source)")
    }
}
