//! `pace capacity`'s table and JSON: a fitted USL, its uncertainty and
//! what it predicts. Both render one [`CapacityReport`], so the table and
//! `--json` always show the same numbers.

use crate::capacity::knee::{DEFAULT_SENSITIVITY, kneedle};
use crate::capacity::usl::{Estimate, Fit, RECOMMENDED_POINTS, Regime};
use crate::units::{human_duration as h, round_sig};
use comfy_table::Cell;
use serde_json::{Value, json};

/// One measured load level.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Measured {
    /// Concurrency N (> 0).
    pub n: f64,
    /// Throughput X (> 0), in the input's unit.
    pub x: f64,
    /// Measured response time R in seconds, when the input has it.
    pub r: Option<f64>,
}

/// What the user asked for beyond the fit.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Questions {
    /// `--at N`: concurrencies to predict X and R at.
    pub at: Vec<f64>,
    /// `--target-x`: the throughput to reach.
    pub target_x: Option<f64>,
    /// `--target-r`: the response time (s) not to exceed.
    pub target_r: Option<f64>,
    /// `--think`: think time Z (s) of the closed system, 0 by default.
    pub think: f64,
}

/// The fit and every number derived from it.
#[derive(Debug, Clone)]
pub struct CapacityReport {
    /// Where the points came from (printed as is).
    pub source: String,
    /// The measured points, sorted by N.
    pub measured: Vec<Measured>,
    /// The fit.
    pub fit: Fit,
    /// The Kneedle knee of the measured X(N), as (N, X).
    pub knee: Option<(f64, f64)>,
    /// The questions asked.
    pub questions: Questions,
    /// Caveats about the data or the fit.
    pub warnings: Vec<String>,
}

impl CapacityReport {
    /// Builds the report; `measured` must be sorted by N and be the points
    /// `fit` was made from.
    pub fn new(source: String, measured: Vec<Measured>, fit: Fit, questions: Questions) -> Self {
        let n: Vec<f64> = measured.iter().map(|m| m.n).collect();
        let x: Vec<f64> = measured.iter().map(|m| m.x).collect();
        let knee = kneedle(&n, &x, DEFAULT_SENSITIVITY)
            .ok()
            .flatten()
            .map(|i| (n[i], x[i]));
        let mut warnings = Vec::new();
        if measured.len() < RECOMMENDED_POINTS {
            warnings.push(format!(
                "only {} load levels: fit the USL to at least {RECOMMENDED_POINTS} (codahale/usl, the usl R package); the numbers are fragile",
                measured.len()
            ));
        }
        let n_max = n.last().copied().unwrap_or(0.0);
        if n.first().is_some_and(|&n0| n0 > 1.0) {
            warnings
                .push("no measurement at N = 1: λ (one user's throughput) is extrapolated".into());
        }
        if fit.sigma.at_bound {
            warnings.push("σ is held at its bound 0: the data scale at least linearly at low load, so it has no standard error".into());
        }
        if fit.kappa.at_bound {
            warnings.push("κ is held at its bound 0: no retrograde region was measured, so there is no peak and κ has no standard error".into());
        }
        if let Some(p) = fit.model.peak_concurrency()
            && p > n_max
        {
            warnings.push(format!(
                "the peak N* = {} lies beyond the largest measured N = {}: it is extrapolated",
                round_sig(p, 4),
                round_sig(n_max, 6)
            ));
        }
        // R = N/X − Z (interactive response-time law) is negative when Z is
        // longer than a user's whole cycle N/X: Z or X's unit is wrong.
        let z = questions.think;
        if z > 0.0
            && let Some(m) = measured.iter().find(|m| m.n / m.x < z)
        {
            warnings.push(format!(
                "--think {} is longer than a user's whole cycle N/X = {} at the measured N = {}: R = N/X − Z would be negative, so Z or X's unit (per second) is wrong",
                crate::units::secs(z),
                crate::units::secs(m.n / m.x),
                round_sig(m.n, 6)
            ));
        }
        CapacityReport {
            source,
            measured,
            fit,
            knee,
            questions,
            warnings,
        }
    }

    /// The N meeting `--target-x`, when asked: (target, N or None).
    fn target_x(&self) -> Option<(f64, Option<f64>)> {
        self.questions
            .target_x
            .map(|x| (x, self.fit.model.concurrency_for_throughput(x)))
    }

    /// The N meeting `--target-r`, when asked: (target, N or None).
    fn target_r(&self) -> Option<(f64, Option<f64>)> {
        self.questions.target_r.map(|r| {
            (
                r,
                self.fit
                    .model
                    .concurrency_for_response_time(r, self.questions.think),
            )
        })
    }
}

fn num(v: f64) -> Value {
    if v.is_finite() { json!(v) } else { Value::Null }
}

fn opt(v: Option<f64>) -> Value {
    v.map_or(Value::Null, num)
}

fn estimate_json(e: &Estimate) -> Value {
    json!({
        "value": e.value,
        "std_error": opt(e.std_error),
        "ci_low": opt(e.interval.map(|i| i.0)),
        "ci_high": opt(e.interval.map(|i| i.1)),
        "at_bound": e.at_bound,
    })
}

/// `pace capacity --json`: one object with every number the table shows,
/// unrounded (N in users, X in the input's unit, R and Z in seconds).
pub fn capacity_json(rep: &CapacityReport) -> Value {
    let f = &rep.fit;
    let m = f.model;
    let z = rep.questions.think;
    let peak = m.peak_concurrency().map(|p| {
        json!({
            "n": p,
            "n_floor": p.floor(),
            "x": m.throughput(p),
            "x_at_floor": m.throughput(p.floor().max(1.0)),
            "n_whole": m.peak_whole(),
            "x_at_whole": m.peak_whole().map(|w| m.throughput(w)),
        })
    });
    let optimal = m
        .optimal_load()
        .map(|n| json!({"n": n, "x": m.throughput(n)}));
    let predictions: Vec<Value> = rep
        .questions
        .at
        .iter()
        .map(|&n| json!({"n": n, "x": num(m.throughput(n)), "r_s": num(m.response_time(n, z))}))
        .collect();
    let measured: Vec<Value> = rep
        .measured
        .iter()
        .map(|p| {
            json!({
                "n": p.n,
                "x": p.x,
                "r_s": opt(p.r),
                "fitted_x": m.throughput(p.n),
                "residual": m.throughput(p.n) - p.x,
            })
        })
        .collect();
    json!({
        "input": rep.source,
        "points": f.points,
        "confidence": f.level,
        "df": f.df,
        "sigma": estimate_json(&f.sigma),
        "kappa": estimate_json(&f.kappa),
        "lambda": estimate_json(&f.lambda),
        "sse": f.sse,
        "residual_std_error": opt(f.residual_std_error),
        "r_squared": f.r_squared,
        "peak": peak,
        "amdahl_ceiling": opt(m.amdahl_ceiling()),
        "optimal_load": optimal,
        "regime": m.regime().name(),
        "knee": rep.knee.map(|(n, x)| json!({"n": n, "x": x, "method": "kneedle", "sensitivity": DEFAULT_SENSITIVITY})),
        "think_s": z,
        "predictions": predictions,
        "target_x": rep.target_x().map(|(x, n)| json!({"x": x, "n": opt(n)})),
        "target_r": rep.target_r().map(|(r, n)| json!({"r_s": r, "n": opt(n), "x": opt(n.map(|n| m.throughput(n)))})),
        "measured": measured,
        "warnings": rep.warnings,
    })
}

/// Six significant digits: enough to compare with published fits.
fn r6(v: f64) -> String {
    super::sig(v, 6)
}

/// Four significant digits, for standard errors and intervals.
fn r4(v: f64) -> String {
    super::sig(v, 4)
}

/// How a coefficient's uncertainty reads in the table.
fn uncertainty(e: &Estimate, level: f64) -> String {
    if e.at_bound {
        return "held at its bound 0".into();
    }
    match (e.std_error, e.interval) {
        (Some(se), Some((lo, hi))) => format!(
            "std error {}; {}% interval {} to {}",
            r4(se),
            r6(level * 100.0),
            r4(lo),
            r4(hi)
        ),
        _ => "no std error (3 points leave no degrees of freedom)".into(),
    }
}

/// The table's rows, (quantity, value, how): the console table and the
/// HTML page show the same.
pub fn capacity_rows(rep: &CapacityReport) -> Vec<[String; 3]> {
    let f = &rep.fit;
    let m = f.model;
    let z = rep.questions.think;
    let mut rows: Vec<[String; 3]> = Vec::new();
    let mut row = |a: &str, b: String, c: String| {
        rows.push([a.to_string(), b, c]);
    };
    let (lo, hi) = (
        rep.measured.first().map_or(0.0, |p| p.n),
        rep.measured.last().map_or(0.0, |p| p.n),
    );
    row(
        "load levels",
        f.points.to_string(),
        format!("N from {} to {} in {}", r6(lo), r6(hi), rep.source),
    );
    row("σ contention", r6(m.sigma), uncertainty(&f.sigma, f.level));
    row("κ coherency", r6(m.kappa), uncertainty(&f.kappa, f.level));
    row(
        "λ one user's X",
        r6(m.lambda),
        uncertainty(&f.lambda, f.level),
    );
    row(
        "residual std error",
        f.residual_std_error.map_or("none".into(), r4),
        format!("√(SSE/(n−3)) on {} degrees of freedom", f.df),
    );
    row("R²", r4(f.r_squared), "1 − SSE/SST".into());
    match m.peak_concurrency() {
        Some(p) => {
            row(
                "peak concurrency N*",
                r4(p),
                format!("√((1−σ)/κ); whole users: {}", p.floor()),
            );
            row("peak throughput X(N*)", r6(m.throughput(p)), {
                let lo = p.floor().max(1.0);
                let w = m.peak_whole().unwrap_or(lo);
                // A difference the table's six digits cannot show is none.
                if w == lo || m.throughput(w) < m.throughput(lo) * (1.0 + 1e-6) {
                    format!("X({lo}) = {}", r6(m.throughput(lo)))
                } else {
                    format!(
                        "X({lo}) = {} (⌊N*⌋, Gunther's N_max); X({w}) = {} is higher",
                        r6(m.throughput(lo)),
                        r6(m.throughput(w))
                    )
                }
            });
        }
        None => row(
            "peak concurrency N*",
            "none".into(),
            "κ = 0: X rises for ever towards λ/σ".into(),
        ),
    }
    row(
        "Amdahl ceiling λ/σ",
        m.amdahl_ceiling().map_or("unbounded".into(), r6),
        "the X that κ = 0 would approach".into(),
    );
    if let Some(o) = m.optimal_load() {
        row(
            "optimal load 1/σ",
            r4(o),
            format!(
                "X there {}; below it capacity is underused",
                r6(m.throughput(o))
            ),
        );
    }
    row(
        "regime",
        m.regime().name().into(),
        match m.regime() {
            Regime::Contention => "σ > κ: queueing for a shared resource limits scaling",
            Regime::Coherency => "κ ≥ σ: keeping workers consistent limits scaling",
            Regime::Limitless => "κ = 0: no retrograde region",
        }
        .into(),
    );
    row(
        "knee of the measured X(N)",
        rep.knee
            .map_or("none".into(), |(n, _)| format!("N = {}", r6(n))),
        match rep.knee {
            Some((_, x)) => format!("X = {}; Kneedle, offline, S = 1", r6(x)),
            None => "Kneedle, offline, S = 1: no knee".into(),
        },
    );
    let think = if z > 0.0 {
        format!("N/X − Z, Z = {}", h(z))
    } else {
        "N/X (no think time)".into()
    };
    for &n in &rep.questions.at {
        row(
            &format!("X at N = {}", r6(n)),
            r6(m.throughput(n)),
            "λN/(1 + σ(N−1) + κN(N−1))".into(),
        );
        row(
            &format!("R at N = {}", r6(n)),
            h(m.response_time(n, z)),
            think.clone(),
        );
    }
    if let Some((x, n)) = rep.target_x() {
        row(
            &format!("N for X = {}", r6(x)),
            n.map_or("not reachable".into(), r4),
            match n {
                Some(_) => "smallest N with X(N) = target".into(),
                None => "above the fitted peak throughput".into(),
            },
        );
    }
    if let Some((r, n)) = rep.target_r() {
        row(
            &format!("N for R = {}", h(r)),
            n.map_or("not reachable".into(), r4),
            match n {
                Some(n) => format!("X there {}; {think}", r6(m.throughput(n))),
                None => "below the single-user response time".into(),
            },
        );
    }
    rows
}

/// The table; `width` bounds it as in `pace plan`.
pub fn capacity_table(rep: &CapacityReport, width: Option<u16>) -> String {
    let mut t = super::table(width, vec!["", "value", "how"]);
    for [a, b, c] in capacity_rows(rep) {
        t.add_row(vec![Cell::new(a), Cell::new(b), Cell::new(c)]);
    }
    let mut out = t.to_string();
    out.push('\n');
    for w in &rep.warnings {
        out.push_str(&format!("warning: {w}\n"));
    }
    out
}
