#ifndef LADON_PEAK_LOOP_H
#define LADON_PEAK_LOOP_H

#include <stdint.h>

/// Runs `iterations` rounds of independent fused multiply-adds on vector registers and returns the
/// floating-point operations done (2 per lane and FMA), for the benchmark's measured compute peak.
/// On x86-64 (checked at run time) it uses 512-bit FMAs where AVX-512 runs, else 256-bit ones with AVX2 and
/// FMA; elsewhere a portable loop the compiler vectorises for the target (NEON on arm64).
uint64_t ladon_fma_peak_loop(uint64_t iterations);

/// The instruction family `ladon_fma_peak_loop` runs on this CPU ("avx512f", "avx2+fma" or "portable").
const char *ladon_fma_peak_family(void);

#endif
