import Shared

/// Frames received and not yet encoded. The freshest policy holds one: a newer frame replaces it and
/// the replaced one is dropped. The queue policy (link benchmark baselines) keeps every frame in order,
/// up to a cap so a stalled link cannot exhaust memory.
public struct HeldFrames {
    public let capacity: Int
    public private(set) var frames: [FrameMessage] = []

    public init(capacity: Int) {
        precondition(capacity >= 1, "at least one frame can be held")
        self.capacity = capacity
    }

    /// Holds `frame`; returns the older frame dropped to make room, if one was.
    public mutating func hold(_ frame: FrameMessage) -> FrameMessage? {
        let dropped = frames.count >= capacity ? frames.removeFirst() : nil
        frames.append(frame)
        return dropped
    }

    public mutating func next() -> FrameMessage? { frames.isEmpty ? nil : frames.removeFirst() }

    public var isEmpty: Bool { frames.isEmpty }
    public var count: Int { frames.count }
}

/// Frames of this node that never became a latent: every one is counted, and each latent reports the
/// ones since the previous latent in its header's `dropped_before`, so the sink sees every drop.
public struct DropLedger: Equatable {
    public private(set) var total: UInt64 = 0
    public private(set) var unreported: UInt64 = 0

    public init() {}

    public mutating func add(_ count: UInt64) {
        total += count
        unreported += count
    }

    /// The drops the next latent reports; they count as reported from now on.
    public mutating func report() -> UInt64 {
        defer { unreported = 0 }
        return unreported
    }
}
