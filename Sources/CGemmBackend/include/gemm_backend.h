#ifndef LADON_GEMM_BACKEND_H
#define LADON_GEMM_BACKEND_H

/// The vector width of the GEMM kernels oneDNN runs on this CPU: 512 (AVX-512), 256 (AVX2 with FMA), or 0 where
/// it is not used (older x86-64, other architectures, or no OpenMP runtime to keep it to one thread per call).
int ladon_onednn_vector_bits(void);

/// C[m x n] = A[m x k] * op(B) + beta * C, row-major, by oneDNN's dnnl_sgemm on the calling thread alone;
/// op(B) is B [k x n], or B [n x k] transposed when `transpose_b` is nonzero. Returns 0 on success.
int ladon_onednn_sgemm(int transpose_b, long m, long n, long k, const float *a, long lda, const float *b, long ldb,
                       float beta, float *c, long ldc);

/// oneDNN's version, "major.minor.patch".
const char *ladon_onednn_version(void);

#endif
