import Shared

/// The broker's frontend: mobile nodes' Hello, Heartbeat, Bye and latents in, Credit and Byes out.
/// What each message means is `NodeSessions`' and `CreditLedger`'s to decide; this moves the messages.
extension Broker {
    /// `user`: the name the sender's key speaks for (CURVE mode), `nil` in plaintext.
    func frontendMessage(_ message: [[UInt8]], user: String?, _ now: Double) throws(TransportError) {
        let route = String(decoding: message.first ?? [], as: UTF8.self)
        if message.count == 2 && message[1].isEmpty {
            try nodeConnected(route, now)
            return
        }
        // A latent's size is judged in `latentArrived`, where the credit it spent is accounted for.
        guard let (_, envelope) = rejections.routed(message, socket: "frontend", checkingSize: false) else { return }
        if let user {
            guard try keyStillListed(user, route: route, now) else { return }
            // A route that holds a session speaks for that node only.
            if let id = nodes.nodeID(route: route), id != user {
                try impersonation(route: route, user: user, claimed: id, now)
                return
            }
        }
        nodes.heard(from: route, now: now)
        if envelope.kind == .latent {
            try latentArrived(envelope.payload, from: route, now)
        } else if let control = rejections.decode(ControlMessage.self, envelope, socket: "frontend", peer: route) {
            try nodeControl(control, from: route, user: user, now)
        }
    }

    // MARK: Keys (CURVE mode)

    /// Whether `user`'s key is still in the allow-list; a revoked key's message is dropped and its session cut.
    func keyStillListed(_ user: String, route: String, _ now: Double) throws(TransportError) -> Bool {
        guard let list = configuration.allowedNodes, !list.lists(name: user) else { return true }
        rejections.record(reason: "revoked_key", socket: "frontend", peer: route, detail: "a message under the revoked key of '\(user)'")
        try revokeNode(user, now)
        return false
    }

    /// The key of node `name` left the allow-list: its session ends now, with a Bye saying why.
    func revokeNode(_ name: String, _ now: Double) throws(TransportError) {
        guard let node = nodes[name], !node.departed else { return }
        _ = nodes.bye(route: node.route)
        summary.revokedSessions += 1
        log.warning("a node's key was revoked; its session ends", ["node": name])
        try tell(node.route, .bye(.init(peerID: "edge", reason: "the key of node '\(name)' was revoked")))
        try topUpAll(now)
    }

    /// A key spoke for another node id than its own: refused, counted, told why.
    func impersonation(route: String, user: String, claimed: String, _ now: Double) throws(TransportError) {
        summary.impersonations += 1
        rejections.record(reason: "impersonation", socket: "frontend", peer: route, detail: "the key of '\(user)' claimed node id '\(claimed)'")
        try tell(route, .bye(.init(peerID: "edge", reason: "the key of '\(user)' cannot speak for node '\(claimed)'")))
    }

    func nodeControl(_ control: ControlMessage, from route: String, user: String?, _ now: Double) throws(TransportError) {
        switch control {
        case let .hello(hello):
            guard hello.role == .node else {
                rejections.record(reason: "wrong_role", socket: "frontend", peer: route, detail: "hello with a non-node role")
                return
            }
            if let user, user != hello.peerID {
                try impersonation(route: route, user: user, claimed: hello.peerID, now)
                return
            }
            try nodeHello(hello, from: route, now)
        case let .bye(bye):
            guard let id = nodes.bye(route: route) else { return }  // a refused or replaced process leaving
            log.info("node left", ["node": id, "reason": bye.reason])
            try topUpAll(now)
        case .heartbeat:
            // A heartbeat from a node without a live session: its Bye was lost or it talked to an earlier broker.
            if nodes.lacksSession(route: route) { try requestSession(route, reason: "no session for this node", now) }
        case .credit, .ready:
            rejections.record(reason: "unexpected_control", socket: "frontend", peer: route, detail: "credit or ready from a node")
        }
    }

    func nodeHello(_ hello: ControlMessage.Hello, from route: String, _ now: Double) throws(TransportError) {
        // Ids from the network meet the command line's rule: they prefix topics and name sessions.
        guard PeerRoute.isValid(hello.peerID) else {
            summary.invalidNodeIDs += 1
            rejections.record(reason: "invalid_node_id", socket: "frontend", peer: route, detail: PeerRoute.validityRule)
            try tell(route, .bye(.init(peerID: "edge", reason: "invalid node id: \(PeerRoute.validityRule)")))
            return
        }
        let id = hello.peerID
        if let model = hello.model, model != identity {
            log.warning("node encodes for another model; its latents will be refused", ["node": id, "model": model])
        }
        let outcome = try nodes.hello(
            id: id, route: route, incarnation: hello.incarnation, window: Int(hello.window), now: now,
            isConnected: { (holder) throws(TransportError) -> Bool in
                try tell(holder, .heartbeat(.init(peerID: "edge", sequence: 0, timeMicroseconds: PipelineClock.wallMicroseconds())))
            })
        let window = nodes[id]?.window ?? 0
        switch outcome {
        case .joined:
            summary.perNode[id] = summary.perNode[id] ?? .init()
            log.info("node joined", ["node": id, "window": window])
        case let .tookOver(previous):
            summary.nodeRestarts += 1
            log.info(
                "node id taken over by a new process",
                ["node": id, "route": route, "previous_route": previous, "latents_of_old_process_queued": dispatcher.queued(id)])
        case let .refused(holder, first, shouldLog):
            if first { summary.duplicateNodeIDs += 1 }
            if shouldLog { log.warning("refused a node id held by another live process", ["node": id, "route": route, "holder": holder]) }
            try tell(route, .bye(.init(peerID: "edge", reason: "node id '\(id)' is in use by another live process")))
            return
        case .newSession:
            summary.nodeRestarts += 1
            log.info("node started a new session", ["node": id, "window": window, "latents_of_old_session_queued": dispatcher.queued(id)])
        case .rejoined:
            log.info("node rejoined", ["node": id, "window": window])
        case .repeated:
            return
        case .full:
            summary.sessionRefusals += 1
            rejections.record(
                reason: "sessions_full", socket: "frontend", peer: route, detail: "\(nodes.maximumNodes) live node sessions, none silent")
            try tell(route, .bye(.init(peerID: "edge", reason: "the edge holds as many live node sessions as it serves")))
            return
        }
        // Latents of an old session still queued are answered as usual; their credits are not returned.
        try topUpAll(now)
    }

    /// Sends a node's route one control message without waiting (one a full queue cannot take is
    /// dropped, as the node repeats what it needs); `false` when the route has no connection.
    @discardableResult
    func tell(_ route: String, _ message: ControlMessage) throws(TransportError) -> Bool {
        do throws(TransportError) {
            _ = try frontend.trySend(Envelope(message).frames(to: Array(route.utf8)))
            return true
        } catch  where error.isUnroutable {
            return false
        }
    }

    func latentArrived(_ bytes: [UInt8], from route: String, _ now: Double) throws(TransportError) {
        guard let node = nodes.node(route: route), !node.departed else {
            let name = nodes.nodeID(route: route) ?? PeerRoute.peerID(of: route)
            summary.unknownNode += 1
            log.warning("latent from a node that has not said hello", ["node": name, "route": route])
            answerRefused(bytes, from: name, error: "latent from node '\(name)' before its hello")
            try requestSession(route, reason: "no session for this node", now)
            return
        }
        let id = node.id
        // The node spent a credit on it, whatever it holds; the credit comes back with its Result.
        guard let ticket = nodes.accept(id) else {
            summary.overWindow += 1
            log.warning("latent sent without credit", ["node": id, "outstanding": node.credit.outstanding])
            answerRefused(bytes, from: id, error: "latent sent without credit (window \(node.window))")
            return
        }
        let latent: LatentMessage
        do throws(WireError) {
            guard bytes.count <= configuration.maximumLatentBytes else {
                throw .tooLarge(message: "Latent", size: bytes.count, limit: configuration.maximumLatentBytes)
            }
            latent = try LatentMessage(serialized: bytes)
        } catch {
            if case .tooLarge = error {
                summary.oversized += 1
                log.warning("refused a latent over the size limit", ["node": id, "error": error])
            } else {
                rejections.record(error, socket: "frontend", peer: route)
            }
            answerUnparsed(from: id, bytes: bytes.count, error: "\(error)")
            if nodes.settle(ticket) { try topUp(id, now) }
            return
        }
        var stamped = latent
        if latent.header.nodeID != id {
            log.warning("latent node id differs from the session's; using the session's", ["node": latent.header.nodeID, "session": id])
            stamped.header.nodeID = id
        }
        let job = PendingLatent(
            ticket: ticket, latent: stamped, bytes: latent.header.nodeID == id ? bytes : stamped.serialized(),
            arrivedAt: now, arrivedWallMicroseconds: PipelineClock.wallMicroseconds())
        guard latent.model == identity else {
            summary.modelMismatch += 1
            let error = InferenceError.modelMismatch(latent: latent.model, edge: identity)
            log.warning("refused a latent for another model", ["node": id, "sequence": latent.header.sequence])
            try fail(job, "\(error)", stagesBefore: job.stagesBefore(now), now)
            return
        }
        dispatcher.enqueue(job)
    }

    // MARK: Node sessions

    /// A node's DEALER opened a new connection (its probe): a node with a live session is asked for a new one.
    func nodeConnected(_ route: String, _ now: Double) throws(TransportError) {
        // A new process (or a new node) says Hello next.
        guard let node = nodes.reconnected(route: route, now: now) else { return }
        summary.nodeReconnects += 1
        log.warning(
            "node reconnected; asking it for a new session",
            ["node": node.id, "credits_outstanding": node.credit.outstanding, "latents_in_broker": node.credit.inBroker])
        try requestSession(route, reason: "connection replaced", now, force: true)
    }

    /// Sends the route a Bye: "this edge holds no session for you; say Hello again" (rate-limited).
    func requestSession(_ route: String, reason: String, _ now: Double, force: Bool = false) throws(TransportError) {
        guard nodes.shouldRequestSession(route: route, now: now, force: force) else { return }
        if try !tell(route, .bye(.init(peerID: "edge", reason: "\(reason): send hello"))) {
            log.warning("cannot reach node to ask for a new session", ["route": route])
        }
    }

    // MARK: Credit

    func topUp(_ id: String, _ now: Double) throws(TransportError) {
        guard let node = nodes[id] else { return }
        let allowance = CreditPolicy.allowance(
            window: node.window, workerCapacities: dispatcher.workerCapacities, activeNodes: nodes.activeCount(at: now))
        let grants = nodes.grantsDue(id, allowance: allowance)
        guard grants > 0 else { return }
        let credit = ControlMessage.credit(.init(nodeID: id, grants: UInt32(grants)))
        do throws(TransportError) {
            try frontend.send(Envelope(credit).frames(to: Array(node.route.utf8)))
        } catch  where error.isUnroutable {
            log.warning("cannot reach node; its credit waits for its next message", ["node": id])
            return
        }
        nodes.granted(id, grants)
    }

    func topUpAll(_ now: Double) throws(TransportError) {
        for id in nodes.order { try topUp(id, now) }
    }
}
