#ifndef LADON_CPU_BASELINE_H
#define LADON_CPU_BASELINE_H

/// The instruction-set level the Swift kernels were compiled for: "x86-64-v3" on x86-64 (checked when the
/// process starts: an older CPU gets one line on stderr and exit status 70 instead of an illegal instruction
/// somewhere in the first frame), "portable" elsewhere.
const char *ladon_cpu_baseline(void);

#endif
