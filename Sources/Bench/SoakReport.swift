import Foundation

/// Everything one `ladon-bench soak` run measured, as printed and as `--json` writes it.
public struct SoakReport: Sendable, Codable {
    /// One node's Results: as the benchmark heard them, and as the sink and the node's stages counted them
    /// over the whole run (their exit summaries; `nil` where a stage printed none).
    public struct Node: Sendable, Equatable, Codable {
        public var node: String
        public var heard = 0
        public var errors = 0
        public var longestGapSeconds = 0.0
        public var sinkFrames: Int?
        public var sinkErrors: Int?
        public var sinkDrops: Int?
        /// Frames the encoder received and never made a latent of (the freshest policy replaced them).
        public var encoderDropped: Int?
        /// The encoder's and ingest's exit summaries.
        public var encoder = ""
        public var ingest = ""
    }

    public var model: String
    public var source: String
    public var nodeCount: Int
    public var workers: Int
    public var framesPerSecond: Double
    public var subscriberRate: Double
    public var sampleSeconds: Double
    public var target: Int
    public var warmupResults: Int
    public var limits: SoakLimits

    public var ending = ""
    public var reached = false
    /// Results heard before the stop, error Results included.
    public var frames = 0
    public var errors = 0
    /// From the first Result to the last one heard before the stop.
    public var seconds = 0.0
    public var resultsPerSecond = 0.0
    /// From starting the first process to the end of the stop.
    public var wallSeconds = 0.0
    /// When the warm-up ended, seconds after the first Result.
    public var warmupSeconds: Double?
    public var memory: [MemoryTrack] = []
    public var longestGapSeconds = 0.0
    public var longestGapNode = ""
    public var subscriber: SubscriberFigures
    /// The slow subscriber's seconds with Results flowing (first Result to its stop), and the lines it
    /// should print in them: one at the first Result, then rate x seconds.
    public var subscriberSeconds = 0.0
    public var expectedSubscriberLines = 0.0
    public var nodes: [Node] = []
    /// Results the benchmark heard while the stages stopped (the edge answers what it holds then).
    public var heardAfterStop = 0
    /// Messages on the Results topics that were not a Result.
    public var unreadable = 0
    /// The sink's final summary line and its count; the broker's exit line.
    public var sink = ""
    public var sinkFrames: Int?
    public var edge = ""
    public var verdict: SoakVerdict

    init(_ configuration: SoakBenchmark.Configuration, monitor: SoakMonitor) {
        model = configuration.model
        source = configuration.source
        nodeCount = configuration.nodes
        workers = configuration.workers
        framesPerSecond = configuration.framesPerSecond
        subscriberRate = configuration.subscriberRate
        sampleSeconds = configuration.sampleSeconds
        target = monitor.target
        warmupResults = monitor.warmupResults
        limits = monitor.limits
        subscriber = SubscriberFigures(output: "")
        verdict = SoakVerdict(
            ending: .interrupted, memory: [], gaps: [], subscriber: subscriber, expectedLines: 0, errors: 0, limits: monitor.limits)
    }

    public var lines: [String] {
        let fileName = { (path: String) in URL(fileURLWithPath: path).lastPathComponent }
        var lines = [
            "ladon-bench soak: \(nodeCount) nodes (ladon-ingest --loop --fps \(format(framesPerSecond)) on \(fileName(source)), "
                + "ladon-encoder run), ladon-edge serve with \(workers) workers, ladon-sink serve; model \(fileName(model))",
            String(
                format: "%d Results in %.1f s after the first (%.1f Results/s; %.1f s from start to stop), %d errors; ended: %@", frames,
                seconds, resultsPerSecond, wallSeconds, errors, ending),
            "warm-up: the first \(warmupResults) Results" + (warmupSeconds.map { String(format: " (%.1f s)", $0) } ?? " (not reached)")
                + "; RSS sampled every \(format(sampleSeconds)) s",
            "process".padding(toLength: 20, withPad: " ", startingAt: 0)
                + columns(["pid", "warm-up MiB", "end MiB", "peak MiB", "growth"], widths: Self.memoryWidths),
        ]
        for track in memory {
            func mebibytes(_ bytes: Int?) -> String { bytes.map { String(format: "%.1f", Double($0) / 1_048_576) } ?? "-" }
            let growth =
                track.firstSeenAfterWarmup ? "late" : track.gone ? "gone" : track.growth.map { String(format: "%+.1f%%", $0 * 100) } ?? "-"
            lines.append(
                track.name.padding(toLength: 20, withPad: " ", startingAt: 0)
                    + columns(
                        ["\(track.pid)", mebibytes(track.warmupBytes), mebibytes(track.endBytes), mebibytes(track.peakBytes), growth],
                        widths: Self.memoryWidths))
        }
        lines.append(String(format: "longest gap between one node's Results: %.2f s (%@)", longestGapSeconds, longestGapNode))
        func ms(_ value: Double?) -> String { value.map { String(format: "%.0f", $0) } ?? "-" }
        lines.append(
            String(
                format: "slow subscriber (--max-rate %@) over %.1f s: %d lines (%.0f expected), age_ms max %@ p99 %@, skipped %d",
                format(subscriberRate), subscriberSeconds, subscriber.lines, expectedSubscriberLines, ms(subscriber.maximumAgeMilliseconds),
                ms(subscriber.p99AgeMilliseconds), subscriber.skipped) + (subscriber.unreadable > 0 ? ", \(subscriber.unreadable) unreadable" : ""))
        lines.append(
            "node".padding(toLength: 10, withPad: " ", startingAt: 0)
                + columns(["heard", "errors", "gap s", "sink frames", "errors", "drops", "enc dropped"], widths: Self.nodeWidths))
        for node in nodes {
            func number(_ value: Int?) -> String { value.map { "\($0)" } ?? "-" }
            lines.append(
                node.node.padding(toLength: 10, withPad: " ", startingAt: 0)
                    + columns(
                        [
                            "\(node.heard)", "\(node.errors)", String(format: "%.2f", node.longestGapSeconds), number(node.sinkFrames),
                            number(node.sinkErrors), number(node.sinkDrops), number(node.encoderDropped),
                        ], widths: Self.nodeWidths))
        }
        let edgeFields = SummaryFields.parse(edge, lineStartingWith: "").fields
        let edgeNames = ["results", "errors", "retries", "dead_workers", "respawned_workers", "sink_dropped", "over_window"]
        lines.append("edge: " + edgeNames.compactMap { name in edgeFields[name].map { "\(name)=\($0)" } }.joined(separator: " "))
        lines.append(
            "sink: \(sinkFrames.map { "\($0)" } ?? "-") Results counted; the benchmark heard \(frames) before the stop and "
                + "\(heardAfterStop) during it" + (sinkFrames == frames + heardAfterStop ? "" : " (NOT what the sink counted)")
                + (unreadable > 0 ? ", \(unreadable) unreadable" : ""))
        lines.append(verdict.line)
        return lines
    }

    public func json() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return try encoder.encode(self)
    }

    private static let memoryWidths = [7, 12, 9, 9, 8]
    private static let nodeWidths = [7, 7, 7, 12, 7, 9, 12]
}

/// A number as `%g` writes it (100, 2.5).
private func format(_ value: Double) -> String { String(format: "%g", value) }

/// Texts right-aligned in columns of `widths`, one space apart.
private func columns(_ texts: [String], widths: [Int]) -> String {
    zip(texts, widths).map { String(repeating: " ", count: max(0, $1 - $0.count)) + $0 }.joined(separator: " ")
}
