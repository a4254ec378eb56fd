import Foundation
import LadonSink
import Shared
import TestSupport
import Testing

/// The sink's SQLite store: rows as the Results were, retention, a kill -9 mid-run that loses no
/// committed row, and replay onto the topics. Real SQLite, real processes.
@Suite(.serialized) struct ResultStoreTests {
    static func result(_ node: String, _ sequence: UInt64, error: String? = nil) -> ResultMessage {
        var result = ResultMessage(
            header: FrameHeader(nodeID: node, sequence: sequence, captureTimeMicroseconds: 1_000_000 + Int64(sequence) * 1000, source: "f.jpg"),
            model: ModelIdentity(backbone: "resnet50", beta: 1.28, weightsHash: 3), originalSize: ImageSize(height: 2, width: 2),
            tasks: TaskResults(
                classification: Classification(top: [ClassScore(classIndex: 1, name: "cat", probability: 0.5)]),
                detections: [DetectedObject(box: Box(x1: 0, y1: 0, x2: 1, y2: 1), label: 3, name: "car", score: 0.75)]),
            timings: [StageTiming(stage: "trunk", milliseconds: 12)], latentBytes: 321)
        result.error = error
        return result
    }

    static func temporaryPath() throws -> String { try Executables.temporaryFolder().appendingPathComponent("results.sqlite").path }

    @Test func aStoredResultReadsBackWithItsFrameAndItsBytesAsPublished() throws {
        let path = try Self.temporaryPath()
        let store = try ResultStore(path: path)
        let results = [Self.result("cam-a", 1), Self.result("cam-b", 2), Self.result("cam-a", 3, error: "no edge worker available")]
        for (index, result) in results.enumerated() {
            try store.store(result, payload: result.serialized(), receivedMicroseconds: 5_000 + Int64(index))
        }
        store.close()

        let reader = try ResultStore(path: path, readOnly: true)
        let rows = try reader.rows()
        #expect(rows.map(\.node) == ["cam-a", "cam-b", "cam-a"])
        #expect(rows.map(\.sequence) == [1, 2, 3])
        #expect(rows.map(\.error) == [nil, nil, "no edge worker available"])
        #expect(try rows.map { try ResultMessage(serialized: $0.result) } == results)
        #expect(try reader.rows(node: "cam-a", from: 1_002_000).map(\.sequence) == [3])
        #expect(try reader.integrity() == "ok")
        #expect(throws: ResultStore.StoreError.self) { try reader.store(results[0], payload: [], receivedMicroseconds: 0) }
    }

    @Test func retentionKeepsOnlyTheNewestRows() throws {
        let store = try ResultStore(path: try Self.temporaryPath(), retainRows: 50)
        for sequence in UInt64(1)...500 {
            let result = Self.result("cam-a", sequence)
            try store.store(result, payload: result.serialized(), receivedMicroseconds: 0)
        }
        let kept = try store.rows().map(\.sequence)
        #expect(kept.count >= 50 && kept.count <= 55, "\(kept.count) rows")
        #expect(kept.last == 500 && kept.first == 500 - UInt64(kept.count) + 1)
    }

    @Test func aSinkKilledMidRunLosesNoResultItHadStoredAndItsStoreIsSound() throws {
        let latent = try MobileEncoder(LadonModelFile(path: EdgeHarness.model))
            .encode(jpeg: try FileIO.read(Fixtures.path("model/tiny-input.jpg"))).message
        let edge = try EdgeHarness()
        defer { edge.stop() }
        let store = edge.folder.appendingPathComponent("results.sqlite").path
        let history = edge.folder.appendingPathComponent("history").path
        let sink = try edge.start(
            "ladon-sink", ["serve", "--results", edge.results, "--publish", edge.publish, "--store", store, "--history", history])
        _ = try edge.broker(workers: 2)
        let node = try FakeNode(edge.context, id: "cam-s", window: 4, frontend: edge.frontend, model: latent.model)
        #expect(try node.join(), "no credit arrived\n\(edge.logs)")
        func published() -> [UInt64] {
            let text = (try? String(contentsOfFile: history, encoding: .utf8)) ?? ""
            return text.split(separator: "\n").compactMap { line in
                let fields = line.split(separator: " ")
                return fields.count >= 5 && fields[2] == "published" ? UInt64(fields[4]) : nil
            }
        }
        // Results keep arriving while the sink is killed: some are in its hands, none half-written on disk.
        let deadline = Date().addingTimeInterval(60)
        while published().count < 40 && Date() < deadline {
            while node.credits > 0 { try node.send(latent, sequence: UInt64(node.sent + 1)) }
            try node.pump(milliseconds: 5)
        }
        sink.signal(SIGKILL)
        #expect(sink.waitForExit(timeout: 10))
        let logged = published()
        #expect(logged.count >= 40, "\(edge.logs)")

        let reader = try ResultStore(path: store, readOnly: true)
        #expect(try reader.integrity() == "ok")
        let stored = Set(try reader.rows(node: "cam-s").map(\.sequence))
        // The history line follows the commit: everything the sink said it published is stored.
        #expect(Set(logged).isSubset(of: stored), "logged but not stored: \(Set(logged).subtracting(stored).sorted())")
    }

    @Test func replayPublishesTheStoredResultsOnTheirTopicsInCaptureOrder() throws {
        let path = try Self.temporaryPath()
        let store = try ResultStore(path: path)
        for sequence in UInt64(1)...6 {
            let result = Self.result(sequence % 2 == 0 ? "cam-b" : "cam-a", sequence)
            try store.store(result, payload: result.serialized(), receivedMicroseconds: 0)
        }
        store.close()
        let folder = try Executables.temporaryFolder()
        let endpoint = "ipc://\(folder.path)/replay"
        let replay = try ChildProcess("ladon-sink", ["replay", "--store", path, "--publish", endpoint, "--node", "cam-a", "--wait", "2"])
        defer { replay.stop() }
        let subscriber = try ChildProcess("ladon-sink", ["subscribe", "--connect", endpoint, "--topic", "cam-a/all", "--every", "--count", "3"])
        defer { subscriber.stop() }
        let outcome = subscriber.wait(timeout: 30)
        #expect(outcome.status == 0, "\(outcome.error)\n\(replay.standardError)")
        let sequences = outcome.output.split(separator: "\n").compactMap { line in
            ((try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any]).flatMap {
                ($0["frame"] as? [String: Any])?["sequence"] as? Int
            }
        }
        #expect(sequences == [1, 3, 5])
        #expect(replay.wait(timeout: 10).output.contains("ladon-sink replay: published=3 unreadable=0"))
    }

    @Test func theSinksExitLineCountsWhatItStored() throws {
        let edge = try EdgeHarness()
        defer { edge.stop() }
        let store = edge.folder.appendingPathComponent("counted.sqlite").path
        let sink = try edge.start("ladon-sink", ["serve", "--results", edge.results, "--publish", edge.publish, "--store", store, "--expect", "2"])
        let push = try ResultPush(to: edge.results)
        for sequence in UInt64(1)...2 { try push.send(Self.result("cam-p", sequence)) }
        #expect(sink.waitForExit(timeout: 20), "\(sink.standardError)")
        #expect(sink.standardOutput.contains("sink store: stored=2 failed=0"), "\(sink.standardOutput)")
        #expect(try ResultStore(path: store, readOnly: true).rows().count == 2)
    }
}
