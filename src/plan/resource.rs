//! `[[resource]]`: a centre measured outside pace (a database's CPU, a
//! disk) whose utilisation and service demand the plan states, so that the
//! verdict can audit the utilisation law U = X·D against the run's own
//! throughput X (Jain §33.1; `crate::verdict::laws`).

use super::check::PathPart;
use super::file::{Fraction, GroupSection, Secs};
use serde::{Deserialize, Serialize};

/// What one job is for a resource's service demand.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DemandPer {
    /// Seconds of the resource per iteration (X = iterations per second).
    #[default]
    Iteration,
    /// Seconds of the resource per transaction (X = transactions per second).
    Transaction,
}

impl DemandPer {
    pub fn name(self) -> &'static str {
        match self {
            DemandPer::Iteration => "iteration",
            DemandPer::Transaction => "transaction",
        }
    }
}

/// One `[[resource]]` of a plan:
///
/// ```toml
/// [[resource]]
/// name = "db-cpu"
/// utilization = "62%"   # measured by another tool over the steady window
/// demand = "12ms"       # its service demand D: busy time per job
/// per = "transaction"   # a job: "iteration" (default) or "transaction"
/// group = "web"         # whose throughput; every group's when left out
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResourceSection {
    pub name: String,
    /// Its measured busy fraction U, 0 to 100 %.
    pub utilization: Fraction,
    /// Its service demand D, seconds of the resource per job.
    pub demand: Secs,
    #[serde(default)]
    pub per: DemandPer,
    /// The group whose throughput loads it; all groups' when `None`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
}

/// Every impossible value of the plan's resources, with its key path.
pub fn check(
    resources: &[ResourceSection],
    groups: &[GroupSection],
) -> Vec<(Vec<PathPart>, String)> {
    let mut errors = Vec::new();
    let mut names = std::collections::HashSet::new();
    for (i, r) in resources.iter().enumerate() {
        let key = |k: &str| {
            vec![
                PathPart::Key("resource".into()),
                PathPart::Index(i),
                PathPart::Key(k.into()),
            ]
        };
        if r.name.trim().is_empty() {
            errors.push((key("name"), "must not be empty".into()));
        } else if !names.insert(r.name.clone()) {
            errors.push((key("name"), format!("two resources are named '{}'", r.name)));
        }
        let u = r.utilization.0;
        if !(u > 0.0 && u <= 1.0) {
            errors.push((
                key("utilization"),
                format!(
                    "must be above 0 % and at most 100 % (got {}%)",
                    crate::units::round_sig(u * 100.0, 6)
                ),
            ));
        }
        if !(r.demand.0 > 0.0 && r.demand.0.is_finite()) {
            errors.push((
                key("demand"),
                "must be greater than zero: the resource's busy time per job".into(),
            ));
        }
        if let Some(g) = &r.group
            && !groups.iter().any(|x| &x.name == g)
        {
            errors.push((key("group"), format!("the plan has no group '{g}'")));
        }
    }
    errors
}
