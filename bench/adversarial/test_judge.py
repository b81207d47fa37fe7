#!/usr/bin/env python3
"""Worked cases of the judge, each from a rule of docs/verdict.md "The semantics".

    python3 bench/adversarial/test_judge.py        (standard library unittest)

Each case writes a plan.toml and a samples.csv by hand (the columns pace
writes) and checks the judge's rows against numbers worked here.
"""

import os
import shutil
import tempfile
import unittest

import judge

HEADER = ("kind,t,iter_start,iter_sched,group,user,iteration,name,latency,latency_sched,status,ok,"
          "error_kind,error,bytes,late,overrun,ttfb,iter_planned,sent_bytes,connect")


def row(kind, t, group="g", user=0, it=0, name="s", lat="0.0", ok=True, ek="", sched=None, start=None,
        planned=None):
    sched = t if sched is None else sched
    start = t if start is None else start
    planned = sched if planned is None else planned
    return (f"{kind},{t},{start},{sched},{group},{user},{it},{name},{lat},{lat},"
            f"{200 if ok else 0},{'true' if ok else 'false'},{ek},,100,0.0,false,0.0,{planned},0,0.0")


class Case:
    def __init__(self, plan, rows):
        self.d = tempfile.mkdtemp(prefix="judge-test-")
        with open(os.path.join(self.d, "plan.toml"), "w") as f:
            f.write(plan)
        with open(os.path.join(self.d, "samples.csv"), "w") as f:
            f.write(HEADER + "\n" + "\n".join(rows) + "\n")
        with open(os.path.join(self.d, "summary.json"), "w") as f:
            f.write("{}")

    def judge(self, plan_text=None):
        p = None
        if plan_text is not None:
            p = os.path.join(self.d, "other.toml")
            with open(p, "w") as f:
                f.write(plan_text)
        return judge.judge_folder(self.d, p)

    def close(self):
        shutil.rmtree(self.d)


def check(res, key):
    for c in res["checks"]:
        if c["key"] == key:
            return c
    raise KeyError(key)


def plan_text(acc="", pacing='mode = "fixed"\ninterval = "1s"', users=1000, dur="1s", ramp="0s", extra=""):
    return f"""
[run]
duration = "{dur}"
ramp_up = "{ramp}"
[[group]]
name = "g"
users = {users}
[group.pacing]
{pacing}
[[group.step]]
name = "s"
url = "http://127.0.0.1:9/"
{extra}
[acceptance]
{acc}
"""


def one_each(n, failed=0, lat="0.010", fail_kind="status", fail_lat="0.005", users=None):
    """n users of a fixed 1 s pacing in a 1 s run: one transaction each, the first `failed` failing."""
    rows = []
    for u in range(n):
        t = 0.0005 * u
        rows.append(row("user_start", 0.0, user=u))
        if u < failed:
            rows.append(row("step", t, user=u, lat=fail_lat, ok=False, ek=fail_kind))
        else:
            rows.append(row("step", t, user=u, lat=lat))
        rows.append(row("iteration", t, user=u, name="g", lat=lat, ok=u >= failed))
    return rows


class ExactPercentages(unittest.TestCase):
    def test_seven_of_a_thousand_is_within_0_7_percent_in_both_forms(self):
        c = Case(plan_text('error_rate = "0.7%"'), one_each(1000, failed=7))
        try:
            r = c.judge()
            self.assertTrue(check(r, "error_rate")["pass"])
            self.assertEqual(check(r, "throughput")["numbers"]["C"], 993)  # failures are not achieved
            r2 = c.judge(plan_text("error_rate = 0.007"))
            self.assertTrue(check(r2, "error_rate")["pass"])
            self.assertEqual(check(r2, "error_rate")["numbers"]["limit"], "7/1000")
        finally:
            c.close()

    def test_eight_of_a_thousand_is_not(self):
        c = Case(plan_text('error_rate = "0.7%"'), one_each(1000, failed=8))
        try:
            self.assertFalse(check(c.judge(), "error_rate")["pass"])
        finally:
            c.close()


class LatencyOverEveryTransaction(unittest.TestCase):
    def test_timeouts_count_and_are_never_within(self):
        # 100 transactions: 95 at 10 ms, 5 timeouts: 95 of 100 within 10 ms -> p95 passes
        c = Case(plan_text('p95 = "10ms"', users=100), one_each(100, failed=5, fail_kind="timeout", fail_lat="0.001"))
        try:
            p = check(c.judge(), "p95")
            self.assertEqual((p["numbers"]["n"], p["numbers"]["within"]), (100, 95))
            self.assertTrue(p["pass"])
        finally:
            c.close()
        c = Case(plan_text('p95 = "10ms"', users=100), one_each(100, failed=6, fail_kind="timeout"))
        try:
            self.assertFalse(check(c.judge(), "p95")["pass"])  # 94 of 100
        finally:
            c.close()

    def test_a_fast_failure_is_within(self):
        # a 500 answered in 5 ms finished within 10 ms: max holds over all 10
        c = Case(plan_text('max = "10ms"', users=10), one_each(10, failed=3, fail_kind="status", fail_lat="0.005"))
        try:
            m = check(c.judge(), "max")
            self.assertEqual((m["numbers"]["n"], m["numbers"]["within"]), (10, 10))
            self.assertTrue(m["pass"])
        finally:
            c.close()

    def test_the_limit_is_exact_at_the_nanosecond(self):
        c = Case(plan_text('max = "0.012344410s"', users=2), one_each(2, lat="0.01234441"))
        try:
            self.assertTrue(check(c.judge(), "max")["pass"])
            self.assertFalse(check(c.judge(plan_text('max = "12344.409us"', users=2)), "max")["pass"])
            self.assertTrue(check(c.judge(plan_text('max = "12.34441ms"', users=2)), "max")["pass"])
        finally:
            c.close()

    def test_latency_of_ok_leaves_out_timeouts_up_to_the_share(self):
        # p95 over successes: 95 successes within; 5 timeouts of 100: 100*5 <= 5*100 passes
        c = Case(plan_text('p95 = "10ms"\nlatency_of = "ok"', users=100), one_each(100, failed=5, fail_kind="timeout"))
        try:
            p = check(c.judge(), "p95")
            self.assertEqual(p["numbers"]["left_out_timeouts"], 5)
            self.assertTrue(p["pass"])
        finally:
            c.close()
        c = Case(plan_text('p95 = "10ms"\nlatency_of = "ok"', users=100), one_each(100, failed=6, fail_kind="timeout"))
        try:
            p = check(c.judge(), "p95")
            self.assertEqual((p["numbers"]["n"], p["numbers"]["within"]), (94, 94))
            self.assertFalse(p["pass"])  # 600 > 500: too many left out
        finally:
            c.close()


class TheSpan(unittest.TestCase):
    def test_ramp_up_transactions_are_not_judged_in_the_window(self):
        rows = [row("user_start", 0.0)]
        rows.append(row("step", 0.1, lat="0.500"))          # in the ramp-up: slow
        rows.append(row("step", 1.1, it=1, lat="0.010"))    # in the window
        plan = plan_text('max = "20ms"', users=1, dur="2s", ramp="1s")
        c = Case(plan, rows)
        try:
            self.assertTrue(check(c.judge(), "max")["pass"])
            scoped = plan.replace('max = "20ms"', 'max = "20ms"\nscope = "run"')
            self.assertFalse(check(c.judge(scoped), "max")["pass"])
        finally:
            c.close()

    def test_a_start_due_before_the_end_belongs_to_it(self):
        rows = [row("user_start", 0.0), row("step", 1.0003, sched=0.9995, lat="0.010")]
        c = Case(plan_text('max = "20ms"', users=1), rows)
        try:
            self.assertEqual(check(c.judge(), "max")["numbers"]["n"], 1)
        finally:
            c.close()


class Throughput(unittest.TestCase):
    def test_fixed_band_and_a_lost_start(self):
        # 2 users at 100 ms over 1 s: exactly 20, band 19.5-20.5
        rows = []
        for u in range(2):
            rows.append(row("user_start", 0.0, user=u))
            for i in range(10):
                t = 0.05 * u + 0.1 * i
                if (u, i) == (1, 9):
                    rows.append(row("missed", t, user=u))
                    continue
                rows.append(row("step", t, user=u, it=i, lat="0.002"))
        c = Case(plan_text(pacing='mode = "fixed"\ninterval = "100ms"', users=2), rows)
        try:
            th = check(c.judge(), "throughput")
            self.assertEqual((th["numbers"]["low"], th["numbers"]["high"]), (19.5, 20.5))
            self.assertEqual(th["numbers"]["C"], 19)
            self.assertEqual(th["numbers"]["lost_by"], {"behind_schedule": 1})
            self.assertFalse(th["pass"])
        finally:
            c.close()

    def test_a_fixed_tolerance_compares_exactly(self):
        # expected 20; C 19 is exactly 5 % below: within "5%", not within "4.99%"
        rows = []
        for u in range(2):
            rows.append(row("user_start", 0.0, user=u))
            for i in range(10):
                ok = (u, i) != (1, 9)
                rows.append(row("step", 0.05 * u + 0.1 * i, user=u, it=i, lat="0.002", ok=ok,
                                ek="" if ok else "status"))
        base = plan_text(pacing='mode = "fixed"\ninterval = "100ms"', users=2)
        c = Case(base.replace("[acceptance]", '[acceptance]\ntolerance = "5%"'), rows)
        try:
            self.assertTrue(check(c.judge(), "throughput")["pass"])
            self.assertFalse(check(c.judge(base.replace("[acceptance]", "[acceptance]\ntolerance = 0.0499")),
                                   "throughput")["pass"])
        finally:
            c.close()

    def test_a_steady_pipeline_is_not_a_backlog(self):
        # 10 arrivals at 0.1 i, each answered in 0.95 s: 9 complete after the end, but the
        # pipeline carries L = 5.45 across it: limit 5.45 + 3 sqrt(5.45) + 1 = 13.45 > 9
        rows = [row("user_start", 0.0, user=u) for u in range(10)]
        for i in range(10):
            rows.append(row("step", 0.1 * i, user=i, lat="0.950"))
        c = Case(plan_text(pacing='mode = "arrival-rate"\nrate = "10/s"', users=10), rows)
        try:
            g = c.judge()["groups"]["g"]
            self.assertAlmostEqual(g["lbar"], 5.45)
            self.assertFalse(g["backlog"])
            self.assertEqual(g["C"], 10)
        finally:
            c.close()

    def test_a_growing_queue_counts_what_completed_in_the_span(self):
        # 100 arrivals/s for 1 s served at 50/s: arrival 0.01 i completes at 0.02 (i + 1).
        # out = 51 (i >= 49); L = 12.74 + 13.26 = 26.0; limit 26 + 3 sqrt(26) + 1 = 42.3 < 51:
        # C = the 49 completed before 1 s
        rows = [row("user_start", 0.0, user=u) for u in range(100)]
        for i in range(100):
            t = round(0.01 * i, 6)
            rows.append(row("step", t, user=i, lat=f"{0.02 * (i + 1) - t:.6f}"))
        c = Case(plan_text(pacing='mode = "arrival-rate"\nrate = "100/s"', users=100), rows)
        try:
            g = c.judge()["groups"]["g"]
            self.assertAlmostEqual(g["lbar"], 26.0, places=6)
            self.assertEqual(g["out"], 51)
            self.assertTrue(g["backlog"])
            self.assertEqual(g["C"], 49)
            self.assertFalse(check(c.judge(), "throughput")["pass"])
        finally:
            c.close()

    def test_a_draw_outside_the_band_made_in_full_passes(self):
        # exponential pacing, 1 user, mean 1 s, min 0: band 1 +- (z sd + .5); a draw of 6
        # starts made in full is outside it, judged against the draw
        rows = [row("user_start", 0.0)]
        for i in range(6):
            rows.append(row("step", 0.15 * i, it=i, lat="0.001"))
        c = Case(plan_text(pacing='mode = "exponential"\ninterval = "1s"', users=1), rows)
        try:
            th = check(c.judge(), "throughput")
            self.assertFalse(th["numbers"]["inband"])
            self.assertEqual(th["numbers"]["draw"], 6)
            self.assertTrue(th["pass"])
        finally:
            c.close()


class AlwaysOn(unittest.TestCase):
    def test_a_group_without_a_success_fails(self):
        c = Case(plan_text("", users=3), one_each(3, failed=3))
        try:
            r = c.judge()
            self.assertFalse(check(r, "transactions succeeded")["pass"])
            self.assertEqual(r["verdict"], "FAIL")
        finally:
            c.close()

    def test_no_promise_is_no_checks(self):
        p = plan_text("", pacing='mode = "none"', users=2)
        c = Case(p, one_each(2))
        try:
            self.assertEqual(c.judge()["verdict"], "NO CHECKS")
        finally:
            c.close()


if __name__ == "__main__":
    unittest.main()
