//! What a fitted USL lets pace state, and what it does not: a finding
//! (the peak N*, the Amdahl ceiling λ/σ, the regime) is stated only when
//! the coefficient it rests on is distinguishable from 0 at the fit's
//! confidence, that is when its two-sided interval excludes 0. Otherwise
//! the finding is "not determined", with the reason: a κ whose interval
//! includes 0 gives an N* = √((1−σ)/κ) anywhere from the data's range to
//! infinity, and a σ that might be 0 a ceiling λ/σ as large as rounding
//! makes it (1.16e17/s was printed once).

use super::usl::{Estimate, Fit, Regime};

/// A number (or a word) pace may state, or why it may not.
#[derive(Debug, Clone, PartialEq)]
pub enum Finding<T> {
    /// Supported by the data.
    Found(T),
    /// Not supported: the sentence says why.
    NotDetermined(String),
}

impl<T: Copy> Finding<T> {
    /// The value, when found.
    pub fn value(&self) -> Option<T> {
        match self {
            Finding::Found(v) => Some(*v),
            Finding::NotDetermined(_) => None,
        }
    }

    /// The reason, when not found.
    pub fn why(&self) -> Option<&str> {
        match self {
            Finding::Found(_) => None,
            Finding::NotDetermined(w) => Some(w),
        }
    }
}

/// Whether `e` is distinguishable from 0: its interval's lower end is
/// above 0. `Err` says why not, naming the coefficient `name`.
fn above_zero(e: &Estimate, name: &str, level: f64) -> Result<(), String> {
    let pct = crate::units::round_sig(level * 100.0, 3);
    if e.at_bound {
        return Err(format!(
            "{name} is held at its bound 0 (the fit wanted it below 0)"
        ));
    }
    match e.interval {
        Some((lo, _)) if lo > 0.0 => Ok(()),
        Some((lo, hi)) => Err(format!(
            "{name}'s {pct}% interval {} to {} includes 0",
            crate::units::round_sig(lo, 4),
            crate::units::round_sig(hi, 4)
        )),
        None => Err(format!(
            "{name} has no interval (no degrees of freedom left, or a singular fit)"
        )),
    }
}

/// N* = √((1−σ)/κ), stated only when κ's interval excludes 0.
pub fn peak(fit: &Fit) -> Finding<f64> {
    match (
        above_zero(&fit.kappa, "κ", fit.level),
        fit.model.peak_concurrency(),
    ) {
        (Ok(()), Some(p)) if p.is_finite() => Finding::Found(p),
        (Ok(()), _) => Finding::NotDetermined("σ ≥ 1: the model has no peak".into()),
        (Err(why), _) => Finding::NotDetermined(format!(
            "{why}: no retrograde region is supported by the data, so the peak may lie anywhere past them"
        )),
    }
}

/// λ/σ (and 1/σ), stated only when σ's interval excludes 0.
pub fn amdahl_ceiling(fit: &Fit) -> Finding<f64> {
    match (
        above_zero(&fit.sigma, "σ", fit.level),
        fit.model.amdahl_ceiling(),
    ) {
        (Ok(()), Some(c)) if c.is_finite() => Finding::Found(c),
        (Ok(()), _) => Finding::NotDetermined("σ = 0".into()),
        (Err(why), _) => Finding::NotDetermined(format!(
            "{why}: contention is not distinguishable from none, so λ/σ may be any size"
        )),
    }
}

/// 1/σ, on the same condition as [`amdahl_ceiling`].
pub fn optimal_load(fit: &Fit) -> Finding<f64> {
    match amdahl_ceiling(fit) {
        Finding::Found(_) => fit
            .model
            .optimal_load()
            .map_or(Finding::NotDetermined("σ = 0".into()), Finding::Found),
        Finding::NotDetermined(w) => Finding::NotDetermined(w),
    }
}

/// The regime, from the coefficients distinguishable from 0:
///
/// - only σ: contention-bound; only κ: coherency-bound;
/// - both: the comparison `codahale/usl` makes (σ > κ contention-bound,
///   else coherency-bound);
/// - neither: not determined — the data do not show what limits scaling
///   ("limitless" would be a claim about loads not measured).
pub fn regime(fit: &Fit) -> Finding<Regime> {
    let s = above_zero(&fit.sigma, "σ", fit.level);
    let k = above_zero(&fit.kappa, "κ", fit.level);
    match (s, k) {
        (Ok(()), Err(_)) => Finding::Found(Regime::Contention),
        (Err(_), Ok(())) => Finding::Found(Regime::Coherency),
        (Ok(()), Ok(())) => Finding::Found(fit.model.regime()),
        (Err(ws), Err(wk)) => Finding::NotDetermined(format!(
            "neither coefficient is distinguishable from 0 ({ws}; {wk}): the data do not show what limits scaling"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::capacity::usl::fit;

    /// SPEC SDM91 (capacity.md A1): σ 0.0277 (interval 0.0024 to 0.0531)
    /// and κ 1.04e-4 (4.9e-5 to 1.6e-4) both exclude 0: every finding
    /// stands, N* 96.52, λ/σ 3245.6, contention-bound.
    #[test]
    fn specsdm91_states_every_finding() {
        let f = fit(&crate::capacity::usl::SPECSDM91, 0.95).unwrap();
        assert!((peak(&f).value().unwrap() - 96.52).abs() < 5e-3);
        assert!((amdahl_ceiling(&f).value().unwrap() - 3245.6).abs() < 0.05);
        assert!((optimal_load(&f).value().unwrap() - 36.06).abs() < 5e-3);
        assert_eq!(regime(&f), Finding::Found(Regime::Contention));
    }

    /// A linear system with a little noise: X = 10·N ± 1 %. Neither σ
    /// nor κ is distinguishable from 0, so no peak, no ceiling and no
    /// regime are stated (the unguarded fit names a ceiling of ~1e4 and
    /// more, or "limitless").
    #[test]
    fn a_linear_system_states_nothing() {
        let pts = [
            (1.0, 10.05),
            (2.0, 19.9),
            (4.0, 40.2),
            (8.0, 79.6),
            (16.0, 160.8),
            (32.0, 319.0),
        ];
        let f = fit(&pts, 0.95).unwrap();
        assert!(peak(&f).why().unwrap().contains("κ"), "{:?}", peak(&f));
        assert!(amdahl_ceiling(&f).why().is_some(), "{:?}", f.sigma);
        assert!(optimal_load(&f).why().is_some());
        let r = regime(&f);
        assert!(r.why().unwrap().starts_with("neither coefficient"), "{r:?}");
    }
}
