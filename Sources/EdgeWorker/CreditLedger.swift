/// One node's credit as the broker keeps it, apart from the socket: credits granted and not yet
/// returned (`outstanding`), the allowance the node is kept at (`target`, which only grows), and the
/// latents accepted under that credit and not yet answered, each with its own ticket so its credit
/// comes back exactly once however its Result ends (answered, retried, failed, shut down).
public struct CreditLedger: Equatable {
    public private(set) var outstanding = 0
    public private(set) var target = 0
    private var unsettled: Set<UInt64> = []
    // Never reset, so a ticket of an old session can never match one of the current session.
    private var lastTicket: UInt64 = 0

    public init() {}

    /// Latents received under credit and not yet answered.
    public var inBroker: Int { unsettled.count }

    /// Credits to grant now to keep the node at `allowance`; raising the target never lowers it (a
    /// node cannot tell a withheld credit from a lost latent, so credit is never taken back).
    public mutating func grantsDue(allowance: Int) -> Int {
        target = max(target, allowance)
        return max(0, target - outstanding)
    }

    /// `grants` credits left for the node.
    public mutating func granted(_ grants: Int) { outstanding += grants }

    /// A latent arrived: its ticket when the node held credit for it, `nil` when it sent past its credit.
    public mutating func accept() -> UInt64? {
        guard unsettled.count < outstanding else { return nil }
        lastTicket += 1
        unsettled.insert(lastTicket)
        return lastTicket
    }

    /// The latent of `ticket` is answered: its credit comes back once; `false` for a ticket already
    /// settled or from an earlier session.
    public mutating func settle(_ ticket: UInt64) -> Bool {
        guard unsettled.remove(ticket) != nil else { return false }
        outstanding = max(0, outstanding - 1)
        return true
    }

    /// A new session starts from nothing: the node's Hello says it holds no credit.
    public mutating func reset() {
        outstanding = 0
        target = 0
        unsettled.removeAll()
    }
}

/// The broker's credit policy, kept apart from the sockets so it reads as one rule: the work the
/// workers can absorb without a queue building (what each worker holds at once, its Ready capacity,
/// and one frame waiting for it: two per worker of capacity 1) is shared evenly among the active
/// nodes, each capped by its window and given at least one credit so it can always make progress.
/// Only one frame per worker waits in the broker whatever the workers batch, so the frame a node
/// sends when its credit comes back is fresh rather than queued behind a backlog. Credits are never
/// revoked or withheld (a node cannot tell a withheld credit from a lost latent): a node keeps the
/// largest allowance it was given, and under overload the round-robin dispatch, not the credit
/// count, keeps the nodes' shares of the workers even.
public enum CreditPolicy {
    /// `workerCapacities`: each live worker's capacity.
    public static func allowance(window: Int, workerCapacities: [Int], activeNodes: Int) -> Int {
        let capacity = max(1, workerCapacities.reduce(0) { $0 + max(1, $1) + 1 })
        let share = (capacity + max(1, activeNodes) - 1) / max(1, activeNodes)
        return max(1, min(window, share))
    }
}
