/// This build's identity in `ladon_build_info`.
public enum LadonBuild {
    /// The release this source tree belongs to; set by hand when a release is cut.
    public static let version = "0.1.0"
}

extension MetricsRegistry {
    /// The series every stage serves: `ladon_build_info{version,stage,zeromq} 1` and
    /// `process_start_time_seconds` (a restarted process shows as a new start time).
    public func describeBuild(stage: String) {
        gauges("ladon_build_info", help: "This process's build: 1, with the identity as labels.", labels: ["version", "stage", "zeromq"])
            .labels(LadonBuild.version, stage, Context.libraryVersion).set(1)
        gauge("process_start_time_seconds", help: "When this process started, in seconds since the Unix epoch.")
            .set(Double(PipelineClock.wallMicroseconds()) / 1e6)
    }

    /// `ladon_model_info{backbone,beta,weights} 1`: the model the stage runs (encoder and edge).
    public func describeModel(_ model: ModelIdentity) {
        gauges("ladon_model_info", help: "The model this stage runs: 1, with its identity as labels.", labels: ["backbone", "beta", "weights"])
            .labels(model.backbone, PrometheusText.number(model.beta), String(model.weightsHash, radix: 16)).set(1)
    }
}

extension CommandSpec.Option {
    /// `--metrics ADDR:PORT`, the same on every long-running stage.
    public static let metrics = CommandSpec.Option.value(
        "metrics", "addr:port",
        help: "Serve Prometheus metrics at http://ADDR:PORT/metrics (e.g. 127.0.0.1:9100; port 0 picks a free one, logged).")
}

extension ParsedArguments {
    /// `--metrics`' address, `nil` without the option; a usage error when it is not `HOST:PORT`.
    public func metricsAddress() throws(CommandLineError) -> HTTPAddress? { try httpAddress("metrics") }

    /// The `HOST:PORT` address of an HTTP endpoint's option, `nil` without it; a usage error for anything else.
    public func httpAddress(_ option: String) throws(CommandLineError) -> HTTPAddress? {
        guard let text = value(option) else { return nil }
        guard let address = HTTPAddress(text) else {
            throw .invalidValue(option: option, value: text, expected: "ADDRESS:PORT, e.g. 127.0.0.1:9100")
        }
        return address
    }

    /// With `--metrics`: a registry that describes this build as `stage`, served from now on (the bound
    /// address is logged). `nil` without the option.
    public func metricsServer(stage: String) throws -> MetricsServer? {
        guard let address = try metricsAddress() else { return nil }
        let registry = MetricsRegistry()
        registry.describeBuild(stage: stage)
        let server = try MetricsServer(registry: registry, address: address)
        Logger(label: "ladon-\(stage).metrics").info("serving metrics", ["address": server.address, "path": "/metrics"])
        return server
    }
}
