//! What one iteration of a virtual user does: HTTP steps, or one `run()`
//! of a script in the user's worker process. The scheduling loops in
//! mod.rs are the same for both.

use super::http::{self, Step};
use super::script::{ScriptSpec, ScriptUser, Worker};
use super::{Ctx, Iter, Outcome, client};
use crate::results::sample::{ErrorKind, Kind};
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
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
            GroupWork::Http(steps) => {
                let clock = http::ConnectClock::default();
                Work::Http {
                    client: client(&clock),
                    clock,
                    steps: steps.clone(),
                }
            }
            GroupWork::Script { spec, ready, .. } => {
                let worker = ready
                    .lock()
                    .expect("not poisoned")
                    .get_mut(u as usize)
                    .and_then(Option::take);
                Work::Script {
                    user: Box::new(ScriptUser::new(spec.clone(), u, worker)),
                    group: self.clone(),
                    last_error: String::new(),
                }
            }
        }
    }
}

/// One user's work across its iterations.
pub enum Work {
    Http {
        client: reqwest::Client,
        /// Times the connections `client` opens.
        clock: http::ConnectClock,
        steps: Arc<Vec<Step>>,
    },
    Script {
        // Boxed: a worker's pipes are far larger than an HTTP client handle.
        user: Box<ScriptUser>,
        group: Arc<GroupWork>,
        /// The last failure, said again when the user retires.
        last_error: String,
    },
}

impl Work {
    /// Runs one iteration, recording its transactions.
    pub async fn iteration(&mut self, ctx: &Ctx, it: &Iter<'_>) -> Outcome {
        match self {
            Work::Http {
                client,
                clock,
                steps,
            } => http_iteration(ctx, client, clock, it, steps).await,
            Work::Script {
                user,
                group,
                last_error,
            } => {
                let ok = script_iteration(ctx, user, it, last_error).await;
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

    /// Why the user cannot go on (its worker kept failing), if it cannot.
    pub fn retired(&self) -> Option<String> {
        match self {
            Work::Script {
                user, last_error, ..
            } if user.retired() => Some(format!(
                "retired after {} worker failures in a row; the last: {last_error}",
                super::script::MAX_FAILURES
            )),
            _ => None,
        }
    }

    /// True when the user has retired.
    pub fn is_retired(&self) -> bool {
        matches!(self, Work::Script { user, .. } if user.retired())
    }

    /// Ends the user's work (stops its worker).
    pub async fn finish(self) {
        if let Work::Script { user, .. } = self {
            (*user).stop().await;
        }
    }
}

/// Runs one iteration's steps. A step still in flight when the run is cut
/// off is recorded as a `cutoff` error and the iteration ends there.
async fn http_iteration(
    ctx: &Ctx,
    client: &reqwest::Client,
    clock: &http::ConnectClock,
    it: &Iter<'_>,
    steps: &[Step],
) -> Outcome {
    let mut all_ok = true;
    let behind = it.behind();
    for step in steps {
        let sent_at = std::time::Instant::now();
        let received = AtomicU64::new(0);
        let (o, cut) = tokio::select! {
            o = http::send(client, clock, step, &received) => (o, false),
            _ = ctx.cut_off() => (
                http::Outcome::cut_off(sent_at, received.load(Ordering::Relaxed)),
                true,
            ),
        };
        let t = (o.sent - ctx.t0).as_secs_f64();
        let latency = o.latency.as_secs_f64();
        let ok = o.error.is_none();
        all_ok &= ok;
        let (error_kind, error) = match o.error {
            Some((k, m)) => (Some(k), m),
            None => (None, String::new()),
        };
        let mut s = it.sample(Kind::Step, t);
        s.name = step.name.clone();
        s.latency = latency;
        s.latency_sched = latency + behind;
        s.status = o.status;
        s.ok = ok;
        s.error_kind = error_kind;
        s.error = error;
        s.bytes = o.bytes;
        s.ttfb = o.ttfb.as_secs_f64();
        s.connect = o.connect.as_secs_f64();
        // A request cut off before it was written may not have been sent
        // whole; the size is what pace asked to send either way.
        s.sent_bytes = step.sent_bytes;
        ctx.record(s);
        if cut || (!step.think.is_zero() && !ctx.think(step.think).await) {
            return Outcome {
                ok: false,
                cut: true,
            };
        }
    }
    Outcome {
        ok: all_ok,
        cut: false,
    }
}

/// One `run()`: the transaction (named after the group), then each custom
/// timer the script set. A `run()` still going when the run is cut off is
/// recorded as a `cutoff` error (its worker is then killed).
async fn script_iteration(
    ctx: &Ctx,
    user: &mut ScriptUser,
    it: &Iter<'_>,
    last_error: &mut String,
) -> Outcome {
    let sent = std::time::Instant::now();
    let o = tokio::select! {
        o = user.iteration(it.n) => o,
        _ = ctx.cut_off() => {
            let mut s = it.sample(Kind::Step, (sent - ctx.t0).as_secs_f64());
            s.latency = sent.elapsed().as_secs_f64();
            s.latency_sched = s.latency + it.behind();
            s.ok = false;
            s.error_kind = Some(ErrorKind::Cutoff);
            s.error = CUT_OFF.into();
            ctx.record(s);
            return Outcome { ok: false, cut: true };
        }
    };
    let t = (o.sent - ctx.t0).as_secs_f64();
    let ok = o.error.is_none();
    let (error_kind, error) = match o.error {
        Some((k, m)) => (Some(k), m),
        None => (None, String::new()),
    };
    if !ok {
        last_error.clone_from(&error);
    }
    let mut s = it.sample(Kind::Step, t);
    s.latency = o.elapsed;
    s.latency_sched = o.elapsed + it.behind();
    s.ok = ok;
    s.error_kind = error_kind;
    s.error = error;
    // The transaction first: it claims its name before any custom timer.
    ctx.record(s);
    for (name, value) in o.timers {
        let mut c = it.sample(Kind::Timer, t);
        c.name = name;
        c.latency = value;
        c.latency_sched = value;
        c.ok = ok;
        ctx.record(c);
    }
    Outcome { ok, cut: false }
}

/// The message of a transaction cut off in flight.
pub const CUT_OFF: &str =
    "cut off: still in flight when the run ended (grace over, or a second Ctrl-C)";
