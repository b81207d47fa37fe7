//! A kept-alive connection the target closes as a request goes out on it
//! (`keepalive-idle-close-race`): an idempotent request is sent again
//! once, on a new connection, and counted as a reconnect, not an error; a
//! POST so lost is a `stale` error, never sent twice; a failure on a new
//! connection, or a timeout, stays the target's; through a proxy, the proxy
//! closing pace's connection is the same fault.
//!
//! The case's server closes connections idle for 0.98 s, and a request
//! meets the close only by chance. The servers here make it certain: they
//! answer the first request of a connection, and close it (FIN, or a reset)
//! when a later request arrives on it, as an idle-closing server does when
//! the close and the request cross. Every server is started by the test on
//! 127.0.0.1; no assertion depends on timing, only on counts.

mod common;

use common::{copy_tree, edit, only_results_dir, pace_env};
use pace::results::sample::{ErrorKind, Kind, Sample, read_samples};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// What a server does with request `n` (0-based) of connection `c`.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Act {
    /// `200 OK`, body `ok`, the connection kept alive.
    Answer,
    /// `303 See Other` to this location, kept alive.
    Redirect(&'static str),
    /// Reads the request, then closes the connection (FIN) unanswered.
    Close,
    /// Closes as soon as the request arrives, without reading it: the
    /// kernel answers the unread data with a reset (RST).
    Reset,
    /// Reads the request and never answers (until pace hangs up).
    Hang,
}

type Rule = Arc<dyn Fn(u64, u64) -> Act + Send + Sync>;

/// What a server saw: connections accepted, and the request line of every
/// request it read, in order.
#[derive(Default)]
struct Seen {
    connections: AtomicU64,
    requests: Mutex<Vec<String>>,
}

/// Serves `rule` on 127.0.0.1 (a thread per connection); returns the base
/// URL and what it saw. Threads end when pace hangs up, or with the test.
fn serve(rule: Rule) -> (String, Arc<Seen>) {
    serve_on(TcpListener::bind("127.0.0.1:0").unwrap(), rule)
}

fn serve_on(listener: TcpListener, rule: Rule) -> (String, Arc<Seen>) {
    let addr = listener.local_addr().unwrap();
    let seen = Arc::new(Seen::default());
    let s = seen.clone();
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(conn) = conn else { return };
            let c = s.connections.fetch_add(1, Ordering::SeqCst);
            let (rule, s) = (rule.clone(), s.clone());
            std::thread::spawn(move || connection(conn, c, &*rule, &s));
        }
    });
    (format!("http://{addr}"), seen)
}

fn connection(mut conn: TcpStream, c: u64, rule: &dyn Fn(u64, u64) -> Act, seen: &Seen) {
    let _ = conn.set_nodelay(true);
    let mut r = BufReader::new(conn.try_clone().unwrap());
    for n in 0.. {
        let act = rule(c, n);
        if act == Act::Reset {
            // Wait for the request's first bytes, leave them unread, close.
            let _ = r.fill_buf();
            return;
        }
        let Some(line) = read_request(&mut r) else {
            return;
        };
        seen.requests.lock().unwrap().push(line);
        let answer = match act {
            Act::Answer => "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok".to_string(),
            Act::Redirect(to) => {
                format!("HTTP/1.1 303 See Other\r\nLocation: {to}\r\nContent-Length: 0\r\n\r\n")
            }
            Act::Close => {
                let _ = conn.shutdown(std::net::Shutdown::Both);
                return;
            }
            Act::Hang => {
                // Until pace hangs up (its timeout) or the test ends.
                let mut sink = Vec::new();
                let _ = r.read_to_end(&mut sink);
                return;
            }
            Act::Reset => unreachable!("handled above"),
        };
        if conn.write_all(answer.as_bytes()).is_err() {
            return;
        }
    }
}

/// Reads one request (head, and a body of its Content-Length); returns
/// its request line, `None` at EOF or on an error.
fn read_request(r: &mut BufReader<TcpStream>) -> Option<String> {
    let mut first = String::new();
    let mut len = 0usize;
    let mut line = String::new();
    loop {
        line.clear();
        match r.read_line(&mut line) {
            Ok(0) | Err(_) => return None,
            Ok(_) if line == "\r\n" => break,
            Ok(_) => {}
        }
        if first.is_empty() {
            first = line.trim_end().to_string();
        } else if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
            len = v.trim().parse().ok()?;
        }
    }
    let mut body = vec![0u8; len];
    r.read_exact(&mut body).ok()?;
    Some(first)
}

/// Answers the first request of every connection; a later one on the same
/// connection meets `later` (the idle-closing server's race, every time).
fn first_only(later: Act) -> Rule {
    Arc::new(move |_, n| if n == 0 { Act::Answer } else { later })
}

/// A plan of one group of `users` with fixed pacing `interval` running
/// `steps`, for `duration`, in a new temporary folder.
fn plan_dir(users: u32, interval: &str, duration: &str, steps: &str) -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(
        tmp.path().join("plan.toml"),
        format!(
            "[run]\nduration = \"{duration}\"\nts_interval = \"1s\"\ngrace = \"5s\"\n\n\
             [[group]]\nname = \"api\"\nusers = {users}\n\
             pacing = {{ mode = \"fixed\", interval = \"{interval}\" }}\n\n{steps}\n\
             [acceptance]\nerror_rate = \"1%\"\n"
        ),
    )
    .unwrap();
    tmp
}

fn run(dir: &Path) -> (i32, String, std::path::PathBuf) {
    let (code, out, err) = pace_env(dir, &["run", "plan.toml", "--results-dir", "out"], &[]);
    (
        code,
        format!("{out}{err}"),
        only_results_dir(&dir.join("out")),
    )
}

fn step_rows(res: &Path) -> Vec<Sample> {
    read_samples(std::fs::File::open(res.join("samples.csv")).unwrap())
        .map(|r| r.unwrap())
        .filter(|s| s.kind == Kind::Step)
        .collect()
}

fn summary(res: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(res.join("summary.json")).unwrap()).unwrap()
}

/// The case: 4 users, one GET a second each, against a server that closes
/// kept-alive connections (here: every one, as a request arrives on it).
/// pace FAILed the healthy server on its own stale connections ("11.67 %
/// error rate", the target named as the cause). Now every GET lost that
/// way is sent again on a new connection: no error, PASS, and the count of
/// reconnects in samples.csv, summary.json, the console and report.html.
#[test]
fn keepalive_idle_close_race_gets_are_sent_again_and_pass() {
    for later in [Act::Close, Act::Reset] {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("case");
        copy_tree(
            &Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("tests/fixtures/cases/keepalive-idle-close-race"),
            &dir,
        );
        let (url, seen) = serve(first_only(later));
        let plan = dir.join("plan.toml");
        edit(
            &plan,
            "http://127.0.0.1:${PORT:-18433}/item",
            &format!("{url}/item"),
        );
        // 3 iterations per user instead of 15: the same faults, sooner.
        edit(&plan, "duration = \"15s\"", "duration = \"3s\"");
        let (code, out, res) = run(&dir);
        assert_eq!(code, 0, "{later:?}: {out}");
        assert!(out.contains("PASS"), "{out}");
        let rows = step_rows(&res);
        assert!(rows.len() >= 8, "{later:?}: {rows:?}");
        for s in &rows {
            assert!(s.ok, "{later:?}: {s:?}");
            assert!(
                s.connect > 0.0,
                "each answer came on a new connection: {s:?}"
            );
        }
        // Each user's first GET opened its connection; every later one met
        // the close on the kept-alive connection and was sent again.
        for u in 0..4 {
            let mine: Vec<_> = rows.iter().filter(|s| s.user == u).collect();
            assert_eq!(mine[0].reconnects, 0, "{:?}", mine[0]);
            for s in &mine[1..] {
                assert_eq!(s.reconnects, 1, "{later:?}: {s:?}");
            }
        }
        let reconnects: u64 = rows.iter().map(|s| u64::from(s.reconnects)).sum();
        assert_eq!(reconnects, rows.len() as u64 - 4);
        // The server: one connection per answer, and every lost request a
        // GET it saw once more on the next connection (Close reads them).
        assert_eq!(seen.connections.load(Ordering::SeqCst), rows.len() as u64);
        let s = summary(&res);
        assert_eq!(s["reconnects"], reconnects, "{s}");
        assert_eq!(s["whole_run"]["errors"], 0);
        let row: Vec<&str> = out
            .lines()
            .find(|l| l.contains("reconnects (kept-alive closed)"))
            .unwrap_or_else(|| panic!("a console row of reconnects: {out}"))
            .split('┆')
            .map(str::trim)
            .collect();
        assert_eq!(row[2], reconnects.to_string(), "{row:?}");
        let html = std::fs::read_to_string(res.join("report.html")).unwrap();
        assert!(
            html.contains(&format!(
                "{reconnects} requests sent again on a new connection"
            )),
            "report.html names the reconnects"
        );
        // Folded again from samples.csv (`pace report`), the count is the
        // same, whatever summary.json said.
        let mut wrong = summary(&res);
        wrong["reconnects"] = 999.into();
        std::fs::write(res.join("summary.json"), wrong.to_string()).unwrap();
        let (code, out, err) = pace_env(&dir, &["report", res.to_str().unwrap()], &[]);
        assert_eq!(code, 0, "{out}{err}");
        assert_eq!(summary(&res)["reconnects"], reconnects);
    }
}

/// A POST so lost is not sent again: a `stale` error that says so, never
/// the target's failure, and the server sees every POST once. The next
/// POST goes on a new connection and is answered.
#[test]
fn a_post_lost_on_a_kept_alive_connection_is_a_stale_error_sent_once() {
    let (url, seen) = serve(first_only(Act::Close));
    let dir = plan_dir(
        1,
        "100ms",
        "1s",
        &format!(
            "[[group.step]]\nname = \"order\"\nmethod = \"POST\"\nurl = \"{url}/order\"\n\
             body = \"{{}}\"\ntimeout = \"2s\"\n"
        ),
    );
    let (_, out, res) = run(dir.path());
    let rows = step_rows(&res);
    assert!(rows.len() >= 4, "{out}");
    let host = url.trim_start_matches("http://");
    for (i, s) in rows.iter().enumerate() {
        assert_eq!(s.reconnects, 0, "{s:?}");
        // New connection, answered; kept-alive one, closed: in turn.
        if i % 2 == 0 {
            assert!(s.ok, "{s:?}");
        } else {
            assert_eq!(s.error_kind, Some(ErrorKind::Stale), "{s:?}");
            assert_eq!(
                s.error,
                format!(
                    "{host} closed the kept-alive connection as the request was sent \
                     (a stale connection, not an answer of the target); POST is not retried"
                )
            );
        }
    }
    let stale = rows.iter().filter(|s| !s.ok).count() as u64;
    let posts = seen.requests.lock().unwrap().clone();
    assert_eq!(posts.len(), rows.len(), "each POST sent once: {posts:?}");
    assert!(posts.iter().all(|l| l.starts_with("POST /order ")));
    let s = summary(&res);
    assert_eq!(s["errors"]["stale"]["count"], stale, "{s}");
    assert_eq!(s["reconnects"], 0);
}

/// The rule's other side: a request that fails on a connection opened for
/// it is the target's failure, never sent again, and a retry that fails
/// too keeps the retry's error; a timeout on a kept-alive connection is a
/// timeout, not a stale connection.
#[test]
fn failures_on_new_connections_and_timeouts_stay_the_target_s() {
    // Connection 0 answers its first request and closes on the next; every
    // later connection closes on every request.
    let (url, _) = serve(Arc::new(|c, n| {
        if c == 0 && n == 0 {
            Act::Answer
        } else {
            Act::Close
        }
    }));
    let (hang, _) = serve(first_only(Act::Hang));
    let dir = plan_dir(
        1,
        "400ms",
        "2s",
        &format!(
            "[[group.step]]\nname = \"closing\"\nurl = \"{url}/\"\ntimeout = \"2s\"\n\n\
             [[group.step]]\nname = \"hanging\"\nurl = \"{hang}/\"\ntimeout = \"200ms\"\n"
        ),
    );
    let (code, out, res) = run(dir.path());
    assert_eq!(code, 1, "{out}");
    let rows = step_rows(&res);
    let closing: Vec<_> = rows.iter().filter(|s| &*s.name == "closing").collect();
    assert!(closing.len() >= 3, "{out}");
    assert!(closing[0].ok, "{:?}", closing[0]);
    // Lost on the kept-alive connection, sent again, and the new
    // connection closed too: the target's io error, with its reconnect.
    assert_eq!(
        closing[1].error_kind,
        Some(ErrorKind::Io),
        "{:?}",
        closing[1]
    );
    assert!(
        closing[1]
            .error
            .contains("closed the connection before answering")
    );
    assert_eq!(closing[1].reconnects, 1);
    // Then every request goes on a new connection: io, never sent again.
    for s in &closing[2..] {
        assert_eq!(s.error_kind, Some(ErrorKind::Io), "{s:?}");
        assert_eq!(s.reconnects, 0, "{s:?}");
    }
    let hanging: Vec<_> = rows.iter().filter(|s| &*s.name == "hanging").collect();
    assert!(hanging[0].ok, "{:?}", hanging[0]);
    for s in &hanging[1..] {
        if !s.ok {
            assert_eq!(s.error_kind, Some(ErrorKind::Timeout), "{s:?}");
        }
        assert_eq!(s.reconnects, 0, "{s:?}");
    }
    assert!(hanging.iter().any(|s| !s.ok), "{hanging:?}");
}

/// A redirect's follow-up request is judged on its own: a POST answered
/// 303 whose follow-up GET meets a closed kept-alive connection gets the
/// GET sent again (a reconnect), and the POST is never sent twice.
#[test]
fn a_redirect_follow_up_on_a_stale_connection_is_sent_again() {
    let (home, home_seen) = serve(first_only(Act::Close));
    let to: &'static str = Box::leak(format!("{home}/home").into_boxed_str());
    let (login, login_seen) = serve(Arc::new(move |_, _| Act::Redirect(to)));
    let dir = plan_dir(
        1,
        "200ms",
        "1s",
        &format!(
            "[[group.step]]\nname = \"login\"\nmethod = \"POST\"\nurl = \"{login}/login\"\n\
             body = \"user=a\"\ntimeout = \"2s\"\n"
        ),
    );
    let (code, out, res) = run(dir.path());
    assert_eq!(code, 0, "{out}");
    let rows = step_rows(&res);
    assert!(rows.len() >= 3, "{out}");
    assert_eq!(rows[0].reconnects, 0);
    for s in &rows {
        assert!(s.ok, "{s:?}");
        assert_eq!(s.status, 200);
    }
    for s in &rows[1..] {
        assert_eq!(s.reconnects, 1, "{s:?}");
    }
    // One POST per transaction; the GETs: one per transaction, plus each
    // lost one (the Close server reads it before closing).
    let posts = login_seen.requests.lock().unwrap().clone();
    assert_eq!(posts.len(), rows.len(), "{posts:?}");
    let gets = home_seen.requests.lock().unwrap().clone();
    assert_eq!(gets.len(), 2 * rows.len() - 1, "{gets:?}");
    assert!(gets.iter().all(|l| l.starts_with("GET /home ")), "{gets:?}");
}

/// Through a proxy, pace's connection is to the proxy: the proxy closing
/// it under a request is the same fault. A GET is sent again; a POST's
/// `stale` error names the proxy and the target it stood for.
#[test]
fn a_proxy_closing_a_kept_alive_connection_is_the_same_fault() {
    let (proxy, seen) = serve(first_only(Act::Close));
    let tmp = tempfile::tempdir().unwrap();
    // Two groups, so each user's connection to the proxy carries one
    // method. The target, port 9, is never reached: the proxy answers.
    std::fs::write(
        tmp.path().join("plan.toml"),
        "[run]\nduration = \"1s\"\nts_interval = \"1s\"\ngrace = \"5s\"\n\n\
         [[group]]\nname = \"reads\"\nusers = 1\n\
         pacing = { mode = \"fixed\", interval = \"200ms\" }\n\
         [[group.step]]\nname = \"read\"\nurl = \"http://127.0.0.1:9/r\"\ntimeout = \"2s\"\n\n\
         [[group]]\nname = \"writes\"\nusers = 1\n\
         pacing = { mode = \"fixed\", interval = \"200ms\" }\n\
         [[group.step]]\nname = \"write\"\nmethod = \"POST\"\nurl = \"http://127.0.0.1:9/w\"\n\
         body = \"x\"\ntimeout = \"2s\"\n",
    )
    .unwrap();
    let (_, out, err) = pace_env(
        tmp.path(),
        &["run", "plan.toml", "--results-dir", "out"],
        &[("HTTP_PROXY", &proxy)],
    );
    let res = only_results_dir(&tmp.path().join("out"));
    let rows = step_rows(&res);
    let reads: Vec<_> = rows.iter().filter(|s| &*s.name == "read").collect();
    let writes: Vec<_> = rows.iter().filter(|s| &*s.name == "write").collect();
    assert!(reads.len() >= 3 && writes.len() >= 3, "{out}{err}");
    for (i, s) in reads.iter().enumerate() {
        assert!(s.ok, "{s:?}");
        assert_eq!(s.reconnects, u32::from(i > 0), "{s:?}");
    }
    let proxy = proxy.trim_start_matches("http://");
    for s in writes.iter().skip(1).step_by(2) {
        assert_eq!(s.error_kind, Some(ErrorKind::Stale), "{s:?}");
        assert_eq!(
            s.error,
            format!(
                "the proxy {proxy} closed the kept-alive connection as the request was sent \
                 (a stale connection, not an answer of the target); POST is not retried \
                 (the proxy for 127.0.0.1:9)"
            )
        );
    }
    // Every request went to the proxy, in absolute form.
    let lines = seen.requests.lock().unwrap().clone();
    assert!(
        lines.iter().all(|l| l.contains(" http://127.0.0.1:9/")),
        "{lines:?}"
    );
}
