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
                + "sessions_ended=\(sessionsEnded) written_off=\(writtenOff) refusals=\(refusals)"
        }
    }

    private struct Outgoing {
        var wire: [[UInt8]]
        var bytes: Int
        var queuedAt: Double
        var releaseAt: Double?
    }

    let configuration: Configuration
    let encoder: MobileEncoder
    let log: Logger

    public init(_ configuration: Configuration, encoder: MobileEncoder) {
        self.configuration = configuration
        self.encoder = encoder
        log = Logger(label: "ladon-encoder[\(configuration.nodeID)]")
    }

    public func run() throws -> Summary {
        let config = configuration
        let context = try Context()
        defer { context.close() }
        // A ROUTER, not a PULL, only so that ingest's end-of-stream Bye can be answered (see IngestStage);
        // linger lets the answer leave when the stream ends and the encoder exits at once.
        let ingest = try context.socket(.router, lingerMilliseconds: 1000)
        defer { ingest.close() }
        // A few frames of room: the loop drains the socket each turn and keeps only the newest, so this
        // adds no staleness.
        try ingest.set(.receiveHighWaterMark(messages: 4))
        try ingest.set(.maxMessageSize(bytes: FrameMessage.maximumSize + 4096))
        try ingest.bind(config.ingestEndpoint)
        let dealer = try context.socket(.dealer, lingerMilliseconds: 1000)
        defer { dealer.close() }
        try dealer.set(.routingID(PeerRoute.routingID(for: config.nodeID)))
        try dealer.set(.maxMessageSize(bytes: ControlMessage.maximumSize + 4096))
        // The broker learns of every new connection (a lost one may have taken latents with it): the probe
        // goes out when a pipe attaches, and with ZMQ_IMMEDIATE each reconnection attaches a new pipe
        // (messages are queued only to a live connection; unsent ones wait in the outbox instead).
        try dealer.set(.immediate(true))
        try dealer.set(.probeRouter(true))
        try dealer.connect(config.edgeEndpoint)

        var summary = Summary()
        let window = max(1, config.window)
        var credits = 0
        var inFlight = 0
        var credited = false
        var frames: [FrameMessage] = []
        var pendingDrops: UInt64 = 0
        var outbox: [Outgoing] = []
        var bucket = config.linkKilobitsPerSecond.map {
            TokenBucket(kilobitsPerSecond: $0, burstBytes: config.burstBytes, now: PipelineClock.seconds())
        }
        var endOfStreamDeadline: Double?
        var lastHello = -Double.infinity
        var lastSend = PipelineClock.seconds()
        var heartbeats: UInt64 = 0
        var incarnation = UInt64.random(in: 1 ... .max)
        var lastRefusal = (reason: "", loggedAt: -Double.infinity)
        let maximumQueued = config.policy == .queue ? 100_000 : 1

        /// `false` while there is no connection to the broker (ZMQ_IMMEDIATE): the caller tries again next turn.
        @discardableResult
        func sendControl(_ message: ControlMessage) throws -> Bool {
            guard try dealer.trySend([MessageKind.control.tag, message.serialized()]) else { return false }
            lastSend = PipelineClock.seconds()
            return true
        }

        func drop(_ count: UInt64) {
            pendingDrops += count
            summary.dropped += count
        }

        /// The edge holds no session for this node any more: start a new one (see the type's comment).
        func endSession(_ reason: String) {
            let unsent = outbox.count
            summary.sessionsEnded += 1
            summary.writtenOff += inFlight - unsent
            log.warning(
                "the edge ended this node's session; starting a new one",
                ["reason": reason, "written_off": inFlight - unsent, "unsent_dropped": unsent])
            drop(UInt64(unsent))
            outbox.removeAll()
            inFlight = 0
            credits = 0
            credited = false
            incarnation = UInt64.random(in: 1 ... .max)
            lastHello = -Double.infinity
        }

        log.info(
            "running",
            [
                "ingest": config.ingestEndpoint, "edge": config.edgeEndpoint, "window": window,
                "link_kbps": config.linkKilobitsPerSecond.map { "\($0)" } ?? "unshaped",
                "policy": config.policy.rawValue,
            ])
        while !StopSignal.isRequested {
            var now = PipelineClock.seconds()
            if !credited && now - lastHello >= config.helloIntervalSeconds {
                if try sendControl(
                    .hello(
                        .init(
                            peerID: config.nodeID, role: .node, model: encoder.identity,
                            window: UInt32(window), incarnation: incarnation)))
                {
                    lastHello = now
                }
            } else if credited && now - lastSend >= config.heartbeatIntervalSeconds {
                heartbeats += 1
                try sendControl(.heartbeat(.init(peerID: config.nodeID, sequence: heartbeats, timeMicroseconds: PipelineClock.wallMicroseconds())))
            }

            // Encode the freshest frame once credit is held and (freshest policy) the link is free.
            if credits > 0 && (config.policy == .queue || outbox.isEmpty), !frames.isEmpty {
                let frame = frames.removeFirst()
                do {
                    let output = try encoder.encode(
                        jpeg: frame.jpeg, nodeID: config.nodeID, sequence: frame.sequence,
                        captureTimeMicroseconds: frame.captureTimeMicroseconds)
                    var latent = output.message
                    latent.droppedBefore = pendingDrops
                    latent.source = frame.source
                    summary.encoded += 1
                    summary.encodeMilliseconds += output.timings.total
                    let bytes = latent.serialized()
                    if bytes.count > config.maximumLatentBytes {
                        summary.oversized += 1
                        drop(1)
                        log.warning(
                            "dropping a latent larger than the edge accepts",
                            [
                                "sequence": frame.sequence, "bytes": bytes.count,
                                "limit": config.maximumLatentBytes,
                            ])
                    } else {
                        pendingDrops = 0
                        credits -= 1
                        inFlight += 1
                        let wire = [MessageKind.latent.tag, bytes]
                        outbox.append(Outgoing(wire: wire, bytes: wire.reduce(0) { $0 + $1.count }, queuedAt: PipelineClock.seconds()))
                    }
                } catch {
                    summary.badFrames += 1
                    drop(1)
                    log.warning("dropping a frame that cannot be encoded", ["sequence": frame.sequence, "error": error])
                }
                now = PipelineClock.seconds()
            }

            // The link: the head latent leaves when the shaper releases it.
            var wakeAt = now + 0.05
            if !outbox.isEmpty {
                if outbox[0].releaseAt == nil {
                    outbox[0].releaseAt = bucket?.schedule(outbox[0].bytes, now: now) ?? now
                }
                let head = outbox[0]
                if let releaseAt = head.releaseAt, releaseAt <= now {
                    if try dealer.trySend(head.wire) {
                        bucket?.consume(head.bytes, now: now)
                        summary.sent += 1
                        summary.bytes += head.bytes
                        summary.transmitMilliseconds += (now - head.queuedAt) * 1000
                        lastSend = now
                        outbox.removeFirst()
                        continue
                    }
                } else if let releaseAt = head.releaseAt {
                    wakeAt = min(wakeAt, releaseAt)
                }
            }

            if let deadline = endOfStreamDeadline {
                let drained = frames.isEmpty && outbox.isEmpty && inFlight == 0
                if drained || now >= deadline {
                    if !drained { log.warning("end of stream: drain timeout with latents still in flight or unsent") }
                    break
                }
            }

            var poller = Poller()
            poller.add(ingest)
            poller.add(dealer)
            let ready = try poller.poll(timeoutMilliseconds: max(0, min(50, Int(((wakeAt - now) * 1000).rounded(.up)))))
            if ready[0].contains(.readable) {
                while let routed = try ingest.tryReceive(), let peer = routed.first {
                    let message = Array(routed.dropFirst())
                    switch Incoming(message) {
                    case let .frame(frame):
                        summary.received += 1
                        drop(frame.droppedBefore)
                        if frames.count >= maximumQueued {
                            frames.removeFirst()
                            drop(1)
                        }
                        frames.append(frame)
                    case .control(.bye):
                        let answer = ControlMessage.bye(.init(peerID: config.nodeID, reason: "end of stream received"))
                        _ = try ingest.trySend([peer, MessageKind.control.tag, answer.serialized()])
                        if endOfStreamDeadline == nil {
                            log.info("ingest reached the end of its stream; draining")
                            endOfStreamDeadline = PipelineClock.seconds() + config.drainTimeoutSeconds
                        }
                    case .control, .other:
                        summary.malformedMessages += 1
                        log.warning("ignoring an unexpected message from ingest")
                    case let .malformed(reason):
                        summary.malformedMessages += 1
                        log.warning("ignoring a malformed message from ingest", ["error": reason])
                    }
                }
            }
            if ready[1].contains(.readable) {
                while let message = try dealer.tryReceive() {
                    switch Incoming(message) {
                    case let .control(.credit(credit)):
                        credited = true
                        let returned = min(Int(credit.grants), inFlight)
                        inFlight -= returned
                        credits += Int(credit.grants)
                        if credits + inFlight > window {
                            log.warning("broker granted past the window; keeping the window", ["grants": credit.grants])
                            credits = window - inFlight
                        }
                    case let .control(.bye(bye)):
                        // Before the first Credit of a session a Hello is on its way already: it starts the session.
                        if credited {
                            endSession(bye.reason)
                        } else {
                            summary.refusals += 1
                            let now = PipelineClock.seconds()
                            if bye.reason != lastRefusal.reason || now - lastRefusal.loggedAt >= 30 {
                                lastRefusal = (bye.reason, now)
                                log.warning("the edge has not taken this node on; saying hello again", ["reason": bye.reason])
                            }
                        }
                    case .control(.heartbeat):
                        break
                    case let .malformed(reason):
                        summary.malformedMessages += 1
                        log.warning("ignoring a malformed message from the edge", ["error": reason])
                    default:
                        summary.malformedMessages += 1
                        log.warning("ignoring an unexpected message from the edge")
                    }
                }
            }
        }

        // Frames still held never become latents: count them.
        if !frames.isEmpty || !outbox.isEmpty {
            summary.dropped += UInt64(frames.count + outbox.count)
            log.warning("exiting with frames not sent", ["held": frames.count, "unsent": outbox.count])
        }
        summary.unreturnedCredits = inFlight + outbox.count
        try sendControl(.bye(.init(peerID: config.nodeID, reason: StopSignal.isRequested ? "signal" : "end of stream")))
        log.info("finished: \(summary)")
        return summary
    }
}

/// One message from a socket carrying `[kind][protobuf]`, parsed by its tag.
enum Incoming {
    case frame(FrameMessage)
    case control(ControlMessage)
    case other(MessageKind)
    case malformed(String)

    init(_ frames: [[UInt8]]) {
        guard frames.count == 2, let kind = MessageKind(tag: frames[0]) else {
            self = .malformed("expected [kind][protobuf], got \(frames.count) frames")
            return
        }
        do {
            switch kind {
            case .frame: self = .frame(try FrameMessage(serialized: frames[1]))
            case .control: self = .control(try ControlMessage(serialized: frames[1]))
            default: self = .other(kind)
            }
        } catch {
            self = .malformed("\(error)")
        }
    }
}
