//! A stair's levels folded into its table, stop, knee and verdict, one
//! level at a time: the same fold whether the levels are being run (`pace
//! run`) or read back from their folders (`pace verify`, `pace report`), so
//! a stair read back says what its run said, and a killed stair says where
//! it stopped.

use super::judgement::State;
use super::stairs::{
    LevelRow, Measured, StairSummary, StairTable, Stopped, knee, stop_rule, verdict,
};
use crate::plan::stairs::{StairsSection, StopRule};

/// The levels measured so far and why the stair ended, if it did.
#[derive(Debug, Clone)]
pub struct StairFold {
    rules: Vec<StopRule>,
    min_rate: f64,
    /// Every level measured, in order.
    pub measured: Vec<Measured>,
    stopped: Option<Stopped>,
    /// Why the stair did not end as planned (a level interrupted, a level
    /// that could not run or be read back).
    pub interrupted: Option<String>,
    /// The index of the first level not run.
    next: usize,
}

impl StairFold {
    /// An empty fold for `st`'s stop rules.
    pub fn new(st: &StairsSection) -> StairFold {
        StairFold {
            rules: st.stop_rules(),
            min_rate: st.min_rate(),
            measured: Vec::new(),
            stopped: None,
            interrupted: None,
            next: 0,
        }
    }

    /// Adds level `index` (0-based), measured from its judged run, which
    /// ran to its end unless `partial`; returns whether the stair goes on
    /// (no stop rule fired and the level was not interrupted).
    pub fn push(&mut self, index: usize, mut m: Measured, partial: bool) -> bool {
        if partial {
            self.interrupted = Some(format!("level {} was interrupted", index + 1));
            m.row.pass = false;
            m.row.partial = true;
            m.row
                .reasons
                .insert(0, "interrupted before its hold ended".into());
        }
        // A partial level is no evidence for a stop rule.
        let stopped = if partial {
            None
        } else {
            stop_rule(&self.rules, self.min_rate, &m, self.measured.last())
        };
        if let Some(s) = &stopped {
            m.row.pass = false;
            m.row
                .reasons
                .push(format!("stop rule {}: {}", s.rule, s.why));
        }
        self.measured.push(m);
        self.next = index + 1;
        let goes_on = !partial && stopped.is_none();
        self.stopped = stopped;
        goes_on
    }

    /// Level `index` never produced a measurement: `why` says so (it could
    /// not run, its folder could not be made or read back).
    pub fn broke(&mut self, index: usize, why: String) {
        self.interrupted = Some(why);
        self.next = index;
    }

    /// The rows so far, for the table printed after each level.
    pub fn rows(&self) -> impl Iterator<Item = &LevelRow> {
        self.measured.iter().map(|m| &m.row)
    }

    /// The stair's summary: `st`'s levels from the first not run on are
    /// listed as not run; the knee is found over the measured levels and
    /// the verdict from their states.
    pub fn finish(
        self,
        st: &StairsSection,
        plan_file: String,
        started_at: String,
        finished_at: String,
    ) -> StairSummary {
        let levels = st.levels();
        let rows: Vec<LevelRow> = self.measured.iter().map(|m| m.row.clone()).collect();
        let (k, knee_note) = knee(&rows);
        let table = StairTable {
            model: st.model().into(),
            hold_s: st.hold.0,
            ramp_s: st.ramp(),
            levels: rows,
            not_run: levels[self.next.min(levels.len())..]
                .iter()
                .map(|&l| l.into())
                .collect(),
            stopped: self.stopped,
            knee: k,
            knee_note,
        };
        let states: Vec<State> = self.measured.iter().map(|m| m.state).collect();
        let v = verdict(&table, &states, self.interrupted.as_deref());
        StairSummary {
            pace_version: env!("CARGO_PKG_VERSION").into(),
            partial: self.interrupted.is_some(),
            plan_file,
            started_at,
            finished_at,
            verdict: v,
            stairs: table,
        }
    }
}
