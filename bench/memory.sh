#!/usr/bin/env bash
# pace's peak memory against hostile response bodies (docs/performance.md,
# "Hostile bodies").
#
#   bench/memory.sh
#
# Starts two servers on 127.0.0.1: the endless chunked body of the case
# tests/fixtures/cases/unbounded-body-memory (its server.py: 1 MiB chunks,
# for ever) and an in-script one answering every request with a body of
# $SIZE bytes announced by Content-Length. Then runs pace with $USERS users
# back to back for $DURATION against each, under /usr/bin/time -v, and
# prints peak RSS, what was received (samples.csv's `bytes`) and the errors:
#
#   endless          no body check: every request reads until its 5 s timeout
#   endless-check    body_contains, default max_body (1 MiB): "body too large"
#   sized            no body check: every body read to its end and counted
#   sized-check      body_contains of a word not in the body, max_body 256MiB:
#                    the whole body is searched, then the expectation fails
#
# Nothing but 127.0.0.1 is contacted; every run is bounded by its plan and
# by `timeout`. Environment: USERS (4), DURATION (6s), SIZE (200000000),
# OUT (bench/out/memory), PORT (18191; PORT+1 is the second server),
# PACE (a pace binary: skips `cargo build --release`, which honours
# CARGO_TARGET_DIR).

set -eu
BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$BENCH_DIR/.." && pwd)
USERS=${USERS:-4}
DURATION=${DURATION:-6s}
SIZE=${SIZE:-200000000}
OUT=${OUT:-$ROOT/bench/out/memory}
PORT=${PORT:-18191}
ENDLESS=http://127.0.0.1:$PORT
SIZED=http://127.0.0.1:$((PORT + 1))

if [ -z "${PACE:-}" ]; then
    (cd "$ROOT" && cargo build --release --quiet)
    PACE=${CARGO_TARGET_DIR:-$ROOT/target}/release/pace
fi
[ -x /usr/bin/time ] || { apt-get install -y -qq time >/dev/null; }
rm -rf "$OUT"; mkdir -p "$OUT"

PIDS=()
trap 'kill "${PIDS[@]}" 2>/dev/null || true' EXIT
python3 "$ROOT/tests/fixtures/cases/unbounded-body-memory/server.py" "$PORT" &
PIDS+=($!)
python3 - "$((PORT + 1))" "$SIZE" <<'EOF' &
# Every request: 200 OK with SIZE bytes of 's' (Content-Length), keep-alive.
import socket, sys, threading
port, size = int(sys.argv[1]), int(sys.argv[2])
block = memoryview(b"s" * (1 << 20))
def serve(c):
    try:
        f = c.makefile("rb")
        while True:
            while True:  # the request head, up to its empty line
                line = f.readline()
                if not line:
                    return
                if line in (b"\r\n", b"\n"):
                    break
            c.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % size)
            left = size
            while left:
                n = min(left, len(block))
                c.sendall(block[:n])
                left -= n
    except OSError:
        pass
    finally:
        c.close()
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", port))
s.listen(64)
while True:
    threading.Thread(target=serve, args=(s.accept()[0],), daemon=True).start()
EOF
PIDS+=($!)
for url in "$ENDLESS" "$SIZED"; do
    port=${url##*:}
    for _ in $(seq 50); do
        (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
        sleep 0.1
    done
done

# plan NAME URL TIMEOUT [EXTRA STEP LINES]
plan() {
    cat > "$OUT/$1.toml" <<EOT
[run]
duration = "$DURATION"
ts_interval = "1s"
grace = "60s"

[[group]]
name = "$1"
users = $USERS

[group.pacing]
mode = "none"

[[group.step]]
name = "$1"
url = "$2/"
timeout = "$3"
${4:-}
EOT
}
plan endless "$ENDLESS" 5s
plan endless-check "$ENDLESS" 5s 'expect = { body_contains = "needle" }'
plan sized "$SIZED" 60s
plan sized-check "$SIZED" 60s 'max_body = "256MiB"
expect = { body_contains = "needle" }'

echo "pace $("$PACE" --version 2>/dev/null | cut -d' ' -f2) ($(cd "$ROOT" && git rev-parse --short HEAD)), $(date -u +%F), $USERS users, $DURATION, body $SIZE bytes"
echo
echo "| scenario | peak RSS MiB | wall s | CPU s | steps | ok | errors | bytes per step min / max | received GB |"
echo "|---|---:|---:|---:|---:|---:|---|---:|---:|"
for name in endless endless-check sized sized-check; do
    set +e
    /usr/bin/time -v -o "$OUT/$name.time" timeout 300 \
        "$PACE" run "$OUT/$name.toml" --quiet --seed 1 --results-dir "$OUT/results-$name" \
        > "$OUT/$name.out" 2>&1
    set -e
    python3 - "$OUT/$name.time" "$OUT/results-$name" "$name" <<'EOF'
import csv, glob, sys
from collections import Counter
tv = {}
for line in open(sys.argv[1]):
    k, _, v = line.strip().rpartition(": ")
    tv[k] = v
rss = int(tv["Maximum resident set size (kbytes)"]) / 1024
wall = tv["Elapsed (wall clock) time (h:mm:ss or m:ss)"].split(":")
wall = sum(float(x) * 60 ** i for i, x in enumerate(reversed(wall)))
cpu = float(tv["User time (seconds)"]) + float(tv["System time (seconds)"])
(res,) = glob.glob(sys.argv[2] + "/*/samples.csv")
steps = [r for r in csv.DictReader(open(res)) if r["kind"] == "step"]
sizes = [int(r["bytes"]) for r in steps]
ok = sum(r["ok"] == "true" for r in steps)
errs = Counter(r["error_kind"] for r in steps if r["error_kind"])
errs = ", ".join(f"{k} {v}" for k, v in sorted(errs.items())) or "-"
print(f"| {sys.argv[3]} | {rss:.1f} | {wall:.1f} | {cpu:.1f} | {len(steps)} | {ok} | {errs} "
      f"| {min(sizes)} / {max(sizes)} | {sum(sizes) / 1e9:.2f} |")
EOF
done
echo
echo "Raw outputs: $OUT"
