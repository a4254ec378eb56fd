import Shared

/// `ladon-ingest`'s Prometheus series (`--metrics`), counted where its summary counts the same events:
/// `ladon_ingest_frames_captured_total`, `ladon_ingest_frames_sent_total`, `ladon_ingest_sent_bytes_total`
/// (JPEG bytes handed to the encoder), `ladon_ingest_frames_dropped_total{reason}` (superseded: replaced
/// by a newer frame while the encoder was busy; unsent_at_exit), `ladon_ingest_messages_refused_total{socket,reason}`
/// and `ladon_node_info{node} 1`.
public final class IngestSeries: Sendable {
    let captured: Counter
    let sent: Counter
    let sentBytes: Counter
    let dropped: MetricFamily<Counter>
    let refusedMessages: MetricFamily<Counter>

    public init(_ registry: MetricsRegistry, nodeID: String) {
        registry.gauges("ladon_node_info", help: "The mobile node this process serves: 1, with its id as a label.", labels: ["node"])
            .labels(nodeID).set(1)
        captured = registry.counter("ladon_ingest_frames_captured_total", help: "Frames taken from the source.")
        sent = registry.counter("ladon_ingest_frames_sent_total", help: "Frames handed to the encoder.")
        sentBytes = registry.counter("ladon_ingest_sent_bytes_total", help: "JPEG bytes handed to the encoder.")
        dropped = registry.counters(
            "ladon_ingest_frames_dropped_total", help: "Frames captured and never handed to the encoder, by reason.", labels: ["reason"])
        for reason in ["superseded", "unsent_at_exit"] { _ = dropped.labels(reason) }
        refusedMessages = registry.counters(
            "ladon_ingest_messages_refused_total", help: "Messages from the encoder refused, by socket and reason.", labels: ["socket", "reason"])
    }
}
