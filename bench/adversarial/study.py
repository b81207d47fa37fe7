#!/usr/bin/env python3
"""The adversarial study: pace against an independent judge on generated scenarios.

    PACE=/path/to/pace python3 bench/adversarial/study.py [--seed S] [--runs N]
        [--jobs 2] [--out DIR] [--compat old|new] [--only TEMPLATE,...] [--ids I,J,...]
    python3 bench/adversarial/study.py --report-only --out DIR   (report.md again)

Builds nothing: PACE names the binary. Generates N runs from seed S
(gen.py), runs them JOBS at a time (at most 2: the machine has 2 cores;
an overloaded-generator scenario runs alone), each under `timeout`. For
each run: pace's verdict (summary.json) against the judge's (judge.py on
the same results folder); then its re-judge scenarios: `pace verify
RESULTS --plan OTHER.toml` (OTHER differs in [acceptance] only) against
`judge.py RESULTS --plan OTHER.toml`. Every check's pass/fail and the
verdict word are compared.

Output (default bench/out/adversarial/, not committed):
  scenarios/<id>/   scenario.json, plan.toml, pace.out/.err, results/, judge.json,
                    v1.toml, v1.verify.out, v1.judge.json, ... and REPRODUCE
                    (kept whole for a disagreement; the bulky reports of an
                    agreeing run are deleted)
  results.jsonl     one line per scenario (a run or a re-judge)
  report.md         the figures and every disagreement
"""

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import gen  # noqa: E402
import judge  # noqa: E402

WORD = {"pass": "PASS", "fail": "FAIL", "no_checks": "NO CHECKS", "incomplete": "INCOMPLETE"}
RC_WORD = {0: "PASS", 1: "FAIL", 3: "INCOMPLETE", 4: "NO CHECKS"}


# ------------------------------------------------------------------ pace's checks -> keys

def check_key(name):
    """A pace check's name -> the judge's key (stat|group=..|step=..), or None."""
    n = name.strip()
    low = n.lower()
    g = re.search(r"group '([^']*)'", n)
    s = re.search(r"step '([^']*)'", n)
    if low.startswith("throughput"):
        stat = "throughput"
    elif low.startswith("error rate"):
        stat = "error_rate"
    elif low.startswith("transactions succeeded"):
        stat = "transactions succeeded"
    elif low.startswith("users working"):
        stat = "users working"
    elif low.startswith("operational law"):
        stat = "operational laws"
    else:
        m = re.match(r"(p50|p80|p90|p95|p99|max)\b", low)
        if not m:
            return None
        stat = m.group(1)
    key = stat
    if stat in ("transactions succeeded", "users working", "operational laws"):
        return key
    if g:
        key += f"|group={g.group(1)}"
    if s:
        key += f"|step={s.group(1)}"
    return key


def pace_checks_from_summary(summary):
    v = summary.get("verdict", {})
    out = {}
    for c in v.get("checks", []):
        k = check_key(c.get("name", ""))
        if k is None:
            k = "?" + c.get("name", "")
        if "pass" in c:
            out[k] = bool(c["pass"])
    return out


def pace_checks_from_console(text):
    """The first table whose header starts with 'check': name -> pass (rows with a result)."""
    out = {}
    header = None
    for line in text.splitlines():
        if not line.startswith("│"):
            if header is not None and line.startswith("└"):
                break
            continue
        cells = [c.strip() for c in line.strip().strip("│").split("┆")]
        if header is None:
            if cells and cells[0] == "check":
                header = cells
            continue
        if "result" not in header:
            break
        res = cells[header.index("result")] if len(cells) > header.index("result") else ""
        if res.lower() not in ("pass", "fail"):
            continue
        k = check_key(cells[0]) or ("?" + cells[0])
        out[k] = res.lower() == "pass"
    return out


def compare(judged, pace_word, pace_checks):
    """Differences between the judge's result and pace's, as short texts; (hard, soft)."""
    hard, soft = [], []
    jc = {c["key"]: c for c in judged.get("checks", [])}
    if judged.get("verdict") != pace_word:
        hard.append(f"verdict: pace {pace_word}, judge {judged.get('verdict')}")
    for k, c in jc.items():
        if k not in pace_checks:
            (hard if c.get("exact", True) else soft).append(
                f"{k}: judge {'pass' if c['pass'] else 'FAIL'} {short(c)}, pace has no such check")
        elif pace_checks[k] != c["pass"]:
            (hard if c.get("exact", True) else soft).append(
                f"{k}: pace {'pass' if pace_checks[k] else 'FAIL'}, judge {'pass' if c['pass'] else 'FAIL'} {short(c)}")
    for k, p in pace_checks.items():
        if k not in jc:
            hard.append(f"{k}: pace {'pass' if p else 'FAIL'}, the judge has no such check")
    # a verdict difference caused only by an approximate (inexact) check is soft
    if hard and all(h.startswith("verdict:") for h in hard) and soft:
        soft.extend(hard)
        hard = []
    return hard, soft


def short(c):
    n = {k: v for k, v in c.get("numbers", {}).items() if k not in ("lost_by",)}
    if c.get("latency_of") == "ok":
        n["latency_of"] = "ok"
    return json.dumps(n, default=str)


# ------------------------------------------------------------------ running

class Slots:
    """JOBS shared slots; an exclusive scenario waits until it runs alone."""

    def __init__(self, n):
        self.n, self.busy, self.excl, self.pending = n, 0, False, 0
        self.cv = threading.Condition()

    def acquire(self, exclusive):
        with self.cv:
            if exclusive:
                self.pending += 1
                self.cv.wait_for(lambda: self.busy == 0 and not self.excl)
                self.pending -= 1
                self.excl = True
                self.busy = self.n
            else:
                self.cv.wait_for(lambda: self.busy < self.n and not self.excl and not self.pending)
                self.busy += 1

    def release(self, exclusive):
        with self.cv:
            if exclusive:
                self.excl = False
                self.busy = 0
            else:
                self.busy -= 1
            self.cv.notify_all()


def start_server(sc, d, life):
    srv = sc["server"]
    pf = os.path.join(d, "server.port")
    cmd = [sys.executable, os.path.join(HERE, "servers", "behave.py"), "--mode", srv["mode"],
           "--port-file", pf, "--life", str(life), "--seed", str(sc["run_seed"])]
    for k, v in srv["args"].items():
        cmd += [f"--{k}", str(v)]
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=open(os.path.join(d, "server.err"), "w"))
    t_end = time.monotonic() + 10
    while not os.path.exists(pf):
        if time.monotonic() > t_end or p.poll() is not None:
            p.kill()
            raise RuntimeError("server did not start")
        time.sleep(0.02)
    port = int(open(pf).read().strip())
    return p, port, cmd


def run_scenario(sc, o, slots, log):
    d = os.path.join(o.out, "scenarios", sc["id"])
    if os.path.exists(d):
        shutil.rmtree(d)
    os.makedirs(d)
    with open(os.path.join(d, "scenario.json"), "w") as f:
        json.dump({k: v for k, v in sc.items() if k != "plan"}, f, indent=1, default=str)
    records = []
    slots.acquire(sc["exclusive"])
    t0 = time.monotonic()
    proc = None
    try:
        base = None
        srv_cmd = None
        if sc["server"]:
            proc, port, srv_cmd = start_server(sc, d, sc["limit_s"] + 5)
            base = f"http://127.0.0.1:{port}"
        plan_text = gen.render(sc["plan"], base)
        if base is not None:
            with open(os.path.join(d, "plan.template.toml"), "w") as f:
                f.write(gen.render(sc["plan"]))
        plan_path = os.path.join(d, "plan.toml")
        with open(plan_path, "w") as f:
            f.write(plan_text)
        res_root = os.path.join(d, "results")
        cmd = ["timeout", "-k", "5", str(sc["limit_s"]), o.pace, "run", plan_path, "--results-dir", res_root,
               "-q", "--seed", str(sc["run_seed"])]
        with open(os.path.join(d, "pace.out"), "w") as so, open(os.path.join(d, "pace.err"), "w") as se:
            rc = subprocess.run(cmd, stdout=so, stderr=se).returncode
    finally:
        if proc is not None:
            proc.kill()
            proc.wait()
        slots.release(sc["exclusive"])
    wall = time.monotonic() - t0
    reproduce = [f"# scenario {sc['id']} ({sc['template']}): seed {sc['seed']}, index {sc['index']}"]
    if srv_cmd:
        reproduce.append("# the server first; its port goes into the plan's URLs ({BASE} in plan.template.toml):")
        reproduce.append(f"cd {d}")
        reproduce.append("rm -f server.port; " + " ".join(srv_cmd) + " &")
        reproduce.append("while [ ! -s server.port ]; do sleep 0.05; done")
        reproduce.append('sed "s#{BASE}#http://127.0.0.1:$(cat server.port)#g" plan.template.toml > plan.toml')
    reproduce.append(" ".join(cmd[4:]))
    folders = sorted(os.listdir(res_root)) if os.path.isdir(res_root) else []
    base_rec = {"id": sc["id"], "kind": "run", "template": sc["template"], "class": sc["class"],
                "expect": sc["expect"], "rc": rc, "wall_s": round(wall, 2), "stair": sc["stair"]}
    if rc == 2 or not folders:
        err = open(os.path.join(d, "pace.err")).read().strip().splitlines()
        base_rec.update(agree=None, error="pace refused or made no results: " + (err[-1] if err else f"rc {rc}"))
        records.append(base_rec)
        write_reproduce(d, reproduce)
        return records
    res = os.path.join(res_root, folders[-1])
    reproduce.append(f"python3 {os.path.join(HERE, 'judge.py')} {res}")
    rows = None if sc["stair"] else judge.read_samples(os.path.join(res, "samples.csv"))
    base_rec.update(compare_run(d, res, sc["stair"], rc, rows))
    records.append(base_rec)
    # ---- re-judge scenarios
    if not sc["stair"] and sc["variants"]:
        try:
            vs = gen.variants(sc, res, compat=o.compat == "old", rows=rows)
        except Exception as e:  # a generator bug must not stop the study
            vs = []
            base_rec["variant_error"] = f"{type(e).__name__}: {e}"
        for name, vplan, desc in vs:
            vpath = os.path.join(d, f"{name}.toml")
            with open(vpath, "w") as f:
                f.write(gen.render(vplan, base))
            vcmd = [o.pace, "verify", res, "--plan", vpath]
            r = subprocess.run(["timeout", "-k", "5", "60"] + vcmd, capture_output=True, text=True)
            with open(os.path.join(d, f"{name}.verify.out"), "w") as f:
                f.write(r.stdout + ("\n--- stderr\n" + r.stderr if r.stderr else ""))
            rec = {"id": f"{sc['id']}/{name}", "kind": "rejudge", "template": sc["template"],
                   "class": sc["class"], "variant": desc, "rc": r.returncode}
            reproduce.append(" ".join(vcmd) + f"    # {desc}")
            reproduce.append(f"python3 {os.path.join(HERE, 'judge.py')} {res} --plan {vpath}")
            if r.returncode == 2:
                err = (r.stderr.strip().splitlines() or ["?"])[-1]
                rec.update(agree=None, error="pace verify refused the plan: " + err)
                records.append(rec)
                continue
            rec.update(compare_variant(d, res, name, vpath, r.returncode, r.stdout, rows))
            records.append(rec)
    write_reproduce(d, reproduce)
    if all(r.get("agree") for r in records) and not o.keep_all:
        for sub in os.listdir(res_root):
            for fn in ("report.html", "results.jtl", "histograms.hlog", "junit.xml"):
                p = os.path.join(res_root, sub, fn)
                if os.path.exists(p):
                    os.remove(p)
    return records


def compare_run(d, res, stair, rc, rows=None):
    """The judge on a run's results folder against pace's summary.json: the record's fields."""
    judged = judge.judge_folder(res, rows=rows)
    with open(os.path.join(d, "judge.json"), "w") as f:
        json.dump(judged, f, indent=1, default=str)
    summ_path = os.path.join(res, "summary.json")
    summary = json.load(open(summ_path)) if os.path.exists(summ_path) else {}
    pace_word = WORD.get(summary.get("verdict", {}).get("state"), RC_WORD.get(rc, f"rc{rc}"))
    causes = [c.get("cause") for c in summary.get("verdict", {}).get("causes", [])]
    hard, soft = [], []
    if stair:
        for lv in judged.get("levels", []):
            ls = os.path.join(res, lv["dir"], "summary.json")
            lsum = json.load(open(ls)) if os.path.exists(ls) else {}
            lw = WORD.get(lsum.get("verdict", {}).get("state"), "?")
            h, s_ = compare(lv, lw, pace_checks_from_summary(lsum))
            hard += [f"{lv['dir']}: {x}" for x in h]
            soft += [f"{lv['dir']}: {x}" for x in s_]
        if judged["verdict"] != pace_word:
            hard.append(f"stair verdict: pace {pace_word}, judge {judged['verdict']}")
    else:
        hard, soft = compare(judged, pace_word, pace_checks_from_summary(summary))
    return {"pace": {"verdict": pace_word, "causes": causes,
                     "checks": pace_checks_from_summary(summary) if not stair else None},
            "judge": {"verdict": judged["verdict"]}, "agree": not hard, "diffs": hard, "soft": soft}


def compare_variant(d, res, name, vpath, rc, stdout, rows=None):
    """The judge on a results folder under another plan against `pace verify`'s console."""
    vj = judge.judge_folder(res, vpath, rows=rows)
    with open(os.path.join(d, f"{name}.judge.json"), "w") as f:
        json.dump(vj, f, indent=1, default=str)
    pw = RC_WORD.get(rc, f"rc{rc}")
    h, s_ = compare(vj, pw, pace_checks_from_console(stdout))
    return {"pace": {"verdict": pw}, "judge": {"verdict": vj["verdict"]}, "agree": not h, "diffs": h, "soft": s_}


def rejudge(o):
    """Judge every stored scenario again (after a judge fix) without running pace: the runs'
    summary.json and the re-judges' stored `pace verify` output and exit code are pace's side."""
    path = os.path.join(o.out, "results.jsonl")
    recs = [json.loads(x) for x in open(path)]
    shutil.copy(path, path + ".before-rejudge")
    changed = 0
    rows_of = {}
    for rec in recs:
        if rec.get("agree") is None:
            continue
        sid = rec["id"].split("/")[0]
        d = os.path.join(o.out, "scenarios", sid)
        res_root = os.path.join(d, "results")
        res = os.path.join(res_root, sorted(os.listdir(res_root))[-1])
        if not rec.get("stair") and sid not in rows_of:
            rows_of = {sid: judge.read_samples(os.path.join(res, "samples.csv"))}
        rows = rows_of.get(sid)
        before = (rec["agree"], rec.get("diffs"))
        if rec["kind"] == "run":
            rec.update(compare_run(d, res, rec.get("stair"), rec["rc"], rows))
        else:
            name = rec["id"].split("/")[1]
            text = open(os.path.join(d, f"{name}.verify.out")).read().split("\n--- stderr\n")[0]
            rec.update(compare_variant(d, res, name, os.path.join(d, f"{name}.toml"), rec["rc"], text, rows))
        if (rec["agree"], rec.get("diffs")) != before:
            changed += 1
            print(f"{rec['id']}: {'agree' if rec['agree'] else 'DISAGREE'} (was {'agree' if before[0] else 'disagree'})")
    with open(path, "w") as f:
        for rec in recs:
            f.write(json.dumps(rec, default=str) + "\n")
    print(f"re-judged {len(recs)} scenarios: {changed} changed")


def write_reproduce(d, lines):
    with open(os.path.join(d, "REPRODUCE"), "w") as f:
        f.write("\n".join(lines) + "\n")


# ------------------------------------------------------------------ report

def pct(a, b):
    return f"{100.0 * a / b:.1f} % ({a}/{b})" if b else "- (0)"


def throughput_failed(r):
    """Pace failed a throughput row of the run (the plan's or a group's)."""
    checks = (r.get("pace") or {}).get("checks") or {}
    return any(k.startswith("throughput") and not v for k, v in checks.items())


def report(o):
    recs = [json.loads(x) for x in open(os.path.join(o.out, "results.jsonl"))]
    runs = [r for r in recs if r["kind"] == "run"]
    rj = [r for r in recs if r["kind"] == "rejudge"]
    compared = [r for r in recs if r.get("agree") is not None]
    dis = [r for r in compared if not r["agree"]]
    soft = [r for r in compared if r.get("soft")]
    errors = [r for r in recs if r.get("agree") is None]
    runs_ok = [r for r in runs if r.get("agree") is not None]
    healthy = [r for r in runs_ok if r["class"] == "healthy"]
    degraded = [r for r in runs_ok if r["class"] == "degraded"]
    h_pass = sum(1 for r in healthy if r["pace"]["verdict"] == "PASS")
    d_fail = sum(1 for r in degraded if r["pace"]["verdict"] == "FAIL")
    # the first cause is judged where pace's throughput row failed (causes split a throughput
    # FAIL: verdict.md, "What a FAIL says"); a degraded run that fails on another row only has none
    with_cause = [r for r in degraded if r["expect"].get("cause") and r["pace"]["verdict"] == "FAIL"
                  and throughput_failed(r)]
    other_row = [r for r in degraded if r["expect"].get("cause") and r["pace"]["verdict"] == "FAIL"
                 and not throughput_failed(r)]
    c_right = sum(1 for r in with_cause if r["pace"]["causes"][:1] == [r["expect"]["cause"]])
    jh_pass = sum(1 for r in healthy if r["judge"]["verdict"] == "PASS")
    jd_fail = sum(1 for r in degraded if r["judge"]["verdict"] == "FAIL")
    wall = sum(r.get("wall_s", 0) for r in runs)
    meta_p = os.path.join(o.out, "study.json")
    meta = json.load(open(meta_p)) if os.path.exists(meta_p) else {}
    o.pace = meta.get("pace", o.pace)
    o.seed = meta.get("seed", o.seed)
    o.compat = meta.get("compat", o.compat)
    L = []
    L.append("# The adversarial study\n")
    L.append(f"PACE = `{o.pace}`; seed {o.seed}; {len(runs)} runs; compat {o.compat}; "
             f"{time.strftime('%Y-%m-%d %H:%M', time.localtime())}\n")
    L.append("| figure | value |\n|---|---|")
    L.append(f"| scenarios compared (runs + re-judges) | {len(compared)} ({len(runs_ok)} runs + "
             f"{len(compared) - len(runs_ok)} re-judges) |")
    L.append(f"| disagreements (hard) | {len(dis)} |")
    L.append(f"| disagreement rate | {pct(len(dis), len(compared))} |")
    L.append(f"| only an approximate band differs (soft) | {len(soft)} |")
    L.append(f"| not compared (pace refused a plan, or no results) | {len(errors)} |")
    L.append(f"| healthy runs that PASS (pace) | {pct(h_pass, len(healthy))} |")
    L.append(f"| degraded runs that FAIL (pace) | {pct(d_fail, len(degraded))} |")
    L.append(f"| first cause right (pace, degraded throughput FAILs with an expected cause) | {pct(c_right, len(with_cause))} |")
    L.append(f"| degraded FAILs with an expected cause that failed another row only (no cause) | {len(other_row)} |")
    L.append(f"| healthy PASS / degraded FAIL by the judge | {pct(jh_pass, len(healthy))} / {pct(jd_fail, len(degraded))} |")
    L.append(f"| run wall time (sum of runs) | {wall / 60:.1f} min |")
    if "elapsed_s" in meta:
        L.append(f"| study wall time ({meta.get('jobs')} at a time) | {meta['elapsed_s'] / 60:.1f} min |")
    L.append("")
    L.append("## Per template\n")
    L.append("| template | runs | re-judges | disagree | pace PASS/FAIL/other | judge PASS/FAIL/other | first causes (pace) |")
    L.append("|---|---:|---:|---:|---|---|---|")
    for t in sorted({r["template"] for r in recs}):
        rr = [r for r in runs_ok if r["template"] == t]
        jj = [r for r in compared if r["template"] == t and r["kind"] == "rejudge"]
        dd = [r for r in compared if r["template"] == t and not r["agree"]]

        def words(key):
            c = {"PASS": 0, "FAIL": 0, "other": 0}
            for r in rr:
                w = r[key]["verdict"]
                c[w if w in c else "other"] += 1
            return f"{c['PASS']}/{c['FAIL']}/{c['other']}"

        fc = {}
        for r in rr:
            if r["pace"]["verdict"] == "FAIL":
                k = (r["pace"]["causes"] or ["-"])[0]
                fc[k] = fc.get(k, 0) + 1
        L.append(f"| {t} | {len(rr)} | {len(jj)} | {len(dd)} | {words('pace')} | {words('judge')} | "
                 + ", ".join(f"{k} x{v}" for k, v in sorted(fc.items(), key=lambda x: -x[1])) + " |")
    L.append("")
    # the kinds of disagreement
    kinds = {}
    for r in dis:
        for x in r["diffs"]:
            k = re.sub(r"\{.*\}", "", x)
            k = re.sub(r"group=[^|:]*", "group=G", k)
            k = re.sub(r"step=[^|:]*", "step=S", k)
            k = re.sub(r"level-[^:]*", "level", k)
            kinds[k] = kinds.get(k, 0) + 1
    L.append("## Disagreements by kind\n")
    for k, v in sorted(kinds.items(), key=lambda x: -x[1]):
        L.append(f"- {v} x `{k.strip()}`")
    L.append("")
    L.append("## Every disagreement\n")
    for r in dis:
        L.append(f"- **{r['id']}** ({r['template']}, {r['kind']}{', ' + r['variant'] if r.get('variant') else ''}): "
                 f"evidence `scenarios/{r['id'].split('/')[0]}/` (REPRODUCE)")
        for x in r["diffs"]:
            L.append(f"  - {x}")
    if soft:
        L.append("\n## Approximate bands that differ (closed-loop groups; QUESTIONS.md Q5)\n")
        for r in soft:
            L.append(f"- {r['id']} ({r['template']}): " + "; ".join(r["soft"]))
    if errors:
        L.append("\n## Not compared\n")
        for r in errors:
            L.append(f"- {r['id']} ({r['template']}): {r.get('error')}")
    L.append("\n## Degraded runs whose first cause was not the fault\n")
    for r in with_cause:
        if r["pace"]["causes"][:1] != [r["expect"]["cause"]]:
            L.append(f"- {r['id']} ({r['template']}): expected {r['expect']['cause']}, pace {r['pace']['causes']}")
    L.append("\n## Degraded runs that failed another row only (no throughput cause)\n")
    for r in other_row:
        failed = [k for k, v in ((r.get("pace") or {}).get("checks") or {}).items() if not v]
        L.append(f"- {r['id']} ({r['template']}): expected {r['expect']['cause']}, pace failed {failed}")
    L.append("\n## Runs of the wrong word\n")
    for r in runs_ok:
        if r["expect"]["verdict"] != r["pace"]["verdict"]:
            L.append(f"- {r['id']} ({r['template']}): expected {r['expect']['verdict']}, pace {r['pace']['verdict']}"
                     f" {r['pace']['causes'][:2]}, judge {r['judge']['verdict']}")
    text = "\n".join(L) + "\n"
    with open(os.path.join(o.out, "report.md"), "w") as f:
        f.write(text)
    return text


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--runs", type=int, default=10)
    ap.add_argument("--first", type=int, default=0, help="index of the first scenario")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--out", default=os.path.join(HERE, "..", "out", "adversarial"))
    ap.add_argument("--compat", choices=["old", "new"], default="new")
    ap.add_argument("--only", default="", help="comma-separated templates")
    ap.add_argument("--ids", default="", help="comma-separated scenario indexes of the seed (re-run these only)")
    ap.add_argument("--keep-all", action="store_true")
    ap.add_argument("--report-only", action="store_true")
    ap.add_argument("--rejudge", action="store_true",
                    help="judge the stored scenarios of --out again (no run), then the report")
    o = ap.parse_args()
    o.out = os.path.abspath(o.out)
    o.pace = os.environ.get("PACE", "")
    if o.report_only:
        print(report(o))
        return
    if o.rejudge:
        rejudge(o)
        print(report(o))
        return
    if not o.pace or not os.access(o.pace, os.X_OK):
        sys.exit("study.py: set PACE=/path/to/pace (an executable)")
    o.jobs = max(1, min(2, o.jobs))
    os.makedirs(os.path.join(o.out, "scenarios"), exist_ok=True)
    only = set(x for x in o.only.split(",") if x)
    scs = []
    i = o.first
    if o.ids:
        scs = [gen.scenario(o.seed, int(x), compat=o.compat == "old") for x in o.ids.split(",") if x]
        o.runs = len(scs)
    while len(scs) < o.runs and i < o.first + 100 * max(1, o.runs):
        sc = gen.scenario(o.seed, i, compat=o.compat == "old")
        i += 1
        if only and sc["template"] not in only:
            continue
        scs.append(sc)
    out_path = os.path.join(o.out, "results.jsonl")
    kept = []
    if o.ids and os.path.exists(out_path):
        # re-running some scenarios of a study: their records are replaced, the others kept
        again = {sc["id"] for sc in scs}
        kept = [x for x in open(out_path) if json.loads(x)["id"].split("/")[0] not in again]
        shutil.copy(out_path, out_path + ".before-ids")
    lock = threading.Lock()
    slots = Slots(o.jobs)
    t0 = time.monotonic()
    done = [0]
    with open(out_path, "w") as out:
        out.writelines(kept)

        def one(sc):
            try:
                recs = run_scenario(sc, o, slots, None)
            except Exception as e:
                recs = [{"id": sc["id"], "kind": "run", "template": sc["template"], "class": sc["class"],
                         "expect": sc["expect"], "agree": None, "error": f"study: {type(e).__name__}: {e}"}]
            with lock:
                for r in recs:
                    out.write(json.dumps(r, default=str) + "\n")
                out.flush()
                done[0] += 1
                bad = sum(1 for r in recs if r.get("agree") is False)
                print(f"[{time.monotonic() - t0:6.0f}s] {done[0]}/{len(scs)} {sc['id']} {sc['template']}: "
                      f"pace {recs[0].get('pace', {}).get('verdict', recs[0].get('error'))}"
                      f"{' DISAGREE x' + str(bad) if bad else ''}", flush=True)

        with ThreadPoolExecutor(max_workers=o.jobs) as ex:
            list(ex.map(one, scs))
    meta_name = "study.json" if not (o.ids and kept) else f"study-ids-{time.strftime('%H%M%S')}.json"
    with open(os.path.join(o.out, meta_name), "w") as f:
        json.dump({"pace": o.pace, "ids": o.ids, "seed": o.seed, "runs": len(scs), "first": o.first, "jobs": o.jobs,
                   "compat": o.compat, "elapsed_s": round(time.monotonic() - t0, 1)}, f)
    print(report(o))


if __name__ == "__main__":
    main()
