#include "cpu_baseline.h"

#if defined(__x86_64__)
#include <stdio.h>
#include <stdlib.h>

// Runs before main and before any Swift code, so nothing compiled for x86-64-v3 has executed yet.
__attribute__((constructor)) static void require_x86_64_v3(void) {
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && __builtin_cpu_supports("bmi2") &&
        __builtin_cpu_supports("f16c") && __builtin_cpu_supports("movbe"))
        return;
    fputs("ladon: this build needs an x86-64-v3 CPU (AVX2, FMA, BMI2: Intel Haswell, AMD Excavator or later)\n",
          stderr);
    exit(70);
}

const char *ladon_cpu_baseline(void) { return "x86-64-v3"; }
#else
const char *ladon_cpu_baseline(void) { return "portable"; }
#endif
