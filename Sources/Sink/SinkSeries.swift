import Shared

/// `ladon-sink serve`'s Prometheus series (`--metrics`), counted as each Result is published:
/// - `ladon_sink_results_total{node,outcome}` (outcome ok or error) and `ladon_sink_frames_dropped_total{node}`
///   (the frames each node dropped before the ones it sent, from the Results' `dropped_before`);
/// - `ladon_sink_result_age_seconds`: capture to publish, of the answered Results (the clocks of node and
///   sink must agree, as for the summary's latency);
/// - `ladon_sink_latent_bytes`: coded latent bytes of the answered Results;
/// - `ladon_sink_messages_refused_total{socket,reason}`: what the results socket refused (malformed);
/// - `ladon_sink_stored_total{outcome}` (stored or failed) with `--store`, and
///   `ladon_sink_mqtt_messages_total{outcome}` (published or dropped while disconnected) with `--mqtt`.
/// Histograms are over all nodes (their bucket series per node would multiply with the nodes); the
/// summary lines keep the per-node percentiles.
public final class SinkSeries: Sendable {
    let results: MetricFamily<Counter>
    let dropped: MetricFamily<Counter>
    let age: Histogram
    let latentBytes: Histogram
    let refusedMessages: MetricFamily<Counter>
    let stored: MetricFamily<Counter>
    let mqttMessages: MetricFamily<Counter>

    public init(_ registry: MetricsRegistry) {
        results = registry.counters(
            "ladon_sink_results_total", help: "Results received and published, by node and outcome (ok, error).", labels: ["node", "outcome"])
        dropped = registry.counters(
            "ladon_sink_frames_dropped_total", help: "Frames the node dropped before the ones it sent (the Results' dropped_before).",
            labels: ["node"])
        age = registry.histogram(
            "ladon_sink_result_age_seconds", help: "Age of each answered Result when published: capture to publish.",
            buckets: HistogramBuckets.latencySeconds)
        latentBytes = registry.histogram(
            "ladon_sink_latent_bytes", help: "Coded latent bytes of each answered Result.", buckets: HistogramBuckets.bytes)
        refusedMessages = registry.counters(
            "ladon_sink_messages_refused_total", help: "Messages on the sink's sockets refused, by socket and reason.",
            labels: ["socket", "reason"])
        stored = registry.counters(
            "ladon_sink_stored_total", help: "Results written to the --store file (stored) or not (failed).", labels: ["outcome"])
        mqttMessages = registry.counters(
            "ladon_sink_mqtt_messages_total", help: "MQTT messages handed to the broker connection (published) or dropped while disconnected.",
            labels: ["outcome"])
    }

    /// One Result offered to the store.
    public func stored(_ ok: Bool) { stored.labels(ok ? "stored" : "failed").increment() }

    /// One MQTT message offered to the broker connection.
    public func mqttMessage(_ ok: Bool) { mqttMessages.labels(ok ? "published" : "dropped").increment() }

    /// One Result published; `ageSeconds` from its capture time, `nil` without one.
    func published(_ result: ResultMessage, ageSeconds: Double?) {
        let node = result.header.nodeID
        results.labels(node, result.error == nil ? "ok" : "error").increment()
        dropped.labels(node).increment(by: Double(result.header.droppedBefore))
        guard result.error == nil else { return }
        if let ageSeconds { age.observe(ageSeconds) }
        latentBytes.observe(Double(result.latentBytes))
    }
}

extension ResultMessage {
    /// Seconds from capture to `nowMicroseconds` (wall clock); 0 for a capture clock ahead of this one,
    /// `nil` for a Result without a capture time.
    func ageSeconds(at nowMicroseconds: Int64) -> Double? {
        guard header.captureTimeMicroseconds > 0 else { return nil }
        return max(0, Double(nowMicroseconds - header.captureTimeMicroseconds) / 1e6)
    }
}
