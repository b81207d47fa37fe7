//! Latency distributions as percentile curves (HdrHistogram's percentile
//! plot), and the active-user count as finely as users started and stopped.

use super::aggregate::Bounds;
use hdrhistogram::Histogram;
use serde::{Deserialize, Serialize};

/// The deepest quantile a curve reaches: p99.99.
pub const DEEPEST: f64 = 0.9999;

/// Steps per decade of 1/(1-q): 0, 0.206, 0.369, ... 0.9, ... 0.99, ...
const PER_DECADE: u32 = 10;

/// One point of a percentile curve: quantile `q` (0 to [`DEEPEST`]) and
/// the latency there, seconds.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct CurvePoint {
    pub q: f64,
    pub s: f64,
}

/// A timer's latency distribution measured from the send and from the
/// schedule (coordinated omission corrected).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Curves {
    pub measured: Vec<CurvePoint>,
    pub scheduled: Vec<CurvePoint>,
}

/// The quantiles a curve is drawn at: evenly spaced in log(1/(1-q)), with
/// the usual ones (p50, p75, p90, p95, p99, p99.9, p99.99) exactly.
fn quantiles() -> Vec<f64> {
    let mut qs: Vec<f64> = (0..=4 * PER_DECADE)
        .map(|k| 1.0 - 10f64.powf(-f64::from(k) / f64::from(PER_DECADE)))
        .chain([0.5, 0.75, 0.9, 0.95, 0.99, 0.999, DEEPEST])
        .filter(|q| *q <= DEEPEST + 1e-12)
        .map(|q| (q * 1e6).round() / 1e6)
        .collect();
    qs.sort_by(f64::total_cmp);
    qs.dedup();
    qs
}

/// The percentile curve of `h` (microseconds), whose values lie within
/// `b` (seconds): nearest-rank values at each quantile, clamped to the
/// exact min and max like every other statistic. It stops where the
/// samples run out: past q = 1 - 1/count every quantile is the maximum,
/// and drawing it further would claim a resolution the run does not have.
pub fn curve<C: hdrhistogram::Counter>(h: &Histogram<C>, b: &Bounds) -> Vec<CurvePoint> {
    let n = h.len();
    if n == 0 {
        return Vec::new();
    }
    let last = 1.0 - 1.0 / n as f64;
    let mut out: Vec<CurvePoint> = quantiles()
        .into_iter()
        .filter(|q| *q <= last + 1e-12)
        .map(|q| CurvePoint {
            q,
            s: (h.value_at_quantile(q) as f64 / 1e6).clamp(b.min, b.max.max(b.min)),
        })
        .collect();
    if out.is_empty() {
        out.push(CurvePoint { q: 0.0, s: b.min });
    }
    out
}

/// The most active-user change points kept: a ramp of a few thousand users
/// is thinned, never unbounded.
pub const USER_STEPS: usize = 2000;

/// The active-user count after each start or stop, `(t, users)` with `t`
/// seconds since the start; thinned to every other point whenever it
/// reaches [`USER_STEPS`], so a long ramp keeps its shape in bounded memory.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct UserSteps {
    pub points: Vec<(f64, i64)>,
}

impl UserSteps {
    pub fn add(&mut self, t: f64, users: i64) {
        if let Some(last) = self.points.last_mut()
            && last.0 == t
        {
            last.1 = users;
            return;
        }
        if self.points.len() >= USER_STEPS {
            // Keep the odd ones (each pair's later count) and the newest.
            let kept: Vec<(f64, i64)> = self.points.iter().copied().skip(1).step_by(2).collect();
            self.points = kept;
        }
        self.points.push((t, users));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bounds(values: &[f64]) -> Bounds {
        let mut b = Bounds::default();
        for v in values {
            b.min = b.min.min(*v);
            b.max = b.max.max(*v);
            b.sum += v;
        }
        b
    }

    #[test]
    fn a_known_histogram_gives_its_nearest_rank_percentiles() {
        // 1 ms .. 10 000 ms, one of each: the q-quantile is ceil(q n) ms.
        let mut h: Histogram<u64> = Histogram::new(3).unwrap();
        let values: Vec<f64> = (1..=10_000).map(|ms| ms as f64 / 1000.0).collect();
        for v in &values {
            h.record((v * 1e6) as u64).unwrap();
        }
        let c = curve(&h, &bounds(&values));
        let at = |q: f64| c.iter().find(|p| (p.q - q).abs() < 1e-9).unwrap().s;
        assert_eq!(c.first().unwrap().q, 0.0);
        assert_eq!(at(0.0), 0.001);
        for (q, want) in [
            (0.5, 5.0),
            (0.9, 9.0),
            (0.99, 9.9),
            (0.999, 9.99),
            (0.9999, 9.999),
        ] {
            let got = at(q);
            assert!(
                (got - want).abs() <= want * 0.001,
                "q {q}: {got} s, want {want} s (3 significant digits)"
            );
        }
        assert_eq!(c.last().unwrap().q, DEEPEST);
        assert!(c.windows(2).all(|w| w[0].q < w[1].q && w[0].s <= w[1].s));
    }

    #[test]
    fn a_curve_stops_where_its_samples_run_out() {
        let mut h: Histogram<u64> = Histogram::new(3).unwrap();
        for v in 1..=100u64 {
            h.record(v * 1000).unwrap();
        }
        let values: Vec<f64> = (1..=100).map(|v| v as f64 / 1000.0).collect();
        let c = curve(&h, &bounds(&values));
        assert_eq!(c.last().unwrap().q, 0.99, "1 - 1/100");
        assert!(curve(&Histogram::<u64>::new(3).unwrap(), &Bounds::default()).is_empty());
    }

    #[test]
    fn user_steps_are_bounded_and_keep_a_ramp() {
        let mut u = UserSteps::default();
        for i in 0..10_000 {
            u.add(i as f64 * 0.01, i + 1);
        }
        assert!(u.points.len() <= USER_STEPS);
        assert!(u.points.len() > USER_STEPS / 4);
        assert!(
            u.points
                .windows(2)
                .all(|w| w[0].0 < w[1].0 && w[0].1 < w[1].1)
        );
        let last = *u.points.last().unwrap();
        assert!(
            (last.0 - 99.99).abs() < 1e-9 && last.1 == 10_000,
            "{last:?}"
        );
        // Two changes at one time: the later count stands.
        let mut u = UserSteps::default();
        u.add(1.0, 1);
        u.add(1.0, 2);
        assert_eq!(u.points, [(1.0, 2)]);
    }
}
