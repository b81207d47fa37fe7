//! Script groups end to end: Pyak47 Transaction scripts (Python 3, in
//! tests/fixtures/scripts/test_scripts) run by pace's worker processes under
//! pace's pacing, against a server started by the test on 127.0.0.1; broken
//! scripts and workers; a worker in another language (sh). Each run is
//! bounded to a few seconds.

mod common;

use common::{Server, copy_tree, only_results_dir, pace};
use serde_json::Value;
use std::path::{Path, PathBuf};

/// A copy of the fixture project with `plan` as its plan.toml.
fn project(plan: &str) -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("project");
    copy_tree(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/scripts"),
        &dir,
    );
    std::fs::write(dir.join("plan.toml"), plan).unwrap();
    (tmp, dir)
}

/// Runs the project with TARGET_URL set; returns (code, stderr, summary, results folder).
fn run(dir: &Path, url: &str) -> (i32, String, Value, PathBuf) {
    let out = assert_cmd::Command::cargo_bin("pace")
        .unwrap()
        .current_dir(dir)
        .env("TARGET_URL", url)
        .args(["run", ".", "--quiet", "--seed", "9"])
        .timeout(std::time::Duration::from_secs(60))
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr).to_string();
    let results = only_results_dir(&dir.join("results"));
    let summary: Value =
        serde_json::from_str(&std::fs::read_to_string(results.join("summary.json")).unwrap())
            .unwrap_or_else(|e| panic!("{e}: {err}"));
    (out.status.code().unwrap_or(-1), err, summary, results)
}

fn group(name: &str, users: u32, script: &str, interval: &str, extra: &str) -> String {
    format!(
        r#"
[[group]]
name = "{name}"
users = {users}
script = "{script}"
{extra}

[group.pacing]
mode = "fixed"
interval = "{interval}"
"#
    )
}

const RUN: &str = r#"
[run]
duration = "2s"
ts_interval = "1s"
grace = "2s"
"#;

fn count(s: &Value, timer: &str) -> u64 {
    s["timers"][timer]["count"].as_u64().unwrap_or(0)
}

#[test]
fn the_manuals_examples_run_under_pacing() {
    let server = Server::new("2ms", 0.0);
    let plan = format!(
        "[target]\ntps = 20\n{RUN}{}{}",
        group("web", 2, "test_scripts/http_get.py", "200ms", ""),
        group("mixed", 2, "test_scripts/sometimes-fails.py", "200ms", ""),
    );
    let (_tmp, dir) = project(&plan);
    let (code, err, s, results) = run(&dir, &server.url());
    assert!(code == 0 || code == 1, "{err}");

    // Paced: 2 users x 2 s / 200 ms = 20 calls per group (the band allows
    // a start or so either way); every web call reached the server.
    let web = count(&s, "web");
    assert!((18..=22).contains(&web), "web transactions: {web}");
    assert_eq!(server.served(), web, "each run() made one request");
    assert_eq!(
        count(&s, "Example_Homepage"),
        web,
        "a custom timer per call"
    );
    let custom: Vec<&str> = s["custom_timers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert!(custom.contains(&"Example_Homepage"));
    assert!(custom.contains(&"step:one"), "a ':' in a timer name works");
    assert!(
        !custom.contains(&"web"),
        "the transaction is not a custom timer"
    );
    // Pyak47's ids: thread_num per user in its group, process_num the group.
    for t in ["user 0 of group 1", "user 1 of group 1"] {
        assert!(custom.contains(&t), "{t} in {custom:?}");
    }
    // 'rare' is set on every 4th call only, and never repeated after.
    let mixed_calls = count(&s, "mixed") + s["timer_errors"]["mixed"].as_u64().unwrap();
    let rare = count(&s, "rare") + s["timer_errors"]["rare"].as_u64().unwrap_or(0);
    // Per user floor(calls / 4): with Pyak47's stale timers it would be
    // nearly every call.
    assert!(
        rare <= mixed_calls / 4 && rare + 2 >= mixed_calls / 4,
        "rare: {rare} of {mixed_calls}"
    );

    // Every 5th call fails its assert, every 7th raises with no message:
    // both are errors, the message keeps its comma and newline.
    let errors = &s["errors"]["script"];
    assert!(errors["count"].as_u64().unwrap() >= 2, "{s}");
    let messages: Vec<&str> = errors["first_messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m.as_str().unwrap())
        .collect();
    assert!(
        messages.contains(&"AssertionError: bad, very bad\nsecond line"),
        "{messages:?}"
    );
    assert!(messages.contains(&"AssertionError"), "{messages:?}");

    // All Transactions counts calls, not custom timers.
    let all = s["all_transactions"]["count"].as_u64().unwrap();
    assert_eq!(all, web + count(&s, "mixed"));

    // The scripts' prints went to workers.log, never into the protocol.
    let report = std::fs::read_to_string(results.join("report.html")).unwrap();
    assert!(report.contains("Custom Timer: Example_Homepage"));
    assert!(results.join("workers.log").exists());
}

#[test]
fn broken_scripts_and_workers_are_errors_and_the_run_goes_on() {
    let server = Server::new("1ms", 0.0);
    let plan = format!(
        "{RUN}{}{}{}{}",
        group("healthy", 1, "test_scripts/http_get.py", "100ms", ""),
        group("init", 1, "test_scripts/init_raises.py", "100ms", ""),
        group("crash", 1, "test_scripts/crash_mid_run.py", "100ms", ""),
        group(
            "hang",
            1,
            "test_scripts/hangs.py",
            "100ms",
            "script_timeout = \"300ms\""
        ),
    );
    let (_tmp, dir) = project(&plan);
    let (code, err, s, results) = run(&dir, &server.url());
    // The run completes; its verdict fails on the transactions that failed
    // (the groups' pacing sets a rate, and only successes count).
    assert_eq!(code, 1, "{err}");
    let reasons = s["verdict"]["reasons"].to_string();
    assert!(reasons.contains("failed"), "{reasons}");

    // The healthy group never noticed the others, nor the broken.py next
    // to its script.
    let healthy = count(&s, "healthy");
    assert!((18..=21).contains(&healthy), "healthy: {healthy}");
    assert_eq!(s["timer_errors"]["healthy"], 0);

    // __init__ raising: counted at each attempt, the user retired after 3.
    assert_eq!(s["timer_errors"]["init"], 3, "{s}");
    assert!(err.contains("'init' user 0 retired"), "{err}");
    let script = s["errors"]["script"]["first_messages"].to_string();
    assert!(script.contains("cannot log in during setup"), "{script}");

    // The crash on call 3: one error with its stderr, then a new worker
    // carries on (its calls count again from 1, so it crashes on each 3rd).
    let crash_ok = count(&s, "crash");
    let crash_err = s["timer_errors"]["crash"].as_u64().unwrap();
    assert!(
        crash_ok >= 10 && crash_err >= 3,
        "crash: {crash_ok} ok, {crash_err} failed"
    );
    let worker = s["errors"]["worker"]["first_messages"].to_string();
    assert!(worker.contains("about to crash on call 3"), "{worker}");
    assert!(worker.contains("exit status: 3"), "{worker}");

    // The hang: killed after 300 ms as a timeout, restarted.
    let timeouts = s["errors"]["timeout"]["first_messages"].to_string();
    assert!(timeouts.contains("script_timeout of 0.3 s"), "{timeouts}");
    assert!(
        count(&s, "hang") >= 3,
        "the hanging user went on after restarts"
    );
    let log = std::fs::read_to_string(results.join("workers.log")).unwrap();
    assert!(log.contains("[init user 0] Traceback"), "{log}");
}

#[test]
fn a_worker_in_another_language() {
    let plan = format!(
        "{RUN}{}{}",
        group(
            "sh",
            2,
            "test_scripts/http_get.py",
            "100ms",
            "worker = \"./sh_worker.sh\""
        ),
        group(
            "garbage",
            1,
            "test_scripts/http_get.py",
            "100ms",
            "worker = \"GARBAGE_ON=2 ./sh_worker.sh\""
        ),
    );
    let (_tmp, dir) = project(&plan);
    let (code, err, s, _) = run(&dir, "http://127.0.0.1:9");
    assert_eq!(code, 1, "garbage answers are failed transactions: {err}");
    let sh = count(&s, "sh");
    assert!((38..=42).contains(&sh), "sh: {sh}");
    // The time the worker reported is the transaction's time.
    let p50 = s["timers"]["sh"]["p50"].as_f64().unwrap();
    assert!((0.0039..=0.0041).contains(&p50), "{p50}");
    assert!(count(&s, "sh timer") >= sh, "its custom timer");
    // Garbage on each worker's 2nd call: a protocol error, then a fresh
    // worker whose 2nd call fails again: every other call, never retired
    // (a success in between resets the count).
    let bad = s["timer_errors"]["garbage"].as_u64().unwrap();
    let good = count(&s, "garbage");
    assert!(
        bad >= 9 && good.abs_diff(bad) <= 1,
        "{good} ok, {bad} failed"
    );
    let msg = s["errors"]["worker"]["first_messages"].to_string();
    assert!(msg.contains("this is not json"), "{msg}");
}

#[test]
fn script_groups_refuse_bad_plans_before_running() {
    for (extra, script, key) in [
        ("", "test_scripts/missing.py", "group[0].script"),
        (
            "interpreter = \"python9-nowhere\"",
            "test_scripts/http_get.py",
            "group[0].interpreter",
        ),
    ] {
        let plan = format!("{RUN}{}", group("g", 1, script, "1s", extra));
        let (_tmp, dir) = project(&plan);
        let (code, _, err) = pace(&dir, &["run", ".", "--quiet"]);
        assert_eq!(code, 2, "{err}");
        assert_eq!(err.trim().lines().count(), 1, "{err}");
        assert!(err.contains(key), "{err}");
    }
    // Steps and a script in one group.
    let plan = format!(
        "{RUN}{}\n[[group.step]]\nname = \"x\"\nurl = \"http://127.0.0.1:9/\"\n",
        group("g", 1, "test_scripts/http_get.py", "1s", "")
    );
    let (_tmp, dir) = project(&plan);
    let (code, _, err) = pace(&dir, &["run", ".", "--check"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("script"), "{err}");
}

#[test]
fn a_new_project_runs_end_to_end() {
    let tmp = tempfile::tempdir().unwrap();
    let (code, out, err) = pace(tmp.path(), &["new", "proj"]);
    assert_eq!(code, 0, "{out}{err}");
    // The template runs 30 s; 3 s are enough here.
    let plan = tmp.path().join("proj/plan.toml");
    let text = std::fs::read_to_string(&plan)
        .unwrap()
        .replace("duration = \"30s\"", "duration = \"3s\"")
        .replace("ramp_up = \"4s\"", "ramp_up = \"1s\"")
        .replace("ts_interval = \"5s\"", "ts_interval = \"1s\"");
    std::fs::write(&plan, text).unwrap();
    let (code, out, err) = pace(tmp.path(), &["run", "proj", "--quiet", "--seed", "1"]);
    assert_eq!(code, 0, "{out}{err}");
    // Results land in the project, as Pyak47 kept them.
    let results = only_results_dir(&tmp.path().join("proj/results"));
    let s: Value =
        serde_json::from_str(&std::fs::read_to_string(results.join("summary.json")).unwrap())
            .unwrap();
    assert_eq!(s["verdict"]["pass"], true, "{s}");
    assert!(count(&s, "Example_Timer") > 0, "{s}");
    assert!(count(&s, "user_group-1") >= 8);
}

#[test]
fn a_pyak47_project_with_two_groups_is_imported_and_run() {
    let server = Server::new("1ms", 0.0);
    let (_tmp, dir) = project("");
    std::fs::remove_file(dir.join("plan.toml")).unwrap();
    // Pyak47's own shape: rampup = run_time, ':' separators, upper case.
    std::fs::write(
        dir.join("config.cfg"),
        "[global]\nrun_time = 2\nRampUp: 2\nresults_ts_interval = 1\n\n\
         [user_group-1]\nthreads = 2\nscript = http_get.py\n\n\
         [user_group-2]\nthreads = 2\nscript = sometimes-fails.py\n",
    )
    .unwrap();
    // Run as it is (converted in memory), then imported and run again.
    for round in 0..2 {
        if round == 1 {
            let (code, out, err) = pace(&dir, &["import", "."]);
            assert_eq!(code, 0, "{out}{err}");
            assert!(dir.join("plan.toml").exists());
        }
        let _ = std::fs::remove_dir_all(dir.join("results"));
        let (code, _, s, _) = run(&dir, &server.url());
        // No acceptance and no rate: back to back, nothing promised, so
        // nothing judged (NO CHECKS, exit 4), but real work was done.
        assert_eq!(code, 4);
        let g1 = count(&s, "user_group-1");
        let g2 = count(&s, "user_group-2") + s["timer_errors"]["user_group-2"].as_u64().unwrap();
        // Back to back: far more calls than any pacing would give.
        assert!(g1 > 50 && g2 > 50, "round {round}: {g1} and {g2} calls");
        assert!(count(&s, "Example_Homepage") > 0);
        assert!(count(&s, "step:one") > 0);
        assert!(s["expected"].is_null(), "no throughput band");
    }
}

/// A project for the tests of how workers end: its own TMPDIR (which pace
/// must leave as it found it), and an interpreter reached through a path
/// of this test only, so every worker and zygote of this test, and no
/// other process, carries `marker` in its /proc/PID/cmdline.
#[cfg(target_os = "linux")]
struct Sandbox {
    _tmp: tempfile::TempDir,
    dir: PathBuf,
    tmpdir: PathBuf,
    python: String,
    marker: String,
}

#[cfg(target_os = "linux")]
impl Sandbox {
    fn new() -> Sandbox {
        let (tmp, dir) = project("");
        let marker = tmp.path().display().to_string();
        let tmpdir = tmp.path().join("tmpdir");
        std::fs::create_dir(&tmpdir).unwrap();
        // The real executable: a launcher (pyenv's shim) would look for a
        // Python named after the link.
        let out = std::process::Command::new("python3")
            .args(["-c", "import sys; print(sys.executable)"])
            .output()
            .unwrap();
        let real = String::from_utf8(out.stdout).unwrap().trim().to_string();
        std::fs::create_dir(tmp.path().join("bin")).unwrap();
        let python = tmp.path().join("bin/python3");
        std::os::unix::fs::symlink(&real, &python).unwrap();
        Sandbox {
            _tmp: tmp,
            dir,
            tmpdir,
            python: python.display().to_string(),
            marker,
        }
    }

    /// A plan of one group of `users` running `extra`'s worker (the
    /// built-in one, through the marked interpreter, unless `extra` says).
    fn plan(&self, users: u32, duration: &str, extra: &str) {
        let plan = format!(
            "[run]\nduration = \"{duration}\"\nts_interval = \"1s\"\ngrace = \"1s\"\n{}",
            group(
                "g",
                users,
                "test_scripts/sleeps_in_run.py",
                "100ms",
                &format!("interpreter = \"{}\"\n{extra}", self.python)
            )
        );
        std::fs::write(self.dir.join("plan.toml"), plan).unwrap();
    }

    /// Starts `pace run` on the project with the test's TMPDIR; stderr
    /// lines arrive on the receiver.
    fn start(&self, sleep: &str) -> (Running, std::sync::mpsc::Receiver<String>) {
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_pace"))
            .current_dir(&self.dir)
            .env("TMPDIR", &self.tmpdir)
            .env("PACE_TEST_SLEEP", sleep)
            .args(["run", ".", "--seed", "9"])
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let err = child.stderr.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            use std::io::BufRead;
            for line in std::io::BufReader::new(err).lines() {
                if tx.send(line.unwrap_or_default()).is_err() {
                    break;
                }
            }
        });
        (Running(child), rx)
    }

    /// Waits until every user's worker is inside run() (pace said they
    /// are ready, and each marked it).
    fn wait_in_run(&self, users: u32, err: &std::sync::mpsc::Receiver<String>) {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        let mut said = Vec::new();
        loop {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            match err.recv_timeout(left) {
                Ok(line) if line.contains("script worker(s) ready") => {
                    assert!(
                        line.contains(&format!("{users} script worker(s)")),
                        "{line}"
                    );
                    break;
                }
                Ok(line) => said.push(line),
                Err(e) => panic!("no 'ready' from pace ({e}); it said: {said:?}"),
            }
        }
        let all_in_run = poll(std::time::Duration::from_secs(30), || {
            (0..users).all(|u| self.dir.join(format!("in_run-{u}")).exists())
        });
        assert!(all_in_run, "the workers did not all enter run()");
    }

    /// This test's workers and zygotes still alive (a zombie has no
    /// command line, so the dead do not count).
    fn survivors(&self) -> Vec<(i32, String)> {
        let mut out = Vec::new();
        for e in std::fs::read_dir("/proc").unwrap().flatten() {
            let Ok(pid) = e.file_name().to_string_lossy().parse::<i32>() else {
                continue;
            };
            if let Ok(cmd) = std::fs::read(e.path().join("cmdline")) {
                let cmd = String::from_utf8_lossy(&cmd).replace('\0', " ");
                if cmd.contains(&self.marker) {
                    out.push((pid, cmd.chars().take(100).collect()));
                }
            }
        }
        out
    }

    /// Asserts that, within 5 s, none of this test's processes is left and
    /// TMPDIR is as empty as it was given.
    fn assert_nothing_left(&self) {
        let gone = poll(std::time::Duration::from_secs(5), || {
            self.survivors().is_empty()
        });
        assert!(gone, "left running: {:?}", self.survivors());
        let left: Vec<_> = std::fs::read_dir(&self.tmpdir)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert!(left.is_empty(), "left in TMPDIR: {left:?}");
    }
}

#[cfg(target_os = "linux")]
impl Drop for Sandbox {
    /// A failed test leaves no process behind either.
    fn drop(&mut self) {
        for (pid, _) in self.survivors() {
            // SAFETY: kill(2) on a process of this test (its command line
            // carries this test's own folder).
            unsafe {
                libc::kill(pid, libc::SIGKILL);
            }
        }
    }
}

/// A pace run, killed if the test ends before it does.
#[cfg(target_os = "linux")]
struct Running(std::process::Child);

#[cfg(target_os = "linux")]
impl Running {
    fn pid(&self) -> i32 {
        self.0.id() as i32
    }

    /// Its exit code, within `limit`.
    fn exit_code(&mut self, limit: std::time::Duration) -> i32 {
        let mut status = None;
        poll(limit, || {
            status = self.0.try_wait().unwrap();
            status.is_some()
        });
        let status = status.unwrap_or_else(|| panic!("pace still running after {limit:?}"));
        status.code().unwrap_or(-1)
    }
}

#[cfg(target_os = "linux")]
impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Checks `done` every 20 ms until it holds or `limit` has passed.
#[cfg(target_os = "linux")]
fn poll(limit: std::time::Duration, mut done: impl FnMut() -> bool) -> bool {
    let deadline = std::time::Instant::now() + limit;
    loop {
        if done() {
            return true;
        }
        if std::time::Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

/// pace killed with SIGKILL (no code of its own runs) while the zygote's
/// workers are inside a run() that sleeps: the zygote and every worker die
/// with it, nothing is left in TMPDIR.
#[cfg(target_os = "linux")]
#[test]
fn sigkill_takes_the_zygote_and_its_workers_along() {
    let sb = Sandbox::new();
    sb.plan(3, "60s", "");
    let (mut pace, err) = sb.start("3600");
    sb.wait_in_run(3, &err);
    let before = sb.survivors();
    assert!(before.len() >= 4, "a zygote and 3 workers: {before:?}");
    pace.0.kill().unwrap();
    pace.0.wait().unwrap();
    sb.assert_nothing_left();
}

/// The same for a worker of the plan's own (`worker = ...`, run by
/// `sh -c`, which here execs it): the process pace started dies with pace.
#[cfg(target_os = "linux")]
#[test]
fn sigkill_takes_a_custom_worker_along() {
    let sb = Sandbox::new();
    let worker = format!(
        "worker = \"exec {} {}/sleepy_worker.py\"",
        sb.python,
        sb.dir.display()
    );
    sb.plan(2, "60s", &worker);
    let (mut pace, err) = sb.start("3600");
    sb.wait_in_run(2, &err);
    let before = sb.survivors();
    assert_eq!(before.len(), 2, "a worker per user: {before:?}");
    pace.0.kill().unwrap();
    pace.0.wait().unwrap();
    sb.assert_nothing_left();
}

/// A run that ends on its own, and one stopped by Ctrl-C while its
/// workers sleep in run(), leave no process and nothing in TMPDIR.
#[cfg(target_os = "linux")]
#[test]
fn a_finished_or_interrupted_run_leaves_nothing_behind() {
    let sb = Sandbox::new();
    sb.plan(2, "1s", "");
    let (mut pace, _err) = sb.start("0.01");
    let code = pace.exit_code(std::time::Duration::from_secs(60));
    assert!(code == 0 || code == 1, "exit code {code}");
    sb.assert_nothing_left();

    sb.plan(2, "60s", "");
    for u in 0..2 {
        std::fs::remove_file(sb.dir.join(format!("in_run-{u}"))).unwrap();
    }
    let (mut pace, err) = sb.start("3600");
    sb.wait_in_run(2, &err);
    // SAFETY: kill(2) on the pace this test started (not yet reaped).
    unsafe {
        libc::kill(pace.pid(), libc::SIGINT);
    }
    // The grace (1 s) cuts the sleeping run()s off.
    let code = pace.exit_code(std::time::Duration::from_secs(60));
    assert_eq!(code, 3, "interrupted");
    sb.assert_nothing_left();
}

/// pace names nothing in TMPDIR: entries planted there at every name pace
/// once used (a link to a victim file at /tmp/pace-worker-PID.py and
/// /tmp/pace-PID-N.sock, for the next pids) are neither followed nor
/// touched, and two runs at once in the same TMPDIR both work.
#[cfg(target_os = "linux")]
#[test]
fn planted_temp_names_are_never_used() {
    let sb = Sandbox::new();
    sb.plan(2, "1s", "");
    let victim = sb.dir.join("victim.txt");
    std::fs::write(&victim, "precious").unwrap();
    let base: u32 = std::fs::read_to_string("/proc/sys/kernel/ns_last_pid")
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or_else(std::process::id);
    let mut planted = Vec::new();
    for pid in base..base + 1000 {
        for name in [
            format!("pace-worker-{pid}.py"),
            format!("pace-{pid}-0.sock"),
        ] {
            std::os::unix::fs::symlink(&victim, sb.tmpdir.join(&name)).unwrap();
            planted.push(name);
        }
    }
    planted.sort();
    // Their stderr is read to the end: a closed pipe would fail pace.
    let mut runs: Vec<_> = (0..2).map(|_| sb.start("0.01")).collect();
    for (pace, err) in &mut runs {
        let code = pace.exit_code(std::time::Duration::from_secs(60));
        let said: Vec<String> = err.try_iter().collect();
        assert!(code == 0 || code == 1, "exit code {code}: {said:?}");
    }
    let victim_now = std::fs::read_to_string(&victim).unwrap();
    assert!(victim_now == "precious", "the victim file was overwritten");
    let mut now: Vec<String> = std::fs::read_dir(&sb.tmpdir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    now.sort();
    assert!(now == planted, "TMPDIR changed");
    // Both runs ran their script.
    let results: Vec<PathBuf> = std::fs::read_dir(sb.dir.join("results"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(results.len(), 2, "{results:?}");
    for r in results {
        let s: Value =
            serde_json::from_str(&std::fs::read_to_string(r.join("summary.json")).unwrap())
                .unwrap();
        assert!(count(&s, "g") > 0, "{s}");
    }
}

/// A script finds pace's embedded target the way a plan does: the run's
/// own variables (`PACE_TARGET`) are in its worker's environment.
#[test]
fn a_script_reaches_the_embedded_target_through_its_environment() {
    let plan = format!(
        "[target]\ntps = 10\n\n[target.embedded]\nlatency = \"1ms\"\n{RUN}{}",
        group("web", 2, "test_scripts/embedded_target.py", "200ms", ""),
    );
    let (_tmp, dir) = project(&plan);
    let (code, err, s, _) = run(&dir, "http://127.0.0.1:9");
    assert_eq!(code, 0, "{err}");
    let web = count(&s, "web");
    assert!(web >= 18, "{web} transactions: {err}");
    assert_eq!(s["timer_errors"]["web"], 0, "{}", s["errors"]);
}

/// A Pyak47 project run without plan.toml is its config.cfg, converted in
/// memory: the console and summary.json name config.cfg, never a plan.toml
/// that does not exist.
#[test]
fn a_project_run_from_config_cfg_names_config_cfg() {
    let (_tmp, dir) = common::case("config-cfg-post-run-exec");
    let (code, out, err) = pace(
        &dir,
        &["run", "proj", "--results-dir", "out", "--seed", "3"],
    );
    assert_eq!(code, 4, "NO CHECKS (config.cfg states none)\n{out}{err}");
    let cfg = Path::new("proj").join("config.cfg");
    assert!(
        err.contains(&format!("pace: running {} (seed 3)", cfg.display())),
        "{err}"
    );
    assert!(
        !out.contains("plan.toml") && !err.contains("proj/plan.toml"),
        "{out}{err}"
    );
    let s: Value = serde_json::from_str(
        &std::fs::read_to_string(only_results_dir(&dir.join("out")).join("summary.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(s["meta"]["plan_file"], cfg.display().to_string(), "{s}");
}
