//! The capacity graphs' numbers against published USL predictions and
//! the operational laws.
use super::*;
use crate::capacity::usl::fit;

/// SPEC SDM91 rounded as in the `codahale/usl` README.
fn rounded_specsdm91() -> Vec<Level> {
    let n = [1.0, 18.0, 36.0, 72.0, 108.0, 144.0, 216.0];
    let x = [65.0, 996.0, 1652.0, 1853.0, 1829.0, 1775.0, 1702.0];
    n.into_iter()
        .zip(x)
        .map(|(n, x)| Level { n, x, r: None })
        .collect()
}

fn at(series: &[(f64, f64)], n: f64) -> f64 {
    series
        .iter()
        .find(|p| p.0 == n)
        .unwrap_or_else(|| panic!("N = {n} not drawn"))
        .1
}

#[test]
fn specsdm91_series_match_the_go_tool() {
    let levels = rounded_specsdm91();
    let pts: Vec<(f64, f64)> = levels.iter().map(|l| (l.n, l.x)).collect();
    let f = fit(&pts, 0.95).unwrap();
    let d = CapacityData {
        levels: &levels,
        fit: Some(&f),
        plateau: None,
        plateau_leads: false,
        planned_x: Some(1500.0),
        planned_r: None,
        demands: None,
        think_s: None,
        x_unit: "scripts per hour",
    };
    let c = capacity_charts(&d).unwrap();
    // codahale/usl README: X(10, 50, …, 300) on the rounded data.
    let want = [
        (10.0, 714.78),
        (50.0, 1721.00),
        (100.0, 1883.28),
        (150.0, 1808.48),
        (200.0, 1686.57),
        (250.0, 1562.28),
        (300.0, 1447.46),
    ];
    for (n, x) in want {
        let got = at(&c.series.curve, n);
        assert!((got - x).abs() < 0.05, "X({n}) = {got}, want {x}");
    }
    // …and "max throughput 1883.76 at max concurrency 96".
    let (pn, px) = c.series.peak.unwrap();
    assert_eq!(pn, 96.0);
    assert!((px - 1883.76).abs() < 0.05, "{px}");
    assert!(c.throughput.starts_with("<svg") && c.throughput.contains("N* 96.5"));
    assert!(c.throughput.contains("planned 1500"));
    // The band holds the curve everywhere it is drawn.
    assert_eq!(c.series.band.len(), c.series.curve.len());
    for (b, p) in c.series.band.iter().zip(&c.series.curve) {
        assert!(b.1 <= p.1 && p.1 <= b.2, "{b:?} {p:?}");
    }
    // No R measured and no Z: the R graph says so instead of a line.
    assert!(c.series.response.is_empty());
    assert!(c.response.contains("no measured R"));
}

#[test]
fn response_and_bounds_follow_the_laws() {
    // PDQ closed1 (capacity.md A2): Z = 300 s, D = D_max = 0.63 s, so
    // 1/D_max = 1.5873/s and the bounds cross at N* = (D+Z)/D_max
    // = 477.19.
    let levels: Vec<Level> = [(1.0, 0.0033), (100.0, 0.3325), (400.0, 1.2)]
        .into_iter()
        .map(|(n, x)| Level { n, x, r: Some(0.8) })
        .collect();
    let d = CapacityData {
        levels: &levels,
        fit: None,
        plateau: None,
        plateau_leads: false,
        planned_x: None,
        planned_r: Some(1.0),
        demands: Some(Demands {
            total_s: 0.63,
            max_s: 0.63,
            think_s: 300.0,
        }),
        think_s: Some(300.0),
        x_unit: "per second",
    };
    let c = capacity_charts(&d).unwrap();
    assert!((at(&c.series.bound_x, 100.0) - 100.0 / 300.63).abs() < 1e-12);
    assert!((at(&c.series.bound_x, 600.0) - 1.0 / 0.63).abs() < 1e-12);
    assert!((at(&c.series.bound_r, 100.0) - 0.63).abs() < 1e-12);
    assert!((at(&c.series.bound_r, 600.0) - (600.0 * 0.63 - 300.0)).abs() < 1e-9);
    assert!(c.series.curve.is_empty() && c.series.peak.is_none());
    assert!(c.response.contains("measured (3)"));

    // With a fit and Z, R(N) = N/X(N) − Z at every N drawn.
    let pts: Vec<(f64, f64)> = rounded_specsdm91()
        .iter()
        .map(|l| (l.n, l.x / 3600.0))
        .collect();
    let f = fit(&pts, 0.95).unwrap();
    let lv = rounded_specsdm91();
    let d = CapacityData {
        levels: &lv,
        fit: Some(&f),
        plateau: None,
        plateau_leads: false,
        planned_x: None,
        planned_r: None,
        demands: None,
        think_s: Some(2.0),
        x_unit: "per second",
    };
    let s = series(&d);
    for &(n, r) in &s.response {
        let x = f.model.throughput(n);
        assert!((r - (n / x - 2.0)).abs() < 1e-9 * (1.0 + r), "R({n})");
    }
}

#[test]
fn the_grid_is_whole_users_then_coarser() {
    assert_eq!(grid(1.0, 400.0)[..4], [1.0, 2.0, 3.0, 4.0]);
    let g = grid(1.0, 48.0);
    // 600/48 = 12.5: twelve steps to a user.
    assert_eq!(g[12], 2.0);
    assert!((1..=48).all(|n| g.contains(&(n as f64))));
    assert!(g.len() <= 601 && *g.last().unwrap() == 48.0);
    let g = grid(1.0, 3000.0);
    assert!(g.len() <= 601 && g[1] == 5.0 && *g.last().unwrap() == 3000.0);
    assert_eq!(grid(0.5, 300.0)[..3], [0.5, 1.0, 1.5]);
}
