//! The window's count as the run's own schedule drew it, and the verdict
//! on a count that lies outside the band only because of that draw.
//!
//! The band is the spread of the count over every schedule the plan may
//! draw: each paced user's phase (uniform in one interval, fixed pacing
//! included) and its random intervals, an arrival rate's phase. After the
//! run that draw is known, start by start (`iter_planned`, `missed`,
//! `skipped`, `dropped`), and it is pace's, not the target's. When the
//! draw alone lies outside the band and the run made what it drew, a FAIL
//! would blame the system for pace's own dice (about 1 run in 100 of a
//! 99 % band). Such a run is judged against its draw instead, with no
//! variance left for the schedule: what remains is the closed-loop
//! groups' own spread (they draw nothing), the half-transaction continuity
//! step, or the tolerance the plan states.

use super::causes::{self, count, drawn_starts, retired_iterations};
use crate::plan::band::z_two_sided;
use crate::plan::file::{PlanFile, Tolerance};
use crate::plan::rate::GroupCadence;
use crate::results::aggregate::Aggregate;
use crate::results::judgement::{Cause, Expected};
use crate::units::round_sig;

/// The count a run's drawn schedule puts in its window, in transactions,
/// and the range an honest run that made that schedule lands in.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Drawn {
    /// Every scheduled group's drawn starts (made or not, plus the cycles
    /// of users retired in the window) times its transactions per
    /// iteration, plus every closed-loop group's expected transactions.
    pub transactions: f64,
    /// The starts behind `transactions` (scheduled groups only).
    pub starts: f64,
    pub low: f64,
    pub high: f64,
}

impl Drawn {
    /// Whether a count of successful transactions fits the draw.
    pub fn contains(&self, n: f64) -> bool {
        n >= self.low && n <= self.high
    }

    /// Whether the draw alone puts the count `n`, outside `e`'s band, on
    /// the side it fell: then the band's miss is the schedule's chance,
    /// and the run is judged against the draw.
    pub fn explains_miss(&self, e: &Expected, n: f64) -> bool {
        (n > e.transactions_high && self.transactions > e.transactions_high)
            || (n < e.transactions_low && self.transactions < e.transactions_low)
    }
}

/// What `agg`'s schedule drew for its window, against `plan`'s
/// expectation `e`; `None` when no group draws a schedule (all closed
/// loops), when a group's cadence is not known, or when a group left no
/// tally (nothing recorded, so nothing is known of its draw).
pub fn drawn(plan: &PlanFile, agg: &Aggregate, e: &Expected) -> Option<Drawn> {
    let cadences = plan.cadences();
    let mut transactions = 0.0;
    let mut starts = 0.0;
    let mut closed_var = 0.0;
    let mut step: f64 = 1.0;
    let mut scheduled = false;
    for (i, g) in plan.groups.iter().enumerate() {
        let cadence = cadences.get(i)?.clone().ok()?;
        let tpi = g.transactions_per_iteration() as f64;
        step = step.max(tpi);
        let x = e.groups.get(i)?;
        let t = agg.groups.iter().find(|t| t.name == g.name);
        match (cadence, t) {
            (GroupCadence::ClosedLoop { .. }, _) => {
                transactions += x.transactions;
                closed_var += x.sd * x.sd;
            }
            (c, Some(t)) => {
                let d = drawn_starts(t, c)?;
                scheduled = true;
                starts += d;
                transactions += (d + retired_iterations(t, c, agg.window)) * tpi;
            }
            (_, None) => return None,
        }
    }
    if !scheduled {
        return None;
    }
    let half = match plan.acceptance.tolerance {
        Tolerance::Auto => z_two_sided(e.confidence) * closed_var.sqrt() + step / 2.0,
        Tolerance::Fixed(_) => e.transactions - e.transactions_low,
    };
    Some(Drawn {
        transactions,
        starts,
        low: (transactions - half).max(0.0),
        high: transactions + half,
    })
}

/// "the plan's random schedule drew 265 starts for the window (265
/// transactions), outside the band 237-263 by chance".
fn drew(d: &Drawn, e: &Expected) -> String {
    let tx = if (d.transactions - d.starts).abs() > 1e-9 {
        format!(" ({})", count(d.transactions, "transaction"))
    } else {
        String::new()
    };
    format!(
        "the plan's random schedule drew {}{tx} for the window where its average is {}, outside the band {}-{} by chance (pace's own draw of phases and intervals, not a fault of the target or of the generator)",
        count(d.starts, "start"),
        r(e.transactions),
        r(e.transactions_low),
        r(e.transactions_high)
    )
}

/// The note for a run whose count missed the band only by its draw, and
/// made what it drew: it is judged against the draw, and holds.
pub fn note_held(d: &Drawn, e: &Expected, n: f64) -> String {
    format!(
        "throughput judged against the drawn schedule: {}; the run made it ({} succeeded, {}-{} expected of that draw)",
        drew(d, e),
        r(n),
        r(d.low),
        r(d.high)
    )
}

/// The throughput check's reason and causes for a count that missed the
/// band by its draw and also missed the draw (`n` successful transactions
/// in the window): only what the run failed to make of its draw is a
/// cause, never the draw itself.
pub fn explain(plan: &PlanFile, agg: &Aggregate, e: &Expected, d: &Drawn) -> (String, Vec<Cause>) {
    let n = agg.window_ok as f64;
    let head = format!(
        "throughput {} TPM vs {} planned (band {}-{}{}), judged against the drawn schedule: {}",
        r(agg.window_tpm()),
        r(e.tpm),
        r(e.tpm_low),
        r(e.tpm_high),
        if e.approximate { ", approximate" } else { "" },
        drew(d, e)
    );
    if n > d.high {
        let extra = n - d.transactions;
        let causes = causes::shares(
            causes::excess_causes(plan, agg, e, false),
            extra,
            " more than drawn",
            e.confidence,
        );
        let text = format!(
            "{head}; {} more than drawn{}",
            count(extra, "transaction"),
            causes::listed(&causes)
        );
        return (text, causes);
    }
    let missing = d.transactions - n;
    let lost = causes::measured(plan, agg, e)
        .into_iter()
        .filter(|c| c.cause != "schedule")
        .collect();
    let causes = causes::shares(lost, missing, "", e.confidence);
    let text = format!(
        "{head}; {} of them missing{}",
        r(missing),
        causes::listed(&causes)
    );
    (text, causes)
}

fn r(v: f64) -> String {
    round_sig(v, 4)
}
