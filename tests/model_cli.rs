//! `pace model` as a user runs it: published answers through the CLI
//! (Jain 1991 Table 34.1, PDQ closed1 and Ch3_Closed, PDQ's bank model) and
//! bad input as one line naming the flag, exit 2.

use assert_cmd::Command;
use predicates::prelude::*;
use serde_json::Value;

fn pace() -> Command {
    Command::cargo_bin("pace").unwrap()
}

fn json(args: &[&str]) -> Value {
    let out = pace()
        .arg("model")
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

fn num(v: &Value) -> f64 {
    v.as_f64().unwrap_or_else(|| panic!("not a number: {v}"))
}

fn near(a: f64, b: f64, tol: f64) -> bool {
    (a - b).abs() <= tol
}

fn row(doc: &Value, users: u64) -> &Value {
    doc["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["users"] == users)
        .unwrap_or_else(|| panic!("no row for N = {users}"))
}

#[test]
fn jain_table_34_1_through_the_cli() {
    // Jain Table 34.1: D = 2, 3, 1 s; Z = 4 s.
    let doc = json(&["--demand", "2,3,1", "--think", "4", "--users", "1..20"]);
    assert_eq!(doc["rows"].as_array().unwrap().len(), 20);
    for (n, r, x) in [
        (1, 6.000, 0.100),
        (2, 7.400, 0.175),
        (5, 13.256, 0.290),
        (20, 56.016, 0.333),
    ] {
        let row = row(&doc, n);
        assert_eq!(row["method"], "exact");
        assert!(near(num(&row["response_s"]), r, 5e-4), "N {n}: {row}");
        assert!(near(num(&row["throughput_per_s"]), x, 5e-4), "N {n}: {row}");
    }
    let q20: Vec<f64> = row(&doc, 20)["queue_lengths"]
        .as_array()
        .unwrap()
        .iter()
        .map(num)
        .collect();
    for (q, want) in q20.iter().zip([1.991, 16.177, 0.500]) {
        assert!(near(*q, want, 5e-4), "{q20:?}");
    }
    assert_eq!(doc["bottleneck"], "c2");
    assert!(near(num(&doc["n_star"]), 10.0 / 3.0, 1e-12));
}

#[test]
fn jain_table_34_1_table_shows_the_numbers() {
    pace()
        .args([
            "model", "--demand", "2,3,1", "--think", "4", "--users", "2..20", "--step", "18",
        ])
        .assert()
        .success()
        .stdout(predicate::str::is_match(r"│ 2 +┆ 0\.17544 +┆ 7\.4 +┆ exact").unwrap())
        .stdout(predicate::str::is_match(r"│ 20 +┆ 0\.33325 +┆ 56\.016 +┆ exact").unwrap())
        .stdout(predicate::str::contains("knee N*"))
        .stdout(predicate::str::contains("the bottleneck"));
}

#[test]
fn pdq_closed1_through_the_cli() {
    // PDQ closed1.out: N 100, Z 300 s, D 0.63 s.
    let doc = json(&["--demand", "0.63", "--think", "300", "--users", "100"]);
    let r = row(&doc, 100);
    assert!(near(num(&r["throughput_per_s"]), 0.3325, 5e-5), "{r}");
    assert!(near(num(&r["response_s"]), 0.7943, 5e-5));
    assert!(near(num(&doc["n_star"]), 477.1905, 5e-5));
    assert!(near(num(&doc["max_throughput_per_s"]), 1.5873, 5e-5));
    // The same demand read from closed1's utilisation (20.9445 %) at X = 0.3325/s.
    let doc = json(&[
        "--utilization",
        "20.9445%",
        "--throughput",
        "0.33245/s",
        "--think",
        "300",
        "--users",
        "100",
    ]);
    assert!(
        near(num(&doc["centres"][0]["demand_s"]), 0.63, 5e-4),
        "{doc}"
    );
}

#[test]
fn schweitzer_above_the_exact_limit() {
    // PDQ Ch3_Closed: APPROX X 8.7857, R 0.2415 (PDQ's loose tolerance; the
    // fixed point is 8.7868); exact MVA X 9.375, R 0.220.
    let doc = json(&[
        "--demand",
        "0.1",
        "--think",
        "0.1",
        "--users",
        "3",
        "--exact-limit",
        "2",
    ]);
    let r = row(&doc, 3);
    assert_eq!(r["method"], "schweitzer");
    assert!(near(num(&r["throughput_per_s"]), 8.7857, 2e-3), "{r}");
    assert!(near(num(&r["response_s"]), 0.2415, 2e-4));
    let doc = json(&["--demand", "0.1", "--think", "0.1", "--users", "3"]);
    let r = row(&doc, 3);
    assert_eq!(r["method"], "exact");
    assert!(near(num(&r["throughput_per_s"]), 9.375, 5e-4));
    assert!(near(num(&r["response_s"]), 0.220, 5e-4));
}

#[test]
fn pdq_bank_model_through_the_cli() {
    // PDQ README "Bank Model": c 4, λ 0.35/min, S 10 min.
    let doc = json(&[
        "erlang",
        "--rate",
        "0.35/m",
        "--service",
        "10m",
        "--servers",
        "4",
    ]);
    assert!(near(num(&doc["utilization"]), 0.875, 1e-12));
    assert!(near(num(&doc["wait_probability"]), 0.7379, 5e-5));
    assert!(near(num(&doc["mean_wait_s"]) / 60.0, 14.7572, 5e-5));
    assert!(near(num(&doc["mean_response_s"]) / 60.0, 24.7572, 5e-5));
    assert!(near(num(&doc["mean_in_system"]), 8.6650, 5e-5));
    assert!(near(num(&doc["mean_queue"]), 5.1650, 5e-5));
    assert!(near(num(&doc["max_throughput_per_s"]) * 60.0, 0.4, 1e-12));
    pace()
        .args([
            "model",
            "erlang",
            "--rate",
            "0.35/m",
            "--service",
            "10m",
            "--servers",
            "4",
        ])
        .assert()
        .success()
        .stdout(predicate::str::contains("0.7379"))
        .stdout(predicate::str::contains("87.5 %"));
}

#[test]
fn bank_sizing_through_the_cli() {
    // 4 tellers wait with P 0.7379 (PDQ), so a 0.8 target needs 4 (3 are
    // overloaded at a = 3.5) and a 0.7 target needs more than 4.
    let doc = json(&[
        "erlang",
        "--rate",
        "0.35/m",
        "--service",
        "10m",
        "--target-wait-probability",
        "0.8",
    ]);
    assert_eq!(doc["servers"], 4);
    assert!(doc["one_fewer"].is_null());
    let doc = json(&[
        "erlang",
        "--rate",
        "0.35/m",
        "--service",
        "10m",
        "--target-wait-probability",
        "0.7",
    ]);
    assert_eq!(doc["servers"], 5);
    assert!(near(
        num(&doc["one_fewer"]["wait_probability"]),
        0.7379,
        5e-5
    ));
    // A mean-wait target just under PDQ's 14.7572 min also needs the fifth teller.
    let doc = json(&[
        "erlang",
        "--rate",
        "0.35/m",
        "--service",
        "10m",
        "--target-mean-wait",
        "14.75m",
    ]);
    assert_eq!(doc["servers"], 5);
}

#[test]
fn help_shows_the_worked_examples() {
    pace()
        .args(["model", "--help"])
        .assert()
        .success()
        .stdout(predicate::str::contains("Jain 1991 Table 34.1"))
        .stdout(predicate::str::contains("PDQ bank model"));
    pace()
        .args(["model", "erlang", "--help"])
        .assert()
        .success()
        .stdout(predicate::str::contains("--target-wait-probability"));
}

#[test]
fn bad_input_is_one_line_naming_the_flag() {
    let cases: &[(&[&str], &str)] = &[
        (&["--demand", "-1,2", "--users", "3"], "--demand"),
        (&["--demand", "1,2", "--users", "50..1"], "--users"),
        (&["--demand", "1", "--users", "0"], "--users"),
        (
            &["--demand", "1", "--users", "1..99999999999999"],
            "--users",
        ),
        (&["--demand", "1", "--users", "1..5000"], "--users"),
        (&["--demand", "0,0", "--users", "2"], "--demand"),
        (&["--demand", "nan", "--users", "2"], "--demand"),
        (
            &["--demand", "1", "--think", "-3", "--users", "2"],
            "--think",
        ),
        (&["--demand", "1"], "--users"),
        (&["--users", "3"], "--demand"),
        (
            &["--utilization", "1.2", "--throughput", "3", "--users", "2"],
            "--utilization",
        ),
        (
            &["--utilization", "100%", "--throughput", "3", "--users", "2"],
            "--utilization",
        ),
        (
            &["--demand", "1", "--users", "2", "--exact-limit", "99999999"],
            "--exact-limit",
        ),
        (
            &["--demand", "1", "--users", "2", "--names", "a,b"],
            "--names",
        ),
        (
            &[
                "erlang",
                "--rate",
                "0.35/m",
                "--service",
                "10m",
                "--servers",
                "3",
            ],
            "--servers",
        ),
        (
            &[
                "erlang",
                "--rate",
                "-1",
                "--service",
                "10m",
                "--servers",
                "4",
            ],
            "--rate",
        ),
        (
            &["erlang", "--rate", "1", "--service", "0", "--servers", "4"],
            "--service",
        ),
        (&["erlang", "--rate", "1", "--service", "1"], "--servers"),
        (
            &[
                "erlang",
                "--rate",
                "1",
                "--service",
                "1",
                "--target-wait-probability",
                "1.5",
            ],
            "--target-wait-probability",
        ),
        (
            &[
                "erlang",
                "--rate",
                "1e300",
                "--service",
                "1h",
                "--target-mean-wait",
                "1s",
            ],
            "--rate",
        ),
    ];
    for (args, flag) in cases {
        let out = pace().arg("model").args(*args).output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(out.stdout.is_empty(), "{args:?}");
        assert_eq!(err.trim_end().lines().count(), 1, "{args:?}: {err}");
        assert!(err.contains(flag), "{args:?} should name {flag}: {err}");
        assert!(!err.contains("panicked"), "{args:?}: {err}");
    }
}
