//! `summary.json`: the machine-readable whole of a run (fields per
//! shared/spec/plan-format.md, and more).

use super::aggregate::{Aggregate, ErrorTally, IntervalHist, Slot, Stats};
use super::distribution::Curves;
use super::error_table::ErrorRow;
use super::judgement::{Expected, Verdict};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Facts about the run that the samples do not carry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunMeta {
    pub plan_file: String,
    pub seed: u64,
    pub started_at: String,
    pub finished_at: String,
    pub started_epoch_ms: u64,
    /// Wall time from the first user's start to the end of the run.
    pub run_time_s: f64,
    pub duration_s: f64,
    pub ramp_up_s: f64,
    pub ts_interval_s: f64,
    pub late_policy: Vec<String>,
    pub partial: bool,
    pub partial_reason: Option<String>,
    /// Variables pace itself set for `${VAR}` (e.g. the embedded target's
    /// `PACE_TARGET`), so exporters can print the URLs that were sent.
    #[serde(default)]
    pub vars: BTreeMap<String, String>,
    /// Set when the run was one shard of a plan split over several
    /// generators (`pace run --shard I/N`); absent otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shard: Option<ShardMeta>,
    /// The steady-state window the run was judged over, `[from, to]` in
    /// seconds since t0, when it is not the plan's (ramp-up to the end):
    /// `pace merge` judges only the window every shard covered, and
    /// `pace verify`/`pace report` judge a merged folder over it again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub window_s: Option<[f64; 2]>,
    /// A merged run some of whose shards never ran (missing, or late):
    /// which ran, of how many. It is judged against their part of the plan
    /// (so a shortfall is not blamed on chance or the target), and is
    /// INCOMPLETE for the shards that did not run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ran_shards: Option<RanShards>,
    /// `pace run`'s overrides of the plan (`--duration`, `--users`,
    /// `--rate`, `--var`) as typed, and what they came to; absent for a
    /// run of the plan as written. The folder's plan.toml is the user's
    /// file byte for byte: `pace verify` and `pace report` apply these
    /// again to judge the run as it ran.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub overrides: Option<crate::plan::overrides::Overrides>,
    /// The origins the steps' requests went to, `scheme://host:port`, in
    /// plan order, each once: the URL after the run's variables were
    /// expanded, never its userinfo, path or query. A host that depends on
    /// a per-iteration variable (test data, an extracted value) is written
    /// as the template's origin part (`http://${HOST}:8080`). Script
    /// groups make their own requests: not listed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub targets: Vec<String>,
    /// pace's own CPU use during the run, where it was measured.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub generator: Option<Generator>,
}

/// pace's own CPU over the run: its CPU time (every thread, user +
/// system) against the cores it may use. Fractions, 0 to 1.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Generator {
    /// The cores pace may run on (its affinity, capped by a cgroup quota).
    pub cores: f64,
    /// Its CPU over the judged span.
    pub cpu_span: f64,
    /// The busiest time-series interval.
    pub cpu_max: f64,
    /// Per time-series interval, from t0.
    pub intervals: Vec<f64>,
    /// The level above which the generator was the bottleneck (0.8, as k6
    /// warns).
    pub limit: f64,
}

/// [`Generator::limit`]: k6 warns from 80 % of the generator's CPU.
pub const GENERATOR_CPU_LIMIT: f64 = 0.8;

impl Generator {
    /// From readings of the CPU time, `(seconds since t0, CPU seconds)`
    /// ascending, taken at every `ts` and at the span's edges: the span's
    /// use and each interval's, read between readings by linear
    /// interpolation. `None` without two readings or cores.
    pub fn from_readings(
        points: &[(f64, f64)],
        cores: f64,
        ts: f64,
        span: (f64, f64),
    ) -> Option<Generator> {
        if points.len() < 2 || cores <= 0.0 || ts <= 0.0 {
            return None;
        }
        let last = points[points.len() - 1].0;
        let at = |t: f64| -> f64 {
            let t = t.clamp(points[0].0, last);
            let i = points.partition_point(|p| p.0 < t);
            if i == 0 {
                return points[0].1;
            }
            let (a, b) = (points[i - 1], points[i.min(points.len() - 1)]);
            if b.0 <= a.0 {
                return b.1;
            }
            a.1 + (b.1 - a.1) * (t - a.0) / (b.0 - a.0)
        };
        let use_over = |from: f64, to: f64| {
            let (from, to) = (from.max(points[0].0), to.min(last));
            if to > from {
                ((at(to) - at(from)) / ((to - from) * cores)).max(0.0)
            } else {
                0.0
            }
        };
        let n = (last / ts).ceil() as usize;
        let intervals: Vec<f64> = (0..n.min(crate::plan::check::MAX_INTERVALS))
            .map(|k| use_over(k as f64 * ts, (k + 1) as f64 * ts))
            .collect();
        Some(Generator {
            cores,
            cpu_span: use_over(span.0, span.1),
            cpu_max: intervals.iter().copied().fold(0.0, f64::max),
            intervals,
            limit: GENERATOR_CPU_LIMIT,
        })
    }
}

/// The shards of a merged run that ran: `indices` (0-based) of `count`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RanShards {
    pub count: u32,
    pub indices: Vec<u32>,
}

/// What a shard's summary.json says about the shard, so that `pace merge`
/// can check that every shard ran the same plan, find each shard's clock
/// and report the start skew. Times are wall-clock microseconds since the
/// Unix epoch (each generator's own clock: keep them in sync with NTP).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ShardMeta {
    /// 0-based index, as Kubernetes' `JOB_COMPLETION_INDEX`.
    pub index: u32,
    /// How many shards the plan was split into.
    pub count: u32,
    /// SHA-256 of the plan text the shard ran (hex): the same plan on
    /// every shard, byte for byte.
    pub plan_hash: String,
    /// The absolute start every shard waited for (`--start-at`,
    /// RFC 3339), if one was set.
    pub start_at: Option<String>,
    /// The origin of this shard's sample times (`t` = 0): the start-at
    /// instant when one was set, else the shard's own start.
    pub t0_epoch_us: u64,
    /// When the shard had prepared (clients, script workers) and began
    /// waiting for the start.
    pub ready_epoch_us: u64,
    /// When the shard actually released its users: the start-at instant
    /// plus how late its timer woke; the merge reports the spread of
    /// these as the start skew.
    pub first_start_epoch_us: u64,
    /// `ok`, `late` (not ready by start-at: it did not run, its results
    /// are invalid), `interrupted` or `failed`.
    pub status: String,
    /// The machine's host name (the pod's, on Kubernetes).
    pub host: String,
}

impl RunMeta {
    /// What reports call the plan: the file's stem, or its folder's name
    /// for a project's `plan.toml` or Pyak47 `config.cfg`
    /// (`my_project/plan.toml` is "my_project").
    pub fn plan_name(&self) -> String {
        plan_name(&self.plan_file)
    }
}

/// What reports call the plan file `plan_file`: see [`RunMeta::plan_name`].
pub fn plan_name(plan_file: &str) -> String {
    let p = std::path::Path::new(plan_file);
    let stem = p.file_stem().and_then(|s| s.to_str()).unwrap_or("plan");
    if stem == "plan" || p.file_name().is_some_and(|f| f == "config.cfg") {
        // `./plan.toml` names no folder: ask the file system for one.
        let parent = p.parent().map(|d| {
            if d.file_name().is_some() {
                d.to_path_buf()
            } else {
                std::fs::canonicalize(if d.as_os_str().is_empty() {
                    std::path::Path::new(".")
                } else {
                    d
                })
                .unwrap_or_default()
            }
        });
        if let Some(dir) = parent
            .as_deref()
            .and_then(|d| d.file_name())
            .and_then(|d| d.to_str())
        {
            return dir.to_string();
        }
    }
    stem.to_string()
}

/// What the run achieved over its steady-state window: every count here
/// has that one scope (see [`WholeRun`] for the run's totals).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Achieved {
    /// Successful transactions per minute over the window; over the whole
    /// run when the window is empty (`scope` says which).
    pub tpm: f64,
    /// Successful transactions whose iteration was scheduled inside the window.
    pub transactions: u64,
    /// Failed transactions whose iteration was scheduled inside the window.
    pub errors: u64,
    pub window_s: f64,
    /// Iterations scheduled inside the window.
    pub iterations: u64,
    /// Every transaction of the run, ok or not, window or not (kept for
    /// readers of older summaries; the same as `whole_run.transactions +
    /// whole_run.errors`).
    pub all_transactions: u64,
    /// Transactions started in the window, ok or not.
    #[serde(default)]
    pub started: u64,
    /// "window", "run" (`[acceptance] scope = "run"`: from the first
    /// start), or "whole_run" when the window is empty (ramp-up as long as
    /// the run, Pyak47's own shape) and every count is the whole run's.
    #[serde(default = "window_scope")]
    pub scope: String,
    /// The span judged, `[from, to)` seconds since t0.
    #[serde(default)]
    pub span_s: [f64; 2],
    /// Every transaction of the span, successes and failures, each at its
    /// elapsed time: what the plan's latency checks judge.
    #[serde(default)]
    pub latency: Stats,
    /// The span's successful transactions only.
    #[serde(default)]
    pub latency_ok: Stats,
    /// Each group's share, in plan order.
    #[serde(default)]
    pub groups: Vec<GroupAchieved>,
    /// The span's iterations, start to end (every step and think time),
    /// successes and failures: the whole flow's time.
    #[serde(default)]
    pub iteration: Stats,
}

/// One group's achieved count over the span (docs/verdict.md, "The
/// achieved count").
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GroupAchieved {
    pub name: String,
    /// C_g: what the group achieved in the span.
    pub transactions: u64,
    /// Failed transactions of the span.
    pub errors: u64,
    /// Iterations scheduled in the span.
    pub iterations: u64,
    /// How `transactions` were counted: "scheduled" (successes of
    /// iterations scheduled in the span, offered in time) or "completed"
    /// (a queue grew over the span: successes completed in it).
    pub counted: String,
    /// Successes of the span completed after it, where the target fell
    /// behind; the mean in flight L and what a steady pipeline carries
    /// across the edge, L + 3·√L + k.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backlog: Option<[f64; 3]>,
    /// Starts of the span the generator made more than `tau_s` late (not
    /// after an overrun).
    pub generator_late: u64,
    pub tau_s: f64,
}

fn window_scope() -> String {
    "window".into()
}

/// The run's totals, every transaction whatever its window.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct WholeRun {
    /// Successful transactions.
    pub transactions: u64,
    /// Failed transactions (cut-off ones included).
    pub errors: u64,
    /// Successful transactions per minute from the first start to the end
    /// of the schedule (`seconds`).
    pub tpm: f64,
    pub seconds: f64,
    pub iterations: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SeriesRow {
    pub t_s: f64,
    pub transactions: u64,
    pub tps: f64,
    pub errors: u64,
    pub p50: f64,
    pub p95: f64,
    pub p99: f64,
    pub active_users: i64,
    pub late_starts: u64,
    pub dropped: u64,
    #[serde(default)]
    pub iterations: u64,
    /// How late iterations started against their schedule (any cause).
    #[serde(default)]
    pub lateness_p99: f64,
    #[serde(default)]
    pub lateness_max: f64,
}

/// One row of an Interval Details table: the successful samples sent in
/// `[start_s, end_s)`. `rate` is per second over the interval's real length,
/// so a partial last interval is not divided by the whole interval.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IntervalRow {
    /// 1-based, as in Pyak47's reports.
    pub interval: u32,
    pub start_s: f64,
    pub end_s: f64,
    pub rate: f64,
    pub errors: u64,
    #[serde(flatten)]
    pub stats: Stats,
}

impl IntervalRow {
    /// Rows for `slots`, padded with empty rows to `n` intervals. The run
    /// ends at `run_end` (seconds); intervals are `ts` long.
    fn rows(slots: &[(&IntervalHist, u64)], n: usize, ts: f64, run_end: f64) -> Vec<IntervalRow> {
        (0..n)
            .map(|i| {
                let start = i as f64 * ts;
                let mut end = (start + ts).min(run_end);
                if end <= start {
                    // A sample sent after the recorded end of the run: the
                    // interval's nominal length is the honest divisor.
                    end = start + ts;
                }
                let (stats, errors) = match slots.get(i) {
                    Some((h, e)) => (Stats::of(h), *e),
                    None => (Stats::default(), 0),
                };
                IntervalRow {
                    interval: i as u32 + 1,
                    start_s: start,
                    end_s: end,
                    rate: stats.count as f64 / (end - start),
                    errors,
                    stats,
                }
            })
            .collect()
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    pub pace_version: String,
    pub partial: bool,
    pub meta: RunMeta,
    pub expected: Option<Expected>,
    pub achieved: Achieved,
    pub late_starts: u64,
    pub lateness: Stats,
    pub scheduler_lag: Stats,
    pub dropped: u64,
    pub skipped: u64,
    pub verdict: Verdict,
    pub timers: BTreeMap<String, Stats>,
    /// The same timers measured from each iteration's start on the plan's
    /// absolute schedule (the coordinated-omission-corrected view).
    pub timers_scheduled: BTreeMap<String, Stats>,
    /// The run's totals (whatever the window).
    #[serde(default)]
    pub whole_run: WholeRun,
    /// Planned starts never made: users behind their schedule at the end.
    #[serde(default)]
    pub missed: u64,
    pub all_transactions: Stats,
    pub iteration: Stats,
    pub errors: BTreeMap<String, ErrorTally>,
    pub series: Vec<SeriesRow>,
    /// Failed samples per timer (not in the timer's statistics).
    #[serde(default)]
    pub timer_errors: BTreeMap<String, u64>,
    /// Interval Details of every transaction together.
    #[serde(default)]
    pub all_intervals: Vec<IntervalRow>,
    /// Interval Details per timer.
    #[serde(default)]
    pub intervals: BTreeMap<String, Vec<IntervalRow>>,
    /// The timers that are scripts' custom timers, not transactions.
    #[serde(default)]
    pub custom_timers: Vec<String>,
    /// Every error deduplicated by timer, kind, status and message, with
    /// its count and first and last send time (seconds since the start);
    /// at most `error_table::ERROR_ROWS` distinct rows, the rest counted in
    /// one `other` row per timer and kind.
    #[serde(default)]
    pub error_rows: Vec<ErrorRow>,
    /// Each timer's percentile curve of its successful samples (quantile
    /// `q` from 0 to 0.9999, latency `s` in seconds), measured from the
    /// send and from the schedule.
    #[serde(default)]
    pub latency_curves: BTreeMap<String, Curves>,
    /// The same curves for all transactions together.
    #[serde(default)]
    pub latency_curves_all: Curves,
    /// The active-user count after each start and stop, `[t_s, users]`
    /// (thinned past `distribution::USER_STEPS` points).
    #[serde(default)]
    pub active_user_steps: Vec<(f64, i64)>,
    /// A merged run's shards (`pace merge`), by index; absent otherwise.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub shards: Vec<ShardRow>,
    /// A merged run: the spread of the shards' first starts (seconds, the
    /// latest `first_start_epoch_us` less the earliest); absent otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_skew_s: Option<f64>,
    /// Requests pace sent again on a new connection because the target
    /// closed the kept-alive connection they went on before any answer
    /// (whole run; not errors: docs/running.md). Those whose method is
    /// not idempotent are not sent again: `errors["stale"]`.
    #[serde(default)]
    pub reconnects: u64,
}

/// One shard of a merged run, as `pace merge` found it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ShardRow {
    pub index: u32,
    pub host: String,
    /// `ok`, `late`, `interrupted`, `failed` (the shard's own),
    /// `partial` for an `ok` shard whose results are not whole, or
    /// `missing` for a shard not given to the merge (then every other
    /// field is empty or 0).
    pub status: String,
    /// The shard's results folder, as given to `pace merge`.
    pub folder: String,
    /// How far the shard's clock origin lies after the merged one (its
    /// samples were moved by this much), seconds.
    pub t0_shift_s: f64,
    /// Its first start after the earliest shard's, seconds.
    pub start_skew_s: f64,
    /// How long it was ready before its start (start-at, or its own start,
    /// less its ready time), seconds; negative for a late shard.
    pub ready_margin_s: f64,
    /// Users started, iterations, successful and failed transactions: its
    /// whole run, as folded from its samples.
    pub users: u64,
    pub iterations: u64,
    pub transactions: u64,
    pub errors: u64,
}

/// How many time-series intervals a run has: those that cover its run
/// time, and any later one that holds a transaction (sent before the end,
/// recorded after). A user stopping exactly at the end opens no interval.
fn intervals(agg: &Aggregate, run_end: f64) -> usize {
    let covering = ((run_end / agg.ts_interval) - 1e-9).ceil().max(0.0) as usize;
    let busy = |b: &crate::results::aggregate::Bucket| {
        b.transactions > 0 || b.iterations > 0 || b.dropped > 0 || b.late_starts > 0
    };
    let last_busy = agg.series.iter().rposition(busy).map_or(0, |i| i + 1);
    covering.max(last_busy)
}

impl Summary {
    pub fn build(
        meta: RunMeta,
        agg: &Aggregate,
        expected: Option<Expected>,
        verdict: Verdict,
    ) -> Summary {
        let ts = agg.ts_interval;
        let run_end = meta.run_time_s;
        // A span that opens before ramp-up's end is the whole run's: by
        // the plan's choice, or because the window was empty (ramp-up as
        // long as the run).
        let scope = if agg.window.0 >= meta.ramp_up_s {
            "window"
        } else if meta.ramp_up_s >= agg.window.1 {
            "whole_run"
        } else {
            "run"
        };
        let n = intervals(agg, run_end);
        let series = agg
            .series
            .iter()
            .take(n)
            .enumerate()
            .map(|(i, b)| {
                let st = Stats::of(&b.latency);
                let lateness = Stats::of(&b.lateness);
                SeriesRow {
                    t_s: i as f64 * agg.ts_interval,
                    transactions: b.transactions,
                    tps: b.transactions as f64 / agg.ts_interval,
                    errors: b.errors,
                    p50: st.p50,
                    p95: st.p95,
                    p99: st.p99,
                    active_users: b.active_users_max,
                    late_starts: b.late_starts,
                    dropped: b.dropped,
                    iterations: b.iterations,
                    lateness_p99: lateness.p99,
                    lateness_max: lateness.max,
                }
            })
            .collect();
        let of_slots = |slots: &[Slot]| {
            let v: Vec<(&IntervalHist, u64)> =
                slots.iter().map(|s| (&s.latency, s.errors)).collect();
            IntervalRow::rows(&v, n, ts, run_end)
        };
        let all: Vec<(&IntervalHist, u64)> =
            agg.series.iter().map(|b| (&b.latency, b.errors)).collect();
        let all_intervals = IntervalRow::rows(&all, n, ts, run_end);
        let window = agg.window.1 - agg.window.0;
        // The schedule's end: the planned duration, or where an
        // interrupted run stopped (the window's end), never the grace.
        let seconds = agg.window.1.max(0.0);
        let ok = agg.transactions - agg.error_count;
        let whole_run = WholeRun {
            transactions: ok,
            errors: agg.error_count,
            tpm: if seconds > 0.0 {
                ok as f64 * 60.0 / seconds
            } else {
                0.0
            },
            seconds,
            iterations: agg.iterations.latency.len() + agg.iterations.errors,
        };
        Summary {
            pace_version: env!("CARGO_PKG_VERSION").into(),
            partial: meta.partial,
            meta,
            expected,
            achieved: {
                let span = agg.span_total();
                Achieved {
                    tpm: if window > 0.0 {
                        agg.window_tpm()
                    } else {
                        whole_run.tpm
                    },
                    transactions: agg.achieved(),
                    errors: agg.window_all - agg.window_ok,
                    window_s: window,
                    iterations: agg.window_iterations,
                    all_transactions: agg.transactions,
                    started: agg.window_all,
                    scope: if window <= 0.0 { "whole_run" } else { scope }.to_string(),
                    span_s: [agg.window.0, agg.window.1],
                    latency: span.all_stats(),
                    latency_ok: span.ok_stats(),
                    iteration: Stats::bounded(
                        &agg.window_iteration_latency,
                        &agg.window_iteration_bounds,
                    ),
                    groups: agg
                        .groups
                        .iter()
                        .map(|g| {
                            let a = g.achieved(window);
                            GroupAchieved {
                                name: g.name.clone(),
                                transactions: a.transactions,
                                errors: g.window_failed,
                                iterations: g.window_iterations,
                                counted: if a.backlog.is_some() {
                                    "completed"
                                } else {
                                    "scheduled"
                                }
                                .into(),
                                backlog: a
                                    .backlog
                                    .map(|b| [b.out as f64, b.mean_in_flight, b.allowed]),
                                generator_late: g.window_generator_late,
                                tau_s: g.tau,
                            }
                        })
                        .collect(),
                }
            },
            whole_run,
            missed: agg.missed,
            late_starts: agg.late_starts,
            lateness: Stats::of(&agg.lateness),
            scheduler_lag: Stats::of(&agg.scheduler_lag),
            dropped: agg.dropped,
            skipped: agg.skipped,
            verdict,
            timers: agg
                .timers
                .iter()
                .map(|(k, t)| (k.clone(), Stats::bounded(&t.latency, &t.bounds)))
                .collect(),
            timers_scheduled: agg
                .timers
                .iter()
                .map(|(k, t)| (k.clone(), Stats::bounded(&t.latency_sched, &t.bounds_sched)))
                .collect(),
            all_transactions: agg.all_transactions(),
            iteration: Stats::of(&agg.iterations.latency),
            errors: agg.errors.clone(),
            series,
            timer_errors: agg
                .timers
                .iter()
                .map(|(k, t)| (k.clone(), t.errors))
                .collect(),
            all_intervals,
            intervals: agg
                .timers
                .iter()
                .map(|(k, t)| (k.clone(), of_slots(&t.slots)))
                .collect(),
            custom_timers: agg
                .timers
                .iter()
                .filter(|(_, t)| t.custom)
                .map(|(k, _)| k.clone())
                .collect(),
            error_rows: agg.error_table.rows(),
            latency_curves: agg
                .timers
                .iter()
                .map(|(k, t)| (k.clone(), t.curves()))
                .collect(),
            latency_curves_all: agg.all_transactions_curves(),
            active_user_steps: agg.user_steps.points.clone(),
            shards: Vec::new(),
            start_skew_s: None,
            reconnects: agg.reconnects,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Worked numbers: 2 cores, readings every 1 s over 4 s: 0.2, 0.4,
    /// 1.6 and 0.2 CPU seconds used in each second, so 10 %, 20 %, 80 %,
    /// 10 % of the cores; the span [1, 3) used 2.0 s of 4 core-seconds
    /// (50 %), and [0.5, 1.5) is read half from each second (15 %).
    #[test]
    fn cpu_over_the_span_and_each_interval() {
        let points = [(0.0, 0.0), (1.0, 0.2), (2.0, 0.6), (3.0, 2.2), (4.0, 2.4)];
        let g = Generator::from_readings(&points, 2.0, 1.0, (1.0, 3.0)).unwrap();
        let near = |a: f64, b: f64| (a - b).abs() < 1e-12;
        assert!(near(g.cpu_span, 0.5), "{g:?}");
        for (got, want) in g.intervals.iter().zip([0.1, 0.2, 0.8, 0.1]) {
            assert!(near(*got, want), "{g:?}");
        }
        assert!(near(g.cpu_max, 0.8));
        assert_eq!(g.limit, 0.8);
        let h = Generator::from_readings(&points, 2.0, 1.0, (0.5, 1.5)).unwrap();
        assert!(near(h.cpu_span, 0.15), "{h:?}");
        assert!(Generator::from_readings(&points[..1], 2.0, 1.0, (0.0, 1.0)).is_none());
    }
}
