//! Whether each group's iteration fits the rate the plan promises for it:
//! the steps' think times and the planned response times against the
//! pacing (start to start), or against the pool of an arrival-rate group.
//! Pure: the plan in, findings out; `pace run` and `pace run --check` print
//! the same ones (docs/pacing.md, "Does the iteration fit its pacing?").
//!
//! A paced user cannot start an iteration before its previous one ended
//! (LoadRunner's "start new iteration at fixed intervals": an iteration
//! that runs longer than the interval starts the next one late), so its
//! mean cycle is at least the mean iteration time X and the group makes at
//! most `users x tpi / E[X]` transactions a second, whatever the server
//! does. An arrival-rate group keeps `rate x E[X]` users busy on average
//! (Little's law), so a smaller pool cannot start every arrival.
//!
//! These checks are not part of loading a plan ([`PlanFile::check`]): a
//! results folder of such a plan must still load for `pace verify`, and
//! `pace baseline`, which runs a plan back to back to measure X, ignores
//! its pacing.

use super::check::PathPart;
use super::file::{GroupSection, Late, PacingMode, PlanFile};
use super::pacing::Pacing;
use crate::units::{count, human_duration, round_sig};

/// Relative slack under which an iteration and an interval count as equal
/// (sums of decimal durations in binary floating point): an iteration of
/// exactly the interval fits.
const REL_EQ: f64 = 1e-9;

/// One iteration of a group at the plan's assumptions, seconds: each
/// transaction takes `target.response_time` (none when the plan does not
/// give it), and each step's think follows it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct IterationTime {
    /// Transactions per iteration: the steps, or the script's one `run()`.
    pub transactions: usize,
    /// A script group: its own pauses are inside `run()`, unknown to pace.
    pub script: bool,
    /// `target.response_time`, if the plan gives it.
    pub response_time: Option<f64>,
    /// The steps' think times: their shortest, mean and longest sums.
    pub think_min: f64,
    pub think_mean: f64,
    pub think_longest: f64,
    /// `think_longest` counts an exponential think with no `max` at its
    /// 99th percentile ([`super::think::ThinkDraw::longest`]).
    pub percentile: bool,
    /// Some step's think time is random.
    pub random: bool,
}

impl IterationTime {
    /// The iteration of `g` at response time `rt` per transaction.
    pub fn of(g: &GroupSection, rt: Option<f64>) -> IterationTime {
        let mut it = IterationTime {
            transactions: g.transactions_per_iteration(),
            script: g.script.is_some(),
            response_time: rt,
            think_min: 0.0,
            think_mean: 0.0,
            think_longest: 0.0,
            percentile: false,
            random: false,
        };
        for t in g.steps.iter().filter_map(|s| s.think.as_ref()) {
            // A think time that does not check refuses the plan elsewhere.
            let Ok(d) = t.draw() else { continue };
            let (longest, percentile) = d.longest();
            it.think_min += d.min();
            it.think_mean += d.mean();
            it.think_longest += longest;
            it.percentile |= percentile;
            it.random |= !matches!(d, super::think::ThinkDraw::Fixed(_));
        }
        it
    }

    /// Seconds of response time in one iteration: `transactions x rt`.
    pub fn busy(&self) -> f64 {
        self.transactions as f64 * self.response_time.unwrap_or(0.0)
    }

    /// The shortest iteration (every think at its shortest).
    pub fn min(&self) -> f64 {
        self.busy() + self.think_min
    }

    /// The mean iteration: what the rate is bounded by.
    pub fn mean(&self) -> f64 {
        self.busy() + self.think_mean
    }

    /// The longest iteration (every think at its longest, see
    /// [`IterationTime::percentile`]).
    pub fn longest(&self) -> f64 {
        self.busy() + self.think_longest
    }

    /// `2 steps x 10 ms response time + 1.2 s of think time`, with the
    /// mean think (`longest`: false) or the longest.
    fn terms(&self, longest: bool) -> String {
        let work = if self.script {
            "1 run()".to_string()
        } else {
            count(self.transactions as f64, "step")
        };
        let mut s = format!(
            "{work} x {} response time",
            human_duration(self.response_time.unwrap_or(0.0))
        );
        let think = if longest {
            self.think_longest
        } else {
            self.think_mean
        };
        if think > 0.0 {
            s.push_str(&if longest && self.random {
                format!(" + up to {} of think time", human_duration(think))
            } else if self.random {
                format!(" + {} of think time on average", human_duration(think))
            } else {
                format!(" + {} of think time", human_duration(think))
            });
            if longest && self.percentile {
                s.push_str(
                    ", an exponential think with no max counted at its 99th percentile (4.6 x its mean)",
                );
            }
        }
        s
    }

    /// What the message adds when the plan gives no response time.
    fn assumed(&self) -> &'static str {
        if self.response_time.is_none() {
            "; the plan gives no target.response_time, so the check assumed no response time"
        } else {
            ""
        }
    }
}

/// How bad a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    /// The plan's rate cannot be met: `pace run` refuses it (exit 2).
    Error,
    /// Some starts (or arrivals) will be late or dropped: said before the
    /// run, which goes ahead.
    Warning,
}

/// One thing the check found: the key it belongs to and what, one line.
#[derive(Debug, Clone, PartialEq)]
pub struct Finding {
    pub severity: Severity,
    pub path: Vec<PathPart>,
    pub message: String,
}

impl Finding {
    /// The key as pace prints keys (`group[0].pacing.interval`).
    pub fn key(&self) -> String {
        super::check::display_path(&self.path)
    }
}

fn group_key(i: usize, rest: &[&str]) -> Vec<PathPart> {
    let mut p = vec![PathPart::Key("group".into()), PathPart::Index(i)];
    p.extend(rest.iter().map(|s| PathPart::Key(s.to_string())));
    p
}

fn tpm(v: f64) -> String {
    round_sig(v, 4)
}

/// What a late start costs under the group's `late` policy.
fn late_cost(late: Late, planned_tpm: f64) -> String {
    match late {
        Late::Drift => format!(
            ", and with late = \"drift\" the time lost is not made up: the group may fall short of its {} TPM",
            tpm(planned_tpm)
        ),
        Late::Skip => format!(
            ", and with late = \"skip\" each such start is dropped: the group may fall short of its {} TPM",
            tpm(planned_tpm)
        ),
        Late::CatchUp => {
            ", made up later with late = \"catch-up\" where the following iterations leave room"
                .to_string()
        }
    }
}

/// The findings of a group paced start to start by `p`.
fn paced(i: usize, g: &GroupSection, p: &Pacing, it: &IterationTime) -> Option<Finding> {
    let name = &g.name;
    let tpi = it.transactions as f64;
    let users = g.users as f64;
    let planned = users * tpi * 60.0 / p.mean();
    let pc = &g.pacing;
    let fixed = matches!(p, Pacing::Fixed { .. });
    if it.mean() > p.mean() * (1.0 + REL_EQ) {
        let key = match pc.mode {
            PacingMode::Uniform | PacingMode::Beta if pc.interval.is_none() => "max",
            _ => "interval",
        };
        let what = if fixed {
            format!("the pacing interval is {}", human_duration(p.mean()))
        } else {
            format!(
                "the pacing's mean interval is {} ({})",
                human_duration(p.mean()),
                p.describe()
            )
        };
        let alone = if it.think_min > p.mean() * (1.0 + REL_EQ) {
            format!(
                "; its think times alone ({}) are longer than the {}interval",
                human_duration(it.think_min),
                if fixed { "" } else { "mean " }
            )
        } else {
            String::new()
        };
        return Some(Finding {
            severity: Severity::Error,
            path: group_key(i, &["pacing", key]),
            message: format!(
                "group '{name}': the iteration needs {}{} ({}) but {what}: the group's {} TPM cannot be reached ({} make at most {} TPM){alone}{}",
                human_duration(it.mean()),
                if it.random { " on average" } else { "" },
                it.terms(false),
                tpm(planned),
                count(users, "user"),
                tpm(users * tpi * 60.0 / it.mean()),
                it.assumed()
            ),
        });
    }
    // Not on average, but some iterations may outlast the shortest
    // interval: the starts after them are late.
    let shortest = p.min();
    let (took, terms) = if it.mean() > shortest * (1.0 + REL_EQ) {
        (
            format!(
                "{}{}",
                human_duration(it.mean()),
                if it.random { " on average" } else { "" }
            ),
            it.terms(false),
        )
    } else if it.longest() > shortest * (1.0 + REL_EQ) {
        (
            format!("up to {}", human_duration(it.longest())),
            it.terms(true),
        )
    } else {
        return None;
    };
    let (path, what) = if fixed {
        (
            group_key(i, &["pacing", "interval"]),
            format!("the pacing interval is {}", human_duration(shortest)),
        )
    } else {
        let path = if pc.min.is_some() {
            group_key(i, &["pacing", "min"])
        } else {
            group_key(i, &["pacing"])
        };
        (
            path,
            format!(
                "the pacing's shortest interval is {} ({})",
                human_duration(shortest),
                p.describe()
            ),
        )
    };
    Some(Finding {
        severity: Severity::Warning,
        path,
        message: format!(
            "group '{name}': an iteration takes {took} ({terms}) but {what}: the start after a longer iteration is late{}{}",
            late_cost(pc.late, planned),
            it.assumed()
        ),
    })
}

/// The findings of an arrival-rate group of `rate` arrivals a second.
fn arrival(i: usize, g: &GroupSection, rate: f64, it: &IterationTime) -> Option<Finding> {
    let name = &g.name;
    let pool = g.users as f64;
    let tpi = it.transactions as f64;
    let busy = rate * it.mean();
    if busy > pool * (1.0 + REL_EQ) {
        let most = pool / it.mean();
        return Some(Finding {
            severity: Severity::Error,
            path: group_key(i, &["users"]),
            message: format!(
                "group '{name}': {}/s arrivals of an iteration of {}{} ({}) keep {} users busy on average (Little's law: arrival rate x iteration time), but the pool has {}: at most {}/s can start and the rest are dropped, so the group's {} TPM cannot be reached (at most {} TPM); give it at least {} users{}",
                round_sig(rate, 6),
                human_duration(it.mean()),
                if it.random { " on average" } else { "" },
                it.terms(false),
                round_sig(busy, 4),
                count(pool, "user"),
                round_sig(most, 4),
                tpm(rate * tpi * 60.0),
                tpm(most * tpi * 60.0),
                (busy * (1.0 - REL_EQ)).ceil(),
                it.assumed()
            ),
        });
    }
    // Arrivals come every 1/rate s, so at most ceil(rate x X) are in
    // flight when no iteration takes longer than X: a pool that small
    // starts every one.
    let most_busy = rate * it.longest();
    if most_busy > pool * (1.0 + REL_EQ) {
        return Some(Finding {
            severity: Severity::Warning,
            path: group_key(i, &["users"]),
            message: format!(
                "group '{name}': at {}/s, iterations of up to {} ({}) can keep {} users busy, more than the pool's {}: an arrival that finds every user busy is dropped; {} users would start every one{}",
                round_sig(rate, 6),
                human_duration(it.longest()),
                it.terms(true),
                round_sig(most_busy, 4),
                round_sig(pool, 6),
                (most_busy * (1.0 - REL_EQ)).ceil(),
                it.assumed()
            ),
        });
    }
    None
}

/// The findings of every group of a plan without stairs, in plan order.
fn groups(plan: &PlanFile) -> Vec<(usize, Finding)> {
    let rt = plan.target.response_time.map(|r| r.0);
    plan.groups
        .iter()
        .enumerate()
        .filter_map(|(i, g)| {
            let it = IterationTime::of(g, rt);
            let f = match g.pacing.mode {
                // A closed loop cycles as fast as its iterations: there is
                // no interval to miss.
                PacingMode::AfterEnd | PacingMode::None => None,
                PacingMode::ArrivalRate => arrival(i, g, g.pacing.rate?.0, &it),
                _ => paced(i, g, &g.pacing.distribution()?, &it),
            };
            f.map(|f| (i, f))
        })
        .collect()
}

impl PlanFile {
    /// Whether each group's iteration fits its pacing or its pool, errors
    /// first. A stair plan is checked level by level (an open stair's
    /// rates grow against a fixed pool); a finding is given once per group
    /// and kind, at the first level that has it.
    pub fn fit(&self) -> Vec<Finding> {
        let mut out: Vec<Finding> = match &self.run.stairs {
            None => groups(self).into_iter().map(|(_, f)| f).collect(),
            Some(st) => {
                let mut seen: Vec<(String, Severity)> = Vec::new();
                let mut out = Vec::new();
                for (k, level) in st.levels().into_iter().enumerate() {
                    let lp = super::stairs::level_plan(self, level);
                    for (li, f) in groups(&lp) {
                        // The level may have dropped a group left with no
                        // user: its keys are the plan's.
                        let Some(i) = self
                            .groups
                            .iter()
                            .position(|g| g.name == lp.groups[li].name)
                        else {
                            continue;
                        };
                        let name = self.groups[i].name.clone();
                        if seen.contains(&(name.clone(), f.severity)) {
                            continue;
                        }
                        seen.push((name, f.severity));
                        let mut path = group_key(i, &[]);
                        path.extend(f.path.into_iter().skip(2));
                        out.push(Finding {
                            severity: f.severity,
                            path,
                            message: format!(
                                "at level {} of the stair ({}): {}",
                                k + 1,
                                level.label(),
                                f.message
                            ),
                        });
                    }
                }
                out
            }
        };
        out.sort_by_key(|f| f.severity != Severity::Error);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The case `think-longer-than-pacing` (tests/fixtures/cases).
    const CASE: &str = r#"
[target]
tps = 8.0
response_time = "10ms"
transactions_per_iteration = 2

[target.embedded]
latency = "10ms"

[run]
duration = "12s"
ramp_up = "2s"
ts_interval = "1s"
grace = "3s"

[[group]]
name = "browse"
users = 4

[group.pacing]
mode = "fixed"
interval = "1s"

[[group.step]]
name = "search"
url = "${PACE_TARGET}/search"
think = "600ms"

[[group.step]]
name = "product"
url = "${PACE_TARGET}/product"
think = "600ms"
"#;

    fn plan(text: &str) -> PlanFile {
        PlanFile::parse(text, "plan.toml").unwrap()
    }

    fn only(p: &PlanFile) -> Finding {
        let f = p.fit();
        assert_eq!(f.len(), 1, "{f:?}");
        f.into_iter().next().unwrap()
    }

    /// 2 x (10 ms + 600 ms) = 1.22 s > 1 s: 4 users x 2 / 1.22 s =
    /// 6.557 TPS = 393.4 TPM of the 480 planned (the case's README).
    #[test]
    fn the_case_is_an_error_with_its_numbers() {
        let p = plan(CASE);
        let it = IterationTime::of(&p.groups[0], Some(0.01));
        assert!((it.mean() - 1.22).abs() < 1e-12, "{it:?}");
        let f = only(&p);
        assert_eq!(f.severity, Severity::Error);
        assert_eq!(f.key(), "group[0].pacing.interval");
        assert_eq!(
            f.message,
            "group 'browse': the iteration needs 1.22 s (2 steps x 10 ms response time + 1.2 s of think time) but the pacing interval is 1 s: the group's 480 TPM cannot be reached (4 users make at most 393.4 TPM); its think times alone (1.2 s) are longer than the interval"
        );
    }

    #[test]
    fn an_iteration_of_exactly_the_interval_fits() {
        // 2 x (200 ms + 300 ms) = 1 s.
        let p = plan(
            &CASE
                .replace("\"600ms\"", "\"300ms\"")
                .replace("\"10ms\"", "\"200ms\""),
        );
        assert!(p.fit().is_empty(), "{:?}", p.fit());
        // A microsecond more is late every time.
        let p = plan(
            &CASE
                .replace("\"600ms\"", "\"300.0005ms\"")
                .replace("\"10ms\"", "\"200ms\""),
        );
        assert_eq!(only(&p).severity, Severity::Error);
    }

    /// Without target.response_time the check counts none, and says so.
    #[test]
    fn no_response_time_is_assumed_none_and_said() {
        let text = CASE
            .replace("tps = 8.0\nresponse_time = \"10ms\"\n", "")
            .replace("\"600ms\"", "\"550ms\"");
        let f = only(&plan(&text));
        assert!(
            f.message
                .contains("needs 1.1 s (2 steps x 0 s response time + 1.1 s of think time)"),
            "{}",
            f.message
        );
        assert!(
            f.message.ends_with("so the check assumed no response time"),
            "{}",
            f.message
        );
        // 500 ms of think each: 1 s, fits with no response time.
        let text = text.replace("\"550ms\"", "\"500ms\"");
        assert!(plan(&text).fit().is_empty());
    }

    /// A random think counts its mean for the rate, its longest for late
    /// starts.
    #[test]
    fn a_random_think_counts_its_mean_then_its_longest() {
        // Mean 2 x (10 ms + 450 ms) = 920 ms fits 1 s; the longest,
        // 2 x (10 ms + 800 ms) = 1.62 s, does not.
        let text = CASE.replace(
            "think = \"600ms\"",
            "think = { dist = \"uniform\", min = \"100ms\", max = \"800ms\" }",
        );
        let f = only(&plan(&text));
        assert_eq!(f.severity, Severity::Warning, "{f:?}");
        assert_eq!(f.key(), "group[0].pacing.interval");
        assert!(f.message.contains("an iteration takes up to 1.62 s (2 steps x 10 ms response time + up to 1.6 s of think time) but the pacing interval is 1 s"), "{}", f.message);
        assert!(f.message.contains("late = \"drift\""), "{}", f.message);
        // Mean 2 x (10 ms + 550 ms) = 1.12 s: the rate cannot be met.
        let text = text.replace("\"100ms\"", "\"300ms\"");
        let f = only(&plan(&text));
        assert_eq!(f.severity, Severity::Error, "{f:?}");
        assert!(
            f.message.contains("needs 1.12 s on average"),
            "{}",
            f.message
        );
        assert!(f.message.contains("at most 428.6 TPM"), "{}", f.message);
        // An exponential think with no max: its 99th percentile,
        // mean x ln 100: 2 x (10 ms + 4.605 x 100 ms) = 941 ms fits 1 s;
        // at 110 ms, 2 x (10 + 506.6) = 1.033 s does not.
        let text = CASE.replace(
            "think = \"600ms\"",
            "think = { dist = \"exponential\", mean = \"100ms\" }",
        );
        assert!(plan(&text).fit().is_empty(), "{:?}", plan(&text).fit());
        let f = only(&plan(&text.replace("\"100ms\"", "\"110ms\"")));
        assert_eq!(f.severity, Severity::Warning);
        assert!(f.message.contains("99th percentile"), "{}", f.message);
    }

    /// Random pacing: the mean interval for the rate, the shortest for
    /// late starts.
    #[test]
    fn random_pacing_errors_below_its_mean_and_warns_below_its_min() {
        // 1.22 s against uniform 1-1.4 s (mean 1.2 s): an error, named
        // at `max` (no interval written).
        let text = CASE.replace(
            "mode = \"fixed\"\ninterval = \"1s\"",
            "mode = \"uniform\"\nmin = \"1s\"\nmax = \"1.4s\"",
        );
        let text = text.replace("tps = 8.0", "tps = 6.666666666666667");
        let f = only(&plan(&text));
        assert_eq!(
            (f.severity, f.key().as_str()),
            (Severity::Error, "group[0].pacing.max")
        );
        assert!(
            f.message
                .contains("the pacing's mean interval is 1.2 s (uniform 1-1.4 s)"),
            "{}",
            f.message
        );
        // Uniform 1-2 s (mean 1.5 s): fits on average, the shortest do not.
        let text = text
            .replace("\"1.4s\"", "\"2s\"")
            .replace("tps = 6.666666666666667", "tps = 5.333333333333333");
        let f = only(&plan(&text));
        assert_eq!(
            (f.severity, f.key().as_str()),
            (Severity::Warning, "group[0].pacing.min")
        );
        assert!(
            f.message.contains("an iteration takes 1.22 s (")
                && f.message.contains("shortest interval is 1 s"),
            "{}",
            f.message
        );
    }

    /// 20 arrivals/s of 1.22 s keep 24.4 users busy: a pool of 20 starts
    /// at most 16.39/s.
    #[test]
    fn an_arrival_pool_smaller_than_littles_law_is_an_error() {
        let text = CASE
            .replace("tps = 8.0", "tps = 40.0")
            .replace("users = 4", "users = 20")
            .replace(
                "mode = \"fixed\"\ninterval = \"1s\"",
                "mode = \"arrival-rate\"\nrate = \"20/s\"",
            );
        let f = only(&plan(&text));
        assert_eq!(
            (f.severity, f.key().as_str()),
            (Severity::Error, "group[0].users")
        );
        assert!(
            f.message.contains("keep 24.4 users busy on average"),
            "{}",
            f.message
        );
        assert!(
            f.message.contains("at most 16.39/s can start"),
            "{}",
            f.message
        );
        assert!(
            f.message.contains("give it at least 25 users"),
            "{}",
            f.message
        );
        // 25 users: fits exactly (no random think: 24.4 < 25).
        assert!(
            plan(&text.replace("users = 20", "users = 25"))
                .fit()
                .is_empty()
        );
    }

    #[test]
    fn closed_loops_have_nothing_to_miss() {
        let text = CASE.replace("mode = \"fixed\"\ninterval = \"1s\"", "mode = \"none\"");
        let text = text.replace("tps = 8.0", "tps = 6.557377049180328");
        assert!(plan(&text).fit().is_empty());
    }

    /// An open stair's rates grow against a fixed pool: the first level
    /// the pool cannot carry is named.
    #[test]
    fn an_open_stair_is_checked_level_by_level() {
        let text = r#"
[target]
response_time = "100ms"
[run.stairs]
rates = ["10/s", "20/s", "40/s"]
hold = "10s"
[[group]]
name = "orders"
users = 3
pacing = { mode = "arrival-rate", rate = "10/s" }
[[group.step]]
name = "a"
url = "http://127.0.0.1:1/"
think = "100ms"
"#;
        // 200 ms per iteration: 10/s keeps 2 busy, 20/s 4, 40/s 8.
        let f = only(&plan(text));
        assert_eq!(
            (f.severity, f.key().as_str()),
            (Severity::Error, "group[0].users")
        );
        assert!(
            f.message
                .starts_with("at level 2 of the stair (20/s): group 'orders': 20/s arrivals"),
            "{}",
            f.message
        );
    }
}
