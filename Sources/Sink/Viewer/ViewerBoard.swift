import Foundation
import Shared
import Synchronization

/// What the live viewer shows, written by the sink's I/O thread as Results arrive and read by the
/// viewer's thread: per node its newest Result, the last `historyLength` points of latency and coded
/// bytes, and its counts; plus a numbered log of the updates (`ViewerEvent`s, as JSON) that the event
/// stream sends on. Bounded everywhere: at most `maximumNodes` nodes (later ones are counted, not
/// shown) and the newest `logLength` updates (a client further behind gets a fresh snapshot).
public final class ViewerBoard: Sendable {
    public struct Limits: Sendable {
        public var historyLength = 120
        public var maximumNodes = 64
        public var logLength = 512

        public init() {}
    }

    /// The newest update of one node as the page reads it.
    struct Node: Sendable {
        /// The newest Result without an error: the one drawn.
        var latestAnswered: ResultMessage?
        var event: ViewerEvent
        var history: [ViewerEvent.Point] = []
    }

    struct State: Sendable {
        var nodes: [String: Node] = [:]
        var order: [String] = []
        var revision: UInt64 = 0
        /// (revision, JSON of the update), oldest first.
        var log: [(UInt64, String)] = []
        /// Nodes beyond `maximumNodes`, by name (up to `maximumNodes` more are told apart).
        var hiddenNodes: Set<String> = []
    }

    public let limits: Limits
    /// Detections below this score are left out of the updates, as they are off the pictures.
    public let minimumScore: Float
    private let state = Mutex(State())
    private let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return encoder
    }()

    public init(limits: Limits = Limits(), minimumScore: Float = 0.5) {
        self.limits = limits
        self.minimumScore = minimumScore
    }

    /// Records one Result the sink handled, with its end-to-end latency and the sink's counts of its node.
    public func record(_ result: ResultMessage, latencyMilliseconds: Double?, counts: SinkMetrics.Counts) {
        let event = ViewerEvent(result, latencyMilliseconds: latencyMilliseconds, counts: counts, minimumScore: minimumScore)
        let json = Self.json(encoder, event)
        state.withLock { state in
            let name = result.header.nodeID
            if state.nodes[name] == nil {
                guard state.nodes.count < limits.maximumNodes else {
                    if state.hiddenNodes.count < limits.maximumNodes { state.hiddenNodes.insert(name) }
                    return
                }
                state.order.append(name)
            }
            var node = state.nodes[name] ?? Node(event: event)
            node.event = event
            if result.error == nil { node.latestAnswered = result }
            node.history.append(event.point)
            if node.history.count > limits.historyLength { node.history.removeFirst(node.history.count - limits.historyLength) }
            state.nodes[name] = node
            state.revision += 1
            state.log.append((state.revision, json))
            if state.log.count > limits.logLength { state.log.removeFirst(state.log.count - limits.logLength) }
        }
    }

    /// Every node as the page starts from, with its history, and the revision it is current to.
    public func snapshot() -> (json: String, revision: UInt64) {
        let (snapshot, revision) = state.withLock { state in
            (
                ViewerSnapshot(
                    nodes: state.order.compactMap { name in state.nodes[name].map { ViewerSnapshot.Node(update: $0.event, history: $0.history) } },
                    nodesNotShown: state.hiddenNodes.count), state.revision
            )
        }
        return (Self.json(encoder, snapshot), revision)
    }

    /// The updates after `revision`, oldest first, and the revision they reach; `nil` when some of them
    /// have left the log (the caller sends a snapshot instead).
    public func updates(after revision: UInt64) -> (updates: [String], revision: UInt64)? {
        state.withLock { state in
            guard state.revision > revision else { return ([], state.revision) }
            guard let first = state.log.first, first.0 <= revision + 1 else { return nil }
            return (state.log.filter { $0.0 > revision }.map(\.1), state.revision)
        }
    }

    /// The newest answered Result of `node`, the one its picture shows.
    public func latestAnswered(node: String) -> ResultMessage? { state.withLock { $0.nodes[node]?.latestAnswered } }

    public var revision: UInt64 { state.withLock { $0.revision } }

    private static func json(_ encoder: JSONEncoder, _ value: some Encodable) -> String {
        // The types encoded hold strings and finite numbers only (non-finite latencies are left out).
        String(decoding: (try? encoder.encode(value)) ?? Data("{}".utf8), as: UTF8.self)
    }
}
