//! Script groups end to end: Pyak47 Transaction scripts (Python 3, in
//! tests/fixtures/scripts/test_scripts) run by pace's worker processes under
//! pace's pacing, against a server started by the test on 127.0.0.1; broken
//! scripts and workers; a worker in another language (sh). Each run is
//! bounded to a few seconds.

mod common;

use common::{Server, copy_tree, only_results_dir, pace};
use serde_json::Value;
use std::path::{Path, PathBuf};

/// A copy of the fixture project with `plan` as its plan.toml.
fn project(plan: &str) -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("project");
    copy_tree(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/scripts"),
        &dir,
    );
    std::fs::write(dir.join("plan.toml"), plan).unwrap();
    (tmp, dir)
}

/// Runs the project with TARGET_URL set; returns (code, stderr, summary, results folder).
fn run(dir: &Path, url: &str) -> (i32, String, Value, PathBuf) {
    let out = assert_cmd::Command::cargo_bin("pace")
        .unwrap()
        .current_dir(dir)
        .env("TARGET_URL", url)
        .args(["run", ".", "--quiet", "--seed", "9"])
        .timeout(std::time::Duration::from_secs(60))
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr).to_string();
    let results = only_results_dir(&dir.join("results"));
    let summary: Value =
        serde_json::from_str(&std::fs::read_to_string(results.join("summary.json")).unwrap())
            .unwrap_or_else(|e| panic!("{e}: {err}"));
    (out.status.code().unwrap_or(-1), err, summary, results)
}

fn group(name: &str, users: u32, script: &str, interval: &str, extra: &str) -> String {
    format!(
        r#"
[[group]]
name = "{name}"
users = {users}
script = "{script}"
{extra}

[group.pacing]
mode = "fixed"
interval = "{interval}"
"#
    )
}

const RUN: &str = r#"
[run]
duration = "2s"
ts_interval = "1s"
grace = "2s"
"#;

fn count(s: &Value, timer: &str) -> u64 {
    s["timers"][timer]["count"].as_u64().unwrap_or(0)
}

#[test]
fn the_manuals_examples_run_under_pacing() {
    let server = Server::new("2ms", 0.0);
    let plan = format!(
        "[target]\ntps = 20\n{RUN}{}{}",
        group("web", 2, "test_scripts/http_get.py", "200ms", ""),
        group("mixed", 2, "test_scripts/sometimes-fails.py", "200ms", ""),
    );
    let (_tmp, dir) = project(&plan);
    let (code, err, s, results) = run(&dir, &server.url());
    assert!(code == 0 || code == 1, "{err}");

    // Paced: 2 users x 2 s / 200 ms = 20 calls per group (the band allows
    // a start or so either way); every web call reached the server.
    let web = count(&s, "web");
    assert!((18..=22).contains(&web), "web transactions: {web}");
    assert_eq!(server.served(), web, "each run() made one request");
    assert_eq!(
        count(&s, "Example_Homepage"),
        web,
        "a custom timer per call"
    );
    let custom: Vec<&str> = s["custom_timers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert!(custom.contains(&"Example_Homepage"));
    assert!(custom.contains(&"step:one"), "a ':' in a timer name works");
    assert!(
        !custom.contains(&"web"),
        "the transaction is not a custom timer"
    );
    // Pyak47's ids: thread_num per user in its group, process_num the group.
    for t in ["user 0 of group 1", "user 1 of group 1"] {
        assert!(custom.contains(&t), "{t} in {custom:?}");
    }
    // 'rare' is set on every 4th call only, and never repeated after.
    let mixed_calls = count(&s, "mixed") + s["timer_errors"]["mixed"].as_u64().unwrap();
    let rare = count(&s, "rare") + s["timer_errors"]["rare"].as_u64().unwrap_or(0);
    // Per user floor(calls / 4): with Pyak47's stale timers it would be
    // nearly every call.
    assert!(
        rare <= mixed_calls / 4 && rare + 2 >= mixed_calls / 4,
        "rare: {rare} of {mixed_calls}"
    );

    // Every 5th call fails its assert, every 7th raises with no message:
    // both are errors, the message keeps its comma and newline.
    let errors = &s["errors"]["script"];
    assert!(errors["count"].as_u64().unwrap() >= 2, "{s}");
    let messages: Vec<&str> = errors["first_messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m.as_str().unwrap())
        .collect();
    assert!(
        messages.contains(&"AssertionError: bad, very bad\nsecond line"),
        "{messages:?}"
    );
    assert!(messages.contains(&"AssertionError"), "{messages:?}");

    // All Transactions counts calls, not custom timers.
    let all = s["all_transactions"]["count"].as_u64().unwrap();
    assert_eq!(all, web + count(&s, "mixed"));

    // The scripts' prints went to workers.log, never into the protocol.
    let report = std::fs::read_to_string(results.join("report.html")).unwrap();
    assert!(report.contains("Custom Timer: Example_Homepage"));
    assert!(results.join("workers.log").exists());
}

#[test]
fn broken_scripts_and_workers_are_errors_and_the_run_goes_on() {
    let server = Server::new("1ms", 0.0);
    let plan = format!(
        "{RUN}{}{}{}{}",
        group("healthy", 1, "test_scripts/http_get.py", "100ms", ""),
        group("init", 1, "test_scripts/init_raises.py", "100ms", ""),
        group("crash", 1, "test_scripts/crash_mid_run.py", "100ms", ""),
        group(
            "hang",
            1,
            "test_scripts/hangs.py",
            "100ms",
            "script_timeout = \"300ms\""
        ),
    );
    let (_tmp, dir) = project(&plan);
    let (code, err, s, results) = run(&dir, &server.url());
    // The run completes; its verdict fails on the transactions that failed
    // (the groups' pacing sets a rate, and only successes count).
    assert_eq!(code, 1, "{err}");
    let reasons = s["verdict"]["reasons"].to_string();
    assert!(reasons.contains("failed"), "{reasons}");

    // The healthy group never noticed the others, nor the broken.py next
    // to its script.
    let healthy = count(&s, "healthy");
    assert!((18..=21).contains(&healthy), "healthy: {healthy}");
    assert_eq!(s["timer_errors"]["healthy"], 0);

    // __init__ raising: counted at each attempt, the user retired after 3.
    assert_eq!(s["timer_errors"]["init"], 3, "{s}");
    assert!(err.contains("'init' user 0 retired"), "{err}");
    let script = s["errors"]["script"]["first_messages"].to_string();
    assert!(script.contains("cannot log in during setup"), "{script}");

    // The crash on call 3: one error with its stderr, then a new worker
    // carries on (its calls count again from 1, so it crashes on each 3rd).
    let crash_ok = count(&s, "crash");
    let crash_err = s["timer_errors"]["crash"].as_u64().unwrap();
    assert!(
        crash_ok >= 10 && crash_err >= 3,
        "crash: {crash_ok} ok, {crash_err} failed"
    );
    let worker = s["errors"]["worker"]["first_messages"].to_string();
    assert!(worker.contains("about to crash on call 3"), "{worker}");
    assert!(worker.contains("exit status: 3"), "{worker}");

    // The hang: killed after 300 ms as a timeout, restarted.
    let timeouts = s["errors"]["timeout"]["first_messages"].to_string();
    assert!(timeouts.contains("script_timeout of 0.3 s"), "{timeouts}");
    assert!(
        count(&s, "hang") >= 3,
        "the hanging user went on after restarts"
    );
    let log = std::fs::read_to_string(results.join("workers.log")).unwrap();
    assert!(log.contains("[init user 0] Traceback"), "{log}");
}

#[test]
fn a_worker_in_another_language() {
    let plan = format!(
        "{RUN}{}{}",
        group(
            "sh",
            2,
            "test_scripts/http_get.py",
            "100ms",
            "worker = \"./sh_worker.sh\""
        ),
        group(
            "garbage",
            1,
            "test_scripts/http_get.py",
            "100ms",
            "worker = \"GARBAGE_ON=2 ./sh_worker.sh\""
        ),
    );
    let (_tmp, dir) = project(&plan);
    let (code, err, s, _) = run(&dir, "http://127.0.0.1:9");
    assert_eq!(code, 1, "garbage answers are failed transactions: {err}");
    let sh = count(&s, "sh");
    assert!((38..=42).contains(&sh), "sh: {sh}");
    // The time the worker reported is the transaction's time.
    let p50 = s["timers"]["sh"]["p50"].as_f64().unwrap();
    assert!((0.0039..=0.0041).contains(&p50), "{p50}");
    assert!(count(&s, "sh timer") >= sh, "its custom timer");
    // Garbage on each worker's 2nd call: a protocol error, then a fresh
    // worker whose 2nd call fails again: every other call, never retired
    // (a success in between resets the count).
    let bad = s["timer_errors"]["garbage"].as_u64().unwrap();
    let good = count(&s, "garbage");
    assert!(
        bad >= 9 && good.abs_diff(bad) <= 1,
        "{good} ok, {bad} failed"
    );
    let msg = s["errors"]["worker"]["first_messages"].to_string();
    assert!(msg.contains("this is not json"), "{msg}");
}

#[test]
fn script_groups_refuse_bad_plans_before_running() {
    for (extra, script, key) in [
        ("", "test_scripts/missing.py", "group[0].script"),
        (
            "interpreter = \"python9-nowhere\"",
            "test_scripts/http_get.py",
            "group[0].interpreter",
        ),
    ] {
        let plan = format!("{RUN}{}", group("g", 1, script, "1s", extra));
        let (_tmp, dir) = project(&plan);
        let (code, _, err) = pace(&dir, &["run", ".", "--quiet"]);
        assert_eq!(code, 2, "{err}");
        assert_eq!(err.trim().lines().count(), 1, "{err}");
        assert!(err.contains(key), "{err}");
    }
    // Steps and a script in one group.
    let plan = format!(
        "{RUN}{}\n[[group.step]]\nname = \"x\"\nurl = \"http://127.0.0.1:9/\"\n",
        group("g", 1, "test_scripts/http_get.py", "1s", "")
    );
    let (_tmp, dir) = project(&plan);
    let (code, _, err) = pace(&dir, &["run", ".", "--check"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("script"), "{err}");
}

#[test]
fn a_new_project_runs_end_to_end() {
    let tmp = tempfile::tempdir().unwrap();
    let (code, out, err) = pace(tmp.path(), &["new", "proj"]);
    assert_eq!(code, 0, "{out}{err}");
    // The template runs 30 s; 3 s are enough here.
    let plan = tmp.path().join("proj/plan.toml");
    let text = std::fs::read_to_string(&plan)
        .unwrap()
        .replace("duration = \"30s\"", "duration = \"3s\"")
        .replace("ramp_up = \"4s\"", "ramp_up = \"1s\"")
        .replace("ts_interval = \"5s\"", "ts_interval = \"1s\"");
    std::fs::write(&plan, text).unwrap();
    let (code, out, err) = pace(tmp.path(), &["run", "proj", "--quiet", "--seed", "1"]);
    assert_eq!(code, 0, "{out}{err}");
    // Results land in the project, as Pyak47 kept them.
    let results = only_results_dir(&tmp.path().join("proj/results"));
    let s: Value =
        serde_json::from_str(&std::fs::read_to_string(results.join("summary.json")).unwrap())
            .unwrap();
    assert_eq!(s["verdict"]["pass"], true, "{s}");
    assert!(count(&s, "Example_Timer") > 0, "{s}");
    assert!(count(&s, "user_group-1") >= 8);
}

#[test]
fn a_pyak47_project_with_two_groups_is_imported_and_run() {
    let server = Server::new("1ms", 0.0);
    let (_tmp, dir) = project("");
    std::fs::remove_file(dir.join("plan.toml")).unwrap();
    // Pyak47's own shape: rampup = run_time, ':' separators, upper case.
    std::fs::write(
        dir.join("config.cfg"),
        "[global]\nrun_time = 2\nRampUp: 2\nresults_ts_interval = 1\n\n\
         [user_group-1]\nthreads = 2\nscript = http_get.py\n\n\
         [user_group-2]\nthreads = 2\nscript = sometimes-fails.py\n",
    )
    .unwrap();
    // Run as it is (converted in memory), then imported and run again.
    for round in 0..2 {
        if round == 1 {
            let (code, out, err) = pace(&dir, &["import", "."]);
            assert_eq!(code, 0, "{out}{err}");
            assert!(dir.join("plan.toml").exists());
        }
        let _ = std::fs::remove_dir_all(dir.join("results"));
        let (code, _, s, _) = run(&dir, &server.url());
        // No acceptance and no rate: back to back, nothing promised, so
        // nothing judged (NO CHECKS, exit 4), but real work was done.
        assert_eq!(code, 4);
        let g1 = count(&s, "user_group-1");
        let g2 = count(&s, "user_group-2") + s["timer_errors"]["user_group-2"].as_u64().unwrap();
        // Back to back: far more calls than any pacing would give.
        assert!(g1 > 50 && g2 > 50, "round {round}: {g1} and {g2} calls");
        assert!(count(&s, "Example_Homepage") > 0);
        assert!(count(&s, "step:one") > 0);
        assert!(s["expected"].is_null(), "no throughput band");
    }
}
