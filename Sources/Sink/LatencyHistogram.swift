import Foundation

/// Latencies in milliseconds counted in log-spaced buckets 1 % wide, from 0.01 ms to about 3 hours:
/// constant memory however long the sink runs (a list of samples grew with every Result), and any
/// percentile within half a percent. Values at or below the first bucket (a capture clock ahead of
/// the sink's) count in it.
public struct LatencyHistogram: Sendable, Equatable {
    static let smallest = 0.01
    static let ratio = 1.01
    static let bucketCount = 2_000

    private var buckets = [Int](repeating: 0, count: LatencyHistogram.bucketCount)
    public private(set) var count = 0

    public init() {}

    public mutating func record(_ milliseconds: Double) {
        buckets[Self.bucket(of: milliseconds)] += 1
        count += 1
    }

    static func bucket(of milliseconds: Double) -> Int {
        guard milliseconds > smallest else { return 0 }
        let index = Int(log(milliseconds / smallest) / log(ratio))
        return min(max(index, 0), bucketCount - 1)
    }

    /// The nearest-rank percentile, as the geometric middle of its bucket; `nil` when empty.
    public func percentile(_ percent: Double) -> Double? {
        guard count > 0 else { return nil }
        let rank = min(max(Int((percent / 100 * Double(count)).rounded(.up)), 1), count)
        var seen = 0
        for (index, n) in buckets.enumerated() {
            seen += n
            if seen >= rank { return Self.smallest * pow(Self.ratio, Double(index) + 0.5) }
        }
        return nil
    }
}
