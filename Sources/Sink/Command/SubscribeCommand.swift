import Foundation
import LadonSink
import Shared

/// `ladon-sink subscribe`: one JSON line per Result published under a topic prefix, the newest per topic.
enum SubscribeCommand {
    static let spec = CommandSpec(
        command: "ladon-sink subscribe",
        summary: "Print one JSON line per Result published under a topic prefix (the newest of each topic when slow).",
        options: [
            .value("connect", "endpoint", help: "The sink's publish endpoint (e.g. tcp://127.0.0.1:5558).", required: true),
            .value("topic", "prefix", help: "Topic prefix: 'cam-01/', 'cam-01/detection', '' for everything (default '')."),
            .value("count", "n", help: "Exit after this many Results."),
            .value(
                "max-rate", "per-second",
                help: "Print at most this many Results a second; the rest are skipped (counted in each line's 'skipped')."),
            .flag("every", help: "Print every Result in order instead of the newest per topic (for an application that keeps up)."),
            .value("secret-key", "file", help: "This subscriber's secret certificate (ladon-keygen): CURVE to the sink."),
            .value("sink-key", "file", help: "The sink's public certificate (CURVE)."),
            .flag("insecure", help: StageSecurity.insecureHelp),
        ])

    static func run(_ arguments: [String]) throws {
        let options = try spec.parse(arguments)
        var configuration = ResultSubscriber.Configuration(endpoint: options.required("connect"), topic: options.value("topic") ?? "")
        configuration.count = try options.optionalNumber("count", expected: "0 or more results") { $0 >= 0 }
        configuration.every = options.flag("every")
        configuration.maximumRate = try options.optionalNumber("max-rate", expected: "a positive rate") { $0 > 0 }
        configuration.security = try StageSecurity.resolve(
            secretKey: options.value("secret-key"), insecure: options.flag("insecure"), endpoints: [configuration.endpoint])
        configuration.sinkKey = try configuration.security.serverKey(options.value("sink-key"), option: "sink-key")
        StopSignal.install()
        try ResultSubscriber.run(configuration, shouldStop: { StopSignal.isRequested }, emit: { line in FileHandle.standardOutput.write(line) })
    }
}
