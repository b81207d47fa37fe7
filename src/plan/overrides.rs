//! `pace run`'s quick overrides for a trial run: `--duration`, `--users`,
//! `--rate` and `--var NAME=VALUE`. Pure: a plan and the flags as typed in,
//! the plan as it will run out, checked as a plan file is. The flags are
//! recorded as typed (summary.json `meta.overrides`), so `pace verify` and
//! `pace report` apply them again to the results folder's untouched copy of
//! the plan and judge the run as it ran.

use super::file::{PacingMode, PerSecond, PlanFile, Secs};
use super::stairs::split_users;
use crate::units;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The overrides of one run, as typed on the command line. Absent flags
/// are `None`; `effective` is what they came to (written for the reader,
/// ignored when the overrides are applied again).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Overrides {
    /// `--duration`: the run's length (a duration such as `30s`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration: Option<String>,
    /// `--users`: a total (`5`, split over the groups in proportion to
    /// their users) or per group (`browse=5,checkout=2`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub users: Option<String>,
    /// `--rate`: the new target rate (`10/s`, `600/m` or a number per
    /// second); every group's load is scaled by new / old.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rate: Option<String>,
    /// `--var NAME=VALUE`: variables for `${NAME}`, ahead of the
    /// environment.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub var: BTreeMap<String, String>,
    /// What the overrides came to; filled by [`Overrides::apply`]'s caller.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub effective: Option<Effective>,
}

/// The plan as the overrides left it: what a reader of summary.json needs
/// to know without re-doing the arithmetic.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Effective {
    /// `run.duration`, seconds.
    pub duration_s: f64,
    /// Each group's users (an arrival-rate group's pool), by group name.
    pub users: BTreeMap<String, u64>,
    /// The target rate in transactions per minute, where the plan sets one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_tpm: Option<f64>,
}

/// An override that cannot be applied: the flag (or flags) at fault and
/// why, one line.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{flag}: {message}")]
pub struct OverrideError {
    pub flag: String,
    pub message: String,
}

fn err(flag: &str, message: impl Into<String>) -> OverrideError {
    OverrideError {
        flag: flag.to_string(),
        message: message.into(),
    }
}

/// Parses one `--var NAME=VALUE`: a name of letters, digits and `_` (not
/// starting with a digit), as `${NAME}` accepts.
pub fn parse_var(s: &str) -> Result<(String, String), String> {
    let (name, value) = s
        .split_once('=')
        .ok_or_else(|| format!("{} must be NAME=VALUE", crate::visible::quoted(s)))?;
    let ok = !name.is_empty()
        && !name.starts_with(|c: char| c.is_ascii_digit())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if !ok {
        return Err(format!(
            "{} is not a variable name: letters, digits and _, not starting with a digit",
            crate::visible::quoted(name)
        ));
    }
    Ok((name.to_string(), value.to_string()))
}

impl Overrides {
    /// No flag given.
    pub fn is_empty(&self) -> bool {
        self.duration.is_none()
            && self.users.is_none()
            && self.rate.is_none()
            && self.var.is_empty()
    }

    /// Whether an override changes the plan (not only its variables).
    pub fn changes_plan(&self) -> bool {
        self.duration.is_some() || self.users.is_some() || self.rate.is_some()
    }

    /// The flags as one would type them again: `--duration 30s --users 5`.
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        if let Some(d) = &self.duration {
            parts.push(format!("--duration {d}"));
        }
        if let Some(u) = &self.users {
            parts.push(format!("--users {u}"));
        }
        if let Some(r) = &self.rate {
            parts.push(format!("--rate {r}"));
        }
        for (k, v) in &self.var {
            parts.push(format!("--var {k}={v}"));
        }
        parts.join(" ")
    }

    /// The plan-changing flags given, for an error that several may cause.
    fn flags(&self) -> String {
        let mut f = Vec::new();
        if self.duration.is_some() {
            f.push("--duration");
        }
        if self.users.is_some() {
            f.push("--users");
        }
        if self.rate.is_some() {
            f.push("--rate");
        }
        f.join(", ")
    }

    /// `plan` with the overrides applied, in this order: duration, users
    /// (the target rate then follows what the groups produce), rate. The
    /// result passes the same checks as a plan file; an error names the
    /// flag. A stair plan takes only `--var` (its levels set the users,
    /// rates and durations).
    pub fn apply(&self, plan: &PlanFile) -> Result<PlanFile, OverrideError> {
        let mut p = plan.clone();
        if !self.changes_plan() {
            return Ok(p);
        }
        if p.run.stairs.is_some() {
            return Err(err(
                &self.flags(),
                "a stair plan ([run.stairs]) sets each level's users or rate and length itself: only --var applies",
            ));
        }
        if let Some(d) = &self.duration {
            let secs = units::parse_positive_duration(d).map_err(|e| err("--duration", e))?;
            p.run.duration = Secs(secs);
        }
        if let Some(u) = &self.users {
            set_users(&mut p, u)?;
            retarget(&mut p);
        }
        if let Some(r) = &self.rate {
            scale_rate(&mut p, r)?;
        }
        if let Some((path, message)) = p.check().into_iter().next() {
            return Err(err(
                &self.flags(),
                format!(
                    "the plan would not hold: {}: {}",
                    super::check::display_path(&path),
                    message
                ),
            ));
        }
        Ok(p)
    }
}

/// What the overrides came to in `plan` (the overridden plan).
pub fn effective(plan: &PlanFile) -> Effective {
    Effective {
        duration_s: plan.run.duration.0,
        users: plan
            .groups
            .iter()
            .map(|g| (g.name.clone(), g.users))
            .collect(),
        target_tpm: plan.target.tps().map(|t| t * 60.0),
    }
}

/// `--users N` or `--users NAME=K,...`.
fn set_users(p: &mut PlanFile, text: &str) -> Result<(), OverrideError> {
    let flag = "--users";
    let count = |s: &str| -> Result<u64, OverrideError> {
        match s.trim().parse::<u64>() {
            Ok(n) if n >= 1 => Ok(n),
            _ => Err(err(
                flag,
                format!(
                    "{} must be a whole number of users, at least 1",
                    crate::visible::quoted(s)
                ),
            )),
        }
    };
    if !text.contains('=') {
        let total = count(text)?;
        let groups = p.groups.len() as u64;
        if total < groups {
            return Err(err(
                flag,
                format!(
                    "{total} user(s) cannot be shared by the plan's {groups} groups (each needs at least one): give at least {groups}, or per group NAME=K,..."
                ),
            ));
        }
        let weights: Vec<u64> = p.groups.iter().map(|g| g.users).collect();
        for (g, u) in p.groups.iter_mut().zip(split_at_least_one(total, &weights)) {
            g.users = u;
        }
        return Ok(());
    }
    let names = || {
        p.groups
            .iter()
            .map(|g| format!("'{}'", g.name))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut given = Vec::new();
    for part in text.split(',') {
        let (name, k) = part.split_once('=').ok_or_else(|| {
            err(
                flag,
                format!(
                    "{}: give a total (5) or NAME=K for each group named",
                    crate::visible::quoted(part)
                ),
            )
        })?;
        let name = name.trim();
        let Some(i) = p.groups.iter().position(|g| g.name == name) else {
            return Err(err(
                flag,
                format!("no group '{name}' in the plan (its groups: {})", names()),
            ));
        };
        given.push((i, count(k)?));
    }
    for (i, k) in given {
        p.groups[i].users = k;
    }
    Ok(())
}

/// Splits `total` (at least one per group) in proportion to `weights` by
/// the largest-remainder method; a group the rounding left with none
/// takes one user from the largest part.
pub fn split_at_least_one(total: u64, weights: &[u64]) -> Vec<u64> {
    let mut parts = split_users(total, weights);
    while let Some(zero) = parts.iter().position(|&u| u == 0) {
        let Some((big, _)) = parts
            .iter()
            .enumerate()
            .filter(|(_, u)| **u > 1)
            .max_by_key(|(_, u)| **u)
        else {
            break;
        };
        parts[big] -= 1;
        parts[zero] = 1;
    }
    parts
}

/// The target rate set to what the groups now produce, in the plan's own
/// unit (tps, tpm or tph).
fn retarget(p: &mut PlanFile) {
    if p.target.tps().is_none() {
        return;
    }
    if let Some(x) = p.planned_tps() {
        set_target(p, x);
    }
}

fn set_target(p: &mut PlanFile, tps: f64) {
    let t = &mut p.target;
    let (a, b, c) = (t.tps.is_some(), t.tpm.is_some(), t.tph.is_some());
    t.tps = a.then_some(tps);
    t.tpm = b.then_some(tps * 60.0);
    t.tph = c.then_some(tps * 3600.0);
}

/// `--rate R`: the target set to R and every group's load scaled by
/// R / old target (an arrival rate multiplied, a pacing's intervals
/// divided). A closed-loop group (after-end, none) cycles as fast as its
/// iterations: its rate cannot be scaled by pacing, so it is refused.
fn scale_rate(p: &mut PlanFile, text: &str) -> Result<(), OverrideError> {
    let flag = "--rate";
    let new = units::parse_rate(text).map_err(|e| err(flag, e))?;
    if !(new > 0.0 && new.is_finite()) {
        return Err(err(
            flag,
            format!("{} must be a rate above 0", crate::visible::quoted(text)),
        ));
    }
    let Some(old) = p.target.tps() else {
        return Err(err(
            flag,
            "the plan sets no target rate ([target] tps, tpm or tph), so there is nothing to scale: set one in the plan, or change --users",
        ));
    };
    let k = new / old;
    for g in &mut p.groups {
        let pc = &mut g.pacing;
        let div = |s: &mut Option<Secs>| {
            if let Some(v) = s {
                v.0 /= k;
            }
        };
        match pc.mode {
            PacingMode::ArrivalRate => {
                if let Some(r) = &mut pc.rate {
                    *r = PerSecond(r.0 * k);
                }
            }
            PacingMode::AfterEnd | PacingMode::None => {
                return Err(err(
                    flag,
                    format!(
                        "group '{}' runs {}: its rate follows the response time, not a pacing pace can scale: change --users instead",
                        g.name,
                        pc.mode.name()
                    ),
                ));
            }
            _ => {
                div(&mut pc.interval);
                div(&mut pc.min);
                div(&mut pc.max);
            }
        }
    }
    set_target(p, new);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const PLAN: &str = r#"
[target]
tpm = 120

[run]
duration = "1h"

[[group]]
name = "browse"
users = 6
pacing = { mode = "fixed", interval = "4s" }
[[group.step]]
name = "home"
url = "http://127.0.0.1:1/"

[[group]]
name = "checkout"
users = 2
pacing = { mode = "uniform", min = "2s", max = "6s" }
[[group.step]]
name = "pay"
url = "http://127.0.0.1:1/"
"#;

    fn plan() -> PlanFile {
        PlanFile::parse(PLAN, "plan.toml").unwrap()
    }

    #[test]
    fn users_total_is_split_in_proportion() {
        let o = Overrides {
            users: Some("4".into()),
            ..Default::default()
        };
        let p = o.apply(&plan()).unwrap();
        assert_eq!(p.groups[0].users, 3);
        assert_eq!(p.groups[1].users, 1);
        // 3 users / 4 s + 1 / 4 s = 1 TPS.
        assert!((p.target.tpm.unwrap() - 60.0).abs() < 1e-9);
    }

    #[test]
    fn every_group_keeps_a_user() {
        assert_eq!(split_at_least_one(3, &[100, 1, 1]), vec![1, 1, 1]);
        assert_eq!(split_at_least_one(10, &[100, 1]), vec![9, 1]);
        let o = Overrides {
            users: Some("1".into()),
            ..Default::default()
        };
        let e = o.apply(&plan()).unwrap_err();
        assert_eq!(e.flag, "--users");
    }

    #[test]
    fn users_per_group_and_unknown_group() {
        let o = Overrides {
            users: Some("checkout=4".into()),
            ..Default::default()
        };
        let p = o.apply(&plan()).unwrap();
        assert_eq!((p.groups[0].users, p.groups[1].users), (6, 4));
        let o = Overrides {
            users: Some("cart=4".into()),
            ..Default::default()
        };
        let e = o.apply(&plan()).unwrap_err();
        assert!(e.to_string().contains("no group 'cart'"), "{e}");
    }

    #[test]
    fn rate_scales_pacing() {
        let o = Overrides {
            rate: Some("4/s".into()),
            ..Default::default()
        };
        let p = o.apply(&plan()).unwrap();
        assert_eq!(p.target.tpm, Some(240.0));
        assert_eq!(p.groups[0].pacing.interval.unwrap().0, 2.0);
        assert_eq!(p.groups[1].pacing.max.unwrap().0, 3.0);
        assert!((p.planned_tps().unwrap() - 4.0).abs() < 1e-9);
    }

    #[test]
    fn rate_without_target_is_refused() {
        let text = PLAN.replace("tpm = 120", "");
        let p = PlanFile::parse(&text, "plan.toml").unwrap();
        let o = Overrides {
            rate: Some("4/s".into()),
            ..Default::default()
        };
        let e = o.apply(&p).unwrap_err();
        assert!(
            e.to_string().starts_with("--rate: the plan sets no target"),
            "{e}"
        );
    }

    #[test]
    fn duration_is_checked_as_the_plan() {
        let o = Overrides {
            duration: Some("30s".into()),
            ..Default::default()
        };
        assert_eq!(o.apply(&plan()).unwrap().run.duration.0, 30.0);
        let text = PLAN.replace("duration = \"1h\"", "duration = \"1h\"\nramp_up = \"1m\"");
        let p = PlanFile::parse(&text, "plan.toml").unwrap();
        let e = o.apply(&p).unwrap_err();
        assert_eq!(e.flag, "--duration", "{e}");
    }

    #[test]
    fn vars_parse() {
        assert_eq!(
            parse_var("HOST=a=b").unwrap(),
            ("HOST".to_string(), "a=b".to_string())
        );
        assert!(parse_var("1X=2").is_err());
        assert!(parse_var("X").is_err());
    }
}
