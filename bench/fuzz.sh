#!/bin/sh
# The long fuzzing run (docs/fuzzing.md): every target of tests/fuzz for a
# million cases each (PACE_FUZZ_CASES), KNOWN_OPEN ignored (PACE_FUZZ_ALL=1),
# from a fixed seed (PACE_FUZZ_SEED), one target at a time. Prints each
# target's count, rate and distinct failures, and appends them to
# $PACE_FUZZ_REPORT (default target/fuzz-report.txt under CARGO_TARGET_DIR).
#
#   bench/fuzz.sh                                # 1,000,000 cases per target, release build
#   PACE_FUZZ_CASES=20000 bench/fuzz.sh          # a shorter run
#   PACE_FUZZ_TARGETS="plan_loader" bench/fuzz.sh
#   PACE_FUZZ_PROFILE=dev bench/fuzz.sh          # the test profile (optimised, with overflow checks), no release build
#
# Per-target counts: CASES_plan_loader=..., CASES_pyak47_config=...,
# CASES_samples_csv=..., CASES_cli_args=..., CASES_capacity_input=...,
# CASES_stair_folders=..., CASES_merge_shards=..., CASES_test_data=...,
# CASES_extractors=..., CASES_k8s_values=... override PACE_FUZZ_CASES.
# k8s_values runs the binary for every case (about 150 cases/s): its
# default is 100,000.
# PACE_FUZZ_SECONDS=N stops each target after N seconds; its line in the
# report then says how many cases ran.
# The exit status is non-zero when any target found a failure.
set -u
cd "$(dirname "$0")/.."

CASES=${PACE_FUZZ_CASES:-1000000}
TARGETS=${PACE_FUZZ_TARGETS:-"plan_loader pyak47_config samples_csv cli_args capacity_input stair_folders merge_shards test_data extractors k8s_values"}
TDIR=${CARGO_TARGET_DIR:-target}
REPORT=${PACE_FUZZ_REPORT:-$TDIR/fuzz-report.txt}
case "${PACE_FUZZ_PROFILE:-release}" in
    release) PROFILE="--release" ;;
    *) PROFILE="" ;;
esac
# The binary and the full reports are slow next to a parse: sample them.
export PACE_FUZZ_BIN_EVERY=${PACE_FUZZ_BIN_EVERY:-1000}
export PACE_FUZZ_PUBLISH_EVERY=${PACE_FUZZ_PUBLISH_EVERY:-100}
export PACE_FUZZ_ALL=${PACE_FUZZ_ALL:-1}

echo "pace fuzz: $(date -u +%Y-%m-%dT%H:%M:%SZ), commit $(git rev-parse --short HEAD 2>/dev/null || echo '?'), seed ${PACE_FUZZ_SEED:-default}, report $REPORT"
# shellcheck disable=SC2086
cargo test $PROFILE --test fuzz --no-run || exit 2

status=0
for t in $TARGETS; do
    case $t in
        k8s_values) def=${PACE_FUZZ_CASES:-100000} ;;
        *) def=$CASES ;;
    esac
    n=$(eval "echo \${CASES_$t:-$def}")
    echo "== $t: $n cases"
    start=$(date +%s)
    from=0
    left=${PACE_FUZZ_SECONDS:-}
    # A hang or a runaway allocation in-process makes the watchdog abort
    # the run (it writes FUZZ-ABORT and the case to the report): resume
    # after that case.
    while :; do
        seg=$(date +%s)
        # Progress and results are on stderr; stdout (libtest, the verdicts
        # the report path prints) is dropped.
        # shellcheck disable=SC2086
        PACE_FUZZ_CASES=$n PACE_FUZZ_FROM=$from PACE_FUZZ_SECONDS=$left PACE_FUZZ_REPORT=$REPORT \
            cargo test $PROFILE --test fuzz -- --exact "$t" --nocapture --test-threads=1 \
            2>&1 >/dev/null | grep -v '^running \|^test result\|^$\|Finished\|Running\|^warning: \|^      | '
        k=$(grep "^FUZZ-ABORT target=$t " "$REPORT" 2>/dev/null | tail -1 | sed 's/.*case=\([0-9]*\).*/\1/')
        [ -n "$k" ] && [ "$k" -ge "$from" ] || break
        status=1
        from=$((k + 1))
        [ "$from" -lt "$n" ] || break
        if [ -n "$left" ]; then
            left=$((left - ($(date +%s) - seg)))
            [ "$left" -gt 0 ] || break
        fi
        echo "== $t: resuming at case $from"
    done
    end=$(date +%s)
    echo "== $t: $((end - start)) s"
    if grep "^fuzz target $t:" "$REPORT" | tail -1 | grep -qv ' 0 distinct failure'; then
        status=1
    fi
done
echo "pace fuzz: done $(date -u +%Y-%m-%dT%H:%M:%SZ); report in $REPORT"
exit $status
