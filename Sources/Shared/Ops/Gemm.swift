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
        /// The block `rows` x `columns` of C, as one single-threaded OpenBLAS product.
        func product(rows: Range<Int>, columns: Range<Int>) {
            cblas_sgemm(
                CblasRowMajor, CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
                blasint(rows.count), blasint(columns.count), blasint(k), 1.0, a + rows.lowerBound * lda, blasint(lda),
                b + columns.lowerBound * (transposeB ? ldb : 1), blasint(ldb), beta,
                c + rows.lowerBound * ldc + columns.lowerBound, blasint(ldc))
        }
        // Each thread runs one product on its block of rows (or of columns, when they outnumber the rows);
        // one thread runs the whole product. Measured at 2 threads on the official trunk, layer2..4 take
        // ~20 % less time than with OpenBLAS threading each product itself (it splits thin products poorly).
        if m >= n {
            Compute.parallelFor(m, minimumPerThread: 16) { product(rows: $0, columns: 0..<n) }
        } else {
            Compute.parallelFor(n, minimumPerThread: 16) { product(rows: 0..<m, columns: $0) }
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
