//! `pace baseline` and `pace plan --from` / `pace import --from` as a user
//! runs them, against pace's embedded target on 127.0.0.1.

use assert_cmd::Command;
use serde_json::Value;
use std::path::Path;

fn pace() -> Command {
    Command::cargo_bin("pace").unwrap()
}

/// One group, one step, against an embedded target whose every response
/// takes `latency`; `extra` is added to the step (e.g. a think time).
fn plan(dir: &Path, latency: &str, url_query: &str, extra: &str) -> std::path::PathBuf {
    let p = dir.join("plan.toml");
    std::fs::write(
        &p,
        format!(
            r#"[target]
tps = 25

[target.embedded]
latency = "{latency}"
seed = 7

[run]
duration = "1m"
ramp_up = "10s"

[[group]]
name = "browse"
users = 25

[group.pacing]
mode = "fixed"
interval = "1s"

[[group.step]]
name = "home"
url = "${{PACE_TARGET}}/home{url_query}"
{extra}
"#
        ),
    )
    .unwrap();
    p
}

fn baseline_json(dir: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(dir.join("baseline.json")).unwrap()).unwrap()
}

/// A fixed 20 ms service time and a 30 ms think time inside the iteration:
/// B = 50 ms plus pace's and the loopback's own overhead (well under
/// 15 ms per request even on a loaded machine; a timer never fires early,
/// so B cannot be below 50 ms). Users, pacing and ramp-up of the plan are
/// ignored: 20 iterations of one user take about a second, not a minute.
#[test]
fn measures_b_of_a_known_fixed_latency() {
    let d = tempfile::tempdir().unwrap();
    let p = plan(d.path(), "20ms", "", "think = \"30ms\"");
    let out_dir = d.path().join("base");
    let started = std::time::Instant::now();
    let out = pace()
        .args(["baseline", p.to_str().unwrap(), "--iterations", "20", "-o"])
        .arg(&out_dir)
        .timeout(std::time::Duration::from_secs(60))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(started.elapsed().as_secs_f64() < 30.0);
    assert!(stdout.contains("browse (B, iteration)"), "{stdout}");
    assert!(stdout.contains("95% interval"), "{stdout}");
    let b = baseline_json(&out_dir);
    assert_eq!(b["format"], "pace-baseline-1");
    let g = &b["groups"][0];
    assert_eq!(g["name"], "browse");
    assert_eq!(g["iterations"], 20);
    assert_eq!(g["errors"], 0);
    assert_eq!(g["transactions_per_iteration"], 1.0);
    let it = &g["iteration_time"];
    assert_eq!(it["n"], 20);
    let mean = it["mean"].as_f64().unwrap();
    assert!((0.050..0.065).contains(&mean), "B = {mean}");
    let (low, high) = (it["low"].as_f64().unwrap(), it["high"].as_f64().unwrap());
    assert!(low <= mean && mean <= high);
    // t(0.975, 19) = 2.093024.
    assert!((it["t"].as_f64().unwrap() - 2.093024).abs() < 1e-6);
    let step = &g["steps"][0];
    assert_eq!(step["name"], "home");
    let r = step["response_time"]["mean"].as_f64().unwrap();
    assert!((0.020..0.035).contains(&r), "R = {r}");
    // The samples are kept, one file per group, as `pace run` writes them.
    let samples = std::fs::read_to_string(out_dir.join("samples-0.csv")).unwrap();
    assert!(samples.lines().count() > 40);
    assert!(out_dir.join("plan.toml").is_file());

    // Little's law from the measured B: X = 50/s of one-step iterations
    // with no think time between them needs N = X * B users, rounded up;
    // the pacing is then N / X.
    let out = pace()
        .args(["plan", "--from"])
        .arg(&out_dir)
        .args(["--tps", "50", "--think", "0", "--json"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let j: Value = serde_json::from_slice(&out.stdout).unwrap();
    let planned_b = j["baseline_s"].as_f64().unwrap();
    assert!((planned_b - mean).abs() <= 1e-6, "{planned_b} vs {mean}");
    assert_eq!(
        j["users"].as_u64().unwrap(),
        (50.0 * planned_b).ceil() as u64
    );
    assert_eq!(j["baseline_measured"]["n"], 20);
}

/// A baseline with known numbers: B = 0.5 s over 30 iterations with
/// standard deviation `sd`, one transaction per iteration.
fn fake_baseline(dir: &Path, groups: &[(&str, f64)]) {
    let t29 = 2.045229642132703;
    let gs: Vec<Value> = groups
        .iter()
        .map(|(name, sd)| {
            let hw = t29 * sd / 30f64.sqrt();
            serde_json::json!({
                "name": name, "samples_file": "samples-0.csv", "iterations": 30,
                "failed_iterations": 0,
                "iteration_time": {"n": 30, "mean": 0.5, "sd": sd, "confidence": 0.95,
                    "t": t29, "half_width": hw, "low": 0.5 - hw, "high": 0.5 + hw},
                "transactions_per_iteration": 1.0, "errors": 0, "error_examples": [],
                "steps": []
            })
        })
        .collect();
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(
        dir.join("baseline.json"),
        serde_json::to_string(&serde_json::json!({
            "format": "pace-baseline-1", "plan_file": "plan.toml",
            "started_at": "2026-11-30T00:00:00Z", "confidence": 0.95, "warmup": 1,
            "groups": gs
        }))
        .unwrap(),
    )
    .unwrap();
}

/// The seed's worked case with B measured instead of given by --rt:
/// 50 TPS, 100 users, B = 0.5 s → pacing 2 s, think 1.5 s; and with
/// --think 1.5 instead of --users, 50 × (0.5 + 1.5) = 100 users.
#[test]
fn plan_from_gives_littles_law_from_the_measured_b() {
    let d = tempfile::tempdir().unwrap();
    let base = d.path().join("base");
    fake_baseline(&base, &[("browse", 0.01)]);
    let plan_file = d.path().join("p.toml");
    let out = pace()
        .args(["plan", "--from"])
        .arg(&base)
        .args(["--tps", "50", "--users", "100", "-o"])
        .arg(&plan_file)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(!stderr.contains("warning"), "{stderr}");
    assert!(stdout.contains("measured by pace baseline"), "{stdout}");
    let text = std::fs::read_to_string(&plan_file).unwrap();
    assert!(
        text.contains("# Baseline B measured by pace baseline in ")
            && text.contains("n = 30, mean 500 ms"),
        "{text}"
    );
    assert!(text.contains("response_time = \"500ms\""), "{text}");
    let j: Value = serde_json::from_slice(
        &pace()
            .args(["plan", "--from"])
            .arg(&base)
            .args(["--tps", "50", "--users", "100", "--json"])
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    assert_eq!(j["pacing"]["mean_s"].as_f64(), Some(2.0), "{j}");
    assert_eq!(j["think_s"].as_f64(), Some(1.5), "{j}");
    let j: Value = serde_json::from_slice(
        &pace()
            .args(["plan", "--from"])
            .arg(&base)
            .args(["--tps", "50", "--think", "1.5", "--json"])
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    assert_eq!(j["users"].as_u64(), Some(100), "{j}");
}

/// sd 0.2 s over 30 iterations: half-width 2.0452 × 0.2 / √30 = 0.0747 s,
/// ±14.9 % of 0.5 s, above the ±10 % rule; (14.9/10)² × 30 ≈ 67 iterations.
#[test]
fn a_wide_interval_is_warned_about() {
    let d = tempfile::tempdir().unwrap();
    let base = d.path().join("base");
    fake_baseline(&base, &[("browse", 0.2)]);
    let out = pace()
        .args(["plan", "--from"])
        .arg(&base)
        .args(["--tps", "50", "--users", "100"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("warning: the measured B is too uncertain to plan from")
            && stdout.contains("±15% of the mean, wider than ±10%")
            && stdout.contains("pace baseline --iterations 67"),
        "{stdout}"
    );
}

#[test]
fn bad_baselines_are_one_line_exit_2() {
    let d = tempfile::tempdir().unwrap();
    let missing = d.path().join("nope");
    let empty = d.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    let two = d.path().join("two");
    fake_baseline(&two, &[("a", 0.01), ("b", 0.01)]);
    let junk = d.path().join("junk");
    std::fs::create_dir(&junk).unwrap();
    std::fs::write(junk.join("baseline.json"), "{\"format\": 3,\n}").unwrap();
    let cases: Vec<(Vec<String>, &str)> = vec![
        (
            vec!["--from".into(), missing.display().to_string()],
            "no such folder",
        ),
        (
            vec!["--from".into(), empty.display().to_string()],
            "not a baseline folder",
        ),
        (
            vec!["--from".into(), junk.display().to_string()],
            "not a baseline pace can read",
        ),
        (
            vec!["--from".into(), two.display().to_string()],
            "several groups ('a', 'b'); choose one with --group",
        ),
        (
            vec![
                "--from".into(),
                two.display().to_string(),
                "--group".into(),
                "c".into(),
            ],
            "--group c: no such group",
        ),
        (
            vec![
                "--from".into(),
                two.display().to_string(),
                "--rt".into(),
                "1".into(),
            ],
            "cannot be used with",
        ),
    ];
    for (args, want) in cases {
        let out = pace()
            .arg("plan")
            .args(&args)
            .args(["--tps", "5"])
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(want), "{args:?}: {stderr}");
        assert!(stderr.starts_with("error: "), "{stderr}");
        assert_eq!(stderr.trim_end().lines().count(), 1, "{args:?}: {stderr}");
    }
    // With a group named, the several-group baseline plans.
    let ok = pace()
        .args(["plan", "--from"])
        .arg(&two)
        .args(["--group", "b", "--tps", "5"])
        .output()
        .unwrap();
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );

    // pace baseline itself: a missing plan, a bad count.
    let out = pace().args(["baseline"]).arg(&missing).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let out = pace()
        .args(["baseline", "plan.toml", "--iterations", "1"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--iterations"));
}

/// Every response is a 500: the baseline says so loudly and exits 1, and
/// B (which leaves failed iterations out) is absent.
#[test]
fn errors_in_a_baseline_are_loud() {
    let d = tempfile::tempdir().unwrap();
    let p = plan(d.path(), "1ms", "?status=500", "");
    let out_dir = d.path().join("base");
    let out = pace()
        .args(["baseline", p.to_str().unwrap(), "--iterations", "5", "-o"])
        .arg(&out_dir)
        .timeout(std::time::Duration::from_secs(60))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("ERROR: group 'browse': 5 failed transaction(s)")
            && stderr.contains("this is not a baseline"),
        "{stderr}"
    );
    let b = baseline_json(&out_dir);
    assert_eq!(b["groups"][0]["errors"], 5);
    assert!(b["groups"][0]["iteration_time"].is_null());
    // Planning from it is refused: there is no B.
    let out = pace()
        .args(["plan", "--from"])
        .arg(&out_dir)
        .args(["--tps", "5"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("has no B"));
}

/// `pace import --from`: the project's group must be in the baseline.
#[test]
fn import_from_needs_the_projects_groups() {
    let d = tempfile::tempdir().unwrap();
    let proj = d.path().join("proj");
    std::fs::create_dir_all(proj.join("test_scripts")).unwrap();
    std::fs::write(
        proj.join("config.cfg"),
        "[global]\nrun_time: 60\nrampup: 0\nresults_ts_interval: 10\n\n[user_group-1]\nthreads: 4\nscript: s.py\n",
    )
    .unwrap();
    std::fs::write(
        proj.join("test_scripts/s.py"),
        "class Transaction:\n    def run(self):\n        pass\n",
    )
    .unwrap();
    let base = d.path().join("base");
    fake_baseline(&base, &[("user_group-1", 0.01)]);
    let out = pace()
        .arg("import")
        .arg(&proj)
        .args(["--tps", "2", "--from"])
        .arg(&base)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = std::fs::read_to_string(proj.join("plan.toml")).unwrap();
    assert!(
        text.contains("# Baseline B measured by pace baseline"),
        "{text}"
    );
    assert!(text.contains("response_time = \"500ms\""), "{text}");
    // 4 users at 2 TPS start every 2 s; B = 0.5 s fits. At 10 TPS they
    // would start every 0.4 s, less than B: refused, naming the baseline.
    let out = pace()
        .arg("import")
        .arg(&proj)
        .args(["--tps", "10", "--force", "--from"])
        .arg(&base)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("the baseline (--from) says"));
    let other = d.path().join("other");
    fake_baseline(&other, &[("browse", 0.01)]);
    let out = pace()
        .arg("import")
        .arg(&proj)
        .args(["--tps", "2", "--force", "--from"])
        .arg(&other)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("no group 'user_group-1' in the baseline"),
        "{stderr}"
    );
    assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
}
