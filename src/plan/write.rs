//! Renders a solved plan as a plan file (shared/spec/plan-format.md), with a
//! comment on every number saying where it came from. Pure: returns text.

use super::file::Tolerance;
use super::pacing::Pacing;
use super::solve::{ERROR_BUDGET, Solution, tolerance_text};
use crate::units::{format_duration, human_duration, round_sig};
use std::fmt::Write;

/// The rate unit the user stated the target in; the plan keeps it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RateUnit {
    Tps,
    Tpm,
    Tph,
}

impl RateUnit {
    /// The plan key (`tps`, `tpm`, `tph`).
    pub fn key(self) -> &'static str {
        match self {
            RateUnit::Tps => "tps",
            RateUnit::Tpm => "tpm",
            RateUnit::Tph => "tph",
        }
    }
    /// Seconds in the unit's period.
    pub fn seconds(self) -> f64 {
        match self {
            RateUnit::Tps => 1.0,
            RateUnit::Tpm => 60.0,
            RateUnit::Tph => 3600.0,
        }
    }
}

/// A `key = value` line with its comment aligned.
fn kv(out: &mut String, key: &str, value: &str, comment: &str) {
    let line = format!("{key} = {value}");
    if comment.is_empty() {
        let _ = writeln!(out, "{line}");
    } else {
        let _ = writeln!(out, "{line:<34} # {comment}");
    }
}

fn q(s: &str) -> String {
    format!("\"{s}\"")
}

/// A float for TOML, rounded to 12 significant digits so float noise such
/// as 12.000000000000002 reads as 12.0 (the plan check allows 1e-6).
fn toml_float(v: f64) -> String {
    let s = round_sig(v, 12);
    if s.contains('.') { s } else { format!("{s}.0") }
}

/// The time-series intervals a written plan chooses from, seconds: the
/// round steps a reader's graph axis takes.
const TS_STEPS: [f64; 14] = [
    1.0, 2.0, 5.0, 10.0, 15.0, 30.0, 60.0, 120.0, 300.0, 600.0, 900.0, 1800.0, 3600.0, 7200.0,
];

/// The most points a written plan's graphs get: about a graph's width
/// in a report, each point still holding a useful count.
const TS_POINTS: f64 = 120.0;

/// The `run.ts_interval` a written plan gets for a run of `duration_s`
/// seconds: the shortest of [`TS_STEPS`] that gives at most 120 points over
/// the run (60 s gets 1 s, 60 points; 10 min 5 s; 1 h 30 s, 120 points;
/// 24 h 15 min), never under 1 s (the recorder's tick).
pub fn ts_interval_for(duration_s: f64) -> f64 {
    TS_STEPS
        .iter()
        .copied()
        .find(|&ts| duration_s / ts <= TS_POINTS)
        .unwrap_or(TS_STEPS[TS_STEPS.len() - 1])
}

fn dur(v: f64) -> String {
    q(&format_duration(v))
}

/// The `min` (and `max`) lines of a random pacing, with the instantaneous
/// rates they give.
fn bounds(o: &mut String, sol: &Solution, min: f64, max: Option<f64>) {
    kv(
        o,
        "min",
        &dur(min),
        &format!(
            "peak instantaneous rate {} TPM",
            round_sig(sol.tpm_instant_max, 4)
        ),
    );
    if let Some(max) = max {
        kv(
            o,
            "max",
            &dur(max),
            &format!(
                "slowest instantaneous rate {} TPM",
                round_sig(sol.tpm_instant_min, 4)
            ),
        );
    }
}

/// The plan file text. `command` is the command line that produced it.
pub fn render(sol: &Solution, unit: RateUnit, command: &str) -> String {
    let mut o = String::new();
    let h = human_duration;
    let _ = writeln!(o, "# pace plan, written by: {command}");
    let _ = writeln!(
        o,
        "# Little's law: users = iteration rate x pacing; pacing = baseline + think{}.",
        if sol.script_think > 0.0 {
            " inside the iteration + wait"
        } else {
            ""
        }
    );
    let _ = writeln!(
        o,
        "# Edit freely: `pace run --check` re-validates the numbers before any traffic."
    );
    if let Some(m) = &sol.measured {
        let _ = writeln!(o, "# Baseline B {}.", m.describe());
    }
    o.push('\n');

    o.push_str("[target]\n");
    let rate = sol.tps * unit.seconds();
    let how = match sol.target_tps {
        Some(_) => "the target you asked for".to_string(),
        None => format!(
            "derived: {} users x {} transactions / {} mean pacing",
            sol.users,
            sol.tx_per_iter,
            h(sol.pacing.mean())
        ),
    };
    kv(&mut o, unit.key(), &toml_float(rate), &how);
    kv(
        &mut o,
        "response_time",
        &dur(sol.rt),
        &match &sol.measured {
            Some(_) => "measured B / transactions_per_iteration (--from)".to_string(),
            None => "assumed average response time of one transaction (--rt)".to_string(),
        },
    );
    kv(
        &mut o,
        "transactions_per_iteration",
        &sol.tx_per_iter.to_string(),
        &format!(
            "baseline = {} x {} = {}",
            sol.tx_per_iter,
            h(sol.rt),
            h(sol.baseline)
        ),
    );
    o.push('\n');

    o.push_str("[run]\n");
    kv(
        &mut o,
        "duration",
        &dur(sol.duration),
        "no iteration starts after it",
    );
    kv(
        &mut o,
        "ramp_up",
        &dur(sol.ramp_up),
        &format!(
            "user i of {} (from 0) is released at i x {} / {}, then waits a random phase",
            sol.users,
            h(sol.ramp_up),
            sol.users
        ),
    );
    let ts = ts_interval_for(sol.duration);
    kv(
        &mut o,
        "ts_interval",
        &dur(ts),
        &format!(
            "time-series bucket of the reports: {} points over the duration",
            (sol.duration / ts).ceil()
        ),
    );
    kv(
        &mut o,
        "grace",
        &q("30s"),
        "in-flight iterations may finish this long after `duration`",
    );
    kv(
        &mut o,
        "results_dir",
        &q("results"),
        "a timestamped folder per run is made inside it",
    );
    o.push_str("# seed = 42                        # makes every random draw reproducible\n");
    o.push_str(
        "# results_database = \"sqlite:///results.db\"   # also store every run there (pace history)\n",
    );
    o.push_str(
        "# post_run = \"./notify.sh\"         # run after the reports, with $PACE_RESULTS_DIR\n",
    );
    o.push_str(
        "# post_run_timeout = \"5m\"           # a post_run still going after this is stopped\n",
    );
    o.push_str("# xml_report = true                # also write JMeter's XML JTL (results.xml)\n");
    o.push('\n');

    o.push_str("[[group]]\n");
    kv(&mut o, "name", &q("user_group-1"), "");
    let users_how = if sol.per_user {
        "one user: no --users or target rate was given".to_string()
    } else {
        format!(
            "{} TPS x {} mean pacing / {} transaction(s) per iteration (minimum with no wait between iterations: {})",
            round_sig(sol.tps, 6),
            h(sol.pacing.mean()),
            sol.tx_per_iter,
            sol.min_users
        )
    };
    kv(&mut o, "users", &sol.users.to_string(), &users_how);
    o.push('\n');

    o.push_str("[group.pacing]\n");
    let mean = sol.pacing.mean();
    let mean_how = if sol.script_think > 0.0 {
        format!(
            "mean start-to-start interval: an iteration of {} ({} at the assumed rt + {} think inside it), then {} of wait",
            h(sol.iteration),
            h(sol.baseline),
            h(sol.script_think),
            h(sol.think)
        )
    } else {
        format!(
            "mean start-to-start interval: an iteration of {} at the assumed rt, then {} of think",
            h(sol.iteration),
            h(sol.think)
        )
    };
    match sol.pacing {
        Pacing::Fixed { interval } => {
            kv(&mut o, "mode", &q("fixed"), "every interval the same");
            kv(&mut o, "interval", &dur(interval), &mean_how);
        }
        Pacing::Uniform { min, max } => {
            kv(
                &mut o,
                "mode",
                &q("uniform"),
                "centred on the mean: a uniform range's mean is its midpoint",
            );
            kv(&mut o, "interval", &dur(mean), &mean_how);
            bounds(&mut o, sol, min, Some(max));
        }
        Pacing::Beta {
            min,
            max,
            alpha,
            beta,
        } => {
            kv(
                &mut o,
                "mode",
                &q("beta"),
                "spans the whole range with the mean at the target",
            );
            kv(&mut o, "interval", &dur(mean), &mean_how);
            bounds(&mut o, sol, min, Some(max));
            kv(
                &mut o,
                "alpha",
                &toml_float(alpha),
                "shape; the mean is min + (max - min) alpha / (alpha + beta)",
            );
            kv(&mut o, "beta", &toml_float(beta), "");
        }
        Pacing::Exponential { min, mean } => {
            kv(
                &mut o,
                "mode",
                &q("exponential"),
                "Poisson-like starts, never closer than `min`",
            );
            kv(&mut o, "interval", &dur(mean), &mean_how);
            bounds(&mut o, sol, min, None);
        }
    }
    kv(
        &mut o,
        "late",
        &q("drift"),
        "an overrunning iteration delays the next start; lost time is not recovered",
    );
    o.push('\n');

    for i in 0..sol.tx_per_iter {
        o.push_str("[[group.step]]\n");
        let name = if sol.tx_per_iter == 1 {
            "home".to_string()
        } else {
            format!("step-{}", i + 1)
        };
        kv(&mut o, "name", &q(&name), "the timer name in every report");
        kv(&mut o, "method", &q("GET"), "");
        kv(
            &mut o,
            "url",
            &q("${BASE_URL:-http://127.0.0.1:8080}/"),
            "placeholder: point it at the system under test",
        );
        kv(&mut o, "timeout", &q("10s"), "");
        if i + 1 == sol.tx_per_iter && sol.script_think > 0.0 {
            kv(
                &mut o,
                "think",
                &dur(sol.script_think),
                "the think time inside the iteration (--think with --iterations)",
            );
        } else {
            kv(
                &mut o,
                "think",
                &q("0s"),
                "think time is absorbed by the start-to-start pacing",
            );
        }
        o.push('\n');
    }

    o.push_str("[acceptance]\n");
    let b = &sol.band;
    let a = &sol.acceptance;
    let (low, high) = a.whole_counts();
    let band_how = format!(
        "band {}-{} TPM ({low}-{high} of {} transactions in the {} steady-state window)",
        round_sig(a.tpm_low, 6),
        round_sig(a.tpm_high, 6),
        round_sig(a.expected, 6),
        h(a.window_s)
    );
    match sol.tolerance {
        Tolerance::Auto => {
            kv(
                &mut o,
                "confidence",
                &format!("{:?}", b.confidence),
                "the statistical band for achieved throughput",
            );
            kv(&mut o, "tolerance", &q("auto"), &band_how);
        }
        Tolerance::Fixed(f, _) => {
            kv(
                &mut o,
                "confidence",
                &format!("{:?}", b.confidence),
                "the chance spread counted into the tolerance below",
            );
            o.push_str(&fixed_tolerance_comment(sol, f));
            kv(&mut o, "tolerance", &q(&tolerance_text(f)), &band_how);
        }
    }
    kv(
        &mut o,
        "error_rate",
        &q(&tolerance_text(ERROR_BUDGET)),
        "FAIL above this share of failed transactions; a healthy run's stray error passes",
    );
    o.push_str("# p95 = \"1s\"                       # latency thresholds: any of p50 p80 p90 p95 p99 max\n");
    o
}

/// The comment above a fixed pacing's tolerance: why it is the share it
/// is, true for this plan (its window, its transactions per iteration).
fn fixed_tolerance_comment(sol: &Solution, f: f64) -> String {
    let b = &sol.band;
    let intervals = round_sig(b.window_s / sol.pacing.mean(), 6);
    let budget = tolerance_text(ERROR_BUDGET);
    let mut o = String::new();
    if b.sd > 0.0 {
        let (low, high) = b.whole_counts();
        let _ = writeln!(
            o,
            "# fixed pacing, but the {} steady-state window is {intervals} intervals: each user's\n\
             # random phase decides whether its last start falls inside, so chance alone spreads\n\
             # the count over {low}-{high} of {} transactions ({}% confidence, tolerance = \"auto\").\n\
             # The tolerance is that spread ({} of the expected count, rounded up) plus {budget}\n\
             # for the failures error_rate allows (a failed transaction is not achieved).",
            human_duration(b.window_s),
            round_sig(b.expected, 6),
            round_sig(b.confidence * 100.0, 4),
            tolerance_text(f - ERROR_BUDGET),
        );
    } else {
        // One failed transaction of a whole iteration's lattice step
        // (tpi transactions, half of it either side) leaves the band.
        let step = sol.tx_per_iter as f64;
        let fails = (step / 2.0).floor() + 1.0;
        let _ = writeln!(
            o,
            "# fixed pacing over a whole number of intervals ({intervals} in the {} steady-state\n\
             # window) makes an exact count: {} transactions. The statistical band (tolerance =\n\
             # \"auto\") is half an iteration ({} transaction(s)) either side of it, so {} failed\n\
             # transaction(s) would fail the throughput. {budget} leaves room for the failures\n\
             # error_rate allows, no more.",
            human_duration(b.window_s),
            round_sig(b.expected, 6),
            round_sig(step / 2.0, 3),
            fails
        );
    }
    o
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn the_interval_gives_a_graph_its_points() {
        // (duration, interval, points)
        for (d, ts) in [
            (10.0, 1.0),
            (60.0, 1.0),
            (120.0, 1.0),
            (121.0, 2.0),
            (600.0, 5.0),
            (1800.0, 15.0),
            (3600.0, 30.0),
            (8.0 * 3600.0, 300.0),
            (24.0 * 3600.0, 900.0),
            (30.0 * 86400.0, 7200.0),
        ] {
            assert_eq!(ts_interval_for(d), ts, "{d} s");
        }
    }

    proptest! {
        /// The shortest round step with at most 120 points: the step
        /// before it would give more.
        #[test]
        fn the_interval_is_the_shortest_round_step(d in 0.001f64..(120.0 * 7200.0)) {
            let ts = ts_interval_for(d);
            let i = TS_STEPS.iter().position(|&s| s == ts).unwrap();
            prop_assert!(d / ts <= TS_POINTS);
            if i > 0 {
                prop_assert!(d / TS_STEPS[i - 1] > TS_POINTS);
            }
        }
    }
}
