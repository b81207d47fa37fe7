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
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Next {
    /// When to start (seconds since the run's start).
    pub at: f64,
    /// The start the schedule wanted; `at - nominal` is the lateness.
    pub nominal: f64,
    /// The start is late because the previous iteration overran.
    pub overrun: bool,
    /// Scheduled starts skipped (late = "skip"), at these nominal times.
    pub skipped: u32,
}

#[derive(Debug, Clone)]
pub struct UserSchedule {
    cadence: Cadence,
    late: Late,
    /// The schedule's current nominal start.
    nominal: f64,
}

impl UserSchedule {
    pub fn new(cadence: Cadence, late: Late) -> UserSchedule {
        UserSchedule {
            cadence,
            late,
            nominal: 0.0,
        }
    }

    /// The first start of a user that begins at `offset`: paced users get a
    /// random phase drawn so that their starts are stationary at once.
    pub fn first<R: Rng + ?Sized>(&mut self, offset: f64, rng: &mut R) -> f64 {
        self.nominal = match self.cadence {
            Cadence::Paced(p) => offset + p.sample_first_delay(rng),
            Cadence::AfterEnd(_) | Cadence::BackToBack => offset,
        };
        self.nominal
    }

    /// Decides the next start after an iteration that started at `started`
    /// and ended at `ended`.
    pub fn next<R: Rng + ?Sized>(&mut self, started: f64, ended: f64, rng: &mut R) -> Next {
        match self.cadence {
            Cadence::AfterEnd(delay) => {
                self.nominal = ended + delay;
                Next {
                    at: self.nominal,
                    nominal: self.nominal,
                    overrun: false,
                    skipped: 0,
                }
            }
            Cadence::BackToBack => {
                self.nominal = ended;
                Next {
                    at: ended,
                    nominal: ended,
                    overrun: false,
                    skipped: 0,
                }
            }
            Cadence::Paced(p) => {
                let interval = p.sample(rng);
                let nominal = self.nominal + interval;
                if ended <= nominal {
                    self.nominal = nominal;
                    return Next {
                        at: nominal,
                        nominal,
                        overrun: false,
                        skipped: 0,
                    };
                }
                match self.late {
                    Late::Drift => {
                        // Start now; the schedule re-bases on the actual start.
                        self.nominal = ended;
                        Next {
                            at: ended,
                            nominal,
                            overrun: true,
                            skipped: 0,
                        }
                    }
                    Late::Skip => {
                        let mut n = nominal;
                        let mut skipped = 0;
                        while n < ended {
                            skipped += 1;
                            n += p.sample(rng);
                        }
                        self.nominal = n;
                        Next {
                            at: n,
                            nominal: n,
                            overrun: false,
                            skipped,
                        }
                    }
                    Late::CatchUp => {
                        // Keep the absolute schedule; start as soon as the
                        // iteration is done, but no faster than twice the
                        // planned rate, so the debt is repaid gradually.
                        let floor = started + p.mean() / 2.0;
                        let at = ended.max(floor).max(nominal);
                        self.nominal = nominal;
                        Next {
                            at,
                            nominal,
                            overrun: true,
                            skipped: 0,
                        }
                    }
                }
            }
        }
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
        assert_eq!((n.at, n.skipped, n.overrun), (6.0, 2, false));
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
}
