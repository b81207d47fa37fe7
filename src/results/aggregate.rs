//! Folds raw samples into the statistics every report and the verdict read:
//! HDR histograms per timer, the steady-state window's counts, errors by
//! kind, late starts, and a time series. Used live by the recorder and
//! again by re-processing, so both produce the same numbers.

use super::sample::{Kind, Sample};
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
/// at quantile (nearest rank, 3 significant digits).
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
    pub max: f64,
    pub stdev: f64,
}

impl Stats {
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

#[derive(Debug, Clone)]
pub struct Timer {
    /// Successful samples, from the actual send.
    pub latency: Histogram<u64>,
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

    fn add(&mut self, s: &Sample, slot: usize) {
        while self.slots.len() <= slot {
            self.slots.push(Slot::new());
        }
        if s.ok {
            let _ = self.latency.record(micros(s.latency));
            let _ = self.latency_sched.record(micros(s.latency_sched));
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

/// Everything folded so far.
#[derive(Debug, Clone)]
pub struct Aggregate {
    pub ts_interval: f64,
    /// The steady-state window, seconds since the run's start.
    pub window: (f64, f64),
    pub timers: BTreeMap<String, Timer>,
    pub iterations: Timer,
    /// Successful transactions whose iteration was scheduled inside the window.
    pub window_ok: u64,
    /// All transactions (ok or not) whose iteration was scheduled inside the window.
    pub window_all: u64,
    pub window_iterations: u64,
    pub transactions: u64,
    pub errors: BTreeMap<String, ErrorTally>,
    pub error_count: u64,
    /// Iterations that started late because the previous one overran.
    pub late_starts: u64,
    pub lateness: Histogram<u64>,
    /// How late the generator itself woke up (starts not delayed by an overrun).
    pub scheduler_lag: Histogram<u64>,
    pub dropped: u64,
    pub skipped: u64,
    pub series: Vec<Bucket>,
    pub active_users: i64,
    pub users_started: u64,
    /// Latest time seen.
    pub last_t: f64,
}

impl Aggregate {
    pub fn new(ts_interval: f64, window: (f64, f64)) -> Aggregate {
        Aggregate {
            ts_interval,
            window,
            timers: BTreeMap::new(),
            iterations: Timer::new(),
            window_ok: 0,
            window_all: 0,
            window_iterations: 0,
            transactions: 0,
            errors: BTreeMap::new(),
            error_count: 0,
            late_starts: 0,
            lateness: hist(),
            scheduler_lag: hist(),
            dropped: 0,
            skipped: 0,
            series: Vec::new(),
            active_users: 0,
            users_started: 0,
            last_t: 0.0,
        }
    }

    fn slot(&self, t: f64) -> usize {
        ((t.max(0.0)) / self.ts_interval) as usize
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

    pub fn add(&mut self, s: &Sample) {
        self.last_t = self.last_t.max(s.t + s.latency);
        match s.kind {
            Kind::Step => {
                self.transactions += 1;
                let slot = self.slot(s.t);
                // A custom timer that took this name first moves aside: a
                // transaction's timer never mixes with a custom one.
                if self.timers.get(&s.name).is_some_and(|t| t.custom) {
                    let moved = self.timers.remove(&s.name).expect("just seen");
                    self.timers.insert(custom_name(&s.name), moved);
                }
                // Look up before inserting: the name is cloned once per
                // timer, not once per sample on this hot path.
                let timer = match self.timers.get_mut(&s.name) {
                    Some(t) => t,
                    None => self.timers.entry(s.name.clone()).or_insert_with(Timer::new),
                };
                timer.add_drawn(s, slot);
                if self.in_window(s.iter_sched) {
                    self.window_all += 1;
                    if s.ok {
                        self.window_ok += 1;
                    }
                }
                if !s.ok {
                    self.error_count += 1;
                    let kind = s.error_kind.map(|k| k.name()).unwrap_or("io");
                    let tally = self.errors.entry(kind.to_string()).or_default();
                    tally.count += 1;
                    if tally.first_messages.len() < FIRST_MESSAGES {
                        tally.first_messages.push(s.error.clone());
                    }
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
                let timer = match self.timers.get(&s.name).map(|t| t.custom) {
                    Some(true) => self.timers.get_mut(&s.name).expect("just seen"),
                    Some(false) => self
                        .timers
                        .entry(custom_name(&s.name))
                        .or_insert_with(Timer::new),
                    None => self.timers.entry(s.name.clone()).or_insert_with(Timer::new),
                };
                timer.custom = true;
                timer.add_drawn(s, slot);
                // Keep the series as long as the run, like any sample.
                self.bucket(s.t);
            }
            Kind::Iteration => {
                let slot = self.slot(s.t);
                self.iterations.add(s, slot);
                let b = self.bucket(s.t);
                b.iterations += 1;
                let _ = b.lateness.record(micros(s.late));
                if self.in_window(s.iter_sched) {
                    self.window_iterations += 1;
                }
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
                self.bucket(s.t).dropped += 1;
            }
            Kind::Skipped => {
                self.skipped += 1;
                self.bucket(s.t).dropped += 1;
            }
            Kind::UserStart => {
                self.active_users += 1;
                self.users_started += 1;
                let n = self.active_users;
                let b = self.bucket(s.t);
                b.active_users_max = b.active_users_max.max(n);
            }
            Kind::UserStop => {
                self.active_users -= 1;
                // Later buckets start from the new count.
                self.bucket(s.t);
            }
        }
    }

    /// Successful transactions per minute over the window.
    pub fn window_tpm(&self) -> f64 {
        let w = self.window.1 - self.window.0;
        if w > 0.0 {
            self.window_ok as f64 * 60.0 / w
        } else {
            0.0
        }
    }
}
