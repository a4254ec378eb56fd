import Shared

/// Latents on their way over the link, oldest first. With a link rate the head leaves when the
/// `TokenBucket` releases it (each whole ZeroMQ message, tag included); without one, at once. Time is
/// passed in, so the release rule is tested without a clock.
public struct LinkOutbox {
    public enum Next: Equatable {
        case idle
        case wait(until: Double)
        case send([[UInt8]])
    }

    private struct Queued {
        let sequence: UInt64
        let frames: [[UInt8]]
        let bytes: Int
        let queuedAt: Double
        var releaseAt: Double?
    }

    private var queue: [Queued] = []
    private var bucket: TokenBucket?

    public init(kilobitsPerSecond: Double?, burstBytes: Int, now: Double) {
        bucket = kilobitsPerSecond.map { TokenBucket(kilobitsPerSecond: $0, burstBytes: burstBytes, now: now) }
    }

    /// Queues the latent of frame `sequence`.
    public mutating func enqueue(_ envelope: Envelope, sequence: UInt64, now: Double) {
        queue.append(Queued(sequence: sequence, frames: envelope.frames(), bytes: envelope.wireBytes, queuedAt: now))
    }

    /// What the link can do at `now`: send the head, wait for the shaper, or nothing.
    public mutating func next(now: Double) -> Next {
        guard !queue.isEmpty else { return .idle }
        if queue[0].releaseAt == nil { queue[0].releaseAt = bucket?.schedule(queue[0].bytes, now: now) ?? now }
        let head = queue[0]
        guard let releaseAt = head.releaseAt, releaseAt <= now else { return .wait(until: head.releaseAt ?? now) }
        return .send(head.frames)
    }

    /// The head left at `now`: its bytes are spent; returns its frame's sequence, its bytes and how long
    /// it waited in the outbox.
    public mutating func sent(now: Double) -> (sequence: UInt64, bytes: Int, waitedSeconds: Double) {
        let head = queue.removeFirst()
        bucket?.consume(head.bytes, now: now)
        return (head.sequence, head.bytes, now - head.queuedAt)
    }

    /// Empties the outbox (the session ended, or the node exits); returns the sequences that were in it.
    public mutating func removeAll() -> [UInt64] {
        defer { queue.removeAll() }
        return queue.map(\.sequence)
    }

    public var isEmpty: Bool { queue.isEmpty }
    public var count: Int { queue.count }
}
