#!/usr/bin/env bash
# Coverage-guided fuzzing of every reader of user files (libFuzzer + AddressSanitizer).
#   Tools/fuzz/run.sh [SECONDS_PER_TARGET] [TARGET …]     default: 10 s each, every target
# Builds Tools/Fuzz into .build-fuzz, writes each target's seed corpus of valid files, runs it, and
# prints executions and crashes per target. Corpora grow in .build-fuzz/corpus/<target>; crash
# inputs land in .build-fuzz/crashes/<target>/. Exit status 1 when any target crashed.
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds=${1:-10}; shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(npy idx-images idx-labels gzip cifar npy-folder architecture checkpoint train-checkpoint search-checkpoint tuning-cache safetensors)
export DIFFNAS_FUZZ=1
# Each fuzz process writes its fixtures under $TMPDIR/diffnas-fuzz-<target>-<pid> and exits
# without cleaning up (libFuzzer ends the process), so give the run a folder of its own, removed at exit.
scratch=$(mktemp -d "${TMPDIR:-/tmp}/diffnas-fuzz-run.XXXXXX")
trap 'rm -rf "$scratch"' EXIT
export TMPDIR=$scratch
# Leak reports at exit come from the Swift runtime and Foundation, not from the readers.
export ASAN_OPTIONS=detect_leaks=0
swift build -c release --scratch-path .build-fuzz --product diffnas-fuzz \
    -Xswiftc -sanitize=fuzzer,address -Xswiftc -use-ld=lld >/dev/null
bin=$(swift build -c release --scratch-path .build-fuzz --product diffnas-fuzz --show-bin-path)/diffnas-fuzz
failed=0
printf '%-18s %12s %8s %s\n' target executions crashes corpus
for t in "${targets[@]}"; do
    corpus=.build-fuzz/corpus/$t; crashes=.build-fuzz/crashes/$t
    mkdir -p "$corpus" "$crashes"
    DIFFNAS_FUZZ_TARGET=$t DIFFNAS_FUZZ_WRITE_SEEDS=$corpus "$bin" >/dev/null 2>&1
    log=.build-fuzz/$t.log
    # -rss_limit_mb / -malloc_limit_mb: an input that makes a reader allocate > 512 MB is a crash.
    if DIFFNAS_FUZZ_TARGET=$t "$bin" "$corpus" -max_total_time="$seconds" -timeout=10 \
        -rss_limit_mb=2048 -malloc_limit_mb=512 -max_len=65536 -artifact_prefix="$crashes/" -print_final_stats=1 >"$log" 2>&1; then
        status=0
    else
        status=1; failed=1
    fi
    runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo 0)
    found=$(find "$crashes" -type f | wc -l)
    printf '%-18s %12s %8s %s\n' "$t" "${runs:-0}" "$found" "$(find "$corpus" -type f | wc -l) files"
    if [ $status -ne 0 ]; then grep -m3 -E 'ERROR|SUMMARY|Fatal error|==.*==' "$log" | sed 's/^/    /' || true; fi
done
exit $failed
