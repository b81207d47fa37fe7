//! `pace capacity` choosing between the USL and the plateau, counting X
//! in the unit a think time belongs to (iterations), and never printing
//! an impossible number: run as a process on CSVs, on hand-made results
//! folders and on a stair that `pace run` measures against its embedded
//! target (127.0.0.1 only).

use assert_cmd::Command;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::time::Duration;

fn pace() -> Command {
    let mut c = Command::cargo_bin("pace").unwrap();
    c.timeout(Duration::from_secs(60));
    c
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

fn table(args: &[&str]) -> String {
    let out = pace().arg("capacity").args(args).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// One line on stderr, nothing on stdout, exit 2.
fn refused(args: &[&str]) -> String {
    let out = pace().arg("capacity").args(args).output().unwrap();
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    assert!(out.stdout.is_empty());
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(err.lines().count(), 1, "{err}");
    err
}

fn f(v: &Value) -> f64 {
    v.as_f64().unwrap_or_else(|| panic!("not a number: {v}"))
}

/// A measured stair against 4 workers × 40 ms (X_max 100/s, knee 4;
/// tests/fixtures/capacity/worker-pool.csv): the plateau leads, with the
/// knee and the bound; the USL's N* (8.8) is shown only as the USL's.
#[test]
fn a_worker_pool_leads_with_the_plateau_its_knee_and_bound() {
    let csv = fixture("worker-pool.csv");
    let csv = csv.to_str().unwrap();
    let v = json(&[csv]);
    assert_eq!(v["model"]["chosen"], "plateau", "{:#}", v["model"]);
    let p = &v["plateau"];
    let knee = f(&p["knee"]["value"]);
    assert!((knee - 4.0).abs() < 0.1, "knee {knee}");
    assert!(f(&p["knee"]["ci_low"]) < knee && knee < f(&p["knee"]["ci_high"]));
    let x_max = f(&p["x_max"]["value"]);
    assert!(
        (x_max - 95.75).abs() < 1e-9,
        "the mean of the flat: {x_max}"
    );
    assert_eq!(p["on_flat"], 4);
    // One user's cycle 1/a = 42.1 ms (40 ms + the client's), D_max = 1/X_max.
    assert!((f(&p["cycle_s"]["value"]) - 0.04213).abs() < 1e-4);
    assert!((f(&p["bottleneck_demand_s"]["value"]) - 1.0 / 95.75).abs() < 1e-12);
    assert_eq!(v["regime"], "saturation");
    assert!(f(&v["model"]["bic_usl"]) - f(&v["model"]["bic_plateau"]) > 2.0);
    // The USL's own numbers stay, as the USL's.
    assert!((f(&v["peak"]["n"]) - 8.85).abs() < 0.05, "{}", v["peak"]);

    let t = table(&[csv, "--at", "10", "--target-x", "120"]);
    let first = t.lines().nth(3).unwrap();
    assert!(
        first.contains("model") && first.contains("plateau (bounded)"),
        "{t}"
    );
    let at = |s: &str| t.find(s).unwrap_or_else(|| panic!("{s} not in {t}"));
    assert!(at("knee N*") < at("USL: σ contention"), "{t}");
    assert!(at("asymptotic bound X_max") < at("USL: peak concurrency N*"));
    // Predictions come from the plateau: flat past the knee.
    assert!(t.contains("X at N = 10") && t.contains("95.75"), "{t}");
    assert!(
        t.contains("above the asymptotic bound X_max = 95.75"),
        "{t}"
    );

    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("c.html");
    pace()
        .arg("capacity")
        .arg(csv)
        .args(["--think", "0", "--html"])
        .arg(&page)
        .assert()
        .success();
    let html = std::fs::read_to_string(&page).unwrap();
    let doc = scraper::Html::parse_document(&html);
    let sel = scraper::Selector::parse("figure.graph svg").unwrap();
    let svgs: Vec<String> = doc.select(&sel).map(|s| s.html()).collect();
    assert_eq!(svgs.len(), 2);
    for want in [
        "plateau fit",
        "knee N* 4.03",
        "bound X_max 95.75",
        "USL (not chosen)",
    ] {
        assert!(svgs[0].contains(want), "{want} missing");
    }
    assert!(svgs[1].contains("plateau: N/X(N)"));
    assert!(html.contains("Capacity: a hard ceiling (the plateau model fits)"));
}

/// Linear data: neither σ nor κ is distinguishable from 0, so no peak, no
/// ceiling and no regime are stated; the table says why.
#[test]
fn findings_without_support_are_not_determined() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("linear.csv");
    std::fs::write(&csv, "1,10.05\n2,19.9\n4,40.2\n8,79.6\n16,160.8\n32,319\n").unwrap();
    let csv = csv.to_str().unwrap();
    let v = json(&[csv]);
    assert_eq!(v["model"]["chosen"], "usl");
    assert!(v["peak"].is_null());
    assert!(v["amdahl_ceiling"].is_null());
    assert_eq!(v["regime"], "not determined");
    let nd = &v["not_determined"];
    assert!(nd["peak"].as_str().unwrap().contains("κ"), "{nd}");
    assert!(
        nd["regime"]
            .as_str()
            .unwrap()
            .starts_with("neither coefficient")
    );
    let t = table(&[csv]);
    for row in ["peak concurrency N*", "Amdahl ceiling λ/σ", "regime"] {
        let line = t.lines().find(|l| l.contains(row)).unwrap();
        assert!(line.contains("not determined"), "{line}");
    }
    assert!(!t.contains("limitless") && !t.contains("unbounded"), "{t}");
}

/// The stair's results folder as `pace run` writes it, by hand: levels
/// of two groups, "browse" (1 step) and "buy" (3 steps), each level's
/// plan.toml, summary.json (the window 1-5 s) and samples.csv.
/// `levels` = (N, successful transactions of browse and of buy ending in
/// the window).
fn mixed_stair(root: &Path, levels: &[(u64, u64, u64)]) -> PathBuf {
    let stair = root.join("stair");
    std::fs::create_dir_all(&stair).unwrap();
    let plan = |browse: u64, buy: u64| {
        format!(
            "[target]\nresponse_time = \"10ms\"\n\n[run]\nduration = \"5s\"\nramp_up = \"1s\"\n\n\
             [[group]]\nname = \"browse\"\nusers = {browse}\n\n[group.pacing]\nmode = \"none\"\n\n\
             [[group.step]]\nname = \"home\"\nurl = \"http://127.0.0.1:1/\"\n\n\
             [[group]]\nname = \"buy\"\nusers = {buy}\n\n[group.pacing]\nmode = \"none\"\n\n\
             [[group.step]]\nname = \"cart\"\nurl = \"http://127.0.0.1:1/c\"\n\n\
             [[group.step]]\nname = \"address\"\nurl = \"http://127.0.0.1:1/a\"\n\n\
             [[group.step]]\nname = \"pay\"\nurl = \"http://127.0.0.1:1/p\"\n"
        )
    };
    std::fs::write(stair.join("plan.toml"), plan(1, 1)).unwrap();
    let header = "kind,t,iter_start,iter_sched,group,user,iteration,name,latency,latency_sched,status,ok,error_kind,error,bytes,late,overrun,ttfb,iter_planned,sent_bytes,connect\n";
    let row = |t: f64, group: &str, ok: bool| {
        format!(
            "step,{t},{t},{t},{group},0,0,s,0.01,0.01,{},{ok},,,100,0.0,false,0.005,{t},50,0.0\n",
            if ok { 200 } else { 500 }
        )
    };
    let mut lv = Vec::new();
    for (i, &(n, browse, buy)) in levels.iter().enumerate() {
        let dir = format!("level-{:02}-{n}users", i + 1);
        let d = stair.join(&dir);
        std::fs::create_dir_all(&d).unwrap();
        std::fs::write(d.join("plan.toml"), plan(n / 2, n - n / 2)).unwrap();
        std::fs::write(
            d.join("summary.json"),
            serde_json::json!({"meta": {"ramp_up_s": 1.0, "duration_s": 5.0}}).to_string(),
        )
        .unwrap();
        let mut csv = String::from(header);
        for (group, count) in [("browse", browse), ("buy", buy)] {
            for j in 0..count {
                csv.push_str(&row(1.0 + 3.9 * j as f64 / count as f64, group, true));
            }
            // Outside the window, and failed: neither counts.
            csv.push_str(&row(0.5, group, true));
            csv.push_str(&row(2.0, group, false));
        }
        std::fs::write(d.join("samples.csv"), csv).unwrap();
        let x = (browse + buy) as f64 / 4.0;
        lv.push(serde_json::json!({
            "level": i + 1, "users": n, "rate_per_s": null, "dir": dir, "n": n as f64,
            "x_per_s": x, "expected_per_s": x, "r_avg_s": 0.01, "transactions": browse + buy,
            "errors": 0, "error_rate": 0.0, "late_starts": 0, "pass": true, "reasons": []
        }));
    }
    let s = serde_json::json!({
        "partial": false,
        "stairs": {"model": "closed", "hold_s": 4.0, "ramp_s": 1.0, "levels": lv,
                   "not_run": [], "stopped": null, "knee": null, "knee_note": ""}
    });
    std::fs::write(stair.join("summary.json"), s.to_string()).unwrap();
    stair
}

/// Groups with 1 and 3 transactions per iteration: each level's X is
/// converted group by group from its samples, X/k̄ with k̄ = Σc/Σ(c/k):
/// 100 browse and 300 buy transactions are 100 + 100 iterations, k̄ = 2.
/// Without the samples the point is refused with one line.
#[test]
fn mixed_groups_are_converted_group_by_group_or_refused() {
    let root = tempfile::tempdir().unwrap();
    let levels = [
        (2, 100, 300),
        (4, 200, 630),
        (6, 290, 900),
        (8, 380, 1150),
        (12, 400, 1260),
        (16, 410, 1240),
    ];
    let stair = mixed_stair(root.path(), &levels);
    let s = stair.to_str().unwrap();
    let v = json(&[s, "--think", "0.1s"]);
    assert_eq!(v["unit"]["x"], "iterations per second");
    // Each level its own k̄: no common factor.
    assert!(v["unit"]["transactions_per_iteration"].is_null());
    for (m, &(n, browse, buy)) in v["measured"].as_array().unwrap().iter().zip(&levels) {
        let x_tx = (browse + buy) as f64 / 4.0;
        let k = (browse + buy) as f64 / (browse as f64 + buy as f64 / 3.0);
        assert_eq!(f(&m["n"]), n as f64);
        assert!((f(&m["x"]) - x_tx / k).abs() < 1e-9, "{m}");
        assert!((f(&m["r_s"]) - 0.01 * k).abs() < 1e-12, "{m}");
    }
    assert!((f(&v["measured"][0]["x"]) - 50.0).abs() < 1e-9);

    std::fs::remove_file(stair.join("level-03-6users/samples.csv")).unwrap();
    let e = refused(&[s]);
    assert!(
        e.contains("level-03-6users/samples.csv: cannot read")
            && e.contains("its groups make 1, 3 transactions per iteration"),
        "{e}"
    );
}

/// A CSV of transactions per second from 3-step iterations: with --think
/// and no unit, R = N/X − Z would be negative, so no R is printed (not
/// determined, with why); --transactions-per-iteration 3 counts
/// iterations and every R is a time again. The flag with folders only is
/// refused.
#[test]
fn a_csv_of_transactions_needs_its_transactions_per_iteration() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("tx.csv");
    // 3 transactions of 40 ms per iteration, Z = 1 s, 4 workers: X_tx =
    // 3N/1.12 up to 100/s.
    let rows: String = [5.0f64, 10.0, 20.0, 30.0, 45.0, 60.0, 80.0]
        .iter()
        .map(|&n| format!("{n},{}\n", (3.0 * n / 1.12).min(100.0)))
        .collect();
    std::fs::write(&csv, rows).unwrap();
    let c = csv.to_str().unwrap();
    let v = json(&[c, "--think", "1s", "--at", "40", "--target-r", "0.5"]);
    assert!(
        v["think_conflict"]
            .as_str()
            .unwrap()
            .contains("--think 1 s is longer")
    );
    assert!(v["predictions"][0]["r_s"].is_null());
    assert!(v["predictions"][0]["r_why"].as_str().is_some());
    assert!(v["target_r"]["n"].is_null());
    let t = table(&[c, "--think", "1s", "--at", "40"]);
    let r = t.lines().find(|l| l.contains("R at N = 40")).unwrap();
    assert_eq!(r.split('┆').nth(1).unwrap().trim(), "not determined", "{r}");

    let v = json(&[
        c,
        "--think",
        "1s",
        "--transactions-per-iteration",
        "3",
        "--at",
        "40",
    ]);
    assert!(v["think_conflict"].is_null(), "{}", v["think_conflict"]);
    assert_eq!(v["unit"]["x"], "iterations per second");
    assert_eq!(f(&v["unit"]["transactions_per_iteration"]), 3.0);
    assert!((f(&v["measured"][0]["x"]) - 5.0 / 1.12).abs() < 1e-9);
    assert_eq!(v["model"]["chosen"], "plateau");
    let p = &v["plateau"];
    assert!((f(&p["knee"]["value"]) - 1.12 / 0.03).abs() < 1e-6);
    assert!((f(&p["x_max"]["value"]) - 100.0 / 3.0).abs() < 1e-9);
    assert!((f(&p["demand_s"]) - 0.12).abs() < 1e-9);
    // At 40 users, past the knee: R = N·D_max − Z = 40·0.03 − 1 = 0.2 s.
    assert!((f(&v["predictions"][0]["r_s"]) - 0.2).abs() < 1e-9);

    let stair = mixed_stair(dir.path(), &[(2, 10, 30), (4, 20, 60), (6, 30, 90)]);
    let e = refused(&[stair.to_str().unwrap(), "--transactions-per-iteration", "3"]);
    assert!(e.contains("applies to CSV inputs only"), "{e}");
    let e = refused(&[stair.to_str().unwrap(), c]);
    assert!(e.contains("--transactions-per-iteration"), "{e}");
}

/// A 3-step checkout with a 200 ms think time against 4 workers × 40 ms,
/// measured by `pace run` as a stair: the target completes at most
/// 100 requests/s, 33.3 iterations/s, and the knee is (D + Z)/D_max =
/// (0.12 + 0.2)/0.03 = 10.7 users. `pace capacity --think 0.2s` counts
/// iterations (the stair's X ÷ 3) and prints no negative time, no
/// "limitless" and no bound above the target's.
const CHECKOUT: &str = r#"
[target]
tps = 18.75
response_time = "40ms"
[target.embedded]
latency = "40ms"
workers = 4
queue = 1000
[run]
ts_interval = "500ms"
grace = "500ms"
[run.stairs]
users = [2, 6, 12, 20, 30]
hold = "1500ms"
ramp = "300ms"
stop = []
[[group]]
name = "checkout"
users = 2
pacing = { mode = "after-end", delay = "200ms" }
[[group.step]]
name = "cart"
url = "${PACE_TARGET}/cart"
[[group.step]]
name = "address"
url = "${PACE_TARGET}/address"
[[group.step]]
name = "pay"
url = "${PACE_TARGET}/pay"
[acceptance]
tolerance = "50%"
"#;

#[test]
fn a_multi_step_stair_is_fitted_in_iterations() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("plan.toml"), CHECKOUT).unwrap();
    let out = pace()
        .current_dir(tmp.path())
        .args(["run", "plan.toml", "--seed", "7", "--quiet"])
        .output()
        .unwrap();
    // Levels past the knee miss their expected rate: FAIL is the point.
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stair = std::fs::read_dir(tmp.path().join("results"))
        .unwrap()
        .find_map(|e| e.ok().map(|e| e.path()))
        .unwrap();
    let summary: Value =
        serde_json::from_str(&std::fs::read_to_string(stair.join("summary.json")).unwrap())
            .unwrap();
    let levels = summary["stairs"]["levels"].as_array().unwrap().clone();
    assert_eq!(levels.len(), 5);
    let s = stair.to_str().unwrap();
    let v = json(&[s, "--think", "0.2s", "--at", "40", "--target-r", "0.5"]);
    assert_eq!(v["unit"]["x"], "iterations per second", "{:#}", v["unit"]);
    assert_eq!(f(&v["unit"]["transactions_per_iteration"]), 3.0);
    for (m, l) in v["measured"].as_array().unwrap().iter().zip(&levels) {
        assert!(
            (f(&m["x"]) - f(&l["x_per_s"]) / 3.0).abs() < 1e-9,
            "{m} {l}"
        );
        assert!((f(&m["r_s"]) - 3.0 * f(&l["r_avg_s"])).abs() < 1e-12);
    }
    // Every user's cycle N/X is longer than Z: no conflict, and no
    // negative time anywhere.
    assert!(v["think_conflict"].is_null(), "{}", v["think_conflict"]);
    let p = &v["predictions"][0];
    assert!(p["r_s"].is_null() || f(&p["r_s"]) >= 0.0, "{p}");
    assert_ne!(v["regime"], "limitless");
    // Which model fits depends on what these short levels measured (a
    // falling X past the knee is the USL's); whichever it is, its ceiling
    // is not above the target's 33.3 iterations/s.
    let cap = 100.0 / 3.0 * 1.05;
    if v["model"]["chosen"] == "plateau" {
        let x_max = f(&v["plateau"]["x_max"]["value"]);
        assert!(x_max <= cap, "X_max {x_max} above the target's");
        let knee = f(&v["plateau"]["knee"]["value"]);
        assert!((6.0..16.0).contains(&knee), "knee {knee}");
    } else if !v["peak"].is_null() {
        assert!(f(&v["peak"]["x"]) <= cap, "{}", v["peak"]);
    }
    let t = table(&[s, "--think", "0.2s", "--at", "40"]);
    assert!(t.contains("X counts") && t.contains("iterations per second"));
    let r = t.lines().find(|l| l.contains("R at N = 40")).unwrap();
    assert!(!r.contains("┆ -"), "{r}");
}

/// A FIFO, a device, a huge N: refused at once with one line.
#[test]
fn special_files_and_absurd_n_are_refused() {
    let e = refused(&["/dev/zero"]);
    assert!(
        e.contains("/dev/zero: cannot read") && e.contains("not a regular file"),
        "{e}"
    );
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("points.csv");
    let made = std::process::Command::new("mkfifo").arg(&fifo).status();
    if made.is_ok_and(|s| s.success()) {
        let e = refused(&[fifo.to_str().unwrap()]);
        assert!(e.contains("not a regular file"), "{e}");
    }
    let huge = dir.path().join("huge.csv");
    std::fs::write(&huge, "1,10\n2,20\n4,39\n1e300,40\n").unwrap();
    let e = refused(&[huge.to_str().unwrap()]);
    assert!(
        e.contains("huge.csv line 4: N = 1e300 is beyond 1e9 users"),
        "{e}"
    );
}

/// A run made with `pace run --users N` keeps the plan.toml as written:
/// its N is the recorded effective users, not the file's.
#[test]
fn a_run_folder_takes_n_from_its_users_override() {
    let root = tempfile::tempdir().unwrap();
    let mut args = Vec::new();
    for (users, tps) in [(1u64, 5.0), (2, 10.0), (3, 15.0)] {
        let d = root.path().join(format!("u{users}"));
        std::fs::create_dir_all(&d).unwrap();
        std::fs::write(
            d.join("plan.toml"),
            "[target]\ntps = 4\nresponse_time = \"1s\"\n\n[run]\nduration = \"4s\"\n\n\
             [[group]]\nname = \"browse\"\nusers = 4\n\n[group.pacing]\nmode = \"none\"\n\n\
             [[group.step]]\nname = \"home\"\nurl = \"http://127.0.0.1:1/\"\n",
        )
        .unwrap();
        let s = serde_json::json!({
            "partial": false,
            "meta": {"ramp_up_s": 0.0, "duration_s": 4.0,
                     "overrides": {"users": users.to_string(),
                                   "effective": {"duration_s": 4.0, "users": {"browse": users}}}},
            "achieved": {"tpm": tps * 60.0, "transactions": 100, "errors": 0, "window_s": 4.0,
                         "iterations": 100, "all_transactions": 100, "scope": "window"},
            "all_transactions": {"count": 100, "avg": 0.2},
        });
        std::fs::write(d.join("summary.json"), s.to_string()).unwrap();
        args.push(d.to_str().unwrap().to_string());
    }
    let a: Vec<&str> = args.iter().map(String::as_str).collect();
    let v = json(&a);
    let ns: Vec<f64> = v["measured"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| f(&m["n"]))
        .collect();
    assert_eq!(ns, [1.0, 2.0, 3.0]);
}
