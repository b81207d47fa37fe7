//! `pace capacity --json`: the report as one object, every number
//! unrounded; a number that is not determined is `null`, its reason
//! beside it.

use super::CapacityReport;
use crate::capacity::choice::{self, Chosen};
use crate::capacity::findings::{self, Finding};
use crate::capacity::knee::DEFAULT_SENSITIVITY;
use crate::capacity::usl::Estimate;
use serde_json::{Value, json};

fn num(v: f64) -> Value {
    if v.is_finite() { json!(v) } else { Value::Null }
}

fn opt(v: Option<f64>) -> Value {
    v.map_or(Value::Null, num)
}

fn estimate_json(e: &Estimate) -> Value {
    json!({
        "value": num(e.value),
        "std_error": opt(e.std_error),
        "ci_low": opt(e.interval.map(|i| i.0)),
        "ci_high": opt(e.interval.map(|i| i.1)),
        "at_bound": e.at_bound,
    })
}

fn finding_json(f: &Finding<f64>) -> Value {
    match f {
        Finding::Found(v) => num(*v),
        Finding::NotDetermined(_) => Value::Null,
    }
}

fn runs_json(r: Option<choice::Runs>) -> Value {
    r.map_or(Value::Null, |r| {
        json!({"runs": r.runs, "expected": r.expected, "positive": r.positive,
               "negative": r.negative, "p_value": r.p_value, "systematic": r.systematic()})
    })
}

fn plateau_json(rep: &CapacityReport) -> Value {
    let Some(p) = &rep.plateau else {
        return Value::Null;
    };
    let z = rep.questions.think;
    let d = p.model.cycle_s() - z;
    json!({
        "slope": estimate_json(&p.slope),
        "x_max": estimate_json(&p.ceiling),
        "knee": estimate_json(&p.knee),
        "cycle_s": estimate_json(&p.cycle()),
        "demand_s": if rep.unit.iterations && d > 0.0 { num(d) } else { Value::Null },
        "bottleneck_demand_s": estimate_json(&p.bottleneck_demand()),
        "points": p.points,
        "on_ramp": p.on_ramp,
        "on_flat": p.on_flat,
        "ramp_levels": p.ramp_levels,
        "flat_levels": p.flat_levels,
        "knee_on_level": p.knee_on_level,
        "df": p.df,
        "sse": p.sse,
        "residual_std_error": opt(p.residual_std_error),
        "r_squared": p.r_squared,
    })
}

/// `pace capacity --json`: one object with every number the table shows,
/// unrounded (N in users, X in `unit.x`, R and Z in seconds). A number
/// that is not determined is `null`, its reason in `not_determined`.
pub fn capacity_json(rep: &CapacityReport) -> Value {
    let f = &rep.fit;
    let m = f.model;
    let z = rep.questions.think;
    let mut not_determined = serde_json::Map::new();
    let mut why = |key: &str, f: &Finding<f64>| {
        if let Finding::NotDetermined(w) = f {
            not_determined.insert(key.into(), json!(w));
        }
    };
    let peak_f = findings::peak(f);
    why("peak", &peak_f);
    let ceiling_f = findings::amdahl_ceiling(f);
    why("amdahl_ceiling", &ceiling_f);
    let optimal_f = findings::optimal_load(f);
    why("optimal_load", &optimal_f);
    let regime_f = findings::regime(f);
    let plateau_leads = rep.choice.chosen == Chosen::Plateau;
    if let Finding::NotDetermined(w) = &regime_f
        && !plateau_leads
    {
        not_determined.insert("regime".into(), json!(w));
    }
    let regime = if plateau_leads {
        "saturation"
    } else {
        regime_f.value().map_or("not determined", |r| r.name())
    };
    let peak = peak_f.value().map(|p| {
        json!({
            "n": p,
            "n_floor": p.floor(),
            "x": m.throughput(p),
            "x_at_floor": m.throughput(p.floor().max(1.0)),
            "n_whole": m.peak_whole(),
            "x_at_whole": m.peak_whole().map(|w| m.throughput(w)),
        })
    });
    let optimal = optimal_f
        .value()
        .map(|n| json!({"n": n, "x": m.throughput(n)}));
    let predictions: Vec<Value> = rep
        .questions
        .at
        .iter()
        .map(|&n| {
            let p = rep.predict(n);
            json!({"n": n, "x": finding_json(&p.x), "r_s": finding_json(&p.r),
                   "x_why": p.x.why(), "r_why": p.r.why()})
        })
        .collect();
    let measured: Vec<Value> = rep
        .measured
        .iter()
        .map(|p| {
            json!({
                "n": p.n,
                "x": p.x,
                "r_s": opt(p.r),
                "fitted_x": rep.throughput(p.n),
                "residual": rep.throughput(p.n) - p.x,
                "usl_x": m.throughput(p.n),
                "plateau_x": rep.plateau.as_ref().map(|pl| pl.model.throughput(p.n)),
            })
        })
        .collect();
    let c = &rep.choice;
    json!({
        "input": rep.source,
        "unit": {"x": rep.unit.label, "note": rep.unit.note,
                 "transactions_per_iteration": opt(rep.unit.per_iteration),
                 "iterations": rep.unit.iterations},
        "model": {
            "chosen": c.chosen.name(),
            "systematic_residuals": c.systematic,
            "why": c.why,
            "bic_usl": num(c.bic_usl),
            "bic_plateau": opt(c.bic_plateau),
            "runs_usl": runs_json(c.runs_usl),
            "runs_plateau": runs_json(c.runs_plateau),
        },
        "plateau": plateau_json(rep),
        "plateau_why": rep.plateau_why,
        "points": f.points,
        "levels": f.levels,
        "confidence": f.level,
        "df": f.df,
        "sigma": estimate_json(&f.sigma),
        "kappa": estimate_json(&f.kappa),
        "lambda": estimate_json(&f.lambda),
        "sse": f.sse,
        "residual_std_error": opt(f.residual_std_error),
        "r_squared": f.r_squared,
        "peak": peak,
        "amdahl_ceiling": finding_json(&ceiling_f),
        "optimal_load": optimal,
        "regime": regime,
        "not_determined": not_determined,
        "knee": rep.knee.map(|k| json!({"n": k.n, "x": k.x, "observations": k.count, "method": "kneedle", "sensitivity": DEFAULT_SENSITIVITY})),
        "think_s": z,
        "think_conflict": rep.think_conflict,
        "predictions": predictions,
        "target_x": rep.target_x().map(|(x, n)| json!({"x": x, "n": finding_json(&n), "why": n.why()})),
        "target_r": rep.target_r().map(|(r, n)| json!({"r_s": r, "n": finding_json(&n), "why": n.why(),
            "x": n.value().map(|n| rep.throughput(n))})),
        "measured": measured,
        "warnings": rep.warnings,
    })
}
