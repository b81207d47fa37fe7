//! What one iteration of a virtual user does: HTTP steps, or one `run()`
//! of a script in the user's worker process. The scheduling loops in
//! mod.rs are the same for both.

use super::http::{self, Step};
use super::script::{ScriptSpec, ScriptUser, Worker};
use super::{Ctx, Iter, client};
use crate::results::sample::{Kind, Sample};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};

/// Retirements announced on stderr per group; the rest are in the samples.
const RETIREMENTS_SHOWN: u32 = 5;

/// A group's work, shared by its users.
pub enum GroupWork {
    Http(Arc<Vec<Step>>),
    Script {
        spec: Arc<ScriptSpec>,
        /// Workers started before the clock, taken by their users.
        ready: Mutex<Vec<Option<Worker>>>,
        retired: AtomicU32,
    },
}

impl GroupWork {
    /// User `u`'s own work.
    pub fn user(self: &Arc<Self>, u: u32) -> Work {
        match &**self {
            GroupWork::Http(steps) => Work::Http {
                client: client(),
                steps: steps.clone(),
            },
            GroupWork::Script { spec, ready, .. } => {
                let worker = ready
                    .lock()
                    .expect("not poisoned")
                    .get_mut(u as usize)
                    .and_then(Option::take);
                Work::Script {
                    user: Box::new(ScriptUser::new(spec.clone(), u, worker)),
                    group: self.clone(),
                }
            }
        }
    }
}

/// One user's work across its iterations.
pub enum Work {
    Http {
        client: reqwest::Client,
        steps: Arc<Vec<Step>>,
    },
    Script {
        // Boxed: a worker's pipes are far larger than an HTTP client handle.
        user: Box<ScriptUser>,
        group: Arc<GroupWork>,
    },
}

impl Work {
    /// Runs one iteration, recording its transactions; true when all
    /// succeeded.
    pub async fn iteration(&mut self, ctx: &Ctx, it: &Iter<'_>) -> bool {
        match self {
            Work::Http { client, steps } => http_iteration(ctx, client, it, steps).await,
            Work::Script { user, group } => {
                let ok = script_iteration(ctx, user, it).await;
                if user.retired()
                    && let GroupWork::Script { retired, .. } = &**group
                {
                    let n = retired.fetch_add(1, Ordering::Relaxed) + 1;
                    if n <= RETIREMENTS_SHOWN {
                        eprintln!(
                            "pace: group '{}' user {} retired after repeated worker failures (see its errors in the report{})",
                            it.group,
                            it.user,
                            if n == RETIREMENTS_SHOWN {
                                "; further retirements are not announced"
                            } else {
                                ""
                            }
                        );
                    }
                }
                ok
            }
        }
    }

    /// True when the user cannot go on (its worker kept failing).
    pub fn retired(&self) -> bool {
        matches!(self, Work::Script { user, .. } if user.retired())
    }

    /// Ends the user's work (stops its worker).
    pub async fn finish(self) {
        if let Work::Script { user, .. } = self {
            (*user).stop().await;
        }
    }
}

/// Runs one iteration's steps; true when every step succeeded.
async fn http_iteration(
    ctx: &Ctx,
    client: &reqwest::Client,
    it: &Iter<'_>,
    steps: &[Step],
) -> bool {
    let mut all_ok = true;
    for step in steps {
        let o = http::send(client, step).await;
        let t = (o.sent - ctx.t0).as_secs_f64();
        let latency = o.latency.as_secs_f64();
        let ok = o.error.is_none();
        all_ok &= ok;
        let (error_kind, error) = match o.error {
            Some((k, m)) => (Some(k), m),
            None => (None, String::new()),
        };
        ctx.record(Sample {
            kind: Kind::Step,
            t,
            iter_start: it.started,
            iter_sched: it.nominal,
            group: it.group.to_string(),
            user: it.user,
            iteration: it.n,
            name: step.name.clone(),
            latency,
            latency_sched: latency + it.late,
            status: o.status,
            ok,
            error_kind,
            error,
            bytes: o.bytes,
            late: 0.0,
            overrun: false,
            ttfb: o.ttfb.as_secs_f64(),
        });
        if !step.think.is_zero() {
            tokio::time::sleep(step.think).await;
        }
    }
    all_ok
}

/// One `run()`: the transaction (named after the group), then each custom
/// timer the script set.
async fn script_iteration(ctx: &Ctx, user: &mut ScriptUser, it: &Iter<'_>) -> bool {
    let o = user.iteration(it.n).await;
    let t = (o.sent - ctx.t0).as_secs_f64();
    let ok = o.error.is_none();
    let (error_kind, error) = match o.error {
        Some((k, m)) => (Some(k), m),
        None => (None, String::new()),
    };
    let mut s = Sample::event(Kind::Step, t, it.group, it.user);
    s.iter_start = it.started;
    s.iter_sched = it.nominal;
    s.iteration = it.n;
    s.latency = o.elapsed;
    s.latency_sched = o.elapsed + it.late;
    s.ok = ok;
    s.error_kind = error_kind;
    s.error = error;
    // The transaction first: it claims its name before any custom timer.
    ctx.record(s);
    for (name, value) in o.timers {
        let mut c = Sample::event(Kind::Timer, t, it.group, it.user);
        c.iter_start = it.started;
        c.iter_sched = it.nominal;
        c.iteration = it.n;
        c.name = name;
        c.latency = value;
        c.latency_sched = value;
        c.ok = ok;
        ctx.record(c);
    }
    ok
}
