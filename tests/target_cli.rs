//! `pace target` as a user runs it: a child process serving on 127.0.0.1,
//! spoken to with a tiny HTTP/1.1 client over std::net.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, Command as StdCommand, Stdio};
use std::time::{Duration, Instant};

use assert_cmd::Command;
use predicates::prelude::*;

/// A running `pace target` child, killed on drop.
struct Target {
    child: Child,
    addr: SocketAddr,
    line: String,
}

impl Target {
    fn start(args: &[&str]) -> Target {
        let mut child = StdCommand::new(env!("CARGO_BIN_EXE_pace"))
            .arg("target")
            .args(["--port", "0"])
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut out = BufReader::new(child.stdout.take().unwrap());
        let mut line = String::new();
        out.read_line(&mut line).unwrap();
        // Keep the pipe open (and drained) for the life of the child.
        std::thread::spawn(move || {
            let _ = std::io::copy(&mut out, &mut std::io::sink());
        });
        let rest = line
            .strip_prefix("pace target: serving http://")
            .unwrap_or_else(|| panic!("unexpected startup line {line:?}"));
        let hostport = rest.split('/').next().unwrap();
        let addr: SocketAddr = hostport.parse().unwrap();
        assert!(addr.ip().is_loopback(), "{line}");
        Target {
            child,
            addr,
            line: line.trim_end().to_string(),
        }
    }

    fn client(&self) -> Client {
        Client::connect(self.addr)
    }
}

impl Drop for Target {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One keep-alive HTTP/1.1 connection.
struct Client {
    r: BufReader<TcpStream>,
}

struct Resp {
    status: u16,
    body: Vec<u8>,
    took: Duration,
}

impl Client {
    fn connect(addr: SocketAddr) -> Client {
        let s = TcpStream::connect(addr).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        s.set_nodelay(true).unwrap();
        Client {
            r: BufReader::new(s),
        }
    }

    fn get(&mut self, path: &str) -> Resp {
        self.request("GET", path, b"")
    }

    fn request(&mut self, method: &str, path: &str, body: &[u8]) -> Resp {
        let t0 = Instant::now();
        let head = format!(
            "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: {}\r\n\r\n",
            body.len()
        );
        let s = self.r.get_mut();
        s.write_all(head.as_bytes()).unwrap();
        s.write_all(body).unwrap();
        let mut line = String::new();
        self.r.read_line(&mut line).unwrap();
        let status: u16 = line
            .split(' ')
            .nth(1)
            .and_then(|c| c.parse().ok())
            .unwrap_or_else(|| panic!("bad status line {line:?}"));
        let mut len = None;
        loop {
            let mut h = String::new();
            self.r.read_line(&mut h).unwrap();
            let h = h.trim_end();
            if h.is_empty() {
                break;
            }
            let (k, v) = h.split_once(':').unwrap();
            if k.eq_ignore_ascii_case("content-length") {
                len = Some(v.trim().parse::<usize>().unwrap());
            }
        }
        let mut body = vec![0; len.expect("content-length")];
        self.r.read_exact(&mut body).unwrap();
        Resp {
            status,
            body,
            took: t0.elapsed(),
        }
    }
}

#[test]
fn startup_line_and_plain_answers() {
    let t = Target::start(&["--size", "123", "--latency", "20ms", "--error-rate", "1%"]);
    let want = format!(
        "pace target: serving http://{}/ latency fixed 20 ms, errors 1% (status 500), \
         200 OK with 123-byte body; Ctrl-C to stop",
        t.addr
    );
    assert_eq!(t.line, want);
    let mut c = t.client();
    // Several requests on one keep-alive connection, any method and path.
    for path in ["/", "/a/b?x=1", "/index.html"] {
        let r = c.get(path);
        assert!(r.status == 200 || r.status == 500, "{}", r.status);
        assert_eq!(r.body.len(), 123);
        assert!(r.body.iter().all(|&b| b == b'x'));
    }
    let r = c.request("POST", "/submit", &[b'y'; 5000]);
    assert_eq!(r.body.len(), 123);
    let r = c.get("/after-post");
    assert_eq!(r.body.len(), 123);
}

#[test]
fn defaults_describe_themselves() {
    let t = Target::start(&[]);
    assert!(
        t.line.ends_with(
            "/ latency fixed 0 ms, no errors, 200 OK with 100-byte body; Ctrl-C to stop"
        ),
        "{}",
        t.line
    );
    let r = t.client().get("/");
    assert_eq!((r.status, r.body.len()), (200, 100));
}

#[test]
fn workers_describe_their_capacity() {
    let t = Target::start(&["--latency", "20ms", "--workers", "4", "--queue", "50"]);
    assert!(
        t.line.ends_with(
            "/ latency fixed 20 ms, no errors, 200 OK with 100-byte body, 4 workers, \
             queue 50, capacity 200/s; Ctrl-C to stop"
        ),
        "{}",
        t.line
    );
    let r = t.client().get("/");
    assert_eq!((r.status, r.body.len()), (200, 100));
}

#[test]
fn latency_flag_and_override() {
    let t = Target::start(&["--latency", "50ms"]);
    let mut c = t.client();
    let r = c.get("/");
    assert_eq!(r.status, 200);
    assert!(r.took >= Duration::from_millis(50), "{:?}", r.took);
    let r = c.get("/slow?latency=200ms");
    assert_eq!(r.status, 200);
    assert!(r.took >= Duration::from_millis(200), "{:?}", r.took);
    let r = c.get("/slow?latency=uniform%3A210ms..220ms");
    assert!(r.took >= Duration::from_millis(210), "{:?}", r.took);
    // A zero override is quick even though the default is 50 ms.
    let fastest = (0..5).map(|_| c.get("/?latency=0").took).min().unwrap();
    assert!(fastest < Duration::from_millis(50), "{fastest:?}");
}

#[test]
fn seeded_error_rate_is_about_right() {
    let t = Target::start(&[
        "--error-rate",
        "20%",
        "--error-status",
        "503",
        "--seed",
        "7",
    ]);
    let mut c = t.client();
    let n = 400;
    let mut errors = 0;
    for _ in 0..n {
        let r = c.get("/");
        match r.status {
            200 => {}
            503 => errors += 1,
            other => panic!("unexpected status {other}"),
        }
        assert_eq!(r.body.len(), 100);
    }
    // Expected 80, standard deviation 8: the seed makes it repeatable and
    // the band is > 4 sigma wide either way.
    assert!((45..=115).contains(&errors), "{errors} errors in {n}");
    // The same seed on a fresh process gives the same sequence.
    let t2 = Target::start(&[
        "--error-rate",
        "20%",
        "--error-status",
        "503",
        "--seed",
        "7",
    ]);
    let mut c2 = t2.client();
    let again = (0..n).filter(|_| c2.get("/").status == 503).count();
    assert_eq!(again, errors);
}

#[test]
fn query_overrides() {
    let t = Target::start(&["--error-rate", "0.5"]);
    let mut c = t.client();
    let r = c.get("/?status=418&size=5&error_rate=0");
    assert_eq!((r.status, r.body.as_slice()), (418, &b"xxxxx"[..]));
    let r = c.get("/?size=0&error_rate=0");
    assert_eq!((r.status, r.body.len()), (200, 0));
    let r = c.get("/?size=200000&error_rate=0");
    assert_eq!(r.body.len(), 200_000);
    let r = c.get("/?error_rate=100%25");
    assert_eq!(r.status, 500);
    for (q, key) in [
        ("latency=soon", "latency"),
        ("latency=uniform:3s..1s", "latency"),
        ("status=abc", "status"),
        ("status=1000", "status"),
        ("size=-1", "size"),
        ("error_rate=3", "error_rate"),
    ] {
        let r = c.get(&format!("/?{q}"));
        assert_eq!(r.status, 400, "{q}");
        let msg = String::from_utf8(r.body).unwrap();
        assert!(
            msg.starts_with(&format!("bad query parameter {key}: ")),
            "{q}: {msg}"
        );
        assert_eq!(msg.trim_end().lines().count(), 1, "{msg}");
    }
    // The connection is still usable after 400s.
    let r = c.get("/?error_rate=0");
    assert_eq!(r.status, 200);
}

#[test]
fn bad_flags_exit_2_naming_the_flag() {
    for (args, flag) in [
        (&["--latency", "gamma:1s"][..], "--latency"),
        (&["--latency", "-5ms"], "--latency"),
        (&["--latency", "uniform:30ms..10ms"], "--latency"),
        (&["--error-rate", "150%"], "--error-rate"),
        (&["--error-rate", "often"], "--error-rate"),
        (&["--status", "99"], "--status"),
        (&["--error-status", "600"], "--error-status"),
        (&["--size", "big"], "--size"),
        (&["--port", "70000"], "--port"),
        (&["--seed", "-1"], "--seed"),
        (&["--workers", "0"], "--workers"),
        (&["--workers", "four"], "--workers"),
        (&["--workers", "2", "--queue", "-1"], "--queue"),
        (&["--queue", "10"], "--workers"),
    ] {
        let out = Command::cargo_bin("pace")
            .unwrap()
            .arg("target")
            .args(args)
            .timeout(Duration::from_secs(10))
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(flag), "{args:?}: {err}");
        assert_eq!(err.trim_end().lines().count(), 1, "{args:?}: {err}");
        assert!(out.stdout.is_empty(), "{args:?}");
    }
}

#[test]
fn port_in_use_exits_2() {
    let busy = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = busy.local_addr().unwrap().port().to_string();
    Command::cargo_bin("pace")
        .unwrap()
        .args(["target", "--port", &port])
        .timeout(Duration::from_secs(10))
        .assert()
        .code(2)
        .stdout(predicate::str::is_empty())
        .stderr(predicate::str::contains(format!("--port {port}")))
        .stderr(predicate::str::contains("already in use"));
}

#[cfg(unix)]
#[test]
fn sigterm_stops_with_exit_0() {
    let mut t = Target::start(&[]);
    assert_eq!(t.client().get("/").status, 200);
    let ok = StdCommand::new("kill")
        .args(["-TERM", &t.child.id().to_string()])
        .status()
        .unwrap();
    assert!(ok.success());
    let t0 = Instant::now();
    let status = loop {
        if let Some(s) = t.child.try_wait().unwrap() {
            break s;
        }
        assert!(t0.elapsed() < Duration::from_secs(5), "still running");
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(status.code(), Some(0));
}

#[test]
fn in_process_start_and_shutdown() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let cfg = pace::target::TargetConfig {
        latency: "uniform:1ms..2ms".parse().unwrap(),
        size: 42,
        seed: Some(1),
        ..Default::default()
    };
    let t = rt.block_on(pace::target::start(cfg, 0)).unwrap();
    let url = t.base_url();
    assert_eq!(url, format!("http://127.0.0.1:{}", t.addr.port()));
    let mut c = Client::connect(t.addr);
    for _ in 0..10 {
        let r = c.get("/");
        assert_eq!((r.status, r.body.len()), (200, 42));
        assert!(r.took >= Duration::from_millis(1));
    }
    assert_eq!(t.requests_served(), 10);
    drop(c);
    // The listening socket is ours while the target runs; after shutdown
    // this process must no longer hold it. (Connecting to the port proves
    // nothing: another test may own the port by then, and a connect to a
    // free loopback port can even connect to itself.)
    let listener = listener_inode(t.addr.port()).expect("the target listens");
    assert!(holds_socket(listener));
    let t0 = Instant::now();
    rt.block_on(t.shutdown());
    assert!(t0.elapsed() < Duration::from_secs(3));
    assert!(!holds_socket(listener), "the listener is still open");
}

/// The inode of the TCP socket listening on `port` (Linux: /proc/net/tcp,
/// whose 4th field is the state, 0A = LISTEN, and 10th the inode).
fn listener_inode(port: u16) -> Option<u64> {
    let text = std::fs::read_to_string("/proc/net/tcp").ok()?;
    text.lines().skip(1).find_map(|line| {
        let f: Vec<&str> = line.split_whitespace().collect();
        let (_, p) = f.get(1)?.split_once(':')?;
        let listening = u16::from_str_radix(p, 16).ok()? == port && *f.get(3)? == "0A";
        listening.then(|| f.get(9)?.parse().ok()).flatten()
    })
}

/// Whether this process has the socket with `inode` open.
fn holds_socket(inode: u64) -> bool {
    let want = format!("socket:[{inode}]");
    std::fs::read_dir("/proc/self/fd")
        .expect("/proc/self/fd")
        .flatten()
        .any(|e| std::fs::read_link(e.path()).is_ok_and(|l| l.to_str() == Some(want.as_str())))
}

/// `pace run` against an embedded target with c = 2 workers and a 50 ms
/// service time, N = 8 users back to back: beyond saturation the target
/// completes X = c/S = 40/s (2400 per minute) and, by Little's law, each
/// request takes R = N·S/c = 200 ms, four times its service time. The
/// lower limits are exact (workers cannot beat c/S); the others allow a
/// loaded machine's scheduling delays without letting a target without
/// workers (X = N/S = 160/s, R = S) pass.
#[test]
fn a_run_against_workers_meets_the_capacity() {
    let d = tempfile::tempdir().unwrap();
    let plan = d.path().join("plan.toml");
    std::fs::write(
        &plan,
        r#"[target.embedded]
latency = "50ms"
workers = 2
queue = 100

[run]
duration = "3s"
ramp_up = "0s"
ts_interval = "1s"
grace = "2s"

[[group]]
name = "closed"
users = 8

[group.pacing]
mode = "none"

[[group.step]]
name = "home"
url = "${PACE_TARGET}/"
"#,
    )
    .unwrap();
    let out = Command::cargo_bin("pace")
        .unwrap()
        .args(["run", "-q", "--results-dir"])
        .arg(d.path().join("results"))
        .arg(&plan)
        .timeout(Duration::from_secs(60))
        .output()
        .unwrap();
    // No rate and no threshold: nothing judged (exit 4), but measured.
    assert_eq!(
        out.status.code(),
        Some(4),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let run = std::fs::read_dir(d.path().join("results"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let s: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(run.join("summary.json")).unwrap()).unwrap();
    let x = s["achieved"]["tpm"].as_f64().unwrap() / 60.0;
    // Transactions are counted by their iteration's start, so up to N
    // requests begun before the end and finished after it count too: at
    // most N / window = 8/3 per second above c/S.
    assert!(
        (0.8 * 40.0..=40.0 + 8.0 / 3.0 + 0.1).contains(&x),
        "X = {x}/s"
    );
    assert_eq!(s["achieved"]["errors"].as_u64(), Some(0), "{s}");
    let r = s["timers"]["home"]["avg"].as_f64().unwrap();
    assert!((0.9 * 0.2..=1.25 * 0.2 + 0.02).contains(&r), "R = {r}");
}

/// `target-half-open-connections-kept` (issue 23): a connection that sends
/// half a request head, one that sends nothing, and one left idle after an
/// answer are all closed once `--idle-timeout` passes, and the target goes
/// on answering others. Each read is bounded by a 10 s socket timeout.
#[test]
fn silent_half_open_and_idle_connections_are_closed() {
    let t = Target::start(&["--idle-timeout", "1s"]);
    let closed_within = |mut s: TcpStream| -> Duration {
        let t0 = Instant::now();
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        let mut buf = [0u8; 4096];
        loop {
            match s.read(&mut buf) {
                Ok(0) => return t0.elapsed(),
                Ok(_) => {}
                // A reset is a close too.
                Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => {
                    return t0.elapsed();
                }
                Err(e) => panic!("still open after {:?}: {e}", t0.elapsed()),
            }
        }
    };
    let mut half = TcpStream::connect(t.addr).unwrap();
    half.write_all(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        .unwrap();
    let silent = TcpStream::connect(t.addr).unwrap();
    let mut idle = t.client();
    assert_eq!(idle.get("/").status, 200);
    let idle = idle.r.into_inner();
    for (name, s) in [("half", half), ("silent", silent), ("idle", idle)] {
        let took = closed_within(s);
        assert!(took < Duration::from_secs(5), "{name}: {took:?}");
    }
    assert_eq!(t.client().get("/").status, 200, "still serving");
}
