//! What the verdict decided, as data. The recorded model carries it so that
//! every exporter and the store read one model; the judging itself is
//! `crate::verdict`'s, which reads the aggregate and writes these.

use serde::{Deserialize, Serialize};

/// The verdict's one word.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    /// Every promise of the plan was checked and held, and the run did real
    /// work. Exit 0.
    Pass,
    /// A check failed (a promise of the plan, or an always-on check: no
    /// transaction succeeded, a group's users all retired). Exit 1.
    Fail,
    /// The run did real work, but the plan promises nothing to judge (no
    /// target rate, no threshold): nothing was judged. Exit 4.
    NoChecks,
    /// The run did not finish: interrupted, killed, or it could not be
    /// recorded. What ran is judged and shown, never as a PASS. Exit 3.
    Incomplete,
}

impl State {
    /// Its name in summary.json and the results database.
    pub fn name(self) -> &'static str {
        match self {
            State::Pass => "pass",
            State::Fail => "fail",
            State::NoChecks => "no_checks",
            State::Incomplete => "incomplete",
        }
    }

    /// The word the console and the reports print.
    pub fn word(self) -> &'static str {
        match self {
            State::Pass => "PASS",
            State::Fail => "FAIL",
            State::NoChecks => "NO CHECKS",
            State::Incomplete => "INCOMPLETE",
        }
    }
}

/// One acceptance check.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Check {
    pub name: String,
    pub target: String,
    pub achieved: String,
    pub pass: bool,
    /// Why it failed, in words (also in `Verdict::reasons`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Over which samples and which span it judged (absent in summaries
    /// written before pace said so).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub over: Option<Over>,
}

/// The samples and the span a check judged (docs/verdict.md, "The span").
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Over {
    /// "window" (the steady state: after ramp-up, a stair level's hold),
    /// "run" (from the first start) or "whole_run" (a check that always
    /// reads the whole run, as `users working`).
    pub span: String,
    /// The span, seconds since t0: [from_s, to_s).
    pub from_s: f64,
    pub to_s: f64,
    /// What was counted, in words ("344 transactions of the window 0-10 s
    /// (successes and failures, each at its elapsed time)").
    pub samples: String,
    /// How many were counted.
    pub count: u64,
}

/// One cause of a throughput shortfall (or excess), with its share.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Cause {
    /// A stable name: `failed`, `cutoff`, `behind_schedule`, `skipped`,
    /// `dropped`, `retired`, `slow_iterations`, `fast_iterations`,
    /// `scheduler_lag` or `unexplained`.
    pub cause: String,
    /// Transactions it explains (missing ones, or extra ones above the band).
    pub transactions: f64,
    /// Its share of the shortfall (or excess), 0 to 1.
    pub share: f64,
    /// The cause in words, with the measurements behind it.
    pub detail: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Verdict {
    /// True only for [`State::Pass`].
    pub pass: bool,
    /// Why the run failed, in words; for an incomplete run, why it is.
    pub reasons: Vec<String>,
    pub checks: Vec<Check>,
    #[serde(default = "unknown_state")]
    pub state: State,
    /// Material causes of a throughput shortfall, largest first.
    #[serde(default)]
    pub causes: Vec<Cause>,
    /// What the plan promises that could not be judged, and why.
    #[serde(default)]
    pub unjudged: Vec<String>,
    /// Facts a reader needs beside the checks (e.g. why the band was not
    /// applied, users that retired).
    #[serde(default)]
    pub notes: Vec<String>,
    /// The operational-law audit of the steady window: one entry per
    /// group (and per `[[resource]]`), checked or not and why.
    #[serde(default)]
    pub laws: Vec<LawCheck>,
}

impl LawCheck {
    /// The law as a formula: "N = X·(R + Z)", "L = λ·W" or "U = X·D".
    pub fn formula(&self) -> &'static str {
        match self.law.as_str() {
            "little" => "L = λ·W",
            "utilization" => "U = X·D",
            _ => "N = X·(R + Z)",
        }
    }
}

/// One operational law audited on a run's steady window. Times in
/// seconds, rates per second; a term pace could not measure is absent,
/// and then `ok` is absent too and `detail` says why it was not checked.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct LawCheck {
    /// "interactive response time" (N = X·(R + Z), closed groups),
    /// "little" (L = λ·W, arrival-rate groups) or "utilization" (U = X·D).
    pub law: String,
    /// What it was applied to: "group 'web'" or "resource 'db-cpu'".
    pub subject: String,
    /// Measured mean users (interactive) or iterations in flight (Little).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub n: Option<f64>,
    /// Throughput: completions per second (iterations, or transactions
    /// for a resource whose demand is per transaction).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub x_per_s: Option<f64>,
    /// Mean iteration time R (Little's W).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub r_s: Option<f64>,
    /// Mean idle time between a user's iterations Z.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub z_s: Option<f64>,
    /// X·(R + Z), or X·W.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub predicted_n: Option<f64>,
    /// The utilisation stated by the plan, and X·D (fractions).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub utilization: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub demand_s: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub predicted_utilization: Option<f64>,
    /// Predicted over measured: 1 when the law holds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ratio: Option<f64>,
    /// The |ratio − 1| allowed: the law's tolerance plus what the
    /// window's edges can explain.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tolerance: Option<f64>,
    /// Whether it held; absent when it was not checked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ok: Option<bool>,
    /// The audit in words: the numbers, or why it was not checked.
    pub detail: String,
}

/// summary.json files written before pace recorded a state.
fn unknown_state() -> State {
    State::Incomplete
}

/// The throughput the plan expects over the window, where it sets one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Expected {
    /// The plan's rate (what its groups produce), per minute.
    pub tpm: f64,
    /// The band, per minute, and in transactions of the window around
    /// `transactions`, the mean count an honest run makes there.
    pub tpm_low: f64,
    pub tpm_high: f64,
    pub transactions: f64,
    pub transactions_low: f64,
    pub transactions_high: f64,
    pub confidence: f64,
    /// "auto" (the statistical band) or a fixed percentage.
    pub tolerance: String,
    /// True when a closed-loop group (after-end, none) is in the plan: its
    /// mean comes from the plan's response time and its spread from the
    /// measured iteration times, so the band is approximate.
    #[serde(default)]
    pub approximate: bool,
    /// Each group's expected transactions in the window, in plan order.
    #[serde(default)]
    pub groups: Vec<GroupExpected>,
    /// The transactions the run's own schedule drew for the window: every
    /// scheduled group's drawn starts (made or not) times its transactions
    /// per iteration, plus every closed-loop group's `transactions`. Absent
    /// before a run, and when no group draws a schedule. A count outside
    /// the band whose draw alone lies outside it is judged against this
    /// ([verdict.md](../../docs/verdict.md)).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub drawn: Option<f64>,
}

/// One group's share of [`Expected`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GroupExpected {
    pub name: String,
    pub tpm: f64,
    /// Expected transactions in the window, and their standard deviation.
    pub transactions: f64,
    pub sd: f64,
    pub transactions_per_iteration: u32,
}
