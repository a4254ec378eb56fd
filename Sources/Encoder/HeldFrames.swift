import Shared

/// Frames received and not yet encoded. The freshest policy holds one: a newer frame replaces it and
/// the replaced one is dropped. The queue policy (link benchmark baselines) keeps every frame in order,
/// up to a cap so a stalled link cannot exhaust memory.
struct HeldFrames {
    let capacity: Int
    private(set) var frames: [FrameMessage] = []

    init(capacity: Int) {
        precondition(capacity >= 1, "at least one frame can be held")
        self.capacity = capacity
    }

    /// Holds `frame`; returns how many older frames were dropped to make room (0 or 1).
    mutating func hold(_ frame: FrameMessage) -> Int {
        var dropped = 0
        if frames.count >= capacity {
            frames.removeFirst()
            dropped = 1
        }
        frames.append(frame)
        return dropped
    }

    mutating func next() -> FrameMessage? { frames.isEmpty ? nil : frames.removeFirst() }

    var isEmpty: Bool { frames.isEmpty }
    var count: Int { frames.count }
}

/// Frames of this node that never became a latent: every one is counted, and each latent reports the
/// ones since the previous latent in its header's `dropped_before`, so the sink sees every drop.
struct DropLedger: Equatable {
    private(set) var total: UInt64 = 0
    private(set) var unreported: UInt64 = 0

    mutating func add(_ count: UInt64) {
        total += count
        unreported += count
    }

    /// The drops the next latent reports; they count as reported from now on.
    mutating func report() -> UInt64 {
        defer { unreported = 0 }
        return unreported
    }
}
