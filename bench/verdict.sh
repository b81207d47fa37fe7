#!/usr/bin/env bash
# How often is pace's verdict right? (docs/verdict.md)
#
#   bench/verdict.sh [PLAN... | probes]
#
# Default: every bench/verdict/healthy-*.toml and degraded-*.toml (the
# study); `probes`: every probe-*.toml (harder faults, docs/verdict.md);
# or plans by name (degraded-stall, bench/verdict/healthy-fixed.toml).
#
# Runs each plan of bench/verdict/ many times with different seeds against
# pace's embedded target (127.0.0.1 only) with a release build, and prints
# the healthy PASS rate, the degraded FAIL rate and the share of FAILs whose
# first cause (summary.json verdict.causes[0].cause) is the injected one,
# overall and per plan. A plan says what it should get in a comment line:
# `# study: expect = PASS` or `# study: expect = FAIL <cause>`.
#
# Run k of a plan uses seed SEED0 + k, both for `pace run --seed` (the
# schedule) and for the embedded target's own generator (its latencies and
# errors): bench/verdict.py renders the template with `seed = <seed>` in
# [target.embedded]. Runs are interleaved (every plan's first seed, then
# every plan's second...) so that the machine's state spreads over all plans.
#
# Every run the verdict got wrong (a healthy run that did not PASS, a
# degraded one that did not FAIL or named another cause first) is copied to
# bench/verdict-evidence/<plan>-seed<seed>/ (not committed) with the rendered
# plan and a REPRODUCE file.
#
# Environment: RUNS (30: runs of each healthy plan), DEGRADED_RUNS (15),
# SEED0 (1), JOBS (2: pace runs at once, at most 2), LIMIT (60: seconds
# before `timeout` stops a run), OUT (bench/out/verdict: every run's results,
# results.jsonl, report.md), PACE (a pace binary: skips the release build,
# else `cargo build --release` into $CARGO_TARGET_DIR or the checkout's
# target/).

set -u

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$BENCH_DIR/.." && pwd)
PLANS_DIR=$BENCH_DIR/verdict
EVIDENCE=$BENCH_DIR/verdict-evidence
OUT=${OUT:-$ROOT/bench/out/verdict}
RUNS=${RUNS:-30}
DEGRADED_RUNS=${DEGRADED_RUNS:-15}
SEED0=${SEED0:-1}
JOBS=${JOBS:-2}
LIMIT=${LIMIT:-60}
HELPER=$BENCH_DIR/verdict.py

log() { printf '%s\n' "$*" >&2; }
die() { log "verdict: $*"; exit 2; }

[ "$JOBS" -ge 1 ] 2>/dev/null || die "JOBS must be 1 or 2"
[ "$JOBS" -gt 2 ] && { log "verdict: JOBS=$JOBS lowered to 2 (a 2-core machine)"; JOBS=2; }
command -v python3 >/dev/null || die "python3 is needed (the helper and the script groups)"
command -v timeout >/dev/null || die "timeout (coreutils) is needed"

# ---------------------------------------------------------------- plans
ARGS="$*"
PLANS=()
if [ $# -eq 0 ]; then
    # Healthy plans first, then degraded ones (the order of the tables).
    for f in "$PLANS_DIR"/healthy-*.toml "$PLANS_DIR"/degraded-*.toml; do
        [ -f "$f" ] && PLANS+=("$(basename "$f" .toml)")
    done
else
    for a in "$@"; do
        if [ "$a" = probes ]; then
            for f in "$PLANS_DIR"/probe-*.toml; do [ -f "$f" ] && PLANS+=("$(basename "$f" .toml)"); done
            continue
        fi
        a=$(basename "$a" .toml)
        [ -f "$PLANS_DIR/$a.toml" ] || die "no plan $PLANS_DIR/$a.toml"
        PLANS+=("$a")
    done
fi
declare -A EXPECT COUNT
MAXRUNS=0
for p in "${PLANS[@]}"; do
    EXPECT[$p]=$(python3 "$HELPER" expect "$PLANS_DIR/$p.toml") || exit 2
    case ${EXPECT[$p]} in PASS) COUNT[$p]=$RUNS ;; *) COUNT[$p]=$DEGRADED_RUNS ;; esac
    [ "${COUNT[$p]}" -gt "$MAXRUNS" ] && MAXRUNS=${COUNT[$p]}
done

# ---------------------------------------------------------------- pace
if [ -z "${PACE:-}" ]; then
    log "verdict: building pace (release)"
    (cd "$ROOT" && cargo build --release -q) || die "cargo build --release failed"
    PACE=${CARGO_TARGET_DIR:-$ROOT/target}/release/pace
fi
[ -x "$PACE" ] || die "no pace binary at $PACE"
for p in "${PLANS[@]}"; do
    "$PACE" run "$PLANS_DIR/$p.toml" --check >/dev/null 2>&1 || die "$p.toml does not pass --check"
done

case $OUT in /|"$HOME"|"$ROOT"|"$BENCH_DIR") die "OUT=$OUT would be emptied: choose a folder of its own" ;; esac
rm -rf "$OUT"
mkdir -p "$OUT/runs"
START=$(date +%s)

# ---------------------------------------------------------------- runs
# one PLAN SEED: renders the plan, runs it under timeout, records the result.
one() {
    local p=$1 seed=$2 dir=$OUT/runs/$1-seed$2 rc
    mkdir -p "$dir"
    python3 "$HELPER" render "$PLANS_DIR/$p.toml" "$seed" "$dir/plan.toml" || return
    ln -s "$PLANS_DIR/test_scripts" "$dir/test_scripts"
    timeout -k 5 "$LIMIT" "$PACE" run "$dir/plan.toml" --seed "$seed" --quiet \
        --results-dir "$dir/results" >"$dir/stdout" 2>"$dir/stderr"
    rc=$?
    # shellcheck disable=SC2086 # EXPECT is "PASS" or "FAIL cause"
    python3 "$HELPER" record "$p" "$seed" "$rc" "$dir" ${EXPECT[$p]} >"$dir/record.json"
    python3 - "$dir/record.json" <<'PY' >&2
import json, sys
r = json.load(open(sys.argv[1]))
want = r["expect"] + (" " + r["expect_cause"] if r["expect_cause"] else "")
got = r["state"] + (" " + r["first_cause"] if r.get("first_cause") else "")
ok = got == want if r["expect"] == "FAIL" else r["state"] == "PASS"
print("  %-28s seed %-4d %-30s %s" % (r["plan"], r["seed"], got, "" if ok else "<- expected " + want))
PY
}

PIDS=()
stop() {
    local pid
    # Each run's `timeout` (a child of its subshell) passes the signal on to pace.
    for pid in "${PIDS[@]}"; do pkill -TERM -P "$pid" 2>/dev/null; kill -- "$pid" 2>/dev/null; done
    wait 2>/dev/null
    log "verdict: interrupted"
    exit 130
}
trap stop INT TERM

ORDER=()
for ((k = 0; k < MAXRUNS; k++)); do
    for p in "${PLANS[@]}"; do
        [ "$k" -lt "${COUNT[$p]}" ] && ORDER+=("$p $((SEED0 + k))")
    done
done
log "verdict: ${#ORDER[@]} runs of ${#PLANS[@]} plans, $JOBS at a time, with $PACE"
for job in "${ORDER[@]}"; do
    # At most $JOBS runs at once: wait for one to end before starting another.
    while [ "$(jobs -rp | wc -l)" -ge "$JOBS" ]; do wait -n; done
    # shellcheck disable=SC2086
    one $job &
    PIDS+=($!)
done
wait
trap - INT TERM

# ---------------------------------------------------------------- report
: >"$OUT/results.jsonl"
for job in "${ORDER[@]}"; do
    cat "$OUT/runs/${job% *}-seed${job#* }/record.json" >>"$OUT/results.jsonl" 2>/dev/null
done

# The evidence of every run the verdict got wrong.
python3 - "$OUT/results.jsonl" <<'PY' >"$OUT/misses.txt"
import json, sys
for line in open(sys.argv[1]):
    r = json.loads(line)
    bad = r["state"] != r["expect"] or (r["expect"] == "FAIL" and r.get("first_cause") != r["expect_cause"])
    if bad:
        print(r["plan"], r["seed"], r["dir"])
PY
while read -r p seed dir; do
    dest=$EVIDENCE/$p-seed$seed
    rm -rf "$dest"
    mkdir -p "$dest"
    cp -r "$dir/plan.toml" "$dir/stdout" "$dir/stderr" "$dir/record.json" "$dest/"
    cp -r "$dir/results" "$dest/" 2>/dev/null
    ln -s ../verdict/test_scripts "$dest/test_scripts"
    printf 'cargo build --release && target/release/pace run bench/verdict-evidence/%s/plan.toml --seed %s\n' \
        "$p-seed$seed" "$seed" >"$dest/REPRODUCE"
done <"$OUT/misses.txt"

{
    echo "command: bench/verdict.sh${ARGS:+ $ARGS} (RUNS=$RUNS, DEGRADED_RUNS=$DEGRADED_RUNS, SEED0=$SEED0, JOBS=$JOBS)"
    echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
    echo "machine: nproc $(nproc), $(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //'), $(uname -r)"
    echo "pace: $(cd "$ROOT" && git rev-parse --short HEAD 2>/dev/null)$(cd "$ROOT" && [ -n "$(git status --porcelain -- src Cargo.toml Cargo.lock 2>/dev/null)" ] && echo ' (+ uncommitted changes in src/)')"
    echo "wall time: $(( $(date +%s) - START )) s"
    [ -s "$OUT/misses.txt" ] && echo "evidence: $(wc -l <"$OUT/misses.txt") run(s) copied to bench/verdict-evidence/"
} >"$OUT/header.txt"
python3 "$HELPER" report "$OUT/results.jsonl" "$(cat "$OUT/header.txt")" | tee "$OUT/report.md"
