//! The acceptance band: how many transactions an honest run should complete
//! in its steady-state window, and the range it lands in at a stated
//! confidence.
//!
//! Model: each user's iteration starts form a stationary renewal process
//! (that is what `Pacing::sample_first_delay` produces). The count N in a
//! window W then has mean W/mu and, for non-lattice pacing,
//!
//!   Var N = W sigma^2 / mu^3 + (1/6 + sigma^4 / (2 mu^4) - k3 / (3 mu^3)) + o(1)
//!
//! (mu, sigma^2, k3: mean, variance and third central moment of the
//! interval). For fixed pacing the count is W/mu rounded down or up by the
//! user's random phase: floor + Bernoulli(f), variance f(1-f) with
//! f = frac(W/mu). Users are independent, so means and variances add; the
//! sum is taken as Normal, with a continuity correction of half a lattice
//! step because counts are whole numbers of iterations.

use super::file::Tolerance;
use super::pacing::Pacing;
use serde::Serialize;
use statrs::distribution::{ContinuousCDF, Normal};

/// How one user's iterations follow each other, for the band.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Cycle {
    /// Start to start, drawn from a pacing distribution, with the random
    /// first delay `pace run` gives (stationary from the first second).
    Paced(Pacing),
    /// A closed loop (after-end, back to back): the next start follows the
    /// previous end, so the cycle is the iteration time plus the delay.
    /// `mean` is the plan's (seconds), `sd` the cycle's spread, measured by
    /// the run since a plan cannot know it. User i of n starts at
    /// `i x ramp / n` and the window opens at `ramp`: unlike paced users,
    /// closed-loop users have no random phase, so each one's count depends
    /// on where its starts fall against the window's edges.
    Closed { mean: f64, sd: f64, ramp: f64 },
}
impl Cycle {
    /// The mean cycle, seconds.
    pub fn mean(&self) -> f64 {
        match self {
            Cycle::Paced(p) => p.mean(),
            Cycle::Closed { mean, .. } => *mean,
        }
    }
}

/// One homogeneous group of users for the band.
#[derive(Debug, Clone, Copy)]
pub struct Load {
    pub users: u64,
    pub cycle: Cycle,
    /// Transactions per iteration.
    pub tx_per_iter: f64,
}

impl Load {
    /// Users paced start to start.
    pub fn paced(users: u64, pacing: Pacing, tx_per_iter: f64) -> Load {
        Load {
            users,
            cycle: Cycle::Paced(pacing),
            tx_per_iter,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Band {
    pub confidence: f64,
    pub window_s: f64,
    /// Expected transactions in the window.
    pub expected: f64,
    pub sd: f64,
    /// Lowest and highest transaction counts inside the band.
    pub count_low: f64,
    pub count_high: f64,
    pub tpm: f64,
    pub tpm_low: f64,
    pub tpm_high: f64,
}

impl Band {
    /// Whether an achieved transaction count falls inside the band.
    pub fn contains(&self, count: f64) -> bool {
        count >= self.count_low && count <= self.count_high
    }

    /// The band a run is judged by under the plan's `[acceptance]
    /// tolerance`: this statistical band for `"auto"`, or the expected
    /// count times `1 - f` to `1 + f` for a fixed share `f` (the rule of
    /// `verdict::expect`, with the same operations in the same order, so
    /// the planner, `--check` and the run state the same numbers).
    pub fn judged(&self, tolerance: Tolerance) -> Band {
        match tolerance {
            Tolerance::Auto => *self,
            Tolerance::Fixed(f, _) => {
                let per_minute = 60.0 / self.window_s;
                let tx = self.expected;
                Band {
                    count_low: tx * (1.0 - f),
                    count_high: tx * (1.0 + f),
                    tpm_low: tx * (1.0 - f) * per_minute,
                    tpm_high: tx * (1.0 + f) * per_minute,
                    ..*self
                }
            }
        }
    }

    /// The whole transaction counts inside the band: `ceil(low)` to
    /// `floor(high)` (what the table, the plan file and `--check` print).
    pub fn whole_counts(&self) -> (f64, f64) {
        (self.count_low.ceil(), self.count_high.floor())
    }
}

/// Mean and variance of one user's iteration count in a window of `w` s.
pub fn user_count_moments(pacing: &Pacing, w: f64) -> (f64, f64) {
    paced_count_moments(pacing, w)
}

/// Mean and variance of one paced user's iteration count in a window of
/// `w` s.
fn paced_count_moments(pacing: &Pacing, w: f64) -> (f64, f64) {
    let mu = pacing.mean();
    let n = w / mu;
    if let Pacing::Fixed { .. } = pacing {
        // A window of a whole number of intervals up to float noise (60 s
        // of 1.0909090909090908 s is 55.00000000000001) holds that whole
        // number: no start can fall either side of an edge by 1e-14 s.
        let whole = n.round();
        if (n - whole).abs() <= 1e-9 * whole.max(1.0) {
            return (whole, 0.0);
        }
        let f = n - n.floor();
        return (n, f * (1.0 - f));
    }
    let s2 = pacing.variance();
    let k3 = pacing.third_central_moment();
    let constant = 1.0 / 6.0 + s2 * s2 / (2.0 * mu.powi(4)) - k3 / (3.0 * mu.powi(3));
    // The asymptotic constant can dip below zero for very skewed pacing in
    // tiny windows; a variance is never negative.
    (n, (w * s2 / mu.powi(3) + constant).max(0.0))
}

/// The starts in a window `[0, w)` of a closed-loop user whose first start
/// is at `o` (seconds from the window's start; negative when it started
/// before) and whose cycles have mean `mu` and standard deviation `sigma`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ClosedCount {
    pub mean: f64,
    /// The variance of the starts that may fall either side of the window's
    /// edges (a sum of Bernoulli variances).
    pub edge_var: f64,
    /// The renewal variance accumulated inside the window, `w' sigma^2 /
    /// mu^3` over the span `w'` the user runs in it (Cox, Renewal Theory,
    /// 1962, sec. 4.5).
    pub renewal_var: f64,
}

/// Counts a closed-loop user's starts in `[0, w)`: its k-th start is at
/// `o + S_k`, S_k a sum of k cycles taken as Normal(k mu, k sigma^2), and
/// the mean count is the sum over k of the probability that start k lands
/// in the window. Exact for a nearly constant cycle (a lattice, where the
/// asymptotic renewal formulas are off by half a start) and for a variable
/// one alike.
pub fn closed_count(o: f64, w: f64, mu: f64, sigma: f64) -> ClosedCount {
    let n = Normal::standard();
    let below = |k: f64, t: f64| {
        // P(o + S_k < t)
        let m = o + k * mu;
        let sd = sigma * k.sqrt();
        if sd <= 0.0 {
            if m < t { 1.0 } else { 0.0 }
        } else {
            n.cdf((t - m) / sd)
        }
    };
    let mut mean = 0.0;
    let mut edge_var = 0.0;
    let mut k = 0.0f64;
    loop {
        let p = if k == 0.0 {
            if (0.0..w).contains(&o) { 1.0 } else { 0.0 }
        } else {
            below(k, w) - below(k, 0.0)
        };
        mean += p;
        edge_var += p * (1.0 - p);
        // Past the window's end by more than 8 sd: nothing more can land.
        if k > 0.0 && o + k * mu - 8.0 * sigma * k.sqrt() > w {
            break;
        }
        // Inside the window by more than 8 sd on both sides, every start
        // lands (p = 1 to 1e-15, no edge variance): count them at once up
        // to where the far edge's tail begins, so a long window of short
        // cycles costs steps per edge, not per cycle.
        // (From where mu >= 4 sigma / sqrt(k), the near edge's margin only
        // grows with k.)
        if k > 0.0 && mu * k.sqrt() >= 4.0 * sigma && o + k * mu - 8.0 * sigma * k.sqrt() > 0.0 {
            let inside = |j: f64| o + j * mu + 8.0 * sigma * j.sqrt() < w;
            if inside(k + 2.0) {
                let mut j = ((w - o) / mu).floor();
                while j > k && !inside(j) {
                    j -= 1.0;
                }
                mean += j - k - 1.0;
                k = j - 1.0;
            }
        }
        k += 1.0;
    }
    let span = (w - o.max(0.0)).max(0.0);
    ClosedCount {
        mean,
        edge_var,
        renewal_var: span * sigma * sigma / mu.powi(3),
    }
}

/// Mean and variance of a whole load's iteration count in `[0, w)`.
///
/// Closed-loop users that start together (no ramp-up) move in lock-step:
/// whatever shifts one's starts against the window's edges (the response
/// time being a little off the plan's assumption) shifts them all, so
/// their edge variances add as standard deviations, not as variances.
/// Their renewal variances, from independent cycle spreads, add as usual.
fn load_count_moments(l: &Load, w: f64) -> (f64, f64) {
    match l.cycle {
        Cycle::Paced(p) => {
            let (m, v) = paced_count_moments(&p, w);
            (l.users as f64 * m, l.users as f64 * v)
        }
        Cycle::Closed { mean, sd, ramp } => {
            let n = l.users.max(1) as f64;
            let mut total = (0.0, 0.0, 0.0, 0.0);
            for i in 0..l.users {
                let c = closed_count(i as f64 * ramp / n - ramp, w, mean, sd);
                total.0 += c.mean;
                total.1 += c.edge_var;
                total.2 += c.edge_var.sqrt();
                total.3 += c.renewal_var;
            }
            let edge = if ramp > 0.0 {
                total.1
            } else {
                total.2 * total.2
            };
            (total.0, edge + total.3)
        }
    }
}

/// The band for several groups over one window.
pub fn band(loads: &[Load], window_s: f64, confidence: f64) -> Band {
    let mut mean = 0.0;
    let mut var = 0.0;
    // The coarsest lattice step of the count (transactions per iteration).
    let mut step: f64 = 1.0;
    for l in loads {
        let (m, v) = load_count_moments(l, window_s);
        mean += m * l.tx_per_iter;
        var += v * l.tx_per_iter * l.tx_per_iter;
        step = step.max(l.tx_per_iter);
    }
    let sd = var.sqrt();
    let z = z_two_sided(confidence);
    let half = z * sd + step / 2.0;
    let per_minute = if window_s > 0.0 { 60.0 / window_s } else { 0.0 };
    let low = (mean - half).max(0.0);
    let high = mean + half;
    Band {
        confidence,
        window_s,
        expected: mean,
        sd,
        count_low: low,
        count_high: high,
        tpm: mean * per_minute,
        tpm_low: low * per_minute,
        tpm_high: high * per_minute,
    }
}

/// The z such that a Normal variable is within +-z sd with probability `confidence`.
pub fn z_two_sided(confidence: f64) -> f64 {
    let n = Normal::standard();
    n.inverse_cdf(0.5 + confidence / 2.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn z_for_common_confidences() {
        assert!((z_two_sided(0.95) - 1.959964).abs() < 1e-5);
        assert!((z_two_sided(0.99) - 2.575829).abs() < 1e-5);
    }

    #[test]
    fn fixed_pacing_with_whole_iterations_is_exact() {
        // The seed: 24 users at 120 s pacing over a 3480 s window: 29 each.
        let b = band(
            &[Load::paced(24, Pacing::Fixed { interval: 120.0 }, 1.0)],
            3480.0,
            0.99,
        );
        assert_eq!(b.expected, 696.0);
        assert_eq!(b.sd, 0.0);
        assert!(b.contains(696.0) && !b.contains(695.0) && !b.contains(697.0));
        assert!((b.tpm - 12.0).abs() < 1e-12);
    }

    /// `pace plan --tps 27.5 --users 30 --duration 61s --ramp-up 1s`:
    /// 30 users at 1.0909090909090908 s over 60 s is 55 intervals each,
    /// 1650 transactions exactly, though 60 / 1.0909090909090908 is
    /// 55.00000000000001 in floating point.
    #[test]
    fn a_whole_number_of_intervals_up_to_float_noise_is_exact() {
        let p = Pacing::Fixed {
            interval: 1.0909090909090908,
        };
        assert_ne!(60.0 / 1.0909090909090908, 55.0);
        assert_eq!(user_count_moments(&p, 60.0), (55.0, 0.0));
        let b = band(&[Load::paced(30, p, 1.0)], 60.0, 0.99);
        assert_eq!((b.expected, b.sd), (1650.0, 0.0));
    }

    #[test]
    fn fixed_pacing_phase_term() {
        // 100 users, 2 s pacing, 3599 s window: 1799.5 each, f = 0.5.
        let (n, v) = user_count_moments(&Pacing::Fixed { interval: 2.0 }, 3599.0);
        assert_eq!(n, 1799.5);
        assert_eq!(v, 0.25);
    }

    #[test]
    fn a_closed_loop_that_never_varies_is_a_lattice() {
        // First start at 0, every 500 ms: 0, 0.5, ..., 9.5 s are in [0, 10),
        // 20 starts, no doubt about any of them.
        let c = closed_count(0.0, 10.0, 0.5, 0.0);
        assert_eq!((c.mean, c.edge_var, c.renewal_var), (20.0, 0.0, 0.0));
        // Started 250 ms before the window: 0.25 ... 9.75 s, 20 again.
        let c = closed_count(-0.25, 10.0, 0.5, 0.0);
        assert_eq!(c.mean, 20.0);
        // A start due exactly at the window's end, with a little spread,
        // lands inside half the time: 20.5, Bernoulli variance 1/4.
        let c = closed_count(0.0, 10.0, 0.5, 0.001);
        assert!((c.mean - 20.5).abs() < 1e-9, "{c:?}");
        assert!((c.edge_var - 0.25).abs() < 1e-9, "{c:?}");
    }

    #[test]
    fn a_closed_loop_that_varies_a_lot_is_a_renewal_process() {
        // sigma = mu/2 over 200 cycles: the renewal variance w sigma^2 / mu^3
        // = 100 x 0.0625 / 0.125 = 50 dominates the edges, and the mean is
        // the renewal function's W/mu + 1/2 + sigma^2/(2 mu^2) (Cox 4.2).
        let c = closed_count(0.0, 100.0, 0.5, 0.25);
        assert!((c.renewal_var - 50.0).abs() < 1e-9, "{c:?}");
        assert!(c.edge_var < c.renewal_var / 4.0, "{c:?}");
        assert!((c.mean - (200.0 + 0.5 + 0.125)).abs() < 0.05, "{c:?}");
    }

    #[test]
    fn exponential_count_is_poisson_like() {
        // Pure Poisson (min 0): variance equals the mean.
        let p = Pacing::Exponential {
            min: 0.0,
            mean: 10.0,
        };
        let (n, v) = user_count_moments(&p, 1000.0);
        assert!((n - 100.0).abs() < 1e-12);
        assert!((v - 100.0).abs() < 1e-9, "{v}");
    }

    /// Counting the window's middle at once gives what counting every
    /// cycle gives, and a window of a billion cycles costs no more than a
    /// short one (a `--check` of 1,000 users at 2 ms over an hour once
    /// took 22 s).
    #[test]
    fn closed_count_skips_the_middle_exactly() {
        fn every_cycle(o: f64, w: f64, mu: f64, sigma: f64) -> (f64, f64) {
            let n = Normal::standard();
            let below = |k: f64, t: f64| {
                let m = o + k * mu;
                let sd = sigma * k.sqrt();
                if sd <= 0.0 {
                    if m < t { 1.0 } else { 0.0 }
                } else {
                    n.cdf((t - m) / sd)
                }
            };
            let (mut mean, mut var, mut k) = (0.0, 0.0, 0.0f64);
            loop {
                let p = if k == 0.0 {
                    if (0.0..w).contains(&o) { 1.0 } else { 0.0 }
                } else {
                    below(k, w) - below(k, 0.0)
                };
                mean += p;
                var += p * (1.0 - p);
                if k > 0.0 && o + k * mu - 8.0 * sigma * k.sqrt() > w {
                    return (mean, var);
                }
                k += 1.0;
            }
        }
        for (o, w, mu, sigma) in [
            (0.0, 60.0, 0.5, 0.0),
            (0.13, 60.0, 0.5, 0.05),
            (0.4, 100.0, 0.3, 0.3),
            (-2.0, 1000.0, 1.0, 2.5),
            (0.0, 7.0, 0.5, 0.2),
        ] {
            let c = closed_count(o, w, mu, sigma);
            let (mean, var) = every_cycle(o, w, mu, sigma);
            assert!(
                (c.mean - mean).abs() < 1e-6,
                "{o} {w} {mu} {sigma}: {} vs {mean}",
                c.mean
            );
            assert!((c.edge_var - var).abs() < 1e-6, "{o} {w} {mu} {sigma}");
        }
        let c = closed_count(0.0, 3600.0, 3.6e-6, 1e-6);
        assert!((c.mean - 1e9).abs() < 10.0, "{}", c.mean);
    }
}
