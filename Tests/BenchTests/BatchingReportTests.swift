import LadonBench
import Testing

/// `ladon-bench batching`'s arithmetic without processes.
@Suite struct BatchingReportTests {
    @Test func percentilesAreNearestRank() {
        let values = (1...100).map(Double.init).reversed()
        #expect(BatchingReport.percentile(Array(values), 0.50) == 50)
        #expect(BatchingReport.percentile(Array(values), 0.99) == 99)
        #expect(BatchingReport.percentile([7], 0.99) == 7)
        #expect(BatchingReport.percentile([], 0.5).isNaN)
    }

    @Test func roundsOfOneConfigurationMergeAndEachBatchingRowIsComparedWithItsUnbatchedOne() {
        var report = BatchingReport()
        report.runs = [
            .init(nodes: 4, maxBatch: 1, seconds: 10, results: 20, cpuSeconds: 20, latenciesMilliseconds: [100, 300]),
            .init(nodes: 4, maxBatch: 8, seconds: 10, results: 30, cpuSeconds: 20, latenciesMilliseconds: [200]),
            .init(nodes: 4, maxBatch: 1, seconds: 10, results: 20, cpuSeconds: 20, latenciesMilliseconds: [100]),
        ]
        let merged = report.merged
        #expect(merged.map(\.maxBatch) == [1, 8])
        #expect(merged[0].results == 40 && merged[0].seconds == 20 && merged[0].framesPerCoreSecond == 1)
        #expect(merged[0].p50 == 100)
        #expect(merged[1].framesPerCoreSecond == 1.5)
        #expect(report.lines.count == 3)
        #expect(report.lines[2].hasSuffix("x1.50, x2.00"), "\(report.lines[2])")
    }
}
