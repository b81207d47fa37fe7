//! The command line: clap definitions and dispatch. Each subcommand lives in
//! its own file; this one only parses and routes, and owns the exit codes.

mod console;
#[doc(hidden)]
pub mod finish;
mod history_cmd;
mod hook;
mod import_cmd;
mod new_cmd;
mod plan_cmd;
mod report_cmd;
mod run_cmd;
mod target_cmd;

use clap::{Parser, Subcommand};

/// Exit codes, as documented in README.md.
pub mod exit {
    pub const OK: i32 = 0;
    /// The run failed its acceptance checks.
    pub const FAILED: i32 = 1;
    /// Bad input: a flag, a plan key, a missing file.
    pub const BAD_INPUT: i32 = 2;
    /// Interrupted or aborted: the run did not finish, or its results could
    /// not all be written (a report, the database, a full disk).
    pub const INTERRUPTED: i32 = 3;
    /// The run did real work, but the plan sets no target and no threshold:
    /// nothing was judged (as pytest's 5 for "no tests collected").
    pub const NO_CHECKS: i32 = 4;
}

const ABOUT: &str =
    "Plan load tests that are right by construction, run them, and prove they met the plan.";

const EXAMPLES: &str = "\
Examples:
  pace plan --tps 50 --rt 0.5 --users 100
      100 users at 0.5 s per transaction need a 2 s pacing (1.5 s think) for 50 TPS
  pace plan --tpm 12 --tpm-min 4 --tpm-max 20 --users 24 --rt 2 --pacing-dist beta
      random pacing that really averages 12 TPM (not the naive 72-360 s range)
  pace plan --tps 50 --rt 500ms --think 1.5 -o plan.toml
      write the plan file that `pace run` executes";

#[derive(Debug, Parser)]
#[command(name = "pace", version, about = ABOUT, after_help = EXAMPLES)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Derive users, pacing, think time, random pacing ranges and an
    /// acceptance band from a throughput target (Little's law).
    Plan(plan_cmd::PlanArgs),
    /// Serve HTTP on 127.0.0.1 with a chosen latency distribution, error
    /// rate and payload: a target to aim a plan at when nothing else runs.
    Target(target_cmd::TargetArgs),
    /// Execute a plan with virtual users and judge it: PASS (exit 0), FAIL
    /// with the reason (exit 1), INCOMPLETE (3) or NO CHECKS (4); bad plan 2.
    Run(run_cmd::RunArgs),
    /// Re-judge saved results (against the same or another plan) without
    /// re-running.
    Verify(run_cmd::VerifyArgs),
    /// Rebuild every report of a results folder from its raw samples
    /// (Pyak47's -r), optionally with another time-series interval.
    Report(report_cmd::ReportArgs),
    /// List the runs stored in a results database: when, plan, target vs
    /// achieved TPM, p95, errors, verdict.
    History(history_cmd::HistoryArgs),
    /// Create a project in Pyak47's shape: plan.toml, test_scripts/ with a
    /// mock script that needs no server, and results/.
    New(new_cmd::NewArgs),
    /// Convert a Pyak47 project's config.cfg into a plan file, with a table
    /// of what each option became (optionally paced to a rate).
    Import(import_cmd::ImportArgs),
}

/// Parses the process arguments, runs the command and returns the exit code.
pub fn main() -> i32 {
    let args: Vec<String> = std::env::args().collect();
    let cli = match Cli::try_parse_from(&args) {
        Ok(c) => c,
        Err(e) => return clap_error(e),
    };
    match cli.command {
        Command::Plan(a) => plan_cmd::run(a, &args),
        Command::Target(a) => target_cmd::run(a),
        Command::Run(a) => run_cmd::run(a),
        Command::Verify(a) => run_cmd::verify(a),
        Command::Report(a) => report_cmd::run(a),
        Command::History(a) => history_cmd::run(a),
        Command::New(a) => new_cmd::run(a),
        Command::Import(a) => import_cmd::run(a),
    }
}

/// Help and version go to stdout with exit 0; every usage error becomes one
/// line naming the flag, exit 2.
fn clap_error(e: clap::Error) -> i32 {
    use clap::error::ErrorKind;
    match e.kind() {
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => {
            let _ = e.print();
            exit::OK
        }
        _ => {
            let text = e.render().to_string();
            let first = text
                .lines()
                .find(|l| !l.trim().is_empty())
                .unwrap_or("error: bad command line");
            let mut line = first.trim().to_string();
            // Subcommand-less invocations and missing values keep their hint.
            if matches!(
                e.kind(),
                ErrorKind::MissingRequiredArgument
                    | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
            ) {
                let more: Vec<&str> = text
                    .lines()
                    .skip(1)
                    .map(str::trim)
                    .filter(|l| l.starts_with("--") || l.starts_with('<'))
                    .collect();
                if !more.is_empty() {
                    line = format!("{line} {}", more.join(", "));
                }
                if e.kind() == ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand {
                    line = "error: no command given: try `pace plan --help` (see `pace --help`)"
                        .into();
                }
            }
            eprintln!("{line}");
            exit::BAD_INPUT
        }
    }
}
