import Foundation
import Shared

#if canImport(Glibc)
    import Glibc
#endif

/// `ladon-edge worker`: one worker process of the broker's pool (docs/pipeline.md). Its I/O thread owns
/// a DEALER (routing id `PeerRoute.routingID(for: worker id)`) to the broker's backend: Hello{role: worker}
/// and Ready{capacity: max batch}, then up to that many Jobs at a time, each answered by an Answer (the
/// Result, its timings starting with the Job's stages before the worker, and the Job's id) that frees
/// its slot. Jobs wait in a `FrameBatcher` until the compute thread is free and the batching rule says
/// go (with a max batch of 1, at once: one frame at a time). Compute runs on a second thread reached
/// through an inproc PAIR (`WorkerComputeThread`), so Heartbeats keep flowing every 500 ms while a
/// batch is computed.
public final class EdgeWorkerLoop {
    public struct Configuration: Sendable {
        public var connect: String
        public var workerID: String
        public var heartbeatIntervalSeconds = 0.5
        /// An idle worker that hears nothing from the broker this long says hello again (a restarted broker).
        public var brokerSilenceSeconds = 3.0
        /// Keep each batch this long after computing it: emulates a slower edge for tests and capacity planning.
        public var holdMilliseconds = 0
        /// Frames computed together at most (stacked when their latents have one shape); 1 batches nothing.
        public var maxBatch = 1
        /// The longest a waiting frame waits for others to fill its batch.
        public var batchWaitMilliseconds = 2
        /// What `--max-batch` and `--batch-wait-ms` accept.
        public static let maxBatchRange = 1...16
        public static let batchWaitRange = 0...1000
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
        let thread = WorkerComputeThread(
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
            try control(.ready(.init(workerID: id, capacity: UInt32(configuration.maxBatch))))
        }
        try greet()
        log.info(
            "worker started",
            [
                "worker": id, "broker": configuration.connect, "security": configuration.security, "max_batch": configuration.maxBatch,
                "batch_wait_ms": configuration.batchWaitMilliseconds,
            ])

        var poller = Poller()
        poller.add(dealer)
        poller.add(compute)
        var batcher = FrameBatcher<[UInt8]>(
            maxBatch: configuration.maxBatch, waitSeconds: Double(configuration.batchWaitMilliseconds) / 1000)
        var computing = 0
        var batches = 0
        var rejections = InputRejections(log: log)
        var lastHeard = PipelineClock.seconds()
        var lastBeat = 0.0
        var beats: UInt64 = 0
        while !shouldStop() {
            // A frame waiting for partners wakes the loop when its wait runs out.
            let untilDeadline = computing == 0 ? batcher.deadline.map { ($0 - PipelineClock.seconds()) * 1000 } : nil
            let ready = try poller.poll(timeoutMilliseconds: untilDeadline.map { max(0, min(100, Int($0.rounded(.up)))) } ?? 100)
            let now = PipelineClock.seconds()
            // Everything the broker sent so far, so a batch sees every frame that already arrived.
            // (Bounded: a flood cannot keep the loop from its compute thread and heartbeats.)
            for _ in 0..<256 where ready[0].contains(.readable) {
                guard let message = try dealer.tryReceive() else { break }
                lastHeard = now
                guard let envelope = rejections.envelope(message, socket: "broker") else { continue }
                switch envelope.kind {
                case .job:
                    if computing + batcher.count >= configuration.maxBatch {
                        log.warning("broker sent more jobs than this worker's capacity; they wait", ["worker": id])
                    }
                    let shape = configuration.maxBatch > 1 ? Self.latentShape(envelope.payload) : []
                    batcher.add(envelope.payload, shape: shape, now: now)
                case .control:
                    break  // the broker's heartbeat: heard, nothing to do
                default:
                    rejections.record(reason: "unexpected_kind", socket: "broker", detail: "a \(envelope.kind.rawValue) message")
                }
            }
            if ready[1].contains(.readable), let answers = try compute.tryReceive() {
                for answer in answers { try dealer.send(Envelope(kind: .answer, payload: answer).frames()) }
                frames += answers.count
                computing = 0
            }
            if computing == 0, let batch = batcher.take(now: PipelineClock.seconds()) {
                try compute.send(batch)
                computing = batch.count
                batches += 1
            }
            if now - lastBeat >= configuration.heartbeatIntervalSeconds {
                beats += 1
                try control(.heartbeat(.init(peerID: id, sequence: beats, timeMicroseconds: PipelineClock.wallMicroseconds())))
                lastBeat = now
            }
            if computing == 0, batcher.isEmpty, now - lastHeard > configuration.brokerSilenceSeconds {
                try greet()
                lastHeard = now
            }
        }
        try? control(.bye(.init(peerID: id, reason: "stopping")))
        // The peak resident memory: the model's packed weights and the largest frame's planned buffers.
        let peak = ProcessTable.ownPeakResidentBytes().map { String(format: "%.1f", Double($0) / 1_048_576) } ?? "-"
        log.info(
            "worker stopped",
            ["worker": id, "frames": frames, "batches": batches, "peak_rss_mb": peak, "onednn_refusals": Compute.oneDNNRefusalCount])
    }

    /// The latent shape a Job's bytes declare, which decides the batch it can join; `nil` when they do
    /// not parse (the compute thread answers that frame with the error).
    static func latentShape(_ jobBytes: [UInt8]) -> [Int]? {
        guard let job = try? JobMessage(serialized: jobBytes), let latent = try? LatentMessage(serialized: job.latent) else { return nil }
        return latent.latentShape
    }
}
