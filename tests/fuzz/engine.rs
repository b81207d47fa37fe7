//! The fuzzing engine: deterministic case generation, one case at a time
//! under `catch_unwind`, failures collected and deduplicated (a panic by
//! where it happened, an oracle's finding by its kind), each with the
//! smallest input found for it; a watchdog for hangs and runaway memory,
//! and a child process for the inputs that may allocate without bound.
//!
//! Every case `i` is generated from its own seed (the base seed and `i`),
//! so any case can be replayed alone: `PACE_FUZZ_ONE=i`.
//!
//! Settings (environment):
//! - `PACE_FUZZ_CASES`: cases per target (default: the CI count of each target).
//! - `PACE_FUZZ_SEED`: the base seed (default [`DEFAULT_SEED`]).
//! - `PACE_FUZZ_ALL=1`: also generate the KNOWN_OPEN kinds (the long run).
//! - `PACE_FUZZ_ONE=i`: run case `i` only (and print it).
//! - `PACE_FUZZ_REPORT=FILE`: append the summary and every failure to FILE.
//! - `PACE_FUZZ_QUIET=1`: no progress lines.
//! - `PACE_FUZZ_SECONDS=N`: stop a target after N seconds (the report
//!   counts the cases that ran).
//! - `PACE_FUZZ_CASE_TIMEOUT=N`: the watchdog's limit for one case (60 s).
//! - `PACE_FUZZ_FROM=i`: start at case `i` (bench/fuzz.sh resumes there
//!   after the watchdog aborted a run).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::Write as _;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Once};
use std::time::{Duration, Instant};

/// The seed every run uses unless told otherwise: CI is deterministic.
pub const DEFAULT_SEED: u64 = 0x9ace_f022_2026_1130;

/// A small, fast, deterministic generator (SplitMix64): the inputs must not
/// change when a dependency's generator does.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (`n` > 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n.max(1) as u64) as usize
    }

    /// A number in `lo..=hi`.
    pub fn between(&mut self, lo: usize, hi: usize) -> usize {
        lo + self.below(hi - lo + 1)
    }

    /// True `num` times in `den`.
    pub fn chance(&mut self, num: u64, den: u64) -> bool {
        self.next_u64() % den < num
    }

    /// One of `xs` (not empty), cloned.
    pub fn pick<T: Clone>(&mut self, xs: &[T]) -> T {
        xs[self.below(xs.len())].clone()
    }

    /// A float in [0, 1).
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// Case `i`'s own seed.
pub fn case_seed(base: u64, target: &str, i: u64) -> u64 {
    let mut h = base ^ 0xcbf2_9ce4_8422_2325;
    for b in target.bytes() {
        h = (h ^ b as u64).wrapping_mul(0x100_0000_01b3);
    }
    Rng::new(h ^ i.wrapping_mul(0x9E37_79B9_7F4A_7C15)).next_u64()
}

/// What an oracle found wrong with a case that did not panic.
#[derive(Debug, Clone)]
pub struct Finding {
    /// What kind of failure it is: failures are deduplicated by it.
    pub key: String,
    /// The details of this occurrence.
    pub detail: String,
}

impl Finding {
    pub fn new(key: impl Into<String>, detail: impl Into<String>) -> Finding {
        Finding {
            key: key.into(),
            detail: detail.into(),
        }
    }
}

pub type Outcome = Result<(), Finding>;

/// One fuzz target: structured inputs, and what must hold for each.
pub trait Target {
    type Input: Clone;
    /// The test function's name: the child process runs `<exe> NAME --exact`.
    const NAME: &'static str;
    /// Cases per run in CI.
    const CI_CASES: u64;

    fn generate(&mut self, rng: &mut Rng) -> Self::Input;
    /// The input as a person reads it (a file's text, an argument vector).
    fn render(&self, input: &Self::Input) -> String;
    /// Smaller inputs to try when shrinking a failure, most aggressive first.
    fn shrink(&self, input: &Self::Input) -> Vec<Self::Input>;
    /// The KNOWN_OPEN kind this input belongs to, if any (see main.rs).
    fn known_open(&mut self, input: &Self::Input) -> Option<crate::Known>;
    /// A reason to run this input in a child process with a memory limit:
    /// it may allocate without bound (a cheap estimate, not a verdict).
    fn hazard(&mut self, input: &Self::Input) -> Option<String>;
    /// Runs the input through the code under test; `Err` is a finding. A
    /// panic is caught by the engine.
    fn run(&mut self, input: &Self::Input, rng: &mut Rng) -> Outcome;
}

/// A distinct failure and the smallest input seen for it.
#[derive(Debug, Clone)]
pub struct Failure {
    pub key: String,
    pub detail: String,
    pub count: u64,
    pub first_case: u64,
    pub minimal: String,
}

/// What a run of a target came to.
#[derive(Debug, Default)]
pub struct Report {
    pub target: String,
    pub seed: u64,
    /// The first case run (0 unless resumed).
    pub from: u64,
    pub cases: u64,
    /// Cases not run because they belong to a KNOWN_OPEN kind.
    pub known_open: BTreeMap<String, u64>,
    /// Cases run in a child process (hazards).
    pub isolated: u64,
    /// Hazardous cases not run: their kind had passed in enough children.
    pub hazards_skipped: BTreeMap<String, u64>,
    pub elapsed: Duration,
    pub failures: BTreeMap<String, Failure>,
}

impl Report {
    pub fn text(&self) -> String {
        let mut s = String::new();
        let rate = self.cases as f64 / self.elapsed.as_secs_f64().max(1e-9);
        let _ = writeln!(
            s,
            "fuzz target {}: {} cases (#{}..#{}) in {:.1} s ({:.0} cases/s), seed {:#x}, {} run in a child process, {} distinct failure(s)",
            self.target,
            self.cases,
            self.from,
            (self.from + self.cases).saturating_sub(1),
            self.elapsed.as_secs_f64(),
            rate,
            self.seed,
            self.isolated,
            self.failures.len()
        );
        for (k, n) in &self.known_open {
            let _ = writeln!(s, "  skipped as KNOWN_OPEN {k}: {n} case(s)");
        }
        for (k, n) in &self.hazards_skipped {
            let _ = writeln!(
                s,
                "  not run: {n} more case(s) of hazard [{k}] after {HAZARD_CHILDREN} children passed"
            );
        }
        for f in self.failures.values() {
            let _ = writeln!(
                s,
                "--- FAILURE [{}] {}\n    {} case(s), first case #{} (replay: PACE_FUZZ_SEED={:#x} PACE_FUZZ_ONE={}{})\n    detail: {}\n    minimal input:\n{}",
                self.target,
                f.key,
                f.count,
                f.first_case,
                self.seed,
                f.first_case,
                generation_env(),
                f.detail.replace('\n', "\n            "),
                indent(&f.minimal)
            );
        }
        s
    }
}

/// The settings that change what a case is generated as (to replay it).
fn generation_env() -> String {
    ["PACE_FUZZ_BIN_EVERY", "PACE_FUZZ_PUBLISH_EVERY"]
        .iter()
        .filter_map(|k| std::env::var(k).ok().map(|v| format!(" {k}={v}")))
        .collect()
}

fn indent(s: &str) -> String {
    let mut out = String::new();
    for line in s.split('\n') {
        out.push_str("      | ");
        for c in line.chars() {
            if c.is_control() && c != '\t' || c == '\u{feff}' || c == '\u{fffd}' {
                out.extend(c.escape_unicode());
            } else {
                out.push(c);
            }
        }
        out.push('\n');
    }
    out
}

// ---------------------------------------------------------------- panics

/// Where the last panic of this thread happened, and what it said.
#[derive(Debug, Clone)]
struct Caught {
    site: String,
    message: String,
}

thread_local! {
    static FUZZING: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
    static CAUGHT: std::cell::RefCell<Option<Caught>> = const { std::cell::RefCell::new(None) };
}

static HOOK: Once = Once::new();

/// Installs a panic hook that records panics of fuzzing threads quietly
/// (other threads keep the default hook).
fn install_hook() {
    HOOK.call_once(|| {
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !FUZZING.with(|f| f.get()) {
                default(info);
                return;
            }
            let message = if let Some(s) = info.payload().downcast_ref::<&str>() {
                s.to_string()
            } else if let Some(s) = info.payload().downcast_ref::<String>() {
                s.clone()
            } else {
                "(a non-string panic)".into()
            };
            let loc = info
                .location()
                .map(|l| format!("{}:{}", l.file(), l.line()))
                .unwrap_or_else(|| "?".into());
            let site = if loc.starts_with("src/") {
                loc
            } else {
                // In the standard library or a dependency: name the caller
                // in pace (or in this harness) too.
                format!("{} (from {})", short_path(&loc), caller_in_pace())
            };
            CAUGHT.with(|c| {
                *c.borrow_mut() = Some(Caught {
                    site,
                    message: message.lines().next().unwrap_or("").to_string(),
                })
            });
        }));
    });
}

/// `library/core/src/time.rs:1234` rather than the toolchain's full path.
fn short_path(loc: &str) -> String {
    for marker in ["/library/", "/src/"] {
        if let Some(i) = loc.find(marker) {
            if marker == "/library/" {
                return loc[i + 1..].to_string();
            }
            // A dependency: crate-version/src/file.rs
            let before = &loc[..i];
            let krate = before.rsplit('/').next().unwrap_or(before);
            return format!("{krate}{}", &loc[i..]);
        }
    }
    loc.to_string()
}

/// The first frame of the backtrace in pace (or, failing that, in the
/// harness): the code that called into the standard library or a
/// dependency that panicked.
fn caller_in_pace() -> String {
    let bt = std::backtrace::Backtrace::force_capture().to_string();
    let mut harness = None;
    let lines: Vec<&str> = bt.lines().collect();
    for (i, l) in lines.iter().enumerate() {
        let l = l.trim();
        let Some((_, sym)) = l.split_once(": ") else {
            continue;
        };
        let at = lines
            .get(i + 1)
            .map(|n| n.trim())
            .filter(|n| n.starts_with("at "))
            .map(|n| {
                let p = n.trim_start_matches("at ");
                match p.find("/src/") {
                    Some(j) if !p.contains("/library/") && !p.contains("/.cargo/") => p[j + 1..]
                        .rsplit_once(':')
                        .map_or(p, |(a, _)| a)
                        .to_string(),
                    _ => String::new(),
                }
            })
            .unwrap_or_default();
        let sym = strip_hash(sym);
        if sym.starts_with("pace::") {
            return if at.is_empty() {
                sym
            } else {
                format!("{sym} at {at}")
            };
        }
        if harness.is_none() && sym.starts_with("fuzz::") && !sym.starts_with("fuzz::engine") {
            harness = Some(sym);
        }
    }
    harness.unwrap_or_else(|| "an unknown caller".into())
}

fn strip_hash(sym: &str) -> String {
    match sym.rfind("::h") {
        Some(i) if sym[i + 3..].chars().all(|c| c.is_ascii_hexdigit()) => sym[..i].to_string(),
        _ => sym.to_string(),
    }
}

/// Runs one case, a panic turned into a finding keyed by where it happened.
fn run_caught<T: Target>(t: &mut T, input: &T::Input, seed: u64) -> Outcome {
    FUZZING.with(|f| f.set(true));
    CAUGHT.with(|c| *c.borrow_mut() = None);
    let mut rng = Rng::new(seed ^ 0x5eed);
    let r = catch_unwind(AssertUnwindSafe(|| t.run(input, &mut rng)));
    FUZZING.with(|f| f.set(false));
    match r {
        Ok(o) => o,
        Err(_) => {
            let c = CAUGHT.with(|c| c.borrow_mut().take()).unwrap_or(Caught {
                site: "?".into(),
                message: "?".into(),
            });
            Err(Finding::new(
                format!("panic at {}", c.site),
                format!("panicked: {}", c.message),
            ))
        }
    }
}

// ---------------------------------------------------------------- watchdog

/// What the watchdog needs to know about the case in progress.
struct Current {
    /// Milliseconds since `t0` when the case started; 0 when idle.
    started_ms: AtomicU64,
    case: AtomicU64,
    input: Mutex<String>,
    stop: AtomicBool,
}

/// Aborts the process (after printing the case) if one case runs longer
/// than `timeout` or the process's memory grows past `max_rss`: a hang or
/// a runaway allocation must end the run loudly, not take the machine.
fn watchdog(target: &'static str, cur: Arc<Current>, t0: Instant, timeout: Duration, max_rss: u64) {
    std::thread::spawn(move || {
        while !cur.stop.load(Ordering::Relaxed) {
            std::thread::sleep(Duration::from_millis(50));
            let started = cur.started_ms.load(Ordering::Relaxed);
            if started == 0 {
                continue;
            }
            let now = t0.elapsed().as_millis() as u64;
            let rss = rss_bytes();
            let why = if now.saturating_sub(started) > timeout.as_millis() as u64 {
                format!("hang: one case ran longer than {timeout:?}")
            } else if rss > max_rss {
                format!("memory: the process grew to {} MiB", rss >> 20)
            } else {
                continue;
            };
            let input = cur
                .input
                .try_lock()
                .map(|s| s.clone())
                .unwrap_or_else(|_| "(input locked)".into());
            let case = cur.case.load(Ordering::Relaxed);
            let text = format!(
                "FUZZ-ABORT target={target} case={case} {why}\n--- FAILURE [{target}] {why} (the watchdog aborted the run)\n    first case #{case} (replay: PACE_FUZZ_ONE={case}{})\n    input:\n{}",
                generation_env(),
                indent(&input)
            );
            let mut e = std::io::stderr().lock();
            let _ = e.write_all(text.as_bytes());
            let _ = e.flush();
            if let Ok(path) = std::env::var("PACE_FUZZ_REPORT")
                && !path.is_empty()
                && let Ok(mut f) = std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(path)
            {
                let _ = f.write_all(text.as_bytes());
            }
            std::process::abort();
        }
    });
}

/// A scratch folder for the files a case writes: in memory (/dev/shm)
/// where there is one, since rewriting a file per case on a disk file
/// system costs more than the case.
pub fn scratch() -> tempfile::TempDir {
    // A child's folders go under its parent's, which removes them even when
    // the child aborts (as it does on purpose on a runaway allocation).
    if let Ok(parent) = std::env::var("PACE_FUZZ_SCRATCH")
        && let Ok(d) = tempfile::Builder::new()
            .prefix("child-")
            .tempdir_in(&parent)
    {
        return d;
    }
    let shm = std::path::Path::new("/dev/shm");
    if shm.is_dir()
        && let Ok(d) = tempfile::Builder::new()
            .prefix("pace-fuzz-")
            .tempdir_in(shm)
    {
        return d;
    }
    tempfile::tempdir().expect("a temporary folder")
}

/// `v` is above `limit`, or NaN: a bound that NaN never passes.
#[allow(clippy::neg_cmp_op_on_partial_ord)]
pub fn above(v: f64, limit: f64) -> bool {
    !(v <= limit)
}

/// The resident set size of this process.
pub fn rss_bytes() -> u64 {
    std::fs::read_to_string("/proc/self/statm")
        .ok()
        .and_then(|s| s.split_whitespace().nth(1)?.parse::<u64>().ok())
        .map(|pages| pages * 4096)
        .unwrap_or(0)
}

// ---------------------------------------------------------------- memory

/// The memory bound of a reader fuzzed in-process (issue 23: "no reader
/// above ~4x its input size plus a fixed amount"): the most heap a case
/// holds at once, measured by the counting allocator of this binary
/// (alloc.rs), may be at most this many times its input's bytes ...
pub const MEMORY_PER_INPUT_BYTE: u64 = 4;
/// ... plus this much: what a reader holds whatever its input (a CSV
/// reader's buffers, a plan parsed, a summary, the tables an aggregate
/// sizes by the plan). Small enough that an amplification of a 256 KiB
/// input (the large cases of the data and extractor targets) shows.
pub const MEMORY_FIXED: u64 = 8 << 20;

/// Runs `f` (the reader of `what`, given `input_bytes` bytes) and checks
/// the most heap it held against [`MEMORY_PER_INPUT_BYTE`] x input +
/// [`MEMORY_FIXED`]; over it is a finding of its own kind ("memory
/// bound"), reported with its replay line like any other.
pub fn within_memory<R>(
    what: &str,
    input_bytes: usize,
    f: impl FnOnce() -> R,
) -> Result<R, Finding> {
    within_memory_plus(what, input_bytes, 0, f)
}

/// [`within_memory`] for a reader whose documented fixed amount is
/// larger: `extra` bytes on top of [`MEMORY_FIXED`] (a JSONPath with
/// wildcards or filters holds the whole body, at most
/// `pace::runner::extract::WHOLE_BODY_LIMIT` bytes of it, as a document).
pub fn within_memory_plus<R>(
    what: &str,
    input_bytes: usize,
    extra: u64,
    f: impl FnOnce() -> R,
) -> Result<R, Finding> {
    let (r, peak) = crate::alloc::peak_of(f);
    let bound = MEMORY_PER_INPUT_BYTE * input_bytes as u64 + MEMORY_FIXED + extra;
    if peak > bound {
        return Err(Finding::new(
            format!(
                "memory bound: {what} held over {MEMORY_PER_INPUT_BYTE} x its input + {} MiB",
                MEMORY_FIXED >> 20
            ),
            format!(
                "peak heap {peak} bytes ({:.1} MiB) for {input_bytes} input bytes (bound {bound})",
                peak as f64 / (1 << 20) as f64
            ),
        ));
    }
    Ok(r)
}

/// The address space the `pace` binary runs in for the file readers'
/// targets (capacity, merge, stairs, data, k8s): their inputs are at most
/// 256 KiB, so 4x the input is at most 1 MiB and the limit is the fixed
/// part. The debug binary's `pace capacity cisco.csv` and `pace run
/// --check` run in 32 MiB of address space (`ulimit -v`); 256 MiB leaves
/// room for a merge's reports and is far below the 28 GB an unbounded
/// allocation asked for in the shared cases.
pub const BIN_ADDRESS_SPACE: u64 = 256 << 20;

// ---------------------------------------------------------------- children

/// Runs case `i` of target `T` in a child process (this test binary, the
/// one test, `PACE_FUZZ_ONE=i`) whose address space is limited, with a
/// timeout: an input that allocates without bound fails there, not here.
fn run_in_child<T: Target>(i: u64, base_seed: u64, hazard: &str, scratch: &Path) -> Outcome {
    use std::process::{Command, Stdio};
    let exe = std::env::current_exe().expect("the test binary");
    let mut cmd = Command::new(exe);
    cmd.args([T::NAME, "--exact", "--nocapture", "--test-threads=1"])
        .env("PACE_FUZZ_ONE", i.to_string())
        .env("PACE_FUZZ_SEED", format!("{base_seed}"))
        .env("PACE_FUZZ_CHILD", "1")
        .env("PACE_FUZZ_SCRATCH", scratch)
        .env("PACE_FUZZ_ALL", "1")
        .env_remove("PACE_FUZZ_REPORT")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    limit_memory(&mut cmd, CHILD_ADDRESS_SPACE);
    let out = match run_with_timeout(cmd, CHILD_TIMEOUT) {
        Ok(o) => o,
        Err(e) => return Err(Finding::new("harness: child failed to start", e)),
    };
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    // libtest writes "test NAME ... " before it, on the same line.
    if let Some(line) = stdout.lines().find(|l| l.contains("FUZZ-CHILD-RESULT ")) {
        let at = line.find("FUZZ-CHILD-RESULT ").unwrap_or(0);
        let rest = &line[at + "FUZZ-CHILD-RESULT ".len()..];
        if rest == "ok" {
            return Ok(());
        }
        let (key, detail) = rest.split_once('\t').unwrap_or((rest, ""));
        return Err(Finding::new(key, detail));
    }
    let what = if out.timed_out {
        format!("hang: no result within {CHILD_TIMEOUT:?}")
    } else if stderr.contains("memory allocation of")
        || (stderr.contains("FUZZ-ABORT") && stderr.contains("memory"))
    {
        format!(
            "unbounded allocation: over the {} MiB address-space limit",
            CHILD_ADDRESS_SPACE >> 20
        )
    } else if stderr.contains("FUZZ-ABORT") && stderr.contains("hang") {
        "hang: the child's watchdog fired".to_string()
    } else {
        format!("the child died: {:?}", out.status)
    };
    Err(Finding::new(
        format!("{what} [{hazard}]"),
        stderr
            .lines()
            .filter(|l| !l.trim().is_empty())
            .take(3)
            .collect::<Vec<_>>()
            .join(" / "),
    ))
}

/// A child's address space: enough for any sane case, far below what
/// the machine has.
pub const CHILD_ADDRESS_SPACE: u64 = 1 << 30;
/// A child's time: one case, in a debug build, on a busy machine.
pub const CHILD_TIMEOUT: Duration = Duration::from_secs(30);

/// Limits a command's address space (RLIMIT_AS) before it starts.
pub fn limit_memory(cmd: &mut std::process::Command, bytes: u64) {
    use std::os::unix::process::CommandExt;
    // SAFETY: setrlimit is async-signal-safe and touches only the child.
    unsafe {
        cmd.pre_exec(move || {
            let lim = libc::rlimit {
                rlim_cur: bytes as libc::rlim_t,
                rlim_max: bytes as libc::rlim_t,
            };
            if libc::setrlimit(libc::RLIMIT_AS, &lim) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
}

/// A finished (or killed) child.
pub struct ChildOutput {
    pub status: std::process::ExitStatus,
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
    pub timed_out: bool,
}

/// Runs a command, killing it (by its own pid) if it outlives `timeout`.
pub fn run_with_timeout(
    mut cmd: std::process::Command,
    timeout: Duration,
) -> Result<ChildOutput, String> {
    use std::io::Read;
    let mut child = cmd.spawn().map_err(|e| e.to_string())?;
    let mut out_pipe = child.stdout.take();
    let mut err_pipe = child.stderr.take();
    let reader = std::thread::spawn(move || {
        let mut o = Vec::new();
        if let Some(p) = out_pipe.as_mut() {
            let _ = p.take(1 << 20).read_to_end(&mut o);
        }
        o
    });
    let err_reader = std::thread::spawn(move || {
        let mut e = Vec::new();
        if let Some(p) = err_pipe.as_mut() {
            let _ = p.take(1 << 20).read_to_end(&mut e);
        }
        e
    });
    let start = Instant::now();
    let mut timed_out = false;
    let status = loop {
        match child.try_wait().map_err(|e| e.to_string())? {
            Some(s) => break s,
            None if start.elapsed() > timeout => {
                timed_out = true;
                let _ = child.kill();
                break child.wait().map_err(|e| e.to_string())?;
            }
            None => std::thread::sleep(Duration::from_millis(2)),
        }
    };
    Ok(ChildOutput {
        status,
        stdout: reader.join().unwrap_or_default(),
        stderr: err_reader.join().unwrap_or_default(),
        timed_out,
    })
}

// ---------------------------------------------------------------- the loop

/// How a run is set up (from the environment).
#[derive(Debug, Clone)]
pub struct Settings {
    pub cases: u64,
    pub seed: u64,
    /// Generate the KNOWN_OPEN kinds too.
    pub all: bool,
    pub one: Option<u64>,
    pub child: bool,
    pub quiet: bool,
    /// Stop after this long even if fewer cases ran (the report says how
    /// many did).
    pub seconds: Option<u64>,
    /// The first case (a run resumed after an abort).
    pub from: u64,
}

impl Settings {
    pub fn from_env(ci_cases: u64) -> Settings {
        let var = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
        let num = |v: String| -> u64 {
            let v = v.trim().replace('_', "");
            match v.strip_prefix("0x") {
                Some(h) => u64::from_str_radix(h, 16).expect("a hex number"),
                None => v.parse().expect("a number"),
            }
        };
        Settings {
            cases: var("PACE_FUZZ_CASES").map(num).unwrap_or(ci_cases),
            seed: var("PACE_FUZZ_SEED").map(num).unwrap_or(DEFAULT_SEED),
            all: var("PACE_FUZZ_ALL").is_some_and(|v| v != "0"),
            one: var("PACE_FUZZ_ONE").map(num),
            child: var("PACE_FUZZ_CHILD").is_some(),
            quiet: var("PACE_FUZZ_QUIET").is_some_and(|v| v != "0"),
            seconds: var("PACE_FUZZ_SECONDS").map(num),
            from: var("PACE_FUZZ_FROM").map(num).unwrap_or(0),
        }
    }
}

/// How often a hazard kind was confirmed in a child, to stop paying for
/// children once the answer is clear.
#[derive(Default)]
struct HazardStats {
    passed: u64,
    failed: Option<Finding>,
}

/// Hazardous inputs never run in-process (their cost grows with a number
/// in them, without bound). After this many children of a kind passed,
/// further inputs of the kind are not run (the report counts them); after
/// one failed, they are counted as that failure without a child.
pub const HAZARD_CHILDREN: u64 = 100;

/// Fuzzes one target and returns what it found.
pub fn fuzz<T: Target>(t: &mut T) -> Report {
    install_hook();
    let s = Settings::from_env(T::CI_CASES);
    if let Some(i) = s.one {
        return replay(t, &s, i);
    }
    let known: Vec<crate::Known> = if s.all {
        Vec::new()
    } else {
        crate::KNOWN_OPEN.to_vec()
    };
    let t0 = Instant::now();
    let cur = Arc::new(Current {
        started_ms: AtomicU64::new(0),
        case: AtomicU64::new(0),
        input: Mutex::new(String::new()),
        stop: AtomicBool::new(false),
    });
    let timeout = std::env::var("PACE_FUZZ_CASE_TIMEOUT")
        .ok()
        .and_then(|v| v.parse().ok())
        .map_or(CASE_TIMEOUT, Duration::from_secs);
    watchdog(T::NAME, cur.clone(), t0, timeout, PARENT_MAX_RSS);
    let mut report = Report {
        target: T::NAME.into(),
        seed: s.seed,
        from: s.from,
        ..Default::default()
    };
    let mut hazards: BTreeMap<String, HazardStats> = BTreeMap::new();
    let children = scratch();
    let progress_every = (s.cases / 10).max(1);
    for i in s.from..s.cases {
        if s.seconds
            .is_some_and(|limit| t0.elapsed().as_secs() >= limit)
        {
            eprintln!(
                "fuzz {}: stopped after {} s (PACE_FUZZ_SECONDS) at {i} of {} cases",
                T::NAME,
                t0.elapsed().as_secs(),
                s.cases
            );
            break;
        }
        let seed = case_seed(s.seed, T::NAME, i);
        let mut rng = Rng::new(seed);
        report.cases += 1;
        // A generator that panics is the harness's bug: said, not hidden.
        let input = match catch_unwind(AssertUnwindSafe(|| t.generate(&mut rng))) {
            Ok(input) => input,
            Err(_) => {
                let f = Failure {
                    key: "harness: the generator panicked".into(),
                    detail: format!("case #{i}"),
                    count: 1,
                    first_case: i,
                    minimal: String::new(),
                };
                report
                    .failures
                    .entry(f.key.clone())
                    .and_modify(|old| old.count += 1)
                    .or_insert(f);
                continue;
            }
        };
        if !known.is_empty()
            && let Some(k) = t.known_open(&input)
            && known.contains(&k)
        {
            *report.known_open.entry(k.name().to_string()).or_default() += 1;
            continue;
        }
        *cur.input.lock().unwrap() = t.render(&input);
        cur.case.store(i, Ordering::Relaxed);
        let cur_started = t0.elapsed().as_millis() as u64 + 1;
        cur.started_ms.store(cur_started, Ordering::Relaxed);
        let hazard = t.hazard(&input);
        let isolated = hazard.is_some();
        let outcome = match hazard {
            Some(h) => {
                let st = hazards.entry(h.clone()).or_default();
                if let Some(f) = &st.failed {
                    Err(f.clone())
                } else if st.passed >= HAZARD_CHILDREN {
                    *report.hazards_skipped.entry(h.clone()).or_default() += 1;
                    Ok(())
                } else {
                    report.isolated += 1;
                    let o = run_in_child::<T>(i, s.seed, &h, children.path());
                    match &o {
                        Ok(()) => st.passed += 1,
                        Err(f) => st.failed = Some(f.clone()),
                    }
                    o
                }
            }
            None => run_caught(t, &input, seed),
        };
        cur.started_ms.store(0, Ordering::Relaxed);
        // A case that does not hang but takes seconds is as much a finding.
        let took = t0.elapsed().as_millis() as u64 + 1 - cur_started;
        let outcome = match outcome {
            Ok(()) if !isolated && took > SLOW_CASE.as_millis() as u64 => Err(Finding::new(
                format!("slow: one case took over {SLOW_CASE:?} in-process"),
                format!("{took} ms"),
            )),
            o => o,
        };
        if let Err(f) = outcome {
            record(t, &mut report, i, seed, &input, f, &cur, t0);
        }
        if !s.quiet && (i + 1) % progress_every == 0 && s.cases >= 10_000 {
            let el = t0.elapsed().as_secs_f64();
            eprintln!(
                "fuzz {}: {}/{} cases, {:.0}/s, {} failure kind(s)",
                T::NAME,
                i + 1,
                s.cases,
                (i + 1) as f64 / el,
                report.failures.len()
            );
        }
    }
    cur.stop.store(true, Ordering::Relaxed);
    report.elapsed = t0.elapsed();
    let text = report.text();
    eprint!("{text}");
    if let Ok(path) = std::env::var("PACE_FUZZ_REPORT")
        && !path.is_empty()
        && let Ok(mut f) = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
    {
        let _ = f.write_all(text.as_bytes());
    }
    report
}

/// A case slower than this is reported (the watchdog aborts at
/// [`CASE_TIMEOUT`]); children (hazards) have their own limit.
const SLOW_CASE: Duration = Duration::from_secs(5);
/// How long shrinking one failure's input may take.
const SHRINK_TIME: Duration = Duration::from_secs(5);
/// One case's time limit in the parent (a debug build on a busy machine).
const CASE_TIMEOUT: Duration = Duration::from_secs(60);
/// The parent's memory ceiling: the cases are small; far more is a runaway.
const PARENT_MAX_RSS: u64 = 2 << 30;

/// Adds a failure, shrinking its input the first time its kind is seen.
#[allow(clippy::too_many_arguments)]
fn record<T: Target>(
    t: &mut T,
    report: &mut Report,
    i: u64,
    seed: u64,
    input: &T::Input,
    f: Finding,
    cur: &Arc<Current>,
    t0: Instant,
) {
    if let Some(old) = report.failures.get_mut(&f.key) {
        old.count += 1;
        return;
    }
    // Shrink: keep any smaller input that fails the same way. Hazardous
    // inputs are not re-run here (they need a child): they keep their input.
    let mut best = input.clone();
    let mut detail = f.detail.clone();
    if t.hazard(input).is_none() {
        let mut budget = 400usize;
        let started = Instant::now();
        'outer: loop {
            for cand in t.shrink(&best) {
                if budget == 0 || started.elapsed() > SHRINK_TIME {
                    break 'outer;
                }
                budget -= 1;
                if t.hazard(&cand).is_some() {
                    continue;
                }
                *cur.input.lock().unwrap() = t.render(&cand);
                cur.started_ms
                    .store(t0.elapsed().as_millis() as u64 + 1, Ordering::Relaxed);
                let o = run_caught(t, &cand, seed);
                cur.started_ms.store(0, Ordering::Relaxed);
                if let Err(g) = o
                    && g.key == f.key
                {
                    best = cand;
                    detail = g.detail;
                    continue 'outer;
                }
            }
            break;
        }
    }
    report.failures.insert(
        f.key.clone(),
        Failure {
            key: f.key,
            detail,
            count: 1,
            first_case: i,
            minimal: t.render(&best),
        },
    );
}

/// Runs case `i` alone: prints it and what it came to (the child's answer
/// is the `FUZZ-CHILD-RESULT` line).
fn replay<T: Target>(t: &mut T, s: &Settings, i: u64) -> Report {
    let seed = case_seed(s.seed, T::NAME, i);
    let mut rng = Rng::new(seed);
    let input = t.generate(&mut rng);
    if !s.child {
        eprintln!("case #{i} of {}:\n{}", T::NAME, indent(&t.render(&input)));
    }
    let t0 = Instant::now();
    let cur = Arc::new(Current {
        started_ms: AtomicU64::new(1),
        case: AtomicU64::new(i),
        input: Mutex::new(t.render(&input)),
        stop: AtomicBool::new(false),
    });
    watchdog(
        T::NAME,
        cur.clone(),
        t0,
        CHILD_TIMEOUT - Duration::from_secs(10),
        u64::MAX,
    );
    let o = run_caught(t, &input, seed);
    cur.stop.store(true, Ordering::Relaxed);
    let line = match &o {
        Ok(()) => "FUZZ-CHILD-RESULT ok".to_string(),
        Err(f) => format!(
            "FUZZ-CHILD-RESULT {}\t{}",
            f.key.replace(['\n', '\t'], " "),
            f.detail.replace(['\n', '\t'], " ")
        ),
    };
    println!("\n{line}");
    let mut report = Report {
        target: T::NAME.into(),
        seed: s.seed,
        cases: 1,
        elapsed: t0.elapsed(),
        ..Default::default()
    };
    if let Err(f) = o {
        report.failures.insert(
            f.key.clone(),
            Failure {
                key: f.key,
                detail: f.detail,
                count: 1,
                first_case: i,
                minimal: t.render(&input),
            },
        );
    }
    if !s.child {
        eprint!("{}", report.text());
    }
    report
}

/// Fails the test with the report if anything failed (a child only
/// reports).
pub fn assert_clean(report: &Report) {
    if std::env::var("PACE_FUZZ_CHILD").is_ok() {
        return;
    }
    assert!(
        report.failures.is_empty(),
        "{} distinct failure(s) in fuzz target {} (each printed above with its input): {:?}",
        report.failures.len(),
        report.target,
        report.failures.keys().collect::<Vec<_>>()
    );
}
