//! What one group of virtual users did over a run and its judged span:
//! the counts the verdict needs to judge the group's share of the plan
//! (its achieved count, docs/verdict.md) and to explain a shortfall.
//! Folded by the aggregate (aggregate.rs), one tally per group.

use super::aggregate::hist;
use super::occupancy::Occupancy;
use super::span::GroupSpan;
use hdrhistogram::Histogram;
use std::collections::BTreeMap;

/// Raw moments of some values (count, sums of powers), enough for a mean,
/// a variance and a third central moment without keeping the values.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Moments {
    pub n: u64,
    pub s1: f64,
    pub s2: f64,
    pub s3: f64,
}

impl Moments {
    pub(super) fn add(&mut self, v: f64) {
        self.n += 1;
        self.s1 += v;
        self.s2 += v * v;
        self.s3 += v * v * v;
    }

    pub fn mean(&self) -> f64 {
        if self.n == 0 {
            return 0.0;
        }
        self.s1 / self.n as f64
    }

    /// The (population) variance; 0 for fewer than two values.
    pub fn variance(&self) -> f64 {
        if self.n < 2 {
            return 0.0;
        }
        let m = self.mean();
        (self.s2 / self.n as f64 - m * m).max(0.0)
    }

    /// The third central moment; 0 for fewer than three values.
    pub fn third_central(&self) -> f64 {
        if self.n < 3 {
            return 0.0;
        }
        let n = self.n as f64;
        let m = self.mean();
        self.s3 / n - 3.0 * m * self.s2 / n + 2.0 * m * m * m
    }
}

/// What one group of virtual users did: the counts the verdict needs to
/// judge the group's share of the plan and to explain a shortfall. "In the
/// window" means scheduled inside the steady-state window (an iteration's
/// scheduled start, a missed or dropped start's planned time).
#[derive(Debug, Clone, PartialEq)]
pub struct GroupTally {
    pub name: String,
    /// Transactions, whole run.
    pub ok: u64,
    pub failed: u64,
    /// Transactions in the window.
    pub window_ok: u64,
    pub window_failed: u64,
    /// Of `window_failed`: cut off in flight at the end of the run.
    pub window_cutoff: u64,
    /// `window_failed` by error kind ([`ErrorKind::name`], cutoffs too).
    pub window_failed_kinds: BTreeMap<&'static str, u64>,
    /// The group's earliest failed transaction, whole run: (seconds since
    /// t0, its error text). A reason quotes this group's own error, never
    /// another group's.
    pub first_error: Option<(f64, String)>,
    /// Iterations, whole run and in the window.
    pub iterations: u64,
    pub window_iterations: u64,
    /// Iterations whose start on the absolute schedule lies in the window.
    pub window_iterations_planned: u64,
    /// Of `window_iterations`: those cut off before every step was sent.
    pub window_iterations_cut: u64,
    /// Of `window_iterations`: those that finished (not cut off) with a
    /// failed step. An HTTP iteration ends at a failed step that has
    /// extractors, so these are where its missing steps went.
    pub window_iterations_failed: u64,
    /// Planned starts in the window never made (behind schedule at the end).
    pub window_missed: u64,
    pub window_skipped: u64,
    pub window_dropped: u64,
    /// Iterations in the window that started late after an overrun, and the
    /// seconds they lost in all.
    pub window_late: u64,
    pub window_late_s: f64,
    /// Seconds the generator itself woke late for iterations in the window.
    pub window_lag_s: f64,
    /// Every iteration's duration (start to end), seconds: the closed-loop
    /// cycle is this plus the delay.
    pub iteration_time: Moments,
    /// The same durations' distribution (microseconds), ok or not.
    pub iteration_latency: Histogram<u64>,
    /// When users retired (seconds since the start).
    pub retired: Vec<f64>,
    pub users_started: u64,
    /// Users, iterations and idle gaps over the window, for the
    /// operational-law audit.
    pub occupancy: Occupancy,
    /// The group's transactions of the judged span, step by step, and
    /// what its achieved count needs (docs/verdict.md).
    pub span: GroupSpan,
    /// The lateness beyond which a start the generator made late (not
    /// after an overrun) is the generator's: max(250 ms, 10 % of one user's
    /// mean interval, or of 1/rate for an arrival rate). Seconds.
    pub tau: f64,
    /// Transactions per iteration (its steps, or 1 for a script).
    pub tx_per_iteration: f64,
    /// An arrival-rate group: its `missed` rows are arrivals the
    /// generator never started.
    pub open: bool,
    /// A closed loop (after-end, none): no backlog test (its users move
    /// together; a slow target shows as slower cycles).
    pub closed_loop: bool,
    /// Users that retired: `missed` rows of theirs are the rest of their
    /// schedule (the `retired` cause), not starts behind schedule.
    pub retired_users: Vec<u32>,
    /// Of `window_missed`: planned starts of retired users.
    pub window_missed_retired: u64,
    /// Of `window_missed`: arrivals the generator never started.
    pub window_missed_generator: u64,
    /// Iterations of the window the generator started more than `tau`
    /// late (not after an overrun), and the seconds they lost in all.
    pub window_generator_late: u64,
    pub window_generator_late_s: f64,
    /// Of those, iterations started at or after the window's end: never
    /// offered in it.
    pub window_started_after: u64,
}

impl GroupTally {
    pub(super) fn new(name: &str) -> GroupTally {
        GroupTally {
            name: name.to_string(),
            ok: 0,
            failed: 0,
            window_ok: 0,
            window_failed: 0,
            window_cutoff: 0,
            window_failed_kinds: BTreeMap::new(),
            first_error: None,
            iterations: 0,
            window_iterations: 0,
            window_iterations_planned: 0,
            window_iterations_cut: 0,
            window_iterations_failed: 0,
            window_missed: 0,
            window_skipped: 0,
            window_dropped: 0,
            window_late: 0,
            window_late_s: 0.0,
            window_lag_s: 0.0,
            iteration_time: Moments::default(),
            iteration_latency: hist(),
            retired: Vec::new(),
            users_started: 0,
            occupancy: Occupancy::default(),
            span: GroupSpan::new(),
            tau: MIN_TAU,
            tx_per_iteration: 1.0,
            open: false,
            closed_loop: false,
            retired_users: Vec::new(),
            window_missed_retired: 0,
            window_missed_generator: 0,
            window_generator_late: 0,
            window_generator_late_s: 0.0,
            window_started_after: 0,
        }
    }

    /// The group's achieved count over the span and how it was counted
    /// (docs/verdict.md, "The achieved count"): its successes of the span
    /// less those the generator never offered in it, or, when a queue
    /// grew over the span, its successes completed in it.
    pub fn achieved(&self, span_s: f64) -> Achieved {
        let backlog = (!self.closed_loop)
            .then(|| super::span::backlog(self.span.out_ok, self.span.inflight_s, span_s))
            .flatten();
        let scheduled = self.window_ok - self.span.generator_late_ok.min(self.window_ok);
        Achieved {
            transactions: match backlog {
                Some(_) => self.span.completed_ok,
                None => scheduled,
            },
            scheduled,
            backlog,
        }
    }
}

/// The smallest lateness of a start that is the generator's (250 ms):
/// a loaded machine wakes tens of ms late (106 ms seen while compiling
/// beside a study, docs/verdict.md), which is noise, not a stall.
pub const MIN_TAU: f64 = 0.25;

/// A group's achieved count.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Achieved {
    /// C_g: what the checks and reports count.
    pub transactions: u64,
    /// The successes of the span offered in it (by scheduled start).
    pub scheduled: u64,
    /// Set when the target fell behind (then `transactions` are the
    /// successes completed in the span).
    pub backlog: Option<super::span::Backlog>,
}
