//! The verdict: did the run keep every promise of the plan, and if not,
//! why. Reads the plan and the aggregate of the results, and writes the
//! judgement the results carry (`results::judgement`). The rules are
//! docs/verdict.md's semantics table; `bench/adversarial/judge.py` is a
//! second implementation of that table alone, and the adversarial study
//! counts where the two disagree.
//!
//! Every check is judged over one span (the steady-state window by
//! default, the whole run with `scope = "run"`) and says so in its row.
//! PASS only when every promise was checked and held and the run did real
//! work. The always-on checks (some transaction succeeded in every group
//! that tried; no group lost all its users) hold for every plan; a plan
//! that promises nothing else gets NO CHECKS, not PASS. A run that did
//! not finish is INCOMPLETE whatever its checks say.

pub mod causes;
pub mod drawn;
pub mod expect;
pub mod generator;
pub mod laws;
pub mod thresholds;
pub mod throughput;

use crate::plan::file::{AcceptanceSection, PlanFile};
use crate::plan::segment::Shard;
use crate::plan::thresholds::Scope;
use crate::results::aggregate::Aggregate;
use crate::results::judgement::{Check, Expected, Over, State, Verdict};
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
    /// How busy pace itself was, where it was measured.
    pub generator: Option<crate::results::summary::Generator>,
}

/// Why a shard's run is never judged on its own: the plan's promises hold
/// for the merged shards (thresholds cannot be judged per generator,
/// reference F.6).
pub fn shard_reason(shard: Shard) -> String {
    format!("shard {shard}: the plan is judged once, on the merged shards (pace merge)")
}

/// The span the checks of a run are judged over: `[from, to)` seconds
/// since t0, and what it is.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Span {
    pub from: f64,
    pub to: f64,
    pub scope: Scope,
}

impl Span {
    /// The aggregate's span (it was folded over it), named by the plan's
    /// scope.
    pub fn of(plan: &PlanFile, agg: &Aggregate) -> Span {
        Span {
            from: agg.window.0,
            to: agg.window.1,
            // An empty window falls back to the whole run: said as such.
            scope: if plan.span_is_fallback(agg.window) {
                Scope::Run
            } else {
                plan.acceptance.scope
            },
        }
    }

    pub fn len(&self) -> f64 {
        (self.to - self.from).max(0.0)
    }

    pub fn is_empty(&self) -> bool {
        self.len() <= 0.0
    }

    /// The row's `over`: this span and what was counted in it.
    pub fn over(&self, samples: String, count: u64) -> Over {
        Over {
            span: self.scope.name().into(),
            from_s: self.from,
            to_s: self.to,
            samples,
            count,
        }
    }

    /// "the window 4-14 s" or "the whole run 0-14 s".
    pub fn words(&self) -> String {
        let what = match self.scope {
            Scope::Window => "the window",
            Scope::Run => "the whole run",
        };
        format!(
            "{what} {}-{} s",
            crate::units::round_sig(self.from, 6),
            crate::units::round_sig(self.to, 6)
        )
    }
}

/// Judges a run: the expected throughput over its span (where the plan
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
    let span = Span::of(plan, agg);
    if span.is_empty() {
        // Nothing ran in it (a run stopped before its first start):
        // nothing to judge, and no cause to invent.
        v.unjudged.push(format!(
            "every check: the run ended at {} s, before anything could be judged",
            crate::units::round_sig(span.to, 4)
        ));
        v.state = match (&ending.incomplete, shard.filter(|s| !s.is_whole())) {
            (Some(why), _) => {
                v.reasons.push(format!("the run did not finish: {why}"));
                State::Incomplete
            }
            (None, Some(s)) => {
                v.reasons.push(shard_reason(s));
                State::Incomplete
            }
            (None, None) => {
                v.reasons
                    .push(format!("not judged: {}", v.unjudged.join("; ")));
                State::Incomplete
            }
        };
        return (None, v);
    }
    // Promises the plan makes (not the always-on checks).
    let mut promises = 0;
    let expected = throughput::judge(plan, agg, &span, &mut v);
    if expected.is_some() {
        promises += 1;
    }
    if expected.is_some() {
        promises += throughput::judge_groups(plan, agg, &span, &mut v);
    }
    if plan.span_is_fallback(agg.window) {
        v.notes.push(format!(
            "no steady-state window (ramp-up {} of a {} run): every check is over the whole run, and no band applies",
            secs(plan.run.ramp_up()),
            secs(agg.window.1)
        ));
    }
    promises += thresholds::judge(plan, agg, &span, &mut v);
    did_real_work(plan, agg, &span, &mut v);
    promises += law_audit(plan, agg, &mut v);
    generator::notes(plan, agg, &span, &mut v);
    generator::cpu(ending.generator.as_ref(), plan, &span, &mut v);
    generator::saturated(ending.generator.as_ref(), &mut v);

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
    let span = Span::of(plan, agg);
    push(
        v,
        Check {
            name: LAWS_CHECK.into(),
            target: "hold within tolerance".into(),
            achieved: format!("{} of {checked} hold", checked - broken.len()),
            pass: broken.is_empty(),
            reason,
            over: Some(span.over(
                format!("{} laws of the window", v.laws.len()),
                v.laws.len() as u64,
            )),
        },
    );
    v.unjudged.extend(unchecked);
    1
}

/// One latency threshold of a plan's `[acceptance]`, as the report's
/// tables and charts mark it.
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

/// The plan-wide latency thresholds, in the order they are judged.
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

/// The name of the verdict's check of the plan-wide latency threshold
/// `name` (`p95` → "p95 response time"), as `summary.json`'s
/// `verdict.checks` has it.
pub fn latency_check_name(name: &str) -> String {
    format!("{name} response time")
}

/// The name of the verdict's plan-wide error-rate check.
pub const ERROR_RATE_CHECK: &str = "error rate";

/// The always-on checks: every group with a transaction in the span had
/// a success there (and some group did), and no group lost every user.
fn did_real_work(plan: &PlanFile, agg: &Aggregate, span: &Span, v: &mut Verdict) {
    let mut idle = Vec::new();
    let mut total_ok = 0;
    let mut total = 0;
    for g in &plan.groups {
        let t = agg.groups.iter().find(|t| t.name == g.name);
        let (ok, failed) = t.map_or((0, 0), |t| (t.window_ok, t.window_failed));
        total_ok += ok;
        total += ok + failed;
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
    if total_ok == 0 && idle.is_empty() {
        idle.push("no transaction was made".into());
    }
    // "no real work" alone would say the whole run did nothing; when
    // other groups worked, it says which did not.
    let worked = plan
        .groups
        .iter()
        .filter(|g| {
            agg.groups
                .iter()
                .any(|t| t.name == g.name && t.window_ok > 0)
        })
        .count();
    let reason = (!idle.is_empty()).then(|| {
        if worked == 0 {
            format!("no real work in {}: {}", span.words(), idle.join("; "))
        } else {
            format!(
                "no real work in {} of {} groups in {}: {}",
                idle.len(),
                plan.groups.len(),
                span.words(),
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
            over: Some(span.over(format!("{total} transactions of {}", span.words()), total)),
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
        let users: u64 = agg.groups.iter().map(|t| t.users_started).sum();
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
                over: Some(Over {
                    span: "whole_run".into(),
                    from_s: 0.0,
                    to_s: agg.last_t,
                    samples: format!("{users} users of the whole run"),
                    count: users,
                }),
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
    crate::units::round_sig(v, 4)
}
