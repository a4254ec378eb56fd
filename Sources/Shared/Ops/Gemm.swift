internal import COpenBLAS

/// The one door to BLAS: single-precision matrix products on row-major buffers.
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
        cblas_sgemm(
            CblasRowMajor, CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
            blasint(m), blasint(n), blasint(k), 1.0, a, blasint(lda), b, blasint(ldb),
            beta, c, blasint(ldc))
    }

    /// The kernel family OpenBLAS chose for this CPU when it loaded ("Haswell", "SkylakeX", "Zen", ...).
    static var coreName: String {
        openblas_get_corename().map { String(cString: $0) } ?? "unknown"
    }

    /// Threads OpenBLAS may use for one product.
    static func setThreads(_ count: Int) {
        openblas_set_num_threads(Int32(count))
    }
}
