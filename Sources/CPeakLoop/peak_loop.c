#include "peak_loop.h"

// Ten independent accumulators: enough FMAs in flight to cover the latency (4-5 cycles) on two FMA ports,
// so the loop is bound by throughput, which is the peak the dense kernels are judged against.
#define ACCUMULATORS 10

#if defined(__x86_64__)
#include <immintrin.h>

__attribute__((target("avx2,fma"))) static uint64_t avx2_loop(uint64_t iterations) {
    __m256 acc[ACCUMULATORS];
    for (int k = 0; k < ACCUMULATORS; k++) acc[k] = _mm256_set1_ps(0.001f * (float)k);
    const __m256 scale = _mm256_set1_ps(0.999999f);
    const __m256 step = _mm256_set1_ps(1e-7f);
    for (uint64_t i = 0; i < iterations; i++) {
        for (int k = 0; k < ACCUMULATORS; k++) acc[k] = _mm256_fmadd_ps(acc[k], scale, step);
    }
    // Keep the result observable so the loop is not removed.
    __m256 sum = acc[0];
    for (int k = 1; k < ACCUMULATORS; k++) sum = _mm256_add_ps(sum, acc[k]);
    volatile float sink = _mm256_cvtss_f32(sum);
    (void)sink;
    return iterations * ACCUMULATORS * 8 * 2;
}

// Where AVX-512 runs, its 16-lane FMA is the CPU's peak (twice the AVX2 loop's on two 512-bit FMA ports; level
// with it where each 512-bit FMA is split in two, as on Zen 4). The libraries use it there, so we are judged by it.
__attribute__((target("avx512f"))) static uint64_t avx512_loop(uint64_t iterations) {
    __m512 acc[ACCUMULATORS];
    for (int k = 0; k < ACCUMULATORS; k++) acc[k] = _mm512_set1_ps(0.001f * (float)k);
    const __m512 scale = _mm512_set1_ps(0.999999f);
    const __m512 step = _mm512_set1_ps(1e-7f);
    for (uint64_t i = 0; i < iterations; i++) {
        for (int k = 0; k < ACCUMULATORS; k++) acc[k] = _mm512_fmadd_ps(acc[k], scale, step);
    }
    __m512 sum = acc[0];
    for (int k = 1; k < ACCUMULATORS; k++) sum = _mm512_add_ps(sum, acc[k]);
    volatile float sink = _mm512_reduce_add_ps(sum);
    (void)sink;
    return iterations * ACCUMULATORS * 16 * 2;
}
#endif

typedef float vector8 __attribute__((ext_vector_type(8)));

static uint64_t portable_loop(uint64_t iterations) {
    vector8 acc[ACCUMULATORS];
    for (int k = 0; k < ACCUMULATORS; k++) acc[k] = (vector8)(0.001f * (float)k);
    const vector8 scale = (vector8)(0.999999f);
    const vector8 step = (vector8)(1e-7f);
    for (uint64_t i = 0; i < iterations; i++) {
        for (int k = 0; k < ACCUMULATORS; k++) acc[k] = acc[k] * scale + step;
    }
    vector8 sum = acc[0];
    for (int k = 1; k < ACCUMULATORS; k++) sum += acc[k];
    volatile float sink = sum[0];
    (void)sink;
    return iterations * ACCUMULATORS * 8 * 2;
}

static int has_avx512(void) {
#if defined(__x86_64__)
    return __builtin_cpu_supports("avx512f");
#else
    return 0;
#endif
}

static int has_avx2_fma(void) {
#if defined(__x86_64__)
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#else
    return 0;
#endif
}

uint64_t ladon_fma_peak_loop(uint64_t iterations) {
#if defined(__x86_64__)
    if (has_avx512()) return avx512_loop(iterations);
    if (has_avx2_fma()) return avx2_loop(iterations);
#endif
    return portable_loop(iterations);
}

const char *ladon_fma_peak_family(void) {
    if (has_avx512()) return "avx512f";
    return has_avx2_fma() ? "avx2+fma" : "portable";
}
