//! `pace run --shard I/N`, `--shards N` and `--start-at` as processes,
//! against servers started inside the test on 127.0.0.1. Each run is
//! bounded to a few seconds.

mod common;

use assert_cmd::Command;
use common::Server;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

fn seed_plan() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("plans/seed-24-users-random-pacing.toml")
}

/// `pace ARGS` with extra environment variables; (exit code, stdout, stderr).
fn pace_env(args: &[&str], env: &[(&str, &str)]) -> (i32, String, String) {
    let mut c = Command::cargo_bin("pace").unwrap();
    c.args(args)
        .env_remove("JOB_COMPLETION_INDEX")
        .env_remove("PACE_START_AT")
        .timeout(Duration::from_secs(60));
    for (k, v) in env {
        c.env(k, v);
    }
    let out = c.output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into(),
        String::from_utf8_lossy(&out.stderr).into(),
    )
}

/// A plan of `users` users with fixed pacing against `url`, for `secs`.
fn fixed_plan(dir: &Path, url: &str, users: u64, secs: u32) -> PathBuf {
    let p = dir.join("plan.toml");
    std::fs::write(
        &p,
        format!(
            r#"
[run]
duration = "{secs}s"
ramp_up = "0s"
ts_interval = "1s"
grace = "2s"

[[group]]
name = "g"
users = {users}

[group.pacing]
mode = "fixed"
interval = "400ms"

[[group.step]]
name = "home"
url = "{url}/"
timeout = "2s"
"#
        ),
    )
    .unwrap();
    p
}

fn summary(dir: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(dir.join("summary.json")).unwrap()).unwrap()
}

fn iteration_users(dir: &Path) -> Vec<u32> {
    let f = std::fs::File::open(dir.join("samples.csv")).unwrap();
    pace::results::sample::read_samples(f)
        .map(|r| r.unwrap())
        .filter(|s| s.kind == pace::results::sample::Kind::Iteration)
        .map(|s| s.user)
        .collect()
}

fn rfc3339(t: SystemTime) -> String {
    humantime::format_rfc3339_millis(t).to_string()
}

#[test]
fn check_prints_the_shards_part_and_the_whole() {
    let plan = seed_plan();
    let (code, out, err) = pace_env(
        &[
            "run",
            plan.to_str().unwrap(),
            "--check",
            "--shard",
            "1/4",
            "--seed",
            "1",
        ],
        &[],
    );
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("shard 1/4: 6 users of the plan's 24"), "{out}");
    assert!(out.contains("user_group-1: 6 users of 24"), "{out}");
    // Its window is 58 min (a 2 min ramp-up) of beta pacing, mean 2 min.
    assert!(out.contains("this shard 174 ± 12.3"), "{out}");
    assert!(out.contains("the whole plan 696 ± 24.01"), "{out}");
    // The same from the Indexed Job's variable.
    let (code, out2, _) = pace_env(
        &[
            "run",
            plan.to_str().unwrap(),
            "--check",
            "--shards",
            "4",
            "--seed",
            "1",
        ],
        &[("JOB_COMPLETION_INDEX", "1")],
    );
    assert_eq!(code, 0);
    assert_eq!(out, out2);
}

#[test]
fn the_reference_band_splits_into_four_parts() {
    // Reference F: 24 users, uniform 72-168 s, a 1 h window, 99 %.
    let tmp = tempfile::tempdir().unwrap();
    let plan = fixed_plan(tmp.path(), "http://127.0.0.1:1", 24, 3600);
    common::edit(
        &plan,
        "mode = \"fixed\"\ninterval = \"400ms\"",
        "mode = \"uniform\"\nmin = \"72s\"\nmax = \"168s\"",
    );
    std::fs::write(
        &plan,
        std::fs::read_to_string(&plan).unwrap() + "\n[acceptance]\nconfidence = 0.99\n",
    )
    .unwrap();
    let (code, out, err) = pace_env(
        &[
            "run",
            plan.to_str().unwrap(),
            "--check",
            "--shard",
            "3/4",
            "--seed",
            "1",
        ],
        &[],
    );
    assert_eq!(code, 0, "{err}");
    // The project's band adds the renewal constant and half a count to
    // the reference's z sigma (7.98 and 15.96): see plan::segment's tests.
    assert!(out.contains("this shard 180 ± 8.89"), "{out}");
    assert!(out.contains("the whole plan 720 ± 17.28"), "{out}");
}

/// Extra flags, environment variables, and what the error must name.
type Case<'a> = (&'a [&'a str], &'a [(&'a str, &'a str)], &'a str);

#[test]
fn bad_shard_flags_and_variables_exit_2_naming_them() {
    let plan = seed_plan();
    let p = plan.to_str().unwrap();
    let cases: &[Case] = &[
        (&["--shard", "4/4"], &[], "--shard"),
        (&["--shard", "one"], &[], "--shard"),
        (&["--shards", "0"], &[], "--shards"),
        (&["--shard", "1/4", "--shards", "3"], &[], "--shards"),
        (&["--shards", "4"], &[], "JOB_COMPLETION_INDEX"),
        (
            &["--shards", "4"],
            &[("JOB_COMPLETION_INDEX", "x")],
            "JOB_COMPLETION_INDEX",
        ),
        (
            &["--shards", "4"],
            &[("JOB_COMPLETION_INDEX", "4")],
            "JOB_COMPLETION_INDEX",
        ),
        (&["--start-at", "soon"], &[], "--start-at"),
        (&[], &[("PACE_START_AT", "noon")], "PACE_START_AT"),
    ];
    for (args, env, name) in cases {
        let mut a = vec!["run", p, "--check"];
        a.extend_from_slice(args);
        let (code, _, err) = pace_env(&a, env);
        assert_eq!(code, 2, "{args:?}: {err}");
        assert_eq!(err.trim().lines().count(), 1, "{err}");
        assert!(err.contains(name), "{args:?}: {err}");
    }
    let stairs = Path::new(env!("CARGO_MANIFEST_DIR")).join("plans/capacity-stair.toml");
    let (code, _, err) = pace_env(
        &["run", stairs.to_str().unwrap(), "--check", "--shard", "0/2"],
        &[],
    );
    assert_eq!(code, 2);
    assert!(err.contains("--shard") && err.contains("stair"), "{err}");
}

#[test]
fn a_shard_not_ready_by_its_start_is_late_and_sends_nothing() {
    let server = Server::new("0ms", 0.0);
    let tmp = tempfile::tempdir().unwrap();
    let plan = fixed_plan(tmp.path(), &server.url(), 4, 2);
    let results = tmp.path().join("results");
    let past = rfc3339(SystemTime::now() - Duration::from_secs(1));
    let (code, _, err) = pace_env(
        &[
            "run",
            plan.to_str().unwrap(),
            "--results-dir",
            results.to_str().unwrap(),
            "--quiet",
            "--shard",
            "0/2",
            "--start-at",
            &past,
        ],
        &[],
    );
    assert_eq!(code, 5, "{err}");
    assert!(
        err.contains("--start-at") && err.contains("s after"),
        "{err}"
    );
    let dir = common::only_results_dir(&results);
    let s = summary(&dir);
    assert_eq!(s["meta"]["shard"]["status"], "late");
    assert_eq!(s["meta"]["partial"], true);
    assert!(
        s["meta"]["partial_reason"]
            .as_str()
            .unwrap()
            .contains("not ready")
    );
    assert!(dir.join("plan.toml").is_file());
    assert!(iteration_users(&dir).is_empty());
    assert_eq!(server.served(), 0);
}

/// Runs `pace run` on `plan` with `extra` flags as a child process.
fn spawn(plan: &Path, results: &Path, extra: &[&str]) -> std::process::Child {
    std::process::Command::new(env!("CARGO_BIN_EXE_pace"))
        .args([
            "run",
            plan.to_str().unwrap(),
            "--results-dir",
            results.to_str().unwrap(),
            "--seed",
            "5",
            "--quiet",
        ])
        .args(extra)
        .env_remove("JOB_COMPLETION_INDEX")
        .env_remove("PACE_START_AT")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap()
}

fn finish(child: std::process::Child) -> (i32, String, String) {
    let out = child.wait_with_output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into(),
        String::from_utf8_lossy(&out.stderr).into(),
    )
}

#[test]
fn two_shards_started_together_add_up_to_one_run() {
    let server = Server::new("0ms", 0.0);
    let tmp = tempfile::tempdir().unwrap();
    let plan = fixed_plan(tmp.path(), &server.url(), 5, 2);
    let start = SystemTime::now() + Duration::from_secs(3);
    let at = rfc3339(start);
    let r: Vec<PathBuf> = (0..2).map(|i| tmp.path().join(format!("r{i}"))).collect();
    let shards: Vec<_> = (0..2)
        .map(|i| {
            let s = format!("{i}/2");
            spawn(&plan, &r[i], &["--shard", &s, "--start-at", &at])
        })
        .collect();
    let mut total = 0;
    for (i, child) in shards.into_iter().enumerate() {
        let (code, out, err) = finish(child);
        assert_eq!(code, 0, "shard {i}: {err}");
        assert!(out.contains("pace merge"), "{out}");
        let dir = common::only_results_dir(&r[i]);
        let users = iteration_users(&dir);
        assert!(!users.is_empty());
        assert!(users.iter().all(|u| *u as usize % 2 == i), "{users:?}");
        total += users.len();
        let s = summary(&dir);
        let m = &s["meta"]["shard"];
        assert_eq!(m["index"], i as u64);
        assert_eq!(m["count"], 2);
        assert_eq!(m["status"], "ok");
        assert_eq!(m["start_at"], at.as_str());
        assert_eq!(m["plan_hash"].as_str().unwrap().len(), 64);
        let t0 = m["t0_epoch_us"].as_u64().unwrap();
        let first = m["first_start_epoch_us"].as_u64().unwrap();
        let ready = m["ready_epoch_us"].as_u64().unwrap();
        let want = start
            .duration_since(SystemTime::UNIX_EPOCH)
            .unwrap()
            .as_micros() as u64;
        // Milliseconds: the flag's precision.
        assert!(t0.abs_diff(want) < 1000, "{t0} {want}");
        assert!(ready < t0);
        assert!(
            first >= t0 && first - t0 < 100_000,
            "released {} µs late",
            first - t0
        );
        assert_eq!(s["verdict"]["state"], "incomplete");
        assert!(
            s["verdict"]["reasons"][0]
                .as_str()
                .unwrap()
                .contains("judged once, on the merged shards"),
            "{}",
            s["verdict"]
        );
        // The band is the part's: 3 and 2 of the 5 users.
        assert!(s["expected"]["transactions"].as_f64().unwrap() > 0.0);
    }
    let whole = tmp.path().join("whole");
    let (code, _, err) = finish(spawn(&plan, &whole, &[]));
    assert!(code == 0 || code == 1, "{err}");
    let one = iteration_users(&common::only_results_dir(&whole)).len();
    assert_eq!(
        total, one,
        "fixed pacing: the shards' iterations sum to one run's"
    );
}

#[test]
fn shards_without_a_common_seed_are_refused_before_anything_runs() {
    let server = Server::new("0ms", 0.0);
    let tmp = tempfile::tempdir().unwrap();
    let plan = fixed_plan(tmp.path(), &server.url(), 5, 2);
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_pace"))
        .args(["run", plan.to_str().unwrap(), "--shard", "1/2", "--quiet"])
        .arg("--results-dir")
        .arg(tmp.path().join("r"))
        .env_remove("JOB_COMPLETION_INDEX")
        .env_remove("PACE_START_AT")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("--seed") && err.contains("--start-at"),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(!tmp.path().join("r").exists());
    assert_eq!(server.served(), 0);
}

#[test]
fn check_says_when_the_start_is_already_past() {
    let plan = seed_plan();
    let p = plan.to_str().unwrap();
    let (code, out, err) = pace_env(
        &[
            "run",
            p,
            "--check",
            "--shard",
            "1/4",
            "--start-at",
            "2020-01-01T00:00:00Z",
        ],
        &[],
    );
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("already") && out.contains("would not start (exit 5)"),
        "{out}"
    );
    let later = rfc3339(SystemTime::now() + Duration::from_secs(3600));
    let (code, out, err) = pace_env(
        &["run", p, "--check", "--shard", "1/4", "--start-at", &later],
        &[],
    );
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("every shard must be ready by then"), "{out}");
}

/// `pace run ARGS` in `dir` with `--results-dir r` for a real run:
/// (exit code, stdout, stderr); no traffic is expected from either.
fn check_and_run(dir: &Path, args: &[&str]) -> ((i32, String, String), (i32, String, String)) {
    let mut check = vec!["run", "plan.toml", "--check"];
    check.extend_from_slice(args);
    let mut run = vec!["run", "plan.toml", "--quiet", "--results-dir", "r"];
    run.extend_from_slice(args);
    (
        common::pace_env(dir, &check, &[("PACE_START_AT", "")]),
        common::pace_env(dir, &run, &[("PACE_START_AT", "")]),
    )
}

/// `shard-check-passes-run-rejects`: a plan without run.seed, split with
/// `--shard` and no `--start-at`: `--check` refuses it with the run's own
/// line (exit 2) instead of "plan OK"; with a seed or a start it passes.
#[test]
fn check_shard_refuses_a_split_without_one_seed_as_the_run_does() {
    let (_tmp, dir) = common::case("shard-check-passes-run-rejects");
    let ((code, out, err), (rcode, _, rerr)) = check_and_run(&dir, &["--shard", "0/2"]);
    assert_eq!(rcode, 2, "{rerr}");
    assert!(!dir.join("r").exists());
    assert_eq!(code, 2, "{out}{err}");
    assert!(out.is_empty(), "{out}");
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(
        err.starts_with("error: --shard: the shards need one seed"),
        "{err}"
    );
    assert_eq!(err, rerr);
    // As docs/running.md says: a seed, or a start to derive it from.
    let later = rfc3339(SystemTime::now() + Duration::from_secs(3600));
    for extra in [&["--seed", "5"][..], &["--start-at", &later]] {
        let mut args = vec!["--shard", "0/2"];
        args.extend_from_slice(extra);
        let mut a = vec!["run", "plan.toml", "--check"];
        a.extend_from_slice(&args);
        let (code, out, err) = common::pace_env(&dir, &a, &[]);
        assert_eq!(code, 0, "{extra:?}: {err}");
        assert!(out.contains("shard 0/2: 2 users of the plan's 4"), "{out}");
    }
    // The whole plan draws its seed from the clock: no error.
    let (code, _, err) = common::pace_env(&dir, &["run", "plan.toml", "--check"], &[]);
    assert_eq!(code, 0, "{err}");
}

/// A URL or a header that only a `--var` value makes invalid: `--check
/// --shard` refuses it with the run's line, before anything is sent.
#[test]
fn check_refuses_a_url_or_header_a_var_value_breaks() {
    let server = Server::new("0ms", 0.0);
    let tmp = tempfile::tempdir().unwrap();
    let plan = fixed_plan(tmp.path(), "${BASE}", 2, 2);
    common::edit(
        &plan,
        "timeout = \"2s\"",
        "timeout = \"2s\"\nheaders = { Authorization = \"Bearer ${TOKEN}\" }",
    );
    let base = format!("BASE={}", server.url());
    let good = [
        "--shard",
        "1/2",
        "--seed",
        "3",
        "--var",
        &base,
        "--var",
        "TOKEN=t0k",
    ];
    let (code, _, err) = common::pace_env(
        tmp.path(),
        &[&["run", "plan.toml", "--check"][..], &good].concat(),
        &[],
    );
    assert_eq!(code, 0, "{err}");
    let cases: &[(&[&str], &str)] = &[
        (
            &["--var", "BASE=ftp://127.0.0.1:1", "--var", "TOKEN=t"],
            "group[0].step[0].url",
        ),
        (
            &["--var", "BASE=not a url", "--var", "TOKEN=t"],
            "group[0].step[0].url",
        ),
        (
            &["--var", &base, "--var", "TOKEN=line\nbreak"],
            "group[0].step[0].headers",
        ),
    ];
    for (vars, key) in cases {
        let mut args = vec!["--shard", "1/2", "--seed", "3"];
        args.extend_from_slice(vars);
        let ((code, out, err), (rcode, _, rerr)) = check_and_run(tmp.path(), &args);
        assert_eq!(code, 2, "{vars:?}: {out}{err}");
        assert_eq!(rcode, 2, "{vars:?}: {rerr}");
        let line = err.lines().last().unwrap_or_default();
        assert!(line.starts_with("error: plan.toml:"), "{err}");
        assert!(line.contains(key), "{vars:?}: {err}");
        assert_eq!(line, rerr.lines().last().unwrap_or_default());
        assert!(
            !err.contains("line\nbreak") && !err.contains("TOKEN=line"),
            "{err}"
        );
    }
    assert!(!tmp.path().join("r").exists());
    assert_eq!(server.served(), 0);
}
