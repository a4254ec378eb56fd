import Foundation
import Shared
import TestSupport
import Testing

/// `ladon-bench link --quick` end to end with the tiny model: the real sink, edge, encoder and ingest
/// in every mode, each reporting frames and a utilisation that the accounting allows.
@Suite(.serialized) struct LinkBenchmarkTests {
    @Test func everyModeCarriesFramesOverTheShapedLinkAndTheSinkCountsWhatTheBenchmarkHeard() throws {
        let folder = try Executables.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let json = folder.appendingPathComponent("report.json").path
        let samples = Fixtures.root.deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("samples/frames").path
        let bench = try ChildProcess(
            "ladon-bench",
            [
                "link", "--model", Fixtures.path("model/tiny.safetensors"), "--source", samples, "--kbps", "100", "--quick",
                "--json", json, "--logs", folder.appendingPathComponent("logs").path,
            ])
        let (status, output, error) = bench.wait(timeout: 180)
        try #require(status == 0, "ladon-bench link failed:\n\(output)\n\(error)")
        let report = try #require(
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: json))) as? [String: Any])
        let modes = try #require(report["modes"] as? [[String: Any]])
        #expect(modes.count == 4, "\(output)")
        for mode in modes {
            let name = (mode["mode"] as? [String: Any])?["name"] as? String ?? "?"
            let figures = try #require(mode["figures"] as? [String: Any])
            let frames = figures["frames"] as? Int ?? 0
            let utilisation = figures["utilisation"] as? Double ?? -1
            #expect(frames > 0, "\(name): no frames\n\(output)")
            #expect(utilisation > 0 && utilisation <= 1, "\(name): utilisation \(utilisation)\n\(output)")
            #expect(figures["errors"] as? Int == 0, "\(name)\n\(output)")
            let counters = try #require(mode["counters"] as? [String: Any])
            #expect(counters["sinkFrames"] as? Int == counters["heard"] as? Int, "\(name): the sink counted other Results\n\(output)")
        }
        let unloaded = try #require(report["unloaded"] as? [String: Any])
        #expect((unloaded["alone"] as? Int ?? 0) >= 1, "no frame went through alone\n\(output)")
        #expect(output.contains("credit W=2, freshest"), "the table names the modes\n\(output)")
    }

    @Test func aMissingModelIsAUsageError() throws {
        let outcome = try Executables.run("ladon-bench", ["link"])
        #expect(outcome.status == 64)
        #expect(outcome.standardError.contains("--model"))
    }
}
