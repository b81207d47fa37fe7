#!/usr/bin/env bash
# Script groups' overhead (docs/performance.md, "Scripted transactions").
#
#   bench/scripts.sh [overhead|users|all]      (default: all)
#
# overhead: a trivial Pyak47 script (bench/scripts/test_scripts/noop.py) run
#   back to back by USERS (4) users for 10 s: iterations per second across
#   users, and pace's overhead per iteration (iteration time as pace measures
#   it minus the script's own run() time, both from summary.json). The peer
#   in the same run is Locust with a trivial task (bench/scripts/locust_noop.py),
#   the same number of users, back to back.
# users: 500 script users ramped up over 10 s at 5 s fixed pacing for 20 s:
#   how long the workers take to start (before the clock), late starts and
#   the scheduler's lag while they run, and the verdict.
#
# Everything runs on 127.0.0.1 (no traffic at all: the scripts do nothing).
# Environment: REPS (3), OUT (bench/out/scripts), PACE (a pace binary:
# skips the release build into $CARGO_TARGET_DIR, default target/ in the checkout).

set -u
BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$BENCH_DIR/.." && pwd)
REPS=${REPS:-3}
USERS=${USERS:-4}
OUT=${OUT:-$ROOT/bench/out/scripts}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
WHAT=${1:-all}

if [ -z "${PACE:-}" ]; then
    (cd "$ROOT" && cargo build --release --quiet) || exit 2
    PACE=$CARGO_TARGET_DIR/release/pace
fi
python3 -c 'import locust' 2>/dev/null || pip install -q locust >/dev/null 2>&1 || true
rm -rf "$OUT"; mkdir -p "$OUT"
cp -r "$BENCH_DIR/scripts" "$OUT/project"
P=$OUT/project

overhead() {
    cat > "$P/plan.toml" <<PLAN
[run]
duration = "10s"
ts_interval = "1s"

[[group]]
name = "noop"
users = $USERS
script = "test_scripts/noop.py"

[group.pacing]
mode = "none"
PLAN
    echo "| run | tool | iterations/s | overhead µs/iteration (mean, p50) | CPU s |"
    echo "|---|---|---:|---:|---:|"
    for i in $(seq "$REPS"); do
        rm -rf "$P/results"
        /usr/bin/time -f '%U %S' -o "$OUT/time.txt" \
            "$PACE" run "$P" --quiet --results-dir "$P/results" >/dev/null 2>"$OUT/pace.err"
        s=$(ls -d "$P"/results/*/ | head -1)summary.json
        python3 - "$s" "$(cat "$OUT/time.txt")" "$i" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
cpu = sum(float(x) for x in sys.argv[2].split())
it, tx = s["iteration"], s["timers"]["noop"]
rate = tx["count"] / s["meta"]["run_time_s"]
mean = (it["avg"] - tx["avg"]) * 1e6
p50 = (it["p50"] - tx["p50"]) * 1e6
print(f"| {sys.argv[3]} | pace | {rate:,.0f} | {mean:.1f}, {p50:.1f} | {cpu:.2f} |")
PY
        if python3 -c 'import locust' 2>/dev/null; then
            (cd "$OUT" && /usr/bin/time -f '%U %S' -o "$OUT/ltime.txt" timeout 60 \
                locust -f "$BENCH_DIR/scripts/locust_noop.py" --headless -u "$USERS" -r "$USERS" \
                -t 10s --only-summary --csv "$OUT/locust" >/dev/null 2>&1)
            python3 - "$OUT/locust_stats.csv" "$(cat "$OUT/ltime.txt")" "$i" <<'PY'
import csv, sys
rows = {r["Name"]: r for r in csv.DictReader(open(sys.argv[1]))}
cpu = sum(float(x) for x in sys.argv[2].split())
n = int(rows["Aggregated"]["Request Count"])
print(f"| {sys.argv[3]} | Locust | {n / 10:,.0f} | - | {cpu:.2f} |")
PY
        fi
    done
}

users() {
    cat > "$P/plan.toml" <<PLAN
[target]
tps = 100

[run]
duration = "20s"
ramp_up = "10s"
ts_interval = "1s"

[[group]]
name = "many"
users = 500
script = "test_scripts/noop.py"

[group.pacing]
mode = "fixed"
interval = "5s"
PLAN
    echo "| run | workers ready in | late starts | scheduler lag p99 / max ms | pace peak RSS MiB | verdict |"
    echo "|---|---:|---:|---:|---:|---|"
    for i in $(seq "$REPS"); do
        rm -rf "$P/results"
        /usr/bin/time -f '%M' -o "$OUT/time.txt" \
            "$PACE" run "$P" --results-dir "$P/results" >"$OUT/users.out" 2>"$OUT/users.err"
        ready=$(grep -o 'ready in [0-9.]* s' "$OUT/users.err" | head -1)
        s=$(ls -d "$P"/results/*/ | head -1)summary.json
        python3 - "$s" "$(tail -1 "$OUT/time.txt")" "$i" "$ready" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
lag = s["scheduler_lag"]
v = "PASS" if s["verdict"]["pass"] else "FAIL: " + "; ".join(s["verdict"]["reasons"])
print(f"| {sys.argv[3]} | {sys.argv[4].replace('ready in ', '')} | {s['late_starts']} | "
      f"{lag['p99'] * 1e3:.2f} / {lag['max'] * 1e3:.2f} | {int(sys.argv[2]) / 1024:.0f} | {v} |")
PY
    done
}

case $WHAT in
    overhead) overhead ;;
    users) users ;;
    all) overhead; echo; users ;;
    *) echo "usage: bench/scripts.sh [overhead|users|all]" >&2; exit 2 ;;
esac
