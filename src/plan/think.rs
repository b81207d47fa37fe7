//! A step's think time: a fixed pause (`think = "2s"`) or a random one
//! (`think = { dist = "uniform", min = "1s", max = "3s" }`). Pacing math
//! uses the distribution's mean; the runner draws from it per user.

use super::file::Secs;
use rand::RngExt;
use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::{Deserialize, Serialize, Serializer};
use std::fmt;

/// The distribution a think time is drawn from (the plan's `dist`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ThinkDist {
    /// Always `value`.
    Fixed,
    /// Uniform in [`min`, `max`].
    Uniform,
    /// Exponential with `mean`, optionally truncated at `max`.
    Exponential,
}

impl ThinkDist {
    /// The plan's own word for it.
    pub fn name(self) -> &'static str {
        match self {
            ThinkDist::Fixed => "fixed",
            ThinkDist::Uniform => "uniform",
            ThinkDist::Exponential => "exponential",
        }
    }
}

/// The table form of `think`: which keys a `dist` needs is checked by
/// [`Think::check`], so an unknown key is still named by serde.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ThinkTable {
    pub dist: ThinkDist,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<Secs>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<Secs>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<Secs>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mean: Option<Secs>,
}

/// A step's `think`: a duration, or a [`ThinkTable`].
#[derive(Debug, Clone, PartialEq)]
pub enum Think {
    Fixed(Secs),
    Table(ThinkTable),
}

/// A checked think time, ready to draw from; seconds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ThinkDraw {
    Fixed(f64),
    Uniform {
        min: f64,
        max: f64,
    },
    /// Draws above `max` are `max` (`f64::INFINITY`: no truncation).
    Exponential {
        mean: f64,
        max: f64,
    },
}

impl ThinkDraw {
    /// No pause at all.
    pub const ZERO: ThinkDraw = ThinkDraw::Fixed(0.0);

    /// One think time, seconds (never negative).
    pub fn draw<R: rand::Rng + ?Sized>(&self, rng: &mut R) -> f64 {
        match *self {
            ThinkDraw::Fixed(v) => v,
            ThinkDraw::Uniform { min, max } => min + (max - min) * rng.random::<f64>(),
            ThinkDraw::Exponential { mean, max } => {
                // 1 - u is in (0, 1]: its log is finite.
                let u: f64 = rng.random::<f64>();
                (-(1.0 - u).ln() * mean).min(max)
            }
        }
    }

    /// The mean think time, seconds: what pacing math plans with. A
    /// truncated exponential's mean is E[min(X, max)] = mean (1 - e^(-max/mean)).
    pub fn mean(&self) -> f64 {
        match *self {
            ThinkDraw::Fixed(v) => v,
            ThinkDraw::Uniform { min, max } => (min + max) / 2.0,
            ThinkDraw::Exponential { mean, max } if max.is_finite() => {
                mean * (1.0 - (-max / mean).exp())
            }
            ThinkDraw::Exponential { mean, .. } => mean,
        }
    }

    /// The shortest think time it draws, seconds.
    pub fn min(&self) -> f64 {
        match *self {
            ThinkDraw::Fixed(v) => v,
            ThinkDraw::Uniform { min, .. } => min,
            ThinkDraw::Exponential { .. } => 0.0,
        }
    }

    /// The longest think time it draws, seconds, and whether that is a
    /// percentile rather than a bound: an exponential with no `max` has no
    /// longest draw, so its 99th percentile, `mean x ln 100` (4.6 x the
    /// mean), stands for it (1 % of its draws are longer).
    pub fn longest(&self) -> (f64, bool) {
        match *self {
            ThinkDraw::Fixed(v) => (v, false),
            ThinkDraw::Uniform { max, .. } => (max, false),
            ThinkDraw::Exponential { max, .. } if max.is_finite() => (max, false),
            ThinkDraw::Exponential { mean, .. } => (mean * 100f64.ln(), true),
        }
    }

    /// True when it never pauses.
    pub fn is_zero(&self) -> bool {
        *self == ThinkDraw::Fixed(0.0)
    }
}

impl Think {
    /// The checked distribution; errors name the key at fault (`min`,
    /// `max`, `mean`, `value` or `dist`, empty for the shorthand).
    pub fn draw(&self) -> Result<ThinkDraw, (&'static str, String)> {
        let t = match self {
            Think::Fixed(s) => {
                return if s.0 >= 0.0 && s.0.is_finite() {
                    Ok(ThinkDraw::Fixed(s.0))
                } else {
                    Err(("", "must not be negative".into()))
                };
            }
            Think::Table(t) => t,
        };
        let allowed: &[&str] = match t.dist {
            ThinkDist::Fixed => &["value"],
            ThinkDist::Uniform => &["min", "max"],
            ThinkDist::Exponential => &["mean", "max"],
        };
        for (k, v) in [
            ("value", t.value),
            ("min", t.min),
            ("max", t.max),
            ("mean", t.mean),
        ] {
            if let Some(v) = v {
                if !allowed.contains(&k) {
                    return Err((
                        k_static(k),
                        format!(
                            "does not apply to dist = \"{}\" (it takes {})",
                            t.dist.name(),
                            allowed.join(" and ")
                        ),
                    ));
                }
                if !(v.0 >= 0.0 && v.0.is_finite()) {
                    return Err((k_static(k), "must not be negative".into()));
                }
            }
        }
        let need = |k: &'static str, v: Option<Secs>| {
            v.map(|s| s.0)
                .ok_or((k, format!("dist = \"{}\" needs `{k}`", t.dist.name())))
        };
        match t.dist {
            ThinkDist::Fixed => Ok(ThinkDraw::Fixed(need("value", t.value)?)),
            ThinkDist::Uniform => {
                let (min, max) = (need("min", t.min)?, need("max", t.max)?);
                if min > max {
                    return Err(("min", format!("{min} s is above max {max} s")));
                }
                Ok(ThinkDraw::Uniform { min, max })
            }
            ThinkDist::Exponential => {
                let mean = need("mean", t.mean)?;
                if mean <= 0.0 {
                    return Err((
                        "mean",
                        "must be greater than zero (for no think, use think = \"0s\")".into(),
                    ));
                }
                let max = t.max.map_or(f64::INFINITY, |m| m.0);
                if max <= 0.0 {
                    return Err(("max", "must be greater than zero".into()));
                }
                Ok(ThinkDraw::Exponential { mean, max })
            }
        }
    }

    /// The mean think time, seconds (0 for a think time that does not
    /// check: the plan is refused anyway).
    pub fn mean(&self) -> f64 {
        self.draw().map_or(0.0, |d| d.mean())
    }
}

fn k_static(k: &str) -> &'static str {
    match k {
        "value" => "value",
        "min" => "min",
        "max" => "max",
        _ => "mean",
    }
}

impl<'de> Deserialize<'de> for Think {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Think;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a duration such as \"2s\", or a table such as { dist = \"uniform\", min = \"1s\", max = \"3s\" }")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Think, E> {
                Secs::deserialize(de::value::StrDeserializer::<E>::new(v)).map(Think::Fixed)
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Think, E> {
                self.visit_str(&v.to_string())
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Think, E> {
                self.visit_str(&v.to_string())
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Think, E> {
                self.visit_str(&v.to_string())
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Think, A::Error> {
                super::data::table_form(map).map(Think::Table)
            }
        }
        d.deserialize_any(V)
    }
}

impl Serialize for Think {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Think::Fixed(v) => v.serialize(s),
            Think::Table(t) => t.serialize(s),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand::rngs::Xoshiro256PlusPlus;

    #[derive(Deserialize)]
    struct Holder {
        think: Think,
    }

    fn think(text: &str) -> Result<Think, String> {
        toml::from_str::<Holder>(&format!("think = {text}"))
            .map(|h| h.think)
            .map_err(|e| e.to_string())
    }

    fn mean_of(d: ThinkDraw, n: usize) -> (f64, f64, f64) {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(5);
        let (mut sum, mut lo, mut hi) = (0.0, f64::INFINITY, 0.0f64);
        for _ in 0..n {
            let x = d.draw(&mut rng);
            sum += x;
            lo = lo.min(x);
            hi = hi.max(x);
        }
        (sum / n as f64, lo, hi)
    }

    #[test]
    fn the_shorthand_and_the_table_forms_parse() {
        assert_eq!(think("\"2s\"").unwrap(), Think::Fixed(Secs(2.0)));
        assert_eq!(think("1.5").unwrap(), Think::Fixed(Secs(1.5)));
        let t = think("{ dist = \"uniform\", min = \"1s\", max = \"3s\" }").unwrap();
        assert_eq!(t.draw().unwrap(), ThinkDraw::Uniform { min: 1.0, max: 3.0 });
        assert_eq!(t.mean(), 2.0);
        let t = think("{ dist = \"fixed\", value = \"2s\" }").unwrap();
        assert_eq!(t.draw().unwrap(), ThinkDraw::Fixed(2.0));
    }

    #[test]
    fn an_unknown_key_is_named_with_the_keys_there_are() {
        let e = think("{ dist = \"uniform\", mn = \"1s\" }").unwrap_err();
        assert!(e.contains("unknown field `mn`"), "{e}");
        assert!(e.contains("`dist`, `value`, `min`, `max`, `mean`"), "{e}");
        assert!(think("\"soon\"").is_err());
    }

    #[test]
    fn combinations_are_checked_naming_the_key() {
        let e = |t: &str| think(t).unwrap().draw().unwrap_err();
        assert_eq!(
            e("{ dist = \"uniform\", min = \"3s\", max = \"1s\" }").0,
            "min"
        );
        assert_eq!(e("{ dist = \"uniform\", min = \"1s\" }").0, "max");
        assert_eq!(e("{ dist = \"exponential\", mean = 0 }").0, "mean");
        assert_eq!(e("{ dist = \"exponential\" }").0, "mean");
        assert_eq!(e("{ dist = \"fixed\", value = 1, min = 1 }").0, "min");
        assert_eq!(e("{ dist = \"fixed\" }").0, "value");
        assert_eq!(e("{ dist = \"exponential\", mean = 1, max = 0 }").0, "max");
    }

    #[test]
    fn uniform_draws_stay_in_range_with_the_planned_mean() {
        let d = ThinkDraw::Uniform { min: 1.0, max: 3.0 };
        let (mean, lo, hi) = mean_of(d, 200_000);
        assert!((mean - 2.0).abs() < 0.01, "{mean}");
        assert!(lo >= 1.0 && hi <= 3.0, "{lo} {hi}");
    }

    #[test]
    fn exponential_draws_have_the_planned_mean_truncated_or_not() {
        let d = ThinkDraw::Exponential {
            mean: 2.0,
            max: f64::INFINITY,
        };
        let (mean, lo, _) = mean_of(d, 400_000);
        assert!((mean - 2.0).abs() < 0.02, "{mean}");
        assert!(lo >= 0.0);
        let d = ThinkDraw::Exponential {
            mean: 2.0,
            max: 3.0,
        };
        let (mean, _, hi) = mean_of(d, 400_000);
        assert!((mean - d.mean()).abs() < 0.01, "{mean} vs {}", d.mean());
        assert!(hi <= 3.0);
        assert!((d.mean() - 2.0 * (1.0 - (-1.5f64).exp())).abs() < 1e-12);
    }

    #[test]
    fn the_same_seed_draws_the_same_think_times() {
        let d = ThinkDraw::Exponential {
            mean: 1.0,
            max: f64::INFINITY,
        };
        let draws = |seed| {
            let mut r = Xoshiro256PlusPlus::seed_from_u64(seed);
            (0..5).map(|_| d.draw(&mut r)).collect::<Vec<_>>()
        };
        assert_eq!(draws(3), draws(3));
        assert_ne!(draws(3), draws(4));
    }

    #[test]
    fn pacing_math_plans_with_the_mean() {
        let text = "[[group]]\nname = \"g\"\nusers = 1\npacing = { mode = \"none\" }\n\
             [[group.step]]\nname = \"a\"\nurl = \"http://h/\"\n\
             think = { dist = \"uniform\", min = \"1s\", max = \"3s\" }\n\
             [[group.step]]\nname = \"b\"\nurl = \"http://h/\"\nthink = \"1s\"\n";
        let p = crate::plan::file::PlanFile::parse(text, "plan.toml").unwrap();
        assert!((p.groups[0].planned_iteration_time(0.5) - 4.0).abs() < 1e-12);
        let bad = text.replace("min = \"1s\"", "min = \"5s\"");
        let e = crate::plan::file::PlanFile::parse(&bad, "plan.toml").unwrap_err();
        assert_eq!(e.key, "group[0].step[0].think.min", "{e}");
        assert_eq!(e.line, 8, "{e}");
    }
}
