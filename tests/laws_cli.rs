//! The operational-law audit of every run (docs/verdict.md, "The
//! operational-law audit"): real runs of `pace` against a target on
//! 127.0.0.1, their `verdict.laws` in summary.json, the console and
//! report.html, and `[[resource]]`'s utilisation law.

mod common;

use common::{Server, only_results_dir, pace};
use serde_json::Value;
use std::path::Path;

/// A closed group (5 users, fixed 200 ms pacing: 25 iterations/s) and an
/// open one (20 arrivals/s from 5 workers), 6 s with a 1 s ramp-up: the
/// 5 s window holds 25 cycles per closed user. `extra` is appended.
fn plan(url: &str, extra: &str) -> String {
    format!(
        r#"[target]
tps = 45.0

[run]
duration = "6s"
ramp_up = "1s"
grace = "2s"

[[group]]
name = "closed"
users = 5
[group.pacing]
mode = "fixed"
interval = "200ms"
[[group.step]]
name = "home"
url = "{url}/"
timeout = "5s"

[[group]]
name = "open"
users = 5
[group.pacing]
mode = "arrival-rate"
rate = "20/s"
[[group.step]]
name = "api"
url = "{url}/api"
timeout = "5s"

[acceptance]
tolerance = "auto"
{extra}"#
    )
}

fn run(dir: &Path, text: &str) -> (i32, String, String, std::path::PathBuf) {
    let p = dir.join("plan.toml");
    std::fs::write(&p, text).unwrap();
    let results = dir.join("results");
    let (code, out, err) = pace(
        dir,
        &[
            "run",
            p.to_str().unwrap(),
            "--results-dir",
            results.to_str().unwrap(),
            "--seed",
            "5",
            "--quiet",
        ],
    );
    (code, out, err, only_results_dir(&results))
}

fn laws(res: &Path) -> Vec<Value> {
    let s: Value =
        serde_json::from_str(&std::fs::read_to_string(res.join("summary.json")).unwrap()).unwrap();
    s["verdict"]["laws"].as_array().unwrap().clone()
}

#[test]
fn an_honest_run_obeys_the_interactive_and_littles_laws() {
    let s = Server::new("20ms", 0.0);
    let dir = tempfile::tempdir().unwrap();
    let (code, out, err, res) = run(dir.path(), &plan(&s.url(), ""));
    assert_eq!(code, 0, "{out}{err}");
    let laws = laws(&res);
    assert_eq!(laws.len(), 2, "{laws:?}");

    let closed = &laws[0];
    assert_eq!(closed["law"], "interactive response time");
    assert_eq!(closed["subject"], "group 'closed'");
    assert_eq!(closed["ok"], true, "{closed}");
    let (n, x, r, z) = (
        closed["n"].as_f64().unwrap(),
        closed["x_per_s"].as_f64().unwrap(),
        closed["r_s"].as_f64().unwrap(),
        closed["z_s"].as_f64().unwrap(),
    );
    // Five users present the whole window (less, for each, the part of
    // its last 200 ms cycle after its last iteration: it stops when its
    // next start would fall after the end), 25 iterations a second, and
    // each user's cycle is its 200 ms pacing: R + Z = 0.2 s.
    assert!(n > 5.0 - 5.0 * 0.2 / 5.0 && n <= 5.0, "N {n}");
    assert!((x - 25.0).abs() < 25.0 * 0.1, "X {x}");
    assert!((0.02..0.2).contains(&r), "R {r}");
    assert!((r + z - 0.2).abs() < 0.01, "R + Z {}", r + z);
    let ratio = closed["ratio"].as_f64().unwrap();
    // Within one 200 ms cycle of the 5 s window (4 %), and a margin for
    // the generator waking late.
    assert!((ratio - 1.0).abs() < 0.06, "ratio {ratio}");
    assert!((closed["predicted_n"].as_f64().unwrap() - x * (r + z)).abs() < 1e-9);

    let open = &laws[1];
    assert_eq!(open["law"], "little");
    assert_eq!(open["ok"], true, "{open}");
    // 20 arrivals/s of ~20 ms iterations: about 0.4 in flight.
    let l = open["n"].as_f64().unwrap();
    assert!((0.3..0.8).contains(&l), "L {l}");
    assert!(
        (open["ratio"].as_f64().unwrap() - 1.0).abs() < 0.05,
        "{open}"
    );

    // Each audit is printed, and drawn in the report's verdict section.
    assert!(
        out.contains("law N = X·(R + Z), group 'closed': N ") && out.contains("holds"),
        "{out}"
    );
    let html = std::fs::read_to_string(res.join("report.html")).unwrap();
    assert!(
        html.contains("operational law")
            && html.contains("N = X·(R + Z)")
            && html.contains("L = λ·W")
            && html.contains("holds"),
        "report.html has no law table"
    );
}

#[test]
fn a_stated_utilisation_that_contradicts_x_times_d_is_reported() {
    let s = Server::new("5ms", 0.0);
    let dir = tempfile::tempdir().unwrap();
    // The closed group makes 25 iterations/s; 10 ms each is 25 % busy,
    // not the 50 % stated; the same demand written in ms would be 25,000 %.
    let resource = r#"
[[resource]]
name = "db-cpu"
utilization = "50%"
demand = "10ms"
group = "closed"
"#;
    let (code, out, err, res) = run(dir.path(), &plan(&s.url(), resource));
    // A warning, not a failed promise: the plan did not ask for it.
    assert_eq!(code, 0, "{out}{err}");
    let laws = laws(&res);
    let u = laws.iter().find(|l| l["law"] == "utilization").unwrap();
    assert_eq!(u["subject"], "resource 'db-cpu'");
    assert_eq!(u["ok"], false, "{u}");
    let predicted = u["predicted_utilization"].as_f64().unwrap();
    assert!((predicted - 0.25).abs() < 0.03, "{u}");
    assert!(
        out.contains("operational law broken: U 50 % stated vs X·D")
            && out.contains("not steady state or units mixed"),
        "{out}"
    );
    let html = std::fs::read_to_string(res.join("report.html")).unwrap();
    assert!(html.contains("not steady state or units mixed"));

    // `pace verify` re-judges the saved run with another plan's resource:
    // the right utilisation holds; a plan that asks the laws to hold
    // fails on the wrong one.
    let fixed = dir.path().join("fixed.toml");
    std::fs::write(&fixed, plan(&s.url(), &resource.replace("50%", "25%"))).unwrap();
    let (code, out, _) = pace(
        dir.path(),
        &[
            "verify",
            res.to_str().unwrap(),
            "--plan",
            fixed.to_str().unwrap(),
        ],
    );
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("law U = X·D, resource 'db-cpu': U 25 % stated"),
        "{out}"
    );
    let strict = dir.path().join("strict.toml");
    std::fs::write(
        &strict,
        plan(&s.url(), &format!("laws_must_hold = true\n{resource}")),
    )
    .unwrap();
    let (code, out, _) = pace(
        dir.path(),
        &[
            "verify",
            res.to_str().unwrap(),
            "--plan",
            strict.to_str().unwrap(),
        ],
    );
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("FAIL: operational laws broken: U 50 %"),
        "{out}"
    );
}

#[test]
fn a_bad_resource_key_exits_2_naming_it_and_its_line() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("plan.toml");
    for (bad, key, line) in [
        ("utilization = \"150%\"", "resource.utilization", 36),
        ("utilisation = \"50%\"", "utilisation", 36),
        ("utilization = \"0%\"", "resource[0].utilization", 36),
    ] {
        let text = plan(
            "http://127.0.0.1:9",
            &format!("\n[[resource]]\nname = \"db\"\n{bad}\ndemand = \"10ms\"\n"),
        );
        std::fs::write(&p, &text).unwrap();
        let (code, out, err) = pace(dir.path(), &["run", p.to_str().unwrap(), "--check"]);
        assert_eq!(code, 2, "{out}{err}");
        let first = err.lines().next().unwrap_or_default();
        assert!(
            first.contains(&format!(":{line}:")) && first.contains(key),
            "{bad}: {err}"
        );
        assert_eq!(err.trim().lines().count(), 1, "{err}");
    }
}
