//! Fuzz target `plan_loader`: plan files (TOML) mutated key by key from
//! valid seeds, through `PlanFile::parse` (and so `check()`), `load_plan`,
//! and then everything a run does with a plan that loaded before it sends
//! a request: the rate and band, each step built as the runner builds it,
//! every user's schedule, the durations the runner turns into `Duration`s,
//! the time series of a run as long as the plan, the verdict and
//! summary.json.
//!
//! The property: a plan either loads or is refused with a one-line error
//! naming the key; a plan that loads never makes the code after it panic,
//! hang or allocate without bound.

use crate::Known;
use crate::engine::{Finding, Outcome, Rng, Target, above};
use crate::mutate::{self, DURATIONS, MAX_TEXT, NUMBERS, STRINGS};
use pace::plan::file::{PacingMode, PlanFile};
use pace::results::aggregate::Aggregate;
use pace::results::sample::{Kind, Sample};
use pace::runner::schedule::{Cadence, UserSchedule};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The type of a plan key's value, for generating values it may take.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Ty {
    Dur,
    Num,
    Int,
    Str,
    Bool,
    Frac,
    Tolerance,
    Rate,
    Mode,
    Late,
    Latency,
    Method,
    Url,
    Headers,
    Expect,
    Bytes,
}

/// Every key of the plan format (shared/spec/plan-format.md and the keys
/// added since), by table.
const SCHEMA: &[(&str, &str, Ty)] = &[
    ("target", "tps", Ty::Num),
    ("target", "tpm", Ty::Num),
    ("target", "tph", Ty::Num),
    ("target", "response_time", Ty::Dur),
    ("target", "transactions_per_iteration", Ty::Int),
    ("target.embedded", "latency", Ty::Latency),
    ("target.embedded", "error_rate", Ty::Frac),
    ("target.embedded", "status", Ty::Int),
    ("target.embedded", "error_status", Ty::Int),
    ("target.embedded", "size", Ty::Int),
    ("target.embedded", "seed", Ty::Int),
    ("run", "duration", Ty::Dur),
    ("run", "ramp_up", Ty::Dur),
    ("run", "ts_interval", Ty::Dur),
    ("run", "grace", Ty::Dur),
    ("run", "results_dir", Ty::Str),
    ("run", "seed", Ty::Int),
    ("run", "results_database", Ty::Str),
    ("run", "results_database_samples", Ty::Int),
    ("run", "post_run", Ty::Str),
    ("run", "post_run_timeout", Ty::Dur),
    ("run", "xml_report", Ty::Bool),
    ("group", "name", Ty::Str),
    ("group", "users", Ty::Int),
    ("group", "script", Ty::Str),
    ("group", "interpreter", Ty::Str),
    ("group", "worker", Ty::Str),
    ("group", "script_timeout", Ty::Dur),
    ("group.pacing", "mode", Ty::Mode),
    ("group.pacing", "interval", Ty::Dur),
    ("group.pacing", "min", Ty::Dur),
    ("group.pacing", "max", Ty::Dur),
    ("group.pacing", "alpha", Ty::Num),
    ("group.pacing", "beta", Ty::Num),
    ("group.pacing", "delay", Ty::Dur),
    ("group.pacing", "rate", Ty::Rate),
    ("group.pacing", "late", Ty::Late),
    ("group.step", "name", Ty::Str),
    ("group.step", "method", Ty::Method),
    ("group.step", "url", Ty::Url),
    ("group.step", "timeout", Ty::Dur),
    ("group.step", "think", Ty::Dur),
    ("group.step", "headers", Ty::Headers),
    ("group.step", "body", Ty::Str),
    ("group.step", "expect", Ty::Expect),
    ("group.step", "max_body", Ty::Bytes),
    ("acceptance", "confidence", Ty::Num),
    ("acceptance", "tolerance", Ty::Tolerance),
    ("acceptance", "p50", Ty::Dur),
    ("acceptance", "p80", Ty::Dur),
    ("acceptance", "p90", Ty::Dur),
    ("acceptance", "p95", Ty::Dur),
    ("acceptance", "p99", Ty::Dur),
    ("acceptance", "max", Ty::Dur),
    ("acceptance", "error_rate", Ty::Frac),
];

const HEADERS: &[&str] = &[
    "[target]",
    "[target.embedded]",
    "[run]",
    "[[group]]",
    "[group.pacing]",
    "[[group.step]]",
    "[acceptance]",
    "[Run]",
    "[group]",
    "[[group.pacing]]",
    "[group.step]",
    "[[target]]",
    "[run.extra]",
    "[group.pacing.more]",
    "[]",
    "[ run ]",
    "[\"run\"]",
];

fn ty_of(table: &str, key: &str) -> Option<Ty> {
    SCHEMA
        .iter()
        .find(|(t, k, _)| *t == table && *k == key)
        .or_else(|| SCHEMA.iter().find(|(_, k, _)| *k == key))
        .map(|(_, _, ty)| *ty)
}

/// A TOML string literal.
pub fn toml_str(s: &str) -> String {
    toml::Value::String(s.to_string()).to_string()
}

/// A value of type `ty` as TOML source: usually plausible, often at an
/// edge, sometimes of another type altogether.
fn value(rng: &mut Rng, ty: Ty) -> String {
    if rng.chance(1, 10) {
        return rng
            .pick(&[
                "\"text\"",
                "true",
                "[]",
                "{}",
                "1979-05-27T07:32:00Z",
                "[1, \"a\"]",
                "{ x = 1 }",
                "0",
                "-1",
                "1e308",
                "nan",
                "\"\"",
            ])
            .to_string();
    }
    let q = |s: &str| toml_str(s);
    match ty {
        Ty::Dur => {
            if rng.chance(1, 2) {
                let d = rng.pick(DURATIONS).to_string();
                let d = if rng.chance(1, 3) {
                    mutate::perturb_digits(rng, &d)
                } else {
                    d
                };
                q(&d)
            } else {
                rng.pick(NUMBERS).to_string()
            }
        }
        Ty::Num => {
            if rng.chance(1, 5) {
                q(rng.pick(NUMBERS))
            } else {
                rng.pick(NUMBERS).to_string()
            }
        }
        Ty::Int => rng
            .pick(&[
                "0",
                "1",
                "2",
                "-1",
                "100",
                "200",
                "599",
                "600",
                "70000",
                "65536",
                "4294967295",
                "4294967296",
                "9223372036854775807",
                "-9223372036854775808",
                "18446744073709551616",
                "1000000",
                "10000000000",
                "1.5",
                "0x10",
            ])
            .to_string(),
        Ty::Str => {
            if rng.chance(1, 8) {
                q(&mutate::long(rng, 'x'))
            } else {
                q(rng.pick(STRINGS))
            }
        }
        Ty::Bool => rng.pick(&["true", "false", "\"true\"", "1"]).to_string(),
        Ty::Frac | Ty::Tolerance => {
            let v = rng
                .pick(&[
                    "\"5%\"",
                    "\"150%\"",
                    "\"nan%\"",
                    "\"-1%\"",
                    "\"1e308%\"",
                    "\"0%\"",
                    "\"100%\"",
                    "0.05",
                    "1.5",
                    "\"auto\"",
                    "\"%\"",
                    "\"5 %\"",
                    "\"inf%\"",
                    "0",
                    "-0.0",
                ])
                .to_string();
            if rng.chance(1, 3) {
                mutate::perturb_digits(rng, &v)
            } else {
                v
            }
        }
        Ty::Rate => {
            let v = rng
                .pick(&[
                    "50/s", "600/m", "1/h", "0/s", "-1/s", "nan/s", "1e308/us", "5/1us", "5/0s",
                    "5/xs", "1e300/s", "1e-300/s", "", "5/5m", "1e15/s", "1e13/s", "1e-9/h",
                ])
                .to_string();
            if rng.chance(1, 4) {
                rng.pick(NUMBERS).to_string()
            } else {
                q(&mutate::perturb_digits(rng, &v))
            }
        }
        Ty::Mode => q(rng.pick(&[
            "fixed",
            "uniform",
            "beta",
            "exponential",
            "after-end",
            "none",
            "arrival-rate",
            "FIXED",
            "after_end",
            "",
        ])),
        Ty::Late => q(rng.pick(&["drift", "skip", "catch-up", "catchup", ""])),
        Ty::Latency => {
            let v = rng
                .pick(&[
                    "20ms",
                    "uniform:10ms..30ms",
                    "exponential:20ms",
                    "lognormal:20ms,0.5",
                    "lognormal:1e308s,1e308",
                    "uniform:30ms..10ms",
                    "fixed:-1s",
                    "lognormal:20ms,nan",
                    "exponential:1e308",
                    "uniform:..",
                    "fixed:",
                    ":",
                ])
                .to_string();
            if rng.chance(1, 4) {
                rng.pick(NUMBERS).to_string()
            } else {
                q(&mutate::perturb_digits(rng, &v))
            }
        }
        Ty::Method => q(rng.pick(&["GET", "POST", "get", "", "G E T", "ÄÖ", "DELETE", "X"])),
        Ty::Url => {
            if rng.chance(1, 2) {
                q(rng.pick(&[
                    "http://127.0.0.1:9/",
                    "${PACE_TARGET}/",
                    "${PACE_TARGET:-http://127.0.0.1:9}/x",
                    "https://[::1]:9/",
                    "http://127.0.0.1:65536/",
                ]))
            } else {
                q(rng.pick(STRINGS))
            }
        }
        Ty::Headers => rng
            .pick(&[
                "{ Accept = \"text/html\" }",
                "{ \"\" = \"\" }",
                "{ \"a\\nb\" = \"c\" }",
                "{ X = \"${UNSET_PACE_FUZZ_VAR}\" }",
                "{ X = 1 }",
                "{ \"Content-Length\" = \"-1\" }",
            ])
            .to_string(),
        Ty::Bytes => {
            let v = rng.pick(&[
                "\"64MiB\"",
                "\"1.5KiB\"",
                "\"512 kB\"",
                "\"0\"",
                "\"-1\"",
                "\"1e308\"",
                "\"18446744073709551616\"",
                "\"17179869184GiB\"",
                "\"0.0000001B\"",
                "\"10XB\"",
                "\"\"",
                "1048576",
                "-1",
                "1.5",
            ]);
            if rng.chance(1, 3) {
                mutate::perturb_digits(rng, v)
            } else {
                v.to_string()
            }
        }
        Ty::Expect => {
            let v = rng
                .pick(&[
                    "{ status = 200 }",
                    "{ body_contains = \"x\" }",
                    "{ status = 0 }",
                    "{ status = 70000 }",
                    "{ status = -1 }",
                    "{ status = 200, body_contains = \"\" }",
                    "{ other = 1 }",
                ])
                .to_string();
            if rng.chance(1, 3) {
                mutate::perturb_digits(rng, &v)
            } else {
                v
            }
        }
    }
}

/// The table a line belongs to: the last header above it, without
/// brackets (`group.pacing`), or "" at the top.
fn table_at(lines: &[String], i: usize) -> String {
    lines[..=i.min(lines.len().saturating_sub(1))]
        .iter()
        .rev()
        .map(|l| l.trim())
        .find(|l| l.starts_with('['))
        .map(|l| {
            l.split('#')
                .next()
                .unwrap_or("")
                .trim()
                .trim_matches(|c| c == '[' || c == ']')
                .trim()
                .to_string()
        })
        .unwrap_or_default()
}

/// `key = value` lines: (index, key, value without its comment).
fn kv_lines(lines: &[String]) -> Vec<(usize, String)> {
    lines
        .iter()
        .enumerate()
        .filter_map(|(i, l)| {
            let t = l.trim();
            if t.starts_with('#') || t.starts_with('[') {
                return None;
            }
            let (k, _) = t.split_once('=')?;
            Some((i, k.trim().trim_matches('"').to_string()))
        })
        .collect()
}

fn header_lines(lines: &[String]) -> Vec<usize> {
    lines
        .iter()
        .enumerate()
        .filter(|(_, l)| l.trim().starts_with('['))
        .map(|(i, _)| i)
        .collect()
}

/// The end (exclusive) of the block that starts at header `h`.
fn block_end(lines: &[String], h: usize) -> usize {
    (h + 1..lines.len())
        .find(|&j| lines[j].trim().starts_with('['))
        .unwrap_or(lines.len())
}

/// One structured edit of a plan's text.
fn mutate_once(rng: &mut Rng, text: &str) -> String {
    let mut ls = mutate::lines(text);
    let kvs = kv_lines(&ls);
    let heads = header_lines(&ls);
    match rng.below(14) {
        // A key's value replaced by one of its type (or not).
        0..=3 if !kvs.is_empty() => {
            let (i, k) = rng.pick(&kvs).clone();
            let table = table_at(&ls, i);
            let ty = ty_of(&table, &k).unwrap_or(Ty::Str);
            ls[i] = format!("{k} = {}", value(rng, ty));
        }
        // The digits of a value perturbed.
        4 if !kvs.is_empty() => {
            let (i, _) = rng.pick(&kvs).clone();
            ls[i] = mutate::perturb_digits(rng, &ls[i]);
        }
        // A key of the schema added to the table it belongs to (or to
        // another), with an edge value.
        5 | 6 => {
            let (t, k, ty) = rng.pick(SCHEMA);
            let line = format!("{k} = {}", value(rng, ty));
            let place = heads
                .iter()
                .copied()
                .filter(|&h| rng.chance(1, 4) || table_at(&ls, h) == t)
                .collect::<Vec<_>>();
            match (!place.is_empty()).then(|| rng.pick(&place)) {
                Some(h) => {
                    let at = rng.between(h + 1, block_end(&ls, h));
                    ls.insert(at, line);
                }
                None => ls.push(format!("[{t}]\n{line}")),
            }
        }
        // A key removed, renamed or given twice.
        7 if !kvs.is_empty() => {
            let (i, k) = rng.pick(&kvs).clone();
            match rng.below(4) {
                0 => {
                    ls.remove(i);
                }
                1 => {
                    let renamed = match rng.below(4) {
                        0 => k.to_uppercase(),
                        1 => format!("{k}s"),
                        2 => k.replace('_', "-"),
                        _ => rng.pick(SCHEMA).1.to_string(),
                    };
                    ls[i] = ls[i].replacen(&k, &renamed, 1);
                }
                _ => {
                    let l = ls[i].clone();
                    ls.insert(i, l);
                }
            }
        }
        // A table given twice, removed, or its header changed.
        8 if !heads.is_empty() => {
            let h = rng.pick(&heads);
            let end = block_end(&ls, h);
            let block: Vec<String> = ls[h..end].to_vec();
            match rng.below(3) {
                0 if text.len() < MAX_TEXT / 2 => {
                    let at = rng.pick(&[h, end, ls.len()]);
                    for (j, l) in block.into_iter().enumerate() {
                        ls.insert(at + j, l);
                    }
                }
                1 => {
                    ls.drain(h..end);
                }
                _ => ls[h] = rng.pick(HEADERS).to_string(),
            }
        }
        // Another group, a copy of one (same name) or renamed.
        9 if text.len() < MAX_TEXT / 2 => {
            if let Some(&g) = heads
                .iter()
                .find(|&&h| ls[h].trim().starts_with("[[group]]"))
            {
                let mut end = block_end(&ls, g);
                while end < ls.len() && ls[end].trim().starts_with("[group.")
                    || end < ls.len() && ls[end].trim().starts_with("[[group.")
                {
                    end = block_end(&ls, end);
                }
                let mut block: Vec<String> = ls[g..end].to_vec();
                if rng.chance(1, 2)
                    && let Some(n) = block.iter_mut().find(|l| l.trim().starts_with("name"))
                {
                    *n = format!("name = {}", value(rng, Ty::Str));
                }
                ls.extend(block);
            }
        }
        // A pacing mode changed (keeping the keys of the old one).
        10 => {
            if let Some(i) = ls.iter().position(|l| l.trim().starts_with("mode")) {
                ls[i] = format!("mode = {}", value(rng, Ty::Mode));
            }
        }
        // A line of text-level damage.
        _ => return mutate::text_edit(rng, text),
    }
    mutate::join(&ls)
}

/// Every `.toml` plan the project and its shared cases hold, sorted.
pub fn seed_plans() -> Vec<(String, String)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files: Vec<PathBuf> = Vec::new();
    for dir in [
        "plans",
        "bench/plans",
        "bench/verdict",
        "tests/fixtures/golden",
        "tests/fixtures/fuzz/plans",
    ] {
        collect(&root.join(dir), "toml", &mut files);
    }
    collect(&root.join("tests/fixtures/cases"), "toml", &mut files);
    files.sort();
    files
        .into_iter()
        .filter_map(|p| {
            let text = std::fs::read_to_string(&p).ok()?;
            Some((
                p.strip_prefix(root).unwrap_or(&p).display().to_string(),
                text,
            ))
        })
        .collect()
}

/// Files with extension `ext` under `dir`, recursively.
pub fn collect(dir: &Path, ext: &str, out: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<PathBuf> = rd.filter_map(|e| e.ok().map(|e| e.path())).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            collect(&p, ext, out);
        } else if p.extension().is_some_and(|e| e == ext) {
            out.push(p);
        }
    }
}

/// A generated plan case.
#[derive(Debug, Clone)]
pub struct PlanCase {
    pub text: String,
    /// Load it as `pace run` does (`load_plan` on a file) rather than from
    /// a string.
    pub via_file: bool,
}

pub struct PlanTarget {
    seeds: Vec<(String, String)>,
    dir: tempfile::TempDir,
    /// The last text parsed and its plan: the hazard and KNOWN_OPEN checks
    /// parse the same text as the run.
    last: Option<(String, Option<PlanFile>)>,
}

impl PlanTarget {
    fn parsed(&mut self, text: &str) -> Option<PlanFile> {
        match &self.last {
            Some((t, p)) if t == text => p.clone(),
            _ => {
                let p = PlanFile::parse(text, "plan.toml").ok();
                self.last = Some((text.to_string(), p.clone()));
                p
            }
        }
    }
}

impl PlanTarget {
    pub fn new() -> PlanTarget {
        let seeds = seed_plans();
        assert!(seeds.len() >= 20, "the plan seeds are missing");
        PlanTarget {
            seeds,
            dir: crate::engine::scratch(),
            last: None,
        }
    }
}

impl Target for PlanTarget {
    type Input = PlanCase;
    const NAME: &'static str = "plan_loader";
    const CI_CASES: u64 = 6000;

    fn generate(&mut self, rng: &mut Rng) -> PlanCase {
        let (_, seed) = rng.pick(&self.seeds).clone();
        let mut text = seed;
        // A few cases stay valid seeds: the code after loading must run too.
        let n = rng.pick(&[0, 1, 1, 1, 2, 2, 3, 4]);
        for _ in 0..n {
            text = mutate_once(rng, &text);
            if text.len() > MAX_TEXT {
                text.truncate(text.floor_char_boundary(MAX_TEXT));
            }
        }
        PlanCase {
            text,
            via_file: rng.chance(1, 8),
        }
    }

    fn render(&self, input: &PlanCase) -> String {
        input.text.clone()
    }

    fn shrink(&self, input: &PlanCase) -> Vec<PlanCase> {
        mutate::shrink_lines(&input.text)
            .into_iter()
            .map(|text| PlanCase {
                text,
                via_file: input.via_file,
            })
            .collect()
    }

    fn known_open(&mut self, input: &PlanCase) -> Option<Known> {
        if multiline_strings(&input.text) {
            return Some(Known::MultilinePlanError);
        }
        known_in_plan(&self.parsed(&input.text)?)
    }

    fn hazard(&mut self, input: &PlanCase) -> Option<String> {
        plan_hazard(&self.parsed(&input.text)?)
    }

    fn run(&mut self, input: &PlanCase, rng: &mut Rng) -> Outcome {
        let plan = if input.via_file {
            let path = self.dir.path().join("plan.toml");
            std::fs::write(&path, &input.text).expect("a temporary file");
            match pace::cli::finish::load_plan(&path) {
                Ok((plan, _, _)) => plan,
                Err(e) => return one_line_error("load_plan", &e),
            }
        } else {
            match PlanFile::parse(&input.text, "plan.toml") {
                Ok(p) => p,
                Err(e) => return one_line_error("PlanFile::parse", &e.to_string()),
            }
        };
        runnable(&plan, rng)
    }
}

/// Whether a TOML string of the text may hold a line break (a multi-line
/// string, or an escaped one).
pub fn multiline_strings(text: &str) -> bool {
    ["\"\"\"", "'''", "\\n", "\\r"]
        .iter()
        .any(|p| text.contains(p))
}

/// An error must be one line (it is printed as `error: ...`, exit 2).
pub fn one_line_error(what: &str, e: &str) -> Outcome {
    if e.trim().is_empty() || e.contains('\n') {
        return Err(Finding::new(
            format!("{what}: the error is not one line"),
            format!("{e:?}"),
        ));
    }
    Ok(())
}

/// The largest number of time-series buckets a case may make in-process;
/// beyond it, it runs in a child with a memory limit.
pub const MAX_BUCKETS: f64 = 2_000.0;
/// More users in a group than one pace process can run: the runner spawns
/// a task per user (user numbers are u32).
const MAX_USERS: u64 = 1_000_000;
/// The most starts of one user a case may simulate in-process.
const MAX_STARTS: f64 = 100_000.0;

/// Why running this plan's schedules or time series in-process may
/// allocate or loop without bound: every reason that applies, so that a
/// child's failure is never blamed on a reason it did not have.
pub fn plan_hazard(plan: &PlanFile) -> Option<String> {
    let end = plan.run.duration.0 + plan.run.grace.0;
    let mut why = Vec::new();
    if above(end / plan.run.ts_interval.0, MAX_BUCKETS) {
        why.push("run length / ts_interval: time-series buckets");
    }
    if schedule_hazard(plan) {
        why.push("run length / pacing interval: schedule steps");
    }
    if above(closed_loop_cost(plan), MAX_CLOSED_STEPS) {
        why.push("users x run length / cycle: closed-loop band steps");
    }
    (!why.is_empty()).then(|| why.join(" + "))
}

/// The most closed-loop cycles the band may count in-process (it counts
/// every user's every cycle in the window: src/plan/band.rs closed_count).
const MAX_CLOSED_STEPS: f64 = 1e6;

/// How many cycles the acceptance band of the plan's closed-loop groups
/// (after-end, back to back) counts: users x window / mean cycle.
fn closed_loop_cost(plan: &PlanFile) -> f64 {
    plan.groups
        .iter()
        .zip(plan.cadences())
        .filter_map(|(g, c)| {
            let c = c.ok()?;
            c.is_closed_loop()
                .then(|| g.users as f64 * plan.run.duration.0 / c.mean_cycle())
        })
        .map(|v| if v.is_nan() { f64::INFINITY } else { v })
        .sum()
}

/// A pacing interval so short for the run that one user's schedule makes
/// more than [`MAX_STARTS`] starts, or cannot advance at all.
fn schedule_hazard(plan: &PlanFile) -> bool {
    let end = plan.run.duration.0 + plan.run.grace.0;
    plan.groups.iter().any(|g| {
        g.pacing.distribution().is_some_and(|p| {
            let shortest = if p.min() > 0.0 { p.min() } else { p.mean() };
            above(end / shortest, MAX_STARTS)
                || shortest.partial_cmp(&(end.max(1.0) * 1e-12))
                    != Some(std::cmp::Ordering::Greater)
        })
    })
}

/// The KNOWN_OPEN kind a loaded plan belongs to, if any: the same
/// conditions the checks below report.
pub fn known_in_plan(plan: &PlanFile) -> Option<Known> {
    let r = &plan.run;
    let now = std::time::Instant::now();
    let at = |v: f64| {
        Duration::try_from_secs_f64(v)
            .ok()
            .and_then(|d| now.checked_add(d))
            .is_some()
    };
    let mut huge = !at(r.duration.0) || !at(r.duration.0 + r.grace.0);
    for g in &plan.groups {
        huge |= g.script.is_some() && !at(g.script_timeout());
        for s in &g.steps {
            let think = match &s.think {
                Some(pace::plan::think::Think::Fixed(v)) => vec![Some(*v)],
                Some(pace::plan::think::Think::Table(t)) => vec![t.value, t.min, t.max, t.mean],
                None => vec![],
            };
            for v in think.into_iter().chain([s.timeout]).flatten() {
                huge |= Duration::try_from_secs_f64(v.0).is_err();
            }
        }
    }
    if huge {
        return Some(Known::HugeDuration);
    }
    let users = plan
        .groups
        .iter()
        .try_fold(0u64, |a, g| a.checked_add(g.users));
    if users.is_none() || plan.groups.iter().any(|g| g.users > MAX_USERS) {
        return Some(Known::HugeUserCount);
    }
    if schedule_hazard(plan) {
        return Some(Known::TinyPacingInterval);
    }
    if above(closed_loop_cost(plan), MAX_CLOSED_STEPS) {
        return Some(Known::SlowClosedLoopBand);
    }
    if above((r.duration.0 + r.grace.0) / r.ts_interval.0, MAX_BUCKETS) {
        return Some(Known::TinyTsInterval);
    }
    None
}

/// Everything a run does with a plan before and after its traffic that
/// does not need a network: each call is pace's own code, or states the
/// precondition the runner relies on where the runner cannot be called
/// without sending requests.
pub fn runnable(plan: &PlanFile, rng: &mut Rng) -> Outcome {
    // What `pace run --check` prints.
    let cadences = plan.cadences();
    let _ = plan.group_tps();
    let planned = plan.planned_tps();
    let _ = plan.band();
    let users: Option<u64> = plan
        .groups
        .iter()
        .try_fold(0u64, |a, g| a.checked_add(g.users));
    let Some(users) = users else {
        return Err(Finding::new(
            "group.users: the total overflows u64 (src/runner/mod.rs and `run --check` sum it)",
            "users summed over groups",
        ));
    };
    let _ = users;
    if let Some((i, g)) = plan
        .groups
        .iter()
        .enumerate()
        .find(|(_, g)| g.users > MAX_USERS)
    {
        return Err(Finding::new(
            "group.users: over a million users in a group accepted; the runner spawns a task per user and numbers users as u32 (allocation sized by input)",
            format!("group[{i}].users = {}", g.users),
        ));
    }

    // The durations the runner builds (src/runner/mod.rs: `t0 +
    // Duration::from_secs_f64(duration)`, `end + from_secs_f64(grace)`;
    // scripts.rs: `from_secs_f64(script_timeout)`): they must be
    // representable, and so must the instants.
    let now = std::time::Instant::now();
    let r = &plan.run;
    let instant = |key: &str,
                   v: f64,
                   base: std::time::Instant|
     -> Result<std::time::Instant, Finding> {
        Duration::try_from_secs_f64(v)
            .ok()
            .and_then(|d| base.checked_add(d))
            .ok_or_else(|| {
                Finding::new(
                    format!("{key}: accepted, but the runner's Instant + Duration::from_secs_f64({key}) panics"),
                    format!("{key} = {v} s"),
                )
            })
    };
    let end = instant("run.duration", r.duration.0, now)?;
    instant("run.grace", r.grace.0, end)?;
    for (i, g) in plan.groups.iter().enumerate() {
        if g.script.is_some() {
            instant(
                &format!("group[{i}].script_timeout"),
                g.script_timeout(),
                now,
            )?;
        }
        // Each step as the runner builds it (its own Duration::from_secs_f64).
        let lookup = |k: &str| (k == "PACE_TARGET").then(|| "http://127.0.0.1:9".to_string());
        for s in &g.steps {
            let _ = pace::runner::http::Step::build(s, &lookup);
        }
    }
    // The embedded target's delays, as its server turns them into sleeps.
    if let Some(e) = &plan.target.embedded
        && let Ok(cfg) = e.to_config()
    {
        let _ = cfg.describe();
        let mut r = rand_rng(rng);
        for _ in 0..4 {
            let v = cfg.latency.sample(&mut r);
            if Duration::try_from_secs_f64(v).is_err() {
                return Err(Finding::new(
                    "target.embedded.latency: a drawn delay is not a Duration (src/target/server.rs)",
                    format!("{v}"),
                ));
            }
        }
    }
    // Every user's schedule: the first start, a few iterations, and what
    // a run that ends now has missed.
    let ramp = r.ramp_up();
    let rt = plan.target.response_time.map_or(0.05, |t| t.0);
    let mut rr = rand_rng(rng);
    for (gi, g) in plan.groups.iter().enumerate() {
        let cadence = match g.pacing.mode {
            PacingMode::AfterEnd => Some(Cadence::AfterEnd(
                g.pacing.delay.map(|d| d.0).unwrap_or(0.0),
            )),
            PacingMode::None => Some(Cadence::BackToBack),
            PacingMode::ArrivalRate => None,
            _ => g.pacing.distribution().map(Cadence::Paced),
        };
        let Some(cadence) = cadence else {
            if g.pacing.mode == PacingMode::ArrivalRate {
                // src/runner/mod.rs arrivals(): `at += 1 / rate` until `duration`.
                let rate = g.pacing.rate.map(|r| r.0).unwrap_or(0.0);
                let interval = 1.0 / rate;
                // Also NaN: a rate of nothing never advances either.
                if (r.duration.0 + interval).partial_cmp(&r.duration.0)
                    != Some(std::cmp::Ordering::Greater)
                {
                    return Err(Finding::new(
                        "group.pacing.rate: so high that the runner's `at += 1 / rate` never reaches duration (an endless loop in src/runner/mod.rs arrivals)",
                        format!("group[{gi}] rate {rate}/s, duration {} s", r.duration.0),
                    ));
                }
            } else if cadences.get(gi).is_some_and(|c| c.is_ok()) {
                return Err(Finding::new(
                    "a paced group the checks accept has no distribution for the runner",
                    format!("group[{gi}]"),
                ));
            }
            continue;
        };
        for u in [0, g.users.saturating_sub(1)] {
            let offset = u as f64 * ramp / g.users as f64;
            let mut s = UserSchedule::new(cadence, g.pacing.late);
            let mut started = s.first(offset, &mut rr);
            for k in 0..8 {
                // Alternately on time and overrunning (real iterations take
                // real time, whatever the plan assumes).
                let took = if k % 2 == 0 { 0.01 } else { 5.0 };
                let n = s.next(started, started + took, &mut rr);
                started = n.at;
                if started > r.duration.0 {
                    break;
                }
            }
            let _ = s.backlog(r.duration.0.min(started + 60.0), &mut rr);
        }
    }
    // A run as long as the plan, folded as the recorder does, judged, and
    // its summary written.
    let window = pace::cli::finish::window(plan, false, 0.0);
    let mut agg = Aggregate::for_plan(plan, window);
    let t_end = r.duration.0 + r.grace.0;
    for g in &plan.groups {
        agg.add(&Sample::event(Kind::UserStart, 0.0, g.name.as_str(), 0));
        let t = ramp.min(r.duration.0);
        let names: Vec<String> = if g.steps.is_empty() {
            vec![g.name.clone()]
        } else {
            g.steps.iter().map(|s| s.name.clone()).collect()
        };
        for (k, name) in names.iter().enumerate() {
            let mut s = Sample::event(Kind::Step, t, g.name.as_str(), 0);
            s.name = name.as_str().into();
            s.latency = rt * (k + 1) as f64;
            s.latency_sched = s.latency;
            s.status = 200;
            agg.add(&s);
        }
        let mut it = Sample::event(Kind::Iteration, t, g.name.as_str(), 0);
        it.latency = rt * names.len() as f64;
        agg.add(&it);
        agg.add(&Sample::event(Kind::UserStop, t_end, g.name.as_str(), 0));
    }
    let _ = pace::verdict::expect::expected(plan, &agg);
    let meta = pace::results::summary::RunMeta {
        plan_file: "plan.toml".into(),
        seed: r.seed.unwrap_or(0),
        started_at: "2026-11-30T00:00:00Z".into(),
        finished_at: "2026-11-30T01:00:00Z".into(),
        started_epoch_ms: 0,
        run_time_s: t_end,
        duration_s: r.duration.0,
        ramp_up_s: ramp,
        ts_interval_s: r.ts_interval.0,
        late_policy: pace::cli::finish::late_policy(plan),
        partial: false,
        partial_reason: None,
        vars: Default::default(),
        shard: None,
        window_s: None,
        ran_shards: None,
        overrides: None,
        targets: Vec::new(),
        generator: None,
    };
    let summary = pace::cli::finish::judged(plan, &agg, meta);
    let _ = serde_json::to_string(&summary);
    let _ = planned;
    Ok(())
}

/// A `rand` generator seeded from ours (pace's code takes `rand::Rng`).
pub fn rand_rng(rng: &mut Rng) -> rand::rngs::Xoshiro256PlusPlus {
    use rand::SeedableRng;
    rand::rngs::Xoshiro256PlusPlus::seed_from_u64(rng.next_u64())
}
