//! Fuzz target `samples_csv`: results folders (plan.toml, samples.csv and
//! sometimes summary.json) whose samples are mutated field by field and row
//! by row (values of every column's type at their edges, rows duplicated,
//! dropped, reordered, torn; columns dropped, swapped, renamed), read back
//! as `pace verify` and `pace report` do: `finish::reload` (open_samples,
//! re-aggregation), the verdict, summary.json, and on some cases every
//! report (`finish::publish`, no database, no hook) and the `pace` binary
//! itself.
//!
//! The property: a folder is judged or refused with a one-line error
//! (exit 2); nothing panics, hangs or allocates without bound.

use crate::Known;
use crate::engine::{self, Finding, Outcome, Rng, Target, above};
use crate::mutate::{self, MAX_TEXT, NUMBERS, STRINGS};
use crate::plan::{MAX_BUCKETS, one_line_error};
use pace::cli::finish;
use std::path::{Path, PathBuf};
use std::time::Duration;

const FLOAT_COLUMNS: &[&str] = &[
    "t",
    "iter_start",
    "iter_sched",
    "latency",
    "latency_sched",
    "late",
    "ttfb",
    "iter_planned",
    "connect",
];
const KINDS: &[&str] = &[
    "step",
    "iteration",
    "timer",
    "dropped",
    "skipped",
    "user_start",
    "user_stop",
    "retired",
    "missed",
    "Step",
    "",
    "bogus",
];
const ERROR_KINDS: &[&str] = &[
    "",
    "connect",
    "timeout",
    "status",
    "expectation",
    "io",
    "script",
    "worker",
    "cutoff",
    "other",
];

/// A CSV field, quoted where it must be.
fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

fn value_for(rng: &mut Rng, column: &str, groups: &[String]) -> String {
    if rng.chance(1, 12) {
        return csv_field(rng.pick(STRINGS));
    }
    match column {
        c if FLOAT_COLUMNS.contains(&c) => {
            if rng.chance(1, 6) {
                rng.pick(&["", "abc", "1e400", "0x1", "1,5"]).to_string()
            } else {
                csv_field(rng.pick(NUMBERS))
            }
        }
        "user" | "iteration" | "status" | "bytes" => rng
            .pick(&[
                "0",
                "1",
                "-1",
                "65535",
                "65536",
                "4294967295",
                "4294967296",
                "18446744073709551615",
                "18446744073709551616",
                "1.5",
                "",
                "200",
                "500",
            ])
            .to_string(),
        "ok" | "overrun" => rng
            .pick(&["true", "false", "TRUE", "1", "", "yes"])
            .to_string(),
        "kind" => rng.pick(KINDS).to_string(),
        "error_kind" => rng.pick(ERROR_KINDS).to_string(),
        "group" | "name" => {
            if rng.chance(1, 2) && !groups.is_empty() {
                rng.pick(groups).clone()
            } else {
                csv_field(rng.pick(&[
                    "",
                    "g",
                    "other",
                    "a (custom timer)",
                    "s",
                    "日本",
                    "a,b",
                    "q\"uote",
                    "line\nbreak",
                ]))
            }
        }
        _ => csv_field(rng.pick(STRINGS)),
    }
}

/// Splits a CSV line into fields (the seeds quote nothing; mutated fields
/// may be quoted, which a naive split keeps together well enough).
fn fields(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    for c in line.chars() {
        match c {
            '"' => {
                quoted = !quoted;
                cur.push(c);
            }
            ',' if !quoted => out.push(std::mem::take(&mut cur)),
            _ => cur.push(c),
        }
    }
    out.push(cur);
    out
}

/// One structured edit of a samples file.
fn mutate_once(rng: &mut Rng, text: &str, groups: &[String]) -> String {
    let mut ls = mutate::lines(text);
    // The last element is "" after the final newline: rows are 1..end.
    let header = fields(ls.first().map(String::as_str).unwrap_or(""));
    let rows: Vec<usize> = (1..ls.len()).filter(|&i| !ls[i].is_empty()).collect();
    match rng.below(12) {
        0..=3 if !rows.is_empty() && !header.is_empty() => {
            for _ in 0..rng.between(1, 3) {
                let i = rng.pick(&rows);
                let mut f = fields(&ls[i]);
                if f.is_empty() {
                    continue;
                }
                let c = rng.below(f.len());
                let col = header.get(c).cloned().unwrap_or_default();
                f[c] = value_for(rng, &col, groups);
                ls[i] = f.join(",");
            }
        }
        4 if !rows.is_empty() => {
            let i = rng.pick(&rows);
            ls[i] = mutate::perturb_digits(rng, &ls[i]);
        }
        5 if !rows.is_empty() && text.len() < MAX_TEXT / 2 => {
            // A row repeated: volume, and the same sample twice.
            let i = rng.pick(&rows);
            let l = ls[i].clone();
            for _ in 0..rng.between(1, 50) {
                ls.insert(i, l.clone());
            }
        }
        6 if !rows.is_empty() => {
            let i = rng.pick(&rows);
            match rng.below(3) {
                0 => {
                    ls.remove(i);
                }
                1 => {
                    let j = rng.pick(&rows);
                    ls.swap(i, j);
                }
                _ => {
                    let end = ls.len() - usize::from(ls.last().is_some_and(|l| l.is_empty()));
                    ls[1..end].reverse();
                }
            }
        }
        7 if !header.is_empty() => {
            // A column dropped, swapped or renamed, in every row.
            let c = rng.below(header.len());
            let op = rng.below(3);
            let d = rng.below(header.len());
            for (n, l) in ls.iter_mut().enumerate() {
                if l.is_empty() {
                    continue;
                }
                let mut f = fields(l);
                match op {
                    0 if c < f.len() => {
                        f.remove(c);
                    }
                    1 if c < f.len() && d < f.len() => f.swap(c, d),
                    2 if n == 0 && c < f.len() => {
                        f[c] = rng.pick(&["T", "extra", "", "t", "kind"]).to_string()
                    }
                    _ => {}
                }
                *l = f.join(",");
            }
        }
        8 => {
            // Every time of the file scaled: a longer (or stranger) run.
            let factor = rng.pick(&[1e3, 1e6, 1e-3, -1.0, 1e300]);
            let cols: Vec<usize> = header
                .iter()
                .enumerate()
                .filter(|(_, h)| FLOAT_COLUMNS.contains(&h.as_str()))
                .map(|(i, _)| i)
                .collect();
            for &i in &rows {
                let mut f = fields(&ls[i]);
                for &c in &cols {
                    if let Some(v) = f.get(c).and_then(|v| v.parse::<f64>().ok()) {
                        f[c] = format!("{}", v * factor);
                    }
                }
                ls[i] = f.join(",");
            }
        }
        9 => {
            // Torn: cut anywhere (a killed run), or no final newline.
            let b = text.as_bytes();
            let cut = rng.below(b.len() + 1);
            return String::from_utf8_lossy(&b[..cut]).into_owned();
        }
        10 if !rows.is_empty() => {
            // A row of another kind, keeping its fields.
            let i = rng.pick(&rows);
            let mut f = fields(&ls[i]);
            if !f.is_empty() {
                f[0] = rng.pick(KINDS).to_string();
            }
            ls[i] = f.join(",");
        }
        _ => return mutate::text_edit(rng, text),
    }
    mutate::join(&ls)
}

/// One structured edit of a samples file whose groups are unknown (the
/// other targets' folders).
pub fn mutate_samples(rng: &mut Rng, text: &str) -> String {
    mutate_once(rng, text, &[])
}

/// A results folder to start from.
#[derive(Debug, Clone)]
struct Seed {
    plan: String,
    samples: String,
    summary: Option<String>,
    groups: Vec<String>,
}

/// A generated results folder, and how it is read back.
#[derive(Debug, Clone)]
pub struct SamplesCase {
    pub plan: String,
    pub samples: String,
    pub summary: Option<String>,
    /// `pace report --ts-interval` (seconds), or the plan's.
    pub ts: Option<f64>,
    /// Also write every report (`pace report`), not only judge (`pace verify`).
    pub publish: bool,
    /// Also run the `pace` binary on the folder.
    pub binary: bool,
}

pub struct SamplesTarget {
    seeds: Vec<Seed>,
    tmp: tempfile::TempDir,
    dir: PathBuf,
    bin_every: u64,
    publish_every: u64,
}

impl SamplesTarget {
    pub fn new() -> SamplesTarget {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
        let mut seeds = Vec::new();
        let tmp = crate::engine::scratch();
        let dir = tmp.path().join("20261130-000000");
        std::fs::create_dir(&dir).expect("the results folder");
        for d in [
            "golden",
            "cases/killed-run-verdict-pass/res",
            "cases/killed-run-partial-line/res",
            "cases/concurrent-report-tmp-collision/res",
        ] {
            let plan = std::fs::read_to_string(root.join(d).join("plan.toml")).expect("seed plan");
            let samples =
                std::fs::read_to_string(root.join(d).join("samples.csv")).expect("seed samples");
            let groups = pace::plan::file::PlanFile::parse(&plan, "plan.toml")
                .map(|p| {
                    p.groups
                        .iter()
                        .flat_map(|g| {
                            std::iter::once(g.name.clone())
                                .chain(g.steps.iter().map(|s| s.name.clone()))
                        })
                        .collect()
                })
                .unwrap_or_default();
            // Its summary.json, as a completed run would have left it.
            std::fs::write(dir.join("plan.toml"), &plan).unwrap();
            std::fs::write(dir.join("samples.csv"), &samples).unwrap();
            let _ = std::fs::remove_file(dir.join("summary.json"));
            let summary = finish::reload(&dir, None, None)
                .ok()
                .map(|(plan, agg, mut meta)| {
                    meta.partial = false;
                    meta.partial_reason = None;
                    serde_json::to_string_pretty(&finish::judged(&plan, &agg, meta)).unwrap()
                });
            seeds.push(Seed {
                plan,
                samples,
                summary,
                groups,
            });
        }
        let every = |k: &str, d: u64| {
            std::env::var(k)
                .ok()
                .and_then(|v| v.parse().ok())
                .unwrap_or(d)
                .max(1)
        };
        SamplesTarget {
            seeds,
            tmp,
            dir,
            bin_every: every("PACE_FUZZ_BIN_EVERY", 100),
            publish_every: every("PACE_FUZZ_PUBLISH_EVERY", 20),
        }
    }
}

/// A plan edit that keeps it a plan pace would judge this folder with
/// (no hooks: a published folder runs none, but keep them out anyway).
fn mutate_plan(rng: &mut Rng, plan: &str) -> String {
    let mut ls: Vec<String> = mutate::lines(plan)
        .into_iter()
        .filter(|l| {
            !["post_run", "results_database", "worker", "interpreter"]
                .iter()
                .any(|k| l.trim_start().starts_with(k))
        })
        .collect();
    let key = rng.pick(&["ts_interval", "duration", "ramp_up", "grace"]);
    let v = rng.pick(&[
        "\"1s\"",
        "\"10s\"",
        "\"0.5s\"",
        "\"100ms\"",
        "\"1us\"",
        "1e-9",
        "\"1h\"",
        "\"0s\"",
        "1e308",
        "\"3s\"",
    ]);
    match ls.iter().position(|l| l.trim_start().starts_with(key)) {
        Some(i) => ls[i] = format!("{key} = {v}"),
        None => {
            if let Some(i) = ls.iter().position(|l| l.trim() == "[run]") {
                ls.insert(i + 1, format!("{key} = {v}"));
            }
        }
    }
    if rng.chance(1, 3) {
        let th = rng.pick(&["p50", "p95", "p99", "max", "error_rate"]);
        let val = if th == "error_rate" {
            "\"1%\""
        } else {
            "\"150ms\""
        };
        match ls.iter().position(|l| l.trim() == "[acceptance]") {
            Some(i) => ls.insert(i + 1, format!("{th} = {val}")),
            None => ls.push(format!("[acceptance]\n{th} = {val}")),
        }
    }
    mutate::join(&ls)
}

/// A summary.json edit: its run facts at their edges.
fn mutate_summary(rng: &mut Rng, s: &str) -> String {
    let keys = [
        "run_time_s",
        "duration_s",
        "ramp_up_s",
        "ts_interval_s",
        "started_epoch_ms",
        "seed",
        "partial",
    ];
    let key = rng.pick(&keys);
    let v = rng.pick(&[
        "0",
        "-1",
        "1e308",
        "1e-300",
        "18446744073709551615",
        "true",
        "null",
        "\"x\"",
        "1e15",
    ]);
    let pat = format!("\"{key}\": ");
    match s.find(&pat) {
        Some(i) => {
            let start = i + pat.len();
            let end = s[start..]
                .find([',', '\n', '}'])
                .map_or(s.len(), |e| start + e);
            format!("{}{v}{}", &s[..start], &s[end..])
        }
        None => mutate::text_edit(rng, s),
    }
}

/// The largest time (or time + latency) a row of the file gives, by the
/// plan's columns; `None` when no row reads.
fn max_time(samples: &str) -> f64 {
    let mut rdr = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(samples.as_bytes());
    let Ok(h) = rdr.headers().cloned() else {
        return 0.0;
    };
    let col = |n: &str| h.iter().position(|c| c == n);
    let (t, lat) = (col("t"), col("latency"));
    let mut m: f64 = 0.0;
    for r in rdr.records().flatten() {
        let get = |c: Option<usize>| {
            c.and_then(|c| r.get(c))
                .and_then(|v| v.trim().parse::<f64>().ok())
                .unwrap_or(0.0)
        };
        let v = get(t) + get(lat);
        if v.is_nan() {
            continue;
        }
        m = m.max(v.abs()).max(get(t).abs());
    }
    m
}

/// Whether any time of the file is NaN, infinite, negative or huge: the
/// corrupted values of KNOWN_OPEN `CorruptSampleTimes`.
fn corrupt_times(samples: &str) -> bool {
    let mut rdr = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(samples.as_bytes());
    let Ok(h) = rdr.headers().cloned() else {
        return false;
    };
    let cols: Vec<usize> = h
        .iter()
        .enumerate()
        .filter(|(_, c)| FLOAT_COLUMNS.contains(c))
        .map(|(i, _)| i)
        .collect();
    rdr.records().flatten().any(|r| {
        cols.iter().any(|&c| {
            r.get(c)
                .and_then(|v| v.trim().parse::<f64>().ok())
                .is_some_and(|v| !(0.0..=1e9).contains(&v))
        })
    })
}

/// Whether a field the reader may echo in an error (any but the free-text
/// columns `group`, `name` and `error`) holds a line break.
fn quoted_line_break(samples: &str) -> bool {
    let mut rdr = csv::ReaderBuilder::new()
        .flexible(true)
        .has_headers(false)
        .from_reader(samples.as_bytes());
    let mut header: Vec<String> = Vec::new();
    for (n, r) in rdr.records().enumerate() {
        let Ok(r) = r else { return false };
        if n == 0 {
            header = r.iter().map(str::to_string).collect();
        }
        for (i, f) in r.iter().enumerate() {
            let col = header.get(i).map(String::as_str).unwrap_or("");
            if f.contains(['\n', '\r']) && !matches!(col, "group" | "name" | "error") {
                return true;
            }
        }
    }
    false
}

/// The interval the folder is re-aggregated with.
fn ts_of(c: &SamplesCase) -> f64 {
    c.ts.unwrap_or_else(|| {
        pace::plan::file::PlanFile::parse(&c.plan, "plan.toml")
            .map(|p| p.run.ts_interval.0)
            .unwrap_or(10.0)
    })
}

/// The run time summary.json claims, if it parses.
fn summary_run_time(c: &SamplesCase) -> f64 {
    c.summary
        .as_deref()
        .and_then(|s| serde_json::from_str::<serde_json::Value>(s).ok())
        .and_then(|v| v.pointer("/meta/run_time_s").and_then(|x| x.as_f64()))
        .unwrap_or(0.0)
}

impl Target for SamplesTarget {
    type Input = SamplesCase;
    const NAME: &'static str = "samples_csv";
    const CI_CASES: u64 = 1500;

    fn generate(&mut self, rng: &mut Rng) -> SamplesCase {
        let seed = rng.pick(&self.seeds).clone();
        let mut samples = seed.samples.clone();
        let n = rng.pick(&[0, 1, 1, 1, 2, 2, 3, 4]);
        for _ in 0..n {
            samples = mutate_once(rng, &samples, &seed.groups);
            if samples.len() > MAX_TEXT * 4 {
                samples.truncate(samples.floor_char_boundary(MAX_TEXT * 4));
            }
        }
        let plan = if rng.chance(1, 4) {
            mutate_plan(rng, &seed.plan)
        } else {
            seed.plan.clone()
        };
        let summary = match &seed.summary {
            Some(s) if rng.chance(1, 2) => Some(if rng.chance(1, 3) {
                mutate_summary(rng, s)
            } else {
                s.clone()
            }),
            _ => None,
        };
        let ts = rng
            .chance(1, 5)
            .then(|| rng.pick(&[0.5, 1.0, 30.0, 1e-6, 1e-9, 3600.0, 1e300, 5e-324]));
        SamplesCase {
            plan,
            samples,
            summary,
            ts,
            publish: rng.chance(1, self.publish_every),
            binary: rng.chance(1, self.bin_every),
        }
    }

    fn render(&self, c: &SamplesCase) -> String {
        let mut s = String::new();
        s.push_str(if c.publish {
            "# pace report DIR"
        } else {
            "# pace verify DIR"
        });
        if let Some(ts) = c.ts {
            s.push_str(&format!(" --ts-interval {ts:e}"));
        }
        s.push_str("\n## DIR/plan.toml\n");
        s.push_str(&c.plan);
        s.push_str("\n## DIR/samples.csv\n");
        s.push_str(&c.samples);
        if let Some(j) = &c.summary {
            s.push_str("\n## DIR/summary.json\n");
            s.push_str(j);
        }
        s
    }

    fn shrink(&self, c: &SamplesCase) -> Vec<SamplesCase> {
        let mut out = Vec::new();
        if c.binary || c.publish {
            out.push(SamplesCase {
                binary: false,
                publish: false,
                ..c.clone()
            });
        }
        if c.summary.is_some() {
            out.push(SamplesCase {
                summary: None,
                ..c.clone()
            });
        }
        // Keep the header: drop rows.
        let ls = mutate::lines(&c.samples);
        if ls.len() > 2 {
            for cand in mutate::shrink_lines(&ls[1..].join("\n")) {
                out.push(SamplesCase {
                    samples: format!("{}\n{cand}", ls[0]),
                    ..c.clone()
                });
            }
        }
        for cand in mutate::shrink_lines(&c.plan) {
            out.push(SamplesCase {
                plan: cand,
                ..c.clone()
            });
        }
        out
    }

    fn known_open(&mut self, c: &SamplesCase) -> Option<Known> {
        if corrupt_times(&c.samples) {
            return Some(Known::CorruptSampleTimes);
        }
        if above(summary_run_time(c) / ts_of(c), MAX_BUCKETS) {
            return Some(Known::CorruptSummaryJson);
        }
        if quoted_line_break(&c.samples) {
            return Some(Known::MultilineSampleError);
        }
        if c.samples.contains(",4294967295,") {
            return Some(Known::UserNumberOverflow);
        }
        if above(
            max_time(&c.samples).max(summary_run_time(c)) / ts_of(c),
            MAX_BUCKETS,
        ) {
            return Some(Known::TinyTsInterval);
        }
        if let Ok(p) = pace::plan::file::PlanFile::parse(&c.plan, "plan.toml") {
            return crate::plan::known_in_plan(&p);
        }
        None
    }

    fn hazard(&mut self, c: &SamplesCase) -> Option<String> {
        let ts = ts_of(c);
        let mut why = Vec::new();
        if above(max_time(&c.samples) / ts, MAX_BUCKETS) {
            why.push("sample times / ts_interval: time-series buckets");
        }
        if above(summary_run_time(c) / ts, MAX_BUCKETS) {
            why.push("summary.json run_time_s / ts_interval: time-series intervals");
        }
        (!why.is_empty()).then(|| why.join(" + "))
    }

    fn run(&mut self, c: &SamplesCase, rng: &mut Rng) -> Outcome {
        let dir = &self.dir;
        std::fs::write(dir.join("plan.toml"), &c.plan).expect("write plan.toml");
        std::fs::write(dir.join("samples.csv"), &c.samples).expect("write samples.csv");
        match &c.summary {
            Some(s) => std::fs::write(dir.join("summary.json"), s).expect("write summary.json"),
            None => {
                let _ = std::fs::remove_file(dir.join("summary.json"));
            }
        }
        let (plan, agg, meta) = match finish::reload(dir, None, c.ts) {
            Ok(x) => x,
            Err(e) => return one_line_error("reload (pace verify/report)", &e),
        };
        let summary = finish::judged(&plan, &agg, meta.clone());
        let _ = serde_json::to_string_pretty(&summary);
        if c.publish {
            let p = finish::Publish {
                xml: rng.chance(1, 2),
                db: None,
                post_run: None,
                quiet: true,
                ..Default::default()
            };
            let done = finish::publish(plan, &agg, meta, dir, &p);
            if !done.reports_written {
                return Err(Finding::new(
                    "publish (pace report): a report could not be written from samples reload accepted",
                    format!("exit {}", done.code),
                ));
            }
        }
        if c.binary {
            // The same folder through the binary, as a user runs it.
            let mut args = vec![if c.publish { "report" } else { "verify" }.to_string()];
            args.push(dir.display().to_string());
            if let (true, Some(ts)) = (c.publish, c.ts) {
                args.push(format!("--ts-interval={ts}"));
            }
            check_binary(&args, self.tmp.path())?;
        }
        Ok(())
    }
}

/// Runs `pace ARGS` (address space and time limited) and checks how it
/// ended: no panic, no signal, an exit code of the README's table, and a
/// bad input said in an `error:` line with exit 2.
pub fn check_binary(args: &[String], cwd: &Path) -> Outcome {
    check_binary_in(args, cwd, 2 << 30)
}

/// [`check_binary`] in an address space of `limit` bytes.
pub fn check_binary_in(args: &[String], cwd: &Path, limit: u64) -> Outcome {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_pace"));
    cmd.args(args)
        .current_dir(cwd)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    binary_outcome(cmd, &args[0], &args.join(" "), limit)
}

/// How a run of the binary ended, as a finding if it ended badly.
/// `limit` is its address space (bytes): an abort or a kill under it is
/// reported as a memory bound of its own kind.
pub fn binary_outcome(
    mut cmd: std::process::Command,
    sub: &str,
    shown: &str,
    limit: u64,
) -> Outcome {
    engine::limit_memory(&mut cmd, limit);
    let out = engine::run_with_timeout(cmd, Duration::from_secs(30))
        .map_err(|e| Finding::new("binary: could not start", e))?;
    binary_outcome_of(&out, sub, shown, limit)
}

/// [`binary_outcome`] of a run that ended.
pub fn binary_outcome_of(out: &engine::ChildOutput, sub: &str, shown: &str, limit: u64) -> Outcome {
    let stderr = String::from_utf8_lossy(&out.stderr);
    if let Some(p) = stderr.find("panicked at ") {
        let loc = stderr[p + 12..]
            .split([':', '\n'])
            .next()
            .unwrap_or("?")
            .to_string();
        let line = stderr[p + 12..]
            .split(':')
            .nth(1)
            .unwrap_or("?")
            .to_string();
        return Err(Finding::new(
            format!("binary `pace {sub}`: panic at {loc}:{line}"),
            format!(
                "pace {shown}: {}",
                stderr.lines().take(3).collect::<Vec<_>>().join(" / ")
            ),
        ));
    }
    if out.timed_out {
        return Err(Finding::new(
            format!("binary `pace {sub}`: hang (killed after 30 s)"),
            format!("pace {shown}"),
        ));
    }
    match out.status.code() {
        None if [
            "memory allocation",
            "out of memory",
            "Cannot allocate memory",
        ]
        .iter()
        .any(|m| stderr.contains(m)) =>
        {
            Err(Finding::new(
                format!(
                    "memory bound: binary `pace {sub}` aborted under its {} MiB address-space limit",
                    limit >> 20
                ),
                format!(
                    "pace {shown}: {:?}: {}",
                    out.status,
                    stderr.lines().last().unwrap_or("")
                ),
            ))
        }
        None => Err(Finding::new(
            format!(
                "binary `pace {sub}`: killed by a signal (address space {} MiB)",
                limit >> 20
            ),
            format!(
                "pace {shown}: {:?}: {}",
                out.status,
                stderr.lines().last().unwrap_or("")
            ),
        )),
        Some(2) if !stderr.lines().any(|l| l.starts_with("error:")) => Err(Finding::new(
            format!("binary `pace {sub}`: exit 2 without an `error:` line"),
            format!("pace {shown}: {stderr:?}"),
        )),
        Some(0..=4) => Ok(()),
        Some(code) => Err(Finding::new(
            format!("binary `pace {sub}`: exit code {code}"),
            format!("pace {shown}: {stderr:?}"),
        )),
    }
}
