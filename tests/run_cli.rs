//! `pace run` as a process against servers started inside the test on
//! 127.0.0.1. Each run is bounded to a few seconds.

mod common;

use assert_cmd::Command;
use common::Server;
use predicates::prelude::*;
use serde_json::Value;
use std::path::{Path, PathBuf};

fn write_plan(dir: &Path, body: &str) -> PathBuf {
    let p = dir.join("plan.toml");
    std::fs::write(&p, body).unwrap();
    p
}

/// Runs `pace run` and returns (exit code, stdout, stderr, results folder).
fn run(plan: &Path, results: &Path, extra: &[&str]) -> (i32, String, String, PathBuf) {
    let out = Command::cargo_bin("pace")
        .unwrap()
        .args([
            "run",
            plan.to_str().unwrap(),
            "--results-dir",
            results.to_str().unwrap(),
            "--seed",
            "11",
            "--quiet",
        ])
        .args(extra)
        .timeout(std::time::Duration::from_secs(60))
        .output()
        .unwrap();
    let dir = std::fs::read_dir(results)
        .map(|mut d| d.next().map(|e| e.unwrap().path()))
        .ok()
        .flatten()
        .unwrap_or_default();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into(),
        String::from_utf8_lossy(&out.stderr).into(),
        dir,
    )
}

fn summary(dir: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(dir.join("summary.json")).unwrap()).unwrap()
}

/// Iteration rows of samples.csv: (user, start on the absolute schedule).
/// The schedule, not the actual start: how late a busy machine wakes a
/// user is measured apart (lateness) and must not make these tests flaky.
fn iteration_starts(dir: &Path) -> Vec<(u32, f64)> {
    let f = std::fs::File::open(dir.join("samples.csv")).unwrap();
    pace::results::sample::read_samples(f)
        .map(|r| r.unwrap())
        .filter(|s| s.kind == pace::results::sample::Kind::Iteration)
        .map(|s| (s.user, s.planned()))
        .collect()
}

fn plan_text(
    url: &str,
    users: u64,
    pacing: &str,
    duration: &str,
    ramp: &str,
    extra: &str,
) -> String {
    format!(
        r#"
[run]
duration = "{duration}"
ramp_up = "{ramp}"
ts_interval = "1s"
grace = "2s"

[[group]]
name = "g"
users = {users}

[group.pacing]
{pacing}

[[group.step]]
name = "home"
url = "{url}/"
timeout = "2s"

{extra}
"#
    )
}

#[test]
fn fixed_pacing_lands_in_the_band_and_writes_summary() {
    let s = Server::new("2ms", 0.0);
    let dir = tempfile::tempdir().unwrap();
    let plan = write_plan(
        dir.path(),
        &plan_text(
            &s.url(),
            20,
            "mode = \"fixed\"\ninterval = \"250ms\"",
            "4s",
            "1s",
            "",
        ),
    );
    let (code, out, err, res) = run(&plan, &dir.path().join("results"), &[]);
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(out.contains("PASS"), "{out}");
    let v = summary(&res);
    assert_eq!(v["partial"], false);
    let tpm = v["achieved"]["tpm"].as_f64().unwrap();
    assert!(
        tpm >= v["expected"]["tpm_low"].as_f64().unwrap()
            && tpm <= v["expected"]["tpm_high"].as_f64().unwrap(),
        "{v}"
    );
    // 20 users at 250 ms = 4800 TPM over the 3 s window.
    assert!((v["expected"]["tpm"].as_f64().unwrap() - 4800.0).abs() < 1e-6);
    assert_eq!(v["late_starts"], 0);
    assert_eq!(v["verdict"]["pass"], true);
    for k in [
        "count", "min", "avg", "p80", "p90", "p95", "p99", "p999", "max", "stdev",
    ] {
        assert!(v["timers"]["home"][k].is_number(), "timers.home.{k}");
    }
    assert!(res.join("plan.toml").exists() && res.join("samples.csv").exists());
    // The folder is named by the start in UTC, marked Z: 20261130-181919Z.
    let name = res.file_name().unwrap().to_str().unwrap();
    let b = name.as_bytes();
    assert!(
        b.len() == 16
            && b[8] == b'-'
            && b[15] == b'Z'
            && b[..8].iter().chain(&b[9..15]).all(u8::is_ascii_digit),
        "{name}"
    );
}

#[test]
fn random_pacing_keeps_its_mean_interval() {
    let s = Server::new("1ms", 0.0);
    let dir = tempfile::tempdir().unwrap();
    let plan = write_plan(
        dir.path(),
        &plan_text(
            &s.url(),
            10,
            "mode = \"uniform\"\nmin = \"100ms\"\nmax = \"300ms\"",
            "5s",
            "0s",
            "",
        ),
    );
    let (code, out, err, res) = run(&plan, &dir.path().join("results"), &[]);
    assert_eq!(code, 0, "{out}\n{err}");
    let starts = iteration_starts(&res);
    let mut gaps = Vec::new();
    for u in 0..10 {
        let mut t: Vec<f64> = starts
            .iter()
            .filter(|(x, _)| *x == u)
            .map(|(_, t)| *t)
            .collect();
        t.sort_by(f64::total_cmp);
        gaps.extend(t.windows(2).map(|w| w[1] - w[0]));
    }
    let mean = gaps.iter().sum::<f64>() / gaps.len() as f64;
    // ~240 gaps of sd 58 ms: the mean is within 15 ms of 200 ms.
    assert!(
        (mean - 0.2).abs() < 0.015,
        "mean interval {mean} over {} gaps",
        gaps.len()
    );
    let min = gaps.iter().cloned().fold(f64::INFINITY, f64::min);
    assert!(min >= 0.099, "an interval shorter than min: {min}");
}

#[test]
fn ramp_up_starts_users_evenly() {
    let s = Server::new("1ms", 0.0);
    let dir = tempfile::tempdir().unwrap();
    let plan = write_plan(
        dir.path(),
        &plan_text(
            &s.url(),
            4,
            "mode = \"fixed\"\ninterval = \"500ms\"",
            "3s",
            "2s",
            "",
        ),
    );
    let (_, _, _, res) = run(&plan, &dir.path().join("results"), &[]);
    let f = std::fs::File::open(res.join("samples.csv")).unwrap();
    let mut starts: Vec<(u32, f64)> = pace::results::sample::read_samples(f)
        .map(|r| r.unwrap())
        .filter(|s| s.kind == pace::results::sample::Kind::UserStart)
        .map(|s| (s.user, s.t))
        .collect();
    starts.sort_by_key(|s| s.0);
    assert_eq!(starts.len(), 4);
    for (u, t) in starts {
        // User i of 4 starts at i * 2 s / 4.
        let want = u as f64 * 0.5;
        assert!(
            (t - want).abs() < 0.05,
            "user {u} started at {t}, want {want}"
        );
    }
}

#[test]
fn late_starts_against_a_slow_server_are_named_in_the_fail_reason() {
    let s = Server::new("300ms", 0.0);
    let dir = tempfile::tempdir().unwrap();
    let plan = write_plan(
        dir.path(),
        &plan_text(
            &s.url(),
            5,
            "mode = \"fixed\"\ninterval = \"200ms\"",
            "3s",
            "0s",
            "",
        ),
    );
    let (code, out, err, res) = run(&plan, &dir.path().join("results"), &[]);
    assert_eq!(code, 1, "{out}\n{err}");
    assert!(out.contains("FAIL:"), "{out}");
    assert!(
        out.contains("started late after the previous one overran the 200 ms pacing"),
        "{out}"
    );
    // 300 ms responses at a 200 ms pacing: the mean alone keeps 7.5 users
    // busy (Little's law), and the advice says how many would do.
    assert!(
        out.contains("users busy (Little's law): more than the plan's 5"),
        "{out}"
    );
    assert!(out.contains("users with a pacing of"), "{out}");
    let v = summary(&res);
    assert!(
        v["late_starts"].as_u64().unwrap() > 20,
        "{}",
        v["late_starts"]
    );
    assert_eq!(v["verdict"]["pass"], false);
}

#[test]
fn errors_are_counted_and_fail_the_error_rate() {
    let s = Server::new("1ms", 1.0);
    let dir = tempfile::tempdir().unwrap();
    let plan = write_plan(
        dir.path(),
        &plan_text(
            &s.url(),
            4,
            "mode = \"fixed\"\ninterval = \"200ms\"",
            "2s",
            "0s",
            "[acceptance]\nerror_rate = \"1%\"",
        ),
    );
    let (code, out, _, res) = run(&plan, &dir.path().join("results"), &[]);
    assert_eq!(code, 1, "{out}");
    let v = summary(&res);
    assert!(
        v["achieved"]["errors"].as_u64().unwrap() >= 30,
        "{}",
        v["achieved"]
    );
    assert!(v["errors"]["status"]["count"].as_u64().unwrap() >= 30);
    assert!(out.contains("error rate 100%"), "{out}");
}

#[test]
fn refused_connections_are_errors_not_crashes() {
    // A socket bound but not listening holds the port for the whole test:
    // connections to it are refused, and no other test can take it (a
    // listener bound and dropped would free the port for anyone).
    let held = tokio::net::TcpSocket::new_v4().unwrap();
    held.bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let port = held.local_addr().unwrap().port();
    let dir = tempfile::tempdir().unwrap();
    let plan = write_plan(
        dir.path(),
        &plan_text(
            &format!("http://127.0.0.1:{port}"),
            2,
            "mode = \"fixed\"\ninterval = \"200ms\"",
            "1s",
            "0s",
            "",
        ),
    );
    let (code, out, err, res) = run(&plan, &dir.path().join("results"), &[]);
    assert_eq!(code, 1, "{out}\n{err}");
    let v = summary(&res);
    assert!(
        v["errors"]["connect"]["count"].as_u64().unwrap() > 0,
        "{}",
        v["errors"]
    );
    // In words: no library text, Rust type name or errno.
    let want = format!("connection refused by 127.0.0.1:{port}");
    assert_eq!(v["errors"]["connect"]["first_messages"][0], want.as_str());
    let samples = std::fs::read_to_string(res.join("samples.csv")).unwrap();
    for text in [&samples, &out, &err] {
        assert!(
            !text.contains("os error") && !text.contains("(Connect)"),
            "{text}"
        );
    }
    assert!(samples.contains(&want), "{samples}");
}

/// Messages name what the user gave: a folder without a plan, a --var the
/// plan never uses (a warning, not an error), a missing file without its
/// errno.
#[test]
fn messages_for_a_plan_folder_a_var_and_a_missing_file() {
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    let (code, _, err) = common::pace(dir.path(), &["run", "empty"]);
    assert_eq!(code, 2, "{err}");
    assert_eq!(
        err.trim(),
        "error: empty: no plan.toml or config.cfg in this folder"
    );
    let (code, _, err) = common::pace(dir.path(), &["run", "nosuch.toml"]);
    assert_eq!(code, 2, "{err}");
    assert_eq!(
        err.trim(),
        "error: nosuch.toml: cannot read the plan: No such file or directory"
    );
    let plan = write_plan(
        dir.path(),
        &plan_text(
            "http://127.0.0.1:9",
            1,
            "mode = \"fixed\"\ninterval = \"1s\"",
            "1s",
            "0s",
            "",
        ),
    );
    let plan = plan.to_str().unwrap();
    let (code, out, err) = common::pace(dir.path(), &["run", plan, "--check", "--var", "NOPE=1"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        err.lines()
            .any(|l| l == "pace: --var NOPE: the plan uses no ${NOPE}"),
        "{err}"
    );
    let text = std::fs::read_to_string(plan).unwrap();
    let data = text.replacen("users = ", "data = \"nosuch.csv\"\nusers = ", 1);
    std::fs::write(plan, data).unwrap();
    let (code, _, err) = common::pace(dir.path(), &["run", plan, "--check"]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("'nosuch.csv': No such file or directory"),
        "{err}"
    );
    assert!(!err.contains("os error"), "{err}");
}

#[test]
fn open_model_counts_dropped_iterations() {
    let s = Server::new("200ms", 0.0);
    let dir = tempfile::tempdir().unwrap();
    let plan = write_plan(
        dir.path(),
        &plan_text(
            &s.url(),
            2,
            "mode = \"arrival-rate\"\nrate = \"40/s\"",
            "2s",
            "0s",
            "",
        ),
    );
    let (code, out, _, res) = run(&plan, &dir.path().join("results"), &[]);
    assert_eq!(code, 1, "{out}");
    let v = summary(&res);
    // 2 workers at ~200 ms serve ~10/s of the 40/s: most arrivals drop.
    assert!(v["dropped"].as_u64().unwrap() > 40, "{}", v["dropped"]);
    assert!(out.contains("dropped"), "{out}");
}

#[test]
fn plan_errors_exit_2_naming_the_key_before_any_traffic() {
    let dir = tempfile::tempdir().unwrap();
    let bad = plan_text(
        "http://127.0.0.1:9",
        0,
        "mode = \"fixed\"\ninterval = \"1s\"",
        "1s",
        "0s",
        "",
    );
    let plan = write_plan(dir.path(), &bad);
    let (code, _, err, _) = run(&plan, &dir.path().join("results"), &[]);
    assert_eq!(code, 2);
    assert!(
        err.contains("group[0].users") && err.contains(":10:"),
        "{err}"
    );
    assert!(
        !dir.path().join("results").exists(),
        "a results folder for a plan that never ran"
    );

    let (code, _, err, _) = run(&dir.path().join("missing.toml"), &dir.path().join("r"), &[]);
    assert_eq!(code, 2);
    assert!(err.contains("missing.toml"), "{err}");
}

#[test]
fn check_prints_the_band_without_traffic() {
    let dir = tempfile::tempdir().unwrap();
    let plan = write_plan(
        dir.path(),
        &plan_text(
            "http://127.0.0.1:9",
            100,
            "mode = \"fixed\"\ninterval = \"2s\"",
            "1h",
            "5m",
            "",
        ),
    );
    Command::cargo_bin("pace")
        .unwrap()
        .args(["run", plan.to_str().unwrap(), "--check"])
        .assert()
        .success()
        .stdout(predicate::str::contains("100 users"))
        .stdout(predicate::str::contains("3000 TPM"));
}

#[cfg(unix)]
#[test]
fn sigint_leaves_partial_results_and_exits_3() {
    let s = Server::new("1ms", 0.0);
    let dir = tempfile::tempdir().unwrap();
    let plan = write_plan(
        dir.path(),
        &plan_text(
            &s.url(),
            5,
            "mode = \"fixed\"\ninterval = \"100ms\"",
            "30s",
            "0s",
            "",
        ),
    );
    let results = dir.path().join("results");
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_pace"))
        .args([
            "run",
            plan.to_str().unwrap(),
            "--results-dir",
            results.to_str().unwrap(),
            "--quiet",
        ])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(1500));
    // SAFETY-free: kill(1) with SIGINT via the shell's kill.
    std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    let start = std::time::Instant::now();
    let status = loop {
        if let Some(st) = child.try_wait().unwrap() {
            break st;
        }
        assert!(
            start.elapsed().as_secs() < 20,
            "pace did not stop after SIGINT"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    assert_eq!(status.code(), Some(3));
    let res = std::fs::read_dir(&results)
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let v = summary(&res);
    assert_eq!(v["partial"], true);
    assert!(v["achieved"]["transactions"].as_u64().unwrap() > 0);
    assert!(!iteration_starts(&res).is_empty());
}

/// Mean start-to-start gap over every user's consecutive iterations.
fn mean_gap(res: &Path) -> (f64, usize) {
    let starts = iteration_starts(res);
    let users: std::collections::BTreeSet<u32> = starts.iter().map(|s| s.0).collect();
    let mut gaps = Vec::new();
    for u in users {
        let mut t: Vec<f64> = starts
            .iter()
            .filter(|(x, _)| *x == u)
            .map(|(_, t)| *t)
            .collect();
        t.sort_by(f64::total_cmp);
        gaps.extend(t.windows(2).map(|w| w[1] - w[0]));
    }
    (gaps.iter().sum::<f64>() / gaps.len() as f64, gaps.len())
}

#[test]
fn every_pacing_mode_has_its_measured_mean_interval() {
    let s = Server::new("20ms", 0.0);
    // Start to start: the schedule's mean gap is the pacing's mean, whatever
    // the machine's load (pacing keys, expected mean gap, tolerance).
    let paced = [
        ("mode = \"fixed\"\ninterval = \"200ms\"", 0.200, 1e-9),
        // sd ~100 ms over ~300 gaps: standard error ~6 ms.
        (
            "mode = \"beta\"\ninterval = \"200ms\"\nmin = \"100ms\"\nmax = \"700ms\"",
            0.200,
            0.02,
        ),
        // sd 150 ms over ~300 gaps: standard error ~9 ms.
        (
            "mode = \"exponential\"\ninterval = \"200ms\"\nmin = \"50ms\"",
            0.200,
            0.035,
        ),
    ];
    for (pacing, want, tol) in paced {
        let dir = tempfile::tempdir().unwrap();
        let plan = write_plan(dir.path(), &plan_text(&s.url(), 16, pacing, "4s", "0s", ""));
        let (code, out, err, res) = run(&plan, &dir.path().join("results"), &[]);
        assert!([0, 1].contains(&code), "{pacing}: {out}\n{err}");
        let (mean, n) = mean_gap(&res);
        assert!(
            (mean - want).abs() <= tol,
            "{pacing}: mean interval {mean} over {n} gaps, want {want}"
        );
    }
    // A closed loop: every start is due exactly `delay` after the previous
    // iteration's end (its lateness is measured apart), however long the
    // iteration took.
    for (pacing, delay) in [
        ("mode = \"after-end\"\ndelay = \"150ms\"", 0.150),
        ("mode = \"none\"", 0.0),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let plan = write_plan(dir.path(), &plan_text(&s.url(), 16, pacing, "2s", "0s", ""));
        let (code, out, err, res) = run(&plan, &dir.path().join("results"), &[]);
        // No target: a closed loop promises no rate (NO CHECKS, 4).
        assert_eq!(code, 4, "{pacing}: {out}\n{err}");
        let f = std::fs::File::open(res.join("samples.csv")).unwrap();
        let mut iters: Vec<pace::results::sample::Sample> = pace::results::sample::read_samples(f)
            .map(|r| r.unwrap())
            .filter(|s| s.kind == pace::results::sample::Kind::Iteration)
            .collect();
        iters.sort_by(|a, b| a.user.cmp(&b.user).then(a.iteration.cmp(&b.iteration)));
        let mut pairs = 0;
        for w in iters.windows(2) {
            if w[0].user != w[1].user {
                continue;
            }
            let end = w[0].iter_start + w[0].latency;
            let due = w[1].iter_sched;
            assert!(
                (due - end - delay).abs() < 1e-6,
                "{pacing}: user {} iteration {} due {due}, previous ended {end}",
                w[1].user,
                w[1].iteration
            );
            pairs += 1;
        }
        assert!(pairs > 50, "{pacing}: {pairs} pairs");
    }
}

#[test]
fn the_same_seed_reproduces_the_schedule() {
    let s = Server::new("1ms", 0.0);
    let dir = tempfile::tempdir().unwrap();
    let plan = write_plan(
        dir.path(),
        &plan_text(
            &s.url(),
            5,
            "mode = \"uniform\"\nmin = \"100ms\"\nmax = \"500ms\"",
            "2s",
            "0s",
            "",
        ),
    );
    let first = |res: &Path| {
        let mut f: Vec<(u32, f64)> = iteration_starts(res);
        f.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.total_cmp(&b.1)));
        f.dedup_by_key(|x| x.0);
        f
    };
    let (_, _, _, a) = run(&plan, &dir.path().join("a"), &[]);
    let (_, _, _, b) = run(&plan, &dir.path().join("b"), &[]);
    let (fa, fb) = (first(&a), first(&b));
    assert_eq!(fa.len(), 5);
    // Same seed, same draws: the same schedule to the last bit.
    assert_eq!(fa, fb);
    assert_eq!(summary(&a)["meta"]["seed"], 11);
}

#[test]
fn a_hanging_target_times_out_as_errors() {
    let s = Server::new("5s", 0.0);
    let dir = tempfile::tempdir().unwrap();
    let text = plan_text(
        &s.url(),
        2,
        "mode = \"fixed\"\ninterval = \"300ms\"",
        "1s",
        "0s",
        "",
    )
    .replace("timeout = \"2s\"", "timeout = \"200ms\"");
    let plan = write_plan(dir.path(), &text);
    let (code, out, _, res) = run(&plan, &dir.path().join("results"), &[]);
    assert_eq!(code, 1, "{out}");
    let v = summary(&res);
    assert!(
        v["errors"]["timeout"]["count"].as_u64().unwrap() >= 2,
        "{}",
        v["errors"]
    );
}

#[test]
fn verify_rejudges_saved_results_against_another_plan() {
    let s = Server::new("1ms", 0.0);
    let dir = tempfile::tempdir().unwrap();
    let text = plan_text(
        &s.url(),
        10,
        "mode = \"fixed\"\ninterval = \"250ms\"",
        "3s",
        "1s",
        "",
    );
    let plan = write_plan(dir.path(), &text);
    let (code, _, _, res) = run(&plan, &dir.path().join("results"), &[]);
    assert_eq!(code, 0);
    Command::cargo_bin("pace")
        .unwrap()
        .args(["verify", res.to_str().unwrap()])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("PASS"));
    // A stricter plan: twice the users at the same pacing expects twice the rate.
    let other = dir.path().join("other.toml");
    std::fs::write(&other, text.replace("users = 10", "users = 20")).unwrap();
    Command::cargo_bin("pace")
        .unwrap()
        .args([
            "verify",
            res.to_str().unwrap(),
            "--plan",
            other.to_str().unwrap(),
        ])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("FAIL"));
}
