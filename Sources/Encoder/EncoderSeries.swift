import Shared

/// `ladon-encoder run`'s Prometheus series (`--metrics`), updated by the encoder loop at the points where
/// its summary counts the same events, so the series and the exit line agree:
/// - `ladon_encoder_frames_received_total`, `_frames_encoded_total`, `_latents_sent_total`,
///   `_sent_bytes_total` (whole messages, as the link carries them);
/// - `ladon_encoder_frames_dropped_total{reason}`: superseded, oversized, bad_frame, unsent_at_session_end,
///   unsent_at_exit (this stage's own drops; ingest counts its own);
/// - `ladon_encoder_latent_bytes` (histogram of coded bytes per frame) and
///   `ladon_encoder_stage_seconds{stage}` (jpeg_decode, preprocess, encoder, entropy_encode, and
///   transmit: queued at the link to released);
/// - with a link rate: `ladon_encoder_link_rate_bits_per_second` and `ladon_encoder_link_busy_seconds_total`
///   (each message's bits over the rate), so `rate(ladon_encoder_link_busy_seconds_total[1m])` is the
///   link's utilisation;
/// - `ladon_encoder_credits` (held, unspent), `ladon_encoder_latents_in_flight` (credits spent and not
///   returned), `ladon_encoder_window`;
/// - `ladon_encoder_session_restarts_total` (sessions the edge ended), `_latents_written_off_total`,
///   `_hello_refusals_total`, `_messages_refused_total{socket,reason}`;
/// - `ladon_node_info{node} 1`.
public final class EncoderSeries: Sendable {
    /// The reasons this stage drops a frame for (its history's), each a series from the start.
    public static let dropReasons = ["superseded", "oversized", "bad_frame", "unsent_at_session_end", "unsent_at_exit"]

    let received: Counter
    let framesEncoded: Counter
    let latentsSent: Counter
    let sentBytes: Counter
    let dropped: MetricFamily<Counter>
    let latentBytes: Histogram
    let stages: MetricFamily<Histogram>
    let transmit: Histogram
    /// Bytes per second of the shaped link; `nil` unshaped (no busy time then).
    let linkBytesPerSecond: Double?
    let linkBusy: Counter?
    let credits: Gauge
    let inFlight: Gauge
    let sessionRestarts: Counter
    let writtenOff: Counter
    let helloRefusals: Counter
    let refusedMessages: MetricFamily<Counter>

    public init(_ registry: MetricsRegistry, nodeID: String, window: Int, linkKilobitsPerSecond: Double?) {
        registry.gauges("ladon_node_info", help: "The mobile node this process serves: 1, with its id as a label.", labels: ["node"])
            .labels(nodeID).set(1)
        received = registry.counter("ladon_encoder_frames_received_total", help: "Frames received from ingest.")
        framesEncoded = registry.counter("ladon_encoder_frames_encoded_total", help: "Frames encoded into a latent.")
        latentsSent = registry.counter("ladon_encoder_latents_sent_total", help: "Latents that left for the edge.")
        sentBytes = registry.counter(
            "ladon_encoder_sent_bytes_total", help: "Bytes of the latent messages that left (whole ZeroMQ messages, as the link counts them).")
        dropped = registry.counters(
            "ladon_encoder_frames_dropped_total", help: "Frames this stage dropped before sending them, by reason.", labels: ["reason"])
        for reason in Self.dropReasons { _ = dropped.labels(reason) }
        latentBytes = registry.histogram(
            "ladon_encoder_latent_bytes", help: "Entropy-coded latent bytes per encoded frame.", buckets: HistogramBuckets.bytes)
        stages = registry.histograms(
            "ladon_encoder_stage_seconds", help: "Time per frame in each of the encoder's stages; transmit is the wait at the link.",
            labels: ["stage"], buckets: HistogramBuckets.latencySeconds)
        transmit = stages.labels("transmit")
        if let kbps = linkKilobitsPerSecond {
            registry.gauge("ladon_encoder_link_rate_bits_per_second", help: "The rate the link is shaped to (--link-kbps).").set(kbps * 1000)
            linkBytesPerSecond = kbps * 1000 / 8
            linkBusy = registry.counter(
                "ladon_encoder_link_busy_seconds_total", help: "Time the shaped link spent carrying latents (their bits over the rate).")
        } else {
            linkBytesPerSecond = nil
            linkBusy = nil
        }
        credits = registry.gauge("ladon_encoder_credits", help: "Credits held and not yet spent.")
        inFlight = registry.gauge("ladon_encoder_latents_in_flight", help: "Latents sent (or queued at the link) whose credit has not come back.")
        registry.gauge("ladon_encoder_window", help: "Latents this node may have in flight (--window).").set(Double(window))
        sessionRestarts = registry.counter("ladon_encoder_session_restarts_total", help: "Sessions the edge ended; each starts a new one.")
        writtenOff = registry.counter(
            "ladon_encoder_latents_written_off_total", help: "Latents in flight when a session ended, whose credit will not come back.")
        helloRefusals = registry.counter(
            "ladon_encoder_hello_refusals_total", help: "Byes from the edge before any credit (the node id is held by another process).")
        refusedMessages = registry.counters(
            "ladon_encoder_messages_refused_total", help: "Messages from ingest or the edge refused, by socket and reason.",
            labels: ["socket", "reason"])
    }

    func encoded(_ output: MobileEncoder.Output) {
        framesEncoded.increment()
        latentBytes.observe(Double(output.message.coded.count))
        for stage in output.timings.stages { stages.labels(stage.stage).observe(stage.milliseconds / 1000) }
    }

    func sent(bytes: Int, waitedSeconds: Double) {
        latentsSent.increment()
        sentBytes.increment(by: Double(bytes))
        transmit.observe(waitedSeconds)
        if let linkBytesPerSecond, let linkBusy { linkBusy.increment(by: Double(bytes) / linkBytesPerSecond) }
    }

    func credit(_ credit: NodeCredit) {
        credits.set(Double(credit.credits))
        inFlight.set(Double(credit.inFlight))
    }

    func sessionEnded(writtenOff count: Int) {
        sessionRestarts.increment()
        writtenOff.increment(by: Double(count))
    }
}
