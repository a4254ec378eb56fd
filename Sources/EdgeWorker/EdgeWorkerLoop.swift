import Foundation
import Shared

#if canImport(Glibc)
    import Glibc
#endif

/// `ladon-edge worker`: one worker process of the broker's pool (docs/pipeline.md). Its I/O thread owns
/// a DEALER (routing id `PeerRoute.routingID(for: worker id)`) to the broker's backend: Hello{role: worker} and Ready{capacity: 1},
/// then one Job at a time, each answered by an Answer (the Result, its timings starting with the Job's
/// stages before the worker) that also says it is ready again. Compute runs
/// on a second thread reached through an inproc PAIR, so Heartbeats keep flowing every 500 ms while a
/// frame is computed.
public final class EdgeWorkerLoop {
    public struct Configuration: Sendable {
        public var connect: String
        public var workerID: String
        public var heartbeatIntervalSeconds = 0.5
        /// An idle worker that hears nothing from the broker this long says hello again (a restarted broker).
        public var brokerSilenceSeconds = 3.0
        /// Keep each frame this long after computing it: emulates a slower edge for tests and capacity planning.
        public var holdMilliseconds = 0
        /// CURVE or plaintext; in CURVE mode only a broker holding `brokerKey` is spoken to.
        public var security = StageSecurity.local
        public var brokerKey: CurveKey?

        public init(connect: String, workerID: String) {
            self.connect = connect
            self.workerID = workerID
        }
    }

    public private(set) var frames = 0
    let configuration: Configuration
    let inference: EdgeInference
    let log: Logger

    public init(_ configuration: Configuration, inference: EdgeInference) {
        self.configuration = configuration
        self.inference = inference
        log = Logger(label: "ladon-edge.worker")
    }

    public func run(shouldStop: () -> Bool) throws(TransportError) {
        let context = try Context()
        let dealer = try context.socket(.dealer, lingerMilliseconds: 500)
        let compute = try context.socket(.pair)
        let inproc = "inproc://compute"
        do throws(TransportError) {
            try dealer.set(.routingID(PeerRoute.routingID(for: configuration.workerID)))
            try dealer.set(.maxMessageSize(bytes: MessageKind.receiveLimit(.job, .control)))
            try compute.bind(inproc)
            try configuration.security.secureClient(dealer, serverKey: configuration.brokerKey)
            try dealer.connect(configuration.connect)
        } catch {
            dealer.close()
            compute.close()
            context.close()
            throw error
        }
        let thread = ComputeThread(
            context: context, endpoint: inproc, inference: inference,
            holdMilliseconds: configuration.holdMilliseconds, log: log)
        thread.start()
        defer {
            dealer.close()
            compute.close()
            // Waits for the compute thread to close its socket (at once when idle, after its frame when busy).
            context.close()
        }

        let id = configuration.workerID
        func control(_ message: ControlMessage) throws(TransportError) {
            try dealer.send(Envelope(message).frames())
        }
        func greet() throws(TransportError) {
            try control(.hello(.init(peerID: id, role: .worker, model: inference.identity, incarnation: .random(in: 1 ... .max))))
            try control(.ready(.init(workerID: id, capacity: 1)))
        }
        try greet()
        log.info("worker started", ["worker": id, "broker": configuration.connect, "security": configuration.security])

        var poller = Poller()
        poller.add(dealer)
        poller.add(compute)
        var busy = false
        var rejections = InputRejections(log: log)
        var lastHeard = PipelineClock.seconds()
        var lastBeat = 0.0
        var beats: UInt64 = 0
        while !shouldStop() {
            let ready = try poller.poll(timeoutMilliseconds: 100)
            let now = PipelineClock.seconds()
            if ready[0].contains(.readable), let message = try dealer.tryReceive() {
                lastHeard = now
                if let envelope = rejections.envelope(message, socket: "broker") {
                    switch envelope.kind {
                    case .job:
                        if busy { log.warning("broker sent a job while one is computing; it waits", ["worker": id]) }
                        try compute.send([envelope.payload])
                        busy = true
                    case .control:
                        break  // the broker's heartbeat: heard, nothing to do
                    default:
                        rejections.record(reason: "unexpected_kind", socket: "broker", detail: "a \(envelope.kind.rawValue) message")
                    }
                }
            }
            if ready[1].contains(.readable), let message = try compute.tryReceive() {
                try dealer.send(Envelope(kind: .answer, payload: message[0]).frames())
                frames += 1
                busy = false
            }
            if now - lastBeat >= configuration.heartbeatIntervalSeconds {
                beats += 1
                try control(.heartbeat(.init(peerID: id, sequence: beats, timeMicroseconds: PipelineClock.wallMicroseconds())))
                lastBeat = now
            }
            if !busy, now - lastHeard > configuration.brokerSilenceSeconds {
                try greet()
                lastHeard = now
            }
        }
        try? control(.bye(.init(peerID: id, reason: "stopping")))
        // The peak resident memory: the model's packed weights and the largest frame's planned buffers.
        let peak = ProcessTable.ownPeakResidentBytes().map { String(format: "%.1f", Double($0) / 1_048_576) } ?? "-"
        log.info("worker stopped", ["worker": id, "frames": frames, "peak_rss_mb": peak])
    }
}

/// The worker's compute thread: receives Job bytes on an inproc PAIR, answers the Answer bytes.
/// Everything it captures is `Sendable`; its socket is created and closed on the thread itself.
private struct ComputeThread: Sendable {
    let context: Context
    let endpoint: String
    let inference: EdgeInference
    let holdMilliseconds: Int
    let log: Logger

    func start() {
        let body = self
        let thread = Thread { body.loop() }
        thread.start()
    }

    private func loop() {
        guard let socket = try? context.socket(.pair) else { return }
        defer { socket.close() }
        do throws(TransportError) {
            try socket.connect(endpoint)
            while true {
                let message = try socket.receive()
                try socket.send([answer(message.first ?? [])])
            }
        } catch {
            if !error.isContextTerminated { log.error("compute thread stopped", ["error": error]) }
        }
    }

    private func answer(_ bytes: [UInt8]) -> [UInt8] {
        let job: JobMessage
        let latent: LatentMessage
        do throws(WireError) {
            job = try JobMessage(serialized: bytes)
            latent = try LatentMessage(serialized: job.latent)
        } catch {
            return AnswerMessage(ResultMessage(unparsedFrom: "", bytes: bytes.count, error: "\(error)")).serialized()
        }
        var result: ResultMessage
        do throws(FrameError) {
            result = try inference.infer(latent)
            // Logits stay in this process: the wire carries the top classes.
            result.tasks.classification?.logits = nil
        } catch {
            log.warning("frame failed", ["node": latent.header.nodeID, "sequence": latent.header.sequence, "error": error])
            result = ResultMessage(failed: latent, error: "\(error)")
        }
        result.timings = job.stagesBefore + result.timings
        if job.keepsLatent { result.latent = job.latent }
        if holdMilliseconds > 0 { PipelineClock.sleep(milliseconds: holdMilliseconds) }
        return AnswerMessage(result).serialized()
    }
}
