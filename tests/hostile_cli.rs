//! A hostile target cannot exhaust pace: huge and endless bodies are
//! streamed and counted in bounded memory, a checked body is capped by the
//! step's `max_body`, and trickling, resetting, garbage-speaking and
//! redirect-looping servers are measured as errors. Every server is started
//! by the test on 127.0.0.1; every run is bounded to seconds.

mod common;

use common::{copy_tree, only_results_dir};
use pace::results::sample::{ErrorKind, Kind, Sample, read_samples};
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::os::fd::AsRawFd;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// What a test server does with one request on `conn` (whose head has been
/// read); true to wait for the next request on the same connection.
type Answer = Arc<dyn Fn(&mut TcpStream) -> bool + Send + Sync>;

/// Serves `answer` on 127.0.0.1, a thread per connection; returns the base
/// URL. Threads end when pace closes the connection (a write fails) or with
/// the test process.
fn serve(answer: Answer) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(mut conn) = conn else { return };
            let answer = answer.clone();
            std::thread::spawn(move || {
                let _ = conn.set_nodelay(true);
                let mut r = BufReader::new(conn.try_clone().unwrap());
                while read_head(&mut r) && answer(&mut conn) {}
            });
        }
    });
    format!("http://{addr}")
}

/// Reads a request head up to its empty line; false at EOF or on an error.
fn read_head(r: &mut BufReader<TcpStream>) -> bool {
    let mut line = String::new();
    loop {
        line.clear();
        match r.read_line(&mut line) {
            Ok(0) | Err(_) => return false,
            Ok(_) if line == "\r\n" => return true,
            Ok(_) => {}
        }
    }
}

/// 64 KiB chunks of `c`, for ever (the case's server.py, with smaller chunks).
fn endless() -> Answer {
    Arc::new(|conn: &mut TcpStream| {
        let mut frame = b"10000\r\n".to_vec();
        frame.extend(std::iter::repeat_n(b'c', 1 << 16));
        frame.extend_from_slice(b"\r\n");
        if conn
            .write_all(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
            .is_err()
        {
            return false;
        }
        while conn.write_all(&frame).is_ok() {}
        false
    })
}

/// A body of exactly `n` bytes of `s`, announced by Content-Length.
fn sized(n: u64) -> Answer {
    Arc::new(move |conn: &mut TcpStream| {
        let block = vec![b's'; 1 << 16];
        let head = format!("HTTP/1.1 200 OK\r\nContent-Length: {n}\r\n\r\n");
        if conn.write_all(head.as_bytes()).is_err() {
            return false;
        }
        let mut left = n;
        while left > 0 {
            let k = left.min(block.len() as u64) as usize;
            if conn.write_all(&block[..k]).is_err() {
                return false;
            }
            left -= k as u64;
        }
        true
    })
}

/// A 25-byte chunked body whose "Welcome home" is cut by a chunk boundary
/// (and by a pause, so the two halves arrive in different reads).
fn split_needle() -> Answer {
    Arc::new(|conn: &mut TcpStream| {
        let parts: [&[u8]; 3] = [
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\na\r\n<html>Welc\r\n",
            b"f\r\nome home</html>\r\n",
            b"0\r\n\r\n",
        ];
        for (i, p) in parts.iter().enumerate() {
            if i > 0 {
                std::thread::sleep(Duration::from_millis(30));
            }
            if conn.write_all(p).is_err() {
                return false;
            }
        }
        true
    })
}

/// 100 announced bytes, one every 100 ms.
fn trickle() -> Answer {
    Arc::new(|conn: &mut TcpStream| {
        if conn
            .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n")
            .is_err()
        {
            return false;
        }
        for _ in 0..100 {
            std::thread::sleep(Duration::from_millis(100));
            if conn.write_all(b"t").is_err() {
                return false;
            }
        }
        true
    })
}

/// Half a status line, then a TCP reset (SO_LINGER 0 and close).
fn reset() -> Answer {
    Arc::new(|conn: &mut TcpStream| {
        let _ = conn.write_all(b"HTTP/1.1 200 OK\r\nContent-Le");
        let linger = libc::linger {
            l_onoff: 1,
            l_linger: 0,
        };
        // SAFETY: a valid socket and a correctly sized option value.
        let rc = unsafe {
            libc::setsockopt(
                conn.as_raw_fd(),
                libc::SOL_SOCKET,
                libc::SO_LINGER,
                (&linger as *const libc::linger).cast(),
                std::mem::size_of::<libc::linger>() as libc::socklen_t,
            )
        };
        assert_eq!(rc, 0, "SO_LINGER");
        false
    })
}

/// Not HTTP at all.
fn garbage() -> Answer {
    Arc::new(|conn: &mut TcpStream| {
        let _ = conn.write_all(b"SSH-2.0-OpenSSH_9.6\r\n\x00\x01\x02\xff garbage\r\n\r\n");
        false
    })
}

/// A redirect to itself, for ever.
fn redirect_loop() -> Answer {
    Arc::new(|conn: &mut TcpStream| {
        conn.write_all(b"HTTP/1.1 302 Found\r\nLocation: /again\r\nContent-Length: 0\r\n\r\n")
            .is_ok()
    })
}

struct Measured {
    code: i32,
    out: String,
    err: String,
    /// The child's peak resident set, MiB (the kernel's `ru_maxrss`).
    peak_rss_mib: f64,
}

/// Runs `pace ARGS` in `cwd`, bounded to a minute, and reaps it with
/// `wait4`, which gives this one child's peak RSS whatever else the test
/// process runs in parallel.
// The child is reaped by `wait4`, not `Child::wait`.
#[allow(clippy::zombie_processes)]
fn pace_measured(cwd: &Path, args: &[&str]) -> Measured {
    let (out_path, err_path) = (cwd.join("pace.stdout"), cwd.join("pace.stderr"));
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_pace"))
        .current_dir(cwd)
        .args(args)
        .stdout(std::fs::File::create(&out_path).unwrap())
        .stderr(std::fs::File::create(&err_path).unwrap())
        .spawn()
        .unwrap();
    let pid = child.id() as libc::pid_t;
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut killed = false;
    let mut status = 0;
    // SAFETY: rusage is plain data; all-zero is a valid value.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    loop {
        let flags = if killed { 0 } else { libc::WNOHANG };
        // SAFETY: our own child's pid and valid out-pointers.
        let r = unsafe { libc::wait4(pid, &mut status, flags, &mut usage) };
        if r == pid {
            break;
        }
        assert_eq!(r, 0, "wait4: {}", std::io::Error::last_os_error());
        if Instant::now() > deadline {
            // SAFETY: signalling our own child, not yet reaped.
            unsafe { libc::kill(pid, libc::SIGKILL) };
            killed = true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(!killed, "pace ran for more than a minute");
    let code = if libc::WIFEXITED(status) {
        libc::WEXITSTATUS(status)
    } else {
        -libc::WTERMSIG(status)
    };
    let peak_rss_mib = usage.ru_maxrss as f64 / 1024.0;
    eprintln!(
        "pace {}: exit {code}, peak RSS {peak_rss_mib:.1} MiB",
        args.join(" ")
    );
    Measured {
        code,
        out: std::fs::read_to_string(out_path).unwrap(),
        err: std::fs::read_to_string(err_path).unwrap(),
        peak_rss_mib,
    }
}

/// A plan of one group of `users` running `steps` (TOML `[[group.step]]`
/// tables), in a new temporary folder.
fn plan_dir(users: u32, pacing: &str, run: &str, steps: &str) -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(
        tmp.path().join("plan.toml"),
        format!(
            "[run]\n{run}\nts_interval = \"1s\"\n\n[[group]]\nname = \"g\"\nusers = {users}\n\
             pacing = {pacing}\n\n{steps}"
        ),
    )
    .unwrap();
    tmp
}

fn step(name: &str, url: &str, extra: &str) -> String {
    format!("[[group.step]]\nname = \"{name}\"\nurl = \"{url}/\"\n{extra}\n\n")
}

/// The step rows of a results folder.
fn step_rows(res: &Path) -> Vec<Sample> {
    read_samples(std::fs::File::open(res.join("samples.csv")).unwrap())
        .map(|r| r.unwrap())
        .filter(|s| s.kind == Kind::Step)
        .collect()
}

fn rows_of<'a>(rows: &'a [Sample], name: &str) -> Vec<&'a Sample> {
    let v: Vec<_> = rows.iter().filter(|s| &*s.name == name).collect();
    assert!(!v.is_empty(), "no rows of step {name}");
    v
}

/// Generous: the streamed run takes ~15 MiB; buffering bodies (the bug)
/// takes hundreds. The exact figure is in docs/performance.md.
const RSS_LIMIT_MIB: f64 = 200.0;

/// `unbounded-body-memory`: every request is answered with an endless
/// chunked body. pace buffered it whole (≈1 GB/s per user) and was killed
/// by its memory limit with no reports. Now each step reads until its
/// timeout in bounded memory, counts what came, and the run ends normally.
#[test]
fn an_endless_body_runs_to_the_timeout_in_bounded_memory() {
    let url = serve(endless());
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("case");
    copy_tree(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/cases/unbounded-body-memory"),
        &dir,
    );
    // The case's Python server is the one above; its 10 s run and 10 s
    // default timeout are shortened so the test takes seconds.
    let plan = dir.join("plan.toml");
    let text = std::fs::read_to_string(&plan).unwrap();
    let text = text
        .replace(
            "url = \"http://127.0.0.1:18191/\"",
            &format!("url = \"{url}/\"\ntimeout = \"1s\""),
        )
        .replace("duration = \"10s\"", "duration = \"2s\"");
    assert!(text.contains("timeout = \"1s\"") && text.contains("\"2s\""));
    std::fs::write(&plan, text).unwrap();

    let m = pace_measured(
        &dir,
        &["run", "plan.toml", "--quiet", "--results-dir", "out"],
    );
    // A FAIL verdict (nothing succeeded), not an abort.
    assert_eq!(m.code, 1, "{}{}", m.out, m.err);
    assert!(
        m.peak_rss_mib < RSS_LIMIT_MIB,
        "peak RSS {:.1} MiB",
        m.peak_rss_mib
    );
    let res = only_results_dir(&dir.join("out"));
    for f in ["summary.json", "results.jtl", "junit.xml", "report.html"] {
        assert!(res.join(f).exists(), "{f}");
    }
    let rows = step_rows(&res);
    assert!(rows.len() >= 2, "{rows:?}");
    for s in &rows {
        assert_eq!(s.error_kind, Some(ErrorKind::Timeout), "{s:?}");
        // What arrived before the timeout is counted, not thrown away.
        assert!(s.bytes > 0, "{s:?}");
    }
}

/// A 256 MiB body with no check is read to its end and counted to the byte
/// (samples.csv and the JTL), without ever being held.
#[test]
fn a_huge_body_is_counted_to_the_byte_not_held() {
    const N: u64 = 256 << 20;
    let url = serve(sized(N));
    let dir = plan_dir(
        1,
        "{ mode = \"after-end\", delay = \"10ms\" }",
        "duration = \"500ms\"\ngrace = \"30s\"",
        &step("big", &url, "timeout = \"30s\""),
    );
    let m = pace_measured(dir.path(), &["run", "plan.toml", "--results-dir", "out"]);
    // 4: no checks in the plan, and every step worked.
    assert_eq!(m.code, 4, "{}{}", m.out, m.err);
    assert!(
        m.peak_rss_mib < RSS_LIMIT_MIB,
        "peak RSS {:.1} MiB",
        m.peak_rss_mib
    );
    let res = only_results_dir(&dir.path().join("out"));
    let rows = step_rows(&res);
    assert!(!rows.is_empty());
    for s in &rows {
        assert!(s.ok, "{s:?}");
        assert_eq!(s.bytes, N, "{s:?}");
    }
    let mut jtl = csv::Reader::from_path(res.join("results.jtl")).unwrap();
    let col = jtl.headers().unwrap().iter().position(|h| h == "bytes");
    let col = col.expect("a bytes column");
    let url = jtl.headers().unwrap().iter().position(|h| h == "URL");
    let url = url.expect("a URL column");
    let mut n = 0;
    for r in jtl.records() {
        let r = r.unwrap();
        // A transaction (iteration) row sums its one step's bytes.
        assert_eq!(r[col].parse::<u64>().unwrap(), N);
        if &r[url] != "null" {
            n += 1;
        }
    }
    assert_eq!(n, rows.len());
}

/// A step that checks its body accepts 1 MiB by default (`max_body`): an
/// announced larger body fails before it is transferred, an endless one
/// after 1 MiB; `max_body` also bounds a step without a check.
#[test]
fn a_checked_body_is_capped_at_max_body() {
    let huge = serve(sized(200_000_000));
    let endless = serve(endless());
    let dir = plan_dir(
        1,
        "{ mode = \"after-end\", delay = \"100ms\" }",
        "duration = \"500ms\"\ngrace = \"30s\"",
        &[
            step(
                "announced",
                &huge,
                "timeout = \"30s\"\nexpect = { body_contains = \"s\" }",
            ),
            step(
                "endless",
                &endless,
                "timeout = \"30s\"\nexpect = { body_contains = \"needle\" }",
            ),
            step("capped", &endless, "timeout = \"30s\"\nmax_body = \"4MiB\""),
        ]
        .concat(),
    );
    let m = pace_measured(dir.path(), &["run", "plan.toml", "--results-dir", "out"]);
    assert_eq!(m.code, 1, "{}{}", m.out, m.err);
    let rows = step_rows(&only_results_dir(&dir.path().join("out")));
    for s in rows_of(&rows, "announced") {
        assert_eq!(s.error_kind, Some(ErrorKind::Io), "{s:?}");
        assert_eq!(
            s.error,
            "body too large: Content-Length is 200000000 bytes, the step's max_body is 1MiB"
        );
        assert_eq!(s.bytes, 0, "{s:?}");
    }
    for (name, max) in [("endless", 1u64 << 20), ("capped", 4 << 20)] {
        for s in rows_of(&rows, name) {
            assert_eq!(s.error_kind, Some(ErrorKind::Io), "{s:?}");
            assert!(s.error.starts_with("body too large: more than"), "{s:?}");
            // Stopped at the first chunk beyond the cap, not at the timeout.
            assert!(s.bytes > max && s.bytes < max + (1 << 20), "{s:?}");
            assert!(s.latency < 20.0, "{s:?}");
        }
    }
}

/// `body_contains` is found when a chunk boundary cuts it, and only then.
#[test]
fn a_needle_cut_by_a_chunk_boundary_is_found() {
    let url = serve(split_needle());
    let dir = plan_dir(
        1,
        "{ mode = \"after-end\", delay = \"100ms\" }",
        "duration = \"300ms\"\ngrace = \"10s\"",
        &[
            step(
                "found",
                &url,
                "timeout = \"5s\"\nexpect = { body_contains = \"Welcome home\" }",
            ),
            step(
                "absent",
                &url,
                "timeout = \"5s\"\nexpect = { body_contains = \"Welcome hom3\" }",
            ),
        ]
        .concat(),
    );
    let m = pace_measured(dir.path(), &["run", "plan.toml", "--results-dir", "out"]);
    assert!(matches!(m.code, 1 | 4), "{}{}", m.out, m.err);
    let rows = step_rows(&only_results_dir(&dir.path().join("out")));
    for s in rows_of(&rows, "found") {
        assert!(s.ok, "{s:?}");
        assert_eq!(s.bytes, 25, "{s:?}");
    }
    for s in rows_of(&rows, "absent") {
        assert_eq!(s.error_kind, Some(ErrorKind::Expectation), "{s:?}");
        assert_eq!(s.error, "body does not contain 'Welcome hom3'");
        assert_eq!(s.bytes, 25, "{s:?}");
    }
}

/// A trickling body times out with what came counted; a reset, garbage
/// instead of HTTP and a redirect loop are `io` errors. None of them stops
/// the run.
#[test]
fn trickles_resets_garbage_and_redirect_loops_are_errors() {
    let dir = plan_dir(
        1,
        "{ mode = \"after-end\", delay = \"100ms\" }",
        "duration = \"500ms\"\ngrace = \"10s\"",
        &[
            step("trickle", &serve(trickle()), "timeout = \"1s\""),
            step("reset", &serve(reset()), "timeout = \"5s\""),
            step("garbage", &serve(garbage()), "timeout = \"5s\""),
            step("redirects", &serve(redirect_loop()), "timeout = \"5s\""),
        ]
        .concat(),
    );
    let m = pace_measured(dir.path(), &["run", "plan.toml", "--results-dir", "out"]);
    assert_eq!(m.code, 1, "{}{}", m.out, m.err);
    let rows = step_rows(&only_results_dir(&dir.path().join("out")));
    let trickled = rows_of(&rows, "trickle");
    for s in &trickled {
        assert_eq!(s.error_kind, Some(ErrorKind::Timeout), "{s:?}");
        assert!(s.bytes < 100, "{s:?}");
    }
    assert!(trickled.iter().any(|s| s.bytes > 0), "{trickled:?}");
    for (name, says) in [
        ("reset", "reset"),
        ("garbage", "invalid"),
        ("redirects", "redirect"),
    ] {
        for s in rows_of(&rows, name) {
            assert_eq!(s.error_kind, Some(ErrorKind::Io), "{s:?}");
            assert!(s.error.to_lowercase().contains(says), "{s:?}");
        }
    }
}
