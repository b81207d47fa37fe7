//! What the judged span holds, group by group and step by step: the
//! counts every check of docs/verdict.md ("The semantics") is decided on.
//!
//! A transaction belongs to the span [a, b) when its iteration's scheduled
//! start lies in it. Each step's tally keeps, for every latency limit the
//! plan sets anywhere, how many of its transactions finished within it
//! (a success, or a failure that is neither a timeout nor a cut-off) and
//! how many successes did: the latency checks are then integer
//! comparisons of recorded values, never an HDR bucket's edge. The group
//! keeps what the achieved count needs: the successes completed inside
//! the span, those that completed after it, and the time its transactions
//! spent in flight inside it (Little's L).

use super::aggregate::{Bounds, Stats};
use super::sample::{ErrorKind, Sample};
use hdrhistogram::Histogram;
use std::sync::Arc;

fn hist() -> Histogram<u64> {
    Histogram::new(3).expect("3 significant digits is valid")
}

fn micros(s: f64) -> u64 {
    (s * 1e6).round().max(0.0) as u64
}

/// The transactions of the span of one step of one group (or, merged,
/// of a group or of the plan).
#[derive(Debug, Clone, PartialEq)]
pub struct SpanTally {
    /// Every transaction of the span: successes and failures, cut-offs
    /// included.
    pub n: u64,
    pub ok: u64,
    pub failed: u64,
    /// Failures that never finished: timeouts and cut-offs. Never within
    /// a latency limit, whatever their elapsed time.
    pub unfinished: u64,
    /// Failures on a kept-alive connection the server had closed (not
    /// the target's answer).
    pub stale: u64,
    /// Per limit of the aggregate's `limits` (same order): transactions
    /// that finished within it, successes or failures.
    pub within_all: Vec<u64>,
    /// Per limit: successes within it.
    pub within_ok: Vec<u64>,
    /// Every transaction's elapsed time (µs): what a percentile over all
    /// of them reads.
    pub all: Histogram<u64>,
    pub all_bounds: Bounds,
    /// The successes' elapsed times.
    pub ok_latency: Histogram<u64>,
    pub ok_bounds: Bounds,
}

impl SpanTally {
    pub fn new(limits: usize) -> SpanTally {
        SpanTally {
            n: 0,
            ok: 0,
            failed: 0,
            unfinished: 0,
            stale: 0,
            within_all: vec![0; limits],
            within_ok: vec![0; limits],
            all: hist(),
            all_bounds: Bounds::default(),
            ok_latency: hist(),
            ok_bounds: Bounds::default(),
        }
    }

    /// Counts one transaction of the span.
    fn add(&mut self, s: &Sample, limits: &[f64]) {
        self.n += 1;
        let _ = self.all.record(micros(s.latency));
        self.all_bounds.add(s.latency);
        let finished = s.ok
            || !matches!(
                s.error_kind,
                Some(ErrorKind::Timeout) | Some(ErrorKind::Cutoff)
            );
        if s.ok {
            self.ok += 1;
            let _ = self.ok_latency.record(micros(s.latency));
            self.ok_bounds.add(s.latency);
        } else {
            self.failed += 1;
            if !finished {
                self.unfinished += 1;
            }
            if s.error_kind == Some(ErrorKind::Stale) {
                self.stale += 1;
            }
        }
        if finished {
            for (i, &l) in limits.iter().enumerate() {
                if s.latency <= l {
                    self.within_all[i] += 1;
                    if s.ok {
                        self.within_ok[i] += 1;
                    }
                }
            }
        }
    }

    /// Adds another tally of the same limits.
    pub fn merge(&mut self, o: &SpanTally) {
        self.n += o.n;
        self.ok += o.ok;
        self.failed += o.failed;
        self.unfinished += o.unfinished;
        self.stale += o.stale;
        for (a, b) in self.within_all.iter_mut().zip(&o.within_all) {
            *a += b;
        }
        for (a, b) in self.within_ok.iter_mut().zip(&o.within_ok) {
            *a += b;
        }
        let _ = self.all.add(&o.all);
        self.all_bounds.merge(&o.all_bounds);
        let _ = self.ok_latency.add(&o.ok_latency);
        self.ok_bounds.merge(&o.ok_bounds);
    }

    /// Statistics of every transaction's elapsed time.
    pub fn all_stats(&self) -> Stats {
        Stats::bounded(&self.all, &self.all_bounds)
    }

    /// Statistics of the successes' elapsed times.
    pub fn ok_stats(&self) -> Stats {
        Stats::bounded(&self.ok_latency, &self.ok_bounds)
    }
}

/// A group's share of the span: its steps' tallies and what its achieved
/// count needs.
#[derive(Debug, Clone, PartialEq)]
pub struct GroupSpan {
    /// Per step name, in the order first seen.
    pub steps: Vec<(Arc<str>, SpanTally)>,
    /// Successes (any scheduled start) whose completion `t + latency`
    /// lies in [a, b).
    pub completed_ok: u64,
    /// Successes of the span in flight at b (sent before it, completed at
    /// or after it) whose iteration started in time (no more than τ late:
    /// a late start is the generator's).
    pub out_ok: u64,
    /// Seconds the group's transactions (any, ok or not) spent in flight
    /// inside [a, b): over the span's length, the mean number in flight L.
    pub inflight_s: f64,
    /// Transactions of the span whose iteration the generator started at
    /// or after b and more than τ late: never offered in the span.
    pub generator_late_tx: u64,
    /// Of those, the successes.
    pub generator_late_ok: u64,
}

impl GroupSpan {
    pub fn new() -> GroupSpan {
        GroupSpan {
            steps: Vec::new(),
            completed_ok: 0,
            out_ok: 0,
            inflight_s: 0.0,
            generator_late_tx: 0,
            generator_late_ok: 0,
        }
    }

    /// Folds a step row (a transaction) into the span: `span` is [a, b),
    /// `tau` the group's lateness tolerance, `limits` every latency limit
    /// of the plan.
    pub fn add(&mut self, s: &Sample, span: (f64, f64), tau: f64, limits: &[f64]) {
        let (a, b) = span;
        let end = s.t + s.latency;
        // In flight inside the span, whatever its scheduled start.
        let overlap = end.min(b) - s.t.max(a);
        if overlap > 0.0 {
            self.inflight_s += overlap;
        }
        if s.ok && end >= a && end < b {
            self.completed_ok += 1;
        }
        if !(s.iter_sched >= a && s.iter_sched < b) {
            return;
        }
        // A step's samples share its one name: a pointer compare finds it
        // on this hot path, the text compare is for rows read back.
        let i = match self
            .steps
            .iter()
            .position(|(n, _)| Arc::ptr_eq(n, &s.name) || **n == *s.name)
        {
            Some(i) => i,
            None => {
                self.steps
                    .push((s.name.clone(), SpanTally::new(limits.len())));
                self.steps.len() - 1
            }
        };
        self.steps[i].1.add(s, limits);
        // Late by the generator: beyond τ, and not after an overrun (that
        // start's lateness is the previous iteration's, behind schedule).
        let late = !s.overrun && s.iter_start - s.iter_sched > tau;
        if late && s.iter_start >= b {
            self.generator_late_tx += 1;
            if s.ok {
                self.generator_late_ok += 1;
            }
        } else if s.ok && s.t < b && end >= b && !late {
            // In flight at the edge: sent before it, answered after. Only
            // work started in time says the target queued it (a generator
            // that released late starts in a burst leaves them in flight by
            // its own doing), and a later step of an iteration, sent after
            // the edge because of its think times, was never in flight.
            self.out_ok += 1;
        }
    }

    /// The group's transactions of the span, every step merged.
    pub fn total(&self, limits: usize) -> SpanTally {
        let mut t = SpanTally::new(limits);
        for (_, s) in &self.steps {
            t.merge(s);
        }
        t
    }

    /// One step's tally, if it had a transaction in the span.
    pub fn step(&self, name: &str) -> Option<&SpanTally> {
        self.steps
            .iter()
            .find(|(n, _)| **n == *name)
            .map(|(_, t)| t)
    }
}

impl Default for GroupSpan {
    fn default() -> Self {
        GroupSpan::new()
    }
}

/// The chance a steady pipeline may have of reading as a backlog: a
/// finding must stand above the noise of its data, so at most one healthy
/// group in 10,000 is told it fell behind.
pub const BACKLOG_ALPHA: f64 = 1e-4;

/// Above this mean in flight the Poisson tail is taken as Normal.
const POISSON_EXACT_UP_TO: f64 = 100.0;

/// The one-sided Normal quantile of [`BACKLOG_ALPHA`].
pub const BACKLOG_Z: f64 = 3.72;

/// The most a steady pipeline with `l` transactions in flight on average
/// carries across an instant, but for a chance of [`BACKLOG_ALPHA`]: its
/// count in flight is about Poisson(l) (an M/G/∞ occupancy; paced users,
/// one request each at a time, vary less), so this is the largest c with
/// P(X ≥ c + 1) > α, exactly for l ≤ 100 and l + 3.72·√l + 1 above (the
/// Normal with a continuity term).
pub fn steady_in_flight(l: f64) -> f64 {
    if l.is_nan() || l <= 0.0 {
        return 0.0;
    }
    if l > POISSON_EXACT_UP_TO {
        return l + BACKLOG_Z * l.sqrt() + 1.0;
    }
    // P(X >= c+1) = 1 - P(X <= c): add terms until the rest is <= α.
    let mut pmf = (-l).exp();
    let mut cdf = pmf;
    let mut c = 0u64;
    while 1.0 - cdf > BACKLOG_ALPHA {
        c += 1;
        pmf *= l / c as f64;
        cdf += pmf;
    }
    c as f64
}

/// The target's backlog test of one paced or arrival-rate group
/// (docs/verdict.md, "The achieved count"): the successes in flight at the
/// span's end, `out` (sent before it, answered after), against what a
/// steady pipeline carries across an edge ([`steady_in_flight`] of L, the
/// mean number of the group's transactions in flight over the span).
/// Little's law (L = λ·W) holds for a steady pipeline at its edges as
/// inside; a queue that grew over the span leaves more in flight than it
/// held on average. (A closed loop is not tested: its users move
/// together, so its count in flight is all or nothing, and a slow target
/// shows there as slower cycles.)
pub fn backlog(out: u64, inflight_s: f64, span_s: f64) -> Option<Backlog> {
    if span_s <= 0.0 {
        return None;
    }
    let l = inflight_s / span_s;
    let allowed = steady_in_flight(l);
    (out as f64 > allowed).then_some(Backlog {
        out,
        mean_in_flight: l,
        allowed,
    })
}

/// A group whose span ended with more work in flight than a steady
/// pipeline carries.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Backlog {
    /// Successes of the span completed after it.
    pub out: u64,
    /// L: the mean transactions in flight over the span.
    pub mean_in_flight: f64,
    /// What a steady pipeline carries across the edge, at most
    /// ([`steady_in_flight`]).
    pub allowed: f64,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Worked Poisson tails: for L = 0.302, P(X >= 4) = 2.7e-4 and
    /// P(X >= 5) = 1.6e-5, so 4 is the most a steady pipeline carries; for
    /// L = 2.4, P(X >= 10) = 2.0e-4 and P(X >= 11) = 4.3e-5: 10.
    #[test]
    fn a_steady_pipeline_is_no_backlog_and_a_growing_queue_is() {
        assert_eq!(steady_in_flight(0.302), 4.0);
        assert_eq!(steady_in_flight(2.4), 10.0);
        assert_eq!(steady_in_flight(0.0), 0.0);
        // 60/s at 40 ms over 4 s: L = 2.4: 3 in flight at the end is a
        // steady pipeline.
        assert_eq!(backlog(3, 2.4 * 4.0, 4.0), None);
        // The adversarial study's 2-0019: L = 0.302, 3 in flight at the
        // end (Poisson: 0.37 % of healthy runs) is noise.
        assert_eq!(backlog(3, 0.302 * 3.0, 3.0), None);
        // The stair-x-offered-load case's level 3: 120 arrivals/s into a
        // target that completes 100/s, 4 s: the queue grows to about 100
        // at the end, L about 51 (P(X >= 100) is about 1e-9).
        let b = backlog(100, 51.39 * 4.0, 4.0).expect("a growing queue");
        assert_eq!(b.allowed, 80.0, "{b:?}");
        assert_eq!(b.out, 100);
        // Above L = 100, the Normal: L + 3.72·√L + 1.
        assert!((steady_in_flight(400.0) - (400.0 + 3.72 * 20.0 + 1.0)).abs() < 1e-9);
        // No span, no judgement.
        assert_eq!(backlog(10, 1.0, 0.0), None);
    }

    /// The bound's false-alarm rate, by simulation (seeded): a steady
    /// M/D/∞ pipeline (Poisson arrivals, fixed service) over a span, its
    /// count in flight at the end against [`steady_in_flight`] of the
    /// measured L, for L from 0.05 to 200: never more than 1 in 5,000.
    #[test]
    fn a_steady_pipeline_almost_never_reads_as_a_backlog() {
        use rand::{RngExt, SeedableRng};
        let mut rng = rand::rngs::Xoshiro256PlusPlus::seed_from_u64(22);
        for (rate, service) in [(5.0, 0.01), (20.0, 0.015), (100.0, 0.05), (400.0, 0.5)] {
            let span = 10.0;
            let trials = 5_000;
            let mut alarms = 0;
            for _ in 0..trials {
                // Arrivals from a service time before the span, so the
                // pipeline is steady at its start.
                let (mut t, mut inflight_s, mut out) = (-service, 0.0, 0u64);
                loop {
                    let u: f64 = rng.random();
                    t += -(1.0 - u).ln() / rate;
                    if t >= span {
                        break;
                    }
                    let end = t + service;
                    inflight_s += (end.min(span) - t.max(0.0)).max(0.0);
                    if t >= 0.0 && end >= span {
                        out += 1;
                    }
                }
                if backlog(out, inflight_s, span).is_some() {
                    alarms += 1;
                }
            }
            assert!(
                alarms * 5_000 <= trials,
                "rate {rate}, service {service}: {alarms} of {trials}"
            );
        }
    }
}
