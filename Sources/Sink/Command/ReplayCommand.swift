import Foundation
import LadonSink
import Shared

/// `ladon-sink replay`: stored Results published again on their topics.
enum ReplayCommand {
    static let spec = CommandSpec(
        command: "ladon-sink replay",
        summary: "Publish stored Results (ladon-sink serve --store) again on their topics, oldest capture first.",
        options: [
            .value("store", "file", help: "The SQLite file ladon-sink serve --store wrote.", required: true),
            .value("publish", "endpoint", help: "Endpoint to publish on (ipc://..., or tcp://... with --insecure).", required: true),
            .value("node", "id", help: "Only this node's Results."),
            .value("from", "us", help: "Only Results captured at or after this time (µs since the Unix epoch)."),
            .value("to", "us", help: "Only Results captured before this time (µs since the Unix epoch)."),
            .value("rate", "per-second", help: "Results a second (default: as fast as subscribers take them)."),
            .value("wait", "seconds", help: "Seconds between binding and the first Result, for subscribers to connect (default 1)."),
            .value(
                "rerun", "model",
                help: "Run each stored latent (kept with ladon-edge serve --keep-latents) again through this model file, e.g. a newer "
                    + "head for the same encoder, and publish the new Results instead."),
            .value("rerun-store", "file", help: "With --rerun: also store the new Results in this SQLite file."),
            .value("threads", "n", help: "With --rerun: compute threads (default 1, as an edge worker's default)."),
            .flag("insecure", help: StageSecurity.insecureHelp),
        ])

    static func run(_ arguments: [String]) throws {
        let options = try spec.parse(arguments)
        var configuration = ResultReplay.Configuration(store: options.required("store"), publish: options.required("publish"))
        if !options.flag("insecure") && !StageSecurity.isLocal(configuration.publish) {
            throw SecurityError.plaintextRefused(endpoint: configuration.publish)
        }
        configuration.node = try options.value("node").map { _ in try options.peerID("node", default: "") }
        let from: Int? = try options.optionalNumber("from", expected: "microseconds since the epoch") { $0 >= 0 }
        let to: Int? = try options.optionalNumber("to", expected: "microseconds since the epoch") { $0 >= 0 }
        configuration.from = from.map(Int64.init) ?? .min
        configuration.to = to.map(Int64.init) ?? .max
        configuration.rate = try options.optionalNumber("rate", expected: "a positive rate") { $0 > 0 }
        configuration.waitSeconds = try options.number("wait", default: 1.0, expected: "0 or more seconds") { $0 >= 0 }
        configuration.rerunModel = options.value("rerun")
        configuration.rerunStore = options.value("rerun-store")
        if configuration.rerunStore != nil && configuration.rerunModel == nil { throw CommandLineError.missingOption("rerun") }
        // The thread count splits the sums differently: the worker's count gives its answers bit for bit.
        Compute.setThreads(try options.number("threads", default: 1, expected: "at least 1") { $0 >= 1 })
        StopSignal.install()
        let counts = try ResultReplay.run(configuration, shouldStop: { StopSignal.isRequested })
        print("ladon-sink replay: \(counts.line)")
    }
}
