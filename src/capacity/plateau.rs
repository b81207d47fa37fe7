//! The bounded (plateau) model of a closed system: its throughput rises
//! along N/(D+Z) until the bottleneck saturates, then stays flat at
//! 1/D_max. It is the asymptotic-bounds shape (Lazowska et al., *Quantitative
//! System Performance*, 1984, ch. 5; Jain, *The Art of Computer Systems
//! Performance Analysis*, 1991, §33.6):
//!
//! ```text
//! X(N) = min(N/(D+Z), 1/D_max)        knee N* = (D+Z)/D_max
//! ```
//!
//! written here as X(N) = min(a·N, b): a = 1/(D+Z) is one user's
//! throughput (per second when X is), b = 1/D_max the asymptotic bound.
//! It is what a service with a hard ceiling (a fixed worker pool, a
//! connection limit) measures, and what the USL's smooth peak cannot draw.
//! Pure arithmetic, no I/O.

use super::usl::{Estimate, FitError, validate};
use statrs::distribution::{ContinuousCDF, StudentsT};

/// The two coefficients of the plateau model.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Plateau {
    /// a = 1/(D+Z): the throughput of one user, X's unit per user.
    pub slope: f64,
    /// b = 1/D_max: the asymptotic bound, in X's unit.
    pub ceiling: f64,
}

impl Plateau {
    /// X(N) = min(a·N, b), in X's unit.
    pub fn throughput(&self, n: f64) -> f64 {
        (self.slope * n).min(self.ceiling)
    }

    /// The knee N* = b/a = (D+Z)/D_max: below it the users mostly think,
    /// above it the bottleneck is saturated and each extra user only
    /// waits (QSP §5.2; PDQ's "optimal clients").
    pub fn knee(&self) -> f64 {
        self.ceiling / self.slope
    }

    /// D + Z = 1/a, seconds when X is per second: one user's whole cycle
    /// with no one else in the system.
    pub fn cycle_s(&self) -> f64 {
        1.0 / self.slope
    }

    /// D_max = 1/b, seconds when X is per second: the bottleneck's
    /// service demand per job.
    pub fn bottleneck_demand_s(&self) -> f64 {
        1.0 / self.ceiling
    }

    /// R(N) = N/X(N) − Z = max(D, N·D_max − Z) with D = 1/a − Z
    /// (interactive response-time law on the model), seconds; only
    /// meaningful when X is per second. Negative when Z is longer than
    /// the cycle the data measured: the caller must not print that.
    pub fn response_time(&self, n: f64, think: f64) -> f64 {
        n / self.throughput(n) - think
    }

    /// The smallest N with X(N) = `x`: x/a, or `None` above the bound
    /// (no load reaches it).
    pub fn concurrency_for_throughput(&self, x: f64) -> Option<f64> {
        (x <= self.ceiling).then(|| x / self.slope)
    }

    /// The N at which R(N) reaches `r` seconds with think time `think`:
    /// past the knee R = N·D_max − Z, so N = (r + Z)·b. `None` when `r`
    /// is below the model's floor D = 1/a − Z (no N gives so short a
    /// response) — then every N up to the knee meets it.
    pub fn concurrency_for_response_time(&self, r: f64, think: f64) -> Option<f64> {
        let floor = self.cycle_s() - think;
        (r >= floor).then(|| ((r + think) * self.ceiling).max(self.knee()))
    }
}

/// The plateau model fitted to measured (N, X) points, with the
/// uncertainty of its coefficients and of the knee.
#[derive(Debug, Clone, PartialEq)]
pub struct PlateauFit {
    /// The least-squares coefficients.
    pub model: Plateau,
    /// a = 1/(D+Z) with its uncertainty.
    pub slope: Estimate,
    /// b = 1/D_max, the asymptotic bound, with its uncertainty.
    pub ceiling: Estimate,
    /// N* = b/a with its uncertainty by the delta method.
    pub knee: Estimate,
    /// Number of points (observations), n.
    pub points: usize,
    /// Observations below the knee (on the rising line).
    pub on_ramp: usize,
    /// Observations at or past the knee (on the flat).
    pub on_flat: usize,
    /// Distinct N below the knee: `on_ramp` when no N repeats.
    pub ramp_levels: usize,
    /// Distinct N at or past the knee: `on_flat` when no N repeats. The
    /// model choice counts these: a ceiling seen at one load, however
    /// often run, is that load's value, not a flat.
    pub flat_levels: usize,
    /// The least-squares knee sits exactly on a measured level.
    pub knee_on_level: bool,
    /// n − 2.
    pub df: usize,
    /// Sum of squared residuals, X's unit squared.
    pub sse: f64,
    /// √(SSE/(n−2)); `None` when n = 2.
    pub residual_std_error: Option<f64>,
    /// 1 − SSE/SST.
    pub r_squared: f64,
    /// Fitted minus measured X, in input order.
    pub residuals: Vec<f64>,
    /// The confidence level of the intervals.
    pub level: f64,
}

/// Why the plateau model describes nothing in these data.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PlateauError {
    /// The points themselves (as the USL fit refuses them).
    #[error(transparent)]
    Points(#[from] FitError),
    /// The best fit puts every level on the rising line: no ceiling was
    /// reached, so none can be estimated.
    #[error("every level lies on the rising line: no ceiling was reached")]
    NoFlat,
    /// The best fit puts every level on the flat: the rise was never
    /// measured, so one user's rate cannot be estimated.
    #[error("every level lies on the flat: the rise to the ceiling was not measured")]
    NoRamp,
}

/// One candidate of the exhaustive search: the coefficients and the SSE
/// of the true objective Σ(min(aNᵢ, b) − Xᵢ)² there.
#[derive(Debug, Clone, Copy)]
struct Candidate {
    a: f64,
    b: f64,
    sse: f64,
}

fn sse_of(n: &[f64], x: &[f64], a: f64, b: f64) -> f64 {
    n.iter()
        .zip(x)
        .map(|(&n, &x)| ((a * n).min(b) - x).powi(2))
        .sum()
}

/// Fits X(N) = min(a·N, b) to `points` = (N, X) by least squares, exactly.
///
/// The objective is a convex quadratic on each cone of (a, b) where the
/// knee b/a lies between two consecutive measured N, so its global
/// minimum is one of: the unconstrained optimum of a cone when it lies in
/// the cone (a through the origin over the levels below, b the mean of
/// the levels above), or the best fit with the knee on a measured level
/// Nₘ (X = a·min(N, Nₘ), linear in a). Every candidate is computed; the
/// least SSE wins. No iteration, no starting point.
///
/// An N may repeat (several runs at one load): every observation is a
/// point of the sums and of n, and the knee is only ever put between two
/// distinct N or on one.
///
/// Standard errors (as for any least-squares fit, s²·(JᵀJ)⁻¹ with s² =
/// SSE/(n−2), n the observations): the Jacobian of min(aN, b) is (N, 0)
/// below the knee and (0, 1) above, so Var a = s²/ΣN² over the rising
/// observations, Var b = s²/m over the m flat ones, and they are
/// uncorrelated. A level exactly at
/// the knee counts in neither sum (the model has no derivative there),
/// which widens both intervals. The knee's variance is the delta method's,
/// Var N* ≈ N*²·(Var a/a² + Var b/b²). Intervals are two-sided with
/// Student's t on n − 2 degrees of freedom.
///
/// # Errors
/// [`PlateauError::Points`] for the points the USL fit refuses too (fewer
/// than 3 distinct N, N or X not finite and > 0, a bad level);
/// [`PlateauError::NoFlat`] / [`PlateauError::NoRamp`] when the best fit
/// is a straight line through the origin or a constant.
pub fn fit(points: &[(f64, f64)], level: f64) -> Result<PlateauFit, PlateauError> {
    if !(level > 0.0 && level < 1.0) {
        return Err(FitError::BadLevel(level).into());
    }
    validate(points)?;
    let mut sorted: Vec<(f64, f64)> = points.to_vec();
    sorted.sort_by(|a, b| a.0.total_cmp(&b.0));
    let n: Vec<f64> = sorted.iter().map(|p| p.0).collect();
    let x: Vec<f64> = sorted.iter().map(|p| p.1).collect();
    let len = n.len();
    // Prefix sums (over the first i levels) of N·X, N², X and X², so
    // every candidate costs O(1): a CSV of a million levels is fitted in
    // linear time after the sort.
    let mut s_nx = vec![0.0; len + 1];
    let mut s_nn = vec![0.0; len + 1];
    let mut s_x = vec![0.0; len + 1];
    let mut s_xx = vec![0.0; len + 1];
    for i in 0..len {
        s_nx[i + 1] = s_nx[i] + n[i] * x[i];
        s_nn[i + 1] = s_nn[i] + n[i] * n[i];
        s_x[i + 1] = s_x[i] + x[i];
        s_xx[i + 1] = s_xx[i] + x[i] * x[i];
    }
    // (a, b, SSE from the sums, the knee on a level); the sums' SSE only
    // ranks the candidates, the best few are scored exactly below.
    let mut candidates: Vec<(f64, f64, f64, bool)> = Vec::new();
    // Interior optima: the first j points on the ramp, the rest flat,
    // split only between two distinct N (observations at one N lie on
    // one side of the knee together).
    for j in 1..len {
        if n[j - 1] == n[j] {
            continue;
        }
        let a = s_nx[j] / s_nn[j];
        let m = (len - j) as f64;
        let sx = s_x[len] - s_x[j];
        let b = sx / m;
        let knee = b / a;
        if knee >= n[j - 1] && knee <= n[j] {
            let ramp = a * a * s_nn[j] - 2.0 * a * s_nx[j] + s_xx[j];
            let flat = (s_xx[len] - s_xx[j]) - sx * b;
            candidates.push((a, b, ramp + flat, false));
        }
    }
    // The knee on a measured level m: X = a·min(N, Nₘ); once per N (the
    // first of its observations: the later ones give the same candidate).
    for m in 0..len {
        if m > 0 && n[m - 1] == n[m] {
            continue;
        }
        let rest = (len - m) as f64;
        let sx = s_x[len] - s_x[m];
        let mx = s_nx[m] + n[m] * sx;
        let mm = s_nn[m] + rest * n[m] * n[m];
        let a = mx / mm;
        let b = a * n[m];
        let sse = s_xx[len] - a * mx;
        candidates.push((a, b, sse, true));
    }
    candidates.retain(|c| c.0 > 0.0 && c.1 > 0.0 && c.0.is_finite() && c.1.is_finite());
    // Stable: the interior optimum is listed first and wins a tie with
    // the same point reached as a boundary.
    candidates.sort_by(|p, q| p.2.total_cmp(&q.2));
    let mut best: Option<(Candidate, bool)> = None;
    for &(a, b, _, on_level) in candidates.iter().take(8) {
        let sse = sse_of(&n, &x, a, b);
        if sse.is_finite() && best.as_ref().is_none_or(|(c, _)| sse < c.sse) {
            best = Some((Candidate { a, b, sse }, on_level));
        }
    }
    let (c, on_level) = best.ok_or(FitError::NoConvergence)?;
    let knee = c.b / c.a;
    // Relative tolerance for "on the knee": the candidates put it exactly
    // on a level, up to rounding.
    let at = |v: f64| (v - knee).abs() <= 1e-9 * knee.max(1.0);
    let knee_on_level = on_level || n.iter().any(|&v| at(v));
    let on_ramp = n.iter().filter(|&&v| v < knee && !at(v)).count();
    let flat_count = n.iter().filter(|&&v| v > knee && !at(v)).count();
    if on_ramp == 0 {
        return Err(PlateauError::NoRamp);
    }
    if flat_count == 0 {
        // The knee on the last level or beyond: a straight line.
        return Err(PlateauError::NoFlat);
    }
    let on_flat = len - on_ramp;
    // n is sorted: a level starts wherever N changes.
    let starts = |keep: &dyn Fn(f64) -> bool| {
        (0..len)
            .filter(|&i| (i == 0 || n[i - 1] != n[i]) && keep(n[i]))
            .count()
    };
    let ramp_levels = starts(&|v| v < knee && !at(v));
    let flat_levels = starts(&|v| v >= knee || at(v));
    let df = len - 2;
    let mean = x.iter().sum::<f64>() / len as f64;
    let sst: f64 = x.iter().map(|v| (v - mean).powi(2)).sum();
    let s2 = (df > 0).then(|| c.sse / df as f64);
    let t = s2.and_then(|_| {
        StudentsT::new(0.0, 1.0, df as f64)
            .ok()
            .map(|d| d.inverse_cdf(0.5 + level / 2.0))
    });
    let ramp_nn: f64 = n
        .iter()
        .filter(|&&v| v < knee && !at(v))
        .map(|v| v * v)
        .sum();
    let var_a = s2.filter(|_| ramp_nn > 0.0).map(|s2| s2 / ramp_nn);
    let var_b = s2
        .filter(|_| flat_count > 0)
        .map(|s2| s2 / flat_count as f64);
    let estimate = |value: f64, var: Option<f64>| {
        let std_error = var.filter(|v| v.is_finite() && *v >= 0.0).map(f64::sqrt);
        Estimate {
            value,
            std_error,
            interval: std_error
                .zip(t)
                .map(|(se, t)| (value - t * se, value + t * se)),
            at_bound: false,
        }
    };
    let var_knee = var_a
        .zip(var_b)
        .map(|(va, vb)| knee * knee * (va / (c.a * c.a) + vb / (c.b * c.b)));
    // Residuals in the caller's order.
    let model = Plateau {
        slope: c.a,
        ceiling: c.b,
    };
    let residuals = points
        .iter()
        .map(|&(n, x)| model.throughput(n) - x)
        .collect();
    Ok(PlateauFit {
        model,
        slope: estimate(c.a, var_a),
        ceiling: estimate(c.b, var_b),
        knee: estimate(knee, var_knee),
        points: len,
        on_ramp,
        on_flat,
        ramp_levels,
        flat_levels,
        knee_on_level,
        df,
        sse: c.sse,
        residual_std_error: s2.map(f64::sqrt),
        r_squared: if sst > 0.0 { 1.0 - c.sse / sst } else { 1.0 },
        residuals,
        level,
    })
}

impl PlateauFit {
    /// D + Z = 1/a with its standard error (se_a/a², the delta method),
    /// in seconds when X is per second.
    pub fn cycle(&self) -> Estimate {
        derived_inverse(&self.slope, self.t())
    }

    /// D_max = 1/b with its standard error (se_b/b²).
    pub fn bottleneck_demand(&self) -> Estimate {
        derived_inverse(&self.ceiling, self.t())
    }

    /// The two-sided confidence interval of the fitted X(N) (X's unit), by
    /// the delta method as for the USL: Var = N²·Var a below the knee,
    /// Var b past it, the larger of the two at the knee itself. The lower
    /// end is clipped at 0. `None` without standard errors.
    pub fn throughput_interval(&self, n: f64) -> Option<(f64, f64)> {
        let t = self.t()?;
        let se_a = self.slope.std_error?;
        let se_b = self.ceiling.std_error?;
        let knee = self.model.knee();
        let se = if n < knee {
            n * se_a
        } else if n > knee {
            se_b
        } else {
            (n * se_a).max(se_b)
        };
        let x = self.model.throughput(n);
        Some(((x - t * se).max(0.0), x + t * se))
    }

    /// The t quantile the intervals use, recovered from one of them.
    fn t(&self) -> Option<f64> {
        [self.slope, self.ceiling].iter().find_map(|e| {
            e.std_error
                .zip(e.interval)
                .filter(|(se, _)| *se > 0.0)
                .map(|(se, (lo, _))| (e.value - lo) / se)
        })
    }
}

/// 1/v with the delta method's standard error se/v².
fn derived_inverse(e: &Estimate, t: Option<f64>) -> Estimate {
    let value = 1.0 / e.value;
    let std_error = e.std_error.map(|se| se / (e.value * e.value));
    Estimate {
        value,
        std_error,
        interval: std_error
            .zip(t)
            .map(|(se, t)| (value - t * se, value + t * se)),
        at_bound: false,
    }
}

#[cfg(test)]
mod tests;
