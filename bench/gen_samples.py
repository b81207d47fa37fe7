"""A synthetic results folder for bench/report.sh: plan.toml and samples.csv.

    python3 gen_samples.py ROWS DIR

100 users, 3 steps per iteration (home, search, cart), one hour, pacing
about 1 s, log-normal latencies (median 20-80 ms), 1 % errors. Seeded: the
same ROWS always give the same file.
"""

import csv
import math
import random
import sys

rows, out = int(sys.argv[1]), sys.argv[2]
random.seed(42)
USERS, STEPS, DURATION = 100, ("home", "search", "cart"), 3600.0
MEDIAN = {"home": 0.02, "search": 0.08, "cart": 0.04}
iterations = rows // len(STEPS)
pacing = USERS * DURATION / iterations

with open(f"{out}/plan.toml", "w") as f:
    f.write(f"""[target]
tps = {len(STEPS) * USERS / pacing}
transactions_per_iteration = {len(STEPS)}

[run]
duration = "{DURATION}s"
ts_interval = "10s"

[[group]]
name = "shop"
users = {USERS}

[group.pacing]
mode = "fixed"
interval = "{pacing}s"
""")
    for s in STEPS:
        f.write(f'\n[[group.step]]\nname = "{s}"\nurl = "http://127.0.0.1:9/{s}"\n')

cols = ("kind,t,iter_start,iter_sched,group,user,iteration,name,latency,"
        "latency_sched,status,ok,error_kind,error,bytes,late,overrun,ttfb").split(",")
with open(f"{out}/samples.csv", "w", newline="") as f:
    w = csv.writer(f)
    w.writerow(cols)
    for u in range(USERS):
        w.writerow(["user_start", u * 0.01, u * 0.01, u * 0.01, "shop", u, 0, "shop",
                    0, 0, 0, "true", "", "", 0, 0, "false", 0])
    per_user = iterations // USERS
    events = []
    # Time order across users, as a run writes them: iteration k of every
    # user, then k + 1.
    for k in range(per_user):
        for u in range(USERS):
            sched = u * pacing / USERS + k * pacing
            late = random.expovariate(1000.0)
            t = sched + late
            start = t
            ok_all = True
            for s in STEPS:
                lat = random.lognormvariate(math.log(MEDIAN[s]), 0.5)
                ok = random.random() >= 0.01
                ok_all &= ok
                w.writerow(["step", f"{t:.6f}", f"{start:.6f}", f"{sched:.6f}", "shop", u, k,
                            s, f"{lat:.6f}", f"{lat + late:.6f}", 200 if ok else 500,
                            "true" if ok else "false", "" if ok else "status",
                            "" if ok else "HTTP 500", 1024 if ok else 0, 0, "false",
                            f"{lat / 2:.6f}"])
                t += lat
            w.writerow(["iteration", f"{start:.6f}", f"{start:.6f}", f"{sched:.6f}", "shop", u,
                        k, "shop", f"{t - start:.6f}", f"{t - start + late:.6f}", 0,
                        "true" if ok_all else "false", "", "", 0, f"{late:.6f}", "false", 0])
    for u in range(USERS):
        w.writerow(["user_stop", DURATION, DURATION, DURATION, "shop", u, 0, "shop",
                    0, 0, 0, "true", "", "", 0, 0, "false", 0])
