internal import CGemmBackend
internal import COpenBLAS
import Foundation

/// The one door to BLAS: single-precision matrix products on row-major buffers. Each thread's block goes to
/// oneDNN's `dnnl_sgemm` or to OpenBLAS as `routing` says (GemmRouting: measured per CPU family).
enum Gemm {
    /// C[m×n] = A[m×k] · B[k×n] + beta·C, all row-major with the given leading dimensions.
    /// `transposeB` reads B as [n×k] (ldb = k) instead, as a fully connected layer stores its weight.
    static func multiply(
        m: Int, n: Int, k: Int,
        a: UnsafePointer<Float>, lda: Int,
        b: UnsafePointer<Float>, ldb: Int, transposeB: Bool = false,
        c: UnsafeMutablePointer<Float>, ldc: Int,
        beta: Float
    ) {
        precondition(m > 0 && n > 0 && k > 0, "empty GEMM \(m)x\(n)x\(k)")
        Compute.countMultiplyAccumulates(m * n * k)
        /// The block `rows` x `columns` of C, as one single-threaded product.
        func product(rows: Range<Int>, columns: Range<Int>) {
            let (a, b, c) = (
                a + rows.lowerBound * lda, b + columns.lowerBound * (transposeB ? ldb : 1),
                c + rows.lowerBound * ldc + columns.lowerBound
            )
            if routing.usesOneDNN(multiplyAccumulates: rows.count * columns.count * k, transposeB: transposeB) {
                // oneDNN checks its arguments before it writes C, so a refused block can still go to OpenBLAS.
                if ladon_onednn_sgemm(transposeB ? 1 : 0, rows.count, columns.count, k, a, lda, b, ldb, beta, c, ldc) == 0 {
                    return
                }
                Compute.countOneDNNRefusal()
            }
            cblas_sgemm(
                CblasRowMajor, CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
                blasint(rows.count), blasint(columns.count), blasint(k), 1.0, a, blasint(lda), b, blasint(ldb), beta, c,
                blasint(ldc))
        }
        // Measured at 2 threads on the official trunk, layer2..4 take ~20 % less time split this way than with
        // OpenBLAS threading each product itself (it splits thin products poorly).
        forEachThreadsBlock(m: m, n: n, product)
    }

    /// Whether an m x n product is shared between threads by rows (else by columns): the longer side.
    static func splitsRows(m: Int, n: Int) -> Bool { m >= n }

    /// Runs `body` on each thread's block of an m x n product, as `multiply` shares one: whole rows when they
    /// are at least as many as the columns, else whole columns, at least 16 per thread; one thread takes the
    /// whole product. An op that gives each thread the same block for its own steps around the product
    /// (bias, residual, ReLU) keeps the block in that thread's cache, and its nested `multiply` of the block
    /// runs on that thread with the block `multiply` would have given it, so the results do not change.
    static func forEachThreadsBlock(m: Int, n: Int, _ body: (_ rows: Range<Int>, _ columns: Range<Int>) -> Void) {
        if splitsRows(m: m, n: n) {
            Compute.parallelFor(m, minimumPerThread: 16) { body($0, 0..<n) }
        } else {
            Compute.parallelFor(n, minimumPerThread: 16) { body(0..<m, $0) }
        }
    }

    /// Which library takes which blocks in this process.
    static let routing = GemmRouting.choose(
        request: ProcessInfo.processInfo.environment["LADON_GEMM"], oneDNNVectorBits: Int(ladon_onednn_vector_bits()),
        openBLASCore: coreName)

    /// The libraries in use, for benchmark reports: "oneDNN 2.6.3 (512-bit kernels) for every product; OpenBLAS
    /// Prescott unused" or "oneDNN 2.6.3 below 1 G MACs, OpenBLAS Zen above".
    static var backends: String {
        let oneDNN = "oneDNN \(String(cString: ladon_onednn_version())) (\(ladon_onednn_vector_bits())-bit kernels)"
        let openBLAS = "OpenBLAS \(coreName)"
        return switch routing {
        case .openBLASOnly: "\(openBLAS) for every product"
        case .oneDNNOnly: "\(oneDNN) for every product; \(openBLAS) unused"
        case let .bySize(limit): "\(oneDNN) below \(limit / 1_000_000_000) G MACs, \(openBLAS) above"
        }
    }

    /// The kernel family OpenBLAS chose for this CPU when it loaded ("Haswell", "SkylakeX", "Zen", ...).
    static var coreName: String {
        openblas_get_corename().map { String(cString: $0) } ?? "unknown"
    }

    /// OpenBLAS itself runs one thread per call: `multiply` splits each product across `Compute.threads`.
    static func keepOpenBLASSingleThreaded() {
        openblas_set_num_threads(1)
    }
}
