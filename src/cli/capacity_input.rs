//! What `pace capacity` reads: measured (N, X[, R]) points from a CSV of
//! any tool, a stair run's results folder (its summary.json `stairs`
//! levels) or ordinary run folders (one point per run). Every refusal is
//! one line naming the file, and the line or key.

use crate::output::capacity::Measured;
use crate::plan::file::{PacingMode, PlanFile};
use serde::Deserialize;
use std::path::{Path, PathBuf};

/// A measured point and where it came from ("a.csv line 3",
/// "results/run-1", "results/stair level 4").
#[derive(Debug, Clone, PartialEq)]
pub struct Point {
    pub m: Measured,
    pub origin: String,
}

/// Every input read: the points sorted by N, what was left out and why.
#[derive(Debug, Clone, Default)]
pub struct Inputs {
    pub points: Vec<Measured>,
    /// Caveats about what was read (a partial run skipped, a level that
    /// carried nothing), for the report's warnings.
    pub warnings: Vec<String>,
    /// True when every point came from a results folder, so X is per
    /// second; a CSV's X is in whatever unit its tool wrote.
    pub per_second: bool,
    /// The inputs' names, for the report.
    pub source: String,
}

/// Reads every input; refuses with one line on the first problem.
pub fn read_inputs(paths: &[PathBuf]) -> Result<Inputs, String> {
    let mut all: Vec<Point> = Vec::new();
    let mut warnings = Vec::new();
    let mut per_second = true;
    for path in paths {
        let points = if path.is_dir() {
            read_folder(path, &mut warnings)?
        } else {
            per_second = false;
            let text = std::fs::read(path).map_err(|e| {
                let e = crate::input::plain(&e);
                format!("{}: cannot read: {e}", path.display())
            })?;
            read_csv(&text, &path.display().to_string())?
        };
        for p in points {
            if let Some(q) = all.iter().find(|q| q.m.n == p.m.n) {
                return Err(format!(
                    "{}: N = {} already given by {}: average repeated runs into one point",
                    p.origin, p.m.n, q.origin
                ));
            }
            all.push(p);
        }
    }
    let source = paths
        .iter()
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>()
        .join(", ");
    if all.len() < 3 {
        return Err(format!(
            "{source}: {} point(s): the USL has 3 coefficients, so at least 3 load levels are needed",
            all.len()
        ));
    }
    let mut points: Vec<Measured> = all.into_iter().map(|p| p.m).collect();
    points.sort_by(|a, b| a.n.total_cmp(&b.n));
    Ok(Inputs {
        points,
        warnings,
        per_second,
        source,
    })
}

/// The part of summary.json read here; the rest is ignored.
#[derive(Debug, Deserialize)]
struct SummaryProbe {
    #[serde(default)]
    partial: bool,
    #[serde(default)]
    meta: Option<MetaProbe>,
    #[serde(default)]
    verdict: Option<VerdictProbe>,
    #[serde(default)]
    stairs: Option<Stairs>,
    #[serde(default)]
    achieved: Option<AchievedProbe>,
    #[serde(default)]
    all_transactions: Option<StatsProbe>,
}

/// A stair's summary.json has no `meta`: its verdict says why it is
/// partial.
#[derive(Debug, Deserialize)]
struct VerdictProbe {
    #[serde(default)]
    reasons: Vec<String>,
}

#[derive(Debug, Deserialize)]
struct MetaProbe {
    #[serde(default)]
    partial_reason: Option<String>,
}

/// summary.json's `stairs`: the levels a stair run measured on their
/// steady part.
#[derive(Debug, Deserialize)]
struct Stairs {
    model: String,
    levels: Vec<StairLevel>,
}

#[derive(Debug, Deserialize)]
struct StairLevel {
    level: u32,
    /// Users (closed) or in-flight concurrency (open) of the level.
    n: f64,
    x_per_s: f64,
    r_avg_s: Option<f64>,
    #[serde(default)]
    partial: bool,
}

#[derive(Debug, Deserialize)]
struct AchievedProbe {
    tpm: f64,
    #[serde(default)]
    scope: Option<String>,
}

#[derive(Debug, Deserialize)]
struct StatsProbe {
    count: u64,
    avg: f64,
}

/// A results folder: a stair run gives a point per level, any other run
/// one point.
fn read_folder(dir: &Path, warnings: &mut Vec<String>) -> Result<Vec<Point>, String> {
    let d = dir.display();
    let summary = dir.join("summary.json");
    if !summary.is_file() {
        return Err(format!(
            "{d}: a folder without summary.json: not a finished run's results folder (`pace report {d}` rebuilds a killed run's)"
        ));
    }
    let text = crate::input::read_text(&summary)
        .map_err(|e| format!("{}: cannot read: {e}", summary.display()))?;
    let probe: SummaryProbe = serde_json::from_str(&text)
        .map_err(|e| format!("{}: not pace's summary.json: {e}", summary.display()))?;
    let reason = probe
        .meta
        .as_ref()
        .and_then(|m| m.partial_reason.clone())
        .or_else(|| {
            probe
                .verdict
                .as_ref()
                .and_then(|v| v.reasons.first().cloned())
        })
        .unwrap_or_else(|| "no reason recorded".into());
    if let Some(stairs) = probe.stairs {
        if probe.partial {
            warnings.push(format!(
                "{d}: the stair run is partial ({reason}): its {} measured level(s) are used",
                stairs.levels.len()
            ));
        }
        return stair_points(dir, &stairs, warnings);
    }
    let Some(achieved) = probe.achieved else {
        return Err(format!(
            "{}: neither a stair run (no `stairs`) nor a run (no `achieved`): not pace's summary.json",
            summary.display()
        ));
    };
    if probe.partial {
        // A killed or interrupted run's rate is over an unknown part of
        // its load: no point at all beats a wrong one. Skipping (not
        // refusing) lets the other runs of a series still be fitted.
        warnings.push(format!("{d}: a partial run ({reason}): left out"));
        return Ok(Vec::new());
    }
    run_point(
        dir,
        &summary,
        &achieved,
        probe.all_transactions.as_ref(),
        warnings,
    )
    .map(|p| vec![p])
}

fn stair_points(dir: &Path, s: &Stairs, warnings: &mut Vec<String>) -> Result<Vec<Point>, String> {
    let d = dir.display();
    if s.model != "closed" && s.model != "open" {
        return Err(format!(
            "{d}/summary.json: stairs.model = \"{}\": expected \"closed\" or \"open\"",
            s.model
        ));
    }
    let mut out = Vec::new();
    for (i, l) in s.levels.iter().enumerate() {
        let at = format!("{d}/summary.json: stairs.levels[{i}] (level {})", l.level);
        if !(l.n.is_finite() && l.n >= 0.0) {
            return Err(format!("{at}: n = {} must be a number, 0 or more", l.n));
        }
        if !l.x_per_s.is_finite() || l.x_per_s < 0.0 {
            return Err(format!(
                "{at}: x_per_s = {} must be a number, 0 or more",
                l.x_per_s
            ));
        }
        if l.partial {
            // As a partial run folder is: its window is not the hold.
            warnings.push(format!(
                "{d}: level {} (N = {}) was interrupted before its hold ended: left out of the fit",
                l.level, l.n
            ));
            continue;
        }
        if l.x_per_s == 0.0 || l.n == 0.0 {
            // The USL has no zero throughput or concurrency; a level that
            // broke completely (an open level's N = X·R is 0 with it) is
            // shown by the stair report, not fitted.
            warnings.push(format!(
                "{d}: level {} (N = {}) completed no transaction: left out of the fit",
                l.level, l.n
            ));
            continue;
        }
        let r = l.r_avg_s.filter(|r| r.is_finite() && *r >= 0.0);
        out.push(Point {
            m: Measured {
                n: l.n,
                x: l.x_per_s,
                r,
            },
            origin: format!("{d} level {}", l.level),
        });
    }
    Ok(out)
}

/// One ordinary run: N = the plan's users (closed groups), X = the steady
/// window's successful transactions per second, R = the all-transactions
/// mean response time.
fn run_point(
    dir: &Path,
    summary: &Path,
    achieved: &AchievedProbe,
    all: Option<&StatsProbe>,
    warnings: &mut Vec<String>,
) -> Result<Point, String> {
    let d = dir.display();
    let plan_path = dir.join("plan.toml");
    let text = crate::input::read_text(&plan_path).map_err(|e| {
        format!(
            "{}: cannot read: {e} (the run's copy of its plan gives N)",
            plan_path.display()
        )
    })?;
    let plan =
        PlanFile::parse(&text, &plan_path.display().to_string()).map_err(|e| e.to_string())?;
    if let Some(g) = plan
        .groups
        .iter()
        .find(|g| g.pacing.mode == PacingMode::ArrivalRate)
    {
        return Err(format!(
            "{}: group \"{}\": group.pacing.mode = \"arrival-rate\" is open: its users are a pool, not the concurrency N; fit a stair run (it measures N) or a CSV",
            plan_path.display(),
            g.name
        ));
    }
    let n: u64 = plan.groups.iter().map(|g| g.users).sum();
    if n == 0 {
        return Err(format!("{}: the plan has no users", plan_path.display()));
    }
    let x = achieved.tpm / 60.0;
    if !(x.is_finite() && x > 0.0) {
        return Err(format!(
            "{}: achieved.tpm = {}: the run completed no transaction in its steady window",
            summary.display(),
            achieved.tpm
        ));
    }
    if achieved.scope.as_deref() == Some("whole_run") {
        warnings.push(format!(
            "{d}: no steady window (ramp-up as long as the run): X is the whole run's rate, ramp-up included"
        ));
    }
    // The all-transactions mean is over the whole run (summary.rs keeps
    // no windowed histogram), so with a long ramp-up it reads a little
    // low against the window's X.
    let r = all.filter(|s| s.count > 0).map(|s| s.avg);
    Ok(Point {
        m: Measured { n: n as f64, x, r },
        origin: d.to_string(),
    })
}

/// Parses `N,X[,R]` rows. A first row whose first cell is not a number is
/// a header; blank lines and lines starting with `#` are skipped. Every
/// refusal names `name` and the line.
fn read_csv(bytes: &[u8], name: &str) -> Result<Vec<Point>, String> {
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
    Ok(out
        .into_iter()
        .map(|(m, line)| Point {
            m,
            origin: format!("{name} line {line}"),
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::read_csv;

    #[test]
    fn header_and_comments_are_skipped() {
        let p = read_csv(b"N,X,R\n# a comment\n2,20,0.1\n1,10\n\n3,25,0.12\n", "f").unwrap();
        assert_eq!(p.len(), 3);
        assert_eq!(p[1].m.n, 1.0);
        assert_eq!(p[1].m.r, None);
        assert_eq!(p[1].origin, "f line 4");
        assert_eq!(p[0].m.r, Some(0.1));
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
    }
}
