import Shared
import Synchronization

/// `ladon-edge serve`'s Prometheus series (`--metrics`). The broker already counts everything in its
/// `BrokerSummary` (the exit line): `update(from:)` copies it into counters and reads the gauges at most
/// every `updateInterval` from the broker's loop, so the loop's rules stay free of metrics calls and the
/// series and the exit line agree. Only what the summary does not keep is observed as it happens: each
/// Answer's stage timings and the time its worker held the latent.
///
/// - `ladon_edge_results_total{node,outcome}` (ok, error: error Results the workers or the broker made);
/// - `ladon_edge_latents_refused_total{reason}`: oversized, model_mismatch, unknown_node, over_window
///   (latents sent without credit); unparsable messages are in `ladon_edge_messages_refused_total{socket,reason}`;
/// - `ladon_edge_stage_seconds{stage}`: node_to_edge, edge_queue, entropy_decode, trunk, classification,
///   detection, segmentation (other names a worker reports count as `other`), from the Answers;
/// - `ladon_edge_workers`, `ladon_edge_workers_busy`, `ladon_edge_worker_busy_seconds_total` (dispatch to
///   answer, summed over workers: `rate(...) / ladon_edge_workers` is the busy ratio),
///   `ladon_edge_worker_restarts_total`, `ladon_edge_dead_workers_total`, `ladon_edge_latent_retries_total`;
/// - `ladon_edge_nodes` (active sessions), `ladon_edge_credits_in_flight{node}` (granted, not returned),
///   `ladon_edge_latents_queued{node}`, `ladon_edge_node_reconnects_total`, `ladon_edge_node_restarts_total`,
///   `ladon_edge_hellos_refused_total{reason}` (duplicate_node_id, invalid_node_id, sessions_full);
/// - `ladon_edge_sink_outbox_results`, `ladon_edge_sink_disconnects_total`, `ladon_edge_sink_dropped_total`;
/// - CURVE mode: `ladon_edge_auth_refused_total`, `_handshake_failures_total`, `_impersonations_total`,
///   `_revoked_sessions_total`.
public final class BrokerSeries: Sendable {
    /// The stage names of a Result's timings, in pipeline order.
    public static let stageNames = ["node_to_edge", "edge_queue", "entropy_decode", "trunk", "classification", "detection", "segmentation"]
    public static let latentRefusals = ["oversized", "model_mismatch", "unknown_node", "over_window"]
    public static let helloRefusals = ["duplicate_node_id", "invalid_node_id", "sessions_full"]
    public static let updateInterval = 0.1

    let results: MetricFamily<Counter>
    let latentsRefused: MetricFamily<Counter>
    let hellosRefused: MetricFamily<Counter>
    let refusedMessages: MetricFamily<Counter>
    let stages: MetricFamily<Histogram>
    let workers: Gauge
    let workersBusy: Gauge
    let workerBusySeconds: Counter
    let workerRestarts: Counter
    let deadWorkers: Counter
    let retries: Counter
    let nodes: Gauge
    let creditsInFlight: MetricFamily<Gauge>
    let queued: MetricFamily<Gauge>
    let nodeReconnects: Counter
    let nodeRestarts: Counter
    let sinkOutbox: Gauge
    let sinkDisconnects: Counter
    let sinkDropped: Counter
    let authRefused: Counter
    let handshakeFailures: Counter
    let impersonations: Counter
    let revokedSessions: Counter
    private let nextUpdate = Mutex(-Double.infinity)

    public init(_ registry: MetricsRegistry) {
        results = registry.counters(
            "ladon_edge_results_total", help: "Results forwarded to the sink, by node and outcome (ok, error).", labels: ["node", "outcome"])
        latentsRefused = registry.counters(
            "ladon_edge_latents_refused_total", help: "Latents refused and answered with an error Result, by reason.", labels: ["reason"])
        hellosRefused = registry.counters(
            "ladon_edge_hellos_refused_total", help: "Node Hellos refused, by reason.", labels: ["reason"])
        refusedMessages = registry.counters(
            "ladon_edge_messages_refused_total", help: "Messages refused at the broker's sockets, by socket and reason.",
            labels: ["socket", "reason"])
        stages = registry.histograms(
            "ladon_edge_stage_seconds", help: "Time per answered frame in each stage, from capture to the last head.",
            labels: ["stage"], buckets: HistogramBuckets.latencySeconds)
        workers = registry.gauge("ladon_edge_workers", help: "Workers connected.")
        workersBusy = registry.gauge("ladon_edge_workers_busy", help: "Workers holding a latent now.")
        workerBusySeconds = registry.counter(
            "ladon_edge_worker_busy_seconds_total", help: "Time workers held latents (dispatch to answer), summed over the workers.")
        workerRestarts = registry.counter("ladon_edge_worker_restarts_total", help: "Local worker processes started again after they died.")
        deadWorkers = registry.counter("ladon_edge_dead_workers_total", help: "Workers declared dead (silent, exited or unreachable).")
        retries = registry.counter("ladon_edge_latent_retries_total", help: "Latents handed to a second worker after the first died.")
        nodes = registry.gauge("ladon_edge_nodes", help: "Node sessions active (heard from in the last 10 s).")
        creditsInFlight = registry.gauges(
            "ladon_edge_credits_in_flight", help: "Credits granted to the node and not yet returned.", labels: ["node"])
        queued = registry.gauges("ladon_edge_latents_queued", help: "The node's latents waiting for a worker.", labels: ["node"])
        nodeReconnects = registry.counter(
            "ladon_edge_node_reconnects_total", help: "New connections of nodes with a live session (asked for a new session).")
        nodeRestarts = registry.counter(
            "ladon_edge_node_restarts_total", help: "Hellos with a new incarnation or from a new process taking a node id over.")
        sinkOutbox = registry.gauge("ladon_edge_sink_outbox_results", help: "Results waiting for the sink in the broker's outbox.")
        sinkDisconnects = registry.counter("ladon_edge_sink_disconnects_total", help: "Times the connection to the sink ended.")
        sinkDropped = registry.counter("ladon_edge_sink_dropped_total", help: "Results dropped because the sink was away too long.")
        authRefused = registry.counter("ladon_edge_auth_refused_total", help: "Connections the ZAP handler refused (CURVE mode).")
        handshakeFailures = registry.counter(
            "ladon_edge_handshake_failures_total", help: "Handshakes that failed before authentication (CURVE mode).")
        impersonations = registry.counter(
            "ladon_edge_impersonations_total", help: "Messages whose key spoke for another node id (CURVE mode).")
        revokedSessions = registry.counter(
            "ladon_edge_revoked_sessions_total", help: "Node sessions cut because their key left the allow-list (CURVE mode).")
        // Every known reason and stage is a series from the start, so rates over them begin at 0.
        for stage in Self.stageNames { _ = stages.labels(stage) }
        for reason in Self.latentRefusals { _ = latentsRefused.labels(reason) }
        for reason in Self.helloRefusals { _ = hellosRefused.labels(reason) }
    }

    /// A worker answered a latent it held for `busySeconds`.
    func answered(_ answer: AnswerMessage, busySeconds: Double) {
        workerBusySeconds.increment(by: max(0, busySeconds))
        for timing in answer.timings {
            let stage = Self.stageNames.contains(timing.stage) ? timing.stage : "other"
            stages.labels(stage).observe(timing.milliseconds / 1000)
        }
    }

    /// Copies the broker's counts and reads its gauges, at most every `updateInterval` seconds.
    func update(from broker: Broker, _ now: Double) {
        let due = nextUpdate.withLock { next in
            guard now >= next else { return false }
            next = now + Self.updateInterval
            return true
        }
        guard due else { return }
        let report = broker.report
        for (node, counts) in report.perNode {
            results.labels(node, "ok").set(total: Double(counts.results - counts.errors))
            if counts.errors > 0 { results.labels(node, "error").set(total: Double(counts.errors)) }
        }
        for (reason, count) in zip(Self.latentRefusals, [report.oversized, report.modelMismatch, report.unknownNode, report.overWindow]) {
            latentsRefused.labels(reason).set(total: Double(count))
        }
        for (reason, count) in zip(Self.helloRefusals, [report.duplicateNodeIDs, report.invalidNodeIDs, report.sessionRefusals]) {
            hellosRefused.labels(reason).set(total: Double(count))
        }
        let totals: [(Counter, Int)] = [
            (workerRestarts, report.respawnedWorkers), (deadWorkers, report.deadWorkers), (retries, report.retries),
            (nodeReconnects, report.nodeReconnects), (nodeRestarts, report.nodeRestarts), (sinkDisconnects, report.sinkDisconnects),
            (sinkDropped, report.sinkDropped), (authRefused, report.authRefused), (handshakeFailures, report.handshakeFailures),
            (impersonations, report.impersonations), (revokedSessions, report.revokedSessions),
        ]
        for (counter, total) in totals { counter.set(total: Double(total)) }

        workers.set(Double(broker.dispatcher.workers.count))
        workersBusy.set(Double(broker.dispatcher.workers.values.filter { !$0.jobs.isEmpty }.count))
        nodes.set(Double(broker.nodes.activeCount(at: now)))
        for id in broker.nodes.order {
            guard let node = broker.nodes[id] else { continue }
            creditsInFlight.labels(id).set(Double(node.credit.outstanding))
            queued.labels(id).set(Double(broker.dispatcher.queued(id)))
        }
        // A node the broker forgot (to make room for new ones) leaves no stale series behind.
        for values in creditsInFlight.labelValues where broker.nodes[values[0]] == nil {
            creditsInFlight.remove(values)
            queued.remove(values)
        }
        sinkOutbox.set(Double(broker.sink.waiting))
    }
}
