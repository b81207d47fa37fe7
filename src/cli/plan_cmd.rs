//! `pace plan`: flags in, table or JSON out, optionally a plan file.

use super::exit;
use crate::output::{plan_json::plan_json, plan_table::plan_table};
use crate::plan::solve::MeasuredBaseline;
use crate::plan::write::{RateUnit, render};
use crate::plan::{DistKind, PlanInput, file::PlanFile, solve};
use crate::results::baseline::Baseline;
use crate::units::{self, RampUp};
use clap::Args;
use std::path::PathBuf;

const PLAN_EXAMPLES: &str = "\
Examples (the seed's worked numbers):
  pace plan --tps 50 --rt 0.5 --users 100
      pacing 2 s, think 1.5 s, 1800 iterations per user per hour, 180000 in all, at least 25 users
  pace plan --tps 50 --rt 0.5 --think 1.5
      100 users
  pace plan --duration 1h --rt 0.5 --think 1.5 --iterations 1800 [--users 100]
      the iteration formula: residual R = D - (T + B) I = 0 s, so pacing 2 s; 50 TPS with 100 users
  pace plan --tpm 12 --tpm-min 4 --tpm-max 20 --users 24 --rt 2 --ramp-up 1/5s
      random pacing 72-168 s (mean 120 s), not the naive 72-360 s that averages only 6.67 TPM
  pace plan --tpm 12 --tpm-min 4 --tpm-max 20 --users 24 --rt 2 --pacing-dist beta -o plan.toml
      Beta(1, 5) over the whole 72-360 s with mean 120 s, written as a plan file

  pace plan --from results/baseline/20261130-181919Z --tps 50 --users 100
      the same Little's law, with the iteration time B that `pace baseline` measured

Durations: 0.5 (seconds), 500ms, 2s, 5m, 1h, 1h30m. Ramp-up: a total (5m) or a rate (1/5s = one user every 5 s).";

#[derive(Debug, Args)]
#[command(after_help = PLAN_EXAMPLES, allow_negative_numbers = true)]
#[command(group(clap::ArgGroup::new("rate").args(["tps", "tpm", "tph"]).multiple(false)))]
pub struct PlanArgs {
    /// Target transactions per second.
    #[arg(long, value_parser = positive, help_heading = "Target (one of)")]
    tps: Option<f64>,
    /// Target transactions per minute.
    #[arg(long, value_parser = positive, help_heading = "Target (one of)")]
    tpm: Option<f64>,
    /// Target transactions per hour.
    #[arg(long, value_parser = positive, help_heading = "Target (one of)")]
    tph: Option<f64>,
    /// Target iterations per user over --duration (the seed's iteration formula).
    #[arg(long, value_parser = positive, help_heading = "Target (one of)")]
    iterations: Option<f64>,

    /// Average response time of one transaction: 0.5, 500ms, 2s.
    #[arg(long, value_parser = positive_duration, required_unless_present = "from")]
    rt: Option<f64>,
    /// Plan with the iteration time B measured by `pace baseline` (its
    /// folder) instead of --rt: the mean of the baseline's only group, or of
    /// --group. Transactions per iteration default to those it saw. Warns
    /// when B's 95 % interval is wider than ±10 % of its mean.
    #[arg(long, value_name = "BASELINE_DIR", conflicts_with = "rt")]
    from: Option<PathBuf>,
    /// With --from: the baseline group to take B from (needed when it has several).
    #[arg(long, requires = "from", value_name = "NAME")]
    group: Option<String>,
    /// Virtual users.
    #[arg(long, value_parser = count)]
    users: Option<u64>,
    /// Think time: end of an iteration to the next start, at the assumed --rt.
    #[arg(long, value_parser = duration)]
    think: Option<f64>,
    /// Pacing: start-to-start interval of one user's iterations.
    #[arg(long, value_parser = positive_duration)]
    pacing: Option<f64>,
    /// Transactions per iteration [default: 1, or with --from the rounded
    /// mean the baseline saw].
    #[arg(long, value_parser = count_u32)]
    tx_per_iter: Option<u32>,
    /// Test duration.
    #[arg(long, default_value = "1h", value_parser = positive_duration)]
    duration: f64,
    /// Ramp-up: a total (5m) or a rate (1/5s = one user every 5 s).
    #[arg(long, default_value = "0s", value_parser = ramp_up)]
    ramp_up: RampUp,

    /// Slowest instantaneous rate of a random pacing range (TPM).
    #[arg(long, value_parser = positive, help_heading = "Random pacing")]
    tpm_min: Option<f64>,
    /// Peak instantaneous rate of a random pacing range (TPM).
    #[arg(long, value_parser = positive, help_heading = "Random pacing")]
    tpm_max: Option<f64>,
    /// Shortest pacing interval (instead of --tpm-max).
    #[arg(long, value_parser = positive_duration, help_heading = "Random pacing")]
    pacing_min: Option<f64>,
    /// Longest pacing interval (instead of --tpm-min).
    #[arg(long, value_parser = positive_duration, help_heading = "Random pacing")]
    pacing_max: Option<f64>,
    /// Distribution of the pacing interval [default: uniform with a range, else fixed].
    #[arg(long, value_enum, help_heading = "Random pacing")]
    pacing_dist: Option<DistKind>,
    /// Beta shape alpha (beta follows from the mean) [default: one shape = 1].
    #[arg(long, value_parser = positive, help_heading = "Random pacing")]
    alpha: Option<f64>,

    /// Confidence of the acceptance band.
    #[arg(long, default_value = "0.99", value_parser = probability)]
    confidence: f64,
    /// Print one JSON object instead of the table.
    #[arg(long)]
    json: bool,
    /// Write a plan file for `pace run`.
    #[arg(short = 'o', long = "output", value_name = "PLAN.toml")]
    output: Option<PathBuf>,
    /// Overwrite the -o file if it exists.
    #[arg(long)]
    force: bool,
}

fn positive(s: &str) -> Result<f64, String> {
    units::parse_positive(s)
}
fn positive_duration(s: &str) -> Result<f64, String> {
    units::parse_positive_duration(s)
}
fn duration(s: &str) -> Result<f64, String> {
    units::parse_duration(s)
}
fn count(s: &str) -> Result<u64, String> {
    units::parse_count(s)
}
fn count_u32(s: &str) -> Result<u32, String> {
    let v = units::parse_count(s)?;
    u32::try_from(v).map_err(|_| format!("{} is too large", crate::visible::quoted(s)))
}
fn ramp_up(s: &str) -> Result<RampUp, String> {
    RampUp::parse(s)
}
fn probability(s: &str) -> Result<f64, String> {
    units::parse_probability(s)
}

/// B from a baseline folder: `(rt, transactions per iteration, source)`,
/// with rt = B / transactions so that the planner's B = tx x rt is the
/// measured mean. Errors are one line naming --from or --group.
fn measured_baseline(
    dir: &std::path::Path,
    group: Option<&str>,
    tx_per_iter: Option<u32>,
) -> Result<(f64, u32, Option<MeasuredBaseline>), String> {
    let b = Baseline::load(dir).map_err(|e| format!("--from {e}"))?;
    let names = || {
        b.groups
            .iter()
            .map(|g| format!("'{}'", g.name))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let g = match group {
        Some(name) => b.group(name).ok_or_else(|| {
            format!(
                "--group {name}: no such group in {} (it has {})",
                dir.display(),
                names()
            )
        })?,
        None => match b.groups.as_slice() {
            [g] => g,
            [] => {
                return Err(format!(
                    "--from {}: the baseline has no group",
                    dir.display()
                ));
            }
            _ => {
                return Err(format!(
                    "--from {}: the baseline has several groups ({}); choose one with --group",
                    dir.display(),
                    names()
                ));
            }
        },
    };
    let m = g.iteration_time.ok_or_else(|| {
        format!(
            "--from {}: group '{}' has no B (fewer than 2 successful iterations)",
            dir.display(),
            g.name
        )
    })?;
    if g.has_errors() {
        errln!(
            "warning: --from {}: group '{}' had {} failed iteration(s) in its baseline; B leaves them out",
            dir.display(),
            g.name,
            g.failed_iterations
        );
    }
    let tx = tx_per_iter.unwrap_or_else(|| (g.transactions_per_iteration.round() as u32).max(1));
    let source = MeasuredBaseline {
        source: dir.display().to_string(),
        group: g.name.clone(),
        b: m,
    };
    // Whole microseconds: the plan file shows rt as written, and a
    // microsecond is far inside any interval a baseline measures.
    let rt = crate::units::round_to_micros(m.mean / tx as f64);
    Ok((rt, tx, Some(source)))
}

pub fn run(a: PlanArgs, argv: &[String]) -> i32 {
    let (rate, unit) = match (a.tps, a.tpm, a.tph) {
        (Some(v), _, _) => (Some((v, "--tps")), RateUnit::Tps),
        (_, Some(v), _) => (Some((v / 60.0, "--tpm")), RateUnit::Tpm),
        (_, _, Some(v)) => (Some((v / 3600.0, "--tph")), RateUnit::Tph),
        _ => (None, RateUnit::Tps),
    };
    let (rt, tx_per_iter, measured) = match &a.from {
        None => (a.rt.unwrap_or_default(), a.tx_per_iter.unwrap_or(1), None),
        Some(dir) => match measured_baseline(dir, a.group.as_deref(), a.tx_per_iter) {
            Ok(x) => x,
            Err(e) => {
                errln!("error: {e}");
                return exit::BAD_INPUT;
            }
        },
    };
    let input = PlanInput {
        rate,
        rt,
        users: a.users,
        think: a.think,
        pacing: a.pacing,
        tx_per_iter,
        duration: a.duration,
        ramp_up: a.ramp_up,
        iterations: a.iterations,
        tpm_min: a.tpm_min,
        tpm_max: a.tpm_max,
        pacing_min: a.pacing_min,
        pacing_max: a.pacing_max,
        dist: a.pacing_dist,
        alpha: a.alpha,
        confidence: a.confidence,
        measured,
    };
    let sol = match solve(&input) {
        Ok(s) => s,
        Err(e) => {
            errln!("error: {e}");
            return exit::BAD_INPUT;
        }
    };
    // The plan these numbers make must be one `pace run` takes (at most a
    // million users a generator, durations it can hold...): said before
    // any table, whether or not it is written.
    let command = std::iter::once("pace".to_string())
        .chain(argv.iter().skip(1).cloned())
        .collect::<Vec<_>>()
        .join(" ");
    let text = render(&sol, unit, &command);
    let plan = match PlanFile::parse(&text, "plan.toml") {
        Ok(p) => p,
        Err(e) => {
            errln!(
                "error: these numbers make a plan pace run would refuse: {}: {}",
                e.key,
                crate::visible::one_line(&e.message)
            );
            return exit::BAD_INPUT;
        }
    };
    // Refused before anything is printed: a table followed by an error
    // would read as a plan that was written.
    if let Some(path) = &a.output
        && path.exists()
        && !a.force
    {
        errln!(
            "error: -o {}: exists; --force to overwrite it (nothing was printed or written)",
            path.display()
        );
        return exit::BAD_INPUT;
    }
    if a.json {
        outln!(
            "{}",
            serde_json::to_string_pretty(&plan_json(&sol)).expect("JSON of plain numbers")
        );
    } else {
        let width = crate::output::stdout_width();
        out!("{}", plan_table(&sol, width));
    }
    if let Some(path) = a.output {
        // The plan we write loaded above; it must also fit its pacing
        // (pace run would refuse it otherwise): a failure here is a bug,
        // said plainly.
        if let Some(f) = plan.fit().first() {
            errln!(
                "error: internal: the written plan does not fit its pacing: {}: {}",
                f.key(),
                f.message
            );
            return exit::BAD_INPUT;
        }
        let existed = path.exists();
        if let Err(e) = std::fs::write(&path, text) {
            let e = crate::input::plain(&e);
            errln!("error: -o {}: cannot write: {e}", path.display());
            return exit::BAD_INPUT;
        }
        if existed {
            errln!("overwrote {} (--force)", path.display());
        } else {
            errln!("wrote {}", path.display());
        }
    }
    exit::OK
}
