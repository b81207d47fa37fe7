//! Does the iteration fit the rate the plan promises? `pace run --check`
//! and `pace run` refuse a plan whose think times and response times
//! cannot fit its pacing (or its arrival pool), with the same line, and
//! warn where only some starts will be late. The case
//! `think-longer-than-pacing` (tests/fixtures/cases) is the first of them.

mod common;

use common::{case, edit, pace};

/// The case's one line: 2 x (10 ms + 600 ms) = 1.22 s > 1 s, so 4 users
/// make at most 4 x 2 / 1.22 s = 6.557 TPS = 393.4 TPM of the 480 planned.
const CASE_ERROR: &str = "error: plan.toml:25: group[0].pacing.interval: group 'browse': the iteration needs 1.22 s (2 steps x 10 ms response time + 1.2 s of think time) but the pacing interval is 1 s: the group's 480 TPM cannot be reached (4 users make at most 393.4 TPM); its think times alone (1.2 s) are longer than the interval\n";

#[test]
fn check_refuses_the_case_with_its_numbers() {
    let (_tmp, dir) = case("think-longer-than-pacing");
    let (code, out, err) = pace(&dir, &["run", "plan.toml", "--check"]);
    assert_eq!(code, 2, "{out}{err}");
    assert_eq!(err, CASE_ERROR);
    assert!(!out.contains("plan OK"), "{out}");
}

#[test]
fn a_run_refuses_it_with_the_same_line_and_sends_nothing() {
    let (_tmp, dir) = case("think-longer-than-pacing");
    let (code, out, err) = pace(&dir, &["run", "plan.toml", "--seed", "1"]);
    assert_eq!(code, 2, "{out}{err}");
    assert_eq!(err, CASE_ERROR);
    assert!(
        !dir.join("results").exists(),
        "a refused plan made a results folder"
    );
}

/// `pace k8s` writes no manifest of a plan every pod would refuse: the
/// same line, exit 2, nothing written.
#[test]
fn k8s_refuses_it_too() {
    let (_tmp, dir) = case("think-longer-than-pacing");
    let (code, out, err) = pace(
        &dir,
        &[
            "k8s",
            "plan.toml",
            "--shards",
            "2",
            "--image",
            "x/pace:1",
            "-o",
            "job.yaml",
        ],
    );
    assert_eq!(code, 2, "{out}{err}");
    assert_eq!(err, CASE_ERROR);
    assert!(!dir.join("job.yaml").exists());
}

/// The README's advice, 5 users at 1.25 s (5 x 2 / 1.25 s = 8 TPS), fits:
/// 1.22 s < 1.25 s.
#[test]
fn the_advised_plan_passes_check() {
    let (_tmp, dir) = case("think-longer-than-pacing");
    let plan = dir.join("plan.toml");
    edit(&plan, "users = 4", "users = 5");
    edit(&plan, "interval = \"1s\"", "interval = \"1.25s\"");
    let (code, out, err) = pace(&dir, &["run", "plan.toml", "--check"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.starts_with("plan OK: 1 group(s), 5 users\n"), "{out}");
    assert!(
        !out.contains("warning") && !err.contains("warning"),
        "{out}{err}"
    );
}

/// An override that shortens the pacing below the iteration is the
/// override's fault, and named so: --rate 10/s divides the 1.25 s
/// intervals by 1.25, to 1 s.
#[test]
fn an_override_that_breaks_the_fit_is_named() {
    let (_tmp, dir) = case("think-longer-than-pacing");
    let plan = dir.join("plan.toml");
    edit(&plan, "users = 4", "users = 5");
    edit(&plan, "interval = \"1s\"", "interval = \"1.25s\"");
    for args in [
        &["run", "plan.toml", "--check", "--rate", "10/s"][..],
        &["run", "plan.toml", "--rate", "10/s"][..],
    ] {
        let (code, out, err) = pace(&dir, args);
        assert_eq!(code, 2, "{out}{err}");
        // A run says its overrides first.
        let last = err.lines().last().unwrap_or_default();
        assert!(
            last.starts_with("error: --rate: the plan would not hold: group[0].pacing.interval: group 'browse': the iteration needs 1.22 s (2 steps x 10 ms response time + 1.2 s of think time) but the pacing interval is 1 s: the group's 600 TPM cannot be reached (5 users make at most 491.8 TPM)"),
            "{err}"
        );
        assert_eq!(err.matches("error:").count(), 1, "{err}");
    }
    assert!(!dir.join("results").exists());
}

/// A random think that fits on average but not always: a warning from
/// --check (stdout, exit 0) and before the run (stderr), which goes on.
#[test]
fn a_think_that_only_sometimes_overruns_is_a_warning() {
    let (_tmp, dir) = case("think-longer-than-pacing");
    let plan = dir.join("plan.toml");
    let text = std::fs::read_to_string(&plan)
        .unwrap()
        .replace(
            "think = \"600ms\"",
            "think = { dist = \"uniform\", min = \"100ms\", max = \"800ms\" }",
        )
        .replace("duration = \"12s\"", "duration = \"3s\"")
        .replace("ramp_up = \"2s\"", "ramp_up = \"0s\"")
        .replace("grace = \"3s\"", "grace = \"2s\"");
    std::fs::write(&plan, text).unwrap();
    // Mean 2 x (10 ms + 450 ms) = 920 ms fits 1 s; the longest,
    // 2 x (10 ms + 800 ms) = 1.62 s, does not.
    let warning = "warning: plan.toml:25: group[0].pacing.interval: group 'browse': an iteration takes up to 1.62 s (2 steps x 10 ms response time + up to 1.6 s of think time) but the pacing interval is 1 s: the start after a longer iteration is late, and with late = \"drift\" the time lost is not made up: the group may fall short of its 480 TPM\n";
    let (code, out, err) = pace(&dir, &["run", "plan.toml", "--check"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.starts_with(warning), "{out}");
    assert!(out.contains("plan OK"), "{out}");
    let (code, out, err) = pace(&dir, &["run", "plan.toml", "--seed", "3", "--quiet"]);
    assert!(
        code == 0 || code == 1,
        "the run went ahead: {code}\n{out}{err}"
    );
    assert!(err.starts_with(warning), "{err}");
    assert!(dir.join("results").is_dir());
}

/// An arrival-rate group whose pool is smaller than rate x iteration
/// (Little's law): 20/s of 1.22 s keep 24.4 users busy; 20 start at most
/// 16.39/s.
#[test]
fn an_arrival_pool_too_small_for_the_rate_is_refused() {
    let (_tmp, dir) = case("think-longer-than-pacing");
    let plan = dir.join("plan.toml");
    edit(&plan, "tps = 8.0", "tps = 40.0");
    edit(&plan, "users = 4", "users = 25");
    edit(
        &plan,
        "mode = \"fixed\"\ninterval = \"1s\"",
        "mode = \"arrival-rate\"\nrate = \"20/s\"",
    );
    let (code, out, err) = pace(&dir, &["run", "plan.toml", "--check"]);
    assert_eq!(code, 0, "{out}{err}");
    // --users 20 shrinks the pool: the override is named.
    let (code, out, err) = pace(&dir, &["run", "plan.toml", "--check", "--users", "20"]);
    assert_eq!(code, 2, "{out}{err}");
    assert_eq!(
        err,
        "error: --users: the plan would not hold: group[0].users: group 'browse': 20/s arrivals of an iteration of 1.22 s (2 steps x 10 ms response time + 1.2 s of think time) keep 24.4 users busy on average (Little's law: arrival rate x iteration time), but the pool has 20 users: at most 16.39/s can start and the rest are dropped, so the group's 2400 TPM cannot be reached (at most 1967 TPM); give it at least 25 users\n"
    );
    // Written in the file, the file's line is named.
    edit(&plan, "users = 25", "users = 20");
    let (code, _, err) = pace(&dir, &["run", "plan.toml", "--check"]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.starts_with("error: plan.toml:21: group[0].users: group 'browse': 20/s arrivals"),
        "{err}"
    );
}
