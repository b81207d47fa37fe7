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
/// two edges alone can move the count by more than [`LAW_TOLERANCE`].
pub const MIN_CYCLES: f64 = 2.0 / LAW_TOLERANCE;

/// What the window's edges can explain: up to one cycle per user at each
/// edge (a completion counted whole or not at all, and a user's presence
/// that ends with its last iteration when its next start falls after the
/// end), so twice [`boundary_allowance`].
fn edges(cycle_s: f64, window_s: f64) -> f64 {
    2.0 * boundary_allowance(cycle_s, window_s)
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
    judge(c, terms, a.predicted_users / l, LAW_TOLERANCE + edges(r, t));
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
