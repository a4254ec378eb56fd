import Shared

/// What the sink counts per node and overall: frames, errors, drops, latent bytes and end-to-end
/// latency (receive time minus capture time, so the clocks of node and sink must agree).
public struct SinkMetrics: Sendable {
    public struct Counts: Sendable {
        public var frames = 0
        public var errors = 0
        /// Frames the node dropped before the ones it sent (carried on each Result).
        public var drops: UInt64 = 0
        public var latentBytes: UInt64 = 0
        /// End-to-end milliseconds of the successful frames.
        public var latencies = LatencyHistogram()

        mutating func record(_ result: ResultMessage, latency: Double?) {
            frames += 1
            drops += result.header.droppedBefore
            guard result.error == nil else {
                errors += 1
                return
            }
            latentBytes += result.latentBytes
            if let latency { latencies.record(latency) }
        }

        /// Nearest-rank percentile of the latencies (within 0.5 %), `nil` when there are none.
        public func latencyPercentile(_ percent: Double) -> Double? { latencies.percentile(percent) }

        var fields: String {
            let answered = frames - errors
            let perFrame = answered > 0 ? Double(latentBytes) / Double(answered) : 0
            func ms(_ value: Double?) -> String { value.map { format($0) } ?? "-" }
            return "frames=\(frames) errors=\(errors) drops=\(drops) bytes_per_frame=\(format(perFrame)) "
                + "latency_ms_p50=\(ms(latencyPercentile(50))) latency_ms_p90=\(ms(latencyPercentile(90))) "
                + "latency_ms_p99=\(ms(latencyPercentile(99)))"
        }
    }

    public private(set) var total = Counts()
    public private(set) var perNode: [String: Counts] = [:]
    /// Messages on the results socket that were not a Result (InputRejections counted them).
    public internal(set) var malformed = 0

    public init() {}

    /// Counts one Result received at `receivedMicroseconds` and returns its end-to-end latency in ms
    /// (`nil` for a Result without a capture time).
    @discardableResult
    public mutating func record(_ result: ResultMessage, receivedMicroseconds: Int64) -> Double? {
        let latency =
            result.header.captureTimeMicroseconds > 0
            ? Double(receivedMicroseconds - result.header.captureTimeMicroseconds) / 1000 : nil
        total.record(result, latency: latency)
        perNode[result.header.nodeID, default: Counts()].record(result, latency: latency)
        return latency
    }

    /// The summary: one line for all nodes, then one per node, each `key=value` fields after `heading`.
    public func summary(_ heading: String) -> [String] {
        ["\(heading) \(total.fields) malformed=\(malformed) nodes=\(perNode.count)"]
            + perNode.sorted { $0.key < $1.key }.map { "\(heading) node=\($0.key) \($0.value.fields)" }
    }
}

private func format(_ value: Double) -> String {
    let scaled = (value * 10).rounded() / 10
    return "\(scaled)"
}
