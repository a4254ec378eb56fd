import Foundation
import Shared
import TestSupport
import Testing

/// `ladon-bench soak --quick` end to end with the tiny model: three nodes, the edge with two workers,
/// the sink and the slow subscriber as real processes, to a PASS with figures that add up.
@Suite(.serialized) struct SoakBenchmarkTests {
    @Test func aQuickSoakPassesAndEveryProcessNodeAndSubscriberLineIsAccountedFor() throws {
        let folder = try Executables.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let json = folder.appendingPathComponent("soak.json").path
        let logs = folder.appendingPathComponent("logs")
        let bench = try ChildProcess(
            "ladon-bench",
            [
                "soak", "--quick", "--model", Fixtures.path("model/tiny.safetensors"), "--source", Fixtures.path("model/tiny-input.jpg"),
                "--json", json, "--logs", logs.path,
            ])
        let (status, output, error) = bench.wait(timeout: 120)
        try #require(status == 0, "ladon-bench soak failed:\n\(output)\n\(error)")
        #expect(output.contains("verdict: PASS"), "\(output)")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: json))) as? [String: Any])
        #expect(report["reached"] as? Bool == true)
        let frames = report["frames"] as? Int ?? 0
        #expect(frames >= 1500, "\(output)")
        #expect((report["resultsPerSecond"] as? Double ?? 0) > 0)

        let nodes = try #require(report["nodes"] as? [[String: Any]])
        #expect(nodes.compactMap { $0["node"] as? String } == ["cam-01", "cam-02", "cam-03"])
        for node in nodes {
            #expect((node["heard"] as? Int ?? 0) > 100, "every node is served, round-robin\n\(output)")
            #expect((node["sinkFrames"] as? Int ?? 0) >= node["heard"] as? Int ?? .max, "the sink counted what the benchmark heard\n\(output)")
        }
        #expect(nodes.reduce(0) { $0 + ($1["heard"] as? Int ?? 0) } == frames)
        let heardAfterStop = report["heardAfterStop"] as? Int ?? -1
        #expect(report["sinkFrames"] as? Int == frames + heardAfterStop, "\(output)")

        let memory = try #require(report["memory"] as? [[String: Any]])
        let names = Set(memory.compactMap { $0["name"] as? String })
        let expected = Set(
            ["sink", "edge", "subscriber", "worker-1", "worker-2"] + ["cam-01", "cam-02", "cam-03"].flatMap { ["encoder-\($0)", "ingest-\($0)"] })
        #expect(names == expected, "\(output)")
        for track in memory {
            let warmup = track["warmupBytes"] as? Int ?? 0
            let end = track["endBytes"] as? Int ?? 0
            #expect(warmup > 1 << 20 && end > 1 << 20, "\(track["name"] ?? "?"): RSS \(warmup) then \(end) bytes")
        }

        let subscriber = try #require(report["subscriber"] as? [String: Any])
        let lines = subscriber["lines"] as? Int ?? 0
        let printed = try String(contentsOf: logs.appendingPathComponent("subscriber.out"), encoding: .utf8)
        #expect(lines > 0 && lines == printed.split(separator: "\n").count, "the subscriber's own lines, every one read")
        #expect((subscriber["skipped"] as? Int ?? 0) > lines, "a subscriber at 2 lines a second skips most Results")
        #expect((subscriber["maximumAgeMilliseconds"] as? Double ?? .infinity) < 2000)
    }

    @Test(arguments: [["--model", "no-such-model.safetensors"], ["--frames", "0"], ["--warmup-fraction", "1"]])
    func badOptionsAreUsageErrors(_ arguments: [String]) throws {
        let model = arguments[0] == "--model" ? [] : ["--model", Fixtures.path("model/tiny.safetensors")]
        let outcome = try Executables.run("ladon-bench", ["soak"] + arguments + model)
        #expect(outcome.status == 64, "\(outcome.standardError)")
        #expect(outcome.standardError.contains(arguments[0]), "\(outcome.standardError)")
    }
}
