import Foundation
import Shared

/// `ladon-sink serve`: PULLs Results from the edge broker, publishes each on a PUB socket under
/// `<node>/<task>` for every task present and `<node>/all`, logs per-frame metrics, prints periodic
/// and final summaries, and with `outDirectory` writes each Result as JSON plus its label map as PNG;
/// with `frames` too, each Result drawn on its source frame (found by the Result's `source` name).
public final class SinkServer {
    public struct Configuration: Sendable {
        public var results: String
        public var publish: String
        public var outDirectory: String?
        /// The frames ingest read; annotated images need `outDirectory`.
        public var frames: FrameFolder?
        public var summaryEverySeconds: Double?
        /// Stop after this many Results (pipelines that know how many frames they sent).
        public var expect: Int?
        /// CURVE or plaintext (docs/security.md). In CURVE mode the results socket lets in the edge keys of
        /// `allowedEdges` and the publish socket the subscriber keys of `allowedSubscribers`; both lists are
        /// read again every `keyReloadIntervalSeconds`: an edge whose key left its list is no longer heard,
        /// and when a subscriber's key leaves, the publish socket is bound anew so that every subscriber
        /// handshakes again (PUB cannot drop one peer) and the revoked one is refused.
        public var security = StageSecurity.local
        public var allowedEdges: AllowList?
        public var allowedSubscribers: AllowList?
        public var keyReloadIntervalSeconds = 1.0
        /// Results queued per subscriber before the newest are dropped for it (PUB's high-water mark): a
        /// slow subscriber loses Results instead of growing a backlog.
        public var subscriberQueue = 16
        /// Each Result published, with its topics, for a history check (`--history`).
        public var history: HistoryLog?
        /// Store every Result in this SQLite file (`--store`), keeping the newest `retainRows` when set.
        public var storePath: String?
        public var retainRows: Int?
        /// Publish to this MQTT broker too (`--mqtt HOST:PORT`), under `mqttPrefix`.
        public var mqtt: String?
        public var mqttPrefix = "ladon"
        /// The Prometheus series this stage keeps up to date (`--metrics`).
        public var metrics: SinkSeries?
        /// What the live viewer shows (`--http`), updated with every Result.
        public var viewer: ViewerBoard?

        public init(results: String, publish: String) {
            self.results = results
            self.publish = publish
        }
    }

    public private(set) var metrics = SinkMetrics()
    let configuration: Configuration
    let log = Logger(label: "ladon-sink")
    private var written = 0
    /// Annotated images written, and frames that had a source but could not be annotated.
    public private(set) var annotated = 0
    public private(set) var annotationFailures = 0
    private var rejections: InputRejections
    private var store: ResultStore?
    private var mqtt: MQTTPublisher?
    private var mqttResults: MQTTResults
    /// Results stored, and those the store could not take (logged; the Result is still published).
    public private(set) var storedCount = 0
    public private(set) var storeFailures = 0

    public init(_ configuration: Configuration) {
        self.configuration = configuration
        rejections = InputRejections(log: log)
        mqttResults = MQTTResults(prefix: configuration.mqttPrefix)
        rejections.exported = configuration.metrics?.refusedMessages
    }

    /// Serves until `shouldStop` or `expect` Results; prints each summary with `report`.
    public func run(shouldStop: () -> Bool, report: (String) -> Void = { print($0) }) throws {
        let context = try Context()
        defer { context.close() }
        let security = configuration.security
        // Bound before any server socket, as libzmq asks of a ZAP handler.
        let zap =
            security.isCurve
            ? try ZAPHandler(
                context: context,
                domains: [Self.edgeDomain: configuration.allowedEdges, Self.subscriberDomain: configuration.allowedSubscribers]
                    .compactMapValues { $0 })
            : nil
        let handshakes = HandshakeWatch()
        defer { handshakes.close() }
        let pull = try context.socket(.pull)
        defer { pull.close() }
        try pull.set(.maxMessageSize(bytes: MessageKind.receiveLimit(.result)))
        try security.secureServer(pull, domain: Self.edgeDomain)
        if security.isCurve { try handshakes.watch(pull, name: "results") }
        let resultsEndpoint = try pull.bind(configuration.results)
        var (publisher, publishEndpoint) = try openPublisher(context, handshakes: handshakes, endpoint: configuration.publish)
        defer { publisher.close() }
        if let directory = configuration.outDirectory {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        }
        if let path = configuration.storePath { store = try ResultStore(path: path, retainRows: configuration.retainRows) }
        defer { store?.close() }
        if let address = configuration.mqtt { mqtt = try MQTTPublisher(address: address, clientID: "ladon-sink-\(getpid())") }
        defer { mqtt?.close() }
        log.info("sink ready", ["results": resultsEndpoint, "publish": publishEndpoint, "security": security])

        var poller = Poller()
        poller.add(pull)
        var lastSummary = PipelineClock.seconds()
        var lastKeyReload = lastSummary
        var revokedSubscribers = 0
        while !shouldStop() {
            if let expect = configuration.expect, metrics.total.frames + metrics.malformed >= expect { break }
            if try poller.poll(timeoutMilliseconds: 100)[0].contains(.readable) {
                while let (message, user) = try pull.tryReceiveWithUserID() {
                    if let user, let list = configuration.allowedEdges, !list.lists(name: user) {
                        rejections.record(reason: "revoked_key", socket: "results", peer: user, detail: "a Result under the revoked key of '\(user)'")
                        continue
                    }
                    try handle(message, publisher)
                    if let expect = configuration.expect, metrics.total.frames + metrics.malformed >= expect { break }
                }
            }
            try handshakes.poll()
            if security.isCurve, PipelineClock.seconds() - lastKeyReload >= configuration.keyReloadIntervalSeconds {
                lastKeyReload = PipelineClock.seconds()
                _ = reload(configuration.allowedEdges)
                let revoked = reload(configuration.allowedSubscribers)
                if !revoked.isEmpty {
                    revokedSubscribers += revoked.count
                    log.warning("subscriber keys revoked; binding the publish socket anew", ["revoked": revoked.sorted().joined(separator: ",")])
                    handshakes.forget("publish")
                    publisher.close()
                    // Bound again where it was (a `*` port resolved), so subscribers reconnect to it.
                    publisher = try openPublisher(context, handshakes: handshakes, endpoint: publishEndpoint).socket
                }
            }
            if let every = configuration.summaryEverySeconds, PipelineClock.seconds() - lastSummary >= every {
                metrics.summary("sink summary:").forEach(report)
                lastSummary = PipelineClock.seconds()
            }
        }
        metrics.summary("sink final:").forEach(report)
        if security.isCurve {
            report(
                "sink security: auth_refused=\(zap?.counts.refusedTotal ?? 0) handshake_failures=\(handshakes.counts.protocolFailures) "
                    + "revoked_subscribers=\(revokedSubscribers) refused=\(rejections.summary)")
        }
        if let mqtt, let address = configuration.mqtt {
            let counts = mqtt.counts
            report("sink mqtt: published=\(counts.published) dropped=\(counts.dropped) connects=\(counts.connects) broker=\(address)")
        }
        if let path = configuration.storePath {
            report("sink store: stored=\(storedCount) failed=\(storeFailures) file=\(path)")
        }
        if let frames = configuration.frames, configuration.outDirectory != nil {
            report("sink annotations: written=\(annotated) failed=\(annotationFailures) frames=\(frames.path)")
        }
    }

    /// The ZAP domains of the two server sockets.
    static let edgeDomain = "ladon-results"
    static let subscriberDomain = "ladon-subscribers"

    /// The PUB socket: each subscriber's queue bounded, subscriptions (its only input) bounded in size.
    private func openPublisher(_ context: Context, handshakes: HandshakeWatch, endpoint: String) throws -> (socket: Socket, endpoint: String) {
        let publisher = try context.socket(.publisher, lingerMilliseconds: 1_000)
        do {
            try publisher.set(.sendHighWaterMark(messages: max(1, configuration.subscriberQueue)))
            try publisher.set(.maxMessageSize(bytes: 1024))
            try configuration.security.secureServer(publisher, domain: Self.subscriberDomain)
            if configuration.security.isCurve { try handshakes.watch(publisher, name: "publish") }
            return (publisher, try bindAgainAndAgain(publisher, endpoint))
        } catch {
            publisher.close()
            throw error
        }
    }

    /// Binds, retrying for a moment while the port a just-closed socket held is still being released.
    private func bindAgainAndAgain(_ socket: Socket, _ endpoint: String) throws(TransportError) -> String {
        let deadline = PipelineClock.seconds() + 2
        while true {
            do throws(TransportError) {
                return try socket.bind(endpoint)
            } catch  where error.code == EADDRINUSE && PipelineClock.seconds() < deadline {
                PipelineClock.sleep(milliseconds: 20)
            }
        }
    }

    /// The names `list` no longer holds; a folder that cannot be read keeps the keys read before.
    private func reload(_ list: AllowList?) -> Set<String> {
        do throws(SecurityError) {
            return try list?.reload() ?? []
        } catch {
            log.error("cannot read an allow-list again; keeping the keys read before", ["error": error])
            return []
        }
    }

    private func handle(_ message: [[UInt8]], _ publisher: Socket) throws(TransportError) {
        let received = PipelineClock.wallMicroseconds()
        guard let envelope = rejections.envelope(message, socket: "results"),
            let result = rejections.decode(ResultMessage.self, envelope, socket: "results")
        else {
            metrics.malformed = rejections.total
            return
        }
        let latency = metrics.record(result, receivedMicroseconds: received)
        // A kept latent goes into the store only: subscribers, and the viewer's board (which holds each
        // node's newest Result for as long as it runs), get the Result without it.
        let published = result.latent == nil ? result : result.withoutLatent
        let payload = result.latent == nil ? envelope.payload : published.serialized()
        if let viewer = configuration.viewer, let counts = metrics.perNode[result.header.nodeID] {
            viewer.record(published, latencyMilliseconds: latency, counts: counts)
        }
        // Stored (committed) before it is published or recorded in the history.
        do throws(ResultStore.StoreError) {
            if let store {
                try store.store(result, payload: payload, latent: result.latent, receivedMicroseconds: received)
                storedCount += 1
                configuration.metrics?.stored(true)
            }
        } catch {
            storeFailures += 1
            configuration.metrics?.stored(false)
            log.error(
                "cannot store a Result; publishing it anyway", ["node": result.header.nodeID, "sequence": result.header.sequence, "error": error])
        }
        let topics = result.topics
        for topic in topics {
            // PUB never blocks: a slow subscriber loses messages at its high-water mark, not the sink.
            _ = try publisher.trySend([Array(topic.utf8), payload])
        }
        if let mqtt {
            for message in mqttResults.messages(for: result) {
                // Published whether or not metrics are on: an optional chain would skip evaluating its argument.
                let published = mqtt.publish(message.topic, message.payload, retain: message.retain)
                configuration.metrics?.mqttMessage(published)
            }
        }
        configuration.metrics?.published(result, ageSeconds: result.ageSeconds(at: PipelineClock.wallMicroseconds()))
        configuration.history?.record(
            "published", node: result.header.nodeID, sequence: result.header.sequence,
            [
                "topics": topics.map { $0.split(separator: "/").last.map(String.init) ?? $0 }.joined(separator: ","),
                "error": result.error == nil ? "0" : "1",
            ])
        let stages = result.timings.map { "\($0.stage):\(String(format: "%.1f", $0.milliseconds))" }.joined(separator: ",")
        if let error = result.error {
            log.warning(
                "frame error",
                ["node": result.header.nodeID, "sequence": result.header.sequence, "dropped_before": result.header.droppedBefore, "error": error])
        } else {
            log.info(
                "frame",
                [
                    "node": result.header.nodeID, "sequence": result.header.sequence,
                    "e2e_ms": latency.map { String(format: "%.1f", $0) } ?? "-",
                    "latent_bytes": result.latentBytes, "dropped_before": result.header.droppedBefore, "stages": stages,
                ])
        }
        if let directory = configuration.outDirectory { write(result, to: directory) }
    }

    /// `<node>-<sequence>.json` and, with segmentation, `<node>-<sequence>-labels.png` (8-bit label values).
    private func write(_ result: ResultMessage, to directory: String) {
        written += 1
        let node = String(result.header.nodeID.map { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" ? $0 : "_" })
        let stem = result.error == nil ? "\(node)-\(result.header.sequence)" : "\(node)-error-\(written)"
        let base = URL(fileURLWithPath: directory).appendingPathComponent(stem).path
        do {
            try FileIO.write(result.jsonData() + Data("\n".utf8), to: base + ".json", what: "result JSON")
            if let map = result.tasks.segmentation {
                try FileIO.write(
                    try PNG.encode(PixelImage(size: map.size, channels: 1, pixels: map.labels)),
                    to: base + "-labels.png", what: "label map")
            }
        } catch {
            log.error("cannot write result files", ["error": "\(error)"])
        }
        if let frames = configuration.frames, result.error == nil, !result.header.source.isEmpty {
            annotate(result, from: frames, to: base + "-annotated.png")
        }
    }

    /// `<node>-<sequence>-annotated.png`; a missing, corrupt or mismatched frame is logged and counted.
    /// Runs on the I/O thread (mostly PNG compression) while Results wait in the PULL queue.
    private func annotate(_ result: ResultMessage, from frames: FrameFolder, to path: String) {
        do {
            try FileIO.write(
                try frames.annotatedPNG(source: result.header.source, FrameAnnotations(result)), to: path,
                what: "annotated frame")
            annotated += 1
        } catch {
            annotationFailures += 1
            log.warning(
                "cannot annotate frame",
                [
                    "node": result.header.nodeID, "sequence": result.header.sequence,
                    "source": result.header.source, "error": "\(error)",
                ])
        }
    }
}
