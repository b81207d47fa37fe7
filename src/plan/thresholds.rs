//! The promises a plan makes about response times and errors, at the
//! level it makes them: the whole plan (`[acceptance]`), a group
//! (`[group.acceptance]`) or one step of a group (`[group.step.acceptance]`,
//! a transaction's SLA as LoadRunner and k6's tagged thresholds give it).
//! Each is judged on its own transactions and is its own row of the
//! verdict (docs/verdict.md, "The semantics").

use super::check::PathPart;
use super::file::{Fraction, PlanFile, Secs};
use serde::{Deserialize, Serialize};

/// Which transactions a latency threshold counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LatencyOf {
    /// Every transaction of the span, successes and failures alike, each
    /// at its elapsed time; a timeout or a cut-off is never within a
    /// limit (JMeter's aggregate, k6's `http_req_duration`).
    #[default]
    All,
    /// The successes only; the row says how many it leaves out, and the
    /// check cannot pass while more than the threshold's share of the
    /// span's transactions are timeouts or cut-offs.
    Ok,
}

impl LatencyOf {
    pub fn name(self) -> &'static str {
        match self {
            LatencyOf::All => "all",
            LatencyOf::Ok => "ok",
        }
    }
}

/// The span every check of a run is judged over.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Scope {
    /// The steady-state window: after `ramp_up`, before `duration` (a
    /// stair level: its hold).
    #[default]
    Window,
    /// The whole run, from the first user's start (ramp-up included).
    Run,
}

impl Scope {
    pub fn name(self) -> &'static str {
        match self {
            Scope::Window => "window",
            Scope::Run => "run",
        }
    }

    fn is_default(&self) -> bool {
        *self == Scope::Window
    }
}

/// Latency and error-rate thresholds of a group or a step.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Thresholds {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub p50: Option<Secs>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub p80: Option<Secs>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub p90: Option<Secs>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub p95: Option<Secs>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub p99: Option<Secs>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<Secs>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_rate: Option<Fraction>,
    /// Which transactions the latency thresholds count [default: the
    /// plan's `[acceptance] latency_of`, itself "all"].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latency_of: Option<LatencyOf>,
}

/// One latency threshold: a percentile (or the maximum) and its limit.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LatencyLimit {
    /// `p50`, `p80`, `p90`, `p95`, `p99` or `max`.
    pub name: &'static str,
    /// The share of transactions that must be within the limit, in
    /// percent: 50, 80, 90, 95, 99, or 100 for `max`. Whole numbers, so
    /// the check is integer arithmetic: `100·within >= q·n`.
    pub q_percent: u32,
    /// The limit, seconds.
    pub limit: f64,
}

impl Thresholds {
    /// The latency thresholds set, in the order they are judged.
    pub fn latency(&self) -> Vec<LatencyLimit> {
        [
            ("p50", 50, self.p50),
            ("p80", 80, self.p80),
            ("p90", 90, self.p90),
            ("p95", 95, self.p95),
            ("p99", 99, self.p99),
            ("max", 100, self.max),
        ]
        .into_iter()
        .filter_map(|(name, q_percent, v)| {
            v.map(|l| LatencyLimit {
                name,
                q_percent,
                limit: l.0,
            })
        })
        .collect()
    }

    /// True when nothing is set.
    pub fn is_empty(&self) -> bool {
        self.latency().is_empty() && self.error_rate.is_none()
    }

    /// Every limit must be above zero: no response takes no time.
    fn check(&self, at: &dyn Fn(&str) -> Vec<PathPart>, errors: &mut Vec<(Vec<PathPart>, String)>) {
        for l in self.latency() {
            if l.limit <= 0.0 {
                errors.push((
                    at(l.name),
                    "must be greater than zero: no response takes no time".into(),
                ));
            }
        }
    }
}

impl PlanFile {
    /// The plan-wide thresholds of `[acceptance]`.
    pub fn plan_thresholds(&self) -> Thresholds {
        let a = &self.acceptance;
        Thresholds {
            p50: a.p50,
            p80: a.p80,
            p90: a.p90,
            p95: a.p95,
            p99: a.p99,
            max: a.max,
            error_rate: a.error_rate,
            latency_of: Some(a.latency_of),
        }
    }

    /// Every latency limit anywhere in the plan (plan, groups, steps),
    /// seconds: the aggregate counts the transactions within each exactly.
    pub fn all_latency_limits(&self) -> Vec<f64> {
        let mut out: Vec<f64> = self
            .plan_thresholds()
            .latency()
            .iter()
            .map(|l| l.limit)
            .collect();
        for g in &self.groups {
            let own = g.acceptance.iter();
            let steps = g.steps.iter().filter_map(|s| s.acceptance.as_ref());
            for t in own.chain(steps) {
                out.extend(t.latency().iter().map(|l| l.limit));
            }
        }
        out.sort_by(f64::total_cmp);
        out.dedup();
        out
    }

    /// Checks the group and step thresholds (the plan's own are checked
    /// with `[acceptance]`): each limit above zero, each step's name found.
    pub(super) fn check_thresholds(&self, errors: &mut Vec<(Vec<PathPart>, String)>) {
        for (i, g) in self.groups.iter().enumerate() {
            let base = vec![PathPart::Key("group".into()), PathPart::Index(i)];
            if let Some(t) = &g.acceptance {
                let at = |k: &str| {
                    let mut p = base.clone();
                    p.push(PathPart::Key("acceptance".into()));
                    p.push(PathPart::Key(k.into()));
                    p
                };
                t.check(&at, errors);
            }
            for (j, s) in g.steps.iter().enumerate() {
                if let Some(t) = &s.acceptance {
                    let at = |k: &str| {
                        let mut p = base.clone();
                        p.extend([
                            PathPart::Key("step".into()),
                            PathPart::Index(j),
                            PathPart::Key("acceptance".into()),
                            PathPart::Key(k.into()),
                        ]);
                        p
                    };
                    t.check(&at, errors);
                }
            }
        }
    }

    /// Whether the plan promises anything besides its rate at any level.
    pub fn has_thresholds(&self) -> bool {
        !self.plan_thresholds().is_empty()
            || self.groups.iter().any(|g| {
                g.acceptance.as_ref().is_some_and(|t| !t.is_empty())
                    || g.steps
                        .iter()
                        .any(|s| s.acceptance.as_ref().is_some_and(|t| !t.is_empty()))
            })
    }
}

/// `Scope`'s default test for serde's `skip_serializing_if`.
pub(super) fn scope_is_default(s: &Scope) -> bool {
    s.is_default()
}

/// `LatencyOf`'s default test for serde's `skip_serializing_if`.
pub(super) fn latency_of_is_default(l: &LatencyOf) -> bool {
    *l == LatencyOf::All
}
