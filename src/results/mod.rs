//! The one recorded model of a run: raw samples streamed to disk, their
//! aggregate, and `summary.json`. The verdict and every report read these;
//! none of them reaches back into the runner.

pub mod aggregate;
pub mod baseline;
pub mod claim;
pub mod distribution;
pub mod error_table;
pub mod group;
pub mod judgement;
pub mod occupancy;
pub mod sample;
pub mod span;
pub mod stair_fold;
pub mod stairs;
pub mod summary;

use crate::plan::file::PlanFile;
use aggregate::{Aggregate, IntervalHist, Point};
use sample::Sample;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use summary::Summary;

/// The raw file every report can be rebuilt from.
pub const SAMPLES_FILE: &str = "samples.csv";

/// What an exporter gets: everything about one run, read-only.
pub struct Results {
    /// The results folder (`results/<timestamp>/`).
    pub dir: PathBuf,
    /// The plan the run followed (its copy in the folder).
    pub plan: PlanFile,
    pub summary: Summary,
    /// Raw points per timer for the scatter graphs.
    pub scatter: BTreeMap<String, Scatter>,
    /// Each timer's successful latencies per time-series interval
    /// (microseconds, the aggregate's `Timer.slots[i].latency`), for
    /// `histograms.hlog`.
    pub timer_intervals: BTreeMap<String, Vec<IntervalHist>>,
    /// Every transaction's successful latencies per time-series interval
    /// (the time series' `Bucket.latency`), for `histograms.hlog`.
    pub all_intervals: Vec<IntervalHist>,
}

/// A timer's raw points: all of them, or a uniform random sample.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Scatter {
    /// How many samples the timer had.
    pub seen: u64,
    pub points: Vec<Point>,
}

impl Scatter {
    /// True when every sample is drawn.
    pub fn complete(&self) -> bool {
        self.seen as usize == self.points.len()
    }
}

impl Results {
    pub fn new(dir: &Path, plan: PlanFile, summary: Summary, agg: &Aggregate) -> Results {
        let scatter = agg
            .timers
            .iter()
            .map(|(k, t)| {
                (
                    k.clone(),
                    Scatter {
                        seen: t.scatter.seen,
                        points: t.scatter.points.clone(),
                    },
                )
            })
            .collect();
        let timer_intervals = agg
            .timers
            .iter()
            .map(|(k, t)| {
                (
                    k.clone(),
                    t.slots.iter().map(|s| s.latency.clone()).collect(),
                )
            })
            .collect();
        Results {
            dir: dir.to_path_buf(),
            plan,
            summary,
            scatter,
            timer_intervals,
            all_intervals: agg.series.iter().map(|b| b.latency.clone()).collect(),
        }
    }

    pub fn samples_path(&self) -> PathBuf {
        self.dir.join(SAMPLES_FILE)
    }

    /// The raw samples, streamed from disk one row at a time (a torn last
    /// line left by a killed run is left out).
    pub fn samples(&self) -> std::io::Result<impl Iterator<Item = Result<Sample, String>>> {
        Ok(sample::open_samples(&self.samples_path())?.rows)
    }

    /// Epoch milliseconds of a time in seconds since the run's start.
    pub fn epoch_ms(&self, t: f64) -> i64 {
        self.summary.meta.started_epoch_ms as i64 + (t * 1000.0).round() as i64
    }
}
