//! `pace report RESULTS_DIR`: rebuild every report of a results folder from
//! its raw samples (Pyak47's `-r`), with another time-series interval if
//! asked. The raw samples and the plan copy are never touched.

use super::exit;
use super::finish::{self, Publish};
use crate::results::claim::{ClaimError, Fresh, claim};
use crate::units::parse_positive_duration;
use clap::Args;
use std::path::PathBuf;

#[derive(Debug, Args)]
pub struct ReportArgs {
    /// A results folder written by `pace run`.
    results: PathBuf,
    /// Time-series interval of the rebuilt reports [default: the plan's run.ts_interval].
    #[arg(long, value_name = "DURATION", value_parser = parse_positive_duration)]
    ts_interval: Option<f64>,
    /// Also write JMeter's XML JTL, results.xml [default: the plan's run.xml_report].
    #[arg(long)]
    xml: bool,
    /// Store the run in this results database; a run stored before is
    /// replaced, not duplicated [default: the plan's run.results_database].
    #[arg(long, value_name = "DB")]
    db: Option<String>,
    /// Print nothing but errors.
    #[arg(long, short)]
    quiet: bool,
}

pub fn run(a: ReportArgs) -> i32 {
    // One writer at a time: a second report, or a run still writing the
    // folder, refuses this one (crate::results::claim).
    // (A folder that is missing or no folder is said by the reload below.)
    let _claim = match claim(&a.results, Fresh::Any) {
        Ok(c) => Some(c),
        Err(ClaimError::Io(_)) => None,
        Err(e) => {
            errln!("error: {}: {}", a.results.display(), e.words());
            return exit::BAD_INPUT;
        }
    };
    if let Some(st) = super::stairs_reload::stair_plan(&a.results) {
        return stair(&a, &st);
    }
    let (plan, agg, meta) = match finish::reload(&a.results, None, a.ts_interval) {
        Ok(x) => x,
        Err(e) => {
            errln!("{e}");
            return exit::BAD_INPUT;
        }
    };
    let publish = rebuilding(&plan, &a);
    // A merged run's shards are not in its samples: kept from before.
    let (shards, skew) = crate::merge::merged_shards(&a.results);
    let done = finish::publish_with(plan, &agg, meta, &a.results, &publish, |s| {
        s.shards = shards;
        s.start_skew_s = skew;
    });
    done.code
}

/// `pace report` on a stair's folder: each level's reports rebuilt with
/// the level's own settings (and the flags), then the stair's.
fn stair(a: &ReportArgs, st: &crate::plan::stairs::StairsSection) -> i32 {
    let plan = match finish::load_plan(&a.results.join("plan.toml")) {
        Ok((p, _, _)) => p,
        Err(e) => {
            errln!("{e}");
            return exit::BAD_INPUT;
        }
    };
    super::stairs_reload::report(&a.results, st, a.ts_interval, &rebuilding(&plan, a))
}

/// What publishing a rebuilt folder does: the plan's settings and the
/// flags, no post-run hook (it announced the run once; re-processing does
/// not repeat it), and the reports said to be rebuilt.
fn rebuilding(plan: &crate::plan::file::PlanFile, a: &ReportArgs) -> Publish {
    let mut publish = Publish::from_plan(plan, a.xml, a.db.clone(), a.quiet);
    publish.post_run = None;
    publish.rebuilt = true;
    publish
}
