#!/usr/bin/env bash
# `pace report` on a large results folder (docs/performance.md, "Reports").
#
#   bench/report.sh [ROWS]          (default: 1000000 step rows)
#
# Writes a results folder with a synthetic samples.csv (bench/gen_samples.py:
# 100 users, 3 steps per iteration, one hour, log-normal latencies, 1 %
# errors; ROWS step rows plus an iteration row per iteration), then times
# `pace report` (every report: summary.json, report.html, results.jtl,
# junit.xml) and `pace report --xml` under /usr/bin/time -v, $REPS times,
# and prints wall time, CPU time and peak RSS. No traffic is sent.
#
# Environment: REPS (3), OUT (bench/out/report), PACE (a pace binary:
# skips the release build into $CARGO_TARGET_DIR, default target/ in the checkout).

set -eu
BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$BENCH_DIR/.." && pwd)
ROWS=${1:-1000000}
REPS=${REPS:-3}
OUT=${OUT:-$ROOT/bench/out/report}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}

if [ -z "${PACE:-}" ]; then
    (cd "$ROOT" && cargo build --release --quiet)
    PACE=$CARGO_TARGET_DIR/release/pace
fi
[ -x /usr/bin/time ] || { apt-get install -y -qq time >/dev/null; }

DIR=$OUT/20261123-000000
rm -rf "$OUT"; mkdir -p "$DIR"
python3 "$BENCH_DIR/gen_samples.py" "$ROWS" "$DIR"
rows=$(($(wc -l < "$DIR/samples.csv") - 1))
size=$(du -h "$DIR/samples.csv" | cut -f1)
echo "samples.csv: $rows rows ($size), $ROWS of them steps"
echo
echo "| command | wall s | CPU s (user+sys) | peak RSS MiB |"
echo "|---|---:|---:|---:|"
# One row of the table: the command's wall time, CPU time and peak RSS.
measure() {
    local name=$1; shift
    /usr/bin/time -v "$@" >/dev/null 2>"$OUT/time.txt" || true
    wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$OUT/time.txt" \
        | awk -F: '{ if (NF==3) print $1*3600+$2*60+$3; else print $1*60+$2 }')
    cpu=$(awk -F': ' '/User time/ {u=$2} /System time/ {s=$2} END {printf "%.2f", u+s}' "$OUT/time.txt")
    rss=$(awk -F': ' '/Maximum resident/ {printf "%.0f", $2/1024}' "$OUT/time.txt")
    echo "| $name | $wall | $cpu | $rss |"
}
for i in $(seq "$REPS"); do
    # The floor: Python's csv module merely reading the file once.
    measure "python3 csv: read every row (run $i)" \
        python3 -c 'import csv,sys; print(sum(1 for _ in csv.reader(open(sys.argv[1]))))' \
        "$DIR/samples.csv"
    measure "pace report (run $i)" "$PACE" report "$DIR" --quiet
    measure "pace report --xml (run $i)" "$PACE" report "$DIR" --quiet --xml
done
echo
ls -la "$DIR"
