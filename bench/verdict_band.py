#!/usr/bin/env python3
"""Are the healthy plans' bands honest? (docs/verdict.md)

    bench/verdict_band.py [TRIALS]      (default 100000; ~10 s per plan)

Simulates the schedules of bench/verdict/healthy-{uniform,beta,exponential}.toml
as docs/running.md describes them, without pace: 10 users, user i starting
at i x 100 ms (1 s ramp-up), its first iteration after a stationary phase
(a uniform point of a length-biased interval), then independent intervals
of the plan's pacing; every start in the window [1 s, 8 s) counts. Prints,
per plan, the share of trials below and above the band pace states for it
(summary.json `expected`, 0.99) and the chance of the lowest counts the
study saw.
"""

import random
import sys

USERS, RAMP, END, W0 = 10, 1.0, 8.0, 1.0


def uniform():
    # 300-700 ms; length-biased: density x / mean on the range.
    def draw(rng):
        return 0.3 + 0.4 * rng.random()

    def biased(rng):
        # Inverse of the CDF (x^2 - 0.09) / 0.4 on [0.3, 0.7].
        return (0.09 + 0.4 * rng.random()) ** 0.5

    return draw, biased


def beta():
    # 200 ms + 1.3 s x Beta(1, 10/3): mean 500 ms (pace's shape with alpha 1).
    a, b, lo, span = 1.0, 10.0 / 3.0, 0.2, 1.3
    mean = lo + span * a / (a + b)

    def draw(rng):
        return lo + span * rng.betavariate(a, b)

    def biased(rng):
        # x f(x) / mean: f itself (weight lo / mean) or lo + span x Beta(a + 1, b).
        if rng.random() < lo / mean:
            return draw(rng)
        return lo + span * rng.betavariate(a + 1.0, b)

    return draw, biased


def exponential():
    # 100 ms + Exp(400 ms): mean 500 ms.
    lo, excess = 0.1, 0.4

    def draw(rng):
        return lo + rng.expovariate(1 / excess)

    def biased(rng):
        if rng.random() < lo / (lo + excess):
            return draw(rng)
        return lo + rng.gammavariate(2, excess)

    return draw, biased


# plan: (pacing, band low, band high from summary.json, lowest count seen)
PLANS = {
    "healthy-uniform": (uniform, 131.70942330355393, 148.29057669644607, 132),
    "healthy-beta": (beta, 124.68322335644021, 155.3167766435598, 122),
    "healthy-exponential": (exponential, 115.07693608572814, 164.92306391427186, 112),
}


def trial(rng, draw, biased):
    n = 0
    for i in range(USERS):
        t = i * RAMP / USERS + rng.random() * biased(rng)
        while t < END:
            n += t >= W0
            t += draw(rng)
    return n


def main():
    trials = int(sys.argv[1]) if len(sys.argv) > 1 else 100000
    for name, (pacing, low, high, seen) in PLANS.items():
        draw, biased = pacing()
        rng = random.Random(7)
        counts = [trial(rng, draw, biased) for _ in range(trials)]
        mean = sum(counts) / trials
        sd = (sum((c - mean) ** 2 for c in counts) / trials) ** 0.5
        below = sum(c < low for c in counts) / trials
        above = sum(c > high for c in counts) / trials
        le = sum(c <= seen for c in counts) / trials
        print(
            f"{name}: {trials} trials, mean {mean:.2f}, sd {sd:.2f}; band {low:.2f}-{high:.2f}: "
            f"below {below:.3%}, above {above:.3%}, inside {1 - below - above:.3%}; "
            f"{seen} or fewer {le:.3%}"
        )


if __name__ == "__main__":
    main()
