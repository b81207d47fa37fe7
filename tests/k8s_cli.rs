//! `pace k8s`: the manifest it writes is fed to the Kubernetes API schema,
//! offline, through the npm `kubernetes-models` classes' `validate()` and
//! parsed back by the npm `yaml` parser (tests/k8s/validate.mjs); a
//! corrupted copy must be refused by the same validator. Then plain
//! assertions on what the parsed documents say, and the command's errors.
//!
//! The validator comes from `tests/k8s/setup.sh`; a missing one fails the
//! test with one line naming that script, never a silent pass. No cluster
//! and no container engine are involved.

mod common;

use common::pace;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

const SETUP: &str = "tests/k8s/setup.sh";

fn k8s_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/k8s")
}

/// Runs the validator on `file`: (exit code, its JSON report).
fn validate(file: &Path) -> (i32, Value) {
    let dir = k8s_dir();
    assert!(
        dir.join("node_modules/kubernetes-models/package.json")
            .exists(),
        "kubernetes-models is not installed: run {SETUP} first"
    );
    let out = Command::new("node")
        .arg(dir.join("validate.mjs"))
        .arg(file)
        .output()
        .unwrap_or_else(|e| panic!("node: {e}: run {SETUP} first"));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let report: Value = serde_json::from_str(stdout.trim()).unwrap_or_else(|e| {
        panic!(
            "the validator printed no JSON ({e}): {stdout} {}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (out.status.code().unwrap_or(-1), report)
}

/// Two groups, 7 HTTP users (awkward over 3 or 4 shards) and 3 script
/// users whose script lies in a subfolder; odd bytes in the plan's text
/// (a tab, trailing spaces, non-ASCII, no final newline) that YAML must
/// carry byte for byte.
const PLAN: &str = "# a plan with\ttabs and trailing spaces   \n[target]\ntps = 9.0\n\n[run]\nduration = \"5m\"\nramp_up = \"30s\"\ngrace = \"20s\"\n\n[[group]]\nname = \"web — ünïcode\"\nusers = 7\n\n[group.pacing]\nmode = \"fixed\"\ninterval = \"1s\"\n\n[[group.step]]\nname = \"home\"\nurl = \"${BASE_URL:-http://127.0.0.1:8080}/\"\n\n[[group]]\nname = \"scripted\"\nusers = 3\nscript = \"test_scripts/my mock.py\"\n\n[group.pacing]\nmode = \"fixed\"\ninterval = \"1.5s\"\n# no final newline";

const SCRIPT: &str = "class Transaction:\n    def run(self):\n        pass\n";

fn project() -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("shop");
    std::fs::create_dir_all(dir.join("test_scripts")).unwrap();
    std::fs::write(dir.join("plan.toml"), PLAN).unwrap();
    std::fs::write(dir.join("test_scripts/my mock.py"), SCRIPT).unwrap();
    (tmp, dir)
}

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// Seconds since the epoch of an RFC 3339 UTC time `YYYY-MM-DDTHH:MM:SSZ`
/// (days from civil: Howard Hinnant's algorithm).
fn epoch(t: &str) -> u64 {
    assert_eq!(t.len(), 20, "{t}");
    assert!(t.ends_with('Z'), "{t}: not UTC");
    let n = |r: std::ops::Range<usize>| t[r].parse::<i64>().unwrap();
    let (y, m, d) = (n(0..4), n(5..7), n(8..10));
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (m + if m > 2 { -3 } else { 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146097 + doe - 719468;
    (days * 86400 + n(11..13) * 3600 + n(14..16) * 60 + n(17..19)) as u64
}

fn env_value<'a>(container: &'a Value, name: &str) -> &'a Value {
    container["env"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["name"] == name)
        .unwrap_or_else(|| panic!("no env {name}: {container}"))
}

#[test]
fn the_manifest_validates_and_a_corrupted_one_does_not() {
    let (_tmp, dir) = project();
    let before = now();
    let (code, out, err) = pace(
        &dir,
        &[
            "k8s",
            "plan.toml",
            "--shards",
            "4",
            "--namespace",
            "load",
            "--spread",
            "--image",
            "registry.example/pace:0.1",
            "-e",
            "BASE_URL=http://shop.svc:8080",
            "-o",
            "job.yaml",
        ],
    );
    assert_eq!(code, 0, "{err}");
    assert!(out.is_empty(), "the YAML went to -o, not stdout: {out}");
    for step in [
        "kubectl -n load apply -f job.yaml",
        "kubectl -n load cp",
        "pace merge",
    ] {
        assert!(err.contains(step), "no {step:?} in the next steps: {err}");
    }
    let file = dir.join("job.yaml");
    let (vcode, report) = validate(&file);
    assert_eq!(
        vcode, 0,
        "the schema refused the manifest: {}",
        report["errors"]
    );
    let docs = report["documents"].as_array().unwrap();
    assert_eq!(docs.len(), 2);
    let (cm, job) = (&docs[0], &docs[1]);
    assert_eq!(cm["kind"], "ConfigMap");
    assert_eq!(job["kind"], "Job");
    assert_eq!(cm["metadata"]["namespace"], "load");
    assert_eq!(job["metadata"]["namespace"], "load");

    // The plan byte for byte, the script at its relative path.
    assert_eq!(cm["data"]["plan.toml"].as_str().unwrap(), PLAN);
    let spec = &job["spec"];
    let pod = &spec["template"]["spec"];
    let items = pod["volumes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["name"] == "plan")
        .unwrap()["configMap"]["items"]
        .as_array()
        .unwrap()
        .clone();
    let script_key = items
        .iter()
        .find(|i| i["path"] == "test_scripts/my mock.py")
        .unwrap_or_else(|| panic!("the script is not mounted: {items:?}"))["key"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(cm["data"][&script_key].as_str().unwrap(), SCRIPT);
    assert_eq!(
        pod["volumes"][0]["configMap"]["name"],
        cm["metadata"]["name"]
    );

    // Indexed, N at once, never retried.
    assert_eq!(spec["completionMode"], "Indexed");
    assert_eq!(spec["completions"], 4);
    assert_eq!(spec["parallelism"], 4);
    assert_eq!(spec["backoffLimit"], 0);
    assert_eq!(pod["restartPolicy"], "Never");
    assert_eq!(
        pod["affinity"]["podAntiAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"][0]["topologyKey"],
        "kubernetes.io/hostname"
    );
    assert_eq!(job["metadata"]["labels"]["app.kubernetes.io/name"], "pace");

    // One start for all, 60 s ahead by default.
    let c = &pod["containers"][0];
    assert_eq!(c["image"], "registry.example/pace:0.1");
    let start = env_value(c, "PACE_START_AT")["value"].as_str().unwrap();
    let at = epoch(start);
    assert!(
        at >= before + 60 && at <= now() + 61,
        "PACE_START_AT {start} is not 60 s ahead"
    );
    assert_eq!(env_value(c, "BASE_URL")["value"], "http://shop.svc:8080");
    let args: Vec<&str> = c["args"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap())
        .collect();
    assert_eq!(&args[..4], ["run", "/plan/plan.toml", "--shards", "4"]);
    // The deadline covers the wait, the run with its grace, the hold.
    let deadline = spec["activeDeadlineSeconds"].as_i64().unwrap();
    assert!(
        deadline >= 60 + 300 + 20 + 600,
        "activeDeadlineSeconds {deadline}"
    );
    // Heaviest shard: 2 of 7 web users (2/s) + 1 of 3 script users
    // (2/3 /s): 100 + 2 + 10/3 → 110 m; 64 MiB + 32 KiB + 32 MiB → 97 MiB.
    assert_eq!(c["resources"]["requests"]["cpu"], "110m");
    assert_eq!(c["resources"]["requests"]["memory"], "97Mi");

    // The same validator refuses what the API would.
    let text = std::fs::read_to_string(&file).unwrap();
    for (from, to, why) in [
        ("completions: 4", "completions: four", "completions"),
        (
            "restartPolicy: \"Never\"",
            "restartPolicy: [Never]",
            "restartPolicy",
        ),
        ("backoffLimit: 0", "backoffLimit: none", "backoffLimit"),
        (
            "topologyKey: \"kubernetes.io/hostname\"",
            "topologyKeys: \"kubernetes.io/hostname\"",
            "topologyKey",
        ),
    ] {
        assert!(text.contains(from), "no {from:?} in {text}");
        let bad = dir.join("bad.yaml");
        std::fs::write(&bad, text.replacen(from, to, 1)).unwrap();
        let (bcode, breport) = validate(&bad);
        assert_eq!(bcode, 1, "{to:?} was accepted: {breport}");
        assert!(
            breport["errors"].to_string().contains(why),
            "{to:?}: {}",
            breport["errors"]
        );
    }
}

#[test]
fn stdout_by_default_and_a_claim_instead_of_an_empty_dir() {
    let (_tmp, dir) = project();
    let (code, out, err) = pace(
        &dir,
        &[
            "k8s",
            ".",
            "--shards",
            "3",
            "--results-pvc",
            "pace-results",
            "--start-in",
            "2m",
            "--name",
            "shop-test",
        ],
    );
    assert_eq!(code, 0, "{err}");
    assert!(out.starts_with("---\n"), "{out}");
    assert!(
        err.contains("kubectl wait --for=condition=complete"),
        "{err}"
    );
    let file = dir.join("from-stdout.yaml");
    std::fs::write(&file, &out).unwrap();
    let (vcode, report) = validate(&file);
    assert_eq!(vcode, 0, "{}", report["errors"]);
    let job = &report["documents"][1];
    assert_eq!(job["metadata"]["name"], "shop-test");
    assert!(job["metadata"].get("namespace").is_none());
    let pod = &job["spec"]["template"]["spec"];
    assert!(pod.get("affinity").is_none(), "no --spread: {pod}");
    let results = pod["volumes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["name"] == "results")
        .unwrap();
    assert_eq!(
        results["persistentVolumeClaim"]["claimName"],
        "pace-results"
    );
    let c = &pod["containers"][0];
    // Nothing to hold for: pace is the entrypoint.
    assert!(c.get("command").is_none(), "{c}");
    let run = job["metadata"]["labels"]["app.kubernetes.io/instance"]
        .as_str()
        .unwrap();
    assert!(run.starts_with("shop-test-"), "{run}");
    assert!(
        c["args"]
            .to_string()
            .contains(&format!("/results/{run}/shard-$(JOB_COMPLETION_INDEX)")),
        "{}",
        c["args"]
    );
}

#[test]
fn bad_flags_and_plans_are_one_line_errors() {
    let (_tmp, dir) = project();
    let cases: &[(&[&str], &str)] = &[
        (&["--shards", "0"], "--shards"),
        (&["--shards", "11"], "--shards 11"),
        (&["--shards", "2", "--start-in", "0s"], "--start-in"),
        (&["--shards", "2", "--name", "Not_A_Label"], "--name"),
        (&["--shards", "2", "--namespace=-x"], "--namespace"),
        (&["--shards", "2", "-e", "NOEQUALS"], "--env"),
        (&["--shards", "2", "--image", "a b"], "--image"),
    ];
    for (flags, want) in cases {
        let mut args = vec!["k8s", "plan.toml"];
        args.extend_from_slice(flags);
        let (code, out, err) = pace(&dir, &args);
        assert_eq!(code, 2, "{flags:?}: {err}");
        assert!(out.is_empty(), "{flags:?}: {out}");
        assert_eq!(err.trim().lines().count(), 1, "{flags:?}: {err}");
        assert!(err.contains(want), "{flags:?}: {err}");
    }

    // The plan's own error, with its line.
    std::fs::write(dir.join("broken.toml"), "[run]\nduration = \"-5s\"\n").unwrap();
    let (code, _, err) = pace(&dir, &["k8s", "broken.toml", "--shards", "2"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("broken.toml:"), "{err}");

    // A script that is not there.
    std::fs::remove_file(dir.join("test_scripts/my mock.py")).unwrap();
    let (code, _, err) = pace(&dir, &["k8s", "plan.toml", "--shards", "2"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("my mock.py"), "{err}");
}

#[test]
fn a_crowded_shard_is_told_how_many_shards_fit() {
    let (_tmp, dir) = project();
    // 4 997 web users at 1/s: shard 0 of 2 runs 2 499 of them, 100 m +
    // 2 499 m + the script share → 2 610 m; of 3, 1 770 m.
    common::edit(&dir.join("plan.toml"), "users = 7", "users = 4997");
    common::edit(&dir.join("plan.toml"), "tps = 9.0", "tps = 4999.0");
    let (code, _, err) = pace(&dir, &["k8s", "plan.toml", "--shards", "2", "-o", "j.yaml"]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("--shards 3 keeps a pod under 2000m"), "{err}");
    let (code, _, err) = pace(&dir, &["k8s", "plan.toml", "--shards", "3", "-o", "k.yaml"]);
    assert_eq!(code, 0, "{err}");
    assert!(!err.contains("warning"), "{err}");
}

#[test]
fn an_existing_output_is_kept_without_force() {
    let (_tmp, dir) = project();
    std::fs::write(dir.join("job.yaml"), "mine").unwrap();
    let args = ["k8s", "plan.toml", "--shards", "2", "-o", "job.yaml"];
    let (code, _, err) = pace(&dir, &args);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--force"), "{err}");
    assert_eq!(
        std::fs::read_to_string(dir.join("job.yaml")).unwrap(),
        "mine"
    );
    let mut forced = args.to_vec();
    forced.push("--force");
    let (code, _, err) = pace(&dir, &forced);
    assert_eq!(code, 0, "{err}");
    assert!(
        std::fs::read_to_string(dir.join("job.yaml"))
            .unwrap()
            .contains("kind: \"Job\"")
    );
}

/// The container's args, as strings.
fn args_of(job: &Value) -> Vec<String> {
    job["spec"]["template"]["spec"]["containers"][0]["args"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap().to_string())
        .collect()
}

/// The value after `flag` in `args`.
fn arg_after<'a>(args: &'a [String], flag: &str) -> &'a str {
    let i = args
        .iter()
        .position(|a| a == flag)
        .unwrap_or_else(|| panic!("no {flag} in {args:?}"));
    &args[i + 1]
}

/// Runs `pace k8s` on `dir`'s plan to stdout: (code, the Job, stderr).
fn job_of(dir: &Path, flags: &[&str]) -> (i32, Value, String) {
    let mut args = vec!["k8s", "plan.toml"];
    args.extend_from_slice(flags);
    let (code, out, err) = pace(dir, &args);
    if code != 0 {
        return (code, Value::Null, err);
    }
    let file = dir.join("seeded.yaml");
    std::fs::write(&file, &out).unwrap();
    let (vcode, report) = validate(&file);
    assert_eq!(vcode, 0, "{}", report["errors"]);
    (code, report["documents"][1].clone(), err)
}

#[test]
fn every_shard_gets_one_seed_from_the_flag_the_plan_or_a_draw() {
    let (_tmp, dir) = project();
    let (code, job, err) = job_of(&dir, &["--shards", "2", "--seed", "42"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(arg_after(&args_of(&job), "--seed"), "42");
    assert!(err.contains("seed 42"), "{err}");

    // The plan's run.seed, unless --seed says otherwise.
    common::edit(&dir.join("plan.toml"), "[run]\n", "[run]\nseed = 7\n");
    let (code, job, err) = job_of(&dir, &["--shards", "2"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(arg_after(&args_of(&job), "--seed"), "7");
    assert!(err.contains("seed 7"), "{err}");
    let (_, job, _) = job_of(&dir, &["--shards", "2", "--seed", "9"]);
    assert_eq!(arg_after(&args_of(&job), "--seed"), "9");

    // Neither: a number drawn now, written into the manifest.
    common::edit(&dir.join("plan.toml"), "seed = 7\n", "");
    let seeds: Vec<u64> = (0..2)
        .map(|_| {
            let (code, job, err) = job_of(&dir, &["--shards", "2"]);
            assert_eq!(code, 0, "{err}");
            let seed = arg_after(&args_of(&job), "--seed").to_string();
            assert!(err.contains(&format!("seed {seed}")), "{err}");
            seed.parse().unwrap()
        })
        .collect();
    assert_ne!(seeds[0], seeds[1], "two manifests drew the same seed");
}

#[test]
fn shard_counts_that_leave_a_shard_idle_are_refused() {
    let (_tmp, dir) = project();
    let refused = |dir: &Path, n: &str, want: &str| {
        let (code, out, err) = pace(dir, &["k8s", "plan.toml", "--shards", n]);
        assert_eq!(code, 2, "--shards {n}: {err}");
        assert!(out.is_empty(), "{out}");
        assert_eq!(err.trim().lines().count(), 1, "{err}");
        assert!(err.contains(&format!("--shards {n}")), "{err}");
        assert!(err.contains(want), "--shards {n}: {err}");
    };
    // Groups of 7 and 3: 10 users in all, but shard 7 would have none.
    // The line is the last pod's own (`pace run --shard 7/8` refuses it).
    refused(
        &dir,
        "8",
        "the pod of shard 7 would refuse to run: --shard 7/8: this shard would have no user (the largest group has 7",
    );
    refused(&dir, "10", "--shard 9/10: this shard would have no user");
    let (code, _, err) = pace(&dir, &["k8s", "plan.toml", "--shards", "7"]);
    assert_eq!(code, 0, "{err}");

    // An arrival-rate pool of 3 users: a 4th shard would drop its arrivals.
    let plan = dir.join("plan.toml");
    common::edit(
        &plan,
        "mode = \"fixed\"\ninterval = \"1.5s\"",
        "mode = \"arrival-rate\"\nrate = \"2/s\"",
    );
    refused(
        &dir,
        "4",
        "group 'scripted' (arrival rate) has 3 pool user(s)",
    );
    let (code, _, err) = pace(&dir, &["k8s", "plan.toml", "--shards", "3"]);
    assert_eq!(code, 0, "{err}");

    // A stair plan is never split.
    common::edit(
        &plan,
        "mode = \"arrival-rate\"\nrate = \"2/s\"",
        "mode = \"fixed\"\ninterval = \"1.5s\"",
    );
    common::edit(&plan, "duration = \"5m\"\nramp_up = \"30s\"\n", "");
    let text = std::fs::read_to_string(&plan).unwrap();
    std::fs::write(
        &plan,
        format!("{text}\n[run.stairs]\nusers = [1, 2]\nhold = \"2s\"\nramp = \"200ms\"\n"),
    )
    .unwrap();
    refused(
        &dir,
        "2",
        "a stair plan ([run.stairs]) cannot be split over shards",
    );
}

#[test]
fn results_kept_nowhere_are_refused_and_a_short_start_is_warned() {
    let (_tmp, dir) = project();
    let (code, out, err) = pace(
        &dir,
        &["k8s", "plan.toml", "--shards", "2", "--collect-for", "0"],
    );
    assert_eq!(code, 2, "{err}");
    assert!(out.is_empty(), "{out}");
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(err.contains("--collect-for 0"), "{err}");
    assert!(err.contains("--results-pvc"), "{err}");
    let (code, _, err) = job_of(
        &dir,
        &["--shards", "2", "--collect-for", "0", "--results-pvc", "r"],
    );
    assert_eq!(code, 0, "{err}");

    let (code, _, err) = job_of(&dir, &["--shards", "2", "--start-in", "5s"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains("warning: --start-in 5s") && err.contains("image pull"),
        "{err}"
    );
    let (_, _, err) = job_of(&dir, &["--shards", "2", "--start-in", "10s"]);
    assert!(!err.contains("warning"), "{err}");
}

#[test]
fn the_container_meets_the_restricted_pod_security_standard() {
    let (_tmp, dir) = project();
    let (code, job, err) = job_of(&dir, &["--shards", "2"]);
    assert_eq!(code, 0, "{err}");
    let pod = &job["spec"]["template"]["spec"];
    assert_eq!(pod["securityContext"]["runAsNonRoot"], true);
    let sc = &pod["containers"][0]["securityContext"];
    assert_eq!(sc["allowPrivilegeEscalation"], false, "{sc}");
    assert_eq!(sc["runAsNonRoot"], true, "{sc}");
    assert_eq!(sc["seccompProfile"]["type"], "RuntimeDefault", "{sc}");
    assert_eq!(
        sc["capabilities"]["drop"],
        serde_json::json!(["ALL"]),
        "{sc}"
    );
}

#[test]
fn next_steps_name_the_saved_file_a_failed_shard_and_old_clusters() {
    let (_tmp, dir) = project();
    let (code, _, err) = pace(&dir, &["k8s", "plan.toml", "--shards", "2"]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("> job.yaml"), "{err}");
    assert!(err.contains("kubectl apply -f job.yaml"), "{err}");
    assert!(err.contains("Kubernetes 1.28"), "{err}");
    assert!(
        err.contains("annotations.batch\\.kubernetes\\.io/job-completion-index"),
        "{err}"
    );

    let (code, _, err) = pace(
        &dir,
        &["k8s", "plan.toml", "--shards", "2", "--results-pvc", "r"],
    );
    assert_eq!(code, 0, "{err}");
    for want in [
        "--for=condition=complete",
        "--for=condition=failed",
        "wait -n",
    ] {
        assert!(err.contains(want), "no {want:?}: {err}");
    }
}

#[test]
fn a_variable_the_pods_would_miss_is_refused() {
    let (_tmp, dir) = project();
    let plan = dir.join("plan.toml");
    common::edit(
        &plan,
        "url = \"${BASE_URL:-http://127.0.0.1:8080}/\"",
        "url = \"${BASE_URL:-http://127.0.0.1:8080}/${SHOP_PATH}\"\n# ${IN_A_COMMENT}",
    );
    // Set here, but the pods do not see this shell's environment.
    let out = assert_cmd::Command::cargo_bin("pace")
        .unwrap()
        .current_dir(&dir)
        .env("SHOP_PATH", "cart")
        .args(["k8s", "plan.toml", "--shards", "2"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(out.stdout.is_empty());
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(err.contains("${SHOP_PATH}"), "{err}");
    assert!(err.contains("-e SHOP_PATH=VALUE"), "{err}");
    assert!(!err.contains("IN_A_COMMENT"), "{err}");

    let (code, job, err) = job_of(&dir, &["--shards", "2", "-e", "SHOP_PATH=cart"]);
    assert_eq!(code, 0, "{err}");
    let c = &job["spec"]["template"]["spec"]["containers"][0];
    assert_eq!(env_value(c, "SHOP_PATH")["value"], "cart");
}

/// Reads a manifest as kubectl does (YAML 1.1: PyYAML, the reading
/// check.py of the case shows) and applies Kubernetes' expansion to the
/// Job's env values (EnvVar.value's API documentation: `$(NAME)` is the
/// value of a NAME defined earlier in the list, left as written when there
/// is none; `$$` is `$`; any other `$` stays): what each pod sees, as JSON
/// {"NAME": value, ...}, with "!type" for a value that is not a string.
const POD_ENV_PY: &str = r#"
import json, sys, yaml
seen = {}
for d in yaml.safe_load_all(open(sys.argv[1], encoding='utf-8')):
    if not d or d.get('kind') != 'Job':
        continue
    for e in d['spec']['template']['spec']['containers'][0]['env']:
        if 'value' not in e:
            seen[e['name']] = None
            continue
        v = e['value']
        if not isinstance(v, str):
            seen[e['name']] = '!' + type(v).__name__
            continue
        out, i = [], 0
        while i < len(v):
            if v[i] == '$' and i + 1 < len(v) and v[i + 1] == '$':
                out.append('$'); i += 2; continue
            if v[i] == '$' and i + 1 < len(v) and v[i + 1] == '(':
                end = v.find(')', i + 2)
                if end >= 0:
                    name = v[i + 2:end]
                    known = seen.get(name)
                    out.append(known if isinstance(known, str) else v[i:end + 1])
                    i = end + 1; continue
            out.append(v[i]); i += 1
        seen[e['name']] = ''.join(out)
print(json.dumps(seen))
"#;

/// Runs python3 `args`: its stdout; a missing PyYAML fails naming tests/setup.sh.
fn python(args: &[&std::ffi::OsStr]) -> String {
    let out = Command::new("python3")
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("python3: {e}: run tests/setup.sh first"));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        !err.contains("No module named 'yaml'"),
        "PyYAML is not installed: run tests/setup.sh first"
    );
    assert!(out.status.success(), "{err}");
    String::from_utf8(out.stdout).unwrap()
}

/// `k8s-env-values-change-meaning`: every -e value reaches the pod byte
/// for byte, read as kubectl reads the YAML (YAML 1.1) and expanded as
/// Kubernetes expands env values; the YAML 1.2 reader and the API schema
/// of the validator accept the same file.
#[test]
fn env_values_reach_the_pods_byte_for_byte() {
    let (_tmp, dir) = common::case("k8s-env-values-change-meaning");
    let hostile = [
        "yes",
        "no",
        "on",
        "off",
        "y",
        "n",
        "Y",
        "NO",
        "True",
        "true",
        "null",
        "~",
        "0777",
        "1e3",
        "0x1F",
        "12:30",
        ".inf",
        "2026-12-07",
        "pa$$w0rd",
        "$(PACE_START_AT)",
        "$(BASE_URL)",
        "$",
        "$$$",
        "a: b",
        "# hash",
        "x #y",
        " lead",
        "trail ",
        "'single'",
        "\"double\"",
        "back\\slash",
        "tab\there",
        "ünïcode — 雪 😀",
        "",
        "line\nbreak",
        "two\n\n",
        "- item",
        "[a]",
        "{a}",
        "&a",
        "*a",
        "!a",
        "|",
        ">",
        "---",
        "bell\u{7}",
        "nel\u{85}",
        "ls\u{2028}",
        "\u{FEFF}bom",
        "cr\r",
    ];
    let mut args: Vec<String> = [
        "k8s",
        "plan.toml",
        "--shards",
        "2",
        "--seed",
        "1",
        "-o",
        "job.yaml",
        "-e",
        "BASE_URL=http://127.0.0.1:8080",
        "-e",
        "TOKEN=pa$$w0rd",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    for (i, v) in hostile.iter().enumerate() {
        args.push("-e".into());
        args.push(format!("V{i:02}={v}"));
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let (code, _, err) = pace(&dir, &args);
    assert_eq!(code, 0, "{err}");
    let file = dir.join("job.yaml");

    // The case's own check: no value that is not a string.
    let shown = python(&[dir.join("check.py").as_os_str(), file.as_os_str()]);
    assert!(!shown.contains("not a string"), "{shown}");
    assert!(
        shown.contains("'yes'") && shown.contains("'pa$$$$w0rd'"),
        "{shown}"
    );

    let seen: Value = serde_json::from_str(&python(&[
        "-c".as_ref(),
        POD_ENV_PY.as_ref(),
        file.as_os_str(),
    ]))
    .unwrap();
    assert_eq!(seen["TOKEN"], "pa$$w0rd", "{seen}");
    assert_eq!(seen["BASE_URL"], "http://127.0.0.1:8080");
    for (i, v) in hostile.iter().enumerate() {
        assert_eq!(seen[format!("V{i:02}")], *v, "V{i:02}: {seen}");
    }
    // pace's own start is a string too (PyYAML reads a plain one as a
    // timestamp), and the index still comes from the downward API.
    let start = seen["PACE_START_AT"]
        .as_str()
        .unwrap_or_else(|| panic!("{seen}"));
    assert!(epoch(start) > now(), "{start}");
    assert_eq!(seen["JOB_COMPLETION_INDEX"], Value::Null);

    // The YAML 1.2 reader and the API schema take the same file.
    let (vcode, report) = validate(&file);
    assert_eq!(vcode, 0, "{}", report["errors"]);
    let job = &report["documents"][1];
    assert_eq!(job["metadata"]["annotations"]["pace/start-at"], start);
    let c = &job["spec"]["template"]["spec"]["containers"][0];
    assert_eq!(env_value(c, "V00")["value"], "yes");
    assert_eq!(env_value(c, "V18")["value"], "pa$$$$w0rd");
    // The plan in the ConfigMap is the file byte for byte.
    assert_eq!(
        report["documents"][0]["data"]["plan.toml"],
        std::fs::read_to_string(dir.join("plan.toml")).unwrap()
    );
}

/// The last line of `pace run plan.toml --check ARGS` in `dir`, with no
/// variable from this shell: (exit code, the line).
fn run_check_line(dir: &Path, args: &[&str]) -> (i32, String) {
    let mut a = vec!["run", "plan.toml", "--check"];
    a.extend_from_slice(args);
    let (code, _, err) = common::pace_env(dir, &a, &[]);
    (
        code,
        err.trim().lines().last().unwrap_or_default().to_string(),
    )
}

/// `shard-check-passes-run-rejects` for `pace k8s`: a URL or a header that
/// only an -e value makes invalid is refused with the line each pod's
/// `pace run` would print, and the checks read the pods' variables, not
/// this shell's.
#[test]
fn k8s_refuses_what_the_pods_would_refuse_with_their_line() {
    let (_tmp, dir) = common::case("k8s-env-values-change-meaning");
    let k8s = |e: &[&str], env: &[(&str, &str)]| {
        let mut a = vec![
            "k8s",
            "plan.toml",
            "--shards",
            "2",
            "--seed",
            "1",
            "-o",
            "j.yaml",
        ];
        for v in e {
            a.extend_from_slice(&["-e", v]);
        }
        common::pace_env(&dir, &a, env)
    };
    let cases: &[(&[&str], &str)] = &[
        (
            &["BASE_URL=ftp://127.0.0.1:1", "TOKEN=t"],
            "group[0].step[0].url",
        ),
        (&["BASE_URL=not a url", "TOKEN=t"], "group[0].step[0].url"),
        (
            &["BASE_URL=http://127.0.0.1:1", "TOKEN=line\nbreak"],
            "group[0].step[0].headers",
        ),
    ];
    for (e, key) in cases {
        let (code, out, err) = k8s(e, &[]);
        assert_eq!(code, 2, "{e:?}: {err}");
        assert!(out.is_empty(), "{out}");
        assert_eq!(err.trim().lines().count(), 1, "{err}");
        assert!(err.contains(key), "{e:?}: {err}");
        assert!(!dir.join("j.yaml").exists());
        let mut vars = vec!["--shard", "1/2", "--seed", "1"];
        for v in *e {
            vars.extend_from_slice(&["--var", v]);
        }
        let (rcode, line) = run_check_line(&dir, &vars);
        assert_eq!(rcode, 2, "{line}");
        assert_eq!(err.trim(), line, "pace k8s and pace run --check disagree");
    }
    let (code, _, err) = k8s(&["BASE_URL=http://127.0.0.1:1", "TOKEN=t"], &[]);
    assert_eq!(code, 0, "{err}");
    std::fs::remove_file(dir.join("j.yaml")).unwrap();

    // A default the pods take: this shell's value is not theirs.
    common::edit(
        &dir.join("plan.toml"),
        "url = \"${BASE_URL}/x",
        "url = \"${HOST:-ftp://nowhere}/x",
    );
    let (code, _, err) = k8s(&["TOKEN=t"], &[("HOST", "http://127.0.0.1:1")]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("scheme 'ftp'"), "{err}");
    let (code, _, err) = k8s(&["TOKEN=t", "HOST=http://127.0.0.1:1"], &[]);
    assert_eq!(code, 0, "{err}");
}

/// A group's test data goes into the ConfigMap beside the plan, as its
/// scripts do: a pod's `pace run` would refuse a data file it cannot read.
#[test]
fn test_data_is_mounted_beside_the_plan() {
    let (_tmp, dir) = project();
    std::fs::create_dir_all(dir.join("data")).unwrap();
    std::fs::write(
        dir.join("data/users.csv"),
        "user,password\nann,pa$$\nbob,x\n",
    )
    .unwrap();
    let plan = dir.join("plan.toml");
    common::edit(
        &plan,
        "users = 7\n",
        "users = 7\ndata = \"data/users.csv\"\n",
    );
    let (code, job, err) = job_of(&dir, &["--shards", "2"]);
    assert_eq!(code, 0, "{err}");
    let items = &job["spec"]["template"]["spec"]["volumes"][0]["configMap"]["items"];
    assert!(
        items
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["key"] == "data_users.csv" && i["path"] == "data/users.csv"),
        "{items}"
    );
    let (_, out, _) = pace(&dir, &["k8s", "plan.toml", "--shards", "2"]);
    std::fs::write(dir.join("all.yaml"), &out).unwrap();
    let (vcode, report) = validate(&dir.join("all.yaml"));
    assert_eq!(vcode, 0, "{}", report["errors"]);
    assert_eq!(
        report["documents"][0]["data"]["data_users.csv"],
        "user,password\nann,pa$$\nbob,x\n"
    );

    // Outside the plan's folder: the pods could not have it.
    std::fs::write(dir.join("../outside.csv"), "user\nann\n").unwrap();
    common::edit(
        &plan,
        "data = \"data/users.csv\"",
        "data = \"../outside.csv\"",
    );
    let (code, out, err) = pace(&dir, &["k8s", "plan.toml", "--shards", "2"]);
    assert_eq!(code, 2, "{err}");
    assert!(out.is_empty(), "{out}");
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(
        err.contains("../outside.csv") && err.contains("inside its folder"),
        "{err}"
    );
}
