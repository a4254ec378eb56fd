import Shared

/// `ladon-edge serve`: the edge broker of docs/pipeline.md. One I/O thread owns three sockets:
/// - frontend ROUTER (mobile nodes' DEALERs, one route per node process, see PeerRoute): Hello,
///   Heartbeat, Bye, latents in; Credit out, one credit back per answered latent;
/// - backend ROUTER (workers' DEALERs): Hello, Ready, Heartbeat and Answers in; Jobs (a latent as it
///   arrived, with the time it spent before the worker and a job id the Answer repeats) and heartbeats
///   out, as many Jobs per worker at a time as its Ready's capacity (1 unless it batches);
/// - sink PUSH (SinkLink): every Result, a worker's forwarded as its bytes arrived, error Results included.
/// The rules live in small types tested without sockets: `NodeSessions` (node ids, sessions and each
/// node's `CreditLedger`), `CreditPolicy`, `Dispatcher` (queues, round-robin, workers, retries). These
/// extensions only move messages between them and the sockets: Broker+Nodes the frontend, Broker+Workers
/// the backend.
/// A worker silent for `heartbeatTimeoutSeconds`, or a local one whose process exited, is dead: each
/// latent it held goes to another worker once, and is answered with an error Result if that fails too. Nothing
/// credited is dropped without a Result.
/// Node sessions: a node that reconnects (its DEALER's probe, an empty message, arrives first on every
/// new connection) or that the broker does not know (a restarted broker) is sent a Bye asking it to
/// start a new session; its credit is held back until its next Hello, which resets its ledger, so
/// latents lost with the old connection cannot starve it.
/// Node ids: a node id belongs to one process (route) at a time. A Hello for the id from another route
/// takes the id over when its holder is gone (said Bye, fell silent, or its connection closed: a crashed
/// and restarted node) and is refused with a Bye while the holder is alive (a duplicate id).
public final class Broker {
    public struct Configuration: Sendable {
        public var frontend: String
        public var backend: String = "tcp://127.0.0.1:*"
        public var sink: String
        public var heartbeatTimeoutSeconds = 3.0
        public var heartbeatIntervalSeconds = 1.0
        /// Latents waiting this long while no worker is connected are answered with an error Result.
        public var noWorkerTimeoutSeconds = 10.0
        /// Workers put each Latent's bytes into its Result, for the sink to store (`--keep-latents`).
        public var keepsLatents = false
        /// Latent messages larger than this are refused with an error Result; libzmq cuts off peers
        /// sending more than twice this (ZMQ_MAXMSGSIZE) before the broker sees the bytes, and the
        /// node then recovers through a new session.
        public var maximumLatentBytes = LatentMessage.maximumSize
        /// A node is asked for a new session at most this often.
        public var sessionRequestIntervalSeconds = 1.0
        /// CURVE or plaintext (docs/security.md). In CURVE mode the frontend lets in the node keys of
        /// `allowedNodes`, each node held to the node id its key names, the backend the worker keys of
        /// `allowedWorkers`, and the sink must hold `sinkKey`; the lists are read again every
        /// `keyReloadIntervalSeconds`, and a key no longer listed loses its session at once.
        public var security = StageSecurity.local
        public var allowedNodes: AllowList?
        public var allowedWorkers: AllowList?
        public var sinkKey: CurveKey?
        public var keyReloadIntervalSeconds = 1.0
        /// The Prometheus series this broker keeps up to date (`--metrics`).
        public var metrics: BrokerSeries?

        public init(frontend: String, sink: String) {
            self.frontend = frontend
            self.sink = sink
        }
    }

    let configuration: Configuration
    let identity: ModelIdentity
    let log = Logger(label: "ladon-edge.serve")
    var summary = BrokerSummary()
    var nodes: NodeSessions
    var dispatcher = Dispatcher()
    var rejections: InputRejections
    /// Names of local workers whose process exited, retired on the next turn.
    var exitedWorkers: [String] = []
    /// Local worker processes started again (`LocalWorkers.respawned`), set by whoever supervises them.
    public var respawnedWorkers = 0
    var lastHeartbeat = 0.0
    var lastKeyReload = 0.0
    /// In CURVE mode: the handler that authenticates both server sockets, and their failed handshakes.
    let zap: ZAPHandler?
    let handshakes = HandshakeWatch()

    let context: Context
    let frontend: Socket
    let backend: Socket
    let sink: SinkLink
    /// The endpoints as bound (a `*` port resolved), for workers and the log.
    public let frontendEndpoint: String
    public let backendEndpoint: String

    /// Binds the frontend and backend and connects the sink; `identity` is the model this edge serves.
    public init(_ configuration: Configuration, identity: ModelIdentity) throws(TransportError) {
        self.configuration = configuration
        self.identity = identity
        nodes = NodeSessions(sessionRequestInterval: configuration.sessionRequestIntervalSeconds)
        rejections = InputRejections(log: log)
        rejections.exported = configuration.metrics?.refusedMessages
        context = try Context()
        let security = configuration.security
        // Bound before any server socket, as libzmq asks of a ZAP handler.
        zap =
            security.isCurve
            ? try ZAPHandler(
                context: context,
                domains: [Self.nodeDomain: configuration.allowedNodes, Self.workerDomain: configuration.allowedWorkers].compactMapValues { $0 })
            : nil
        // A little linger so the Byes sent to nodes at shutdown leave before the socket closes.
        frontend = try context.socket(.router, lingerMilliseconds: 500)
        backend = try context.socket(.router)
        try security.secureServer(frontend, domain: Self.nodeDomain)
        try security.secureServer(backend, domain: Self.workerDomain)
        if security.isCurve {
            try handshakes.watch(frontend, name: "frontend")
            try handshakes.watch(backend, name: "backend")
        }
        try frontend.set(.routerMandatory(true))
        try frontend.set(.routerHandover(true))
        // Per message part: the latent part is the whole serialized Latent, which maximumLatentBytes limits.
        try frontend.set(.maxMessageSize(bytes: 2 * configuration.maximumLatentBytes))
        try backend.set(.routerMandatory(true))
        try backend.set(.routerHandover(true))
        try backend.set(.maxMessageSize(bytes: MessageKind.receiveLimit(.answer, .control)))
        frontendEndpoint = try frontend.bind(configuration.frontend)
        backendEndpoint = try backend.bind(configuration.backend)
        sink = try SinkLink(context, endpoint: configuration.sink, security: security, serverKey: configuration.sinkKey)
    }

    /// The ZAP domains of the two server sockets.
    static let nodeDomain = "ladon-nodes"
    static let workerDomain = "ladon-workers"

    /// What the broker counted so far; its `line` is the summary printed at exit.
    public var report: BrokerSummary {
        var report = summary
        report.malformed = rejections.count(socket: "frontend")
        report.workerMalformed = rejections.count(socket: "backend")
        report.sinkDisconnects = sink.disconnects
        report.sinkDropped = sink.dropped
        report.respawnedWorkers = respawnedWorkers
        report.authRefused = zap?.counts.refusedTotal ?? 0
        report.handshakeFailures = handshakes.counts.protocolFailures
        return report
    }

    /// Serves until `shouldStop` says so (checked every 50 ms), then answers every latent still owed
    /// with an error Result, flushes the sink and closes the sockets. `housekeeping` runs once per turn
    /// on this thread (the serve command supervises its local workers there).
    public func run(shouldStop: () -> Bool, housekeeping: () -> Void = {}) throws(TransportError) {
        var poller = Poller()
        poller.add(frontend)
        poller.add(backend)
        log.info(
            "serving",
            [
                "frontend": frontendEndpoint, "backend": backendEndpoint, "sink": configuration.sink, "model": identity,
                "security": configuration.security,
            ])
        while !shouldStop() {
            let ready = try poller.poll(timeoutMilliseconds: 50)
            let now = PipelineClock.seconds()
            if ready[0].contains(.readable) {
                try drain(frontend) { (message, user) throws(TransportError) in try frontendMessage(message, user: user, now) }
            }
            if ready[1].contains(.readable) {
                try drain(backend) { (message, user) throws(TransportError) in try backendMessage(message, user: user, now) }
            }
            try checkKeys(now)
            try checkWorkers(now)
            try dispatch(now)
            try sink.flush()
            housekeeping()
            try retireExitedWorkers(now)
            configuration.metrics?.update(from: self, now)
        }
        try shutDown()
    }

    /// Called with the worker id (without its route token) of each worker declared dead for its silence: a local one is hung (stopped, stuck)
    /// rather than gone, and the supervisor kills it so that it is started again (`LocalWorkers.kill`).
    public var workerFellSilent: (String) -> Void = { _ in }

    /// A local worker's process exited (`LocalWorkers.supervise`); called from `housekeeping`.
    public func workerProcessExited(_ workerName: String) {
        exitedWorkers.append(workerName)
    }

    /// Hands each waiting message to `handle` with its sender's User-Id (the key's name in CURVE mode).
    func drain(_ socket: Socket, _ handle: ([[UInt8]], String?) throws(TransportError) -> Void) throws(TransportError) {
        // Bounded so one busy socket cannot starve the other.
        for _ in 0..<256 {
            guard let (message, user) = try socket.tryReceiveWithUserID() else { return }
            try handle(message, user)
        }
    }

    /// CURVE mode: reads the allow-lists again every `keyReloadIntervalSeconds`; a node or worker whose key
    /// left its list loses its session now (ZAP only sees new handshakes; this cuts the live ones).
    func checkKeys(_ now: Double) throws(TransportError) {
        try handshakes.poll()
        guard configuration.security.isCurve, now - lastKeyReload >= configuration.keyReloadIntervalSeconds else { return }
        lastKeyReload = now
        let (revokedNodes, revokedWorkers) = (reload(configuration.allowedNodes), reload(configuration.allowedWorkers))
        for name in revokedNodes { try revokeNode(name, now) }
        for name in revokedWorkers {
            for worker in dispatcher.workers(withUser: name) { try removeWorker(worker.id, reason: "key revoked", now) }
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

    // MARK: Sink

    /// Forwards the Result owed for an accepted latent and returns the node's credit.
    func answer(_ job: PendingLatent, resultBytes: [UInt8], failed: Bool, _ now: Double) throws(TransportError) {
        push(resultBytes, nodeID: job.nodeID, sequence: job.latent.header.sequence, failed: failed)
        if nodes.settle(job.ticket) { try topUp(job.nodeID, now) }
    }

    /// Answers an accepted latent with an error Result made here.
    func fail(_ job: PendingLatent, _ error: String, stagesBefore: [StageTiming], _ now: Double) throws(TransportError) {
        let result = ResultMessage(failed: job.latent, error: error, stagesBefore: stagesBefore)
        try answer(job, resultBytes: result.serialized(), failed: true, now)
    }

    func answerUnparsed(from sender: String, bytes: Int, error: String) {
        push(ResultMessage(unparsedFrom: sender, bytes: bytes, error: error).serialized(), nodeID: sender, sequence: 0, failed: true)
    }

    /// Answers a latent refused before it was queued (no session, no credit) with an error Result for its
    /// frame when its bytes parse, so the node's history shows which frame it was; otherwise as unparsed.
    func answerRefused(_ bytes: [UInt8], from sender: String, error: String) {
        guard bytes.count <= configuration.maximumLatentBytes, var latent = try? LatentMessage(serialized: bytes) else {
            answerUnparsed(from: sender, bytes: bytes.count, error: error)
            return
        }
        latent.header.nodeID = sender
        push(ResultMessage(failed: latent, error: error).serialized(), nodeID: sender, sequence: latent.header.sequence, failed: true)
    }

    func push(_ resultBytes: [UInt8], nodeID: String, sequence: UInt64, failed: Bool) {
        summary.count(nodeID: nodeID, failed: failed)
        log.debug("result", ["node": nodeID, "sequence": sequence, "failed": failed])
        sink.enqueue(Envelope(kind: .result, payload: resultBytes).frames())
    }

    func shutDown() throws(TransportError) {
        let now = PipelineClock.seconds()
        for job in dispatcher.takeAll() {
            try fail(job, "edge shut down before answering", stagesBefore: job.stagesBefore(job.attempts > 0 ? job.dispatchedAt : now), now)
        }
        // Nodes start a new session with the next broker at once instead of waiting for credits.
        for id in nodes.order {
            guard let node = nodes[id], !node.departed else { continue }
            _ = try? tell(node.route, .bye(.init(peerID: "edge", reason: "edge shutting down")))
        }
        try sink.close(within: 2)
        // Every socket of the context closes before it can end (the monitors' readers too).
        handshakes.close()
        frontend.close()
        backend.close()
        context.close()
    }
}
