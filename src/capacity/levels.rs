//! Load levels of multivalued data: several runs at one N (Gunther,
//! *Guerrilla Capacity Planning*, 2007, ch. 5-6). The fits read every
//! observation; what reads one X per load (the Kneedle knee, a count of
//! distinct levels) reads these. Pure arithmetic, sorting a copy: n log n,
//! where a search per point was quadratic on a million rows.

/// How many distinct values `n` holds.
pub fn distinct_levels(n: impl Iterator<Item = f64>) -> usize {
    let mut v: Vec<f64> = n.collect();
    v.sort_by(f64::total_cmp);
    v.dedup();
    v.len()
}

/// One load level of multivalued data: its N, the mean of the X measured
/// there and how many observations that mean is over.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LevelMean {
    /// Concurrency N.
    pub n: f64,
    /// Mean X of the observations at N, in X's unit.
    pub x: f64,
    /// Observations at N (1 when N was measured once).
    pub count: usize,
}

/// The levels of `points` = (N, X) in increasing N, each with the mean
/// of its X: what a per-level curve (the Kneedle knee, the runs test of
/// a fit's shape) reads when a load was run several times. n log n.
pub fn level_means(points: &[(f64, f64)]) -> Vec<LevelMean> {
    let mut sorted = points.to_vec();
    sorted.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut out: Vec<LevelMean> = Vec::new();
    let mut sum = 0.0;
    for &(n, x) in &sorted {
        match out.last_mut() {
            Some(l) if l.n == n => {
                l.count += 1;
                sum += x;
                l.x = sum / l.count as f64;
            }
            _ => {
                sum = x;
                out.push(LevelMean { n, x, count: 1 });
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The level means a per-level curve reads: sorted by N, each with
    /// its count.
    #[test]
    fn level_means_group_repeated_n() {
        let l = level_means(&[
            (4.0, 40.0),
            (1.0, 10.0),
            (4.0, 44.0),
            (2.0, 20.0),
            (4.0, 42.0),
        ]);
        assert_eq!(
            l,
            [
                LevelMean {
                    n: 1.0,
                    x: 10.0,
                    count: 1
                },
                LevelMean {
                    n: 2.0,
                    x: 20.0,
                    count: 1
                },
                LevelMean {
                    n: 4.0,
                    x: 42.0,
                    count: 3
                },
            ]
        );
        assert_eq!(distinct_levels([3.0, 1.0, 3.0, 2.0, 1.0].into_iter()), 3);
        assert!(level_means(&[]).is_empty());
    }
}
