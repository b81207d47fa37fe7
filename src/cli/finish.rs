//! What every command that ends with a results folder does: judge the
//! aggregate against the plan, write every report through the exporters,
//! store the run in the results database, run the post-run hook, print the
//! verdict. `pace run`, `pace verify` and `pace report` share it, so a
//! re-processed folder holds the same numbers as the run that made it.

use super::exit;
use crate::export;
use crate::plan::file::PlanFile;
use crate::results::Results;
use crate::results::aggregate::Aggregate;
use crate::results::sample::read_samples;
use crate::results::summary::{RunMeta, Summary};
use crate::verdict::{expected, judge};
use comfy_table::{Table, presets::UTF8_FULL_CONDENSED};
use std::path::{Path, PathBuf};

/// Reads and checks a plan; errors are one line, ready to print.
pub fn load_plan(path: &Path) -> Result<(PlanFile, String, PathBuf), String> {
    let file = if path.is_dir() {
        path.join("plan.toml")
    } else {
        path.to_path_buf()
    };
    // A Pyak47 project folder: run its config.cfg, converted.
    let converted = if path.is_dir() && !file.exists() {
        crate::pyak47::plan_from_project(path)?
    } else {
        None
    };
    let text = match converted {
        Some(text) => {
            eprintln!(
                "pace: {} has no plan.toml: running its Pyak47 config.cfg, converted (`pace import {}` writes it)",
                path.display(),
                path.display()
            );
            text
        }
        None => std::fs::read_to_string(&file)
            .map_err(|e| format!("error: {}: cannot read the plan: {e}", file.display()))?,
    };
    let plan =
        PlanFile::parse(&text, &file.display().to_string()).map_err(|e| format!("error: {e}"))?;
    Ok((plan, text, file))
}

/// Folds a raw samples file again.
pub fn reaggregate(samples: &Path, ts: f64, window: (f64, f64)) -> Result<Aggregate, String> {
    let f = std::fs::File::open(samples).map_err(|e| format!("{}: {e}", samples.display()))?;
    let mut agg = Aggregate::new(ts, window);
    for row in read_samples(std::io::BufReader::with_capacity(1 << 16, f)) {
        agg.add(&row.map_err(|e| format!("{}: {e}", samples.display()))?);
    }
    Ok(agg)
}

/// The steady-state window: from the end of ramp-up to the planned end,
/// or, for an interrupted run, to where it stopped (`run_time` seconds in).
/// A complete run may end before `duration` (no start is due after it), so
/// its window is the planned one, as the live run judged it.
pub fn window(plan: &PlanFile, partial: bool, run_time: f64) -> (f64, f64) {
    let ramp = plan.run.ramp_up();
    let end = if partial {
        run_time.min(plan.run.duration.0)
    } else {
        plan.run.duration.0
    };
    (ramp, end.max(ramp))
}

/// The summary of an aggregate judged against `plan` over its window.
pub fn judged(plan: &PlanFile, agg: &Aggregate, meta: RunMeta) -> Summary {
    let window = agg.window.1 - agg.window.0;
    let exp = if window > 0.0 {
        expected(plan, window)
    } else {
        None
    };
    let verdict = judge(plan, agg, exp.as_ref());
    Summary::build(meta, agg, exp, verdict)
}

/// What to do with a judged run besides writing its folder.
#[derive(Debug, Clone, Default)]
pub struct Publish {
    pub xml: bool,
    /// A results database (connection string or path).
    pub db: Option<String>,
    /// A command to run once the reports are written.
    pub post_run: Option<String>,
    pub quiet: bool,
}

impl Publish {
    /// The plan's own settings, overridden by the command line.
    pub fn from_plan(plan: &PlanFile, xml: bool, db: Option<String>, quiet: bool) -> Publish {
        Publish {
            xml: xml || plan.run.xml_report,
            db: db.or_else(|| plan.run.results_database.clone()),
            post_run: plan.run.post_run.clone(),
            quiet,
        }
    }
}

/// Judges, writes every report, stores and hooks; prints the verdict and
/// returns the exit code (0 PASS, 1 FAIL, 3 when the results could not be
/// written).
pub fn publish(plan: PlanFile, agg: &Aggregate, meta: RunMeta, dir: &Path, p: &Publish) -> i32 {
    let summary = judged(&plan, agg, meta);
    let pass = summary.verdict.pass;
    print_verdict(&summary);
    let results = Results::new(dir, plan, summary, agg);
    let failures = export::write_all(&results, export::Options { xml: p.xml });
    for f in &failures {
        eprintln!("error: could not write a report: {f}");
    }
    if let Some(url) = &p.db {
        match crate::store::open(url).and_then(|mut s| s.save(&results)) {
            Ok(id) if !p.quiet => eprintln!("pace: stored as run {id} in {url}"),
            Ok(_) => {}
            // The store's errors name the file, never the connection
            // string (it may hold a password).
            Err(e) => eprintln!("error: results_database: {e}"),
        }
    }
    if let Some(cmd) = &p.post_run {
        post_run(cmd, &results);
    }
    if failures.iter().any(|f| f.contains("summary.json")) {
        return exit::INTERRUPTED;
    }
    if pass { exit::OK } else { exit::FAILED }
}

/// Runs the plan's `post_run` command through the shell with the results
/// folder in `PACE_RESULTS_DIR` (and the verdict in `PACE_VERDICT`). Its
/// failure is reported, never fatal: the results are already written.
fn post_run(cmd: &str, r: &Results) {
    let verdict = if r.summary.verdict.pass {
        "PASS"
    } else {
        "FAIL"
    };
    let status = std::process::Command::new("sh")
        .arg("-c")
        .arg(cmd)
        .env("PACE_RESULTS_DIR", &r.dir)
        .env("PACE_VERDICT", verdict)
        .stdin(std::process::Stdio::null())
        .status();
    match status {
        Ok(s) if s.success() => {}
        Ok(s) => eprintln!("warning: post_run `{cmd}` failed ({s}); the results are kept"),
        Err(e) => eprintln!("warning: post_run `{cmd}` could not start: {e}; the results are kept"),
    }
}

pub fn print_verdict(s: &Summary) {
    let v = &s.verdict;
    let mut t = Table::new();
    t.load_style(UTF8_FULL_CONDENSED)
        .set_header(vec!["check", "planned", "achieved", "result"]);
    for c in &v.checks {
        t.add_row(vec![
            c.name.clone(),
            c.target.clone(),
            c.achieved.clone(),
            if c.pass { "pass".into() } else { "FAIL".into() },
        ]);
    }
    t.add_row(vec![
        "transactions in window".to_string(),
        s.expected
            .as_ref()
            .map(|e| {
                format!(
                    "{}-{}",
                    e.transactions_low.ceil(),
                    e.transactions_high.floor()
                )
            })
            .unwrap_or_default(),
        s.achieved.transactions.to_string(),
        String::new(),
    ]);
    t.add_row(vec![
        "late starts / dropped".to_string(),
        "0".into(),
        format!("{} / {}", s.late_starts, s.dropped + s.skipped),
        String::new(),
    ]);
    t.add_row(vec![
        "errors".to_string(),
        String::new(),
        format!("{} of {}", s.achieved.errors, s.achieved.all_transactions),
        String::new(),
    ]);
    println!("{t}");
    if v.pass {
        println!("PASS");
    } else {
        println!("FAIL: {}", v.reasons.join("; "));
    }
}

/// A results folder read back: its plan (or `plan`, to judge against
/// another), the raw samples folded again (every `ts` seconds, or the
/// run's own interval) and the run's facts from summary.json. A folder
/// without summary.json (the process was killed) is rebuilt from its
/// samples alone and marked partial.
pub fn reload(
    dir: &Path,
    plan: Option<&Path>,
    ts: Option<f64>,
) -> Result<(PlanFile, Aggregate, RunMeta), String> {
    let plan_path = plan
        .map(Path::to_path_buf)
        .unwrap_or_else(|| dir.join("plan.toml"));
    let (plan, _, _) = load_plan(&plan_path)?;
    let samples = dir.join(crate::results::SAMPLES_FILE);
    if !samples.exists() {
        return Err(format!(
            "error: {}: no {} here: not a results folder",
            dir.display(),
            crate::results::SAMPLES_FILE
        ));
    }
    let ts = ts.unwrap_or(plan.run.ts_interval.0);
    let summary = dir.join("summary.json");
    if !summary.exists() {
        let mut agg = reaggregate(&samples, ts, window(&plan, false, 0.0))?;
        let run_time = agg.last_t;
        agg.window = window(&plan, true, run_time);
        let meta = killed_run_meta(&plan, &plan_path, &samples, run_time, ts);
        return Ok((plan, agg, meta));
    }
    let old: Summary = std::fs::read_to_string(&summary)
        .map_err(|e| e.to_string())
        .and_then(|t| serde_json::from_str(&t).map_err(|e| e.to_string()))
        .map_err(|e| format!("error: {}: unreadable: {e}", summary.display()))?;
    let mut meta = old.meta;
    meta.ts_interval_s = ts;
    let agg = reaggregate(&samples, ts, window(&plan, meta.partial, meta.run_time_s))?;
    Ok((plan, agg, meta))
}

/// What can be known of a run that never wrote its summary: it ended when
/// its samples file was last written, `run_time` after it started.
fn killed_run_meta(
    plan: &PlanFile,
    plan_path: &Path,
    samples: &Path,
    run_time: f64,
    ts: f64,
) -> RunMeta {
    let end = std::fs::metadata(samples)
        .and_then(|m| m.modified())
        .unwrap_or_else(|_| std::time::SystemTime::now());
    let start = end
        .checked_sub(std::time::Duration::from_secs_f64(run_time.max(0.0)))
        .unwrap_or(end);
    RunMeta {
        plan_file: plan_path.display().to_string(),
        seed: plan.run.seed.unwrap_or(0),
        started_at: humantime::format_rfc3339_seconds(start).to_string(),
        finished_at: humantime::format_rfc3339_seconds(end).to_string(),
        started_epoch_ms: start
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis() as u64)
            .unwrap_or(0),
        run_time_s: run_time,
        duration_s: plan.run.duration.0,
        ramp_up_s: plan.run.ramp_up(),
        ts_interval_s: ts,
        late_policy: late_policy(plan),
        partial: true,
        partial_reason: Some(
            "the run ended without writing summary.json (killed?): rebuilt from samples.csv".into(),
        ),
        vars: Default::default(),
    }
}

/// Each group's late-start policy, as summary.json records it.
pub fn late_policy(plan: &PlanFile) -> Vec<String> {
    plan.groups
        .iter()
        .map(|g| format!("{}: {:?}", g.name, g.pacing.late))
        .collect()
}
