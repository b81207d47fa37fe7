#!/usr/bin/env bash
# The start skew of N local shards: N `pace run --shard I/N` processes given
# one --start-at, against their embedded targets on 127.0.0.1, then `pace
# merge`; prints the merged summary's start_skew_s (max - min of the shards'
# actual first starts) and each shard's lateness against --start-at
# (docs/performance.md, "Start skew").
#
#   bench/skew.sh [N...]        # default: 2 4 8, three times each
#
# Environment: PACE (a pace binary; default: target/release/pace, built),
# OUT (bench/out/skew), REPEAT (3). Nothing leaves the machine.
set -eu
BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$BENCH_DIR/.." && pwd)
OUT=${OUT:-$ROOT/bench/out/skew}
REPEAT=${REPEAT:-3}
if [ -z "${PACE:-}" ]; then
    (cd "$ROOT" && cargo build --release --quiet)
    PACE=${CARGO_TARGET_DIR:-$ROOT/target}/release/pace
fi
[ $# -gt 0 ] || set -- 2 4 8
rm -rf "$OUT" && mkdir -p "$OUT"
cat > "$OUT/plan.toml" <<'PLAN'
[target]
tpm = 4800.0
response_time = "5ms"
transactions_per_iteration = 1
[target.embedded]
latency = "5ms"
[run]
duration = "4s"
ts_interval = "1s"
grace = "2s"
[[group]]
name = "g"
users = 16
[group.pacing]
mode = "fixed"
interval = "200ms"
[[group.step]]
name = "s"
url = "${PACE_TARGET}/"
[acceptance]
error_rate = "1%"
PLAN
echo "shards  run  start_skew_ms  latest_shard_late_ms  merged verdict"
for n in "$@"; do
    for r in $(seq 1 "$REPEAT"); do
        d="$OUT/n$n-r$r"
        at=$(date -u -d '+3 sec' +%FT%T.%3NZ)
        for i in $(seq 0 $((n - 1))); do
            "$PACE" run "$OUT/plan.toml" --shard "$i/$n" --start-at "$at" --seed 1 \
                --quiet --results-dir "$d/$i" >/dev/null 2>&1 &
        done
        wait
        "$PACE" merge "$d"/*/* -o "$d/merged" --quiet >/dev/null 2>&1 || true
        python3 - "$d" "$n" "$r" <<'PY'
import glob, json, sys
d, n, r = sys.argv[1:]
s = json.load(open(f"{d}/merged/summary.json"))
late = max(
    (m["meta"]["shard"]["first_start_epoch_us"] - m["meta"]["shard"]["t0_epoch_us"]) / 1e3
    for m in (json.load(open(f)) for f in glob.glob(f"{d}/[0-9]*/*/summary.json"))
)
print(f"{n:>6}  {r:>3}  {s['start_skew_s'] * 1e3:13.2f}  {late:20.2f}  {s['verdict']['state']}")
PY
    done
done
