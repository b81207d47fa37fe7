//! `pace target`: serve the embedded target until Ctrl-C.

use std::io::Write;

use clap::Args;

use super::exit;
use crate::target::{self, Latency, TargetConfig};

#[derive(Debug, Args)]
#[command(after_help = "\
Latency specs: 20ms (fixed; a plain number is seconds), uniform:10ms..30ms,
exponential:20ms (mean), lognormal:20ms,0.5 (median, sigma).
Per-request overrides in the query string: ?latency=<spec>&status=<code>&size=<bytes>&error_rate=<rate>

Examples:
  pace target --latency lognormal:20ms,0.5 --error-rate 1%
  pace target --port 0 --latency uniform:10ms..30ms --size 2048 --seed 42
  pace target --latency 20ms --workers 4 --queue 100   # capacity 4/20ms = 200/s")]
pub struct TargetArgs {
    /// Port on 127.0.0.1 (0 picks a free one).
    #[arg(long, default_value_t = 8080, allow_hyphen_values = true)]
    pub port: u16,
    /// Delay before each answer: 20ms, uniform:10ms..30ms, exponential:20ms,
    /// lognormal:20ms,0.5.
    #[arg(long, allow_hyphen_values = true, default_value = "0ms", value_parser = latency)]
    pub latency: Latency,
    /// Fraction of requests answered with --error-status: 1% or 0.01.
    #[arg(long, allow_hyphen_values = true, default_value = "0", value_parser = target::parse_error_rate)]
    pub error_rate: f64,
    /// Status of a normal answer.
    #[arg(long, allow_hyphen_values = true, default_value = "200", value_parser = target::parse_status)]
    pub status: u16,
    /// Status of an error answer.
    #[arg(long, allow_hyphen_values = true, default_value = "500", value_parser = target::parse_status)]
    pub error_status: u16,
    /// Response body size in bytes.
    #[arg(long, allow_hyphen_values = true, default_value = "100", value_parser = target::parse_size)]
    pub size: usize,
    /// Seed for repeatable delays and errors.
    #[arg(long, allow_hyphen_values = true)]
    pub seed: Option<u64>,
    /// Serve at most this many requests at once (--latency is then each
    /// request's service time); the rest wait in FIFO order.
    #[arg(long, allow_hyphen_values = true, value_parser = target::parse_workers)]
    pub workers: Option<usize>,
    /// With --workers: how many requests may wait; more are answered 503.
    #[arg(long, allow_hyphen_values = true, value_parser = target::parse_queue, requires = "workers")]
    pub queue: Option<usize>,
    /// Close a connection that has not sent a whole request head this long
    /// after it opened or after its last answer (slowloris, idle keep-alive).
    #[arg(long, value_name = "DURATION", default_value = "30s", value_parser = crate::units::parse_positive_duration)]
    pub idle_timeout: f64,
}

fn latency(s: &str) -> Result<Latency, String> {
    s.parse()
}

pub fn run(a: TargetArgs) -> i32 {
    let cfg = TargetConfig {
        latency: a.latency,
        error_rate: a.error_rate,
        status: a.status,
        error_status: a.error_status,
        size: a.size,
        seed: a.seed,
        workers: a.workers,
        queue: a.queue.unwrap_or(target::DEFAULT_QUEUE),
        idle_timeout: std::time::Duration::from_secs_f64(a.idle_timeout),
    };
    if let Err((key, e)) = cfg.validate() {
        errln!("error: --{}: {e}", key.replace('_', "-"));
        return exit::BAD_INPUT;
    }
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            errln!("error: cannot start the runtime: {e}");
            return exit::BAD_INPUT;
        }
    };
    rt.block_on(serve(cfg, a.port))
}

async fn serve(cfg: TargetConfig, port: u16) -> i32 {
    // Listen for signals before announcing, so a stop right after the
    // startup line is not lost.
    let stop = match Stop::new() {
        Ok(s) => s,
        Err(e) => {
            errln!("error: cannot listen for signals: {e}");
            return exit::BAD_INPUT;
        }
    };
    let t = match target::start(cfg.clone(), port).await {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::AddrInUse => {
            errln!("error: --port {port}: 127.0.0.1:{port} is already in use");
            return exit::BAD_INPUT;
        }
        Err(e) => {
            errln!("error: --port {port}: cannot listen on 127.0.0.1:{port}: {e}");
            return exit::BAD_INPUT;
        }
    };
    outln!(
        "pace target: serving {}/ {}; Ctrl-C to stop",
        t.base_url(),
        cfg.describe()
    );
    let _ = std::io::stdout().flush();
    stop.wait().await;
    let served = t.requests_served();
    t.shutdown().await;
    let s = if served == 1 { "" } else { "s" };
    errln!("pace target: stopped after {served} request{s}");
    exit::OK
}

/// Ctrl-C or SIGTERM.
struct Stop {
    #[cfg(unix)]
    int: tokio::signal::unix::Signal,
    #[cfg(unix)]
    term: tokio::signal::unix::Signal,
}

impl Stop {
    #[cfg(unix)]
    fn new() -> std::io::Result<Stop> {
        use tokio::signal::unix::{SignalKind, signal};
        Ok(Stop {
            int: signal(SignalKind::interrupt())?,
            term: signal(SignalKind::terminate())?,
        })
    }

    #[cfg(unix)]
    async fn wait(mut self) {
        tokio::select! {
            _ = self.int.recv() => {}
            _ = self.term.recv() => {}
        }
    }

    #[cfg(not(unix))]
    fn new() -> std::io::Result<Stop> {
        Ok(Stop {})
    }

    #[cfg(not(unix))]
    async fn wait(self) {
        let _ = tokio::signal::ctrl_c().await;
    }
}
