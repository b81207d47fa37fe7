#!/usr/bin/env bash
# The instruction-count guard (docs/performance.md, "Instruction-count guard").
#
#   bench/icount.sh               count each scenario, compare with the budget
#   UPDATE=1 bench/icount.sh      count, and write the counts as the budget
#   bench/icount.sh --self-test   check that the guard fails on a regression
#
# Each scenario of benches/icount.rs runs under callgrind at its warm N and
# at 5N; (I(5N) - I(N)) / 4N is its instructions per operation, start-up
# cancelled. Instructions, not time: the count is the same on a busy
# machine. Exit 1 when a scenario costs more than 1.20 x its budget
# (bench/icount-budget.toml); one under 0.80 x is told to lower its budget.
# Exit 2 when something could not be counted (build, valgrind, a budget
# file that does not read).
#
# Environment: CARGO_TARGET_DIR (target/ in the checkout), BUDGET (the
# budget file), OUT (bench/out/icount: the counts, measured.tsv),
# MEASURED (a measured.tsv written earlier: compared instead of counting
# again, e.g. by --self-test right after the guard), NO_INSTALL=1 (use
# what is there).

set -euo pipefail

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$BENCH_DIR/.." && pwd)
BUDGET=${BUDGET:-$BENCH_DIR/icount-budget.toml}
OUT=${OUT:-$ROOT/bench/out/icount}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
# A regression fails above this ratio; a budget this far above the count
# is stale.
FAIL_RATIO=1.20
LOWER_RATIO=0.80

die() { printf 'icount: %s\n' "$*" >&2; exit 2; }

SELF_TEST=0
case ${1:-} in
    "") ;;
    --self-test) SELF_TEST=1 ;;
    -h|--help) sed -n '2,20p' "$0"; exit 0 ;;
    *) die "unknown argument '$1' (--self-test, or none)" ;;
esac

# ------------------------------------------------------------------ count
install_valgrind() {
    command -v valgrind >/dev/null 2>&1 && return
    [ "${NO_INSTALL:-0}" = 1 ] && die "valgrind is not installed (NO_INSTALL=1)"
    local sudo=()
    [ "$(id -u)" -ne 0 ] && sudo=(sudo)
    printf 'icount: installing valgrind\n' >&2
    "${sudo[@]}" apt-get update -qq >/dev/null \
        && DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq valgrind >/dev/null \
        || die "apt-get install valgrind failed"
}

# The bench binary, built in the bench (release) profile.
build() {
    local json exe
    json=$(cd "$ROOT" && cargo bench --bench icount --no-run --message-format=json) \
        || die "cargo bench --bench icount --no-run failed"
    exe=$(printf '%s\n' "$json" | grep '"target":{[^}]*"name":"icount"' \
        | grep -o '"executable":"[^"]*"' | tail -n 1 | cut -d'"' -f4)
    [ -n "$exe" ] && [ -x "$exe" ] || die "cargo did not say where the icount bench is"
    printf '%s\n' "$exe"
}

# Instructions of one run: `instructions BIN SCENARIO N`.
instructions() {
    local cg="$OUT/callgrind.out" total
    rm -f "$cg"
    valgrind --tool=callgrind --callgrind-out-file="$cg" -q "$1" "$2" "$3" >/dev/null \
        || die "valgrind $1 $2 $3 failed"
    total=$(awk '$1 == "totals:" { print $2 }' "$cg")
    [[ $total =~ ^[0-9]+$ ]] || die "no instruction total in $cg"
    rm -f "$cg"
    printf '%s\n' "$total"
}

# Counts every scenario into $OUT/measured.tsv: name, instructions per
# op, N, I(N), I(5N), what one op is.
count() {
    install_valgrind
    local bin list name n op i1 i5 per
    bin=$(build)
    mkdir -p "$OUT"
    list=$("$bin" --list) || die "$bin --list failed"
    : >"$OUT/measured.tsv.new"
    while IFS=$'\t' read -r name n op; do
        i1=$(instructions "$bin" "$name" "$n")
        i5=$(instructions "$bin" "$name" $((5 * n)))
        per=$(awk -v a="$i1" -v b="$i5" -v n="$n" 'BEGIN { printf "%.1f", (b - a) / (4 * n) }')
        printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$name" "$per" "$n" "$i1" "$i5" "$op" >>"$OUT/measured.tsv.new"
        printf 'icount: %-10s %12s instructions per op (N=%s: %s, 5N: %s)\n' \
            "$name" "$per" "$n" "$i1" "$i5" >&2
    done <<<"$list"
    mv "$OUT/measured.tsv.new" "$OUT/measured.tsv"
    MEASURED=$OUT/measured.tsv
}

# ---------------------------------------------------------------- compare
# `compare MEASURED BUDGET`: the table; exit 0 (within), 1 (a regression,
# or a scenario without a budget), 2 (unreadable input).
compare() {
    awk -v fail="$FAIL_RATIO" -v lower="$LOWER_RATIO" -v budget_file="${2#"$ROOT"/}" '
        function bad(msg) { printf "icount: %s\n", msg > "/dev/stderr"; broken = 1; exit 2 }
        { file = FILENAME == ARGV[1] ? 1 : 2 }
        # The budget: [scenario] sections with instructions_per_op.
        file == 1 && /^[ \t]*\[[^]]+\][ \t]*(#.*)?$/ {
            section = $0; sub(/^[ \t]*\[/, "", section); sub(/\].*/, "", section); next
        }
        file == 1 && /^[ \t]*instructions_per_op[ \t]*=/ {
            v = $0; sub(/^[^=]*=[ \t]*/, "", v); sub(/[ \t]*(#.*)?$/, "", v)
            if (section == "" || v !~ /^[0-9]+(\.[0-9]+)?$/ || v + 0 <= 0)
                bad(budget_file ":" FNR ": instructions_per_op must be a positive number under a [scenario]")
            budget[section] = v + 0; next
        }
        file == 2 {
            split($0, f, "\t")
            if (f[2] !~ /^[0-9]+(\.[0-9]+)?$/ || f[2] + 0 <= 0)
                bad("measured " f[1] ": \"" f[2] "\" is not a count (did callgrind run?)")
            name[++n] = f[1]; measured[f[1]] = f[2] + 0
        }
        END {
            if (broken) exit 2
            if (n == 0) { printf "icount: nothing was measured\n" > "/dev/stderr"; exit 2 }
            status = 0
            printf "%-12s %14s %14s %7s\n", "scenario", "measured/op", "budget/op", "ratio"
            for (i = 1; i <= n; i++) {
                s = name[i]; m = measured[s]
                if (!(s in budget)) {
                    printf "%-12s %14.1f %14s %7s\n", s, m, "-", "-"
                    note[++notes] = sprintf("FAIL: %s has no budget: run UPDATE=1 bench/icount.sh and commit %s", s, budget_file)
                    status = 1; continue
                }
                r = m / budget[s]
                printf "%-12s %14.1f %14.1f %7.3f\n", s, m, budget[s], r
                if (r > fail + 0) {
                    note[++notes] = sprintf("FAIL: %s costs %.0f %% more instructions per op than its budget (more than %.0f %% is a regression); if it is meant, UPDATE=1 bench/icount.sh and commit %s", s, (r - 1) * 100, (fail - 1) * 100, budget_file)
                    status = 1
                } else if (r < lower + 0) {
                    note[++notes] = sprintf("%s costs %.0f %% fewer instructions per op than its budget: consider lowering the budget (UPDATE=1 bench/icount.sh)", s, (1 - r) * 100)
                }
            }
            for (s in budget) if (!(s in measured))
                note[++notes] = sprintf("%s has a budget but no scenario: remove it from %s", s, budget_file)
            for (i = 1; i <= notes; i++) print note[i]
            exit status
        }
    ' "$2" "$1"
}

# `write_budget MEASURED FILE`: the counts as the new budget.
write_budget() {
    local commit rustc vg cpu
    commit=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo "?")
    rustc=$(rustc --version 2>/dev/null | cut -d' ' -f2 || echo "?")
    vg=$(valgrind --version 2>/dev/null || echo "valgrind ?")
    cpu=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo 2>/dev/null || true)
    {
        printf '# Instructions per operation of the scenarios in benches/icount.rs,\n'
        printf '# counted under callgrind by bench/icount.sh: (I(5N) - I(N)) / 4N.\n'
        printf '# CI fails when a count is more than 1.20 x its budget. Rewritten by\n'
        printf '# UPDATE=1 bench/icount.sh; commit it with the change that moved it.\n'
        printf '# Measured %s at %s, rustc %s, %s, %s.\n' \
            "$(date -u +%Y-%m-%d)" "$commit" "$rustc" "$vg" "${cpu:-unknown CPU}"
        while IFS=$'\t' read -r name per n i1 i5 op; do
            printf '\n[%s]\n# One op: %s. N = %s: %s instructions; 5N: %s.\n' \
                "$name" "$op" "$n" "$i1" "$i5"
            printf 'instructions_per_op = %s\n' "$per"
        done <"$1"
    } >"$2.new"
    mv "$2.new" "$2"
}

# ------------------------------------------------------------- self-test
# The guard must be able to fail: against the real counts, a budget of
# half of them fails, one of twice them passes with its advice, and the
# counts written as a budget pass as they are.
self_test() {
    local tmp out rc ok=1
    tmp=$(mktemp -d)
    trap 'rm -rf "$tmp"' RETURN
    [ -f "$BUDGET" ] || die "no budget file $BUDGET"
    scale() {
        awk -v k="$1" '/^[ \t]*instructions_per_op[ \t]*=/ {
            v = $0; sub(/^[^=]*=[ \t]*/, "", v); printf "instructions_per_op = %.1f\n", v * k; next } { print }' "$BUDGET"
    }
    expect() { # expect NAME WANT_RC WANT_TEXT BUDGET_FILE
        rc=0
        out=$(compare "$MEASURED" "$4" 2>&1) || rc=$?
        if [ "$rc" -ne "$2" ] || ! grep -q -- "$3" <<<"$out"; then
            printf 'icount self-test: %s: expected exit %s and "%s", got exit %s:\n%s\n' \
                "$1" "$2" "$3" "$rc" "$out" >&2
            ok=0
        fi
    }
    scale 0.5 >"$tmp/halved.toml"
    scale 2 >"$tmp/doubled.toml"
    write_budget "$MEASURED" "$tmp/measured.toml"
    expect "a budget of half the counts" 1 "FAIL: .* more instructions per op" "$tmp/halved.toml"
    expect "a budget of twice the counts" 0 "consider lowering the budget" "$tmp/doubled.toml"
    expect "the counts as the budget" 0 " 1.000$" "$tmp/measured.toml"
    printf 'scale-free\t0\t1\t1\t1\tnothing\n' >"$tmp/zero.tsv"
    rc=0
    compare "$tmp/zero.tsv" "$BUDGET" >/dev/null 2>&1 || rc=$?
    if [ "$rc" -ne 2 ]; then
        printf 'icount self-test: a zero count must be an error (exit 2), got exit %s\n' "$rc" >&2
        ok=0
    fi
    [ "$ok" = 1 ] || exit 1
    printf 'icount self-test: ok (half the budget fails, twice passes with advice, a zero count is an error)\n'
}

# ------------------------------------------------------------------- main
if [ -n "${MEASURED:-}" ]; then
    [ -s "$MEASURED" ] || die "MEASURED=$MEASURED is not a measured.tsv"
else
    count
fi

if [ "$SELF_TEST" = 1 ]; then
    self_test
    exit 0
fi

if [ "${UPDATE:-0}" = 1 ]; then
    write_budget "$MEASURED" "$BUDGET"
    printf 'icount: wrote %s\n' "$BUDGET" >&2
fi
[ -f "$BUDGET" ] || die "no budget file $BUDGET: run UPDATE=1 bench/icount.sh"
compare "$MEASURED" "$BUDGET"
