//! The hot path's per-operation costs, made to be counted in instructions
//! (callgrind) rather than timed: `bench/icount.sh` runs `icount SCENARIO N`
//! at two sizes under valgrind and divides the difference by the extra
//! operations, which cancels start-up and leaves the cost of one operation.
//!
//! Every scenario is deterministic, so the count is the same run after run
//! on a busy machine: fixed seeds, no clock read, no thread, nothing drawn
//! from std's `RandomState` here (what pace's own maps do is pace's: see
//! docs/performance.md, "Instruction-count guard").
//!
//!   icount SCENARIO N   N operations of SCENARIO; prints a checksum
//!   icount --list       every scenario: name, its warm N, its operation
//!   icount [--bench]    each scenario once at its warm N (what `cargo
//!                       bench` runs: a smoke run, nothing is counted)

use pace::plan::Pacing;
use pace::plan::file::{Late, PlanFile};
use pace::plan::segment::Shard;
use pace::results::aggregate::Aggregate;
use pace::results::sample::{ErrorKind, Kind, Sample, SampleWriter};
use pace::runner::roster::Arrivals;
use pace::runner::schedule::{Cadence, UserSchedule};
use rand::rngs::Xoshiro256PlusPlus;
use rand::{RngExt, SeedableRng};
use std::hint::black_box;
use std::process::ExitCode;

/// One thing to count.
struct Scenario {
    name: &'static str,
    /// The smaller of the two sizes the guard counts: past every warm-up
    /// (buffers grown, reservoirs full, every timer and error row made),
    /// so the operations between it and 5 times it all cost the same.
    warm_n: u64,
    /// What one operation is (the budget's unit).
    op: &'static str,
    /// Does `n` operations; returns a checksum of what they produced, so
    /// nothing is optimised away.
    run: fn(u64) -> u64,
}

/// Every scenario; add one here (and its budget with `UPDATE=1
/// bench/icount.sh`).
const SCENARIOS: &[Scenario] = &[
    Scenario {
        name: "record",
        warm_n: 30_000,
        op: "sample written to samples.csv and folded into the aggregate",
        run: record,
    },
    Scenario {
        name: "schedule",
        warm_n: 200_000,
        op: "start decided (paced user's next start, or an arrival's due time)",
        run: schedule,
    },
];

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    match args[..] {
        ["--list"] => {
            for s in SCENARIOS {
                println!("{}\t{}\t{}", s.name, s.warm_n, s.op);
            }
            ExitCode::SUCCESS
        }
        [] | ["--bench"] => {
            for s in SCENARIOS {
                println!("{} {}: checksum {}", s.name, s.warm_n, (s.run)(s.warm_n));
            }
            ExitCode::SUCCESS
        }
        [name, n] => {
            let Some(s) = SCENARIOS.iter().find(|s| s.name == name) else {
                eprintln!("icount: no scenario '{name}' (see --list)");
                return ExitCode::from(2);
            };
            let Ok(n) = n.parse::<u64>() else {
                eprintln!("icount: N must be a whole number, not '{n}'");
                return ExitCode::from(2);
            };
            println!("{} {n}: checksum {}", s.name, (s.run)(n));
            ExitCode::SUCCESS
        }
        _ => {
            eprintln!("usage: icount SCENARIO N | --list | --bench");
            ExitCode::from(2)
        }
    }
}

// ------------------------------------------------------------------ record

/// A small two-group plan, as a user would write it: the aggregate takes
/// its groups and its latency thresholds.
const PLAN: &str = r#"
[run]
duration = "10m"
ts_interval = "1s"

[acceptance]
p95 = "200ms"
p99 = "500ms"

[[group]]
name = "browse"
users = 5

[group.pacing]
mode = "fixed"
interval = "2s"

[[group.step]]
name = "home"
url = "http://127.0.0.1:9/"

[[group.step]]
name = "product"
url = "http://127.0.0.1:9/product"

[[group]]
name = "buy"
users = 5

[group.pacing]
mode = "exponential"
interval = "1s"
min = "100ms"

[[group.step]]
name = "cart"
url = "http://127.0.0.1:9/cart"
"#;

/// The users of [`PLAN`]: 0-4 browse, 5-9 buy (every timer's scatter
/// reservoir is full after ~25,000 samples).
const USERS: u32 = 10;
/// The first user of the group "buy".
const BUY: u32 = 5;
/// Iterations started per second of run time: the 5N run's 60,000
/// iterations fill 60 time-series buckets of 1 s, all but the first 10 in
/// the steady-state window.
const ITERATIONS_PER_S: f64 = 1000.0;

/// What the recorder's `BufWriter` does with the CSV writer's output: a
/// copy into a reused buffer (the write to the file is not pace's cost).
struct Sink {
    buf: Vec<u8>,
}

impl std::io::Write for Sink {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        if self.buf.len() + data.len() > self.buf.capacity() {
            self.buf.clear();
        }
        self.buf.extend_from_slice(data);
        // Kept, as if written on: the copy is not optimised away.
        black_box(&self.buf);
        Ok(data.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// What the recorder does per sample (`runner::recorder::record`): the
/// row streamed through `SampleWriter` and folded by `Aggregate::add`.
struct Recorder {
    writer: SampleWriter<Sink>,
    agg: Aggregate,
    /// Samples recorded so far, and how many to record.
    done: u64,
    n: u64,
}

impl Recorder {
    /// Records `s`; false once the scenario's samples are all recorded.
    fn take(&mut self, s: &Sample) -> bool {
        if self.done == self.n {
            return false;
        }
        self.writer.write(s).expect("an in-memory sink cannot fail");
        self.agg.add(s);
        self.done += 1;
        true
    }
}

/// A rough two-group run's samples, `n` of them: each iteration one
/// (buy: cart) or two (browse: home, product) step rows and its iteration
/// row; ~2 % of steps fail (mostly HTTP 500, some resets) and ~1 % of
/// starts are late from an overrun. The rows are built once and their
/// fields rewritten, so what is counted is the recorder, not the making of
/// samples (that is the runner's, for a scenario of its own).
fn record(n: u64) -> u64 {
    let plan = PlanFile::parse(PLAN, "icount.toml").expect("the bench's plan is valid");
    let window = (10.0, plan.run.duration.0 - 10.0);
    let mut rec = Recorder {
        writer: SampleWriter::new(Sink {
            buf: Vec::with_capacity(1 << 16),
        }),
        agg: Aggregate::for_plan(&plan, window),
        done: 0,
        n,
    };
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(0x1c0u64);
    let row = |kind: Kind, group: &str, name: &str| {
        let mut s = Sample::event(kind, 0.0, group, 0);
        s.name = name.into();
        s
    };
    let mut browse = [
        row(Kind::Step, "browse", "home"),
        row(Kind::Step, "browse", "product"),
    ];
    let mut buy = [row(Kind::Step, "buy", "cart")];
    let mut iteration = [
        row(Kind::Iteration, "browse", "browse"),
        row(Kind::Iteration, "buy", "buy"),
    ];
    for u in 0..USERS {
        let g = if u < BUY { "browse" } else { "buy" };
        rec.take(&Sample::event(Kind::UserStart, 0.0, g, u));
    }
    let mut count = [0u64; USERS as usize];
    let mut k = 0u64;
    'run: loop {
        let user = (k % USERS as u64) as u32;
        let sched = k as f64 / ITERATIONS_PER_S;
        k += 1;
        // The generator's own lag, or (1 %) the previous iteration's overrun.
        let overrun = rng.random_range(0..100) == 0;
        let late = if overrun {
            rng.random_range(0.05..0.5)
        } else {
            rng.random_range(0.00002..0.0008)
        };
        let start = sched + late;
        let (steps, it) = if user < BUY {
            (&mut browse[..], &mut iteration[0])
        } else {
            (&mut buy[..], &mut iteration[1])
        };
        let nth = count[user as usize];
        count[user as usize] += 1;
        let mut t = start;
        let mut all_ok = true;
        for s in steps.iter_mut() {
            let latency: f64 = rng.random_range(0.002..0.040);
            s.t = t;
            s.iter_start = start;
            s.iter_sched = sched;
            s.iter_planned = sched;
            s.user = user;
            s.iteration = nth;
            s.latency = latency;
            s.latency_sched = t + latency - sched;
            s.ttfb = latency * 0.8;
            s.sent_bytes = 78;
            s.error.clear();
            match rng.random_range(0..500) {
                0..8 => fail(s, 500, ErrorKind::Status, "HTTP 500 Internal Server Error"),
                8..10 => fail(s, 0, ErrorKind::Io, "connection reset by peer"),
                _ => {
                    s.ok = true;
                    s.status = 200;
                    s.error_kind = None;
                    s.bytes = 612;
                }
            }
            all_ok &= s.ok;
            if !rec.take(s) {
                break 'run;
            }
            t += latency;
        }
        it.t = start;
        it.iter_start = start;
        it.iter_sched = sched;
        it.iter_planned = sched;
        it.user = user;
        it.iteration = nth;
        it.latency = t - start;
        it.latency_sched = t - sched;
        it.late = late;
        it.overrun = overrun;
        it.ok = all_ok;
        if !rec.take(it) {
            break;
        }
    }
    rec.writer.flush().expect("an in-memory sink cannot fail");
    let agg = black_box(&rec.agg);
    agg.transactions + agg.error_count + agg.series.len() as u64 + rec.done
}

/// Makes step row `s` a failure.
fn fail(s: &mut Sample, status: u16, kind: ErrorKind, message: &str) {
    s.ok = false;
    s.status = status;
    s.error_kind = Some(kind);
    // Into the row's own buffer: no allocation once it has held one.
    s.error.push_str(message);
    s.bytes = 0;
}

// ---------------------------------------------------------------- schedule

/// How long the iterations take, as fractions of the mean pacing
/// interval, in turn: mostly well inside it, one in 32 overrunning.
const TOOK: [f64; 32] = [
    0.10, 0.25, 0.05, 0.40, 0.12, 0.30, 0.08, 0.55, 0.20, 0.15, 0.35, 0.09, 0.60, 0.11, 0.22, 1.40,
    0.18, 0.07, 0.28, 0.45, 0.13, 0.33, 0.06, 0.50, 0.16, 0.24, 0.38, 0.10, 0.70, 0.14, 0.26, 0.19,
];

/// `n` starts, in turn: a fixed-paced user (drift), an exponentially paced
/// one (drift), a uniformly paced one (skip), and an arrival-rate group's
/// next arrival. Each user has its own stream, as in the runner.
fn schedule(n: u64) -> u64 {
    let mut seeds = Xoshiro256PlusPlus::seed_from_u64(0x5c4e);
    let paced = [
        (Pacing::Fixed { interval: 2.0 }, Late::Drift),
        (
            Pacing::Exponential {
                min: 0.1,
                mean: 1.0,
            },
            Late::Drift,
        ),
        (Pacing::Uniform { min: 0.5, max: 1.5 }, Late::Skip),
    ];
    let mut users: Vec<(UserSchedule, Xoshiro256PlusPlus, f64, f64)> = paced
        .iter()
        .map(|&(p, late)| {
            let mut rng = Xoshiro256PlusPlus::from_rng(&mut seeds);
            let mut s = UserSchedule::new(Cadence::Paced(p), late);
            let at = s.first(0.0, &mut rng);
            (s, rng, at, p.mean())
        })
        .collect();
    let mut arrivals = Arrivals::new(250.0, Shard::WHOLE, &mut seeds);
    let mut sum = 0.0f64;
    for i in 0..n {
        let slot = (i % 4) as usize;
        if slot == 3 {
            let (k, due) = arrivals.next_due();
            sum += due + k as f64;
            continue;
        }
        let (s, rng, at, mean) = &mut users[slot];
        let took = TOOK[(i / 4 % 32) as usize] * *mean;
        let next = s.next(*at, *at + took, rng);
        *at = next.at;
        sum += next.at + next.skipped.len() as f64;
    }
    black_box(sum).to_bits()
}
