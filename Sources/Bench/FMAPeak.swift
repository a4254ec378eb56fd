import CPeakLoop
import Foundation
import Shared

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

    /// The best of three timed rounds of `threads` loops run together (a busy machine only lowers it), on
    /// the threads the kernels' `Compute.parallelFor` uses.
    private static func rate(threads: Int, seconds: Double) -> Double {
        let iterations = calibratedIterations(seconds: seconds / 3)
        let flops = Double(threads) * Double(ladon_fma_peak_loop(1)) * Double(iterations)
        var best = 0.0
        for _ in 0..<3 {
            let start = DispatchTime.now().uptimeNanoseconds
            Compute.parallelFor(threads) { _ in _ = ladon_fma_peak_loop(iterations) }
            let elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            best = max(best, flops / elapsed / 1e9)
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
