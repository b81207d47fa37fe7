//! A stair test's per-level table, its stop rules, its knee and its
//! verdict (issue 12 §2; docs/capacity.md "Stair tests"). Pure: each level
//! is a judged run whose summary and aggregate are given; nothing is read
//! or written here.

use super::aggregate::Aggregate;
use super::judgement::{Check, Over, State, Verdict};
use super::summary::Summary;
use crate::capacity::knee::{DEFAULT_SENSITIVITY, KneeError, kneedle};
use crate::plan::stairs::{Level, StopRule};
use crate::units::round_sig;
use crate::units::secs;
use serde::{Deserialize, Serialize};

/// The retrograde rule's floor: a drop of less than 2 % of the previous
/// level's X is never called retrograde. The window's edges (iterations
/// straddling its start and end) move a count by about one iteration per
/// user, which on short holds is of that order.
pub const RETROGRADE_FLOOR: f64 = 0.02;

/// A level's load as summary.json writes it in `not_run`: users (a whole
/// number) or a rate per second.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum LevelLoad {
    Users(u64),
    Rate(f64),
}

impl From<Level> for LevelLoad {
    fn from(l: Level) -> Self {
        match l {
            Level::Users(u) => LevelLoad::Users(u),
            Level::Rate(r) => LevelLoad::Rate(r),
        }
    }
}

/// One row of the per-level table, measured over the level's hold (its
/// steady-state window). Rates per second, times in seconds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LevelRow {
    /// 1-based.
    pub level: usize,
    /// The level's users (closed model), else null.
    pub users: Option<u64>,
    /// The level's arrival rate, iterations per second (open model), else null.
    pub rate_per_s: Option<f64>,
    /// The level's results folder, relative to the stair's.
    pub dir: String,
    /// Concurrency N: the users (closed), or the mean number of transactions
    /// in flight N = X·R by Little's law (open; Little 1961).
    pub n: f64,
    /// X: transactions per second completed without error over the hold.
    pub x_per_s: f64,
    /// The rate the level's plan expects, transactions per second (null when
    /// the plan sets no rate).
    pub expected_per_s: Option<f64>,
    /// Response time R of the hold's successful transactions.
    pub r_avg_s: f64,
    pub r_p50_s: f64,
    pub r_p95_s: f64,
    pub r_p99_s: f64,
    /// Successful transactions in the hold.
    pub transactions: u64,
    /// Failed transactions in the hold.
    pub errors: u64,
    /// errors / (transactions + errors), 0 to 1.
    pub error_rate: f64,
    /// Iterations in the hold that started late (the previous one overran).
    pub late_starts: u64,
    /// The level's verdict held (PASS, or NO CHECKS for a plan that promises
    /// nothing) and no stop rule fired on it.
    pub pass: bool,
    pub reasons: Vec<String>,
    /// The level was interrupted before its hold ended: its numbers cover
    /// a shorter window, so neither the knee nor a fit uses them.
    #[serde(default)]
    pub partial: bool,
}

/// A level measured, with what the table does not show but the stop rules
/// need.
#[derive(Debug, Clone, PartialEq)]
pub struct Measured {
    pub row: LevelRow,
    /// The hold's length, seconds.
    pub window_s: f64,
    /// The level's verdict state.
    pub state: State,
    /// Why the level failed a threshold (latency, error rate or an always-on
    /// check: everything but the throughput band).
    pub threshold_failures: Vec<String>,
}

/// Reads one level's row from its judged run.
pub fn measure(
    index: usize,
    level: Level,
    dir: &str,
    summary: &Summary,
    agg: &Aggregate,
) -> Measured {
    let a = &summary.achieved;
    let window = a.window_s;
    let x = if window > 0.0 {
        a.transactions as f64 / window
    } else {
        0.0
    };
    // R over every transaction of the hold, as the level's latency checks
    // judge it: the table, the stop rules and the verdict read one span.
    let r = agg.span_total().all_stats();
    let (users, rate_per_s, n) = match level {
        Level::Users(u) => (Some(u), None, u as f64),
        Level::Rate(rate) => (None, Some(rate), x * r.avg),
    };
    let all = a.transactions + a.errors;
    let v = &summary.verdict;
    let threshold_failures = v
        .checks
        .iter()
        .filter(|c| !c.pass && c.name != "throughput")
        .map(|c| {
            c.reason
                .clone()
                .unwrap_or_else(|| format!("{} failed", c.name))
        })
        .collect();
    Measured {
        row: LevelRow {
            level: index + 1,
            users,
            rate_per_s,
            dir: dir.to_string(),
            n,
            x_per_s: x,
            expected_per_s: summary.expected.as_ref().map(|e| e.tpm / 60.0),
            r_avg_s: r.avg,
            r_p50_s: r.p50,
            r_p95_s: r.p95,
            r_p99_s: r.p99,
            transactions: a.transactions,
            errors: a.errors,
            error_rate: if all > 0 {
                a.errors as f64 / all as f64
            } else {
                0.0
            },
            late_starts: agg.groups.iter().map(|g| g.window_late).sum(),
            pass: matches!(v.state, State::Pass | State::NoChecks),
            reasons: v.reasons.clone(),
            partial: false,
        },
        window_s: window,
        state: v.state,
        threshold_failures,
    }
}

/// How far X may fall below the previous level's before it is retrograde,
/// transactions per second: the larger of [`RETROGRADE_FLOOR`] of the
/// previous X and two standard deviations of the difference of the two
/// rates, counting transactions as Poisson counts (sd √n for n
/// transactions, so the rate n/w has sd √n/w): 2·√(n₁/w₁² + n₂/w₂²). A
/// closed loop's counts vary less than Poisson, so this errs towards
/// calling a drop noise.
pub fn retrograde_tolerance(prev: &Measured, cur: &Measured) -> f64 {
    let var = |m: &Measured| {
        if m.window_s > 0.0 {
            m.row.transactions as f64 / (m.window_s * m.window_s)
        } else {
            0.0
        }
    };
    (RETROGRADE_FLOOR * prev.row.x_per_s).max(2.0 * (var(prev) + var(cur)).sqrt())
}

/// Why a stair stops after a level.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Stopped {
    /// The 1-based level where the rule fired.
    pub level: usize,
    /// `thresholds`, `retrograde` or `rate`.
    pub rule: String,
    pub why: String,
}

fn per_s(v: f64) -> String {
    format!("{}/s", round_sig(v, 4))
}

/// The first of `rules` (in their order) that fires on `cur`, given the
/// level before it; `min_rate` is the `rate` rule's fraction (0 to 1).
pub fn stop_rule(
    rules: &[StopRule],
    min_rate: f64,
    cur: &Measured,
    prev: Option<&Measured>,
) -> Option<Stopped> {
    let level = cur.row.level;
    for rule in rules {
        let why = match rule {
            StopRule::Thresholds => {
                (!cur.threshold_failures.is_empty()).then(|| cur.threshold_failures.join("; "))
            }
            StopRule::Retrograde => prev.and_then(|p| {
                let tol = retrograde_tolerance(p, cur);
                (cur.row.x_per_s < p.row.x_per_s - tol).then(|| {
                    format!(
                        "X {} < level {}'s {} by more than the noise ({})",
                        per_s(cur.row.x_per_s),
                        p.row.level,
                        per_s(p.row.x_per_s),
                        per_s(tol)
                    )
                })
            }),
            StopRule::Rate => cur.row.expected_per_s.and_then(|e| {
                (cur.row.x_per_s < min_rate * e).then(|| {
                    format!(
                        "X {} < {}% of the expected {}",
                        per_s(cur.row.x_per_s),
                        round_sig(min_rate * 100.0, 4),
                        per_s(e)
                    )
                })
            }),
        };
        if let Some(why) = why {
            return Some(Stopped {
                level,
                rule: rule.name().into(),
                why,
            });
        }
    }
    None
}

/// The knee of the measured X(N) curve.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Knee {
    pub n: f64,
    pub x_per_s: f64,
}

/// Kneedle (Satopää et al. 2011, offline, S = 1) on the measured X(N) of
/// the levels that ran, and a note saying what was found or why nothing.
pub fn knee(levels: &[LevelRow]) -> (Option<Knee>, String) {
    let levels: Vec<&LevelRow> = levels.iter().filter(|l| !l.partial).collect();
    let n: Vec<f64> = levels.iter().map(|l| l.n).collect();
    let x: Vec<f64> = levels.iter().map(|l| l.x_per_s).collect();
    match kneedle(&n, &x, DEFAULT_SENSITIVITY) {
        Ok(Some(i)) => (
            Some(Knee {
                n: n[i],
                x_per_s: x[i],
            }),
            format!(
                "Kneedle (Satopää et al. 2011, S = 1) on X(N) of {} levels: the knee is level {} (N {}, X {})",
                n.len(),
                levels[i].level,
                round_sig(n[i], 4),
                per_s(x[i])
            ),
        ),
        Ok(None) => (
            None,
            format!(
                "none found: X(N) of {} levels bends too little for Kneedle (S = 1): throughput still grows about in proportion to N",
                n.len()
            ),
        ),
        Err(KneeError::TooFewPoints(k)) => (
            None,
            format!("none found: {k} level(s) measured; a knee needs at least 3"),
        ),
        Err(KneeError::BadData(i)) => (
            None,
            format!(
                "none found: N does not increase strictly at level {} (open model: N = X·R measured), so X(N) is not a curve Kneedle can read",
                levels.get(i).map_or(i + 1, |l| l.level)
            ),
        ),
        Err(e) => (None, format!("none found: {e}")),
    }
}

/// The `stairs` object of the stair's summary.json.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StairTable {
    /// "closed" (user levels) or "open" (rate levels).
    pub model: String,
    pub hold_s: f64,
    pub ramp_s: f64,
    pub levels: Vec<LevelRow>,
    /// The levels that did not run, as the plan gives them.
    pub not_run: Vec<LevelLoad>,
    pub stopped: Option<Stopped>,
    pub knee: Option<Knee>,
    pub knee_note: String,
}

/// The stair's verdict: PASS when every level ran and held; FAIL naming the
/// level and rule that stopped it, and every level that failed; INCOMPLETE
/// when a level was interrupted; NO CHECKS when every level ran and the
/// plan promises nothing to judge.
pub fn verdict(t: &StairTable, states: &[State], interrupted: Option<&str>) -> Verdict {
    let mut reasons = Vec::new();
    let label = |row: &LevelRow| match (row.users, row.rate_per_s) {
        (Some(u), _) => crate::units::count(u as f64, "user"),
        (_, Some(r)) => format!("{}/s", round_sig(r, 6)),
        _ => String::new(),
    };
    if let Some(why) = interrupted {
        reasons.push(format!("the stair did not finish: {why}"));
    }
    if let Some(s) = &t.stopped {
        let row = &t.levels[s.level - 1];
        let rest = if t.not_run.is_empty() {
            "it was the last level".to_string()
        } else {
            format!("{} level(s) not run", t.not_run.len())
        };
        reasons.push(format!(
            "level {} ({}) broke the stair by rule {}: {}; {rest}. A breakpoint test is expected to stop, but the plan was not met at every level",
            s.level,
            label(row),
            s.rule,
            s.why
        ));
    }
    for (row, st) in t.levels.iter().zip(states) {
        if *st == State::Fail && t.stopped.as_ref().is_none_or(|s| s.level != row.level) {
            reasons.push(format!(
                "level {} ({}) failed: {}",
                row.level,
                label(row),
                row.reasons.join("; ")
            ));
        }
    }
    let checks = t
        .levels
        .iter()
        .map(|row| Check {
            name: format!("level {} ({})", row.level, label(row)),
            target: "its verdict holds and no stop rule fires".into(),
            achieved: format!(
                "X {}, R p95 {}, {} error(s)",
                per_s(row.x_per_s),
                secs(row.r_p95_s),
                row.errors
            ),
            pass: row.pass,
            reason: (!row.pass).then(|| row.reasons.join("; ")),
            over: Some(Over {
                span: "window".into(),
                from_s: t.ramp_s,
                to_s: t.ramp_s + t.hold_s,
                samples: format!(
                    "level {}'s hold: {} transactions ({} failed)",
                    row.level,
                    row.transactions + row.errors,
                    row.errors
                ),
                count: row.transactions + row.errors,
            }),
        })
        .collect();
    let state = if interrupted.is_some() || states.contains(&State::Incomplete) {
        State::Incomplete
    } else if t.stopped.is_some() || states.contains(&State::Fail) {
        State::Fail
    } else if states.iter().all(|s| *s == State::NoChecks) {
        State::NoChecks
    } else {
        State::Pass
    };
    Verdict {
        pass: state == State::Pass,
        reasons,
        checks,
        state,
        causes: Vec::new(),
        unjudged: Vec::new(),
        notes: vec![t.knee_note.clone()],
        // Each level audits its own laws in its own summary.
        laws: Vec::new(),
    }
}

/// The stair's own summary.json: the contract keys that apply to a stair
/// (`partial`, `verdict`) and the per-level table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StairSummary {
    pub pace_version: String,
    pub partial: bool,
    pub plan_file: String,
    pub started_at: String,
    pub finished_at: String,
    pub verdict: Verdict,
    pub stairs: StairTable,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn level(i: usize, x: f64, transactions: u64, window: f64) -> Measured {
        Measured {
            row: LevelRow {
                level: i,
                users: Some(i as u64 * 10),
                rate_per_s: None,
                dir: format!("level-{i:02}"),
                n: i as f64 * 10.0,
                x_per_s: x,
                expected_per_s: Some(50.0 * i as f64),
                partial: false,
                r_avg_s: 0.1,
                r_p50_s: 0.1,
                r_p95_s: 0.2,
                r_p99_s: 0.3,
                transactions,
                errors: 0,
                error_rate: 0.0,
                late_starts: 0,
                pass: true,
                reasons: vec![],
            },
            window_s: window,
            state: State::Pass,
            threshold_failures: vec![],
        }
    }

    const ALL: [StopRule; 3] = [StopRule::Thresholds, StopRule::Retrograde, StopRule::Rate];

    #[test]
    fn retrograde_beyond_noise_worked_numbers() {
        // 480/s then 470/s over 120 s holds: n = 57,600 and 56,400;
        // 2·√(57600/120² + 56400/120²) = 2·√114000/120 = 5.63/s, below the
        // 2 % floor of 9.6/s, so the tolerance is 9.6/s: a 10/s drop fires.
        let prev = level(4, 480.0, 57_600, 120.0);
        let cur = level(5, 470.0, 56_400, 120.0);
        assert!((retrograde_tolerance(&prev, &cur) - 9.6).abs() < 1e-9);
        let s = stop_rule(&[StopRule::Retrograde], 0.9, &cur, Some(&prev)).unwrap();
        assert_eq!((s.level, s.rule.as_str()), (5, "retrograde"));
        assert!(s.why.contains("X 470/s < level 4's 480/s"), "{}", s.why);
        // 471/s is within 9.6/s of 480/s: noise.
        let cur = level(5, 471.0, 56_520, 120.0);
        assert!(stop_rule(&[StopRule::Retrograde], 0.9, &cur, Some(&prev)).is_none());
        // Short holds: 10/s then 9/s over 2 s (20 and 18 transactions):
        // 2·√(20/4 + 18/4) = 6.16/s of noise, so a 1/s drop is noise.
        let prev = level(1, 10.0, 20, 2.0);
        let cur = level(2, 9.0, 18, 2.0);
        assert!((retrograde_tolerance(&prev, &cur) - 2.0 * 9.5f64.sqrt()).abs() < 1e-9);
        assert!(stop_rule(&ALL, 0.0, &cur, Some(&prev)).is_none());
    }

    #[test]
    fn rate_rule_worked_numbers() {
        // Expected 100/s at level 2; 90 % of it is 90/s.
        let cur = level(2, 89.9, 10_788, 120.0);
        let s = stop_rule(&[StopRule::Rate], 0.9, &cur, None).unwrap();
        assert_eq!(s.rule, "rate");
        assert!(
            s.why.contains("X 89.9/s < 90% of the expected 100/s"),
            "{}",
            s.why
        );
        let cur = level(2, 90.0, 10_800, 120.0);
        assert!(stop_rule(&[StopRule::Rate], 0.9, &cur, None).is_none());
        // No expected rate: the rule cannot fire.
        let mut cur = level(2, 1.0, 120, 120.0);
        cur.row.expected_per_s = None;
        assert!(stop_rule(&[StopRule::Rate], 0.9, &cur, None).is_none());
    }

    #[test]
    fn rules_are_checked_in_order_and_can_be_turned_off() {
        let prev = level(1, 100.0, 12_000, 120.0);
        let mut cur = level(2, 50.0, 6_000, 120.0);
        cur.threshold_failures = vec!["p95 response time 2 s exceeded the 1 s threshold".into()];
        assert_eq!(
            stop_rule(&ALL, 0.9, &cur, Some(&prev)).unwrap().rule,
            "thresholds"
        );
        let rr = [StopRule::Rate, StopRule::Retrograde];
        assert_eq!(stop_rule(&rr, 0.9, &cur, Some(&prev)).unwrap().rule, "rate");
        assert!(stop_rule(&[], 0.9, &cur, Some(&prev)).is_none());
    }

    #[test]
    fn the_knee_of_a_saturating_curve_and_too_few_levels() {
        // X = 10·N up to N = 20, flat at 200/s after: the knee is N = 20.
        let rows: Vec<LevelRow> = [
            (1.0, 10.0),
            (5.0, 50.0),
            (10.0, 100.0),
            (20.0, 200.0),
            (40.0, 200.0),
            (80.0, 200.0),
        ]
        .iter()
        .enumerate()
        .map(|(i, &(n, x))| {
            let mut m = level(i + 1, x, 0, 1.0).row;
            m.n = n;
            m
        })
        .collect();
        let (k, note) = knee(&rows);
        assert_eq!(
            k,
            Some(Knee {
                n: 20.0,
                x_per_s: 200.0
            }),
            "{note}"
        );
        let (k, note) = knee(&rows[..2]);
        assert!(k.is_none() && note.contains("2 level(s)"), "{note}");

        // An interrupted level (X from part of its hold) is not a point of
        // the curve: a low partial X at N = 80 must not move the knee.
        let mut cut = rows.clone();
        cut[5].x_per_s = 20.0;
        cut[5].partial = true;
        let (k, note) = knee(&cut);
        assert_eq!(k.map(|k| k.n), Some(20.0), "{note}");
        assert!(note.contains("of 5 levels"), "{note}");
    }

    #[test]
    fn a_stopped_stair_fails_naming_level_and_rule() {
        let rows = vec![
            level(1, 50.0, 6000, 120.0).row,
            level(2, 60.0, 7200, 120.0).row,
        ];
        let t = StairTable {
            model: "closed".into(),
            hold_s: 120.0,
            ramp_s: 0.0,
            levels: rows,
            not_run: vec![LevelLoad::Users(30)],
            stopped: Some(Stopped {
                level: 2,
                rule: "rate".into(),
                why: "X 60/s < 90% of the expected 100/s".into(),
            }),
            knee: None,
            knee_note: "none found".into(),
        };
        let v = verdict(&t, &[State::Pass, State::Pass], None);
        assert_eq!(v.state, State::Fail);
        assert!(
            v.reasons[0].starts_with("level 2 (20 users) broke the stair by rule rate"),
            "{:?}",
            v.reasons
        );
        assert!(v.reasons[0].contains("1 level(s) not run"));
        let t = StairTable {
            stopped: None,
            not_run: vec![],
            ..t
        };
        assert_eq!(
            verdict(&t, &[State::Pass, State::Pass], None).state,
            State::Pass
        );
        assert_eq!(
            verdict(&t, &[State::Pass, State::Pass], Some("interrupted")).state,
            State::Incomplete
        );
        assert_eq!(
            serde_json::to_value(LevelLoad::Users(80)).unwrap(),
            serde_json::json!(80)
        );
    }
}
