//! `pace plan`'s table: every derived number with the formula behind it.

use crate::plan::file::Tolerance;
use crate::plan::solve::{ERROR_BUDGET, tolerance_text};
use crate::plan::{Pacing, Solution};
use crate::units::human_duration as h;
use comfy_table::Cell;

/// Three significant digits, for rates that vary (8.57 TPM, 6.67 TPM).
fn r3(v: f64) -> String {
    super::sig(v, 3)
}

fn r(v: f64) -> String {
    super::sig(v, 6)
}

/// A rate in all three units: `50 TPS = 3000 TPM = 180000 TPH`.
fn rates(tps: f64) -> String {
    format!(
        "{} TPS = {} TPM = {} TPH",
        r(tps),
        r(tps * 60.0),
        r(tps * 3600.0)
    )
}

/// The table; `width` bounds it (callers pass the terminal's, or 120 when
/// the output is not a terminal so that logs stay readable).
pub fn plan_table(sol: &Solution, width: Option<u16>) -> String {
    let mut t = super::table(width, vec!["", "value", "how"]);
    let mut row = |a: &str, b: String, c: String| {
        t.add_row(vec![Cell::new(a), Cell::new(b), Cell::new(c)]);
    };
    let per = if sol.per_user { " (one user)" } else { "" };
    let mean = sol.pacing.mean();
    row(
        "users",
        sol.users.to_string(),
        if sol.per_user {
            "no --users and no target rate: per-user figures".into()
        } else {
            format!(
                "iteration rate x pacing = {} /s x {}",
                r(sol.tps / sol.tx_per_iter as f64),
                h(mean)
            )
        },
    );
    row(
        // With think inside the iteration, B is only its transactions.
        if sol.script_think > 0.0 {
            "baseline (its transactions)"
        } else {
            "baseline (one iteration)"
        },
        h(sol.baseline),
        match &sol.measured {
            Some(m) => m.describe(),
            None => format!(
                "{} transaction(s) x {} response time",
                sol.tx_per_iter,
                h(sol.rt)
            ),
        },
    );
    row(
        "pacing interval (start to start)",
        h(mean),
        match sol.pacing {
            Pacing::Fixed { .. } => "fixed".into(),
            _ => format!("mean of {}", sol.pacing.describe()),
        },
    );
    let assumed = if sol.measured.is_some() {
        "measured"
    } else {
        "assumed"
    };
    // Think inside the iteration (--think with --iterations) is part of
    // it: the user starts again only after it.
    if sol.script_think > 0.0 {
        row(
            "iteration (baseline + think inside)",
            h(sol.iteration),
            format!(
                "{} + {} of think time inside the iteration (the last step's think)",
                h(sol.baseline),
                h(sol.script_think)
            ),
        );
        row(
            "think time (end to start)",
            h(sol.think),
            format!(
                "pacing - iteration = {} - {}, at the {assumed} {} response time",
                h(mean),
                h(sol.iteration),
                h(sol.rt)
            ),
        );
    } else {
        row(
            "think time (end to start)",
            h(sol.think),
            format!(
                "pacing - baseline, at the {assumed} {} response time",
                h(sol.rt)
            ),
        );
    }
    if let Some(b) = &sol.budget {
        row(
            "iteration budget (seed formula)",
            format!("R = {}, P = {}", h(b.residual), h(b.wait)),
            format!(
                "R = D - (T + B) x I = {} - ({} + {}) x {}; pacing wait P = R / I",
                h(sol.duration),
                h(b.think),
                h(sol.baseline),
                r(b.iterations)
            ),
        );
        row(
            "rate per user",
            rates(sol.tx_per_iter as f64 / mean),
            format!("{} transaction(s) every {}", sol.tx_per_iter, h(mean)),
        );
    }
    row(
        "iterations per user per hour",
        r(sol.iterations_per_user_per_hour),
        format!("3600 s / {}", h(mean)),
    );
    row(
        "iterations per hour, all users",
        r(sol.iterations_per_user_per_hour * sol.users as f64),
        format!(
            "{} users x {}",
            sol.users,
            r(sol.iterations_per_user_per_hour)
        ),
    );
    row(
        "iterations per user over the duration",
        r(sol.iterations_per_user_duration),
        format!(
            "{} / {} (a user that runs throughout)",
            h(sol.duration),
            h(mean)
        ),
    );
    row(
        &format!("expected rate, steady state{per}"),
        rates(sol.tps),
        format!("{} users x {} / {}", sol.users, sol.tx_per_iter, h(mean)),
    );
    row(
        &format!("expected rate, whole duration{per}"),
        rates(sol.whole_tps),
        format!(
            "{} incl. a {} ramp-up: {} iterations in all",
            h(sol.duration),
            h(sol.ramp_up),
            r(sol.iterations_total_duration)
        ),
    );
    row(
        "instantaneous rate range",
        format!(
            "{}-{} TPM",
            r3(sol.tpm_instant_min),
            r3(sol.tpm_instant_max)
        ),
        format!(
            "users x transactions x 60 / pacing, for pacing from {} to {}",
            h(sol.pacing.min()),
            h(sol.pacing.max())
        ),
    );
    if let Some(nr) = sol.requested_range.as_ref().filter(|r| r.misses(mean)) {
        row(
            "naive uniform range would give",
            format!("{} TPM", r3(nr.naive_tpm)),
            format!(
                "{}-{} has an arithmetic mean of {}, not {}: the rate follows the mean interval",
                h(nr.min),
                h(nr.max),
                h(nr.naive_mean),
                h(mean)
            ),
        );
    }
    if sol.script_think > 0.0 {
        row(
            "minimum users (no wait)",
            sol.min_users.to_string(),
            format!(
                "iteration rate x iteration = {} /s x {} (its think inside included)",
                r(sol.tps / sol.tx_per_iter as f64),
                h(sol.iteration)
            ),
        );
    } else {
        row(
            "minimum users (zero think)",
            sol.min_users.to_string(),
            format!(
                "rate x baseline = {} /s x {}",
                r(sol.tps / sol.tx_per_iter as f64),
                h(sol.baseline)
            ),
        );
    }
    row(
        "response-time headroom",
        h(sol.rt_headroom),
        if sol.script_think > 0.0 {
            format!(
                "above this rt an iteration ({} think inside it) overruns the shortest pacing interval ({}), starts become late and the rate slips",
                h(sol.script_think),
                h(sol.pacing.min())
            )
        } else {
            format!(
                "above this rt an iteration overruns the shortest pacing interval ({}), starts become late and the rate slips",
                h(sol.pacing.min())
            )
        },
    );
    let b = &sol.band;
    row(
        "steady-state window",
        h(b.window_s),
        "after ramp-up, before the end".into(),
    );
    let statistical = |b: &crate::plan::Band| {
        let (low, high) = b.whole_counts();
        format!(
            "{low}-{high} of {} expected transactions (sd {})",
            r(b.expected),
            r(b.sd)
        )
    };
    let a = &sol.acceptance;
    match sol.tolerance {
        Tolerance::Auto => row(
            &format!("acceptance band ({}%)", r(b.confidence * 100.0)),
            format!("{}-{} TPM", r(a.tpm_low), r(a.tpm_high)),
            statistical(a),
        ),
        Tolerance::Fixed(f, _) => {
            row(
                &format!("chance alone ({}%)", r(b.confidence * 100.0)),
                format!("{}-{} TPM", r(b.tpm_low), r(b.tpm_high)),
                statistical(b),
            );
            let (low, high) = a.whole_counts();
            row(
                &format!("acceptance band (tolerance {})", tolerance_text(f)),
                format!("{}-{} TPM", r(a.tpm_low), r(a.tpm_high)),
                format!(
                    "{low}-{high} of {} expected transactions: {}",
                    r(a.expected),
                    tolerance_why(sol, f)
                ),
            );
        }
    }
    let mut out = t.to_string();
    out.push('\n');
    for n in &sol.notes {
        out.push_str(&format!("note: {n}\n"));
    }
    for w in &sol.warnings {
        out.push_str(&format!("warning: {w}\n"));
    }
    crate::visible::lines(&out).into_owned()
}

/// Why the written plan's fixed tolerance is what it is: the error budget,
/// and the chance spread where the count can vary.
pub fn tolerance_why(sol: &Solution, f: f64) -> String {
    let budget = format!(
        "{} for the failures error_rate allows",
        tolerance_text(ERROR_BUDGET)
    );
    if sol.band.sd > 0.0 {
        format!(
            "{budget} + {} of chance at {}% (the window is {} intervals: each user's random phase decides whether its last start falls inside), rounded up",
            tolerance_text(f - ERROR_BUDGET),
            r(sol.band.confidence * 100.0),
            r(sol.band.window_s / sol.pacing.mean())
        )
    } else {
        format!(
            "{budget}; fixed pacing over whole intervals makes the count exact ({} intervals)",
            r(sol.band.window_s / sol.pacing.mean())
        )
    }
}
