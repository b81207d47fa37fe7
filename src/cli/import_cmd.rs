//! `pace import PATH`: a Pyak47 project's config.cfg in, a plan file out,
//! with a table of what each option became.

use super::exit;
use crate::capacity::interval::{MAX_RELATIVE_HALF_WIDTH, MeanInterval};
use crate::plan::solve::MeasuredBaseline;
use crate::pyak47::convert::{Options, Rate, RateUnit, Row};
use crate::pyak47::{self, SCRIPTS_DIR};
use crate::results::baseline::Baseline;
use crate::units;
use clap::Args;
use comfy_table::Table;
use std::path::{Path, PathBuf};

const IMPORT_EXAMPLES: &str = "\
Examples:
  pace import my_project
      writes my_project/plan.toml: the same users, run time and ramp-up, run() back to back
  pace import my_project --tpm 1200 --rt 2s
      the same, paced: the 1200 TPM are split over the groups in proportion to users
  pace import my_project/config.cfg -o plans/my_project.toml --force
  pace import my_project --tpm 1200 --from my_project/results/baseline/20261130-181919Z
      the same, checked against each group's run() time measured by `pace baseline`";

#[derive(Debug, Args)]
#[command(after_help = IMPORT_EXAMPLES)]
#[command(group(clap::ArgGroup::new("rate").args(["tps", "tpm", "tph"]).multiple(false)))]
pub struct ImportArgs {
    /// A Pyak47 project folder (holding config.cfg), or the config.cfg itself.
    path: PathBuf,
    /// Write the plan here [default: <project>/plan.toml].
    #[arg(short = 'o', long = "output", value_name = "PLAN.toml")]
    output: Option<PathBuf>,
    /// Overwrite the plan file if it exists.
    #[arg(long)]
    force: bool,
    /// Fixed pacing on top: this many transactions per second in all.
    #[arg(long, value_parser = positive, help_heading = "Pacing on top (one of)")]
    tps: Option<f64>,
    /// Fixed pacing on top: this many transactions per minute in all.
    #[arg(long, value_parser = positive, help_heading = "Pacing on top (one of)")]
    tpm: Option<f64>,
    /// Fixed pacing on top: this many transactions per hour in all.
    #[arg(long, value_parser = positive, help_heading = "Pacing on top (one of)")]
    tph: Option<f64>,
    /// The expected time of one run(): a rate the users cannot reach at it is refused.
    #[arg(long, value_parser = positive_duration, requires = "rate", help_heading = "Pacing on top (one of)")]
    rt: Option<f64>,
    /// Instead of --rt: the time of one run() measured by `pace baseline`
    /// (its folder). Every group of the project must be in the baseline
    /// under its own name; as one pacing interval serves every group, the
    /// largest (slowest) of their B is used. Warns when that B's 95 %
    /// interval is wider than ±10 % of its mean.
    #[arg(
        long,
        value_name = "BASELINE_DIR",
        conflicts_with = "rt",
        requires = "rate",
        help_heading = "Pacing on top (one of)"
    )]
    from: Option<PathBuf>,
}

fn positive(s: &str) -> Result<f64, String> {
    units::parse_positive(s)
}
fn positive_duration(s: &str) -> Result<f64, String> {
    units::parse_positive_duration(s)
}

/// The options table, in the planner's style: wrapped to the terminal (120
/// columns when piped, as `pace plan`'s), every cell one visible line (a
/// config.cfg value is the user's text).
fn table(rows: &[Row]) -> Table {
    let mut t = crate::output::table(
        crate::output::stdout_width(),
        vec!["option", "value", "plan key", "note"],
    );
    for r in rows {
        t.add_row(crate::visible::row([&r.option, &r.value, &r.key, &r.note]));
    }
    t
}

/// How the plan's folder sees the project's test_scripts/: `test_scripts`
/// when the plan sits in the project, else a relative path to it.
fn scripts_dir(plan: &Path, project: &Path) -> Result<String, String> {
    let plan_dir = match plan.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let canon = |p: &Path| {
        p.canonicalize()
            .map_err(|e| format!("error: {}: {e}", p.display()))
    };
    let (from, to) = (canon(&plan_dir)?, canon(project)?);
    if from == to {
        return Ok(SCRIPTS_DIR.into());
    }
    Ok(pyak47::relative(&from, &to.join(SCRIPTS_DIR)))
}

/// The names of the groups the project converts to (its user groups).
fn group_names(cfg: &Path, scripts_dir: &str) -> Result<Vec<String>, String> {
    let opts = Options {
        scripts_dir: scripts_dir.to_string(),
        ..Options::default()
    };
    let conv = pyak47::convert_file(cfg, &opts)?;
    let plan = crate::plan::file::PlanFile::parse(&conv.text, &cfg.display().to_string())
        .map_err(|e| format!("error: {e}"))?;
    Ok(plan.groups.into_iter().map(|g| g.name).collect())
}

/// The slowest of the project's groups' measured B, and where it came
/// from in words. Each group must be in the baseline under its own name.
fn measured_rt(dir: &Path, names: &[String]) -> Result<(f64, String), String> {
    let b = Baseline::load(dir).map_err(|e| format!("error: --from {e}"))?;
    let mut slowest: Option<(&str, MeanInterval)> = None;
    for name in names {
        let g = b.group(name).ok_or_else(|| {
            format!(
                "error: --from {}: no group '{name}' in the baseline (it has {}); measure the plan this project imports to",
                dir.display(),
                b.groups
                    .iter()
                    .map(|g| format!("'{}'", g.name))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        })?;
        let m = g.iteration_time.ok_or_else(|| {
            format!(
                "error: --from {}: group '{name}' has no B (fewer than 2 successful iterations)",
                dir.display()
            )
        })?;
        if g.has_errors() {
            errln!(
                "warning: --from {}: group '{name}' had {} failed iteration(s) in its baseline; B leaves them out",
                dir.display(),
                g.failed_iterations
            );
        }
        if slowest.is_none_or(|(_, s)| m.mean > s.mean) {
            slowest = Some((name, m));
        }
    }
    let (name, m) = slowest.ok_or_else(|| "error: the project has no user group".to_string())?;
    if !m.narrow_enough() {
        let more = m.samples_for(MAX_RELATIVE_HALF_WIDTH);
        errln!(
            "warning: --from {}: group '{name}': the measured B is too uncertain to plan from: its 95% interval is ±{}% of the mean, wider than ±{}%; measure again with more iterations (about {more}: pace baseline --iterations {more})",
            dir.display(),
            units::round_sig(100.0 * m.relative_half_width(), 2),
            units::round_sig(100.0 * MAX_RELATIVE_HALF_WIDTH, 2)
        );
    }
    let words = MeasuredBaseline {
        source: dir.display().to_string(),
        group: name.to_string(),
        b: m,
    }
    .describe();
    let rt = units::round_to_micros(m.mean);
    Ok((rt, words))
}

pub fn run(a: ImportArgs) -> i32 {
    match import(a) {
        Ok(()) => exit::OK,
        Err(e) => {
            errln!("{e}");
            exit::BAD_INPUT
        }
    }
}

fn import(a: ImportArgs) -> Result<(), String> {
    if !a.path.exists() {
        return Err(format!(
            "error: {}: no such file or folder (give a Pyak47 project folder or its config.cfg)",
            a.path.display()
        ));
    }
    let (project, cfg) = pyak47::locate(&a.path);
    if cfg.exists() && !cfg.is_file() {
        // A folder, a FIFO or a device: say which, and never open it.
        let why = crate::input::open_regular(&cfg)
            .err()
            .map_or_else(|| "not a regular file".to_string(), |e| e.to_string());
        return Err(format!("error: {}: {why}", cfg.display()));
    }
    if !cfg.is_file() {
        return Err(format!(
            "error: {}: no {} here: not a Pyak47 project (`pace new` makes a pace project)",
            a.path.display(),
            pyak47::CONFIG_FILE
        ));
    }
    let output = a
        .output
        .clone()
        .unwrap_or_else(|| project.join("plan.toml"));
    let rate = match (a.tps, a.tpm, a.tph) {
        (Some(v), _, _) => Some(Rate {
            value: v,
            unit: RateUnit::Tps,
        }),
        (_, Some(v), _) => Some(Rate {
            value: v,
            unit: RateUnit::Tpm,
        }),
        (_, _, Some(v)) => Some(Rate {
            value: v,
            unit: RateUnit::Tph,
        }),
        _ => None,
    };
    let mut command = format!("pace import {}", a.path.display());
    if let Some(r) = rate {
        command.push_str(&format!(
            " --{} {}",
            r.unit.key(),
            units::round_sig(r.value, 12)
        ));
    }
    if let Some(rt) = a.rt {
        command.push_str(&format!(" --rt {}", units::format_duration(rt)));
    }
    let (rt, measured) = match &a.from {
        None => (a.rt, None),
        Some(dir) => {
            command.push_str(&format!(" --from {}", dir.display()));
            let scripts_dir = scripts_dir(&output, &project)?;
            let names = group_names(&cfg, &scripts_dir)?;
            let (rt, m) = measured_rt(dir, &names)?;
            (Some(rt), Some(m))
        }
    };
    let opts = Options {
        rate,
        rt,
        measured,
        scripts_dir: scripts_dir(&output, &project)?,
        command,
    };
    let mut conv = pyak47::convert_file(&cfg, &opts)?;
    let existed = output.exists();
    if existed && !a.force {
        return Err(format!(
            "error: {}: exists; --force to overwrite it (nothing was written)",
            output.display()
        ));
    }
    let missing = pyak47::check_scripts(&mut conv, &project, &cfg);
    std::fs::write(&output, &conv.text).map_err(|e| {
        let e = crate::input::plain(&e);
        format!("error: {}: cannot write: {e}", output.display())
    })?;
    outln!("{}", table(&conv.rows));
    for w in &conv.warnings {
        errln!("warning: {w}");
    }
    for w in &missing {
        errln!("{w}");
    }
    if existed {
        outln!("overwrote {} (--force)", output.display());
    } else {
        outln!("wrote {}", output.display());
    }
    let target = if a.output.is_some() {
        output.display().to_string()
    } else {
        project.display().to_string()
    };
    outln!("next: pace run --check {target}   (then: pace run {target})");
    Ok(())
}
