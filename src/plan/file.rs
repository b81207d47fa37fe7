//! The plan file (shared/spec/plan-format.md): its model, strict loading
//! with errors that name the key and its line, and the checks that make an
//! impossible plan fail before any traffic is sent.
//!
//! Parsing works on a string; reading the file is the caller's business.

use super::pacing::Pacing;
use crate::units;
use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize, Serializer};
use std::collections::BTreeMap;
use std::fmt;

/// A duration in seconds, written as `"250ms"`, `"1.5s"`, `"2m"` or a number.
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd)]
pub struct Secs(pub f64);

/// A fraction, written as `"5%"` or `0.05`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Fraction(pub f64);

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
                        $parse(v).map($ty).map_err(E::custom)
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
                let f: fn(f64) -> String = $fmt;
                s.serialize_str(&f(self.0))
            }
        }
    };
}

string_or_number!(
    Secs,
    units::parse_duration,
    "a duration such as \"500ms\", \"2s\", \"5m\" or a number of seconds",
    units::format_duration
);
string_or_number!(
    Fraction,
    units::parse_fraction,
    "a percentage such as \"5%\" or a fraction such as 0.05",
    |v| format!("{}%", v * 100.0)
);
string_or_number!(
    PerSecond,
    units::parse_rate,
    "a rate such as \"50/s\", \"600/m\" or a number per second",
    |v| format!("{v}/s")
);

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
    pub post_run: Option<String>,
    /// How long `post_run` may run before it is stopped [default: 5m].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub post_run_timeout: Option<Secs>,
    /// Also write JMeter's XML JTL (Pyak47's `xml_report`).
    #[serde(default)]
    pub xml_report: bool,
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
            post_run: None,
            post_run_timeout: None,
            xml_report: false,
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
    pub think: Option<Secs>,
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    pub body: Option<String>,
    pub expect: Option<Expect>,
    /// The longest response body, in bytes, the step accepts; a longer one
    /// fails the transaction as `io` "body too large" [default: 1 MiB with
    /// `expect.body_contains`, no limit without].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_body: Option<super::bytesize::ByteSize>,
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

    /// The Python interpreter for the built-in worker.
    pub fn interpreter(&self) -> &str {
        self.interpreter.as_deref().unwrap_or("python3")
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Tolerance {
    /// The statistical band at `confidence`.
    Auto,
    /// A fixed band of this fraction around the target.
    Fixed(f64),
}

impl<'de> Deserialize<'de> for Tolerance {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let f = StringOrNumber::deserialize(d)?;
        match f {
            StringOrNumber::S(s) if s.trim() == "auto" => Ok(Tolerance::Auto),
            StringOrNumber::S(s) => units::parse_fraction(&s)
                .map(Tolerance::Fixed)
                .map_err(|e| de::Error::custom(format!("{e}, or \"auto\""))),
            StringOrNumber::N(v) => units::parse_fraction(&v.to_string())
                .map(Tolerance::Fixed)
                .map_err(de::Error::custom),
        }
    }
}

impl Serialize for Tolerance {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Tolerance::Auto => s.serialize_str("auto"),
            Tolerance::Fixed(v) => s.serialize_str(&format!("{}%", v * 100.0)),
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
        let plan: PlanFile = toml::from_str(text).map_err(|e| {
            let (line, key) = match e.span() {
                Some(span) => locate_span(text, span.start),
                None => (0, String::new()),
            };
            PlanFileError {
                origin: origin.to_string(),
                line,
                key: if key.is_empty() { "plan".into() } else { key },
                message: one_line(e.message()),
            }
        })?;
        if let Some((path, message)) = plan.check().into_iter().next() {
            let line = locate_path(text, &path);
            return Err(PlanFileError {
                origin: origin.to_string(),
                line,
                key: display_path(&path),
                message,
            });
        }
        Ok(plan)
    }

    /// Every impossible value, with the key path it belongs to.
    pub fn check(&self) -> Vec<(Vec<PathPart>, String)> {
        let mut errors = Vec::new();
        let key = |parts: &[&str]| -> Vec<PathPart> {
            parts.iter().map(|p| PathPart::Key(p.to_string())).collect()
        };
        let t = &self.target;
        let rates: Vec<&str> = [("tps", t.tps), ("tpm", t.tpm), ("tph", t.tph)]
            .iter()
            .filter(|(_, v)| v.is_some())
            .map(|(n, _)| *n)
            .collect();
        if rates.len() > 1 {
            errors.push((
                key(&["target", rates[1]]),
                format!(
                    "give exactly one of tps, tpm or tph (found {})",
                    rates.join(" and ")
                ),
            ));
        }
        for (name, v) in [("tps", t.tps), ("tpm", t.tpm), ("tph", t.tph)] {
            if let Some(v) = v
                && (!v.is_finite() || v <= 0.0)
            {
                errors.push((
                    key(&["target", name]),
                    format!("must be a positive number (got {v})"),
                ));
            }
        }
        if let Some(rt) = t.response_time
            && rt.0 <= 0.0
        {
            errors.push((
                key(&["target", "response_time"]),
                "must be greater than zero".into(),
            ));
        }
        if let Some(e) = &t.embedded
            && let Err((k, msg)) = e.to_config()
        {
            errors.push((key(&["target", "embedded", k]), msg));
        }
        if t.transactions_per_iteration == Some(0) {
            errors.push((
                key(&["target", "transactions_per_iteration"]),
                "must be at least 1".into(),
            ));
        }
        let r = &self.run;
        if r.duration.0 <= 0.0 {
            errors.push((
                key(&["run", "duration"]),
                "must be greater than zero".into(),
            ));
        }
        // A plan whose groups set a rate is judged over the steady state
        // after ramp-up; one that does not (back to back, as Pyak47 ran) may
        // ramp up over the whole run, as Pyak47's own examples do.
        let rated = self.target.tps().is_some()
            || self
                .cadences()
                .iter()
                .all(|c| c.as_ref().is_ok_and(|c| !c.is_closed_loop()));
        if r.duration.0 > 0.0
            && (r.ramp_up() > r.duration.0 || (rated && r.ramp_up() >= r.duration.0))
        {
            errors.push((
                key(&["run", "ramp_up"]),
                format!(
                    "{} is not shorter than duration {}: there is no steady state to measure",
                    units::human_duration(r.ramp_up()),
                    units::human_duration(r.duration.0)
                ),
            ));
        }
        if r.ts_interval.0 <= 0.0 {
            errors.push((
                key(&["run", "ts_interval"]),
                "must be greater than zero".into(),
            ));
        }
        if let Some(t) = r.post_run_timeout
            && t.0 <= 0.0
        {
            errors.push((
                key(&["run", "post_run_timeout"]),
                "must be greater than zero".into(),
            ));
        }
        if r.results_dir.trim().is_empty() {
            errors.push((key(&["run", "results_dir"]), "must not be empty".into()));
        }
        let a = &self.acceptance;
        if !(a.confidence > 0.0 && a.confidence < 1.0) {
            errors.push((
                key(&["acceptance", "confidence"]),
                format!("must be between 0 and 1 (got {})", a.confidence),
            ));
        }
        if self.groups.is_empty() {
            errors.push((
                key(&["group"]),
                "the plan needs at least one [[group]]".into(),
            ));
        }
        let mut names = std::collections::HashSet::new();
        for (i, g) in self.groups.iter().enumerate() {
            let gk = |rest: &[&str]| -> Vec<PathPart> {
                let mut p = vec![PathPart::Key("group".into()), PathPart::Index(i)];
                p.extend(rest.iter().map(|s| PathPart::Key(s.to_string())));
                p
            };
            if g.name.trim().is_empty() {
                errors.push((gk(&["name"]), "must not be empty".into()));
            } else if !names.insert(g.name.clone()) {
                errors.push((gk(&["name"]), format!("two groups are named '{}'", g.name)));
            }
            if g.users == 0 {
                errors.push((gk(&["users"]), "must be at least 1".into()));
            }
            if let Err((field, msg)) = g.pacing.check() {
                errors.push((gk(&["pacing", field]), msg));
            }
            match (&g.script, g.steps.is_empty()) {
                (None, true) => errors.push((
                    gk(&["step"]),
                    "the group has no [[group.step]] and no script to run".into(),
                )),
                (Some(_), false) => errors.push((
                    gk(&["script"]),
                    "a group runs either a script or [[group.step]]s, not both".into(),
                )),
                (Some(sc), true) if sc.trim().is_empty() => {
                    errors.push((gk(&["script"]), "must not be empty".into()))
                }
                _ => {}
            }
            if g.script.is_none() {
                for k in ["interpreter", "worker", "script_timeout"] {
                    let set = match k {
                        "interpreter" => g.interpreter.is_some(),
                        "worker" => g.worker.is_some(),
                        _ => g.script_timeout.is_some(),
                    };
                    if set {
                        errors.push((gk(&[k]), "only applies to a group with a script".into()));
                    }
                }
            }
            if let Some(t) = g.script_timeout
                && t.0 <= 0.0
            {
                errors.push((gk(&["script_timeout"]), "must be greater than zero".into()));
            }
            for (j, s) in g.steps.iter().enumerate() {
                let sk = |f: &str| -> Vec<PathPart> {
                    let mut p = gk(&["step"]);
                    p.push(PathPart::Index(j));
                    p.push(PathPart::Key(f.into()));
                    p
                };
                if s.name.trim().is_empty() {
                    errors.push((sk("name"), "must not be empty".into()));
                }
                if s.url.trim().is_empty() {
                    errors.push((sk("url"), "must not be empty".into()));
                }
                if let Some(t) = s.timeout
                    && t.0 <= 0.0
                {
                    errors.push((sk("timeout"), "must be greater than zero".into()));
                }
                if s.max_body.is_some_and(|b| b.0 == 0) {
                    errors.push((sk("max_body"), "must be greater than zero".into()));
                }
                if !s.method.chars().all(|c| c.is_ascii_alphabetic()) || s.method.is_empty() {
                    errors.push((
                        sk("method"),
                        format!("'{}' is not an HTTP method", s.method),
                    ));
                }
            }
        }
        // A promised rate must be one pace can judge: a closed-loop group's
        // rate follows from the assumed response time.
        if errors.is_empty() && self.target.tps().is_some() {
            for (i, c) in self.cadences().into_iter().enumerate() {
                if let Err(why) = c {
                    errors.push((
                        key(&["target", "response_time"]),
                        format!(
                            "{why}, so the target rate cannot be judged: give target.response_time (the assumed response time of one transaction), or pace group[{i}] start to start"
                        ),
                    ));
                }
            }
        }
        // The target rate must be what the groups actually produce.
        if errors.is_empty()
            && let (Some(target), Some(planned)) = (self.target.tps(), self.planned_tps())
            && (target - planned).abs() > 1e-6 * target.max(planned)
        {
            let which = rates.first().copied().unwrap_or("tps");
            let scale = match which {
                "tpm" => 60.0,
                "tph" => 3600.0,
                _ => 1.0,
            };
            errors.push((
                key(&["target", which]),
                format!(
                    "the groups produce {} {} (users x their transactions per iteration / mean cycle), not {}: fix the users or pacing, or the target",
                    units::round_sig(planned * scale, 6),
                    which.to_uppercase(),
                    units::round_sig(target * scale, 6)
                ),
            ));
        }
        errors
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

    /// Checks the keys each mode needs; the error names the key.
    fn check(&self) -> Result<(), (&'static str, String)> {
        let need = |name: &'static str, v: bool| -> Result<(), (&'static str, String)> {
            if v {
                Ok(())
            } else {
                Err((
                    name,
                    format!("mode \"{}\" needs `{name}`", self.mode_name()),
                ))
            }
        };
        let refuse = |name: &'static str, v: bool| -> Result<(), (&'static str, String)> {
            if v {
                Err((
                    name,
                    format!("does not apply to mode \"{}\"", self.mode_name()),
                ))
            } else {
                Ok(())
            }
        };
        match self.mode {
            PacingMode::Fixed => {
                need("interval", self.interval.is_some())?;
                refuse("min", self.min.is_some())?;
                refuse("max", self.max.is_some())?;
            }
            PacingMode::Uniform | PacingMode::Beta => {
                need("min", self.min.is_some())?;
                need("max", self.max.is_some())?;
                if self.mode == PacingMode::Beta {
                    // Shapes, or `interval` with the default shape.
                    if self.alpha.is_none() && self.beta.is_none() && self.interval.is_none() {
                        need("alpha", false)?;
                    }
                } else {
                    refuse("alpha", self.alpha.is_some())?;
                    refuse("beta", self.beta.is_some())?;
                }
            }
            PacingMode::Exponential => {
                need("interval", self.interval.is_some())?;
                refuse("max", self.max.is_some())?;
            }
            PacingMode::AfterEnd => {
                need("delay", self.delay.is_some())?;
            }
            PacingMode::None => {}
            PacingMode::ArrivalRate => {
                need("rate", self.rate.is_some())?;
            }
        }
        if self.mode != PacingMode::ArrivalRate {
            refuse("rate", self.rate.is_some())?;
        }
        if self.mode != PacingMode::AfterEnd {
            refuse("delay", self.delay.is_some())?;
        }
        if matches!(self.mode, PacingMode::Uniform | PacingMode::Beta) {
            let (min, max) = (self.min.unwrap().0, self.max.unwrap().0);
            if min >= max {
                return Err((
                    "min",
                    format!(
                        "min {} must be below max {}",
                        units::human_duration(min),
                        units::human_duration(max)
                    ),
                ));
            }
            let mean = match self.mode {
                PacingMode::Uniform => (min + max) / 2.0,
                _ => {
                    // Beta: with one shape given, the other follows from `interval`.
                    let (a, b) = self.beta_shape(min, max)?;
                    min + (max - min) * a / (a + b)
                }
            };
            if let Some(i) = self.interval {
                if i.0 < min || i.0 > max {
                    return Err((
                        "interval",
                        format!(
                            "the mean interval {} lies outside [min, max] = [{}, {}]",
                            units::human_duration(i.0),
                            units::human_duration(min),
                            units::human_duration(max)
                        ),
                    ));
                }
                if (i.0 - mean).abs() > 1e-6 * mean {
                    return Err((
                        "interval",
                        format!(
                            "is {} but the distribution's mean is {}: the rate follows the arithmetic mean of the interval (for uniform, the midpoint of min and max)",
                            units::human_duration(i.0),
                            units::human_duration(mean)
                        ),
                    ));
                }
            }
        }
        if let Some(p) = self.distribution() {
            p.validate()?;
        }
        Ok(())
    }

    /// Beta shapes from the keys: both given, or one given plus `interval`.
    fn beta_shape(&self, min: f64, max: f64) -> Result<(f64, f64), (&'static str, String)> {
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

    fn mode_name(&self) -> &'static str {
        self.mode.name()
    }
}

/// One step of a key path: a table key or an index into an array of tables.
#[derive(Debug, Clone, PartialEq)]
pub enum PathPart {
    Key(String),
    Index(usize),
}

fn display_path(path: &[PathPart]) -> String {
    let mut s = String::new();
    for p in path {
        match p {
            PathPart::Key(k) => {
                if !s.is_empty() {
                    s.push('.');
                }
                s.push_str(k);
            }
            PathPart::Index(i) => s.push_str(&format!("[{i}]")),
        }
    }
    s
}

/// The 1-based line of the deepest part of `path` that exists in the text.
fn locate_path(text: &str, path: &[PathPart]) -> usize {
    let Ok(doc) = toml_edit::Document::parse(text) else {
        return 0;
    };
    let mut best: Option<usize> = None;
    let mut item: Option<&toml_edit::Item> = None;
    let mut table: Option<&toml_edit::Table> = Some(doc.as_table());
    for part in path {
        match part {
            PathPart::Key(k) => {
                let Some(t) = table else { break };
                let Some((key, it)) = t.get_key_value(k) else {
                    if let Some(sp) = t.span() {
                        best = Some(sp.start);
                    }
                    break;
                };
                if let Some(sp) = key.span() {
                    best = Some(sp.start);
                } else if let Some(sp) = it.span() {
                    best = Some(sp.start);
                }
                item = Some(it);
                table = it.as_table();
            }
            PathPart::Index(i) => {
                let Some(arr) = item.and_then(|it| it.as_array_of_tables()) else {
                    break;
                };
                let Some(t) = arr.get(*i) else { break };
                if let Some(sp) = t.span() {
                    best = Some(sp.start);
                }
                table = Some(t);
            }
        }
    }
    best.map(|b| line_of(text, b)).unwrap_or(0)
}

fn line_of(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())].matches('\n').count() + 1
}

/// For a parse error at `offset`: its line and the key written on that line
/// (prefixed with the table header it sits under).
fn locate_span(text: &str, offset: usize) -> (usize, String) {
    let line = line_of(text, offset);
    let lines: Vec<&str> = text.lines().collect();
    let this = lines.get(line - 1).copied().unwrap_or("");
    let key = this
        .split_once('=')
        .map(|(k, _)| k.trim().trim_matches('"').to_string())
        .unwrap_or_default();
    let header = lines[..line.saturating_sub(1).min(lines.len())]
        .iter()
        .rev()
        .map(|l| l.trim())
        .find(|l| l.starts_with('['))
        .map(|l| l.trim_matches(|c| c == '[' || c == ']').to_string());
    let full = match (header, key.is_empty()) {
        (Some(h), false) => format!("{h}.{key}"),
        (Some(h), true) => h,
        (None, false) => key,
        (None, true) => String::new(),
    };
    (line, full)
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
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
        assert!(e.key.contains("users"), "{e}");
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
