//! The HTTP side of the embedded target: accept loop, per-connection service
//! and graceful shutdown.

use std::borrow::Cow;
use std::cell::RefCell;
use std::convert::Infallible;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use super::gate::Gate;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::{Body, Incoming};
use hyper::header::{CONTENT_TYPE, HeaderValue};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use rand::rngs::Xoshiro256PlusPlus;
use rand::{RngExt, SeedableRng};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Semaphore, mpsc, watch};
use tokio::task::JoinHandle;

use super::{Latency, MAX_SIZE, TargetConfig, parse_error_rate, parse_size, parse_status};

/// How long [`RunningTarget::shutdown`] lets in-flight requests finish
/// before their connections are dropped.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(1);

/// Bodies up to this size (or the configured size, if larger) are slices of
/// one prebuilt buffer, so a `?size=` override does not allocate either.
const PREBUILT: usize = 64 * 1024;

struct Shared {
    latency: Latency,
    error_rate: f64,
    status: StatusCode,
    error_status: StatusCode,
    /// `size` bytes of `x`, a slice of `prebuilt`.
    body: Bytes,
    prebuilt: Bytes,
    served: AtomicU64,
    /// With `workers`: who may be served now, and who may wait.
    gate: Option<Gate>,
    /// TargetConfig::idle_timeout.
    idle_timeout: Duration,
}

/// A target serving on 127.0.0.1. Dropping it stops accepting and closes
/// connections as their current request completes; [`shutdown`](Self::shutdown)
/// does the same and waits for it.
pub struct RunningTarget {
    /// The bound address (always 127.0.0.1).
    pub addr: SocketAddr,
    shared: Arc<Shared>,
    /// `Some(grace)` once shutting down.
    stop: watch::Sender<Option<Duration>>,
    accept: JoinHandle<()>,
    /// Yields `None` once every connection task has ended.
    conns_done: mpsc::Receiver<()>,
}

impl RunningTarget {
    /// `http://127.0.0.1:PORT`, without a trailing slash.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Responses completed so far (including 400s for bad overrides).
    pub fn requests_served(&self) -> u64 {
        self.shared.served.load(Ordering::Relaxed)
    }

    /// Stops accepting, lets in-flight requests finish for up to
    /// [`SHUTDOWN_GRACE`], then returns with every connection closed.
    pub async fn shutdown(self) {
        self.shutdown_with_grace(SHUTDOWN_GRACE).await;
    }

    /// [`shutdown`](Self::shutdown) with a chosen grace period.
    pub async fn shutdown_with_grace(mut self, grace: Duration) {
        self.stop.send_replace(Some(grace));
        let _ = self.accept.await;
        // Connection tasks enforce the grace themselves (they read it from
        // the watch channel); the outer timeout is a safety net.
        let wait = async { while self.conns_done.recv().await.is_some() {} };
        let _ = tokio::time::timeout(grace + Duration::from_millis(500), wait).await;
    }
}

/// Binds 127.0.0.1:`port` (0 picks a free port) and serves `cfg` from tasks
/// on the current tokio runtime (must be called inside one). Fails with
/// `InvalidInput` if `cfg` does not validate, or with the bind error (e.g.
/// `AddrInUse`).
pub async fn start(cfg: TargetConfig, port: u16) -> std::io::Result<RunningTarget> {
    cfg.validate().map_err(|(key, e)| {
        std::io::Error::new(std::io::ErrorKind::InvalidInput, format!("{key}: {e}"))
    })?;
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, port)).await?;
    let addr = listener.local_addr()?;
    let prebuilt = Bytes::from(vec![b'x'; cfg.size.max(PREBUILT)]);
    let shared = Arc::new(Shared {
        latency: cfg.latency,
        error_rate: cfg.error_rate,
        status: StatusCode::from_u16(cfg.status).expect("validated status"),
        error_status: StatusCode::from_u16(cfg.error_status).expect("validated status"),
        body: prebuilt.slice(..cfg.size),
        prebuilt,
        served: AtomicU64::new(0),
        gate: cfg.workers.map(|c| Gate {
            permits: Arc::new(Semaphore::new(c)),
            waiting: AtomicUsize::new(0),
            queue: cfg.queue,
        }),
        idle_timeout: cfg.idle_timeout,
    });
    let (stop, stop_rx) = watch::channel(None);
    let (done_tx, conns_done) = mpsc::channel(1);
    let accept = tokio::spawn(accept_loop(
        listener,
        shared.clone(),
        cfg.seed,
        stop_rx,
        done_tx,
    ));
    Ok(RunningTarget {
        addr,
        shared,
        stop,
        accept,
        conns_done,
    })
}

async fn accept_loop(
    listener: TcpListener,
    shared: Arc<Shared>,
    seed: Option<u64>,
    mut stop: watch::Receiver<Option<Duration>>,
    done: mpsc::Sender<()>,
) {
    let mut n: u64 = 0;
    loop {
        tokio::select! {
            biased;
            // A send or the sender's drop both mean stop.
            _ = stop.changed() => break,
            r = listener.accept() => match r {
                Ok((stream, _)) => {
                    let rng = match seed {
                        Some(s) => Xoshiro256PlusPlus::seed_from_u64(
                            s ^ n.wrapping_mul(0x9E37_79B9_7F4A_7C15),
                        ),
                        None => rand::make_rng(),
                    };
                    n += 1;
                    tokio::spawn(serve_conn(
                        stream,
                        shared.clone(),
                        rng,
                        stop.clone(),
                        done.clone(),
                    ));
                }
                // Out of file descriptors and the like: back off, keep going.
                Err(_) => tokio::time::sleep(Duration::from_millis(20)).await,
            },
        }
    }
}

async fn serve_conn(
    stream: TcpStream,
    shared: Arc<Shared>,
    rng: Xoshiro256PlusPlus,
    mut stop: watch::Receiver<Option<Duration>>,
    _done: mpsc::Sender<()>,
) {
    let _ = stream.set_nodelay(true);
    let shared_idle = shared.idle_timeout;
    let rng = RefCell::new(rng);
    let svc = service_fn(move |req: Request<Incoming>| {
        let prepared = prepare(&shared, &mut rng.borrow_mut(), req.uri().query());
        let shared = shared.clone();
        let body = req.into_body();
        async move {
            let (delay, status, payload) = match prepared {
                Ok(p) => p,
                Err(msg) => (Duration::ZERO, StatusCode::BAD_REQUEST, Bytes::from(msg)),
            };
            drain(body).await;
            // A refused override (400) is answered at once, without a worker.
            let (permit, status, payload) = match &shared.gate {
                Some(gate) if status != StatusCode::BAD_REQUEST => match gate.admit().await {
                    Some(p) => (Some(p), status, payload),
                    None => (
                        None,
                        StatusCode::SERVICE_UNAVAILABLE,
                        Bytes::from_static(b"queue full\n"),
                    ),
                },
                _ => (None, status, payload),
            };
            let serve = permit.is_some() || shared.gate.is_none();
            if serve && !delay.is_zero() {
                tokio::time::sleep(delay).await;
            }
            // The worker is free once the service time is over.
            drop(permit);
            let mut resp = Response::new(Full::new(payload));
            *resp.status_mut() = status;
            resp.headers_mut()
                .insert(CONTENT_TYPE, HeaderValue::from_static("text/plain"));
            shared.served.fetch_add(1, Ordering::Relaxed);
            Ok::<_, Infallible>(resp)
        }
    });
    // hyper's header-read timeout runs from the connection's start and
    // from each answer's end until the next request head is whole: it
    // closes silent, half-open and idle kept-alive connections alike. (It
    // needs a timer; without one hyper sets none.)
    let idle = shared_idle;
    let conn = http1::Builder::new()
        .keep_alive(true)
        .timer(hyper_util::rt::TokioTimer::new())
        .header_read_timeout(idle)
        .serve_connection(TokioIo::new(stream), svc);
    tokio::pin!(conn);
    let grace = tokio::select! {
        _ = conn.as_mut() => return,
        // Dropping the RunningTarget drops the sender: the default grace.
        r = stop.changed() => match r {
            Ok(()) => stop.borrow().unwrap_or(SHUTDOWN_GRACE),
            Err(_) => SHUTDOWN_GRACE,
        },
    };
    conn.as_mut().graceful_shutdown();
    let _ = tokio::time::timeout(grace, conn).await;
}

/// Reads and discards a request body so the connection can be reused.
async fn drain(mut body: Incoming) {
    if body.is_end_stream() {
        return;
    }
    while let Some(Ok(_)) = body.frame().await {}
}

type Prepared = (Duration, StatusCode, Bytes);

/// Draws the delay and the outcome of one request, applying query overrides.
fn prepare(
    shared: &Shared,
    rng: &mut Xoshiro256PlusPlus,
    query: Option<&str>,
) -> Result<Prepared, String> {
    let mut latency = shared.latency;
    let mut error_rate = shared.error_rate;
    let mut status = shared.status;
    let mut body = None;
    if let Some(q) = query {
        for pair in q.split('&') {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            let bad = |e: String| format!("bad query parameter {key}: {e}\n");
            match key {
                "latency" => latency = decode(value).parse().map_err(bad)?,
                "status" => {
                    let code = parse_status(&decode(value)).map_err(bad)?;
                    status = StatusCode::from_u16(code).map_err(|e| bad(e.to_string()))?;
                }
                "size" => {
                    let n = parse_size(&decode(value)).map_err(bad)?;
                    body = Some(sized_body(shared, n));
                }
                "error_rate" => error_rate = parse_error_rate(&decode(value)).map_err(bad)?,
                _ => {}
            }
        }
    }
    let delay = if latency.is_zero() {
        Duration::ZERO
    } else {
        Duration::from_secs_f64(latency.sample(rng))
    };
    if error_rate > 0.0 && rng.random::<f64>() < error_rate {
        status = shared.error_status;
    }
    Ok((delay, status, body.unwrap_or_else(|| shared.body.clone())))
}

fn sized_body(shared: &Shared, n: usize) -> Bytes {
    debug_assert!(n <= MAX_SIZE);
    if n <= shared.prebuilt.len() {
        shared.prebuilt.slice(..n)
    } else {
        Bytes::from(vec![b'x'; n])
    }
}

/// Decodes `%XX` escapes and `+` (a space) in a query value.
fn decode(s: &str) -> Cow<'_, str> {
    if !s.contains(['%', '+']) {
        return Cow::Borrowed(s);
    }
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < b.len() => {
                let hex = |c: u8| (c as char).to_digit(16);
                match (hex(b[i + 1]), hex(b[i + 2])) {
                    (Some(h), Some(l)) => {
                        out.push((h * 16 + l) as u8);
                        i += 3;
                        continue;
                    }
                    _ => out.push(b'%'),
                }
            }
            c => out.push(c),
        }
        i += 1;
    }
    Cow::Owned(String::from_utf8_lossy(&out).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    #[test]
    fn decodes_query_values() {
        assert_eq!(decode("20ms"), "20ms");
        assert_eq!(decode("uniform%3A10ms..30ms"), "uniform:10ms..30ms");
        assert_eq!(decode("lognormal%3a20ms%2C0.5"), "lognormal:20ms,0.5");
        assert_eq!(decode("5%25"), "5%");
        assert_eq!(decode("a+b"), "a b");
        assert_eq!(decode("100%"), "100%");
        assert_eq!(decode("%zz"), "%zz");
        assert_eq!(decode("%4"), "%4");
    }

    fn shared(cfg: &TargetConfig) -> Shared {
        let prebuilt = Bytes::from(vec![b'x'; cfg.size.max(PREBUILT)]);
        Shared {
            latency: cfg.latency,
            error_rate: cfg.error_rate,
            status: StatusCode::from_u16(cfg.status).unwrap(),
            error_status: StatusCode::from_u16(cfg.error_status).unwrap(),
            body: prebuilt.slice(..cfg.size),
            prebuilt,
            served: AtomicU64::new(0),
            gate: None,
            idle_timeout: cfg.idle_timeout,
        }
    }

    #[test]
    fn prepare_applies_overrides() {
        let s = shared(&TargetConfig::default());
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(1);
        let (d, st, b) = prepare(&s, &mut rng, None).unwrap();
        assert_eq!((d, st, b.len()), (Duration::ZERO, StatusCode::OK, 100));
        let (d, st, b) = prepare(
            &s,
            &mut rng,
            Some("latency=250ms&status=503&size=100000&x=1&flag"),
        )
        .unwrap();
        assert_eq!(d, Duration::from_millis(250));
        assert_eq!(st, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(b.len(), 100_000);
        assert!(b.iter().all(|&c| c == b'x'));
        let (_, st, _) = prepare(&s, &mut rng, Some("error_rate=100%")).unwrap();
        assert_eq!(st, StatusCode::INTERNAL_SERVER_ERROR);
        for bad in [
            "latency=fast",
            "status=99",
            "status=",
            "size=-3",
            "size=999999999999",
            "error_rate=2",
        ] {
            let e = prepare(&s, &mut rng, Some(bad)).unwrap_err();
            let key = bad.split('=').next().unwrap();
            assert!(
                e.starts_with(&format!("bad query parameter {key}: ")),
                "{e}"
            );
            assert_eq!(e.lines().count(), 1, "{e}");
        }
    }

    /// One request on a fresh connection with `Connection: close`, the raw
    /// response back.
    async fn get(addr: SocketAddr, path: &str) -> String {
        let mut s = TcpStream::connect(addr).await.unwrap();
        let req = format!("GET {path} HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
        s.write_all(req.as_bytes()).await.unwrap();
        let mut out = String::new();
        s.read_to_string(&mut out).await.unwrap();
        out
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn start_serve_and_shut_down() {
        let cfg = TargetConfig {
            size: 17,
            ..TargetConfig::default()
        };
        let t = start(cfg, 0).await.unwrap();
        assert!(t.addr.ip().is_loopback());
        assert_ne!(t.addr.port(), 0);
        assert_eq!(t.base_url(), format!("http://127.0.0.1:{}", t.addr.port()));
        let r = get(t.addr, "/any/path").await;
        assert!(r.starts_with("HTTP/1.1 200 OK\r\n"), "{r}");
        assert!(r.contains("content-length: 17\r\n"), "{r}");
        assert!(r.ends_with("\r\n\r\nxxxxxxxxxxxxxxxxx"), "{r}");
        let r = get(t.addr, "/?status=404&size=3").await;
        assert!(r.starts_with("HTTP/1.1 404 Not Found\r\n"), "{r}");
        assert!(r.ends_with("\r\n\r\nxxx"), "{r}");
        let r = get(t.addr, "/?latency=nope").await;
        assert!(r.starts_with("HTTP/1.1 400 Bad Request\r\n"), "{r}");
        assert!(r.contains("bad query parameter latency"), "{r}");
        // An idle keep-alive connection is closed by the shutdown. (Whether
        // the port then refuses says nothing: another test may own it.)
        let mut idle = TcpStream::connect(t.addr).await.unwrap();
        idle.write_all(b"GET /?size=0 HTTP/1.1\r\nHost: t\r\n\r\n")
            .await
            .unwrap();
        let mut head = Vec::new();
        while !head.ends_with(b"\r\n\r\n") {
            let mut byte = [0u8; 1];
            assert_eq!(idle.read(&mut byte).await.unwrap(), 1, "{head:?}");
            head.push(byte[0]);
        }
        assert!(head.starts_with(b"HTTP/1.1 200 OK\r\n"));
        assert_eq!(t.requests_served(), 4);
        t.shutdown().await;
        let mut rest = Vec::new();
        let closed =
            tokio::time::timeout(Duration::from_secs(2), idle.read_to_end(&mut rest)).await;
        assert!(matches!(closed, Ok(Ok(0))), "{closed:?}");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn shutdown_lets_in_flight_requests_finish() {
        let t = start(TargetConfig::default(), 0).await.unwrap();
        let addr = t.addr;
        let slow = tokio::spawn(async move { get(addr, "/?latency=300ms").await });
        // Let the request arrive before shutting down.
        let t0 = std::time::Instant::now();
        while t.requests_served() == 0 && t0.elapsed() < Duration::from_millis(100) {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        let started = std::time::Instant::now();
        t.shutdown().await;
        let took = started.elapsed();
        let r = slow.await.unwrap();
        assert!(r.starts_with("HTTP/1.1 200 OK\r\n"), "{r}");
        assert!(
            took < SHUTDOWN_GRACE + Duration::from_millis(500),
            "{took:?}"
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn shutdown_gives_up_after_the_grace() {
        let t = start(TargetConfig::default(), 0).await.unwrap();
        let addr = t.addr;
        let slow = tokio::spawn(async move { get(addr, "/?latency=10s").await });
        tokio::time::sleep(Duration::from_millis(100)).await;
        let started = std::time::Instant::now();
        t.shutdown_with_grace(Duration::from_millis(100)).await;
        assert!(started.elapsed() < Duration::from_secs(2));
        // The connection was dropped without an answer.
        let r = tokio::time::timeout(Duration::from_secs(2), slow)
            .await
            .unwrap()
            .unwrap();
        assert!(r.is_empty(), "{r}");
    }

    #[tokio::test]
    async fn port_in_use_and_bad_config_fail() {
        let t = start(TargetConfig::default(), 0).await.unwrap();
        let e = start(TargetConfig::default(), t.addr.port())
            .await
            .err()
            .unwrap();
        assert_eq!(e.kind(), std::io::ErrorKind::AddrInUse);
        let bad = TargetConfig {
            status: 42,
            ..TargetConfig::default()
        };
        let e = start(bad, 0).await.err().unwrap();
        assert_eq!(e.kind(), std::io::ErrorKind::InvalidInput);
        assert!(e.to_string().starts_with("status: "), "{e}");
        t.shutdown().await;
    }

    /// `n` closed-loop clients (no think time) each send `per_client`
    /// requests back to back; returns each client's statuses and response
    /// times (seconds, in order), and the elapsed time.
    async fn closed_loop(
        base: &str,
        n: usize,
        per_client: usize,
    ) -> (Vec<(Vec<u16>, Vec<f64>)>, Duration) {
        let client = reqwest::Client::new();
        let start = std::time::Instant::now();
        let mut tasks = Vec::new();
        for _ in 0..n {
            let (client, url) = (client.clone(), format!("{base}/"));
            tasks.push(tokio::spawn(async move {
                let (mut statuses, mut times) = (Vec::new(), Vec::new());
                for _ in 0..per_client {
                    let t = std::time::Instant::now();
                    let r = client.get(&url).send().await.unwrap();
                    statuses.push(r.status().as_u16());
                    r.bytes().await.unwrap();
                    times.push(t.elapsed().as_secs_f64());
                }
                (statuses, times)
            }));
        }
        let mut all = Vec::new();
        for t in tasks {
            all.push(t.await.unwrap());
        }
        (all, start.elapsed())
    }

    /// Below c the target serves at N/S; beyond c it is an M/D/c station in
    /// a closed loop: X = c/S and, by Little's law, R = N/X = N*S/c. The
    /// lower limits are exact (a timer never fires early, so c workers
    /// cannot finish k requests in less than k*S/c); the upper ones allow
    /// for a loaded machine's scheduling delays (25 % and 20 ms) without
    /// letting an unbounded target (X = N/S, R = S) pass.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn workers_bound_the_throughput_and_queue_the_rest() {
        let s = 0.05; // service time, seconds
        let c = 2;
        let cfg = TargetConfig {
            latency: Latency::Fixed(s),
            workers: Some(c),
            queue: 100,
            ..TargetConfig::default()
        };
        let t = start(cfg, 0).await.unwrap();
        let base = t.base_url();

        // Below c: one user, 10 requests, X = 1/S = 20/s, R = S.
        let (runs, el) = closed_loop(&base, 1, 10).await;
        assert!(runs[0].0.iter().all(|&x| x == 200), "{runs:?}");
        let x_below = 10.0 / el.as_secs_f64();
        assert!(
            x_below <= 1.0 / s + 1e-9 && x_below >= 0.75 / s,
            "{x_below}"
        );

        // Beyond c: N = 8 users, 12 requests each: X_max = c/S = 40/s and
        // R = N*S/c = 0.2 s, four times the service time.
        let n = 8;
        let per = 12;
        let (runs, el) = closed_loop(&base, n, per).await;
        let el = el.as_secs_f64();
        let x = (n * per) as f64 / el;
        let x_max = c as f64 / s;
        assert!(x <= x_max + 1e-9, "X {x} above c/S {x_max}");
        assert!(x >= 0.8 * x_max, "X {x} well below c/S {x_max}");
        // The first request of each user meets the start-up transient (the
        // 8 arrive together and leave in pairs), so R is read on the rest.
        let steady: Vec<f64> = runs
            .iter()
            .flat_map(|(st, times)| {
                assert!(st.iter().all(|&x| x == 200), "{st:?}");
                times[1..].iter().copied()
            })
            .collect();
        let r = steady.iter().sum::<f64>() / steady.len() as f64;
        let r_law = n as f64 * s / c as f64;
        assert!(r >= 0.9 * r_law, "R {r} below N*S/c {r_law}");
        assert!(r <= 1.25 * r_law + 0.02, "R {r} above N*S/c {r_law}");
        t.shutdown().await;
    }

    /// With every worker busy and the queue full, one more request is
    /// answered 503 at once. The first request's service time (5 s, by
    /// override) is far longer than it takes to send the second, so the
    /// first is still in service when the second arrives.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_full_queue_answers_503_at_once() {
        let cfg = TargetConfig {
            latency: Latency::Fixed(0.0),
            workers: Some(1),
            queue: 0,
            ..TargetConfig::default()
        };
        let t = start(cfg, 0).await.unwrap();
        let url = format!("{}/", t.base_url());
        let client = reqwest::Client::new();
        let first = tokio::spawn({
            let (client, url) = (client.clone(), format!("{url}?latency=5s"));
            async move { client.get(&url).send().await.unwrap().status().as_u16() }
        });
        // Wait until the first request holds the only worker.
        let gate = t.shared.gate.as_ref().unwrap();
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while gate.permits.available_permits() > 0 {
            assert!(
                std::time::Instant::now() < deadline,
                "first request never arrived"
            );
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        let r = client.get(&url).send().await.unwrap();
        assert_eq!(r.status().as_u16(), 503);
        assert_eq!(r.text().await.unwrap(), "queue full\n");
        assert_eq!(first.await.unwrap(), 200);
        // The worker is free again and the queue empty.
        assert_eq!(gate.waiting.load(Ordering::Relaxed), 0);
        let r = client.get(&url).send().await.unwrap();
        assert_eq!(r.status().as_u16(), 200);
        t.shutdown().await;
    }
}
