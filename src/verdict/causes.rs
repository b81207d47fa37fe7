//! Why a run missed its band: the missing (or extra) transactions of the
//! window broken down into what the runner measured, each cause with the
//! transactions it explains and its share. Only causes that explain a
//! material share are named; what nothing explains is said to be so.
//!
//! Per group, in transactions of the window (an iteration's transactions
//! count where its start was scheduled):
//!
//! - failed: transactions that ran and failed (not cut off);
//! - cutoff: transactions in flight when the run ended, and the steps of
//!   those iterations never sent;
//! - behind_schedule: planned starts of the window that were never made
//!   because earlier iterations overran (`drift` never repays the time,
//!   `catch-up` may not have finished): the absolute schedule's starts in
//!   the window minus the iterations made there;
//! - skipped, dropped: starts skipped after overruns (`skip`), arrivals that
//!   found no free user (arrival rate);
//! - retired: a retired user's share of the rest of the window;
//! - slow_iterations, scheduler_lag: a closed-loop group's missing cycles,
//!   split in proportion to how much longer its iterations took than the
//!   plan assumes and how late the generator started them;
//! - unexplained: the rest.

use crate::plan::file::{Late, PlanFile};
use crate::plan::rate::GroupCadence;
use crate::results::aggregate::{Aggregate, GroupTally, Stats};
use crate::results::judgement::{Cause, Expected};
use crate::units::round_sig;

/// A cause is named when it explains at least this share of the gap.
pub const MATERIAL: f64 = 0.05;

/// The throughput check's reason and its causes, for a count outside the
/// band.
pub fn explain(plan: &PlanFile, agg: &Aggregate, e: &Expected) -> (String, Vec<Cause>) {
    let s = agg.window_ok as f64;
    let head = format!(
        "throughput {} TPM vs {} planned (band {}-{}{})",
        r(agg.window_tpm()),
        r(e.tpm),
        r(e.tpm_low),
        r(e.tpm_high),
        if e.approximate { ", approximate" } else { "" }
    );
    if s > e.transactions_high {
        return explain_excess(plan, agg, e, head);
    }
    let missing = e.transactions - s;
    let mut parts = Vec::new();
    for (i, g) in plan.groups.iter().enumerate() {
        let Some(t) = agg.groups.iter().find(|t| t.name == g.name) else {
            continue;
        };
        let cadence = plan.cadences()[i].clone().ok();
        let expected = e.groups.get(i).map_or(0.0, |x| x.transactions);
        parts.extend(group_causes(plan, i, t, cadence, expected, agg));
    }
    let named = merge(parts, plan.groups.len() > 1);
    let explained: f64 = named.iter().map(|c| c.transactions).sum();
    let mut causes = named;
    let rest = missing - explained;
    if rest > 0.0 {
        causes.push(Cause {
            cause: "unexplained".into(),
            transactions: rest,
            share: 0.0,
            detail: format!(
                "{} not explained by anything pace measured",
                count(rest, "transaction")
            ),
        });
    }
    let total = missing.max(explained).max(f64::MIN_POSITIVE);
    for c in &mut causes {
        c.share = c.transactions / total;
    }
    causes.retain(|c| c.share >= MATERIAL && c.transactions >= 0.5);
    causes.sort_by(|a, b| b.transactions.total_cmp(&a.transactions));

    let started = agg.window_all as f64;
    let mut text = head;
    if started >= e.transactions_low {
        // The target answered enough; failures alone made the difference.
        text.push_str(&format!(
            ": {} succeeded + {} failed = {} started, inside the band; failures made the difference",
            agg.window_ok,
            agg.window_all - agg.window_ok,
            agg.window_all
        ));
    } else {
        text.push_str(&format!(
            ": {} of the {} expected transactions missing",
            r(missing),
            r(e.transactions)
        ));
    }
    if !causes.is_empty() {
        let list: Vec<String> = causes
            .iter()
            .map(|c| format!("{} ({}%)", c.detail, round_sig(c.share * 100.0, 2)))
            .collect();
        text.push_str(": ");
        text.push_str(&list.join("; "));
    }
    (text, causes)
}

/// Records a cause of group `group` when it explains anything.
fn add(out: &mut Vec<(String, Cause)>, group: &str, cause: &str, n: f64, detail: String) {
    if n > 0.0 {
        out.push((
            group.to_string(),
            Cause {
                cause: cause.into(),
                transactions: n,
                share: 0.0,
                detail,
            },
        ));
    }
}

/// One group's causes (shares not yet computed).
fn group_causes(
    plan: &PlanFile,
    i: usize,
    t: &GroupTally,
    cadence: Option<GroupCadence>,
    expected: f64,
    agg: &Aggregate,
) -> Vec<(String, Cause)> {
    let g = &plan.groups[i];
    let name = g.name.as_str();
    let tpi = g.transactions_per_iteration() as f64;
    let mut out = Vec::new();
    let failed = t.window_failed.saturating_sub(t.window_cutoff) as f64;
    add(
        &mut out,
        name,
        "failed",
        failed,
        format!(
            "{} failed{}",
            count(failed, "transaction"),
            kinds_of_errors(agg)
        ),
    );
    let unsent =
        (t.window_iterations as f64 * tpi - (t.window_ok + t.window_failed) as f64).max(0.0);
    let cut = t.window_cutoff as f64 + unsent;
    add(
        &mut out,
        name,
        "cutoff",
        cut,
        format!(
            "{} cut off when the run ended ({} in flight, {} never sent)",
            count(cut, "transaction"),
            t.window_cutoff,
            unsent
        ),
    );
    let skipped = t.window_skipped as f64 * tpi;
    add(
        &mut out,
        name,
        "skipped",
        skipped,
        format!(
            "{} in {} starts skipped after overruns (late = \"skip\")",
            count(skipped, "transaction"),
            t.window_skipped
        ),
    );
    let dropped = t.window_dropped as f64 * tpi;
    add(
        &mut out,
        name,
        "dropped",
        dropped,
        format!(
            "{} in {} arrivals dropped: all {} of the pool were busy",
            count(dropped, "transaction"),
            t.window_dropped,
            count(g.users as f64, "user")
        ),
    );
    let Some(cadence) = cadence else {
        return out;
    };
    let (w0, w1) = agg.window;
    let cycle = cadence.mean_cycle();
    let retired_iterations: f64 = match cadence {
        // A retired worker leaves the pool: its arrivals are dropped.
        GroupCadence::Arrival(_) => 0.0,
        _ => t
            .retired
            .iter()
            .map(|&at| (w1 - at.max(w0)).max(0.0) / cycle)
            .sum(),
    };
    add(
        &mut out,
        name,
        "retired",
        retired_iterations * tpi,
        format!(
            "{} of {} that retired after repeated worker failures",
            count(retired_iterations * tpi, "transaction"),
            count(t.retired.len() as f64, "user")
        ),
    );
    match cadence {
        GroupCadence::Paced(p) => {
            let behind = (t.window_iterations_planned + t.window_missed)
                .saturating_sub(t.window_iterations) as f64
                * tpi;
            add(
                &mut out,
                name,
                "behind_schedule",
                behind,
                behind_detail(behind, t, p.mean(), g.pacing.late, g.users),
            );
        }
        GroupCadence::ClosedLoop { iteration, delay } => {
            let expected_iterations = expected / tpi;
            let gap = expected_iterations - t.window_iterations as f64 - retired_iterations;
            let measured = t.iteration_time.mean();
            let slow = (measured - iteration).max(0.0);
            let lag = if t.window_iterations > 0 {
                (t.window_lag_s / t.window_iterations as f64).max(0.0)
            } else {
                0.0
            };
            if gap > 0.0 && slow + lag > 0.0 {
                let slow_n = gap * tpi * slow / (slow + lag);
                let lag_n = gap * tpi * lag / (slow + lag);
                add(
                    &mut out,
                    name,
                    "slow_iterations",
                    slow_n,
                    format!(
                        "{}: iterations took {} on average, not the {} the plan assumes (target.response_time per transaction), so each user cycled every {}, not {}",
                        count(slow_n, "transaction"),
                        secs(measured),
                        secs(iteration),
                        secs(measured + delay + lag),
                        secs(iteration + delay)
                    ),
                );
                add(
                    &mut out,
                    name,
                    "scheduler_lag",
                    lag_n,
                    format!(
                        "{}: the generator itself started iterations {} late on average (scheduler lag)",
                        count(lag_n, "transaction"),
                        secs(lag)
                    ),
                );
            }
        }
        GroupCadence::Arrival(_) => {}
    }
    out
}

/// The late-start cause in words, with the advice that applies: what held
/// the users back (iterations that overran their pacing, or iterations
/// that never ended), and what would keep starts on time.
fn behind_detail(n: f64, t: &GroupTally, pacing: f64, late: Late, users: u64) -> String {
    let iter = Stats::of(&t.iteration_latency);
    let mut why = Vec::new();
    if t.window_late > 0 {
        let lost = match late {
            Late::Drift => format!(
                "{} lost in all, never made up under late = \"drift\"",
                secs(t.window_late_s)
            ),
            Late::CatchUp => "not yet repaid when the run ended (late = \"catch-up\")".to_string(),
            Late::Skip => String::new(),
        };
        why.push(format!(
            "{} started late after the previous one overran the {} pacing (iteration p99 {}; {lost})",
            count(t.window_late as f64, "iteration"),
            secs(pacing),
            secs(iter.p99)
        ));
    }
    if t.window_iterations_cut > 0 {
        why.push(format!(
            "{} never ended, so {} made no further start (cut off when the run ended)",
            count(t.window_iterations_cut as f64, "iteration"),
            if t.window_iterations_cut == 1 {
                "its user"
            } else {
                "their users"
            }
        ));
    }
    let mut s = format!("{} lost to starts never made", count(n, "transaction"));
    if !why.is_empty() {
        s.push_str(": ");
        s.push_str(&why.join("; "));
    }
    if t.window_late == 0 {
        return s;
    }
    // Little's law: holding `rate` iterations/s keeps rate x (iteration
    // time) users busy; a start is on time only when the pacing
    // (users / rate) exceeds the iteration it follows.
    let rate = users as f64 / pacing;
    let mean = t.iteration_time.mean();
    let need = |v: f64| (rate * v).ceil() as u64;
    if mean >= pacing {
        s.push_str(&format!(
            "; {} iterations/s with a mean iteration time of {} keep {} users busy (Little's law): more than the plan's {}",
            r(rate),
            secs(mean),
            r(rate * mean),
            users
        ));
    }
    if let Some(v) = [iter.p99, iter.max].into_iter().find(|&v| need(v) > users) {
        s.push_str(&format!(
            "; {} with a pacing of {} give the same {} iterations/s and start on time after iterations of up to {}",
            count(need(v) as f64, "user"),
            secs(need(v) as f64 / rate),
            r(rate),
            secs(v)
        ));
        if late == Late::Drift && mean < pacing {
            s.push_str(&format!(
                ", or late = \"catch-up\" repays the lost time (the mean iteration, {}, fits the pacing)",
                secs(mean)
            ));
        }
    }
    s
}

/// "(over the run: 30 status, 7 timeout)".
fn kinds_of_errors(agg: &Aggregate) -> String {
    let kinds: Vec<String> = agg
        .errors
        .iter()
        .filter(|(k, _)| k.as_str() != "cutoff")
        .map(|(k, v)| format!("{} {k}", v.count))
        .collect();
    if kinds.is_empty() {
        String::new()
    } else {
        format!(" (errors over the run: {})", kinds.join(", "))
    }
}

/// Sums each cause over the groups; with several groups, each part says
/// which group it is.
fn merge(parts: Vec<(String, Cause)>, several: bool) -> Vec<Cause> {
    let mut out: Vec<Cause> = Vec::new();
    for (group, c) in parts {
        let detail = if several {
            format!("group '{group}': {}", c.detail)
        } else {
            c.detail
        };
        match out.iter_mut().find(|o| o.cause == c.cause) {
            Some(o) => {
                o.transactions += c.transactions;
                o.detail = format!("{}, {detail}", o.detail);
            }
            None => out.push(Cause { detail, ..c }),
        }
    }
    out
}

/// A count above the band: what made more transactions than planned.
fn explain_excess(
    plan: &PlanFile,
    agg: &Aggregate,
    e: &Expected,
    head: String,
) -> (String, Vec<Cause>) {
    let extra = agg.window_ok as f64 - e.transactions;
    let mut causes = Vec::new();
    for (i, g) in plan.groups.iter().enumerate() {
        let Some(t) = agg.groups.iter().find(|t| t.name == g.name) else {
            continue;
        };
        if let Ok(GroupCadence::ClosedLoop { iteration, delay }) = plan.cadences()[i] {
            let tpi = g.transactions_per_iteration() as f64;
            let expected = e.groups.get(i).map_or(0.0, |x| x.transactions);
            let more = t.window_ok as f64 - expected;
            let measured = t.iteration_time.mean();
            if more > 0.0 && measured < iteration {
                causes.push(Cause {
                    cause: "fast_iterations".into(),
                    transactions: more,
                    share: 0.0,
                    detail: format!(
                        "group '{}' iterations took {} on average, not the {} the plan assumes, so each user cycled every {}, not {} ({} more iterations)",
                        g.name,
                        secs(measured),
                        secs(iteration),
                        secs(measured + delay),
                        secs(iteration + delay),
                        r(more / tpi)
                    ),
                });
            }
        }
    }
    let explained: f64 = causes.iter().map(|c: &Cause| c.transactions).sum();
    if extra - explained > 0.0 {
        causes.push(Cause {
            cause: "unexplained".into(),
            transactions: extra - explained,
            share: 0.0,
            detail: format!(
                "{} more than planned not explained by anything pace measured",
                count(extra - explained, "transaction")
            ),
        });
    }
    let total = extra.max(explained).max(f64::MIN_POSITIVE);
    for c in &mut causes {
        c.share = c.transactions / total;
    }
    causes.retain(|c| c.share >= MATERIAL && c.transactions >= 0.5);
    causes.sort_by(|a, b| b.transactions.total_cmp(&a.transactions));
    let mut text = format!(
        "{head}: {} more than the {} expected",
        count(extra, "transaction"),
        r(e.transactions)
    );
    if !causes.is_empty() {
        let list: Vec<String> = causes
            .iter()
            .map(|c| format!("{} ({}%)", c.detail, round_sig(c.share * 100.0, 2)))
            .collect();
        text.push_str(": ");
        text.push_str(&list.join("; "));
    }
    (text, causes)
}

fn r(v: f64) -> String {
    round_sig(v, 4)
}

/// "1 transaction", "37 transactions", "12.5 transactions".
pub fn count(n: f64, noun: &str) -> String {
    let shown = if (n - n.round()).abs() < 1e-9 {
        format!("{}", n.round())
    } else {
        round_sig(n, 3)
    };
    if shown == "1" {
        format!("1 {noun}")
    } else {
        format!("{shown} {noun}s")
    }
}

/// A duration in seconds as "250 ms" or "1.5 s".
pub fn secs(v: f64) -> String {
    if v < 1.0 {
        format!("{} ms", round_sig(v * 1000.0, 3))
    } else {
        format!("{} s", round_sig(v, 3))
    }
}
