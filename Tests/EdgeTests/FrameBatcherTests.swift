import LadonEdge
import Testing

/// The worker's batching rule without sockets or a clock: times are plain seconds.
@Suite struct FrameBatcherTests {
    static let shape = [8, 7, 7]
    static let other = [8, 9, 7]

    @Test func withAMaxBatchOfOneEveryFrameGoesAloneAtOnce() {
        var batcher = FrameBatcher<Int>(maxBatch: 1, waitSeconds: 0.5)
        batcher.add(1, shape: Self.shape, now: 0)
        batcher.add(2, shape: Self.shape, now: 0)
        #expect(batcher.take(now: 0) == [1])
        #expect(batcher.take(now: 0) == [2])
        #expect(batcher.take(now: 0) == nil)
    }

    @Test func aBatchWaitsForPartnersNoLongerThanTheWait() {
        var batcher = FrameBatcher<Int>(maxBatch: 4, waitSeconds: 0.002)
        batcher.add(1, shape: Self.shape, now: 10)
        #expect(batcher.deadline == 10.002)
        #expect(batcher.take(now: 10.001) == nil, "one frame, room for three more: it waits")
        batcher.add(2, shape: Self.shape, now: 10.0015)
        #expect(batcher.take(now: 10.002) == [1, 2], "the oldest frame's wait is over")
        #expect(batcher.isEmpty && batcher.deadline == nil)
    }

    @Test func aFullBatchStartsAtOnceAndTheRestWaitTheirTurn() {
        var batcher = FrameBatcher<Int>(maxBatch: 2, waitSeconds: 1)
        for frame in 1...3 { batcher.add(frame, shape: Self.shape, now: 0) }
        #expect(batcher.take(now: 0) == [1, 2])
        #expect(batcher.take(now: 0) == nil)
        #expect(batcher.take(now: 1) == [3])
    }

    @Test func framesOfAnotherShapeKeepTheirPlacesForALaterBatch() {
        var batcher = FrameBatcher<Int>(maxBatch: 3, waitSeconds: 0)
        batcher.add(1, shape: Self.shape, now: 0)
        batcher.add(2, shape: Self.other, now: 0)
        batcher.add(3, shape: Self.shape, now: 0)
        #expect(batcher.take(now: 0) == [1, 3])
        #expect(batcher.take(now: 0) == [2])
    }

    @Test func aWorkerHoldingAllItsCapacityStartsWithoutWaitingForFramesThatCannotCome() {
        var batcher = FrameBatcher<Int>(maxBatch: 3, waitSeconds: 1)
        batcher.add(1, shape: Self.shape, now: 0)
        batcher.add(2, shape: Self.other, now: 0)
        #expect(batcher.take(now: 0) == nil)
        batcher.add(3, shape: Self.shape, now: 0)
        #expect(batcher.take(now: 0) == [1, 3], "three frames held: the broker sends no fourth")
    }

    @Test func aFrameWhoseBytesDidNotParseGoesAloneAtOnce() {
        var batcher = FrameBatcher<Int>(maxBatch: 4, waitSeconds: 1)
        batcher.add(1, shape: nil, now: 0)
        batcher.add(2, shape: Self.shape, now: 0)
        #expect(batcher.take(now: 0) == [1])
        #expect(batcher.take(now: 0) == nil)
    }

    @Test func aZeroWaitTakesWhatIsThere() {
        var batcher = FrameBatcher<Int>(maxBatch: 8, waitSeconds: 0)
        batcher.add(1, shape: Self.shape, now: 5)
        batcher.add(2, shape: Self.shape, now: 5)
        #expect(batcher.take(now: 5) == [1, 2])
    }
}
