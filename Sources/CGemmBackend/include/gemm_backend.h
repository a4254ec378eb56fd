#ifndef LADON_GEMM_BACKEND_H
#define LADON_GEMM_BACKEND_H

/// Whether oneDNN's own GEMM kernels run on this CPU (AVX2 or wider, x86-64 only) and LADON_GEMM is not
/// "openblas" (which sends every product to OpenBLAS, for comparing the two).
int ladon_onednn_gemm_available(void);

/// C[m x n] = A[m x k] * op(B) + beta * C, row-major, by oneDNN's dnnl_sgemm on the calling thread alone;
/// op(B) is B [k x n], or B [n x k] transposed when `transpose_b` is nonzero. Returns 0 on success.
int ladon_onednn_sgemm(int transpose_b, long m, long n, long k, const float *a, long lda, const float *b, long ldb,
                       float beta, float *c, long ldc);

/// oneDNN's version, "major.minor.patch".
const char *ladon_onednn_version(void);

#endif
