//! `pace model`: what-if answers from queueing models, without running a
//! test. The closed-network sweep (exact MVA, Schweitzer, asymptotic and
//! balanced job bounds) is the default; `pace model erlang` sizes a pool
//! with Erlang C. The arithmetic lives in [`crate::capacity`]; this file
//! parses, bounds the work and prints.

use super::exit;
use crate::capacity::erlang::{self, Target};
use crate::capacity::network::{Centre, Kind, Network};
use crate::capacity::{bounds, laws, mva};
use crate::output::model_table::{erlang_table, sweep_tables};
use crate::units;
use clap::{Args, Subcommand};
use serde_json::{Value, json};

const MODEL_EXAMPLES: &str = "\
Examples (published answers the tests reproduce):
  pace model --demand 2,3,1 --think 4 --users 1..20
      Jain 1991 Table 34.1 (CPU 0.125 s x 16 visits, disks 0.3 s x 10 and 0.2 s x 5):
      N=2: X 0.1754/s, R 7.4 s; N=20: X 0.3333/s, R 56.016 s; N* = 3.33, bottleneck c2
  pace model --demand 0.63 --think 300 --users 100
      PDQ closed1: X 0.3325/s, R 0.7943 s, N* 477.19, X max 1.5873/s
  pace model --utilization 20.9445% --throughput 0.3325/s --think 300 --users 100..1000 --step 100
      closed1's demand from its measured utilisation, D = U/X = 0.63 s (service-demand law)
  pace model --demand 0.1 --think 0.1 --users 3 --exact-limit 1
      Schweitzer's approximation as PDQ Ch3_Closed: X 8.7868/s, R 0.2414 s (PDQ, iterating to a
      looser tolerance, prints 8.7857 and 0.2415; exact MVA: 9.375, 0.22)
  pace model erlang --rate 0.35/m --service 10m --servers 4
      PDQ bank model: utilisation 87.5 %, P(wait) 0.7379, mean wait 14.7572 min, response 24.7572 min
  pace model erlang --rate 0.35/m --service 10m --target-wait-probability 0.5
      the smallest pool with P(wait) <= 0.5 (5 tellers)

Times: 0.5 (seconds), 500ms, 2s, 5m, 1h. Rates: 50 or 50/s, 600/m, 720/h.";

const ERLANG_EXAMPLES: &str = "\
Examples:
  pace model erlang --rate 0.35/m --service 10m --servers 4
      PDQ bank model: utilisation 87.5 %, P(wait) 0.7379, mean wait 14.7572 min, response 24.7572 min
  pace model erlang --rate 0.35/m --service 10m --target-mean-wait 5m
      the smallest pool whose mean wait is at most 5 min
  pace model erlang --rate 200/s --service 50ms --target-wait 10ms --percentile 99%
      connections so that 99 % of requests wait at most 10 ms for one";

/// The most rows a sweep prints: the work per row is bounded, so this
/// bounds the command.
pub const MAX_ROWS: u64 = 1000;
/// The largest population a sweep accepts (Schweitzer's cost does not grow with N).
pub const MAX_USERS: u64 = 1_000_000_000;
/// The largest `--exact-limit`: exact MVA costs O(N·centres).
pub const MAX_EXACT_LIMIT: u64 = 100_000;

#[derive(Debug, Args)]
#[command(after_help = MODEL_EXAMPLES, allow_negative_numbers = true)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
#[command(group(clap::ArgGroup::new("demands").args(["demand", "utilization"]).multiple(true)))]
pub struct ModelArgs {
    #[command(subcommand)]
    sub: Option<ModelSub>,

    /// Service demands of the queueing centres, seconds per job (visits x
    /// service time), comma-separated: 0.005,0.03 or 5ms,30ms.
    #[arg(long, value_name = "LIST", value_parser = durations, allow_hyphen_values = true)]
    demand: Option<List>,
    /// Measured utilisations of queueing centres (0.4 or 40%), comma-separated;
    /// their demands are D = U/X with --throughput (service-demand law).
    #[arg(long, value_name = "LIST", value_parser = utilizations, allow_hyphen_values = true, requires = "throughput")]
    utilization: Option<List>,
    /// System throughput measured with --utilization: 50 (per second), 50/s, 600/m.
    #[arg(long, value_parser = rate, allow_hyphen_values = true)]
    throughput: Option<f64>,
    /// Demands of delay centres (no queueing: a fixed hop), seconds, comma-separated.
    #[arg(long, value_name = "LIST", value_parser = durations, allow_hyphen_values = true)]
    delay: Option<List>,
    /// Names of the centres, comma-separated, in the order --demand,
    /// --utilization, --delay [default: c1, c2, ...].
    #[arg(long, value_name = "LIST")]
    names: Option<String>,
    /// Think time Z between a response and the user's next request.
    #[arg(long, default_value = "0", value_parser = duration, allow_hyphen_values = true)]
    think: f64,
    /// Users: one number (100) or a range (1..50).
    #[arg(long, value_name = "N|A..B", allow_hyphen_values = true)]
    users: Option<String>,
    /// Step through a --users range.
    #[arg(long, default_value = "1", value_parser = count)]
    step: u64,
    /// Exact MVA up to this many users; above it, Schweitzer's approximation.
    #[arg(long, default_value = "1000", value_parser = count)]
    exact_limit: u64,
    /// Print one JSON object instead of the tables.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Subcommand)]
enum ModelSub {
    /// Size a pool (threads, connections, replicas) with Erlang C (M/M/c):
    /// the smallest number of servers meeting a wait target, or one pool's
    /// waits with --servers.
    Erlang(ErlangArgs),
}

#[derive(Debug, Args)]
#[command(after_help = ERLANG_EXAMPLES, allow_negative_numbers = true)]
#[command(group(clap::ArgGroup::new("target").args(["target_wait_probability", "target_mean_wait", "target_wait"]).multiple(false)))]
struct ErlangArgs {
    /// Arrival rate: 50 (per second), 50/s, 600/m, 0.35/m.
    #[arg(long, value_parser = rate, allow_hyphen_values = true)]
    rate: f64,
    /// Mean service time of one request: 0.5, 50ms, 10m.
    #[arg(long, value_parser = positive_duration, allow_hyphen_values = true)]
    service: f64,
    /// Evaluate this many servers (without a target).
    #[arg(long, value_parser = count)]
    servers: Option<u64>,
    /// Size for P(wait) at most this (0.2 or 20%).
    #[arg(long, value_parser = probability, allow_hyphen_values = true, help_heading = "Target (one of)")]
    target_wait_probability: Option<f64>,
    /// Size for a mean wait in queue at most this.
    #[arg(long, value_parser = positive_duration, allow_hyphen_values = true, help_heading = "Target (one of)")]
    target_mean_wait: Option<f64>,
    /// Size for the --percentile of the wait in queue at most this.
    #[arg(long, value_parser = duration, allow_hyphen_values = true, help_heading = "Target (one of)")]
    target_wait: Option<f64>,
    /// The percentile of the wait reported, and of --target-wait (95% or 0.95).
    #[arg(long, default_value = "95%", value_parser = probability, allow_hyphen_values = true)]
    percentile: f64,
    /// Print one JSON object instead of the table.
    #[arg(long)]
    json: bool,
}

/// A comma-separated list of numbers (seconds or fractions).
#[derive(Debug, Clone)]
pub struct List(Vec<f64>);

fn list(s: &str, one: fn(&str) -> Result<f64, String>) -> Result<List, String> {
    let items: Vec<&str> = s.split(',').map(str::trim).collect();
    if items.len() > crate::capacity::network::MAX_CENTRES {
        return Err(format!(
            "{} values: at most {}",
            items.len(),
            crate::capacity::network::MAX_CENTRES
        ));
    }
    items
        .into_iter()
        .map(one)
        .collect::<Result<_, _>>()
        .map(List)
}
fn durations(s: &str) -> Result<List, String> {
    list(s, units::parse_duration)
}
fn utilizations(s: &str) -> Result<List, String> {
    list(s, |t| {
        let u = units::parse_fraction(t)?;
        if u >= 1.0 {
            // A saturated centre's demand cannot be read from U/X.
            return Err(format!(
                "{} must be below 100% (a saturated centre tells nothing about its demand)",
                crate::visible::quoted(t)
            ));
        }
        Ok(u)
    })
}
fn rate(s: &str) -> Result<f64, String> {
    units::parse_rate(s)
}
fn duration(s: &str) -> Result<f64, String> {
    units::parse_duration(s)
}
fn positive_duration(s: &str) -> Result<f64, String> {
    units::parse_positive_duration(s)
}
fn count(s: &str) -> Result<u64, String> {
    units::parse_count(s)
}
fn probability(s: &str) -> Result<f64, String> {
    units::parse_probability(s)
}

/// `N` or `A..B` (inclusive), 1 ≤ A ≤ B ≤ [`MAX_USERS`].
fn users_range(s: &str) -> Result<(u64, u64), String> {
    let (a, b) = match s.split_once("..") {
        Some((a, b)) => (a, b.strip_prefix('=').unwrap_or(b)),
        None => (s, s),
    };
    let num = |t: &str| {
        units::parse_count(t).map_err(|e| {
            format!(
                "{}: {e} (use N or A..B, e.g. 1..50)",
                crate::visible::quoted(s)
            )
        })
    };
    let (a, b) = (num(a)?, num(b)?);
    if a > b {
        return Err(format!(
            "{} is empty: the start must not exceed the end",
            crate::visible::quoted(s)
        ));
    }
    if b > MAX_USERS {
        return Err(format!(
            "{} is too large: at most {MAX_USERS} users",
            crate::visible::quoted(s)
        ));
    }
    Ok((a, b))
}

fn bad(msg: String) -> i32 {
    errln!("error: {msg}");
    exit::BAD_INPUT
}

pub fn run(a: ModelArgs) -> i32 {
    match a.sub {
        Some(ModelSub::Erlang(e)) => run_erlang(e),
        None => run_sweep(a),
    }
}

fn run_sweep(a: ModelArgs) -> i32 {
    let Some(users) = a.users.as_deref() else {
        return bad("--users: required (a number or a range such as 1..50)".into());
    };
    let (first, last) = match users_range(users) {
        Ok(r) => r,
        Err(e) => return bad(format!("--users: {e}")),
    };
    let rows = (last - first) / a.step + 1;
    if rows > MAX_ROWS {
        return bad(format!(
            "--users: {users} with --step {} gives {rows} rows; at most {MAX_ROWS} (raise --step)",
            a.step
        ));
    }
    if a.exact_limit > MAX_EXACT_LIMIT {
        return bad(format!("--exact-limit: at most {MAX_EXACT_LIMIT}"));
    }
    let mut centres: Vec<Centre> = Vec::new();
    let mut push = |d: f64, kind| {
        centres.push(Centre {
            name: format!("c{}", centres.len() + 1),
            demand_s: d,
            kind,
        })
    };
    if let Some(List(ds)) = &a.demand {
        ds.iter().for_each(|&d| push(d, Kind::Queueing));
    }
    if let Some(List(us)) = &a.utilization {
        let x = a.throughput.unwrap_or(f64::NAN);
        for &u in us {
            match laws::demand_from_utilization(u, x) {
                Ok(d) => push(d, Kind::Queueing),
                Err(e) => return bad(format!("--utilization: {e}")),
            }
        }
    }
    if a.demand.is_none() && a.utilization.is_none() {
        return bad("--demand or --utilization: required (the queueing centres' demands)".into());
    }
    if a.throughput.is_some() && a.utilization.is_none() {
        return bad(
            "--throughput: only with --utilization (it turns utilisations into demands)".into(),
        );
    }
    if let Some(List(ds)) = &a.delay {
        ds.iter().for_each(|&d| push(d, Kind::Delay));
    }
    if let Some(names) = &a.names {
        let names: Vec<&str> = names.split(',').map(str::trim).collect();
        if names.len() != centres.len() || names.iter().any(|n| n.is_empty()) {
            return bad(format!(
                "--names: {} name(s) for {} centre(s); give one non-empty name per centre",
                names.len(),
                centres.len()
            ));
        }
        for (c, n) in centres.iter_mut().zip(names) {
            c.name = n.chars().take(40).collect();
        }
    }
    let net = match Network::new(centres, a.think) {
        Ok(n) => n,
        Err(e) => {
            let flag = if a.utilization.is_some() {
                "--utilization"
            } else {
                "--demand"
            };
            return bad(format!("{flag}: {e}"));
        }
    };
    let wanted: Vec<u64> = (0..rows).map(|i| first + i * a.step).collect();
    let points = sweep(&net, &wanted, a.exact_limit);
    let doc = sweep_json(&net, &points, a.exact_limit);
    if a.json {
        outln!(
            "{}",
            serde_json::to_string_pretty(&doc).expect("JSON of plain numbers")
        );
    } else {
        out!("{}", sweep_tables(&doc, width()));
    }
    exit::OK
}

/// One row of the sweep: the model's answer and how it was found.
pub struct Point {
    pub solution: mva::Solution,
    /// "exact" or "schweitzer".
    pub method: &'static str,
    pub converged: bool,
}

fn sweep(net: &Network, wanted: &[u64], exact_limit: u64) -> Vec<Point> {
    let mut out = Vec::with_capacity(wanted.len());
    let exact_top = wanted.iter().copied().filter(|&n| n <= exact_limit).max();
    if let Some(top) = exact_top {
        // One recursion serves every exact row.
        let mut i = 0;
        mva::exact_each(net, top, |s| {
            if wanted.get(i) == Some(&s.users) {
                out.push(Point {
                    solution: s.clone(),
                    method: "exact",
                    converged: true,
                });
                i += 1;
            }
        });
    }
    for &n in wanted.iter().filter(|&&n| n > exact_limit) {
        let a = mva::schweitzer(net, n);
        out.push(Point {
            solution: a.solution,
            method: "schweitzer",
            converged: a.converged,
        });
    }
    out
}

fn sweep_json(net: &Network, points: &[Point], exact_limit: u64) -> Value {
    let b = net.bottleneck();
    let rows: Vec<Value> = points
        .iter()
        .map(|p| {
            let s = &p.solution;
            let n = s.users as f64;
            json!({
                "users": s.users,
                "method": p.method,
                "converged": p.converged,
                "throughput_per_s": s.throughput_per_s,
                "response_s": s.response_s,
                "asymptotic": bounds::asymptotic(net, n),
                "balanced": bounds::balanced(net, n),
                "queue_lengths": s.queue_lengths,
                "residence_s": s.residence_s,
                "utilizations": s.utilizations,
            })
        })
        .collect();
    json!({
        "model": "closed single-class network: exact MVA (Reiser & Lavenberg), Schweitzer above the exact limit",
        "think_s": net.think_s,
        "centres": net.centres,
        "total_demand_s": net.queueing_demand_s(),
        "delay_demand_s": net.delay_demand_s(),
        "max_demand_s": net.max_demand_s(),
        "bottleneck": net.centres[b].name,
        "max_throughput_per_s": bounds::max_throughput_per_s(net),
        "n_star": bounds::n_star(net),
        "exact_limit": exact_limit,
        "rows": rows,
    })
}

use crate::output::stdout_width as width;

fn run_erlang(e: ErlangArgs) -> i32 {
    let target = match (e.target_wait_probability, e.target_mean_wait, e.target_wait) {
        (Some(p), _, _) => Some(Target::WaitProbability { max: p }),
        (_, Some(w), _) => Some(Target::MeanWait { max_s: w }),
        (_, _, Some(t)) => Some(Target::WaitQuantile {
            quantile: e.percentile,
            max_s: t,
        }),
        _ => None,
    };
    let (m, one_fewer) = match (target, e.servers) {
        (Some(_), Some(_)) => {
            return bad(
                "--servers: give either --servers (evaluate) or a --target-* (size), not both"
                    .into(),
            );
        }
        (None, None) => {
            return bad(
                "--servers or a --target-*: required (e.g. --target-wait-probability 0.2)".into(),
            );
        }
        (Some(t), None) => match erlang::size(e.rate, e.service, t) {
            Ok(s) => (s.chosen, Some(s.one_fewer)),
            Err(err) => return bad(format!("--rate/--service: {err}")),
        },
        (None, Some(c)) => match erlang::mmc(c, e.rate, e.service) {
            Ok(m) => (m, None),
            Err(err) => return bad(format!("--servers: {err}")),
        },
    };
    let q = e.percentile;
    let doc = json!({
        "model": "M/M/c (Erlang C)",
        "target": target,
        "sized": target.is_some(),
        "percentile": q,
        "servers": m.servers,
        "rate_per_s": m.rate_per_s,
        "service_s": m.service_s,
        "offered_load": m.offered_load,
        "utilization": m.utilization,
        "wait_probability": m.wait_probability,
        "mean_wait_s": m.mean_wait_s,
        "wait_quantile_s": m.wait_quantile_s(q),
        "mean_response_s": m.mean_response_s,
        "mean_queue": m.mean_queue,
        "mean_in_system": m.mean_in_system,
        "max_throughput_per_s": m.max_throughput_per_s,
        "one_fewer": one_fewer.map(|o| o.map(|f| json!({
            "servers": f.servers,
            "wait_probability": f.wait_probability,
            "mean_wait_s": f.mean_wait_s,
            "wait_quantile_s": f.wait_quantile_s(q),
        }))),
    });
    if e.json {
        outln!(
            "{}",
            serde_json::to_string_pretty(&doc).expect("JSON of plain numbers")
        );
    } else {
        out!("{}", erlang_table(&doc, width()));
    }
    exit::OK
}
