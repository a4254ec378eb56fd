import Foundation
import LadonBench
import Shared

/// `ladon-bench soak`: parses the options into a `SoakBenchmark.Configuration`, runs it, prints the
/// progress and the report, with `--json` writes it, and fails (status 1) when the verdict is FAIL.
enum SoakCommand {
    static let spec = CommandSpec(
        command: "ladon-bench soak",
        summary:
            "Run the whole pipeline (N nodes, the edge, the sink, a slow subscriber) until N Results, watching memory, stalls and freshness.",
        options: [
            .value("model", "path", help: "Ladon model file (default Tests/Fixtures/model/tiny.safetensors, the tiny test model)."),
            .value("source", "path", help: "Frames for every node: a JPEG, directory or glob, looped (default Tests/Fixtures/model/tiny-input.jpg)."),
            .value("frames", "n", help: "Results to reach, all nodes together (default 100000; --quick: 1500)."),
            .value("nodes", "n", help: "Mobile nodes, each an ingest and an encoder (default 3)."),
            .value("workers", "n", help: "Edge worker processes (ladon-edge serve --workers; default 2)."),
            .value("fps", "rate", help: "Each node's camera rate; high enough that the edge is the bottleneck (default 100)."),
            .value("subscriber-rate", "per-second", help: "The slow subscriber's --max-rate (default 2)."),
            .value("sample-seconds", "seconds", help: "How often every process's RSS is read (default 5; --quick: 1)."),
            .value("warmup-fraction", "share", help: "Share of the Results before the RSS baseline is taken (default 0.1)."),
            .flag("quick", help: "1500 Results, RSS every second: the whole soak in seconds (tests)."),
            .value("json", "path", help: "Also write the report as JSON."),
            .value("logs", "dir", help: "Keep every process's output there (the slow subscriber's lines in subscriber.out)."),
        ])

    static func run(_ arguments: [String]) throws {
        let options = try spec.parse(arguments)
        var configuration = options.flag("quick") ? SoakBenchmark.Configuration.quick : SoakBenchmark.Configuration()
        configuration.model = options.value("model") ?? configuration.model
        guard FileManager.default.fileExists(atPath: configuration.model) else {
            throw CommandLineError.invalidValue(option: "model", value: configuration.model, expected: "an existing model file")
        }
        configuration.source = options.value("source") ?? configuration.source
        configuration.frames = try options.number("frames", default: configuration.frames, expected: "at least 1") { $0 >= 1 }
        configuration.nodes = try options.number("nodes", default: configuration.nodes, expected: "1 to 99") { (1...99).contains($0) }
        configuration.workers = try options.number("workers", default: configuration.workers, expected: "at least 1") { $0 >= 1 }
        configuration.framesPerSecond = try options.number("fps", default: configuration.framesPerSecond, expected: "a positive rate") { $0 > 0 }
        configuration.subscriberRate = try options.number(
            "subscriber-rate", default: configuration.subscriberRate, expected: "a positive rate"
        ) { $0 > 0 }
        configuration.sampleSeconds = try options.number(
            "sample-seconds", default: configuration.sampleSeconds, expected: "a positive number of seconds"
        ) { $0 > 0 }
        configuration.warmupFraction = try options.number(
            "warmup-fraction", default: configuration.warmupFraction, expected: "a share from 0 up to, not including, 1"
        ) { $0 >= 0 && $0 < 1 }
        configuration.logs = options.value("logs")
        StopSignal.install()
        let print = { (line: String) in FileHandle.standardOutput.write(Data((line + "\n").utf8)) }
        let report = try SoakBenchmark(configuration).run(progress: print)
        report.lines.forEach(print)
        if let path = options.value("json") { try FileIO.write(try report.json(), to: path, what: "soak report") }
        guard report.verdict.passed else { throw SoakFailure(verdict: report.verdict) }
    }
}

/// The soak's FAIL, as `ladon-bench: error:` prints it (status 1).
struct SoakFailure: Error, CustomStringConvertible {
    let verdict: SoakVerdict

    var description: String { "soak failed: " + verdict.checks.filter { !$0.passed }.map(\.name).joined(separator: ", ") }
}
