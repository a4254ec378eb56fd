internal import CGemmBackend
internal import COpenBLAS

/// The one door to BLAS: single-precision matrix products on row-major buffers.
///
/// Two libraries share the work, by the size of each thread's block: oneDNN's `dnnl_sgemm` takes blocks
/// below `oneDNNLimit` multiply-accumulates (B not transposed), OpenBLAS the rest. Measured one thread on each
/// side, on the official model's shapes (Zen 3): oneDNN 5-25 % faster on blocks of 9-600 M MACs (the trunk's
/// 1x1 and Winograd products, the encoder's convolutions and GDN), OpenBLAS 1-12 % faster on the 2-13 G MAC
/// products (the decoder's GDN, the box head) and on transposed B (fully connected layers). `LADON_GEMM=openblas`
/// in the environment sends every product to OpenBLAS (for comparing the two).
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
            if Self.prefersOneDNN(multiplyAccumulates: rows.count * columns.count * k, transposeB: transposeB),
                ladon_onednn_sgemm(
                    transposeB ? 1 : 0, rows.count, columns.count, k, a, lda, b, ldb, beta, c, ldc) == 0
            {
                return
            }
            cblas_sgemm(
                CblasRowMajor, CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
                blasint(rows.count), blasint(columns.count), blasint(k), 1.0, a, blasint(lda), b, blasint(ldb), beta, c,
                blasint(ldc))
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

    /// Blocks below this many multiply-accumulates go to oneDNN (see the type's comment).
    static let oneDNNLimit = 1_000_000_000

    /// Whether oneDNN runs here and is not turned off by `LADON_GEMM=openblas`.
    static let oneDNNEnabled = ladon_onednn_gemm_available() != 0

    static func prefersOneDNN(multiplyAccumulates: Int, transposeB: Bool) -> Bool {
        oneDNNEnabled && !transposeB && multiplyAccumulates < oneDNNLimit
    }

    /// The libraries in use, for benchmark reports: "oneDNN 2.6.3 below 1 G MACs, OpenBLAS Zen" or "OpenBLAS Zen".
    static var backends: String {
        let openBLAS = "OpenBLAS \(coreName)"
        guard oneDNNEnabled else { return openBLAS }
        return "oneDNN \(String(cString: ladon_onednn_version())) below \(oneDNNLimit / 1_000_000_000) G MACs, \(openBLAS)"
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
