#!/usr/bin/env python3
"""How often does pace's backlog rule read a backlog? (docs/verdict.md, "Limits")

    python3 bench/backlog_rule.py [--seed 1] [--runs 400]

The rule (docs/verdict.md, "The achieved count"; src/results/span.rs):
out = the transactions in flight at the span's end b, L = the mean number in
flight over [a, b); a backlog when out > c, c the smallest count with
P(X > c) <= 1e-4 for X ~ Poisson(L) (L <= 100), else L + 3.72 sqrt(L) + 1.

Its null model is a steady M/G/inf pipeline (every request served at once,
in flight for its own latency). This simulates an arrival-rate group
(starts every 1/rate, as pace schedules them, from a = 0) against:

- an M/G/inf target (the null: latency exponential, no queue),
- one FIFO server with exponential service at utilisation rho < 1 (a
  target that keeps up, with a queue that comes and goes),
- the same server at rho >= 1, and one with a fixed service time (pace's
  embedded target with `workers = 1`) at rho 1.2 and 1.6 (a target that
  falls behind: a backlog).

and prints, for each, the share of spans the rule reads as a backlog: the
false-alarm rate where rho < 1, the power where rho >= 1. Seeded, so the
same arguments print the same table.
"""
import argparse
import math
import random


def steady_in_flight(l):
    """pace's bound (src/results/span.rs steady_in_flight)."""
    if l <= 0:
        return 0
    if l > 100:
        return l + 3.72 * math.sqrt(l) + 1
    pmf = math.exp(-l)
    cdf = pmf
    c = 0
    while 1 - cdf > 1e-4:
        c += 1
        pmf *= l / c
        cdf += pmf
    return c


def span(rate, span_s, rng, service, servers):
    """One span: starts at k/rate in [0, span_s); `servers` None = M/G/inf, else 1 FIFO server.
    Returns (out, L)."""
    free = 0.0
    in_flight_s = 0.0
    out = 0
    k = 0
    while True:
        t = k / rate
        if t >= span_s:
            break
        s = service(rng)
        if servers is None:
            end = t + s
        else:
            end = max(t, free) + s
            free = end
        in_flight_s += min(end, span_s) - t
        if end >= span_s:
            out += 1
        k += 1
    return out, in_flight_s / span_s


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--runs", type=int, default=400, help="spans per row")
    ap.add_argument("--rate", type=float, default=60.0, help="arrivals per second")
    o = ap.parse_args()
    rng = random.Random(o.seed)
    print(f"rate {o.rate:g}/s, starts every 1/rate from a = 0; {o.runs} spans per cell; seed {o.seed}")
    print()
    print("| target | utilisation | span 3 s | span 60 s | span 600 s |")
    print("|---|---:|---:|---:|---:|")
    rows = [("M/G/inf, latency exp. 100 ms", None, 0.1, None)]
    for rho in (0.5, 0.8, 0.9, 0.95, 1.0, 1.05, 1.2):
        rows.append(("1 server, service exp.", rho, 1 / (o.rate / rho), 1))
    for rho in (1.2, 1.6):
        rows.append(("1 server, service fixed", rho, 1 / (o.rate / rho), 1))
    for name, rho, mean_s, servers in rows:
        fixed = "fixed" in name
        cells = []
        for span_s in (3, 60, 600):
            n = o.runs if span_s < 600 else max(20, o.runs // 10)
            hits = 0
            for _ in range(n):
                def service(r):
                    return mean_s if fixed else r.expovariate(1 / mean_s)
                out, l = span(o.rate, span_s, rng, service, servers)
                hits += out > steady_in_flight(l)
            cells.append(f"{hits}/{n}")
        print(f"| {name} | {'-' if rho is None else rho} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
