/// `ladon-edge serve`: the edge broker of docs/pipeline.md. One I/O thread owns three sockets:
/// - frontend ROUTER (mobile nodes' DEALERs, one route per node process, see PeerRoute): Hello,
///   Heartbeat, Bye, latents in;
///   Credit out, one credit back per answered latent (CreditPolicy);
/// - backend ROUTER (workers' DEALERs, routing id = worker id): Hello, Ready, Heartbeat, results in;
///   latents and heartbeats out, one latent per worker at a time, nodes served round-robin;
/// - sink PUSH (SinkLink): every Result, error Results included.
/// A worker silent for `heartbeatTimeoutSeconds`, or a local one whose process exited, is dead: its
/// latent goes to another worker once, and is answered with an error Result if that fails too. Nothing credited is dropped without a Result.
/// Node sessions: a node that reconnects (its DEALER's probe, an empty message, arrives first on every
/// new connection) or that the broker does not know (a restarted broker) is sent a Bye asking it to
/// start a new session; its credit is held back until its next Hello, which resets the bookkeeping
/// (NodeEntry), so latents lost with the old connection cannot starve it.
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
        /// Latent messages larger than this are refused with an error Result; libzmq cuts off peers
        /// sending more than twice this (ZMQ_MAXMSGSIZE) before the broker sees the bytes, and the
        /// node then recovers through a new session.
        public var maximumLatentBytes = LatentMessage.maximumSize
        /// A node is asked for a new session at most this often.
        public var sessionRequestIntervalSeconds = 1.0

        public init(frontend: String, sink: String) {
            self.frontend = frontend
            self.sink = sink
        }
    }

    let configuration: Configuration
    let identity: ModelIdentity
    let log = Logger(label: "ladon-edge.serve")
    public private(set) var summary = BrokerSummary()

    private let context: Context
    private let frontend: Socket
    private let backend: Socket
    private let sink: SinkLink
    /// The endpoints as bound (a `*` port resolved), for workers and the log.
    public let frontendEndpoint: String
    public let backendEndpoint: String

    /// By node id.
    private var nodes: [String: NodeEntry] = [:]
    /// The node id each node's current route holds.
    private var nodeByRoute: [String: String] = [:]
    private var nodeOrder: [String] = []
    /// When each route was last asked for a new session.
    private var sessionRequests: [String: Double] = [:]
    /// Routes refused for claiming a node id held by another live process, and when that was last logged.
    private var refusedRoutes: [String: Double] = [:]
    private var nextNode = 0
    private var workers: [String: WorkerEntry] = [:]
    private var readyWorkers: [String] = []
    /// Ids of local workers whose process exited, retired on the next turn.
    private var exitedWorkers: [String] = []
    private var lastHeartbeat = 0.0

    /// Binds the frontend and backend and connects the sink; `identity` is the model this edge serves.
    public init(_ configuration: Configuration, identity: ModelIdentity) throws(TransportError) {
        self.configuration = configuration
        self.identity = identity
        context = try Context()
        // A little linger so the Byes sent to nodes at shutdown leave before the socket closes.
        frontend = try context.socket(.router, lingerMilliseconds: 500)
        backend = try context.socket(.router)
        try frontend.set(.routerMandatory(true))
        try frontend.set(.routerHandover(true))
        // Per message part: the latent part is the whole serialized Latent, which maximumLatentBytes limits.
        try frontend.set(.maxMessageSize(bytes: 2 * configuration.maximumLatentBytes))
        try backend.set(.routerMandatory(true))
        try backend.set(.routerHandover(true))
        try backend.set(.maxMessageSize(bytes: ResultMessage.maximumSize + 4096))
        frontendEndpoint = try frontend.bind(configuration.frontend)
        backendEndpoint = try backend.bind(configuration.backend)
        sink = try SinkLink(context, endpoint: configuration.sink)
    }

    /// Serves until `shouldStop` says so (checked every 50 ms), then answers every latent still owed
    /// with an error Result, flushes the sink and closes the sockets. `housekeeping` runs once per turn
    /// on this thread (the serve command supervises its local workers there).
    public func run(shouldStop: () -> Bool = { StopSignal.isRequested }, housekeeping: () -> Void = {}) throws(TransportError) {
        var poller = Poller()
        poller.add(frontend)
        poller.add(backend)
        log.info("serving", ["frontend": frontendEndpoint, "backend": backendEndpoint, "sink": configuration.sink,
                             "model": identity])
        while !shouldStop() {
            let ready = try poller.poll(timeoutMilliseconds: 50)
            let now = PipelineClock.seconds()
            if ready[0].contains(.readable) { try drain(frontend) { (message) throws(TransportError) in try frontendMessage(message, now) } }
            if ready[1].contains(.readable) { try drain(backend) { (message) throws(TransportError) in try backendMessage(message, now) } }
            try checkWorkers(now)
            try dispatch(now)
            try sink.flush()
            summary.sinkDisconnects = sink.disconnects
            summary.sinkDropped = sink.dropped
            housekeeping()
            try retireExitedWorkers(now)
        }
        try shutDown()
    }

    /// A local worker's process exited (`LocalWorkers.supervise`); called from `housekeeping`.
    public func workerProcessExited(_ workerID: String) {
        exitedWorkers.append(workerID)
    }

    private func drain(_ socket: Socket, _ handle: ([[UInt8]]) throws(TransportError) -> Void) throws(TransportError) {
        // Bounded so one busy socket cannot starve the other.
        for _ in 0 ..< 256 {
            guard let message = try socket.tryReceive() else { return }
            try handle(message)
        }
    }

    // MARK: Frontend: mobile nodes

    private func frontendMessage(_ message: [[UInt8]], _ now: Double) throws(TransportError) {
        let route = String(decoding: message[0], as: UTF8.self)
        if message.count == 2 && message[1].isEmpty {
            try nodeConnected(route, now)
            return
        }
        guard message.count == 3, let kind = MessageKind(tag: message[1]) else {
            summary.malformed += 1
            log.warning("malformed message from a node", ["route": route, "frames": message.count])
            return
        }
        if let id = nodeByRoute[route] { nodes[id]?.lastSeen = now }
        switch kind {
        case .control:
            let control: ControlMessage
            do throws(WireError) {
                control = try ControlMessage(serialized: message[2])
            } catch {
                summary.malformed += 1
                log.warning("malformed control message from a node", ["route": route, "error": error])
                return
            }
            try nodeControl(control, from: route, now)
        case .latent:
            try latentArrived(message[2], from: route, now)
        case .frame, .result:
            summary.malformed += 1
            log.warning("unexpected message kind on the frontend", ["route": route, "kind": kind.rawValue])
        }
    }

    private func nodeControl(_ control: ControlMessage, from route: String, _ now: Double) throws(TransportError) {
        switch control {
        case let .hello(hello):
            guard hello.role == .node else {
                log.warning("hello with a non-node role on the frontend", ["route": route])
                return
            }
            try nodeHello(hello, from: route, now)
        case let .bye(bye):
            guard let id = nodeByRoute[route] else { return }  // a refused or replaced process leaving
            nodes[id]?.departed = true
            log.info("node left", ["node": id, "reason": bye.reason])
            try topUpAll(now)
        case .heartbeat:
            // A heartbeat from a node without a live session: its Bye was lost or it talked to an earlier broker.
            if nodeByRoute[route].flatMap({ nodes[$0] }).map({ $0.departed || $0.awaitingHello }) ?? true {
                try requestSession(route, reason: "no session for this node", now)
            }
        case .credit, .ready:
            log.warning("unexpected control message from a node", ["route": route])
        }
    }

    private func nodeHello(_ hello: ControlMessage.Hello, from route: String, _ now: Double) throws(TransportError) {
        let id = PeerRoute.isValid(hello.peerID) ? hello.peerID : PeerRoute.peerID(of: route)
        if id != hello.peerID { log.warning("hello with an invalid node id; using the route's", ["peer": hello.peerID, "route": route]) }
        if let model = hello.model, model != identity {
            log.warning("node encodes for another model; its latents will be refused", ["node": id, "model": model])
        }
        let window = max(1, Int(hello.window))
        guard var node = nodes[id] else {
            nodes[id] = NodeEntry(id: id, route: route, incarnation: hello.incarnation, window: window, lastSeen: now)
            nodeByRoute[route] = id
            nodeOrder.append(id)
            summary.perNode[id] = summary.perNode[id] ?? .init()
            log.info("node joined", ["node": id, "window": window])
            try topUpAll(now)
            return
        }
        if node.route != route {
            guard try !isHeld(node, now) else {
                try refuse(route, nodeID: id, holder: node.route, now)
                return
            }
            summary.nodeRestarts += 1
            log.info("node id taken over by a new process", ["node": id, "route": route, "previous_route": node.route,
                                                            "latents_of_old_process_queued": node.queue.count])
            nodeByRoute[node.route] = nil
            nodeByRoute[route] = id
            node.route = route
            refusedRoutes[route] = nil
        } else {
            // A repeated Hello of the current session (the node had no Credit yet): nothing to do.
            guard node.incarnation != hello.incarnation || node.departed || node.awaitingHello else { return }
            if node.incarnation != hello.incarnation && !node.departed {
                summary.nodeRestarts += 1
                log.info("node started a new session", ["node": id, "window": window,
                                                        "latents_of_old_session_queued": node.queue.count])
            } else {
                log.info("node rejoined", ["node": id, "window": window])
            }
        }
        // Latents of the old session still queued are answered as usual; their credits are not returned.
        node.startSession(incarnation: hello.incarnation, window: window)
        node.lastSeen = now
        nodes[id] = node
        try topUpAll(now)
    }

    /// Whether the process holding `node`'s id is still there: it has not said Bye, was heard from
    /// lately, and its connection is open (ROUTER_MANDATORY: a route without a connection is unroutable).
    /// A crashed process's connection closes at once, so its restart need not wait out the silence.
    private func isHeld(_ node: NodeEntry, _ now: Double) throws(TransportError) -> Bool {
        guard !node.departed, now - node.lastSeen < NodeEntry.staleAfterSeconds else { return false }
        let beat = ControlMessage.heartbeat(.init(peerID: "edge", sequence: 0, timeMicroseconds: PipelineClock.wallMicroseconds()))
        do throws(TransportError) {
            _ = try frontend.trySend([Array(node.route.utf8), MessageKind.control.tag, beat.serialized()])
            return true
        } catch where error.isUnroutable {
            return false
        }
    }

    /// A second live process claims a node id: it gets no credit, only a Bye saying why; its Hellos
    /// (repeated every second) take the id over once the holder is gone.
    private func refuse(_ route: String, nodeID: String, holder: String, _ now: Double) throws(TransportError) {
        if refusedRoutes[route] == nil { summary.duplicateNodeIDs += 1 }
        if now - (refusedRoutes[route] ?? -.infinity) >= 30 {
            refusedRoutes[route] = now
            log.warning("refused a node id held by another live process", ["node": nodeID, "route": route, "holder": holder])
        }
        let bye = ControlMessage.bye(.init(peerID: "edge", reason: "node id '\(nodeID)' is in use by another live process"))
        do throws(TransportError) {
            _ = try frontend.trySend([Array(route.utf8), MessageKind.control.tag, bye.serialized()])
        } catch where error.isUnroutable {}
    }

    private func latentArrived(_ bytes: [UInt8], from route: String, _ now: Double) throws(TransportError) {
        guard let id = nodeByRoute[route], var node = nodes[id], !node.departed else {
            let name = nodeByRoute[route] ?? PeerRoute.peerID(of: route)
            summary.unknownNode += 1
            log.warning("latent from a node that has not said hello", ["node": name, "route": route])
            answerUnparsed(from: name, bytes: bytes.count, error: "latent from node '\(name)' before its hello")
            try requestSession(route, reason: "no session for this node", now)
            return
        }
        // The node spent a credit on it, whatever it holds; the credit comes back with its Result.
        guard node.inBroker < node.outstanding else {
            summary.overWindow += 1
            log.warning("latent sent without credit", ["node": id, "outstanding": node.outstanding])
            answerUnparsed(from: id, bytes: bytes.count, error: "latent sent without credit (window \(node.window))")
            return
        }
        node.inBroker += 1
        nodes[id] = node
        let latent: LatentMessage
        do throws(WireError) {
            guard bytes.count <= configuration.maximumLatentBytes else {
                throw .tooLarge(message: "Latent", size: bytes.count, limit: configuration.maximumLatentBytes)
            }
            latent = try LatentMessage(serialized: bytes)
        } catch {
            if case .tooLarge = error { summary.oversized += 1 } else { summary.malformed += 1 }
            log.warning("refused a latent", ["node": id, "error": error])
            answerUnparsed(from: id, bytes: bytes.count, error: "\(error)")
            try returnCredit(to: id, incarnation: node.incarnation, now)
            return
        }
        var stamped = latent
        if latent.nodeID != id {
            log.warning("latent node id differs from the session's; using the session's", ["node": latent.nodeID, "session": id])
            stamped.nodeID = id
        }
        let pending = PendingLatent(nodeID: id, incarnation: node.incarnation, latent: stamped,
                                    bytes: latent.nodeID == id ? bytes : stamped.serialized(), arrivedAt: now,
                                    arrivedWallMicroseconds: PipelineClock.wallMicroseconds())
        guard latent.model == identity else {
            summary.modelMismatch += 1
            let error = InferenceError.modelMismatch(latent: latent.model, edge: identity)
            log.warning("refused a latent for another model", ["node": id, "sequence": latent.sequence])
            try answer(pending, ResultMessage(failed: stamped, error: "\(error)", stagesBefore: stagesBefore(pending, now)), now)
            return
        }
        nodes[id]?.queue.append(pending)
    }

    // MARK: Node sessions

    /// A node's DEALER opened a new connection (its probe). For a node with a live session, latents and
    /// credits may have been lost with the old connection (libzmq drops a peer that sends more than
    /// ZMQ_MAXMSGSIZE, a link fails): hold its credit and ask it for a new session.
    private func nodeConnected(_ route: String, _ now: Double) throws(TransportError) {
        // A new process (or a new node) says Hello next.
        guard let id = nodeByRoute[route], var node = nodes[id], !node.departed else { return }
        summary.nodeReconnects += 1
        node.awaitingHello = true
        node.lastSeen = now
        nodes[id] = node
        log.warning("node reconnected; asking it for a new session", ["node": id, "credits_outstanding": node.outstanding,
                                                                       "latents_in_broker": node.inBroker])
        try requestSession(route, reason: "connection replaced", now, force: true)
    }

    /// Sends the route a Bye: "this edge holds no session for you; say Hello again" (rate-limited).
    private func requestSession(_ route: String, reason: String, _ now: Double, force: Bool = false) throws(TransportError) {
        if !force, let last = sessionRequests[route], now - last < configuration.sessionRequestIntervalSeconds { return }
        sessionRequests[route] = now
        let bye = ControlMessage.bye(.init(peerID: "edge", reason: "\(reason): send hello"))
        do throws(TransportError) {
            _ = try frontend.trySend([Array(route.utf8), MessageKind.control.tag, bye.serialized()])
        } catch where error.isUnroutable {
            log.warning("cannot reach node to ask for a new session", ["route": route])
        }
    }

    // MARK: Credit

    private func allowance(_ node: NodeEntry, _ now: Double) -> Int {
        let active = nodes.values.filter { $0.isActive(at: now) }.count
        return CreditPolicy.allowance(window: node.window, liveWorkers: workers.count, activeNodes: active)
    }

    private func topUp(_ id: String, _ now: Double) throws(TransportError) {
        guard var node = nodes[id], !node.departed, !node.awaitingHello else { return }
        // A node's credit target only grows: every answered latent's credit comes back (the node reads a
        // Credit as "these in-flight latents are done"), and fairness under overload comes from dispatch.
        node.target = max(node.target, allowance(node, now))
        let grants = node.target - node.outstanding
        guard grants > 0 else {
            nodes[id] = node
            return
        }
        let credit = ControlMessage.credit(.init(nodeID: id, grants: UInt32(grants)))
        do throws(TransportError) {
            try frontend.send([Array(node.route.utf8), MessageKind.control.tag, credit.serialized()])
        } catch where error.isUnroutable {
            log.warning("cannot reach node; its credit waits for its next message", ["node": id])
            return
        }
        node.outstanding += grants
        nodes[id] = node
    }

    private func topUpAll(_ now: Double) throws(TransportError) {
        for id in nodeOrder { try topUp(id, now) }
    }

    private func returnCredit(to id: String, incarnation: UInt64, _ now: Double) throws(TransportError) {
        guard var node = nodes[id], node.incarnation == incarnation else { return }
        node.outstanding = max(0, node.outstanding - 1)
        node.inBroker = max(0, node.inBroker - 1)
        nodes[id] = node
        try topUp(id, now)
    }

    // MARK: Backend: workers

    private func backendMessage(_ message: [[UInt8]], _ now: Double) throws(TransportError) {
        let sender = String(decoding: message[0], as: UTF8.self)
        guard message.count == 3, let kind = MessageKind(tag: message[1]) else {
            log.warning("malformed message from a worker", ["worker": sender, "frames": message.count])
            return
        }
        workers[sender]?.lastSeen = now
        switch kind {
        case .control:
            guard let control = try? ControlMessage(serialized: message[2]) else {
                log.warning("malformed control message from a worker", ["worker": sender])
                return
            }
            try workerControl(control, from: sender, now)
        case .result:
            try resultArrived(message[2], from: sender, now)
        case .frame, .latent:
            log.warning("unexpected message kind on the backend", ["worker": sender, "kind": kind.rawValue])
        }
    }

    private func workerControl(_ control: ControlMessage, from sender: String, _ now: Double) throws(TransportError) {
        switch control {
        case let .hello(hello):
            if let model = hello.model, model != identity {
                log.error("worker runs another model; not using it", ["worker": sender, "model": model])
                return
            }
            if workers[sender] == nil {
                workers[sender] = WorkerEntry(id: sender, name: hello.peerID, lastSeen: now)
                log.info("worker joined", ["worker": sender, "workers": workers.count])
                try topUpAll(now)
            }
        case .ready:
            if workers[sender] == nil {
                // A worker that said hello to a previous broker process: take it on.
                workers[sender] = WorkerEntry(id: sender, name: PeerRoute.peerID(of: sender), lastSeen: now)
                log.info("worker joined", ["worker": sender, "workers": workers.count])
                try topUpAll(now)
            }
            if let lost = workers[sender]?.job {
                log.warning("worker reported ready while holding a latent; handing it on", ["worker": sender])
                workers[sender]?.job = nil
                requeue(lost, now)
            }
            markReady(sender)
        case .bye:
            if let worker = workers[sender] { try removeWorker(worker, reason: "said bye", now) }
        case .heartbeat:
            break
        case .credit:
            log.warning("unexpected control message from a worker", ["worker": sender])
        }
    }

    private func markReady(_ id: String) {
        guard workers[id] != nil, workers[id]?.ready == false else { return }
        workers[id]?.ready = true
        readyWorkers.append(id)
    }

    private func resultArrived(_ bytes: [UInt8], from sender: String, _ now: Double) throws(TransportError) {
        guard let pending = workers[sender]?.job else {
            log.warning("result from a worker holding no latent (declared dead earlier?); dropped", ["worker": sender])
            markReady(sender)
            return
        }
        workers[sender]?.job = nil
        markReady(sender)
        var result: ResultMessage
        do throws(WireError) {
            result = try ResultMessage(serialized: bytes)
        } catch {
            result = ResultMessage(failed: pending.latent, error: "worker \(sender) sent a malformed result: \(error)")
        }
        result.timings = stagesBefore(pending, pending.dispatchedAt) + result.timings
        try answer(pending, result, now)
    }

    /// The node's share (capture to arrival: encode, waiting for credit, link) and the broker queue.
    private func stagesBefore(_ pending: PendingLatent, _ dispatchedAt: Double) -> [StageTiming] {
        let node = Double(pending.arrivedWallMicroseconds - pending.latent.captureTimeMicroseconds) / 1000
        return [StageTiming(stage: "node_to_edge", milliseconds: max(0, node)),
                StageTiming(stage: "edge_queue", milliseconds: max(0, (dispatchedAt - pending.arrivedAt) * 1000))]
    }

    private func removeWorker(_ worker: WorkerEntry, reason: String, _ now: Double) throws(TransportError) {
        workers[worker.id] = nil
        readyWorkers.removeAll { $0 == worker.id }
        log.warning("worker gone", ["worker": worker.id, "reason": reason, "workers": workers.count])
        if let job = worker.job { try retryOrFail(job, worker: worker.id, now) }
    }

    private func retryOrFail(_ job: PendingLatent, worker: String, _ now: Double) throws(TransportError) {
        if job.attempts >= 2 {
            try answer(job, ResultMessage(failed: job.latent, error: "two workers died holding this latent (last: \(worker))",
                                          stagesBefore: stagesBefore(job, job.dispatchedAt)), now)
        } else {
            summary.retries += 1
            log.info("retrying a latent on another worker", ["node": job.nodeID, "sequence": job.latent.sequence])
            requeue(job, now)
        }
    }

    private func requeue(_ job: PendingLatent, _ now: Double) {
        nodes[job.nodeID]?.queue.insert(job, at: 0)
    }

    private func retireExitedWorkers(_ now: Double) throws(TransportError) {
        guard !exitedWorkers.isEmpty else { return }
        let names = Set(exitedWorkers)
        exitedWorkers.removeAll()
        for worker in workers.values where names.contains(worker.name) {
            summary.deadWorkers += 1
            try removeWorker(worker, reason: "process exited", now)
        }
    }

    private func checkWorkers(_ now: Double) throws(TransportError) {
        for worker in workers.values where now - worker.lastSeen > configuration.heartbeatTimeoutSeconds {
            summary.deadWorkers += 1
            try removeWorker(worker, reason: "silent for \(configuration.heartbeatTimeoutSeconds) s", now)
        }
        if now - lastHeartbeat >= configuration.heartbeatIntervalSeconds {
            lastHeartbeat = now
            let beat = ControlMessage.heartbeat(.init(peerID: "broker", sequence: 0, timeMicroseconds: PipelineClock.wallMicroseconds()))
            for id in readyWorkers {
                _ = try? backend.send([Array(id.utf8), MessageKind.control.tag, beat.serialized()])
            }
        }
        if workers.isEmpty {
            for id in nodeOrder {
                while let head = nodes[id]?.queue.first, now - head.arrivedAt > configuration.noWorkerTimeoutSeconds {
                    nodes[id]?.queue.removeFirst()
                    try answer(head, ResultMessage(failed: head.latent, error: "no edge worker available",
                                                   stagesBefore: stagesBefore(head, now)), now)
                }
            }
        }
    }

    /// Hands queued latents to ready workers, taking nodes in turn so none starves.
    private func dispatch(_ now: Double) throws(TransportError) {
        while !readyWorkers.isEmpty, !nodeOrder.isEmpty {
            guard let nodeID = nextNodeWithWork() else { return }
            guard var job = nodes[nodeID]?.queue.first else { return }
            nodes[nodeID]?.queue.removeFirst()
            let workerID = readyWorkers.removeFirst()
            workers[workerID]?.ready = false
            job.attempts += 1
            job.dispatchedAt = now
            do throws(TransportError) {
                try backend.send([Array(workerID.utf8), MessageKind.latent.tag, job.bytes])
                workers[workerID]?.job = job
            } catch where error.isUnroutable {
                job.attempts -= 1
                requeue(job, now)
                if let worker = workers[workerID] {
                    summary.deadWorkers += 1
                    try removeWorker(worker, reason: "unreachable", now)
                }
            }
        }
    }

    private func nextNodeWithWork() -> String? {
        for step in 0 ..< nodeOrder.count {
            let index = (nextNode + step) % nodeOrder.count
            if nodes[nodeOrder[index]]?.queue.isEmpty == false {
                nextNode = (index + 1) % nodeOrder.count
                return nodeOrder[index]
            }
        }
        return nil
    }

    // MARK: Sink

    /// Forwards a Result for an accepted latent and returns the node's credit.
    private func answer(_ pending: PendingLatent, _ result: ResultMessage, _ now: Double) throws(TransportError) {
        push(result)
        try returnCredit(to: pending.nodeID, incarnation: pending.incarnation, now)
    }

    private func answerUnparsed(from sender: String, bytes: Int, error: String) {
        push(ResultMessage(unparsedFrom: sender, bytes: bytes, error: error))
    }

    private func push(_ result: ResultMessage) {
        summary.results += 1
        var counts = summary.perNode[result.nodeID] ?? .init()
        counts.results += 1
        if result.error != nil {
            summary.errors += 1
            counts.errors += 1
        }
        summary.perNode[result.nodeID] = counts
        log.debug("result", ["node": result.nodeID, "sequence": result.sequence, "error": result.error ?? "-"])
        sink.enqueue([MessageKind.result.tag, result.serialized()])
    }

    private func shutDown() throws(TransportError) {
        let now = PipelineClock.seconds()
        for worker in workers.values {
            if let job = worker.job {
                push(ResultMessage(failed: job.latent, error: "edge shut down before answering", stagesBefore: stagesBefore(job, job.dispatchedAt)))
            }
        }
        for id in nodeOrder {
            for job in nodes[id]?.queue ?? [] {
                push(ResultMessage(failed: job.latent, error: "edge shut down before answering", stagesBefore: stagesBefore(job, now)))
            }
        }
        // Nodes start a new session with the next broker at once instead of waiting for credits.
        for node in nodeOrder.compactMap({ nodes[$0] }) where !node.departed {
            _ = try? frontend.trySend([Array(node.route.utf8), MessageKind.control.tag,
                                       ControlMessage.bye(.init(peerID: "edge", reason: "edge shutting down")).serialized()])
        }
        try sink.close(within: 2)
        summary.sinkDropped = sink.dropped
        summary.sinkDisconnects = sink.disconnects
        frontend.close()
        backend.close()
        context.close()
    }
}
