//! What one iteration of a virtual user does: HTTP steps, or one `run()`
//! of a script in the user's worker process. The scheduling loops in
//! mod.rs are the same for both.

use super::Ctx;
use super::data::{Data, UserData};
use super::http::{self, Step};
use super::prepare::client;
use super::script::{ScriptSpec, ScriptUser, Worker};
use super::template::RenderError;
use super::users::{Iter, Outcome};
use crate::plan::extract::ExtractScope;
use crate::results::sample::{ErrorKind, Kind};
use rand::SeedableRng;
use rand::rngs::Xoshiro256PlusPlus;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// Retirements announced on stderr per group; the rest are in the samples.
const RETIREMENTS_SHOWN: u32 = 5;

/// An HTTP group's steps and what its users share.
pub struct HttpGroup {
    pub steps: Vec<Step>,
    /// The test data, if the group has some.
    pub data: Option<Arc<Data>>,
    /// A cookie jar per user.
    pub cookies: bool,
    /// The run's seed: each user's think times draw from a stream of it.
    pub seed: u64,
    /// Values of runtime variable names from `--var`/`PACE_TARGET` or the
    /// environment, read at build time: the last resort of a lookup.
    pub fallback: HashMap<String, String>,
}

/// A group's work, shared by its users.
pub enum GroupWork {
    Http(Arc<HttpGroup>),
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
            GroupWork::Http(g) => {
                let clock = http::ConnectClock::default();
                // A stream of its own: run seed, user, and a constant that
                // keeps it apart from the schedule's and the data's.
                let seed =
                    g.seed ^ 0x7417_4B00_0000_0000 ^ (u as u64).wrapping_mul(0xBF58_476D_1CE4_E5B9);
                Work::Http {
                    client: client(&clock, g.cookies),
                    clock,
                    user: Box::new(HttpUser {
                        group: g.clone(),
                        data: g.data.as_ref().map(|d| d.user(u)),
                        row: None,
                        user_vars: HashMap::new(),
                        iter_vars: HashMap::new(),
                        rng: Xoshiro256PlusPlus::seed_from_u64(seed),
                        retired: None,
                    }),
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
        // Boxed: its variables and generator are larger than a client handle.
        user: Box<HttpUser>,
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
                user,
            } => http_iteration(ctx, client, clock, it, user).await,
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
                        errln!(
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

    /// Prepares the next iteration (its test-data row); `Err(why)` when
    /// the user cannot start one (the data ran out): it retires.
    pub fn begin(&mut self) -> Result<(), String> {
        let Work::Http { user, .. } = self else {
            return Ok(());
        };
        if let Some(why) = &user.retired {
            return Err(why.clone());
        }
        let Some(data) = &mut user.data else {
            return Ok(());
        };
        match data.next_row() {
            Some(r) => {
                user.row = Some(r);
                Ok(())
            }
            None => {
                let shared = data.shared();
                let why = shared.exhausted();
                if shared.first_to_announce() {
                    errln!("pace: {why}: users stop starting iterations");
                }
                user.retired = Some(why.clone());
                Err(why)
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

    /// Ends the user's work (stops its worker).
    pub async fn finish(self) {
        if let Work::Script { user, .. } = self {
            (*user).stop().await;
        }
    }
}

/// One HTTP user's state across its iterations: its test-data row, its
/// extracted variables and its think-time generator.
pub struct HttpUser {
    group: Arc<HttpGroup>,
    data: Option<UserData>,
    /// The current iteration's row.
    row: Option<usize>,
    /// Extracted with `scope = "user"`.
    user_vars: HashMap<String, String>,
    /// Extracted with `scope = "iteration"`; cleared at each start.
    iter_vars: HashMap<String, String>,
    rng: Xoshiro256PlusPlus,
    /// Why it stopped (the data ran out).
    retired: Option<String>,
}

impl HttpUser {
    /// A runtime variable's value: extracted (iteration, then user
    /// scope), the data row, then `--var`/the environment.
    fn var(&self, name: &str) -> Option<String> {
        if let Some(v) = self.iter_vars.get(name).or(self.user_vars.get(name)) {
            return Some(v.clone());
        }
        if let (Some(d), Some(r)) = (&self.data, self.row)
            && let Some(v) = d.table().get(r, name)
        {
            return Some(v.to_string());
        }
        self.group.fallback.get(name).cloned()
    }
}

/// Runs one iteration's steps. A step still in flight when the run is cut
/// off is recorded as a `cutoff` error and the iteration ends there. A step
/// that cannot be built from its variables, or that has extractors and
/// fails, ends the iteration: the steps after it would use what it did
/// not set (LoadRunner aborts the iteration likewise).
async fn http_iteration(
    ctx: &Ctx,
    client: &reqwest::Client,
    clock: &http::ConnectClock,
    it: &Iter<'_>,
    user: &mut HttpUser,
) -> Outcome {
    let mut all_ok = true;
    let behind = it.behind();
    user.iter_vars.clear();
    let group = user.group.clone();
    for step in &group.steps {
        let rendered = match &step.dynamic {
            None => None,
            Some(d) => match d.render(step, &|n| user.var(n)) {
                Ok(r) => Some(r),
                Err(e) => {
                    let (kind, why) = match e {
                        RenderError::Unset(w) => (ErrorKind::Extract, format!("{w} is not set")),
                        RenderError::Invalid(w) => (ErrorKind::Io, w),
                    };
                    let mut s = it.sample(Kind::Step, ctx.now());
                    s.name = step.name.clone();
                    s.latency_sched = behind;
                    s.ok = false;
                    s.error_kind = Some(kind);
                    s.error = format!("step '{}' not sent: {why}", step.name);
                    ctx.record(s);
                    return Outcome {
                        ok: false,
                        cut: false,
                    };
                }
            },
        };
        let sent_at = std::time::Instant::now();
        let received = AtomicU64::new(0);
        let (mut o, cut) = tokio::select! {
            o = http::send(client, clock, step, rendered.as_ref(), &received) => (o, false),
            _ = ctx.cut_off() => (
                http::Outcome::cut_off(sent_at, received.load(Ordering::Relaxed)),
                true,
            ),
        };
        if let Some(reply) = o.reply.take() {
            for x in &step.extractors {
                match x.apply(&step.name, &reply.headers, &reply.body) {
                    Ok(v) => {
                        let vars = match x.scope {
                            ExtractScope::Iteration => &mut user.iter_vars,
                            ExtractScope::User => &mut user.user_vars,
                        };
                        vars.insert(x.name.clone(), v);
                    }
                    Err(why) => {
                        o.error = Some((ErrorKind::Extract, why));
                        break;
                    }
                }
            }
        }
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
        // Cut off after a re-send: the clock still counts it.
        s.reconnects = if cut {
            clock.reconnects()
        } else {
            o.reconnects
        };
        // A request cut off before it was written may not have been sent
        // whole; the size is what pace asked to send either way.
        s.sent_bytes = rendered.as_ref().map_or(step.sent_bytes, |r| r.sent_bytes);
        ctx.record(s);
        if cut {
            return Outcome {
                ok: false,
                cut: true,
            };
        }
        if !ok && !step.extractors.is_empty() {
            return Outcome {
                ok: false,
                cut: false,
            };
        }
        let think = step.think.draw(&mut user.rng);
        // A think time beyond Duration's range is "until the run ends".
        let pause = std::time::Duration::try_from_secs_f64(think)
            .unwrap_or(std::time::Duration::from_secs(u32::MAX as u64));
        if think > 0.0 && !ctx.think(pause).await {
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
        c.name = name.into();
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
