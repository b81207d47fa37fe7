//! pace's files fed to tools nobody at pace wrote: results.jtl to the npm
//! `parse-jtl` package (under node), junit.xml to the Jenkins xunit and
//! Apache Ant JUnit schemas (PyPI's `xmlschema`) and to PyPI's
//! `junitparser`. Each must read what summary.json says.
//!
//! The tools come from `tests/consumers/setup.sh`; a missing one fails the
//! test with one line naming that script, never a silent pass. The run is
//! 3 s against pace's embedded target on 127.0.0.1.

mod common;

use common::pace;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

const SETUP: &str = "tests/consumers/setup.sh";

fn consumers() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/consumers")
}

/// Fails with one line naming the setup script when `path` is missing.
fn need(path: &Path, what: &str) {
    assert!(
        path.exists(),
        "{what} is not installed ({} is missing): run {SETUP} first",
        path.display()
    );
}

/// Runs a consumer; its stdout parsed as JSON. A failure is one line with
/// what it said.
fn run_json(cmd: &mut Command) -> Value {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("{cmd:?}: {e}: run {SETUP} first"));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "{cmd:?} failed: {} {}",
        stdout.trim(),
        stderr.trim()
    );
    serde_json::from_str(stdout.trim())
        .unwrap_or_else(|e| panic!("{cmd:?} printed no JSON ({e}): {stdout}"))
}

/// Two steps, one always answered 200 and one always 503, 4 users for 3 s:
/// counts, errors and means every tool can be checked against.
const PLAN: &str = r#"
[target]
tps = 40

[target.embedded]
latency = "uniform:2ms..8ms"
error_rate = 0
seed = 11

[run]
duration = "3s"
ramp_up = "500ms"
ts_interval = "1s"

[[group]]
name = "browse"
users = 4

[group.pacing]
mode = "fixed"
interval = "200ms"

[[group.step]]
name = "home"
url = "${PACE_TARGET}/home"

[[group.step]]
name = "broken"
url = "${PACE_TARGET}/broken?status=503"

[acceptance]
p95 = "2s"
error_rate = "1%"
"#;

/// One run of [`PLAN`]; its results folder.
fn run() -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("plan.toml"), PLAN).unwrap();
    let (code, out, err) = pace(tmp.path(), &["run", "plan.toml", "--seed", "5", "--quiet"]);
    // The broken step fails the error-rate check: FAIL, exit 1.
    assert_eq!(code, 1, "{out}{err}");
    let dir = common::only_results_dir(&tmp.path().join("results"));
    (tmp, dir)
}

fn json(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn u(v: &Value) -> u64 {
    v.as_u64().unwrap_or_else(|| panic!("not a count: {v}"))
}

#[test]
fn parse_jtl_counts_what_summary_json_counts() {
    let parse_jtl = consumers().join("node_modules/parse-jtl/package.json");
    need(&parse_jtl, "parse-jtl");
    let (_tmp, dir) = run();
    let s = json(&dir.join("summary.json"));
    let got = run_json(
        Command::new("node")
            .arg(consumers().join("jtl_check.js"))
            .arg(dir.join("results.jtl"))
            .current_dir(consumers()),
    );
    // home: every request answered; its mean is summary.json's.
    let home = &got["home"];
    let stats = &s["timers"]["home"];
    assert!(u(&stats["count"]) > 20, "a real run: {stats}");
    assert_eq!(u(&home["samples"]), u(&stats["count"]), "{got}");
    assert_eq!(u(&home["errors"]), 0);
    assert_eq!(home["transaction"], false);
    let mean_ms = stats["avg"].as_f64().unwrap() * 1000.0;
    let theirs = home["average"].as_f64().unwrap();
    // The JTL holds whole milliseconds: each row is within 0.5 ms.
    assert!(
        (theirs - mean_ms).abs() <= 0.5 + 0.01 * mean_ms,
        "parse-jtl's mean {theirs} ms, summary.json's {mean_ms} ms"
    );
    // broken: every request an error, as summary.json counts it.
    let broken = &got["broken"];
    let failed = u(&s["timer_errors"]["broken"]);
    assert!(failed > 20);
    assert_eq!(u(&broken["samples"]), failed);
    assert_eq!(u(&broken["errors"]), failed);
    // The transactions: one row per iteration, each failed (503 is the
    // code of its first failing step), read as transactions.
    let tx = &got["browse"];
    assert_eq!(tx["transaction"], true, "{got}");
    assert_eq!(u(&tx["samples"]), u(&s["whole_run"]["iterations"]));
    assert_eq!(u(&tx["errors"]), u(&tx["samples"]));
    // Transactions and errors in all: the steps' rows.
    let steps = u(&home["samples"]) + u(&broken["samples"]);
    assert_eq!(
        steps,
        u(&s["whole_run"]["transactions"]) + u(&s["whole_run"]["errors"])
    );
    assert_eq!(u(&broken["errors"]), u(&s["whole_run"]["errors"]));
    assert_eq!(got.as_object().unwrap().len(), 3, "{got}");

    // Connect is measured: each user's first request opened a connection,
    // the rest reused it.
    let mut rdr = csv::Reader::from_path(dir.join("samples.csv")).unwrap();
    let h = rdr.headers().unwrap().clone();
    let at = |n: &str| h.iter().position(|c| c == n).unwrap();
    let (connect, sent, kind) = (at("connect"), at("sent_bytes"), at("kind"));
    let rows: Vec<csv::StringRecord> = rdr
        .records()
        .map(|r| r.unwrap())
        .filter(|r| &r[kind] == "step")
        .collect();
    let opened = rows
        .iter()
        .filter(|r| r[connect].parse::<f64>().unwrap() > 0.0)
        .count();
    assert!((1..=8).contains(&opened), "{opened} connections opened");
    assert!(rows.iter().all(|r| r[sent].parse::<u64>().unwrap() > 40));
}

#[test]
fn junit_is_valid_for_jenkins_and_ant_and_junitparser_counts_it() {
    let python = consumers().join(".venv/bin/python");
    need(&python, "the Python venv with junitparser and xmlschema");
    let jenkins = consumers().join("xsd/junit-10.xsd");
    need(&jenkins, "the Jenkins xunit JUnit schema");
    let ant = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/junit/JUnit.xsd");
    let (_tmp, dir) = run();
    let s = json(&dir.join("summary.json"));
    let got = run_json(
        Command::new(&python)
            .arg(consumers().join("junit_check.py"))
            .arg(dir.join("junit.xml"))
            .arg(&jenkins)
            .arg(&ant),
    );
    let suites = got["suites"].as_array().unwrap();
    assert_eq!(suites.len(), 1, "{got}");
    let suite = &suites[0];
    let checks = s["verdict"]["checks"].as_array().unwrap();
    let failed = checks.iter().filter(|c| c["pass"] == false).count() as u64;
    assert!(failed >= 1, "the error rate fails");
    // Every check, and "run completed".
    assert_eq!(u(&suite["tests"]), checks.len() as u64 + 1, "{suite}");
    assert_eq!(u(&suite["failures"]), failed);
    assert_eq!(u(&suite["errors"]), 0);
    assert_eq!(u(&suite["skipped"]), 0);
    let cases = suite["cases"].as_array().unwrap();
    assert_eq!(cases.len() as u64, u(&suite["tests"]));
    assert_eq!(
        cases.iter().filter(|c| c["passed"] == false).count() as u64,
        failed
    );
    // The suite's time is the run's, and so is the sum of its cases'.
    let run_s = s["meta"]["run_time_s"].as_f64().unwrap();
    let suite_s = suite["time"].as_f64().unwrap();
    assert!((suite_s - run_s).abs() < 0.001, "{suite_s} vs {run_s}");
    let sum: f64 = cases.iter().map(|c| c["time"].as_f64().unwrap()).sum();
    assert!((sum - run_s).abs() < 0.001, "cases sum to {sum} s");
    assert!(!suite["hostname"].as_str().unwrap().is_empty());
    // A passing check's numbers are on the page: the suite's system-out.
    let said = suite["system_out"].as_str().unwrap();
    for c in checks {
        let line = format!(
            "{} {}: achieved {}, planned {}",
            if c["pass"] == true { "PASS" } else { "FAIL" },
            c["name"].as_str().unwrap(),
            c["achieved"].as_str().unwrap(),
            c["target"].as_str().unwrap()
        );
        assert!(said.contains(&line), "{line:?} not in {said:?}");
    }
}
