//! The embedded target: an HTTP/1.1 server on 127.0.0.1 with a configurable
//! latency distribution, error rate, status codes and payload size.
//!
//! It is what `pace target` serves, and what a plan's `[target.embedded]`
//! table starts in-process for a run (see [`start`]). It only ever binds
//! 127.0.0.1.
//!
//! # Latency spec
//!
//! One string, used on the command line (`--latency`), in plan files
//! (`latency = "..."`) and in the `?latency=` query override:
//!
//! | spec                    | meaning                                                   |
//! |-------------------------|-----------------------------------------------------------|
//! | `20ms`, `0.02`, `1.5s`  | fixed delay (a plain number is seconds; `fixed:20ms` too) |
//! | `uniform:10ms..30ms`    | uniform between the two bounds (min <= max)               |
//! | `exponential:20ms`      | exponential with this mean (`exp:` for short)             |
//! | `lognormal:20ms,0.5`    | log-normal with this median; 0.5 is the sigma of the underlying normal (0..10) |
//!
//! Durations take the units of [`crate::units::parse_duration`] (`us`, `ms`,
//! `s`, `m`, `h`). Negative, non-finite and above-24h values are refused, an
//! exponential mean and a log-normal median must be above zero, and every
//! sampled delay is capped at 24 h.
//!
//! # Behaviour
//!
//! Every request, whatever its method or path, waits for a delay drawn from
//! the latency distribution (a timer, not a blocked thread), then answers
//! with `status` — or `error_status` with probability `error_rate` — and a
//! body of exactly `size` bytes of `x` (`content-type: text/plain`). A
//! request body, if any, is read and discarded. Connections are kept alive.
//!
//! The query string may override the configuration for one request, so tests
//! can make one endpoint slow or failing without a second server:
//! `?latency=<spec>`, `?status=<code>`, `?size=<bytes>`,
//! `?error_rate=<5% or 0.05>`. Other parameters are ignored (cache busters
//! welcome); an invalid override is answered at once with 400 and a one-line
//! message. `%XX` escapes are decoded.
//!
//! # Workers and a queue: a target with a known capacity
//!
//! By default every request is served at once, however many arrive
//! together, so latency does not grow with load. With `workers = c` the
//! target behaves like an M/G/c station instead: at most `c` requests are in
//! service at a time, each holding its worker for a service time `S` drawn
//! from the latency distribution; the others wait in FIFO order. At most
//! `queue` requests wait; one more is answered at once with
//! `503 Service Unavailable` and the body `queue full` (so memory stays
//! bounded and overload is visible as errors, not as an unbounded backlog).
//! Its capacity is then known in advance: `X_max = c / E[S]` requests per
//! second, and a closed load of `N` users with think time `Z` saturates it
//! from `N* = c·(E[S] + Z) / E[S]` users on (the asymptotic bounds
//! `X(N) <= min(N / (E[S] + Z), c / E[S])`). A `?latency=` override sets the
//! service time of that request; a bad override is refused without queueing.
//!
//! Each connection has its own random generator. With a `seed`, connection
//! *n* (counted from 0 in accept order) is seeded from the seed and *n*, so
//! a single keep-alive connection sees the same sequence of delays and errors
//! on every run.

mod embedded;
mod gate;
mod latency;
mod server;

pub use embedded::{EmbeddedTarget, TextOrNumber};
pub use latency::{Latency, MAX_LATENCY_S};
pub use server::{RunningTarget, SHUTDOWN_GRACE, start};

use crate::units;

/// The largest response body, configured or overridden: 64 MiB.
pub const MAX_SIZE: usize = 64 << 20;

/// What the embedded target serves.
#[derive(Debug, Clone, PartialEq)]
pub struct TargetConfig {
    /// The delay before each answer.
    pub latency: Latency,
    /// The fraction of requests (0..=1) answered with `error_status`.
    pub error_rate: f64,
    /// The status of a normal answer (200-599).
    pub status: u16,
    /// The status of an error answer (200-599).
    pub error_status: u16,
    /// The response body size in bytes (at most [`MAX_SIZE`]).
    pub size: usize,
    /// Seeds the per-connection random generators; `None` draws from the OS.
    pub seed: Option<u64>,
    /// How many requests are served at once (1..=[`MAX_WORKERS`]); `None`
    /// serves every request at once (no queueing, unlimited capacity).
    pub workers: Option<usize>,
    /// With `workers`: how many requests may wait for a worker
    /// (0..=[`MAX_QUEUE`]); one more is answered 503 at once.
    pub queue: usize,
    /// How long a connection may take to send a whole request head, and
    /// stay idle between requests, before the target closes it
    /// ([`IDLE_TIMEOUT`] unless `pace target --idle-timeout` says): a
    /// client that opens connections and sends nothing, or half a head
    /// (slowloris), must not hold the target's descriptors for ever.
    pub idle_timeout: std::time::Duration,
}

/// The default [`TargetConfig::idle_timeout`]: 30 s (hyper's own default
/// header-read timeout; nginx keeps idle connections 75 s, and pace's
/// client re-sends an idempotent request lost to such a close).
pub const IDLE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

/// The most workers a target may have.
pub const MAX_WORKERS: usize = 100_000;
/// The longest queue a target with workers may have.
pub const MAX_QUEUE: usize = 1_000_000;
/// The queue length when `workers` is set without `queue`.
pub const DEFAULT_QUEUE: usize = 1000;

impl Default for TargetConfig {
    fn default() -> Self {
        TargetConfig {
            latency: Latency::Fixed(0.0),
            error_rate: 0.0,
            status: 200,
            error_status: 500,
            size: 100,
            seed: None,
            workers: None,
            queue: DEFAULT_QUEUE,
            idle_timeout: IDLE_TIMEOUT,
        }
    }
}

impl TargetConfig {
    /// Checks every field; the error names the plan key (`latency`,
    /// `error_rate`, `status`, `error_status`, `size`) and says what is wrong.
    pub fn validate(&self) -> Result<(), (&'static str, String)> {
        self.latency.validate().map_err(|e| ("latency", e))?;
        check_error_rate(self.error_rate).map_err(|e| ("error_rate", e))?;
        check_status(self.status).map_err(|e| ("status", e))?;
        check_status(self.error_status).map_err(|e| ("error_status", e))?;
        check_size(self.size).map_err(|e| ("size", e))?;
        if let Some(w) = self.workers {
            check_workers(w).map_err(|e| ("workers", e))?;
        }
        check_queue(self.queue).map_err(|e| ("queue", e))?;
        Ok(())
    }

    /// The most requests per second the target can complete, `c / E[S]`, or
    /// `None` without workers (unbounded) or with a zero mean service time.
    pub fn capacity_per_s(&self) -> Option<f64> {
        let c = self.workers? as f64;
        let s = self.latency.mean();
        (s > 0.0).then(|| c / s)
    }

    /// What the target serves, as printed after "serving <url> ":
    /// `latency fixed 20 ms, errors 1% (status 500), 200 OK with 100-byte body`.
    pub fn describe(&self) -> String {
        let errors = if self.error_rate > 0.0 {
            format!(
                "errors {}% (status {})",
                units::round_sig(self.error_rate * 100.0, 4),
                self.error_status
            )
        } else {
            "no errors".to_string()
        };
        let workers = match self.workers {
            None => String::new(),
            Some(c) => {
                let cap = match self.capacity_per_s() {
                    Some(x) => format!(", capacity {}/s", units::round_sig(x, 4)),
                    None => String::new(),
                };
                format!(", {c} workers, queue {}{cap}", self.queue)
            }
        };
        format!(
            "latency {}, {errors}, {} with {}-byte body{workers}",
            self.latency.describe(),
            status_text(self.status),
            self.size
        )
    }
}

/// `200 OK`, `503 Service Unavailable`, `299`.
fn status_text(code: u16) -> String {
    match hyper::StatusCode::from_u16(code)
        .ok()
        .and_then(|s| s.canonical_reason())
    {
        Some(reason) => format!("{code} {reason}"),
        None => code.to_string(),
    }
}

/// Parses an error rate: a percentage (`"1%"`) or a fraction (`0.01`),
/// between 0 and 1 inclusive.
pub fn parse_error_rate(text: &str) -> Result<f64, String> {
    let v = units::parse_fraction(text)?;
    check_error_rate(v).map_err(|e| format!("'{}': {e}", text.trim()))?;
    Ok(v)
}

fn check_error_rate(v: f64) -> Result<(), String> {
    if !v.is_finite() || !(0.0..=1.0).contains(&v) {
        return Err("an error rate must be between 0 and 1 (0% to 100%)".into());
    }
    Ok(())
}

/// Parses a response status code (200-599).
pub fn parse_status(text: &str) -> Result<u16, String> {
    let v: u16 = text
        .trim()
        .parse()
        .map_err(|_| format!("'{text}' is not a status code (e.g. 200, 503)"))?;
    check_status(v)?;
    Ok(v)
}

fn check_status(code: u16) -> Result<(), String> {
    if !(200..=599).contains(&code) {
        return Err(format!("status {code} is out of range (use 200-599)"));
    }
    Ok(())
}

/// Parses a body size in bytes (0 to [`MAX_SIZE`]).
pub fn parse_size(text: &str) -> Result<usize, String> {
    let v: usize = text
        .trim()
        .parse()
        .map_err(|_| format!("'{text}' is not a whole number of bytes"))?;
    check_size(v)?;
    Ok(v)
}

fn check_size(size: usize) -> Result<(), String> {
    if size > MAX_SIZE {
        return Err(format!(
            "a body of {size} bytes is too large (at most {MAX_SIZE})"
        ));
    }
    Ok(())
}

/// Parses a worker count (1 to [`MAX_WORKERS`]).
pub fn parse_workers(text: &str) -> Result<usize, String> {
    let v: usize = text
        .trim()
        .parse()
        .map_err(|_| format!("'{text}' is not a whole number of workers"))?;
    check_workers(v)?;
    Ok(v)
}

fn check_workers(v: usize) -> Result<(), String> {
    if !(1..=MAX_WORKERS).contains(&v) {
        return Err(format!("{v} workers: use 1 to {MAX_WORKERS}"));
    }
    Ok(())
}

/// Parses a queue length (0 to [`MAX_QUEUE`]).
pub fn parse_queue(text: &str) -> Result<usize, String> {
    let v: usize = text
        .trim()
        .parse()
        .map_err(|_| format!("'{text}' is not a whole number of waiting requests"))?;
    check_queue(v)?;
    Ok(v)
}

fn check_queue(v: usize) -> Result<(), String> {
    if v > MAX_QUEUE {
        return Err(format!("a queue of {v} is too long (at most {MAX_QUEUE})"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_config() {
        let c = TargetConfig::default();
        assert_eq!(c.latency, Latency::Fixed(0.0));
        assert_eq!(c.error_rate, 0.0);
        assert_eq!(
            (c.status, c.error_status, c.size, c.seed),
            (200, 500, 100, None)
        );
        assert!(c.validate().is_ok());
        assert_eq!(
            c.describe(),
            "latency fixed 0 ms, no errors, 200 OK with 100-byte body"
        );
    }

    #[test]
    fn describe_matches_the_startup_line() {
        let c = TargetConfig {
            latency: "20ms".parse().unwrap(),
            error_rate: 0.01,
            ..TargetConfig::default()
        };
        assert_eq!(
            c.describe(),
            "latency fixed 20 ms, errors 1% (status 500), 200 OK with 100-byte body"
        );
        let c = TargetConfig {
            latency: "uniform:10ms..30ms".parse().unwrap(),
            error_rate: 0.005,
            status: 201,
            error_status: 503,
            size: 0,
            seed: Some(1),
            ..TargetConfig::default()
        };
        assert_eq!(
            c.describe(),
            "latency uniform 10-30 ms, errors 0.5% (status 503), 201 Created with 0-byte body"
        );
    }

    #[test]
    fn validate_names_the_key() {
        let bad = |f: fn(&mut TargetConfig)| {
            let mut c = TargetConfig::default();
            f(&mut c);
            c.validate().unwrap_err().0
        };
        assert_eq!(bad(|c| c.latency = Latency::Fixed(-1.0)), "latency");
        assert_eq!(bad(|c| c.error_rate = 1.5), "error_rate");
        assert_eq!(bad(|c| c.error_rate = f64::NAN), "error_rate");
        assert_eq!(bad(|c| c.status = 99), "status");
        assert_eq!(bad(|c| c.status = 600), "status");
        assert_eq!(bad(|c| c.error_status = 100), "error_status");
        assert_eq!(bad(|c| c.size = MAX_SIZE + 1), "size");
        assert_eq!(bad(|c| c.workers = Some(0)), "workers");
        assert_eq!(bad(|c| c.queue = MAX_QUEUE + 1), "queue");
    }

    #[test]
    fn workers_give_a_known_capacity() {
        let c = TargetConfig {
            latency: "20ms".parse().unwrap(),
            workers: Some(4),
            queue: 50,
            ..TargetConfig::default()
        };
        assert!(c.validate().is_ok());
        assert!((c.capacity_per_s().unwrap() - 200.0).abs() < 1e-9);
        assert_eq!(
            c.describe(),
            "latency fixed 20 ms, no errors, 200 OK with 100-byte body, 4 workers, queue 50, capacity 200/s"
        );
        assert_eq!(TargetConfig::default().capacity_per_s(), None);
        assert_eq!(parse_workers("4").unwrap(), 4);
        for bad in ["0", "-1", "1.5", "many", "100001"] {
            assert!(parse_workers(bad).is_err(), "{bad}");
        }
        assert_eq!(parse_queue("0").unwrap(), 0);
        for bad in ["-1", "x", "1000001"] {
            assert!(parse_queue(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn value_parsers() {
        assert_eq!(parse_error_rate("1%").unwrap(), 0.01);
        assert_eq!(parse_error_rate("0.25").unwrap(), 0.25);
        assert_eq!(parse_error_rate("100%").unwrap(), 1.0);
        assert_eq!(parse_error_rate("0").unwrap(), 0.0);
        for bad in ["-1%", "101%", "1.5", "abc", "NaN", ""] {
            assert!(parse_error_rate(bad).is_err(), "{bad}");
        }
        assert_eq!(parse_status("503").unwrap(), 503);
        for bad in ["99", "600", "abc", "-200", "70000"] {
            assert!(parse_status(bad).is_err(), "{bad}");
        }
        assert_eq!(parse_size("0").unwrap(), 0);
        assert_eq!(parse_size("1024").unwrap(), 1024);
        for bad in ["-1", "1.5", "lots", "999999999999"] {
            assert!(parse_size(bad).is_err(), "{bad}");
        }
    }
}
