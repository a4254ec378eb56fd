import Synchronization

/// What a subscriber's reader thread has received and the application not yet taken: only the newest
/// Result per topic. A Result that a newer one replaces before the application took it is skipped and
/// counted against its topic, so a slow application always gets the freshest Results, never a backlog.
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
        var skipped: Int
        var arrival: UInt64
    }

    private struct State {
        var waiting: [String: Waiting] = [:]
        var arrivals: UInt64 = 0
        var skippedTotal = 0
    }

    private let state = Mutex(State())

    public init() {}

    /// A Result arrived on `topic`; it replaces one that was not taken yet.
    public func offer(topic: String, payload: [UInt8]) {
        state.withLock { state in
            state.arrivals += 1
            let skipped = state.waiting[topic].map { $0.skipped + 1 } ?? 0
            if state.waiting[topic] != nil { state.skippedTotal += 1 }
            state.waiting[topic] = Waiting(payload: payload, skipped: skipped, arrival: state.arrivals)
        }
    }

    /// The newest Result of every topic that has one waiting, oldest arrival first; they are taken.
    public func take() -> [Taken] {
        state.withLock { state in
            let taken = state.waiting.sorted { $0.value.arrival < $1.value.arrival }.map {
                Taken(topic: $0.key, payload: $0.value.payload, skipped: $0.value.skipped)
            }
            state.waiting.removeAll()
            return taken
        }
    }

    /// Every Result replaced before it was taken.
    public var skipped: Int { state.withLock { $0.skippedTotal } }
}
