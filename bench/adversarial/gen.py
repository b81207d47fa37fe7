#!/usr/bin/env python3
"""The seeded scenario generator of the adversarial study.

    gen.py --seed S --n N [--compat old|new]     one scenario per line (JSON) on stdout
    gen.py --seed S --show I                     scenario I of seed S, with its plan as TOML

A scenario is one short run (3-8 s): a plan (pacing modes fixed, uniform,
beta, exponential, after-end, none, arrival-rate; one to three groups of
1-3 steps; ramp-up or not; stairs now and then; thresholds at plan, group
and step level; step timeouts) against a target (pace's embedded target,
or a loopback server of servers/behave.py: hangs, error bursts, stalls,
warm-up, slow drift, idle-closing keep-alive), with the class it should
get: healthy (PASS) or degraded (FAIL, with the injected fault's cause
first when the fault is a throughput shortfall).

After the run, `variants()` makes the re-judge scenarios: the same results
folder judged by `pace verify RESULTS --plan OTHER.toml` with thresholds
at, just below and just above the achieved value (computed by the judge's
semantics from the run's samples), where OTHER.toml differs from the plan
only in its [acceptance] tables.

`--compat old` keeps to the keys the old pace knows (no [group.acceptance],
[group.step.acceptance], latency_of, scope, no stale-connection scenario).
"""

import argparse
import copy
import json
import math
import os
import random
import sys
from decimal import Decimal
from fractions import Fraction

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import judge  # noqa: E402  (the semantics: used to find the achieved values)

STATS = ["p50", "p80", "p90", "p95", "p99", "max"]


# ------------------------------------------------------------------ TOML out

def tv(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, (float, Decimal)):
        return str(v)
    if isinstance(v, Fraction):
        return dec_str(v)
    if isinstance(v, str):
        return json.dumps(v)
    if isinstance(v, list):
        return "[" + ", ".join(tv(x) for x in v) + "]"
    raise TypeError(v)


def to_toml(plan):
    """plan: {'target': {...,'embedded': {...}}, 'run': {...,'stairs': {...}},
    'group': [{..., 'pacing': {...}, 'acceptance': {...}, 'step': [{..., 'acceptance': {...}}]}],
    'acceptance': {...}}"""
    out = []

    def scalars(d):
        for k, v in d.items():
            if not isinstance(v, (dict, list)) or (isinstance(v, list) and (not v or not isinstance(v[0], dict))):
                out.append(f"{k} = {tv(v)}")

    for top in ("target", "run"):
        if top in plan:
            out.append(f"[{top}]")
            scalars(plan[top])
            for sub in ("embedded", "stairs"):
                if sub in plan[top]:
                    out.append(f"[{top}.{sub}]")
                    scalars(plan[top][sub])
            out.append("")
    for g in plan["group"]:
        out.append("[[group]]")
        scalars(g)
        out.append("[group.pacing]")
        scalars(g["pacing"])
        for s in g.get("step", []):
            out.append("[[group.step]]")
            scalars(s)
            if s.get("acceptance"):
                out.append("[group.step.acceptance]")
                scalars(s["acceptance"])
        if g.get("acceptance"):
            out.append("[group.acceptance]")
            scalars(g["acceptance"])
        out.append("")
    if plan.get("acceptance"):
        out.append("[acceptance]")
        scalars(plan["acceptance"])
    return "\n".join(out) + "\n"


def dec_str(x, places=12):
    """A Fraction as a decimal string: exact when it terminates within `places`."""
    x = Fraction(x)
    for p in range(places + 1):
        y = x * 10 ** p
        if y.denominator == 1:
            s = str(Decimal(y.numerator).scaleb(-p))
            return s if "E" not in s else format(Decimal(y.numerator).scaleb(-p), "f")
    q = Decimal(x.numerator) / Decimal(x.denominator)
    return format(q.quantize(Decimal(1).scaleb(-places)), "f")


def ms(x):
    """milliseconds (number) -> "NNNms" text, exact to the µs."""
    return dec_str(Fraction(x).limit_denominator(1000) if not isinstance(x, Fraction) else x, 3) + "ms"


# ------------------------------------------------------------------ plan pieces

def group_rate(g, rt_s=None):
    """Transactions per second the group makes (Fraction)."""
    k = max(1, len(g.get("step", [])))
    p = g["pacing"]
    mode = p["mode"]
    if mode == "arrival-rate":
        return judge.rate(p["rate"]) * k
    if mode in judge.PACED:
        if mode == "uniform" and "interval" not in p:
            mu = (judge.duration(p["min"]) + judge.duration(p["max"])) / 2
        else:
            mu = judge.duration(p["interval"])
        return Fraction(g["users"] * k) / mu
    think = sum((judge.think_mean(s.get("think")) for s in g.get("step", [])), Fraction(0))
    delay = judge.duration(p["delay"]) if mode == "after-end" else Fraction(0)
    return Fraction(g["users"] * k) / (k * rt_s + think + delay)


def pacing_of(rng, mode, interval_ms, min_floor_ms):
    """A [group.pacing] of `mode` whose mean is interval_ms and shortest interval >= min_floor_ms."""
    I = Fraction(interval_ms)
    if mode == "fixed":
        return {"mode": "fixed", "interval": ms(I)}
    if mode == "uniform":
        half = min(I - min_floor_ms, I * Fraction(rng.choice([2, 3, 4]), 10))
        half = max(Fraction(0), Fraction(int(half)))
        return {"mode": "uniform", "min": ms(I - half), "max": ms(I + half), "interval": ms(I)}
    if mode == "beta":
        lo = max(Fraction(min_floor_ms), I * Fraction(rng.choice([4, 5, 6]), 10))
        lo = Fraction(int(lo))
        hi = I * rng.choice([2, 3])
        p = {"mode": "beta", "min": ms(lo), "max": ms(hi), "interval": ms(I)}
        if rng.random() < 0.3:
            p["alpha"] = Decimal(rng.choice(["1.5", "2", "3"]))
        return p
    if mode == "exponential":
        lo = Fraction(int(max(Fraction(min_floor_ms), I * Fraction(rng.choice([2, 3, 5]), 10))))
        return {"mode": "exponential", "min": ms(lo), "interval": ms(I)}
    raise ValueError(mode)


def steps_for(rng, k, base, timeout_ms=None, method=None, suffixes=None):
    out = []
    names = ["home", "search", "cart", "pay", "login", "item"]
    rng.shuffle(names)
    for i in range(k):
        s = {"name": f"{names[i]}", "url": base + "/" + (suffixes[i] if suffixes else f"p{i}")}
        if method:
            s["method"] = method
        if timeout_ms is not None:
            s["timeout"] = ms(timeout_ms)
        out.append(s)
    return out


def lognormal(rng, lo, hi):
    med = rng.randint(lo, hi)
    sigma = rng.choice(["0.1", "0.2", "0.3"])
    return f"lognormal:{med}ms,{sigma}", med


def add_rate(plan, rt_s=None, p_rate=0.75, rng=None):
    """Write the plan's target rate (the groups' sum) now and then; needs rt for closed groups."""
    tot = Fraction(0)
    for g in plan["group"]:
        tot += group_rate(g, rt_s)
    if rt_s is not None:
        plan.setdefault("target", {})["response_time"] = ms(rt_s * 1000)
    if rng is None or rng.random() < p_rate:
        if tot.denominator == 1 or (tot * 60).denominator != 1:
            plan.setdefault("target", {})["tps"] = Decimal(dec_str(tot, 9))
        else:
            plan.setdefault("target", {})["tpm"] = int(tot * 60)
    return tot


def run_table(rng, dur_s=None, ramp=None, grace_s=None):
    dur = dur_s if dur_s is not None else rng.choice([3, 3.5, 4, 4.5, 5])
    r = {"duration": f"{dur}s", "grace": f"{grace_s if grace_s is not None else rng.choice([1, 1.5, 2])}s"}
    if ramp is None:
        ramp = rng.choice([0, 0, 0.5, 1])
    if ramp:
        r["ramp_up"] = f"{ramp}s"
    return r, dur, ramp


# ------------------------------------------------------------------ templates

def healthy_groups(rng, base, ngroups, modes, lat_med_ms, compat):
    groups = []
    names = ["web", "api", "shop", "admin", "mobile"]
    rng.shuffle(names)
    for i in range(ngroups):
        mode = rng.choice(modes)
        k = rng.randint(1, 3)
        it_ms = k * lat_med_ms * 3 + 5  # an iteration's time, generously
        g = {"name": names[i], "users": rng.randint(2, 8)}
        if mode == "arrival-rate":
            rate_s = rng.choice([5, 8, 10, 16, 20, 25])
            pool = max(2, int(rate_s * it_ms / 1000 * 4) + 2)
            g["users"] = pool
            g["pacing"] = {"mode": "arrival-rate", "rate": f"{rate_s}/s"}
        elif mode == "after-end":
            g["pacing"] = {"mode": "after-end", "delay": ms(rng.choice([100, 150, 200]))}
        elif mode == "none":
            g["pacing"] = {"mode": "none"}
        else:
            interval = rng.choice([100, 150, 200, 250, 300, 400, 500])
            interval = max(interval, int(it_ms * 6))
            g["pacing"] = pacing_of(rng, mode, interval, it_ms * 3)
        g["step"] = steps_for(rng, k, base)
        if mode == "none":
            g["step"][-1]["think"] = ms(rng.choice([100, 150, 200]))
        groups.append(g)
    return groups


def thresholds_generous(rng, plan, lat_med_ms, compat, p=0.6):
    """Healthy-sized thresholds (far above a healthy target), sometimes, at any level."""
    if rng.random() > p:
        return
    lim = int(lat_med_ms * 8 + 40)
    acc = plan.setdefault("acceptance", {})
    acc[rng.choice(STATS[:5])] = ms(lim)
    if rng.random() < 0.5:
        acc["error_rate"] = rng.choice(["1%", "2%", Decimal("0.01"), "0.5%"])
    if not compat:
        g = rng.choice(plan["group"])
        if rng.random() < 0.5:
            g["acceptance"] = {rng.choice(STATS): ms(lim * 2)}
        if rng.random() < 0.5:
            s = rng.choice(g["step"])
            s["acceptance"] = {rng.choice(STATS[:5]): ms(lim), "error_rate": "5%"}


def t_healthy_embedded(rng, compat):
    lat, med = lognormal(rng, 2, 10)
    base = "${PACE_TARGET}"
    ng = rng.choice([1, 1, 2, 2, 3])
    groups = healthy_groups(rng, base, ng, ["fixed", "uniform", "beta", "exponential", "arrival-rate"], med, compat)
    run, dur, ramp = run_table(rng)
    plan = {"target": {"embedded": {"latency": lat, "seed": rng.randint(1, 10**6)}}, "run": run, "group": groups}
    add_rate(plan, p_rate=0.7, rng=rng)
    thresholds_generous(rng, plan, med, compat)
    return plan, None, ("healthy", "PASS", None)


def t_healthy_closed(rng, compat):
    """after-end / none groups: thresholds only (no rate), or a rate with response_time."""
    lat, med = lognormal(rng, 3, 8)
    base = "${PACE_TARGET}"
    groups = []
    for i in range(rng.choice([1, 2])):
        mode = rng.choice(["after-end", "none", "fixed"])
        k = rng.randint(1, 2)
        g = {"name": ["a", "b"][i], "users": rng.randint(1, 4)}
        if mode == "after-end":
            g["pacing"] = {"mode": "after-end", "delay": ms(rng.choice([100, 200, 300]))}
        elif mode == "none":
            g["pacing"] = {"mode": "none"}
        else:
            g["pacing"] = {"mode": "fixed", "interval": ms(rng.choice([200, 300]))}
        g["step"] = steps_for(rng, k, base)
        if mode == "none":
            g["step"][-1]["think"] = ms(rng.choice([100, 150, 200]))
        groups.append(g)
    run, dur, ramp = run_table(rng)
    plan = {"target": {"embedded": {"latency": lat, "seed": rng.randint(1, 10**6)}}, "run": run, "group": groups}
    plan["acceptance"] = {rng.choice(STATS[:5]): ms(med * 8 + 40)}
    if rng.random() < 0.3:
        # a rate with the measured-ish response time (pacing.md section 6, a closed loop)
        add_rate(plan, rt_s=Fraction(med + 1, 1000), p_rate=1.0)
    elif rng.random() < 0.3 and any(g["pacing"]["mode"] in ("after-end", "none") for g in groups):
        # Pyak47's own shape: ramp-up as long as the run, an empty window: every check over the
        # whole run, no band (verdict.md, "The span"). Only where a closed group leaves the plan
        # without a rate: a plan with a rate (every group paced) is refused so. (The draw comes
        # first, so the other scenarios of a seed stay as they were.)
        run["ramp_up"] = run["duration"]
    return plan, None, ("healthy", "PASS", None)


def t_healthy_capacity(rng, compat):
    """A target with workers well above the load."""
    plan, _, exp = t_healthy_embedded(rng, compat)
    emb = plan["target"]["embedded"]
    emb["latency"] = f"{rng.randint(2, 6)}ms"
    emb["workers"] = rng.choice([8, 16])
    emb["queue"] = 200
    return plan, None, exp


def t_stair_healthy(rng, compat):
    lat = f"{rng.randint(2, 6)}ms"
    base = "${PACE_TARGET}"
    k = rng.randint(1, 2)
    mode = rng.choice(["fixed", "after-end", "arrival-rate"])
    g = {"name": "s", "users": 2, "step": steps_for(rng, k, base)}
    plan = {"target": {"embedded": {"latency": lat}},
            "run": {"grace": "1s", "stairs": {"hold": rng.choice(["1.5s", "2s"]), "ramp": "300ms"}},
            "group": [g]}
    if mode == "arrival-rate":
        g["users"] = 20
        g["pacing"] = {"mode": "arrival-rate", "rate": "10/s"}
        plan["run"]["stairs"]["rates"] = ["5/s", "10/s", "20/s"]
        add_rate(plan, p_rate=0.8, rng=rng)
    elif mode == "fixed":
        g["pacing"] = {"mode": "fixed", "interval": "100ms"}
        plan["run"]["stairs"]["users"] = [1, 2, 4]
        add_rate(plan, p_rate=0.8, rng=rng)
    else:
        g["pacing"] = {"mode": "after-end", "delay": "80ms"}
        plan["run"]["stairs"]["users"] = [1, 2, 4]
    plan["acceptance"] = {"p95": "100ms"}
    return plan, None, ("healthy", "PASS", None)


def t_stair_capacity(rng, compat):
    """Open stair past a worker pool's capacity: a level must fail."""
    plan = {"target": {"embedded": {"latency": "20ms", "workers": 1, "queue": 500}},
            "run": {"grace": "2s", "stairs": {"hold": "1.5s", "ramp": "200ms", "rates": ["20/s", "40/s", "90/s"],
                                              "stop": rng.choice([["thresholds", "retrograde", "rate"], []])}},
            "group": [{"name": "o", "users": 200, "pacing": {"mode": "arrival-rate", "rate": "20/s"},
                       "step": steps_for(rng, 1, "${PACE_TARGET}")}]}
    add_rate(plan, p_rate=1.0)
    if rng.random() < 0.5:
        plan["acceptance"] = {"p95": "150ms"}
    return plan, None, ("degraded", "FAIL", None)


def t_errors(rng, compat):
    plan, _, _ = t_healthy_embedded(rng, compat)
    # large enough to leave any band: failures inside a random pacing's band pass (with a note)
    plan["target"]["embedded"]["error_rate"] = rng.choice(["25%", "30%", "40%"])
    if rng.random() < 0.5:
        plan["target"]["embedded"]["error_status"] = rng.choice([500, 503, 404])
    plan.setdefault("target", {})
    if "tps" not in plan["target"] and "tpm" not in plan["target"]:
        add_rate(plan, p_rate=1.0)
    return plan, None, ("degraded", "FAIL", "failed")


def paced_group(rng, name, base, k, interval_ms, mode=None, users=None):
    mode = mode or rng.choice(["fixed", "uniform"])
    g = {"name": name, "users": users or rng.randint(3, 6),
         "pacing": pacing_of(rng, mode, interval_ms, interval_ms * Fraction(6, 10)),
         "step": steps_for(rng, k, base)}
    return g


def t_slow(rng, compat, late="drift"):
    k = rng.randint(1, 2)
    interval = rng.choice([200, 300])
    lat_ms = int(interval / k * rng.choice([1.5, 2, 3]))
    plan = {"target": {"embedded": {"latency": f"lognormal:{lat_ms}ms,0.1", "seed": rng.randint(1, 10**6)}},
            "run": run_table(rng)[0], "group": [paced_group(rng, "slow", "${PACE_TARGET}", k, interval, "fixed")]}
    if late == "drift" and rng.random() < 0.3:
        late = "catch-up"  # the absolute schedule kept, the debt never repaid: still behind
    if late != "drift":
        plan["group"][0]["pacing"]["late"] = late
    add_rate(plan, p_rate=0.8, rng=rng)
    return plan, None, ("degraded", "FAIL", "skipped" if late == "skip" else "behind_schedule")


def t_skip(rng, compat):
    return t_slow(rng, compat, late="skip")


def t_pool(rng, compat):
    rate_s = rng.choice([20, 30, 40])
    lat_ms = rng.choice([150, 200])
    pool = max(1, int(rate_s * lat_ms / 1000 / 3))
    plan = {"target": {"embedded": {"latency": f"{lat_ms}ms"}}, "run": run_table(rng)[0],
            "group": [{"name": "open", "users": pool, "pacing": {"mode": "arrival-rate", "rate": f"{rate_s}/s"},
                       "step": steps_for(rng, 1, "${PACE_TARGET}")}]}
    add_rate(plan, p_rate=0.8, rng=rng)
    return plan, None, ("degraded", "FAIL", "dropped")


def t_after_end_slow(rng, compat):
    k = rng.randint(1, 2)
    rt_ms = rng.choice([10, 20])
    real = rt_ms * rng.choice([4, 6])
    plan = {"target": {"embedded": {"latency": f"{real}ms"}}, "run": run_table(rng)[0],
            "group": [{"name": "ae", "users": rng.randint(2, 5),
                       "pacing": {"mode": "after-end", "delay": ms(rng.choice([100, 200]))},
                       "step": steps_for(rng, k, "${PACE_TARGET}")}]}
    add_rate(plan, rt_s=Fraction(rt_ms, 1000), p_rate=1.0)
    return plan, None, ("degraded", "FAIL", "slow_iterations")


def t_group_fault(rng, compat):
    """One group's step misbehaves through the embedded target's query parameters."""
    lat, med = lognormal(rng, 2, 6)
    groups = healthy_groups(rng, "${PACE_TARGET}", rng.choice([2, 3]),
                            ["fixed", "uniform", "arrival-rate"], med, compat)
    bad = rng.choice(groups)
    step = rng.choice(bad["step"])
    kind = rng.choice(["errors", "slow"])
    if kind == "errors":
        step["url"] += "?error_rate=" + rng.choice(["50%", "70%"])
        cause = "failed"
    else:
        # slower than its pacing
        if bad["pacing"]["mode"] == "arrival-rate":
            step["url"] += "?error_rate=40%"
            cause = "failed"
        else:
            iv = judge.duration(bad["pacing"].get("interval") or bad["pacing"]["max"])
            step["url"] += f"?latency={int(iv * 1000 * 2)}ms"
            cause = "behind_schedule"
    run, _, _ = run_table(rng)
    plan = {"target": {"embedded": {"latency": lat, "seed": rng.randint(1, 10**6)}}, "run": run, "group": groups}
    add_rate(plan, p_rate=0.8, rng=rng)
    plan["_fault_group"] = bad["name"]
    return plan, None, ("degraded", "FAIL", cause)


def t_threshold_only(rng, compat):
    """A healthy throughput, one step slower than its latency promise: FAIL on that check."""
    lat, med = lognormal(rng, 2, 5)
    groups = healthy_groups(rng, "${PACE_TARGET}", rng.choice([1, 2]), ["fixed", "after-end", "arrival-rate"], med, compat)
    for g in groups:
        if g["pacing"]["mode"] == "after-end":
            g["pacing"] = {"mode": "after-end", "delay": "150ms"}
    g = rng.choice(groups)
    s = rng.choice(g["step"])
    s["url"] += "?latency=60ms"
    run, _, _ = run_table(rng)
    plan = {"target": {"embedded": {"latency": lat}}, "run": run, "group": groups}
    if compat:
        plan["acceptance"] = {"max": "45ms"}
    else:
        where = rng.choice(["plan", "group", "step"])
        if where == "plan":
            plan["acceptance"] = {"max": "45ms"}
        elif where == "group":
            g["acceptance"] = {"max": "45ms"}
        else:
            s["acceptance"] = {rng.choice(["p50", "p95", "max"]): "45ms"}
    return plan, None, ("degraded", "FAIL", None)


def server(mode, **kw):
    return {"mode": mode, "args": kw}


def t_timeouts(rng, compat):
    """A share of requests never answered: step timeouts (a PASS with a quarter timed out, case 1)."""
    to = rng.choice([100, 200, 300])
    k = rng.randint(1, 2)
    interval = 500 * k  # a whole number of intervals in the window: the band is exact
    g = paced_group(rng, "t", "{BASE}", k, interval, "fixed")
    for s in g["step"]:
        s["timeout"] = ms(to)
    plan = {"run": run_table(rng, dur_s=4, ramp=rng.choice([0, 1]))[0], "group": [g]}
    add_rate(plan, p_rate=0.8, rng=rng)
    if rng.random() < 0.5:
        plan["acceptance"] = {rng.choice(["p95", "p90", "max"]): ms(to + 50)}
    return plan, server("hang", latency=3, p=rng.choice([0.25, 0.35])), ("degraded", "FAIL", "failed")


def t_burst(rng, compat):
    run, dur, ramp = run_table(rng, dur_s=rng.choice([4, 5]), ramp=rng.choice([0, 0.5]))
    g = paced_group(rng, "b", "{BASE}", rng.randint(1, 2), rng.choice([100, 200]), rng.choice(["fixed", "uniform"]))
    plan = {"run": run, "group": [g]}
    add_rate(plan, p_rate=0.8, rng=rng)
    t1 = ramp + 1
    return plan, server("burst", latency=3, **{"from": t1, "to": t1 + 1.0}), ("degraded", "FAIL", "failed")


def t_stall(rng, compat):
    run, dur, ramp = run_table(rng, dur_s=rng.choice([4, 5]), ramp=0)
    g = paced_group(rng, "st", "{BASE}", 1, rng.choice([100, 200]), "fixed")
    plan = {"run": run, "group": [g]}
    add_rate(plan, p_rate=0.8, rng=rng)
    return plan, server("stall", latency=3, **{"from": 1.0, "to": 2.3}), ("degraded", "FAIL", "behind_schedule")


def t_drift(rng, compat):
    run, dur, ramp = run_table(rng, dur_s=5, ramp=0)
    interval = rng.choice([150, 200])
    g = paced_group(rng, "dr", "{BASE}", 1, interval, "fixed")
    plan = {"run": run, "group": [g]}
    add_rate(plan, p_rate=0.8, rng=rng)
    slope = interval * 2.5 / dur  # ms per s: 2.5 pacings late by the end
    return plan, server("drift", latency=3, slope=slope), ("degraded", "FAIL", "behind_schedule")


def t_endhang(rng, compat):
    run, dur, ramp = run_table(rng, dur_s=rng.choice([3, 4]), ramp=0, grace_s=1)
    rate_s = rng.choice([10, 20])
    g = {"name": "eh", "users": 60, "pacing": {"mode": "arrival-rate", "rate": f"{rate_s}/s"},
         "step": steps_for(rng, 1, "{BASE}", timeout_ms=30000)}
    plan = {"run": run, "group": [g]}
    add_rate(plan, p_rate=0.8, rng=rng)
    return plan, server("endhang", latency=3, after=dur - 0.6), ("degraded", "FAIL", "cutoff")


def t_backlog(rng, compat):
    rate_s = rng.choice([60, 80])
    S = 20  # ms service time; capacity = workers / S
    workers = max(1, int(rate_s * 0.7 * S / 1000))
    plan = {"target": {"embedded": {"latency": f"{S}ms", "workers": workers, "queue": 2000}},
            "run": {"duration": "3s", "grace": "4s"},
            "group": [{"name": "q", "users": 600, "pacing": {"mode": "arrival-rate", "rate": f"{rate_s}/s"},
                       "step": steps_for(rng, 1, "${PACE_TARGET}")}]}
    add_rate(plan, p_rate=0.8, rng=rng)
    return plan, None, ("degraded", "FAIL", "backlog")


def t_warmup(rng, compat):
    """A slow first second, inside the ramp-up: the window judges only the warm target."""
    run, dur, ramp = run_table(rng, dur_s=rng.choice([4, 5]), ramp=1.5)
    med = 3
    g = paced_group(rng, "w", "{BASE}", rng.randint(1, 2), 400, rng.choice(["fixed", "uniform"]))
    plan = {"run": run, "group": [g], "acceptance": {"p95": "50ms"}}
    add_rate(plan, p_rate=0.8, rng=rng)
    cls = ("healthy", "PASS", None)
    if not compat and rng.random() < 0.4:
        plan["acceptance"]["scope"] = "run"
        cls = ("degraded", "FAIL", None)
    return plan, server("warmup", latency=med, slow=150, until=1.0), cls


def t_idleclose(rng, compat):
    """Idle-closing keep-alive racing pace's next request (keepalive-idle-close-race)."""
    interval = rng.choice([200, 250])
    lat = 10
    method = "GET" if compat or rng.random() < 0.6 else "POST"
    g = {"name": "ka", "users": rng.randint(4, 8), "pacing": {"mode": "fixed", "interval": ms(interval)},
         "step": steps_for(rng, 1, "{BASE}", method=method)}
    plan = {"run": run_table(rng, dur_s=4)[0], "group": [g]}
    add_rate(plan, p_rate=0.8, rng=rng)
    idle = interval - lat - rng.choice([1.0, 1.5, 2.0, 2.5])
    if method == "GET":
        # the real race (by chance, 0-3 times a run), or the same made certain: a share of the
        # requests on a reused connection read and the connection closed unanswered (retried)
        if compat or rng.random() < 0.5:  # the old pace never retries: only the real race
            return plan, server("idleclose", latency=lat, idle=idle), ("healthy", "PASS", None)
        return plan, server("reuseclose", latency=lat, p=rng.choice([0.1, 0.3, 0.5])), ("healthy", "PASS", None)
    # a POST so lost is a stale error: made certain (the race alone happens 0-3 times a run,
    # and a run where it did not happen is not degraded)
    return plan, server("reuseclose", latency=lat, p=rng.choice([0.2, 0.3, 0.5])), \
        ("degraded", "FAIL", "stale_connection")


def t_overload_open(rng, compat):
    plan = {"target": {"embedded": {"latency": "0ms"}}, "run": {"duration": "2s", "grace": "1s"},
            "group": [{"name": "flood", "users": 2000,
                       "pacing": {"mode": "arrival-rate", "rate": rng.choice(["200000/s", "500000/s"])},
                       "step": steps_for(rng, 1, "${PACE_TARGET}")}]}
    add_rate(plan, p_rate=1.0)
    return plan, None, ("degraded", "FAIL", "generator")


def t_overload_closed(rng, compat):
    users = rng.choice([2000, 4000])
    plan = {"target": {"embedded": {"latency": "0ms"}}, "run": {"duration": "2s", "grace": "1s"},
            "group": [{"name": "crowd", "users": users, "pacing": {"mode": "fixed", "interval": "10ms"},
                       "step": steps_for(rng, 1, "${PACE_TARGET}")}]}
    add_rate(plan, p_rate=1.0)
    return plan, None, ("degraded", "FAIL", "generator")


TEMPLATES = [
    # name, weight, function, new-only, exclusive
    ("healthy-embedded", 20, t_healthy_embedded, False, False),
    ("healthy-closed", 6, t_healthy_closed, False, False),
    ("healthy-capacity", 4, t_healthy_capacity, False, False),
    ("healthy-warmup", 4, t_warmup, False, False),
    ("healthy-idleclose", 4, t_idleclose, False, False),
    ("stair-healthy", 3, t_stair_healthy, False, False),
    ("stair-capacity", 2, t_stair_capacity, False, False),
    ("degraded-errors", 6, t_errors, False, False),
    ("degraded-slow", 5, t_slow, False, False),
    ("degraded-skip", 3, t_skip, False, False),
    ("degraded-pool", 4, t_pool, False, False),
    ("degraded-after-end", 3, t_after_end_slow, False, False),
    ("degraded-group-fault", 6, t_group_fault, False, False),
    ("degraded-threshold", 4, t_threshold_only, False, False),
    ("degraded-timeouts", 5, t_timeouts, False, False),
    ("degraded-burst", 4, t_burst, False, False),
    ("degraded-stall", 4, t_stall, False, False),
    ("degraded-drift", 3, t_drift, False, False),
    ("degraded-endhang", 3, t_endhang, False, False),
    ("degraded-backlog", 3, t_backlog, False, False),
    ("degraded-overload-open", 1, t_overload_open, False, True),
    ("degraded-overload-closed", 1, t_overload_closed, False, True),
]


def scenario(seed, i, compat=False):
    rng = random.Random(f"{seed}-{i}")
    names = [t for t in TEMPLATES]
    weights = [t[1] for t in names]
    name, _, fn, _, exclusive = rng.choices(names, weights)[0]
    plan, srv, (cls, word, cause) = fn(rng, compat)
    fault_group = plan.pop("_fault_group", None)
    if name == "healthy-idleclose" and cls == "degraded":
        name = "degraded-stale-post"
    if name == "healthy-warmup" and cls == "degraded":
        name = "degraded-warmup-run-scope"
    if compat and word == "FAIL" and cause == "stale_connection":
        cause = "failed"
    stair = "stairs" in plan.get("run", {})
    if stair:
        st = plan["run"]["stairs"]
        n = len(st.get("users", st.get("rates", [])))
        hold = float(judge.duration(st["hold"])) + float(judge.duration(st.get("ramp", "0s")))
        length = n * (hold + float(judge.duration(plan["run"].get("grace", "30s"))))
    else:
        length = float(judge.duration(plan["run"]["duration"])) + float(judge.duration(plan["run"].get("grace", "30s")))
    return {
        "id": f"{seed}-{i:04d}",
        "index": i,
        "seed": seed,
        "run_seed": rng.randint(1, 2**31 - 1),
        "template": name,
        "class": cls,
        "expect": {"verdict": word, "cause": cause, "group": fault_group},
        "plan": plan,
        "server": srv,
        "exclusive": exclusive,
        "stair": stair,
        "limit_s": int(length + 25),
        "variants": 0 if stair else rng.choice([3, 4, 5]),
        "variant_seed": rng.randint(1, 2**31 - 1),
    }


def render(plan, base=None):
    p = copy.deepcopy(plan)
    text = to_toml(p)
    if base is not None:
        text = text.replace("{BASE}", base)
    return text


# ------------------------------------------------------------------ re-judge variants

def nearest_rank(vals, Q):
    """Nearest rank: the value of rank ceil(Q n / 100) (docs/reports.md)."""
    n = len(vals)
    r = -(-Q * n // 100)
    return sorted(vals)[max(1, r) - 1]


def lat_value(r):
    if not r.ok and r.error_kind in ("timeout", "cutoff"):
        return None  # never within any limit
    return r.lat_frac()


def fmt_dur(rng, x):
    """An exact duration text for x seconds (Fraction), in one of the units pace reads."""
    unit = rng.choice(["s", "ms", "us", "num"])
    if unit == "s":
        return dec_str(x, 12) + "s"
    if unit == "ms":
        return dec_str(x * 1000, 9) + "ms"
    if unit == "us":
        return dec_str(x * 10**6, 6) + "us"
    return Decimal(dec_str(x, 12))  # a plain number of seconds


def fmt_pct(rng, f):
    if rng.random() < 0.5:
        return dec_str(f * 100, 10) + "%"
    return Decimal(dec_str(f, 12))


def variants(sc, results_dir, compat=False, rows=None):
    """The re-judge plans of a run: [(name, plan dict, description)]."""
    rng = random.Random(sc["variant_seed"])
    plan_path = os.path.join(results_dir, "plan.toml")
    P = judge.Plan(plan_path)
    if rows is None:
        rows = judge.read_samples(os.path.join(results_dir, "samples.csv"))
    base_judged = None
    a, b = (float(x) for x in judge.span_of(P)[:2])
    tx = [r for r in rows if judge.is_tx(r) and a <= r.iter_sched < b]
    levels = [(None, None)]
    if not compat:
        for g in sc["plan"]["group"]:
            levels.append((g["name"], None))
            for s in g.get("step", []):
                levels.append((g["name"], s["name"]))
    out = []
    kinds = ["lat", "lat", "lat", "err", "err", "tol"]
    if not compat:
        kinds += ["lat_ok", "scope"]
    tries = 0
    seen = set()
    while len(out) < sc["variants"] and tries < 40:
        tries += 1
        kind = rng.choice(kinds)
        where = rng.choice(levels)
        sel = [r for r in tx if (where[0] is None or r.group == where[0]) and (where[1] is None or r.name == where[1])]
        p = copy.deepcopy(sc["plan"])
        strip_acceptance(p)
        pos = rng.choice(["at", "below", "above"])
        if kind in ("lat", "lat_ok"):
            stat = rng.choice(STATS)
            pool = [r for r in sel if r.ok] if kind == "lat_ok" else sel
            if not pool:
                continue
            vals = [lat_value(r) for r in pool]
            fin = [v for v in vals if v is not None]
            if not fin:
                continue
            if stat == "max":
                v = max(fin) if len(fin) == len(vals) else None
            else:
                Q = judge.PERCENTILES[stat]
                srt = sorted(vals, key=lambda x: (x is None, x or 0))
                r_ = -(-Q * len(vals) // 100)
                v = srt[r_ - 1]
            if v is None:
                v = max(fin)  # unreachable by any limit: every position fails
                pos += " (unreachable: timeouts)"
            d = Fraction(rng.choice([1, 1000, 10000]), 10**9)
            lim = {"at": v, "below": v - d, "above": v + d}[pos.split()[0]]
            if lim <= 0:
                continue
            acc = acc_table(p, where)
            acc[stat] = fmt_dur(rng, lim)
            if kind == "lat_ok":
                acc["latency_of"] = "ok"
            desc = f"{stat}{'(ok)' if kind == 'lat_ok' else ''} {pos} {float(v)*1000:.6f} ms at {lvl(where)}"
        elif kind == "err":
            if not sel:
                continue
            f = Fraction(sum(1 for r in sel if not r.ok), len(sel))
            d = Fraction(1, 10**9)
            if pos == "below" and f == 0:
                pos = "at"
            lim = {"at": f, "below": f - d, "above": f + d}[pos]
            if not dec_terminates(lim, 12):
                # not a finite decimal: "at" rounds up (passes), below rounds down
                lim = round_dec(lim, 12, up=(pos != "below"))
            acc = acc_table(p, where)
            acc["error_rate"] = fmt_pct(rng, lim)
            desc = f"error_rate {pos} {f.numerator}/{f.denominator} at {lvl(where)}"
        elif kind == "tol":
            if not P.has_rate():
                continue
            if base_judged is None:
                base_judged = judge.judge_run(P, rows)
            th = [c for c in base_judged["checks"] if c["key"] == "throughput"]
            if not th:
                continue
            E = Fraction(th[0]["numbers"]["expected"]).limit_denominator(10**6)
            C = th[0]["numbers"]["C"]
            if E == 0 or C == E:
                continue
            f = abs(E - C) / E
            d = Fraction(1, 10**6)
            lim = {"at": f, "below": f - d, "above": f + d}[pos]
            if lim <= 0 or lim >= 1:
                continue
            if not dec_terminates(lim, 12):
                lim = round_dec(lim, 12, up=(pos != "below"))
            p.setdefault("acceptance", {})["tolerance"] = fmt_pct(rng, lim)
            desc = f"tolerance {pos} |C-E|/E = |{C}-{float(E)}|/{float(E)}"
        elif kind == "scope":
            if judge.duration(p["run"].get("ramp_up", "0s")) == 0:
                continue
            acc = p.setdefault("acceptance", {})
            acc["scope"] = "run"
            acc.setdefault(rng.choice(STATS[:5]), "50ms")
            desc = "scope = run"
        else:
            continue
        if desc in seen:
            continue
        seen.add(desc)
        out.append((f"v{len(out) + 1}", p, desc))
    return out


def lvl(where):
    g, s = where
    return "plan" if g is None else (f"group {g}" if s is None else f"group {g} step {s}")


def strip_acceptance(p):
    """Keep the plan's own acceptance, but drop thresholds so a variant tests one thing."""
    acc = p.get("acceptance", {})
    for k in STATS + ["error_rate"]:
        acc.pop(k, None)
    for g in p["group"]:
        g.pop("acceptance", None)
        for s in g.get("step", []):
            s.pop("acceptance", None)
    if not acc:
        p.pop("acceptance", None)


def acc_table(p, where):
    g, s = where
    if g is None:
        return p.setdefault("acceptance", {})
    grp = next(x for x in p["group"] if x["name"] == g)
    if s is None:
        return grp.setdefault("acceptance", {})
    st = next(x for x in grp["step"] if x["name"] == s)
    return st.setdefault("acceptance", {})


def dec_terminates(x, places):
    return (Fraction(x) * 10**places).denominator == 1


def round_dec(x, places, up):
    y = Fraction(x) * 10**places
    n = math.ceil(y) if up else math.floor(y)
    return Fraction(n, 10**places)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--n", type=int, default=10)
    ap.add_argument("--compat", choices=["old", "new"], default="new")
    ap.add_argument("--show", type=int)
    o = ap.parse_args()
    compat = o.compat == "old"
    if o.show is not None:
        sc = scenario(o.seed, o.show, compat)
        print(json.dumps({k: v for k, v in sc.items() if k != "plan"}, default=str, indent=1))
        print(render(sc["plan"]))
        return
    for i in range(o.n):
        print(json.dumps(scenario(o.seed, i, compat), default=str))


if __name__ == "__main__":
    main()
