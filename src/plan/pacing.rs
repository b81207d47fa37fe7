//! Start-to-start pacing distributions: their moments, how to sample them,
//! and how to build one whose *arithmetic* mean is the pacing the target
//! rate needs (the rate is set by the mean interval, not by the mean of the
//! TPM range: 72-360 s averages 216 s, not the 120 s that 12 TPM needs).

use rand::Rng;
use rand::RngExt;
use rand_distr::{Beta as BetaDist, Distribution, Exp, Gamma};
use serde::Serialize;

/// The shape of one user's start-to-start interval.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Pacing {
    /// Every interval is exactly `interval` seconds.
    Fixed { interval: f64 },
    /// Uniform on `[min, max]`; the mean is the midpoint.
    Uniform { min: f64, max: f64 },
    /// `min + (max - min) * Beta(alpha, beta)`.
    Beta {
        min: f64,
        max: f64,
        alpha: f64,
        beta: f64,
    },
    /// `min + Exp(mean - min)`: Poisson-like starts that never come closer
    /// than `min` (a closed-model user cannot start before it has finished).
    Exponential { min: f64, mean: f64 },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum DistKind {
    Fixed,
    Uniform,
    Beta,
    Exponential,
}

impl DistKind {
    pub fn name(self) -> &'static str {
        match self {
            DistKind::Fixed => "fixed",
            DistKind::Uniform => "uniform",
            DistKind::Beta => "beta",
            DistKind::Exponential => "exponential",
        }
    }
}

impl Pacing {
    pub fn kind(&self) -> DistKind {
        match self {
            Pacing::Fixed { .. } => DistKind::Fixed,
            Pacing::Uniform { .. } => DistKind::Uniform,
            Pacing::Beta { .. } => DistKind::Beta,
            Pacing::Exponential { .. } => DistKind::Exponential,
        }
    }

    pub fn mean(&self) -> f64 {
        match *self {
            Pacing::Fixed { interval } => interval,
            Pacing::Uniform { min, max } => (min + max) / 2.0,
            Pacing::Beta {
                min,
                max,
                alpha,
                beta,
            } => min + (max - min) * alpha / (alpha + beta),
            Pacing::Exponential { mean, .. } => mean,
        }
    }

    pub fn min(&self) -> f64 {
        match *self {
            Pacing::Fixed { interval } => interval,
            Pacing::Uniform { min, .. }
            | Pacing::Beta { min, .. }
            | Pacing::Exponential { min, .. } => min,
        }
    }

    /// The longest interval; unbounded (`inf`) for the exponential.
    pub fn max(&self) -> f64 {
        match *self {
            Pacing::Fixed { interval } => interval,
            Pacing::Uniform { max, .. } | Pacing::Beta { max, .. } => max,
            Pacing::Exponential { .. } => f64::INFINITY,
        }
    }

    pub fn variance(&self) -> f64 {
        match *self {
            Pacing::Fixed { .. } => 0.0,
            Pacing::Uniform { min, max } => (max - min).powi(2) / 12.0,
            Pacing::Beta {
                min,
                max,
                alpha,
                beta,
            } => {
                let s = alpha + beta;
                (max - min).powi(2) * alpha * beta / (s * s * (s + 1.0))
            }
            Pacing::Exponential { min, mean } => (mean - min).powi(2),
        }
    }

    /// Third central moment E[(X - mean)^3]; it enters the constant term of
    /// the count variance of a stationary renewal process.
    pub fn third_central_moment(&self) -> f64 {
        match *self {
            Pacing::Fixed { .. } | Pacing::Uniform { .. } => 0.0,
            Pacing::Beta { alpha, beta, .. } => {
                let s = alpha + beta;
                let skew =
                    2.0 * (beta - alpha) * (s + 1.0).sqrt() / ((s + 2.0) * (alpha * beta).sqrt());
                skew * self.variance().powf(1.5)
            }
            Pacing::Exponential { min, mean } => 2.0 * (mean - min).powi(3),
        }
    }

    /// One start-to-start interval.
    pub fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> f64 {
        match *self {
            Pacing::Fixed { interval } => interval,
            Pacing::Uniform { min, max } => min + (max - min) * rng.random::<f64>(),
            Pacing::Beta {
                min,
                max,
                alpha,
                beta,
            } => min + (max - min) * beta_dist(alpha, beta).sample(rng),
            Pacing::Exponential { min, mean } => min + exp_sample(mean - min, rng),
        }
    }

    /// The delay from a user's start to its first iteration that makes the
    /// user's starts a *stationary* renewal process, so that counts in any
    /// later window follow the acceptance band's model from the first second.
    ///
    /// It is a uniform point inside a length-biased interval (longer
    /// intervals are more likely to cover a given instant): for fixed pacing
    /// simply a uniform phase in `[0, interval)`.
    pub fn sample_first_delay<R: Rng + ?Sized>(&self, rng: &mut R) -> f64 {
        let u: f64 = rng.random();
        u * self.sample_length_biased(rng)
    }

    /// An interval drawn with density `x f(x) / mean`.
    pub fn sample_length_biased<R: Rng + ?Sized>(&self, rng: &mut R) -> f64 {
        match *self {
            Pacing::Fixed { interval } => interval,
            Pacing::Uniform { min, max } => {
                // Inverse of the CDF (x^2 - min^2) / (max^2 - min^2).
                let u: f64 = rng.random();
                (min * min + u * (max * max - min * min)).sqrt()
            }
            Pacing::Beta {
                min,
                max,
                alpha,
                beta,
            } => {
                // x f(x) = min f(x) + (max-min) y f_Y(y): a mixture of the
                // plain distribution (mass min) and Beta(alpha+1, beta)
                // (mass mean - min).
                let mean = self.mean();
                let plain = rng.random::<f64>() < min / mean;
                let a = if plain { alpha } else { alpha + 1.0 };
                min + (max - min) * beta_dist(a, beta).sample(rng)
            }
            Pacing::Exponential { min, mean } => {
                // x f(x) = min f(x) + (x - min) f(x): the shifted exponential
                // (mass min) and a shifted Gamma(2, theta) (mass theta).
                let theta = mean - min;
                if theta <= 0.0 {
                    return min;
                }
                if rng.random::<f64>() < min / mean {
                    min + exp_sample(theta, rng)
                } else {
                    let g = Gamma::new(2.0, theta).expect("theta > 0 checked above");
                    min + g.sample(rng)
                }
            }
        }
    }

    /// Checks the parameters; the message names the offending parameter
    /// (`interval`, `min`, `max`, `alpha`, `beta`) first.
    pub fn validate(&self) -> Result<(), (&'static str, String)> {
        let finite_pos = |name: &'static str, v: f64| -> Result<(), (&'static str, String)> {
            if !v.is_finite() || v <= 0.0 {
                Err((name, format!("must be a positive, finite number (got {v})")))
            } else {
                Ok(())
            }
        };
        match *self {
            Pacing::Fixed { interval } => finite_pos("interval", interval),
            Pacing::Uniform { min, max } => {
                finite_pos("min", min)?;
                finite_pos("max", max)?;
                if min >= max {
                    return Err(("min", format!("min {min} s must be below max {max} s")));
                }
                Ok(())
            }
            Pacing::Beta {
                min,
                max,
                alpha,
                beta,
            } => {
                finite_pos("min", min)?;
                finite_pos("max", max)?;
                finite_pos("alpha", alpha)?;
                finite_pos("beta", beta)?;
                if min >= max {
                    return Err(("min", format!("min {min} s must be below max {max} s")));
                }
                Ok(())
            }
            Pacing::Exponential { min, mean } => {
                finite_pos("interval", mean)?;
                if !min.is_finite() || min < 0.0 {
                    return Err(("min", format!("must be a finite number >= 0 (got {min})")));
                }
                if min >= mean {
                    return Err((
                        "min",
                        format!("min {min} s must be below the mean interval {mean} s"),
                    ));
                }
                Ok(())
            }
        }
    }

    /// A short description such as `uniform 72-168 s` or `beta(1, 5) on 72-360 s`.
    pub fn describe(&self) -> String {
        use crate::units::round_sig;
        match *self {
            Pacing::Fixed { interval } => format!("fixed {} s", round_sig(interval, 6)),
            Pacing::Uniform { min, max } => {
                format!("uniform {}-{} s", round_sig(min, 6), round_sig(max, 6))
            }
            Pacing::Beta {
                min,
                max,
                alpha,
                beta,
            } => format!(
                "beta({}, {}) on {}-{} s",
                round_sig(alpha, 4),
                round_sig(beta, 4),
                round_sig(min, 6),
                round_sig(max, 6)
            ),
            Pacing::Exponential { min, mean } => format!(
                "exponential, mean {} s, min {} s",
                round_sig(mean, 6),
                round_sig(min, 6)
            ),
        }
    }
}

fn beta_dist(alpha: f64, beta: f64) -> BetaDist<f64> {
    BetaDist::new(alpha, beta).expect("alpha and beta are validated positive")
}

fn exp_sample<R: Rng + ?Sized>(theta: f64, rng: &mut R) -> f64 {
    if theta <= 0.0 {
        return 0.0;
    }
    Exp::new(1.0 / theta)
        .expect("theta > 0 checked above")
        .sample(rng)
}

/// Beta shape parameters with mean fraction `m = (mean - min) / (max - min)`.
///
/// With `alpha` given, `beta = alpha (1 - m) / m`. Otherwise one parameter is
/// fixed at 1: the density then falls steadily away from the bound nearer the
/// mean (Beta(1, 5) for the seed's 72-360 s around 120 s), so the peak rate is
/// the most frequent instantaneous rate and the long tail reaches the slow
/// bound. It is the simplest shape that spans the whole range with the
/// required mean and no interior hump a tester would have to explain.
pub fn beta_shape(m: f64, alpha: Option<f64>) -> (f64, f64) {
    match alpha {
        Some(a) => (a, a * (1.0 - m) / m),
        None if m <= 0.5 => (1.0, (1.0 - m) / m),
        None => (m / (1.0 - m), 1.0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand::rngs::Xoshiro256PlusPlus;

    fn close(a: f64, b: f64, tol: f64) -> bool {
        (a - b).abs() <= tol * b.abs().max(1.0)
    }

    #[test]
    fn seed_beta_is_beta_1_5_with_mean_120() {
        // 72-360 s around 120 s: m = 48 / 288 = 1/6.
        let (a, b) = beta_shape(48.0 / 288.0, None);
        assert!(close(a, 1.0, 1e-12) && close(b, 5.0, 1e-12), "{a} {b}");
        let p = Pacing::Beta {
            min: 72.0,
            max: 360.0,
            alpha: a,
            beta: b,
        };
        assert!(close(p.mean(), 120.0, 1e-12));
    }

    #[test]
    fn uniform_moments() {
        let p = Pacing::Uniform {
            min: 72.0,
            max: 168.0,
        };
        assert_eq!(p.mean(), 120.0);
        assert_eq!(p.variance(), 768.0);
    }

    #[test]
    fn sampled_means_match_the_stated_means() {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(7);
        let cases = [
            Pacing::Fixed { interval: 2.0 },
            Pacing::Uniform {
                min: 72.0,
                max: 168.0,
            },
            Pacing::Beta {
                min: 72.0,
                max: 360.0,
                alpha: 1.0,
                beta: 5.0,
            },
            Pacing::Exponential {
                min: 2.0,
                mean: 120.0,
            },
        ];
        for p in cases {
            let n = 200_000;
            let (mut s, mut s2, mut lb) = (0.0, 0.0, 0.0);
            for _ in 0..n {
                let x = p.sample(&mut rng);
                assert!(x >= p.min() && x <= p.max());
                s += x;
                s2 += x * x;
                lb += p.sample_length_biased(&mut rng);
            }
            let mean = s / n as f64;
            let var = s2 / n as f64 - mean * mean;
            let sd = p.variance().sqrt();
            // Mean within 5 standard errors.
            assert!(
                (mean - p.mean()).abs() <= 5.0 * sd / (n as f64).sqrt() + 1e-9,
                "{p:?}: {mean}"
            );
            if sd > 0.0 {
                assert!(close(var, p.variance(), 0.03), "{p:?}: var {var}");
            }
            // Length-biased mean is E[X^2] / E[X].
            let want = (p.variance() + p.mean().powi(2)) / p.mean();
            assert!(
                close(lb / n as f64, want, 0.01),
                "{p:?}: lb {}",
                lb / n as f64
            );
        }
    }

    #[test]
    fn validation_names_the_parameter() {
        let e = Pacing::Uniform { min: 5.0, max: 3.0 }
            .validate()
            .unwrap_err();
        assert_eq!(e.0, "min");
        let e = Pacing::Exponential {
            min: 5.0,
            mean: 3.0,
        }
        .validate()
        .unwrap_err();
        assert_eq!(e.0, "min");
        assert!(Pacing::Fixed { interval: 0.0 }.validate().is_err());
    }
}
