//! The console guides: run overrides recorded and re-judged, the last lines
//! of a run, the warning for a target that never answers, no Rust Debug
//! names in output, `plan -o` on an existing file, completions, --version,
//! written plans' acceptance defaults, and a reader that closes stdout
//! early. Every run is short and on 127.0.0.1.

mod common;

use common::{only_results_dir, pace, pace_env};
use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;

/// A two-group plan on pace's embedded target, fixed pacing, 3 s.
const PLAN: &str = r#"
[target]
tpm = 600
[target.embedded]
latency = "5ms"

[run]
duration = "3s"
ts_interval = "1s"
grace = "2s"

[[group]]
name = "browse"
users = 6
pacing = { mode = "fixed", interval = "1s", late = "drift" }
[[group.step]]
name = "home"
url = "${PACE_TARGET}/"

[[group]]
name = "checkout"
users = 4
pacing = { mode = "fixed", interval = "1s", late = "catch-up" }
[[group.step]]
name = "pay"
url = "${PACE_TARGET}/${WHAT:-pay}"

[acceptance]
error_rate = "1%"
"#;

fn setup() -> (tempfile::TempDir, std::path::PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let plan = tmp.path().join("plan.toml");
    std::fs::write(&plan, PLAN).unwrap();
    (tmp, plan)
}

fn summary(dir: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(dir.join("summary.json")).unwrap()).unwrap()
}

#[test]
fn overrides_are_recorded_and_verify_judges_the_run_as_it_ran() {
    let (tmp, _) = setup();
    let d = tmp.path();
    let (code, out, err) = pace(
        d,
        &[
            "run",
            "plan.toml",
            "--duration",
            "2s",
            "--users",
            "5",
            "--rate",
            "4/s",
            "--var",
            "WHAT=pay",
        ],
    );
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(
        err.contains("pace: overrides: --duration 2s --users 5 --rate 4/s --var WHAT=${WHAT}"),
        "{err}"
    );
    let dir = only_results_dir(&d.join("results"));
    // The folder keeps the user's file byte for byte.
    assert_eq!(
        std::fs::read_to_string(dir.join("plan.toml")).unwrap(),
        PLAN
    );
    let s = summary(&dir);
    let o = &s["meta"]["overrides"];
    assert_eq!(o["duration"], "2s");
    assert_eq!(o["users"], "5");
    assert_eq!(o["rate"], "4/s");
    // A --var value may be a secret: recorded by name only, like the
    // environment's values.
    assert_eq!(o["var"]["WHAT"], "${WHAT}");
    assert!(
        s["meta"]["vars"].get("WHAT").is_none(),
        "{}",
        s["meta"]["vars"]
    );
    assert_eq!(o["effective"]["users"]["browse"], 3);
    assert_eq!(o["effective"]["users"]["checkout"], 2);
    assert_eq!(o["effective"]["target_tpm"], 240.0);
    assert_eq!(s["meta"]["duration_s"], 2.0);
    // verify applies the recorded overrides: the same verdict and checks.
    let (vcode, vout, verr) = pace(d, &["verify", dir.to_str().unwrap()]);
    assert_eq!(vcode, code, "{vout}\n{verr}");
    assert_eq!(vout.lines().last(), out.lines().last(), "{vout}");
    let planned = |t: &str| {
        t.lines()
            .find(|l| l.contains("throughput"))
            .map(str::to_string)
    };
    assert_eq!(planned(&vout), planned(&out));
}

#[test]
fn bad_overrides_name_the_flag() {
    let (tmp, _) = setup();
    let d = tmp.path();
    for (args, want) in [
        (vec!["--users", "cart=2"], "--users: no group 'cart'"),
        (vec!["--users", "1"], "--users: 1 user(s)"),
        (vec!["--duration", "-1s"], "--duration"),
        (vec!["--var", "1X=2"], "--var"),
        (vec!["--var", "PACE_TARGET=http://x"], "--var PACE_TARGET"),
        (
            vec!["--users", "5", "--shard", "0/2", "--seed", "1"],
            "not with --shard",
        ),
    ] {
        let mut a = vec!["run", "plan.toml"];
        a.extend(args.iter());
        let (code, out, err) = pace(d, &a);
        assert_eq!(code, 2, "{a:?}: {out}{err}");
        assert!(
            err.starts_with("error: ") && err.contains(want),
            "{a:?}: {err}"
        );
        assert_eq!(err.trim().lines().count(), 1, "{err}");
    }
    // A plan without a target rate has nothing for --rate to scale.
    let plan = tmp.path().join("plan.toml");
    std::fs::write(&plan, PLAN.replace("tpm = 600", "")).unwrap();
    let (code, _, err) = pace(d, &["run", "plan.toml", "--rate", "2/s", "--check"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("--rate: the plan sets no target rate"),
        "{err}"
    );
}

#[test]
fn check_shows_the_overridden_plan() {
    let (tmp, _) = setup();
    let (code, out, err) = pace(
        tmp.path(),
        &["run", "plan.toml", "--check", "--users", "browse=2"],
    );
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("browse: 2 users"), "{out}");
    assert!(out.contains("plan OK: 2 group(s), 6 users"), "{out}");
}

/// Words a Rust Debug print would leave: enum variants and Options.
fn debug_words(text: &str) -> Vec<&'static str> {
    [
        "Fixed",
        "Drift",
        "CatchUp",
        "ArrivalRate",
        "AfterEnd",
        "Some(",
        "None",
        "Skip",
        "Uniform",
        "Exponential",
    ]
    .into_iter()
    .filter(|w| {
        text.match_indices(w).any(|(i, _)| {
            // A word, not a part of one ("Nonetheless" or a path).
            let before = text[..i].chars().last();
            let after = text[i + w.len()..].chars().next();
            !before.is_some_and(|c| c.is_alphanumeric())
                && !after.is_some_and(|c| c.is_alphanumeric())
        })
    })
    .collect()
}

#[test]
fn a_run_ends_with_its_folder_report_and_verdict_and_no_debug_names() {
    let (tmp, _) = setup();
    let d = tmp.path();
    let (code, out, err) = pace(d, &["run", "plan.toml", "--var", "WHAT=pay"]);
    assert_eq!(code, 0, "{out}\n{err}");
    let dir = only_results_dir(&d.join("results"));
    let lines: Vec<&str> = out.trim_end().lines().collect();
    let n = lines.len();
    assert_eq!(lines[n - 1], "PASS", "{out}");
    assert!(lines[n - 3].starts_with("results: ") && lines[n - 3].ends_with('/'));
    let report = lines[n - 2]
        .strip_prefix("report:  ")
        .expect("a report line");
    assert!(Path::new(report).is_absolute(), "{report}");
    assert!(Path::new(report).is_file(), "{report}");
    assert!(report.ends_with("report.html"));
    // The plan's own words, nowhere a Debug name.
    let summary = std::fs::read_to_string(dir.join("summary.json")).unwrap();
    let html = std::fs::read_to_string(dir.join("report.html")).unwrap();
    let html = scraper::Html::parse_document(&html);
    let text: String = html.root_element().text().collect::<Vec<_>>().join(" ");
    for (what, t) in [
        ("console", out.as_str()),
        ("stderr", err.as_str()),
        ("summary.json", summary.as_str()),
        ("report.html", text.as_str()),
    ] {
        assert!(debug_words(t).is_empty(), "{what}: {:?}", debug_words(t));
    }
    assert!(summary.contains("\"checkout: catch-up\""), "{summary}");
    // Paced starts: how late they woke, p50 / p99 / p99.9, on the console,
    // in summary.json and in report.html.
    let lag_row = out
        .lines()
        .find(|l| l.contains("scheduler lag p50 / p99 / p99.9"))
        .unwrap_or_else(|| panic!("a scheduler lag row: {out}"));
    assert!(lag_row.contains(" ms"), "{lag_row}");
    let lag = &serde_json::from_str::<serde_json::Value>(&summary).unwrap()["scheduler_lag"];
    let (p99, p999, max) = (
        lag["p99"].as_f64().unwrap(),
        lag["p999"].as_f64().unwrap(),
        lag["max"].as_f64().unwrap(),
    );
    assert!(p99 <= p999 && p999 <= max, "{lag}");
    assert!(text.contains("p99.9"), "report.html's scheduler lag row");
    // The progress line: one clock, no p95 before a response.
    let progress: Vec<&str> = err.lines().filter(|l| l.contains("users ")).collect();
    assert!(!progress.is_empty(), "{err}");
    for l in progress {
        assert_eq!(l.matches(" / ").count(), 1, "{l}");
        assert!(!l.contains("p95 0 ms"), "{l}");
    }
}

#[test]
fn back_to_back_starts_show_no_scheduler_lag_row() {
    let tmp = tempfile::tempdir().unwrap();
    let plan = PLAN
        .replace("duration = \"3s\"", "duration = \"1s\"")
        .replace("tpm = 600\n", "")
        .replace(
            "pacing = { mode = \"fixed\", interval = \"1s\", late = \"drift\" }",
            "pacing = { mode = \"none\" }",
        )
        .replace(
            "pacing = { mode = \"fixed\", interval = \"1s\", late = \"catch-up\" }",
            "pacing = { mode = \"none\" }",
        );
    std::fs::write(tmp.path().join("plan.toml"), plan).unwrap();
    let (code, out, err) = pace(tmp.path(), &["run", "plan.toml", "--var", "WHAT=x"]);
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(out.contains("late starts / dropped / missed"), "{out}");
    assert!(!out.contains("scheduler lag"), "{out}");
}

#[test]
fn a_target_that_never_answers_is_said_during_the_run() {
    // A port nothing listens on: bound, then released.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let tmp = tempfile::tempdir().unwrap();
    let plan = PLAN
        .replace("[target.embedded]\nlatency = \"5ms\"\n", "")
        .replace("${PACE_TARGET}", &format!("http://127.0.0.1:{port}"))
        .replace("duration = \"3s\"", "duration = \"4s\"");
    std::fs::write(tmp.path().join("plan.toml"), plan).unwrap();
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("pace"))
        .current_dir(tmp.path())
        .args(["run", "plan.toml", "--var", "WHAT=x"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let started = std::time::Instant::now();
    let mut warned_at = None;
    let mut rest = String::new();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    for l in lines.by_ref() {
        let l = l.unwrap();
        if l.contains("WARNING: the target does not answer") {
            warned_at = Some(started.elapsed());
            assert!(l.contains("failed to connect"), "{l}");
            break;
        }
    }
    for l in lines {
        rest.push_str(&l.unwrap());
    }
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(1));
    let at = warned_at.expect("a warning");
    // Said during the run (4 s + start-up), not at its end.
    assert!(at < std::time::Duration::from_secs(4), "{at:?}");
    assert!(!rest.contains("WARNING: the target"), "said once: {rest}");
}

#[test]
fn plan_output_refuses_an_existing_file_before_printing() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    std::fs::write(d.join("p.toml"), "mine").unwrap();
    let args = [
        "plan", "--tps", "5", "--rt", "0.1", "--users", "10", "-o", "p.toml",
    ];
    let (code, out, err) = pace(d, &args);
    assert_eq!(code, 2);
    assert!(out.is_empty(), "{out}");
    assert!(err.contains("exists; --force to overwrite"), "{err}");
    assert_eq!(std::fs::read_to_string(d.join("p.toml")).unwrap(), "mine");
    let mut forced = args.to_vec();
    forced.push("--force");
    let (code, out, err) = pace(d, &forced);
    assert_eq!(code, 0, "{err}");
    assert!(!out.is_empty());
    assert!(err.contains("overwrote p.toml"), "{err}");
}

#[test]
fn completions_and_version() {
    let tmp = tempfile::tempdir().unwrap();
    let (code, out, _) = pace(tmp.path(), &["completions", "bash"]);
    assert_eq!(code, 0);
    for word in ["pace", "run", "plan", "verify", "--duration"] {
        assert!(out.contains(word), "{word}");
    }
    let f = tmp.path().join("pace.bash");
    std::fs::write(&f, &out).unwrap();
    let ok = std::process::Command::new("bash")
        .arg("-n")
        .arg(&f)
        .status()
        .unwrap();
    assert!(ok.success());
    for sh in ["zsh", "fish", "powershell", "elvish"] {
        let (code, out, _) = pace(tmp.path(), &["completions", sh]);
        assert_eq!(code, 0, "{sh}");
        assert!(out.contains("pace"), "{sh}");
    }
    let (code, _, err) = pace(tmp.path(), &["completions", "tcsh"]);
    assert_eq!(code, 2, "{err}");
    let (code, out, _) = pace(tmp.path(), &["--version"]);
    assert_eq!(code, 0);
    let v = out.trim();
    assert!(v.starts_with("pace 0.1.0 (commit "), "{v}");
    assert!(v.contains(", built 20"), "{v}");
}

/// A target that fails exactly its first request (HTTP 500), answers
/// every other 200; keep-alive, one thread per connection.
fn fails_once() -> (String, std::sync::Arc<std::sync::atomic::AtomicBool>) {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", l.local_addr().unwrap());
    let stop = Arc::new(AtomicBool::new(false));
    let n = Arc::new(AtomicU64::new(0));
    let s = stop.clone();
    std::thread::spawn(move || {
        for c in l.incoming() {
            if s.load(Ordering::Relaxed) {
                break;
            }
            let Ok(mut c) = c else { continue };
            let n = n.clone();
            std::thread::spawn(move || {
                let mut buf = Vec::new();
                let mut chunk = [0u8; 4096];
                loop {
                    while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
                        match c.read(&mut chunk) {
                            Ok(0) | Err(_) => return,
                            Ok(k) => buf.extend_from_slice(&chunk[..k]),
                        }
                    }
                    let end = buf.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
                    buf.drain(..end);
                    let status = if n.fetch_add(1, Ordering::SeqCst) == 0 {
                        "500 Internal Server Error"
                    } else {
                        "200 OK"
                    };
                    let r = format!("HTTP/1.1 {status}\r\ncontent-length: 2\r\n\r\nok");
                    if c.write_all(r.as_bytes()).is_err() {
                        return;
                    }
                }
            });
        }
    });
    (url, stop)
}

#[test]
fn a_written_fixed_pacing_plan_passes_a_healthy_run_with_one_error() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    // 40 users on a 250 ms fixed pacing: 160 TPS, 480 in a 3 s window.
    let (code, _, err) = pace(
        d,
        &[
            "plan",
            "--tps",
            "160",
            "--rt",
            "10ms",
            "--users",
            "40",
            "--duration",
            "3s",
            "-o",
            "p.toml",
        ],
    );
    assert_eq!(code, 0, "{err}");
    let text = std::fs::read_to_string(d.join("p.toml")).unwrap();
    assert!(text.contains("mode = \"fixed\""), "{text}");
    assert!(text.contains("error_rate = \"1%\""), "{text}");
    assert!(text.contains("tolerance = \"1%\""), "{text}");
    let (url, stop) = fails_once();
    let mut doc: toml_edit::DocumentMut = text.parse().unwrap();
    doc["group"][0]["step"][0]["url"] = toml_edit::value(format!("{url}/"));
    doc["run"]["grace"] = toml_edit::value("2s");
    std::fs::write(d.join("p.toml"), doc.to_string()).unwrap();
    let (code, out, err) = pace(d, &["run", "p.toml"]);
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let dir = only_results_dir(&d.join("results"));
    let s = summary(&dir);
    assert_eq!(s["whole_run"]["errors"], 1, "{out}\n{err}");
    assert_eq!(code, 0, "{out}\n{err}");
    assert_eq!(out.lines().last(), Some("PASS"));
}

/// Runs `pace ARGS` with stdout's reader closed before it writes: no
/// panic, the command's normal exit.
fn closed_reader(cwd: &Path, args: &[&str]) -> (Option<i32>, String) {
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("pace"))
        .current_dir(cwd)
        .args(args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    (child.wait().unwrap().code(), err)
}

#[test]
fn a_reader_that_closes_early_stops_output_quietly() {
    let (tmp, _) = setup();
    let d = tmp.path();
    std::fs::write(
        d.join("points.csv"),
        "N,X\n1,10\n2,19\n4,35\n8,55\n16,70\n32,72\n",
    )
    .unwrap();
    let (code, _, err) = pace(
        d,
        &[
            "run",
            "plan.toml",
            "--var",
            "WHAT=x",
            "-q",
            "--db",
            "runs.db",
        ],
    );
    assert!(code == 0 || code == 1, "{err}");
    let run = only_results_dir(&d.join("results"));
    let run = run.to_str().unwrap();
    let cases: Vec<Vec<&str>> = vec![
        vec!["plan", "--tps", "50", "--rt", "0.5", "--users", "100"],
        vec![
            "plan", "--tps", "50", "--rt", "0.5", "--users", "100", "--json",
        ],
        vec!["run", "plan.toml", "--check"],
        vec!["verify", run],
        vec!["capacity", "points.csv"],
        vec![
            "model", "--users", "1..20", "--demand", "10ms", "--think", "1s",
        ],
        vec!["k8s", "plan.toml", "--shards", "2"],
        vec!["completions", "bash"],
        vec!["history", "--db", "runs.db"],
    ];
    for a in cases {
        let (code, err) = closed_reader(d, &a);
        assert!(!err.contains("panicked"), "{a:?}: {err}");
        assert!(!err.contains("Broken pipe"), "{a:?}: {err}");
        assert!(matches!(code, Some(0 | 1)), "{a:?}: {code:?} {err}");
    }
}

#[test]
fn a_var_value_is_kept_out_of_everything_the_run_records() {
    let (tmp, _) = setup();
    let d = tmp.path();
    let secret = "s3cret-token-4711";
    let (code, out, err) = pace(
        d,
        &[
            "run",
            "plan.toml",
            "--duration",
            "2s",
            "--var",
            &format!("WHAT={secret}"),
        ],
    );
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(
        !out.contains(secret) && !err.contains(secret),
        "{out}\n{err}"
    );
    let dir = only_results_dir(&d.join("results"));
    let s = summary(&dir);
    // The value was used: the checkout step's URL took it.
    assert_eq!(s["meta"]["overrides"]["var"]["WHAT"], "${WHAT}");
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let bytes = std::fs::read(&path).unwrap();
        assert!(
            !String::from_utf8_lossy(&bytes).contains(secret),
            "{} holds the --var value",
            path.display()
        );
    }
}

/// A steady state shorter than one pacing interval cannot be judged: the
/// check refuses it in one line naming the flag, the key and the numbers,
/// before anything is sent; a long enough one passes.
#[test]
fn a_steady_state_shorter_than_one_pacing_interval_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("plan.toml"), PLAN).unwrap();
    let (code, out, err) = pace(
        dir.path(),
        &["run", "plan.toml", "--check", "--duration", "500ms"],
    );
    assert_eq!(code, 2, "{out}\n{err}");
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), 1, "{err}");
    for want in [
        "--duration",
        "run.duration",
        "500 ms",
        "pacing interval 1 s",
        "'browse'",
    ] {
        assert!(lines[0].contains(want), "{want}: {err}");
    }
    assert!(!out.contains("plan OK"), "{out}");
    let (code, out, err) = pace(
        dir.path(),
        &["run", "plan.toml", "--check", "--duration", "1s"],
    );
    assert_eq!(code, 0, "{out}\n{err}");
}

#[test]
fn a_dead_proxy_is_named_as_the_proxy_not_the_target() {
    // A port nothing listens on: bound, then released.
    let dead = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let proxy = format!("http://127.0.0.1:{dead}");
    let (tmp, _) = setup();
    let d = tmp.path();
    let args = ["run", "plan.toml", "--duration", "2s", "--var", "WHAT=x"];
    let (code, out, err) = pace_env(d, &args, &[("http_proxy", &proxy)]);
    assert_eq!(code, 1, "{out}\n{err}");
    assert!(
        err.contains(&format!(
            "pace: requests to the embedded target go through the proxy 127.0.0.1:{dead}"
        )),
        "{err}"
    );
    let dir = only_results_dir(&d.join("results"));
    let s = summary(&dir);
    let rows = s["error_rows"].as_array().unwrap();
    assert!(!rows.is_empty(), "{out}");
    for r in rows {
        let m = r["message"].as_str().unwrap();
        assert!(
            m.starts_with(&format!(
                "connection refused by the proxy 127.0.0.1:{dead} (the proxy for 127.0.0.1:"
            )),
            "{m}"
        );
    }
    assert!(out.contains("connection refused by the proxy"), "{out}");

    // A proxy that takes the connection and closes it unanswered: that is
    // the proxy's doing too, not the target's.
    let closer = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let closing = format!("http://{}", closer.local_addr().unwrap());
    closer.set_nonblocking(true).unwrap();
    let until = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let stopped = stop.clone();
    let server = std::thread::spawn(move || {
        while !stopped.load(std::sync::atomic::Ordering::Relaxed)
            && std::time::Instant::now() < until
        {
            match closer.accept() {
                Ok((sock, _)) => drop(sock),
                Err(_) => std::thread::sleep(std::time::Duration::from_millis(2)),
            }
        }
    });
    std::fs::remove_dir_all(d.join("results")).unwrap();
    let (code, out, err) = pace_env(d, &args, &[("HTTP_PROXY", &closing)]);
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    server.join().unwrap();
    assert_eq!(code, 1, "{out}\n{err}");
    let s = summary(&only_results_dir(&d.join("results")));
    for r in s["error_rows"].as_array().unwrap() {
        let m = r["message"].as_str().unwrap();
        assert!(m.contains("the proxy 127.0.0.1:"), "{m}");
        assert!(m.contains("(the proxy for 127.0.0.1:"), "{m}");
    }

    // Said before any traffic: at --check, and on stderr as a run starts.
    let check = ["run", "plan.toml", "--check", "--var", "WHAT=x"];
    let (code, out, err) = pace_env(d, &check, &[("http_proxy", &proxy)]);
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(
        out.contains(&format!(
            "proxy: requests to the embedded target go through the proxy 127.0.0.1:{dead}"
        )),
        "{out}"
    );
    // A target beside the embedded one is named by its address, even one
    // whose address begins as the embedded target's stand-in does.
    std::fs::write(
        d.join("two.toml"),
        PLAN.replace("${PACE_TARGET}/${WHAT:-pay}", "http://127.0.0.1:18081/pay"),
    )
    .unwrap();
    let (code, out, err) = pace_env(
        d,
        &["run", "two.toml", "--check"],
        &[("http_proxy", &proxy)],
    );
    assert_eq!(code, 0, "{out}\n{err}");
    let lines: Vec<&str> = out.lines().filter(|l| l.starts_with("proxy: ")).collect();
    assert_eq!(lines.len(), 2, "{out}");
    assert!(
        lines[0].starts_with("proxy: requests to the embedded target go through"),
        "{out}"
    );
    assert!(
        lines[1].starts_with("proxy: requests to 127.0.0.1:18081 go through"),
        "{out}"
    );

    // A SOCKS proxy pace cannot speak to: refused before any traffic,
    // naming the first step it would fail.
    let (code, out, err) = pace_env(d, &check, &[("ALL_PROXY", "socks5://127.0.0.1:1")]);
    assert_eq!(code, 2, "{out}\n{err}");
    assert!(
        err.starts_with("error: plan.toml:")
            && err.contains(
                "group[0].step[0].url: its requests would go through the socks5 proxy 127.0.0.1:1"
            ),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");

    // NO_PROXY exempts the target: the same run goes direct and passes.
    std::fs::remove_dir_all(d.join("results")).unwrap();
    let (code, out, err) = pace_env(
        d,
        &args,
        &[("http_proxy", &proxy), ("NO_PROXY", "127.0.0.1")],
    );
    assert_eq!(code, 0, "{out}\n{err}");
}

#[test]
fn names_with_line_breaks_and_escapes_show_on_one_line() {
    let tmp = tempfile::tempdir().unwrap();
    // A step name with a line break, an ANSI colour and a right-to-left
    // override; a group name with a tab.
    let plan = PLAN
        .replace("name = \"pay\"", "name = \"pay\\nnow\\u001b[31m\\u202e\"")
        .replace("name = \"browse\"", "name = \"bro\\twse\"");
    std::fs::write(tmp.path().join("plan.toml"), plan).unwrap();
    let (code, out, err) = pace(
        tmp.path(),
        &["run", "plan.toml", "--duration", "2s", "--var", "WHAT=x"],
    );
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(out.contains("pay\\nnow\\x1b[31m\\u{202e}"), "{out}");
    assert!(
        !out.contains(['\u{1b}', '\u{202e}', '\t']),
        "a terminal would obey: {out:?}"
    );
    // Every line of a table is a whole row: the name did not split one.
    for l in out.lines().filter(|l| l.starts_with('│')) {
        assert!(l.ends_with('│'), "split row: {l:?}");
    }
    let (code, out, _) = pace(tmp.path(), &["run", "plan.toml", "--check"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("bro\\twse"), "{out}");
    // The record keeps the names as written.
    let dir = only_results_dir(&tmp.path().join("results"));
    let csv = std::fs::read_to_string(dir.join("samples.csv")).unwrap();
    assert!(csv.contains("pay\nnow\u{1b}[31m\u{202e}"), "{csv}");
    // The report shows the override escaped: it reordered the text beside
    // the name as a browser laid it out.
    let html = std::fs::read_to_string(dir.join("report.html")).unwrap();
    assert!(!html.contains('\u{202e}'), "raw override in report.html");
    assert!(
        html.contains("now\\x1b[31m\\u{202e}"),
        "escaped in report.html"
    );
}

/// What a user typed reaches stderr escaped, never raw to the terminal:
/// a subcommand clap does not know, and a plan path that is not there.
#[test]
fn typed_escapes_are_quoted_escaped_on_stderr() {
    let tmp = tempfile::tempdir().unwrap();
    let (code, _, err) = pace(tmp.path(), &["ru\u{1b}[31mn"]);
    assert_eq!(code, 2);
    assert!(err.contains("(as typed: 'ru\\x1b[31mn')"), "{err}");
    let (code, _, err) = pace(tmp.path(), &["run", "pl\u{1b}[2J\nan.toml"]);
    assert_eq!(code, 2);
    assert!(err.contains("pl\\x1b[2J\\nan.toml"), "{err}");
    assert!(!err.contains('\u{1b}'), "{err:?}");
    assert_eq!(err.lines().count(), 1, "{err:?}");
}
