/// One mobile node as the broker sees it.
public struct NodeEntry {
    public let id: String
    /// The routing id of the process holding this node id (PeerRoute).
    public var route: String
    public var incarnation: UInt64
    public var window: Int
    public var credit = CreditLedger()
    public var lastSeen: Double
    public var departed = false
    /// The node reconnected: its credits are held back until it says Hello (a new session).
    public var awaitingHello = false

    /// Nodes silent this long (no heartbeat, no latent) stop counting toward the credit share, and a
    /// process claiming their id takes it over.
    public static let staleAfterSeconds = 10.0

    public func isActive(at now: Double) -> Bool { !departed && now - lastSeen < Self.staleAfterSeconds }

    /// Whether the node may be granted credit now.
    public var isCreditable: Bool { !departed && !awaitingHello }

    /// Starts the bookkeeping of a new session: nothing granted, nothing of this session received.
    public mutating func startSession(incarnation: UInt64, window: Int, now: Double) {
        self.incarnation = incarnation
        self.window = window
        credit.reset()
        departed = false
        awaitingHello = false
        lastSeen = now
    }
}

/// A latent's claim on its node's credit: settled once when its Result goes to the sink.
public struct CreditTicket: Equatable {
    public let nodeID: String
    public let incarnation: UInt64
    public let serial: UInt64

    public init(nodeID: String, incarnation: UInt64, serial: UInt64) {
        self.nodeID = nodeID
        self.incarnation = incarnation
        self.serial = serial
    }
}

/// The broker's node sessions and ids (docs/pipeline.md, "Sessions and restarts"), apart from the
/// sockets: which route holds which node id, what a Hello means, when a node may be asked for a new
/// session, and each node's credit. A node id belongs to one process (route) at a time.
public struct NodeSessions {
    public enum HelloOutcome: Equatable {
        /// A node id seen for the first time.
        case joined
        /// The id's holder is gone (said Bye, fell silent, or its connection closed): this route takes it.
        case tookOver(previousRoute: String)
        /// Another live process holds the id: no credit, only a Bye saying why.
        /// `firstRefusal` counts each refused process once; `log` at most every `refusalLogInterval`.
        case refused(holder: String, firstRefusal: Bool, log: Bool)
        /// The holder said Hello with a new incarnation: a restarted session.
        case newSession
        /// The holder comes back after its Bye or a reconnection.
        case rejoined
        /// A Hello repeated within the current session (sent before the first Credit arrived).
        case repeated
        /// A new node id while `maximumNodes` sessions are held and none is silent or departed.
        case full
    }

    public static let refusalLogInterval = 30.0

    public private(set) var nodes: [String: NodeEntry] = [:]
    /// Node ids in the order they first joined (dispatch and credit go round them in this order).
    public private(set) var order: [String] = []
    private var nodeByRoute: [String: String] = [:]
    /// When each route was last asked for a new session.
    private var sessionRequests: [String: Double] = [:]
    /// Routes refused for claiming a node id held by another live process, and when that was last logged.
    private var refusedRoutes: [String: Double] = [:]
    public let sessionRequestInterval: Double
    /// At most this many node ids are held; a new one takes the place of the longest-silent node that is
    /// not active (departed, or silent for `NodeEntry.staleAfterSeconds`), or is refused.
    public let maximumNodes: Int

    public init(sessionRequestInterval: Double = 1, maximumNodes: Int = 1024) {
        self.sessionRequestInterval = sessionRequestInterval
        self.maximumNodes = maximumNodes
    }

    public subscript(id: String) -> NodeEntry? { nodes[id] }

    /// The node whose current session this route holds.
    public func node(route: String) -> NodeEntry? { nodeByRoute[route].flatMap { nodes[$0] } }

    /// The node id a route holds (a departed node's included).
    public func nodeID(route: String) -> String? { nodeByRoute[route] }

    public mutating func heard(from route: String, now: Double) {
        if let id = nodeByRoute[route] { nodes[id]?.lastSeen = now }
    }

    /// Applies a Hello of node `id` from `route`. `isConnected(route)` tells whether a holder's connection
    /// is still open (the broker asks libzmq); it is consulted only for a held id claimed by another route.
    public mutating func hello<E: Error>(
        id: String, route: String, incarnation: UInt64, window: Int, now: Double, isConnected: (String) throws(E) -> Bool
    ) throws(E) -> HelloOutcome {
        let window = max(1, window)
        guard var node = nodes[id] else {
            if nodes.count >= maximumNodes {
                guard let oldest = nodes.values.filter({ !$0.isActive(at: now) }).min(by: { $0.lastSeen < $1.lastSeen }) else { return .full }
                forget(oldest)
            }
            nodes[id] = NodeEntry(id: id, route: route, incarnation: incarnation, window: window, lastSeen: now)
            nodeByRoute[route] = id
            order.append(id)
            return .joined
        }
        let outcome: HelloOutcome
        if node.route != route {
            let recent = !node.departed && now - node.lastSeen < NodeEntry.staleAfterSeconds
            // A crashed process's connection closes at once, so its restart need not wait out the silence.
            let held = recent ? try isConnected(node.route) : false
            if held {
                let first = refusedRoutes[route] == nil
                let log = now - (refusedRoutes[route] ?? -.infinity) >= Self.refusalLogInterval
                if log { refusedRoutes[route] = now }
                return .refused(holder: node.route, firstRefusal: first, log: log)
            }
            outcome = .tookOver(previousRoute: node.route)
            nodeByRoute[node.route] = nil
            nodeByRoute[route] = id
            node.route = route
            refusedRoutes[route] = nil
        } else if node.incarnation == incarnation && !node.departed && !node.awaitingHello {
            return .repeated
        } else {
            outcome = node.incarnation != incarnation && !node.departed ? .newSession : .rejoined
        }
        node.startSession(incarnation: incarnation, window: window, now: now)
        nodes[id] = node
        return outcome
    }

    /// Drops every trace of a node that is no longer active, to make room.
    private mutating func forget(_ node: NodeEntry) {
        nodes[node.id] = nil
        order.removeAll { $0 == node.id }
        nodeByRoute = nodeByRoute.filter { $0.value != node.id }
        sessionRequests[node.route] = nil
    }

    /// The node holding `route` said Bye; its id, or `nil` for a refused or replaced process leaving.
    public mutating func bye(route: String) -> String? {
        guard let id = nodeByRoute[route] else { return nil }
        nodes[id]?.departed = true
        return id
    }

    /// The node's DEALER opened a new connection (its probe). For a node with a live session, latents and
    /// credits may have been lost with the old connection: its credit is held back until its next Hello.
    /// Returns the node when it had a live session.
    public mutating func reconnected(route: String, now: Double) -> NodeEntry? {
        guard let id = nodeByRoute[route], var node = nodes[id], !node.departed else { return nil }
        node.awaitingHello = true
        node.lastSeen = now
        nodes[id] = node
        return node
    }

    /// Whether the route holds no live session (its Heartbeat or latent needs a new session).
    public func lacksSession(route: String) -> Bool {
        node(route: route).map { $0.departed || $0.awaitingHello } ?? true
    }

    /// Whether to ask `route` for a new session now: at most every `sessionRequestInterval`, unless forced.
    public mutating func shouldRequestSession(route: String, now: Double, force: Bool = false) -> Bool {
        if !force, let last = sessionRequests[route], now - last < sessionRequestInterval { return false }
        sessionRequests[route] = now
        return true
    }

    public func activeCount(at now: Double) -> Int { nodes.values.filter { $0.isActive(at: now) }.count }

    // MARK: Credit

    /// Credits to grant node `id` now under `allowance` (0 while it may not be granted any).
    public mutating func grantsDue(_ id: String, allowance: Int) -> Int {
        guard let node = nodes[id], node.isCreditable else { return 0 }
        return nodes[id]?.credit.grantsDue(allowance: allowance) ?? 0
    }

    public mutating func granted(_ id: String, _ grants: Int) { nodes[id]?.credit.granted(grants) }

    /// A latent from the node's session: its ticket, or `nil` when it came without credit.
    public mutating func accept(_ id: String) -> CreditTicket? {
        guard let node = nodes[id], let serial = nodes[id]?.credit.accept() else { return nil }
        return CreditTicket(nodeID: id, incarnation: node.incarnation, serial: serial)
    }

    /// The ticket's latent is answered: `true` the one time its credit comes back (a ticket of an
    /// ended session returns nothing).
    public mutating func settle(_ ticket: CreditTicket) -> Bool {
        guard nodes[ticket.nodeID]?.incarnation == ticket.incarnation else { return false }
        return nodes[ticket.nodeID]?.credit.settle(ticket.serial) ?? false
    }
}
