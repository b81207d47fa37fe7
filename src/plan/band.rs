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

use super::pacing::Pacing;
use serde::Serialize;
use statrs::distribution::{ContinuousCDF, Normal};

/// One homogeneous group of users for the band.
#[derive(Debug, Clone, Copy)]
pub struct Load {
    pub users: u64,
    pub pacing: Pacing,
    /// Transactions per iteration.
    pub tx_per_iter: f64,
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
}

/// Mean and variance of one user's iteration count in a window of `w` s.
pub fn user_count_moments(pacing: &Pacing, w: f64) -> (f64, f64) {
    let mu = pacing.mean();
    let n = w / mu;
    let var = match pacing {
        Pacing::Fixed { .. } => {
            let f = n - n.floor();
            f * (1.0 - f)
        }
        _ => {
            let s2 = pacing.variance();
            let k3 = pacing.third_central_moment();
            let constant = 1.0 / 6.0 + s2 * s2 / (2.0 * mu.powi(4)) - k3 / (3.0 * mu.powi(3));
            w * s2 / mu.powi(3) + constant
        }
    };
    // The asymptotic constant can dip below zero for very skewed pacing in
    // tiny windows; a variance is never negative.
    (n, var.max(0.0))
}

/// The band for several groups over one window.
pub fn band(loads: &[Load], window_s: f64, confidence: f64) -> Band {
    let mut mean = 0.0;
    let mut var = 0.0;
    // The coarsest lattice step of the count (transactions per iteration).
    let mut step: f64 = 1.0;
    for l in loads {
        let (m, v) = user_count_moments(&l.pacing, window_s);
        mean += l.users as f64 * m * l.tx_per_iter;
        var += l.users as f64 * v * l.tx_per_iter * l.tx_per_iter;
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
            &[Load {
                users: 24,
                pacing: Pacing::Fixed { interval: 120.0 },
                tx_per_iter: 1.0,
            }],
            3480.0,
            0.99,
        );
        assert_eq!(b.expected, 696.0);
        assert_eq!(b.sd, 0.0);
        assert!(b.contains(696.0) && !b.contains(695.0) && !b.contains(697.0));
        assert!((b.tpm - 12.0).abs() < 1e-12);
    }

    #[test]
    fn fixed_pacing_phase_term() {
        // 100 users, 2 s pacing, 3599 s window: 1799.5 each, f = 0.5.
        let (n, v) = user_count_moments(&Pacing::Fixed { interval: 2.0 }, 3599.0);
        assert_eq!(n, 1799.5);
        assert_eq!(v, 0.25);
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
}
