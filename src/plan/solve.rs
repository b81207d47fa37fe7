//! Little's law, solved for whatever the user did not give.
//!
//! users = iteration rate x pacing;  pacing = baseline + think;
//! baseline = transactions per iteration x response time.
//!
//! Also the seed's iteration formula: with duration D, baseline B, think T and
//! I target iterations per user, the residual R = D - (T + B) I and the pacing
//! wait P = R / I, so the start-to-start interval is D / I.

use super::PlanError;
use super::band::{Band, Load, band};
use super::file::Tolerance;
use super::pacing::{DistKind, Pacing, beta_shape};
use crate::capacity::interval::{MAX_RELATIVE_HALF_WIDTH, MeanInterval};
use crate::units::{RampUp, human_duration, round_sig};

/// Relative tolerance under which two derived quantities count as equal.
const REL_EQ: f64 = 1e-9;

/// What the user asked for. Every field maps to one `pace plan` flag, and
/// errors name that flag.
#[derive(Debug, Clone)]
pub struct PlanInput {
    /// Target transactions per second, and the flag it came from.
    pub rate: Option<(f64, &'static str)>,
    /// Average response time of one transaction, seconds.
    pub rt: f64,
    pub users: Option<u64>,
    pub think: Option<f64>,
    pub pacing: Option<f64>,
    pub tx_per_iter: u32,
    pub duration: f64,
    pub ramp_up: RampUp,
    pub iterations: Option<f64>,
    pub tpm_min: Option<f64>,
    pub tpm_max: Option<f64>,
    pub pacing_min: Option<f64>,
    pub pacing_max: Option<f64>,
    pub dist: Option<DistKind>,
    pub alpha: Option<f64>,
    pub confidence: f64,
    /// B measured by `pace baseline` (`--from`); `rt` is then its mean
    /// divided by `tx_per_iter`.
    pub measured: Option<MeasuredBaseline>,
}

/// An iteration time B measured by `pace baseline`, in place of the
/// `--rt` guess.
#[derive(Debug, Clone, PartialEq)]
pub struct MeasuredBaseline {
    /// The baseline folder, as given.
    pub source: String,
    /// The baseline group B was taken from.
    pub group: String,
    /// B's mean and t interval, seconds.
    pub b: MeanInterval,
}

impl MeasuredBaseline {
    /// `measured by pace baseline in DIR, group 'g': n = 30, mean 102 ms,
    /// 95% interval 101 ms - 103 ms (±1%)`.
    pub fn describe(&self) -> String {
        format!(
            "measured by pace baseline in {}, group '{}': n = {}, mean {}, {}% interval {} - {} (±{}%)",
            self.source,
            self.group,
            self.b.n,
            human_duration(self.b.mean),
            round_sig(100.0 * self.b.confidence, 3),
            human_duration(self.b.low),
            human_duration(self.b.high),
            round_sig(100.0 * self.b.relative_half_width(), 2)
        )
    }
}

impl Default for PlanInput {
    fn default() -> Self {
        PlanInput {
            rate: None,
            rt: 0.5,
            users: None,
            think: None,
            pacing: None,
            tx_per_iter: 1,
            duration: 3600.0,
            ramp_up: RampUp::Total(0.0),
            iterations: None,
            tpm_min: None,
            tpm_max: None,
            pacing_min: None,
            pacing_max: None,
            dist: None,
            alpha: None,
            confidence: 0.99,
            measured: None,
        }
    }
}

/// The seed's iteration formula, when `--iterations` was given.
#[derive(Debug, Clone, PartialEq)]
pub struct IterationBudget {
    pub iterations: f64,
    /// Think time inside the iteration (`--think`, 0 if not given).
    pub think: f64,
    /// R = D - (T + B) I.
    pub residual: f64,
    /// P = R / I: the wait added to each iteration by pacing.
    pub wait: f64,
}

/// The range the user asked for and what a naive uniform draw over it would do.
#[derive(Debug, Clone, PartialEq)]
pub struct RequestedRange {
    pub min: f64,
    pub max: f64,
    /// The arithmetic mean of the requested range, and the TPM it would give.
    pub naive_mean: f64,
    pub naive_tpm: f64,
}

impl RequestedRange {
    /// Whether a naive uniform draw over the range would miss the mean
    /// pacing `mean` (s): only then is the arithmetic-mean trap worth a row.
    /// A range centred on the mean (LoadRunner's ±20 % around the pacing)
    /// already averages right.
    pub fn misses(&self, mean: f64) -> bool {
        !rel_eq(self.naive_mean, mean)
    }
}

#[derive(Debug, Clone)]
pub struct Solution {
    pub users: u64,
    pub rt: f64,
    pub tx_per_iter: u32,
    pub baseline: f64,
    pub pacing: Pacing,
    /// Mean end-to-start gap at the assumed response time: the pacing
    /// minus the whole iteration (its transactions and the think inside
    /// it); the seed's pacing wait P with --iterations.
    pub think: f64,
    pub duration: f64,
    pub ramp_up: f64,
    /// Steady-state transactions per second.
    pub tps: f64,
    /// The rate the user asked for (None when derived from users and pacing).
    pub target_tps: Option<f64>,
    /// Average transactions per second over the whole duration, ramp-up included.
    pub whole_tps: f64,
    pub iterations_per_user_per_hour: f64,
    /// For a user that runs the whole duration.
    pub iterations_per_user_duration: f64,
    /// Expected iterations of all users over the duration, ramp-up included.
    pub iterations_total_duration: f64,
    pub min_users: u64,
    /// Think time inside the iteration (the seed's T, with --iterations): it
    /// stays in the script, so it eats into the response-time headroom.
    pub script_think: f64,
    /// One iteration at the assumed response time: `baseline +
    /// script_think`. No pacing interval may be shorter.
    pub iteration: f64,
    /// Response time beyond which an iteration no longer fits in the
    /// shortest pacing interval, so starts become late and the rate slips.
    pub rt_headroom: f64,
    pub tpm_instant_min: f64,
    pub tpm_instant_max: f64,
    pub requested_range: Option<RequestedRange>,
    pub budget: Option<IterationBudget>,
    /// The statistical band at the confidence (`tolerance = "auto"`).
    pub band: Band,
    /// The tolerance the written plan sets ([`written_tolerance`]).
    pub tolerance: Tolerance,
    /// The band a run of the written plan is judged by: `band` under
    /// `tolerance` ([`Band::judged`]); the table, the JSON, the plan file's
    /// comments and `pace run --check` all state it.
    pub acceptance: Band,
    /// True when no rate and no users were given: every rate is per user.
    pub per_user: bool,
    /// Decisions the planner took (rounding, defaults), in words.
    pub notes: Vec<String>,
    /// Things the user should know before running this plan.
    pub warnings: Vec<String>,
    /// Where B came from when it was measured (`--from`).
    pub measured: Option<MeasuredBaseline>,
}

impl Solution {
    pub fn tpm(&self) -> f64 {
        self.tps * 60.0
    }
}

fn err(flag: &str, message: impl Into<String>) -> PlanError {
    PlanError::new(flag, message)
}

fn rel_eq(a: f64, b: f64) -> bool {
    (a - b).abs() <= REL_EQ * a.abs().max(b.abs()).max(1e-300)
}

fn s(v: f64) -> String {
    human_duration(v)
}

fn n(v: f64) -> String {
    round_sig(v, 6)
}

/// Instantaneous rates vary; three digits say it (8.57 TPM, 6.67 TPM).
fn n3(v: f64) -> String {
    round_sig(v, 3)
}

/// Solves a plan. Pure: no I/O, deterministic.
pub fn solve(input: &PlanInput) -> Result<Solution, PlanError> {
    let tpi = input.tx_per_iter as f64;
    let b = tpi * input.rt;
    let d = input.duration;
    let mut notes = Vec::new();
    let mut warnings = Vec::new();

    // 1. The mean start-to-start interval, if the inputs pin it.
    //    --pacing, --iterations (P = D / I) and --think (P = B + T, unless
    //    --iterations is given, where T is the think inside the iteration).
    let mut pinned: Option<(f64, &'static str)> = None;
    let mut pin = |p: f64, flag: &'static str| -> Result<(), PlanError> {
        if let Some((q, other)) = pinned {
            if !rel_eq(p, q) {
                return Err(err(
                    flag,
                    format!(
                        "gives a pacing of {}, but {other} gives {}: the two disagree; give one of them, or values that agree",
                        s(p),
                        s(q)
                    ),
                ));
            }
        } else {
            pinned = Some((p, flag));
        }
        Ok(())
    };
    if let Some(p) = input.pacing {
        pin(p, "--pacing")?;
    }
    let mut budget = None;
    if let Some(i) = input.iterations {
        let t = input.think.unwrap_or(0.0);
        let residual = d - (t + b) * i;
        if residual < -REL_EQ * d {
            return Err(err(
                "--iterations",
                format!(
                    "{} iterations of {} ({} x {} response time + {} think) need {}, but --duration is {}: the target cannot be met, {} short (residual R = {})",
                    n(i),
                    s(t + b),
                    input.tx_per_iter,
                    s(input.rt),
                    s(t),
                    s((t + b) * i),
                    s(d),
                    s(-residual),
                    s(residual)
                ),
            ));
        }
        let residual = residual.max(0.0);
        budget = Some(IterationBudget {
            iterations: i,
            think: t,
            residual,
            wait: residual / i,
        });
        pin(d / i, "--iterations")?;
    } else if let Some(t) = input.think {
        pin(b + t, "--think")?;
    }

    // One iteration: its transactions, and the think time inside it (the
    // seed's T, with --iterations). A user cannot start the next one
    // before it ends, so every bound below is against it, not against B.
    let script_think = budget.as_ref().map(|bu| bu.think).unwrap_or(0.0);
    let iteration = b + script_think;

    // 2. Users, pacing and rate.
    let rate = input.rate.map(|(r, _)| r);
    let rate_flag = input.rate.map(|(_, f)| f).unwrap_or("--tps");
    // A requested peak (TPM) also bounds the users from below.
    let range_peak_tps = input.tpm_max.map(|t| t / 60.0);
    let (users, mean, per_user) = match (rate, input.users, pinned) {
        (Some(r), Some(u), Some((p, flag))) => {
            let got = u as f64 * tpi / p;
            if !rel_eq(got, r) {
                return Err(err(
                    flag,
                    format!(
                        "{u} users at a pacing of {} give {} TPS, not the {} TPS of {rate_flag}: these inputs disagree; drop one of --users, {flag} or {rate_flag}",
                        s(p),
                        n(got),
                        n(r)
                    ),
                ));
            }
            (u, p, false)
        }
        (Some(r), Some(u), None) => (u, u as f64 * tpi / r, false),
        (Some(r), None, Some((p, flag))) => {
            let exact = r * p / tpi;
            let u = whole_users(exact);
            if (u as f64) != exact && !rel_eq(u as f64, exact) {
                let p2 = u as f64 * tpi / r;
                notes.push(format!(
                    "{flag} gives {} users; rounded up to {u}, so the pacing is recomputed to {} (think {}) to keep {} TPS",
                    n(exact),
                    s(p2),
                    s(p2 - iteration),
                    n(r)
                ));
                (u, p2, false)
            } else {
                (u, p, false)
            }
        }
        (Some(r), None, None) => {
            // Nothing pins the pacing: the fewest users that reach the target
            // (and the requested peak, if any) at zero think time.
            let need_mean = r * b / tpi;
            let need_peak = range_peak_tps.map(|pk| pk * b / tpi).unwrap_or(0.0);
            let u = whole_users(need_mean.max(need_peak)).max(1);
            warnings.push(format!(
                "no --users, --think or --pacing: planned with the fewest users that reach the target ({u}), so think time is only {} and any response-time growth above {} loses throughput; give --users or --think for headroom",
                s(u as f64 * tpi / r - b),
                s(u as f64 / r)
            ));
            (u, u as f64 * tpi / r, false)
        }
        (None, Some(u), Some((p, _))) => (u, p, false),
        (None, None, Some((p, _))) => {
            warnings.push(
                "no target rate and no --users: the rates shown are for one user; add --users N for the total".into(),
            );
            (1, p, true)
        }
        (None, Some(_), None) => {
            return Err(err(
                "--tps",
                "no target rate: give one of --tps, --tpm or --tph, or a pacing (--pacing, --think or --iterations) for the users",
            ));
        }
        (None, None, None) => {
            return Err(err(
                "--tps",
                "no target rate: give exactly one of --tps, --tpm or --tph (or --iterations per user over --duration)",
            ));
        }
    };

    // 3. The pacing must leave room for the iteration itself.
    let min_users = min_users_for(rate.unwrap_or(users as f64 * tpi / mean), iteration, tpi);
    let one_iteration = if script_think > 0.0 {
        format!(
            "{} x {} + {} think inside it = {}",
            input.tx_per_iter,
            s(input.rt),
            s(script_think),
            s(iteration)
        )
    } else {
        format!("{} x {} = {}", input.tx_per_iter, s(input.rt), s(b))
    };
    if mean < iteration * (1.0 - REL_EQ) {
        let (flag, what) = match pinned {
            Some((_, f)) => (f, "the pacing"),
            None => ("--users", "the users"),
        };
        return Err(err(
            flag,
            format!(
                "{what} give a pacing of {}, shorter than one iteration ({one_iteration}): at {} TPS at least {min_users} users are needed",
                s(mean),
                n(users as f64 * tpi / mean)
            ),
        ));
    }
    if rel_eq(mean, iteration) {
        warnings.push(format!(
            "the pacing equals the iteration time ({one_iteration}): no wait between iterations, so any response-time growth makes starts late",
        ));
    }

    // 4. The distribution around that mean.
    let (pacing, requested_range) = build_distribution(
        input,
        users,
        tpi,
        mean,
        iteration,
        &mut notes,
        &mut warnings,
    )?;

    // 5. Durations, ramp-up and the window.
    let ramp = input.ramp_up.total_for(users);
    if ramp >= d {
        return Err(err(
            "--ramp-up",
            format!(
                "the ramp-up of {} is not shorter than --duration {}: there would be no steady state to measure",
                s(ramp),
                s(d)
            ),
        ));
    }
    let window = d - ramp;
    // The plan file's own check (run.duration): a window shorter than one
    // mean interval holds less than one start per user, and pace run
    // refuses to judge it.
    if window < mean {
        return Err(err(
            "--duration",
            format!(
                "a steady state of {} (--duration {} minus the ramp-up {}) is shorter than the mean pacing interval {}: no throughput can be judged in it; make --duration at least {}",
                s(window),
                s(d),
                s(ramp),
                s(mean),
                s(ramp + mean)
            ),
        ));
    }

    let tps = users as f64 * tpi / mean;
    let uf = users as f64;
    // User i starts at i * ramp / users; from then on its expected starts
    // are (D - s_i) / mean (stationary phase).
    let iterations_total = (uf * d - ramp * (uf - 1.0) / 2.0) / mean;
    let whole_tps = iterations_total * tpi / d;
    let band = band(&[Load::paced(users, pacing, tpi)], window, input.confidence);
    let tolerance = written_tolerance(&pacing, &band);
    let acceptance = band.judged(tolerance);
    // A short window widens the band only when the count can vary: fixed
    // pacing over whole intervals gives an exact count, however short.
    if window < 10.0 * pacing.mean() && band.sd > 0.0 {
        warnings.push(format!(
            "the steady-state window ({}) holds only {} iterations per user: the acceptance band is wide; run longer for a sharper verdict",
            s(window),
            n(window / pacing.mean())
        ));
    }
    if let Some(m) = &input.measured
        && !m.b.narrow_enough()
    {
        let more = m.b.samples_for(MAX_RELATIVE_HALF_WIDTH);
        warnings.push(format!(
            "the measured B is too uncertain to plan from: its {}% interval is ±{}% of the mean, wider than ±{}%; measure again with more iterations (about {more}: pace baseline --iterations {more})",
            round_sig(100.0 * m.b.confidence, 3),
            round_sig(100.0 * m.b.relative_half_width(), 2),
            round_sig(100.0 * MAX_RELATIVE_HALF_WIDTH, 2)
        ));
    }
    let per_tpm = uf * tpi * 60.0;
    Ok(Solution {
        users,
        rt: input.rt,
        tx_per_iter: input.tx_per_iter,
        baseline: b,
        think: mean - iteration,
        pacing,
        duration: d,
        ramp_up: ramp,
        tps,
        target_tps: rate,
        whole_tps,
        iterations_per_user_per_hour: 3600.0 / mean,
        iterations_per_user_duration: d / mean,
        iterations_total_duration: iterations_total,
        min_users,
        script_think,
        iteration,
        rt_headroom: (pacing.min() - script_think) / tpi,
        tpm_instant_min: per_tpm / pacing.max(),
        tpm_instant_max: per_tpm / pacing.min(),
        requested_range,
        budget,
        band,
        tolerance,
        acceptance,
        per_user,
        notes,
        warnings,
        measured: input.measured.clone(),
    })
}

/// The fewest users that can carry `tps` with no wait between
/// iterations of `iteration` seconds (Little's law: iteration rate x
/// iteration time).
pub fn min_users_for(tps: f64, iteration: f64, tpi: f64) -> u64 {
    whole_users(tps * iteration / tpi).max(1)
}

/// The share of failed transactions the plans pace writes allow
/// (`error_rate = "1%"`), and so the room their fixed-pacing tolerance
/// leaves for failures.
pub const ERROR_BUDGET: f64 = 0.01;

/// A tolerance as the plan file writes it: `"2.67%"`.
pub fn tolerance_text(f: f64) -> String {
    format!("{}%", round_sig(f * 100.0, 6))
}

/// The `[acceptance] tolerance` pace writes for a plan paced by `pacing`
/// whose statistical band is `band`:
///
/// - random pacing: `"auto"`, the statistical band itself;
/// - fixed pacing: a fixed share, [`ERROR_BUDGET`] for the failures
///   `error_rate` allows (a failed transaction is not achieved throughput)
///   plus the band's own half-width over the expected count where the count
///   can vary (a window that is not a whole number of intervals: each
///   user's random phase decides whether its last start falls inside), so
///   that an honest run with failures within `error_rate` lands inside as
///   often as the confidence says. Over whole intervals the count is exact
///   and the share is the error budget alone. Rounded up to a hundredth of
///   a percent (at most 100 %), the value is what the written text loads
///   back as.
pub fn written_tolerance(pacing: &Pacing, band: &Band) -> Tolerance {
    if !matches!(pacing, Pacing::Fixed { .. }) {
        return Tolerance::Auto;
    }
    fixed_tolerance(band)
}

/// The fixed share of [`written_tolerance`] for a schedule of fixed
/// intervals whose statistical band is `band`: [`ERROR_BUDGET`] plus the
/// band's half-width over the expected count where the count can vary.
pub fn fixed_tolerance(band: &Band) -> Tolerance {
    let chance = if band.sd > 0.0 && band.expected > 0.0 {
        (band.count_high - band.expected) / band.expected
    } else {
        0.0
    };
    // Hundredths of a percent; float noise (0.01 x 1e4 = 100.00000000000001)
    // is not a hundredth more.
    // A share above 100% (a window of a few intervals) is 100%, the most
    // a tolerance may be: the band then starts at no transaction at all.
    let share = (ERROR_BUDGET + chance).min(1.0);
    let hundredths = (share * 1e4 * (1.0 - 1e-12)).ceil();
    let text = tolerance_text(hundredths / 1e4);
    Tolerance::written(&text).expect("a percentage pace wrote")
}

/// Rounds a user count up, forgiving float noise (99.99999999997 is 100).
fn whole_users(exact: f64) -> u64 {
    let r = exact.round();
    if rel_eq(r, exact) {
        r as u64
    } else {
        exact.ceil() as u64
    }
}

fn build_distribution(
    input: &PlanInput,
    users: u64,
    tpi: f64,
    mean: f64,
    iteration: f64,
    notes: &mut Vec<String>,
    warnings: &mut Vec<String>,
) -> Result<(Pacing, Option<RequestedRange>), PlanError> {
    let per_tpm = users as f64 * tpi * 60.0;
    let tpm_of = |p: f64| per_tpm / p;
    // The requested bounds, as intervals. A TPM maximum is a pacing minimum.
    let lo = match (input.tpm_max, input.pacing_min) {
        (Some(_), Some(_)) => {
            return Err(err(
                "--pacing-min",
                "give --tpm-max or --pacing-min, not both",
            ));
        }
        (Some(t), None) => Some((per_tpm / t, "--tpm-max")),
        (None, Some(p)) => Some((p, "--pacing-min")),
        (None, None) => None,
    };
    let hi = match (input.tpm_min, input.pacing_max) {
        (Some(_), Some(_)) => {
            return Err(err(
                "--pacing-max",
                "give --tpm-min or --pacing-max, not both",
            ));
        }
        (Some(t), None) => Some((per_tpm / t, "--tpm-min")),
        (None, Some(p)) => Some((p, "--pacing-max")),
        (None, None) => None,
    };
    let kind = input.dist.unwrap_or(if lo.is_some() || hi.is_some() {
        DistKind::Uniform
    } else {
        DistKind::Fixed
    });

    // A peak the users cannot reach: the shortest interval must hold an iteration.
    if let Some((a, flag)) = lo {
        if a < iteration * (1.0 - REL_EQ) {
            return Err(err(
                flag,
                format!(
                    "asks for a shortest pacing of {} ({} TPM), but one iteration takes {}: {users} users can reach at most {} TPM; need at least {} users for that peak",
                    s(a),
                    n(tpm_of(a)),
                    s(iteration),
                    n(tpm_of(iteration)),
                    whole_users(users as f64 * iteration / a)
                ),
            ));
        }
        if a > mean * (1.0 + REL_EQ) {
            return Err(err(
                flag,
                format!(
                    "the shortest pacing {} ({} TPM) is longer than the mean pacing {} that the target needs ({} TPM): the peak must be above the target",
                    s(a),
                    n(tpm_of(a)),
                    s(mean),
                    n(tpm_of(mean))
                ),
            ));
        }
    }
    if let Some((c, flag)) = hi
        && c < mean * (1.0 - REL_EQ)
    {
        return Err(err(
            flag,
            format!(
                "the longest pacing {} ({} TPM) is shorter than the mean pacing {} that the target needs ({} TPM): the slowest rate must be below the target",
                s(c),
                n(tpm_of(c)),
                s(mean),
                n(tpm_of(mean))
            ),
        ));
    }
    let requested_range = match (lo, hi) {
        (Some((a, _)), Some((c, _))) => Some(RequestedRange {
            min: a,
            max: c,
            naive_mean: (a + c) / 2.0,
            naive_tpm: tpm_of((a + c) / 2.0),
        }),
        _ => None,
    };

    let pacing = match kind {
        DistKind::Fixed => {
            if lo.is_some() || hi.is_some() {
                warnings.push(
                    "--pacing-dist fixed ignores the requested range: every interval is the mean"
                        .into(),
                );
            }
            Pacing::Fixed { interval: mean }
        }
        DistKind::Uniform => {
            // The widest range inside the request whose midpoint is the mean.
            let half = match (lo, hi) {
                (Some((a, _)), Some((c, _))) => (mean - a).min(c - mean),
                (Some((a, _)), None) => mean - a,
                (None, Some((c, _))) => (c - mean).min(mean - iteration),
                (None, None) => {
                    return Err(err(
                        "--pacing-dist",
                        "uniform pacing needs a range: give --tpm-min and --tpm-max (or --pacing-min and --pacing-max)",
                    ));
                }
            };
            if half <= mean * REL_EQ {
                warnings.push(
                    "the range leaves no room around the mean pacing: using fixed pacing".into(),
                );
                Pacing::Fixed { interval: mean }
            } else {
                let (pmin, pmax) = (mean - half, mean + half);
                if let Some((c, flag)) = hi
                    && pmax < c * (1.0 - REL_EQ)
                {
                    warnings.push(format!(
                        "a uniform range must be centred on the {} mean, so it ends at {} instead of {}: the slowest instantaneous rate becomes {} TPM instead of {} ({flag}); use --pacing-dist beta to span the whole range",
                        s(mean),
                        s(pmax),
                        s(c),
                        n3(tpm_of(pmax)),
                        n3(tpm_of(c))
                    ));
                }
                if let Some((a, flag)) = lo
                    && pmin > a * (1.0 + REL_EQ)
                {
                    warnings.push(format!(
                        "a uniform range must be centred on the {} mean, so it starts at {} instead of {}: the peak instantaneous rate becomes {} TPM instead of {} ({flag}); use --pacing-dist beta to span the whole range",
                        s(mean),
                        s(pmin),
                        s(a),
                        n3(tpm_of(pmin)),
                        n3(tpm_of(a))
                    ));
                }
                Pacing::Uniform {
                    min: pmin,
                    max: pmax,
                }
            }
        }
        DistKind::Beta => {
            let (Some((a, _)), Some((c, _))) = (lo, hi) else {
                return Err(err(
                    "--pacing-dist",
                    "beta pacing spans a range: give both --tpm-min and --tpm-max (or --pacing-min and --pacing-max)",
                ));
            };
            let m = (mean - a) / (c - a);
            if !(m > REL_EQ && m < 1.0 - REL_EQ) {
                warnings.push(
                    "the mean pacing sits on a bound of the range: using fixed pacing".into(),
                );
                Pacing::Fixed { interval: mean }
            } else {
                let (alpha, beta) = beta_shape(m, input.alpha);
                notes.push(format!(
                    "beta shape: Beta({}, {}) scaled to {}-{}: {} the mean at exactly {}",
                    round_sig(alpha, 4),
                    round_sig(beta, 4),
                    s(a),
                    s(c),
                    if input.alpha.is_some() {
                        "alpha as given, beta chosen to put"
                    } else {
                        "one shape fixed at 1, so the density falls steadily from the bound nearer the mean (no interior hump), with the other chosen to put"
                    },
                    s(mean)
                ));
                // Recompute min/max exactly so the mean is the target to the bit.
                let p = Pacing::Beta {
                    min: a,
                    max: c,
                    alpha,
                    beta,
                };
                if !rel_eq(p.mean(), mean) {
                    return Err(err(
                        "--alpha",
                        "could not find a beta shape with the required mean",
                    ));
                }
                p
            }
        }
        DistKind::Exponential => {
            if hi.is_some() {
                warnings.push(
                    "exponential pacing has no longest interval: the slowest-rate bound is ignored"
                        .into(),
                );
            }
            let min = match lo {
                Some((a, _)) => a,
                None => {
                    notes.push(format!(
                        "exponential pacing: minimum interval set to the iteration time {} (a user cannot start before it has finished); give --pacing-min to change it",
                        s(iteration)
                    ));
                    iteration
                }
            };
            if min >= mean * (1.0 - REL_EQ) {
                warnings.push("the minimum interval equals the mean: using fixed pacing".into());
                Pacing::Fixed { interval: mean }
            } else {
                Pacing::Exponential { min, mean }
            }
        }
    };
    if input.alpha.is_some() && pacing.kind() != DistKind::Beta {
        warnings.push("--alpha only shapes beta pacing: ignored".into());
    }
    Ok((pacing, requested_range))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0)
    }

    fn tps(r: f64) -> Option<(f64, &'static str)> {
        Some((r, "--tps"))
    }

    #[test]
    fn seed_50_tps_100_users() {
        let s = solve(&PlanInput {
            rate: tps(50.0),
            rt: 0.5,
            users: Some(100),
            ..Default::default()
        })
        .unwrap();
        assert!(close(s.pacing.mean(), 2.0));
        assert!(close(s.think, 1.5));
        assert!(close(s.iterations_per_user_per_hour, 1800.0));
        assert!(close(s.iterations_per_user_per_hour * 100.0, 180000.0));
        assert_eq!(s.min_users, 25);
        assert!(close(s.rt_headroom, 2.0));
        assert!(close(s.tps, 50.0));
        assert!(close(s.whole_tps, 50.0));
    }

    #[test]
    fn seed_50_tps_from_think() {
        let s = solve(&PlanInput {
            rate: tps(50.0),
            rt: 0.5,
            think: Some(1.5),
            ..Default::default()
        })
        .unwrap();
        assert_eq!(s.users, 100);
        assert!(s.notes.is_empty());
    }

    #[test]
    fn users_rounded_up_and_pacing_recomputed() {
        let s = solve(&PlanInput {
            rate: tps(50.0),
            rt: 0.5,
            think: Some(1.48),
            ..Default::default()
        })
        .unwrap();
        // 50 TPS x 1.98 s is 99 users up to float noise: no rounding note.
        assert_eq!(s.users, 99);
        assert!(s.notes.is_empty(), "{:?}", s.notes);
        // 50 TPS x 1.97 s is 98.5 users: rounded up to 99.
        let s = solve(&PlanInput {
            rate: tps(50.0),
            rt: 0.5,
            think: Some(1.47),
            ..Default::default()
        })
        .unwrap();
        assert_eq!(s.users, 99);
        assert!(close(s.pacing.mean(), 99.0 / 50.0));
        assert!(close(s.tps, 50.0));
        assert!(s.notes[0].contains("rounded up to 99"), "{:?}", s.notes);
    }

    #[test]
    fn seed_iteration_formula() {
        let s = solve(&PlanInput {
            rt: 0.5,
            think: Some(1.5),
            iterations: Some(1800.0),
            ..Default::default()
        })
        .unwrap();
        let b = s.budget.clone().unwrap();
        assert!(close(b.residual, 0.0) && close(b.wait, 0.0));
        assert!(close(s.pacing.mean(), 2.0));
        assert!(s.per_user);
        assert!(close(s.tps, 0.5));
        let s = solve(&PlanInput {
            rt: 0.5,
            think: Some(1.5),
            iterations: Some(1800.0),
            users: Some(100),
            ..Default::default()
        })
        .unwrap();
        assert!(close(s.tps, 50.0));
        // A wait appears when fewer iterations are asked for: 1200 iterations
        // in an hour leave R = 3600 - 2 * 1200 = 1200 s, P = 1 s.
        let s = solve(&PlanInput {
            rt: 0.5,
            think: Some(1.5),
            iterations: Some(1200.0),
            ..Default::default()
        })
        .unwrap();
        let b = s.budget.unwrap();
        assert!(close(b.residual, 1200.0) && close(b.wait, 1.0));
        assert!(close(s.pacing.mean(), 3.0));
        // The 1.5 s think stays inside the iteration: an iteration may take
        // up to 3 s, so a transaction up to 1.5 s.
        assert!(close(s.rt_headroom, 1.5));
    }

    #[test]
    fn negative_residual_says_by_how_much() {
        let e = solve(&PlanInput {
            rt: 0.5,
            think: Some(1.5),
            iterations: Some(2000.0),
            ..Default::default()
        })
        .unwrap_err();
        assert_eq!(e.flag, "--iterations");
        // 2000 x 2 s = 4000 s: 400 s short.
        assert!(e.message.contains("400 s"), "{}", e.message);
    }

    #[test]
    fn too_few_users_names_the_minimum() {
        let e = solve(&PlanInput {
            rate: tps(50.0),
            rt: 0.5,
            users: Some(20),
            ..Default::default()
        })
        .unwrap_err();
        assert_eq!(e.flag, "--users");
        assert!(e.message.contains("at least 25 users"), "{}", e.message);
    }

    #[test]
    fn inconsistent_users_think_pacing() {
        let e = solve(&PlanInput {
            rate: tps(50.0),
            rt: 0.5,
            users: Some(100),
            pacing: Some(3.0),
            ..Default::default()
        })
        .unwrap_err();
        assert!(e.message.contains("disagree"), "{}", e.message);
        let e = solve(&PlanInput {
            rate: tps(50.0),
            rt: 0.5,
            think: Some(1.5),
            pacing: Some(3.0),
            ..Default::default()
        })
        .unwrap_err();
        assert_eq!(e.flag, "--think");
    }

    fn seed_random(dist: Option<DistKind>) -> Solution {
        solve(&PlanInput {
            rate: Some((12.0 / 60.0, "--tpm")),
            rt: 2.0,
            users: Some(24),
            tpm_min: Some(4.0),
            tpm_max: Some(20.0),
            dist,
            ramp_up: RampUp::Rate {
                users: 1.0,
                every: 5.0,
            },
            ..Default::default()
        })
        .unwrap()
    }

    #[test]
    fn seed_random_pacing_uniform() {
        let s = seed_random(None);
        assert!(close(s.pacing.mean(), 120.0));
        assert_eq!(
            s.pacing,
            Pacing::Uniform {
                min: 72.0,
                max: 168.0
            }
        );
        let r = s.requested_range.clone().unwrap();
        assert!(close(r.naive_mean, 216.0));
        assert_eq!(round_sig(r.naive_tpm, 3), "6.67");
        assert_eq!(round_sig(s.tpm_instant_min, 3), "8.57");
        assert!(close(s.tpm_instant_max, 20.0));
        assert!(
            s.warnings
                .iter()
                .any(|w| w.contains("8.57 TPM instead of 4"))
        );
        assert!(close(s.ramp_up, 120.0));
    }

    #[test]
    fn seed_random_pacing_beta_exponential_fixed() {
        let s = seed_random(Some(DistKind::Beta));
        assert!(close(s.pacing.mean(), 120.0));
        assert!(close(s.pacing.min(), 72.0) && close(s.pacing.max(), 360.0));
        let s = seed_random(Some(DistKind::Exponential));
        assert!(close(s.pacing.mean(), 120.0));
        assert!(close(s.pacing.min(), 72.0));
        let s = seed_random(Some(DistKind::Fixed));
        assert_eq!(s.pacing, Pacing::Fixed { interval: 120.0 });
    }

    #[test]
    fn unreachable_peak_is_refused_with_numbers() {
        let e = solve(&PlanInput {
            rate: Some((12.0 / 60.0, "--tpm")),
            rt: 2.0,
            users: Some(24),
            tpm_min: Some(4.0),
            tpm_max: Some(800.0),
            ..Default::default()
        })
        .unwrap_err();
        assert_eq!(e.flag, "--tpm-max");
        assert!(e.message.contains("at most 720 TPM"), "{}", e.message);
    }

    #[test]
    fn ramp_up_not_shorter_than_duration() {
        let e = solve(&PlanInput {
            rate: tps(50.0),
            users: Some(100),
            ramp_up: RampUp::Total(3600.0),
            ..Default::default()
        })
        .unwrap_err();
        assert_eq!(e.flag, "--ramp-up");
    }

    #[test]
    fn whole_duration_rate_includes_ramp_up() {
        // 100 users over a 600 s ramp in an hour: the average user runs
        // 3600 - 297 s; rate 50 * (1 - 600*99/(2*100*3600)).
        let s = solve(&PlanInput {
            rate: tps(50.0),
            users: Some(100),
            ramp_up: RampUp::Total(600.0),
            ..Default::default()
        })
        .unwrap();
        assert!(close(
            s.whole_tps,
            50.0 * (1.0 - 600.0 * 99.0 / (2.0 * 100.0 * 3600.0))
        ));
        assert!(close(s.band.window_s, 3000.0));
    }
}
