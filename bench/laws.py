#!/usr/bin/env python3
"""Measures the operational-law audit on honest runs (docs/verdict.md,
"The operational-law audit"): runs plans against pace's embedded target and
prints each law's ratio (predicted / measured) with the tolerance the
verdict allowed. Usage: PACE=path/to/pace bench/laws.py [SEEDS] [OUT].

Cases: the verdict study's healthy plans (8 s, 10 users; fixed, uniform,
exponential, after-end, arrival-rate), the same for 30 s, and one user on
a fixed 500 ms pacing for 8 s and 30 s (a single user's edges are not
averaged away by others)."""
import json, os, re, subprocess, sys, glob, tempfile

PACE = os.environ.get("PACE", "target/release/pace")
SEEDS = int(sys.argv[1]) if len(sys.argv) > 1 else 3
OUT = sys.argv[2] if len(sys.argv) > 2 else tempfile.mkdtemp(prefix="pace-laws-")
HERE = os.path.dirname(os.path.abspath(__file__))

def variants():
    for name in ["fixed", "uniform", "exponential", "after-end", "arrival"]:
        text = open(os.path.join(HERE, "verdict", f"healthy-{name}.toml")).read()
        yield f"{name}-8s", text
        yield f"{name}-30s", text.replace('duration = "8s"', 'duration = "30s"')
    one = open(os.path.join(HERE, "verdict", "healthy-fixed.toml")).read()
    one = one.replace("users = 10", "users = 1").replace("tps = 20.0", "tps = 2.0")
    yield "one-user-8s", one
    yield "one-user-30s", one.replace('duration = "8s"', 'duration = "30s"')

rows = []
for seed in range(1, SEEDS + 1):
    for name, text in variants():
        d = os.path.join(OUT, f"{name}-{seed}")
        os.makedirs(d, exist_ok=True)
        plan = os.path.join(d, "plan.toml")
        open(plan, "w").write(re.sub(r"seed = \d+", f"seed = {seed}", text))
        subprocess.run([PACE, "run", plan, "--results-dir", os.path.join(d, "results"),
                        "--seed", str(seed), "--quiet"], capture_output=True, timeout=120)
        s = json.load(open(glob.glob(os.path.join(d, "results", "*", "summary.json"))[0]))
        for l in s["verdict"].get("laws", []):
            n, p = l.get("n"), l.get("predicted_n")
            ratio = p / n if n and p else None
            rows.append((name, seed, l["law"], ratio, l.get("tolerance"), l.get("ok"), s["verdict"]["state"]))
            print(f"{name:16} seed {seed}  {l['law']:26} ratio {ratio if ratio is None else round(ratio, 4)!s:8} "
                  f"tol {l.get('tolerance') and round(l['tolerance'], 3)!s:6} ok {l.get('ok')!s:5} "
                  f"verdict {s['verdict']['state']}", flush=True)
worst = {}
for name, _, _, ratio, _, _, _ in rows:
    if ratio is not None:
        worst[name] = max(worst.get(name, 0), abs(ratio - 1))
print("\nlargest |ratio - 1| per case:")
for k, v in worst.items():
    print(f"  {k:16} {v * 100:.2f} %")
