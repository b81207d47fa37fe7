//! The virtual users' loops: a closed-loop user on its pacing schedule,
//! and the arrival-rate pool that starts an iteration per arrival.

use super::work::Work;
use super::*;

/// One iteration in progress: who runs it and when it started.
pub(super) struct Iter<'a> {
    pub(super) group: &'a Arc<str>,
    pub(super) user: u32,
    pub(super) n: u64,
    /// Actual start, seconds since t0.
    pub(super) started: f64,
    /// Scheduled start.
    pub(super) nominal: f64,
    /// The start on the plan's absolute schedule (see `Sample::iter_planned`).
    pub(super) planned: f64,
    /// How late against the schedule.
    pub(super) late: f64,
    /// Late because the previous iteration overran.
    pub(super) overrun: bool,
}

impl Iter<'_> {
    /// How far behind the absolute schedule the iteration started: what the
    /// coordinated-omission view adds to every latency of it.
    pub(super) fn behind(&self) -> f64 {
        (self.started - self.planned).max(0.0)
    }

    /// A sample of this iteration, of `kind`, at `t`.
    pub(super) fn sample(&self, kind: Kind, t: f64) -> Sample {
        let mut s = Sample::event(kind, t, self.group.clone(), self.user);
        s.iter_start = self.started;
        s.iter_sched = self.nominal;
        s.iter_planned = self.planned;
        s.iteration = self.n;
        // Every row of the iteration says how late it started and why, so
        // a step row alone tells the generator's lateness from an
        // overrun's (docs/reports.md, samples.csv).
        s.late = self.late;
        s.overrun = self.overrun;
        s
    }
}

/// How one iteration went.
#[derive(Debug, Clone, Copy)]
pub(super) struct Outcome {
    /// Every transaction succeeded.
    pub(super) ok: bool,
    /// The run ended while it was in flight.
    pub(super) cut: bool,
}

pub(super) fn iteration_sample(it: &Iter<'_>, ended: f64, o: Outcome) -> Sample {
    let mut s = it.sample(Kind::Iteration, it.started);
    s.latency = ended - it.started;
    s.latency_sched = s.latency + it.behind();
    s.late = it.late;
    s.overrun = it.overrun;
    s.ok = o.ok;
    if o.cut {
        s.error_kind = Some(ErrorKind::Cutoff);
        s.error = "cut off: the run ended before the iteration did".into();
    }
    s
}

pub(super) async fn paced_user(
    ctx: Arc<Ctx>,
    group: Arc<str>,
    user: u32,
    offset: f64,
    mut schedule: UserSchedule,
    mut work: Work,
    mut rng: Xoshiro256PlusPlus,
) {
    if offset >= ctx.duration || !ctx.sleep_until(offset).await {
        work.finish().await;
        return;
    }
    ctx.record(Sample::event(
        Kind::UserStart,
        ctx.now(),
        group.clone(),
        user,
    ));
    let mut at = schedule.first(offset, &mut rng);
    let mut nominal = at;
    let mut planned = at;
    let mut overrun = false;
    let mut n = 0u64;
    let mut cut = false;
    while at < ctx.duration && ctx.sleep_until(at).await {
        if let Err(why) = work.begin() {
            retire(&ctx, &group, user, why);
            break;
        }
        let started = ctx.now();
        let it = Iter {
            group: &group,
            user,
            n,
            started,
            nominal,
            planned,
            late: (started - nominal).max(0.0),
            overrun,
        };
        let o = work.iteration(&ctx, &it).await;
        let ended = ctx.now();
        ctx.record(iteration_sample(&it, ended, o));
        n += 1;
        if ctx.max_iterations.is_some_and(|m| n >= m) && !o.cut {
            break;
        }
        if o.cut {
            // The schedule moves on past the iteration that never ended,
            // so its backlog below counts the starts it blocked.
            let _ = schedule.next(started, ended, &mut rng);
            cut = true;
            break;
        }
        if let Some(why) = work.retired() {
            let mut r = Sample::event(Kind::Retired, ended, group.clone(), user);
            r.ok = false;
            r.error = why;
            ctx.record(r);
            break;
        }
        let next = schedule.next(started, ended, &mut rng);
        for t in &next.skipped {
            ctx.record(Sample::event(Kind::Skipped, *t, group.clone(), user));
        }
        at = next.at;
        nominal = next.nominal;
        planned = next.planned;
        overrun = next.overrun;
    }
    // Starts the absolute schedule held before the end that this user,
    // behind it, never made: the verdict counts them, the CO view's
    // backlog is their cost. A retired user's are the rest of its
    // schedule (its `retired` row comes first), which the verdict counts
    // exactly as the retired user's loss rather than estimating it.
    let until = ctx
        .signals
        .stopped_at
        .get()
        .map_or(ctx.duration, |t| t.min(ctx.duration));
    for t in schedule.backlog(until, &mut rng) {
        ctx.record(Sample::event(Kind::Missed, t, group.clone(), user));
    }
    ctx.record(Sample::event(
        Kind::UserStop,
        ctx.now(),
        group.clone(),
        user,
    ));
    if cut {
        // Its worker is mid-call: killed, not asked to stop.
        drop(work);
    } else {
        work.finish().await;
    }
}

/// Records that `user` retired now, and why.
pub(super) fn retire(ctx: &Ctx, group: &Arc<str>, user: u32, why: String) {
    let mut r = Sample::event(Kind::Retired, ctx.now(), group.clone(), user);
    r.ok = false;
    r.error = why;
    ctx.record(r);
}

/// Work for an arrival-rate worker: when it was due, and the way back into
/// the idle pool.
pub(super) struct Job {
    pub(super) nominal: f64,
    pub(super) back: mpsc::UnboundedSender<Job>,
}

/// The open model: iterations start at a constant rate from a pool of
/// `pool` workers (the global ids of the users it owns, each with its work
/// made before t0); an arrival that
/// finds no free worker is dropped (only the shard's own arrivals).
pub(super) async fn arrivals(
    ctx: Arc<Ctx>,
    group: Arc<str>,
    pool: Vec<(u64, Work)>,
    mut due: Arrivals,
) {
    // The idle pool; `None` once dispatching is over, so a worker that
    // finishes late exits instead of waiting for work that never comes.
    type Pool = Arc<std::sync::Mutex<Option<Vec<mpsc::UnboundedSender<Job>>>>>;
    let idle: Pool = Arc::new(std::sync::Mutex::new(Some(Vec::new())));
    let mut workers = tokio::task::JoinSet::new();
    for (u, mut work) in pool {
        // A worker holds no sender of its own while idle (the job carries
        // it back), so dropping the pool closes idle workers' channels.
        let (wtx, mut wrx) = mpsc::unbounded_channel::<Job>();
        if let Some(pool) = idle.lock().expect("not poisoned").as_mut() {
            pool.push(wtx);
        }
        let (ctx, group, idle) = (ctx.clone(), group.clone(), idle.clone());
        workers.spawn(async move {
            ctx.record(Sample::event(
                Kind::UserStart,
                ctx.now(),
                group.clone(),
                u as u32,
            ));
            let mut n = 0u64;
            let mut cut = false;
            while let Some(Job { nominal, back }) = wrx.recv().await {
                if let Err(why) = work.begin() {
                    // Its arrival never started: dropped, and the user leaves
                    // the pool.
                    ctx.record(Sample::event(Kind::Dropped, nominal, group.clone(), 0));
                    retire(&ctx, &group, u as u32, why);
                    break;
                }
                let started = ctx.now();
                let it = Iter {
                    group: &group,
                    user: u as u32,
                    n,
                    started,
                    nominal,
                    planned: nominal,
                    late: (started - nominal).max(0.0),
                    overrun: false,
                };
                let o = work.iteration(&ctx, &it).await;
                let ended = ctx.now();
                ctx.record(iteration_sample(&it, ended, o));
                n += 1;
                if o.cut {
                    cut = true;
                    break;
                }
                if let Some(why) = work.retired() {
                    // Out of the pool: its arrivals find another user or drop.
                    let mut r = Sample::event(Kind::Retired, ended, group.clone(), u as u32);
                    r.ok = false;
                    r.error = why;
                    ctx.record(r);
                    break;
                }
                match idle.lock().expect("not poisoned").as_mut() {
                    Some(pool) if !ctx.stopped() => pool.push(back),
                    _ => break,
                }
            }
            ctx.record(Sample::event(
                Kind::UserStop,
                ctx.now(),
                group.clone(),
                u as u32,
            ));
            if cut {
                drop(work);
            } else {
                work.finish().await;
            }
        });
    }
    // The shard's own arrivals on the global clock (roster::Arrivals).
    let (_, mut at) = due.next_due();
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
            None => ctx.record(Sample::event(Kind::Dropped, at, group.clone(), 0)),
        }
        at = due.next_due().1;
    }
    // Arrivals still due before the end when the dispatch stopped (the
    // run was stopped while the generator was behind its arrivals): never
    // started, recorded so that the verdict puts them on the generator.
    let until = ctx
        .signals
        .stopped_at
        .get()
        .map_or(ctx.duration, |t| t.min(ctx.duration));
    if at < until {
        record_unstarted(&ctx, &group, at, until, &mut due);
    }
    // Idle workers see their channel close and stop; busy ones find the
    // pool gone when they finish.
    let pool = idle.lock().expect("not poisoned").take();
    drop(pool);
    while workers.join_next().await.is_some() {}
}

/// Records the arrivals this shard never dispatched, from the first one
/// (due at `first`, already taken from `due`) until `until` (the end of
/// the run, or where an interrupt stopped it: later arrivals were never
/// due), as `missed` rows in blocks: one row per block of planned time,
/// at its first arrival, `iteration` holding how many arrivals it stands
/// for. Blocks are a second long and never straddle the end of ramp-up
/// (where the judged window opens), so each row lies wholly inside or
/// outside any span the verdict uses. An overloaded generator can leave
/// millions unstarted: counted, not written one by one.
fn record_unstarted(ctx: &Ctx, group: &Arc<str>, first: f64, until: f64, due: &mut Arrivals) {
    let mut start = first;
    // The first arrival was taken already.
    let mut taken = 1u64;
    while start < until {
        let end = next_edge(start, &[ctx.ramp_up]).min(until);
        let count = taken + due.take_before(end);
        let mut s = Sample::event(Kind::Missed, start, group.clone(), 0);
        s.iteration = count;
        s.ok = false;
        s.error = "never started: the generator fell behind its arrivals".into();
        ctx.record(s);
        // The next block opens at the next arrival, taken with it.
        start = due.peek();
        taken = 0;
        if start >= until {
            break;
        }
    }
}

/// The end of the one-second block holding `t`, cut at any of `edges`
/// above `t`.
fn next_edge(t: f64, edges: &[f64]) -> f64 {
    let whole = t.floor() + 1.0;
    edges
        .iter()
        .copied()
        .filter(|&e| e > t)
        .fold(whole, f64::min)
}
