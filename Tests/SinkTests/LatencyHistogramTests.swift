import LadonSink
import Testing

/// The sink's latency percentiles in constant memory.
@Suite struct LatencyHistogramTests {
    @Test func percentilesAreWithinHalfAPercentOfTheExactNearestRank() throws {
        var histogram = LatencyHistogram()
        let samples = (1...10_000).map { Double($0) * 0.37 }
        for sample in samples.shuffled() { histogram.record(sample) }
        for percent in [1.0, 50, 90, 99, 100] {
            let exact = samples[Int((percent / 100 * Double(samples.count)).rounded(.up)) - 1]
            let estimate = try #require(histogram.percentile(percent))
            #expect(abs(estimate - exact) / exact <= 0.005, "p\(percent): \(estimate) for \(exact)")
        }
        #expect(histogram.count == 10_000)
    }

    @Test func anEmptyHistogramHasNoPercentileAndNegativeLatenciesCountInTheFirstBucket() {
        var histogram = LatencyHistogram()
        #expect(histogram.percentile(50) == nil)
        histogram.record(-3)
        histogram.record(0)
        #expect((histogram.percentile(100) ?? 1) < 0.02)
    }

    @Test func aMillionRecordsOfOneValueLeaveItsPercentileWhereOneRecordPutsIt() {
        var histogram = LatencyHistogram()
        histogram.record(5)
        let one = histogram
        for _ in 0..<1_000_000 { histogram.record(5) }
        #expect(histogram.count == 1_000_001)
        #expect(histogram.percentile(50) == one.percentile(50))
    }
}
