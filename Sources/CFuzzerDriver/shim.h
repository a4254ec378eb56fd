// libFuzzer's driver, linked in by `-sanitize=fuzzer` (compiler-rt's FuzzerDriver.cpp). ladon-fuzz calls it
// from its own main because SwiftPM links executables with main aliased to the module's entry point, so
// libFuzzer's main is never linked in. Declared only: nothing references it outside that build.
#ifndef LADON_FUZZER_DRIVER_H
#define LADON_FUZZER_DRIVER_H

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*callback)(const uint8_t *data, size_t size));

#endif
