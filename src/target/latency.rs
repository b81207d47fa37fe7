//! Latency distributions of the embedded target and their one-string spec.
//!
//! See the [module documentation](super) for the syntax.

use std::fmt;
use std::str::FromStr;

use rand::{Rng, RngExt};
use rand_distr::{Distribution, Exp1, StandardNormal};

use crate::units;

/// The largest latency a spec may name, and the cap on any sampled latency
/// (a log-normal tail can otherwise ask for years): one day, in seconds.
pub const MAX_LATENCY_S: f64 = 86_400.0;

const SPEC_HELP: &str =
    "a latency is e.g. 20ms, uniform:10ms..30ms, exponential:20ms or lognormal:20ms,0.5";

/// How long the target waits before it answers a request. All values are in
/// seconds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Latency {
    /// Always the same delay.
    Fixed(f64),
    /// Uniform between `min` and `max` (inclusive of `min`).
    Uniform { min: f64, max: f64 },
    /// Exponential with this mean (memoryless; long right tail).
    Exponential { mean: f64 },
    /// Log-normal: `median * exp(sigma * Z)` with `Z` standard normal, so
    /// `sigma` is the standard deviation of the underlying normal.
    LogNormal { median: f64, sigma: f64 },
}

impl Default for Latency {
    fn default() -> Self {
        Latency::Fixed(0.0)
    }
}

impl Latency {
    /// Checks that every parameter is finite, in range and consistent.
    pub fn validate(&self) -> Result<(), String> {
        fn dur(what: &str, v: f64) -> Result<(), String> {
            if !v.is_finite() {
                return Err(format!("{what} must be a finite duration"));
            }
            if v < 0.0 {
                return Err(format!("{what} must not be negative"));
            }
            if v > MAX_LATENCY_S {
                return Err(format!("{what} must be at most 24h"));
            }
            Ok(())
        }
        match *self {
            Latency::Fixed(v) => dur("the latency", v),
            Latency::Uniform { min, max } => {
                dur("the minimum latency", min)?;
                dur("the maximum latency", max)?;
                if min > max {
                    return Err(format!(
                        "uniform minimum {} is above the maximum {}",
                        units::format_duration(min),
                        units::format_duration(max)
                    ));
                }
                Ok(())
            }
            Latency::Exponential { mean } => {
                dur("the mean latency", mean)?;
                if mean == 0.0 {
                    return Err(
                        "the exponential mean must be greater than zero (use 0ms for no latency)"
                            .into(),
                    );
                }
                Ok(())
            }
            Latency::LogNormal { median, sigma } => {
                dur("the median latency", median)?;
                if median == 0.0 {
                    return Err(
                        "the log-normal median must be greater than zero (use 0ms for no latency)"
                            .into(),
                    );
                }
                if !sigma.is_finite() || sigma < 0.0 {
                    return Err(format!(
                        "the log-normal sigma must be a finite number >= 0, not {sigma}"
                    ));
                }
                if sigma > 10.0 {
                    return Err(format!(
                        "the log-normal sigma {sigma} is too large (at most 10)"
                    ));
                }
                Ok(())
            }
        }
    }

    /// Draws one latency in seconds, capped at [`MAX_LATENCY_S`].
    pub fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> f64 {
        let v = match *self {
            Latency::Fixed(v) => v,
            Latency::Uniform { min, max } => min + (max - min) * rng.random::<f64>(),
            Latency::Exponential { mean } => {
                let e: f64 = Exp1.sample(rng);
                mean * e
            }
            Latency::LogNormal { median, sigma } => {
                let z: f64 = StandardNormal.sample(rng);
                median * (sigma * z).exp()
            }
        };
        v.clamp(0.0, MAX_LATENCY_S)
    }

    /// The expected latency in seconds (before the cap).
    pub fn mean(&self) -> f64 {
        match *self {
            Latency::Fixed(v) => v,
            Latency::Uniform { min, max } => (min + max) / 2.0,
            Latency::Exponential { mean } => mean,
            Latency::LogNormal { median, sigma } => median * (sigma * sigma / 2.0).exp(),
        }
    }

    /// True when no request ever waits.
    pub fn is_zero(&self) -> bool {
        matches!(*self, Latency::Fixed(v) if v == 0.0)
            || matches!(*self, Latency::Uniform { max, .. } if max == 0.0)
    }

    /// A short human description: `fixed 20 ms`, `uniform 10-30 ms`,
    /// `exponential, mean 20 ms`, `lognormal, median 20 ms, sigma 0.5 (mean 22.66 ms)`.
    pub fn describe(&self) -> String {
        match *self {
            Latency::Fixed(v) => format!("fixed {}", human(v)),
            Latency::Uniform { min, max } => {
                let (scale, unit) = if max < 1.0 {
                    (1000.0, "ms")
                } else {
                    (1.0, "s")
                };
                format!(
                    "uniform {}-{} {unit}",
                    units::round_sig(min * scale, 4),
                    units::round_sig(max * scale, 4)
                )
            }
            Latency::Exponential { mean } => format!("exponential, mean {}", human(mean)),
            Latency::LogNormal { median, sigma } => format!(
                "lognormal, median {}, sigma {} (mean {})",
                human(median),
                units::round_sig(sigma, 4),
                human(self.mean())
            ),
        }
    }
}

/// `20 ms`, `1.5 s`, `0 ms`.
fn human(secs: f64) -> String {
    if secs < 1.0 {
        format!("{} ms", units::round_sig(secs * 1000.0, 4))
    } else {
        format!("{} s", units::round_sig(secs, 4))
    }
}

/// The spec again, in a form [`FromStr`] reads back exactly.
impl fmt::Display for Latency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let d = units::format_duration;
        match *self {
            Latency::Fixed(v) => write!(f, "{}", d(v)),
            Latency::Uniform { min, max } => write!(f, "uniform:{}..{}", d(min), d(max)),
            Latency::Exponential { mean } => write!(f, "exponential:{}", d(mean)),
            Latency::LogNormal { median, sigma } => {
                write!(f, "lognormal:{},{sigma}", d(median))
            }
        }
    }
}

impl FromStr for Latency {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        let t = text.trim();
        if t.is_empty() {
            return Err(format!("empty latency; {SPEC_HELP}"));
        }
        let (kind, rest) = match t.split_once(':') {
            Some((k, r)) => (k.trim().to_ascii_lowercase(), r.trim()),
            None => (String::from("fixed"), t),
        };
        let dur = |s: &str| {
            if s.trim_start().starts_with('-') {
                return Err(format!("'{text}': a latency must not be negative"));
            }
            units::parse_duration(s).map_err(|e| format!("{e}; {SPEC_HELP}"))
        };
        let lat = match kind.as_str() {
            "fixed" | "constant" | "const" => Latency::Fixed(dur(rest)?),
            "uniform" => {
                let (a, b) = rest.split_once("..").ok_or_else(|| {
                    format!("'{text}': a uniform latency is a range, e.g. uniform:10ms..30ms")
                })?;
                Latency::Uniform {
                    min: dur(a)?,
                    max: dur(b)?,
                }
            }
            "exponential" | "exp" => Latency::Exponential { mean: dur(rest)? },
            "lognormal" | "log-normal" => {
                let (m, s) = rest.split_once(',').ok_or_else(|| {
                    format!(
                        "'{text}': a log-normal latency needs a median and a sigma, e.g. lognormal:20ms,0.5"
                    )
                })?;
                let sigma: f64 = s.trim().parse().map_err(|_| {
                    format!(
                        "'{}' is not a number (the log-normal sigma, e.g. 0.5)",
                        s.trim()
                    )
                })?;
                Latency::LogNormal {
                    median: dur(m)?,
                    sigma,
                }
            }
            other => {
                return Err(format!("unknown latency kind '{other}'; {SPEC_HELP}"));
            }
        };
        lat.validate().map_err(|e| format!("'{text}': {e}"))?;
        Ok(lat)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand::rngs::Xoshiro256PlusPlus;

    fn p(s: &str) -> Latency {
        s.parse().unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    #[test]
    fn parses_every_form() {
        assert_eq!(p("20ms"), Latency::Fixed(0.02));
        assert_eq!(p("0.5"), Latency::Fixed(0.5));
        assert_eq!(p("0"), Latency::Fixed(0.0));
        assert_eq!(p(" 1s "), Latency::Fixed(1.0));
        assert_eq!(p("fixed:250us"), Latency::Fixed(0.00025));
        assert_eq!(
            p("uniform:10ms..30ms"),
            Latency::Uniform {
                min: 0.01,
                max: 0.03
            }
        );
        assert_eq!(
            p("Uniform: 0.1 .. 0.2"),
            Latency::Uniform { min: 0.1, max: 0.2 }
        );
        assert_eq!(
            p("uniform:5ms..5ms"),
            Latency::Uniform {
                min: 0.005,
                max: 0.005
            }
        );
        assert_eq!(p("exponential:20ms"), Latency::Exponential { mean: 0.02 });
        assert_eq!(p("exp:1s"), Latency::Exponential { mean: 1.0 });
        assert_eq!(
            p("lognormal:20ms,0.5"),
            Latency::LogNormal {
                median: 0.02,
                sigma: 0.5
            }
        );
        assert_eq!(
            p("log-normal:1s, 0"),
            Latency::LogNormal {
                median: 1.0,
                sigma: 0.0
            }
        );
    }

    #[test]
    fn rejects_bad_specs() {
        for bad in [
            "",
            "   ",
            "-5ms",
            "-0.1",
            "NaN",
            "nan",
            "inf",
            "abc",
            "20 parsecs",
            "gamma:20ms",
            "uniform:30ms..10ms",
            "uniform:10ms",
            "uniform:-1..2",
            "uniform:1..NaN",
            "exponential:0ms",
            "exponential:-2ms",
            "exponential:",
            "lognormal:20ms",
            "lognormal:0ms,0.5",
            "lognormal:20ms,-0.5",
            "lognormal:20ms,NaN",
            "lognormal:20ms,inf",
            "lognormal:20ms,abc",
            "lognormal:20ms,50",
            "48h",
        ] {
            let r = bad.parse::<Latency>();
            assert!(r.is_err(), "{bad:?} was accepted: {r:?}");
            let msg = r.unwrap_err();
            assert!(!msg.contains('\n'), "{bad:?}: multi-line message {msg:?}");
        }
        let e = "gamma:20ms".parse::<Latency>().unwrap_err();
        assert!(e.contains("unknown latency kind 'gamma'"), "{e}");
        let e = "uniform:30ms..10ms".parse::<Latency>().unwrap_err();
        assert!(e.contains("above the maximum"), "{e}");
    }

    #[test]
    fn validate_catches_hand_built_values() {
        assert!(Latency::Fixed(f64::NAN).validate().is_err());
        assert!(Latency::Fixed(-1.0).validate().is_err());
        assert!(Latency::Uniform { min: 2.0, max: 1.0 }.validate().is_err());
        assert!(
            Latency::LogNormal {
                median: 1.0,
                sigma: f64::INFINITY
            }
            .validate()
            .is_err()
        );
        assert!(Latency::Fixed(0.0).validate().is_ok());
    }

    #[test]
    fn display_round_trips() {
        for s in [
            "20ms",
            "0ms",
            "1.5s",
            "uniform:10ms..30ms",
            "exponential:20ms",
            "lognormal:20ms,0.5",
            "uniform:0.001..2",
        ] {
            let l = p(s);
            assert_eq!(p(&l.to_string()), l, "{s} -> {l}");
        }
    }

    #[test]
    fn describes() {
        assert_eq!(p("20ms").describe(), "fixed 20 ms");
        assert_eq!(p("0").describe(), "fixed 0 ms");
        assert_eq!(p("1.5s").describe(), "fixed 1.5 s");
        assert_eq!(p("uniform:10ms..30ms").describe(), "uniform 10-30 ms");
        assert_eq!(p("uniform:1s..3s").describe(), "uniform 1-3 s");
        assert_eq!(p("exponential:20ms").describe(), "exponential, mean 20 ms");
        assert_eq!(
            p("lognormal:20ms,0.5").describe(),
            "lognormal, median 20 ms, sigma 0.5 (mean 22.66 ms)"
        );
    }

    fn sampled_mean(l: Latency, n: usize) -> f64 {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(42);
        (0..n).map(|_| l.sample(&mut rng)).sum::<f64>() / n as f64
    }

    #[test]
    fn sampled_means_match() {
        let n = 200_000;
        for spec in [
            "20ms",
            "uniform:10ms..30ms",
            "exponential:20ms",
            "lognormal:20ms,0.5",
            "lognormal:5ms,1",
        ] {
            let l = p(spec);
            let m = sampled_mean(l, n);
            let want = l.mean();
            assert!(
                (m - want).abs() <= 0.02 * want,
                "{spec}: sampled mean {m}, expected {want}"
            );
        }
    }

    #[test]
    fn samples_stay_in_range() {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(7);
        let u = p("uniform:10ms..30ms");
        let ln = p("lognormal:20ms,0.5");
        let mut below_median = 0;
        for _ in 0..10_000 {
            let v = u.sample(&mut rng);
            assert!((0.01..=0.03).contains(&v), "{v}");
            let w = ln.sample(&mut rng);
            assert!(w > 0.0);
            if w < 0.02 {
                below_median += 1;
            }
            assert!(p("exponential:1ms").sample(&mut rng) >= 0.0);
        }
        // The median really is the median.
        assert!((4_500..=5_500).contains(&below_median), "{below_median}");
        // The cap holds even for an absurd tail.
        let wild = Latency::LogNormal {
            median: 3600.0,
            sigma: 10.0,
        };
        for _ in 0..1000 {
            assert!(wild.sample(&mut rng) <= MAX_LATENCY_S);
        }
    }
}
