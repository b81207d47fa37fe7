//! The verdict: did the run keep every promise of the plan, and if not,
//! why. Reads the plan and the aggregate of the results, and writes the
//! judgement the results carry (`results::judgement`).
//!
//! PASS only when every promise was checked and held and the run did real
//! work. The always-on checks (some transaction succeeded in every group
//! that tried; no group lost all its users) hold for every plan; a plan
//! that promises nothing else gets NO CHECKS, not PASS. A run that did not
//! finish is INCOMPLETE whatever its checks say.

pub mod causes;
pub mod drawn;
pub mod expect;
pub mod laws;

use crate::plan::file::{AcceptanceSection, PlanFile, Tolerance};
use crate::plan::segment::Shard;
use crate::results::aggregate::Aggregate;
use crate::results::judgement::{Check, Expected, State, Verdict};
use crate::units::round_sig;
use causes::{count, secs};

/// The transactions of its drawn schedule a run may fail to execute under
/// `tolerance = "auto"`: half of one, the continuity term a fixed pacing's
/// band has, so a single start lost fails as it would under fixed pacing.
pub const EXECUTION_SLACK: f64 = 0.5;

/// How the run ended, as far as the verdict cares.
#[derive(Debug, Clone, Default)]
pub struct Ending {
    /// Why the run did not finish (interrupted, killed, not recordable).
    pub incomplete: Option<String>,
}

/// Why a shard's run is never judged on its own: the plan's promises hold
/// for the merged shards (thresholds cannot be judged per generator,
/// reference F.6).
pub fn shard_reason(shard: Shard) -> String {
    format!("shard {shard}: the plan is judged once, on the merged shards (pace merge)")
}

/// Judges a run: the expected throughput over its window (where the plan
/// sets a rate) and the verdict.
pub fn judge(plan: &PlanFile, agg: &Aggregate, ending: &Ending) -> (Option<Expected>, Verdict) {
    judge_part(plan, agg, ending, None)
}

/// [`judge`] for one shard of a plan split over generators (`shard` of
/// more than one; `plan` is then the shard's part, `plan::segment::part_plan`):
/// its checks are worked out and listed for information, and the verdict
/// is INCOMPLETE, because the plan is judged once, on the merged shards.
/// (A separate argument rather than a field of [`Ending`], whose literal
/// every caller spells out.)
pub fn judge_part(
    plan: &PlanFile,
    agg: &Aggregate,
    ending: &Ending,
    shard: Option<Shard>,
) -> (Option<Expected>, Verdict) {
    let mut v = Verdict {
        pass: false,
        reasons: Vec::new(),
        checks: Vec::new(),
        state: State::Fail,
        causes: Vec::new(),
        unjudged: Vec::new(),
        notes: Vec::new(),
        laws: Vec::new(),
    };
    // Promises the plan makes (not the always-on checks).
    let mut promises = 0;
    let window = agg.window.1 - agg.window.0;
    let expected = expect::expected(plan, agg);
    match &expected {
        Some(e) => {
            promises += 1;
            let n = agg.window_ok as f64;
            let in_band = n >= e.transactions_low && n <= e.transactions_high;
            // The band allows for what a random schedule may draw. The
            // schedule the run did draw has no chance left in it: starts
            // it drew and the run never made or never finished are judged
            // apart, as a fixed schedule's are (half a transaction), or
            // against a tolerance the plan states. Otherwise a generous
            // draw hides a stalling target that a fixed pacing would fail.
            let (lost, lost_causes) = causes::execution_losses(plan, agg, e);
            let allowed = match plan.acceptance.tolerance {
                Tolerance::Auto => EXECUTION_SLACK,
                Tolerance::Fixed(_) => e.transactions - e.transactions_low,
            };
            let executed = lost <= allowed;
            // A count outside the band whose draw alone lies outside it
            // missed by the schedule's chance, which the run's record
            // makes known: judged against the draw, with no variance left
            // for the schedule (drawn.rs).
            let by_draw = (!in_band)
                .then(|| drawn::drawn(plan, agg, e))
                .flatten()
                .filter(|d| d.explains_miss(e, n));
            let held_draw = by_draw.is_some_and(|d| d.contains(n) && executed);
            let mut check = Check {
                name: "throughput".into(),
                target: format!("{}-{} TPM", r(e.tpm_low), r(e.tpm_high)),
                achieved: format!("{} TPM", r(agg.window_tpm())),
                pass: (in_band || held_draw) && executed,
                reason: None,
            };
            if let Some(d) = &by_draw {
                check.achieved = format!(
                    "{} TPM, {} of {} drawn",
                    r(agg.window_tpm()),
                    agg.window_ok,
                    r(d.transactions)
                );
            }
            let out_of_draw = by_draw.filter(|d| !d.contains(n));
            if held_draw {
                v.notes.extend(by_draw.map(|d| drawn::note_held(&d, e, n)));
            } else if let Some(d) = out_of_draw {
                let (why, causes) = drawn::explain(plan, agg, e, &d);
                check.reason = Some(why.clone());
                v.reasons.push(why);
                v.causes = causes;
            } else if !in_band && by_draw.is_none() {
                let (why, causes) = causes::explain(plan, agg, e);
                check.reason = Some(why.clone());
                v.reasons.push(why);
                v.causes = causes;
            } else if !executed {
                let (why, causes) = causes::explain_execution(agg, e, lost, allowed, lost_causes);
                check.reason = Some(why.clone());
                v.reasons.push(why);
                v.causes = causes;
            } else if let Some(note) = causes::hidden_losses(plan, agg, e) {
                v.notes.push(note);
            }
            v.checks.push(check);
            if e.approximate {
                v.notes.push("the band is approximate: after-end and back-to-back groups cycle as fast as their iterations, so their expected rate comes from target.response_time and the spread of their iteration times from the run".into());
            }
        }
        None if plan.target.tps().is_some() => {
            let why = if window <= 0.0 {
                "the steady-state window is empty (the run stopped before ramp-up ended)"
                    .to_string()
            } else {
                "the plan does not set every group's rate".to_string()
            };
            v.unjudged
                .push(format!("the target rate: {why}; the band was not applied"));
        }
        None => {}
    }
    if window <= 0.0 {
        v.notes.push(format!(
            "no steady-state window (ramp-up {} of a {} run): rates are over the whole run",
            secs(plan.run.ramp_up()),
            secs(agg.window.1.max(plan.run.duration.0.min(agg.last_t)))
        ));
    }
    promises += latency_checks(plan, agg, &mut v);
    promises += error_rate_check(plan, agg, &mut v);
    did_real_work(plan, agg, &mut v);
    promises += law_audit(plan, agg, &mut v);

    let failed = v.checks.iter().any(|c| !c.pass);
    v.state = if let Some(why) = &ending.incomplete {
        v.reasons
            .insert(0, format!("the run did not finish: {why}"));
        State::Incomplete
    } else if let Some(s) = shard.filter(|s| !s.is_whole()) {
        v.reasons.insert(0, shard_reason(s));
        State::Incomplete
    } else if failed {
        State::Fail
    } else if !v.unjudged.is_empty() {
        v.reasons
            .push(format!("not judged: {}", v.unjudged.join("; ")));
        State::Incomplete
    } else if promises == 0 {
        State::NoChecks
    } else {
        State::Pass
    };
    v.pass = v.state == State::Pass;
    (expected, v)
}

/// The name of the verdict's check of the operational laws (only when
/// the plan sets `acceptance.laws_must_hold`).
pub const LAWS_CHECK: &str = "operational laws";

/// The operational-law audit (`laws`): every law a run breaks is a note,
/// "not steady state or units mixed", that leaves the verdict's word as it
/// is; a plan with `laws_must_hold` makes it a check, and then a law that
/// could not be checked leaves the run unjudged, never passed.
fn law_audit(plan: &PlanFile, agg: &Aggregate, v: &mut Verdict) -> usize {
    v.laws = laws::audit(plan, agg);
    let broken: Vec<&str> = v
        .laws
        .iter()
        .filter(|l| l.ok == Some(false))
        .map(|l| l.detail.as_str())
        .collect();
    for b in &broken {
        v.notes.push(format!("operational law broken: {b}"));
    }
    if !plan.acceptance.laws_must_hold {
        return 0;
    }
    let unchecked: Vec<String> = v
        .laws
        .iter()
        .filter(|l| l.ok.is_none())
        .map(|l| format!("law {}, {}: {}", l.formula(), l.subject, l.detail))
        .collect();
    let checked = v.laws.iter().filter(|l| l.ok.is_some()).count();
    let reason =
        (!broken.is_empty()).then(|| format!("operational laws broken: {}", broken.join("; ")));
    push(
        v,
        Check {
            name: LAWS_CHECK.into(),
            target: "hold within tolerance".into(),
            achieved: format!("{} of {checked} hold", checked - broken.len()),
            pass: broken.is_empty(),
            reason,
        },
    );
    v.unjudged.extend(unchecked);
    1
}

/// One latency threshold of a plan's `[acceptance]`: judged on all
/// transactions together (never per timer).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LatencyThreshold {
    /// `p50`, `p80`, `p90`, `p95`, `p99` or `max` (a [`Stats::get`] name).
    ///
    /// [`Stats::get`]: crate::results::aggregate::Stats::get
    pub name: &'static str,
    /// The quantile judged: 0.5 ... 0.99, 1.0 for `max`.
    pub quantile: f64,
    /// The limit, seconds.
    pub limit: f64,
}

/// The latency thresholds the plan sets, in the order they are judged.
pub fn latency_thresholds(a: &AcceptanceSection) -> Vec<LatencyThreshold> {
    [
        ("p50", 0.50, a.p50),
        ("p80", 0.80, a.p80),
        ("p90", 0.90, a.p90),
        ("p95", 0.95, a.p95),
        ("p99", 0.99, a.p99),
        ("max", 1.0, a.max),
    ]
    .into_iter()
    .filter_map(|(name, quantile, limit)| {
        limit.map(|l| LatencyThreshold {
            name,
            quantile,
            limit: l.0,
        })
    })
    .collect()
}

/// The name of the verdict's check of latency threshold `name` (`p95` →
/// "p95 response time"), as `summary.json`'s `verdict.checks` has it.
pub fn latency_check_name(name: &str) -> String {
    format!("{name} response time")
}

/// The name of the verdict's error-rate check.
pub const ERROR_RATE_CHECK: &str = "error rate";

/// Latency thresholds, judged on the recorded values exactly: a percentile
/// holds when at least that share of the successful transactions took at
/// most the threshold (nearest rank), `max` when every one did.
fn latency_checks(plan: &PlanFile, agg: &Aggregate, v: &mut Verdict) -> usize {
    let all = agg.all_transactions();
    let mut n = 0;
    for LatencyThreshold {
        name,
        quantile: q,
        limit,
    } in latency_thresholds(&plan.acceptance)
    {
        n += 1;
        let value = all.get(name).unwrap_or(0.0);
        let within = agg.count_within(limit).unwrap_or(0);
        // The nearest rank of the q-quantile among `count` values.
        let rank = ((q * all.count as f64).ceil() as u64).max(1);
        let ok = all.count > 0 && within >= rank;
        let achieved = if all.count == 0 {
            "no successful transactions".to_string()
        } else {
            format!(
                "{} ({}% of {} within {})",
                secs(value),
                round_sig(within as f64 * 100.0 / all.count as f64, 4),
                all.count,
                secs(limit)
            )
        };
        let reason = (!ok).then(|| {
            if all.count == 0 {
                format!(
                    "{name} response time: no transaction succeeded, so it cannot be within {}",
                    secs(limit)
                )
            } else {
                format!(
                    "{name} response time {} exceeded the {} threshold (only {}% of transactions took at most {})",
                    secs(value),
                    secs(limit),
                    round_sig(within as f64 * 100.0 / all.count as f64, 4),
                    secs(limit)
                )
            }
        });
        push(
            v,
            Check {
                name: latency_check_name(name),
                target: format!("<= {}", secs(limit)),
                achieved,
                pass: ok,
                reason,
            },
        );
    }
    n
}

/// The error rate over every transaction of the run.
fn error_rate_check(plan: &PlanFile, agg: &Aggregate, v: &mut Verdict) -> usize {
    let Some(limit) = plan.acceptance.error_rate else {
        return 0;
    };
    let rate = if agg.transactions > 0 {
        agg.error_count as f64 / agg.transactions as f64
    } else {
        0.0
    };
    let ok = agg.transactions > 0 && rate <= limit.0;
    let reason = (!ok).then(|| {
        if agg.transactions == 0 {
            "error rate: no transaction was made, so none can be judged".to_string()
        } else {
            format!(
                "error rate {}% ({} of {}) exceeded {}%",
                r(rate * 100.0),
                agg.error_count,
                count(agg.transactions as f64, "transaction"),
                r(limit.0 * 100.0)
            )
        }
    });
    push(
        v,
        Check {
            name: ERROR_RATE_CHECK.into(),
            target: format!("<= {}%", r(limit.0 * 100.0)),
            achieved: format!(
                "{}% ({} of {})",
                r(rate * 100.0),
                agg.error_count,
                agg.transactions
            ),
            pass: ok,
            reason,
        },
    );
    1
}

/// The always-on checks: every group that tried made a successful
/// transaction, and no group lost every user.
fn did_real_work(plan: &PlanFile, agg: &Aggregate, v: &mut Verdict) {
    let mut idle = Vec::new();
    for g in &plan.groups {
        let t = agg.groups.iter().find(|t| t.name == g.name);
        let (ok, failed) = t.map_or((0, 0), |t| (t.ok, t.failed));
        if ok == 0 && (failed > 0 || plan.groups.len() == 1) {
            let first = t
                .and_then(|t| t.first_error.as_ref())
                .map(|(_, m)| format!(": {}", gist(m)))
                .unwrap_or_default();
            idle.push(if failed > 0 {
                format!(
                    "group '{}': none of its {} succeeded (the first error{first})",
                    g.name,
                    count(failed as f64, "transaction")
                )
            } else {
                format!("group '{}': no transaction was made", g.name)
            });
        }
    }
    if agg.groups.iter().all(|t| t.ok == 0) && idle.is_empty() {
        idle.push("no transaction was made".into());
    }
    let total_ok: u64 = agg.groups.iter().map(|t| t.ok).sum();
    let total: u64 = agg.groups.iter().map(|t| t.ok + t.failed).sum();
    // "no real work" alone would say the whole run did nothing; when
    // other groups worked, it says which did not.
    let worked = agg.groups.iter().filter(|t| t.ok > 0).count();
    let reason = (!idle.is_empty()).then(|| {
        if worked == 0 {
            format!("no real work: {}", idle.join("; "))
        } else {
            format!(
                "no real work in {} of {} groups: {}",
                idle.len(),
                plan.groups.len(),
                idle.join("; ")
            )
        }
    });
    push(
        v,
        Check {
            name: "transactions succeeded".into(),
            target: "some, in every group".into(),
            achieved: format!("{total_ok} of {total}"),
            pass: idle.is_empty(),
            reason,
        },
    );
    // Retirements: a group without any working user did not run its plan.
    let mut gone = Vec::new();
    let mut some = Vec::new();
    for g in &plan.groups {
        let Some(t) = agg.groups.iter().find(|t| t.name == g.name) else {
            continue;
        };
        let retired = t.retired.len() as u64;
        if retired == 0 {
            continue;
        }
        // Script users retire after repeated worker failures, HTTP users
        // when their test data runs out (data.at_end = "stop").
        let why = if g.script.is_some() {
            "after repeated worker failures"
        } else {
            "when the test data ran out"
        };
        let text = format!("group '{}': {retired} of {} retired {why}", g.name, g.users);
        if retired >= g.users.min(t.users_started.max(1)) {
            gone.push(text);
        } else {
            some.push(text);
        }
    }
    if !some.is_empty() {
        v.notes.push(format!("users retired: {}", some.join("; ")));
    }
    if !gone.is_empty() || !some.is_empty() {
        let reason = (!gone.is_empty()).then(|| format!("every user retired: {}", gone.join("; ")));
        push(
            v,
            Check {
                name: "users working".into(),
                target: "some, in every group".into(),
                achieved: gone
                    .iter()
                    .chain(&some)
                    .cloned()
                    .collect::<Vec<_>>()
                    .join("; "),
                pass: gone.is_empty(),
                reason,
            },
        );
    }
}

/// Adds a check, and its reason to the verdict's reasons when it failed.
fn push(v: &mut Verdict, c: Check) {
    if let Some(why) = &c.reason {
        v.reasons.push(why.clone());
    }
    v.checks.push(c);
}

/// A multi-line message in one line: its first line, and its last where
/// they differ (a Python traceback ends with the exception itself).
fn gist(s: &str) -> String {
    let mut lines = s.lines().map(str::trim).filter(|l| !l.is_empty());
    let first = lines.next().unwrap_or("");
    match lines.next_back() {
        Some(last) => format!("{first} ... {last}"),
        None => first.to_string(),
    }
}

fn r(v: f64) -> String {
    round_sig(v, 4)
}
