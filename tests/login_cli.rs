//! A login flow run by `pace run` as a process against an in-test server on
//! 127.0.0.1: user names from a CSV file, a token extracted from a JSON
//! body, a session cookie kept per user. Each run lasts 2 s.

mod common;

use serde_json::Value;
use std::collections::{HashMap, HashSet};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

const NAMES: [&str; 5] = ["ann", "bob", "cy", "dee", "eve"];

/// What the server saw.
#[derive(Default)]
struct Seen {
    /// token -> (user, session) issued by /login.
    issued: HashMap<String, (String, String)>,
    logins: HashSet<String>,
    /// Account requests that carried the session cookie of their token.
    cookies_back: u64,
    accounts_ok: u64,
    accounts_refused: u64,
    counter: u64,
}

/// A small HTTP/1.1 server on 127.0.0.1, a thread per connection, until
/// the test ends (the process exits).
fn serve(seen: Arc<Mutex<Seen>>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(conn) = conn else { continue };
            let seen = seen.clone();
            std::thread::spawn(move || {
                let _ = connection(conn, &seen);
            });
        }
    });
    format!("http://{addr}")
}

fn connection(conn: TcpStream, seen: &Mutex<Seen>) -> std::io::Result<()> {
    conn.set_read_timeout(Some(Duration::from_secs(10)))?;
    let mut w = conn.try_clone()?;
    let mut r = BufReader::new(conn);
    loop {
        let mut line = String::new();
        if r.read_line(&mut line)? == 0 {
            return Ok(());
        }
        let mut parts = line.split_whitespace();
        let (method, path) = (
            parts.next().unwrap_or("").to_string(),
            parts.next().unwrap_or("").to_string(),
        );
        let mut headers = HashMap::new();
        loop {
            let mut h = String::new();
            r.read_line(&mut h)?;
            let h = h.trim_end();
            if h.is_empty() {
                break;
            }
            if let Some((k, v)) = h.split_once(':') {
                headers.insert(k.trim().to_ascii_lowercase(), v.trim().to_string());
            }
        }
        let len: usize = headers
            .get("content-length")
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        let mut body = vec![0u8; len];
        r.read_exact(&mut body)?;
        let (status, extra, out) = answer(&method, &path, &headers, &body, seen);
        write!(
            w,
            "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\n{extra}\r\n{out}",
            out.len()
        )?;
    }
}

fn answer(
    method: &str,
    path: &str,
    headers: &HashMap<String, String>,
    body: &[u8],
    seen: &Mutex<Seen>,
) -> (u16, String, String) {
    let mut s = seen.lock().unwrap();
    match (method, path) {
        ("POST", "/login") => {
            let v: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
            let Some(user) = v["user"].as_str() else {
                return (400, String::new(), "{}".into());
            };
            s.counter += 1;
            let token = format!("tok-{user}-{}", s.counter);
            let session = format!("s{}x{}", s.counter * 7919, user.len());
            s.issued
                .insert(token.clone(), (user.to_string(), session.clone()));
            s.logins.insert(user.to_string());
            (
                200,
                format!("set-cookie: session={session}; Path=/\r\n"),
                format!("{{\"token\":\"{token}\"}}"),
            )
        }
        ("GET", "/account") => {
            let token = headers
                .get("authorization")
                .and_then(|a| a.strip_prefix("Bearer "))
                .unwrap_or("");
            let Some((user, session)) = s.issued.get(token).cloned() else {
                s.accounts_refused += 1;
                return (401, String::new(), "{}".into());
            };
            let cookie_ok = headers
                .get("cookie")
                .is_some_and(|c| c.split("; ").any(|kv| kv == format!("session={session}")));
            let user_ok = headers.get("x-user") == Some(&user);
            if cookie_ok {
                s.cookies_back += 1;
            }
            if cookie_ok && user_ok {
                s.accounts_ok += 1;
                (200, String::new(), "{\"ok\":true}".into())
            } else {
                s.accounts_refused += 1;
                (403, String::new(), "{}".into())
            }
        }
        _ => (404, String::new(), "{}".into()),
    }
}

/// Writes users.csv and plan.toml into `dir`; `extract` and `group_extra`
/// are spliced into the plan.
fn write_plan(dir: &Path, url: &str, extract: &str, group_extra: &str) -> PathBuf {
    let mut csv = String::from("user,password\n");
    for n in NAMES {
        csv.push_str(&format!("{n},pw-{n}\n"));
    }
    std::fs::write(dir.join("users.csv"), csv).unwrap();
    let plan = format!(
        r#"
[run]
duration = "2s"
ts_interval = "1s"
grace = "2s"

[[group]]
name = "login"
users = 4
data = {{ file = "users.csv", per = "user" }}
{group_extra}

[group.pacing]
mode = "fixed"
interval = "250ms"

[[group.step]]
name = "login"
method = "POST"
url = "{url}/login"
body = '{{"user":"${{user}}","password":"${{password}}"}}'
timeout = "2s"
think = {{ dist = "uniform", min = "0s", max = "10ms" }}

[[group.step.extract]]
name = "token"
{extract}

[[group.step]]
name = "account"
url = "{url}/account"
headers = {{ Authorization = "Bearer ${{token}}", X-User = "${{user}}" }}
timeout = "2s"

[acceptance]
error_rate = "1%"
"#
    );
    let p = dir.join("plan.toml");
    std::fs::write(&p, plan).unwrap();
    p
}

/// Runs the plan; (exit code, stdout, stderr, results folder).
fn run(plan: &Path) -> (i32, String, String, PathBuf) {
    let dir = plan.parent().unwrap();
    let (code, out, err) = common::pace(
        dir,
        &[
            "run",
            plan.to_str().unwrap(),
            "--results-dir",
            "results",
            "--seed",
            "3",
            "--quiet",
        ],
    );
    let res = std::fs::read_dir(dir.join("results"))
        .ok()
        .and_then(|mut d| d.next())
        .map(|e| e.unwrap().path())
        .unwrap_or_default();
    (code, out, err, res)
}

fn summary(res: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(res.join("summary.json")).unwrap()).unwrap()
}

fn steps(res: &Path) -> Vec<pace::results::sample::Sample> {
    let f = std::fs::File::open(res.join("samples.csv")).unwrap();
    pace::results::sample::read_samples(f)
        .map(|r| r.unwrap())
        .filter(|s| s.kind == pace::results::sample::Kind::Step)
        .collect()
}

#[test]
fn a_login_flow_with_csv_users_a_token_and_a_cookie_succeeds() {
    let seen = Arc::new(Mutex::new(Seen::default()));
    let url = serve(seen.clone());
    let dir = tempfile::tempdir().unwrap();
    let plan = write_plan(dir.path(), &url, "json = \"/token\"", "");
    let (code, out, err, res) = run(&plan);
    assert_eq!(code, 0, "{out}\n{err}");
    let steps = steps(&res);
    assert!(steps.len() >= 16, "{} transactions", steps.len());
    let failed: Vec<_> = steps.iter().filter(|s| !s.ok).collect();
    assert!(failed.is_empty(), "{failed:?}");
    let v = summary(&res);
    assert_eq!(v["achieved"]["errors"], 0, "{}", v["achieved"]);
    let s = seen.lock().unwrap();
    // per = "user": users 0..3 take the first four names, each its own.
    let want: HashSet<String> = NAMES[..4].iter().map(|n| n.to_string()).collect();
    assert_eq!(s.logins, want);
    assert_eq!(s.accounts_refused, 0);
    assert_eq!(s.accounts_ok as usize, steps.len() / 2);
    assert_eq!(
        s.cookies_back, s.accounts_ok,
        "every account request sent its cookie"
    );
}

#[test]
fn a_failed_extraction_is_counted_with_its_message() {
    let seen = Arc::new(Mutex::new(Seen::default()));
    let url = serve(seen.clone());
    let dir = tempfile::tempdir().unwrap();
    let plan = write_plan(dir.path(), &url, "json = \"/tokn\"", "");
    let (code, out, err, res) = run(&plan);
    assert_eq!(code, 1, "{out}\n{err}");
    let steps = steps(&res);
    assert!(!steps.is_empty());
    // Every login fails its extraction; the account step is never sent.
    for s in &steps {
        assert_eq!(&*s.name, "login", "{s:?}");
        assert!(!s.ok);
        assert_eq!(s.error_kind.map(|k| k.name()), Some("extract"));
        assert_eq!(
            s.error,
            "extract 'token' (json /tokn) in step 'login': not found"
        );
    }
    let v = summary(&res);
    assert_eq!(
        v["errors"]["extract"]["count"].as_u64(),
        Some(steps.len() as u64),
        "{}",
        v["errors"]
    );
    assert_eq!(
        v["errors"]["extract"]["first_messages"][0],
        "extract 'token' (json /tokn) in step 'login': not found"
    );
    assert_eq!(v["verdict"]["pass"], false);
    let causes = v["verdict"]["causes"].as_array().unwrap();
    assert!(causes.iter().any(|c| c["cause"] == "failed"), "{causes:?}");
    // The FAIL line says why the iterations were short: the failed login
    // ended them, so the account step was never sent.
    let fail = out.lines().find(|l| l.starts_with("FAIL")).unwrap_or("");
    assert!(fail.contains("failed"), "{out}");
    assert!(
        fail.contains("iterations ended early after a failed step ('login' failed)"),
        "{out}"
    );
    assert!(
        !fail.contains("fewer transactions than the plan counts on"),
        "{out}"
    );
    // The console's errors table names the step and the kind.
    assert!(
        out.lines()
            .any(|l| l.contains("login") && l.contains("extract") && l.contains("not found")),
        "{out}"
    );
    let s = seen.lock().unwrap();
    assert_eq!(
        s.accounts_ok + s.accounts_refused,
        0,
        "no account request sent"
    );
}

#[test]
fn without_cookies_the_session_is_not_sent_back() {
    let seen = Arc::new(Mutex::new(Seen::default()));
    let url = serve(seen.clone());
    let dir = tempfile::tempdir().unwrap();
    let plan = write_plan(dir.path(), &url, "json = \"/token\"", "cookies = false");
    let (code, out, err, res) = run(&plan);
    assert_eq!(code, 1, "{out}\n{err}");
    let steps = steps(&res);
    let account: Vec<_> = steps.iter().filter(|s| &*s.name == "account").collect();
    assert!(!account.is_empty());
    assert!(
        account.iter().all(|s| !s.ok && s.status == 403),
        "{account:?}"
    );
    assert!(steps.iter().filter(|s| &*s.name == "login").all(|s| s.ok));
    // The console shows the step that always failed: its response-time
    // row says so, and the errors table names step, kind and status.
    let n = account.len();
    assert!(
        out.lines()
            .any(|l| l.contains(&format!("account (all {n} failed)")) && l.contains(" - ")),
        "{out}"
    );
    assert!(
        out.lines().any(|l| l.contains("account")
            && l.contains("status")
            && l.contains("403")
            && l.contains(&format!(" {n} "))),
        "{out}"
    );
    let s = seen.lock().unwrap();
    assert_eq!((s.cookies_back, s.accounts_ok), (0, 0));
}

#[test]
fn a_missing_data_file_is_a_plan_error_naming_the_key() {
    let dir = tempfile::tempdir().unwrap();
    write_plan(dir.path(), "http://127.0.0.1:1", "json = \"/token\"", "");
    std::fs::remove_file(dir.path().join("users.csv")).unwrap();
    let (code, out, err) = common::pace(dir.path(), &["run", "plan.toml", "--quiet"]);
    assert_eq!(code, 2, "{out}\n{err}");
    let lines: Vec<_> = err.lines().collect();
    assert_eq!(lines.len(), 1, "{err}");
    assert!(lines[0].contains("group[0].data"), "{err}");
    assert!(lines[0].contains("users.csv"), "{err}");
    assert!(!dir.path().join("results").exists());
}

#[test]
fn check_reads_the_data_file() {
    let dir = tempfile::tempdir().unwrap();
    write_plan(dir.path(), "http://127.0.0.1:1", "json = \"/token\"", "");
    let (code, out, err) = common::pace(dir.path(), &["run", "plan.toml", "--check"]);
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(
        out.contains("users.csv: 5 rows, columns user, password"),
        "{out}"
    );
    std::fs::write(dir.path().join("users.csv"), "user,password\nann\n").unwrap();
    let (code, _, err) = common::pace(dir.path(), &["run", "plan.toml", "--check"]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("group[0].data.file") && err.contains("line 2"),
        "{err}"
    );
}

#[test]
fn users_stop_when_the_data_runs_out_and_say_why() {
    let seen = Arc::new(Mutex::new(Seen::default()));
    let url = serve(seen.clone());
    let dir = tempfile::tempdir().unwrap();
    let plan = write_plan(dir.path(), &url, "json = \"/token\"", "");
    common::edit(
        &plan,
        "data = { file = \"users.csv\", per = \"user\" }",
        "data = { file = \"users.csv\", at_end = \"stop\" }",
    );
    let (code, out, err, res) = run(&plan);
    assert_eq!(code, 1, "{out}\n{err}");
    let f = std::fs::File::open(res.join("samples.csv")).unwrap();
    let all: Vec<_> = pace::results::sample::read_samples(f)
        .map(|r| r.unwrap())
        .collect();
    use pace::results::sample::Kind;
    // Five rows: five iterations in all, each one of the names, once.
    let iterations = all.iter().filter(|s| s.kind == Kind::Iteration).count();
    assert_eq!(iterations, 5);
    let logins = &seen.lock().unwrap().logins;
    assert_eq!(logins.len(), 5, "{logins:?}");
    let retired: Vec<_> = all.iter().filter(|s| s.kind == Kind::Retired).collect();
    assert_eq!(retired.len(), 4, "every user retired");
    let why = "test data exhausted: users.csv has 5 rows (at_end = \"stop\")";
    assert!(retired.iter().all(|r| r.error == why), "{retired:?}");
    assert_eq!(err.matches(why).count(), 1, "said once: {err}");
    assert!(out.contains("retired when the test data ran out"), "{out}");
}

#[test]
fn the_shipped_login_example_runs_against_a_server_that_logs_users_in() {
    // examples/login/ as docs/plan-format.md shows it, run for 4 s with the
    // overrides a trial run uses: every user logs in as its own row, and
    // reads its account with the token and the session cookie it got.
    let seen = Arc::new(Mutex::new(Seen::default()));
    let url = serve(seen.clone());
    let dir = tempfile::tempdir().unwrap();
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/login");
    for f in ["plan.toml", "users.csv"] {
        std::fs::copy(example.join(f), dir.path().join(f)).unwrap();
    }
    let base = format!("BASE_URL={url}");
    let (code, out, err) = common::pace(
        dir.path(),
        &[
            "run",
            "plan.toml",
            "--duration",
            "4s",
            "--var",
            &base,
            "--results-dir",
            "results",
            "--seed",
            "3",
            "--quiet",
        ],
    );
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(out.contains("PASS"), "{out}");
    let res = std::fs::read_dir(dir.path().join("results"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let steps = steps(&res);
    assert!(steps.iter().all(|s| s.ok), "{steps:?}");
    let accounts = steps.iter().filter(|s| &*s.name == "account").count() as u64;
    assert!(accounts >= 5, "{accounts} account requests");
    let s = seen.lock().unwrap();
    let want: HashSet<String> = NAMES.iter().map(|n| n.to_string()).collect();
    assert_eq!(s.logins, want, "per = \"user\": each user its own row");
    assert_eq!((s.accounts_ok, s.cookies_back), (accounts, accounts));
    assert!(
        summary(&res)["meta"]["overrides"]["var"]
            .get("BASE_URL")
            .is_some()
    );
}
