import Foundation
import LadonEncoder
import Shared

/// `ladon-encoder run`: the streaming mobile stage (frames from ingest in, latents to the edge out).
enum RunCommand {
    static let spec = CommandSpec(
        command: "ladon-encoder run",
        summary: "Encode frames from ladon-ingest and send latents to the edge under credit flow control.",
        options: [
            .value("model", "path", help: "Ladon model file (tools/convert.py).", required: true),
            .value("ingest", "endpoint", help: "Endpoint to bind for ingest's frames (e.g. tcp://127.0.0.1:5550).", required: true),
            .value("edge", "endpoint", help: "The edge broker's frontend (e.g. tcp://127.0.0.1:5555).", required: true),
            .history,
            .metrics,
            .value("node-id", "name", help: "This node's id, the prefix of its result topics (default 'cam-01')."),
            .value("window", "n", help: "Latents this node may have in flight (default 2)."),
            .value("link-kbps", "rate", help: "Pace sends through a token bucket at this many kilobits per second."),
            .value("link-burst-bytes", "n", help: "Token bucket depth in bytes (default 0: a serial link)."),
            .value("policy", "name", help: "freshest (default) or queue (baseline: encode every frame in order)."),
            .value("drain-timeout", "seconds", help: "At end of stream, wait this long for in-flight credits (default 10)."),
            .value("threads", "n", help: "Compute threads (default 1: a device core)."),
            .value("max-latent-bytes", "n", help: "Drop (and count) latents larger than the edge accepts (default 8 MiB, as ladon-edge serve)."),
            .value("secret-key", "file", help: "This node's secret certificate (ladon-keygen): CURVE to the edge; its name must be --node-id."),
            .value("edge-key", "file", help: "The edge's public certificate (CURVE)."),
            .flag("insecure", help: StageSecurity.insecureHelp + " The ingest link is never encrypted: keep it on ipc://."),
        ])

    static func run(_ arguments: [String]) throws {
        let options = try spec.parse(arguments)
        StopSignal.install()
        Compute.setThreads(try options.integer("threads", default: 1))
        let window = try options.number("window", default: 2, expected: "at least 1") { $0 >= 1 }
        let kbps: Double? = try options.optionalNumber("link-kbps", expected: "a positive rate") { $0 > 0 }
        let policyName = options.value("policy") ?? "freshest"
        guard let policy = EncoderStage.Policy(rawValue: policyName) else {
            throw CommandLineError.invalidValue(option: "policy", value: policyName, expected: "freshest or queue")
        }
        let drainSeconds = try options.number("drain-timeout", default: 10.0, expected: "seconds") { $0 >= 0 }
        let encoder = try MobileEncoder(LadonModelFile(path: options.required("model")))
        var configuration = EncoderStage.Configuration(
            ingestEndpoint: options.required("ingest"), edgeEndpoint: options.required("edge"),
            nodeID: try options.peerID("node-id", default: "cam-01"), window: window, linkKilobitsPerSecond: kbps,
            burstBytes: try options.number("link-burst-bytes", default: 0, expected: "0 or more bytes") { $0 >= 0 }, policy: policy)
        configuration.drainTimeoutSeconds = drainSeconds
        configuration.history = try options.historyLog(stage: "encoder")
        configuration.maximumLatentBytes = try options.number(
            "max-latent-bytes", default: configuration.maximumLatentBytes, expected: "a positive size"
        ) { $0 > 0 }
        let insecure = options.flag("insecure")
        configuration.security = try StageSecurity.resolve(
            secretKey: options.value("secret-key"), insecure: insecure, endpoints: [configuration.edgeEndpoint])
        configuration.edgeKey = try configuration.security.serverKey(options.value("edge-key"), option: "edge-key")
        if !insecure && !StageSecurity.isLocal(configuration.ingestEndpoint) {
            throw SecurityError.plaintextRefused(endpoint: configuration.ingestEndpoint)
        }
        if let name = configuration.security.identity?.name, name != configuration.nodeID {
            throw CommandLineError.invalidValue(option: "node-id", value: configuration.nodeID, expected: "the name of this node's key, '\(name)'")
        }
        let metrics = try options.metricsServer(stage: "encoder")
        defer { metrics?.close() }
        if let registry = metrics?.registry {
            registry.describeModel(encoder.identity)
            configuration.metrics = EncoderSeries(registry, nodeID: configuration.nodeID, window: window, linkKilobitsPerSecond: kbps)
        }
        let summary = try EncoderStage(configuration, encoder: encoder).run(shouldStop: { StopSignal.isRequested })
        print("ladon-encoder[\(configuration.nodeID)] \(summary)")
    }
}
