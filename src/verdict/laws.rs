//! The operational-law audit of a run's steady window (docs/verdict.md,
//! "The operational-law audit"). The laws hold for any interval in which
//! what enters leaves (Denning & Buzen 1978; Jain ch. 33), so a run whose
//! own measurements break them was not in steady state, or the numbers
//! fed to them (a `[[resource]]`'s demand) mix units.
//!
//! What pace measures, per group, over the window [a, b) of T seconds:
//! - N: user-seconds present (from each user's start to its stop) / T;
//! - X: iterations that ended in the window / T (completions per second);
//! - R: the mean duration of those iterations (start to end: every step,
//!   and the steps' think times, which pace runs inside the iteration);
//! - Z: the mean idle gap from a user's iteration end to its next start,
//!   over the gaps that end in the window (the pacing wait, or the
//!   after-end delay; 0 back to back);
//! - L (arrival-rate groups): iteration-seconds in flight in the window /
//!   T, the mean number of iterations in the system, and W = R.
//!
//! Each term comes from different rows, so the identity can fail: a user
//! present but stalled (its iteration never ends in the window), a run
//! still ramping or collapsing, or a stated demand in the wrong unit.

use super::causes::secs;
use crate::capacity::laws::{
    LAW_TOLERANCE, UTILIZATION_TOLERANCE, audit_interactive, audit_little, audit_utilization,
    boundary_allowance,
};
use crate::plan::file::{PacingMode, PlanFile};
use crate::plan::resource::DemandPer;
use crate::results::aggregate::{Aggregate, GroupTally};
use crate::results::judgement::LawCheck;
use crate::units::round_sig;

/// The fewest whole cycles (R + Z) per user the window must hold for the
/// interactive law to be judged: below it, what straddles the window's
/// edges alone could move the count by more than [`LAW_TOLERANCE`].
pub const MIN_CYCLES: f64 = 1.0 / LAW_TOLERANCE;

/// What the window's edges can explain of the interactive law: one cycle
/// per user. A user with cycle C present through the window has its
/// completions counted whole, T/C ± 1 of them; one whose next start falls
/// after the end stops with its last iteration, and then its ends lie in
/// [a, its stop] and number (stop − a)/C + at most 1. Either way E·C is
/// within C of its presence, so N and X·(R + Z) differ by at most C/T of
/// N ([`boundary_allowance`]). Measured on honest runs (bench/laws.py,
/// docs/verdict.md): at most 4 % on 14 cycles, 1.1 % on 58.
fn edges(cycle_s: f64, window_s: f64) -> f64 {
    boundary_allowance(cycle_s, window_s)
}

/// Audits every group of `plan` and every `[[resource]]` on `agg`'s window.
pub fn audit(plan: &PlanFile, agg: &Aggregate) -> Vec<LawCheck> {
    let w = agg.window;
    let t = w.1 - w.0;
    let mut out = Vec::new();
    for g in &plan.groups {
        let tally = agg.groups.iter().find(|x| x.name == g.name);
        let open = g.pacing.mode == PacingMode::ArrivalRate;
        let mut c = LawCheck {
            law: if open {
                "little"
            } else {
                "interactive response time"
            }
            .into(),
            subject: format!("group '{}'", g.name),
            ..LawCheck::default()
        };
        match tally {
            _ if t <= 0.0 => c.detail = "not checked: the run has no steady-state window".into(),
            None => c.detail = "not checked: the group made no iteration".into(),
            Some(tally) if open => little(&mut c, tally, w),
            Some(tally) => interactive(&mut c, tally, w),
        }
        out.push(c);
    }
    for r in &plan.resources {
        out.push(utilization(plan, agg, r));
    }
    out
}

/// The interactive response-time law N = X·(R + Z) (Jain §33.4).
fn interactive(c: &mut LawCheck, g: &GroupTally, w: (f64, f64)) {
    let t = w.1 - w.0;
    let o = &g.occupancy;
    let n = o.present_s(w) / t;
    let x = o.completions as f64 / t;
    c.n = Some(n);
    c.x_per_s = Some(x);
    let Some(r) = o.mean_iteration_s() else {
        c.detail = "not checked: no iteration ended in the steady-state window".into();
        return;
    };
    c.r_s = Some(r);
    let Some(z) = o.mean_gap_s() else {
        c.detail = "not checked: no user started a second iteration in the window, so the idle time Z between iterations was not measured".into();
        return;
    };
    c.z_s = Some(z);
    let Some(a) = audit_interactive(n, x, r, z) else {
        c.detail = "not checked: no user was present in the window".into();
        return;
    };
    c.predicted_n = Some(a.predicted_users);
    let cycles = t / (r + z);
    let terms = format!(
        "N {} users vs X·(R + Z) = {}/s × ({} + {}) = {}",
        round_sig(n, 4),
        round_sig(x, 4),
        secs(r),
        secs(z),
        round_sig(a.predicted_users, 4)
    );
    if cycles < MIN_CYCLES {
        c.detail = format!(
            "not checked: {terms}, but the {} window holds {} cycles of {} per user, fewer than {MIN_CYCLES}: its edges alone could move it by more than {} %",
            secs(t),
            round_sig(cycles, 3),
            secs(r + z),
            LAW_TOLERANCE * 100.0
        );
        return;
    }
    judge(
        c,
        terms,
        a.predicted_users / n,
        LAW_TOLERANCE + edges(r + z, t),
    );
}

/// Little's law L = λ·W (Jain §33.2) for an arrival-rate group: the
/// iterations in flight against the completion rate times their time.
fn little(c: &mut LawCheck, g: &GroupTally, w: (f64, f64)) {
    let t = w.1 - w.0;
    let o = &g.occupancy;
    let l = o.busy_s / t;
    let x = o.completions as f64 / t;
    c.n = Some(l);
    c.x_per_s = Some(x);
    let Some(r) = o.mean_iteration_s() else {
        c.detail = "not checked: no iteration ended in the steady-state window".into();
        return;
    };
    c.r_s = Some(r);
    let Some(a) = audit_little(l, x, r) else {
        c.detail = "not checked: no iteration was in flight in the window".into();
        return;
    };
    c.predicted_n = Some(a.predicted_users);
    let terms = format!(
        "L {} iterations in flight vs λ·W = {}/s × {} = {}",
        round_sig(l, 4),
        round_sig(x, 4),
        secs(r),
        round_sig(a.predicted_users, 4)
    );
    if o.completions < MIN_CYCLES as u64 {
        c.detail = format!(
            "not checked: {terms}, but only {} iterations ended in the window",
            o.completions
        );
        return;
    }
    // Each edge cuts about L iterations, each counted whole (up to W
    // too much or too little) against L·T in flight: 2W/T of L.
    judge(
        c,
        terms,
        a.predicted_users / l,
        LAW_TOLERANCE + 2.0 * boundary_allowance(r, t),
    );
}

/// The utilisation law U = X·D (Jain §33.1) for a `[[resource]]`.
fn utilization(
    plan: &PlanFile,
    agg: &Aggregate,
    r: &crate::plan::resource::ResourceSection,
) -> LawCheck {
    let w = agg.window;
    let t = w.1 - w.0;
    let mut c = LawCheck {
        law: "utilization".into(),
        subject: format!("resource '{}'", r.name),
        utilization: Some(r.utilization.0),
        demand_s: Some(r.demand.0),
        ..LawCheck::default()
    };
    if t <= 0.0 {
        c.detail = "not checked: the run has no steady-state window".into();
        return c;
    }
    let jobs: u64 = agg
        .groups
        .iter()
        .filter(|g| r.group.as_ref().is_none_or(|n| *n == g.name))
        .filter(|g| plan.groups.iter().any(|p| p.name == g.name))
        .map(|g| match r.per {
            DemandPer::Iteration => g.occupancy.completions,
            DemandPer::Transaction => g.window_ok + g.window_failed,
        })
        .sum();
    let x = jobs as f64 / t;
    c.x_per_s = Some(x);
    let Some(a) = audit_utilization(r.utilization.0, x, r.demand.0) else {
        c.detail = "not checked: the utilisation is not above 0".into();
        return c;
    };
    c.predicted_utilization = Some(a.predicted);
    let whose = r
        .group
        .as_ref()
        .map_or(String::new(), |g| format!(" of group '{g}'"));
    let terms = format!(
        "U {} % stated vs X·D = {} {}s/s{whose} × {} = {} %",
        round_sig(a.measured * 100.0, 4),
        round_sig(x, 4),
        r.per.name(),
        secs(r.demand.0),
        round_sig(a.predicted * 100.0, 4)
    );
    judge(
        &mut c,
        terms,
        a.predicted / a.measured,
        UTILIZATION_TOLERANCE,
    );
    c
}

/// Sets ratio, tolerance, ok and the words of a checked law.
fn judge(c: &mut LawCheck, terms: String, ratio: f64, tolerance: f64) {
    let ok = (ratio - 1.0).abs() <= tolerance;
    c.ratio = Some(ratio);
    c.tolerance = Some(tolerance);
    c.ok = Some(ok);
    let allowed = round_sig(tolerance * 100.0, 3);
    c.detail = if ok {
        format!(
            "{terms} (ratio {}, within ±{allowed} %): holds",
            round_sig(ratio, 4)
        )
    } else {
        format!(
            "{terms} (ratio {}, beyond ±{allowed} %): not steady state or units mixed",
            round_sig(ratio, 4)
        )
    };
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::results::sample::{Kind, Sample};
    use crate::verdict::{Ending, judge};

    fn plan(extra: &str) -> PlanFile {
        PlanFile::parse(
            &format!(
                "[run]\nduration = \"22s\"\nramp_up = \"2s\"\n\n[[group]]\nname = \"g\"\nusers = 2\n\
                 pacing = {{ mode = \"fixed\", interval = \"1s\" }}\n\n[[group.step]]\nname = \"s\"\n\
                 url = \"http://127.0.0.1:9/\"\n{extra}"
            ),
            "plan.toml",
        )
        .unwrap()
    }

    fn user(a: &mut Aggregate, u: u32, t: f64, kind: Kind) {
        a.add(&Sample::event(kind, t, "g", u));
    }

    fn iteration(a: &mut Aggregate, u: u32, start: f64, took: f64) {
        let mut it = Sample::event(Kind::Iteration, start, "g", u);
        it.latency = took;
        a.add(&it);
        // Its one step: the always-on check wants real work done.
        let mut st = Sample::event(Kind::Step, start, "g", u);
        st.name = "s".into();
        st.latency = took;
        a.add(&st);
    }

    /// Two users on a 1 s cycle (0.25 s iterations) through the 20 s
    /// window [2, 22): N = 2, X = 2/s, R = 0.25 s, Z = 0.75 s, so
    /// X·(R + Z) = 2, as PDQ closed1's 0.3325·(0.7943 + 300) = 100.
    fn steady(a: &mut Aggregate, users: u32) {
        for u in 0..users {
            user(a, u, 0.1 * u as f64, Kind::UserStart);
            for k in 0..22 {
                iteration(a, u, 0.5 + 0.1 * u as f64 + k as f64, 0.25);
            }
            user(a, u, 22.0, Kind::UserStop);
        }
    }

    #[test]
    fn a_steady_closed_run_holds_the_law_exactly() {
        let p = plan("");
        let mut a = Aggregate::for_plan(&p, (2.0, 22.0));
        steady(&mut a, 2);
        let laws = audit(&p, &a);
        let l = &laws[0];
        assert_eq!(l.ok, Some(true), "{l:?}");
        assert!((l.n.unwrap() - 2.0).abs() < 1e-9);
        assert!((l.x_per_s.unwrap() - 2.0).abs() < 1e-9);
        assert!((l.r_s.unwrap() - 0.25).abs() < 1e-9);
        assert!((l.z_s.unwrap() - 0.75).abs() < 1e-9);
        assert!((l.ratio.unwrap() - 1.0).abs() < 1e-9);
        // 10 % and one 1 s cycle of the 20 s window.
        assert!((l.tolerance.unwrap() - 0.15).abs() < 1e-9);
    }

    #[test]
    fn a_user_stalled_through_the_window_breaks_the_law_as_a_note() {
        // A third user starts one iteration at 2.5 s that never ends in
        // the window: present, so N = 3, but cycling nowhere: X·(R + Z)
        // stays 2, a ratio of 0.67.
        let p = plan("");
        let mut a = Aggregate::for_plan(&p, (2.0, 22.0));
        steady(&mut a, 2);
        user(&mut a, 2, 0.2, Kind::UserStart);
        iteration(&mut a, 2, 0.7, 0.25);
        iteration(&mut a, 2, 1.7, 21.0);
        user(&mut a, 2, 22.7, Kind::UserStop);
        let (_, v) = judge(&p, &a, &Ending::default());
        let l = &v.laws[0];
        assert_eq!(l.ok, Some(false), "{l:?}");
        assert!((l.n.unwrap() - 3.0).abs() < 1e-9);
        assert!((l.ratio.unwrap() - 2.0 / 3.0).abs() < 1e-9);
        assert!(
            v.notes
                .iter()
                .any(|n| n.contains("operational law broken") && n.contains("not steady state")),
            "{:?}",
            v.notes
        );
        // A warning: the run's throughput promise held, and it still PASSes.
        assert_eq!(v.state, crate::results::judgement::State::Pass);
        // Asked to hold, the broken law fails the run.
        let strict = plan("\n[acceptance]\nlaws_must_hold = true\n");
        let (_, v) = judge(&strict, &a, &Ending::default());
        assert_eq!(v.state, crate::results::judgement::State::Fail);
        assert!(
            v.reasons[0].starts_with("operational laws broken"),
            "{:?}",
            v.reasons
        );
    }

    #[test]
    fn too_short_a_window_is_not_checked_and_says_why() {
        // A 5 s window of 1 s cycles: 5 cycles per user, under 10.
        let p = plan("\n[acceptance]\nlaws_must_hold = true\n");
        let mut a = Aggregate::for_plan(&p, (2.0, 7.0));
        steady(&mut a, 2);
        let (_, v) = judge(&p, &a, &Ending::default());
        let l = &v.laws[0];
        assert_eq!(l.ok, None);
        assert!(
            l.detail.starts_with("not checked:") && l.detail.contains("5 cycles"),
            "{}",
            l.detail
        );
        // Asked to hold, a law not checked leaves the run unjudged.
        assert_eq!(v.state, crate::results::judgement::State::Incomplete);
        assert!(v.unjudged[0].contains("not checked"), "{:?}", v.unjudged);
    }

    #[test]
    fn a_resource_demand_in_the_wrong_unit_is_caught() {
        // X = 2 iterations/s; 0.1 s each is 20 % busy. Stated as 100 ms it
        // holds; "100" (seconds, meant as ms) predicts 20,000 %.
        let resource = |d: &str| {
            format!("\n[[resource]]\nname = \"db\"\nutilization = \"20%\"\ndemand = \"{d}\"\n")
        };
        let p = plan(&resource("100ms"));
        let mut a = Aggregate::for_plan(&p, (2.0, 22.0));
        steady(&mut a, 2);
        let u = audit(&p, &a).pop().unwrap();
        assert_eq!((u.law.as_str(), u.ok), ("utilization", Some(true)), "{u:?}");
        assert!((u.predicted_utilization.unwrap() - 0.2).abs() < 1e-9);
        let u = audit(&plan(&resource("100")), &a).pop().unwrap();
        assert_eq!(u.ok, Some(false), "{u:?}");
        assert!((u.ratio.unwrap() - 1000.0).abs() < 1e-6);
        assert!(u.detail.ends_with("not steady state or units mixed"));
    }
}
