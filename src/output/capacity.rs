//! `pace capacity`'s table and JSON: the USL and the plateau fitted to
//! the same points, which one the data support, and what it predicts.
//! Both render one [`CapacityReport`], so the table and `--json` always
//! show the same numbers. Every finding is stated only where the data
//! support it, and every number a model would give that is impossible (a
//! negative response time, a throughput above a bound) is reported as
//! "not determined" with the reason, never as a result.

use crate::capacity::bounds::Demands;
use crate::capacity::choice::{self, Choice, Chosen};
use crate::capacity::findings::{self, Finding};
use crate::capacity::knee::{DEFAULT_SENSITIVITY, kneedle};
use crate::capacity::levels::{LevelMean, level_means};
use crate::capacity::plateau::PlateauFit;
use crate::capacity::usl::{Fit, RECOMMENDED_POINTS};
use crate::units::round_sig;

mod json;
mod rows;
pub use json::capacity_json;
pub use rows::{capacity_rows, capacity_table};

/// One measured point: a load level, or one run of a level that was run
/// several times (then several share its N).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Measured {
    /// Concurrency N (> 0).
    pub n: f64,
    /// Throughput X (> 0), in the report's [`XUnit`].
    pub x: f64,
    /// Measured mean response time R in seconds, when the input has it:
    /// of a whole iteration when X counts iterations.
    pub r: Option<f64>,
}

/// What X counts, after the inputs were brought to one unit
/// (docs/capacity.md, "What X counts").
#[derive(Debug, Clone, PartialEq)]
pub struct XUnit {
    /// The axis and table label: "iterations per second", "per second",
    /// "the input's unit".
    pub label: String,
    /// One sentence: what X counts and where the conversion came from.
    pub note: String,
    /// Transactions per iteration shared by every point, when X was
    /// converted from transactions (≠ 1): results are also given in
    /// transactions per second with it.
    pub per_iteration: Option<f64>,
    /// X counts iterations (user cycles), so the think time Z, R = N/X − Z
    /// and the bounds apply to it; false for a CSV taken as given.
    pub iterations: bool,
}

impl XUnit {
    /// Results folders whose iterations are one transaction each.
    pub fn one_transaction(folders_only: bool) -> XUnit {
        XUnit {
            label: "per second".into(),
            note: if folders_only {
                "transactions per second; every iteration is one transaction, so also iterations per second".into()
            } else {
                "per second (the results folders' iterations are one transaction each; the CSVs' as --transactions-per-iteration says)".into()
            },
            per_iteration: None,
            iterations: true,
        }
    }

    /// X converted to iterations per second: transactions/s ÷ `common`
    /// (or each level's own count, from `range.0` to `range.1`).
    pub fn iterations(common: Option<f64>, range: (f64, f64), csv: bool) -> XUnit {
        let k = match common {
            Some(k) => format!("{} transactions per iteration", sig(k, 4)),
            None => format!(
                "each level's own transactions per iteration, {} to {}",
                sig(range.0, 4),
                sig(range.1, 4)
            ),
        };
        let from = if csv {
            "the plans (results folders) and --transactions-per-iteration (CSVs)"
        } else {
            "each level's plan.toml"
        };
        XUnit {
            label: "iterations per second".into(),
            note: format!(
                "iterations per second: transactions/s ÷ {k} (from {from}); R is the whole iteration's, Z belongs to an iteration"
            ),
            per_iteration: common,
            iterations: true,
        }
    }

    /// A CSV's X in whatever unit its tool wrote.
    pub fn as_given() -> XUnit {
        XUnit {
            label: "the input's unit".into(),
            note: "as the CSV gives it; --think and R = N/X − Z take it as iterations (user cycles) per second: give --transactions-per-iteration for a CSV of transactions".into(),
            per_iteration: None,
            iterations: false,
        }
    }

    /// `x` with its value in transactions per second added when X was
    /// converted by one common count: "30.7 (92.1 transactions/s)".
    pub fn show(&self, x: f64) -> String {
        match self.per_iteration {
            Some(k) => format!("{} ({} transactions/s)", sig(x, 6), sig(x * k, 6)),
            None => sig(x, 6),
        }
    }
}

fn sig(v: f64, n: i32) -> String {
    super::sig(v, n)
}

impl Default for XUnit {
    /// X as the input gives it, per second (a stair's report page).
    fn default() -> Self {
        XUnit {
            label: "per second".into(),
            note: "per second, as measured".into(),
            per_iteration: None,
            iterations: true,
        }
    }
}

/// What the user asked for beyond the fit.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Questions {
    /// `--at N`: concurrencies to predict X and R at.
    pub at: Vec<f64>,
    /// `--target-x`: the throughput to reach.
    pub target_x: Option<f64>,
    /// `--target-r`: the response time (s) not to exceed.
    pub target_r: Option<f64>,
    /// `--think`: think time Z (s) of the closed system, 0 by default.
    pub think: f64,
    /// `--demand` with `--think`: the asymptotic bounds no prediction
    /// may exceed.
    pub demands: Option<Demands>,
}

/// A prediction at one N: X and R, each found or not determined.
#[derive(Debug, Clone, PartialEq)]
pub struct Prediction {
    pub n: f64,
    /// X(N), in the report's unit.
    pub x: Finding<f64>,
    /// R(N) = N/X(N) − Z, seconds.
    pub r: Finding<f64>,
}

/// The fits and every number derived from them.
#[derive(Debug, Clone)]
pub struct CapacityReport {
    /// Where the points came from (printed as is).
    pub source: String,
    /// The measured points, sorted by N; an N run several times is a
    /// point per run, all fitted.
    pub measured: Vec<Measured>,
    /// The USL fit.
    pub fit: Fit,
    /// The plateau fit, when it describes the data at all.
    pub plateau: Option<PlateauFit>,
    /// Why there is no plateau fit, when there is none.
    pub plateau_why: Option<String>,
    /// Which model the report leads with, and why.
    pub choice: Choice,
    /// The Kneedle knee of the measured X(N): its level's N, the mean X
    /// there and how many observations that mean is over (Kneedle reads
    /// one X per N, so a level run several times gives its mean).
    pub knee: Option<LevelMean>,
    /// The questions asked.
    pub questions: Questions,
    /// Caveats about the data or the fit.
    pub warnings: Vec<String>,
    /// What X counts.
    pub unit: XUnit,
    /// Why R = N/X − Z cannot be told at all (Z longer than a measured
    /// cycle, or than the chosen model's one-user cycle).
    pub think_conflict: Option<String>,
}

impl CapacityReport {
    /// Builds the report with X per second as measured; `measured` must
    /// be sorted by N and be the points `fit` was made from.
    pub fn new(source: String, measured: Vec<Measured>, fit: Fit, questions: Questions) -> Self {
        Self::with_unit(source, measured, fit, questions, XUnit::default())
    }

    /// [`CapacityReport::new`] with X in `unit`.
    pub fn with_unit(
        source: String,
        measured: Vec<Measured>,
        fit: Fit,
        questions: Questions,
        unit: XUnit,
    ) -> Self {
        let n: Vec<f64> = measured.iter().map(|m| m.n).collect();
        let x: Vec<f64> = measured.iter().map(|m| m.x).collect();
        let points: Vec<(f64, f64)> = n.iter().copied().zip(x.iter().copied()).collect();
        let levels = level_means(&points);
        let level_n: Vec<f64> = levels.iter().map(|l| l.n).collect();
        let level_x: Vec<f64> = levels.iter().map(|l| l.x).collect();
        let knee = kneedle(&level_n, &level_x, DEFAULT_SENSITIVITY)
            .ok()
            .flatten()
            .map(|i| levels[i]);
        let plateau_why = crate::capacity::plateau::fit(&points, fit.level)
            .err()
            .map(|e| e.to_string());
        let (plateau, choice) = choice::compare(&points, &fit);
        let mut warnings = Vec::new();
        // Six distinct loads, however often each was run: repeated runs
        // narrow X at a load, not the curve between loads.
        if levels.len() < RECOMMENDED_POINTS {
            let runs = if measured.len() > levels.len() {
                format!(" ({} runs)", measured.len())
            } else {
                String::new()
            };
            warnings.push(format!(
                "only {} load levels{runs}: fit to at least {RECOMMENDED_POINTS} distinct N (codahale/usl, the usl R package); the numbers are fragile and the choice of model is weak",
                levels.len()
            ));
        }
        let n_max = n.last().copied().unwrap_or(0.0);
        if n.first().is_some_and(|&n0| n0 > 1.0) {
            warnings.push("no measurement at N = 1: one user's throughput is extrapolated".into());
        }
        if fit.sigma.at_bound {
            warnings.push("the USL's σ is held at its bound 0: the data scale at least linearly at low load, so it has no standard error".into());
        }
        if fit.kappa.at_bound {
            warnings.push("the USL's κ is held at its bound 0: no retrograde region was measured, so there is no peak and κ has no standard error".into());
        }
        if choice.chosen == Chosen::Usl
            && let Finding::Found(p) = findings::peak(&fit)
            && p > n_max
        {
            warnings.push(format!(
                "the peak N* = {} lies beyond the largest measured N = {}: it is extrapolated",
                round_sig(p, 4),
                round_sig(n_max, 6)
            ));
        }
        let z = questions.think;
        let mut think_conflict = None;
        // R = N/X − Z (interactive response-time law) is negative when Z is
        // longer than a user's whole cycle N/X: Z or X's unit is wrong.
        if z > 0.0
            && let Some(m) = measured.iter().find(|m| m.n / m.x < z)
        {
            let fix = if unit.iterations {
                "so Z or X's unit is wrong"
            } else {
                "so Z is wrong or the CSV counts transactions of several per iteration (--transactions-per-iteration)"
            };
            let why = format!(
                "--think {} is longer than a user's whole cycle N/X = {} at the measured N = {}: R = N/X − Z would be negative, {fix}",
                crate::units::secs(z),
                crate::units::secs(m.n / m.x),
                round_sig(m.n, 6)
            );
            warnings.push(why.clone());
            think_conflict = Some(why);
        }
        if let Some(d) = questions.demands
            && let Some(m) = measured
                .iter()
                .find(|m| m.x > d.throughput_upper(m.n) * (1.0 + 1e-9))
        {
            warnings.push(format!(
                "the measured X = {} at N = {} is above the asymptotic bound {} of --demand and --think: the demands, Z or X's unit is wrong",
                round_sig(m.x, 6),
                round_sig(m.n, 6),
                round_sig(d.throughput_upper(m.n), 6)
            ));
        }
        let mut rep = CapacityReport {
            source,
            measured,
            fit,
            plateau,
            plateau_why,
            choice,
            knee,
            questions,
            warnings,
            unit,
            think_conflict,
        };
        if rep.think_conflict.is_none()
            && z > 0.0
            && let Some(cycle) = rep.one_user_cycle()
            && cycle < z
        {
            rep.think_conflict = Some(format!(
                "the {} puts one user's whole cycle at {}, shorter than --think {}: R = N/X − Z would be negative",
                rep.model_name(),
                crate::units::secs(cycle),
                crate::units::secs(z)
            ));
        }
        rep
    }

    /// The plateau fit when it is the chosen model.
    pub fn chosen_plateau(&self) -> Option<&PlateauFit> {
        self.plateau
            .as_ref()
            .filter(|_| self.choice.chosen == Chosen::Plateau)
    }

    /// "plateau model" or "USL".
    pub fn model_name(&self) -> &'static str {
        match self.choice.chosen {
            Chosen::Plateau => "plateau model",
            Chosen::Usl => "USL",
        }
    }

    /// One user alone: 1/λ (USL) or 1/a (plateau), seconds when X is per
    /// second.
    fn one_user_cycle(&self) -> Option<f64> {
        match self.chosen_plateau() {
            Some(p) => Some(p.model.cycle_s()),
            None => Some(1.0 / self.fit.model.lambda).filter(|c| c.is_finite()),
        }
    }

    /// X(N) of the chosen model.
    pub fn throughput(&self, n: f64) -> f64 {
        match self.chosen_plateau() {
            Some(p) => p.model.throughput(n),
            None => self.fit.model.throughput(n),
        }
    }

    /// X and R at `n` from the chosen model, each refused when impossible:
    /// X above a bound (N/Z, the most users who think Z can make, or the
    /// asymptotic bound of --demand), R below 0.
    pub fn predict(&self, n: f64) -> Prediction {
        let z = self.questions.think;
        let x = self.throughput(n);
        let mut x_f = Finding::Found(x);
        if !(x.is_finite() && x > 0.0) {
            x_f = Finding::NotDetermined(format!(
                "the {} gives no throughput there",
                self.model_name()
            ));
        } else if let Some(d) = self.questions.demands
            && x > d.throughput_upper(n) * (1.0 + 1e-9)
        {
            x_f = Finding::NotDetermined(format!(
                "the {}'s X = {} is above the asymptotic bound {} of --demand and --think: the model and the demands disagree",
                self.model_name(),
                round_sig(x, 6),
                round_sig(d.throughput_upper(n), 6)
            ));
        } else if z > 0.0 && x > n / z {
            x_f = Finding::NotDetermined(format!(
                "the {}'s X = {} is above N/Z = {}, the most N users who think Z can make",
                self.model_name(),
                round_sig(x, 6),
                round_sig(n / z, 6)
            ));
        }
        let r_f = match (&x_f, &self.think_conflict) {
            (_, Some(why)) => Finding::NotDetermined(why.clone()),
            (Finding::NotDetermined(w), None) => Finding::NotDetermined(w.clone()),
            (Finding::Found(x), None) => {
                let r = n / x - z;
                if r >= 0.0 {
                    Finding::Found(r)
                } else {
                    Finding::NotDetermined(format!(
                        "N/X − Z = {} is negative: Z or X's unit is wrong",
                        crate::units::secs(r)
                    ))
                }
            }
        };
        Prediction { n, x: x_f, r: r_f }
    }

    /// The N meeting `--target-x`, when asked: (target, N or why not).
    pub fn target_x(&self) -> Option<(f64, Finding<f64>)> {
        let x = self.questions.target_x?;
        let n = match self.chosen_plateau() {
            Some(p) => p.model.concurrency_for_throughput(x).ok_or(format!(
                "above the asymptotic bound X_max = {}: no load reaches it",
                round_sig(p.model.ceiling, 6)
            )),
            None => self
                .fit
                .model
                .concurrency_for_throughput(x)
                .ok_or_else(|| "above the fitted peak throughput: not reachable".to_string()),
        };
        Some((
            x,
            match n {
                Ok(n) => Finding::Found(n),
                Err(w) => Finding::NotDetermined(w),
            },
        ))
    }

    /// The N meeting `--target-r`, when asked: (target, N or why not).
    pub fn target_r(&self) -> Option<(f64, Finding<f64>)> {
        let r = self.questions.target_r?;
        let z = self.questions.think;
        if let Some(w) = &self.think_conflict {
            return Some((r, Finding::NotDetermined(w.clone())));
        }
        let n = match self.chosen_plateau() {
            Some(p) => p.model.concurrency_for_response_time(r, z).ok_or(format!(
                "below the response time of one user alone, D = 1/a − Z = {}: not reachable",
                crate::units::secs(p.model.cycle_s() - z)
            )),
            None => self
                .fit
                .model
                .concurrency_for_response_time(r, z)
                .ok_or_else(|| "below the single-user response time: not reachable".to_string()),
        };
        Some((
            r,
            match n {
                Ok(n) => Finding::Found(n),
                Err(w) => Finding::NotDetermined(w),
            },
        ))
    }
}
