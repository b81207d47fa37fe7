//! `pace plan --json`: one object with every number the table shows.

use crate::plan::file::Tolerance;
use crate::plan::solve::tolerance_text;
use crate::plan::{Pacing, Solution};
use serde_json::{Value, json};

/// Infinite values (an exponential's longest interval) become `null`.
fn num(v: f64) -> Value {
    if v.is_finite() { json!(v) } else { Value::Null }
}

pub fn plan_json(sol: &Solution) -> Value {
    let p = &sol.pacing;
    let (alpha, beta) = match *p {
        Pacing::Beta { alpha, beta, .. } => (num(alpha), num(beta)),
        _ => (Value::Null, Value::Null),
    };
    let band = |b: &crate::plan::Band| {
        json!({
            "confidence": b.confidence,
            "window_s": b.window_s,
            "expected_transactions": b.expected,
            "transactions_low": b.count_low,
            "transactions_high": b.count_high,
            "sd_transactions": b.sd,
            "tpm": b.tpm,
            "tpm_low": b.tpm_low,
            "tpm_high": b.tpm_high,
        })
    };
    let tolerance = match sol.tolerance {
        Tolerance::Auto => "auto".to_string(),
        Tolerance::Fixed(f, _) => tolerance_text(f),
    };
    json!({
        "users": sol.users,
        "per_user": sol.per_user,
        "target": sol.target_tps.map(|t| json!({"tps": t, "tpm": t * 60.0, "tph": t * 3600.0})),
        "rt_s": sol.rt,
        "tx_per_iter": sol.tx_per_iter,
        "baseline_s": sol.baseline,
        "think_inside_s": sol.script_think,
        "iteration_s": sol.iteration,
        "think_s": sol.think,
        "pacing": {
            "distribution": p.kind().name(),
            "mean_s": p.mean(),
            "min_s": num(p.min()),
            "max_s": num(p.max()),
            "sd_s": p.variance().sqrt(),
            "alpha": alpha,
            "beta": beta,
        },
        "duration_s": sol.duration,
        "ramp_up_s": sol.ramp_up,
        "min_users": sol.min_users,
        "rt_headroom_s": sol.rt_headroom,
        "iterations_per_user_per_hour": sol.iterations_per_user_per_hour,
        "iterations_per_hour": sol.iterations_per_user_per_hour * sol.users as f64,
        "iterations_per_user_duration": sol.iterations_per_user_duration,
        "iterations_total_duration": sol.iterations_total_duration,
        "expected": {
            "tps": sol.tps,
            "tpm": sol.tps * 60.0,
            "tph": sol.tps * 3600.0,
            "tpm_min": num(sol.tpm_instant_min),
            "tpm_max": num(sol.tpm_instant_max),
            "whole_duration": {
                "tps": sol.whole_tps,
                "tpm": sol.whole_tps * 60.0,
                "tph": sol.whole_tps * 3600.0,
            },
        },
        "naive_range": sol.requested_range.as_ref().map(|r| json!({
            "min_s": r.min, "max_s": r.max, "mean_s": r.naive_mean, "tpm": r.naive_tpm,
        })),
        "iteration_budget": sol.budget.as_ref().map(|bu| json!({
            "iterations": bu.iterations, "think_s": bu.think,
            "residual_s": bu.residual, "wait_s": bu.wait,
            "pacing_s": sol.pacing.mean(),
            "tps_per_user": sol.tx_per_iter as f64 / sol.pacing.mean(),
        })),
        // The band a run of the written plan is judged by, under the
        // tolerance it writes; the statistical band (`"auto"`) beside it.
        "tolerance": tolerance,
        "band": band(&sol.acceptance),
        "statistical_band": band(&sol.band),
        "notes": sol.notes,
        "warnings": sol.warnings,
        "baseline_measured": sol.measured.as_ref().map(|m| serde_json::json!({
            "source": m.source,
            "group": m.group,
            "n": m.b.n,
            "mean_s": m.b.mean,
            "sd_s": m.b.sd,
            "low_s": m.b.low,
            "high_s": m.b.high,
            "confidence": m.b.confidence,
        })),
    })
}
