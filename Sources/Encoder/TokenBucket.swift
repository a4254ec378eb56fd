import Shared

/// A token-bucket shaper in bytes: tokens accrue at `bytesPerSecond` up to `burstBytes`, and a message of
/// n bytes leaves once n tokens are there (a message larger than the burst waits until the bucket holds
/// its size, as if the bucket briefly grew for it). With no burst this is a serial link of that rate:
/// each message leaves when its last byte would have crossed it, so its wait is its transmit time.
///
/// Use: `schedule` when a message becomes the next to leave, send it at the returned time, then
/// `consume`. Time is passed in (seconds on any monotonic clock) so tests drive it without sleeping.
public struct TokenBucket: Sendable {
    public let bytesPerSecond: Double
    public let burstBytes: Double
    // Tokens as of `updated`; never above `burstBytes` between messages.
    private var tokens: Double
    private var updated: Double
    // The message `schedule` answered for and not yet consumed: asking again gives the same time.
    private var scheduled: (bytes: Int, release: Double)?

    public init(kilobitsPerSecond: Double, burstBytes: Int = 0, now: Double) {
        precondition(kilobitsPerSecond > 0, "a link rate is positive")
        bytesPerSecond = kilobitsPerSecond * 1000 / 8
        self.burstBytes = Double(max(0, burstBytes))
        tokens = self.burstBytes
        updated = now
    }

    /// The next message has `bytes`: returns when it may leave (`now` or later).
    public mutating func schedule(_ bytes: Int, now: Double) -> Double {
        if let scheduled, scheduled.bytes == bytes { return scheduled.release }
        if now > updated {
            tokens = min(burstBytes, tokens + (now - updated) * bytesPerSecond)
            updated = now
        }
        let missing = Double(bytes) - tokens
        let release = missing <= 0 ? updated : updated + missing / bytesPerSecond
        scheduled = (bytes, release)
        return release
    }

    /// The scheduled message of `bytes` left at `now` (at or after its scheduled time): its tokens are spent.
    public mutating func consume(_ bytes: Int, now: Double) {
        let cap = max(burstBytes, Double(bytes))
        if now > updated {
            tokens = min(cap, tokens + (now - updated) * bytesPerSecond)
            updated = now
        }
        tokens -= Double(bytes)
        scheduled = nil
    }
}
