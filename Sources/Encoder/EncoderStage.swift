import Shared

/// `ladon-encoder run`: the mobile node's network side. It receives frames from ingest, encodes them with
/// `MobileEncoder`, and sends `latent` messages to the edge broker under credit flow control
/// (docs/pipeline.md):
/// - a DEALER with routing id `PeerRoute.routingID(for: node id)` connects to the broker's frontend and sends Hello (node role,
///   model identity, window W, incarnation) every second until the first Credit arrives;
/// - a latent is encoded and sent only while credits > 0; each send spends one credit; the node never
///   counts more than W latents in flight (a Credit first returns in-flight latents, the rest is new);
/// - freshest frame: frames that arrive while the node waits (for credit, or for the link) replace the
///   held one; every replaced, stale or corrupt frame adds to the next latent's `dropped_before`;
/// - `--link-kbps` releases each whole ZeroMQ message through a `TokenBucket`;
/// - Heartbeat when nothing was sent for a second; Bye to the broker on exit;
/// - a latent larger than `maximumLatentBytes` (what the edge accepts) is dropped before sending and
///   counted (`oversized`), keeping its credit;
/// - a Bye while the node holds no session (the node id is held by another live process) is logged and
///   counted (`refusals`); the node keeps saying Hello and is taken on once the id is free;
/// - new sessions: the DEALER probes the broker on every (re)connection; a Bye from the broker (it
///   restarted, or saw this node reconnect, or is shutting down) ends the session: latents in flight are
///   written off (counted; their Results may still reach the sink), the credit count starts from zero,
///   and the node says Hello again with a new incarnation.
/// Ingest's Bye (end of stream), answered with a Bye so ingest knows every frame arrived (IngestStage),
/// lets the node finish its held frame, wait for its in-flight latents' credits to return (or the drain
/// timeout), and exit. SIGINT/SIGTERM exit at once, counting held frames as dropped.
///
/// The rules live in small types tested without sockets: `NodeSession` (Hello, Heartbeat, Bye) over
/// `NodeCredit`, `HeldFrames` and `DropLedger` (freshest frame, drops), `LinkOutbox` over `TokenBucket`
/// (the shaped link); `EncoderLoop` only moves messages between them and the sockets.
///
/// Encoding runs inline on the I/O thread: ZeroMQ keeps queueing credits and frames meanwhile, and a
/// node holds at most one frame to encode, so nothing else needs the thread during an encode.
public struct EncoderStage {
    public enum Policy: String, Sendable, CaseIterable {
        /// The pipeline's behaviour: keep only the freshest frame, encode only with credit and a free link.
        case freshest
        /// Baseline for the link benchmark: every frame is queued and encoded in order; latents queue at
        /// the link. With `window` 1 this is stop-and-wait; with a huge window, an unbounded push.
        case queue
    }

    public struct Configuration: Sendable {
        public var ingestEndpoint: String
        public var edgeEndpoint: String
        public var nodeID: String
        public var window: Int
        public var linkKilobitsPerSecond: Double?
        public var burstBytes: Int
        public var policy: Policy
        public var drainTimeoutSeconds: Double
        public var helloIntervalSeconds: Double = 1
        /// The largest serialized Latent the edge accepts; larger ones are dropped here, before the link.
        public var maximumLatentBytes = LatentMessage.maximumSize
        public var heartbeatIntervalSeconds: Double = 1
        /// CURVE or plaintext toward the edge; in CURVE mode only an edge holding `edgeKey` is spoken to.
        /// (The ingest link is local to the device and never encrypted.)
        public var security = StageSecurity.local
        public var edgeKey: CurveKey?
        /// Each frame's receipt, send or drop, and each written-off session, for a history check (`--history`).
        public var history: HistoryLog?
        /// The Prometheus series this stage keeps up to date (`--metrics`).
        public var metrics: EncoderSeries?

        public init(
            ingestEndpoint: String, edgeEndpoint: String, nodeID: String, window: Int,
            linkKilobitsPerSecond: Double? = nil, burstBytes: Int = 0, policy: Policy = .freshest,
            drainTimeoutSeconds: Double = 10
        ) {
            self.ingestEndpoint = ingestEndpoint
            self.edgeEndpoint = edgeEndpoint
            self.nodeID = nodeID
            self.window = window
            self.linkKilobitsPerSecond = linkKilobitsPerSecond
            self.burstBytes = burstBytes
            self.policy = policy
            self.drainTimeoutSeconds = drainTimeoutSeconds
        }
    }

    public struct Summary: Sendable, CustomStringConvertible {
        public var received = 0
        public var encoded = 0
        public var sent = 0
        /// Every frame of this node that never became a latent: ingest's drops, this stage's, bad frames.
        public var dropped: UInt64 = 0
        public var badFrames = 0
        /// Latents larger than the edge accepts, dropped before sending (also in `dropped`).
        public var oversized = 0
        /// Messages from ingest or the edge refused as malformed or unexpected (InputRejections).
        public var malformedMessages = 0
        /// Sessions the edge ended (Bye from the broker), and latents in flight then whose credit was written off.
        public var sessionsEnded = 0
        public var writtenOff = 0
        /// Byes from the broker while this node had no session (its Hello refused: the node id is held
        /// by another live process); the node keeps saying Hello.
        public var refusals = 0
        public var bytes = 0
        public var encodeMilliseconds = 0.0
        public var transmitMilliseconds = 0.0
        public var unreturnedCredits = 0

        public var description: String {
            let meanEncode = encoded > 0 ? encodeMilliseconds / Double(encoded) : 0
            let meanTransmit = sent > 0 ? transmitMilliseconds / Double(sent) : 0
            return "frames received=\(received) encoded=\(encoded) sent=\(sent) dropped=\(dropped) bad=\(badFrames) "
                + "oversized=\(oversized) bytes=\(bytes) mean_encode_ms=\(String(format: "%.1f", meanEncode)) "
                + "mean_transmit_ms=\(String(format: "%.1f", meanTransmit)) in_flight_at_exit=\(unreturnedCredits) "
                + "sessions_ended=\(sessionsEnded) written_off=\(writtenOff) refusals=\(refusals) malformed=\(malformedMessages)"
        }
    }

    let configuration: Configuration
    let encoder: MobileEncoder
    let log: Logger

    public init(_ configuration: Configuration, encoder: MobileEncoder) {
        self.configuration = configuration
        self.encoder = encoder
        log = Logger(label: "ladon-encoder[\(configuration.nodeID)]")
    }

    /// Runs until ingest's stream has ended and drained, or `shouldStop` (checked at least every 50 ms).
    public func run(shouldStop: () -> Bool) throws -> Summary {
        let context = try Context()
        defer { context.close() }
        let loop = try EncoderLoop(configuration, encoder: encoder, context: context, log: log)
        defer { loop.close() }
        return try loop.run(shouldStop: shouldStop)
    }
}

/// One run of the stage: owns the sockets and the rules' state, and moves messages between them.
private final class EncoderLoop {
    let config: EncoderStage.Configuration
    let encoder: MobileEncoder
    let log: Logger
    /// A ROUTER, not a PULL, only so that ingest's end-of-stream Bye can be answered (see IngestStage).
    let ingest: Socket
    let edge: Socket
    var summary = EncoderStage.Summary()
    var session: NodeSession
    var held: HeldFrames
    var drops = DropLedger()
    var outbox: LinkOutbox
    var rejections: InputRejections
    var endOfStreamDeadline: Double?
    /// The sequence of the latest latent that left, for a written-off session's history line.
    var lastSent: UInt64 = 0

    init(_ config: EncoderStage.Configuration, encoder: MobileEncoder, context: Context, log: Logger) throws {
        self.config = config
        self.encoder = encoder
        self.log = log
        let now = PipelineClock.seconds()
        session = NodeSession(
            window: max(1, config.window), now: now, helloInterval: config.helloIntervalSeconds,
            heartbeatInterval: config.heartbeatIntervalSeconds)
        held = HeldFrames(capacity: config.policy == .queue ? 100_000 : 1)
        outbox = LinkOutbox(kilobitsPerSecond: config.linkKilobitsPerSecond, burstBytes: config.burstBytes, now: now)
        rejections = InputRejections(log: log)
        rejections.exported = config.metrics?.refusedMessages
        // Linger lets the answer to ingest's Bye leave when the stream ends and the encoder exits at once.
        ingest = try context.socket(.router, lingerMilliseconds: 1000)
        edge = try context.socket(.dealer, lingerMilliseconds: 1000)
        // A few frames of room: the loop drains the socket each turn and keeps only the newest, so this
        // adds no staleness.
        try ingest.set(.receiveHighWaterMark(messages: 4))
        try ingest.set(.maxMessageSize(bytes: MessageKind.receiveLimit(.frame, .control)))
        try ingest.bind(config.ingestEndpoint)
        try edge.set(.routingID(PeerRoute.routingID(for: config.nodeID)))
        try edge.set(.maxMessageSize(bytes: MessageKind.receiveLimit(.control)))
        // The broker learns of every new connection (a lost one may have taken latents with it): the probe
        // goes out when a pipe attaches, and with ZMQ_IMMEDIATE each reconnection attaches a new pipe
        // (messages are queued only to a live connection; unsent ones wait in the outbox instead).
        try edge.set(.immediate(true))
        try edge.set(.probeRouter(true))
        try config.security.secureClient(edge, serverKey: config.edgeKey)
        try edge.connect(config.edgeEndpoint)
    }

    func close() {
        ingest.close()
        edge.close()
    }

    func run(shouldStop: () -> Bool) throws -> EncoderStage.Summary {
        log.info(
            "running",
            [
                "ingest": config.ingestEndpoint, "edge": config.edgeEndpoint, "window": session.credit.window,
                "link_kbps": config.linkKilobitsPerSecond.map { "\($0)" } ?? "unshaped", "policy": config.policy.rawValue,
                "security": config.security,
            ])
        while !shouldStop() {
            var now = PipelineClock.seconds()
            try sayWhatIsDue(now)
            if encodeHeldFrame() { now = PipelineClock.seconds() }
            var wakeAt = now + 0.05
            switch outbox.next(now: now) {
            case let .send(frames):
                if try edge.trySend(frames) {
                    let (sequence, bytes, waited) = outbox.sent(now: now)
                    lastSent = sequence
                    config.history?.record("sent", node: config.nodeID, sequence: sequence)
                    session.sent(now: now)
                    summary.sent += 1
                    summary.bytes += bytes
                    summary.transmitMilliseconds += waited * 1000
                    config.metrics?.sent(bytes: bytes, waitedSeconds: waited)
                    continue
                }
            case let .wait(until): wakeAt = min(wakeAt, until)
            case .idle: break
            }
            if isFinished(now) { break }
            config.metrics?.credit(session.credit)
            try poll(until: wakeAt, now: now)
        }
        return finish(stopped: shouldStop())
    }

    /// Hello until the first Credit, then Heartbeats when silent; while the edge is unreachable
    /// (ZMQ_IMMEDIATE) nothing leaves and the next turn tries again.
    func sayWhatIsDue(_ now: Double) throws {
        guard let utterance = session.due(now: now) else { return }
        let message: ControlMessage =
            switch utterance {
            case let .hello(incarnation):
                .hello(
                    .init(
                        peerID: config.nodeID, role: .node, model: encoder.identity, window: UInt32(session.credit.window),
                        incarnation: incarnation))
            case let .heartbeat(sequence):
                .heartbeat(.init(peerID: config.nodeID, sequence: sequence, timeMicroseconds: PipelineClock.wallMicroseconds()))
            }
        if try edge.trySend(Envelope(message).frames()) { session.said(utterance, now: now) }
    }

    /// Encodes the held frame once credit is held and (freshest policy) the link is free; `true` when it encoded.
    func encodeHeldFrame() -> Bool {
        guard session.credit.canSend, config.policy == .queue || outbox.isEmpty, let frame = held.next() else { return false }
        do {
            var header = frame.header
            header.nodeID = config.nodeID
            header.droppedBefore = drops.unreported
            let output = try encoder.encode(jpeg: frame.jpeg, header: header)
            summary.encoded += 1
            summary.encodeMilliseconds += output.timings.total
            config.metrics?.encoded(output)
            let envelope = Envelope(output.message)
            guard envelope.payload.count <= config.maximumLatentBytes else {
                summary.oversized += 1
                drops.add(1)
                record(dropped: frame.header.sequence, "oversized")
                log.warning(
                    "dropping a latent larger than the edge accepts",
                    ["sequence": header.sequence, "bytes": envelope.payload.count, "limit": config.maximumLatentBytes])
                return true
            }
            _ = drops.report()
            session.spendCredit()
            outbox.enqueue(envelope, sequence: header.sequence, now: PipelineClock.seconds())
        } catch {
            summary.badFrames += 1
            drops.add(1)
            record(dropped: frame.header.sequence, "bad_frame")
            log.warning("dropping a frame that cannot be encoded", ["sequence": frame.header.sequence, "error": error])
        }
        return true
    }

    /// After ingest's end of stream: done once every frame is encoded, sent and answered, or at the deadline.
    func isFinished(_ now: Double) -> Bool {
        guard let deadline = endOfStreamDeadline else { return false }
        let drained = held.isEmpty && outbox.isEmpty && session.credit.inFlight == 0
        if !drained && now >= deadline { log.warning("end of stream: drain timeout with latents still in flight or unsent") }
        return drained || now >= deadline
    }

    func poll(until wakeAt: Double, now: Double) throws {
        var poller = Poller()
        poller.add(ingest)
        poller.add(edge)
        let ready = try poller.poll(timeoutMilliseconds: max(0, min(50, Int(((wakeAt - now) * 1000).rounded(.up)))))
        if ready[0].contains(.readable) { try readIngest() }
        if ready[1].contains(.readable) { try readEdge() }
    }

    private enum FromIngest {
        case frame(FrameMessage)
        case endOfStream(peer: [UInt8])
    }

    func readIngest() throws {
        while let routed = try ingest.tryReceive() {
            switch parseFromIngest(routed) {
            case let .frame(frame):
                summary.received += 1
                config.metrics?.received.increment()
                config.history?.record("received", node: config.nodeID, sequence: frame.header.sequence)
                let replaced = held.hold(frame)
                if let replaced { record(dropped: replaced.header.sequence, "superseded") }
                drops.add(frame.header.droppedBefore + (replaced == nil ? 0 : 1))
            case let .endOfStream(peer):
                let answer = ControlMessage.bye(.init(peerID: config.nodeID, reason: "end of stream received"))
                _ = try ingest.trySend(Envelope(answer).frames(to: peer))
                if endOfStreamDeadline == nil {
                    log.info("ingest reached the end of its stream; draining")
                    endOfStreamDeadline = PipelineClock.seconds() + config.drainTimeoutSeconds
                }
            case nil:
                continue
            }
        }
    }

    /// A frame, or ingest's end-of-stream Bye; anything else is counted and logged (`nil`).
    private func parseFromIngest(_ routed: [[UInt8]]) -> FromIngest? {
        do throws(WireError) {
            let (peer, envelope) = try Envelope.routed(routed)
            if envelope.kind == .frame { return .frame(try envelope.decode(FrameMessage.self)) }
            if case .bye = try envelope.decode(ControlMessage.self) { return .endOfStream(peer: peer) }
            throw WireError.unexpectedKind("control other than bye", expected: "a frame or bye")
        } catch {
            rejections.record(error, socket: "ingest")
            return nil
        }
    }

    func readEdge() throws {
        while let frames = try edge.tryReceive() {
            do throws(WireError) {
                switch try Envelope(frames: frames).decode(ControlMessage.self) {
                case let .credit(credit):
                    if !session.receive(grants: Int(credit.grants)) {
                        log.warning("broker granted past the window; keeping the window", ["grants": credit.grants])
                    }
                case let .bye(bye):
                    byeFromEdge(bye.reason)
                case .heartbeat:
                    break
                case .hello, .ready:
                    throw WireError.unexpectedKind("hello or ready", expected: "credit, bye or heartbeat")
                }
            } catch {
                rejections.record(error, socket: "edge")
            }
        }
    }

    func byeFromEdge(_ reason: String) {
        switch session.brokerSaidBye(reason: reason, now: PipelineClock.seconds()) {
        case let .ended(inFlight):
            // Latents still waiting on the link never left: dropped. The rest crossed; their Results may
            // still reach the sink, but their credits will not come back.
            let unsentSequences = outbox.removeAll()
            let unsent = unsentSequences.count
            for sequence in unsentSequences { record(dropped: sequence, "unsent_at_session_end") }
            if inFlight > unsent {
                // Which of the last latents sent will not be answered is unknown here: the history says how many.
                config.history?.record("written_off", node: config.nodeID, sequence: lastSent, ["count": "\(inFlight - unsent)"])
            }
            summary.sessionsEnded += 1
            summary.writtenOff += inFlight - unsent
            config.metrics?.sessionEnded(writtenOff: inFlight - unsent)
            drops.add(UInt64(unsent))
            log.warning(
                "the edge ended this node's session; starting a new one",
                ["reason": reason, "written_off": inFlight - unsent, "unsent_dropped": unsent])
        case let .refused(shouldLog):
            summary.refusals += 1
            config.metrics?.helloRefusals.increment()
            if shouldLog { log.warning("the edge has not taken this node on; saying hello again", ["reason": reason]) }
        }
    }

    func record(dropped sequence: UInt64, _ reason: String) {
        config.history?.record("dropped", node: config.nodeID, sequence: sequence, ["reason": reason])
        config.metrics?.dropped.labels(reason).increment()
    }

    /// Counts what never became a latent or never left, says Bye, and returns the summary.
    func finish(stopped: Bool) -> EncoderStage.Summary {
        if !held.isEmpty || !outbox.isEmpty {
            log.warning("exiting with frames not sent", ["held": held.count, "unsent": outbox.count])
            drops.add(UInt64(held.count + outbox.count))
            for frame in held.frames { record(dropped: frame.header.sequence, "unsent_at_exit") }
            for sequence in outbox.removeAll() { record(dropped: sequence, "unsent_at_exit") }
        }
        summary.unreturnedCredits = session.credit.inFlight
        if summary.unreturnedCredits > 0 {
            config.history?.record("written_off", node: config.nodeID, sequence: lastSent, ["count": "\(summary.unreturnedCredits)"])
        }
        summary.dropped = drops.total
        summary.malformedMessages = rejections.total
        let bye = ControlMessage.bye(.init(peerID: config.nodeID, reason: stopped ? "stopped" : "end of stream"))
        _ = try? edge.trySend(Envelope(bye).frames())
        log.info("finished: \(summary)")
        return summary
    }
}
