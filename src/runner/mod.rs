//! Executes a plan: virtual users as tokio tasks on absolute deadlines,
//! every measurement streamed to the recorder. Scheduling and measuring
//! only: judging and reporting happen on the recorded results.

pub mod http;
mod recorder;
pub mod schedule;
pub mod script;
mod scripts;
mod work;

use crate::plan::file::{GroupSection, PacingMode, PlanFile};
use crate::results::aggregate::Aggregate;
use crate::results::sample::{Kind, Sample};
use http::Step;
use rand::SeedableRng;
use rand::rngs::Xoshiro256PlusPlus;
use schedule::{Cadence, UserSchedule};
use scripts::{Scripts, prestart};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};
use tokio::sync::{Notify, mpsc};
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
    /// The plan file's folder: scripts' paths are relative to it, and it is
    /// their workers' working directory (a Pyak47 project's folder).
    pub plan_dir: PathBuf,
    /// Where script workers' stderr is kept (created only for script groups).
    pub workers_log: Option<PathBuf>,
}

/// What a run leaves for the results.
pub struct Execution {
    pub aggregate: Aggregate,
    pub started: std::time::SystemTime,
    pub run_time: f64,
    /// Why the run stopped early, if it did.
    pub interrupted: Option<String>,
    /// The variables pace set for `${VAR}` (the config's and `PACE_TARGET`).
    pub vars: Vec<(String, String)>,
}

#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// A plan key that cannot be used (named with its path).
    #[error("{key}: {message}")]
    Plan { key: String, message: String },
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

/// Shared by every task of a run.
struct Ctx {
    t0: Instant,
    duration: f64,
    stop: AtomicBool,
    stop_notify: Notify,
    tx: mpsc::UnboundedSender<Sample>,
}

impl Ctx {
    fn now(&self) -> f64 {
        self.t0.elapsed().as_secs_f64()
    }

    fn stopped(&self) -> bool {
        self.stop.load(Ordering::Relaxed)
    }

    /// Sleeps until `at` (seconds since t0); false if the run was stopped first.
    async fn sleep_until(&self, at: f64) -> bool {
        let deadline = self.t0 + Duration::from_secs_f64(at.max(0.0));
        // A start that is already due (back to back, or late) must not wait
        // for tokio's timer, whose 1 ms ticks round every sleep up.
        if deadline <= Instant::now() {
            tokio::task::yield_now().await;
            return !self.stopped();
        }
        tokio::select! {
            _ = tokio::time::sleep_until(deadline.into()) => !self.stopped(),
            _ = self.stop_notify.notified() => false,
        }
    }

    fn record(&self, s: Sample) {
        // The recorder outlives every user; a send error means it is gone
        // because the run is being torn down, and nothing can be done.
        let _ = self.tx.send(s);
    }
}

struct Group {
    name: String,
    users: u64,
    mode: PacingMode,
    cadence: Option<Cadence>,
    rate: f64,
    late: crate::plan::file::Late,
    work: Arc<GroupWork>,
}

fn build_groups(
    plan: &PlanFile,
    cfg: &RunConfig,
    scripts: &mut Scripts,
) -> Result<Vec<Group>, RunError> {
    let lookup = |k: &str| -> Option<String> {
        cfg.vars
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.clone())
            .or_else(|| std::env::var(k).ok())
    };
    let mut out = Vec::new();
    for (gi, g) in plan.groups.iter().enumerate() {
        let work = match &g.script {
            Some(script) => GroupWork::Script {
                spec: Arc::new(scripts.spec(plan, cfg, gi, script)?),
                ready: std::sync::Mutex::new(Vec::new()),
                retired: Default::default(),
            },
            None => {
                let mut steps = Vec::new();
                for (si, s) in g.steps.iter().enumerate() {
                    let step =
                        Step::build(s, &lookup).map_err(|(field, message)| RunError::Plan {
                            key: format!("group[{gi}].step[{si}].{field}"),
                            message,
                        })?;
                    steps.push(step);
                }
                GroupWork::Http(Arc::new(steps))
            }
        };
        out.push(Group {
            name: g.name.clone(),
            users: g.users,
            mode: g.pacing.mode,
            cadence: cadence_of(g),
            rate: g.pacing.rate.map(|r| r.0).unwrap_or(0.0),
            late: g.pacing.late,
            work: Arc::new(work),
        });
    }
    Ok(out)
}

fn cadence_of(g: &GroupSection) -> Option<Cadence> {
    match g.pacing.mode {
        PacingMode::AfterEnd => Some(Cadence::AfterEnd(
            g.pacing.delay.map(|d| d.0).unwrap_or(0.0),
        )),
        PacingMode::None => Some(Cadence::BackToBack),
        PacingMode::ArrivalRate => None,
        _ => g.pacing.distribution().map(Cadence::Paced),
    }
}

/// One TLS configuration for every user. Building it loads the platform's
/// root certificates, which cost ~100 KiB and milliseconds per client: with
/// thousands of users that dominated both memory and start-up.
fn tls() -> Option<rustls::ClientConfig> {
    static TLS: std::sync::OnceLock<Option<rustls::ClientConfig>> = std::sync::OnceLock::new();
    TLS.get_or_init(|| {
        use rustls_platform_verifier::ConfigVerifierExt;
        rustls::ClientConfig::with_platform_verifier().ok()
    })
    .clone()
}

fn client() -> reqwest::Client {
    // One connection per virtual user, kept alive across its iterations.
    let mut b = reqwest::Client::builder()
        .pool_max_idle_per_host(1)
        .tcp_nodelay(true);
    if let Some(t) = tls() {
        b = b.tls_backend_preconfigured(t);
    }
    b.build().expect("a plain HTTP client builds")
}

/// Runs the plan to the end (or until interrupted). Must be called inside a
/// tokio runtime.
pub async fn execute(plan: &PlanFile, mut cfg: RunConfig) -> Result<Execution, RunError> {
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
                eprintln!("pace: embedded target at {} ({describe})", t.base_url());
            }
            cfg.vars.push(("PACE_TARGET".into(), t.base_url()));
            Some(t)
        }
        None => None,
    };
    let mut scripts = Scripts::default();
    let groups = match build_groups(plan, &cfg, &mut scripts) {
        Ok(g) => g,
        Err(e) => {
            scripts.finish();
            return Err(e);
        }
    };
    // Script workers start before the clock, so iterations begin on time.
    prestart(&groups, cfg.quiet).await;
    let duration = plan.run.duration.0;
    let ramp = plan.run.ramp_up();
    let grace = plan.run.grace.0;
    let (tx, rx) = mpsc::unbounded_channel();
    let file = std::fs::File::create(&cfg.samples_path)?;
    let total_users: u64 = plan.groups.iter().map(|g| g.users).sum();
    let target_tpm = plan.planned_tps().map(|t| t * 60.0);
    let agg = Aggregate::new(plan.run.ts_interval.0, (ramp, duration));
    let started = std::time::SystemTime::now();
    let ctx = Arc::new(Ctx {
        t0: Instant::now(),
        duration,
        stop: AtomicBool::new(false),
        stop_notify: Notify::new(),
        tx,
    });
    let progress = recorder::Progress {
        quiet: cfg.quiet,
        duration,
        total_users,
        target_tpm,
    };
    let recorder = tokio::spawn(recorder::record(rx, file, agg, progress, ctx.t0));

    let mut tasks = tokio::task::JoinSet::new();
    let mut seed_rng = Xoshiro256PlusPlus::seed_from_u64(cfg.seed);
    for g in &groups {
        let gname: Arc<str> = Arc::from(g.name.as_str());
        match g.cadence {
            Some(cadence) => {
                for u in 0..g.users {
                    let offset = u as f64 * ramp / g.users as f64;
                    let rng = Xoshiro256PlusPlus::from_rng(&mut seed_rng);
                    tasks.spawn(paced_user(
                        ctx.clone(),
                        gname.clone(),
                        u as u32,
                        offset,
                        UserSchedule::new(cadence, g.late),
                        g.work.clone(),
                        rng,
                    ));
                }
            }
            None => {
                debug_assert_eq!(g.mode, PacingMode::ArrivalRate);
                let rng = Xoshiro256PlusPlus::from_rng(&mut seed_rng);
                tasks.spawn(arrivals(
                    ctx.clone(),
                    gname.clone(),
                    g.users,
                    g.rate,
                    g.work.clone(),
                    rng,
                ));
            }
        }
    }

    // Wait for the end, an interrupt, or the grace period after `duration`.
    let mut interrupted = None;
    let end = ctx.t0 + Duration::from_secs_f64(duration);
    {
        let all_done = async { while tasks.join_next().await.is_some() {} };
        tokio::pin!(all_done);
        let mut hard_deadline =
            tokio::time::Instant::from_std(end + Duration::from_secs_f64(grace));
        let mut interrupts = 0;
        loop {
            tokio::select! {
                _ = &mut all_done => break,
                // In-flight iterations past their grace are cut off.
                _ = tokio::time::sleep_until(hard_deadline) => break,
                sig = interrupt() => {
                    interrupts += 1;
                    if interrupts >= 2 {
                        interrupted = Some(format!("{sig} twice: stopped at once"));
                        break;
                    }
                    interrupted = Some(format!("{sig}: stopped starting iterations, in-flight ones given the grace"));
                    ctx.stop.store(true, Ordering::Relaxed);
                    ctx.stop_notify.notify_waiters();
                    let now = tokio::time::Instant::now();
                    hard_deadline = hard_deadline.min(now + Duration::from_secs_f64(grace));
                    if !cfg.quiet {
                        eprintln!("pace: {sig}: finishing in-flight iterations (up to {} s); press Ctrl-C again to stop at once", grace);
                    }
                }
            }
        }
    }
    ctx.stop.store(true, Ordering::Relaxed);
    ctx.stop_notify.notify_waiters();
    tasks.abort_all();
    while tasks.join_next().await.is_some() {}
    let run_time = ctx.now();
    for g in &groups {
        if let GroupWork::Script { spec, .. } = &*g.work
            && let Some(z) = spec.zygote.get()
        {
            z.shutdown(Duration::from_secs(2)).await;
        }
    }
    scripts.finish();
    drop(ctx);
    if let Some(t) = embedded {
        t.shutdown().await;
    }
    let aggregate = recorder
        .await
        .map_err(|e| RunError::Io(std::io::Error::other(e.to_string())))??;
    Ok(Execution {
        aggregate,
        started,
        run_time,
        interrupted,
        vars: cfg.vars.clone(),
    })
}

/// Resolves on SIGINT (Ctrl-C) or SIGTERM, naming which.
async fn interrupt() -> &'static str {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let mut term = match signal(SignalKind::terminate()) {
            Ok(s) => s,
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
                return "Ctrl-C";
            }
        };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => "Ctrl-C",
            _ = term.recv() => "SIGTERM",
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
        "Ctrl-C"
    }
}

/// One iteration in progress: who runs it and when it started.
struct Iter<'a> {
    group: &'a str,
    user: u32,
    n: u64,
    /// Actual start, seconds since t0.
    started: f64,
    /// Scheduled start.
    nominal: f64,
    /// How late against the schedule.
    late: f64,
    /// Late because the previous iteration overran.
    overrun: bool,
}

fn iteration_sample(it: &Iter<'_>, ended: f64, ok: bool) -> Sample {
    let mut s = Sample::event(Kind::Iteration, it.started, it.group, it.user);
    s.iter_sched = it.nominal;
    s.iteration = it.n;
    s.latency = ended - it.started;
    s.latency_sched = ended - it.started + it.late;
    s.late = it.late;
    s.overrun = it.overrun;
    s.ok = ok;
    s
}

async fn paced_user(
    ctx: Arc<Ctx>,
    group: Arc<str>,
    user: u32,
    offset: f64,
    mut schedule: UserSchedule,
    work: Arc<GroupWork>,
    mut rng: Xoshiro256PlusPlus,
) {
    let mut work = work.user(user);
    if offset >= ctx.duration || !ctx.sleep_until(offset).await {
        work.finish().await;
        return;
    }
    ctx.record(Sample::event(Kind::UserStart, ctx.now(), &group, user));
    let mut at = schedule.first(offset, &mut rng);
    let mut nominal = at;
    let mut overrun = false;
    let mut n = 0u64;
    while at < ctx.duration && ctx.sleep_until(at).await {
        let started = ctx.now();
        let it = Iter {
            group: &group,
            user,
            n,
            started,
            nominal,
            late: (started - nominal).max(0.0),
            overrun,
        };
        let ok = work.iteration(&ctx, &it).await;
        let ended = ctx.now();
        ctx.record(iteration_sample(&it, ended, ok));
        n += 1;
        if work.retired() {
            break;
        }
        let next = schedule.next(started, ended, &mut rng);
        if next.skipped > 0 {
            for _ in 0..next.skipped {
                ctx.record(Sample::event(Kind::Skipped, ended, &group, user));
            }
        }
        at = next.at;
        nominal = next.nominal;
        overrun = next.overrun;
    }
    ctx.record(Sample::event(Kind::UserStop, ctx.now(), &group, user));
    work.finish().await;
}

/// Work for an arrival-rate worker: when it was due, and the way back into
/// the idle pool.
struct Job {
    nominal: f64,
    back: mpsc::UnboundedSender<Job>,
}

/// The open model: iterations start at a constant rate from a pool of
/// `users` workers; an arrival that finds no free worker is dropped.
async fn arrivals(
    ctx: Arc<Ctx>,
    group: Arc<str>,
    users: u64,
    rate: f64,
    work: Arc<GroupWork>,
    mut rng: Xoshiro256PlusPlus,
) {
    // The idle pool; `None` once dispatching is over, so a worker that
    // finishes late exits instead of waiting for work that never comes.
    type Pool = Arc<std::sync::Mutex<Option<Vec<mpsc::UnboundedSender<Job>>>>>;
    let idle: Pool = Arc::new(std::sync::Mutex::new(Some(Vec::new())));
    let mut workers = tokio::task::JoinSet::new();
    for u in 0..users {
        // A worker holds no sender of its own while idle (the job carries
        // it back), so dropping the pool closes idle workers' channels.
        let (wtx, mut wrx) = mpsc::unbounded_channel::<Job>();
        if let Some(pool) = idle.lock().expect("not poisoned").as_mut() {
            pool.push(wtx);
        }
        let (ctx, group, idle) = (ctx.clone(), group.clone(), idle.clone());
        let mut work = work.user(u as u32);
        workers.spawn(async move {
            ctx.record(Sample::event(Kind::UserStart, ctx.now(), &group, u as u32));
            let mut n = 0u64;
            while let Some(Job { nominal, back }) = wrx.recv().await {
                let started = ctx.now();
                let it = Iter {
                    group: &group,
                    user: u as u32,
                    n,
                    started,
                    nominal,
                    late: (started - nominal).max(0.0),
                    overrun: false,
                };
                let ok = work.iteration(&ctx, &it).await;
                let ended = ctx.now();
                ctx.record(iteration_sample(&it, ended, ok));
                n += 1;
                if work.retired() {
                    // Out of the pool: its arrivals find another user or drop.
                    break;
                }
                match idle.lock().expect("not poisoned").as_mut() {
                    Some(pool) if !ctx.stopped() => pool.push(back),
                    _ => break,
                }
            }
            ctx.record(Sample::event(Kind::UserStop, ctx.now(), &group, u as u32));
            work.finish().await;
        });
    }
    let interval = 1.0 / rate;
    // A random phase, like paced users, so counts follow the band's model.
    let mut at = rand::RngExt::random::<f64>(&mut rng) * interval;
    while at < ctx.duration && ctx.sleep_until(at).await {
        let worker = idle
            .lock()
            .expect("not poisoned")
            .as_mut()
            .and_then(|p| p.pop());
        match worker {
            Some(w) => {
                let _ = w.send(Job {
                    nominal: at,
                    back: w.clone(),
                });
            }
            None => ctx.record(Sample::event(Kind::Dropped, at, &group, 0)),
        }
        at += interval;
    }
    // Idle workers see their channel close and stop; busy ones find the
    // pool gone when they finish.
    let pool = idle.lock().expect("not poisoned").take();
    drop(pool);
    while workers.join_next().await.is_some() {}
}
