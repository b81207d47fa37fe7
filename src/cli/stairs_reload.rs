//! `pace verify` and `pace report` on a stair's folder (its plan.toml has
//! `[run.stairs]`): every level folder read back as those commands read a
//! run's, then folded into the stair's table, stop, knee and verdict by the
//! fold the run used (crate::results::stair_fold), so a stair read back
//! says what its run said, and a killed stair says which level it stopped
//! in and that it is incomplete.

use super::finish::{self, Publish};
use super::stairs_cmd::{
    print_end, print_stair_verdict, print_verdict, state_code, store_stair, write_stair,
};
use crate::plan::stairs::StairsSection;
use crate::results::stair_fold::StairFold;
use crate::results::stairs::{StairSummary, measure};
use std::path::Path;

/// The stairs of a results folder, when the folder is a stair's: its own
/// plan.toml has `[run.stairs]`. `None` for any other folder, and for one
/// whose plan does not load (the single-run reader then says why).
pub fn stair_plan(dir: &Path) -> Option<StairsSection> {
    let path = dir.join("plan.toml");
    if !dir.is_dir() || !path.is_file() {
        return None;
    }
    let (p, _, _) = finish::load_plan(&path).ok()?;
    p.run.stairs
}

/// What the stair's own summary.json recorded of its run, when it has
/// one: the plan file's name and the start and end times.
fn recorded(dir: &Path) -> Option<StairSummary> {
    let text = crate::input::read_text(&dir.join("summary.json")).ok()?;
    serde_json::from_str(&text).ok()
}

/// How a level is read back: judged only (`pace verify`), or with its
/// reports rebuilt (`pace report`).
pub enum Reading<'a> {
    Verify,
    Report {
        ts: Option<f64>,
        publish: &'a Publish,
    },
}

/// Reads every level of the stair in `dir` back, in order, until one is
/// missing, unreadable, interrupted or stopped by a rule; returns the
/// stair's summary and the database ids of the levels stored (report
/// with a database only).
pub fn reread(dir: &Path, st: &StairsSection, how: &Reading) -> (StairSummary, Vec<Option<i64>>) {
    let levels = st.levels();
    let before = recorded(dir);
    let mut fold = StairFold::new(st);
    let mut run_ids = Vec::new();
    // Without the stair's own summary, its levels' clocks say when it ran.
    let mut clock: Option<(String, String)> = None;
    for (i, &level) in levels.iter().enumerate() {
        let name = level.dir_name(i);
        let ldir = dir.join(&name);
        if !ldir.is_dir() {
            // A stair that ended by a rule never gets here; one with no
            // summary of its own was stopped before this level.
            if before.is_none() {
                fold.broke(i, format!("level {} was never started", i + 1));
            }
            break;
        }
        let ts = match how {
            Reading::Verify => None,
            Reading::Report { ts, .. } => *ts,
        };
        let (lplan, agg, meta) = match finish::reload(&ldir, None, ts) {
            Ok(x) => x,
            Err(e) => {
                fold.broke(
                    i,
                    format!(
                        "level {} could not be read back: {}",
                        i + 1,
                        crate::visible::one_line(e.trim_start_matches("error: "))
                    ),
                );
                break;
            }
        };
        let partial = meta.partial;
        let summary = match how {
            Reading::Verify => finish::judged(&lplan, &agg, meta),
            Reading::Report { publish, .. } => {
                let done = finish::publish(lplan, &agg, meta, &ldir, publish);
                run_ids.push(done.run_id);
                done.summary
            }
        };
        let start = clock
            .take()
            .map_or_else(|| summary.meta.started_at.clone(), |c| c.0);
        clock = Some((start, summary.meta.finished_at.clone()));
        let m = measure(i, level, &name, &summary, &agg);
        if !fold.push(i, m, partial) {
            break;
        }
    }
    let (file, started, finished) = match before {
        Some(b) => (b.plan_file, b.started_at, b.finished_at),
        None => {
            let (from, to) = clock.unwrap_or_default();
            (dir.join("plan.toml").display().to_string(), from, to)
        }
    };
    (fold.finish(st, file, started, finished), run_ids)
}

/// `pace verify STAIR_DIR`: the stair judged again from its levels;
/// prints its table and verdict, returns the exit code of the verdict.
pub fn verify(dir: &Path, st: &StairsSection) -> i32 {
    let (s, _) = reread(dir, st, &Reading::Verify);
    print_end(&s);
    print_stair_verdict(&s);
    state_code(s.verdict.state)
}

/// `pace report STAIR_DIR`: every level's reports rebuilt, then the
/// stair's summary.json and report.html written again from them.
pub fn report(dir: &Path, st: &StairsSection, ts: Option<f64>, publish: &Publish) -> i32 {
    let (s, run_ids) = reread(dir, st, &Reading::Report { ts, publish });
    print_end(&s);
    let written = write_stair(&s, dir);
    let mut code = state_code(s.verdict.state);
    if let Err(e) = &written {
        errln!(
            "error: could not write the stair's report in {}: {e}",
            dir.display()
        );
        code = super::exit::INTERRUPTED;
    }
    if let Some(url) = &publish.db
        && let Err(e) = store_stair(&s, dir, url, run_ids)
    {
        errln!("error: results_database: the stair was not stored: {e}");
        code = super::exit::INTERRUPTED;
    }
    print_verdict(&s, dir, written.is_ok());
    code
}
