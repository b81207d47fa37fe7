//! When each iteration of one user starts: absolute deadlines (no drift from
//! sleeping relative amounts), and what a late start does. Pure: times in,
//! times out, so every policy is unit-tested without a clock.

use crate::plan::Pacing;
use crate::plan::file::Late;
use rand::Rng;

/// How one user's iterations follow each other.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Cadence {
    /// Start to start, drawn from a distribution.
    Paced(Pacing),
    /// A delay after the previous iteration ends (LoadRunner think style).
    AfterEnd(f64),
    /// Back to back (Pyak47's only mode).
    BackToBack,
}

/// The next start, as decided after an iteration ended.
#[derive(Debug, Clone, PartialEq)]
pub struct Next {
    /// When to start (seconds since the run's start).
    pub at: f64,
    /// The start the schedule wanted; `at - nominal` is the lateness.
    pub nominal: f64,
    /// The same start on the absolute schedule, never re-based (see
    /// [`UserSchedule::planned`]): what the coordinated-omission view
    /// measures from.
    pub planned: f64,
    /// The start is late because the previous iteration overran.
    pub overrun: bool,
    /// Scheduled starts skipped (late = "skip"): their nominal times.
    pub skipped: Vec<f64>,
}

#[derive(Debug, Clone)]
pub struct UserSchedule {
    cadence: Cadence,
    late: Late,
    /// The schedule's current nominal start.
    nominal: f64,
    /// The current start on the absolute schedule: the first start plus
    /// every interval drawn since. Under `drift` the nominal schedule
    /// re-bases on each late start and this one does not, so the backlog
    /// stays visible (wrk2's corrected latency measures from it).
    planned: f64,
    /// The last start decided was late because of an overrun (or is
    /// repaying one under `catch-up`): its lateness is the target's, not
    /// the generator's.
    after_overrun: bool,
}

impl UserSchedule {
    pub fn new(cadence: Cadence, late: Late) -> UserSchedule {
        UserSchedule {
            cadence,
            late,
            nominal: 0.0,
            planned: 0.0,
            after_overrun: false,
        }
    }

    /// The first start of a user that begins at `offset`: paced users get a
    /// random phase drawn so that their starts are stationary at once.
    pub fn first<R: Rng + ?Sized>(&mut self, offset: f64, rng: &mut R) -> f64 {
        self.nominal = match self.cadence {
            Cadence::Paced(p) => offset + p.sample_first_delay(rng),
            Cadence::AfterEnd(_) | Cadence::BackToBack => offset,
        };
        self.planned = self.nominal;
        self.nominal
    }

    /// Decides the next start after an iteration that started at `started`
    /// and ended at `ended`.
    pub fn next<R: Rng + ?Sized>(&mut self, started: f64, ended: f64, rng: &mut R) -> Next {
        let n = self.decide(started, ended, rng);
        self.after_overrun = n.overrun;
        n
    }

    fn decide<R: Rng + ?Sized>(&mut self, started: f64, ended: f64, rng: &mut R) -> Next {
        let on_time = |at: f64| Next {
            at,
            nominal: at,
            planned: at,
            overrun: false,
            skipped: Vec::new(),
        };
        match self.cadence {
            Cadence::AfterEnd(delay) => {
                self.nominal = ended + delay;
                self.planned = self.nominal;
                on_time(self.nominal)
            }
            Cadence::BackToBack => {
                self.nominal = ended;
                self.planned = ended;
                on_time(ended)
            }
            Cadence::Paced(p) => {
                let interval = p.sample(rng);
                let nominal = self.nominal + interval;
                self.planned += interval;
                if ended <= nominal {
                    self.nominal = nominal;
                    return Next {
                        planned: self.planned,
                        ..on_time(nominal)
                    };
                }
                // Past the next start only because it started late (the
                // generator woke late: a stalled or saturated machine), not
                // because it took longer than its interval: that is no
                // overrun of the target, so no policy applies (nothing
                // skipped, nothing re-based): the next start is due now,
                // late by the generator's own lag (docs/verdict.md).
                if !self.after_overrun && ended - started <= interval {
                    self.nominal = nominal;
                    return Next {
                        at: ended,
                        nominal,
                        planned: self.planned,
                        overrun: false,
                        skipped: Vec::new(),
                    };
                }
                match self.late {
                    Late::Drift => {
                        // Start now; the schedule re-bases on the actual start.
                        self.nominal = ended;
                        Next {
                            at: ended,
                            nominal,
                            planned: self.planned,
                            overrun: true,
                            skipped: Vec::new(),
                        }
                    }
                    Late::Skip => {
                        // Skip never re-bases: the slot it starts in is on
                        // the absolute schedule; the missed ones are counted.
                        let mut n = nominal;
                        let mut skipped = Vec::new();
                        while n < ended {
                            skipped.push(n);
                            n += p.sample(rng);
                        }
                        self.nominal = n;
                        self.planned = n;
                        Next {
                            skipped,
                            ..on_time(n)
                        }
                    }
                    Late::CatchUp => {
                        // Keep the absolute schedule; start as soon as the
                        // iteration is done, but no faster than twice the
                        // planned rate, so the debt is repaid gradually.
                        let floor = started + p.mean() / 2.0;
                        let at = ended.max(floor).max(nominal);
                        self.nominal = nominal;
                        self.planned = nominal;
                        Next {
                            at,
                            nominal,
                            planned: nominal,
                            overrun: true,
                            skipped: Vec::new(),
                        }
                    }
                }
            }
        }
    }

    /// The planned starts before `until` that the user will never make,
    /// given that every start before the one [`next`](Self::next) last
    /// returned was made: a paced user still behind its absolute schedule when the
    /// run ends (`drift` never repays lost time, `catch-up` may not have
    /// finished repaying it). Empty for `skip` (its missed starts are
    /// skipped as they happen) and for closed-loop cadences, which have no
    /// schedule to fall behind.
    pub fn backlog<R: Rng + ?Sized>(&mut self, until: f64, rng: &mut R) -> Vec<f64> {
        let Cadence::Paced(p) = self.cadence else {
            return Vec::new();
        };
        if self.late == Late::Skip {
            return Vec::new();
        }
        let mut out = Vec::new();
        let mut t = self.planned;
        while t < until {
            out.push(t);
            t += p.sample(rng);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand::rngs::Xoshiro256PlusPlus;

    fn fixed(i: f64, late: Late) -> UserSchedule {
        UserSchedule::new(Cadence::Paced(Pacing::Fixed { interval: i }), late)
    }

    /// The case verdict-blames-chance-for-generator's stall: the
    /// generator woke 1.5 s late for a 5 ms iteration on a 200 ms pacing.
    /// Whatever the policy, that is no overrun: the starts owed are due
    /// at once on the same schedule, late by the generator's lag, and
    /// none is skipped or lost to a re-based schedule.
    #[test]
    fn a_start_late_by_the_generator_is_no_overrun() {
        for late in [Late::Drift, Late::Skip, Late::CatchUp] {
            let mut rng = Xoshiro256PlusPlus::seed_from_u64(1);
            let mut s = fixed(0.2, late);
            let t0 = s.first(0.0, &mut rng);
            // Due at t0, started 1.5 s late, took 5 ms.
            let (mut started, mut k) = (t0 + 1.5, 1);
            loop {
                let n = s.next(started, started + 0.005, &mut rng);
                assert!(!n.overrun, "{late:?}");
                assert!(n.skipped.is_empty(), "{late:?}");
                assert!((n.nominal - (t0 + 0.2 * k as f64)).abs() < 1e-9, "{late:?}");
                assert_eq!(n.planned, n.nominal, "{late:?}");
                if n.at == n.nominal {
                    break;
                }
                assert_eq!(n.at, started + 0.005, "{late:?}: due at once");
                started = n.at;
                k += 1;
            }
            // Caught up after the 7 starts the stall owed.
            assert_eq!(k, 8, "{late:?}");
        }
        // An iteration longer than its interval is the target's overrun.
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(1);
        let mut s = fixed(0.2, Late::Drift);
        let t0 = s.first(0.0, &mut rng);
        assert!(s.next(t0, t0 + 0.3, &mut rng).overrun);
    }

    #[test]
    fn absolute_deadlines_do_not_drift() {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(1);
        let mut s = fixed(2.0, Late::Drift);
        let t0 = s.first(0.0, &mut rng);
        assert!((0.0..2.0).contains(&t0));
        // Iterations that end early: every start is t0 + 2k exactly.
        let mut start = t0;
        for k in 1..1000 {
            let n = s.next(start, start + 0.5, &mut rng);
            assert_eq!(n.at, t0 + 2.0 * k as f64);
            assert!(!n.overrun);
            start = n.at;
        }
    }

    #[test]
    fn drift_starts_at_once_and_rebases() {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(1);
        let mut s = fixed(2.0, Late::Drift);
        s.nominal = 0.0;
        let n = s.next(0.0, 3.0, &mut rng);
        assert_eq!((n.at, n.nominal, n.overrun), (3.0, 2.0, true));
        let n = s.next(3.0, 3.5, &mut rng);
        assert_eq!((n.at, n.overrun), (5.0, false));
    }

    #[test]
    fn skip_drops_missed_starts() {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(1);
        let mut s = fixed(2.0, Late::Skip);
        s.nominal = 0.0;
        let n = s.next(0.0, 5.0, &mut rng);
        // Nominal 2 and 4 are missed; 6 is kept.
        assert_eq!(
            (n.at, n.skipped.clone(), n.overrun),
            (6.0, vec![2.0, 4.0], false)
        );
        // The slot it starts in is on the absolute schedule.
        assert_eq!(n.planned, 6.0);
        assert!(s.backlog(100.0, &mut rng).is_empty());
    }

    #[test]
    fn drift_rebases_but_the_absolute_schedule_keeps_the_backlog() {
        // wrk2's example: 100 ms pacing, one 1 s stall. Drift starts 1.0 s
        // late and re-bases; the absolute schedule still says the next
        // start was due at 0.1 s, so the corrected view sees 0.9 s of
        // backlog in every later start, and 9 starts are never made.
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(1);
        let mut s = fixed(0.1, Late::Drift);
        s.nominal = 0.0;
        s.planned = 0.0;
        let n = s.next(0.0, 1.0, &mut rng);
        assert_eq!((n.at, n.nominal, n.overrun), (1.0, 0.1, true));
        assert!((n.planned - 0.1).abs() < 1e-12);
        let n = s.next(1.0, 1.001, &mut rng);
        assert!((n.at - 1.1).abs() < 1e-12 && !n.overrun);
        assert!((n.planned - 0.2).abs() < 1e-12, "{}", n.planned);
        // The run ends at 1.95 s: the user made starts up to 1.9 s; the
        // absolute schedule had those 9 slots earlier, so its slots from
        // 1.1 s to 1.9 s were never made.
        let mut start = n.at;
        while start < 1.95 {
            start = s.next(start, start + 0.001, &mut rng).at;
        }
        let missed = s.backlog(1.95, &mut rng);
        assert_eq!(missed.len(), 9, "{missed:?}");
        assert!((missed[0] - 1.1).abs() < 1e-9 && (missed[8] - 1.9).abs() < 1e-9);
    }

    #[test]
    fn an_on_time_user_has_no_backlog() {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(3);
        for late in [Late::Drift, Late::CatchUp, Late::Skip] {
            let mut s = fixed(0.5, late);
            let mut start = s.first(0.0, &mut rng);
            while start < 10.0 {
                let n = s.next(start, start + 0.01, &mut rng);
                assert_eq!(n.planned, n.nominal);
                start = n.at;
            }
            assert!(s.backlog(10.0, &mut rng).is_empty(), "{late:?}");
        }
    }

    #[test]
    fn catch_up_keeps_the_schedule_at_a_bounded_rate() {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(1);
        let mut s = fixed(2.0, Late::CatchUp);
        s.nominal = 0.0;
        // One 7 s iteration: then quick ones until the schedule is met again.
        let n = s.next(0.0, 7.0, &mut rng);
        assert_eq!((n.at, n.nominal), (7.0, 2.0));
        let n = s.next(7.0, 7.1, &mut rng);
        assert_eq!((n.at, n.nominal), (8.0, 4.0)); // no faster than 1 s apart
        let n = s.next(8.0, 8.1, &mut rng);
        assert_eq!((n.at, n.nominal), (9.0, 6.0));
        let n = s.next(9.0, 9.1, &mut rng);
        assert_eq!((n.at, n.nominal), (10.0, 8.0));
        let n = s.next(10.0, 10.1, &mut rng);
        assert_eq!((n.at, n.nominal, n.overrun), (11.0, 10.0, true));
        let n = s.next(11.0, 11.1, &mut rng);
        assert_eq!((n.at, n.overrun), (12.0, false)); // back on schedule
        assert_eq!(n.planned, 12.0);
    }

    #[test]
    fn catch_up_still_behind_at_the_end_leaves_a_backlog() {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(1);
        let mut s = fixed(2.0, Late::CatchUp);
        s.nominal = 0.0;
        s.planned = 0.0;
        // A 7 s iteration, then the run ends at 8 s: the 2, 4 and 6 s
        // starts are still owed.
        let n = s.next(0.0, 7.0, &mut rng);
        assert_eq!((n.at, n.planned), (7.0, 2.0));
        let n = s.next(7.0, 7.1, &mut rng);
        assert_eq!((n.at, n.planned), (8.0, 4.0));
        assert_eq!(s.backlog(8.0, &mut rng), vec![4.0, 6.0]);
    }

    #[test]
    fn after_end_and_back_to_back() {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(1);
        let mut s = UserSchedule::new(Cadence::AfterEnd(1.5), Late::Drift);
        assert_eq!(s.first(4.0, &mut rng), 4.0);
        assert_eq!(s.next(4.0, 4.5, &mut rng).at, 6.0);
        let mut s = UserSchedule::new(Cadence::BackToBack, Late::Drift);
        assert_eq!(s.next(0.0, 0.7, &mut rng).at, 0.7);
    }

    #[test]
    fn random_pacing_mean_is_kept() {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(9);
        let p = Pacing::Uniform {
            min: 72.0,
            max: 168.0,
        };
        let mut s = UserSchedule::new(Cadence::Paced(p), Late::Drift);
        let first = s.first(0.0, &mut rng);
        let mut start = first;
        let n = 20000;
        for _ in 0..n {
            start = s.next(start, start + 2.0, &mut rng).at;
        }
        let mean = (start - first) / n as f64;
        assert!((mean - 120.0).abs() < 1.0, "{mean}");
    }

    proptest::proptest! {
        /// Whatever the iterations take and whatever `late` says, the
        /// absolute schedule is the first start plus k intervals (fixed
        /// pacing), no start is made before its planned time, and the
        /// starts made plus the backlog are every planned start before the
        /// end: nothing is lost or counted twice.
        #[test]
        fn the_absolute_schedule_accounts_for_every_planned_start(
            took in proptest::collection::vec(0.0f64..3.0, 1..60),
            late in 0usize..2,
            seed in 0u64..1000,
        ) {
            let late = [Late::Drift, Late::CatchUp][late];
            let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
            let mut s = fixed(0.5, late);
            let first = s.first(0.0, &mut rng);
            let end = 10.0;
            let (mut at, mut planned, mut made) = (first, first, 0u64);
            for (k, d) in took.iter().enumerate() {
                if at >= end {
                    break;
                }
                proptest::prop_assert!((planned - (first + 0.5 * k as f64)).abs() < 1e-9);
                proptest::prop_assert!(at >= planned - 1e-12);
                made += 1;
                let n = s.next(at, at + d, &mut rng);
                at = n.at;
                planned = n.planned;
            }
            if at < end {
                // The iterations ran out before the end: count the rest as
                // made on time.
                return Ok(());
            }
            let missed = s.backlog(end, &mut rng).len() as u64;
            let slots = ((end - first) / 0.5).ceil() as u64;
            proptest::prop_assert_eq!(made + missed, slots);
        }
    }
}
