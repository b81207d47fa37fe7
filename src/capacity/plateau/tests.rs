//! The plateau fit against exact data and a fit worked by hand.
use super::*;

fn close(a: f64, b: f64, tol: f64) {
    assert!((a - b).abs() <= tol, "{a} vs {b} (tolerance {tol})");
}

/// The embedded target of plans/capacity-stair.toml scaled to the
/// issue's: 4 workers, 40 ms each, so X_max = 4/0.04 = 100/s; users back
/// to back, one user's rate 1/0.04 = 25/s, knee N* = 100/25 = 4 users.
/// Exact data: the fit recovers the model to rounding, with the knee on
/// the level N = 4.
#[test]
fn exact_worker_pool_data_is_recovered() {
    let n: [f64; 8] = [1.0, 2.0, 3.0, 4.0, 6.0, 8.0, 12.0, 16.0];
    let pts: Vec<(f64, f64)> = n.iter().map(|&n| (n, (25.0 * n).min(100.0))).collect();
    let f = fit(&pts, 0.95).unwrap();
    close(f.model.slope, 25.0, 1e-9);
    close(f.model.ceiling, 100.0, 1e-9);
    close(f.model.knee(), 4.0, 1e-9);
    close(f.sse, 0.0, 1e-18);
    assert!(f.knee_on_level);
    assert_eq!((f.on_ramp, f.on_flat), (3, 5));
    close(f.model.cycle_s(), 0.04, 1e-12);
    close(f.model.bottleneck_demand_s(), 0.01, 1e-12);
    // R = max(D, N·Dmax − Z): 40 ms up to the knee, N·10 ms past it.
    close(f.model.response_time(2.0, 0.0), 0.04, 1e-12);
    close(f.model.response_time(16.0, 0.0), 0.16, 1e-12);
}

/// A knee between two levels, with think time: D = 0.2 s, Z = 1 s,
/// D_max = 0.05 s, so X = min(N/1.2, 20), N* = 1.2/0.05 = 24.
#[test]
fn exact_data_with_a_knee_between_levels() {
    let n: [f64; 7] = [5.0, 10.0, 15.0, 20.0, 30.0, 40.0, 60.0];
    let pts: Vec<(f64, f64)> = n.iter().map(|&n| (n, (n / 1.2f64).min(20.0))).collect();
    let f = fit(&pts, 0.95).unwrap();
    close(f.model.knee(), 24.0, 1e-9);
    close(f.model.cycle_s(), 1.2, 1e-12);
    close(f.model.bottleneck_demand_s(), 0.05, 1e-12);
    assert!(!f.knee_on_level);
    assert_eq!((f.on_ramp, f.on_flat), (4, 3));
    // D = 1/a − Z = 0.2 s is R below the knee; N = 60 waits 60·0.05 − 1 = 2 s.
    close(f.model.response_time(10.0, 1.0), 0.2, 1e-12);
    close(f.model.response_time(60.0, 1.0), 2.0, 1e-9);
    close(
        f.model.concurrency_for_throughput(10.0).unwrap(),
        12.0,
        1e-9,
    );
    assert_eq!(f.model.concurrency_for_throughput(20.5), None);
    close(
        f.model.concurrency_for_response_time(2.0, 1.0).unwrap(),
        60.0,
        1e-9,
    );
    assert_eq!(f.model.concurrency_for_response_time(0.1, 1.0), None);
}

/// Six noisy levels worked by hand: N = 1, 2, 3, 6, 9, 12 and X = 10,
/// 20.5, 29.5, 40.5, 39.5, 40. The best split puts 3 levels on the rise:
/// a = (1·10 + 2·20.5 + 3·29.5)/(1 + 4 + 9) = 139.5/14 = 9.964286, b the
/// mean of the flat 40, the knee 40/9.964286 = 4.014337 (between 3 and 6,
/// so consistent); SSE = 0.982143; s² = SSE/4; se a = √(s²/14) =
/// 0.132432, se b = √(s²/3) = 0.286086; t(0.975, 4) = 2.776445; knee se
/// by the delta method 0.060588. (A brute-force grid over a and b finds
/// the same minimum.)
#[test]
fn a_noisy_fit_worked_by_hand() {
    let pts = [
        (1.0, 10.0),
        (2.0, 20.5),
        (3.0, 29.5),
        (6.0, 40.5),
        (9.0, 39.5),
        (12.0, 40.0),
    ];
    let f = fit(&pts, 0.95).unwrap();
    close(f.model.slope, 139.5 / 14.0, 1e-12);
    close(f.model.ceiling, 40.0, 1e-12);
    close(f.knee.value, 4.014337, 1e-6);
    close(f.sse, 0.982143, 1e-6);
    assert_eq!(f.df, 4);
    close(f.slope.std_error.unwrap(), 0.132432, 1e-6);
    close(f.ceiling.std_error.unwrap(), 0.286086, 1e-6);
    close(f.knee.std_error.unwrap(), 0.060588, 1e-6);
    let (lo, hi) = f.ceiling.interval.unwrap();
    close(lo, 39.205698, 1e-6);
    close(hi, 40.794302, 1e-6);
    let (lo, hi) = f.knee.interval.unwrap();
    close(lo, 3.846118, 1e-6);
    close(hi, 4.182556, 1e-6);
    close(f.r_squared, 0.998758, 1e-6);
    // D + Z = 1/a = 0.100358 s (se 0.001334), D_max = 1/b = 0.025 s
    // (se 0.000179).
    close(f.cycle().value, 0.100358, 1e-6);
    close(f.cycle().std_error.unwrap(), 0.0013338, 1e-7);
    close(f.bottleneck_demand().std_error.unwrap(), 0.00017880, 1e-8);
    // Residuals in the caller's order.
    close(f.residuals[3], 40.0 - 40.5, 1e-12);
}

#[test]
fn the_input_order_does_not_matter() {
    let pts = [
        (9.0, 39.5),
        (1.0, 10.0),
        (12.0, 40.0),
        (3.0, 29.5),
        (6.0, 40.5),
        (2.0, 20.5),
    ];
    let f = fit(&pts, 0.95).unwrap();
    close(f.knee.value, 4.014337, 1e-6);
    close(f.residuals[0], 40.0 - 39.5, 1e-12);
}

#[test]
fn no_ceiling_or_no_rise_is_said() {
    let line = [(1.0, 10.0), (2.0, 20.1), (4.0, 39.8), (8.0, 80.2)];
    assert_eq!(fit(&line, 0.95), Err(PlateauError::NoFlat));
    let flat = [(4.0, 100.0), (8.0, 100.5), (16.0, 99.5), (32.0, 100.0)];
    assert_eq!(fit(&flat, 0.95), Err(PlateauError::NoRamp));
    assert!(matches!(
        fit(&[(1.0, 1.0), (2.0, 2.0)], 0.95),
        Err(PlateauError::Points(FitError::TooFewLevels {
            points: 2,
            levels: 2
        }))
    ));
}

/// The hand-worked noisy fit with every level run twice, the same X each
/// time: the least squares are the same (the SSE doubles), and each
/// level counts its two observations in the sums but once as a level.
/// Standard errors: s² = 2·SSE/(12−2) against SSE/4, and ΣN² and m
/// double, so se scales by √((2/10)/(1/4)/2) = √(2/5) = 0.632456.
#[test]
fn every_level_run_twice_gives_the_same_fit() {
    let once = [
        (1.0, 10.0),
        (2.0, 20.5),
        (3.0, 29.5),
        (6.0, 40.5),
        (9.0, 39.5),
        (12.0, 40.0),
    ];
    let twice: Vec<(f64, f64)> = once.iter().chain(once.iter()).copied().collect();
    let a = fit(&once, 0.95).unwrap();
    let b = fit(&twice, 0.95).unwrap();
    close(b.model.slope, a.model.slope, 1e-12);
    close(b.model.ceiling, a.model.ceiling, 1e-12);
    close(b.sse, 2.0 * a.sse, 1e-12);
    assert_eq!((b.points, b.df), (12, 10));
    assert_eq!((b.on_ramp, b.on_flat), (6, 6));
    assert_eq!((b.ramp_levels, b.flat_levels), (3, 3));
    assert_eq!((a.ramp_levels, a.flat_levels), (3, 3));
    let ratio = (2.0f64 / 5.0).sqrt();
    close(
        b.slope.std_error.unwrap() / a.slope.std_error.unwrap(),
        ratio,
        1e-12,
    );
    close(
        b.ceiling.std_error.unwrap() / a.ceiling.std_error.unwrap(),
        ratio,
        1e-12,
    );
    // Two distinct N, however many runs, are refused.
    assert!(matches!(
        fit(&[(1.0, 10.0), (1.0, 11.0), (4.0, 40.0), (4.0, 39.0)], 0.95),
        Err(PlateauError::Points(FitError::TooFewLevels {
            points: 4,
            levels: 2
        }))
    ));
}

proptest::proptest! {
    /// Any exact plateau with at least one level on each side of the
    /// knee and two on its flat is recovered.
    #[test]
    fn recovers_exact_plateaus(
        slope in 0.01f64..1000.0,
        knee in 1.5f64..50.0,
    ) {
        let ceiling = slope * knee;
        let n: Vec<f64> = [1.0, knee * 0.6, knee * 1.3, knee * 2.0, knee * 3.0]
            .into_iter()
            .filter(|&v| v >= 1.0)
            .collect();
        let mut n = n;
        n.dedup();
        let pts: Vec<(f64, f64)> = n.iter().map(|&v| (v, (slope * v).min(ceiling))).collect();
        let f = fit(&pts, 0.95).unwrap();
        proptest::prop_assert!((f.model.slope - slope).abs() <= 1e-9 * slope);
        proptest::prop_assert!((f.model.ceiling - ceiling).abs() <= 1e-9 * ceiling);
    }
}
