//! `[run.stairs]`: a stair (step) test, load levels run one after another,
//! each measured on its own steady part (issue 12 §2, docs/capacity.md
//! "Stair tests"). Pure: the keys, their checks, how a level's load is split
//! over the plan's groups, and the plan each level runs.

use super::check::PathPart;
use super::file::{Fraction, PacingMode, PerSecond, PlanFile, Secs};
use crate::units;
use serde::{Deserialize, Serialize};

/// The most levels a stair may have: at a minute each, 50 levels is most of
/// a working hour; more is a typing slip, not a test.
pub const MAX_LEVELS: usize = 50;

/// The `min_rate` rule's default: a level that delivers less than 90 % of
/// its expected rate has saturated (the generator or the target).
pub const DEFAULT_MIN_RATE: f64 = 0.9;

/// A rule that ends a stair at the first level where it fires.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StopRule {
    /// The level failed a latency or error-rate threshold of
    /// `[acceptance]` (k6's breakpoint test: stop when a threshold breaks).
    Thresholds,
    /// The level's throughput fell below the previous level's beyond noise.
    Retrograde,
    /// The level's throughput is below `min_rate` of its expected rate.
    Rate,
}

impl StopRule {
    /// The plan's own word for it.
    pub fn name(self) -> &'static str {
        match self {
            StopRule::Thresholds => "thresholds",
            StopRule::Retrograde => "retrograde",
            StopRule::Rate => "rate",
        }
    }
}

/// `[run.stairs]`: the load levels of a stair test and when it stops.
///
/// ```toml
/// [run.stairs]
/// users = [1, 5, 10, 20, 40]   # closed model: total users per level (or `rates`, open model)
/// hold = "2m"                  # the measured part of each level
/// ramp = "20s"                 # each level's own ramp-up, not measured [default: "0s"]
/// stop = ["thresholds", "retrograde", "rate"]   # [default: all three]; [] runs every level
/// min_rate = "90%"             # the `rate` rule's fraction of the expected rate [default: 90%]
/// ```
///
/// Each level runs as a run of its own with `run.ramp_up = ramp` and
/// `run.duration = ramp + hold`; the plan's own `run.duration` and
/// `run.ramp_up` do not apply and are refused.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StairsSection {
    /// Closed model: total users per level, split over the groups in
    /// proportion to their `users` (largest remainder).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub users: Option<Vec<u64>>,
    /// Open model: total arrival rate per level (iterations per second),
    /// split over the arrival-rate groups in proportion to their `rate`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rates: Option<Vec<PerSecond>>,
    /// The measured part of each level, seconds.
    pub hold: Secs,
    /// Each level's ramp-up, seconds [default: 0].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ramp: Option<Secs>,
    /// The stop rules, checked in this order after each level [default:
    /// thresholds, retrograde, rate].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stop: Option<Vec<StopRule>>,
    /// The `rate` rule's fraction of the expected rate [default: 90 %].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_rate: Option<Fraction>,
}

/// One load level: users (closed) or an arrival rate per second (open).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Level {
    Users(u64),
    Rate(f64),
}

impl Level {
    /// The level's folder name: `level-01-5users`, `level-02-20per-s`.
    pub fn dir_name(self, index: usize) -> String {
        match self {
            Level::Users(u) => format!("level-{:02}-{u}users", index + 1),
            Level::Rate(r) => format!(
                "level-{:02}-{}per-s",
                index + 1,
                units::round_sig(r, 6).to_string().replace('.', "_")
            ),
        }
    }

    /// How the console names the level: `5 users`, `20/s`.
    pub fn label(self) -> String {
        match self {
            Level::Users(u) => crate::units::count(u as f64, "user"),
            Level::Rate(r) => format!("{}/s", units::round_sig(r, 6)),
        }
    }
}

impl StairsSection {
    pub fn ramp(&self) -> f64 {
        self.ramp.map_or(0.0, |r| r.0)
    }

    pub fn min_rate(&self) -> f64 {
        self.min_rate.map_or(DEFAULT_MIN_RATE, |f| f.0)
    }

    /// The stop rules in the order they are checked.
    pub fn stop_rules(&self) -> Vec<StopRule> {
        self.stop
            .clone()
            .unwrap_or_else(|| vec![StopRule::Thresholds, StopRule::Retrograde, StopRule::Rate])
    }

    /// The levels, in order.
    pub fn levels(&self) -> Vec<Level> {
        match (&self.users, &self.rates) {
            (Some(u), _) => u.iter().map(|&u| Level::Users(u)).collect(),
            (None, Some(r)) => r.iter().map(|r| Level::Rate(r.0)).collect(),
            (None, None) => Vec::new(),
        }
    }

    /// "closed" for user levels, "open" for rate levels.
    pub fn model(&self) -> &'static str {
        if self.users.is_some() {
            "closed"
        } else {
            "open"
        }
    }
}

/// Splits `total` users over groups in proportion to `weights` by the
/// largest-remainder method (Hamilton's apportionment): each group gets the
/// floor of its quota total·wᵢ/Σw, and the users left go one each to the
/// largest remainders (ties to the larger weight, then the earlier group).
/// The parts sum to `total` exactly and each is within one of its quota; a
/// group gets 0 only when `total` is too small for every group to have one.
pub fn split_users(total: u64, weights: &[u64]) -> Vec<u64> {
    let sum: u128 = weights.iter().map(|&w| w as u128).sum();
    if sum == 0 {
        return vec![0; weights.len()];
    }
    let mut parts: Vec<u64> = Vec::with_capacity(weights.len());
    let mut rems: Vec<(u128, u64, usize)> = Vec::with_capacity(weights.len());
    for (i, &w) in weights.iter().enumerate() {
        let q = total as u128 * w as u128;
        parts.push((q / sum) as u64);
        rems.push((q % sum, w, i));
    }
    let left = total - parts.iter().sum::<u64>();
    rems.sort_by(|a, b| b.0.cmp(&a.0).then(b.1.cmp(&a.1)).then(a.2.cmp(&b.2)));
    for &(_, _, i) in rems.iter().take(left as usize) {
        parts[i] += 1;
    }
    parts
}

/// Splits a total arrival rate over groups in proportion to their rates
/// (rates are real numbers: no rounding, the parts sum to `total`).
pub fn split_rate(total: f64, rates: &[f64]) -> Vec<f64> {
    let sum: f64 = rates.iter().sum();
    rates.iter().map(|r| total * r / sum).collect()
}

/// The plan one level runs: the stair's users or rate split over the
/// groups (a group left with no user is dropped), `run.ramp_up = ramp`,
/// `run.duration = ramp + hold`, no `[run.stairs]`, and the target rate, if
/// the plan sets one, what the level's groups produce (for a closed plan
/// that is target × level users / plan users up to the rounding of the
/// split; for an open plan, the level's rate × transactions per iteration).
pub fn level_plan(plan: &PlanFile, level: Level) -> PlanFile {
    let mut p = plan.clone();
    let Some(st) = p.run.stairs.take() else {
        return p;
    };
    match level {
        Level::Users(total) => {
            let weights: Vec<u64> = p.groups.iter().map(|g| g.users).collect();
            for (g, u) in p.groups.iter_mut().zip(split_users(total, &weights)) {
                g.users = u;
            }
            p.groups.retain(|g| g.users > 0);
        }
        Level::Rate(total) => {
            let rates: Vec<f64> = p
                .groups
                .iter()
                .map(|g| g.pacing.rate.map_or(0.0, |r| r.0))
                .collect();
            for (g, r) in p.groups.iter_mut().zip(split_rate(total, &rates)) {
                g.pacing.rate = Some(PerSecond(r));
            }
        }
    }
    p.run.ramp_up = Some(Secs(st.ramp()));
    p.run.duration = Secs(st.ramp() + st.hold.0);
    if p.target.tps().is_some() {
        let planned = p.planned_tps();
        let t = &mut p.target;
        let (tps, tpm, tph) = (t.tps.is_some(), t.tpm.is_some(), t.tph.is_some());
        if let Some(x) = planned {
            t.tps = tps.then_some(x);
            t.tpm = tpm.then_some(x * 60.0);
            t.tph = tph.then_some(x * 3600.0);
        }
    }
    p
}

fn key(parts: &[&str]) -> Vec<PathPart> {
    parts.iter().map(|p| PathPart::Key(p.to_string())).collect()
}

fn indexed(name: &str, i: usize) -> Vec<PathPart> {
    let mut k = key(&["run", "stairs", name]);
    k.push(PathPart::Index(i));
    k
}

/// Every impossible value of `[run.stairs]`, with the key it belongs to.
/// `plan` is the whole plan (its groups decide which model fits).
pub fn check(plan: &PlanFile) -> Vec<(Vec<PathPart>, String)> {
    let Some(st) = &plan.run.stairs else {
        return Vec::new();
    };
    let mut errors = Vec::new();
    let (name, values): (&str, Vec<f64>) = match (&st.users, &st.rates) {
        (Some(_), Some(_)) => {
            errors.push((
                key(&["run", "stairs", "rates"]),
                "give exactly one of users (closed model) or rates (open model), not both".into(),
            ));
            return errors;
        }
        (None, None) => {
            errors.push((
                key(&["run", "stairs"]),
                "give the levels: users = [1, 5, 10] (closed model) or rates = [\"10/s\", \"20/s\"] (open model)".into(),
            ));
            return errors;
        }
        (Some(u), None) => ("users", u.iter().map(|&u| u as f64).collect()),
        (None, Some(r)) => ("rates", r.iter().map(|r| r.0).collect()),
    };
    if values.is_empty() {
        errors.push((
            key(&["run", "stairs", name]),
            "needs at least one level".into(),
        ));
    }
    if values.len() > MAX_LEVELS {
        errors.push((
            key(&["run", "stairs", name]),
            format!(
                "{} levels; at most {MAX_LEVELS} (each is a run of its own)",
                values.len()
            ),
        ));
    }
    for (i, v) in values.iter().enumerate() {
        if !(v.is_finite() && *v > 0.0) {
            errors.push((indexed(name, i), format!("must be positive (got {v})")));
        } else if i > 0 && *v <= values[i - 1] {
            errors.push((
                indexed(name, i),
                format!(
                    "levels must increase strictly: {} follows {}",
                    units::round_sig(*v, 6),
                    units::round_sig(values[i - 1], 6)
                ),
            ));
        }
    }
    let arrival = |g: &super::file::GroupSection| g.pacing.mode == PacingMode::ArrivalRate;
    if name == "users" {
        if let Some(g) = plan.groups.iter().find(|g| arrival(g)) {
            errors.push((
                key(&["run", "stairs", "users"]),
                format!(
                    "group '{}' is paced by arrival rate (open model), so its load is a rate, not users: give rates = [...] instead, or pace every group by users",
                    g.name
                ),
            ));
        }
        if let Some(&u) = st
            .users
            .iter()
            .flatten()
            .find(|&&u| u > super::check::MAX_USERS)
        {
            errors.push((
                key(&["run", "stairs", "users"]),
                format!(
                    "{u} users is more than one generator can hold (at most {})",
                    super::check::MAX_USERS
                ),
            ));
        }
    } else if let Some(g) = plan.groups.iter().find(|g| !arrival(g)) {
        errors.push((
            key(&["run", "stairs", "rates"]),
            format!(
                "group '{}' is paced by its users (closed model), so its load is users, not a rate: give users = [...] instead, or pace every group with mode \"arrival-rate\"",
                g.name
            ),
        ));
    }
    if st.hold.0 <= 0.0 {
        errors.push((
            key(&["run", "stairs", "hold"]),
            "must be greater than zero: the hold is what each level measures".into(),
        ));
    }
    if st.ramp() < 0.0 {
        errors.push((
            key(&["run", "stairs", "ramp"]),
            "must not be negative".into(),
        ));
    }
    let m = st.min_rate();
    if !(m > 0.0 && m <= 1.0) {
        errors.push((
            key(&["run", "stairs", "min_rate"]),
            format!("must be above 0% and at most 100% (got {}%)", m * 100.0),
        ));
    }
    if plan.run.ramp_up.is_some() {
        errors.push((
            key(&["run", "ramp_up"]),
            "does not apply with [run.stairs]: each level ramps up over run.stairs.ramp".into(),
        ));
    }
    errors
}

/// Checks each level's own plan (its ts_interval against its length, its
/// target against its groups, ...); an error names the level's key.
pub fn check_levels(plan: &PlanFile) -> Vec<(Vec<PathPart>, String)> {
    let Some(st) = &plan.run.stairs else {
        return Vec::new();
    };
    let name = if st.users.is_some() { "users" } else { "rates" };
    for (i, level) in st.levels().into_iter().enumerate() {
        let p = level_plan(plan, level);
        if let Some((path, why)) = p.check().into_iter().next() {
            return vec![(
                indexed(name, i),
                format!(
                    "level {} ({}) makes an impossible run: {}: {why}",
                    i + 1,
                    level.label(),
                    super::check::display_path(&path)
                ),
            )];
        }
    }
    Vec::new()
}

/// Whether the text sets `run.duration`: with `[run.stairs]` the levels
/// each last `ramp + hold`, so a duration would be silently ignored.
pub fn explicit_duration(text: &str) -> bool {
    toml_edit::Document::parse(text).is_ok_and(|doc| {
        doc.get("run")
            .and_then(|r| r.as_table_like())
            .is_some_and(|r| r.contains_key("duration"))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn largest_remainder_worked_example() {
        // 10 users over groups of 3, 2 and 1 users: quotas 5, 3.333, 1.667;
        // floors 5, 3, 1 leave one user for the largest remainder (0.667).
        assert_eq!(split_users(10, &[3, 2, 1]), vec![5, 3, 2]);
        // 1 user over two equal groups: the earlier one gets it.
        assert_eq!(split_users(1, &[4, 4]), vec![1, 0]);
        // Equal remainders go to the larger weight first.
        assert_eq!(split_users(2, &[1, 3]), vec![0, 2]);
        assert_eq!(split_users(5, &[100]), vec![5]);
    }

    proptest! {
        #[test]
        fn splits_sum_exactly_and_stay_within_one_of_their_quota(
            total in 0u64..100_000,
            weights in proptest::collection::vec(1u64..10_000, 1..12),
        ) {
            let parts = split_users(total, &weights);
            prop_assert_eq!(parts.iter().sum::<u64>(), total);
            let sum: f64 = weights.iter().map(|&w| w as f64).sum();
            for (p, w) in parts.iter().zip(&weights) {
                let quota = total as f64 * *w as f64 / sum;
                prop_assert!((*p as f64 - quota).abs() < 1.0 + 1e-9, "{} vs quota {}", p, quota);
            }
            // Every group has a user whenever the total allows it and
            // the quotas give each at least one.
            if weights.iter().all(|&w| total as f64 * w as f64 / sum >= 1.0) {
                prop_assert!(parts.iter().all(|&p| p >= 1));
            }
        }

        #[test]
        fn rate_splits_sum_to_the_level(
            total in 0.1f64..10_000.0,
            rates in proptest::collection::vec(0.01f64..1000.0, 1..8),
        ) {
            let parts = split_rate(total, &rates);
            let s: f64 = parts.iter().sum();
            prop_assert!((s - total).abs() <= 1e-9 * total);
        }
    }

    const CLOSED: &str = r#"
[target]
tps = 20.0
[run]
ts_interval = "1s"
[run.stairs]
users = [1, 5, 10]
hold = "10s"
ramp = "2s"
[[group]]
name = "a"
users = 20
pacing = { mode = "fixed", interval = "2s" }
[[group.step]]
name = "s"
url = "http://127.0.0.1:1/"
[[group]]
name = "b"
users = 10
pacing = { mode = "fixed", interval = "1s" }
[[group.step]]
name = "s"
url = "http://127.0.0.1:1/"
"#;

    #[test]
    fn a_closed_level_splits_users_and_rescales_the_target() {
        let plan = PlanFile::parse(CLOSED, "plan.toml").unwrap();
        let p = level_plan(&plan, Level::Users(5));
        // 5 users over 20:10 → quotas 3.333 and 1.667 → 3 and 2.
        assert_eq!(
            p.groups.iter().map(|g| g.users).collect::<Vec<_>>(),
            vec![3, 2]
        );
        // 3 users at 0.5/s + 2 at 1/s = 3.5 TPS (the scaled target 20 x
        // 5/30 = 3.33 is not what the rounded split produces).
        assert_eq!(p.target.tps, Some(3.5));
        assert_eq!(p.run.duration.0, 12.0);
        assert_eq!(p.run.ramp_up(), 2.0);
        assert!(p.run.stairs.is_none());
        assert!(p.check().is_empty(), "{:?}", p.check());
        // One user: group b has none and is dropped.
        let p = level_plan(&plan, Level::Users(1));
        assert_eq!(p.groups.len(), 1);
        assert_eq!(p.target.tps, Some(0.5));
        assert_eq!(Level::Users(5).dir_name(0), "level-01-5users");
        assert_eq!(Level::Rate(2.5).dir_name(11), "level-12-2_5per-s");
    }

    #[test]
    fn an_open_level_splits_the_rate() {
        let text = r#"
[target]
tpm = 1800
[run.stairs]
rates = ["10/s", "40/s"]
hold = "30s"
[[group]]
name = "a"
users = 50
pacing = { mode = "arrival-rate", rate = "20/s" }
[[group.step]]
name = "s"
url = "http://127.0.0.1:1/"
[[group]]
name = "b"
users = 50
pacing = { mode = "arrival-rate", rate = "10/s" }
[[group.step]]
name = "s"
url = "http://127.0.0.1:1/"
"#;
        let plan = PlanFile::parse(text, "plan.toml").unwrap();
        let p = level_plan(&plan, Level::Rate(40.0));
        let r: Vec<f64> = p.groups.iter().map(|g| g.pacing.rate.unwrap().0).collect();
        assert!((r[0] - 80.0 / 3.0).abs() < 1e-9 && (r[1] - 40.0 / 3.0).abs() < 1e-9);
        // 40 iterations/s x 1 transaction = 2400 TPM.
        assert!((p.target.tpm.unwrap() - 2400.0).abs() < 1e-9);
        assert_eq!(p.run.ramp_up(), 0.0);
    }

    fn err(text: &str) -> crate::plan::file::PlanFileError {
        PlanFile::parse(text, "plan.toml").unwrap_err()
    }

    #[test]
    fn bad_keys_name_the_key_and_line() {
        let e = err(&CLOSED.replace("users = [1, 5, 10]", "users = [1, 5, 5]"));
        assert_eq!((e.key.as_str(), e.line), ("run.stairs.users[2]", 7), "{e}");
        assert!(e.message.contains("increase strictly"), "{e}");
        let e = err(&CLOSED.replace("hold = \"10s\"", "hold = \"0s\""));
        assert_eq!((e.key.as_str(), e.line), ("run.stairs.hold", 8), "{e}");
        let e = err(&CLOSED.replace("ramp = \"2s\"", "ramp = \"2s\"\nstop = [\"knee\"]"));
        assert!(e.key.starts_with("run.stairs") && e.line == 10, "{e}");
        let e = err(&CLOSED.replace("ramp = \"2s\"", "ramp = \"2s\"\nmin_rate = \"150%\""));
        assert_eq!((e.key.as_str(), e.line), ("run.stairs.min_rate", 10), "{e}");
        let e = err(&CLOSED.replace("ramp = \"2s\"", "ramp = \"2s\"\nrates = [1]"));
        assert_eq!(e.key, "run.stairs.rates", "{e}");
        let e = err(&CLOSED.replace("ramp = \"2s\"", "ramp = \"2s\"\nholds = 3"));
        assert!(e.message.contains("holds"), "{e}");
        let e = err(&CLOSED.replace("users = [1, 5, 10]", "rates = [1, 2]"));
        assert_eq!(e.key, "run.stairs.rates", "{e}");
        assert!(e.message.contains("group 'a'"), "{e}");
        let e = err(&CLOSED.replace(
            "ts_interval = \"1s\"",
            "ts_interval = \"1s\"\nramp_up = \"5s\"",
        ));
        assert_eq!((e.key.as_str(), e.line), ("run.ramp_up", 6), "{e}");
        let e = err(&CLOSED.replace("ts_interval = \"1s\"", "duration = \"1m\""));
        assert_eq!((e.key.as_str(), e.line), ("run.duration", 5), "{e}");
        // The plan is checked as one level (12 s + 30 s grace): 42,000
        // intervals of 1 ms are too many, and the error says so for it.
        let e = err(&CLOSED.replace("ts_interval = \"1s\"", "ts_interval = \"1ms\""));
        assert_eq!(e.key, "run.ts_interval", "{e}");
        assert!(e.message.contains("42000 intervals"), "{e}");
    }
}
