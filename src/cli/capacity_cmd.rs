//! `pace capacity INPUT...`: fit the Universal Scalability Law and the
//! plateau (asymptotic-bounds) model to measured (N, X[, R]) points, say
//! which the data support, and answer capacity questions with it
//! (docs/capacity.md).
//! The readers of CSVs, stair runs and run folders are in
//! `capacity_input`; they all give the same `Measured` points.

use super::capacity_input::read_inputs;
use super::exit;
use crate::capacity::network::Network;
use crate::capacity::usl;
use crate::export::html::capacity_page::{CapacityPage, capacity_html};
use crate::output::capacity::{CapacityReport, Questions, capacity_json, capacity_table};
use crate::units;
use clap::Args;
use std::path::PathBuf;

const CAPACITY_EXAMPLES: &str = "\
Each INPUT is one of:
  a CSV of N,X or N,X,R per line (a header line is optional; columns by
    position): N the concurrency (users, threads), X the throughput in any
    unit (per second for R predictions), R the mean response time in seconds;
  a stair run's results folder: a point per measured level;
  a run's results folder: one point, N = its plan's users, X = its steady
    rate per second, R = its all-transactions mean (partial runs are left
    out with a warning).
Inputs mix, and an N may repeat (several runs at one load): every run is a
point of the fit, and at least 3 distinct N are needed. A results folder's X
counts transactions; where
an iteration makes several, X is divided by them (from the plan.toml) so that
it counts iterations, the unit a think time belongs to.

The first row says which model leads: the USL, or the plateau
X(N) = min(N/(D+Z), 1/Dmax) of a hard ceiling, with its knee and bound (BIC,
and a runs test on the residuals). A finding the data do not support, or an
impossible value, reads \"not determined\" with the reason.

Examples (the Cisco benchmark of Schwartz's USL e-book, 32 levels):
  pace capacity cisco.csv
      σ 0.0267159, κ 0.000769095, λ 995.649 with standard errors and 95% intervals;
      peak N* 35.57, X(35) = 12341.7 at ⌊N*⌋ and X(36) = 12342.3; contention-bound
  pace capacity cisco.csv --at 40 --at 64
      X and R predicted at 40 and 64 users
  pace capacity cisco.csv --target-x 12000
      the smallest N that reaches 12000/s
  pace capacity cisco.csv --target-r 50ms
      N = 235.6 keeps R at 50 ms (add --think 2s for users who think 2 s)
  pace capacity cisco.csv --json
      every number, unrounded, as one JSON object
  pace capacity results/stairs-run --think 1s --html capacity.html
      the fit of a stair run in iterations per second, and a page with
      X vs N and R vs N graphs
  pace capacity tx.csv --transactions-per-iteration 3 --think 1s
      a CSV of transactions of 3-step iterations, counted in iterations
  pace capacity results/run-10u results/run-20u results/run-40u results/run-80u
      one point per run folder
  pace capacity stairs.csv --demand 20ms,5ms --think 1s --target-x 40 --html c.html
      the asymptotic bounds X <= min(N/(D+Z), 1/Dmax) drawn too, and 40/s as the planned rate";

#[derive(Debug, Args)]
#[command(after_help = CAPACITY_EXAMPLES)]
pub struct CapacityArgs {
    /// CSV of N,X[,R] points, a stair run's or a run's results folder (several mix).
    #[arg(value_name = "INPUT", required = true, num_args = 1..)]
    input: Vec<PathBuf>,
    /// Predict X and R at this concurrency (repeatable).
    #[arg(long, value_name = "N", value_parser = positive)]
    at: Vec<f64>,
    /// Find the smallest N that reaches this throughput (X's unit).
    #[arg(long, value_name = "X", value_parser = positive)]
    target_x: Option<f64>,
    /// Find the N at which the response time reaches this: 0.5, 500ms, 2s.
    #[arg(long, value_name = "SECONDS", value_parser = positive_duration)]
    target_r: Option<f64>,
    /// Think time Z of each user (closed system): R = N/X − Z [default: 0;
    /// the graph draws the fit's R(N) only when Z is given].
    #[arg(long, value_name = "SECONDS", value_parser = duration)]
    think: Option<f64>,
    /// Service demands of the queueing centres, seconds, comma-separated
    /// (5ms,20ms): the graphs draw the asymptotic bounds from them and Z.
    #[arg(long, value_name = "LIST", value_parser = durations)]
    demand: Option<DemandList>,
    /// Also write a standalone HTML page with the fit and its graphs.
    #[arg(long, value_name = "FILE")]
    html: Option<PathBuf>,
    /// Transactions each iteration of a CSV's X makes: X is divided by it
    /// (and R multiplied) so that X counts iterations, the unit --think
    /// belongs to. Results folders read theirs from their plan.toml.
    #[arg(long, value_name = "K", value_parser = positive)]
    transactions_per_iteration: Option<f64>,
    /// Confidence level of the coefficients' two-sided intervals.
    #[arg(long, default_value = "0.95", value_parser = probability)]
    confidence: f64,
    /// Print one JSON object instead of the table.
    #[arg(long)]
    json: bool,
}

fn positive(s: &str) -> Result<f64, String> {
    units::parse_positive(s)
}
fn positive_duration(s: &str) -> Result<f64, String> {
    units::parse_positive_duration(s)
}
fn duration(s: &str) -> Result<f64, String> {
    units::parse_duration(s)
}
fn probability(s: &str) -> Result<f64, String> {
    units::parse_probability(s)
}
/// `--demand`'s comma-separated seconds.
#[derive(Debug, Clone)]
pub struct DemandList(Vec<f64>);

fn durations(s: &str) -> Result<DemandList, String> {
    s.split(',')
        .map(|t| units::parse_positive_duration(t.trim()))
        .collect::<Result<_, _>>()
        .map(DemandList)
}

pub fn run(a: CapacityArgs) -> i32 {
    let inputs = match read_inputs(&a.input, a.transactions_per_iteration) {
        Ok(m) => m,
        Err(e) => {
            errln!("error: {e}");
            return exit::BAD_INPUT;
        }
    };
    let demands = match &a.demand {
        Some(d) => match Network::from_demands(&d.0, a.think.unwrap_or(0.0)) {
            Ok(net) => Some(crate::capacity::bounds::Demands {
                total_s: net.queueing_demand_s(),
                max_s: net.max_demand_s(),
                think_s: net.think_s,
            }),
            Err(e) => {
                errln!("error: --demand: {e}");
                return exit::BAD_INPUT;
            }
        },
        None => None,
    };
    let points: Vec<(f64, f64)> = inputs.points.iter().map(|m| (m.n, m.x)).collect();
    let fit = match usl::fit(&points, a.confidence) {
        Ok(f) => f,
        Err(e) => {
            // The readers have already refused bad points with their line;
            // what is left (no convergence) is the inputs'.
            errln!("error: {}: {e}", inputs.source);
            return exit::BAD_INPUT;
        }
    };
    let questions = Questions {
        at: a.at,
        target_x: a.target_x,
        target_r: a.target_r,
        think: a.think.unwrap_or(0.0),
        demands,
    };
    let x_unit = if inputs.per_second {
        inputs.unit.label.clone()
    } else if a.transactions_per_iteration.is_some() {
        "iterations, in the input's unit".to_string()
    } else {
        "the input's unit".to_string()
    };
    let mut report = CapacityReport::with_unit(
        inputs.source.clone(),
        inputs.points,
        fit,
        questions,
        inputs.unit,
    );
    report.warnings.splice(0..0, inputs.warnings);
    if let Some(path) = &a.html {
        let page = CapacityPage {
            report: &report,
            demands,
            think_s: a.think,
            x_unit: &x_unit,
        };
        let written = capacity_html(&page)
            .map_err(|e| e.to_string())
            .and_then(|html| std::fs::write(path, html).map_err(|e| e.to_string()));
        if let Err(e) = written {
            errln!("error: --html {}: cannot write: {e}", path.display());
            return exit::BAD_INPUT;
        }
    }
    if a.json {
        outln!(
            "{}",
            serde_json::to_string_pretty(&capacity_json(&report)).expect("JSON of plain numbers")
        );
    } else {
        let width = crate::output::stdout_width();
        out!("{}", capacity_table(&report, width));
    }
    exit::OK
}
