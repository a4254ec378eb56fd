import Foundation
import Shared

/// `ladon-sink replay`: republishes stored Results (`ResultStore`) on a PUB socket under the topics the
/// sink used, oldest capture first: a time range of one node or all, at a chosen rate or as fast as
/// subscribers take them. Plaintext only (ipc://, or tcp:// with `--insecure`), for tools and tests
/// on the edge's host.
public enum ResultReplay {
    public struct Configuration: Sendable {
        public var store: String
        public var publish: String
        public var node: String?
        /// Capture times, µs since the epoch: [from, to).
        public var from: Int64 = .min
        public var to: Int64 = .max
        /// Results a second; `nil`: as fast as the socket takes them.
        public var rate: Double?
        /// Seconds to wait after binding, so subscribers connect before the first Result.
        public var waitSeconds = 1.0

        public init(store: String, publish: String) {
            self.store = store
            self.publish = publish
        }
    }

    /// Publishes every stored Result in range; returns how many were published and how many rows did not parse.
    public static func run(_ configuration: Configuration, shouldStop: () -> Bool) throws -> (published: Int, unreadable: Int) {
        let store = try ResultStore(path: configuration.store, readOnly: true)
        defer { store.close() }
        let rows = try store.rows(node: configuration.node, from: configuration.from, to: configuration.to)
        let context = try Context()
        defer { context.close() }
        let publisher = try context.socket(.publisher, lingerMilliseconds: 2_000)
        defer { publisher.close() }
        // Every Result of the range is wanted: a deep queue rather than the live sink's freshest few.
        try publisher.set(.sendHighWaterMark(messages: 100_000))
        try publisher.set(.maxMessageSize(bytes: 1024))
        let endpoint = try publisher.bind(configuration.publish)
        Logger(label: "ladon-sink.replay").info("replaying", ["rows": rows.count, "publish": endpoint])
        PipelineClock.sleep(seconds: configuration.waitSeconds, unless: shouldStop)
        var (published, unreadable) = (0, 0)
        let interval = configuration.rate.map { 1 / $0 } ?? 0
        for row in rows where !shouldStop() {
            guard let result = try? ResultMessage(serialized: row.result) else {
                unreadable += 1
                continue
            }
            for topic in result.topics { try publisher.send([Array(topic.utf8), row.result]) }
            published += 1
            if interval > 0 { PipelineClock.sleep(seconds: interval, unless: shouldStop) }
        }
        return (published, unreadable)
    }
}
