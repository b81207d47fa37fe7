#!/usr/bin/env python3
"""The helper of bench/verdict.sh (docs/verdict.md).

    verdict.py expect PLAN.toml               -> "PASS" or "FAIL <cause>"
    verdict.py render PLAN.toml SEED OUT.toml  the template with the
                                              embedded target's seed = SEED
    verdict.py record PLAN_NAME SEED RC RUN_DIR EXPECT...  -> one JSON line
    verdict.py report RESULTS.jsonl [HEADER]  the figures and the tables

A template says what its runs should get in a comment line:
`# study: expect = PASS` or `# study: expect = FAIL <cause>`.

`record` reads RUN_DIR/results/*/summary.json (the run's results folder)
and writes what the study needs: the verdict's state, its first cause,
every cause, the failed checks, the counts against the band.
"""

import csv
import glob
import json
import os
import re
import sys


def expect_of(path):
    with open(path, encoding="utf-8") as f:
        for line in f:
            m = re.match(r"#\s*study:\s*expect\s*=\s*(PASS|FAIL)\s*(\w*)", line)
            if m:
                return m.group(1), m.group(2) or None
    sys.exit(f"verdict.py: {path} has no '# study: expect = ...' line")


def render(template, seed, out):
    """The template with `seed = 0` of [target.embedded] set to `seed`."""
    lines = open(template, encoding="utf-8").read().split("\n")
    section = None
    done = False
    for i, line in enumerate(lines):
        s = line.strip()
        if s.startswith("["):
            section = s
        elif section == "[target.embedded]" and re.match(r"seed\s*=", s):
            lines[i] = f"seed = {seed}"
            done = True
    text = "\n".join(lines)
    if "[target.embedded]" in text and not done:
        sys.exit(f"verdict.py: {template}: [target.embedded] has no seed line")
    with open(out, "w", encoding="utf-8") as f:
        f.write(text)


def record(name, seed, rc, run_dir, expect):
    want, want_cause = expect[0], (expect[1] if len(expect) > 1 else None)
    r = {
        "plan": name,
        "seed": int(seed),
        "rc": int(rc),
        "expect": want,
        "expect_cause": want_cause,
        "dir": run_dir,
    }
    found = sorted(glob.glob(os.path.join(run_dir, "results", "*", "summary.json")))
    if not found:
        r["state"] = "timeout" if int(rc) in (124, 137) else f"no summary (exit {rc})"
        print(json.dumps(r))
        return
    s = json.load(open(found[-1], encoding="utf-8"))
    r["summary"] = found[-1]
    v = s.get("verdict") or {}
    r["state"] = (v.get("state") or "?").upper().replace("_", " ")
    causes = v.get("causes") or []
    r["causes"] = [
        {"cause": c.get("cause"), "transactions": c.get("transactions"), "share": c.get("share")}
        for c in causes
    ]
    r["first_cause"] = causes[0]["cause"] if causes else None
    r["failed_checks"] = [c.get("name") for c in v.get("checks") or [] if not c.get("pass")]
    r["reasons"] = v.get("reasons") or []
    e = s.get("expected") or {}
    a = s.get("achieved") or {}
    r["band"] = [e.get("transactions_low"), e.get("transactions"), e.get("transactions_high")]
    # The model's standard deviation of the count (groups are independent).
    r["band_sd"] = sum((g.get("sd") or 0.0) ** 2 for g in e.get("groups") or []) ** 0.5
    r["achieved"] = a.get("transactions")
    r["started"] = a.get("started")
    r["late_starts"] = s.get("late_starts")
    r["dropped"] = s.get("dropped")
    r["missed"] = s.get("missed")
    lag = s.get("scheduler_lag") or {}
    r["lag_max_s"] = lag.get("max")
    r["partial"] = s.get("partial")
    r.update(schedule(os.path.join(os.path.dirname(found[-1]), "samples.csv"), s))
    print(json.dumps(r))


def schedule(samples, s):
    """The run's own absolute schedule over the window, from samples.csv:
    iterations whose start on the absolute schedule (iter_planned) lies in
    the window, plus the planned starts never made there (`missed` events);
    and how many of them were made. In iterations, every group together."""
    meta = s.get("meta") or {}
    w0, w1 = meta.get("ramp_up_s") or 0.0, meta.get("duration_s")
    if w1 is None or not os.path.exists(samples):
        return {}
    planned = made = missed = 0
    with open(samples, newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            kind = row.get("kind")
            if kind == "iteration":
                if w0 <= float(row["iter_planned"] or "nan") < w1:
                    planned += 1
                if w0 <= float(row["iter_sched"] or "nan") < w1:
                    made += 1
            elif kind == "missed" and w0 <= float(row["t"]) < w1:
                missed += 1
    return {"schedule_iterations": planned + missed, "made_iterations": made}


def verdict_ok(r):
    """(passed as it should, first cause right) for one run; the second is
    None where it does not apply (healthy runs, and degraded runs that did
    not FAIL)."""
    if r["expect"] == "PASS":
        return r["state"] == "PASS", None
    failed = r["state"] == "FAIL"
    return failed, (r.get("first_cause") == r["expect_cause"]) if failed else None


def pct(num, den):
    return "-" if den == 0 else f"{100.0 * num / den:.1f} % ({num}/{den})"


def report(path, header=None):
    runs = [json.loads(line) for line in open(path, encoding="utf-8") if line.strip()]
    plans = []
    for r in runs:
        if r["plan"] not in plans:
            plans.append(r["plan"])
    healthy = [r for r in runs if r["expect"] == "PASS"]
    degraded = [r for r in runs if r["expect"] == "FAIL"]
    h_pass = sum(verdict_ok(r)[0] for r in healthy)
    d_fail = [r for r in degraded if r["state"] == "FAIL"]
    d_cause = sum(verdict_ok(r)[1] is True for r in d_fail)
    if header:
        print(header)
        print()
    print("## Figures")
    print()
    print("| figure | goal | overall |")
    print("|---|---|---|")
    print(f"| healthy runs that PASS | >= 99 % | {pct(h_pass, len(healthy))} |")
    print(f"| degraded runs that FAIL | 100 % | {pct(len(d_fail), len(degraded))} |")
    print(f"| FAILs whose first cause is the injected one | 100 % | {pct(d_cause, len(d_fail))} |")
    print()
    print("## Per plan")
    print()
    print("| plan | expected | runs | PASS | FAIL | other | figure | first causes seen (FAILs) |")
    print("|---|---|---:|---:|---:|---:|---|---|")
    for p in plans:
        rs = [r for r in runs if r["plan"] == p]
        exp = rs[0]["expect"] + (f" {rs[0]['expect_cause']}" if rs[0]["expect_cause"] else "")
        n_pass = sum(r["state"] == "PASS" for r in rs)
        fails = [r for r in rs if r["state"] == "FAIL"]
        other = len(rs) - n_pass - len(fails)
        firsts = {}
        for r in fails:
            k = r.get("first_cause") or "(none)"
            firsts[k] = firsts.get(k, 0) + 1
        seen = ", ".join(f"{k} x{n}" for k, n in sorted(firsts.items(), key=lambda x: -x[1])) or "-"
        if rs[0]["expect"] == "PASS":
            fig = "PASS " + pct(n_pass, len(rs))
        else:
            right = sum(r.get("first_cause") == r["expect_cause"] for r in fails)
            fig = f"FAIL {pct(len(fails), len(rs))}; cause right {pct(right, len(fails))}"
        print(f"| {p} | {exp} | {len(rs)} | {n_pass} | {len(fails)} | {other} | {fig} | {seen} |")
    print()
    print("## Counts against the band")
    print()
    print("Successful transactions of the window: the band's centre and its model")
    print("standard deviation, what the runs achieved, and z = (achieved - centre) / sd")
    print("(the band is centre +- 2.576 sd + 0.5 at 0.99). Late starts and the largest")
    print("scheduler lag are over all runs of the plan.")
    print()
    print("| plan | band (centre, sd) | achieved mean | sd | min-max | z min..max | late starts | max scheduler lag |")
    print("|---|---|---:|---:|---|---|---:|---:|")
    for p in plans:
        rs = [r for r in runs if r["plan"] == p and r.get("achieved") is not None]
        if not rs:
            continue
        xs = [r["achieved"] for r in rs]
        centre = rs[0]["band"][1]
        sd = rs[0].get("band_sd") or 0.0
        mean = sum(xs) / len(xs)
        spread = (sum((x - mean) ** 2 for x in xs) / (len(xs) - 1)) ** 0.5 if len(xs) > 1 else 0.0
        z = "-" if sd == 0 else f"{(min(xs) - centre) / sd:+.2f}..{(max(xs) - centre) / sd:+.2f}"
        late = sum(r.get("late_starts") or 0 for r in rs)
        lag = max((r.get("lag_max_s") or 0.0) for r in rs)
        print(
            f"| {p} | {fmt(centre)}, {sd:.2f} | {mean:.1f} | {spread:.2f} | {min(xs)}-{max(xs)} | {z} "
            f"| {late} | {fmt_ms(lag)} |"
        )
    misses = [r for r in runs if verdict_ok(r)[0] is False or verdict_ok(r)[1] is False]
    print()
    print("## Runs the verdict got wrong")
    print()
    if not misses:
        print("None.")
    for r in misses:
        band = r.get("band") or [None] * 3
        causes = ", ".join(
            f"{c['cause']} {c['transactions']:.3g} ({100 * (c['share'] or 0):.0f} %)"
            for c in r.get("causes") or []
        )
        print(
            f"- {r['plan']} seed {r['seed']}: {r['state']} (expected {r['expect']}"
            f"{' ' + r['expect_cause'] if r['expect_cause'] else ''}); "
            f"{r.get('achieved')} transactions, band {fmt(band[0])}-{fmt(band[2])}"
            f" (expected {fmt(band[1])}); the run's own schedule: "
            f"{r.get('schedule_iterations', '?')} iterations in the window, "
            f"{r.get('made_iterations', '?')} made; late starts {r.get('late_starts')}, "
            f"scheduler lag max {fmt_ms(r.get('lag_max_s'))}; causes: {causes or '-'}"
        )
        for why in r.get("reasons") or []:
            print(f"  - verdict: {why}")


def fmt(v):
    return "?" if v is None else f"{v:.4g}"


def fmt_ms(v):
    return "?" if v is None else f"{v * 1000:.1f} ms"


def main(argv):
    if len(argv) < 2:
        sys.exit(__doc__)
    cmd = argv[1]
    if cmd == "expect":
        want, cause = expect_of(argv[2])
        print(want + (f" {cause}" if cause else ""))
    elif cmd == "render":
        render(argv[2], argv[3], argv[4])
    elif cmd == "record":
        record(argv[2], argv[3], argv[4], argv[5], argv[6:])
    elif cmd == "report":
        report(argv[2], argv[3] if len(argv) > 3 else None)
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
