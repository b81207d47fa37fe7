//! `pace run PLAN` for a plan with `[run.stairs]`: each level run as a run
//! of its own (the single-run path of run_cmd.rs) into its own folder under
//! the stair's, the stop rules checked after each, then the stair's table,
//! knee and verdict written to the stair's summary.json, report.html and
//! the results database (docs/capacity.md, "Stair tests").

use super::exit;
use super::run_cmd::{OneRun, run_one};
use crate::plan::file::PlanFile;
use crate::plan::stairs::{Level, level_plan};
use crate::results::judgement::State;
use crate::results::stair_fold::StairFold;
use crate::results::stairs::{LevelRow, StairSummary, measure};
use crate::units::{human_duration, measured_ms, round_sig};
use std::path::Path;

/// What `pace run --check` says of a stair.
pub fn print_check(plan: &PlanFile) {
    let Some(st) = &plan.run.stairs else { return };
    let levels: Vec<String> = st.levels().iter().map(|l| l.label()).collect();
    let rules: Vec<&str> = st.stop_rules().iter().map(|r| r.name()).collect();
    outln!(
        "stair: {} model, {} level(s): {}; each ramps up {} then holds {} (run.duration and run.ramp_up do not apply)",
        st.model(),
        levels.len(),
        levels.join(", "),
        human_duration(st.ramp()),
        human_duration(st.hold.0)
    );
    outln!(
        "  stops at the first level where: {}{}",
        if rules.is_empty() {
            "nothing (every level runs)".to_string()
        } else {
            rules.join(", ")
        },
        if rules.contains(&"rate") {
            format!(
                " (rate: X below {}% of the level's expected rate)",
                round_sig(st.min_rate() * 100.0, 4)
            )
        } else {
            String::new()
        }
    );
    for (i, l) in st.levels().into_iter().enumerate() {
        let p = level_plan(plan, l);
        let users: Vec<String> = p
            .groups
            .iter()
            .map(|g| match g.pacing.rate {
                Some(r) if st.rates.is_some() => format!("{} {}/s", g.name, round_sig(r.0, 6)),
                _ => format!("{} {}", g.name, g.users),
            })
            .collect();
        let expected = p
            .planned_tps()
            .map(|x| format!(", expected {} TPS", round_sig(x, 6)))
            .unwrap_or_default();
        outln!(
            "  level {} ({}): {}{expected}",
            i + 1,
            l.label(),
            users.join(", ")
        );
    }
}

fn header() -> String {
    format!(
        "{:>5} {:>9} {:>9} {:>10} {:>10} {:>10} {:>10} {:>10} {:>7} {:>6}  result",
        "level",
        "load",
        "N",
        "X/s",
        "expected",
        "R avg (ms)",
        "R p95 (ms)",
        "R p99 (ms)",
        "err %",
        "late"
    )
}

fn row_line(r: &LevelRow) -> String {
    let load = match (r.users, r.rate_per_s) {
        (Some(u), _) => format!("{u}u"),
        (_, Some(x)) => format!("{}/s", round_sig(x, 4)),
        _ => String::new(),
    };
    let g = |v: f64| round_sig(v, 4).to_string();
    format!(
        "{:>5} {:>9} {:>9} {:>10} {:>10} {:>10} {:>10} {:>10} {:>7} {:>6}  {}",
        r.level,
        load,
        g(r.n),
        g(r.x_per_s),
        r.expected_per_s.map(g).unwrap_or_else(|| "-".into()),
        measured_ms(r.r_avg_s),
        measured_ms(r.r_p95_s),
        measured_ms(r.r_p99_s),
        g(r.error_rate * 100.0),
        r.late_starts,
        // An interrupted level did not fail on its merits: its own
        // verdict is INCOMPLETE, as report.html's row says.
        match (r.partial, r.pass) {
            (true, _) => "interrupted",
            (false, true) => "pass",
            (false, false) => "FAIL",
        }
    )
}

/// The plan text a level's folder keeps: the level's own plan, which
/// `pace verify` and `pace report` read like any run's.
fn level_text(plan: &PlanFile, index: usize, level: Level) -> Result<String, String> {
    let body = toml::to_string(plan).map_err(|e| e.to_string())?;
    Ok(format!(
        "# Level {} ({}) of the stair test in ../plan.toml: its users or rate,\n# run.ramp_up = the stair's ramp and run.duration = ramp + hold.\n{body}",
        index + 1,
        level.label()
    ))
}

/// Runs every level of `plan`'s stair into `dir` (made, with the plan's
/// text, by the caller) until a stop rule fires; returns the exit code.
pub(super) fn run_stair(
    rt: &tokio::runtime::Runtime,
    plan: PlanFile,
    dir: &Path,
    one: &OneRun,
) -> i32 {
    let Some(st) = plan.run.stairs.clone() else {
        return exit::BAD_INPUT;
    };
    let levels = st.levels();
    let started = humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string();
    let mut fold = StairFold::new(&st);
    let mut run_ids: Vec<Option<i64>> = Vec::new();
    let mut bad_code: Option<i32> = None;
    for (i, &level) in levels.iter().enumerate() {
        let p = level_plan(&plan, level);
        let name = level.dir_name(i);
        let ldir = dir.join(&name);
        let made = std::fs::create_dir(&ldir)
            .map_err(|e| crate::input::plain(&e))
            .and_then(|()| level_text(&p, i, level))
            .and_then(|t| {
                std::fs::write(ldir.join("plan.toml"), t).map_err(|e| crate::input::plain(&e))
            });
        if let Err(e) = made {
            errln!("error: {}: {e}", ldir.display());
            fold.broke(i, format!("level {}'s folder could not be made", i + 1));
            break;
        }
        if !one.quiet {
            errln!(
                "pace: stair level {} of {} ({}): ramp {} + hold {}, results in {}",
                i + 1,
                levels.len(),
                level.label(),
                human_duration(st.ramp()),
                human_duration(st.hold.0),
                ldir.display()
            );
        }
        // Each level draws its own schedule, reproducibly from the seed.
        let lone = OneRun {
            seed: one.seed.wrapping_add(i as u64),
            ..*one
        };
        let ran = match run_one(rt, p, &ldir, &lone) {
            Ok(r) => r,
            Err(code) => {
                bad_code = Some(code);
                fold.broke(i, format!("level {} could not run", i + 1));
                break;
            }
        };
        let m = measure(i, level, &name, &ran.published.summary, &ran.agg);
        run_ids.push(ran.published.run_id);
        let goes_on = fold.push(i, m, ran.partial);
        // The table so far, between levels; after the last one the
        // stair's end prints it once, with its stop and knee.
        if !goes_on || i + 1 == levels.len() {
            break;
        }
        outln!("{}", header());
        for row in fold.rows() {
            outln!("{}", row_line(row));
        }
    }
    let summary = fold.finish(
        &st,
        one.file.display().to_string(),
        started,
        humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string(),
    );
    print_end(&summary);
    let mut code = state_code(summary.verdict.state);
    if let Some(c) = bad_code {
        code = c;
    }
    let written = write_stair(&summary, dir);
    let report = written.is_ok();
    if let Err(e) = written {
        errln!(
            "error: could not write the stair's report in {}: {e}",
            dir.display()
        );
        code = exit::INTERRUPTED;
    }
    if let Some(url) = &one.publish.db {
        match store_stair(&summary, dir, url, run_ids) {
            Ok(id) if !one.quiet => errln!("pace: stair stored as stair {id} in {url}"),
            Ok(_) => {}
            Err(e) => {
                errln!("error: results_database: the stair was not stored: {e}");
                code = exit::INTERRUPTED;
            }
        }
    }
    if !one.quiet {
        errln!("pace: stair results in {}", dir.display());
    }
    print_verdict(&summary, dir, report);
    code
}

/// The exit code of a stair's verdict (README's table).
pub(super) fn state_code(state: State) -> i32 {
    match state {
        State::Pass => exit::OK,
        State::Fail => exit::FAILED,
        State::NoChecks => exit::NO_CHECKS,
        State::Incomplete => exit::INTERRUPTED,
    }
}

/// Writes the stair's summary.json and report.html into its folder.
pub(super) fn write_stair(summary: &StairSummary, dir: &Path) -> Result<(), String> {
    let name = crate::results::summary::plan_name(&summary.plan_file);
    serde_json::to_string_pretty(summary)
        .map_err(|e| e.to_string())
        .and_then(|j| {
            std::fs::write(dir.join("summary.json"), j).map_err(|e| crate::input::plain(&e))
        })
        .and_then(|()| {
            std::fs::write(
                dir.join("report.html"),
                crate::export::html::stairs::page(summary, &name),
            )
            .map_err(|e| crate::input::plain(&e))
        })
}

/// Stores the stair (its table and its levels' run ids) in the results
/// database `url`; returns the stair's id there.
pub(super) fn store_stair(
    summary: &StairSummary,
    dir: &Path,
    url: &str,
    run_ids: Vec<Option<i64>>,
) -> Result<i64, String> {
    let rec = crate::store::StairRecord {
        dir: dir.to_path_buf(),
        started_at: summary.started_at.clone(),
        plan_name: crate::results::summary::plan_name(&summary.plan_file),
        verdict: summary.verdict.state.name().into(),
        table: &summary.stairs,
        run_ids,
    };
    crate::store::open(url)
        .and_then(|mut s| s.save_stair(&rec))
        .map_err(|e| e.to_string())
}

/// The stair's end on the console: the whole table, the stop and the knee,
/// then the verdict.
pub(super) fn print_end(s: &StairSummary) {
    let t = &s.stairs;
    outln!();
    outln!("stair ({} model, hold {} s):", t.model, t.hold_s);
    outln!("{}", header());
    for r in &t.levels {
        outln!("{}", row_line(r));
    }
    if !t.not_run.is_empty() {
        let rest: Vec<String> = t
            .not_run
            .iter()
            .map(|l| serde_json::to_string(l).unwrap_or_default())
            .collect();
        outln!("not run: {}", rest.join(", "));
    }
    match &t.stopped {
        Some(st) => outln!(
            "stopped at level {} by rule {}: {}",
            st.level,
            st.rule,
            crate::visible::one_line(&st.why)
        ),
        None if t.levels.iter().any(|l| l.partial) => {
            outln!("stopped: interrupted; the partial level is left out of the knee")
        }
        None => outln!("stopped: no, every level ran"),
    }
    match t.knee {
        Some(k) => outln!(
            "knee: N {} at X {}/s ({})",
            round_sig(k.n, 4),
            round_sig(k.x_per_s, 4),
            t.knee_note
        ),
        None => outln!("knee: {}", t.knee_note),
    }
}

/// The stair's last lines: its folder and report, then its verdict.
pub(super) fn print_verdict(s: &StairSummary, dir: &Path, report: bool) {
    super::console::print_folder(dir, report);
    print_stair_verdict(s);
}

/// The stair's verdict word and its reasons, one a line.
pub(super) fn print_stair_verdict(s: &StairSummary) {
    outln!("stair verdict: {}", s.verdict.state.word());
    for r in &s.verdict.reasons {
        outln!("  - {}", crate::visible::one_line(r));
    }
}
