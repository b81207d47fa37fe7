//! `pace capacity INPUT`: fit the Universal Scalability Law to measured
//! (N, X[, R]) points and answer capacity questions (docs/capacity.md).
//!
//! The input side is a list of readers chosen by what INPUT is: today a
//! CSV file; a stair run's results folder will be one more reader that
//! returns the same `Vec<Measured>`.

use super::exit;
use crate::capacity::usl;
use crate::output::capacity::{CapacityReport, Measured, Questions, capacity_json, capacity_table};
use crate::units;
use clap::Args;
use std::path::{Path, PathBuf};

const CAPACITY_EXAMPLES: &str = "\
INPUT is a CSV of N,X or N,X,R per line (a header line is optional; columns
by position): N the concurrency (users, threads), X the throughput in any
unit (per second for R predictions), R the measured response time in seconds.

Examples (the Cisco benchmark of Schwartz's USL e-book, 32 levels):
  pace capacity cisco.csv
      σ 0.0267159, κ 0.000769095, λ 995.649 with standard errors and 95% intervals;
      peak N* 35.57 (35 whole users), X(35) = 12341.7; contention-bound
  pace capacity cisco.csv --at 40 --at 64
      X and R predicted at 40 and 64 users
  pace capacity cisco.csv --target-x 12000
      the smallest N that reaches 12000/s
  pace capacity cisco.csv --target-r 50ms
      N = 235.6 keeps R at 50 ms (add --think 2s for users who think 2 s)
  pace capacity cisco.csv --json
      every number, unrounded, as one JSON object";

#[derive(Debug, Args)]
#[command(after_help = CAPACITY_EXAMPLES)]
pub struct CapacityArgs {
    /// CSV of N,X[,R] points (one load level per line).
    #[arg(value_name = "INPUT")]
    input: PathBuf,
    /// Predict X and R at this concurrency (repeatable).
    #[arg(long, value_name = "N", value_parser = positive)]
    at: Vec<f64>,
    /// Find the smallest N that reaches this throughput (X's unit).
    #[arg(long, value_name = "X", value_parser = positive)]
    target_x: Option<f64>,
    /// Find the N at which the response time reaches this: 0.5, 500ms, 2s.
    #[arg(long, value_name = "SECONDS", value_parser = positive_duration)]
    target_r: Option<f64>,
    /// Think time Z of each user (closed system): R = N/X − Z.
    #[arg(long, value_name = "SECONDS", default_value = "0", value_parser = duration)]
    think: f64,
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

pub fn run(a: CapacityArgs) -> i32 {
    let measured = match read_input(&a.input) {
        Ok(m) => m,
        Err(e) => {
            eprintln!("error: {e}");
            return exit::BAD_INPUT;
        }
    };
    let points: Vec<(f64, f64)> = measured.iter().map(|m| (m.n, m.x)).collect();
    let fit = match usl::fit(&points, a.confidence) {
        Ok(f) => f,
        Err(e) => {
            // The reader has already refused bad points with their line;
            // what is left (too few points, no convergence) is the file's.
            eprintln!("error: {}: {e}", a.input.display());
            return exit::BAD_INPUT;
        }
    };
    let questions = Questions {
        at: a.at,
        target_x: a.target_x,
        target_r: a.target_r,
        think: a.think,
    };
    let report = CapacityReport::new(a.input.display().to_string(), measured, fit, questions);
    if a.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&capacity_json(&report)).expect("JSON of plain numbers")
        );
    } else {
        use std::io::IsTerminal;
        let width = if std::io::stdout().is_terminal() {
            None
        } else {
            Some(120)
        };
        print!("{}", capacity_table(&report, width));
    }
    exit::OK
}

/// The points of INPUT, sorted by N, or one line saying what is wrong and
/// where (file and line).
fn read_input(path: &Path) -> Result<Vec<Measured>, String> {
    if path.is_dir() {
        return Err(format!(
            "{}: a folder: reading a stair run's results folder is not supported yet; give a CSV of N,X[,R]",
            path.display()
        ));
    }
    let text = std::fs::read(path).map_err(|e| format!("{}: cannot read: {e}", path.display()))?;
    read_csv(&text, &path.display().to_string())
}

/// Parses `N,X[,R]` rows. A first row whose first cell is not a number is
/// a header; blank lines and lines starting with `#` are skipped. Every
/// refusal names `name` and the line.
fn read_csv(bytes: &[u8], name: &str) -> Result<Vec<Measured>, String> {
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .trim(csv::Trim::All)
        .comment(Some(b'#'))
        .from_reader(bytes);
    let mut out: Vec<(Measured, u64)> = Vec::new();
    let mut first = true;
    for rec in rdr.records() {
        let rec = rec.map_err(|e| {
            let line = e
                .position()
                .map_or(String::new(), |p| format!(" line {}", p.line()));
            format!("{name}{line}: not readable as CSV: {e}")
        })?;
        let line = rec.position().map_or(0, |p| p.line());
        let at = format!("{name} line {line}");
        if rec.iter().all(str::is_empty) {
            continue;
        }
        let is_header = first && rec.get(0).is_some_and(|c| c.parse::<f64>().is_err());
        first = false;
        if is_header {
            continue;
        }
        if rec.len() < 2 || rec.len() > 3 {
            return Err(format!(
                "{at}: {} column(s): expected N,X or N,X,R",
                rec.len()
            ));
        }
        let cell = |i: usize, col: &str| -> Result<f64, String> {
            let c = rec.get(i).unwrap_or("");
            let v: f64 = c
                .parse()
                .map_err(|_| format!("{at}: '{c}' in column {col} is not a number"))?;
            if !v.is_finite() {
                return Err(format!(
                    "{at}: '{c}' in column {col} is not a finite number"
                ));
            }
            Ok(v)
        };
        let n = cell(0, "N")?;
        let x = cell(1, "X")?;
        let r = if rec.len() == 3 && !rec.get(2).unwrap_or("").is_empty() {
            Some(cell(2, "R")?)
        } else {
            None
        };
        if n <= 0.0 {
            return Err(format!("{at}: N = {n} must be greater than 0"));
        }
        if x <= 0.0 {
            return Err(format!("{at}: X = {x} must be greater than 0"));
        }
        if let Some(r) = r
            && r < 0.0
        {
            return Err(format!("{at}: R = {r} must not be negative"));
        }
        if let Some((_, l0)) = out.iter().find(|(m, _)| m.n == n) {
            return Err(format!(
                "{at}: N = {n} already given on line {l0}: average repeated runs into one point"
            ));
        }
        out.push((Measured { n, x, r }, line));
    }
    if out.len() < 3 {
        return Err(format!(
            "{name}: {} point(s): the USL has 3 coefficients, so at least 3 load levels are needed",
            out.len()
        ));
    }
    let mut points: Vec<Measured> = out.into_iter().map(|(m, _)| m).collect();
    points.sort_by(|a, b| a.n.total_cmp(&b.n));
    Ok(points)
}

#[cfg(test)]
mod tests {
    use super::read_csv;

    #[test]
    fn header_and_comments_are_skipped() {
        let p = read_csv(b"N,X,R\n# a comment\n2,20,0.1\n1,10\n\n3,25,0.12\n", "f").unwrap();
        assert_eq!(p.len(), 3);
        assert_eq!(p[0].n, 1.0);
        assert_eq!(p[0].r, None);
        assert_eq!(p[1].r, Some(0.1));
    }

    #[test]
    fn refusals_name_the_line() {
        let e = read_csv(b"1,10\n2,abc\n3,30\n", "f.csv").unwrap_err();
        assert_eq!(e, "f.csv line 2: 'abc' in column X is not a number");
        let e = read_csv(b"1,10\n2,20\n1,30\n", "f.csv").unwrap_err();
        assert!(
            e.starts_with("f.csv line 3: N = 1 already given on line 1"),
            "{e}"
        );
        let e = read_csv(b"1,10\n0,20\n3,30\n", "f.csv").unwrap_err();
        assert!(e.starts_with("f.csv line 2: N = 0"), "{e}");
        let e = read_csv(b"1,10\n2,20\n", "f.csv").unwrap_err();
        assert!(e.starts_with("f.csv: 2 point(s)"), "{e}");
    }
}
