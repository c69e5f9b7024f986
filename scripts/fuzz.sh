#!/usr/bin/env bash
# The full fuzz run (issue 9): every cargo-fuzz target in fuzz/ for SECONDS_PER_TARGET seconds
# (default 300), then a table of executions, coverage and findings per target.
#
#   scripts/fuzz.sh [SECONDS_PER_TARGET]
#
# Environment:
#   TARGETS="push_body xml_document"  run only these (default: every target)
#   PARALLEL=2                        targets run at once (default: the number of cores)
#   SAMPLE=1                          afterwards, minimise each corpus (cargo fuzz cmin) and
#                                     refresh the committed sample in fuzz/sample/<target>/
#
# Needs the nightly toolchain (rustup toolchain install nightly); installs cargo-fuzz if it is
# missing. The working corpus is fuzz/corpus/<target>/ (not committed); it starts from
# fuzz/seeds/, fuzz/sample/ and fuzz/regressions/, which `cargo test --test fuzz_regressions`
# replays. A crash or a timeout leaves its input in fuzz/artifacts/<target>/ and makes this
# script fail: minimise it (`cargo +nightly fuzz tmin <target> <file>`) and keep it under
# fuzz/regressions/<target>/.
set -euo pipefail
cd "$(dirname "$0")/.."

SECONDS_PER_TARGET="${1:-300}"
ALL_TARGETS="push_body push_encrypted xml_document open_data qr_and_links outbound session config"
TARGETS="${TARGETS:-$ALL_TARGETS}"
PARALLEL="${PARALLEL:-$(nproc)}"
SAMPLE_PER_TARGET=25
SAMPLE_MAX_BYTES=4096

# The longest input each target is given: a push body is at most a few KB in practice.
max_len() {
    case "$1" in
        push_body | push_encrypted) echo 8192 ;;
        xml_document | outbound | config) echo 4096 ;;
        open_data | qr_and_links) echo 2048 ;;
        session) echo 512 ;;
        *) echo 4096 ;;
    esac
}

if ! cargo +nightly --version >/dev/null 2>&1; then
    echo "fuzz.sh: the nightly toolchain is missing: rustup toolchain install nightly" >&2
    exit 1
fi
if ! cargo fuzz --version >/dev/null 2>&1; then
    cargo install cargo-fuzz --locked
fi

cargo +nightly fuzz build
mkdir -p fuzz/logs

run_target() {
    local target="$1" seconds="$2" max="$3"
    local corpus="fuzz/corpus/$target"
    mkdir -p "$corpus" "fuzz/artifacts/$target"
    local extra=()
    for kind in seeds sample regressions; do
        if [ -d "fuzz/$kind/$target" ]; then extra+=("fuzz/$kind/$target"); fi
    done
    local dict=()
    if [ -f "fuzz/dict/$target.dict" ]; then dict=("-dict=fuzz/dict/$target.dict"); fi
    # -malloc_limit_mb: a single allocation this large from an input of at most a few KB is an
    # unbounded allocation, and fails the run like a crash.
    cargo +nightly fuzz run "$target" "$corpus" "${extra[@]}" -- \
        -max_total_time="$seconds" -max_len="$max" -timeout=5 -rss_limit_mb=2048 -malloc_limit_mb=256 \
        -print_final_stats=1 -artifact_prefix="fuzz/artifacts/$target/" "${dict[@]}" \
        >"fuzz/logs/$target.log" 2>&1
    echo "$?" >"fuzz/logs/$target.rc"
}

status=0
for target in $TARGETS; do
    while [ "$(jobs -rp | wc -l)" -ge "$PARALLEL" ]; do sleep 1; done
    echo "fuzzing $target for ${SECONDS_PER_TARGET}s (log: fuzz/logs/$target.log)"
    rm -f "fuzz/logs/$target.rc"
    run_target "$target" "$SECONDS_PER_TARGET" "$(max_len "$target")" &
done
wait
# Each run leaves its exit status in a file: `wait PID` is unreliable for jobs that the
# `jobs -rp` polling above has already reaped (bash then reports "not a child").
failed=()
for target in $TARGETS; do
    if [ "$(cat "fuzz/logs/$target.rc" 2>/dev/null)" != 0 ]; then
        failed+=("$target")
        status=1
    fi
done

# One row per target from libFuzzer's closing lines:
#   #N DONE cov: C ft: F corp: K/SIZE ... exec/s: E ...   and   Done N runs in S second(s)
summary=fuzz/logs/summary.md
{
    echo "| target | seconds | executions | exec/s | cov | ft | corpus | cov last grew at | result |"
    echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |"
    for target in $TARGETS; do
        log="fuzz/logs/$target.log"
        last=$(grep -E '^#[0-9]+' "$log" | tail -1 || true)
        done_line=$(grep -E '^Done [0-9]+ runs in' "$log" | tail -1 || true)
        runs=$(sed -nE 's/^Done ([0-9]+) runs in ([0-9]+) second.*/\1/p' <<<"$done_line")
        secs=$(sed -nE 's/^Done ([0-9]+) runs in ([0-9]+) second.*/\2/p' <<<"$done_line")
        cov=$(sed -nE 's/.* cov: ([0-9]+).*/\1/p' <<<"$last")
        ft=$(sed -nE 's/.* ft: ([0-9]+).*/\1/p' <<<"$last")
        corp=$(sed -nE 's/.* corp: ([0-9]+)\/.*/\1/p' <<<"$last")
        rate=$(sed -nE 's/.* exec\/s: ([0-9]+).*/\1/p' <<<"$last")
        # The execution at which `cov` last grew, as a share of the run: a plateau indicator.
        grew=$(awk '/^#[0-9]+/ { n = substr($1, 2); for (i = 1; i < NF; i++) if ($i == "cov:") c = $(i+1); if (c != prev) { at = n; prev = c } }
                    END { if (at != "") print at }' "$log")
        share=""
        if [ -n "$grew" ] && [ -n "$runs" ] && [ "$runs" -gt 0 ]; then share=" ($((100 * grew / runs))%)"; fi
        result="ok"
        if grep -qE 'ERROR: libFuzzer|panicked at|SUMMARY: .*Sanitizer|==ERROR' "$log"; then
            result="FOUND: $(ls "fuzz/artifacts/$target" | head -3 | tr '\n' ' ')"
        elif [ -z "$done_line" ]; then
            result="did not finish (see $log)"
        fi
        echo "| $target | ${secs:-?} | ${runs:-?} | ${rate:-?} | ${cov:-?} | ${ft:-?} | ${corp:-?} | #${grew:-?}${share} | $result |"
    done
} >"$summary"
cat "$summary"

if [ "${SAMPLE:-0}" = 1 ]; then
    for target in $TARGETS; do
        cargo +nightly fuzz cmin "$target" "fuzz/corpus/$target" -- -max_len="$(max_len "$target")" \
            >"fuzz/logs/$target.cmin.log" 2>&1
        rm -rf "fuzz/sample/$target"
        mkdir -p "fuzz/sample/$target"
        # Corpus files are named by their SHA-1, so the first names are an unbiased sample.
        mapfile -t names < <(find "fuzz/corpus/$target" -type f -size -"$SAMPLE_MAX_BYTES"c -printf '%f\n' | sort)
        for name in "${names[@]:0:$SAMPLE_PER_TARGET}"; do
            cp "fuzz/corpus/$target/$name" "fuzz/sample/$target/$name"
        done
        echo "$target: $(ls "fuzz/corpus/$target" | wc -l) inputs after cmin, $(ls "fuzz/sample/$target" | wc -l) sampled"
    done
fi

if [ "$status" -ne 0 ]; then
    echo "fuzz.sh: findings in: ${failed[*]} (inputs in fuzz/artifacts/)" >&2
fi
exit "$status"
