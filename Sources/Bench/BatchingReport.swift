import Foundation

/// What one `ladon-bench batching` run measured, apart from the processes: per configuration (nodes,
/// max batch) the Results counted over the measured seconds, the CPU seconds the edge's processes spent
/// in them and each Result's latency (the node's send to the sink's receipt).
public struct BatchingReport {
    public struct Run {
        public var nodes: Int
        public var maxBatch: Int
        public var seconds: Double
        public var results: Int
        public var cpuSeconds: Double
        public var latenciesMilliseconds: [Double]

        public init(nodes: Int, maxBatch: Int, seconds: Double, results: Int, cpuSeconds: Double, latenciesMilliseconds: [Double]) {
            (self.nodes, self.maxBatch, self.seconds, self.results) = (nodes, maxBatch, seconds, results)
            (self.cpuSeconds, self.latenciesMilliseconds) = (cpuSeconds, latenciesMilliseconds)
        }

        public var framesPerSecond: Double { seconds > 0 ? Double(results) / seconds : 0 }
        /// Frames per second of one core's time: Results per CPU second of the broker and its workers.
        public var framesPerCoreSecond: Double { cpuSeconds > 0 ? Double(results) / cpuSeconds : 0 }
        public var p50: Double { BatchingReport.percentile(latenciesMilliseconds, 0.50) }
        public var p99: Double { BatchingReport.percentile(latenciesMilliseconds, 0.99) }
    }

    public var runs: [Run] = []

    public init() {}

    /// The nearest-rank percentile (`fraction` in 0...1) of `values`; NaN when there are none.
    public static func percentile(_ values: [Double], _ fraction: Double) -> Double {
        guard !values.isEmpty else { return .nan }
        let sorted = values.sorted()
        let rank = Int((fraction * Double(sorted.count)).rounded(.up))
        return sorted[min(sorted.count, max(1, rank)) - 1]
    }

    /// Each configuration's runs merged (the rounds interleave them): Results, seconds and CPU summed,
    /// latencies pooled; in the order each configuration first ran.
    public var merged: [Run] {
        var order: [[Int]] = []
        var byKey: [[Int]: Run] = [:]
        for run in runs {
            let key = [run.nodes, run.maxBatch]
            guard var total = byKey[key] else {
                order.append(key)
                byKey[key] = run
                continue
            }
            total.seconds += run.seconds
            total.results += run.results
            total.cpuSeconds += run.cpuSeconds
            total.latenciesMilliseconds += run.latenciesMilliseconds
            byKey[key] = total
        }
        return order.compactMap { byKey[$0] }
    }

    /// One line per configuration, each batching one beside its unbatched run at the same node count.
    public var lines: [String] {
        let rows = merged
        var lines = ["nodes  max-batch  frames/s  frames/core-s    p50 ms    p99 ms  vs max-batch 1 (frames/core-s, p50)"]
        for row in rows {
            let base = rows.first { $0.nodes == row.nodes && $0.maxBatch == 1 }
            let versus =
                base.map { base in
                    row.maxBatch == 1
                        ? "" : String(format: "x%.2f, x%.2f", row.framesPerCoreSecond / base.framesPerCoreSecond, row.p50 / base.p50)
                } ?? ""
            lines.append(
                String(
                    format: "%-6d %-9d %9.2f %14.2f %9.1f %9.1f  ", row.nodes, row.maxBatch, row.framesPerSecond, row.framesPerCoreSecond,
                    row.p50, row.p99) + versus)
        }
        return lines
    }
}
