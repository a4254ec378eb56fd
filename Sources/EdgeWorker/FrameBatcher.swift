/// The worker's batching rule, apart from the sockets and the clock: Jobs wait here until the compute
/// thread is free, then leave as one batch. A batch holds frames of one latent shape only (they are
/// stacked into one tensor), the oldest waiting frame's, oldest first, at most `maxBatch`. It starts
/// as soon as one of these holds:
/// - it is full (`maxBatch` frames of that shape; with `maxBatch` 1, every frame at once: no batching);
/// - the worker holds every frame the broker may give it (`maxBatch` in all, its Ready capacity), so
///   no more can come to fill it;
/// - the oldest waiting frame has waited `waitSeconds` (the latency bound; 0 takes what is there);
/// - the oldest frame has no shape (its bytes did not parse): it goes alone, to be answered with its error.
/// Frames of other shapes keep their places and go in a later batch.
public struct FrameBatcher<Item> {
    public let maxBatch: Int
    public let waitSeconds: Double
    private var waiting: [(item: Item, shape: [Int]?, arrivedAt: Double)] = []

    public init(maxBatch: Int, waitSeconds: Double) {
        self.maxBatch = max(1, maxBatch)
        self.waitSeconds = max(0, waitSeconds)
    }

    public var count: Int { waiting.count }
    public var isEmpty: Bool { waiting.isEmpty }

    /// A Job arrived at `now`; `shape` is its latent's shape (`nil` when its bytes do not parse).
    public mutating func add(_ item: Item, shape: [Int]?, now: Double) {
        waiting.append((item, shape, now))
    }

    /// When the oldest waiting frame's wait runs out, for the I/O loop's poll timeout; `nil` when none waits.
    public var deadline: Double? { waiting.first.map { $0.arrivedAt + waitSeconds } }

    /// The batch to compute now (the compute thread is free), taken out of the waiting frames, or `nil`
    /// when none should start yet.
    public mutating func take(now: Double) -> [Item]? {
        guard let oldest = waiting.first else { return nil }
        guard let shape = oldest.shape else {
            waiting.removeFirst()
            return [oldest.item]
        }
        let members = Array(waiting.indices.filter { waiting[$0].shape == shape }.prefix(maxBatch))
        let starts = members.count == maxBatch || waiting.count >= maxBatch || now - oldest.arrivedAt >= waitSeconds
        guard starts else { return nil }
        let batch = members.map { waiting[$0].item }
        for index in members.reversed() { waiting.remove(at: index) }
        return batch
    }

    /// Every waiting frame, oldest first (the loop is stopping or starting over).
    public mutating func takeAll() -> [Item] {
        defer { waiting.removeAll() }
        return waiting.map(\.item)
    }
}
