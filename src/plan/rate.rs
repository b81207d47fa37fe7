//! The rate a plan promises, group by group, and the band a run of it must
//! land in. Pure arithmetic on the plan (a closed-loop group's spread is
//! handed in by the caller, who measured it).
//!
//! A group's transactions per iteration are its own: the number of its
//! steps, or 1 for a script group (one `run()` call is one transaction).
//! `[target] transactions_per_iteration` is the planner's assumption and
//! only draws a warning where a group disagrees.

use super::band::{Band, Cycle, Load, band};
use super::file::{GroupSection, PacingMode, PlanFile};
use super::pacing::Pacing;

/// How a group's iteration rate is set.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum GroupCadence {
    /// Start to start (fixed, uniform, beta, exponential): every user's
    /// starts are a stationary renewal process with this pacing.
    Paced(Pacing),
    /// The open model: this many iterations per second, from a pool.
    Arrival(f64),
    /// A closed loop (after-end, none): a user starts again `delay` seconds
    /// after its previous iteration ends, so it cycles every
    /// `iteration + delay` seconds. `iteration` is the plan's assumption:
    /// the target's response time per transaction times the group's
    /// transactions per iteration, plus its steps' think times.
    ClosedLoop { iteration: f64, delay: f64 },
}

impl GroupCadence {
    /// Seconds between one user's starts on average (for the open model,
    /// between two arrivals).
    pub fn mean_cycle(&self) -> f64 {
        match *self {
            GroupCadence::Paced(p) => p.mean(),
            GroupCadence::Arrival(rate) => 1.0 / rate,
            GroupCadence::ClosedLoop { iteration, delay } => iteration + delay,
        }
    }

    /// Iterations per second of a group of `users`.
    pub fn iteration_rate(&self, users: u64) -> f64 {
        match *self {
            GroupCadence::Arrival(rate) => rate,
            _ => users as f64 / self.mean_cycle(),
        }
    }

    /// True for after-end and back-to-back groups, whose band needs the
    /// measured spread of their cycles.
    pub fn is_closed_loop(&self) -> bool {
        matches!(self, GroupCadence::ClosedLoop { .. })
    }
}

impl GroupSection {
    /// The plan's iteration time for a closed-loop group, seconds: each
    /// transaction takes `response_time`, and each step's think follows it.
    pub fn planned_iteration_time(&self, response_time: f64) -> f64 {
        // A random think time plans with its mean.
        let think: f64 = self
            .steps
            .iter()
            .filter_map(|s| s.think.as_ref())
            .map(|t| t.mean())
            .sum();
        self.transactions_per_iteration() as f64 * response_time + think
    }

    /// How the group's rate is set. Errors (one line, why) where the plan
    /// cannot say: a closed-loop group without `target.response_time`.
    pub fn cadence(&self, response_time: Option<f64>) -> Result<GroupCadence, String> {
        let p = &self.pacing;
        match p.mode {
            PacingMode::ArrivalRate => p
                .rate
                .map(|r| GroupCadence::Arrival(r.0))
                .ok_or_else(|| "arrival-rate needs `rate`".into()),
            PacingMode::AfterEnd | PacingMode::None => {
                let delay = p.delay.map(|d| d.0).unwrap_or(0.0);
                let what = if p.mode == PacingMode::AfterEnd {
                    "iteration time + delay"
                } else {
                    "iteration time"
                };
                match response_time {
                    Some(rt) => Ok(GroupCadence::ClosedLoop {
                        iteration: self.planned_iteration_time(rt),
                        delay,
                    }),
                    None => Err(format!(
                        "group '{}' runs {}: its rate is users / ({what}), and without target.response_time the plan does not say how long an iteration takes",
                        self.name,
                        if p.mode == PacingMode::AfterEnd {
                            "after-end"
                        } else {
                            "back to back (none)"
                        }
                    )),
                }
            }
            _ => p
                .distribution()
                .map(GroupCadence::Paced)
                .ok_or_else(|| format!("group '{}': its pacing is incomplete", self.name)),
        }
    }
}

impl PlanFile {
    /// Every group's cadence, in the plan's order.
    pub fn cadences(&self) -> Vec<Result<GroupCadence, String>> {
        let rt = self.target.response_time.map(|r| r.0);
        self.groups.iter().map(|g| g.cadence(rt)).collect()
    }

    /// Each group's planned rate, transactions per second (its users, its
    /// cadence and its own transactions per iteration); `None` for a group
    /// whose rate the plan does not set.
    pub fn group_tps(&self) -> Vec<Option<f64>> {
        self.groups
            .iter()
            .zip(self.cadences())
            .map(|(g, c)| {
                c.ok()
                    .map(|c| c.iteration_rate(g.users) * g.transactions_per_iteration() as f64)
            })
            .collect()
    }

    /// The steady-state rate (TPS) the groups produce, where the plan sets
    /// every group's rate.
    pub fn planned_tps(&self) -> Option<f64> {
        self.group_tps().into_iter().sum()
    }

    /// The acceptance band for the steady-state window.
    pub fn band(&self) -> Option<Band> {
        self.band_for_window(self.run.duration.0 - self.run.ramp_up())
    }

    /// The band for a given window (an interrupted run has a shorter one),
    /// counting closed-loop cycles as if they never varied: the narrowest
    /// band, as the plan alone can state it.
    pub fn band_for_window(&self, window: f64) -> Option<Band> {
        self.band_with(window, &|_| 0.0)
    }

    /// The band for `window` seconds, with each closed-loop group's cycle
    /// standard deviation (seconds) from `spread(group index)`.
    pub fn band_with(&self, window: f64, spread: &dyn Fn(usize) -> f64) -> Option<Band> {
        let loads: Vec<Load> = self
            .group_loads(spread)
            .into_iter()
            .collect::<Option<_>>()?;
        Some(band(&loads, window, self.acceptance.confidence))
    }

    /// The `[acceptance] tolerance` a plan that pace writes should set
    /// (`pace plan -o`, and for the same reasons `pace new` and `pace
    /// import --tps`): where every group's schedule is fixed intervals
    /// (fixed pacing, arrival-rate), the error budget plus the chance
    /// spread of this plan's window ([`super::solve::fixed_tolerance`]: 1 %
    /// when the window is whole intervals, more when it is not); `"auto"`
    /// where a group's schedule is random; `None` where the plan sets no
    /// band.
    pub fn written_tolerance(&self) -> Option<super::file::Tolerance> {
        let band = self.band()?;
        let fixed = self.cadences().iter().all(|c| {
            matches!(
                c,
                Ok(GroupCadence::Paced(Pacing::Fixed { .. }) | GroupCadence::Arrival(_))
            )
        });
        Some(if fixed {
            super::solve::fixed_tolerance(&band)
        } else {
            super::file::Tolerance::Auto
        })
    }

    /// Each group as a load for the band (`None` where the plan does not
    /// set its rate).
    pub fn group_loads(&self, spread: &dyn Fn(usize) -> f64) -> Vec<Option<Load>> {
        let ramp = self.run.ramp_up();
        self.groups
            .iter()
            .zip(self.cadences())
            .enumerate()
            .map(|(i, (g, c))| {
                let tpi = g.transactions_per_iteration() as f64;
                Some(match c.ok()? {
                    GroupCadence::Paced(p) => Load::paced(g.users, p, tpi),
                    // An open model at a constant rate with a random phase
                    // is one "user" with fixed pacing 1/rate.
                    GroupCadence::Arrival(rate) => Load::paced(
                        1,
                        Pacing::Fixed {
                            interval: 1.0 / rate,
                        },
                        tpi,
                    ),
                    GroupCadence::ClosedLoop { iteration, delay } => Load {
                        users: g.users,
                        cycle: Cycle::Closed {
                            mean: iteration + delay,
                            sd: spread(i),
                            ramp,
                        },
                        tx_per_iter: tpi,
                    },
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(text: &str) -> PlanFile {
        PlanFile::parse(text, "plan.toml").unwrap()
    }

    /// The case `mixed-groups-tpi`: 2 users x 2 steps / 1 s plus 1 script
    /// user x 1 run() / 1 s is 5 TPS, whatever [target] assumed.
    #[test]
    fn each_group_counts_its_own_transactions_per_iteration() {
        let p = plan(
            r#"
[target]
tps = 5.0
transactions_per_iteration = 2
[run]
duration = "6s"
[[group]]
name = "web"
users = 2
pacing = { mode = "fixed", interval = "1s" }
[[group.step]]
name = "home"
url = "http://127.0.0.1:1/"
[[group.step]]
name = "search"
url = "http://127.0.0.1:1/search"
[[group]]
name = "script"
users = 1
script = "quick.py"
pacing = { mode = "fixed", interval = "1s" }
"#,
        );
        assert_eq!(p.group_tps(), vec![Some(4.0), Some(1.0)]);
        assert_eq!(p.planned_tps(), Some(5.0));
        // 30 transactions in 6 s, exactly (fixed pacing, whole intervals).
        let b = p.band().unwrap();
        assert_eq!(b.expected, 30.0);
        assert!(b.contains(30.0));
    }

    /// The case `after-end-target-ignored`: 10 users, 100 ms assumed
    /// response, 400 ms think after each end: 20 TPS.
    #[test]
    fn after_end_rate_comes_from_the_response_time_and_delay() {
        let p = plan(
            r#"
[target]
tps = 20.0
response_time = "100ms"
[run]
duration = "10s"
[[group]]
name = "thinkers"
users = 10
pacing = { mode = "after-end", delay = "400ms" }
[[group.step]]
name = "page"
url = "http://127.0.0.1:1/"
"#,
        );
        let c = p.cadences()[0].clone().unwrap();
        assert_eq!(
            c,
            GroupCadence::ClosedLoop {
                iteration: 0.1,
                delay: 0.4
            }
        );
        assert!((p.planned_tps().unwrap() - 20.0).abs() < 1e-9);
        // No ramp-up: every user starts at 0 and, with cycles that never
        // vary, again every 500 ms: 20 starts each in [0, 10 s).
        let b = p.band().unwrap();
        assert_eq!((b.expected, b.sd), (200.0, 0.0), "{b:?}");
        // With 1 ms of spread per cycle, the 21st start (due at exactly
        // 10 s) lands inside half the time, for all ten users at once:
        // they started together, so 200 and 210 are both honest counts.
        let b = p.band_with(10.0, &|_| 0.001).unwrap();
        assert!((b.expected - 205.0).abs() < 1e-6, "{b:?}");
        assert!(b.contains(200.0) && b.contains(210.0), "{b:?}");
        // Twice the response time (the case's slow target) is far outside.
        assert!(!b.contains(170.0), "{b:?}");
    }

    /// `pace import examples/pyak47-shop --tps 7`: 3 + 2 users at a fixed
    /// 714.29 ms over an 8 s window (11.2 intervals): each user makes 11
    /// or 12 starts by its phase, so the count is 55 + Binomial(5, 0.2),
    /// 56 only 41 % of the time. The 1 % it writes (a band of 56-56) fails
    /// most honest runs; the spread (sd 0.894, half-width 2.3 + 0.5)
    /// makes 5.01 % more, 6.01 % in all.
    #[test]
    fn a_fixed_schedule_over_a_fractional_window_writes_its_spread() {
        use crate::plan::file::Tolerance;
        let text = r#"
[target]
tps = 7.0
[run]
duration = "10s"
ramp_up = "2s"
[[group]]
name = "browse"
users = 3
script = "browse.py"
pacing = { mode = "fixed", interval = "714.2857142857143ms" }
[[group]]
name = "checkout"
users = 2
script = "checkout.py"
pacing = { mode = "fixed", interval = "714.2857142857143ms" }
"#;
        let p = plan(text);
        assert_eq!(p.written_tolerance(), Tolerance::written("6.01%"));
        // Over a window of whole intervals (8 of them), 1 %.
        let p = plan(&text.replace("\"10s\"", "\"7.714285714285714s\""));
        assert_eq!(p.written_tolerance(), Tolerance::written("1%"));
        // A random schedule keeps the statistical band.
        let p = plan(&text.replace(
            "pacing = { mode = \"fixed\", interval = \"714.2857142857143ms\" }\n[[group]]\nname = \"checkout\"",
            "pacing = { mode = \"uniform\", min = \"500ms\", max = \"928.5714285714286ms\" }\n[[group]]\nname = \"checkout\"",
        ));
        assert_eq!(p.written_tolerance(), Some(Tolerance::Auto));
    }

    #[test]
    fn think_times_are_part_of_the_iteration() {
        let p = plan(
            r#"
[target]
response_time = "250ms"
[run]
duration = "10s"
[[group]]
name = "g"
users = 2
pacing = { mode = "none" }
[[group.step]]
name = "a"
url = "http://127.0.0.1:1/"
think = "250ms"
[[group.step]]
name = "b"
url = "http://127.0.0.1:1/"
"#,
        );
        // 2 x 250 ms + 250 ms think = 750 ms per iteration of 2
        // transactions: 2 users x 2 / 0.75 s.
        assert_eq!(p.groups[0].planned_iteration_time(0.25), 0.75);
        assert!((p.planned_tps().unwrap() - 4.0 / 0.75).abs() < 1e-12);
    }
}
