//! Gunther's Universal Scalability Law (USL): the model, a bounded
//! least-squares fit of it to measured (N, X) pairs, the fit's statistics
//! and what the fitted curve predicts. Pure arithmetic, no I/O.
//!
//! The model (Gunther, *Guerrilla Capacity Planning*, Springer 2007,
//! eq. 4.31):
//!
//! ```text
//! X(N) = λ·N / (1 + σ·(N−1) + κ·N·(N−1))
//! ```
//!
//! N is the concurrency (users, threads, load level; dimensionless), X the
//! throughput (any unit per second or per hour: λ comes out in the same
//! unit), σ the contention (serial fraction, Amdahl), κ the coherency
//! (crosstalk) and λ the throughput of a single worker. The `usl` R package
//! (`smoeding/usl`, CRAN 3.0.3) calls them α, β, γ; its `summary` is the
//! reference for how the fit's uncertainty is reported here: coefficient
//! standard errors from the Jacobian at the optimum, s²·(JᵀJ)⁻¹, and the
//! residual standard error on n − 3 degrees of freedom, n counting every
//! observation (an N run several times counts each run). Unlike R's
//! `confint` (a one-sided `qt(level, n−1)`), the intervals here are
//! two-sided with Student's t on n − 3 degrees of freedom.

use super::levels::distinct_levels;
use levenberg_marquardt::{LeastSquaresProblem, LevenbergMarquardt};
use nalgebra::{DMatrix, DVector, Dyn, Owned};
use statrs::distribution::{ContinuousCDF, StudentsT};

/// Below this many points the fit is reported with a warning: both
/// `codahale/usl` ("at least six different concurrency levels") and the
/// `usl` R package ("'data' has only a few values") ask for six.
pub const RECOMMENDED_POINTS: usize = 6;

/// The largest concurrency N fitted: 10⁹ users, as `pace model --users`.
/// Beyond it N² overflows the solver's Jacobian long before any real
/// system is that large, and the fit would return its start unchanged.
pub const MAX_CONCURRENCY: f64 = 1e9;

/// The three USL coefficients (Gunther 2007, eq. 4.31).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Usl {
    /// σ, contention: the serial fraction (dimensionless, ≥ 0).
    pub sigma: f64,
    /// κ, coherency: the crosstalk penalty (dimensionless, ≥ 0).
    pub kappa: f64,
    /// λ, the throughput of one worker, in the unit of the measured X.
    pub lambda: f64,
}

/// Which term limits the scaling (as `codahale/usl`, `usl-rs`, `usl4j`
/// classify a model).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Regime {
    /// σ > κ: queueing on a shared resource dominates.
    Contention,
    /// σ ≤ κ (κ > 0): the cost of keeping workers consistent dominates.
    Coherency,
    /// κ = 0: no retrograde region; X only approaches λ/σ (or grows
    /// linearly when σ = 0 too).
    Limitless,
}

impl Regime {
    /// The word the table and JSON print.
    pub fn name(self) -> &'static str {
        match self {
            Regime::Contention => "contention-bound",
            Regime::Coherency => "coherency-bound",
            Regime::Limitless => "limitless",
        }
    }
}

impl Usl {
    /// The denominator 1 + σ(N−1) + κN(N−1): how much slower than ideal
    /// each worker runs at concurrency `n`.
    fn penalty(&self, n: f64) -> f64 {
        1.0 + self.sigma * (n - 1.0) + self.kappa * n * (n - 1.0)
    }

    /// X(N), throughput at concurrency `n` (Gunther 2007, eq. 4.31), in the
    /// unit of λ.
    pub fn throughput(&self, n: f64) -> f64 {
        self.lambda * n / self.penalty(n)
    }

    /// R(N) in seconds for a closed system with think time `think` (s), by
    /// the interactive response-time law R = N/X − Z (Denning & Buzen
    /// 1978); with Z = 0 this is `codahale/usl`'s `LatencyAtConcurrency`,
    /// (1 + σ(N−1) + κN(N−1))/λ. Only meaningful when X is per second.
    pub fn response_time(&self, n: f64, think: f64) -> f64 {
        self.penalty(n) / self.lambda - think
    }

    /// N* = √((1−σ)/κ), the concurrency of peak throughput (Gunther 2007,
    /// eq. 4.33; R `peak.scalability`). `None` when κ = 0 (no peak: X
    /// rises for ever) or σ ≥ 1.
    pub fn peak_concurrency(&self) -> Option<f64> {
        (self.kappa > 0.0 && self.sigma < 1.0).then(|| ((1.0 - self.sigma) / self.kappa).sqrt())
    }

    /// The whole number of users with the highest X: ⌊N*⌋ or ⌈N*⌉,
    /// whichever the model gives more throughput (at least 1). The
    /// published answers and the Go and R tools quote ⌊N*⌋ (Gunther's
    /// N_max), which is not always the better of the two (Cisco: X(35)
    /// 12341.75 < X(36) 12342.26), so the table names both.
    pub fn peak_whole(&self) -> Option<f64> {
        self.peak_concurrency().map(|p| {
            let (lo, hi) = (p.floor().max(1.0), p.ceil().max(1.0));
            if self.throughput(hi) > self.throughput(lo) {
                hi
            } else {
                lo
            }
        })
    }

    /// λ/σ, the Amdahl ceiling X approaches when κ = 0 (R
    /// `limit.scalability`). `None` when σ = 0.
    pub fn amdahl_ceiling(&self) -> Option<f64> {
        (self.sigma > 0.0).then(|| self.lambda / self.sigma)
    }

    /// 1/σ, the load below which capacity is underused (R
    /// `optimal.scalability`). `None` when σ = 0.
    pub fn optimal_load(&self) -> Option<f64> {
        (self.sigma > 0.0).then(|| 1.0 / self.sigma)
    }

    /// Contention- or coherency-bound, or limitless when κ = 0.
    pub fn regime(&self) -> Regime {
        if self.kappa <= 0.0 {
            Regime::Limitless
        } else if self.sigma > self.kappa {
            Regime::Contention
        } else {
            Regime::Coherency
        }
    }

    /// The concurrency at which R(N) = `r` seconds with think time `think`
    /// seconds (both ≥ 0), or `None` when no N ≥ 1 gives it (r below the
    /// single-user R(1) = 1/λ − Z, or no growth at all when σ = κ = 0).
    ///
    /// R(N) + Z = (1 + σ(N−1) + κN(N−1))/λ is a quadratic in N; its
    /// positive root is Schwartz's "Equation 10" (as in `usl4j`, `usl-rs`)
    /// with R replaced by R + Z: N = (κ − σ + √(σ² + κ² + 2κ(2λ(R+Z) + σ −
    /// 2)))/(2κ); with κ = 0 it is linear, N = (λ(R+Z) − 1 + σ)/σ.
    pub fn concurrency_for_response_time(&self, r: f64, think: f64) -> Option<f64> {
        let (s, k, l) = (self.sigma, self.kappa, self.lambda);
        let rz = r + think;
        let n = if k > 0.0 {
            let disc = s * s + k * k + 2.0 * k * (2.0 * l * rz + s - 2.0);
            if disc < 0.0 {
                return None;
            }
            (k - s + disc.sqrt()) / (2.0 * k)
        } else if s > 0.0 {
            (l * rz - 1.0 + s) / s
        } else {
            return None;
        };
        (n.is_finite() && n >= 1.0 - 1e-9).then_some(n)
    }

    /// The smallest concurrency N ≥ 0 at which X(N) reaches `x` (in the
    /// unit of λ), on the rising side of the curve, or `None` when `x`
    /// exceeds the peak (or the Amdahl ceiling when κ = 0).
    ///
    /// X(N) = x rearranges to x·κ·N² + (x(σ−κ) − λ)·N + x(1−σ) = 0; the
    /// smaller root is taken. This solves the full model: the κ-free
    /// "Equation 8" of Schwartz's e-book that `usl-rs` uses for
    /// `concurrency_at_throughput` gives a smaller N once κ matters.
    pub fn concurrency_for_throughput(&self, x: f64) -> Option<f64> {
        let (s, k, l) = (self.sigma, self.kappa, self.lambda);
        let a = x * k;
        let b = x * (s - k) - l;
        let c = x * (1.0 - s);
        let n = if a > 0.0 {
            let disc = b * b - 4.0 * a * c;
            if disc < 0.0 {
                return None;
            }
            // The smaller root, written as 2c/(−b + √disc) so that it does
            // not lose digits when a·c is small against b².
            let q = -b + disc.sqrt();
            if q <= 0.0 {
                return None;
            }
            2.0 * c / q
        } else if b < 0.0 {
            -c / b
        } else {
            return None;
        };
        (n.is_finite() && n >= 0.0).then_some(n)
    }
}

/// One coefficient as the fit estimated it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Estimate {
    /// The least-squares value.
    pub value: f64,
    /// Standard error from s²·(JᵀJ)⁻¹ (as R's `summary.nls`), `None` with
    /// no residual degrees of freedom, a singular JᵀJ, or at a bound.
    pub std_error: Option<f64>,
    /// Two-sided interval value ± t((1+level)/2, n−3)·std_error.
    pub interval: Option<(f64, f64)>,
    /// The bound σ ≥ 0 or κ ≥ 0 is active: the estimate sits on 0 and has
    /// no standard error (the usual asymptotics do not hold there).
    pub at_bound: bool,
}

/// A fitted USL with the statistics R's `summary` prints.
#[derive(Debug, Clone, PartialEq)]
pub struct Fit {
    /// The coefficients.
    pub model: Usl,
    /// σ with its uncertainty.
    pub sigma: Estimate,
    /// κ with its uncertainty.
    pub kappa: Estimate,
    /// λ with its uncertainty.
    pub lambda: Estimate,
    /// Number of measured points (observations), n: a load run several
    /// times counts each run.
    pub points: usize,
    /// Distinct N among the points (≥ 3; equal to `points` when no N
    /// repeats).
    pub levels: usize,
    /// Residual degrees of freedom, n − 3 over observations (three
    /// coefficients are always counted, as R does).
    pub df: usize,
    /// Sum of squared residuals, in X's unit squared.
    pub sse: f64,
    /// √(SSE/(n−3)), in X's unit; `None` when n = 3.
    pub residual_std_error: Option<f64>,
    /// 1 − SSE/SST (SST about the mean of X).
    pub r_squared: f64,
    /// Fitted minus measured X, in input order.
    pub residuals: Vec<f64>,
    /// The confidence level of the intervals, in (0, 1).
    pub level: f64,
    /// s²·(JᵀJ)⁻¹ over (σ, κ, λ), in the coefficients' units squared; a
    /// coefficient held at its bound has zero rows and columns. `None`
    /// where the standard errors are `None` for want of degrees of freedom
    /// or a singular JᵀJ.
    pub covariance: Option<[[f64; 3]; 3]>,
    /// Student's t quantile at (1 + level)/2 on `df` degrees of freedom,
    /// the multiplier of every interval here; `None` when df = 0.
    pub t: Option<f64>,
}

impl Fit {
    /// The two-sided confidence interval of the fitted curve X(N) at
    /// concurrency `n` (X's unit), by the delta method: Var X̂(N) ≈
    /// gᵀ·Cov·g with g = ∂X/∂(σ, κ, λ) at the estimate, and the interval
    /// X̂ ± t·√Var (Bates & Watts, *Nonlinear Regression Analysis and Its
    /// Applications*, 1988, §2.3.1: the linear-approximation band). The
    /// lower end is clipped at 0, which no throughput is below. `None`
    /// without a covariance.
    ///
    /// At N = 1 the gradient is (0, 0, 1), so the interval is λ's own.
    pub fn throughput_interval(&self, n: f64) -> Option<(f64, f64)> {
        let cov = self.covariance?;
        let t = self.t?;
        let g = gradient(&self.model, n);
        let mut var = 0.0;
        for i in 0..3 {
            for j in 0..3 {
                var += g[i] * cov[i][j] * g[j];
            }
        }
        if !(var.is_finite() && var >= 0.0) {
            return None;
        }
        let x = self.model.throughput(n);
        let half = t * var.sqrt();
        Some(((x - half).max(0.0), x + half))
    }
}

/// ∂X/∂(σ, κ, λ) at concurrency `n`: −λN(N−1)/D², −λN²(N−1)/D², N/D with
/// D = 1 + σ(N−1) + κN(N−1).
fn gradient(m: &Usl, n: f64) -> [f64; 3] {
    let d = m.penalty(n);
    [
        -m.lambda * n * (n - 1.0) / (d * d),
        -m.lambda * n * n * (n - 1.0) / (d * d),
        n / d,
    ]
}

/// Why a fit could not be made. The caller names the file and line; these
/// name the point by its 0-based index in the input slice.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum FitError {
    /// Three coefficients need at least three distinct N: repeated runs
    /// at one N pin down X there, not the curve's shape.
    #[error(
        "{points} point(s) at {levels} distinct N: the USL has 3 coefficients, so at least 3 distinct load levels are needed (repeated runs at one N count once)"
    )]
    TooFewLevels { points: usize, levels: usize },
    /// N must be finite, > 0 and at most [`MAX_CONCURRENCY`].
    #[error("point {index}: N = {value} must be a number greater than 0 and at most 1e9")]
    BadConcurrency { index: usize, value: f64 },
    /// X must be finite and > 0.
    #[error("point {index}: X = {value} must be a number greater than 0")]
    BadThroughput { index: usize, value: f64 },
    /// The confidence level is not in (0, 1).
    #[error("confidence level {0} must be between 0 and 1")]
    BadLevel(f64),
    /// No start converged to finite numbers (not seen on real data).
    #[error("the least-squares fit did not converge")]
    NoConvergence,
}

/// Checks the points as [`fit`] needs them and returns how many
/// distinct N they hold. A repeated N is measured data like any other
/// (several runs at one load, Gunther's multivalued data, GCaP ch. 5-6):
/// every observation is fitted.
///
/// # Errors
/// [`FitError::BadConcurrency`], [`FitError::BadThroughput`] for the
/// first bad point; [`FitError::TooFewLevels`] below 3 distinct N.
pub fn validate(points: &[(f64, f64)]) -> Result<usize, FitError> {
    for (index, &(n, x)) in points.iter().enumerate() {
        if !(n.is_finite() && n > 0.0 && n <= MAX_CONCURRENCY) {
            return Err(FitError::BadConcurrency { index, value: n });
        }
        if !(x.is_finite() && x > 0.0) {
            return Err(FitError::BadThroughput { index, value: x });
        }
    }
    let levels = distinct_levels(points.iter().map(|p| p.0));
    if levels < 3 {
        return Err(FitError::TooFewLevels {
            points: points.len(),
            levels,
        });
    }
    Ok(levels)
}

/// Which of σ, κ, λ the solver moves; a fixed σ or κ sits on its bound 0.
type Free = [bool; 3];

/// The least-squares problem over the free coefficients.
struct Problem<'a> {
    n: &'a [f64],
    x: &'a [f64],
    free: Free,
    /// σ, κ, λ, with the fixed ones at 0.
    full: [f64; 3],
}

impl Problem<'_> {
    fn model(&self) -> Usl {
        Usl {
            sigma: self.full[0],
            kappa: self.full[1],
            lambda: self.full[2],
        }
    }

    /// ∂X/∂(σ, κ, λ) at every point, all three columns.
    fn full_jacobian(&self) -> DMatrix<f64> {
        let m = self.model();
        DMatrix::from_fn(self.n.len(), 3, |i, j| gradient(&m, self.n[i])[j])
    }

    fn free_columns(&self) -> Vec<usize> {
        (0..3).filter(|&j| self.free[j]).collect()
    }
}

impl LeastSquaresProblem<f64, Dyn, Dyn> for Problem<'_> {
    type ResidualStorage = Owned<f64, Dyn>;
    type JacobianStorage = Owned<f64, Dyn, Dyn>;
    type ParameterStorage = Owned<f64, Dyn>;

    fn set_params(&mut self, p: &DVector<f64>) {
        for (k, j) in self.free_columns().into_iter().enumerate() {
            self.full[j] = p[k];
        }
    }

    fn params(&self) -> DVector<f64> {
        DVector::from_iterator(
            self.free.iter().filter(|f| **f).count(),
            self.free_columns().into_iter().map(|j| self.full[j]),
        )
    }

    fn residuals(&self) -> Option<DVector<f64>> {
        let m = self.model();
        let r = DVector::from_fn(self.n.len(), |i, _| m.throughput(self.n[i]) - self.x[i]);
        r.iter().all(|v| v.is_finite()).then_some(r)
    }

    fn jacobian(&self) -> Option<DMatrix<f64>> {
        let full = self.full_jacobian();
        let j = full.select_columns(&self.free_columns());
        j.iter().all(|v| v.is_finite()).then_some(j)
    }
}

/// Starting points: the linearised fit (below), the `usl` R package's
/// defaults (σ = 0.01, κ = 1e-4) and `codahale/usl`'s (σ = 0.1, κ = 0.01),
/// each with λ = max X/N. Taking the best of several keeps the fit from
/// settling in a poor local minimum on awkward data.
fn starts(n: &[f64], x: &[f64]) -> Vec<[f64; 3]> {
    let lambda0 = n.iter().zip(x).map(|(n, x)| x / n).fold(f64::MIN, f64::max);
    let mut out = vec![linearised(n, x, lambda0)];
    out.push([0.01, 1e-4, lambda0]);
    out.push([0.1, 0.01, lambda0]);
    out
}

/// Gunther's linearisation (GCaP ch. 5): with λ fixed, λN/X − 1 =
/// σ(N−1) + κN(N−1) is linear in σ and κ; solve it by least squares
/// through the origin, then clamp into the bounds. λ is X(1), the
/// single-user rate, when N = 1 was measured: the mean of every
/// observation at N = 1 when it was run several times (Gunther's
/// normalisation of multivalued data); else λ0. Only a start: the fit
/// then moves λ with σ and κ.
fn linearised(n: &[f64], x: &[f64], lambda0: f64) -> [f64; 3] {
    let (sum1, count1) = n
        .iter()
        .zip(x)
        .filter(|(n, _)| **n == 1.0)
        .fold((0.0, 0usize), |(s, c), (_, x)| (s + x, c + 1));
    let lambda = if count1 > 0 {
        sum1 / count1 as f64
    } else {
        lambda0
    };
    let (mut aa, mut ab, mut bb, mut ay, mut by) = (0.0, 0.0, 0.0, 0.0, 0.0);
    for (&n, &x) in n.iter().zip(x) {
        let a = n - 1.0;
        let b = n * (n - 1.0);
        let y = lambda * n / x - 1.0;
        aa += a * a;
        ab += a * b;
        bb += b * b;
        ay += a * y;
        by += b * y;
    }
    let det = aa * bb - ab * ab;
    let (s, k) = if det.abs() > f64::EPSILON * aa * bb && det != 0.0 {
        ((ay * bb - by * ab) / det, (aa * by - ab * ay) / det)
    } else {
        (0.01, 1e-4)
    };
    let s = if s.is_finite() { s.max(1e-6) } else { 0.01 };
    let k = if k.is_finite() { k.max(1e-8) } else { 1e-4 };
    [s, k, lambda]
}

/// Fits the USL to `points` = (N, X) pairs by least squares with σ ≥ 0
/// and κ ≥ 0, all three coefficients free (fixing λ = X(1), as the old R
/// package did, gives a different and worse answer: capacity.md A1).
///
/// An N may repeat (several runs at one load): like the `usl` R package's
/// `nls` over every row, and Gunther's multivalued data (GCaP ch. 5-6),
/// each observation is a residual of its own, so the degrees of freedom
/// are observations − 3, while at least 3 *distinct* N are needed to
/// tell three coefficients apart. Duplicating every point leaves σ, κ, λ
/// exactly as they were (the sum of squares only doubles).
///
/// Method: Levenberg–Marquardt (the `levenberg-marquardt` crate, a port
/// of MINPACK's `lmder`) with the analytic Jacobian. The bounds are
/// enforced by active sets: the unconstrained fit is kept when σ and κ
/// come out ≥ 0; otherwise the fits with σ, κ or both held at 0 are tried
/// and the feasible one with the least squared error wins, which is the
/// bounded optimum for this three-parameter problem.
///
/// `level` is the two-sided confidence of the intervals (0.95 for 95 %).
///
/// # Errors
/// [`FitError`] for fewer than 3 distinct N, N or X not finite and > 0,
/// or a level outside (0, 1).
pub fn fit(points: &[(f64, f64)], level: f64) -> Result<Fit, FitError> {
    if !(level > 0.0 && level < 1.0) {
        return Err(FitError::BadLevel(level));
    }
    let levels = validate(points)?;
    let n: Vec<f64> = points.iter().map(|p| p.0).collect();
    let x: Vec<f64> = points.iter().map(|p| p.1).collect();
    let solver = LevenbergMarquardt::new()
        .with_ftol(1e-15)
        .with_xtol(1e-15)
        .with_gtol(1e-15)
        .with_patience(500);
    let mut best: Option<(f64, Problem)> = None;
    let active_sets: [Free; 4] = [
        [true, true, true],
        [false, true, true],
        [true, false, true],
        [false, false, true],
    ];
    for free in active_sets {
        for start in starts(&n, &x) {
            let mut full = start;
            for j in 0..2 {
                if !free[j] {
                    full[j] = 0.0;
                }
            }
            let problem = Problem {
                n: &n,
                x: &x,
                free,
                full,
            };
            let (p, _report) = solver.minimize(problem);
            let Some(r) = p.residuals() else { continue };
            let m = p.model();
            // A tiny negative is rounding at the bound, not a violation.
            if m.sigma < -1e-12 || m.kappa < -1e-12 || m.lambda <= 0.0 {
                continue;
            }
            let sse = r.norm_squared();
            if !sse.is_finite() {
                continue;
            }
            if best.as_ref().is_none_or(|(b, _)| sse < *b) {
                best = Some((sse, p));
            }
        }
        // The unconstrained optimum, when feasible, is the bounded one.
        if free == [true, true, true] && best.is_some() {
            break;
        }
    }
    let (sse, mut p) = best.ok_or(FitError::NoConvergence)?;
    for j in 0..2 {
        if p.full[j] < 0.0 {
            p.full[j] = 0.0;
        }
    }
    Ok(statistics(&p, sse, level, levels))
}

/// R's `summary.nls` numbers at the optimum.
fn statistics(p: &Problem, sse: f64, level: f64, levels: usize) -> Fit {
    let model = p.model();
    let count = p.n.len();
    let df = count - 3;
    let residuals: Vec<f64> =
        p.n.iter()
            .zip(p.x)
            .map(|(&n, &x)| model.throughput(n) - x)
            .collect();
    let mean = p.x.iter().sum::<f64>() / count as f64;
    let sst: f64 = p.x.iter().map(|x| (x - mean).powi(2)).sum();
    let r_squared = if sst > 0.0 { 1.0 - sse / sst } else { 1.0 };
    let s2 = (df > 0).then(|| sse / df as f64);
    let t = s2.and_then(|_| {
        StudentsT::new(0.0, 1.0, df as f64)
            .ok()
            .map(|d| d.inverse_cdf(0.5 + level / 2.0))
    });
    // Covariance over the free coefficients only: one held on its bound
    // has no sampling distribution of the usual kind.
    let cols = p.free_columns();
    let j = p.full_jacobian().select_columns(&cols);
    let cov = s2.and_then(|s2| (j.transpose() * &j).try_inverse().map(|inv| inv * s2));
    let covariance = cov.as_ref().and_then(|c| {
        let mut full = [[0.0; 3]; 3];
        for (a, &ia) in cols.iter().enumerate() {
            for (b, &ib) in cols.iter().enumerate() {
                full[ia][ib] = c[(a, b)];
            }
        }
        full.iter().flatten().all(|v| v.is_finite()).then_some(full)
    });
    let estimate = |idx: usize| {
        let value = p.full[idx];
        let at_bound = !p.free[idx];
        let std_error = cols.iter().position(|&c| c == idx).and_then(|k| {
            cov.as_ref()
                .map(|c| c[(k, k)])
                .filter(|v| v.is_finite() && *v >= 0.0)
                .map(f64::sqrt)
        });
        let interval = std_error
            .zip(t)
            .map(|(se, t)| (value - t * se, value + t * se));
        Estimate {
            value,
            std_error,
            interval,
            at_bound,
        }
    };
    Fit {
        model,
        sigma: estimate(0),
        kappa: estimate(1),
        lambda: estimate(2),
        points: count,
        levels,
        df,
        sse,
        residual_std_error: s2.map(f64::sqrt),
        r_squared,
        residuals,
        level,
        covariance,
        t,
    }
}

/// SPEC SDM91 on a Sun SPARCcenter 2000 (Gunther, GCaP; the `usl` R
/// package's `specsdm91`): N and scripts per hour. The worked data of
/// the USL's, the findings' and the model choice's tests.
#[cfg(test)]
pub(crate) const SPECSDM91: [(f64, f64); 7] = [
    (1.0, 64.9),
    (18.0, 995.9),
    (36.0, 1652.4),
    (72.0, 1853.2),
    (108.0, 1828.9),
    (144.0, 1775.0),
    (216.0, 1702.2),
];

#[cfg(test)]
mod tests;
