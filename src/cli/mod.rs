//! The command line: clap definitions and dispatch. Each subcommand lives in
//! its own file; this one only parses and routes, and owns the exit codes.

/// `outln!` through [`out::write`]: a closed pipe stops output, never
/// panics.
macro_rules! outln {
    () => {
        $crate::cli::out::write(format_args!(""), true)
    };
    ($($arg:tt)*) => {
        $crate::cli::out::write(format_args!($($arg)*), true)
    };
}

/// `print!` through [`out::write`].
macro_rules! out {
    ($($arg:tt)*) => {
        $crate::cli::out::write(format_args!($($arg)*), false)
    };
}

mod baseline_cmd;
mod capacity_cmd;
pub mod capacity_input;
mod console;
#[doc(hidden)]
pub mod finish;
mod history_cmd;
mod hook;
mod import_cmd;
mod k8s_cmd;
mod merge_cmd;
mod model_cmd;
mod new_cmd;
pub mod out;
mod plan_cmd;
mod report_cmd;
mod run_cmd;
mod stairs_cmd;
mod stairs_reload;
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
    /// A shard was not ready by its `--start-at`: it did not start (a late
    /// shard would skew the merged schedule), and its results folder is
    /// marked invalid for `pace merge`.
    pub const LATE: i32 = 5;
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

/// `pace --version`: the version, and the commit it was built from
/// (build.rs; "commit unknown" without git), e.g. `pace 0.1.0 (commit
/// abc1234, built 2026-12-01)`.
const VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (",
    env!("PACE_BUILD_INFO"),
    ")"
);

#[derive(Debug, Parser)]
#[command(name = "pace", version = VERSION, about = ABOUT, after_help = EXAMPLES)]
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
    /// Measure the baseline: each group with one user back to back; the
    /// iteration time B and each step's response time with a 95 % interval.
    Baseline(baseline_cmd::BaselineArgs),
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
    /// Fit the Universal Scalability Law to measured N,X[,R] points: σ, κ,
    /// λ with intervals, peak N*, knee, and the N that meets an X or R target.
    Capacity(capacity_cmd::CapacityArgs),
    /// What-if queueing models without a test: throughput and response
    /// time over a range of users (exact MVA, bounds, N*, bottleneck), or
    /// pool sizing with Erlang C (`pace model erlang`).
    Model(model_cmd::ModelArgs),
    /// Merge the results folders of a plan's shards (`pace run --shard
    /// I/N`) into one results folder, and judge the whole plan once.
    Merge(merge_cmd::MergeArgs),
    /// Write Kubernetes manifests that run a plan as N shards (an Indexed
    /// Job started together), and the Containerfile of a pace image.
    K8s(k8s_cmd::K8sArgs),
    /// Print a shell completion script: `pace completions bash >
    /// ~/.local/share/bash-completion/completions/pace`.
    Completions(CompletionsArgs),
}

#[derive(Debug, clap::Args)]
pub struct CompletionsArgs {
    /// The shell to complete in.
    #[arg(value_enum)]
    shell: clap_complete::Shell,
}

/// Writes the completion script of `pace` for `a.shell` to stdout (a
/// closed pipe stops it quietly).
fn completions(a: CompletionsArgs) -> i32 {
    use clap::CommandFactory;
    let mut buf = Vec::new();
    clap_complete::generate(a.shell, &mut Cli::command(), "pace", &mut buf);
    out!("{}", String::from_utf8_lossy(&buf));
    exit::OK
}

/// Parses the process arguments, runs the command and returns the exit code.
pub fn main() -> i32 {
    main_from(std::env::args_os().collect())
}

/// [`main`] over given arguments (the program name first).
pub fn main_from(args_os: Vec<std::ffi::OsString>) -> i32 {
    let args_os = negative_values(args_os);
    let cli = match Cli::try_parse_from(&args_os) {
        Ok(c) => c,
        Err(e) if e.kind() == clap::error::ErrorKind::InvalidUtf8 => {
            // clap does not say which: name the argument (and its flag).
            let i = args_os
                .iter()
                .position(|a| a.to_str().is_none())
                .unwrap_or(0);
            let flag = i
                .checked_sub(1)
                .and_then(|j| args_os[j].to_str())
                .filter(|f| f.starts_with('-'))
                .map(|f| format!(" (the value of {f})"))
                .unwrap_or_default();
            errln!(
                "error: argument '{}'{flag} is not valid UTF-8: pace takes any bytes in paths, but text values must be UTF-8",
                args_os[i].to_string_lossy()
            );
            return exit::BAD_INPUT;
        }
        Err(e) => return clap_error(e, &args_os),
    };
    // Paths may be any bytes (clap reads them as OsString); the words are
    // only echoed into a plan file's comment.
    let args: Vec<String> = args_os
        .iter()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    let code = match cli.command {
        Command::Plan(a) => plan_cmd::run(a, &args),
        Command::Target(a) => target_cmd::run(a),
        Command::Run(a) => run_cmd::run(a),
        Command::Baseline(a) => baseline_cmd::run(a),
        Command::Verify(a) => run_cmd::verify(a),
        Command::Report(a) => report_cmd::run(a),
        Command::History(a) => history_cmd::run(a),
        Command::New(a) => new_cmd::run(a),
        Command::Import(a) => import_cmd::run(a),
        Command::Capacity(a) => capacity_cmd::run(a),
        Command::Model(a) => model_cmd::run(a),
        Command::Merge(a) => merge_cmd::run(a),
        Command::K8s(a) => k8s_cmd::run(a),
        Command::Completions(a) => completions(a),
    };
    out::finish(code)
}

/// `--flag -1s` as `--flag=-1s`: a value that starts with a hyphen and a
/// digit (or a dot) after a flag that takes a value is that flag's value,
/// so pace's own validator refuses it naming the flag ("--rt: '-1s' must
/// not be negative") instead of clap calling it an unknown argument.
fn negative_values(args: Vec<std::ffi::OsString>) -> Vec<std::ffi::OsString> {
    use clap::CommandFactory;
    let root = Cli::command();
    let mut cmd: Option<&clap::Command> = None;
    let mut out: Vec<std::ffi::OsString> = Vec::with_capacity(args.len());
    let mut it = args.into_iter().peekable();
    if let Some(program) = it.next() {
        out.push(program);
    }
    while let Some(a) = it.next() {
        let text = a.to_str().map(str::to_string);
        match (&text, cmd) {
            (Some(t), None) if !t.starts_with('-') => {
                cmd = root.find_subcommand(t);
            }
            (Some(t), Some(c)) if t.starts_with("--") && !t.contains('=') => {
                let takes_value = c
                    .get_arguments()
                    .find(|arg| arg.get_long() == Some(&t[2..]))
                    .is_some_and(|arg| arg.get_action().takes_values());
                let negative = it.peek().and_then(|n| n.to_str()).is_some_and(|n| {
                    let mut ch = n.chars();
                    ch.next() == Some('-')
                        && ch.next().is_some_and(|c| c.is_ascii_digit() || c == '.')
                });
                if takes_value && negative {
                    let value = it.next().unwrap_or_default();
                    let mut joined = a.clone();
                    joined.push("=");
                    joined.push(value);
                    out.push(joined);
                    continue;
                }
            }
            _ => {}
        }
        out.push(a);
    }
    out
}

/// Help and version go to stdout with exit 0; every usage error becomes one
/// line naming the flag, exit 2.
fn clap_error(e: clap::Error, args: &[std::ffi::OsString]) -> i32 {
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
            // clap quotes a bad value whole: at most QUOTE_CHARS of it, as
            // pace's own errors quote (a 20 MB argument must not become
            // the error).
            for kind in [
                clap::error::ContextKind::InvalidValue,
                clap::error::ContextKind::InvalidArg,
                clap::error::ContextKind::InvalidSubcommand,
            ] {
                if let Some(clap::error::ContextValue::String(v)) = e.get(kind)
                    && v.chars().count() > crate::visible::QUOTE_CHARS
                {
                    line = line.replace(&format!("'{v}'"), &crate::visible::quoted(v));
                }
            }
            // An enumerated flag's bad value: the values it takes.
            if let Some(values) = text
                .lines()
                .map(str::trim)
                .find(|l| l.starts_with("[possible values:"))
            {
                line = format!("{line} {values}");
            }
            // clap drops escape sequences from the values it quotes, so
            // `pace $'ru\e[31mn'` would read "unrecognized subcommand
            // 'run'": say what was typed, escaped.
            let typed: Vec<String> = args
                .iter()
                .skip(1)
                .filter_map(|a| a.to_str())
                .filter(|a| crate::visible::one_line(a) != *a)
                .map(crate::visible::quoted)
                .collect();
            if !typed.is_empty() {
                line = format!("{line} (as typed: {})", typed.join(", "));
            }
            errln!("{line}");
            exit::BAD_INPUT
        }
    }
}
