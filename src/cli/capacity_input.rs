//! What `pace capacity` reads: measured (N, X[, R]) points from a CSV of
//! any tool, a stair run's results folder (its summary.json `stairs`
//! levels) or ordinary run folders (one point per run). Every refusal is
//! one line naming the file, and the line or key.

use crate::output::capacity::{Measured, XUnit};
use crate::plan::file::{PacingMode, PlanFile};
use serde::Deserialize;
use std::path::{Path, PathBuf};

/// A measured point and where it came from ("a.csv line 3",
/// "results/run-1", "results/stair level 4").
#[derive(Debug, Clone, PartialEq)]
pub struct Point {
    pub m: Measured,
    pub origin: String,
    /// Transactions per iteration behind this point's X (its plan's
    /// groups; the mean over the groups' mix when they differ), `None`
    /// for a CSV's point: its unit is its tool's.
    pub per_iteration: Option<f64>,
}

/// Every input read: the points sorted by N (an N run several times a
/// point per run), what was left out and why.
#[derive(Debug, Clone)]
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
    /// What X counts after the conversion to one unit.
    pub unit: XUnit,
}

/// The most points pace fits: a per-second export of a day is 86 400
/// rows; a million is more than any load test measures levels.
pub const MAX_POINTS: usize = 1_000_000;

/// The largest CSV read: 64 MiB, about two million `N,X,R` rows.
pub const MAX_CSV_BYTES: u64 = 64 << 20;

/// Reads every input and brings X to one unit; refuses with one line on
/// the first problem.
///
/// The unit (docs/capacity.md, "What X counts"): a results folder's X
/// counts transactions, and a think time belongs to an iteration, so
/// wherever an iteration makes more than one transaction X is divided by
/// the transactions per iteration (and a measured mean R, per
/// transaction, multiplied by it): X in iterations per second, R the time
/// of the whole flow. `csv_per_iteration` (`--transactions-per-iteration`)
/// does the same for CSV inputs, whose unit pace cannot know.
pub fn read_inputs(paths: &[PathBuf], csv_per_iteration: Option<f64>) -> Result<Inputs, String> {
    let mut all: Vec<Point> = Vec::new();
    let mut warnings = Vec::new();
    let mut per_second = true;
    let mut csvs: Vec<String> = Vec::new();
    for path in paths {
        let points = if path.is_dir() {
            read_folder(path, &mut warnings)?
        } else {
            per_second = false;
            csvs.push(path.display().to_string());
            let text = read_csv_bytes(path)?;
            read_csv(&text, &path.display().to_string())?
        };
        // An N may repeat, within an input or across them: several runs
        // at one load are each a point of the fit (Gunther's multivalued
        // data), not one to refuse or to average away.
        for p in points {
            if all.len() == MAX_POINTS {
                return Err(format!(
                    "{}: more than {MAX_POINTS} points: pace fits at most {MAX_POINTS} load levels",
                    p.origin
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
    let levels = crate::capacity::levels::distinct_levels(all.iter().map(|p| p.m.n));
    if levels < 3 {
        return Err(format!(
            "{source}: {} point(s) at {levels} distinct N: the USL has 3 coefficients, so at least 3 distinct load levels are needed (repeated runs at one N count once)",
            all.len()
        ));
    }
    let unit = one_unit(&mut all, csv_per_iteration, &csvs)?;
    let mut points: Vec<Measured> = all.into_iter().map(|p| p.m).collect();
    // Stable: the runs at one N keep the order they were given in.
    points.sort_by(|a, b| a.n.total_cmp(&b.n));
    Ok(Inputs {
        points,
        warnings,
        per_second,
        source,
        unit,
    })
}

/// Reads a CSV input: a regular file (a FIFO or a device is refused at
/// once) of at most [`MAX_CSV_BYTES`].
fn read_csv_bytes(path: &Path) -> Result<Vec<u8>, String> {
    use std::io::Read;
    let d = path.display();
    let f = crate::input::open_regular(path).map_err(|e| format!("{d}: cannot read: {e}"))?;
    let mut bytes = Vec::new();
    f.take(MAX_CSV_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| format!("{d}: cannot read: {}", crate::input::plain(&e)))?;
    if bytes.len() as u64 > MAX_CSV_BYTES {
        return Err(format!(
            "{d}: larger than {} MiB: not a CSV of load levels pace reads",
            MAX_CSV_BYTES >> 20
        ));
    }
    Ok(bytes)
}

/// Divides every point's X by its transactions per iteration (and
/// multiplies its R) so that all count iterations, and says so; refuses
/// a mix it cannot bring to one unit.
fn one_unit(
    all: &mut [Point],
    csv_per_iteration: Option<f64>,
    csvs: &[String],
) -> Result<XUnit, String> {
    let folder_k: Vec<f64> = all.iter().filter_map(|p| p.per_iteration).collect();
    if let Some(k) = csv_per_iteration {
        if csvs.is_empty() {
            return Err(format!(
                "--transactions-per-iteration {k}: applies to CSV inputs only; a results folder's plan.toml gives its own"
            ));
        }
        for p in all.iter_mut().filter(|p| p.per_iteration.is_none()) {
            p.per_iteration = Some(k);
        }
    }
    let multi = folder_k.iter().any(|&k| k != 1.0);
    if multi && let Some(csv) = all.iter().find(|p| p.per_iteration.is_none()) {
        let f = all
            .iter()
            .find(|p| p.per_iteration.is_some_and(|k| k != 1.0))
            .map_or(String::new(), |p| p.origin.clone());
        return Err(format!(
            "{}: a CSV's X is in its own unit and {f} counts {} transactions per iteration: give --transactions-per-iteration K for the CSV (1 if it counts iterations)",
            csv.origin,
            crate::units::round_sig(
                all.iter()
                    .find(|p| p.per_iteration.is_some_and(|k| k != 1.0))
                    .and_then(|p| p.per_iteration)
                    .unwrap_or(1.0),
                4
            )
        ));
    }
    let ks: Vec<f64> = all.iter().filter_map(|p| p.per_iteration).collect();
    if ks.len() < all.len() {
        // Only CSVs without the flag (and perhaps one-transaction runs).
        return Ok(XUnit::as_given());
    }
    if ks.iter().all(|&k| k == 1.0) {
        return Ok(XUnit::one_transaction(csvs.is_empty()));
    }
    for p in all.iter_mut() {
        let k = p.per_iteration.unwrap_or(1.0);
        p.m.x /= k;
        p.m.r = p.m.r.map(|r| r * k);
    }
    let common = ks.iter().all(|&k| k == ks[0]).then_some(ks[0]);
    let (lo, hi) = ks.iter().fold((f64::INFINITY, 0.0f64), |(lo, hi), &k| {
        (lo.min(k), hi.max(k))
    });
    Ok(XUnit::iterations(common, (lo, hi), !csvs.is_empty()))
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
    /// The judged window, when it is not ramp-up to the end.
    #[serde(default)]
    window_s: Option<[f64; 2]>,
    #[serde(default)]
    ramp_up_s: Option<f64>,
    #[serde(default)]
    duration_s: Option<f64>,
    /// `pace run --users` and the like, and what they came to.
    #[serde(default)]
    overrides: Option<OverridesProbe>,
}

#[derive(Debug, Deserialize)]
struct OverridesProbe {
    #[serde(default)]
    effective: Option<EffectiveProbe>,
}

#[derive(Debug, Deserialize)]
struct EffectiveProbe {
    #[serde(default)]
    users: std::collections::BTreeMap<String, u64>,
}

impl MetaProbe {
    /// The span the run's achieved counts cover: `window_s`, else the
    /// plan's ramp-up to its end.
    fn window(&self) -> Option<(f64, f64)> {
        self.window_s
            .map(|[a, b]| (a, b))
            .or(self.ramp_up_s.zip(self.duration_s))
    }
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
    /// The level's own results folder, relative to the stair's.
    #[serde(default)]
    dir: Option<String>,
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
            let done = stairs.levels.iter().filter(|l| !l.partial).count();
            warnings.push(format!(
                "{d}: the stair run is partial ({}): its {done} completed level(s) are used",
                crate::visible::one_line(&reason)
            ));
        }
        let mut points = stair_points(dir, &stairs, warnings)?;
        for (p, level) in points.iter_mut() {
            p.per_iteration = Some(level_per_iteration(dir, level)?);
        }
        return Ok(points.into_iter().map(|(p, _)| p).collect());
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
        probe.meta.as_ref(),
        warnings,
    )
    .map(|p| vec![p])
}

fn stair_points<'a>(
    dir: &Path,
    s: &'a Stairs,
    warnings: &mut Vec<String>,
) -> Result<Vec<(Point, &'a StairLevel)>, String> {
    let d = dir.display();
    if s.model != "closed" && s.model != "open" {
        return Err(format!(
            "{d}/summary.json: stairs.model = {}: expected \"closed\" or \"open\"",
            crate::visible::quoted(&s.model)
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
        out.push((
            Point {
                m: Measured {
                    n: l.n,
                    x: l.x_per_s,
                    r,
                },
                origin: format!("{d} level {}", l.level),
                per_iteration: None,
            },
            l,
        ));
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
    meta: Option<&MetaProbe>,
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
            "{}: group {}: group.pacing.mode = \"arrival-rate\" is open: its users are a pool, not the concurrency N; fit a stair run (it measures N) or a CSV",
            plan_path.display(),
            crate::visible::quoted(&g.name)
        ));
    }
    // `pace run --users` changed the users; the folder's plan.toml is the
    // file as written, so the recorded effective users are the run's N.
    let effective = meta
        .and_then(|m| m.overrides.as_ref())
        .and_then(|o| o.effective.as_ref())
        .map(|e| &e.users);
    let users = |g: &crate::plan::file::GroupSection| -> u64 {
        effective
            .and_then(|u| u.get(&g.name).copied())
            .unwrap_or(g.users)
    };
    let n: u64 = plan.groups.iter().map(users).sum();
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
    let running: Vec<(&str, usize)> = plan
        .groups
        .iter()
        .filter(|g| users(g) > 0)
        .map(|g| (g.name.as_str(), g.transactions_per_iteration()))
        .collect();
    let per_iteration = mix_per_iteration(dir, &running, meta.and_then(MetaProbe::window))?;
    Ok(Point {
        m: Measured { n: n as f64, x, r },
        origin: d.to_string(),
        per_iteration: Some(per_iteration),
    })
}

/// The transactions per iteration behind a stair level's X: from the
/// level's own plan.toml (its groups and their users at that level), or
/// the stair's plan.toml when the level's is gone and every group makes
/// the same number.
fn level_per_iteration(stair: &Path, level: &StairLevel) -> Result<f64, String> {
    let folder = level.dir.as_ref().map(|d| stair.join(d));
    let level_plan = folder.as_ref().map(|f| f.join("plan.toml"));
    let (plan, plan_path) = match level_plan.as_ref().filter(|p| p.is_file()) {
        Some(p) => (read_plan(p)?, p.clone()),
        None => {
            let p = stair.join("plan.toml");
            let plan = read_plan(&p)?;
            let ks: Vec<usize> = plan
                .groups
                .iter()
                .map(|g| g.transactions_per_iteration())
                .collect();
            if ks.iter().any(|&k| k != ks[0]) {
                return Err(format!(
                    "{}: level {}: its plan.toml is missing and the stair's groups make different numbers of transactions per iteration ({}): X cannot be counted in iterations",
                    stair.display(),
                    level.level,
                    list(&ks)
                ));
            }
            return Ok(ks.first().copied().unwrap_or(1) as f64);
        }
    };
    let running: Vec<(&str, usize)> = plan
        .groups
        .iter()
        .filter(|g| g.users > 0)
        .map(|g| (g.name.as_str(), g.transactions_per_iteration()))
        .collect();
    let folder = plan_path.parent().unwrap_or(stair);
    let window = read_meta(folder).and_then(|m| m.window());
    mix_per_iteration(folder, &running, window)
}

fn read_plan(path: &Path) -> Result<PlanFile, String> {
    let text = crate::input::read_text(path).map_err(|e| {
        format!(
            "{}: cannot read: {e} (the plan gives the transactions per iteration)",
            path.display()
        )
    })?;
    PlanFile::parse(&text, &path.display().to_string()).map_err(|e| e.to_string())
}

/// A results folder's summary.json `meta`, when it has one.
fn read_meta(folder: &Path) -> Option<MetaProbe> {
    let text = crate::input::read_text(&folder.join("summary.json")).ok()?;
    let probe: SummaryProbe = serde_json::from_str(&text).ok()?;
    probe.meta
}

fn list(ks: &[usize]) -> String {
    ks.iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// Transactions per iteration of the groups that ran, `running` = (name,
/// its transactions per iteration). One count when they agree; when they
/// differ, the mean over the mix the run really completed: with cᵍ
/// successful transactions of group g ending in the judged `window`,
/// k̄ = Σcᵍ / Σ(cᵍ/kᵍ), so that X/k̄ = Σ Xᵍ/kᵍ is the iterations per second
/// of all groups together. The counts come from the folder's samples.csv;
/// without it (or without a window) the groups' X cannot be told apart
/// and the point is refused.
fn mix_per_iteration(
    folder: &Path,
    running: &[(&str, usize)],
    window: Option<(f64, f64)>,
) -> Result<f64, String> {
    let d = folder.display();
    let Some(&(_, k0)) = running.first() else {
        return Err(format!("{d}/plan.toml: no group has users"));
    };
    if let Some(&(g, _)) = running.iter().find(|(_, k)| *k == 0) {
        return Err(format!(
            "{d}/plan.toml: group \"{g}\" makes no transaction per iteration"
        ));
    }
    if running.iter().all(|&(_, k)| k == k0) {
        return Ok(k0 as f64);
    }
    let ks: Vec<usize> = running.iter().map(|r| r.1).collect();
    let why = format!("its groups make {} transactions per iteration", list(&ks));
    let Some((from, to)) = window else {
        return Err(format!(
            "{d}: {why} and its summary.json names no judged window: X cannot be counted in iterations"
        ));
    };
    let samples = folder.join("samples.csv");
    let file = crate::results::sample::open_samples(&samples).map_err(|e| {
        format!(
            "{}: cannot read: {} ({why}: X is converted to iterations group by group from the samples)",
            samples.display(),
            crate::input::plain(&e)
        )
    })?;
    let mut counts = vec![0u64; running.len()];
    for row in file.rows {
        let s = row.map_err(|e| format!("{}: {e}", samples.display()))?;
        if s.kind != crate::results::sample::Kind::Step || !s.ok {
            continue;
        }
        let end = s.t + s.latency;
        if end < from || end > to {
            continue;
        }
        if let Some(i) = running.iter().position(|(g, _)| **g == *s.group) {
            counts[i] += 1;
        }
    }
    let total: u64 = counts.iter().sum();
    if total == 0 {
        return Err(format!(
            "{}: no successful transaction ended in the window {}-{} s ({why}): X cannot be counted in iterations",
            samples.display(),
            crate::units::round_sig(from, 4),
            crate::units::round_sig(to, 4)
        ));
    }
    let iterations: f64 = counts
        .iter()
        .zip(running)
        .map(|(&c, &(_, k))| c as f64 / k as f64)
        .sum();
    Ok(total as f64 / iterations)
}

/// Parses `N,X[,R]` rows. A first row whose first cell is not a number is
/// a header; blank lines and lines starting with `#` are skipped; an N
/// may repeat (several runs at one load). Every refusal names `name` and
/// the line.
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
            let v: f64 = c.parse().map_err(|_| {
                format!(
                    "{at}: {} in column {col} is not a number",
                    crate::visible::quoted(c)
                )
            })?;
            if !v.is_finite() {
                return Err(format!(
                    "{at}: {} in column {col} is not a finite number",
                    crate::visible::quoted(c)
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
        if n > crate::capacity::usl::MAX_CONCURRENCY {
            return Err(format!(
                "{at}: N = {} is beyond 1e9 users: not a load level pace fits",
                rec.get(0).unwrap_or("")
            ));
        }
        if x <= 0.0 {
            return Err(format!("{at}: X = {x} must be greater than 0"));
        }
        if let Some(r) = r
            && r < 0.0
        {
            return Err(format!("{at}: R = {r} must not be negative"));
        }
        out.push((Measured { n, x, r }, line));
    }
    Ok(out
        .into_iter()
        .map(|(m, line)| Point {
            m,
            origin: format!("{name} line {line}"),
            per_iteration: None,
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::read_csv;

    /// Found by the fuzz target `stair_folders`: a stair summary's model
    /// with a line break made the refusal two lines.
    #[test]
    fn a_stair_model_is_quoted_on_one_line() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("summary.json"),
            r#"{"partial": false, "stairs": {"model": "line\nbreak", "levels": []}}"#,
        )
        .unwrap();
        let e = super::read_inputs(&[dir.path().to_path_buf()], None).unwrap_err();
        assert!(!e.contains('\n'), "{e:?}");
        assert!(e.contains("stairs.model = 'line"), "{e}");
    }

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
        let e = read_csv(b"1,10\n0,20\n3,30\n", "f.csv").unwrap_err();
        assert!(e.starts_with("f.csv line 2: N = 0"), "{e}");
    }

    #[test]
    fn a_repeated_n_is_a_point_per_row() {
        let p = read_csv(b"1,10\n2,20\n1,11\n2,19\n", "f.csv").unwrap();
        let got: Vec<(f64, f64, &str)> = p
            .iter()
            .map(|p| (p.m.n, p.m.x, p.origin.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                (1.0, 10.0, "f.csv line 1"),
                (2.0, 20.0, "f.csv line 2"),
                (1.0, 11.0, "f.csv line 3"),
                (2.0, 19.0, "f.csv line 4"),
            ]
        );
    }
}
