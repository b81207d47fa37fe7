//! Trust, round two (issue 22): every promise judged over the samples it
//! names, at the level it was made, with exact arithmetic. Each case of
//! tests/fixtures/cases (the 2026-12-07 set) run as a user runs it, with
//! the right answer of its README asserted. Targets are pace's embedded
//! one or servers the tests start on 127.0.0.1; every run is seconds long.

mod common;

use common::{case, edit, only_results_dir, pace};
use serde_json::Value;
use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::Path;
use std::time::{Duration, Instant};

fn summary(results: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(results.join("summary.json")).unwrap()).unwrap()
}

/// The check named `name` of a summary.
fn check<'a>(s: &'a Value, name: &str) -> &'a Value {
    s["verdict"]["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == name)
        .unwrap_or_else(|| panic!("no check {name:?} in {}", s["verdict"]["checks"]))
}

/// `pace ARGS` started in `dir`, its output piped, for a test that
/// signals it while it runs.
fn spawn_pace(dir: &Path, args: &[&str]) -> std::process::Child {
    std::process::Command::new(assert_cmd::cargo::cargo_bin("pace"))
        .current_dir(dir)
        .args(args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap()
}

/// Waits until `path` exists, at most `limit`.
fn wait_for(path: &Path, limit: Duration) {
    let t0 = Instant::now();
    while !path.exists() && t0.elapsed() < limit {
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn signal(child: &std::process::Child, sig: libc::c_int) {
    // SAFETY: a signal to the test's own child process.
    unsafe {
        libc::kill(child.id() as i32, sig);
    }
}

fn causes(s: &Value) -> Vec<String> {
    s["verdict"]["causes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["cause"].as_str().unwrap().to_string())
        .collect()
}

/// p95-ignores-timeouts: a quarter of the requests time out at 200 ms; a
/// p95 of 100 ms over every transaction fails, and over the successes
/// only (`latency_of = "ok"`) it cannot pass while 25 % were left out as
/// timeouts. Both views are in the summary.
#[test]
fn p95_counts_the_timeouts() {
    let (_tmp, dir) = case("p95-ignores-timeouts");
    let (code, out, err) = pace(&dir, &["run", "plan.toml", "--seed", "1", "--quiet"]);
    assert_eq!(code, 1, "{out}{err}");
    let res = only_results_dir(&dir.join("results"));
    let s = summary(&res);
    let p95 = check(&s, "p95 response time");
    assert_eq!(p95["pass"], false, "{p95}");
    let over = &p95["over"];
    assert_eq!(over["span"], "window");
    let n = over["count"].as_u64().unwrap();
    let timeouts = s["errors"]["timeout"]["count"].as_u64().unwrap();
    // One request in four asks for 500 ms and is cut at 200 ms.
    assert!(
        timeouts * 5 >= n && timeouts * 3 <= n,
        "{timeouts} timeouts of {n}"
    );
    let achieved = p95["achieved"].as_str().unwrap();
    assert!(
        achieved.contains(&format!("{timeouts} of them timed out")),
        "{achieved}"
    );
    // The judged view and the successes' view, both kept.
    assert!(s["achieved"]["latency"]["p95"].as_f64().unwrap() >= 0.2);
    assert!(s["achieved"]["latency_ok"]["p95"].as_f64().unwrap() < 0.1);

    // A limit above the timeout: the p95 of the elapsed times (a timeout
    // at its 200 ms) is within 300 ms, but a timeout is never within, so
    // the check fails and says it is the timeouts, never "exceeded".
    let wide = dir.join("wide.toml");
    std::fs::copy(dir.join("plan.toml"), &wide).unwrap();
    edit(&wide, "p95 = \"100ms\"", "p95 = \"300ms\"");
    let res_s = res.to_str().unwrap();
    let (code, out, err) = pace(&dir, &["verify", res_s, "--plan", "wide.toml"]);
    assert_eq!(code, 1, "{out}{err}");
    let fail = out
        .lines()
        .find(|l| l.starts_with("FAIL"))
        .unwrap_or_default();
    assert!(
        fail.contains(&format!(
            "p95 response time not within the 300 ms threshold: {timeouts} of {n} transactions timed out"
        )),
        "{out}"
    );
    assert!(!fail.contains("exceeded the 300 ms"), "{fail}");

    // Successes only: the row says what it leaves out, and fails.
    let ok = dir.join("ok.toml");
    std::fs::copy(dir.join("plan.toml"), &ok).unwrap();
    edit(
        &ok,
        "p95 = \"100ms\"",
        "p95 = \"100ms\"\nlatency_of = \"ok\"",
    );
    let (code, out, err) = pace(&dir, &["verify", res_s, "--plan", "ok.toml"]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(
        out.contains(
            "timed out or were cut off, more than the 5% a p95 over successes may leave out"
        ),
        "{out}"
    );
    assert!(
        out.contains(&format!("{timeouts} of them timeouts or cut-offs")),
        "{out}"
    );
}

/// error-rate-float-edge: failures exactly at the budget pass, 1 % and
/// 0.7 % alike (0.7 / 100 is 0.006999... in floats).
#[test]
fn an_error_rate_exactly_at_its_budget_passes() {
    let (_tmp, dir) = case("error-rate-float-edge");
    for (plan, budget, failed, total) in [
        ("plan.toml", "1%", 5, 500),
        ("plan-0.7.toml", "0.7%", 7, 1000),
    ] {
        let (code, out, err) = pace(
            &dir,
            &[
                "run",
                plan,
                "--seed",
                "1",
                "--quiet",
                "--results-dir",
                &format!("r-{plan}"),
            ],
        );
        let s = summary(&only_results_dir(&dir.join(format!("r-{plan}"))));
        let e = check(&s, "error rate");
        assert_eq!(e["target"], format!("<= {budget}"));
        assert_eq!(
            e["achieved"],
            format!("{budget} ({failed} of {total})"),
            "{out}{err}"
        );
        assert_eq!(e["pass"], true, "{e}");
        assert_eq!(code, 0, "{out}{err}");
    }
}

/// group-shortfall-masked: checkout at about half its rate fails its own
/// row, named, while the plan's total stays inside its 5 % band.
#[test]
fn a_group_below_its_own_rate_fails_by_name() {
    let (_tmp, dir) = case("group-shortfall-masked");
    let (code, out, err) = pace(&dir, &["run", "plan.toml", "--seed", "1", "--quiet"]);
    assert_eq!(code, 1, "{out}{err}");
    let s = summary(&only_results_dir(&dir.join("results")));
    assert_eq!(check(&s, "throughput, group 'browse'")["pass"], true);
    let checkout = check(&s, "throughput, group 'checkout'");
    assert_eq!(checkout["pass"], false, "{checkout}");
    // 2/s for 15 s: 30 planned, band 28.5-31.5 at 5 %.
    assert_eq!(checkout["target"], "114-126 TPM");
    let reason = checkout["reason"].as_str().unwrap();
    assert!(
        reason.starts_with("group 'checkout': throughput"),
        "{reason}"
    );
    assert!(reason.contains("failures made the difference"), "{reason}");
    assert_eq!(causes(&s), ["failed"]);
    assert!(
        s["verdict"]["causes"][0]["detail"]
            .as_str()
            .unwrap()
            .starts_with("group 'checkout':")
    );
}

/// data-exhausted-fixed-pacing: the 40 missing purchases are the retired
/// users' planned starts, counted from their recorded schedule (100 %),
/// and a fixed pacing over whole intervals has no chance to blame.
#[test]
fn retired_users_explain_the_whole_gap_of_a_fixed_pacing() {
    let (_tmp, dir) = case("data-exhausted-fixed-pacing");
    let (code, out, err) = pace(&dir, &["run", "plan.toml", "--seed", "1", "--quiet"]);
    assert_eq!(code, 1, "{out}{err}");
    let s = summary(&only_results_dir(&dir.join("results")));
    assert_eq!(s["expected"]["transactions"], 80.0);
    assert_eq!(s["achieved"]["transactions"], 40);
    assert_eq!(causes(&s), ["retired"], "{}", s["verdict"]["causes"]);
    let c = &s["verdict"]["causes"][0];
    assert_eq!(c["transactions"], 40.0);
    assert_eq!(c["share"], 1.0);
    assert!(!out.contains("random schedule"), "{out}");
    assert_eq!(check(&s, "users working")["pass"], false);
}

/// verdict-blames-chance-for-generator, 1: a million arrivals a second is
/// beyond any generator here; the shortfall is the generator's (its
/// never-started arrivals are recorded), never the schedule's chance.
#[test]
fn an_overloaded_generator_is_named_not_chance() {
    let (_tmp, dir) = case("verdict-blames-chance-for-generator");
    let (code, out, err) = pace(&dir, &["run", "overload.toml", "--quiet"]);
    assert_eq!(code, 1, "{out}{err}");
    let s = summary(&only_results_dir(&dir.join("results")));
    let cs = causes(&s);
    assert_eq!(cs.first().map(String::as_str), Some("generator"), "{cs:?}");
    assert!(!cs.iter().any(|c| c == "schedule"), "{cs:?}");
    let detail = s["verdict"]["causes"][0]["detail"].as_str().unwrap();
    assert!(detail.contains("never started"), "{detail}");
    assert!(
        detail.contains("the run cannot judge the target for this share"),
        "{detail}"
    );
    // The arrivals never started are in samples.csv, as missed rows.
    assert!(s["missed"].as_u64().unwrap() > 1_000_000, "{}", s["missed"]);
    // pace's own CPU was measured, and its warning follows its figure.
    let g = &s["meta"]["generator"];
    let cpu = g["cpu_span"].as_f64().unwrap();
    assert!(g["cores"].as_f64().unwrap() >= 1.0, "{g}");
    assert!(cpu > 0.0 && cpu <= 1.0, "{g}");
    let warned = s["verdict"]["notes"]
        .to_string()
        .contains("the generator was the bottleneck");
    assert_eq!(warned, cpu > g["limit"].as_f64().unwrap(), "{g}");
    assert!(out.contains("pace's CPU ("), "{out}");
}

/// verdict-blames-chance-for-generator, 2: a fixed-pacing shard stopped
/// while it waits for its start: INCOMPLETE, nothing judged, no chance
/// (or any other cause) invented.
#[test]
fn a_run_stopped_before_its_start_invents_no_cause() {
    let (_tmp, dir) = case("verdict-blames-chance-for-generator");
    let at = std::time::SystemTime::now() + Duration::from_secs(6);
    let at = humantime::format_rfc3339_seconds(at).to_string();
    let child = spawn_pace(
        &dir,
        &[
            "run",
            "fixed.toml",
            "--shard",
            "0/2",
            "--start-at",
            &at,
            "--results-dir",
            "r",
            "--quiet",
        ],
    );
    // Interrupted once it waits (its folder exists), well before the start.
    wait_for(&dir.join("r"), Duration::from_secs(4));
    std::thread::sleep(Duration::from_millis(500));
    signal(&child, libc::SIGINT);
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(3), "{stdout}");
    let s = summary(&only_results_dir(&dir.join("r")));
    assert_eq!(s["verdict"]["state"], "incomplete");
    assert!(causes(&s).is_empty(), "{}", s["verdict"]["causes"]);
    let reasons = s["verdict"]["reasons"].to_string();
    assert!(!reasons.contains("random schedule"), "{reasons}");
    assert!(reasons.contains("before the start"), "{reasons}");
}

/// verdict-blames-chance-for-generator, the stall: pace itself stopped
/// (SIGSTOP) for 1.5 s, then released the starts it owed up to 1.5 s
/// late. The counts still hold (every start was made), but the verdict
/// says the generator started them late, and the console counts them.
#[test]
fn a_stalled_generator_is_said() {
    let (_tmp, dir) = case("verdict-blames-chance-for-generator");
    edit(
        &dir.join("fixed.toml"),
        "duration = \"4s\"",
        "duration = \"6s\"",
    );
    let child = spawn_pace(&dir, &["run", "fixed.toml", "--quiet"]);
    // Stopped inside the window (1-6 s), once the run has started.
    wait_for(&dir.join("results"), Duration::from_secs(10));
    std::thread::sleep(Duration::from_millis(2500));
    signal(&child, libc::SIGSTOP);
    std::thread::sleep(Duration::from_millis(1500));
    signal(&child, libc::SIGCONT);
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let s = summary(&only_results_dir(&dir.join("results")));
    let notes = s["verdict"]["notes"].to_string();
    assert!(
        notes.contains("the generator started iterations late"),
        "{notes}\n{stdout}"
    );
    let late: u64 = s["achieved"]["groups"][0]["generator_late"]
        .as_u64()
        .unwrap();
    // 4 users at 200 ms: a 1.5 s stall leaves each about 6 starts late by
    // more than 250 ms.
    assert!(late >= 8, "{late} late starts\n{stdout}");
    assert!(
        stdout.contains(&format!(" + {late} by the generator /")),
        "{stdout}"
    );
    assert!(!s["verdict"]["causes"].to_string().contains("schedule"));
}

/// stair-x-offered-load: a target that completes 100/s at most, offered
/// 120/s and 150/s: those levels achieved what completed in their holds
/// (about 100/s), fail naming the backlog, and the stair fails.
#[test]
fn a_stair_level_achieves_what_completed_in_its_hold() {
    let (_tmp, dir) = case("stair-x-offered-load");
    let (code, out, err) = pace(&dir, &["run", "plan.toml", "--seed", "1", "--quiet"]);
    assert_eq!(code, 1, "{out}{err}");
    let stair = only_results_dir(&dir.join("results"));
    let s = summary(&stair);
    let levels = s["stairs"]["levels"].as_array().unwrap();
    assert_eq!(levels.len(), 4);
    for (i, want_pass) in [(0, true), (1, true), (2, false), (3, false)] {
        let l = &levels[i];
        let x = l["x_per_s"].as_f64().unwrap();
        assert_eq!(l["pass"], want_pass, "level {}: {l}", i + 1);
        if want_pass {
            assert!(
                (x - l["expected_per_s"].as_f64().unwrap()).abs() < 1.0,
                "{l}"
            );
        } else {
            // At most the target's 100/s (a cold start loses its first
            // 40 ms), never the offered 120 or 150.
            assert!((85.0..=101.0).contains(&x), "level {}: X {x}", i + 1);
            let reasons = l["reasons"].to_string();
            assert!(
                reasons.contains("the target fell behind, a queue grew"),
                "{reasons}"
            );
        }
    }
    assert_eq!(s["verdict"]["state"], "fail");
    // The knee follows the true X: it is not past level 3.
    let knee = s["stairs"]["knee"]["x_per_s"].as_f64().unwrap_or(0.0);
    assert!(knee <= 101.0, "{}", s["stairs"]["knee_note"]);
}

/// A server slow for its first 3 s (300 ms answers), then fast (10 ms):
/// warmup_server.py of the case, in Rust, on 127.0.0.1 (its port
/// returned). Its threads end with the test process.
fn warmup_server() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let first: std::sync::Arc<std::sync::OnceLock<Instant>> = Default::default();
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(mut conn) = conn else { return };
            let first = first.clone();
            std::thread::spawn(move || {
                conn.set_nodelay(true).ok();
                let mut r = BufReader::new(conn.try_clone().unwrap());
                loop {
                    let mut line = String::new();
                    loop {
                        line.clear();
                        match r.read_line(&mut line) {
                            Ok(0) | Err(_) => return,
                            Ok(_) if line == "\r\n" => break,
                            Ok(_) => {}
                        }
                    }
                    let t0 = *first.get_or_init(Instant::now);
                    let cold = t0.elapsed() < Duration::from_secs(3);
                    std::thread::sleep(Duration::from_millis(if cold { 300 } else { 10 }));
                    if conn
                        .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
                        .is_err()
                    {
                        return;
                    }
                }
            });
        }
    });
    port
}

/// warmup-in-ramp-judged: a warm-up inside the ramp-up is out of the
/// judged window, for the p95 as for the throughput; and the one-level
/// stair's table, stop rule and verdict read the same hold.
#[test]
fn a_warm_up_inside_the_ramp_up_is_not_judged() {
    let (_tmp, dir) = case("warmup-in-ramp-judged");
    for (plan, stair) in [("plan.toml", false), ("stair.toml", true)] {
        let port = warmup_server().to_string();
        let (code, out, err) = common::pace_env(
            &dir,
            &[
                "run",
                plan,
                "--seed",
                "1",
                "--quiet",
                "--results-dir",
                &format!("r-{plan}"),
            ],
            &[("PORT", &port)],
        );
        assert_eq!(code, 0, "{plan}: {out}{err}");
        let res = only_results_dir(&dir.join(format!("r-{plan}")));
        let run = if stair {
            res.join("level-01-4users")
        } else {
            res.clone()
        };
        let s = summary(&run);
        let p95 = check(&s, "p95 response time");
        assert_eq!(p95["pass"], true, "{p95}");
        assert_eq!(p95["over"]["span"], "window");
        assert_eq!(p95["over"]["from_s"], 4.0);
        assert_eq!(p95["over"]["to_s"], 14.0);
        // 4 users at 250 ms over the 10 s window.
        assert_eq!(p95["over"]["count"], 160);
        if stair {
            let st = summary(&res);
            assert_eq!(st["verdict"]["state"], "pass", "{out}");
            assert!(st["stairs"]["stopped"].is_null());
            let r95 = st["stairs"]["levels"][0]["r_p95_s"].as_f64().unwrap();
            assert!(r95 < 0.1, "{r95}");
        }
    }
}
