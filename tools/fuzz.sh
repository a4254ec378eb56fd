#!/usr/bin/env bash
# Builds ladon-fuzz with libFuzzer and AddressSanitizer (in .build-fuzz, so .build stays as it is) and runs
# targets: `tools/fuzz.sh [RUNS] [TARGET...]` (default 1000000 runs of every target). New inputs go to
# .fuzz-work/<target>/ (the committed seeds in Tests/Fixtures/fuzz/<target>/ are read, never written), crash
# and leak reproducers to .fuzz-work/; the last line of each run says how many executions took how long.
# Extra libFuzzer flags: LADON_FUZZ_FLAGS="-jobs=2 -workers=2" tools/fuzz.sh ...
set -euo pipefail
cd "$(dirname "$0")/.."

runs=1000000
if [[ "${1:-}" =~ ^[0-9]+$ ]]; then
    runs=$1
    shift
fi
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(envelope rans jpeg mjpeg safetensors)

swift build -c release --scratch-path .build-fuzz --product ladon-fuzz \
    -Xswiftc -sanitize=fuzzer,address -Xswiftc -DLIBFUZZER -Xcc -fsanitize=fuzzer-no-link,address \
    -Xswiftc -use-ld=lld

export SWIFT_BACKTRACE=enable=no  # libFuzzer and ASan print the stack
for target in "${targets[@]}"; do
    mkdir -p ".fuzz-work/$target"
    echo "== $target: $runs runs" >&2
    # ladon-fuzz adds the target's -max_len unless one is given.
    # shellcheck disable=SC2086  # LADON_FUZZ_FLAGS is a list of flags
    .build-fuzz/release/ladon-fuzz "$target" -runs="$runs" -rss_limit_mb=2048 \
        -timeout=10 -print_final_stats=1 -artifact_prefix=".fuzz-work/$target-" ${LADON_FUZZ_FLAGS:-} \
        ".fuzz-work/$target" "Tests/Fixtures/fuzz/$target"
done
