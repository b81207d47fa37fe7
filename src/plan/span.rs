//! The band over the whole run (`[acceptance] scope = "run"`): the
//! span [0, b) from the first user's start, ramp-up included, in which
//! user i of n of a group is present only from its own start `i·ramp/n`.
//!
//! Each user's count is the band's own (plan::band): a paced user's
//! starts are a stationary renewal process from its start (its random
//! phase, docs/pacing.md section 6), so its count in [s_i, b) has the
//! moments of a window of b − s_i; a closed-loop user's starts are
//! counted by [`closed_count`] from its first start; an arrival rate is
//! one fixed-pacing stream from 0. Users are independent, except
//! closed-loop users that start together (no ramp-up), whose edge
//! variances add as standard deviations, as in the window's band.

use super::band::{Band, Cycle, Load, closed_count, user_count_moments, z_two_sided};
use super::file::PlanFile;
use super::thresholds::Scope;

impl PlanFile {
    /// The span a run of this plan is judged over, seconds since t0, for
    /// a run whose window (ramp-up's end on its clock, to where it
    /// ended) is `window`: that window by default; with `scope = "run"`,
    /// or when the window is empty (ramp-up as long as the run, Pyak47's
    /// own shape), the whole run from its first start, `window.0 −
    /// ramp_up`, to the same end (docs/verdict.md, "The span").
    pub fn judged_span(&self, window: (f64, f64)) -> (f64, f64) {
        let (from, to) = window;
        if self.acceptance.scope == Scope::Run || to <= from {
            ((from - self.run.ramp_up()).max(0.0), to.max(0.0))
        } else {
            (from, to)
        }
    }

    /// Whether a span is the whole run only because the window was empty
    /// (then no band applies: it needs a steady state).
    pub fn span_is_fallback(&self, span: (f64, f64)) -> bool {
        self.acceptance.scope == Scope::Window && span.0 < self.run.ramp_up()
    }
}

/// The band of `loads` over [0, `to`) when user i of n of each starts at
/// `i·ramp/n` (an arrival rate is one user of fixed pacing 1/rate, as
/// `PlanFile::group_loads` makes it: from 0, whatever the ramp-up).
pub fn band_from_start(loads: &[Load], ramp: f64, to: f64, confidence: f64) -> Band {
    let mut mean = 0.0;
    let mut var = 0.0;
    let mut step: f64 = 1.0;
    for l in loads {
        let (m, v) = moments_from_start(l, ramp, to);
        mean += m * l.tx_per_iter;
        var += v * l.tx_per_iter * l.tx_per_iter;
        step = step.max(l.tx_per_iter);
    }
    let sd = var.sqrt();
    let half = z_two_sided(confidence) * sd + step / 2.0;
    let per_minute = if to > 0.0 { 60.0 / to } else { 0.0 };
    let low = (mean - half).max(0.0);
    let high = mean + half;
    Band {
        confidence,
        window_s: to,
        expected: mean,
        sd,
        count_low: low,
        count_high: high,
        tpm: mean * per_minute,
        tpm_low: low * per_minute,
        tpm_high: high * per_minute,
    }
}

/// Mean and variance of one load's iteration count in [0, `to`).
fn moments_from_start(l: &Load, ramp: f64, to: f64) -> (f64, f64) {
    let n = l.users.max(1) as f64;
    match l.cycle {
        Cycle::Paced(p) => (0..l.users)
            .map(|i| {
                let present = to - i as f64 * ramp / n;
                if present > 0.0 {
                    user_count_moments(&p, present)
                } else {
                    (0.0, 0.0)
                }
            })
            .fold((0.0, 0.0), |a, b| (a.0 + b.0, a.1 + b.1)),
        Cycle::Closed { mean, sd, .. } => {
            let (mut m, mut edge, mut edge_sd, mut renewal) = (0.0, 0.0, 0.0, 0.0);
            for i in 0..l.users {
                let c = closed_count(i as f64 * ramp / n, to, mean, sd);
                m += c.mean;
                edge += c.edge_var;
                edge_sd += c.edge_var.sqrt();
                renewal += c.renewal_var;
            }
            let edge = if ramp > 0.0 { edge } else { edge_sd * edge_sd };
            (m, edge + renewal)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::band::band;
    use crate::plan::pacing::Pacing;

    /// Without a ramp-up every user is present from 0, and the whole
    /// run's band is the window's band over [0, to).
    #[test]
    fn without_ramp_up_it_is_the_windows_band() {
        let loads = [
            Load::paced(10, Pacing::Fixed { interval: 0.5 }, 2.0),
            Load::paced(4, Pacing::Uniform { min: 0.3, max: 0.7 }, 1.0),
        ];
        let a = band_from_start(&loads, 0.0, 8.0, 0.99);
        let b = band(&loads, 8.0, 0.99);
        assert!((a.expected - b.expected).abs() < 1e-9, "{a:?} {b:?}");
        assert!((a.sd - b.sd).abs() < 1e-9, "{a:?} {b:?}");
    }

    /// Worked numbers: 4 users at a fixed 1 s over [0, 10 s) with a 4 s
    /// ramp-up start at 0, 1, 2, 3 s: present 10, 9, 8, 7 s, so 34
    /// iterations exactly (whole intervals: no variance).
    #[test]
    fn each_user_counts_from_its_own_start() {
        let loads = [Load::paced(4, Pacing::Fixed { interval: 1.0 }, 1.0)];
        let b = band_from_start(&loads, 4.0, 10.0, 0.99);
        assert_eq!((b.expected, b.sd), (34.0, 0.0));
        assert!(b.contains(34.0) && !b.contains(33.0) && !b.contains(35.0));
        // An arrival rate of 20/s is one stream from 0: 200 in 10 s,
        // whatever the ramp-up.
        let open = [Load::paced(1, Pacing::Fixed { interval: 0.05 }, 1.0)];
        let b = band_from_start(&open, 4.0, 10.0, 0.99);
        assert!((b.expected - 200.0).abs() < 1e-9, "{b:?}");
    }
}
