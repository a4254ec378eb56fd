/// A node's session with the edge (docs/pipeline.md, "Sessions and restarts"), apart from the socket:
/// what to say when (Hello every `helloInterval` until the first Credit, then a Heartbeat after
/// `heartbeatInterval` of silence), the credit it holds, and what a Bye from the broker means: the end
/// of a session that was credited (a new incarnation says Hello again), or a refusal of a Hello that
/// was not (another live process holds the node id; the node keeps asking).
public struct NodeSession {
    public enum Utterance: Equatable {
        case hello(incarnation: UInt64)
        case heartbeat(sequence: UInt64)
    }

    public enum ByeOutcome: Equatable {
        /// The session ended; `writtenOff` latents were in flight and their credits will not return.
        case ended(writtenOff: Int)
        /// The Hello was refused; `log` once per reason, or again after `refusalLogInterval`.
        case refused(log: Bool)
    }

    public private(set) var credit: NodeCredit
    public private(set) var incarnation: UInt64
    private var lastHello = -Double.infinity
    private var lastSent: Double
    private var heartbeats: UInt64 = 0
    private var lastRefusal: (reason: String, loggedAt: Double) = ("", -.infinity)
    public let helloInterval: Double
    public let heartbeatInterval: Double
    public static let refusalLogInterval = 30.0

    public init(window: Int, now: Double, helloInterval: Double = 1, heartbeatInterval: Double = 1) {
        credit = NodeCredit(window: window)
        incarnation = Self.newIncarnation()
        lastSent = now
        self.helloInterval = helloInterval
        self.heartbeatInterval = heartbeatInterval
    }

    /// What the node should say now, if anything.
    public func due(now: Double) -> Utterance? {
        if !credit.isCredited {
            return now - lastHello >= helloInterval ? .hello(incarnation: incarnation) : nil
        }
        return now - lastSent >= heartbeatInterval ? .heartbeat(sequence: heartbeats + 1) : nil
    }

    /// `utterance` left at `now`.
    public mutating func said(_ utterance: Utterance, now: Double) {
        switch utterance {
        case .hello: lastHello = now
        case let .heartbeat(sequence): heartbeats = sequence
        }
        lastSent = now
    }

    /// Anything else (a latent) left at `now`: no heartbeat is needed for a while.
    public mutating func sent(now: Double) { lastSent = now }

    /// Applies a Credit; `false` when it granted past the window.
    public mutating func receive(grants: Int) -> Bool { credit.receive(grants: grants) }

    public mutating func spendCredit() { credit.spend() }

    public mutating func brokerSaidBye(reason: String, now: Double) -> ByeOutcome {
        guard credit.isCredited else {
            // Before the first Credit a Hello is on its way already: it may still start the session.
            let log = reason != lastRefusal.reason || now - lastRefusal.loggedAt >= Self.refusalLogInterval
            if log { lastRefusal = (reason, now) }
            return .refused(log: log)
        }
        let writtenOff = credit.reset()
        incarnation = Self.newIncarnation()
        lastHello = -.infinity
        return .ended(writtenOff: writtenOff)
    }

    private static func newIncarnation() -> UInt64 { .random(in: 1 ... .max) }
}
