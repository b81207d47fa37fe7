#!/usr/bin/env bash
# How often does a server's keep-alive idle close meet pace's next request?
# (docs/running.md, "Kept-alive connections closed under a request")
#
#   bench/keepalive_race.sh [RUNS] [PORT]
#
# Runs the case keepalive-idle-close-race RUNS times (default 5; seeds 1 to
# RUNS): its idle_server.py (closes connections idle for 0.980 s, answers in
# 10 ms) and its plan (4 users, fixed pacing 1 s, 15 s), as its README says,
# on 127.0.0.1:PORT (default 18433). Prints per run the verdict, the failed
# steps by kind, the reconnects (samples.csv's `reconnects`, 0 in a pace
# that does not write the column) and the steps that opened a connection,
# then the totals. PACE: the binary (default target/release/pace).
# Each run takes about 19 s.
set -euo pipefail
RUNS=${1:-5}
PORT=${2:-18433}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
PACE=${PACE:-$ROOT/target/release/pace}
CASE=$ROOT/tests/fixtures/cases/keepalive-idle-close-race
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
cp "$CASE/idle_server.py" "$CASE/plan.toml" "$WORK/"
cd "$WORK"
for i in $(seq 1 "$RUNS"); do
  python3 idle_server.py "$PORT" 0.980 18 > "server.$i.log" &
  server=$!
  # Until it listens (the README sleeps 0.5 s; a loaded machine needs more).
  for _ in $(seq 1 100); do
    python3 -c "import socket; socket.create_connection(('127.0.0.1', $PORT), 0.2).close()" \
      2>/dev/null && break
    sleep 0.05
  done
  PORT=$PORT "$PACE" run plan.toml --seed "$i" --quiet --results-dir "runs$i" > "run.$i.out" 2>&1 || true
  wait "$server"
  verdict=$(grep -E '^(PASS|FAIL|INCOMPLETE|NO CHECKS)' "run.$i.out" | tail -1 | cut -c1-4)
  python3 - "runs$i"/*/samples.csv "$i" "$verdict" <<'PY'
import csv, sys
rows = [r for r in csv.DictReader(open(sys.argv[1])) if r["kind"] == "step"]
failed = {}
for r in rows:
    if r["ok"] != "true":
        failed[r["error_kind"]] = failed.get(r["error_kind"], 0) + 1
reconnects = sum(int(r.get("reconnects") or 0) for r in rows)
opened = sum(1 for r in rows if float(r["connect"]) > 0)
print(f"run {sys.argv[2]}: {sys.argv[3]} steps {len(rows)} failed {sum(failed.values())} "
      f"{failed or ''} reconnects {reconnects} opened {opened}")
PY
done | tee summary.txt
awk '{ runs++; if ($3 != "PASS") notpass++; steps += $5; failed += $7;
       for (i = 1; i <= NF; i++) if ($i == "reconnects") rec += $(i + 1) }
     END { printf "total: %d runs, %d not PASS, %d steps, %d failed, %d reconnects\n",
           runs, notpass, steps, failed, rec }' summary.txt
