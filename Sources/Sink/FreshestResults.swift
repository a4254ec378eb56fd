import Synchronization

/// What a subscriber's reader thread has received and the application not yet taken: the newest
/// `depth` Results per topic (one by default). A Result pushed out by newer ones before the application
/// took it is skipped and counted against its topic, so a slow application always gets the freshest
/// Results, never a backlog; a deep mailbox (`--every`) keeps every Result of an application that keeps up.
/// Shared between the reader thread and the application's; all state is behind one lock.
public final class FreshestResults: Sendable {
    public struct Taken: Sendable, Equatable {
        public let topic: String
        /// The Result's bytes as published.
        public let payload: [UInt8]
        /// Results of this topic that arrived after the previous one taken and were replaced unread.
        public let skipped: Int
    }

    private struct Waiting {
        var payload: [UInt8]
        var arrival: UInt64
    }

    private struct State {
        var waiting: [String: [Waiting]] = [:]
        var skippedSinceTaken: [String: Int] = [:]
        var arrivals: UInt64 = 0
        var skippedTotal = 0
    }

    /// The depth of an application that wants every Result: far more than the sink's queue per subscriber.
    public static let everyDepth = 4096
    /// Results kept per topic until taken.
    public let depth: Int
    private let state = Mutex(State())

    public init(depth: Int = 1) {
        precondition(depth >= 1, "a mailbox keeps at least one Result per topic")
        self.depth = depth
    }

    /// A Result arrived on `topic`; it pushes out the topic's oldest untaken one when `depth` are waiting.
    public func offer(topic: String, payload: [UInt8]) {
        state.withLock { state in
            state.arrivals += 1
            var queue = state.waiting[topic, default: []]
            if queue.count == depth {
                queue.removeFirst()
                state.skippedSinceTaken[topic, default: 0] += 1
                state.skippedTotal += 1
            }
            queue.append(Waiting(payload: payload, arrival: state.arrivals))
            state.waiting[topic] = queue
        }
    }

    /// Up to `limit` waiting Results, oldest arrival first; they are taken and the rest keep waiting.
    /// A topic's skips ride on the first of its Results taken after them.
    public func take(limit: Int = .max) -> [Taken] {
        state.withLock { state in
            var oldest: [(arrival: UInt64, topic: String)] = []
            for (topic, queue) in state.waiting { oldest += queue.map { ($0.arrival, topic) } }
            oldest.sort { $0.arrival < $1.arrival }
            var taken: [Taken] = []
            for (_, topic) in oldest.prefix(limit) {
                let waiting = state.waiting[topic]!.removeFirst()
                if state.waiting[topic]!.isEmpty { state.waiting[topic] = nil }
                let skipped = state.skippedSinceTaken.removeValue(forKey: topic) ?? 0
                taken.append(Taken(topic: topic, payload: waiting.payload, skipped: skipped))
            }
            return taken
        }
    }

    /// Every Result replaced before it was taken.
    public var skipped: Int { state.withLock { $0.skippedTotal } }
}
