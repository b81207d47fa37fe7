//! `pace run` with `[run.stairs]`: levels run one after another into their
//! own folders, the stair's table in summary.json, the database and
//! report.html, and a stop rule firing on a server that saturates.
//! Every target listens on 127.0.0.1; every level lasts about a second.

use assert_cmd::Command;
use serde_json::Value;
use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Runs `pace run plan.toml` in `dir`; returns the exit code, stdout,
/// stderr and the stair's results folder.
fn run(dir: &Path, extra: &[&str]) -> (i32, String, String, Option<PathBuf>) {
    let out = Command::cargo_bin("pace")
        .unwrap()
        .current_dir(dir)
        .args(["run", "plan.toml", "--seed", "7"])
        .args(extra)
        .timeout(Duration::from_secs(60))
        .output()
        .unwrap();
    let stair = std::fs::read_dir(dir.join("results"))
        .ok()
        .and_then(|mut d| d.find_map(|e| e.ok().map(|e| e.path())));
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        stair,
    )
}

fn summary(dir: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(dir.join("summary.json")).unwrap()).unwrap()
}

/// The embedded target answers in a fixed 20 ms whatever the load, so a
/// closed loop of N users cycling every 100 ms makes 10·N per second.
const UNSATURATED: &str = r#"
[target]
tps = 10.0
response_time = "20ms"
[target.embedded]
latency = "20ms"
[run]
ts_interval = "500ms"
grace = "1s"
[run.stairs]
users = [1, 2, 4]
hold = "1200ms"
ramp = "200ms"
# Loose on purpose: other builds share this machine's cores and may slow
# the generator; the test checks the table, not the machine.
min_rate = "50%"
[[group]]
name = "g"
users = 1
pacing = { mode = "after-end", delay = "80ms" }
[[group.step]]
name = "home"
url = "${PACE_TARGET}/"
[acceptance]
tolerance = "50%"
"#;

#[test]
fn a_stair_on_an_unsaturated_target_runs_every_level_and_x_grows() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("plan.toml"), UNSATURATED).unwrap();
    let (code, stdout, stderr, stair) = run(tmp.path(), &["--db", "stairs.db", "--quiet"]);
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    let stair = stair.unwrap();
    let s = summary(&stair);
    assert_eq!(s["partial"], false);
    assert_eq!(s["verdict"]["pass"], true, "{s:#}");
    let t = &s["stairs"];
    assert_eq!(t["model"], "closed");
    assert_eq!(t["hold_s"], 1.2);
    assert_eq!(t["ramp_s"], 0.2);
    assert_eq!(t["stopped"], Value::Null);
    assert_eq!(t["not_run"], serde_json::json!([]));
    let levels = t["levels"].as_array().unwrap();
    assert_eq!(levels.len(), 3);
    let xs: Vec<f64> = levels
        .iter()
        .map(|l| l["x_per_s"].as_f64().unwrap())
        .collect();
    for (l, users) in levels.iter().zip([1u64, 2, 4]) {
        assert_eq!(l["users"], users);
        assert_eq!(l["n"], users as f64);
        assert_eq!(l["rate_per_s"], Value::Null);
        // 10 per user per second; the window's edges cost at most one
        // iteration per user.
        let x = l["x_per_s"].as_f64().unwrap();
        let expected = 10.0 * users as f64;
        assert!((l["expected_per_s"].as_f64().unwrap() - expected).abs() < 1e-9);
        assert!(x > 0.5 * expected && x < 1.25 * expected, "{l}");
        let r = l["r_p50_s"].as_f64().unwrap();
        assert!((0.02..0.1).contains(&r), "R is the target's 20 ms: {l}");
        let dir = stair.join(l["dir"].as_str().unwrap());
        assert_eq!(
            dir.file_name().unwrap().to_str().unwrap(),
            format!("level-0{}-{users}users", l["level"])
        );
        for f in ["summary.json", "report.html", "plan.toml", "samples.csv"] {
            assert!(dir.join(f).is_file(), "{} has no {f}", dir.display());
        }
        // The level's run is judged over its hold alone.
        assert_eq!(summary(&dir)["achieved"]["window_s"], 1.2);
    }
    assert!(xs[0] < xs[1] && xs[1] < xs[2], "X grows with users: {xs:?}");
    // X = 10·N is a straight line: no knee, unless a loaded machine bent
    // it, and then the knee is a measured level.
    let note = t["knee_note"].as_str().unwrap();
    match &t["knee"] {
        Value::Null => assert!(note.contains("none found"), "{note}"),
        k => assert!(levels.iter().any(|l| l["n"] == k["n"]), "{k} {note}"),
    }
    // The stair's report links every level's.
    let html = std::fs::read_to_string(stair.join("report.html")).unwrap();
    for l in levels {
        assert!(html.contains(&format!("{}/report.html", l["dir"].as_str().unwrap())));
    }
    // A level's folder is a results folder like any other.
    Command::cargo_bin("pace")
        .unwrap()
        .args(["verify"])
        .arg(stair.join(levels[0]["dir"].as_str().unwrap()))
        .timeout(Duration::from_secs(30))
        .assert()
        .success();
    // The database has each level's run and the stair's table.
    let db = rusqlite::Connection::open(tmp.path().join("stairs.db")).unwrap();
    let runs: i64 = db
        .query_row("SELECT count(*) FROM runs", [], |r| r.get(0))
        .unwrap();
    assert_eq!(runs, 3);
    let (verdict, stopped): (String, Option<String>) = db
        .query_row("SELECT verdict, stopped_rule FROM stairs", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .unwrap();
    assert_eq!((verdict.as_str(), stopped), ("pass", None));
    let linked: i64 = db
        .query_row(
            "SELECT count(*) FROM stair_levels l JOIN runs r ON r.id = l.run_id WHERE l.users IS NOT NULL",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(linked, 3);

    // The stair's own folder reads back: verify judges it again from its
    // levels and says what the run said.
    let pace = |args: &[&str]| {
        let out = Command::cargo_bin("pace")
            .unwrap()
            .args(args)
            .arg(&stair)
            .timeout(Duration::from_secs(30))
            .output()
            .unwrap();
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (code, out, err) = pace(&["verify"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("stair verdict: PASS"), "{out}");
    assert!(out.contains("stopped: no, every level ran"), "{out}");
    let (code, out, err) = pace(&["report", "--quiet"]);
    assert_eq!(code, 0, "{out}{err}");
    let again = summary(&stair);
    assert_eq!(again["verdict"], s["verdict"]);
    for (a, b) in again["stairs"]["levels"]
        .as_array()
        .unwrap()
        .iter()
        .zip(levels)
    {
        assert_eq!(a["x_per_s"], b["x_per_s"]);
        assert_eq!(a["r_p95_s"], b["r_p95_s"]);
    }
    // Killed in its last level: no stair summary, the level without its
    // own. Both commands say where it stopped, exit 3 (INCOMPLETE).
    std::fs::remove_file(stair.join("summary.json")).unwrap();
    std::fs::remove_file(
        stair
            .join(levels[2]["dir"].as_str().unwrap())
            .join("summary.json"),
    )
    .unwrap();
    let (code, out, err) = pace(&["verify"]);
    assert_eq!(code, 3, "{out}{err}");
    assert!(out.contains("stair verdict: INCOMPLETE"), "{out}");
    assert!(out.contains("level 3 was interrupted"), "{out}");
    let (code, out, err) = pace(&["report", "--quiet"]);
    assert_eq!(code, 3, "{out}{err}");
    let killed = summary(&stair);
    assert_eq!(killed["partial"], true);
    assert_eq!(killed["stairs"]["levels"][2]["partial"], true);
    // And stopped between levels: the third never started.
    std::fs::remove_file(stair.join("summary.json")).unwrap();
    std::fs::remove_dir_all(stair.join(levels[2]["dir"].as_str().unwrap())).unwrap();
    let (code, out, _) = pace(&["verify"]);
    assert_eq!(code, 3, "{out}");
    assert!(out.contains("level 3 was never started"), "{out}");
    assert!(out.contains("not run: 4"), "{out}");
}

/// A server that answers one request at a time, each after 20 ms, and
/// closes every connection: N users queue behind each other, so R grows
/// to about N × 20 ms while X stays at 50 per second. The thread ends
/// with the test process.
fn serial_server() -> String {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap();
    std::thread::spawn(move || {
        for s in l.incoming() {
            let Ok(mut s) = s else { continue };
            let _ = s.set_read_timeout(Some(Duration::from_secs(2)));
            let mut buf = Vec::new();
            let mut chunk = [0u8; 1024];
            while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
                match s.read(&mut chunk) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => buf.extend_from_slice(&chunk[..n]),
                }
            }
            std::thread::sleep(Duration::from_millis(20));
            let _ =
                s.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok");
        }
    });
    format!("http://{addr}")
}

#[test]
fn a_threshold_broken_at_the_second_level_stops_the_stair() {
    let tmp = tempfile::tempdir().unwrap();
    let plan = format!(
        r#"
[run]
ts_interval = "500ms"
grace = "1s"
[run.stairs]
users = [1, 6, 12]
hold = "1s"
ramp = "200ms"
[[group]]
name = "g"
users = 1
pacing = {{ mode = "none" }}
[[group.step]]
name = "q"
url = "{}/"
[acceptance]
p95 = "70ms"
"#,
        serial_server()
    );
    std::fs::write(tmp.path().join("plan.toml"), plan).unwrap();
    let (code, stdout, stderr, stair) = run(tmp.path(), &[]);
    assert_eq!(code, 1, "{stdout}\n{stderr}");
    assert!(
        stdout.contains("stopped at level 2 by rule thresholds"),
        "{stdout}"
    );
    assert!(stdout.contains("stair verdict: FAIL"), "{stdout}");
    let stair = stair.unwrap();
    let s = summary(&stair);
    let t = &s["stairs"];
    assert_eq!(t["levels"].as_array().unwrap().len(), 2, "{t:#}");
    assert_eq!(t["not_run"], serde_json::json!([12]));
    assert_eq!(t["stopped"]["level"], 2);
    assert_eq!(t["stopped"]["rule"], "thresholds");
    assert!(
        t["stopped"]["why"].as_str().unwrap().contains("p95"),
        "{t:#}"
    );
    assert_eq!(t["levels"][0]["pass"], true);
    assert_eq!(t["levels"][1]["pass"], false);
    // 6 users queue behind one another: R p95 near 6 x 20 ms.
    assert!(t["levels"][1]["r_p95_s"].as_f64().unwrap() > 0.07, "{t:#}");
    assert_eq!(s["verdict"]["pass"], false);
    let why = s["verdict"]["reasons"][0].as_str().unwrap();
    assert!(
        why.contains("level 2 (6 users) broke the stair by rule thresholds"),
        "{why}"
    );
    assert!(!stair.join("level-03-12users").exists());
}

#[test]
fn a_bad_stair_key_is_one_line_naming_it() {
    let tmp = tempfile::tempdir().unwrap();
    let plan = UNSATURATED.replace("users = [1, 2, 4]", "users = [1, 4, 2]");
    std::fs::write(tmp.path().join("plan.toml"), plan).unwrap();
    let (code, _, stderr, stair) = run(tmp.path(), &[]);
    assert_eq!(code, 2, "{stderr}");
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains(
            "plan.toml:11: run.stairs.users[2]: levels must increase strictly: 2 follows 4"
        ),
        "{stderr}"
    );
    assert!(stair.is_none(), "nothing ran");
}

/// A target with a known capacity: c = 4 workers each serving a request in
/// S = 50 ms, so X_max = c/S = 80/s, and users that loop back to back
/// (Z = 0) saturate it at N* = c·(S + Z)/S = 4 (the asymptotic bound,
/// Jain 1991 §33.6). The levels straddle N* so the knee is real.
const KNOWN_CAPACITY: &str = r#"
[target]
tps = 20.0
response_time = "50ms"
[target.embedded]
latency = "50ms"
workers = 4
queue = 100
[run]
ts_interval = "500ms"
grace = "1s"
[run.stairs]
users = [1, 2, 3, 4, 6, 8, 12]
hold = "1500ms"
ramp = "300ms"
stop = []
[[group]]
name = "g"
users = 1
pacing = { mode = "none" }
[[group.step]]
name = "home"
url = "${PACE_TARGET}/"
[acceptance]
tolerance = "50%"
"#;

#[test]
fn a_stair_finds_the_known_capacity_of_the_embedded_target_within_10_percent() {
    let (c, s) = (4.0, 0.050);
    let (x_max, n_star) = (c / s, c);
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("plan.toml"), KNOWN_CAPACITY).unwrap();
    let (code, stdout, stderr, stair) = run(tmp.path(), &["--quiet"]);
    // Levels above N* cannot meet their expected rate: that is the point.
    assert!(code == 0 || code == 1, "{stdout}\n{stderr}");
    let stair = stair.unwrap();
    let t = summary(&stair)["stairs"].clone();
    let levels = t["levels"].as_array().unwrap();
    assert_eq!(levels.len(), 7, "{t:#}");
    let measured_max = levels
        .iter()
        .map(|l| l["x_per_s"].as_f64().unwrap())
        .fold(0.0, f64::max);
    assert!(
        (measured_max - x_max).abs() <= 0.1 * x_max,
        "X_max {measured_max} vs {x_max}: {t:#}"
    );
    let knee = t["knee"]["n"].as_f64().unwrap();
    assert!((knee - n_star).abs() <= 0.1 * n_star, "knee {knee}: {t:#}");

    // The fit reads the stair folder; its peak throughput is the ceiling.
    let out = Command::cargo_bin("pace")
        .unwrap()
        .args(["capacity", "--json"])
        .arg(&stair)
        .timeout(Duration::from_secs(30))
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let fit: Value = serde_json::from_slice(&out.stdout).unwrap();
    // A hard ceiling: the plateau model leads, its bound is X_max and its
    // knee N* (the USL would put a peak near 8 users).
    assert_eq!(fit["model"]["chosen"], "plateau", "{fit:#}");
    let bound = fit["plateau"]["x_max"]["value"].as_f64().unwrap();
    assert!(
        (bound - x_max).abs() <= 0.1 * x_max,
        "plateau X_max {bound}: {fit:#}"
    );
    let fitted_knee = fit["plateau"]["knee"]["value"].as_f64().unwrap();
    assert!(
        (fitted_knee - n_star).abs() <= 0.1 * n_star,
        "plateau knee {fitted_knee}: {fit:#}"
    );
    assert_eq!(fit["knee"]["n"].as_f64().unwrap(), knee);

    // The stair's report shows the same fit: its Capacity section and graphs.
    let html = std::fs::read_to_string(stair.join("report.html")).unwrap();
    let doc = scraper::Html::parse_document(&html);
    let sel = scraper::Selector::parse("section#capacity svg").unwrap();
    assert!(doc.select(&sel).count() >= 2, "no capacity graphs");
}
