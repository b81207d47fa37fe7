//! The verdict tells the truth and nothing recorded is lost: each case of
//! tests/fixtures/cases (inputs on which pace was once wrong) run as a user
//! runs it, with the right answer asserted. Servers are started by the
//! tests on 127.0.0.1; every run is bounded to seconds.

mod common;

use common::{Server, case, edit, only_results_dir, pace};
use serde_json::Value;
use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

fn summary(results: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(results.join("summary.json")).unwrap()).unwrap()
}

/// A server on 127.0.0.1 that answers every request at once with "hello",
/// except every `nth`, which it first holds for `stall` (wrk #326's shape;
/// `nth = 1` and a long stall never answer in a test's time). Its threads
/// end with the test process.
struct Stalling {
    addr: SocketAddr,
    requests: Arc<AtomicU64>,
}

impl Stalling {
    fn start(nth: u64, stall: Duration) -> Stalling {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let requests = Arc::new(AtomicU64::new(0));
        let count = requests.clone();
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                let Ok(mut conn) = conn else { return };
                let count = count.clone();
                std::thread::spawn(move || {
                    let mut r = BufReader::new(conn.try_clone().unwrap());
                    loop {
                        // A request head, up to its empty line.
                        let mut line = String::new();
                        loop {
                            line.clear();
                            match r.read_line(&mut line) {
                                Ok(0) | Err(_) => return,
                                Ok(_) if line == "\r\n" => break,
                                Ok(_) => {}
                            }
                        }
                        let k = count.fetch_add(1, Ordering::SeqCst) + 1;
                        if k.is_multiple_of(nth) {
                            std::thread::sleep(stall);
                        }
                        if conn
                            .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello")
                            .is_err()
                        {
                            return;
                        }
                    }
                });
            }
        });
        Stalling { addr, requests }
    }

    fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

/// A one-group, one-step plan against `url` in a new temporary folder:
/// `head` goes before `[run]` (a `[target]`), `run` inside it, `users` and
/// `pacing` (an inline table) make the group.
fn one_step_plan(url: &str, head: &str, run: &str, users: u32, pacing: &str) -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(
        tmp.path().join("plan.toml"),
        format!(
            "{head}\n[run]\n{run}\n\n[[group]]\nname = \"g\"\nusers = {users}\npacing = {pacing}\n\n\
             [[group.step]]\nname = \"home\"\nurl = \"{url}/\"\n"
        ),
    )
    .unwrap();
    tmp
}

fn run_plan(dir: &Path, plan: &str, extra: &[&str]) -> (i32, String, String, PathBuf) {
    let mut args = vec!["run", plan, "--results-dir", "out"];
    args.extend_from_slice(extra);
    let (code, out, err) = pace(dir, &args);
    let results = only_results_dir(&dir.join("out"));
    (code, out, err, results)
}

/// `py2-script-pass`: most published Multi-Mechanize scripts are Python 2.
/// One that does not compile is a plan error before any traffic, with the
/// file and line of the SyntaxError, from `--check` and `run` alike.
#[test]
fn a_python_2_script_is_refused_before_any_traffic() {
    let (_tmp, dir) = case("py2-script-pass");
    for extra in [&["--check"][..], &["--quiet", "--results-dir", "out"]] {
        let mut args = vec!["run", "."];
        args.extend_from_slice(extra);
        let (code, out, err) = pace(&dir, &args);
        assert_eq!(code, 2, "{out}{err}");
        assert!(
            err.contains("group[0].script: ") && err.contains("v_user.py:18: SyntaxError"),
            "{err}"
        );
        let last = err.lines().last().unwrap_or("");
        assert!(
            last.starts_with("error: ") && last.contains("SyntaxError"),
            "{err}"
        );
    }
    assert!(!dir.join("out").exists(), "nothing ran");
}

/// The same script loads but cannot work (a Python 2 module, as the next
/// line of such scripts imports): every worker fails to start, every user
/// retires, nothing succeeds. That is never a PASS, and the reason names
/// the script's error.
#[test]
fn a_run_where_nothing_worked_never_passes() {
    let (_tmp, dir) = case("py2-script-pass");
    edit(
        &dir.join("test_scripts/v_user.py"),
        "    print trans.custom_timers",
        "    print(trans.custom_timers)",
    );
    edit(
        &dir.join("test_scripts/v_user.py"),
        "import time\n",
        "import time\nimport urllib2\n",
    );
    let (code, out, err) = pace(&dir, &["run", ".", "--quiet", "--results-dir", "out"]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(!out.contains("\nPASS"), "{out}");
    assert!(out.contains("FAIL: no real work"), "{out}");
    assert!(out.contains("urllib2"), "{out}");
    assert!(out.contains("every user retired"), "{out}");
    let s = summary(&only_results_dir(&dir.join("out")));
    assert_eq!(s["verdict"]["state"], "fail");
    assert_eq!(s["verdict"]["pass"], false);
    let checks = s["verdict"]["checks"].as_array().unwrap();
    let failed: Vec<&str> = checks
        .iter()
        .filter(|c| c["pass"] == false)
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(failed, ["transactions succeeded", "users working"]);
}

/// A plan that promises nothing is not judged, and says so: NO CHECKS,
/// exit 4, in the console, summary.json and junit.xml (a skipped case).
#[test]
fn a_plan_without_checks_says_nothing_was_judged() {
    let server = Server::new("1ms", 0.0);
    let tmp = one_step_plan(
        &server.url(),
        "",
        "duration = \"1s\"\nts_interval = \"1s\"",
        2,
        "{ mode = \"none\" }",
    );
    let (code, out, _) = pace(tmp.path(), &["run", "plan.toml", "--check"]);
    assert_eq!(code, 0);
    assert!(out.contains("NO CHECKS (exit 4)"), "{out}");
    let (code, out, err, res) = run_plan(tmp.path(), "plan.toml", &["--quiet"]);
    assert_eq!(code, 4, "{out}{err}");
    assert!(
        out.contains("NO CHECKS: the plan sets no target rate and no threshold"),
        "{out}"
    );
    assert!(!out.contains("\nPASS"), "{out}");
    let s = summary(&res);
    assert_eq!(s["verdict"]["state"], "no_checks");
    assert_eq!(s["verdict"]["pass"], false);
    let junit = std::fs::read_to_string(res.join("junit.xml")).unwrap();
    assert!(junit.contains("<skipped message=\"NO CHECKS"), "{junit}");
    assert!(junit.contains("skipped=\"1\""), "{junit}");
}

/// ...and it still fails when no real work happened.
#[test]
fn a_plan_without_checks_still_fails_when_nothing_succeeds() {
    let server = Server::new("1ms", 1.0);
    let tmp = one_step_plan(
        &server.url(),
        "",
        "duration = \"1s\"",
        1,
        "{ mode = \"fixed\", interval = \"200ms\" }",
    );
    let (code, out, err, _) = run_plan(tmp.path(), "plan.toml", &["--quiet"]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(out.contains("none of its"), "{out}");
    assert!(out.contains("HTTP 500"), "{out}");
}

/// `after-end-target-ignored`: think time after each end, a rate promised
/// through the assumed response time. A run at the assumed 100 ms passes;
/// one at 200 ms makes 17 TPS, not 20, and fails naming the slow iterations.
#[test]
fn an_after_end_target_is_judged() {
    let (_tmp, dir) = case("after-end-target-ignored");
    let (code, out, _) = pace(&dir, &["run", "plan-slow.toml", "--check"]);
    assert_eq!(code, 0);
    assert!(out.contains("1200 TPM"), "{out}");
    assert!(out.contains("approximate"), "{out}");

    let (code, out, err, res) = run_plan(&dir, "plan.toml", &["--seed", "1", "--quiet"]);
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(summary(&res)["verdict"]["state"], "pass");

    std::fs::remove_dir_all(dir.join("out")).unwrap();
    let (code, out, err, res) = run_plan(&dir, "plan-slow.toml", &["--seed", "1", "--quiet"]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(out.contains("vs 1200 planned"), "{out}");
    assert!(
        out.contains("iterations took 2") && out.contains("not the 100 ms the plan assumes"),
        "{out}"
    );
    let s = summary(&res);
    assert_eq!(s["expected"]["approximate"], true);
    let causes = s["verdict"]["causes"].as_array().unwrap();
    assert_eq!(causes[0]["cause"], "slow_iterations", "{causes:?}");
    assert!(causes[0]["share"].as_f64().unwrap() > 0.8, "{causes:?}");
    // 10 users cycling every ~600 ms for 10 s: about 170, far below 200.
    let n = s["achieved"]["transactions"].as_u64().unwrap();
    assert!((160..=180).contains(&n), "{n}");
}

/// A closed loop without an assumed response time promises a rate pace
/// cannot judge: refused before any traffic, naming what is missing.
#[test]
fn an_after_end_target_without_a_response_time_is_refused() {
    let (_tmp, dir) = case("after-end-target-ignored");
    edit(&dir.join("plan.toml"), "response_time = \"100ms\"\n", "");
    let (code, _, err) = pace(&dir, &["run", "plan.toml", "--check"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("target.response_time"), "{err}");
    assert!(err.contains("cannot be judged"), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
}

/// `mixed-groups-tpi`: each group counts its own transactions per
/// iteration. The true 5 TPS is accepted and a flawless run passes with
/// exactly its 30 transactions; the 6 TPS the old count wanted is refused.
#[test]
fn mixed_groups_count_their_own_transactions_per_iteration() {
    let (_tmp, dir) = case("mixed-groups-tpi");
    let (code, out, err) = pace(&dir, &["run", "plan.toml", "--check"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("expected: 300 TPM"), "{out}");
    assert!(
        err.contains("group 'script' makes 1 transaction(s) per iteration"),
        "{err}"
    );
    let (code, _, err) = pace(&dir, &["run", "plan-tps6.toml", "--check"]);
    assert_eq!(code, 2);
    assert!(err.contains("the groups produce 5 TPS"), "{err}");

    let (code, out, err, res) = run_plan(&dir, "plan.toml", &["--seed", "1", "--quiet"]);
    assert_eq!(code, 0, "{out}{err}");
    let s = summary(&res);
    assert_eq!(s["achieved"]["transactions"], 30);
    assert_eq!(s["expected"]["transactions"], 30.0);
    let groups = s["expected"]["groups"].as_array().unwrap();
    assert_eq!(groups[0]["transactions"], 24.0);
    assert_eq!(groups[0]["transactions_per_iteration"], 2);
    assert_eq!(groups[1]["transactions"], 6.0);
}

/// `co-drift-view`: 1 user, 100 ms pacing, every 10th answer stalls 1 s.
/// Measured from the send, the median is a millisecond; from the absolute
/// schedule, under `drift` as under `catch-up`, it carries the backlog.
/// The advice never says one user suffices.
#[test]
fn the_corrected_view_keeps_the_backlog_under_every_late_policy() {
    let server = Stalling::start(10, Duration::from_secs(1));
    let (_tmp, dir) = case("co-drift-view");
    for plan in ["plan-drift.toml", "plan-catch-up.toml"] {
        let path = dir.join(plan);
        edit(&path, "${BASE_URL:-http://127.0.0.1:18326}", &server.url());
        edit(&path, "duration = \"10s\"", "duration = \"4s\"");
        let _ = std::fs::remove_dir_all(dir.join("out"));
        let (code, out, err, res) = run_plan(&dir, plan, &["--seed", "1", "--quiet"]);
        assert_eq!(code, 1, "{plan}: {out}{err}");
        let s = summary(&res);
        let measured = s["timers"]["get"]["p50"].as_f64().unwrap();
        let corrected = s["timers_scheduled"]["get"]["p50"].as_f64().unwrap();
        assert!(measured < 0.1, "{plan}: measured p50 {measured}");
        assert!(corrected > 0.5, "{plan}: corrected p50 {corrected}");
        assert!(out.contains("from schedule p50"), "{out}");
        // The advice, not the audit: the law line rightly measures N as
        // 1 user busy all the time.
        let advice: String = out.lines().filter(|l| !l.starts_with("law ")).collect();
        assert!(!advice.contains(" 1 users"), "{out}");
        assert!(!advice.contains("at least 1 user"), "{out}");
        let causes = s["verdict"]["causes"].as_array().unwrap();
        assert_eq!(causes[0]["cause"], "behind_schedule", "{plan}: {causes:?}");
        // Stalls of 1 s at a 100 ms pacing: ten users at a 1.1 s pacing
        // would keep the same rate and start on time.
        assert!(out.contains("11 users with a pacing of 1.1 s"), "{out}");
        if plan == "plan-drift.toml" {
            assert!(s["missed"].as_u64().unwrap() > 0, "{plan}");
        }
    }
    assert!(server.requests.load(Ordering::SeqCst) > 10);
}

/// `cutoff-not-counted`: every request hangs. The ones in flight when the
/// grace runs out are recorded as errors of their own kind and named in the
/// reason, as are the starts they blocked.
#[test]
fn requests_cut_off_at_the_end_are_counted() {
    let server = Stalling::start(1, Duration::from_secs(3600));
    let (_tmp, dir) = case("cutoff-not-counted");
    let plan = dir.join("plan.toml");
    edit(
        &plan,
        "http://127.0.0.1:18700/",
        &format!("{}/", server.url()),
    );
    edit(&plan, "duration = \"5s\"", "duration = \"2s\"");
    edit(&plan, "grace = \"2s\"", "grace = \"1s\"");
    let t0 = Instant::now();
    let (code, out, err, res) = run_plan(&dir, "plan.toml", &["--seed", "1", "--quiet"]);
    assert!(t0.elapsed() < Duration::from_secs(20));
    assert_eq!(code, 1, "{out}{err}");
    let s = summary(&res);
    assert_eq!(s["errors"]["cutoff"]["count"], 4, "{}", s["errors"]);
    assert!(
        out.contains("4 transactions cut off when the run ended"),
        "{out}"
    );
    assert!(
        out.contains("never ended, so their users made no further start"),
        "{out}"
    );
    assert!(out.contains("error rate 100% (4 of 4"), "{out}");
    let samples = std::fs::read_to_string(res.join("samples.csv")).unwrap();
    assert_eq!(
        samples.matches(",cutoff,").count(),
        8,
        "4 steps and 4 iterations"
    );
}

/// ...and the same on a second Ctrl-C: stopped at once, exit 3, what was
/// in flight recorded.
#[test]
fn a_second_ctrl_c_records_what_it_cuts_off() {
    let server = Stalling::start(1, Duration::from_secs(3600));
    let (_tmp, dir) = case("cutoff-not-counted");
    let plan = dir.join("plan.toml");
    edit(
        &plan,
        "http://127.0.0.1:18700/",
        &format!("{}/", server.url()),
    );
    edit(&plan, "grace = \"2s\"", "grace = \"30s\"");
    let mut child = Command::new(env!("CARGO_BIN_EXE_pace"))
        .current_dir(&dir)
        .args(["run", "plan.toml", "--results-dir", "out", "--quiet"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let t0 = Instant::now();
    while server.requests.load(Ordering::SeqCst) < 4 {
        assert!(t0.elapsed() < Duration::from_secs(20), "no request arrived");
        std::thread::sleep(Duration::from_millis(20));
    }
    for _ in 0..2 {
        sigint(child.id());
        std::thread::sleep(Duration::from_millis(300));
    }
    let status = wait_for(&mut child, Duration::from_secs(20));
    assert_eq!(status, Some(3));
    let s = summary(&only_results_dir(&dir.join("out")));
    assert_eq!(s["errors"]["cutoff"]["count"], 4, "{}", s["errors"]);
    assert_eq!(s["verdict"]["state"], "incomplete");
}

/// Ctrl-C, as the terminal sends it.
fn sigint(pid: u32) {
    // SAFETY: kill(2) on the test's own child; no memory is involved.
    let r = unsafe { libc::kill(pid as i32, libc::SIGINT) };
    assert_eq!(r, 0);
}

/// The child's exit code once it exits, within `limit` (killed otherwise).
fn wait_for(child: &mut std::process::Child, limit: Duration) -> Option<i32> {
    let t0 = Instant::now();
    loop {
        if let Some(s) = child.try_wait().unwrap() {
            return s.code();
        }
        if t0.elapsed() > limit {
            let _ = child.kill();
            panic!("still running after {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// `killed-run-partial-line`: SIGKILL mid-write leaves a torn last line.
/// `pace report` leaves it out, says so, rebuilds the folder, and marks it
/// partial (exit 3, as `pace run` would have said).
#[test]
fn a_torn_last_line_is_left_out_and_the_folder_rebuilt() {
    let (_tmp, dir) = case("killed-run-partial-line");
    let res = dir.join("res");
    let (code, out, err) = pace(&dir, &["report", "res"]);
    assert_eq!(code, 3, "{out}{err}");
    assert!(err.contains("its last line is incomplete"), "{err}");
    assert!(err.contains("left out"), "{err}");
    for f in ["summary.json", "report.html", "results.jtl", "junit.xml"] {
        assert!(res.join(f).exists(), "{f}");
    }
    let s = summary(&res);
    assert_eq!(s["partial"], true);
    assert!(
        s["meta"]["partial_reason"]
            .as_str()
            .unwrap()
            .contains("incomplete line"),
        "{}",
        s["meta"]
    );
    assert_eq!(s["verdict"]["state"], "incomplete");
    // A bad row that is not the last is an error naming file and line.
    let samples = res.join("samples.csv");
    let text = std::fs::read_to_string(&samples).unwrap();
    let mut lines: Vec<&str> = text.lines().collect();
    lines[2] = "step,not a number";
    std::fs::write(&samples, lines.join("\n") + "\n").unwrap();
    let (code, _, err) = pace(&dir, &["report", "res"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("samples.csv: line 3"), "{err}");
}

/// `killed-run-verdict-pass`: a run killed during ramp-up. Re-judged, it is
/// INCOMPLETE (exit 3), never PASS, and says the window was empty.
#[test]
fn a_killed_run_is_never_a_pass() {
    let (_tmp, dir) = case("killed-run-verdict-pass");
    for cmd in ["verify", "report"] {
        let (code, out, err) = pace(&dir, &[cmd, "res"]);
        assert_eq!(code, 3, "{cmd}: {out}{err}");
        assert!(!out.contains("\nPASS"), "{cmd}: {out}");
        assert!(out.contains("INCOMPLETE"), "{cmd}: {out}");
        assert!(
            out.contains("the steady-state window is empty"),
            "{cmd}: {out}"
        );
    }
}

/// `disk-full-keeps-sending`: samples.csv cannot be written (here: a file
/// size limit, as a full disk). The load stops at once, the file is named,
/// the exit code is 3, and the folder can be rebuilt afterwards.
#[test]
#[cfg(unix)]
fn a_write_failure_stops_the_load_at_once() {
    let (_tmp, dir) = case("disk-full-keeps-sending");
    std::fs::create_dir(dir.join("out")).unwrap();
    let t0 = Instant::now();
    // SIGXFSZ ignored: a write past the limit fails with EFBIG instead of
    // killing the process, as a full disk fails with ENOSPC.
    let out = Command::new("sh")
        .current_dir(&dir)
        .arg("-c")
        .arg(format!(
            "trap '' XFSZ; ulimit -f 256; exec '{}' run plan.toml --results-dir out --quiet",
            env!("CARGO_BIN_EXE_pace")
        ))
        .output()
        .unwrap();
    let took = t0.elapsed();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{err}");
    assert!(err.contains("samples.csv"), "{err}");
    assert!(err.contains("the load was stopped at once"), "{err}");
    // The plan runs 15 s; the limit is reached in about 2.
    assert!(took < Duration::from_secs(12), "took {took:?}");
    let res = only_results_dir(&dir.join("out"));
    let (code, _, err) = pace(&dir, &["report", res.to_str().unwrap(), "--quiet"]);
    assert_eq!(code, 3, "{err}");
    let s = summary(&res);
    assert_eq!(s["verdict"]["state"], "incomplete");
    assert!(s["meta"]["run_time_s"].as_f64().unwrap() < 12.0);
}

/// `post-run-hang`: a hook that never ends is stopped at its timeout; the
/// run's own exit code stands, and nothing of the hook is left running.
#[test]
fn a_hanging_post_run_hook_is_stopped_at_its_timeout() {
    let (_tmp, dir) = case("post-run-hang");
    let plan = dir.join("plan.toml");
    let marker = format!("sleep 1000.{}", std::process::id());
    edit(
        &plan,
        "post_run = \"sleep 1000\"",
        &format!("post_run = \"{marker}\"\npost_run_timeout = \"1s\""),
    );
    let t0 = Instant::now();
    let (code, out, err) = pace(
        &dir,
        &["run", "plan.toml", "--results-dir", "out", "--quiet"],
    );
    assert!(t0.elapsed() < Duration::from_secs(20));
    assert_eq!(code, 0, "{out}{err}");
    assert!(err.contains("still running after its 1 s timeout"), "{err}");
    assert!(!running(&marker), "the hook survived");
}

/// ...and Ctrl-C while it runs stops it and exits 3.
#[test]
fn ctrl_c_during_post_run_exits_3() {
    let (_tmp, dir) = case("post-run-hang");
    let marker = format!("sleep 1001.{}", std::process::id());
    edit(&dir.join("plan.toml"), "sleep 1000", &marker);
    let mut child = Command::new(env!("CARGO_BIN_EXE_pace"))
        .current_dir(&dir)
        .args(["run", "plan.toml", "--results-dir", "out", "--quiet"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let t0 = Instant::now();
    while !running(&marker) {
        assert!(
            t0.elapsed() < Duration::from_secs(20),
            "the hook never started"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    sigint(child.id());
    assert_eq!(wait_for(&mut child, Duration::from_secs(10)), Some(3));
    let t0 = Instant::now();
    while running(&marker) {
        assert!(t0.elapsed() < Duration::from_secs(5), "the hook survived");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Whether a process whose command line holds `marker` runs (Linux /proc).
fn running(marker: &str) -> bool {
    std::fs::read_dir("/proc").unwrap().flatten().any(|e| {
        std::fs::read(e.path().join("cmdline"))
            .map(|c| {
                String::from_utf8_lossy(&c)
                    .replace('\0', " ")
                    .contains(marker)
            })
            .unwrap_or(false)
    })
}

/// `concurrent-report-tmp-collision`: six `pace report` of one folder at
/// once never clash over a temporary file: all give the same answer.
#[test]
fn concurrent_reports_never_clash() {
    let (_tmp, dir) = case("concurrent-report-tmp-collision");
    let children: Vec<_> = (0..6)
        .map(|_| {
            Command::new(env!("CARGO_BIN_EXE_pace"))
                .current_dir(&dir)
                .args(["report", "res", "--quiet"])
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let mut wrote = 0;
    for c in children {
        let out = c.wait_with_output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        // The folder is a killed run's: INCOMPLETE, exit 3, for a report
        // that claimed it; one that found it claimed by another is
        // refused, exit 2 (issue 23: one writer per folder).
        match out.status.code() {
            Some(3) => wrote += 1,
            Some(2) => assert!(
                err.contains("another pace command is writing this folder"),
                "{err}"
            ),
            other => panic!("exit {other:?}: {err}"),
        }
        assert!(!err.contains("could not write"), "{err}");
    }
    assert!(wrote >= 1);
    let left: Vec<_> = std::fs::read_dir(dir.join("res"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .filter(|n| n.ends_with(".tmp"))
        .collect();
    assert!(left.is_empty(), "{left:?}");
}

/// A report that cannot be written makes the exit code 3, naming it.
#[test]
fn a_report_that_cannot_be_written_is_an_error() {
    let server = Server::new("1ms", 0.0);
    let tmp = one_step_plan(
        &server.url(),
        "",
        "duration = \"1s\"",
        1,
        "{ mode = \"fixed\", interval = \"200ms\" }",
    );
    let (code, _, err, res) = run_plan(tmp.path(), "plan.toml", &["--quiet"]);
    assert_eq!(code, 0, "{err}");
    // report.html is now a folder with something in it: it cannot be
    // replaced by a file.
    std::fs::remove_file(res.join("report.html")).unwrap();
    std::fs::create_dir_all(res.join("report.html/x")).unwrap();
    let (code, _, err) = pace(tmp.path(), &["report", res.to_str().unwrap(), "--quiet"]);
    assert_eq!(code, 3, "{err}");
    assert!(err.contains("could not write a report"), "{err}");
    assert!(err.contains("report.html"), "{err}");
}

/// A results database that cannot store the run makes the exit code 3.
#[test]
fn a_run_the_database_cannot_store_is_an_error() {
    let server = Server::new("1ms", 0.0);
    let tmp = one_step_plan(
        &server.url(),
        "",
        "duration = \"1s\"",
        1,
        "{ mode = \"fixed\", interval = \"200ms\" }",
    );
    // A folder where the database file should be.
    std::fs::create_dir(tmp.path().join("r.db")).unwrap();
    let (code, _, err, _) = run_plan(tmp.path(), "plan.toml", &["--quiet", "--db", "r.db"]);
    assert_eq!(code, 3, "{err}");
    assert!(
        err.contains("results_database: the run was not stored"),
        "{err}"
    );
}

/// Thresholds compare the recorded values with `<=`: a p95 (and a max)
/// exactly at the threshold passes; a hair above fails. (HDR keeps 190 ms
/// in a bucket whose upper edge is 190.08 ms: judged on that edge, it
/// failed.)
#[test]
fn a_percentile_exactly_at_its_threshold_passes() {
    use pace::results::sample::{Kind, Sample, SampleWriter};
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("res");
    std::fs::create_dir(&dir).unwrap();
    let plan = "[run]\nduration = \"10s\"\n\n[[group]]\nname = \"g\"\nusers = 1\n\
                pacing = { mode = \"fixed\", interval = \"1s\" }\n\n\
                [[group.step]]\nname = \"s\"\nurl = \"http://127.0.0.1:9/\"\n\n\
                [acceptance]\np95 = \"190ms\"\nmax = \"190ms\"\n";
    std::fs::write(dir.join("plan.toml"), plan).unwrap();
    // Ten transactions of 190 ms, the last one `slowest`; judged as any
    // folder is (no summary.json: a killed run, INCOMPLETE, but every check
    // is still judged and recorded).
    let judge = |slowest: f64| -> Vec<(String, bool, String)> {
        let f = std::fs::File::create(dir.join("samples.csv")).unwrap();
        let mut w = SampleWriter::new(f);
        w.write(&Sample::event(Kind::UserStart, 0.0, "g", 0))
            .unwrap();
        for i in 0..10 {
            let t = i as f64 + 0.5;
            let mut it = Sample::event(Kind::Iteration, t, "g", 0);
            it.iteration = i;
            it.latency = 0.19;
            w.write(&it).unwrap();
            let mut s = Sample::event(Kind::Step, t, "g", 0);
            s.name = "s".into();
            s.iteration = i;
            s.latency = if i == 9 { slowest } else { 0.19 };
            s.latency_sched = s.latency;
            s.status = 200;
            w.write(&s).unwrap();
        }
        w.write(&Sample::event(Kind::UserStop, 10.0, "g", 0))
            .unwrap();
        w.flush().unwrap();
        drop(w);
        let _ = std::fs::remove_file(dir.join("summary.json"));
        let (code, out, err) = pace(tmp.path(), &["report", "res", "--quiet"]);
        assert_eq!(code, 3, "{out}{err}");
        summary(&dir)["verdict"]["checks"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| c["name"].as_str().unwrap().ends_with("response time"))
            .map(|c| {
                (
                    c["name"].as_str().unwrap().to_string(),
                    c["pass"].as_bool().unwrap(),
                    c["achieved"].as_str().unwrap().to_string(),
                )
            })
            .collect()
    };
    let at = judge(0.19);
    assert_eq!(
        at,
        [
            (
                "p95 response time".to_string(),
                true,
                "190 ms (100% of 10 within 190 ms)".to_string()
            ),
            (
                "max response time".to_string(),
                true,
                "190 ms (100% of 10 within 190 ms)".to_string()
            )
        ]
    );
    // A microsecond above: the 10th of 10 is both the p95 (nearest rank)
    // and the max.
    let above = judge(0.190001);
    assert!(above.iter().all(|c| !c.1), "{above:?}");
}

/// When failures alone make the difference, the reason says so in those
/// words: the target answered, the generator started every transaction.
#[test]
fn failures_alone_are_named_as_the_difference() {
    let server = Server::new("1ms", 0.2);
    let tmp = one_step_plan(
        &server.url(),
        "[target]\ntps = 40.0",
        "duration = \"3s\"",
        4,
        "{ mode = \"fixed\", interval = \"100ms\" }",
    );
    let (code, out, err, res) = run_plan(tmp.path(), "plan.toml", &["--quiet", "--seed", "3"]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(
        out.contains("started, inside the band; failures made the difference"),
        "{out}"
    );
    let s = summary(&res);
    let causes = s["verdict"]["causes"].as_array().unwrap();
    assert_eq!(causes[0]["cause"], "failed", "{causes:?}");
    // Scopes never mix: the window's successes and failures add up to what
    // it started; the whole run's totals are apart.
    let a = &s["achieved"];
    assert_eq!(
        a["transactions"].as_u64().unwrap() + a["errors"].as_u64().unwrap(),
        a["started"].as_u64().unwrap()
    );
    assert_eq!(a["scope"], "window");
    let w = &s["whole_run"];
    assert_eq!(
        w["transactions"].as_u64().unwrap() + w["errors"].as_u64().unwrap(),
        a["all_transactions"].as_u64().unwrap()
    );
}

/// Pyak47's own shape (ramp-up as long as the run) has no steady-state
/// window: the rate is the whole run's, said so, never "0 TPM achieved".
#[test]
fn an_empty_window_reports_the_whole_runs_rate() {
    let server = Server::new("1ms", 0.0);
    let tmp = one_step_plan(
        &server.url(),
        "",
        "duration = \"2s\"\nramp_up = \"2s\"",
        2,
        "{ mode = \"none\" }",
    );
    let (code, out, err, res) = run_plan(tmp.path(), "plan.toml", &["--quiet"]);
    assert_eq!(code, 4, "{out}{err}");
    assert!(out.contains("no steady-state window"), "{out}");
    let s = summary(&res);
    assert_eq!(s["achieved"]["scope"], "whole_run");
    assert!(
        s["achieved"]["tpm"].as_f64().unwrap() > 0.0,
        "{}",
        s["achieved"]
    );
}
