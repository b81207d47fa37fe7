//! The plan file (shared/spec/plan-format.md): its model, strict loading
//! with errors that name the key and its line, and the checks that make an
//! impossible plan fail before any traffic is sent.
//!
//! Parsing works on a string; reading the file is the caller's business.

pub use super::check::PathPart;
use super::check::{display_path, locate_path, locate_span, one_line};
use super::pacing::Pacing;
use crate::ratio::Ratio;
use crate::units;
use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize, Serializer};
use std::collections::BTreeMap;
use std::fmt;

/// A duration in seconds, written as `"250ms"`, `"1.5s"`, `"2m"` or a number.
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd)]
pub struct Secs(pub f64);

/// A fraction, written as `"5%"` or `0.05`: its value, and the exact
/// decimal written (`"0.7%"` = 7/1000), which every comparison with a
/// count uses ([`crate::ratio`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Fraction(pub f64, pub Ratio);

impl Fraction {
    /// A fraction from its text, as a plan writes it (at most 100 %).
    pub fn parse(text: &str) -> Result<Fraction, String> {
        let v = units::parse_percentage(text)?;
        let exact = Ratio::parse(text).ok_or_else(|| {
            format!(
                "{} has more decimals than pace compares exactly (at most 18 after the point)",
                crate::visible::quoted(text.trim())
            )
        })?;
        Ok(Fraction(v, exact))
    }
}

/// A rate in events per second, written as `"50/s"`, `"600/m"` or a number per second.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PerSecond(pub f64);

macro_rules! string_or_number {
    ($ty:ident, $parse:path, $expect:literal, $fmt:expr) => {
        impl<'de> Deserialize<'de> for $ty {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                struct V;
                impl<'de> Visitor<'de> for V {
                    type Value = $ty;
                    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                        f.write_str($expect)
                    }
                    fn visit_str<E: de::Error>(self, v: &str) -> Result<$ty, E> {
                        $parse(v).map(Into::into).map_err(E::custom)
                    }
                    fn visit_i64<E: de::Error>(self, v: i64) -> Result<$ty, E> {
                        self.visit_str(&v.to_string())
                    }
                    fn visit_u64<E: de::Error>(self, v: u64) -> Result<$ty, E> {
                        self.visit_str(&v.to_string())
                    }
                    fn visit_f64<E: de::Error>(self, v: f64) -> Result<$ty, E> {
                        self.visit_str(&v.to_string())
                    }
                }
                d.deserialize_any(V)
            }
        }
        impl Serialize for $ty {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                let f: fn(&$ty) -> String = $fmt;
                s.serialize_str(&f(self))
            }
        }
    };
}

string_or_number!(
    Secs,
    units::parse_duration,
    "a duration such as \"500ms\", \"2s\", \"5m\" or a number of seconds",
    |v: &Secs| units::format_duration(v.0)
);
string_or_number!(
    Fraction,
    Fraction::parse,
    "a percentage such as \"5%\" or a fraction such as 0.05",
    |f: &Fraction| f.1.percent_text()
);
string_or_number!(
    PerSecond,
    units::parse_rate,
    "a rate such as \"50/s\", \"600/m\" or a number per second",
    |v: &PerSecond| format!("{}/s", v.0)
);

impl From<f64> for Secs {
    fn from(v: f64) -> Self {
        Secs(v)
    }
}

impl From<f64> for PerSecond {
    fn from(v: f64) -> Self {
        PerSecond(v)
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TargetSection {
    pub tps: Option<f64>,
    pub tpm: Option<f64>,
    pub tph: Option<f64>,
    pub response_time: Option<Secs>,
    pub transactions_per_iteration: Option<u32>,
    /// pace's own target, started in-process for the run; `${PACE_TARGET}`
    /// is its base URL.
    pub embedded: Option<crate::target::EmbeddedTarget>,
}

impl TargetSection {
    /// The target in transactions per second, if one is given.
    pub fn tps(&self) -> Option<f64> {
        self.tps
            .or(self.tpm.map(|v| v / 60.0))
            .or(self.tph.map(|v| v / 3600.0))
    }

    pub fn transactions_per_iteration(&self) -> u32 {
        self.transactions_per_iteration.unwrap_or(1)
    }
}

fn default_duration() -> Secs {
    Secs(3600.0)
}
fn default_ts_interval() -> Secs {
    Secs(10.0)
}
fn default_grace() -> Secs {
    Secs(30.0)
}
fn default_results_dir() -> String {
    "results".into()
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunSection {
    #[serde(default = "default_duration")]
    pub duration: Secs,
    #[serde(default)]
    pub ramp_up: Option<Secs>,
    #[serde(default = "default_ts_interval")]
    pub ts_interval: Secs,
    #[serde(default = "default_grace")]
    pub grace: Secs,
    #[serde(default = "default_results_dir")]
    pub results_dir: String,
    pub seed: Option<u64>,
    pub results_database: Option<String>,
    /// The most raw samples (transactions, custom timer values, iterations)
    /// a run may have for them to be stored in the results database's
    /// `samples` table; a run with more stores none of them and says so.
    /// 0 stores none [default: `store::DEFAULT_SAMPLE_LIMIT`, 1 000 000].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub results_database_samples: Option<u64>,
    pub post_run: Option<String>,
    /// How long `post_run` may run before it is stopped [default: 5m].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub post_run_timeout: Option<Secs>,
    /// Also write JMeter's XML JTL (Pyak47's `xml_report`).
    #[serde(default)]
    pub xml_report: bool,
    /// A stair test: load levels run one after another, each a run of its
    /// own lasting `ramp + hold` seconds (docs/capacity.md, "Stair tests").
    /// With it, `duration` is one level's (set from the stair, never
    /// written) and `ramp_up` is refused.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stairs: Option<super::stairs::StairsSection>,
}

impl Default for RunSection {
    fn default() -> Self {
        RunSection {
            duration: default_duration(),
            ramp_up: None,
            ts_interval: default_ts_interval(),
            grace: default_grace(),
            results_dir: default_results_dir(),
            seed: None,
            results_database: None,
            results_database_samples: None,
            post_run: None,
            post_run_timeout: None,
            xml_report: false,
            stairs: None,
        }
    }
}

impl RunSection {
    pub fn ramp_up(&self) -> f64 {
        self.ramp_up.map(|s| s.0).unwrap_or(0.0)
    }

    /// Seconds `post_run` may take before it is stopped.
    pub fn post_run_timeout(&self) -> f64 {
        self.post_run_timeout.map(|s| s.0).unwrap_or(300.0)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PacingMode {
    Fixed,
    Uniform,
    Beta,
    Exponential,
    AfterEnd,
    None,
    ArrivalRate,
}

impl PacingMode {
    /// The plan's own word for it.
    pub fn name(self) -> &'static str {
        match self {
            PacingMode::Fixed => "fixed",
            PacingMode::Uniform => "uniform",
            PacingMode::Beta => "beta",
            PacingMode::Exponential => "exponential",
            PacingMode::AfterEnd => "after-end",
            PacingMode::None => "none",
            PacingMode::ArrivalRate => "arrival-rate",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Late {
    /// Start at once; lost time is not recovered (LoadRunner, Locust).
    #[default]
    Drift,
    /// Drop the missed start and count it (k6).
    Skip,
    /// Keep the absolute schedule and make up the debt (wrk2).
    CatchUp,
}

impl Late {
    /// The plan's own word for it.
    pub fn name(self) -> &'static str {
        match self {
            Late::Drift => "drift",
            Late::Skip => "skip",
            Late::CatchUp => "catch-up",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PacingSection {
    pub mode: PacingMode,
    pub interval: Option<Secs>,
    pub min: Option<Secs>,
    pub max: Option<Secs>,
    pub alpha: Option<f64>,
    pub beta: Option<f64>,
    pub delay: Option<Secs>,
    pub rate: Option<PerSecond>,
    #[serde(default)]
    pub late: Late,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Expect {
    pub status: Option<u16>,
    pub body_contains: Option<String>,
}

fn default_method() -> String {
    "GET".into()
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StepSection {
    pub name: String,
    #[serde(default = "default_method")]
    pub method: String,
    pub url: String,
    pub timeout: Option<Secs>,
    /// A pause after the step: a duration, or a random one
    /// (`{ dist = "uniform", min, max }`, `{ dist = "exponential", mean }`).
    pub think: Option<super::think::Think>,
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    pub body: Option<String>,
    pub expect: Option<Expect>,
    /// The longest response body, in bytes, the step accepts; a longer one
    /// fails the transaction as `io` "body too large" [default: 1 MiB with
    /// `expect.body_contains`, no limit without].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_body: Option<super::bytesize::ByteSize>,
    /// Values taken from the response into variables for later steps.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub extract: Vec<super::extract::ExtractSection>,
    /// This step's own thresholds (`[group.step.acceptance]`), judged on
    /// its transactions alone: a transaction's SLA.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acceptance: Option<super::thresholds::Thresholds>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GroupSection {
    pub name: String,
    pub users: u64,
    pub pacing: PacingSection,
    #[serde(default, rename = "step", skip_serializing_if = "Vec::is_empty")]
    pub steps: Vec<StepSection>,
    /// A Pyak47 Transaction script run by a worker process per user,
    /// instead of steps; relative to the plan file's folder.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub script: Option<String>,
    /// What runs pace's Python worker [default: python3].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interpreter: Option<String>,
    /// A command that speaks pace's worker protocol itself (docs/scripts.md),
    /// instead of the built-in Python worker; run through `sh -c`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub worker: Option<String>,
    /// How long one `run()` may take before its worker is killed and
    /// restarted [default: 60s].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub script_timeout: Option<Secs>,
    /// Test data: a CSV file whose columns are variables (`[group.data]`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<super::data::Data>,
    /// A cookie jar per virtual user [default: true].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cookies: Option<bool>,
    /// The group's own thresholds (`[group.acceptance]`), judged on its
    /// transactions alone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acceptance: Option<super::thresholds::Thresholds>,
}

impl GroupSection {
    /// Transactions one iteration makes: each step, or the script's one
    /// `run()` call.
    pub fn transactions_per_iteration(&self) -> usize {
        if self.script.is_some() {
            1
        } else {
            self.steps.len()
        }
    }

    /// The script's timeout, seconds.
    pub fn script_timeout(&self) -> f64 {
        self.script_timeout.map(|s| s.0).unwrap_or(60.0)
    }

    /// Whether each user keeps its cookies (`cookies`, default true).
    pub fn cookies(&self) -> bool {
        self.cookies.unwrap_or(true)
    }

    /// The Python interpreter for the built-in worker.
    pub fn interpreter(&self) -> &str {
        self.interpreter.as_deref().unwrap_or("python3")
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Tolerance {
    /// The statistical band at `confidence`.
    Auto,
    /// A fixed band of this fraction around the target: its value, and
    /// the exact decimal written, which the band's edges are compared
    /// with ([`crate::ratio::within_tolerance`]).
    Fixed(f64, Ratio),
}

impl Tolerance {
    /// A fixed tolerance from its text (`"5%"`, `0.05`), as a plan writes
    /// it; `None` for what is not one.
    pub fn written(text: &str) -> Option<Tolerance> {
        Fraction::parse(text)
            .ok()
            .map(|f| Tolerance::Fixed(f.0, f.1))
    }
}

impl<'de> Deserialize<'de> for Tolerance {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let f = StringOrNumber::deserialize(d)?;
        match f {
            StringOrNumber::S(s) if s.trim() == "auto" => Ok(Tolerance::Auto),
            StringOrNumber::S(s) => Fraction::parse(&s)
                .map(|f| Tolerance::Fixed(f.0, f.1))
                .map_err(|e| de::Error::custom(format!("{e}, or \"auto\""))),
            StringOrNumber::N(v) => Fraction::parse(&v.to_string())
                .map(|f| Tolerance::Fixed(f.0, f.1))
                .map_err(de::Error::custom),
        }
    }
}

impl Serialize for Tolerance {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Tolerance::Auto => s.serialize_str("auto"),
            Tolerance::Fixed(_, exact) => s.serialize_str(&exact.percent_text()),
        }
    }
}

#[derive(Deserialize)]
#[serde(untagged)]
enum StringOrNumber {
    S(String),
    N(f64),
}

fn default_confidence() -> f64 {
    0.99
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AcceptanceSection {
    #[serde(default = "default_confidence")]
    pub confidence: f64,
    #[serde(default = "default_tolerance")]
    pub tolerance: Tolerance,
    pub p50: Option<Secs>,
    pub p80: Option<Secs>,
    pub p90: Option<Secs>,
    pub p95: Option<Secs>,
    pub p99: Option<Secs>,
    pub max: Option<Secs>,
    pub error_rate: Option<Fraction>,
    /// When true, an operational law the run breaks (the verdict's
    /// `laws`, docs/verdict.md) is a failed check, not only a warning.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub laws_must_hold: bool,
    /// The span every check is judged over: the steady-state window
    /// (default) or the whole run.
    #[serde(default, skip_serializing_if = "super::thresholds::scope_is_default")]
    pub scope: super::thresholds::Scope,
    /// Which transactions latency thresholds count: "all" (default) or
    /// "ok" (successes only, timeouts bounded by the threshold's share).
    #[serde(
        default,
        skip_serializing_if = "super::thresholds::latency_of_is_default"
    )]
    pub latency_of: super::thresholds::LatencyOf,
}

fn default_tolerance() -> Tolerance {
    Tolerance::Auto
}

impl Default for AcceptanceSection {
    fn default() -> Self {
        AcceptanceSection {
            confidence: default_confidence(),
            tolerance: Tolerance::Auto,
            p50: None,
            p80: None,
            p90: None,
            p95: None,
            p99: None,
            max: None,
            error_rate: None,
            laws_must_hold: false,
            scope: Default::default(),
            latency_of: Default::default(),
        }
    }
}

/// A whole plan file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlanFile {
    #[serde(default)]
    pub target: TargetSection,
    #[serde(default)]
    pub run: RunSection,
    #[serde(rename = "group")]
    pub groups: Vec<GroupSection>,
    #[serde(default)]
    pub acceptance: AcceptanceSection,
    /// Centres measured outside pace, for the utilisation-law audit
    /// (`[[resource]]`, see [`super::resource::ResourceSection`]).
    #[serde(rename = "resource", default, skip_serializing_if = "Vec::is_empty")]
    pub resources: Vec<super::resource::ResourceSection>,
}

/// A plan-file error: where (line and key) and what.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{origin}:{line}: {key}: {message}")]
pub struct PlanFileError {
    pub origin: String,
    /// 1-based; 0 when the error has no place in the file (e.g. a missing key
    /// in an empty file).
    pub line: usize,
    pub key: String,
    pub message: String,
}

impl PlanFile {
    /// Parses and checks a plan. `origin` (usually the file name) prefixes
    /// every error message.
    pub fn parse(text: &str, origin: &str) -> Result<PlanFile, PlanFileError> {
        let mut plan: PlanFile = toml::from_str(text).map_err(|e| {
            let (line, mut key) = match e.span() {
                Some(span) => locate_span(text, span.start),
                None => (0, String::new()),
            };
            // A table form's field, named by its hand-written visitor.
            let mut message = e.message();
            let mark = super::data::FIELD_MARK;
            if let Some(rest) = message.strip_prefix(mark)
                && let Some((field, m)) = rest.split_once(mark)
            {
                if !key.ends_with(&format!(".{field}")) {
                    key = if key.is_empty() {
                        field.to_string()
                    } else {
                        format!("{key}.{field}")
                    };
                }
                message = m;
                // The field is the key; toml's ` in `FIELD`` says it twice.
                let one = one_line(message);
                let one = one.strip_suffix(&format!(" in `{field}`")).unwrap_or(&one);
                return PlanFileError {
                    origin: origin.to_string(),
                    line,
                    key,
                    message: plain_words(one),
                };
            }
            PlanFileError {
                origin: origin.to_string(),
                line,
                key: if key.is_empty() { "plan".into() } else { key },
                message: plain_words(&one_line(message)),
            }
        })?;
        // A stair's levels each last ramp + hold: the plan is checked (its
        // intervals, its steady window) as one level.
        if let Some(st) = &plan.run.stairs {
            if super::stairs::explicit_duration(text) {
                let path = [
                    PathPart::Key("run".into()),
                    PathPart::Key("duration".into()),
                ];
                return Err(PlanFileError {
                    origin: origin.to_string(),
                    line: locate_path(text, &path),
                    key: display_path(&path),
                    message:
                        "does not apply with [run.stairs]: each level lasts run.stairs.ramp + hold"
                            .into(),
                });
            }
            plan.run.duration = Secs(st.ramp() + st.hold.0);
        }
        if let Some((path, message)) = plan.check().into_iter().next() {
            let line = locate_path(text, &path);
            return Err(PlanFileError {
                origin: origin.to_string(),
                line,
                key: display_path(&path),
                // A name may hold a line break; an error is one line.
                message: one_line(&message),
            });
        }
        Ok(plan)
    }
}

impl PacingSection {
    /// The start-to-start distribution, for the modes that have one.
    pub fn distribution(&self) -> Option<Pacing> {
        let f = |s: Option<Secs>| s.map(|s| s.0);
        match self.mode {
            PacingMode::Fixed => Some(Pacing::Fixed {
                interval: f(self.interval)?,
            }),
            PacingMode::Uniform => Some(Pacing::Uniform {
                min: f(self.min)?,
                max: f(self.max)?,
            }),
            PacingMode::Beta => {
                let (min, max) = (f(self.min)?, f(self.max)?);
                let (alpha, beta) = self.beta_shape(min, max).ok()?;
                Some(Pacing::Beta {
                    min,
                    max,
                    alpha,
                    beta,
                })
            }
            PacingMode::Exponential => Some(Pacing::Exponential {
                min: f(self.min).unwrap_or(0.0),
                mean: f(self.interval)?,
            }),
            PacingMode::AfterEnd | PacingMode::None | PacingMode::ArrivalRate => None,
        }
    }

    /// Beta shapes from the keys: both given, or one given plus `interval`.
    pub(super) fn beta_shape(
        &self,
        min: f64,
        max: f64,
    ) -> Result<(f64, f64), (&'static str, String)> {
        match (self.alpha, self.beta, self.interval) {
            (Some(a), Some(b), _) => Ok((a, b)),
            (a, b, Some(i)) if i.0 > min && i.0 < max => {
                let m = (i.0 - min) / (max - min);
                Ok(match (a, b) {
                    (Some(a), None) => (a, a * (1.0 - m) / m),
                    (None, Some(b)) => (b * m / (1.0 - m), b),
                    _ => super::pacing::beta_shape(m, None),
                })
            }
            _ => Err(("beta", "beta pacing needs both `alpha` and `beta`, or one of them and `interval` strictly inside [min, max]".into())),
        }
    }
}

/// serde's type names in the words of a plan's author.
fn plain_words(message: &str) -> String {
    message
        .replace("expected u64", "expected a whole number")
        .replace("expected u32", "expected a whole number")
        .replace("expected u16", "expected a whole number")
        .replace("expected f64", "expected a number")
        .replace("expected i64", "expected a whole number")
}

#[cfg(test)]
mod tests {
    use super::*;

    const SPEC_EXAMPLE: &str = r#"
[target]
tps = 50.0
response_time = "500ms"
transactions_per_iteration = 1

[run]
duration = "1h"
ramp_up = "5m"
ts_interval = "10s"
grace = "30s"
results_dir = "results"

[[group]]
name = "browse"
users = 100

[group.pacing]
mode = "fixed"
interval = "2s"
late = "drift"

[[group.step]]
name = "home"
method = "GET"
url = "${BASE_URL:-http://127.0.0.1:8080}/"
timeout = "10s"
think = "0s"

[acceptance]
confidence = 0.99
tolerance = "auto"
"#;

    #[test]
    fn the_spec_example_loads() {
        let p = PlanFile::parse(SPEC_EXAMPLE, "plan.toml").unwrap();
        assert_eq!(p.groups[0].users, 100);
        assert_eq!(p.run.ramp_up(), 300.0);
        assert_eq!(p.planned_tps(), Some(50.0));
        let b = p.band().unwrap();
        assert_eq!(b.window_s, 3300.0);
        assert!((b.tpm - 3000.0).abs() < 1e-9);
    }

    fn err_of(text: &str) -> PlanFileError {
        PlanFile::parse(text, "plan.toml").unwrap_err()
    }

    #[test]
    fn unknown_key_names_key_and_line() {
        let t = SPEC_EXAMPLE.replace("users = 100", "users = 100\nusrs = 3");
        let e = err_of(&t);
        assert_eq!(e.line, 17, "{e}");
        assert!(e.message.contains("usrs"), "{e}");
    }

    #[test]
    fn wrong_type_names_key_and_line() {
        let e = err_of(&SPEC_EXAMPLE.replace("users = 100", "users = \"many\""));
        assert_eq!(e.line, 16, "{e}");
        assert_eq!(e.key, "group[0].users", "{e}");
        assert!(e.message.contains("expected a whole number"), "{e}");
        // Named with its indices, as the checks name keys: the second
        // group's first step.
        let two = format!(
            "{SPEC_EXAMPLE}\n[[group]]\nname = \"b\"\nusers = 1\npacing = {{ mode = \"none\" }}\n[[group.step]]\nname = \"s\"\nurl = \"http://x/\"\ntimeout = \"soon\"\n"
        );
        let e = err_of(&two);
        assert_eq!(e.key, "group[1].step[0].timeout", "{e}");
        let e = err_of(&SPEC_EXAMPLE.replace("interval = \"2s\"", "interval = \"2 parsecs\""));
        assert_eq!(e.line, 20, "{e}");
        assert!(e.key.ends_with("interval"), "{e}");
    }

    #[test]
    fn impossible_values_name_key_and_line() {
        let e = err_of(&SPEC_EXAMPLE.replace("users = 100", "users = 0"));
        assert_eq!((e.line, e.key.as_str()), (16, "group[0].users"), "{e}");
        let t = SPEC_EXAMPLE.replace(
            "mode = \"fixed\"\ninterval = \"2s\"",
            "mode = \"uniform\"\nmin = \"3s\"\nmax = \"1s\"",
        );
        let e = err_of(&t);
        assert_eq!(e.key, "group[0].pacing.min", "{e}");
        assert_eq!(e.line, 20, "{e}");
        let t = SPEC_EXAMPLE.replace(
            "mode = \"fixed\"\ninterval = \"2s\"",
            "mode = \"uniform\"\nmin = \"1s\"\nmax = \"5s\"\ninterval = \"2s\"",
        );
        let e = err_of(&t);
        assert_eq!(e.key, "group[0].pacing.interval", "{e}");
        assert!(e.message.contains("mean is 3 s"), "{e}");
        let e = err_of(&SPEC_EXAMPLE.replace("tps = 50.0", "tps = 40.0"));
        assert_eq!(e.key, "target.tps", "{e}");
        assert!(e.message.contains("produce 50 TPS"), "{e}");
    }
}
