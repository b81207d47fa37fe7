//! The throughput a run of the plan should reach over its window: the sum
//! of each group's expectation, with the band at the plan's confidence.
//! Start-to-start and arrival-rate groups are exact (plan::band); a
//! closed-loop group's mean comes from the plan's response time and its
//! spread from the iteration times the run measured, so that band is
//! approximate and says so.

use crate::plan::band::{Band, Load, band};
use crate::plan::file::{PlanFile, Tolerance};
use crate::plan::span::band_from_start;
use crate::plan::thresholds::Scope;
use crate::results::aggregate::Aggregate;
use crate::results::judgement::{Expected, GroupExpected};

/// The expectation of `plan` over `agg`'s window; `None` where the plan
/// sets no rate or the window is empty.
pub fn expected(plan: &PlanFile, agg: &Aggregate) -> Option<Expected> {
    let window = agg.window.1 - agg.window.0;
    if window <= 0.0 {
        return None;
    }
    // A closed-loop group's cycle varies as its iteration time does (the
    // delay is constant).
    let spread = |i: usize| {
        plan.groups
            .get(i)
            .and_then(|g| agg.groups.iter().find(|t| t.name == g.name))
            .map_or(0.0, |t| t.iteration_time.variance().sqrt())
    };
    let loads: Vec<_> = plan
        .group_loads(&spread)
        .into_iter()
        .collect::<Option<_>>()?;
    let conf = plan.acceptance.confidence;
    // The whole run's span counts each user from its own start; the
    // window's, every user present throughout (they all started before it).
    let ramp = plan.run.ramp_up();
    let band_of = |loads: &[Load]| match plan.acceptance.scope {
        Scope::Run if ramp > 0.0 => band_from_start(loads, ramp, agg.window.1, conf),
        _ => band(loads, window, conf),
    };
    let total = band_of(&loads);
    let approximate = plan
        .cadences()
        .iter()
        .any(|c| c.as_ref().is_ok_and(|c| c.is_closed_loop()));
    let groups = plan
        .groups
        .iter()
        .zip(&loads)
        .map(|(g, l)| {
            let b = band_of(std::slice::from_ref(l));
            GroupExpected {
                name: g.name.clone(),
                tpm: b.tpm,
                transactions: b.expected,
                sd: b.sd,
                transactions_per_iteration: g.transactions_per_iteration() as u32,
            }
        })
        .collect();
    // The plan's rate, as promised. The band's own centre can differ from it
    // by a fraction of a start per user: closed-loop users that start
    // together all start at the window's first instant.
    let planned_tpm = plan.planned_tps().map_or(total.tpm, |t| t * 60.0);
    // The band judged: the statistical one, or the expected count times
    // 1 ± f for a fixed tolerance, by the one computation the planner and
    // `--check` use (`Band::judged`).
    let tolerance = match plan.acceptance.tolerance {
        Tolerance::Auto => "auto".to_string(),
        Tolerance::Fixed(_, exact) => exact.percent_text(),
    };
    let judged = total.judged(plan.acceptance.tolerance);
    let mut e = Expected {
        tpm: planned_tpm,
        ..from_band(&judged, tolerance, approximate, groups)
    };
    e.drawn = super::drawn::drawn(plan, agg, &e).map(|d| d.transactions);
    Some(e)
}

fn from_band(
    b: &Band,
    tolerance: String,
    approximate: bool,
    groups: Vec<GroupExpected>,
) -> Expected {
    Expected {
        tpm: b.tpm,
        tpm_low: b.tpm_low,
        tpm_high: b.tpm_high,
        transactions: b.expected,
        transactions_low: b.count_low,
        transactions_high: b.count_high,
        confidence: b.confidence,
        tolerance,
        approximate,
        groups,
        drawn: None,
    }
}
