//! `pace import PATH`: a Pyak47 project's config.cfg in, a plan file out,
//! with a table of what each option became.

use super::exit;
use crate::pyak47::convert::{Options, Rate, RateUnit, Row};
use crate::pyak47::{self, SCRIPTS_DIR};
use crate::units;
use clap::Args;
use comfy_table::{ContentArrangement, Table, presets::UTF8_FULL_CONDENSED};
use std::path::{Path, PathBuf};

const IMPORT_EXAMPLES: &str = "\
Examples:
  pace import my_project
      writes my_project/plan.toml: the same users, run time and ramp-up, run() back to back
  pace import my_project --tpm 1200 --rt 2s
      the same, paced: the 1200 TPM are split over the groups in proportion to users
  pace import my_project/config.cfg -o plans/my_project.toml --force";

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
}

fn positive(s: &str) -> Result<f64, String> {
    units::parse_positive(s)
}
fn positive_duration(s: &str) -> Result<f64, String> {
    units::parse_positive_duration(s)
}

fn table(rows: &[Row]) -> Table {
    use std::io::IsTerminal;
    let mut t = Table::new();
    t.load_style(UTF8_FULL_CONDENSED)
        .set_header(vec!["option", "value", "plan key", "note"]);
    if std::io::stdout().is_terminal() {
        t.set_content_arrangement(ContentArrangement::Dynamic);
    }
    for r in rows {
        t.add_row(vec![
            r.option.clone(),
            r.value.clone(),
            r.key.clone(),
            r.note.clone(),
        ]);
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

pub fn run(a: ImportArgs) -> i32 {
    match import(a) {
        Ok(()) => exit::OK,
        Err(e) => {
            eprintln!("{e}");
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
    let opts = Options {
        rate,
        rt: a.rt,
        scripts_dir: scripts_dir(&output, &project)?,
        command,
    };
    let mut conv = pyak47::convert_file(&cfg, &opts)?;
    if output.exists() && !a.force {
        return Err(format!(
            "error: {}: the file exists; pass --force to overwrite it",
            output.display()
        ));
    }
    let missing = pyak47::check_scripts(&mut conv, &project, &cfg);
    std::fs::write(&output, &conv.text)
        .map_err(|e| format!("error: {}: cannot write: {e}", output.display()))?;
    println!("{}", table(&conv.rows));
    for w in &conv.warnings {
        eprintln!("warning: {w}");
    }
    for w in &missing {
        eprintln!("{w}");
    }
    println!("wrote {}", output.display());
    let target = if a.output.is_some() {
        output.display().to_string()
    } else {
        project.display().to_string()
    };
    println!("next: pace run --check {target}   (then: pace run {target})");
    Ok(())
}
