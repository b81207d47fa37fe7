//! Kneedle: the knee of a measured curve (Satopää, Albrecht, Irwin,
//! Raghavan, "Finding a 'Kneedle' in a Haystack: Detecting Knee Points in
//! System Behavior", ICDCS Workshops 2011). Pure arithmetic, no I/O.
//!
//! pace uses it on a measured X(N) curve, which is concave and increasing
//! up to saturation: the knee is the load level after which more users buy
//! markedly less throughput. This is the **offline** variant (all points
//! are known; the first knee found is returned, as the `kneed` Python
//! package does with `online=False`) for a **concave, increasing** curve,
//! with sensitivity S = 1 by default, the value the paper recommends for
//! offline use and `kneed`'s default.

/// The paper's recommended sensitivity for offline detection.
pub const DEFAULT_SENSITIVITY: f64 = 1.0;

/// Why no knee could be looked for.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum KneeError {
    /// x and y differ in length.
    #[error("x has {0} values but y has {1}")]
    LengthMismatch(usize, usize),
    /// A knee needs a point on each side: at least 3.
    #[error("{0} point(s): a knee needs at least 3")]
    TooFewPoints(usize),
    /// x must be finite and strictly increasing, y finite.
    #[error("x must be finite and strictly increasing and y finite (index {0})")]
    BadData(usize),
    /// The sensitivity S must be finite and ≥ 0.
    #[error("sensitivity {0} must be a number ≥ 0")]
    BadSensitivity(f64),
}

/// Scales `v` onto [0, 1] (the paper's step 1); a constant series maps to 0.
fn normalise(v: &[f64]) -> Vec<f64> {
    let lo = v.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = v.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let span = hi - lo;
    v.iter()
        .map(|x| if span > 0.0 { (x - lo) / span } else { 0.0 })
        .collect()
}

/// The index of the knee of the concave increasing curve (`x`, `y`), or
/// `None` when the curve has none at sensitivity `s` (a straight line, or
/// a bend too gentle for S).
///
/// Steps (Satopää et al. 2011, section III): normalise x and y to [0, 1];
/// take the difference curve d = y_n − x_n; find its local maxima (a point
/// ≥ both neighbours; an end point compares with its one neighbour); each
/// maximum i sets the threshold T = d_i − S·mean(Δx_n); the first maximum
/// whose difference curve falls below its T before the next maximum is the
/// knee. A local minimum of d resets the threshold to 0, as `kneed` does,
/// so a dip between two maxima does not declare the earlier one.
///
/// `x` in any unit, strictly increasing; `y` in any unit, same length.
///
/// # Errors
/// [`KneeError`] for mismatched lengths, fewer than 3 points, x not
/// strictly increasing or non-finite values, or a negative S.
pub fn kneedle(x: &[f64], y: &[f64], s: f64) -> Result<Option<usize>, KneeError> {
    if x.len() != y.len() {
        return Err(KneeError::LengthMismatch(x.len(), y.len()));
    }
    if x.len() < 3 {
        return Err(KneeError::TooFewPoints(x.len()));
    }
    if !(s.is_finite() && s >= 0.0) {
        return Err(KneeError::BadSensitivity(s));
    }
    for i in 0..x.len() {
        if !x[i].is_finite() || !y[i].is_finite() || (i > 0 && x[i] <= x[i - 1]) {
            return Err(KneeError::BadData(i));
        }
    }
    let xn = normalise(x);
    let yn = normalise(y);
    let d: Vec<f64> = yn.iter().zip(&xn).map(|(y, x)| y - x).collect();
    let len = d.len();
    let neighbours = |i: usize| {
        let left = if i > 0 { d[i - 1] } else { d[i] };
        let right = if i + 1 < len { d[i + 1] } else { d[i] };
        (left, right)
    };
    let is_max = |i: usize| {
        let (l, r) = neighbours(i);
        d[i] >= l && d[i] >= r
    };
    let is_min = |i: usize| {
        let (l, r) = neighbours(i);
        d[i] <= l && d[i] <= r
    };
    // Mean spacing of the normalised x: the threshold's unit step.
    let step = 1.0 / (len - 1) as f64;
    let Some(first) = (0..len).find(|&i| is_max(i)) else {
        return Ok(None);
    };
    let mut threshold = f64::NEG_INFINITY;
    let mut candidate = first;
    for i in first..len - 1 {
        if is_max(i) {
            threshold = d[i] - s * step;
            candidate = i;
        }
        if is_min(i) {
            threshold = 0.0;
        }
        if d[i + 1] < threshold {
            return Ok(Some(candidate));
        }
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The paper's Figure 2: y = −1/(x + 0.1) + 5 on ten points of [0, 1];
    /// `kneed` reproduces the knee at x = 0.222.
    #[test]
    fn paper_figure_2() {
        let x: Vec<f64> = (0..10).map(|i| i as f64 / 9.0).collect();
        let y: Vec<f64> = x.iter().map(|x| -1.0 / (x + 0.1) + 5.0).collect();
        let k = kneedle(&x, &y, DEFAULT_SENSITIVITY).unwrap().unwrap();
        assert!((x[k] - 0.222).abs() < 5e-4, "knee at {}", x[k]);
    }

    #[test]
    fn a_straight_line_has_no_knee() {
        let x = [1.0, 2.0, 3.0, 4.0, 5.0];
        let y = [10.0, 20.0, 30.0, 40.0, 50.0];
        assert_eq!(kneedle(&x, &y, 1.0).unwrap(), None);
    }

    #[test]
    fn bad_input_is_refused() {
        assert_eq!(
            kneedle(&[1.0, 2.0], &[1.0, 2.0], 1.0),
            Err(KneeError::TooFewPoints(2))
        );
        assert_eq!(
            kneedle(&[1.0, 1.0, 2.0], &[1.0, 2.0, 3.0], 1.0),
            Err(KneeError::BadData(1))
        );
        assert_eq!(
            kneedle(&[1.0, 2.0, 3.0], &[1.0, 2.0], 1.0),
            Err(KneeError::LengthMismatch(3, 2))
        );
        assert!(kneedle(&[1.0, 2.0, 3.0], &[1.0, 2.0, 3.0], -1.0).is_err());
    }
}
