#!/usr/bin/env python3
"""The independent judge: docs/verdict.md's "The semantics", implemented again.

    judge.py RESULTS_DIR [--plan OTHER.toml] [--complete|--incomplete]

RESULTS_DIR is a run's results folder (plan.toml + samples.csv) or a stair's
folder (plan.toml with [run.stairs] and one level-NN-* folder per level, each
a results folder of its own). Prints one JSON object:

    {"verdict": "PASS"|"FAIL"|"NO CHECKS"|"INCOMPLETE",
     "span": [a, b], "scope": "window"|"run"|"whole_run" (an empty window),
     "checks": [{"key": "p95|group=web|step=home", "stat": "p95", "group": "web",
                 "step": "home", "pass": true, "exact": true, "numbers": {...}}, ...],
     "groups": {...}}                         (a stair: "levels": [...], "stair": {...})

Written from the documents only (docs/verdict.md "The semantics",
docs/pacing.md section 6, docs/running.md, docs/reports.md, docs/capacity.md
"Stair tests", docs/plan-format.md), never from pace's source. Where they do
not say enough to compute a number, the reading taken is in QUESTIONS.md
(referenced here as Qn).

Arithmetic: thresholds (durations, percentages) are kept as the decimals
written (Fraction) and compared exactly; latencies are the decimal text of
samples.csv (Fraction). Times of the span (a, b, t, iter_sched) are floats:
the band and the span compare schedule instants that are random draws.
Python 3.11, standard library only.
"""

import csv
import json
import math
import os
import sys
import tomllib
from decimal import Decimal
from fractions import Fraction
from statistics import NormalDist

PERCENTILES = {"p50": 50, "p80": 80, "p90": 90, "p95": 95, "p99": 99}
LAT_STATS = ["p50", "p80", "p90", "p95", "p99", "max"]
PACED = ("fixed", "uniform", "beta", "exponential")
CLOSED = ("after-end", "none")


class PlanError(Exception):
    pass


# ---------------------------------------------------------------- parsing values

_DUR_UNITS = [
    ("ns", Fraction(1, 10**9)),
    ("us", Fraction(1, 10**6)),
    ("µs", Fraction(1, 10**6)),
    ("ms", Fraction(1, 1000)),
    ("s", Fraction(1)),
    ("m", Fraction(60)),
    ("h", Fraction(3600)),
    ("d", Fraction(86400)),
]


def frac(x):
    """A TOML number (int or Decimal, parse_float=Decimal) or a decimal string, exactly."""
    if isinstance(x, bool):
        raise PlanError(f"not a number: {x!r}")
    if isinstance(x, (int, Decimal)):
        return Fraction(x)
    if isinstance(x, str):
        return Fraction(Decimal(x.strip()))
    if isinstance(x, float):  # never from tomllib with parse_float=Decimal
        return Fraction(Decimal(repr(x)))
    raise PlanError(f"not a number: {x!r}")


def duration(x):
    """plan-format.md: "250ms", "1.5s", "2m", "1h", or plain seconds -> Fraction seconds."""
    if not isinstance(x, str):
        return frac(x)
    s = x.strip()
    for unit, mult in _DUR_UNITS:
        if s.endswith(unit):
            num = s[: -len(unit)].strip()
            try:
                return Fraction(Decimal(num)) * mult
            except Exception:
                continue
    return Fraction(Decimal(s))


def percentage(x):
    """"0.7%" -> 7/1000; 0.007 -> 7/1000 (the decimal as written)."""
    if isinstance(x, str) and x.strip().endswith("%"):
        return Fraction(Decimal(x.strip()[:-1])) / 100
    return frac(x)


def rate(x):
    """"50/s", "600/m", "36000/h" or a number per second -> Fraction per second."""
    if isinstance(x, str):
        s = x.strip()
        for unit, div in (("/s", 1), ("/m", 60), ("/h", 3600)):
            if s.endswith(unit):
                return Fraction(Decimal(s[: -len(unit)])) / div
        return Fraction(Decimal(s))
    return frac(x)


def think_mean(t):
    """plan-format.md [group.step.think]: the mean the pacing math uses."""
    if t is None:
        return Fraction(0)
    if not isinstance(t, dict):
        return duration(t)
    d = t.get("dist")
    if d == "fixed":
        return duration(t["value"])
    if d == "uniform":
        return (duration(t["min"]) + duration(t["max"])) / 2
    if d == "exponential":
        m = duration(t["mean"])
        if "max" in t:
            mx = duration(t["max"])
            return Fraction(float(m) * (1 - math.exp(-float(mx) / float(m))))
        return m
    raise PlanError(f"think: unknown dist {d!r}")


# ---------------------------------------------------------------- the plan

class Group:
    def __init__(self, g, target, idx):
        self.name = g["name"]
        self.users = int(g["users"])
        p = g["pacing"]
        self.mode = p["mode"]
        self.pacing = p
        self.late = p.get("late", "drift")
        if "script" in g:
            self.steps = ["run"]  # a script's run() is one transaction
            self.step_acc = {}
        else:
            self.steps = [s["name"] for s in g.get("step", [])]
            self.step_acc = {s["name"]: s.get("acceptance", {}) for s in g.get("step", [])}
        self.k = max(1, len(self.steps))
        self.think_sum = sum((think_mean(s.get("think")) for s in g.get("step", [])), Fraction(0))
        self.acc = g.get("acceptance", {})
        self.idx = idx
        # interval moments (seconds): mean mu, variance var, third central moment k3
        self.mu = self.var = self.k3 = None
        self.lattice = False
        if self.mode == "fixed":
            self.mu = duration(p["interval"])
            self.var, self.k3, self.lattice = Fraction(0), Fraction(0), True
        elif self.mode == "uniform":
            lo, hi = duration(p["min"]), duration(p["max"])
            self.mu = (lo + hi) / 2
            self.var = (hi - lo) ** 2 / 12
            self.k3 = Fraction(0)
        elif self.mode == "beta":
            lo, hi = duration(p["min"]), duration(p["max"])
            al, be = beta_shape(p, lo, hi)
            w = float(hi - lo)
            s = al + be
            mean = al / s
            var = al * be / (s * s * (s + 1))
            skew = 2 * (be - al) * math.sqrt(s + 1) / ((s + 2) * math.sqrt(al * be))
            self.mu = lo + Fraction(mean) * (hi - lo) if "interval" not in p else duration(p["interval"])
            self.var = Fraction(var * w * w)
            self.k3 = Fraction(skew * (var ** 1.5) * w ** 3)
        elif self.mode == "exponential":
            self.mu = duration(p["interval"])
            lo = duration(p["min"]) if "min" in p else Fraction(0)
            self.var = (self.mu - lo) ** 2
            self.k3 = 2 * (self.mu - lo) ** 3
        elif self.mode == "arrival-rate":
            self.rate = rate(p["rate"])
            self.mu = 1 / self.rate  # one process of starts (Q3)
            self.var, self.k3, self.lattice = Fraction(0), Fraction(0), True
        elif self.mode in CLOSED:
            rt = target.get("response_time")
            self.delay = duration(p["delay"]) if self.mode == "after-end" else Fraction(0)
            self.rt = duration(rt) if rt is not None else None
            if self.rt is not None:
                self.mu = self.k * self.rt + self.think_sum + self.delay
        else:
            raise PlanError(f"group {self.name}: unknown pacing mode {self.mode!r}")

    @property
    def paced(self):
        return self.mode in PACED

    @property
    def open(self):
        return self.mode == "arrival-rate"

    @property
    def closed(self):
        return self.mode in CLOSED

    def tau(self):
        """verdict.md: tau_g = max(250 ms, 10 % of one user's mean interval between starts (paced),
        of 1/rate (arrival rate), of the plan's cycle (closed loop, "Details of the rules"))."""
        if self.mu is None:  # a closed loop without target.response_time: no cycle
            return 0.25
        return max(0.25, 0.1 * float(self.mu))


def beta_shape(p, lo, hi):
    """pacing.md section 5: the shape from the mean when alpha/beta are not both given."""
    if "alpha" in p and "beta" in p:
        return float(p["alpha"]), float(p["beta"])
    m = float((duration(p["interval"]) - lo) / (hi - lo))
    if "alpha" in p:
        a = float(p["alpha"])
        return a, a * (1 - m) / m
    if "beta" in p:
        b = float(p["beta"])
        return b * m / (1 - m), b
    if m <= 0.5:
        return 1.0, (1 - m) / m
    return m / (1 - m), 1.0


class Plan:
    def __init__(self, path):
        with open(path, "rb") as f:
            self.raw = tomllib.loads(f.read().decode("utf-8"), parse_float=Decimal)
        r = self.raw
        self.target = r.get("target", {})
        run = r.get("run", {})
        self.stairs = run.get("stairs")
        self.duration = duration(run.get("duration", "1h"))
        self.ramp_up = duration(run.get("ramp_up", "0s"))
        self.groups = [Group(g, self.target, i) for i, g in enumerate(r["group"])]
        self.groups = [g for g in self.groups if g.users > 0]  # a stair level's empty group sits out
        acc = r.get("acceptance", {})
        self.acc = acc
        self.scope = acc.get("scope", "window")
        self.latency_of = acc.get("latency_of", "all")
        self.confidence = float(acc.get("confidence", Decimal("0.99")))
        tol = acc.get("tolerance", "auto")
        self.tolerance = None if tol == "auto" else percentage(tol)
        self.laws_must_hold = bool(acc.get("laws_must_hold", False))

    def has_rate(self):
        """The throughput check exists when the plan sets every group's rate (Q4)."""
        if not self.groups:
            return False
        for g in self.groups:
            if g.closed and g.mu is None:
                return False
        return True

    def thresholds(self):
        """Every (level, group, step, stat, limit, latency_of) the plan states."""
        out = []

        def take(table, group, step, inherit):
            lof = table.get("latency_of", inherit)
            for stat in LAT_STATS:
                if stat in table:
                    out.append((group, step, stat, duration(table[stat]), lof))
            if "error_rate" in table:
                out.append((group, step, "error_rate", percentage(table["error_rate"]), lof))
            return lof

        plof = take(self.acc, None, None, "all")
        for g in self.groups:
            glof = take(g.acc, g.name, None, plof)
            for s, sacc in g.step_acc.items():
                take(sacc, g.name, s, glof)
        return out


# ---------------------------------------------------------------- samples

class Row:
    """One row of samples.csv, by the header's column names (Q1)."""
    __slots__ = ("kind", "t", "iter_start", "iter_sched", "group", "user", "iteration",
                 "name", "lat_text", "ok", "error_kind", "iter_planned", "lat", "_latf",
                 "late", "overrun")

    def lat_frac(self):
        """The latency as the exact decimal written in samples.csv."""
        f = self._latf
        if f is None:
            f = self._latf = Fraction(Decimal(self.lat_text))
        return f


def read_samples(path):
    rows = []
    with open(path, newline="", encoding="utf-8") as f:
        rd = csv.reader(f)
        header = next(rd)
        ix = {h: i for i, h in enumerate(header)}
        need = ["kind", "t", "iter_start", "iter_sched", "group", "user", "iteration", "name", "latency", "ok"]
        for h in need:
            if h not in ix:
                raise PlanError(f"{path}: no column {h!r}")
        i_kind, i_t, i_is, i_sch = ix["kind"], ix["t"], ix["iter_start"], ix["iter_sched"]
        i_g, i_u, i_it, i_n, i_lat, i_ok = (ix["group"], ix["user"], ix["iteration"], ix["name"],
                                            ix["latency"], ix["ok"])
        i_ek = ix.get("error_kind")
        i_pl = ix.get("iter_planned")
        i_late = ix.get("late")
        i_ov = ix.get("overrun")
        width = len(header)
        for d in rd:
            if len(d) < width:
                continue  # a torn last line
            try:
                r = Row()
                r.kind = d[i_kind]
                r.t = float(d[i_t])
                r.iter_start = float(d[i_is])
                r.iter_sched = float(d[i_sch])
                r.group = d[i_g]
                r.user = int(d[i_u])
                r.iteration = int(d[i_it])
                r.name = d[i_n]
                r.lat_text = d[i_lat]
                r.lat = float(d[i_lat])
                r.ok = d[i_ok] == "true"
                r.error_kind = d[i_ek] if i_ek is not None else ""
                ip = d[i_pl] if i_pl is not None else ""
                r.iter_planned = float(ip) if ip != "" else r.iter_sched
                lt = d[i_late] if i_late is not None else ""
                # reports.md: `late` is how late the iteration started against `iter_sched`
                r.late = float(lt) if lt != "" else r.iter_start - r.iter_sched
                r.overrun = (d[i_ov] == "true") if i_ov is not None else False
                r._latf = None
            except ValueError:
                continue
            rows.append(r)
    return rows


def is_tx(r):
    """A transaction: a step row (or a script's run() row, also kind step) (Q1)."""
    return r.kind == "step"


# ---------------------------------------------------------------- the band

def group_band(plan, g, a, b, measured_iter_sd=None):
    """Mean and variance of the group's transaction count over [a, b) (pacing.md section 6).

    Returns (mean Fraction-or-float, var float, exact bool: the band is stated fully by the docs)."""
    k = g.k
    if g.paced or g.open:
        mu = g.mu
        if plan.scope == "run" and g.paced:
            spans = [Fraction(b) - user_start(plan, g, i) for i in range(g.users)]
        elif g.open:
            spans = [Fraction(b) - Fraction(a)]  # one process of arrivals (Q3)
        else:
            spans = [Fraction(b) - Fraction(a)] * g.users
        mean = Fraction(0)
        var = 0.0
        for w in spans:
            if w <= 0:
                continue
            mean += w / mu
            if g.lattice:
                x = w / mu
                f = float(x - math.floor(x))
                var += f * (1 - f)
            else:
                m, s2, k3 = float(mu), float(g.var), float(g.k3)
                v = float(w) * s2 / m ** 3 + (1 / 6 + s2 * s2 / (2 * m ** 4) - k3 / (3 * m ** 3))
                var += max(0.0, v)
        return mean * k, var * k * k, True
    # closed loop (pacing.md section 6, "A closed loop"): user i starts at o_i and then every
    # cycle mu; its k-th start o_i + S_k, S_k ~ Normal(k mu, k sigma^2), sigma the spread of the
    # group's iteration durations measured in the run
    mu = float(g.mu)
    sig = measured_iter_sd or 0.0
    af, bf = float(a), float(b)
    nd = NormalDist()
    mean = 0.0
    edges = []
    renewal = 0.0
    for i in range(g.users):
        o = float(user_start(plan, g, i))
        e_n = 1.0 if af <= o < bf else 0.0  # p_0 = 1 or 0
        edge = 0.0
        kk = 1
        while True:
            m = o + kk * mu
            sd = math.sqrt(kk) * sig
            if m - 10 * sd >= bf:
                break
            if sd > 0:
                pk = nd.cdf((bf - m) / sd) - nd.cdf((af - m) / sd)
            else:
                pk = 1.0 if af <= m < bf else 0.0
            e_n += pk
            edge += pk * (1 - pk)
            kk += 1
        mean += e_n
        edges.append(edge)
        renewal += (bf - af - max(o - af, 0.0)) * sig * sig / mu ** 3
    if plan.ramp_up > 0:  # users independent
        var = sum(edges) + renewal
    else:  # they start together and move together: edge sds add
        var = sum(math.sqrt(e) for e in edges) ** 2 + renewal
    return mean * k, var * k * k, True


def user_start(plan, g, i):
    """running.md: user i of n starts at i x ramp_up / n (per group) (Q6)."""
    return plan.ramp_up * i / g.users


# ---------------------------------------------------------------- judging one run

def span_of(plan, stopped_at=None):
    """verdict.md "The span": [a, b); b = duration, or where an interrupted run stopped.

    Returns (a, b, kind): kind "window", "run", or "whole_run" (an empty window: the whole run,
    no band)."""
    b = plan.duration if stopped_at is None else min(plan.duration, stopped_at)
    if plan.scope == "run":
        return Fraction(0), b, "run"
    a = plan.ramp_up
    if a >= plan.duration:
        return Fraction(0), b, "whole_run"
    return a, b, "window"


def run_state(folder):
    """verdict.md: a run interrupted or killed says so in summary.json (`partial`, `meta.run_time_s`,
    where it stopped); a folder without summary.json was killed. -> (complete, stopped_at or None)."""
    p = os.path.join(folder, "summary.json")
    if not os.path.exists(p):
        return False, None
    try:
        with open(p) as f:
            sm = json.load(f)
    except (OSError, ValueError):
        return False, None
    if sm.get("partial"):
        rt = (sm.get("meta") or {}).get("run_time_s")
        return False, (Fraction(Decimal(repr(float(rt)))) if rt is not None else None)
    return True, None


def judge_run(plan, rows, complete=True, stopped_at=None):
    a_f, b_f, kind = span_of(plan, stopped_at)
    a, b = float(a_f), float(b_f)
    res = {"span": [a, b], "scope": kind, "checks": [], "groups": {}, "notes": []}
    if not a < b:
        # "When the span itself is empty (a run stopped before its first start) nothing is
        # judged: INCOMPLETE, with no cause."
        res["verdict"] = "INCOMPLETE"
        res["notes"].append("empty span: nothing judged")
        return res
    banded = kind != "whole_run"
    if not banded:
        res["notes"].append("empty window: every check over the whole run, the rate not judged")

    def in_span(x):
        return a <= x < b

    by_group = {g.name: [] for g in plan.groups}
    for r in rows:
        by_group.setdefault(r.group, []).append(r)

    z = NormalDist().inv_cdf(0.5 + plan.confidence / 2)
    gstats = {}
    for g in plan.groups:
        grs = by_group.get(g.name, [])
        st = group_stats(plan, g, grs, a, b, in_span)
        if g.mu is None:  # a closed loop without target.response_time: no rate, no band
            mean, var, exact = Fraction(0), 0.0, False
        else:
            mean, var, exact = group_band(plan, g, a_f, b_f, st["iter_sd"])
        st["mean"], st["var"], st["band_exact"] = mean, var, exact
        gstats[g.name] = st
        res["groups"][g.name] = {
            k: (float(v) if isinstance(v, Fraction) else v)
            for k, v in st.items() if k not in ("tx",)
        }

    checks = res["checks"]
    # --- throughput
    if plan.has_rate() and banded:
        checks.append(throughput_check(plan, plan.groups, gstats, z, None))
        if len(plan.groups) >= 2:
            for g in plan.groups:
                if g.paced or g.open:
                    checks.append(throughput_check(plan, [g], gstats, z, g.name))
    # --- thresholds
    for (gname, sname, stat, limit, lof) in plan.thresholds():
        txs = []
        for g in plan.groups:
            if gname is not None and g.name != gname:
                continue
            for r in gstats[g.name]["tx"]:
                if sname is None or r.name == sname:
                    txs.append(r)
        if stat == "error_rate":
            checks.append(error_rate_check(txs, limit, gname, sname, lof))
        else:
            checks.append(latency_check(txs, stat, limit, gname, sname, lof))
    # --- transactions succeeded (always)
    any_ok = False
    bad = []
    for g in plan.groups:
        txs = gstats[g.name]["tx"]
        oks = sum(1 for r in txs if r.ok)
        if oks:
            any_ok = True
        elif txs:
            bad.append(g.name)
    checks.append({"key": "transactions succeeded", "stat": "transactions succeeded",
                   "group": None, "step": None, "exact": True,
                   "pass": any_ok and not bad,
                   "numbers": {"groups_without_success": bad, "any_success": any_ok}})
    # --- users working (where a user retired)
    retired_any = False
    all_retired = []
    for g in plan.groups:
        ret = {r.user for r in by_group.get(g.name, []) if r.kind == "retired"}
        if ret:
            retired_any = True
            if len(ret) >= g.users:
                all_retired.append(g.name)
    if retired_any:
        checks.append({"key": "users working", "stat": "users working", "group": None,
                       "step": None, "exact": True, "pass": not all_retired,
                       "numbers": {"groups_all_retired": all_retired}})
    if plan.laws_must_hold:
        res["notes"].append("laws_must_hold: the operational-law check is not implemented by this judge")

    promises = (plan.has_rate() and banded) or bool(plan.thresholds()) or plan.laws_must_hold
    if not complete:
        res["verdict"] = "INCOMPLETE"
    elif not all(c["pass"] for c in checks):
        res["verdict"] = "FAIL"
    elif promises:
        res["verdict"] = "PASS"
    else:
        res["verdict"] = "NO CHECKS"
    return res


def group_stats(plan, g, grs, a, b, in_span):
    """Everything of one group the checks need, from its rows."""
    k = g.k
    tau = g.tau()
    tx = [r for r in grs if is_tx(r) and in_span(r.iter_sched)]
    # iterations (user, iteration) -> their rows
    iters = {}
    for r in grs:
        if r.kind in ("step", "iteration"):
            it = iters.setdefault((r.user, r.iteration), {"sched": r.iter_sched, "planned": r.iter_planned,
                                                          "start": r.iter_start, "steps": 0, "cut": False,
                                                          "late": r.late, "overrun": r.overrun})
            if r.kind == "step":
                it["steps"] += 1
                if r.error_kind == "cutoff":
                    it["cut"] = True
                    it["cut_rows"] = it.get("cut_rows", 0) + 1
            elif r.error_kind == "cutoff":
                it["cut"] = True
    made = sum(1 for it in iters.values() if in_span(it["planned"]))
    sched_iters = sum(1 for it in iters.values() if in_span(it["sched"]))
    # retired users: their missed rows after the retired row are 'retired' (verdict.md)
    retired_at = {}
    for r in grs:
        if r.kind == "retired":
            retired_at[r.user] = min(r.t, retired_at.get(r.user, r.t))
    missed_behind = missed_retired = 0
    skipped = dropped = 0
    for r in grs:
        if not in_span(r.t):
            continue
        if r.kind == "missed":
            # reports.md: a `missed` row with `ok` false stands for `iteration` planned arrivals
            # (an arrival-rate group's block); a paced user's are one row each (`ok` true)
            n = max(1, r.iteration) if not r.ok else 1
            if r.user in retired_at and r.t >= retired_at[r.user]:
                missed_retired += n
            else:
                missed_behind += n
        elif r.kind == "skipped":
            skipped += 1
        elif r.kind == "dropped":
            dropped += 1
    drawn = made + missed_behind + missed_retired + skipped + dropped
    # verdict.md, C_g: an iteration is the generator's when it started more than tau_g after its
    # scheduled start, not after an overrun ("Details of the rules": an overrun's late start is
    # never the generator's, wherever it falls)
    def gen_late(it):
        return it["late"] > tau and not it["overrun"]

    # ... and at or after b: the generator never offered it in the span
    gen_late_iters = {key for key, it in iters.items()
                      if in_span(it["sched"]) and it["start"] >= b and gen_late(it)}
    gen_late_all = {key for key, it in iters.items() if in_span(it["sched"]) and gen_late(it)}
    # lost starts of the draw, in transactions (verdict.md "The drawn schedule, precisely")
    if g.open:
        # "Details of the rules": an arrival-rate group's `missed` rows are all the generator's
        # (arrivals it never started), never behind schedule
        behind = k * max(0, made - sched_iters)
        gen_missed = missed_behind + missed_retired
        missed_retired = 0
    else:
        behind = k * max(0, made + missed_behind - sched_iters)
        gen_missed = 0
    cut_rows = sum(1 for r in tx if r.error_kind == "cutoff")
    cut_iters = [it for key, it in iters.items() if it["cut"] and in_span(it["sched"])]
    cutoff = cut_rows + sum(max(0, k - it["steps"]) for it in cut_iters)
    # failures are lost starts too (verdict.md, "The drawn schedule, precisely": "failed (the
    # span's failures that are not cut-offs, less those lost on a stale connection), stale
    # connection")
    stale = sum(1 for r in tx if not r.ok and r.error_kind == "stale")
    failed = sum(1 for r in tx if not r.ok and r.error_kind != "cutoff") - stale
    lost = {
        "failed": failed,
        "stale_connection": stale,
        "behind_schedule": behind,
        "skipped": k * skipped,
        "dropped": k * dropped,
        "cutoff": cutoff,
        "retired": k * missed_retired,
        # an iteration both the generator's and cut off: its transactions are lost once, the cut
        # ones (recorded cut-offs and steps never sent) as cutoff, the rest as the generator's
        # ("Details of the rules": "A transaction the run lost two ways ... is counted once, as
        # `cutoff`"; Q17)
        # the iteration's successes only (verdict.md: "every success of an iteration started after
        # b and more than tau_g late ...: its failures are `failed`")
        "generator": k * gen_missed + sum(1 for r in tx if r.ok and (r.user, r.iteration) in gen_late_iters),
    }
    # achieved count C_g
    succ = [r for r in tx if r.ok]
    c_plain = sum(1 for r in succ if (r.user, r.iteration) not in gen_late_iters)
    # the target's backlog (paced and arrival-rate groups only: "a closed loop's users move
    # together, so its count in flight is all or nothing"): out_g = the span's successes in flight
    # at b, sent (`t`) before b and completed (`t + latency`) at or after b, their iteration
    # started in time (no more than tau_g late, or late after an overrun)
    out = sum(1 for r in succ if (r.user, r.iteration) not in gen_late_all and r.t < b <= r.t + r.lat)
    inflight = 0.0
    for r in grs:
        if is_tx(r):
            lo, hi = max(a, r.t), min(b, r.t + r.lat)
            if hi > lo:
                inflight += hi - lo
    lbar = inflight / (b - a)
    backlog_limit = backlog_bound(lbar)
    backlog = (not g.closed) and out > backlog_limit
    # the group's successes completed in [a, b) (whatever their scheduled start): C when the
    # target fell behind, shown always (what the target finished in the span)
    c_done = sum(1 for r in grs if is_tx(r) and r.ok and a <= r.t + r.lat < b)
    c = c_done if backlog else c_plain
    # a closed loop's sigma (pacing.md section 6): "the standard deviation of the group's
    # iteration durations measured in the run (every iteration row, start to end)", the
    # population one ("Details of the rules"; Q5)
    durs = [r.lat for r in grs if r.kind == "iteration"]
    iter_sd = None
    if len(durs) >= 1:
        m = sum(durs) / len(durs)
        iter_sd = math.sqrt(sum((x - m) ** 2 for x in durs) / len(durs))
    # "A group "started" the users it has `user_start` rows for."
    started_users = len({r.user for r in grs if r.kind == "user_start"})
    return {
        "tx": tx, "n_tx": len(tx), "successes": len(succ), "C": c, "C_plain": c_plain,
        "C_completed": c_done,
        "out": out, "lbar": lbar, "backlog_limit": backlog_limit, "backlog": backlog,
        "made": made, "sched_iters": sched_iters, "drawn": drawn, "lost": lost,
        "lost_total": sum(lost.values()), "started_users": started_users,
        "iter_sd": iter_sd, "gen_late_iterations": len(gen_late_iters), "generator_late": len(gen_late_all),
        "tau": tau,
    }


def poisson_tail(lam, c):
    """P(X >= c) for X ~ Poisson(lam), c >= 0."""
    if c <= 0:
        return 1.0
    p = math.exp(-lam)
    cdf = 0.0
    for i in range(c):
        cdf += p
        p *= lam / (i + 1)
    # the upper tail summed directly where 1 - cdf would lose its digits
    if cdf > 0.999:
        tail, q, i = 0.0, p, c
        while q > 1e-300 and (i < c + 10 or q > tail * 1e-17):
            tail += q
            i += 1
            q *= lam / i
        return tail
    return 1.0 - cdf


def backlog_bound(lbar):
    """verdict.md, the target's backlog: a backlog when out_g is more than a steady pipeline of
    mean L carries but for a chance of 1 in 10,000: out_g > c for X ~ Poisson(L) (L <= 100),
    out_g > L + 3.72 sqrt(L) + 1 (L > 100). c is read from the docs' worked values (L = 0.302:
    c = 4; L = 2.4: c = 10), the smallest c with P(X > c) <= 1e-4 (= the largest c with
    P(X >= c) > 1e-4), as verdict.md now words it: QUESTIONS.md Q19."""
    if lbar > 100:
        return lbar + 3.72 * math.sqrt(lbar) + 1
    c = 0
    while poisson_tail(lbar, c + 1) > 1e-4:
        c += 1
    return c


def throughput_check(plan, groups, gstats, z, gname):
    """verdict.md's throughput row, for the plan (gname None) or one group."""
    mean = sum((gstats[g.name]["mean"] for g in groups), Fraction(0))
    var = sum(gstats[g.name]["var"] for g in groups)
    exact = all(gstats[g.name]["band_exact"] for g in groups)
    sd = math.sqrt(var)
    step = max(g.k for g in groups)
    C = sum(gstats[g.name]["C"] for g in groups)
    lost = sum(gstats[g.name]["lost_total"] for g in groups)
    # the draw
    draw = Fraction(0)
    closed_var = 0.0
    taken = True
    why_not = None
    for g in groups:
        st = gstats[g.name]
        if g.closed:
            draw += st["mean"]
            closed_var += st["var"]
            continue
        kd = g.k * st["drawn"]
        draw += kd
        if g.paced and st["started_users"] != g.users:
            taken, why_not = False, f"group {g.name}: {st['started_users']} users started of {g.users}"
        if abs(kd - float(st["mean"])) > 6 * math.sqrt(st["var"]) + g.k / 2:
            taken, why_not = False, f"group {g.name}: draw {kd} vs mean {float(st['mean'])}"
    nums = {"C": C, "expected": float(mean), "sd": sd, "draw": float(draw), "draw_taken": taken,
            "lost": lost, "lost_by": {}}
    for g in groups:
        for kk, v in gstats[g.name]["lost"].items():
            if v:
                nums["lost_by"][kk] = nums["lost_by"].get(kk, 0) + v
    if why_not:
        nums["draw_not_taken"] = why_not
    if plan.tolerance is None:
        hw = z * sd + step / 2
        low, high = max(0.0, float(mean) - hw), float(mean) + hw
        dhw = 0.5 + z * math.sqrt(closed_var)
        d_lo, d_hi = float(draw) - dhw, float(draw) + dhw
        allowance = 0.5
        nums.update(low=low, high=high)
    else:
        f = plan.tolerance
        # "Details of the rules": the band is expected·(1 ± f); the starts lost may be at most
        # f·expected; a count judged against its draw D must lie within D ± f·expected
        low, high = mean * (1 - f), mean * (1 + f)
        d_lo, d_hi = draw - f * mean, draw + f * mean
        allowance = mean * f
        nums.update(low=float(low), high=float(high), tolerance=float(f))
    # "Percentages are exact": the expected count is a float from decimals, so every comparison
    # with a band's or a draw's edge, and the lost starts' with their allowance, takes a value
    # within 1e-12 (relative) of the edge as on it (the judge's edges are exact fractions where
    # the docs make them so; the slack only matters for a value on an edge)
    inband = at_least(C, low) and at_most(C, high)
    side_c = -1 if not at_least(C, low) else (1 if not at_most(C, high) else 0)
    side_d = -1 if not at_least(draw, low) else (1 if not at_most(draw, high) else 0)
    by_draw = at_least(C, d_lo) and at_most(C, d_hi)
    lost_ok = at_most(lost, allowance)
    count_ok = inband or (taken and side_c != 0 and side_c == side_d and by_draw)
    nums.update(inband=inband, count_ok=count_ok, lost_ok=lost_ok)
    return {"key": "throughput" + (f"|group={gname}" if gname else ""), "stat": "throughput",
            "group": gname, "step": None, "exact": exact, "pass": bool(count_ok and lost_ok),
            "numbers": nums}


EDGE = Fraction(1, 10**12)


def at_most(x, edge):
    """x <= edge, a value within 1e-12 (relative) of the edge taken as on it (verdict.md,
    "Percentages are exact")."""
    x, edge = Fraction(x), Fraction(edge)
    return x <= edge or abs(x - edge) <= EDGE * abs(edge)


def at_least(x, edge):
    x, edge = Fraction(x), Fraction(edge)
    return x >= edge or abs(x - edge) <= EDGE * abs(edge)


def latency_check(txs, stat, limit, gname, sname, lof):
    """verdict.md: n transactions, `within` of them finished in at most the limit."""
    N = len(txs)
    if lof == "ok":
        pool = [r for r in txs if r.ok]
    else:
        pool = txs
    n = len(pool)
    within = 0
    for r in pool:
        if not r.ok and r.error_kind in ("timeout", "cutoff"):
            continue
        if r.lat_frac() <= limit:
            within += 1
    if stat == "max":
        ok = n > 0 and within == n
    else:
        Q = PERCENTILES[stat]
        ok = n > 0 and 100 * within >= Q * n
    nums = {"n": n, "within": within, "limit_s": float(limit), "limit": str(limit)}
    if lof == "ok":
        u = sum(1 for r in txs if not r.ok and r.error_kind in ("timeout", "cutoff"))
        if stat == "max":
            u_ok = u == 0
        else:
            u_ok = 100 * u <= (100 - PERCENTILES[stat]) * N
        ok = ok and u_ok
        nums.update(N=N, left_out_timeouts=u, left_out=N - n)
    key = stat + (f"|group={gname}" if gname else "") + (f"|step={sname}" if sname else "")
    return {"key": key, "stat": stat, "group": gname, "step": sname, "exact": True,
            "pass": bool(ok), "numbers": nums, "latency_of": lof}


def error_rate_check(txs, limit, gname, sname, lof):
    n = len(txs)
    failed = sum(1 for r in txs if not r.ok)
    ok = n > 0 and Fraction(failed) <= limit * n
    key = "error_rate" + (f"|group={gname}" if gname else "") + (f"|step={sname}" if sname else "")
    return {"key": key, "stat": "error_rate", "group": gname, "step": sname, "exact": True,
            "pass": bool(ok),
            "numbers": {"n": n, "failed": failed, "limit": f"{limit.numerator}/{limit.denominator}"}}


# ---------------------------------------------------------------- stairs

def planned_rate(plan):
    """The plan's rate in transactions per second, exactly: users·k/interval (paced), rate·k
    (arrival rate), users·k/cycle (closed loop with target.response_time)."""
    tot = Fraction(0)
    for g in plan.groups:
        if g.open:
            tot += g.rate * g.k
        elif g.mu is not None:
            tot += Fraction(g.users * g.k) / Fraction(g.mu)
    return tot


def judge_stair(folder, plan, complete):
    levels = sorted(d for d in os.listdir(folder)
                    if d.startswith("level-") and os.path.isdir(os.path.join(folder, d)))
    st = plan.stairs or {}
    stop_rules = st.get("stop", ["thresholds", "retrograde", "rate"])
    min_rate = percentage(st.get("min_rate", "90%"))
    planned = len(st.get("users", st.get("rates", [])))
    out = {"levels": [], "stair": {}}
    prev = None
    stopped = None
    all_pass = True
    for d in levels:
        lp = Plan(os.path.join(folder, d, "plan.toml"))
        rows = read_samples(os.path.join(folder, d, "samples.csv"))
        lcomplete, lstop = run_state(os.path.join(folder, d))
        r = judge_run(lp, rows, lcomplete, lstop)
        r["dir"] = d
        a, b = r["span"]
        a_, b_ = span_of(lp)[:2]
        C = sum(g["C"] for g in r["groups"].values())
        X = C / (b - a)
        exp_x = sum(float(g["mean"]) for g in r["groups"].values()) / (b - a)
        r["X"], r["expected_X"] = X, exp_x
        out["levels"].append(r)
        if r["verdict"] != "PASS":
            all_pass = False
        fired = None
        for rule in stop_rules:
            if rule == "thresholds":
                # "fires on any failed row of the level but `throughput`"
                if any(not c["pass"] for c in r["checks"] if c["stat"] != "throughput"):
                    fired = rule
            elif rule == "retrograde" and prev is not None:
                px, pn, pw = prev
                tol = max(0.02 * px, 2 * math.sqrt(pn / pw ** 2 + C / (b - a) ** 2))
                if X < px - tol:
                    fired = rule
            elif rule == "rate" and lp.has_rate():
                # X·D < P·expected for min_rate = P/D, expected the level's planned rate
                if Fraction(C) / (Fraction(b_) - Fraction(a_)) < min_rate * planned_rate(lp):
                    fired = rule
            if fired:
                break
        prev = (X, C, b - a)
        if fired:
            stopped = {"level": len(out["levels"]), "rule": fired}
            break
    out["stair"]["stopped"] = stopped
    out["stair"]["levels_run"] = len(out["levels"])
    out["stair"]["levels_planned"] = planned
    if not complete or any(lv["verdict"] == "INCOMPLETE" for lv in out["levels"]):
        v = "INCOMPLETE"
    elif stopped or not all_pass or len(out["levels"]) < planned:
        if all(lv["verdict"] == "NO CHECKS" for lv in out["levels"]) and not stopped:
            v = "NO CHECKS"
        else:
            v = "FAIL"
    else:
        v = "PASS"
    out["verdict"] = v
    return out


# ---------------------------------------------------------------- main

def judge_folder(folder, plan_path=None, complete=None, rows=None):
    plan = Plan(plan_path or os.path.join(folder, "plan.toml"))
    state, stopped_at = run_state(folder)
    if complete is None:
        complete = state
    if plan.stairs is not None:
        return judge_stair(folder, plan, complete)
    if rows is None:
        rows = read_samples(os.path.join(folder, "samples.csv"))
    return judge_run(plan, rows, complete, stopped_at)


def main(argv):
    args = argv[1:]
    plan_path = None
    complete = None
    folder = None
    while args:
        x = args.pop(0)
        if x == "--plan":
            plan_path = args.pop(0)
        elif x == "--complete":
            complete = True
        elif x == "--incomplete":
            complete = False
        elif folder is None:
            folder = x
        else:
            sys.exit(f"judge.py: unexpected argument {x!r}")
    if folder is None:
        sys.exit(__doc__)
    try:
        res = judge_folder(folder, plan_path, complete)
    except (PlanError, KeyError, OSError, tomllib.TOMLDecodeError) as e:
        print(json.dumps({"verdict": "ERROR", "error": f"{type(e).__name__}: {e}"}))
        return 2
    print(json.dumps(res, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
