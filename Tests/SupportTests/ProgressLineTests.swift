import Shared
import Testing

/// Progress lines for long work, on a clock of the test's own.
@Suite struct ProgressLineTests {
    @Test func aLineCountsTheItemsAndSaysTheRateAndTheTimeLeft() {
        let progress = ProgressLine(total: 60)
        #expect(progress.line(done: 12, item: "val-00011.jpg", elapsed: 4) == "[12/60] val-00011.jpg (3.0 images/s, 16 s left)")
        #expect(progress.line(done: 30, item: "a", elapsed: 1) == "[30/60] a (30 images/s, 1 s left)")
        #expect(progress.line(done: 1, item: "a", elapsed: 100) == "[1/60] a (0.01 images/s, 98 min 20 s left)")
    }

    @Test func beforeAnyTimeHasPassedTheLineHasNoRate() {
        #expect(ProgressLine(total: 3).line(done: 0, item: "x", elapsed: 0) == "[0/3] x")
    }
}
