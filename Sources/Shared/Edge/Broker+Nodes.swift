/// The broker's frontend: mobile nodes' Hello, Heartbeat, Bye and latents; node sessions and ids
/// (docs/pipeline.md, "Sessions and restarts"); credit.
extension Broker {
    // MARK: Frontend: mobile nodes

    func frontendMessage(_ message: [[UInt8]], _ now: Double) throws(TransportError) {
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

    func nodeControl(_ control: ControlMessage, from route: String, _ now: Double) throws(TransportError) {
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

    func nodeHello(_ hello: ControlMessage.Hello, from route: String, _ now: Double) throws(TransportError) {
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
            log.info(
                "node id taken over by a new process",
                [
                    "node": id, "route": route, "previous_route": node.route,
                    "latents_of_old_process_queued": node.queue.count,
                ])
            nodeByRoute[node.route] = nil
            nodeByRoute[route] = id
            node.route = route
            refusedRoutes[route] = nil
        } else {
            // A repeated Hello of the current session (the node had no Credit yet): nothing to do.
            guard node.incarnation != hello.incarnation || node.departed || node.awaitingHello else { return }
            if node.incarnation != hello.incarnation && !node.departed {
                summary.nodeRestarts += 1
                log.info(
                    "node started a new session",
                    [
                        "node": id, "window": window,
                        "latents_of_old_session_queued": node.queue.count,
                    ])
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
    func isHeld(_ node: NodeEntry, _ now: Double) throws(TransportError) -> Bool {
        guard !node.departed, now - node.lastSeen < NodeEntry.staleAfterSeconds else { return false }
        return try tell(node.route, .heartbeat(.init(peerID: "edge", sequence: 0, timeMicroseconds: PipelineClock.wallMicroseconds())))
    }

    /// Sends a node's route one control message without waiting (one a full queue cannot take is
    /// dropped, as the node repeats what it needs); `false` when the route has no connection.
    @discardableResult
    func tell(_ route: String, _ message: ControlMessage) throws(TransportError) -> Bool {
        do throws(TransportError) {
            _ = try frontend.trySend([Array(route.utf8), MessageKind.control.tag, message.serialized()])
            return true
        } catch  where error.isUnroutable {
            return false
        }
    }

    /// A second live process claims a node id: it gets no credit, only a Bye saying why; its Hellos
    /// (repeated every second) take the id over once the holder is gone.
    func refuse(_ route: String, nodeID: String, holder: String, _ now: Double) throws(TransportError) {
        if refusedRoutes[route] == nil { summary.duplicateNodeIDs += 1 }
        if now - (refusedRoutes[route] ?? -.infinity) >= 30 {
            refusedRoutes[route] = now
            log.warning("refused a node id held by another live process", ["node": nodeID, "route": route, "holder": holder])
        }
        try tell(route, .bye(.init(peerID: "edge", reason: "node id '\(nodeID)' is in use by another live process")))
    }

    func latentArrived(_ bytes: [UInt8], from route: String, _ now: Double) throws(TransportError) {
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
        let pending = PendingLatent(
            nodeID: id, incarnation: node.incarnation, latent: stamped,
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
    func nodeConnected(_ route: String, _ now: Double) throws(TransportError) {
        // A new process (or a new node) says Hello next.
        guard let id = nodeByRoute[route], var node = nodes[id], !node.departed else { return }
        summary.nodeReconnects += 1
        node.awaitingHello = true
        node.lastSeen = now
        nodes[id] = node
        log.warning(
            "node reconnected; asking it for a new session",
            [
                "node": id, "credits_outstanding": node.outstanding,
                "latents_in_broker": node.inBroker,
            ])
        try requestSession(route, reason: "connection replaced", now, force: true)
    }

    /// Sends the route a Bye: "this edge holds no session for you; say Hello again" (rate-limited).
    func requestSession(_ route: String, reason: String, _ now: Double, force: Bool = false) throws(TransportError) {
        if !force, let last = sessionRequests[route], now - last < configuration.sessionRequestIntervalSeconds { return }
        sessionRequests[route] = now
        guard try tell(route, .bye(.init(peerID: "edge", reason: "\(reason): send hello"))) else {
            log.warning("cannot reach node to ask for a new session", ["route": route])
            return
        }
    }

    // MARK: Credit

    func allowance(_ node: NodeEntry, _ now: Double) -> Int {
        let active = nodes.values.filter { $0.isActive(at: now) }.count
        return CreditPolicy.allowance(window: node.window, liveWorkers: workers.count, activeNodes: active)
    }

    func topUp(_ id: String, _ now: Double) throws(TransportError) {
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
        } catch  where error.isUnroutable {
            log.warning("cannot reach node; its credit waits for its next message", ["node": id])
            return
        }
        node.outstanding += grants
        nodes[id] = node
    }

    func topUpAll(_ now: Double) throws(TransportError) {
        for id in nodeOrder { try topUp(id, now) }
    }

    func returnCredit(to id: String, incarnation: UInt64, _ now: Double) throws(TransportError) {
        guard var node = nodes[id], node.incarnation == incarnation else { return }
        node.outstanding = max(0, node.outstanding - 1)
        node.inBroker = max(0, node.inBroker - 1)
        nodes[id] = node
        try topUp(id, now)
    }
}
