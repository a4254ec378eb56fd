import Shared

/// Frigate-style events from a node's detections: `new` when a class appears, `update` when the number
/// of its objects changes, `end` once it has been absent `endAfterMisses` frames in a row (one missed
/// detection does not end it). Error Results say nothing about what is in view and are skipped.
/// Rules only: the sink publishes what `observe` returns.
public struct ClassEvents: Sendable {
    public struct Event: Sendable, Equatable {
        public enum Kind: String, Sendable { case new, update, end }
        public var kind: Kind
        public var node: String
        public var label: String
        /// The frame that caused the event.
        public var sequence: UInt64
        /// Objects of the class in that frame (0 for `end`), and the best score among them.
        public var count: Int
        public var score: Float
    }

    private struct Present {
        var count: Int
        var misses: Int
    }

    public let endAfterMisses: Int
    private var present: [String: [String: Present]] = [:]

    public init(endAfterMisses: Int = 3) {
        precondition(endAfterMisses >= 1, "a class ends after at least one frame without it")
        self.endAfterMisses = endAfterMisses
    }

    public mutating func observe(_ result: ResultMessage) -> [Event] {
        guard result.error == nil, let detections = result.tasks.detections else { return [] }
        let node = result.header.nodeID
        let sequence = result.header.sequence
        var seen: [String: (count: Int, score: Float)] = [:]
        for object in detections {
            let entry = seen[object.name] ?? (0, 0)
            seen[object.name] = (entry.count + 1, max(entry.score, object.score))
        }
        var classes = present[node] ?? [:]
        var events: [Event] = []
        for (label, now) in seen.sorted(by: { $0.key < $1.key }) {
            let before = classes[label]
            if before == nil {
                events.append(Event(kind: .new, node: node, label: label, sequence: sequence, count: now.count, score: now.score))
            } else if before?.count != now.count {
                events.append(Event(kind: .update, node: node, label: label, sequence: sequence, count: now.count, score: now.score))
            }
            classes[label] = Present(count: now.count, misses: 0)
        }
        for label in classes.keys.sorted() where seen[label] == nil {
            classes[label]!.misses += 1
            if classes[label]!.misses >= endAfterMisses {
                classes[label] = nil
                events.append(Event(kind: .end, node: node, label: label, sequence: sequence, count: 0, score: 0))
            }
        }
        present[node] = classes
        return events
    }
}
