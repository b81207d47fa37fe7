//! Who runs and when, for the whole plan or one shard of it: every group's
//! users enumerated, each with its global phase and its own random stream
//! drawn from the seed in one fixed order, whatever the shard; a shard
//! keeps the users (u mod N = I within each group) and the arrivals
//! (global index k mod N = I) it owns. Pure, so that the union of the
//! shards' schedules can be checked against the unsplit one.

use super::schedule::{Cadence, UserSchedule};
use crate::plan::file::{GroupSection, Late, PacingMode, PlanFile};
use crate::plan::segment::Shard;
use rand::SeedableRng;
use rand::rngs::Xoshiro256PlusPlus;

/// A paced or closed-loop user to start.
#[derive(Debug, Clone)]
pub struct Member {
    /// The group's index in the plan.
    pub group: usize,
    /// The user's global id within its group (the same on every shard).
    pub user: u64,
    /// When it starts, seconds from t0: `user x ramp / users`.
    pub offset: f64,
    pub cadence: Cadence,
    pub late: Late,
    pub rng: Xoshiro256PlusPlus,
}

/// An arrival-rate group to dispatch.
#[derive(Debug, Clone)]
pub struct Open {
    pub group: usize,
    /// The shard's workers: the global ids of the pool's users it owns.
    pub pool: Vec<u64>,
    pub arrivals: Arrivals,
}

/// What a run starts.
#[derive(Debug, Clone)]
pub enum Slot {
    User(Member),
    Arrivals(Open),
}

/// A group's cadence as the runner follows it (`None` for arrival rate).
pub fn cadence_of(g: &GroupSection) -> Option<Cadence> {
    match g.pacing.mode {
        PacingMode::AfterEnd => Some(Cadence::AfterEnd(
            g.pacing.delay.map(|d| d.0).unwrap_or(0.0),
        )),
        PacingMode::None => Some(Cadence::BackToBack),
        PacingMode::ArrivalRate => None,
        _ => g.pacing.distribution().map(Cadence::Paced),
    }
}

/// Everything `shard` of `plan` starts with `seed`, in the plan's order.
/// Every user's stream is drawn from the seed's as if the plan ran whole
/// (one per paced user, one per arrival-rate group, group by group), so
/// what a user does never depends on how the plan is split.
pub fn roster(plan: &PlanFile, seed: u64, shard: Shard) -> Vec<Slot> {
    let ramp = plan.run.ramp_up();
    let mut seed_rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    let mut out = Vec::new();
    for (gi, g) in plan.groups.iter().enumerate() {
        match cadence_of(g) {
            Some(cadence) => {
                for u in 0..g.users {
                    let rng = Xoshiro256PlusPlus::from_rng(&mut seed_rng);
                    if shard.owns(u) {
                        out.push(Slot::User(Member {
                            group: gi,
                            user: u,
                            offset: u as f64 * ramp / g.users as f64,
                            cadence,
                            late: g.pacing.late,
                            rng,
                        }));
                    }
                }
            }
            None => {
                let mut rng = Xoshiro256PlusPlus::from_rng(&mut seed_rng);
                let rate = g.pacing.rate.map(|r| r.0).unwrap_or(0.0);
                let arrivals = Arrivals::new(rate, shard, &mut rng);
                out.push(Slot::Arrivals(Open {
                    group: gi,
                    pool: (0..g.users).filter(|&u| shard.owns(u)).collect(),
                    arrivals,
                }));
            }
        }
    }
    out
}

/// An arrival-rate group's arrivals on the one global clock: global
/// arrival k is due at `phase + k / rate`, and a shard dispatches only the
/// k it owns (k6's arrival-rate executors keep the unscaled period and
/// stripe the global indices, reference C1).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Arrivals {
    pub phase: f64,
    pub interval: f64,
    pub shard: Shard,
    /// The next global index this shard owns.
    next: u64,
}

impl Arrivals {
    /// The group's arrivals at `rate` per second; the phase, uniform in
    /// one interval, is drawn from `rng` (the group's stream) like a paced
    /// user's, so counts follow the band's model.
    pub fn new<R: rand::Rng + ?Sized>(rate: f64, shard: Shard, rng: &mut R) -> Arrivals {
        let interval = 1.0 / rate;
        Arrivals {
            phase: rand::RngExt::random::<f64>(rng) * interval,
            interval,
            shard,
            next: shard.index as u64,
        }
    }

    /// The next arrival this shard owns: (global index, due time).
    pub fn next_due(&mut self) -> (u64, f64) {
        let k = self.next;
        self.next += self.shard.count as u64;
        (k, self.due_of(k))
    }

    fn due_of(&self, k: u64) -> f64 {
        self.phase + k as f64 * self.interval
    }

    /// When the next arrival this shard owns is due, without taking it.
    pub fn peek(&self) -> f64 {
        self.due_of(self.next)
    }

    /// Takes every arrival this shard owns that is due before `t` and
    /// says how many there were: counted, not stepped through, so a
    /// generator millions of arrivals behind accounts for them at once.
    pub fn take_before(&mut self, t: f64) -> u64 {
        let c = self.shard.count.max(1) as u64;
        // Owned indices next + j·c are due before t for j < (K − next)/c,
        // K = (t − phase)/interval; the estimate is then made exact
        // against `due_of` (the float quotient may be one off).
        let k = ((t - self.phase) / self.interval).max(0.0);
        let mut n = if k <= self.next as f64 {
            0
        } else {
            ((k - self.next as f64) / c as f64)
                .ceil()
                .min(u64::MAX as f64 / 2.0) as u64
        };
        while n > 0 && self.due_of(self.next + (n - 1) * c) >= t {
            n -= 1;
        }
        while self.due_of(self.next + n * c) < t {
            n += 1;
        }
        self.next += n * c;
        n
    }
}

/// One scheduled start.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Start {
    pub group: usize,
    /// The user's global id; for an arrival-rate group, the arrival's
    /// global index (which worker takes it is decided at run time).
    pub user: u64,
    /// Seconds from t0.
    pub at: f64,
}

/// Every start `shard` of `plan` schedules with `seed` when every
/// iteration takes `iteration_s` seconds, until `run.duration`: the same
/// roster, schedules and arrival striping `execute` follows.
pub fn planned_starts(plan: &PlanFile, seed: u64, shard: Shard, iteration_s: f64) -> Vec<Start> {
    let duration = plan.run.duration.0;
    let mut out = Vec::new();
    for slot in roster(plan, seed, shard) {
        match slot {
            Slot::User(mut m) => {
                if m.offset >= duration {
                    continue;
                }
                let mut schedule = UserSchedule::new(m.cadence, m.late);
                let mut at = schedule.first(m.offset, &mut m.rng);
                while at < duration {
                    out.push(Start {
                        group: m.group,
                        user: m.user,
                        at,
                    });
                    at = schedule.next(at, at + iteration_s, &mut m.rng).at;
                }
            }
            Slot::Arrivals(mut o) => loop {
                let (k, at) = o.arrivals.next_due();
                if at >= duration {
                    break;
                }
                out.push(Start {
                    group: o.group,
                    user: k,
                    at,
                });
            },
        }
    }
    out
}

#[cfg(test)]
#[path = "roster_tests.rs"]
mod tests;
