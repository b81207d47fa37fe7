//! Executes a plan: virtual users as tokio tasks on absolute deadlines,
//! every measurement streamed to the recorder. Scheduling and measuring
//! only: judging and reporting happen on the recorded results.

mod connection;
pub mod cookie_jar;
pub mod cpu;
pub mod data;
pub mod extract;
pub mod http;
pub mod json_find;
mod net_error;
mod prepare;
mod recorder;
pub mod redact;
pub mod roster;
pub mod schedule;
pub mod script;
mod scripts;
pub mod template;
pub mod timer;
mod users;
mod work;

use crate::plan::file::PlanFile;
use crate::plan::segment::Shard;
use crate::results::aggregate::Aggregate;
use crate::results::sample::{ErrorKind, Kind, Sample};
use http::Step;
use prepare::{Group, build_groups};
pub use prepare::{Preflight, describe_data, preflight};
use rand::rngs::Xoshiro256PlusPlus;
use redact::Redactor;
use roster::{Arrivals, Slot};
use schedule::UserSchedule;
use scripts::{Scripts, prestart};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant, SystemTime};
use tokio::sync::{Notify, mpsc};
use users::{arrivals, paced_user};
use work::GroupWork;

/// How to run.
pub struct RunConfig {
    pub samples_path: PathBuf,
    pub seed: u64,
    /// No progress output at all.
    pub quiet: bool,
    /// Variables for `${VAR}` before the environment (e.g. the embedded
    /// target's `PACE_TARGET`).
    pub vars: Vec<(String, String)>,
    /// The user's `--var NAME=VALUE`s: after `vars`, before the
    /// environment, and secret as the environment's values are (redacted
    /// from every text a run records, never in summary.json's `vars`).
    pub user_vars: Vec<(String, String)>,
    /// The plan file's folder: scripts' paths are relative to it, and it is
    /// their workers' working directory (a Pyak47 project's folder).
    pub plan_dir: PathBuf,
    /// Where script workers' stderr is kept (created only for script groups).
    pub workers_log: Option<PathBuf>,
    /// Each closed-loop user stops after this many iterations (`pace
    /// baseline --iterations`); the run ends once every user has, even
    /// before `run.duration`. `None`: users run until the duration.
    pub max_iterations: Option<u64>,
    /// Run only this shard of the plan (its users and arrivals, with
    /// their global ids, phases and random streams); `None`: the whole.
    pub shard: Option<Shard>,
    /// Release the users at this wall-clock instant, once everything is
    /// prepared: every shard of a plan starts together. Already past when
    /// the run is ready: [`RunError::Late`], and nothing is sent.
    pub start_at: Option<SystemTime>,
    /// The run is checked for another machine, a pod of `pace k8s`
    /// ([`preflight`] only): `${VAR}` reads `vars` and `user_vars` alone,
    /// never this process's environment (a pod sees only its manifest's
    /// variables), and what only that machine can say (its Python, the
    /// proxies its environment names) is not asked here.
    pub remote: bool,
}

/// What a run leaves for the results.
pub struct Execution {
    pub aggregate: Aggregate,
    pub started: std::time::SystemTime,
    pub run_time: f64,
    /// Why the run stopped early, if it did.
    pub interrupted: Option<String>,
    /// Why the run could not be recorded, if so (then also `interrupted`):
    /// the load was stopped at once.
    pub failure: Option<String>,
    /// The variables pace set for `${VAR}` (the config's and `PACE_TARGET`).
    pub vars: Vec<(String, String)>,
    /// The origins the steps sent to (`scheme://host:port`, see
    /// `prepare::targets`), for summary.json's `meta.targets`.
    pub targets: Vec<String>,
    /// The wall-clock instant of t0, the origin of every sample's time:
    /// `start_at` when one was set.
    pub t0_wall: SystemTime,
    /// When everything was prepared and the run began waiting for t0.
    pub ready: SystemTime,
    /// When the users were actually released (t0 plus how late the timer
    /// woke).
    pub released: SystemTime,
    /// pace's own CPU time read along the run (cpu.rs), with the cores it
    /// may use.
    pub cpu: cpu::CpuReadings,
}

#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// A plan key that cannot be used (named with its path).
    #[error("{key}: {message}")]
    Plan { key: String, message: String },
    /// Not ready by the start: nothing was sent.
    #[error("ready {late:.3} s after the start at {}", humantime::format_rfc3339_millis(*start_at))]
    Late {
        ready_at: SystemTime,
        start_at: SystemTime,
        /// Seconds between the start and when the run was ready.
        late: f64,
    },
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

/// A one-way switch tasks can wait on: once set it stays set, and a task
/// that starts waiting after it was set returns at once.
#[derive(Default)]
struct Switch {
    on: AtomicBool,
    notify: Notify,
}

impl Switch {
    fn is_on(&self) -> bool {
        self.on.load(Ordering::Acquire)
    }

    fn turn_on(&self) {
        self.on.store(true, Ordering::Release);
        self.notify.notify_waiters();
    }

    /// Resolves once the switch is on.
    async fn wait(&self) {
        let notified = self.notify.notified();
        tokio::pin!(notified);
        // Registered before the check, so a turn_on between the check and
        // the await still wakes this task.
        notified.as_mut().enable();
        if self.is_on() {
            return;
        }
        notified.await;
    }
}

/// How a run is being stopped, shared by the users, the recorder and the
/// run's own loop.
#[derive(Default)]
struct Signals {
    /// No iteration starts any more (end of run, Ctrl-C, a failure).
    stop: Switch,
    /// Requests still in flight are cut off now and recorded as such (the
    /// grace is over, a second Ctrl-C, or nothing can be recorded).
    cutoff: Switch,
    /// Why the run could not go on (the samples file cannot be written, the
    /// recorder stopped); the load is stopped at once.
    failure: std::sync::OnceLock<String>,
    /// When the schedule was cut short (seconds since t0): an interrupt or
    /// a failure. Starts planned after it were never owed.
    stopped_at: std::sync::OnceLock<f64>,
}

impl Signals {
    /// Stops the load at once because the run cannot be recorded.
    fn fail(&self, why: String, now: f64) {
        let _ = self.failure.set(why);
        let _ = self.stopped_at.set(now);
        self.stop.turn_on();
        self.cutoff.turn_on();
    }
}

/// Shared by every task of a run.
struct Ctx {
    t0: Instant,
    duration: f64,
    /// Where the judged window opens: unstarted arrivals are recorded in
    /// blocks that never straddle it.
    ramp_up: f64,
    signals: Arc<Signals>,
    tx: mpsc::UnboundedSender<Sample>,
    /// The run's secrets, kept out of every recorded text.
    redactor: Redactor,
    /// See [`RunConfig::max_iterations`].
    max_iterations: Option<u64>,
    /// Wakes iteration starts to within tens of µs (tokio's timer: 1-2 ms).
    timer: timer::Timer,
}

impl Ctx {
    fn now(&self) -> f64 {
        self.t0.elapsed().as_secs_f64()
    }

    fn stopped(&self) -> bool {
        self.signals.stop.is_on()
    }

    /// Resolves when in-flight work must be cut off.
    async fn cut_off(&self) {
        self.signals.cutoff.wait().await
    }

    /// Sleeps until `at` (seconds since t0); false if the run was stopped first.
    async fn sleep_until(&self, at: f64) -> bool {
        let deadline = self.t0 + Duration::from_secs_f64(at.max(0.0));
        // A start that is already due (back to back, or late) needs no
        // timer at all.
        if deadline <= Instant::now() {
            tokio::task::yield_now().await;
            return !self.stopped();
        }
        // Starts are what the schedule promises: the run's own precise
        // timer, not tokio's 1 ms wheel that rounds every sleep up.
        tokio::select! {
            _ = self.timer.sleep_until(deadline) => !self.stopped(),
            _ = self.signals.stop.wait() => false,
        }
    }

    /// Sleeps for `d` inside an iteration (a step's think time); false if
    /// the iteration was cut off first. On tokio's timer: a think time is
    /// part of the iteration it is in, not a start the schedule promises,
    /// and its 1 ms rounding is noise against the plan's think times
    /// (seconds); the precise timer stays for starts alone.
    async fn think(&self, d: Duration) -> bool {
        tokio::select! {
            _ = tokio::time::sleep(d) => true,
            _ = self.cut_off() => false,
        }
    }

    /// Sends a sample to the recorder. Every measured text passes here
    /// on its way to samples.csv, the aggregate and so every report and
    /// the database: the one place secrets are redacted (an HTTP error
    /// quotes the URL sent, a script's exception may quote anything).
    fn record(&self, mut s: Sample) {
        self.redactor.redact_in_place(&mut s.error);
        // A custom timer's name is the script's free text; other names are
        // the plan's own, and must stay as written to match it.
        if s.kind == Kind::Timer
            && let std::borrow::Cow::Owned(r) = self.redactor.redact(&s.name)
        {
            s.name = r.into();
        }
        // The recorder outlives every user; a send error means it is gone
        // because the run is being torn down, and nothing can be done.
        let _ = self.tx.send(s);
    }
}

/// A roster slot with the work of its users made (see [`execute`]).
enum Roster {
    User(roster::Member, work::Work),
    Arrivals(roster::Open, Vec<(u64, work::Work)>),
}

/// Runs the plan to the end (or until interrupted). Must be called inside a
/// tokio runtime.
pub async fn execute(plan: &PlanFile, mut cfg: RunConfig) -> Result<Execution, RunError> {
    // First, so that a refused timer leaves nothing to tear down. Idle
    // until the users start, it costs nothing while the run prepares.
    let timer = timer::Timer::start()?;
    // The embedded target first, so `${PACE_TARGET}` can be expanded.
    let embedded = match &plan.target.embedded {
        Some(e) => {
            let tc = e.to_config().map_err(|(k, message)| RunError::Plan {
                key: format!("target.embedded.{k}"),
                message,
            })?;
            let describe = tc.describe();
            let t = crate::target::start(tc, 0).await?;
            if !cfg.quiet {
                errln!("pace: embedded target at {} ({describe})", t.base_url());
            }
            cfg.vars.push(("PACE_TARGET".into(), t.base_url()));
            Some(t)
        }
        None => None,
    };
    let mut scripts = Scripts::default();
    let (groups, redactor) = match build_groups(plan, &cfg, &mut scripts) {
        Ok(g) => g,
        Err(e) => {
            scripts.finish();
            return Err(e);
        }
    };
    scripts.redact_log(&redactor);
    let targets = prepare::targets(&groups, &redactor);
    // Script workers start before the clock, so iterations begin on time.
    let shard = cfg.shard.unwrap_or(Shard::WHOLE);
    prestart(&groups, shard, cfg.quiet).await;
    // Every user's work (its HTTP client, script worker, data cursor) is
    // made before the clock starts. Made in each user's task after t0, 200
    // clients took ≈ 7 ms, and the schedule's first starts waited for them.
    let roster: Vec<Roster> = roster::roster(plan, cfg.seed, shard)
        .into_iter()
        .map(|slot| match slot {
            Slot::User(m) => {
                let work = groups[m.group].work.user(m.user as u32);
                Roster::User(m, work)
            }
            Slot::Arrivals(o) => {
                let g = &groups[o.group].work;
                let pool = o.pool.iter().map(|&u| (u, g.user(u as u32))).collect();
                Roster::Arrivals(o, pool)
            }
        })
        .collect();
    // Both clocks read once, so t0 on the monotonic clock is the start on
    // the wall clock however long the wait.
    let ready = SystemTime::now();
    let ready_instant = Instant::now();
    let start = match cfg.start_at {
        None => None,
        Some(at) => match at.duration_since(ready) {
            Ok(wait) => {
                if !cfg.quiet {
                    errln!(
                        "pace: ready; waiting {:.1} s for the start at {}",
                        wait.as_secs_f64(),
                        humantime::format_rfc3339_millis(at)
                    );
                }
                Some((ready_instant + wait, at))
            }
            Err(e) => {
                teardown(&groups, scripts, embedded).await;
                return Err(RunError::Late {
                    ready_at: ready,
                    start_at: at,
                    late: e.duration().as_secs_f64(),
                });
            }
        },
    };
    let duration = plan.run.duration.0;
    let ramp = plan.run.ramp_up();
    let grace = plan.run.grace.0;
    let (tx, rx) = mpsc::unbounded_channel();
    let file = std::fs::File::create(&cfg.samples_path)?;
    let total_users: u64 = plan.groups.iter().map(|g| shard.part(g.users)).sum();
    let target_tpm = plan.planned_tps().map(|t| t * 60.0 / shard.count as f64);
    let agg = Aggregate::for_plan(plan, plan.judged_span((ramp, duration)));
    let (t0, started) = start.unwrap_or_else(|| (Instant::now(), SystemTime::now()));
    let signals = Arc::new(Signals::default());
    let ctx = Arc::new(Ctx {
        t0,
        duration,
        ramp_up: ramp,
        signals: signals.clone(),
        tx,
        redactor,
        max_iterations: cfg.max_iterations,
        timer: timer.clone(),
    });
    let progress = recorder::Progress {
        quiet: cfg.quiet,
        duration,
        total_users,
        target_tpm,
    };
    let mut recorder = tokio::spawn(recorder::record(
        rx,
        recorder::Output {
            file,
            path: cfg.samples_path.clone(),
        },
        agg,
        progress,
        ctx.t0,
        signals.clone(),
    ));

    // pace's own CPU, read at every interval and at the span's edges until
    // the load stops.
    let cpu_watch = {
        let at = cpu::reading_times(
            plan.run.ts_interval.0,
            duration + grace,
            plan.judged_span((ramp, duration)),
        );
        let signals = signals.clone();
        tokio::spawn(cpu::watch(t0, at, async move { signals.stop.wait().await }))
    };

    // Listening from here on: a signal during the wait for the start is
    // not lost.
    let mut listener = Interrupts::new();
    let mut interrupted = None;
    if t0 > Instant::now() {
        tokio::select! {
            // Every shard's release at its instant, as precisely as starts.
            _ = timer.sleep_until(t0) => {}
            sig = listener.recv() => {
                interrupted = Some(format!("{sig} before the start: nothing was sent"));
                let _ = signals.stopped_at.set(0.0);
                signals.stop.turn_on();
            }
        }
    }
    let released = SystemTime::now();

    let mut tasks = tokio::task::JoinSet::new();
    let names: Vec<Arc<str>> = groups.iter().map(|g| Arc::from(g.name.as_str())).collect();
    for slot in roster {
        match slot {
            Roster::User(m, work) => {
                tasks.spawn(paced_user(
                    ctx.clone(),
                    names[m.group].clone(),
                    m.user as u32,
                    m.offset,
                    UserSchedule::new(m.cadence, m.late),
                    work,
                    m.rng,
                ));
            }
            Roster::Arrivals(o, pool) => {
                tasks.spawn(arrivals(
                    ctx.clone(),
                    names[o.group].clone(),
                    pool,
                    o.arrivals,
                ));
            }
        }
    }

    // Wait for the end, an interrupt, a failure to record, or the grace
    // period after `duration`.
    let mut recorder_result = None;
    let end = ctx.t0 + Duration::from_secs_f64(duration);
    {
        let all_done = async { while tasks.join_next().await.is_some() {} };
        tokio::pin!(all_done);
        let mut hard_deadline =
            tokio::time::Instant::from_std(end + Duration::from_secs_f64(grace));
        let mut interrupts = usize::from(interrupted.is_some());
        loop {
            tokio::select! {
                _ = &mut all_done => break,
                // In-flight iterations past their grace are cut off.
                _ = tokio::time::sleep_until(hard_deadline) => break,
                // Nothing can be recorded any more: stop the load at once.
                _ = signals.cutoff.wait() => break,
                r = &mut recorder, if recorder_result.is_none() => {
                    // The recorder ends only when every sender is gone; an
                    // early end is a failure (a panic): nothing more can be
                    // recorded, so no more load may be sent.
                    let why = match &r {
                        Ok(_) => "the recorder stopped early".to_string(),
                        Err(e) => format!("the recorder failed: {e}"),
                    };
                    signals.fail(why, ctx.now());
                    recorder_result = Some(r);
                    break;
                }
                sig = listener.recv() => {
                    interrupts += 1;
                    if interrupts >= 2 {
                        interrupted = Some(format!("{sig} twice: stopped at once"));
                        break;
                    }
                    interrupted = Some(format!("{sig}: stopped starting iterations, in-flight ones given the grace"));
                    let _ = signals.stopped_at.set(ctx.now());
                    signals.stop.turn_on();
                    let now = tokio::time::Instant::now();
                    hard_deadline = hard_deadline.min(now + Duration::from_secs_f64(grace));
                    if !cfg.quiet {
                        errln!("pace: {sig}: finishing in-flight iterations (up to {} s); press Ctrl-C again to stop at once", grace);
                    }
                }
            }
        }
    }
    // Whatever is still in flight is cut off and recorded as such; users
    // get a moment to record it before they are aborted.
    signals.stop.turn_on();
    signals.cutoff.turn_on();
    let _ = tokio::time::timeout(CUTOFF_RECORDING, async {
        while tasks.join_next().await.is_some() {}
    })
    .await;
    tasks.abort_all();
    while tasks.join_next().await.is_some() {}
    let run_time = ctx.now();
    drop(ctx);
    let cpu = cpu_watch.await.unwrap_or_default();
    teardown(&groups, scripts, embedded).await;
    let recorded = match recorder_result {
        Some(r) => r,
        None => recorder.await,
    };
    let aggregate = match recorded {
        Ok(r) => r,
        Err(e) => {
            return Err(RunError::Io(std::io::Error::other(format!(
                "the recorder failed: {e}"
            ))));
        }
    };
    let failure = signals.failure.get().cloned();
    Ok(Execution {
        aggregate,
        started,
        run_time,
        interrupted: failure.clone().or(interrupted),
        failure,
        vars: cfg.vars.clone(),
        targets,
        t0_wall: started,
        ready,
        released,
        cpu,
    })
}

/// Stops what a run prepared: script workers, then the embedded target.
async fn teardown(
    groups: &[Group],
    scripts: Scripts,
    embedded: Option<crate::target::RunningTarget>,
) {
    for g in groups {
        if let GroupWork::Script { spec, .. } = &*g.work
            && let Some(z) = spec.zygote.get()
        {
            z.shutdown(Duration::from_secs(2)).await;
        }
    }
    scripts.finish();
    if let Some(t) = embedded {
        t.shutdown().await;
    }
}

/// How long users get to record what they cut off before they are aborted.
const CUTOFF_RECORDING: Duration = Duration::from_secs(2);

/// SIGINT (Ctrl-C) and SIGTERM, listened for from its creation on: a
/// signal that comes while nobody awaits [`Interrupts::recv`] is kept for
/// the next call, never lost (a listener made only when awaited misses
/// what comes before, and once pace handles a signal the default action,
/// exit, is gone too). Create it inside a tokio runtime, before whatever
/// it must be able to interrupt.
pub struct Interrupts {
    #[cfg(unix)]
    int: Option<tokio::signal::unix::Signal>,
    #[cfg(unix)]
    term: Option<tokio::signal::unix::Signal>,
}

impl Interrupts {
    /// Starts listening. Where a listener cannot be installed, `recv`
    /// falls back to tokio's Ctrl-C alone.
    pub fn new() -> Interrupts {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            Interrupts {
                int: signal(SignalKind::interrupt()).ok(),
                term: signal(SignalKind::terminate()).ok(),
            }
        }
        #[cfg(not(unix))]
        Interrupts {}
    }

    /// The next SIGINT or SIGTERM (one already received returns at once),
    /// naming which.
    pub async fn recv(&mut self) -> &'static str {
        #[cfg(unix)]
        {
            match (&mut self.int, &mut self.term) {
                (Some(int), Some(term)) => tokio::select! {
                    _ = int.recv() => "Ctrl-C",
                    _ = term.recv() => "SIGTERM",
                },
                (Some(int), None) => {
                    int.recv().await;
                    "Ctrl-C"
                }
                _ => {
                    let _ = tokio::signal::ctrl_c().await;
                    "Ctrl-C"
                }
            }
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
            "Ctrl-C"
        }
    }
}

impl Default for Interrupts {
    fn default() -> Self {
        Interrupts::new()
    }
}
