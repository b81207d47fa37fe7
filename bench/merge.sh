#!/usr/bin/env bash
# `pace merge` of 8 shards of 1 million samples each: time and peak memory
# (docs/performance.md, "Merging shards").
#
#   bench/merge.sh
#
# Makes one synthetic results folder of $ROWS samples (bench/gen_samples.py:
# 100 users, one hour), then $SHARDS shard folders from it: shard k's users
# are the generated ones renumbered u * SHARDS + k (so user u belongs to
# shard u mod SHARDS, as `pace run --shard` stripes them), the plan scaled
# to 100 * SHARDS users. `pace report` writes each shard's summary.json and
# histograms.hlog; `meta.shard` is added to the summary. Then
# `pace merge` runs under /usr/bin/time -v and its wall time and peak RSS
# are printed. Nothing is contacted over the network.
#
# Environment: ROWS (1000000), SHARDS (8), OUT (bench/out/merge), PACE
# (a pace binary: skips `cargo build --release`, which honours
# CARGO_TARGET_DIR).

set -eu
BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$BENCH_DIR/.." && pwd)
ROWS=${ROWS:-1000000}
SHARDS=${SHARDS:-8}
OUT=${OUT:-$ROOT/bench/out/merge}

if [ -z "${PACE:-}" ]; then
    (cd "$ROOT" && cargo build --release --quiet)
    PACE=${CARGO_TARGET_DIR:-$ROOT/target}/release/pace
fi
[ -x /usr/bin/time ] || { apt-get install -y -qq time >/dev/null; }
rm -rf "$OUT"; mkdir -p "$OUT/gen"

python3 "$BENCH_DIR/gen_samples.py" "$ROWS" "$OUT/gen"
# The whole plan: SHARDS times the users and the rate.
python3 - "$OUT/gen/plan.toml" "$SHARDS" <<'PY'
import re, sys
path, n = sys.argv[1], int(sys.argv[2])
text = open(path).read()
text = re.sub(r"^users = (\d+)$", lambda m: f"users = {int(m.group(1)) * n}", text, flags=re.M)
text = re.sub(r"^tps = ([0-9.e+-]+)$", lambda m: f"tps = {float(m.group(1)) * n}", text, flags=re.M)
open(path, "w").write(text)
PY

for k in $(seq 0 $((SHARDS - 1))); do
    d="$OUT/shards/s$k"
    mkdir -p "$d"
    cp "$OUT/gen/plan.toml" "$d/plan.toml"
    # Column 6 is `user`.
    awk -F, -v OFS=, -v n="$SHARDS" -v k="$k" 'NR == 1 { print; next } { $6 = $6 * n + k; print }' \
        "$OUT/gen/samples.csv" > "$d/samples.csv"
    "$PACE" report "$d" --quiet >/dev/null 2>&1 || true
    python3 - "$d" "$k" "$SHARDS" <<'PY'
import hashlib, json, socket, sys
d, k, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
s = json.load(open(f"{d}/summary.json"))
plan = open(f"{d}/plan.toml", "rb").read()
t0 = 1_800_000_000_000_000
m = s["meta"]
m["started_epoch_ms"] = t0 // 1000
m["partial"] = s["partial"] = False
m["partial_reason"] = None
m["run_time_s"] = m["duration_s"]
m["shard"] = {
    "index": k, "count": n, "plan_hash": hashlib.sha256(plan).hexdigest(),
    "start_at": None, "t0_epoch_us": t0, "ready_epoch_us": t0 - 1_000_000,
    "first_start_epoch_us": t0 + 1000 * k, "status": "ok", "host": socket.gethostname(),
}
json.dump(s, open(f"{d}/summary.json", "w"))
PY
done

echo "pace merge: $SHARDS shards x $ROWS samples"
/usr/bin/time -v "$PACE" merge "$OUT/shards" -o "$OUT/merged" -q \
    >"$OUT/merge.out" 2>"$OUT/merge.time" || true
grep -E "Elapsed \(wall|Maximum resident|Exit status" "$OUT/merge.time"
echo "merged samples: $(($(wc -l < "$OUT/merged/samples.csv") - 1))"
