import LadonEncoder
import Testing

@Suite struct TokenBucketTests {
    /// Drives the bucket with a virtual clock: the bytes released over a long window match the rate.
    @Test(arguments: [(100.0, 0), (37.5, 0), (100.0, 4000)])
    func releasesBytesAtTheConfiguredRate(kbps: Double, burst: Int) {
        var bucket = TokenBucket(kilobitsPerSecond: kbps, burstBytes: burst, now: 0)
        var now = 0.0
        var sent = 0
        let sizes = [700, 1300, 250, 2100, 900]
        for index in 0..<400 {
            let size = sizes[index % sizes.count]
            now = max(now, bucket.schedule(size, now: now))
            bucket.consume(size, now: now)
            sent += size
        }
        let rate = Double(sent - burst) / now
        #expect(abs(rate - kbps * 125) / (kbps * 125) < 1e-6)
    }

    @Test func aMessageAfterAnIdlePeriodWaitsOnlyForWhatTheBurstDoesNotCover() {
        var bucket = TokenBucket(kilobitsPerSecond: 8, burstBytes: 500, now: 0)  // 1000 bytes per second
        #expect(bucket.schedule(400, now: 10) == 10)
        bucket.consume(400, now: 10)
        #expect(abs(bucket.schedule(1000, now: 10) - 10.9) < 1e-9, "100 tokens left, 900 to wait for")
        // Polling while waiting must not lose the tokens that accrue meanwhile.
        #expect(abs(bucket.schedule(1000, now: 10.5) - 10.9) < 1e-9)
    }
}
