//! `pace merge SHARD_DIR... -o RESULTS_DIR`: the shards of one plan into
//! one results folder, judged once (see [`crate::merge`]).

use super::exit;
use super::finish::{self, Publish};
use crate::merge::{self, Set, Shard, fold};
use crate::output;
use crate::plan::file::PlanFile;
use crate::results::claim::{ClaimError, Fresh, claim};
use crate::results::summary::{RunMeta, ShardRow};
use crate::units::{parse_duration, round_sig};
use clap::Args;
use std::path::{Path, PathBuf};

#[derive(Debug, Args)]
pub struct MergeArgs {
    /// The shards' results folders (or one folder holding them).
    #[arg(required = true)]
    shards: Vec<PathBuf>,
    /// The merged results folder to write (new, or empty).
    #[arg(long, short)]
    output: PathBuf,
    /// The largest spread of the shards' first starts that still makes one
    /// run; above it the verdict is INCOMPLETE.
    #[arg(long, value_name = "DURATION", default_value = "1s", value_parser = parse_duration)]
    max_skew: f64,
    /// Also write JMeter's XML JTL, results.xml [default: the plan's run.xml_report].
    #[arg(long)]
    xml: bool,
    /// Store the merged run in this results database [default: the plan's run.results_database].
    #[arg(long, value_name = "DB")]
    db: Option<String>,
    /// Print nothing but errors and the verdict.
    #[arg(long, short)]
    quiet: bool,
}

pub fn run(a: MergeArgs) -> i32 {
    match merge_into(&a) {
        Ok(code) => code,
        Err(e) => {
            errln!("{e}");
            exit::BAD_INPUT
        }
    }
}

fn merge_into(a: &MergeArgs) -> Result<i32, String> {
    let out = &a.output;
    // Claimed before anything is read or written: of two merges into one
    // -o, one is refused (crate::results::claim).
    let created = !out.exists();
    let _claim = claim(out, Fresh::Required).map_err(|e| {
        let why = match e {
            ClaimError::NotEmpty => {
                "exists and is not an empty folder: the merged results go to a new one".into()
            }
            e => e.words(),
        };
        format!("error: -o: {}: {why}", out.display())
    })?;
    let refused = |e: String| {
        if created {
            let _ = std::fs::remove_dir_all(out);
        }
        e
    };
    let dirs = merge::expand(&a.shards);
    let shards = dirs
        .iter()
        .map(|d| merge::load(d))
        .collect::<Result<Vec<_>, _>>()
        .map_err(refused)?;
    let set = merge::check(shards).map_err(refused)?;
    let first = &set.shards[0];
    let plan_out = out.join("plan.toml");
    let plan = PlanFile::parse(&first.plan_text, &plan_out.display().to_string())
        .map_err(|e| format!("error: {}: {e}", first.dir.join("plan.toml").display()))
        .map_err(refused)?;
    // Every shard's clock fields bounded before they size anything.
    merge::bound(&set, plan.run.duration.0 + plan.run.grace.0).map_err(refused)?;
    let clock = merge::clock(&set.shards);
    let window = plan.judged_span(merge::window(
        plan.run.ramp_up(),
        plan.run.duration.0,
        &set.shards,
        &clock.shifts,
    ));
    let written = std::fs::write(&plan_out, &first.plan_text)
        .map_err(|e| format!("error: {}: {e}", plan_out.display()))
        .and_then(|()| {
            fold::fold(
                &plan,
                &set.shards,
                &clock.shifts,
                window,
                &out.join(crate::results::SAMPLES_FILE),
            )
        });
    let folded = match written {
        Ok(f) => f,
        Err(e) => {
            // Nothing half-merged is left to be mistaken for a result.
            if created {
                let _ = std::fs::remove_dir_all(out);
            } else {
                let _ = std::fs::remove_file(&plan_out);
                let _ = std::fs::remove_file(out.join(crate::results::SAMPLES_FILE));
            }
            return Err(e);
        }
    };
    for w in &folded.warnings {
        errln!("{w}");
    }
    for (s, &bytes) in set.shards.iter().zip(&folded.torn) {
        finish::warn_torn(&s.dir.join(crate::results::SAMPLES_FILE), bytes);
    }
    let mut why = merge::incomplete_reasons(&set, &clock, a.max_skew);
    for (s, &bytes) in set.shards.iter().zip(&folded.torn) {
        if bytes > 0 && !s.meta.partial {
            why.push(format!(
                "shard {}'s samples.csv ends with an incomplete line ({bytes} bytes), left out",
                s.info.index
            ));
        }
    }
    let rows = shard_rows(&set, &clock, &folded.tallies);
    if !a.quiet {
        print_shards(&rows, clock.skew_s, a.max_skew);
    }
    let mut meta = merged_meta(&plan, &set, &clock, &folded.agg, &plan_out, &why);
    // Judged again (`pace verify`, `pace report`) over the same window.
    meta.window_s = Some([window.0, window.1]);
    let ran: Vec<u32> = set
        .shards
        .iter()
        .filter(|s| s.ran())
        .map(|s| s.info.index)
        .collect();
    if ran.len() < set.count as usize {
        meta.ran_shards = Some(crate::results::summary::RanShards {
            count: set.count,
            indices: ran,
        });
    }
    let mut publish = Publish::from_plan(&plan, a.xml, a.db.clone(), a.quiet);
    // Each shard's hook ran where the shard ran; merging runs none.
    publish.post_run = None;
    let skew = clock.skew_s;
    let done = finish::publish_with(plan, &folded.agg, meta, out, &publish, |s| {
        s.shards = rows;
        s.start_skew_s = Some(skew);
    });
    if !a.quiet && done.reports_written {
        errln!(
            "pace: {} shards of {} merged into {}",
            set.shards.len(),
            set.count,
            out.display()
        );
    }
    Ok(done.code)
}

/// The merged run's facts: the plan's, on the merged clock, partial (and
/// so INCOMPLETE) for every reason in `why`.
fn merged_meta(
    plan: &PlanFile,
    set: &Set,
    clock: &merge::Clock,
    agg: &crate::results::aggregate::Aggregate,
    plan_out: &Path,
    why: &[String],
) -> RunMeta {
    let ran = |s: &&Shard| s.ran();
    let run_time = set
        .shards
        .iter()
        .zip(&clock.shifts)
        .filter(|(s, _)| ran(s))
        .map(|(s, d)| d + s.meta.run_time_s)
        .fold(0.0, f64::max)
        .max(agg.last_t.min(plan.run.duration.0 + plan.run.grace.0));
    let t0 = std::time::UNIX_EPOCH + std::time::Duration::from_micros(clock.t0_us);
    let finished = set
        .shards
        .iter()
        .map(|s| s.meta.finished_at.clone())
        .max()
        .unwrap_or_default();
    let first = &set.shards[0];
    RunMeta {
        plan_file: plan_out.display().to_string(),
        seed: first.meta.seed,
        started_at: humantime::format_rfc3339_seconds(t0).to_string(),
        finished_at: finished,
        started_epoch_ms: clock.t0_us / 1000,
        run_time_s: run_time,
        duration_s: plan.run.duration.0,
        ramp_up_s: plan.run.ramp_up(),
        ts_interval_s: plan.run.ts_interval.0,
        late_policy: finish::late_policy(plan),
        partial: !why.is_empty(),
        partial_reason: (!why.is_empty()).then(|| why.join("; ")),
        vars: first.meta.vars.clone(),
        shard: None,
        window_s: None,
        ran_shards: None,
        overrides: None,
        // Every shard's origins, each once, in shard order.
        targets: set.shards.iter().fold(Vec::new(), |mut all, s| {
            for t in &s.meta.targets {
                if !all.contains(t) {
                    all.push(t.clone());
                }
            }
            all
        }),
        generator: None,
    }
}

fn shard_rows(set: &Set, clock: &merge::Clock, tallies: &[fold::Tally]) -> Vec<ShardRow> {
    let mut rows: Vec<ShardRow> = set
        .shards
        .iter()
        .zip(&clock.shifts)
        .zip(tallies)
        .map(|((s, &shift), t)| ShardRow {
            index: s.info.index,
            host: s.info.host.clone(),
            status: s.status(),
            folder: s.dir.display().to_string(),
            t0_shift_s: shift,
            start_skew_s: if s.ran() {
                (s.info.first_start_epoch_us as f64 - clock.first_start_us as f64) / 1e6
            } else {
                0.0
            },
            ready_margin_s: (s.info.t0_epoch_us as f64 - s.info.ready_epoch_us as f64) / 1e6,
            users: t.users,
            iterations: t.iterations,
            transactions: t.transactions,
            errors: t.errors,
        })
        .collect();
    // A missing shard is a row of its own, so the table shows the hole
    // (the first few; past that the verdict's reason counts them).
    const MISSING_ROWS: usize = 64;
    rows.extend(
        set.missing
            .iter()
            .take(MISSING_ROWS)
            .map(|&index| ShardRow {
                index,
                host: String::new(),
                status: "missing".into(),
                folder: String::new(),
                t0_shift_s: 0.0,
                start_skew_s: 0.0,
                ready_margin_s: 0.0,
                users: 0,
                iterations: 0,
                transactions: 0,
                errors: 0,
            }),
    );
    rows.sort_by_key(|r| r.index);
    rows
}

/// The shards table and the start skew, on stdout before the verdict.
fn print_shards(rows: &[ShardRow], skew: f64, max_skew: f64) {
    let mut t = output::table(
        output::stdout_width(),
        vec![
            "shard",
            "host",
            "status",
            "t0 shift s",
            "start skew s",
            "ready margin s",
            "users",
            "iterations",
            "ok",
            "failed",
        ],
    );
    for r in rows {
        t.add_row(crate::visible::row([
            r.index.to_string(),
            r.host.clone(),
            r.status.clone(),
            round_sig(r.t0_shift_s, 3),
            round_sig(r.start_skew_s, 3),
            round_sig(r.ready_margin_s, 3),
            r.users.to_string(),
            r.iterations.to_string(),
            r.transactions.to_string(),
            r.errors.to_string(),
        ]));
    }
    outln!("{t}");
    outln!(
        "start skew: {} s (--max-skew {} s)",
        round_sig(skew, 3),
        round_sig(max_skew, 3)
    );
}
