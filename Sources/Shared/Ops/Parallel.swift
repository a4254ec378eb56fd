internal import CCPUBaseline
import Foundation
import Synchronization

/// How many threads the engine's own loops and BLAS use. Set once at start-up, before any inference.
public enum Compute {
    private static let configuredThreads = Atomic<Int>(1)

    private static let multiplyAccumulates = Atomic<Int>(0)

    private static let oneDNNRefusals = Atomic<Int>(0)

    public static var threads: Int { configuredThreads.load(ordering: .relaxed) }

    /// Multiply-accumulates done by GEMM-based ops since start-up: one relaxed add per layer, read by
    /// the benchmark to report effective GFLOP/s.
    public static var multiplyAccumulateCount: Int { multiplyAccumulates.load(ordering: .relaxed) }

    static func countMultiplyAccumulates(_ count: Int) {
        multiplyAccumulates.add(count, ordering: .relaxed)
    }

    private static let winogradSavings = Atomic<Int>(0)

    /// `multiplyAccumulateCount` with each Winograd convolution counted as the direct convolution's work
    /// instead of its GEMMs' (fewer): the work the stage does for its caller, so that GFLOP/s against the FMA
    /// peak says how fast the stage is, not only how busy its GEMMs keep the FMA units.
    public static var effectiveMultiplyAccumulateCount: Int {
        multiplyAccumulateCount + winogradSavings.load(ordering: .relaxed)
    }

    static func countWinogradSavings(_ count: Int) {
        winogradSavings.add(count, ordering: .relaxed)
    }

    /// GEMM blocks oneDNN refused (an error status) and OpenBLAS multiplied instead, since start-up; the
    /// benchmark and the worker's log report it, as it should stay 0.
    public static var oneDNNRefusalCount: Int { oneDNNRefusals.load(ordering: .relaxed) }

    static func countOneDNNRefusal() {
        oneDNNRefusals.add(1, ordering: .relaxed)
    }

    /// The GEMM libraries in use: oneDNN's version, kernel width and share, and the kernel family OpenBLAS chose
    /// for this CPU ("Haswell", "SkylakeX", "Zen", ...).
    public static var blasKernels: String { Gemm.backends }

    /// The instruction-set level our own kernels were compiled for ("x86-64-v3", or "portable" off x86-64).
    public static var kernelBaseline: String { String(cString: ladon_cpu_baseline()) }

    /// Chooses the thread count of our loops, which also split every BLAS product (OpenBLAS runs one thread
    /// per call).
    public static func setThreads(_ count: Int) {
        configuredThreads.store(max(1, count), ordering: .relaxed)
        Gemm.keepOpenBLASSingleThreaded()
    }

    /// The cores this process may run on.
    private static let cores = ProcessInfo.processInfo.activeProcessorCount

    /// Runs `body(index)` for `0..<count`, split across the configured threads in contiguous chunks.
    public static func parallelFor(_ count: Int, minimumPerThread: Int = 1, _ body: (Range<Int>) -> Void) {
        let workers = min(threads, max(1, count / max(1, minimumPerThread)))
        if workers <= 1 {
            body(0..<count)
            return
        }
        withoutActuallyEscaping(body) { body in
            let chunk = { (worker: Int) in
                let begin = count * worker / workers
                let end = count * (worker + 1) / workers
                if begin < end { body(begin..<end) }
            }
            // More threads than cores would leave spinning helpers waiting on descheduled ones: the team takes at
            // most a thread per core, each running every n-th chunk, so the chunks (and results) stay the same.
            let team = min(workers, cores)
            let ran =
                team >= 2
                && SpinningTeam.shared.run(workers: team) { member in
                    for worker in Swift.stride(from: member, to: workers, by: team) { chunk(worker) }
                }
            // Taken (nested in a chunk, or by another thread's loop): the chunks run here, one after another.
            if !ran {
                for worker in 0..<workers { chunk(worker) }
            }
        }
    }
}

/// Multiply-accumulates done: by the GEMMs, and as the work the ops stand for (`Compute.effectiveMultiplyAccumulateCount`).
public struct MultiplyAccumulates: Sendable, Equatable {
    public var gemm: Int
    public var effective: Int

    public init(gemm: Int = 0, effective: Int = 0) {
        self.gemm = gemm
        self.effective = effective
    }

    /// Both counts since start-up; the work of a stretch of code is the difference of two readings.
    public static var sinceStart: MultiplyAccumulates {
        MultiplyAccumulates(gemm: Compute.multiplyAccumulateCount, effective: Compute.effectiveMultiplyAccumulateCount)
    }

    public static func - (later: MultiplyAccumulates, earlier: MultiplyAccumulates) -> MultiplyAccumulates {
        MultiplyAccumulates(gemm: later.gemm - earlier.gemm, effective: later.effective - earlier.effective)
    }
}
