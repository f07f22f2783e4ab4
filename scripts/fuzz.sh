#!/usr/bin/env bash
# Fuzzes ContactQA's readers of untrusted files with libFuzzer.
#
#   scripts/fuzz.sh SECONDS [TARGET...]
#
# Builds the fuzz binary (-sanitize=fuzzer, in .build-fuzz/), seeds each target's corpus from
# fixtures/ and pipelines/, runs each target for SECONDS, and prints the inputs run per target.
# Targets: csv mapped-csv ctr genesys zendesk evaluations pipeline plan scorecard (default: all).
# A crash stops with exit 1 and the input in .build-fuzz/crashes/; copy it to
# Tests/Fuzz/regressions/TARGET/ once fixed, where the test suite replays it.
# FUZZ_CONFIG=release builds optimised (slower to build, ~2x the inputs per second) for long runs;
# inputs are written under FUZZ_TMPDIR (default /dev/shm).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
shift || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then targets=(csv mapped-csv ctr genesys zendesk evaluations pipeline plan scorecard); fi

flags=(-c "${FUZZ_CONFIG:-debug}" --build-path .build-fuzz --product contactqa-fuzz -Xswiftc -sanitize=fuzzer -Xswiftc -DFUZZING -Xswiftc -parse-as-library)
swift build "${flags[@]}" 2>&1 | grep -v "ld.gold: warning: Cannot export local symbol" | tail -3
binary="$(swift build "${flags[@]}" --show-bin-path)/contactqa-fuzz"

seeds() {
    case "$1" in
        csv) ls fixtures/canonical/*.csv ;;
        mapped-csv) ls fixtures/eu-telephony/*.csv ;;
        ctr) find fixtures/amazon-connect -type f ;;
        genesys) ls fixtures/genesys/conversations-*.json ;;
        zendesk) ls fixtures/zendesk/*.json ;;
        evaluations) ls fixtures/evaluations/*.csv fixtures/qa-inbox/*.csv ;;
        pipeline) ls pipelines/*.yaml ;;
        plan) ls pipelines/plans/*.yaml ;;
        scorecard) ls pipelines/scorecards/*.yaml ;;
    esac
}

mkdir -p .build-fuzz/crashes
status=0
for target in "${targets[@]}"; do
    corpus=".build-fuzz/corpus/$target"
    mkdir -p "$corpus"
    for seed in $(seeds "$target"); do cp "$seed" "$corpus/"; done
    for saved in Tests/Fuzz/regressions/"$target"/*; do [ -f "$saved" ] && cp "$saved" "$corpus/"; done
    log=".build-fuzz/$target.log"
    # SWIFT_BACKTRACE off: libFuzzer, not the Swift runtime, must catch a trap to save the input that caused it.
    if SWIFT_BACKTRACE=enable=no TMPDIR="${FUZZ_TMPDIR:-/dev/shm}" CONTACTQA_FUZZ_TARGET="$target" "$binary" "$corpus" -max_total_time="$seconds" -max_len=65536 -timeout=20 -rss_limit_mb=4096 \
        -print_final_stats=1 -artifact_prefix=".build-fuzz/crashes/$target-" > "$log" 2>&1; then
        runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo "?")
        echo "$target: $runs inputs in ${seconds} s, no crash"
    else
        status=1
        echo "$target: CRASH — see $log and .build-fuzz/crashes/$target-*"
        grep -E "Fatal error|ERROR: |SUMMARY" "$log" | head -5 || true
    fi
done
exit $status
