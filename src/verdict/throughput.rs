//! The throughput checks: the plan's total against its band, and each
//! group whose rate the plan fixes (a pacing or an arrival rate) against
//! its own band, so that a business group at half its rate is not hidden
//! inside a total that a busier group carries (docs/verdict.md, "The
//! checks"; the case group-shortfall-masked).
//!
//! A check passes when the achieved count lies in the band (or, when the
//! count and the run's own drawn schedule both lie outside it on the same
//! side, within the draw: drawn.rs), and the run lost no more of its
//! drawn starts than the tolerance allows (causes::execution_losses).

use super::causes;
use super::drawn;
use super::expect;
use super::{EXECUTION_SLACK, Span, Verdict, push, r};
use crate::plan::file::{PlanFile, Tolerance};
use crate::plan::rate::GroupCadence;
use crate::ratio::{at_least, at_most, within_tolerance};
use crate::results::aggregate::Aggregate;
use crate::results::judgement::{Cause, Check, Expected};

/// What a set of groups achieved over the span.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Counted {
    /// C: the achieved count (docs/verdict.md, "The achieved count").
    pub achieved: u64,
    /// Every transaction of the span, successes and failures.
    pub started: u64,
    /// Of `achieved`'s groups, how many counted completions because a
    /// queue grew over the span.
    pub backlogged: usize,
    /// C·60/T, per minute.
    pub tpm: f64,
}

/// What `plan`'s groups (all of a plan, or the one of a group's plan)
/// achieved over `agg`'s span.
pub fn counted(plan: &PlanFile, agg: &Aggregate) -> Counted {
    let w = agg.span_s();
    let mut c = Counted {
        achieved: 0,
        started: 0,
        backlogged: 0,
        tpm: 0.0,
    };
    for g in &plan.groups {
        if let Some(t) = agg.groups.iter().find(|t| t.name == g.name) {
            let a = t.achieved(w);
            c.achieved += a.transactions;
            c.started += t.window_ok + t.window_failed;
            c.backlogged += usize::from(a.backlog.is_some());
        }
    }
    c.tpm = if w > 0.0 {
        c.achieved as f64 * 60.0 / w
    } else {
        0.0
    };
    c
}

/// The plan with group `i` alone: its band, draw and causes are the
/// group's.
pub fn group_plan(plan: &PlanFile, i: usize) -> PlanFile {
    let mut p = plan.clone();
    p.groups = vec![plan.groups[i].clone()];
    p
}

/// The plan-wide throughput check, where the plan sets every group's
/// rate; the expectation it judged against.
pub fn judge(plan: &PlanFile, agg: &Aggregate, span: &Span, v: &mut Verdict) -> Option<Expected> {
    let fallback = plan.span_is_fallback(agg.window);
    let expected = (!fallback).then(|| expect::expected(plan, agg)).flatten();
    match &expected {
        Some(e) => {
            let (check, causes, notes) = check(plan, agg, span, e, "throughput", None);
            if !check.pass && v.causes.is_empty() {
                v.causes = causes;
            }
            v.notes.extend(notes);
            push(v, check);
            if e.approximate {
                v.notes.push("the band is approximate: after-end and back-to-back groups cycle as fast as their iterations, so their expected rate comes from target.response_time and the spread of their iteration times from the run".into());
            }
        }
        None if plan.target.tps().is_some() => {
            let why = if fallback || span.is_empty() {
                "the steady-state window is empty (ramp-up lasts the whole run, or the run stopped before ramp-up ended)"
                    .to_string()
            } else {
                "the plan does not set every group's rate".to_string()
            };
            v.unjudged
                .push(format!("the target rate: {why}; the band was not applied"));
        }
        None => {}
    }
    expected
}

/// Each group whose rate the plan fixes, judged against its own band,
/// when the plan has two groups or more (one group's check is the
/// total). Returns the number of such promises.
pub fn judge_groups(plan: &PlanFile, agg: &Aggregate, span: &Span, v: &mut Verdict) -> usize {
    if plan.groups.len() < 2 || plan.span_is_fallback(agg.window) {
        return 0;
    }
    let mut promises = 0;
    for (i, (g, cadence)) in plan.groups.iter().zip(plan.cadences()).enumerate() {
        if !matches!(
            cadence,
            Ok(GroupCadence::Paced(_)) | Ok(GroupCadence::Arrival(_))
        ) {
            continue;
        }
        let gp = group_plan(plan, i);
        let Some(e) = expect::expected(&gp, agg) else {
            continue;
        };
        promises += 1;
        let name = format!("throughput, group '{}'", g.name);
        let (check, causes, notes) = check(&gp, agg, span, &e, &name, Some(&g.name));
        if !check.pass && v.causes.is_empty() {
            v.causes = causes;
        }
        v.notes.extend(notes);
        push(v, check);
    }
    promises
}

/// One throughput check of `plan`'s groups against `e`: the row, the
/// causes of a miss, and notes (a draw judged, losses a band hid).
/// `group` names the group of a group's check (its words say so).
fn check(
    plan: &PlanFile,
    agg: &Aggregate,
    span: &Span,
    e: &Expected,
    name: &str,
    group: Option<&str>,
) -> (Check, Vec<Cause>, Vec<String>) {
    let c = counted(plan, agg);
    let n = c.achieved as f64;
    let in_band = match plan.acceptance.tolerance {
        Tolerance::Auto => at_least(n, e.transactions_low) && at_most(n, e.transactions_high),
        Tolerance::Fixed(_, f) => within_tolerance(n, e.transactions, f),
    };
    // The band allows for what a random schedule may draw. The schedule
    // the run did draw has no chance left in it: starts it drew and the
    // run never made or never finished are judged apart, as a fixed
    // schedule's are (half a transaction), or against a tolerance the
    // plan states. Otherwise a generous draw hides a stalling target that
    // a fixed pacing would fail.
    let (lost, lost_causes) = causes::execution_losses(plan, agg, e);
    let allowed = match plan.acceptance.tolerance {
        Tolerance::Auto => EXECUTION_SLACK,
        Tolerance::Fixed(..) => e.transactions - e.transactions_low,
    };
    let executed = at_most(lost, allowed);
    // A count outside the band whose draw alone lies outside it missed by
    // the schedule's chance, which the run's record makes known: judged
    // against the draw, with no variance left for the schedule.
    let by_draw = (!in_band)
        .then(|| drawn::drawn(plan, agg, e))
        .flatten()
        .filter(|d| d.explains_miss(e, n));
    let held_draw = by_draw.is_some_and(|d| d.contains(n) && executed);
    let what = if c.backlogged > 0 {
        "successful transactions completed in"
    } else {
        "successful transactions scheduled and answered in"
    };
    let mut check = Check {
        name: name.into(),
        target: format!("{}-{} TPM", r(e.tpm_low), r(e.tpm_high)),
        achieved: format!("{} TPM", r(c.tpm)),
        pass: (in_band || held_draw) && executed,
        reason: None,
        over: Some(span.over(
            format!("{} {what} {}", c.achieved, span.words()),
            c.achieved,
        )),
    };
    if let Some(d) = &by_draw {
        check.achieved = format!(
            "{} TPM, {} of {} drawn",
            r(c.tpm),
            c.achieved,
            r(d.transactions)
        );
    }
    let named = |text: String| match group {
        Some(g) => format!("group '{g}': {text}"),
        None => text,
    };
    let mut causes = Vec::new();
    let mut notes = Vec::new();
    let out_of_draw = by_draw.filter(|d| !d.contains(n));
    let why = if held_draw {
        notes.extend(by_draw.map(|d| named(drawn::note_held(&d, e, n))));
        None
    } else if let Some(d) = out_of_draw {
        Some(drawn::explain(plan, agg, e, &d))
    } else if !in_band && by_draw.is_none() {
        Some(causes::explain(plan, agg, e))
    } else if !executed {
        Some(causes::explain_execution(
            plan,
            agg,
            e,
            lost,
            allowed,
            lost_causes,
        ))
    } else {
        notes.extend(causes::hidden_losses(plan, agg, e).map(named));
        None
    };
    if let Some((text, cs)) = why {
        let text = named(text);
        causes = cs;
        if group.is_some() {
            for c in &mut causes {
                c.detail = named(c.detail.clone());
            }
        }
        check.reason = Some(text);
    }
    (check, causes, notes)
}
