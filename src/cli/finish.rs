//! What every command that ends with a results folder does: judge the
//! aggregate against the plan, write every report through the exporters,
//! store the run in the results database, run the post-run hook, print the
//! verdict. `pace run`, `pace verify` and `pace report` share it, so a
//! re-processed folder holds the same numbers as the run that made it.

use super::{console, exit, hook};
use crate::export;
use crate::plan::check::{MAX_INTERVALS, intervals_error};
use crate::plan::file::PlanFile;
use crate::plan::overrides::Overrides;
use crate::results::Results;
use crate::results::aggregate::Aggregate;
use crate::results::judgement::State;
use crate::results::sample::open_samples_within;
use crate::results::summary::{RunMeta, Summary};
use crate::verdict::{Ending, judge, judge_part};
use std::path::{Path, PathBuf};

/// The config.cfg that `load_plan(path)` converts: `path` is a folder
/// without plan.toml (a Pyak47 project) that has one.
pub fn converted_config(path: &Path) -> Option<PathBuf> {
    let cfg = path.join(crate::pyak47::CONFIG_FILE);
    (path.is_dir() && !path.join("plan.toml").exists() && cfg.is_file()).then_some(cfg)
}

/// Reads and checks a plan; errors are one line, ready to print. Returns
/// the plan, its text and the file it came from: `plan.toml`, or the
/// `config.cfg` of a Pyak47 project run without one (converted in memory).
pub fn load_plan(path: &Path) -> Result<(PlanFile, String, PathBuf), String> {
    // A Pyak47 project folder: run its config.cfg, converted. The console,
    // errors and summary.json then name config.cfg, the file that exists.
    let cfg = converted_config(path);
    // A folder with neither file: say so of the folder, not of a
    // plan.toml the user never named.
    let plan_toml = path.join("plan.toml");
    if cfg.is_none() && path.is_dir() && !plan_toml.exists() && !plan_toml.is_symlink() {
        return Err(format!(
            "error: {}: no plan.toml or {} in this folder",
            path.display(),
            crate::pyak47::CONFIG_FILE
        ));
    }
    let file = match &cfg {
        Some(cfg) => cfg.clone(),
        None if path.is_dir() => path.join("plan.toml"),
        None => path.to_path_buf(),
    };
    let converted = if cfg.is_some() {
        crate::pyak47::plan_from_project(path)?
    } else {
        None
    };
    let text = match converted {
        Some(text) => {
            errln!(
                "pace: {} has no plan.toml: running its Pyak47 config.cfg, converted (`pace import {}` writes it)",
                path.display(),
                path.display()
            );
            text
        }
        None => crate::input::read_text(&file)
            .map_err(|e| format!("error: {}: cannot read the plan: {e}", file.display()))?,
    };
    let plan =
        PlanFile::parse(&text, &file.display().to_string()).map_err(|e| format!("error: {e}"))?;
    Ok((plan, text, file))
}

/// A samples file folded again: the aggregate, and the bytes of a torn
/// last line that were left out (a run killed while writing).
pub struct Refolded {
    pub agg: Aggregate,
    pub torn_bytes: u64,
}

/// Folds a raw samples file again, for `plan` over `window`, every `ts`
/// seconds. A torn last line is left out and reported in `torn_bytes`; any
/// other bad row is an error naming the file and its line.
pub fn reaggregate(
    samples: &Path,
    plan: &PlanFile,
    ts: f64,
    window: (f64, f64),
) -> Result<Refolded, String> {
    let span = plan.run.duration.0 + plan.run.grace.0;
    if (span / ts).ceil() > MAX_INTERVALS as f64 {
        return Err(format!(
            "error: --ts-interval: {}",
            intervals_error(ts, span)
        ));
    }
    // Rows are written up to the grace's end, and those cut off in flight
    // a moment later: a minute's slack.
    let file = open_samples_within(samples, Some(span + 60.0))
        .map_err(|e| format!("error: {}: {e}", samples.display()))?;
    let mut agg = Aggregate::for_plan(plan, window);
    agg.ts_interval = ts;
    for row in file.rows {
        let row = row.map_err(|e| {
            format!(
                "error: {}: {e} (an edited or corrupted file, or another plan's samples)",
                samples.display()
            )
        })?;
        // Judged against another plan (`verify --plan`), a row of a group
        // that plan does not have would be counted as nothing and blamed
        // on chance: refused instead.
        if !plan.groups.iter().any(|g| *g.name == *row.group) {
            return Err(format!(
                "error: {}: group '{}' is not a group of the plan ({}): not this plan's run",
                samples.display(),
                row.group.escape_debug(),
                plan.groups
                    .iter()
                    .map(|g| format!("'{}'", g.name.escape_debug()))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        agg.add(&row);
    }
    // The other way: a group of the plan that never started a user in a
    // run that lasted past ramp-up, when every user has started.
    if agg.last_t > plan.run.ramp_up()
        && agg.groups.iter().any(|g| g.users_started > 0)
        && let Some(g) = agg.groups.iter().find(|g| g.users_started == 0)
    {
        return Err(format!(
            "error: {}: the plan's group '{}' never started a user in this run: not this plan's run",
            samples.display(),
            g.name.escape_debug()
        ));
    }
    Ok(Refolded {
        agg,
        torn_bytes: file.torn_bytes,
    })
}

/// The judged span: the steady-state window, from the end of ramp-up to
/// the planned end, or, for an interrupted run, to where it stopped
/// (`run_time` seconds in); the whole run with `scope = "run"` or when
/// that window is empty ([`PlanFile::judged_span`]). A complete run may
/// end before `duration` (no start is due after it), so its window is
/// the planned one, as the live run judged it.
pub fn window(plan: &PlanFile, partial: bool, run_time: f64) -> (f64, f64) {
    let ramp = plan.run.ramp_up();
    let end = if partial {
        run_time.min(plan.run.duration.0)
    } else {
        plan.run.duration.0
    };
    plan.judged_span((ramp, end))
}

/// The summary of an aggregate judged against `plan` over its window.
pub fn judged(plan: &PlanFile, agg: &Aggregate, meta: RunMeta) -> Summary {
    let ending = Ending {
        incomplete: meta.partial.then(|| {
            meta.partial_reason
                .clone()
                .unwrap_or_else(|| "interrupted".into())
        }),
        generator: meta.generator.clone(),
    };
    // A shard's summary: its part is what it expected, and it is never
    // judged alone.
    let shard = meta
        .shard
        .as_ref()
        .map(|s| crate::plan::segment::Shard {
            index: s.index,
            count: s.count,
        })
        .filter(|s| !s.is_whole());
    // A merge some of whose shards never ran: judged on the part that ran.
    let parts = meta
        .ran_shards
        .as_ref()
        .map(|r| crate::plan::segment::parts_plan(plan, r.count, &r.indices));
    let plan = parts.as_ref().unwrap_or(plan);
    let (exp, verdict) = match shard {
        Some(s) => judge_part(
            &crate::plan::segment::part_plan(plan, s),
            agg,
            &ending,
            Some(s),
        ),
        None => judge(plan, agg, &ending),
    };
    Summary::build(meta, agg, exp, verdict)
}

/// The exit code of a judged run (README's table).
pub fn exit_code(s: &Summary) -> i32 {
    // A shard that ran to the end and recorded everything did its part:
    // the verdict is the merge's (a successful pod means "my part ran").
    if s.meta
        .shard
        .as_ref()
        .is_some_and(|sh| sh.count > 1 && sh.status == "ok")
        && !s.meta.partial
    {
        return exit::OK;
    }
    match s.verdict.state {
        State::Pass => exit::OK,
        State::Fail => exit::FAILED,
        State::NoChecks => exit::NO_CHECKS,
        State::Incomplete => exit::INTERRUPTED,
    }
}

/// What to do with a judged run besides writing its folder.
#[derive(Debug, Clone, Default)]
pub struct Publish {
    pub xml: bool,
    /// A results database (connection string or path).
    pub db: Option<String>,
    /// How the run's raw samples are stored there (the plan's
    /// `run.results_database_samples`).
    pub store: crate::store::SaveOptions,
    /// A command to run once the reports are written, and how long it may
    /// take (seconds).
    pub post_run: Option<(String, f64)>,
    /// Whether `post_run` may run.
    pub hook_gate: hook::Gate,
    pub quiet: bool,
    /// A line printed just before the results folder and the verdict
    /// (a shard says how its plan is judged).
    pub note: Option<String>,
    /// The reports were rebuilt from the samples (`pace report`): said,
    /// when they all were written, before the folder and the verdict, so
    /// the verdict stays the last line.
    pub rebuilt: bool,
}

impl Publish {
    /// The plan's own settings, overridden by the command line.
    pub fn from_plan(plan: &PlanFile, xml: bool, db: Option<String>, quiet: bool) -> Publish {
        Publish {
            xml: xml || plan.run.xml_report,
            db: db.or_else(|| plan.run.results_database.clone()),
            store: crate::store::SaveOptions {
                sample_limit: plan
                    .run
                    .results_database_samples
                    .unwrap_or(crate::store::DEFAULT_SAMPLE_LIMIT),
            },
            post_run: plan
                .run
                .post_run
                .clone()
                .map(|c| (c, plan.run.post_run_timeout())),
            hook_gate: hook::Gate::Open,
            quiet,
            note: None,
            rebuilt: false,
        }
    }

    /// Holds back the hook of a plan converted from a Pyak47 config.cfg
    /// (`pace run PROJECT` without plan.toml) unless `allow` (the
    /// `--allow-hooks` flag): pace wrote that plan, not the user.
    pub fn guard_hooks(&mut self, plan_arg: &Path, allow: bool) {
        if let Some(cfg) = converted_config(plan_arg)
            && !allow
        {
            self.hook_gate = hook::Gate::Converted(cfg);
        }
    }
}

/// What publishing a run came to.
#[derive(Debug, Clone)]
pub struct Published {
    /// The exit code: the verdict's (0 PASS, 1 FAIL, 3 INCOMPLETE, 4 NO
    /// CHECKS), or 3 when a report or the database could not be written,
    /// or the post-run hook was interrupted: results that are not all there
    /// are never reported as a clean exit.
    pub code: i32,
    /// Every report was written.
    pub reports_written: bool,
    /// The run's id in the results database, where it was stored.
    pub run_id: Option<i64>,
    /// The judged run, as summary.json has it.
    pub summary: Summary,
}

/// Judges, writes every report, stores and hooks; prints the verdict.
pub fn publish(
    plan: PlanFile,
    agg: &Aggregate,
    meta: RunMeta,
    dir: &Path,
    p: &Publish,
) -> Published {
    publish_with(plan, agg, meta, dir, p, |_| {})
}

/// [`publish`], with `extra` adding to the judged summary what the
/// aggregate does not know (`pace merge`'s shards) before any report is
/// written.
pub fn publish_with(
    plan: PlanFile,
    agg: &Aggregate,
    meta: RunMeta,
    dir: &Path,
    p: &Publish,
    extra: impl FnOnce(&mut Summary),
) -> Published {
    let mut summary = judged(&plan, agg, meta);
    extra(&mut summary);
    let mut code = exit_code(&summary);
    console::print_checks(&summary, console::paced(&plan));
    let results = Results::new(dir, plan, summary, agg);
    let failures = export::write_all(&results, export::Options { xml: p.xml });
    for f in &failures {
        errln!("error: could not write a report: {f}");
    }
    if !failures.is_empty() {
        code = exit::INTERRUPTED;
    }
    let mut run_id = None;
    if let Some(url) = &p.db {
        match crate::store::open(url).and_then(|mut s| s.save_with(&results, p.store)) {
            Ok(saved) => {
                let id = saved.run_id;
                run_id = Some(id);
                // Samples left out for their number are said even with
                // --quiet: a query over them would otherwise find nothing
                // and not know why.
                if let crate::store::SamplesStored::OverLimit { limit } = saved.samples {
                    errln!(
                        "warning: results_database: run {id} has more than {limit} samples \
                         (run.results_database_samples): none of its raw samples were stored \
                         (runs.samples_status = 'over_limit'); samples.csv has them all"
                    );
                }
                if !p.quiet {
                    errln!("pace: stored as run {id} in {url}");
                }
            }
            // The store's errors name the file, never the connection
            // string (it may hold a password).
            Err(e) => {
                errln!("error: results_database: the run was not stored: {e}");
                code = exit::INTERRUPTED;
            }
        }
    }
    if let Some((cmd, timeout)) = &p.post_run
        && hook::post_run_gated(cmd, *timeout, &results, &p.hook_gate)
            == Some(hook::Ended::Interrupted)
    {
        code = exit::INTERRUPTED;
    }
    if p.rebuilt && !p.quiet && failures.is_empty() {
        errln!("pace: reports rebuilt in {}", dir.display());
    }
    if let Some(note) = &p.note {
        outln!("{note}");
    }
    console::print_end(&results.summary, dir, failures.is_empty());
    Published {
        code,
        reports_written: failures.is_empty(),
        run_id,
        summary: results.summary,
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
    if !dir.is_dir() {
        return Err(format!("error: {}: no such results folder", dir.display()));
    }
    let plan_path = plan
        .map(Path::to_path_buf)
        .unwrap_or_else(|| dir.join("plan.toml"));
    let (plan, _, _) = load_plan(&plan_path)?;
    // The run as it ran: its plan with the overrides it was run with.
    let recorded = recorded_overrides(dir)?;
    let plan = match &recorded {
        Some(o) => o.apply(&plan).map_err(|e| {
            format!(
                "error: {}: the run's overrides ({}) do not apply to this plan: {e}",
                plan_path.display(),
                o.describe()
            )
        })?,
        None => plan,
    };
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
        // Fold once to learn where the run stopped, then again over the
        // window that ends there (the window's counts depend on it).
        let run_time = reaggregate(&samples, &plan, ts, window(&plan, false, 0.0))?
            .agg
            .last_t;
        let folded = reaggregate(&samples, &plan, ts, window(&plan, true, run_time))?;
        warn_torn(&samples, folded.torn_bytes);
        let mut meta =
            killed_run_meta(&plan, &plan_path, &samples, run_time, ts, folded.torn_bytes);
        meta.overrides = recorded;
        return Ok((plan, folded.agg, meta));
    }
    let old: Summary = crate::input::read_text(&summary)
        .map_err(|e| e.to_string())
        .and_then(|t| serde_json::from_str(&t).map_err(|e| e.to_string()))
        .map_err(|e| format!("error: {}: unreadable: {e}", summary.display()))?;
    let mut meta = old.meta;
    // The run's facts size the reports' tables: a hand-edited or foreign
    // summary.json is refused, not trusted.
    let span = plan.run.duration.0 + plan.run.grace.0 + 60.0;
    if !(0.0..=span).contains(&meta.run_time_s) {
        return Err(format!(
            "error: {}: run_time_s = {} s is outside the run (0 to {span} s: duration + grace): not this plan's run",
            summary.display(),
            meta.run_time_s
        ));
    }
    meta.ts_interval_s = ts;
    // A merged run's window is the one every shard covered, as recorded.
    let judged_window = match meta.window_s {
        Some([from, to]) if from.is_finite() && to.is_finite() && from <= to => (from, to),
        _ => window(&plan, meta.partial, meta.run_time_s),
    };
    let folded = reaggregate(&samples, &plan, ts, judged_window)?;
    warn_torn(&samples, folded.torn_bytes);
    if folded.torn_bytes > 0 && !meta.partial {
        meta.partial = true;
        meta.partial_reason = Some(torn_reason(folded.torn_bytes));
    }
    Ok((plan, folded.agg, meta))
}

/// The file a run with overrides writes beside its plan.toml as it
/// starts, so that a run killed before its summary.json is judged as it
/// ran too.
pub const OVERRIDES_FILE: &str = "overrides.json";

/// The overrides a results folder's run was run with: summary.json's
/// `meta.overrides`, or for a run without one, overrides.json.
fn recorded_overrides(dir: &Path) -> Result<Option<Overrides>, String> {
    let summary = dir.join("summary.json");
    let from = |path: &Path, pointer: &str| -> Result<Option<Overrides>, String> {
        let text = crate::input::read_text(path)
            .map_err(|e| format!("error: {}: unreadable: {e}", path.display()))?;
        let v: serde_json::Value = serde_json::from_str(&text)
            .map_err(|e| format!("error: {}: unreadable: {e}", path.display()))?;
        match v.pointer(pointer) {
            None | Some(serde_json::Value::Null) => Ok(None),
            Some(o) => serde_json::from_value(o.clone())
                .map(Some)
                .map_err(|e| format!("error: {}: {pointer}: {e}", path.display())),
        }
    };
    if summary.exists() {
        return from(&summary, "/meta/overrides");
    }
    let file = dir.join(OVERRIDES_FILE);
    if file.exists() {
        return from(&file, "");
    }
    Ok(None)
}

/// Says on stderr that a torn last line was left out.
pub fn warn_torn(samples: &Path, bytes: u64) {
    if bytes > 0 {
        errln!(
            "warning: {}: its last line is incomplete ({bytes} bytes: the run was killed, or its disk filled, while writing it); left out",
            samples.display()
        );
    }
}

fn torn_reason(bytes: u64) -> String {
    format!(
        "samples.csv ends with an incomplete line ({bytes} bytes), left out: the run was killed, or its disk filled, while writing"
    )
}

/// What can be known of a run that never wrote its summary: it ended when
/// its samples file was last written, `run_time` after it started.
fn killed_run_meta(
    plan: &PlanFile,
    plan_path: &Path,
    samples: &Path,
    run_time: f64,
    ts: f64,
    torn_bytes: u64,
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
        partial_reason: Some(if torn_bytes > 0 {
            format!(
                "the run ended without writing summary.json (killed?): rebuilt from samples.csv; {}",
                torn_reason(torn_bytes)
            )
        } else {
            "the run ended without writing summary.json (killed?): rebuilt from samples.csv".into()
        }),
        vars: Default::default(),
        shard: None,
        window_s: None,
        ran_shards: None,
        overrides: None,
        targets: Vec::new(),
        generator: None,
    }
}

/// Each group's late-start policy, as summary.json records it.
pub fn late_policy(plan: &PlanFile) -> Vec<String> {
    plan.groups
        .iter()
        .map(|g| format!("{}: {}", g.name, g.pacing.late.name()))
        .collect()
}
