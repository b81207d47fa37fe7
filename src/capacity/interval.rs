//! The mean of measured times with a two-sided Student t confidence
//! interval: what `pace baseline` reports for the iteration time B and each
//! step's response time, and what `pace plan --from` checks before it plans
//! with B.
//!
//! For `n` independent samples with mean `x̄` and sample standard deviation
//! `s` (divisor `n − 1`), the two-sided interval at confidence `1 − α` is
//! `x̄ ± t(1 − α/2, n − 1) · s / √n` (NIST/SEMATECH e-Handbook of
//! Statistical Methods, §1.3.5.2 "Confidence Limits for the Mean"; Jain,
//! *The Art of Computer Systems Performance Analysis*, §13.2).

use serde::{Deserialize, Serialize};
use statrs::distribution::{ContinuousCDF, StudentsT};

/// The widest interval `pace plan --from` plans from without a warning:
/// a half-width of 10 % of the mean (Jain §25.5.1 sizes samples for a
/// ±r % accuracy the same way).
pub const MAX_RELATIVE_HALF_WIDTH: f64 = 0.10;

/// The confidence `pace baseline` reports at.
pub const CONFIDENCE: f64 = 0.95;

/// A sample mean with its two-sided t interval. Units are the samples'
/// (seconds in pace).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct MeanInterval {
    /// Samples.
    pub n: usize,
    pub mean: f64,
    /// Sample standard deviation (divisor n − 1).
    pub sd: f64,
    /// Two-sided confidence, e.g. 0.95.
    pub confidence: f64,
    /// t(1 − α/2, n − 1).
    pub t: f64,
    /// t · sd / √n: the interval is mean ± half_width.
    pub half_width: f64,
    pub low: f64,
    pub high: f64,
}

impl MeanInterval {
    /// The interval from summary statistics: `n ≥ 2` samples of mean
    /// `mean` and standard deviation `sd`. `None` below two samples (no
    /// spread can be estimated) or for a confidence outside (0, 1).
    pub fn from_summary(n: usize, mean: f64, sd: f64, confidence: f64) -> Option<MeanInterval> {
        if n < 2 || !(confidence > 0.0 && confidence < 1.0) || !sd.is_finite() || sd < 0.0 {
            return None;
        }
        let t = t_quantile(0.5 + confidence / 2.0, (n - 1) as f64)?;
        let half_width = t * sd / (n as f64).sqrt();
        Some(MeanInterval {
            n,
            mean,
            sd,
            confidence,
            t,
            half_width,
            low: mean - half_width,
            high: mean + half_width,
        })
    }

    /// The interval of samples `xs` (see [`MeanInterval::from_summary`]).
    pub fn of(xs: &[f64], confidence: f64) -> Option<MeanInterval> {
        let n = xs.len();
        if n < 2 {
            return None;
        }
        let mean = xs.iter().sum::<f64>() / n as f64;
        let ss: f64 = xs.iter().map(|x| (x - mean).powi(2)).sum();
        MeanInterval::from_summary(n, mean, (ss / (n - 1) as f64).sqrt(), confidence)
    }

    /// half_width / mean: 0.05 means "± 5 %". Infinite for a zero mean.
    pub fn relative_half_width(&self) -> f64 {
        if self.mean == 0.0 {
            f64::INFINITY
        } else {
            self.half_width / self.mean.abs()
        }
    }

    /// Whether the interval is narrow enough to plan from
    /// ([`MAX_RELATIVE_HALF_WIDTH`]).
    pub fn narrow_enough(&self) -> bool {
        self.relative_half_width() <= MAX_RELATIVE_HALF_WIDTH
    }

    /// About how many samples would bring the relative half-width down to
    /// `target`: the half-width shrinks as 1/√n, so
    /// n' = ⌈n · (current / target)²⌉ (Jain §25.5.1, with the t quantile
    /// held at its current value, which slightly overestimates n').
    pub fn samples_for(&self, target: f64) -> usize {
        let r = self.relative_half_width();
        if !r.is_finite() || target <= 0.0 {
            return self.n;
        }
        let need = (self.n as f64 * (r / target).powi(2)).ceil();
        (need as usize).max(self.n)
    }
}

/// The `p` quantile of Student's t with `df` degrees of freedom, e.g.
/// t(0.975, 9) = 2.262157.
pub fn t_quantile(p: f64, df: f64) -> Option<f64> {
    StudentsT::new(0.0, 1.0, df)
        .ok()
        .map(|d| d.inverse_cdf(p))
        .filter(|t| t.is_finite())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, tol: f64) {
        assert!((a - b).abs() <= tol, "{a} vs {b}");
    }

    /// Published quantiles (any t table; scipy.stats.t.ppf gives the same
    /// to the digits shown).
    #[test]
    fn t_quantiles_match_the_tables() {
        close(t_quantile(0.975, 9.0).unwrap(), 2.262157, 1e-6);
        close(t_quantile(0.975, 1.0).unwrap(), 12.706205, 1e-6);
        close(t_quantile(0.975, 29.0).unwrap(), 2.045230, 1e-6);
        close(t_quantile(0.995, 4.0).unwrap(), 4.604095, 1e-6);
    }

    /// NIST/SEMATECH e-Handbook §1.3.5.2, the ZARR13.DAT example: N = 195,
    /// mean 9.261460, standard deviation 0.022789, 95 % limits
    /// 9.258242 and 9.264679 (t = 1.9723).
    #[test]
    fn nist_confidence_limits_for_the_mean() {
        let m = MeanInterval::from_summary(195, 9.261460, 0.022789, 0.95).unwrap();
        close(m.t, 1.9723, 1e-4);
        close(m.low, 9.258242, 2e-6);
        close(m.high, 9.264679, 2e-6);
    }

    /// Ten samples worked by hand: mean 0.105, Σ(x − x̄)² = 0.00105,
    /// s = √(0.00105/9) = 0.0108012, half-width with t(0.975, 9) =
    /// 2.262157: 2.262157 · 0.0108012 / √10 = 0.0077267.
    #[test]
    fn ten_samples_by_hand() {
        let xs = [0.10, 0.11, 0.09, 0.12, 0.10, 0.11, 0.10, 0.12, 0.09, 0.11];
        let m = MeanInterval::of(&xs, 0.95).unwrap();
        assert_eq!(m.n, 10);
        close(m.mean, 0.105, 1e-12);
        close(m.sd, 0.0108012, 1e-7);
        close(m.half_width, 0.0077267, 1e-7);
        close(m.low + m.high, 2.0 * m.mean, 1e-12);
        close(m.relative_half_width(), m.half_width / 0.105, 1e-12);
        assert!(m.narrow_enough());
    }

    #[test]
    fn too_few_or_too_wide() {
        assert!(MeanInterval::of(&[1.0], 0.95).is_none());
        assert!(MeanInterval::of(&[], 0.95).is_none());
        assert!(MeanInterval::of(&[1.0, 2.0], 1.0).is_none());
        // Two samples 1 and 3: mean 2, s = √2, half-width 12.706 · √2/√2.
        let m = MeanInterval::of(&[1.0, 3.0], 0.95).unwrap();
        close(m.half_width, 12.706205, 1e-6);
        assert!(!m.narrow_enough());
        // ± 635 % now; ± 10 % needs 2 · 63.5² ≈ 8073 samples (t held).
        assert_eq!(
            m.samples_for(0.10),
            (2.0 * (12.706205f64 / 2.0 / 0.10).powi(2)).ceil() as usize
        );
        // A constant sample has a zero-width interval.
        let c = MeanInterval::of(&[0.5; 5], 0.95).unwrap();
        assert_eq!((c.half_width, c.low, c.high), (0.0, 0.5, 0.5));
    }
}
