#!/usr/bin/env python3
"""Turns one measured run of bench/run.sh into one JSON line.

    parse.py SCENARIO REP TOOL RAW_PREFIX [PACE_RESULTS_DIR] >> results.jsonl

RAW_PREFIX.out / .err are the tool's stdout / stderr, RAW_PREFIX.time is
`/usr/bin/time -v -o` output, RAW_PREFIX.rc the exit code. For pace,
PACE_RESULTS_DIR is the --results-dir given to `pace run` (the timestamped
folder inside it holds summary.json and samples.csv).

Requests are completed requests (any status), as each tool counts them;
client CPU is user + sys of the whole client process tree.
"""

import csv
import glob
import json
import os
import re
import sys


def read(path):
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return f.read()
    except OSError:
        return ""


def time_v(path):
    """user+sys seconds, peak RSS KiB, wall seconds from `time -v`."""
    t = read(path)

    def num(label):
        m = re.search(re.escape(label) + r":\s*([\d.]+)", t)
        return float(m.group(1)) if m else None

    wall = None
    m = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\):\s*(\S+)", t)
    if m:
        parts = [float(p) for p in m.group(1).split(":")]
        wall = 0.0
        for p in parts:
            wall = wall * 60 + p
    user, sys_ = num("User time (seconds)"), num("System time (seconds)")
    cpu = (user or 0.0) + (sys_ or 0.0) if user is not None else None
    rss = num("Maximum resident set size (kbytes)")
    return {"cpu_s": cpu, "user_s": user, "sys_s": sys_, "rss_kb": rss, "wall_s": wall}


def parse_wrk(out):
    r = {}
    m = re.search(r"(\d+) requests in ([\d.]+)(ms|s|m)", out)
    if m:
        r["requests"] = int(m.group(1))
        d = float(m.group(2)) * {"ms": 0.001, "s": 1.0, "m": 60.0}[m.group(3)]
        r["duration_s"] = d
    m = re.search(r"Requests/sec:\s*([\d.]+)", out)
    if m:
        r["rate"] = float(m.group(1))
    errors = 0
    m = re.search(r"Non-2xx or 3xx responses:\s*(\d+)", out)
    if m:
        errors += int(m.group(1))
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    if m:
        errors += sum(int(x) for x in m.groups())
    r["errors"] = errors
    return r


def parse_oha(out):
    try:
        d = json.loads(out)
    except ValueError:
        return {}
    codes = d.get("statusCodeDistribution") or {}
    errs = d.get("errorDistribution") or {}
    done = sum(codes.values())
    total = d["summary"]["total"]
    bad = sum(v for k, v in codes.items() if not k.startswith("2"))
    # Requests cut off by -z's deadline are not failures of the server.
    bad += sum(v for k, v in errs.items() if "deadline" not in k)
    return {"requests": done, "duration_s": total, "rate": done / total if total else None,
            "errors": bad}


def parse_hey(out):
    r = {}
    m = re.search(r"Total:\s*([\d.]+) secs", out)
    if m:
        r["duration_s"] = float(m.group(1))
    m = re.search(r"Requests/sec:\s*([\d.]+)", out)
    if m:
        r["rate"] = float(m.group(1))
    codes = re.findall(r"\[(\d+)\]\s+(\d+) responses", out)
    r["requests"] = sum(int(n) for _, n in codes)
    errors = sum(int(n) for c, n in codes if not c.startswith("2"))
    sect = out.split("Error distribution:", 1)
    if len(sect) == 2:
        errors += sum(int(n) for n in re.findall(r"\[(\d+)\]", sect[1]))
    r["errors"] = errors
    if r.get("duration_s") and r["requests"]:
        r["rate"] = r["requests"] / r["duration_s"]
    return r


def parse_locust(out):
    # --only-summary prints a table with one row per endpoint (and an
    # "Aggregated" row when there are several): prefer Aggregated, else the
    # first row. Columns: # reqs, # fails(%) | latencies | req/s, failures/s.
    table = out.split("Response time percentiles", 1)[0]
    pat = r"^(GET\s+\S+|\s*Aggregated)\s+(\d+)\s+(\d+)\(.*\|\s*([\d.]+)\s+[\d.]+\s*$"
    rows = re.findall(pat, table, re.M)
    if not rows:
        return {}
    agg = [r for r in rows if "Aggregated" in r[0]]
    _, reqs, fails, rate = (agg or rows)[0]
    reqs, rate = int(reqs), float(rate)
    return {"requests": reqs, "errors": int(fails), "rate": rate,
            "duration_s": reqs / rate if rate else None}


def parse_pace(results_dir):
    dirs = sorted(d for d in glob.glob(os.path.join(results_dir, "*")) if os.path.isdir(d))
    if not dirs:
        return {}
    d = dirs[-1]
    s = json.load(open(os.path.join(d, "summary.json")))
    steps = steps_ok = 0
    with open(os.path.join(d, "samples.csv"), newline="") as f:
        for row in csv.DictReader(f):
            if row["kind"] == "step":
                steps += 1
                steps_ok += row["ok"] == "true"
    meta = s["meta"]
    exp = s.get("expected") or {}
    ach = s["achieved"]
    dur = meta["duration_s"]
    return {
        "requests": steps,
        "requests_ok": steps_ok,
        "duration_s": dur,
        # Requests of the whole run over the planned duration (no ramp-up in
        # max and paced; scale has its own window rate below).
        "rate": steps / dur if dur else None,
        "errors": ach["errors"],
        "achieved_tpm": ach["tpm"],
        "window_transactions": ach["transactions"],
        "window_s": ach["window_s"],
        "expected_tpm": exp.get("tpm"),
        "expected_tpm_low": exp.get("tpm_low"),
        "expected_tpm_high": exp.get("tpm_high"),
        "lag_p50_s": s["scheduler_lag"]["p50"],
        "lag_p99_s": s["scheduler_lag"]["p99"],
        # p99.9 is in summary.json since issue 15 (absent before: None).
        "lag_p999_s": s["scheduler_lag"].get("p999"),
        "lag_max_s": s["scheduler_lag"]["max"],
        "lateness_p99_s": s["lateness"]["p99"],
        "late_starts": s["late_starts"],
        "dropped": s["dropped"],
        "skipped": s["skipped"],
        "pass": s["verdict"]["pass"],
        "reasons": s["verdict"].get("reasons", []),
        "latency_p99_s": s["all_transactions"]["p99"] if "all_transactions" in s else None,
        "results": d,
    }


def main():
    scenario, rep, tool, raw = sys.argv[1:5]
    out = read(raw + ".out")
    rc = read(raw + ".rc").strip()
    rec = {"scenario": scenario, "rep": int(rep), "tool": tool,
           "rc": int(rc) if rc.lstrip("-").isdigit() else None}
    rec.update(time_v(raw + ".time"))
    kind = tool.split("-")[0]
    try:
        if kind == "wrk":
            rec.update(parse_wrk(out))
        elif kind == "oha":
            rec.update(parse_oha(out))
        elif kind == "hey":
            rec.update(parse_hey(out))
        elif kind == "locust":
            # Locust prints its summary through logging, on stderr.
            rec.update(parse_locust(out + "\n" + read(raw + ".err")))
        elif kind == "pace":
            rec.update(parse_pace(sys.argv[5]))
    except Exception as e:  # a broken run is reported, not fatal
        rec["parse_error"] = f"{type(e).__name__}: {e}"
    if rec.get("requests") and rec.get("cpu_s") is not None:
        rec["cpu_us_per_req"] = rec["cpu_s"] / rec["requests"] * 1e6
    print(json.dumps(rec))


if __name__ == "__main__":
    main()
