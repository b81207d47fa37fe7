//! Security, end to end (docs/security.md): secrets from the environment
//! never reach a result, pace writes nothing to the temporary folder,
//! results.xml, junit.xml and report.html hold only characters XML allows,
//! and a converted config.cfg's hook runs only when allowed. Each runs the
//! case it answers (tests/fixtures/cases) as a user runs it, against
//! servers the test starts on 127.0.0.1; every run is bounded to seconds.

mod common;

use common::{case, edit, only_results_dir, pace_env as pace};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// A port on 127.0.0.1 that is bound but never listened on: connecting is
/// refused, and no other process can take the port while it is held.
struct Refusing {
    fd: i32,
    port: u16,
}

impl Refusing {
    fn new() -> Refusing {
        // SAFETY: plain socket calls on a descriptor this struct owns; the
        // address structs are fully initialised (zeroed, then set).
        unsafe {
            let fd = libc::socket(libc::AF_INET, libc::SOCK_STREAM, 0);
            assert!(fd >= 0, "socket");
            let mut addr: libc::sockaddr_in = std::mem::zeroed();
            addr.sin_family = libc::AF_INET as libc::sa_family_t;
            addr.sin_addr.s_addr = u32::from_ne_bytes([127, 0, 0, 1]);
            let len = std::mem::size_of::<libc::sockaddr_in>() as libc::socklen_t;
            let rc = libc::bind(fd, &addr as *const _ as *const libc::sockaddr, len);
            assert_eq!(rc, 0, "bind");
            let mut got: libc::sockaddr_in = std::mem::zeroed();
            let mut got_len = len;
            let rc = libc::getsockname(fd, &mut got as *mut _ as *mut libc::sockaddr, &mut got_len);
            assert_eq!(rc, 0, "getsockname");
            Refusing {
                fd,
                port: u16::from_be(got.sin_port),
            }
        }
    }
}

impl Drop for Refusing {
    fn drop(&mut self) {
        // SAFETY: the descriptor this struct opened, closed once.
        unsafe {
            libc::close(self.fd);
        }
    }
}

/// A server on 127.0.0.1 that accepts and never answers. Its thread and
/// the connections it holds end with the test process.
fn silent() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for conn in listener.incoming().take(1000) {
            match conn {
                Ok(c) => held.push(c),
                Err(_) => return,
            }
        }
    });
    port
}

/// A server on 127.0.0.1 that answers every request with a 500 whose body
/// quotes the request; it keeps each request's head for the test.
fn failing() -> (u16, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let heads = Arc::new(Mutex::new(Vec::new()));
    let seen = heads.clone();
    std::thread::spawn(move || {
        for conn in listener.incoming().take(1000) {
            let Ok(mut conn) = conn else { return };
            let seen = seen.clone();
            std::thread::spawn(move || {
                conn.set_read_timeout(Some(Duration::from_secs(5))).ok();
                let mut r = BufReader::new(conn.try_clone().unwrap());
                let mut head = String::new();
                let mut length = 0usize;
                loop {
                    let mut line = String::new();
                    match r.read_line(&mut line) {
                        Ok(0) | Err(_) => return,
                        Ok(_) if line == "\r\n" => break,
                        Ok(_) => {
                            if let Some(v) =
                                line.to_ascii_lowercase().strip_prefix("content-length:")
                            {
                                length = v.trim().parse().unwrap_or(0);
                            }
                            head.push_str(&line);
                        }
                    }
                }
                let mut body = vec![0; length.min(1 << 16)];
                let _ = r.read_exact(&mut body);
                let reply = format!("{head}{}", String::from_utf8_lossy(&body));
                seen.lock().unwrap().push(reply.clone());
                let _ = conn.write_all(
                    format!(
                        "HTTP/1.1 500 Internal Server Error\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{reply}",
                        reply.len()
                    )
                    .as_bytes(),
                );
            });
        }
    });
    (port, heads)
}

/// Every file under `dir`, recursively.
fn files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(files(&p));
        } else {
            out.push(p);
        }
    }
    out
}

fn holds(hay: &[u8], needle: &str) -> bool {
    hay.windows(needle.len()).any(|w| w == needle.as_bytes())
}

const SECRET: &str = "hunter2xyz";
/// Needs percent-encoding in a URL: found by its encoded forms too.
const SECRET2: &str = "s3cr3t/pa ss+\u{e9}&x";
/// What betrays either secret in any of its forms.
const BETRAYERS: [&str; 4] = [SECRET, "s3cr3t", "pa ss", "pa%20ss"];

/// A script that quotes the secret in its output, a custom timer's name
/// and its exception.
const LEAKY_SCRIPT: &str = r#"import os
class Transaction:
    def run(self):
        s = os.environ["SECRET"]
        print("the script prints " + s)
        self.custom_timers["t-" + s] = 0.001
        raise Exception("the script says " + s)
"#;

/// `secret-in-error-messages`: a secret from the environment in a URL's
/// query and userinfo, a header and a body, sent to a refused port, a
/// server that never answers (timeouts) and one that answers 500, and
/// quoted by a script: the error texts name the URL, yet no file of the
/// results folder, the results database, nor pace's output holds it.
#[test]
fn secrets_from_the_environment_never_reach_results() {
    let (tmp, dir) = case("secret-in-error-messages");
    let refused = Refusing::new();
    let hang = silent();
    let (fail, heads) = failing();
    let plan = dir.join("plan.toml");
    edit(
        &plan,
        "http://127.0.0.1:9/",
        &format!("http://127.0.0.1:{}/", refused.port),
    );
    let mut text = std::fs::read_to_string(&plan).unwrap();
    text.push_str(&format!(
        r#"method = "POST"
body = "password=${{SECRET}}"

[[group.step]]
name = "userinfo"
url = "http://me:${{SECRET}}@127.0.0.1:{refused}/"
timeout = "1s"

[[group.step]]
name = "silent"
url = "http://127.0.0.1:{hang}/q?k=${{SECRET2}}&t=${{SECRET}}"
timeout = "200ms"

[[group.step]]
name = "failing"
method = "POST"
url = "http://127.0.0.1:{fail}/x?token=${{SECRET}}"
headers = {{ "X-Token" = "${{SECRET}}" }}
body = "${{SECRET2}}"
timeout = "1s"

[[group]]
name = "script"
users = 1
script = "leak.py"

[group.pacing]
mode = "fixed"
interval = "500ms"
"#,
        refused = refused.port
    ));
    std::fs::write(&plan, text).unwrap();
    std::fs::write(dir.join("leak.py"), LEAKY_SCRIPT).unwrap();
    let env = [("SECRET", SECRET), ("SECRET2", SECRET2)];
    let (code, out, err) = pace(
        &dir,
        &[
            "run",
            "plan.toml",
            "--results-dir",
            "out",
            "--xml",
            "--db",
            "results.db",
        ],
        &env,
    );
    assert_eq!(code, 1, "FAIL: nothing succeeded\n{out}{err}");
    let results = only_results_dir(&dir.join("out"));
    // Not vacuous: the secrets were sent. Connection errors name only
    // HOST:PORT now, never the URL (its query held the secret).
    let sent = heads.lock().unwrap().join("\n");
    assert!(
        sent.contains(&format!("x-token: {SECRET}"))
            || sent.contains(&format!("X-Token: {SECRET}")),
        "{sent}"
    );
    assert!(sent.contains("s3cr3t"), "{sent}");
    let samples = std::fs::read_to_string(results.join("samples.csv")).unwrap();
    for quoted in ["the script says ${SECRET}", "t-${SECRET}", "HTTP 500"] {
        assert!(samples.contains(quoted), "samples.csv has no {quoted:?}");
    }
    for kind in [",connect,", ",timeout,", ",status,", ",script,"] {
        assert!(samples.contains(kind), "no {kind} error in samples.csv");
    }
    let plan_copy = std::fs::read_to_string(results.join("plan.toml")).unwrap();
    assert!(plan_copy.contains("token=${SECRET}"), "{plan_copy}");
    // `pace report` rebuilds every file from the samples: still clean.
    let (code2, out2, err2) = pace(&dir, &["report", results.to_str().unwrap(), "--xml"], &env);
    assert_eq!(code2, 1, "{out2}{err2}");

    let mut checked = vec![
        ("stdout".to_string(), out + &out2),
        ("stderr".to_string(), err + &err2),
    ]
    .into_iter()
    .map(|(n, t)| (n, t.into_bytes()))
    .collect::<Vec<_>>();
    let mut names = Vec::new();
    for f in files(&results)
        .into_iter()
        .chain(files(&dir).into_iter().filter(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("results.db"))
        }))
    {
        names.push(f.file_name().unwrap().to_string_lossy().into_owned());
        checked.push((f.display().to_string(), std::fs::read(&f).unwrap()));
    }
    for must in [
        "samples.csv",
        "results.jtl",
        "results.xml",
        "summary.json",
        "report.html",
        "junit.xml",
        "workers.log",
        "plan.toml",
        "results.db",
    ] {
        assert!(names.iter().any(|n| n == must), "no {must} among {names:?}");
    }
    for (name, bytes) in &checked {
        for b in BETRAYERS {
            assert!(!holds(bytes, b), "{name} holds {b:?}");
        }
    }
    drop(tmp);
}

/// A plan error that quotes an expanded URL does not quote its secret.
#[test]
fn a_bad_url_is_refused_without_quoting_its_secret() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(
        tmp.path().join("plan.toml"),
        r#"[run]
duration = "1s"

[[group]]
name = "g"
users = 1

[group.pacing]
mode = "fixed"
interval = "500ms"

[[group.step]]
name = "bad"
url = "ftp://me:${SECRET}@127.0.0.1/${SECRET}"
"#,
    )
    .unwrap();
    let (code, out, err) = pace(
        tmp.path(),
        &["run", "plan.toml", "--quiet"],
        &[("SECRET", SECRET)],
    );
    assert_eq!(code, 2, "{out}{err}");
    assert!(err.contains("${SECRET}"), "{err}");
    assert!(!err.contains(SECRET) && !out.contains(SECRET), "{out}{err}");
}

/// `worker-tmp-symlink`: a script run writes nothing to the temporary
/// folder (the worker is passed with `-c`, its socket is a socket pair),
/// nor under /tmp with the names pace once used; the results database
/// leaves nothing there either.
#[cfg(target_os = "linux")]
#[test]
fn a_script_run_writes_nothing_to_the_temporary_folder() {
    let (tmp, dir) = case("worker-tmp-symlink");
    let private = tmp.path().join("tmpdir");
    std::fs::create_dir(&private).unwrap();
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_pace"))
        .current_dir(&dir)
        .env("TMPDIR", &private)
        .args([
            "run",
            "plan.toml",
            "--results-dir",
            "out",
            "--quiet",
            "--db",
            "r.db",
        ])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id();
    let out = wait_bounded(child, Duration::from_secs(60));
    let err = String::from_utf8_lossy(&out.stderr);
    let code = out.status.code().unwrap_or(-1);
    assert!(
        matches!(code, 0 | 1),
        "judged, not refused nor incomplete: {code}: {err}"
    );
    let results = only_results_dir(&dir.join("out"));
    let s = std::fs::read_to_string(results.join("summary.json")).unwrap();
    assert!(s.contains("\"g\""), "the script ran: {s}");
    let left: Vec<_> = std::fs::read_dir(&private)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert!(left.is_empty(), "left in TMPDIR: {left:?}");
    for old in [
        format!("/tmp/pace-worker-{pid}.py"),
        format!("/tmp/pace-{pid}-0.sock"),
    ] {
        assert!(std::fs::symlink_metadata(&old).is_err(), "{old} was made");
    }
}

/// Waits for `child` at most `limit` (killing it after), with its output.
#[cfg(target_os = "linux")]
fn wait_bounded(mut child: std::process::Child, limit: Duration) -> std::process::Output {
    let t0 = std::time::Instant::now();
    while child.try_wait().unwrap().is_none() {
        if t0.elapsed() > limit {
            let _ = child.kill();
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().unwrap()
}

/// Characters XML 1.0 forbids anywhere in a document.
fn forbidden(c: char) -> bool {
    matches!(c, '\u{0}'..='\u{8}' | '\u{b}' | '\u{c}' | '\u{e}'..='\u{1f}' | '\u{fffe}' | '\u{ffff}')
}

/// Parses each file with Python's XML parser; the parser's complaint if
/// one does not parse.
fn xml_parses(files: &[PathBuf]) -> Result<(), String> {
    let out = std::process::Command::new("python3")
        .arg("-c")
        .arg("import sys, xml.etree.ElementTree as E\nfor f in sys.argv[1:]: E.parse(f)")
        .args(files)
        .output()
        .map_err(|e| format!("python3: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    }
}

/// The files of `results` that must hold only what XML allows: results.xml
/// and junit.xml parse with a real XML parser, no file holds a forbidden
/// character, and each shows `shown` (visible escapes) where it was.
fn assert_xml_clean(results: &Path, shown: &[(&str, &str)]) {
    let xml = [results.join("results.xml"), results.join("junit.xml")];
    if let Err(e) = xml_parses(&xml) {
        panic!("{}: not well-formed XML: {e}", results.display());
    }
    for name in ["results.xml", "junit.xml", "report.html"] {
        let text = std::fs::read_to_string(results.join(name)).unwrap();
        assert!(
            !text.chars().any(forbidden),
            "{name} holds a forbidden character"
        );
        for (file, s) in shown {
            if *file == name {
                assert!(text.contains(s), "{name} has no {s:?}");
            }
        }
    }
}

/// A script whose exception text and custom timer carry NUL and ESC.
const CONTROL_SCRIPT: &str = r#"class Transaction:
    def run(self):
        self.custom_timers["timer\x1b[0m"] = 0.001
        raise Exception("nul\x00 esc\x1b[31mred")
"#;

const CONTROL_PLAN: &str = r#"[run]
xml_report = true
duration = "2s"
ts_interval = "1s"
grace = "1s"

[[group]]
name = "s"
users = 1
script = "ctl.py"

[group.pacing]
mode = "fixed"
interval = "500ms"
"#;

/// `results-xml-control-chars`: a step name with U+0001, and a script's
/// exception and timer with NUL and ESC: results.xml and junit.xml parse
/// with a real XML parser, report.html holds no forbidden character
/// either, each shows a visible escape instead, and samples.csv keeps the
/// raw text. `pace report` writes them the same.
#[test]
fn xml_reports_hold_only_characters_xml_allows() {
    let (_tmp, dir) = case("results-xml-control-chars");
    let (code, out, err) = pace(
        &dir,
        &["run", "plan.toml", "--results-dir", "out", "--quiet"],
        &[],
    );
    assert!(code == 0 || code == 1, "{out}{err}");
    let step = only_results_dir(&dir.join("out"));
    let step_shown = [("results.xml", "home\\x01"), ("report.html", "home\\x01")];
    assert_xml_clean(&step, &step_shown);

    std::fs::write(dir.join("script.toml"), CONTROL_PLAN).unwrap();
    std::fs::write(dir.join("ctl.py"), CONTROL_SCRIPT).unwrap();
    let (code, out, err) = pace(
        &dir,
        &["run", "script.toml", "--results-dir", "out2", "--quiet"],
        &[],
    );
    assert_eq!(code, 1, "FAIL: the script never succeeds\n{out}{err}");
    let script = only_results_dir(&dir.join("out2"));
    let samples = std::fs::read_to_string(script.join("samples.csv")).unwrap();
    assert!(
        samples.contains("nul\u{0} esc\u{1b}[31mred"),
        "samples.csv keeps the raw text"
    );
    let said = "nul\\x00 esc\\x1b[31mred";
    let script_shown = [
        ("results.xml", said),
        ("results.xml", "timer\\x1b[0m"),
        ("junit.xml", said),
        ("report.html", said),
    ];
    assert_xml_clean(&script, &script_shown);

    for (results, shown) in [(&step, &step_shown[..]), (&script, &script_shown[..])] {
        let (code, out, err) = pace(&dir, &["report", results.to_str().unwrap(), "--quiet"], &[]);
        assert!(code == 0 || code == 1, "{out}{err}");
        assert_xml_clean(results, shown);
    }
}

/// `config-cfg-post-run-exec`: `pace run PROJECT` without plan.toml runs
/// its config.cfg converted; its post_run_script runs only with
/// `--allow-hooks`, is said otherwise, and is announced when it runs. A
/// plan file's own hook (here the one `pace import` wrote) runs, announced.
#[test]
fn a_converted_config_cfg_hook_runs_only_when_allowed() {
    let (tmp, dir) = case("config-cfg-post-run-exec");
    let root = dir.clone();
    let pwned = root.join("PWNED");

    let (code, out, err) = pace(
        &root,
        &["run", "proj", "--results-dir", "out", "--quiet"],
        &[],
    );
    assert_eq!(code, 4, "NO CHECKS\n{out}{err}");
    assert!(!pwned.exists(), "the hook ran without --allow-hooks");
    assert!(!root.join("proj/PWNED").exists());
    let said: Vec<&str> = err.lines().filter(|l| l.contains("post_run")).collect();
    assert_eq!(said.len(), 1, "{err}");
    assert!(
        said[0].contains("NOT run")
            && said[0].contains("touch PWNED")
            && said[0].contains("--allow-hooks"),
        "{err}"
    );

    let (code, out, err) = pace(
        &root,
        &[
            "run",
            "proj",
            "--results-dir",
            "out",
            "--quiet",
            "--allow-hooks",
        ],
        &[],
    );
    assert_eq!(code, 4, "{out}{err}");
    assert!(pwned.exists(), "--allow-hooks runs it: {err}");
    assert!(err.contains("pace: running post_run: touch PWNED"), "{err}");
    std::fs::remove_file(&pwned).unwrap();

    // Imported, the plan is the user's: its hook runs, announced.
    let (code, out, err) = pace(&root, &["import", "proj"], &[]);
    assert_eq!(code, 0, "{out}{err}");
    let (code, out, err) = pace(
        &root,
        &["run", "proj", "--results-dir", "out", "--quiet"],
        &[],
    );
    assert_eq!(code, 4, "{out}{err}");
    assert!(pwned.exists(), "a plan file's hook runs: {err}");
    assert!(err.contains("pace: running post_run: touch PWNED"), "{err}");
    drop(tmp);
}
