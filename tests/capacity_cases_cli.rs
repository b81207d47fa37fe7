//! Issue 23's capacity cases, on their own inputs (copied to
//! tests/fixtures/cases/): `pace capacity` run as a process.

mod common;

use common::pace;
use std::path::{Path, PathBuf};

fn case_dir(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/cases")
        .join(name)
}

/// `capacity-huge-n-fake-fit`: an N beyond any load (1e300) is refused
/// naming its file and line; an X of 1e308 leaves the solver unable to
/// converge, which is said (exit 2), never its starting values printed as
/// a fit.
#[test]
fn an_absurd_n_or_x_is_refused_not_fitted() {
    let dir = case_dir("capacity-huge-n-fake-fit");
    let (code, out, err) = pace(&dir, &["capacity", "hugeN.csv"]);
    assert_eq!(code, 2, "{out}{err}");
    assert_eq!(
        err.trim(),
        "error: hugeN.csv line 3: N = 1e300 is beyond 1e9 users: not a load level pace fits"
    );
    assert!(out.is_empty(), "{out}");
    let (code, out, err) = pace(&dir, &["capacity", "hugeX.csv"]);
    assert_eq!(code, 2, "{out}{err}");
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(err.contains("did not converge"), "{err}");
    assert!(out.is_empty(), "no fit is printed: {out}");
}

/// `capacity-quadratic-rows`: the case's generator's million rows (a
/// per-second export) are read and fitted: the rows are grouped by
/// sorting, not compared pairwise (measured: 4.5 s in the test profile,
/// docs/capacity.md). Bounded by the helper's minute, not timed.
#[test]
fn a_million_rows_are_fitted() {
    let tmp = tempfile::tempdir().unwrap();
    let mut csv = String::with_capacity(30 << 20);
    // gen.py's curve: λ = 10, σ = 0.02, κ = 0.0001, written to 6 decimals.
    for n in 1..=1_000_000u64 {
        let nf = n as f64;
        let x = 10.0 * nf / (1.0 + 0.02 * (nf - 1.0) + 0.0001 * nf * (nf - 1.0));
        csv.push_str(&format!("{n},{x:.6},{:.6}\n", nf / x));
    }
    std::fs::write(tmp.path().join("rows.csv"), csv).unwrap();
    let (code, out, err) = pace(tmp.path(), &["capacity", "rows.csv", "--json"]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let value = |k: &str| v["usl"][k]["value"].as_f64().or(v[k]["value"].as_f64());
    // The rows lie on the curve: the fit gives its coefficients back.
    let sigma = value("sigma").unwrap_or_else(|| panic!("{v:#}"));
    let kappa = value("kappa").unwrap();
    assert!((sigma - 0.02).abs() < 1e-3, "σ {sigma}");
    assert!((kappa - 0.0001).abs() < 1e-5, "κ {kappa}");
}
