import Foundation
import Shared

/// `ladon-sink replay`: republishes stored Results (`ResultStore`) on a PUB socket under the topics the
/// sink used, oldest capture first: a time range of one node or all, at a chosen rate or as fast as
/// subscribers take them. With `rerunModel`, each stored Latent (kept with `ladon-edge serve
/// --keep-latents`) is run again through that model's trunk and heads (e.g. a newer head for the same
/// encoder) and the new Result is published instead, and stored into `rerunStore` when given.
/// Plaintext only (ipc://, or tcp:// with `--insecure`), for tools and tests on the edge's host.
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
        /// Run the stored latents again through this model file instead of republishing the stored Results.
        public var rerunModel: String?
        /// Store the re-run Results in this SQLite file.
        public var rerunStore: String?

        public init(store: String, publish: String) {
            self.store = store
            self.publish = publish
        }
    }

    /// What a replay did, for its exit line.
    public struct Counts: Sendable, Equatable {
        public var published = 0
        /// Stored rows whose Result (or Latent, when re-running) did not parse.
        public var unreadable = 0
        /// Re-running: Results computed again, rows stored without a latent, latents of another encoder
        /// (another model identity), and latents the model could not process.
        public var rerun = 0
        public var withoutLatent = 0
        public var otherModel = 0
        public var failed = 0

        public var line: String {
            "published=\(published) unreadable=\(unreadable)"
                + (rerun + withoutLatent + otherModel + failed > 0
                    ? " rerun=\(rerun) no_latent=\(withoutLatent) other_model=\(otherModel) failed=\(failed)" : "")
        }
    }

    /// Publishes every stored Result in range (or its re-run) and returns what happened.
    public static func run(_ configuration: Configuration, shouldStop: () -> Bool) throws -> Counts {
        let store = try ResultStore(path: configuration.store, readOnly: true)
        defer { store.close() }
        let rows = try store.rows(node: configuration.node, from: configuration.from, to: configuration.to)
        var rerun = try configuration.rerunModel.map { try StoredLatentRerun(model: $0, into: configuration.rerunStore) }
        defer { rerun?.close() }
        let context = try Context()
        defer { context.close() }
        let publisher = try context.socket(.publisher, lingerMilliseconds: 2_000)
        defer { publisher.close() }
        // Every Result of the range is wanted: a deep queue rather than the live sink's freshest few.
        try publisher.set(.sendHighWaterMark(messages: 100_000))
        try publisher.set(.maxMessageSize(bytes: 1024))
        let endpoint = try publisher.bind(configuration.publish)
        let log = Logger(label: "ladon-sink.replay")
        log.info("replaying", ["rows": rows.count, "publish": endpoint, "rerun": configuration.rerunModel ?? "-"])
        PipelineClock.sleep(seconds: configuration.waitSeconds, unless: shouldStop)
        var counts = Counts()
        let interval = configuration.rate.map { 1 / $0 } ?? 0
        for row in rows where !shouldStop() {
            let published: (result: ResultMessage, bytes: [UInt8])
            if rerun != nil {
                guard let again = try rerun!.run(row, &counts, log) else { continue }
                published = again
            } else {
                guard let result = try? ResultMessage(serialized: row.result) else {
                    counts.unreadable += 1
                    continue
                }
                published = (result, row.result)
            }
            for topic in published.result.topics { try publisher.send([Array(topic.utf8), published.bytes]) }
            counts.published += 1
            if interval > 0 { PipelineClock.sleep(seconds: interval, unless: shouldStop) }
        }
        return counts
    }
}
