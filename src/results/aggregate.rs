//! Folds raw samples into the statistics every report and the verdict read:
//! HDR histograms per timer, the steady-state window's counts, errors by
//! kind and deduplicated (`error_table`), late starts, a time series and
//! the active users at each start and stop (`distribution`). Used live by the recorder and
//! again by re-processing, so both produce the same numbers.

use super::distribution::{Curves, UserSteps, curve};
use super::error_table::ErrorTable;
use super::occupancy::Occupancy;
use super::sample::{ErrorKind, Kind, Sample};
use super::span::GroupSpan;
use hdrhistogram::Histogram;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// How many messages of each error kind are kept.
const FIRST_MESSAGES: usize = 5;

fn hist() -> Histogram<u64> {
    // Microseconds, 3 significant digits, growing as needed.
    Histogram::new(3).expect("3 significant digits is valid")
}

/// A histogram per time-series interval. There are (run time / interval) x
/// (timers + 1) of them, so they are smaller: 2 significant digits (values
/// within 1 %) and 32-bit counts, ~5 KiB each instead of ~90 KiB.
pub type IntervalHist = Histogram<u32>;

fn interval_hist() -> IntervalHist {
    Histogram::new(2).expect("2 significant digits is valid")
}

/// How many raw points each timer keeps for the scatter graph.
pub const SCATTER_POINTS: usize = 5000;

fn micros(s: f64) -> u64 {
    (s * 1e6).round().max(0.0) as u64
}

/// Latency statistics of one timer, in seconds. Percentiles are HDR's value
/// at quantile (nearest rank, 3 significant digits). `p999` is p99.9 (read
/// as 0 from a summary.json written before it was kept).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Stats {
    pub count: u64,
    pub min: f64,
    pub avg: f64,
    pub p50: f64,
    pub p80: f64,
    pub p90: f64,
    pub p95: f64,
    pub p99: f64,
    #[serde(default)]
    pub p999: f64,
    pub max: f64,
    pub stdev: f64,
}

impl Stats {
    /// Statistics of `h` whose values are known to lie within `b`: min and
    /// max are the exact recorded values, and no percentile is reported
    /// above the exact max or below the exact min (HDR reports a bucket's
    /// highest equivalent value, up to 0.1 % above what was recorded).
    pub fn bounded<C: hdrhistogram::Counter>(h: &Histogram<C>, b: &Bounds) -> Stats {
        let mut st = Stats::of(h);
        if st.count > 0 && b.min <= b.max {
            let clamp = |v: f64| v.clamp(b.min, b.max);
            st.min = b.min;
            st.max = b.max;
            st.avg = clamp(b.sum / st.count as f64);
            st.p50 = clamp(st.p50);
            st.p80 = clamp(st.p80);
            st.p90 = clamp(st.p90);
            st.p95 = clamp(st.p95);
            st.p99 = clamp(st.p99);
            st.p999 = clamp(st.p999);
        }
        st
    }

    pub fn of<C: hdrhistogram::Counter>(h: &Histogram<C>) -> Stats {
        if h.is_empty() {
            return Stats::default();
        }
        let s = |v: u64| v as f64 / 1e6;
        Stats {
            count: h.len(),
            min: s(h.min()),
            avg: h.mean() / 1e6,
            p50: s(h.value_at_quantile(0.50)),
            p80: s(h.value_at_quantile(0.80)),
            p90: s(h.value_at_quantile(0.90)),
            p95: s(h.value_at_quantile(0.95)),
            p99: s(h.value_at_quantile(0.99)),
            p999: s(h.value_at_quantile(0.999)),
            max: s(h.max()),
            stdev: h.stdev() / 1e6,
        }
    }

    /// A percentile by name (`p50`, `p80`, `p90`, `p95`, `p99`, `max`).
    pub fn get(&self, name: &str) -> Option<f64> {
        Some(match name {
            "p50" => self.p50,
            "p80" => self.p80,
            "p90" => self.p90,
            "p95" => self.p95,
            "p99" => self.p99,
            "max" => self.max,
            _ => return None,
        })
    }
}

/// One interval of one timer.
#[derive(Debug, Clone)]
pub struct Slot {
    /// Successful samples sent in the interval.
    pub latency: IntervalHist,
    pub errors: u64,
}

impl Slot {
    fn new() -> Slot {
        Slot {
            latency: interval_hist(),
            errors: 0,
        }
    }
}

/// One raw point of the scatter graph.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Point {
    /// Send time, seconds since the run's start.
    pub t: f32,
    pub latency: f32,
    pub ok: bool,
}

/// A uniform random sample of a timer's points (Vitter's algorithm R) with
/// a fixed seed: the same samples file in the same order always gives the
/// same points, so re-processing draws the same graph.
#[derive(Debug, Clone)]
pub struct Reservoir {
    pub seen: u64,
    pub points: Vec<Point>,
    rng: rand::rngs::Xoshiro256PlusPlus,
}

impl Reservoir {
    fn new() -> Reservoir {
        Reservoir {
            seen: 0,
            points: Vec::new(),
            rng: rand::SeedableRng::seed_from_u64(0x5ca7_7e12),
        }
    }

    fn add(&mut self, p: Point) {
        use rand::RngExt;
        self.seen += 1;
        if self.points.len() < SCATTER_POINTS {
            self.points.push(p);
        } else {
            let j = self.rng.random_range(0..self.seen);
            if (j as usize) < SCATTER_POINTS {
                self.points[j as usize] = p;
            }
        }
    }

    /// True when every point is kept (no sampling).
    pub fn complete(&self) -> bool {
        self.seen as usize == self.points.len()
    }
}

/// The exact smallest, largest and sum of some values (seconds): HDR keeps
/// values to 3 significant digits, and a threshold on `max`, or a value
/// reported as the maximum or the mean, must be what was recorded.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bounds {
    pub min: f64,
    pub max: f64,
    pub sum: f64,
}

impl Default for Bounds {
    fn default() -> Self {
        Bounds {
            min: f64::INFINITY,
            max: f64::NEG_INFINITY,
            sum: 0.0,
        }
    }
}

impl Bounds {
    pub(crate) fn add(&mut self, v: f64) {
        self.min = self.min.min(v);
        self.max = self.max.max(v);
        self.sum += v;
    }

    /// Both sets of values together.
    pub fn merge(&mut self, o: &Bounds) {
        self.min = self.min.min(o.min);
        self.max = self.max.max(o.max);
        self.sum += o.sum;
    }
}

#[derive(Debug, Clone)]
pub struct Timer {
    /// Successful samples, from the actual send.
    pub latency: Histogram<u64>,
    /// The exact bounds of `latency`.
    pub bounds: Bounds,
    /// The exact bounds of `latency_sched`.
    pub bounds_sched: Bounds,
    /// Successful samples, from the scheduled start.
    pub latency_sched: Histogram<u64>,
    pub errors: u64,
    /// Per time-series interval, by send time.
    pub slots: Vec<Slot>,
    pub scatter: Reservoir,
    /// A script's custom timer, not a transaction.
    pub custom: bool,
}

impl Timer {
    fn new() -> Timer {
        Timer {
            latency: hist(),
            bounds: Bounds::default(),
            bounds_sched: Bounds::default(),
            latency_sched: hist(),
            errors: 0,
            slots: Vec::new(),
            scatter: Reservoir::new(),
            custom: false,
        }
    }

    /// Adds a sample and offers it to the scatter graph (transactions and
    /// custom timers; whole iterations are not drawn).
    fn add_drawn(&mut self, s: &Sample, slot: usize) {
        self.add(s, slot);
        self.scatter.add(Point {
            t: s.t as f32,
            latency: s.latency as f32,
            ok: s.ok,
        });
    }

    /// The percentile curves of the successful samples, measured and from
    /// the schedule.
    pub fn curves(&self) -> Curves {
        Curves {
            measured: curve(&self.latency, &self.bounds),
            scheduled: curve(&self.latency_sched, &self.bounds_sched),
        }
    }

    fn add(&mut self, s: &Sample, slot: usize) {
        while self.slots.len() <= slot {
            self.slots.push(Slot::new());
        }
        if s.ok {
            let _ = self.latency.record(micros(s.latency));
            let _ = self.latency_sched.record(micros(s.latency_sched));
            self.bounds.add(s.latency);
            self.bounds_sched.add(s.latency_sched);
            let _ = self.slots[slot].latency.record(micros(s.latency));
        } else {
            self.errors += 1;
            self.slots[slot].errors += 1;
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ErrorTally {
    pub count: u64,
    pub first_messages: Vec<String>,
}

/// One time-series bucket.
#[derive(Debug, Clone)]
pub struct Bucket {
    pub transactions: u64,
    pub errors: u64,
    /// Successful transactions of every timer.
    pub latency: IntervalHist,
    /// How late every iteration started against its schedule.
    pub lateness: IntervalHist,
    pub iterations: u64,
    pub late_starts: u64,
    pub dropped: u64,
    pub active_users_max: i64,
}

impl Bucket {
    fn new() -> Bucket {
        Bucket {
            transactions: 0,
            errors: 0,
            latency: interval_hist(),
            lateness: interval_hist(),
            iterations: 0,
            late_starts: 0,
            dropped: 0,
            active_users_max: 0,
        }
    }
}

/// Where a custom timer goes when a transaction's timer has its name.
fn custom_name(name: &str) -> String {
    format!("{name} (custom timer)")
}

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
    fn add(&mut self, v: f64) {
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
    fn new(name: &str) -> GroupTally {
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

/// Everything folded so far.
#[derive(Debug, Clone)]
pub struct Aggregate {
    pub ts_interval: f64,
    /// The steady-state window, seconds since the run's start.
    pub window: (f64, f64),
    pub timers: BTreeMap<String, Timer>,
    pub iterations: Timer,
    /// Per group, in the plan's order (a group the plan does not name is
    /// added when first seen).
    pub groups: Vec<GroupTally>,
    /// Every latency limit the plan sets (plan, groups, steps), seconds,
    /// ascending: each span tally counts the transactions within each, so
    /// a percentile threshold is judged on the recorded values exactly,
    /// not on an HDR bucket's edge.
    pub limits: Vec<f64>,
    /// Successful transactions whose iteration was scheduled inside the window.
    pub window_ok: u64,
    /// All transactions (ok or not) whose iteration was scheduled inside the window.
    pub window_all: u64,
    pub window_iterations: u64,
    /// The span's iterations (scheduled in it), start to end, ok or not:
    /// the whole flow's time, think times included.
    pub window_iteration_latency: Histogram<u64>,
    pub window_iteration_bounds: Bounds,
    pub transactions: u64,
    pub errors: BTreeMap<String, ErrorTally>,
    /// The errors deduplicated by timer, kind, status and message.
    pub error_table: ErrorTable,
    pub error_count: u64,
    /// Iterations that started late because the previous one overran.
    pub late_starts: u64,
    pub lateness: Histogram<u64>,
    /// How late the generator itself woke up (starts not delayed by an overrun).
    pub scheduler_lag: Histogram<u64>,
    pub dropped: u64,
    pub skipped: u64,
    /// Planned starts never made: the users were behind schedule at the end.
    pub missed: u64,
    pub series: Vec<Bucket>,
    pub active_users: i64,
    /// The active-user count after each start and stop (bounded).
    pub user_steps: UserSteps,
    pub users_started: u64,
    /// Latest time seen.
    pub last_t: f64,
    /// Requests pace sent again on a new connection after the target
    /// closed the kept-alive connection they went on (samples'
    /// `reconnects`), whole run.
    pub reconnects: u64,
}

impl Aggregate {
    /// An empty aggregate. `groups` are the plan's group names (their order
    /// is kept); `thresholds` the latency limits (seconds) to count exactly.
    pub fn new(
        ts_interval: f64,
        window: (f64, f64),
        groups: &[&str],
        thresholds: &[f64],
    ) -> Aggregate {
        let mut limits = thresholds.to_vec();
        limits.sort_by(f64::total_cmp);
        limits.dedup();
        Aggregate {
            ts_interval,
            window,
            timers: BTreeMap::new(),
            iterations: Timer::new(),
            groups: groups.iter().map(|g| GroupTally::new(g)).collect(),
            limits,
            window_ok: 0,
            window_all: 0,
            window_iterations: 0,
            window_iteration_latency: hist(),
            window_iteration_bounds: Bounds::default(),
            transactions: 0,
            errors: BTreeMap::new(),
            error_table: ErrorTable::default(),
            error_count: 0,
            late_starts: 0,
            lateness: hist(),
            scheduler_lag: hist(),
            dropped: 0,
            skipped: 0,
            missed: 0,
            series: Vec::new(),
            active_users: 0,
            user_steps: UserSteps::default(),
            users_started: 0,
            last_t: 0.0,
            reconnects: 0,
        }
    }

    /// An empty aggregate for a run of `plan` judged over `window` (the
    /// span, docs/verdict.md): its groups with their lateness tolerance
    /// and transactions per iteration, and every latency limit of the
    /// plan counted exactly.
    pub fn for_plan(plan: &crate::plan::file::PlanFile, window: (f64, f64)) -> Aggregate {
        let groups: Vec<&str> = plan.groups.iter().map(|g| g.name.as_str()).collect();
        let mut agg = Aggregate::new(
            plan.run.ts_interval.0,
            window,
            &groups,
            &plan.all_latency_limits(),
        );
        for ((g, t), cadence) in plan.groups.iter().zip(&mut agg.groups).zip(plan.cadences()) {
            t.tx_per_iteration = g.transactions_per_iteration().max(1) as f64;
            t.open = g.pacing.mode == crate::plan::file::PacingMode::ArrivalRate;
            t.closed_loop = matches!(
                g.pacing.mode,
                crate::plan::file::PacingMode::AfterEnd | crate::plan::file::PacingMode::None
            );
            if let Ok(c) = cadence {
                t.tau = (0.1 * c.mean_cycle()).max(MIN_TAU);
            }
        }
        agg
    }

    fn slot(&self, t: f64) -> usize {
        // Plans and samples files are checked so that no time reaches past
        // MAX_INTERVALS; the cap keeps memory bounded should one slip by.
        let cap = (2 * crate::plan::check::MAX_INTERVALS) as f64;
        ((t.max(0.0)) / self.ts_interval).min(cap) as usize
    }

    fn bucket(&mut self, t: f64) -> &mut Bucket {
        let i = self.slot(t);
        while self.series.len() <= i {
            let mut b = Bucket::new();
            b.active_users_max = self.active_users;
            self.series.push(b);
        }
        &mut self.series[i]
    }

    fn in_window(&self, t: f64) -> bool {
        t >= self.window.0 && t < self.window.1
    }

    /// The index of group `name` (groups are few: a scan beats a hash).
    fn group(&mut self, name: &str) -> usize {
        match self.groups.iter().position(|g| g.name == name) {
            Some(i) => i,
            None => {
                self.groups.push(GroupTally::new(name));
                self.groups.len() - 1
            }
        }
    }

    pub fn add(&mut self, s: &Sample) {
        self.last_t = self.last_t.max(s.t + s.latency);
        let in_window = self.in_window(s.iter_sched);
        let gi = self.group(&s.group);
        match s.kind {
            Kind::Step => {
                self.transactions += 1;
                self.reconnects += u64::from(s.reconnects);
                let slot = self.slot(s.t);
                // A custom timer that took this name first moves aside: a
                // transaction's timer never mixes with a custom one.
                if self.timers.get(&*s.name).is_some_and(|t| t.custom) {
                    let moved = self.timers.remove(&*s.name).expect("just seen");
                    self.timers.insert(custom_name(&s.name), moved);
                }
                // Look up before inserting: the name is cloned once per
                // timer, not once per sample on this hot path.
                let timer = match self.timers.get_mut(&*s.name) {
                    Some(t) => t,
                    None => self
                        .timers
                        .entry(s.name.to_string())
                        .or_insert_with(Timer::new),
                };
                timer.add_drawn(s, slot);
                let g = &mut self.groups[gi];
                if s.ok {
                    g.ok += 1;
                } else {
                    g.failed += 1;
                    if g.first_error.as_ref().is_none_or(|(t, _)| s.t < *t) {
                        g.first_error = Some((s.t, s.error.clone()));
                    }
                }
                if in_window {
                    self.window_all += 1;
                    if s.ok {
                        self.window_ok += 1;
                        g.window_ok += 1;
                    } else {
                        g.window_failed += 1;
                        let kind = s.error_kind.map(|k| k.name()).unwrap_or("io");
                        *g.window_failed_kinds.entry(kind).or_default() += 1;
                        if s.error_kind == Some(ErrorKind::Cutoff) {
                            g.window_cutoff += 1;
                        }
                    }
                }
                let (w, tau) = (self.window, g.tau);
                g.span.add(s, w, tau, &self.limits);
                if !s.ok {
                    self.error_count += 1;
                    let kind = s.error_kind.map(|k| k.name()).unwrap_or("io");
                    // Looked up before inserting: no String per failed sample.
                    if !self.errors.contains_key(kind) {
                        self.errors.insert(kind.to_string(), ErrorTally::default());
                    }
                    let tally = self.errors.get_mut(kind).expect("just inserted");
                    tally.count += 1;
                    if tally.first_messages.len() < FIRST_MESSAGES {
                        tally.first_messages.push(s.error.clone());
                    }
                    self.error_table.add(&s.name, kind, s.status, &s.error, s.t);
                }
                let b = self.bucket(s.t);
                b.transactions += 1;
                if s.ok {
                    let _ = b.latency.record(micros(s.latency));
                } else {
                    b.errors += 1;
                }
            }
            Kind::Timer => {
                let slot = self.slot(s.t);
                // The name is cloned once per timer, not once per sample.
                let timer = match self.timers.get(&*s.name).map(|t| t.custom) {
                    Some(true) => self.timers.get_mut(&*s.name).expect("just seen"),
                    Some(false) => self
                        .timers
                        .entry(custom_name(&s.name))
                        .or_insert_with(Timer::new),
                    None => self
                        .timers
                        .entry(s.name.to_string())
                        .or_insert_with(Timer::new),
                };
                timer.custom = true;
                timer.add_drawn(s, slot);
                // Keep the series as long as the run, like any sample.
                self.bucket(s.t);
            }
            Kind::Iteration => {
                let slot = self.slot(s.t);
                self.iterations.add(s, slot);
                let planned_in_window = self.in_window(s.planned());
                let w = self.window;
                let g = &mut self.groups[gi];
                g.occupancy.iteration(s.user, s.t, s.latency, w);
                g.iterations += 1;
                g.iteration_time.add(s.latency);
                let _ = g.iteration_latency.record(micros(s.latency));
                if in_window {
                    self.window_iterations += 1;
                    let _ = self.window_iteration_latency.record(micros(s.latency));
                    self.window_iteration_bounds.add(s.latency);
                    g.window_iterations += 1;
                    if s.error_kind == Some(ErrorKind::Cutoff) {
                        g.window_iterations_cut += 1;
                    } else if !s.ok {
                        g.window_iterations_failed += 1;
                    }
                    if s.overrun {
                        g.window_late += 1;
                        g.window_late_s += s.late;
                    } else {
                        g.window_lag_s += s.late;
                        if s.late > g.tau {
                            g.window_generator_late += 1;
                            g.window_generator_late_s += s.late;
                            if s.t >= w.1 {
                                g.window_started_after += 1;
                            }
                        }
                    }
                }
                if planned_in_window {
                    g.window_iterations_planned += 1;
                }
                let b = self.bucket(s.t);
                b.iterations += 1;
                let _ = b.lateness.record(micros(s.late));
                if s.overrun {
                    self.late_starts += 1;
                    let _ = self.lateness.record(micros(s.late));
                    self.bucket(s.t).late_starts += 1;
                } else {
                    let _ = self.scheduler_lag.record(micros(s.late));
                }
            }
            Kind::Dropped => {
                self.dropped += 1;
                if in_window {
                    self.groups[gi].window_dropped += 1;
                }
                self.bucket(s.t).dropped += 1;
            }
            Kind::Skipped => {
                self.skipped += 1;
                if in_window {
                    self.groups[gi].window_skipped += 1;
                }
                self.bucket(s.t).dropped += 1;
            }
            Kind::Missed => {
                // An arrival-rate group that fell behind records its
                // never-started arrivals in blocks (`ok` false): `iteration`
                // of them; any other missed row is one start.
                let n = if s.ok { 1 } else { s.iteration.max(1) };
                self.missed += n;
                if in_window {
                    let g = &mut self.groups[gi];
                    g.window_missed += n;
                    if g.open {
                        g.window_missed_generator += n;
                    } else if g.retired_users.contains(&s.user) {
                        g.window_missed_retired += n;
                    }
                }
            }
            Kind::Retired => {
                let g = &mut self.groups[gi];
                g.retired.push(s.t);
                if !g.retired_users.contains(&s.user) {
                    g.retired_users.push(s.user);
                }
            }
            Kind::UserStart => {
                self.active_users += 1;
                self.users_started += 1;
                self.groups[gi].users_started += 1;
                self.groups[gi].occupancy.user_start(s.user, s.t);
                let n = self.active_users;
                self.user_steps.add(s.t, n);
                let b = self.bucket(s.t);
                b.active_users_max = b.active_users_max.max(n);
            }
            Kind::UserStop => {
                let w = self.window;
                self.groups[gi].occupancy.user_stop(s.user, s.t, w);
                self.active_users -= 1;
                self.user_steps.add(s.t, self.active_users);
                // Later buckets start from the new count.
                self.bucket(s.t);
            }
        }
    }

    /// The span's length, seconds (0 when there is none).
    pub fn span_s(&self) -> f64 {
        (self.window.1 - self.window.0).max(0.0)
    }

    /// The achieved count C over the span: every group's
    /// ([`GroupTally::achieved`]).
    pub fn achieved(&self) -> u64 {
        let w = self.span_s();
        self.groups.iter().map(|g| g.achieved(w).transactions).sum()
    }

    /// Achieved transactions per minute over the span (C·60/T).
    pub fn window_tpm(&self) -> f64 {
        let w = self.span_s();
        if w > 0.0 {
            self.achieved() as f64 * 60.0 / w
        } else {
            0.0
        }
    }

    /// Every transaction of the span, of every group and step.
    pub fn span_total(&self) -> super::span::SpanTally {
        let mut t = super::span::SpanTally::new(self.limits.len());
        for g in &self.groups {
            t.merge(&g.span.total(self.limits.len()));
        }
        t
    }

    /// The index of `limit` in [`Aggregate::limits`], where the plan set it.
    pub fn limit_index(&self, limit: f64) -> Option<usize> {
        self.limits.iter().position(|&l| l == limit)
    }

    /// All transactions' successful latencies merged (steps, or scripts'
    /// `run()` calls; not their custom timers), with their exact bounds.
    pub fn all_transactions(&self) -> Stats {
        let mut h: Histogram<u64> = hist();
        let mut b = Bounds::default();
        for t in self.timers.values().filter(|t| !t.custom) {
            let _ = h.add(&t.latency);
            b.merge(&t.bounds);
        }
        Stats::bounded(&h, &b)
    }

    /// All transactions' percentile curves, measured and from the schedule
    /// (the same transactions as [`Aggregate::all_transactions`]).
    pub fn all_transactions_curves(&self) -> Curves {
        let (mut h, mut hs): (Histogram<u64>, Histogram<u64>) = (hist(), hist());
        let (mut b, mut bs) = (Bounds::default(), Bounds::default());
        for t in self.timers.values().filter(|t| !t.custom) {
            let _ = h.add(&t.latency);
            let _ = hs.add(&t.latency_sched);
            b.merge(&t.bounds);
            bs.merge(&t.bounds_sched);
        }
        Curves {
            measured: curve(&h, &b),
            scheduled: curve(&hs, &bs),
        }
    }
}
