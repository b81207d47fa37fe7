//! `pace baseline PLAN`: each group with one user, back to back, to
//! measure the iteration time B that `pace plan --rt` would otherwise
//! guess. Runs go through the same runner as `pace run`; this file only
//! reshapes the plan per group and summarises the samples.

use super::exit;
use super::finish::load_plan;
use crate::capacity::interval::{CONFIDENCE, MAX_RELATIVE_HALF_WIDTH, MeanInterval};
use crate::plan::file::{Late, PacingMode, PlanFile, Secs};
use crate::results::baseline::{BASELINE_FILE, Baseline, FORMAT, GroupBaseline};
use crate::results::claim::{Claim, ClaimError, Fresh, claim};
use crate::results::sample::open_samples;
use crate::runner::{self, RunConfig};
use crate::units::{self, human_duration, round_sig};
use clap::Args;
use comfy_table::{Table, presets::UTF8_FULL_CONDENSED};
use std::path::{Path, PathBuf};

const BASELINE_HELP: &str = "\
What runs: each group of the plan in turn, with ONE user and no pacing wait
(the next iteration starts as soon as the previous one ends; the plan's
pacing, users, ramp-up and target rate are ignored). Think times of the
plan's steps are KEPT: they are part of an iteration, so part of B. The
first --warmup iterations of each group (which open the connection) are run
but left out.

What it reports, per group: the iteration time B (mean, standard deviation,
n and a two-sided 95 % Student t interval, n-1 degrees of freedom), each
step's response time with its interval, the transactions per iteration seen,
and errors. Failed iterations are left out of B, and any error makes the
exit code 1: a baseline with errors measured the errors, not the system.
An interval wider than +-10 % of its mean is flagged: `pace plan --from`
warns before planning from it.

Written to the folder: baseline.json (all of the above), plan.toml (the plan
as given) and samples-<i>.csv (group i's raw rows, as `pace run` writes
them).

Examples:
  pace baseline plan.toml
      30 measured iterations per group, results in <results_dir>/baseline/<time>/
  pace baseline plan.toml --duration 2m -o base
      each group for 2 minutes, into ./base
  pace plan --from base --tps 50 --users 100
      plan with the measured B instead of --rt";

#[derive(Debug, Args)]
#[command(after_help = BASELINE_HELP)]
#[command(group(clap::ArgGroup::new("length").args(["iterations", "duration"]).multiple(false)))]
pub struct BaselineArgs {
    /// The plan file (or a directory holding plan.toml).
    plan: PathBuf,
    /// Measured iterations per group (after the warm-up) [default: 30].
    #[arg(long, value_parser = count)]
    iterations: Option<u64>,
    /// Run each group for this long instead: 30s, 2m.
    #[arg(long, value_parser = positive_duration)]
    duration: Option<f64>,
    /// Iterations run first and left out of every figure.
    #[arg(long, default_value_t = 1, value_parser = whole)]
    warmup: u64,
    /// The results folder [default: <plan's results_dir>/baseline/<UTC time>].
    #[arg(short = 'o', long = "output", value_name = "DIR")]
    output: Option<PathBuf>,
    /// Seed for the runner's random draws.
    #[arg(long)]
    seed: Option<u64>,
    /// Print only the table.
    #[arg(long, short)]
    quiet: bool,
    /// A variable for ${NAME}, ahead of the environment; repeatable (as
    /// `pace run --var`).
    #[arg(long = "var", value_name = "NAME=VALUE")]
    var: Vec<String>,
}

/// Default measured iterations: enough for the t interval to settle
/// (t(0.975, 29) = 2.05, near the normal's 1.96).
const DEFAULT_ITERATIONS: u64 = 30;

/// Upper bound on one group's run when counting iterations: a target that
/// hangs cannot keep a baseline going for ever.
const ITERATIONS_TIME_LIMIT: f64 = 3600.0;

fn count(s: &str) -> Result<u64, String> {
    let v = units::parse_count(s)?;
    if v < 2 {
        return Err("at least 2 iterations are needed for an interval".into());
    }
    Ok(v)
}
fn whole(s: &str) -> Result<u64, String> {
    s.trim()
        .parse()
        .map_err(|_| format!("{} is not a whole number >= 0", crate::visible::quoted(s)))
}
fn positive_duration(s: &str) -> Result<f64, String> {
    units::parse_positive_duration(s)
}

/// The plan one group's baseline runs: that group alone, one user, back to
/// back, from t = 0, no rate to judge.
fn one_user_plan(plan: &PlanFile, gi: usize, duration: f64) -> PlanFile {
    let mut p = plan.clone();
    let mut g = plan.groups[gi].clone();
    g.users = 1;
    g.pacing.mode = PacingMode::None;
    g.pacing.interval = None;
    g.pacing.min = None;
    g.pacing.max = None;
    g.pacing.alpha = None;
    g.pacing.beta = None;
    g.pacing.delay = None;
    g.pacing.rate = None;
    g.pacing.late = Late::Drift;
    p.groups = vec![g];
    p.target.tps = None;
    p.target.tpm = None;
    p.target.tph = None;
    p.run.ramp_up = Some(Secs(0.0));
    p.run.duration = Secs(duration);
    p.run.post_run = None;
    p
}

pub fn run(a: BaselineArgs) -> i32 {
    let (plan, text, file) = match load_plan(&a.plan) {
        Ok(p) => p,
        Err(e) => {
            errln!("{e}");
            return exit::BAD_INPUT;
        }
    };
    let plan_dir = match file.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    // The same --var as `pace run`: checked and noted the same way.
    let vars_only = super::run_cmd::run_overrides::OverrideArgs {
        var: a.var.clone(),
        ..Default::default()
    };
    let overrides = match super::run_cmd::run_overrides::overrides(&vars_only, &plan, false) {
        Ok(o) => o,
        Err(e) => {
            errln!("error: {e}");
            return exit::BAD_INPUT;
        }
    };
    let env = |k: &str| std::env::var(k).ok();
    for line in super::run_cmd::run_overrides::unused_vars(&overrides, &plan, &text) {
        errln!("{line}");
    }
    // Said once the plan is accepted: an error stays the one line.
    let defaults =
        super::run_cmd::run_overrides::defaults_used(&overrides, &plan, &text, &file, &env);
    let user_vars: Vec<(String, String)> = overrides.var.into_iter().collect();
    let probe = RunConfig {
        shard: None,
        start_at: None,
        remote: false,
        samples_path: PathBuf::new(),
        seed: 0,
        quiet: true,
        vars: Vec::new(),
        user_vars: user_vars.clone(),
        plan_dir: plan_dir.clone(),
        workers_log: None,
        max_iterations: None,
    };
    if let Err(e) = runner::preflight(&plan, &probe) {
        match e {
            runner::RunError::Plan { key, message } => {
                let message = message.split_whitespace().collect::<Vec<_>>().join(" ");
                errln!(
                    "error: {}:{}: {key}: {message}",
                    file.display(),
                    crate::plan::check::line_of_key(&text, &key)
                );
            }
            e => errln!("error: {}: {e}", file.display()),
        }
        return exit::BAD_INPUT;
    }
    for line in &defaults {
        errln!("{line}");
    }
    // The claim is held until the baseline is written (results::claim).
    let (dir, _claim) = match make_dir(&a, &plan, &plan_dir) {
        Ok(d) => d,
        Err(e) => {
            errln!("error: {e}");
            return exit::BAD_INPUT;
        }
    };
    if let Err(e) = std::fs::write(dir.join("plan.toml"), &text) {
        errln!("error: -o {}: {e}", dir.display());
        return exit::BAD_INPUT;
    }
    let seed = a.seed.or(plan.run.seed).unwrap_or(42);
    let (duration, max_iterations) = match a.duration {
        Some(d) => (d, None),
        None => (
            ITERATIONS_TIME_LIMIT,
            Some(a.warmup + a.iterations.unwrap_or(DEFAULT_ITERATIONS)),
        ),
    };
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            errln!("error: cannot start the runtime: {e}");
            return exit::INTERRUPTED;
        }
    };
    let started_at = humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string();
    let mut groups = Vec::new();
    let mut interrupted = None;
    for (gi, g) in plan.groups.iter().enumerate() {
        let one = one_user_plan(&plan, gi, duration);
        let samples = format!("samples-{gi}.csv");
        if !a.quiet {
            let what = match max_iterations {
                Some(m) => format!("{m} iterations ({} warm-up)", a.warmup),
                None => format!(
                    "{} ({} warm-up iterations)",
                    human_duration(duration),
                    a.warmup
                ),
            };
            errln!(
                "pace: baseline of group '{}': one user, back to back, {what}",
                g.name
            );
        }
        let cfg = RunConfig {
            shard: None,
            start_at: None,
            remote: false,
            samples_path: dir.join(&samples),
            seed,
            quiet: true,
            vars: Vec::new(),
            user_vars: user_vars.clone(),
            plan_dir: plan_dir.clone(),
            workers_log: g
                .script
                .is_some()
                .then(|| dir.join(format!("workers-{gi}.log"))),
            max_iterations,
        };
        let exec = match rt.block_on(runner::execute(&one, cfg)) {
            Ok(x) => x,
            Err(e) => {
                errln!("error: group '{}': the run failed: {e}", g.name);
                return exit::INTERRUPTED;
            }
        };
        let rows = match open_samples(&dir.join(&samples)) {
            Ok(f) => f.rows,
            Err(e) => {
                errln!("error: {}: {e}", dir.join(&samples).display());
                return exit::INTERRUPTED;
            }
        };
        let gb = GroupBaseline::from_samples(
            &g.name,
            &samples,
            rows.filter_map(Result::ok),
            a.warmup,
            CONFIDENCE,
        );
        if let (Some(m), None) = (max_iterations, &exec.interrupted)
            && gb.iterations + a.warmup < m
        {
            errln!(
                "warning: group '{}': only {} of {} iterations within the {} limit",
                g.name,
                gb.iterations + a.warmup,
                m,
                human_duration(ITERATIONS_TIME_LIMIT)
            );
        }
        groups.push(gb);
        if exec.interrupted.is_some() {
            interrupted = exec.interrupted;
            break;
        }
    }
    let baseline = Baseline {
        format: FORMAT.into(),
        plan_file: file.display().to_string(),
        started_at,
        confidence: CONFIDENCE,
        warmup: a.warmup,
        groups,
    };
    let json = serde_json::to_string_pretty(&baseline).expect("JSON of plain numbers");
    if let Err(e) = std::fs::write(dir.join(BASELINE_FILE), json + "\n") {
        errln!("error: {}: {e}", dir.join(BASELINE_FILE).display());
        return exit::INTERRUPTED;
    }
    outln!("{}", table(&baseline));
    let code = report(&baseline, &dir, a.quiet);
    // --quiet: the table only (its help says so).
    if !a.quiet {
        outln!("wrote {}", dir.join(BASELINE_FILE).display());
    }
    if let Some(why) = interrupted {
        errln!(
            "pace: incomplete: {why}; partial baseline in {}",
            dir.display()
        );
        return exit::INTERRUPTED;
    }
    code
}

/// The folder, claimed for this process (crate::results::claim): -o as
/// given (made if missing; refused if it holds files or another pace
/// writes it), or a new timestamped one under the plan's
/// results_dir/baseline.
fn make_dir(
    a: &BaselineArgs,
    plan: &PlanFile,
    plan_dir: &Path,
) -> Result<(PathBuf, Claim), String> {
    let (d, fresh) = match &a.output {
        Some(d) => (d.clone(), Fresh::Required),
        None => {
            let root = plan_dir.join(&plan.run.results_dir).join("baseline");
            let d = super::run_cmd::timestamp_dir(&root)
                .map_err(|e| format!("run.results_dir {}: {e}", root.display()))?;
            (d, Fresh::Any)
        }
    };
    let c = claim(&d, fresh).map_err(|e| {
        let why = match e {
            ClaimError::NotEmpty => "the folder is not empty; give a new or empty one".into(),
            e => e.words(),
        };
        let flag = if a.output.is_some() {
            "-o"
        } else {
            "run.results_dir"
        };
        format!("{flag} {}: {why}", d.display())
    })?;
    Ok((d, c))
}

/// A measured time of the baseline's table: [`units::measured_time`], as
/// every measured time pace prints.
fn secs(v: f64) -> String {
    units::measured_time(v)
}

/// `mean`, `sd`, `low-high`, `±%` cells of an interval.
fn cells(m: Option<&MeanInterval>) -> [String; 4] {
    match m {
        Some(m) => [
            secs(m.mean),
            secs(m.sd),
            format!("{} - {}", secs(m.low), secs(m.high)),
            format!("±{}%", round_sig(100.0 * m.relative_half_width(), 2)),
        ],
        None => [
            "-".into(),
            "-".into(),
            "(fewer than 2 samples)".into(),
            "-".into(),
        ],
    }
}

fn table(b: &Baseline) -> Table {
    let mut t = Table::new();
    t.load_style(UTF8_FULL_CONDENSED).set_header(vec![
        "group / step",
        "n",
        "mean",
        "sd",
        &format!("{}% interval", round_sig(100.0 * b.confidence, 3)),
        "±",
        "tx/iter",
        "errors",
    ]);
    for g in &b.groups {
        let [mean, sd, ci, rel] = cells(g.iteration_time.as_ref());
        t.add_row(crate::visible::row([
            format!("{} (B, iteration)", g.name),
            g.iteration_time.map_or(0, |m| m.n).to_string(),
            mean,
            sd,
            ci,
            rel,
            round_sig(g.transactions_per_iteration, 3),
            g.failed_iterations.to_string(),
        ]));
        for s in &g.steps {
            let [mean, sd, ci, rel] = cells(s.response_time.as_ref());
            t.add_row(crate::visible::row([
                format!("  {}", s.name),
                s.response_time.map_or(0, |m| m.n).to_string(),
                mean,
                sd,
                ci,
                rel,
                String::new(),
                s.errors.to_string(),
            ]));
        }
    }
    t
}

/// Errors and wide intervals, said loudly; the exit code.
fn report(b: &Baseline, dir: &Path, quiet: bool) -> i32 {
    let mut code = exit::OK;
    for g in &b.groups {
        if g.has_errors() {
            code = exit::FAILED;
            errln!(
                "ERROR: group '{}': {} failed transaction(s) in {} failed iteration(s) of {}: this is not a baseline (B leaves them out, but a system that fails with one user must be fixed first). First: {}",
                g.name,
                g.errors,
                g.failed_iterations,
                g.iterations,
                g.error_examples.join(" | ")
            );
        }
        match &g.iteration_time {
            None => errln!(
                "warning: group '{}': fewer than 2 successful iterations: no B",
                g.name
            ),
            Some(m) if !m.narrow_enough() => errln!(
                "warning: group '{}': B's interval is ±{}% of its mean, wider than ±{}%: about {} iterations would narrow it (pace baseline --iterations {})",
                g.name,
                round_sig(100.0 * m.relative_half_width(), 2),
                round_sig(100.0 * MAX_RELATIVE_HALF_WIDTH, 2),
                m.samples_for(MAX_RELATIVE_HALF_WIDTH),
                m.samples_for(MAX_RELATIVE_HALF_WIDTH)
            ),
            Some(_) => {}
        }
    }
    if code == exit::OK && !quiet {
        outln!(
            "next: pace plan --from {} --tps RATE --users N",
            dir.display()
        );
    }
    code
}
