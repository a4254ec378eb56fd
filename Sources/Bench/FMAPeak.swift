import CPeakLoop
import Foundation

/// The compute peak the dense stages are judged against: GFLOP/s of an FMA loop with independent
/// accumulators (bound by FMA throughput, not latency), on one thread and on `threads` at once.
struct FMAPeak {
    let family: String
    let gigaflopsOneThread: Double
    let gigaflopsAllThreads: Double
    let threads: Int

    /// The peak a stage run on `threads` threads can reach.
    var gigaflops: Double { threads > 1 ? gigaflopsAllThreads : gigaflopsOneThread }

    static func measure(threads: Int, seconds: Double = 0.3) -> FMAPeak {
        let one = rate(threads: 1, seconds: seconds)
        let all = threads > 1 ? rate(threads: threads, seconds: seconds) : one
        return FMAPeak(
            family: String(cString: ladon_fma_peak_family()), gigaflopsOneThread: one, gigaflopsAllThreads: all,
            threads: threads)
    }

    /// The best of three timed rounds of `threads` loops run together (a busy machine only lowers it).
    private static func rate(threads: Int, seconds: Double) -> Double {
        let iterations = calibratedIterations(seconds: seconds / 3)
        var best = 0.0
        for _ in 0..<3 {
            let group = DispatchGroup()
            let start = DispatchTime.now().uptimeNanoseconds
            let flops = FlopTally()
            for _ in 0..<threads {
                group.enter()
                Thread {
                    flops.add(Int(ladon_fma_peak_loop(iterations)))
                    group.leave()
                }.start()
            }
            group.wait()
            let elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            best = max(best, Double(flops.value) / elapsed / 1e9)
        }
        return best
    }

    private static func calibratedIterations(seconds: Double) -> UInt64 {
        var iterations: UInt64 = 1 << 16
        while true {
            let start = DispatchTime.now().uptimeNanoseconds
            _ = ladon_fma_peak_loop(iterations)
            let elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            if elapsed > seconds / 4 { return UInt64(Double(iterations) * seconds / elapsed) }
            iterations *= 4
        }
    }
}

/// The operations several threads' loops report, added under a lock.
private final class FlopTally: @unchecked Sendable {
    private let lock = NSLock()
    private var total = 0
    func add(_ amount: Int) { lock.withLock { total += amount } }
    var value: Int { lock.withLock { total } }
}
