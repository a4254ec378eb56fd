import Foundation
import LadonEdge
import Shared

/// `ladon-edge serve`: the broker (frontend for mobile nodes, backend for workers, results to the sink),
/// with `--workers N` local worker processes.
enum ServeCommand {
    static let spec = CommandSpec(
        command: "ladon-edge serve",
        summary: "Serve mobile nodes: credit flow control, a pool of worker processes, every Result to the sink.",
        options: [
            .value("model", "path", help: "Ladon model file; latents for another model are refused.", required: true),
            .value("frontend", "endpoint", help: "Where mobile nodes connect (e.g. tcp://*:5555).", required: true),
            .value("sink", "endpoint", help: "The sink's results endpoint to PUSH to (e.g. tcp://127.0.0.1:5557).", required: true),
            .value(
                "backend", "endpoint",
                help: "Where workers connect (default: an ipc:// endpoint for the local workers; bind tcp://*:PORT for remote ones)."),
            .value("workers", "n", help: "Local worker processes to start (default 1; 0 waits for remote workers)."),
            .value("threads", "n", help: "Compute threads per local worker (default 1)."),
            .value(
                "hold-ms", "ms",
                help: "Local workers keep each frame (each batch when batching) this long after computing it (emulates a slower edge)."),
        ] + BatchOptions.specs + [
            .flag(
                "keep-latents",
                help: "Send each frame's coded latent to the sink with its Result (a few KB), for ladon-sink serve --store to keep "
                    + "and ladon-sink replay --rerun to run again."),
            .value("heartbeat-timeout", "seconds", help: "A worker silent this long is dead (default 3)."),
            .value(
                "max-latent-bytes", "n",
                help: "Refuse larger latents with an error Result (default 8 MiB); libzmq disconnects a node sending over twice this."),
            .value("secret-key", "file", help: "This edge's secret certificate (ladon-keygen): CURVE on every socket."),
            .value("allow-nodes", "dir", help: "Folder of the node certificates let in (CURVE); each node is held to the id its key names."),
            .value("allow-workers", "dir", help: "Folder of the remote worker certificates let in (CURVE); local workers use this edge's key."),
            .value("sink-key", "file", help: "The sink's public certificate (CURVE)."),
            .flag("insecure", help: StageSecurity.insecureHelp),
            .metrics,
        ])

    static func run(_ arguments: [String]) throws {
        let options = try spec.parse(arguments)
        let model = options.required("model")
        let identity = try ModelIdentity(LadonModelFile(path: model))
        var configuration = Broker.Configuration(frontend: options.required("frontend"), sink: options.required("sink"))
        // Local workers reach the broker through a Unix socket unless told otherwise: nothing to secure.
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("ladon-edge-\(getpid())")
        configuration.backend = options.value("backend") ?? "ipc://\(scratch.path)/backend"
        if options.value("backend") == nil { try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true) }
        defer { try? FileManager.default.removeItem(at: scratch) }
        configuration.heartbeatTimeoutSeconds = try options.number(
            "heartbeat-timeout", default: configuration.heartbeatTimeoutSeconds, expected: "a positive number of seconds"
        ) { $0 > 0 }
        configuration.maximumLatentBytes = try options.number(
            "max-latent-bytes", default: configuration.maximumLatentBytes, expected: "at least 64"
        ) { $0 >= 64 }
        let count = try options.number("workers", default: 1, expected: "0 or more") { $0 >= 0 }
        let batching = try BatchOptions.parse(options)
        configuration.keepsLatents = options.flag("keep-latents")
        let secretKey = options.value("secret-key")
        let security = try StageSecurity.resolve(
            secretKey: secretKey, insecure: options.flag("insecure"),
            endpoints: [configuration.frontend, configuration.backend, configuration.sink])
        configuration.security = security
        configuration.allowedNodes = try security.allowList(options.value("allow-nodes"), option: "allow-nodes")
        let own = security.identity.map { [$0.publicKey: $0.name] } ?? [:]
        configuration.allowedWorkers = try security.allowList(options.value("allow-workers"), option: "allow-workers", extra: own)
        configuration.sinkKey = try security.serverKey(options.value("sink-key"), option: "sink-key")

        let metrics = try options.metricsServer(stage: "edge")
        defer { metrics?.close() }
        if let registry = metrics?.registry {
            registry.describeModel(identity)
            configuration.metrics = BrokerSeries(registry)
        }
        StopSignal.install()
        let broker = try Broker(configuration, identity: identity)
        let workers = LocalWorkers(shouldStop: { StopSignal.isRequested })
        defer { workers.stop() }
        // Local workers speak with this edge's own key, which the backend lets in.
        let workerSecurity = secretKey.map { ["--secret-key", $0, "--broker-key", $0] } ?? (options.flag("insecure") ? ["--insecure"] : [])
        try workers.start(
            count: count, executable: OwnExecutable.path,
            arguments: [
                "--model", model, "--connect", broker.backendEndpoint,
                "--threads", "\(try options.integer("threads", default: 1))",
                "--hold-ms", "\(try options.integer("hold-ms", default: 0))",
                "--max-batch", "\(batching.maxBatch)", "--batch-wait-ms", "\(batching.waitMilliseconds)",
            ] + workerSecurity)
        broker.workerFellSilent = { id in workers.kill(id: id) }
        try broker.run(
            shouldStop: { StopSignal.isRequested },
            housekeeping: {
                for id in workers.supervise() { broker.workerProcessExited(id) }
                broker.respawnedWorkers = workers.respawned
            })
        workers.stop()
        print(broker.report.line)
    }
}
