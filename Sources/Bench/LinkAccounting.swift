/// What the link benchmark counts, apart from sockets and clocks: times are seconds on one clock shared
/// by every stage (the pipeline's wall clock), passed in.
///
/// The link is a serial link of a fixed rate, as the encoder's `--link-kbps` token bucket models it
/// (depth 0): one message at a time, each leaving when its last byte would have crossed. So a message
/// of `bytes` whose last byte crossed at `end` was on the link over `[end - bytes / rate, end]`. The
/// link benchmark takes `end` from the edge: the broker's arrival time for the latent (the Result's
/// capture time plus its `node_to_edge` stage), which is also when the last byte crosses a link shaped
/// outside the processes.
public struct LinkTransmission: Sendable, Equatable, Codable {
    /// When the message's last byte crossed.
    public var end: Double
    /// The whole message as the link carries it (for a latent: the ZeroMQ message, kind tag included).
    public var bytes: Int

    public init(end: Double, bytes: Int) {
        self.end = end
        self.bytes = bytes
    }
}

/// A measurement window on a link of a given rate: how much of the window the link spent carrying
/// messages (its utilisation), and which messages finished crossing inside it.
public struct LinkWindow: Sendable, Equatable, Codable {
    public let start: Double
    public let end: Double
    public let bytesPerSecond: Double

    /// `kilobitsPerSecond` counts 1000 bits, as `--link-kbps` does.
    public init(from start: Double, to end: Double, kilobitsPerSecond: Double) {
        precondition(end > start, "a window lasts some time")
        precondition(kilobitsPerSecond > 0, "a link rate is positive")
        self.start = start
        self.end = end
        bytesPerSecond = kilobitsPerSecond * 1000 / 8
    }

    public var seconds: Double { end - start }

    /// When `transmission`'s first byte went onto the link.
    public func firstByte(of transmission: LinkTransmission) -> Double {
        transmission.end - Double(transmission.bytes) / bytesPerSecond
    }

    /// Seconds of the window during which the link carried some message: each message's time on the
    /// link clipped to the window, a stretch covered by two messages counted once. On a serial link
    /// messages never overlap; measured arrival times can, by the jitter of the processes' loops, and
    /// the link cannot carry more than its rate.
    public func busySeconds(_ transmissions: [LinkTransmission]) -> Double {
        let spans = transmissions.map { (max(start, firstByte(of: $0)), min(end, $0.end)) }
            .filter { $0.0 < $0.1 }
            .sorted { $0.0 < $1.0 }
        var busy = 0.0
        var covered = start
        for (from, to) in spans where to > covered {
            busy += to - max(from, covered)
            covered = to
        }
        return busy
    }

    /// The bytes the link carried inside the window (a message crossing an edge of it counts with the
    /// part inside).
    public func carriedBytes(_ transmissions: [LinkTransmission]) -> Double { busySeconds(transmissions) * bytesPerSecond }

    /// Carried bits over what the rate could carry in the window: 0 for an idle link, 1 for a busy one.
    public func utilisation(_ transmissions: [LinkTransmission]) -> Double { busySeconds(transmissions) / seconds }

    /// Whether `transmission`'s last byte crossed inside the window, `[start, end)`: the messages whose
    /// frames a mode reports, so a frame is counted in one window of back-to-back ones.
    public func finished(_ transmission: LinkTransmission) -> Bool { transmission.end >= start && transmission.end < end }
}

/// One Result as it reached the sink, with what the benchmark needs of it (times in seconds, shared clock).
public struct DeliveredFrame: Sendable, Equatable, Codable {
    public var sequence: UInt64
    public var captured: Double
    /// At the sink.
    public var received: Double
    /// The latent's passage over the link; `nil` for a Result that does not say when its latent arrived
    /// (an error Result the broker made for bytes it could not parse).
    public var transmission: LinkTransmission?
    /// Frames the node dropped before this one (the Result's `dropped_before`).
    public var droppedBefore: UInt64
    public var failed: Bool

    public init(
        sequence: UInt64, captured: Double, received: Double, transmission: LinkTransmission?, droppedBefore: UInt64 = 0,
        failed: Bool = false
    ) {
        self.sequence = sequence
        self.captured = captured
        self.received = received
        self.transmission = transmission
        self.droppedBefore = droppedBefore
        self.failed = failed
    }

    /// Capture to the sink, in milliseconds.
    public var latencyMilliseconds: Double { (received - captured) * 1000 }
}

/// One mode's figures over its window.
public struct ModeFigures: Sendable, Equatable, Codable {
    /// Frames whose latent finished crossing inside the window and that the edge answered.
    public var frames: Int
    /// Error Results among the latents that finished crossing inside the window, and those that do
    /// not say when their latent arrived (counted whenever they came).
    public var errors: Int
    /// The `dropped_before` of those frames: every frame the node dropped before them.
    public var drops: UInt64
    public var utilisation: Double
    public var carriedBytes: Double
    public var windowSeconds: Double
    /// End-to-end latency of those frames (nearest-rank percentiles), ms; `nil` without frames.
    public var latencyP50: Double?
    public var latencyP90: Double?

    /// The figures of `delivered` (every Result of a mode's run) over `window`.
    public init(_ delivered: [DeliveredFrame], window: LinkWindow) {
        let transmissions = delivered.compactMap(\.transmission)
        let counted = delivered.filter { $0.transmission.map(window.finished) ?? false }
        let answered = counted.filter { !$0.failed }
        frames = answered.count
        errors = counted.count - answered.count + delivered.filter { $0.failed && $0.transmission == nil }.count
        drops = counted.reduce(0) { $0 + $1.droppedBefore }
        utilisation = window.utilisation(transmissions)
        carriedBytes = window.carriedBytes(transmissions)
        windowSeconds = window.seconds
        let latencies = answered.map(\.latencyMilliseconds)
        latencyP50 = Percentile.nearestRank(latencies, 50)
        latencyP90 = Percentile.nearestRank(latencies, 90)
    }
}

/// The unloaded one-frame latency: frames that had the pipeline to themselves, each captured after the
/// Result of every frame captured before it had reached the sink (nothing on the link, at the edge or
/// on the way back while it went through).
public enum UnloadedFrames {
    /// The answered frames of `delivered` that went through alone, in capture order; the first frame of
    /// the run is left out (it also pays for the stages' first use).
    public static func alone(_ delivered: [DeliveredFrame]) -> [DeliveredFrame] {
        var lastReceived = -Double.infinity
        var alone: [DeliveredFrame] = []
        for (index, frame) in delivered.sorted(by: { $0.captured < $1.captured }).enumerated() {
            if index > 0, !frame.failed, frame.captured >= lastReceived { alone.append(frame) }
            lastReceived = max(lastReceived, frame.received)
        }
        return alone
    }
}

/// Percentiles as the sink computes them (SinkMetrics): nearest rank, `nil` for no values.
public enum Percentile {
    public static func nearestRank(_ values: [Double], _ percent: Double) -> Double? {
        guard !values.isEmpty else { return nil }
        let sorted = values.sorted()
        let rank = Int((percent / 100 * Double(sorted.count)).rounded(.up))
        return sorted[min(max(rank, 1), sorted.count) - 1]
    }
}
