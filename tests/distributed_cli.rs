//! Scale-out end to end: a Kubernetes Indexed Job simulated on this machine
//! (N `pace run` processes, each with its `JOB_COMPLETION_INDEX` and one
//! `PACE_START_AT`, against the embedded target), then `pace merge`: the
//! merged run must be the single-process run of the same plan and seed.

mod common;

use common::{only_results_dir, pace};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

/// Fixed pacing, so every count is exact: 7 users (4 shards get 2, 2, 2
/// and 1), one start every 250 ms each, 4 s with 1 s of ramp-up.
const PLAN: &str = r#"
[target]
tpm = 1680.0
response_time = "5ms"
transactions_per_iteration = 1

[target.embedded]
latency = "fixed:5ms"
error_rate = "0%"

[run]
duration = "4s"
ramp_up = "1s"
ts_interval = "1s"
grace = "2s"

[[group]]
name = "browse"
users = 7

[group.pacing]
mode = "fixed"
interval = "250ms"

[[group.step]]
name = "home"
url = "${PACE_TARGET}/"
timeout = "2s"

[acceptance]
confidence = 0.99
p95 = "500ms"
error_rate = "1%"
"#;

fn summary(dir: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(dir.join("summary.json")).unwrap()).unwrap()
}

/// Starts shard `i` of `n` as a pod of an Indexed Job would be started.
fn shard(tmp: &Path, plan: &Path, i: u32, n: u32, start_at: &str) -> std::process::Child {
    let results = tmp.join("shards").join(i.to_string());
    std::process::Command::new(assert_cmd::cargo::cargo_bin("pace"))
        .current_dir(tmp)
        .args(["run", plan.to_str().unwrap(), "--seed", "11", "--quiet"])
        .args(["--shards", &n.to_string(), "--results-dir"])
        .arg(&results)
        .env("JOB_COMPLETION_INDEX", i.to_string())
        .env("PACE_START_AT", start_at)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap()
}

#[test]
fn an_indexed_job_of_four_shards_merges_into_the_single_process_run() {
    let tmp = tempfile::tempdir().unwrap();
    let plan = tmp.path().join("plan.toml");
    std::fs::write(&plan, PLAN).unwrap();
    let n = 4;
    let start_at =
        humantime::format_rfc3339_millis(SystemTime::now() + Duration::from_secs(3)).to_string();
    let children: Vec<_> = (0..n)
        .map(|i| shard(tmp.path(), &plan, i, n, &start_at))
        .collect();
    let mut dirs: Vec<PathBuf> = Vec::new();
    for (i, c) in children.into_iter().enumerate() {
        let out = c.wait_with_output().unwrap();
        assert_eq!(
            out.status.code(),
            Some(0),
            "shard {i}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        dirs.push(only_results_dir(
            &tmp.path().join("shards").join(i.to_string()),
        ));
    }
    let merged = tmp.path().join("merged");
    // As pace's own layout leaves them (shards/I/<timestamp>/), found
    // from the folder that holds them.
    assert_eq!(dirs.len(), n as usize);
    let (code, out, err) = pace(tmp.path(), &["merge", "shards", "-o", "merged"]);
    assert_eq!(code, 0, "{out}{err}");

    let (code, out, err) = pace(
        tmp.path(),
        &[
            "run",
            "plan.toml",
            "--seed",
            "11",
            "--quiet",
            "--results-dir",
            "single",
        ],
    );
    assert_eq!(code, 0, "{out}{err}");
    let single = summary(&only_results_dir(&tmp.path().join("single")));
    let m = summary(&merged);
    for key in ["transactions", "iterations", "errors"] {
        assert_eq!(
            m["achieved"][key], single["achieved"][key],
            "achieved.{key}"
        );
    }
    assert_eq!(
        m["whole_run"]["iterations"],
        single["whole_run"]["iterations"]
    );
    assert_eq!(m["verdict"]["state"], single["verdict"]["state"]);
    assert_eq!(m["expected"]["tpm"], single["expected"]["tpm"]);
    assert_eq!(m["shards"].as_array().unwrap().len(), n as usize);
}
