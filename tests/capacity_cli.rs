//! `pace capacity` as a user runs it: published USL fits reproduced through
//! the process, and bad input refused with one line and exit 2.

use assert_cmd::Command;
use predicates::prelude::*;
use serde_json::Value;
use std::path::PathBuf;

fn pace() -> Command {
    Command::cargo_bin("pace").unwrap()
}

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/capacity")
        .join(name)
}

fn json(args: &[&str]) -> Value {
    let out = pace()
        .arg("capacity")
        .args(args)
        .arg("--json")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn f(v: &Value) -> f64 {
    v.as_f64().unwrap_or_else(|| panic!("not a number: {v}"))
}

fn rel(a: f64, b: f64) -> f64 {
    ((a - b) / b).abs()
}

/// One line on stderr, nothing on stdout, exit 2.
fn refused(args: &[&str], stdin_file: Option<(&str, &str)>) -> String {
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = pace();
    cmd.arg("capacity");
    if let Some((name, body)) = stdin_file {
        let p = dir.path().join(name);
        std::fs::write(&p, body).unwrap();
        cmd.arg(&p);
    }
    let out = cmd.args(args).output().unwrap();
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    assert!(out.stdout.is_empty());
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(err.lines().count(), 1, "{err}");
    err
}

#[test]
fn cisco_gives_the_published_fit() {
    let cisco = fixture("cisco.csv");
    let v = json(&[cisco.to_str().unwrap(), "--at", "20", "--target-r", "0.05"]);
    // Schwartz's e-book, as asserted by usl4j and usl-rs (1e-5 relative).
    assert!(rel(f(&v["sigma"]["value"]), 0.02671591) < 1e-5);
    assert!(rel(f(&v["kappa"]["value"]), 7.690945e-4) < 1e-5);
    assert!(rel(f(&v["lambda"]["value"]), 995.6486) < 1e-5);
    assert_eq!(f(&v["peak"]["n_floor"]), 35.0);
    assert!(rel(f(&v["peak"]["x_at_floor"]), 12341.7457) < 1e-5);
    assert!(rel(f(&v["predictions"][0]["x"]), 11063.6331) < 1e-5);
    assert!(rel(f(&v["target_r"]["n"]), 235.6147) < 1e-5);
    assert_eq!(v["regime"], "contention-bound");
    assert_eq!(v["points"], 32);
    assert_eq!(v["df"], 29);
    assert!(f(&v["sigma"]["ci_low"]) < f(&v["sigma"]["value"]));
    assert!(v["warnings"].as_array().unwrap().len() == 1); // N* beyond N = 32
}

#[test]
fn specsdm91_gives_the_r_summary() {
    let spec = fixture("specsdm91.csv");
    let v = json(&[spec.to_str().unwrap()]);
    assert!((f(&v["sigma"]["value"]) - 2.773e-2).abs() < 5e-6);
    assert!((f(&v["kappa"]["value"]) - 1.0437e-4).abs() < 5e-8);
    assert!((f(&v["lambda"]["value"]) - 89.995).abs() < 5e-4);
    assert!((f(&v["residual_std_error"]) - 82.85).abs() < 5e-3);
    assert_eq!(v["df"], 4);
    assert!((f(&v["peak"]["n"]) - 96.52).abs() < 5e-3);
    assert!((f(&v["peak"]["x"]) - 1884.0).abs() < 0.5);
    assert!((f(&v["amdahl_ceiling"]) - 3245.6).abs() < 0.05);
    assert!((f(&v["optimal_load"]["n"]) - 36.06).abs() < 5e-3);
}

#[test]
fn the_table_shows_the_numbers() {
    pace()
        .arg("capacity")
        .arg(fixture("cisco.csv"))
        .args(["--at", "40", "--target-x", "12000"])
        .assert()
        .success()
        .stdout(predicate::str::contains("0.0267159"))
        .stdout(predicate::str::contains("995.649"))
        .stdout(predicate::str::contains("X(35) = 12341.7"))
        .stdout(predicate::str::contains("X at N = 40"))
        .stdout(predicate::str::contains("N for X = 12000"));
}

#[test]
fn help_has_worked_examples() {
    pace()
        .args(["capacity", "--help"])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "pace capacity cisco.csv --target-r 50ms",
        ));
}

#[test]
fn few_points_warn_but_fit() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("four.csv");
    std::fs::write(&p, "1,64.9\n18,995.9\n36,1652.4\n72,1853.2\n").unwrap();
    let v = json(&[p.to_str().unwrap()]);
    let w = v["warnings"].as_array().unwrap();
    assert!(
        w.iter()
            .any(|w| w.as_str().unwrap().contains("only 4 load levels"))
    );
}

#[test]
fn bad_inputs_exit_2_with_one_line() {
    let e = refused(&["/nonexistent/pace-capacity.csv"], None);
    assert!(
        e.contains("/nonexistent/pace-capacity.csv: cannot read"),
        "{e}"
    );

    let e = refused(&[], Some(("a.csv", "N,X\n1,10\n2,twenty\n3,30\n")));
    assert!(
        e.contains("a.csv line 3: 'twenty' in column X is not a number"),
        "{e}"
    );

    let e = refused(&[], Some(("b.csv", "1,10\n2,20\n")));
    assert!(e.contains("b.csv: 2 point(s)"), "{e}");

    let e = refused(&[], Some(("c.csv", "1,10\n0,20\n3,30\n")));
    assert!(
        e.contains("c.csv line 2: N = 0 must be greater than 0"),
        "{e}"
    );

    let e = refused(&[], Some(("d.csv", "1,10\n2,-20\n3,30\n")));
    assert!(
        e.contains("d.csv line 2: X = -20 must be greater than 0"),
        "{e}"
    );

    let e = refused(&[], Some(("e.csv", "1,10\n2,20\n2,25\n3,30\n")));
    assert!(
        e.contains("e.csv line 3: N = 2 already given on line 2"),
        "{e}"
    );

    let e = refused(&[], Some(("f.csv", "1,10,0.1,9\n2,20\n3,30\n")));
    assert!(e.contains("f.csv line 1: 4 column(s)"), "{e}");

    let e = refused(&[], Some(("g.csv", "")));
    assert!(e.contains("g.csv: 0 point(s)"), "{e}");

    let cisco = fixture("cisco.csv");
    let c = cisco.to_str().unwrap();
    let e = refused(&[c, "--at", "0"], None);
    assert!(e.contains("--at"), "{e}");
    let e = refused(&[c, "--target-r", "fast"], None);
    assert!(e.contains("--target-r"), "{e}");
    let e = refused(&[c, "--confidence", "1.5"], None);
    assert!(e.contains("--confidence"), "{e}");

    let dir = tempfile::tempdir().unwrap();
    let e = refused(&[dir.path().to_str().unwrap()], None);
    assert!(e.contains("a folder"), "{e}");
}
