//! Fuzz target `cli_args`: argument vectors built from the README's and
//! the help texts' examples, mutated flag by flag (values of each flag's
//! type at their edges, negative numbers, `--flag=value`, missing and
//! repeated flags, flags of another command, non-UTF-8 bytes, `--`), parsed
//! by pace's clap definitions in-process (`Cli::try_parse_from`) and, for
//! some, by the `pace` binary itself in a scratch folder (never `pace
//! target` or a `pace run` that would send traffic).
//!
//! The property: the parser never panics; a bad command line is one
//! `error:` line and exit 2 from the binary, and a negative value given to
//! a flag is that flag's value (refused naming the flag), not an
//! "unexpected argument".

use crate::Known;
use crate::engine::{Finding, Outcome, Rng, Target};
use crate::mutate::DURATIONS;
use crate::samples::binary_outcome;
use clap::Parser;
use clap::error::ErrorKind;
use pace::cli::Cli;
use std::ffi::OsString;
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::path::Path;

/// The type of a flag's value.
#[derive(Debug, Clone, Copy, PartialEq)]
enum V {
    Pos,
    Dur,
    Count,
    Ramp,
    Prob,
    Dist,
    Path,
    Db,
    Port,
    Latency,
    Frac,
    Status,
    Size,
    Int,
}

/// A subcommand's flags: (flag, value type or None for a switch).
type Flags = &'static [(&'static str, Option<V>)];

/// Every subcommand's flags.
const FLAGS: &[(&str, Flags)] = &[
    (
        "plan",
        &[
            ("--tps", Some(V::Pos)),
            ("--tpm", Some(V::Pos)),
            ("--tph", Some(V::Pos)),
            ("--iterations", Some(V::Pos)),
            ("--rt", Some(V::Dur)),
            ("--users", Some(V::Count)),
            ("--think", Some(V::Dur)),
            ("--pacing", Some(V::Dur)),
            ("--tx-per-iter", Some(V::Count)),
            ("--duration", Some(V::Dur)),
            ("--ramp-up", Some(V::Ramp)),
            ("--tpm-min", Some(V::Pos)),
            ("--tpm-max", Some(V::Pos)),
            ("--pacing-min", Some(V::Dur)),
            ("--pacing-max", Some(V::Dur)),
            ("--pacing-dist", Some(V::Dist)),
            ("--alpha", Some(V::Pos)),
            ("--confidence", Some(V::Prob)),
            ("--json", None),
            ("-o", Some(V::Path)),
            ("--output", Some(V::Path)),
            ("--force", None),
        ],
    ),
    (
        "target",
        &[
            ("--port", Some(V::Port)),
            ("--latency", Some(V::Latency)),
            ("--error-rate", Some(V::Frac)),
            ("--status", Some(V::Status)),
            ("--error-status", Some(V::Status)),
            ("--size", Some(V::Size)),
            ("--seed", Some(V::Int)),
        ],
    ),
    (
        "run",
        &[
            ("--check", None),
            ("--seed", Some(V::Int)),
            ("--quiet", None),
            ("-q", None),
            ("--results-dir", Some(V::Path)),
            ("--xml", None),
            ("--db", Some(V::Db)),
        ],
    ),
    ("verify", &[("--plan", Some(V::Path))]),
    (
        "report",
        &[
            ("--ts-interval", Some(V::Dur)),
            ("--xml", None),
            ("--db", Some(V::Db)),
            ("--quiet", None),
            ("-q", None),
        ],
    ),
    (
        "history",
        &[
            ("--db", Some(V::Db)),
            ("--limit", Some(V::Int)),
            ("--plan", Some(V::Db)),
            ("--json", None),
        ],
    ),
    ("new", &[]),
    (
        "import",
        &[
            ("-o", Some(V::Path)),
            ("--output", Some(V::Path)),
            ("--force", None),
            ("--tps", Some(V::Pos)),
            ("--tpm", Some(V::Pos)),
            ("--tph", Some(V::Pos)),
            ("--rt", Some(V::Dur)),
        ],
    ),
];

/// Flags that take values starting with `-` (clap's allow_hyphen_values).
const HYPHEN_OK: &[(&str, &str)] = &[
    ("target", "--port"),
    ("target", "--latency"),
    ("target", "--error-rate"),
    ("target", "--status"),
    ("target", "--error-status"),
    ("target", "--size"),
    ("target", "--seed"),
];

/// The examples of README.md and the help texts (what users type first).
const SEEDS: &[&str] = &[
    "plan --tps 50 --rt 0.5 --users 100",
    "plan --tps 50 --rt 500ms --think 1.5",
    "plan --duration 1h --rt 0.5 --think 1.5 --iterations 1800 --users 100",
    "plan --tpm 12 --tpm-min 4 --tpm-max 20 --users 24 --rt 2 --ramp-up 1/5s",
    "plan --tpm 12 --tpm-min 4 --tpm-max 20 --users 24 --rt 2 --pacing-dist beta",
    "plan --tps 50 --rt 0.5 --users 100 --json",
    "plan --tps 50 --rt 0.5 --users 100 --ramp-up 5m -o out.toml --force",
    "plan --tpm 12 --tpm-min 4 --tpm-max 20 --users 24 --rt 2 --pacing-dist beta --alpha 1 --confidence 0.95",
    "plan --tph 3600 --rt 2s --pacing-min 1s --pacing-max 9s --users 10 --tx-per-iter 2",
    "run plan.toml --check",
    "run plan.toml --check --seed 42 -q",
    "run proj --check",
    "run plan.toml --check --results-dir out --xml --db results.db",
    "verify res",
    "verify res --plan plan.toml",
    "report res --ts-interval 30s",
    "report res --xml -q",
    "history --db results.db",
    "history --db results.db --limit 5 --json --plan plan",
    "new newproj",
    "import proj --tpm 600",
    "import proj --tps 5 --rt 0.5 -o imported.toml --force",
    "target --port 8080 --latency lognormal:20ms,0.3 --error-rate 1%",
    "target --port 0 --latency uniform:10ms..30ms --size 2048 --seed 42",
    "--help",
    "--version",
    "plan --help",
    "help run",
];

fn value(rng: &mut Rng, v: V) -> OsString {
    let s: String = match v {
        V::Pos => rng
            .pick(&[
                "50", "0.5", "-1", "0", "-0", "1e308", "1e-320", "nan", "inf", "-inf", "1e400", "",
                " ", "5%", "١", "0x10", "1_0", "-5", "9e15", "12", "-1e-9",
            ])
            .to_string(),
        V::Dur => {
            if rng.chance(1, 3) {
                rng.pick(&["-1s", "-0.5", "-1", "-inf", "-1e308s"])
                    .to_string()
            } else {
                rng.pick(DURATIONS).to_string()
            }
        }
        V::Count => rng
            .pick(&[
                "1",
                "100",
                "0",
                "-1",
                "18446744073709551615",
                "18446744073709551616",
                "4294967296",
                "1.5",
                "1e3",
                "",
                " 3",
            ])
            .to_string(),
        V::Ramp => rng
            .pick(&[
                "0s",
                "5m",
                "1/5s",
                "-1/5s",
                "1/0s",
                "0/5s",
                "1e308/1us",
                "nan/s",
                "1/",
                "/5s",
                "1//5s",
                "1e-320/1h",
                "-5m",
            ])
            .to_string(),
        V::Prob => rng
            .pick(&[
                "0.99",
                "0",
                "1",
                "1.5",
                "99%",
                "nan",
                "-0.5",
                "100%",
                "1e-320",
                "0.9999999999999999",
            ])
            .to_string(),
        V::Dist => rng
            .pick(&[
                "fixed",
                "uniform",
                "beta",
                "exponential",
                "BETA",
                "",
                "gamma",
            ])
            .to_string(),
        V::Path => {
            if rng.chance(1, 6) {
                return odd_path(rng);
            }
            rng.pick(&[
                "plan.toml",
                "res",
                "proj",
                "proj/config.cfg",
                "missing.toml",
                "",
                "-",
                "out.toml",
                "日本.toml",
                "a\nb",
                "newproj",
                "plan.toml/x",
            ])
            .to_string()
        }
        V::Db => rng
            .pick(&[
                "results.db",
                "sqlite:///results.db",
                "sqlite://",
                "postgresql://u:secret@h/db",
                "",
                "missing.db",
                "/dev/null",
                "plan.toml",
            ])
            .to_string(),
        V::Port => rng
            .pick(&["8080", "0", "-1", "65536", "99999", "abc", ""])
            .to_string(),
        V::Latency => rng
            .pick(&[
                "20ms",
                "uniform:10ms..30ms",
                "exponential:20ms",
                "lognormal:20ms,0.5",
                "lognormal:1e308s,1e308",
                "-1s",
                "fixed:-1s",
                "uniform:..",
                "",
            ])
            .to_string(),
        V::Frac => rng
            .pick(&["1%", "0.01", "150%", "-1%", "nan", "1e308", ""])
            .to_string(),
        V::Status => rng
            .pick(&["200", "500", "0", "99", "600", "70000", "-1"])
            .to_string(),
        V::Size => rng
            .pick(&[
                "100",
                "0",
                "67108864",
                "67108865",
                "-1",
                "18446744073709551616",
            ])
            .to_string(),
        V::Int => rng
            .pick(&[
                "42",
                "0",
                "-1",
                "18446744073709551615",
                "18446744073709551616",
                "1.5",
                "5",
            ])
            .to_string(),
    };
    OsString::from(s)
}

/// A path that is not UTF-8, too long, or odd.
fn odd_path(rng: &mut Rng) -> OsString {
    match rng.below(3) {
        0 => OsString::from_vec(b"no\xffne.toml".to_vec()),
        1 => OsString::from("x".repeat(300)),
        _ => OsString::from_vec(vec![b'a', 0xC3, b'(', b'.', b't']),
    }
}

/// One argument and what it is.
#[derive(Debug, Clone, PartialEq)]
pub enum Role {
    Sub,
    Flag,
    /// The value of the flag before it (a separate argument).
    Value(String),
    Pos,
    Other,
}

/// A generated command line (without the program name).
#[derive(Debug, Clone)]
pub struct CliCase {
    pub args: Vec<(OsString, Role)>,
    /// Also run the binary with it.
    pub binary: bool,
}

fn sub_of(args: &[(OsString, Role)]) -> String {
    args.iter()
        .find(|(_, r)| *r == Role::Sub)
        .map(|(a, _)| a.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// The subcommand for a failure's key: one of pace's, or `?`.
fn label(sub: &str) -> &str {
    match FLAGS.iter().find(|(s, _)| *s == sub) {
        Some((s, _)) => s,
        None => "?",
    }
}

fn flags_of(sub: &str) -> Flags {
    FLAGS
        .iter()
        .find(|(s, _)| *s == sub)
        .map(|(_, f)| *f)
        .unwrap_or(&[])
}

/// Parses a seed line into roles.
fn seed_args(line: &str) -> Vec<(OsString, Role)> {
    let words: Vec<&str> = line.split_whitespace().collect();
    let mut out = Vec::new();
    let sub = words.first().copied().unwrap_or("");
    let flags = flags_of(sub);
    let mut i = 0;
    while i < words.len() {
        let w = words[i];
        if i == 0 && !w.starts_with('-') {
            out.push((w.into(), Role::Sub));
        } else if let Some((_, v)) = flags.iter().find(|(f, _)| *f == w) {
            out.push((w.into(), Role::Flag));
            if v.is_some() && i + 1 < words.len() {
                i += 1;
                out.push((words[i].into(), Role::Value(w.to_string())));
            }
        } else if w.starts_with('-') {
            out.push((w.into(), Role::Other));
        } else {
            out.push((w.into(), Role::Pos));
        }
        i += 1;
    }
    out
}

fn mutate_once(rng: &mut Rng, args: &mut Vec<(OsString, Role)>) {
    let sub = sub_of(args);
    let flags = flags_of(&sub);
    let values: Vec<usize> = (0..args.len())
        .filter(|&i| matches!(args[i].1, Role::Value(_)))
        .collect();
    match rng.below(13) {
        0..=3 if !values.is_empty() => {
            let i = rng.pick(&values);
            let Role::Value(flag) = args[i].1.clone() else {
                return;
            };
            let v = flags
                .iter()
                .find(|(f, _)| *f == flag)
                .and_then(|(_, v)| *v)
                .unwrap_or(V::Pos);
            let v = if rng.chance(1, 8) {
                rng.pick(&[V::Pos, V::Dur, V::Path, V::Int, V::Ramp])
            } else {
                v
            };
            args[i].0 = value(rng, v);
        }
        4 if !values.is_empty() => {
            // `--flag=value`
            let i = rng.pick(&values);
            if i == 0 {
                return;
            }
            let joined = {
                let mut s = args[i - 1].0.clone();
                s.push("=");
                s.push(&args[i].0);
                s
            };
            args[i - 1] = (joined, Role::Other);
            args.remove(i);
        }
        5 if !args.is_empty() => {
            // An argument dropped (a flag left without its value, or gone).
            let i = rng.below(args.len());
            args.remove(i);
        }
        6 | 7 => {
            // A flag of this command (or another) added, with a value.
            let (f, v) = if rng.chance(1, 5) || flags.is_empty() {
                let (_, fl) = rng.pick(FLAGS);
                if fl.is_empty() {
                    return;
                }
                rng.pick(fl)
            } else {
                rng.pick(flags)
            };
            let at = rng.between(usize::from(!sub.is_empty()).min(args.len()), args.len());
            args.insert(at, (f.into(), Role::Flag));
            if let Some(v) = v {
                args.insert(at + 1, (value(rng, v), Role::Value(f.to_string())));
            }
        }
        8 => {
            let odd = rng.pick(&[
                "--bogus",
                "-x",
                "---",
                "--",
                "-",
                "--tps=",
                "-h",
                "--help",
                "-V",
                "--version",
                "--=",
                "-qq",
                "--QUIET",
            ]);
            let at = rng.below(args.len() + 1);
            args.insert(at, (odd.into(), Role::Other));
        }
        9 => {
            // Another command, a misspelled one, or none.
            let new = rng.pick(&[
                "plan", "run", "verify", "report", "history", "new", "import", "plna", "", "help",
                "PLAN", "target",
            ]);
            match args.iter().position(|(_, r)| *r == Role::Sub) {
                Some(i) if rng.chance(1, 4) => {
                    args.remove(i);
                }
                Some(i) => args[i].0 = new.into(),
                None => args.insert(0, (new.into(), Role::Sub)),
            }
        }
        10 if !args.is_empty() => {
            // Bytes that are not UTF-8, or a very long argument.
            let i = rng.below(args.len());
            if rng.chance(1, 2) {
                let mut b = args[i].0.as_bytes().to_vec();
                let at = rng.below(b.len() + 1);
                b.insert(at, 0xFF);
                args[i].0 = OsString::from_vec(b);
            } else {
                args[i].0 = OsString::from("9".repeat(rng.between(100, 5000)));
            }
        }
        11 => {
            let at = rng.below(args.len() + 1);
            args.insert(at, ("--".into(), Role::Other));
            args.insert(at + 1, (value(rng, V::Path), Role::Pos));
        }
        _ if args.len() > 2 => {
            let (a, b) = (
                rng.between(1, args.len() - 1),
                rng.between(1, args.len() - 1),
            );
            args.swap(a, b);
        }
        _ => {}
    }
}

pub struct CliTarget {
    /// A scratch folder holding a plan, a results folder and a Pyak47
    /// project: the binary's working directory.
    scratch: tempfile::TempDir,
    bin_every: u64,
}

impl CliTarget {
    pub fn new() -> CliTarget {
        let scratch = crate::engine::scratch();
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
        let d = scratch.path();
        std::fs::copy(root.join("golden/plan.toml"), d.join("plan.toml")).unwrap();
        std::fs::create_dir(d.join("res")).unwrap();
        for f in ["plan.toml", "samples.csv"] {
            std::fs::copy(root.join("golden").join(f), d.join("res").join(f)).unwrap();
        }
        std::fs::create_dir_all(d.join("proj/test_scripts")).unwrap();
        std::fs::copy(
            root.join("pyak47_full/config.cfg"),
            d.join("proj/config.cfg"),
        )
        .unwrap();
        CliTarget {
            scratch,
            bin_every: std::env::var("PACE_FUZZ_BIN_EVERY")
                .ok()
                .and_then(|v| v.parse().ok())
                .unwrap_or(50u64)
                .max(1),
        }
    }
}

fn argv(c: &CliCase) -> Vec<OsString> {
    std::iter::once(OsString::from("pace"))
        .chain(c.args.iter().map(|(a, _)| a.clone()))
        .collect()
}

/// Values given as separate arguments that start with `-`, with their flag.
fn hyphen_values(c: &CliCase) -> Vec<(String, String)> {
    let sub = sub_of(&c.args);
    c.args
        .iter()
        .enumerate()
        .filter_map(|(i, (a, r))| match r {
            // Still right after its flag (a mutation may have dropped it).
            Role::Value(f)
                if a.as_bytes().first() == Some(&b'-')
                    && i > 0
                    && c.args[i - 1].0.as_bytes() == f.as_bytes()
                    && !HYPHEN_OK.contains(&(sub.as_str(), f.as_str())) =>
            {
                Some((a.to_string_lossy().into_owned(), f.clone()))
            }
            _ => None,
        })
        .collect()
}

impl Target for CliTarget {
    type Input = CliCase;
    const NAME: &'static str = "cli_args";
    const CI_CASES: u64 = 8000;

    fn generate(&mut self, rng: &mut Rng) -> CliCase {
        let mut args = seed_args(rng.pick(SEEDS));
        for _ in 0..rng.pick(&[0, 1, 1, 1, 2, 2, 3, 4]) {
            mutate_once(rng, &mut args);
        }
        CliCase {
            args,
            binary: rng.chance(1, self.bin_every),
        }
    }

    fn render(&self, c: &CliCase) -> String {
        let shown: Vec<String> = argv(c)
            .iter()
            .map(|a| match a.to_str() {
                Some(s) if !s.is_empty() && !s.contains([' ', '\n', '\'', '"', '\\']) => {
                    s.to_string()
                }
                _ => format!("$'{}'", a.as_bytes().escape_ascii()),
            })
            .collect();
        format!(
            "{}{}",
            shown.join(" "),
            if c.binary {
                "   (in-process and the binary)"
            } else {
                ""
            }
        )
    }

    fn shrink(&self, c: &CliCase) -> Vec<CliCase> {
        let mut out = Vec::new();
        if c.binary {
            out.push(CliCase {
                binary: false,
                ..c.clone()
            });
        }
        for i in 0..c.args.len() {
            let mut a = c.args.clone();
            a.remove(i);
            // Keep a value with its flag: drop both.
            if matches!(c.args[i].1, Role::Flag) && i < a.len() && matches!(a[i].1, Role::Value(_))
            {
                a.remove(i);
            }
            out.push(CliCase {
                args: a,
                binary: c.binary,
            });
        }
        out
    }

    fn known_open(&mut self, c: &CliCase) -> Option<Known> {
        if c.binary && !hyphen_values(c).is_empty() {
            return Some(Known::NegativeFlagValues);
        }
        if c.binary && c.args.iter().any(|(a, _)| a.to_str().is_none()) {
            return Some(Known::NonUtf8Args);
        }
        None
    }

    fn hazard(&mut self, _: &CliCase) -> Option<String> {
        None
    }

    fn run(&mut self, c: &CliCase, _: &mut Rng) -> Outcome {
        let parsed = Cli::try_parse_from(argv(c));
        let sub = sub_of(&c.args);
        let mut parse_error = false;
        let mut run_binary = c.binary;
        match &parsed {
            // Help and version are exit 0; with no command at all, pace
            // prints its own one-line error instead of clap's help.
            Err(e)
                if matches!(
                    e.kind(),
                    ErrorKind::DisplayHelp
                        | ErrorKind::DisplayVersion
                        | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
                ) =>
            {
                parse_error = e.kind() == ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand;
                let _ = e.render().to_string();
            }
            Err(e) => {
                parse_error = true;
                let text = e.render().to_string();
                let first = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
                if !first.starts_with("error:") {
                    return Err(Finding::new(
                        "clap: an error whose first line is not `error: ...`",
                        text,
                    ));
                }
            }
            Ok(cli) => {
                let shown = format!("{cli:?}");
                // Never run what would serve or send traffic.
                let runs_load = shown.starts_with("Cli { command: Target(")
                    || (shown.starts_with("Cli { command: Run(") && !shown.contains("check: true"));
                if runs_load {
                    run_binary = false;
                }
            }
        }
        // Whatever clap made of it in-process, the binary may read it
        // otherwise (it rewrites some arguments first): never run a line
        // that names `target`, or `run` without `--check`.
        let words: Vec<&str> = c.args.iter().filter_map(|(a, _)| a.to_str()).collect();
        let may_load =
            words.contains(&"target") || (words.contains(&"run") && !words.contains(&"--check"));
        if !run_binary || may_load || c.args.iter().any(|(a, _)| a.as_bytes().contains(&0)) {
            return Ok(());
        }
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_pace"));
        cmd.args(c.args.iter().map(|(a, _)| a))
            .current_dir(self.scratch.path())
            .env_remove("PACE_TARGET")
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped());
        let shown = c
            .args
            .iter()
            .map(|(a, _)| a.to_string_lossy().into_owned())
            .collect::<Vec<_>>()
            .join(" ");
        if !parse_error {
            return binary_outcome(cmd, label(&sub), &shown, 2 << 30);
        }
        // A usage error: exactly one line, `error: ...`, exit 2.
        crate::engine::limit_memory(&mut cmd, 2 << 30);
        let out = crate::engine::run_with_timeout(cmd, std::time::Duration::from_secs(30))
            .map_err(|e| Finding::new("binary: could not start", e))?;
        let stderr = String::from_utf8_lossy(&out.stderr);
        if stderr.contains("panicked at ") {
            let mut again = std::process::Command::new(env!("CARGO_BIN_EXE_pace"));
            again
                .args(c.args.iter().map(|(a, _)| a))
                .current_dir(self.scratch.path())
                .stdin(std::process::Stdio::null())
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped());
            return binary_outcome(again, label(&sub), &shown, 2 << 30);
        }
        let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
        // A value taken for a flag: the error names the value as an
        // unexpected argument, not the flag it belongs to.
        if let Some((v, flag)) = hyphen_values(c)
            .into_iter()
            .find(|(v, _)| stderr.contains(&format!("unexpected argument '{v}'")))
        {
            return Err(Finding::new(
                format!(
                    "binary `pace {}`: a negative value after a flag is read as an unexpected argument; the flag is not named",
                    label(&sub)
                ),
                format!("{flag} {v}: {stderr:?}"),
            ));
        }
        if out.status.code() != Some(2) || lines.len() != 1 || !lines[0].starts_with("error:") {
            return Err(Finding::new(
                format!(
                    "binary `pace {}`: a usage error is not one `error:` line with exit 2",
                    label(&sub)
                ),
                format!("exit {:?}, stderr {stderr:?}", out.status.code()),
            ));
        }
        Ok(())
    }
}
