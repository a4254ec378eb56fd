import Foundation
import LadonEdge
import Shared

/// `ladon-edge worker`: one worker of a broker's pool, local or joining from another host.
enum WorkerCommand {
    static let spec = CommandSpec(
        command: "ladon-edge worker",
        summary: "Join a broker's worker pool: decode latents and run the trunk and heads, one frame or batch at a time.",
        options: [
            .value("model", "path", help: "Ladon model file (the broker's).", required: true),
            .value("connect", "endpoint", help: "The broker's backend endpoint (e.g. tcp://edge-host:5556).", required: true),
            .value("id", "name", help: "Worker id (default worker-<host>-<pid>)."),
            .value("threads", "n", help: "Compute threads (default 1)."),
            .value("hold-ms", "ms", help: "Keep each frame (each batch when batching) this long after computing it (emulates a slower edge)."),
            .value(
                "parent", "pid", help: "Stop when the process with this id is no longer the parent (default: LADON_PARENT_PID, which serve sets)."),
            .value("secret-key", "file", help: "This worker's secret certificate (ladon-keygen): CURVE to the broker."),
            .value("broker-key", "file", help: "The broker's (edge's) public certificate (CURVE)."),
            .flag("insecure", help: StageSecurity.insecureHelp),
        ] + BatchOptions.specs)

    static func run(_ arguments: [String]) throws {
        let options = try spec.parse(arguments)
        Compute.setThreads(try options.integer("threads", default: 1))
        let inference = try EdgeInference(LadonModelFile(path: options.required("model")))
        let host = ProcessInfo.processInfo.hostName.split(separator: ".").first.map(String.init) ?? "host"
        var configuration = EdgeWorkerLoop.Configuration(
            connect: options.required("connect"),
            workerID: try options.peerID("id", default: "worker-\(host)-\(getpid())"))
        configuration.holdMilliseconds = try options.integer("hold-ms", default: 0)
        (configuration.maxBatch, configuration.batchWaitMilliseconds) = try BatchOptions.parse(options)
        configuration.security = try StageSecurity.resolve(
            secretKey: options.value("secret-key"), insecure: options.flag("insecure"), endpoints: [configuration.connect])
        configuration.brokerKey = try configuration.security.serverKey(options.value("broker-key"), option: "broker-key")
        let parent =
            try options.optionalNumber("parent", expected: "a process id") { $0 > 0 && $0 <= Int(Int32.max) }
            .map { Int32($0) } ?? ParentProcess.fromEnvironment()
        StopSignal.install(parent: parent)
        try EdgeWorkerLoop(configuration, inference: inference).run(shouldStop: { StopSignal.isRequested })
    }
}
