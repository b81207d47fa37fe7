//! The rows of `pace capacity`'s table (the console and the HTML page
//! show the same): the model the data support first, with why, then its
//! numbers, then the other model's for comparison, then the answers.

use super::{CapacityReport, Finding};
use crate::capacity::choice::Chosen;
use crate::capacity::findings;
use crate::capacity::usl::{Estimate, Regime};
use crate::units::human_duration as h;
use comfy_table::Cell;

/// Six significant digits: enough to compare with published fits.
fn r6(v: f64) -> String {
    sig(v, 6)
}

/// Four significant digits, for standard errors and intervals.
fn r4(v: f64) -> String {
    sig(v, 4)
}

/// `digits` significant digits, in scientific notation when a plain one
/// would be a row of zeros (below 1e-6) or of digits (1e12 and above).
fn sig(v: f64, digits: i32) -> String {
    let a = v.abs();
    if v.is_finite() && a != 0.0 && !(1e-6..1e12).contains(&a) {
        format!("{:.*e}", (digits - 1).max(0) as usize, v)
    } else {
        crate::output::sig(v, digits)
    }
}

fn pct(level: f64) -> String {
    r6(level * 100.0)
}

/// How a coefficient's uncertainty reads in the table; `df` the fit's
/// residual degrees of freedom, to name why a standard error is missing.
fn uncertainty(e: &Estimate, level: f64, df: usize) -> String {
    if e.at_bound {
        return "held at its bound 0".into();
    }
    match (e.std_error, e.interval) {
        (Some(se), Some((lo, hi))) => format!(
            "std error {}; {}% interval {} to {}",
            r4(se),
            pct(level),
            r4(lo),
            r4(hi)
        ),
        _ if df == 0 => "no std error (as many coefficients as points: no residual degrees of freedom)".into(),
        _ => "no std error: the fit is singular there (the coefficients cannot be told apart from these points)".into(),
    }
}

/// An interval in seconds.
fn interval_s(e: &Estimate, level: f64) -> String {
    match e.interval {
        Some((lo, hi)) => format!("{}% interval {} to {}", pct(level), h(lo.max(0.0)), h(hi)),
        None => "no interval".into(),
    }
}

fn interval(e: &Estimate, level: f64) -> String {
    match e.interval {
        Some((lo, hi)) => format!("{}% interval {} to {}", pct(level), r4(lo), r4(hi)),
        None => "no interval (no residual degrees of freedom)".into(),
    }
}

type Rows = Vec<[String; 3]>;

/// Rows whose labels carry a prefix ("USL: ").
struct Prefixed<'a> {
    rows: &'a mut Rows,
    prefix: &'static str,
}

impl Prefixed<'_> {
    fn push(&mut self, a: &str, b: String, c: String) {
        self.rows.push([format!("{}{a}", self.prefix), b, c]);
    }
}

fn push(rows: &mut Rows, a: &str, b: String, c: String) {
    rows.push([a.to_string(), b, c]);
}

/// "3 level(s)", or "3 level(s), 9 observations" when an N was run
/// several times.
fn levels(levels: usize, observations: usize) -> String {
    if observations > levels {
        format!("{levels} level(s), {observations} observations")
    } else {
        format!("{levels} level(s)")
    }
}

/// The plateau's rows, when it is the chosen model.
fn plateau_rows(rep: &CapacityReport, rows: &mut Rows) {
    let Some(p) = rep.chosen_plateau() else {
        return;
    };
    let level = p.level;
    let unit = &rep.unit;
    let what = if unit.iterations { "iteration" } else { "job" };
    let on_level = if p.knee_on_level {
        " (the knee sits on a measured level: the intervals leave it out of both sums)"
    } else {
        ""
    };
    push(
        rows,
        "knee N*",
        r4(p.knee.value),
        format!(
            "(D+Z)/D_max = X_max ÷ one user's X; {}{on_level}",
            interval(&p.knee, level)
        ),
    );
    push(
        rows,
        "asymptotic bound X_max",
        unit.show(p.model.ceiling),
        format!(
            "1/D_max: the flat, from {}; {}",
            levels(p.flat_levels, p.on_flat),
            interval(&p.ceiling, level)
        ),
    );
    push(
        rows,
        "one user's X",
        unit.show(p.model.slope),
        format!(
            "1/(D+Z): the rise, from {}; {}",
            levels(p.ramp_levels, p.on_ramp),
            interval(&p.slope, level)
        ),
    );
    push(
        rows,
        "cycle D + Z",
        h(p.model.cycle_s()),
        format!(
            "one user alone: the {what}'s response time plus think time; {}",
            interval_s(&p.cycle(), level)
        ),
    );
    let z = rep.questions.think;
    if z > 0.0 {
        let d = p.model.cycle_s() - z;
        match &rep.think_conflict {
            None if d >= 0.0 => push(
                rows,
                "response time alone D",
                h(d),
                format!(
                    "D + Z − Z, Z = {}: the {what} with no one else in the system",
                    h(z)
                ),
            ),
            Some(why) => push(
                rows,
                "response time alone D",
                "not determined".into(),
                why.clone(),
            ),
            None => push(
                rows,
                "response time alone D",
                "not determined".into(),
                format!("--think {} is longer than the cycle D + Z", h(z)),
            ),
        }
    }
    push(
        rows,
        "bottleneck demand D_max",
        h(p.model.bottleneck_demand_s()),
        format!(
            "1/X_max: the busiest resource's time per {what}; {}",
            interval_s(&p.bottleneck_demand(), level)
        ),
    );
    push(
        rows,
        "residual std error",
        p.residual_std_error.map_or("none".into(), r4),
        format!(
            "√(SSE/(n−2)) on {} degrees of freedom; R² {}",
            p.df,
            r4(p.r_squared)
        ),
    );
    push(
        rows,
        "regime",
        "saturation".into(),
        "a hard ceiling, the asymptotic bound, limits throughput: past the knee every extra user only waits (R grows by D_max each)".into(),
    );
}

/// The USL's rows: coefficients, then the findings the intervals allow.
fn usl_rows(rep: &CapacityReport, rows: &mut Rows) {
    let f = &rep.fit;
    let m = f.model;
    // When the plateau leads, every USL row says whose it is.
    let chosen = rep.choice.chosen == Chosen::Usl;
    let mut rows = Prefixed {
        rows,
        prefix: if chosen { "" } else { "USL: " },
    };
    let rows = &mut rows;
    rows.push(
        "σ contention",
        r6(m.sigma),
        uncertainty(&f.sigma, f.level, f.df),
    );
    rows.push(
        "κ coherency",
        r6(m.kappa),
        uncertainty(&f.kappa, f.level, f.df),
    );
    rows.push(
        "λ one user's X",
        r6(m.lambda),
        uncertainty(&f.lambda, f.level, f.df),
    );
    rows.push(
        "residual std error",
        f.residual_std_error.map_or("none".into(), r4),
        format!(
            "√(SSE/(n−3)) on {} degrees of freedom; R² {}",
            f.df,
            r4(f.r_squared)
        ),
    );
    match findings::peak(f) {
        Finding::Found(p) => {
            rows.push(
                "peak concurrency N*",
                r4(p),
                format!("√((1−σ)/κ); whole users: {}", p.floor()),
            );
            rows.push("peak throughput X(N*)", r6(m.throughput(p)), {
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
        Finding::NotDetermined(why) => {
            rows.push("peak concurrency N*", "not determined".into(), why)
        }
    }
    match findings::amdahl_ceiling(f) {
        Finding::Found(c) => rows.push(
            "Amdahl ceiling λ/σ",
            r6(c),
            "the X that κ = 0 would approach".into(),
        ),
        Finding::NotDetermined(why) => {
            rows.push("Amdahl ceiling λ/σ", "not determined".into(), why)
        }
    }
    if let Finding::Found(o) = findings::optimal_load(f) {
        rows.push(
            "optimal load 1/σ",
            r4(o),
            format!(
                "X there {}; below it capacity is underused",
                r6(m.throughput(o))
            ),
        );
    }
    if !chosen {
        // The plateau's rows state the regime (saturation).
        return;
    }
    match findings::regime(f) {
        Finding::Found(r) => rows.push(
            "regime",
            r.name().into(),
            match r {
                Regime::Contention => "σ's interval excludes 0 and σ > κ: queueing for a shared resource limits scaling",
                Regime::Coherency => "κ's interval excludes 0 and κ ≥ σ (or σ's includes 0): keeping workers consistent limits scaling",
                Regime::Limitless => "κ = 0: no retrograde region",
            }
            .into(),
        ),
        Finding::NotDetermined(why) => rows.push("regime", "not determined".into(), why),
    }
}

/// One row summing up the model that was not chosen.
fn other_row(rep: &CapacityReport, rows: &mut Rows) {
    let c = &rep.choice;
    let bic = |v: Option<f64>| v.map_or("undefined".into(), r4);
    match c.chosen {
        Chosen::Usl => match &rep.plateau {
            Some(p) => push(
                rows,
                "plateau model, not chosen",
                format!("knee {}, X_max {}", r4(p.knee.value), r6(p.model.ceiling)),
                format!(
                    "X = min(N/(D+Z), 1/D_max); BIC {} against the USL's {}; residual std error {}{}",
                    bic(c.bic_plateau),
                    bic(Some(c.bic_usl)),
                    p.residual_std_error.map_or("none".into(), r4),
                    if p.flat_levels < crate::capacity::choice::MIN_FLAT_LEVELS {
                        format!(
                            "; not a candidate: its flat rests on {} level(s), a ceiling needs at least {}",
                            p.flat_levels,
                            crate::capacity::choice::MIN_FLAT_LEVELS
                        )
                    } else {
                        String::new()
                    }
                ),
            ),
            None => push(
                rows,
                "plateau model, not chosen",
                "none".into(),
                rep.plateau_why.clone().unwrap_or_default(),
            ),
        },
        Chosen::Plateau => push(
            rows,
            "the USL, not chosen",
            format!("R² {}", r4(rep.fit.r_squared)),
            format!(
                "X(N) = λN/(1 + σ(N−1) + κN(N−1)) for comparison: BIC {} against the plateau's {}",
                bic(Some(c.bic_usl)),
                bic(c.bic_plateau)
            ),
        ),
    }
}

/// The table's rows, (quantity, value, how): the console table and the
/// HTML page show the same.
pub fn capacity_rows(rep: &CapacityReport) -> Vec<[String; 3]> {
    let mut rows: Rows = Vec::new();
    let c = &rep.choice;
    let model = match (c.chosen, c.systematic) {
        (Chosen::Plateau, false) => "plateau (bounded)",
        (Chosen::Plateau, true) => "plateau, residuals systematic",
        (Chosen::Usl, false) => "USL",
        (Chosen::Usl, true) => "USL, residuals systematic",
    };
    push(&mut rows, "model", model.into(), c.why.join("; "));
    let (lo, hi) = (
        rep.measured.first().map_or(0.0, |p| p.n),
        rep.measured.last().map_or(0.0, |p| p.n),
    );
    let f = &rep.fit;
    let runs = if f.points > f.levels {
        format!(
            "; {} observations, an N run several times giving one each (all fitted: degrees of freedom count observations)",
            f.points
        )
    } else {
        String::new()
    };
    push(
        &mut rows,
        "load levels",
        f.levels.to_string(),
        format!("N from {} to {} in {}{runs}", r6(lo), r6(hi), rep.source),
    );
    push(
        &mut rows,
        "X counts",
        rep.unit.label.clone(),
        rep.unit.note.clone(),
    );
    match c.chosen {
        Chosen::Plateau => {
            plateau_rows(rep, &mut rows);
            other_row(rep, &mut rows);
            usl_rows(rep, &mut rows);
        }
        Chosen::Usl => {
            usl_rows(rep, &mut rows);
            other_row(rep, &mut rows);
        }
    }
    push(
        &mut rows,
        "knee of the measured X(N)",
        rep.knee
            .map_or("none".into(), |k| format!("N = {}", r6(k.n))),
        match rep.knee {
            Some(k) if k.count > 1 => format!(
                "X = {}, the mean of its {} observations; Kneedle, offline, S = 1, on each level's mean X",
                r6(k.x),
                k.count
            ),
            Some(k) if rep.fit.points > rep.fit.levels => format!(
                "X = {}; Kneedle, offline, S = 1, on each level's mean X",
                r6(k.x)
            ),
            Some(k) => format!("X = {}; Kneedle, offline, S = 1", r6(k.x)),
            None => "Kneedle, offline, S = 1: no knee".into(),
        },
    );
    question_rows(rep, &mut rows);
    rows
}

/// `--at`, `--target-x` and `--target-r`, from the chosen model.
fn question_rows(rep: &CapacityReport, rows: &mut Rows) {
    let z = rep.questions.think;
    let think = if z > 0.0 {
        format!("N/X − Z, Z = {}", h(z))
    } else {
        "N/X (no think time)".into()
    };
    let formula = match rep.chosen_plateau() {
        Some(_) => "plateau: min(N/(D+Z), 1/D_max)",
        None => "USL: λN/(1 + σ(N−1) + κN(N−1))",
    };
    for &n in &rep.questions.at {
        let p = rep.predict(n);
        match p.x {
            Finding::Found(x) => push(
                rows,
                &format!("X at N = {}", r6(n)),
                rep.unit.show(x),
                formula.into(),
            ),
            Finding::NotDetermined(why) => push(
                rows,
                &format!("X at N = {}", r6(n)),
                "not determined".into(),
                why,
            ),
        }
        match p.r {
            Finding::Found(r) => push(rows, &format!("R at N = {}", r6(n)), h(r), think.clone()),
            Finding::NotDetermined(why) => push(
                rows,
                &format!("R at N = {}", r6(n)),
                "not determined".into(),
                why,
            ),
        }
    }
    if let Some((x, n)) = rep.target_x() {
        let label = format!("N for X = {}", r6(x));
        match n {
            Finding::Found(n) => push(rows, &label, r4(n), "smallest N with X(N) = target".into()),
            Finding::NotDetermined(why) => push(rows, &label, "not reachable".into(), why),
        }
    }
    if let Some((r, n)) = rep.target_r() {
        let label = format!("N for R = {}", h(r));
        match n {
            Finding::Found(n) => push(
                rows,
                &label,
                r4(n),
                format!("X there {}; {think}", r6(rep.throughput(n))),
            ),
            Finding::NotDetermined(why) => push(
                rows,
                &label,
                if rep.think_conflict.is_some() {
                    "not determined".into()
                } else {
                    "not reachable".into()
                },
                why,
            ),
        }
    }
}

/// The table; `width` bounds it as in `pace plan`.
pub fn capacity_table(rep: &CapacityReport, width: Option<u16>) -> String {
    let mut t = crate::output::table(width, vec!["", "value", "how"]);
    for [a, b, c] in capacity_rows(rep) {
        t.add_row(vec![Cell::new(a), Cell::new(b), Cell::new(c)]);
    }
    let mut out = t.to_string();
    out.push('\n');
    for w in &rep.warnings {
        out.push_str(&format!("warning: {w}\n"));
    }
    crate::visible::lines(&out).into_owned()
}
