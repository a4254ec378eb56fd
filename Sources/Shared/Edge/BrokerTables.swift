/// A latent the broker has accepted and owes a Result for.
struct PendingLatent {
    let nodeID: String
    /// The node incarnation that sent it: only results for the current incarnation return credit.
    let incarnation: UInt64
    let latent: LatentMessage
    /// The bytes as received, forwarded to a worker without re-encoding.
    let bytes: [UInt8]
    /// When the broker received it (monotonic seconds, and wall-clock microseconds for the node's share).
    let arrivedAt: Double
    let arrivedWallMicroseconds: Int64
    /// Workers it was handed to so far; a second worker death answers it with an error.
    var attempts = 0
    var dispatchedAt = 0.0
}

/// One mobile node as the broker sees it.
struct NodeEntry {
    let id: String
    /// The routing id of the process holding this node id (PeerRoute).
    var route: String
    var incarnation: UInt64
    var window: Int
    /// Credits granted and not yet returned: latents the node may send or has sent and awaits.
    var outstanding = 0
    /// The credits this node is kept at: the largest allowance it was ever given.
    var target = 0
    /// Latents of the current incarnation received and not yet answered.
    var inBroker = 0
    var queue: [PendingLatent] = []
    var lastSeen: Double
    var departed = false
    /// The node reconnected: its credits are held back until it says Hello (a new session).
    var awaitingHello = false

    /// Nodes silent this long (no heartbeat, no latent) stop counting toward the credit share.
    static let staleAfterSeconds = 10.0

    func isActive(at now: Double) -> Bool { !departed && now - lastSeen < Self.staleAfterSeconds }

    /// Starts the bookkeeping of a new session: nothing granted, nothing of this session received.
    mutating func startSession(incarnation: UInt64, window: Int) {
        self.incarnation = incarnation
        self.window = window
        outstanding = 0
        target = 0
        inBroker = 0
        departed = false
        awaitingHello = false
    }
}

/// One worker process connected to the backend.
struct WorkerEntry {
    /// The worker's route (PeerRoute), which keys it.
    let id: String
    /// The id it names itself by.
    var name: String
    var lastSeen: Double
    var job: PendingLatent?
    var ready = false
}

/// The broker's credit policy, kept apart from the sockets so it reads as one rule: the work the
/// workers can absorb without a queue building (one frame computing and one waiting per worker) is
/// shared evenly among the active nodes, each capped by its window and given at least one credit so
/// it can always make progress. Credits are never revoked or withheld (a node cannot tell a withheld
/// credit from a lost latent): a node keeps the largest allowance it was given, and under overload the
/// round-robin dispatch, not the credit count, keeps the nodes' shares of the workers even.
enum CreditPolicy {
    static func allowance(window: Int, liveWorkers: Int, activeNodes: Int) -> Int {
        let capacity = max(1, 2 * liveWorkers)
        let share = (capacity + max(1, activeNodes) - 1) / max(1, activeNodes)
        return max(1, min(window, share))
    }
}
