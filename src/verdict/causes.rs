//! Why a run missed its band: the missing (or extra) transactions of the
//! span broken down into what the runner measured, each cause with the
//! transactions it explains and its share. Only causes that explain a
//! material share are named; what nothing explains is said to be so
//! (docs/verdict.md, "What a FAIL says").
//!
//! Per group, in transactions of the span (an iteration's transactions
//! count where its start was scheduled):
//!
//! - failed: transactions that ran and failed (not cut off, not stale);
//! - stale_connection: requests lost on a kept-alive connection the server
//!   had closed, not retried (not idempotent): pace's, not the target's;
//! - cutoff: transactions in flight when the run ended, and the steps of
//!   those iterations never sent;
//! - backlog: the target fell behind (a queue grew over the span): its
//!   successes scheduled in the span that completed after it;
//! - behind_schedule: planned starts of the span that were never made
//!   because earlier iterations overran (`drift` never repays the time,
//!   `catch-up` may not have finished): the absolute schedule's starts in
//!   the span minus the iterations made there;
//! - skipped, dropped: starts skipped after overruns (`skip`), arrivals that
//!   found no free user (arrival rate);
//! - retired: the planned starts of the span of users that had retired
//!   (recorded as `missed` rows after their `retired` row); a closed
//!   loop's, its mean cycles over the rest of the span;
//! - generator: starts the generator never made in time: arrivals it
//!   never started, starts made after the span, the share of starts
//!   behind schedule that its lateness (not an overrun) explains;
//! - scheduler_lag: a closed loop's cycles lost because the generator
//!   started its iterations late (Σ lag / cycle);
//! - slow_iterations: a closed loop's cycles lost because its iterations
//!   took longer than the plan assumes;
//! - schedule: a random schedule's own draw below its mean (never for a
//!   schedule that cannot vary);
//! - unexplained: the rest.

use super::throughput::counted;
use crate::plan::file::{Late, PlanFile, Tolerance};
use crate::plan::rate::GroupCadence;
use crate::results::aggregate::{Aggregate, GroupTally, Stats};
use crate::results::judgement::{Cause, Expected};
use crate::units::round_sig;

/// A cause is named when it explains at least this share of the gap.
pub const MATERIAL: f64 = 0.05;

/// Why a group's finished iterations made fewer transactions than the
/// plan declares. An HTTP group's iteration sends every step unless a
/// failing step that has extractors (or one that could not be built)
/// ended it, so when such iterations failed that is said, with the steps
/// that failed; otherwise (a script's custom timers) the plan's count is
/// what was off.
fn short_detail(
    g: &crate::plan::file::GroupSection,
    t: &GroupTally,
    short: f64,
    tpi: f64,
    agg: &Aggregate,
) -> String {
    let finished = count(
        (t.window_iterations - t.window_iterations_cut) as f64,
        "finished iteration",
    );
    if g.script.is_none() && t.window_iterations_failed > 0 {
        let failing = |s: &&crate::plan::file::StepSection| {
            agg.timers.get(&s.name).is_some_and(|m| m.errors > 0)
        };
        // The steps that end an iteration when they fail are the ones with
        // extractors; name those first, else any step that failed.
        let mut steps: Vec<String> = g
            .steps
            .iter()
            .filter(|s| !s.extract.is_empty())
            .filter(failing)
            .map(|s| format!("'{}'", s.name))
            .collect();
        if steps.is_empty() {
            steps = g
                .steps
                .iter()
                .filter(failing)
                .map(|s| format!("'{}'", s.name))
                .collect();
        }
        let after = if steps.is_empty() {
            String::new()
        } else {
            format!(" ({} failed)", steps.join(", "))
        };
        return format!(
            "iterations ended early after a failed step{after}: {} not sent in {} of the window's {} (× transactions_per_iteration = {})",
            count(short, "step"),
            count(t.window_iterations_failed as f64, "failed iteration"),
            finished,
            r(tpi)
        );
    }
    format!(
        "{} fewer than the window's {} × transactions_per_iteration = {} declare: iterations finished with fewer transactions than the plan counts on",
        count(short, "transaction"),
        finished,
        r(tpi)
    )
}

/// The first words of a throughput reason: achieved vs planned, and the
/// band (`throughput 990 TPM vs 1200 planned (band 1185-1215)`).
pub fn band_head(plan: &PlanFile, agg: &Aggregate, e: &Expected) -> String {
    format!(
        "throughput {} TPM vs {} planned (band {}-{}{})",
        r(counted(plan, agg).tpm),
        r(e.tpm),
        r(e.tpm_low),
        r(e.tpm_high),
        if e.approximate { ", approximate" } else { "" }
    )
}

/// The throughput check's reason and its causes, for a count outside the
/// band.
pub fn explain(plan: &PlanFile, agg: &Aggregate, e: &Expected) -> (String, Vec<Cause>) {
    let c = counted(plan, agg);
    let s = c.achieved as f64;
    let head = band_head(plan, agg, e);
    if s > e.transactions_high {
        return explain_excess(plan, agg, e, head);
    }
    let missing = e.transactions - s;
    let causes = shares(measured(plan, agg, e), missing, "", e.confidence);

    let started = c.started as f64;
    let mut text = head;
    let failed = span_failed(plan, agg);
    if started >= e.transactions_low && c.backlogged == 0 && failed > 0 {
        // The target answered enough; failures alone made the difference.
        text.push_str(&format!(
            ": {} succeeded + {} failed = {} started, inside the band; failures made the difference{}",
            c.started - failed,
            failed,
            c.started,
            failure_hint(plan, failed, c.started)
        ));
    } else {
        text.push_str(&format!(
            ": {} of the {} expected transactions missing",
            r(missing),
            r(e.transactions)
        ));
    }
    text.push_str(&listed(&causes));
    (text, causes)
}

/// Every cause the runner measured in the window, summed over the groups
/// (shares not yet computed).
pub(super) fn measured(plan: &PlanFile, agg: &Aggregate, e: &Expected) -> Vec<Cause> {
    let mut parts = Vec::new();
    for (i, g) in plan.groups.iter().enumerate() {
        let Some(t) = agg.groups.iter().find(|t| t.name == g.name) else {
            continue;
        };
        let cadence = plan.cadences()[i].clone().ok();
        parts.extend(group_causes(plan, i, t, cadence, e, agg));
    }
    merge(parts, plan.groups.len() > 1)
}

/// For a count inside the band: what the runner nevertheless measured as
/// lost, when it is material (at least [`MATERIAL`] of the expected count):
/// a note, since the band, wide for random pacing in a short window, can
/// hide a real fault. `None` when nothing material was lost.
pub fn hidden_losses(plan: &PlanFile, agg: &Aggregate, e: &Expected) -> Option<String> {
    let mut lost: Vec<Cause> = measured(plan, agg, e)
        .into_iter()
        .filter(|c| c.cause != "schedule")
        .collect();
    let total: f64 = lost.iter().map(|c| c.transactions).sum();
    if total < (MATERIAL * e.transactions).max(1.0) {
        return None;
    }
    for c in &mut lost {
        c.share = c.transactions / e.transactions.max(f64::MIN_POSITIVE);
    }
    lost.sort_by(|a, b| b.transactions.total_cmp(&a.transactions));
    let list: Vec<String> = lost
        .iter()
        .map(|c| {
            format!(
                "{} ({}% of the expected)",
                c.detail,
                round_sig(c.share * 100.0, 2)
            )
        })
        .collect();
    Some(format!(
        "the count stayed inside the band, but pace measured {} of the {} expected transactions lost: {}",
        r(total),
        r(e.transactions),
        list.join("; ")
    ))
}

/// The causes of a `gap` of transactions (missing, or extra) with their
/// shares: what they leave unexplained added as `unexplained`, then only
/// the material ones, largest first. Shares are of the gap, or of the
/// causes' sum where that is larger (a count can miss the mean by chance
/// in either direction).
pub(super) fn shares(mut causes: Vec<Cause>, gap: f64, what: &str, confidence: f64) -> Vec<Cause> {
    let explained: f64 = causes.iter().map(|c| c.transactions).sum();
    if gap - explained > 0.0 {
        causes.push(Cause {
            cause: "unexplained".into(),
            transactions: gap - explained,
            share: 0.0,
            detail: format!(
                "{}{what} not explained by anything pace measured",
                count(gap - explained, "transaction")
            ),
        });
    }
    let total = gap.max(explained).max(f64::MIN_POSITIVE);
    for c in &mut causes {
        c.share = c.transactions / total;
    }
    causes.retain(|c| c.share >= MATERIAL && c.transactions >= 0.5);
    causes.sort_by(|a, b| b.transactions.total_cmp(&a.transactions));
    // Nothing measured explains the gap: an honest run lands outside the
    // band as often as the band's confidence allows, and the reader should
    // know that this may be that run.
    if let [only] = causes.as_mut_slice()
        && only.cause == "unexplained"
    {
        only.detail.push_str(&format!(
            " (an honest run lands outside a {}% band about {} in 100 times: run it again to tell chance from a fault)",
            round_sig(confidence * 100.0, 4),
            round_sig((1.0 - confidence) * 100.0, 2)
        ));
    }
    causes
}

/// ": cause (share%); cause (share%)", or nothing.
pub(super) fn listed(causes: &[Cause]) -> String {
    if causes.is_empty() {
        return String::new();
    }
    let list: Vec<String> = causes
        .iter()
        .map(|c| format!("{} ({}%)", c.detail, round_sig(c.share * 100.0, 2)))
        .collect();
    format!(": {}", list.join("; "))
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
    e: &Expected,
    agg: &Aggregate,
) -> Vec<(String, Cause)> {
    let g = &plan.groups[i];
    let name = g.name.as_str();
    let tpi = g.transactions_per_iteration() as f64;
    let expected = e.groups.get(i).map_or(0.0, |x| x.transactions);
    let span = t.span.total(agg.limits.len());
    let mut out = Vec::new();
    let stale = span.stale as f64;
    let failed = t.window_failed.saturating_sub(t.window_cutoff) as f64 - stale;
    add(
        &mut out,
        name,
        "failed",
        failed,
        format!(
            "{} failed{}",
            count(failed, "transaction"),
            kinds_of_errors(t)
        ),
    );
    add(
        &mut out,
        name,
        "stale_connection",
        stale,
        format!(
            "{} lost on kept-alive connections the server had already closed (not retried: not idempotent): pace's connections, not answers of the target",
            count(stale, "request")
        ),
    );
    // Transactions the window's iterations should have made and did not:
    // an iteration cut off at the end never sent its remaining steps; one
    // that finished with fewer transactions than the plan declares (a
    // script whose custom timers vary) is the plan's count, not a cutoff.
    let gap = (t.window_iterations as f64 * tpi - (t.window_ok + t.window_failed) as f64).max(0.0);
    let unsent = gap.min(t.window_iterations_cut as f64 * tpi);
    let short = gap - unsent;
    add(
        &mut out,
        name,
        "short_iterations",
        short,
        short_detail(g, t, short, tpi, agg),
    );
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
    let achieved = t.achieved(agg.span_s());
    if let Some(b) = achieved.backlog {
        let n = achieved.scheduled.saturating_sub(achieved.transactions) as f64;
        add(
            &mut out,
            name,
            "backlog",
            n,
            format!(
                "{}: the target fell behind, a queue grew over the span ({} of its successes were still in flight at its end, where a steady pipeline carries its mean in flight, L = {}, across it, and more than {} but once in 10,000 runs); work it finished later was not achieved in the span",
                count(n, "transaction"),
                b.out,
                r(b.mean_in_flight),
                r(b.allowed)
            ),
        );
    }
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
    // An arrival drops when no user of the pool is free: busy, or gone
    // (a retired user leaves the pool), and which it was is said.
    let why = match t.retired.len() {
        0 => format!(
            "all {} of the pool were busy",
            count(g.users as f64, "user")
        ),
        r => format!(
            "no user of the pool was free ({r} of {} retired during the run, the others busy)",
            g.users
        ),
    };
    add(
        &mut out,
        name,
        "dropped",
        dropped,
        format!(
            "{} in {} arrivals dropped: {why}",
            count(dropped, "transaction"),
            t.window_dropped,
        ),
    );
    let Some(cadence) = cadence else {
        return out;
    };
    // A retired user's rest of the span: counted from its recorded
    // schedule (paced), estimated from its mean cycle (closed loop).
    let retired = match cadence {
        GroupCadence::Paced(_) => t.window_missed_retired as f64,
        _ => retired_iterations(t, cadence, agg.window),
    } * tpi;
    add(
        &mut out,
        name,
        "retired",
        retired,
        format!(
            "{} of {} that retired (repeated worker failures, or test data that ran out)",
            count(retired, "transaction"),
            count(t.retired.len() as f64, "user")
        ),
    );
    // The generator: arrivals it never started, and starts of the span it
    // made only after the span's end (their successes are not counted).
    let unstarted = t.window_missed_generator as f64 * tpi;
    let after = t.span.generator_late_ok as f64;
    let mut generator = unstarted + after;
    let mut generator_words = Vec::new();
    if unstarted > 0.0 {
        generator_words.push(format!(
            "{} never started ({} planned arrivals)",
            count(unstarted, "transaction"),
            t.window_missed_generator
        ));
    }
    if after > 0.0 {
        generator_words.push(format!(
            "{} whose iterations it started only after the span's end ({} iterations more than {} late)",
            count(after, "transaction"),
            t.window_started_after,
            secs(t.tau)
        ));
    }
    // What the schedule itself drew for the window: random pacing (and an
    // arrival rate's random phase) puts more or fewer starts in it than
    // the mean; a schedule that cannot vary has no chance to blame.
    let random = e.groups.get(i).is_some_and(|x| x.sd > 0.0);
    if let Some(drawn) = drawn_starts(t, cadence).filter(|_| random) {
        let short = expected - drawn * tpi;
        add(
            &mut out,
            name,
            "schedule",
            short,
            format!(
                "{}: the plan's random schedule drew {} for the window, not the {} of its average (chance in the plan's own pacing, not a fault of the target or of the generator)",
                count(short, "transaction"),
                count(drawn, "start"),
                r(expected / tpi)
            ),
        );
    }
    match cadence {
        GroupCadence::Paced(p) => {
            let missed = t
                .window_missed
                .saturating_sub(t.window_missed_retired + t.window_missed_generator);
            let behind = (t.window_iterations_planned + missed).saturating_sub(t.window_iterations)
                as f64
                * tpi;
            // Starts behind the absolute schedule are the generator's in
            // the share of lost time its own lateness (not an overrun)
            // took.
            let (late_s, lag_s) = (t.window_late_s, t.window_generator_late_s);
            let by_generator = if lag_s > 0.0 {
                behind * lag_s / (late_s + lag_s)
            } else {
                0.0
            };
            if by_generator > 0.0 {
                generator += by_generator;
                generator_words.push(format!(
                    "{} behind schedule because it started {} late by {} in all (not after overruns)",
                    count(by_generator, "transaction"),
                    count(t.window_generator_late as f64, "iteration"),
                    secs(lag_s)
                ));
            }
            let behind = behind - by_generator;
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
            let gap = expected_iterations - t.window_iterations as f64 - retired / tpi;
            let measured = t.iteration_time.mean();
            let cycle = iteration + delay;
            if gap > 0.0 && cycle > 0.0 {
                // Each of n iterations took (R − R_plan) longer and started
                // its lag late: n·(R − R_plan)/cycle and Σ lag/cycle cycles
                // lost, the time each really took from the window.
                let n = t.window_iterations as f64;
                let mut slow_n = n * (measured - iteration).max(0.0) / cycle * tpi;
                let mut lag_n = t.window_lag_s.max(0.0) / cycle * tpi;
                // The window's edges (a last cycle that runs past its end)
                // can make the time lost count a little more than the gap:
                // never more than the cycles that are missing.
                let most = gap * tpi;
                if slow_n + lag_n > most {
                    let k = most / (slow_n + lag_n);
                    slow_n *= k;
                    lag_n *= k;
                }
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
                        secs(measured + delay),
                        secs(cycle)
                    ),
                );
                // A closed loop draws no schedule, so this is no start
                // lost of one (not an execution loss): its own cause.
                add(
                    &mut out,
                    name,
                    "scheduler_lag",
                    lag_n,
                    format!(
                        "{}: the generator itself started iterations {} late in all (scheduler lag), so each user cycled that much less",
                        count(lag_n, "transaction"),
                        secs(t.window_lag_s)
                    ),
                );
            }
        }
        GroupCadence::Arrival(_) => {}
    }
    add(
        &mut out,
        name,
        "generator",
        generator,
        format!(
            "the generator fell behind: {}; the run cannot judge the target for this share of the load",
            generator_words.join("; ")
        ),
    );
    out
}

/// The iterations of window `(w0, w1)` (seconds) that a group's retired
/// users would have started had they kept their mean cycle; 0 for an
/// arrival-rate group, whose retired worker only leaves the pool (its
/// arrivals are then dropped, and counted as such).
pub(super) fn retired_iterations(
    t: &GroupTally,
    cadence: GroupCadence,
    (w0, w1): (f64, f64),
) -> f64 {
    match cadence {
        // A paced user's rest is recorded (its `missed` rows), an arrival
        // rate's retired worker only leaves the pool.
        GroupCadence::Arrival(_) | GroupCadence::Paced(_) => 0.0,
        GroupCadence::ClosedLoop { .. } => {
            let cycle = cadence.mean_cycle();
            t.retired
                .iter()
                .map(|&at| (w1 - at.max(w0)).max(0.0) / cycle)
                .sum()
        }
    }
}

/// The starts a scheduled group's schedule drew in the window: the ones
/// made (counted by their start on the absolute schedule) and the ones
/// never made (missed behind schedule, skipped, dropped). `None` for a
/// closed loop, which has no schedule.
pub(super) fn drawn_starts(t: &GroupTally, cadence: GroupCadence) -> Option<f64> {
    match cadence {
        GroupCadence::ClosedLoop { .. } => None,
        _ => Some(
            (t.window_iterations_planned + t.window_missed + t.window_skipped + t.window_dropped)
                as f64,
        ),
    }
}

/// The causes that are starts the schedule drew and the run never made,
/// never finished or saw fail: what the generator and the target failed to
/// execute, whatever the random schedule drew. A failed transaction is one
/// of them: the throughput promise counts successes, and a fixed pacing's
/// band (± half a transaction) already fails a run for one failure, so a
/// random pacing's wider band must not hide it (the adversarial study's
/// 1-0183: 7 of 46 transactions failed, inside a band of 483-957 TPM).
pub const EXECUTION: [&str; 8] = [
    "failed",
    "stale_connection",
    "behind_schedule",
    "skipped",
    "dropped",
    "cutoff",
    "retired",
    "generator",
];

/// The transactions of the window the run failed to execute (the
/// [`EXECUTION`] causes), with those causes.
pub fn execution_losses(plan: &PlanFile, agg: &Aggregate, e: &Expected) -> (f64, Vec<Cause>) {
    let lost: Vec<Cause> = measured(plan, agg, e)
        .into_iter()
        .filter(|c| EXECUTION.contains(&c.cause.as_str()))
        .collect();
    (lost.iter().map(|c| c.transactions).sum(), lost)
}

/// The plan's groups' failed transactions in the judged span.
fn span_failed(plan: &PlanFile, agg: &Aggregate) -> u64 {
    plan.groups
        .iter()
        .filter_map(|g| agg.groups.iter().find(|t| t.name == g.name))
        .map(|t| t.window_failed)
        .sum()
}

/// What a reason adds where failures lowered the count under `tolerance =
/// "auto"`: an error_rate threshold judges the failures' share, not how
/// far the count may fall, so a plan that lets some fail says so with a
/// tolerance.
/// Only where the advice could help: some transactions of the span
/// succeeded, and their failures are within the plan's error_rate (a run
/// whose every transaction failed, or that fails error_rate anyway, is
/// not a tolerance question). `failed` of `started` in the span.
fn failure_hint(plan: &PlanFile, failed: u64, started: u64) -> &'static str {
    let within_error_rate = plan
        .acceptance
        .error_rate
        .is_none_or(|limit| (failed as f64) <= limit.0 * started as f64);
    if matches!(plan.acceptance.tolerance, Tolerance::Auto) && failed < started && within_error_rate
    {
        "; to let failures lower the count, state a tolerance (error_rate judges their share, not the count)"
    } else {
        ""
    }
}

/// The throughput check's reason when the count is inside the band but
/// the run failed to execute more of its drawn schedule than `allowed`:
/// `lost` transactions, from `causes`.
pub fn explain_execution(
    plan: &PlanFile,
    agg: &Aggregate,
    e: &Expected,
    lost: f64,
    allowed: f64,
    mut causes: Vec<Cause>,
) -> (String, Vec<Cause>) {
    for c in &mut causes {
        c.share = c.transactions / lost.max(f64::MIN_POSITIVE);
    }
    causes.sort_by(|a, b| b.transactions.total_cmp(&a.transactions));
    let hint = if causes.iter().any(|c| c.cause == "failed") {
        failure_hint(plan, span_failed(plan, agg), counted(plan, agg).started)
    } else {
        ""
    };
    let text = format!(
        "throughput {} TPM is inside the band {}-{}, but {} that the schedule drew were never made, never finished or failed (the band allows for what a random schedule may draw, not for starts it drew and the run lost; allowed: {}){}{hint}",
        r(counted(plan, agg).tpm),
        r(e.tpm_low),
        r(e.tpm_high),
        count(lost, "transaction"),
        r(allowed),
        listed(&causes)
    );
    (text, causes)
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

/// The group's failed transactions in the window by kind, cutoffs left
/// out as the count they follow leaves them: " (30 status, 7 timeout)".
fn kinds_of_errors(t: &GroupTally) -> String {
    let kinds: Vec<String> = t
        .window_failed_kinds
        .iter()
        .filter(|(k, _)| **k != "cutoff")
        .map(|(k, n)| format!("{n} {k}"))
        .collect();
    if kinds.is_empty() {
        String::new()
    } else {
        format!(" ({})", kinds.join(", "))
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
    let extra = counted(plan, agg).achieved as f64 - e.transactions;
    let causes = shares(
        excess_causes(plan, agg, e, true),
        extra,
        " more than planned",
        e.confidence,
    );
    let text = format!(
        "{head}: {} more than the {} expected{}",
        count(extra, "transaction"),
        r(e.transactions),
        listed(&causes)
    );
    (text, causes)
}

/// What made more transactions than `e` expects, group by group (shares
/// not yet computed): the schedule's draw (when `with_schedule`) and
/// closed-loop iterations faster than the plan assumes.
pub(super) fn excess_causes(
    plan: &PlanFile,
    agg: &Aggregate,
    e: &Expected,
    with_schedule: bool,
) -> Vec<Cause> {
    let mut causes = Vec::new();
    for (i, g) in plan.groups.iter().enumerate() {
        let Some(t) = agg.groups.iter().find(|t| t.name == g.name) else {
            continue;
        };
        let random = e.groups.get(i).is_some_and(|x| x.sd > 0.0);
        let cadence = plan.cadences()[i]
            .clone()
            .ok()
            .filter(|_| with_schedule && random);
        if let Some(drawn) = cadence.and_then(|c| drawn_starts(t, c)) {
            let tpi = g.transactions_per_iteration() as f64;
            let expected = e.groups.get(i).map_or(0.0, |x| x.transactions);
            let more = drawn * tpi - expected;
            if more > 0.0 {
                causes.push(Cause {
                    cause: "schedule".into(),
                    transactions: more,
                    share: 0.0,
                    detail: format!(
                        "group '{}': the plan's random schedule drew {} for the window, not the {} of its average (chance in the plan's own pacing)",
                        g.name,
                        count(drawn, "start"),
                        r(expected / tpi)
                    ),
                });
            }
        }
        if let Ok(GroupCadence::ClosedLoop { iteration, delay }) = plan.cadences()[i] {
            let tpi = g.transactions_per_iteration() as f64;
            let expected = e.groups.get(i).map_or(0.0, |x| x.transactions);
            let more = t.achieved(agg.span_s()).transactions as f64 - expected;
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
    causes
}

fn r(v: f64) -> String {
    round_sig(v, 4)
}

pub use crate::units::{count, secs};

#[cfg(test)]
#[path = "causes_tests.rs"]
pub(super) mod tests;
