//! Which model the measured X(N) supports: the USL (a smooth curve that
//! may peak and fall) or the plateau (a straight rise to a hard ceiling),
//! and whether the residuals of the one reported show a pattern it
//! misses. Pure arithmetic, no I/O.
//!
//! Two tests, each with its source:
//!
//! - **BIC**, the Schwarz criterion (Schwarz, "Estimating the dimension
//!   of a model", Annals of Statistics 6(2), 1978): for least squares
//!   with Gaussian errors, BIC = n·ln(SSE/n) + K·ln n, K the coefficients
//!   plus one for the residual variance (USL: 4, plateau: 3). It charges
//!   the USL for its third coefficient. A difference above 2 is "positive
//!   evidence" (Kass & Raftery, "Bayes factors", JASA 90(430), 1995,
//!   §3.2). AICc (Hurvich & Tsai 1989) was tried first and rejected: at 6
//!   levels its small-sample term 2K(K+1)/(n−K−1) is 40 for the USL
//!   against 12 for the plateau, and noisy data from Gunther's own USL
//!   check were reported as a plateau 92 % of the time (the seeded
//!   simulation in the tests); BIC chose right in 100 % there and in
//!   ≥ 96 % of every other case simulated.
//! - **The runs test** on the signs of the residuals in N order
//!   (Wald & Wolfowitz 1940; exact distribution of Swed & Eisenhart,
//!   Ann. Math. Stat. 14, 1943): a model that misses the data's shape
//!   leaves long runs of residuals of one sign (above the data, then
//!   below, then above), far fewer runs than chance gives. One-sided,
//!   too few runs.

use statrs::function::factorial::ln_binomial;

/// The significance level of the runs test and of every interval-based
/// finding: 5 %, two-sided intervals at 95 %.
pub const ALPHA: f64 = 0.05;

/// The BIC difference above which one model is preferred (Kass &
/// Raftery 1995, §3.2: 2 to 6 is "positive" evidence).
pub const BIC_MARGIN: f64 = 2.0;

/// The fewest levels at or past the knee from which the plateau may be
/// the reported model: a ceiling stated from a single level is that
/// level's noise.
pub const MIN_FLAT_LEVELS: usize = 2;

/// BIC of a least-squares fit of `n` points with `p` coefficients:
/// n·ln(SSE/n) + K·ln n with K = p + 1 (the residual variance is
/// estimated too). An SSE of 0 (exact data) is floored at `floor`, so
/// that two exact fits compare equal rather than as −∞.
pub fn bic(sse: f64, n: usize, p: usize, floor: f64) -> f64 {
    let k = (p + 1) as f64;
    let nf = n as f64;
    let sse = sse.max(floor).max(f64::MIN_POSITIVE);
    nf * (sse / nf).ln() + k * nf.ln()
}

/// The runs test on residual signs.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Runs {
    /// Runs of one sign, in N order (zero residuals left out).
    pub runs: usize,
    /// Positive residuals.
    pub positive: usize,
    /// Negative residuals.
    pub negative: usize,
    /// The runs chance gives on average, 1 + 2·n₊·n₋/n.
    pub expected: f64,
    /// P(runs ≤ observed) under random signs: small means systematic.
    pub p_value: f64,
}

impl Runs {
    /// Too few runs at [`ALPHA`].
    pub fn systematic(&self) -> bool {
        self.p_value < ALPHA
    }
}

/// The exact probability of exactly `r` runs among `n1` of one sign and
/// `n2` of the other, all orders equally likely (Swed & Eisenhart 1943):
/// r = 2k: 2·C(n1−1, k−1)·C(n2−1, k−1)/C(n, n1);
/// r = 2k+1: (C(n1−1, k−1)·C(n2−1, k) + C(n1−1, k)·C(n2−1, k−1))/C(n, n1).
fn runs_pmf(r: usize, n1: usize, n2: usize) -> f64 {
    // ln C(a, b), or None where C(a, b) = 0.
    let lc = |a: usize, b: isize| -> Option<f64> {
        (b >= 0 && b as usize <= a).then(|| ln_binomial(a as u64, b as u64))
    };
    let total = ln_binomial((n1 + n2) as u64, n1 as u64);
    let k = (r / 2) as isize;
    // All in logs: C(n, n1) and the ways overflow f64 past n ≈ 1030.
    let terms: Vec<f64> = if r.is_multiple_of(2) {
        lc(n1 - 1, k - 1)
            .zip(lc(n2 - 1, k - 1))
            .map(|(a, b)| std::f64::consts::LN_2 + a + b)
            .into_iter()
            .collect()
    } else {
        [
            lc(n1 - 1, k - 1).zip(lc(n2 - 1, k)),
            lc(n1 - 1, k).zip(lc(n2 - 1, k - 1)),
        ]
        .into_iter()
        .flatten()
        .map(|(a, b)| a + b)
        .collect()
    };
    terms.iter().map(|t| (t - total).exp()).sum()
}

/// The runs test of `residuals` (already in N order). `None` when one
/// sign is missing: no runs can be counted.
pub fn runs_test(residuals: &[f64]) -> Option<Runs> {
    // A residual within rounding of 0 has no sign; it is left out.
    let scale = residuals.iter().fold(0.0f64, |m, r| m.max(r.abs()));
    let signs: Vec<bool> = residuals
        .iter()
        .filter(|r| r.abs() > 1e-12 * scale)
        .map(|&r| r > 0.0)
        .collect();
    let positive = signs.iter().filter(|&&s| s).count();
    let negative = signs.len() - positive;
    if positive == 0 || negative == 0 {
        return None;
    }
    let runs = 1 + signs.windows(2).filter(|w| w[0] != w[1]).count();
    let n = signs.len() as f64;
    let expected = 1.0 + 2.0 * positive as f64 * negative as f64 / n;
    // Past a few thousand points the pmf's binomials lose no accuracy in
    // logs, but the sum is long; it is still O(n) and bounded by 2n.
    let p_value: f64 = (2..=runs)
        .map(|r| runs_pmf(r, positive, negative))
        .sum::<f64>()
        .min(1.0);
    Some(Runs {
        runs,
        positive,
        negative,
        expected,
        p_value,
    })
}

/// The model the output leads with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Chosen {
    /// The USL: the plateau does not fit better.
    Usl,
    /// The plateau: it fits better (BIC), or the USL's residuals are
    /// systematic and the plateau's are not while it fits about as well.
    Plateau,
}

impl Chosen {
    /// The word the table and JSON print.
    pub fn name(self) -> &'static str {
        match self {
            Chosen::Usl => "usl",
            Chosen::Plateau => "plateau",
        }
    }
}

/// What one fit brings to the comparison.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Candidate {
    /// Sum of squared residuals.
    pub sse: f64,
    /// Coefficients fitted.
    pub coefficients: usize,
}

/// The comparison and its outcome.
#[derive(Debug, Clone, PartialEq)]
pub struct Choice {
    pub chosen: Chosen,
    /// The chosen model's residuals are systematic (runs test at
    /// [`ALPHA`]): it misses part of the data's shape, and its numbers are
    /// approximate.
    pub systematic: bool,
    /// BIC of the USL, and of the plateau when it was fitted.
    pub bic_usl: f64,
    pub bic_plateau: Option<f64>,
    /// The runs tests of each fit's residuals.
    pub runs_usl: Option<Runs>,
    pub runs_plateau: Option<Runs>,
    /// Why, in sentences, the first one the reason of the choice.
    pub why: Vec<String>,
}

/// Chooses between the USL and the plateau (docs/capacity.md, "Which
/// model"):
///
/// 1. the plateau is a candidate only when it was fitted with at least
///    [`MIN_FLAT_LEVELS`] levels on its flat;
/// 2. it is chosen when its BIC is lower by more than [`BIC_MARGIN`];
/// 3. it is also chosen when the USL's residuals are systematic (runs
///    test at [`ALPHA`]) and the plateau's are not, unless its BIC is
///    higher by more than [`BIC_MARGIN`];
/// 4. otherwise the USL, said to have systematic residuals when it has.
///
/// `usl_residuals` and the plateau's residuals in N order (one per
/// level); `flat` the plateau's distinct levels at or past its knee; `sst` (the spread of X about its
/// mean) scales the floor of an exact fit's SSE.
pub fn choose(
    usl: Candidate,
    usl_residuals: &[f64],
    plateau: Option<(Candidate, &[f64], usize)>,
    n: usize,
    sst: f64,
) -> Choice {
    let floor = sst * 1e-24;
    let bic_usl = bic(usl.sse, n, usl.coefficients, floor);
    let runs_usl = runs_test(usl_residuals);
    let usl_sys = runs_usl.is_some_and(|r| r.systematic());
    let mut why = Vec::new();
    let Some((pl, pl_res, flat)) = plateau else {
        if usl_sys {
            why.push(systematic_sentence("USL", runs_usl));
        }
        why.push(
            "the plateau model does not describe these data (no ceiling, or no rise, in its fit)"
                .into(),
        );
        return Choice {
            chosen: Chosen::Usl,
            systematic: usl_sys,
            bic_usl,
            bic_plateau: None,
            runs_usl,
            runs_plateau: None,
            why,
        };
    };
    let bic_plateau = bic(pl.sse, n, pl.coefficients, floor);
    let runs_plateau = runs_test(pl_res);
    let pl_sys = runs_plateau.is_some_and(|r| r.systematic());
    let enough_flat = flat >= MIN_FLAT_LEVELS;
    let delta = bic_usl - bic_plateau;
    let pair = format!("BIC {} against the USL's {}", r3(bic_plateau), r3(bic_usl));
    let (chosen, systematic) = if enough_flat && delta > BIC_MARGIN {
        why.push(format!(
            "the plateau fits better: {pair} (lower by {}, more than {BIC_MARGIN})",
            r3(delta)
        ));
        if usl_sys {
            why.push(systematic_sentence("USL", runs_usl));
        }
        if pl_sys {
            why.push(systematic_sentence("plateau", runs_plateau));
        }
        (Chosen::Plateau, pl_sys)
    } else if usl_sys && enough_flat && !pl_sys && delta >= -BIC_MARGIN {
        why.push(systematic_sentence("USL", runs_usl));
        why.push(format!(
            "the plateau's show no such pattern and it fits about as well ({pair})"
        ));
        (Chosen::Plateau, false)
    } else {
        if usl_sys {
            why.push(systematic_sentence("USL", runs_usl));
        }
        why.push(format!(
            "the plateau does not fit better: {pair} (it would need to be lower by more than {BIC_MARGIN})"
        ));
        if !enough_flat && delta > BIC_MARGIN {
            why.push(format!(
                "the plateau's flat rests on {flat} level(s): a ceiling needs at least {MIN_FLAT_LEVELS}"
            ));
        }
        (Chosen::Usl, usl_sys)
    };
    Choice {
        chosen,
        systematic,
        bic_usl,
        bic_plateau: Some(bic_plateau),
        runs_usl,
        runs_plateau,
        why,
    }
}

fn systematic_sentence(model: &str, runs: Option<Runs>) -> String {
    match runs {
        Some(r) => format!(
            "the {model}'s residuals are systematic: {} runs of one sign in N order where chance gives {} on average (runs test, p = {}): it misses part of the data's shape",
            r.runs,
            r3(r.expected),
            r3(r.p_value)
        ),
        None => format!("the {model}'s residuals are systematic"),
    }
}

fn r3(v: f64) -> String {
    crate::units::round_sig(v, 3)
}

#[cfg(test)]
mod tests;

/// Fits the plateau to the same `points` the USL `usl` was fitted to and
/// chooses between them ([`choose`]). Returns the plateau fit when it
/// describes the data at all (it may still not be chosen).
///
/// With a repeated N (several runs at one load) the BIC counts every
/// observation, as the fits do, while the runs test reads one residual
/// per load level, the mean of its observations' in N order: the test
/// asks whether the curve misses the data's shape, which the order of
/// runs at one N says nothing about. The plateau's flat is counted in
/// distinct levels ([`MIN_FLAT_LEVELS`]).
pub fn compare(
    points: &[(f64, f64)],
    usl: &super::usl::Fit,
) -> (Option<super::plateau::PlateauFit>, Choice) {
    let mut order: Vec<usize> = (0..points.len()).collect();
    order.sort_by(|&a, &b| points[a].0.total_cmp(&points[b].0));
    let per_level = |r: &[f64]| level_residuals(points, &order, r);
    let plateau = super::plateau::fit(points, usl.level).ok();
    let mean = points.iter().map(|p| p.1).sum::<f64>() / points.len() as f64;
    let sst: f64 = points.iter().map(|p| (p.1 - mean).powi(2)).sum();
    let usl_candidate = Candidate {
        sse: usl.sse,
        coefficients: 3,
    };
    let pl_res = plateau.as_ref().map(|p| per_level(&p.residuals));
    let pl = plateau.as_ref().zip(pl_res.as_deref()).map(|(p, r)| {
        (
            Candidate {
                sse: p.sse,
                coefficients: 2,
            },
            r,
            p.flat_levels,
        )
    });
    let choice = choose(
        usl_candidate,
        &per_level(&usl.residuals),
        pl,
        points.len(),
        sst,
    );
    (plateau, choice)
}

/// One residual per distinct N, the mean of its observations' residuals
/// `r` (in `points`' order), in increasing N; `order` sorts `points` by
/// N. Without a repeated N these are `r` in N order.
fn level_residuals(points: &[(f64, f64)], order: &[usize], r: &[f64]) -> Vec<f64> {
    let mut out: Vec<f64> = Vec::new();
    let mut last: Option<f64> = None;
    let (mut sum, mut count) = (0.0, 0usize);
    for &i in order {
        if last.is_some_and(|n| n != points[i].0) {
            out.push(sum / count as f64);
            (sum, count) = (0.0, 0);
        }
        last = Some(points[i].0);
        sum += r[i];
        count += 1;
    }
    if count > 0 {
        out.push(sum / count as f64);
    }
    out
}
