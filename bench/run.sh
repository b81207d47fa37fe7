#!/usr/bin/env bash
# pace against wrk, oha, hey and Locust, on a local nginx (docs/performance.md).
#
#   bench/run.sh [max|paced|scale|all]...      (default: all)
#
# Installs what is missing (nginx-light, wrk, hey from Debian; oha with
# `cargo install --locked`; Locust with pip), builds pace into
# $CARGO_TARGET_DIR (default target/ in the checkout), starts nginx (bench/nginx.conf)
# pinned to core $SERVER_CPU, runs every client pinned to core $CLIENT_CPU
# under /usr/bin/time -v, $REPS times in rotating order, prints the tables
# (medians, ratios against oha within a repetition) and stops nginx.
#
# Traffic goes to 127.0.0.1:8089 only; every run is bounded by its own
# duration and by `timeout`.
#
# Environment: REPS (3), SCALE_REPS ($REPS), OUT (bench/out/run: raw
# outputs, results.jsonl, results.md), PACE (a pace binary: skips the build),
# OHA, SERVER_CPU (0), CLIENT_CPU (1), NO_INSTALL=1 (use what is there).

set -u

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$BENCH_DIR/.." && pwd)
OUT=${OUT:-$ROOT/bench/out/run}
PACE_RESULTS=${PACE_RESULTS:-$ROOT/bench/out/results}
NGINX_PREFIX=${NGINX_PREFIX:-$ROOT/bench/out/nginx}
REPS=${REPS:-3}
SCALE_REPS=${SCALE_REPS:-$REPS}
SERVER_CPU=${SERVER_CPU:-0}
CLIENT_CPU=${CLIENT_CPU:-1}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
HOSTPORT=127.0.0.1:8089
URL=http://$HOSTPORT/index.txt
export BENCH_URL=$URL   # the plans' ${BENCH_URL}

log() { printf '%s\n' "$*" >&2; }
die() { log "bench: $*"; exit 2; }

# ---------------------------------------------------------------- arguments
SCENARIOS=()
[ $# -eq 0 ] && set -- all
for a in "$@"; do
    case $a in
        all) SCENARIOS+=(max paced scale) ;;
        max|paced|scale) SCENARIOS+=("$a") ;;
        -h|--help) sed -n '2,20p' "$0"; exit 0 ;;
        *) die "unknown scenario '$a' (max | paced | scale | all)" ;;
    esac
done
want() { local s; for s in "${SCENARIOS[@]}"; do [ "$s" = "$1" ] && return 0; done; return 1; }

mkdir -p "$OUT/raw" "$PACE_RESULTS"
rm -f "$OUT"/raw/* "$OUT/results.jsonl"
START=$(date +%s)

# ---------------------------------------------------------------- install
have() { command -v "$1" >/dev/null 2>&1; }
OHA=${OHA:-$(command -v oha || echo "$HOME/.cargo/bin/oha")}
install_missing() {
    local apt=()
    have nginx || apt+=(nginx-light)
    have wrk || apt+=(wrk)
    [ -x /usr/bin/time ] || apt+=(time)
    have taskset || apt+=(util-linux)
    if [ ${#apt[@]} -gt 0 ] || ! have hey; then
        log "bench: apt-get install ${apt[*]} hey"
        apt-get update -qq >/dev/null 2>&1
        [ ${#apt[@]} -gt 0 ] && { apt-get install -y -qq "${apt[@]}" >/dev/null 2>&1 || die "apt-get install ${apt[*]} failed"; }
        have hey || apt-get install -y -qq hey >/dev/null 2>&1 || log "bench: hey cannot be installed: skipped"
    fi
    if [ ! -x "$OHA" ]; then
        log "bench: cargo install oha --locked (a few minutes)"
        if cargo install oha --locked >"$OUT/oha-install.log" 2>&1; then
            OHA=$HOME/.cargo/bin/oha
        else
            log "bench: oha cannot be installed (see $OUT/oha-install.log): skipped"
        fi
    fi
    if ! python3 -c 'import locust' 2>/dev/null; then
        log "bench: pip install locust"
        pip install -q locust >"$OUT/locust-install.log" 2>&1 || log "bench: Locust cannot be installed: skipped"
    fi
}
[ "${NO_INSTALL:-}" = 1 ] || install_missing
have nginx || die "nginx is missing"
have wrk || log "bench: wrk missing: skipped"
[ -x "$OHA" ] || OHA=
python3 -c 'import locust' 2>/dev/null && LOCUST=1 || LOCUST=

if [ -z "${PACE:-}" ]; then
    log "bench: building pace (CARGO_TARGET_DIR=$CARGO_TARGET_DIR)"
    (cd "$ROOT" && cargo build --release -q) || die "cargo build --release failed"
    PACE=$CARGO_TARGET_DIR/release/pace
fi
[ -x "$PACE" ] || die "no pace binary at $PACE"

# The scale scenario needs one socket per user on each side.
ulimit -n "$(ulimit -Hn)" 2>/dev/null
if want scale && [ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -lt 10240 ]; then
    log "bench: warning: ulimit -n is $(ulimit -n), below the 10,000 users of the scale scenario"
fi

# ---------------------------------------------------------------- nginx
NGINX_PID=
port_busy() { python3 -c "import socket,sys; s=socket.socket(); s.settimeout(0.5); sys.exit(0 if s.connect_ex(('127.0.0.1', 8089)) == 0 else 1)"; }
start_nginx() {
    port_busy && die "something already listens on $HOSTPORT"
    mkdir -p "$NGINX_PREFIX/www" "$NGINX_PREFIX/tmp"
    printf '%099d\n' 0 | tr 0 x >"$NGINX_PREFIX/www/index.txt"   # 100 bytes
    taskset -c "$SERVER_CPU" nginx -p "$NGINX_PREFIX/" -c "$BENCH_DIR/nginx.conf" \
        >"$NGINX_PREFIX/stdout" 2>&1 &
    NGINX_PID=$!
    for _ in $(seq 50); do
        python3 -c "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('$URL', timeout=1).read() else 1)" \
            2>/dev/null && return 0
        sleep 0.1
    done
    cat "$NGINX_PREFIX/error.log" >&2
    die "nginx did not answer on $URL"
}
stop_nginx() {
    if [ -n "$NGINX_PID" ] && kill -0 "$NGINX_PID" 2>/dev/null; then
        kill -QUIT "$NGINX_PID" 2>/dev/null
        for _ in $(seq 50); do kill -0 "$NGINX_PID" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$NGINX_PID" 2>/dev/null
        wait "$NGINX_PID" 2>/dev/null
    fi
    NGINX_PID=
}
trap stop_nginx EXIT
trap 'stop_nginx; exit 130' INT TERM

# ---------------------------------------------------------------- measuring
# measure SCENARIO REP TOOL LIMIT_S CMD...: one run of a client, pinned, timed.
measure() {
    local sc=$1 rep=$2 tool=$3 limit=$4; shift 4
    local raw=$OUT/raw/$sc-$rep-$tool pdir=
    if [[ $tool == pace* ]]; then
        pdir=$PACE_RESULTS/$sc-$rep-$tool
        rm -rf "$pdir"; mkdir -p "$pdir"
        set -- "$@" --quiet --results-dir "$pdir" --seed 1
    fi
    taskset -c "$CLIENT_CPU" /usr/bin/time -v -o "$raw.time" \
        timeout -k 5 "$limit" "$@" >"$raw.out" 2>"$raw.err"
    echo $? >"$raw.rc"
    python3 "$BENCH_DIR/parse.py" "$sc" "$rep" "$tool" "$raw" $pdir >>"$OUT/results.jsonl"
    tail -n 1 "$OUT/results.jsonl" | python3 -c '
import json, sys
r = json.loads(sys.stdin.read())
g = lambda k, f: (f % r[k]) if r.get(k) is not None else "-"
print("  %-6s rep %d  %-12s rc %-3s %10s req/s  %8s CPU us/req  RSS %8s KiB%s" % (
    r["scenario"], r["rep"], r["tool"], r.get("rc"), g("rate", "%.0f"), g("cpu_us_per_req", "%.1f"),
    g("rss_kb", "%.0f"), ("  " + r["parse_error"]) if r.get("parse_error") else ""), file=sys.stderr)'
    sleep 1
}

# rotate REP TOOLS...: the tools in an order that moves by one each repetition.
rotate() {
    local rep=$1; shift
    local n=$# i
    local arr=("$@")
    for ((i = 0; i < n; i++)); do echo "${arr[$(((i + rep - 1) % n))]}"; done
}

run_max() {
    local rep=$1 t
    for t in $(rotate "$rep" wrk oha locust pace pace-200u); do
        case $t in
            wrk) have wrk && measure max "$rep" wrk 40 wrk -t1 -c50 -d10s "$URL" ;;
            oha) [ -n "$OHA" ] && measure max "$rep" oha 40 "$OHA" -c 50 -z 10s --no-tui --output-format json "$URL" ;;
            locust) [ -n "$LOCUST" ] && measure max "$rep" locust 40 python3 -m locust \
                -f "$BENCH_DIR/locustfile.py" --headless -u 10 -r 10 -t 10s --host "http://$HOSTPORT" \
                --only-summary --loglevel WARNING ;;
            pace) measure max "$rep" pace 40 "$PACE" run "$BENCH_DIR/plans/max.toml" ;;
            pace-200u) measure max "$rep" pace-200u 40 "$PACE" run "$BENCH_DIR/plans/max-200.toml" ;;
        esac
    done
}

run_paced() {
    local rep=$1 t
    for t in $(rotate "$rep" pace-arrival pace-fixed oha hey); do
        case $t in
            pace-arrival) measure paced "$rep" pace-arrival 60 "$PACE" run "$BENCH_DIR/plans/paced-arrival.toml" ;;
            pace-fixed) measure paced "$rep" pace-fixed 60 "$PACE" run "$BENCH_DIR/plans/paced-fixed.toml" ;;
            oha) [ -n "$OHA" ] && measure paced "$rep" oha 60 "$OHA" -c 200 -q 2000 -z 20s --no-tui --output-format json "$URL" ;;
            # hey's -q is per worker: 200 workers x 10/s = 2000/s.
            hey) have hey && measure paced "$rep" hey 60 hey -c 200 -q 10 -z 20s "$URL" ;;
        esac
    done
}

run_scale() {
    measure scale "$1" pace 150 "$PACE" run "$BENCH_DIR/plans/scale.toml"
}

# ---------------------------------------------------------------- run
start_nginx
{
    echo "command: bench/run.sh ${SCENARIOS[*]} (REPS=$REPS, SCALE_REPS=$SCALE_REPS)"
    echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
    echo "machine: nproc $(nproc), $(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //'), $(uname -r), ulimit -n $(ulimit -n)"
    echo "pace: $(cd "$ROOT" && git rev-parse --short HEAD 2>/dev/null)$(cd "$ROOT" && [ -n "$(git status --porcelain -- src Cargo.toml Cargo.lock 2>/dev/null)" ] && echo ' (+ uncommitted changes in src/)')"
    echo "tools: $(nginx -v 2>&1 | sed 's/.*: //'), wrk $(dpkg-query -W -f '${Version}' wrk 2>/dev/null), oha $([ -n "$OHA" ] && "$OHA" --version | awk '{print $2}'), hey $(dpkg-query -W -f '${Version}' hey 2>/dev/null), locust $([ -n "$LOCUST" ] && python3 -c 'import locust; print(locust.__version__)')"
    echo "pinning: nginx on core $SERVER_CPU, clients on core $CLIENT_CPU"
} >"$OUT/header.txt"
log "bench: nginx up on $HOSTPORT (core $SERVER_CPU); running ${SCENARIOS[*]}, clients on core $CLIENT_CPU"

for ((rep = 1; rep <= REPS; rep++)); do
    want max && run_max "$rep"
    want paced && run_paced "$rep"
done
if want scale; then
    for ((rep = 1; rep <= SCALE_REPS; rep++)); do run_scale "$rep"; done
fi
stop_nginx

{
    cat "$OUT/header.txt"
    echo "wall time: $(( $(date +%s) - START )) s"
    echo
    python3 "$BENCH_DIR/report.py" "$OUT/results.jsonl" "${SCENARIOS[@]}"
} | tee "$OUT/results.md"
