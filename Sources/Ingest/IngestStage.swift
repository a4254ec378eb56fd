import Shared

#if canImport(Glibc)
    import Glibc
#endif

/// `ladon-ingest`: reads frames from a source, paces them, and sends `frame` messages to one encoder.
///
/// Freshest-frame semantics (docs/pipeline.md): the DEALER socket has SNDHWM 1 and sends do not block;
/// when the encoder is not taking frames, ingest keeps only the newest frame and counts the ones it
/// replaced in `dropped_before`. An on-demand source (files) without `--fps` is the exception: nothing
/// is captured until the encoder takes the previous frame, so nothing is dropped.
/// At the end of the source (or `--count`, or a signal) ingest sends `control` Bye{peer_id: node id,
/// reason: "end of stream"}, the encoder's cue that this node's stream is over, and exits once the
/// encoder answers it with a Bye of its own (or the finish timeout passes).
///
/// Why the answer: a message libzmq has accepted, even written to the kernel, is not yet delivered.
/// When the encoder is busy (encoding) its ROUTER's queue can be at the high-water mark, and libzmq
/// then stops reading the connection; if ingest exits meanwhile, a Unix-domain socket (ipc://) reports
/// the hang-up at once and libzmq drops the connection with the bytes still unread in it: the last
/// frames and the Bye. Linger cannot help (it only covers ingest's own queue). TCP reports no hang-up
/// on a clean close, so there the unread bytes survive; the answer makes both reliable.
public struct IngestStage {
    public struct Configuration: Sendable {
        public var endpoint: String
        public var nodeID: String
        /// Frames per second; 0 takes frames as fast as the source gives them.
        public var framesPerSecond: Double
        /// Stop after this many frames taken from the source.
        public var count: Int?
        /// How long the last frame and the Bye may wait for the encoder at the end.
        public var finishTimeoutSeconds: Double
        /// Each frame's capture, hand-over or drop, for a history check (`--history`).
        public var history: HistoryLog?
        /// The Prometheus series this stage keeps up to date (`--metrics`).
        public var metrics: IngestSeries?

        public init(
            endpoint: String, nodeID: String, framesPerSecond: Double = 0, count: Int? = nil,
            finishTimeoutSeconds: Double = 5
        ) {
            self.endpoint = endpoint
            self.nodeID = nodeID
            self.framesPerSecond = framesPerSecond
            self.count = count
            self.finishTimeoutSeconds = finishTimeoutSeconds
        }
    }

    public struct Summary: Sendable, CustomStringConvertible {
        public var captured = 0
        public var sent = 0
        public var dropped = 0
        public var bytes = 0
        /// Messages from the encoder that were not what it may send.
        public var refused = 0
        /// The encoder answered the end-of-stream Bye, so it has every frame sent before it.
        public var byeDelivered = false

        public var description: String {
            "frames captured=\(captured) sent=\(sent) dropped=\(dropped) bytes=\(bytes) refused=\(refused) bye=\(byeDelivered ? "answered" : "lost")"
        }
    }

    let configuration: Configuration
    let log: Logger

    public init(_ configuration: Configuration) {
        self.configuration = configuration
        log = Logger(label: "ladon-ingest[\(configuration.nodeID)]")
    }

    /// Runs until the source ends, `count` frames, or `shouldStop` (checked at least every 50 ms).
    public func run(source: inout some FrameSource, shouldStop: @escaping () -> Bool) throws -> Summary {
        let context = try Context()
        defer { context.close() }
        let encoder = try context.socket(.dealer, lingerMilliseconds: Int(min(configuration.finishTimeoutSeconds, 3600) * 1000))
        defer { encoder.close() }
        try encoder.set(.sendHighWaterMark(messages: 1))
        try encoder.set(.maxMessageSize(bytes: MessageKind.receiveLimit(.control)))
        try encoder.connect(configuration.endpoint)

        var summary = Summary()
        var rejections = InputRejections(log: log)
        rejections.exported = configuration.metrics?.refusedMessages
        var pending: FrameMessage?
        let interval = configuration.framesPerSecond > 0 ? 1 / configuration.framesPerSecond : 0
        let blocking = source.isOnDemand && interval == 0
        var nextCapture = PipelineClock.seconds()
        let stop = shouldStop

        /// Tries to hand the pending frame over, waiting at most until `deadline`.
        func flush(until deadline: Double) throws {
            while let frame = pending {
                let envelope = Envelope(frame)
                if try encoder.trySend(envelope.frames()) {
                    configuration.history?.record("sent", node: frame.header.nodeID, sequence: frame.header.sequence)
                    summary.sent += 1
                    summary.bytes += envelope.payload.count
                    configuration.metrics?.sent.increment()
                    configuration.metrics?.sentBytes.increment(by: Double(envelope.payload.count))
                    pending = nil
                    return
                }
                let left = deadline - PipelineClock.seconds()
                if left <= 0 || stop() { return }
                var poller = Poller()
                poller.add(encoder, events: .writable)
                _ = try poller.poll(timeoutMilliseconds: max(1, Int(min(left, 0.05) * 1000)))
            }
        }

        while !stop() {
            if let limit = configuration.count, summary.captured >= limit { break }
            if interval > 0 {
                try flush(until: nextCapture)
                let wait = nextCapture - PipelineClock.seconds()
                if wait > 0 { PipelineClock.sleep(seconds: wait, unless: stop) }
                // Behind schedule (a slow read): start again from now rather than bursting to catch up.
                nextCapture = max(nextCapture + interval, PipelineClock.seconds())
            }
            guard let frame = try source.next(shouldStop: stop) else { break }
            let dropped = pending.map { $0.header.droppedBefore + 1 } ?? 0
            if let replaced = pending {
                summary.dropped += 1
                configuration.metrics?.dropped.labels("superseded").increment()
                configuration.history?.record("dropped", node: replaced.header.nodeID, sequence: replaced.header.sequence, ["reason": "superseded"])
            }
            let header = FrameHeader(
                nodeID: configuration.nodeID, sequence: UInt64(summary.captured),
                captureTimeMicroseconds: PipelineClock.wallMicroseconds(), source: frame.name, droppedBefore: dropped)
            pending = FrameMessage(header: header, jpeg: frame.jpeg)
            configuration.history?.record("captured", node: header.nodeID, sequence: header.sequence)
            summary.captured += 1
            configuration.metrics?.captured.increment()
            try flush(until: blocking ? .infinity : PipelineClock.seconds())
        }

        let deadline = PipelineClock.seconds() + configuration.finishTimeoutSeconds
        try flush(until: deadline)
        if let last = pending {
            summary.dropped += 1
            configuration.metrics?.dropped.labels("unsent_at_exit").increment()
            configuration.history?.record("dropped", node: last.header.nodeID, sequence: last.header.sequence, ["reason": "unsent_at_exit"])
            log.warning("the encoder did not take the last frame before the finish timeout")
        }
        let bye = ControlMessage.bye(.init(peerID: configuration.nodeID, reason: "end of stream"))
        if try sendControl(bye, on: encoder, until: deadline) {
            summary.byeDelivered = try awaitAnswer(on: encoder, until: deadline, rejections: &rejections)
        }
        summary.refused = rejections.total
        if !summary.byeDelivered { log.warning("the encoder did not answer the end-of-stream Bye before the finish timeout") }
        log.info("finished: \(summary) \(source.report)")
        return summary
    }

    /// Waits for the encoder's Bye answering ours: it has then read every message sent before.
    private func awaitAnswer(on socket: Socket, until deadline: Double, rejections: inout InputRejections) throws -> Bool {
        while true {
            while let message = try socket.tryReceive() {
                do throws(WireError) {
                    if case .bye = try Envelope(frames: message).decode(ControlMessage.self) { return true }
                } catch {
                    rejections.record(error, socket: "encoder")
                }
            }
            let left = deadline - PipelineClock.seconds()
            if left <= 0 { return false }
            var poller = Poller()
            poller.add(socket)
            _ = try poller.poll(timeoutMilliseconds: max(1, Int(min(left, 0.1) * 1000)))
        }
    }

    private func sendControl(_ message: ControlMessage, on socket: Socket, until deadline: Double) throws -> Bool {
        let wire = Envelope(message).frames()
        while true {
            if try socket.trySend(wire) { return true }
            let left = deadline - PipelineClock.seconds()
            if left <= 0 { return false }
            var poller = Poller()
            poller.add(socket, events: .writable)
            _ = try poller.poll(timeoutMilliseconds: max(1, Int(min(left, 0.1) * 1000)))
        }
    }
}
