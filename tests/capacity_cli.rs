//! `pace capacity` as a user runs it: published USL fits reproduced through
//! the process, and bad input refused with one line and exit 2.

use assert_cmd::Command;
use predicates::prelude::*;
use serde_json::Value;
use std::path::PathBuf;

fn pace() -> Command {
    Command::cargo_bin("pace").unwrap()
}

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/capacity")
        .join(name)
}

fn json(args: &[&str]) -> Value {
    let out = pace()
        .arg("capacity")
        .args(args)
        .arg("--json")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn f(v: &Value) -> f64 {
    v.as_f64().unwrap_or_else(|| panic!("not a number: {v}"))
}

fn rel(a: f64, b: f64) -> f64 {
    ((a - b) / b).abs()
}

/// One line on stderr, nothing on stdout, exit 2.
fn refused(args: &[&str], stdin_file: Option<(&str, &str)>) -> String {
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = pace();
    cmd.arg("capacity");
    if let Some((name, body)) = stdin_file {
        let p = dir.path().join(name);
        std::fs::write(&p, body).unwrap();
        cmd.arg(&p);
    }
    let out = cmd.args(args).output().unwrap();
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    assert!(out.stdout.is_empty());
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(err.lines().count(), 1, "{err}");
    err
}

#[test]
fn cisco_gives_the_published_fit() {
    let cisco = fixture("cisco.csv");
    let v = json(&[cisco.to_str().unwrap(), "--at", "20", "--target-r", "0.05"]);
    // Schwartz's e-book, as asserted by usl4j and usl-rs (1e-5 relative).
    assert!(rel(f(&v["sigma"]["value"]), 0.02671591) < 1e-5);
    assert!(rel(f(&v["kappa"]["value"]), 7.690945e-4) < 1e-5);
    assert!(rel(f(&v["lambda"]["value"]), 995.6486) < 1e-5);
    assert_eq!(f(&v["peak"]["n_floor"]), 35.0);
    assert!(rel(f(&v["peak"]["x_at_floor"]), 12341.7457) < 1e-5);
    assert!(rel(f(&v["predictions"][0]["x"]), 11063.6331) < 1e-5);
    assert!(rel(f(&v["target_r"]["n"]), 235.6147) < 1e-5);
    assert_eq!(v["regime"], "contention-bound");
    assert_eq!(v["points"], 32);
    assert_eq!(v["df"], 29);
    assert!(f(&v["sigma"]["ci_low"]) < f(&v["sigma"]["value"]));
    assert!(v["warnings"].as_array().unwrap().len() == 1); // N* beyond N = 32
}

#[test]
fn specsdm91_gives_the_r_summary() {
    let spec = fixture("specsdm91.csv");
    let v = json(&[spec.to_str().unwrap()]);
    assert!((f(&v["sigma"]["value"]) - 2.773e-2).abs() < 5e-6);
    assert!((f(&v["kappa"]["value"]) - 1.0437e-4).abs() < 5e-8);
    assert!((f(&v["lambda"]["value"]) - 89.995).abs() < 5e-4);
    assert!((f(&v["residual_std_error"]) - 82.85).abs() < 5e-3);
    assert_eq!(v["df"], 4);
    assert!((f(&v["peak"]["n"]) - 96.52).abs() < 5e-3);
    assert!((f(&v["peak"]["x"]) - 1884.0).abs() < 0.5);
    assert!((f(&v["amdahl_ceiling"]) - 3245.6).abs() < 0.05);
    assert!((f(&v["optimal_load"]["n"]) - 36.06).abs() < 5e-3);
}

#[test]
fn the_table_shows_the_numbers() {
    pace()
        .arg("capacity")
        .arg(fixture("cisco.csv"))
        .args(["--at", "40", "--target-x", "12000"])
        .assert()
        .success()
        .stdout(predicate::str::contains("0.0267159"))
        .stdout(predicate::str::contains("995.649"))
        .stdout(predicate::str::contains("X(35) = 12341.7"))
        .stdout(predicate::str::contains("X at N = 40"))
        .stdout(predicate::str::contains("N for X = 12000"));
}

#[test]
fn help_has_worked_examples() {
    pace()
        .args(["capacity", "--help"])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "pace capacity cisco.csv --target-r 50ms",
        ));
}

#[test]
fn few_points_warn_but_fit() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("four.csv");
    std::fs::write(&p, "1,64.9\n18,995.9\n36,1652.4\n72,1853.2\n").unwrap();
    let v = json(&[p.to_str().unwrap()]);
    let w = v["warnings"].as_array().unwrap();
    assert!(
        w.iter()
            .any(|w| w.as_str().unwrap().contains("only 4 load levels"))
    );
}

#[test]
fn bad_inputs_exit_2_with_one_line() {
    let e = refused(&["/nonexistent/pace-capacity.csv"], None);
    assert!(
        e.contains("/nonexistent/pace-capacity.csv: cannot read"),
        "{e}"
    );

    let e = refused(&[], Some(("a.csv", "N,X\n1,10\n2,twenty\n3,30\n")));
    assert!(
        e.contains("a.csv line 3: 'twenty' in column X is not a number"),
        "{e}"
    );

    let e = refused(&[], Some(("b.csv", "1,10\n2,20\n")));
    assert!(e.contains("b.csv: 2 point(s)"), "{e}");

    let e = refused(&[], Some(("c.csv", "1,10\n0,20\n3,30\n")));
    assert!(
        e.contains("c.csv line 2: N = 0 must be greater than 0"),
        "{e}"
    );

    let e = refused(&[], Some(("d.csv", "1,10\n2,-20\n3,30\n")));
    assert!(
        e.contains("d.csv line 2: X = -20 must be greater than 0"),
        "{e}"
    );

    // Runs repeated at two loads are still two levels: refused, said so.
    let e = refused(&[], Some(("e.csv", "1,10\n2,20\n1,11\n2,19\n")));
    assert!(
        e.contains(
            "e.csv: 4 point(s) at 2 distinct N: the USL has 3 coefficients, so at least 3 distinct load levels are needed"
        ),
        "{e}"
    );

    let e = refused(&[], Some(("f.csv", "1,10,0.1,9\n2,20\n3,30\n")));
    assert!(e.contains("f.csv line 1: 4 column(s)"), "{e}");

    let e = refused(&[], Some(("g.csv", "")));
    assert!(e.contains("g.csv: 0 point(s)"), "{e}");

    let cisco = fixture("cisco.csv");
    let c = cisco.to_str().unwrap();
    let e = refused(&[c, "--at", "0"], None);
    assert!(e.contains("--at"), "{e}");
    let e = refused(&[c, "--target-r", "fast"], None);
    assert!(e.contains("--target-r"), "{e}");
    let e = refused(&[c, "--confidence", "1.5"], None);
    assert!(e.contains("--confidence"), "{e}");

    let dir = tempfile::tempdir().unwrap();
    let e = refused(&[dir.path().to_str().unwrap()], None);
    assert!(e.contains("a folder"), "{e}");
}

/// A stair run's summary.json with one level per (N, X, R); the shape
/// the stair runner writes (issue 12 §2).
fn stair_summary(levels: &[(f64, f64, f64)], partial: bool) -> String {
    let lv: Vec<Value> = levels
        .iter()
        .enumerate()
        .map(|(i, &(n, x, r))| {
            serde_json::json!({
                "level": i + 1, "users": n as u64, "rate_per_s": null,
                "dir": format!("level-{:02}-{}users", i + 1, n as u64),
                "n": n, "x_per_s": x, "expected_per_s": x * 1.02,
                "r_avg_s": r, "r_p50_s": r, "r_p95_s": r * 2.0, "r_p99_s": r * 3.0,
                "transactions": (x * 120.0) as u64, "errors": 0, "error_rate": 0.0,
                "late_starts": 0, "pass": true, "reasons": []
            })
        })
        .collect();
    serde_json::json!({
        "partial": partial,
        "meta": { "partial_reason": if partial { Value::from("interrupted") } else { Value::Null } },
        "achieved": { "tpm": 0.0 },
        "stairs": {
            "model": "closed", "hold_s": 120.0, "ramp_s": 20.0, "levels": lv,
            "not_run": [400], "stopped": null, "knee": null, "knee_note": ""
        }
    })
    .to_string()
}

/// The stair's plan.toml: one group of `steps` steps (the levels'
/// folders are absent, so the stair's plan gives the transactions per
/// iteration).
fn stair_plan(dir: &std::path::Path, steps: usize) {
    let mut plan = String::from(
        "[target]\ntps = 1\nresponse_time = \"1s\"\n\n[run.stairs]\nusers = [1, 2, 3]\nhold = \"5s\"\n\n[[group]]\nname = \"shop\"\nusers = 1\n\n[group.pacing]\nmode = \"none\"\n",
    );
    for i in 0..steps {
        plan.push_str(&format!(
            "\n[[group.step]]\nname = \"s{i}\"\nurl = \"http://127.0.0.1:1/{i}\"\n"
        ));
    }
    std::fs::write(dir.join("plan.toml"), plan).unwrap();
}

/// An ordinary run's folder: plan.toml with `users` closed users and a
/// summary.json with the steady rate and the all-transactions mean.
fn run_folder(
    root: &std::path::Path,
    name: &str,
    users: u64,
    tps: f64,
    r: f64,
    partial: bool,
) -> PathBuf {
    let dir = root.join(name);
    std::fs::create_dir_all(&dir).unwrap();
    let plan = format!(
        r#"[target]
tps = {users}
response_time = "1s"

[run]
duration = "60s"
ramp_up = "5s"

[[group]]
name = "browse"
users = {users}

[group.pacing]
mode = "none"

[[group.step]]
name = "home"
url = "http://127.0.0.1:1/"
"#
    );
    std::fs::write(dir.join("plan.toml"), plan).unwrap();
    let summary = serde_json::json!({
        "partial": partial,
        "meta": { "partial_reason": if partial { Value::from("interrupted by Ctrl-C") } else { Value::Null } },
        "achieved": { "tpm": tps * 60.0, "transactions": 1000, "errors": 0, "window_s": 55.0, "scope": "window" },
        "all_transactions": { "count": 1000, "min": 0.001, "avg": r, "p50": r, "p80": r, "p90": r,
                              "p95": r, "p99": r, "max": r, "stdev": 0.0 },
        "timers": {}
    });
    std::fs::write(dir.join("summary.json"), summary.to_string()).unwrap();
    dir
}

/// SPEC SDM91 as per-second rates (scripts per hour / 3600), so the fit's
/// σ and κ are the R summary's and λ is 89.995/3600.
const SPEC: [(f64, f64); 7] = [
    (1.0, 64.9),
    (18.0, 995.9),
    (36.0, 1652.4),
    (72.0, 1853.2),
    (108.0, 1828.9),
    (144.0, 1775.0),
    (216.0, 1702.2),
];

#[test]
fn a_stair_run_folder_is_fitted_level_by_level() {
    let dir = tempfile::tempdir().unwrap();
    let levels: Vec<(f64, f64, f64)> = SPEC
        .iter()
        .map(|&(n, x)| (n, x / 3600.0, n / (x / 3600.0)))
        .collect();
    std::fs::write(
        dir.path().join("summary.json"),
        stair_summary(&levels, false),
    )
    .unwrap();
    stair_plan(dir.path(), 1);
    let v = json(&[dir.path().to_str().unwrap()]);
    assert!((f(&v["sigma"]["value"]) - 2.773e-2).abs() < 5e-6);
    assert!((f(&v["kappa"]["value"]) - 1.0437e-4).abs() < 5e-8);
    assert!((f(&v["lambda"]["value"]) * 3600.0 - 89.995).abs() < 5e-3);
    assert_eq!(v["points"], 7);
    // R comes through from r_avg_s.
    assert!((f(&v["measured"][1]["r_s"]) - 18.0 / (995.9 / 3600.0)).abs() < 1e-9);
    assert!(
        v["warnings"].as_array().unwrap().is_empty(),
        "{}",
        v["warnings"]
    );
}

#[test]
fn run_folders_give_a_point_each_and_mix_with_a_csv() {
    let root = tempfile::tempdir().unwrap();
    let mut args: Vec<String> = Vec::new();
    // Gunther's synthetic check (σ = κ = 0.02, λ = 1): four runs as
    // folders, the other two levels in a CSV.
    let synthetic = [
        (1, 1.0),
        (2, 1.8868),
        (4, 3.0769),
        (6, 3.5294),
        (8, 3.5398),
        (10, 3.3557),
    ];
    for &(n, x) in &synthetic[..4] {
        let d = run_folder(
            root.path(),
            &format!("run-{n}u"),
            n,
            x,
            0.5 * n as f64,
            false,
        );
        args.push(d.to_str().unwrap().into());
    }
    let csv = root.path().join("more.csv");
    std::fs::write(&csv, "N,X\n8,3.5398\n10,3.3557\n").unwrap();
    args.push(csv.to_str().unwrap().into());
    let a: Vec<&str> = args.iter().map(String::as_str).collect();
    let v = json(&a);
    assert_eq!(v["points"], 6);
    assert!((f(&v["sigma"]["value"]) - 0.02).abs() < 5e-5);
    assert!((f(&v["kappa"]["value"]) - 0.02).abs() < 5e-5);
    assert!((f(&v["lambda"]["value"]) - 1.0).abs() < 5e-4);
    // N from the plan's users, X = tpm/60, R = the all-transactions mean.
    assert_eq!(f(&v["measured"][2]["n"]), 4.0);
    assert!((f(&v["measured"][2]["x"]) - 3.0769).abs() < 1e-9);
    assert_eq!(f(&v["measured"][2]["r_s"]), 2.0);
    assert!(v["measured"][4]["r_s"].is_null());
}

#[test]
fn a_partial_run_is_left_out_with_a_warning() {
    let root = tempfile::tempdir().unwrap();
    let mut args: Vec<String> = Vec::new();
    for (i, &(n, x)) in SPEC.iter().enumerate() {
        let d = run_folder(root.path(), &format!("r{i}"), n as u64, x, 1.0, i == 6);
        args.push(d.to_str().unwrap().into());
    }
    let a: Vec<&str> = args.iter().map(String::as_str).collect();
    let v = json(&a);
    assert_eq!(v["points"], 6);
    let w = v["warnings"].as_array().unwrap();
    assert!(
        w.iter().any(|w| {
            let w = w.as_str().unwrap();
            w.contains("r6: a partial run (interrupted by Ctrl-C): left out")
        }),
        "{w:?}"
    );
    // The table prints it too.
    pace()
        .arg("capacity")
        .args(&a)
        .assert()
        .success()
        .stdout(predicate::str::contains("warning:").and(predicate::str::contains("left out")));
}

#[test]
fn folders_that_are_not_runs_are_refused() {
    let root = tempfile::tempdir().unwrap();
    let p = root.path();
    let spec = fixture("specsdm91.csv");
    let spec = spec.to_str().unwrap();

    let other = p.join("other");
    std::fs::create_dir(&other).unwrap();
    std::fs::write(other.join("summary.json"), r#"{"hello": 1}"#).unwrap();
    let e = refused(&[other.to_str().unwrap(), spec], None);
    assert!(e.contains("other/summary.json: neither a stair run"), "{e}");

    let broken = p.join("broken");
    std::fs::create_dir(&broken).unwrap();
    std::fs::write(
        broken.join("summary.json"),
        "{\"stairs\": {\"model\": \"closed\",\n \"levels\": [{\"level\": 1}]}}",
    )
    .unwrap();
    let e = refused(&[broken.to_str().unwrap()], None);
    assert!(
        e.contains("broken/summary.json: not pace's summary.json: missing field `n` at line 2"),
        "{e}"
    );

    let open = run_folder(p, "open", 10, 5.0, 0.1, false);
    let plan = std::fs::read_to_string(open.join("plan.toml")).unwrap();
    std::fs::write(
        open.join("plan.toml"),
        plan.replace(
            "mode = \"none\"",
            "mode = \"arrival-rate\"\nrate = \"10/s\"",
        ),
    )
    .unwrap();
    let e = refused(&[open.to_str().unwrap(), spec], None);
    assert!(
        e.contains("open/plan.toml: group 'browse': group.pacing.mode = \"arrival-rate\" is open"),
        "{e}"
    );

    let noplan = run_folder(p, "noplan", 10, 5.0, 0.1, false);
    std::fs::remove_file(noplan.join("plan.toml")).unwrap();
    let e = refused(&[noplan.to_str().unwrap(), spec], None);
    assert!(e.contains("noplan/plan.toml: cannot read"), "{e}");

    // A run whose N is already in the CSV is another observation there.
    let dup = run_folder(p, "dup", 18, 995.9, 0.1, false);
    let v = json(&[spec, dup.to_str().unwrap()]);
    assert_eq!(
        (&v["points"], &v["levels"], &v["df"]),
        (&8.into(), &7.into(), &5.into())
    );

    // Only partial runs: too few points, said once.
    let a = run_folder(p, "pa", 1, 1.0, 0.1, true);
    let b = run_folder(p, "pb", 2, 2.0, 0.1, true);
    let c = run_folder(p, "pc", 3, 3.0, 0.1, false);
    let e = refused(
        &[
            a.to_str().unwrap(),
            b.to_str().unwrap(),
            c.to_str().unwrap(),
        ],
        None,
    );
    assert!(e.contains("1 point(s)"), "{e}");

    let e = refused(&[spec, "--demand", "5ms,zero"], None);
    assert!(e.contains("--demand"), "{e}");
}

#[test]
fn html_page_has_the_fit_and_two_graphs() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("cap.html");
    pace()
        .arg("capacity")
        .arg(fixture("specsdm91.csv"))
        .args(["--target-x", "1800", "--think", "0", "--html"])
        .arg(&out)
        .assert()
        .success()
        .stdout(predicate::str::contains("σ contention"));
    let text = std::fs::read_to_string(&out).unwrap();
    let doc = scraper::Html::parse_document(&text);
    let sel = |s: &str| scraper::Selector::parse(s).unwrap();
    assert!(doc.errors.is_empty(), "{:?}", doc.errors);
    let rows: Vec<String> = doc
        .select(&sel("table.capacity tbody tr"))
        .map(|r| r.text().collect::<String>())
        .collect();
    assert!(
        rows.iter()
            .any(|r| r.contains("σ contention") && r.contains("0.0277285")),
        "{rows:?}"
    );
    assert!(
        rows.iter()
            .any(|r| r.contains("peak concurrency N*") && r.contains("96.52"))
    );
    let svgs: Vec<_> = doc.select(&sel("figure.graph svg")).collect();
    assert_eq!(svgs.len(), 2);
    for s in &svgs {
        // Drawn, not empty: lines and text.
        assert!(
            s.select(&sel("polyline, path, polygon")).count() > 3,
            "{}",
            s.html()
        );
        assert!(s.select(&sel("text")).count() > 10);
    }
    // A dot per measured level, and the band's polygon.
    assert!(svgs[0].select(&sel("circle")).count() >= 7);
    assert_eq!(svgs[0].select(&sel("polygon")).count(), 1);
    let x = svgs[0].html();
    assert!(x.contains("N* 96.52") && x.contains("planned 1800"), "{x}");
    assert!(svgs[1].html().contains("USL: N/X(N)"));
}

#[test]
fn a_partial_stair_keeps_its_levels_and_drops_an_empty_one() {
    let dir = tempfile::tempdir().unwrap();
    let mut levels: Vec<(f64, f64, f64)> =
        SPEC.iter().map(|&(n, x)| (n, x / 3600.0, 1.0)).collect();
    levels.push((300.0, 0.0, 0.0));
    // As the stair runner writes it: no `meta`, the reason in the verdict.
    let mut s: Value = serde_json::from_str(&stair_summary(&levels, true)).unwrap();
    s.as_object_mut().unwrap().remove("meta");
    s["verdict"] =
        serde_json::json!({"pass": false, "reasons": ["the stair did not finish: interrupted"]});
    std::fs::write(dir.path().join("summary.json"), s.to_string()).unwrap();
    stair_plan(dir.path(), 1);
    let v = json(&[dir.path().to_str().unwrap()]);
    assert_eq!(v["points"], 7);
    let w: Vec<&str> = v["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w.as_str().unwrap())
        .collect();
    assert!(w.iter().any(|w| w.contains("the stair run is partial (the stair did not finish: interrupted): its 8 completed level(s) are used")), "{w:?}");
    assert!(
        w.iter()
            .any(|w| w.contains("level 8 (N = 300) completed no transaction: left out of the fit")),
        "{w:?}"
    );
    assert!((f(&v["sigma"]["value"]) - 2.773e-2).abs() < 5e-6);
}

/// Several runs at one load (Gunther's multivalued data) are all fitted,
/// as the `usl` R package's `nls` fits every row: SPEC SDM91 with every
/// level measured twice (the copy in another order) gives the published
/// σ, κ, λ, on 14 − 3 = 11 degrees of freedom, every standard error
/// √(4/11) of the single data's (R: σ's 9.122e-3 → 5.501e-3; the unit
/// test works it out).
#[test]
fn repeated_n_is_fitted_as_multivalued_data() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("twice.csv");
    std::fs::write(
        &p,
        "N,X\n1,64.9\n18,995.9\n36,1652.4\n72,1853.2\n108,1828.9\n144,1775.0\n216,1702.2\n\
         216,1702.2\n144,1775.0\n108,1828.9\n72,1853.2\n36,1652.4\n18,995.9\n1,64.9\n",
    )
    .unwrap();
    let csv = p.to_str().unwrap();
    let v = json(&[csv]);
    assert!((f(&v["sigma"]["value"]) - 2.773e-2).abs() < 5e-6);
    assert!((f(&v["kappa"]["value"]) - 1.0437e-4).abs() < 5e-8);
    assert!((f(&v["lambda"]["value"]) - 89.995).abs() < 5e-4);
    assert_eq!(
        (&v["points"], &v["levels"], &v["df"]),
        (&14.into(), &7.into(), &11.into())
    );
    assert!((f(&v["sigma"]["std_error"]) - 5.501e-3).abs() < 5e-7);
    assert!((f(&v["peak"]["n"]) - 96.52).abs() < 5e-3);
    assert_eq!(v["measured"].as_array().unwrap().len(), 14);
    let w = v["warnings"].as_array().unwrap();
    assert!(
        w.iter().all(|w| !w.as_str().unwrap().contains("only")),
        "{w:?}"
    );
    // The table counts levels and says the observations.
    let out = pace().arg("capacity").arg(csv).output().unwrap();
    assert!(out.status.success());
    let t = String::from_utf8(out.stdout).unwrap();
    assert!(t.contains("14 observations"), "{t}");
    assert!(t.contains("0.0277285"), "{t}");

    // Three runs at each of three loads: 9 points, 3 levels, 6 df.
    let q = dir.path().join("three.csv");
    std::fs::write(
        &q,
        "1,10\n1,10.4\n1,9.7\n4,35\n4,36.1\n4,34.2\n16,80\n16,77\n16,82.5\n",
    )
    .unwrap();
    let v = json(&[q.to_str().unwrap()]);
    assert_eq!(
        (&v["points"], &v["levels"], &v["df"]),
        (&9.into(), &3.into(), &6.into())
    );
    let w = v["warnings"].as_array().unwrap();
    assert!(
        w.iter()
            .any(|w| w.as_str().unwrap().contains("only 3 load levels (9 runs)")),
        "{w:?}"
    );

    // Fewer than 3 distinct N, however many runs: one line, exit 2.
    let e = refused(
        &[],
        Some(("two.csv", "N,X\n1,10\n1,10.4\n4,35\n4,36.1\n4,34.2\n")),
    );
    assert!(
        e.contains("two.csv: 5 point(s) at 2 distinct N")
            && e.contains("at least 3 distinct load levels"),
        "{e}"
    );
}

/// Two stair runs of the same loads (a stair repeated the next day), and
/// a run folder at one of their N: every level of each is a point. The
/// SPEC SDM91 stair twice gives the published fit on 11 degrees of
/// freedom; the extra run at N = 18 makes 15 observations at 7 levels.
#[test]
fn two_stair_runs_at_the_same_loads_are_fitted_together() {
    let root = tempfile::tempdir().unwrap();
    let levels: Vec<(f64, f64, f64)> = SPEC
        .iter()
        .map(|&(n, x)| (n, x / 3600.0, n / (x / 3600.0)))
        .collect();
    let mut args: Vec<String> = Vec::new();
    for name in ["monday", "tuesday"] {
        let dir = root.path().join(name);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("summary.json"), stair_summary(&levels, false)).unwrap();
        stair_plan(&dir, 1);
        args.push(dir.to_str().unwrap().to_string());
    }
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    let v = json(&refs);
    assert!((f(&v["sigma"]["value"]) - 2.773e-2).abs() < 5e-6);
    assert!((f(&v["kappa"]["value"]) - 1.0437e-4).abs() < 5e-8);
    assert!((f(&v["lambda"]["value"]) * 3600.0 - 89.995).abs() < 5e-3);
    assert_eq!(
        (&v["points"], &v["levels"], &v["df"]),
        (&14.into(), &7.into(), &11.into())
    );
    let run = run_folder(root.path(), "run-18", 18, 995.9 / 3600.0, 0.1, false);
    args.push(run.to_str().unwrap().to_string());
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    let v = json(&refs);
    assert_eq!((&v["points"], &v["levels"]), (&15.into(), &7.into()));
    let at_18 = v["measured"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["n"] == 18.0)
        .count();
    assert_eq!(at_18, 3);
}
