import Foundation
import LadonBench
import Shared

/// `ladon-bench link`: parses the options into a `LinkBenchmark.Configuration`, runs it, prints the table
/// as it goes and, with `--json`, writes the report.
enum LinkCommand {
    static let spec = CommandSpec(
        command: "ladon-bench link",
        summary:
            "Credit window vs stop-and-wait vs unbounded push on a shaped link: the real ingest, encoder, edge and sink, one run per mode.",
        options: [
            .value("model", "path", help: "Ladon model file (the edge runs it: real inference).", required: true),
            .value("source", "path", help: "Frames: a JPEG, directory or glob, looped (default samples/frames)."),
            .value("kbps", "rate", help: "Link rate in kilobits per second (the encoder's --link-kbps; default 100)."),
            .value("fps", "rate", help: "Camera frame rate in the loaded modes; pick it so the link is the bottleneck (default 15)."),
            .value(
                "seconds", "n",
                help: "Measured seconds per mode (default: 30 link times of the source's mean latent, at least 30 s)."),
            .value("warmup", "seconds", help: "Seconds after the first latent's arrival before measuring (default: two link times, at least 2 s)."),
            .value("unloaded-frames", "n", help: "Frames measured one at a time for the unloaded latency (default 8)."),
            .value(
                "unloaded-period", "seconds",
                help: "Seconds between the unloaded frames (default: twice the largest latent's link time and the hold, plus 1 s)."),
            .value("workers", "n", help: "Edge worker processes (ladon-edge serve --workers; default 1)."),
            .value("hold-ms", "ms", help: "Each worker keeps each frame this much longer: a slower edge (ladon-edge serve --hold-ms)."),
            .flag("quick", help: "Short windows and 3 unloaded frames: the whole benchmark in seconds with a small model."),
            .value("json", "path", help: "Also write the report as JSON."),
            .value("logs", "dir", help: "Keep every process's output there, a folder per mode."),
            .flag(
                "netns",
                help: "Node and edge in network namespaces of their own, the link a veth pair shaped by the kernel's tbf (needs root)."),
        ])

    static func run(_ arguments: [String]) throws {
        let options = try spec.parse(arguments)
        StopSignal.install()
        var configuration = LinkBenchmark.Configuration(model: options.required("model"))
        if let source = options.value("source") { configuration.source = source }
        func positive(_ name: String) throws(CommandLineError) -> Double? {
            try options.optionalNumber(name, expected: "a positive number") { $0 > 0 }
        }
        configuration.kilobitsPerSecond = try positive("kbps") ?? configuration.kilobitsPerSecond
        configuration.framesPerSecond = try positive("fps") ?? configuration.framesPerSecond
        configuration.secondsPerMode = try positive("seconds")
        configuration.warmupSeconds = try options.optionalNumber("warmup", expected: "0 or more seconds") { $0 >= 0 }
        configuration.unloadedPeriodSeconds = try positive("unloaded-period")
        configuration.unloadedFrames = try options.number("unloaded-frames", default: 8, expected: "at least 1") { $0 >= 1 }
        configuration.workers = try options.number("workers", default: 1, expected: "at least 1") { $0 >= 1 }
        configuration.holdMilliseconds = try options.number("hold-ms", default: 0, expected: "0 or more ms") { $0 >= 0 }
        configuration.quick = options.flag("quick")
        configuration.logs = options.value("logs")
        var lab: NetworkLab?
        defer { lab?.remove() }
        if options.flag("netns") {
            let made = try NetworkLab(links: [.init(from: "node", to: "edge", kilobitsPerSecond: configuration.kilobitsPerSecond)])
            lab = made
            configuration.placement = try .namespaces(made)
        }
        let report = try LinkBenchmark(configuration).run { line in FileHandle.standardOutput.write(Data((line + "\n").utf8)) }
        if let path = options.value("json") { try FileIO.write(try report.json(), to: path, what: "link benchmark report") }
    }
}
