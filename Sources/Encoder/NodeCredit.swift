/// The node's side of the credit contract (docs/pipeline.md): a latent goes out only while the node
/// holds credit, never more than `window` are in flight, and a Credit first returns in-flight latents
/// ("these are answered"), the rest being new credit. Spending happens when a latent is queued for the
/// link, so a latent waiting on the shaper already counts as in flight.
public struct NodeCredit: Equatable {
    public let window: Int
    public private(set) var credits = 0
    public private(set) var inFlight = 0
    /// A Credit has arrived since the session started.
    public private(set) var isCredited = false

    public init(window: Int) {
        precondition(window >= 1, "a window holds at least one latent")
        self.window = window
    }

    /// Applies a Credit of `grants`; `false` when the broker granted past the window (the excess is not kept).
    public mutating func receive(grants: Int) -> Bool {
        isCredited = true
        let returned = min(grants, inFlight)
        inFlight -= returned
        credits += grants
        guard credits + inFlight > window else { return true }
        credits = window - inFlight
        return false
    }

    public var canSend: Bool { credits > 0 }

    /// One latent queued for the link takes one credit.
    public mutating func spend() {
        precondition(credits > 0, "a latent is sent only with credit")
        credits -= 1
        inFlight += 1
    }

    /// The edge ended the session: nothing is owed either way any more. Returns the latents that were
    /// in flight, whose credits will not come back.
    public mutating func reset() -> Int {
        let lost = inFlight
        credits = 0
        inFlight = 0
        isCredited = false
        return lost
    }
}
