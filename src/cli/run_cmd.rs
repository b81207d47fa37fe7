//! `pace run PLAN` and `pace verify RESULTS_DIR`: load and check the plan,
//! run it, then record, judge and print.

use super::finish::{self, Publish, load_plan, reaggregate};
use super::{console, exit};
use crate::plan::file::PlanFile;
use crate::results::SAMPLES_FILE;
use crate::results::aggregate::Aggregate;
use crate::results::summary::RunMeta;
use crate::runner::{self, RunConfig};
use crate::units::{human_duration, round_sig};
use clap::Args;

#[path = "run_checks.rs"]
pub(super) mod run_checks;
#[path = "run_overrides.rs"]
pub(super) mod run_overrides;
#[path = "shard_args.rs"]
pub(super) mod shard_args;
use std::path::{Path, PathBuf};

#[derive(Debug, Args)]
pub struct RunArgs {
    /// The plan file (or a directory holding plan.toml).
    plan: PathBuf,
    /// Validate the plan and print what it would do; send no traffic.
    #[arg(long)]
    check: bool,
    /// Seed for every random draw (pacing, phase); reproduces a run's schedule.
    #[arg(long)]
    seed: Option<u64>,
    /// No progress output.
    #[arg(long, short)]
    quiet: bool,
    /// Where the timestamped results folder is made [default: the plan's run.results_dir].
    #[arg(long)]
    results_dir: Option<PathBuf>,
    /// Also write JMeter's XML JTL, results.xml [default: the plan's run.xml_report].
    #[arg(long)]
    xml: bool,
    /// Store the run in this results database (a path or sqlite:///path)
    /// [default: the plan's run.results_database].
    #[arg(long, value_name = "DB")]
    db: Option<String>,
    /// Run the post_run_script of a Pyak47 project run without plan.toml
    /// (its config.cfg converted); without this flag it is not run. A plan
    /// file's own post_run always runs.
    #[arg(long)]
    allow_hooks: bool,
    /// Run shard I of N of the plan (0-based, e.g. 1/4): users u with
    /// u mod N = I of every group and every N-th arrival, on the plan's
    /// one schedule; merge the N results folders with `pace merge`.
    #[arg(long, value_name = "I/N")]
    shard: Option<String>,
    /// Run one of N shards, its index from the environment variable
    /// JOB_COMPLETION_INDEX (set by a Kubernetes Indexed Job).
    #[arg(long, value_name = "N")]
    shards: Option<String>,
    /// Prepare, then release the users at this instant (RFC 3339, e.g.
    /// 2026-12-01T05:00:00Z) so that every shard starts together; not
    /// ready by then: no traffic, the results marked late, exit 5
    /// [default: the environment variable PACE_START_AT].
    #[arg(long, value_name = "TIME")]
    start_at: Option<String>,
    #[command(flatten)]
    overrides: run_overrides::OverrideArgs,
}

#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// A results folder written by `pace run`.
    results: PathBuf,
    /// Judge against this plan instead of the run's own copy.
    #[arg(long)]
    plan: Option<PathBuf>,
}

fn print_check(plan: &PlanFile) {
    let users: u64 = plan.groups.iter().map(|g| g.users).sum();
    outln!(
        "plan OK: {} group(s), {}",
        plan.groups.len(),
        crate::units::count(users as f64, "user")
    );
    for (g, c) in plan.groups.iter().zip(plan.cadences()) {
        let tpi = g.transactions_per_iteration();
        let rate = match c {
            Ok(c) => {
                let r = c.iteration_rate(g.users);
                format!(
                    "{} iterations/min x {tpi} = {} TPM{}",
                    round_sig(r * 60.0, 5),
                    round_sig(r * 60.0 * tpi as f64, 5),
                    if c.is_closed_loop() {
                        format!(
                            " (cycle {} = iteration {} from target.response_time + delay)",
                            human_duration(c.mean_cycle()),
                            human_duration(match c {
                                crate::plan::GroupCadence::ClosedLoop { iteration, .. } => {
                                    iteration
                                }
                                _ => 0.0,
                            })
                        )
                    } else {
                        String::new()
                    }
                )
            }
            Err(why) => format!("rate not set by the plan: {why}"),
        };
        let work = match &g.script {
            Some(s) => format!("script {s}"),
            None => format!("{} step(s)", g.steps.len()),
        };
        outln!(
            "  {}: {}, pacing {}, {work}, {rate}",
            crate::visible::one_line(&g.name),
            crate::units::count(g.users as f64, "user"),
            g.pacing.mode.name()
        );
    }
    let window = plan.run.duration.0 - plan.run.ramp_up();
    // The verdict's own expectation, over a run yet to happen.
    let empty = Aggregate::for_plan(plan, (plan.run.ramp_up(), plan.run.duration.0));
    match crate::verdict::expect::expected(plan, &empty) {
        Some(e) => {
            // Whole counts inside the band, as `pace plan` and the plan
            // file it writes state them.
            outln!(
                "expected: {} TPM ({} transactions) over the {} steady-state window, band {}-{} TPM ({}-{} transactions; {} confidence, tolerance {})",
                round_sig(e.tpm, 6),
                round_sig(e.transactions, 6),
                human_duration(window),
                round_sig(e.tpm_low, 6),
                round_sig(e.tpm_high, 6),
                e.transactions_low.ceil(),
                e.transactions_high.floor(),
                e.confidence,
                e.tolerance
            );
            if e.approximate {
                outln!(
                    "  approximate: after-end and back-to-back groups cycle as fast as their iterations, so the band widens with the spread of iteration times the run measures, and the rate follows the response time: 1% more than target.response_time makes about {}% fewer transactions",
                    round_sig(closed_loop_sensitivity(plan), 2)
                );
            }
        }
        None if window <= 0.0 => {
            outln!(
                "expected: no throughput band: the plan has no steady-state window (ramp-up lasts the whole run)"
            )
        }
        None => outln!("expected: no throughput band: the plan sets no rate"),
    }
    let a = &plan.acceptance;
    let thresholds = [a.p50, a.p80, a.p90, a.p95, a.p99, a.max]
        .iter()
        .any(Option::is_some)
        || a.error_rate.is_some();
    if plan.planned_tps().is_none() && !thresholds {
        outln!(
            "verdict: NO CHECKS (exit 4): the plan sets no target rate and no threshold, so a run is only checked for real work"
        );
    }
}

/// How much of the plan's rate follows the response time: the relative
/// change of the total rate per relative change of target.response_time
/// (closed-loop groups only; a paced group's rate does not depend on it).
fn closed_loop_sensitivity(plan: &PlanFile) -> f64 {
    let rt = plan.target.response_time.map_or(0.0, |r| r.0);
    let total: f64 = plan.group_tps().into_iter().flatten().sum();
    if total <= 0.0 {
        return 0.0;
    }
    plan.groups
        .iter()
        .zip(plan.cadences())
        .zip(plan.group_tps())
        .filter_map(|((g, c), tps)| match (c, tps) {
            (Ok(c @ crate::plan::GroupCadence::ClosedLoop { .. }), Some(tps)) => {
                Some(tps * g.transactions_per_iteration() as f64 * rt / c.mean_cycle())
            }
            _ => None,
        })
        .sum::<f64>()
        / total
}

/// What the run will execute besides HTTP requests: script workers and
/// the post-run hook (a plan is code: docs/security.md).
fn print_commands(plan: &PlanFile, scripts: &[String], gated: bool) {
    let mut lines: Vec<String> = scripts.to_vec();
    if let Some(cmd) = &plan.run.post_run {
        lines.push(if gated {
            format!(
                "post_run: sh -c '{cmd}' only with --allow-hooks (it is a converted config.cfg's post_run_script)"
            )
        } else {
            format!("post_run: sh -c '{cmd}' once the reports are written")
        });
    }
    if lines.is_empty() {
        outln!("executes: nothing but HTTP requests");
    } else {
        outln!("executes (with your rights):");
        for l in lines {
            outln!("  {l}");
        }
    }
}

/// Whether a results folder can be made at `root`: it is a folder pace may
/// write in, or the nearest of its parents that exists is. Nothing is
/// created. Errors say which path is at fault and why.
fn writable_folder(root: &Path) -> Result<(), String> {
    let mut p = root.to_path_buf();
    loop {
        match std::fs::metadata(&p) {
            Ok(m) if m.is_dir() => {
                use std::os::unix::ffi::OsStrExt;
                let c = std::ffi::CString::new(p.as_os_str().as_bytes())
                    .map_err(|_| format!("{} holds a NUL byte", p.display()))?;
                // SAFETY: a valid NUL-terminated path.
                let ok = unsafe { libc::access(c.as_ptr(), libc::W_OK | libc::X_OK) } == 0;
                return if ok {
                    Ok(())
                } else {
                    Err(format!(
                        "{}: cannot write there: {}",
                        p.display(),
                        crate::input::plain(&std::io::Error::last_os_error())
                    ))
                };
            }
            Ok(_) => return Err(format!("{} is not a folder", p.display())),
            // Missing, or under a file (ENOTDIR): the parent says which.
            Err(e)
                if (e.kind() == std::io::ErrorKind::NotFound
                    || e.raw_os_error() == Some(libc::ENOTDIR))
                    && p != Path::new(".") =>
            {
                p = match p.parent() {
                    Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
                    _ => PathBuf::from("."),
                };
            }
            Err(e) => return Err(format!("{}: {}", p.display(), crate::input::plain(&e))),
        }
    }
}

/// A new folder under `root` named by the run's start in UTC, marked as
/// such: `20261130-181919Z` (sortable, no `:` for Windows shares, and never
/// mistaken for local time, which Pyak47 used unmarked). A second run in
/// the same second gets `-1`, `-2`, ...
pub(super) fn timestamp_dir(root: &Path) -> std::io::Result<PathBuf> {
    let stamp = humantime::format_rfc3339_seconds(std::time::SystemTime::now())
        .to_string()
        .replace([':', '-'], "")
        .replace('T', "-");
    std::fs::create_dir_all(root)?;
    for i in 0.. {
        let name = if i == 0 {
            stamp.clone()
        } else {
            format!("{stamp}-{i}")
        };
        let dir = root.join(name);
        match std::fs::create_dir(&dir) {
            Ok(()) => return Ok(dir),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e),
        }
    }
    unreachable!("some suffix is free")
}

pub fn run(a: RunArgs) -> i32 {
    let env = |k: &str| std::env::var(k).ok();
    let split = match (
        shard_args::shard(a.shard.as_deref(), a.shards.as_deref(), &env),
        shard_args::start_at(a.start_at.as_deref(), &env),
    ) {
        (Ok(shard), Ok(start_at)) => Sharding { shard, start_at },
        (Err(e), _) | (_, Err(e)) => {
            errln!("error: {e}");
            return exit::BAD_INPUT;
        }
    };
    let (plan, text, file) = match load_plan(&a.plan) {
        Ok(p) => p,
        Err(e) => {
            errln!("{e}");
            return exit::BAD_INPUT;
        }
    };
    // The plan as it will run: the file, overridden by the flags. The
    // folder keeps the file as it is; summary.json the flags as typed.
    let overrides = match run_overrides::overrides(&a.overrides, &plan, split.shard.is_some()) {
        Ok(o) => o,
        Err(e) => {
            errln!("error: {e}");
            return exit::BAD_INPUT;
        }
    };
    for line in run_overrides::unused_vars(&overrides, &plan, &text) {
        errln!("{line}");
    }
    // Said once the plan is accepted: an error stays the one line.
    let defaults = run_overrides::defaults_used(&overrides, &plan, &text, &file, &env);
    // What the file alone gives, to tell the overrides' findings from it.
    let written_fit = plan.fit();
    let plan = match overrides.apply(&plan) {
        Ok(p) => p,
        Err(e) => {
            errln!("error: {e}");
            return exit::BAD_INPUT;
        }
    };
    let vars: Vec<(String, String)> = overrides
        .var
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    // A --var value may be a secret (a password given instead of an
    // environment variable): what is recorded and printed names it only.
    let overrides = (!overrides.is_empty()).then(|| crate::plan::overrides::Overrides {
        effective: overrides
            .changes_plan()
            .then(|| crate::plan::overrides::effective(&plan)),
        var: overrides
            .var
            .keys()
            .map(|k| (k.clone(), format!("${{{k}}}")))
            .collect(),
        ..overrides
    });
    if let Some(o) = &overrides {
        let line = run_overrides::describe(o, &plan);
        if a.check {
            outln!("{}", crate::visible::one_line(&line));
        } else if !a.quiet {
            errln!("{line}");
        }
    }
    // Where a plan key is: `plan.toml:LINE`, or only `config.cfg` for a
    // Pyak47 project converted in memory (the converted text's line numbers
    // are not config.cfg's).
    let converted = finish::converted_config(&a.plan).is_some();
    let at = |key: &str| {
        if converted {
            format!("{}", file.display())
        } else {
            format!(
                "{}:{}",
                file.display(),
                crate::plan::check::line_of_key(&text, key)
            )
        }
    };
    // The plan's results_dir is relative to the plan's folder, like its
    // scripts (a Pyak47 project keeps its results in my_project/results/);
    // --results-dir is relative to where pace runs, like any flag.
    let plan_dir = match file.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let root = a
        .results_dir
        .clone()
        .unwrap_or_else(|| plan_dir.join(&plan.run.results_dir));
    // Everything a run would refuse, refused before anything starts, and
    // the same for --check (and `pace k8s`): one code path.
    let setup = run_checks::Setup {
        plan: &plan,
        file: &file,
        text: &text,
        plan_dir: &plan_dir,
        split: &split,
        seed: a.seed,
        vars: &vars,
        remote: false,
        written_fit: &written_fit,
        overrides: overrides.as_ref(),
        check: a.check,
    };
    let approved = match run_checks::before_traffic(&setup, &at) {
        Ok(x) => x,
        Err(line) => {
            errln!("{line}");
            return exit::BAD_INPUT;
        }
    };
    let runner::Preflight { commands, proxies } = approved.preflight;
    if let Err(e) = writable_folder(&root) {
        let key = if a.results_dir.is_some() {
            "--results-dir".to_string()
        } else {
            format!("{}: run.results_dir", at("run.results_dir"))
        };
        errln!("error: {key}: {e}");
        return exit::BAD_INPUT;
    }
    for line in &defaults {
        errln!("{line}");
    }
    if a.check {
        match plan
            .run
            .stairs
            .as_ref()
            .and_then(|st| st.levels().first().copied())
        {
            // A stair's window is each level's hold: the checks as level 1
            // runs them, then every level's split and expected rate.
            Some(first) => {
                outln!("level 1 of the stair:");
                print_check(&crate::plan::stairs::level_plan(&plan, first));
            }
            None => print_check(&plan),
        }
        if let Some(shard) = split.shard {
            shard_args::print_part(&plan, shard);
        }
        if let Some((at, text)) = &split.start_at {
            match at.duration_since(std::time::SystemTime::now()) {
                Ok(d) => outln!(
                    "start at {text}: in {}; every shard must be ready by then",
                    human_duration(d.as_secs_f64())
                ),
                Err(e) => outln!(
                    "start at {text}: already {} past: a run now would not start (exit 5)",
                    human_duration(e.duration().as_secs_f64())
                ),
            }
        }
        super::stairs_cmd::print_check(&plan);
        // Read again by a run; here only to say what it holds.
        for line in runner::describe_data(&plan, &plan_dir).unwrap_or_default() {
            outln!("{line}");
        }
        let gated = !a.allow_hooks && converted;
        print_commands(&plan, &commands, gated);
        for l in &proxies {
            outln!("proxy: {l}");
        }
        return exit::OK;
    }
    if !a.quiet {
        for l in &proxies {
            errln!("pace: {l}");
        }
    }
    // A split run's one seed was settled by the checks.
    let seed = approved.seed.unwrap_or_else(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(42)
    });
    let dir = match timestamp_dir(&root) {
        Ok(d) => d,
        Err(e) => {
            let e = crate::input::plain(&e);
            errln!("error: results_dir {}: {e}", root.display());
            return exit::BAD_INPUT;
        }
    };
    // Held until the run ends: `pace report` on a folder still being
    // written is refused (crate::results::claim).
    let _claim = match crate::results::claim::claim(&dir, crate::results::claim::Fresh::Any) {
        Ok(c) => c,
        Err(e) => {
            errln!("error: {}: {}", dir.display(), e.words());
            return exit::BAD_INPUT;
        }
    };
    // samples.csv's header from the start (the runner rewrites the file
    // when it begins): a run stopped before it (a shard interrupted while
    // it waits for its start) leaves a folder pace reads back as an
    // interrupted run with no rows, not as a corrupt one.
    let made = std::fs::write(dir.join("plan.toml"), &text)
        .and_then(|()| std::fs::write(dir.join(SAMPLES_FILE), shard_args::samples_header()));
    if let Err(e) = made {
        errln!("error: {}: {}", dir.display(), crate::input::plain(&e));
        return exit::BAD_INPUT;
    }
    if let Some(o) = &overrides {
        let json = serde_json::to_string_pretty(o).expect("JSON of strings and numbers");
        if let Err(e) = std::fs::write(dir.join(finish::OVERRIDES_FILE), json + "\n") {
            errln!("error: {}: {}", dir.display(), crate::input::plain(&e));
            return exit::BAD_INPUT;
        }
    }
    if !a.quiet {
        errln!(
            "pace: running {} (seed {seed}); results in {}",
            file.display(),
            dir.display()
        );
    }
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            errln!("error: cannot start the runtime: {e}");
            return exit::INTERRUPTED;
        }
    };
    let mut publish = Publish::from_plan(&plan, a.xml, a.db.clone(), a.quiet);
    publish.guard_hooks(&a.plan, a.allow_hooks);
    if let Some(s) = split.shard.filter(|s| !s.is_whole()) {
        publish.note = Some(format!(
            "pace: shard {s} ran its part; the plan is judged once all {} shards are done: pace merge SHARD_DIR... -o MERGED_DIR",
            s.count
        ));
    }
    let one = OneRun {
        file: &file,
        seed,
        quiet: a.quiet,
        plan_dir: &plan_dir,
        publish: &publish,
        vars: &vars,
        overrides: overrides.as_ref(),
    };
    if plan.run.stairs.is_some() {
        return super::stairs_cmd::run_stair(&rt, plan, &dir, &one);
    }
    match run_split(&rt, plan, &text, &dir, &one, &split) {
        Ok(r) if r.partial => {
            errln!("pace: incomplete: partial results in {}", dir.display());
            exit::INTERRUPTED
        }
        Ok(r) => r.published.code,
        Err(code) => code,
    }
}

/// How a run is split and started: its shard (`--shard`, `--shards`)
/// and the instant it starts at (`--start-at`).
#[derive(Debug, Clone, Default)]
pub(super) struct Sharding {
    pub shard: Option<crate::plan::segment::Shard>,
    /// The instant, and as it was written.
    pub start_at: Option<(std::time::SystemTime, String)>,
}

/// What every run of one `pace run` shares: the plan's file and folder, the
/// seed, and what to do with the results.
pub(super) struct OneRun<'a> {
    pub file: &'a Path,
    pub seed: u64,
    pub quiet: bool,
    pub plan_dir: &'a Path,
    pub publish: &'a Publish,
    /// `--var` values for `${NAME}`, ahead of the environment.
    pub vars: &'a [(String, String)],
    /// The run's overrides, recorded in summary.json.
    pub overrides: Option<&'a crate::plan::overrides::Overrides>,
}

/// A run executed and published.
pub(super) struct Ran {
    pub published: finish::Published,
    pub agg: Aggregate,
    /// The run was interrupted (Ctrl-C, a failure): its results are partial.
    pub partial: bool,
}

/// Runs `plan` once into the results folder `dir` (made, with its
/// plan.toml, by the caller), then judges, writes, stores and hooks. A run
/// that cannot start is `Err` with the exit code, its error printed.
pub(super) fn run_one(
    rt: &tokio::runtime::Runtime,
    plan: PlanFile,
    dir: &Path,
    o: &OneRun,
) -> Result<Ran, i32> {
    run_split(rt, plan, "", dir, o, &Sharding::default())
}

/// [`run_one`] for a run split by `split`: shard `split.shard` of `plan`
/// (whose text is `text`, hashed into the shard's summary), released at
/// `split.start_at`. Not ready by then: the folder is marked late and the
/// error is [`exit::LATE`].
pub(super) fn run_split(
    rt: &tokio::runtime::Runtime,
    plan: PlanFile,
    text: &str,
    dir: &Path,
    o: &OneRun,
    split: &Sharding,
) -> Result<Ran, i32> {
    let file = o.file;
    let seed = o.seed;
    let cfg = RunConfig {
        samples_path: dir.join(SAMPLES_FILE),
        seed,
        quiet: o.quiet,
        vars: Vec::new(),
        user_vars: o.vars.to_vec(),
        plan_dir: o.plan_dir.to_path_buf(),
        workers_log: plan
            .groups
            .iter()
            .any(|g| g.script.is_some())
            .then(|| dir.join("workers.log")),
        max_iterations: None,
        shard: split.shard,
        start_at: split.start_at.as_ref().map(|s| s.0),
        remote: false,
    };
    let exec = match rt.block_on(runner::execute(&plan, cfg)) {
        Ok(x) => x,
        Err(runner::RunError::Late {
            ready_at,
            start_at,
            late,
        }) => {
            return Err(shard_args::write_late(
                &plan, text, dir, o, split, ready_at, start_at, late,
            ));
        }
        Err(runner::RunError::Plan { key, message }) => {
            errln!("error: {}: {key}: {message}", file.display());
            return Err(exit::BAD_INPUT);
        }
        Err(e) => {
            errln!("error: the run failed: {e}");
            return Err(exit::INTERRUPTED);
        }
    };
    let mut agg = exec.aggregate;
    let partial = exec.interrupted.is_some();
    if partial {
        // The window ends where the run stopped.
        let window = finish::window(&plan, true, exec.run_time);
        if exec.failure.is_some() {
            // The file is short of what was measured, the aggregate in
            // memory is not. Nothing was scheduled after the load stopped,
            // so its window counts hold for the shorter window too.
            agg.window = window;
        } else {
            match reaggregate(
                &dir.join(SAMPLES_FILE),
                &plan,
                plan.run.ts_interval.0,
                window,
            ) {
                Ok(r) => agg = r.agg,
                Err(e) => {
                    errln!("warning: could not re-read the samples: {e}");
                    // Still judged over where it stopped, never over the
                    // planned window it did not run.
                    agg.window = window;
                }
            }
        }
    }
    let meta = RunMeta {
        plan_file: file.display().to_string(),
        seed,
        started_at: humantime::format_rfc3339_seconds(exec.started).to_string(),
        finished_at: humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string(),
        started_epoch_ms: exec
            .started
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis() as u64)
            .unwrap_or(0),
        run_time_s: exec.run_time,
        duration_s: plan.run.duration.0,
        ramp_up_s: plan.run.ramp_up(),
        ts_interval_s: plan.run.ts_interval.0,
        late_policy: finish::late_policy(&plan),
        partial,
        partial_reason: exec.interrupted.clone(),
        vars: exec.vars.iter().cloned().collect(),
        // A run with a start barrier but no shard is the one shard of 1.
        shard: (split.shard.is_some() || split.start_at.is_some()).then(|| {
            let s = split.shard.unwrap_or(crate::plan::segment::Shard::WHOLE);
            crate::results::summary::ShardMeta {
                index: s.index,
                count: s.count,
                plan_hash: shard_args::plan_hash(text),
                start_at: split.start_at.as_ref().map(|s| s.1.clone()),
                t0_epoch_us: shard_args::epoch_us(exec.t0_wall),
                ready_epoch_us: shard_args::epoch_us(exec.ready),
                first_start_epoch_us: shard_args::epoch_us(exec.released),
                status: if exec.failure.is_some() {
                    "failed"
                } else if partial {
                    "interrupted"
                } else {
                    "ok"
                }
                .into(),
                host: shard_args::host_name(),
            }
        }),
        window_s: None,
        ran_shards: None,
        overrides: o.overrides.cloned(),
        targets: exec.targets.clone(),
        generator: crate::results::summary::Generator::from_readings(
            &exec.cpu.points,
            exec.cpu.cores,
            plan.run.ts_interval.0,
            agg.window,
        ),
    };
    let published = finish::publish(plan, &agg, meta, dir, o.publish);
    Ok(Ran {
        published,
        agg,
        partial,
    })
}

pub fn verify(a: VerifyArgs) -> i32 {
    if let Some(st) = super::stairs_reload::stair_plan(&a.results) {
        if a.plan.is_some() {
            errln!(
                "error: --plan: {} is a stair's folder, judged by its levels' own plans: verify one level's folder against another plan",
                a.results.display()
            );
            return exit::BAD_INPUT;
        }
        return super::stairs_reload::verify(&a.results, &st);
    }
    let (plan, agg, meta) = match finish::reload(&a.results, a.plan.as_deref(), None) {
        Ok(x) => x,
        Err(e) => {
            errln!("{e}");
            return exit::BAD_INPUT;
        }
    };
    let s = finish::judged(&plan, &agg, meta);
    console::print_verdict(&s, console::paced(&plan));
    finish::exit_code(&s)
}
