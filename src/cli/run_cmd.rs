//! `pace run PLAN` and `pace verify RESULTS_DIR`: load and check the plan,
//! run it, then record, judge and print.

use super::exit;
use crate::plan::file::PlanFile;
use crate::results::aggregate::Aggregate;
use crate::results::sample::read_samples;
use crate::results::summary::{RunMeta, Summary};
use crate::runner::{self, RunConfig};
use crate::units::{human_duration, round_sig};
use crate::verdict::{expected, judge};
use clap::Args;
use comfy_table::{Table, presets::UTF8_FULL_CONDENSED};
use std::path::{Path, PathBuf};

#[derive(Debug, Args)]
pub struct RunArgs {
    /// The plan file (or a directory holding plan.toml).
    plan: PathBuf,
    /// Validate the plan and print what it would do; send no traffic.
    #[arg(long)]
    check: bool,
    /// Seed for every random draw (pacing, phase); reproduces a run's schedule.
    #[arg(long)]
    seed: Option<u64>,
    /// No progress output.
    #[arg(long, short)]
    quiet: bool,
    /// Where the timestamped results folder is made [default: the plan's run.results_dir].
    #[arg(long)]
    results_dir: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// A results folder written by `pace run`.
    results: PathBuf,
    /// Judge against this plan instead of the run's own copy.
    #[arg(long)]
    plan: Option<PathBuf>,
}

/// Reads and checks a plan; errors are one line, ready to print.
fn load_plan(path: &Path) -> Result<(PlanFile, String, PathBuf), String> {
    let file = if path.is_dir() {
        path.join("plan.toml")
    } else {
        path.to_path_buf()
    };
    let text = std::fs::read_to_string(&file)
        .map_err(|e| format!("error: {}: cannot read the plan: {e}", file.display()))?;
    let plan =
        PlanFile::parse(&text, &file.display().to_string()).map_err(|e| format!("error: {e}"))?;
    Ok((plan, text, file))
}

fn print_check(plan: &PlanFile) {
    let users: u64 = plan.groups.iter().map(|g| g.users).sum();
    println!("plan OK: {} group(s), {users} users", plan.groups.len());
    for g in &plan.groups {
        let rate = g
            .pacing
            .iteration_rate(g.users)
            .map(|r| format!("{} iterations/min", round_sig(r * 60.0, 5)))
            .unwrap_or_else(|| "rate set by response times".into());
        println!(
            "  {}: {} users, pacing {:?}, {} step(s), {rate}",
            g.name,
            g.users,
            g.pacing.mode,
            g.steps.len()
        );
    }
    let window = plan.run.duration.0 - plan.run.ramp_up();
    match expected(plan, window) {
        Some(e) => println!(
            "expected: {} TPM over the {} steady-state window, band {}-{} TPM ({} confidence, tolerance {})",
            round_sig(e.tpm, 6),
            human_duration(window),
            round_sig(e.tpm_low, 6),
            round_sig(e.tpm_high, 6),
            e.confidence,
            e.tolerance
        ),
        None => println!("expected: no throughput band (the plan does not set every group's rate)"),
    }
}

fn tpi_warning(plan: &PlanFile) {
    let tpi = plan.target.transactions_per_iteration() as usize;
    for g in &plan.groups {
        if g.steps.len() != tpi {
            eprintln!(
                "warning: group '{}' has {} step(s) per iteration but [target] transactions_per_iteration is {tpi}",
                g.name,
                g.steps.len()
            );
        }
    }
}

fn timestamp_dir(root: &Path) -> std::io::Result<PathBuf> {
    let stamp = humantime::format_rfc3339_seconds(std::time::SystemTime::now())
        .to_string()
        .replace([':', '-'], "")
        .replace('T', "-")
        .trim_end_matches('Z')
        .to_string();
    std::fs::create_dir_all(root)?;
    for i in 0.. {
        let name = if i == 0 {
            stamp.clone()
        } else {
            format!("{stamp}-{i}")
        };
        let dir = root.join(name);
        match std::fs::create_dir(&dir) {
            Ok(()) => return Ok(dir),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e),
        }
    }
    unreachable!("some suffix is free")
}

pub fn run(a: RunArgs) -> i32 {
    let (plan, text, file) = match load_plan(&a.plan) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("{e}");
            return exit::BAD_INPUT;
        }
    };
    tpi_warning(&plan);
    if a.check {
        print_check(&plan);
        return exit::OK;
    }
    let root = a
        .results_dir
        .clone()
        .unwrap_or_else(|| PathBuf::from(&plan.run.results_dir));
    let dir = match timestamp_dir(&root) {
        Ok(d) => d,
        Err(e) => {
            eprintln!("error: results_dir {}: {e}", root.display());
            return exit::BAD_INPUT;
        }
    };
    if let Err(e) = std::fs::write(dir.join("plan.toml"), &text) {
        eprintln!("error: {}: {e}", dir.display());
        return exit::BAD_INPUT;
    }
    let seed = a.seed.or(plan.run.seed).unwrap_or_else(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(42)
    });
    if !a.quiet {
        eprintln!(
            "pace: running {} (seed {seed}); results in {}",
            file.display(),
            dir.display()
        );
    }
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return exit::INTERRUPTED;
        }
    };
    let cfg = RunConfig {
        samples_path: dir.join("samples.csv"),
        seed,
        quiet: a.quiet,
        vars: Vec::new(),
    };
    let exec = match rt.block_on(runner::execute(&plan, cfg)) {
        Ok(x) => x,
        Err(runner::RunError::Plan { key, message }) => {
            eprintln!("error: {}: {key}: {message}", file.display());
            return exit::BAD_INPUT;
        }
        Err(e) => {
            eprintln!("error: the run failed: {e}");
            return exit::INTERRUPTED;
        }
    };
    let mut agg = exec.aggregate;
    let partial = exec.interrupted.is_some();
    if partial {
        // The window ends where the run stopped: re-fold the raw samples.
        let end = exec.run_time.min(plan.run.duration.0);
        match reaggregate(
            &dir.join("samples.csv"),
            plan.run.ts_interval.0,
            (plan.run.ramp_up(), end.max(plan.run.ramp_up())),
        ) {
            Ok(a) => agg = a,
            Err(e) => eprintln!("warning: could not re-read the samples: {e}"),
        }
    }
    let meta = RunMeta {
        plan_file: file.display().to_string(),
        seed,
        started_at: humantime::format_rfc3339_seconds(exec.started).to_string(),
        finished_at: humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string(),
        started_epoch_ms: exec
            .started
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis() as u64)
            .unwrap_or(0),
        run_time_s: exec.run_time,
        duration_s: plan.run.duration.0,
        ramp_up_s: plan.run.ramp_up(),
        ts_interval_s: plan.run.ts_interval.0,
        late_policy: plan
            .groups
            .iter()
            .map(|g| format!("{}: {:?}", g.name, g.pacing.late))
            .collect(),
        partial,
        partial_reason: exec.interrupted.clone(),
        vars: exec.vars.iter().cloned().collect(),
    };
    let code = finish(&plan, &agg, meta, &dir);
    if partial {
        eprintln!("pace: interrupted: partial results in {}", dir.display());
        return exit::INTERRUPTED;
    }
    code
}

/// The summary of an aggregate judged against `plan` over its window: the
/// one path for a fresh run and for `pace verify`.
fn judged(plan: &PlanFile, agg: &Aggregate, meta: RunMeta) -> Summary {
    let window = agg.window.1 - agg.window.0;
    let exp = if window > 0.0 {
        expected(plan, window)
    } else {
        None
    };
    let verdict = judge(plan, agg, exp.as_ref());
    Summary::build(meta, agg, exp, verdict)
}

/// Judges, writes summary.json, prints the verdict; returns the exit code.
fn finish(plan: &PlanFile, agg: &Aggregate, meta: RunMeta, dir: &Path) -> i32 {
    let summary = judged(plan, agg, meta);
    let json = serde_json::to_string_pretty(&summary).expect("plain data serializes");
    if let Err(e) = std::fs::write(dir.join("summary.json"), json) {
        eprintln!("error: {}: cannot write summary.json: {e}", dir.display());
        return exit::INTERRUPTED;
    }
    print_verdict(&summary);
    if summary.verdict.pass {
        exit::OK
    } else {
        exit::FAILED
    }
}

fn print_verdict(s: &Summary) {
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

fn reaggregate(samples: &Path, ts: f64, window: (f64, f64)) -> Result<Aggregate, String> {
    let f = std::fs::File::open(samples).map_err(|e| format!("{}: {e}", samples.display()))?;
    let mut agg = Aggregate::new(ts, window);
    for row in read_samples(std::io::BufReader::new(f)) {
        agg.add(&row.map_err(|e| format!("{}: {e}", samples.display()))?);
    }
    Ok(agg)
}

pub fn verify(a: VerifyArgs) -> i32 {
    let plan_path = a
        .plan
        .clone()
        .unwrap_or_else(|| a.results.join("plan.toml"));
    let (plan, _, _) = match load_plan(&plan_path) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("{e}");
            return exit::BAD_INPUT;
        }
    };
    let old: Summary = match std::fs::read_to_string(a.results.join("summary.json"))
        .map_err(|e| e.to_string())
        .and_then(|t| serde_json::from_str(&t).map_err(|e| e.to_string()))
    {
        Ok(s) => s,
        Err(e) => {
            eprintln!(
                "error: {}: no readable summary.json: {e}",
                a.results.display()
            );
            return exit::BAD_INPUT;
        }
    };
    let end = old.meta.run_time_s.min(plan.run.duration.0);
    let window = (plan.run.ramp_up(), end.max(plan.run.ramp_up()));
    let agg = match reaggregate(
        &a.results.join("samples.csv"),
        plan.run.ts_interval.0,
        window,
    ) {
        Ok(a) => a,
        Err(e) => {
            eprintln!("error: {e}");
            return exit::BAD_INPUT;
        }
    };
    let s = judged(&plan, &agg, old.meta.clone());
    print_verdict(&s);
    if old.partial {
        eprintln!(
            "note: these results are partial: {}",
            old.meta.partial_reason.unwrap_or_default()
        );
    }
    if s.verdict.pass {
        exit::OK
    } else {
        exit::FAILED
    }
}
