#!/usr/bin/env python3
"""Prints bench/run.sh's results as Markdown tables.

    report.py results.jsonl [SCENARIO...]

Every number is the median over the repetitions. Ratios against oha are
taken within one repetition (the tools of a repetition run one after the
other, minutes apart at most) and the median of those ratios is shown.
"""

import json
import statistics
import sys
from collections import defaultdict


def med(values):
    v = [x for x in values if x is not None]
    return statistics.median(v) if v else None


def f(x, digits=1, unit=""):
    if x is None:
        return "–"
    if isinstance(x, bool):
        return "yes" if x else "no"
    if abs(x) >= 1000:
        return f"{x:,.{digits}f}{unit}"
    return f"{x:.{digits}f}{unit}"


def ratio_vs(runs_by_rep, ref_by_rep, key):
    out = []
    for rep, r in runs_by_rep.items():
        ref = ref_by_rep.get(rep)
        if ref and r.get(key) is not None and ref.get(key):
            out.append(r[key] / ref[key])
    return med(out)


def table(header, rows):
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def load(path):
    runs = defaultdict(lambda: defaultdict(dict))  # scenario -> tool -> rep -> record
    order = defaultdict(list)
    with open(path) as fh:
        for line in fh:
            line = line.strip()
            if not line:
                continue
            r = json.loads(line)
            runs[r["scenario"]][r["tool"]][r["rep"]] = r
            if r["tool"] not in order[r["scenario"]]:
                order[r["scenario"]].append(r["tool"])
    return runs, order


def col(by_rep, key):
    return med(r.get(key) for r in by_rep.values())


def max_table(tools, order):
    oha = tools.get("oha", {})
    rows = []
    for t in order:
        b = tools[t]
        rows.append([
            t, len(b), f(col(b, "rate"), 0), f(col(b, "cpu_us_per_req"), 1),
            f(ratio_vs(b, oha, "rate"), 2) if oha else "–",
            f(ratio_vs(b, oha, "cpu_us_per_req"), 2) if oha else "–",
            f(col(b, "cpu_s"), 2), f(col(b, "rss_kb"), 0),
            int(sum(r.get("errors") or 0 for r in b.values())),
        ])
    return table(["tool", "runs", "req/s", "CPU µs/req", "req/s ÷ oha", "CPU/req ÷ oha",
                  "CPU s", "peak RSS KiB", "errors (all runs)"], rows)


def lag_ms(by_rep):
    """pace's scheduler lag p50 / p99 / p99.9 in ms (medians over the runs)."""
    vals = [col(by_rep, k) for k in ("lag_p50_s", "lag_p99_s", "lag_p999_s")]
    if all(v is None for v in vals):
        return "–"
    return " / ".join(f(v * 1000 if v is not None else None, 2) for v in vals)


def paced_table(tools, order, target=2000.0):
    oha = tools.get("oha", {})
    rows = []
    for t in order:
        b = tools[t]
        pace = t.startswith("pace")
        ach = col(b, "achieved_tpm")
        exp = col(b, "expected_tpm")
        rate = col(b, "rate")
        passes = [r.get("pass") for r in b.values() if r.get("pass") is not None]
        rows.append([
            t, len(b), f(target, 0), f(rate, 1),
            f(rate / target * 100 if rate else None, 2, " %"),
            f(ach / 60 if ach else None, 1) + (f" ({f(ach / exp * 100, 2)} %)" if ach and exp else ""),
            lag_ms(b),
            f(col(b, "late_starts"), 0) if pace else "–",
            f(col(b, "dropped"), 0) if pace else "–",
            f(col(b, "cpu_us_per_req"), 1),
            f(ratio_vs(b, oha, "cpu_us_per_req"), 2) if oha else "–",
            (f"{sum(1 for p in passes if p)}/{len(passes)} PASS" if passes else "–"),
            int(sum(r.get("errors") or 0 for r in b.values())),
        ])
    return table(["tool", "runs", "target/s", "achieved req/s (requests ÷ run time)", "of target",
                  "summary achieved.tpm/60 (of expected)", "scheduler lag p50 / p99 / p99.9 ms", "late starts",
                  "dropped", "CPU µs/req", "CPU/req ÷ oha", "verdict", "errors (all runs)"], rows)


def scale_table(tools, order):
    rows = []
    for t in order:
        b = tools[t]
        users = 10000
        rss = col(b, "rss_kb")
        ach, exp = col(b, "achieved_tpm"), col(b, "expected_tpm")
        lo, hi = col(b, "expected_tpm_low"), col(b, "expected_tpm_high")
        passes = [r.get("pass") for r in b.values() if r.get("pass") is not None]
        inside = [r["expected_tpm_low"] <= r["achieved_tpm"] <= r["expected_tpm_high"]
                  for r in b.values() if r.get("expected_tpm_low") is not None]
        rows.append([
            t, len(b), users, f(rss / 1024 if rss else None, 1), f(rss / users if rss else None, 2),
            f(ach, 1), f(exp, 1), f"{f(lo, 1)}–{f(hi, 1)}",
            f"{sum(inside)}/{len(inside)}",
            f(col(b, "late_starts"), 0),
            lag_ms(b),
            f(col(b, "cpu_us_per_req"), 1), f(col(b, "requests"), 0),
            (f"{sum(1 for p in passes if p)}/{len(passes)} PASS" if passes else "–"),
            int(sum(r.get("errors") or 0 for r in b.values())),
        ])
    return table(["tool", "runs", "users", "peak RSS MiB", "KiB/user (RSS ÷ users)", "achieved TPM",
                  "expected TPM", "band TPM", "inside band", "late starts", "scheduler lag p50 / p99 / p99.9 ms",
                  "CPU µs/req", "requests", "verdict", "errors (all runs)"], rows)


def main():
    runs, order = load(sys.argv[1])
    wanted = sys.argv[2:] or ["max", "paced", "scale"]
    titles = {"max": "Max rate (back to back, 10 s, 50 connections/users)",
              "paced": "Paced 2000 req/s for 20 s",
              "scale": "Scale: 10,000 paced users (60 s interval, 30 s ramp-up, 90 s)"}
    makers = {"max": max_table, "paced": paced_table, "scale": scale_table}
    for sc in wanted:
        if sc not in runs:
            continue
        print(f"### {titles[sc]}\n")
        print(makers[sc](runs[sc], order[sc]))
        reasons = sorted({"; ".join(r.get("reasons") or []) for b in runs[sc].values()
                          for r in b.values() if r.get("reasons")})
        broken = [f"{t} rep {r['rep']}: {r.get('parse_error') or 'no requests parsed'} (rc {r.get('rc')})"
                  for t, b in runs[sc].items() for r in b.values()
                  if r.get("parse_error") or not r.get("requests")]
        if reasons:
            print("\npace's FAIL reasons (distinct):\n")
            for x in reasons:
                print(f"- {x}")
        if broken:
            print("\nruns without numbers:\n")
            for x in broken:
                print(f"- {x}")
        print()


if __name__ == "__main__":
    main()
