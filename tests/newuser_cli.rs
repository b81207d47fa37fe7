//! Issue 23 §5: what a new user tripped on, from the README and docs alone.
//! `pace` run as a process; every target listens on 127.0.0.1.

mod common;

use common::{Server, pace, pace_env};

/// One user back to back whose rate is derived from a measured response
/// time: 1 / 41.23 ms = 24.2542/s.
fn back_to_back(tps: &str) -> String {
    format!(
        r#"
[target]
tps = {tps}
response_time = "41.23ms"

[run]
duration = "10s"

[[group]]
name = "shop"
users = 1
[group.pacing]
mode = "none"

[[group.step]]
name = "home"
url = "http://127.0.0.1:9/"
"#
    )
}

/// A rate derived from a baseline is written to the digits that matter:
/// 24.25 for 24.2542/s passes the check (0.5 %), 24.5 (1 % off) and 25 are
/// refused naming the rate the groups make, and the boundary is exact.
#[test]
fn a_measured_rate_needs_no_six_digits() {
    let tmp = tempfile::tempdir().unwrap();
    let plan = tmp.path().join("plan.toml");
    for (tps, ok) in [
        ("24.2542", true),
        ("24.25", true),
        ("24.2", true),
        ("24.5", false),
        ("25.0", false),
    ] {
        std::fs::write(&plan, back_to_back(tps)).unwrap();
        let (code, out, err) = pace(tmp.path(), &["run", "plan.toml", "--check"]);
        if ok {
            assert_eq!(code, 0, "tps {tps}: {out}{err}");
        } else {
            assert_eq!(code, 2, "tps {tps}: {out}{err}");
            assert!(
                err.contains("target.tps: the groups produce 24.2542 TPS"),
                "{err}"
            );
            assert_eq!(err.trim().lines().count(), 1, "{err}");
        }
    }
    // The boundary: 0.5 % of the larger of the two, held exactly.
    let planned = 1.0 / 0.04123;
    assert!(pace::plan::check::rates_agree(planned * 1.005, planned));
    assert!(!pace::plan::check::rates_agree(planned * 1.0051, planned));
    assert!(pace::plan::check::rates_agree(planned / 1.005, planned));
    assert!(!pace::plan::check::rates_agree(planned / 1.0051, planned));
}

const DEFAULTED: &str = r#"
[run]
duration = "1s"

[[group]]
name = "g"
users = 1
[group.pacing]
mode = "fixed"
interval = "200ms"

[[group.step]]
name = "home"
# ${IN_A_COMMENT:-never noted}
url = "${BASE_URL:-http://127.0.0.1:9}/a?again=${BASE_URL:-x}"
"#;

/// A `${BASE_URL:-…}` default used because the variable was forgotten is
/// said on stderr, once, with its line; set by the environment or by a
/// --var, nothing is said.
#[test]
fn a_default_used_for_a_forgotten_variable_is_said() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("plan.toml"), DEFAULTED).unwrap();
    let (code, _, err) = pace_env(tmp.path(), &["run", "plan.toml", "--check"], &[]);
    assert_eq!(code, 0, "{err}");
    let notes: Vec<&str> = err.lines().filter(|l| l.contains("is not set")).collect();
    assert_eq!(
        notes,
        [
            "pace: ${BASE_URL} is not set: its default 'http://127.0.0.1:9' from plan.toml:15 is used"
        ],
        "{err}"
    );
    // Set but empty: `:-` takes the default, and the note says why.
    let (code, _, err) = pace_env(
        tmp.path(),
        &["run", "plan.toml", "--check"],
        &[("BASE_URL", "")],
    );
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains(
            "pace: ${BASE_URL} is empty: its default 'http://127.0.0.1:9' from plan.toml:15 is used"
        ),
        "{err}"
    );
    let (code, _, err) = pace_env(
        tmp.path(),
        &["run", "plan.toml", "--check"],
        &[("BASE_URL", "http://127.0.0.1:8")],
    );
    assert_eq!(code, 0, "{err}");
    assert!(!err.contains("is not set"), "{err}");
    let (code, _, err) = pace_env(
        tmp.path(),
        &[
            "run",
            "plan.toml",
            "--check",
            "--var",
            "BASE_URL=http://127.0.0.1:8",
        ],
        &[],
    );
    assert_eq!(code, 0, "{err}");
    assert!(!err.contains("is not set"), "{err}");
}

/// `pace baseline` takes the overrides every command that runs a plan
/// takes: --var reaches the requests (the server counts them), a missing
/// variable is the same one-line error as `pace run`'s, and a forgotten
/// one with a default is said.
#[test]
fn baseline_takes_var_as_run_does() {
    let server = Server::new("0ms", 0.0);
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(
        tmp.path().join("plan.toml"),
        DEFAULTED.replace("${BASE_URL:-x}", "${HOST}"),
    )
    .unwrap();
    let base = [
        "baseline",
        "plan.toml",
        "--iterations",
        "3",
        "--warmup",
        "0",
    ];
    let (code, _, err) = pace_env(tmp.path(), &base, &[]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("${HOST} is not set"), "{err}");
    let mut args = base.to_vec();
    let base_url = format!("--var=BASE_URL={}", server.url());
    args.extend(["--var", "HOST=here", base_url.as_str()]);
    let (code, out, err) = pace_env(tmp.path(), &args, &[]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(!err.contains("is not set"), "{err}");
    assert_eq!(server.served(), 3, "{out}{err}");
    let (code, _, err) = pace_env(tmp.path(), &["baseline", "plan.toml", "--var", "X"], &[]);
    assert_eq!(code, 2, "{err}");
    assert!(err.starts_with("error: --var"), "{err}");
}

/// A comment after a table header is not part of the key an error names
/// (`[group.pacing]   # hello` gave "group[0].pacing]   # hello.late").
#[test]
fn a_comment_after_a_header_is_not_in_the_key() {
    let tmp = tempfile::tempdir().unwrap();
    let plan = r#"[target.embedded]            # pace starts this target itself
workers = -4

[[group]]   # the shop
name = "g"
users = 1
[group.pacing]   # hello
mode = "fixed"
interval = "1s"

[[group.step]]  # first
name = "home"
url = "${PACE_TARGET}/"
"#;
    std::fs::write(tmp.path().join("plan.toml"), plan).unwrap();
    let (code, _, err) = pace(tmp.path(), &["run", "plan.toml", "--check"]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.starts_with("error: plan.toml:2: target.embedded.workers:"),
        "{err}"
    );
    let bad = plan
        .replace("workers = -4", "workers = 4")
        .replace("interval = \"1s\"", "interval = \"1s\"\nlate = 5");
    std::fs::write(tmp.path().join("plan.toml"), bad).unwrap();
    let (code, _, err) = pace(tmp.path(), &["run", "plan.toml", "--check"]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.starts_with("error: plan.toml:10: group[0].pacing.late:"),
        "{err}"
    );
}

/// A flag's bad value is quoted at most 40 characters, by clap's errors as
/// by pace's own; an enumerated flag's error lists what it takes.
#[test]
fn clap_errors_quote_a_bounded_value_and_list_the_choices() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::copy(
        concat!(env!("CARGO_MANIFEST_DIR"), "/plans/demo.toml"),
        tmp.path().join("plan.toml"),
    )
    .unwrap();
    let long = format!("{}{}", "x".repeat(50), "Y".repeat(50));
    for args in [
        vec!["plan", "--tps", long.as_str(), "--rt", "0.5"],
        vec!["run", "plan.toml", "--check", "--seed", long.as_str()],
        vec![long.as_str()],
        vec!["k8s", "plan.toml", "--shards", "2", "--env", long.as_str()],
    ] {
        let (code, _, err) = pace(tmp.path(), &args);
        assert_eq!(code, 2, "{args:?}: {err}");
        assert_eq!(err.trim().lines().count(), 1, "{err}");
        assert!(!err.contains('Y'), "quoted whole: {err}");
        assert!(err.contains("(100 characters)"), "{err}");
    }
    let (code, _, err) = pace(
        tmp.path(),
        &["plan", "--tps", "10", "--rt", "0.5", "--pacing-dist", "foo"],
    );
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("[possible values: fixed, uniform, beta, exponential]"),
        "{err}"
    );
}

/// `pace plan` refuses numbers whose plan `pace run` would refuse, before
/// any table, with or without -o (it printed 500,000,000 users and exit 0,
/// and with -o called the refusal "internal").
#[test]
fn plan_refuses_a_plan_run_would_refuse() {
    let tmp = tempfile::tempdir().unwrap();
    for extra in [&[][..], &["-o", "big.toml"][..]] {
        let mut args = vec!["plan", "--tps", "1e9", "--rt", "0.5"];
        args.extend_from_slice(extra);
        let (code, out, err) = pace(tmp.path(), &args);
        assert_eq!(code, 2, "{out}{err}");
        assert!(out.is_empty(), "no table: {out}");
        assert_eq!(
            err.trim(),
            "error: these numbers make a plan pace run would refuse: group[0].users: 500000000 is more than one generator can hold (at most 1000000, ~11.5 KiB each)"
        );
    }
    assert!(!tmp.path().join("big.toml").exists());
}
