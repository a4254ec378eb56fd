import Foundation
import Shared
import TestSupport
import Testing

/// A real Prometheus server (Debian's `prometheus` package, which ./dev installs) scraping a running
/// pipeline: ladon-ingest, ladon-encoder run (on a shaped link), ladon-edge serve with one worker and
/// ladon-sink serve, each with `--metrics 127.0.0.1:<port>`, on ipc:// endpoints with the tiny model.
/// Its HTTP API must return each stage's series with plausible values; afterwards the sink's and the
/// edge's last scrapes must equal their exit lines.
@Suite(.serialized) struct PrometheusScrapeTests {
    static let prometheus = "/usr/bin/prometheus"

    @Test func prometheusScrapesEveryStageAndItsAPIReturnsTheirSeries() throws {
        guard FileManager.default.isExecutableFile(atPath: Self.prometheus) else {
            Issue.record("\(Self.prometheus) is missing: install Debian's prometheus package (./dev test installs it)")
            return
        }
        let edge = try EdgeHarness()
        defer { edge.stop() }
        let ports = try (0..<5).map { _ in try freePort() }
        let (sinkPort, edgePort, encoderPort, ingestPort, apiPort) = (ports[0], ports[1], ports[2], ports[3], ports[4])
        let frames = Fixtures.root.deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("samples/frames").path
        let ingestEndpoint = "ipc://\(edge.folder.path)/ingest"

        let sink = try edge.start(
            "ladon-sink", ["serve", "--results", edge.results, "--publish", edge.publish, "--metrics", "127.0.0.1:\(sinkPort)"])
        let broker = try edge.broker(workers: 1, extra: ["--metrics", "127.0.0.1:\(edgePort)"])
        let encoder = try edge.start(
            "ladon-encoder",
            [
                "run", "--model", EdgeHarness.model, "--ingest", ingestEndpoint, "--edge", edge.frontend, "--node-id", "cam-01",
                "--window", "2", "--link-kbps", "4000", "--metrics", "127.0.0.1:\(encoderPort)",
            ])
        let ingest = try edge.start(
            "ladon-ingest",
            [
                "--source", frames, "--loop", "--fps", "4", "--connect", ingestEndpoint, "--node-id", "cam-01",
                "--metrics", "127.0.0.1:\(ingestPort)",
            ])

        let server = try PrometheusProcess(
            executable: Self.prometheus, folder: edge.folder, apiPort: apiPort,
            targets: ["sink": sinkPort, "edge": edgePort, "encoder": encoderPort, "ingest": ingestPort])
        defer { server.stop() }

        // What Prometheus must return: at least `minimum` (and below `maximum`) for every series of the query.
        let checks: [(query: String, minimum: Double, maximum: Double, series: Int)] = [
            ("up", 1, 1, 4),
            ("ladon_build_info", 1, 1, 4),
            ("ladon_model_info", 1, 1, 2),
            ("ladon_ingest_frames_captured_total", 4, .infinity, 1),
            ("ladon_encoder_latents_sent_total", 3, .infinity, 1),
            ("ladon_encoder_latent_bytes_count", 3, .infinity, 1),
            ("ladon_encoder_link_busy_seconds_total", 1e-6, .infinity, 1),
            ("ladon_encoder_link_rate_bits_per_second", 4e6, 4e6, 1),
            (#"ladon_edge_results_total{node="cam-01",outcome="ok"}"#, 3, .infinity, 1),
            (#"ladon_edge_stage_seconds_count{stage="trunk"}"#, 3, .infinity, 1),
            (#"ladon_edge_stage_seconds_bucket{stage="node_to_edge",le="+Inf"}"#, 3, .infinity, 1),
            ("ladon_edge_workers", 1, 1, 1),
            ("ladon_edge_worker_busy_seconds_total", 1e-6, .infinity, 1),
            (#"ladon_edge_credits_in_flight{node="cam-01"}"#, 1, 2, 1),
            (#"ladon_sink_results_total{node="cam-01",outcome="ok"}"#, 3, .infinity, 1),
            (#"ladon_sink_result_age_seconds_bucket{le="+Inf"}"#, 3, .infinity, 1),
            ("histogram_quantile(0.5, ladon_sink_result_age_seconds_bucket)", 1e-6, 60, 1),
            ("ladon_sink_latent_bytes_sum / ladon_sink_latent_bytes_count", 1, 1_048_576, 1),
        ]
        var failing: [String] = []
        let deadline = Date().addingTimeInterval(90)
        repeat {
            Thread.sleep(forTimeInterval: 1)
            failing = checks.compactMap { check in
                do {
                    let values = try server.query(check.query)
                    let plausible = values.count == check.series && values.allSatisfy { $0 >= check.minimum && $0 <= check.maximum }
                    return plausible ? nil : "\(check.query) = \(values)"
                } catch {
                    return "\(check.query): \(error)"
                }
            }
        } while !failing.isEmpty && Date() < deadline && server.isRunning
        #expect(failing.isEmpty, "Prometheus did not return plausible series:\n\(failing.joined(separator: "\n"))\n\(server.log)\n\(edge.logs)")

        // The stream ends: the encoder drains and exits; the last scrapes of sink and edge equal their exit lines.
        ingest.stop()
        #expect(encoder.waitForExit(timeout: 60), "encoder did not drain\n\(edge.logs)")
        let sinkFrames = try lastScrape(port: sinkPort, #"ladon_sink_results_total{node="cam-01",outcome="ok"}"#)
        let edgeResults = try lastScrape(port: edgePort, #"ladon_edge_results_total{node="cam-01",outcome="ok"}"#)
        sink.stop()
        broker.stop()
        let sinkFinal = sink.standardOutput
        let sinkAnswered = number("frames", in: sinkFinal, line: "sink final:").map {
            $0 - (number("errors", in: sinkFinal, line: "sink final:") ?? 0)
        }
        #expect(sinkFrames.map { Int($0) } == sinkAnswered, "\(sinkFinal)")
        let edgeFinal = broker.standardOutput
        let edgeAnswered = number("results", in: edgeFinal, line: "ladon-edge serve:").map {
            $0 - (number("errors", in: edgeFinal, line: "ladon-edge serve:") ?? 0)
        }
        #expect(edgeResults.map { Int($0) } == edgeAnswered, "\(edgeFinal)")
    }

    /// The value of `series` (exact name and labels as rendered) on the stage's own /metrics, once it has
    /// stopped changing (the edge copies its counts every 0.1 s).
    private func lastScrape(port: Int, _ series: String) throws -> Double? {
        var previous: Double?
        for _ in 0..<50 {
            let body = try HTTPClient.get(port: port, "/metrics").body
            let value = body.split(separator: "\n").first { $0.hasPrefix(series + " ") }.flatMap { Double($0.split(separator: " ")[1]) }
            if let value, value == previous { return value }
            previous = value
            Thread.sleep(forTimeInterval: 0.5)
        }
        return previous
    }
}

/// `prometheus` scraping the given targets (job name: port) every second, its TSDB and log in `folder`.
private final class PrometheusProcess {
    let process = Process()
    let apiPort: Int
    private let logURL: URL

    init(executable: String, folder: URL, apiPort: Int, targets: [String: Int]) throws {
        self.apiPort = apiPort
        let jobs = targets.sorted { $0.key < $1.key }.map { job, port in
            "  - job_name: \(job)\n    static_configs:\n      - targets: ['127.0.0.1:\(port)']\n"
        }
        let config = folder.appendingPathComponent("prometheus.yml")
        try ("global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\nscrape_configs:\n" + jobs.joined()).write(
            to: config, atomically: true, encoding: .utf8)
        logURL = folder.appendingPathComponent("prometheus.log")
        _ = FileManager.default.createFile(atPath: logURL.path, contents: nil)
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = [
            "--config.file=\(config.path)", "--storage.tsdb.path=\(folder.appendingPathComponent("tsdb").path)",
            "--web.listen-address=127.0.0.1:\(apiPort)",
        ]
        let log = try FileHandle(forWritingTo: logURL)
        process.standardOutput = log
        process.standardError = log
        try process.run()
    }

    var isRunning: Bool { process.isRunning }
    var log: String { "--- prometheus\n" + ((try? String(contentsOf: logURL, encoding: .utf8)) ?? "") }

    /// The instant query's sample values (an error for a failed query or one Prometheus does not answer yet).
    func query(_ expression: String) throws -> [Double] {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        let encoded = expression.addingPercentEncoding(withAllowedCharacters: allowed) ?? expression
        let response = try HTTPClient.get(port: apiPort, "/api/v1/query?query=\(encoded)")
        guard response.statusLine.contains(" 200 "),
            let document = try JSONSerialization.jsonObject(with: Data(response.body.utf8)) as? [String: Any],
            let data = document["data"] as? [String: Any], let result = data["result"] as? [[String: Any]]
        else { throw QueryError(answer: "\(response.statusLine) \(response.body.prefix(300))") }
        return result.compactMap { ($0["value"] as? [Any])?.last as? String }.compactMap { Double($0) }
    }

    struct QueryError: Error, CustomStringConvertible {
        let answer: String
        var description: String { "Prometheus answered \(answer)" }
    }

    /// SIGTERM, then SIGKILL by pid after 10 s.
    func stop() {
        guard process.isRunning else { return }
        process.terminate()
        let deadline = Date().addingTimeInterval(10)
        while process.isRunning && Date() < deadline { usleep(50_000) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }
}
