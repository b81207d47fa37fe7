//! `summary.json`: the machine-readable whole of a run (fields per
//! shared/spec/plan-format.md, and more).

use super::aggregate::{Aggregate, ErrorTally, Stats};
use crate::verdict::{Expected, Verdict};
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
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Achieved {
    pub tpm: f64,
    /// Successful transactions whose iteration was scheduled inside the window.
    pub transactions: u64,
    /// Failed transactions, whole run.
    pub errors: u64,
    pub window_s: f64,
    pub iterations: u64,
    /// Every transaction of the run, ok or not, window or not.
    pub all_transactions: u64,
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
    /// The same timers measured from each iteration's scheduled start.
    pub timers_scheduled: BTreeMap<String, Stats>,
    pub all_transactions: Stats,
    pub iteration: Stats,
    pub errors: BTreeMap<String, ErrorTally>,
    pub series: Vec<SeriesRow>,
}

impl Summary {
    pub fn build(
        meta: RunMeta,
        agg: &Aggregate,
        expected: Option<Expected>,
        verdict: Verdict,
    ) -> Summary {
        let series = agg
            .series
            .iter()
            .enumerate()
            .map(|(i, b)| {
                let st = Stats::of(&b.latency);
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
                }
            })
            .collect();
        Summary {
            pace_version: env!("CARGO_PKG_VERSION").into(),
            partial: meta.partial,
            meta,
            expected,
            achieved: Achieved {
                tpm: agg.window_tpm(),
                transactions: agg.window_ok,
                errors: agg.error_count,
                window_s: agg.window.1 - agg.window.0,
                iterations: agg.window_iterations,
                all_transactions: agg.transactions,
            },
            late_starts: agg.late_starts,
            lateness: Stats::of(&agg.lateness),
            scheduler_lag: Stats::of(&agg.scheduler_lag),
            dropped: agg.dropped,
            skipped: agg.skipped,
            verdict,
            timers: agg
                .timers
                .iter()
                .map(|(k, t)| (k.clone(), Stats::of(&t.latency)))
                .collect(),
            timers_scheduled: agg
                .timers
                .iter()
                .map(|(k, t)| (k.clone(), Stats::of(&t.latency_sched)))
                .collect(),
            all_transactions: crate::verdict::all_transactions(agg),
            iteration: Stats::of(&agg.iterations.latency),
            errors: agg.errors.clone(),
            series,
        }
    }
}
